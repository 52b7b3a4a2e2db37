// hbf:router — an Express 4 compatible router for QuickJS.
//
// Semantics follow express@4 (lib/router/{index,route,layer}.js and
// path-to-regexp@0.1.x), with two Express 5 behaviours added: a handler that
// returns a rejected promise passes the rejection to next(err), and a router can
// be created with or without `new`. Route patterns are compiled to a RegExp once,
// when first needed (a request that reaches the layer, or a read of its
// `regexp` or `keys`); nothing here compiles a RegExp per request.

import native from "hbf:native";
import { Layer, pathPrefix, routesChanging, kInline, layerGeneration } from "hbf:router_layer";

export { pathToRegExp } from "hbf:router_path";
export { kPassive, kInline, stackReach } from "hbf:router_layer";

export const METHODS = Object.freeze([
  "get", "post", "put", "patch", "delete", "head", "options", "trace", "connect",
]);

// Lower-case method names without allocating for the common ones.
const LOWER = {
  __proto__: null,
  GET: "get", POST: "post", PUT: "put", PATCH: "patch", DELETE: "delete",
  HEAD: "head", OPTIONS: "options", TRACE: "trace", CONNECT: "connect",
};
const lowerMethod = (m) => (typeof m === "string" ? LOWER[m] ?? m.toLowerCase() : m);

// How many layers may call next() synchronously before the chain continues in a
// microtask (Express uses setImmediate after 100); bounds native stack depth.
const MAX_SYNC = 50;
const defer = (fn, arg) => { Promise.resolve().then(() => fn(arg)); };

// Calls a handler; a sync throw or a rejected returned promise goes to next(err)
// unless the handler already moved the chain on (then it is only logged).
function invoke(fn, err, req, res, next, state) {
  const seq = state.seq;
  let ret;
  try {
    ret = err === undefined ? fn(req, res, next) : fn(err, req, res, next);
  } catch (e) {
    if (state.seq === seq) next(e || new Error("Thrown " + String(e)));
    else reportLate(e);
    return;
  }
  if (ret !== null && typeof ret === "object" && typeof ret.then === "function") {
    ret.then(undefined, (e) => {
      if (state.seq === seq) next(e || new Error("Rejected promise"));
      else reportLate(e);
    });
  }
}

// Errors thrown by a handler after it already called next() (or after the
// response) have nowhere to go; hbf:http installs a logger here.
let lateErrorReporter = null;
export function setLateErrorReporter(fn) { lateErrorReporter = fn; }
function reportLate(e) {
  if (lateErrorReporter) lateErrorReporter(e);
}

function flatten(list, out = []) {
  for (const item of list) {
    if (Array.isArray(item)) flatten(item, out);
    else out.push(item);
  }
  return out;
}

function typeName(v) {
  if (v === null) return "null";
  const t = typeof v;
  return t !== "object" ? t : Object.prototype.toString.call(v).slice(8, -1);
}

// ---------------------------------------------------------------------------
// Route: one path, handlers per method.

// One request's walk through a Route's handlers. An object with one closure
// (`next`, which handlers receive) rather than a closure per variable: a
// request builds one of these per matched route, and QuickJS closures and
// their captured variables are among its costliest allocations. `seq`
// counts next() calls, for invoke()'s late-error check.
class RouteRun {
  constructor(stack, method, req, res, done) {
    this.stack = stack;
    this.method = method;
    this.req = req;
    this.res = res;
    this.done = done;
    this.idx = 0;
    this.sync = 0;
    this.seq = 0;
    this.next = (err) => this.step(err);
  }

  step(err) {
    this.seq++;
    if (err === "route") return this.done();
    if (err === "router") return this.done(err);
    if (++this.sync > MAX_SYNC) {
      this.sync = 0;
      return defer(this.next, err);
    }
    const stack = this.stack;
    let layer;
    while ((layer = stack[this.idx++]) !== undefined) {
      if (layer.method !== undefined && layer.method !== this.method) continue;
      const fn = layer.handle;
      if (err) {
        if (fn.length !== 4) continue;
        invoke(fn, err, this.req, this.res, this.next, this);
      } else {
        if (fn.length > 3) continue;
        invoke(fn, undefined, this.req, this.res, this.next, this);
      }
      this.sync = 0;
      return;
    }
    this.sync = 0;
    return this.done(err);
  }
}

