// hbf:modules — the module resolver and CommonJS loader.
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
// - "pkg", "pkg/sub", "@scope/pkg/sub" → the package directory
//   "modules/pkg": package.json "exports" (strings, subpath maps, nested
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

import * as native from "hbf:native";

// ---------------------------------------------------------------------------
// Built-in (core) modules

// The shims are loaded on first use (native.loadBuiltin evaluates a built-in
// synchronously): a worker whose scripts never require `fs` never pays for it.
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

/** Node's core module names hbf does not provide (a clear error instead of "not found"). */
const NODE_ONLY = new Set([
  "async_hooks", "child_process", "cluster", "console", "constants", "dgram", "diagnostics_channel", "dns",
  "dns/promises", "domain", "http2", "https", "inspector", "inspector/promises", "net", "punycode",
  "readline", "readline/promises", "repl", "stream/web", "sys", "tls",
  "trace_events", "v8", "vm", "wasi", "worker_threads", "path/win32", "sea", "test", "sqlite",
]);

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
// Errors

function moduleError(code, message) {
  const err = new Error(message);
  err.code = code;
  return err;
}

function verb(kind) {
  return kind === "require" ? "required from" : "imported from";
}

function notFound(specifier, referrerId, kind, detail) {
  const err = moduleError(kind === "require" ? "MODULE_NOT_FOUND" : "ERR_MODULE_NOT_FOUND",
    `Cannot find module '${specifier}' ${verb(kind)} '${referrerId}'${detail ? `: ${detail}` : ""}`);
  err.specifier = specifier;
  err.referrer = referrerId;
  return err;
}

function notExported(pkgDir, subpath, referrerId, kind) {
  const message = subpath === "."
    ? `No "exports" main defined in ${pkgDir}/package.json ${verb(kind)} '${referrerId}'`
    : `Package subpath '${subpath}' is not defined by "exports" in ${pkgDir}/package.json ${verb(kind)} '${referrerId}'`;
  return moduleError("ERR_PACKAGE_PATH_NOT_EXPORTED", message);
}

function invalidTarget(pkgDir, subpath, target, internal, referrerId, kind) {
  const field = internal ? "imports" : "exports";
  const what = subpath === "." ? `${field} main` : `${field} target for '${subpath}'`;
  return moduleError("ERR_INVALID_PACKAGE_TARGET",
    `Invalid "${what}" ${JSON.stringify(target)} defined in the package config ${pkgDir}/package.json ` +
    `${verb(kind)} '${referrerId}'${!internal && typeof target === "string" && !target.startsWith("./") ? '; targets must start with "./"' : ""}`);
}

function invalidConfig(pkgDir, message) {
  return moduleError("ERR_INVALID_PACKAGE_CONFIG", `Invalid package config ${pkgDir}/package.json. ${message}`);
}

// ---------------------------------------------------------------------------
// Documents

function exists(id) {
  return id !== "" && native.documentInfo(id) != null;
}

function readText(id) {
  native.noteServerCode(id);  // code (and package.json) the server loads: never served by path
  const bytes = native.readDocument(id);
  if (bytes == null) return null;
  return native.utf8Decode(bytes, false);
}

const jsonCache = new Map();

function stampOf(id) {
  const info = native.documentInfo(id);
  return info == null ? null : `${info.size}:${info.modified_at}`;
}

/** The parsed package.json at `dir` ("" = root), or null; malformed JSON throws. */
function readPackageJson(dir) {
  const id = dir === "" ? "package.json" : `${dir}/package.json`;
  const stamp = stampOf(id);
  if (stamp === null) {
    jsonCache.delete(id);
    return null;
  }
  const cached = jsonCache.get(id);
  if (cached !== undefined && cached.stamp === stamp) return cached.value;
  const text = readText(id);
  if (text === null) return null;
  let value;
  try {
    value = JSON.parse(stripBOM(text));
  } catch (e) {
    throw moduleError("ERR_INVALID_PACKAGE_CONFIG", `Invalid package config ${id}: ${e.message}`);
  }
  if (value === null || typeof value !== "object") value = {};
  jsonCache.set(id, { stamp, value });
  return value;
}

const stripBOM = (s) => (s.charCodeAt(0) === 0xfeff ? s.slice(1) : s);

function dirnameOf(id) {
  const slash = id.lastIndexOf("/");
  return slash === -1 ? "" : id.slice(0, slash);
}

/**
 * Joins a relative specifier to a directory id, resolving "." and "..".
 * Returns null when the result would leave the root.
 */
