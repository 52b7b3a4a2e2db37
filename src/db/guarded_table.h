// Row policies inside SQLite: a virtual table that stands for one of the
// henv's tables on a connection that runs SQL on a user's behalf (`req.db`).
//
// On such a connection every table the user may name is a TEMP virtual
// table `hbf_guarded` of the same name (unqualified names resolve to temp
// first), and the authorizer (sql_guard.h, Caller::kUser) refuses the base
// tables themselves (anything in `main`), DDL, pragmas and attachments, and
// checks the table grant of each read or write of a guarded table. The
// virtual table reads and writes the base table with statements of its own,
// whose WHERE clause carries the caller's row condition (RowGuard), with
// the user's equality constraints pushed down; an insert or update is
// checked against the condition on its new values before it is written.
// So a row outside the policy is never produced to, nor changed by, the
// user's SQL, however it is written: joins, subqueries, CTEs, triggers and
// views all read through the virtual table, and the base table cannot be
// named.
//
// Thread safety: like Database: one thread at a time per connection.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"
#include "db/database.h"

namespace hbf::db {

// What the connection's current caller may see and change: set for the
// duration of a UserScope.
class RowGuard {
 public:
  virtual ~RowGuard() = default;
  // The SQL condition (to put inside parentheses) rows of `table` must meet
  // for `op` ('s'elect, 'i'nsert, 'u'pdate, 'd'elete); "1" for all rows.
  virtual Result<std::string> Condition(const std::string& table, char op) = 0;
  // The values of the named parameters conditions may use ("$user_id", ...).
  virtual std::vector<std::pair<std::string, Value>> NamedParameters() = 0;
};

// Registers the module "hbf_guarded" on `db`. The RowGuard in force is the
// one given to Database::UserScope.
Status RegisterGuardedModule(Database& db);

// Makes temp.`table` a guarded view of main.`table` (idempotent).
Status CreateGuardedTable(Database& db, const std::string& table);
// Drops every guarded table (before re-creating them after a schema change).
Status DropGuardedTables(Database& db);

}  // namespace hbf::db
