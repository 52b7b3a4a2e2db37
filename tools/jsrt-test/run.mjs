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
import { readdirSync, mkdirSync, copyFileSync, writeFileSync, rmSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { findOrBuildQjs, lazyBuiltinIds, fillBuiltinRegistry, builtinRegistrySource } from "../common/harness.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, "..", "..");
const builtinDir = join(repo, "src", "js", "builtin");
const args = new Set(process.argv.slice(2));
const verbose = args.has("--verbose");

const list = (dir, suffix) => readdirSync(dir).filter((f) => f.endsWith(suffix)).sort();
const portableTests = list(join(here, "portable", "tests"), ".mjs");
const nodeTests = list(join(here, "node"), ".test.mjs");
const nodeBuiltins = lazyBuiltinIds(builtinDir);  // the fakes' loadBuiltin registry (tools/common/harness.mjs)

// --- Node ---------------------------------------------------------------------------
register("./hooks.mjs", import.meta.url);
await fillBuiltinRegistry(nodeBuiltins);
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
  const qjs = findOrBuildQjs(repo);
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

function runQjs(qjs) {
  const dir = join(tmpdir(), `hbf-jsrt-run-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, "tests"), { recursive: true });
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
    builtinRegistrySource(nodeBuiltins),
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
