// A worker runtime's allocator hooks (src/js/allocator.h): the block cache
// never hands out a block smaller than asked for; the arena carves aligned
// blocks of the cache's classes, growing into its reservation, and they
// stay with the runtime (counted) until it is gone; malloc blocks are
// linked so that a runtime dropped whole frees them all; the runtime's byte
// count always adds up. Also js_values' ViewBytes at the heap limit (it
// probes QuickJS's classes once, with an allocation).
#include "js/allocator.h"

#include <gtest/gtest.h>
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "js/js_values.h"
#include "support/quickjs_eval.h"

namespace hbf::js::internal {
namespace {

TEST(BlockCacheTest, ABlockTakenCoversTheRequestWhateverSizesWereKept) {
  // Blocks of every class, then every request size: what comes back is at
  // least as large as asked.
  for (size_t n = 1; n <= BlockCache::kMaxBlock; ++n) {
    Arena arena;
    ASSERT_TRUE(arena.Open(64 << 10));
    BlockCache cache;
    for (size_t k = 1; k < BlockCache::kClasses; k += 3) {
      size_t usable = 0;
      void* p = arena.Carve(k, usable);
      ASSERT_NE(p, nullptr);
      cache.Put(p, usable);
    }
    size_t usable = 0;
    void* got = cache.Take(BlockCache::ClassForRequest(n), usable);
    if (got != nullptr) {
      EXPECT_GE(usable, n) << "request " << n;
      EXPECT_EQ(usable, Arena::UsableOf(got)) << "request " << n;
    }
    cache.Forget();
  }
}

TEST(BlockCacheTest, CountsWhatItKeepsAndForgetsItAll) {
  Arena arena;
  ASSERT_TRUE(arena.Open(64 << 10));
  BlockCache cache;
  size_t kept_bytes = 0;
  for (int i = 0; i < 200; ++i) {
    size_t usable = 0;
    void* p = arena.Carve(BlockCache::ClassForRequest(100), usable);
    ASSERT_NE(p, nullptr);
    cache.Put(p, usable);
    kept_bytes += usable;
  }
  EXPECT_EQ(cache.cached_bytes(), kept_bytes);
  EXPECT_EQ(cache.held_bytes(), kept_bytes + 200 * BlockCache::kAllocOverhead);
  size_t usable = 0;
  EXPECT_NE(cache.Take(BlockCache::ClassForRequest(100), usable), nullptr);
  EXPECT_EQ(cache.cached_bytes(), kept_bytes - usable);
  cache.Forget();
  EXPECT_EQ(cache.cached_bytes(), 0u);
  EXPECT_EQ(cache.held_bytes(), 0u);
  EXPECT_EQ(cache.Take(BlockCache::ClassForRequest(100), usable), nullptr);
}

// A runtime over the hooks and a context in it; Close() frees both (the
// destructor does, if a test ends early), after which `memory` holds only
// what its cache kept.
struct Runtime {
  RuntimeMemory memory;
  JSRuntime* rt = nullptr;
  JSContext* ctx = nullptr;

  // With `arena`, as a worker's: the runtime's small blocks are carved
  // from memory.arena.
  explicit Runtime(bool arena = false) {
    if (arena) memory.arena.Open();
    rt = JS_NewRuntime2(&kMallocFunctions, &memory);
    ctx = rt != nullptr ? JS_NewContext(rt) : nullptr;
  }
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;
  ~Runtime() { Close(); }

  void Close() {
    if (ctx != nullptr) JS_FreeContext(std::exchange(ctx, nullptr));
    if (rt != nullptr) JS_FreeRuntime(std::exchange(rt, nullptr));
  }

  // As a worker is destroyed (Worker::~Worker): only what reaches outside
  // the runtime is finalized, then its memory goes whole.
  void Drop() {
    memory.tearing_down = true;
    JS_FinalizeExternals(std::exchange(rt, nullptr));
    ctx = nullptr;
    memory.DropAll();
  }

