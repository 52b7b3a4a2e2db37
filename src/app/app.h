// The application: what HBF answers, independent of the HTTP engine.
//
// It receives HttpRequests from the server, works out which site they are for
// (apex or a henv, by Host), and serves:
//   any host:  GET /health (liveness), GET /health/ready (readiness)
//   apex:      GET /new (signup page), POST /new (create a henv + owner),
//              GET /metrics (Prometheus; loopback or --metrics_token)
//   henv:      /login, /logout, /signup (pages and form posts; the app's
//              router may claim them, /_hbf/login etc. stay HBF's),
//              GET /_api/me,
//              POST /_api/keys/rotate, /_api/users[/{id}],
//              /_api/documents[/{id...}], /_api/documents/search,
//              /_api/graph/{edges,neighbours,tags},
//              GET /_api/metrics (the henv's own figures, owner/admin),
//              POST /_api/backup, POST /_api/restore (owner; lifecycle_api.cpp),
//              GET/DELETE /_api/logs (the henv's own log; GET may long-poll:
//              ?since=&level=&limit=&wait=),
//              GET/POST /_api/domains, DELETE /_api/domains/{domain}
//              (custom domains, owner; domains_api.cpp); anything else goes to
//              the henv's _system/router.js, and when no route matches, to
//              documents by path (the default handler).
// Later layers (documents, JavaScript) plug in here; none of them sees the
// HTTP engine. Handlers live in app.cpp (dispatch, health), provisioning.cpp,
// henv_auth_api.cpp, documents_api.cpp, script_routing.cpp,
// document_serving.cpp, admin_api.cpp, records_api.cpp, templates_api.cpp
// and logs_api.cpp.
//
// Limits and headers (http_policy.h, http/rate_limiter.h): HandleOnLoop()
// takes each request's token from its client address's bucket (and POST
// /new's from the stricter signup bucket) before it is queued, so a flood is
// refused on the I/O loop; the server calls it once per request, and
// Handle()/HandleAsync() rely on that (they do not count again). The henv's
// own bucket (rate_limit_rps) and CORS preflights are answered on the
// handler thread once the henv is open, before its built-ins and router
// (on the loop for a document DocumentOnLoop answers there).
// Every answer passes FinishResponse (security headers, CORS, RateLimit-*)
// last, on the loop and on both handler paths.
//
// Custom domains: a host that is neither the apex nor {hash}.{base_domain}
// is looked up in the DomainRouter's snapshot (RequestContextFor, QueueKey:
// every entry point routes alike); an active domain is served as its henv,
// a pending one answers only its verification token (on the loop).
//
// Thread safety: Handle() is called concurrently from the server's handler
// threads, HandleOnLoop() and QueueKey() from its I/O loops (they touch no
// lock that a handler may hold for long: the rate limiters' shard locks are
// held for a lookup; a henv's connection is waited for 100 us at most).
// App's own fields are constant after construction; the henv manager, login
// throttle, rate limiters and henv log hub are thread-safe. A long-poll on /_api/logs is answered from the hub's waker
// thread (Responder is callable from any thread).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>

#include "app/http_policy.h"
#include "auth/authenticator.h"
#include "auth/login_throttle.h"
#include "core/config.h"
#include "henv/henv_log.h"
#include "henv/henv_manager.h"
#include "http/host_routing.h"
#include "http/rate_limiter.h"
#include "http/server.h"
#include "js/engine.h"

namespace hbf {

struct Credentials;  // request_util.h
class RealtimeHub;   // realtime.h
namespace domains {
class DomainRouter;  // domains/domain_router.h
}

// Live figures the app reports on /health; supplied by whoever owns them.
struct RuntimeProbe {
  std::function<int()> in_flight_requests = [] { return 0; };
  std::function<bool()> draining = [] { return false; };
};

struct AppClocks {
  std::function<std::chrono::steady_clock::time_point()> steady = [] { return std::chrono::steady_clock::now(); };
  std::function<int64_t()> unix_seconds = [] {
    return static_cast<int64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count());
  };
};

