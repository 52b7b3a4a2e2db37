// Request ids (http/request_id.h): which incoming X-Request-Id values are
// kept, and the ids generated otherwise.
#include "http/request_id.h"

#include <gtest/gtest.h>

#include <set>

namespace hbf {
namespace {

TEST(RequestIdTest, ValidIdsAreShortAndPlain) {
  EXPECT_TRUE(IsValidRequestId("a"));
  EXPECT_TRUE(IsValidRequestId("abc-DEF_123.4:5"));
  EXPECT_TRUE(IsValidRequestId(std::string(128, 'x')));
  EXPECT_FALSE(IsValidRequestId(""));
  EXPECT_FALSE(IsValidRequestId(std::string(129, 'x')));
  for (const char* bad : {"a b", "a\tb", "a\r\nX-Evil: 1", "a/b", "a\"b", "a;b", "a,b", "é", "a\x01"}) {
    EXPECT_FALSE(IsValidRequestId(bad)) << bad;
  }
}

TEST(RequestIdTest, GeneratedIdsAreUniqueAndValid) {
  RequestIdGenerator a;
  RequestIdGenerator b;
  EXPECT_EQ(a.prefix().size(), 8u);
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string id = a.Next();
    EXPECT_TRUE(IsValidRequestId(id)) << id;
    EXPECT_EQ(id.rfind(a.prefix() + "-", 0), 0u) << id;
    EXPECT_TRUE(seen.insert(id).second) << id;
  }
  EXPECT_EQ(a.Next(), a.prefix() + "-3e9");  // the 1001st, in hex
  EXPECT_NE(a.prefix(), b.prefix()) << "random per generator (a 1 in 2^32 clash)";
}

TEST(RequestIdTest, OnlyATrustedProxysValidIdIsKept) {
  ProxyPolicy trusting;
  trusting.trust_proxy = true;
  auto proxies = TrustedProxies::Parse("127.0.0.0/8, 10.0.0.5");
  ASSERT_TRUE(proxies.ok());
  trusting.proxies = *proxies;
  ProxyPolicy not_trusting;
  not_trusting.proxies = trusting.proxies;  // --trust_proxy off
  const std::string incoming = "upstream-42";
  const std::string invalid = "bad id";
  EXPECT_EQ(ChooseRequestId(trusting, "127.0.0.1", &incoming, "gen"), "upstream-42");
  EXPECT_EQ(ChooseRequestId(trusting, "10.0.0.5", &incoming, "gen"), "upstream-42");
  EXPECT_EQ(ChooseRequestId(trusting, "10.0.0.6", &incoming, "gen"), "gen");
  EXPECT_EQ(ChooseRequestId(trusting, "127.0.0.1", &invalid, "gen"), "gen");
  EXPECT_EQ(ChooseRequestId(trusting, "127.0.0.1", nullptr, "gen"), "gen");
  EXPECT_EQ(ChooseRequestId(not_trusting, "127.0.0.1", &incoming, "gen"), "gen");
}

}  // namespace
}  // namespace hbf
