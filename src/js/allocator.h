// Internal to src/js: QuickJS's allocator hooks for a worker's runtime. A
// runtime made with JS_NewRuntime2(&kMallocFunctions, &memory), `memory`
// being its Worker::Memory, counts the bytes it holds there (so the engine
// reads a worker's memory in O(1)), refuses allocations past the runtime's
// memory limit, carves the small blocks it makes while it is built from an
// Arena of its own, and recycles its small blocks through a BlockCache.
//
// Thread safety: only the thread running the worker allocates, frees and
// writes the counter (a worker is used by one thread at a time); any thread
// may read the counter.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <utility>
#include <vector>

extern "C" {
#include <quickjs.h>
}

namespace hbf::js::internal {

// A runtime's first memory, in one piece: the small blocks a worker makes
// while it is built and bound (its built-ins' functions, shapes, atoms and
// properties, then the router's), carved one after the other.
//
// Why: a cold start without a worker builds one (~2,000 small blocks from
// malloc) and the worker it evicts frees as many, one by one: malloc and
// free took ~12% of such a request's instructions (callgrind of the cold
// scenario), with glibc's bins searched and consolidated on every worker
// because the housekeeper frees whole runtimes. A block carved here costs
// a pointer bump; the whole arena goes back to the system in one munmap() when
// the runtime is gone. A block freed while the runtime lives is kept by its
// BlockCache for the runtime's next allocations (it cannot go to malloc).
//
// Layout as glibc's: each block is preceded by an 8-byte word holding its
// usable size (16k + 8 for class k, so BlockCache classes fit), and user
// pointers are 16-byte aligned. Close() ends carving (the worker is bound:
// what it makes from then on is per request, and comes from malloc and the
// cache as before); the arena's memory is a mapping of its own (a fresh one,
// or a destroyed worker's kept for reuse: allocator.cpp), whose pages past
// the last block are not resident once it is closed, so an arena costs only
// what it carved.
class Arena {
 public:
  // Sized from a bound worker's small blocks (bench app: see the 2026-12-02
  // section of bench/README.md); a larger router carries on with malloc.
  static constexpr size_t kDefaultBytes = 384 << 10;

  Arena() = default;
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  ~Arena();

  // Maps `bytes` of its own (see allocator.cpp for why not malloc's) and
  // starts carving; false (and no arena: every block then comes from
  // malloc) if the system refused.
  bool Open(size_t bytes = kDefaultBytes);
  // Open() for a template runtime (worker_image.h): the memory starts
  // zeroed, blocks of every size are carved (large ones too, so the whole
  // runtime is in one piece), and a freed block is zeroed (so no stale
  // bytes tell two builds apart).
  bool OpenTemplate(size_t bytes);
  // Open() with the first `used` bytes a copy of `image` (a template's
  // arena as captured: used_bytes() of it), carving on after them;
  // false if the system refused or `bytes` cannot hold them.
  bool OpenCopy(const char* image, size_t used, size_t bytes);
  // Whether large blocks are carved and freed ones zeroed (OpenTemplate).
  bool is_template() const { return template_; }
  // A block of at least `size` bytes of any size (for a template), or null.
  void* CarveAny(size_t size, size_t& usable);
  // A template's large block was freed: no cache class takes it, so it is
  // dead space in the arena (a grown array's old copy) that WorkerImage
  // leaves out of the image.
  void NoteDead(const void* p, size_t usable);
  // The dead blocks, each [offset of its size word, + length), in
  // address order.
  std::vector<std::pair<size_t, size_t>> DeadRanges() const;
  // A block of class k (BlockCache's classes) and its usable size, or null
  // when closed or full.
  void* Carve(size_t k, size_t& usable);
  // No more carving (the pages never carved were never made resident).
  void Close();

  // Whether p is a block of this arena (one subtraction and compare: this
  // runs on every free).
  bool Contains(const void* p) const {
    return reinterpret_cast<uintptr_t>(p) - reinterpret_cast<uintptr_t>(base_) < span_;
  }
  // The usable size of a block of this arena.
  static size_t UsableOf(const void* p);

