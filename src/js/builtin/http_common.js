// hbf:http_common — the HTTP vocabulary hbf:http's Request and Response share:
// status codes, HTTP errors, MIME types and content negotiation, query
// strings, cookies, freshness. Part of hbf:http (which re-exports the public
// names); pure functions apart from logging.

import * as native from "hbf:native";
import { formDecode } from "hbf:bootstrap";

export const STATUS_CODES = {
  100: "Continue", 101: "Switching Protocols", 102: "Processing", 103: "Early Hints",
  200: "OK", 201: "Created", 202: "Accepted", 203: "Non-Authoritative Information", 204: "No Content",
  205: "Reset Content", 206: "Partial Content", 207: "Multi-Status", 208: "Already Reported", 226: "IM Used",
  300: "Multiple Choices", 301: "Moved Permanently", 302: "Found", 303: "See Other", 304: "Not Modified",
  305: "Use Proxy", 307: "Temporary Redirect", 308: "Permanent Redirect",
  400: "Bad Request", 401: "Unauthorized", 402: "Payment Required", 403: "Forbidden", 404: "Not Found",
  405: "Method Not Allowed", 406: "Not Acceptable", 407: "Proxy Authentication Required", 408: "Request Timeout",
  409: "Conflict", 410: "Gone", 411: "Length Required", 412: "Precondition Failed", 413: "Payload Too Large",
  414: "URI Too Long", 415: "Unsupported Media Type", 416: "Range Not Satisfiable", 417: "Expectation Failed",
  418: "I'm a Teapot", 421: "Misdirected Request", 422: "Unprocessable Entity", 423: "Locked",
  424: "Failed Dependency", 425: "Too Early", 426: "Upgrade Required", 428: "Precondition Required",
  429: "Too Many Requests", 431: "Request Header Fields Too Large", 451: "Unavailable For Legal Reasons",
  500: "Internal Server Error", 501: "Not Implemented", 502: "Bad Gateway", 503: "Service Unavailable",
  504: "Gateway Timeout", 505: "HTTP Version Not Supported", 506: "Variant Also Negotiates",
  507: "Insufficient Storage", 508: "Loop Detected", 509: "Bandwidth Limit Exceeded", 510: "Not Extended",
  511: "Network Authentication Required",
};

export const warn = (msg) => native.log("warn", msg);

export function describeError(err) {
  try {
    // hbf:web_console is loaded when first needed: most workers never fail.
    const { inspect } = native.loadBuiltin("hbf:web_console");
    return err instanceof Error ? inspect(err) : inspect(err, { depth: 1 });
  } catch {
    return "<uninspectable error>";
  }
}

/** An Error carrying an HTTP status (like the http-errors package). */
export function httpError(status, message, props = undefined) {
  const err = new Error(message ?? STATUS_CODES[status] ?? String(status));
  err.status = err.statusCode = status;
  err.expose = status < 500;
  if (props) Object.assign(err, props);
  return err;
}

// ---------------------------------------------------------------------------
// MIME types

const MIME = {
  __proto__: null,
  html: "text/html", htm: "text/html", txt: "text/plain", text: "text/plain", css: "text/css",
  csv: "text/csv", md: "text/markdown", markdown: "text/markdown", xml: "application/xml",
  js: "application/javascript", mjs: "application/javascript", json: "application/json", map: "application/json",
  jsonld: "application/ld+json", webmanifest: "application/manifest+json",
  png: "image/png", jpg: "image/jpeg", jpeg: "image/jpeg", gif: "image/gif", svg: "image/svg+xml",
  webp: "image/webp", ico: "image/x-icon", avif: "image/avif", bmp: "image/bmp",
  pdf: "application/pdf", zip: "application/zip", gz: "application/gzip", wasm: "application/wasm",
  bin: "application/octet-stream", woff: "font/woff", woff2: "font/woff2", ttf: "font/ttf", otf: "font/otf",
  mp3: "audio/mpeg", wav: "audio/wav", ogg: "audio/ogg", mp4: "video/mp4", webm: "video/webm",
  ics: "text/calendar", yaml: "text/yaml", yml: "text/yaml", form: "application/x-www-form-urlencoded",
  urlencoded: "application/x-www-form-urlencoded", multipart: "multipart/form-data",
};