export class Route {
  constructor(path) {
    this.path = path;
    this.stack = [];
    this.methods = Object.create(null);
  }

  _handlesMethod(method) {
    if (this.methods._all) return true;
    let name = lowerMethod(method);
    if (name === "head" && !this.methods.head) name = "get";
    return Boolean(this.methods[name]);
  }

  _options() {
    const out = [];
    for (const m of Object.keys(this.methods)) if (m !== "_all") out.push(m.toUpperCase());
    if (this.methods.get && !this.methods.head) out.push("HEAD");
    return out;
  }

  // The handlers' method for a request's (HEAD runs GET's unless the route has HEAD's).
  _methodFor(reqMethod) {
    const method = lowerMethod(reqMethod);
    return method === "head" && !this.methods.head ? "get" : method;
  }

  dispatch(req, res, done) {
    const stack = this.stack;
    if (stack.length === 0) return done();
    req.route = this;
    new RouteRun(stack, this._methodFor(req.method), req, res, done).next();
  }

  all(...handlers) { return this._add(undefined, "all", handlers); }

  _add(method, label, handlers) {
    routesChanging();
    for (const fn of flatten(handlers)) {
      if (typeof fn !== "function") {
        throw new TypeError(`Route.${label}() requires a callback function but got a ${typeName(fn)}`);
      }
      this.stack.push({ method, handle: fn });
      this.methods[method ?? "_all"] = true;
    }
    return this;
  }
}
for (const m of METHODS) {
  Route.prototype[m] = function (...handlers) { return this._add(m, m, handlers); };
}

// ---------------------------------------------------------------------------
// Router

/**
 * Creates a router. Works with or without `new`; the router is itself a
 * middleware function `(req, res, next)`, so routers can be mounted in routers.
 */
export function Router(options) {
  const opts = options || {};
  const router = function router(req, res, next) { router.handle(req, res, next); };
  Object.setPrototypeOf(router, new.target ? new.target.prototype : Router.prototype);
  router.params = Object.create(null);
  router.caseSensitive = !!opts.caseSensitive;
  router.mergeParams = !!opts.mergeParams;
  router.strict = !!opts.strict;
  router.stack = [];
  // App-level locals: hbf:http makes this the prototype of res.locals when this
  // router is the one router.js exports.
  router.locals = Object.create(null);
  return router;
}
Object.setPrototypeOf(Router.prototype, Function.prototype);

const proto = Router.prototype;

proto.param = function param(name, fn) {
  if (typeof name !== "string" || name.length === 0) throw new TypeError("router.param() name must be a non-empty string");
  if (name[0] === ":") name = name.slice(1);
  if (typeof fn !== "function") throw new TypeError("invalid param() call for " + name + ", got " + fn);
  (this.params[name] ??= []).push(fn);
  return this;
};

proto.use = function use(first, ...rest) {
  let path = "/";
  let callbacks;
  let arg = first;
  while (Array.isArray(arg) && arg.length !== 0) arg = arg[0];
  if (typeof arg !== "function") {
    path = first;
    callbacks = flatten(rest);
  } else {
    callbacks = flatten([first, ...rest]);
  }
  if (callbacks.length === 0) throw new TypeError("Router.use() requires a middleware function");
  for (const fn of callbacks) {
    if (typeof fn !== "function") {
      throw new TypeError("Router.use() requires a middleware function but got a " + typeName(fn));
    }
    this.stack.push(new Layer(path, { sensitive: this.caseSensitive, strict: false, end: false }, fn));
  }
  return this;
};

proto.route = function route(path) {
  const r = new Route(path);
  // (bound, as Express 4's: the layer's name is "bound dispatch", which
  // route-listing tools look for)
  const layer = new Layer(path, { sensitive: this.caseSensitive, strict: this.strict, end: true }, r.dispatch.bind(r));
  layer.route = r;
  this.stack.push(layer);
  return r;
};

for (const m of [...METHODS, "all"]) {
  proto[m] = function (path, ...handlers) {
    const r = this.route(path);
    r[m](...handlers);
    return this;
  };
}

