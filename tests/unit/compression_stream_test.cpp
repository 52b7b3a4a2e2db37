// codec::CompressionStream (zlib and brotli) held to Node 20's zlib module:
// byte-identical output for small inputs (fixtures from Node 20), round
// trips in every mode and flush pattern, Node's error codes and messages,
// the output bound, dictionaries, multi-member gzip, and the allocator hook.
#include "codec/compression_stream.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

namespace hbf::codec {
namespace {

constexpr int kNoFlush = 0;
constexpr int kSyncFlush = 2;
constexpr int kFinish = 4;
constexpr int kBrotliProcess = 0;
constexpr int kBrotliFinish = 2;

class StringSink final : public OutputSink {
 public:
  explicit StringSink(size_t max = SIZE_MAX) : max_(max) {}
  bool Write(const uint8_t* data, size_t size) override {
    if (size > max_ - out.size()) return false;
    out.append(reinterpret_cast<const char*>(data), size);
    return true;
  }
  std::string out;

 private:
  size_t max_;
};

std::string Hex(const std::string& s) {
  static const char* digits = "0123456789abcdef";
  std::string h;
  for (unsigned char c : s) {
    h += digits[c >> 4];
    h += digits[c & 15];
  }
  return h;
}

std::unique_ptr<CompressionStream> Make(CodecMode mode, ZlibOptions options = {}) {
  auto r = mode == CodecMode::kBrotliEncode || mode == CodecMode::kBrotliDecode
               ? CompressionStream::Brotli(mode, BrotliOptions{})
               : CompressionStream::Zlib(mode, options);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? std::move(r).value() : nullptr;
}

struct Outcome {
  std::string out;
  std::optional<CodecError> error;
};

Outcome Push(CompressionStream& s, const std::string& in, int flush = kFinish, size_t max = SIZE_MAX) {
  StringSink sink(max);
  auto e = s.Feed(reinterpret_cast<const uint8_t*>(in.data()), in.size(), flush, sink);
  return {sink.out, e};
}

std::string Once(CodecMode mode, const std::string& in, ZlibOptions options = {}) {
  auto s = Make(mode, options);
  const bool brotli = mode == CodecMode::kBrotliEncode || mode == CodecMode::kBrotliDecode;
  Outcome o = Push(*s, in, brotli ? kBrotliFinish : kFinish);
  EXPECT_FALSE(o.error) << o.error->code << ": " << o.error->message;
  return o.out;
}

std::string Sample() {
  std::string s;
  for (int i = 0; i < 20000; ++i) s += "line " + std::to_string(i * 7919 % 1000) + " of the sample text\n";
  return s;
}

TEST(CompressionStreamTest, SmallInputsMatchNodeByteForByte) {
  EXPECT_EQ(Hex(Once(CodecMode::kGzip, "hello world")),
            "1f8b0800000000000003cb48cdc9c95728cf2fca49010085114a0d0b000000");
  EXPECT_EQ(Hex(Once(CodecMode::kDeflate, "hello world")), "789ccb48cdc9c95728cf2fca4901001a0b045d");
  EXPECT_EQ(Hex(Once(CodecMode::kDeflateRaw, "hello world")), "cb48cdc9c95728cf2fca490100");
  ZlibOptions dict;
  dict.dictionary = "hello";
  EXPECT_EQ(Hex(Once(CodecMode::kDeflate, "hello hello", dict)), "78bb062c0215cb00110a60120019910449");
  EXPECT_EQ(Hex(Once(CodecMode::kBrotliEncode, "hello world")), "0b058068656c6c6f20776f726c6403");
}

TEST(CompressionStreamTest, EveryFormatRoundTripsInPieces) {
  const std::string text = Sample();
  const std::pair<CodecMode, CodecMode> pairs[] = {
      {CodecMode::kGzip, CodecMode::kGunzip},         {CodecMode::kDeflate, CodecMode::kInflate},
      {CodecMode::kDeflateRaw, CodecMode::kInflateRaw}, {CodecMode::kGzip, CodecMode::kUnzip},
      {CodecMode::kDeflate, CodecMode::kUnzip},       {CodecMode::kBrotliEncode, CodecMode::kBrotliDecode},
  };
  for (const auto& [enc, dec] : pairs) {
    const bool brotli = enc == CodecMode::kBrotliEncode;
    auto c = Make(enc);
    std::string packed;
    // Pieces of 1000 bytes, a sync flush in the middle, then finish.
    for (size_t i = 0; i < text.size(); i += 1000) {
      const int flush = brotli ? kBrotliProcess : (i == 50000 ? kSyncFlush : kNoFlush);
      Outcome o = Push(*c, text.substr(i, 1000), flush);
      ASSERT_FALSE(o.error);
      packed += o.out;
    }
    Outcome end = Push(*c, "", brotli ? kBrotliFinish : kFinish);
    ASSERT_FALSE(end.error);
    packed += end.out;
    EXPECT_LT(packed.size(), text.size() / 4);
    EXPECT_EQ(c->total_in(), text.size());

    // Decompress one byte at a time: every state boundary is crossed.
    auto d = Make(dec);
    std::string unpacked;
    for (size_t i = 0; i < packed.size(); ++i) {
      Outcome o = Push(*d, packed.substr(i, 1), brotli ? kBrotliProcess : kNoFlush);
      ASSERT_FALSE(o.error) << static_cast<int>(dec) << " at " << i << ": " << o.error->message;
      unpacked += o.out;
    }
    Outcome fin = Push(*d, "", brotli ? kBrotliFinish : kFinish);
    ASSERT_FALSE(fin.error) << fin.error->message;
    unpacked += fin.out;
    EXPECT_EQ(unpacked, text) << static_cast<int>(dec);
  }
}

TEST(CompressionStreamTest, ErrorsAreNodes) {
  const std::string gz = Once(CodecMode::kGzip, "hello world hello world");
  auto expect = [](CodecMode mode, const std::string& in, const char* code, int number, const char* message,
                   ZlibOptions options = {}) {
    auto s = Make(mode, options);
    const bool brotli = mode == CodecMode::kBrotliDecode;
    Outcome o = Push(*s, in, brotli ? kBrotliFinish : kFinish);
    ASSERT_TRUE(o.error) << code;
    EXPECT_EQ(o.error->code, code);
    EXPECT_EQ(o.error->number, number);
    EXPECT_EQ(o.error->message, message);
  };
  expect(CodecMode::kGunzip, "not gzip data", "Z_DATA_ERROR", -3, "incorrect header check");
  expect(CodecMode::kGunzip, gz.substr(0, 10), "Z_BUF_ERROR", -5, "unexpected end of file");
  expect(CodecMode::kGunzip, "", "Z_BUF_ERROR", -5, "unexpected end of file");
  expect(CodecMode::kInflate, gz, "Z_DATA_ERROR", -3, "incorrect header check");
  expect(CodecMode::kInflateRaw, "\xff\xff", "Z_DATA_ERROR", -3, "invalid block type");
  expect(CodecMode::kUnzip, gz.substr(0, 5), "Z_BUF_ERROR", -5, "unexpected end of file");
  expect(CodecMode::kGunzip, gz + "garbage", "Z_DATA_ERROR", -3, "incorrect header check");
  ZlibOptions dict;
  dict.dictionary = "hello";
  const std::string with_dict = Once(CodecMode::kDeflate, "hello hello", dict);
  expect(CodecMode::kInflate, with_dict, "Z_NEED_DICT", 2, "Missing dictionary");
  ZlibOptions wrong;
  wrong.dictionary = "nope";
  expect(CodecMode::kInflate, with_dict, "Z_NEED_DICT", 2, "Bad dictionary", wrong);
  EXPECT_EQ(Once(CodecMode::kInflate, with_dict, dict), "hello hello");
  expect(CodecMode::kBrotliDecode, "garbage data here", "ERR__ERROR_FORMAT_PADDING_1", -14, "Decompression failed");
  expect(CodecMode::kBrotliDecode, Once(CodecMode::kBrotliEncode, "hello world").substr(0, 5), "Z_BUF_ERROR", -5,
         "unexpected end of file");
}

TEST(CompressionStreamTest, GzipMembersConcatenateAndZeroPaddingIsIgnored) {
  const std::string a = Once(CodecMode::kGzip, "first ");
  const std::string b = Once(CodecMode::kGzip, "second");
  EXPECT_EQ(Once(CodecMode::kGunzip, a + b), "first second");
  EXPECT_EQ(Once(CodecMode::kUnzip, a + b), "first second");
  EXPECT_EQ(Once(CodecMode::kGunzip, a + std::string(3, '\0')), "first ");
}

TEST(CompressionStreamTest, OutputBoundStopsABomb) {
  const std::string bomb = Once(CodecMode::kGzip, std::string(10 << 20, 'a'));  // 10 MiB -> ~10 KiB
  ASSERT_LT(bomb.size(), 20000u);
  auto s = Make(CodecMode::kGunzip);
  Outcome o = Push(*s, bomb, kFinish, 1 << 20);
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error->code, kOutputRefused);
  EXPECT_LE(o.out.size(), size_t{1} << 20);
}

// A sink that lets one piece of input through (what a deadline does).
class OnePieceSink final : public OutputSink {
 public:
  bool Write(const uint8_t*, size_t) override { return true; }
  bool KeepGoing() override { return asked++ == 0; }
  int asked = 0;
};

TEST(CompressionStreamTest, ASinkStopsALongFeedBetweenPieces) {
  const std::string big(size_t{4} << 20, 'x');
  for (CodecMode mode : {CodecMode::kDeflate, CodecMode::kBrotliEncode}) {
    auto s = Make(mode);
    OnePieceSink sink;
    auto e = s->Feed(reinterpret_cast<const uint8_t*>(big.data()), big.size(), mode == CodecMode::kDeflate ? kFinish : kBrotliFinish, sink);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->code, kOutputRefused);
    EXPECT_EQ(sink.asked, 2);
    EXPECT_LE(s->total_in(), size_t{2} << 20);  // two pieces at most, never the whole input
  }
}

