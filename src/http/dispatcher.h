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
#pragma once

#include <chrono>
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
  };
  void ThreadMain(Parker& self);
  // Lists `ks` as runnable if it has waiting work and room. REQUIRES: mu_.
  void ListIfRunnableLocked(KeyState& ks);
  // Takes an idle thread off the list, for the caller to Unpark() after
  // unlocking: the most recently idle one that is not the sweeper, else the
  // sweeper (which then leaves the role); null when none is idle.
  // REQUIRES: mu_.
  Parker* TakeIdleLocked();
  // Moves jobs that waited too long into `out`. REQUIRES: mu_.
  void CollectExpiredLocked(Clock::time_point now, std::vector<std::unique_ptr<DispatchJob>>& out);
  // Erases `ks` when it has nothing waiting or running and more than
  // kIdleKeysKept keys are known. REQUIRES: mu_.
  void ForgetIfIdleLocked(KeyState& ks);
  static constexpr size_t kIdleKeysKept = 1024;

  const DispatcherOptions options_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, KeyState> keys_;  // guarded by mu_ (element addresses are stable)
  std::deque<KeyState*> ready_;                     // guarded by mu_: keys with runnable work, in turn
  int queued_ = 0;                                  // guarded by mu_
  Clock::time_point next_sweep_{};                  // guarded by mu_
  std::vector<Parker*> idle_;                       // guarded by mu_: parked threads, most recently idle last
  Parker* sweeper_ = nullptr;                       // guarded by mu_: the idle thread parked with a timeout
  bool stopping_ = false;                           // guarded by mu_
  // One per thread, owned here rather than by the thread: a Submit() that
  // took a thread off idle_ unparks it after the lock, possibly after that
  // thread has ended (Stop()).
  std::vector<std::unique_ptr<Parker>> parkers_;
  std::vector<std::thread> threads_;
};

}  // namespace hbf
