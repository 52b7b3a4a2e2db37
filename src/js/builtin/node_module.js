// hbf:node_module — Node's `module`: createRequire (a document id, "/"-absolute
// path or file: URL), builtinModules, isBuiltin and the Module class of
// hbf:modules' CommonJS loader.

export { Module as default, Module, createRequire, builtinModules, isBuiltin } from "hbf:modules";

export function register() {
  const err = new Error("module.register() (loader hooks) is not supported in hbf");
  err.code = "ERR_HBF_UNSUPPORTED";
  throw err;
}

export function syncBuiltinESMExports() {}

export function findSourceMap() {
  return undefined;
}
