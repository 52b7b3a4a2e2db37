// hbf:http — Express 4 style Request/Response objects and dispatch(), the entry
// point C++ calls for every request that reaches a tenant's router.js.
// Request lives in hbf:http_request, Response in hbf:http_response, what
// they share in hbf:http_common; this module is their public face.

import native from "hbf:native";
import { Router, setLateErrorReporter, stackReach, kUpgrade, kAccept } from "hbf:router";
import { STATUS_CODES, describeError, negotiate, warn } from "hbf:http_common";
import { Request, parseBody } from "hbf:http_request";
import { Response, kFinish, headerMapOf } from "hbf:http_response";

export { STATUS_CODES, httpError, lookupType, parseQuery, parseCookies, escapeHtml } from "hbf:http_common";
// hbf:http_negotiate's, loaded on first call.
export function typeIs(contentType, types) { return negotiate().typeIs(contentType, types); }
export function serializeCookie(name, val, opt = undefined) { return negotiate().serializeCookie(name, val, opt); }
export function encodeUrl(url) { return negotiate().encodeUrl(url); }
export { Request, parseBody } from "hbf:http_request";
export { Response } from "hbf:http_response";

// hbf:express marks its apps with this; dispatch treats them as Express
// does (no body parsed before the app's own parsers, Express's error page,
// its 404 page when HBF has nothing to serve either) without importing it.
const kApp = Symbol.for("hbf.express.app");
const routerHandle = Router.prototype.handle;

setLateErrorReporter((err) => {
  native.log("error", "error after the request moved on (ignored): " + describeError(err));
});

/**
 * For C++ (Worker::Bind, JsEngine::NoRouteTakes): the literal paths and
 * path prefixes `router` (router.js's default export) may take a GET or HEAD
 * at, as [text, caseSensitive, exact] (hbf:router's stackReach), or null when
 * it may take any path (a plain function, middleware for every path, a
 * RegExp route). Layers added later
 * tell C++ through native.routesChanged(). An express app's array has
 * `ownNotFound`: it answers paths nothing took with Express's 404 page.
 */
export function routeReach(router) {
  if (router === null || typeof router !== "function") return null;
  if (router[kApp] !== undefined) {
    const own = router._router;
    const reach = own instanceof Router ? stackReach(own.stack) : own === undefined ? stackReach([]) : null;
    // Express answers a path nothing took with its own 404 page: C++ must
    // still run the app when it has no document there either.
    if (reach !== null) reach.ownNotFound = true;
    return reach;
  }
  return router instanceof Router ? stackReach(router.stack) : null;
}

// ---------------------------------------------------------------------------
// dispatch

// An event on an accepted WebSocket (see hbf:ws): the same result shapes.
function dispatchWsEvent(raw) {
  let ret;
  try {
    // Only a henv with a ws route has sockets: its router loaded hbf:ws.
    ret = native.loadBuiltin("hbf:ws").runWsEvent(raw);
  } catch (err) {
    return { handled: true, error: errorInfo(err) };
  }
  if (ret instanceof Promise) return ret.then(undefined, (err) => ({ handled: true, error: errorInfo(err) }));
  return ret;
}

