// hbf:http_response — Express 4 style `res`: status, headers, cookies, send/
// json/redirect/render and the rest. Part of hbf:http.

import * as native from "hbf:native";
import {
  STATUS_CODES, describeError, encodeUrl, escapeHtml, extToMime, httpError, lookupType, parseTokenList,
  serializeCookie, setUtf8Charset, warn, withCharset,
} from "hbf:http_common";
import { headerOf } from "hbf:http_request";

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const BAD_HEADER_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
const FIELD_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// C++ owns message framing; these never leave the script.
const FRAMING_HEADERS = new Set(["content-length", "transfer-encoding", "connection", "keep-alive", "upgrade"]);

// Called when the response is complete (dispatch() sets it on each response).
export const kFinish = Symbol("hbf.finish");

let templatesModule = null; // hbf:templates, imported by the first res.render()
const VIEW_OPTIONS = ["delimiter", "context", "_with", "rmWhitespace", "strict", "async"];

function toBodyBytes(chunk) {
  if (chunk instanceof Uint8Array) return chunk;
  if (chunk instanceof ArrayBuffer) return new Uint8Array(chunk);
  return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}
const isBytes = (v) => v instanceof ArrayBuffer || ArrayBuffer.isView(v);

// JSON.stringify that writes BigInt values as plain JSON numbers.
function stringifyJson(value, replacer, spaces) {
  try {
    return JSON.stringify(value, replacer, spaces);
  } catch (err) {
    if (!(err instanceof TypeError) || !/bigint/i.test(String(err.message))) throw err;
  }
  const mark = "\u0000hbf-bigint:";
  const wrapped = function (key, v) {
    const r = replacer ? replacer.call(this, key, v) : v;
    return typeof r === "bigint" ? mark + r.toString() + "\u0000" : r;
  };
  return JSON.stringify(value, wrapped, spaces).replace(/"\\u0000hbf-bigint:(-?\d+)\\u0000"/g, "$1");
}

function varyAppend(header, field) {
  const fields = Array.isArray(field) ? field : parseTokenList(String(field));
  for (const f of fields) if (!FIELD_NAME.test(f)) throw new TypeError("field argument contains an invalid header name");
  if (header === "*") return header;
  let val = header;
  const vals = parseTokenList(header.toLowerCase());
  if (fields.includes("*") || vals.includes("*")) return "*";
  for (const f of fields) {
    const lf = f.toLowerCase();
    if (!vals.includes(lf)) {
      vals.push(lf);
      val = val ? val + ", " + f : f;
    }
  }
  return val;
}

