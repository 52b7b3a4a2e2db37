#include "auth/auth_store.h"

#include "crypto/crypto.h"
#include "henv/henv_manager.h"

namespace hbf::auth {
namespace {

constexpr const char* kUserColumns = "id, username, COALESCE(email, ''), role, enabled, created_at, modified_at";

User ReadUser(const db::Statement& s, int first) {
  User u;
  u.id = s.Int(first);
  u.username = s.Text(first + 1);
  u.email = s.Text(first + 2);
  u.role = ParseRole(s.Text(first + 3)).value_or(Role::kUser);
  u.enabled = s.Int(first + 4) != 0;
  u.created_at = s.Int(first + 5);
  u.modified_at = s.Int(first + 6);
  return u;
}

}  // namespace

const char* RoleName(Role role) {
  switch (role) {
    case Role::kOwner: return "owner";
    case Role::kAdmin: return "admin";
    case Role::kUser: return "user";
  }
  return "user";
}

std::optional<Role> ParseRole(std::string_view name) {
  if (name == "owner") return Role::kOwner;
  if (name == "admin") return Role::kAdmin;
  if (name == "user") return Role::kUser;
  return std::nullopt;
}

Json UserToJson(const User& user) {
  return Json::MakeObject({
      {"id", user.id},
      {"username", user.username},
      {"email", user.email.empty() ? Json() : Json(user.email)},
      {"role", RoleName(user.role)},
      {"enabled", user.enabled},
      {"created_at", user.created_at},
      {"modified_at", user.modified_at},
  });
}

Result<User> CreateUser(db::Database& db, const std::string& username, const std::string& password_hash,
                        const std::string& email, Role role) {
  auto stmt = db.Prepare("INSERT INTO _hbf_users (username, password_hash, email, role) VALUES (?, ?, ?, ?)");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, username).Bind(2, password_hash);
  stmt->Bind(3, email.empty() ? db::Value(db::Null{}) : db::Value(email)).Bind(4, std::string(RoleName(role)));
  if (auto s = stmt->Run(); !s.ok()) {
    if (s.error().code == "constraint") return Error{"user_exists", "user " + username + " already exists", 409};
    return s.error();
  }
  auto user = FindUserById(db, db.LastInsertRowId());
  if (!user.ok()) return user.error();
  if (!user->has_value()) return Error::Internal("user vanished after insert");
  return **user;
}

Result<std::optional<User>> FindUserById(db::Database& db, int64_t id) {
  auto stmt = db.Prepare(std::string("SELECT ") + kUserColumns + " FROM _hbf_users WHERE id = ?");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, id);
  auto row = stmt->Step();
  if (!row.ok()) return row.error();
  if (!*row) return std::optional<User>();
  return std::optional<User>(ReadUser(*stmt, 0));
}

Result<std::optional<std::pair<User, std::string>>> FindUserForLogin(db::Database& db, const std::string& username) {
  auto stmt = db.Prepare(std::string("SELECT ") + kUserColumns + ", password_hash FROM _hbf_users WHERE username = ?");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, username);
  auto row = stmt->Step();
  if (!row.ok()) return row.error();
  using Found = std::optional<std::pair<User, std::string>>;
  if (!*row) return Found();
  return Found(std::make_pair(ReadUser(*stmt, 0), stmt->Text(7)));
}

Result<std::vector<User>> ListUsers(db::Database& db) {
  auto stmt = db.Prepare(std::string("SELECT ") + kUserColumns + " FROM _hbf_users ORDER BY id");
  if (!stmt.ok()) return stmt.error();
  std::vector<User> users;
  for (;;) {
    auto row = stmt->Step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    users.push_back(ReadUser(*stmt, 0));
  }
  return users;
}

Status UpdateUser(db::Database& db, int64_t id, const UserChanges& changes) {
  auto stmt = db.Prepare(
      "UPDATE _hbf_users SET email = COALESCE(:email, email), role = COALESCE(:role, role), "
      "enabled = COALESCE(:enabled, enabled), password_hash = COALESCE(:password_hash, password_hash), "
      "modified_at = unixepoch() WHERE id = :id");
  if (!stmt.ok()) return stmt.error();
  auto opt = [](const auto& v) -> db::Value { return v ? db::Value(*v) : db::Value(db::Null{}); };
  (void)stmt->BindNamed(":email", opt(changes.email));
  (void)stmt->BindNamed(":role", changes.role ? db::Value(std::string(RoleName(*changes.role))) : db::Value(db::Null{}));
  (void)stmt->BindNamed(":enabled", changes.enabled ? db::Value(int64_t{*changes.enabled ? 1 : 0}) : db::Value(db::Null{}));
  (void)stmt->BindNamed(":password_hash", opt(changes.password_hash));
  if (auto s = stmt->BindNamed(":id", id); !s.ok()) return s;
  return stmt->Run();
}

Status DeleteUser(db::Database& db, int64_t id) {
  auto stmt = db.Prepare("DELETE FROM _hbf_users WHERE id = ?");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, id);
  return stmt->Run();
}

Status DeleteSessionsOfUser(db::Database& db, int64_t user_id) {
  auto stmt = db.Prepare("DELETE FROM _hbf_sessions WHERE user_id = ?");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, user_id);
  return stmt->Run();
}

