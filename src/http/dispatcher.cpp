#include "http/dispatcher.h"

#include <algorithm>
#include <exception>
#include <functional>

#include "core/log.h"
#include "core/thread_name.h"

namespace hbf {

namespace {

void RunGuarded(DispatchJob& job, bool expire) {
  try {
    if (expire) {
      job.Expire();
    } else {
      job.Run();
    }
  } catch (const std::exception& e) {
    Log(LogLevel::kError, std::string("dispatcher: a job threw: ") + e.what());
  } catch (...) {
    Log(LogLevel::kError, "dispatcher: a job threw a non-standard exception");
  }
}

}  // namespace

Dispatcher::KeyState::~KeyState() {
  while (!empty()) Pop();
}

void Dispatcher::KeyState::Push(std::unique_ptr<DispatchJob> job, Clock::time_point now) {
  DispatchJob* j = job.release();
  j->next_waiting_ = nullptr;
  j->enqueued_ = now;
  if (tail != nullptr) {
    tail->next_waiting_ = j;
  } else {
    head = j;
  }
  tail = j;
}

std::unique_ptr<DispatchJob> Dispatcher::KeyState::Pop() {
  std::unique_ptr<DispatchJob> j(head);
  head = head->next_waiting_;
  if (head == nullptr) tail = nullptr;
  j->next_waiting_ = nullptr;
  return j;
}

Dispatcher::Dispatcher(DispatcherOptions options)
    : options_(options),
      running_target_(options.running_target > 0 ? options.running_target : INT_MAX),
      idle_keys_kept_(std::max<size_t>(64, kIdleKeysKept / static_cast<size_t>(std::max(1, options.shards)))) {
  const size_t shards = static_cast<size_t>(std::max(1, options_.shards));
  shards_.reserve(shards);
  for (size_t i = 0; i < shards; ++i) shards_.push_back(std::make_unique<Shard>());
  const int n = options_.threads < 1 ? 1 : options_.threads;
  parkers_.reserve(static_cast<size_t>(n));
  idle_.reserve(static_cast<size_t>(n));
  slots_ = std::make_unique<ThreadSlot[]>(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) parkers_.push_back(std::make_unique<Parker>());
  active_.store(n);
  threads_.reserve(static_cast<size_t>(n));
  for (size_t i = 0; i < static_cast<size_t>(n); ++i) {
    threads_.emplace_back([this, i, parker = parkers_[i].get()] { ThreadMain(i, *parker); });
    NameThread(threads_.back(), "hbf-js-" + std::to_string(i));
  }
}

Dispatcher::~Dispatcher() { Stop(); }

void Dispatcher::Stop() {
  std::vector<Parker*> idle;
  {
    std::lock_guard lock(pool_mu_);
    if (stopping_.load(std::memory_order_relaxed) && threads_.empty()) return;
    stopping_.store(true, std::memory_order_seq_cst);
    idle.swap(idle_);
    sweeper_ = nullptr;
    PublishPoolLocked();
  }
  // The busy ones see stopping_ when their job ends.
  for (Parker* p : idle) p->Unpark();
  for (auto& t : threads_) t.join();
  threads_.clear();
  // Nothing runs any more: what still waits is told so. (A Submit() that
  // took its shard's lock before this sees stopping_ no more and queued its
  // job: it is collected here; one after it expires its job itself.)
  std::vector<std::unique_ptr<DispatchJob>> left;
  for (auto& shard : shards_) {
    std::lock_guard lock(shard->mu);
    for (auto& [key, ks] : shard->keys) {
      while (!ks.empty()) left.push_back(ks.Pop());
    }
    shard->keys.clear();
    shard->ready.clear();
    shard->waiting_keys.clear();
    shard->queued = 0;
    PublishShardLocked(*shard);
  }
  for (auto& job : left) RunGuarded(*job, /*expire=*/true);
}

int Dispatcher::queued() const {
  int total = 0;
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard->mu);
    total += shard->queued;
  }
  return total;
}

Dispatcher::Shard& Dispatcher::ShardFor(const std::string& key) const {
  if (shards_.size() == 1) return *shards_[0];
  return *shards_[std::hash<std::string>{}(key) % shards_.size()];
}

