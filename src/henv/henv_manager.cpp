#include "henv/henv_manager.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "core/heap_trim.h"
#include "core/log.h"
#include "henv/henv_hash.h"
#include "henv/schema.h"

namespace hbf {
namespace {

constexpr const char* kDatabaseName = "index.db";
constexpr const char* kCreatingName = "index.db.creating";
// A create takes well under a second; one whose file is this old died.
constexpr time_t kAbandonedCreateSeconds = 60;

void FsyncPath(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

void RemoveQuietly(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

}  // namespace

std::atomic<int> Henv::live_count_{0};

Henv::Henv(std::string hash, db::Database db, std::shared_ptr<db::ChangeListener> changes)
    : hash_(std::move(hash)), path_(db.path()), changes_(std::move(changes)), db_(std::move(db)) {
  live_count_.fetch_add(1, std::memory_order_relaxed);
  RefreshCodeVersion(db_);
}

void Henv::RefreshCodeVersion(db::Database& db) {
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
  auto v = db.QueryValue("PRAGMA data_version");
  if (!v.ok() || !v->has_value() || !std::holds_alternative<int64_t>(**v)) return;
  int64_t now = std::get<int64_t>(**v);
  if (now != data_version_) {
    data_version_ = now;
    settings_valid_ = false;
    settings_epoch_.fetch_add(1, std::memory_order_release);
    RefreshCodeVersion(db);
  }
}

std::optional<std::string> Henv::Setting(db::Database& db, const std::string& key) {
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
  auto it = settings_.find(key);
  if (it == settings_.end()) return std::nullopt;
  return it->second;
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

Henv::~Henv() { live_count_.fetch_sub(1, std::memory_order_relaxed); }

bool Henv::TryReleaseMemory() {
  std::unique_lock lock(mu_, std::try_to_lock);
  if (!lock.owns_lock()) return false;
  db_.ReleaseMemory();
  return true;
}

bool Henv::ShouldStampActivity(int64_t now_unix, int64_t interval) {
  int64_t last = last_activity_stamp_.load(std::memory_order_relaxed);
  if (now_unix - last < interval) return false;
  return last_activity_stamp_.compare_exchange_strong(last, now_unix);
}

HenvManager::HenvManager(HenvManagerOptions options, SteadyNow now)
    : options_(std::move(options)), now_(std::move(now)) {
  if (options_.start_janitor) janitor_ = std::thread([this] { JanitorLoop(); });
}

HenvManager::~HenvManager() {
  {
    std::lock_guard lock(janitor_mu_);
    stopping_ = true;
  }
  janitor_cv_.notify_all();
  if (janitor_.joinable()) janitor_.join();
  CloseAll();
}

std::string HenvManager::DatabasePath(const std::string& hash) const {
  return options_.storage_dir + "/" + hash + "/" + kDatabaseName;
}

bool HenvManager::ExistsOnDisk(const std::string& hash) const {
  struct stat st{};
  return ::stat(DatabasePath(hash).c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

Result<std::shared_ptr<Henv>> HenvManager::Create(const std::string& hash,
                                                  const std::function<Status(db::Database&)>& initialize) {
  if (!IsValidHenvHash(hash)) return Error::BadRequest("invalid henv hash");
  const std::string dir = options_.storage_dir + "/" + hash;
  if (::mkdir(dir.c_str(), 0700) != 0) {
    if (errno != EEXIST) return Error::FromErrno(errno, std::string("cannot create the henv's folder: ") + std::strerror(errno));
    // A folder without index.db is a create in progress - or one that died
    // half way (crash, power loss). Reclaim it once it is clearly abandoned.
    struct stat st{};
    const std::string stale = dir + "/" + kCreatingName;
    const bool abandoned = !ExistsOnDisk(hash) && ::stat(stale.c_str(), &st) == 0 &&
                           ::time(nullptr) - st.st_mtime > kAbandonedCreateSeconds;
    if (!abandoned) return Error{"henv_exists", "henv " + hash + " already exists", 409};
    Log(LogLevel::kWarn, "reclaiming an abandoned half-created henv", hash);
    RemoveQuietly(dir);
    if (::mkdir(dir.c_str(), 0700) != 0) return Error{"henv_exists", "henv " + hash + " already exists", 409};
  }
  ::chmod(dir.c_str(), 0700);  // whatever the umask said

  const std::string creating = dir + "/" + kCreatingName;
  auto fail = [&](Error e) -> Result<std::shared_ptr<Henv>> {
    RemoveQuietly(dir);
    return e;
  };
  // Pre-create the file so it is 0600 from its first byte; SQLite gives its
  // -wal and -shm files the same mode.
  int fd = ::open(creating.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0) return fail(Error::FromErrno(errno, std::string("cannot create the henv's file: ") + std::strerror(errno)));
  ::close(fd);
  {
    auto db = db::Database::Open(creating);
    if (!db.ok()) return fail(db.error());
    db->Seal(HenvSealedSchema());
    if (auto s = Migrate(*db); !s.ok()) return fail(s.error());
    auto tx = db::Transaction::Begin(*db);
    if (!tx.ok()) return fail(tx.error());
    if (auto s = initialize(*db); !s.ok()) return fail(s.error());
    if (auto s = tx->Commit(); !s.ok()) return fail(s.error());
    // Fold the WAL back into the file so that one file is the whole henv.
    if (auto s = db->Exec("PRAGMA wal_checkpoint(TRUNCATE)"); !s.ok()) return fail(s.error());
  }  // closed: SQLite removes the -wal and -shm files
  FsyncPath(creating);
  if (::rename(creating.c_str(), (dir + "/" + kDatabaseName).c_str()) != 0) {
    return fail(Error::FromErrno(errno, std::string("cannot publish the henv file: ") + std::strerror(errno)));
  }
  FsyncPath(dir);
  return Open(hash);
}

Result<std::shared_ptr<Henv>> HenvManager::Open(const std::string& hash) {
  // Evicted henvs are released after the lock: closing the last connection
  // of a WAL database checkpoints it, which must not stall other opens.
  std::vector<std::shared_ptr<Henv>> evicted;
  {
    std::unique_lock lock(mu_);
    for (;;) {
      if (auto it = open_.find(hash); it != open_.end()) {
        const auto now = now_();
        // The file may have been moved away by another process (the
        // inactivity sweep's trash): looked for at most once a second, so
        // a trashed henv stops being served within about a second.
        if (now - it->second.checked_on_disk >= kOnDiskCheckInterval) {
          it->second.checked_on_disk = now;
          if (!ExistsOnDisk(hash)) {
            evicted.push_back(std::move(it->second.henv));
            lru_.erase(it->second.lru_position);
            open_.erase(it);
            open_count_.store(open_.size(), std::memory_order_relaxed);
            return Error{"henv_not_found", "no henv " + hash + " on this server", 404};
          }
        }
        MarkUsedLocked(it->second, now);
        return it->second.henv;
      }
      // Someone else is opening this one: wait for it rather than open the
      // file twice. Other henvs are not held up.
      if (opening_.count(hash) == 0) break;
      opened_.wait(lock);
    }
    opening_.insert(hash);
  }
  // Opening happens outside the lock: a migration, or a file whose writer
  // lock is held by a long transaction, delays this henv only, never every
  // tenant's requests (it used to: 3.75 s for all while one henv migrated).
  // keep = false: served to this request only, never cached (a henv read
  // from read-only storage: once it is writable the next Open is read-write).
  auto finish = [&](Result<std::shared_ptr<Henv>> outcome, bool keep = true) {
    {
      std::lock_guard lock(mu_);
      opening_.erase(hash);
      if (outcome.ok() && keep) {
        const auto now = now_();
        auto it = open_.emplace(hash, Entry{*outcome, {}, now, now}).first;
        lru_.push_front(&*it);
        it->second.lru_position = lru_.begin();
        EvictOverCapacityLocked(evicted);
        open_count_.store(open_.size(), std::memory_order_relaxed);
      }
    }
    opened_.notify_all();
    return outcome;
  };
  if (!IsValidHenvHash(hash) || !ExistsOnDisk(hash)) {
    return finish(Error{"henv_not_found", "no henv " + hash + " on this server", 404});
  }
  db::Database::Options db_options;
  db_options.create = false;
  db_options.keep_wal_files = true;  // opened and closed all day
  auto db = db::Database::Open(DatabasePath(hash), db_options);
  if (db.ok()) {
    db->Seal(HenvSealedSchema());
    (void)db->SetMaxSize(options_.max_storage_bytes);
  }
  if (!db.ok()) {
    Log(LogLevel::kError, "cannot open henv database: " + db.error().message, hash);
    if (Error::IsStorageFault(db.error())) return finish(db.error());
    return finish(Error{"henv_unavailable", "henv " + hash + " cannot be opened", 503});
  }
  if (auto s = Migrate(*db); !s.ok()) {
    db->KeepWalFiles(false);  // a refused file is left as it was found
    Log(LogLevel::kError, "cannot migrate henv: " + s.error().message, hash);
    if (s.error().code == "schema_too_new") return finish(Error{"henv_unavailable", s.error().message, 503});
    if (Error::IsStorageFault(s.error())) return finish(s.error());
    return finish(Error{"henv_unavailable", "henv " + hash + " cannot be opened", 503});
  }
  const bool keep = !db->storage_read_only();
  if (change_listener_) db->CaptureChanges(change_listener_, hash);
  return finish(std::make_shared<Henv>(hash, std::move(*db), change_listener_), keep);
}

void HenvManager::EvictOverCapacityLocked(std::vector<std::shared_ptr<Henv>>& evicted) {
  while (open_.size() > options_.max_open && !lru_.empty()) {
    auto it = open_.find(lru_.back()->first);
    lru_.pop_back();
    evicted.push_back(std::move(it->second.henv));
    open_.erase(it);
  }
}

size_t HenvManager::CloseIdle() {
  std::vector<std::shared_ptr<Henv>> closing;  // destroyed outside the lock
  std::lock_guard lock(mu_);
  auto cutoff = now_() - options_.idle_timeout;
  while (!lru_.empty()) {
    if (lru_.back()->second.last_used > cutoff) break;  // the rest are more recent
    auto it = open_.find(lru_.back()->first);
    lru_.pop_back();
    closing.push_back(std::move(it->second.henv));
    open_.erase(it);
  }
  open_count_.store(open_.size(), std::memory_order_relaxed);
  return closing.size();
}

size_t HenvManager::ReleaseIdleMemory() {
  std::vector<std::shared_ptr<Henv>> idle;
  {
    std::lock_guard lock(mu_);
    const auto cutoff = now_() - kReleaseMemoryAfterIdle;
    // From the most recently used: past the busy ones, up to the first
    // entry an earlier pass released (all behind it were released then).
    for (auto* node : lru_) {
      Entry& entry = node->second;
      if (entry.last_used > cutoff) continue;
      if (entry.memory_released) break;
      entry.memory_released = true;
      idle.push_back(entry.henv);
    }
  }
  size_t released = 0;
  for (const auto& henv : idle) {
    if (henv->TryReleaseMemory()) ++released;
  }
  return released;
}

void HenvManager::Forget(const std::string& hash) {
  std::shared_ptr<Henv> closing;  // destroyed outside the lock
  std::lock_guard lock(mu_);
  auto it = open_.find(hash);
  if (it == open_.end()) return;
  closing = std::move(it->second.henv);
  lru_.erase(it->second.lru_position);
  open_.erase(it);
  open_count_.store(open_.size(), std::memory_order_relaxed);
}

void HenvManager::CloseAll() {
  std::unordered_map<std::string, Entry> closing;  // destroyed outside the lock
  std::lock_guard lock(mu_);
  closing.swap(open_);
  lru_.clear();
  open_count_.store(0, std::memory_order_relaxed);
}

size_t HenvManager::open_count() const { return open_count_.load(std::memory_order_relaxed); }

std::shared_ptr<Henv> HenvManager::FindOpen(const std::string& hash) const {
  std::lock_guard lock(mu_);
  auto it = open_.find(hash);
  return it == open_.end() ? nullptr : it->second.henv;
}

std::shared_ptr<Henv> HenvManager::OpenWithoutIo(const std::string& hash) {
  std::lock_guard lock(mu_);
  auto it = open_.find(hash);
  if (it == open_.end()) return nullptr;
  const auto now = now_();
  if (now - it->second.checked_on_disk >= kOnDiskCheckInterval) {
    // As Open() looks (one stat): a file gone is Open()'s to forget.
    if (!ExistsOnDisk(hash)) return nullptr;
    it->second.checked_on_disk = now;
  }
  MarkUsedLocked(it->second, now);
  return it->second.henv;
}

void HenvManager::MarkUsedLocked(Entry& entry, std::chrono::steady_clock::time_point now) {
  lru_.splice(lru_.begin(), lru_, entry.lru_position);
  entry.last_used = now;
  entry.memory_released = false;
}

std::vector<std::shared_ptr<Henv>> HenvManager::OpenHenvs() const {
  std::vector<std::shared_ptr<Henv>> out;
  std::lock_guard lock(mu_);
  out.reserve(open_.size());
  for (const auto& [hash, entry] : open_) out.push_back(entry.henv);
  return out;
}

namespace {
// Henvs whose idle memory was released before the janitor trims the heap.
constexpr size_t kReleasedBeforeTrim = 16;
}  // namespace

void HenvManager::JanitorLoop() {
  using std::chrono::milliseconds;
  const milliseconds close_period = std::max(milliseconds(1000), options_.idle_timeout / 4);
  const milliseconds tick = std::min<milliseconds>(close_period, kReleaseMemoryAfterIdle / 2);
  auto next_close = now_() + close_period;
  size_t released_since_trim = 0;
  std::unique_lock lock(janitor_mu_);
  while (!janitor_cv_.wait_for(lock, tick, [this] { return stopping_; })) {
    lock.unlock();
    released_since_trim += ReleaseIdleMemory();
    // What the connections handed back stays in the allocator's free lists:
    // once a good number of henvs went idle (~40 KB of page cache each),
    // give it back to the system.
    if (released_since_trim >= kReleasedBeforeTrim && TrimHeapIfDue()) released_since_trim = 0;
    if (now_() >= next_close) {
      next_close = now_() + close_period;
      size_t closed = CloseIdle();
      if (closed > 0) Log(LogLevel::kDebug, "closed " + std::to_string(closed) + " idle henv(s)");
    }
    lock.lock();
  }
}

}  // namespace hbf
