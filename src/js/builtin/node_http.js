// hbf:node_http — Node's `http` module as far as a henv can have it. A henv
// neither listens nor connects: HBF owns the sockets and hands each request
// to the router (_system/router.js), so createServer(), request() and get()
// throw ERR_HBF_UNSUPPORTED saying so. What packages read from `http` works:
// STATUS_CODES, METHODS, maxHeaderSize, validateHeaderName/Value, and the
// classes IncomingMessage (a Readable), OutgoingMessage (a legacy Stream with
// Node's header methods, buffering what is written), ServerResponse and
// Agent, for `instanceof` checks and for middleware that builds on their
// prototypes. The request and response objects HBF's router passes are
// hbf:http's own, not instances of these (Node's methods called on them
// explicitly forward to theirs: see the end of ServerResponse).

import { EventEmitter } from "hbf:node_events";
import { Readable, Stream } from "hbf:node_stream";
import { STATUS_CODES as HBF_STATUS_CODES } from "hbf:http_common";
import { nodeError, invalidArgType } from "hbf:node_errors";
import { nextTick } from "hbf:node_process";
import { Response as HbfResponse } from "hbf:http_response";

export const METHODS = ["ACL", "BIND", "CHECKOUT", "CONNECT", "COPY", "DELETE", "GET", "HEAD", "LINK", "LOCK", "M-SEARCH",
  "MERGE", "MKACTIVITY", "MKCALENDAR", "MKCOL", "MOVE", "NOTIFY", "OPTIONS", "PATCH", "POST", "PROPFIND", "PROPPATCH",
  "PURGE", "PUT", "QUERY", "REBIND", "REPORT", "SEARCH", "SOURCE", "SUBSCRIBE", "TRACE", "UNBIND", "UNLINK", "UNLOCK",
  "UNSUBSCRIBE"];

// A copy: a script changing it must not change hbf:http's reason phrases.
export const STATUS_CODES = { ...HBF_STATUS_CODES };

export const maxHeaderSize = 16384;

function notAvailable(what, why) {
  return nodeError(Error, "ERR_HBF_UNSUPPORTED", `${what} is not available in HBF: ${why}`);
}
const NO_SERVER = "HBF receives the henv's requests and passes them to the router it exports from _system/router.js";
const NO_CLIENT = "scripts cannot open network connections";

// ---------------------------------------------------------------------------
// Header validation (RFC 9110 tokens; values without CR, LF or NUL)

