// One henv in memory: its SQLite connection (used under the henv's own
// mutex through WithDb), what is cached from its file (code version,
// settings, their epochs, the derived HTTP policy and script limits), the
// looks at its file that tell a dormant henv whether the file changed
// since its connection was closed, and the reads a worker's bind makes
// while the connection is closed. HenvManager (henv_manager.h) makes,
// opens, keeps and drops them.
//
// Thread safety: a Henv is shared (std::shared_ptr); its database is used
// under its own mutex via WithDb(). Each member says which thread may
// call it; what is read without the mutex is atomic. A Henv the manager
// let go of (idle, forgotten) stays valid for whoever still holds it and
// closes when the last holder lets go.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"
#include "core/unique_fd.h"
#include "db/change_capture.h"
#include "db/database.h"
#include "db/documents_epoch.h"
#include "henv/folder_watch.h"
#include "henv/henv_stats.h"

namespace hbf {

class Henv {
 public:
  // Opens a henv's connection again after it was closed to make room, and
  // hears that it did: HenvManager's. Called with the henv's mutex held.
  class Reopener {
   public:
    virtual ~Reopener() = default;
    virtual Result<db::Database> OpenConnection(const std::string& hash) = 0;
    virtual void Reopened(Henv& henv) = 0;
  };

  // Hands the connection's unused page-cache memory back, unless the
  // database is in use (then false: it is not idle). Any thread.
  bool TryReleaseMemory();

  // Reads the code version. `changes`: where the henv's committed row
  // changes are reported (db/change_capture.h), also by the other
  // connections opened on its file (a worker's); null: nowhere.
  // `reopener`: who opens the connection again once it was closed; none:
  // a closed connection stays closed (statements fail "db_unavailable").
  Henv(std::string hash, db::Database db, std::shared_ptr<db::ChangeListener> changes = nullptr,
       std::weak_ptr<Reopener> reopener = {});
  ~Henv();
  Henv(const Henv&) = delete;
  Henv& operator=(const Henv&) = delete;

  const std::string& hash() const { return hash_; }

  // A slot for the JavaScript engine (js::JsEngine) to find its own state
  // for this henv without a lookup by hash (its pool: a thread-local map
  // that over 10,000 henvs mostly missed, ~2.5% of the server's CPU).
  // Opaque here; the engine owns what it points at and outlives its use.
  // Tagged with the engine's id: the first engine to set it is its only
  // writer (always the same value), and another engine reads null. Any thread.
  void* EngineSlot(uint64_t engine_id) const {
    return engine_slot_owner_.load(std::memory_order_acquire) == engine_id
               ? engine_slot_.load(std::memory_order_acquire)
               : nullptr;
  }
  void SetEngineSlot(uint64_t engine_id, void* value) {
    uint64_t owner = 0;
    if (engine_slot_owner_.compare_exchange_strong(owner, engine_id, std::memory_order_acq_rel) ||
        owner == engine_id) {
      engine_slot_.store(value, std::memory_order_release);
    }
  }

  // The directory the henv's files are looked up from (an O_PATH
  // descriptor: the storage directory's, shared by its henvs, closed with
  // the last), or an empty one when `path` cannot be opened.
  static std::shared_ptr<const UniqueFd> OpenLookDir(const std::string& path);
  // Looks at the database and its WAL as `relative_db` under `dir` (one
  // path component or two looked up a time, not every one of the storage
  // path's: over 10,000 henvs the looks' path walks were ~4% of the
  // server's CPU). Set by the manager before the henv is shared; without
  // it, or without a descriptor, the full path is looked up.
  void LookFrom(std::shared_ptr<const UniqueFd> dir, std::string relative_db);
  // Lets the henv stand a watch on its folder (folder_watch.h) instead of
  // looking at its file while dormant: added at its first close, kept for
  // its life. Set by the manager before the henv is shared; without it
  // (or where the system refuses a watch) it looks.
  void WatchFrom(std::shared_ptr<FolderWatcher> watcher) { watcher_ = std::move(watcher); }
  // How many times the henv looked at its database file (stat calls: each
  // look at the WAL is one more). Any thread; for tests.
  uint64_t file_looks() const { return file_looks_.load(std::memory_order_relaxed); }
  // Whether `relative` under `dir` (OpenLookDir's; none, or no descriptor:
  // `path`) is a regular file, looked at as a Henv looks at its own: for a
  // henv not open yet (HenvManager::ExistsOnDisk).
  static bool RegularFileAt(const UniqueFd* dir, const std::string& relative, const std::string& path);

