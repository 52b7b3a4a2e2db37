// Who is making a request to a henv: token extraction and verification.
//
// A token is accepted from `Authorization: Bearer <jwt>` or from the
// `hbf_session` cookie set by login. It is valid only if its signature
// verifies with one of the henv's keys (HS256 only), it has not expired, its
// user_hash claim names this henv, its session row still exists (SHA-256 of
// the token; logout deletes it) and its user is enabled. Each failure is a
// 401 "unauthorized" with a message saying which check failed.
//
// Thread safety: stateless; the Henv serialises database access.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "auth/auth_store.h"
#include "core/result.h"
#include "henv/henv_manager.h"

namespace hbf::auth {

inline constexpr const char* kSessionCookie = "hbf_session";

struct AuthContext {
  User user;
  std::string token_hash;
  int64_t session_id = 0;
  int64_t expires_at = 0;
};

// The token from an Authorization header value or a Cookie header value
// (either may be null). Bearer wins when both are present.
std::optional<std::string> ExtractToken(const std::string* authorization, const std::string* cookie);

// Verifies `token` for henv `henv`. `now` is Unix seconds.
Result<AuthContext> Authenticate(Henv& henv, const std::string& token, int64_t now);

// Issues a token and its session for `user`. Returns {token, expires_at}.
Result<std::pair<std::string, int64_t>> IssueToken(Henv& henv, const User& user, int64_t now);

// How long sessions live in this henv (session_lifetime_hours), in seconds.
int64_t SessionLifetimeSeconds(db::Database& db);

}  // namespace hbf::auth
