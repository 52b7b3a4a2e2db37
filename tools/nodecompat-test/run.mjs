#!/usr/bin/env node
// Test runner for HBF's Node compatibility layer (hbf:modules, hbf:node_*).
//
//   node tools/nodecompat-test/run.mjs [--verbose] [--filter TEXT] [--no-qjs] [--require-qjs]
//
// 1. Node run: src/js/builtin/*.js are loaded through module hooks (hooks.mjs)
//    with a fake "hbf:native" (fake-native.mjs: in-memory documents, config,
//    fake timers). tests/*.test.mjs compare the resolver, the CommonJS loader,
//    every shim (streams scenario by scenario) and the globals' implementations
//    with Node's real behaviour, and run the npm packages of package.json
//    (npm install in this directory) from the fake document store.
// 2. QuickJS run: the same built-in files inside real QuickJS (qjs built from
//    .deps/src/quickjs-*), with a pure-JS fake native module: CommonJS
//    packages, shims and resolution, checked against values the Node run
//    recorded. Skipped when the sources or a C compiler are missing.
//    HBF_QJS_KEEP=1 keeps its directory (to rerun entry.mjs by hand);
//    HBF_QJS_TIMEOUT_MS bounds it (default 300000).
//
// ES modules are linked with vm.SourceTextModule exactly as the C++ loader
// does it (resolve → ESM document | CommonJS facade | JSON | built-in), which
// needs --experimental-vm-modules: the runner re-executes itself with it.
import { spawnSync } from "node:child_process";
import { register } from "node:module";
import { readdirSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { lazyBuiltinIds, fillBuiltinRegistry } from "../common/harness.mjs";

if (!process.execArgv.includes("--experimental-vm-modules")) {
  const r = spawnSync(process.execPath, ["--experimental-vm-modules", "--no-warnings", ...process.execArgv,
    fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: "inherit" });
  process.exit(r.status ?? 1);
}

const here = dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const verbose = argv.includes("--verbose");
const filterIndex = argv.indexOf("--filter");
const filter = filterIndex !== -1 ? argv[filterIndex + 1] : null;

register("./hooks.mjs", import.meta.url);
const lib = await import("./lib.mjs");
// hbf:bootstrap first, as the host does.
await import("hbf:bootstrap");
// The fake's loadBuiltin registry (tools/common/harness.mjs), before any test runs.
await fillBuiltinRegistry(lazyBuiltinIds(join(here, "..", "..", "src", "js", "builtin")));

const files = readdirSync(join(here, "tests")).filter((f) => f.endsWith(".test.mjs")).sort();
for (const f of files) {
  lib.setFile(f.replace(/\.test\.mjs$/, ""));
  await import(pathToFileURL(join(here, "tests", f)).href);
}
const node = await lib.run({ verbose, filter });
console.log(`node: ${node.passed} passed, ${node.failed} failed`);

let qjs = { passed: 0, failed: 0 };
if (!argv.includes("--no-qjs") && !filter) {
  const { runQuickJs } = await import("./qjs.mjs");
  qjs = await runQuickJs({ verbose, require: argv.includes("--require-qjs") });
}

const passed = node.passed + qjs.passed;
const failed = node.failed + qjs.failed;
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
