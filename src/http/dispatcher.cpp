#include "http/dispatcher.h"

#include <algorithm>
#include <exception>

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

constexpr std::chrono::milliseconds kSweepPeriod{50};

}  // namespace

Dispatcher::Dispatcher(DispatcherOptions options)
    : options_(options), running_target_(options.running_target > 0 ? options.running_target : INT_MAX) {
  const int n = options_.threads < 1 ? 1 : options_.threads;
  parkers_.reserve(static_cast<size_t>(n));
  idle_.reserve(static_cast<size_t>(n));
  job_started_.resize(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) parkers_.push_back(std::make_unique<Parker>());
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
    std::lock_guard lock(mu_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
    idle.swap(idle_);
    sweeper_ = nullptr;
  }
  // The busy ones see stopping_ when their job ends.
  for (Parker* p : idle) p->Unpark();
  for (auto& t : threads_) t.join();
  threads_.clear();
  // Nothing runs any more: what still waits is told so.
  std::vector<std::unique_ptr<DispatchJob>> left;
  {
    std::lock_guard lock(mu_);
    for (auto& [key, ks] : keys_) {
      for (auto& w : ks.waiting) left.push_back(std::move(w.job));
      ks.waiting.clear();
    }
    keys_.clear();
    ready_.clear();
    waiting_keys_.clear();
    queued_ = 0;
  }
  for (auto& job : left) RunGuarded(*job, /*expire=*/true);
}

int Dispatcher::queued() const {
  std::lock_guard lock(mu_);
  return queued_;
}

