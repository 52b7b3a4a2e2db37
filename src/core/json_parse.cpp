// Json::Parse on RapidJSON (Debian's rapidjson-dev, header-only): the only
// file in HBF that includes RapidJSON. Chosen by measurement on HBF's own
// bodies over the hand-written parser it replaced (issue #19; figures in
// bench/README.md, "JSON").
//
// RapidJSON's SAX reader fills an hbf::Json tree, so every caller keeps the
// same value type. What Json::Parse promised before still holds, and
// tests/unit/json_test.cpp checks it: strict RFC 8259 (no comments, no
// trailing commas, no NaN), well-formed UTF-8 in and out (lone surrogates
// refused, escaped or not), nesting bounded at kMaxDepth without recursion
// (the iterative reader), numbers beyond the double range refused, integers
// that fit int64 exact, the last of duplicate names winning, and errors that
// name the byte offset.
#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "core/json.h"

namespace hbf {
namespace {

constexpr size_t kMaxDepth = 256;

class TreeBuilder : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, TreeBuilder> {
 public:
  bool Null() { return Leaf(Json()); }
  bool Bool(bool b) { return Leaf(Json(b)); }
  // Numbers arrive as their checked literal (kParseNumbersAsStringsFlag)
  // and are converted here, as before: an integer that fits int64 stays
  // exact, anything else is the correctly rounded double. (RapidJSON 1.1's
  // own conversion let "922337205836477580711e308" through as a finite
  // value.)
  bool RawNumber(const char* s, rapidjson::SizeType n, bool) {
    const std::string literal(s, n);
    if (literal.find_first_of(".eE") == std::string::npos) {
      errno = 0;
      char* end = nullptr;
      const long long v = std::strtoll(literal.c_str(), &end, 10);
      if (errno == 0 && end == literal.c_str() + literal.size()) return Leaf(Json(int64_t{v}));
    }
    const double d = std::strtod(literal.c_str(), nullptr);
    // 1e400 would become infinity, which dump() can only write as null: a
    // value that does not survive its own round trip is refused. Underflow
    // to 0 is kept: 0 round-trips.
    if (!std::isfinite(d)) return Fail("number out of range");
    return Leaf(Json(d));
  }
  bool String(const char* s, rapidjson::SizeType n, bool) {
    if (!WellFormed(s, n)) return false;
    return Leaf(Json(std::string(s, n)));
  }
  bool Key(const char* s, rapidjson::SizeType n, bool) {
    if (!WellFormed(s, n)) return false;
    keys_.emplace_back(s, n);
    return true;
  }
  bool StartObject() { return Open(Json(Json::Object{})); }
  bool EndObject(rapidjson::SizeType) { return Close(); }
  bool StartArray() { return Open(Json(Json::Array{})); }
  bool EndArray(rapidjson::SizeType) { return Close(); }

  Json TakeRoot() { return std::move(root_); }
  const std::string& error() const { return error_; }

 private:
  bool Fail(const char* why) {
    error_ = why;
    return false;
  }
  // The input was checked as UTF-8 by the reader; only a \u escape of a lone
  // surrogate (which RapidJSON 1.1 encodes as is) can make a string that is
  // not. Those start with 0xED.
  bool WellFormed(const char* s, size_t n) {
    if (std::memchr(s, '\xED', n) != nullptr && !IsValidUtf8(std::string_view(s, n))) return Fail("unpaired surrogate");
    return true;
  }
  // A value's depth is the number of containers around it; the root's is 0.
  bool Leaf(Json value) {
    if (stack_.size() > kMaxDepth) return Fail("nesting too deep");
    return Put(std::move(value));
  }
  bool Open(Json container) {
    if (stack_.size() > kMaxDepth) return Fail("nesting too deep");
    stack_.push_back(std::move(container));
    return true;
  }
  bool Close() {
    Json done = std::move(stack_.back());
    stack_.pop_back();
    return Put(std::move(done));
  }
  bool Put(Json value) {
    if (stack_.empty()) {
      root_ = std::move(value);
    } else if (stack_.back().is_array()) {
      stack_.back().as_array().push_back(std::move(value));
    } else {
      // Duplicate names: the last one wins, as in JavaScript's JSON.parse.
      stack_.back().set(std::move(keys_.back()), std::move(value));
      keys_.pop_back();
    }
    return true;
  }

  std::vector<Json> stack_;         // open containers, innermost last
  std::vector<std::string> keys_;   // member names awaiting their values
  Json root_;
  std::string error_;               // why the handler stopped the reader
};

}  // namespace

Result<Json> Json::Parse(std::string_view text) {
  constexpr unsigned kFlags = rapidjson::kParseValidateEncodingFlag | rapidjson::kParseFullPrecisionFlag |
                              rapidjson::kParseIterativeFlag | rapidjson::kParseStopWhenDoneFlag |
                              rapidjson::kParseNumbersAsStringsFlag;
  rapidjson::MemoryStream stream(text.data(), text.size());
  TreeBuilder builder;
  rapidjson::Reader reader;
  const rapidjson::ParseResult ok = reader.Parse<kFlags>(stream, builder);
  size_t offset = ok ? stream.Tell() : ok.Offset();
  std::string why;
  if (ok) {
    // Stopped after one value: only whitespace may follow (an embedded NUL,
    // which RapidJSON's streams read as the end, included).
    while (offset < text.size() &&
           (text[offset] == ' ' || text[offset] == '\t' || text[offset] == '\n' || text[offset] == '\r')) {
      ++offset;
    }
    if (offset == text.size()) return builder.TakeRoot();
    why = "unexpected data after the JSON value";
  } else if (ok.Code() == rapidjson::kParseErrorTermination) {
    why = builder.error();
  } else {
    why = rapidjson::GetParseError_En(ok.Code());
    // A misspelt literal is reported where it went wrong ("tru}" at the
    // '}'); name where the bad value starts instead.
    if (ok.Code() == rapidjson::kParseErrorValueInvalid) {
      while (offset > 0 && offset <= text.size() && text[offset - 1] >= 'a' && text[offset - 1] <= 'z') --offset;
    }
  }
  return Error::BadRequest("invalid JSON at offset " + std::to_string(offset) + ": " + why);
}

}  // namespace hbf