void Dispatcher::PublishShardLocked(Shard& shard) {
  // seq_cst: read after a parking thread counts itself out of active_ ("Lost
  // wake-ups", dispatcher.h).
  shard.next_listed_ns.store(shard.ready.empty() ? kNoneListed : shard.ready.front()->listed_ns,
                            std::memory_order_seq_cst);
  shard.queued_hint.store(shard.queued, std::memory_order_relaxed);
}

void Dispatcher::PublishPoolLocked() {
  active_.store(ActiveLocked(), std::memory_order_seq_cst);
  has_sweeper_.store(sweeper_ != nullptr, std::memory_order_relaxed);
  sweeper_alert_.store(sweeper_ != nullptr && sweeper_rescues_, std::memory_order_relaxed);
}

bool Dispatcher::AnyRunnable() const {
  for (const auto& shard : shards_) {
    if (shard->next_listed_ns.load(std::memory_order_seq_cst) != kNoneListed) return true;
  }
  return false;
}

bool Dispatcher::AnyQueued() const {
  for (const auto& shard : shards_) {
    if (shard->queued_hint.load(std::memory_order_relaxed) > 0) return true;
  }
  return false;
}

void Dispatcher::Submit(const std::string& key, std::unique_ptr<DispatchJob> job) {
  Shard& shard = ShardFor(key);
  bool newly_runnable = false;
  bool behind_cap = false;
  {
    std::lock_guard lock(shard.mu);
    if (!stopping_.load(std::memory_order_relaxed)) {
      auto [it, inserted] = shard.keys.try_emplace(key);
      KeyState& ks = it->second;
      if (inserted) ks.key = key;
      const auto now = Clock::now();
      ks.Push(std::move(job), now);
      NoteWaitingLocked(shard, ks);
      ++shard.queued;
      const bool was_listed = ks.listed;
      ListIfRunnableLocked(shard, ks, now);
      PublishShardLocked(shard);
      newly_runnable = ks.listed && !was_listed;
      behind_cap = !ks.listed;
    }
  }
  if (job) {
    // Stopped (shutdown): never run, never lost.
    RunGuarded(*job, /*expire=*/true);
    return;
  }
  // Wake a thread only for newly runnable work: a key at its cap is taken
  // up by the thread finishing its running job, without a wake-up (and the
  // worker stays on a warm thread). A job queued behind the cap needs a
  // sweeper for its expiry: one is parked with a timeout already, or an
  // idle thread is woken to become it.
  if (newly_runnable) {
    WakeForRunnable();
  } else if (behind_cap && !has_sweeper_.load(std::memory_order_relaxed)) {
    WakeSweeper();
  }
}

void Dispatcher::WakeForRunnable() {
  // Past the running target the job waits for a running thread; a sweeper
  // parked for kRescuePeriod looks meanwhile, in case those are stuck. No
  // lock for either while both hold (a loaded server).
  if (active_.load(std::memory_order_seq_cst) >= running_target_ &&
      sweeper_alert_.load(std::memory_order_relaxed)) {
    return;
  }
  Parker* wake = nullptr;
  {
    std::lock_guard lock(pool_mu_);
    if (stopping_.load(std::memory_order_relaxed)) return;
    if (ActiveLocked() < running_target_) {
      wake = TakeIdleLocked();
    } else if (sweeper_ == nullptr) {
      // No sweeper at all (the last one went to rescue a job and nothing
      // else was waiting then): an idle thread is woken to be it, named
      // the sweeper already so the submits before it runs wake no more
      // threads (it drops the name on waking and takes it back if it
      // parks again). Otherwise this job waited for a running one to
      // finish, however stuck (a henv's request behind another's spinning
      // scripts: 2.4 s).
      wake = TakeIdleLocked();
      sweeper_ = wake;
      sweeper_rescues_ = true;
    } else if (!sweeper_rescues_) {
      // The sweeper parked for its long period: nudged to look every
      // kRescuePeriod (it stays idle; the wake-up reads as its timeout).
      sweeper_rescues_ = true;
      wake = sweeper_;
    }
    PublishPoolLocked();
  }
  if (wake != nullptr) wake->Unpark();
}

