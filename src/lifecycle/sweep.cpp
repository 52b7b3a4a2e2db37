#include "lifecycle/sweep.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "auth/audit_log.h"
#include "core/json.h"
#include "core/log.h"
#include "db/database.h"
#include "henv/henv_hash.h"
#include "henv/schema.h"
#include "lifecycle/backup_all.h"
#include "lifecycle/files.h"

namespace hbf::lifecycle {
namespace {

constexpr int64_t kDay = 86400;

struct HenvFacts {
  int64_t activity_ts = 0;
  std::string owner;
  std::string owner_email;
};

Result<HenvFacts> ReadFacts(db::Database& db) {
  HenvFacts facts;
  auto stmt = db.PrepareUncached(
      "SELECT username, COALESCE(email, ''), created_at FROM _hbf_users WHERE role = 'owner' LIMIT 1");
  if (!stmt.ok()) return stmt.error();
  auto row = stmt->Step();
  if (!row.ok()) return row.error();
  int64_t created = 0;
  if (*row) {
    facts.owner = stmt->Text(0);
    facts.owner_email = stmt->Text(1);
    created = stmt->Int(2);
  }
  auto stamp = db.QueryValue("SELECT CAST(value AS INTEGER) FROM _hbf_config WHERE key = 'last_activity_ts'");
  if (!stamp.ok()) return stamp.error();
  int64_t activity = 0;
  if (stamp->has_value() && std::holds_alternative<int64_t>(**stamp)) activity = std::get<int64_t>(**stamp);
  facts.activity_ts = activity > 0 ? activity : created;
  return facts;
}

void AuditSystem(db::Database& db, const std::string& action, const std::string& hash, const Json& details) {
  if (auto s = auth::RecordAudit(db, 0, "system", action, "henv:" + hash, details); !s.ok()) {
    Log(LogLevel::kError, "cannot write the audit log: " + s.error().message, hash);
  }
}

// .trash/{hash}.{unix}
struct TrashEntry {
  std::string path;
  std::string hash;
  int64_t trashed_at = 0;
};

std::vector<TrashEntry> ListTrash(const std::string& storage_dir) {
  std::vector<TrashEntry> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(storage_dir + "/.trash", ec)) {
    const std::string name = entry.path().filename().string();
    const size_t dot = name.find('.');
    if (dot == std::string::npos || !IsValidHenvHash(name.substr(0, dot))) continue;
    char* end = nullptr;
    const long long at = std::strtoll(name.c_str() + dot + 1, &end, 10);
    if (end == name.c_str() + dot + 1 || *end != '\0') continue;
    out.push_back(TrashEntry{entry.path().string(), name.substr(0, dot), at});
  }
  return out;
}

std::string WarningText(const SweepOptions& options, const std::string& hash, const HenvFacts& facts, int64_t idle_days) {
  const int64_t left = std::max<int64_t>(options.delete_days - idle_days, 1);
  return "Hello " + facts.owner + ",\n\nyour app at http://" + hash + "." + options.base_domain + "/ has not been used for " +
         std::to_string(idle_days) + " days. Unless it is used (a login or any change) within " + std::to_string(left) +
         " days, it will be moved to the trash and deleted " + std::to_string(options.trash_days) +
         " days after that.\n\nLog in to keep it: http://" + hash + "." + options.base_domain + "/login\n";
}

}  // namespace

