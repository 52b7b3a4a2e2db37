// Who is making a request to a henv: token extraction and verification.
//
// A token is accepted from `Authorization: Bearer <jwt>` or from the session
// cookie set by login: `__Host-hbf_session` over https (a name browsers
// refuse to let any other host set, so a sibling henv cannot toss one in),
// `hbf_session` over plain http. When several session cookies arrive (one
// tossed in by a page on a sibling host with Domain=), each is tried and
// the one valid for this henv wins. It is valid only if its signature
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
#include <string_view>
#include <vector>

#include "auth/auth_store.h"
#include "core/result.h"
#include "henv/henv_manager.h"

namespace hbf::auth {

inline constexpr const char* kSessionCookie = "hbf_session";
inline constexpr const char* kSecureSessionCookie = "__Host-hbf_session";

struct AuthContext {
  User user;
  std::string token_hash;
  int64_t session_id = 0;
  int64_t expires_at = 0;
  bool via_cookie = false;  // authenticated by a session cookie (not a Bearer token)
};

// What a request offers to prove who it is.
struct RequestCredentials {
  std::optional<std::string> bearer;    // Authorization: Bearer
  std::vector<std::string> cookies;     // session cookie values, __Host- first (at most 8)
  bool empty() const { return !bearer && cookies.empty(); }
};

// From an Authorization header value and a Cookie header value (either may
// be null).
RequestCredentials ExtractCredentials(const std::string* authorization, const std::string* cookie);

// True when `name` is one of HBF's session cookie names, whatever the case.
bool IsSessionCookieName(std::string_view name);

// Verifies `token` for henv `henv`. `now` is Unix seconds.
Result<AuthContext> Authenticate(Henv& henv, const std::string& token, int64_t now);
// The Bearer token when there is one (only it); else the first session
// cookie that verifies. The error is the last one seen.
Result<AuthContext> Authenticate(Henv& henv, const RequestCredentials& credentials, int64_t now);

// Issues a token and its session for `user`. Returns {token, expires_at}.
Result<std::pair<std::string, int64_t>> IssueToken(Henv& henv, const User& user, int64_t now);
// As IssueToken, on a connection the caller holds (a worker's).
Result<std::pair<std::string, int64_t>> IssueTokenOn(db::Database& db, const std::string& henv_hash, const User& user,
                                                     int64_t now);

// How long sessions live in this henv (session_lifetime_hours), in seconds.
int64_t SessionLifetimeSeconds(db::Database& db);

}  // namespace hbf::auth
