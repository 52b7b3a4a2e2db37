// Which peers are reverse proxies, and so whose X-Forwarded-* to believe.
//
// With --trust_proxy, a request's forwarded headers count only when the TCP
// peer is in --trusted_proxies (CIDR list; default loopback). The client's
// address is then the rightmost X-Forwarded-For entry that is not itself a
// trusted proxy: each proxy appends the address it saw, so entries left of
// the first untrusted one were written by the client and prove nothing
// (believing the leftmost let any client pick its address and so dodge
// throttling). The access log, req.ip and throttling all use this address.
//
// Thread safety: immutable after Parse; const methods are safe from any thread.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace hbf {

class TrustedProxies {
 public:
  // "127.0.0.0/8, ::1/128, 10.0.0.5" (a bare address is a /32 or /128).
  // Fails (400) on anything else, naming the bad item.
  static Result<TrustedProxies> Parse(std::string_view list);

  // True when `address` (numeric; an IPv4-mapped IPv6 counts as IPv4) is in
  // one of the ranges.
  bool Contains(std::string_view address) const;

 private:
  struct Range {
    bool v6 = false;
    std::array<uint8_t, 16> bytes{};
    int prefix = 0;
  };
  std::vector<Range> ranges_;
};

struct ProxyPolicy {
  bool trust_proxy = false;  // --trust_proxy
  TrustedProxies proxies;    // --trusted_proxies

  // Whether this request's X-Forwarded-* headers are believed.
  bool Believes(std::string_view peer) const { return trust_proxy && proxies.Contains(peer); }
  // The client's address for a request from `peer` carrying `forwarded_for`
  // (X-Forwarded-For, or nullptr): see the file comment.
  std::string ClientAddress(std::string_view peer, const std::string* forwarded_for) const;
};

}  // namespace hbf
