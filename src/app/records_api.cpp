// The records API: a henv's own tables over HTTP, under the caller's table
// permissions and row policies (auth/access_control.h).
//
//   GET    /_api/data                      the tables (owner/admin): names, columns, key
//   GET    /_api/data/{table}?filter=&sort=&fields=&limit=&cursor=
//   POST   /_api/data/{table}              {column: value, ...}
//   GET    /_api/data/{table}/{id}?fields=
//   PATCH  /_api/data/{table}/{id}         {column: value, ...}
//   DELETE /_api/data/{table}/{id}
//
// {id} is the table's single-column primary key, or its rowid. Client input
// never becomes SQL text: filters, sorts and field lists are compiled by
// record_filter.h against the table's columns, values are bound. The
// statements run under the sealed-schema rules (a ScriptScope), with the
// row policies' conditions in their WHERE clause; writes are checked
// against the policy afterwards, inside their transaction (a row may not be
// written out of the caller's reach). Denied: 403 `permission_denied`
// naming table and operation; a row hidden by a policy: 404.
#include <algorithm>
#include <cctype>

#include "app/app.h"
#include "app/record_access.h"
#include "app/record_filter.h"
#include "app/request_util.h"
#include "auth/access_control.h"
#include "crypto/crypto.h"

namespace hbf {
namespace {

using auth::Operation;

using records::Query;
using records::RowToJson;
using records::Rows;
using records::ShapeOf;
using records::TableShape;

// The id in the URL as the key's type.
db::Value KeyValue(const TableShape& shape, const std::string& id) {
  if (shape.key_is_integer) {
    if (std::optional<int64_t> n = ParseInt(id)) return *n;
  }
  return id;
}

Error Denied(const std::string& table, Operation op) {
  return Error{"permission_denied", std::string("no ") + auth::OperationName(op) + " permission on table " + table,
               403};
}

Error NoRow(const std::string& table, const std::string& id) {
  return Error{"not_found", "no record " + id + " in " + table, 404};
}

// Cursors are opaque to clients: base64url of {"k": last key} (keyset, the
// default order) or {"o": offset} (a client-chosen sort).
std::string EncodeCursor(const Json& c) { return crypto::Base64UrlEncode(c.dump()); }
Result<Json> DecodeCursor(const std::string& text) {
  auto raw = crypto::Base64UrlDecode(text);
  if (!raw) return Error{"invalid_cursor", "the cursor is not one this API gave out", 400};
  auto parsed = Json::Parse(*raw);
  if (!parsed.ok() || !parsed->is_object())
    return Error{"invalid_cursor", "the cursor is not one this API gave out", 400};
  return *parsed;
}

Result<int64_t> Run(db::Database& db, const auth::Principal& who, const Query& q) {
  db::Database::ScriptScope scope(db);
  auto stmt = db.PrepareUncached(q.sql);
  if (!stmt.ok()) return stmt.error();
  if (auto s = auth::BindWithPrincipal(*stmt, who, q.params); !s.ok()) return s.error();
  if (auto s = stmt->Run(); !s.ok()) return s.error();
  return db.Changes();
}

// The row `key` exists and meets `condition`.
Result<bool> RowMeets(db::Database& db, const auth::Principal& who, const std::string& table, const TableShape& shape,
                      const db::Value& key, const std::string& condition) {
  Query q{"SELECT 1 FROM " + db::QuoteIdentifier(table) + " WHERE " + shape.KeyExpression() + " = ? AND (" + condition +
              ")",
          {key}};
  auto rows = Rows(db, who, q);
  if (!rows.ok()) return rows.error();
  return !rows->empty();
}

// Column assignments from a JSON object body, validated against the table.
Result<std::vector<std::pair<std::string, db::Value>>> Assignments(const Json& body, const TableShape& shape) {
  std::vector<std::pair<std::string, db::Value>> out;
  for (const auto& [name, value] : body.as_object()) {
    auto it = std::find_if(shape.columns.begin(), shape.columns.end(), [&](const std::string& c) {
      return c.size() == name.size() && std::equal(c.begin(), c.end(), name.begin(), [](char a, char b) {
               return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
             });
    });
    if (it == shape.columns.end()) return InvalidField(name, "is not a column of this table");
    out.emplace_back(*it, DbValueFromJson(value));
  }
  return out;
}

}  // namespace

HttpResponse App::ListTables(const HttpRequest& request, Henv& henv) {
  // The schema is the owner's business: owners and admins only.
  auto caller = RequireAdmin(request, henv);
  if (!caller.ok()) return HttpResponse::FromError(caller.error());
  auto tables = henv.WithDb([&](db::Database& db) -> Result<Json::Array> {
    auto candidates = auth::ListGrantableTables(db, /*with_views=*/true);
    if (!candidates.ok()) return candidates.error();
    Json::Array out;
    for (const auto& name : *candidates) {
      auto shape = ShapeOf(db, name);
      if (!shape.ok()) return shape.error();
      Json::Array columns;
      for (const auto& c : shape->columns) columns.emplace_back(c);
      out.push_back(Json::MakeObject({{"name", name},
                                      {"columns", Json(std::move(columns))},
                                      {"key", shape->key_column.empty() ? Json() : Json(shape->key_column)},
                                      {"is_view", shape->is_view}}));
    }
    return out;
  });
  if (!tables.ok()) return HttpResponse::FromError(tables.error());
  HttpResponse r = HttpResponse::JsonBody(200, Json::MakeObject({{"tables", Json(std::move(*tables))}}));
  r.set_header("Cache-Control", "no-store");
  r.log.user_id = std::to_string(caller->user.id);
  return r;
}

HttpResponse App::Records(const HttpRequest& request, Henv& henv, std::string_view rest) {
  // The caller: a user (a bad token is a 401, not anonymity) or anonymous.
  auth::Principal who;
  auto credentials = auth::ExtractCredentials(request.header("authorization"), request.header("cookie"));
  if (!credentials.empty()) {
    auto caller = auth::Authenticate(henv, credentials, clocks_.unix_seconds());
    if (!caller.ok()) return HttpResponse::FromError(caller.error());
    who.user = caller->user;
  }
  if (rest.empty() || rest == "/") {
    if (request.method != "GET" && request.method != "HEAD") return MethodNotAllowed("GET, HEAD");
    return ListTables(request, henv);
  }
  rest.remove_prefix(1);
  const size_t slash = rest.find('/');
  const std::string table(rest.substr(0, slash));
  const bool one = slash != std::string_view::npos;
  const std::string id = one ? std::string(rest.substr(slash + 1)) : std::string();
  if (one && (id.empty() || id.find('/') != std::string::npos)) {
    return HttpResponse::ErrorBody(404, "not_found", "no such record path");
  }
  const std::string& method = request.method;
  Operation op = Operation::kSelect;
  if (method == "GET" || method == "HEAD") {
    op = Operation::kSelect;
  } else if (method == "POST" && !one) {
    op = Operation::kInsert;
  } else if (method == "PATCH" && one) {
    op = Operation::kUpdate;
  } else if (method == "DELETE" && one) {
    op = Operation::kDelete;
  } else {
    return MethodNotAllowed(one ? "GET, HEAD, PATCH, DELETE" : "GET, HEAD, POST");
  }
  auto query = ParseUrlEncoded(request.query);
  if (!query) return HttpResponse::ErrorBody(400, "bad_request", "malformed query string");
  auto text = [&](const char* name) {
    const Json* v = query->find(name);
    return v != nullptr && v->is_string() ? v->as_string() : std::string();
  };
  Json body;
  if (op == Operation::kInsert || op == Operation::kUpdate) {
    auto parsed = ParseObjectBody(request);
    if (!parsed.ok()) return HttpResponse::FromError(parsed.error());
    body = std::move(*parsed);
    if (!body.is_object() || body.as_object().empty()) {
      return HttpResponse::ErrorBody(400, "bad_request", "send the record's columns as a JSON object");
    }
  }

  auto answer = henv.WithDb([&](db::Database& db) -> Result<HttpResponse> {
    auto grantable = auth::IsGrantableTable(db, table);
    if (!grantable.ok()) return grantable.error();
    if (!*grantable) return Error{"not_found", "no table " + table, 404};
    auto allowed = auth::IsAllowed(db, who, table, op);
    if (!allowed.ok()) return allowed.error();
    if (!*allowed) return Denied(table, op);
    auto shape = ShapeOf(db, table);
    if (!shape.ok()) return shape.error();
    if (shape->is_view && op != Operation::kSelect) {
      return Error{"read_only", table + " is a view: records can only be read", 405};
    }
    auto condition = auth::RowCondition(db, who, table, op);
    if (!condition.ok()) return condition.error();
    const std::string from = db::QuoteIdentifier(table);
    const std::string key = shape->KeyExpression();

    if (op == Operation::kSelect) {
      auto fields = CompileFields(text("fields"), shape->columns);
      if (!fields.ok()) return fields.error();
      std::string select;
      for (const auto& f : *fields) select += (select.empty() ? "" : ", ") + db::QuoteIdentifier(f);
      if (one) {
        Query q{"SELECT " + select + " FROM " + from + " WHERE " + key + " = ? AND (" + *condition + ")",
                {KeyValue(*shape, id)}};
        auto rows = Rows(db, who, q);
        if (!rows.ok()) return rows.error();
        if (rows->empty()) return NoRow(table, id);
        return HttpResponse::JsonBody(200, rows->front());
      }
      auto filter = CompileFilter(text("filter"), shape->columns);
      if (!filter.ok()) return filter.error();
      auto sort = CompileSort(text("sort"), shape->columns);
      if (!sort.ok()) return sort.error();
      auto limit_param = QueryInt(*query, "limit");
      if (!limit_param.ok()) return limit_param.error();
      const int64_t limit = limit_param->value_or(50);
      if (limit < 1 || limit > 500) return InvalidField("limit", "must be from 1 to 500");
      Query q;
      q.sql = "SELECT " + select + ", " + key + " AS \"__hbf_key\" FROM " + from + " WHERE (" + *condition + ") AND (" +
              filter->sql + ")";
      q.params = filter->params;
      const bool keyset = sort->empty() && !shape->is_view;
      int64_t offset = 0;
      if (std::string c = text("cursor"); !c.empty()) {
        auto cursor = DecodeCursor(c);
        if (!cursor.ok()) return cursor.error();
        if (keyset) {
          const Json* k = cursor->find("k");
          if (k == nullptr || k->is_null())
            return Error{"invalid_cursor", "the cursor is not one this API gave out", 400};
          q.sql += " AND " + key + " > ?";
          q.params.push_back(DbValueFromJson(*k));
        } else {
          const Json* o = cursor->find("o");
          if (o == nullptr || !o->is_int() || o->as_int() < 0) {
            return Error{"invalid_cursor", "the cursor is not one this API gave out", 400};
          }
          offset = o->as_int();
        }
      }
      q.sql += " ORDER BY " + (keyset ? key : (sort->empty() ? std::string("1") : *sort)) + " LIMIT ? OFFSET ?";
      q.params.emplace_back(limit + 1);
      q.params.emplace_back(offset);
      auto rows = Rows(db, who, q);
      if (!rows.ok()) return rows.error();
      Json next;
      if (static_cast<int64_t>(rows->size()) > limit) {
        rows->resize(static_cast<size_t>(limit));
        next = EncodeCursor(keyset ? Json::MakeObject({{"k", *rows->back().find("__hbf_key")}})
                                   : Json::MakeObject({{"o", offset + limit}}));
      }
      Json::Array items;
      for (auto& r : *rows) {
        Json::Object cleaned;
        for (auto& [k, v] : r.as_object()) {
          if (k != "__hbf_key") cleaned.emplace_back(k, std::move(v));
        }
        items.emplace_back(std::move(cleaned));
      }
      return HttpResponse::JsonBody(200, Json::MakeObject({{"items", Json(std::move(items))}, {"next_cursor", next}}));
    }

    auto tx = db::Transaction::Begin(db);
    if (!tx.ok()) return tx.error();
    if (op == Operation::kInsert) {
      auto assignments = Assignments(body, *shape);
      if (!assignments.ok()) return assignments.error();
      Query q{"INSERT INTO " + from + " (", {}};
      std::string values;
      for (const auto& [column, value] : *assignments) {
        q.sql += (q.params.empty() ? "" : ", ") + db::QuoteIdentifier(column);
        values += q.params.empty() ? "?" : ", ?";
        q.params.push_back(value);
      }
      q.sql += ") VALUES (" + values + ")";
      auto inserted = Run(db, who, q);
      if (!inserted.ok()) return inserted.error();
      const int64_t rowid = db.LastInsertRowId();
      // WITH CHECK: the new row must be one the caller may insert.
      Query check{"SELECT " + key + " FROM " + from + " WHERE rowid = ? AND (" + *condition + ")", {rowid}};
      auto inside = Rows(db, who, check);
      if (!inside.ok()) return inside.error();
      if (inside->empty()) {
        return Error{"permission_denied", "the new record is outside your insert policy on table " + table, 403};
      }
      Json new_key = inside->front().as_object().front().second;
      if (auto s = tx->Commit(); !s.ok()) return s.error();
      // The record as the caller may see it (only the key when it may not).
      auto read = auth::RowCondition(db, who, table, Operation::kSelect);
      auto may_read = auth::IsAllowed(db, who, table, Operation::kSelect);
      if (read.ok() && may_read.ok() && *may_read) {
        auto rows = Rows(db, who, {"SELECT * FROM " + from + " WHERE rowid = ? AND (" + *read + ")", {rowid}});
        if (rows.ok() && !rows->empty()) return HttpResponse::JsonBody(201, rows->front());
      }
      return HttpResponse::JsonBody(201, Json::MakeObject({{"id", new_key}}));
    }

    const db::Value key_value = KeyValue(*shape, id);
    auto visible = [&]() -> Result<bool> {
      auto read = auth::RowCondition(db, who, table, Operation::kSelect);
      if (!read.ok()) return read.error();
      auto may_read = auth::IsAllowed(db, who, table, Operation::kSelect);
      if (!may_read.ok()) return may_read.error();
      if (!*may_read) return false;
      return RowMeets(db, who, table, *shape, key_value, *read);
    };
    // An update or delete that touched no row: 403 when the caller can see
    // the record (its policy for `what` excludes it), else 404.
    auto nothing_changed = [&](const char* what) -> Result<HttpResponse> {
      auto seen = visible();
      if (!seen.ok()) return seen.error();
      if (*seen) {
        return Error{"permission_denied",
                     std::string("your ") + what + " policy on table " + table + " excludes this record", 403};
      }
      return NoRow(table, id);
    };
    if (op == Operation::kUpdate) {
      auto assignments = Assignments(body, *shape);
      if (!assignments.ok()) return assignments.error();
      Query q{"UPDATE " + from + " SET ", {}};
      for (const auto& [column, value] : *assignments) {
        if (!shape->key_column.empty() && column == shape->key_column) {
          return InvalidField(column, "is the record's key and cannot be changed");
        }
        q.sql += (q.params.empty() ? "" : ", ") + db::QuoteIdentifier(column) + " = ?";
        q.params.push_back(value);
      }
      q.sql += " WHERE " + key + " = ? AND (" + *condition + ")";
      q.params.push_back(key_value);
      auto changed = Run(db, who, q);
      if (!changed.ok()) return changed.error();
      if (*changed == 0) return nothing_changed("update");
      // WITH CHECK: the record may not be moved out of the caller's reach.
      auto still = RowMeets(db, who, table, *shape, key_value, *condition);
      if (!still.ok()) return still.error();
      if (!*still) {
        return Error{"permission_denied",
                     "the change would move the record outside your update policy on table " + table, 403};
      }
      if (auto s = tx->Commit(); !s.ok()) return s.error();
      auto rows = Rows(db, who, {"SELECT * FROM " + from + " WHERE " + key + " = ?", {key_value}});
      if (!rows.ok() || rows->empty()) return HttpResponse::JsonBody(200, Json::MakeObject({{"updated", true}}));
      auto seen = visible();
      if (seen.ok() && *seen) return HttpResponse::JsonBody(200, rows->front());
      return HttpResponse::JsonBody(200, Json::MakeObject({{"updated", true}}));
    }
    // Delete.
    Query q{"DELETE FROM " + from + " WHERE " + key + " = ? AND (" + *condition + ")", {key_value}};
    auto removed = Run(db, who, q);
    if (!removed.ok()) return removed.error();
    if (*removed == 0) return nothing_changed("delete");
    if (auto s = tx->Commit(); !s.ok()) return s.error();
    return HttpResponse::JsonBody(200, Json::MakeObject({{"deleted", id}}));
  });
  if (!answer.ok()) return HttpResponse::FromError(answer.error());
  if (op != Operation::kSelect) NoteWrite(henv);
  HttpResponse r = std::move(*answer);
  r.set_header("Cache-Control", "no-store");
  if (who.user) r.log.user_id = std::to_string(who.user->id);
  return r;
}

}  // namespace hbf
