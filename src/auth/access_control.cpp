#include "auth/access_control.h"

#include <algorithm>
#include <cctype>

namespace hbf::auth {
namespace {

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  }
  return true;
}

// HBF's tables, SQLite's, and the structure HBF maintains (documents, the
// graph, their full-text indexes and its shadow tables): never named by a
// grant or a policy. An app's own `tags_of_posts` is the app's.
bool IsReservedTable(std::string_view t) {
  for (std::string_view prefix : {"_hbf_", "sqlite_", "documents_fts", "nodes_fts"}) {
    if (StartsWithNoCase(t, prefix)) return true;
  }
  for (std::string_view name : {"documents", "nodes", "edges", "tags"}) {
    if (t.size() == name.size() && StartsWithNoCase(t, name)) return true;
  }
  return false;
}

bool IsPolicyRole(std::string_view r) { return r == "user" || r == "anonymous" || r == "*"; }
bool IsPolicyOperation(std::string_view o) {
  return o == "select" || o == "insert" || o == "update" || o == "delete" || o == "all";
}

TableGrant ReadGrant(const db::Statement& s, bool per_user) {
  TableGrant g;
  g.id = s.Int(0);
  if (per_user) {
    g.user_id = s.Int(1);
  } else {
    g.role = s.Text(1);
  }
  g.table = s.Text(2);
  g.can_select = s.Int(3) != 0;
  g.can_insert = s.Int(4) != 0;
  g.can_update = s.Int(5) != 0;
  g.can_delete = s.Int(6) != 0;
  return g;
}

RowPolicy ReadPolicy(const db::Statement& s) {
  RowPolicy p;
  p.id = s.Int(0);
  p.table = s.Text(1);
  p.name = s.Text(2);
  p.role = s.Text(3);
  p.operation = s.Text(4);
  p.condition = s.Text(5);
  p.enabled = s.Int(6) != 0;
  p.created_at = s.Int(7);
  return p;
}

constexpr const char* kPolicyColumns = "id, table_name, policy_name, role, operation, condition, enabled, created_at";

bool Allows(const TableGrant& g, Operation op) {
  switch (op) {
    case Operation::kSelect:
      return g.can_select;
    case Operation::kInsert:
      return g.can_insert;
    case Operation::kUpdate:
      return g.can_update;
    case Operation::kDelete:
      return g.can_delete;
  }
  return false;
}

// Compiles `condition` as a row filter of `table`, as a script would (the
// sealed-schema rules apply), and checks its parameters.
Status CheckCondition(db::Database& db, const std::string& table, const std::string& condition) {
  if (condition.empty() || condition.size() > 4096) {
    return Error{"invalid_field", "condition: must be 1 to 4096 characters of SQL", 400};
  }
  db::Database::ScriptScope scope(db);
  auto stmt =
      db.PrepareUncached("SELECT 1 FROM " + db::QuoteIdentifier(table) + " WHERE (\n" + condition + "\n) LIMIT 0");
  if (!stmt.ok()) return Error{"invalid_condition", "the condition does not compile: " + stmt.error().message, 400};
  if (!stmt->ReadOnly()) return Error{"invalid_condition", "the condition must only read", 400};
  for (int i = 1; i <= stmt->ParameterCount(); ++i) {
    std::string name = stmt->ParameterName(i);
    if (name != "$user_id" && name != "$username" && name != "$role") {
      return Error{"invalid_condition",
                   "the condition may use only $user_id, $username and $role (found " +
                       (name.empty() ? std::string("?") : name) + ")",
                   400};
    }
  }
  return Ok{};
}

}  // namespace

const char* OperationName(Operation op) {
  switch (op) {
    case Operation::kSelect:
      return "select";
    case Operation::kInsert:
      return "insert";
    case Operation::kUpdate:
      return "update";
    case Operation::kDelete:
      return "delete";
  }
  return "select";
}

std::string Principal::role() const { return user ? RoleName(user->role) : "anonymous"; }

