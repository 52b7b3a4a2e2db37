// The ring nginx builds for `upstream { hash $host consistent; server A; ... }`
// (ngx_http_upstream_hash_module, "ketama"-compatible), so that HBF can say
// which node a Host is routed to without asking nginx: `hbf cluster plan`.
//
// How nginx builds it (and so how this does): each server, named exactly as
// written in the upstream block ("10.0.0.1:5309"), gets 160 points per unit of
// weight. The name is split at its last ':' when only digits follow (host,
// port); base = crc32 over host, one NUL byte, port. Point j is
// crc32(base bytes + the previous point's hash as 4 little-endian bytes), the
// first "previous" being 0. The points are sorted by hash; equal hashes keep
// one. A key (the Host, lower-cased, without port: nginx's $host) is hashed
// with crc32 and owned by the first point whose hash is >= it, wrapping to
// the first point.
//
// Limits: nginx reroutes a key to the next point while its owner is marked
// failed (max_fails) or down; HBF's configs set max_fails=0 and
// proxy_next_upstream off, so that never happens and this ring is the whole
// routing. Points with equal hashes are deduplicated after an unstable sort
// in nginx: which server keeps such a point is unspecified there (a 1 in
// 2^32 event per pair of points); here the earlier server in the list wins.
//
// Thread safety: immutable after construction; safe to share.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hbf::cluster {

// CRC-32 (IEEE 802.3, reflected, as zlib and nginx's ngx_crc32_long).
uint32_t Crc32(std::string_view bytes, uint32_t crc = 0);

struct RingNode {
  std::string name;  // as written after `server` in the upstream block
  int weight = 1;    // nginx's weight=N (1..)
};

class NginxHashRing {
 public:
  // REQUIRES: nodes non-empty, names distinct, weights >= 1.
  explicit NginxHashRing(std::vector<RingNode> nodes);

  // The node (an index into nodes()) owning `host`: lower-cased by the
  // caller as nginx's $host is (no port, no trailing dot).
  size_t OwnerIndex(std::string_view host) const;
  const std::string& Owner(std::string_view host) const { return nodes_[OwnerIndex(host)].name; }
  const std::vector<RingNode>& nodes() const { return nodes_; }
  size_t points() const { return points_.size(); }

 private:
  struct Point {
    uint32_t hash;
    uint32_t node;  // index into nodes_
  };
  std::vector<RingNode> nodes_;  // constant after construction
  std::vector<Point> points_;    // sorted by hash, distinct hashes
};

}  // namespace hbf::cluster
