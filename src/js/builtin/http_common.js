// hbf:http_common — the HTTP vocabulary hbf:http's Request and Response share:
// status codes, HTTP errors, MIME types, query strings, cookie parsing,
// freshness. Part of hbf:http (which re-exports the public names); pure
// functions apart from logging. What only some requests need (negotiation,
// Set-Cookie, encodeurl, ranges) is hbf:http_negotiate, loaded on first use.

import native from "hbf:native";
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
// Media types (the negotiation itself, type-is and accepts, is
// hbf:http_negotiate's, loaded on first use)

export const MEDIA_RE = /^\s*([^\s/;]+)\/([^;\s]+)\s*(?:;(.*))?$/;

// hbf:http_negotiate, loaded on first call (most requests never negotiate).
export const negotiate = () => native.loadBuiltin("hbf:http_negotiate");

export function extToMime(t) {
  return t.indexOf("/") === -1 ? lookupType(t) : t;
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

// `list`: [name, value, name, value, ...] (Node's rawHeaders).
export function foldHeaders(list) {
  const out = Object.create(null);
  if (!Array.isArray(list)) return out;
  for (let i = 0; i + 1 < list.length; i += 2) {
    const name = String(list[i]).toLowerCase();
    const value = String(list[i + 1]);
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

/**
 * False when `target` certainly has no listener at all: it never had one
 * added through our emitter methods, and its listenerCount is ours (a
 * replaced emitter is asked instead). One look for the common case of a
 * response nobody listens to.
 */
export function mayHaveListeners(target) {
  return target[kEvents] !== undefined || target.listenerCount !== emitterMethods.listenerCount;
}

/** Whether `target` has listeners for `name` (emitterMethods.listenerCount(name) !== 0, without its calls). */
export function hasListeners(target, name) {
  const map = target[kEvents];
  if (map === undefined) return false;
  const list = map.get(name);
  return list !== undefined && list.length !== 0;
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

/** The `etag` package over a body (string or bytes): W/"<length hex>-<sha1 base64, 27 chars>". */
export const etagOf = (body, weak = true) => native.etag(body, weak);
