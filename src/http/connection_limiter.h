// Bounds open connections: in total and per client address.
//
// Thread safety: every method may be called from any I/O loop thread. It is
// touched when a connection opens or closes, never per request.
#pragma once

#include <mutex>
#include <string>
#include <unordered_map>

namespace hbf {

class ConnectionLimiter {
 public:
  // A limit of 0 means unlimited.
  ConnectionLimiter(int max_total, int max_per_address) : max_total_(max_total), max_per_address_(max_per_address) {}

  // Counts a new connection from `address`; false (nothing counted) when it
  // would exceed a limit.
  bool Acquire(const std::string& address);
  void Release(const std::string& address);

 private:
  const int max_total_;
  const int max_per_address_;
  std::mutex mu_;
  int total_ = 0;                                   // guarded by mu_
  std::unordered_map<std::string, int> per_address_;  // guarded by mu_
};

}  // namespace hbf
