// The henv's own log, for its owner and admins (src/henv/henv_log.h):
//   GET /_api/logs?since=SEQ&level=LEVEL&limit=N&wait=S
//     -> 200 {"entries": [...ascending by seq...], "next": SEQ}
//   DELETE /_api/logs -> 200 {"cleared": true}
// With `wait` (seconds, up to 30) and nothing newer than `since`, the request
// is a long-poll: its responder is parked in the log hub and answered from
// the hub's waker thread when an entry arrives or the wait is over; no
// handler thread waits.
#include <future>
#include <limits>
#include <memory>

#include "app/app.h"
#include "app/request_util.h"
#include "core/log.h"

namespace hbf {
namespace {

constexpr int64_t kMaxLimit = 1000;
constexpr int64_t kDefaultLimit = 100;
constexpr int64_t kMaxWaitSeconds = 30;

// An integer query parameter within [min, max], or the 400 naming it.
Result<std::optional<int64_t>> QueryIntIn(const Json& query, const char* name, int64_t min, int64_t max) {
  auto v = QueryInt(query, name);
  if (!v.ok()) return v;
  if (v->has_value() && (**v < min || **v > max)) {
    return InvalidField(name, "must be an integer from " + std::to_string(min) + " to " + std::to_string(max));
  }
  return v;
}

}  // namespace

void App::LogsApi(const HttpRequest& request, Henv& henv, Responder respond) {
  auto caller = RequireAdmin(request, henv);
  if (!caller.ok()) return respond(HttpResponse::FromError(caller.error()));
  const std::string user_id = std::to_string(caller->user.id);
  auto finish = [user_id](HttpResponse r) {
    r.set_header("Cache-Control", "no-store");
    r.log.user_id = user_id;
    return r;
  };

  if (request.method == "DELETE") {
    if (Status s = logs_.Clear(henv.hash(), "by " + caller->user.username); !s.ok()) {
      return respond(finish(HttpResponse::FromError(s.error())));
    }
    Audit(henv, *caller, "logs.clear", "logs", Json(Json::Object{}));
    return respond(finish(HttpResponse::JsonBody(200, Json::MakeObject({{"cleared", true}}))));
  }
  if (request.method != "GET" && request.method != "HEAD") return respond(MethodNotAllowed("GET, HEAD, DELETE"));

  auto query = ParseUrlEncoded(request.query);
  if (!query) return respond(HttpResponse::ErrorBody(400, "bad_request", "malformed query string"));
  auto since = QueryIntIn(*query, "since", 0, std::numeric_limits<int64_t>::max());
  if (!since.ok()) return respond(HttpResponse::FromError(since.error()));
  auto limit = QueryIntIn(*query, "limit", 1, kMaxLimit);
  if (!limit.ok()) return respond(HttpResponse::FromError(limit.error()));
  auto wait = QueryIntIn(*query, "wait", 0, kMaxWaitSeconds);
  if (!wait.ok()) return respond(HttpResponse::FromError(wait.error()));
  LogQuery q;
  q.since = *since;
  q.limit = static_cast<size_t>(limit->value_or(kDefaultLimit));
  if (const Json* level = query->find("level"); level != nullptr && level->is_string() && !level->as_string().empty()) {
    std::optional<LogLevel> parsed = ParseLogLevel(level->as_string());
    if (!parsed) return respond(HttpResponse::FromError(InvalidField("level", "must be debug, info, warn or error")));
    q.min_level = *parsed;
  }

  // Called once: here, or later on the hub's waker thread (which must not
  // see an exception).
  auto answer = [finish, respond](LogPage page) {
    HttpResponse r;
    try {
      Json::Array items;
      items.reserve(page.entries.size());
      for (const LogEntry& e : page.entries) items.push_back(LogEntryToJson(e));
      r = finish(
          HttpResponse::JsonBody(200, Json::MakeObject({{"entries", Json(std::move(items))}, {"next", page.next}})));
    } catch (...) {
      r = HttpResponse::ErrorBody(500, "internal_error", "internal server error");
    }
    respond(std::move(r));
  };
  Status parked = logs_.Wait(henv.hash(), q, std::chrono::seconds(wait->value_or(0)), answer);
  if (!parked.ok()) {
    HttpResponse r = finish(HttpResponse::FromError(parked.error()));
    r.set_header("Retry-After", "1");
    respond(std::move(r));
  }
}

HttpResponse App::LogsBlocking(const HttpRequest& request, Henv& henv) {
  // Handle() answers before it returns, so a long-poll waits on this thread.
  auto promise = std::make_shared<std::promise<HttpResponse>>();
  std::future<HttpResponse> answer = promise->get_future();
  LogsApi(request, henv, [promise](HttpResponse r) { promise->set_value(std::move(r)); });
  return answer.get();
}

}  // namespace hbf
