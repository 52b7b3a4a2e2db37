// Specification of the henv hash: the 8-character DNS-safe name of a henv.
#include "henv/henv_hash.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <string_view>

#include "crypto/crypto.h"

namespace hbf {
namespace {

using namespace std::string_literals;

class HenvHashTest : public testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_TRUE(crypto::InitializeCrypto()); }
};

bool AllBase36(const std::string& s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z'))) return false;
  }
  return true;
}

TEST_F(HenvHashTest, MatchesTheDocumentedVectors) {
  EXPECT_EQ(HenvHash("myapp"), "5h9h66rt");
  EXPECT_EQ(HenvHash("alice"), "ma3ys3gw");
  EXPECT_EQ(HenvHash("bob"), "rzslpxwp");
  EXPECT_EQ(HenvHash("hello world"), "n2azdcyx");
}

TEST_F(HenvHashTest, MatchesIndependentlyComputedVectors) {
  // sha256(name) as a big-endian integer mod 36^8, in base 36 (computed with Python).
  EXPECT_EQ(HenvHash(""), "xqqhkd3p");
  EXPECT_EQ(HenvHash("my app"), "oh9d5pwd");
}

TEST_F(HenvHashTest, SmallRemaindersAreLeftPaddedWithZeros) {
  EXPECT_EQ(HenvHash("app80"), "00gyx3v5");
}

TEST_F(HenvHashTest, IsCaseInsensitive) {
  EXPECT_EQ(HenvHash("MyApp"), "5h9h66rt");
  EXPECT_EQ(HenvHash("MYAPP"), "5h9h66rt");
  EXPECT_EQ(HenvHash("Hello World"), "n2azdcyx");
}

TEST_F(HenvHashTest, TrimsSurroundingWhitespace) {
  EXPECT_EQ(HenvHash("  MyApp\n"), "5h9h66rt");
  EXPECT_EQ(HenvHash("\tmyapp \r\n"), "5h9h66rt");
  EXPECT_EQ(HenvHash("\v\fbob\f\v"), "rzslpxwp");
}

TEST_F(HenvHashTest, KeepsInteriorWhitespace) {
  EXPECT_EQ(HenvHash("  hello world  "), "n2azdcyx");
  EXPECT_NE(HenvHash("hello  world"), "n2azdcyx");
  EXPECT_NE(HenvHash("helloworld"), "n2azdcyx");
}

TEST_F(HenvHashTest, WhitespaceOnlyNameHashesLikeTheEmptyName) {
  EXPECT_EQ(HenvHash("   \t\n"), HenvHash(""));
}

TEST_F(HenvHashTest, IsDeterministic) {
  for (int i = 0; i < 3; ++i) EXPECT_EQ(HenvHash("alice"), "ma3ys3gw");
}

TEST_F(HenvHashTest, HashesEveryByteOfTheName) {
  // Embedded NUL and non-ASCII bytes are part of the name, not terminators.
  EXPECT_NE(HenvHash("myapp\0x"s), HenvHash("myapp"));
  EXPECT_NE(HenvHash("caf\xC3\xA9"), HenvHash("caf"));
}

TEST_F(HenvHashTest, IsAlwaysEightBase36CharactersAndValid) {
  std::set<std::string> seen;
  for (int i = 0; i < 2000; ++i) {
    std::string name = "henv-" + std::to_string(i) + (i % 3 == 0 ? " Name" : "");
    std::string h = HenvHash(name);
    ASSERT_EQ(h.size(), kHenvHashLength) << name;
    ASSERT_TRUE(AllBase36(h)) << name << " -> " << h;
    ASSERT_TRUE(IsValidHenvHash(h)) << name << " -> " << h;
    seen.insert(h);
  }
  EXPECT_EQ(seen.size(), 2000u) << "distinct names should give distinct hashes";
}

TEST_F(HenvHashTest, OutputUsesTheWholeAlphabet) {
  std::set<char> chars;
  for (int i = 0; i < 500; ++i) {
    std::string name = "n";
    name += std::to_string(i);
    for (char c : HenvHash(name)) chars.insert(c);
  }
  EXPECT_EQ(chars.size(), 36u);
}

TEST_F(HenvHashTest, LongNamesStillGiveEightCharacters) {
  std::string h = HenvHash(std::string(100000, 'a'));
  EXPECT_EQ(h.size(), 8u);
  EXPECT_TRUE(IsValidHenvHash(h));
}

TEST(IsValidHenvHash, AcceptsEightLowercaseAlphanumerics) {
  EXPECT_TRUE(IsValidHenvHash("5h9h66rt"));
  EXPECT_TRUE(IsValidHenvHash("00000000"));
  EXPECT_TRUE(IsValidHenvHash("zzzzzzzz"));
  EXPECT_TRUE(IsValidHenvHash("abcdefgh"));
  EXPECT_TRUE(IsValidHenvHash("12345678"));
  EXPECT_TRUE(IsValidHenvHash("a0z9b8y7"));
}

TEST(IsValidHenvHash, RejectsWrongLengths) {
  EXPECT_FALSE(IsValidHenvHash(""));
  EXPECT_FALSE(IsValidHenvHash("5h9h66r"));
  EXPECT_FALSE(IsValidHenvHash("5h9h66rtx"));
  EXPECT_FALSE(IsValidHenvHash("a"));
}

TEST(IsValidHenvHash, RejectsUppercase) {
  EXPECT_FALSE(IsValidHenvHash("5H9H66RT"));
  EXPECT_FALSE(IsValidHenvHash("5h9h66rT"));
}

TEST(IsValidHenvHash, RejectsPunctuationWhitespaceAndBytesOutsideTheAlphabet) {
  for (const std::string& s : {"5h9h66r_"s, "5h9h66r-"s, "5h9h66r."s, "5h9h66r "s, " 5h9h66r"s, "5h9h66r\0"s,
                               "5h9h66r\n"s, "5h9h66r/"s, "5h9h66r:"s, "5h9h66r{"s, "5h9h66r`"s, "5h9h66r@"s,
                               "5h9h66r["s, "5h9h66\xC3\xA9"s}) {
    EXPECT_FALSE(IsValidHenvHash(s)) << testing::PrintToString(s);
  }
}

}  // namespace
}  // namespace hbf
