#include "app/app.h"

#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>

#include "app/request_util.h"
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

App::App(const Config& config, HenvManager& henvs, auth::LoginThrottle& throttle, auth::LoginThrottle& address_throttle,
         js::JsEngine& scripts, HenvLogHub& logs, RuntimeProbe probe, AppClocks clocks)
    : config_(config),
      henvs_(henvs),
      throttle_(throttle),
      address_throttle_(address_throttle),
      scripts_(scripts),
      logs_(logs),
      probe_(std::move(probe)),
      clocks_(std::move(clocks)),
      started_(clocks_.steady()) {
  proxy_.trust_proxy = config_.trust_proxy;
  // main() refuses a list that does not parse; a malformed one here trusts
  // no proxy rather than every peer.
  if (auto parsed = TrustedProxies::Parse(config_.trusted_proxies); parsed.ok()) proxy_.proxies = std::move(*parsed);
}

std::optional<HttpResponse> App::HandleOnLoop(const HttpRequest& request) {
  auto ctx = BuildRequestContext(request, config_.base_domain, proxy_);
  if (!ctx.ok()) return HttpResponse::FromError(ctx.error());
  return QuickAnswer(request, *ctx);
}

std::optional<HttpResponse> App::QuickAnswer(const HttpRequest& request, const RequestContext& ctx) const {
  // /health answers on every host: load balancers probe by IP.
  if (ctx.subpath == "/health") return Health(request);
  if (request.arrived_while_draining) {
    HttpResponse r = HttpResponse::ErrorBody(503, "shutting_down", "the server is shutting down; retry shortly");
    r.set_header("Retry-After", "1");
    return r;
  }
  if (ctx.route.kind == SiteKind::kUnknown) return UnknownHost();
  return std::nullopt;
}

std::string App::QueueKey(const HttpRequest& request) {
  HostRoute route = RouteHost(RequestHost(request, proxy_), config_.base_domain);
  return route.kind == SiteKind::kHenv ? route.henv_hash : std::string();
}

HttpResponse App::UnknownHost() const {
  return HttpResponse::ErrorBody(404, "unknown_host",
                                 "no site is served at this host; use " + config_.base_domain + " or {hash}." +
                                     config_.base_domain);
}

HttpResponse App::Handle(HttpRequest& request) {
  auto ctx = BuildRequestContext(request, config_.base_domain, proxy_);
  if (!ctx.ok()) return HttpResponse::FromError(ctx.error());

  // Normally answered on the I/O loop already (HandleOnLoop); kept here so
  // Handle() alone is the whole application.
  if (std::optional<HttpResponse> quick = QuickAnswer(request, *ctx)) return std::move(*quick);

  switch (ctx->route.kind) {
    case SiteKind::kApex: return ServeApex(request, *ctx);
    case SiteKind::kHenv: {
      HttpResponse r = ServeHenv(request, *ctx);
      r.log.henv = ctx->route.henv_hash;
      if (ctx->client_ip != request.remote_addr) r.log.client_ip = ctx->client_ip;
      return r;
    }
    case SiteKind::kUnknown: break;
  }
  return UnknownHost();
}

HttpResponse App::Health(const HttpRequest& request) const {
  if (request.method != "GET" && request.method != "HEAD") return MethodNotAllowed("GET, HEAD");
  const bool draining = probe_.draining();
  auto uptime = std::chrono::duration_cast<std::chrono::seconds>(clocks_.steady() - started_).count();
  double memory = static_cast<double>(static_cast<int64_t>(ProcessMemoryMb() * 10.0)) / 10.0;
  Json body = Json::MakeObject({
      {"status", draining ? "draining" : "ok"},
      {"version", kVersion},
      {"uptime_seconds", static_cast<int64_t>(uptime)},
      {"active_henvs", static_cast<int64_t>(henvs_.open_count())},
      {"db_connections", Henv::LiveCount()},
      {"memory_mb", memory},
      {"in_flight_requests", probe_.in_flight_requests()},
  });
  js::JsEngine::Stats js = scripts_.stats();
  body.set("js_workers", js.workers);
  body.set("js_memory_mb", static_cast<double>(js.memory_bytes / 104857) / 10.0);
  HttpResponse r = HttpResponse::JsonBody(draining ? 503 : 200, body);
  r.set_header("Cache-Control", "no-store");
  return r;
}

HttpResponse App::ServeApex(const HttpRequest& request, const RequestContext& ctx) {
  if (ctx.subpath == "/new" || ctx.subpath == "/") {
    if (request.method == "POST" && ctx.subpath == "/new") return ProvisionHenv(request, ctx);
    if (request.method == "GET" || request.method == "HEAD") return SignupPage();
    return MethodNotAllowed(ctx.subpath == "/new" ? "GET, HEAD, POST" : "GET, HEAD");
  }
  return HttpResponse::ErrorBody(404, "not_found", "nothing is served at " + ctx.subpath);
}

HttpResponse App::ServeHenv(const HttpRequest& request, const RequestContext& ctx) {
  auto henv_result = henvs_.Open(ctx.route.henv_hash);
  if (!henv_result.ok()) return HttpResponse::FromError(henv_result.error());
  Henv& henv = **henv_result;
  if (std::optional<HttpResponse> builtin = ServeBuiltIn(request, ctx, henv)) return std::move(*builtin);
  return RunScriptOrDocument(request, ctx, henv);
}

