#include "henv/henv_manager.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <shared_mutex>

#include "core/process_heap.h"
#include "core/log.h"
#include "core/thread_name.h"
#include "db/vfs.h"
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

// What a kept Henv reaches its manager through. It may outlive the
// manager (a request still holding a henv at shutdown): then a closed
// connection stays closed. Shared-locked for each call, so the manager
// waits for calls in progress before it goes; never re-entered.
class HenvManager::Connector final : public Henv::Reopener {
 public:
  explicit Connector(HenvManager* manager) : manager_(manager) {}

  Result<db::Database> OpenConnection(const std::string& hash) override {
    std::shared_lock lock(mu_);
    if (manager_ == nullptr) return Error{"henv_unavailable", "the server is shutting down", 503};
    return manager_->OpenConnection(hash);
  }
  void Reopened(Henv& henv) override {
    std::shared_lock lock(mu_);
    if (manager_ != nullptr) manager_->Reopened(henv);
  }
  void Detach() {
    std::unique_lock lock(mu_);
    manager_ = nullptr;
  }

 private:
  std::shared_mutex mu_;
  HenvManager* manager_;  // guarded by mu_; null once the manager is going
};

HenvManager::HenvManager(HenvManagerOptions options, SteadyNow now)
    : connector_(std::make_shared<Connector>(this)),
      options_(std::move(options)),
      now_(std::move(now)),
      max_dormant_(options_.max_dormant != 0 ? options_.max_dormant : 10 * options_.max_open),
      look_dir_(Henv::OpenLookDir(options_.storage_dir)),
      folder_watcher_(options_.watch_folders ? FolderWatcher::Start() : nullptr) {
  if (options_.start_janitor) {
    janitor_ = std::thread([this] { JanitorLoop(); });
    NameThread(janitor_, "hbf-janitor");
  }
}

HenvManager::~HenvManager() {
  {
    std::lock_guard lock(janitor_mu_);
    stopping_ = true;
  }
  janitor_cv_.notify_all();
  if (janitor_.joinable()) janitor_.join();
  connector_->Detach();
  CloseAll();
}

std::string HenvManager::DatabasePath(const std::string& hash) const {
  return options_.storage_dir + "/" + hash + "/" + kDatabaseName;
}

