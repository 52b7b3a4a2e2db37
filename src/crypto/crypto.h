// The libsodium adapter: the only place in HBF that includes <sodium.h>.
//
// Thread safety: every function is safe from any thread once
// InitializeCrypto() has returned (called once, early, on the main thread).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hbf::crypto {

// REQUIRES: called before any other function here. Returns false if the
// library could not initialise (the process should not serve then).
bool InitializeCrypto();

using Sha256Digest = std::array<uint8_t, 32>;
Sha256Digest Sha256(std::string_view data);
std::string Sha256Hex(std::string_view data);
Sha256Digest HmacSha256(std::string_view key, std::string_view message);

std::string ToHex(const uint8_t* data, size_t size);
std::string RandomBytes(size_t n);
// A random token of `bytes` bytes, base64url-encoded (no padding).
std::string RandomToken(size_t bytes);

std::string Base64UrlEncode(std::string_view data);  // no padding
std::optional<std::string> Base64UrlDecode(std::string_view text);  // padding optional
std::string Base64Encode(std::string_view data);  // standard alphabet, padded
std::optional<std::string> Base64Decode(std::string_view text);

// Constant-time equality (length is not secret).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// Argon2id password hashing, PHC string format ($argon2id$v=19$m=...,t=...).
// Cost: t=2, m=64 MiB (libsodium's INTERACTIVE; ~95 ms on the dev machine).
// At most one hash per core runs at once, bounding memory to 64 MiB x cores;
// further callers wait, served fairly by `fairness_key` (a henv's hash):
// each freed slot goes to the next key in turn, so a flood of logins on one
// henv delays another henv's login by about one hash, not by the flood.
// Returns nullopt only when memory cannot be had.
std::optional<std::string> HashPassword(std::string_view password, std::string_view fairness_key = {});
bool VerifyPassword(std::string_view phc_hash, std::string_view password, std::string_view fairness_key = {});

// The linked libsodium's version, for `hbf --version`.
std::string SodiumVersion();

}  // namespace hbf::crypto
