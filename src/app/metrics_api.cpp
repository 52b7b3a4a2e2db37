// GET /_api/metrics: a henv's own figures for its owner and admins (the
// henv's HenvStats, see henv/henv_stats.h): requests, 4xx and 5xx answers,
// latency percentiles and JavaScript time over the last minute and the last
// hour, plus the database's size on disk and the sessions not expired.
// Database time is not measured (see README).
#include <sys/stat.h>

#include "app/app.h"
#include "app/request_util.h"
#include "auth/auth_store.h"

namespace hbf {
namespace {

Json WindowJson(const HenvStats::Window& w, int64_t seconds) {
  // Millisecond figures to 3 decimals: enough for a dashboard, stable in JSON.
  auto ms = [](double v) { return static_cast<double>(static_cast<int64_t>(v * 1000.0 + 0.5)) / 1000.0; };
  return Json::MakeObject({
      {"window_seconds", seconds},
      {"requests", w.requests},
      {"errors_4xx", w.errors_4xx},
      {"errors_5xx", w.errors_5xx},
      {"latency_ms", Json::MakeObject({{"p50", ms(w.p50_ms)}, {"p95", ms(w.p95_ms)}, {"p99", ms(w.p99_ms)}})},
      {"js_ms", ms(w.js_ms)},
      {"db_ms", ms(w.db_ms)},
  });
}

int64_t FileBytes(const std::string& path) {
  struct stat st{};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_size) : 0;
}

}  // namespace

HttpResponse App::MetricsApi(const HttpRequest& request, Henv& henv) {
  if (request.method != "GET" && request.method != "HEAD") return MethodNotAllowed("GET, HEAD");
  auto caller = RequireAdmin(request, henv);
  if (!caller.ok()) return HttpResponse::FromError(caller.error());
  const int64_t now = clocks_.unix_seconds();
  auto sessions =
      henv.WithDb([&](db::Database& db) -> Result<int64_t> { return auth::CountActiveSessions(db, now); });
  if (!sessions.ok()) return HttpResponse::FromError(sessions.error());
  const std::string& file = henv.database_path();
  // The file and its write-ahead log: what the henv occupies on disk now.
  const int64_t storage = FileBytes(file) + FileBytes(file + "-wal");
  Json body = Json::MakeObject({
      {"henv", henv.hash()},
      {"last_minute", WindowJson(henv.stats().LastMinute(now), 60)},
      {"last_hour", WindowJson(henv.stats().LastHour(now), 3600)},
      {"storage_bytes", storage},
      {"active_sessions", *sessions},
  });
  HttpResponse r = HttpResponse::JsonBody(200, body);
  r.set_header("Cache-Control", "no-store");
  return r;
}

}  // namespace hbf
