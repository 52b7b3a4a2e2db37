#include "lifecycle/snapshot.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <tuple>

#include "db/database.h"
#include "henv/henv_hash.h"
#include "henv/schema.h"
#include "lifecycle/files.h"

namespace hbf::lifecycle {
namespace {

Error Invalid(std::string message) { return Error{"invalid_snapshot", std::move(message), 400}; }

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// A name the henv schema owns: a sealed table, a structural or maintained
// one (and FTS5's shadow tables of the latter), a system trigger.
bool IsSystemName(const std::string& raw) {
  const std::string name = Lower(raw);
  const db::SealedSchema& schema = HenvSealedSchema();
  for (const auto& prefix : schema.sealed_prefixes) {
    if (name.rfind(Lower(prefix), 0) == 0) return true;
  }
  for (const auto& t : schema.structural_tables) {
    if (name == t) return true;
  }
  for (const auto& t : schema.maintained_tables) {
    if (name == t || name.rfind(t + "_", 0) == 0) return true;
  }
  for (const auto& t : schema.system_triggers) {
    if (name == Lower(t)) return true;
  }
  return false;
}

using SchemaRow = std::tuple<std::string, std::string, std::string, std::string, bool>;  // type, name, table, sql, sql null

Result<std::vector<SchemaRow>> SchemaRows(db::Database& db) {
  auto stmt = db.PrepareUncached("SELECT type, name, tbl_name, sql FROM sqlite_master");
  if (!stmt.ok()) return stmt.error();
  std::vector<SchemaRow> rows;
  for (;;) {
    auto row = stmt->Step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    rows.emplace_back(stmt->Text(0), stmt->Text(1), stmt->Text(2), stmt->Text(3), stmt->IsNull(3));
  }
  return rows;
}

Result<std::string> ConfigValue(db::Database& db, const std::string& key) {
  auto v = db.QueryValue("SELECT value FROM _hbf_config WHERE key = ?", {key});
  if (!v.ok()) return v.error();
  if (!v->has_value()) return std::string();
  if (auto* text = std::get_if<std::string>(&**v)) return *text;
  if (auto* number = std::get_if<int64_t>(&**v)) return std::to_string(*number);
  return std::string();
}

Status SetConfigValue(db::Database& db, const std::string& key, const std::string& value) {
  auto stmt = db.PrepareUncached(
      "INSERT INTO _hbf_config (key, value, modified_at) VALUES (?, ?, unixepoch()) "
      "ON CONFLICT(key) DO UPDATE SET value = excluded.value, modified_at = excluded.modified_at");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, key).Bind(2, value);
  return stmt->Run();
}

int64_t ToInt(const std::string& text) {
  char* end = nullptr;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  return end == text.c_str() ? 0 : v;
}

// The file's page size, through a connection of its own.
Result<int64_t> PageSize(db::Database& db) {
  auto v = db.QueryValue("PRAGMA page_size");
  if (!v.ok()) return v.error();
  if (!v->has_value() || !std::holds_alternative<int64_t>(**v)) return Error::Internal("no page size");
  return std::get<int64_t>(**v);
}

Result<db::Database> OpenUntrusted(const std::string& path) {
  db::Database::Options options;
  options.create = false;
  auto db = db::Database::Open(path, options);
  if (!db.ok()) {
    if (db.error().code == "db_error" || db.error().code == "not_found") {
      return Invalid("the file is not an SQLite database: " + db.error().message);
    }
    return db.error();
  }
  // Not `trusted_schema = OFF`: the henv schema's own generated columns
  // call json_extract, which that setting refuses. What a foreign schema
  // could add is checked instead (CheckSnapshot), and a henv connection has
  // no function with side effects (no extensions, DEFENSIVE).
  return db;
}

}  // namespace

