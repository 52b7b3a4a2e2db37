#include "js/engine.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <utility>

#include "core/log.h"
#include "core/thread_name.h"
#include "henv/henv_log.h"
#include "js/bound_image.h"
#include "js/worker.h"
#include "js/worker_image.h"

namespace hbf::js {
namespace {
using Clock = std::chrono::steady_clock;

// Engines' ids (JsEngine::id_), never reused.
std::atomic<uint64_t> next_engine_id{1};

int64_t NanosSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count();
}
}

JsEngine::JsEngine(EngineOptions options)
    : options_(options),
      id_(next_engine_id.fetch_add(1, std::memory_order_relaxed)),
      connection_shelf_(static_cast<size_t>(std::max(0, options_.spare_connections)), options_.spare_connection_idle),
      publish_batch_bytes_(std::max<int64_t>(0, options_.memory_budget_bytes / static_cast<int64_t>(kShards * 16))) {
  Worker::SetDropWhole(options_.drop_workers_whole);
  if (options_.hibernation == EngineOptions::Hibernation::kWhenCheaper && options_.estimate_wake_at_start) {
    wake_ns_per_kib_.store(internal::Arena::FreshWriteNsPerKib(), std::memory_order_relaxed);
  }
  housekeeper_ = std::thread([this] { Housekeep(); });
  NameThread(housekeeper_, "hbf-housekeeper");
  waker_ = std::thread([this] { Wake(); });
  NameThread(waker_, "hbf-js-waker");
}

void JsEngine::Shutdown() {
  std::multimap<Clock::time_point, std::unique_ptr<Parked>> dropped;
  {
    std::lock_guard lock(parked_mu_);
    if (waker_stopping_) return;
    waker_stopping_ = true;
    dropped.swap(parked_);
  }
  parked_cv_.notify_all();
  waker_.join();
  for (auto& [when, p] : dropped) {
    p->worker->Retire();
    Release(*p->pool, std::move(p->worker));
  }
}

void JsEngine::Wake() {
  std::unique_lock lock(parked_mu_);
  for (;;) {
    if (waker_stopping_) return;
    if (parked_.empty()) {
      parked_cv_.wait(lock);
      continue;
    }
    const auto due = parked_.begin()->first;
    if (Clock::now() < due) {
      parked_cv_.wait_until(lock, due);
      continue;
    }
    auto node = parked_.extract(parked_.begin());
    std::shared_ptr<Parked> p(std::move(node.mapped()));
    lock.unlock();
    auto resume = [this, p] {
      ScriptResult result;
      const auto began = Clock::now();
      const int64_t db_before = p->worker->db_ns();
      try {
        result = p->worker->Resume();
      } catch (...) {
        p->worker->Retire();
        result = ScriptResult{};
        result.kind = ScriptResult::Kind::kError;
        result.error = ScriptResult::Failure{"internal_error", 500, "internal error", "", ""};
      }
      p->js_ns += NanosSince(began);
      p->db_ns += p->worker->db_ns() - db_before;
      auto owned = std::make_unique<Parked>(std::move(*p));
      Conclude(std::move(owned), std::move(result));
    };
    if (resume_executor_) {
      resume_executor_(p->henv->hash(), std::move(resume));
    } else {
      resume();
    }
    lock.lock();
  }
}

