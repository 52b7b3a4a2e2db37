// Internal to src/js: what a tenant's bare or "node:" specifier names when
// it is one of Node's core modules as HBF provides them ("fs",
// "node:path") or a package HBF builds in ("express"). Those resolve the
// same wherever they are imported from, so the module loader answers them
// without hbf:modules' resolver: a worker whose scripts import nothing else
// never loads it (~75 KB of its heap, and the time to evaluate it).
//
// hbf:modules keeps the same names in BUILTINS and BUILTIN_PACKAGES (for
// require() and everything else); ModulesTest.BuiltinSpecifiersLoadWhatRequireLoads
// checks that both agree on every name.
//
// Thread safety: constant data.
#pragma once

#include <string_view>

namespace hbf::js {

// The built-in module id ("hbf:node_fs") for `specifier`, or null when it
// names no core module or built-in package (the resolver decides: packages
// under modules/, documents, and the errors for "node:" names HBF lacks).
const char* BuiltinModuleFor(std::string_view specifier);

}  // namespace hbf::js