function contentDisposition(filename) {
  if (filename === undefined) return "attachment";
  let name = String(filename);
  const slash = Math.max(name.lastIndexOf("/"), name.lastIndexOf("\\"));
  if (slash !== -1) name = name.slice(slash + 1);
  const isLatin1 = !/[^\x20-\x7e\xa0-\xff]/.test(name);
  const quotable = /^[\x20-\x7e\x80-\xff]+$/.test(name);
  const fallback = isLatin1 ? name : name.replace(/[^\x20-\x7e\xa0-\xff]/g, "?");
  const q = (s) => '"' + s.replace(/([\\"])/g, "\\$1") + '"';
  let out = "attachment; filename=" + q(fallback);
  if (fallback !== name || !quotable || /%[0-9A-Fa-f]{2}/.test(name)) {
    const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
    out += "; filename*=UTF-8''" + encoded;
  }
  return out;
}

export class Response {
  #headers = new Map(); // lower-case name -> [name as first set, value (string | string[])]
  #chunks = null;
  #body = null;

  constructor(req = undefined) {
    this.req = req;
    this.statusCode = 200;
    this.statusMessage = undefined;
    this.locals = Object.create(null);
    this.headersSent = false;
    this.finished = false;
    this[kFinish] = null;
  }

  get writableEnded() { return this.finished; }
  get writableFinished() { return this.finished; }

  // --- Node's ServerResponse header API -------------------------------------------

  setHeader(name, value) {
    if (typeof name !== "string" || !HEADER_NAME.test(name)) {
      throw new TypeError(`Header name must be a valid HTTP token ["${name}"]`);
    }
    if (value === undefined) throw new TypeError(`Invalid value "undefined" for header "${name}"`);
    const v = Array.isArray(value) ? value.map(String) : String(value);
    for (const s of Array.isArray(v) ? v : [v]) {
      if (BAD_HEADER_VALUE.test(s)) throw new TypeError(`Invalid character in header content ["${name}"]`);
    }
    if (this.headersSent) {
      warn(`res.setHeader("${name}") after the response was sent: ignored`);
      return this;
    }
    const lc = name.toLowerCase();
    const prev = this.#headers.get(lc);
    this.#headers.set(lc, [prev ? prev[0] : name, v]);
    return this;
  }

  getHeader(name) {
    return this.#headers.get(String(name).toLowerCase())?.[1];
  }

  hasHeader(name) {
    return this.#headers.has(String(name).toLowerCase());
  }

  removeHeader(name) {
    if (this.headersSent) {
      warn(`res.removeHeader("${name}") after the response was sent: ignored`);
      return;
    }
    this.#headers.delete(String(name).toLowerCase());
  }

  getHeaderNames() {
    return [...this.#headers.keys()];
  }

  getHeaders() {
    const out = Object.create(null);
    for (const [lc, [, v]] of this.#headers) out[lc] = v;
    return out;
  }

  // --- Express API ------------------------------------------------------------------

  status(code) {
    this.statusCode = code;
    return this;
  }

  set(field, value) {
    if (arguments.length >= 2) {
      let v = Array.isArray(value) ? value.map(String) : String(value);
      if (typeof field === "string" && field.toLowerCase() === "content-type") {
        if (Array.isArray(v)) throw new TypeError("Content-Type cannot be set to an Array");
        v = withCharset(v);
      }
      return this.setHeader(field, v);
    }
    if (field === null || typeof field !== "object") throw new TypeError("res.set() needs a name and value, or an object");
    for (const key of Object.keys(field)) this.set(key, field[key]);
    return this;
  }

  header(field, value) {
    return arguments.length >= 2 ? this.set(field, value) : this.set(field);
  }

  get(field) {
    return this.getHeader(field);
  }

  append(field, value) {
    const prev = this.get(field);
    let v = value;
    if (prev) {
      v = Array.isArray(prev) ? prev.concat(value) : Array.isArray(value) ? [prev].concat(value) : [prev, value];
    }
    return this.set(field, v);
  }

  type(type) {
    const t = String(type);
    return this.set("Content-Type", t.indexOf("/") === -1 ? lookupType(t) ?? "application/octet-stream" : t);
  }

  contentType(type) {
    return this.type(type);
  }

  vary(field) {
    if (!field || (Array.isArray(field) && field.length === 0)) return this;
    const prev = this.getHeader("Vary") || "";
    const header = Array.isArray(prev) ? prev.join(", ") : String(prev);
    const val = varyAppend(header, field);
    if (val) this.setHeader("Vary", val);
    return this;
  }

  location(url) {
    let loc;
    if (url === "back") loc = this.req?.get?.("Referrer") || "/";
    else loc = String(url);
    return this.set("Location", encodeUrl(loc));
  }

  links(links) {
    let link = this.get("Link") || "";
    if (link) link += ", ";
    return this.set("Link", link + Object.keys(links).map((rel) => "<" + links[rel] + '>; rel="' + rel + '"').join(", "));
  }

  attachment(filename) {
    if (filename) {
      const name = String(filename);
      const dot = name.lastIndexOf(".");
      this.type(dot === -1 || name.indexOf("/", dot) !== -1 ? "" : name.slice(dot));
    }
    return this.set("Content-Disposition", contentDisposition(filename));
  }

  cookie(name, value, options = undefined) {
    const opts = { ...options };
    if (opts.signed) throw new Error("signed cookies are not supported (there is no cookie secret)");
    let val = typeof value === "object" ? "j:" + JSON.stringify(value) : String(value);
    if (opts.maxAge != null) {
      const maxAge = opts.maxAge - 0;
      if (!Number.isNaN(maxAge)) {
        opts.expires = new Date(Date.now() + maxAge);
        opts.maxAge = Math.floor(maxAge / 1000);
      }
    }
    if (opts.path == null) opts.path = "/";
    return this.append("Set-Cookie", serializeCookie(name, String(val), opts));
  }

  clearCookie(name, options = undefined) {
    return this.cookie(name, "", { expires: new Date(1), path: "/", ...options });
  }

  format(obj) {
    const req = this.req;
    const next = req?.next;
    const keys = Object.keys(obj).filter((k) => k !== "default");
    const key = keys.length > 0 && req ? req.accepts(keys) : false;
    this.vary("Accept");
    if (key) {
      this.set("Content-Type", extToMime(key) ?? key);
      obj[key](req, this, next);
    } else if (obj.default) {
      obj.default(req, this, next);
    } else {
      const err = httpError(406);
      err.types = keys.map(extToMime);
      if (typeof next === "function") next(err);
      else throw err;
    }
    return this;
  }

  redirect(a, b) {
    let status = 302;
    let address = a;
    if (arguments.length >= 2) {
      if (typeof a === "number") {
        status = a;
        address = b;
      } else {
        status = b;
      }
    }
    address = this.location(address).get("Location");
    let body = "";
    const reason = STATUS_CODES[status];
    this.format({
      text: () => { body = reason + ". Redirecting to " + address; },
      html: () => { body = "<p>" + reason + ". Redirecting to " + escapeHtml(address) + "</p>"; },
      default: () => { body = ""; },
    });
    this.statusCode = status;
    return this.end(body);
  }

  /**
   * Express's res.render(view, [locals], [callback]): renders the document
   * `view` (tried as given, + ".ejs", then "views/" + view + ".ejs") through
   * hbf:templates with app locals, res.locals and `locals` merged, and sends
   * it as HTML; with a callback, calls callback(err, html) instead. Errors
   * otherwise go to next(err).
   */
  render(view, locals = undefined, callback = undefined) {
    if (typeof locals === "function") {
      callback = locals;
      locals = undefined;
    }
    const done = typeof callback === "function" ? callback : (err, html) => {
      if (!err) return this.send(html);
      const next = this.req?.next;
      if (typeof next !== "function") throw err;
      next(err);
    };
    const data = {};
    for (const src of [this.locals, locals]) {
      if (src === null || typeof src !== "object") continue;
      // for-in: app-level locals are res.locals' prototype (Express merges app.locals too)
      for (const key in src) if (key !== "__proto__") data[key] = src[key];
    }
    const options = {};
    // ejs's renderFile reads these options from Express's merged locals.
    for (const key of VIEW_OPTIONS) if (data[key] !== undefined) options[key] = data[key];
    // (an exception from `done` itself, i.e. the callback, once we are asynchronous)
    const lateError = (err) => native.log("error", "res.render: exception in its callback: " + describeError(err));
    const run = (templates) => {
      let html;
      try {
        html = templates.renderView(String(view), data, options);
      } catch (err) {
        return done(err);
      }
      if (html !== null && typeof html === "object" && typeof html.then === "function") {
        html.then((h) => done(null, h), (err) => done(err)).then(undefined, lateError);
        return undefined;
      }
      return done(null, html);
    };
    if (templatesModule !== null) {
      run(templatesModule);
    } else {
      // Loaded on first use, so that apps without views never load it.
      import("hbf:templates").then((m) => run((templatesModule = m)), (err) => done(err)).then(undefined, lateError);
    }
  }

  sendStatus(code) {
    this.statusCode = code;
    this.type("txt");
    return this.send(STATUS_CODES[code] || String(code));
  }

  json(obj) {
    const body = stringifyJson(obj);
    if (!this.#headers.has("content-type")) this.#headers.set("content-type", ["Content-Type", "application/json; charset=utf-8"]);
    return this.send(body);
  }

  send(body) {
    if (this.finished) {
      warn("res.send() called after the response was sent: ignored");
      return this;
    }
    let chunk = body;
    switch (typeof chunk) {
      case "string": {
        const ct = this.#headers.get("content-type");
        if (ct === undefined) this.#headers.set("content-type", ["Content-Type", "text/html; charset=utf-8"]);
        else if (typeof ct[1] === "string") ct[1] = setUtf8Charset(ct[1]);
        break;
      }
      case "undefined":
        chunk = null;
        break;
      case "object":
        if (chunk !== null && isBytes(chunk)) {
          if (!this.hasHeader("Content-Type")) this.type("bin");
          chunk = toBodyBytes(chunk);
          break;
        }
        return this.json(chunk);
      default:
        return this.json(chunk);
    }
    const req = this.req;
    if (req && typeof req === "object" && (headerOf(req, "if-none-match") || headerOf(req, "if-modified-since")) && req.fresh) {
      this.statusCode = 304;
    }
    const status = this.statusCode;
    if (status === 204 || status === 304) {
      this.removeHeader("Content-Type");
      this.removeHeader("Content-Length");
      this.removeHeader("Transfer-Encoding");
      chunk = null;
    } else if (status === 205) {
      chunk = null;
    }
    return this.end(chunk);
  }

  /** Buffers a chunk (the body is sent whole when end() is called). */
  write(chunk) {
    if (this.finished) {
      warn("res.write() after the response was sent: ignored");
      return false;
    }
    if (chunk === undefined || chunk === null) throw new TypeError("The \"chunk\" argument must be a string or bytes");
    (this.#chunks ??= []).push(typeof chunk === "string" ? chunk : isBytes(chunk) ? toBodyBytes(chunk) : String(chunk));
    this.headersSent = true;
    return true;
  }

  end(data = undefined) {
    if (this.finished) {
      warn("res.end() called after the response was sent: ignored");
      return this;
    }
    if (typeof data === "function") data = undefined;
    if (data !== undefined && data !== null) this.write(data);
    this.#body = joinChunks(this.#chunks);
    this.#chunks = null;
    this.headersSent = true;
    this.finished = true;
    const onFinish = this[kFinish];
    if (onFinish) onFinish(this);
    return this;
  }

  /** The header list C++ writes: [[name, value], ...], repeated names (Set-Cookie) as separate entries. */
  headerList() {
    const out = [];
    for (const [lc, [name, value]] of this.#headers) {
      if (FRAMING_HEADERS.has(lc)) continue;
      if (Array.isArray(value)) for (const v of value) out.push([name, v]);
      else out.push([name, value]);
    }
    return out;
  }

  /** The body as sent: string, Uint8Array or null (valid after end()). */
  get body() { return this.#body; }
}

function joinChunks(chunks) {
  if (chunks === null || chunks.length === 0) return null;
  if (chunks.length === 1) {
    const c = chunks[0];
    return typeof c === "string" ? c : wholeBuffer(c);
  }
  if (chunks.every((c) => typeof c === "string")) return chunks.join("");
  const parts = chunks.map((c) => (typeof c === "string" ? native.utf8Encode(c) : c));
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

// A Uint8Array that spans its whole ArrayBuffer (copied when it is a partial view).
const wholeBuffer = (u8) => (u8.byteOffset === 0 && u8.byteLength === u8.buffer.byteLength ? u8 : u8.slice());

