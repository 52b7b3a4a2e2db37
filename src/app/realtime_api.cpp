// GET /_api/realtime?tables=a,b&documents=1[&token=]: live changes of a
// henv's tables and documents (app/realtime.h), as Server-Sent Events or,
// with an Upgrade, over a WebSocket (one JSON text message per event).
//
//   event: ready    data: {"tables":[...],"documents":bool}    (first)
//   event: change   data: {"op":..,"table":..,"id":..,"row":{..}}
//   event: error    data: {"error":{..}}  then the stream ends (session ended)
//   ": keep-alive"  comments every --realtime_heartbeat_s
//
// Who: the session cookie, Authorization: Bearer, or ?token= (EventSource
// and WebSocket cannot set headers); anonymous callers get what their role's
// grants allow. A socket opened from another site does not get the cookie's
// session (as for a script's ws route). Unknown table: 404; no select
// grant: 403 - at subscribe time, so a client learns at once.
#include <algorithm>

#include "app/app.h"
#include "app/realtime.h"
#include "app/request_util.h"
#include "auth/access_control.h"
#include "http/response_stream.h"
#include "http/ws_hub.h"

namespace hbf {

namespace {

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    std::string item = text.substr(start, comma - start);
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    if (!item.empty()) out.push_back(std::move(item));
    start = comma + 1;
  }
  return out;
}

bool Truthy(const Json* v) {
  if (v == nullptr || !v->is_string()) return false;
  const std::string& s = v->as_string();
  return s == "1" || s == "true" || s == "yes";
}

}  // namespace

HttpResponse App::RealtimeApi(const HttpRequest& request, const RequestContext& ctx, Henv& henv) {
  if (request.method != "GET") return MethodNotAllowed("GET");
  if (realtime_ == nullptr) {
    return HttpResponse::ErrorBody(501, "not_available", "live subscriptions are not available on this server");
  }
  auto query = ParseUrlEncoded(request.query);
  if (!query) return HttpResponse::ErrorBody(400, "bad_request", "malformed query string");
  const Json* tables_param = query->find("tables");
  if (tables_param == nullptr) tables_param = query->find("table");
  const std::vector<std::string> requested =
      tables_param != nullptr && tables_param->is_string() ? SplitList(tables_param->as_string()) : std::vector<std::string>{};
  const bool documents = Truthy(query->find("documents"));
  if (requested.empty() && !documents) {
    return HttpResponse::ErrorBody(400, "bad_request", "name what to follow: tables=a,b and/or documents=1");
  }
  if (requested.size() > 64) return HttpResponse::ErrorBody(400, "bad_request", "at most 64 tables per subscription");

  // The caller, as a script's WebSocket would be known (?token= also for
  // EventSource, which cannot set headers either).
  RealtimeHub::Subscription sub;
  sub.henv = henv.hash();
  sub.credentials = CallerCredentials(request, ctx, /*token_in_query=*/true);
  if (!sub.credentials.empty()) {
    auto caller = auth::Authenticate(henv, sub.credentials, clocks_.unix_seconds());
    if (!caller.ok()) return HttpResponse::FromError(caller.error());
    sub.user = caller->user;
  }
  sub.documents = documents;

  // Each table: one of the app's own (named as its schema names it), and
  // readable by the caller.
  auth::Principal who;
  who.user = sub.user;
  Status checked = henv.WithDb([&](db::Database& db) -> Status {
    auto own = auth::ListGrantableTables(db, /*with_views=*/false);
    if (!own.ok()) return own.error();
    for (const std::string& name : requested) {
      auto it = std::find_if(own->begin(), own->end(), [&](const std::string& t) { return EqualsIgnoreCase(t, name); });
      if (it == own->end()) return Error{"not_found", "no table " + name, 404};
      auto allowed = auth::IsAllowed(db, who, *it, auth::Operation::kSelect);
      if (!allowed.ok()) return allowed.error();
      if (!*allowed) return Error{"permission_denied", "no select permission on table " + *it, 403};
      if (std::find(sub.tables.begin(), sub.tables.end(), *it) == sub.tables.end()) sub.tables.push_back(*it);
    }
    return Ok{};
  });
  if (!checked.ok()) return HttpResponse::FromError(checked.error());

  Json::Array tables;
  for (const std::string& t : sub.tables) tables.emplace_back(t);
  const std::string ready = Json::MakeObject({{"tables", Json(std::move(tables))}, {"documents", documents}}).dump();

  if (request.websocket_id != 0) {
    WsHub* hub = scripts_.ws_hub();
    if (hub == nullptr) return HttpResponse::ErrorBody(501, "not_available", "WebSockets are off on this server");
    sub.socket_id = request.websocket_id;
    auto id = realtime_->Subscribe(std::move(sub));
    if (!id.ok()) return HttpResponse::FromError(id.error());
    // Held by the hub until the 101 has gone out, then sent first.
    (void)hub->Send(henv.hash(), request.websocket_id, false, ready);
    HttpResponse r;
    r.status = 101;
    r.websocket_route = std::string(kRealtimeRoute);
    return r;
  }

  ResponseStream::Options options;
  options.heartbeat = std::chrono::seconds(config_.realtime_heartbeat_s);
  options.heartbeat_bytes = ": keep-alive\n\n";
  auto stream = std::make_shared<ResponseStream>(std::move(options));
  sub.stream = stream;
  auto id = realtime_->Subscribe(std::move(sub));
  if (!id.ok()) return HttpResponse::FromError(id.error());
  stream->OnClosed([hub = realtime_, id = *id] { hub->Unsubscribe(id); });

  HttpResponse r;
  r.status = 200;
  r.set_header("Content-Type", "text/event-stream; charset=utf-8");
  r.set_header("Cache-Control", "no-cache, no-transform");
  r.set_header("X-Accel-Buffering", "no");  // nginx: pass events through as they come
  r.body = "retry: 3000\nevent: ready\ndata: " + ready + "\n\n";
  r.stream = std::move(stream);
  return r;
}

}  // namespace hbf