  // Runs `source` and returns its result (or what it threw) as a string.
  std::string Eval(const std::string& source) { return hbf::test::EvalToString(ctx, source); }
};

TEST(RuntimeMemoryTest, CountsEveryByteAcrossReuseGrowthAndShrinking) {
  for (bool arena : {false, true}) {
    Runtime js(arena);
    ASSERT_NE(js.ctx, nullptr);
    RuntimeMemory& memory = js.memory;
    // Objects, arrays grown by push (realloc), strings built piecewise and
    // cut short, cycles only the collector frees: over many rounds, so
    // blocks go into the cache and come back out of it; and large ones.
    EXPECT_EQ(js.Eval(R"(
      let keep = [];
      for (let round = 0; round < 200; round++) {
        const a = { round, list: [] };
        const b = { a };
        a.b = b;
        for (let i = 0; i < 40; i++) a.list.push({ i, s: "x".repeat(i % 30) + round });
        let text = "";
        for (let i = 0; i < 50; i++) text += String.fromCharCode(97 + (i % 26));
        keep.push(text.slice(0, round % 7), "y".repeat(round * 10));
        if (keep.length > 20) keep = keep.slice(10);
      }
      keep.length)"),
              "20");
    JS_RunGC(js.rt);
    EXPECT_EQ(memory.heap_bytes() + static_cast<int64_t>(memory.cache.held_bytes()), memory.bytes.load());
    EXPECT_GT(memory.MallocBytes(), 0);  // (the long strings)
    if (arena) {
      EXPECT_GT(memory.cache.cached_bytes(), 0u);
      // Every small block is carved: what is not from malloc is the arena's.
      EXPECT_EQ(memory.bytes.load() - memory.MallocBytes(), static_cast<int64_t>(memory.arena.carved_bytes()));
    }
    // The same work again reads back the same answer from recycled blocks.
    EXPECT_EQ(js.Eval("JSON.stringify(Array.from({length: 300}, (_, i) => ({i})).slice(298))"),
              R"([{"i":298},{"i":299}])");
    js.Close();
    // Everything the runtime had is back with malloc or kept by its cache.
    EXPECT_EQ(memory.MallocBytes(), 0);
    EXPECT_EQ(memory.bytes.load(), static_cast<int64_t>(memory.cache.held_bytes())) << "arena " << arena;
    if (!arena) {
      EXPECT_EQ(memory.bytes.load(), 0);
    }
  }
}

TEST(RuntimeMemoryTest, TheHeapLimitHoldsWithBlocksKept) {
  Runtime js(/*arena=*/true);
  ASSERT_NE(js.ctx, nullptr);
  RuntimeMemory& memory = js.memory;
  // Fill the cache first, then set a limit just above the live heap.
  js.Eval("for (let i = 0; i < 5000; i++) ({ i, s: 'y' + i });");
  JS_RunGC(js.rt);
  ASSERT_GT(memory.cache.cached_bytes(), 0u);
  JS_SetMemoryLimit(js.rt, static_cast<size_t>(memory.heap_bytes()) + (256 << 10));
  EXPECT_NE(js.Eval("const all = []; for (;;) all.push({ n: all.length }); 'never'"), "never");
  EXPECT_TRUE(memory.refused);
  JS_SetMemoryLimit(js.rt, static_cast<size_t>(-1));  // none again (QuickJS's default)
  js.Close();
  EXPECT_EQ(memory.bytes.load(), static_cast<int64_t>(memory.cache.held_bytes()));
}

TEST(ArenaTest, CarvesAlignedBlocksOfEachClassGrowingUntilItsReservationIsFull) {
  Arena arena;
  ASSERT_TRUE(arena.Open(64 << 10));
  EXPECT_TRUE(arena.is_open());
  EXPECT_GE(arena.writable_bytes(), size_t{64} << 10);  // (more from the pool: a used reservation)
  size_t carved = 0;
  char* last_end = nullptr;
  for (size_t k = 1; k < BlockCache::kClasses; ++k) {
    size_t usable = 0;
    auto* p = static_cast<char*>(arena.Carve(k, usable));
    ASSERT_NE(p, nullptr) << "class " << k;
    EXPECT_EQ(usable, 16 * k + 8);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 16, 0u) << "class " << k;
    EXPECT_TRUE(arena.Contains(p));
    EXPECT_TRUE(arena.Contains(p + usable - 1));
    EXPECT_EQ(Arena::UsableOf(p), usable);
    EXPECT_EQ(BlockCache::ClassOfBlock(usable), k);
    if (last_end != nullptr) {
      EXPECT_GE(p, last_end);  // no overlap
    }
    std::memset(p, 0xab, usable);  // (ASan: every usable byte is writable)
    last_end = p + usable;
    carved += usable + BlockCache::kAllocOverhead;
  }
  EXPECT_EQ(arena.carved_bytes(), carved);
  void* elsewhere = std::malloc(64);
  EXPECT_FALSE(arena.Contains(elsewhere));
  std::free(elsewhere);
  // Past what is writable: more is made writable, a step at a time, up to
  // the reservation; then nothing more, whatever the class.
  size_t usable = 0;
  size_t blocks = 0;
  const size_t largest = BlockCache::kClasses - 1;
  while (auto* p = static_cast<char*>(arena.Carve(largest, usable))) {
    p[0] = 1;
    p[usable - 1] = 1;  // (writable)
    ++blocks;
  }
  EXPECT_GT(blocks, (Arena::kReserveBytes - (128 << 10)) / (usable + 8));
  EXPECT_LE(arena.carved_bytes(), Arena::kReserveBytes);
  EXPECT_EQ(arena.writable_bytes(), Arena::kReserveBytes);
  EXPECT_EQ(arena.Carve(largest, usable), nullptr);
  // Never opened: contains nothing, carves nothing.
  Arena none;
  int on_stack = 0;
  EXPECT_FALSE(none.Contains(&on_stack));
  EXPECT_FALSE(none.Contains(nullptr));
  EXPECT_EQ(none.Carve(1, usable), nullptr);
}

TEST(RuntimeMemoryTest, EverySmallBlockIsCarvedAndEveryLargeOneIsLinked) {
  Runtime js(/*arena=*/true);
  ASSERT_NE(js.ctx, nullptr);
  RuntimeMemory& memory = js.memory;
  EXPECT_GT(memory.arena.carved_bytes(), 0u);  // the context's own blocks
  EXPECT_EQ(js.Eval("globalThis.made = Array.from({ length: 200 }, (_, i) => ({ i, s: 'v' + i })); made.length"),
            "200");
  const size_t carved = memory.arena.carved_bytes();
  // Garbage, cycles among it: the carved blocks freed are reused, so the
  // arena grows by far less than all that was made.
  EXPECT_EQ(js.Eval(R"(
    for (let round = 0; round < 100; round++) {
      const a = { round, list: [] };
      a.self = a;
      for (let i = 0; i < 30; i++) a.list.push({ i, s: "x".repeat(i % 20) + round });
    }
    made = null;
    "done")"),
            "done");
  JS_RunGC(js.rt);
  EXPECT_LT(memory.arena.carved_bytes(), carved + (256 << 10));
  EXPECT_EQ(memory.heap_bytes() + static_cast<int64_t>(memory.cache.held_bytes()), memory.bytes.load());
  EXPECT_EQ(memory.bytes.load() - memory.MallocBytes(), static_cast<int64_t>(memory.arena.carved_bytes()));
  EXPECT_EQ(js.Eval("JSON.stringify(Array.from({length: 300}, (_, i) => ({i})).slice(298))"),
            R"([{"i":298},{"i":299}])");
  js.Close();
  // Everything is freed: malloc's blocks went back, the carved ones are
  // all kept (they go with the arena).
  EXPECT_EQ(memory.MallocBytes(), 0);
  EXPECT_EQ(memory.bytes.load(), static_cast<int64_t>(memory.arena.carved_bytes()));
  EXPECT_EQ(memory.cache.held_bytes(), memory.arena.carved_bytes());
}

TEST(RuntimeMemoryTest, ACarvedBlockGrowingPastTheClassesMovesToMallocWithItsBytes) {
  RuntimeMemory memory;
  ASSERT_TRUE(memory.arena.Open());
  JSMallocState state{};
  state.opaque = &memory;
  state.malloc_limit = static_cast<size_t>(-1);
  auto* p = static_cast<char*>(kMallocFunctions.js_malloc(&state, 100));
  ASSERT_NE(p, nullptr);
  ASSERT_TRUE(memory.arena.Contains(p));
  EXPECT_EQ(kMallocFunctions.js_malloc_usable_size_in(&state, p), 104u);
  for (int i = 0; i < 100; ++i) p[i] = static_cast<char>(i);
  // Within its block: stays.
  EXPECT_EQ(kMallocFunctions.js_realloc(&state, p, 90), p);
  auto* q = static_cast<char*>(kMallocFunctions.js_realloc(&state, p, 5000));
  ASSERT_NE(q, nullptr);
  EXPECT_FALSE(memory.arena.Contains(q));
  EXPECT_GE(kMallocFunctions.js_malloc_usable_size_in(&state, q), 5000u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(q) % 16, 0u);
  for (int i = 0; i < 90; ++i) ASSERT_EQ(q[i], static_cast<char>(i));
  EXPECT_GT(memory.MallocBytes(), 5000);
  kMallocFunctions.js_free(&state, q);
  EXPECT_EQ(state.malloc_count, 0u);
  EXPECT_EQ(state.malloc_size, 0u);
  EXPECT_EQ(memory.MallocBytes(), 0);
  // The carved block went to the cache, and comes back for the next request of its class.
  void* again = kMallocFunctions.js_malloc(&state, 100);
  EXPECT_EQ(again, p);
  kMallocFunctions.js_free(&state, again);
  EXPECT_EQ(memory.bytes.load(), static_cast<int64_t>(memory.arena.carved_bytes()));
}

// Kept blocks covering whole pages in a row give those pages back: the
// blocks leave the cache (one partly in them too), the others stay, and
// carving takes the released pages first, before the frontier moves on.
TEST(ArenaTest, WholePagesOfKeptBlocksGoBackAndAreCarvedAgainFirst) {
  Arena arena;
  ASSERT_TRUE(arena.Open(256 << 10));
  BlockCache cache;
  const size_t k = BlockCache::ClassForRequest(100);  // 112 usable, 128 a block
  std::vector<char*> blocks;
  for (int i = 0; i < 1000; ++i) {
    size_t usable = 0;
    auto* p = static_cast<char*>(arena.Carve(k, usable));
    ASSERT_NE(p, nullptr);
    std::memset(p, 0x77, usable);
    blocks.push_back(p);
  }
  const size_t frontier = arena.carved_bytes();
  // Blocks 100..599 (64,000 bytes in a row) and every tenth of the rest.
  size_t kept_bytes = 0;
  for (size_t i = 0; i < blocks.size(); ++i) {
    if ((i >= 100 && i < 600) || i % 10 == 5) {
      cache.Put(blocks[i], Arena::UsableOf(blocks[i]));
      kept_bytes += Arena::UsableOf(blocks[i]) + 8;
    }
  }
  const size_t taken = arena.ReleaseFree(cache);
  EXPECT_GE(taken, size_t{48} << 10);
  EXPECT_LE(taken, size_t{64000});
  EXPECT_EQ(cache.held_bytes(), kept_bytes - taken);
  // Blocks far from the released pages are still kept.
  size_t usable = 0;
  EXPECT_GT(cache.cached_bytes(), 0u);
  // New blocks: from the released pages (zeroed), not past the frontier.
  const char* lo = blocks[100];
  const char* hi = blocks[600];
  for (int i = 0; i < 300; ++i) {
    auto* p = static_cast<char*>(arena.Carve(k, usable));
    ASSERT_NE(p, nullptr);
    EXPECT_TRUE(p > lo && p < hi) << i;
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 16, 0u);
    EXPECT_EQ(p[20], 0) << "a released page reads back zeroed";
    std::memset(p, 0x11, usable);
  }
  EXPECT_EQ(arena.carved_bytes(), frontier);
  // Past what was released: the frontier again.
  for (int i = 0; i < 200; ++i) ASSERT_NE(arena.Carve(k, usable), nullptr);
  EXPECT_GT(arena.carved_bytes(), frontier);
  cache.Forget();
}

