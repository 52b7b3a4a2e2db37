#include "app/app.h"

#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <utility>

#include "app/metrics_endpoint.h"
#include "app/request_util.h"
#include "auth/authenticator.h"
#include "core/metrics.h"
#include "core/version.h"
#include "crypto/crypto.h"
#include "domains/domain_router.h"

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
      started_(clocks_.steady()),
      address_limiter_(RateLimiter::Options{}, clocks_.steady),
      signup_limiter_(RateLimiter::Options{}, clocks_.steady),
      henv_limiter_(RateLimiter::Options{}, clocks_.steady) {
  proxy_.trust_proxy = config_.trust_proxy;
  // main() refuses a list that does not parse; a malformed one here trusts
  // no proxy rather than every peer.
  if (auto parsed = TrustedProxies::Parse(config_.trusted_proxies); parsed.ok()) proxy_.proxies = std::move(*parsed);
}

std::optional<HttpResponse> App::HandleOnLoop(const HttpRequest& request) {
  auto built = RequestContextFor(request);
  if (!built.ok()) {
    HttpResponse r = HttpResponse::FromError(built.error());
    FinishResponse(r, {});
    return r;
  }
  // Kept for QueueKey and the handler thread (HttpRequest::context).
  request.context = std::make_shared<const RequestContext>(std::move(*built));
  const RequestContext& ctx = *request.context;
  // What the loop answers by itself (health, unknown hosts, draining) costs
  // no more than a 429 would, so it is not counted: the buckets guard what
  // goes on to the handler threads.
  std::optional<HttpResponse> answer = QuickAnswer(request, ctx);
  if (!answer) answer = AddressLimit(request, ctx);
  // A document that can be read now is answered here, finished and
  // counted (DocumentOnLoop), without the hand-off to a handler thread.
  if (!answer) {
    try {
      return DocumentOnLoop(request, ctx);
    } catch (...) {
      return std::nullopt;  // (an allocation failure) a handler thread tries again
    }
  }
  if (answer) {
    ResponseFinish finish = FinishFor(request, ctx);
    // A henv's CORS headers on its 429s (and draining 503s) where its policy
    // is already cached: a page of an allowed origin can then read why.
    if (ctx.route.kind == SiteKind::kHenv) finish.policy = CachedPolicy(ctx.route.henv_hash);
    FinishResponse(*answer, finish);
  }
  return answer;
}

std::shared_ptr<const HenvHttpPolicy> App::CachedPolicy(const std::string& hash) const {
  std::shared_ptr<Henv> henv = henvs_.FindOpen(hash);
  if (henv == nullptr) return nullptr;
  // The app is the slot's only writer (HttpPolicyFor), so what is there is a
  // HenvHttpPolicy. A stale one is fine for headers on a refusal.
  return std::static_pointer_cast<const HenvHttpPolicy>(henv->derived_value());
}

void App::FinishServerAnswer(const HttpRequest& request, HttpResponse& response) {
  try {
    auto ctx = RequestContextFor(request);
    if (!ctx.ok()) return;
    ResponseFinish finish = FinishFor(request, *ctx);
    if (ctx->route.kind == SiteKind::kHenv) {
      finish.policy = CachedPolicy(ctx->route.henv_hash);
      response.log.henv = ctx->route.henv_hash;
    }
    if (ctx->client_ip != request.remote_addr) response.log.client_ip = ctx->client_ip;
    FinishResponse(response, finish);
  } catch (...) {
    // Headers are a courtesy here; the answer goes out as it is.
  }
}

ResponseFinish App::FinishFor(const HttpRequest& request, const RequestContext& ctx) {
  ResponseFinish finish;
  finish.https = ctx.scheme == "https";
  if (const std::string* origin = request.header("origin"); origin != nullptr) {
    size_t begin = origin->find_first_not_of(" \t");
    size_t end = origin->find_last_not_of(" \t");
    if (begin != std::string::npos) finish.origin = origin->substr(begin, end - begin + 1);
  }
  return finish;
}

