// A hibernated worker's snapshot (src/js/worker_image.h): what
// SnapshotArena keeps of an arena, written back by RestoreArena, is the
// arena as it was, word for word, whichever words changed (pointer words of
// the image, others, the first and last of the image, words past it) and
// wherever the ranges left out start; packed and unpacked, the same. And
// the copy's relocation (internal::CopyRelocated), by every code path.
#include "js/worker_image.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <utility>
#include <vector>

namespace hbf::js {
namespace {

constexpr size_t kPage = 4096;

struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};

// Page-aligned zeroed memory, as an arena's pages are before a restore.
std::unique_ptr<uint64_t[], FreeDeleter> Pages(size_t bytes) {
  void* p = std::aligned_alloc(kPage, bytes);
  if (p != nullptr) std::memset(p, 0, bytes);
  return std::unique_ptr<uint64_t[], FreeDeleter>(static_cast<uint64_t*>(p));
}

bool InSkipped(size_t word, const std::vector<std::pair<size_t, size_t>>& skipped) {
  for (const auto& [from, to] : skipped) {
    if (word * 8 >= from && word * 8 < to) return true;
  }
  return false;
}

// Each way CopyRelocated writes (AVX2 where the CPU has it, SSE2, plain
// words) gives every word its image's value, plus the distance exactly
// where its bit says so: random words and bits, lengths that end mid-byte
// of the bitmap, a distance with high and low bits set, no word written
// past the end.
TEST(WorkerImageTest, ACopyRelocatesExactlyTheWordsItsBitsName) {
  std::mt19937_64 random(20261206);
  for (const size_t n : {size_t{0}, size_t{1}, size_t{7}, size_t{8}, size_t{9}, size_t{63}, size_t{4096 + 5}}) {
    std::vector<uint64_t> from(n);
    for (uint64_t& word : from) word = random();
    std::vector<uint8_t> bits((n + 7) / 8 + 1);
    for (uint8_t& byte : bits) byte = static_cast<uint8_t>(random());
    const uint64_t delta = 0x8000'0000'0000'1000 | (random() & 0xffff'fff0);
    for (const auto with : {internal::CopyWith::kFastest, internal::CopyWith::kBaseline,
                            internal::CopyWith::kPlainWords}) {
      constexpr uint64_t kUntouched = 0x5a5a5a5a5a5a5a5a;
      std::vector<uint64_t> to(n + 1, kUntouched);
      internal::CopyRelocated(to.data(), from.data(), n, bits.data(), delta, with);
      for (size_t i = 0; i < n; ++i) {
        const bool pointer = ((bits[i / 8] >> (i % 8)) & 1u) != 0;
        ASSERT_EQ(to[i], from[i] + (pointer ? delta : 0))
            << "word " << i << " of " << n << ", way " << static_cast<int>(with);
      }
      EXPECT_EQ(to[n], kUntouched) << n << " words, way " << static_cast<int>(with);
    }
  }
}

TEST(WorkerImageTest, AnUnchangedCopyKeepsNothing) {
  const WorkerImage* image = WorkerImage::Get();
  ASSERT_NE(image, nullptr) << "blank workers are built, not copied (see the log)";
  const size_t span = (image->bytes() + 2 * kPage) & ~(kPage - 1);
  auto arena = Pages(span);
  ASSERT_NE(arena, nullptr);
  char* base = reinterpret_cast<char*>(arena.get());
  image->RestoreArena({}, base);  // the image at `base`: a copy as made
  const ArenaSnapshot snapshot = image->SnapshotArena(base, image->bytes(), {});
  EXPECT_TRUE(snapshot.runs.empty());
  EXPECT_TRUE(snapshot.words.empty());
}

TEST(WorkerImageTest, ASnapshotWrittenBackIsTheArenaAsItWas) {
  const WorkerImage* image = WorkerImage::Get();
  ASSERT_NE(image, nullptr) << "blank workers are built, not copied (see the log)";
  const size_t image_words = image->bytes() / 8;
  ASSERT_GT(image_words, 1000u);
  // Carved past the image, ending mid-block of eight words.
  const size_t used = image->bytes() + 3 * kPage + 5 * 8;
  const size_t used_words = used / 8;
  const size_t span = (used + 2 * kPage) & ~(kPage - 1);
  // Left out: pages given back (aligned), and, beyond what Arena::Released
  // gives, a range starting and ending off an eight-word boundary.
  const std::vector<std::pair<size_t, size_t>> skipped = {{2 * kPage, 4 * kPage},
                                                          {6 * kPage + 3 * 8, 7 * kPage + 11 * 8}};

  auto arena = Pages(span);
  ASSERT_NE(arena, nullptr);
  char* base = reinterpret_cast<char*>(arena.get());
  image->RestoreArena({}, base);
  uint64_t* words = arena.get();
  std::mt19937_64 random(20261203);
  size_t changed = 0;
  for (size_t i = 0; i < used_words; i += 1 + random() % 97) {
    words[i] = random() % 4096;  // (small: the snapshot still packs)
    ++changed;
  }
  // Runs of neighbours, single words either side of an eight-word
  // boundary, and the edges of the image.
  for (size_t i = image_words / 3; i < image_words / 3 + 40; ++i) words[i] ^= 0x5a5a;
  words[0] ^= 1;
  words[7] += 3;
  words[8] += 3;
  // Each word from the end of the unaligned range left out to the next
  // boundary, and up to its start.
  for (size_t i = (7 * kPage + 11 * 8) / 8; i < (7 * kPage + 11 * 8) / 8 + 8; ++i) words[i] ^= 3;
  for (size_t i = (6 * kPage + 3 * 8) / 8 - 4; i < (6 * kPage + 3 * 8) / 8; ++i) words[i] ^= 3;
  words[image_words - 1] ^= 0xff;
  words[image_words] = 42;
  words[used_words - 1] = 7;
  // A stretch of words moved by 8: the pointer words among them (those a
  // relocation adds to) point 8 bytes further.
  for (size_t i = image_words / 2; i < image_words / 2 + 200; ++i) words[i] += 8;
  ASSERT_GT(changed, 100u);

  std::vector<uint64_t> before(words, words + span / 8);
  ArenaSnapshot snapshot = image->SnapshotArena(base, used, skipped);
  ASSERT_FALSE(snapshot.runs.empty());

  const auto restore_and_compare = [&](const ArenaSnapshot::Contents& contents) {
    std::memset(base, 0, span);
    image->RestoreArena(contents, base);
    size_t mismatched = 0;
    for (size_t i = 0; i < span / 8; ++i) {
      if (InSkipped(i, skipped)) continue;
      if (words[i] != before[i] && ++mismatched <= 5) ADD_FAILURE() << "word " << i << " not written back";
    }
    EXPECT_EQ(mismatched, 0u);
  };
  restore_and_compare({snapshot.runs, snapshot.words});

  ASSERT_TRUE(snapshot.Pack());
  EXPECT_TRUE(snapshot.runs.empty());
  ArenaSnapshot::Scratch scratch;
  ArenaSnapshot::Contents contents;
  ASSERT_TRUE(snapshot.Unpack(scratch, contents));
  restore_and_compare(contents);
}

}  // namespace
}  // namespace hbf::js
