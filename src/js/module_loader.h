// Internal to src/js: how a worker finds and loads modules. QuickJS calls
// NormalizeModule and LoadModule (JS_SetModuleLoaderFunc, opaque = the
// Worker). Built-in modules (hbf:*) come from bytecode compiled at build
// time; hbf:native is the C module of natives.h. A henv's modules are its
// documents, compiled once per (id, exact source) for all its workers (the
// pool's BytecodeCache, whose methods are defined in module_loader.cpp).
// Tenant imports resolve through hbf:modules' resolver when the build has
// it, as require() does; JSON and CommonJS documents load through ES module
// facades.
//
// Thread safety: the hooks act on one worker, used by one thread at a time.
// Builtins() is built once (a function-local static) and immutable after,
// but for its shared code slots, atomics written once each; BytecodeCache
// locks its own mutex.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>

extern "C" {
#include <quickjs.h>
}

namespace hbf::js::internal {

// One built-in module: its bytecode, and the code of its functions as read
// by earlier runtimes, which later ones with the same atom numbering share
// instead of a copy each (JS_ReadObjectShared). A worker's built-ins are
// read in the same order into a fresh runtime, so all workers have one
// numbering; a module read in another state (loaded lazily, after a
// script's own atoms) may have another, so up to kVariants are kept. Each
// is made by the first read that matches none, published with a
// compare-and-swap, and kept for the process's life (runtimes point into
// it; freed with Builtins()'s table at exit).
struct BuiltinModuleCode {
  static constexpr int kVariants = 4;
  BuiltinModuleCode() = default;
  BuiltinModuleCode(const BuiltinModuleCode&) = delete;
  BuiltinModuleCode& operator=(const BuiltinModuleCode&) = delete;
  // At the process's exit, once no runtime is left.
  ~BuiltinModuleCode() {
    for (auto& slot : shared) JS_FreeSharedBytecode(slot.load(std::memory_order_acquire));
  }
  const uint8_t* bytecode = nullptr;
  size_t size = 0;
  mutable std::atomic<JSSharedBytecode*> shared[kVariants] = {};
};

struct BuiltinBytecode {
  std::unordered_map<std::string, BuiltinModuleCode> modules;
};

// The build-time bytecode table, indexed once per process.
const BuiltinBytecode& Builtins();

// Bytes of built-in function code shared between runtimes so far (each
// counted once, however many runtimes use it), and how many reads of a
// built-in have used shared code (a worker's creation, not a request).
size_t SharedBuiltinCodeBytes();
uint64_t SharedBuiltinReads();

// The module loader hooks. Neither lets a C++ exception through: one retires
// the worker and throws out of memory.
// Resolves `name` imported from `base` ("" when HBF itself loads it) to a
// module id (js_strdup'd), or null with an exception pending.
char* NormalizeModule(JSContext* ctx, const char* base, const char* name, void* opaque);
// Compiles (or reads the bytecode of) module `name`; null with an exception
// pending. Records the hbf:* bytecode modules it loads in the worker's
// builtin_modules_ (LoadBuiltinNamespace finds them there).
JSModuleDef* LoadModule(JSContext* ctx, const char* name, void* opaque);

// The namespace of built-in module `id`, loaded and evaluated synchronously
// on first use (or JS_EXCEPTION). This is what makes the Node shims, the
// globals they back and the module resolver lazy: a worker pays for `fs` only
// when a script requires it. Built-ins have no top-level await, so evaluation
// completes here.
JSValue LoadBuiltinNamespace(JSContext* ctx, const std::string& id);

// require() of an ES module (as Node 22 allows): document `id` loaded,
// linked and evaluated synchronously as `import` would (one instance for
// both), returning its namespace. A graph with top-level await throws
// ERR_REQUIRE_ASYNC_MODULE; an evaluation error is rethrown.
JSValue RequireEsmNamespace(JSContext* ctx, const std::string& id);

}  // namespace hbf::js::internal