class App : public RequestHandler {
 public:
  // `henvs`, the throttles, `scripts` and `logs` must outlive the App.
  App(const Config& config, HenvManager& henvs, auth::LoginThrottle& throttle, auth::LoginThrottle& address_throttle,
      js::JsEngine& scripts, HenvLogHub& logs, RuntimeProbe probe, AppClocks clocks = {});

  HttpResponse Handle(HttpRequest& request) override;
  // As Handle; a script awaiting a timer answers later, holding no thread.
  void HandleAsync(HttpRequest& request, Responder respond) override;
  // /health, and the answers that need no henv (unknown hosts, bad paths,
  // refusals while draining), without leaving the I/O loop.
  std::optional<HttpResponse> HandleOnLoop(const HttpRequest& request) override;
  // The henv's hash: each henv gets its own share of the handler threads.
  std::string QueueKey(const HttpRequest& request) override;
  // A message or close on one of a henv's WebSockets: its ws route's
  // handler (websocket_routing.cpp).
  void HandleWsEvent(WsEvent event, std::function<void()> done) override;
  // The server's own answers (script_busy at the queue): security headers,
  // and the henv's CORS headers when its policy is cached (no lock taken
  // but the henv manager's, for a lookup).
  void FinishServerAnswer(const HttpRequest& request, HttpResponse& response) override;

  // Live subscriptions (GET /_api/realtime); without one that endpoint
  // answers 501. `hub` must outlive the App. Call before serving.
  void SetRealtime(RealtimeHub* hub) { realtime_ = hub; }
  // Custom domains (domains/domain_router.h); without it only
  // {hash}.{base_domain} routes and /_api/domains answers 501. `router`
  // must outlive the App. Call before serving.
  void SetDomains(domains::DomainRouter* router) { domains_ = router; }

 private:
  // BuildRequestContext, then an unknown host looked up among the custom
  // domains. Every entry point builds its context here.
  Result<RequestContext> RequestContextFor(const HttpRequest& request) const;
  // A kUnknown route whose host is an active custom domain becomes its
  // henv's. No-op (no lookup) for the apex and {hash}.{base_domain}.
  void ResolveCustomDomain(HostRoute& route) const;
  // GET http://{pending-domain}/.well-known/hbf-domain/{token}: the token,
  // when it is that domain's (how verification through DNS works). On the
  // loop; nullopt when the request is not one.
  std::optional<HttpResponse> DomainToken(const HttpRequest& request, const RequestContext& ctx) const;
  HttpResponse Health(const HttpRequest& request) const;
  // GET /health/ready: 200 while serving, 503 while draining or when the
  // storage folder is not writable. On the loop: an access(2), no lock.
  HttpResponse Ready(const HttpRequest& request) const;
  // GET /metrics on the apex (metrics_endpoint.h), on the loop: counters
  // from the per-thread shards, gauges from their owners.
  HttpResponse PrometheusMetrics(const HttpRequest& request, const RequestContext& ctx) const;
  // The henv's cached HTTP policy when the henv is open and has one, else
  // null; never opens a henv nor reads its settings (for loop answers).
  std::shared_ptr<const HenvHttpPolicy> CachedPolicy(const std::string& hash) const;
  // What HandleOnLoop answers, for a context already built.
  std::optional<HttpResponse> QuickAnswer(const HttpRequest& request, const RequestContext& ctx) const;
  HttpResponse UnknownHost() const;
  HttpResponse ServeApex(const HttpRequest& request, const RequestContext& ctx);
  // Fills in `finish` with what the henv's answer needs (its policy, whether
  // its own content answered, its RateLimit-* headers).
  HttpResponse ServeHenv(const HttpRequest& request, const RequestContext& ctx, ResponseFinish& finish);

