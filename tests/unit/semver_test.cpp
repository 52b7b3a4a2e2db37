// documents/semver.h: npm's ranges as node-semver reads them (the cases
// below were checked against node-semver 7's `satisfies`).
#include "documents/semver.h"

#include <gtest/gtest.h>

#include <string>

namespace hbf::docs::semver {
namespace {

struct Case {
  const char* range;
  const char* version;
  bool expected;
};

TEST(Semver, RangesAsNpmReadsThem) {
  const Case cases[] = {
      {"1.2.3", "1.2.3", true},        {"1.2.3", "1.2.4", false},       {"=1.2.3", "1.2.3", true},
      {"v1.2.3", "1.2.3", true},       {"^1.2.3", "1.9.0", true},       {"^1.2.3", "2.0.0", false},
      {"^1.2.3", "1.2.2", false},      {"^0.2.3", "0.2.9", true},       {"^0.2.3", "0.3.0", false},
      {"^0.0.3", "0.0.3", true},       {"^0.0.3", "0.0.4", false},      {"^1.2", "1.2.0", true},
      {"^1.2", "1.1.9", false},        {"^0.0", "0.0.9", true},         {"^0.0", "0.1.0", false},
      {"^0", "0.9.9", true},           {"^0", "1.0.0", false},          {"^1.x", "1.5.0", true},
      {"~1.2.3", "1.2.9", true},       {"~1.2.3", "1.3.0", false},      {"~1.2", "1.2.0", true},
      {"~1", "1.9.9", true},           {"~1", "2.0.0", false},          {"~>1.2.3", "1.2.5", true},
      {"1.x", "1.4.0", true},          {"1.x", "2.0.0", false},         {"1.2.x", "1.2.7", true},
      {"1.2.X", "1.3.0", false},       {"*", "3.1.4", true},            {"", "0.0.1", true},
      {"x", "9.9.9", true},            {"1", "1.0.1", true},            {">=1.2.3", "1.2.3", true},
      {">=1.2.3", "1.2.2", false},     {">1.2.3", "1.2.3", false},      {">1.2", "1.2.9", false},
      {">1.2", "1.3.0", true},         {">1", "2.0.0", true},           {"<1.2.3", "1.2.2", true},
      {"<1.2", "1.1.9", true},         {"<1.2", "1.2.0", false},        {"<=1.2", "1.2.9", true},
      {"<=1.2", "1.3.0", false},       {"<=1.2.3", "1.2.3", true},      {">= 1.0.0 < 2", "1.5.0", true},
      {">=1.0.0 <2.0.0", "2.0.0", false}, {"1.2.3 - 2.3.4", "2.3.4", true}, {"1.2.3 - 2.3.4", "2.3.5", false},
      {"1.2 - 2.3", "2.3.9", true},    {"1.2 - 2.3", "1.1.9", false},   {"1.2.3 - 2", "2.9.9", true},
      {"1 || 3", "3.2.0", true},       {"1 || 3", "2.0.0", false},      {"^1.0.0 || ^2.0.0", "2.1.0", true},
      {">=2 <3 || >=4", "4.0.0", true}, {"^2.0.0 || ^3.0.0-beta", "3.0.0-beta.2", true},
      // Prereleases match only a comparator of the same release that names one.
      {"^1.2.3", "1.3.0-beta", false}, {"^1.2.3-beta.1", "1.2.3-beta.2", true},
      {"^1.2.3-beta.1", "1.2.4-beta", false}, {">=1.0.0-rc.1", "1.0.0-rc.10", true},
      {"*", "1.0.0-alpha", false},     {"1.2.3", "1.2.3+build.5", true},
  };
  for (const auto& c : cases) {
    auto got = Satisfies(c.version, c.range);
    ASSERT_TRUE(got.has_value()) << c.range;
    EXPECT_EQ(*got, c.expected) << c.version << " in \"" << c.range << "\"";
  }
}

TEST(Semver, NotARangeIsUnknownNotFalse) {
  for (const char* range : {"latest", "next", "git+https://example.invalid/a.git", "file:../a", "npm:other@^1",
                            "workspace:*", "user/repo", "1.2.3.4", "^a.b"}) {
    EXPECT_FALSE(Satisfies("1.0.0", range).has_value()) << range;
  }
  EXPECT_EQ(Satisfies("not-a-version", "^1.0.0"), false);
}

TEST(Semver, PrecedenceFollowsTheSpec) {
  const char* ordered[] = {"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
                           "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.1.0", "2.0.0"};
  for (size_t i = 0; i + 1 < std::size(ordered); ++i) {
    auto a = ParseVersion(ordered[i]);
    auto b = ParseVersion(ordered[i + 1]);
    ASSERT_TRUE(a && b) << ordered[i];
    EXPECT_LT(Compare(*a, *b), 0) << ordered[i] << " < " << ordered[i + 1];
    EXPECT_GT(Compare(*b, *a), 0);
  }
  EXPECT_FALSE(ParseVersion("1.2").has_value());
  EXPECT_FALSE(ParseVersion("1.2.x").has_value());
}

}  // namespace
}  // namespace hbf::docs::semver
