// Owner/admin APIs for a henv's settings and its audit log:
//   GET /_api/config, PATCH /_api/config {key: value | null}
//   GET /_api/audit?limit=&before=
// Scripts cannot write _hbf_config (it is sealed, db/sql_guard.h), so this
// is where settings change; every change is audited.
#include <algorithm>
#include <cctype>
#include <charconv>

#include "app/app.h"
#include "app/http_policy.h"
#include "app/request_util.h"
#include "auth/access_control.h"
#include "auth/audit_log.h"
#include "auth/auth_store.h"

namespace hbf {
namespace {

// Settings an owner or admin may change, with the integer range of the
// numeric ones. Limits set here only lower the server's flags (the henv's
// rate limit is its own, on top of the per-address one). The text settings
// of http_policy.h are checked by HttpSettingProblem.
struct SettingRule {
  const char* key;
  bool numeric;
  int64_t min;
  int64_t max;
};
constexpr SettingRule kSettings[] = {
    {"qjs_mem_mb", true, 1, 65536},
    {"qjs_timeout_ms", true, 1, 3600000},
    {"session_lifetime_hours", true, 1, 24 * 365},
    {"max_upload_size_mb", true, -1, 4096},
    {"max_storage_mb", true, 1, 16777216},
    {"max_documents", true, 1, 100000000},
    {"enable_audit_log", false, 0, 0},
    {"self_signup", false, 0, 0},
    {"public_paths", false, 0, 0},
    {"private_paths", false, 0, 0},
    {"rate_limit_rps", true, 1, 1000000},
    {"rate_limit_burst", true, 1, 10000000},
    {"security_headers", false, 0, 0},
    {"cors_origins", false, 0, 0},
    {"cors_methods", false, 0, 0},
    {"cors_headers", false, 0, 0},
    {"cors_credentials", false, 0, 0},
    {"cors_max_age", true, 0, 86400},
};

// "qjs_mem_mb, ..., env.NAME": what an unknown key is told.
std::string SettingNames() {
  std::string out;
  for (const auto& r : kSettings) out += std::string(r.key) + ", ";
  return out + "env.NAME";
}

constexpr size_t kMaxValueBytes = 4096;

const SettingRule* RuleFor(std::string_view key) {
  for (const auto& r : kSettings) {
    if (key == r.key) return &r;
  }
  return nullptr;
}

// env.NAME, NAME a shell-style identifier: what process.env shows.
bool IsEnvKey(std::string_view key) {
  if (key.size() <= 4 || key.size() > 132 || key.substr(0, 4) != "env.") return false;
  std::string_view name = key.substr(4);
  if (std::isdigit(static_cast<unsigned char>(name.front()))) return false;
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  }
  return true;
}

// 400 naming the key when the patch would leave cors_origins "*" with
// cors_credentials true.
std::optional<HttpResponse> CorsPairRefusal(
    Henv& henv, const std::vector<std::pair<std::string, std::optional<std::string>>>& changes) {
  const std::pair<std::string, std::optional<std::string>>* origins_change = nullptr;
  const std::pair<std::string, std::optional<std::string>>* credentials_change = nullptr;
  for (const auto& change : changes) {
    if (change.first == "cors_origins") origins_change = &change;
    if (change.first == "cors_credentials") credentials_change = &change;
  }
  if (origins_change == nullptr && credentials_change == nullptr) return std::nullopt;
  auto stored = henv.WithDb([&](db::Database& db) {
    return std::make_pair(henv.Setting(db, "cors_origins"), henv.Setting(db, "cors_credentials"));
  });
  std::optional<std::string> origins = origins_change != nullptr ? origins_change->second : stored.first;
  std::optional<std::string> credentials = credentials_change != nullptr ? credentials_change->second : stored.second;
  auto trimmed = [](const std::string& v) {
    size_t b = v.find_first_not_of(" \t");
    return b == std::string::npos ? std::string() : v.substr(b, v.find_last_not_of(" \t") - b + 1);
  };
  if (!origins || trimmed(*origins) != "*" || credentials != std::optional<std::string>("true")) return std::nullopt;
  if (origins_change != nullptr) {
    return HttpResponse::FromError(
        InvalidField("cors_origins", "cannot be \"*\" while cors_credentials is true (list the origins instead)"));
  }
  return HttpResponse::FromError(
      InvalidField("cors_credentials", "cannot be true while cors_origins is \"*\" (list the origins instead)"));
}

}  // namespace

