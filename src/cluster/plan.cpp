#include "cluster/plan.h"

#include <charconv>
#include <set>

namespace hbf::cluster {

Result<std::vector<RingNode>> ParseNodeList(const std::string& text) {
  std::vector<RingNode> nodes;
  std::set<std::string> seen;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    RingNode node;
    if (auto star = item.find('*'); star != std::string::npos) {
      const std::string w = item.substr(star + 1);
      auto [end, ec] = std::from_chars(w.data(), w.data() + w.size(), node.weight);
      if (ec != std::errc() || end != w.data() + w.size() || node.weight < 1 || node.weight > 1000) {
        return Error{"usage", "--nodes: bad weight in '" + item + "' (NAME*N, N from 1 to 1000)", 2};
      }
      item.resize(star);
    }
    if (item.empty()) return Error{"usage", "--nodes: empty node name in '" + text + "'", 2};
    if (!seen.insert(item).second) return Error{"usage", "--nodes: '" + item + "' is listed twice", 2};
    node.name = item;
    nodes.push_back(std::move(node));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return nodes;
}

std::vector<Placement> PlanMoves(const std::vector<std::string>& hashes, const std::string& base_domain,
                                 const std::vector<RingNode>& before, const std::vector<RingNode>& after) {
  const NginxHashRing old_ring(before);
  const NginxHashRing new_ring(after);
  std::vector<Placement> out;
  out.reserve(hashes.size());
  for (const std::string& hash : hashes) {
    Placement p;
    p.hash = hash;
    p.host = hash + "." + base_domain;
    p.from = old_ring.Owner(p.host);
    p.to = new_ring.Owner(p.host);
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace hbf::cluster
