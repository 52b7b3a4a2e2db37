// The zlib adapter: the only place in HBF that includes <zlib.h>.
//
// Thread safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace hbf::codec {

// gzip (RFC 1952) of `data` at the best compression level: documents are
// compressed once per version, so spending CPU here saves it on every read.
std::string Gzip(std::string_view data);

// Inflates a gzip stream; nullopt when it is malformed or would exceed
// `max_size` bytes.
std::optional<std::string> Gunzip(std::string_view data, size_t max_size);

// The linked zlib's version, for `hbf --version`.
std::string ZlibVersion();

}  // namespace hbf::codec