bool HenvManager::ExistsOnDisk(const std::string& hash) const {
  // (Only for a henv not open yet; an open one is looked at by Henv::StillOnDisk.)
  return Henv::RegularFileAt(look_dir_.get(), hash + "/" + kDatabaseName, DatabasePath(hash));
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

HenvManager::Shard& HenvManager::ShardOf(const std::string& hash) const {
  return shards_[std::hash<std::string>{}(hash) % kShards];
}

Result<std::shared_ptr<Henv>> HenvManager::Open(const std::string& hash) {
  // Connections past max_open are closed after the lock: closing the last
  // connection of a WAL database checkpoints it, which must not stall
  // other opens. A henv found gone is released after it too.
  std::shared_ptr<Henv> gone;
  Shard& shard = ShardOf(hash);
  {
    std::unique_lock lock(shard.mu);
    for (;;) {
      if (auto it = shard.open.find(hash); it != shard.open.end()) {
        const auto now = now_();
        // The file may have been moved away by another process (the
        // inactivity sweep's trash): looked for at most once a second, so
        // a trashed henv stops being served within about a second.
        if (now - it->second.checked_on_disk >= kOnDiskCheckInterval) {
          it->second.checked_on_disk = now;
          if (!it->second.henv->StillOnDisk()) {
            gone = EraseLocked(shard, it);
            return Error{"henv_not_found", "no henv " + hash + " on this server", 404};
          }
        }
        MarkUsedLocked(shard, it->second, now);
        return it->second.henv;
      }
      // Someone else is opening this one: wait for it rather than open the
      // file twice. Other henvs are not held up.
      if (shard.opening.count(hash) == 0) break;
      shard.opened.wait(lock);
    }
    shard.opening.insert(hash);
  }
  // Opening happens outside the lock: a migration, or a file whose writer
  // lock is held by a long transaction, delays this henv only, never every
  // tenant's requests (it used to: 3.75 s for all while one henv migrated).
  // keep = false: served to this request only, never cached (a henv read
  // from read-only storage: once it is writable the next Open is read-write).
  auto finish = [&](Result<std::shared_ptr<Henv>> outcome, bool keep = true) {
    {
      std::lock_guard lock(shard.mu);
      shard.opening.erase(hash);
      if (outcome.ok() && keep) {
        const auto now = now_();
        auto it = shard.open.emplace(hash, Entry{*outcome, true, {}, now, now, now}).first;
        shard.lru.push_front(&*it);
        it->second.lru_position = shard.lru.begin();
        open_count_.fetch_add(1, std::memory_order_relaxed);
      }
    }
    shard.opened.notify_all();
    if (outcome.ok() && keep) CloseOverCapacity(nullptr);
    return outcome;
  };
  auto db = OpenConnection(hash);
  if (!db.ok()) return finish(db.error());
  const bool keep = !db->storage_read_only();
  auto henv = std::make_shared<Henv>(hash, std::move(*db), change_listener_, connector_);
  henv->LookFrom(look_dir_, hash + "/" + kDatabaseName);
  henv->WatchFrom(folder_watcher_);
  return finish(std::move(henv), keep);
}

Result<db::Database> HenvManager::OpenConnection(const std::string& hash) {
  if (!IsValidHenvHash(hash) || !ExistsOnDisk(hash)) {
    return Error{"henv_not_found", "no henv " + hash + " on this server", 404};
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
    if (Error::IsStorageFault(db.error())) return db.error();
    return Error{"henv_unavailable", "henv " + hash + " cannot be opened", 503};
  }
  if (auto s = Migrate(*db); !s.ok()) {
    db->KeepWalFiles(false);  // a refused file is left as it was found
    Log(LogLevel::kError, "cannot migrate henv: " + s.error().message, hash);
    if (s.error().code == "schema_too_new") return Error{"henv_unavailable", s.error().message, 503};
    if (Error::IsStorageFault(s.error())) return s.error();
    return Error{"henv_unavailable", "henv " + hash + " cannot be opened", 503};
  }
  if (change_listener_) db->CaptureChanges(change_listener_, hash);
  connection_opens_.fetch_add(1, std::memory_order_relaxed);
  return std::move(*db);
}

std::shared_ptr<Henv> HenvManager::EraseLocked(Shard& shard, std::unordered_map<std::string, Entry>::iterator it) {
  std::shared_ptr<Henv> henv = std::move(it->second.henv);
  if (it->second.connected) {
    shard.lru.erase(it->second.lru_position);
    open_count_.fetch_sub(1, std::memory_order_relaxed);
  } else {
    shard.dormant.erase(it->second.lru_position);
    dormant_count_.fetch_sub(1, std::memory_order_relaxed);
  }
  shard.open.erase(it);
  return henv;
}

namespace {
// Eviction's bound on the henvs one call closes or drops: each is a visit
// to every shard.
constexpr size_t kMaxEvictionsPerCall = 4096;
}  // namespace

void HenvManager::CloseOverCapacity(const Henv* keep) {
  std::vector<const Henv*> tried;  // passed over in use, or closed: not tried again
  while (open_count_.load(std::memory_order_relaxed) > options_.max_open && tried.size() < kMaxEvictionsPerCall) {
    // The least recently used open henv of all shards, not `keep` nor one
    // tried already (those passed over went to their list's front: only a
    // shard where nothing else is open has one at its far end).
    std::shared_ptr<Henv> oldest;
    std::chrono::steady_clock::time_point oldest_stamp;
    for (Shard& shard : shards_) {
      std::lock_guard lock(shard.mu);
      for (auto node = shard.lru.rbegin(); node != shard.lru.rend(); ++node) {
        const Entry& entry = (*node)->second;
        if (entry.henv.get() == keep || std::find(tried.begin(), tried.end(), entry.henv.get()) != tried.end()) continue;
        if (!oldest || entry.lru_stamp < oldest_stamp) {
          oldest = entry.henv;
          oldest_stamp = entry.lru_stamp;
        }
        break;
      }
    }
    if (!oldest) return;  // the rest are in use: closed by a later pass
    tried.push_back(oldest.get());
    CloseConnections({oldest});
  }
}

size_t HenvManager::CloseConnections(const std::vector<std::shared_ptr<Henv>>& henvs) {
  size_t closed_count = 0;
  for (const std::shared_ptr<Henv>& henv : henvs) {
    const bool closed = henv->TryCloseConnection();
    Shard& shard = ShardOf(henv->hash());
    std::lock_guard lock(shard.mu);
    auto it = shard.open.find(henv->hash());
    if (it == shard.open.end() || it->second.henv != henv || !it->second.connected) continue;
    Entry& entry = it->second;
    entry.lru_stamp = now_();
    // Reopened since (its Reopened() found it connected) or in use: it
    // stays, as recently used (with its last use as it was).
    if (!closed || henv->connection_open()) {
      shard.lru.splice(shard.lru.begin(), shard.lru, entry.lru_position);
      continue;
    }
    shard.dormant.splice(shard.dormant.begin(), shard.lru, entry.lru_position);
    entry.connected = false;
    open_count_.fetch_sub(1, std::memory_order_relaxed);
    dormant_count_.fetch_add(1, std::memory_order_relaxed);
    ++closed_count;
  }
  if (closed_count > 0) TrimDormant();
  return closed_count;
}

void HenvManager::TrimDormant() {
  std::vector<std::shared_ptr<Henv>> dropped;  // destroyed outside the locks
  for (size_t round = 0; dormant_count_.load(std::memory_order_relaxed) > max_dormant_ && round < kMaxEvictionsPerCall;
       ++round) {
    // The least recently used dormant henv of all shards.
    Shard* from = nullptr;
    const Node* oldest = nullptr;
    std::chrono::steady_clock::time_point oldest_stamp;
    for (Shard& shard : shards_) {
      std::lock_guard lock(shard.mu);
      if (shard.dormant.empty()) continue;
      const Node* node = shard.dormant.back();
      if (oldest == nullptr || node->second.lru_stamp < oldest_stamp) {
        from = &shard;
        oldest = node;  // (not followed without its shard's lock)
        oldest_stamp = node->second.lru_stamp;
      }
    }
    if (from == nullptr) return;
    std::lock_guard lock(from->mu);
    // Still there, and still the far end? (A request may have used it since.)
    if (from->dormant.empty() || from->dormant.back() != oldest || oldest->second.lru_stamp != oldest_stamp) continue;
    dropped.push_back(EraseLocked(*from, from->open.find(oldest->first)));
  }
}

void HenvManager::Reopened(Henv& henv) {
  {
    Shard& shard = ShardOf(henv.hash());
    std::lock_guard lock(shard.mu);
    auto it = shard.open.find(henv.hash());
    if (it == shard.open.end() || it->second.henv.get() != &henv) return;  // not (or no longer) this manager's
    Entry& entry = it->second;
    shard.lru.splice(shard.lru.begin(), entry.connected ? shard.lru : shard.dormant, entry.lru_position);
    if (!entry.connected) {
      dormant_count_.fetch_sub(1, std::memory_order_relaxed);
      open_count_.fetch_add(1, std::memory_order_relaxed);
    }
    entry.connected = true;
    // A reopen is a use, whoever's (a request, a realtime delivery, a
    // WebSocket's event): the idle steps count from it, or the next janitor
    // pass would close the connection again at once.
    entry.last_used = entry.lru_stamp = now_();
    entry.memory_released = false;
  }
  // `henv`'s own mutex is held here: never tried (the others' are only tried).
  CloseOverCapacity(&henv);
}

size_t HenvManager::CloseIdle() {
  std::vector<std::shared_ptr<Henv>> closing;  // destroyed outside the locks
  const auto cutoff = now_() - options_.idle_timeout;
  for (Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    while (!shard.lru.empty()) {
      if (shard.lru.back()->second.last_used > cutoff) break;  // the rest are more recent
      closing.push_back(EraseLocked(shard, shard.open.find(shard.lru.back()->first)));
    }
    // Dormant henvs are in the order they were closed or last used: all looked at.
    for (auto node = shard.dormant.begin(); node != shard.dormant.end();) {
      auto next = std::next(node);
      if ((*node)->second.last_used <= cutoff) closing.push_back(EraseLocked(shard, shard.open.find((*node)->first)));
      node = next;
    }
  }
  return closing.size();
}

size_t HenvManager::CloseIdleConnections() {
  if (options_.close_connection_idle.count() <= 0) return 0;
  std::vector<std::shared_ptr<Henv>> idle;
  const auto cutoff = now_() - options_.close_connection_idle;
  for (Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    // All looked at (a few thousand pointers at most, every few seconds):
    // CloseConnections() puts one it could not close back at the front
    // with its old last use, so the list is not quite in last-use order.
    for (auto* node : shard.lru) {
      if (node->second.last_used <= cutoff) idle.push_back(node->second.henv);
    }
  }
  return idle.empty() ? 0 : CloseConnections(idle);
}

size_t HenvManager::ReleaseIdleMemory() {
  std::vector<std::shared_ptr<Henv>> idle;
  const auto cutoff = now_() - kReleaseMemoryAfterIdle;
  for (Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    // From the most recently used: past the busy ones, up to the first
    // entry an earlier pass released (all behind it were released then).
    for (auto* node : shard.lru) {
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
  Shard& shard = ShardOf(hash);
  std::lock_guard lock(shard.mu);
  auto it = shard.open.find(hash);
  if (it == shard.open.end()) return;
  closing = EraseLocked(shard, it);
}

void HenvManager::CloseAll() {
  for (Shard& shard : shards_) {
    std::unordered_map<std::string, Entry> closing;  // destroyed outside the lock
    std::lock_guard lock(shard.mu);
    open_count_.fetch_sub(shard.lru.size(), std::memory_order_relaxed);
    dormant_count_.fetch_sub(shard.dormant.size(), std::memory_order_relaxed);
    closing.swap(shard.open);
    shard.lru.clear();
    shard.dormant.clear();
  }
}

size_t HenvManager::open_count() const { return open_count_.load(std::memory_order_relaxed); }
size_t HenvManager::dormant_count() const { return dormant_count_.load(std::memory_order_relaxed); }

std::shared_ptr<Henv> HenvManager::FindOpen(const std::string& hash) const {
  Shard& shard = ShardOf(hash);
  std::lock_guard lock(shard.mu);
  auto it = shard.open.find(hash);
  return it == shard.open.end() ? nullptr : it->second.henv;
}

std::shared_ptr<Henv> HenvManager::OpenWithoutIo(const std::string& hash) {
  Shard& shard = ShardOf(hash);
  std::lock_guard lock(shard.mu);
  auto it = shard.open.find(hash);
  if (it == shard.open.end()) return nullptr;
  const auto now = now_();
  if (now - it->second.checked_on_disk >= kOnDiskCheckInterval) {
    // As Open() looks: a file gone is Open()'s to forget.
    if (!it->second.henv->StillOnDisk()) return nullptr;
    it->second.checked_on_disk = now;
  }
  MarkUsedLocked(shard, it->second, now);
  return it->second.henv;
}

void HenvManager::MarkUsedLocked(Shard& shard, Entry& entry, std::chrono::steady_clock::time_point now) {
  auto& list = entry.connected ? shard.lru : shard.dormant;
  list.splice(list.begin(), list, entry.lru_position);
  entry.last_used = entry.lru_stamp = now;
  entry.memory_released = false;
}

std::vector<std::shared_ptr<Henv>> HenvManager::OpenHenvs() const {
  std::vector<std::shared_ptr<Henv>> out;
  for (Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    for (const auto& [hash, entry] : shard.open) out.push_back(entry.henv);
  }
  return out;
}

namespace {
// Henvs whose idle memory was released before the janitor trims the heap.
constexpr size_t kReleasedBeforeTrim = 16;
}  // namespace

void HenvManager::JanitorLoop() {
  using std::chrono::milliseconds;
  const milliseconds close_period = std::max(milliseconds(1000), options_.idle_timeout / 4);
  milliseconds tick = std::min<milliseconds>(close_period, kReleaseMemoryAfterIdle / 2);
  if (options_.close_connection_idle.count() > 0) {
    tick = std::clamp<milliseconds>(options_.close_connection_idle / 2, milliseconds(100), tick);
  }
  auto next_close = now_() + close_period;
  size_t released_since_trim = 0;
  std::unique_lock lock(janitor_mu_);
  while (!janitor_cv_.wait_for(lock, tick, [this] { return stopping_; })) {
    lock.unlock();
    // Reader slots' locks kept with no reader here go back to other
    // processes (Litestream's checkpoints) at least this often.
    db::ReleaseKeptWalIndexLocks();
    released_since_trim += ReleaseIdleMemory();
    const size_t dormant = CloseIdleConnections();
    if (dormant > 0) {
      Log(LogLevel::kDebug, "closed the connections of " + std::to_string(dormant) + " idle henv(s)");
      released_since_trim += dormant;
    }
    // What the connections handed back (~40 KB of page cache each) or
    // freed on closing (their schemas) stays in the allocator's free lists:
    // once a good number of henvs went idle, give it back to the system.
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
