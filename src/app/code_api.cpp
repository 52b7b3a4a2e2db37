// Safe code saves: POST /_api/code/check compiles a module or template
// without running it; saving server code that does not compile is refused
// (documents_api.cpp calls RefuseBrokenCode) unless the owner insists with
// ?force=1.
#include "app/app.h"
#include "app/request_util.h"
#include "core/text.h"

namespace hbf {
namespace {

HttpResponse CodeInvalid(const std::string& id, const std::vector<js::JsEngine::CodeProblem>& problems) {
  Json::Array errors;
  for (const auto& p : problems) {
    std::string location = id;
    if (p.line > 0) location += ":" + std::to_string(p.line) + (p.column > 0 ? ":" + std::to_string(p.column) : "");
    errors.push_back(Json::MakeObject({{"location", location},
                                       {"line", static_cast<int64_t>(p.line)},
                                       {"column", static_cast<int64_t>(p.column)},
                                       {"message", p.message}}));
  }
  const auto& first = problems.front();
  std::string first_line = first.message.substr(0, first.message.find('\n'));
  std::string message = id + " does not compile: " + first_line;
  if (first.line > 0) message += " (line " + std::to_string(first.line) + ")";
  Json error = Json::MakeObject({{"code", "code_invalid"}, {"message", message}, {"errors", Json(std::move(errors))}});
  return HttpResponse::JsonBody(400, Json::MakeObject({{"error", std::move(error)}}));
}

}  // namespace

bool App::IsGuardedCode(Henv& henv, const std::string& id) const {
  if (!js::JsEngine::IsCheckable(id)) return false;
  if (EndsWith(id, ".ejs")) return true;  // templates are server code wherever they live
  // Packages arrive whole through the package import, which has its own checks.
  if (id.rfind("modules/", 0) == 0) return false;
  return id.rfind("_system/", 0) == 0 || scripts_.IsServerCode(henv.hash(), id);
}

std::optional<HttpResponse> App::RefuseBrokenCode(const HttpRequest& request, Henv& henv, const std::string& id,
                                                  const std::string& source) {
  if (!IsGuardedCode(henv, id)) return std::nullopt;
  if (auto query = ParseUrlEncoded(request.query); query) {
    if (const Json* force = query->find("force"); force != nullptr && force->is_string() &&
                                                  (force->as_string() == "1" || force->as_string() == "true")) {
      return std::nullopt;
    }
  }
  auto problems = scripts_.CheckCode(id, source, ScriptLimitsFor(henv));
  if (!problems.ok()) return HttpResponse::FromError(problems.error());
  if (problems->empty()) return std::nullopt;
  HttpResponse r = CodeInvalid(id, *problems);
  return r;
}

HttpResponse App::CodeCheckApi(const HttpRequest& request, Henv& henv) {
  auto caller = RequireAdmin(request, henv);
  if (!caller.ok()) return HttpResponse::FromError(caller.error());
  if (request.method != "POST") return MethodNotAllowed("POST");
  auto body = ParseObjectBody(request);
  if (!body.ok()) return HttpResponse::FromError(body.error());
  auto id = RequiredString(*body, "id");
  if (!id.ok()) return HttpResponse::FromError(id.error());
  auto source = RequiredString(*body, "source");
  if (!source.ok()) return HttpResponse::FromError(source.error());
  HttpResponse r;
  if (!js::JsEngine::IsCheckable(*id)) {
    r = HttpResponse::JsonBody(200, Json::MakeObject({{"ok", true}, {"checked", false}}));
  } else {
    auto problems = scripts_.CheckCode(*id, *source, ScriptLimitsFor(henv));
    if (!problems.ok()) return HttpResponse::FromError(problems.error());
    r = problems->empty() ? HttpResponse::JsonBody(200, Json::MakeObject({{"ok", true}, {"checked", true}}))
                          : CodeInvalid(*id, *problems);
  }
  r.set_header("Cache-Control", "no-store");
  r.log.user_id = std::to_string(caller->user.id);
  return r;
}

}  // namespace hbf
