// Specification of HBF's JWTs (src/auth/jwt): HS256 only, a kid naming the
// key, strict verification.
#include "auth/jwt.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/crypto.h"
#include "storage_test_util.h"

namespace hbf::auth {
namespace {

using testing_storage::Describe;
using testing_storage::IsError;

constexpr int64_t kNow = 1'900'000'000;
const std::string kSecret = "an-hs256-secret-of-some-length-0123456789";

// A key lookup that knows exactly one key.
KeyLookup OneKey(const std::string& kid, const std::string& secret) {
  return [kid, secret](const std::string& asked) -> std::optional<std::string> {
    if (asked == kid) return secret;
    return std::nullopt;
  };
}

Json Claims(int64_t exp = kNow + 3600) {
  return Json::MakeObject({{"sub", "42"}, {"user_hash", "abcd1234"}, {"role", "user"}, {"exp", exp}});
}

std::vector<std::string> Split(std::string_view token) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    size_t dot = token.find('.', start);
    parts.emplace_back(token.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return parts;
}

std::string MacOf(std::string_view secret, std::string_view signing_input) {
  auto mac = crypto::HmacSha256(secret, signing_input);
  return crypto::Base64UrlEncode(std::string_view(reinterpret_cast<const char*>(mac.data()), mac.size()));
}

// A token with an arbitrary header, correctly HMAC-SHA256 signed with
// `secret`, so that only the header can be what a verifier objects to.
std::string CraftToken(const std::string& header_json, const std::string& claims_json, std::string_view secret) {
  std::string input = crypto::Base64UrlEncode(header_json) + "." + crypto::Base64UrlEncode(claims_json);
  return input + "." + MacOf(secret, input);
}

Result<Json> Verify(std::string_view token, int64_t now = kNow) {
  return VerifyJwt(token, OneKey("k1", kSecret), now);
}

TEST(JwtTest, SignThenVerifyReturnsTheClaims) {
  Json claims = Claims();
  std::string token = SignJwt(claims, "k1", kSecret);
  auto verified = Verify(token);
  ASSERT_TRUE(verified.ok()) << Describe(verified);
  EXPECT_EQ(*verified, claims);
  EXPECT_EQ(verified->find("sub")->as_string(), "42");
}

TEST(JwtTest, TokenIsThreeBase64UrlPartsWithAnHs256Header) {
  std::string token = SignJwt(Claims(), "k1", kSecret);
  auto parts = Split(token);
  ASSERT_EQ(parts.size(), 3u);
  for (const auto& part : parts) {
    EXPECT_EQ(part.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
              std::string::npos)
        << part;
  }
  auto header_text = crypto::Base64UrlDecode(parts[0]);
  ASSERT_TRUE(header_text.has_value());
  auto header = Json::Parse(*header_text);
  ASSERT_TRUE(header.ok());
  ASSERT_TRUE(header->is_object());
  EXPECT_EQ(header->find("alg")->as_string(), "HS256");
  EXPECT_EQ(header->find("typ")->as_string(), "JWT");
  EXPECT_EQ(header->find("kid")->as_string(), "k1");

  auto payload_text = crypto::Base64UrlDecode(parts[1]);
  ASSERT_TRUE(payload_text.has_value());
  auto payload = Json::Parse(*payload_text);
  ASSERT_TRUE(payload.ok());
  EXPECT_EQ(*payload, Claims());

  // The signature is HMAC-SHA256 over "header.payload" (RFC 7515).
  EXPECT_EQ(parts[2], MacOf(kSecret, parts[0] + "." + parts[1]));
}

TEST(JwtTest, VerifyAsksTheLookupForTheHeadersKid) {
  std::string token = SignJwt(Claims(), "key-7", kSecret);
  std::vector<std::string> asked;
  KeyLookup keys = [&](const std::string& kid) -> std::optional<std::string> {
    asked.push_back(kid);
    return kSecret;
  };
  EXPECT_TRUE(VerifyJwt(token, keys, kNow).ok());
  EXPECT_EQ(asked, (std::vector<std::string>{"key-7"}));
}

// ---------------------------------------------------------------- rejections

TEST(JwtTest, TamperedPayloadIsRejected) {
  std::string token = SignJwt(Claims(), "k1", kSecret);
  auto parts = Split(token);
  Json escalated = Json::MakeObject({{"sub", "1"}, {"user_hash", "abcd1234"}, {"role", "owner"}, {"exp", kNow + 3600}});
  std::string forged = parts[0] + "." + crypto::Base64UrlEncode(escalated.dump()) + "." + parts[2];
  EXPECT_TRUE(IsError(Verify(forged), "unauthorized", 401));
}

TEST(JwtTest, TamperedSignatureIsRejected) {
  std::string token = SignJwt(Claims(), "k1", kSecret);
  auto parts = Split(token);
  std::string sig = parts[2];
  sig[0] = sig[0] == 'A' ? 'B' : 'A';  // the first character carries six full bits
  EXPECT_TRUE(IsError(Verify(parts[0] + "." + parts[1] + "." + sig), "unauthorized", 401));
  // A truncated signature too.
  EXPECT_TRUE(IsError(Verify(parts[0] + "." + parts[1] + "." + parts[2].substr(0, 40)), "unauthorized", 401));
}

TEST(JwtTest, WrongSecretIsRejected) {
  std::string token = SignJwt(Claims(), "k1", "some-other-secret");
  EXPECT_TRUE(IsError(Verify(token), "unauthorized", 401));
}

TEST(JwtTest, UnknownKidIsRejected) {
  std::string token = SignJwt(Claims(), "k2", kSecret);  // right secret, unknown name
  EXPECT_TRUE(IsError(Verify(token), "unauthorized", 401));
}

TEST(JwtTest, AlgNoneWithAnEmptySignatureIsRejected) {
  std::string input = crypto::Base64UrlEncode(R"({"alg":"none","typ":"JWT","kid":"k1"})") + "." +
                      crypto::Base64UrlEncode(Claims().dump());
  EXPECT_TRUE(IsError(Verify(input + "."), "unauthorized", 401));
  // Even with a valid HMAC attached.
  EXPECT_TRUE(IsError(Verify(input + "." + MacOf(kSecret, input)), "unauthorized", 401));
}

TEST(JwtTest, OtherAlgorithmsAreRejectedEvenWhenTheMacIsRight) {
  for (const char* alg : {"HS512", "RS256", "ES256", "hs256", "HS256 ", ""}) {
    std::string header = std::string(R"({"alg":")") + alg + R"(","typ":"JWT","kid":"k1"})";
    EXPECT_TRUE(IsError(Verify(CraftToken(header, Claims().dump(), kSecret)), "unauthorized", 401)) << alg;
  }
  // The control: the same construction with HS256 verifies.
  EXPECT_TRUE(Verify(CraftToken(R"({"alg":"HS256","typ":"JWT","kid":"k1"})", Claims().dump(), kSecret)).ok());
}

TEST(JwtTest, NonStringAlgIsRejected) {
  EXPECT_TRUE(IsError(Verify(CraftToken(R"({"alg":["HS256"],"kid":"k1"})", Claims().dump(), kSecret)),
                      "unauthorized", 401));
  EXPECT_TRUE(IsError(Verify(CraftToken(R"({"kid":"k1"})", Claims().dump(), kSecret)), "unauthorized", 401));
}

TEST(JwtTest, MissingOrNonStringKidIsRejected) {
  EXPECT_TRUE(IsError(Verify(CraftToken(R"({"alg":"HS256","typ":"JWT"})", Claims().dump(), kSecret)),
                      "unauthorized", 401));
  EXPECT_TRUE(IsError(Verify(CraftToken(R"({"alg":"HS256","kid":1})", Claims().dump(), kSecret)), "unauthorized",
                      401));
}

TEST(JwtTest, ExpiryIsStrict) {
  std::string token = SignJwt(Claims(kNow + 10), "k1", kSecret);
  EXPECT_TRUE(Verify(token, kNow + 9).ok());
  EXPECT_TRUE(IsError(Verify(token, kNow + 10), "unauthorized", 401));  // exp <= now
  EXPECT_TRUE(IsError(Verify(token, kNow + 11), "unauthorized", 401));
}

TEST(JwtTest, MissingOrNonIntegerExpIsRejected) {
  Json no_exp = Json::MakeObject({{"sub", "42"}});
  EXPECT_TRUE(IsError(Verify(SignJwt(no_exp, "k1", kSecret)), "unauthorized", 401));
  Json text_exp = Json::MakeObject({{"sub", "42"}, {"exp", std::to_string(kNow + 3600)}});
  EXPECT_TRUE(IsError(Verify(SignJwt(text_exp, "k1", kSecret)), "unauthorized", 401));
  Json real_exp = Json::MakeObject({{"sub", "42"}, {"exp", static_cast<double>(kNow) + 3600.5}});
  EXPECT_TRUE(IsError(Verify(SignJwt(real_exp, "k1", kSecret)), "unauthorized", 401));
}

TEST(JwtTest, ClaimsThatAreNotAnObjectAreRejected) {
  const std::string header = R"({"alg":"HS256","typ":"JWT","kid":"k1"})";
  EXPECT_TRUE(IsError(Verify(CraftToken(header, "[1,2]", kSecret)), "unauthorized", 401));
  EXPECT_TRUE(IsError(Verify(CraftToken(header, "not json", kSecret)), "unauthorized", 401));
  EXPECT_TRUE(IsError(Verify(CraftToken("not json", Claims().dump(), kSecret)), "unauthorized", 401));
}

TEST(JwtTest, WrongNumberOfSegmentsIsRejected) {
  std::string token = SignJwt(Claims(), "k1", kSecret);
  auto parts = Split(token);
  EXPECT_TRUE(IsError(Verify(parts[0] + "." + parts[1]), "unauthorized", 401));
  EXPECT_TRUE(IsError(Verify(token + "." + parts[2]), "unauthorized", 401));
  EXPECT_TRUE(IsError(Verify(token + "."), "unauthorized", 401));
  EXPECT_TRUE(IsError(Verify(parts[0]), "unauthorized", 401));
  EXPECT_TRUE(IsError(Verify(""), "unauthorized", 401));
  EXPECT_TRUE(IsError(Verify(".."), "unauthorized", 401));
}

TEST(JwtTest, NonBase64GarbageIsRejected) {
  EXPECT_TRUE(IsError(Verify("!!!.@@@.###"), "unauthorized", 401));
  EXPECT_TRUE(IsError(Verify("not a token"), "unauthorized", 401));
  std::string token = SignJwt(Claims(), "k1", kSecret);
  auto parts = Split(token);
  // Standard-alphabet characters are not base64url.
  EXPECT_TRUE(IsError(Verify(parts[0] + "+/." + parts[1] + "." + parts[2]), "unauthorized", 401));
  EXPECT_TRUE(IsError(Verify(parts[0] + "." + parts[1] + "." + parts[2] + "*"), "unauthorized", 401));
}

TEST(JwtTest, OversizedTokenIsRejectedEvenIfValid) {
  Json big = Claims();
  big.set("padding", std::string(7000, 'p'));
  std::string large = SignJwt(big, "k1", kSecret);
  ASSERT_LT(large.size(), 10000u);
  ASSERT_GT(large.size(), 8192u);
  EXPECT_TRUE(IsError(Verify(large), "unauthorized", 401));

  Json fits = Claims();
  fits.set("padding", std::string(4000, 'p'));
  std::string ok = SignJwt(fits, "k1", kSecret);
  ASSERT_LT(ok.size(), 8192u);
  EXPECT_TRUE(Verify(ok).ok()) << "a token under the limit must still verify";

  EXPECT_TRUE(IsError(Verify(std::string(100000, 'a')), "unauthorized", 401));
}

TEST(JwtTest, TheLookupIsNotAskedForAHeaderThatFailsFirst) {
  int calls = 0;
  KeyLookup counting = [&](const std::string&) -> std::optional<std::string> {
    ++calls;
    return kSecret;
  };
  std::string none = crypto::Base64UrlEncode(R"({"alg":"none","kid":"k1"})") + "." +
                     crypto::Base64UrlEncode(Claims().dump()) + ".";
  EXPECT_FALSE(VerifyJwt(none, counting, kNow).ok());
  EXPECT_EQ(calls, 0);
}

}  // namespace
}  // namespace hbf::auth
