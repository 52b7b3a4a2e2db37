// Internal to src/js: the hbf:native functions behind hbf:ws (sending,
// closing, channels and per-socket data), each acting through the engine's
// WsHub for the calling worker's own henv only.
//
// Thread safety: as every native, on the thread using the worker; the hub
// is thread-safe.
#pragma once

extern "C" {
#include <quickjs.h>
}

namespace hbf::js::internal {

JSValue NativeWsSend(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv);
JSValue NativeWsClose(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv);
JSValue NativeWsSubscribe(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv);
JSValue NativeWsUnsubscribe(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv);
JSValue NativeWsPublish(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv);
JSValue NativeWsSetData(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv);

}  // namespace hbf::js::internal