  // The per-address buckets (on the I/O loop): the 429 to answer, if any.
  std::optional<HttpResponse> AddressLimit(const HttpRequest& request, const RequestContext& ctx);
  // The henv's own bucket and CORS preflight (on a handler thread, or on
  // the loop for DocumentOnLoop; the henv open): the answer that ends the
  // request, if any. Sets finish.rate_headers when the henv has a limit.
  std::optional<HttpResponse> HenvGate(const HttpRequest& request, const RequestContext& ctx,
                                       const HenvHttpPolicy& policy, ResponseFinish& finish);
  // How a henv's database is reached: waiting for its connection (a handler
  // thread), or only if it is free within kLoopDbPatience (an I/O loop:
  // another loop's read is over by then, a long write is not).
  enum class DbAccess { kWait, kNoWait };
  static constexpr std::chrono::microseconds kLoopDbPatience{100};
  // What Henv::WithDbWithin is given for `access`.
  static std::optional<std::chrono::microseconds> Patience(DbAccess access) {
    if (access == DbAccess::kWait) return std::nullopt;
    return kLoopDbPatience;
  }
  // The henv's HTTP policy, read without its lock while fresh (as
  // ScriptLimitsFor). With kNoWait, null when it would have to wait.
  std::shared_ptr<const HenvHttpPolicy> HttpPolicyFor(Henv& henv, DbAccess access = DbAccess::kWait) const;
  // What every answer of a henv gets last, on a handler thread or the loop:
  // the access log's henv and client, FinishResponse, and (`counted`: the
  // henv was open) a count in its figures (HenvStats), its latency from
  // the head's arrival.
  struct HenvAnswerTag {
    std::string hash;
    std::string client_ip;  // when it is not the peer's (a trusted proxy's client)
    std::chrono::steady_clock::time_point received;
  };
  static HenvAnswerTag HenvAnswerTagFor(const HttpRequest& request, const RequestContext& ctx);
  void FinishHenvAnswer(HttpResponse& r, const HenvAnswerTag& tag, const ResponseFinish& with, Henv* counted) const;
  // What FinishResponse needs from any request (scheme, Origin).
  static ResponseFinish FinishFor(const HttpRequest& request, const RequestContext& ctx);

  // provisioning.cpp
  HttpResponse ProvisionHenv(const HttpRequest& request, const RequestContext& ctx);
  HttpResponse SignupPage() const;

  // sharding.cpp (--shard_mode: several nodes behind a Host-hashing proxy)
  // POST /new on the apex: 307 to {hash}.{base_domain}/_hbf/new, the owner.
  HttpResponse ShardRedirect(const HttpRequest& request, const RequestContext& ctx);
  // GET /_hbf/tls-allowed?domain=D on any host (Caddy's on-demand TLS
  // "ask", on the I/O loop): 200 for the base domain and {hash}.{base_domain} of a henv on
  // this node's disk, else 404. Only an existence check: no henv is opened.
  HttpResponse TlsAllowed(const HttpRequest& request) const;
  // GET /new with --shard_mode: the signup form as a plain form post.
  HttpResponse ShardedSignupPage() const;
  // A henv-host request that is the sharded signup (created at its owner).
  bool IsOwnerSignup(const RequestContext& ctx) const {
    return config_.shard_mode && ctx.route.kind == SiteKind::kHenv && !ctx.route.custom_domain &&
           ctx.subpath == "/_hbf/new";
  }

  // henv_auth_api.cpp
  struct Session {
    auth::User user;
    std::string token;
    int64_t expires_at = 0;  // unix seconds
    int64_t max_age = 0;     // seconds, for the cookie
  };
  // Checks a password under the login throttles and opens a session.
  // `retry_after` is set (seconds) when refused for too many attempts.
  Result<Session> StartSession(const std::string& username, const std::string& password, const RequestContext& ctx,
                               Henv& henv, int64_t& retry_after);
  Result<Session> IssueSession(const auth::User& user, Henv& henv);
  // A new account from a body's username, password, email and role (role
  // only when `role_allowed`: the API's, not signup's).
  Result<auth::User> CreateAccount(const Credentials& creds, bool role_allowed, Henv& henv);
  HttpResponse Login(const HttpRequest& request, const RequestContext& ctx, Henv& henv);
  HttpResponse Logout(const HttpRequest& request, const RequestContext& ctx, Henv& henv);
  HttpResponse Me(const HttpRequest& request, Henv& henv);
  HttpResponse RotateKeys(const HttpRequest& request, Henv& henv);
  HttpResponse Users(const HttpRequest& request, Henv& henv, std::string_view rest);

