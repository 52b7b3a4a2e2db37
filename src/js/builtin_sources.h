// HBF's built-in JavaScript modules (src/js/builtin/*.js), compiled to
// QuickJS bytecode at build time by src/js/tools/js_bytecode.cpp.
#pragma once

#include <cstddef>
#include <cstdint>

namespace hbf::js {

struct BuiltinModule {
  const char* name;          // module name, e.g. "hbf:router"
  const uint8_t* bytecode;   // JS_WriteObject(JS_WRITE_OBJ_BYTECODE) output
  size_t size;
};

// Terminated by an entry with a null name; kBuiltinModuleCount excludes it.
extern const BuiltinModule kBuiltinModules[];
extern const size_t kBuiltinModuleCount;

}  // namespace hbf::js
