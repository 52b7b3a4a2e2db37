// CompressionStream over zlib's z_stream, following Node 20's
// src/node_zlib.cc (ZlibContext) step by step, so the JS layer sees the
// same results and errors as Node's.
#include <zlib.h>

#include <climits>
#include <cstring>

#include "codec/compression_stream.h"
#include "codec/feed_in_pieces.h"

namespace hbf::codec {
namespace {

constexpr uint8_t kGzipId1 = 0x1f;
constexpr uint8_t kGzipId2 = 0x8b;

std::string ZlibCodeName(int err) {
  switch (err) {
    case Z_OK: return "Z_OK";
    case Z_STREAM_END: return "Z_STREAM_END";
    case Z_NEED_DICT: return "Z_NEED_DICT";
    case Z_ERRNO: return "Z_ERRNO";
    case Z_STREAM_ERROR: return "Z_STREAM_ERROR";
    case Z_DATA_ERROR: return "Z_DATA_ERROR";
    case Z_MEM_ERROR: return "Z_MEM_ERROR";
    case Z_BUF_ERROR: return "Z_BUF_ERROR";
    case Z_VERSION_ERROR: return "Z_VERSION_ERROR";
    default: return "Z_UNKNOWN_ERROR";
  }
}

voidpf ZAlloc(voidpf opaque, uInt items, uInt size) {
  const auto* a = static_cast<const Allocator*>(opaque);
  if (size != 0 && items > SIZE_MAX / size) return Z_NULL;
  return a->alloc(a->opaque, static_cast<size_t>(items) * size);
}

void ZFree(voidpf opaque, voidpf address) {
  const auto* a = static_cast<const Allocator*>(opaque);
  a->free(a->opaque, address);
}

bool IsDeflating(CodecMode m) {
  return m == CodecMode::kDeflate || m == CodecMode::kGzip || m == CodecMode::kDeflateRaw;
}

class ZlibStream final : public CompressionStream {
 public:
  ZlibStream(CodecMode mode, ZlibOptions options, Allocator allocator)
      : mode_(mode), options_(std::move(options)), allocator_(allocator), strm_(std::make_unique<z_stream>()) {
    std::memset(strm_.get(), 0, sizeof(z_stream));
    if (allocator_.alloc != nullptr && allocator_.free != nullptr) {
      strm_->zalloc = ZAlloc;
      strm_->zfree = ZFree;
      strm_->opaque = &allocator_;  // stable: the stream lives behind a unique_ptr
    }
  }

  ~ZlibStream() override {
    if (!initialized_) return;
    if (IsDeflating(init_mode_)) {
      deflateEnd(strm_.get());
    } else {
      inflateEnd(strm_.get());
    }
  }

  ZlibStream(const ZlibStream&) = delete;
  ZlibStream& operator=(const ZlibStream&) = delete;

  // Node's ZlibContext::Init + SetDictionary.
  Status Init() {
    int window_bits = options_.window_bits;
    if (mode_ == CodecMode::kGzip || mode_ == CodecMode::kGunzip) window_bits += 16;
    if (mode_ == CodecMode::kUnzip) window_bits += 32;
    // zlib refuses a raw 256-byte window and uses 512 bytes for the zlib
    // wrapper; Node's bundled zlib accepts it, so do as zlib does for the wrapper.
    if (mode_ == CodecMode::kDeflateRaw && window_bits == 8) window_bits = 9;
    if (mode_ == CodecMode::kDeflateRaw || mode_ == CodecMode::kInflateRaw) window_bits = -window_bits;
    init_mode_ = mode_;
    int err = IsDeflating(mode_)
                  ? deflateInit2(strm_.get(), options_.level, Z_DEFLATED, window_bits, options_.mem_level,
                                 options_.strategy)
                  : inflateInit2(strm_.get(), window_bits);
    if (err != Z_OK) return Error{"init_failed", "Initialization failed", 400};
    initialized_ = true;
    if (SetDictionary()) return Error{"init_failed", "Failed to set dictionary", 400};
    return Ok{};
  }

