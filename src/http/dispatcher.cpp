#include "http/dispatcher.h"

#include <exception>

#include "core/log.h"

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

Dispatcher::Dispatcher(DispatcherOptions options) : options_(options) {
  const int n = options_.threads < 1 ? 1 : options_.threads;
  threads_.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) threads_.emplace_back([this] { ThreadMain(); });
}

Dispatcher::~Dispatcher() { Stop(); }

void Dispatcher::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
  }
  cv_.notify_all();
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
    queued_ = 0;
  }
  for (auto& job : left) RunGuarded(*job, /*expire=*/true);
}

int Dispatcher::queued() const {
  std::lock_guard lock(mu_);
  return queued_;
}

void Dispatcher::Submit(const std::string& key, std::unique_ptr<DispatchJob> job) {
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    if (!stopping_) {
      auto [it, inserted] = keys_.try_emplace(key);
      KeyState& ks = it->second;
      if (inserted) ks.key = key;
      ks.waiting.push_back(Waiting{std::move(job), Clock::now()});
      ++queued_;
      const bool was_listed = ks.listed;
      ListIfRunnableLocked(ks);
      // Wake a thread only for newly runnable work: a key at its cap is
      // taken up by the thread finishing its running job, without a wake-up
      // (and the worker stays on a warm thread). Expiry needs no wake-up:
      // the sweeper (below) is already in a timed wait.
      wake = ks.listed && !was_listed;
    }
  }
  if (job) {
    // Stopped (shutdown): never run, never lost.
    RunGuarded(*job, /*expire=*/true);
    return;
  }
  if (wake) cv_.notify_one();
}

void Dispatcher::ListIfRunnableLocked(KeyState& ks) {
  if (!ks.listed && !ks.waiting.empty() && ks.running < options_.per_key_limit) {
    ks.listed = true;
    ready_.push_back(&ks);
  }
}

void Dispatcher::ForgetIfIdleLocked(KeyState& ks) {
  if (ks.waiting.empty() && ks.running == 0 && !ks.listed) keys_.erase(ks.key);
}

void Dispatcher::CollectExpiredLocked(Clock::time_point now, std::vector<std::unique_ptr<DispatchJob>>& out) {
  const auto too_old = now - options_.queue_timeout;
  for (auto it = keys_.begin(); it != keys_.end();) {
    KeyState& ks = it->second;
    while (!ks.waiting.empty() && ks.waiting.front().enqueued < too_old) {
      out.push_back(std::move(ks.waiting.front().job));
      ks.waiting.pop_front();
      --queued_;
    }
    if (ks.waiting.empty() && ks.running == 0 && !ks.listed) {
      it = keys_.erase(it);
    } else {
      ++it;
    }
  }
}

void Dispatcher::ThreadMain() {
  std::unique_lock lock(mu_);
  // One idle thread at a time is the sweeper: it waits with a timeout, so
  // jobs queued behind a key's running ones expire on time even when every
  // other thread is busy or asleep. The others sleep until woken.
  bool sweeper = false;
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
    if (ready_.empty()) {
      if (!sweeper_present_) {
        sweeper_present_ = true;
        sweeper = true;
      }
      if (sweeper) {
        cv_.wait_for(lock, kSweepPeriod);
      } else {
        cv_.wait(lock);
      }
      continue;
    }
    if (sweeper) {
      // Off to run a job: another idle thread, if any, takes the role.
      sweeper = false;
      sweeper_present_ = false;
      cv_.notify_one();
    }
    KeyState* ks = ready_.front();
    ready_.pop_front();
    ks->listed = false;
    std::unique_ptr<DispatchJob> job = std::move(ks->waiting.front().job);
    ks->waiting.pop_front();
    --queued_;
    ++ks->running;
    ListIfRunnableLocked(*ks);  // to the back of the line: others take their turn first
    const bool more = !ready_.empty();
    lock.unlock();
    if (more) cv_.notify_one();
    RunGuarded(*job, /*expire=*/false);
    job.reset();
    lock.lock();
    --ks->running;
    ListIfRunnableLocked(*ks);
    ForgetIfIdleLocked(*ks);
  }
}

}  // namespace hbf