const TOKEN = /^[\^_`a-zA-Z\-0-9!#$%&'*+.|~]+$/;
const INVALID_VALUE_CHAR = /[^\t\x20-\x7e\x80-\xff]/;

export function validateHeaderName(name, label = "Header name") {
  if (typeof name !== "string" || !name || !TOKEN.test(name)) {
    throw nodeError(TypeError, "ERR_INVALID_HTTP_TOKEN", `${label} must be a valid HTTP token ["${name}"]`);
  }
}

export function validateHeaderValue(name, value) {
  if (value === undefined) {
    throw nodeError(TypeError, "ERR_HTTP_INVALID_HEADER_VALUE", `Invalid value "${value}" for header "${name}"`);
  }
  if (INVALID_VALUE_CHAR.test(String(value))) {
    throw nodeError(TypeError, "ERR_INVALID_CHAR", `Invalid character in header content ["${name}"]`);
  }
}

// ---------------------------------------------------------------------------
// IncomingMessage

export function IncomingMessage(socket) {
  if (!(this instanceof IncomingMessage)) return new IncomingMessage(socket);
  Readable.call(this, { autoDestroy: false });
  this.socket = socket ?? null;
  this.httpVersionMajor = null;
  this.httpVersionMinor = null;
  this.httpVersion = null;
  this.complete = false;
  this.rawHeaders = [];
  this.rawTrailers = [];
  this.joinDuplicateHeaders = false;
  this.aborted = false;
  this.upgrade = null;
  this.url = "";
  this.method = null;
  this.statusCode = null;
  this.statusMessage = null;
  this.client = this.socket;
  this._consuming = false;
  this._dumped = false;
  this._headers = null;
  this._trailers = null;
}
Object.setPrototypeOf(IncomingMessage.prototype, Readable.prototype);
Object.setPrototypeOf(IncomingMessage, Readable);

Object.defineProperties(IncomingMessage.prototype, {
  headers: {
    get() {
      if (this._headers === null) this._headers = {};
      return this._headers;
    },
    set(value) {
      this._headers = value;
    },
    enumerable: true,
    configurable: true,
  },
  trailers: {
    get() {
      if (this._trailers === null) this._trailers = {};
      return this._trailers;
    },
    set(value) {
      this._trailers = value;
    },
    enumerable: true,
    configurable: true,
  },
  connection: {
    get() { return this.socket; },
    set(value) { this.socket = value; },
    configurable: true,
  },
});

IncomingMessage.prototype._read = function _read() {};

IncomingMessage.prototype.setTimeout = function setTimeout(msecs, callback) {
  if (typeof callback === "function") this.once("timeout", callback);
  return this;
};

IncomingMessage.prototype._dump = function _dump() {
  if (!this._dumped) {
    this._dumped = true;
    this.removeAllListeners("data");
    this.resume();
  }
};

// ---------------------------------------------------------------------------
// OutgoingMessage / ServerResponse

const kOutHeaders = Symbol("kOutHeaders");

export function OutgoingMessage(options) {
  if (!(this instanceof OutgoingMessage)) return new OutgoingMessage(options);
  Stream.call(this);
  this.outputData = [];
  this.outputSize = 0;
  this.writable = true;
  this.destroyed = false;
  this._last = false;
  this.chunkedEncoding = false;
  this.shouldKeepAlive = true;
  this.maxRequestsOnConnectionReached = false;
  this._defaultKeepAlive = true;
  this.useChunkedEncodingByDefault = true;
  this.sendDate = false;
  this._removedConnection = false;
  this._removedContLen = false;
  this._removedTE = false;
  this.strictContentLength = false;
  this._contentLength = null;
  this._hasBody = true;
  this._trailer = "";
  this.finished = false;
  this._headerSent = false;
  this._closed = false;
  this.socket = null;
  this._header = null;
  this[kOutHeaders] = null;
  this._keepAliveTimeout = 0;
  this._onPendingData = () => {};
}
Object.setPrototypeOf(OutgoingMessage.prototype, Stream.prototype);
Object.setPrototypeOf(OutgoingMessage, Stream);

function headersSentError(what) {
  return nodeError(Error, "ERR_HTTP_HEADERS_SENT", `Cannot ${what} headers after they are sent to the client`);
}

Object.assign(OutgoingMessage.prototype, {
  setHeader(name, value) {
    if (this._header) throw headersSentError("set");
    validateHeaderName(name);
    validateHeaderValue(name, value);
    if (this[kOutHeaders] === null) this[kOutHeaders] = Object.create(null);
    this[kOutHeaders][name.toLowerCase()] = [name, value];
    return this;
  },
  appendHeader(name, value) {
    if (this._header) throw headersSentError("append");
    validateHeaderName(name);
    validateHeaderValue(name, value);
    const key = name.toLowerCase();
    if (this[kOutHeaders] === null) this[kOutHeaders] = Object.create(null);
    const existing = this[kOutHeaders][key];
    if (existing === undefined) {
      this[kOutHeaders][key] = [name, value];
    } else {
      const prev = Array.isArray(existing[1]) ? existing[1] : [existing[1]];
      existing[1] = prev.concat(value);
    }
    return this;
  },
  getHeader(name) {
    if (typeof name !== "string") throw invalidArgType("name", "of type string", name);
    return this[kOutHeaders]?.[name.toLowerCase()]?.[1];
  },
  getHeaders() {
    const out = Object.create(null);
    const headers = this[kOutHeaders];
    if (headers !== null) for (const key of Object.keys(headers)) out[key] = headers[key][1];
    return out;
  },
  getHeaderNames() {
    return this[kOutHeaders] !== null ? Object.keys(this[kOutHeaders]) : [];
  },
  getRawHeaderNames() {
    return this[kOutHeaders] !== null ? Object.values(this[kOutHeaders]).map((h) => h[0]) : [];
  },
  hasHeader(name) {
    if (typeof name !== "string") throw invalidArgType("name", "of type string", name);
    return this[kOutHeaders] !== null && name.toLowerCase() in this[kOutHeaders];
  },
  removeHeader(name) {
    if (typeof name !== "string") throw invalidArgType("name", "of type string", name);
    if (this._header) throw headersSentError("remove");
    if (this[kOutHeaders] !== null) delete this[kOutHeaders][name.toLowerCase()];
  },
  flushHeaders() {
    if (this._header === null) this._header = "";
  },
  setTimeout(msecs, callback) {
    if (typeof callback === "function") this.once("timeout", callback);
    return this;
  },
  cork() {},
  uncork() {},
  // With no socket, what is written stays here (outputData), as Node keeps
  // it until a socket is assigned.
  write(chunk, encoding, callback) {
    if (typeof encoding === "function") {
      callback = encoding;
      encoding = undefined;
    }
    if (this.finished) {
      const err = nodeError(Error, "ERR_STREAM_WRITE_AFTER_END", "write after end");
      if (typeof callback === "function") nextTick(callback, err);
      nextTick(() => this.emit("error", err));
      return false;
    }
    if (chunk === null) throw nodeError(TypeError, "ERR_STREAM_NULL_VALUES", "May not write null values to stream");
    if (typeof chunk !== "string" && !(chunk instanceof Uint8Array)) {
      throw invalidArgType("chunk", "of type string or an instance of Buffer or Uint8Array", chunk);
    }
    this.flushHeaders();
    this._headerSent = true;
    this.outputData.push({ data: chunk, encoding, callback });
    this.outputSize += chunk.length;
    if (typeof callback === "function") nextTick(callback);
    return true;
  },
  end(chunk, encoding, callback) {
    if (typeof chunk === "function") {
      callback = chunk;
      chunk = undefined;
    } else if (typeof encoding === "function") {
      callback = encoding;
      encoding = undefined;
    }
    if (this.finished) {
      if (typeof callback === "function") nextTick(callback);
      return this;
    }
    if (chunk !== undefined && chunk !== null) this.write(chunk, encoding);
    this.flushHeaders();
    this.finished = true;
    this.writable = false;
    if (typeof callback === "function") this.once("finish", callback);
    nextTick(() => {
      this.emit("prefinish");
      this.emit("finish");
    });
    return this;
  },
  destroy(error) {
    if (this.destroyed) return this;
    this.destroyed = true;
    nextTick(() => {
      if (error) this.emit("error", error);
      this._closed = true;
      this.emit("close");
    });
    return this;
  },
});

Object.defineProperties(OutgoingMessage.prototype, {
  headersSent: { get() { return !!this._header; }, configurable: true },
  writableEnded: { get() { return this.finished; }, configurable: true },
  writableFinished: { get() { return this.finished && this.outputData.length === 0; }, configurable: true },
  writableObjectMode: { get() { return false; }, configurable: true },
  writableLength: { get() { return this.outputSize; }, configurable: true },
  writableHighWaterMark: { get() { return 16384; }, configurable: true },
  writableCorked: { get() { return 0; }, configurable: true },
  writableNeedDrain: { get() { return false; }, configurable: true },
  connection: {
    get() { return this.socket; },
    set(value) { this.socket = value; },
    configurable: true,
  },
});

export function ServerResponse(req, options) {
  if (!(this instanceof ServerResponse)) return new ServerResponse(req, options);
  OutgoingMessage.call(this, options);
  this.req = req ?? null;
  if (req?.method === "HEAD") this._hasBody = false;
  this.sendDate = true;
  this._sent100 = false;
  this._expect_continue = false;
  this.statusCode = 200;
  this.statusMessage = undefined;
}
Object.setPrototypeOf(ServerResponse.prototype, OutgoingMessage.prototype);
Object.setPrototypeOf(ServerResponse, OutgoingMessage);

ServerResponse.prototype.writeHead = function writeHead(statusCode, reason, headers) {
  if (this._header) throw headersSentError("write");
  const code = statusCode | 0;
  if (code < 100 || code > 999) {
    throw nodeError(RangeError, "ERR_HTTP_INVALID_STATUS_CODE", `Invalid status code: ${statusCode}`);
  }
  if (typeof reason === "string") {
    this.statusMessage = reason;
  } else {
    this.statusMessage ||= STATUS_CODES[code] || "unknown";
    headers ??= reason;
  }
  this.statusCode = code;
  // As Node: merged into the stored headers only when some were set before;
  // otherwise they go straight to the head and getHeader() does not see them.
  let lines = "";
  const add = (name, value) => {
    validateHeaderName(name);
    validateHeaderValue(name, value);
    for (const v of Array.isArray(value) ? value : [value]) lines += `${name}: ${v}\r\n`;
  };
  const entries = Array.isArray(headers) ? Array.from({ length: headers.length >> 1 }, (_, i) => [headers[2 * i], headers[2 * i + 1]])
    : headers ? Object.entries(headers).filter(([, v]) => v !== undefined) : [];
  if (this[kOutHeaders] !== null) {
    for (const [name, value] of entries) this.setHeader(name, value);
    for (const [name, value] of Object.values(this[kOutHeaders])) add(name, value);
  } else {
    for (const [name, value] of entries) add(name, value);
  }
  this._header = `HTTP/1.1 ${code} ${this.statusMessage}\r\n${lines}\r\n`;
  return this;
};
// HBF's own res is not an instance of these classes, but middleware may call
// Node's methods on it explicitly: the `cookies` package (under
// cookie-session) calls http.OutgoingMessage.prototype.setHeader on an
// Express response. Such calls reach HBF's Response's own methods.
for (const [proto, names] of [
  [OutgoingMessage.prototype, ["setHeader", "appendHeader", "getHeader", "getHeaders", "getHeaderNames", "hasHeader",
    "removeHeader", "flushHeaders", "write", "end"]],
  [ServerResponse.prototype, ["writeHead"]],
]) {
  for (const name of names) {
    const node = proto[name];
    const hbf = HbfResponse.prototype[name];
    Object.defineProperty(proto, name, {
      value: { [name](...args) { return this instanceof HbfResponse ? hbf.apply(this, args) : node.apply(this, args); } }[name],
      writable: true, configurable: true, enumerable: Object.getOwnPropertyDescriptor(proto, name).enumerable,
    });
  }
}

ServerResponse.prototype.writeContinue = function writeContinue(callback) {
  this._sent100 = true;
  if (typeof callback === "function") nextTick(callback);
};
ServerResponse.prototype.writeProcessing = function writeProcessing(callback) {
  if (typeof callback === "function") nextTick(callback);
};
ServerResponse.prototype.writeEarlyHints = function writeEarlyHints(hints, callback) {
  if (typeof callback === "function") nextTick(callback);
};
ServerResponse.prototype.assignSocket = function assignSocket() {
  throw notAvailable("http.ServerResponse.assignSocket()", NO_SERVER);
};
ServerResponse.prototype.detachSocket = function detachSocket() {};

export function ClientRequest() {
  throw notAvailable("http.ClientRequest", NO_CLIENT);
}
Object.setPrototypeOf(ClientRequest.prototype, OutgoingMessage.prototype);
Object.setPrototypeOf(ClientRequest, OutgoingMessage);

// ---------------------------------------------------------------------------
// Agent, Server, and what needs the network

export function Agent(options) {
  if (!(this instanceof Agent)) return new Agent(options);
  EventEmitter.call(this);
  this.defaultPort = 80;
  this.protocol = "http:";
  this.options = { __proto__: null, ...options };
  if (this.options.noDelay === undefined) this.options.noDelay = true;
  this.options.path = null;
  this.requests = Object.create(null);
  this.sockets = Object.create(null);
  this.freeSockets = Object.create(null);
  this.keepAliveMsecs = this.options.keepAliveMsecs || 1000;
  this.keepAlive = this.options.keepAlive || false;
  this.maxSockets = this.options.maxSockets || Agent.defaultMaxSockets;
  this.maxFreeSockets = this.options.maxFreeSockets || 256;
  this.scheduling = this.options.scheduling || "lifo";
  this.maxTotalSockets = this.options.maxTotalSockets ?? Infinity;
  this.totalSocketCount = 0;
}
Object.setPrototypeOf(Agent.prototype, EventEmitter.prototype);
Object.setPrototypeOf(Agent, EventEmitter);
Agent.defaultMaxSockets = Infinity;
Object.assign(Agent.prototype, {
  getName(options = {}) {
    let name = options.host || "localhost";
    name += ":";
    if (options.port) name += options.port;
    name += ":";
    if (options.localAddress) name += options.localAddress;
    if (options.family === 4 || options.family === 6) name += `:${options.family}`;
    return name;
  },
  createConnection() {
    throw notAvailable("http.Agent.createConnection()", NO_CLIENT);
  },
  addRequest() {
    throw notAvailable("http.Agent.addRequest()", NO_CLIENT);
  },
  keepSocketAlive() {
    return false;
  },
  reuseSocket() {},
  destroy() {},
});

export const globalAgent = new Agent();

export function Server() {
  throw notAvailable("http.Server", NO_SERVER);
}
Object.setPrototypeOf(Server.prototype, EventEmitter.prototype);
Object.setPrototypeOf(Server, EventEmitter);

export function createServer() {
  throw notAvailable("http.createServer()", NO_SERVER);
}

export function request() {
  throw notAvailable("http.request()", NO_CLIENT);
}

export function get() {
  throw notAvailable("http.get()", NO_CLIENT);
}

export function setMaxIdleHTTPParsers(max) {}

export default {
  METHODS, STATUS_CODES, Agent, ClientRequest, IncomingMessage, OutgoingMessage, Server, ServerResponse, createServer,
  validateHeaderName, validateHeaderValue, get, request, setMaxIdleHTTPParsers, maxHeaderSize, globalAgent,
};
