// hbf:express_body — express.json / urlencoded / text / raw, as body-parser
// 1.20 (Express 4's) gives them. HBF has already read the whole body
// (req.rawBody) before the router runs, so nothing is streamed here: each
// parser checks what body-parser checks, in its order, and fails the same
// way, through next(err) with `status`/`statusCode`, `expose` and `type`:
// 415 charset.unsupported / encoding.unsupported, 413 entity.too.large /
// parameters.too.many, 403 entity.verify.failed, 400 entity.parse.failed.
// A request body is parsed at most once (`req._body`), as body-parser does.

import native from "hbf:native";
import { STATUS_CODES, parseQuery } from "hbf:http_common";
import { typeIs } from "hbf:http_negotiate";
import { parse as parseQs } from "hbf:http_qs";
import { kInline, kPassive } from "hbf:router";
import { mayHaveHeader, HAS_BODY_FRAMING } from "hbf:http_request";
// hbf:node_zlib (with the Buffer and stream modules it imports: most of an
// Express app's worker) is loaded by the first compressed body only.
const zlib = () => native.loadBuiltin("hbf:node_zlib");

const UNITS = { b: 1, kb: 1 << 10, mb: 1 << 20, gb: 1 << 30, tb: 2 ** 40, pb: 2 ** 50 };

/** The `bytes` package's parse: 1024, "100kb", "1.5mb" -> bytes; null when invalid. */
export function parseBytes(value) {
  if (typeof value === "number" && !Number.isNaN(value)) return value;
  if (typeof value !== "string") return null;
  const m = /^((-|\+)?(\d+(?:\.\d+)?)) *(kb|mb|gb|tb|pb|b)?$/i.exec(value.trim());
  if (!m) {
    const n = parseInt(value, 10);
    return Number.isNaN(n) ? null : n;
  }
  return Math.floor(parseFloat(m[1]) * UNITS[(m[4] || "b").toLowerCase()]);
}

function createError(status, message, props) {
  const err = message instanceof Error ? message : new Error(message ?? STATUS_CODES[status]);
  err.status = err.statusCode = status;
  err.expose = status < 500;
  Object.assign(err, props);
  return err;
}

function hasBody(req) {
  if (req.rawBody.length > 0) return true;
  // (a bodiless GET, most requests, without building req.headers)
  if (!mayHaveHeader(req, HAS_BODY_FRAMING)) return false;
  const headers = req.headers;
  return headers["transfer-encoding"] !== undefined || !Number.isNaN(parseInt(headers["content-length"], 10));
}

function charsetOf(req) {
  const ct = req.headers["content-type"];
  if (!ct) return undefined;
  const m = /;\s*charset\s*=\s*("?)([^";\s]*)\1/i.exec(ct);
  return m ? m[2].toLowerCase() : undefined;
}

function typeChecker(type) {
  if (typeof type === "function") return type;
  const list = [].concat(type);
  return (req) => Boolean(typeIs(req.headers["content-type"], list));
}

function decodeUtf8(bytes) {
  const s = native.utf8Decode(bytes, false);
  return s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
}

// body-parser's read(): encoding, size limit, verify, decode, parse. Returns
// what body-parser passes to next(): undefined, or the error.
function read(req, res, parse, opts) {
  req._body = true;
  const encoding = (req.headers["content-encoding"] || "identity").toLowerCase();
  let bytes = req.rawBody;
  if (encoding !== "identity") {
    // As body-parser: gzip and deflate are inflated (unless inflate: false);
    // the limit applies to the inflated body.
    if (opts.inflate === false || (encoding !== "gzip" && encoding !== "deflate")) {
      return createError(415, `unsupported content encoding "${encoding}"`,
        { encoding, type: "encoding.unsupported" });
    }
    try {
      const zopts = opts.limit !== null ? { maxOutputLength: opts.limit + 1 } : {};
      bytes = encoding === "gzip" ? zlib().gunzipSync(bytes, zopts) : zlib().inflateSync(bytes, zopts);
    } catch (err) {
      if (err && err.code === "ERR_BUFFER_TOO_LARGE") {
        return createError(413, "request entity too large",
          { length: opts.limit + 1, limit: opts.limit, type: "entity.too.large" });
      }
      return createError(400, err, { type: "entity.parse.failed" });
    }
  }
  if (opts.limit !== null && bytes.length > opts.limit) {
    return createError(413, "request entity too large",
      { expected: bytes.length, length: bytes.length, limit: opts.limit, type: "entity.too.large" });
  }
  if (typeof opts.verify === "function") {
    try {
      opts.verify(req, res, globalThis.Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), opts.encoding);
    } catch (err) {
      return createError(403, err, { body: bytes, type: err.type || "entity.verify.failed" });
    }
  }
  let body;
  try {
    body = opts.encoding === null ? globalThis.Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
      : decodeUtf8(bytes);
    req.body = parse(body);
  } catch (err) {
    return createError(err.status ?? 400, err, { body, type: err.type || "entity.parse.failed" });
  }
  return undefined;
}

