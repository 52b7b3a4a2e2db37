// hbf:modules: resolution rules (against Node's require.resolve and
// import.meta.resolve on a mirror of the document store), formats, errors,
// and CommonJS semantics (against Node's own require on the same files).
import nodeFs from "node:fs";
import os from "node:os";
import nodePath from "node:path";
import { createRequire as nodeCreateRequire } from "node:module";
import { pathToFileURL, fileURLToPath } from "node:url";
import { resolve, requireFrom, loadCommonJs, cjsExportNames, esmFacadeSource, formatOf, createRequire, builtinModules, isBuiltin }
  from "hbf:modules";
import { __fake } from "hbf:native";
import { test, same, ok, Cases } from "../lib.mjs";

const json = (v) => JSON.stringify(v);

const TREE = {
  "_system/router.js": "export default 1;\n",
  "_system/lib/a.js": "export const a = 1;\n",
  "_system/lib/b.mjs": "export const b = 1;\n",
  "_system/lib/c.cjs": "module.exports = 'c';\n",
  "_system/lib/data.json": '{"d": 1}',
  "_system/lib/index.js": "export default 'index';\n",
  "_system/dir2/index.json": "[1]",
  "_system/pkgdir/package.json": json({ main: "./entry.js" }),
  "_system/pkgdir/entry.js": "export default 'entry';\n",
  "modules/plain/package.json": json({ name: "plain", main: "lib/main" }),
  "modules/plain/lib/main.js": "module.exports = 'plain main';\n",
  "modules/plain/index.js": "module.exports = 'plain index';\n",
  "modules/plain/util.js": "module.exports = 'util';\n",
  "modules/plain/data.json": '{"x": 1}',
  "modules/plain/dir/index.js": "module.exports = 'dir index';\n",
  "modules/nomain/package.json": json({ name: "nomain" }),
  "modules/nomain/index.js": "module.exports = 'nomain';\n",
  "modules/nopkgjson/index.js": "module.exports = 'nopkgjson';\n",
  "modules/badmain/package.json": json({ name: "badmain", main: "missing.js" }),
  "modules/badmain/index.js": "module.exports = 'badmain index';\n",
  "modules/exp/package.json": json({
    name: "exp",
    exports: {
      ".": { import: "./esm/index.mjs", require: "./cjs/index.cjs", default: "./cjs/index.cjs" },
      "./feature": "./lib/feature.js",
      "./nested": { node: { import: "./n/import.mjs", require: "./n/require.cjs" }, default: "./n/default.js" },
      "./utils/*": "./lib/utils/*.js",
      "./utils/special/*": "./lib/special/*.js",
      "./internal/*": null,
      "./data/*": "./data/*",
      "./package.json": "./package.json",
      "./arr": ["not-relative", "./lib/feature.js"],
      "./missing": "./lib/nothing-here.js",
      "./browser-only": { browser: "./lib/feature.js" },
      "./multi/*/x": "./lib/multi/*/x.js",
    },
  }),
  "modules/exp/esm/index.mjs": "export default 'exp esm';\n",
  "modules/exp/cjs/index.cjs": "module.exports = 'exp cjs';\n",
  "modules/exp/lib/feature.js": "module.exports = 'feature';\n",
  "modules/exp/n/import.mjs": "export default 1;\n",
  "modules/exp/n/require.cjs": "module.exports = 1;\n",
  "modules/exp/n/default.js": "module.exports = 1;\n",
  "modules/exp/lib/utils/a.js": "module.exports = 'a';\n",
  "modules/exp/lib/utils/b/c.js": "module.exports = 'b/c';\n",
  "modules/exp/lib/special/s.js": "module.exports = 's';\n",
  "modules/exp/lib/multi/m/x.js": "module.exports = 'm';\n",
  "modules/exp/data/d.json": "{}",
  "modules/sugar/package.json": json({ name: "sugar", exports: "./main.js" }),
  "modules/sugar/main.js": "module.exports = 'sugar';\n",
  "modules/sugar/other.js": "module.exports = 'other';\n",
  "modules/condsugar/package.json": json({ name: "condsugar", exports: { require: "./r.cjs", import: "./i.mjs" } }),
  "modules/condsugar/r.cjs": "module.exports = 'r';\n",
  "modules/condsugar/i.mjs": "export default 'i';\n",
  "modules/@scope/pkg/package.json": json({ name: "@scope/pkg", main: "index.js" }),
  "modules/@scope/pkg/index.js": "module.exports = 'scoped';\n",
  "modules/@scope/pkg/sub.js": "module.exports = 'scoped sub';\n",
  "modules/typemod/package.json": json({ name: "typemod", type: "module", main: "index.js" }),
  "modules/typemod/index.js": "export default 'typemod';\n",
  "modules/typemod/cjs/package.json": json({ type: "commonjs" }),
  "modules/typemod/cjs/x.js": "module.exports = 'x';\n",
  "modules/imports-pkg/package.json": json({
    name: "imports-pkg", main: "index.js",
    imports: { "#dep": { node: "./dep-node.js", default: "./dep.js" }, "#internal/*": "./src/internal/*.js", "#ext": "plain",
      "#null": null },
  }),
  "modules/imports-pkg/index.js": "module.exports = 'imports-pkg';\n",
  "modules/imports-pkg/dep-node.js": "module.exports = 'dep-node';\n",
  "modules/imports-pkg/dep.js": "module.exports = 'dep';\n",
  "modules/imports-pkg/src/internal/foo.js": "module.exports = 'foo';\n",
  "modules/mixed/package.json": json({ name: "mixed", exports: { ".": "./a.js", require: "./b.js" } }),
  "modules/mixed/a.js": "",
  "modules/escape/package.json": json({ name: "escape", exports: { "./x": "./../plain/index.js", "./y": "./node_modules/z.js" } }),
  "modules/escape/index.js": "",
  "modules/withmodule/package.json": json({ name: "withmodule", main: "cjs.js", module: "esm.js" }),
  "modules/withmodule/cjs.js": "module.exports = 'cjs';\n",
  "modules/withmodule/esm.js": "export default 'esm';\n",
};

