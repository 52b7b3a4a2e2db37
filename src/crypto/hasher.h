// The Nettle adapter: streaming message digests and HMACs (MD5, SHA-1, the
// SHA-2 and SHA-3 families, RIPEMD-160) for scripts' `crypto.createHash` /
// `createHmac`. The only place in HBF that includes Nettle's headers.
//
// libsodium (crypto.h) has SHA-256/512 but not MD5, SHA-1 or SHA-384, which
// npm packages still ask for (uuid v3/v5, ETags, legacy signatures); Nettle
// has them all behind one generic descriptor (`struct nettle_hash`), so every
// algorithm and its HMAC goes through the same code here.
//
// Thread safety: a Hasher is a value with no shared state; use one from one
// thread at a time.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hbf::crypto {

enum class HashAlgorithm {
  kMd5,
  kSha1,
  kSha224,
  kSha256,
  kSha384,
  kSha512,
  kSha512_224,
  kSha512_256,
  kSha3_224,
  kSha3_256,
  kSha3_384,
  kSha3_512,
  kRipemd160,
};

// "md5", "sha1", "sha224", "sha256", "sha384", "sha512", "sha512-224",
// "sha512-256", "sha3-224", "sha3-256", "sha3-384", "sha3-512", "ripemd160"
// (exactly these spellings; callers map their own aliases); nullopt otherwise.
std::optional<HashAlgorithm> HashAlgorithmByName(std::string_view name);
size_t DigestSize(HashAlgorithm algorithm);

// A running hash or HMAC. Copyable (a copy continues independently from the
// same point, as Node's hash.copy()); owns no heap memory, so the caller
// decides where it lives (src/js places it in the script's counted heap).
class Hasher {
 public:
  static Hasher Hash(HashAlgorithm algorithm);
  // HMAC (RFC 2104) with `key` (any length; a key longer than the block size
  // is hashed first).
  static Hasher Hmac(HashAlgorithm algorithm, std::string_view key);

  void Update(const uint8_t* data, size_t size);
  void Update(std::string_view data) { Update(reinterpret_cast<const uint8_t*>(data.data()), data.size()); }

  // The digest (DigestSize bytes). The Hasher is then back at its start
  // (for an HMAC: the same key, no data), as Nettle leaves it.
  std::string Finish();

  HashAlgorithm algorithm() const { return algorithm_; }
  bool is_hmac() const { return hmac_; }

  // Room for the largest Nettle context HBF uses (SHA3-224's, checked in
  // hasher.cpp); an HMAC needs three (outer, inner, running).
  static constexpr size_t kContextBytes = 360;

 private:
  Hasher(HashAlgorithm algorithm, bool hmac) : algorithm_(algorithm), hmac_(hmac) {}

  HashAlgorithm algorithm_;
  bool hmac_;
  alignas(16) unsigned char running_[kContextBytes] = {};
  alignas(16) unsigned char outer_[kContextBytes] = {};
  alignas(16) unsigned char inner_[kContextBytes] = {};
};

// The SHA-1 of `data` in base64 (standard alphabet, padded: 27 characters
// and one '='), as the `etag` package puts it in an ETag. One call, no heap.
std::array<char, 28> Sha1Base64(const uint8_t* data, size_t size);

// The linked Nettle's version ("3.8"), for `hbf --version`.
std::string NettleVersion();

}  // namespace hbf::crypto