  // Runs `fn(db::Database&)` with exclusive use of the henv's connection,
  // opening it again first if it was closed. Should that fail (the file is
  // gone, no descriptor left), `fn` still runs, on a closed connection
  // whose statements fail with 503 "db_unavailable".
  template <typename F>
  auto WithDb(F&& fn) {
    std::lock_guard lock(mu_);
    ConnectLocked();
    ReadOnlyUse use(*this);
    return fn(db_);
  }

  // WithDb (opening the connection again if it was closed), unless another
  // thread has the connection now: then false, and `fn` does not run (for a
  // caller with a connection of its own to fall back on, which should not
  // wait behind a long write).
  template <typename F>
  bool TryWithDb(F&& fn) {
    std::unique_lock lock(mu_, std::try_to_lock);
    if (!lock.owns_lock()) return false;
    ConnectLocked();
    ReadOnlyUse use(*this);
    fn(db_);
    return true;
  }
  // WithDb, or with a `patience`, only if the connection is free within it
  // and open (an I/O loop's reads: another short read is over by then, a
  // long write is not, and opening a file is not for a loop): nullopt when
  // it is not, and `fn` does not run.
  template <typename F>
  auto WithDbWithin(std::optional<std::chrono::microseconds> patience, F&& fn)
      -> std::optional<decltype(fn(std::declval<db::Database&>()))> {
    std::unique_lock lock(mu_, std::defer_lock);
    if (!patience) {
      lock.lock();
      ConnectLocked();
    } else if (!lock.try_lock_for(*patience) || !db_.is_open()) {
      return std::nullopt;
    }
    ReadOnlyUse use(*this);
    return fn(db_);
  }

  // Closes the connection to make room, unless it is in use now (then
  // false; true also when it was closed already). The henv stays usable:
  // its next WithDb opens it again. Any thread; HenvManager's.
  bool TryCloseConnection();
  // Whether the connection is open now (it may change right after).
  bool connection_open() const { return connection_open_.load(std::memory_order_acquire); }
  // While the connection is closed: true when the henv's file provably has
  // not changed since it was closed (same file, same size and modification
  // time, an empty WAL, and the close long enough after the file's last
  // write for a later write to show in its time), so the settings and code
  // version in memory are still the file's: what was derived from them at
  // the current settings_epoch() may be used past its expiry. False when
  // the connection is open (read under WithDb instead, which notices other
  // processes' commits), or busy, or the file changed or may have. Two
  // stat(2) calls at most once per kForeignCommitCheckInterval (the same
  // staleness as an open henv's foreign-commit look); between them a
  // lock-free read. Any thread.
  bool UnchangedSinceClose();
  static constexpr std::chrono::seconds kSettledBeforeClose{2};
  // Whether the henv's file is still there, a regular file (HenvManager's
  // once-a-second look: another process may move it away). While the
  // connection is closed and the file settled, the same look is
  // UnchangedSinceClose's (the WAL's with it), which then holds without
  // another look for kForeignCommitCheckInterval: a request to a dormant
  // henv looks at its file once, not twice (over 10,000 henvs most
  // requests met both looks due). Takes mu_ only by try_lock, so it may be
  // called under the manager's locks. Any thread.
  bool StillOnDisk();

  // The steady clock in nanoseconds, the unit of the expiries below.
  static int64_t SteadyNowNs();
  // When the settings are next looked at, from `now_ns`: what was derived
  // from them is good until then without a look (kForeignCommitCheckInterval).
  static int64_t NextSettingsLookNs(int64_t now_ns);
  // Whether a value derived from the settings at `epoch`, good until
  // `expires_ns`, still holds at `now_ns` without the henv's lock: the
  // settings did not move since, and the expiry has not passed or the henv
  // is dormant with its file unchanged since the close (no need to open it
  // to read the same settings). Otherwise look inside WithDb:
  // RefreshSettings(), then, if settings_epoch() is still `epoch`, the
  // value holds until NextSettingsLookNs(). Any thread.
  bool DerivedHolds(uint64_t epoch, int64_t expires_ns, int64_t now_ns) {
    return epoch == settings_epoch() && (now_ns < expires_ns || UnchangedSinceClose());
  }