  std::optional<CodecError> Feed(const uint8_t* data, size_t size, int flush, OutputSink& sink) override {
    if (!initialized_) return CodecError{"Z_STREAM_ERROR", Z_STREAM_ERROR, "zlib binding closed"};
    // In pieces, so the sink can stop a long call between them (zlib's
    // output does not depend on how its input is cut with Z_NO_FLUSH).
    constexpr size_t kPiece = size_t{1} << 20;
    return FeedInPieces(data, size, kPiece, flush, Z_NO_FLUSH, sink,
                        [&](const uint8_t* piece, size_t n, int mode) { return FeedPiece(piece, n, mode, sink); });
  }

  uint64_t total_in() const override { return consumed_; }

  std::optional<CodecError> Reset() override {
    if (!initialized_) return CodecError{"Z_STREAM_ERROR", Z_STREAM_ERROR, "zlib binding closed"};
    return ResetStream();
  }

  std::optional<CodecError> Params(int level, int strategy) override {
    if (!initialized_) return CodecError{"Z_STREAM_ERROR", Z_STREAM_ERROR, "zlib binding closed"};
    if (mode_ != CodecMode::kDeflate && mode_ != CodecMode::kDeflateRaw) {
      // Node: only DEFLATE and DEFLATERAW take params; others are a no-op.
      return std::nullopt;
    }
    int err = deflateParams(strm_.get(), level, strategy);
    if (err != Z_OK && err != Z_BUF_ERROR) return ErrorFor(err, "Failed to set parameters");
    return std::nullopt;
  }

 private:
  std::optional<CodecError> FeedPiece(const uint8_t* data, size_t size, int flush, OutputSink& sink) {
    strm_->next_in = const_cast<Bytef*>(data);
    strm_->avail_in = static_cast<uInt>(size);
    uint8_t out[16384];
    while (true) {
      strm_->next_out = out;
      strm_->avail_out = sizeof out;
      const uInt in_before = strm_->avail_in;
      Work(flush);
      consumed_ += in_before - strm_->avail_in;
      if (auto e = CheckError(flush)) return e;
      const size_t have = sizeof out - strm_->avail_out;
      if (have > 0 && !sink.Write(out, have)) return CodecError{std::string(kOutputRefused), 0, "output refused"};
      // A full output buffer means zlib may have more to give.
      if (strm_->avail_out != 0) return std::nullopt;
    }
  }

  // Node's ZlibContext::DoThreadPoolWork.
  void Work(int flush) {
    const Bytef* next_expected_header_byte = nullptr;
    switch (mode_) {
      case CodecMode::kDeflate:
      case CodecMode::kGzip:
      case CodecMode::kDeflateRaw:
        err_ = deflate(strm_.get(), flush);
        return;
      case CodecMode::kUnzip:
        if (strm_->avail_in > 0) next_expected_header_byte = strm_->next_in;
        if (gzip_id_bytes_read_ == 0) {
          if (next_expected_header_byte == nullptr) break;
          if (*next_expected_header_byte != kGzipId1) {
            mode_ = CodecMode::kInflate;
            break;
          }
          gzip_id_bytes_read_ = 1;
          next_expected_header_byte++;
          if (strm_->avail_in == 1) break;  // the only byte was the first id byte
        }
        if (gzip_id_bytes_read_ == 1 && next_expected_header_byte != nullptr) {
          if (*next_expected_header_byte == kGzipId2) {
            gzip_id_bytes_read_ = 2;
            mode_ = CodecMode::kGunzip;
          } else {
            mode_ = CodecMode::kInflate;  // inflate and raw inflate are alike once initialised
          }
        }
        break;
      default:
        break;
    }
    err_ = inflate(strm_.get(), flush);
    // A stream made with a dictionary (raw inflate got it at init).
    if (mode_ != CodecMode::kInflateRaw && err_ == Z_NEED_DICT && !options_.dictionary.empty()) {
      err_ = inflateSetDictionary(strm_.get(), reinterpret_cast<const Bytef*>(options_.dictionary.data()),
                                  static_cast<uInt>(options_.dictionary.size()));
      if (err_ == Z_OK) {
        err_ = inflate(strm_.get(), flush);
      } else if (err_ == Z_DATA_ERROR) {
        err_ = Z_NEED_DICT;  // so CheckError says "Bad dictionary", not bad input
      }
    }
    // Bytes after a gzip member: another member, or trailing garbage (an
    // error: "incorrect header check"); trailing zeros are padding.
    while (strm_->avail_in > 0 && mode_ == CodecMode::kGunzip && err_ == Z_STREAM_END && strm_->next_in[0] != 0x00) {
      ResetStream();
      err_ = inflate(strm_.get(), flush);
    }
  }