// Whether every page of [p, p + bytes) is resident.
bool Resident(const char* p, size_t bytes) {
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> pages((bytes + page - 1) / page);
  if (::mincore(const_cast<char*>(p), bytes, pages.data()) != 0) return false;
  return std::all_of(pages.begin(), pages.end(), [](unsigned char v) { return (v & 1) != 0; });
}

TEST(ArenaTest, ADestroyedArenaIsKeptWrittenForTheNextAndUnmappedOnceNoneIsTaken) {
  // (earlier tests in this process may have left some kept)
  Arena::ReleaseKeptIfUnused();
  Arena::ReleaseKeptIfUnused();
  ASSERT_EQ(Arena::KeptCount(), 0u);
  constexpr size_t kWritten = 256 << 10;
  char* first = nullptr;
  {
    Arena arena;
    ASSERT_TRUE(arena.Open());
    size_t usable = 0;
    while (arena.carved_bytes() < kWritten) ASSERT_NE(arena.Carve(10, usable), nullptr);
    arena.Expose();
    std::memset(arena.base(), 0x5a, kWritten);
    first = arena.base();
  }
  EXPECT_EQ(Arena::KeptCount(), 1u);
  {
    // The next arena is that reservation, its pages still there (no fault
    // to write them again).
    Arena next;
    ASSERT_TRUE(next.Open());
    EXPECT_EQ(next.base(), first);
    EXPECT_EQ(Arena::KeptCount(), 0u);
    EXPECT_TRUE(Resident(next.Expose(), kWritten));
  }
  // One was taken since the last call: all stay; none since: all go.
  EXPECT_EQ(Arena::ReleaseKeptIfUnused(), 0u);
  EXPECT_EQ(Arena::KeptCount(), 1u);
  EXPECT_EQ(Arena::ReleaseKeptIfUnused(), 1u);
  EXPECT_EQ(Arena::KeptCount(), 0u);
  {
    // Many destroyed at once: at most 64 kept, the rest unmapped.
    std::vector<std::unique_ptr<Arena>> many;
    for (int i = 0; i < 100; ++i) {
      many.push_back(std::make_unique<Arena>());
      ASSERT_TRUE(many.back()->Open());
    }
  }
  EXPECT_EQ(Arena::KeptCount(), 64u);
  EXPECT_EQ(Arena::ReleaseKeptIfUnused(), 64u);
}