std::optional<HttpResponse> App::AddressLimit(const HttpRequest& request, const RequestContext& ctx) {
  const bool limit_address = config_.rate_limit_ip_rps > 0;
  // Signups count where henvs are made: the apex, or with --shard_mode the
  // owner's /_hbf/new (the apex's 307 is not counted twice).
  const bool creates = config_.shard_mode ? IsOwnerSignup(ctx) : ctx.is_apex() && ctx.subpath == "/new";
  const bool limit_signup = config_.rate_limit_new_per_hour > 0 && creates && request.method == "POST";
  if (!limit_address && !limit_signup) return std::nullopt;
  // A loopback client is this machine: usually a reverse proxy run without
  // --trust_proxy, behind which every visitor would share one bucket.
  if (config_.rate_limit_exempt_loopback && IsLoopbackAddress(ctx.client_ip)) return std::nullopt;
  const std::string key = RateLimitKey(ctx.client_ip);
  std::optional<HttpResponse> refused;
  if (limit_address) {
    RateLimiter::Decision d = address_limiter_.Take(
        key, RateLimiter::Rate::PerSecond(config_.rate_limit_ip_rps, config_.rate_limit_ip_burst));
    if (!d.allowed) {
      metrics::CountRateLimited(metrics::RateScope::kAddress);
      refused = RateLimitedResponse(
          d, "too many requests from this address; retry in " + std::to_string(d.retry_after_seconds) + " s");
    }
  }
  if (!refused && limit_signup) {
    // The operator's own automation (holding --new_token) is not a flood.
    auto token = config_.new_token.empty() ? std::nullopt
                                           : auth::ExtractCredentials(request.header("authorization"), nullptr).bearer;
    if (!token || !crypto::ConstantTimeEquals(*token, config_.new_token)) {
      const int64_t per_hour = config_.rate_limit_new_per_hour;
      RateLimiter::Decision d = signup_limiter_.Take(key, RateLimiter::Rate::PerHour(per_hour, per_hour));
      if (!d.allowed) {
        metrics::CountRateLimited(metrics::RateScope::kSignup);
        refused = RateLimitedResponse(
            d, "too many new sites from this address; retry in " + std::to_string(d.retry_after_seconds) + " s");
      }
    }
  }
  if (refused) {
    if (ctx.route.kind == SiteKind::kHenv) refused->log.henv = ctx.route.henv_hash;
    if (ctx.client_ip != request.remote_addr) refused->log.client_ip = ctx.client_ip;
  }
  return refused;
}

std::optional<HttpResponse> App::HenvGate(const HttpRequest& request, const RequestContext& ctx,
                                          const HenvHttpPolicy& policy, ResponseFinish& finish) {
  // HBF's built-in admin assets are immutable, served from memory and loaded
  // dozens at once by /_admin: a low app limit must not break the admin UI.
  if (policy.rate_rps > 0 && ctx.subpath.rfind("/_admin/assets/", 0) != 0) {
    RateLimiter::Decision d =
        henv_limiter_.Take(ctx.route.henv_hash, RateLimiter::Rate::PerSecond(policy.rate_rps, policy.rate_burst));
    if (!d.allowed) {
      metrics::CountRateLimited(metrics::RateScope::kHenv);
      return RateLimitedResponse(d, "this app is receiving more requests than its owner allows; retry in " +
                                        std::to_string(d.retry_after_seconds) + " s");
    }
    // The app's limit is its clients' to see (an API's quota); the
    // per-address flood guard is not advertised.
    HttpResponse carrier;
    SetRateLimitHeaders(carrier, d);
    finish.rate_headers = std::move(carrier.headers);
  }
  return CorsPreflight(request, policy.cors);
}

