// hbf:http_response — Express 4 style `res`: status, headers, cookies, send/
// json/redirect/render and the rest. Part of hbf:http.

import native from "hbf:native";
import {
  STATUS_CODES, addEmitter, describeError, emitterMethods, escapeHtml, extToMime, hasListeners, httpError,
  lookupType, mayHaveListeners, negotiate, parseTokenList, setUtf8Charset, warn, withCharset,
} from "hbf:http_common";
import { HAS_CONDITIONAL, headerOf, mayHaveHeader } from "hbf:http_request";

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

// Header names a worker has already checked, by their lower-case form: most
// responses set the same few, and the check (a regex run) and toLowerCase
// then cost one lookup. Bounded: past the cap, names are checked each time.
const headerKeys = new Map();
const HEADER_KEYS_CAP = 256;
function headerKey(name) {
  let lc = headerKeys.get(name);
  if (lc !== undefined) return lc;
  if (!HEADER_NAME.test(name)) return undefined;
  lc = name.toLowerCase();
  if (headerKeys.size < HEADER_KEYS_CAP) headerKeys.set(name, lc);
  return lc;
}

function checkHeaderValue(name, v) {
  if (!native.headerValueOk(v)) throw new TypeError(`Invalid character in header content ["${name}"]`);
}
const FIELD_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// C++ owns message framing; these never leave the script.
const FRAMING_HEADERS = new Set(["content-length", "transfer-encoding", "connection", "keep-alive", "upgrade"]);

// What to tell when the response is complete: an object whose finish(res)
// dispatch() (hbf:http) sets on each response.
export const kFinish = Symbol("hbf.finish");

let templatesModule = null; // hbf:templates, imported by the first res.render()
let sender = null; // hbf:http_send, loaded by the first res.sendFile()

// An express app marks itself with this (hbf:express); its settings then
// shape res.json/jsonp/send. Under a plain Router the defaults apply.
const kApp = Symbol.for("hbf.express.app");

function appSettings(res) {
  const app = res.req?.app;
  return app && app[kApp] !== undefined ? app.settings : null;
}

function headersSentError() {
  const err = new Error("Cannot write headers after they are sent to the client");
  err.code = "ERR_HTTP_HEADERS_SENT";
  return err;
}
const VIEW_OPTIONS = ["delimiter", "context", "_with", "rmWhitespace", "strict", "async"];

function toBodyBytes(chunk) {
  if (chunk instanceof Uint8Array) return chunk;
  if (chunk instanceof ArrayBuffer) return new Uint8Array(chunk);
  return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}
const isBytes = (v) => v instanceof ArrayBuffer || ArrayBuffer.isView(v);
// A chunk as kept until the response ends: a string, or bytes as a Uint8Array.
const bodyChunk = (chunk) => (typeof chunk === "string" ? chunk : isBytes(chunk) ? toBodyBytes(chunk) : String(chunk));

// JSON.stringify that writes BigInt values as plain JSON numbers.
function stringifyJson(value, replacer, spaces, escape) {
  const out = stringifyJsonRaw(value, replacer, spaces);
  // Express's "json escape": <, > and & as \u escapes, for JSON inside HTML.
  return escape && typeof out === "string"
    ? out.replace(/[<>&]/g, (c) => (c === "<" ? "\\u003c" : c === ">" ? "\\u003e" : "\\u0026"))
    : out;
}