// A hibernated worker's arena is given back to the pool with its pages
// given back too; the next copy takes a kept arena whose pages are still
// written first (each page written afresh costs a fault), however recently
// the other came back.
TEST(ArenaTest, TheNextArenaIsTheKeptOneWithTheMostStillWritten) {
  Arena::ReleaseKeptIfUnused();
  Arena::ReleaseKeptIfUnused();
  ASSERT_EQ(Arena::KeptCount(), 0u);
  constexpr size_t kWritten = 256 << 10;
  const auto carve_and_write = [&](Arena& arena) {
    size_t usable = 0;
    while (arena.carved_bytes() < kWritten) ASSERT_NE(arena.Carve(10, usable), nullptr);
    arena.Expose();
    std::memset(arena.base(), 0x5a, kWritten);
  };
  char* written = nullptr;
  char* given_back = nullptr;
  {
    auto a = std::make_unique<Arena>();
    auto b = std::make_unique<Arena>();
    ASSERT_TRUE(a->Open());
    ASSERT_TRUE(b->Open());
    carve_and_write(*a);
    carve_and_write(*b);
    ASSERT_TRUE(b->GiveBackUsed());  // (as Worker::Hibernate)
    written = a->base();
    given_back = b->base();
    a.reset();
    b.reset();  // the latest given
  }
  ASSERT_EQ(Arena::KeptCount(), 2u);
  Arena next;
  ASSERT_TRUE(next.Open());
  EXPECT_EQ(next.base(), written);
  EXPECT_TRUE(Resident(next.Expose(), kWritten));
  Arena after;
  ASSERT_TRUE(after.Open());
  EXPECT_EQ(after.base(), given_back);
  EXPECT_EQ(Arena::KeptCount(), 0u);
}

