// Links tenant ES modules the way the C++ loader does, with vm.SourceTextModule:
// every import goes through hbf:modules' resolve(spec, referrerId, "import");
// "esm" documents are compiled as modules, "cjs" ones through the facade
// source (esmFacadeSource, the same text the C++ side generates), "json"
// ones as `export default JSON.parse(...)`, "builtin" ones are hbf:* modules.
import vm from "node:vm";
import * as hbfModules from "hbf:modules";
import { readDocument, utf8Decode } from "hbf:native";

export function createLoader() {
  const cache = new Map();

  function textOf(id) {
    const bytes = readDocument(id);
    if (bytes === null) throw new Error(`cannot find module '${id}'`);
    return utf8Decode(bytes, false);
  }

  async function builtin(id) {
    const ns = await import(id);
    const names = Object.keys(ns);
    return new vm.SyntheticModule(names, function () {
      for (const n of names) this.setExport(n, ns[n]);
    }, { identifier: id });
  }

  async function get(id, format) {
    if (cache.has(id)) return cache.get(id);
    let m;
    const importModuleDynamically = async (spec, referencing) => {
      const r = hbfModules.resolve(spec, referencing.identifier, "import");
      const dep = await get(r.id, r.format);
      await dep.link(linker);
      await dep.evaluate();
      return dep;
    };
    if (format === "builtin") m = await builtin(id);
    else if (format === "esm") m = new vm.SourceTextModule(textOf(id), { identifier: id, importModuleDynamically });
    else if (format === "cjs") m = new vm.SourceTextModule(hbfModules.esmFacadeSource(id), { identifier: id });
    else if (format === "json") m = new vm.SourceTextModule(`export default JSON.parse(${JSON.stringify(textOf(id))});\n`, { identifier: id });
    else throw new Error(`unknown format ${format} for ${id}`);
    cache.set(id, m);
    return m;
  }

  async function linker(specifier, referencing) {
    const r = hbfModules.resolve(specifier, referencing.identifier, "import");
    return get(r.id, r.format);
  }

  /** Imports document `id` (an ES module, as the host imports _system/router.js) and returns its namespace. */
  async function importDocument(id) {
    const m = await get(id, "esm");
    await m.link(linker);
    await m.evaluate();
    return m.namespace;
  }

  return { importDocument };
}