  // auth_pages.cpp: /login, /logout, /signup as pages and form posts (JSON
  // for clients that do not ask for HTML), also under /_hbf/.
  static bool IsAuthPagePath(std::string_view path);
  HttpResponse AuthPage(const HttpRequest& request, const RequestContext& ctx, Henv& henv);

  // code_api.cpp: POST /_api/code/check; documents_api.cpp asks
  // RefuseBrokenCode before saving (nullopt: go ahead). Guarded code: a
  // template, or a module under _system/ or loaded by the henv's server code.
  HttpResponse CodeCheckApi(const HttpRequest& request, Henv& henv);
  bool IsGuardedCode(Henv& henv, const std::string& id) const;
  std::optional<HttpResponse> RefuseBrokenCode(const HttpRequest& request, Henv& henv, const std::string& id,
                                               const std::string& source);

  // admin_ui.cpp: /_admin (the shell, for owners and admins) and
  // /_admin/assets/{build}/... (built-in, immutable).
  static bool IsAdminPath(std::string_view path);
  HttpResponse AdminUi(const HttpRequest& request, const RequestContext& ctx, Henv& henv);

  // documents_api.cpp
  HttpResponse RenameDocument(Henv& henv, const auth::AuthContext& caller, const std::string& from,
                              const std::string& to);
  HttpResponse Documents(const HttpRequest& request, const RequestContext& ctx, Henv& henv, std::string_view rest);
  HttpResponse Graph(const HttpRequest& request, Henv& henv, std::string_view rest);

  // The built-in endpoints of a henv (login, /_api/...), or nullopt for the
  // henv's own routes and documents.
  std::optional<HttpResponse> ServeBuiltIn(const HttpRequest& request, const RequestContext& ctx, Henv& henv);
  // What every request to a henv's built-ins and routes is refused with
  // before anything else (cross-site, body over the henv's limit), if any.
  std::optional<HttpResponse> Refusal(const HttpRequest& request, const RequestContext& ctx, Henv& henv);

  // logs_api.cpp: GET /_api/logs?since=&level=&limit=&wait= (a long-poll
  // when `wait` > 0: `respond` is parked in the log hub, holding no thread)
  // and DELETE /_api/logs. Owner/admin. LogsBlocking: the same on this
  // thread, for Handle().
  void LogsApi(const HttpRequest& request, Henv& henv, Responder respond);
  HttpResponse LogsBlocking(const HttpRequest& request, Henv& henv);