Json GrantToJson(const TableGrant& g) {
  Json out = Json::MakeObject({{"id", g.id}});
  if (g.user_id) {
    out.set("user_id", *g.user_id);
  } else {
    out.set("role", g.role);
  }
  out.set("table", g.table);
  out.set("select", g.can_select);
  out.set("insert", g.can_insert);
  out.set("update", g.can_update);
  out.set("delete", g.can_delete);
  return out;
}

Json PolicyToJson(const RowPolicy& p) {
  return Json::MakeObject({{"id", p.id},
                           {"table", p.table},
                           {"name", p.name},
                           {"role", p.role},
                           {"operation", p.operation},
                           {"condition", p.condition},
                           {"enabled", p.enabled},
                           {"created_at", p.created_at}});
}

Result<bool> IsGrantableTable(db::Database& db, const std::string& table) {
  if (table.empty() || table.size() > 128 || IsReservedTable(table)) return false;
  auto found = db.QueryValue("SELECT 1 FROM sqlite_master WHERE type IN ('table', 'view') AND name = ?", {table});
  if (!found.ok()) return found.error();
  return found->has_value();
}

Result<std::vector<std::string>> ListGrantableTables(db::Database& db, bool with_views) {
  auto names = db.QueryTexts(with_views ? "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
                                          "ORDER BY name COLLATE NOCASE"
                                        : "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name COLLATE NOCASE");
  if (!names.ok()) return names.error();
  std::vector<std::string> out;
  for (auto& n : *names) {
    if (!n.empty() && n.size() <= 128 && !IsReservedTable(n)) out.push_back(std::move(n));
  }
  return out;
}

Result<std::vector<TableGrant>> ListGrants(db::Database& db, std::optional<int64_t> user_id) {
  std::vector<TableGrant> out;
  auto users = db.Prepare(
      "SELECT id, user_id, table_name, can_select, can_insert, can_update, can_delete FROM _hbf_table_permissions "
      "WHERE ?1 IS NULL OR user_id = ?1 ORDER BY user_id, table_name");
  if (!users.ok()) return users.error();
  if (user_id) {
    users->Bind(1, *user_id);
  } else {
    users->Bind(1, db::Null{});
  }
  for (;;) {
    auto row = users->Step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    out.push_back(ReadGrant(*users, true));
  }
  if (user_id) return out;
  auto roles = db.Prepare(
      "SELECT id, role, table_name, can_select, can_insert, can_update, can_delete FROM _hbf_role_permissions "
      "ORDER BY role, table_name");
  if (!roles.ok()) return roles.error();
  for (;;) {
    auto row = roles->Step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    out.push_back(ReadGrant(*roles, false));
  }
  return out;
}

Result<TableGrant> PutGrant(db::Database& db, const TableGrant& grant) {
  auto grantable = IsGrantableTable(db, grant.table);
  if (!grantable.ok()) return grantable.error();
  if (!*grantable) {
    return Error{"invalid_field", "table: '" + grant.table + "' is not one of this henv's own tables", 400};
  }
  const bool per_user = grant.user_id.has_value();
  if (per_user) {
    auto user = FindUserById(db, *grant.user_id);
    if (!user.ok()) return user.error();
    if (!user->has_value()) return Error{"not_found", "no user " + std::to_string(*grant.user_id), 404};
  } else if (grant.role != "user" && grant.role != "anonymous") {
    return Error{"invalid_field", "role: grants are per user_id, or for the role 'user' or 'anonymous'", 400};
  }
  auto stmt = db.Prepare(per_user ? "INSERT INTO _hbf_table_permissions "
                                    "(user_id, table_name, can_select, can_insert, can_update, can_delete) "
                                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(user_id, table_name) DO UPDATE SET "
                                    "can_select = ?3, can_insert = ?4, can_update = ?5, can_delete = ?6 RETURNING id"
                                  : "INSERT INTO _hbf_role_permissions "
                                    "(role, table_name, can_select, can_insert, can_update, can_delete) "
                                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(role, table_name) DO UPDATE SET "
                                    "can_select = ?3, can_insert = ?4, can_update = ?5, can_delete = ?6 RETURNING id");
  if (!stmt.ok()) return stmt.error();
  if (per_user) {
    stmt->Bind(1, *grant.user_id);
  } else {
    stmt->Bind(1, grant.role);
  }
  stmt->Bind(2, grant.table)
      .Bind(3, int64_t{grant.can_select})
      .Bind(4, int64_t{grant.can_insert})
      .Bind(5, int64_t{grant.can_update})
      .Bind(6, int64_t{grant.can_delete});
  auto row = stmt->Step();
  if (!row.ok()) return row.error();
  TableGrant saved = grant;
  saved.id = *row ? stmt->Int(0) : 0;
  return saved;
}

