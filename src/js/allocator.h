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

class BlockCache;

// A runtime's small blocks, all in one piece: every block of up to
// BlockCache::kMaxBlock bytes the runtime ever makes is carved here (or is
// one it freed, reused through its BlockCache), one after the other: its
// built-ins' functions, shapes, atoms and properties, the router's, and
// each request's objects.
//
// Why: a worker's memory is then the runtime's own, whole. Destroying a
// worker (Worker::~Worker) runs the few finalizers that reach outside it
// (QuickJS patch 0022) and drops the arena and the runtime's malloc blocks
// (RuntimeMemory::DropAll), instead of freeing ~5,000 objects, shapes and
// strings one by one: JS_FreeRuntime and its frees were ~22% of the
// server's CPU with 10,000 henvs (perf, bench/README.md). And a block
// carved here costs a pointer bump, not a malloc.
//
// The arena is a reservation of address space (kReserveBytes, no memory)
// made writable as carving reaches it (kGrowBytes at a time): a worker
// costs what it carved. A runtime that carves past the reservation (small
// blocks freed in one class and wanted in another, beyond the heap limit's
// worth) gets its further small blocks from malloc, as its large ones.
//
// Layout as glibc's: each block is preceded by an 8-byte word holding its
// usable size (16k + 8 for class k, so BlockCache classes fit), and user
// pointers are 16-byte aligned. The reservation is a mapping of its own (a
// fresh one, or a destroyed worker's kept for reuse: arena.cpp).
class Arena {
 public:
  // Made writable at first: about what a bound worker carves (bench app: see
  // the 2026-12-02 section of bench/README.md).
  static constexpr size_t kDefaultBytes = 384 << 10;
  // Address space per arena (none of it memory until carved): the default
  // heap limit's worth. 10,000 workers reserve 640 GiB of the 128 TiB a
  // process may map.
  static constexpr size_t kReserveBytes = size_t{64} << 20;
  // The same in a process whose address space is limited (ulimit -v),
  // where reservations count as if they were memory: about a bound
  // worker's blocks; what a runtime carves past it comes from malloc.
  static constexpr size_t kLimitedReserveBytes = size_t{1} << 20;
  // Made writable at a time as carving goes past what is.
  static constexpr size_t kGrowBytes = 256 << 10;

  Arena() = default;
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  ~Arena();

  // Reserves kReserveBytes (kLimitedReserveBytes under an address-space
  // limit; see arena.cpp for why not malloc's), makes the first `bytes`
  // writable and starts carving; false (and no arena: every block then
  // comes from malloc) if the system refused.
  bool Open(size_t bytes = kDefaultBytes);
  // Destroyed arenas' reservations are kept, their first pages still
  // written, for the next Open (arena.cpp: why). Unmaps the kept ones
  // if Open took none since the previous call (the engine's housekeeper
  // calls it every few seconds), and returns how many went. Any thread.
  static size_t ReleaseKeptIfUnused();
  // How many reservations are kept now. Any thread.
  static size_t KeptCount();
  // What a KiB of memory new to the process costs to back and write, in
  // nanoseconds: a fresh mapping of `bytes`, its pages made as a copy's
  // are (OpenCopy) and a copy written into it, the least of three tries;
  // 0 if the system refused the mapping. Most of what a hibernated
  // worker's wake costs (its pages were given back), measured without one
  // (JsEngine's first estimate of a wake). Any thread.
  static int64_t FreshWriteNsPerKib(size_t bytes = kDefaultBytes);
  // Open() for a template runtime (worker_image.h): `bytes` and no more,
  // zeroed, blocks of every size carved (large ones too, so the whole
  // runtime is in one piece), and a freed block zeroed (so no stale bytes
  // tell two builds apart).
  bool OpenTemplate(size_t bytes);
  // Open() with the first `used` bytes a copy of `image` (a template's
  // arena as captured: used_bytes() of it), carving on after them;
  // false if the system refused or `bytes` cannot hold them.
  bool OpenCopy(const char* image, size_t used, size_t bytes);
  // OpenCopy in two steps, for a caller that writes the copy itself (a
  // worker image relocates its pointers as it copies, worker_image.cpp):
  // OpenForCopy opens with the first `used` bytes writable and backed
  // (false as OpenCopy), the caller writes them at base(), then
  // CopyWritten(used) carves on after them.
  bool OpenForCopy(size_t used, size_t bytes);
  void CopyWritten(size_t used);
  // OpenForCopy for a copy that is bound to be compared with another
  // (BoundImage::Capture): what it carves past `used` (up to `bytes`, no
  // further) starts as zeros (each block zeroed as it is carved: a kept
  // reservation's pages held another worker's), and it carves blocks of
  // every size, as a template does (a large block from malloc would be at
  // an address of its own).
  bool OpenForCapture(size_t used, size_t bytes);
  // A capture's copy goes on as any copy (its carved blocks stay).
  void EndCapture() { capture_ = false; }
  // Whether blocks of every size are carved, and freed ones zeroed (a
  // template, or a capture's copy).
  bool carves_all() const { return template_ || capture_; }
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
  // when not open or full.
  void* Carve(size_t k, size_t& usable);

