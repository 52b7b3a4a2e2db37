// Runs request handlers on a fixed set of threads, fairly across henvs.
//
// Every job has a key (a henv's hash; "" for the apex). At most
// `per_key_limit` jobs of one key run at once; the others wait in that key's
// FIFO, holding no thread, and keys with runnable work take turns (round
// robin), so a henv flooding the server with slow requests occupies at most
// `per_key_limit` threads while every other henv keeps being served. A job
// that waited longer than `queue_timeout` is expired: its Expire() runs
// instead of Run() (the HTTP layer answers 503 script_busy).
//
// Why threads separate from the I/O loops: handlers block (SQLite, Argon2,
// JavaScript up to its deadline). On the loops they would stall every
// connection of that loop; here they stall only themselves. See
// ARCHITECTURE.md "Threading model".
//
// Shards: the keys are spread by hash over `shards` key shards, each with
// its own mutex, its keys' FIFOs and counts and its own line of the keys
// with runnable work. A key lives in one shard, so its cap and its FIFO
// are exact. Each key is stamped with the time it was listed, and a thread
// looking for work takes from the shard whose front key was listed first:
// the shards' lines together are one line in the order keys were listed,
// as one shared line was (so jobs of different henvs run about in the
// order they came, which keeps the tail of the wait short, and a key
// relisted after its job goes behind every key listed meanwhile). That
// order is read from each shard's front stamp without its lock, so two
// threads looking at once may take two keys slightly out of it. A request
// touches only its key's shard: submitting, taking and finishing a job
// each lock it once. The threads' own state (which are idle, the sweeper)
// has a mutex of its own, taken only by a thread going to sleep, by one
// waking, and by a Submit() that wakes one: while every running thread
// finds work as it finishes its job (a loaded server), a request takes no
// lock but its key's shard's.
//
// Thread safety: Submit() from any thread. Jobs run on the dispatcher's
// threads; Run()/Expire() must not throw (exceptions are caught and logged).
// Stop() from one control thread: running jobs finish, queued ones expire.
// An idle thread sleeps on its own Parker (core/parker.h), and a Submit()
// that needs a thread wakes one by name (the most recently idle: its caches
// are the warmest), after the locks.
//
// Lost wake-ups: a Submit() lists its job under its shard's lock and then
// reads how many threads are awake (`active_`); a thread going to sleep
// counts itself out of `active_` and then looks at every shard's front
// stamp once more. Both are sequentially consistent, so at least
// one of the two sees the other: the Submit() wakes a thread, or the thread
// takes the job itself instead of sleeping.
//
// Running threads: a hand-off to a sleeping thread costs a futex wake and a
// context switch, and on a machine with fewer cores than runnable threads
// the woken thread preempts the I/O loop that woke it. So a Submit() wakes a
// thread only while fewer than `running_target` run jobs (no target by
// default here; hbf passes --running_threads, one per core); past it, jobs
// wait for a running thread to take them as it finishes its own. A thread
// that blocks (SQLite, a lock, a long script) would then hold up work a
// free core could do: the idle thread parked with a timeout (the sweeper)
// looks every kRescuePeriod while the target is reached, and takes a
// runnable job itself when fewer than the target have started a job within
// that period (the others are stuck). Any thread takes a runnable job only
// while no more than the target are awake (itself counted) or to rescue
// (NeedsRescue; a thread that just finished a job keeps its slot unless
// the threads running recent jobs alone meet the target): so a rescue adds
// one running thread, not every idle one. A job submitted past the target
// while no sweeper is parked (the last one went to rescue a job) wakes an
// idle thread to become one, so someone always looks.
#pragma once

#include <atomic>
#include <chrono>
#include <climits>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/parker.h"

namespace hbf {

class DispatchJob {
 public:
  virtual ~DispatchJob() = default;
  virtual void Run() = 0;
  virtual void Expire() = 0;