  // A read of the file for binding a worker (Worker::QueryDocument: the
  // router's presence, format and source, and the modules it imports).
  // The answer an earlier bind got, without a read, while nothing was
  // committed to the file since: with the connection open, its WAL index's
  // header is as it was before that read (a 48-byte look, no lock, no
  // syscall: over 10,000 henvs most requests bind a worker, and each read
  // cost two WAL-lock fcntl calls and two file looks); dormant, its file
  // provably unchanged since (the same as at a close that found nothing
  // committed since the read, settled, and UnchangedSinceClose() now), so
  // binding a worker to a dormant henv costs no schema parse. Otherwise the
  // read runs on the connection (opening it if closed) and its answer is
  // kept for the next bind (kBindReadsBytes at most).
  // nullopt when another thread has the connection now (the caller reads on
  // its own). Any thread.
  std::optional<Result<std::optional<db::Value>>> ReadForBind(const std::string& sql, const std::string& path);
  static constexpr size_t kBindReadsBytes = 64 << 10;
  // How many ReadForBind calls read the file (the others were answered
  // from kept reads). Any thread.
  uint64_t bind_file_reads() const { return bind_file_reads_.load(std::memory_order_relaxed); }

  // The henv's code version (see schema v4): cached here, re-read from the
  // database by RefreshCodeVersion() after anything that may have written
  // code. Readers on any thread see the latest refreshed value.
  int64_t code_version() const { return code_version_.load(std::memory_order_acquire); }
  // REQUIRES: the caller holds the henv's database (inside WithDb).
  void RefreshCodeVersion(db::Database& db);
  // Takes the database lock itself.
  void RefreshCodeVersion();
  // Re-reads the code version when another connection or process committed
  // since the last look (PRAGMA data_version). Looks at most once per
  // kForeignCommitCheckInterval: commits by this process's own connections
  // are followed by RefreshCodeVersion() from whoever wrote, so only another
  // process's (the CLI's, a restore's) wait for the next look.
  // REQUIRES: inside WithDb.
  void RefreshIfChangedElsewhere(db::Database& db);
  static constexpr std::chrono::milliseconds kForeignCommitCheckInterval{100};

  // A setting of the henv (its _hbf_config table). All settings are read at
  // once and kept until the data may have changed: a commit by another
  // connection or process (PRAGMA data_version, which also refreshes the code
  // version) or a write on this connection (its total changes). So the
  // per-request reads (script limits, upload size) cost no query.
  // REQUIRES: inside WithDb.
  std::optional<std::string> Setting(db::Database& db, const std::string& key);
  // Brings the kept settings up to date as Setting() does before its
  // lookup (another connection's or process's commit, looked for at most
  // every kForeignCommitCheckInterval; a write on this connection):
  // settings_epoch() moves only if they may have changed. What a layer
  // above derived at the current epoch is then still valid, and its expiry
  // may be extended without deriving it again. REQUIRES: inside WithDb.
  void RefreshSettings(db::Database& db);
  // The setting as an integer; `fallback` when unset or not an integer.
  int64_t SettingInt(db::Database& db, const std::string& key, int64_t fallback);

