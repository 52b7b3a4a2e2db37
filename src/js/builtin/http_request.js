// hbf:http_request — Express 4 style `req`, and the body parsing dispatch()
// runs before the router (JSON, urlencoded forms, text). Part of hbf:http.

import native from "hbf:native";
import {
  MEDIA_RE, addEmitter, describeError, emitterMethods, extToMime, foldHeaders, isFresh, negotiate, parseCookies,
  parseQuery,
} from "hbf:http_common";

// req[kQueryParser](fn): parse req.query with `fn` (an express app's "query
// parser" setting) instead of the simple parser; still lazily.
export const kQueryParser = Symbol("hbf.queryParser");

// The body as a stream: not started, flowing (data/end scheduled), ended.
const BODY_IDLE = 0;
const BODY_FLOWING = 1;
const BODY_ENDED = 2;

const EMPTY_BODY = new Uint8Array(0);

// raw.hotHeaders: which of the headers the dispatch path itself asks for on
// every request the worker saw (a bit clear: the request has no such header,
// so headerOf need not look).
export const HAS_CONTENT_TYPE = 1;
export const HAS_CONDITIONAL = 2; // If-None-Match or If-Modified-Since
export const HAS_BODY_FRAMING = 4; // Content-Length or Transfer-Encoding (body-parser's hasBody)
// Above the bits: the index in raw.headers of the first Content-Type's
// value (0: none), so a body's type is read without a walk over the list.
const CONTENT_TYPE_AT_SHIFT = 8;

// What few requests touch (the body as a stream, the socket stand-in,
// cookies, the client's spelling of the URL), kept out of every Request's
// own fields until first used.
// (readers that find none use RARE_DEFAULTS; only writers make one)
function newRareState() {
  return {
    sentUrl: undefined,
    cookies: undefined,
    socket: undefined,
    bodyState: BODY_IDLE,
    bodyPaused: false,
    bodyEncoding: null,
    bodyRead: false,
  };
}
const RARE_DEFAULTS = Object.freeze(newRareState());

function userSql(sql, params, fn) {
  if (typeof sql !== "string" || sql.trim() === "") throw new TypeError(`req.db.${fn}(): sql must be a non-empty string`);
  if (params === undefined || params === null) return [];
  if (Array.isArray(params)) return params;
  if (typeof params === "object") {
    const proto = Object.getPrototypeOf(params);
    if (proto === Object.prototype || proto === null) return params;
  }
  throw new TypeError(`req.db.${fn}(): params must be an array (for ?) or a plain object (for :name, @name, $name)`);
}

// The user is the request's (the worker runs one request at a time), so one
// frozen object serves every request.
const USER_DB = Object.freeze({
  query: (sql, params = []) => native.userDbQuery(sql, userSql(sql, params, "query")),
  get: (sql, params = []) => native.userDbGet(sql, userSql(sql, params, "get")),
  execute: (sql, params = []) => native.userDbExecute(sql, userSql(sql, params, "execute")),
});
// (req, lowerCaseName) => string | undefined; set by Request (it reads the
// private header list), used by hbf:http_response too.
export let headerOf;
// (req, HAS_* bit) => false when the request certainly lacks those headers.
export let mayHaveHeader;
// (req) => its Content-Type as headerOf(req, "content-type") says it.
export let contentTypeOf;
// (req) => the client's spelling of req.originalUrl ("/a/%2e%2e/b") while
// that is unchanged, else req.originalUrl: for display only (Express's
// "Cannot GET" page shows what was asked; routing uses the canonical path).
export let sentUrlOf;

// (req) => its rare state, made on first use / RARE_DEFAULTS when none was made.
let stateOf;
let peekOf;

// [[name, value], ...] -> [name, value, ...] (entries that are not pairs left out).
function flatHeaders(list) {
  if (!Array.isArray(list)) return [];
  const out = [];
  for (const pair of list) if (Array.isArray(pair)) out.push(pair[0], pair[1]);
  return out;
}

export class Request {
  // (each private field is a property QuickJS adds to every request: the
  // rarely used state lives in #rare, made on first use)
  #rawHeaders; // [name, value, name, value, ...] as received (Node's rawHeaders)
  #headers = undefined;
  #rawQuery;
  #query = undefined;
  // (an express app's sets its own at each request: a field, not #rare's,
  // or every such request would make its rare state)
  #queryParser = parseQuery;
  #hostname;
  #hot; // raw.hotHeaders, or -1 when the maker of `raw` did not say
  #rare = null; // newRareState(); its sentUrl: [the url as built, the client's spelling of it], when they differ