function toDisk(root, id) {
  return id.startsWith("modules/") ? nodePath.join(root, "node_modules", id.slice(8)) : nodePath.join(root, id);
}

function fromDisk(root, p) {
  const nm = nodePath.join(root, "node_modules") + "/";
  if (p.startsWith(nm)) return "modules/" + p.slice(nm.length);
  return p.startsWith(root + "/") ? p.slice(root.length + 1) : p;
}

/** Puts `tree` in the document store and, with `mirror`, in a new temp directory (returned). */
function setupTree(tree, mirror = false) {
  for (const id of [...__fake.docs.keys()]) __fake.remove(id);
  const root = mirror ? nodeFs.mkdtempSync(nodePath.join(os.tmpdir(), "hbf-mod-")) : null;
  for (const [id, content] of Object.entries(tree)) {
    __fake.put(id, content);
    if (!mirror) continue;
    const p = toDisk(root, id);
    nodeFs.mkdirSync(nodePath.dirname(p), { recursive: true });
    nodeFs.writeFileSync(p, content);
  }
  return root;
}

const SPECS_REQUIRE = ["plain", "plain/util", "plain/util.js", "plain/data", "plain/dir", "plain/dir/", "plain/package.json",
  "nomain", "nopkgjson", "badmain", "exp", "exp/feature", "exp/nested", "exp/utils/a", "exp/utils/b/c", "exp/utils/special/s",
  "exp/internal/x", "exp/missing", "exp/package.json", "exp/arr", "exp/data/d.json", "exp/nothing", "exp/browser-only",
  "exp/multi/m/x", "exp/utils/../feature", "sugar", "sugar/other", "condsugar", "@scope/pkg", "@scope/pkg/sub", "@scope/missing",
  "nope", "typemod", "typemod/cjs/x", "mixed", "escape/x", "escape/y", "withmodule", "./lib/a", "./lib/a.js", "./lib/c.cjs",
  "./lib/data", "./lib/data.json", "./lib", "./lib/", "./missing", "../_system/lib/a", "./pkgdir", "./dir2",
  ".", "./", "fs", "node:fs", "node:path", "path", "node:nope"];

