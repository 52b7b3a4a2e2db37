#include "http/host_routing.h"

#include "core/text.h"

#include <cctype>

#include "henv/henv_hash.h"

namespace hbf {
namespace {

// The position of the first "%2F" (either case) in `path`, or npos.
size_t FindEncodedSlash(std::string_view path) {
  for (size_t i = path.find('%'); i != std::string_view::npos; i = path.find('%', i + 1)) {
    if (i + 2 < path.size() && path[i + 1] == '2' && (path[i + 2] == 'F' || path[i + 2] == 'f')) return i;
  }
  return std::string_view::npos;
}

// First element of a comma-separated header value (X-Forwarded-*).
std::string_view FirstListItem(std::string_view s) {
  auto comma = s.find(',');
  return TrimBlanks(comma == std::string_view::npos ? s : s.substr(0, comma));
}

}  // namespace

HostRoute RouteHost(std::string_view host, std::string_view base_domain) {
  HostRoute route;
  host = TrimBlanks(host);
  if (host.empty() || host.front() == '[') return route;  // absent, or an IPv6 literal

  // Strip a :port suffix (digits only).
  if (auto colon = host.rfind(':'); colon != std::string_view::npos) {
    std::string_view port = host.substr(colon + 1);
    for (char c : port) {
      if (c < '0' || c > '9') return route;
    }
    host = host.substr(0, colon);
  }
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  if (host.empty() || host.size() > 253) return route;

  route.hostname.assign(host);
  for (char& c : route.hostname) c = AsciiLower(c);

  if (route.hostname == base_domain) {
    route.kind = SiteKind::kApex;
    return route;
  }
  std::string_view name = route.hostname;
  if (name.size() == kHenvHashLength + 1 + base_domain.size() && name.substr(kHenvHashLength + 1) == base_domain &&
      name[kHenvHashLength] == '.' && IsValidHenvHash(name.substr(0, kHenvHashLength))) {
    route.kind = SiteKind::kHenv;
    route.henv_hash = std::string(name.substr(0, kHenvHashLength));
  }
  return route;
}

std::string_view RequestHost(const HttpRequest& request, const ProxyPolicy& proxy) {
  const std::string* host = request.header("host");
  if (proxy.Believes(request.remote_addr)) {
    if (const std::string* fwd = request.header("x-forwarded-host"); fwd != nullptr && !fwd->empty()) host = fwd;
  }
  return host != nullptr ? FirstListItem(*host) : std::string_view();
}

Result<RequestContext> BuildRequestContext(const HttpRequest& request, std::string_view base_domain,
                                           const ProxyPolicy& proxy) {
  RequestContext ctx;
  ctx.host = std::string(RequestHost(request, proxy));
  ctx.route = RouteHost(ctx.host, base_domain);

  ctx.client_ip = proxy.ClientAddress(request.remote_addr, request.header("x-forwarded-for"));
  ctx.scheme = "http";
  if (proxy.Believes(request.remote_addr)) {
    if (const std::string* proto = request.header("x-forwarded-proto"); proto != nullptr) {
      std::string_view p = FirstListItem(*proto);
      if (p == "https" || p == "http") ctx.scheme = std::string(p);
    }
  }

  // Decoded piece by piece between encoded slashes, which stay "%2F"; the
  // usual path has none and decodes straight into the subpath.
  std::string_view rest = request.path;
  size_t slash = FindEncodedSlash(rest);
  bool decoded = PercentDecode(rest.substr(0, slash), ctx.subpath, false);
  std::string piece;
  while (decoded && slash != std::string_view::npos) {
    ctx.encoded_slash = true;
    ctx.subpath += "%2F";
    rest.remove_prefix(slash + 3);
    slash = FindEncodedSlash(rest);
    decoded = PercentDecode(rest.substr(0, slash), piece, false);
    ctx.subpath += piece;
  }
  if (!decoded) return Error::BadRequest("malformed percent-encoding in the request path");
  if (ctx.subpath.empty() || ctx.subpath.front() != '/') ctx.subpath.insert(ctx.subpath.begin(), '/');
  if (ctx.subpath.find('\0') != std::string::npos) {
    return Error::BadRequest("the request path contains a NUL byte");
  }
  return ctx;
}

}  // namespace hbf
