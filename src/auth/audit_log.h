// The henv's audit log (_hbf_audit_log): who did what to which target, and
// when. Written for every admin action - users, roles, keys, config, code
// and document saves, package installs, permissions and policies, backups
// and restores - while the henv's `enable_audit_log` config is true (the
// default). Rows are never changed; tenant scripts cannot reach the table
// (db/sql_guard.h).
//
// Thread safety: the caller owns the Database (inside Henv::WithDb).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "core/result.h"
#include "db/database.h"

namespace hbf::auth {

struct AuditEntry {
  int64_t id = 0;
  std::optional<int64_t> actor_id;  // null once the actor's account is deleted
  std::string actor;                // the actor's username when the row was written
  std::string action;               // "user.create", "config.update", "document.put", ...
  std::string target;               // "user:7", "document:_system/router.js", "config:qjs_mem_mb"
  Json details;                     // what changed (never secrets: no passwords, tokens or keys)
  int64_t created_at = 0;
};
Json AuditEntryToJson(const AuditEntry& entry);

// Appends an entry unless the henv's enable_audit_log is false.
Status RecordAudit(db::Database& db, int64_t actor_id, std::string_view actor, std::string_view action,
                   std::string_view target, const Json& details);

// Newest first; `before_id` (exclusive) pages back; at most `limit` (1-500).
Result<std::vector<AuditEntry>> ListAudit(db::Database& db, std::optional<int64_t> before_id, int limit);

}  // namespace hbf::auth