void App::Audit(Henv& henv, const auth::AuthContext& actor, std::string_view action, std::string_view target,
                const Json& details) const {
  auto s = henv.WithDb([&](db::Database& db) {
    return auth::RecordAudit(db, actor.user.id, actor.user.username, action, target, details);
  });
  if (!s.ok()) Log(LogLevel::kError, "cannot write the audit log: " + s.error().message, henv.hash());
}

HttpResponse App::ConfigApi(const HttpRequest& request, Henv& henv) {
  auto caller = RequireAdmin(request, henv);
  if (!caller.ok()) return HttpResponse::FromError(caller.error());
  auto read_all = [&]() -> Result<Json> {
    return henv.WithDb([&](db::Database& db) -> Result<Json> {
      auto stmt = db.Prepare("SELECT key, value FROM _hbf_config ORDER BY key");
      if (!stmt.ok()) return stmt.error();
      Json out = Json(Json::Object{});
      for (;;) {
        auto row = stmt->Step();
        if (!row.ok()) return row.error();
        if (!*row) break;
        out.set(stmt->Text(0), stmt->Text(1));
      }
      return out;
    });
  };
  HttpResponse r;
  if (request.method == "GET" || request.method == "HEAD") {
    auto all = read_all();
    if (!all.ok()) return HttpResponse::FromError(all.error());
    r = HttpResponse::JsonBody(200, Json::MakeObject({{"config", *all}}));
  } else if (request.method == "PATCH") {
    auto body = ParseObjectBody(request);
    if (!body.ok()) return HttpResponse::FromError(body.error());
    // Validate everything before writing anything.
    std::vector<std::pair<std::string, std::optional<std::string>>> changes;
    for (const auto& [key, value] : body->as_object()) {
      const SettingRule* rule = RuleFor(key);
      if (rule == nullptr && !IsEnvKey(key)) {
        return HttpResponse::FromError(InvalidField(key, "is not a setting (" + SettingNames() + ")"));
      }
      std::optional<std::string> text;
      if (value.is_string()) {
        text = value.as_string();
      } else if (value.is_int()) {
        text = std::to_string(value.as_int());
      } else if (value.is_bool()) {
        text = value.as_bool() ? "true" : "false";
      } else if (!value.is_null()) {
        return HttpResponse::FromError(InvalidField(key, "must be a string, a number, a boolean or null"));
      }
      if (text && text->size() > kMaxValueBytes) return HttpResponse::FromError(InvalidField(key, "is too long"));
      if (rule != nullptr && rule->numeric && text) {
        auto n = ParseInt(*text);
        // Script limits and storage may only lower what the operator allows
        // (the flags are the ceiling): say so instead of silently clamping.
        int64_t max = rule->max;
        const std::string_view k = rule->key;
        if (k == "qjs_mem_mb") max = std::min<int64_t>(max, config_.qjs_mem_mb);
        if (k == "qjs_timeout_ms") max = std::min<int64_t>(max, config_.qjs_timeout_ms);
        if (k == "max_storage_mb" && config_.henv_max_storage_mb > 0) max = std::min<int64_t>(max, config_.henv_max_storage_mb);
        if (!n || *n < rule->min || *n > max) {
          return HttpResponse::FromError(InvalidField(
              key, "must be an integer from " + std::to_string(rule->min) + " to " + std::to_string(max) +
                       (max < rule->max ? " (this server's limit)" : "")));
        }
      }
      if (rule != nullptr &&
          (std::string_view(rule->key) == "enable_audit_log" || std::string_view(rule->key) == "self_signup") && text &&
          *text != "true" && *text != "false") {
        return HttpResponse::FromError(InvalidField(key, "must be true or false"));
      }
      if (rule != nullptr && text && IsHttpTextSetting(rule->key)) {
        if (std::optional<std::string> problem = HttpSettingProblem(rule->key, *text)) {
          return HttpResponse::FromError(InvalidField(key, *problem));
        }
      }
      changes.emplace_back(key, std::move(text));
    }
    // Browsers refuse credentials with "Access-Control-Allow-Origin: *", so
    // the pair is refused here, judged on the config as it would become.
    if (std::optional<HttpResponse> refused = CorsPairRefusal(henv, changes)) return std::move(*refused);
    auto written = henv.WithDb([&](db::Database& db) -> Status {
      auto tx = db::Transaction::Begin(db);
      if (!tx.ok()) return tx.error();
      // Audited first, in the same transaction: switching the log off is
      // itself recorded.
      Json details = Json(Json::Object{});
      for (const auto& [key, text] : changes) {
        // env.* values may be secrets (API keys): the log names the key only.
        details.set(key, !text ? Json() : IsEnvKey(key) ? Json("<set>") : Json(*text));
      }
      if (auto s = auth::RecordAudit(db, caller->user.id, caller->user.username, "config.update", "config", details);
          !s.ok()) {
        return s;
      }
      for (const auto& [key, text] : changes) {
        if (text) {
          if (auto s = auth::SetConfig(db, key, *text); !s.ok()) return s;
        } else {
          auto del = db.Prepare("DELETE FROM _hbf_config WHERE key = ?");
          if (!del.ok()) return del.error();
          del->Bind(1, key);
          if (auto s = del->Run(); !s.ok()) return s;
        }
      }
      if (auto s = tx->Commit(); !s.ok()) return s;
      // The next request sees the new settings (rate limit, CORS, headers,
      // script limits), not one up to kForeignCommitCheckInterval later.
      henv.InvalidateSettings();
      return Ok{};
    });
    if (!written.ok()) return HttpResponse::FromError(written.error());
    NoteWrite(henv);
    auto all = read_all();
    if (!all.ok()) return HttpResponse::FromError(all.error());
    r = HttpResponse::JsonBody(200, Json::MakeObject({{"config", *all}}));
  } else {
    return MethodNotAllowed("GET, HEAD, PATCH");
  }
  r.set_header("Cache-Control", "no-store");
  r.log.user_id = std::to_string(caller->user.id);
  return r;
}

