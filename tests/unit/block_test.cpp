// codec/block.h: whole-buffer packing of in-process memory (hibernated
// workers' snapshots).

#include "codec/block.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace hbf::codec {
namespace {

std::span<const char> Bytes(const std::vector<uint64_t>& words) {
  return {reinterpret_cast<const char*>(words.data()), words.size() * sizeof(uint64_t)};
}

// Words like a worker's: pointers into one region, small integers, zeros.
std::vector<uint64_t> SnapshotLike(size_t n) {
  std::mt19937_64 rng(42);
  std::vector<uint64_t> words(n);
  for (auto& w : words) {
    switch (rng() % 4) {
      case 0: w = 0x7f3a12000000ull + (rng() % (1 << 20)) * 8; break;
      case 1: w = rng() % 64; break;
      case 2: w = 0; break;
      default: w = rng(); break;
    }
  }
  return words;
}

TEST(BlockTest, WhatIsPackedUnpacksToTheSameBytes) {
  for (const size_t n : {size_t{0}, size_t{1}, size_t{7607}, size_t{100000}}) {
    const std::vector<uint64_t> words = SnapshotLike(n);
    std::optional<std::vector<char>> packed = PackBlock(Bytes(words));
    ASSERT_TRUE(packed.has_value()) << n;
    if (n >= 7607) {
      EXPECT_LT(packed->size(), n * sizeof(uint64_t)) << "pointers and small integers pack";
    }
    EXPECT_EQ(packed->capacity(), packed->size()) << "no slack kept";
    std::vector<uint64_t> back(n, 0xdeadbeef);
    ASSERT_TRUE(UnpackBlock(*packed, {reinterpret_cast<char*>(back.data()), n * sizeof(uint64_t)})) << n;
    EXPECT_EQ(back, words) << n;
  }
}

TEST(BlockTest, ABlockOfAnotherSizeOrNotABlockIsRefused) {
  const std::vector<uint64_t> words = SnapshotLike(1000);
  std::optional<std::vector<char>> packed = PackBlock(Bytes(words));
  ASSERT_TRUE(packed.has_value());
  std::vector<char> out(words.size() * sizeof(uint64_t) + 8);
  EXPECT_FALSE(UnpackBlock(*packed, out)) << "larger than what was packed";
  EXPECT_FALSE(UnpackBlock(*packed, std::span<char>(out.data(), out.size() - 16))) << "smaller";
  std::vector<char> cut(packed->begin(), packed->begin() + static_cast<std::ptrdiff_t>(packed->size() / 2));
  EXPECT_FALSE(UnpackBlock(cut, std::span<char>(out.data(), out.size() - 8))) << "truncated";
  const std::string garbage(64, '\xff');
  EXPECT_FALSE(UnpackBlock(garbage, std::span<char>(out.data(), 4096)));
}

}  // namespace
}  // namespace hbf::codec