function mergeParams(params, parent) {
  if (typeof parent !== "object" || !parent) return params;
  const obj = Object.assign({}, parent);
  if (!(0 in params) || !(0 in parent)) return Object.assign(obj, params);
  let i = 0;
  let o = 0;
  while (i in params) i++;
  while (o in parent) o++;
  for (i--; i >= 0; i--) {
    params[i + o] = params[i];
    if (i < o) delete params[i];
  }
  return Object.assign(obj, params);
}

function pathnameOf(url) {
  if (typeof url !== "string") return undefined;
  const q = url.indexOf("?");
  return q === -1 ? url : url.slice(0, q);
}

function sendOptionsResponse(res, methods, run) {
  try {
    const body = methods.join(",");
    res.set("Allow", body);
    res.send(body);
  } catch (err) {
    run.leave(err);
  }
}

/**
 * Runs the stack for (req, res); `out(err)` is called when the request leaves
 * this router (hbf:http passes an object with done(err) instead). `initialError` (an hbf extension) starts the chain in error mode,
 * as if the first middleware had called next(initialError).
 */
proto.handle = function handle(req, res, out, initialError) {
  const run = new StackRun(this, req, res, out);
  req.next = run.next;
  req.baseUrl = run.parentUrl;
  req.originalUrl = req.originalUrl || req.url;
  run.step(initialError);
};

// ---------------------------------------------------------------------------
// A long stack's walk index. Most requests meet one layer of an app's many
// routes, and the walk compares every layer before it with the path (~37
// bytecode operations each refused). For a stack of at least
// INDEX_MIN_LAYERS, the index knows every prefix of the layers' keys
// ("/api/", "/api/users/": a trie of whole segments) and, for each, the next
// layer at or after each position that a path whose deepest such prefix it
// is may reach: the layers keyed by it or by a shorter prefix of it, and
// those with no key (middleware, "/", patterns). A path no key's prefix
// starts may reach only the latter. When step() refuses a keyed layer it
// jumps to the next one the path may reach (a walk that refuses nothing
// never looks).
//
// Nothing is assumed of the stack that is not checked: the index is built
// again when the stack array, its length or the worker's layerGeneration
// (new layers, routes or patterns) changed, and every jump first checks that
// the layers it passes over are the ones it was built from (an app may
// reorder or replace entries of router.stack in place). A layer with no key
// (anything not a hbf:router Layer included) is never jumped over.
const INDEX_MIN_LAYERS = 6;
// A stack whose tables would hold more entries than this walks unindexed
// (a worker's memory is the density budget's: 256 KiB at most per stack).
const INDEX_MAX_ENTRIES = 65536;
// router -> its StackIndex, or the refusals asked about before it is built
// (a WeakMap, not a property: a frozen router is indexed too, and an app's
// view of the router is unchanged)
const stackIndexes = new WeakMap();

class StackIndex {
  constructor(stack) {
    const n = stack.length;
    this.stack = stack;
    this.generation = layerGeneration;
    this.layers = stack.slice();  // (as built: its length is the stack's then)
    // prefix -> Int32Array of jumps (null: not indexed, the walk compares
    // each layer), and the jumps of a path no prefix starts
    this.tables = null;
    this.other = null;
    // the jumps last asked for, and for which path (jumpsFor's)
    this.lastLower = undefined;
    this.lastJumps = null;
    this.depth = 0;  // the deepest key's
    const keys = new Array(n);
    const prefixes = new Set();
    for (let i = 0; i < n; i++) {
      const layer = this.layers[i];
      let key = null;
      if (layer instanceof Layer && layer.depth > 0 && typeof layer.key === "string") {
        key = layer.key;
        // (a path equal to the spelling skips the key's comparison: it must
        // start with the key, or the layer is never jumped over)
        const spelling = layer.spelling;
        if (typeof spelling === "string" && !(spelling.toLowerCase() + "/").startsWith(key)) key = null;
      }
      keys[i] = key;
      if (key === null) continue;
      for (let d = 1; d <= layer.depth; d++) prefixes.add(pathPrefix(key, d));
      if (layer.depth > this.depth) this.depth = layer.depth;
    }
    if (prefixes.size === 0 || (prefixes.size + 1) * (n + 1) > INDEX_MAX_ENTRIES) return;
    const table = (prefix) => {
      const next = new Int32Array(n + 1);
      next[n] = n;
      for (let i = n - 1; i >= 0; i--) {
        const key = keys[i];
        next[i] = key === null || (prefix !== undefined && prefix.startsWith(key)) ? i : next[i + 1];
      }
      return next;
    };
    const tables = new Map();
    for (const prefix of prefixes) tables.set(prefix, table(prefix));
    this.tables = tables;
    this.other = table(undefined);
  }

