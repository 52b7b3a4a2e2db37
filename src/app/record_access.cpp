#include "app/record_access.h"

#include <cctype>

#include "app/request_util.h"

namespace hbf::records {

Result<TableShape> ShapeOf(db::Database& db, const std::string& table) {
  TableShape shape;
  auto kind = db.QueryValue("SELECT type FROM sqlite_master WHERE name = ? AND type IN ('table', 'view')", {table});
  if (!kind.ok()) return kind.error();
  shape.is_view = kind->has_value() && std::get<std::string>(**kind) == "view";
  auto info = db.PrepareUncached("SELECT name, type, pk FROM pragma_table_info(?) ORDER BY cid");
  if (!info.ok()) return info.error();
  info->Bind(1, table);
  int pk_columns = 0;
  std::string pk_name;
  std::string pk_type;
  for (;;) {
    auto row = info->Step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    shape.columns.push_back(info->Text(0));
    if (info->Int(2) > 0) {
      ++pk_columns;
      pk_name = info->Text(0);
      pk_type = info->Text(1);
    }
  }
  if (pk_columns == 1) {
    shape.key_column = pk_name;
    std::string upper;
    for (char c : pk_type) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    shape.key_is_integer = upper == "INTEGER";
  }
  return shape;
}

Json RowToJson(const db::Statement& s) {
  Json row = Json(Json::Object{});
  for (int c = 0; c < s.ColumnCount(); ++c) row.set(s.ColumnName(c), DbValueToJson(s.Column(c)));
  return row;
}

// Runs `q` under the caller's rights and returns its rows.
Result<std::vector<Json>> Rows(db::Database& db, const auth::Principal& who, const Query& q) {
  db::Database::ScriptScope scope(db);
  auto stmt = db.PrepareUncached(q.sql);
  if (!stmt.ok()) return stmt.error();
  if (auto s = auth::BindWithPrincipal(*stmt, who, q.params); !s.ok()) return s.error();
  std::vector<Json> rows;
  for (;;) {
    auto row = stmt->Step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    rows.push_back(RowToJson(*stmt));
  }
  return rows;
}

}  // namespace hbf::records
