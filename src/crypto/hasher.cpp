#include "crypto/hasher.h"

#include <nettle/base64.h>
#include <nettle/hmac.h>
#include <nettle/md5.h>
#include <nettle/nettle-meta.h>
#include <nettle/version.h>
#include <nettle/ripemd160.h>
#include <nettle/sha1.h>
#include <nettle/sha2.h>
#include <nettle/sha3.h>

#include <algorithm>
#include <array>

namespace hbf::crypto {
namespace {

struct AlgorithmInfo {
  HashAlgorithm algorithm;
  std::string_view name;
  const nettle_hash* meta;
};

const std::array<AlgorithmInfo, 13> kAlgorithms = {{
    {HashAlgorithm::kMd5, "md5", &nettle_md5},
    {HashAlgorithm::kSha1, "sha1", &nettle_sha1},
    {HashAlgorithm::kSha224, "sha224", &nettle_sha224},
    {HashAlgorithm::kSha256, "sha256", &nettle_sha256},
    {HashAlgorithm::kSha384, "sha384", &nettle_sha384},
    {HashAlgorithm::kSha512, "sha512", &nettle_sha512},
    {HashAlgorithm::kSha512_224, "sha512-224", &nettle_sha512_224},
    {HashAlgorithm::kSha512_256, "sha512-256", &nettle_sha512_256},
    {HashAlgorithm::kSha3_224, "sha3-224", &nettle_sha3_224},
    {HashAlgorithm::kSha3_256, "sha3-256", &nettle_sha3_256},
    {HashAlgorithm::kSha3_384, "sha3-384", &nettle_sha3_384},
    {HashAlgorithm::kSha3_512, "sha3-512", &nettle_sha3_512},
    {HashAlgorithm::kRipemd160, "ripemd160", &nettle_ripemd160},
}};

// Every context fits the Hasher's fixed buffers (SHA3-224's is the largest:
// a 200-byte state and a 144-byte block).
constexpr size_t kLargestContext =
    std::max({sizeof(md5_ctx), sizeof(sha1_ctx), sizeof(sha256_ctx), sizeof(sha512_ctx), sizeof(sha3_224_ctx),
              sizeof(sha3_256_ctx), sizeof(sha3_384_ctx), sizeof(sha3_512_ctx), sizeof(ripemd160_ctx)});
static_assert(kLargestContext <= Hasher::kContextBytes, "a Nettle hash context does not fit Hasher's buffers");

const nettle_hash& Meta(HashAlgorithm algorithm) {
  for (const auto& a : kAlgorithms) {
    if (a.algorithm == algorithm) return *a.meta;
  }
  return nettle_sha256;  // unreachable: every enumerator is in the table
}

}  // namespace

std::array<char, 28> Sha1Base64(const uint8_t* data, size_t size) {
  sha1_ctx ctx;
  sha1_init(&ctx);
  if (size != 0) sha1_update(&ctx, size, data);
  std::array<uint8_t, SHA1_DIGEST_SIZE> digest;
  sha1_digest(&ctx, digest.size(), digest.data());
  std::array<char, 28> out;
  static_assert(BASE64_ENCODE_RAW_LENGTH(SHA1_DIGEST_SIZE) == 28);
  base64_encode_raw(out.data(), digest.size(), digest.data());
  return out;
}

std::optional<HashAlgorithm> HashAlgorithmByName(std::string_view name) {
  for (const auto& a : kAlgorithms) {
    if (a.name == name) return a.algorithm;
  }
  return std::nullopt;
}

size_t DigestSize(HashAlgorithm algorithm) { return Meta(algorithm).digest_size; }

Hasher Hasher::Hash(HashAlgorithm algorithm) {
  Hasher h(algorithm, false);
  Meta(algorithm).init(h.running_);
  return h;
}

Hasher Hasher::Hmac(HashAlgorithm algorithm, std::string_view key) {
  Hasher h(algorithm, true);
  hmac_set_key(h.outer_, h.inner_, h.running_, &Meta(algorithm), key.size(),
               reinterpret_cast<const uint8_t*>(key.data()));
  return h;
}

void Hasher::Update(const uint8_t* data, size_t size) {
  const nettle_hash& meta = Meta(algorithm_);
  if (hmac_) {
    hmac_update(running_, &meta, size, data);
  } else {
    meta.update(running_, size, data);
  }
}

std::string Hasher::Finish() {
  const nettle_hash& meta = Meta(algorithm_);
  std::string digest(meta.digest_size, '\0');
  auto* out = reinterpret_cast<uint8_t*>(digest.data());
  if (hmac_) {
    hmac_digest(outer_, inner_, running_, &meta, digest.size(), out);
  } else {
    meta.digest(running_, digest.size(), out);
  }
  return digest;
}

std::string NettleVersion() {
  return std::to_string(nettle_version_major()) + "." + std::to_string(nettle_version_minor());
}

}  // namespace hbf::crypto
