// Node module hooks: "hbf:<name>" -> src/js/builtin/<name>.js, and "hbf:native"
// -> the fake native module (Node flavour by default, or the pure-JS one with
// HBF_FAKE_NATIVE=pure).
import { readFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const builtinDir = new URL("../../src/js/builtin/", import.meta.url);
const nativeUrl = new URL(
  process.env.HBF_FAKE_NATIVE === "pure" ? "./portable/fake-native-pure.mjs" : "./node/fake-native-node.mjs",
  import.meta.url,
);

export async function resolve(specifier, context, next) {
  if (specifier.startsWith("hbf:")) {
    const name = specifier.slice(4);
    if (name === "native") return { url: nativeUrl.href, format: "module", shortCircuit: true };
    // Any built-in file (hbf:bootstrap, hbf:modules, the hbf:node_* shims, ...).
    const url = new URL(name + ".js", builtinDir);
    if (/^[a-z0-9_]+$/.test(name) && existsSync(fileURLToPath(url))) return { url: url.href, format: "module", shortCircuit: true };
    throw new Error(`unknown builtin module ${specifier}`);
  }
  return next(specifier, context);
}

export async function load(url, context, next) {
  if (url.startsWith(builtinDir.href)) {
    return { format: "module", source: await readFile(new URL(url)), shortCircuit: true };
  }
  return next(url, context);
}
