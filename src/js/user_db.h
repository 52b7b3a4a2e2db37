// Internal to src/js: `req.db`, SQL a handler runs on behalf of the
// request's user, under that user's table grants and row policies
// (auth/access_control.h), enforced inside SQLite (db/guarded_table.h).
//
// The worker keeps a second connection for it, opened on first use: every
// table a grant may name is a guarded TEMP virtual table there, re-made when
// the schema changes. A user's statements run in a Database::UserScope:
// only those tables are reachable, each as the user's grants allow, rows
// filtered and writes checked by the user's policies. Owners and admins
// have full access (their statements still go through the guarded tables,
// with the condition "1").
//
// Thread safety: as the Worker's (one thread at a time).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "auth/access_control.h"
#include "core/result.h"
#include "db/guarded_table.h"
#include "js/worker.h"

namespace hbf::js::internal {

// The caller as access control sees it, from the request's user JSON
// (null: anonymous).
auth::Principal PrincipalOf(const Json& user);

class PrincipalGuard : public db::RowGuard {
 public:
  PrincipalGuard(db::Database& db, auth::Principal who) : db_(db), who_(std::move(who)) {}
  Result<std::string> Condition(const std::string& table, char op) override;
  std::vector<std::pair<std::string, db::Value>> NamedParameters() override;

 private:
  db::Database& db_;
  auth::Principal who_;
};

// The worker's user connection, opened and its guarded tables made fresh.
Result<db::Database*> UserConnection(Worker& w);

// `who`'s grants on every guarded table of `db`.
Result<db::UserGrants> GrantsOf(db::Database& db, const auth::Principal& who);

}  // namespace hbf::js::internal
