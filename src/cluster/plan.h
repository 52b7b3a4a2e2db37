// Which henvs change nodes when the proxy's node list changes: the pure
// part of `hbf cluster plan` (src/cli/cluster_command.h reads the flags and
// the henv list, this decides, the command prints).
//
// Thread safety: free functions over values; no shared state.
#pragma once

#include <string>
#include <vector>

#include "cluster/nginx_ring.h"
#include "core/result.h"

namespace hbf::cluster {

// One henv's placement under the old and the new node lists.
struct Placement {
  std::string hash;  // the henv hash
  std::string host;  // {hash}.{base_domain}: the key nginx hashes ($host)
  std::string from;  // owner under the old list
  std::string to;    // owner under the new list (== from when it stays)
  bool moves() const { return from != to; }
};

// Parses "A,B,C": nginx server names as written in the upstream block; a
// server with `weight=N` there is written "NAME*N" here. Errors (code
// "usage", exit 2): an empty name, a name listed twice, a bad weight.
Result<std::vector<RingNode>> ParseNodeList(const std::string& text);

// The placements of `hashes` (sorted, as given) under `before` and `after`.
// REQUIRES: both lists non-empty.
std::vector<Placement> PlanMoves(const std::vector<std::string>& hashes, const std::string& base_domain,
                                 const std::vector<RingNode>& before, const std::vector<RingNode>& after);

}  // namespace hbf::cluster
