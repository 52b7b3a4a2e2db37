#include "http/connection_limiter.h"

namespace hbf {

bool ConnectionLimiter::Acquire(const std::string& address) {
  std::lock_guard lock(mu_);
  if (max_total_ > 0 && total_ >= max_total_) return false;
  int& mine = per_address_[address];
  if (max_per_address_ > 0 && mine >= max_per_address_) {
    if (mine == 0) per_address_.erase(address);
    return false;
  }
  ++mine;
  ++total_;
  return true;
}

void ConnectionLimiter::Release(const std::string& address) {
  std::lock_guard lock(mu_);
  auto it = per_address_.find(address);
  if (it == per_address_.end()) return;
  if (--it->second <= 0) per_address_.erase(it);
  --total_;
}

}  // namespace hbf
