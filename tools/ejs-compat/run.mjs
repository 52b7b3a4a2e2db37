#!/usr/bin/env node
// Byte-identity tests of hbf:templates (src/js/builtin/templates.js) against
// the ejs npm package.
//
//   npm --prefix tools/ejs-compat install      # once: ejs@3 into tools/ejs-compat/node_modules
//   node tools/ejs-compat/run.mjs [--verbose] [--no-qjs] [--require-qjs]
//
// 1. Renders every corpus/*.ejs that has a corpus/*.json (data, options,
//    helpers) with the real ejs (renderFile, `filename` in the corpus dir so
//    includes resolve) and records the output or the error (its "id:LINE" +
//    excerpt blocks, with corpus paths turned into ids).
// 2. Node: loads src/js/builtin/*.js through module hooks with a fake
//    hbf:native whose readDocument reads the corpus dir, renders each case
//    with renderDocument(id) and with render(source) and compares byte for
//    byte; corpus/legacy/*.ejs (the ejs v2 `<% include x %>` directive, which
//    ejs v3 lacks) carry their own expected output. Then api-tests.mjs
//    (API behaviour, caching, include depth, res.render through dispatch).
// 3. QuickJS: qjs from tools/common/harness.mjs (built once from .deps, cached
//    for every harness) runs the same cases and API
//    tests inside it, against the outputs ejs produced.
// Last line: "N passed, N failed"; the exit status is non-zero on failure.
import { register, createRequire } from "node:module";
import { readdirSync, readFileSync, existsSync, mkdirSync, copyFileSync, writeFileSync, rmSync, statSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join, dirname, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { findOrBuildQjs, lazyBuiltinIds, fillBuiltinRegistry, builtinRegistrySource } from "../common/harness.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, "..", "..");
const builtinDir = join(repo, "src", "js", "builtin");
const corpusDir = join(here, "corpus");
const args = new Set(process.argv.slice(2));
const verbose = args.has("--verbose");
const out = (s) => process.stdout.write(s + "\n");
const nodeBuiltins = lazyBuiltinIds(builtinDir);  // the fakes' loadBuiltin registry (tools/common/harness.mjs)

// --- ejs ------------------------------------------------------------------------------
if (!existsSync(join(here, "node_modules", "ejs", "package.json"))) {
  out("ejs is not installed: run `npm --prefix tools/ejs-compat install` first");
  out("0 passed, 1 failed");
  process.exit(1);
}
const require = createRequire(import.meta.url);
const ejs = require("ejs");
out(`ejs ${ejs.VERSION}`);

const core = await import("./core.mjs");

// --- corpus ---------------------------------------------------------------------------
function walk(dir) {
  const files = [];
  for (const f of readdirSync(dir).sort()) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) files.push(...walk(p));
    else files.push(p);
  }
  return files;
}
const toId = (abs) => relative(corpusDir, abs).split(sep).join("/");
const allFiles = walk(corpusDir);
const cases = [];
for (const abs of allFiles) {
  if (!abs.endsWith(".ejs")) continue;
  const json = abs.slice(0, -4) + ".json";
  if (!existsSync(json)) continue; // a partial
  const id = toId(abs);
  const text = readFileSync(abs, "utf8").replace(/^\uFEFF/, "");
  cases.push({ id, text, legacy: id.startsWith("legacy/"), meta: JSON.parse(readFileSync(json, "utf8")) });
}
const ejsCases = cases.filter((c) => !c.legacy);
out(`corpus: ${ejsCases.length} templates compared with ejs, ${cases.length - ejsCases.length} legacy-include templates, ${allFiles.filter((f) => !f.endsWith(".json")).length} template files in all`);

// --- what ejs renders -----------------------------------------------------------------
const prefix = corpusDir + sep;
const norm = (s) => String(s).split(prefix).join("").split(sep).join("/");
const expected = {};
for (const c of ejsCases) {
  const opts = core.buildOptions(c.meta);
  opts.root = corpusDir; // where ejs resolves include('/x') (hbf: the document root)
  const r = await core.capture(() => ejs.renderFile(join(corpusDir, c.id), core.buildData(c.meta), opts));
  if (r.error) {
    const parsed = core.parseErrorMessage(norm(r.error.message));
    expected[c.id] = { error: { name: r.error.name, blocks: parsed.blocks, rest: parsed.rest } };
  } else {
    expected[c.id] = { output: r.output };
  }
  if (c.meta.compileErrorLine !== undefined && !expected[c.id].error) {
    out(`corpus: ${c.id} says compileErrorLine but ejs rendered it`);
  }
}