void JsEngine::Conclude(std::unique_ptr<Parked> p, ScriptResult result) {
  if (result.kind == ScriptResult::Kind::kPending && result.streaming) {
    // The head (and what was written) goes out now; the worker stays with
    // the request, parked, until the handler ends the response.
    ScriptResult head;
    head.kind = ScriptResult::Kind::kResponse;
    head.response = std::move(result.response);
    head.js_ns = p->js_ns;
    head.db_ns = p->db_ns;
    std::exchange(p->done, nullptr)(std::move(head));
  }
  if (result.kind == ScriptResult::Kind::kPending) {
    // Parked workers may wait long, holding what their scripts opened: their
    // connections count against the cap from now, not from their check-in.
    if (p->worker->file_connections() != p->worker->accounted_connections) AccountBusy(*p->worker);
    {
      std::lock_guard lock(parked_mu_);
      if (!waker_stopping_) {
        parked_.emplace(result.wake_at, std::move(p));
      }
    }
    if (p) {  // shutting down: never resumed
      p->worker->Retire();
      Release(*p->pool, std::move(p->worker));
      return;
    }
    parked_cv_.notify_one();
    return;
  }
  if (result.wrote_code) p->henv->RefreshCodeVersion();
  Release(*p->pool, std::move(p->worker));
  if (!p->done) {
    // A streamed response, answered when its head was ready; the stream
    // ended with the request. A failure now can only be told to the log.
    if (result.kind == ScriptResult::Kind::kError) {
      const std::string message =
          "a streamed response ended early: " + result.error.code + ": " + result.error.message;
      Log(LogLevel::kWarn, message, p->henv->hash());
      if (options_.logs != nullptr) {
        LogEntry entry;
        entry.level = LogLevel::kWarn;
        entry.source = result.error.code == "script_error" ? LogSource::kError : LogSource::kLimit;
        entry.code = result.error.code;
        entry.message = message;
        entry.location = result.error.location;
        entry.stack = result.error.stack;
        options_.logs->Append(p->henv->hash(), std::move(entry));
      }
    }
    return;
  }
  result.js_ns = p->js_ns;
  result.db_ns = p->db_ns;
  p->done(std::move(result));
}

void JsEngine::RunAsync(std::shared_ptr<Henv> henv, const ScriptLimits& limits, const ScriptRequest& request,
                        ScriptDone done) {
  const int64_t version = henv->code_version();
  HenvPool* pool_ptr = nullptr;
  if (!HasRouter(*henv, version, pool_ptr)) {
    done(ScriptResult{});
    return;
  }
  HenvPool& pool = *pool_ptr;
  ScriptResult failed;
  std::unique_ptr<Worker> worker = Checkout(*henv, pool, version, limits, failed);
  if (!worker) {
    done(std::move(failed));
    return;
  }
  ScriptResult result;
  const auto began = Clock::now();
  const int64_t db_before = worker->db_ns();
  try {
    result = worker->Dispatch(request, limits, /*may_suspend=*/true);
  } catch (...) {
    worker->Retire();
    Release(pool, std::move(worker));
    throw;
  }
  auto parked = std::make_unique<Parked>();
  parked->henv = std::move(henv);
  parked->pool = &pool;
  parked->worker = std::move(worker);
  parked->done = std::move(done);
  parked->js_ns = NanosSince(began);
  parked->db_ns = parked->worker->db_ns() - db_before;
  Conclude(std::move(parked), std::move(result));
}

JsEngine::~JsEngine() {
  Shutdown();
  {
    std::lock_guard lock(house_mu_);
    stopping_ = true;
  }
  housekeeping_wanted_.notify_all();
  housekeeper_.join();
  spares_.clear();
  retired_.clear();
  DropIdleWorkers();
}

void JsEngine::TakeConnections(std::vector<std::unique_ptr<Worker>>& workers, std::vector<HeldConnection>& out) {
  if (connection_shelf_.capacity() == 0) return;
  for (auto& w : workers) {
    if (std::optional<HeldConnection> held = w->ReleaseConnection()) out.push_back(std::move(*held));
  }
}

void JsEngine::Shelve(std::vector<HeldConnection>& connections) {
  for (auto& held : connections) connection_shelf_.Put(std::move(held));
  connections.clear();
}

void JsEngine::Retire(std::vector<std::unique_ptr<Worker>>& workers) {
  if (workers.empty()) return;
  {
    // The housekeeper runs below the request threads, so on a saturated
    // machine it may fall behind: past a small backlog the caller frees its
    // workers itself, which bounds the memory waiting here.
    std::lock_guard lock(house_mu_);
    while (!workers.empty() && retired_.size() < kMaxRetired) {
      retired_.push_back(std::move(workers.back()));
      workers.pop_back();
    }
  }
  housekeeping_wanted_.notify_one();
}

std::unique_ptr<Worker> JsEngine::TakeSpare() {
  std::unique_ptr<Worker> blank;
  {
    std::lock_guard lock(house_mu_);
    if (spares_.empty()) return nullptr;
    blank = std::move(spares_.back());
    spares_.pop_back();
  }
  housekeeping_wanted_.notify_one();
  return blank;
}

