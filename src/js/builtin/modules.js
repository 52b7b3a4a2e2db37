// hbf:modules — the module resolver and CommonJS loader (finding a package's
// or a file's document is hbf:modules_resolve).
//
// One resolver serves both ES `import` (the C++ module loader calls
// `resolve(specifier, referrerId, "import")` through
// globalThis[Symbol.for("hbf.modules")]) and CommonJS `require()`. Module ids
// are document ids ("_system/router.js", "modules/lodash/lodash.js"); Node's
// rules are applied to the henv's documents:
//
// - "node:x" and bare core names ("fs", "path", ...) → the hbf:node_* shims
//   (format "builtin"); "hbf:*" → as is.
// - "./", "../", "/" → relative to the referrer's directory (or the root for
//   "/"): the exact id, then +.js, .mjs, .cjs, .json, then as a directory
//   (package.json "main", then index.js/.mjs/.cjs/.json). A path above the
//   root is refused.
// - "pkg", "pkg/sub", "@scope/pkg/sub" → the package directory: from a
//   file inside modules/, the nearest "node_modules/pkg" walking up its
//   folders (as Node does; several versions of a name coexist this way),
//   else "modules/pkg": package.json "exports" (strings, subpath maps, nested
//   conditions "node"/"import"|"require"/"default", "./*" patterns, null
//   targets) when present; otherwise "module" then "main" for import, "main"
//   for require, then index.js. "#x" → the nearest package.json "imports".
// - format: .mjs esm, .cjs cjs, .json json; .js is esm when the nearest
//   package.json inside the package says "type": "module", else cjs (a .js
//   file of such a package that plainly uses import/export syntax and no
//   CommonJS is taken as esm, as Node 22's syntax detection does). Files
//   outside modules/ (the tenant's own code, router.js included) are esm
//   unless .cjs, or a .js that plainly exports the CommonJS way
//   (module.exports / exports.x =) and has no import/export statement: an
//   Express app ported as it is (`module.exports = app`).
// - require() of an ES module loads it synchronously, as Node 22 does (its
//   namespace; ERR_REQUIRE_ASYNC_MODULE with top-level await).

import native from "hbf:native";
import {
  NODE_ONLY, PACKAGE_ROOT, dirnameOf, exists, joinId, moduleError, nodeModulesPaths, notFound, packageImportsResolve,
  packageResolve, readPackageJson, readText, resolveFileOrDirectory, stripBOM, verb,
} from "hbf:modules_resolve";

// ---------------------------------------------------------------------------
// Built-in (core) modules

// The shims are loaded on first use (native.loadBuiltin evaluates a built-in
// synchronously): a worker whose scripts never require `fs` never pays for it.
// src/js/builtin_specifiers.cpp names the same modules and packages for the
// module loader, which answers an import of one without this resolver.
const BUILTINS = {
  __proto__: null,
  fs: "hbf:node_fs",
  "fs/promises": "hbf:node_fs_promises",
  path: "hbf:node_path",
  "path/posix": "hbf:node_path",
  buffer: "hbf:node_buffer",
  util: "hbf:node_util",
  "util/types": "hbf:node_util_types",
  events: "hbf:node_events",
  timers: "hbf:node_timers",
  "timers/promises": "hbf:node_timers_promises",
  process: "hbf:node_process",
  crypto: "hbf:node_crypto",
  module: "hbf:node_module",
  os: "hbf:node_os",
  url: "hbf:node_url",
  querystring: "hbf:node_querystring",
  string_decoder: "hbf:node_string_decoder",
  assert: "hbf:node_assert",
  "assert/strict": "hbf:node_assert_strict",
  tty: "hbf:node_tty",
  stream: "hbf:node_stream",
  "stream/promises": "hbf:node_stream_promises",
  "stream/consumers": "hbf:node_stream_consumers",
  http: "hbf:node_http",
  perf_hooks: "hbf:node_perf_hooks",
  zlib: "hbf:node_zlib",
};