void Dispatcher::WakeSweeper() {
  Parker* wake = nullptr;
  {
    std::lock_guard lock(pool_mu_);
    if (stopping_.load(std::memory_order_relaxed) || sweeper_ != nullptr) return;
    wake = TakeIdleLocked();
    PublishPoolLocked();
  }
  if (wake != nullptr) wake->Unpark();
}

Parker* Dispatcher::TakeIdleLocked() {
  for (auto it = idle_.rbegin(); it != idle_.rend(); ++it) {
    if (*it != sweeper_) {
      Parker* p = *it;
      idle_.erase(std::next(it).base());
      return p;
    }
  }
  if (idle_.empty()) return nullptr;
  Parker* p = idle_.back();  // the sweeper alone is idle
  idle_.pop_back();
  sweeper_ = nullptr;
  return p;
}

bool Dispatcher::NeedsRescue(Clock::time_point now, size_t self, bool count_between) const {
  if (running_target_ == INT_MAX) return true;
  const int64_t stuck_since = NanosOf(now - kRescuePeriod);
  int in_job = 0;
  int recent = 0;
  for (size_t i = 0; i < parkers_.size(); ++i) {
    if (i == self) continue;
    const int64_t started = slots_[i].job_started_ns.load(std::memory_order_relaxed);
    if (started == 0) continue;
    ++in_job;
    if (started >= stuck_since) ++recent;
  }
  // Moving: those whose job is young, and those awake between jobs (about
  // to take one), `self` aside (it is awake, between jobs).
  const int between = count_between ? std::max(0, active_.load(std::memory_order_relaxed) - 1 - in_job) : 0;
  return recent + between < running_target_;
}

void Dispatcher::ListIfRunnableLocked(Shard& shard, KeyState& ks, Clock::time_point now) {
  if (!ks.listed && !ks.empty() && ks.running < options_.per_key_limit) {
    ks.listed = true;
    // Never before the key listed last: the line stays in order of these
    // stamps, and the shards' fronts compare by them.
    const int64_t at = NanosOf(now);
    ks.listed_ns = shard.ready.empty() ? at : std::max(at, shard.ready.back()->listed_ns);
    shard.ready.push_back(&ks);
  }
}

void Dispatcher::ForgetIfIdleLocked(Shard& shard, KeyState& ks) {
  // An idle key's state is kept for its next job while there are few: made
  // anew, it costs an allocation and a free (the map's node) per request,
  // under the shard's lock. Past idle_keys_kept_ it goes (at its job's end,
  // or when its waiting jobs expire).
  if (ks.empty() && ks.running == 0 && !ks.listed && shard.keys.size() > idle_keys_kept_) {
    if (auto it = shard.keys.find(ks.key); it != shard.keys.end()) shard.keys.erase(it);
  }
}

void Dispatcher::NoteWaitingLocked(Shard& shard, KeyState& ks) {
  if (!ks.empty()) {
    if (ks.waiting_at < 0) {
      ks.waiting_at = static_cast<int>(shard.waiting_keys.size());
      shard.waiting_keys.push_back(&ks);
    }
  } else if (ks.waiting_at >= 0) {
    KeyState* last = shard.waiting_keys.back();
    shard.waiting_keys[static_cast<size_t>(ks.waiting_at)] = last;
    last->waiting_at = ks.waiting_at;
    shard.waiting_keys.pop_back();
    ks.waiting_at = -1;
  }
}

void Dispatcher::ExpireOldLocked(Shard& shard, KeyState& ks, Clock::time_point too_old,
                                 std::vector<std::unique_ptr<DispatchJob>>& out) {
  while (!ks.empty() && ks.head->enqueued_ < too_old) {
    out.push_back(ks.Pop());
    --shard.queued;
  }
}

void Dispatcher::CollectExpiredLocked(Shard& shard, Clock::time_point now,
                                      std::vector<std::unique_ptr<DispatchJob>>& out) {
  // Only the keys with jobs waiting: the sweep runs every kSweepPeriod
  // while any job waits, which under load is always. (It walked every key
  // and dropped each idle one: over 1,000 henvs, a thousand keys visited
  // under the lock every 50 ms, and most requests made their key's state
  // again.)
  const auto too_old = now - options_.queue_timeout;
  for (size_t i = 0; i < shard.waiting_keys.size();) {
    KeyState& ks = *shard.waiting_keys[i];
    ExpireOldLocked(shard, ks, too_old, out);
    if (!ks.empty()) {
      ++i;
      continue;
    }
    NoteWaitingLocked(shard, ks);  // (the last key moves to i)
    // A listed key stays listed until a thread finds it empty
    // (TakeRunnable), which forgets it then.
    ForgetIfIdleLocked(shard, ks);
  }
  PublishShardLocked(shard);
}

