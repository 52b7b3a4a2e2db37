// Host-based routing: which site a request is for.
//
//   {hash}.{base_domain}  -> a henv (hash: 8 chars of [0-9a-z])
//   {base_domain}         -> the apex (system) site: signup, health
//   anything else         -> unknown: 404, unless the App finds it among
//                            the active custom domains (domains/domain_router.h)
//
// Case, a trailing dot and a :port suffix are ignored. X-Forwarded-Host is
// honoured only when the server runs with --trust_proxy and the peer is a
// trusted proxy (proxy_trust.h).
//
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "http/http_types.h"
#include "http/proxy_trust.h"

namespace hbf {

enum class SiteKind { kApex, kHenv, kUnknown };

struct HostRoute {
  SiteKind kind = SiteKind::kUnknown;
  std::string hostname;   // normalised: lower case, no port, no trailing dot
  std::string henv_hash;  // set when kind == kHenv
  // kHenv by an active custom domain (set by the App, never by RouteHost):
  // `hostname` is that domain, so URLs, cookies and Origin checks use the
  // host the client used.
  bool custom_domain = false;
};

// `host` is a Host header value (e.g. "5h9h66rt.localhost:5309").
// REQUIRES: base_domain is lower case without a trailing dot.
HostRoute RouteHost(std::string_view host, std::string_view base_domain);

// What every layer above HTTP receives about a request's origin and target.
struct RequestContext {
  HostRoute route;
  // Decoded path within the site, always starts with '/'. An encoded slash
  // stays "%2F" (never a separator), and `encoded_slash` says the path has
  // one: hbf's own endpoints refuse such a path, document serving answers
  // 404, and only the henv's router sees it (Express matches the raw path
  // and decodes parameters, so "/files/..%2Fx" gives a file "../x").
  std::string subpath;
  bool encoded_slash = false;
  std::string client_ip;  // peer address, or the client behind trusted proxies (proxy_trust.h)
  std::string scheme;     // "http", or X-Forwarded-Proto from a trusted proxy
  std::string host;       // Host as the client sent it (incl. port), for building URLs
  bool is_apex() const { return route.kind == SiteKind::kApex; }
};

// The host a request is for: Host, or from a believed proxy the first
// X-Forwarded-Host item when there is one; empty when neither is present.
std::string_view RequestHost(const HttpRequest& request, const ProxyPolicy& proxy);

// Builds the context for a request. Fails (400) when the path cannot be
// decoded. `proxy` decides whether X-Forwarded-* headers are believed.
Result<RequestContext> BuildRequestContext(const HttpRequest& request, std::string_view base_domain,
                                           const ProxyPolicy& proxy);

}  // namespace hbf
