// hbf:express — Express 4's `express()` on HBF: `import express from
// "express"`, `require("express")` and `import express from "hbf:express"`
// give this module (a henv's own modules/express package does not replace
// it: see README "Express"). The app is Express 4's application (settings,
// engines, locals, render, mounting, param, route) over hbf:router's Router
// and HBF's own req/res (hbf:http), so what a handler sees is what it sees
// under a plain Router plus the app's settings. Differences that come from
// HBF owning the socket: app.listen() only logs and calls back; `trust
// proxy` is accepted but req.ip stays the address HBF decided; env is
// "production" unless process.env.NODE_ENV says otherwise, and error pages
// never show stacks. What answers when nothing in the app did is decided by
// hbf:http's dispatch (HBF's documents first, then Express's 404 page).

import native from "hbf:native";
import { isUnmadeGlobal } from "hbf:bootstrap";
import { Router, Route, kInline, kPassive } from "hbf:router";
// app.ws uses router.ws(), which loads hbf:ws on first use (hbf:router).
import { Request, kQueryParser, sentUrlOf } from "hbf:http_request";
import { Response } from "hbf:http_response";
import { addEmitter, describeError, escapeHtml, etagOf, parseQuery, STATUS_CODES } from "hbf:http_common";
import { encodeUrl } from "hbf:http_negotiate";
import { parse as parseQs } from "hbf:http_qs";
import { json, urlencoded, text, raw } from "hbf:express_body";
import { serveStatic } from "hbf:express_static";

// Marks an express app for hbf:http's dispatch (which must not import this module).
export const kApp = Symbol.for("hbf.express.app");

const METHODS = ["get", "post", "put", "head", "delete", "options", "trace", "copy", "lock", "mkcol", "move",
  "purge", "propfind", "proppatch", "unlock", "report", "mkactivity", "checkout", "merge", "m-search", "notify",
  "subscribe", "unsubscribe", "patch", "search", "connect"];

// ---------------------------------------------------------------------------
// Settings compiled as Express compiles them

function compileETag(val) {
  if (typeof val === "function") return val;
  if (val === true || val === "weak") return (body) => etagOf(body, true);
  if (val === "strong") return (body) => etagOf(body, false);
  if (val === false) return undefined;
  throw new TypeError("unknown value for etag function: " + val);
}

function compileQueryParser(val) {
  if (typeof val === "function") return val;
  if (val === true || val === "simple") return (str) => parseQuery(str);
  if (val === false) return () => ({});
  // (Express 4.22 raised qs's array limit to 1000 for queries)
  if (val === "extended") return (str) => parseQs(str, { allowPrototypes: true, arrayLimit: 1000 });
  throw new TypeError("unknown value for query parser function: " + val);
}

function compileTrust(val) {
  // Accepted for compatibility; HBF decides the client address itself
  // (--trust_proxy), so the function is only what req.ip's docs expect.
  if (typeof val === "function") return val;
  if (val === true) return () => true;
  if (typeof val === "number") return (a, i) => i < val;
  return () => false;
}

// ---------------------------------------------------------------------------
// Views

const extname = (p) => {
  const base = p.slice(p.lastIndexOf("/") + 1);
  const dot = base.lastIndexOf(".");
  return dot <= 0 ? "" : base.slice(dot);
};

function normalizeDoc(p) {
  const parts = [];
  for (const seg of String(p).split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") parts.pop();
    else parts.push(seg);
  }
  return parts.join("/");
}

/** Express's View: the engine by extension and the document found under the views roots. */
export class View {
  constructor(name, options) {
    const opts = options || {};
    this.defaultEngine = opts.defaultEngine;
    this.ext = extname(name);
    this.name = name;
    this.root = opts.root;
    if (!this.ext && !this.defaultEngine) {
      throw new Error("No default engine was specified and no extension was provided.");
    }
    let fileName = name;
    if (!this.ext) {
      this.ext = this.defaultEngine[0] !== "." ? "." + this.defaultEngine : this.defaultEngine;
      fileName += this.ext;
    }
    const engines = opts.engines;
    if (!engines[this.ext]) {
      if (this.ext !== ".ejs") throw new Error(`Cannot find module '${this.ext.slice(1)}' (no engine registered for "${this.ext}" views: use app.engine())`);
      engines[this.ext] = ejsEngine;
    }
    this.engine = engines[this.ext];
    this.path = this.lookup(fileName);
  }