  // (No private methods or accessors: a class with any gives each new
  // object a brand, one more property to add per request. The helpers that
  // reach the private fields are closures made in the static block:
  // stateOf, peekOf.)

  /** `raw` is the object C++ passes to dispatch() (every field optional here). */
  constructor(raw = {}) {
    // (each field of raw read once: a property lookup each time)
    const rawMethod = raw.method;
    const method = typeof rawMethod === "string" && rawMethod !== "" ? rawMethod : "GET";
    const rawQuery = raw.query;
    let url = raw.url;
    // (charCodeAt: url[0] would make a one-character string)
    if (typeof url !== "string" || url.charCodeAt(0) !== 0x2f) {
      const path = raw.path;
      url = (typeof path === "string" && path !== "" ? path : "/") + (rawQuery ? "?" + rawQuery : "");
    }
    this.method = method;
    this.url = url;
    this.originalUrl = url;
    const sentPath = raw.sentPath;
    if (typeof sentPath === "string" && sentPath.charCodeAt(0) === 0x2f) {
      const q = url.indexOf("?");
      stateOf(this).sentUrl = [url, sentPath + (q === -1 ? "" : url.slice(q))];
    }
    this.baseUrl = "";
    this.params = {};
    this.body = undefined;
    const body = raw.body;
    // (most requests have none: no instanceof walks for them)
    this.rawBody = body === undefined ? EMPTY_BODY
      : body instanceof Uint8Array ? body : body instanceof ArrayBuffer ? new Uint8Array(body) : EMPTY_BODY;
    const ip = raw.ip;
    this.ip = typeof ip === "string" ? ip : "";
    // The request id (X-Request-Id, echoed on the answer and in the logs).
    const id = raw.id;
    this.id = typeof id === "string" ? id : "";
    this.protocol = raw.protocol === "https" ? "https" : "http";
    this.user = raw.user ?? null;
    this.henv = raw.henv ?? null;
    this.route = undefined;
    this.next = undefined;
    this.res = undefined;
    this.app = undefined;
    // C++ (which says hotHeaders) sends the headers flat, one array for all
    // of them; other callers of dispatch() may send [name, value] pairs.
    const hot = raw.hotHeaders;
    if (typeof hot === "number") {
      this.#rawHeaders = raw.headers;
      this.#hot = hot;
    } else {
      this.#rawHeaders = flatHeaders(raw.headers);
      this.#hot = -1;
    }
    if (typeof rawQuery === "string") {
      this.#rawQuery = rawQuery;
    } else {
      const q = url.indexOf("?");
      this.#rawQuery = q === -1 ? "" : url.slice(q + 1);
    }
    const hostname = raw.hostname;
    this.#hostname = typeof hostname === "string" ? hostname : undefined;
  }

