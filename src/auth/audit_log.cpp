#include "auth/audit_log.h"

#include <algorithm>

#include "auth/auth_store.h"

namespace hbf::auth {

Json AuditEntryToJson(const AuditEntry& e) {
  return Json::MakeObject({
      {"id", e.id},
      {"actor_id", e.actor_id ? Json(*e.actor_id) : Json()},
      {"actor", e.actor},
      {"action", e.action},
      {"target", e.target},
      {"details", e.details},
      {"created_at", e.created_at},
  });
}

Status RecordAudit(db::Database& db, int64_t actor_id, std::string_view actor, std::string_view action,
                   std::string_view target, const Json& details) {
  auto enabled = GetConfig(db, "enable_audit_log");
  if (!enabled.ok()) return enabled.error();
  if (enabled->has_value() && (**enabled == "false" || **enabled == "0" || **enabled == "off")) return Ok{};
  Json stored = Json::MakeObject({{"actor", std::string(actor)}, {"details", details}});
  auto stmt = db.Prepare(
      "INSERT INTO _hbf_audit_log (user_id, action, target, details) "
      "VALUES ((SELECT id FROM _hbf_users WHERE id = ?1), ?2, ?3, ?4)");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, actor_id).Bind(2, std::string(action)).Bind(3, std::string(target)).Bind(4, stored.dump());
  return stmt->Run();
}

Result<std::vector<AuditEntry>> ListAudit(db::Database& db, std::optional<int64_t> before_id, int limit) {
  limit = std::clamp(limit, 1, 500);
  auto stmt = db.Prepare(
      "SELECT id, user_id, action, COALESCE(target, ''), COALESCE(details, '{}'), created_at FROM _hbf_audit_log "
      "WHERE id < ?1 ORDER BY id DESC LIMIT ?2");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, before_id.value_or(INT64_MAX)).Bind(2, int64_t{limit});
  std::vector<AuditEntry> out;
  for (;;) {
    auto row = stmt->Step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    AuditEntry e;
    e.id = stmt->Int(0);
    if (!stmt->IsNull(1)) e.actor_id = stmt->Int(1);
    e.action = stmt->Text(2);
    e.target = stmt->Text(3);
    auto parsed = Json::Parse(stmt->Text(4));
    if (parsed.ok() && parsed->is_object()) {
      if (const Json* actor = parsed->find("actor"); actor != nullptr && actor->is_string())
        e.actor = actor->as_string();
      if (const Json* details = parsed->find("details"); details != nullptr) e.details = *details;
    }
    e.created_at = stmt->Int(5);
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace hbf::auth