HttpResponse App::AuditApi(const HttpRequest& request, Henv& henv) {
  auto caller = RequireAdmin(request, henv);
  if (!caller.ok()) return HttpResponse::FromError(caller.error());
  if (request.method != "GET" && request.method != "HEAD") return MethodNotAllowed("GET, HEAD");
  auto query = ParseUrlEncoded(request.query);
  if (!query) return HttpResponse::ErrorBody(400, "bad_request", "malformed query string");
  auto limit = QueryInt(*query, "limit");
  if (!limit.ok()) return HttpResponse::FromError(limit.error());
  auto before = QueryInt(*query, "before");
  if (!before.ok()) return HttpResponse::FromError(before.error());
  if (limit->has_value() && (**limit < 1 || **limit > 500)) {
    return HttpResponse::FromError(InvalidField("limit", "must be from 1 to 500"));
  }
  const int n = static_cast<int>(limit->value_or(50));
  auto entries = henv.WithDb([&](db::Database& db) { return auth::ListAudit(db, *before, n); });
  if (!entries.ok()) return HttpResponse::FromError(entries.error());
  Json::Array items;
  for (const auto& e : *entries) items.push_back(auth::AuditEntryToJson(e));
  Json body = Json::MakeObject({{"entries", Json(std::move(items))}});
  // The next page: entries older than the last one shown.
  body.set("next_before", entries->size() == static_cast<size_t>(n) ? Json(entries->back().id) : Json());
  HttpResponse r = HttpResponse::JsonBody(200, body);
  r.set_header("Cache-Control", "no-store");
  r.log.user_id = std::to_string(caller->user.id);
  return r;
}