void Dispatcher::SweepIfDue(Clock::time_point now) {
  const int64_t now_ns = NanosOf(now);
  int64_t due = next_sweep_ns_.load(std::memory_order_relaxed);
  if (now_ns < due || !AnyQueued()) return;
  const int64_t next = now_ns + std::chrono::duration_cast<std::chrono::nanoseconds>(kSweepPeriod).count();
  if (!next_sweep_ns_.compare_exchange_strong(due, next, std::memory_order_relaxed)) return;  // another thread's
  std::vector<std::unique_ptr<DispatchJob>> expired;
  for (auto& shard : shards_) {
    if (shard->queued_hint.load(std::memory_order_relaxed) == 0) continue;
    std::lock_guard lock(shard->mu);
    CollectExpiredLocked(*shard, now, expired);
  }
  for (auto& job : expired) RunGuarded(*job, /*expire=*/true);
}

std::unique_ptr<DispatchJob> Dispatcher::TakeRunnable(Clock::time_point now, KeyState*& ks, Shard*& from,
                                                      std::vector<std::unique_ptr<DispatchJob>>& expired) {
  // A job found past its queue timeout is expired, not run, whether or not
  // a sweep has come by since (another thread may be sweeping this moment).
  const auto too_old = now - options_.queue_timeout;
  // Each look takes the shard whose next key was listed first, or finds a
  // shard's line emptied by expiry (published then): at most one look per
  // shard and one more.
  for (size_t look = 0; look <= shards_.size(); ++look) {
    Shard* pick = nullptr;
    int64_t first = kNoneListed;
    for (const auto& shard : shards_) {
      const int64_t listed = shard->next_listed_ns.load(std::memory_order_relaxed);
      if (listed < first) {
        first = listed;
        pick = shard.get();
      }
    }
    if (pick == nullptr) return nullptr;
    Shard& shard = *pick;
    std::lock_guard lock(shard.mu);
    while (!shard.ready.empty()) {
      KeyState* next = shard.ready.front();
      ExpireOldLocked(shard, *next, too_old, expired);
      if (!next->empty()) break;
      // Its waiting jobs expired (here or in a sweep).
      shard.ready.pop_front();
      next->listed = false;
      NoteWaitingLocked(shard, *next);
      ForgetIfIdleLocked(shard, *next);
    }
    if (shard.ready.empty()) {
      PublishShardLocked(shard);
      continue;
    }
    ks = shard.ready.front();
    shard.ready.pop_front();
    ks->listed = false;
    std::unique_ptr<DispatchJob> job = ks->Pop();
    NoteWaitingLocked(shard, *ks);
    --shard.queued;
    ++ks->running;
    ListIfRunnableLocked(shard, *ks, now);  // to the back of the line: others take their turn first
    PublishShardLocked(shard);
    from = &shard;
    return job;
  }
  return nullptr;
}