  // Node's ZlibContext::GetErrorInfo / ErrorForMessage.
  std::optional<CodecError> CheckError(int flush) {
    switch (err_) {
      case Z_OK:
      case Z_BUF_ERROR:
        if (strm_->avail_out != 0 && flush == Z_FINISH) return ErrorFor(err_, "unexpected end of file");
        return std::nullopt;
      case Z_STREAM_END:
        return std::nullopt;
      case Z_NEED_DICT:
        return ErrorFor(err_, options_.dictionary.empty() ? "Missing dictionary" : "Bad dictionary");
      default:
        return ErrorFor(err_, "Zlib error");
    }
  }

  CodecError ErrorFor(int err, const char* message) const {
    return CodecError{ZlibCodeName(err), err, strm_->msg != nullptr ? strm_->msg : message};
  }

  std::optional<CodecError> ResetStream() {
    err_ = Z_OK;
    switch (mode_) {
      case CodecMode::kDeflate:
      case CodecMode::kDeflateRaw:
      case CodecMode::kGzip:
        err_ = deflateReset(strm_.get());
        break;
      case CodecMode::kInflate:
      case CodecMode::kInflateRaw:
      case CodecMode::kGunzip:
        err_ = inflateReset(strm_.get());
        break;
      default:
        break;
    }
    if (err_ != Z_OK) return ErrorFor(err_, "Failed to reset stream");
    return SetDictionary();
  }

  std::optional<CodecError> SetDictionary() {
    if (options_.dictionary.empty()) return std::nullopt;
    err_ = Z_OK;
    const auto* dict = reinterpret_cast<const Bytef*>(options_.dictionary.data());
    const auto len = static_cast<uInt>(options_.dictionary.size());
    switch (mode_) {
      case CodecMode::kDeflate:
      case CodecMode::kDeflateRaw:
        err_ = deflateSetDictionary(strm_.get(), dict, len);
        break;
      case CodecMode::kInflateRaw:
        err_ = inflateSetDictionary(strm_.get(), dict, len);
        break;
      default:
        break;
    }
    if (err_ != Z_OK) return ErrorFor(err_, "Failed to set dictionary");
    return std::nullopt;
  }

  CodecMode mode_;       // changes once for kUnzip (to kGunzip or kInflate)
  CodecMode init_mode_ = mode_;  // what Init() made: decides deflateEnd vs inflateEnd
  const ZlibOptions options_;
  Allocator allocator_;  // zlib's opaque points here
  std::unique_ptr<z_stream> strm_;  // zlib's state points back at it: never moved
  bool initialized_ = false;
  int err_ = Z_OK;
  int gzip_id_bytes_read_ = 0;
  uint64_t consumed_ = 0;
};

}  // namespace

Result<std::unique_ptr<CompressionStream>> CompressionStream::Zlib(CodecMode mode, const ZlibOptions& options,
                                                                   Allocator allocator) {
  if (static_cast<int>(mode) < static_cast<int>(CodecMode::kDeflate) ||
      static_cast<int>(mode) > static_cast<int>(CodecMode::kUnzip)) {
    return Error{"init_failed", "not a zlib mode", 400};
  }
  if (options.dictionary.size() > UINT_MAX) return Error{"init_failed", "dictionary too large", 400};
  auto stream = std::make_unique<ZlibStream>(mode, options, allocator);
  if (auto st = stream->Init(); !st.ok()) return st.error();
  return std::unique_ptr<CompressionStream>(std::move(stream));
}

}  // namespace hbf::codec