TEST(RuntimeMemoryTest, AnIdleRuntimesGarbagePagesGoBack) {
  Runtime js(/*arena=*/true);
  ASSERT_NE(js.ctx, nullptr);
  RuntimeMemory& memory = js.memory;
  js.Eval("globalThis.live = Array.from({ length: 100 }, (_, i) => ({ i }));");
  JS_RunGC(js.rt);
  JS_SetGCThreshold(js.rt, size_t{1} << 30);  // (the garbage waits for JS_RunGC)
  const int64_t before = memory.bytes.load();
  js.Eval("for (let i = 0; i < 20000; i++) { const a = { i, pad: [1, 2, 3, 4] }; a.self = a; }");
  JS_RunGC(js.rt);
  const size_t frontier = memory.arena.carved_bytes();
  EXPECT_GT(memory.bytes.load(), before + (1 << 20));
  memory.ReleaseFreePages();
  EXPECT_LT(memory.bytes.load(), before + (256 << 10));
  EXPECT_EQ(memory.heap_bytes() + static_cast<int64_t>(memory.cache.held_bytes()), memory.bytes.load());
  // The same garbage again: made in the released pages.
  EXPECT_EQ(js.Eval("for (let i = 0; i < 20000; i++) { const a = { i, pad: [1, 2, 3, 4] }; a.self = a; } live.length"),
            "100");
  JS_RunGC(js.rt);
  EXPECT_LE(memory.arena.carved_bytes(), frontier + (64 << 10));
  EXPECT_EQ(memory.heap_bytes() + static_cast<int64_t>(memory.cache.held_bytes()), memory.bytes.load());
}

