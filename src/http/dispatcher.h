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
// Thread safety: Submit() from any thread. Jobs run on the dispatcher's
// threads; Run()/Expire() must not throw (exceptions are caught and logged).
// Stop() from one control thread: running jobs finish, queued ones expire.
// One mutex (mu_) guards the queues, held only to take or give a job; an
// idle thread sleeps on its own Parker (core/parker.h), and a Submit() that
// needs a thread wakes one by name (the most recently idle: its caches are
// the warmest), after the lock.
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
// (NeedsRescueLocked; a thread that just finished a job keeps its slot
// unless the threads running recent jobs alone meet the target): so a
// rescue adds one running thread, not every idle one. A job submitted past
// the target while no sweeper is parked (the last one went to rescue a job)
// wakes an idle thread to become one, so someone always looks.
#pragma once

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
  struct Waiting {
    std::unique_ptr<DispatchJob> job;
    Clock::time_point enqueued;
  };
  struct KeyState {
    std::string key;
    std::deque<Waiting> waiting;
    int running = 0;
    bool listed = false;  // in ready_
    int waiting_at = -1;  // its index in waiting_keys_ while `waiting` is not empty, else -1
  };
  void ThreadMain(size_t index, Parker& self);
  // Threads not parked. REQUIRES: mu_.
  int ActiveLocked() const { return static_cast<int>(parkers_.size() - idle_.size()); }
  // Whether a runnable job waits for want of a thread that is not stuck:
  // fewer than the target (besides `self`) started theirs within
  // kRescuePeriod or, with `count_between`, are awake between jobs (about
  // to take one). A thread that just finished a job leaves those out: it
  // holds a running slot already, and a sweeper looking or a thread woken
  // to become one has none. REQUIRES: mu_.
  bool NeedsRescueLocked(Clock::time_point now, size_t self, bool count_between) const;
  // Lists `ks` as runnable if it has waiting work and room. REQUIRES: mu_.
  void ListIfRunnableLocked(KeyState& ks);
  // Takes an idle thread off the list, for the caller to Unpark() after
  // unlocking: the most recently idle one that is not the sweeper, else the
  // sweeper (which then leaves the role); null when none is idle.
  // REQUIRES: mu_.
  Parker* TakeIdleLocked();
  // Moves jobs that waited too long into `out` (it looks only at keys with
  // jobs waiting). REQUIRES: mu_.
  void CollectExpiredLocked(Clock::time_point now, std::vector<std::unique_ptr<DispatchJob>>& out);
  // Keeps waiting_keys_ to the keys whose `waiting` is not empty: after a
  // job is queued, and after the last one left. REQUIRES: mu_.
  void NoteWaitingLocked(KeyState& ks);
  // Erases `ks` when it has nothing waiting or running and more than
  // kIdleKeysKept keys are known. REQUIRES: mu_.
  void ForgetIfIdleLocked(KeyState& ks);
  static constexpr size_t kIdleKeysKept = 1024;
  static constexpr std::chrono::milliseconds kRescuePeriod{1};

  const DispatcherOptions options_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, KeyState> keys_;  // guarded by mu_ (element addresses are stable)
  std::deque<KeyState*> ready_;                     // guarded by mu_: keys with runnable work, in turn
  std::vector<KeyState*> waiting_keys_;             // guarded by mu_: keys with jobs waiting (KeyState::waiting_at)
  int queued_ = 0;                                  // guarded by mu_
  Clock::time_point next_sweep_{};                  // guarded by mu_
  std::vector<Parker*> idle_;                       // guarded by mu_: parked threads, most recently idle last
  Parker* sweeper_ = nullptr;                       // guarded by mu_: the idle thread parked with a timeout
  bool sweeper_rescues_ = false;                    // guarded by mu_: it parked for kRescuePeriod, not kSweepPeriod
  const int running_target_;                        // INT_MAX for none
  std::vector<Clock::time_point> job_started_;      // guarded by mu_: per thread, {} between jobs
  bool stopping_ = false;                           // guarded by mu_
  // One per thread, owned here rather than by the thread: a Submit() that
  // took a thread off idle_ unparks it after the lock, possibly after that
  // thread has ended (Stop()).
  std::vector<std::unique_ptr<Parker>> parkers_;
  std::vector<std::thread> threads_;
};

}  // namespace hbf