  // Whether this is `stack`'s index as the stack is now (its entries
  // replaced in place are what jumpFrom() checks).
  isFor(stack) {
    return this.stack === stack && this.layers.length === stack.length && this.generation === layerGeneration;
  }

  // The jumps for a request path `lower` (lower-cased, "/" appended), or
  // null to walk unindexed.
  jumpsFor(lower) {
    const tables = this.tables;
    if (tables === null) return null;
    let jumps = this.other;
    let at = 0;
    for (let d = 1; d <= this.depth; d++) {
      at = lower.indexOf("/", at + 1);
      if (at === -1) break;
      const deeper = tables.get(lower.slice(0, at + 1));
      if (deeper === undefined) break;
      jumps = deeper;
    }
    return jumps;
  }
}

// The index of `router`'s `stack` as it is now, or null when the walk should
// compare each layer: until INDEX_AFTER_REFUSALS refusals were asked about
// (a router made for one request is not worth indexing).
const INDEX_AFTER_REFUSALS = 8;
function stackIndexOf(router, stack) {
  const index = stackIndexes.get(router);
  if (index instanceof StackIndex) {
    if (index.isFor(stack)) return index;
  } else if (index === undefined || index < INDEX_AFTER_REFUSALS) {
    stackIndexes.set(router, (index ?? 0) + 1);
    return null;
  }
  const built = new StackIndex(stack);
  stackIndexes.set(router, built);
  return built;
}

// The router and index jumpFrom() used last (most refusals are a walk's of
// the router the previous one walked): no WeakMap look for them.
let lastRouter = null;
let lastIndex = null;

// One request's walk through a Router's stack (see RouteRun for why an
// object): `next` is what req.next and each layer receive.
class StackRun {
  constructor(router, req, res, out) {
    this.router = router;
    this.stack = router.stack;
    this.req = req;
    this.res = res;
    this.out = out;
    this.idx = 0;
    this.removed = "";
    this.slashAdded = false;
    this.sync = 0;
    this.seq = 0;
    this.paramCalled = null;
    this.options = req.method === "OPTIONS" ? [] : null;
    this.parentParams = req.params;
    this.parentUrl = req.baseUrl || "";
    this.parentNext = req.next;
    this.next = (err) => this.step(err);
  }

  // Where the walk goes on after refusing a keyed layer of a long stack,
  // `idx` being the next one's position: the next layer the request path
  // `lower` (lower-cased, "/" appended) may reach, by the stack's index
  // (StackIndex), or `idx` to walk on unindexed. The index keeps the jumps
  // of the last path it was asked for (most walks refuse more than once,
  // and the next request often has the same path).
  jumpFrom(stack, idx, lower) {
    const router = this.router;
    let index = lastIndex;
    // (index.isFor(stack), written out: this runs at every refusal, and the
    // call cost ~0.4% of a 38-layer app's request)
    if (router !== lastRouter || index === null || index.stack !== stack || index.layers.length !== stack.length ||
        index.generation !== layerGeneration) {
      index = stackIndexOf(router, stack);
      lastRouter = router;
      lastIndex = index;
      if (index === null) return idx;
    }
    let jumps;
    if (index.lastLower === lower) {
      jumps = index.lastJumps;
    } else {
      jumps = index.jumpsFor(lower);
      index.lastLower = lower;
      index.lastJumps = jumps;
    }
    if (jumps === null) return idx;
    const to = jumps[idx];
    // (the layers passed over are those the index was built from, or it is
    // built again at the next walk: entries replaced in place)
    const built = index.layers;
    for (let k = idx; k < to; k++) {
      if (stack[k] !== built[k]) {
        stackIndexes.delete(router);
        lastIndex = null;
        return idx;
      }
    }
    return to;
  }

