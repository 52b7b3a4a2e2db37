// The verifier's HTTP client: one blocking GET of
// http://{domain}/.well-known/hbf-domain/{token}, as small as it can be.
// HTTP/1.1 with Connection: close, no TLS, no redirects followed (a 3xx is a
// failure), the body read up to kMaxBodyBytes, the connect and the whole
// exchange bounded by the timeouts. The domain is resolved with
// getaddrinfo(3) unless `connect_to` names a numeric HOST:PORT to use
// instead (--domain_verify_connect, for tests and for setups where DNS
// cannot be reached from the server); Host is the domain either way.
//
// Thread safety: a pure function; it blocks the calling thread (the
// verifier's) for at most connect + total timeouts plus name resolution.
#pragma once

#include <chrono>
#include <string>

#include "core/result.h"

namespace hbf::domains {

struct FetchOptions {
  std::string connect_to;  // "HOST:PORT" (numeric HOST, [v6] allowed) or "" to resolve the domain, port 80
  std::chrono::milliseconds connect_timeout{3000};
  std::chrono::milliseconds total_timeout{5000};
};

inline constexpr size_t kMaxBodyBytes = 1024;

// The body of a 200 answer (at most kMaxBodyBytes). Any other status, a
// timeout or a socket failure is an error (code "verify_failed") saying why.
Result<std::string> FetchBody(const std::string& domain, const std::string& path, const FetchOptions& options);

// True when `connect_to` is a numeric HOST:PORT FetchBody accepts.
bool IsValidConnectTarget(const std::string& connect_to);

}  // namespace hbf::domains