 private:
  friend class Dispatcher;
  // The dispatcher's while the job waits in its key's FIFO (a list through
  // the jobs themselves: queuing one allocates nothing).
  DispatchJob* next_waiting_ = nullptr;
  std::chrono::steady_clock::time_point enqueued_{};
};

struct DispatcherOptions {
  int threads = 8;
  int per_key_limit = 4;
  std::chrono::milliseconds queue_timeout{5000};
  // Threads woken to run jobs while this many are already running (0: no
  // limit): a runnable job otherwise waits for a running thread to finish
  // its job and take it, with no wake-up, unless running threads are stuck
  // (see "Running threads" below).
  int running_target = 0;
  // Key shards (see "Shards" above; at least 1).
  int shards = 1;
};

class Dispatcher {
 public:
  explicit Dispatcher(DispatcherOptions options);
  ~Dispatcher();  // Stop()s
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  void Submit(const std::string& key, std::unique_ptr<DispatchJob> job);
  void Stop();

  const DispatcherOptions& options() const { return options_; }
  // Jobs waiting for a thread (all keys).
  int queued() const;

 private:
  using Clock = std::chrono::steady_clock;
  struct KeyState {
    KeyState() = default;
    KeyState(const KeyState&) = delete;
    KeyState& operator=(const KeyState&) = delete;
    ~KeyState();  // deletes the jobs still waiting (Stop() expires them first)
    bool empty() const { return head == nullptr; }
    void Push(std::unique_ptr<DispatchJob> job, Clock::time_point now);
    std::unique_ptr<DispatchJob> Pop();

    std::string key;
    DispatchJob* head = nullptr;  // the FIFO (owned), oldest first
    DispatchJob* tail = nullptr;
    int running = 0;
    bool listed = false;  // in its shard's `ready`
    int64_t listed_ns = 0;  // when it was listed (steady clock), while `listed`
    int waiting_at = -1;  // its index in its shard's waiting_keys while not empty(), else -1
  };
  // A key shard. Its fields are guarded by `mu`; `next_listed_ns` (the
  // listing stamp of the key at the front of `ready`, kNoneListed when
  // none) and `queued_hint` mirror them, written under it, read without it.
  struct alignas(64) Shard {
    mutable std::mutex mu;
    std::unordered_map<std::string, KeyState> keys;  // element addresses are stable
    std::deque<KeyState*> ready;                     // keys with runnable work, in turn
    std::vector<KeyState*> waiting_keys;             // keys with jobs waiting (KeyState::waiting_at)
    int queued = 0;
    std::atomic<int64_t> next_listed_ns{INT64_MAX};
    std::atomic<int> queued_hint{0};
  };
  // A thread's start of its current job (steady clock, ns; 0 between
  // jobs): written by it alone, read by the sweeper's NeedsRescue.
  struct alignas(64) ThreadSlot {
    std::atomic<int64_t> job_started_ns{0};
  };

