// Henvs on disk and in memory.
//
// A henv is one SQLite file at {storage_dir}/{hash}/index.db (folder 0700,
// file 0600). HenvManager creates them, opens them on demand (applying
// schema migrations), and keeps at most `max_open` open in an LRU; henvs
// unused for `idle_timeout` are closed by a janitor thread.
//
// Lifecycle of one henv, as seen from the manager:
//   absent --Create()--> creating --(schema+owner committed, renamed)--> on disk
//   on disk --Open()--> open (in the LRU) --evicted/idle/CloseAll--> on disk
// "creating" is claimed by an atomic mkdir of the folder, so of any number of
// racing creates for one hash exactly one wins; the others get 409. The file
// appears under its final name only once complete, so a concurrent Open never
// sees a half-made henv.
//
// Connections and dormant henvs. `max_open` bounds the henvs whose SQLite
// connection is open (each holds three descriptors and its parsed schema).
// Past it the least recently used one's connection is closed, but the Henv
// stays, dormant: its code version, settings and figures remain in memory
// (a few KB), and its next WithDb() opens the connection again. A request
// that needs no query (a script answering from memory) is served by a
// dormant henv without reopening its file while the file provably did not
// change since the close (UnchangedSinceClose()): opening a henv costs
// SQLite a parse of its whole schema, most of a cold start. At most
// `max_dormant` dormant henvs are kept (least recently used dropped).
//
// Thread safety: every HenvManager method is safe to call concurrently.
// A Henv is shared (std::shared_ptr); its database is used under its own
// mutex via WithDb(). A Henv the manager let go of (idle, forgotten)
// stays valid for whoever still holds it and closes when the last holder
// lets go. Lock order: a Henv's mutex, then one of the manager's (its
// henvs are in shards, each with a mutex; no code holds two); the manager
// only ever try-locks a Henv's mutex (closing a connection to make room).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "core/result.h"
#include "db/change_capture.h"
#include "db/database.h"
#include "db/documents_epoch.h"
#include "henv/henv.h"
#include "henv/henv_stats.h"

namespace hbf {


struct HenvManagerOptions {
  std::string storage_dir = "./henvs";
  size_t max_open = 1000;                             // open connections (--db_max_open)
  size_t max_dormant = 0;                             // dormant henvs kept (0: 10 x max_open)
  std::chrono::milliseconds idle_timeout{5 * 60 * 1000};  // close henvs unused this long
  // An open henv unused this long has its connection closed and waits
  // dormant (--db_close_idle_s; 0: only past max_open). Measured at 1,000
  // idle henvs (bench/README.md): 212 -> 125 KiB of RSS a henv (its parsed
  // schema and the WAL index's mapping; ~60 KiB a henv of the holes they
  // leave in the allocator stay resident), for one schema parse (~0.5 ms)
  // at the henv's next query.
  std::chrono::milliseconds close_connection_idle{30 * 1000};
  bool start_janitor = true;                          // tests drive CloseIdle() themselves
  int64_t max_storage_bytes = 0;                      // each file's bound until the app refines it (0: none)
  // Dormant henvs learn of changes to their files from a watch on their
  // folders (folder_watch.h) rather than by looking; false: they look.
  bool watch_folders = true;
};

class HenvManager {
 public:
  using SteadyNow = std::function<std::chrono::steady_clock::time_point()>;

  explicit HenvManager(HenvManagerOptions options,
                       SteadyNow now = [] { return std::chrono::steady_clock::now(); });
  ~HenvManager();
  HenvManager(const HenvManager&) = delete;
  HenvManager& operator=(const HenvManager&) = delete;

  // Creates henv `hash`: folder, file, latest schema, then `initialize` in
  // the same transaction (owner user, seed content). 409 "henv_exists" if
  // the hash is taken (or being created). REQUIRES: IsValidHenvHash(hash).
  Result<std::shared_ptr<Henv>> Create(const std::string& hash,
                                       const std::function<Status(db::Database&)>& initialize);

  // The open henv, opening (and migrating) it if needed. 404
  // "henv_not_found" when there is no such henv on disk - also for an open
  // one whose file has gone (checked at most once a second per henv: the
  // inactivity sweep of another process moved it to the trash).
  Result<std::shared_ptr<Henv>> Open(const std::string& hash);

  bool ExistsOnDisk(const std::string& hash) const;
  std::string DatabasePath(const std::string& hash) const;

  // Henvs opened from now on report their committed row changes to
  // `listener` (the realtime API). Call before serving: not synchronised
  // with Open().
  void SetChangeListener(std::shared_ptr<db::ChangeListener> listener) { change_listener_ = std::move(listener); }
  // Takes henv `hash` out of the LRU (after a restore replaced its data):
  // the next Open() opens the file afresh; requests holding the old Henv
  // finish with it, and it closes when the last lets go. No-op if not open.
  void Forget(const std::string& hash);

  // Forgets henvs not used since `idle_timeout`, dormant or not (an open
  // one's connection closes when its last holder lets go). Returns how many.
  size_t CloseIdle();
  // The second step (after ReleaseIdleMemory): the connection of each open
  // henv unused for options.close_connection_idle is closed, the henv kept
  // dormant (as past max_open). A henv in use at that moment (its mutex
  // held, a transaction open) stays open and is tried again next time.
  // Returns how many were closed. The janitor calls it every few seconds.
  size_t CloseIdleConnections();
  // The first step of shedding an idle henv's memory: the page cache of
  // each henv unused for kReleaseMemoryAfterIdle is handed back (its
  // connection keeps the schema, so waking it costs no re-open), once per
  // idle spell. A henv busy at that moment is left for its next spell.
  // Returns how many were released. The janitor calls it every few seconds.
  size_t ReleaseIdleMemory();
  static constexpr std::chrono::seconds kReleaseMemoryAfterIdle{10};
  void CloseAll();

