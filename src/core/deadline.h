// Time left before a steady-clock deadline, in the form poll(2) takes.
//
// Thread safety: a pure function.
#pragma once

#include <chrono>

namespace hbf {

// Milliseconds until `deadline`, 0 once it has passed (poll then returns at
// once instead of blocking forever on a negative timeout).
inline int MillisLeft(std::chrono::steady_clock::time_point deadline) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

}  // namespace hbf