JsEngine::Shard& JsEngine::ShardOf(const HenvPool& pool) { return shards_[pool.shard]; }

std::list<Worker*>& JsEngine::Shard::LruOf(const Worker& w) {
  if (w.trimmed_since_use) return trimmed_lru;
  return w.on_probation ? probation_lru : idle_lru;
}

size_t JsEngine::ShardIndexOf(const std::string& hash) { return std::hash<std::string>{}(hash) % kShards; }

ScriptResult JsEngine::Run(Henv& henv, const ScriptLimits& limits, const ScriptRequest& request) {
  const int64_t version = henv.code_version();
  HenvPool* pool_ptr = nullptr;
  if (!HasRouter(henv, version, pool_ptr)) return ScriptResult{};
  HenvPool& pool = *pool_ptr;
  ScriptResult failed;
  std::unique_ptr<Worker> worker = Checkout(henv, pool, version, limits, failed);
  if (!worker) return failed;
  ScriptResult result;
  const auto began = Clock::now();
  const int64_t db_before = worker->db_ns();
  try {
    result = worker->Dispatch(request, limits);
  } catch (...) {
    // An allocation failure in HBF's own code: the slot is freed and the
    // worker dropped, never leaked (the caller answers 500).
    worker->Retire();
    Release(pool, std::move(worker));
    throw;
  }
  result.js_ns = NanosSince(began);
  result.db_ns = worker->db_ns() - db_before;
  if (result.wrote_code) henv.RefreshCodeVersion();
  Release(pool, std::move(worker));
  return result;
}

std::vector<std::unique_ptr<Worker>>::iterator JsEngine::IdleToTakeLocked(HenvPool& pool) {
  for (auto it = pool.idle.rbegin(); it != pool.idle.rend(); ++it) {
    if (!(*it)->hibernated()) return std::prev(it.base());
  }
  return pool.idle.empty() ? pool.idle.end() : std::prev(pool.idle.end());
}

bool JsEngine::ColdAt(const Worker& w, Clock::time_point now) {
  return !w.hibernated() && now - w.idle_since >= kCacheColdAfter;
}

void JsEngine::PrefetchIdleWorker(const std::string& henv_hash) {
  // In the long tail most requests make a worker, and the few kept are
  // back at once, still in the caches: nothing to look for.
  if (long_tail_.load(std::memory_order_relaxed)) return;
  HenvPool* pool = KnownPool(henv_hash);
  if (pool == nullptr) return;
  Worker::MemorySpan span;
  {
    std::lock_guard lock(ShardOf(*pool).mu);
    if (auto pick = IdleToTakeLocked(*pool); pick != pool->idle.end() && ColdAt(**pick, Clock::now())) {
      span = (*pick)->memory_span();
    }
  }
  Worker::Prefetch(span);
}

