// The admin's SQL console: POST /_api/sql {sql, params?, allow_writes?}.
//
// One statement, run for an owner or admin on the henv's API connection
// inside a ScriptScope: the sealed-schema rules a script has (sql_guard.h)
// apply, so the console cannot read or write HBF's own tables either. A
// statement that writes is refused unless `allow_writes` is true (the
// console's "allow writes" box). Bounded: the henv's script time limit, at
// most kMaxRows rows and kMaxBytes of values (then "truncated": true).
#include <chrono>

#include "app/app.h"
#include "app/request_util.h"

namespace hbf {
namespace {

constexpr int kMaxRows = 1000;
constexpr size_t kMaxBytes = 8u << 20;
constexpr size_t kMaxSqlBytes = 100u << 10;

size_t ValueBytes(const db::Value& v) {
  if (std::holds_alternative<std::string>(v)) return std::get<std::string>(v).size();
  if (std::holds_alternative<db::Blob>(v)) return std::get<db::Blob>(v).size() * 4 / 3;
  return 8;
}

}  // namespace

HttpResponse App::SqlConsole(const HttpRequest& request, Henv& henv) {
  auto caller = RequireAdmin(request, henv);
  if (!caller.ok()) return HttpResponse::FromError(caller.error());
  if (request.method != "POST") return MethodNotAllowed("POST");
  auto body = ParseObjectBody(request);
  if (!body.ok()) return HttpResponse::FromError(body.error());
  auto sql = RequiredString(*body, "sql");
  if (!sql.ok()) return HttpResponse::FromError(sql.error());
  if (sql->size() > kMaxSqlBytes) return HttpResponse::FromError(InvalidField("sql", "is longer than 100 KiB"));
  std::vector<db::Value> params;
  if (const Json* p = body->find("params"); p != nullptr && !p->is_null()) {
    if (!p->is_array()) return HttpResponse::FromError(InvalidField("params", "must be an array"));
    for (const Json& v : p->as_array()) params.push_back(DbValueFromJson(v));
  }
  bool allow_writes = false;
  if (const Json* w = body->find("allow_writes"); w != nullptr && !w->is_null()) {
    if (!w->is_bool()) return HttpResponse::FromError(InvalidField("allow_writes", "must be true or false"));
    allow_writes = w->as_bool();
  }
  const js::ScriptLimits limits = ScriptLimitsFor(henv);

  bool wrote = false;
  auto result = henv.WithDb([&](db::Database& db) -> Result<Json> {
    db::Database::ScriptScope scope(db);
    db.SetDeadline(std::chrono::steady_clock::now() + std::chrono::milliseconds(limits.timeout_ms));
    struct ClearOnExit {
      db::Database& db;
      ~ClearOnExit() { db.ClearDeadline(); }
    } clear{db};
    auto stmt = db.PrepareUncached(*sql);
    if (!stmt.ok()) {
      Error e = stmt.error();
      if (e.http_status >= 500 && e.code != "quota_exceeded") e.http_status = 400;
      if (e.code != "quota_exceeded") e.code = "sql_error";
      return e;
    }
    if (!stmt->ReadOnly() && !allow_writes) {
      return Error{"read_only", "this statement writes; tick \"allow writes\" (allow_writes: true) to run it", 400};
    }
    if (static_cast<size_t>(stmt->ParameterCount()) != params.size()) {
      return InvalidField("params", "the statement takes " + std::to_string(stmt->ParameterCount()) +
                                        " parameters; " + std::to_string(params.size()) + " given");
    }
    stmt->BindAll(params);
    const int64_t changes_before = db.TotalChanges();
    Json::Array rows;
    size_t bytes = 0;
    bool truncated = false;
    for (;;) {
      auto row = stmt->Step();
      if (!row.ok()) {
        Error e = row.error();
        if (e.code != "quota_exceeded" && e.code != "timeout") {
          e.code = "sql_error";
          e.http_status = 400;
        }
        return e;
      }
      if (!*row) break;
      if (static_cast<int>(rows.size()) >= kMaxRows || bytes > kMaxBytes) {
        truncated = true;
        break;
      }
      Json::Array cells;
      for (int c = 0; c < stmt->ColumnCount(); ++c) {
        db::Value v = stmt->Column(c);
        bytes += ValueBytes(v);
        cells.push_back(DbValueToJson(v));
      }
      rows.emplace_back(std::move(cells));
    }
    Json::Array columns;
    for (int c = 0; c < stmt->ColumnCount(); ++c) columns.emplace_back(stmt->ColumnName(c));
    const int64_t changes = db.TotalChanges() - changes_before;
    wrote = changes > 0 || !stmt->ReadOnly();
    return Json::MakeObject({{"columns", Json(std::move(columns))},
                             {"rows", Json(std::move(rows))},
                             {"truncated", truncated},
                             {"changes", changes}});
  });
  if (!result.ok()) return HttpResponse::FromError(result.error());
  if (wrote) {
    NoteWrite(henv);
    henv.RefreshCodeVersion();  // a write may have touched documents under _system/
    Audit(henv, *caller, "sql.write", "sql", Json::MakeObject({{"sql", sql->substr(0, 1000)}}));
  }
  HttpResponse r = HttpResponse::JsonBody(200, *result);
  r.set_header("Cache-Control", "no-store");
  r.log.user_id = std::to_string(caller->user.id);
  return r;
}

}  // namespace hbf
