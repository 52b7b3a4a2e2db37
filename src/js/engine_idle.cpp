// JsEngine's idle workers (engine.h): the housekeeping thread (trim and
// hibernate, surplus shed, spares made, retired ones destroyed, the shelf
// swept), eviction over the memory budget or the connection cap, and the
// explicit drops. The request path (Run, Checkout, CheckIn) and parked
// requests are in engine.cpp.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

#include "core/heap_trim.h"
#include "core/log.h"
#include "js/engine.h"
#include "js/worker.h"

namespace hbf::js {
namespace {
using Clock = std::chrono::steady_clock;

// How often the housekeeper looks for surplus idle workers (or more often,
// when EngineOptions::surplus_idle is shorter).
constexpr Clock::duration kShedEvery = std::chrono::seconds(5);

// Moves idle worker `w` out of its pool's idle list (the caller takes it off
// idle_lru_ too); null if it is not there. REQUIRES: the engine's mu_ held.
std::unique_ptr<Worker> TakeFromPool(Worker* w) {
  auto& idle = w->pool().idle;
  auto slot = std::find_if(idle.begin(), idle.end(), [w](const auto& owned) { return owned.get() == w; });
  if (slot == idle.end()) return nullptr;
  std::unique_ptr<Worker> taken = std::move(*slot);
  idle.erase(slot);
  return taken;
}
}  // namespace

void JsEngine::Housekeep() {
  // Below the request threads: this work only saves them time when a core is free.
  setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 10);
  std::unique_lock lock(mu_);
  int64_t freed_since_malloc_trim = 0;
  Clock::time_point last_shed = Clock::now();
  Clock::time_point last_shelf_sweep = Clock::now();
  const Clock::duration shed_every = std::min<Clock::duration>(kShedEvery, options_.surplus_idle);
  for (;;) {
    const auto want_spare = [this] {
      return !spares_failed_ && spares_.size() < static_cast<size_t>(options_.spare_workers);
    };
    housekeeping_wanted_.wait_for(lock, std::chrono::seconds(1),
                                  [&] { return stopping_ || !retired_.empty() || want_spare(); });
    if (stopping_) return;
    for (;;) {
      std::vector<std::unique_ptr<Worker>> idle = TakeUntrimmedLocked(Clock::now() - kTrimAfterIdle);
      if (idle.empty()) break;
      lock.unlock();
      for (auto& w : idle) {
        // (what went back to malloc: the pages its arena gives back go to
        // the system by themselves)
        const int64_t before = w->malloc_bytes();
        Rest(*w);
        freed_since_malloc_trim += std::max<int64_t>(0, before - w->malloc_bytes());
        HenvPool& pool = w->pool();
        CheckIn(pool, std::move(w));
      }
      lock.lock();
      if (stopping_) return;
    }
    // Pools shrink back after a burst (EngineOptions::surplus_idle); the
    // idle list is walked whole, so not on every pass.
    if (options_.surplus_idle.count() > 0 && Clock::now() - last_shed >= shed_every) {
      last_shed = Clock::now();
      std::vector<std::unique_ptr<Worker>> surplus;
      ShedSurplusLocked(last_shed - options_.surplus_idle, surplus);
      ForgetLocked(surplus);
      RetireLocked(surplus);
      if (!surplus.empty()) {
        lock.unlock();
        for (const auto& w : surplus) freed_since_malloc_trim += w->malloc_bytes();
        surplus.clear();
        lock.lock();
        if (stopping_) return;
      }
    }
    // Kept connections no henv took again in time are closed (a stat
    // each, and a close: outside the lock), once a second at most.
    if (Clock::now() - last_shelf_sweep >= std::chrono::seconds(1)) {
      last_shelf_sweep = Clock::now();
      lock.unlock();
      connection_shelf_.CloseIdle();
      lock.lock();
      if (stopping_) return;
    }
    // The collected heaps went back to malloc, which keeps freed memory
    // (main.cpp's mallopt: requests reuse it); once a lot has been freed by
    // idle workers, hand it back to the system.
    if (freed_since_malloc_trim > (int64_t{8} << 20)) {
      lock.unlock();
      const bool trimmed = TrimHeapIfDue();
      lock.lock();
      if (trimmed) freed_since_malloc_trim = 0;
    }
    if (retired_.empty() && !want_spare()) continue;
    if (!retired_.empty()) {
      std::vector<std::unique_ptr<Worker>> doomed;
      doomed.swap(retired_);
      lock.unlock();
      // A destroyed runtime's malloc blocks go back to malloc: count them.
      for (const auto& w : doomed) freed_since_malloc_trim += w->malloc_bytes();
      doomed.clear();
      lock.lock();
      continue;
    }
    lock.unlock();
    ScriptResult::Failure failure;
    std::unique_ptr<Worker> blank = Worker::CreateBlank(ScriptLimits{}, failure, options_.copy_blank_workers);
    lock.lock();
    if (!blank) {
      // Spares are an optimisation: requests build their workers themselves
      // (and report this failure properly). Do not spin.
      Log(LogLevel::kError, "cannot prepare spare JavaScript workers: " + failure.message);
      spares_failed_ = true;
      continue;
    }
    spares_.push_back(std::move(blank));
  }
}

