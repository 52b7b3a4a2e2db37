// What SQL may touch on a connection: the sealed system tables.
//
// HBF keeps its own state (users, sessions, signing keys, config, audit log)
// in tables of the henv's file. Tenant code runs SQL on the same file, so
// the boundary is drawn by SQLite itself: an authorizer (sqlite3_set_authorizer)
// sees every table, column, pragma, function and DDL action of a statement
// while it is compiled - including those reached through views, triggers,
// CTEs and virtual tables, however the SQL names them (quoted, schema-
// qualified, aliased) - and refuses the statement as a whole. SQL text is
// never inspected.
//
// The callers a connection may serve:
//   host:   HBF's own statements. Everything is allowed, except that a
//           sealed table may not be reached from inside a trigger or view
//           that is not one of the schema's own (so a trigger a script
//           created cannot run with HBF's rights when HBF writes a table).
//   script: statements compiled inside a ScriptScope (see Database). Sealed
//           tables are out of reach unless through the schema's own
//           triggers; the schema's structure cannot be changed; no ATTACH,
//           no extension, no pragma that writes or reveals the host.
//   user:   a user's SQL (`req.db`, inside a UserScope): only the guarded
//           TEMP tables (guarded_table.h), as the user's grants allow;
//           nothing in `main`, no DDL, pragma or attachment.
//
// Statements are re-compiled by SQLite when the schema changes; that happens
// inside Step, so a script's statement is re-checked as long as it is
// stepped inside its ScriptScope (Database guarantees cached statements
// never cross between the callers).
//
// Thread safety: SealedSchema is immutable once built; Authorize is pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace hbf::db {

struct SealedSchema {
  // Tables only HBF reads and writes (prefix match, case-insensitive).
  std::vector<std::string> sealed_prefixes;
  // Tables scripts use but whose shape HBF owns: no DDL, triggers or indexes
  // from scripts.
  std::vector<std::string> structural_tables;
  // Tables HBF keeps in step through its triggers (full-text indexes):
  // scripts read them, only the schema's triggers write them.
  std::vector<std::string> maintained_tables;
  // The schema's own triggers: they may reach sealed and maintained tables.
  std::vector<std::string> system_triggers;
};

enum class Caller { kHost, kScript, kUser };

struct UserGrants;

// The authorizer's verdict (SQLITE_OK or SQLITE_DENY) for one action, with
// the arguments sqlite3_set_authorizer's callback receives.
// `grants`: the user's, for Caller::kUser (else unused).
int Authorize(const SealedSchema& schema, Caller caller, int action, const char* arg1, const char* arg2,
              const char* database, const char* inner, const UserGrants* grants = nullptr);

}  // namespace hbf::db
