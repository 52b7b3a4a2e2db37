#include "db/write_gate.h"

#include <algorithm>

#include "core/cores.h"
#include "db/per_file.h"

namespace hbf::db {

std::shared_ptr<WriteGate> WriteGate::For(const std::string& path) { return PerFile<WriteGate>::For(path); }

namespace {

// Whether another core may run the writer while this thread spins (read
// once).
bool SeveralCores() {
  static const bool several = CoresAvailable() > 1;
  return several;
}

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

}  // namespace

bool WriteGate::Spin(uint64_t seen, std::chrono::steady_clock::time_point until) const {
  for (unsigned i = 1;; ++i) {
    if (commits_.load(std::memory_order_acquire) != seen) return true;
    // The clock read every 32 pauses (~1-4 us).
    if (i % 32 == 0 && std::chrono::steady_clock::now() >= until) return false;
    CpuRelax();
  }
}

void WriteGate::Wait(std::chrono::microseconds slice, bool spin_first) {
  // Counted once the commit number is read, so that a waiter counted by
  // waiting() is one the next Committed() ends. A commit before the read
  // (or between SQLite's failed lock and this call) is one this wait does
  // not see: the caller looks at the lock again within `slice`.
  const uint64_t seen = commits_.load(std::memory_order_seq_cst);
  waiters_.fetch_add(1, std::memory_order_seq_cst);
  const auto start = std::chrono::steady_clock::now();
  bool woken = spin_first && SeveralCores() && Spin(seen, start + std::min(slice, kSpin));
  if (!woken) {
    const auto until = start + slice;
    std::unique_lock lock(mu_);
    sleepers_.fetch_add(1, std::memory_order_seq_cst);
    woken = cv_.wait_until(lock, until, [&] { return commits_.load(std::memory_order_seq_cst) != seen; });
    sleepers_.fetch_sub(1, std::memory_order_relaxed);
  }
  waiters_.fetch_sub(1, std::memory_order_relaxed);
  if (woken) wakeups_.fetch_add(1, std::memory_order_relaxed);
}

void WriteGate::Committed() {
  commits_.fetch_add(1, std::memory_order_seq_cst);
  if (sleepers_.load(std::memory_order_seq_cst) == 0) return;
  // Taken (and let go) so that a sleeper that registered has reached its
  // wait before the notification.
  { std::lock_guard lock(mu_); }
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