// Random templates (fuzz.mjs) rendered from source, compared the same way.
const { fuzzCases } = await import("./fuzz.mjs");
const fuzz = fuzzCases(Number(process.env.EJS_FUZZ_COUNT || 400));
for (const c of fuzz) {
  const r = await core.capture(() => ejs.render(c.text, core.buildData(c.meta), { ...core.buildOptions(c.meta), filename: c.id }));
  if (r.error) {
    const parsed = core.parseErrorMessage(r.error.message);
    expected[c.id] = { error: { name: r.error.name, blocks: parsed.blocks, rest: parsed.rest } };
  } else {
    expected[c.id] = { output: r.output };
  }
}
cases.push(...fuzz);
const fuzzErrors = fuzz.filter((c) => expected[c.id].error).length;
out(`fuzz: ${fuzz.length} random templates (${fuzzErrors} of them errors in ejs)`);

// --- Node -----------------------------------------------------------------------------
register("./hooks.mjs", import.meta.url);
const fake = await import("hbf:native");
fake.__setRoot(corpusDir);
await fillBuiltinRegistry(nodeBuiltins);
const templates = await import("hbf:templates");
const nodeResults = await core.runCorpus(templates, cases, expected, "node");
const api = await import("./api-tests.mjs");
nodeResults.push(...(await api.apiTests()));
const nodeTotals = core.report(nodeResults, "node", verbose, out);

// --- QuickJS --------------------------------------------------------------------------
let qjsTotals = { passed: 0, failed: 0 };
if (!args.has("--no-qjs")) {
  const qjs = findOrBuildQjs(repo, out);
  if (qjs === null) {
    out("quickjs: skipped (no QuickJS sources in .deps/src or no C compiler; run `make deps`, or set QJS=/path/to/qjs)");
    if (args.has("--require-qjs")) qjsTotals.failed = 1;
  } else {
    qjsTotals = runQjs(qjs);
  }
}

const passed = nodeTotals.passed + qjsTotals.passed;
const failed = nodeTotals.failed + qjsTotals.failed;
out(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);

// --------------------------------------------------------------------------------------

function runQjs(qjs) {
  const dir = join(tmpdir(), `hbf-ejs-compat-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(builtinDir)) {
    if (f.endsWith(".js")) copyFileSync(join(builtinDir, f), join(dir, "hbf:" + f.slice(0, -3)));
  }
  copyFileSync(join(here, "fake-native-pure.mjs"), join(dir, "hbf:native"));
  const jsrtPortable = join(repo, "tools", "jsrt-test", "portable");
  copyFileSync(join(jsrtPortable, "fake-native-pure.mjs"), join(dir, "jsrt-pure.mjs"));
  copyFileSync(join(jsrtPortable, "fake-state.mjs"), join(dir, "fake-state.mjs"));
  for (const f of ["core.mjs", "api-tests.mjs"]) copyFileSync(join(here, f), join(dir, f));
  const documents = {};
  for (const abs of allFiles) if (!abs.endsWith(".json")) documents[toId(abs)] = readFileSync(abs).toString("base64");
  // ASCII-only JSON: qjs's std.loadFile decodes the file itself.
  const input = JSON.stringify({ documents, cases, expected }).replace(/[\u007f-\uffff]/g, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
  writeFileSync(join(dir, "input.json"), input);
  const entry = `
import * as std from "std";
const print = globalThis.print;
const input = JSON.parse(std.loadFile("input.json"));
const native = await import("hbf:native");
const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
function fromBase64(s) {
  const clean = s.replace(/=+$/, "");
  const outBytes = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let bits = 0, acc = 0, o = 0;
  for (let i = 0; i < clean.length; i++) {
    acc = (acc << 6) | B64.indexOf(clean[i]);
    bits += 6;
    if (bits >= 8) { bits -= 8; outBytes[o++] = (acc >> bits) & 0xff; }
  }
  return outBytes;
}
for (const [id, b64] of Object.entries(input.documents)) native.__docs.set(id, fromBase64(b64));
// QuickJS's own console would shadow hbf:bootstrap's (it installs globals only if absent).
delete globalThis.console;
await import("hbf:bootstrap");
${builtinRegistrySource(nodeBuiltins)}
const core = await import("./core.mjs");
const templates = await import("hbf:templates");
const results = await core.runCorpus(templates, input.cases, input.expected, "quickjs");
const api = await import("./api-tests.mjs");
results.push(...(await api.apiTests()));
const r = core.report(results, "quickjs", ${verbose}, print);
std.exit(r.failed === 0 ? 0 : 1);
`;
  writeFileSync(join(dir, "entry.mjs"), entry);
  const r = spawnSync(qjs, ["--no-unhandled-rejection", "-m", "entry.mjs"], { cwd: dir, encoding: "utf8", timeout: 300000 });
  const text = (r.stdout || "") + (r.stderr || "");
  process.stdout.write(text);
  rmSync(dir, { recursive: true, force: true });
  const m = /quickjs: (\d+) passed, (\d+) failed/.exec(text);
  if (!m) {
    out(`quickjs: no result line (exit ${r.status}${r.signal ? ", signal " + r.signal : ""})`);
    return { passed: 0, failed: 1 };
  }
  return { passed: Number(m[1]), failed: Number(m[2]) + (r.status === 0 || Number(m[2]) !== 0 ? 0 : 1) };
}
