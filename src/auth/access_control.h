// Table permissions and row policies (spec phase 4): what a caller may do to
// a henv's own tables when data is touched on its behalf (the records API).
//
// Who: a Principal - a user, or anonymous. Owner and admin have full access.
// Everyone else needs a grant for the table and the operation:
//   - per user (_hbf_table_permissions, the spec's table), which wins when
//     present, else
//   - per role (_hbf_role_permissions): "user" (every plain user) or
//     "anonymous" (callers without a session).
// No grant: denied.
//
// Which rows: the table's enabled row policies for the caller's role
// ("user" / "anonymous", or "*" for both) and the operation ("select",
// "insert", "update", "delete", or "all"). Several policies are OR-ed
// (permissive); with none, the grant alone decides (every row). A policy's
// condition is SQL over the row, with the parameters $user_id, $username and
// $role; it is compiled when saved (400 with SQLite's message otherwise)
// and runs under the sealed-schema rules (db/sql_guard.h), so it can read
// the henv's own tables but never HBF's.
//
// Thread safety: functions take the Database of the caller (Henv::WithDb).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/auth_store.h"
#include "core/json.h"
#include "core/result.h"
#include "db/database.h"

namespace hbf::auth {

enum class Operation { kSelect, kInsert, kUpdate, kDelete };
const char* OperationName(Operation op);

struct Principal {
  std::optional<User> user;  // nullopt: anonymous
  // "anonymous", "user", "admin" or "owner".
  std::string role() const;
  bool full_access() const { return user && user->role != Role::kUser; }
};

// ---- grants
struct TableGrant {
  int64_t id = 0;
  std::optional<int64_t> user_id;  // a user's grant, or
  std::string role;                // a role's ("user" | "anonymous")
  std::string table;
  bool can_select = false;
  bool can_insert = false;
  bool can_update = false;
  bool can_delete = false;
};
Json GrantToJson(const TableGrant& grant);

// Every grant, or those of one user.
Result<std::vector<TableGrant>> ListGrants(db::Database& db, std::optional<int64_t> user_id);
// Creates or replaces the grant of (user or role, table). 404 for an
// unknown user, 400 for another role or a table that is not the henv's own.
Result<TableGrant> PutGrant(db::Database& db, const TableGrant& grant);
// False when there was none.
Result<bool> DeleteGrant(db::Database& db, std::optional<int64_t> user_id, const std::string& role,
                         const std::string& table);

// ---- policies
struct RowPolicy {
  int64_t id = 0;
  std::string table;
  std::string name;
  std::string role;       // "user" | "anonymous" | "*"
  std::string operation;  // "select" | "insert" | "update" | "delete" | "all"
  std::string condition;
  bool enabled = true;
  int64_t created_at = 0;
};
Json PolicyToJson(const RowPolicy& policy);

Result<std::vector<RowPolicy>> ListPolicies(db::Database& db, std::optional<std::string> table);
Result<std::optional<RowPolicy>> FindPolicy(db::Database& db, int64_t id);
// Validates (table, role, operation, a condition that compiles) and saves;
// `policy.id` 0 creates, else replaces that policy (404 when absent).
// 409 when (table, name) is taken.
Result<RowPolicy> SavePolicy(db::Database& db, const RowPolicy& policy);
Result<bool> DeletePolicy(db::Database& db, int64_t id);

// ---- decisions
// Whether `table` is one of the henv's own tables a grant may name (not
// HBF's, not SQLite's, not a full-text index's internals).
Result<bool> IsGrantableTable(db::Database& db, const std::string& table);
// Every such table (and view, when `with_views`), by name without case.
Result<std::vector<std::string>> ListGrantableTables(db::Database& db, bool with_views);
Result<bool> IsAllowed(db::Database& db, const Principal& who, const std::string& table, Operation op);
// The condition rows must meet, as SQL to put inside parentheses (newlines
// around it, so a `--` comment in a policy ends there): "1" when every row
// qualifies. Uses $user_id, $username, $role: bind them with BindPrincipal.
Result<std::string> RowCondition(db::Database& db, const Principal& who, const std::string& table, Operation op);
// Binds $user_id, $username and $role where `stmt` uses them, and the
// positional ('?') parameters in order from `positional`.
Status BindWithPrincipal(db::Statement& stmt, const Principal& who, const std::vector<db::Value>& positional);

}  // namespace hbf::auth
