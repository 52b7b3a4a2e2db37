// Users, sessions, signing keys and config of one henv, in its database.
//
// Every function takes the henv's Database and must be called with exclusive
// use of it (inside Henv::WithDb). Passwords are stored as Argon2id PHC
// strings, session tokens only as SHA-256 hex.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/result.h"
#include "db/database.h"

namespace hbf::auth {

enum class Role { kOwner, kAdmin, kUser };
const char* RoleName(Role role);
std::optional<Role> ParseRole(std::string_view name);

struct User {
  int64_t id = 0;
  std::string username;
  std::string email;
  Role role = Role::kUser;
  bool enabled = true;
  int64_t created_at = 0;
  int64_t modified_at = 0;
};
Json UserToJson(const User& user);  // never includes the password hash

// ---- users
// `password_hash` is a PHC string (crypto::HashPassword). 409 "user_exists".
Result<User> CreateUser(db::Database& db, const std::string& username, const std::string& password_hash,
                        const std::string& email, Role role);
Result<std::optional<User>> FindUserById(db::Database& db, int64_t id);
// Returns the user and their password hash.
Result<std::optional<std::pair<User, std::string>>> FindUserForLogin(db::Database& db, const std::string& username);
Result<std::vector<User>> ListUsers(db::Database& db);

struct UserChanges {
  std::optional<std::string> email;
  std::optional<Role> role;
  std::optional<bool> enabled;
  std::optional<std::string> password_hash;
};
Status UpdateUser(db::Database& db, int64_t id, const UserChanges& changes);
Status DeleteUser(db::Database& db, int64_t id);
// Removes every session of a user (disable, password change).
Status DeleteSessionsOfUser(db::Database& db, int64_t user_id);

// ---- signing keys (DECISIONS.md §3)
struct SigningKey {
  std::string kid;
  std::string secret;
};
// The key new tokens are signed with; creates the first one if none exists.
Result<SigningKey> CurrentSigningKey(db::Database& db);
// Adds a new current key; the previous ones keep verifying until
// `grace_seconds` after their retirement (the longest a token can live).
Result<SigningKey> RotateSigningKey(db::Database& db, int64_t now);
// The secret for `kid` if it may still verify tokens at `now`.
Result<std::optional<std::string>> VerificationKey(db::Database& db, const std::string& kid, int64_t now,
                                                    int64_t grace_seconds);

// ---- sessions
Status CreateSession(db::Database& db, int64_t user_id, const std::string& token_hash, int64_t expires_at);
struct SessionRow {
  int64_t id = 0;
  int64_t expires_at = 0;
  int64_t last_used = 0;
  User user;
};
Result<std::optional<SessionRow>> FindSession(db::Database& db, const std::string& token_hash);
Status TouchSession(db::Database& db, int64_t session_id, int64_t now);
Status DeleteSession(db::Database& db, const std::string& token_hash);
Status DeleteExpiredSessions(db::Database& db, int64_t now);
// Sessions not expired at `now` (GET /_api/metrics).
Result<int64_t> CountActiveSessions(db::Database& db, int64_t now);

// ---- config
Result<std::optional<std::string>> GetConfig(db::Database& db, const std::string& key);
Status SetConfig(db::Database& db, const std::string& key, const std::string& value);
// An integer config value, or `fallback` when absent or not a number.
int64_t GetConfigInt(db::Database& db, const std::string& key, int64_t fallback);

}  // namespace hbf::auth
