#include "core/json.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace hbf {
namespace {

constexpr int kMaxDepth = 256;

// Length of the valid UTF-8 sequence starting at s[i], or 0 if invalid.
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  auto c = static_cast<unsigned char>(s[i]);
  size_t n;
  uint32_t min;
  uint32_t cp;
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) { n = 2; min = 0x80; cp = c & 0x1Fu; }
  else if ((c & 0xF0) == 0xE0) { n = 3; min = 0x800; cp = c & 0x0Fu; }
  else if ((c & 0xF8) == 0xF0) { n = 4; min = 0x10000; cp = c & 0x07u; }
  else return 0;
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    auto cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (cc & 0x3Fu);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

class Parser {
 public:
  explicit Parser(std::string_view text) : s_(text) {}

  Result<Json> ParseDocument() {
    SkipWhitespace();
    Json value;
    if (!ParseValue(value, 0)) return Fail();
    SkipWhitespace();
    if (pos_ != s_.size()) {
      error_ = "unexpected data after the JSON value";
      return Fail();
    }
    return value;
  }

 private:
  Error Fail() const {
    return Error::BadRequest("invalid JSON at offset " + std::to_string(pos_) + ": " + error_);
  }

  void SkipWhitespace() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) {
      ++pos_;
    }
  }

  bool Expect(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) {
      error_ = "unexpected token";
      return false;
    }
    pos_ += word.size();
    return true;
  }

  bool ParseValue(Json& out, int depth) {
    if (depth > kMaxDepth) {
      error_ = "nesting too deep";
      return false;
    }
    if (pos_ >= s_.size()) {
      error_ = "unexpected end of input";
      return false;
    }
    switch (s_[pos_]) {
      case 'n': out = Json(); return Expect("null");
      case 't': out = Json(true); return Expect("true");
      case 'f': out = Json(false); return Expect("false");
      case '"': {
        std::string str;
        if (!ParseString(str)) return false;
        out = Json(std::move(str));
        return true;
      }
      case '[': return ParseArray(out, depth);
      case '{': return ParseObject(out, depth);
      default: return ParseNumber(out);
    }
  }

  bool ParseArray(Json& out, int depth) {
    ++pos_;  // '['
    Json::Array items;
    SkipWhitespace();
    if (pos_ < s_.size() && s_[pos_] == ']') {
      ++pos_;
      out = Json(std::move(items));
      return true;
    }
    for (;;) {
      SkipWhitespace();
      Json item;
      if (!ParseValue(item, depth + 1)) return false;
      items.push_back(std::move(item));
      SkipWhitespace();
      if (pos_ >= s_.size()) { error_ = "unterminated array"; return false; }
      if (s_[pos_] == ',') { ++pos_; continue; }
      if (s_[pos_] == ']') { ++pos_; break; }
      error_ = "expected ',' or ']'";
      return false;
    }
    out = Json(std::move(items));
    return true;
  }

  bool ParseObject(Json& out, int depth) {
    ++pos_;  // '{'
    Json::Object members;
    SkipWhitespace();
    if (pos_ < s_.size() && s_[pos_] == '}') {
      ++pos_;
      out = Json(std::move(members));
      return true;
    }
    for (;;) {
      SkipWhitespace();
      if (pos_ >= s_.size() || s_[pos_] != '"') { error_ = "expected a member name"; return false; }
      std::string key;
      if (!ParseString(key)) return false;
      SkipWhitespace();
      if (pos_ >= s_.size() || s_[pos_] != ':') { error_ = "expected ':'"; return false; }
      ++pos_;
      SkipWhitespace();
      Json value;
      if (!ParseValue(value, depth + 1)) return false;
      // Duplicate names: the last one wins, as in JavaScript's JSON.parse.
      bool replaced = false;
      for (auto& [k, v] : members) {
        if (k == key) { v = std::move(value); replaced = true; break; }
      }
      if (!replaced) members.emplace_back(std::move(key), std::move(value));
      SkipWhitespace();
      if (pos_ >= s_.size()) { error_ = "unterminated object"; return false; }
      if (s_[pos_] == ',') { ++pos_; continue; }
      if (s_[pos_] == '}') { ++pos_; break; }
      error_ = "expected ',' or '}'";
      return false;
    }
    out = Json(std::move(members));
    return true;
  }

  bool ParseHex4(uint32_t& out) {
    if (pos_ + 4 > s_.size()) { error_ = "truncated \\u escape"; return false; }
    out = 0;
    for (int k = 0; k < 4; ++k) {
      char c = s_[pos_++];
      out <<= 4;
      if (c >= '0' && c <= '9') out |= static_cast<uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f') out |= static_cast<uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') out |= static_cast<uint32_t>(c - 'A' + 10);
      else { error_ = "bad \\u escape"; return false; }
    }
    return true;
  }

  bool ParseString(std::string& out) {
    ++pos_;  // opening quote
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if (c == '"') { ++pos_; return true; }
      if (static_cast<unsigned char>(c) < 0x20) { error_ = "control character in string"; return false; }
      if (c != '\\') {
        size_t n = Utf8SequenceLength(s_, pos_);
        if (n == 0) { error_ = "invalid UTF-8 in string"; return false; }
        out.append(s_.substr(pos_, n));
        pos_ += n;
        continue;
      }
      ++pos_;
      if (pos_ >= s_.size()) break;
      char e = s_[pos_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          uint32_t cp;
          if (!ParseHex4(cp)) return false;
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            uint32_t low;
            if (s_.substr(pos_, 2) != "\\u") { error_ = "unpaired surrogate"; return false; }
            pos_ += 2;
            if (!ParseHex4(low)) return false;
            if (low < 0xDC00 || low > 0xDFFF) { error_ = "unpaired surrogate"; return false; }
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            error_ = "unpaired surrogate";
            return false;
          }
          AppendUtf8(out, cp);
          break;
        }
        default: error_ = "bad escape"; return false;
      }
    }
    error_ = "unterminated string";
    return false;
  }

  bool ParseNumber(Json& out) {
    size_t start = pos_;
    bool is_integer = true;
    if (pos_ < s_.size() && s_[pos_] == '-') ++pos_;
    if (pos_ >= s_.size()) { error_ = "unexpected end of input"; return false; }
    if (s_[pos_] == '0') {
      ++pos_;
    } else if (s_[pos_] >= '1' && s_[pos_] <= '9') {
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
    } else {
      error_ = "unexpected character";
      return false;
    }
    if (pos_ < s_.size() && s_[pos_] == '.') {
      is_integer = false;
      ++pos_;
      size_t digits = pos_;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
      if (pos_ == digits) { error_ = "digit expected after '.'"; return false; }
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      is_integer = false;
      ++pos_;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      size_t digits = pos_;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
      if (pos_ == digits) { error_ = "digit expected in exponent"; return false; }
    }
    std::string literal(s_.substr(start, pos_ - start));
    if (is_integer) {
      errno = 0;
      char* end = nullptr;
      long long v = std::strtoll(literal.c_str(), &end, 10);
      if (errno == 0 && end == literal.c_str() + literal.size()) {
        out = Json(int64_t{v});
        return true;
      }
    }
    const double d = std::strtod(literal.c_str(), nullptr);
    // 1e400 would become infinity, which dump() can only write as null: a
    // value that does not survive its own round trip is refused instead
    // (found by fuzz/json_fuzz). Underflow to 0 is kept: 0 round-trips.
    if (!std::isfinite(d)) {
      error_ = "number out of range";
      return false;
    }
    out = Json(d);
    return true;
  }

  std::string_view s_;
  size_t pos_ = 0;
  std::string error_;
};

}  // namespace