Status WriteSnapshot(const std::string& db_path, const std::string& hash, const std::string& dest_path) {
  const std::string partial = dest_path + ".partial";
  ScratchFile scratch(partial);  // removed unless published
  RemoveDatabaseFiles(partial);
  {
    int fd = ::open(partial.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
    if (fd < 0) return Error::Internal("cannot create " + partial + ": " + std::strerror(errno));
    ::close(fd);
  }
  {
    db::Database::Options options;
    options.create = false;
    auto source = db::Database::Open(db_path, options);
    if (!source.ok()) {
      if (source.error().code == "not_found") return Error{"henv_not_found", "no henv at " + db_path, 404};
      return source.error();
    }
    source->Seal(HenvSealedSchema());
    auto dest = db::Database::Open(partial);
    if (!dest.ok()) return dest.error();
    if (auto s = source->CopyTo(*dest); !s.ok()) return s;
    if (auto s = SetConfigValue(*dest, "henv_hash", hash); !s.ok()) return s;
    // One self-contained file: no WAL beside it once this connection closes.
    if (auto s = dest->Exec("PRAGMA journal_mode = DELETE"); !s.ok()) return s;
  }
  if (auto s = FsyncFile(partial); !s.ok()) return s;
  if (::rename(partial.c_str(), dest_path.c_str()) != 0) {
    return Error::Internal("cannot rename " + partial + " to " + dest_path + ": " + std::strerror(errno));
  }
  scratch.Release();
  FsyncDirectoryOf(dest_path);
  return Ok{};
}

Result<std::string> SnapshotBytes(const std::string& db_path, const std::string& hash,
                                  const std::string& scratch_path) {
  ScratchFile scratch(scratch_path);
  if (auto s = WriteSnapshot(db_path, hash, scratch_path); !s.ok()) return s.error();
  std::ifstream in(scratch_path, std::ios::binary);
  if (!in) return Error::Internal("cannot read the snapshot back");
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

Result<SnapshotInfo> CheckSnapshot(const std::string& working_path, const CheckOptions& options) {
  SnapshotInfo info;
  struct stat st{};
  if (::stat(working_path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return Invalid("no snapshot file");
  info.bytes = st.st_size;
  if (options.max_bytes > 0 && info.bytes > options.max_bytes) {
    return Error{"payload_too_large",
                 "the snapshot is larger than a henv may be (" + std::to_string(options.max_bytes) + " bytes)", 413};
  }
  {
    char header[16] = {};
    std::ifstream in(working_path, std::ios::binary);
    in.read(header, sizeof header);
    if (in.gcount() != sizeof header || std::memcmp(header, "SQLite format 3", 16) != 0) {
      return Invalid("the file is not an SQLite database");
    }
  }
  {
    auto db = OpenUntrusted(working_path);
    if (!db.ok()) return db.error();
    auto integrity = db->QueryTexts("PRAGMA integrity_check");
    if (!integrity.ok()) return Error{"snapshot_corrupt", "integrity check failed: " + integrity.error().message, 400};
    if (integrity->size() != 1 || (*integrity)[0] != "ok") {
      return Error{"snapshot_corrupt",
                   "integrity check failed: " + (integrity->empty() ? std::string("no answer") : (*integrity)[0]), 400};
    }
    auto version = SchemaVersion(*db);
    if (!version.ok()) return Invalid("not a henv: " + version.error().message);
    if (*version <= 0) return Invalid("not a henv: it has no henv schema");
    if (*version > kLatestSchemaVersion) {
      return Error{"schema_too_new",
                   "the snapshot's schema (v" + std::to_string(*version) + ") is newer than this hbf knows (v" +
                       std::to_string(kLatestSchemaVersion) + ")",
                   400};
    }
    info.schema_version = *version;

    // HBF's own objects exactly as the schema makes them at that version,
    // and nothing added over them: the sealed-schema rules assume it.
    auto reference = db::Database::Open(":memory:");
    if (!reference.ok()) return reference.error();
    if (auto s = Migrate(*reference, *version); !s.ok()) return s.error();
    auto expected = SchemaRows(*reference);
    if (!expected.ok()) return expected.error();
    auto found = SchemaRows(*db);
    if (!found.ok()) return Invalid("cannot read its schema: " + found.error().message);
    std::set<SchemaRow> found_set(found->begin(), found->end());
    std::set<std::string> expected_names;
    for (const auto& row : *expected) {
      expected_names.insert(Lower(std::get<1>(row)));
      if (found_set.count(row) == 0) {
        return Invalid("not a henv of schema v" + std::to_string(*version) + ": " + std::get<0>(row) + " " +
                       std::get<1>(row) + " is missing or altered");
      }
    }
    for (const auto& row : *found) {
      const std::string& name = std::get<1>(row);
      if (expected_names.count(Lower(name)) != 0) continue;
      if (IsSystemName(name) || IsSystemName(std::get<2>(row))) {
        return Invalid(std::get<0>(row) + " " + name + " is not part of the henv schema");
      }
    }

    auto owners = db->QueryTexts("SELECT username FROM _hbf_users WHERE role = 'owner'");
    if (!owners.ok()) return Invalid("cannot read its users: " + owners.error().message);
    if (owners->size() != 1) return Invalid("a henv has exactly one owner; this file has " + std::to_string(owners->size()));
    info.owner = (*owners)[0];
    auto stamped = ConfigValue(*db, "henv_hash");
    if (!stamped.ok()) return Invalid("cannot read its settings: " + stamped.error().message);
    info.henv_hash = *stamped;
    if (!info.henv_hash.empty() && !IsValidHenvHash(info.henv_hash)) return Invalid("its henv_hash is not a henv hash");
    if (!options.expected_hash.empty() && !info.henv_hash.empty() && info.henv_hash != options.expected_hash) {
      return Error{"henv_mismatch",
                   "the snapshot is of henv " + info.henv_hash + ", not " + options.expected_hash, 400};
    }
    if (auto s = Migrate(*db); !s.ok()) return Invalid("cannot bring it to the current schema: " + s.error().message);
    if (auto s = db->Exec("PRAGMA journal_mode = DELETE"); !s.ok()) return s.error();
  }
  return info;
}

Status RestoreInto(const std::string& live_db_path, const std::string& working_path,
                   std::chrono::milliseconds busy_wait) {
  db::Database::Options options;
  options.create = false;
  auto live = db::Database::Open(live_db_path, options);
  if (!live.ok()) return live.error();
  live->Seal(HenvSealedSchema());
  auto working = OpenUntrusted(working_path);
  if (!working.ok()) return working.error();
  // Every worker of the code running now must go: the restored code gets a
  // version above both.
  auto live_version = ConfigValue(*live, "code_version");
  if (!live_version.ok()) return live_version.error();
  auto snapshot_version = ConfigValue(*working, "code_version");
  if (!snapshot_version.ok()) return snapshot_version.error();
  const int64_t next = std::max(ToInt(*live_version), ToInt(*snapshot_version)) + 1;
  if (auto s = SetConfigValue(*working, "code_version", std::to_string(next)); !s.ok()) return s;
  // A WAL file takes a copy only of its own page size.
  auto live_page = PageSize(*live);
  if (!live_page.ok()) return live_page.error();
  auto working_page = PageSize(*working);
  if (!working_page.ok()) return working_page.error();
  if (*live_page != *working_page) {
    if (auto s = working->Exec("PRAGMA journal_mode = DELETE; PRAGMA page_size = " + std::to_string(*live_page) +
                               "; VACUUM");
        !s.ok()) {
      return s;
    }
  }
  return working->CopyTo(*live, busy_wait);
}

Result<SnapshotInfo> PlaceSnapshot(const std::string& source_path, const PlaceOptions& options) {
  std::optional<ScratchFile> owned_source;
  if (options.consume_source) owned_source.emplace(source_path);
  if (!options.hash.empty() && !IsValidHenvHash(options.hash)) {
    return Error::BadRequest("not a henv hash: " + options.hash);
  }
  std::string working_path = source_path;
  std::optional<ScratchFile> working;
  if (!options.consume_source) {
    auto made = MakeScratchCopy(source_path, options.storage_dir);
    if (!made.ok()) return made.error();
    working_path = *made;
    working.emplace(working_path);
  }
  CheckOptions check = options.check;
  if (check.expected_hash.empty()) check.expected_hash = options.hash;
  auto info = CheckSnapshot(working_path, check);
  if (!info.ok()) return info;
  const std::string hash = options.hash.empty() ? info->henv_hash : options.hash;
  if (hash.empty()) {
    return Error{"henv_unknown", "the snapshot does not say which henv it is: name it (--henv HASH)", 400};
  }
  const std::string dir = options.storage_dir + "/" + hash;
  const std::string live = dir + "/index.db";
  struct stat st{};
  const bool exists = ::stat(live.c_str(), &st) == 0 && S_ISREG(st.st_mode);
  if (exists && !options.replace) {
    return Error{"henv_exists", "henv " + hash + " already exists (--replace replaces it)", 409};
  }
  if (!exists && !options.create) return Error{"henv_not_found", "no henv " + hash + " in " + options.storage_dir, 404};
  if (auto s = SetHenvHashStamp(working_path, hash, options.stamp_activity_at); !s.ok()) return s.error();
  info->henv_hash = hash;
  if (exists) {
    if (auto s = RestoreInto(live, working_path); !s.ok()) return s.error();
    return info;
  }
  // A new henv: claim the folder as HenvManager::Create does, then publish
  // the complete file under its final name.
  if (::mkdir(dir.c_str(), 0700) != 0) {
    if (errno == EEXIST) return Error{"henv_exists", "henv " + hash + " already exists", 409};
    return Error::Internal("cannot create " + dir + ": " + std::strerror(errno));
  }
  ::chmod(dir.c_str(), 0700);
  ::chmod(working_path.c_str(), 0600);
  if (auto s = FsyncFile(working_path); !s.ok()) return s.error();
  if (::rename(working_path.c_str(), live.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    std::error_code ec;
    std::filesystem::remove(dir, ec);
    return Error::Internal("cannot publish the henv file: " + why);
  }
  if (working) working->Release();
  if (owned_source) owned_source->Release();
  FsyncDirectoryOf(live);
  return info;
}

Status SetHenvHashStamp(const std::string& path, const std::string& hash, int64_t activity_at) {
  auto db = OpenUntrusted(path);
  if (!db.ok()) return db.error();
  if (auto s = SetConfigValue(*db, "henv_hash", hash); !s.ok()) return s;
  if (activity_at > 0) {
    if (auto s = SetConfigValue(*db, "last_activity_ts", std::to_string(activity_at)); !s.ok()) return s;
  }
  return db->Exec("PRAGMA journal_mode = DELETE");
}

}  // namespace hbf::lifecycle