Result<bool> DeleteGrant(db::Database& db, std::optional<int64_t> user_id, const std::string& role,
                         const std::string& table) {
  auto stmt = db.Prepare(user_id ? "DELETE FROM _hbf_table_permissions WHERE user_id = ?1 AND table_name = ?2"
                                 : "DELETE FROM _hbf_role_permissions WHERE role = ?1 AND table_name = ?2");
  if (!stmt.ok()) return stmt.error();
  if (user_id) {
    stmt->Bind(1, *user_id);
  } else {
    stmt->Bind(1, role);
  }
  stmt->Bind(2, table);
  if (auto s = stmt->Run(); !s.ok()) return s.error();
  return db.Changes() > 0;
}

Result<std::vector<RowPolicy>> ListPolicies(db::Database& db, std::optional<std::string> table) {
  auto stmt = db.Prepare(std::string("SELECT ") + kPolicyColumns +
                         " FROM _hbf_row_policies WHERE ?1 IS NULL OR table_name = ?1 ORDER BY table_name, id");
  if (!stmt.ok()) return stmt.error();
  if (table) {
    stmt->Bind(1, *table);
  } else {
    stmt->Bind(1, db::Null{});
  }
  std::vector<RowPolicy> out;
  for (;;) {
    auto row = stmt->Step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    out.push_back(ReadPolicy(*stmt));
  }
  return out;
}

Result<std::optional<RowPolicy>> FindPolicy(db::Database& db, int64_t id) {
  auto stmt = db.Prepare(std::string("SELECT ") + kPolicyColumns + " FROM _hbf_row_policies WHERE id = ?");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, id);
  auto row = stmt->Step();
  if (!row.ok()) return row.error();
  if (!*row) return std::optional<RowPolicy>();
  return std::optional<RowPolicy>(ReadPolicy(*stmt));
}

Result<RowPolicy> SavePolicy(db::Database& db, const RowPolicy& p) {
  auto grantable = IsGrantableTable(db, p.table);
  if (!grantable.ok()) return grantable.error();
  if (!*grantable) return Error{"invalid_field", "table: '" + p.table + "' is not one of this henv's own tables", 400};
  if (p.name.empty() || p.name.size() > 100) return Error{"invalid_field", "name: must be 1 to 100 characters", 400};
  if (!IsPolicyRole(p.role)) return Error{"invalid_field", "role: must be 'user', 'anonymous' or '*'", 400};
  if (!IsPolicyOperation(p.operation)) {
    return Error{"invalid_field", "operation: must be select, insert, update, delete or all", 400};
  }
  if (auto s = CheckCondition(db, p.table, p.condition); !s.ok()) return s.error();
  if (p.id != 0) {
    auto existing = FindPolicy(db, p.id);
    if (!existing.ok()) return existing.error();
    if (!existing->has_value()) return Error{"not_found", "no policy " + std::to_string(p.id), 404};
  }
  int64_t id = p.id;
  {
    auto stmt = db.Prepare(p.id == 0 ? "INSERT INTO _hbf_row_policies "
                                       "(table_name, policy_name, role, operation, condition, enabled) "
                                       "VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id"
                                     : "UPDATE _hbf_row_policies SET table_name = ?1, policy_name = ?2, role = ?3, "
                                       "operation = ?4, condition = ?5, enabled = ?6 WHERE id = ?7 RETURNING id");
    if (!stmt.ok()) return stmt.error();
    stmt->Bind(1, p.table).Bind(2, p.name).Bind(3, p.role).Bind(4, p.operation).Bind(5, p.condition);
    stmt->Bind(6, int64_t{p.enabled});
    if (p.id != 0) stmt->Bind(7, p.id);
    auto row = stmt->Step();
    if (!row.ok()) {
      if (row.error().code == "constraint") {
        return Error{"policy_exists", "table " + p.table + " already has a policy named " + p.name, 409};
      }
      return row.error();
    }
    if (*row) id = stmt->Int(0);
  }
  auto saved = FindPolicy(db, id);
  if (!saved.ok()) return saved.error();
  if (!saved->has_value()) return Error::Internal("the saved policy vanished");
  return **saved;
}