  // Whether p is a block of this arena (one subtraction and compare: this
  // runs on every free).
  bool Contains(const void* p) const {
    return reinterpret_cast<uintptr_t>(p) - reinterpret_cast<uintptr_t>(base_) < span_;
  }
  // The usable size of a block of this arena.
  static size_t UsableOf(const void* p);

  bool is_open() const { return base_ != nullptr; }
  char* base() const { return base_; }
  // From the base to the end of the last block carved.
  size_t used_bytes() const { return base_ == nullptr ? 0 : static_cast<size_t>(next_ - base_); }
  // Asks the CPU to bring the lines carved so far from offset `from` on
  // toward its caches (prefetches: no fault, nothing waits for them),
  // kMaxPrefetchBytes of them at most. See Worker::PrefetchMemory for why.
  void Prefetch(size_t from = 0) const { PrefetchCarved(base_, used_bytes(), from); }
  // The same for an arena at `base` with `used` bytes carved, read earlier
  // (any thread: prefetches of memory since unmapped are dropped).
  static void PrefetchCarved(const char* base, size_t used, size_t from);
  // What one prefetch fetches at most, line by line (~10 us of memory
  // traffic at the ~28 GB/s measured): a bound worker carves ~370-470 KB,
  // but an app that keeps megabytes of small objects would otherwise
  // fetch them all before each cold request, far more than it reads.
  static constexpr size_t kMaxPrefetchBytes = 512 << 10;
  // Unpoisons what is writable under ASan (a template about to be read
  // word by word) and returns its base.
  const char* Expose();
  // Bytes carved so far, headers included.
  size_t carved_bytes() const { return base_ == nullptr ? 0 : static_cast<size_t>(next_ - (base_ + kHeader)); }
  // Bytes made writable so far.
  size_t writable_bytes() const { return writable_; }
  // Gives the system back the whole pages that only `cache`'s blocks
  // cover (at least kMinRelease in a row): those blocks leave the cache
  // (a block partly in such pages too), and the pages are carved again,
  // before the arena grows. Returns the bytes of the blocks taken from the
  // cache (as RuntimeMemory counts them). Not for a template.
  static constexpr size_t kMinRelease = 16 << 10;
  size_t ReleaseFree(BlockCache& cache);
  // The pages given back (ReleaseFree) and not carved since, as offsets
  // [from, to) from the base, ascending.
  std::vector<std::pair<size_t, size_t>> Released() const;
  // Gives the system back every page up to the end of the last block
  // carved (a hibernated worker's arena: the reservation and what was made
  // writable stay, read as zeros); false if the system refused.
  bool GiveBackUsed();
  // Makes the pages GiveBackUsed gave back again, before a restore writes them.
  void TakeBackUsed();
  // Gives back again `ranges` (Released()'s, after a restore wrote them).
  void GiveBackAgain(const std::vector<std::pair<size_t, size_t>>& ranges);

 private:
  static constexpr size_t kHeader = 8;
  // Makes writable what carving `take` more bytes needs; false past the span.
  bool Grow(size_t take);
  // Moves carving to the next released run that holds `take`; false if none.
  bool NextRun(size_t take);
  char* base_ = nullptr;  // mapped, span_ bytes (none: 0, so Contains is false)
  size_t span_ = 0;       // reserved (a template: all writable)
  size_t writable_ = 0;   // from base_, readable and writable
  char* next_ = nullptr;  // the next block's size word (past everything carved)
  // Released pages being carved again (run_next_: the next block's size
  // word; null: none), and the others, each [first, second).
  char* run_next_ = nullptr;
  char* run_end_ = nullptr;
  std::vector<std::pair<char*, char*>> runs_;
  bool template_ = false;
  bool capture_ = false;      // OpenForCapture: carving stops at capture_bytes_
  size_t capture_bytes_ = 0;
  // From the base, bytes written before Open (a kept reservation's), and
  // whether pages went back since (ReleaseFree, GiveBackUsed, GiveBackAgain).
  size_t written_ = 0;
  bool gave_back_ = false;
  std::vector<std::pair<size_t, size_t>> dead_;  // a template's, as NoteDead got them
};