HttpResponse App::PermissionsApi(const HttpRequest& request, Henv& henv) {
  auto caller = RequireAdmin(request, henv);
  if (!caller.ok()) return HttpResponse::FromError(caller.error());
  auto query = ParseUrlEncoded(request.query);
  if (!query) return HttpResponse::ErrorBody(400, "bad_request", "malformed query string");
  auto user_filter = QueryInt(*query, "user_id");
  if (!user_filter.ok()) return HttpResponse::FromError(user_filter.error());
  HttpResponse r;
  if (request.method == "GET" || request.method == "HEAD") {
    auto grants = henv.WithDb([&](db::Database& db) { return auth::ListGrants(db, *user_filter); });
    if (!grants.ok()) return HttpResponse::FromError(grants.error());
    Json::Array items;
    for (const auto& g : *grants) items.push_back(auth::GrantToJson(g));
    r = HttpResponse::JsonBody(200, Json::MakeObject({{"permissions", Json(std::move(items))}}));
  } else if (request.method == "POST" || request.method == "DELETE") {
    // POST: the grant in the body; DELETE: whose and which table, in the
    // body or the query.
    Json body = *query;
    if (!request.body.empty() || request.method == "POST") {
      auto parsed = ParseObjectBody(request);
      if (!parsed.ok()) return HttpResponse::FromError(parsed.error());
      body = std::move(*parsed);
    }
    auth::TableGrant grant;
    if (const Json* u = body.find("user_id"); u != nullptr && !u->is_null()) {
      if (u->is_int()) {
        grant.user_id = u->as_int();
      } else if (u->is_string() && ParseInt(u->as_string())) {
        grant.user_id = *ParseInt(u->as_string());
      } else {
        return HttpResponse::FromError(InvalidField("user_id", "must be a user's id"));
      }
    }
    auto role = OptionalString(body, "role");
    if (!role.ok()) return HttpResponse::FromError(role.error());
    if (grant.user_id.has_value() == role->has_value()) {
      return HttpResponse::FromError(InvalidField("user_id", "give exactly one of user_id and role"));
    }
    grant.role = role->value_or("");
    auto table = RequiredString(body, "table");
    if (!table.ok()) return HttpResponse::FromError(table.error());
    grant.table = *table;
    if (request.method == "POST") {
      for (auto [field, flag] : {std::pair{"select", &grant.can_select}, std::pair{"insert", &grant.can_insert},
                                 std::pair{"update", &grant.can_update}, std::pair{"delete", &grant.can_delete}}) {
        const Json* v = body.find(field);
        if (v != nullptr && !v->is_null() && !v->is_bool()) {
          return HttpResponse::FromError(InvalidField(field, "must be true or false"));
        }
        *flag = v != nullptr && v->is_bool() && v->as_bool();
      }
      auto saved = henv.WithDb([&](db::Database& db) -> Result<auth::TableGrant> {
        auto tx = db::Transaction::Begin(db);
        if (!tx.ok()) return tx.error();
        auto g = auth::PutGrant(db, grant);
        if (!g.ok()) return g;
        if (auto s = auth::RecordAudit(db, caller->user.id, caller->user.username, "permission.grant",
                                       "table:" + grant.table, auth::GrantToJson(*g));
            !s.ok()) {
          return s.error();
        }
        if (auto s = tx->Commit(); !s.ok()) return s.error();
        return g;
      });
      if (!saved.ok()) return HttpResponse::FromError(saved.error());
      r = HttpResponse::JsonBody(200, auth::GrantToJson(*saved));
    } else {
      auto removed = henv.WithDb([&](db::Database& db) -> Result<bool> {
        auto tx = db::Transaction::Begin(db);
        if (!tx.ok()) return tx.error();
        auto gone = auth::DeleteGrant(db, grant.user_id, grant.role, grant.table);
        if (!gone.ok() || !*gone) return gone;
        Json who =
            grant.user_id ? Json::MakeObject({{"user_id", *grant.user_id}}) : Json::MakeObject({{"role", grant.role}});
        if (auto s = auth::RecordAudit(db, caller->user.id, caller->user.username, "permission.revoke",
                                       "table:" + grant.table, who);
            !s.ok()) {
          return s.error();
        }
        if (auto s = tx->Commit(); !s.ok()) return s.error();
        return true;
      });
      if (!removed.ok()) return HttpResponse::FromError(removed.error());
      if (!*removed) return HttpResponse::ErrorBody(404, "not_found", "no such grant");
      r = HttpResponse::JsonBody(200, Json::MakeObject({{"deleted", true}}));
    }
    NoteWrite(henv);
  } else {
    return MethodNotAllowed("GET, HEAD, POST, DELETE");
  }
  r.set_header("Cache-Control", "no-store");
  r.log.user_id = std::to_string(caller->user.id);
  return r;
}

