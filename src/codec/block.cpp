#include "codec/block.h"

#include <lz4.h>
#include <lz4hc.h>

#include <cstdint>
#include <memory>
#include <new>

namespace hbf::codec {
namespace {
// LZ4HC's level 4: over 1,000 hibernated workers' snapshots, 13.6 -> 10.1
// MiB in all (fast LZ4 -> this), for what the housekeeper spent packing
// them, 0.41 -> 0.42-0.47 s; level 9 packed 9.7 MiB for 1.66 s, level 12
// 9.5 MiB for 3.16 s (bench/README.md, seventeenth session).
constexpr int kPackLevel = 4;
}  // namespace

std::optional<std::vector<char>> PackBlock(std::span<const char> data) noexcept {
  if (data.size() > static_cast<size_t>(LZ4_MAX_INPUT_SIZE)) return std::nullopt;
  const int size = static_cast<int>(data.size());
  try {
    // Packed into a buffer of the worst case (not zeroed first: LZ4 writes
    // what it returns), then copied to one of its size: the block is kept,
    // the bound's slack is not.
    const int bound_size = LZ4_compressBound(size);
    auto bound = std::make_unique_for_overwrite<char[]>(static_cast<size_t>(bound_size));
    // LZ4's high-compression mode: the same block format, read back by the
    // same decoder at the same speed, in fewer bytes; it costs the packer
    // (a hibernation, on the housekeeper) more time. Its 256 KiB state is
    // made once per packing thread and kept.
    thread_local std::unique_ptr<char[]> state;
    if (!state) state = std::make_unique_for_overwrite<char[]>(static_cast<size_t>(LZ4_sizeofStateHC()));
    const int n = LZ4_compress_HC_extStateHC(state.get(), data.data(), bound.get(), size, bound_size, kPackLevel);
    if (n <= 0) return std::nullopt;
    return std::vector<char>(bound.get(), bound.get() + n);
  } catch (const std::bad_alloc&) {
    return std::nullopt;
  }
}

bool UnpackBlock(std::span<const char> packed, std::span<char> out) noexcept {
  if (packed.size() > static_cast<size_t>(LZ4_MAX_INPUT_SIZE) || out.size() > static_cast<size_t>(INT32_MAX)) {
    return false;
  }
  const int n = LZ4_decompress_safe(packed.data(), out.data(), static_cast<int>(packed.size()),
                                    static_cast<int>(out.size()));
  return n >= 0 && static_cast<size_t>(n) == out.size();
}

std::string Lz4Version() { return LZ4_versionString(); }

}  // namespace hbf::codec