  lookup(name) {
    const roots = [].concat(this.root);
    for (const root of roots) {
      const loc = name[0] === "/" ? normalizeDoc(name) : normalizeDoc(String(root) + "/" + name);
      // views/users.ejs, then views/users/index.ejs
      if (native.documentInfo(loc) != null) return loc;
      const base = loc.slice(0, loc.length - this.ext.length);
      const index = base + "/index" + this.ext;
      if (native.documentInfo(index) != null) return index;
    }
    return undefined;
  }

  render(options, callback) {
    this.engine(this.path, options, callback);
  }
}

const VIEW_OPTIONS = ["delimiter", "context", "_with", "rmWhitespace", "strict", "async", "openDelimiter",
  "closeDelimiter", "localsName"];

// ejs.renderFile(path, data, cb) over hbf:templates (ejs reads its options
// from the data Express passes, as here).
function ejsEngine(path, data, callback) {
  let html;
  try {
    const templates = native.loadBuiltin("hbf:templates");
    const options = {};
    for (const key of VIEW_OPTIONS) if (data[key] !== undefined) options[key] = data[key];
    html = templates.renderDocument(path, data, options);
  } catch (err) {
    return callback(err);
  }
  if (html !== null && typeof html === "object" && typeof html.then === "function") {
    html.then((h) => callback(null, h), (err) => callback(err));
  } else {
    callback(null, html);
  }
}

// ---------------------------------------------------------------------------
// The application prototype

const app = {};
addEmitter(app);

let listenLogged = false;

app.init = function init() {
  this.cache = {};
  this.engines = {};
  this.settings = {};
  this.defaultConfiguration();
};

// process.env.NODE_ENV, without making `process` (hbf:node_process with
// hbf:node_events and hbf:node_errors: ~85 KB of every Express app's
// worker) while nothing has touched it: its env is the henv's env.* config
// rows either way.
function nodeEnv() {
  if (isUnmadeGlobal("process")) {
    const value = native.config()?.["env.NODE_ENV"];
    return value === undefined ? undefined : String(value);
  }
  return globalThis.process?.env?.NODE_ENV;
}

app.defaultConfiguration = function defaultConfiguration() {
  const env = nodeEnv() || "production";
  this.enable("x-powered-by");
  this.set("etag", "weak");
  this.set("env", env);
  this.set("query parser", "extended");
  this.set("subdomain offset", 2);
  this.set("trust proxy", false);
  this.on("mount", function onmount(parent) {
    Object.setPrototypeOf(this.request, parent.request);
    Object.setPrototypeOf(this.response, parent.response);
    Object.setPrototypeOf(this.engines, parent.engines);
    Object.setPrototypeOf(this.settings, parent.settings);
  });
  this.locals = Object.create(null);
  this.mountpath = "/";
  this.locals.settings = this.settings;
  this.set("view", View);
  this.set("views", "views");
  this.set("view engine", "ejs");
  this.set("jsonp callback name", "callback");
  if (env === "production") this.enable("view cache");
};

app.lazyrouter = function lazyrouter() {
  if (this._router) return;
  this._router = new Router({
    caseSensitive: this.enabled("case sensitive routing"),
    strict: this.enabled("strict routing"),
  });
  this._router.use(query(this.get("query parser fn")));
  this._router.use(init(this));
};

/** app.handle(req, res, callback): runs the app's router; `callback` is where the request goes when it leaves. */
app.handle = function handle(req, res, callback) {
  const done = callback || ((err) => finalhandler(req, res, err));
  if (!this._router) return done();
  this._router.handle(req, res, done);
};

app.use = function use(fn, ...rest) {
  let offset = 0;
  let path = "/";
  const args = [fn, ...rest];
  if (typeof fn !== "function") {
    let arg = fn;
    while (Array.isArray(arg) && arg.length !== 0) arg = arg[0];
    if (typeof arg !== "function") {
      offset = 1;
      path = fn;
    }
  }
  const fns = args.slice(offset).flat(Infinity);
  if (fns.length === 0) throw new TypeError("app.use() requires a middleware function");
  this.lazyrouter();
  const router = this._router;
  for (const f of fns) {
    if (!f || !f.handle || !f.set) {
      router.use(path, f);
      continue;
    }
    // A mounted express app: its settings inherit from this one's.
    f.mountpath = path;
    f.parent = this;
    const parentApp = this;
    router.use(path, function mounted_app(req, res, next) {
      const orig = req.app;
      f.handle(req, res, (err) => {
        Object.setPrototypeOf(req, orig?.request ?? parentApp.request);
        Object.setPrototypeOf(res, orig?.response ?? parentApp.response);
        req.app = res.app = orig;
        next(err);
      });
    });
    f.emit("mount", this);
  }
  return this;
};

app.route = function route(path) {
  this.lazyrouter();
  return this._router.route(path);
};

