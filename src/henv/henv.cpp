#include "henv/henv.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <ctime>

namespace hbf {
namespace {
// `relative` from `dir` when it is an open directory, else `path`: how a
// henv's files are looked at (Henv::LookFrom).
int StatAt(const UniqueFd* dir, const std::string& relative, const std::string& path, struct stat& st) {
  return dir != nullptr && dir->get() >= 0 ? ::fstatat(dir->get(), relative.c_str(), &st, 0)
                                           : ::stat(path.c_str(), &st);
}
}  // namespace

std::atomic<int> Henv::live_count_{0};

Henv::Henv(std::string hash, db::Database db, std::shared_ptr<db::ChangeListener> changes,
           std::weak_ptr<Reopener> reopener)
    : hash_(std::move(hash)),
      path_(db.path()),
      wal_path_(path_ + "-wal"),
      changes_(std::move(changes)),
      db_(std::move(db)),
      reopener_(std::move(reopener)),
      documents_epoch_(db::DocumentsEpoch::For(path_)) {
  db_.WatchDocumentWrites();
  connection_open_.store(db_.is_open(), std::memory_order_release);
  if (db_.is_open()) live_count_.fetch_add(1, std::memory_order_relaxed);
  RefreshCodeVersion(db_);
}

std::shared_ptr<const UniqueFd> Henv::OpenLookDir(const std::string& path) {
  return std::make_shared<const UniqueFd>(::open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
}

void Henv::LookFrom(std::shared_ptr<const UniqueFd> dir, std::string relative_db) {
  if (dir == nullptr || dir->get() < 0) return;
  look_dir_ = std::move(dir);
  look_wal_ = relative_db + "-wal";
  look_db_ = std::move(relative_db);
}

bool Henv::RegularFileAt(const UniqueFd* dir, const std::string& relative, const std::string& path) {
  struct stat st{};
  return StatAt(dir, relative, path, st) == 0 && S_ISREG(st.st_mode);
}

Henv::FileLook Henv::Look(bool wal) const {
  FileLook look;
  struct stat st{};
  if (!wal) file_looks_.fetch_add(1, std::memory_order_relaxed);
  if (StatAt(look_dir_.get(), wal ? look_wal_ : look_db_, wal ? wal_path_ : path_, st) != 0) return look;
  look.exists = true;
  look.regular = S_ISREG(st.st_mode);
  look.device = st.st_dev;
  look.inode = st.st_ino;
  look.size = st.st_size;
  look.mtime_ns = int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec;
  return look;
}

void Henv::ConnectLocked() {
  if (db_.is_open()) return;
  std::shared_ptr<Reopener> reopener = reopener_.lock();
  if (!reopener) return;
  const int64_t bound = db_.max_size_bytes();
  Result<db::Database> db = reopener->OpenConnection(hash_);
  if (!db.ok()) return;  // logged there; the caller's statements fail "db_unavailable"
  db_ = std::move(*db);
  db_.WatchDocumentWrites();
  if (bound != db_.max_size_bytes()) (void)db_.SetMaxSize(bound);
  reopened_ = true;
  connection_open_.store(true, std::memory_order_release);
  live_count_.fetch_add(1, std::memory_order_relaxed);
  // The next foreign-commit look compares with this connection's first
  // data_version, taken before the file's look below: a commit after it
  // shows in that look or in the next data_version.
  data_version_ = -1;
  wal_stamp_.reset();  // (a new connection: its first look sets both)
  if (auto v = db_.QueryValue("PRAGMA data_version"); v.ok() && v->has_value() && std::holds_alternative<int64_t>(**v)) {
    data_version_ = std::get<int64_t>(**v);
  }
  next_foreign_check_ = std::chrono::steady_clock::now() + kForeignCommitCheckInterval;
  // (before the look: a commit after it shows in the look or in this header)
  const std::optional<db::Database::WalStamp> stamp = db_.WalIndexStamp();
  // Unchanged since the close: what is cached from the file is still its
  // (settings, code version, the binds' kept reads, from this header on),
  // and what was derived at the current epoch stays valid. Otherwise the
  // file is read afresh.
  const bool unchanged =
      closed_settled_ && data_version_ != -1 && Look(false) == closed_db_ && Look(true) == closed_wal_;
  if (stamp.has_value() && !bind_reads_.stamp.has_value() && bind_reads_.look == closed_db_) {
    if (unchanged) {
      bind_reads_.stamp = stamp;
      bind_reads_.look = {};
    } else {
      bind_reads_ = {};
    }
  }
  unchanged_until_ns_.store(0, std::memory_order_release);
  settings_changes_ = db_.TotalChanges();
  if (!unchanged) {
    data_version_ = -1;
    next_foreign_check_ = {};
    RefreshCodeVersion(db_);
  }
  reopener->Reopened(*this);
}

void Henv::CloseLocked() {
  // The answers kept for binds hold for the closed file if nothing was
  // committed since they were read (see ReadForBind).
  const bool bind_reads_current = bind_reads_.stamp.has_value() && db_.WalIndexStamp() == bind_reads_.stamp;
  db_.CloseNow();
  // Watched from before the look below on: a change after it is counted.
  if (watch_ == nullptr && watcher_ != nullptr) {
    const size_t slash = path_.rfind('/');
    if (slash != std::string::npos) watch_ = watcher_->Add(path_.substr(0, slash), path_.substr(slash + 1));
  }
  if (watch_ != nullptr) watch_changes_ = watch_->changes();
  reopened_ = false;
  connection_open_.store(false, std::memory_order_release);
  live_count_.fetch_sub(1, std::memory_order_relaxed);
  // A write after this close must show in the file's look. It shows in the
  // WAL's size (empty now), and once a checkpoint folds it in, in the
  // file's modification time - which is only as fine as the file system's
  // clock tick (jiffies; whole seconds on some): so trust the look only
  // when the file's last write was well before the close.
  closed_settled_ = SettledNow(closed_db_, closed_wal_);
  if (bind_reads_.stamp.has_value()) {
    // (a stamp is only good for the connection it was read through)
    if (bind_reads_current && closed_settled_) {
      bind_reads_.stamp.reset();
      bind_reads_.look = closed_db_;
    } else {
      bind_reads_ = {};
    }
  }
}

bool Henv::TryCloseConnection() {
  std::unique_lock lock(mu_, std::try_to_lock);
  if (!lock.owns_lock()) return false;
  if (!db_.is_open()) return true;
  if (db_.InTransaction()) return false;  // (not outside WithDb; never close under a writer)
  CloseLocked();
  return true;
}

int64_t Henv::SteadyNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int64_t Henv::NextSettingsLookNs(int64_t now_ns) {
  return now_ns + std::chrono::duration_cast<std::chrono::nanoseconds>(kForeignCommitCheckInterval).count();
}

bool Henv::UnchangedSinceClose() {
  const int64_t now_ns = SteadyNowNs();
  if (now_ns < unchanged_until_ns_.load(std::memory_order_acquire)) return true;
  std::unique_lock lock(mu_, std::try_to_lock);
  if (!lock.owns_lock()) return false;
  return UnchangedSinceCloseLocked(now_ns);
}

bool Henv::StillOnDisk() {
  std::unique_lock lock(mu_, std::try_to_lock);
  // Nothing in its folder moved or went since it was last found there.
  if (lock.owns_lock() && watch_ != nullptr && on_disk_changes_ && watch_->UnchangedSince(*on_disk_changes_)) {
    return true;
  }
  const int64_t now_ns = SteadyNowNs();
  const std::optional<uint64_t> changes =
      lock.owns_lock() && watch_ != nullptr ? std::optional<uint64_t>(watch_->changes()) : std::nullopt;
  const FileLook file = Look(false);
  if (!file.exists || !file.regular) return false;
  if (lock.owns_lock()) on_disk_changes_ = changes;
  // (dormant and settled, with its look for changes due: this look is its file's)
  if (lock.owns_lock()) (void)UnchangedSinceCloseLocked(now_ns, &file);
  return true;
}

bool Henv::UnchangedSinceCloseLocked(int64_t now_ns, const FileLook* file) {
  if (db_.is_open() || !closed_settled_) return false;
  if (now_ns < unchanged_until_ns_.load(std::memory_order_acquire)) return true;
  // Watched, and nothing written, moved or touched in its folder since the
  // close's look or the last look that found it the same: no look now.
  if (watch_ != nullptr && watch_->UnchangedSince(watch_changes_)) {
    unchanged_until_ns_.store(NextSettingsLookNs(now_ns), std::memory_order_release);
    return true;
  }
  // (the count before the look: a change after the look moves it again)
  const uint64_t changes = watch_ != nullptr ? watch_->changes() : 0;
  if ((file != nullptr ? *file : Look(false)) == closed_db_ && Look(true) == closed_wal_) {
    if (watch_ != nullptr) watch_changes_ = changes;
    unchanged_until_ns_.store(NextSettingsLookNs(now_ns), std::memory_order_release);
    return true;
  }
  closed_settled_ = false;  // changed: only a reopen reads it now
  return false;
}

bool Henv::SettledNow(FileLook& db, FileLook& wal) const {
  db = Look(false);
  wal = Look(true);
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  const int64_t now_ns = int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec;
  return db.exists && (!wal.exists || wal.size == 0) &&
         now_ns - db.mtime_ns >= std::chrono::duration_cast<std::chrono::nanoseconds>(kSettledBeforeClose).count();
}

const Henv::BindRead* Henv::KeptBindRead(const std::string& sql, const std::string& path) const {
  for (const BindRead& kept : bind_reads_.reads) {
    if (kept.sql == sql && kept.path == path) return &kept;
  }
  return nullptr;
}

std::optional<Result<std::optional<db::Value>>> Henv::ReadForBind(const std::string& sql, const std::string& path) {
  std::unique_lock lock(mu_, std::try_to_lock);
  if (!lock.owns_lock()) return std::nullopt;
  // The WAL index's header before the read: a commit after this look shows
  // as another header at the next.
  std::optional<db::Database::WalStamp> stamp;
  if (db_.is_open()) {
    stamp = db_.WalIndexStamp();
    if (stamp.has_value() && stamp == bind_reads_.stamp) {
      if (const BindRead* kept = KeptBindRead(sql, path)) return Result<std::optional<db::Value>>(kept->value);
    }
  } else if (!bind_reads_.reads.empty() && !bind_reads_.stamp.has_value() && bind_reads_.look == closed_db_ &&
             UnchangedSinceCloseLocked(SteadyNowNs())) {
    // Dormant: the file is as it was at a close after these reads with
    // nothing committed between (or, without a WAL index, as they found it
    // settled), and unchanged since.
    if (const BindRead* kept = KeptBindRead(sql, path)) return Result<std::optional<db::Value>>(kept->value);
  }
  if (!db_.is_open()) {
    ConnectLocked();  // (which carries the other kept reads over if the file is as at the close)
    if (db_.is_open()) stamp = db_.WalIndexStamp();
  }
  bind_file_reads_.fetch_add(1, std::memory_order_relaxed);
  ReadOnlyUse use(*this);
  Result<std::optional<db::Value>> read = db_.QueryValue(sql, {path});
  if (!read.ok() || !db_.is_open()) return read;
  if (stamp.has_value()) {
    if (stamp != bind_reads_.stamp) bind_reads_ = BindReads{{}, stamp, {}, 0};
  } else {
    // No WAL index to look at (a file in another journal mode, read-only
    // storage): kept while the file looks as it did, settled (its last write
    // kSettledBeforeClose ago, an empty WAL): a write after would show.
    FileLook look, wal;
    if (!SettledNow(look, wal)) {
      bind_reads_ = {};
      return read;
    }
    if (look != bind_reads_.look || bind_reads_.stamp.has_value()) bind_reads_ = BindReads{look, std::nullopt, {}, 0};
  }
  size_t bytes = sql.size() + path.size();
  if (read->has_value()) {
    if (const auto* text = std::get_if<std::string>(&**read)) bytes += text->size();
    if (const auto* blob = std::get_if<db::Blob>(&**read)) bytes += blob->size();
  }
  if (KeptBindRead(sql, path) == nullptr && bind_reads_.bytes + bytes <= kBindReadsBytes) {
    bind_reads_.reads.push_back(BindRead{sql, path, *read});
    bind_reads_.bytes += bytes;
  }
  return read;
}

void Henv::RefreshCodeVersion(db::Database& db) {
  // Whoever wrote code may have written other documents too, also without
  // rows (a restore's page copy), or another process did (a foreign commit).
  documents_epoch_->Bump();
  settings_valid_ = false;  // whoever wrote code may have written settings too
  settings_epoch_.fetch_add(1, std::memory_order_release);
  auto v = db.QueryValue("SELECT CAST(value AS INTEGER) FROM _hbf_config WHERE key = 'code_version'");
  if (v.ok() && v->has_value() && std::holds_alternative<int64_t>(**v)) {
    code_version_.store(std::get<int64_t>(**v), std::memory_order_release);
  }
}

void Henv::RefreshIfChangedElsewhere(db::Database& db) {
  // PRAGMA data_version starts a read transaction (WAL shared-memory locks:
  // fcntl calls), which cost ~10% of a small script request when asked every
  // time. Other processes' commits are rare (the CLI, a restore): look for
  // them at most every kForeignCommitCheckInterval.
  const auto now_time = std::chrono::steady_clock::now();
  if (now_time < next_foreign_check_) return;
  next_foreign_check_ = now_time + kForeignCommitCheckInterval;
  // Over many henvs each one's look falls due at nearly every request
  // (1,000 henvs at 9,000 requests a second: every ~110 ms). Nothing was
  // committed since the last look, by anyone, while the WAL index's header
  // in shared memory reads as it did then: a 48-byte read instead of a
  // read transaction. Taken before the look, so a commit between the two
  // shows in this look or makes the next stamp differ. (wal_stamp_ is set
  // only with a data_version read, and reset with it.)
  const std::optional<db::Database::WalStamp> stamp = db.WalIndexStamp();
  if (stamp && wal_stamp_ && *stamp == *wal_stamp_) return;
  auto v = db.QueryValue("PRAGMA data_version");
  if (!v.ok() || !v->has_value() || !std::holds_alternative<int64_t>(**v)) return;
  wal_stamp_ = stamp;
  int64_t now = std::get<int64_t>(**v);
  if (now != data_version_) {
    data_version_ = now;
    settings_valid_ = false;
    settings_epoch_.fetch_add(1, std::memory_order_release);
    RefreshCodeVersion(db);
  }
}

std::optional<std::string> Henv::Setting(db::Database& db, const std::string& key) {
  RefreshSettings(db);
  auto it = settings_.find(key);
  if (it == settings_.end()) return std::nullopt;
  return it->second;
}

void Henv::RefreshSettings(db::Database& db) {
  RefreshIfChangedElsewhere(db);
  const int64_t changes = db.TotalChanges();
  if (!settings_valid_ || changes != settings_changes_) {
    settings_.clear();
    auto stmt = db.Prepare("SELECT key, value FROM _hbf_config");
    bool complete = stmt.ok();
    while (complete) {
      auto row = stmt->Step();
      if (!row.ok()) complete = false;
      if (!complete || !*row) break;
      settings_[stmt->Text(0)] = stmt->Text(1);
    }
    settings_valid_ = complete;  // a failed read is retried next time
    settings_changes_ = changes;
    settings_epoch_.fetch_add(1, std::memory_order_release);
  }
}

void Henv::InvalidateSettings() {
  settings_valid_ = false;
  settings_epoch_.fetch_add(1, std::memory_order_release);
}

std::optional<int64_t> ParseSettingInt(const std::string& text) {
  char* end = nullptr;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (end == text.c_str() || *end != '\0') return std::nullopt;
  return v;
}

int64_t Henv::SettingInt(db::Database& db, const std::string& key, int64_t fallback) {
  auto text = Setting(db, key);
  if (!text) return fallback;
  return ParseSettingInt(*text).value_or(fallback);
}

void Henv::RefreshCodeVersion() {
  WithDb([this](db::Database& db) { RefreshCodeVersion(db); });
}

Henv::~Henv() {
  if (db_.is_open()) live_count_.fetch_sub(1, std::memory_order_relaxed);
}

bool Henv::TryReleaseMemory() {
  std::unique_lock lock(mu_, std::try_to_lock);
  if (!lock.owns_lock()) return false;
  db_.ReleaseMemory();  // (nothing to release while closed)
  return true;
}

bool Henv::ShouldStampActivity(int64_t now_unix, int64_t interval) {
  int64_t last = last_activity_stamp_.load(std::memory_order_relaxed);
  if (now_unix - last < interval) return false;
  return last_activity_stamp_.compare_exchange_strong(last, now_unix);
}

}  // namespace hbf
