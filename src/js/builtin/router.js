// hbf:router — an Express 4 compatible router for QuickJS.
//
// Semantics follow express@4 (lib/router/{index,route,layer}.js and
// path-to-regexp@0.1.x), with two Express 5 behaviours added: a handler that
// returns a rejected promise passes the rejection to next(err), and a router can
// be created with or without `new`. Route patterns are compiled to a RegExp once,
// when first needed (a request that reaches the layer, or a read of its
// `regexp` or `keys`); nothing here compiles a RegExp per request.

import native from "hbf:native";
import { pathToRegExp, decodeParam, startsWithLiteral } from "hbf:router_path";

export { pathToRegExp } from "hbf:router_path";

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

const hasOwn = Object.hasOwn;

// ---------------------------------------------------------------------------
// Route reach: which paths a router could take without running it, for C++
// (JsEngine::NoRouteTakes) to serve a document a GET no layer can take
// without entering JavaScript, as the router would have fallen through to it.

// The leading run of a path's characters before any after which its regex
// is no longer a literal (path-to-regexp tokens ":", "*", "(", "?" and the
// regex syntax a path passes through: \ ) + [ ] { } | ^ $), or before any
// beyond ASCII (past "~": a path with one of those first has no reach).
const LITERAL_RUN_RE = /^[^\\:*()?+[\]{}|^$\u007f-\uffff]*/;

// What of `path` (one string of a layer's) C++ can match without the regex:
// [text, exact], or null when any path may match. A fully literal route path
// matches only itself, with or without one trailing "/" (non-strict; a
// strict one matches one of them: a superset is fine): exact. Otherwise
// every path it matches starts with the literal text before its first
// pattern character, less the character before that one (it may be made
// optional: "/ab?", "/:id?") and any trailing "/". Non-ASCII: null (its case
// folding is the regex's, not ASCII's).
function literalReach(path, exactAllowed) {
  // A "|" outside a group splits the whole regex: "/a|b" matches "/xb".
  if (typeof path !== "string" || path.includes("|")) return null;
  // The leading run of ASCII before the first pattern character (one regex
  // run, not a loop of one-character strings: a new worker's bind computes
  // this for every route it declares).
  const end = LITERAL_RUN_RE.exec(path)[0].length;
  if (end < path.length && path.charCodeAt(end) > 0x7e) return null;
  if (end === path.length && exactAllowed) {
    return [path.endsWith("/") ? path.slice(0, -1) : path, true];
  }
  let prefix = end < path.length ? path.slice(0, Math.max(0, end - 1)) : path;
  while (prefix.endsWith("/")) prefix = prefix.slice(0, -1);
  return prefix === "" ? null : [prefix, false];
}

// The leading whole segments of every path `path` (a layer's string path)
// matches, lower-case and "/"-terminated, once a "/" is appended to that path
// (so that "/a" and "/a/" both start with "/a/"); null when none is certain.
// Taken from the literal run before the first pattern character, less the
// character before that one, which a pattern may make optional ("/a/?b"
// matches "/ab", "/:id?" matches ""), unless it is a "*" (a group of its
// own) or a ":param" without "?" (its "/" or "." is required). Lower-case
// for both case modes: a superset of what a case-sensitive layer matches.
// As [key, needsSegment]: needsSegment when a plain ":param" (no pattern of
// its own, no "*" or "?") follows the key's last "/", whose [^\/]+? then
// needs a character that is not "/" where the key ends (REST apps'
// "/posts/:id" before "/posts").
const PARAM_TOKEN_RE = /^:\w+(\(.*?\))?(\*)?(\?)?/;
function segmentKey(path) {
  if (path.includes("|")) return null;
  const end = LITERAL_RUN_RE.exec(path)[0].length;
  let literal;
  let needsSegment = false;
  if (end === path.length) {
    literal = path;
    while (literal.endsWith("/")) literal = literal.slice(0, -1);
    literal += "/";
  } else {
    const c = path.charCodeAt(end);
    let keepLast = c === 0x2a; /* * */
    if (c === 0x3a /* : */) {
      const param = PARAM_TOKEN_RE.exec(path.slice(end));
      keepLast = param !== null && param[3] === undefined;
      needsSegment = keepLast && param[1] === undefined && param[2] === undefined && path.charCodeAt(end - 1) === 0x2f;
    }
    literal = path.slice(0, keepLast ? end : end - 1);
  }
  if (literal.charCodeAt(0) !== 0x2f) return null;
  const last = literal.lastIndexOf("/");
  return last > 0 ? [literal.slice(0, last + 1).toLowerCase(), needsSegment] : null;
}