function errorInfo(err) {
  const info = { name: "Error", message: "", stack: "" };
  if (err !== null && typeof err === "object") {
    try {
      info.name = String(err.name ?? "Error");
      info.message = String(err.message ?? "");
      info.stack = typeof err.stack === "string" ? err.stack : "";
      const status = typeof err.status === "number" ? err.status : typeof err.statusCode === "number" ? err.statusCode : undefined;
      if (status !== undefined && Number.isInteger(status) && status >= 400 && status < 600) info.status = status;
      if (typeof err.code === "string") info.code = err.code;
      // The server's storage refused a write (natives.cpp): 507/503 from C++.
      if (err.storageStatus === 507 || err.storageStatus === 503) info.storageStatus = err.storageStatus;
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

// Errors that are a limit being hit rather than the app's own: C++ answers
// them (504/500/507, logged as limits) whatever the app is.
function isLimitError(err) {
  return err !== null && typeof err === "object" &&
    (err.code === "quota_exceeded" || err.storageStatus === 507 || err.storageStatus === 503 ||
     (err.name === "InternalError" && err.message === "out of memory"));
}

function finishedResult(res) {
  const status = typeof res.statusCode === "string" ? Number(res.statusCode) : res.statusCode;
  // (an integer: Number.isInteger without a global lookup and a call; a
  // non-number is refused before `| 0` could call its valueOf)
  if (typeof status !== "number" || (status | 0) !== status || status < 100 || status > 999) {
    return { handled: true, error: errorInfo(new RangeError(`Invalid status code: ${status}`)) };
  }
  let body = res.body;
  if (status < 200 || status === 204 || status === 304) body = null;
  // A ws route took the upgrade (hbf:ws): C++ switches protocols only then.
  if (status === 101 && res[kAccept] !== undefined) {
    return { handled: true, status, headers: res.headerList(), body: null, websocket: res[kAccept] };
  }
  return { handled: true, status, headers: (headersAsMap ? headerMapOf(res) : null) ?? res.headerList(), body };
}

// Whether the caller of dispatch() takes a finished response's headers as
// the response's own Map (raw.headerMap: C++, whose ReadHeaderMap reads it
// as headerList() would, without that list made per request) rather than
// the [[name, value], ...] list. Set by each dispatch(); a worker runs one
// request at a time, and its caller asks the same way every time.
let headersAsMap = false;

// new.target for Reflect.construct(cls, ...): `target` carrying `proto` as
// its prototype (an express app's app.request or app.response, which the
// app may replace), or `cls` itself when `proto` is not an object.
function targetFor(target, proto, cls) {
  if (proto === null || typeof proto !== "object") return cls;
  if (target.prototype !== proto) target.prototype = proto;
  return target;
}

/**
 * Runs `router` (a Router, or a function (req, res, next)) for the request
 * described by `raw`; the result for C++ is
 *   { handled: true, status, headers, body } | { handled: false[, headers] }
 *   | { handled: true, error: { name, message, stack, status? } }
 * (headers: [[name, value], ...]; a finished response's are its header Map
 * instead when raw.headerMap is true, as C++ asks), returned as it is when
 * the handler finished synchronously (most do: no promise, no job queue to
 * run), or as a promise of it when the handler is still waiting for
 * something.
 */
export function dispatch(router, raw) {
  if (raw.wsEvent !== undefined) return dispatchWsEvent(raw);
  headersAsMap = raw.headerMap === true;
  const exchange = new Exchange();
  exchange.start(router, raw);
  if (exchange.settled) return exchange.result;
  return new Promise((resolve) => {
    exchange.resolveLater = resolve;
  });
}

// One request's way through dispatch(): its result once settled, and how
// the router's way out (done / expressDone) ends it. An object with methods
// rather than a nest of closures: this runs for every request, and QuickJS
// closures (with the variables they capture) cost more to make and collect.
class Exchange {
  constructor() {
    this.settled = false;
    this.result = undefined;
    this.resolveLater = null;
    this.req = undefined;
    this.res = undefined;
    this.express = undefined;
  }

  settle(value) {
    if (this.settled) return;
    this.settled = true;
    if (this.resolveLater !== null) this.resolveLater(value);
    else this.result = value;
  }

  // res.end(): the response is complete (hbf:http_response calls this through res[kFinish]).
  finish(res) {
    if (this.settled) warn("response sent after the request had already completed: ignored");
    else this.settle(finishedResult(res));
  }

  start(router, raw) {
    const isFunction = router !== null && typeof router === "function";
    const express = isFunction ? router[kApp] : undefined;
    this.express = express;
    let req;
    let res;
    try {
      if (express !== undefined && express.requestTarget !== undefined) {
        // Born with the app's own prototypes: expressInit's
        // Object.setPrototypeOf is then a no-op. (In QuickJS a prototype
        // change gives the object a shape of its own, which every property
        // added to it afterwards copies.)
        req = Reflect.construct(Request, [raw], targetFor(express.requestTarget, router.request, Request));
        res = Reflect.construct(Response, [req], targetFor(express.responseTarget, router.response, Response));
      } else {
        req = new Request(raw);
        // (res.locals inherits a Router's app-level locals)
        res = new Response(req, isFunction ? router.locals : null);
      }
    } catch (err) {
      this.settle({ handled: true, error: errorInfo(err) });
      return;
    }
    this.req = req;
    this.res = res;
    req.res = res;
    req.app = router;
    if (raw.websocket !== undefined) req[kUpgrade] = raw.websocket;
    res[kFinish] = this;

    let bodyError;
    if (express === undefined) {
      // (an express app parses bodies with its own middleware, as Express does)
      try {
        parseBody(req);
      } catch (err) {
        bodyError = err;
      }
    }

    try {
      if (express !== undefined) {
        router.handle(req, res, (err) => this.expressDone(err));
      } else if (router instanceof Router) {
        // (hbf:router's own handle calls this.done(err) itself: no closure
        // per request; a handle the app replaced gets a function)
        router.handle(req, res, router.handle === routerHandle ? this : (err) => this.done(err), bodyError);
      } else if (isFunction) {
        const done = (err) => this.done(err);
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
        if (bodyError !== undefined) this.done(bodyError);
        else router.handle(req, res, (err) => this.done(err));
      } else {
        throw new TypeError("router.js must `export default` a Router or a function (req, res, next)");
      }
    } catch (err) {
      if (express !== undefined) this.expressDone(err);
      else this.done(err);
    }
  }

  // The router's way out for a plain Router or function: an error, or
  // "not handled" (with any headers set on the way, for C++ to keep).
  done(err) {
    const res = this.res;
    if (err && err !== "router" && err !== "route") {
      if (res.finished || this.settled) {
        native.log("error", "error after the response was sent: " + describeError(err));
        return;
      }
      this.settle({ handled: true, error: errorInfo(err) });
      return;
    }
    if (res.finished || this.settled) return;
    const headers = res.headerList();
    this.settle(headers.length ? { handled: false, headers } : { handled: false });
  }

  // An express app's way out (Express's finalhandler): an error becomes
  // Express's HTML error page (status from err.status/statusCode, else
  // 500; never the stack), logged as Express logs it; no route is
  // "not handled" with Express's 404 page attached, which C++ answers only
  // when no document or login page answers the path either.
  expressDone(err) {
    if (this.settled) return;
    const { req, res, express } = this;
    if (err && err !== "router" && err !== "route") {
      if (isLimitError(err) || res.finished) return this.done(err);
      // (Express: console.error(err.stack); QuickJS's stack lacks the message)
      native.log("error", describeError(err));
      if (res.headersSent) {
        res.end();
        return;
      }
      const page = express.finalPage(req, res, err);
      for (const h of ["Content-Encoding", "Content-Language", "Content-Range"]) res.removeHeader(h);
      res.statusCode = page.status;
      for (const [k, v] of page.headers) res.setHeader(k, v);
      res.end(page.body);
      return;
    }
    if (res.finished) return;
    if (res.headersSent) {
      res.end();
      return;
    }
    const page = express.finalPage(req, res, undefined);
    const own = res.headerList();
    const pageNames = new Set(page.headers.map(([k]) => k.toLowerCase()));
    const headers = own.filter(([k]) => !pageNames.has(k.toLowerCase())).concat(page.headers);
    this.settle({ handled: false, headers: own, fallback: { status: page.status, headers, body: page.body } });
  }
}

export default { dispatch, Request, Response, STATUS_CODES };
