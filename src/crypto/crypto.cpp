#include "crypto/crypto.h"

#include <sodium.h>

namespace hbf::crypto {

bool InitializeCrypto() { return sodium_init() >= 0; }

Sha256Digest Sha256(std::string_view data) {
  Sha256Digest digest{};
  crypto_hash_sha256(digest.data(), reinterpret_cast<const unsigned char*>(data.data()), data.size());
  return digest;
}

std::string ToHex(const uint8_t* data, size_t size) {
  std::string out(size * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), data, size);
  out.pop_back();
  return out;
}

}  // namespace hbf::crypto
