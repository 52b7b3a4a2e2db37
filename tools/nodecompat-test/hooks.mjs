// Node module hooks for the harness: "hbf:<name>" -> src/js/builtin/<name>.js
// and "hbf:native" -> ./fake-native.mjs (an in-memory document store, config,
// log sink and fake timers).
import { readFile } from "node:fs/promises";
import { existsSync } from "node:fs";

const builtinDir = new URL("../../src/js/builtin/", import.meta.url);
const nativeUrl = new URL("./fake-native.mjs", import.meta.url);

export async function resolve(specifier, context, next) {
  if (specifier.startsWith("hbf:")) {
    const name = specifier.slice(4);
    if (name === "native") return { url: nativeUrl.href, format: "module", shortCircuit: true };
    const url = new URL(name + ".js", builtinDir);
    if (!/^[a-z_]+$/.test(name) || !existsSync(url)) throw new Error(`unknown builtin module ${specifier}`);
    return { url: url.href, format: "module", shortCircuit: true };
  }
  return next(specifier, context);
}

export async function load(url, context, next) {
  if (url.startsWith(builtinDir.href)) {
    return { format: "module", source: await readFile(new URL(url)), shortCircuit: true };
  }
  return next(url, context);
}