std::unique_ptr<Worker> JsEngine::Checkout(Henv& henv, HenvPool& pool, int64_t version, const ScriptLimits& limits,
                                           ScriptResult& failed) {
  std::vector<std::unique_ptr<Worker>> stale;  // retired (or destroyed) after the lock
  std::vector<HeldConnection> left;    // theirs, shelved after the lock
  std::unique_ptr<Worker> worker;
  bool create = false;
  bool cold = false;  // an awake worker idle for kCacheColdAfter or more
  bool returning = false;  // create: past probation ("Probation", engine.h)
  bool transient = false;
  std::shared_ptr<const BoundImage> bound;  // create: copy this (bound_image.h)
  bool capture = false;                     // create: capture one first
  size_t capture_bytes = 0;                 // (the room a bind of it took)
  bool first_capture = false;               // (none tried before: CaptureBound)
  Shard& shard = ShardOf(pool);
  {
    std::unique_lock lock(shard.mu);
    if (pool.broken_version == version) {
      failed.kind = ScriptResult::Kind::kError;
      failed.error = pool.broken_failure;
      return nullptr;
    }
    ++shard.checkouts;
    const auto now = Clock::now();
    const auto give_up_at = now + std::chrono::milliseconds(limits.timeout_ms);
    for (;;) {
      // Idle workers of an older version will never run again; nor will
      // hibernated ones whose wake is expected to cost more than a new
      // worker (hibernated before the figures said so; not those
      // hibernated to measure a wake).
      const size_t stale_before = stale.size();
      for (auto it = pool.idle.begin(); it != pool.idle.end();) {
        const bool old_version = (*it)->code_version() != version;
        if (old_version || CostlierToWakeThanRemake(**it)) {
          if (!old_version) dropped_not_woken_.fetch_add(1, std::memory_order_relaxed);
          shard.LruOf(**it).erase((*it)->lru_position);
          ForgetLocked(shard, **it);
          stale.push_back(std::move(*it));
          it = pool.idle.erase(it);
        } else {
          ++it;
        }
      }
      if (stale.size() != stale_before) PublishLocked(shard);
      if (auto pick = IdleToTakeLocked(pool); pick != pool.idle.end()) {
        worker = std::move(*pick);
        cold = ColdAt(*worker, now);
        if (cold) ++shard.prefetched;
        pool.idle.erase(pick);
        shard.LruOf(*worker).erase(worker->lru_position);
        worker->on_probation = false;  // used again
        // Found cold in the long-tail mode: its henv came back, but not
        // before the caches lost it; dropped after this request, so that
        // the kept set drains to the henvs back at once ("Long tail").
        worker->transient = long_tail_.load(std::memory_order_relaxed) &&
                            evictions_.load(std::memory_order_relaxed) - worker->idle_at_eviction >= options_.long_tail_back_at_once;
        if (worker->hibernated()) {
          --shard.hibernated;
          ++shard.wakes;
        }
        ++pool.busy;
        break;
      }
      if (pool.busy < options_.max_workers_per_henv) {
        ++pool.busy;
        create = true;
        const uint64_t since = EvictionsSince(pool);
        const Return how = ReturnOf(pool, since);
        const bool long_tail = long_tail_.load(std::memory_order_relaxed);
        // Counted for the mode's look (UpdateLongTail): a make for a henv
        // met for the first time, or not back within half the workers the
        // budget holds (as ReturnOf's half of the eviction window, which is
        // that once the budget has filled), or while the mode is on within
        // the whole of it, so that the mode ends as soon as the henvs asked
        // would fit the budget, and does not come back for their makes
        // after it ended ("Long tail").
        const uint64_t window = LongTailWindow();
        if (since >= (long_tail ? window : window / 2)) ++shard.made_new;
        returning = how != Return::kNone;
        // Dropped after its request unless its henv is back at once (a
        // capture's worker only once the capture kept an image: CheckIn).
        transient = long_tail && since >= options_.long_tail_back_at_once;
        NoteMakeLocked(pool, how);
        if (options_.bound_images && options_.copy_blank_workers) {
          if (pool.bound != nullptr && pool.bound->version() == version) {
            bound = pool.bound;
          } else {
            // The henv's first worker at this version is made by a
            // capture (its bind, and a second to compare when it left
            // only its heap), within the budget's share for the images.
            capture = pool.bound_failed_version != version && !pool.capturing &&
                      bound_bytes_.load(std::memory_order_relaxed) <
                          options_.memory_budget_bytes / kBoundImageBudgetShare;
            pool.capturing = capture;
            capture_bytes = pool.capture_room_version == version ? pool.capture_room_bytes : 0;
            first_capture =
                pool.bound == nullptr && pool.bound_failed_version < 0 && pool.capture_room_version < 0;
          }
        }
        break;
      }
      if (pool.available.wait_until(lock, give_up_at) == std::cv_status::timeout) {
        failed.kind = ScriptResult::Kind::kError;
        failed.error = ScriptResult::Failure{"script_busy", 503, "this app is busy; retry shortly", "", ""};
        break;
      }
    }
  }
  TakeConnections(stale, left);
  Retire(stale);
  Shelve(left);
  if (!worker && !create) return nullptr;  // script_busy
  // (outside the lock: the snapshot unpacked, a copy of the image and the
  // snapshot written back)
  if (cold) worker->PrefetchMemory();
  const bool asleep = worker && worker->hibernated();
  const auto wake_began = asleep ? Clock::now() : Clock::time_point{};
  if (worker && !worker->Wake()) {
    // Out of memory to unpack its snapshot: its state cannot come back.
    // Retired (dropped whole by the housekeeper); the henv's next request
    // makes a worker afresh.
    worker->Retire();
    Release(pool, std::move(worker));
    failed.kind = ScriptResult::Kind::kError;
    failed.error =
        ScriptResult::Failure{"server_busy", 503, "the server could not take this request now; retry shortly", "", ""};
    return nullptr;
  }
  if (asleep) {
    NoteWake(NanosSince(wake_began), static_cast<int64_t>(worker->arena_used_bytes()));
    worker->hibernated_to_measure = false;
  }
  if (create) {
    ScriptResult::Failure failure;
    const auto make_began = Clock::now();
    bool bind_failed = false;
    bool copied_bound = false;  // made by copying the henv's bound image
    if (capture) bound = CaptureBound(henv, pool, version, limits, capture_bytes, first_capture, worker, failure,
                                         bind_failed);
    if (worker || bind_failed) {
      // (the capture's first copy, bound; or its bind's failure, answered
      // as any bind's: a second would run the top level again)
    } else if (bound != nullptr) {
      worker = Worker::CreateBound(*bound, henv, pool, limits, failure);
      if (worker) made_bound_.fetch_add(1, std::memory_order_relaxed);
      copied_bound = worker != nullptr;
    } else if (std::unique_ptr<Worker> blank = TakeSpare()) {
      if (blank->Bind(henv, pool, version, limits, failure)) worker = std::move(blank);
    } else {
      worker = Worker::Create(henv, pool, version, limits, failure, options_.copy_blank_workers);
    }
    if (!worker) {
      failure.router_unavailable = true;
      {
        std::lock_guard lock(shard.mu);
        --pool.busy;
        pool.available.notify_one();
        if (failure.code == "script_error") {
          // A router that fails to load fails the same way every time: remember
          // it until the code changes instead of building a runtime per request.
          pool.broken_version = version;
          pool.broken_failure = failure;
        }
      }
      Log(LogLevel::kError, "router.js failed to load: " + failure.message +
                                (failure.stack.empty() ? "" : " | " + failure.stack), henv.hash());
      // The owner reads why in the henv's log (once per code version for a
      // script error, which is cached above).
      if (options_.logs != nullptr) {
        LogEntry entry;
        entry.level = LogLevel::kError;
        entry.source = failure.code == "script_error" ? LogSource::kError : LogSource::kLimit;
        entry.code = "router_unavailable";
        entry.message = "_system/router.js failed to load: " + failure.message;
        entry.location = failure.location;
        entry.stack = failure.stack;
        options_.logs->Append(henv.hash(), std::move(entry));
      }
      failed.kind = ScriptResult::Kind::kError;
      failed.error = failure;
      return nullptr;
    }
    const int64_t made_in = NanosSince(make_began);
    worker->on_probation = !returning;
    worker->transient = transient;
    worker->made_for_request = true;
    std::lock_guard lock(shard.mu);
    // What the henv's next worker is expected to cost (WakeCostsMoreThanMake).
    // A capture that kept an image cost a bind or three and a comparison;
    // the henv's next worker is a copy of the image, which costs what such
    // copies cost (Shard::bound_copy_ns), or before the shard's first copy
    // at most what waking this worker would: a wake makes the same pages
    // and copies the same image, and unpacks its snapshot besides.
    int64_t next_make = made_in;
    if (copied_bound) {
      shard.bound_copy_ns = FoldIn(shard.bound_copy_ns, made_in);
    } else if (capture && bound != nullptr) {
      int64_t copy = shard.bound_copy_ns;
      if (copy <= 0) {
        copy = wake_ns_per_kib_.load(std::memory_order_relaxed) * static_cast<int64_t>(worker->arena_used_bytes() / 1024);
      }
      if (copy > 0) next_make = std::min(copy, made_in);
    }
    pool.make_ns.store(next_make, std::memory_order_relaxed);
    ++shard.workers;
    ++shard.made;
    if (returning) ++shard.made_returning;
  }

  return worker;
}

