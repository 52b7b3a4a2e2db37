#include "core/heap_trim.h"

#include <malloc.h>

#include <atomic>
#include <cstdint>

namespace hbf {

bool TrimHeapIfDue(std::chrono::steady_clock::duration min_interval) {
  static std::atomic<int64_t> last_trim_ns{INT64_MIN / 2};
  const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::steady_clock::now().time_since_epoch())
                          .count();
  int64_t last = last_trim_ns.load(std::memory_order_relaxed);
  const int64_t interval = std::chrono::duration_cast<std::chrono::nanoseconds>(min_interval).count();
  // One winner per interval; a loser's memory is in the winner's trim.
  if (now - last < interval || !last_trim_ns.compare_exchange_strong(last, now, std::memory_order_relaxed)) {
    return false;
  }
  malloc_trim(0);
  return true;
}

}  // namespace hbf