  done(err) {
    const req = this.req;
    req.baseUrl = this.parentUrl;
    req.next = this.parentNext;
    req.params = this.parentParams;
    const options = this.options;
    if (options !== null && !err && options.length !== 0) {
      sendOptionsResponse(this.res, options, this);
      return;
    }
    this.leave(err);
  }

  // Out of this router: `out` is the caller's next (a function), or, for a
  // Router that hbf:http's dispatch runs itself, its exchange (done(err)):
  // no closure made per request for it.
  leave(err) {
    const out = this.out;
    if (typeof out === "function") out(err);
    else out.done(err);
  }

  step(err) {
    this.seq++;
    let layerError = err === "route" ? null : err;
    const req = this.req;

    if (this.slashAdded) {
      req.url = req.url.slice(1);
      this.slashAdded = false;
    }
    if (this.removed.length !== 0) {
      req.baseUrl = this.parentUrl;
      req.url = this.removed + req.url;
      this.removed = "";
    }
    const stack = this.stack;
    if (layerError === "router") return this.done(null);
    if (this.idx >= stack.length) return this.done(layerError);
    if (++this.sync > MAX_SYNC) {
      this.sync = 0;
      return defer(this.next, err);
    }

    const path = pathnameOf(req.url);
    if (path == null) return this.done(layerError);

    const options = this.options;
    let layer;
    let match = false;
    let route;
    // The path's prefixes compared with layers' keys (Layer: key), made when
    // a layer first needs one: lower-cased once, then through the second and
    // third "/" (most keys are one or two segments). The walk's index stays
    // local through the loop (only a foreign layer's match() calling
    // req.next() could move it meanwhile, which no router supports).
    let lower, prefix1, prefix2;
    let idx = this.idx;
    while (!match && idx < stack.length) {
      layer = stack[idx++];
      const depth = layer.depth;
      if (depth > 0 && path !== layer.spelling) {
        if (lower === undefined) lower = path.toLowerCase() + "/";
        let prefix;
        if (depth === 1) prefix = prefix1 === undefined ? (prefix1 = pathPrefix(lower, 1)) : prefix1;
        else if (depth === 2) prefix = prefix2 === undefined ? (prefix2 = pathPrefix(lower, 2)) : prefix2;
        else prefix = pathPrefix(lower, depth);
        if (prefix !== layer.key ||
            (layer.needsSegment && !(lower.length > prefix.length && lower.charCodeAt(prefix.length) !== 0x2f))) {
          if (stack.length >= INDEX_MIN_LAYERS) idx = this.jumpFrom(stack, idx, lower);
          continue;
        }
      }
      route = layer.route;
      if (route === undefined) {
        const inlineOf = layer.inlineOf;
        if (inlineOf !== undefined && inlineOf === layer.handle) {
          // (in error mode runLayer would pass the error on: arity 3)
          if (layerError) continue;
          this.idx = idx;
          let passed;
          try {
            passed = inlineOf[kInline](req, this.res, this.next);
          } catch (e) {
            passed = e || new Error("Thrown " + String(e));
          }
          if (passed) layerError = passed;
          continue;
        }
      }
      try {
        match = layer.match(path);
      } catch (e) {
        layerError = layerError || e;
        match = false;
        continue;
      }
      if (!match) continue;
      if (!route) continue;
      if (layerError) {
        match = false;
        continue;
      }
      const method = req.method;
      const hasMethod = route._handlesMethod(method);
      if (!hasMethod && options !== null) {
        for (const m of route._options()) if (!options.includes(m)) options.push(m);
      }
      if (!hasMethod && method !== "HEAD") match = false;
    }
    this.idx = idx;

    if (!match) {
      this.sync = 0;
      return this.done(layerError);
    }
    if (route) req.route = route;

    const router = this.router;
    req.params = router.mergeParams ? mergeParams(layer.params, this.parentParams) : layer.params;
    const layerPath = layer.path;

    // (Keys not compiled: the layer matched by its literal spelling, which
    // has no parameters.)
    const keys = layer._keys;
    if (keys === null || keys.length === 0 || !hasParamCallbacks(router.params)) {
      this.runLayer(layer, layerError, layerPath, path, route);
    } else {
      processParams(router.params, layer, (this.paramCalled ??= Object.create(null)), req, this.res, (e) => {
        if (e) this.next(layerError || e);
        else this.runLayer(layer, layerError, layerPath, path, route);
      });
    }
    this.sync = 0;
  }

