// Requests not claimed by a built-in endpoint go to the henv's
// _system/router.js (see src/js/engine.h); when no route matches, the caller
// serves documents.
#include <algorithm>
#include <memory>
#include <tuple>

#include "app/app.h"
#include "app/request_util.h"
#include "auth/auth_store.h"
#include "core/log.h"
#include "core/metrics.h"

namespace hbf {
namespace {

// Public wording per failure; the script's own message only in --dev.
const char* PublicMessage(const std::string& code) {
  if (code == "script_timeout") return "the script ran out of time";
  if (code == "script_memory") return "the script ran out of memory";
  if (code == "script_no_response") return "the handler finished without sending a response";
  if (code == "script_busy") return "this app is busy; retry shortly";
  if (code == "quota_exceeded") return "the app's storage quota is full";
  if (code == "insufficient_storage") return kStorageFullMessage;
  if (code == "read_only") return kStorageReadOnlyMessage;
  return "the app's script failed";
}

// Failures that are a limit being reached rather than the script's own
// error: the henv's log files them apart (source "limit").
bool IsLimit(const std::string& code) {
  return code == "script_timeout" || code == "script_memory" || code == "quota_exceeded" || code == "script_busy";
}

int64_t Milliseconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

}  // namespace

js::ScriptLimits App::ScriptLimitsFor(Henv& henv) const {
  // Per-henv limits may only lower the operator's (flags are the ceiling).
  js::ScriptLimits limits;
  int64_t henv_mem_mb = config_.qjs_mem_mb;
  int64_t henv_timeout_ms = config_.qjs_timeout_ms;
  int64_t storage_bytes = 0;  // the henv file's bound (0: none)
  // Read without the henv's lock while fresh (every request of a henv would
  // otherwise take it, on every core); looked at again under it at least
  // every kForeignCommitCheckInterval, since RefreshSettings() is also what
  // notices commits from elsewhere (e.g. `hbf modules add` from another
  // process) and refreshes the code version. Unchanged (the usual case),
  // the values hold for another interval without reading the settings.
  Henv::DerivedSettings& cache = henv.derived_settings();
  const int64_t now_ns = Henv::SteadyNowNs();
  const auto cached = [&] {
    henv_mem_mb = cache.values[0].load(std::memory_order_relaxed);
    henv_timeout_ms = cache.values[1].load(std::memory_order_relaxed);
    storage_bytes = cache.values[2].load(std::memory_order_relaxed);
  };
  if (henv.DerivedHolds(cache.epoch.load(std::memory_order_acquire), cache.expires_ns.load(std::memory_order_relaxed),
                        now_ns)) {
    cached();
  } else {
    const int64_t next_look_ns = Henv::NextSettingsLookNs(now_ns);
    henv.WithDb([&](db::Database& db) {
      henv.RefreshSettings(db);
      if (cache.epoch.load(std::memory_order_acquire) == henv.settings_epoch()) {
        cache.expires_ns.store(next_look_ns, std::memory_order_relaxed);
        cached();
        return;
      }
      henv_mem_mb = henv.SettingInt(db, "qjs_mem_mb", config_.qjs_mem_mb);
      henv_timeout_ms = henv.SettingInt(db, "qjs_timeout_ms", config_.qjs_timeout_ms);
      // The henv's max_storage_mb may only lower --henv_max_storage_mb (0: none).
      const int64_t server_mb = config_.henv_max_storage_mb;
      const int64_t henv_mb = henv.SettingInt(db, "max_storage_mb", 0);
      const int64_t mb = henv_mb > 0 ? (server_mb > 0 ? std::min(henv_mb, server_mb) : henv_mb) : server_mb;
      storage_bytes = mb << 20;
      // The API's connection gets the same bound as the workers' (set at
      // open to the server's; only a change costs the pragmas).
      if (storage_bytes != cache.values[2].load(std::memory_order_relaxed)) (void)db.SetMaxSize(storage_bytes);
      cache.values[0].store(henv_mem_mb, std::memory_order_relaxed);
      cache.values[1].store(henv_timeout_ms, std::memory_order_relaxed);
      cache.values[2].store(storage_bytes, std::memory_order_relaxed);
      cache.expires_ns.store(next_look_ns, std::memory_order_relaxed);
      cache.epoch.store(henv.settings_epoch(), std::memory_order_release);
    });
  }
  limits.memory_bytes = std::clamp<int64_t>(henv_mem_mb, 1, config_.qjs_mem_mb) * 1024 * 1024;
  limits.timeout_ms = static_cast<int>(std::clamp<int64_t>(henv_timeout_ms, 1, config_.qjs_timeout_ms));
  limits.storage_bytes = storage_bytes;
  return limits;
}

HttpResponse App::ScriptFailure(const js::ScriptResult::Failure& f, Henv& henv, const HttpRequest& request,
                                int64_t duration_ms) const {
  std::string stack_line = f.stack;
  for (char& c : stack_line) c = c == '\n' ? '|' : c;
  const LogLevel level = f.code == "script_busy" ? LogLevel::kWarn : LogLevel::kError;
  Log(level,
      f.code + ": " + f.message + (f.location.empty() ? "" : " at " + f.location) +
          (stack_line.empty() ? "" : " | " + stack_line),
      henv.hash());
  // The owner sees the whole failure in the henv's log, whatever --dev says
  // about the response: it is their own code.
  if (metrics::LimitKind kind; metrics::LimitKindOf(f.code, kind)) metrics::CountLimitHit(kind);
  LogEntry entry;
  entry.level = level;
  entry.source = IsLimit(f.code) ? LogSource::kLimit : LogSource::kError;
  entry.request_id = request.id;
  entry.message = f.message;
  entry.code = f.code;
  entry.location = f.location;
  entry.stack = f.stack;
  entry.method = request.method;
  entry.path = request.path;
  entry.status = f.http_status;
  entry.duration_ms = duration_ms;
  logs_.Append(henv.hash(), std::move(entry));
  std::string message = config_.dev ? f.message + (f.location.empty() ? "" : " (at " + f.location + ")")
                                    : PublicMessage(f.code);
  Json error = Json::MakeObject({{"code", f.code}, {"message", message}});
  if (config_.dev && !f.location.empty()) error.set("location", f.location);
  HttpResponse r = HttpResponse::JsonBody(f.http_status, Json::MakeObject({{"error", error}}));
  if (f.code == "script_busy") r.set_header("Retry-After", "1");
  return r;
}

App::ScriptCall App::PrepareScript(const HttpRequest& request, const RequestContext& ctx, Henv& henv) const {
  ScriptCall call;
  call.limits = ScriptLimitsFor(henv);
  js::ScriptRequest& in = call.in;
  in.method = request.method;
  in.path = request.path;
  in.sent_path = request.sent_path;
  in.query = request.query;
  in.url = request.query.empty() ? request.path : request.path + "?" + request.query;
  in.headers = request.headers;
  in.ip = ctx.client_ip;
  in.protocol = ctx.scheme;
  in.hostname = ctx.route.hostname;
  in.websocket_id = request.websocket_id;
  in.id = request.id;
  // req.user: the caller when a valid token came along; anonymous otherwise
  // (scripts decide what needs a login).
  // A WebSocket's token may come as ?token= (browsers cannot set headers
  // on one); a socket from another site does not carry the cookie's session.
  auth::RequestCredentials credentials = CallerCredentials(request, ctx, /*token_in_query=*/request.websocket_id != 0);
  if (!credentials.empty()) {
    auto caller = auth::Authenticate(henv, credentials, clocks_.unix_seconds());
    if (caller.ok()) {
      in.user = auth::UserToJson(caller->user);
      call.user_id = std::to_string(caller->user.id);
      call.caller_is_admin = caller->user.role != auth::Role::kUser;
    }
  }
  return call;
}

HttpResponse App::RouterUnavailable(const js::ScriptResult::Failure& f, const HttpRequest& request,
                                    const RequestContext& ctx, Henv& henv, bool caller_is_admin) {
  // Documents and the login pages do not depend on the router: a broken
  // save must not take the whole site down, nor lock its owner out.
  if (IsAuthPagePath(ctx.subpath)) return AuthPage(request, ctx, henv);
  if (request.method == "GET" || request.method == "HEAD") {
    HttpResponse doc = ServeDocument(request, ctx, henv);
    if (doc.status != 404) return doc;
  }
  HttpResponse r;
  if (caller_is_admin) {
    // The owner sees why, whatever --dev says: it is their own code.
    std::string message = "_system/router.js failed to load: " + f.message + (f.location.empty() ? "" : " (at " +
                                                                                  f.location + ")");
    Json error = Json::MakeObject({{"code", "router_unavailable"}, {"message", message}});
    if (!f.location.empty()) error.set("location", f.location);
    r = HttpResponse::JsonBody(503, Json::MakeObject({{"error", error}}));
  } else if (AcceptsHtml(request)) {
    r = SimplePage(503, "Temporarily unavailable",
                   "This page cannot be shown right now: the app's code is being fixed. Please try again in a little "
                   "while.");
  } else {
    r = HttpResponse::ErrorBody(503, "router_unavailable",
                                "this app's code failed to load; its owner can see why in the app's logs");
  }
  r.set_header("Cache-Control", "no-store");
  r.set_header("Retry-After", "30");
  return r;
}

void App::SanitizeScriptCookies(HttpResponse& r, Henv& henv) const {
  // A script may set its own cookies, for its own host only: never HBF's
  // session cookie, never one for the sibling henvs (Domain=).
  for (auto it = r.headers.begin(); it != r.headers.end();) {
    if (EqualsIgnoreCase(it->first, "set-cookie")) {
      std::optional<std::string> safe = SanitizeScriptCookie(it->second);
      if (!safe) {
        Log(LogLevel::kWarn, "dropped a Set-Cookie naming HBF's session cookie", henv.hash());
        it = r.headers.erase(it);
        continue;
      }
      it->second = std::move(*safe);
    }
    ++it;
  }
}

HttpResponse App::ScriptAnswer(js::ScriptResult result, const HttpRequest& request, const RequestContext& ctx,
                               Henv& henv, const std::string& user_id, bool caller_is_admin,
                               std::chrono::steady_clock::duration took) {
  if (result.wrote_database) NoteWrite(henv);
  HttpResponse r;
  switch (result.kind) {
    case js::ScriptResult::Kind::kNotHandled: {
      if (request.websocket_id != 0) return WebSocketFallback(request, ctx, henv, !user_id.empty());
      if (IsAuthPagePath(ctx.subpath)) return AuthPage(request, ctx, henv);
      // No route matched (the user_id stays off the line, as before), but
      // the router may still have been slow getting there.
      HttpResponse document = ServeDocument(request, ctx, henv);
      if (document.status == 404 && result.fallback) {
        // An express app's own 404 page, when HBF has nothing here either.
        document = std::move(*result.fallback);
        SanitizeScriptCookies(document, henv);
      }
      NoteScriptTime(request, henv, document, took);
      return document;
    }
    case js::ScriptResult::Kind::kResponse:
      r = std::move(result.response);
      SanitizeScriptCookies(r, henv);
      break;
    case js::ScriptResult::Kind::kError:
    case js::ScriptResult::Kind::kPending:  // never reaches here: the engine resolves it
      if (result.error.router_unavailable) {
        r = RouterUnavailable(result.error, request, ctx, henv, caller_is_admin);
        break;
      }
      r = ScriptFailure(result.error, henv, request, Milliseconds(took));
      break;
  }
  if (result.kind != js::ScriptResult::Kind::kError) NoteScriptTime(request, henv, r, took);
  r.log.user_id = user_id;
  return r;
}

void App::NoteScriptTime(const HttpRequest& request, Henv& henv, const HttpResponse& answer,
                         std::chrono::steady_clock::duration took) const {
  if (config_.slow_request_ms <= 0 || took <= std::chrono::milliseconds(config_.slow_request_ms)) return;
  LogEntry entry;
  entry.level = LogLevel::kWarn;
  entry.source = LogSource::kSlow;
  entry.request_id = request.id;
  entry.method = request.method;
  entry.path = request.path;
  entry.status = answer.status;
  entry.duration_ms = Milliseconds(took);
  entry.message = "slow request: " + request.method + " " + request.path + " took " +
                  std::to_string(entry.duration_ms) + " ms (over " + std::to_string(config_.slow_request_ms) + " ms)";
  logs_.Append(henv.hash(), std::move(entry));
}

bool App::MayPassTheRouter(const HttpRequest& request, const RequestContext& ctx) {
  // A body could fail the router's parsing before any route (a 400), and
  // body parsers are taken as passive only without one (hbf:router's
  // kPassive); an upgrade goes to ws routes; the login pages answer only
  // after the router.
  return (request.method == "GET" || request.method == "HEAD") && request.body.empty() &&
         request.header("content-length") == nullptr && request.header("transfer-encoding") == nullptr &&
         request.websocket_id == 0 && !IsAuthPagePath(ctx.subpath);
}

std::optional<HttpResponse> App::DocumentPastRouter(const HttpRequest& request, const RequestContext& ctx,
                                                    Henv& henv, DbAccess access, bool* router_may_take) {
  bool own_not_found = false;
  if (!MayPassTheRouter(request, ctx) || !scripts_.NoRouteTakes(henv, request.path, &own_not_found)) {
    if (router_may_take != nullptr) *router_may_take = true;
    return std::nullopt;
  }
  std::optional<HttpResponse> document = ServeDocument(request, ctx, henv, access);
  // Nothing here either: an express app answers with its own 404 page.
  if (document && document->status == 404 && own_not_found) return std::nullopt;
  return document;
}

std::optional<HttpResponse> App::DocumentOnLoop(const HttpRequest& request, const RequestContext& ctx) {
  // What HandleAsync would do for this request, in its order, with each
  // step that could wait (opening the file, reading settings, the henv's
  // connection, a script) made a reason to hand the request on instead.
  // Nothing is counted before the last such step, so a request handed on is
  // counted once, by the handler thread.
  // The request's own refusals first, before any henv is looked at: most
  // requests that go on (a script's routes) leave here or at NoRouteTakes.
  if (ctx.route.kind != SiteKind::kHenv || IsOwnerSignup(ctx) || !MayPassTheRouter(request, ctx)) {
    return std::nullopt;
  }
  // HBF's own paths (ServeBuiltIn; a GET or HEAD is never refused as
  // cross-site, nor an encoded slash outside them).
  const std::string& path = ctx.subpath;
  if (IsAdminPath(path) || path.rfind("/_hbf/", 0) == 0 || path == "/_api" || path.rfind("/_api/", 0) == 0) {
    return std::nullopt;
  }
  std::shared_ptr<Henv> henv = henvs_.OpenWithoutIo(ctx.route.henv_hash);
  if (henv == nullptr) return std::nullopt;
  request.found_on_loop = henv;  // (HandleAsync's, if this goes on to a handler thread)
  bool router_may_take = false;
  std::optional<HttpResponse> document = DocumentPastRouter(request, ctx, *henv, DbAccess::kNoWait, &router_may_take);
  if (!document) {
    // (RunScriptAsync's, with found_on_loop: the same look would say so)
    if (router_may_take) request.loop_notes |= kLoopNoteRouterMayTake;
    return std::nullopt;
  }
  std::shared_ptr<const HenvHttpPolicy> policy = HttpPolicyFor(*henv, DbAccess::kNoWait);
  if (policy == nullptr) return std::nullopt;
  // The henv's own rate limit, after the read: a request handed on above
  // must not take its token twice. (A refusal wastes the read, no more.)
  ResponseFinish finish = FinishFor(request, ctx);
  finish.policy = policy;
  HttpResponse r;
  if (std::optional<HttpResponse> gated = HenvGate(request, ctx, *policy, finish)) {
    r = std::move(*gated);
  } else {
    finish.app_content = true;
    r = std::move(*document);
  }
  FinishHenvAnswer(r, HenvAnswerTagFor(request, ctx), finish, henv.get());
  return r;
}

HttpResponse App::RunScriptOrDocument(const HttpRequest& request, const RequestContext& ctx, Henv& henv) {
  if (std::optional<HttpResponse> document = DocumentPastRouter(request, ctx, henv)) return std::move(*document);
  ScriptCall call = PrepareScript(request, ctx, henv);
  call.in.body = request.body;
  const auto started = clocks_.steady();
  js::ScriptResult result = scripts_.Run(henv, call.limits, call.in);
  const auto took = clocks_.steady() - started;
  const int64_t js_ns = result.js_ns;
  const int64_t db_ns = result.db_ns;
  if (js_ns > 0) metrics::ObserveJs(js_ns);
  HttpResponse answer = ScriptAnswer(std::move(result), request, ctx, henv, call.user_id, call.caller_is_admin, took);
  answer.log.js_ns = js_ns;
  answer.log.db_ns = db_ns;
  return answer;
}

void App::RunScriptAsync(HttpRequest request, std::shared_ptr<const RequestContext> ctx, std::shared_ptr<Henv> henv,
                         Responder respond) {
  // (asked on the I/O loop already, for most GETs: DocumentOnLoop)
  if ((request.loop_notes & kLoopNoteRouterMayTake) == 0) {
    if (std::optional<HttpResponse> document = DocumentPastRouter(request, *ctx, *henv)) {
      respond(std::move(*document));
      return;
    }
  }
  ScriptCall call = PrepareScript(request, *ctx, *henv);
  // The answer when no route matched (a document) never needs the body;
  // the login and signup pages do.
  if (IsAuthPagePath(ctx->subpath)) {
    call.in.body = request.body;
  } else {
    call.in.body = std::move(request.body);
  }
  // What the answer needs once the script is done, which may be later, on
  // another thread: the request (without its body), its context, the henv.
  auto state = std::make_shared<std::tuple<HttpRequest, std::shared_ptr<const RequestContext>, std::string, bool>>(
      std::move(request), std::move(ctx), std::move(call.user_id), call.caller_is_admin);
  Henv* henv_ptr = henv.get();  // kept alive by the engine until `done`
  // The script's time includes time parked awaiting a timer: what the
  // client waited.
  const auto started = clocks_.steady();
  scripts_.RunAsync(std::move(henv), call.limits, call.in,
                    [this, state, henv_ptr, started, respond = std::move(respond)](js::ScriptResult result) {
                      auto& [req, context, user_id, caller_is_admin] = *state;
                      const auto took = clocks_.steady() - started;
                      // Only requests that ran the router count (no router: 0).
                      const int64_t js_ns = result.js_ns;
                      const int64_t db_ns = result.db_ns;
                      if (js_ns > 0) metrics::ObserveJs(js_ns);
                      HttpResponse answer;
                      try {
                        answer = ScriptAnswer(std::move(result), req, *context, *henv_ptr, user_id, caller_is_admin,
                                              took);
                      } catch (...) {
                        answer = HttpResponse::ErrorBody(500, "internal_error", "internal server error");
                      }
                      answer.log.js_ns = js_ns;
                      answer.log.db_ns = db_ns;
                      respond(std::move(answer));
                    });
}

}  // namespace hbf
