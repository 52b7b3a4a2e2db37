#include "js/user_db.h"

#include <cctype>

#include "henv/schema.h"
#include "js/worker_access.h"

namespace hbf::js::internal {

auth::Principal PrincipalOf(const Json& user) {
  auth::Principal who;
  if (!user.is_object()) return who;
  const Json* id = user.find("id");
  const Json* name = user.find("username");
  const Json* role = user.find("role");
  if (id == nullptr || !id->is_int() || name == nullptr || !name->is_string()) return who;
  auth::User u;
  u.id = id->as_int();
  u.username = name->as_string();
  u.role = role != nullptr && role->is_string() ? auth::ParseRole(role->as_string()).value_or(auth::Role::kUser)
                                                : auth::Role::kUser;
  who.user = std::move(u);
  return who;
}

Result<std::string> PrincipalGuard::Condition(const std::string& table, char op) {
  auth::Operation operation = op == 'i'   ? auth::Operation::kInsert
                              : op == 'u' ? auth::Operation::kUpdate
                              : op == 'd' ? auth::Operation::kDelete
                                          : auth::Operation::kSelect;
  return auth::RowCondition(db_, who_, table, operation);
}

std::vector<std::pair<std::string, db::Value>> PrincipalGuard::NamedParameters() {
  std::vector<std::pair<std::string, db::Value>> out;
  out.emplace_back("$user_id", who_.user ? db::Value(who_.user->id) : db::Value(db::Null{}));
  out.emplace_back("$username", who_.user ? db::Value(who_.user->username) : db::Value(db::Null{}));
  out.emplace_back("$role", db::Value(who_.role()));
  return out;
}

Result<db::Database*> UserConnection(Worker& w) {
  auto& conn = WorkerAccess::UserDb(w);
  if (!conn) {
    const std::string& path = WorkerAccess::DbPath(w);  // "" in a blank worker: an empty in-memory one
    db::Database::Options options;
    options.create = false;
    options.keep_wal_files = true;  // as the henv's own connection
    auto opened = db::Database::Open(path.empty() ? std::string(":memory:") : path, options);
    if (!opened.ok()) return opened.error();
    opened->MeasureBusyTime();
    if (const auto& listener = WorkerAccess::ChangeListener(w)) opened->CaptureChanges(listener, WorkerAccess::HenvHash(w));
    opened->WatchDocumentWrites();
    conn.emplace(std::move(*opened));  // never moved again: the module keeps its address
    conn->Seal(HenvSealedSchema());
    conn->LimitForScripts(32 << 20);  // as the main connection under the default heap limit
    if (auto s = db::RegisterGuardedModule(*conn); !s.ok()) {
      conn.reset();
      return s.error();
    }
    conn->SetDeadline(WorkerAccess::Deadline(w));
  }
  // Guarded tables for the henv's tables as they are now.
  auto version = conn->QueryValue("PRAGMA schema_version");
  if (!version.ok()) return version.error();
  const int64_t now = version->has_value() ? std::get<int64_t>(**version) : 0;
  int64_t& made_for = WorkerAccess::UserDbSchema(w);
  if (now != made_for) {
    if (auto s = db::DropGuardedTables(*conn); !s.ok()) return s.error();
    auto tables = auth::ListGrantableTables(*conn, /*with_views=*/false);
    if (!tables.ok()) return tables.error();
    for (const auto& t : *tables) {
      if (auto s = db::CreateGuardedTable(*conn, t); !s.ok()) return s.error();
    }
    made_for = now;  // temp objects do not change main's schema_version
  }
  return &*conn;
}

Result<db::UserGrants> GrantsOf(db::Database& db, const auth::Principal& who) {
  db::UserGrants grants;
  auto tables = auth::ListGrantableTables(db, /*with_views=*/false);
  if (!tables.ok()) return tables.error();
  for (const auto& t : *tables) {
    uint8_t bits = 0;
    const std::pair<auth::Operation, uint8_t> ops[] = {{auth::Operation::kSelect, db::UserGrants::kSelect},
                                                       {auth::Operation::kInsert, db::UserGrants::kInsert},
                                                       {auth::Operation::kUpdate, db::UserGrants::kUpdate},
                                                       {auth::Operation::kDelete, db::UserGrants::kDelete}};
    for (const auto& [op, bit] : ops) {
      auto allowed = auth::IsAllowed(db, who, t, op);
      if (!allowed.ok()) return allowed.error();
      if (*allowed) bits = static_cast<uint8_t>(bits | bit);
    }
    std::string lower = t;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (bits != 0) grants.tables[lower] = bits;
  }
  return grants;
}

}  // namespace hbf::js::internal