bool JsEngine::Rest(Worker& w) {
  w.Trim();
  w.trimmed_since_use = true;
  // Then its arena gives way to a snapshot (packed, ~19 KB instead of ~380
  // for a small router): waking it costs its next request ~0.2 ms (the
  // snapshot unpacked, its pages made again, the image copied, the
  // snapshot written back), less than making a worker, and it keeps its
  // state.
  return options_.hibernate_idle_workers && w.Hibernate();
}

std::vector<std::unique_ptr<Worker>> JsEngine::TakeUntrimmedLocked(Clock::time_point cutoff) {
  // From the least recently used end of the untrimmed ones; a few per pass,
  // so requests waiting for mu_ are not held up. The list is in order of
  // last use, so the walk ends at the first one used since `cutoff`: it
  // visits only what it takes. (Trimmed workers used to share this list, at
  // its far end, and every pass walked past all of them: with ~2,700 idle
  // workers, 8% of a server's CPU under mu_.)
  std::vector<std::unique_ptr<Worker>> out;
  auto it = idle_lru_.end();
  while (it != idle_lru_.begin() && out.size() < 4) {
    --it;
    Worker* w = *it;
    if (w->idle_since > cutoff) break;
    std::unique_ptr<Worker> taken = TakeFromPool(w);
    if (!taken) continue;
    it = idle_lru_.erase(it);  // the next one back is visited by --it
    ++w->pool().busy;          // checked out: CheckIn gives it back
    out.push_back(std::move(taken));
  }
  return out;
}

void JsEngine::ShedSurplusLocked(Clock::time_point cutoff, std::vector<std::unique_ptr<Worker>>& out) {
  const size_t first = out.size();
  // The trimmed (idle longest) first.
  for (std::list<Worker*>* lru : {&trimmed_lru_, &idle_lru_}) {
    auto it = lru->end();
    while (it != lru->begin() && out.size() - first < kMaxShedPerPass) {
      --it;
      Worker* w = *it;
      HenvPool& pool = w->pool();
      if (w->idle_since > cutoff || pool.idle.size() + static_cast<size_t>(pool.busy) <= 1) continue;
      std::unique_ptr<Worker> taken = TakeFromPool(w);
      if (!taken) continue;
      it = lru->erase(it);  // the next one back is visited by --it
      out.push_back(std::move(taken));
    }
  }
}

bool JsEngine::LeastRecentHoldingAConnectionLocked(std::list<Worker*>*& lru, std::list<Worker*>::iterator& at) {
  // Those that hold none cost none; workers whose scripts query hold one
  // from their first request, so the walk is short where it runs at all.
  for (std::list<Worker*>* candidates : {&trimmed_lru_, &idle_lru_}) {
    for (auto it = candidates->end(); it != candidates->begin();) {
      --it;
      if ((*it)->accounted_connections != 0) {
        lru = candidates;
        at = it;
        return true;
      }
    }
  }
  return false;
}

void JsEngine::EvictOverBudgetLocked(std::vector<std::unique_ptr<Worker>>& out) {
  int64_t total = accounted_bytes_;
  int connections = accounted_connections_;
  for (const auto& w : out) {
    total -= w->accounted_bytes;
    connections -= w->accounted_connections;
  }
  const int cap = options_.max_worker_connections;
  while (!trimmed_lru_.empty() || !idle_lru_.empty()) {
    // The least recently used: the trimmed first (idle for kTrimAfterIdle
    // at least), each list from its far end.
    std::list<Worker*>* lru = trimmed_lru_.empty() ? &idle_lru_ : &trimmed_lru_;
    auto victim = std::prev(lru->end());
    if (total <= options_.memory_budget_bytes) {
      if (cap <= 0 || connections <= cap) break;
      // Over the descriptors only.
      if (!LeastRecentHoldingAConnectionLocked(lru, victim)) break;  // busy workers hold them all
    }
    Worker* w = *victim;
    lru->erase(victim);
    if (std::unique_ptr<Worker> taken = TakeFromPool(w)) {
      total -= w->accounted_bytes;
      connections -= w->accounted_connections;
      out.push_back(std::move(taken));
    }
  }
}

int JsEngine::HibernateIdleWorkers() {
  std::vector<std::unique_ptr<Worker>> idle;
  {
    std::lock_guard lock(mu_);
    for (auto& [hash, pool] : pools_) {
      for (auto it = pool->idle.begin(); it != pool->idle.end();) {
        if ((*it)->hibernated()) {
          ++it;
          continue;
        }
        LruOf(**it).erase((*it)->lru_position);
        ++pool->busy;  // checked out: CheckIn gives it back
        idle.push_back(std::move(*it));
        it = pool->idle.erase(it);
      }
    }
  }
  int hibernated = 0;
  for (auto& w : idle) {
    if (Rest(*w)) ++hibernated;
    HenvPool& pool = w->pool();
    CheckIn(pool, std::move(w));
  }
  return hibernated;
}

void JsEngine::DropIdleWorkers() {
  std::vector<std::unique_ptr<Worker>> dropped;
  {
    std::lock_guard lock(mu_);
    for (auto& [hash, pool] : pools_) {
      for (auto& w : pool->idle) dropped.push_back(std::move(w));
      pool->idle.clear();
    }
    idle_lru_.clear();
    trimmed_lru_.clear();
    ForgetLocked(dropped);
  }
}

}  // namespace hbf::js
