#include "http/security_headers.h"

#include <cctype>
#include <string>

namespace hbf {
namespace {

void AddIfAbsent(HttpResponse& r, const char* name, const char* value) {
  if (r.header(name) == nullptr) r.headers.emplace_back(name, value);
}

// A CSP's frame-ancestors supersedes X-Frame-Options in browsers: an
// answer that states its own framing rule keeps it.
bool CspNamesFrameAncestors(const HttpResponse& r) {
  for (const auto& [name, value] : r.headers) {
    if (!EqualsIgnoreCase(name, "content-security-policy")) continue;
    std::string lower = value;
    for (char& c : lower) c = AsciiLower(c);
    if (lower.find("frame-ancestors") != std::string::npos) return true;
  }
  return false;
}

}  // namespace

void AddDefaultSecurityHeaders(HttpResponse& r, bool https) {
  r.headers.reserve(r.headers.size() + 4);  // (one growth, not one per header)
  AddIfAbsent(r, "X-Content-Type-Options", "nosniff");
  AddIfAbsent(r, "Referrer-Policy", "strict-origin-when-cross-origin");
  if (r.header("X-Frame-Options") == nullptr && !CspNamesFrameAncestors(r)) {
    r.headers.emplace_back("X-Frame-Options", "SAMEORIGIN");
  }
  if (https) AddIfAbsent(r, "Strict-Transport-Security", "max-age=31536000");
}

}  // namespace hbf