ScriptResult JsEngine::Render(Henv& henv, const ScriptLimits& limits, const std::string& target, bool is_source,
                              const std::string& data_json) {
  HenvPool& pool = PoolFor(henv.hash());
  ScriptResult failed;
  std::unique_ptr<Worker> worker = Checkout(henv, pool, henv.code_version(), limits, failed);
  if (!worker) return failed;
  ScriptResult result;
  try {
    result = worker->Render(target, is_source, data_json, limits);
  } catch (...) {
    worker->Retire();
    Release(pool, std::move(worker));
    throw;
  }
  if (result.wrote_code) henv.RefreshCodeVersion();
  Release(pool, std::move(worker));
  return result;
}

void JsEngine::Release(HenvPool& pool, std::unique_ptr<Worker> worker) {
  worker->idle_since = Clock::now();
  worker->trimmed_since_use = false;
  if (memory_pressure_.load(std::memory_order_relaxed) && worker->reusable()) worker->Shed();
  CheckIn(pool, std::move(worker));
}

void JsEngine::CheckIn(HenvPool& pool, std::unique_ptr<Worker> worker) {
  std::vector<std::unique_ptr<Worker>> dropped;  // retired (or destroyed) after the lock
  Shard& shard = ShardOf(pool);
  {
    std::lock_guard lock(shard.mu);
    --pool.busy;
    AccountLocked(shard, *worker);
    if (std::exchange(worker->made_for_request, false)) shard.made_bytes = FoldIn(shard.made_bytes, worker->memory_bytes());
    PublishReachLocked(pool, *worker);
    // Counted as a hibernated worker of this shard's books whether it stays
    // or goes: ForgetLocked takes a dropped one off again. (Counted only
    // when it stayed, a dropped one - hibernated by the housekeeper while
    // its code changed, or one whose wake failed, already taken off at its
    // checkout - was taken off a count it was never on.)
    if (worker->hibernated()) ++shard.hibernated;
    if (worker->transient && pool.bound != nullptr && pool.bound->version() == worker->code_version()) {
      // Long tail: made or found cold for a henv not back at once; its
      // arena, still in the caches, goes to the next worker made. Its
      // henv's next worker is a copy of the image.
      // (counted on probation when made for this request, not past it)
      NoteEvictionLocked(shard, *worker);
      ++shard.dropped_transient;
      dropped.push_back(std::move(worker));
    } else if (worker->reusable() && worker->code_version() >= pool.routing.load()->router_checked_version) {
      // Trimmed by the housekeeper (idle for kTrimAfterIdle at least) or
      // back from a request.
      worker->transient = false;
      worker->idle_at_eviction = evictions_.load(std::memory_order_relaxed);
      std::list<Worker*>& lru = shard.LruOf(*worker);
      lru.push_front(worker.get());
      worker->lru_position = lru.begin();
      pool.idle.push_back(std::move(worker));
    } else {
      dropped.push_back(std::move(worker));
    }
    ForgetLocked(shard, dropped);
    PublishLocked(shard);
    pool.available.notify_one();
  }
  Retire(dropped);
  if (OverBudget()) EvictOverBudget();
  // Stored only when it changes: every core reads it, so a store per
  // check-in would move its cache line around the machine.
  const bool pressure =
      published_bytes_.load(std::memory_order_relaxed) > options_.memory_budget_bytes / 8 * 7;
  if (memory_pressure_.load(std::memory_order_relaxed) != pressure) {
    memory_pressure_.store(pressure, std::memory_order_relaxed);
  }
}

