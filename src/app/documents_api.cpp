// A henv's document API (owner/admin): CRUD under /_api/documents, search,
// and the document graph under /_api/graph.
#include <charconv>

#include "app/app.h"
#include "app/request_util.h"
#include "crypto/crypto.h"
#include "documents/document_store.h"
#include "documents/package_import.h"
#include "documents/package_tree.h"

namespace hbf {
namespace {

// The henv's document count bound (its max_documents setting, default
// 100,000): 507 quota_exceeded when `adding` new documents would pass it.
// `id` names the one document being written (an update adds nothing), or
// is empty for a batch. REQUIRES: inside WithDb.
Status RoomForDocuments(Henv& henv, db::Database& db, const std::string& id, int64_t adding) {
  const int64_t limit = henv.SettingInt(db, "max_documents", 100000);
  if (!id.empty()) {
    auto exists = db.QueryValue("SELECT 1 FROM documents WHERE path = ?", {id});
    if (!exists.ok()) return exists.error();
    if (exists->has_value()) return Ok{};
  }
  auto count = db.QueryValue("SELECT count(*) FROM documents");
  if (!count.ok()) return count.error();
  const int64_t have = count->has_value() ? std::get<int64_t>(**count) : 0;
  if (have + adding > limit) {
    return Error{"quota_exceeded",
                 "this henv holds " + std::to_string(have) + " documents; its limit (max_documents) is " +
                     std::to_string(limit),
                 507};
  }
  return Ok{};
}

Json QueryOf(const HttpRequest& request) {
  auto q = ParseUrlEncoded(request.query);
  return q ? *q : Json(Json::Object{});
}

std::optional<std::string> QueryString(const Json& query, const char* name) {
  const Json* v = query.find(name);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return v->as_string();
}

HttpResponse Json200(const Json& body) { return HttpResponse::JsonBody(200, body); }

// The JSON form of a write: {content, content_type?, encoding?: "utf8"|"base64"}.
Result<std::pair<std::string, std::string>> ContentFromJson(const Json& body) {
  const Json* content = body.find("content");
  if (content == nullptr || !content->is_string()) return InvalidField("content", "must be a string");
  auto type = OptionalString(body, "content_type");
  if (!type.ok()) return type.error();
  auto encoding = OptionalString(body, "encoding");
  if (!encoding.ok()) return encoding.error();
  std::string bytes = content->as_string();
  if (encoding->has_value() && **encoding == "base64") {
    auto decoded = crypto::Base64Decode(bytes);
    if (!decoded) decoded = crypto::Base64UrlDecode(bytes);
    if (!decoded) return InvalidField("content", "is not valid base64");
    bytes = std::move(*decoded);
  } else if (encoding->has_value() && **encoding != "utf8") {
    return InvalidField("encoding", "must be 'utf8' or 'base64'");
  }
  return std::make_pair(std::move(bytes), type->value_or(""));
}

}  // namespace

HttpResponse App::Documents(const HttpRequest& request, const RequestContext& ctx, Henv& henv,
                            std::string_view rest) {
  auto caller = RequireAdmin(request, henv);
  if (!caller.ok()) return HttpResponse::FromError(caller.error());
  const std::string& method = request.method;
  const Json query = QueryOf(request);
  HttpResponse r;

  if (rest.empty() || rest == "/") {
    if (method == "GET" || method == "HEAD") {
      auto limit = QueryInt(query, "limit");
      if (!limit.ok()) return HttpResponse::FromError(limit.error());
      std::string prefix = QueryString(query, "prefix").value_or("");
      auto cursor = QueryString(query, "cursor");
      auto page = henv.WithDb([&](db::Database& db) {
        return docs::ListDocuments(db, prefix, static_cast<int>(limit->value_or(100)), cursor);
      });
      if (!page.ok()) return HttpResponse::FromError(page.error());
      Json::Array items;
      for (const auto& m : page->items) items.push_back(docs::MetaToJson(m));
      r = Json200(Json::MakeObject({{"documents", Json(std::move(items))},
                                    {"next_cursor", page->next_cursor ? Json(*page->next_cursor) : Json()}}));
    } else if (method == "POST") {
      auto body = ParseObjectBody(request);
      if (!body.ok()) return HttpResponse::FromError(body.error());
      auto id = RequiredString(*body, "id");
      if (!id.ok()) return HttpResponse::FromError(id.error());
      auto content = ContentFromJson(*body);
      if (!content.ok()) return HttpResponse::FromError(content.error());
      if (auto refused = RefuseBrokenCode(request, henv, *id, content->first)) return std::move(*refused);
      auto put = henv.WithDb([&](db::Database& db) { return docs::PutDocument(db, *id, content->second, content->first); });
      if (!put.ok()) return HttpResponse::FromError(put.error());
      NoteWrite(henv);
      henv.RefreshCodeVersion();
      r = HttpResponse::JsonBody(put->created ? 201 : 200, docs::MetaToJson(put->meta));
    } else {
      return MethodNotAllowed("GET, HEAD, POST");
    }
    r.log.user_id = std::to_string(caller->user.id);
    return r;
  }

  const std::string id(rest.substr(1));
  // Search lives at /_api/documents/search?q=...; without q, "search" is an ordinary id.
  if (id == "search" && (method == "GET" || method == "HEAD") && query.find("q") != nullptr) {
    auto limit = QueryInt(query, "limit");
    if (!limit.ok()) return HttpResponse::FromError(limit.error());
    std::string q = QueryString(query, "q").value_or("");
    auto hits = henv.WithDb([&](db::Database& db) { return docs::Search(db, q, static_cast<int>(limit->value_or(20))); });
    if (!hits.ok()) return HttpResponse::FromError(hits.error());
    Json::Array results;
    for (const auto& h : *hits) {
      Json item = docs::MetaToJson(h.meta);
      item.set("score", h.score);
      item.set("snippet", h.snippet);
      results.push_back(std::move(item));
    }
    r = Json200(Json::MakeObject({{"query", q}, {"results", Json(std::move(results))}}));
    r.log.user_id = std::to_string(caller->user.id);
    return r;
  }
  if (auto valid = docs::ValidateDocumentId(id); !valid.ok()) return HttpResponse::FromError(valid.error());

  if (method == "GET" || method == "HEAD") {
    const Json* meta_flag = query.find("meta");
    if (meta_flag != nullptr && meta_flag->is_string() && meta_flag->as_string() != "0" &&
        meta_flag->as_string() != "false") {
      auto meta = henv.WithDb([&](db::Database& db) { return docs::GetMeta(db, id); });
      if (!meta.ok()) return HttpResponse::FromError(meta.error());
      if (!meta->has_value()) return HttpResponse::ErrorBody(404, "not_found", "no document " + id);
      r = Json200(docs::MetaToJson(**meta));
    } else {
      auto doc = henv.WithDb([&](db::Database& db) { return docs::GetDocument(db, id, false); });
      if (!doc.ok()) return HttpResponse::FromError(doc.error());
      if (!doc->has_value()) return HttpResponse::ErrorBody(404, "not_found", "no document " + id);
      r.status = 200;
      r.headers.emplace_back("Content-Type", (*doc)->meta.content_type);
      r.headers.emplace_back("ETag", (*doc)->meta.etag);
      r.headers.emplace_back("Cache-Control", "no-store");
      r.headers.emplace_back("X-Content-Type-Options", "nosniff");
      r.body = std::move((*doc)->content);
    }
  } else if (method == "PUT" || method == "POST") {
    std::string content_type;
    std::string bytes;
    // The document's own visibility (documents/visibility.h): PUT's
    // ?visibility=, POST's "visibility" field; absent leaves it as it is.
    std::optional<std::string> visibility = QueryString(query, "visibility");
    const std::string* type_header = request.header("content-type");
    const bool json_form = method == "POST";
    if (json_form) {
      auto body = ParseObjectBody(request);
      if (!body.ok()) return HttpResponse::FromError(body.error());
      auto field = OptionalString(*body, "visibility");
      if (!field.ok()) return HttpResponse::FromError(field.error());
      if (field->has_value()) visibility = **field;
      auto content = ContentFromJson(*body);
      if (!content.ok()) return HttpResponse::FromError(content.error());
      bytes = std::move(content->first);
      content_type = std::move(content->second);
    } else {
      bytes = request.body;
      // curl and friends label raw uploads as forms; trust the extension then.
      if (type_header != nullptr && !EqualsIgnoreCase(*type_header, "application/x-www-form-urlencoded")) {
        content_type = *type_header;
      }
    }
    if (content_type.find_first_of("\r\n") != std::string::npos || content_type.size() > 200) {
      return HttpResponse::FromError(InvalidField("content_type", "is not a valid media type"));
    }
    if (visibility && *visibility != "public" && *visibility != "private" && *visibility != "default") {
      return HttpResponse::FromError(InvalidField("visibility", "must be public, private or default"));
    }
    if (auto refused = RefuseBrokenCode(request, henv, id, bytes)) return std::move(*refused);
    auto put = henv.WithDb([&](db::Database& db) -> Result<docs::PutResult> {
      auto tx = db::Transaction::Begin(db);
      if (!tx.ok()) return tx.error();
      if (auto room = RoomForDocuments(henv, db, id, 1); !room.ok()) return room.error();
      auto written = docs::PutDocument(db, id, content_type, bytes);
      if (!written.ok()) return written.error();
      if (visibility) {
        if (auto set = docs::SetVisibility(db, id, *visibility); !set.ok()) return set.error();
        written->meta.visibility = *visibility == "default" ? "" : *visibility;
      }
      if (auto s = tx->Commit(); !s.ok()) return s.error();
      return written;
    });
    if (!put.ok()) return HttpResponse::FromError(put.error());
    NoteWrite(henv);
    henv.RefreshCodeVersion();
    Audit(henv, *caller, put->created ? "document.create" : "document.update", "document:" + id,
          Json::MakeObject({{"size", put->meta.size},
                            {"content_type", put->meta.content_type},
                            {"etag", put->meta.etag},
                            {"visibility", visibility ? Json(*visibility) : Json()}}));
    r = HttpResponse::JsonBody(put->created ? 201 : 200, docs::MetaToJson(put->meta));
    r.set_header("ETag", put->meta.etag);
  } else if (method == "PATCH") {
    // Metadata only: {"visibility": "public" | "private" | "default"}, or
    // {"rename_to": "new/id"} (the target must not exist).
    auto body = ParseObjectBody(request);
    if (!body.ok()) return HttpResponse::FromError(body.error());
    auto rename_to = OptionalString(*body, "rename_to");
    if (!rename_to.ok()) return HttpResponse::FromError(rename_to.error());
    if (rename_to->has_value()) {
      r = RenameDocument(henv, *caller, id, **rename_to);
      r.log.user_id = std::to_string(caller->user.id);
      return r;
    }
    auto visibility = RequiredString(*body, "visibility");
    if (!visibility.ok()) return HttpResponse::FromError(visibility.error());
    auto meta = henv.WithDb([&](db::Database& db) -> Result<std::optional<docs::DocumentMeta>> {
      auto set = docs::SetVisibility(db, id, *visibility);
      if (!set.ok()) return set.error();
      if (!*set) return std::optional<docs::DocumentMeta>();
      return docs::GetMeta(db, id);
    });
    if (!meta.ok()) return HttpResponse::FromError(meta.error());
    if (!meta->has_value()) return HttpResponse::ErrorBody(404, "not_found", "no document " + id);
    NoteWrite(henv);
    Audit(henv, *caller, "document.visibility", "document:" + id, Json::MakeObject({{"visibility", *visibility}}));
    r = Json200(docs::MetaToJson(**meta));
  } else if (method == "DELETE") {
    auto deleted = henv.WithDb([&](db::Database& db) { return docs::DeleteDocument(db, id); });
    if (!deleted.ok()) return HttpResponse::FromError(deleted.error());
    if (!*deleted) return HttpResponse::ErrorBody(404, "not_found", "no document " + id);
    NoteWrite(henv);
    henv.RefreshCodeVersion();
    Audit(henv, *caller, "document.delete", "document:" + id, Json(Json::Object{}));
    r = Json200(Json::MakeObject({{"deleted", id}}));
  } else {
    return MethodNotAllowed("GET, HEAD, PUT, POST, PATCH, DELETE");
  }
  (void)ctx;
  r.log.user_id = std::to_string(caller->user.id);
  return r;
}

HttpResponse App::RenameDocument(Henv& henv, const auth::AuthContext& caller, const std::string& from,
                                 const std::string& to) {
  if (auto valid = docs::ValidateDocumentId(to); !valid.ok()) {
    return HttpResponse::FromError(InvalidField("rename_to", valid.error().message));
  }
  if (to == from) return HttpResponse::FromError(InvalidField("rename_to", "is the document's own id"));
  auto moved = henv.WithDb([&](db::Database& db) -> Result<docs::PutResult> {
    auto tx = db::Transaction::Begin(db);
    if (!tx.ok()) return tx.error();
    auto doc = docs::GetDocument(db, from, false);
    if (!doc.ok()) return doc.error();
    if (!doc->has_value()) return Error::NotFound("no document " + from);
    auto existing = docs::GetMeta(db, to);
    if (!existing.ok()) return existing.error();
    if (existing->has_value()) return Error{"conflict", "a document " + to + " already exists", 409};
    auto written = docs::PutDocument(db, to, (*doc)->meta.content_type, (*doc)->content);
    if (!written.ok()) return written.error();
    if (!(*doc)->meta.visibility.empty()) {
      if (auto set = docs::SetVisibility(db, to, (*doc)->meta.visibility); !set.ok()) return set.error();
      written->meta.visibility = (*doc)->meta.visibility;
    }
    auto deleted = docs::DeleteDocument(db, from);
    if (!deleted.ok()) return deleted.error();
    if (auto s = tx->Commit(); !s.ok()) return s.error();
    return written;
  });
  if (!moved.ok()) return HttpResponse::FromError(moved.error());
  NoteWrite(henv);
  henv.RefreshCodeVersion();
  Audit(henv, caller, "document.rename", "document:" + from, Json::MakeObject({{"to", to}}));
  return Json200(docs::MetaToJson(moved->meta));
}

HttpResponse App::Modules(const HttpRequest& request, Henv& henv) {
  auto caller = RequireAdmin(request, henv);
  if (!caller.ok()) return HttpResponse::FromError(caller.error());
  HttpResponse r;
  if (request.method == "GET" || request.method == "HEAD") {
    auto list = henv.WithDb([](db::Database& db) { return docs::ListPackages(db); });
    if (!list.ok()) return HttpResponse::FromError(list.error());
    Json::Array items;
    for (const auto& p : *list) items.push_back(Json::MakeObject({{"name", p.name}, {"version", p.version}}));
    r = Json200(Json::MakeObject({{"modules", Json(std::move(items))}}));
  } else if (request.method == "POST") {
    // The body is a package (npm .tgz or plain tar), a node_modules folder
    // or a project as a tar, or a bundle of tarballs (package_tree.h).
    // ?force=1 installs despite unmet dependencies, listing them as warnings.
    const Json query = QueryOf(request);
    const auto force_arg = QueryString(query, "force");
    const bool force = force_arg && (*force_arg == "1" || *force_arg == "true");
    auto sources = docs::SourcesFromArchive(request.body, "body");
    if (!sources.ok()) return HttpResponse::FromError(sources.error());
    auto plan = docs::PlanInstall(std::move(*sources));
    if (!plan.ok()) return HttpResponse::FromError(plan.error());
    size_t adding = 0;
    for (const auto& p : plan->packages) adding += p.files.size();
    auto report = henv.WithDb([&](db::Database& db) -> Result<docs::InstallReport> {
      if (auto room = RoomForDocuments(henv, db, "", static_cast<int64_t>(adding)); !room.ok()) return room.error();
      return docs::InstallTree(db, *plan, force);
    });
    if (!report.ok()) return HttpResponse::FromError(report.error());
    Json result = docs::InstallReportToJson(*report);
    if (!report->committed) {
      std::string message = "missing dependencies (nothing was installed; ?force=1 installs anyway):";
      for (size_t i = 0; i < report->missing.size(); ++i) {
        message += (i == 0 ? " " : "; ") + report->missing[i].Describe();
      }
      const Json* missing = result.find("missing");
      r = HttpResponse::JsonBody(400, Json::MakeObject({{"error", Json::MakeObject({{"code", "missing_dependencies"},
                                                                                    {"message", message},
                                                                                    {"missing", *missing}})}}));
      r.log.user_id = std::to_string(caller->user.id);
      return r;
    }
    NoteWrite(henv);
    henv.RefreshCodeVersion();
    Audit(henv, *caller, "package.install", "modules", result);
    r = HttpResponse::JsonBody(201, result);
  } else {
    return MethodNotAllowed("GET, HEAD, POST");
  }
  r.log.user_id = std::to_string(caller->user.id);
  return r;
}

HttpResponse App::Graph(const HttpRequest& request, Henv& henv, std::string_view rest) {
  auto caller = RequireAdmin(request, henv);
  if (!caller.ok()) return HttpResponse::FromError(caller.error());
  const std::string& method = request.method;
  const Json query = QueryOf(request);
  HttpResponse r;

  if (rest == "/edges") {
    if (method != "POST" && method != "DELETE") return MethodNotAllowed("POST, DELETE");
    Json body = query;
    if (!request.body.empty()) {
      auto parsed = ParseObjectBody(request);
      if (!parsed.ok()) return HttpResponse::FromError(parsed.error());
      body = *parsed;
    }
    auto from = RequiredString(body, "from");
    if (!from.ok()) return HttpResponse::FromError(from.error());
    auto to = RequiredString(body, "to");
    if (!to.ok()) return HttpResponse::FromError(to.error());
    auto rel = RequiredString(body, "rel");
    if (!rel.ok()) return HttpResponse::FromError(rel.error());
    if (method == "POST") {
      const Json* props = body.find("props");
      auto edge = henv.WithDb(
          [&](db::Database& db) { return docs::Link(db, *from, *to, *rel, props != nullptr ? *props : Json()); });
      if (!edge.ok()) return HttpResponse::FromError(edge.error());
      NoteWrite(henv);
      r = HttpResponse::JsonBody(201, docs::EdgeToJson(*edge));
    } else {
      auto removed = henv.WithDb([&](db::Database& db) { return docs::Unlink(db, *from, *to, *rel); });
      if (!removed.ok()) return HttpResponse::FromError(removed.error());
      if (*removed == 0) return HttpResponse::ErrorBody(404, "not_found", "no such edge");
      NoteWrite(henv);
      r = Json200(Json::MakeObject({{"removed", *removed}}));
    }
  } else if (rest == "/neighbours" || rest == "/neighbors") {
    if (method != "GET" && method != "HEAD") return MethodNotAllowed("GET, HEAD");
    auto id = RequiredString(query, "id");
    if (!id.ok()) return HttpResponse::FromError(id.error());
    std::string direction_text = QueryString(query, "direction").value_or("out");
    docs::Direction direction;
    if (direction_text == "out") direction = docs::Direction::kOut;
    else if (direction_text == "in") direction = docs::Direction::kIn;
    else if (direction_text == "both") direction = docs::Direction::kBoth;
    else return HttpResponse::FromError(InvalidField("direction", "must be out, in or both"));
    auto rel = QueryString(query, "rel");
    auto edges = henv.WithDb([&](db::Database& db) { return docs::Neighbours(db, *id, rel, direction); });
    if (!edges.ok()) return HttpResponse::FromError(edges.error());
    Json::Array list;
    for (const auto& e : *edges) list.push_back(docs::EdgeToJson(e));
    r = Json200(Json::MakeObject({{"id", *id}, {"edges", Json(std::move(list))}}));
  } else if (rest == "/tags") {
    if (method != "POST") return MethodNotAllowed("POST");
    auto body = ParseObjectBody(request);
    if (!body.ok()) return HttpResponse::FromError(body.error());
    auto document = RequiredString(*body, "document");
    if (!document.ok()) return HttpResponse::FromError(document.error());
    auto tag = RequiredString(*body, "tag");
    if (!tag.ok()) return HttpResponse::FromError(tag.error());
    std::optional<int64_t> parent;
    if (const Json* p = body->find("parent_id"); p != nullptr && !p->is_null()) {
      if (!p->is_int()) return HttpResponse::FromError(InvalidField("parent_id", "must be an integer"));
      parent = p->as_int();
    }
    int64_t order = 0;
    if (const Json* o = body->find("order"); o != nullptr && !o->is_null()) {
      if (!o->is_int()) return HttpResponse::FromError(InvalidField("order", "must be an integer"));
      order = o->as_int();
    }
    const Json* metadata = body->find("metadata");
    auto added = henv.WithDb([&](db::Database& db) {
      return docs::AddTag(db, *document, *tag, parent, order, metadata != nullptr ? *metadata : Json());
    });
    if (!added.ok()) return HttpResponse::FromError(added.error());
    NoteWrite(henv);
    r = HttpResponse::JsonBody(201, docs::TagToJson(*added));
  } else if (rest.rfind("/tags/", 0) == 0) {
    std::string_view id_text = rest.substr(6);
    int64_t tag_id = 0;
    auto [end, ec] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), tag_id);
    if (ec != std::errc() || end != id_text.data() + id_text.size()) {
      return HttpResponse::ErrorBody(404, "not_found", "no such tag");
    }
    if (method == "GET" || method == "HEAD") {
      auto tree = henv.WithDb([&](db::Database& db) { return docs::TagSubtree(db, tag_id); });
      if (!tree.ok()) return HttpResponse::FromError(tree.error());
      Json::Array list;
      for (const auto& t : *tree) list.push_back(docs::TagToJson(t));
      r = Json200(Json::MakeObject({{"tags", Json(std::move(list))}}));
    } else if (method == "DELETE") {
      auto deleted = henv.WithDb([&](db::Database& db) { return docs::DeleteTag(db, tag_id); });
      if (!deleted.ok()) return HttpResponse::FromError(deleted.error());
      if (!*deleted) return HttpResponse::ErrorBody(404, "not_found", "no such tag");
      NoteWrite(henv);
      r = Json200(Json::MakeObject({{"deleted", tag_id}}));
    } else {
      return MethodNotAllowed("GET, HEAD, DELETE");
    }
  } else {
    return HttpResponse::ErrorBody(404, "not_found", "no graph endpoint at " + std::string(rest));
  }
  r.log.user_id = std::to_string(caller->user.id);
  return r;
}

}  // namespace hbf