void Dispatcher::ParkIdle(Parker& self, bool& is_sweeper) {
  // Idle. One idle thread at a time is the sweeper: it parks with a
  // timeout, so jobs queued behind a key's running ones expire on time even
  // when every other thread is busy or asleep, and runnable jobs held back
  // by the running target are taken when the running threads are stuck.
  // The others sleep until a Submit() (or Stop()) takes them off idle_ and
  // wakes them.
  bool sweeper = false;
  bool rescues = false;
  {
    std::lock_guard lock(pool_mu_);
    if (stopping_.load(std::memory_order_relaxed)) return;
    sweeper = sweeper_ == nullptr || sweeper_ == &self;
    if (sweeper) sweeper_ = &self;
    idle_.push_back(&self);
    rescues = sweeper && ActiveLocked() >= running_target_;
    if (sweeper) sweeper_rescues_ = rescues;
    PublishPoolLocked();
  }
  // "Lost wake-ups" (dispatcher.h): a Submit() that listed its job before
  // this thread counted itself out may have seen no room and woken no one.
  if (active_.load(std::memory_order_seq_cst) < running_target_ && AnyRunnable()) {
    std::lock_guard lock(pool_mu_);
    if (auto it = std::find(idle_.begin(), idle_.end(), &self); it != idle_.end()) {
      idle_.erase(it);
      if (sweeper_ == &self) sweeper_ = nullptr;  // it runs a job now
      is_sweeper = false;
      PublishPoolLocked();
      return;
    }
    // Taken off idle_ meanwhile by a Submit(), which unparks it: the Park()
    // below returns at once.
  }
  self.Park(!sweeper ? std::chrono::nanoseconds(-1)
                     : std::chrono::nanoseconds(rescues ? kRescuePeriod : kSweepPeriod));
  std::lock_guard lock(pool_mu_);
  // Taken off the list by whoever woke it; after a timeout (or a wake-up
  // meant for an earlier park, or a nudge) it is still there, and a
  // sweeper stays one while it looks.
  bool looked = false;
  if (auto it = std::find(idle_.begin(), idle_.end(), &self); it != idle_.end()) {
    idle_.erase(it);
    looked = true;
  }
  if (sweeper_ == &self && !looked) sweeper_ = nullptr;
  is_sweeper = sweeper_ == &self;
  PublishPoolLocked();
}

void Dispatcher::ThreadMain(size_t index, Parker& self) {
  bool finished = false;    // back from running a job (not from a park)
  bool is_sweeper = false;  // holds the sweeper's role while it looks
  for (;;) {
    // (Stop() cleared the sweeper's role, and no thread takes it after.)
    if (stopping_.load(std::memory_order_acquire)) return;
    const auto now = Clock::now();
    SweepIfDue(now);
    // A runnable job is taken while no more than the running target are
    // awake (this thread counted), or when the others are stuck. Not by
    // every thread that happens to be awake: one woken to be the sweeper
    // (jobs still wait) would add a running thread, and each job it started
    // would wake the next sweeper, until every thread ran at once; one that
    // finished its job while a rescuer runs beside it gives its slot back
    // unless the others are stuck.
    std::unique_ptr<DispatchJob> job;
    KeyState* ks = nullptr;
    Shard* from = nullptr;
    if (active_.load(std::memory_order_seq_cst) <= running_target_ ||
        (AnyRunnable() && NeedsRescue(now, index, /*count_between=*/!finished))) {
      std::vector<std::unique_ptr<DispatchJob>> expired;
      job = TakeRunnable(now, ks, from, expired);
      for (auto& late : expired) RunGuarded(*late, /*expire=*/true);
    }
    finished = false;
    if (!job) {
      ParkIdle(self, is_sweeper);
      continue;
    }
    // More runnable work than this thread: another one for it. And jobs
    // still waiting (behind caps) need a sweeper when none is parked. A
    // sweeper that took a job (a rescue) leaves the role, so then there is
    // none (the thread woken for it also serves the next job soon, where
    // the 1 ms look would: bench/README.md, forty-fifth session).
    const bool more = active_.load(std::memory_order_seq_cst) < running_target_ && AnyRunnable();
    const bool unswept = (is_sweeper || !has_sweeper_.load(std::memory_order_relaxed)) && AnyQueued();
    Parker* helper = nullptr;
    if (is_sweeper || more || unswept) {
      std::lock_guard lock(pool_mu_);
      if (sweeper_ == &self) sweeper_ = nullptr;
      is_sweeper = false;
      if ((more && ActiveLocked() < running_target_) || (unswept && sweeper_ == nullptr)) helper = TakeIdleLocked();
      PublishPoolLocked();
    }
    slots_[index].job_started_ns.store(NanosOf(now), std::memory_order_relaxed);
    if (helper != nullptr) helper->Unpark();
    RunGuarded(*job, /*expire=*/false);
    job.reset();
    slots_[index].job_started_ns.store(0, std::memory_order_relaxed);
    {
      std::lock_guard lock(from->mu);
      --ks->running;
      ListIfRunnableLocked(*from, *ks, Clock::now());
      ForgetIfIdleLocked(*from, *ks);
      PublishShardLocked(*from);
    }
    finished = true;
  }
}

}  // namespace hbf
