#include "core/process_heap.h"

#include <atomic>
#include <cstdint>

#if HBF_JEMALLOC
#include <jemalloc/jemalloc.h>
#else
#if defined(__SANITIZE_ADDRESS__)
#define HBF_ASAN_MALLOC 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HBF_ASAN_MALLOC 1
#endif
#endif
#include <gnu/libc-version.h>
#include <malloc.h>
#endif

#if HBF_JEMALLOC
// jemalloc reads this at its first allocation, before main. Its defaults
// otherwise: four arenas per CPU, thread caches, and freed pages returned
// after a 10 s decay that advances only while the process allocates. No
// background thread of jemalloc's: the janitors' TrimHeapIfDue purges
// when idle henvs have handed memory back, which is when an idle server
// has any to return.
// The muzzy step (MADV_FREE, lazily reclaimed, still counted in RSS until
// the kernel needs it) is skipped: purged pages go back at once.
// abort_conf: a typo here stops the process rather than being ignored.
extern "C" const char* malloc_conf;
const char* malloc_conf = "abort_conf:true,muzzy_decay_ms:0";
#endif

namespace hbf {

void TuneProcessHeap() {
#if !HBF_JEMALLOC
  // glibc's defaults return freed memory to the kernel eagerly (trim above
  // 128 KiB, mmap for blocks above 128 KiB); a server that allocates and
  // frees 100 KB response buffers per request then pays a page fault per
  // 4 KiB, every request. Keep a modest amount of freed memory instead.
  mallopt(M_MMAP_THRESHOLD, 16 << 20);
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
  mallopt(M_TOP_PAD, 4 << 20);
#endif
}

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
#if HBF_JEMALLOC
  // Every arena's unused dirty pages back to the system now, whatever
  // their decay (MALLCTL_ARENAS_ALL names them all).
  static constexpr char kPurgeAll[] = "arena.4096.purge";
  static_assert(MALLCTL_ARENAS_ALL == 4096, "kPurgeAll names every arena");
  (void)mallctl(kPurgeAll, nullptr, nullptr, nullptr, 0);
#else
  malloc_trim(0);
#endif
  return true;
}

size_t HeapBlockSize(void* block) noexcept { return block == nullptr ? 0 : malloc_usable_size(block); }

size_t HeapGoodSize(size_t bytes) noexcept {
#if HBF_JEMALLOC
  const size_t good = nallocx(bytes == 0 ? 1 : bytes, 0);
  return good == 0 ? bytes : good;  // (0: past its largest class)
#else
  return (bytes + 7) & ~size_t{7};
#endif
}

std::string HeapAllocatorVersion() {
#if HBF_JEMALLOC
  const char* version = nullptr;
  size_t size = sizeof version;
  if (mallctl("version", &version, &size, nullptr, 0) != 0 || version == nullptr) return "jemalloc";
  return std::string("jemalloc ") + version;
#elif HBF_ASAN_MALLOC
  return std::string("AddressSanitizer (glibc ") + gnu_get_libc_version() + ")";
#else
  return std::string("glibc ") + gnu_get_libc_version();
#endif
}

}  // namespace hbf