bool IsValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    size_t n = Utf8SequenceLength(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

double Json::as_double() const {
  if (is_int()) return static_cast<double>(std::get<int64_t>(v_));
  return std::get<double>(v_);
}

const Json* Json::find(std::string_view key) const {
  if (!is_object()) return nullptr;
  for (const auto& [k, v] : as_object()) {
    if (k == key) return &v;
  }
  return nullptr;
}

Json& Json::set(std::string key, Json value) {
  if (is_null()) v_ = Object{};
  auto& members = as_object();
  for (auto& [k, v] : members) {
    if (k == key) {
      v = std::move(value);
      return *this;
    }
  }
  members.emplace_back(std::move(key), std::move(value));
  return *this;
}

namespace {

// `d` (finite) as "%.*g" with the fewest significant digits that read back
// as `d`. std::to_chars gives that count (the shortest round trip, Ryu), so
// at most one or two printf/strtod rounds are needed instead of trying every
// precision from 1 (bench/json's records page: 9.80 -> 2.49 ns a byte).
// The output is the same: no shorter precision can round-trip, and where the
// correctly rounded shortest decimal falls outside the interval at a power
// of two, the loop goes on as before.
void AppendShortestDouble(std::string& out, double d) {
  char shortest[32];
  int precision = 1;
  if (auto r = std::to_chars(shortest, shortest + sizeof shortest, d, std::chars_format::scientific);
      r.ec == std::errc()) {
    int digits = 0;  // of "-d.ddde+xx", before the exponent
    for (const char* p = shortest; p != r.ptr && *p != 'e'; ++p) digits += (*p >= '0' && *p <= '9') ? 1 : 0;
    precision = std::max(1, digits);
  }
  char buf[32];
  for (; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, d);
    if (std::strtod(buf, nullptr) == d) {
      out += buf;
      return;
    }
  }
  std::snprintf(buf, sizeof buf, "%.17g", d);
  out += buf;
}

}  // namespace

void AppendJsonString(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      size_t n = Utf8SequenceLength(s, i);
      if (n == 0) {
        out += "\xEF\xBF\xBD";  // U+FFFD
        ++i;
      } else {
        out.append(s.substr(i, n));
        i += n;
      }
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xF];
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
  out += '"';
}

void Json::dump_to(std::string& out) const {
  switch (v_.index()) {
    case 0: out += "null"; break;
    case 1: out += std::get<bool>(v_) ? "true" : "false"; break;
    case 2: out += std::to_string(std::get<int64_t>(v_)); break;
    case 3: {
      double d = std::get<double>(v_);
      if (!std::isfinite(d)) {
        out += "null";  // as JSON.stringify does
        break;
      }
      // -0 is written "0", as JSON.stringify does: "-0" would parse back as
      // the integer 0 and dump differently (found by fuzz/json_fuzz).
      if (d == 0) d = 0;
      AppendShortestDouble(out, d);
      break;
    }
    case 4: AppendJsonString(out, std::get<std::string>(v_)); break;
    case 5: {
      out += '[';
      bool first = true;
      for (const auto& item : std::get<Array>(v_)) {
        if (!first) out += ',';
        first = false;
        item.dump_to(out);
      }
      out += ']';
      break;
    }
    case 6: {
      out += '{';
      bool first = true;
      for (const auto& [k, v] : std::get<Object>(v_)) {
        if (!first) out += ',';
        first = false;
        AppendJsonString(out, k);
        out += ':';
        v.dump_to(out);
      }
      out += '}';
      break;
    }
  }
}

std::string Json::dump() const {
  std::string out;
  dump_to(out);
  return out;
}

Result<Json> Json::Parse(std::string_view text) { return Parser(text).ParseDocument(); }

}  // namespace hbf
