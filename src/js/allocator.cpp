// The runtimes' allocator (allocator.h): QuickJS's malloc functions, each
// runtime's kept blocks (BlockCache) and its count of bytes. The arenas the
// blocks are carved from are arena.cpp's.
#include "js/allocator.h"

#include <malloc.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <utility>

#ifdef HBF_HEAP_TRACK
#include <execinfo.h>

#include <mutex>
#include <unordered_map>
#endif

#include "js/allocator_poison.h"

namespace hbf::js::internal {

#ifdef HBF_HEAP_TRACK
// Diagnostics only (bench/tools/worker_heap.sh builds with it): every live
// block of every runtime, with the calls that made it. One mutex and a map
// of its own (from the global operator new, never these hooks): not for a
// server.
namespace {
struct TrackedBlock {
  size_t usable = 0;
  int depth = 0;
  void* frames[12] = {};
};
std::mutex tracked_mu;
std::unordered_map<void*, TrackedBlock>& Tracked() {
  static auto* blocks = new std::unordered_map<void*, TrackedBlock>();
  return *blocks;
}
void TrackAlloc(void* p, size_t usable) {
  TrackedBlock b;
  b.usable = usable;
  b.depth = backtrace(b.frames, 12);
  std::lock_guard lock(tracked_mu);
  Tracked()[p] = b;
}
void TrackFree(void* p) {
  std::lock_guard lock(tracked_mu);
  Tracked().erase(p);
}
}  // namespace

void DumpTrackedHeap(std::FILE* out) {
  std::lock_guard lock(tracked_mu);
  std::fprintf(out, "BASE %p\n", reinterpret_cast<void*>(&DumpTrackedHeap));
  for (const auto& [p, b] : Tracked()) {
    std::fprintf(out, "%zu", b.usable);
    for (int i = 0; i < b.depth; ++i) std::fprintf(out, " %p", b.frames[i]);
    std::fprintf(out, "\n");
  }
}
#define HBF_TRACK_ALLOC(p, usable) TrackAlloc((p), (usable))
#define HBF_TRACK_FREE(p) TrackFree(p)
#else
#define HBF_TRACK_ALLOC(p, usable) ((void)0)
#define HBF_TRACK_FREE(p) ((void)0)
#endif

// BlockCache. A kept block stays poisoned under ASan but for the moment its
// link is read or written, so a use after free is still caught.
void* BlockCache::Take(size_t k, size_t& usable) {
  FreeBlock* b = heads_[k];
  if (b == nullptr) return nullptr;
  HBF_UNPOISON(b, sizeof(FreeBlock));
  heads_[k] = b->next;
  usable = b->usable;
  cached_bytes_ -= usable;
  blocks_--;
  HBF_UNPOISON(b, usable);
  return b;
}

void BlockCache::Put(void* p, size_t usable) {
  auto* b = static_cast<FreeBlock*>(p);
  const size_t k = ClassOfBlock(usable);
  b->next = heads_[k];
  b->usable = usable;
  heads_[k] = b;
  cached_bytes_ += usable;
  blocks_++;
  HBF_POISON(b, usable);
}

void BlockCache::TakeAll(std::vector<std::pair<char*, size_t>>& out) {
  out.reserve(out.size() + blocks_);
  for (FreeBlock* head : heads_) {
    for (FreeBlock* b = head; b != nullptr;) {
      HBF_UNPOISON(b, sizeof(FreeBlock));
      FreeBlock* next = b->next;
      out.emplace_back(reinterpret_cast<char*>(b), b->usable);
      HBF_POISON(b, sizeof(FreeBlock));
      b = next;
    }
  }
  Forget();
}

void BlockCache::Forget() {
  for (FreeBlock*& head : heads_) head = nullptr;
  cached_bytes_ = 0;
  blocks_ = 0;
}

bool BlockCache::ToOffsets(const char* base, size_t carved, Offsets& out) const {
  out.cached_bytes = cached_bytes_;
  out.blocks = blocks_;
  for (size_t k = 0; k < kClasses; ++k) {
    out.heads[k] = -1;
    for (const FreeBlock* b = heads_[k]; b != nullptr;) {
      const auto* p = reinterpret_cast<const char*>(b);
      if (p < base || p >= base + carved) return false;
      HBF_UNPOISON(const_cast<FreeBlock*>(b), sizeof(FreeBlock));
      const FreeBlock* next = b->next;
      HBF_POISON(const_cast<FreeBlock*>(b), sizeof(FreeBlock));
      b = next;
    }
    if (heads_[k] != nullptr) out.heads[k] = reinterpret_cast<const char*>(heads_[k]) - base;
  }
  return true;
}

void BlockCache::FromOffsets(const Offsets& offsets, char* base) {
  cached_bytes_ = offsets.cached_bytes;
  blocks_ = offsets.blocks;
  for (size_t k = 0; k < kClasses; ++k) {
    heads_[k] = offsets.heads[k] < 0 ? nullptr : reinterpret_cast<FreeBlock*>(base + offsets.heads[k]);
#if defined(__SANITIZE_ADDRESS__)
    for (FreeBlock* b = heads_[k]; b != nullptr;) {
      FreeBlock* next = b->next;
      HBF_POISON(b, b->usable);
      b = next;
    }
#endif
  }
}

namespace {

// QuickJS's allocator hooks. QuickJS's own counters (malloc_size, which its
// memory limit and GC threshold read) follow the blocks the runtime uses;
// RuntimeMemory::bytes follows what it holds, kept blocks included, for
// the engine's budget.
constexpr size_t kAllocOverhead = BlockCache::kAllocOverhead;
using MallocLink = RuntimeMemory::MallocLink;
// A malloc block's link, in front of the block QuickJS sees (16 bytes: the
// block stays 16-byte aligned).
constexpr size_t kLink = sizeof(MallocLink);
static_assert(kLink == 16);

RuntimeMemory& MemoryOf(JSMallocState* s) { return *static_cast<RuntimeMemory*>(s->opaque); }

// Only the thread running the worker writes its counter, so a relaxed load +
// store suffices: no contended read-modify-write on the allocation path.
// Others may read it at any time.
void Account(RuntimeMemory& m, int64_t delta) {
  m.bytes.store(m.bytes.load(std::memory_order_relaxed) + delta, std::memory_order_relaxed);
}

void Used(JSMallocState* s, size_t usable) {
  s->malloc_count++;
  s->malloc_size += usable + kAllocOverhead;
}

void Released(JSMallocState* s, size_t usable) {
  s->malloc_count--;
  s->malloc_size -= usable + kAllocOverhead;
}

MallocLink* LinkOf(const void* p) { return reinterpret_cast<MallocLink*>(static_cast<char*>(const_cast<void*>(p)) - kLink); }
// A malloc block's usable bytes as QuickJS sees them (its link excluded).
size_t MallocUsable(const MallocLink* link) { return malloc_usable_size(const_cast<MallocLink*>(link)) - kLink; }
// What a malloc block is counted for, as a carved block's usable bytes are
// (Used, Released): its usable bytes and its link.
size_t MallocCounted(const MallocLink* link) { return MallocUsable(link) + kLink; }

void Link(RuntimeMemory& m, MallocLink* link) {
  link->prev = &m.malloc_blocks;
  link->next = m.malloc_blocks.next;
  m.malloc_blocks.next->prev = link;
  m.malloc_blocks.next = link;
}

void Unlink(MallocLink* link) {
  link->prev->next = link->next;
  link->next->prev = link->prev;
}

// Whether the runtime may hold `more` bytes more. QuickJS's limit is on
// what the runtime uses; what it holds also counts the blocks its cache
// keeps, which serve only their own sizes: a script freeing its limit's
// worth of blocks of one size and then asking for another, size after
// size, would hold many times its limit. So what it holds may pass the
// limit by a quarter; past that the pages only kept blocks cover are
// given back first (and carved again for the sizes now wanted), and unless
// that leaves a sixteenth of the allowance free (so the next such pass is
// that far off) the allocation is refused, as at the limit.
bool MayHoldMore(JSMallocState* s, RuntimeMemory& m, size_t more) {
  if (s->malloc_limit > (size_t{1} << 60)) return true;  // (no limit)
  const auto cap = static_cast<int64_t>(s->malloc_limit + s->malloc_limit / 4);
  const auto wanted = static_cast<int64_t>(more);
  if (m.bytes.load(std::memory_order_relaxed) + wanted <= cap) return true;
  m.ReleaseFreePages();
  if (m.bytes.load(std::memory_order_relaxed) + wanted <= cap - cap / 16) return true;
  m.refused = true;
  return false;
}

// A block of `size` bytes, kept, carved or from malloc, counted; the caller
// checked the limit.
void* Allocate(JSMallocState* s, RuntimeMemory& m, size_t size) {
  if (size <= BlockCache::kMaxBlock) {
    size_t usable = 0;
    const size_t k = BlockCache::ClassForRequest(size);
    if (void* p = m.cache.Take(k, usable)) {
      Used(s, usable);
      return p;
    }
    if (!m.arena.is_template() && !MayHoldMore(s, m, 16 * (k + 1))) return nullptr;
    if (void* p = m.arena.Carve(k, usable)) {
      Used(s, usable);
      Account(m, static_cast<int64_t>(usable + kAllocOverhead));
      return p;
    }
  }
  if (m.arena.carves_all()) {  // the whole template (or capture's copy) in one piece
    size_t usable = 0;
    if (void* p = m.arena.CarveAny(size, usable)) {
      Used(s, usable);
      Account(m, static_cast<int64_t>(usable + kAllocOverhead));
      return p;
    }
  }
  if (size > BlockCache::kMaxBlock && !MayHoldMore(s, m, size + kLink + kAllocOverhead)) return nullptr;
  auto* link = static_cast<MallocLink*>(std::malloc(size + kLink));
  if (link == nullptr) return nullptr;
  Link(m, link);
  const size_t usable = MallocCounted(link);
  Used(s, usable);
  Account(m, static_cast<int64_t>(usable + kAllocOverhead));
  return link + 1;
}

// The usable size of one of the runtime's blocks, carved or from malloc.
size_t UsableSize(const RuntimeMemory& m, const void* p) {
  if (m.arena.Contains(p)) return Arena::UsableOf(p);
  return MallocUsable(LinkOf(p));
}

void* HbfMalloc(JSMallocState* s, size_t size) {
  RuntimeMemory& m = MemoryOf(s);
  if (s->malloc_size + size > s->malloc_limit) {
    m.refused = true;
    return nullptr;
  }
  void* p = Allocate(s, m, size);
  if (p != nullptr) HBF_TRACK_ALLOC(p, UsableSize(m, p));
  return p;
}

[[gnu::noinline]] void FreeBlock(JSMallocState* s, void* p) {
  if (p == nullptr) return;
  HBF_TRACK_FREE(p);
  RuntimeMemory& m = MemoryOf(s);
  if (!m.arena.Contains(p)) {
    MallocLink* link = LinkOf(p);
    const size_t usable = MallocCounted(link);
    Released(s, usable);
    Account(m, -static_cast<int64_t>(usable + kAllocOverhead));
    Unlink(link);
    std::free(link);
    return;
  }
  const size_t usable = Arena::UsableOf(p);
  Released(s, usable);
  if (m.tearing_down || usable > BlockCache::kMaxBlock) {
    // Kept by the arena until the runtime goes (a large carved block is a
    // template's, or a copy's: no cache class takes it).
    if (!m.tearing_down && m.arena.carves_all()) {
      std::memset(p, 0, usable);
      m.arena.NoteDead(p, usable);
    }
    HBF_POISON(p, usable);  // (as a kept block is: a use after free is still reported)
    return;
  }
  // (a template's, or a capture's copy's: no stale bytes tell two apart)
  if (m.arena.carves_all()) std::memset(p, 0, usable);
  m.cache.Put(p, usable);
}

void HbfFree(JSMallocState* s, void* p) {
#if !defined(__SANITIZE_ADDRESS__) && !defined(HBF_HEAP_TRACK)
  // A carved block of a runtime being freed goes with its arena: nothing to
  // count (the runtime is gone next), nothing to keep; most of a worker's
  // blocks are (~7,000 of them: destroying workers cost ~21% fewer instructions). Checked
  // before FreeBlock's frame is set up. (Under ASan such a block is
  // poisoned there; a null pointer is never in the arena.)
  const RuntimeMemory& m = MemoryOf(s);
  if (m.tearing_down && m.arena.Contains(p)) return;
#endif
  FreeBlock(s, p);
}

void* ReallocUntracked(JSMallocState* s, void* p, size_t size) {
  if (p == nullptr) return size == 0 ? nullptr : HbfMalloc(s, size);
  if (size == 0) {
    HbfFree(s, p);
    return nullptr;
  }
  RuntimeMemory& m = MemoryOf(s);
  const size_t old = UsableSize(m, p);
  // Fits, and wastes under half the block: it stays where it is.
  if (size <= old && size >= old / 2) return p;
  // The limit is on what the block grows by, as for realloc in place: the
  // old block is given back at once (a property array growing at the limit
  // must not fail for the moment both exist).
  if (size > old && s->malloc_size + size - old > s->malloc_limit) {
    m.refused = true;
    return nullptr;
  }
  if (size <= BlockCache::kMaxBlock || m.arena.Contains(p)) {
    // Small: a block of the right class (kept or new), then the old one kept.
    // (A carved block growing past the classes moves to malloc the same way:
    // realloc cannot take it.)
    void* q = Allocate(s, m, size);
    if (q == nullptr) return nullptr;
    std::memcpy(q, p, size < old ? size : old);
    HbfFree(s, p);
    return q;
  }
  // A malloc block staying one: realloc moves its link with it, and the
  // neighbours on the list are told where it went.
  if (size > old && !MayHoldMore(s, m, size - old)) return nullptr;
  auto* link = static_cast<MallocLink*>(std::realloc(LinkOf(p), size + kLink));
  if (link == nullptr) return nullptr;
  link->prev->next = link;
  link->next->prev = link;
  const size_t now = MallocUsable(link);
  s->malloc_size += now;
  s->malloc_size -= old;
  Account(m, static_cast<int64_t>(now) - static_cast<int64_t>(old));
  return link + 1;
}

void* HbfRealloc(JSMallocState* s, void* p, size_t size) {
  void* q = ReallocUntracked(s, p, size);
#ifdef HBF_HEAP_TRACK
  if (p != nullptr && size != 0 && q != nullptr) {
    TrackFree(p);
    TrackAlloc(q, UsableSize(MemoryOf(s), q));
  }
#endif
  return q;
}

// QuickJS asks for usable sizes through HbfUsableSizeIn (patch 0009), which
// knows the runtime's arena; the stateless hook is never reached with it.
size_t HbfUsableSize(const void* p) { return malloc_usable_size(const_cast<void*>(p)); }

size_t HbfUsableSizeIn(JSMallocState* s, const void* p) { return UsableSize(MemoryOf(s), p); }

}  // namespace

// RuntimeMemory (after the hooks' helpers: it counts as they do).
int64_t RuntimeMemory::MallocBytes() const {
  int64_t total = 0;
  for (const MallocLink* link = malloc_blocks.next; link != &malloc_blocks; link = link->next) {
    total += static_cast<int64_t>(MallocCounted(link) + kAllocOverhead);
  }
  return total;
}

void RuntimeMemory::DropAll() {
  for (MallocLink* link = malloc_blocks.next; link != &malloc_blocks;) {
    MallocLink* next = link->next;
    std::free(link);
    link = next;
  }
  malloc_blocks.prev = malloc_blocks.next = &malloc_blocks;
  cache.Forget();
}

void RuntimeMemory::ReleaseFreePages() { Account(*this, -static_cast<int64_t>(arena.ReleaseFree(cache))); }

const JSMallocFunctions kMallocFunctions = {HbfMalloc, HbfFree, HbfRealloc, HbfUsableSize, HbfUsableSizeIn};

}  // namespace hbf::js::internal