Result<bool> DeletePolicy(db::Database& db, int64_t id) {
  auto stmt = db.Prepare("DELETE FROM _hbf_row_policies WHERE id = ?");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, id);
  if (auto s = stmt->Run(); !s.ok()) return s.error();
  return db.Changes() > 0;
}

Result<bool> IsAllowed(db::Database& db, const Principal& who, const std::string& table, Operation op) {
  if (who.full_access()) return true;
  if (who.user) {
    auto stmt = db.Prepare(
        "SELECT id, user_id, table_name, can_select, can_insert, can_update, can_delete "
        "FROM _hbf_table_permissions WHERE user_id = ? AND table_name = ?");
    if (!stmt.ok()) return stmt.error();
    stmt->Bind(1, who.user->id).Bind(2, table);
    auto row = stmt->Step();
    if (!row.ok()) return row.error();
    if (*row) return Allows(ReadGrant(*stmt, true), op);  // the user's own grant wins
  }
  auto stmt = db.Prepare(
      "SELECT id, role, table_name, can_select, can_insert, can_update, can_delete "
      "FROM _hbf_role_permissions WHERE role = ? AND table_name = ?");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, who.role()).Bind(2, table);
  auto row = stmt->Step();
  if (!row.ok()) return row.error();
  return *row && Allows(ReadGrant(*stmt, false), op);
}

Result<std::string> RowCondition(db::Database& db, const Principal& who, const std::string& table, Operation op) {
  if (who.full_access()) return std::string("1");
  auto stmt = db.Prepare(
      "SELECT condition FROM _hbf_row_policies WHERE table_name = ?1 AND enabled = 1 "
      "AND role IN (?2, '*') AND operation IN (?3, 'all') ORDER BY id");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, table).Bind(2, who.role()).Bind(3, std::string(OperationName(op)));
  std::string combined;
  for (;;) {
    auto row = stmt->Step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    if (!combined.empty()) combined += " OR ";
    combined += "(\n" + stmt->Text(0) + "\n)";
  }
  return combined.empty() ? std::string("1") : "\n" + combined + "\n";
}

Status BindWithPrincipal(db::Statement& stmt, const Principal& who, const std::vector<db::Value>& positional) {
  size_t next = 0;
  for (int i = 1; i <= stmt.ParameterCount(); ++i) {
    std::string name = stmt.ParameterName(i);
    if (name.empty() || name[0] == '?') {
      if (next >= positional.size()) return Error::Internal("too few parameters for a records query");
      stmt.Bind(i, positional[next++]);
    } else if (name == "$user_id") {
      stmt.Bind(i, who.user ? db::Value(who.user->id) : db::Value(db::Null{}));
    } else if (name == "$username") {
      stmt.Bind(i, who.user ? db::Value(who.user->username) : db::Value(db::Null{}));
    } else if (name == "$role") {
      stmt.Bind(i, who.role());
    } else {
      return Error{"invalid_condition", "unknown parameter " + name + " in a row policy", 500};
    }
  }
  if (next != positional.size()) return Error::Internal("too many parameters for a records query");
  return Ok{};
}

}  // namespace hbf::auth
