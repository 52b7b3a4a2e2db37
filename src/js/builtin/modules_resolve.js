// hbf:modules_resolve — how hbf:modules finds a module's document: the
// errors Node gives, reading documents and package.json, relative files and
// directories, and packages under modules/ (nested node_modules folders
// walked up as Node does; package.json "exports" and "imports" with
// conditions and patterns, then "module"/"main"/index). The
// rules are listed at the top of hbf:modules.

import native from "hbf:native";

/** Node's core module names hbf does not provide (a clear error instead of "not found"). */
export const NODE_ONLY = new Set([
  "async_hooks", "child_process", "cluster", "console", "constants", "dgram", "diagnostics_channel", "dns",
  "dns/promises", "domain", "http2", "https", "inspector", "inspector/promises", "net", "punycode",
  "readline", "readline/promises", "repl", "stream/web", "sys", "tls",
  "trace_events", "v8", "vm", "wasi", "worker_threads", "path/win32", "sea", "test", "sqlite",
]);


// ---------------------------------------------------------------------------
// Errors

export function moduleError(code, message) {
  const err = new Error(message);
  err.code = code;
  return err;
}

export function verb(kind) {
  return kind === "require" ? "required from" : "imported from";
}

export function notFound(specifier, referrerId, kind, detail) {
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

export function exists(id) {
  return id !== "" && native.documentInfo(id) != null;
}

export function readText(id) {
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
export function readPackageJson(dir) {
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

export const stripBOM = (s) => (s.charCodeAt(0) === 0xfeff ? s.slice(1) : s);

export function dirnameOf(id) {
  const slash = id.lastIndexOf("/");
  return slash === -1 ? "" : id.slice(0, slash);
}

/**
 * Joins a relative specifier to a directory id, resolving "." and "..".
 * Returns null when the result would leave the root.
 */
export function joinId(dir, rel) {
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

export function resolveFileOrDirectory(id, dirOnly) {
  if (!dirOnly) {
    const file = resolveAsFile(id);
    if (file !== null) return file;
  }
  return resolveAsDirectory(id);
}

// ---------------------------------------------------------------------------
// Packages

export const PACKAGE_ROOT = "modules";

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

export function packageImportsResolve(specifier, referrerId, kind) {
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

/**
 * The folder of package `name` as Node finds it from `referrerId`: for a
 * referrer inside modules/, `node_modules/{name}` in its folder and each
 * folder above (a node_modules folder itself is skipped), up to modules/;
 * then `modules/{name}`, which plays the top node_modules. A nested
 * candidate counts when it has a package.json. package_tree.cpp's
 * install-time check walks the same way.
 */
export function packageDirFor(name, referrerId) {
  if (referrerId.startsWith(PACKAGE_ROOT + "/")) {
    let dir = dirnameOf(referrerId);
    while (dir !== PACKAGE_ROOT && dir !== "") {
      if (!dir.endsWith("/node_modules")) {
        const candidate = `${dir}/node_modules/${name}`;
        if (exists(`${candidate}/package.json`)) return candidate;
      }
      dir = dirnameOf(dir);
    }
  }
  return `${PACKAGE_ROOT}/${name}`;
}

/** The folders packageDirFor looks in from `id`, nearest first (a module's `paths`). */
export function nodeModulesPaths(id) {
  const out = [];
  if (id.startsWith(PACKAGE_ROOT + "/")) {
    for (let dir = dirnameOf(id); dir !== PACKAGE_ROOT && dir !== ""; dir = dirnameOf(dir)) {
      if (!dir.endsWith("/node_modules")) out.push(`${dir}/node_modules`);
    }
  }
  out.push(PACKAGE_ROOT);
  return out;
}

/** Resolves a bare specifier to a document id (no format), throwing when it cannot. */
export function packageResolve(specifier, referrerId, kind, originalSpecifier = specifier) {
  const parsed = parsePackageName(specifier);
  if (parsed === null) {
    throw moduleError("ERR_INVALID_MODULE_SPECIFIER",
      `Invalid module "${specifier}" is not a valid package name ${verb(kind)} '${referrerId}'`);
  }
  const { name, subpath } = parsed;
  const pkgDir = packageDirFor(name, referrerId);
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
