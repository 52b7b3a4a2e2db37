#include "js/natives_ws.h"

#include <string>

#include "http/ws_frame.h"
#include "http/ws_hub.h"
#include "js/js_values.h"
#include "js/worker_access.h"

namespace hbf::js::internal {

namespace {

// The hub and the caller's henv, or a thrown Error (a worker with no henv,
// or a server without WebSockets).
WsHub* HubOf(JSContext* ctx, const std::string*& henv) {
  Worker& w = *WorkerAccess::From(ctx);
  WsHub* hub = WorkerAccess::Ws(w);
  henv = &WorkerAccess::HenvHash(w);
  if (hub == nullptr || henv->empty()) {
    JS_ThrowInternalError(ctx, "WebSockets are not available here");
    return nullptr;
  }
  return hub;
}

bool SocketId(JSContext* ctx, int argc, JSValueConst* argv, uint64_t& id) {
  if (argc < 1) {
    JS_ThrowTypeError(ctx, "missing socket id");
    return false;
  }
  int64_t v = 0;
  if (JS_ToInt64(ctx, &v, argv[0]) < 0) return false;
  if (v <= 0) {
    JS_ThrowTypeError(ctx, "invalid socket id");
    return false;
  }
  id = static_cast<uint64_t>(v);
  return true;
}

// A message: a string is text, bytes (ArrayBuffer, typed array, Buffer) binary.
bool Payload(JSContext* ctx, JSValueConst v, std::string& out, bool& binary) {
  if (JS_IsString(v)) {
    out = ToStdString(ctx, v);
    binary = false;
    return true;
  }
  if (BytesOf(ctx, v, out)) {
    binary = true;
    return true;
  }
  JS_ThrowTypeError(ctx, "a WebSocket message is a string, an ArrayBuffer or a typed array");
  return false;
}

bool ChannelArg(JSContext* ctx, int argc, JSValueConst* argv, int i, std::string& out) {
  if (i >= argc || !JS_IsString(argv[i])) {
    JS_ThrowTypeError(ctx, "a channel name must be a string");
    return false;
  }
  out = ToStdString(ctx, argv[i]);
  return true;
}

// Limits a script ran into are its errors; a socket that closed is not.
JSValue ResultOf(JSContext* ctx, const Status& status) {
  if (status.ok()) return JS_TRUE;
  if (status.error().code == "not_found") return JS_FALSE;
  return JS_ThrowRangeError(ctx, "%s", status.error().message.c_str());
}

}  // namespace

JSValue NativeWsSend(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  const std::string* henv = nullptr;
  WsHub* hub = HubOf(ctx, henv);
  uint64_t id = 0;
  if (hub == nullptr || !SocketId(ctx, argc, argv, id)) return JS_EXCEPTION;
  std::string payload;
  bool binary = false;
  if (argc < 2 || !Payload(ctx, argv[1], payload, binary)) {
    if (argc < 2) JS_ThrowTypeError(ctx, "missing message");
    return JS_EXCEPTION;
  }
  return ResultOf(ctx, hub->Send(*henv, id, binary, payload));
}

JSValue NativeWsClose(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  const std::string* henv = nullptr;
  WsHub* hub = HubOf(ctx, henv);
  uint64_t id = 0;
  if (hub == nullptr || !SocketId(ctx, argc, argv, id)) return JS_EXCEPTION;
  int32_t code = ws_close::kNormal;
  if (argc > 1 && !JS_IsUndefined(argv[1]) && JS_ToInt32(ctx, &code, argv[1]) < 0) return JS_EXCEPTION;
  // As browsers: a script may close with 1000 or a code of its own (3000-4999).
  if (code != ws_close::kNormal && (code < 3000 || code > 4999)) {
    return JS_ThrowRangeError(ctx, "close code %d: use 1000 or 3000-4999", code);
  }
  std::string reason = argc > 2 && !JS_IsUndefined(argv[2]) ? ToStdString(ctx, argv[2]) : "";
  if (reason.size() > 123) return JS_ThrowRangeError(ctx, "a close reason is at most 123 bytes");
  return ResultOf(ctx, hub->Close(*henv, id, code, std::move(reason)));
}

namespace {

// ws.subscribe / ws.unsubscribe: (socket id, channel) -> the hub's `join`.
JSValue ChannelMembership(JSContext* ctx, int argc, JSValueConst* argv,
                          Status (WsHub::*join)(const std::string&, uint64_t, const std::string&)) {
  const std::string* henv = nullptr;
  WsHub* hub = HubOf(ctx, henv);
  uint64_t id = 0;
  std::string channel;
  if (hub == nullptr || !SocketId(ctx, argc, argv, id) || !ChannelArg(ctx, argc, argv, 1, channel)) {
    return JS_EXCEPTION;
  }
  return ResultOf(ctx, (hub->*join)(*henv, id, channel));
}

}  // namespace

JSValue NativeWsSubscribe(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  return ChannelMembership(ctx, argc, argv, &WsHub::Subscribe);
}

JSValue NativeWsUnsubscribe(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  return ChannelMembership(ctx, argc, argv, &WsHub::Unsubscribe);
}

JSValue NativeWsPublish(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  const std::string* henv = nullptr;
  WsHub* hub = HubOf(ctx, henv);
  std::string channel;
  if (hub == nullptr || !ChannelArg(ctx, argc, argv, 0, channel)) return JS_EXCEPTION;
  std::string payload;
  bool binary = false;
  if (argc < 2 || !Payload(ctx, argv[1], payload, binary)) {
    if (argc < 2) JS_ThrowTypeError(ctx, "missing message");
    return JS_EXCEPTION;
  }
  if (!binary && !IsValidUtf8(payload)) return JS_ThrowTypeError(ctx, "a text message must be valid UTF-8");
  const size_t delivered = hub->Publish(*henv, channel, binary, payload);
  return JS_NewInt64(ctx, static_cast<int64_t>(delivered));
}

JSValue NativeWsSetData(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  const std::string* henv = nullptr;
  WsHub* hub = HubOf(ctx, henv);
  uint64_t id = 0;
  if (hub == nullptr || !SocketId(ctx, argc, argv, id)) return JS_EXCEPTION;
  std::string json = argc > 1 && JS_IsString(argv[1]) ? ToStdString(ctx, argv[1]) : "";
  return ResultOf(ctx, hub->SetData(*henv, id, std::move(json)));
}

}  // namespace hbf::js::internal
