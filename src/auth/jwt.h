// JSON Web Tokens, HS256 only (RFC 7519 / RFC 7515 compact form).
//
// Verification is strict: exactly three base64url parts, a header whose alg
// is exactly "HS256" (so "none" and every other algorithm are refused), a
// kid that names a known key, a signature compared in constant time, and an
// unexpired exp. Everything else about the claims is the caller's business.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/json.h"
#include "core/result.h"

namespace hbf::auth {

// Signs `claims` with `secret`, naming the key `kid` in the header.
std::string SignJwt(const Json& claims, std::string_view kid, std::string_view secret);

// Returns the secret for a kid, or nullopt when the key is unknown/retired.
using KeyLookup = std::function<std::optional<std::string>(const std::string& kid)>;

// Verifies a token and returns its claims. Failures are 401 "unauthorized"
// with a message saying what was wrong. `now` is Unix seconds.
Result<Json> VerifyJwt(std::string_view token, const KeyLookup& keys, int64_t now);

}  // namespace hbf::auth
