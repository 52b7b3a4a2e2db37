// WebSockets on a henv host. The upgrade request runs the henv's router like
// any request (script_routing.cpp); a ws route (hbf:ws) accepts it. What
// follows, each message and the close, runs here: on a handler thread, in
// the henv's turn, on whichever worker is free (sockets hold none between
// events). Without a ws route for the path, /ws/{channel} is the spec's
// built-in socket: a signed-in user receives what is published to the
// channel. See ARCHITECTURE.md "WebSockets".
#include <exception>
#include <memory>

#include "app/app.h"
#include "app/realtime.h"
#include "core/log.h"
#include "http/ws_frame.h"
#include "http/ws_hub.h"

namespace hbf {

namespace {

// The route key of the built-in channel sockets (a script's keys are
// "<n>:<path>", so none can collide with it).
constexpr char kChannelRoute[] = "hbf:channel";
constexpr std::string_view kChannelPrefix = "/ws/";

// "3:/chat/:room" -> "/chat/:room" (what the henv's log shows).
std::string RoutePath(const std::string& key) {
  const size_t colon = key.find(':');
  return colon == std::string::npos ? key : key.substr(colon + 1);
}

}  // namespace

HttpResponse App::WebSocketFallback(const HttpRequest& request, const RequestContext& ctx, Henv& henv,
                                    bool authenticated) {
  WsHub* hub = scripts_.ws_hub();
  const std::string& path = ctx.subpath;
  if (hub == nullptr || ctx.encoded_slash || path.size() <= kChannelPrefix.size() ||
      path.compare(0, kChannelPrefix.size(), kChannelPrefix) != 0) {
    return HttpResponse::ErrorBody(404, "no_websocket_route", "no WebSocket is served at " + path);
  }
  if (!authenticated) {
    return HttpResponse::ErrorBody(401, "unauthorized",
                                   "sign in first: send the session cookie, an Authorization header or ?token=");
  }
  const std::string channel = path.substr(kChannelPrefix.size());
  if (Status joined = hub->Subscribe(henv.hash(), request.websocket_id, channel); !joined.ok()) {
    return HttpResponse::FromError(joined.error());
  }
  HttpResponse r;
  r.status = 101;
  r.websocket_route = kChannelRoute;
  return r;
}

void App::HandleWsEvent(WsEvent event, std::function<void()> done) {
  try {
    WsHub* hub = scripts_.ws_hub();
    const bool is_close = event.kind == WsEvent::Kind::kClose;
    // The built-in channel sockets only listen; what their clients send is dropped.
    if (hub == nullptr || event.route == kChannelRoute) {
      done();
      return;
    }
    // So do the realtime subscriptions; their close ends the subscription.
    if (event.route == kRealtimeRoute) {
      if (is_close && realtime_ != nullptr) realtime_->UnsubscribeSocket(event.socket_id);
      done();
      return;
    }
    auto henv = henvs_.Open(event.henv);
    if (!henv.ok()) {
      if (!is_close) (void)hub->Close(event.henv, event.socket_id, ws_close::kInternalError, "the app is unavailable");
      done();
      return;
    }
    std::optional<WsHub::Snapshot> socket = hub->Find(event.socket_id);
    js::ScriptRequest in;
    in.method = "WS";
    in.path = RoutePath(event.route);
    in.url = in.path;
    js::ScriptRequest::WsEvent& e = in.ws_event.emplace();
    e.is_close = is_close;
    e.socket_id = event.socket_id;
    e.route = event.route;
    e.data = socket ? socket->data : std::string();
    e.payload = std::move(event.payload);
    e.binary = event.binary;
    e.code = event.code;
    e.reason = std::move(event.reason);
    const js::ScriptLimits limits = ScriptLimitsFor(**henv);
    Henv* henv_ptr = henv->get();  // kept alive by the engine until the callback
    const auto started = clocks_.steady();
    scripts_.RunAsync(
        std::move(*henv), limits, in,
        [this, hub, henv_ptr, started, is_close, socket_id = event.socket_id, path = in.path,
         done = std::move(done)](js::ScriptResult result) {
          try {
            if (result.wrote_database) NoteWrite(*henv_ptr);
            if (result.kind == js::ScriptResult::Kind::kError) {
              // Filed in the henv's log as a request's failure would be;
              // the socket closes: its state is whatever the handler left.
              HttpRequest what;
              what.method = "WS";
              what.path = path;
              const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(clocks_.steady() - started);
              (void)ScriptFailure(result.error, *henv_ptr, what, took.count());
              if (!is_close) {
                (void)hub->Close(henv_ptr->hash(), socket_id, ws_close::kInternalError, "the app's handler failed");
              }
            } else if (result.kind == js::ScriptResult::Kind::kNotHandled && !is_close) {
              // The route is gone: the code changed since the socket opened.
              (void)hub->Close(henv_ptr->hash(), socket_id, ws_close::kServiceRestart, "the app's code changed");
            }
          } catch (...) {
            Log(LogLevel::kError, "ws: failed to conclude an event", henv_ptr->hash());
          }
          done();
        });
  } catch (const std::exception& ex) {
    Log(LogLevel::kError, std::string("ws: event failed: ") + ex.what(), event.henv);
    if (done) done();
  }
}

}  // namespace hbf