test("require resolution matches Node's require.resolve on a mirror tree", () => {
  const root = setupTree(TREE, true);
  try {
    const nodeRequire = nodeCreateRequire(nodePath.join(root, "_system/router.js"));
    const c = new Cases("require.resolve");
    const check = (spec, referrer, nodeReq) => {
      let mine;
      let theirs;
      try {
        const r = resolve(spec, referrer, "require");
        mine = r.format === "builtin" ? { builtin: true } : { id: r.id };
      } catch (e) {
        mine = { code: e.code };
      }
      try {
        const p = nodeReq.resolve(spec);
        theirs = nodePath.isAbsolute(p) ? { id: fromDisk(root, p) } : { builtin: true };
      } catch (e) {
        theirs = { code: e.code };
      }
      // Only the local twin of ERR_UNKNOWN_BUILTIN_MODULE differs: Node's require says MODULE_NOT_FOUND... keep exact.
      c.check(`require.resolve(${JSON.stringify(spec)}) from ${referrer}`, mine, theirs);
    };
    for (const spec of SPECS_REQUIRE) check(spec, "_system/router.js", nodeRequire);
    const inPkg = nodeCreateRequire(toDisk(root, "modules/imports-pkg/index.js"));
    for (const spec of ["#dep", "#internal/foo", "#ext", "#missing", "#null", "#internal/../x", "./dep", "plain"]) {
      check(spec, "modules/imports-pkg/index.js", inPkg);
    }
    c.done();
  } finally {
    nodeFs.rmSync(root, { recursive: true, force: true });
  }
});

test("import resolution of packages matches Node's import.meta.resolve", async () => {
  const root = setupTree(TREE, true);
  try {
    const probe = nodePath.join(root, "_system/probe.mjs");
    nodeFs.writeFileSync(probe, "export const r = (s) => import.meta.resolve(s);\n");
    const probe2 = toDisk(root, "modules/imports-pkg/probe.mjs");
    nodeFs.writeFileSync(probe2, "export const r = (s) => import.meta.resolve(s);\n");
    const { r } = await import(pathToFileURL(probe).href);
    const { r: r2 } = await import(pathToFileURL(probe2).href);
    const c = new Cases("import.meta.resolve");
    const check = (spec, referrer, res) => {
      let mine;
      let theirs;
      try {
        const x = resolve(spec, referrer, "import");
        mine = x.format === "builtin" ? { builtin: true } : { id: x.id, format: x.format };
      } catch (e) {
        mine = { code: e.code };
      }
      try {
        const url = res(spec);
        if (url.startsWith("node:")) theirs = { builtin: true };
        else {
          const id = fromDisk(root, fileURLToPath(url));
          theirs = { id, format: id.endsWith(".mjs") ? "esm" : id.endsWith(".cjs") ? "cjs" : id.endsWith(".json") ? "json" : undefined };
        }
      } catch (e) {
        theirs = { code: e.code };
      }
      // Node's resolver does not report formats; ours must be consistent with the extension/package type.
      if (theirs.format === undefined && mine.format !== undefined && theirs.id) theirs.format = mine.format;
      c.check(`import ${JSON.stringify(spec)} from ${referrer}`, mine, theirs);
    };
    for (const spec of ["plain", "nomain", "exp", "exp/feature", "exp/nested", "exp/utils/a", "exp/utils/b/c", "exp/internal/x",
      "exp/package.json", "exp/arr", "exp/browser-only", "exp/multi/m/x", "sugar", "sugar/other", "condsugar",
      "@scope/pkg", "@scope/pkg/sub.js", "typemod", "typemod/cjs/x.js", "mixed", "escape/x", "nope", "@scope/missing",
      "fs", "node:fs", "./lib/a.js", "./lib/b.mjs", "./lib/c.cjs"]) {
      check(spec, "_system/router.js", r);
    }
    for (const spec of ["#dep", "#internal/foo", "#ext", "#missing", "#null"]) check(spec, "modules/imports-pkg/index.js", r2);
    c.done();
  } finally {
    nodeFs.rmSync(root, { recursive: true, force: true });
  }
});