// Kept blocks serve only their own size. A script that fills memory with
// blocks of one size, drops them, then does the same with another size,
// size after size, holds no more than a quarter past its limit: the pages
// of the blocks it dropped go back and are carved again for the new size.
TEST(RuntimeMemoryTest, BlocksKeptForOneSizeDoNotLetAScriptHoldManyTimesItsLimit) {
  Runtime js(/*arena=*/true);
  ASSERT_NE(js.ctx, nullptr);
  RuntimeMemory& memory = js.memory;
  constexpr int64_t kLimit = 16 << 20;
  JS_SetMemoryLimit(js.rt, static_cast<size_t>(kLimit));
  int64_t most = 0;
  for (int length = 8; length < 500; length += 32) {
    const std::string round = "{ const n = Math.floor((4 << 20) / (" + std::to_string(length) +
                              " + 24)); let a = []; for (let i = 0; i < n; i++) a.push('x'.repeat(" +
                              std::to_string(length) + ") + (i % 10)); a.length > 0 }";
    ASSERT_EQ(js.Eval(round), "true") << "length " << length;
    JS_RunGC(js.rt);
    most = std::max(most, memory.bytes.load());
  }
  EXPECT_LE(most, kLimit + kLimit / 4);
  EXPECT_FALSE(memory.refused);
  EXPECT_EQ(memory.heap_bytes() + static_cast<int64_t>(memory.cache.held_bytes()), memory.bytes.load());
}

// A runtime dropped whole, its values never freed: its malloc blocks (long
// strings, large arrays, grown property arrays, typed arrays' storage) all
// go back (the ASan build's leak check fails the test otherwise), with or
// without an arena.
TEST(RuntimeMemoryTest, ARuntimeDroppedWholeGivesBackEveryMallocBlock) {
  for (bool arena : {false, true}) {
    Runtime js(arena);
    ASSERT_NE(js.ctx, nullptr);
    EXPECT_EQ(js.Eval(R"(
      globalThis.kept = [];
      for (let i = 0; i < 50; i++) {
        const o = { i, s: "z".repeat(1000 + i), list: Array.from({ length: 300 }, (_, j) => j), bytes: new Uint8Array(4096) };
        o.self = o;
        kept.push(o, new Map([[o, i]]), Promise.resolve(o));
      }
      kept.length)"),
              "150");
    EXPECT_GT(js.memory.MallocBytes(), 50 * 4096);
    js.Drop();
    EXPECT_EQ(js.memory.MallocBytes(), 0);
  }
}

