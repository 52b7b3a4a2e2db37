#include "js/natives_auth.h"

#include <chrono>
#include <string>

#include "auth/audit_log.h"
#include "auth/auth_store.h"
#include "auth/authenticator.h"
#include "auth/login_throttle.h"
#include "auth/user_rules.h"
#include "core/json.h"
#include "crypto/crypto.h"
#include "js/js_values.h"
#include "js/user_db.h"
#include "js/worker_access.h"

namespace hbf::js::internal {
namespace {

JSValue Throw(JSContext* ctx, const Error& e) {
  JSValue err = JS_NewError(ctx);
  JS_SetPropertyStr(ctx, err, "message", JS_NewStringLen(ctx, e.message.data(), e.message.size()));
  JS_SetPropertyStr(ctx, err, "code", JS_NewStringLen(ctx, e.code.data(), e.code.size()));
  JS_SetPropertyStr(ctx, err, "status", JS_NewInt32(ctx, e.http_status));
  return JS_Throw(ctx, err);
}

JSValue ToJs(JSContext* ctx, const Json& value) {
  std::string text = value.dump();
  return JS_ParseJSON(ctx, text.c_str(), text.size(), "<hbf:auth>");
}

// argv[i] as a JSON object (hbf:auth passes JSON.stringify'd objects).
Result<Json> ObjectArg(JSContext* ctx, int argc, JSValueConst* argv, int i) {
  if (argc <= i || !JS_IsString(argv[i])) return Error{"bad_request", "expected an object", 400};
  auto parsed = Json::Parse(ToStdString(ctx, argv[i]));
  if (!parsed.ok() || !parsed->is_object()) return Error{"bad_request", "expected an object", 400};
  return *parsed;
}

std::optional<std::string> StringField(const Json& o, const char* name) {
  const Json* v = o.find(name);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return v->as_string();
}

Error InvalidField(const std::string& field, const std::string& why) {
  return Error{"invalid_field", field + ": " + why, 400};
}

Result<auth::Principal> RequireAdmin(Worker& w) {
  auth::Principal who = PrincipalOf(WorkerAccess::CurrentUser(w));
  if (!who.user) return Error{"unauthorized", "log in first", 401};
  if (!who.full_access()) return Error{"forbidden", "owner or admin only", 403};
  return who;
}

int64_t UnixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Validates and creates a user of `role`, hashing outside any lock (the
// worker holds none).
Result<auth::User> MakeUser(Worker& w, const Json& spec, auth::Role role) {
  auto username = StringField(spec, "username");
  auto password = StringField(spec, "password");
  auto email = StringField(spec, "email").value_or("");
  if (!username || !auth::IsValidUserName(*username)) {
    return InvalidField("username", "3-63 of a-z, 0-9, '-', '_' and '.'");
  }
  if (!password) return InvalidField("password", "is required");
  if (auto problem = auth::PasswordProblem(*password); !problem.empty()) return InvalidField("password", problem);
  if (!email.empty() && !auth::IsPlausibleEmail(email)) return InvalidField("email", "is not an email address");
  auto hash = crypto::HashPassword(*password, WorkerAccess::HenvHash(w));
  if (!hash) return Error{"busy", "cannot hash the password right now; retry", 503};
  auto db = WorkerAccess::Db(w);
  if (!db.ok()) return db.error();
  return auth::CreateUser(**db, *username, *hash, email, role);
}

}  // namespace

JSValue NativeAuthListUsers(JSContext* ctx, JSValueConst, int, JSValueConst*) {
  Worker& w = *WorkerAccess::From(ctx);
  auto who = RequireAdmin(w);
  if (!who.ok()) return Throw(ctx, who.error());
  auto db = WorkerAccess::Db(w);
  if (!db.ok()) return Throw(ctx, db.error());
  auto users = auth::ListUsers(**db);
  if (!users.ok()) return Throw(ctx, users.error());
  Json::Array out;
  for (const auto& u : *users) out.push_back(auth::UserToJson(u));
  return ToJs(ctx, Json(std::move(out)));
}

JSValue NativeAuthCreateUser(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  Worker& w = *WorkerAccess::From(ctx);
  auto who = RequireAdmin(w);
  if (!who.ok()) return Throw(ctx, who.error());
  auto spec = ObjectArg(ctx, argc, argv, 0);
  if (!spec.ok()) return Throw(ctx, spec.error());
  auth::Role role = auth::Role::kUser;
  if (auto name = StringField(*spec, "role")) {
    auto parsed = auth::ParseRole(*name);
    if (!parsed || *parsed == auth::Role::kOwner) return Throw(ctx, InvalidField("role", "must be 'admin' or 'user'"));
    role = *parsed;
  }
  auto user = MakeUser(w, *spec, role);
  if (!user.ok()) return Throw(ctx, user.error());
  if (auto db = WorkerAccess::Db(w); db.ok()) {  // open: MakeUser wrote through it
    (void)auth::RecordAudit(
        **db, who->user->id, who->user->username, "user.create", "user:" + std::to_string(user->id),
        Json::MakeObject({{"username", user->username}, {"role", auth::RoleName(role)}, {"via", "hbf:auth"}}));
  }
  return ToJs(ctx, auth::UserToJson(*user));
}

JSValue NativeAuthUpdateUser(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  Worker& w = *WorkerAccess::From(ctx);
  auto who = RequireAdmin(w);
  if (!who.ok()) return Throw(ctx, who.error());
  int64_t id = 0;
  if (argc < 1 || JS_ToInt64(ctx, &id, argv[0]) < 0) return JS_EXCEPTION;
  auto spec = ObjectArg(ctx, argc, argv, 1);
  if (!spec.ok()) return Throw(ctx, spec.error());
  auto conn = WorkerAccess::Db(w);
  if (!conn.ok()) return Throw(ctx, conn.error());
  db::Database& db = **conn;
  auto found = auth::FindUserById(db, id);
  if (!found.ok()) return Throw(ctx, found.error());
  if (!found->has_value()) return Throw(ctx, Error{"not_found", "no user " + std::to_string(id), 404});
  const auth::User& target = **found;
  const bool target_is_owner = target.role == auth::Role::kOwner;
  if (target_is_owner && who->user->role != auth::Role::kOwner) {
    return Throw(ctx, Error{"forbidden", "only the owner may change the owner", 403});
  }
  auth::UserChanges changes;
  Json details = Json(Json::Object{});
  if (auto name = StringField(*spec, "role")) {
    auto parsed = auth::ParseRole(*name);
    if (!parsed) return Throw(ctx, InvalidField("role", "must be 'admin' or 'user'"));
    if (target_is_owner && *parsed != auth::Role::kOwner) {
      return Throw(ctx, Error{"forbidden", "the owner cannot be demoted", 403});
    }
    if (!target_is_owner && *parsed == auth::Role::kOwner) {
      return Throw(ctx, Error{"forbidden", "there is exactly one owner", 403});
    }
    changes.role = *parsed;
    details.set("role", *name);
  }
  if (const Json* enabled = spec->find("enabled"); enabled != nullptr && !enabled->is_null()) {
    if (!enabled->is_bool()) return Throw(ctx, InvalidField("enabled", "must be true or false"));
    if (target_is_owner && !enabled->as_bool()) {
      return Throw(ctx, Error{"forbidden", "the owner cannot be disabled", 403});
    }
    changes.enabled = enabled->as_bool();
    details.set("enabled", enabled->as_bool());
  }
  if (auto email = StringField(*spec, "email")) {
    if (!email->empty() && !auth::IsPlausibleEmail(*email))
      return Throw(ctx, InvalidField("email", "is not an email address"));
    changes.email = *email;
    details.set("email", *email);
  }
  auto tx = db::Transaction::Begin(db);
  if (!tx.ok()) return Throw(ctx, tx.error());
  if (auto s = auth::UpdateUser(db, id, changes); !s.ok()) return Throw(ctx, s.error());
  if (changes.enabled && !*changes.enabled) {
    if (auto s = auth::DeleteSessionsOfUser(db, id); !s.ok()) return Throw(ctx, s.error());
  }
  details.set("via", "hbf:auth");
  if (auto s = auth::RecordAudit(db, who->user->id, who->user->username, "user.update", "user:" + std::to_string(id),
                                 details);
      !s.ok()) {
    return Throw(ctx, s.error());
  }
  if (auto s = tx->Commit(); !s.ok()) return Throw(ctx, s.error());
  auto updated = auth::FindUserById(db, id);
  if (!updated.ok() || !updated->has_value()) return Throw(ctx, Error::Internal("the user vanished"));
  return ToJs(ctx, auth::UserToJson(**updated));
}

JSValue NativeAuthSignup(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  Worker& w = *WorkerAccess::From(ctx);
  auto db = WorkerAccess::Db(w);
  if (!db.ok()) return Throw(ctx, db.error());
  auto enabled = auth::GetConfig(**db, "self_signup");
  if (!enabled.ok()) return Throw(ctx, enabled.error());
  if (!enabled->has_value() || **enabled != "true") {
    return Throw(ctx,
                 Error{"signup_disabled", "this app does not allow signing up (its self_signup setting is off)", 403});
  }
  auto spec = ObjectArg(ctx, argc, argv, 0);
  if (!spec.ok()) return Throw(ctx, spec.error());
  // Every signup counts against the client's address (20 per window, as
  // failed logins do): an open signup is not a way to mint accounts in bulk.
  if (auth::LoginThrottle* by_address = w.pool().address_throttle; by_address != nullptr) {
    const std::string address_key = auth::LoginThrottle::Key("", "", WorkerAccess::CurrentIp(w));
    if (int64_t wait = by_address->BeginAttempt(address_key); wait > 0) {
      return Throw(ctx, Error{"too_many_attempts", "too many attempts; retry in " + std::to_string(wait) + " s", 429});
    }
  }
  auto user = MakeUser(w, *spec, auth::Role::kUser);
  if (!user.ok()) return Throw(ctx, user.error());
  return ToJs(ctx, auth::UserToJson(*user));
}

JSValue NativeAuthLogin(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  Worker& w = *WorkerAccess::From(ctx);
  if (argc < 2 || !JS_IsString(argv[0]) || !JS_IsString(argv[1])) {
    return JS_ThrowTypeError(ctx, "login(username, password) takes two strings");
  }
  const std::string username = ToStdString(ctx, argv[0]);
  const std::string password = ToStdString(ctx, argv[1]);
  auth::LoginThrottle* throttle = w.pool().login_throttle;
  auth::LoginThrottle* by_address = w.pool().address_throttle;
  if (throttle == nullptr || by_address == nullptr) {
    return Throw(ctx, Error{"unavailable", "login is not available here", 503});
  }
  // The same lockouts as POST /login (per account, per client address),
  // counted before hashing.
  const std::string key = auth::LoginThrottle::Key(WorkerAccess::HenvHash(w), username, "");
  const std::string address_key = auth::LoginThrottle::Key("", "", WorkerAccess::CurrentIp(w));
  auto too_many = [&](int64_t wait) {
    return Throw(ctx,
                 Error{"too_many_attempts", "too many failed logins; retry in " + std::to_string(wait) + " s", 429});
  };
  if (int64_t wait = by_address->BeginAttempt(address_key); wait > 0) return too_many(wait);
  if (int64_t wait = throttle->BeginAttempt(key); wait > 0) {
    by_address->Forgive(address_key);
    return too_many(wait);
  }
  auto conn = WorkerAccess::Db(w);
  if (!conn.ok()) return Throw(ctx, conn.error());
  db::Database& db = **conn;
  auto found = auth::FindUserForLogin(db, username);
  if (!found.ok()) return Throw(ctx, found.error());
  bool ok = found->has_value() && (*found)->first.enabled &&
            crypto::VerifyPassword((*found)->second, password, WorkerAccess::HenvHash(w));
  if (!ok) return Throw(ctx, Error{"invalid_credentials", "wrong username or password", 401});
  throttle->RecordSuccess(key);
  by_address->Forgive(address_key);
  const int64_t now = UnixNow();
  auto issued = auth::IssueTokenOn(db, WorkerAccess::HenvHash(w), (*found)->first, now);
  if (!issued.ok()) return Throw(ctx, issued.error());
  return ToJs(ctx, Json::MakeObject({{"token", issued->first},
                                     {"expires_at", issued->second},
                                     {"user", auth::UserToJson((*found)->first)}}));
}

}  // namespace hbf::js::internal