function common(options, defaultType) {
  const opts = options || {};
  const limit = typeof opts.limit !== "number" ? parseBytes(opts.limit || "100kb") : opts.limit;
  if (typeof opts.verify !== "undefined" && opts.verify !== false && typeof opts.verify !== "function") {
    throw new TypeError("option verify must be function");
  }
  return { opts, limit, shouldParse: typeChecker(opts.type || defaultType), verify: opts.verify || undefined,
    inflate: opts.inflate !== false };
}

// The request's charset when it is a UTF one, else the 415 error (which the
// caller returns, for next()).
function utf8Only(req, defaultCharset) {
  const charset = charsetOf(req) || defaultCharset;
  if (charset.slice(0, 4) !== "utf-") {
    return createError(415, `unsupported charset "${charset.toUpperCase()}"`, { charset, type: "charset.unsupported" });
  }
  return charset;
}

// The middleware every parser is (body-parser's shape): a body already read
// or of another type passes; `defaultCharset` null reads the body as bytes,
// otherwise as text in the request's charset (UTF-8 only). Named as
// body-parser names it (jsonParser, ...). Its kInline form (hbf:router)
// returns what it passes to next().
function parser(name, shouldParse, defaultCharset, parse, opts) {
  const inline = (req, res) => {
    if (req._body) return undefined;
    req.body = req.body || {};
    if (!hasBody(req) || !shouldParse(req)) return undefined;
    let encoding = null;
    if (defaultCharset !== null) {
      encoding = utf8Only(req, defaultCharset);
      if (typeof encoding !== "string") return encoding;
    }
    return read(req, res, parse, { ...opts, encoding });
  };
  const middleware = function (req, res, next) {
    next(inline(req, res));
  };
  middleware[kInline] = inline;
  Object.defineProperty(middleware, "name", { value: name });
  // Without a body (no Content-Length, no Transfer-Encoding) it only sets
  // req.body: a GET only it matches is still not taken (hbf:router's stackReach).
  middleware[kPassive] = true;
  return middleware;
}

const STRICT_JSON_START = /^[\x20\x09\x0a\x0d]*([^\x20\x09\x0a\x0d])/;

/** express.json([options]): limit ("100kb"), strict (true), type ("application/json"), reviver, verify, inflate. */
export function json(options) {
  const { opts, limit, shouldParse, verify, inflate } = common(options, "application/json");
  const strict = opts.strict !== false;
  const reviver = opts.reviver;
  const parse = (body) => {
    if (body.length === 0) return {};
    if (strict) {
      const m = STRICT_JSON_START.exec(body);
      const first = m ? m[1] : undefined;
      if (first !== "{" && first !== "[") {
        const err = new SyntaxError(`Unexpected token ${first} in JSON at position ${m ? m.index + m[0].length - 1 : 0}`);
        throw err;
      }
    }
    return JSON.parse(body, reviver);
  };
  return parser("jsonParser", shouldParse, "utf-8", parse, { limit, verify, inflate });
}

/** express.urlencoded([options]): extended (true: qs nesting), limit, parameterLimit (1000), depth (32), type. */
export function urlencoded(options) {
  const { opts, limit, shouldParse, verify, inflate } = common(options, "application/x-www-form-urlencoded");
  const extended = opts.extended !== false;
  const parameterLimit = opts.parameterLimit !== undefined ? opts.parameterLimit : 1000;
  if (parameterLimit !== Infinity && (Number.isNaN(parameterLimit) || parameterLimit < 1)) {
    throw new TypeError("option parameterLimit must be a positive number");
  }
  const depth = opts.depth !== undefined ? opts.depth : 32;
  const parse = (body) => {
    if (body.length === 0) return {};
    let count = 0;
    for (let i = body.indexOf("&"); i !== -1; i = body.indexOf("&", i + 1)) count++;
    const paramCount = count + 1;
    if (paramCount > parameterLimit) {
      throw createError(413, "too many parameters", { type: "parameters.too.many" });
    }
    if (!extended) return parseQuery(body);
    try {
      return parseQs(body, { allowPrototypes: true, arrayLimit: Math.max(100, paramCount), depth, strictDepth: true, parameterLimit });
    } catch (err) {
      if (err instanceof RangeError) {
        throw createError(400, "The input exceeded the depth", { type: "querystring.parse.rangeError" });
      }
      throw err;
    }
  };
  return parser("urlencodedParser", shouldParse, "utf-8", parse, { limit, verify, inflate });
}

/** express.text([options]): defaultCharset ("utf-8"), limit, type ("text/plain"). */
export function text(options) {
  const { opts, limit, shouldParse, verify, inflate } = common(options, "text/plain");
  const defaultCharset = opts.defaultCharset || "utf-8";
  return parser("textParser", shouldParse, defaultCharset, (body) => body, { limit, verify, inflate });
}

/** express.raw([options]): a Buffer body; limit, type ("application/octet-stream"). */
export function raw(options) {
  const { limit, shouldParse, verify, inflate } = common(options, "application/octet-stream");
  return parser("rawParser", shouldParse, null, (body) => body, { limit, verify, inflate });
}

export default { json, urlencoded, text, raw, parseBytes };