// Freed small blocks of one runtime's Arena, kept for its next
// allocations.
//
// Why: a request allocates and frees a few thousand small objects (req,
// res, closures, property arrays, strings). Blocks kept here are popped and
// pushed in a few instructions, and stay with the runtime when its worker
// moves to another thread (no cross-thread free). They cannot go back to
// malloc: they are carved. An idle worker's kept blocks are what its
// heap's peak left; the whole pages they alone cover go back to the system
// (Arena::ReleaseFree, at the worker's Trim and Shed).
//
// A block is filed by its usable size: class k holds blocks of at least
// 16k + 8 usable bytes, and a request of n bytes takes from class
// (n + 7) / 16, so a block always covers the request.
class BlockCache {
 public:
  static constexpr size_t kMaxBlock = 520;  // usable bytes of the largest class
  static constexpr size_t kClasses = (kMaxBlock - 8) / 16 + 1;
  // What a carved block costs beyond its usable bytes (its size word); a
  // malloc block's (glibc's size word) is counted the same.
  static constexpr size_t kAllocOverhead = 8;

  BlockCache() = default;
  BlockCache(const BlockCache&) = delete;
  BlockCache& operator=(const BlockCache&) = delete;

  // The class that serves a request of n bytes (n <= kMaxBlock).
  static size_t ClassForRequest(size_t n) { return n <= 24 ? 1 : (n + 7) / 16; }
  // The class a block of `usable` bytes (24 <= usable <= kMaxBlock) is filed in.
  static size_t ClassOfBlock(size_t usable) { return (usable - 8) / 16; }

  // A kept block of class k and its usable size, or null.
  void* Take(size_t k, size_t& usable);
  // Keeps carved block p (its usable size `usable`).
  void Put(void* p, size_t usable);
  // Forgets every kept block without touching them (their arena is going).
  void Forget();
  // Moves every kept block, with its usable size, to `out` (the cache is
  // then empty).
  void TakeAll(std::vector<std::pair<char*, size_t>>& out);

  size_t cached_bytes() const { return cached_bytes_; }
  // What the kept blocks count for in RuntimeMemory::bytes (usable bytes
  // plus kAllocOverhead each).
  size_t held_bytes() const { return cached_bytes_ + blocks_ * kAllocOverhead; }

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
};

// What a runtime's hooks keep (its opaque): Worker::Memory. Every block
// the runtime holds is its own: carved from its arena (small ones), or
// from malloc with a link in front (large ones, and small ones once the
// arena is full), on a list DropAll frees whole.
struct RuntimeMemory {
  RuntimeMemory() { malloc_blocks.prev = malloc_blocks.next = &malloc_blocks; }
  RuntimeMemory(const RuntimeMemory&) = delete;
  RuntimeMemory& operator=(const RuntimeMemory&) = delete;
  ~RuntimeMemory() { DropAll(); }

  // Bytes the runtime holds: its live heap, the blocks its cache keeps,
  // and malloc's blocks' links and size words.
  std::atomic<int64_t> bytes{0};
  // Set by the allocator when it refused an allocation at the heap limit;
  // cleared at the start of each request (written by the worker's thread).
  bool refused = false;
  // Set by the owner once the runtime is being freed (thread: the freeing
  // one): carved blocks freed from then on are neither counted nor kept
  // (the arena goes whole; QuickJS's own counts of a runtime being freed
  // are not read again).
  bool tearing_down = false;
  // Not open unless the owner opens it (before JS_NewRuntime2: the
  // runtime's own blocks come from it).
  Arena arena;
  BlockCache cache;
  // The head of the circular list of malloc blocks' links.
  struct MallocLink {
    MallocLink* prev;
    MallocLink* next;
  };
  MallocLink malloc_blocks;

  // The bytes of the runtime's live heap, kept blocks excluded (thread:
  // the worker's): what its garbage collection decisions go by.
  int64_t heap_bytes() const {
    return bytes.load(std::memory_order_relaxed) - static_cast<int64_t>(cache.held_bytes());
  }
  // Frees every malloc block and forgets the kept ones, whatever the
  // runtime still holds (thread: the freeing one): for a runtime that is
  // gone, or dropped whole (its values are never touched again). The arena
  // goes with this object.
  void DropAll();
  // The bytes of the malloc blocks (links and size words included).
  int64_t MallocBytes() const;
  // Gives back the pages of the arena that only kept blocks cover
  // (Arena::ReleaseFree), uncounting them (thread: the worker's).
  void ReleaseFreePages();
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