  runLayer(layer, layerError, layerPath, path, route) {
    const req = this.req;
    if (!route && layerPath.length !== 0) {
      // Only mount at a path-segment boundary.
      if (layerPath !== path.slice(0, layerPath.length)) return this.next(layerError);
      const c = path[layerPath.length];
      if (c && c !== "/" && c !== ".") return this.next(layerError);

      this.removed = layerPath;
      req.url = req.url.slice(layerPath.length);
      if (req.url[0] !== "/") {
        req.url = "/" + req.url;
        this.slashAdded = true;
      }
      req.baseUrl = this.parentUrl + (layerPath[layerPath.length - 1] === "/" ? layerPath.slice(0, -1) : layerPath);
    }
    // A route with one handler for the request's method (most are) runs it
    // directly, with this walk's own next(): what Route.dispatch would do,
    // without a RouteRun and its closure per request. Its next() and
    // next("route") both go on with this stack, next("router") leaves it,
    // next(err) finds no error handler in the route and comes here, and a
    // handler's throw or rejection is caught by invoke() as the route's.
    // (route layers never run in error mode: step() skips them.)
    if (route !== undefined && !layerError) {
      const stack = route.stack;
      if (stack.length === 1) {
        const only = stack[0];
        if (only.handle.length <= 3 && (only.method === undefined || only.method === route._methodFor(req.method))) {
          invoke(only.handle, undefined, req, this.res, this.next, this);
          return;
        }
      }
    }
    const fn = layer.handle;
    if (layerError) {
      if (fn.length !== 4) return this.next(layerError);
      invoke(fn, layerError, req, this.res, this.next, this);
    } else {
      if (fn.length > 3) return this.next();
      invoke(fn, undefined, req, this.res, this.next, this);
    }
  }
}

function hasParamCallbacks(params) {
  for (const _ in params) return true;
  return false;
}

function processParams(callbacks, layer, called, req, res, done) {
  const keys = layer.keys;
  let i = 0;
  let key;
  let paramVal;
  let fns;
  let fnIndex = 0;
  let record;

  const param = (err) => {
    if (err) return done(err);
    if (i >= keys.length) return done();
    fnIndex = 0;
    key = keys[i++];
    paramVal = req.params[key.name];
    fns = callbacks[key.name];
    record = called[key.name];
    if (paramVal === undefined || !fns) return param();
    if (record && (record.match === paramVal || (record.error && record.error !== "route"))) {
      req.params[key.name] = record.value;
      return param(record.error);
    }
    called[key.name] = record = { error: null, match: paramVal, value: paramVal };
    paramCallback();
  };

  const paramCallback = (err) => {
    const fn = fns[fnIndex++];
    record.value = req.params[key.name];
    if (err) {
      record.error = err;
      param(err);
      return;
    }
    if (!fn) return param();
    try {
      const ret = fn(req, res, paramCallback, paramVal, key.name);
      if (ret !== null && typeof ret === "object" && typeof ret.then === "function") {
        ret.then(undefined, (e) => paramCallback(e || new Error("Rejected promise")));
      }
    } catch (e) {
      paramCallback(e);
    }
  };

  param();
}

// WebSockets: router.ws() is hbf:ws's, which replaces this stand-in on
// Router.prototype when it is first called (or hbf:ws imported), so a worker
// whose app has no ws route never evaluates hbf:ws. The symbols mark an
// upgrade request and the ws route that took it; they live here, beside the
// stand-in, so that dispatch (hbf:http) can use them without loading hbf:ws.
export const kUpgrade = Symbol("hbf.ws.upgrade"); // req[kUpgrade]: the socket id of an upgrade request
export const kAccept = Symbol("hbf.ws.accept"); // res[kAccept]: the route key that took it
const wsStandIn = function ws(...args) {
  native.loadBuiltin("hbf:ws");
  if (proto.ws === wsStandIn) throw new Error("hbf:ws did not install router.ws()");
  return proto.ws.apply(this, args);
};
proto.ws = wsStandIn;

export default Router;