std::shared_ptr<const HenvHttpPolicy> App::HttpPolicyFor(Henv& henv, DbAccess access) const {
  const int64_t now_ns = Henv::SteadyNowNs();
  // The app is the slot's only writer, so what is there is a HenvHttpPolicy.
  std::shared_ptr<const Henv::DerivedValue> cached = henv.derived_value();
  if (cached != nullptr && henv.DerivedHolds(cached->epoch, cached->expires_ns.load(std::memory_order_relaxed), now_ns)) {
    return std::static_pointer_cast<const HenvHttpPolicy>(cached);
  }
  const int64_t next_look_ns = Henv::NextSettingsLookNs(now_ns);
  // Looked at again under the henv's lock at least every
  // kForeignCommitCheckInterval: RefreshSettings() is also what notices
  // commits from other processes. Unchanged (the usual case), the policy
  // derived before holds for another interval. Why: over 1,000 henvs each
  // one's expiry passes at about every third request, and deriving it
  // again (ten settings read and parsed, an object made) cost ~21,000
  // instructions each time (bench/README.md, twenty-fourth session).
  std::shared_ptr<const HenvHttpPolicy> policy;
  auto read = [&](db::Database& db) {
    henv.RefreshSettings(db);
    const uint64_t epoch = henv.settings_epoch();
    if (cached != nullptr && cached->epoch == epoch) {
      cached->expires_ns.store(next_look_ns, std::memory_order_relaxed);
      policy = std::static_pointer_cast<const HenvHttpPolicy>(cached);
      return true;
    }
    auto fresh = std::make_shared<HenvHttpPolicy>(
        HttpPolicyFromSettings([&](const std::string& key) { return henv.Setting(db, key); }));
    fresh->epoch = epoch;
    fresh->expires_ns.store(next_look_ns, std::memory_order_relaxed);
    henv.set_derived_value(fresh);
    policy = std::move(fresh);
    return true;
  };
  if (!henv.WithDbWithin(Patience(access), read)) return nullptr;  // busy, and this caller does not wait
  return policy;
}

std::optional<HttpResponse> App::QuickAnswer(const HttpRequest& request, const RequestContext& ctx) const {
  // /health answers on every host: load balancers probe by IP.
  if (ctx.subpath == "/health") return Health(request);
  if (ctx.subpath == "/health/ready") return Ready(request);
  // Before the draining refusal: a scrape during a drain is what shows it.
  if (ctx.subpath == "/metrics" && ctx.route.kind == SiteKind::kApex) return PrometheusMetrics(request, ctx);
  // Caddy's on-demand TLS asks from its own address (Host 127.0.0.1:5309),
  // so, like /health, on every host. One stat(2), no henv opened.
  if (ctx.subpath == "/_hbf/tls-allowed") return TlsAllowed(request);
  if (request.arrived_while_draining) {
    HttpResponse r = HttpResponse::ErrorBody(503, "shutting_down", "the server is shutting down; retry shortly");
    r.set_header("Retry-After", "1");
    return r;
  }
  if (ctx.route.kind == SiteKind::kUnknown) {
    if (std::optional<HttpResponse> pending = DomainToken(request, ctx)) return pending;
    return UnknownHost();
  }
  return std::nullopt;
}

std::string App::QueueKey(const HttpRequest& request) {
  if (request.context) {
    return request.context->route.kind == SiteKind::kHenv ? request.context->route.henv_hash : std::string();
  }
  HostRoute route = RouteHost(RequestHost(request, proxy_), config_.base_domain);
  ResolveCustomDomain(route);
  return route.kind == SiteKind::kHenv ? route.henv_hash : std::string();
}

Result<RequestContext> App::RequestContextFor(const HttpRequest& request) const {
  if (request.context) return *request.context;
  auto ctx = BuildRequestContext(request, config_.base_domain, proxy_);
  if (ctx.ok()) ResolveCustomDomain(ctx->route);
  return ctx;
}