// `text`'s prefix through its (depth + 1)th "/" (text: a request path,
// lower-cased, "/" appended): compared with a layer's key. "" when it has
// fewer or does not start with one (no key is "").
function pathPrefix(text, depth) {
  if (text.charCodeAt(0) !== 0x2f) return "";
  let at = 0;
  for (let d = 0; d < depth; d++) {
    at = text.indexOf("/", at + 1);
    if (at === -1) return "";
  }
  return text.slice(0, at + 1);
}

// Layers built after C++ took a router's reach may change what it takes: C++
// is told, and stops relying on the reach it has (for that code version).
let reachTaken = false;
function routesChanging() {
  if (reachTaken) native.routesChanged();
}

// Middleware that neither answers, fails, nor runs the app's code for a GET
// or HEAD without a body (no Content-Length, no Transfer-Encoding: the only
// requests C++ serves past the router): hbf:express's query and expressInit,
// and the body parsers. A path only they match is still not taken.
export const kPassive = Symbol("hbf.router.passive");

// A middleware function's own in-place form, for hbf:express's query,
// expressInit and body parsers: fn[kInline](req, res, next) does what fn
// does and returns what fn would pass to next() (undefined to go on, or an
// error) instead of calling it; it never answers, never calls next, never
// changes req.url. A layer mounted at "/" whose handle has one is run
// inside the walk's loop (StackRun.step): no step(), runLayer() and
// invoke() again for each, which were ~280 of the ~300 bytecode operations
// each of those layers cost a request. Express would also set req.params to
// the layer's fresh {} while it runs: none of them reads it, and the next
// layer that runs (or the walk's end) sets it again.
export const kInline = Symbol("hbf.router.inline");

/**
 * The reach of `stack` (a Router's) for GET and HEAD: an array of
 * [text, caseSensitive, exact] (exact: the path is `text`, with or without a
 * trailing "/"; else it starts with `text`), one per path of each layer that
 * may take such a request, or null when some layer may take any path. Marks
 * reach as taken.
 */
export function stackReach(stack) {
  reachTaken = true;
  const out = [];
  for (const layer of stack) {
    const route = layer.route;
    if (route !== undefined) {
      const m = route.methods;
      if (!m._all && !m.get && !m.head) continue;
    } else if (typeof layer.handle === "function" && (layer.handle.length > 3 || layer.handle[kPassive] === true)) {
      // Error handlers run only for an error, and with no layer taking the
      // request none arises (a param is decoded only where a path matched).
      continue;
    }
    const reach = layer.reach;
    if (reach === null) return null;
    for (const [text, exact] of reach) out.push([text, layer.sensitive, exact]);
  }
  return out;
}

// A string path without these compiles to a valid pattern whatever else it
// holds (path-to-regexp's tokens, "." escaped, literal text): it is compiled
// when first needed. A path with one of them (a group, a class, an escape, a
// quantifier that may have nothing to repeat), or an array or RegExp, is
// compiled at once, so a bad pattern throws where it is declared, as in
// Express 4.
const PATTERN_MAY_FAIL_RE = /[()[\]{}\\?+*]/;

