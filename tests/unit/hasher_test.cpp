// crypto::Hasher (Nettle) against published test vectors: RFC 1321 (MD5),
// FIPS 180-2 (SHA-1, SHA-2), FIPS 202 (SHA-3), RIPEMD-160's authors'
// vectors, RFC 2202 and RFC 4231 (HMAC).
#include "crypto/hasher.h"

#include <gtest/gtest.h>

#include <string>

#include "crypto/crypto.h"

namespace hbf::crypto {
namespace {

std::string Hex(const std::string& bytes) {
  return ToHex(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

std::string HashHex(HashAlgorithm algorithm, const std::string& data) {
  Hasher h = Hasher::Hash(algorithm);
  h.Update(data);
  return Hex(h.Finish());
}

std::string HmacHex(HashAlgorithm algorithm, const std::string& key, const std::string& data) {
  Hasher h = Hasher::Hmac(algorithm, key);
  h.Update(data);
  return Hex(h.Finish());
}

TEST(HasherTest, NamesAndSizes) {
  EXPECT_EQ(HashAlgorithmByName("md5"), HashAlgorithm::kMd5);
  EXPECT_EQ(HashAlgorithmByName("sha512-256"), HashAlgorithm::kSha512_256);
  EXPECT_EQ(HashAlgorithmByName("ripemd160"), HashAlgorithm::kRipemd160);
  EXPECT_FALSE(HashAlgorithmByName("MD5"));  // callers map aliases and case
  EXPECT_FALSE(HashAlgorithmByName("whirlpool"));
  EXPECT_FALSE(HashAlgorithmByName(""));
  EXPECT_EQ(DigestSize(HashAlgorithm::kMd5), 16u);
  EXPECT_EQ(DigestSize(HashAlgorithm::kSha1), 20u);
  EXPECT_EQ(DigestSize(HashAlgorithm::kSha384), 48u);
  EXPECT_EQ(DigestSize(HashAlgorithm::kSha3_512), 64u);
}

TEST(HasherTest, Sha1Base64IsTheDigestInPaddedBase64) {
  const auto b64 = [](std::string_view data) {
    const auto out = Sha1Base64(reinterpret_cast<const uint8_t*>(data.data()), data.size());
    return std::string(out.data(), out.size());
  };
  EXPECT_EQ(b64(""), "2jmj7l5rSw0yVb/vlWAYkK/YBwk=");
  EXPECT_EQ(b64("abc"), "qZk+NkcGgWq6PiVxeFDCbJzQ2J0=");
  EXPECT_EQ(b64(std::string(1000, 'x')), "w++mkPo/3S4lJoU+7WcFOOoSdjg=");
  EXPECT_EQ(Sha1Base64(nullptr, 0)[0], '2');  // (an empty body may come without a pointer)
}

TEST(HasherTest, KnownDigests) {
  EXPECT_EQ(HashHex(HashAlgorithm::kMd5, ""), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(HashHex(HashAlgorithm::kMd5, "abc"), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(HashHex(HashAlgorithm::kMd5, "message digest"), "f96b697d7cb7938d525a2f31aaf161d0");
  EXPECT_EQ(HashHex(HashAlgorithm::kSha1, "abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(HashHex(HashAlgorithm::kSha1, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  EXPECT_EQ(HashHex(HashAlgorithm::kSha224, "abc"), "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7");
  EXPECT_EQ(HashHex(HashAlgorithm::kSha256, "abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(HashHex(HashAlgorithm::kSha384, "abc"),
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7");
  EXPECT_EQ(HashHex(HashAlgorithm::kSha512, "abc"),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
            "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
  EXPECT_EQ(HashHex(HashAlgorithm::kSha512_256, "abc"),
            "53048e2681941ef99b2e29b76b4c7dabe4c2d0c634fc6d46e0e2f13107e7af23");
  EXPECT_EQ(HashHex(HashAlgorithm::kSha3_256, ""), "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a");
  EXPECT_EQ(HashHex(HashAlgorithm::kSha3_224, "abc"), "e642824c3f8cf24ad09234ee7d3c766fc9a3a5168d0c94ad73b46fdf");
  EXPECT_EQ(HashHex(HashAlgorithm::kRipemd160, "abc"), "8eb208f7e05d987a9b044a8e98c6b087f15a0bfc");
}

TEST(HasherTest, StreamingEqualsOneShotAndCopiesAreIndependent) {
  Hasher h = Hasher::Hash(HashAlgorithm::kSha1);
  std::string million(1000, 'a');
  for (int i = 0; i < 1000; ++i) h.Update(million);
  EXPECT_EQ(Hex(h.Finish()), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");  // FIPS 180-2 appendix A.3

  Hasher a = Hasher::Hash(HashAlgorithm::kSha384);
  a.Update("ab");
  Hasher b = a;  // continues independently from "ab"
  b.Update("c");
  EXPECT_EQ(Hex(b.Finish()), HashHex(HashAlgorithm::kSha384, "abc"));
  EXPECT_EQ(Hex(a.Finish()), HashHex(HashAlgorithm::kSha384, "ab"));
  // After Finish the hasher starts over.
  a.Update("abc");
  EXPECT_EQ(Hex(a.Finish()), HashHex(HashAlgorithm::kSha384, "abc"));
}

TEST(HasherTest, Hmacs) {
  // RFC 2202 cases 1, 2 and 6 (a key longer than the block is hashed first).
  EXPECT_EQ(HmacHex(HashAlgorithm::kSha1, std::string(20, '\x0b'), "Hi There"),
            "b617318655057264e28bc0b6fb378c8ef146be00");
  EXPECT_EQ(HmacHex(HashAlgorithm::kSha1, "Jefe", "what do ya want for nothing?"),
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
  EXPECT_EQ(
      HmacHex(HashAlgorithm::kSha1, std::string(80, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First"),
      "aa4ae5e15272d00e95705637ce8a3b55ed402112");
  EXPECT_EQ(HmacHex(HashAlgorithm::kMd5, "Jefe", "what do ya want for nothing?"), "750c783e6ab0b503eaa86e310a5db738");
  // RFC 4231 case 2.
  EXPECT_EQ(HmacHex(HashAlgorithm::kSha256, "Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(HmacHex(HashAlgorithm::kSha384, "Jefe", "what do ya want for nothing?"),
            "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649");
  // The same key, reused after Finish (pbkdf2 relies on it), and agreement with libsodium's HMAC-SHA256.
  Hasher mac = Hasher::Hmac(HashAlgorithm::kSha256, "key");
  mac.Update("first");
  (void)mac.Finish();
  mac.Update("second");
  auto sodium = HmacSha256("key", "second");
  EXPECT_EQ(Hex(mac.Finish()), ToHex(sodium.data(), sodium.size()));
}

}  // namespace
}  // namespace hbf::crypto