void Dispatcher::Submit(const std::string& key, std::unique_ptr<DispatchJob> job) {
  Parker* wake = nullptr;
  {
    std::lock_guard lock(mu_);
    if (!stopping_) {
      auto [it, inserted] = keys_.try_emplace(key);
      KeyState& ks = it->second;
      if (inserted) ks.key = key;
      ks.waiting.push_back(Waiting{std::move(job), Clock::now()});
      NoteWaitingLocked(ks);
      ++queued_;
      const bool was_listed = ks.listed;
      ListIfRunnableLocked(ks);
      // Wake a thread only for newly runnable work: a key at its cap is
      // taken up by the thread finishing its running job, without a wake-up
      // (and the worker stays on a warm thread). A job queued behind the
      // cap needs a sweeper for its expiry (ThreadMain): one is parked with
      // a timeout already, or an idle thread is woken to become it. Past
      // the running target the job waits for a running thread, and the
      // sweeper, if it parked for its long period, is nudged to look every
      // kRescuePeriod (it stays idle; the wake-up reads as its timeout).
      // With no sweeper at all (the last one went to rescue a job and
      // nothing else was waiting then), an idle thread is woken to be it:
      // otherwise this job waited for a running one to finish, however
      // stuck (a henv's request behind another's spinning scripts: 2.4 s).
      if (ks.listed && !was_listed) {
        if (ActiveLocked() < running_target_) {
          wake = TakeIdleLocked();
        } else if (sweeper_ == nullptr) {
          // Named the sweeper already, so the submits before it runs wake
          // no more threads (it drops the name on waking and takes it back
          // if it parks again).
          wake = TakeIdleLocked();
          sweeper_ = wake;
          sweeper_rescues_ = true;
        } else if (!sweeper_rescues_) {
          sweeper_rescues_ = true;
          wake = sweeper_;
        }
      } else if (!ks.listed && sweeper_ == nullptr) {
        wake = TakeIdleLocked();
      }
    }
  }
  if (job) {
    // Stopped (shutdown): never run, never lost.
    RunGuarded(*job, /*expire=*/true);
    return;
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

bool Dispatcher::NeedsRescueLocked(Clock::time_point now, size_t self, bool count_between) const {
  if (running_target_ == INT_MAX) return true;
  const auto stuck_since = now - kRescuePeriod;
  int in_job = 0;
  int recent = 0;
  for (size_t i = 0; i < job_started_.size(); ++i) {
    if (i == self || job_started_[i] == Clock::time_point{}) continue;
    ++in_job;
    if (job_started_[i] >= stuck_since) ++recent;
  }
  // Moving: those whose job is young, and those awake between jobs (about
  // to take one), `self` aside (it is awake, between jobs).
  const int between = count_between ? ActiveLocked() - 1 - in_job : 0;
  return recent + between < running_target_;
}

void Dispatcher::ListIfRunnableLocked(KeyState& ks) {
  if (!ks.listed && !ks.waiting.empty() && ks.running < options_.per_key_limit) {
    ks.listed = true;
    ready_.push_back(&ks);
  }
}

void Dispatcher::ForgetIfIdleLocked(KeyState& ks) {
  // An idle key's state is kept for its next job while there are few: made
  // anew, it cost three allocations and three frees (the map's node, the
  // deque's map and first block) per request, under mu_. Past
  // kIdleKeysKept it goes (at its job's end, or when its waiting jobs
  // expire).
  if (ks.waiting.empty() && ks.running == 0 && !ks.listed && keys_.size() > kIdleKeysKept) keys_.erase(ks.key);
}

void Dispatcher::NoteWaitingLocked(KeyState& ks) {
  if (!ks.waiting.empty()) {
    if (ks.waiting_at < 0) {
      ks.waiting_at = static_cast<int>(waiting_keys_.size());
      waiting_keys_.push_back(&ks);
    }
  } else if (ks.waiting_at >= 0) {
    KeyState* last = waiting_keys_.back();
    waiting_keys_[static_cast<size_t>(ks.waiting_at)] = last;
    last->waiting_at = ks.waiting_at;
    waiting_keys_.pop_back();
    ks.waiting_at = -1;
  }
}

void Dispatcher::CollectExpiredLocked(Clock::time_point now, std::vector<std::unique_ptr<DispatchJob>>& out) {
  // Only the keys with jobs waiting: the sweep runs every kSweepPeriod
  // while any job waits, which under load is always. (It walked every key
  // and dropped each idle one: over 1,000 henvs, a thousand keys visited
  // under mu_ every 50 ms, and most requests made their key's state again.)
  const auto too_old = now - options_.queue_timeout;
  for (size_t i = 0; i < waiting_keys_.size();) {
    KeyState& ks = *waiting_keys_[i];
    while (!ks.waiting.empty() && ks.waiting.front().enqueued < too_old) {
      out.push_back(std::move(ks.waiting.front().job));
      ks.waiting.pop_front();
      --queued_;
    }
    if (!ks.waiting.empty()) {
      ++i;
      continue;
    }
    NoteWaitingLocked(ks);  // (the last key moves to i)
    ForgetIfIdleLocked(ks);
  }
}

void Dispatcher::ThreadMain(size_t index, Parker& self) {
  std::unique_lock lock(mu_);
  bool looked = false;  // back from a timeout (or a nudge) rather than taken off idle_ for work
  bool finished = false;  // back from running a job (not from a park)
  for (;;) {
    if (stopping_) return;
    const auto now = Clock::now();
    if (queued_ > 0 && now >= next_sweep_) {
      next_sweep_ = now + kSweepPeriod;
      std::vector<std::unique_ptr<DispatchJob>> expired;
      CollectExpiredLocked(now, expired);
      if (!expired.empty()) {
        lock.unlock();
        for (auto& job : expired) RunGuarded(*job, /*expire=*/true);
        expired.clear();
        lock.lock();
        continue;
      }
    }
    // A listed key may have lost its waiting jobs to expiry.
    while (!ready_.empty() && ready_.front()->waiting.empty()) {
      KeyState* ks = ready_.front();
      ready_.pop_front();
      ks->listed = false;
      ForgetIfIdleLocked(*ks);
    }
    // A runnable job is taken while no more than the running target are
    // awake (this thread counted), or when the others are stuck. Not by
    // every thread that happens to be awake: one woken to be the sweeper
    // (jobs still wait) would add a running thread, and each job it started
    // would wake the next sweeper, until every thread ran at once; one that
    // finished its job while a rescuer runs beside it gives its slot back
    // unless the others are stuck.
    const bool may_take = !ready_.empty() && (ActiveLocked() <= running_target_ ||
                                              NeedsRescueLocked(now, index, /*count_between=*/!finished));
    finished = false;
    if (!may_take) {
      // Idle. One idle thread at a time is the sweeper: it parks with a
      // timeout, so jobs queued behind a key's running ones expire on time
      // even when every other thread is busy or asleep, and runnable jobs
      // held back by the running target are taken when the running
      // threads are stuck. The others sleep until a Submit() (or Stop())
      // takes them off idle_ and wakes them.
      const bool sweeper = sweeper_ == nullptr || sweeper_ == &self;
      if (sweeper) sweeper_ = &self;
      idle_.push_back(&self);
      const bool rescues = sweeper && ActiveLocked() >= running_target_;
      if (sweeper) sweeper_rescues_ = rescues;
      lock.unlock();
      self.Park(!sweeper ? std::chrono::nanoseconds(-1)
                         : std::chrono::nanoseconds(rescues ? kRescuePeriod : kSweepPeriod));
      lock.lock();
      // Taken off the list by whoever woke it; after a timeout (or a
      // wake-up meant for an earlier park, or a nudge) it is still there.
      looked = false;
      if (auto it = std::find(idle_.begin(), idle_.end(), &self); it != idle_.end()) {
        idle_.erase(it);
        looked = true;
      }
      if (sweeper_ == &self && !looked) sweeper_ = nullptr;
      continue;
    }
    looked = false;
    if (sweeper_ == &self) sweeper_ = nullptr;  // a rescue: it runs a job now
    KeyState* ks = ready_.front();
    ready_.pop_front();
    ks->listed = false;
    std::unique_ptr<DispatchJob> job = std::move(ks->waiting.front().job);
    ks->waiting.pop_front();
    NoteWaitingLocked(*ks);
    --queued_;
    ++ks->running;
    ListIfRunnableLocked(*ks);  // to the back of the line: others take their turn first
    // More runnable work than this thread: another one for it. And jobs
    // still waiting (behind caps) need a sweeper when none is parked.
    Parker* helper = nullptr;
    if ((!ready_.empty() && ActiveLocked() < running_target_) || (queued_ > 0 && sweeper_ == nullptr)) {
      helper = TakeIdleLocked();
    }
    job_started_[index] = now;
    lock.unlock();
    if (helper != nullptr) helper->Unpark();
    RunGuarded(*job, /*expire=*/false);
    job.reset();
    lock.lock();
    job_started_[index] = Clock::time_point{};
    finished = true;
    --ks->running;
    ListIfRunnableLocked(*ks);
    ForgetIfIdleLocked(*ks);
  }
}

}  // namespace hbf
