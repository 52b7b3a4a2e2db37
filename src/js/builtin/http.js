// hbf:http — Express 4 style Request/Response objects and dispatch(), the entry
// point C++ calls for every request that reaches a tenant's router.js.

import * as native from "hbf:native";
import { Router, setLateErrorReporter } from "hbf:router";
import { formDecode, inspect } from "hbf:bootstrap";

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

const warn = (msg) => native.log("warn", msg);

setLateErrorReporter((err) => {
  native.log("error", "error after the request moved on (ignored): " + describeError(err));
});

function describeError(err) {
  try {
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

function withCharset(type) {
  if (HAS_CHARSET.test(type)) return type;
  const semi = type.indexOf(";");
  return TEXTUAL.test(semi === -1 ? type : type.slice(0, semi)) ? type + "; charset=utf-8" : type;
}

// Replaces (or adds) the charset parameter: the body of a string send is UTF-8.
function setUtf8Charset(type) {
  if (type.endsWith("; charset=utf-8")) return type;
  const semi = type.indexOf(";");
  if (semi === -1) return type + "; charset=utf-8";
  const params = type.slice(semi + 1).split(";").map((p) => p.trim()).filter((p) => p !== "" && !/^charset\s*=/i.test(p));
  params.push("charset=utf-8");
  return type.slice(0, semi).trim() + "; " + params.join("; ");
}

// ---------------------------------------------------------------------------
// Content negotiation helpers (accepts / type-is subsets)

const MEDIA_RE = /^\s*([^\s/;]+)\/([^;\s]+)\s*(?:;(.*))?$/;

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

function parseAccept(header) {
  const out = [];
  const parts = header.split(",");
  for (let i = 0; i < parts.length; i++) {
    const r = parseMediaRange(parts[i].trim(), i);
    if (r) out.push(r);
  }
  return out;
}

function mediaPriority(type, accepted, index) {
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

const compareSpecs = (a, b) => b.q - a.q || b.s - a.s || a.o - b.o || a.i - b.i;

function extToMime(t) {
  return t.indexOf("/") === -1 ? lookupType(t) : t;
}

// Simple token negotiation (charsets, encodings, languages).
function negotiateTokens(header, offered, isLanguage) {
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

function parseTokenList(str) {
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

function isFresh(reqHeaders, etag, lastModified) {
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

function foldHeaders(list) {
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
// Request

const EMPTY_BODY = new Uint8Array(0);
let headerOf; // (req, lowerCaseName) => string | undefined

export class Request {
  #rawHeaders;
  #headers = undefined;
  #rawQuery;
  #query = undefined;
  #cookies = undefined;
  #hostname;

  /** `raw` is the object C++ passes to dispatch() (every field optional here). */
  constructor(raw = {}) {
    const method = typeof raw.method === "string" && raw.method !== "" ? raw.method : "GET";
    let url = raw.url;
    if (typeof url !== "string" || url[0] !== "/") {
      url = (typeof raw.path === "string" && raw.path !== "" ? raw.path : "/") + (raw.query ? "?" + raw.query : "");
    }
    this.method = method;
    this.url = url;
    this.originalUrl = url;
    this.baseUrl = "";
    this.params = {};
    this.body = undefined;
    const body = raw.body;
    this.rawBody = body instanceof Uint8Array ? body : body instanceof ArrayBuffer ? new Uint8Array(body) : EMPTY_BODY;
    this.ip = typeof raw.ip === "string" ? raw.ip : "";
    this.ips = [];
    this.protocol = raw.protocol === "https" ? "https" : "http";
    this.user = raw.user ?? null;
    this.henv = raw.henv ?? null;
    this.route = undefined;
    this.next = undefined;
    this.res = undefined;
    this.app = undefined;
    this.#rawHeaders = raw.headers;
    if (typeof raw.query === "string") {
      this.#rawQuery = raw.query;
    } else {
      const q = url.indexOf("?");
      this.#rawQuery = q === -1 ? "" : url.slice(q + 1);
    }
    this.#hostname = typeof raw.hostname === "string" ? raw.hostname : undefined;
  }

  static {
    // One request header by lower-case name without building req.headers
    // (falls back to req.headers once that exists, or for foreign objects).
    headerOf = (req, name) => {
      if (!(#rawHeaders in req) || req.#headers !== undefined) return req.headers?.[name];
      const list = req.#rawHeaders;
      if (!Array.isArray(list)) return undefined;
      for (let i = 0; i < list.length; i++) {
        const k = list[i][0];
        if (k.length === name.length && (k === name || String(k).toLowerCase() === name)) return String(list[i][1]);
      }
      return undefined;
    };
  }

  get headers() {
    return (this.#headers ??= foldHeaders(this.#rawHeaders));
  }
  set headers(value) { this.#headers = value; }

  get query() {
    return (this.#query ??= parseQuery(this.#rawQuery));
  }
  set query(value) { this.#query = value; }

  get cookies() {
    return (this.#cookies ??= parseCookies(this.headers.cookie));
  }
  set cookies(value) { this.#cookies = value; }

  /** The path part of req.url (relative to the mount point inside mounted routers). */
  get path() {
    const url = this.url;
    const q = url.indexOf("?");
    return q === -1 ? url : url.slice(0, q);
  }

  get hostname() {
    if (this.#hostname !== undefined) return this.#hostname;
    const host = this.headers.host;
    if (!host) return undefined;
    const offset = host[0] === "[" ? host.indexOf("]") + 1 : 0;
    const colon = host.indexOf(":", offset);
    return colon !== -1 ? host.slice(0, colon) : host;
  }
  set hostname(value) { this.#hostname = value; }

  get host() { return this.headers.host; }
  get secure() { return this.protocol === "https"; }
  get xhr() { return (this.headers["x-requested-with"] || "").toLowerCase() === "xmlhttprequest"; }

  get subdomains() {
    const hostname = this.hostname;
    if (!hostname || /^[\d.]+$/.test(hostname) || hostname.includes(":")) return [];
    return hostname.split(".").reverse().slice(2);
  }

  get fresh() {
    const method = this.method;
    if (method !== "GET" && method !== "HEAD") return false;
    const res = this.res;
    if (!res) return false;
    const status = res.statusCode;
    if ((status >= 200 && status < 300) || status === 304) {
      return isFresh(this.headers, res.get("ETag"), res.get("Last-Modified"));
    }
    return false;
  }
  get stale() { return !this.fresh; }

  get(name) {
    if (!name) throw new TypeError("name argument is required to req.get");
    if (typeof name !== "string") throw new TypeError("name must be a string to req.get");
    const lc = name.toLowerCase();
    const headers = this.headers;
    if (lc === "referer" || lc === "referrer") return headers.referrer || headers.referer;
    return headers[lc];
  }
  header(name) { return this.get(name); }

  /** type-is: req.is("json"), req.is("html", "text/*"); null when there is no body. */
  is(...types) {
    const list = types.length === 1 && Array.isArray(types[0]) ? types[0] : types;
    const headers = this.headers;
    const cl = headers["content-length"];
    const hasBody = headers["transfer-encoding"] !== undefined || (cl !== undefined && !Number.isNaN(Number(cl))) || this.rawBody.length > 0;
    if (!hasBody) return null;
    return typeIs(headers["content-type"], list);
  }

  /** The best of `types` for the Accept header (extension names allowed), or false. */
  accepts(...types) {
    const list = types.length === 1 && Array.isArray(types[0]) ? types[0] : types;
    const header = this.headers.accept;
    const accepted = parseAccept(header === undefined ? "*/*" : header);
    if (list.length === 0) {
      return accepted.filter((a) => a.q > 0).sort((a, b) => b.q - a.q || a.i - b.i).map((a) => a.type + "/" + a.subtype);
    }
    if (!header) return list[0];
    const mimes = list.map((t) => extToMime(t));
    const priorities = [];
    mimes.forEach((m, i) => {
      if (typeof m === "string" && MEDIA_RE.test(m)) priorities.push(mediaPriority(m, accepted, i));
    });
    const best = priorities.filter((p) => p.q > 0).sort(compareSpecs)[0];
    return best ? list[best.i] : false;
  }

  acceptsCharsets(...c) { return this.#negotiate("accept-charset", c, false); }
  acceptsEncodings(...e) { return this.#negotiate("accept-encoding", e, false); }
  acceptsLanguages(...l) { return this.#negotiate("accept-language", l, true); }

  #negotiate(header, offered, isLanguage) {
    const list = offered.length === 1 && Array.isArray(offered[0]) ? offered[0] : offered;
    const value = this.headers[header];
    if (value === undefined) return list.length ? list[0] : ["*"];
    return negotiateTokens(value, list, isLanguage);
  }
}

// ---------------------------------------------------------------------------
// Response

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const BAD_HEADER_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
const FIELD_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// C++ owns message framing; these never leave the script.
const FRAMING_HEADERS = new Set(["content-length", "transfer-encoding", "connection", "keep-alive", "upgrade"]);

const kFinish = Symbol("hbf.finish");

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

// ---------------------------------------------------------------------------
// Body parsing

function bodyParseError(message, cause) {
  const err = new SyntaxError(message);
  err.status = err.statusCode = 400;
  err.expose = true;
  err.type = "entity.parse.failed";
  if (cause !== undefined) err.cause = cause;
  return err;
}

function decodeText(bytes) {
  const s = native.utf8Decode(bytes, false);
  return s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
}

/** Sets req.body from req.rawBody and the Content-Type; throws a 400 error for malformed JSON. */
export function parseBody(req) {
  const ct = headerOf(req, "content-type");
  if (!ct) return;
  const semi = ct.indexOf(";");
  const type = (semi === -1 ? ct : ct.slice(0, semi)).trim().toLowerCase();
  const bytes = req.rawBody;
  if (type === "application/json" || (type.endsWith("+json") && type.indexOf("/") !== -1)) {
    if (bytes.length === 0) {
      req.body = {};
      return;
    }
    try {
      req.body = JSON.parse(decodeText(bytes));
    } catch (e) {
      throw bodyParseError("invalid JSON body", e);
    }
  } else if (type === "application/x-www-form-urlencoded") {
    req.body = bytes.length === 0 ? {} : parseQuery(decodeText(bytes));
  } else if (type.startsWith("text/")) {
    req.body = bytes.length === 0 ? "" : decodeText(bytes);
  }
}

// ---------------------------------------------------------------------------
// dispatch

function errorInfo(err) {
  const info = { name: "Error", message: "", stack: "" };
  if (err !== null && typeof err === "object") {
    try {
      info.name = String(err.name ?? "Error");
      info.message = String(err.message ?? "");
      info.stack = typeof err.stack === "string" ? err.stack : "";
      const status = typeof err.status === "number" ? err.status : typeof err.statusCode === "number" ? err.statusCode : undefined;
      if (status !== undefined && Number.isInteger(status) && status >= 400 && status < 600) info.status = status;
    } catch {
      info.message = "<error object could not be read>";
    }
  } else {
    try {
      info.message = String(err);
    } catch {
      info.message = "<unprintable thrown value>";
    }
  }
  // (QuickJS stacks are only "    at ..." lines; C++ reads the location from them.)
  if (info.stack === "") info.stack = info.message ? `${info.name}: ${info.message}` : info.name;
  return info;
}

function finishedResult(res) {
  const status = typeof res.statusCode === "string" ? Number(res.statusCode) : res.statusCode;
  if (!Number.isInteger(status) || status < 100 || status > 999) {
    return { handled: true, error: errorInfo(new RangeError(`Invalid status code: ${status}`)) };
  }
  let body = res.body;
  if (status < 200 || status === 204 || status === 304) body = null;
  return { handled: true, status, headers: res.headerList(), body };
}

/**
 * Runs `router` (a Router, or a function (req, res, next)) for the request
 * described by `raw`; the result for C++ is
 *   { handled: true, status, headers, body } | { handled: false[, headers] }
 *   | { handled: true, error: { name, message, stack, status? } }
 * returned as it is when the handler finished synchronously (most do: no
 * promise, no job queue to run), or as a promise of it when the handler is
 * still waiting for something.
 */
export function dispatch(router, raw) {
  let settled = false;
  let result;
  let resolveLater = null;
  const settle = (value) => {
    if (settled) return;
    settled = true;
    if (resolveLater !== null) resolveLater(value);
    else result = value;
  };

  (() => {

    let req;
    let res;
    try {
      req = new Request(raw);
      res = new Response(req);
    } catch (err) {
      settle({ handled: true, error: errorInfo(err) });
      return;
    }
    req.res = res;
    req.app = router;
    if (router !== null && typeof router === "function" && router.locals !== null && typeof router.locals === "object") {
      res.locals = Object.create(router.locals);
    }
    res[kFinish] = () => {
      if (settled) warn("response sent after the request had already completed: ignored");
      else settle(finishedResult(res));
    };

    const done = (err) => {
      if (err && err !== "router" && err !== "route") {
        if (res.finished || settled) {
          native.log("error", "error after the response was sent: " + describeError(err));
          return;
        }
        settle({ handled: true, error: errorInfo(err) });
        return;
      }
      if (res.finished || settled) return;
      const headers = res.headerList();
      settle(headers.length ? { handled: false, headers } : { handled: false });
    };

    let bodyError;
    try {
      parseBody(req);
    } catch (err) {
      bodyError = err;
    }

    try {
      if (router instanceof Router) {
        router.handle(req, res, done, bodyError);
      } else if (typeof router === "function") {
        let ret;
        if (bodyError !== undefined) {
          if (router.length !== 4) return done(bodyError);
          ret = router(bodyError, req, res, done);
        } else {
          ret = router(req, res, done);
        }
        if (ret !== null && typeof ret === "object" && typeof ret.then === "function") {
          ret.then(undefined, (e) => done(e || new Error("Rejected promise")));
        }
      } else if (router !== null && typeof router === "object" && typeof router.handle === "function") {
        if (bodyError !== undefined) done(bodyError);
        else router.handle(req, res, done);
      } else {
        throw new TypeError("router.js must `export default` a Router or a function (req, res, next)");
      }
    } catch (err) {
      done(err);
    }
  })();

  if (settled) return result;
  return new Promise((resolve) => {
    resolveLater = resolve;
  });
}

export default { dispatch, Request, Response, STATUS_CODES };
