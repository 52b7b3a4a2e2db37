#include "cluster/nginx_ring.h"

#include <algorithm>
#include <array>

namespace hbf::cluster {
namespace {

constexpr std::array<uint32_t, 256> MakeCrcTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  return table;
}
constexpr std::array<uint32_t, 256> kCrcTable = MakeCrcTable();

// nginx's running form: init 0xffffffff, update, final xor.
uint32_t CrcUpdate(uint32_t running, std::string_view bytes) {
  for (char c : bytes) running = kCrcTable[(running ^ static_cast<unsigned char>(c)) & 0xff] ^ (running >> 8);
  return running;
}

}  // namespace

uint32_t Crc32(std::string_view bytes, uint32_t crc) { return CrcUpdate(crc ^ 0xffffffffu, bytes) ^ 0xffffffffu; }

NginxHashRing::NginxHashRing(std::vector<RingNode> nodes) : nodes_(std::move(nodes)) {
  for (uint32_t n = 0; n < nodes_.size(); ++n) {
    std::string_view server = nodes_[n].name;
    std::string_view host = server;
    std::string_view port;
    if (server.size() >= 5 && server.substr(0, 5) == "unix:") {
      host = server.substr(5);
    } else {
      // Split at the last ':' when only digits follow it.
      for (size_t j = 0; j < server.size(); ++j) {
        char c = server[server.size() - j - 1];
        if (c == ':') {
          host = server.substr(0, server.size() - j - 1);
          port = server.substr(server.size() - j);
          break;
        }
        if (c < '0' || c > '9') break;
      }
    }
    uint32_t base = 0xffffffffu;
    base = CrcUpdate(base, host);
    base = CrcUpdate(base, std::string_view("\0", 1));
    base = CrcUpdate(base, port);
    uint32_t prev = 0;
    const int count = nodes_[n].weight * 160;
    for (int j = 0; j < count; ++j) {
      const char le[4] = {static_cast<char>(prev & 0xff), static_cast<char>((prev >> 8) & 0xff),
                          static_cast<char>((prev >> 16) & 0xff), static_cast<char>((prev >> 24) & 0xff)};
      const uint32_t hash = CrcUpdate(base, std::string_view(le, 4)) ^ 0xffffffffu;
      points_.push_back(Point{hash, n});
      prev = hash;
    }
  }
  std::stable_sort(points_.begin(), points_.end(), [](const Point& a, const Point& b) { return a.hash < b.hash; });
  points_.erase(std::unique(points_.begin(), points_.end(), [](const Point& a, const Point& b) { return a.hash == b.hash; }),
                points_.end());
}

size_t NginxHashRing::OwnerIndex(std::string_view host) const {
  const uint32_t hash = Crc32(host);
  auto it = std::lower_bound(points_.begin(), points_.end(), hash,
                             [](const Point& p, uint32_t h) { return p.hash < h; });
  if (it == points_.end()) it = points_.begin();
  return it->node;
}

}  // namespace hbf::cluster
