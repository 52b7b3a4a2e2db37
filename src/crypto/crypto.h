// The libsodium adapter: the only place in HBF that includes <sodium.h>.
//
// Thread safety: every function is safe from any thread once
// InitializeCrypto() has returned (called once, early, on the main thread).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace hbf::crypto {

// REQUIRES: called before any other function here. Returns false if the
// library could not initialise (the process should not serve then).
bool InitializeCrypto();

using Sha256Digest = std::array<uint8_t, 32>;
Sha256Digest Sha256(std::string_view data);
std::string ToHex(const uint8_t* data, size_t size);

}  // namespace hbf::crypto
