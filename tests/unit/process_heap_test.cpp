// The process heap (core/process_heap.h): freed memory lying between live
// blocks goes back to the system when the heap is trimmed. That is what
// 1,000 idle henvs need: each connection's page cache (4 KiB pages, ~4.4 KB
// blocks) is given back while its parsed schema (small blocks, allocated
// around those pages) stays.
#include "core/process_heap.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

namespace hbf {
namespace {

int64_t ResidentBytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return -1;
  long size = 0, resident = 0;
  const int read = std::fscanf(f, "%ld %ld", &size, &resident);
  std::fclose(f);
  return read == 2 ? int64_t{resident} * sysconf(_SC_PAGESIZE) : -1;
}

TEST(ProcessHeap, TrimsAtMostOncePerInterval) {
  EXPECT_TRUE(TrimHeapIfDue(std::chrono::nanoseconds(0)));
  EXPECT_FALSE(TrimHeapIfDue(std::chrono::hours(1)));
  EXPECT_TRUE(TrimHeapIfDue(std::chrono::nanoseconds(0)));
}

// What SQLite's memory methods rely on (db/database.cpp): a request of
// HeapGoodSize(n) bytes gets a block of exactly that size, never less than
// n, so SQLite may use all of it and a realloc to the same good size is a
// no-op for it.
TEST(ProcessHeap, AGoodSizesBlockIsThatSizeAndAtLeastWhatWasAsked) {
  for (size_t bytes : {size_t{1}, size_t{8}, size_t{100}, size_t{320}, size_t{4104}, size_t{4360}, size_t{47960},
                       size_t{70000}, size_t{1} << 20}) {
    const size_t good = HeapGoodSize(bytes);
    EXPECT_GE(good, bytes);
    std::unique_ptr<void, decltype(&std::free)> block(std::malloc(good), &std::free);
    ASSERT_NE(block, nullptr);
    EXPECT_GE(HeapBlockSize(block.get()), good) << bytes << " bytes";
#if HBF_JEMALLOC
    EXPECT_EQ(HeapBlockSize(block.get()), good) << bytes << " bytes";  // (jemalloc's size classes)
#endif
  }
  EXPECT_EQ(HeapBlockSize(nullptr), 0u);
}

TEST(ProcessHeap, VersionNamesTheAllocator) {
  const std::string version = HeapAllocatorVersion();
#if HBF_JEMALLOC
  EXPECT_EQ(version.rfind("jemalloc 5.", 0), 0u) << version;
#elif defined(__SANITIZE_ADDRESS__)
  EXPECT_EQ(version.rfind("AddressSanitizer (glibc 2.", 0), 0u) << version;
#else
  EXPECT_EQ(version.rfind("glibc 2.", 0), 0u) << version;
#endif
}

TEST(ProcessHeap, PagesFreedBetweenLiveBlocksGoBackWhenTrimmed) {
#if !HBF_JEMALLOC
  // glibc keeps such holes (malloc_trim returns only whole free pages inside
  // free chunks, and these are ~4.4 KB between live blocks), and ASan's
  // allocator quarantines what is freed. This is jemalloc's property.
  GTEST_SKIP() << "built without jemalloc (" << HeapAllocatorVersion() << ")";
#endif
  constexpr size_t kPages = 4000;
  constexpr size_t kPageBlock = 4096 + 264;  // a page cache slot: the page and SQLite's header
  constexpr size_t kSchemaBlock = 184;       // one of the schema's objects, allocated in between
  std::vector<std::unique_ptr<char[]>> pages, schema;
  pages.reserve(kPages);
  schema.reserve(kPages);
  for (size_t i = 0; i < kPages; ++i) {
    pages.push_back(std::make_unique_for_overwrite<char[]>(kPageBlock));
    std::memset(pages.back().get(), 1, kPageBlock);
    schema.push_back(std::make_unique_for_overwrite<char[]>(kSchemaBlock));
    std::memset(schema.back().get(), 2, kSchemaBlock);
  }
  ASSERT_TRUE(TrimHeapIfDue(std::chrono::nanoseconds(0)));
  const int64_t with_pages = ResidentBytes();
  ASSERT_GT(with_pages, 0);
  pages.clear();
  ASSERT_TRUE(TrimHeapIfDue(std::chrono::nanoseconds(0)));
  const int64_t without_pages = ResidentBytes();
  const int64_t freed = static_cast<int64_t>(kPages * kPageBlock);
  // Most of it: the thread's cache keeps a few blocks, and the slabs they
  // sit in, for reuse.
  EXPECT_GT(with_pages - without_pages, freed * 3 / 4)
      << "resident " << with_pages << " -> " << without_pages << " bytes after freeing " << freed;
  // The live blocks are intact.
  for (const auto& block : schema) ASSERT_EQ(block[kSchemaBlock - 1], 2);
}

}  // namespace
}  // namespace hbf
