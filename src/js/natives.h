// Internal to src/js: the `hbf:native` module, the host functions HBF's
// built-in modules are written on: logging,
// UTF-8, the monotonic clock, detaching an
// ArrayBuffer, the henv's documents and config, timers, compileFunction,
// hostInfo and loadBuiltin; and, each in its own file, SQL on the worker's
// connections (natives_db.h), hashes, random bytes
// and base64 (natives_crypto.h), zlib (natives_zlib.h), accounts
// (natives_auth.h) and WebSockets (natives_ws.h). Only built-in modules may
// import it (NormalizeModule refuses it to tenant code).
//
// Every function is called through a guard, so no C++ exception unwinds
// through QuickJS's C frames: one becomes a JS exception and retires the
// worker, whose state is then unknown.
//
// Thread safety: a native acts on its context's Worker (the context's
// opaque), which is used by one thread at a time.
#pragma once

extern "C" {
#include <quickjs.h>
}

namespace hbf::js::internal {

// The `hbf:native` C module for `ctx`, named `name`, with its exports
// declared (QuickJS sets them when it instantiates the module); null when it
// cannot be made.
JSModuleDef* NewNativeModule(JSContext* ctx, const char* name);

}  // namespace hbf::js::internal
