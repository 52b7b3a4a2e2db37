// Internal to src/js: QuickJS's allocator hooks for a worker's runtime. A
// runtime made with JS_NewRuntime2(&kMallocFunctions, &memory), `memory`
// being its Worker::Memory, counts the bytes it holds there (so the engine
// reads a worker's memory in O(1)), refuses allocations past the runtime's
// memory limit, and recycles its own small blocks through a BlockCache.
//
// Thread safety: only the thread running the worker allocates, frees and
// writes the counter (a worker is used by one thread at a time); any thread
// may read the counter.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

extern "C" {
#include <quickjs.h>
}

namespace hbf::js::internal {

// Freed small blocks of one runtime, kept for its next allocations.
//
// Why: a request allocates and frees a few thousand small objects (req,
// res, closures, property arrays, strings), and glibc's per-thread cache
// holds 7 blocks of a size; the rest went through malloc's bins, with a
// consolidation of the fast bins before any request of 1 KiB or more:
// malloc, free and realloc were ~22% of a `/hello`'s instructions. Blocks
// kept here are popped and pushed in a few instructions, and stay with the
// runtime when its worker moves to another thread (no cross-thread free).
//
// A block is filed by its usable size: class k holds blocks of at least
// 16k + 8 usable bytes (glibc's usable sizes are exactly 16k + 8), and a
// request of n bytes takes from class (n + 7) / 16, so a block always
// covers the request whatever the allocator's rounding. At most `cap`
// bytes are kept, beyond that blocks go back to malloc: the worker sets it
// to its garbage-collection headroom, the garbage a busy worker holds
// between collections anyway (so the cache adds nothing to its peak; with
// the cap at a quarter of that, a /hello kept only half the saving). Flush()
// returns them all (an idle worker's Trim, the worker's end).
class BlockCache {
 public:
  static constexpr size_t kMaxBlock = 520;  // usable bytes of the largest class
  static constexpr size_t kClasses = (kMaxBlock - 8) / 16 + 1;
  static constexpr size_t kDefaultCap = 1 << 20;
  // What malloc spends per block beyond its usable bytes (glibc: its size word).
  static constexpr size_t kAllocOverhead = 8;

  BlockCache() = default;
  BlockCache(const BlockCache&) = delete;
  BlockCache& operator=(const BlockCache&) = delete;
  ~BlockCache() { Flush(); }

  // The class that serves a request of n bytes (n <= kMaxBlock).
  static size_t ClassForRequest(size_t n) { return n <= 24 ? 1 : (n + 7) / 16; }
  // The class a block of `usable` bytes (24 <= usable <= kMaxBlock) is filed in.
  static size_t ClassOfBlock(size_t usable) { return (usable - 8) / 16; }

  // A kept block of class k and its usable size, or null.
  void* Take(size_t k, size_t& usable);
  // Keeps block p (its usable size `usable`) unless the cache is full;
  // false: the caller frees it.
  bool Put(void* p, size_t usable);
  // Frees every kept block; returns their usable bytes plus malloc's
  // per-block overhead (kAllocOverhead each), as RuntimeMemory counts them.
  size_t Flush();

  size_t cached_bytes() const { return cached_bytes_; }
  // What the kept blocks count for in RuntimeMemory::bytes (usable bytes
  // plus kAllocOverhead each).
  size_t held_bytes() const { return cached_bytes_ + blocks_ * kAllocOverhead; }
  void set_cap(size_t cap) { cap_ = cap; }

 private:
  struct FreeBlock {
    FreeBlock* next;
    size_t usable;
  };
  FreeBlock* heads_[kClasses] = {};
  size_t cached_bytes_ = 0;
  size_t blocks_ = 0;
  size_t cap_ = kDefaultCap;
};

// What a runtime's hooks keep (its opaque): Worker::Memory.
struct RuntimeMemory {
  // Bytes the runtime holds from malloc: its live heap and its BlockCache.
  std::atomic<int64_t> bytes{0};
  // Set by the allocator when it refused an allocation at the heap limit;
  // cleared at the start of each request (written by the worker's thread).
  bool refused = false;
  BlockCache cache;

  // The bytes of the runtime's live heap, kept blocks excluded (thread:
  // the worker's): what its garbage collection decisions go by.
  int64_t heap_bytes() const {
    return bytes.load(std::memory_order_relaxed) - static_cast<int64_t>(cache.held_bytes());
  }
  // Frees the runtime's kept blocks (thread: the worker's).
  void ReleaseCache() {
    const auto freed = static_cast<int64_t>(cache.Flush());
    bytes.store(bytes.load(std::memory_order_relaxed) - freed, std::memory_order_relaxed);
  }
};

// The hooks; each runtime's opaque must be its RuntimeMemory.
extern const JSMallocFunctions kMallocFunctions;

}  // namespace hbf::js::internal