  // script_routing.cpp: the henv's router.js, and its documents when no
  // route matched. RunScriptOrDocument runs on this thread to the end;
  // RunScriptAsync answers through `respond`, later when the script awaits a
  // timer (holding no thread meanwhile).
  HttpResponse RunScriptOrDocument(const HttpRequest& request, const RequestContext& ctx, Henv& henv);
  // A GET or HEAD that no route of the henv's router can take
  // (js::JsEngine::NoRouteTakes), answered with its document without
  // running the router: what the router falling through would have led to.
  // Nullopt (run the router) when unsure, for the login pages' paths (they
  // come after the router), and for an express app when no document
  // answers (it has its own 404 page); with kNoWait also when the read
  // would wait (ServeDocument).
  // `router_may_take` (if given) is set when the answer is nullopt because
  // the request or a route may take the path (not for a read that would
  // wait, nor for an express app's own 404).
  std::optional<HttpResponse> DocumentPastRouter(const HttpRequest& request, const RequestContext& ctx, Henv& henv,
                                                 DbAccess access = DbAccess::kWait, bool* router_may_take = nullptr);
  // HttpRequest::loop_notes: DocumentOnLoop found that the router may take
  // the request (its handler thread runs the script without asking again).
  static constexpr uint32_t kLoopNoteRouterMayTake = 1;
  // The request's own side of DocumentPastRouter: a GET or HEAD without a
  // body, no upgrade, not a login page (checked before any henv is looked at).
  static bool MayPassTheRouter(const HttpRequest& request, const RequestContext& ctx);
  void RunScriptAsync(HttpRequest request, std::shared_ptr<const RequestContext> ctx, std::shared_ptr<Henv> henv,
                      Responder respond);
  struct ScriptCall {
    js::ScriptLimits limits;
    js::ScriptRequest in;
    std::string user_id;
    bool caller_is_admin = false;  // the henv's owner or an admin
  };
  // What the script is given, all but the body (which the caller moves or
  // copies in).
  ScriptCall PrepareScript(const HttpRequest& request, const RequestContext& ctx, Henv& henv) const;
  // An upgrade no ws route took: the built-in channel socket at
  // /ws/{channel} for a signed-in user, else 401/404.
  HttpResponse WebSocketFallback(const HttpRequest& request, const RequestContext& ctx, Henv& henv,
                                 bool authenticated);
  // Drops or fixes a script's Set-Cookie headers (never HBF's session
  // cookie, never Domain= for sibling henvs).
  void SanitizeScriptCookies(HttpResponse& r, Henv& henv) const;
  // A finished script's answer: its response, its failure, or the document
  // at the path when no route matched.
  // `took`: how long the script ran (slow requests are logged).
  HttpResponse ScriptAnswer(js::ScriptResult result, const HttpRequest& request, const RequestContext& ctx, Henv& henv,
                            const std::string& user_id, bool caller_is_admin, std::chrono::steady_clock::duration took);
  // The router failed to load: the document at the path if there is one,
  // else 503 router_unavailable (the reason for owners/admins, a plain page
  // or message for everyone else).
  HttpResponse RouterUnavailable(const js::ScriptResult::Failure& f, const HttpRequest& request,
                                 const RequestContext& ctx, Henv& henv, bool caller_is_admin);

  // The JS limits for `henv`: the flags, lowered by the henv's config.
  js::ScriptLimits ScriptLimitsFor(Henv& henv) const;
  // A script failure as the HTTP answer (sanitised unless --dev) + a server
  // log line + an entry in the henv's log (with `duration_ms` when >= 0).
  HttpResponse ScriptFailure(const js::ScriptResult::Failure& f, Henv& henv, const HttpRequest& request,
                             int64_t duration_ms = -1) const;
  // A henv request whose script ran longer than --slow_request_ms goes to
  // the henv's log (source "slow").
  void NoteScriptTime(const HttpRequest& request, Henv& henv, const HttpResponse& answer,
                      std::chrono::steady_clock::duration took) const;

  // admin_api.cpp: GET/PATCH /_api/config, GET /_api/audit; Audit() writes
  // one entry (failures are logged, never fail the action).
  HttpResponse ConfigApi(const HttpRequest& request, Henv& henv);
  // lifecycle_api.cpp: POST /_api/backup (the snapshot as a download) and
  // POST /_api/restore (body: a snapshot), the henv's owner only.
  HttpResponse BackupApi(const HttpRequest& request, Henv& henv);
  HttpResponse RestoreApi(const HttpRequest& request, Henv& henv);
  // metrics_api.cpp: GET /_api/metrics (owner/admin).
  HttpResponse MetricsApi(const HttpRequest& request, Henv& henv);
  HttpResponse AuditApi(const HttpRequest& request, Henv& henv);
  void Audit(Henv& henv, const auth::AuthContext& actor, std::string_view action, std::string_view target,
             const Json& details) const;
  // admin_api.cpp: GET/POST/DELETE /_api/permissions, /_api/policies[/{id}].
  HttpResponse PermissionsApi(const HttpRequest& request, Henv& henv);
  HttpResponse PoliciesApi(const HttpRequest& request, Henv& henv, std::string_view rest);
  // records_api.cpp: /_api/data/{table}[/{id}] under the caller's
  // permissions and row policies.
  HttpResponse Records(const HttpRequest& request, Henv& henv, std::string_view rest);
  HttpResponse ListTables(const HttpRequest& request, Henv& henv);
  // realtime_api.cpp: GET /_api/realtime (event stream or WebSocket).
  HttpResponse RealtimeApi(const HttpRequest& request, const RequestContext& ctx, Henv& henv);
  // sql_console_api.cpp: POST /_api/sql (owner/admin), one statement under
  // the sealed-schema rules, read-only unless asked.
  HttpResponse SqlConsole(const HttpRequest& request, Henv& henv);
  // domains_api.cpp: GET/POST /_api/domains, DELETE /_api/domains/{domain}
  // (the henv's owner only).
  HttpResponse DomainsApi(const HttpRequest& request, Henv& henv, std::string_view rest);

