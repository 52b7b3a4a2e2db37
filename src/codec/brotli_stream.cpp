// CompressionStream over brotli's encoder and decoder, following Node 20's
// src/node_zlib.cc (BrotliEncoderContext / BrotliDecoderContext).
#include <brotli/decode.h>
#include <brotli/encode.h>

#include "codec/compression_stream.h"
#include "codec/feed_in_pieces.h"

namespace hbf::codec {
namespace {

// Node's `code` for a decoder error: "ERR_" + brotli 1.1's error string
// ("_ERROR_FORMAT_PADDING_1"); brotli 1.0.9's BrotliDecoderErrorString
// leaves out the prefix, so the names are made from the same list here.
std::string DecoderErrorCode(BrotliDecoderErrorCode code) {
#define HBF_BROTLI_CASE(PREFIX, NAME, CODE) \
  case BROTLI_DECODER##PREFIX##NAME:        \
    return "ERR_" #PREFIX #NAME;
#define HBF_BROTLI_SEPARATOR
  switch (code) {
    BROTLI_DECODER_ERROR_CODES_LIST(HBF_BROTLI_CASE, HBF_BROTLI_SEPARATOR)
    default:
      return "ERR_INVALID";
  }
#undef HBF_BROTLI_CASE
#undef HBF_BROTLI_SEPARATOR
}

class BrotliStream final : public CompressionStream {
 public:
  BrotliStream(CodecMode mode, const BrotliOptions& options, Allocator allocator)
      : mode_(mode), options_(options), allocator_(allocator) {}

  ~BrotliStream() override { Destroy(); }

  BrotliStream(const BrotliStream&) = delete;
  BrotliStream& operator=(const BrotliStream&) = delete;

  Status Init() {
    // Both null: brotli's own malloc/free.
    brotli_alloc_func alloc = allocator_.alloc;
    brotli_free_func free = allocator_.free;
    if (mode_ == CodecMode::kBrotliEncode) {
      encoder_ = BrotliEncoderCreateInstance(alloc, free, allocator_.opaque);
      if (encoder_ == nullptr) return Error{"init_failed", "Initialization failed", 400};
      for (int key = 0; key <= kMaxBrotliParam; ++key) {
        const int64_t value = options_.params[key];
        if (value == -1) continue;
        if (value < 0 || value > UINT32_MAX ||
            !BrotliEncoderSetParameter(encoder_, static_cast<BrotliEncoderParameter>(key),
                                       static_cast<uint32_t>(value))) {
          return Error{"init_failed", "Initialization failed", 400};
        }
      }
    } else {
      decoder_ = BrotliDecoderCreateInstance(alloc, free, allocator_.opaque);
      if (decoder_ == nullptr) return Error{"init_failed", "Initialization failed", 400};
      for (int key = 0; key <= kMaxBrotliParam; ++key) {
        const int64_t value = options_.params[key];
        if (value == -1) continue;
        if (value < 0 || value > UINT32_MAX ||
            !BrotliDecoderSetParameter(decoder_, static_cast<BrotliDecoderParameter>(key),
                                       static_cast<uint32_t>(value))) {
          return Error{"init_failed", "Initialization failed", 400};
        }
      }
    }
    return Ok{};
  }

  std::optional<CodecError> Feed(const uint8_t* data, size_t size, int flush, OutputSink& sink) override {
    if (encoder_ == nullptr && decoder_ == nullptr) return CodecError{"ERR_ZLIB_BINDING_CLOSED", -1, "zlib binding closed"};
    // In pieces, so the sink can stop a long call between them: quality 11
    // compresses a few hundred KB a second.
    constexpr size_t kPiece = size_t{64} << 10;
    return FeedInPieces(data, size, kPiece, flush, BROTLI_OPERATION_PROCESS, sink,
                        [&](const uint8_t* piece, size_t n, int mode) { return FeedPiece(piece, n, mode, sink); });
  }

  uint64_t total_in() const override { return consumed_; }

  std::optional<CodecError> Reset() override {
    Destroy();
    if (auto st = Init(); !st.ok()) return CodecError{"ERR_ZLIB_INITIALIZATION_FAILED", -1, st.error().message};
    return std::nullopt;
  }

  std::optional<CodecError> Params(int, int) override { return std::nullopt; }  // Node: a no-op for brotli

 private:
  std::optional<CodecError> FeedPiece(const uint8_t* data, size_t size, int flush, OutputSink& sink) {
    size_t avail_in = size;
    const uint8_t* next_in = data;
    uint8_t out[16384];
    while (true) {
      size_t avail_out = sizeof out;
      uint8_t* next_out = out;
      const size_t in_before = avail_in;
      if (encoder_ != nullptr) {
        if (!BrotliEncoderCompressStream(encoder_, static_cast<BrotliEncoderOperation>(flush), &avail_in, &next_in,
                                         &avail_out, &next_out, nullptr)) {
          consumed_ += in_before - avail_in;
          return CodecError{"ERR_BROTLI_COMPRESSION_FAILED", -1, "Compression failed"};
        }
      } else {
        BrotliDecoderResult r =
            BrotliDecoderDecompressStream(decoder_, &avail_in, &next_in, &avail_out, &next_out, nullptr);
        if (r == BROTLI_DECODER_RESULT_ERROR) {
          consumed_ += in_before - avail_in;
          const BrotliDecoderErrorCode code = BrotliDecoderGetErrorCode(decoder_);
          return CodecError{DecoderErrorCode(code), static_cast<int>(code),
                            "Decompression failed"};
        }
        // Brotli does not call a truncated stream an error; Node does.
        if (flush == BROTLI_OPERATION_FINISH && r == BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT) {
          consumed_ += in_before - avail_in;
          return CodecError{"Z_BUF_ERROR", -5, "unexpected end of file"};
        }
      }
      consumed_ += in_before - avail_in;
      const size_t have = sizeof out - avail_out;
      if (have > 0 && !sink.Write(out, have)) return CodecError{std::string(kOutputRefused), 0, "output refused"};
      if (avail_out != 0) return std::nullopt;
    }
  }

  void Destroy() {
    if (encoder_ != nullptr) BrotliEncoderDestroyInstance(encoder_);
    if (decoder_ != nullptr) BrotliDecoderDestroyInstance(decoder_);
    encoder_ = nullptr;
    decoder_ = nullptr;
  }

  const CodecMode mode_;
  const BrotliOptions options_;
  const Allocator allocator_;
  BrotliEncoderState* encoder_ = nullptr;  // owned; set for kBrotliEncode
  BrotliDecoderState* decoder_ = nullptr;  // owned; set for kBrotliDecode
  uint64_t consumed_ = 0;
};

}  // namespace

Result<std::unique_ptr<CompressionStream>> CompressionStream::Brotli(CodecMode mode, const BrotliOptions& options,
                                                                     Allocator allocator) {
  if (mode != CodecMode::kBrotliEncode && mode != CodecMode::kBrotliDecode) {
    return Error{"init_failed", "not a brotli mode", 400};
  }
  auto stream = std::make_unique<BrotliStream>(mode, options, allocator);
  if (auto st = stream->Init(); !st.ok()) return st.error();
  return std::unique_ptr<CompressionStream>(std::move(stream));
}

}  // namespace hbf::codec
