// Reading a henv's own tables under a caller's rights: the records API
// (records_api.cpp) and the realtime API's re-reads (realtime.cpp) share it.
//
// Thread safety: functions take the Database of the caller (Henv::WithDb).
#pragma once

#include <string>
#include <vector>

#include "auth/access_control.h"
#include "core/json.h"
#include "core/result.h"
#include "db/database.h"

namespace hbf::records {

// A table's columns (in order) and how its rows are named: its
// single-column primary key, or the rowid.
struct TableShape {
  std::vector<std::string> columns;
  std::string key_column;  // empty: rowid
  bool key_is_integer = true;
  bool is_view = false;
  std::string KeyExpression() const {
    return key_column.empty() ? std::string("rowid") : db::QuoteIdentifier(key_column);
  }
};

Result<TableShape> ShapeOf(db::Database& db, const std::string& table);

// The current row of `s` as {column: value}.
Json RowToJson(const db::Statement& s);

struct Query {
  std::string sql;
  std::vector<db::Value> params;
};

// Runs `q` under the caller's rights (a ScriptScope; $user_id, $username and
// $role bound from `who`, '?' from q.params) and returns its rows.
Result<std::vector<Json>> Rows(db::Database& db, const auth::Principal& who, const Query& q);

}  // namespace hbf::records