  // documents_api.cpp: GET /_api/modules, POST /_api/modules (a tarball).
  HttpResponse Modules(const HttpRequest& request, Henv& henv);

  // templates_api.cpp: GET /_api/templates, POST /_api/templates/preview.
  HttpResponse Templates(const HttpRequest& request, Henv& henv, std::string_view rest);

  // document_serving.cpp: the default handler (GET/HEAD of a document).
  HttpResponse ServeDocument(const HttpRequest& request, const RequestContext& ctx, Henv& henv);
  // ServeDocument; with kNoWait, nullopt when answering would wait for the
  // henv's connection or run a script (an EJS document): the caller hands
  // the request to a handler thread instead.
  std::optional<HttpResponse> ServeDocument(const HttpRequest& request, const RequestContext& ctx, Henv& henv,
                                            DbAccess access);
  // A henv's document answered on the I/O loop (HandleOnLoop), when nothing
  // on its way can wait: the henv is open (OpenWithoutIo), the path is no
  // built-in, its router takes no such path (route reach, or no router),
  // and its connection is free (for its HTTP policy when stale, then the
  // document). Else nullopt, with nothing counted or changed: a handler
  // thread answers it as before.
  std::optional<HttpResponse> DocumentOnLoop(const HttpRequest& request, const RequestContext& ctx);
  // document_serving.cpp: uploads are bounded by the henv's
  // max_upload_size_mb (-1: only the server's limit applies).
  int64_t UploadLimitBytes(const RequestContext& ctx, Henv& henv) const;

  // The caller, or the 401 to answer with. Anonymous callers get 401.
  Result<auth::AuthContext> RequireUser(const HttpRequest& request, Henv& henv) const;
  // As RequireUser, and the caller must be owner or admin (else 403).
  Result<auth::AuthContext> RequireAdmin(const HttpRequest& request, Henv& henv) const;
  // As RequireUser, and the caller must be the owner (else 403).
  Result<auth::AuthContext> RequireOwner(const HttpRequest& request, Henv& henv) const;
  // Stamps last_activity_ts after a write, at most once a minute per henv.
  void NoteWrite(Henv& henv) const;

  const Config config_;
  ProxyPolicy proxy_;  // set in the constructor, constant after
  HenvManager& henvs_;
  auth::LoginThrottle& throttle_;          // failed logins per account
  auth::LoginThrottle& address_throttle_;  // failed logins per client address, across accounts and henvs
  js::JsEngine& scripts_;
  HenvLogHub& logs_;
  const RuntimeProbe probe_;
  const AppClocks clocks_;
  const std::chrono::steady_clock::time_point started_;
  // Token buckets (clocks_.steady): per client address on every host
  // (--rate_limit_ip_rps/_burst), per address for POST /new
  // (--rate_limit_new_per_hour), per henv (its rate_limit_rps).
  RateLimiter address_limiter_;
  RateLimiter signup_limiter_;
  RateLimiter henv_limiter_;
  RealtimeHub* realtime_ = nullptr;  // set before serving
  domains::DomainRouter* domains_ = nullptr;  // set before serving; thread-safe
};

// Resident memory of this process in MiB (falls back to peak RSS where
// /proc is absent, e.g. in an empty chroot).
double ProcessMemoryMb();

}  // namespace hbf