void JsEngine::AccountLocked(Shard& shard, Worker& w) {
  const int64_t bytes = w.memory_bytes();
  shard.bytes += bytes - w.accounted_bytes;
  shard.unpublished_bytes += bytes - w.accounted_bytes;
  w.accounted_bytes = bytes;
  // Connections move only when a worker opens its first or is destroyed:
  // added to the total at once.
  const int connections = w.file_connections();
  if (connections != w.accounted_connections) {
    published_connections_.fetch_add(connections - w.accounted_connections, std::memory_order_relaxed);
    w.accounted_connections = connections;
  }
}

void JsEngine::PublishLocked(Shard& shard, bool now) {
  if (shard.unpublished_bytes != 0 && (now || std::abs(shard.unpublished_bytes) >= publish_batch_bytes_)) {
    published_bytes_.fetch_add(shard.unpublished_bytes, std::memory_order_relaxed);
    shard.unpublished_bytes = 0;
  }
}

bool JsEngine::OverBudget() const {
  if (published_bytes_.load(std::memory_order_relaxed) > options_.memory_budget_bytes) return true;
  const int cap = options_.max_worker_connections;
  return cap > 0 && published_connections_.load(std::memory_order_relaxed) > cap;
}

void JsEngine::AccountBusy(Worker& w) {
  {
    Shard& shard = ShardOf(w.pool());
    std::lock_guard lock(shard.mu);
    AccountLocked(shard, w);
    PublishLocked(shard);
  }
  if (OverBudget()) EvictOverBudget();
}