// Packages HBF builds in (not Node core modules: isBuiltin and
// builtinModules do not list them). The bare name wins over a package of
// the same name under modules/, as a core module does in Node: a henv's
// copy of Express 4 cannot serve (tried with 4.22.3: given zlib and net it
// loads, then its first res.send throws, having moved req/res onto Node's
// socket-backed http prototypes). "express/" (trailing slash) or a subpath
// such as "express/lib/router" still reaches the henv's own package.
const BUILTIN_PACKAGES = {
  __proto__: null,
  express: "hbf:express",
};

const BUILTIN_IDS = new Set([...Object.values(BUILTINS), ...Object.values(BUILTIN_PACKAGES)]);

/** Names `require("module").builtinModules` reports. */
export const builtinModules = Object.keys(BUILTINS).sort();

export function isBuiltin(name) {
  if (typeof name !== "string") return false;
  const bare = name.startsWith("node:") ? name.slice(5) : name;
  return bare in BUILTINS;
}

function builtinExports(id, specifier) {
  if (!BUILTIN_IDS.has(id)) {
    const err = new Error(`require('${specifier}'): ${id} is an ES module built into hbf; load it with import`);
    err.code = "ERR_REQUIRE_ESM";
    throw err;
  }
  return native.loadBuiltin(id).default;
}

// ---------------------------------------------------------------------------
// Formats

const formatCache = new Map();

function packageRootOf(id) {
  // "modules/pkg", "modules/@scope/pkg" or ".../node_modules/pkg" (the
  // innermost) for ids inside a package, else null.
  if (!id.startsWith(PACKAGE_ROOT + "/")) return null;
  const nested = id.lastIndexOf("/node_modules/");
  const base = nested === -1 ? PACKAGE_ROOT.length : nested + "/node_modules".length;
  const parts = id.slice(base + 1).split("/");
  if (parts.length < 2) return null;
  if (parts[0].startsWith("@")) return parts.length >= 3 ? id.slice(0, base + 1) + parts.slice(0, 2).join("/") : null;
  return id.slice(0, base + 1) + parts[0];
}

function packageType(id) {
  const root = packageRootOf(id);
  if (root === null) return null;
  let dir = dirnameOf(id);
  while (dir.length >= root.length) {
    const pjson = readPackageJson(dir);
    if (pjson !== null) return pjson.type === "module" ? "module" : "commonjs";
    if (dir === root) break;
    dir = dirnameOf(dir);
  }
  return "commonjs";
}