  // Bumped whenever the cached settings are dropped or re-read; what was
  // derived from them at an older epoch is stale.
  uint64_t settings_epoch() const { return settings_epoch_.load(std::memory_order_acquire); }
  // Values a layer above derives from the settings on every request (the
  // script limits), kept here so that it may read them without the henv's
  // lock: valid while `epoch` equals settings_epoch() and `expires_ns`
  // (steady clock) has not passed; refresh them inside WithDb. Readers may
  // briefly see values from two refreshes: each is a valid value.
  struct DerivedSettings {
    std::atomic<uint64_t> epoch{~uint64_t{0}};
    std::atomic<int64_t> expires_ns{0};
    std::atomic<int64_t> values[4] = {};
  };
  DerivedSettings& derived_settings() { return derived_; }
  // The same for a richer value (the app's per-henv HTTP policy: rate
  // limit, CORS, security headers): an immutable object a layer above
  // derives from the settings and subclasses DerivedValue for; one layer
  // owns the slot. Swapped whole, so readers never see half an update; the
  // atomic shared_ptr is per henv, never a global lock.
  struct DerivedValue {
    DerivedValue() = default;
    DerivedValue(const DerivedValue& other)
        : epoch(other.epoch), expires_ns(other.expires_ns.load(std::memory_order_relaxed)) {}
    DerivedValue& operator=(const DerivedValue& other) {
      epoch = other.epoch;
      expires_ns.store(other.expires_ns.load(std::memory_order_relaxed), std::memory_order_relaxed);
      return *this;
    }
    virtual ~DerivedValue() = default;
    uint64_t epoch = 0;  // settings_epoch() it was derived at
    // Steady clock: look for changes after this. The one part that changes
    // once shared: extended (inside WithDb) when RefreshSettings() finds
    // the settings unchanged.
    mutable std::atomic<int64_t> expires_ns{0};
  };
  std::shared_ptr<const DerivedValue> derived_value() const { return derived_value_.load(std::memory_order_acquire); }
  void set_derived_value(std::shared_ptr<const DerivedValue> value) {
    derived_value_.store(std::move(value), std::memory_order_release);
  }
  // Drops the cached settings after this process wrote _hbf_config, so that
  // what was derived from them is re-read by the next request rather than
  // only after kForeignCommitCheckInterval. REQUIRES: inside WithDb.
  void InvalidateSettings();

  // Moves on after every commit of this process that changed a document of
  // the henv (any connection to its file that watches its document writes:
  // the henv's own, its workers'), and at every RefreshCodeVersion(): what
  // is cached from its documents is stale once this differs. Lock-free.
  uint64_t documents_epoch() const { return documents_epoch_->value(); }
  // The epoch itself (the file's, as db::DocumentsEpoch::For(database_path())
  // gives it, without that lookup).
  const std::shared_ptr<db::DocumentsEpoch>& documents_epoch_of_file() const { return documents_epoch_; }

  // The database file, for components that open their own connections.
  const std::string& database_path() const { return path_; }
  // For those connections: report their committed changes here (may be null).
  const std::shared_ptr<db::ChangeListener>& change_listener() const { return changes_; }

  // Coalesces activity stamps: true at most once per `interval` seconds,
  // for the caller to write last_activity_ts (no write per request).
  bool ShouldStampActivity(int64_t now_unix, int64_t interval = 60);

  // Recent request figures (GET /_api/metrics, --metrics_per_henv); their
  // own lock, see henv_stats.h.
  HenvStats& stats() { return stats_; }
  const HenvStats& stats() const { return stats_; }

  // Open connections of henvs in the process (a dormant henv has none).
  static int LiveCount() { return live_count_.load(std::memory_order_relaxed); }

 private:
  // A connection reopened on read-only storage serves the use that opened
  // it and is closed after it, so that a later use opens read-write once
  // the storage recovers (as HenvManager::Open never keeps one).
  struct ReadOnlyUse {
    explicit ReadOnlyUse(Henv& henv) : henv_(henv) {}
    ~ReadOnlyUse() {
      if (henv_.db_.is_open() && henv_.db_.storage_read_only() && henv_.reopened_) henv_.CloseLocked();
    }
    ReadOnlyUse(const ReadOnlyUse&) = delete;
    ReadOnlyUse& operator=(const ReadOnlyUse&) = delete;
    Henv& henv_;
  };
  // What a closed henv's files looked like just after the close.
  struct FileLook {
    bool exists = false;
    bool regular = false;
    uint64_t device = 0, inode = 0;
    int64_t size = 0, mtime_ns = 0;
    bool operator==(const FileLook&) const = default;
  };
  // The database file's look (`wal`: its WAL's), through look_dir_ when set.
  FileLook Look(bool wal) const;
  // Opens the connection again if it was closed (REQUIRES: mu_). What is
  // cached from the file (settings, code version, settings_epoch()) stays
  // when the file is unchanged since the close.
  void ConnectLocked();
  // UnchangedSinceClose's look (REQUIRES: mu_; false while the connection
  // is open), with `file` the file's look when the caller has just taken it.
  bool UnchangedSinceCloseLocked(int64_t now_ns, const FileLook* file = nullptr);
  // Whether the file looks settled now (its WAL empty, its last write
  // kSettledBeforeClose ago), and the file's and the WAL's looks.
  bool SettledNow(FileLook& db, FileLook& wal) const;
  // Closes it (REQUIRES: mu_, the connection open and in no transaction).
  void CloseLocked();