HttpResponse App::PoliciesApi(const HttpRequest& request, Henv& henv, std::string_view rest) {
  auto caller = RequireAdmin(request, henv);
  if (!caller.ok()) return HttpResponse::FromError(caller.error());
  std::optional<int64_t> id;
  if (!rest.empty() && rest != "/") {
    auto parsed = ParseInt(rest.substr(1));
    if (!parsed || *parsed <= 0) return HttpResponse::ErrorBody(404, "not_found", "no such policy");
    id = *parsed;
  }
  const std::string& method = request.method;
  HttpResponse r;
  auto audited = [&](db::Database& db, const char* action, const Json& details, int64_t policy_id) -> Status {
    return auth::RecordAudit(db, caller->user.id, caller->user.username, action, "policy:" + std::to_string(policy_id),
                             details);
  };
  if ((method == "GET" || method == "HEAD") && !id) {
    auto query = ParseUrlEncoded(request.query);
    if (!query) return HttpResponse::ErrorBody(400, "bad_request", "malformed query string");
    std::optional<std::string> table;
    if (const Json* t = query->find("table"); t != nullptr && t->is_string()) table = t->as_string();
    auto list = henv.WithDb([&](db::Database& db) { return auth::ListPolicies(db, table); });
    if (!list.ok()) return HttpResponse::FromError(list.error());
    Json::Array items;
    for (const auto& p : *list) items.push_back(auth::PolicyToJson(p));
    r = HttpResponse::JsonBody(200, Json::MakeObject({{"policies", Json(std::move(items))}}));
  } else if (method == "GET" || method == "HEAD") {
    auto found = henv.WithDb([&](db::Database& db) { return auth::FindPolicy(db, *id); });
    if (!found.ok()) return HttpResponse::FromError(found.error());
    if (!found->has_value()) return HttpResponse::ErrorBody(404, "not_found", "no such policy");
    r = HttpResponse::JsonBody(200, auth::PolicyToJson(**found));
  } else if ((method == "POST" && !id) || (method == "PUT" && id)) {
    auto body = ParseObjectBody(request);
    if (!body.ok()) return HttpResponse::FromError(body.error());
    auth::RowPolicy policy;
    policy.id = id.value_or(0);
    for (auto [field, target] :
         {std::pair{"table", &policy.table}, std::pair{"name", &policy.name}, std::pair{"role", &policy.role},
          std::pair{"operation", &policy.operation}, std::pair{"condition", &policy.condition}}) {
      auto v = RequiredString(*body, field);
      if (!v.ok()) return HttpResponse::FromError(v.error());
      *target = *v;
    }
    if (const Json* enabled = body->find("enabled"); enabled != nullptr && !enabled->is_null()) {
      if (!enabled->is_bool()) return HttpResponse::FromError(InvalidField("enabled", "must be true or false"));
      policy.enabled = enabled->as_bool();
    }
    auto saved = henv.WithDb([&](db::Database& db) -> Result<auth::RowPolicy> {
      auto tx = db::Transaction::Begin(db);
      if (!tx.ok()) return tx.error();
      auto p = auth::SavePolicy(db, policy);
      if (!p.ok()) return p;
      if (auto s = audited(db, id ? "policy.update" : "policy.create", auth::PolicyToJson(*p), p->id); !s.ok()) {
        return s.error();
      }
      if (auto s = tx->Commit(); !s.ok()) return s.error();
      return p;
    });
    if (!saved.ok()) return HttpResponse::FromError(saved.error());
    NoteWrite(henv);
    r = HttpResponse::JsonBody(id ? 200 : 201, auth::PolicyToJson(*saved));
  } else if (method == "DELETE" && id) {
    auto removed = henv.WithDb([&](db::Database& db) -> Result<bool> {
      auto tx = db::Transaction::Begin(db);
      if (!tx.ok()) return tx.error();
      auto gone = auth::DeletePolicy(db, *id);
      if (!gone.ok() || !*gone) return gone;
      if (auto s = audited(db, "policy.delete", Json(Json::Object{}), *id); !s.ok()) return s.error();
      if (auto s = tx->Commit(); !s.ok()) return s.error();
      return true;
    });
    if (!removed.ok()) return HttpResponse::FromError(removed.error());
    if (!*removed) return HttpResponse::ErrorBody(404, "not_found", "no such policy");
    NoteWrite(henv);
    r = HttpResponse::JsonBody(200, Json::MakeObject({{"deleted", *id}}));
  } else {
    return MethodNotAllowed(id ? "GET, HEAD, PUT, DELETE" : "GET, HEAD, POST");
  }
  r.set_header("Cache-Control", "no-store");
  r.log.user_id = std::to_string(caller->user.id);
  return r;
}

}  // namespace hbf