function joinId(dir, rel) {
  const parts = dir === "" ? [] : dir.split("/");
  for (const seg of rel.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") {
      if (parts.length === 0) return null;
      parts.pop();
    } else {
      parts.push(seg);
    }
  }
  return parts.join("/");
}

const EXTENSIONS = [".js", ".mjs", ".cjs", ".json"];

function resolveAsFile(id) {
  if (id === "") return null;
  if (exists(id)) return id;
  for (const ext of EXTENSIONS) {
    if (exists(id + ext)) return id + ext;
  }
  return null;
}

function resolveIndex(dir) {
  for (const ext of EXTENSIONS) {
    const id = dir === "" ? `index${ext}` : `${dir}/index${ext}`;
    if (exists(id)) return id;
  }
  return null;
}

function resolveAsDirectory(dir, fields = ["main"]) {
  const pjson = readPackageJson(dir);
  if (pjson !== null) {
    for (const field of fields) {
      const main = pjson[field];
      if (typeof main !== "string" || main === "") continue;
      const target = joinId(dir, main);
      if (target === null) continue;
      const found = resolveAsFile(target) ?? resolveIndex(target);
      if (found !== null) return found;
    }
  }
  return resolveIndex(dir);
}

function resolveFileOrDirectory(id, dirOnly) {
  if (!dirOnly) {
    const file = resolveAsFile(id);
    if (file !== null) return file;
  }
  return resolveAsDirectory(id);
}

// ---------------------------------------------------------------------------
// Packages

const PACKAGE_ROOT = "modules";

function parsePackageName(specifier) {
  let sep = specifier.indexOf("/");
  let valid = true;
  if (specifier[0] === "@") {
    if (sep === -1 || specifier.length === 0) valid = false;
    else sep = specifier.indexOf("/", sep + 1);
  }
  const name = sep === -1 ? specifier : specifier.slice(0, sep);
  if (name.startsWith(".") || name.includes("\\") || name.includes("%") || name === "" || name.endsWith("/")) valid = false;
  if (!valid) return null;
  return { name, subpath: "." + specifier.slice(name.length) };
}

function conditionsFor(kind) {
  return kind === "require" ? new Set(["node", "require"]) : new Set(["node", "import"]);
}

const INVALID_SEGMENT =
  /(^|\\|\/)((\.|%2e)(\.|%2e)?|(n|%6e|%4e)(o|%6f|%4f)(d|%64|%44)(e|%65|%45)(_|%5f)(m|%6d|%4d)(o|%6f|%4f)(d|%64|%44)(u|%75|%55)(l|%6c|%4c)(e|%65|%45)(s|%73|%53))?(\\|\/|$)/i;

function isArrayIndex(key) {
  const n = Number(key);
  return `${n}` === key && n >= 0 && n < 0xffffffff;
}

function resolveTargetString(ctx, target, patternMatch, isPattern, subpathKey) {
  if (!target.startsWith("./")) {
    if (ctx.internal && !target.startsWith("../") && !target.startsWith("/")) {
      // "imports" may map to another package.
      let exportTarget = target;
      if (isPattern) exportTarget = target.replaceAll("*", patternMatch);
      return packageResolve(exportTarget, ctx.referrerId, ctx.kind, ctx.originalSpecifier);
    }
    throw invalidTarget(ctx.pkgDir, subpathKey, target, ctx.internal, ctx.referrerId, ctx.kind);
  }
  if (INVALID_SEGMENT.test(target.slice(2))) {
    throw invalidTarget(ctx.pkgDir, subpathKey, target, ctx.internal, ctx.referrerId, ctx.kind);
  }
  const resolved = joinId(ctx.pkgDir, target.slice(2));
  if (resolved === null || (resolved !== ctx.pkgDir && !resolved.startsWith(ctx.pkgDir + "/"))) {
    throw invalidTarget(ctx.pkgDir, subpathKey, target, ctx.internal, ctx.referrerId, ctx.kind);
  }
  if (patternMatch === "") return target.endsWith("/") ? resolved + "/" : resolved;
  if (INVALID_SEGMENT.test(patternMatch)) {
    const err = moduleError("ERR_INVALID_MODULE_SPECIFIER",
      `Invalid module "${ctx.originalSpecifier}" request is not a valid match in pattern "${subpathKey}" for the ` +
      `"${ctx.internal ? "imports" : "exports"}" resolution of ${ctx.pkgDir}/package.json ${verb(ctx.kind)} '${ctx.referrerId}'`);
    throw err;
  }
  if (isPattern) {
    const replaced = joinId(ctx.pkgDir, target.slice(2).replaceAll("*", patternMatch));
    if (replaced === null) throw invalidTarget(ctx.pkgDir, subpathKey, target, ctx.internal, ctx.referrerId, ctx.kind);
    return replaced;
  }
  return joinId(resolved, patternMatch);
}

