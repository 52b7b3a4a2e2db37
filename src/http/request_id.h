// Request ids: every request gets one, echoed as X-Request-Id on its answer,
// written in the access log line, given to scripts as req.id and to the
// henv log entries the request produces.
//
// An incoming X-Request-Id is kept only when the TCP peer is a trusted proxy
// (ProxyPolicy::Believes: --trust_proxy and --trusted_proxies) and the value
// is 1..128 characters of [A-Za-z0-9._:-]; anything else is replaced by a
// generated id, so a client cannot forge log lines or inject header text.
//
// Thread safety: IsValidRequestId and ChooseRequestId are pure. A
// RequestIdGenerator belongs to one thread (each I/O loop has its own: no
// shared counter, no lock).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "http/proxy_trust.h"

namespace hbf {

inline constexpr size_t kMaxRequestIdLength = 128;

bool IsValidRequestId(std::string_view id);

// "<8 random hex digits>-<counter in hex>": the prefix is drawn once per
// generator (per loop and process start), so ids from different loops and
// restarts do not collide in practice; the counter makes each one unique.
class RequestIdGenerator {
 public:
  RequestIdGenerator();
  std::string Next();
  const std::string& prefix() const { return prefix_; }

 private:
  std::string prefix_;
  uint64_t counter_ = 0;
};

// The id for a request from `peer` carrying `incoming` (its X-Request-Id,
// or nullptr): the incoming value when trusted and valid, else `generated`.
std::string ChooseRequestId(const ProxyPolicy& proxy, std::string_view peer, const std::string* incoming,
                            std::string generated);

}  // namespace hbf