  static {
    stateOf = (req) => (req.#rare ??= newRareState());
    peekOf = (req) => req.#rare ?? RARE_DEFAULTS;
    addEmitter(Request.prototype);
    sentUrlOf = (req) => {
      const sent = #rare in req ? peekOf(req).sentUrl : undefined;
      return sent !== undefined && req.originalUrl === sent[0] ? sent[1] : req.originalUrl;
    };
    // One request header by lower-case name without building req.headers
    // (falls back to req.headers once that exists, or for foreign objects).
    headerOf = (req, name) => {
      if (!(#rawHeaders in req) || req.#headers !== undefined) return req.headers?.[name];
      const list = req.#rawHeaders;
      if (!Array.isArray(list)) return undefined;
      for (let i = 0; i + 1 < list.length; i += 2) {
        const k = list[i];
        if (k.length === name.length && (k === name || String(k).toLowerCase() === name)) return String(list[i + 1]);
      }
      return undefined;
    };
    // False when `req` certainly has none of the headers `bit` stands for
    // (HAS_CONTENT_TYPE, HAS_CONDITIONAL); then headerOf need not look.
    mayHaveHeader = (req, bit) => !(#hot in req) || req.#headers !== undefined || (req.#hot & bit) !== 0;
    contentTypeOf = (req) => {
      // (the private list is never handed out: rawHeaders is a copy, and
      // once req.headers exists it is what an app may have changed)
      if (#hot in req && req.#headers === undefined) {
        const hot = req.#hot;
        if (hot >= 0) {
          const at = hot >> CONTENT_TYPE_AT_SHIFT;
          if (at !== 0) return String(req.#rawHeaders[at]);
          if ((hot & HAS_CONTENT_TYPE) === 0) return undefined;
        }
      }
      return headerOf(req, "content-type");
    };
  }

  /**
   * The hbf:db API (query, get, execute) on behalf of this request's user:
   * only the tables the user is granted, only the rows its policies allow
   * (anonymous callers: what the 'anonymous' role is granted). Owners and
   * admins see everything. Plain `db` stays the app's own, trusted access.
   */
  get db() {
    return USER_DB;
  }

  // Express's req.ips is a getter too (the X-Forwarded-For chain under
  // "trust proxy"; here the address is HBF's, so none): a new empty array
  // each time, and no own property made per request. Assigning one keeps it.
  get ips() { return []; }
  set ips(value) { Object.defineProperty(this, "ips", { value, writable: true, configurable: true, enumerable: true }); }

  get headers() {
    return (this.#headers ??= foldHeaders(this.#rawHeaders));
  }
  set headers(value) { this.#headers = value; }

  // Node's req.rawHeaders: [name, value, ...] as the client sent them, names
  // in their own case, repeats kept. A copy, made on first read and kept as
  // an own property (so that changing it changes neither req.headers nor
  // req.get()); assigning one keeps it.
  get rawHeaders() {
    const list = #rawHeaders in this && Array.isArray(this.#rawHeaders) ? this.#rawHeaders.map(String) : [];
    Object.defineProperty(this, "rawHeaders", { value: list, writable: true, configurable: true, enumerable: true });
    return list;
  }
  set rawHeaders(value) {
    Object.defineProperty(this, "rawHeaders", { value, writable: true, configurable: true, enumerable: true });
  }

  get query() {
    if (this.#query !== undefined) return this.#query;
    return (this.#query = this.#queryParser(this.#rawQuery));
  }
  set query(value) { this.#query = value; }

  [kQueryParser](fn) {
    if (this.#queryParser === fn) return;
    this.#queryParser = fn;
    this.#query = undefined;
  }

  /** Express 4's req.param(name, [default]): route params, then body, then query. */
  param(name, defaultValue = undefined) {
    const params = this.params || {};
    const body = this.body || {};
    const query = this.query || {};
    if (params[name] != null && Object.hasOwn(params, name)) return params[name];
    if (body[name] != null) return body[name];
    if (query[name] != null) return query[name];
    return defaultValue;
  }

  /** req.range(size, [{ combine }]): the Range header parsed (range-parser), or undefined when there is none. */
  range(size, options = undefined) {
    const range = this.get("Range");
    if (!range) return undefined;
    return negotiate().parseRange(size, range, options);
  }

  get httpVersion() { return "1.1"; }
  get httpVersionMajor() { return 1; }
  get httpVersionMinor() { return 1; }

  /** A stand-in for the socket: remoteAddress (HBF's client address), encrypted; an emitter that never fires. */
  get socket() {
    const state = stateOf(this);
    if (state.socket === undefined) {
      state.socket = addEmitter({
        remoteAddress: this.ip,
        remotePort: 0,
        remoteFamily: this.ip.includes(":") ? "IPv6" : "IPv4",
        encrypted: this.protocol === "https" ? true : undefined,
        readable: true,
        writable: true,
        destroy() {},
        setTimeout() { return this; },
        setNoDelay() { return this; },
        setKeepAlive() { return this; },
      });
    }
    return state.socket;
  }
  set socket(value) { stateOf(this).socket = value; }
  get connection() { return this.socket; }
  set connection(value) { stateOf(this).socket = value; }

  // --- the body as Node's readable stream (it is already whole: one chunk) ---

  get complete() { return true; }
  get aborted() { return false; }
  get readable() { return peekOf(this).bodyState !== BODY_ENDED; }
  get readableEnded() { return peekOf(this).bodyState === BODY_ENDED; }
  get readableFlowing() {
    const state = peekOf(this);
    return state.bodyState === BODY_FLOWING && !state.bodyPaused;
  }
  get readableEncoding() { return peekOf(this).bodyEncoding; }

  on(name, fn) {
    emitterMethods.on.call(this, name, fn);
    if (name === "data" || name === "readable") this.resume();
    return this;
  }
  addListener(name, fn) { return this.on(name, fn); }

  setEncoding(encoding) {
    stateOf(this).bodyEncoding = encoding === undefined ? "utf8" : String(encoding);
    return this;
  }

  pause() {
    stateOf(this).bodyPaused = true;
    return this;
  }

  isPaused() { return peekOf(this).bodyPaused; }

  resume() {
    const state = stateOf(this);
    state.bodyPaused = false;
    if (state.bodyState === BODY_IDLE) {
      state.bodyState = BODY_FLOWING;
      queueMicrotask(() => flowBody(this));
    }
    return this;
  }

  /** Reads the body once (a Buffer, or a string after setEncoding); then null. */
  read() {
    const state = stateOf(this);
    if (state.bodyRead || state.bodyState === BODY_ENDED) return null;
    state.bodyRead = true;
    if (this.rawBody.length === 0) return null;
    return bodyChunkOf(this);
  }

  pipe(dest, options = undefined) {
    this.on("data", (chunk) => dest.write(chunk));
    if (!options || options.end !== false) this.on("end", () => dest.end());
    if (typeof dest.emit === "function") dest.emit("pipe", this);
    this.resume();
    return dest;
  }

  unpipe() { return this; }

  async *[Symbol.asyncIterator]() {
    const chunk = this.read();
    if (chunk !== null) yield chunk;
    stateOf(this).bodyState = BODY_ENDED;
  }

  get cookies() {
    const state = stateOf(this);
    return (state.cookies ??= parseCookies(this.headers.cookie));
  }
  set cookies(value) { stateOf(this).cookies = value; }

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
    return negotiate().typeIs(headers["content-type"], list);
  }

  /** The best of `types` for the Accept header (extension names allowed), or false. */
  accepts(...types) {
    const list = types.length === 1 && Array.isArray(types[0]) ? types[0] : types;
    const header = this.headers.accept;
    const accepted = negotiate().parseAccept(header === undefined ? "*/*" : header);
    if (list.length === 0) {
      return accepted.filter((a) => a.q > 0).sort((a, b) => b.q - a.q || a.i - b.i).map((a) => a.type + "/" + a.subtype);
    }
    if (!header) return list[0];
    const mimes = list.map((t) => extToMime(t));
    const priorities = [];
    mimes.forEach((m, i) => {
      if (typeof m === "string" && MEDIA_RE.test(m)) priorities.push(negotiate().mediaPriority(m, accepted, i));
    });
    const best = priorities.filter((p) => p.q > 0).sort(negotiate().compareSpecs)[0];
    return best ? list[best.i] : false;
  }

  acceptsCharsets(...c) { return negotiateHeader(this, "accept-charset", c, false); }
  acceptsEncodings(...e) { return negotiateHeader(this, "accept-encoding", e, false); }
  acceptsLanguages(...l) { return negotiateHeader(this, "accept-language", l, true); }
}

// The body as one chunk: a Buffer, or a string after setEncoding().
function bodyChunkOf(req) {
  const b = req.rawBody;
  const buf = globalThis.Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  const encoding = peekOf(req).bodyEncoding;
  return encoding === null ? buf : buf.toString(encoding);
}

// The body's data/end/close events, once flowing (req.resume()).
function flowBody(req) {
  const state = stateOf(req);
  if (state.bodyState !== BODY_FLOWING) return;
  if (state.bodyPaused) {
    // resumed later: flow then
    state.bodyState = BODY_IDLE;
    return;
  }
  try {
    if (req.listenerCount("readable") !== 0 && !state.bodyRead) req.emit("readable");
    if (!state.bodyRead) {
      state.bodyRead = true;
      if (req.rawBody.length !== 0) req.emit("data", bodyChunkOf(req));
    }
    if (state.bodyPaused) {
      state.bodyState = BODY_IDLE;
      return;
    }
    state.bodyState = BODY_ENDED;
    req.emit("end");
    req.emit("close");
  } catch (err) {
    // A listener's throw has no caller to go to (as in Node, it would be uncaught).
    native.log("error", "a req.on('data'/'end') listener threw: " + describeError(err));
  }
}

function negotiateHeader(req, header, offered, isLanguage) {
  const list = offered.length === 1 && Array.isArray(offered[0]) ? offered[0] : offered;
  const value = req.headers[header];
  if (value === undefined) return list.length ? list[0] : ["*"];
  return negotiate().negotiateTokens(value, list, isLanguage);
}

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
  const ct = contentTypeOf(req);
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

