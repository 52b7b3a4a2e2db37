// A henv's authentication endpoints: login/logout, the caller, signing-key
// rotation and user management (owner/admin).
#include <charconv>

#include "app/app.h"
#include "app/request_util.h"
#include "auth/auth_store.h"
#include "crypto/crypto.h"

namespace hbf {
namespace {

HttpResponse Forbidden(std::string message) { return HttpResponse::ErrorBody(403, "forbidden", message); }

// A PHC hash to verify against when the user does not exist, so that a
// login for an unknown name costs what one for a known name does.
const std::string& DecoyPasswordHash() {
  static const std::string decoy = crypto::HashPassword(crypto::RandomToken(16)).value_or("");
  return decoy;
}

}  // namespace

Result<auth::AuthContext> App::RequireUser(const HttpRequest& request, Henv& henv) const {
  auto credentials = auth::ExtractCredentials(request.header("authorization"), request.header("cookie"));
  if (credentials.empty()) return Error{"unauthorized", "log in first (Authorization: Bearer or the session cookie)", 401};
  return auth::Authenticate(henv, credentials, clocks_.unix_seconds());
}

Result<auth::AuthContext> App::RequireAdmin(const HttpRequest& request, Henv& henv) const {
  auto caller = RequireUser(request, henv);
  if (!caller.ok()) return caller;
  if (caller->user.role == auth::Role::kUser) return Error{"forbidden", "owner or admin only", 403};
  return caller;
}

Result<auth::AuthContext> App::RequireOwner(const HttpRequest& request, Henv& henv) const {
  auto caller = RequireUser(request, henv);
  if (!caller.ok()) return caller;
  if (caller->user.role != auth::Role::kOwner) return Error{"forbidden", "the henv's owner only", 403};
  return caller;
}

void App::NoteWrite(Henv& henv) const {
  int64_t now = clocks_.unix_seconds();
  if (!henv.ShouldStampActivity(now)) return;
  henv.WithDb([&](db::Database& db) { (void)auth::SetConfig(db, "last_activity_ts", std::to_string(now)); });
}

Result<App::Session> App::StartSession(const std::string& username, const std::string& password,
                                       const RequestContext& ctx, Henv& henv, int64_t& retry_after) {
  retry_after = 0;
  // Throttle before any password work, so an attack cannot buy CPU: per
  // account (whoever guesses) and per client address (whichever account it
  // guesses, on any henv). Each attempt counts from the moment it starts, so
  // parallel guesses are refused before they are hashed.
  const std::string account_key = auth::LoginThrottle::Key(henv.hash(), username, "");
  const std::string address_key = auth::LoginThrottle::Key("", "", ctx.client_ip);
  auto too_many = [&](int64_t wait) {
    retry_after = wait;
    return Error{"too_many_attempts", "too many failed logins; retry in " + std::to_string(wait) + " s", 429};
  };
  if (int64_t wait = address_throttle_.BeginAttempt(address_key); wait > 0) return too_many(wait);
  if (int64_t wait = throttle_.BeginAttempt(account_key); wait > 0) {
    address_throttle_.Forgive(address_key);  // refused before any work: not a guess
    return too_many(wait);
  }

  auto found = henv.WithDb([&](db::Database& db) { return auth::FindUserForLogin(db, username); });
  if (!found.ok()) return found.error();
  // Argon2 runs outside the henv's lock: it takes ~100 ms. A disabled
  // account is answered like a wrong password, whatever the password, so
  // it is no oracle for the password (nor for whether it is disabled).
  const std::string& phc = found->has_value() ? (*found)->second : DecoyPasswordHash();
  bool password_ok = crypto::VerifyPassword(phc, password, henv.hash()) && found->has_value() &&
                     (*found)->first.enabled;
  if (!password_ok) return Error{"invalid_credentials", "wrong username or password", 401};
  const auth::User& user = (*found)->first;
  throttle_.RecordSuccess(account_key);
  address_throttle_.Forgive(address_key);
  return IssueSession(user, henv);
}

Result<App::Session> App::IssueSession(const auth::User& user, Henv& henv) {
  const int64_t now = clocks_.unix_seconds();
  auto issued = auth::IssueToken(henv, user, now);
  if (!issued.ok()) return issued.error();
  // Sessions end by expiring; logins are where their rows are swept (an
  // indexed delete), so a henv's session table does not grow without bound.
  henv.WithDb([&](db::Database& db) { (void)auth::DeleteExpiredSessions(db, now); });
  NoteWrite(henv);
  return Session{user, issued->first, issued->second, issued->second - now};
}

HttpResponse App::Login(const HttpRequest& request, const RequestContext& ctx, Henv& henv) {
  auto creds = ParseCredentials(request);
  if (!creds.ok()) return HttpResponse::FromError(creds.error());
  int64_t retry_after = 0;
  auto session = StartSession(creds->username, creds->password, ctx, henv, retry_after);
  if (!session.ok()) {
    HttpResponse r = HttpResponse::FromError(session.error());
    if (retry_after > 0) r.set_header("Retry-After", std::to_string(retry_after));
    return r;
  }
  HttpResponse r = HttpResponse::JsonBody(200, Json::MakeObject({{"token", session->token},
                                                                 {"expires_at", session->expires_at},
                                                                 {"user", auth::UserToJson(session->user)}}));
  r.set_header("Set-Cookie", SessionCookie(session->token, session->max_age, ctx.scheme == "https"));
  r.set_header("Cache-Control", "no-store");
  r.log.user_id = std::to_string(session->user.id);
  return r;
}

HttpResponse App::Logout(const HttpRequest& request, const RequestContext& ctx, Henv& henv) {
  auto caller = RequireUser(request, henv);
  if (!caller.ok()) return HttpResponse::FromError(caller.error());
  auto deleted = henv.WithDb([&](db::Database& db) { return auth::DeleteSession(db, caller->token_hash); });
  if (!deleted.ok()) return HttpResponse::FromError(deleted.error());
  NoteWrite(henv);
  HttpResponse r = HttpResponse::JsonBody(200, Json::MakeObject({{"logged_out", true}}));
  r.set_header("Set-Cookie", ClearedSessionCookie(ctx.scheme == "https"));
  r.log.user_id = std::to_string(caller->user.id);
  return r;
}

HttpResponse App::Me(const HttpRequest& request, Henv& henv) {
  auto caller = RequireUser(request, henv);
  if (!caller.ok()) return HttpResponse::FromError(caller.error());
  HttpResponse r = HttpResponse::JsonBody(
      200, Json::MakeObject({{"user", auth::UserToJson(caller->user)},
                             {"henv", henv.hash()},
                             {"session_expires_at", caller->expires_at}}));
  r.set_header("Cache-Control", "no-store");
  r.log.user_id = std::to_string(caller->user.id);
  return r;
}

HttpResponse App::RotateKeys(const HttpRequest& request, Henv& henv) {
  auto caller = RequireAdmin(request, henv);
  if (!caller.ok()) return HttpResponse::FromError(caller.error());
  auto key = henv.WithDb([&](db::Database& db) -> Result<auth::SigningKey> {
    auto tx = db::Transaction::Begin(db);
    if (!tx.ok()) return tx.error();
    auto k = auth::RotateSigningKey(db, clocks_.unix_seconds());
    if (!k.ok()) return k;
    if (auto s = tx->Commit(); !s.ok()) return s.error();
    return k;
  });
  if (!key.ok()) return HttpResponse::FromError(key.error());
  NoteWrite(henv);
  Audit(henv, *caller, "keys.rotate", "signing_key:" + key->kid, Json(Json::Object{}));
  HttpResponse r = HttpResponse::JsonBody(200, Json::MakeObject({{"kid", key->kid}}));
  r.log.user_id = std::to_string(caller->user.id);
  return r;
}

Result<auth::User> App::CreateAccount(const Credentials& creds, bool role_allowed, Henv& henv) {
  auto email = OptionalString(creds.body, "email");
  if (!email.ok()) return email.error();
  auto role_name = OptionalString(creds.body, "role");
  if (!role_name.ok()) return role_name.error();
  if (!IsValidUserName(creds.username)) {
    return InvalidField("username", "must be 3-63 characters of a-z, 0-9, '.', '_', '-'");
  }
  if (auto problem = PasswordProblem(creds.password); !problem.empty()) return InvalidField("password", problem);
  if (email->has_value() && !(*email)->empty() && !IsPlausibleEmail(**email)) {
    return InvalidField("email", "is not an email address");
  }
  auth::Role role = auth::Role::kUser;
  if (role_name->has_value() && !role_allowed) {
    if (**role_name != "user") return InvalidField("role", "is chosen by the app's owner, not at signup");
  } else if (role_name->has_value()) {
    auto parsed = auth::ParseRole(**role_name);
    if (!parsed || *parsed == auth::Role::kOwner) return InvalidField("role", "must be 'admin' or 'user'");
    role = *parsed;
  }
  auto hash = crypto::HashPassword(creds.password, henv.hash());
  if (!hash) return Error{"busy", "cannot hash the password right now; retry", 503};
  return henv.WithDb(
      [&](db::Database& db) { return auth::CreateUser(db, creds.username, *hash, email->value_or(""), role); });
}

HttpResponse App::Users(const HttpRequest& request, Henv& henv, std::string_view rest) {
  auto caller = RequireAdmin(request, henv);
  if (!caller.ok()) return HttpResponse::FromError(caller.error());
  const std::string& method = request.method;
  HttpResponse r;

  if (rest.empty() || rest == "/") {
    if (method == "GET" || method == "HEAD") {
      auto users = henv.WithDb([](db::Database& db) { return auth::ListUsers(db); });
      if (!users.ok()) return HttpResponse::FromError(users.error());
      Json::Array list;
      for (const auto& u : *users) list.push_back(auth::UserToJson(u));
      r = HttpResponse::JsonBody(200, Json::MakeObject({{"users", Json(std::move(list))}}));
    } else if (method == "POST") {
      auto creds = ParseCredentials(request);
      if (!creds.ok()) return HttpResponse::FromError(creds.error());
      auto user = CreateAccount(*creds, /*role_allowed=*/true, henv);
      if (!user.ok()) return HttpResponse::FromError(user.error());
      NoteWrite(henv);
      Audit(henv, *caller, "user.create", "user:" + std::to_string(user->id),
            Json::MakeObject({{"username", user->username}, {"role", auth::RoleName(user->role)}}));
      r = HttpResponse::JsonBody(201, Json::MakeObject({{"user", auth::UserToJson(*user)}}));
    } else {
      return MethodNotAllowed("GET, HEAD, POST");
    }
    r.log.user_id = std::to_string(caller->user.id);
    return r;
  }

  // /_api/users/{id}
  std::string_view id_text = rest.substr(1);
  int64_t id = 0;
  auto [end, ec] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
  if (ec != std::errc() || end != id_text.data() + id_text.size() || id <= 0) {
    return HttpResponse::ErrorBody(404, "not_found", "no such user");
  }
  auto target = henv.WithDb([&](db::Database& db) { return auth::FindUserById(db, id); });
  if (!target.ok()) return HttpResponse::FromError(target.error());
  if (!target->has_value()) return HttpResponse::ErrorBody(404, "not_found", "no user " + std::to_string(id));
  const auth::User& user = **target;
  const bool target_is_owner = user.role == auth::Role::kOwner;

  if (method == "GET" || method == "HEAD") {
    r = HttpResponse::JsonBody(200, Json::MakeObject({{"user", auth::UserToJson(user)}}));
  } else if (method == "PATCH") {
    auto body = ParseObjectBody(request);
    if (!body.ok()) return HttpResponse::FromError(body.error());
    if (target_is_owner && caller->user.role != auth::Role::kOwner) return Forbidden("only the owner may change the owner");
    auth::UserChanges changes;
    auto email = OptionalString(*body, "email");
    if (!email.ok()) return HttpResponse::FromError(email.error());
    if (email->has_value()) {
      if (!(*email)->empty() && !IsPlausibleEmail(**email)) return HttpResponse::FromError(InvalidField("email", "is not an email address"));
      changes.email = **email;
    }
    auto role_name = OptionalString(*body, "role");
    if (!role_name.ok()) return HttpResponse::FromError(role_name.error());
    if (role_name->has_value()) {
      auto parsed = auth::ParseRole(**role_name);
      if (!parsed) return HttpResponse::FromError(InvalidField("role", "must be 'admin' or 'user'"));
      if (target_is_owner && *parsed != auth::Role::kOwner) return Forbidden("the owner cannot be demoted");
      if (!target_is_owner && *parsed == auth::Role::kOwner) return Forbidden("there is exactly one owner");
      changes.role = *parsed;
    }
    if (const Json* enabled = body->find("enabled"); enabled != nullptr && !enabled->is_null()) {
      if (!enabled->is_bool()) return HttpResponse::FromError(InvalidField("enabled", "must be true or false"));
      if (target_is_owner && !enabled->as_bool()) return Forbidden("the owner cannot be disabled");
      changes.enabled = enabled->as_bool();
    }
    auto password = OptionalString(*body, "password");
    if (!password.ok()) return HttpResponse::FromError(password.error());
    if (password->has_value()) {
      if (auto problem = PasswordProblem(**password); !problem.empty()) {
        return HttpResponse::FromError(InvalidField("password", problem));
      }
      auto hash = crypto::HashPassword(**password, henv.hash());
      if (!hash) return HttpResponse::ErrorBody(503, "busy", "cannot hash the password right now; retry");
      changes.password_hash = *hash;
    }
    const bool revoke = changes.password_hash.has_value() || (changes.enabled.has_value() && !*changes.enabled);
    auto updated = henv.WithDb([&](db::Database& db) -> Result<std::optional<auth::User>> {
      auto tx = db::Transaction::Begin(db);
      if (!tx.ok()) return tx.error();
      if (auto s = auth::UpdateUser(db, id, changes); !s.ok()) return s.error();
      // A new password or a disabled account ends every session of that user.
      if (revoke) {
        if (auto s = auth::DeleteSessionsOfUser(db, id); !s.ok()) return s.error();
      }
      auto u = auth::FindUserById(db, id);
      if (!u.ok()) return u;
      if (auto s = tx->Commit(); !s.ok()) return s.error();
      return u;
    });
    if (!updated.ok()) return HttpResponse::FromError(updated.error());
    NoteWrite(henv);
    Json details = Json(Json::Object{});
    if (changes.email) details.set("email", *changes.email);
    if (changes.role) details.set("role", auth::RoleName(*changes.role));
    if (changes.enabled) details.set("enabled", *changes.enabled);
    if (changes.password_hash) details.set("password", "<changed>");
    Audit(henv, *caller, "user.update", "user:" + std::to_string(id), details);
    r = HttpResponse::JsonBody(200, Json::MakeObject({{"user", auth::UserToJson(updated->value_or(user))}}));
  } else if (method == "DELETE") {
    if (target_is_owner) return Forbidden("the owner cannot be deleted");
    auto deleted = henv.WithDb([&](db::Database& db) { return auth::DeleteUser(db, id); });
    if (!deleted.ok()) return HttpResponse::FromError(deleted.error());
    NoteWrite(henv);
    Audit(henv, *caller, "user.delete", "user:" + std::to_string(id), Json::MakeObject({{"username", user.username}}));
    r = HttpResponse::JsonBody(200, Json::MakeObject({{"deleted", id}}));
  } else {
    return MethodNotAllowed("GET, HEAD, PATCH, DELETE");
  }
  r.log.user_id = std::to_string(caller->user.id);
  return r;
}

}  // namespace hbf
