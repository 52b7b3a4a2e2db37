// The QuickJS run: gets qjs from tools/common/harness.mjs (built once from
// .deps/src/quickjs-*, cached for every harness), copies src/js/builtin/*.js as
// "hbf:<name>" module files, runs qjs/portable.mjs's computeAll() inside
// QuickJS with a pure-JS fake native module and compares every result with
// what the same code computed under Node.
import { readdirSync, mkdirSync, copyFileSync, writeFileSync, existsSync, readFileSync, rmSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join, dirname, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { isDeepStrictEqual, inspect } from "node:util";
import { findOrBuildQjs, lazyBuiltinIds, builtinRegistrySource } from "../common/harness.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, "..", "..");
const builtinDir = join(repo, "src", "js", "builtin");


// The npm packages computeAll() uses (and what they depend on), from
// node_modules; none when lodash or dayjs is missing (npm install not run).
const NPM_PACKAGES = ["lodash", "dayjs", "uuid", "semver", "debug", "ms", "depd", "http-errors", "inherits",
  "setprototypeof", "statuses", "toidentifier", "jsonwebtoken", "jws", "jwa", "safe-buffer", "buffer-equal-constant-time",
  "ecdsa-sig-formatter", "lodash.includes", "lodash.isboolean", "lodash.isinteger", "lodash.isnumber",
  "lodash.isplainobject", "lodash.isstring", "lodash.once", "csv-parse", "through2", "readable-stream", "string_decoder",
  "util-deprecate"];

function packageDocs() {
  const docs = {};
  for (const name of NPM_PACKAGES) {
    const base = join(here, "node_modules", name);
    if (!existsSync(join(base, "package.json"))) {
      if (name === "lodash" || name === "dayjs") return {};
      continue;
    }
    const walk = (dir) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const full = join(dir, entry.name);
        if (entry.isDirectory()) walk(full);
        else if (/\.(c?js|json)$/.test(entry.name)) docs[`modules/${name}/${relative(base, full)}`] = readFileSync(full, "utf8");
      }
    };
    walk(base);
  }
  return docs;
}

export async function runQuickJs({ verbose = false, require = false } = {}) {
  const qjs = findOrBuildQjs(repo);
  if (qjs === null) {
    console.log("quickjs: skipped (no QuickJS sources in .deps/src or no C compiler; run `make deps`, or set QJS=/path/to/qjs)");
    return { passed: 0, failed: require ? 1 : 0 };
  }
  const packages = packageDocs();
  const { computeAll } = await import("./qjs/portable.mjs");
  const expected = JSON.parse(JSON.stringify(await computeAll(packages)));

  const dir = join(tmpdir(), `hbf-nodecompat-qjs-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(builtinDir).filter((f) => f.endsWith(".js"))) copyFileSync(join(builtinDir, f), join(dir, `hbf:${f.slice(0, -3)}`));
  copyFileSync(join(here, "qjs", "native.mjs"), join(dir, "hbf:native"));
  copyFileSync(join(here, "fake-clock.mjs"), join(dir, "fake-clock.mjs"));
  copyFileSync(join(here, "qjs", "hashes.mjs"), join(dir, "hashes.mjs"));
  copyFileSync(join(repo, "tools", "jsrt-test", "portable", "fake-native-pure.mjs"), join(dir, "jsrt-pure.mjs"));
  copyFileSync(join(repo, "tools", "jsrt-test", "portable", "fake-state.mjs"), join(dir, "fake-state.mjs"));
  copyFileSync(join(here, "qjs", "portable.mjs"), join(dir, "portable.mjs"));
  writeFileSync(join(dir, "packages.json"), JSON.stringify(packages));
  writeFileSync(join(dir, "entry.mjs"), [
    'import * as std from "std";',
    "// qjs's own console and performance (quickjs-libc; hbf has neither) would shadow hbf's:",
    "// hbf:bootstrap installs globals only if absent.",
    "delete globalThis.console;",
    "delete globalThis.performance;",
    'await import("hbf:bootstrap");',
    builtinRegistrySource(lazyBuiltinIds(builtinDir)),  // the fake's loadBuiltin reads it
    'const { computeAll } = await import("./portable.mjs");',
    'const got = await computeAll(JSON.parse(std.loadFile("packages.json")));',
    'std.out.puts(JSON.stringify(got));',
  ].join("\n"));
  const r = spawnSync(qjs, ["--no-unhandled-rejection", "-m", "entry.mjs"], { cwd: dir, encoding: "utf8", timeout: Number(process.env.HBF_QJS_TIMEOUT_MS) || 300000, maxBuffer: 64 << 20 });
  if (process.env.HBF_QJS_KEEP) console.log(`quickjs: kept ${dir}`);  // to rerun entry.mjs by hand
  else rmSync(dir, { recursive: true, force: true });
  let got;
  try {
    got = JSON.parse(r.stdout);
  } catch {
    console.log(`FAIL quickjs: no result (exit ${r.status}${r.signal ? ", signal " + r.signal : ""})\n${(r.stdout || "").slice(-2000)}\n${(r.stderr || "").slice(-3000)}`);
    return { passed: 0, failed: 1 };
  }
  let passed = 0;
  let failed = 0;
  for (const key of Object.keys(expected)) {
    if (isDeepStrictEqual(got[key], expected[key])) {
      passed++;
      if (verbose) console.log(`ok   quickjs: ${key}`);
    } else {
      failed++;
      const g = Array.isArray(got[key]) && Array.isArray(expected[key])
        ? got[key].map((v, i) => [i, v, expected[key][i]]).filter(([, a, b]) => !isDeepStrictEqual(a, b)).slice(0, 5)
        : [[null, got[key], expected[key]]];
      console.log(`FAIL quickjs: ${key} differs from the Node run:\n` +
        g.map(([i, a, b]) => `    [${i}] quickjs ${inspect(a, { breakLength: Infinity, depth: 5 })}\n        node    ${inspect(b, { breakLength: Infinity, depth: 5 })}`).join("\n"));
    }
  }
  console.log(`quickjs: ${passed} passed, ${failed} failed`);
  return { passed, failed };
}
