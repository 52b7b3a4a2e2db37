// Streaming compression for scripts' `zlib` module (hbf:node_zlib): one
// RAII object per stream over zlib's z_stream (deflate, inflate, gzip,
// gunzip, raw, unzip) or brotli's encoder/decoder state. Input is fed in
// pieces with a flush mode; output goes to a caller's sink, which may refuse
// more (the caller's output bound). The semantics are Node 20's
// src/node_zlib.cc, so the JS layer can mirror Node's errors exactly:
// multi-member gzip, trailing zero padding, unzip's header detection,
// dictionaries, "unexpected end of file" on a truncated stream.
//
// Memory: a stream's working state (about 256 KiB for deflate at the
// defaults, 7 KiB + the window for inflate, up to megabytes for brotli
// quality 11) comes from the `Allocator` given at creation, so a caller can
// count it against a budget (hbf:native gives the script runtime's
// allocator, so it counts against the script's heap limit).
//
// Thread safety: a stream is used by one thread at a time; distinct streams
// are independent.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace hbf::codec {

// Where a stream's working memory comes from. Both functions null: malloc/free.
// `alloc` returns null when it refuses (the stream then fails with Z_MEM_ERROR
// or fails to be created).
struct Allocator {
  void* (*alloc)(void* opaque, size_t size) = nullptr;
  void (*free)(void* opaque, void* ptr) = nullptr;
  void* opaque = nullptr;
};

// Receives a stream's output as it is produced. Returning false from Write
// refuses the bytes (an output bound was reached), from KeepGoing stops
// before the next piece of input (a deadline): Feed then stops with
// kOutputRefused, the stream unusable.
class OutputSink {
 public:
  virtual ~OutputSink() = default;
  virtual bool Write(const uint8_t* data, size_t size) = 0;
  // Asked between pieces of a large input (1 MiB for zlib, 64 KiB for
  // brotli, whose best quality runs at a few hundred KB/s).
  virtual bool KeepGoing() { return true; }
};

// Why a Feed failed, shaped like Node's zlib errors: `code` is the name
// ("Z_DATA_ERROR", "Z_BUF_ERROR", "Z_NEED_DICT", brotli's
// "ERR__ERROR_FORMAT_PADDING_1"...), `number` the library's value (Node's
// `errno`), `message` the library's text or Node's wording ("unexpected end
// of file", "Missing dictionary", "Decompression failed").
struct CodecError {
  std::string code;
  int number = 0;
  std::string message;
};

// `code` of the CodecError Feed returns when the sink refused output.
inline constexpr std::string_view kOutputRefused = "output_refused";

// Node's mode numbers (zlib.constants.DEFLATE ...); never renumber.
enum class CodecMode : int {
  kDeflate = 1,
  kInflate = 2,
  kGzip = 3,
  kGunzip = 4,
  kDeflateRaw = 5,
  kInflateRaw = 6,
  kUnzip = 7,
  kBrotliDecode = 8,
  kBrotliEncode = 9,
};

// zlib options (Node's ranges are checked by the JS layer; zlib refuses what
// it does not accept, and Create says so).
struct ZlibOptions {
  int level = -1;         // Z_DEFAULT_COMPRESSION
  int window_bits = 15;   // 0 for the inflating modes: the header's window
  int mem_level = 8;
  int strategy = 0;       // Z_DEFAULT_STRATEGY
  std::string dictionary; // empty: none
};

// brotli parameters: index = BROTLI_PARAM_* (encoder) or
// BROTLI_DECODER_PARAM_* (decoder), value -1 = leave the library's default.
inline constexpr int kMaxBrotliParam = 9;
struct BrotliOptions {
  int64_t params[kMaxBrotliParam + 1] = {-1, -1, -1, -1, -1, -1, -1, -1, -1, -1};
};

class CompressionStream {
 public:
  virtual ~CompressionStream() = default;

  // A zlib stream for modes kDeflate..kUnzip; an Error ("init_failed") when
  // zlib refuses the options or the allocator refuses its state.
  static Result<std::unique_ptr<CompressionStream>> Zlib(CodecMode mode, const ZlibOptions& options,
                                                         Allocator allocator = {});
  // A brotli stream for kBrotliEncode / kBrotliDecode; "init_failed" when a
  // parameter is refused or the state cannot be allocated.
  static Result<std::unique_ptr<CompressionStream>> Brotli(CodecMode mode, const BrotliOptions& options,
                                                           Allocator allocator = {});

  // Feeds `size` bytes with `flush` (zlib's Z_NO_FLUSH..Z_BLOCK for zlib
  // streams; BROTLI_OPERATION_* for brotli) and writes all the output that
  // produces to `sink`. nullopt on success. After an error the stream is
  // unusable until Reset(). A large input is fed in pieces, the flush
  // applying to the last one: deflate's bytes do not depend on that;
  // brotli's may, for inputs over 64 KiB.
  virtual std::optional<CodecError> Feed(const uint8_t* data, size_t size, int flush, OutputSink& sink) = 0;

  // Bytes of input consumed so far (Node's `bytesWritten`).
  virtual uint64_t total_in() const = 0;

  // Starts a new stream with the same options (Node's `reset()`).
  virtual std::optional<CodecError> Reset() = 0;

  // deflateParams (Node's `params()`); an error for other modes.
  virtual std::optional<CodecError> Params(int level, int strategy) = 0;
};

}  // namespace hbf::codec
