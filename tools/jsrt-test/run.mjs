#!/usr/bin/env node
// Test runner for HBF's built-in JavaScript runtime (src/js/builtin).
//
//   node tools/jsrt-test/run.mjs [--verbose] [--no-qjs] [--require-qjs]
//
// 1. Node run: the hbf:* modules are loaded through module hooks (hooks.mjs) with
//    a fake "hbf:native"; runs portable/tests/*.mjs and node/*.test.mjs (the
//    latter compare against Node's own URL/TextDecoder/util and, when installed
//    in tools/jsrt-test/node_modules, express@4).
// 2. QuickJS run: builds qjs from the QuickJS sources in .deps/ (cached under the
//    system temp directory) and runs portable/tests/*.mjs inside real QuickJS
//    with a pure-JS fake "hbf:native". Skipped (with a note) when the sources or
//    a C compiler are missing, unless --require-qjs.
import { register } from "node:module";
import { readdirSync, mkdirSync, copyFileSync, writeFileSync, existsSync, readFileSync, rmSync, statSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, "..", "..");
const builtinDir = join(repo, "src", "js", "builtin");
const args = new Set(process.argv.slice(2));
const verbose = args.has("--verbose");

const list = (dir, suffix) => readdirSync(dir).filter((f) => f.endsWith(suffix)).sort();
const portableTests = list(join(here, "portable", "tests"), ".mjs");
const nodeTests = list(join(here, "node"), ".test.mjs");
// hbf:native's loadBuiltin(id) loads a built-in synchronously, which neither
// Node's ESM nor qjs can: the fakes read it from a registry that both runs
// fill with every hbf:node_* shim and hbf:modules before any test (or lazy global) needs one.
const nodeBuiltins = list(builtinDir, ".js").filter((f) => f.startsWith("node_") || f === "modules.js").map((f) => `hbf:${f.slice(0, -3)}`);

// --- Node ---------------------------------------------------------------------------
register("./hooks.mjs", import.meta.url);
const builtins = (globalThis[Symbol.for("hbf.test.builtins")] = {});
for (const id of nodeBuiltins) builtins[id] = await import(id);
const harness = await import("./portable/harness.mjs");
for (const f of portableTests) {
  harness.setFile(`portable/${f}`);
  await import(pathToFileURL(join(here, "portable", "tests", f)).href);
}
for (const f of nodeTests) {
  harness.setFile(`node/${f}`);
  await import(pathToFileURL(join(here, "node", f)).href);
}
const nodeResult = await harness.run({ label: "node", verbose });

// --- QuickJS ------------------------------------------------------------------------
let qjsResult = { passed: 0, failed: 0 };
if (!args.has("--no-qjs")) {
  const qjs = findOrBuildQjs();
  if (qjs === null) {
    const msg = "quickjs: skipped (no QuickJS sources in .deps/src or no C compiler; run `make deps`, or set QJS=/path/to/qjs)";
    if (args.has("--require-qjs")) {
      console.log(msg);
      qjsResult.failed = 1;
    } else {
      console.log(msg);
    }
  } else {
    qjsResult = runQjs(qjs);
  }
}

const passed = nodeResult.passed + qjsResult.passed;
const failed = nodeResult.failed + qjsResult.failed;
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);

// ------------------------------------------------------------------------------------
function findOrBuildQjs() {
  if (process.env.QJS) return process.env.QJS;
  const depsDir = join(repo, ".deps", "src");
  const srcName = existsSync(depsDir) ? readdirSync(depsDir).find((d) => d.startsWith("quickjs-")) : undefined;
  const src = process.env.HBF_QJS_SRC || (srcName ? join(depsDir, srcName) : null);
  if (!src || !existsSync(join(src, "qjs.c"))) return null;
  const version = readFileSync(join(src, "VERSION"), "utf8").trim();
  const buildDir = join(tmpdir(), `hbf-jsrt-qjs-${version}`);
  const bin = join(buildDir, "qjs");
  if (existsSync(bin)) return bin;
  console.log(`quickjs: building qjs ${version} in ${buildDir} (once)...`);
  rmSync(buildDir, { recursive: true, force: true });
  mkdirSync(buildDir, { recursive: true });
  for (const f of readdirSync(src)) {
    if (statSync(join(src, f)).isFile()) copyFileSync(join(src, f), join(buildDir, f));
  }
  const r = spawnSync("make", ["-j2", "qjs"], { cwd: buildDir, encoding: "utf8" });
  if (r.status !== 0 || !existsSync(bin)) {
    console.log(`quickjs: build failed:\n${(r.stderr || r.error || "").toString().slice(-2000)}`);
    return null;
  }
  return bin;
}

function runQjs(qjs) {
  const dir = join(tmpdir(), `hbf-jsrt-run-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, "tests"), { recursive: true });
  // Every built-in: hbf:modules and the hbf:node_* shims go into the registry.
  for (const f of readdirSync(builtinDir).filter((f) => f.endsWith(".js"))) {
    copyFileSync(join(builtinDir, f), join(dir, `hbf:${f.slice(0, -3)}`));
  }
  copyFileSync(join(here, "portable", "fake-native-pure.mjs"), join(dir, "hbf:native"));
  for (const f of ["harness.mjs", "fake-state.mjs", "helpers.mjs"]) copyFileSync(join(here, "portable", f), join(dir, f));
  for (const f of portableTests) copyFileSync(join(here, "portable", "tests", f), join(dir, "tests", f));
  // What the Node run computed for portable/tests/xengine.mjs; QuickJS must match it.
  writeFileSync(join(dir, "xengine-expected.json"), JSON.stringify(globalThis.__hbfXengineRecorded ?? null));
  const entry = [
    'import * as std from "std";',
    "// QuickJS's own console would shadow ours: hbf:bootstrap installs globals only if absent.",
    "delete globalThis.console;",
    'await import("hbf:bootstrap");',
    'const builtins = (globalThis[Symbol.for("hbf.test.builtins")] = {});',
    ...nodeBuiltins.map((id) => `builtins["${id}"] = await import("${id}");`),
    'const recorded = JSON.parse(std.loadFile("xengine-expected.json"));',
    "globalThis.__hbfXengineExpected = recorded ?? [];",
    'const h = await import("./harness.mjs");',
    ...portableTests.map((f) => `h.setFile("portable/${f}"); await import("./tests/${f}");`),
    `const r = await h.run({ label: "quickjs", verbose: ${verbose} });`,
    "std.exit(r.failed === 0 ? 0 : 1);",
  ].join("\n");
  writeFileSync(join(dir, "entry.mjs"), entry);
  const r = spawnSync(qjs, ["--no-unhandled-rejection", "-m", "entry.mjs"], { cwd: dir, encoding: "utf8", timeout: 300000 });
  const out = (r.stdout || "") + (r.stderr || "");
  process.stdout.write(out);
  rmSync(dir, { recursive: true, force: true });
  const m = /quickjs: (\d+) passed, (\d+) failed/.exec(out);
  if (!m) {
    console.log(`quickjs: no result line (exit ${r.status}${r.signal ? ", signal " + r.signal : ""})`);
    return { passed: 0, failed: 1 };
  }
  return { passed: Number(m[1]), failed: Number(m[2]) + (r.status === 0 ? 0 : Number(m[2]) === 0 ? 1 : 0) };
}