function stringifyJsonRaw(value, replacer, spaces) {
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

// (res) => the head for a stream / the client left: made in Response's static block.
let startStream;
let clientGone;
// (res) => the response's header Map (lower-case name -> [name, value |
// values]), or null for an object that is not a Response: for C++, which
// reads it as headerList() would (QuickJS patch 0024), without a list made.
export let headerMapOf;

export class Response {
  #headers = new Map(); // lower-case name -> [name as first set, value (string | string[])]
  #chunks = null;
  #body = null;
  // Streaming (res.write() and then a wait): undefined until the first
  // write(); "wanted" once the worker may start a stream, "open" when the
  // head went out and chunks go straight to the connection, "off" when this
  // response cannot stream (HEAD, an upgrade, a synchronous run).
  #stream = undefined;
  #gone = false; // the client left mid-stream

  // `locals`: what res.locals inherits from (a Router's app-level locals),
  // or nothing.
  constructor(req, locals = null) {
    this.req = req;
    this.statusCode = 200;
    this.statusMessage = undefined;
    this.locals = Object.create(locals !== null && typeof locals === "object" ? locals : null);
    this.headersSent = false;
    this.finished = false;
    this[kFinish] = null;
  }

  // (No private methods or accessors: a class with any gives each new
  // object a brand, one more property to add per request. What needs the
  // private fields from outside the methods is made here: headerMapOf,
  // startStream, clientGone.)
  static {
    addEmitter(Response.prototype);
    headerMapOf = (res) => (#headers in res ? res.#headers : null);
    // Called by the worker when the handler waits with this response open:
    // the head and the chunks so far, from here on written to the connection.
    // Null (stays buffered) for a status that carries no body.
    startStream = (res) => {
      const status = Number(res.statusCode);
      if (res.finished || !Number.isInteger(status) || status < 200 || status > 599 || status === 204 || status === 304) {
        res.#stream = "off";
        return null;
      }
      res.#stream = "open";
      const body = joinChunks(res.#chunks);
      res.#chunks = null;
      return { status, headers: res.headerList(), body };
    };
    // The client went away mid-stream: as Node, 'close' (without 'finish').
    clientGone = (res) => {
      if (res.#gone) return;
      res.#gone = true;
      emitSafely(res, "close");
    };
  }

  get writableEnded() { return this.finished; }
  get destroyed() { return this.#gone; }
  get writableFinished() { return this.finished; }

  // --- Node's ServerResponse header API -------------------------------------------

  setHeader(name, value) {
    const lc = typeof name === "string" ? headerKey(name) : undefined;
    if (lc === undefined) throw new TypeError(`Header name must be a valid HTTP token ["${name}"]`);
    if (value === undefined) throw new TypeError(`Invalid value "undefined" for header "${name}"`);
    let v;
    if (Array.isArray(value)) {
      v = value.map(String);
      for (let i = 0; i < v.length; i++) checkHeaderValue(name, v[i]);
    } else {
      v = typeof value === "string" ? value : String(value);
      checkHeaderValue(name, v);
    }
    if (this.headersSent) {
      warn(`res.setHeader("${name}") after the response was sent: ignored`);
      return this;
    }
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

  // (How many arguments, from a rest parameter: a function that reads
  // `arguments` makes that object at each call, ~1.5k instructions in
  // QuickJS; `length` is set back to Express's below the class.)
  set(field, ...rest) {
    if (rest.length !== 0) {
      const value = rest[0];
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

  header(field, ...rest) {
    return rest.length !== 0 ? this.set(field, rest[0]) : this.set(field);
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
    return this.set("Location", negotiate().encodeUrl(loc));
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
    return this.append("Set-Cookie", negotiate().serializeCookie(name, String(val), opts));
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

  redirect(a, ...rest) {
    let status = 302;
    let address = a;
    if (rest.length !== 0) {
      const b = rest[0];
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
    if (appSettings(this) !== null) {
      // An express app: its "views", "view engine" and engines decide (app.render).
      const opts = locals !== null && typeof locals === "object" ? locals : {};
      opts._locals = this.locals;
      return this.req.app.render(String(view), opts, done);
    }
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
      let templates;
      try {
        templates = native.loadBuiltin("hbf:templates");
      } catch (err) {
        return done(err);
      }
      run((templatesModule = templates));
    }
  }

  sendStatus(code) {
    this.statusCode = code;
    this.type("txt");
    return this.send(STATUS_CODES[code] || String(code));
  }

  json(obj) {
    const settings = appSettings(this);
    const body = settings === null ? stringifyJson(obj)
      : stringifyJson(obj, settings["json replacer"], settings["json spaces"], settings["json escape"]);
    if (!this.#headers.has("content-type")) this.#headers.set("content-type", ["Content-Type", "application/json; charset=utf-8"]);
    return this.send(body);
  }

  /** res.jsonp(obj): JSON, or a JavaScript call of the `callback` query parameter (Express's "jsonp callback name"). */
  jsonp(obj) {
    const settings = appSettings(this);
    let body = settings === null ? stringifyJson(obj)
      : stringifyJson(obj, settings["json replacer"], settings["json spaces"], settings["json escape"]);
    let callback = this.req?.query?.[settings?.["jsonp callback name"] ?? "callback"];
    if (!this.get("Content-Type")) {
      this.set("X-Content-Type-Options", "nosniff");
      this.set("Content-Type", "application/json");
    }
    if (Array.isArray(callback)) callback = callback[0];
    if (typeof callback === "string" && callback.length !== 0) {
      this.set("X-Content-Type-Options", "nosniff");
      this.set("Content-Type", "text/javascript");
      callback = callback.replace(/[^[\]\w$.]/g, "");
      if (body === undefined) body = "";
      else if (typeof body === "string") body = body.replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
      // "/**/" against Rosetta Flash, the typeof check against noise, as Express.
      body = "/**/ typeof " + callback + " === 'function' && " + callback + "(" + body + ");";
    }
    return this.send(body);
  }

  /**
   * res.sendFile(path, [options], [callback]): sends the document `path`
   * ("/public/a.png", or relative to options.root) as send does (see
   * hbf:http_send); callback(err) when given, else a missing document goes
   * to next(err) (404, code ENOENT) and a folder to next().
   */
  sendFile(path, options = undefined, callback = undefined) {
    let done = callback;
    let opts = options || {};
    if (!path) throw new TypeError("path argument is required to res.sendFile");
    if (typeof path !== "string") throw new TypeError("path must be a string to res.sendFile");
    if (typeof options === "function") {
      done = options;
      opts = {};
    }
    if (!opts.root && path[0] !== "/") throw new TypeError("path must be absolute or specify root to res.sendFile");
    const next = this.req?.next;
    sender ??= native.loadBuiltin("hbf:http_send");
    sender.sendDocument(this.req, this, path, opts, (err) => {
      if (done) return done(err);
      if (err && err.code === "EISDIR") return next?.();
      if (err) {
        if (typeof next === "function") next(err);
        else throw err;
      }
    });
  }

  /** res.download(path, [filename], [options], [callback]): sendFile as an attachment named `filename` (default: the path's name). */
  download(path, filename = undefined, options = undefined, callback = undefined) {
    let done = callback;
    let name = filename;
    let opts = options || null;
    if (typeof filename === "function") {
      done = filename;
      name = null;
      opts = null;
    } else if (typeof options === "function") {
      done = options;
      opts = null;
    }
    if (typeof filename === "object" && filename !== null && (typeof options === "function" || options === undefined)) {
      name = null;
      opts = filename;
    }
    const headers = { "Content-Disposition": contentDisposition(name || path) };
    if (opts && opts.headers) {
      for (const key of Object.keys(opts.headers)) {
        if (key.toLowerCase() !== "content-disposition") headers[key] = opts.headers[key];
      }
    }
    opts = Object.assign({}, opts, { headers });
    const fullPath = !opts.root && path[0] !== "/" ? "/" + path : path;
    return this.sendFile(fullPath, opts, done);
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
    // Express's ETag: of every body sent this way (the "etag" setting; weak
    // by default), unless the handler set its own.
    if (chunk !== null && !this.#headers.has("etag")) {
      const settings = appSettings(this);
      if (settings === null) {
        // (the native etag is a valid header value: no check needed)
        this.#headers.set("etag", ["ETag", native.etag(chunk, true)]);
      } else {
        const generate = settings["etag fn"];
        if (typeof generate === "function") {
          const etag = generate(chunk, typeof chunk === "string" ? "utf8" : undefined);
          if (etag) this.setHeader("ETag", etag);
        }
      }
    }
    const req = this.req;
    if (
      req && typeof req === "object" && mayHaveHeader(req, HAS_CONDITIONAL) &&
      (headerOf(req, "if-none-match") || headerOf(req, "if-modified-since")) && req.fresh
    ) {
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

  /**
   * Node's writeHead(status, [statusMessage], [headers]): fixes the status
   * and headers; from here on headersSent is true. write() and end() call
   * it (through the property, so a wrapper such as on-headers' sees every
   * response: send, json, redirect, render, sendFile, static files).
   * `headers` is an object or a flat [name, value, ...] / [[name, value]...] array.
   */
  writeHead(statusCode, reason, obj) {
    if (this.headersSent) throw headersSentError();
    if (typeof reason !== "string") {
      obj = reason;
      reason = undefined;
    }
    // (an integer: as Number.isInteger, without its global lookup and call)
    const code = typeof statusCode === "number" ? statusCode : Number(statusCode);
    if ((code | 0) !== code || code < 100 || code > 999) {
      const err = new RangeError(`Invalid status code: ${statusCode}`);
      err.code = "ERR_HTTP_INVALID_STATUS_CODE";
      throw err;
    }
    this.statusCode = code;
    if (reason !== undefined) this.statusMessage = reason;
    if (obj === undefined || obj === null) {
      // (most calls: end() fixing the head it was given)
    } else if (Array.isArray(obj)) {
      if (obj.length !== 0 && Array.isArray(obj[0])) for (const [k, v] of obj) this.appendHeader(k, v);
      else for (let i = 0; i + 1 < obj.length; i += 2) this.appendHeader(obj[i], obj[i + 1]);
    } else if (typeof obj === "object") {
      for (const k of Object.keys(obj)) if (obj[k] !== undefined) this.setHeader(k, obj[k]);
    }
    this.headersSent = true;
    return this;
  }

  /** Node's appendHeader: adds a value to a header (a list for repeated ones). */
  appendHeader(name, value) {
    const prev = this.getHeader(name);
    if (prev === undefined) return this.setHeader(name, value);
    return this.setHeader(name, [].concat(prev, value));
  }

  /**
   * Writes a chunk. Chunks are kept until the handler waits (a timer, I/O)
   * or ends the response: a response written and ended in one go goes out
   * whole, with a Content-Length; one still open when its handler waits
   * goes out at once, head and chunks so far, then each chunk as written
   * (chunked). Returns false once the client has gone.
   */
  write(chunk, encoding, cb) {
    if (this.finished) {
      warn("res.write() after the response was sent: ignored");
      return false;
    }
    if (chunk === undefined || chunk === null) throw new TypeError("The \"chunk\" argument must be a string or bytes");
    if (!this.headersSent) this.writeHead(this.statusCode);
    const data = bodyChunk(chunk);
    const done = typeof encoding === "function" ? encoding : cb;
    if (typeof done === "function") queueMicrotask(done);
    if (this.#stream === "open") {
      if (native.streamWrite(data)) return true;
      clientGone(this);
      return false;
    }
    (this.#chunks ??= []).push(data);
    if (this.#stream === undefined) this.#stream = native.streamWanted(() => startStream(this)) ? "wanted" : "off";
    return true;
  }

  end(data, encoding, cb) {
    if (this.finished) {
      warn("res.end() called after the response was sent: ignored");
      return this;
    }
    let done = typeof data === "function" ? data : typeof encoding === "function" ? encoding : cb;
    if (typeof data === "function") data = undefined;
    const hasData = data !== undefined && data !== null;
    if (hasData && this.#chunks === null && this.#stream === undefined) {
      // Written and ended in one go (most responses): it cannot stream, so
      // no stream is offered (write() would ask the worker for one), and
      // the one chunk is the body.
      if (!this.headersSent) this.writeHead(this.statusCode);
      const chunk = bodyChunk(data);
      this.#body = typeof chunk === "string" ? chunk : wholeBuffer(chunk);
    } else {
      if (hasData) this.write(data);
      else if (!this.headersSent) this.writeHead(this.statusCode);
      this.#body = joinChunks(this.#chunks);
    }
    if (this.#stream === "open") native.streamEnd();  // (the body went out as it was written)
    this.#chunks = null;
    this.headersSent = true;
    this.finished = true;
    const onFinish = this[kFinish];
    if (onFinish) onFinish.finish(this);
    // Node emits these once the response is handed to the socket: here it
    // is complete and settled, so listeners (on-finished, loggers) run now.
    if (typeof done === "function") this.once("finish", done);
    if (mayHaveListeners(this)) {
      emitSafely(this, "finish");
      if (!this.#gone) emitSafely(this, "close");
    }
    return this;
  }



  /** The socket stand-in (req.socket): remoteAddress, encrypted, an emitter. */
  get socket() { return this.req?.socket ?? null; }
  set socket(value) { Object.defineProperty(this, "socket", { value, writable: true, configurable: true, enumerable: true }); }
  get connection() { return this.socket; }
  get writable() { return !this.finished; }
  get sendDate() { return true; }
  flushHeaders() { if (!this.headersSent) this.writeHead(this.statusCode); }
  // Node's private pair, used by express-session (and compression): `_header`
  // is truthy once the headers are fixed (Node keeps their text there), and
  // `_implicitHeader()` fixes them as write() would.
  get _header() { return this.headersSent ? "(sent)" : null; }
  _implicitHeader() { if (!this.headersSent) this.writeHead(this.statusCode); }
  setTimeout() { return this; }

  /** The header list C++ writes: [[name, value], ...], repeated names (Set-Cookie) as separate entries. */
  headerList() {
    const out = [];
    // (no destructuring: in QuickJS each destructured pair is an iterator)
    this.#headers.forEach(pushHeader, out);
    return out;
  }

  /** The body as sent: string, Uint8Array or null (valid after end()). */
  get body() { return this.#body; }
}
// (Express's arities, which the rest parameters above changed)
for (const name of ["set", "header", "redirect"]) {
  Object.defineProperty(Response.prototype[name], "length", { value: 2 });
}

// res.emit(name) for the response's own end events, a listener's throw logged.
function emitSafely(res, name) {
  // (our own emitter's count without its call; a replaced one is asked)
  if (res.listenerCount === emitterMethods.listenerCount ? !hasListeners(res, name) : res.listenerCount(name) === 0) {
    return;
  }
  try {
    res.emit(name);
  } catch (err) {
    native.log("error", `a res.on('${name}') listener threw (ignored): ` + describeError(err));
  }
}

// headerList()'s Map.forEach callback (`this`: the list being built).
function pushHeader(entry, lc) {
  if (FRAMING_HEADERS.has(lc)) return;
  const name = entry[0];
  const value = entry[1];
  if (Array.isArray(value)) for (let i = 0; i < value.length; i++) this.push([name, value[i]]);
  else this.push([name, value]);
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

