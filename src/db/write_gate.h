// Where this process's connections to one database file wait for each
// other's writes.
//
// Why: a henv's workers run on several threads, each with its own
// connection, and SQLite lets one connection write at a time. The others got
// SQLITE_BUSY, and SQLite's default busy handler slept 1, 2, 5, 10... ms
// whatever the writer's own time (tens of microseconds for a row): on the
// bench app's write scenario, ~900 sleeps a second while the cores idled
// (bench/README.md, 2026-12-02, sixth session). A connection's busy handler
// now waits here, and a connection that has committed wakes it: SQLite's
// WAL hook runs once the commit has let go of the write lock.
//
// What is not announced here (a writer in another process, such as the
// `hbf` command or a backup; a rollback; a commit between SQLite's failed
// lock and the wait) is found by looking again: a wait never lasts more
// than its slice, which the busy handler lengthens while the lock stays
// taken.
//
// A wait spins first, for a short while (kSpin), when it is the first look
// of its busy handler and another core can run the writer: a henv's writer
// holds the lock for tens of microseconds, and a waiter that slept paid a
// futex wait, two context switches and the committer's futex wake
// (bench/README.md, 2026-12-07 thirty-ninth session).
//
// Thread safety: any thread. Committed() takes the gate's lock only while
// someone sleeps in a wait; CheckpointDue() and CheckpointDone() are
// lock-free (at worst two connections each run a checkpoint); the file's
// gate is shared (PerFile), never global.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

namespace hbf::db {

class WriteGate {
 public:
  // The gate of the file at `path` (the same object while anyone holds it).
  static std::shared_ptr<WriteGate> For(const std::string& path);

  // Returns once a connection of this process has committed to the file
  // (since this call began), or after `slice`. With `spin_first`, it looks
  // for the commit without sleeping for up to kSpin of the slice first
  // (only where the process may run on more than one core).
  void Wait(std::chrono::microseconds slice, bool spin_first = false);
  static constexpr std::chrono::microseconds kSpin{40};
  // A connection committed to the file: its write lock is free.
  void Committed();

  // The file's checkpoints, run by the connection whose commit finds one
  // due (its WAL hook; the gate replaces SQLite's automatic checkpoint).
  //
  // Why: SQLite's runs a passive checkpoint after every commit once the WAL
  // is past 1,000 pages, and the WAL only starts again from its beginning
  // once a writer finds every page copied and no reader in it. With a
  // henv's workers reading and writing all the time that moment was rare:
  // the WAL stayed long, and each commit paid a checkpoint of its own few
  // pages with two fdatasyncs (~500 a second on the bench app's write
  // scenario, ~1.5 ms each on this VM). A passive checkpoint only every
  // 1,000 pages never caught up at all: writers kept adding pages while it
  // copied, and the WAL grew by 300 MB in 12 s.
  //
  // So: once the WAL reaches kCheckpointPages, a RESTART checkpoint, which
  // holds other writers off while it copies every page (they wait at this
  // gate, woken when it ends) and waits briefly for readers to leave the
  // WAL, so that the next commit starts it again from its beginning. When
  // it cannot, it copies what it can, and tries again kRetryPages later,
  // then twice as many pages later each time it fails again (up to
  // kCheckpointPages): a reader that stays (Litestream keeps a read
  // transaction open in the file for as long as it replicates it) costs
  // the commits a few waits of kCheckpointWait, not one per commit.
  static constexpr int kCheckpointPages = 1000;  // SQLITE_DEFAULT_WAL_AUTOCHECKPOINT
  static constexpr int kRetryPages = 100;
  // How long a checkpoint waits for writers and readers before it settles
  // for what it can copy (so a commit pays at most this for it). This
  // process's own readers are done within it; a reader that is not, stays.
  static constexpr std::chrono::milliseconds kCheckpointWait{5};
  // Whether a commit that left the WAL `pages` long should run one.
  bool CheckpointDue(int pages);
  // The checkpoint CheckpointDue asked for ran at `pages`: `restarted`,
  // it copied everything and the WAL starts again; otherwise it did not
  // finish.
  void CheckpointDone(int pages, bool restarted);

  // How many connections wait now (spinning or asleep), and how many waits
  // a commit ended (tests).
  int waiting() const { return waiters_.load(std::memory_order_seq_cst); }
  uint64_t wakeups() const { return wakeups_.load(std::memory_order_relaxed); }

 private:
  // Whether a commit ended the wait while it spun until `until`.
  bool Spin(uint64_t seen, std::chrono::steady_clock::time_point until) const;

  std::atomic<int> waiters_{0};   // spinning or asleep
  std::atomic<int> sleepers_{0};  // asleep on cv_ (a commit wakes them)
  std::atomic<uint64_t> wakeups_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  // Commits announced; a sleeper registers in sleepers_ under mu_ before it
  // reads this, and Committed() adds to it before it reads sleepers_ (both
  // seq_cst): either the commit sees the sleeper and wakes it under mu_, or
  // the sleeper sees the commit.
  std::atomic<uint64_t> commits_{0};
  std::atomic<int> next_checkpoint_{kCheckpointPages};  // WAL pages (CheckpointDue)
  std::atomic<int> retry_pages_{kRetryPages};           // after the next failure
};

// The busy handler's wait before its `count`th look at a taken lock
// (SQLite's count: 0 for the first): short at first, since a commit wakes
// the waiter anyway, then longer, for a writer this process cannot see.
std::chrono::microseconds WriteGateSlice(int count);

}  // namespace hbf::db
