#include "henv/henv_hash.h"

#include <cctype>
#include <cstdint>

#include "crypto/crypto.h"

namespace hbf {

std::string HenvHash(std::string_view name) {
  // Trim ASCII whitespace, then lowercase.
  size_t begin = 0;
  size_t end = name.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(name[begin]))) ++begin;
  while (end > begin && std::isspace(static_cast<unsigned char>(name[end - 1]))) --end;
  std::string normalized(name.substr(begin, end - begin));
  for (char& c : normalized) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));

  auto digest = crypto::Sha256(normalized);

  // The 8 least-significant base-36 digits of N are N mod 36^8; fold the
  // big-endian digest into that remainder. 36^8 * 256 < 2^64, so no overflow.
  constexpr uint64_t kModulus = 2821109907456ULL;  // 36^8
  uint64_t remainder = 0;
  for (uint8_t byte : digest) remainder = (remainder * 256 + byte) % kModulus;

  static constexpr char kAlphabet[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string out(kHenvHashLength, '0');
  for (size_t i = kHenvHashLength; i-- > 0;) {
    out[i] = kAlphabet[remainder % 36];
    remainder /= 36;
  }
  return out;
}

bool IsValidHenvHash(std::string_view s) {
  if (s.size() != kHenvHashLength) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z'))) return false;
  }
  return true;
}

}  // namespace hbf
