#include "http/request_id.h"

#include <unistd.h>

#include <chrono>

namespace hbf {

bool IsValidRequestId(std::string_view id) {
  if (id.empty() || id.size() > kMaxRequestIdLength) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

RequestIdGenerator::RequestIdGenerator() {
  uint32_t seed = 0;
  // getentropy never blocks once the kernel's pool is ready (long before a
  // server starts); without it, time and address still differ per loop.
  if (::getentropy(&seed, sizeof seed) != 0) {
    seed = static_cast<uint32_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
           static_cast<uint32_t>(reinterpret_cast<uintptr_t>(this));
  }
  static const char kHex[] = "0123456789abcdef";
  for (int shift = 28; shift >= 0; shift -= 4) prefix_ += kHex[(seed >> shift) & 0xf];
}

std::string RequestIdGenerator::Next() {
  static const char kHex[] = "0123456789abcdef";
  char digits[16];
  int n = 0;
  uint64_t v = ++counter_;
  do {
    digits[n++] = kHex[v & 0xf];
    v >>= 4;
  } while (v != 0);
  std::string out;
  out.reserve(prefix_.size() + 1 + static_cast<size_t>(n));
  out += prefix_;
  out += '-';
  while (n > 0) out += digits[--n];
  return out;
}

std::string ChooseRequestId(const ProxyPolicy& proxy, std::string_view peer, const std::string* incoming,
                            std::string generated) {
  if (incoming != nullptr && IsValidRequestId(*incoming) && proxy.Believes(peer)) return *incoming;
  return generated;
}

}  // namespace hbf