app.engine = function engine(ext, fn) {
  if (typeof fn !== "function") throw new Error("callback function required");
  const extension = ext[0] !== "." ? "." + ext : ext;
  this.engines[extension] = fn;
  return this;
};

app.param = function param(name, fn) {
  this.lazyrouter();
  if (Array.isArray(name)) {
    for (const n of name) this.param(n, fn);
    return this;
  }
  this._router.param(name, fn);
  return this;
};

// (a rest parameter, not `arguments`: see hbf:http_response's res.set)
app.set = function set(setting, ...rest) {
  if (rest.length === 0) return this.settings[setting];
  const val = rest[0];
  this.settings[setting] = val;
  switch (setting) {
    case "etag":
      this.set("etag fn", compileETag(val));
      break;
    case "query parser":
      this.set("query parser fn", compileQueryParser(val));
      break;
    case "trust proxy":
      this.set("trust proxy fn", compileTrust(val));
      break;
  }
  return this;
};
Object.defineProperty(app.set, "length", { value: 2 });  // (Express's arity)

app.path = function path() {
  return this.parent ? this.parent.path() + this.mountpath : "";
};

app.enabled = function enabled(setting) { return Boolean(this.set(setting)); };
app.disabled = function disabled(setting) { return !this.set(setting); };
app.enable = function enable(setting) { return this.set(setting, true); };
app.disable = function disable(setting) { return this.set(setting, false); };

for (const method of METHODS) {
  app[method] = function (path, ...handlers) {
    if (method === "get" && handlers.length === 0) return this.set(path);
    if (typeof Route.prototype[method] !== "function") throw new TypeError(`app.${method}() is not supported by HBF's router`);
    this.lazyrouter();
    this._router.route(path)[method](...handlers);
    return this;
  };
}

/** app.ws(path, [middleware...], { open, message, close }): a WebSocket route (see hbf:ws). */
app.ws = function ws(path, ...rest) {
  this.lazyrouter();
  this._router.ws(path, ...rest);
  return this;
};

app.all = function all(path, ...handlers) {
  this.lazyrouter();
  this._router.route(path).all(...handlers);
  return this;
};

app.render = function render(name, options, callback) {
  let done = callback;
  let opts = options;
  if (typeof options === "function") {
    done = options;
    opts = {};
  }
  opts = opts || {};
  const renderOptions = {};
  Object.assign(renderOptions, this.locals);
  if (opts._locals) for (const k in opts._locals) renderOptions[k] = opts._locals[k];
  Object.assign(renderOptions, opts);
  if (renderOptions.cache == null) renderOptions.cache = this.enabled("view cache");
  let view = renderOptions.cache ? this.cache[name] : undefined;
  if (!view) {
    const ViewClass = this.get("view");
    try {
      view = new ViewClass(name, { defaultEngine: this.get("view engine"), root: this.get("views"), engines: this.engines });
    } catch (err) {
      return done(err);
    }
    if (!view.path) {
      const roots = [].concat(view.root);
      const dirs = roots.length > 1
        ? 'directories "' + roots.slice(0, -1).join('", "') + '" or "' + roots[roots.length - 1] + '"'
        : 'directory "' + view.root + '"';
      const err = new Error('Failed to lookup view "' + name + '" in views ' + dirs);
      err.view = view;
      return done(err);
    }
    if (renderOptions.cache) this.cache[name] = view;
  }
  try {
    view.render(renderOptions, done);
  } catch (err) {
    done(err);
  }
};

app.listen = function listen(...args) {
  if (!listenLogged) {
    listenLogged = true;
    const port = args.length !== 0 && typeof args[0] !== "function" ? String(args[0]) : "";
    native.log("info", `app.listen(${port}) ignored: HBF owns the socket and serves this app on the henv's own host`);
  }
  const cb = args.find((a) => typeof a === "function");
  const server = addEmitter({
    listening: true,
    address: () => null,
    close(fn) {
      if (typeof fn === "function") queueMicrotask(fn);
      return this;
    },
    setTimeout() { return this; },
  });
  if (cb) queueMicrotask(() => cb.call(server));
  return server;
};

// ---------------------------------------------------------------------------
// Built-in middleware (the ones Express's lazyrouter adds)

// Each is a function (req, res, next), as Express's, whose kInline form
// (hbf:router) the router's walk runs in its place.
function query(parser) {
  const inline = parser ? (req) => { req[kQueryParser](parser); } : () => undefined;
  const fn = function query(req, res, next) {
    next(inline(req));
  };
  fn[kPassive] = true;  // a path it alone matches is still not taken (hbf:router's stackReach)
  fn[kInline] = inline;
  return fn;
}