/** The MIME type for a file extension or name ("png", ".png", "a/b.png"), or undefined. */
export function lookupType(ext) {
  let e = String(ext).toLowerCase();
  const slash = e.lastIndexOf("/");
  if (slash !== -1) e = e.slice(slash + 1);
  const dot = e.lastIndexOf(".");
  if (dot !== -1) e = e.slice(dot + 1);
  return MIME[e];
}

const TEXTUAL = /^text\/|^application\/(javascript|json)/i;
const HAS_CHARSET = /;\s*charset\s*=/i;

export function withCharset(type) {
  if (HAS_CHARSET.test(type)) return type;
  const semi = type.indexOf(";");
  return TEXTUAL.test(semi === -1 ? type : type.slice(0, semi)) ? type + "; charset=utf-8" : type;
}

// Replaces (or adds) the charset parameter: the body of a string send is UTF-8.
export function setUtf8Charset(type) {
  if (type.endsWith("; charset=utf-8")) return type;
  const semi = type.indexOf(";");
  if (semi === -1) return type + "; charset=utf-8";
  const params = type.slice(semi + 1).split(";").map((p) => p.trim()).filter((p) => p !== "" && !/^charset\s*=/i.test(p));
  params.push("charset=utf-8");
  return type.slice(0, semi).trim() + "; " + params.join("; ");
}

// ---------------------------------------------------------------------------
// Content negotiation helpers (accepts / type-is subsets)

export const MEDIA_RE = /^\s*([^\s/;]+)\/([^;\s]+)\s*(?:;(.*))?$/;

function parseMediaRange(str, i) {
  const m = MEDIA_RE.exec(str);
  if (!m) return null;
  let q = 1;
  const params = Object.create(null);
  if (m[3]) {
    for (const kv of m[3].split(";")) {
      const eq = kv.indexOf("=");
      const key = (eq === -1 ? kv : kv.slice(0, eq)).trim().toLowerCase();
      let val = eq === -1 ? "" : kv.slice(eq + 1).trim();
      if (val.length >= 2 && val[0] === '"' && val[val.length - 1] === '"') val = val.slice(1, -1);
      if (key === "q") {
        q = parseFloat(val);
        break;
      }
      if (key) params[key] = val;
    }
  }
  return { type: m[1].toLowerCase(), subtype: m[2].toLowerCase(), params, q, i };
}

export function parseAccept(header) {
  const out = [];
  const parts = header.split(",");
  for (let i = 0; i < parts.length; i++) {
    const r = parseMediaRange(parts[i].trim(), i);
    if (r) out.push(r);
  }
  return out;
}

export function mediaPriority(type, accepted, index) {
  const p = parseMediaRange(type, 0);
  let best = { o: -1, q: 0, s: 0, i: index };
  if (!p) return best;
  for (const spec of accepted) {
    let s = 0;
    if (spec.type === p.type) s |= 4;
    else if (spec.type !== "*") continue;
    if (spec.subtype === p.subtype) s |= 2;
    else if (spec.subtype !== "*") continue;
    const keys = Object.keys(spec.params);
    if (keys.length > 0) {
      if (keys.every((k) => spec.params[k] === "*" || (spec.params[k] || "").toLowerCase() === (p.params[k] || "").toLowerCase())) s |= 1;
      else continue;
    }
    if ((best.s - s || best.q - spec.q || best.o - spec.i) < 0) best = { o: spec.i, q: spec.q, s, i: index };
  }
  return best;
}

export const compareSpecs = (a, b) => b.q - a.q || b.s - a.s || a.o - b.o || a.i - b.i;

export function extToMime(t) {
  return t.indexOf("/") === -1 ? lookupType(t) : t;
}