// Malloc blocks are on their runtime's list wherever realloc moves them,
// off it when freed, and DropAll frees whatever is left (ASan's leak check
// and double-free check watch it).
TEST(RuntimeMemoryTest, MallocBlocksStayLinkedThroughReallocAndDropAllFreesThemAll) {
  RuntimeMemory memory;
  ASSERT_TRUE(memory.arena.Open());
  JSMallocState state{};
  state.opaque = &memory;
  state.malloc_limit = static_cast<size_t>(-1);
  std::vector<char*> blocks;
  for (int i = 0; i < 64; ++i) {
    auto* b = static_cast<char*>(kMallocFunctions.js_malloc(&state, 1000 + 37 * static_cast<size_t>(i)));
    ASSERT_NE(b, nullptr);
    std::memset(b, i, 1000);
    blocks.push_back(b);
  }
  // Grown far (moved), shrunk, freed: every other one.
  for (size_t i = 0; i < blocks.size(); i += 2) {
    auto* grown = static_cast<char*>(kMallocFunctions.js_realloc(&state, blocks[i], 300000 + i));
    ASSERT_NE(grown, nullptr);
    for (int j = 0; j < 1000; ++j) ASSERT_EQ(grown[j], static_cast<char>(i));
    blocks[i] = static_cast<char*>(kMallocFunctions.js_realloc(&state, grown, 2000));
    ASSERT_NE(blocks[i], nullptr);
  }
  for (size_t i = 1; i < blocks.size(); i += 4) kMallocFunctions.js_free(&state, blocks[i]);
  int64_t expected = 0;
  for (size_t i = 0; i < blocks.size(); ++i) {
    if (i % 4 == 1) continue;
    expected += static_cast<int64_t>(kMallocFunctions.js_malloc_usable_size_in(&state, blocks[i]) + 16 + 8);
  }
  EXPECT_EQ(memory.MallocBytes(), expected);
  EXPECT_EQ(memory.bytes.load() - expected, static_cast<int64_t>(memory.arena.carved_bytes()));
  memory.DropAll();
  EXPECT_EQ(memory.MallocBytes(), 0);
}