void App::ResolveCustomDomain(HostRoute& route) const {
  // Only hosts nothing else claims: the apex and {hash}.{base_domain} never
  // pay for the lookup.
  if (route.kind != SiteKind::kUnknown || domains_ == nullptr || route.hostname.empty()) return;
  std::optional<domains::DomainRouter::Route> found = domains_->Find(route.hostname);
  if (!found || !found->active) return;
  route.kind = SiteKind::kHenv;
  route.henv_hash = found->henv;
  route.custom_domain = true;
}

std::optional<HttpResponse> App::DomainToken(const HttpRequest& request, const RequestContext& ctx) const {
  if (domains_ == nullptr || ctx.route.kind != SiteKind::kUnknown) return std::nullopt;
  std::optional<domains::DomainRouter::Route> found = domains_->Find(ctx.route.hostname);
  if (!found) return std::nullopt;
  const std::string_view path = ctx.subpath;
  if ((request.method == "GET" || request.method == "HEAD") && path.rfind(domains::kWellKnownPrefix, 0) == 0 &&
      path.substr(domains::kWellKnownPrefix.size()) == found->token) {
    HttpResponse r;
    r.body = found->token;
    r.set_header("Content-Type", "text/plain; charset=utf-8");
    r.set_header("Cache-Control", "no-store");
    return r;
  }
  return HttpResponse::ErrorBody(404, "unknown_host",
                                 "the custom domain " + ctx.route.hostname +
                                     " is pending verification: it is served once its token is fetched or the "
                                     "server's operator approves it");
}

HttpResponse App::UnknownHost() const {
  return HttpResponse::ErrorBody(404, "unknown_host",
                                 "no site is served at this host; use " + config_.base_domain + " or {hash}." +
                                     config_.base_domain);
}

HttpResponse App::Handle(HttpRequest& request) {
  auto ctx = RequestContextFor(request);
  if (!ctx.ok()) {
    HttpResponse r = HttpResponse::FromError(ctx.error());
    FinishResponse(r, {});
    return r;
  }
  ResponseFinish finish = FinishFor(request, *ctx);
  HttpResponse r;
  // Normally answered on the I/O loop already (HandleOnLoop); kept here so
  // Handle() alone is the whole application (the address buckets aside).
  if (std::optional<HttpResponse> quick = QuickAnswer(request, *ctx)) {
    r = std::move(*quick);
  } else if (ctx->route.kind == SiteKind::kApex) {
    r = ServeApex(request, *ctx);
  } else if (IsOwnerSignup(*ctx)) {
    // The henv does not exist yet: nothing to open.
    r = request.method == "POST" ? ProvisionHenv(request, *ctx) : MethodNotAllowed("POST");
    r.log.henv = ctx->route.henv_hash;
  } else if (ctx->route.kind == SiteKind::kHenv) {
    r = ServeHenv(request, *ctx, finish);
    r.log.henv = ctx->route.henv_hash;
    if (ctx->client_ip != request.remote_addr) r.log.client_ip = ctx->client_ip;
  } else {
    r = UnknownHost();
  }
  FinishResponse(r, finish);
  return r;
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
      {"dormant_henvs", static_cast<int64_t>(henvs_.dormant_count())},
      {"henv_file_opens", static_cast<int64_t>(henvs_.connection_opens())},
      {"db_connections", Henv::LiveCount()},
      {"memory_mb", memory},
      {"in_flight_requests", probe_.in_flight_requests()},
  });
  js::JsEngine::Stats js = scripts_.stats();
  body.set("js_workers", js.workers);
  body.set("js_memory_mb", static_cast<double>(js.memory_bytes / 104857) / 10.0);
  body.set("js_worker_image_kb", js.worker_image_bytes / 1024);  // 0: built, or none made yet
  body.set("js_worker_image_hot_lines", js.worker_image_hot_lines);  // 0: a cold copy is prefetched whole
  body.set("js_hibernated_workers", js.hibernated_workers);
  // Henvs whose workers are copied bound (js/bound_image.h), and what those images hold.
  body.set("js_bound_images", js.bound_images);
  body.set("js_bound_image_kb", js.bound_image_bytes / 1024);
  // What a wake has cost, per MiB of a worker's arena (0: none yet): with
  // --js_hibernate=auto, idle workers are dropped while it is more than
  // making their henv a new worker.
  body.set("js_wake_us_per_mib", js.wake_ns_per_kib * 1024 / 1000);
  // What hibernating has cost the housekeeper per MiB (0: none yet), and a
  // worker copied from its henv's bound image (0: none yet): weighed with
  // the wake against a make.
  body.set("js_pack_us_per_mib", js.pack_ns_per_kib * 1024 / 1000);
  body.set("js_bound_copy_us", js.bound_copy_ns / 1000);
  HttpResponse r = HttpResponse::JsonBody(draining ? 503 : 200, body);
  r.set_header("Cache-Control", "no-store");
  return r;
}

