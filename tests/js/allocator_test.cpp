// A worker runtime's allocator hooks (src/js/allocator.h): the block cache
// never hands out a block smaller than asked for, keeps to its cap, and the
// runtime's byte count comes back to zero once everything is freed; the
// arena carves aligned blocks of the cache's classes, which stay with the
// runtime (counted) until it is gone. Also
// js_values' ViewBytes at the heap limit (it probes QuickJS's classes once,
// with an allocation).
#include "js/allocator.h"

#include <gtest/gtest.h>
#include <malloc.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "js/js_values.h"
#include "support/quickjs_eval.h"

namespace hbf::js::internal {
namespace {

TEST(BlockCacheTest, ABlockTakenCoversTheRequestWhateverSizesWereKept) {
  // Blocks of every size malloc gives up to the largest class, then every
  // request size: what comes back is at least as large as asked.
  for (size_t n = 1; n <= BlockCache::kMaxBlock; ++n) {
    BlockCache cache;
    cache.set_cap(size_t{1} << 30);
    for (size_t size = 1; size <= BlockCache::kMaxBlock; size += 7) {
      void* p = std::malloc(size);
      ASSERT_NE(p, nullptr);
      if (!cache.Put(p, malloc_usable_size(p))) std::free(p);
    }
    size_t usable = 0;
    void* got = cache.Take(BlockCache::ClassForRequest(n), usable);
    if (got != nullptr) {
      EXPECT_GE(usable, n) << "request " << n;
      EXPECT_EQ(usable, malloc_usable_size(got)) << "request " << n;
      std::free(got);
    }
  }
}

TEST(BlockCacheTest, KeepsNoMoreThanItsCapAndFlushReturnsWhatItHeld) {
  BlockCache cache;
  cache.set_cap(4096);
  size_t kept = 0;
  size_t kept_bytes = 0;
  for (int i = 0; i < 200; ++i) {
    void* p = std::malloc(100);
    const size_t usable = malloc_usable_size(p);
    if (cache.Put(p, usable)) {
      ++kept;
      kept_bytes += usable;
    } else {
      std::free(p);
    }
  }
  EXPECT_GT(kept, 0u);
  EXPECT_LE(cache.cached_bytes(), 4096u);
  EXPECT_EQ(cache.cached_bytes(), kept_bytes);
  EXPECT_EQ(cache.held_bytes(), kept_bytes + kept * BlockCache::kAllocOverhead);
  EXPECT_EQ(cache.Flush(), kept_bytes + kept * BlockCache::kAllocOverhead);
  EXPECT_EQ(cache.cached_bytes(), 0u);
  size_t usable = 0;
  EXPECT_EQ(cache.Take(BlockCache::ClassForRequest(100), usable), nullptr);
}

TEST(BlockCacheTest, RefusesBlocksOutsideItsClasses) {
  BlockCache cache;
  void* big = std::malloc(4096);
  EXPECT_FALSE(cache.Put(big, malloc_usable_size(big)));
  std::free(big);
  EXPECT_EQ(cache.cached_bytes(), 0u);
}

// A runtime over the hooks and a context in it; Close() frees both (the
// destructor does, if a test ends early), after which `memory` holds only
// what its cache kept.
struct Runtime {
  RuntimeMemory memory;
  JSRuntime* rt = nullptr;
  JSContext* ctx = nullptr;

  // With `arena`, as a worker is built: the runtime's first small blocks
  // are carved from memory.arena (until a test closes it).
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

