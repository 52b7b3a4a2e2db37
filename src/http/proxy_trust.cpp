#include "http/proxy_trust.h"

#include <arpa/inet.h>

#include <cstring>

#include "core/text.h"

namespace hbf {
namespace {

// Parses a numeric address; IPv4-mapped IPv6 becomes IPv4.
bool ParseAddress(std::string_view text, bool& v6, std::array<uint8_t, 16>& bytes) {
  std::string s(text);
  if (!s.empty() && s.front() == '[' && s.back() == ']') s = s.substr(1, s.size() - 2);
  bytes.fill(0);
  if (inet_pton(AF_INET, s.c_str(), bytes.data()) == 1) {
    v6 = false;
    return true;
  }
  if (inet_pton(AF_INET6, s.c_str(), bytes.data()) == 1) {
    static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(bytes.data(), kMapped, 12) == 0) {
      std::memmove(bytes.data(), bytes.data() + 12, 4);
      std::memset(bytes.data() + 4, 0, 12);
      v6 = false;
    } else {
      v6 = true;
    }
    return true;
  }
  return false;
}

bool PrefixMatches(const std::array<uint8_t, 16>& a, const std::array<uint8_t, 16>& b, int prefix) {
  int full = prefix / 8;
  if (std::memcmp(a.data(), b.data(), static_cast<size_t>(full)) != 0) return false;
  int rest = prefix % 8;
  if (rest == 0) return true;
  auto mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (a[static_cast<size_t>(full)] & mask) == (b[static_cast<size_t>(full)] & mask);
}

}  // namespace

Result<TrustedProxies> TrustedProxies::Parse(std::string_view list) {
  TrustedProxies out;
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view item = TrimBlanks(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    if (item.empty()) continue;
    Range r;
    std::string_view address = item;
    int prefix = -1;
    if (size_t slash = item.find('/'); slash != std::string_view::npos) {
      address = item.substr(0, slash);
      std::string_view digits = item.substr(slash + 1);
      if (digits.empty() || digits.size() > 3) return Error::BadRequest("bad proxy range '" + std::string(item) + "'");
      prefix = 0;
      for (char c : digits) {
        if (c < '0' || c > '9') return Error::BadRequest("bad proxy range '" + std::string(item) + "'");
        prefix = prefix * 10 + (c - '0');
      }
    }
    if (!ParseAddress(address, r.v6, r.bytes)) {
      return Error::BadRequest("'" + std::string(item) + "' is not an IP address or CIDR range");
    }
    const int max = r.v6 ? 128 : 32;
    if (prefix > max) return Error::BadRequest("prefix too long in '" + std::string(item) + "'");
    r.prefix = prefix < 0 ? max : prefix;
    out.ranges_.push_back(r);
  }
  return out;
}

bool TrustedProxies::Contains(std::string_view address) const {
  bool v6 = false;
  std::array<uint8_t, 16> bytes{};
  if (!ParseAddress(TrimBlanks(address), v6, bytes)) return false;
  for (const Range& r : ranges_) {
    if (r.v6 == v6 && PrefixMatches(r.bytes, bytes, r.prefix)) return true;
  }
  return false;
}

std::string ProxyPolicy::ClientAddress(std::string_view peer, const std::string* forwarded_for) const {
  if (forwarded_for == nullptr || !Believes(peer)) return std::string(peer);
  // Right to left: skip hops that are our own proxies; the first other
  // entry is the client as our outermost proxy saw it.
  std::string_view list = *forwarded_for;
  std::string_view client = peer;
  while (!list.empty()) {
    size_t comma = list.rfind(',');
    std::string_view item = TrimBlanks(comma == std::string_view::npos ? list : list.substr(comma + 1));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(0, comma);
    if (item.empty()) break;  // garbage written by someone: stop at the last hop we trust
    bool v6 = false;
    std::array<uint8_t, 16> bytes{};
    if (!ParseAddress(item, v6, bytes)) break;
    client = item;
    if (!proxies.Contains(item)) break;
  }
  return std::string(client);
}

}  // namespace hbf