// A path-matching stack entry (router.use / router.route).
class Layer {
  constructor(path, options, fn) {
    routesChanging();
    this.handle = fn;
    this.name = fn.name || "<anonymous>";
    // The pattern and its parameter keys (Express 4's layer.regexp and
    // layer.keys, read through the accessors below); null until compiled.
    // A new worker's bind declares every route and most requests reach a
    // few: the compile (a replace() over the path, then the RegExp) was
    // ~9% of what making a worker and its first request cost. Plain
    // fields, not private ones: match() reads them on every request.
    this._regexp = null;
    this._keys = null;
    this._pattern = [path, options];  // until compiled
    if (typeof path !== "string" || PATTERN_MAY_FAIL_RE.test(path)) this._compile();
    this.fastStar = path === "*";
    this.fastSlash = path === "/" && options.end === false;
    // The handle whose kInline form step() may run in its place (fastSlash
    // layers only); compared with this.handle there, so a handle replaced
    // later (an APM wrapper) runs as itself.
    this.inlineOf = this.fastSlash && typeof fn === "function" && typeof fn[kInline] === "function" ? fn : undefined;
    this.route = undefined;
    // What the last match() found (as Express 4's Layer): its params and
    // the matched part of the path, read by the caller at once.
    this.params = undefined;
    this.path = undefined;
    // For stackReach: [text, exact] per path (literalReach), null for any path.
    this.sensitive = !!options.sensitive;
    this.reach = null;
    if (typeof path === "string") {
      if (!this.fastSlash && !this.fastStar) {
        const one = literalReach(path, options.end !== false);
        if (one !== null) this.reach = [one];
      }
    } else if (Array.isArray(path)) {
      const reach = path.flat(Infinity).map((p) => literalReach(p, options.end !== false));
      if (reach.length !== 0 && !reach.includes(null)) this.reach = reach;
    }
    // For match(): a single path's reach, as the text every path the regex
    // matches starts with (lower-case unless case-sensitive) and whether it
    // is the whole path (then at most one "/" may follow). Most layers do
    // not match most requests; this refuses them without running the regex.
    this.literal = null;
    this.exact = false;
    // A literal route (not strict) matches its own spelling, with or
    // without one trailing "/", whole: match() answers those without it.
    this.spelling = null;
    this.spellingSlash = null;
    if (this.reach !== null && this.reach.length === 1) {
      const [text, exact] = this.reach[0];
      this.literal = this.sensitive ? text : text.toLowerCase();
      this.exact = exact;
      if (exact && !options.strict) {
        this.spelling = text;
        this.spellingSlash = text + "/";
      }
    }
    // A refusal cheaper than match() (most layers do not match most
    // requests; an app's routes are walked in order): every path this layer
    // can match, lower-cased and with "/" appended, starts with `key`, its
    // leading whole segments ("/a/b/", `depth` + 1 "/"s; segmentKey). step()
    // compares that with the path's own prefix of as many "/"s. depth 0:
    // none is certain (every request runs match()).
    // needsSegment: a path it can match has, past the key, a character
    // that is not "/".
    this.key = null;
    this.depth = 0;
    this.needsSegment = false;
    const segments = typeof path === "string" ? segmentKey(path) : null;
    if (segments !== null) {
      [this.key, this.needsSegment] = segments;
      this.depth = this.key.split("/").length - 2;
    }
  }

  // Whether `path` matches (Express 4's Layer#match): on a match, the
  // params and the matched part are left in this.params and this.path
  // (no result object per request). Throws on bad %-escapes.
  match(path) {
    if (this.fastSlash) return this.matched({}, "");
    if (this.fastStar) return this.matched({ 0: decodeParam(path) }, path);
    const literal = this.literal;
    if (literal !== null) {
      if (path === this.spelling || path === this.spellingSlash) return this.matched({}, path);
      if (!startsWithLiteral(path, literal, this.exact, this.sensitive)) return false;
    }
    const m = (this._regexp ?? this._compile()).exec(path);
    if (m === null) return false;
    const params = {};
    const keys = this._keys;
    for (let i = 1; i < m.length; i++) {
      const prop = keys[i - 1] ? keys[i - 1].name : i - 1;
      const val = decodeParam(m[i]);
      if (val !== undefined || !hasOwn(params, prop)) params[prop] = val;
    }
    return this.matched(params, m[0]);
  }

  matched(params, path) {
    this.params = params;
    this.path = path;
    return true;
  }

  _compile() {
    const [path, options] = this._pattern;
    const keys = [];
    this._regexp = pathToRegExp(path, keys, options);
    this._keys = keys;
    this._pattern = undefined;
    return this._regexp;
  }

  get regexp() { return this._regexp ?? this._compile(); }
  set regexp(value) {
    if (this._regexp === null) this._compile();
    this._regexp = value;
  }
  get keys() { return this._keys ?? (this._compile(), this._keys); }
  set keys(value) {
    if (this._keys === null) this._compile();
    this._keys = value;
  }
}

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
        if (prefix !== layer.key) continue;
        if (layer.needsSegment && !(lower.length > prefix.length && lower.charCodeAt(prefix.length) !== 0x2f)) continue;
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