Result<SigningKey> CurrentSigningKey(db::Database& db) {
  auto stmt = db.Prepare(
      "SELECT kid, secret FROM _hbf_signing_keys WHERE retired_at IS NULL ORDER BY created_at DESC, rowid DESC "
      "LIMIT 1");
  if (!stmt.ok()) return stmt.error();
  auto row = stmt->Step();
  if (!row.ok()) return row.error();
  if (*row) {
    auto secret = stmt->BlobValue(1);
    return SigningKey{stmt->Text(0), std::string(secret.begin(), secret.end())};
  }
  stmt = db::Statement();  // release before writing
  SigningKey key{crypto::RandomToken(9), crypto::RandomBytes(32)};
  auto insert = db.Prepare("INSERT INTO _hbf_signing_keys (kid, secret) VALUES (?, ?)");
  if (!insert.ok()) return insert.error();
  insert->Bind(1, key.kid).Bind(2, db::Blob(key.secret.begin(), key.secret.end()));
  if (auto s = insert->Run(); !s.ok()) return s.error();
  return key;
}

Result<SigningKey> RotateSigningKey(db::Database& db, int64_t now) {
  auto retire = db.Prepare("UPDATE _hbf_signing_keys SET retired_at = ? WHERE retired_at IS NULL");
  if (!retire.ok()) return retire.error();
  retire->Bind(1, now);
  if (auto s = retire->Run(); !s.ok()) return s.error();
  return CurrentSigningKey(db);
}

Result<std::optional<std::string>> VerificationKey(db::Database& db, const std::string& kid, int64_t now,
                                                    int64_t grace_seconds) {
  auto stmt = db.Prepare("SELECT secret, retired_at FROM _hbf_signing_keys WHERE kid = ?");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, kid);
  auto row = stmt->Step();
  if (!row.ok()) return row.error();
  if (!*row) return std::optional<std::string>();
  if (!stmt->IsNull(1) && stmt->Int(1) + grace_seconds <= now) return std::optional<std::string>();
  auto secret = stmt->BlobValue(0);
  return std::optional<std::string>(std::string(secret.begin(), secret.end()));
}

Status CreateSession(db::Database& db, int64_t user_id, const std::string& token_hash, int64_t expires_at) {
  auto stmt = db.Prepare("INSERT INTO _hbf_sessions (user_id, token_hash, expires_at) VALUES (?, ?, ?)");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, user_id).Bind(2, token_hash).Bind(3, expires_at);
  return stmt->Run();
}

Result<std::optional<SessionRow>> FindSession(db::Database& db, const std::string& token_hash) {
  auto stmt = db.Prepare(
      "SELECT s.id, s.expires_at, s.last_used, u.id, u.username, COALESCE(u.email, ''), u.role, u.enabled, "
      "u.created_at, u.modified_at FROM _hbf_sessions s JOIN _hbf_users u ON u.id = s.user_id "
      "WHERE s.token_hash = ?");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, token_hash);
  auto row = stmt->Step();
  if (!row.ok()) return row.error();
  if (!*row) return std::optional<SessionRow>();
  SessionRow session;
  session.id = stmt->Int(0);
  session.expires_at = stmt->Int(1);
  session.last_used = stmt->Int(2);
  session.user = ReadUser(*stmt, 3);
  return std::optional<SessionRow>(std::move(session));
}

Status TouchSession(db::Database& db, int64_t session_id, int64_t now) {
  auto stmt = db.Prepare("UPDATE _hbf_sessions SET last_used = ? WHERE id = ?");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, now).Bind(2, session_id);
  return stmt->Run();
}

Status DeleteSession(db::Database& db, const std::string& token_hash) {
  auto stmt = db.Prepare("DELETE FROM _hbf_sessions WHERE token_hash = ?");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, token_hash);
  return stmt->Run();
}

Status DeleteExpiredSessions(db::Database& db, int64_t now) {
  auto stmt = db.Prepare("DELETE FROM _hbf_sessions WHERE expires_at <= ?");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, now);
  return stmt->Run();
}

Result<int64_t> CountActiveSessions(db::Database& db, int64_t now) {
  auto stmt = db.Prepare("SELECT count(*) FROM _hbf_sessions WHERE expires_at > ?");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, now);
  auto row = stmt->Step();
  if (!row.ok()) return row.error();
  return *row ? stmt->Int(0) : 0;
}

Result<std::optional<std::string>> GetConfig(db::Database& db, const std::string& key) {
  auto stmt = db.Prepare("SELECT value FROM _hbf_config WHERE key = ?");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, key);
  auto row = stmt->Step();
  if (!row.ok()) return row.error();
  if (!*row) return std::optional<std::string>();
  return std::optional<std::string>(stmt->Text(0));
}

Status SetConfig(db::Database& db, const std::string& key, const std::string& value) {
  auto stmt = db.Prepare(
      "INSERT INTO _hbf_config (key, value) VALUES (?, ?) "
      "ON CONFLICT(key) DO UPDATE SET value = excluded.value, modified_at = unixepoch()");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, key).Bind(2, value);
  return stmt->Run();
}

int64_t GetConfigInt(db::Database& db, const std::string& key, int64_t fallback) {
  auto value = GetConfig(db, key);
  if (!value.ok() || !value->has_value()) return fallback;
  return ParseSettingInt(**value).value_or(fallback);
}

}  // namespace hbf::auth
