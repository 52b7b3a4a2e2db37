// Internal to src/codec: how zlib_stream.cpp and brotli_stream.cpp feed a
// long input, so that the caller's sink can stop the call between pieces
// (a script's deadline: a native call cannot be interrupted otherwise).
//
// Thread safety: as the stream that calls it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "codec/compression_stream.h"

namespace hbf::codec {

// Feeds [data, data + size) through `feed_piece(piece_data, piece_size,
// flush_mode)` in pieces of at most `piece_size` bytes: the last piece with
// `flush`, the others with `no_flush`. After each piece but the last,
// `sink.KeepGoing()` may end the call (kOutputRefused).
template <typename FeedPiece>
std::optional<CodecError> FeedInPieces(const uint8_t* data, size_t size, size_t piece_size, int flush, int no_flush,
                                       OutputSink& sink, FeedPiece&& feed_piece) {
  do {
    const size_t piece = size > piece_size ? piece_size : size;
    const bool last = piece == size;
    if (auto e = feed_piece(data, piece, last ? flush : no_flush)) return e;
    data += piece;
    size -= piece;
    if (!last && !sink.KeepGoing()) return CodecError{std::string(kOutputRefused), 0, "stopped"};
  } while (size > 0);
  return std::nullopt;
}

}  // namespace hbf::codec
