// hbf:router_layer — hbf:router's Layer: one entry of a Router's stack (a
// path pattern and its handle), what it can match without its regex, and a
// router's reach for C++. Part of hbf:router, which re-exports what apps and
// the other built-ins use (kPassive, kInline, stackReach); Router, Route
// and the walk of a stack (StackRun) are in router.js.

import native from "hbf:native";
import { pathToRegExp, decodeParam, startsWithLiteral } from "hbf:router_path";

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
export function pathPrefix(text, depth) {
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
// `layerGeneration` counts such changes in this worker: a stack's walk index
// (router.js: StackIndex) built at another generation is built again.
let reachTaken = false;
export let layerGeneration = 0;
export function routesChanging() {
  layerGeneration++;
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
export class Layer {
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
    if (value === this._regexp) return;
    this._regexp = value;
    // Another pattern (apps set one Express's paths cannot spell): what the
    // path said it matches no longer holds, so no refusal without the regex
    // (match(), step()) and no reach for C++.
    this.fastSlash = false;
    this.fastStar = false;
    this.inlineOf = undefined;
    this.literal = null;
    this.exact = false;
    this.spelling = null;
    this.spellingSlash = null;
    this.key = null;
    this.depth = 0;
    this.needsSegment = false;
    this.reach = null;
    routesChanging();
  }
  get keys() { return this._keys ?? (this._compile(), this._keys); }
  set keys(value) {
    if (this._keys === null) this._compile();
    this._keys = value;
  }
}
