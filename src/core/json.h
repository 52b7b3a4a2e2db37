// A small JSON value with a strict RFC 8259 parser and a serializer.
//
// Used for request bodies, API responses and log lines. Objects keep their
// insertion order (responses read the way they are built). Integers that fit
// int64 stay exact; other numbers are doubles.
//
// Thread safety: a Json value is an ordinary value type; no shared state.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/result.h"

namespace hbf {

class Json {
 public:
  using Array = std::vector<Json>;
  using Object = std::vector<std::pair<std::string, Json>>;

  Json() = default;  // null
  Json(std::nullptr_t) {}                                     // NOLINT
  Json(bool b) : v_(b) {}                                     // NOLINT
  Json(int i) : v_(int64_t{i}) {}                             // NOLINT
  Json(int64_t i) : v_(i) {}                                  // NOLINT
  Json(uint64_t i) : v_(static_cast<double>(i)) {}            // NOLINT
  Json(double d) : v_(d) {}                                   // NOLINT
  Json(const char* s) : v_(std::string(s)) {}                 // NOLINT
  Json(std::string s) : v_(std::move(s)) {}                   // NOLINT
  Json(std::string_view s) : v_(std::string(s)) {}            // NOLINT
  Json(Array a) : v_(std::move(a)) {}                         // NOLINT
  Json(Object o) : v_(std::move(o)) {}                        // NOLINT

  static Json MakeObject(std::initializer_list<std::pair<std::string, Json>> members) {
    return Json(Object(members));
  }

  bool is_null() const { return v_.index() == 0; }
  bool is_bool() const { return v_.index() == 1; }
  bool is_int() const { return v_.index() == 2; }
  bool is_number() const { return v_.index() == 2 || v_.index() == 3; }
  bool is_string() const { return v_.index() == 4; }
  bool is_array() const { return v_.index() == 5; }
  bool is_object() const { return v_.index() == 6; }

  // REQUIRES: the matching is_*() is true.
  bool as_bool() const { return std::get<bool>(v_); }
  int64_t as_int() const { return std::get<int64_t>(v_); }
  double as_double() const;
  const std::string& as_string() const { return std::get<std::string>(v_); }
  const Array& as_array() const { return std::get<Array>(v_); }
  Array& as_array() { return std::get<Array>(v_); }
  const Object& as_object() const { return std::get<Object>(v_); }
  Object& as_object() { return std::get<Object>(v_); }

  // Object member lookup; nullptr when absent or when this is not an object.
  const Json* find(std::string_view key) const;
  // Appends (or replaces) a member. REQUIRES: is_object() or is_null().
  Json& set(std::string key, Json value);

  // Compact JSON. Doubles as JSON.stringify writes them: shortest form that
  // reads back, -0 as 0, infinities and NaN as null.
  std::string dump() const;
  void dump_to(std::string& out) const;

  // Strict parse: one value, optional surrounding whitespace, nothing else.
  // Nesting is bounded so hostile input cannot exhaust the stack. Numbers
  // beyond the double range (1e400) are refused: dump() could only write
  // them as null.
  static Result<Json> Parse(std::string_view text);

  bool operator==(const Json& other) const { return v_ == other.v_; }

 private:
  std::variant<std::nullptr_t, bool, int64_t, double, std::string, Array, Object> v_;
};

// True when `s` is well-formed UTF-8 (no overlongs, surrogates or values
// beyond U+10FFFF).
bool IsValidUtf8(std::string_view s);

// Appends `s` as a JSON string literal (with quotes) to `out`. Invalid UTF-8
// bytes are replaced with U+FFFD so output is always valid JSON.
void AppendJsonString(std::string& out, std::string_view s);

}  // namespace hbf