  const std::string hash_;  // constant after construction
  const std::string path_;  // constant after construction
  const std::string wal_path_;  // constant after construction
  std::atomic<uint64_t> engine_slot_owner_{0};  // EngineSlot's engine id (0: none)
  std::atomic<void*> engine_slot_{nullptr};
  // LookFrom's: set before the henv is shared, constant after.
  std::shared_ptr<const UniqueFd> look_dir_;
  std::string look_db_, look_wal_;
  // WatchFrom's: set before the henv is shared, constant after.
  std::shared_ptr<FolderWatcher> watcher_;
  // The watch on the henv's folder, from its first close on (null without
  // one), and its count of changes as it was just before the last look
  // that found the file as at the close (watch_changes_) or there at all
  // (on_disk_changes_): while the count stays, neither needs another look.
  // Guarded by mu_.
  std::unique_ptr<FolderWatcher::Watch> watch_;
  uint64_t watch_changes_ = 0;
  std::optional<uint64_t> on_disk_changes_;
  mutable std::atomic<uint64_t> file_looks_{0};
  const std::shared_ptr<db::ChangeListener> changes_;
  std::atomic<int64_t> code_version_{0};
  int64_t data_version_ = -1;  // guarded by mu_
  // The WAL index's header at the last data_version look, taken just before
  // it (db::Database::WalIndexStamp): while the header reads the same,
  // nothing was committed since, and the look is skipped. Guarded by mu_.
  std::optional<db::Database::WalStamp> wal_stamp_;
  std::chrono::steady_clock::time_point next_foreign_check_{};  // guarded by mu_
  std::unordered_map<std::string, std::string> settings_;  // guarded by mu_
  std::atomic<uint64_t> settings_epoch_{0};  // written under mu_, read without it
  DerivedSettings derived_;
  std::atomic<std::shared_ptr<const DerivedValue>> derived_value_;
  bool settings_valid_ = false;                              // guarded by mu_
  int64_t settings_changes_ = -1;  // guarded by mu_: db_.TotalChanges() when settings_ was read
  std::timed_mutex mu_;  // timed: WithDbWithin
  db::Database db_;  // guarded by mu_; closed while the henv is dormant
  const std::weak_ptr<Reopener> reopener_;
  const std::shared_ptr<db::DocumentsEpoch> documents_epoch_;  // constant after construction
  bool reopened_ = false;  // guarded by mu_: db_ was opened by ConnectLocked
  std::atomic<bool> connection_open_{true};  // db_.is_open(), written under mu_
  // Guarded by mu_: the files as the last close left them; `settled` when
  // that close came kSettledBeforeClose after the file's last write.
  FileLook closed_db_, closed_wal_;
  bool closed_settled_ = false;
  // Steady-clock ns until which the last look found the file unchanged
  // (0: none since the close); written under mu_, read without it.
  std::atomic<int64_t> unchanged_until_ns_{0};
  // Guarded by mu_: ReadForBind's kept answers; empty when none are
  // trusted. While the connection is open they hold as long as its WAL
  // index's header is `stamp`, as it was before the first of them was read
  // (no commit since, by anyone); once closed, while the file looks as
  // `look` (set by the close if nothing was committed since, or, for a
  // file without a WAL index, by the read when the file was settled).
  struct BindRead {
    std::string sql, path;
    std::optional<db::Value> value;
  };
  struct BindReads {
    FileLook look;
    std::optional<db::Database::WalStamp> stamp;
    std::vector<BindRead> reads;
    size_t bytes = 0;
  } bind_reads_;
  const BindRead* KeptBindRead(const std::string& sql, const std::string& path) const;
  std::atomic<uint64_t> bind_file_reads_{0};
  std::atomic<int64_t> last_activity_stamp_{0};
  HenvStats stats_;
  static std::atomic<int> live_count_;
};

// An integer setting's value as stored in _hbf_config (decimal, optional
// sign); nullopt when the text is not one.
std::optional<int64_t> ParseSettingInt(const std::string& text);

}  // namespace hbf
