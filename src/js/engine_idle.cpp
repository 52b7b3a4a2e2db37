// JsEngine's idle workers (engine.h): the housekeeping thread (trim and
// hibernate, surplus shed, spares made, retired ones destroyed, the shelf
// swept), eviction over the memory budget or the connection cap, and the
// explicit drops. The request path (Run, Checkout, CheckIn) and parked
// requests are in engine.cpp.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <utility>

#include "core/process_heap.h"
#include "core/log.h"
#include "js/allocator.h"
#include "js/engine.h"
#include "js/worker.h"

namespace hbf::js {
namespace {
using Clock = std::chrono::steady_clock;

// How often the housekeeper looks for surplus idle workers (or more often,
// when EngineOptions::surplus_idle is shorter).
constexpr Clock::duration kShedEvery = std::chrono::seconds(5);
// How often the arenas kept for workers to come are unmapped if no worker
// took one since (js/allocator.h: Arena::ReleaseKeptIfUnused).
constexpr Clock::duration kReleaseArenasEvery = std::chrono::seconds(2);

// Moves idle worker `w` out of its pool's idle list (the caller takes it off
// its shard's list too); null if it is not there. REQUIRES: the lock of
// its pool's shard held.
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
  int64_t freed_since_malloc_trim = 0;
  Clock::time_point last_shed = Clock::now();
  Clock::time_point last_shelf_sweep = Clock::now();
  Clock::time_point last_long_tail_look = Clock::now();
  Clock::time_point last_arena_release = Clock::now();
  const Clock::duration shed_every = std::min<Clock::duration>(kShedEvery, options_.surplus_idle);
  std::unique_lock lock(house_mu_);
  for (;;) {
    const auto want_spare = [this] {
      return !spares_failed_ && spares_.size() < static_cast<size_t>(options_.spare_workers);
    };
    housekeeping_wanted_.wait_for(lock, std::chrono::seconds(1),
                                  [&] { return stopping_ || !retired_.empty() || want_spare(); });
    if (stopping_) return;
    // The shards, one at a time (house_mu_ is never held with a shard's).
    lock.unlock();
    freed_since_malloc_trim += TrimIdle(Clock::now() - kTrimAfterIdle);
    // Pools shrink back after a burst (EngineOptions::surplus_idle); the
    // idle lists are walked whole, so not on every pass.
    if (options_.surplus_idle.count() > 0 && Clock::now() - last_shed >= shed_every) {
      last_shed = Clock::now();
      for (Shard& shard : shards_) {
        std::vector<std::unique_ptr<Worker>> surplus;
        {
          std::lock_guard shard_lock(shard.mu);
          ShedSurplusLocked(shard, last_shed - options_.surplus_idle, surplus);
          ForgetLocked(shard, surplus);
          PublishLocked(shard, /*now=*/true);
        }
        // Destroyed here: this is the thread retired workers go to.
        for (const auto& w : surplus) freed_since_malloc_trim += w->malloc_bytes();
      }
    }
    if (Clock::now() - last_long_tail_look >= options_.long_tail_look_every) {
      last_long_tail_look = Clock::now();
      UpdateLongTail();
    }
    // Kept connections no henv took again in time are closed (a stat
    // each, and a close), once a second at most.
    if (Clock::now() - last_shelf_sweep >= std::chrono::seconds(1)) {
      last_shelf_sweep = Clock::now();
      connection_shelf_.CloseIdle();
    }
    if (Clock::now() - last_arena_release >= kReleaseArenasEvery) {
      last_arena_release = Clock::now();
      internal::Arena::ReleaseKeptIfUnused();
    }
    // The collected heaps went back to malloc, which keeps freed memory
    // (core/process_heap.h: requests reuse it); once a lot has been freed by
    // idle workers, hand it back to the system.
    if (freed_since_malloc_trim > (int64_t{8} << 20) && TrimHeapIfDue()) freed_since_malloc_trim = 0;
    lock.lock();
    if (stopping_) return;
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

int64_t JsEngine::TrimIdle(Clock::time_point cutoff) {
  int64_t freed = 0;
  for (Shard& shard : shards_) {
    for (;;) {
      std::vector<std::unique_ptr<Worker>> idle;
      {
        std::lock_guard lock(shard.mu);
        idle = TakeUntrimmedLocked(shard, cutoff);
      }
      if (idle.empty()) break;
      for (auto& w : idle) SettleIdle(std::move(w), freed);
      std::lock_guard lock(house_mu_);
      if (stopping_) return freed;
    }
  }
  return freed;
}

bool JsEngine::SettleIdle(std::unique_ptr<Worker> w, int64_t& freed) {
  HenvPool& pool = w->pool();
  bool hibernated = false;
  const IdleFate fate = FateOfIdle(*w);
  if (fate == IdleFate::kDrop) {
    // Off the books at its check-in, destroyed by the housekeeper with the
    // retired (its connection to the shelf).
    w->Retire();
    freed += w->malloc_bytes();
  } else {
    // (what went back to malloc: the pages its arena gives back go to the
    // system by themselves)
    const int64_t before = w->malloc_bytes();
    hibernated = Rest(*w, fate == IdleFate::kRestToMeasure);
    freed += std::max<int64_t>(0, before - w->malloc_bytes());
  }
  CheckIn(pool, std::move(w));
  return hibernated;
}

JsEngine::IdleFate JsEngine::FateOfIdle(const Worker& w) {
  if (options_.hibernation != EngineOptions::Hibernation::kWhenCheaper || !w.CanHibernate() ||
      !WakeCostsMoreThanMake(w, /*and_packing=*/true)) {
    return IdleFate::kRest;
  }
  // One decision in kHibernateProbeEvery hibernates after all, so that
  // wakes go on being measured (a machine's figure moves: another load on
  // the host, pages it backs again or not).
  if (hibernate_refusals_.fetch_add(1, std::memory_order_relaxed) % kHibernateProbeEvery == kHibernateProbeEvery - 1) {
    return IdleFate::kRestToMeasure;
  }
  dropped_idle_.fetch_add(1, std::memory_order_relaxed);
  return IdleFate::kDrop;
}

bool JsEngine::Rest(Worker& w, bool to_measure) {
  w.Trim();
  w.trimmed_since_use = true;
  // Then its arena gives way to a snapshot (packed, ~10 KB instead of ~380
  // for a small router): waking it costs its next request the snapshot
  // unpacked, its pages made again, the image copied and the snapshot
  // written back, and it keeps its state.
  if (options_.hibernation == EngineOptions::Hibernation::kNever) return false;
  const auto arena_bytes = static_cast<int64_t>(w.arena_used_bytes());
  const auto began = Clock::now();
  if (!w.Hibernate()) return false;
  NotePack(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - began).count(), arena_bytes);
  w.hibernated_to_measure = to_measure;
  hibernations_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

bool JsEngine::WakeCostsMoreThanMake(const Worker& w, bool and_packing) const {
  const int64_t wake_per_kib = wake_ns_per_kib_.load(std::memory_order_relaxed);
  const int64_t make_ns = w.pool().make_ns.load(std::memory_order_relaxed);
  if (wake_per_kib <= 0 || make_ns <= 0) return false;
  const int64_t per_kib = wake_per_kib + (and_packing ? pack_ns_per_kib_.load(std::memory_order_relaxed) : 0);
  return per_kib * static_cast<int64_t>(w.arena_used_bytes() / 1024) > make_ns;
}

bool JsEngine::CostlierToWakeThanRemake(const Worker& w) const {
  return w.hibernated() && !w.hibernated_to_measure &&
         options_.hibernation == EngineOptions::Hibernation::kWhenCheaper && WakeCostsMoreThanMake(w);
}

void JsEngine::NoteWake(int64_t ns, int64_t arena_bytes) {
  if (arena_bytes < 1024 || ns <= 0) return;
  const int64_t sample = ns * 1024 / arena_bytes;
  // (The first replaces the estimate made at start.)
  const bool first = !wake_measured_.exchange(true, std::memory_order_relaxed);
  wake_ns_per_kib_.store(FoldIn(first ? 0 : wake_ns_per_kib_.load(std::memory_order_relaxed), sample),
                         std::memory_order_relaxed);
}

void JsEngine::NotePack(int64_t ns, int64_t arena_bytes) {
  if (arena_bytes < 1024 || ns <= 0) return;
  const int64_t sample = ns * 1024 / arena_bytes;
  pack_ns_per_kib_.store(FoldIn(pack_ns_per_kib_.load(std::memory_order_relaxed), sample), std::memory_order_relaxed);
}

std::vector<std::unique_ptr<Worker>> JsEngine::TakeUntrimmedLocked(Shard& shard, Clock::time_point cutoff) {
  // From the least recently used end of the untrimmed ones; a few per pass,
  // so requests waiting for the shard's lock are not held up. The list is
  // in order of last use, so the walk ends at the first one used since
  // `cutoff`: it visits only what it takes. (Trimmed workers used to share
  // this list, at its far end, and every pass walked past all of them: with
  // ~2,700 idle workers, 8% of a server's CPU under the engine's (then single) lock.)
  // (Workers on probation are untrimmed too, in a list of their own.)
  std::vector<std::unique_ptr<Worker>> out;
  for (std::list<Worker*>* lru : {&shard.idle_lru, &shard.probation_lru}) {
    auto it = lru->end();
    while (it != lru->begin() && out.size() < 4) {
      --it;
      Worker* w = *it;
      if (w->idle_since > cutoff) break;
      std::unique_ptr<Worker> taken = TakeFromPool(w);
      if (!taken) continue;
      it = lru->erase(it);  // the next one back is visited by --it
      ++w->pool().busy;     // checked out: CheckIn gives it back
      out.push_back(std::move(taken));
    }
  }
  return out;
}

void JsEngine::ShedSurplusLocked(Shard& shard, Clock::time_point cutoff, std::vector<std::unique_ptr<Worker>>& out) {
  const size_t first = out.size();
  // The trimmed (idle longest) first.
  for (std::list<Worker*>* lru : {&shard.trimmed_lru, &shard.probation_lru, &shard.idle_lru}) {
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

namespace {
// Eviction's bound on victims it looks for in one call: each costs a visit
// to every shard, and a victim a request took meanwhile is looked for again.
constexpr int kMaxEvictionRounds = 256;
// How far from a list's far end eviction looks again for the victim it
// chose (it is at the far end unless the cap on connections chose it).
constexpr int kMaxVictimSteps = 64;
}  // namespace

uint64_t JsEngine::EvictionsSince(const HenvPool& pool) const {
  if (pool.evicted_at == 0) return UINT64_MAX;
  return evictions_.load(std::memory_order_relaxed) - pool.evicted_at;
}

uint64_t JsEngine::EvictionWindow() const {
  return static_cast<uint64_t>(
      std::max<int64_t>(workers_at_eviction_.load(std::memory_order_relaxed), 2 * kProbationWorkers));
}

uint64_t JsEngine::LongTailWindow() const {
  return std::max(EvictionWindow(), static_cast<uint64_t>(budget_workers_.load(std::memory_order_relaxed)));
}

// Probation's target and the henvs that come back ("Probation", engine.h):
// read by EvictOverBudget, moved by Checkout's makes.
JsEngine::Return JsEngine::ReturnOf(const HenvPool& pool, uint64_t since) const {
  if (since >= EvictionWindow() / 2) return Return::kNone;
  return pool.evicted_on_probation ? Return::kAfterProbation : Return::kAfterProtected;
}

void JsEngine::NoteMakeLocked(HenvPool& pool, Return how) {
  pool.evicted_at = 0;
  if (how == Return::kNone) return;
  // A step toward the list its last worker was evicted from, the larger the
  // fewer of the recent evictions took from that list (the stored figure
  // may pass a bound by a step: ProbationTargetFor clamps what it reads); a
  // race between two makes loses a step.
  const int64_t share = std::clamp<int64_t>(probation_eviction_share_.load(std::memory_order_relaxed), 1, kShareUnit - 1);
  const int64_t step = how == Return::kAfterProbation
                           ? std::clamp<int64_t>((kShareUnit - share) / share, 1, kMaxProbationStep)
                           : -std::clamp<int64_t>(share / (kShareUnit - share), 1, kMaxProbationStep);
  const int64_t now = ProbationTargetFor(workers_at_eviction_.load(std::memory_order_relaxed));
  probation_target_.store(now + step, std::memory_order_relaxed);
}

int64_t JsEngine::ProbationTargetFor(int64_t workers) const {
  const int64_t target = probation_target_.load(std::memory_order_relaxed);
  const int64_t high = std::max<int64_t>(workers / 2, kProbationWorkers);
  return std::clamp<int64_t>(target != 0 ? target : workers / kProbationShare, kProbationWorkers, high);
}

void JsEngine::NoteEvictionLocked(Shard& shard, Worker& w) {
  ++(w.hibernated() ? shard.evicted_hibernated : shard.evicted_awake);
  if (w.on_probation) ++shard.evicted_on_probation;
  w.pool().evicted_at = evictions_.fetch_add(1, std::memory_order_relaxed) + 1;
  w.pool().evicted_on_probation = w.on_probation;
}

void JsEngine::UpdateLongTail() {
  if (!options_.transient_workers || !options_.bound_images || !options_.copy_blank_workers) return;
  uint64_t checkouts = 0;
  uint64_t made_new = 0;
  int64_t made_bytes = 0;
  int64_t shards_with_made = 0;
  for (Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    checkouts += shard.checkouts;
    made_new += shard.made_new;
    if (shard.made_bytes > 0) {
      made_bytes += shard.made_bytes;
      ++shards_with_made;
    }
  }
  const int64_t each = shards_with_made > 0 ? made_bytes / shards_with_made
                                            : static_cast<int64_t>(internal::Arena::kDefaultBytes);
  budget_workers_.store(options_.memory_budget_bytes / each, std::memory_order_relaxed);
  std::lock_guard lock(long_tail_mu_);
  const auto asked = static_cast<int64_t>(checkouts - long_tail_checkouts_);
  if (asked < options_.long_tail_min_checkouts) return;  // too few to judge: counted on at the next look
  const auto fresh = static_cast<int64_t>(made_new - long_tail_made_new_);
  long_tail_checkouts_ = checkouts;
  long_tail_made_new_ = made_new;
  const bool on = fresh * kLongTailNewShare > asked;
  if (long_tail_.load(std::memory_order_relaxed) != on) long_tail_.store(on, std::memory_order_relaxed);
}

void JsEngine::EvictOverBudget() {
  const int cap = options_.max_worker_connections;
  // An idle worker's list in its shard.
  enum class Lru { kTrimmed, kProbation, kIdle };
  const auto list_of = [](Shard& shard, Lru lru) -> std::list<Worker*>& {
    switch (lru) {
      case Lru::kTrimmed: return shard.trimmed_lru;
      case Lru::kProbation: return shard.probation_lru;
      case Lru::kIdle: break;
    }
    return shard.idle_lru;
  };
  for (int round = 0; round < kMaxEvictionRounds; ++round) {
    const bool over_memory = published_bytes_.load(std::memory_order_relaxed) > options_.memory_budget_bytes;
    const bool over_connections = cap > 0 && published_connections_.load(std::memory_order_relaxed) > cap;
    if (!over_memory && !over_connections) return;
    // Each list's candidate across all shards: the one used longest ago at
    // its far end; over the descriptors only, the least recently used
    // holding a connection (those that hold none cost none; workers whose
    // scripts query hold one from their first request, so the walk is
    // short).
    struct Victim {
      size_t shard = 0;
      Lru lru = Lru::kIdle;
      Worker* worker = nullptr;  // not to be followed without its shard's lock
      Clock::time_point idle_since;
    };
    std::optional<Victim> oldest[3];  // by Lru
    size_t on_probation = 0;
    int64_t workers = 0;
    for (size_t i = 0; i < kShards; ++i) {
      Shard& shard = shards_[i];
      std::lock_guard lock(shard.mu);
      on_probation += shard.probation_lru.size();
      workers += shard.workers;
      for (const Lru lru : {Lru::kTrimmed, Lru::kProbation, Lru::kIdle}) {
        const std::list<Worker*>& list = list_of(shard, lru);
        Worker* found = nullptr;
        if (over_memory) {
          if (!list.empty()) found = list.back();
        } else {
          for (auto it = list.rbegin(); it != list.rend(); ++it) {
            if ((*it)->accounted_connections != 0) {
              found = *it;
              break;
            }
          }
        }
        std::optional<Victim>& best = oldest[static_cast<size_t>(lru)];
        if (found != nullptr && (!best || found->idle_since < best->idle_since)) {
          best = Victim{i, lru, found, found->idle_since};
        }
      }
    }
    workers_at_eviction_.store(workers, std::memory_order_relaxed);
    // Over the budget, the oldest on probation while more than the
    // probation target are ("Probation", engine.h); then the trimmed (idle
    // for kTrimAfterIdle at least); then the least recently used of the
    // rest.
    const std::optional<Victim>& trimmed = oldest[static_cast<size_t>(Lru::kTrimmed)];
    const std::optional<Victim>& probation = oldest[static_cast<size_t>(Lru::kProbation)];
    const std::optional<Victim>& idle = oldest[static_cast<size_t>(Lru::kIdle)];
    std::optional<Victim> best;
    if (over_memory && static_cast<int64_t>(on_probation) > ProbationTargetFor(workers)) best = probation;
    if (!best) best = trimmed;
    if (!best) best = !idle || (probation && probation->idle_since < idle->idle_since) ? probation : idle;
    if (!best) return;  // busy workers hold it all
    std::vector<std::unique_ptr<Worker>> evicted;
    {
      Shard& shard = shards_[best->shard];
      std::lock_guard lock(shard.mu);
      // Between the locks a request may have taken it (and its memory gone
      // to another worker): only a worker still in the list is followed.
      std::list<Worker*>& lru = list_of(shard, best->lru);
      auto it = lru.end();
      for (int step = 0; step < kMaxVictimSteps && it != lru.begin(); ++step) {
        --it;
        if (*it != best->worker) continue;
        if ((*it)->idle_since == best->idle_since) {
          if (std::unique_ptr<Worker> taken = TakeFromPool(*it)) {
            lru.erase(it);
            NoteEvictionLocked(shard, *taken);
            const int64_t share = probation_eviction_share_.load(std::memory_order_relaxed);
            probation_eviction_share_.store(share + (((taken->on_probation ? kShareUnit : 0) - share) >> 10),
                                            std::memory_order_relaxed);
            evicted.push_back(std::move(taken));
            ForgetLocked(shard, evicted);
            PublishLocked(shard, /*now=*/true);
          }
        }
        break;
      }
    }
    Retire(evicted);
  }
}

int JsEngine::HibernateIdleWorkers() {
  std::vector<std::unique_ptr<Worker>> idle;
  for (Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    for (std::list<Worker*>* lru : {&shard.idle_lru, &shard.probation_lru, &shard.trimmed_lru}) {
      for (auto it = lru->begin(); it != lru->end();) {
        Worker* w = *it;
        if (w->hibernated()) {
          ++it;
          continue;
        }
        std::unique_ptr<Worker> taken = TakeFromPool(w);
        if (!taken) {
          ++it;
          continue;
        }
        it = lru->erase(it);
        ++w->pool().busy;  // checked out: CheckIn gives it back
        idle.push_back(std::move(taken));
      }
    }
  }
  // Checked in (to the trimmed lists' fronts) in the order they were used.
  std::sort(idle.begin(), idle.end(), [](const auto& a, const auto& b) { return a->idle_since < b->idle_since; });
  int hibernated = 0;
  int64_t freed = 0;
  for (auto& w : idle) hibernated += SettleIdle(std::move(w), freed) ? 1 : 0;
  return hibernated;
}

void JsEngine::DropIdleWorkers() {
  std::vector<std::unique_ptr<Worker>> dropped;  // destroyed after the locks
  for (Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    const size_t first = dropped.size();
    for (std::list<Worker*>* lru : {&shard.idle_lru, &shard.probation_lru, &shard.trimmed_lru}) {
      for (Worker* w : *lru) {
        if (std::unique_ptr<Worker> taken = TakeFromPool(w)) dropped.push_back(std::move(taken));
      }
      lru->clear();
    }
    for (size_t i = first; i < dropped.size(); ++i) ForgetLocked(shard, *dropped[i]);
    PublishLocked(shard, /*now=*/true);
  }
}

}  // namespace hbf::js