Result<std::vector<SweepAction>> Sweep(const SweepOptions& options, Outbox* outbox) {
  if (!options.dry_run && outbox == nullptr) return Error::Internal("a sweep that acts needs the outbox");
  std::vector<SweepAction> actions;
  for (const std::string& hash : ListHenvs(options.storage_dir)) {
    const std::string dir = options.storage_dir + "/" + hash;
    HenvFacts facts;
    int64_t idle_days = 0;
    std::string action;
    {
      db::Database::Options db_options;
      db_options.create = false;
      auto db = db::Database::Open(dir + "/index.db", db_options);
      if (!db.ok()) {
        Log(LogLevel::kWarn, "sweep: cannot open: " + db.error().message, hash);
        continue;
      }
      db->Seal(HenvSealedSchema());
      auto read = ReadFacts(*db);
      if (!read.ok()) {
        Log(LogLevel::kWarn, "sweep: cannot read: " + read.error().message, hash);
        continue;
      }
      facts = *read;
      idle_days = (options.now_unix - facts.activity_ts) / kDay;
      if (idle_days >= options.delete_days) {
        action = "delete";
      } else if (idle_days >= options.warn_days) {
        auto warned = outbox != nullptr ? outbox->WarnedFor(hash, facts.activity_ts) : Result<bool>(false);
        if (!warned.ok()) return warned.error();
        if (!*warned) action = "warn";
      }
      if (action.empty()) continue;
      if (options.dry_run) {
        actions.push_back(SweepAction{hash, action, idle_days, {}});
        continue;
      }
      const Json details = Json::MakeObject({{"idle_days", Json(idle_days)}, {"last_activity_ts", Json(facts.activity_ts)}});
      if (action == "warn") {
        if (facts.owner_email.empty()) {
          Log(LogLevel::kWarn, "sweep: inactive for " + std::to_string(idle_days) + " days; the owner has no email", hash);
        } else {
          MailMessage mail{options.mail_from, facts.owner_email, "Your app " + hash + " will be deleted for inactivity",
                           WarningText(options, hash, facts, idle_days)};
          auto& odb = outbox->database();
          auto tx = db::Transaction::Begin(odb);
          if (!tx.ok()) return tx.error();
          if (auto s = outbox->Enqueue(hash, mail, options.now_unix); !s.ok()) return s.error();
          if (auto s = outbox->NoteWarned(hash, facts.activity_ts, options.now_unix); !s.ok()) return s.error();
          if (auto s = tx->Commit(); !s.ok()) return s.error();
        }
        if (facts.owner_email.empty()) {
          if (auto s = outbox->NoteWarned(hash, facts.activity_ts, options.now_unix); !s.ok()) return s.error();
        }
        AuditSystem(*db, "henv.inactive_warning", hash, details);
        Log(LogLevel::kInfo, "sweep: warned the owner (" + std::to_string(idle_days) + " days inactive)", hash);
        actions.push_back(SweepAction{hash, action, idle_days, facts.owner_email});
        continue;
      }
      AuditSystem(*db, "henv.trashed", hash, details);
    }  // the connection is closed before the folder moves
    std::error_code ec;
    std::filesystem::create_directories(options.storage_dir + "/.trash", ec);
    ::chmod((options.storage_dir + "/.trash").c_str(), 0700);
    const std::string target = options.storage_dir + "/.trash/" + hash + "." + std::to_string(options.now_unix);
    if (::rename(dir.c_str(), target.c_str()) != 0) {
      Log(LogLevel::kError, std::string("sweep: cannot move to the trash: ") + std::strerror(errno), hash);
      continue;
    }
    FsyncDirectoryOf(target);
    Log(LogLevel::kInfo, "sweep: moved to the trash (" + std::to_string(idle_days) + " days inactive): " + target, hash);
    if (options.on_trashed) options.on_trashed(hash);
    actions.push_back(SweepAction{hash, "delete", idle_days, target});
  }
  for (const TrashEntry& entry : ListTrash(options.storage_dir)) {
    if (options.now_unix - entry.trashed_at < int64_t{options.trash_days} * kDay) continue;
    if (!options.dry_run) {
      std::error_code ec;
      std::filesystem::remove_all(entry.path, ec);
      if (ec) {
        Log(LogLevel::kError, "sweep: cannot delete " + entry.path + ": " + ec.message(), entry.hash);
        continue;
      }
      Log(LogLevel::kInfo, "sweep: deleted for good: " + entry.path, entry.hash);
    }
    actions.push_back(SweepAction{entry.hash, "purge", (options.now_unix - entry.trashed_at) / kDay, entry.path});
  }
  return actions;
}

Status Untrash(const std::string& storage_dir, const std::string& hash) {
  if (!IsValidHenvHash(hash)) return Error::BadRequest("not a henv hash: " + hash);
  std::vector<TrashEntry> entries = ListTrash(storage_dir);
  const TrashEntry* newest = nullptr;
  for (const auto& entry : entries) {
    if (entry.hash == hash && (newest == nullptr || entry.trashed_at > newest->trashed_at)) newest = &entry;
  }
  if (newest == nullptr) return Error{"not_in_trash", "henv " + hash + " is not in the trash", 404};
  const std::string dir = storage_dir + "/" + hash;
  // rename(2) would replace an empty folder: refuse any existing one.
  struct stat st{};
  if (::stat(dir.c_str(), &st) == 0) return Error{"henv_exists", "henv " + hash + " exists", 409};
  if (::rename(newest->path.c_str(), dir.c_str()) != 0) {
    return Error::Internal(std::string("cannot move it back: ") + std::strerror(errno));
  }
  FsyncDirectoryOf(dir);
  db::Database::Options db_options;
  db_options.create = false;
  if (auto db = db::Database::Open(dir + "/index.db", db_options); db.ok()) {
    db->Seal(HenvSealedSchema());
    AuditSystem(*db, "henv.untrashed", hash, Json::MakeObject({{"from", Json(newest->path)}}));
  }
  Log(LogLevel::kInfo, "untrashed from " + newest->path, hash);
  return Ok{};
}

}  // namespace hbf::lifecycle
