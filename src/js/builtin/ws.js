// hbf:ws — WebSockets for router.js.
//
//   router.ws(path, [middleware...], { open(ws, req), message(ws, data, isBinary), close(ws, code, reason) })
//   import { publish } from "hbf:ws";  publish(channel, data) -> sockets reached
//
// An upgrade request runs the router like any GET (middleware first, so one
// that answers 401 refuses the upgrade); the ws route accepts it after its
// `open` returns (or its promise resolves). Sockets hibernate: between
// events no worker is held, and the next event may run on another worker,
// so a socket's state lives in `ws.data` (JSON, at most 64 KiB), which is
// saved after every handler and handed back with the next event. Closures
// and listeners do not survive between events; that is why handlers are
// given up front, per route, rather than registered with ws.on().
// The spec's names on_open(ctx), on_message(ctx, data) and on_close(ctx) are
// accepted too (ctx is the same ws object).

import native from "hbf:native";
import { Router, kUpgrade, kAccept } from "hbf:router";

// Route keys are assigned in registration order, so every worker running
// the same code gives a route the same key (events name it).
const routes = new Map();
let nextRoute = 0;

export { kUpgrade, kAccept };

const isBytes = (v) => v instanceof ArrayBuffer || ArrayBuffer.isView(v);

export class WebSocket {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSING = 2;
  static CLOSED = 3;

  #id;
  constructor(id, data, readyState) {
    this.#id = id;
    this.data = data;
    this.readyState = readyState;
  }

  get id() { return this.#id; }

  /** Sends a text (string) or binary (bytes) message; false when the socket has closed. */
  send(message) {
    if (typeof message !== "string" && !isBytes(message)) {
      if (message === undefined || message === null || typeof message === "function" || typeof message === "symbol") {
        throw new TypeError("ws.send() takes a string, an ArrayBuffer or a typed array");
      }
      message = String(message);
    }
    if (this.readyState >= WebSocket.CLOSING) return false;
    return native.wsSend(this.#id, message);
  }

  /** Starts the closing handshake: code 1000 or 3000-4999, reason at most 123 bytes. */
  close(code = 1000, reason = "") {
    if (this.readyState >= WebSocket.CLOSING) return;
    native.wsClose(this.#id, code, String(reason));
    this.readyState = WebSocket.CLOSING;
  }

  subscribe(channel) { return native.wsSubscribe(this.#id, String(channel)); }
  unsubscribe(channel) { return native.wsUnsubscribe(this.#id, String(channel)); }
  /** As publish(), from this socket's handler (the sender receives it too when subscribed). */
  publish(channel, message) { return publish(channel, message); }
}

/** Sends `message` to every socket of this app subscribed to `channel`; returns how many. */
export function publish(channel, message) {
  if (typeof message !== "string" && !isBytes(message)) {
    if (message === undefined || message === null) throw new TypeError("publish() needs a message");
    message = typeof message === "object" ? JSON.stringify(message) : String(message);
  }
  return native.wsPublish(String(channel), message);
}

function pick(handlers, name) {
  const fn = handlers[name] ?? handlers["on_" + name];
  if (fn !== undefined && typeof fn !== "function") throw new TypeError(`router.ws(): ${name} must be a function`);
  return fn;
}

function saveData(ws) {
  let json = "";
  if (ws.data !== undefined) {
    json = JSON.stringify(ws.data);
    if (json === undefined) json = "";
  }
  native.wsSetData(ws.id, json);
}

const isThenable = (v) => v !== null && (typeof v === "object" || typeof v === "function") && typeof v.then === "function";

/**
 * router.ws(path, [middleware...], handlers): a WebSocket route. Installed
 * on every Router (and so on express apps, which are routers).
 */
Router.prototype.ws = function ws(path, ...rest) {
  const handlers = rest.pop();
  if (handlers === null || typeof handlers !== "object") {
    throw new TypeError("router.ws(path, [middleware...], { open, message, close }) needs a handlers object");
  }
  const hooks = { open: pick(handlers, "open"), message: pick(handlers, "message"), close: pick(handlers, "close") };
  for (const fn of rest.flat(Infinity)) {
    if (typeof fn !== "function") throw new TypeError("router.ws() middleware must be functions");
  }
  const key = `${nextRoute++}:${String(path)}`;
  routes.set(key, { hooks, handlers });

  const accept = (req, res, next) => {
    const socket = req[kUpgrade];
    const ws = new WebSocket(socket, {}, WebSocket.CONNECTING);
    const finish = () => {
      try {
        saveData(ws);
      } catch (err) {
        next(err);
        return;
      }
      res[kAccept] = key;
      res.status(101).end();
    };
    if (hooks.open === undefined) return finish();
    let ret;
    try {
      ret = hooks.open.call(handlers, ws, req);
    } catch (err) {
      return next(err);
    }
    if (isThenable(ret)) ret.then(finish, (err) => next(err || new Error("open() rejected")));
    else finish();
  };
  // Only upgrade requests take this route: a plain GET of the same path
  // skips it (and its middleware) and goes on to the next route.
  const onlyUpgrades = (req, res, next) => next(req[kUpgrade] === undefined ? "route" : undefined);
  this.route(path).get(onlyUpgrades, ...rest, accept);
  return this;
};

/**
 * Runs a socket event (raw.wsEvent from C++): the route's message or close
 * handler. Returns the dispatch result, or a promise of it; throws (or
 * rejects) with the handler's error. { handled: false }: the route is gone
 * (the code changed since the socket opened).
 */
export function runWsEvent(raw) {
  const ev = raw.wsEvent;
  const route = routes.get(ev.route);
  if (route === undefined) return { handled: false };
  let data = {};
  if (ev.data !== "") {
    try {
      data = JSON.parse(ev.data);
    } catch {
      data = {};
    }
  }
  const isClose = ev.type === "close";
  const ws = new WebSocket(ev.socket, data, isClose ? WebSocket.CLOSED : WebSocket.OPEN);
  const done = { handled: true, status: 200, headers: [], body: null };
  const fn = isClose ? route.hooks.close : route.hooks.message;
  if (fn === undefined) return done;
  let ret;
  if (isClose) {
    ret = fn.call(route.handlers, ws, ev.code, ev.reason);
  } else {
    let message = ev.payload;
    if (ev.binary && typeof globalThis.Buffer === "function") {
      message = globalThis.Buffer.from(message.buffer, message.byteOffset, message.byteLength);
    }
    ret = fn.call(route.handlers, ws, message, ev.binary);
  }
  const after = () => {
    if (!isClose) saveData(ws);
    return done;
  };
  if (isThenable(ret)) return Promise.resolve(ret).then(after);
  return after();
}

export default { WebSocket, publish };