HttpResponse App::Ready(const HttpRequest& request) const {
  if (request.method != "GET" && request.method != "HEAD") return MethodNotAllowed("GET, HEAD");
  const char* status = "ready";
  if (probe_.draining()) {
    status = "draining";
  } else if (::access(config_.storage_dir.c_str(), W_OK | X_OK) != 0) {
    status = "storage_not_writable";  // no henv could be created or written
  }
  const bool ready = std::string_view(status) == "ready";
  HttpResponse r = HttpResponse::JsonBody(ready ? 200 : 503, Json::MakeObject({{"status", status}}));
  r.set_header("Cache-Control", "no-store");
  return r;
}

HttpResponse App::PrometheusMetrics(const HttpRequest& request, const RequestContext& ctx) const {
  if (request.method != "GET" && request.method != "HEAD") return MethodNotAllowed("GET, HEAD");
  if (!config_.metrics) return HttpResponse::ErrorBody(404, "not_found", "metrics are off on this server (--metrics=false)");
  auto bearer = config_.metrics_token.empty()
                    ? std::nullopt
                    : auth::ExtractCredentials(request.header("authorization"), nullptr).bearer;
  switch (DecideMetricsAccess(IsLoopbackAddress(ctx.client_ip), config_.metrics_allow_loopback, config_.metrics_token,
                              bearer)) {
    case MetricsAccess::kAllowed:
      break;
    case MetricsAccess::kUnauthorized: {
      HttpResponse r = HttpResponse::ErrorBody(401, "unauthorized", "GET /metrics needs the metrics token (Bearer)");
      r.set_header("WWW-Authenticate", "Bearer");
      return r;
    }
    case MetricsAccess::kForbidden:
      return HttpResponse::ErrorBody(403, "forbidden",
                                     config_.metrics_token.empty()
                                         ? "GET /metrics is served to loopback clients only (see --metrics_token)"
                                         : "wrong metrics token");
  }
  MetricsGauges gauges;
  gauges.henvs_open = static_cast<int64_t>(henvs_.open_count());
  gauges.henvs_dormant = static_cast<int64_t>(henvs_.dormant_count());
  gauges.henv_file_opens = static_cast<int64_t>(henvs_.connection_opens());
  gauges.db_connections = Henv::LiveCount();
  gauges.in_flight = probe_.in_flight_requests();
  js::JsEngine::Stats js = scripts_.stats();
  gauges.js_workers_idle = js.idle_workers;
  gauges.js_workers_busy = std::max(0, js.workers - js.idle_workers);
  gauges.js_workers_hibernated = js.hibernated_workers;
  gauges.js_worker_wakes = js.wakes;
  gauges.js_workers_made = js.made;
  gauges.js_workers_made_bound = js.made_bound;
  gauges.js_workers_dropped_idle = js.dropped_idle;
  gauges.js_workers_dropped_not_woken = js.dropped_not_woken;
  gauges.js_worker_hibernations = js.hibernations;
  gauges.js_workers_evicted_awake = js.evicted_awake;
  gauges.js_workers_evicted_hibernated = js.evicted_hibernated;
  gauges.js_workers_evicted_on_probation = js.evicted_on_probation;
  gauges.js_workers_made_returning = js.made_returning;
  gauges.js_workers_dropped_transient = js.dropped_transient;
  gauges.js_long_tail = js.long_tail;
  gauges.js_probation_target = js.probation_target;
  gauges.js_worker_prefetches = js.prefetched;
  gauges.js_heap_bytes = js.memory_bytes;
  std::vector<HenvSeries> per_henv;
  if (config_.metrics_per_henv) {
    for (const std::shared_ptr<Henv>& henv : henvs_.OpenHenvs()) {
      per_henv.push_back(HenvSeries{henv->hash(), henv->stats().totals()});
    }
  }
  HttpResponse r;
  r.body = RenderPrometheus(metrics::Collect(), gauges, per_henv);
  r.set_header("Content-Type", kPrometheusContentType);
  r.set_header("Cache-Control", "no-store");
  return r;
}

