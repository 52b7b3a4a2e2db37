#include "app/app.h"

#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>

#include "core/version.h"

namespace hbf {

double ProcessMemoryMb() {
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    long total_pages = 0;
    long resident_pages = 0;
    int n = std::fscanf(f, "%ld %ld", &total_pages, &resident_pages);
    std::fclose(f);
    if (n == 2) {
      return static_cast<double>(resident_pages) * static_cast<double>(sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
    }
  }
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB
}

App::App(const Config& config, RuntimeProbe probe, SteadyNow now)
    : config_(config), probe_(std::move(probe)), now_(std::move(now)), started_(now_()) {}

HttpResponse App::Handle(HttpRequest& request) {
  auto ctx = BuildRequestContext(request, config_.base_domain, config_.trust_proxy);
  if (!ctx.ok()) return HttpResponse::FromError(ctx.error());

  // /health answers on every host: load balancers probe by IP.
  if (ctx->subpath == "/health") return Health(request);
  if (request.arrived_while_draining) {
    HttpResponse r = HttpResponse::ErrorBody(503, "shutting_down", "the server is shutting down; retry shortly");
    r.set_header("Retry-After", "1");
    return r;
  }

  switch (ctx->route.kind) {
    case SiteKind::kApex: return ServeApex(request, *ctx);
    case SiteKind::kHenv: return ServeHenv(request, *ctx);
    case SiteKind::kUnknown: break;
  }
  return HttpResponse::ErrorBody(404, "unknown_host",
                                 "no site is served at this host; use " + config_.base_domain +
                                     " or {hash}." + config_.base_domain);
}

HttpResponse App::Health(const HttpRequest& request) const {
  if (request.method != "GET" && request.method != "HEAD") {
    HttpResponse r = HttpResponse::ErrorBody(405, "method_not_allowed", "use GET or HEAD");
    r.set_header("Allow", "GET, HEAD");
    return r;
  }
  const bool draining = probe_.draining();
  auto uptime = std::chrono::duration_cast<std::chrono::seconds>(now_() - started_).count();
  double memory = static_cast<double>(static_cast<int64_t>(ProcessMemoryMb() * 10.0)) / 10.0;
  Json body = Json::MakeObject({
      {"status", draining ? "draining" : "ok"},
      {"version", kVersion},
      {"uptime_seconds", static_cast<int64_t>(uptime)},
      {"active_henvs", probe_.active_henvs()},
      {"db_connections", probe_.db_connections()},
      {"memory_mb", memory},
      {"in_flight_requests", probe_.in_flight_requests()},
  });
  HttpResponse r = HttpResponse::JsonBody(draining ? 503 : 200, body);
  r.set_header("Cache-Control", "no-store");
  return r;
}

HttpResponse App::ServeApex(const HttpRequest&, const RequestContext& ctx) {
  return HttpResponse::ErrorBody(404, "not_found", "nothing is served at " + ctx.subpath);
}

HttpResponse App::ServeHenv(const HttpRequest&, const RequestContext& ctx) {
  // No henv exists until the henv layer (schema, manager, POST /new) lands.
  HttpResponse r = HttpResponse::ErrorBody(404, "henv_not_found", "no henv " + ctx.route.henv_hash + " on this server");
  r.log.henv = ctx.route.henv_hash;
  return r;
}

}  // namespace hbf