/** Returns an id, null (blocked by a null target) or undefined (no condition matched). */
function resolveTarget(ctx, target, patternMatch, isPattern, subpathKey) {
  if (typeof target === "string") return resolveTargetString(ctx, target, patternMatch, isPattern, subpathKey);
  if (Array.isArray(target)) {
    if (target.length === 0) return null;
    let lastException;
    for (const item of target) {
      let result;
      try {
        result = resolveTarget(ctx, item, patternMatch, isPattern, subpathKey);
      } catch (e) {
        lastException = e;
        if (e.code === "ERR_INVALID_PACKAGE_TARGET") continue;
        throw e;
      }
      if (result === undefined) continue;
      if (result === null) {
        lastException = null;
        continue;
      }
      return result;
    }
    if (lastException === undefined || lastException === null) return lastException;
    throw lastException;
  }
  if (typeof target === "object" && target !== null) {
    const keys = Object.getOwnPropertyNames(target);
    for (const key of keys) {
      if (isArrayIndex(key)) throw invalidConfig(ctx.pkgDir, '"exports" cannot contain numeric property keys.');
    }
    for (const key of keys) {
      if (key === "default" || ctx.conditions.has(key)) {
        const result = resolveTarget(ctx, target[key], patternMatch, isPattern, subpathKey);
        if (result === undefined) continue;
        return result;
      }
    }
    return undefined;
  }
  if (target === null) return null;
  throw invalidTarget(ctx.pkgDir, subpathKey, target, ctx.internal, ctx.referrerId, ctx.kind);
}

function patternKeyCompare(a, b) {
  const aPatternIndex = a.indexOf("*");
  const bPatternIndex = b.indexOf("*");
  const baseLenA = aPatternIndex === -1 ? a.length : aPatternIndex + 1;
  const baseLenB = bPatternIndex === -1 ? b.length : bPatternIndex + 1;
  if (baseLenA > baseLenB) return -1;
  if (baseLenB > baseLenA) return 1;
  if (aPatternIndex === -1) return 1;
  if (bPatternIndex === -1) return -1;
  if (a.length > b.length) return -1;
  if (b.length > a.length) return 1;
  return 0;
}

/** PACKAGE_IMPORTS_EXPORTS_RESOLVE over a map of "./x" (or "#x") keys. */
function resolveInMap(ctx, matchKey, map) {
  if (Object.hasOwn(map, matchKey) && !matchKey.includes("*") && !matchKey.endsWith("/")) {
    return { result: resolveTarget(ctx, map[matchKey], "", false, matchKey), key: matchKey };
  }
  let bestMatch = "";
  let bestMatchSubpath;
  for (const key of Object.keys(map)) {
    const patternIndex = key.indexOf("*");
    if (patternIndex !== -1 && matchKey.startsWith(key.slice(0, patternIndex))) {
      const patternTrailer = key.slice(patternIndex + 1);
      if (matchKey.length >= key.length && matchKey.endsWith(patternTrailer) && patternKeyCompare(bestMatch, key) === 1 &&
          key.lastIndexOf("*") === patternIndex) {
        bestMatch = key;
        bestMatchSubpath = matchKey.slice(patternIndex, matchKey.length - patternTrailer.length);
      }
    }
  }
  if (bestMatch) return { result: resolveTarget(ctx, map[bestMatch], bestMatchSubpath, true, bestMatch), key: bestMatch };
  return { result: undefined, key: matchKey };
}

function isConditionalSugar(exports, pkgDir) {
  if (typeof exports === "string" || Array.isArray(exports)) return true;
  if (typeof exports !== "object" || exports === null) return false;
  const keys = Object.getOwnPropertyNames(exports);
  let isConditional = false;
  let i = 0;
  for (const key of keys) {
    const cur = key === "" || key[0] !== ".";
    if (i++ === 0) {
      isConditional = cur;
    } else if (isConditional !== cur) {
      throw invalidConfig(pkgDir,
        `"exports" cannot contain some keys starting with '.' and some not. The exports object must either be an object of package subpath keys or an object of main entry condition name keys only.`);
    }
  }
  return isConditional;
}

