// Templates (owner/admin): list the henv's EJS documents, and render one - or
// given source - with given data, as the admin UI's preview does.
#include "app/app.h"
#include "app/request_util.h"
#include "documents/document_store.h"

namespace hbf {

HttpResponse App::Templates(const HttpRequest& request, Henv& henv, std::string_view rest) {
  auto caller = RequireAdmin(request, henv);
  if (!caller.ok()) return HttpResponse::FromError(caller.error());
  HttpResponse r;
  if (rest.empty() || rest == "/") {
    if (request.method != "GET" && request.method != "HEAD") return MethodNotAllowed("GET, HEAD");
    auto list = henv.WithDb([](db::Database& db) { return docs::ListTemplates(db); });
    if (!list.ok()) return HttpResponse::FromError(list.error());
    Json::Array items;
    for (const auto& m : *list) items.push_back(docs::MetaToJson(m));
    r = HttpResponse::JsonBody(200, Json::MakeObject({{"templates", Json(std::move(items))}}));
  } else if (rest == "/preview") {
    if (request.method != "POST") return MethodNotAllowed("POST");
    auto body = ParseObjectBody(request);
    if (!body.ok()) return HttpResponse::FromError(body.error());
    auto source = OptionalString(*body, "source");
    if (!source.ok()) return HttpResponse::FromError(source.error());
    auto id = OptionalString(*body, "id");
    if (!id.ok()) return HttpResponse::FromError(id.error());
    if (source->has_value() == id->has_value()) {
      return HttpResponse::FromError(InvalidField("source", "give exactly one of source and id"));
    }
    if (id->has_value()) {
      if (auto valid = docs::ValidateDocumentId(**id); !valid.ok()) return HttpResponse::FromError(valid.error());
    }
    Json data = Json(Json::Object{});
    if (const Json* d = body->find("data"); d != nullptr && !d->is_null()) {
      if (!d->is_object()) return HttpResponse::FromError(InvalidField("data", "must be an object"));
      data = *d;
    }
    auto result = scripts_.Render(henv, ScriptLimitsFor(henv), source->has_value() ? **source : **id,
                                  source->has_value(), data.dump());
    if (result.kind == js::ScriptResult::Kind::kResponse) {
      r = HttpResponse::JsonBody(200, Json::MakeObject({{"html", result.response.body}}));
    } else {
      // The owner asked to see this template: its error is theirs to read.
      const auto& f = result.error;
      int status = f.code == "script_error" ? 400 : f.http_status;
      r = HttpResponse::ErrorBody(status, f.code == "script_error" ? "template_error" : f.code,
                                  f.message + (f.location.empty() ? "" : " (at " + f.location + ")"));
    }
  } else {
    return HttpResponse::ErrorBody(404, "not_found", "no templates endpoint at " + std::string(rest));
  }
  r.log.user_id = std::to_string(caller->user.id);
  return r;
}

}  // namespace hbf
