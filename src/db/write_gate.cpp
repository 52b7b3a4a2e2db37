#include "db/write_gate.h"

#include <algorithm>

#include "db/per_file.h"

namespace hbf::db {

std::shared_ptr<WriteGate> WriteGate::For(const std::string& path) { return PerFile<WriteGate>::For(path); }

void WriteGate::Wait(std::chrono::microseconds slice) {
  // Counted under the lock once the commit number is read, so that a
  // waiter counted by waiting() is one the next Committed() wakes. A
  // Committed() that sees no waiter ran before the count: its commit may
  // be one this wait does not see (as may one between SQLite's failed lock
  // and this call), and the caller looks at the lock again within `slice`.
  bool woken;
  {
    std::unique_lock lock(mu_);
    const uint64_t seen = commits_;
    waiters_.fetch_add(1, std::memory_order_seq_cst);
    woken = cv_.wait_for(lock, slice, [&] { return commits_ != seen; });
    waiters_.fetch_sub(1, std::memory_order_relaxed);
  }
  if (woken) wakeups_.fetch_add(1, std::memory_order_relaxed);
}

void WriteGate::Committed() {
  if (waiters_.load(std::memory_order_seq_cst) == 0) return;
  {
    std::lock_guard lock(mu_);
    ++commits_;
  }
  cv_.notify_all();
}

bool WriteGate::CheckpointDue(int pages) {
  int next = next_checkpoint_.load(std::memory_order_relaxed);
  // Shorter than when the last try was planned: the WAL started again.
  if (pages < next - kCheckpointPages) {
    next = kCheckpointPages;
    next_checkpoint_.store(next, std::memory_order_relaxed);
  }
  if (pages < next) return false;
  // One connection at a time runs it (another committing now finds the
  // next try planned past its own pages).
  return next_checkpoint_.compare_exchange_strong(next, pages + kCheckpointPages, std::memory_order_relaxed);
}

void WriteGate::CheckpointDone(int pages, bool restarted) {
  if (restarted) {
    retry_pages_.store(kRetryPages, std::memory_order_relaxed);
    next_checkpoint_.store(kCheckpointPages, std::memory_order_relaxed);
  } else {
    const int retry = retry_pages_.load(std::memory_order_relaxed);
    retry_pages_.store(std::min(retry * 2, kCheckpointPages), std::memory_order_relaxed);
    next_checkpoint_.store(pages + retry, std::memory_order_relaxed);
  }
  Committed();  // the writers it held off
}

std::chrono::microseconds WriteGateSlice(int count) {
  // 250 µs, doubling to 8 ms: a writer another process holds the lock for
  // is looked for ~30 times in its first 100 ms, then every 8 ms.
  return std::chrono::microseconds(int64_t{250} << std::clamp(count, 0, 5));
}

}  // namespace hbf::db