  bool is_open() const { return open_; }
  char* base() const { return base_; }
  // From the base to the end of the last block carved.
  size_t used_bytes() const { return base_ == nullptr ? 0 : static_cast<size_t>(next_ - base_); }
  // Unpoisons the whole arena under ASan (a template about to be read
  // word by word) and returns its base.
  const char* Expose();
  // Bytes carved so far, headers included.
  size_t carved_bytes() const { return base_ == nullptr ? 0 : static_cast<size_t>(next_ - (base_ + kHeader)); }

 private:
  static constexpr size_t kHeader = 8;
  char* base_ = nullptr;  // mapped, span_ bytes (none: 0, so Contains is false)
  size_t span_ = 0;
  char* next_ = nullptr;  // the next block's size word
  bool open_ = false;
  bool template_ = false;
  bool reused_ = false;  // the mapping was a destroyed worker's (allocator.cpp's pool)
  std::vector<std::pair<size_t, size_t>> dead_;  // a template's, as NoteDead got them
};

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
// returns them all (an idle worker's Trim, the worker's end). A block of
// the runtime's Arena is always kept (it cannot go back to malloc), over
// the cap if need be, and Flush keeps it too.
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
  // false: the caller frees it. A block carved from the arena is always
  // kept (the caller knows: it asked Arena::Contains for the block's size).
  bool Put(void* p, size_t usable, bool carved = false);
  // Frees every kept block from malloc (those carved from the arena stay);
  // returns their usable bytes plus malloc's per-block overhead
  // (kAllocOverhead each), as RuntimeMemory counts them.
  size_t Flush();

  size_t cached_bytes() const { return cached_bytes_; }
  // What the kept blocks count for in RuntimeMemory::bytes (usable bytes
  // plus kAllocOverhead each).
  size_t held_bytes() const { return cached_bytes_ + blocks_ * kAllocOverhead; }
  void set_cap(size_t cap) { cap_ = cap; }
  // The arena whose blocks Flush keeps (it must outlive the cache).
  void set_arena(const Arena* arena) { arena_ = arena; }

  // The kept blocks, as offsets from `base` (-1: none), for a template
  // whose every kept block is carved from the arena at `base` (false if
  // one is not: that template cannot be copied).
  struct Offsets {
    int64_t heads[kClasses];
    size_t cached_bytes = 0;
    size_t blocks = 0;
  };
  bool ToOffsets(const char* base, size_t carved, Offsets& out) const;
  // Starts from a copy's kept blocks (an empty cache, the copy at `base`;
  // the blocks' links were relocated with the rest of the copy).
  void FromOffsets(const Offsets& offsets, char* base);

 private:
  struct FreeBlock {
    FreeBlock* next;
    size_t usable;
  };
  FreeBlock* heads_[kClasses] = {};
  size_t cached_bytes_ = 0;
  size_t blocks_ = 0;
  size_t cap_ = kDefaultCap;
  const Arena* arena_ = nullptr;
};

// What a runtime's hooks keep (its opaque): Worker::Memory.
struct RuntimeMemory {
  RuntimeMemory() { cache.set_arena(&arena); }
  RuntimeMemory(const RuntimeMemory&) = delete;
  RuntimeMemory& operator=(const RuntimeMemory&) = delete;

  // Bytes the runtime holds: its live heap and its BlockCache (from malloc,
  // and carved from its arena).
  std::atomic<int64_t> bytes{0};
  // Set by the allocator when it refused an allocation at the heap limit;
  // cleared at the start of each request (written by the worker's thread).
  bool refused = false;
  // Set by the owner once the runtime is being freed (thread: the freeing
  // one): blocks freed from then on skip the cache, and carved ones are
  // neither counted nor kept (the arena goes whole; QuickJS's own counts of
  // a runtime being freed are not read again).
  bool tearing_down = false;
  // Not open unless the owner opens it (before JS_NewRuntime2: the
  // runtime's own blocks come from it) and closes it once the runtime is
  // built. Declared before the cache, so destroyed after it.
  Arena arena;
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

#ifdef HBF_HEAP_TRACK
// Built with HBF_HEAP_TRACK only (bench/tools/worker_heap.sh): writes every
// live block of every runtime, its usable size and the return addresses
// that made it, after a line "BASE <this function's address>".
void DumpTrackedHeap(std::FILE* out);
#endif

}  // namespace hbf::js::internal