HttpResponse App::ServeApex(const HttpRequest& request, const RequestContext& ctx) {
  if (ctx.subpath == "/new" || ctx.subpath == "/") {
    if (request.method == "POST" && ctx.subpath == "/new") {
      return config_.shard_mode ? ShardRedirect(request, ctx) : ProvisionHenv(request, ctx);
    }
    if (request.method == "GET" || request.method == "HEAD") return SignupPage();
    return MethodNotAllowed(ctx.subpath == "/new" ? "GET, HEAD, POST" : "GET, HEAD");
  }
  return HttpResponse::ErrorBody(404, "not_found", "nothing is served at " + ctx.subpath);
}

HttpResponse App::ServeHenv(const HttpRequest& request, const RequestContext& ctx, ResponseFinish& finish) {
  auto henv_result = henvs_.Open(ctx.route.henv_hash);
  if (!henv_result.ok()) return HttpResponse::FromError(henv_result.error());
  Henv& henv = **henv_result;
  finish.policy = HttpPolicyFor(henv);
  if (std::optional<HttpResponse> gated = HenvGate(request, ctx, *finish.policy, finish)) return std::move(*gated);
  if (std::optional<HttpResponse> builtin = ServeBuiltIn(request, ctx, henv)) return std::move(*builtin);
  finish.app_content = true;
  return RunScriptOrDocument(request, ctx, henv);
}

void App::HandleAsync(HttpRequest& request, Responder respond) {
  // Only a henv's router can make a request wait (a handler awaiting a
  // timer); everything else is answered before this returns.
  // The loop's context (HttpRequest::context), shared rather than copied.
  std::shared_ptr<const RequestContext> ctx = request.context;
  if (ctx == nullptr) {
    auto built = RequestContextFor(request);
    if (built.ok()) ctx = std::make_shared<const RequestContext>(std::move(*built));
  }
  if (ctx == nullptr || ctx->route.kind != SiteKind::kHenv || IsOwnerSignup(*ctx)) {
    respond(Handle(request));
    return;
  }
  // Its worker's memory on its way while the rest is looked up.
  scripts_.PrefetchIdleWorker(ctx->route.henv_hash);
  ResponseFinish finish = FinishFor(request, *ctx);
  if (std::optional<HttpResponse> quick = QuickAnswer(request, *ctx)) {
    FinishResponse(*quick, finish);
    respond(std::move(*quick));
    return;
  }
  // Every henv answer goes through here, now or later (a long-poll, a
  // script awaiting a timer): FinishHenvAnswer, then out.
  auto tagging = [this, tag = HenvAnswerTagFor(request, *ctx)](Responder to, ResponseFinish with,
                                                               std::shared_ptr<Henv> counted) {
    return [this, to = std::move(to), tag, with = std::move(with), counted = std::move(counted)](HttpResponse r) {
      FinishHenvAnswer(r, tag, with, counted.get());
      to(std::move(r));
    };
  };
  // The henv the I/O loop found for it (DocumentOnLoop), or looked up now.
  auto found = std::static_pointer_cast<Henv>(std::exchange(request.found_on_loop, nullptr));
  const bool same = found != nullptr && found->hash() == ctx->route.henv_hash;
  if (!same) request.loop_notes = 0;  // (what the loop noted was of another henv)
  auto henv = same ? Result<std::shared_ptr<Henv>>(std::move(found)) : henvs_.Open(ctx->route.henv_hash);
  if (!henv.ok()) {
    tagging(std::move(respond), std::move(finish), nullptr)(HttpResponse::FromError(henv.error()));
    return;
  }
  finish.policy = HttpPolicyFor(**henv);
  if (std::optional<HttpResponse> gated = HenvGate(request, *ctx, *finish.policy, finish)) {
    tagging(std::move(respond), std::move(finish), *henv)(std::move(*gated));
    return;
  }
  if (ctx->subpath == "/_api/logs") {
    // The one built-in that may answer later (a long-poll), so it gets the
    // responder rather than returning an answer.
    Responder tagged = tagging(std::move(respond), std::move(finish), *henv);
    if (std::optional<HttpResponse> refused = Refusal(request, *ctx, **henv)) {
      tagged(std::move(*refused));
      return;
    }
    LogsApi(request, **henv, std::move(tagged));
    return;
  }
  if (std::optional<HttpResponse> builtin = ServeBuiltIn(request, *ctx, **henv)) {
    tagging(std::move(respond), std::move(finish), *henv)(std::move(*builtin));
    return;
  }
  // The app's own content: its router, or its documents.
  finish.app_content = true;
  Responder tagged = tagging(std::move(respond), std::move(finish), *henv);
  RunScriptAsync(std::move(request), std::move(ctx), std::move(*henv), std::move(tagged));
}

