#include "auth/authenticator.h"

#include <cctype>

#include "auth/jwt.h"
#include "crypto/crypto.h"

namespace hbf::auth {
namespace {

constexpr int64_t kTouchIntervalSeconds = 60;  // coalesce last_used writes

Error Unauthorized(std::string message) { return Error{"unauthorized", std::move(message), 401}; }

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

int64_t SessionLifetimeSeconds(db::Database& db) {
  int64_t hours = GetConfigInt(db, "session_lifetime_hours", 168);
  if (hours <= 0 || hours > 24 * 365) hours = 168;
  return hours * 3600;
}

bool IsSessionCookieName(std::string_view name) {
  auto equals = [&](std::string_view want) {
    if (name.size() != want.size()) return false;
    for (size_t i = 0; i < name.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(name[i])) != std::tolower(static_cast<unsigned char>(want[i]))) {
        return false;
      }
    }
    return true;
  };
  return equals(kSessionCookie) || equals(kSecureSessionCookie) || equals("__Secure-hbf_session");
}

RequestCredentials ExtractCredentials(const std::string* authorization, const std::string* cookie) {
  constexpr size_t kMaxCookies = 8;
  RequestCredentials out;
  if (authorization != nullptr) {
    std::string_view v = TrimSpaces(*authorization);
    // The scheme name is case-insensitive (RFC 9110 §11.1).
    auto lower = [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); };
    if (v.size() > 7 && v[6] == ' ' && lower(v[0]) == 'b' && lower(v[1]) == 'e' && lower(v[2]) == 'a' &&
        lower(v[3]) == 'r' && lower(v[4]) == 'e' && lower(v[5]) == 'r') {
      std::string_view token = TrimSpaces(v.substr(7));
      if (!token.empty()) out.bearer = std::string(token);
    }
  }
  if (cookie != nullptr) {
    std::vector<std::string> plain;
    std::string_view rest = *cookie;
    while (!rest.empty()) {
      size_t semi = rest.find(';');
      std::string_view pair = TrimSpaces(rest.substr(0, semi));
      size_t eq = pair.find('=');
      if (eq != std::string_view::npos) {
        std::string_view name = TrimSpaces(pair.substr(0, eq));
        std::string_view value = TrimSpaces(pair.substr(eq + 1));
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
        if (!value.empty() && out.cookies.size() + plain.size() < kMaxCookies) {
          if (name == kSecureSessionCookie) out.cookies.emplace_back(value);
          else if (name == kSessionCookie) plain.emplace_back(value);
        }
      }
      if (semi == std::string_view::npos) break;
      rest.remove_prefix(semi + 1);
    }
    for (auto& v : plain) out.cookies.push_back(std::move(v));
  }
  return out;
}

Result<AuthContext> Authenticate(Henv& henv, const RequestCredentials& credentials, int64_t now) {
  if (credentials.bearer) return Authenticate(henv, *credentials.bearer, now);
  Error last = Unauthorized("log in first (Authorization: Bearer or the session cookie)");
  for (const std::string& token : credentials.cookies) {
    auto r = Authenticate(henv, token, now);
    if (r.ok()) {
      r->via_cookie = true;
      return r;
    }
    last = r.error();
  }
  return last;
}

Result<AuthContext> Authenticate(Henv& henv, const std::string& token, int64_t now) {
  return henv.WithDb([&](db::Database& db) -> Result<AuthContext> {
    const int64_t grace = SessionLifetimeSeconds(db);
    Status key_error = Ok{};
    KeyLookup keys = [&](const std::string& kid) -> std::optional<std::string> {
      auto key = VerificationKey(db, kid, now, grace);
      if (!key.ok()) {
        key_error = key.error();
        return std::nullopt;
      }
      return *key;
    };
    auto claims = VerifyJwt(token, keys, now);
    if (!key_error.ok()) return key_error.error();
    if (!claims.ok()) return claims.error();

    const Json* user_hash = claims->find("user_hash");
    if (user_hash == nullptr || !user_hash->is_string() ||
        !crypto::ConstantTimeEquals(user_hash->as_string(), henv.hash())) {
      return Unauthorized("token was issued for another henv");
    }

    std::string token_hash = crypto::Sha256Hex(token);
    auto session = FindSession(db, token_hash);
    if (!session.ok()) return session.error();
    if (!session->has_value()) return Unauthorized("session has been revoked");
    SessionRow& row = **session;
    if (row.expires_at <= now) return Unauthorized("session expired");
    if (!row.user.enabled) return Unauthorized("user is disabled");
    const Json* sub = claims->find("sub");
    if (sub == nullptr || !sub->is_string() || sub->as_string() != std::to_string(row.user.id)) {
      return Unauthorized("token subject does not match its session");
    }
    if (now - row.last_used >= kTouchIntervalSeconds) (void)TouchSession(db, row.id, now);
    return AuthContext{row.user, std::move(token_hash), row.id, row.expires_at};
  });
}

Result<std::pair<std::string, int64_t>> IssueToken(Henv& henv, const User& user, int64_t now) {
  return henv.WithDb([&](db::Database& db) { return IssueTokenOn(db, henv.hash(), user, now); });
}

Result<std::pair<std::string, int64_t>> IssueTokenOn(db::Database& db, const std::string& henv_hash, const User& user,
                                                     int64_t now) {
  const int64_t expires_at = now + SessionLifetimeSeconds(db);
  auto key = CurrentSigningKey(db);
  if (!key.ok()) return key.error();
  Json claims = Json::MakeObject({
      {"sub", std::to_string(user.id)},
      {"user_hash", henv_hash},
      {"role", RoleName(user.role)},
      {"iat", now},
      {"exp", expires_at},
      {"jti", crypto::RandomToken(12)},
  });
  std::string token = SignJwt(claims, key->kid, key->secret);
  if (auto s = CreateSession(db, user.id, crypto::Sha256Hex(token), expires_at); !s.ok()) return s.error();
  return std::make_pair(std::move(token), expires_at);
}

}  // namespace hbf::auth