void JsEngine::ForgetLocked(Shard& shard, const Worker& w) {
  shard.bytes -= w.accounted_bytes;
  shard.unpublished_bytes -= w.accounted_bytes;
  if (w.accounted_connections != 0) {
    published_connections_.fetch_sub(w.accounted_connections, std::memory_order_relaxed);
  }
  if (w.hibernated()) --shard.hibernated;
  --shard.workers;
}

void JsEngine::ForgetLocked(Shard& shard, const std::vector<std::unique_ptr<Worker>>& dropped) {
  for (const auto& w : dropped) ForgetLocked(shard, *w);
}

bool JsEngine::IsServerCode(const std::string& henv_hash, const std::string& id) const {
  const HenvPool* pool = KnownPool(henv_hash);
  return pool != nullptr && pool->server_code.Contains(id);
}

JsEngine::Stats JsEngine::stats() const {
  const WorkerImage* image = options_.copy_blank_workers ? WorkerImage::Peek() : nullptr;
  Stats stats;
  int64_t copy_ns_sum = 0;
  int64_t copy_shards = 0;
  for (Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    stats.workers += shard.workers;
    stats.idle_workers +=
        static_cast<int>(shard.idle_lru.size() + shard.probation_lru.size() + shard.trimmed_lru.size());
    stats.memory_bytes += shard.bytes;
    stats.hibernated_workers += shard.hibernated;
    stats.wakes += shard.wakes;
    stats.made += shard.made;
    stats.evicted_awake += shard.evicted_awake;
    stats.evicted_hibernated += shard.evicted_hibernated;
    stats.evicted_on_probation += shard.evicted_on_probation;
    stats.made_returning += shard.made_returning;
    stats.dropped_transient += shard.dropped_transient;
    stats.prefetched += shard.prefetched;
    if (shard.bound_copy_ns > 0) {
      copy_ns_sum += shard.bound_copy_ns;
      ++copy_shards;
    }
  }
  if (copy_shards > 0) stats.bound_copy_ns = copy_ns_sum / copy_shards;
  if (const int64_t workers = workers_at_eviction_.load(std::memory_order_relaxed); workers > 0) {
    stats.probation_target = ProbationTargetFor(workers);
  }
  stats.long_tail = long_tail_.load(std::memory_order_relaxed);
  stats.hibernations = hibernations_.load(std::memory_order_relaxed);
  stats.dropped_idle = dropped_idle_.load(std::memory_order_relaxed);
  stats.dropped_not_woken = dropped_not_woken_.load(std::memory_order_relaxed);
  stats.wake_ns_per_kib = wake_ns_per_kib_.load(std::memory_order_relaxed);
  stats.pack_ns_per_kib = pack_ns_per_kib_.load(std::memory_order_relaxed);
  stats.worker_image_bytes = image != nullptr ? static_cast<int64_t>(image->bytes()) : 0;
  stats.worker_image_hot_lines = image != nullptr ? static_cast<int>(image->hot_lines().size()) : 0;
  stats.spare_connections = static_cast<int>(connection_shelf_.size());
  stats.spare_connections_taken = connection_shelf_.taken();
  stats.bound_images = bound_images_.load(std::memory_order_relaxed);
  stats.bound_image_bytes = bound_bytes_.load(std::memory_order_relaxed);
  stats.made_bound = made_bound_.load(std::memory_order_relaxed);
  stats.bound_failures = bound_failures_.load(std::memory_order_relaxed);
  return stats;
}

std::string QuickJsVersion() { return HBF_QUICKJS_VERSION_STRING; }

}  // namespace hbf::js
