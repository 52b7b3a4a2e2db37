// nginx's consistent-hash ring (src/cluster/nginx_ring.h) and the move plan.
// That the ring names the node real nginx routes to is checked against
// nginx itself in tests/blackbox/cluster_test.cpp.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "cluster/nginx_ring.h"
#include "cluster/plan.h"

namespace hbf::cluster {
namespace {

TEST(NginxRing, Crc32IsTheIeeeOne) {
  EXPECT_EQ(Crc32("123456789"), 0xCBF43926u);
  EXPECT_EQ(Crc32(""), 0u);
  EXPECT_EQ(Crc32("The quick brown fox jumps over the lazy dog"), 0x414FA339u);
}

TEST(NginxRing, OneHundredSixtyPointsPerWeight) {
  NginxHashRing ring({{"10.0.0.1:5309", 1}, {"10.0.0.2:5309", 2}});
  EXPECT_EQ(ring.points(), 480u);  // distinct hashes (a collision is 1 in 2^32 per pair)
}

TEST(NginxRing, RemovingANodeMovesOnlyItsHosts) {
  const std::vector<RingNode> three = {{"a:1", 1}, {"b:1", 1}, {"c:1", 1}};
  const std::vector<RingNode> two = {{"a:1", 1}, {"b:1", 1}};
  std::vector<std::string> hashes;
  for (int i = 0; i < 2000; ++i) hashes.push_back("h" + std::to_string(i));
  std::map<std::string, int> per_node;
  for (const Placement& p : PlanMoves(hashes, "example.com", three, two)) {
    ++per_node[p.from];
    if (p.moves()) {
      EXPECT_EQ(p.from, "c:1") << p.host;
    } else {
      EXPECT_NE(p.from, "c:1") << p.host;
    }
  }
  // Roughly even: each node holds a real share (not a timing or exact figure).
  for (const auto& [node, count] : per_node) EXPECT_GT(count, 300) << node;
}

TEST(NginxRing, AddingANodeMovesHostsOnlyToIt) {
  const std::vector<RingNode> three = {{"a:1", 1}, {"b:1", 1}, {"c:1", 1}};
  std::vector<RingNode> four = three;
  four.push_back({"d:1", 1});
  std::vector<std::string> hashes;
  for (int i = 0; i < 2000; ++i) hashes.push_back("k" + std::to_string(i));
  int moved = 0;
  for (const Placement& p : PlanMoves(hashes, "example.com", three, four)) {
    if (!p.moves()) continue;
    ++moved;
    EXPECT_EQ(p.to, "d:1");
  }
  EXPECT_GT(moved, 200);
  EXPECT_LT(moved, 1000);
}

TEST(NginxRing, TheHostKeyIncludesTheBaseDomain) {
  auto placements = PlanMoves({"5h9h66rt"}, "example.com", {{"a:1", 1}}, {{"a:1", 1}});
  ASSERT_EQ(placements.size(), 1u);
  EXPECT_EQ(placements[0].host, "5h9h66rt.example.com");
  EXPECT_FALSE(placements[0].moves());
}

TEST(NodeList, ParsesNamesAndWeights) {
  auto nodes = ParseNodeList("10.0.0.1:5309,10.0.0.2:5309*3");
  ASSERT_TRUE(nodes.ok());
  ASSERT_EQ(nodes->size(), 2u);
  EXPECT_EQ((*nodes)[1].name, "10.0.0.2:5309");
  EXPECT_EQ((*nodes)[1].weight, 3);
  EXPECT_FALSE(ParseNodeList("").ok());
  EXPECT_FALSE(ParseNodeList("a,,b").ok());
  EXPECT_FALSE(ParseNodeList("a,a").ok());
  EXPECT_FALSE(ParseNodeList("a*0").ok());
  EXPECT_FALSE(ParseNodeList("a*x").ok());
}

}  // namespace
}  // namespace hbf::cluster