void App::HandleAsync(HttpRequest& request, Responder respond) {
  // Only a henv's router can make a request wait (a handler awaiting a
  // timer); everything else is answered before this returns.
  auto ctx = BuildRequestContext(request, config_.base_domain, proxy_);
  if (!ctx.ok() || ctx->route.kind != SiteKind::kHenv) {
    respond(Handle(request));
    return;
  }
  if (std::optional<HttpResponse> quick = QuickAnswer(request, *ctx)) {
    respond(std::move(*quick));
    return;
  }
  std::string client_ip = ctx->client_ip != request.remote_addr ? ctx->client_ip : std::string();
  Responder tagged = [respond = std::move(respond), hash = ctx->route.henv_hash,
                      client_ip = std::move(client_ip)](HttpResponse r) {
    r.log.henv = hash;
    r.log.client_ip = client_ip;
    respond(std::move(r));
  };
  auto henv = henvs_.Open(ctx->route.henv_hash);
  if (!henv.ok()) {
    tagged(HttpResponse::FromError(henv.error()));
    return;
  }
  if (ctx->subpath == "/_api/logs") {
    // The one built-in that may answer later (a long-poll), so it gets the
    // responder rather than returning an answer.
    if (std::optional<HttpResponse> refused = Refusal(request, *ctx, **henv)) {
      tagged(std::move(*refused));
      return;
    }
    LogsApi(request, **henv, std::move(tagged));
    return;
  }
  if (std::optional<HttpResponse> builtin = ServeBuiltIn(request, *ctx, **henv)) {
    tagged(std::move(*builtin));
    return;
  }
  RunScriptAsync(std::move(request), std::move(*ctx), std::move(*henv), std::move(tagged));
}

std::optional<HttpResponse> App::Refusal(const HttpRequest& request, const RequestContext& ctx, Henv& henv) {
  // Before anything a cookie could authorise: the built-in APIs and the
  // henv's own routes alike.
  if (std::optional<Error> refused = CrossSiteRefusal(request, ctx)) return HttpResponse::FromError(*refused);
  if (!request.body.empty()) {
    const int64_t limit = UploadLimitBytes(ctx, henv);
    if (limit >= 0 && static_cast<int64_t>(request.body.size()) > limit) {
      return HttpResponse::ErrorBody(413, "payload_too_large",
                                     "request body exceeds this app's limit of " + std::to_string(limit) + " bytes");
    }
  }
  return std::nullopt;
}

std::optional<HttpResponse> App::ServeBuiltIn(const HttpRequest& request, const RequestContext& ctx, Henv& henv) {
  const std::string& path = ctx.subpath;
  const std::string& method = request.method;
  if (std::optional<HttpResponse> refused = Refusal(request, ctx, henv)) return refused;

  // /login, /logout and /signup go to the app's router first (an Express
  // app has its own); ScriptAnswer falls back to AuthPage. /_hbf/... are
  // always HBF's.
  if (IsAdminPath(path)) return AdminUi(request, ctx, henv);
  if (path.rfind("/_hbf/", 0) == 0) {
    if (IsAuthPagePath(path)) return AuthPage(request, ctx, henv);
    return HttpResponse::ErrorBody(404, "not_found", "nothing is served at " + path);
  }
  if (path == "/_api/me") return method == "GET" || method == "HEAD" ? Me(request, henv) : MethodNotAllowed("GET, HEAD");
  if (path == "/_api/keys/rotate") return method == "POST" ? RotateKeys(request, henv) : MethodNotAllowed("POST");
  if (path == "/_api/users" || path.rfind("/_api/users/", 0) == 0) {
    return Users(request, henv, std::string_view(path).substr(std::string_view("/_api/users").size()));
  }
  if (path == "/_api/documents" || path.rfind("/_api/documents/", 0) == 0) {
    return Documents(request, ctx, henv, std::string_view(path).substr(std::string_view("/_api/documents").size()));
  }
  if (path == "/_api/modules") return Modules(request, henv);
  if (path == "/_api/code/check") return CodeCheckApi(request, henv);
  if (path == "/_api/sql") return SqlConsole(request, henv);
  if (path == "/_api/config") return ConfigApi(request, henv);
  if (path == "/_api/audit") return AuditApi(request, henv);
  if (path == "/_api/logs") return LogsBlocking(request, henv);
  if (path == "/_api/permissions") return PermissionsApi(request, henv);
  if (path == "/_api/policies" || path.rfind("/_api/policies/", 0) == 0) {
    return PoliciesApi(request, henv, std::string_view(path).substr(std::string_view("/_api/policies").size()));
  }
  if (path == "/_api/data" || path.rfind("/_api/data/", 0) == 0) {
    return Records(request, henv, std::string_view(path).substr(std::string_view("/_api/data").size()));
  }
  if (path == "/_api/templates" || path.rfind("/_api/templates/", 0) == 0) {
    return Templates(request, henv, std::string_view(path).substr(std::string_view("/_api/templates").size()));
  }
  if (path.rfind("/_api/graph/", 0) == 0) {
    return Graph(request, henv, std::string_view(path).substr(std::string_view("/_api/graph").size()));
  }
  if (path == "/_api" || path.rfind("/_api/", 0) == 0) {
    return HttpResponse::ErrorBody(404, "not_found", "no API endpoint at " + path);
  }
  return std::nullopt;
}

}  // namespace hbf