  // Runs `source` and returns its result (or what it threw) as a string.
  std::string Eval(const std::string& source) { return hbf::test::EvalToString(ctx, source); }
};

TEST(RuntimeMemoryTest, CountsEveryByteBackToZeroAcrossReuseGrowthAndShrinking) {
  Runtime js;
  ASSERT_NE(js.ctx, nullptr);
  RuntimeMemory& memory = js.memory;
  // Objects, arrays grown by push (realloc), strings built piecewise and
  // cut short, cycles only the collector frees: over many rounds, so blocks
  // go into the cache and come back out of it.
  EXPECT_EQ(js.Eval(R"(
    let keep = [];
    for (let round = 0; round < 200; round++) {
      const a = { round, list: [] };
      const b = { a };
      a.b = b;
      for (let i = 0; i < 40; i++) a.list.push({ i, s: "x".repeat(i % 30) + round });
      let text = "";
      for (let i = 0; i < 50; i++) text += String.fromCharCode(97 + (i % 26));
      keep.push(text.slice(0, round % 7));
      if (keep.length > 20) keep = keep.slice(10);
    }
    keep.length)"),
            "20");
  JS_RunGC(js.rt);
  EXPECT_GT(memory.cache.cached_bytes(), 0u);
  EXPECT_EQ(memory.heap_bytes() + static_cast<int64_t>(memory.cache.held_bytes()), memory.bytes.load());
  const int64_t heap = memory.heap_bytes();
  memory.ReleaseCache();
  EXPECT_EQ(memory.cache.cached_bytes(), 0u);
  EXPECT_EQ(memory.bytes.load(), heap);
  // The same work again reads back the same answer from recycled blocks.
  EXPECT_EQ(js.Eval("JSON.stringify(Array.from({length: 300}, (_, i) => ({i})).slice(298))"),
            R"([{"i":298},{"i":299}])");
  js.Close();
  // Everything the runtime had is either back with malloc or kept.
  EXPECT_EQ(memory.bytes.load(), static_cast<int64_t>(memory.cache.held_bytes()));
  memory.ReleaseCache();
  EXPECT_EQ(memory.bytes.load(), 0);
}

TEST(RuntimeMemoryTest, TheHeapLimitHoldsWithBlocksKept) {
  Runtime js;
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
  memory.ReleaseCache();
  EXPECT_EQ(memory.bytes.load(), 0);
}

TEST(ArenaTest, CarvesAlignedBlocksOfEachClassUntilFullOrClosed) {
  Arena arena;
  ASSERT_TRUE(arena.Open(64 << 10));
  EXPECT_TRUE(arena.is_open());
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
    std::memset(p, 0xab, usable);                     // (ASan: every usable byte is writable)
    last_end = p + usable;
    carved += usable + BlockCache::kAllocOverhead;
  }
  EXPECT_EQ(arena.carved_bytes(), carved);
  void* elsewhere = std::malloc(64);
  EXPECT_FALSE(arena.Contains(elsewhere));
  std::free(elsewhere);
  // Full: nothing more, whatever the class.
  size_t usable = 0;
  int blocks = 0;
  while (arena.Carve(1, usable) != nullptr) ++blocks;
  EXPECT_GT(blocks, 0);
  EXPECT_LE(arena.carved_bytes(), size_t{64} << 10);
  EXPECT_EQ(arena.Carve(1, usable), nullptr);
  // Closed: nothing either, though there is room.
  Arena other;
  ASSERT_TRUE(other.Open(64 << 10));
  other.Close();
  EXPECT_FALSE(other.is_open());
  EXPECT_EQ(other.Carve(1, usable), nullptr);
  // Never opened: contains nothing.
  Arena none;
  int on_stack = 0;
  EXPECT_FALSE(none.Contains(&on_stack));
  EXPECT_FALSE(none.Contains(nullptr));
}

TEST(RuntimeMemoryTest, ARuntimeBuiltFromItsArenaCountsEveryByteAndKeepsTheCarvedBlocks) {
  Runtime js(/*arena=*/true);
  ASSERT_NE(js.ctx, nullptr);
  RuntimeMemory& memory = js.memory;
  EXPECT_GT(memory.arena.carved_bytes(), 0u);  // the context's own blocks
  EXPECT_EQ(js.Eval("globalThis.made = Array.from({ length: 200 }, (_, i) => ({ i, s: 'v' + i })); made.length"),
            "200");
  memory.arena.Close();  // as Bind does: what follows comes from malloc and the cache
  const size_t carved = memory.arena.carved_bytes();
  // Garbage, cycles among it, and the blocks carved before freed and reused.
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
  EXPECT_EQ(memory.arena.carved_bytes(), carved);  // closed: nothing carved since
  EXPECT_EQ(memory.heap_bytes() + static_cast<int64_t>(memory.cache.held_bytes()), memory.bytes.load());
  EXPECT_EQ(js.Eval("JSON.stringify(Array.from({length: 300}, (_, i) => ({i})).slice(298))"),
            R"([{"i":298},{"i":299}])");
  js.Close();
  // Everything is freed: malloc's blocks are kept or back, the carved ones
  // are all kept (they go back with the arena), and a release frees only
  // malloc's.
  EXPECT_EQ(memory.bytes.load(), static_cast<int64_t>(memory.cache.held_bytes()));
  memory.ReleaseCache();
  EXPECT_EQ(memory.bytes.load(), static_cast<int64_t>(carved));
  EXPECT_EQ(memory.cache.held_bytes(), carved);
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
  for (int i = 0; i < 90; ++i) ASSERT_EQ(q[i], static_cast<char>(i));
  kMallocFunctions.js_free(&state, q);
  EXPECT_EQ(state.malloc_count, 0u);
  EXPECT_EQ(state.malloc_size, 0u);
  // The carved block went to the cache, and comes back for the next request of its class.
  void* again = kMallocFunctions.js_malloc(&state, 100);
  EXPECT_EQ(again, p);
  kMallocFunctions.js_free(&state, again);
  memory.ReleaseCache();
  EXPECT_EQ(memory.bytes.load(), static_cast<int64_t>(memory.arena.carved_bytes()));
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
  js.memory.ReleaseCache();
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
