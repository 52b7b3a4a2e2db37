// The request-target and Host handling every request goes through:
// CanonicalPath and PercentDecode (src/http/http_types.h), RouteHost and
// BuildRequestContext (src/http/host_routing.h), TrustedProxies
// (src/http/proxy_trust.h) and document-id validation
// (src/documents/document_store.h). Input: up to four '\n'-separated parts,
// tried in every role: a path, a Host, an X-Forwarded-For, a proxy list.
//
// Invariants: a canonical path starts with '/', is a fixed point of
// CanonicalPath, has no empty, "." or ".." segment, no encoded NUL, and
// decodes, and its subpath (BuildRequestContext) has exactly its '/'s (an
// encoded slash stays "%2F" and sets encoded_slash); a henv route has an 8-char [0-9a-z] hash and a lower-case
// hostname without a port or trailing dot; a valid document id has no "."
// or ".." segment, no empty segment and is at most 512 bytes.
#include <string>
#include <string_view>
#include <vector>

#include "documents/document_store.h"
#include "fuzz_input.h"
#include "http/host_routing.h"
#include "http/http_types.h"
#include "http/proxy_trust.h"

using hbf::fuzz::Check;

namespace {

std::vector<std::string_view> SplitLines(std::string_view text, size_t max_parts) {
  std::vector<std::string_view> parts;
  while (parts.size() + 1 < max_parts) {
    const size_t nl = text.find('\n');
    if (nl == std::string_view::npos) break;
    parts.push_back(text.substr(0, nl));
    text.remove_prefix(nl + 1);
  }
  parts.push_back(text);
  return parts;
}

void CheckCanonical(std::string_view raw) {
  const auto canonical = hbf::CanonicalPath(raw);
  if (!canonical) return;
  const std::string& c = *canonical;
  Check(!c.empty() && c[0] == '/', "canonical path does not start with '/'");
  const auto again = hbf::CanonicalPath(c);
  Check(again && *again == c, "CanonicalPath is not idempotent");
  Check(c.find("//") == std::string::npos, "canonical path has an empty segment");
  Check(c.find("/../") == std::string::npos && c.find("/./") == std::string::npos, "canonical path has dot segments");
  Check(c != "/.." && c != "/." && !c.ends_with("/..") && !c.ends_with("/."), "canonical path ends in a dot segment");
  Check(c.find("%2f") == std::string::npos, "canonical path has a lower-case escape");
  Check(c.find("%00") == std::string::npos, "canonical path has %00");
  std::string decoded;
  Check(hbf::PercentDecode(c, decoded, false), "canonical path does not decode");
  // A raw NUL is kept (llhttp refuses one in a request target before
  // CanonicalPath sees it); an encoded one never gets through.
  Check(raw.find('\0') != std::string_view::npos || decoded.find('\0') == std::string::npos,
        "canonical path decodes to a NUL");
  // What the layers above see: every '/' of the subpath was a '/' of the
  // canonical path, so no segment gains or loses a slash. (A raw NUL never
  // gets this far: llhttp refuses it, and BuildRequestContext would too.)
  if (c.find('\0') != std::string::npos) return;
  hbf::HttpRequest request;
  request.path = c;
  request.headers.emplace_back("host", "localhost");
  auto ctx = hbf::BuildRequestContext(request, "localhost", hbf::ProxyPolicy{});
  Check(ctx.ok(), "a canonical path is refused by BuildRequestContext");
  size_t slashes_before = 0;
  size_t slashes_after = 0;
  for (char ch : c) slashes_before += ch == '/';
  for (char ch : ctx.value().subpath) slashes_after += ch == '/';
  Check(slashes_before == slashes_after, "the subpath of a canonical path gains or loses a '/'");
  Check(ctx.value().encoded_slash == (c.find("%2F") != std::string::npos), "encoded_slash is wrong");
}

void CheckRoute(std::string_view host, std::string_view base_domain) {
  const hbf::HostRoute route = hbf::RouteHost(host, base_domain);
  if (route.kind == hbf::SiteKind::kUnknown) return;
  for (char ch : route.hostname) Check(!(ch >= 'A' && ch <= 'Z'), "hostname is not lower case");
  Check(route.hostname.find(':') == std::string::npos || route.hostname.starts_with('['), "hostname keeps a port");
  Check(route.hostname.empty() || route.hostname.back() != '.', "hostname keeps a trailing dot");
  if (route.kind == hbf::SiteKind::kApex) {
    Check(route.hostname == base_domain, "apex route for another host name");
    return;
  }
  Check(route.henv_hash.size() == 8, "henv hash is not 8 characters");
  for (char ch : route.henv_hash) {
    Check((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z'), "henv hash outside [0-9a-z]");
  }
  Check(route.hostname == route.henv_hash + "." + std::string(base_domain), "henv route for another host name");
}

void CheckDocumentId(std::string_view id) {
  if (!hbf::docs::ValidateDocumentId(id).ok()) return;
  Check(!id.empty() && id.size() <= hbf::docs::kMaxDocumentIdLength, "valid id of bad length");
  Check(id.find('\\') == std::string_view::npos, "valid id with a backslash");
  size_t start = 0;
  while (true) {
    const size_t slash = id.find('/', start);
    const std::string_view seg = id.substr(start, slash == std::string_view::npos ? id.npos : slash - start);
    Check(!seg.empty() && seg != "." && seg != "..", "valid id with an empty or dot segment");
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  for (char ch : id) {
    const auto c = static_cast<unsigned char>(ch);
    Check(c >= 0x20 && c != 0x7f, "valid id with a control character");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (std::string_view part : SplitLines(text, 4)) {
    CheckCanonical(part);
    CheckRoute(part, "localhost");
    CheckRoute(part, "hbf.example.com");
    CheckDocumentId(part);
    std::string decoded;
    (void)hbf::PercentDecode(part, decoded, true);
  }

  // A whole request's context, as the dispatcher builds it.
  const auto parts = SplitLines(text, 4);
  hbf::HttpRequest request;
  request.path = std::string(parts[0]);
  request.remote_addr = "127.0.0.1";
  if (parts.size() > 1) request.headers.emplace_back("host", std::string(parts[1]));
  if (parts.size() > 2) {
    request.headers.emplace_back("x-forwarded-for", std::string(parts[2]));
    request.headers.emplace_back("x-forwarded-host", std::string(parts[2]));
  }
  hbf::ProxyPolicy proxy;
  proxy.trust_proxy = true;
  auto proxies = hbf::TrustedProxies::Parse(parts.size() > 3 ? parts[3] : "127.0.0.0/8, ::1");
  if (proxies.ok()) proxy.proxies = proxies.value();
  auto ctx = hbf::BuildRequestContext(request, "localhost", proxy);
  if (ctx.ok()) {
    Check(!ctx.value().subpath.empty() && ctx.value().subpath[0] == '/', "subpath does not start with '/'");
    Check(ctx.value().subpath.find('\0') == std::string::npos, "subpath with a NUL");
    Check(!ctx.value().client_ip.empty(), "no client address");
  }
  return 0;
}
