// Helpers shared by the fuzz targets: splitting one libFuzzer input into
// parameters and chunks, and failing loudly when an invariant breaks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace hbf::fuzz {

// Reads a libFuzzer input front to back. Bytes past the end read as 0.
class FuzzInput {
 public:
  FuzzInput(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  uint8_t Byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  // Everything not yet read.
  std::string_view Rest() const {
    return {reinterpret_cast<const char*>(data_) + pos_, size_ - pos_};
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

// Chunk sizes for feeding a stream piecewise: a table of 8 sizes (1..64)
// read from the input, used round-robin, so the fuzzer controls where the
// stream is split and the split repeats for every pipelined message.
class ChunkSizes {
 public:
  explicit ChunkSizes(FuzzInput& in) {
    for (auto& s : sizes_) s = static_cast<size_t>(in.Byte() % 64) + 1;
  }
  size_t Next() { return sizes_[next_++ % 8]; }

 private:
  size_t sizes_[8] = {};
  size_t next_ = 0;
};

// Aborts (libFuzzer reports a crash) when `ok` is false.
inline void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant broken: %s\n", what);
    std::abort();
  }
}

}  // namespace hbf::fuzz