  // Lock-free (a mirror of the map's size): /health reads it on an I/O loop,
  // which must never wait behind an Open() that is migrating a file.
  size_t open_count() const;
  // Henvs kept with their connection closed (see the top of this file).
  size_t dormant_count() const;
  // Connections opened so far, first opens and reopens (lock-free).
  uint64_t connection_opens() const { return connection_opens_.load(std::memory_order_relaxed); }
  // The henv if it is kept now (open or dormant), else null; never opens one (a map lookup
  // under its shard's mutex, which no file I/O is done under).
  std::shared_ptr<Henv> FindOpen(const std::string& hash) const;
  // What Open() returns for a henv already open or dormant (marked used,
  // its file looked for at most once a second, as Open() does), else null:
  // never opens, migrates or closes a file, so an I/O loop may ask.
  std::shared_ptr<Henv> OpenWithoutIo(const std::string& hash);
  // The henvs kept now, open or dormant (copied under the mutex, for /metrics).
  std::vector<std::shared_ptr<Henv>> OpenHenvs() const;
  const HenvManagerOptions& options() const { return options_; }

 private:
  struct Entry {
    std::shared_ptr<Henv> henv;
    bool connected = true;  // in its shard's lru (its connection open), else in its dormant list
    std::list<std::pair<const std::string, Entry>*>::iterator lru_position;  // in lru or dormant
    std::chrono::steady_clock::time_point last_used;
    // When it was last put at its list's front (used, opened, reopened,
    // closed, or passed over in use): each list is in this order, and the
    // least recently used of all shards is found by comparing their far
    // ends by it.
    std::chrono::steady_clock::time_point lru_stamp;
    std::chrono::steady_clock::time_point checked_on_disk;  // when Open() last saw the file
    // ReleaseIdleMemory() did its step since the last use. Every entry
    // behind (less recently used than) a released one in its list is
    // released too.
    bool memory_released = false;
  };
  using Node = std::pair<const std::string, Entry>;
  // Henvs are spread over kShards shards by hash, each with its own mutex:
  // a request takes its henv's shard's only (the map lookup and the move to
  // the front of its list). Only what needs the least recently used of all
  // (closing connections past max_open, dropping dormant henvs past
  // max_dormant) visits every shard, one lock at a time; no code holds two
  // shards' locks at once.
  static constexpr size_t kShards = 16;
  struct alignas(64) Shard {
    std::mutex mu;
    std::unordered_map<std::string, Entry> open;  // open and dormant henvs
    // Front = most recent (Entry::lru_stamp). Point at `open`'s elements,
    // which stay put when the map rehashes (node-based), so walking needs
    // no lookup.
    std::list<Node*> lru;      // connection open
    std::list<Node*> dormant;  // connection closed
    std::unordered_set<std::string> opening;  // being opened outside the lock
    std::condition_variable opened;           // with mu: an open finished
  };
  Shard& ShardOf(const std::string& hash) const;
  static constexpr std::chrono::seconds kOnDiskCheckInterval{1};
  // Moves `entry` to the front of its list as used at `now` (REQUIRES: its
  // shard's mu).
  void MarkUsedLocked(Shard& shard, Entry& entry, std::chrono::steady_clock::time_point now);
  // Closes their connections (no lock held); one in use now is left open
  // and counted as recently used. Returns how many it closed. Then drops
  // dormant henvs past max_dormant.
  size_t CloseConnections(const std::vector<std::shared_ptr<Henv>>& henvs);
  // Closes connections until at most max_open are open, the least recently
  // used first: one in use is passed over for the next, so the bound holds
  // whenever enough are idle (each open henv is tried at most once).
  // `keep`: the henv whose mutex the caller holds (never tried).
  void CloseOverCapacity(const Henv* keep);
  // Drops the least recently used dormant henvs past max_dormant (no lock held).
  void TrimDormant();
  // Takes `it`'s entry out of the map and its list (REQUIRES: its shard's mu).
  std::shared_ptr<Henv> EraseLocked(Shard& shard, std::unordered_map<std::string, Entry>::iterator it);
  // A henv's connection, opened and migrated (Open's and a reopen's).
  Result<db::Database> OpenConnection(const std::string& hash);
  // Henv::Reopener's: a kept henv's connection is open again.
  void Reopened(Henv& henv);
  class Connector;
  friend class Connector;
  std::shared_ptr<Connector> connector_;  // henvs hold it weakly
  std::shared_ptr<db::ChangeListener> change_listener_;  // set before serving
  void JanitorLoop();

  const HenvManagerOptions options_;  // constant after construction
  const SteadyNow now_;

  mutable std::array<Shard, kShards> shards_;
  const size_t max_dormant_;
  // The storage directory, which the henvs look at their files from
  // (Henv::LookFrom). Constant after construction.
  const std::shared_ptr<const UniqueFd> look_dir_;
  // Dormant henvs' watches on their folders (folder_watch.h); null without
  // (HenvManagerOptions::watch_folders, or no inotify). Constant after
  // construction.
  const std::shared_ptr<FolderWatcher> folder_watcher_;
  // The shards' lru and dormant lists' lengths added up: changed under the
  // shard's mu as they change (an open, a close, a reopen, a drop: not a
  // request's use), read without it.
  std::atomic<size_t> open_count_{0};
  std::atomic<size_t> dormant_count_{0};
  std::atomic<uint64_t> connection_opens_{0};

  std::mutex janitor_mu_;
  std::condition_variable janitor_cv_;
  bool stopping_ = false;  // guarded by janitor_mu_
  std::thread janitor_;
};

}  // namespace hbf
