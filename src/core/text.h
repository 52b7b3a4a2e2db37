// Small text helpers several layers share.
//
// Thread safety: pure functions.
#pragma once

#include <string_view>

namespace hbf {

// Without leading and trailing spaces and tabs (HTTP's optional whitespace).
inline std::string_view TrimBlanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace hbf
