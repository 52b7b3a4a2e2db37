// Internal to src/js: QuickJS's allocator hooks for a worker's runtime. A
// runtime made with JS_NewRuntime2(&kMallocFunctions, &memory), `memory`
// being its Worker::Memory, counts the bytes it holds there (so the engine
// reads a worker's memory in O(1)) and refuses allocations past the
// runtime's memory limit.
//
// Thread safety: only the thread running the worker writes its counter (a
// worker is used by one thread at a time); any thread may read it.
#pragma once

extern "C" {
#include <quickjs.h>
}

namespace hbf::js::internal {

// The hooks; each runtime's opaque must be its Worker::Memory.
extern const JSMallocFunctions kMallocFunctions;

}  // namespace hbf::js::internal