// A template's arena (worker_image.h): zeroed, every size carved from it,
// a freed block zeroed again, a large freed block noted as dead space; a
// copy of it carves on after the copied bytes, and its kept blocks come
// back from their offsets.
TEST(ArenaTest, ATemplateCarvesEverySizeAndACopyGoesOnFromIt) {
  RuntimeMemory memory;
  ASSERT_TRUE(memory.arena.OpenTemplate(256 << 10));
  EXPECT_TRUE(memory.arena.is_template());
  JSMallocState state{};
  state.opaque = &memory;
  state.malloc_limit = static_cast<size_t>(-1);
  auto* small = static_cast<char*>(kMallocFunctions.js_malloc(&state, 40));
  auto* large = static_cast<char*>(kMallocFunctions.js_malloc(&state, 5000));
  auto* kept = static_cast<char*>(kMallocFunctions.js_malloc(&state, 3000));
  ASSERT_TRUE(small != nullptr && large != nullptr && kept != nullptr);
  EXPECT_TRUE(memory.arena.Contains(large));
  EXPECT_TRUE(memory.arena.Contains(kept));
  for (int i = 0; i < 40; ++i) EXPECT_EQ(small[i], 0) << "a template's memory starts zeroed";
  std::memset(small, 0x5a, 40);
  std::memset(large, 0x5a, 5000);
  std::memset(kept, 0x33, 3000);
  kMallocFunctions.js_free(&state, small);
  kMallocFunctions.js_free(&state, large);
  auto* again = static_cast<char*>(kMallocFunctions.js_malloc(&state, 40));
  ASSERT_EQ(again, small);  // from the cache
  // (but for the cache's link and size, written while it was kept)
  for (int i = 16; i < 40; ++i) EXPECT_EQ(again[i], 0) << "a freed block of a template is zeroed";
  kMallocFunctions.js_free(&state, again);
  const auto dead = memory.arena.DeadRanges();
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(memory.arena.base() + dead[0].first + 8, large);
  EXPECT_EQ(dead[0].second, Arena::UsableOf(large) + 8);

  BlockCache::Offsets offsets{};
  const size_t used = memory.arena.used_bytes();
  ASSERT_TRUE(memory.cache.ToOffsets(memory.arena.base(), used, offsets));
  const char* image = memory.arena.Expose();  // (last: it unpoisons what the cache keeps)
  EXPECT_EQ(offsets.blocks, 1u);

  RuntimeMemory copy;
  EXPECT_FALSE(copy.arena.OpenCopy(image, used, used - 16));  // (no room for it)
  ASSERT_TRUE(copy.arena.OpenCopy(image, used, used + (64 << 10)));
  EXPECT_FALSE(copy.arena.is_template());
  EXPECT_EQ(copy.arena.used_bytes(), used);
  char* copied_kept = copy.arena.base() + (kept - image);
  EXPECT_EQ(Arena::UsableOf(copied_kept), Arena::UsableOf(kept));
  for (int i = 0; i < 3000; ++i) ASSERT_EQ(copied_kept[i], 0x33);
  copy.cache.FromOffsets(offsets, copy.arena.base());
  JSMallocState copy_state{};
  copy_state.opaque = &copy;
  copy_state.malloc_limit = static_cast<size_t>(-1);
  // The kept block, at its place in the copy; then new blocks after the copied ones.
  EXPECT_EQ(kMallocFunctions.js_malloc(&copy_state, 40), copy.arena.base() + (small - image));
  auto* fresh = static_cast<char*>(kMallocFunctions.js_malloc(&copy_state, 40));
  EXPECT_GE(fresh, copy.arena.base() + used);
  // A copy carves only the cache's classes; a large block comes from malloc.
  void* big = kMallocFunctions.js_malloc(&copy_state, 5000);
  EXPECT_FALSE(copy.arena.Contains(big));
  kMallocFunctions.js_free(&copy_state, big);
  // A large carved block freed in the copy stays in its arena.
  kMallocFunctions.js_free(&copy_state, copied_kept);
  EXPECT_EQ(kMallocFunctions.js_malloc(&copy_state, 40) != copied_kept, true);
}

// Each ctest test is a process of its own, so here ViewBytes's first call,
// which probes QuickJS's ArrayBuffer classes, is made with no byte to spare.
TEST(ViewBytesTest, ReadsBuffersAndViewsAlsoWhenItsFirstCallIsAtTheHeapLimit) {
  Runtime js;
  ASSERT_NE(js.ctx, nullptr);
  auto value = [&](const char* source) {
    return JS_Eval(js.ctx, source, std::strlen(source), "<test>", JS_EVAL_TYPE_GLOBAL);
  };
  JSValue buffer = value("new Uint8Array([1, 2, 3]).buffer");
  JSValue view = value("new Uint8Array([4, 5, 6, 7]).subarray(1)");
  JSValue plain = value("({ length: 2 })");
  auto check = [&] {
    const uint8_t* data = nullptr;
    size_t size = 0;
    ASSERT_TRUE(ViewBytes(js.ctx, buffer, data, size));
    EXPECT_EQ(size, 3u);
    EXPECT_EQ(data[0], 1);
    ASSERT_TRUE(ViewBytes(js.ctx, view, data, size));
    EXPECT_EQ(size, 3u);
    EXPECT_EQ(data[0], 5);
    EXPECT_FALSE(ViewBytes(js.ctx, plain, data, size));
    EXPECT_FALSE(JS_HasException(js.ctx));
  };
  JS_RunGC(js.rt);
  JS_SetMemoryLimit(js.rt, static_cast<size_t>(js.memory.heap_bytes()));
  check();
  JS_SetMemoryLimit(js.rt, static_cast<size_t>(-1));
  check();  // (now with the classes known)
  JS_FreeValue(js.ctx, buffer);
  JS_FreeValue(js.ctx, view);
  JS_FreeValue(js.ctx, plain);
}

}  // namespace
}  // namespace hbf::js::internal
