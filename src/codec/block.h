// Whole-buffer compression for memory HBF keeps in-process and reads back
// itself (a hibernated worker's snapshot: js/worker_image.h). LZ4, chosen
// by measurement on such snapshots (bench/README.md, "twelfth session"):
// 2.3x smaller, ~25 us to unpack 60 KB; zstd's fastest level packed 3.6x
// but doubled what unpacking added to a wake, and zlib was slower still.
// Now packed in LZ4's high-compression mode at a low level: 1,000
// hibernated workers hold 10.1 MiB instead of 13.6, for at most ~60 us more
// packing each (bench/README.md, seventeenth session); the decoder is the
// same. Never on the wire or on disk: LZ4's block format, without a frame.
// The LZ4 adapter: the only place in HBF that includes <lz4.h>.
//
// Thread safety: any thread (the packer's state is per thread).
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace hbf::codec {

// `data` compressed; nullopt when out of memory or over LZ4's ~2 GB input
// bound. Never throws.
std::optional<std::vector<char>> PackBlock(std::span<const char> data) noexcept;

// Unpacks `packed` into `out`, which must be exactly the unpacked size:
// false when `packed` is not a block of that size. Never throws.
bool UnpackBlock(std::span<const char> packed, std::span<char> out) noexcept;

// The linked LZ4's version, for `hbf --version`.
std::string Lz4Version();

}  // namespace hbf::codec
