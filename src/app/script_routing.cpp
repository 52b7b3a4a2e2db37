// Requests not claimed by a built-in endpoint go to the henv's
// _system/router.js (see src/js/engine.h); when no route matches, the caller
// serves documents.
#include <algorithm>

#include "app/app.h"
#include "app/request_util.h"
#include "auth/auth_store.h"
#include "core/log.h"

namespace hbf {
namespace {

// Public wording per failure; the script's own message only in --dev.
const char* PublicMessage(const std::string& code) {
  if (code == "script_timeout") return "the script ran out of time";
  if (code == "script_memory") return "the script ran out of memory";
  if (code == "script_no_response") return "the handler finished without sending a response";
  if (code == "script_busy") return "this app is busy; retry shortly";
  return "the app's script failed";
}

}  // namespace

js::ScriptLimits App::ScriptLimitsFor(Henv& henv) const {
  // Per-henv limits may only lower the operator's (flags are the ceiling).
  js::ScriptLimits limits;
  int64_t henv_mem_mb = config_.qjs_mem_mb;
  int64_t henv_timeout_ms = config_.qjs_timeout_ms;
  // Setting() also notices commits from elsewhere (e.g. `hbf modules add` from
  // another process) and refreshes the code version.
  henv.WithDb([&](db::Database& db) {
    henv_mem_mb = henv.SettingInt(db, "qjs_mem_mb", config_.qjs_mem_mb);
    henv_timeout_ms = henv.SettingInt(db, "qjs_timeout_ms", config_.qjs_timeout_ms);
  });
  limits.memory_bytes = std::clamp<int64_t>(henv_mem_mb, 1, config_.qjs_mem_mb) * 1024 * 1024;
  limits.timeout_ms = static_cast<int>(std::clamp<int64_t>(henv_timeout_ms, 1, config_.qjs_timeout_ms));
  return limits;
}

HttpResponse App::ScriptFailure(const js::ScriptResult::Failure& f, Henv& henv) const {
  std::string stack_line = f.stack;
  for (char& c : stack_line) c = c == '\n' ? '|' : c;
  Log(f.code == "script_busy" ? LogLevel::kWarn : LogLevel::kError,
      f.code + ": " + f.message + (f.location.empty() ? "" : " at " + f.location) +
          (stack_line.empty() ? "" : " | " + stack_line),
      henv.hash());
  std::string message = config_.dev ? f.message + (f.location.empty() ? "" : " (at " + f.location + ")")
                                    : PublicMessage(f.code);
  Json error = Json::MakeObject({{"code", f.code}, {"message", message}});
  if (config_.dev && !f.location.empty()) error.set("location", f.location);
  HttpResponse r = HttpResponse::JsonBody(f.http_status, Json::MakeObject({{"error", error}}));
  if (f.code == "script_busy") r.set_header("Retry-After", "1");
  return r;
}

HttpResponse App::RunScript(const HttpRequest& request, const RequestContext& ctx, Henv& henv, bool& handled) {
  const js::ScriptLimits limits = ScriptLimitsFor(henv);
  js::ScriptRequest in;
  in.method = request.method;
  in.path = request.path;
  in.query = request.query;
  in.url = request.query.empty() ? request.path : request.path + "?" + request.query;
  in.headers = request.headers;
  in.body = request.body;
  in.ip = ctx.client_ip;
  in.protocol = ctx.scheme;
  in.hostname = ctx.route.hostname;
  // req.user: the caller when a valid token came along; anonymous otherwise
  // (scripts decide what needs a login).
  std::string user_id;
  if (auto token = auth::ExtractToken(request.header("authorization"), request.header("cookie")); token) {
    auto caller = auth::Authenticate(henv, *token, clocks_.unix_seconds());
    if (caller.ok()) {
      in.user = auth::UserToJson(caller->user);
      user_id = std::to_string(caller->user.id);
    }
  }

  js::ScriptResult result = scripts_.Run(henv, limits, in);
  if (result.wrote_database) NoteWrite(henv);
  switch (result.kind) {
    case js::ScriptResult::Kind::kNotHandled:
      handled = false;
      return {};
    case js::ScriptResult::Kind::kResponse:
      handled = true;
      result.response.log.user_id = user_id;
      return std::move(result.response);
    case js::ScriptResult::Kind::kError:
      break;
  }
  handled = true;
  HttpResponse r = ScriptFailure(result.error, henv);
  r.log.user_id = user_id;
  return r;
}

}  // namespace hbf