TEST(CompressionStreamTest, ResetParamsAndBadOptions) {
  auto s = Make(CodecMode::kDeflate);
  Outcome first = Push(*s, "hello world");
  ASSERT_FALSE(s->Reset());
  Outcome second = Push(*s, "hello world");
  EXPECT_EQ(first.out, second.out);
  ASSERT_FALSE(s->Reset());
  EXPECT_FALSE(s->Params(9, 1));  // Z_FILTERED
  EXPECT_EQ(Once(CodecMode::kInflate, Push(*s, "params").out), "params");

  ZlibOptions bad;
  bad.level = 42;
  EXPECT_FALSE(CompressionStream::Zlib(CodecMode::kDeflate, bad).ok());
  bad = {};
  bad.window_bits = 3;
  EXPECT_FALSE(CompressionStream::Zlib(CodecMode::kGzip, bad).ok());
  EXPECT_FALSE(CompressionStream::Zlib(CodecMode::kBrotliEncode, {}).ok());
  BrotliOptions params;
  params.params[1] = 4;  // BROTLI_PARAM_QUALITY
  EXPECT_TRUE(CompressionStream::Brotli(CodecMode::kBrotliEncode, params).ok());
}

// The allocator hook: every byte of the library's state goes through it,
// and a refusal is an error, never a crash.
struct Counting {
  size_t live = 0;
  size_t limit = SIZE_MAX;
  std::vector<std::pair<void*, size_t>> blocks;
};
void* CountAlloc(void* opaque, size_t size) {
  auto* c = static_cast<Counting*>(opaque);
  if (c->live + size > c->limit) return nullptr;
  void* p = std::malloc(size);
  c->live += size;
  c->blocks.emplace_back(p, size);
  return p;
}
void CountFree(void* opaque, void* p) {
  auto* c = static_cast<Counting*>(opaque);
  if (p == nullptr) return;
  for (auto& [q, n] : c->blocks) {
    if (q == p) {
      c->live -= n;
      q = nullptr;
      break;
    }
  }
  std::free(p);
}

TEST(CompressionStreamTest, StateComesFromTheAllocator) {
  Counting counting;
  const Allocator alloc{CountAlloc, CountFree, &counting};
  {
    auto s = CompressionStream::Zlib(CodecMode::kDeflate, {}, alloc);
    ASSERT_TRUE(s.ok());
    EXPECT_GT(counting.live, 200000u);  // deflate's window and hash tables at the defaults
    auto b = CompressionStream::Brotli(CodecMode::kBrotliEncode, {}, alloc);
    ASSERT_TRUE(b.ok());
    StringSink sink;
    const std::string text = Sample();
    ASSERT_FALSE((*b)->Feed(reinterpret_cast<const uint8_t*>(text.data()), text.size(), kBrotliFinish, sink));
  }
  EXPECT_EQ(counting.live, 0u);
  counting.limit = 1000;
  EXPECT_FALSE(CompressionStream::Zlib(CodecMode::kDeflate, {}, alloc).ok());
  EXPECT_EQ(counting.live, 0u);
}

}  // namespace
}  // namespace hbf::codec
