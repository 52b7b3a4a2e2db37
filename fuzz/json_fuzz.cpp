// src/core/json.h: every text Parse() accepts dumps to a text that parses
// back to an equal value, and dumping that value again gives the same text
// (the serializer is deterministic, so dump is a fixed point after one trip).
//
// "Equal" compares numbers by value: dump() writes an integral double the
// way JSON.stringify does ("2", not "2.0"), so it parses back as an int.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/json.h"

namespace {

[[noreturn]] void Die(const char* what, const std::string& a, const std::string& b) {
  std::fprintf(stderr, "json_fuzz: %s\n  first:  %s\n  second: %s\n", what, a.c_str(), b.c_str());
  std::abort();
}

// Structural equality with numbers compared by value (int 2 == double 2.0).
bool SameValue(const hbf::Json& a, const hbf::Json& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_int() && b.is_int()) return a.as_int() == b.as_int();
    return a.as_double() == b.as_double();
  }
  if (a.is_array() && b.is_array()) {
    const auto& x = a.as_array();
    const auto& y = b.as_array();
    if (x.size() != y.size()) return false;
    for (size_t i = 0; i < x.size(); ++i) {
      if (!SameValue(x[i], y[i])) return false;
    }
    return true;
  }
  if (a.is_object() && b.is_object()) {
    const auto& x = a.as_object();
    const auto& y = b.as_object();
    if (x.size() != y.size()) return false;
    for (size_t i = 0; i < x.size(); ++i) {
      if (x[i].first != y[i].first || !SameValue(x[i].second, y[i].second)) return false;
    }
    return true;
  }
  return a == b;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = hbf::Json::Parse(text);
  if (!parsed.ok()) return 0;
  const std::string dumped = parsed.value().dump();
  if (!hbf::IsValidUtf8(dumped)) Die("dump is not valid UTF-8", std::string(text), dumped);
  auto again = hbf::Json::Parse(dumped);
  if (!again.ok()) Die("dump does not parse", std::string(text), dumped);
  if (!SameValue(again.value(), parsed.value())) Die("round trip changed the value", std::string(text), dumped);
  const std::string redumped = again.value().dump();
  if (redumped != dumped) Die("dump is not stable", dumped, redumped);
  return 0;
}