// Simple token negotiation (charsets, encodings, languages).
export function negotiateTokens(header, offered, isLanguage) {
  const accepted = [];
  header.split(",").forEach((part, i) => {
    const [token, ...params] = part.trim().split(";");
    if (!token) return;
    let q = 1;
    for (const p of params) {
      const [k, v] = p.trim().split("=");
      if (k === "q") q = parseFloat(v);
    }
    accepted.push({ token: token.trim().toLowerCase(), q, i });
  });
  const score = (offer, idx) => {
    const o = offer.toLowerCase();
    let best = { q: 0, s: -1, o: -1, i: idx };
    for (const a of accepted) {
      let s;
      if (a.token === o) s = 2;
      else if (isLanguage && (o.startsWith(a.token + "-") || a.token.startsWith(o + "-"))) s = 1;
      else if (a.token === "*") s = 0;
      else continue;
      if (s > best.s || (s === best.s && a.q > best.q)) best = { q: a.q, s, o: a.i, i: idx };
    }
    return best;
  };
  if (offered.length === 0) {
    return accepted.filter((a) => a.q > 0).sort((a, b) => b.q - a.q || a.i - b.i).map((a) => a.token);
  }
  const ranked = offered.map(score).filter((p) => p.q > 0).sort((a, b) => b.q - a.q || b.s - a.s || a.o - b.o || a.i - b.i);
  return ranked.length ? offered[ranked[0].i] : false;
}

function normalizeIsType(t) {
  if (typeof t !== "string") return null;
  switch (t) {
    case "urlencoded": return "application/x-www-form-urlencoded";
    case "multipart": return "multipart/*";
  }
  if (t[0] === "+") return "*/*" + t;
  return t.indexOf("/") === -1 ? lookupType(t) ?? null : t;
}

function mimeMatch(expected, actual) {
  const [et, es] = expected.split("/");
  const [at, as] = actual.split("/");
  if (!es || !as) return false;
  if (et !== "*" && et !== at) return false;
  if (es.startsWith("*+")) return es.length <= as.length && as.endsWith(es.slice(1));
  return es === "*" || es === as;
}