function init(application) {
  const inline = (req, res, next) => {
    // (the setting read as app.enabled() reads it, without its two calls and
    // the arguments object app.set() makes at each)
    if (application.settings["x-powered-by"]) res.setHeader("X-Powered-By", "Express");
    req.res = res;
    res.req = req;
    req.next = next;
    Object.setPrototypeOf(req, application.request);
    Object.setPrototypeOf(res, application.response);
    req.app = res.app = application;
    res.locals = res.locals || Object.create(null);
  };
  const fn = function expressInit(req, res, next) {
    next(inline(req, res, next));
  };
  fn[kPassive] = true;
  fn[kInline] = inline;
  return fn;
}

// ---------------------------------------------------------------------------
// finalhandler: Express's answer when a request leaves the app

function htmlDocument(message) {
  const body = escapeHtml(message).replace(/\n/g, "<br>").replace(/\x20{2}/g, " &nbsp;");
  return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Error</title>\n</head>\n" +
    "<body>\n<pre>" + body + "</pre>\n</body>\n</html>\n";
}

/**
 * The page finalhandler (1.3) answers for `err` (or, with no error, its 404
 * "Cannot GET /path"): { status, headers: [[name, value]...], body }. HBF is
 * always "production": the message is the status text, never the stack.
 */
export function finalPage(req, res, err) {
  let status;
  let headers;
  let message;
  if (err) {
    status = errorStatus(err);
    if (status === undefined) {
      status = res.statusCode;
      if (typeof status !== "number" || status < 400 || status > 599) status = 500;
    } else if (err.headers && typeof err.headers === "object") {
      headers = err.headers;
    }
    message = STATUS_CODES[status] ?? String(status);
  } else {
    status = 404;
    // (what the client asked, as it spelled it: finalhandler shows the raw url)
    const url = sentUrlOf(req) || req.url || "/";
    const q = url.indexOf("?");
    message = "Cannot " + req.method + " " + encodeUrl(q === -1 ? url : url.slice(0, q));
  }
  const out = [];
  if (headers) for (const k of Object.keys(headers)) out.push([k, String(headers[k])]);
  out.push(["Content-Security-Policy", "default-src 'none'"], ["X-Content-Type-Options", "nosniff"],
    ["Content-Type", "text/html; charset=utf-8"]);
  return { status, headers: out, body: req.method === "HEAD" ? "" : htmlDocument(message) };
}

function errorStatus(err) {
  if (typeof err.status === "number" && err.status >= 400 && err.status < 600) return err.status;
  if (typeof err.statusCode === "number" && err.statusCode >= 400 && err.statusCode < 600) return err.statusCode;
  return undefined;
}

// Used only when app.handle() is called without a callback (hbf:http's
// dispatch always passes one): answers the page itself.
function finalhandler(req, res, err) {
  if (err) native.log("error", describeError(err));
  if (res.headersSent) return;
  const page = finalPage(req, res, err);
  for (const h of ["Content-Encoding", "Content-Language", "Content-Range"]) res.removeHeader(h);
  res.statusCode = page.status;
  for (const [k, v] of page.headers) res.setHeader(k, v);
  res.end(page.body);
}

// ---------------------------------------------------------------------------
// express()

export const request = Object.create(Request.prototype);
export const response = Object.create(Response.prototype);

/** express(): a new application (a function (req, res, next) with Express 4's app API). */
export default function createApplication() {
  const application = function (req, res, next) {
    application.handle(req, res, next);
  };
  for (const key of Reflect.ownKeys(app)) {
    Object.defineProperty(application, key, Object.getOwnPropertyDescriptor(app, key));
  }
  application.request = Object.create(request, { app: { configurable: true, enumerable: true, writable: true, value: application } });
  application.response = Object.create(response, { app: { configurable: true, enumerable: true, writable: true, value: application } });
  // What hbf:http makes each request's req and res with (as new.target), so
  // that they are born with this app's prototypes (see Exchange.start).
  const requestTarget = function () {};
  const responseTarget = function () {};
  Object.defineProperty(application, kApp, { value: { finalPage, requestTarget, responseTarget }, configurable: true });
  application.init();
  return application;
}

createApplication.application = app;
createApplication.request = request;
createApplication.response = response;
createApplication.Route = Route;
createApplication.Router = Router;
createApplication.json = json;
createApplication.urlencoded = urlencoded;
createApplication.text = text;
createApplication.raw = raw;
createApplication.static = serveStatic;
createApplication.query = (options) => query(compileQueryParser(options === undefined ? "extended" : options));
createApplication.View = View;

export { createApplication, Router, Route, json, urlencoded, text, raw, serveStatic as static };