App::HenvAnswerTag App::HenvAnswerTagFor(const HttpRequest& request, const RequestContext& ctx) {
  HenvAnswerTag tag;
  tag.hash = ctx.route.henv_hash;
  if (ctx.client_ip != request.remote_addr) tag.client_ip = ctx.client_ip;
  tag.received = request.received != std::chrono::steady_clock::time_point{} ? request.received
                                                                              : std::chrono::steady_clock::now();
  return tag;
}

void App::FinishHenvAnswer(HttpResponse& r, const HenvAnswerTag& tag, const ResponseFinish& with,
                           Henv* counted) const {
  r.log.henv = tag.hash;
  r.log.client_ip = tag.client_ip;
  FinishResponse(r, with);
  if (counted != nullptr) {
    const auto took = std::chrono::steady_clock::now() - tag.received;
    counted->stats().Record(clocks_.unix_seconds(), r.status,
                            std::chrono::duration_cast<std::chrono::nanoseconds>(took).count(), r.log.js_ns,
                            r.log.db_ns);
  }
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
  // Every built-in lives under "/_": the app's own paths skip the ~20
  // comparisons below.
  if (path.size() < 2 || path[1] != '_') return std::nullopt;
  // An encoded slash may reach the henv's router (Express semantics), never
  // hbf's own endpoints, whose ids and names it would split or join.
  if (ctx.encoded_slash && (path.rfind("/_api/", 0) == 0 || path.rfind("/_hbf/", 0) == 0 || IsAdminPath(path))) {
    return HttpResponse::ErrorBody(400, "bad_request", "an encoded slash (%2F) is not accepted in " + path);
  }

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
  if (path == "/_api/metrics") return MetricsApi(request, henv);
  if (path == "/_api/realtime") return RealtimeApi(request, ctx, henv);
  if (path == "/_api/backup") return BackupApi(request, henv);
  if (path == "/_api/restore") return RestoreApi(request, henv);
  if (path == "/_api/audit") return AuditApi(request, henv);
  if (path == "/_api/logs") return LogsBlocking(request, henv);
  if (path == "/_api/domains" || path.rfind("/_api/domains/", 0) == 0) {
    return DomainsApi(request, henv, std::string_view(path).substr(std::string_view("/_api/domains").size()));
  }
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