/** type-is: the first of `types` matching `contentType`, or false. */
export function typeIs(contentType, types) {
  if (!contentType) return false;
  const semi = contentType.indexOf(";");
  const actual = (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  if (!MEDIA_RE.test(actual)) return false;
  if (types.length === 0) return actual;
  for (const t of types) {
    const expected = normalizeIsType(t);
    if (expected && mimeMatch(expected.toLowerCase(), actual)) {
      return t[0] === "+" || t.indexOf("*") !== -1 ? actual : t;
    }
  }
  return false;
}

// ---------------------------------------------------------------------------
// Query strings, cookies, dates

const MAX_PARAMS = 1000;

/**
 * Parses a query string / urlencoded body: `a=1&a=2&b=` -> { a: ["1", "2"], b: "" }.
 * `+` is a space; keys repeat into arrays; at most 1000 pairs (like Node's querystring).
 */
export function parseQuery(qs) {
  const out = Object.create(null);
  if (!qs) return out;
  let start = 0;
  let count = 0;
  const len = qs.length;
  while (start <= len && count < MAX_PARAMS) {
    let end = qs.indexOf("&", start);
    if (end === -1) end = len;
    if (end > start) {
      const eq = qs.indexOf("=", start);
      let key;
      let val;
      if (eq !== -1 && eq < end) {
        key = formDecode(qs.slice(start, eq));
        val = formDecode(qs.slice(eq + 1, end));
      } else {
        key = formDecode(qs.slice(start, end));
        val = "";
      }
      const prev = out[key];
      if (prev === undefined) out[key] = val;
      else if (Array.isArray(prev)) prev.push(val);
      else out[key] = [prev, val];
      count++;
    }
    start = end + 1;
  }
  return out;
}

/**
 * Parses a Cookie header like cookie-parser: the first value of a name wins,
 * %-escapes are decoded when valid, "j:{...}" values are JSON-decoded.
 */
export function parseCookies(str) {
  const out = Object.create(null);
  if (typeof str !== "string" || str.length < 2) return out;
  let index = 0;
  const len = str.length;
  while (index < len) {
    const eq = str.indexOf("=", index);
    if (eq === -1) break;
    let end = str.indexOf(";", index);
    if (end === -1) end = len;
    else if (eq > end) {
      index = str.lastIndexOf(";", eq - 1) + 1;
      continue;
    }
    const key = str.slice(index, eq).trim();
    if (key !== "" && out[key] === undefined) {
      let val = str.slice(eq + 1, end).trim();
      if (val.length >= 2 && val.charCodeAt(0) === 34 && val.charCodeAt(val.length - 1) === 34) val = val.slice(1, -1);
      if (val.indexOf("%") !== -1) {
        try {
          val = decodeURIComponent(val);
        } catch {
          // keep the raw value
        }
      }
      // "j:" + JSON is how res.cookie() stores objects (cookie-parser decodes them too).
      if (val.charCodeAt(0) === 106 && val.charCodeAt(1) === 58) {
        try {
          val = JSON.parse(val.slice(2));
        } catch {
          // not JSON after all
        }
      }
      out[key] = val;
    }
    index = end + 1;
  }
  return out;
}

const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const COOKIE_VALUE = /^("?)[\u0021\u0023-\u002B\u002D-\u003A\u003C-\u005B\u005D-\u007E]*\1$/;
const COOKIE_DOMAIN = /^([.]?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)([.][a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;
const COOKIE_PATH = /^[\u0020-\u003A\u003D-\u007E]*$/;

/** Serializes a Set-Cookie value exactly like the `cookie` package (0.7) that Express 4 uses. */
export function serializeCookie(name, val, opt = {}) {
  const enc = opt.encode || encodeURIComponent;
  if (typeof enc !== "function") throw new TypeError("option encode is invalid");
  if (!COOKIE_NAME.test(name)) throw new TypeError("argument name is invalid");
  const value = enc(val);
  if (!COOKIE_VALUE.test(value)) throw new TypeError("argument val is invalid");
  let str = name + "=" + value;
  if (opt.maxAge != null) {
    const maxAge = Math.floor(opt.maxAge);
    if (!Number.isFinite(maxAge)) throw new TypeError("option maxAge is invalid");
    str += "; Max-Age=" + maxAge;
  }
  if (opt.domain) {
    if (!COOKIE_DOMAIN.test(opt.domain)) throw new TypeError("option domain is invalid");
    str += "; Domain=" + opt.domain;
  }
  if (opt.path) {
    if (!COOKIE_PATH.test(opt.path)) throw new TypeError("option path is invalid");
    str += "; Path=" + opt.path;
  }
  if (opt.expires) {
    const e = opt.expires;
    if (!(e instanceof Date) || Number.isNaN(e.valueOf())) throw new TypeError("option expires is invalid");
    str += "; Expires=" + e.toUTCString();
  }
  if (opt.httpOnly) str += "; HttpOnly";
  if (opt.secure) str += "; Secure";
  if (opt.partitioned) str += "; Partitioned";
  if (opt.priority) {
    const p = typeof opt.priority === "string" ? opt.priority.toLowerCase() : opt.priority;
    if (p === "low") str += "; Priority=Low";
    else if (p === "medium") str += "; Priority=Medium";
    else if (p === "high") str += "; Priority=High";
    else throw new TypeError("option priority is invalid");
  }
  if (opt.sameSite) {
    const s = typeof opt.sameSite === "string" ? opt.sameSite.toLowerCase() : opt.sameSite;
    if (s === true || s === "strict") str += "; SameSite=Strict";
    else if (s === "lax") str += "; SameSite=Lax";
    else if (s === "none") str += "; SameSite=None";
    else throw new TypeError("option sameSite is invalid");
  }
  return str;
}

const ENCODE_URL_CHARS = /(?:[^\x21\x23-\x3B\x3D\x3F-\x5F\x61-\x7A\x7C\x7E]+|%+(?![0-9A-Fa-f]{2})){1,1024}/g;
const LONE_SURROGATES = /([\uD800-\uDBFF][\uDC00-\uDFFF])|[\uD800-\uDFFF]/g;
/** encodeurl: percent-encodes what is not allowed in a URL, leaving valid %XX alone. */
export function encodeUrl(url) {
  return String(url).replace(LONE_SURROGATES, (_, pair) => pair || "\uFFFD").replace(ENCODE_URL_CHARS, encodeURI);
}

const HTML_ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
export const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);

export function parseTokenList(str) {
  const list = [];
  let start = 0;
  let end = 0;
  for (let i = 0; i < str.length; i++) {
    switch (str.charCodeAt(i)) {
      case 0x20:
        if (start === end) start = end = i + 1;
        break;
      case 0x2c:
        list.push(str.substring(start, end));
        start = end = i + 1;
        break;
      default:
        end = i + 1;
    }
  }
  list.push(str.substring(start, end));
  return list;
}

const NO_CACHE = /(?:^|,)\s*?no-cache\s*?(?:,|$)/;

export function isFresh(reqHeaders, etag, lastModified) {
  const modifiedSince = reqHeaders["if-modified-since"];
  const noneMatch = reqHeaders["if-none-match"];
  if (!modifiedSince && !noneMatch) return false;
  const cc = reqHeaders["cache-control"];
  if (cc && NO_CACHE.test(cc)) return false;
  if (noneMatch && noneMatch !== "*") {
    if (!etag) return false;
    let stale = true;
    for (const m of parseTokenList(noneMatch)) {
      if (m === etag || m === "W/" + etag || "W/" + m === etag) {
        stale = false;
        break;
      }
    }
    if (stale) return false;
  }
  if (modifiedSince) {
    if (!lastModified) return false;
    if (!(Date.parse(lastModified) <= Date.parse(modifiedSince))) return false;
  }
  return true;
}

// Node's rules for folding repeated request headers.
const DISCARD_DUPLICATES = new Set(["age", "authorization", "content-length", "content-type", "etag", "expires", "from",
  "host", "if-modified-since", "if-unmodified-since", "last-modified", "location", "max-forwards",
  "proxy-authorization", "referer", "retry-after", "server", "user-agent"]);

export function foldHeaders(list) {
  const out = Object.create(null);
  if (!Array.isArray(list)) return out;
  for (const pair of list) {
    const name = String(pair[0]).toLowerCase();
    const value = String(pair[1]);
    const prev = out[name];
    if (prev === undefined) {
      out[name] = name === "set-cookie" ? [value] : value;
    } else if (name === "set-cookie") {
      prev.push(value);
    } else if (!DISCARD_DUPLICATES.has(name)) {
      out[name] = prev + (name === "cookie" ? "; " : ", ") + value;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// A small EventEmitter for req, res and express apps: what on-finished,
// on-headers, ee-first, raw-body and stream.pipe() call on them, without
// loading hbf:node_events for every request. Listeners live in a lazily made
// map; a listener that throws is logged (the response is already settled).

const kEvents = Symbol("hbf.events");

function listenersOf(target, name, create) {
  let map = target[kEvents];
  if (map === undefined) {
    if (!create) return undefined;
    map = new Map();
    Object.defineProperty(target, kEvents, { value: map, writable: true, configurable: true });
  }
  let list = map.get(name);
  if (list === undefined && create) map.set(name, (list = []));
  return list;
}

function onceWrapper(target, name, fn) {
  const wrapped = function (...args) {
    target.removeListener(name, wrapped);
    return fn.apply(this, args);
  };
  wrapped.listener = fn;
  return wrapped;
}

export const emitterMethods = {
  on(name, fn) {
    if (typeof fn !== "function") throw new TypeError('The "listener" argument must be of type function');
    listenersOf(this, name, true).push(fn);
    return this;
  },
  addListener(name, fn) { return this.on(name, fn); },
  prependListener(name, fn) {
    if (typeof fn !== "function") throw new TypeError('The "listener" argument must be of type function');
    listenersOf(this, name, true).unshift(fn);
    return this;
  },
  once(name, fn) {
    if (typeof fn !== "function") throw new TypeError('The "listener" argument must be of type function');
    return this.on(name, onceWrapper(this, name, fn));
  },
  prependOnceListener(name, fn) { return this.prependListener(name, onceWrapper(this, name, fn)); },
  removeListener(name, fn) {
    const list = listenersOf(this, name, false);
    if (list === undefined) return this;
    for (let i = list.length - 1; i >= 0; i--) {
      if (list[i] === fn || list[i].listener === fn) {
        list.splice(i, 1);
        break;
      }
    }
    return this;
  },
  off(name, fn) { return this.removeListener(name, fn); },
  removeAllListeners(name) {
    const map = this[kEvents];
    if (map !== undefined) {
      if (name === undefined) map.clear();
      else map.delete(name);
    }
    return this;
  },
  listeners(name) { return (listenersOf(this, name, false) ?? []).map((f) => f.listener ?? f); },
  rawListeners(name) { return (listenersOf(this, name, false) ?? []).slice(); },
  listenerCount(name) { return listenersOf(this, name, false)?.length ?? 0; },
  eventNames() { return [...(this[kEvents]?.keys() ?? [])]; },
  setMaxListeners() { return this; },
  getMaxListeners() { return 10; },
  emit(name, ...args) {
    const list = listenersOf(this, name, false);
    if (list === undefined || list.length === 0) {
      if (name === "error") throw args[0] instanceof Error ? args[0] : new Error("Unhandled error. (" + String(args[0]) + ")");
      return false;
    }
    for (const fn of list.slice()) fn.apply(this, args);
    return true;
  },
};

/** Copies the emitter methods onto `proto` (a class prototype or an app function). */
export function addEmitter(proto) {
  for (const key of Object.keys(emitterMethods)) {
    if (Object.hasOwn(proto, key)) continue; // a class's own version (req.on starts the body flowing)
    Object.defineProperty(proto, key, { value: emitterMethods[key], writable: true, configurable: true, enumerable: false });
  }
  return proto;
}

// ---------------------------------------------------------------------------
// Byte ranges and entity tags

/**
 * range-parser (1.2): the ranges of a Range header for a body of `size`
 * bytes: -2 when malformed, -1 when none is satisfiable, else an array of
 * { start, end } (inclusive) with `type` ("bytes"); `combine` merges
 * overlapping and adjacent ranges.
 */
export function parseRange(size, str, options = undefined) {
  if (typeof str !== "string") throw new TypeError("argument str must be a string");
  const index = str.indexOf("=");
  if (index === -1) return -2;
  const arr = str.slice(index + 1).split(",");
  let ranges = [];
  ranges.type = str.slice(0, index);
  for (let i = 0; i < arr.length; i++) {
    const range = arr[i].split("-");
    let start = parseInt(range[0], 10);
    let end = parseInt(range[1], 10);
    if (Number.isNaN(start)) {
      start = size - end;
      end = size - 1;
    } else if (Number.isNaN(end)) {
      end = size - 1;
    }
    if (end > size - 1) end = size - 1;
    if (Number.isNaN(start) || Number.isNaN(end) || start > end || start < 0) continue;
    ranges.push({ start, end, index: i });
  }
  if (ranges.length < 1) return -1;
  if (options && options.combine) {
    const sorted = ranges.slice().sort((a, b) => a.start - b.start);
    const merged = [sorted[0]];
    for (let i = 1; i < sorted.length; i++) {
      const r = sorted[i];
      const last = merged[merged.length - 1];
      if (r.start > last.end + 1) merged.push(r);
      else if (r.end > last.end) {
        last.end = r.end;
        last.index = Math.min(last.index, r.index);
      }
    }
    const type = ranges.type;
    ranges = merged.sort((a, b) => a.index - b.index);
    ranges.type = type;
  }
  for (const r of ranges) delete r.index;
  return ranges;
}

/** The `etag` package over a body (string or bytes): W/"<length hex>-<sha1 base64, 27 chars>". */
export const etagOf = (body, weak = true) => native.etag(body, weak);