test("hbf-specific rules: extensions for import, directories, escapes, messages, module field, formats", () => {
  setupTree(TREE);
  const err = (s, from = "_system/router.js", kind = "import") => {
    try {
      resolve(s, from, kind);
    } catch (e) {
      return [e.code, e.message];
    }
    return null;
  };
  const r = (s, from = "_system/router.js", kind = "import") => resolve(s, from, kind);
  same(r("./lib/a"), { id: "_system/lib/a.js", format: "esm" });
  same(r("./lib/b"), { id: "_system/lib/b.mjs", format: "esm" });
  same(r("./lib/c"), { id: "_system/lib/c.cjs", format: "cjs" });
  same(r("./lib/data"), { id: "_system/lib/data.json", format: "json" });
  same(r("./lib"), { id: "_system/lib/index.js", format: "esm" });
  same(r("./pkgdir"), { id: "_system/pkgdir/entry.js", format: "esm" });
  same(r("/_system/lib/a.js", "modules/plain/index.js"), { id: "_system/lib/a.js", format: "esm" });
  same(r("../../plain/util", "modules/exp/lib/feature.js", "require"), { id: "modules/plain/util.js", format: "cjs" });
  same(r("withmodule", undefined, "import"), { id: "modules/withmodule/esm.js", format: "esm" });
  same(r("withmodule", undefined, "require"), { id: "modules/withmodule/cjs.js", format: "cjs" });
  same(r("typemod").format, "esm");
  same(r("typemod/cjs/x.js").format, "cjs");
  same(r("hbf:router"), { id: "hbf:router", format: "builtin" });
  // import.meta.resolve() in Node does not check that an "exports" target exists; import does.
  same(err("exp/missing")[0], "ERR_MODULE_NOT_FOUND");
  same(r("node:fs"), { id: "hbf:node_fs", format: "builtin" });
  same(r("fs/promises"), { id: "hbf:node_fs_promises", format: "builtin" });
  same(r("node:timers/promises"), { id: "hbf:node_timers_promises", format: "builtin" });
  same(r("/_system/lib/a", "modules/plain/index.js", "require"), { id: "_system/lib/a.js", format: "esm" });
  same(err("../../etc/passwd"), ["ERR_MODULE_NOT_FOUND",
    "Cannot find module '../../etc/passwd' imported from '_system/router.js': the path leaves the henv's documents"]);
  same(err("../../../x", "modules/plain/lib/main.js", "require")[0], "MODULE_NOT_FOUND");
  same(err("./nope"), ["ERR_MODULE_NOT_FOUND", "Cannot find module './nope' imported from '_system/router.js'"]);
  same(err("./nope", "_system/router.js", "require"), ["MODULE_NOT_FOUND", "Cannot find module './nope' required from '_system/router.js'"]);
  ok(err("left-pad")[1].startsWith("Cannot find module 'left-pad' imported from '_system/router.js'"), "bare missing names both");
  ok(/not available in hbf/.test(err("node:vm")[1]) && err("node:vm")[0] === "ERR_UNKNOWN_BUILTIN_MODULE", "node:vm");
  ok(/Node's built-in module 'net' is not available in hbf/.test(err("net")[1]), "net");
  for (const [name, id] of [["stream", "hbf:node_stream"], ["node:stream/promises", "hbf:node_stream_promises"], ["tty", "hbf:node_tty"],
    ["node:http", "hbf:node_http"], ["perf_hooks", "hbf:node_perf_hooks"], ["stream/consumers", "hbf:node_stream_consumers"],
    ["zlib", "hbf:node_zlib"], ["node:zlib", "hbf:node_zlib"]]) {
    same(r(name), { id, format: "builtin" }, name);
  }
  same(err("exp/internal/x")[0], "ERR_PACKAGE_PATH_NOT_EXPORTED");
  ok(err("exp/internal/x")[1].includes("'./internal/x'") && err("exp/internal/x")[1].includes("_system/router.js"), "names subpath and referrer");
  same(err("node:nope"), ["ERR_UNKNOWN_BUILTIN_MODULE", "No such built-in module: node:nope"]);
  same(formatOf("_system/x.js"), "esm");
  same(formatOf("_system/x.cjs"), "cjs");
  same(formatOf("modules/plain/util.js"), "cjs");
  ok(isBuiltin("node:fs") && isBuiltin("crypto") && isBuiltin("http") && isBuiltin("stream") && isBuiltin("zlib") && !isBuiltin("vm"), "isBuiltin");
  ok(builtinModules.includes("fs/promises"), "builtinModules");
});

test("ESM syntax detection for .js files in CommonJS-scoped packages", () => {
  setupTree({
    "modules/dual/package.json": json({ name: "dual", main: "index.js", module: "esm/index.js" }),
    "modules/dual/index.js": "module.exports = require('./x');\n",
    "modules/dual/x.js": "exports.v = 1;\n",
    "modules/dual/esm/index.js": "/* header */\nimport x from './x.js';\nexport default x;\n",
    "modules/dual/esm/x.js": "export default 2;\n",
    "modules/dual/esm/looks.js": "// import x from 'y'\nconst s = `\nexport default 1`;\nmodule.exports = s;\n",
  });
  same(resolve("dual", "_system/r.js", "import"), { id: "modules/dual/esm/index.js", format: "esm" });
  same(resolve("dual", "_system/r.js", "require"), { id: "modules/dual/index.js", format: "cjs" });
  same(formatOf("modules/dual/esm/x.js"), "esm");
  same(formatOf("modules/dual/esm/looks.js"), "cjs");
});

// --- CommonJS semantics against Node ------------------------------------------

const CJS_TREE = {
  "modules/sem/package.json": json({ name: "sem", main: "main.js" }),
  "modules/sem/main.js": `
    const t = globalThis.__trace;
    t.push(['main:start', this === module.exports, typeof require, typeof module, require('path').basename(__filename), module.loaded]);
    const a = require('./a');
    t.push(['main:a', a.done, a.fromB, Object.keys(a)]);
    const b = require('./b');
    t.push(['main:b', b.done, b.sawA]);
    t.push(['cache', require('./a') === a, require.cache[require.resolve('./a')] !== undefined]);
    const j = require('./data.json');
    j.mutated = true;
    t.push(['json', require('./data.json').mutated, j.value]);
    try { require('./throws'); } catch (e) { t.push(['throws1', e.message]); }
    try { require('./throws'); } catch (e) { t.push(['throws2', e.message]); }
    t.push(['reassigned', require('./reassign')(), require('./reassign').name]);
    t.push(['aliased', JSON.stringify(require('./alias'))]);
    const before = require('./counter').n;
    delete require.cache[require.resolve('./counter')];
    t.push(['reload', before, require('./counter').n]);
    t.push(['children', module.children.map((m) => require('path').basename(m.id))]);
    t.push(['this-in-fn', require('./thisval').isExports]);
    t.push(['dir-index', require('./dir')]);
    t.push(['module.require', module.require('./b') === b]);
    t.push(['missing-code', (() => { try { require('./nope'); } catch (e) { return e.code; } })()]);
    t.push(['main:end', module.loaded]);
    module.exports = { ok: true };
  `,
  "modules/sem/a.js": `
    const t = globalThis.__trace;
    t.push(['a:start', module.loaded]);
    exports.done = false;
    const b = require('./b');
    t.push(['a:b', b.done, b.sawA]);
    exports.fromB = b.done;
    exports.done = true;
    t.push(['a:end']);
  `,
  "modules/sem/b.js": `
    const t = globalThis.__trace;
    t.push(['b:start']);
    exports.done = false;
    const a = require('./a');
    t.push(['b:a (partial)', a.done, Object.keys(a)]);
    exports.sawA = a.done;
    exports.done = true;
    t.push(['b:end']);
  `,
  "modules/sem/data.json": '{"value": 42}',
  "modules/sem/throws.js": "globalThis.__trace.push(['throws:run']); throw new Error('nope ' + (globalThis.__n = (globalThis.__n || 0) + 1));",
  "modules/sem/reassign.js": "module.exports = function named() { return 'called'; }; exports.ignored = true;",
  "modules/sem/alias.js": "exports.a = 1; module.exports.b = 2; exports = { c: 3 }; module.exports.d = 4;",
  "modules/sem/counter.js": "globalThis.__count = (globalThis.__count || 0) + 1; exports.n = globalThis.__count;",
  "modules/sem/thisval.js": "exports.isExports = this === module.exports;",
  "modules/sem/dir/index.js": "module.exports = 'dir';",
};

test("CommonJS semantics (cycles, cache, JSON, errors, reassignment, children) match Node", () => {
  const root = setupTree(CJS_TREE, true);
  try {
    const run = (req) => {
      globalThis.__trace = [];
      globalThis.__n = 0;
      globalThis.__count = 0;
      const out = req("sem");
      return { trace: globalThis.__trace, out };
    };
    const theirs = run(nodeCreateRequire(nodePath.join(root, "_system/router.js")));
    const mine = run(requireFrom("_system/router.js"));
    same(mine, theirs, "trace");
  } finally {
    delete globalThis.__trace;
    nodeFs.rmSync(root, { recursive: true, force: true });
  }
});

test("require of ES modules, loadCommonJs, export names, facade source, createRequire, shebang, stack file names", () => {
  setupTree({
    "modules/esm-only/package.json": json({ name: "esm-only", type: "module", main: "index.js" }),
    "modules/esm-only/index.js": "export default 1;\n",
    "modules/cjs/package.json": json({ name: "cjs", main: "index.js" }),
    "modules/cjs/index.js": "#!/usr/bin/env node\nexports.a = 1; exports['not-id'] = 2; exports.default = 3; exports.class = 4;\n" +
      "Object.defineProperty(exports, 'hidden', { value: 5, enumerable: false });\nexports.where = () => new Error('x').stack;\n",
    "modules/cjs/fn.js": "module.exports = function f() {}; module.exports.helper = 1;\n",
    "modules/cjs/prim.js": "module.exports = 42;\n",
    "_system/lib/x.cjs": "module.exports = { x: require('../../modules/cjs') === require('cjs') };\n",
    "_system/data.json": '{"j": true}',
  });
  const req = requireFrom("_system/router.js");
  // require() of an ES module goes to the native synchronous loader (Node 22).
  same(req("esm-only"), { __fakeRequireEsm: "modules/esm-only/index.js" });
  same(req("cjs").a, 1);
  same(loadCommonJs("modules/cjs/index.js"), req("cjs"), "loadCommonJs shares the cache");
  same(cjsExportNames("modules/cjs/index.js"), ["a", "not-id", "class", "where"]);
  same(cjsExportNames("modules/cjs/fn.js"), ["helper"]);
  same(cjsExportNames("modules/cjs/prim.js"), []);
  same(esmFacadeSource("modules/cjs/index.js"),
    'import { loadCommonJs } from "hbf:modules";\nconst m = loadCommonJs("modules/cjs/index.js");\nexport default m;\nexport const a = m.a, where = m.where;\n');
  same(loadCommonJs("_system/data.json"), { j: true });
  same(req("./lib/x.cjs"), { x: true });
  ok(/modules\/cjs\/index\.js:4/.test(req("cjs").where()), "stack names the document and the line (shebang kept as a line)");
  const cr = createRequire("/_system/lib/x.cjs");
  same(cr("./x.cjs"), { x: true });
  same(createRequire("file:///_system/router.js").resolve("./data.json"), "_system/data.json");
  same(req.resolve("fs"), "fs");
  same(req.resolve("node:fs"), "node:fs");
  same(req("node:fs"), req("fs"));
  same(typeof req("events"), "function");
  same(req("buffer").Buffer, globalThis.Buffer === req("buffer").Buffer ? globalThis.Buffer : req("buffer").Buffer);
  same(req.main, undefined);
  ok(typeof globalThis.require === "function", "a global require for ES modules");
  let e2 = null;
  try {
    req("hbf:router");
  } catch (e) {
    e2 = e.code;
  }
  same(e2, "ERR_REQUIRE_ESM");
  let e3 = null;
  try {
    req("");
  } catch (e) {
    e3 = e.code;
  }
  same(e3, "ERR_INVALID_ARG_VALUE");
});
