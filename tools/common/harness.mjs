// Shared by the Node-side test harnesses of the built-in JavaScript
// (tools/jsrt-test, tools/ejs-compat, tools/nodecompat-test).
import { readdirSync, mkdirSync, copyFileSync, existsSync, readFileSync, rmSync, statSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A qjs binary: $QJS, or one built once from the QuickJS sources in
 * .deps/src (or $HBF_QJS_SRC) and cached in the system temp directory, shared
 * by every harness. null when there are no sources or the build fails.
 */
export function findOrBuildQjs(repo, log = console.log) {
  if (process.env.QJS) return process.env.QJS;
  const depsDir = join(repo, ".deps", "src");
  const srcName = existsSync(depsDir) ? readdirSync(depsDir).find((d) => d.startsWith("quickjs-")) : undefined;
  const src = process.env.HBF_QJS_SRC || (srcName ? join(depsDir, srcName) : null);
  if (!src || !existsSync(join(src, "qjs.c"))) return null;
  const version = readFileSync(join(src, "VERSION"), "utf8").trim();
  const buildDir = join(tmpdir(), `hbf-jsrt-qjs-${version}`);
  const bin = join(buildDir, "qjs");
  if (existsSync(bin)) return bin;
  log(`quickjs: building qjs ${version} in ${buildDir} (once)...`);
  rmSync(buildDir, { recursive: true, force: true });
  mkdirSync(buildDir, { recursive: true });
  for (const f of readdirSync(src)) {
    if (statSync(join(src, f)).isFile()) copyFileSync(join(src, f), join(buildDir, f));
  }
  const r = spawnSync("make", ["-j2", "qjs"], { cwd: buildDir, encoding: "utf8" });
  if (r.status !== 0 || !existsSync(bin)) {
    log(`quickjs: build failed:\n${(r.stderr || r.error || "").toString().slice(-2000)}`);
    return null;
  }
  return bin;
}

// The real hbf:native's loadBuiltin(id) evaluates a built-in synchronously on
// first use (hbf:modules, the hbf:node_* shims behind require() and the lazy
// globals). Neither Node's ESM nor qjs can import synchronously, so the fakes
// read a registry, globalThis[Symbol.for("hbf.test.builtins")], that each run
// fills before any test or lazy global needs it.

/** The ids loadBuiltin serves: hbf:modules, hbf:templates, hbf:ws, hbf:http_negotiate and every hbf:node_* and hbf:web_*. */
export function lazyBuiltinIds(builtinDir) {
  return readdirSync(builtinDir)
    .filter((f) => /^(node_\w+|web_\w+|modules|templates|ws|http_negotiate)\.js$/.test(f))
    .sort()
    .map((f) => `hbf:${f.slice(0, -3)}`);
}

/** Fills the registry in this (Node) process; the hbf: hooks must be registered. */
export async function fillBuiltinRegistry(ids) {
  const builtins = (globalThis[Symbol.for("hbf.test.builtins")] = {});
  for (const id of ids) builtins[id] = await import(id);
}

/** The same, as source lines for a generated QuickJS entry module. */
export function builtinRegistrySource(ids) {
  return [
    'const builtins = (globalThis[Symbol.for("hbf.test.builtins")] = {});',
    ...ids.map((id) => `builtins["${id}"] = await import("${id}");`),
  ].join("\n");
}