function packageExportsResolve(pkgDir, subpath, exports, kind, referrerId, originalSpecifier) {
  if (isConditionalSugar(exports, pkgDir)) exports = { ".": exports };
  const ctx = { pkgDir, conditions: conditionsFor(kind), internal: false, referrerId, kind, originalSpecifier };
  const { result } = resolveInMap(ctx, subpath, exports);
  if (result === null || result === undefined) throw notExported(pkgDir, subpath, referrerId, kind);
  return result;
}

function findPackageScope(dir) {
  // The nearest directory with a package.json, from `dir` up to the root.
  for (;;) {
    const pjson = readPackageJson(dir);
    if (pjson !== null) return { dir, pjson };
    if (dir === "") return null;
    dir = dirnameOf(dir);
  }
}

function packageImportsResolve(specifier, referrerId, kind) {
  if (specifier === "#" || specifier.startsWith("#/") || specifier.endsWith("/")) {
    throw moduleError("ERR_INVALID_MODULE_SPECIFIER",
      `Invalid module "${specifier}" is not a valid internal imports specifier name ${verb(kind)} '${referrerId}'`);
  }
  const scope = findPackageScope(dirnameOf(referrerId));
  if (scope !== null && scope.pjson.imports !== null && typeof scope.pjson.imports === "object") {
    const ctx = { pkgDir: scope.dir, conditions: conditionsFor(kind), internal: true, referrerId, kind, originalSpecifier: specifier };
    const { result } = resolveInMap(ctx, specifier, scope.pjson.imports);
    if (result !== null && result !== undefined) return result;
  }
  throw moduleError("ERR_PACKAGE_IMPORT_NOT_DEFINED",
    `Package import specifier "${specifier}" is not defined${scope ? ` in package ${scope.dir === "" ? "" : scope.dir + "/"}package.json` : ""} ` +
    `${verb(kind)} '${referrerId}'`);
}

/** Resolves a bare specifier to a document id (no format), throwing when it cannot. */
function packageResolve(specifier, referrerId, kind, originalSpecifier = specifier) {
  const parsed = parsePackageName(specifier);
  if (parsed === null) {
    throw moduleError("ERR_INVALID_MODULE_SPECIFIER",
      `Invalid module "${specifier}" is not a valid package name ${verb(kind)} '${referrerId}'`);
  }
  const { name, subpath } = parsed;
  const pkgDir = `${PACKAGE_ROOT}/${name}`;
  const pjson = readPackageJson(pkgDir);
  if (pjson === null && native.listDocuments(pkgDir + "/").length === 0) {
    const nodeOnly = NODE_ONLY.has(specifier) || NODE_ONLY.has(name);
    throw notFound(originalSpecifier, referrerId, kind,
      nodeOnly ? `Node's built-in module '${name}' is not available in hbf` : `no package ${pkgDir}/`);
  }
  if (pjson !== null && pjson.exports !== undefined && pjson.exports !== null) {
    const id = packageExportsResolve(pkgDir, subpath, pjson.exports, kind, referrerId, originalSpecifier);
    if (id.endsWith("/") || !exists(id)) throw notFound(originalSpecifier, referrerId, kind, `${id} does not exist`);
    return id;
  }
  let found;
  if (subpath === ".") {
    found = resolveAsDirectory(pkgDir, kind === "import" ? ["module", "main"] : ["main"]);
  } else {
    const target = joinId(pkgDir, subpath.slice(2));
    found = target === null ? null : resolveFileOrDirectory(target, subpath.endsWith("/"));
  }
  if (found === null) throw notFound(originalSpecifier, referrerId, kind);
  return found;
}

// ---------------------------------------------------------------------------
// Formats

const formatCache = new Map();

function packageRootOf(id) {
  // "modules/pkg" or "modules/@scope/pkg" for ids inside a package, else null.
  if (!id.startsWith(PACKAGE_ROOT + "/")) return null;
  const parts = id.split("/");
  if (parts.length < 3) return null;
  if (parts[1].startsWith("@")) return parts.length >= 4 ? parts.slice(0, 3).join("/") : null;
  return parts.slice(0, 2).join("/");
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
    this.paths = [PACKAGE_ROOT];
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
    if (format === "esm") throw requireEsmError(id, referrerId);
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
  resolveFn.paths = (request) => (isBuiltin(request) ? null : [PACKAGE_ROOT]);
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
  m.paths = [PACKAGE_ROOT];
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