const ESM_SYNTAX = /^[ \t]*(?:import[ \t]*(?:[\w$*{]|["'])|export[ \t]*(?:[\w$*{]))/m;
const CJS_SYNTAX = /\bmodule\.exports\b|\bexports\.[\w$]+\s*=|\brequire\s*\(|\b__dirname\b|\b__filename\b/;

function looksLikeEsm(id) {
  const info = native.documentInfo(id);
  if (info == null) return false;
  const stamp = `${info.size}:${info.modified_at}`;
  const cached = formatCache.get(id);
  if (cached !== undefined && cached.stamp === stamp) return cached.esm;
  const text = readText(id) ?? "";
  const source = text.replace(/\/\*[\s\S]*?\*\//g, "");
  const esm = ESM_SYNTAX.test(source) && !CJS_SYNTAX.test(source);
  formatCache.set(id, { stamp, esm });
  return esm;
}

const CJS_EXPORTS = /\bmodule\.exports\b|\bexports\.[\w$]+\s*=/;
// An import/export statement (not "exports.x" or "imports", not import()).
const ESM_STATEMENT = /^[ \t]*(?:import(?:[ \t]+[\w$*{]|[ \t]*[{*"'])|export(?:[ \t]+[\w$*{]|[ \t]*[{*]))/m;

function looksLikeCjs(id) {
  const info = native.documentInfo(id);
  if (info == null) return false;
  const stamp = `${info.size}:${info.modified_at}`;
  const cached = formatCache.get(id);
  if (cached !== undefined && cached.stamp === stamp && cached.cjs !== undefined) return cached.cjs;
  const bytes = native.readDocument(id);
  const source = (bytes == null ? "" : native.utf8Decode(bytes, false)).replace(/\/\*[\s\S]*?\*\//g, "");
  const cjs = CJS_EXPORTS.test(source) && !ESM_STATEMENT.test(source);
  formatCache.set(id, { stamp, cjs });
  return cjs;
}

/** The format of document `id`: "esm" | "cjs" | "json". */
export function formatOf(id) {
  if (id.endsWith(".json")) return "json";
  if (id.endsWith(".mjs")) return "esm";
  if (id.endsWith(".cjs")) return "cjs";
  const type = packageType(id);
  if (type === null) return looksLikeCjs(id) ? "cjs" : "esm"; // the tenant's own code: ES modules unless plainly CommonJS
  if (type === "module") return "esm";
  return looksLikeEsm(id) ? "esm" : "cjs";
}

// ---------------------------------------------------------------------------
// resolve

function isRelative(s) {
  return s === "." || s === ".." || s.startsWith("./") || s.startsWith("../") || s.startsWith("/");
}

/**
 * resolve(specifier, referrerId, kind = "import") → { id, format }.
 * format: "esm" | "cjs" | "json" | "builtin". Throws an Error with a Node
 * error code (ERR_MODULE_NOT_FOUND / MODULE_NOT_FOUND, ERR_PACKAGE_PATH_NOT_EXPORTED,
 * ERR_UNKNOWN_BUILTIN_MODULE, ...) naming the specifier and the referrer.
 */
export function resolve(specifier, referrerId = "", kind = "import") {
  if (typeof specifier !== "string") {
    const err = new TypeError(`The "specifier" argument must be of type string. Received ${typeof specifier}`);
    err.code = "ERR_INVALID_ARG_TYPE";
    throw err;
  }
  referrerId = referrerId == null ? "" : String(referrerId);
  if (kind !== "require") kind = "import";
  if (specifier === "") throw notFound(specifier, referrerId, kind);

  if (specifier.startsWith("hbf:")) return { id: specifier, format: "builtin" };
  if (specifier.startsWith("node:")) {
    const name = specifier.slice(5);
    if (name in BUILTINS) return { id: BUILTINS[name], format: "builtin" };
    const err = moduleError(kind === "require" ? "MODULE_NOT_FOUND" : "ERR_UNKNOWN_BUILTIN_MODULE",
      NODE_ONLY.has(name) ? `Node's built-in module '${specifier}' is not available in hbf (${verb(kind)} '${referrerId}')`
        : `No such built-in module: ${specifier}`);
    throw err;
  }
  if (specifier in BUILTINS) return { id: BUILTINS[specifier], format: "builtin" };
  if (specifier in BUILTIN_PACKAGES) return { id: BUILTIN_PACKAGES[specifier], format: "builtin" };

  let id;
  if (specifier.startsWith("#")) {
    id = packageImportsResolve(specifier, referrerId, kind);
    if (!exists(id)) throw notFound(specifier, referrerId, kind, `${id} does not exist`);
  } else if (isRelative(specifier)) {
    const base = specifier.startsWith("/") ? "" : dirnameOf(referrerId);
    const target = joinId(base, specifier.startsWith("/") ? specifier.slice(1) : specifier);
    if (target === null) throw notFound(specifier, referrerId, kind, "the path leaves the henv's documents");
    const dirOnly = specifier.endsWith("/") || specifier === "." || specifier === ".." || specifier.endsWith("/.") ||
      specifier.endsWith("/..");
    id = resolveFileOrDirectory(target, dirOnly);
    if (id === null) throw notFound(specifier, referrerId, kind);
  } else {
    id = packageResolve(specifier, referrerId, kind);
  }
  return { id, format: formatOf(id) };
}

// ---------------------------------------------------------------------------
// CommonJS

const cache = Object.create(null);

function updateChildren(parent, child, scan) {
  const children = parent?.children;
  if (children && !(scan && children.includes(child))) children.push(child);
}

export class Module {
  constructor(id = "", parent = undefined) {
    this.id = id;
    this.path = dirnameOf(id) || ".";
    this.exports = {};
    this.filename = id;
    this.loaded = false;
    this.children = [];
    this.paths = nodeModulesPaths(id);
    Object.defineProperty(this, "parent", { value: parent, writable: true, enumerable: false, configurable: true });
  }

  require(specifier) {
    return makeRequire(this, this.id)(specifier);
  }
}

Module._cache = cache;
Module.builtinModules = builtinModules;
Module.isBuiltin = isBuiltin;
Module.wrapper = ["(function (exports, require, module, __filename, __dirname) { ", "\n});"];
Module.wrap = (script) => Module.wrapper[0] + script + Module.wrapper[1];

function requireEsmError(id, referrerId) {
  const base = id.slice(id.lastIndexOf("/") + 1);
  const err = moduleError("ERR_REQUIRE_ESM",
    `require() of ES Module ${id}${referrerId ? ` from ${referrerId}` : ""} not supported.\n` +
    `Instead change the require of ${base}${referrerId ? ` in ${referrerId}` : ""} to a dynamic import() which is available in all CommonJS modules.`);
  return err;
}

// require() of an ES module, as Node 22 does: the module's namespace (the
// same instance `import` gets; Node's "module.exports" string-named export
// cannot be written in QuickJS's syntax). Evaluated synchronously; a graph with top-level await throws
// ERR_REQUIRE_ASYNC_MODULE. Outcomes are kept per id (an error too: a
// failing module is not recompiled on every call).
const esmRequired = new Map();

function requireEsm(id) {
  let outcome = esmRequired.get(id);
  if (outcome === undefined) {
    try {
      outcome = { value: native.requireEsm(id) };
    } catch (error) {
      outcome = { error };
    }
    esmRequired.set(id, outcome);
  }
  if ("error" in outcome) throw outcome.error;
  return outcome.value;
}

function compileWrapper(source, id) {
  let text = stripBOM(source);
  if (text.startsWith("#!")) {
    // Keep the line: line numbers in stack traces stay true.
    text = "//" + text.slice(2);
  }
  return native.compileFunction(text, id, ["exports", "require", "module", "__filename", "__dirname"]);
}

function loadModule(id, format, parent) {
  const cached = cache[id];
  if (cached !== undefined) {
    updateChildren(parent, cached, true);
    return cached.exports;
  }
  const module = new Module(id, parent);
  cache[id] = module;
  updateChildren(parent, module, false);
  let threw = true;
  try {
    const text = readText(id);
    if (text === null) throw notFound(id, parent?.id ?? "", "require");
    if (format === "json") {
      try {
        module.exports = JSON.parse(stripBOM(text));
      } catch (err) {
        err.message = `${id}: ${err.message}`;
        throw err;
      }
    } else {
      const fn = compileWrapper(text, id);
      const require = makeRequire(module, id);
      fn.call(module.exports, module.exports, require, module, id, dirnameOf(id) || ".");
    }
    threw = false;
  } finally {
    if (threw) {
      delete cache[id];
      const children = parent?.children;
      if (Array.isArray(children)) {
        const index = children.indexOf(module);
        if (index !== -1) children.splice(index, 1);
      }
    }
  }
  module.loaded = true;
  return module.exports;
}

const extensions = Object.freeze({ __proto__: null, ".js": () => {}, ".json": () => {}, ".node": () => {} });

function makeRequire(module, referrerId) {
  function require(specifier) {
    if (typeof specifier !== "string") {
      const err = new TypeError(`The "id" argument must be of type string. Received ${specifier === null ? "null" : typeof specifier}`);
      err.code = "ERR_INVALID_ARG_TYPE";
      throw err;
    }
    if (specifier === "") {
      const err = new TypeError("The argument 'id' must be a non-empty string. Received ''");
      err.code = "ERR_INVALID_ARG_VALUE";
      throw err;
    }
    const { id, format } = resolve(specifier, referrerId, "require");
    if (format === "builtin") return builtinExports(id, specifier);
    if (format === "esm") return requireEsm(id);
    return loadModule(id, format, module ?? undefined);
  }
  function resolveFn(request, options) {
    if (typeof request !== "string") {
      const err = new TypeError(`The "request" argument must be of type string. Received ${typeof request}`);
      err.code = "ERR_INVALID_ARG_TYPE";
      throw err;
    }
    const { id, format } = resolve(request, referrerId, "require");
    return format === "builtin" ? request : id;
  }
  resolveFn.paths = (request) => (isBuiltin(request) ? null : nodeModulesPaths(referrerId));
  require.resolve = resolveFn;
  require.cache = cache;
  require.main = undefined;
  require.extensions = extensions;
  return require;
}

/** A Node-style `require` for code at `referrerId` (an ES module's document id). */
export function requireFrom(referrerId) {
  referrerId = referrerId == null ? "" : String(referrerId);
  return makeRequire(null, referrerId);
}

/** Loads CommonJS (or JSON) module `id` if needed and returns its module.exports. */
export function loadCommonJs(id) {
  const format = formatOf(id);
  if (format === "esm") throw requireEsmError(id, "");
  if (cache[id] !== undefined) return cache[id].exports;
  if (!exists(id)) throw notFound(id, "", "import");
  return loadModule(id, format, undefined);
}

/** The named exports an ES facade of CommonJS module `id` offers: its own enumerable string keys except "default". */
export function cjsExportNames(id) {
  const exports = loadCommonJs(id);
  if (exports === null || (typeof exports !== "object" && typeof exports !== "function")) return [];
  return Object.keys(exports).filter((k) => k !== "default");
}
export { cjsExportNames as __cjsExportNames };

/** The ES module source standing in for CommonJS module `id` (what the C++ loader generates). */
export function esmFacadeSource(id) {
  const names = cjsExportNames(id).filter((n) => /^[A-Za-z_$][\w$]*$/.test(n) && !RESERVED.has(n));
  let src = `import { loadCommonJs } from "hbf:modules";\nconst m = loadCommonJs(${JSON.stringify(id)});\nexport default m;\n`;
  if (names.length) src += `export const ${names.map((n) => `${n} = m.${n}`).join(", ")};\n`;
  return src;
}

const RESERVED = new Set(("default break case catch class const continue debugger delete do else enum export extends false " +
  "finally for function if import in instanceof new null return super switch this throw true try typeof var void while " +
  "with yield let static implements interface package private protected public await arguments eval").split(" "));

/** createRequire(filename): filename is a document id, "/"-absolute path or file: URL. */
export function createRequire(filename) {
  let id;
  if (filename !== null && typeof filename === "object" && typeof filename.href === "string") filename = filename.href;
  if (typeof filename !== "string") {
    const err = new TypeError(`The argument 'filename' must be a file URL object, file URL string, or absolute path string. Received ${String(filename)}`);
    err.code = "ERR_INVALID_ARG_VALUE";
    throw err;
  }
  if (filename.startsWith("file://")) id = decodeURIComponent(filename.slice(7).replace(/^[^/]*/, ""));
  else id = filename;
  id = id.replace(/^\/+/, "");
  const m = new Module(id, undefined);
  m.filename = id;
  m.paths = nodeModulesPaths(id);
  return makeRequire(m, id);
}

Module.createRequire = createRequire;
Module.Module = Module;
Module._resolveFilename = (request, parent) => resolveForParent(request, parent);
Module._load = (request, parent) => makeRequire(parent ?? null, parent?.id ?? "")(request);

function resolveForParent(request, parent) {
  const { id, format } = resolve(request, parent?.id ?? "", "require");
  return format === "builtin" ? request : id;
}

const hooks = { resolve, loadCommonJs, cjsExportNames, requireFrom, esmFacadeSource, formatOf };
Object.defineProperty(globalThis, Symbol.for("hbf.modules"), { value: hooks, writable: true, configurable: true, enumerable: false });

// The global `require` (a lazy global of hbf:bootstrap's) is
// requireFrom("_system/router.js"). Code elsewhere should use
// createRequire("<its document id>") from "node:module".

export default hooks;