  Shard& ShardFor(const std::string& key) const;
  void ThreadMain(size_t index, Parker& self);
  // Takes the next runnable job: from the shard whose front key was
  // listed first; null when none is runnable. `ks` and `from`: its key and
  // shard, for its end. Jobs it finds past the queue timeout go to
  // `expired` instead (for the caller to Expire(), after the lock).
  std::unique_ptr<DispatchJob> TakeRunnable(Clock::time_point now, KeyState*& ks, Shard*& from,
                                            std::vector<std::unique_ptr<DispatchJob>>& expired);
  // Whether any shard has a runnable key (seq_cst loads: see "Lost
  // wake-ups"), and whether any has a job waiting.
  bool AnyRunnable() const;
  bool AnyQueued() const;
  // Expires the jobs that waited too long, in every shard, once every
  // kSweepPeriod (whichever thread finds it due).
  void SweepIfDue(Clock::time_point now);
  // After a Submit() made a key runnable: wakes a thread if fewer than the
  // target are awake, else makes sure a sweeper looks every kRescuePeriod.
  void WakeForRunnable();
  // After a Submit() queued a job behind its key's cap: makes sure a
  // sweeper will expire it.
  void WakeSweeper();
  // Parks `self` until a Submit() (or Stop()) wakes it or, as the sweeper,
  // its period passes; returns at once if, once counted idle, it finds a
  // job it may take. `is_sweeper`: whether it holds the sweeper's role on
  // return.
  void ParkIdle(Parker& self, bool& is_sweeper);
  // Whether a runnable job waits for want of a thread that is not stuck:
  // fewer than the target (besides `self`) started theirs within
  // kRescuePeriod or, with `count_between`, are awake between jobs (about
  // to take one). A thread that just finished a job leaves those out: it
  // holds a running slot already, and a sweeper looking or a thread woken
  // to become one has none. No lock (the counts are atomics).
  bool NeedsRescue(Clock::time_point now, size_t self, bool count_between) const;
  // Threads not parked. REQUIRES: pool_mu_.
  int ActiveLocked() const { return static_cast<int>(parkers_.size() - idle_.size()); }
  // Mirrors the threads' state into the atomics read without pool_mu_.
  // REQUIRES: pool_mu_.
  void PublishPoolLocked();
  // Takes an idle thread off the list, for the caller to Unpark() after
  // unlocking: the most recently idle one that is not the sweeper, else the
  // sweeper (which then leaves the role); null when none is idle.
  // REQUIRES: pool_mu_.
  Parker* TakeIdleLocked();
  // Lists `ks` as runnable if it has waiting work and room, stamped `now`.
  // REQUIRES: shard.mu.
  void ListIfRunnableLocked(Shard& shard, KeyState& ks, Clock::time_point now);
  // Moves `ks`'s jobs queued before `too_old` into `out` (its oldest first:
  // they stop at the first younger one). REQUIRES: shard.mu.
  void ExpireOldLocked(Shard& shard, KeyState& ks, Clock::time_point too_old,
                       std::vector<std::unique_ptr<DispatchJob>>& out);
  // Moves jobs that waited too long into `out` (only the keys with jobs
  // waiting). REQUIRES: shard.mu.
  void CollectExpiredLocked(Shard& shard, Clock::time_point now, std::vector<std::unique_ptr<DispatchJob>>& out);
  // Keeps the shard's waiting_keys to the keys whose FIFO is not empty:
  // after a job is queued, and after the last one left. REQUIRES: shard.mu.
  static void NoteWaitingLocked(Shard& shard, KeyState& ks);
  // Erases `ks` when it has nothing waiting or running and its shard knows
  // more than idle_keys_kept_ keys. REQUIRES: shard.mu.
  void ForgetIfIdleLocked(Shard& shard, KeyState& ks);
  static void PublishShardLocked(Shard& shard);
  static int64_t NanosOf(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  }
  static constexpr int64_t kNoneListed = INT64_MAX;
  // Idle keys' state kept for their next job, over all shards.
  static constexpr size_t kIdleKeysKept = 1024;
  static constexpr std::chrono::milliseconds kRescuePeriod{1};
  static constexpr std::chrono::milliseconds kSweepPeriod{50};

  const DispatcherOptions options_;
  const int running_target_;  // INT_MAX for none
  const size_t idle_keys_kept_;  // per shard
  std::vector<std::unique_ptr<Shard>> shards_;
  std::atomic<bool> stopping_{false};        // set under pool_mu_; read anywhere
  std::atomic<int64_t> next_sweep_ns_{0};    // SweepIfDue's turn (compare-and-swap)
  std::unique_ptr<ThreadSlot[]> slots_;      // one per thread

  mutable std::mutex pool_mu_;
  std::vector<Parker*> idle_;      // guarded by pool_mu_: parked threads, most recently idle last
  Parker* sweeper_ = nullptr;      // guarded by pool_mu_: the idle thread parked with a timeout
  bool sweeper_rescues_ = false;   // guarded by pool_mu_: it parked for kRescuePeriod, not kSweepPeriod
  // Mirrors of the above (PublishPoolLocked): threads not in idle_, whether
  // there is a sweeper, and whether it parked for kRescuePeriod. Read by
  // every Submit(), written only as threads sleep and wake: a line of their
  // own, apart from pool_mu_ and the rest.
  alignas(64) std::atomic<int> active_{0};
  std::atomic<bool> has_sweeper_{false};
  std::atomic<bool> sweeper_alert_{false};
  // One per thread, owned here rather than by the thread: a Submit() that
  // took a thread off idle_ unparks it after the lock, possibly after that
  // thread has ended (Stop()).
  alignas(64) std::vector<std::unique_ptr<Parker>> parkers_;
  std::vector<std::thread> threads_;
};

}  // namespace hbf
