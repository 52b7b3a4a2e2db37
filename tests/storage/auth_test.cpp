// Specification of the auth layer (src/auth): users, signing keys, tokens
// and sessions of a real henv, token extraction, password hashing and the
// login throttle.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "auth/auth_store.h"
#include "auth/authenticator.h"
#include "auth/jwt.h"
#include "auth/login_throttle.h"
#include "crypto/crypto.h"
#include "henv/henv_manager.h"
#include "storage_test_util.h"

namespace hbf::auth {
namespace {

using namespace std::chrono_literals;
using testing_storage::Describe;
using testing_storage::IsError;
using testing_storage::ScalarInt;
using testing_storage::TempDir;

// Not a real Argon2id hash: the store treats it as opaque text, and real
// hashes cost ~100 ms each (see PasswordHashTest for the real thing).
const std::string kFakeHash = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHRzYWx0$ZmFrZWhhc2hmYWtlaGFzaGZha2VoYXNo";

constexpr int64_t kNow = 2'000'000'000;
constexpr int64_t kWeek = 168 * 3600;  // the default session lifetime

class AuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HenvManagerOptions options;
    options.storage_dir = dir_.path();
    options.start_janitor = false;
    manager_ = std::make_unique<HenvManager>(options);
    henv_ = MakeHenv("authaaaa", "alice");
    ASSERT_NE(henv_, nullptr);
  }
  void TearDown() override {
    henv_.reset();
    manager_.reset();
  }

  // A new henv whose owner is `owner` (user id 1).
  std::shared_ptr<Henv> MakeHenv(const std::string& hash, const std::string& owner) {
    auto h = manager_->Create(hash, [&](db::Database& db) -> Status {
      auto u = CreateUser(db, owner, kFakeHash, owner + "@example.com", Role::kOwner);
      if (!u.ok()) return u.error();
      return Ok{};
    });
    EXPECT_TRUE(h.ok()) << Describe(h);
    return h.ok() ? *h : nullptr;
  }

  User AddUser(const std::string& name, Role role = Role::kUser, Henv* henv = nullptr) {
    Henv& target = henv != nullptr ? *henv : *henv_;
    auto u = target.WithDb([&](db::Database& db) { return CreateUser(db, name, kFakeHash, "", role); });
    EXPECT_TRUE(u.ok()) << Describe(u);
    return u.ok() ? *u : User{};
  }

  User Owner(Henv& henv) {
    auto u = henv.WithDb([](db::Database& db) { return FindUserById(db, 1); });
    EXPECT_TRUE(u.ok() && u->has_value());
    return u.ok() && u->has_value() ? **u : User{};
  }

  std::string Issue(const User& user, int64_t now = kNow, Henv* henv = nullptr) {
    auto t = IssueToken(henv != nullptr ? *henv : *henv_, user, now);
    EXPECT_TRUE(t.ok()) << Describe(t);
    return t.ok() ? t->first : std::string();
  }

  template <typename F>
  auto Db(F&& fn) {
    return henv_->WithDb(std::forward<F>(fn));
  }

  TempDir dir_;
  std::unique_ptr<HenvManager> manager_;
  std::shared_ptr<Henv> henv_;
};

// -------------------------------------------------------------------- users

TEST_F(AuthTest, CreateUserThenFindIt) {
  User bob = AddUser("bob", Role::kAdmin);
  EXPECT_GT(bob.id, 1);
  EXPECT_EQ(bob.username, "bob");
  EXPECT_EQ(bob.email, "");
  EXPECT_EQ(bob.role, Role::kAdmin);
  EXPECT_TRUE(bob.enabled);
  EXPECT_GT(bob.created_at, 0);

  auto by_id = Db([&](db::Database& db) { return FindUserById(db, bob.id); });
  ASSERT_TRUE(by_id.ok());
  ASSERT_TRUE(by_id->has_value());
  EXPECT_EQ((*by_id)->username, "bob");
  EXPECT_EQ((*by_id)->role, Role::kAdmin);

  auto login = Db([](db::Database& db) { return FindUserForLogin(db, "alice"); });
  ASSERT_TRUE(login.ok()) << Describe(login);
  ASSERT_TRUE(login->has_value());
  EXPECT_EQ((*login)->first.id, 1);
  EXPECT_EQ((*login)->first.email, "alice@example.com");
  EXPECT_EQ((*login)->first.role, Role::kOwner);
  EXPECT_EQ((*login)->second, kFakeHash);
}

TEST_F(AuthTest, UnknownUsersAreAbsentNotErrors) {
  auto by_id = Db([](db::Database& db) { return FindUserById(db, 999); });
  ASSERT_TRUE(by_id.ok());
  EXPECT_FALSE(by_id->has_value());
  auto login = Db([](db::Database& db) { return FindUserForLogin(db, "nobody"); });
  ASSERT_TRUE(login.ok());
  EXPECT_FALSE(login->has_value());
}

TEST_F(AuthTest, DuplicateUsernameIsUserExists) {
  auto dup = Db([](db::Database& db) { return CreateUser(db, "alice", kFakeHash, "", Role::kUser); });
  EXPECT_TRUE(IsError(dup, "user_exists", 409));
  auto users = Db([](db::Database& db) { return ListUsers(db); });
  ASSERT_TRUE(users.ok());
  EXPECT_EQ(users->size(), 1u);
}

TEST_F(AuthTest, ListUsersInCreationOrder) {
  AddUser("bob");
  AddUser("carol", Role::kAdmin);
  auto users = Db([](db::Database& db) { return ListUsers(db); });
  ASSERT_TRUE(users.ok()) << Describe(users);
  ASSERT_EQ(users->size(), 3u);
  EXPECT_EQ((*users)[0].username, "alice");
  EXPECT_EQ((*users)[1].username, "bob");
  EXPECT_EQ((*users)[2].username, "carol");
  EXPECT_EQ((*users)[2].role, Role::kAdmin);
}

TEST_F(AuthTest, UpdateUserChangesOnlyWhatIsGiven) {
  User bob = AddUser("bob");
  UserChanges changes;
  changes.email = "bob@example.com";
  changes.role = Role::kAdmin;
  ASSERT_TRUE(Db([&](db::Database& db) { return UpdateUser(db, bob.id, changes); }).ok());
  auto after = Db([&](db::Database& db) { return FindUserForLogin(db, "bob"); });
  ASSERT_TRUE(after.ok() && after->has_value());
  EXPECT_EQ((*after)->first.email, "bob@example.com");
  EXPECT_EQ((*after)->first.role, Role::kAdmin);
  EXPECT_TRUE((*after)->first.enabled);
  EXPECT_EQ((*after)->second, kFakeHash);

  UserChanges disable;
  disable.enabled = false;
  disable.password_hash = "$argon2id$new";
  ASSERT_TRUE(Db([&](db::Database& db) { return UpdateUser(db, bob.id, disable); }).ok());
  after = Db([&](db::Database& db) { return FindUserForLogin(db, "bob"); });
  ASSERT_TRUE(after.ok() && after->has_value());
  EXPECT_FALSE((*after)->first.enabled);
  EXPECT_EQ((*after)->second, "$argon2id$new");
  EXPECT_EQ((*after)->first.email, "bob@example.com");
  EXPECT_EQ((*after)->first.role, Role::kAdmin);

  // Nobody else changed.
  User alice = Owner(*henv_);
  EXPECT_EQ(alice.role, Role::kOwner);
  EXPECT_TRUE(alice.enabled);
}

TEST_F(AuthTest, DeleteUserRemovesTheUserAndTheirSessions) {
  User bob = AddUser("bob");
  std::string token = Issue(bob);
  ASSERT_TRUE(Authenticate(*henv_, token, kNow).ok());
  ASSERT_TRUE(Db([&](db::Database& db) { return DeleteUser(db, bob.id); }).ok());
  auto gone = Db([&](db::Database& db) { return FindUserById(db, bob.id); });
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());
  EXPECT_EQ(Db([](db::Database& db) { return ScalarInt(db, "SELECT count(*) FROM _hbf_sessions"); }), 0);
  EXPECT_TRUE(IsError(Authenticate(*henv_, token, kNow), "unauthorized", 401));
}

TEST_F(AuthTest, AmongSeveralSessionCookiesTheValidOneWins) {
  // A page on a sibling host can set `hbf_session` for the whole base domain
  // (cookie tossing); browsers send it first. It must not log the user out.
  User bob = AddUser("bob");
  std::string token = Issue(bob);
  const std::string cookie = "hbf_session=tossed.by.sibling; hbf_session=" + token;
  auto caller = Authenticate(*henv_, ExtractCredentials(nullptr, &cookie), kNow);
  ASSERT_TRUE(caller.ok()) << caller.error().message;
  EXPECT_EQ(caller->user.id, bob.id);
  EXPECT_TRUE(caller->via_cookie);
  // A Bearer token is the only credential tried when present.
  const std::string bearer = "Bearer nonsense";
  EXPECT_TRUE(IsError(Authenticate(*henv_, ExtractCredentials(&bearer, &cookie), kNow), "unauthorized", 401));
  const std::string good_bearer = "Bearer " + token;
  auto by_bearer = Authenticate(*henv_, ExtractCredentials(&good_bearer, nullptr), kNow);
  ASSERT_TRUE(by_bearer.ok());
  EXPECT_FALSE(by_bearer->via_cookie);
}

TEST_F(AuthTest, UserToJsonNeverContainsThePasswordHash) {
  auto login = Db([](db::Database& db) { return FindUserForLogin(db, "alice"); });
  ASSERT_TRUE(login.ok() && login->has_value());
  Json j = UserToJson((*login)->first);
  std::string text = j.dump();
  EXPECT_EQ(text.find("argon2"), std::string::npos) << text;
  EXPECT_EQ(text.find("password"), std::string::npos) << text;
  EXPECT_EQ(j.find("username")->as_string(), "alice");
  EXPECT_EQ(j.find("email")->as_string(), "alice@example.com");
  EXPECT_EQ(j.find("role")->as_string(), "owner");
  EXPECT_EQ(j.find("id")->as_int(), 1);
  EXPECT_TRUE(j.find("enabled")->as_bool());
}

TEST_F(AuthTest, UserToJsonShowsAMissingEmailAsNull) {
  User bob = AddUser("bob");
  Json j = UserToJson(bob);
  ASSERT_NE(j.find("email"), nullptr);
  EXPECT_TRUE(j.find("email")->is_null());
}

TEST(RoleTest, NamesRoundTrip) {
  for (Role r : {Role::kOwner, Role::kAdmin, Role::kUser}) {
    EXPECT_EQ(ParseRole(RoleName(r)), r);
  }
  EXPECT_EQ(std::string(RoleName(Role::kOwner)), "owner");
  EXPECT_EQ(ParseRole("root"), std::nullopt);
  EXPECT_EQ(ParseRole("Admin"), std::nullopt);
}

// ------------------------------------------------------------------- config

TEST_F(AuthTest, ConfigReadsWritesAndFallsBack) {
  Db([](db::Database& db) {
    auto lifetime = GetConfig(db, "session_lifetime_hours");
    ASSERT_TRUE(lifetime.ok() && lifetime->has_value());
    EXPECT_EQ(**lifetime, "168");
    auto missing = GetConfig(db, "no_such_key");
    ASSERT_TRUE(missing.ok());
    EXPECT_FALSE(missing->has_value());
    ASSERT_TRUE(SetConfig(db, "custom", "12").ok());
    ASSERT_TRUE(SetConfig(db, "custom", "13").ok());  // overwrite
    EXPECT_EQ(GetConfigInt(db, "custom", -1), 13);
    ASSERT_TRUE(SetConfig(db, "custom", "13x").ok());
    EXPECT_EQ(GetConfigInt(db, "custom", -1), -1);
    EXPECT_EQ(GetConfigInt(db, "no_such_key", 7), 7);
  });
}

TEST_F(AuthTest, SessionLifetimeComesFromConfigWithASaneFallback) {
  Db([](db::Database& db) {
    EXPECT_EQ(SessionLifetimeSeconds(db), kWeek);
    ASSERT_TRUE(SetConfig(db, "session_lifetime_hours", "2").ok());
    EXPECT_EQ(SessionLifetimeSeconds(db), 2 * 3600);
    ASSERT_TRUE(SetConfig(db, "session_lifetime_hours", "0").ok());
    EXPECT_EQ(SessionLifetimeSeconds(db), kWeek);
    ASSERT_TRUE(SetConfig(db, "session_lifetime_hours", "-5").ok());
    EXPECT_EQ(SessionLifetimeSeconds(db), kWeek);
    ASSERT_TRUE(SetConfig(db, "session_lifetime_hours", "lots").ok());
    EXPECT_EQ(SessionLifetimeSeconds(db), kWeek);
  });
}

// ------------------------------------------------------------- signing keys

TEST_F(AuthTest, CurrentSigningKeyIsCreatedOnceThenReused) {
  auto first = Db([](db::Database& db) { return CurrentSigningKey(db); });
  ASSERT_TRUE(first.ok()) << Describe(first);
  EXPECT_FALSE(first->kid.empty());
  EXPECT_EQ(first->secret.size(), 32u);
  auto second = Db([](db::Database& db) { return CurrentSigningKey(db); });
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->kid, first->kid);
  EXPECT_EQ(second->secret, first->secret);
  EXPECT_EQ(Db([](db::Database& db) { return ScalarInt(db, "SELECT count(*) FROM _hbf_signing_keys"); }), 1);
}

TEST_F(AuthTest, SigningKeysDifferBetweenHenvs) {
  auto other = MakeHenv("authbbbb", "bob");
  ASSERT_NE(other, nullptr);
  auto a = Db([](db::Database& db) { return CurrentSigningKey(db); });
  auto b = other->WithDb([](db::Database& db) { return CurrentSigningKey(db); });
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->kid, b->kid);
  EXPECT_NE(a->secret, b->secret);
}

TEST_F(AuthTest, RotationMakesANewKeyAndTheOldOneVerifiesOnlyDuringTheGrace) {
  constexpr int64_t kGrace = 3600;
  auto old_key = Db([](db::Database& db) { return CurrentSigningKey(db); });
  ASSERT_TRUE(old_key.ok());
  auto new_key = Db([](db::Database& db) { return RotateSigningKey(db, kNow); });
  ASSERT_TRUE(new_key.ok()) << Describe(new_key);
  EXPECT_NE(new_key->kid, old_key->kid);
  EXPECT_NE(new_key->secret, old_key->secret);

  auto current = Db([](db::Database& db) { return CurrentSigningKey(db); });
  ASSERT_TRUE(current.ok());
  EXPECT_EQ(current->kid, new_key->kid);

  auto verify = [&](const std::string& kid, int64_t at) {
    auto k = Db([&](db::Database& db) { return VerificationKey(db, kid, at, kGrace); });
    EXPECT_TRUE(k.ok()) << Describe(k);
    return k.ok() ? *k : std::optional<std::string>("<error>");
  };
  EXPECT_EQ(verify(old_key->kid, kNow), old_key->secret);
  EXPECT_EQ(verify(old_key->kid, kNow + kGrace - 1), old_key->secret);
  EXPECT_EQ(verify(old_key->kid, kNow + kGrace), std::nullopt);
  EXPECT_EQ(verify(old_key->kid, kNow + 10 * kGrace), std::nullopt);
  EXPECT_EQ(verify(new_key->kid, kNow + 10 * kGrace), new_key->secret) << "the current key never expires";
  EXPECT_EQ(verify("no-such-kid", kNow), std::nullopt);
}

TEST_F(AuthTest, TokensSignedBeforeARotationStillAuthenticate) {
  User alice = Owner(*henv_);
  std::string token = Issue(alice);
  ASSERT_TRUE(Db([](db::Database& db) { return RotateSigningKey(db, kNow + 10); }).ok());
  EXPECT_TRUE(Authenticate(*henv_, token, kNow + 20).ok());
  std::string fresh = Issue(alice, kNow + 30);
  EXPECT_TRUE(Authenticate(*henv_, fresh, kNow + 40).ok());
}

// ------------------------------------------------------------ authenticate

TEST_F(AuthTest, IssuedTokenAuthenticates) {
  User bob = AddUser("bob", Role::kAdmin);
  auto issued = IssueToken(*henv_, bob, kNow);
  ASSERT_TRUE(issued.ok()) << Describe(issued);
  EXPECT_EQ(issued->second, kNow + kWeek);

  auto ctx = Authenticate(*henv_, issued->first, kNow + 5);
  ASSERT_TRUE(ctx.ok()) << Describe(ctx);
  EXPECT_EQ(ctx->user.id, bob.id);
  EXPECT_EQ(ctx->user.username, "bob");
  EXPECT_EQ(ctx->user.role, Role::kAdmin);
  EXPECT_EQ(ctx->expires_at, kNow + kWeek);
  EXPECT_EQ(ctx->token_hash, crypto::Sha256Hex(issued->first));
  EXPECT_GT(ctx->session_id, 0);
}

TEST_F(AuthTest, IssuedTokenCarriesTheDocumentedClaims) {
  User bob = AddUser("bob");
  std::string token = Issue(bob);
  auto key = Db([](db::Database& db) { return CurrentSigningKey(db); });
  ASSERT_TRUE(key.ok());
  auto claims = VerifyJwt(
      token, [&](const std::string& kid) -> std::optional<std::string> {
        return kid == key->kid ? std::optional<std::string>(key->secret) : std::nullopt;
      },
      kNow);
  ASSERT_TRUE(claims.ok()) << Describe(claims);
  EXPECT_EQ(claims->find("sub")->as_string(), std::to_string(bob.id));
  EXPECT_EQ(claims->find("user_hash")->as_string(), "authaaaa");
  EXPECT_EQ(claims->find("role")->as_string(), "user");
  EXPECT_EQ(claims->find("iat")->as_int(), kNow);
  EXPECT_EQ(claims->find("exp")->as_int(), kNow + kWeek);
  ASSERT_NE(claims->find("jti"), nullptr);
}

TEST_F(AuthTest, EachIssueMakesADistinctTokenAndSession) {
  User alice = Owner(*henv_);
  std::string a = Issue(alice);
  std::string b = Issue(alice);
  EXPECT_NE(a, b);
  EXPECT_EQ(Db([](db::Database& db) { return ScalarInt(db, "SELECT count(*) FROM _hbf_sessions"); }), 2);
  // The session stores a hash of the token, never the token.
  EXPECT_EQ(Db([&](db::Database& db) {
              return ScalarInt(db, "SELECT count(*) FROM _hbf_sessions WHERE token_hash = ?", {a});
            }),
            0);
  EXPECT_EQ(Db([&](db::Database& db) {
              return ScalarInt(db, "SELECT count(*) FROM _hbf_sessions WHERE token_hash = ?", {crypto::Sha256Hex(a)});
            }),
            1);
}

TEST_F(AuthTest, SessionLifetimeConfigSetsTheExpiry) {
  ASSERT_TRUE(Db([](db::Database& db) { return SetConfig(db, "session_lifetime_hours", "1"); }).ok());
  User alice = Owner(*henv_);
  auto issued = IssueToken(*henv_, alice, kNow);
  ASSERT_TRUE(issued.ok());
  EXPECT_EQ(issued->second, kNow + 3600);
  EXPECT_TRUE(Authenticate(*henv_, issued->first, kNow + 3599).ok());
  EXPECT_TRUE(IsError(Authenticate(*henv_, issued->first, kNow + 3600), "unauthorized", 401));
}

TEST_F(AuthTest, RevokedSessionIsRejected) {
  User alice = Owner(*henv_);
  std::string token = Issue(alice);
  std::string other = Issue(alice);
  ASSERT_TRUE(Authenticate(*henv_, token, kNow).ok());
  ASSERT_TRUE(Db([&](db::Database& db) { return DeleteSession(db, crypto::Sha256Hex(token)); }).ok());
  EXPECT_TRUE(IsError(Authenticate(*henv_, token, kNow), "unauthorized", 401));
  EXPECT_TRUE(Authenticate(*henv_, other, kNow).ok()) << "only the one session was revoked";
}

TEST_F(AuthTest, DeleteSessionsOfUserRevokesAllOfThem) {
  User bob = AddUser("bob");
  User alice = Owner(*henv_);
  std::string b1 = Issue(bob);
  std::string b2 = Issue(bob);
  std::string a1 = Issue(alice);
  ASSERT_TRUE(Db([&](db::Database& db) { return DeleteSessionsOfUser(db, bob.id); }).ok());
  EXPECT_TRUE(IsError(Authenticate(*henv_, b1, kNow), "unauthorized", 401));
  EXPECT_TRUE(IsError(Authenticate(*henv_, b2, kNow), "unauthorized", 401));
  EXPECT_TRUE(Authenticate(*henv_, a1, kNow).ok());
}

TEST_F(AuthTest, ATokenOfOneHenvIsRejectedByAnother) {
  auto other = MakeHenv("authbbbb", "bob");
  ASSERT_NE(other, nullptr);
  User alice = Owner(*henv_);
  User bob = Owner(*other);
  ASSERT_EQ(alice.id, bob.id);  // both are user 1 of their henv
  std::string token = Issue(alice);
  ASSERT_TRUE(Authenticate(*henv_, token, kNow).ok());
  EXPECT_TRUE(IsError(Authenticate(*other, token, kNow), "unauthorized", 401));
}

TEST_F(AuthTest, ATokenOfOneHenvIsRejectedByAnotherEvenWithSharedKeysAndSession) {
  // The worst case: henv B somehow holds A's signing key and a session row
  // for A's token (e.g. a file copied from A). The user_hash claim still
  // ties the token to A.
  auto other = MakeHenv("authbbbb", "bob");
  ASSERT_NE(other, nullptr);
  User alice = Owner(*henv_);
  std::string token = Issue(alice);
  auto key = Db([](db::Database& db) { return CurrentSigningKey(db); });
  ASSERT_TRUE(key.ok());
  auto planted = other->WithDb([&](db::Database& db) -> Status {
    auto stmt = db.Prepare("INSERT INTO _hbf_signing_keys (kid, secret) VALUES (?, ?)");
    if (!stmt.ok()) return stmt.error();
    stmt->Bind(1, key->kid).Bind(2, db::Blob(key->secret.begin(), key->secret.end()));
    if (auto s = stmt->Run(); !s.ok()) return s;
    return CreateSession(db, 1, crypto::Sha256Hex(token), kNow + kWeek);
  });
  ASSERT_TRUE(planted.ok()) << Describe(planted);
  EXPECT_TRUE(IsError(Authenticate(*other, token, kNow), "unauthorized", 401));
}

TEST_F(AuthTest, DisabledUserIsRejectedUntilReEnabled) {
  User bob = AddUser("bob");
  std::string token = Issue(bob);
  ASSERT_TRUE(Authenticate(*henv_, token, kNow).ok());
  UserChanges off;
  off.enabled = false;
  ASSERT_TRUE(Db([&](db::Database& db) { return UpdateUser(db, bob.id, off); }).ok());
  EXPECT_TRUE(IsError(Authenticate(*henv_, token, kNow), "unauthorized", 401));
  UserChanges on;
  on.enabled = true;
  ASSERT_TRUE(Db([&](db::Database& db) { return UpdateUser(db, bob.id, on); }).ok());
  EXPECT_TRUE(Authenticate(*henv_, token, kNow).ok());
}

TEST_F(AuthTest, ExpiredTokenIsRejected) {
  User alice = Owner(*henv_);
  std::string token = Issue(alice, kNow);
  EXPECT_TRUE(Authenticate(*henv_, token, kNow + kWeek - 1).ok());
  EXPECT_TRUE(IsError(Authenticate(*henv_, token, kNow + kWeek), "unauthorized", 401));
  EXPECT_TRUE(IsError(Authenticate(*henv_, token, kNow + kWeek + 1), "unauthorized", 401));
}

TEST_F(AuthTest, AnExpiredSessionRowIsRejectedEvenIfTheTokenIsNot) {
  User alice = Owner(*henv_);
  std::string token = Issue(alice, kNow);
  ASSERT_TRUE(Db([&](db::Database& db) {
                return db.Exec("UPDATE _hbf_sessions SET expires_at = " + std::to_string(kNow + 100));
              }).ok());
  EXPECT_TRUE(Authenticate(*henv_, token, kNow + 99).ok());
  EXPECT_TRUE(IsError(Authenticate(*henv_, token, kNow + 100), "unauthorized", 401));
}

TEST_F(AuthTest, GarbageTokensAreRejected) {
  for (const std::string& garbage : {std::string(""), std::string("garbage"), std::string("a.b.c"),
                                     std::string("eyJhbGciOiJIUzI1NiJ9.e30."), std::string(10000, 'x')}) {
    EXPECT_TRUE(IsError(Authenticate(*henv_, garbage, kNow), "unauthorized", 401)) << garbage.substr(0, 40);
  }
}

TEST_F(AuthTest, ATokenWhoseSubjectDoesNotMatchItsSessionIsRejected) {
  // A validly signed token for this henv claiming to be user 1, attached
  // to a session row of another user.
  User bob = AddUser("bob");
  auto key = Db([](db::Database& db) { return CurrentSigningKey(db); });
  ASSERT_TRUE(key.ok());
  Json claims = Json::MakeObject(
      {{"sub", "1"}, {"user_hash", "authaaaa"}, {"role", "owner"}, {"iat", kNow}, {"exp", kNow + 3600}});
  std::string token = SignJwt(claims, key->kid, key->secret);
  ASSERT_TRUE(Db([&](db::Database& db) { return CreateSession(db, bob.id, crypto::Sha256Hex(token), kNow + 3600); })
                  .ok());
  EXPECT_TRUE(IsError(Authenticate(*henv_, token, kNow), "unauthorized", 401));
}

TEST_F(AuthTest, ExpiredSessionsCanBePurged) {
  User alice = Owner(*henv_);
  std::string old_token = Issue(alice, kNow - kWeek);  // expires at kNow
  std::string new_token = Issue(alice, kNow);
  ASSERT_TRUE(Db([](db::Database& db) { return DeleteExpiredSessions(db, kNow); }).ok());
  EXPECT_EQ(Db([](db::Database& db) { return ScalarInt(db, "SELECT count(*) FROM _hbf_sessions"); }), 1);
  EXPECT_TRUE(Authenticate(*henv_, new_token, kNow).ok());
  EXPECT_TRUE(IsError(Authenticate(*henv_, old_token, kNow - 10), "unauthorized", 401)) << "its session is gone";
}

TEST_F(AuthTest, AuthenticationRecordsSessionUseAtMostOncePerMinute) {
  User alice = Owner(*henv_);
  std::string token = Issue(alice);
  auto last_used = [&] {
    return Db([](db::Database& db) { return ScalarInt(db, "SELECT last_used FROM _hbf_sessions"); });
  };
  ASSERT_TRUE(Authenticate(*henv_, token, kNow).ok());
  EXPECT_EQ(last_used(), kNow);
  ASSERT_TRUE(Authenticate(*henv_, token, kNow + 59).ok());
  EXPECT_EQ(last_used(), kNow);
  ASSERT_TRUE(Authenticate(*henv_, token, kNow + 60).ok());
  EXPECT_EQ(last_used(), kNow + 60);
}

// ------------------------------------------------------- ExtractCredentials

// The token that would be tried first: the Bearer token, else the first
// session cookie.
std::optional<std::string> ExtractToken(const std::string* authorization, const std::string* cookie) {
  RequestCredentials c = ExtractCredentials(authorization, cookie);
  if (c.bearer) return c.bearer;
  if (!c.cookies.empty()) return c.cookies.front();
  return std::nullopt;
}

TEST(ExtractTokenTest, EverySessionCookieIsOfferedSecureNameFirst) {
  const std::string cookie = "hbf_session=tossed; __Host-hbf_session=mine; hbf_session=old; x=1";
  RequestCredentials c = ExtractCredentials(nullptr, &cookie);
  EXPECT_EQ(c.cookies, (std::vector<std::string>{"mine", "tossed", "old"}));
  std::string many;
  for (int i = 0; i < 20; ++i) many += "hbf_session=t" + std::to_string(i) + "; ";
  EXPECT_EQ(ExtractCredentials(nullptr, &many).cookies.size(), 8u) << "bounded";
  EXPECT_TRUE(IsSessionCookieName("HBF_SESSION"));
  EXPECT_TRUE(IsSessionCookieName("__host-hbf_session"));
  EXPECT_TRUE(IsSessionCookieName("__Secure-hbf_session"));
  EXPECT_FALSE(IsSessionCookieName("hbf_session2"));
}

TEST(ExtractTokenTest, FromABearerAuthorizationHeader) {
  const std::string auth = "Bearer abc.def.ghi";
  EXPECT_EQ(ExtractToken(&auth, nullptr), "abc.def.ghi");
  const std::string padded = "  Bearer   tok  ";
  EXPECT_EQ(ExtractToken(&padded, nullptr), "tok");
}

TEST(ExtractTokenTest, FromTheSessionCookie) {
  const std::string cookie = "a=b; hbf_session=tok; c=d";
  EXPECT_EQ(ExtractToken(nullptr, &cookie), "tok");
  const std::string first = "hbf_session=first";
  EXPECT_EQ(ExtractToken(nullptr, &first), "first");
  const std::string quoted = "x=1;hbf_session=\"q\"";
  EXPECT_EQ(ExtractToken(nullptr, &quoted), "q");
}

TEST(ExtractTokenTest, OnlyTheExactCookieNameCounts) {
  const std::string lookalike = "xhbf_session=evil; hbf_session_old=old; hbf_session=tok";
  EXPECT_EQ(ExtractToken(nullptr, &lookalike), "tok");
  const std::string only_lookalike = "xhbf_session=evil";
  EXPECT_EQ(ExtractToken(nullptr, &only_lookalike), std::nullopt);
}

TEST(ExtractTokenTest, BearerWinsOverTheCookie) {
  const std::string auth = "Bearer from-header";
  const std::string cookie = "hbf_session=from-cookie";
  EXPECT_EQ(ExtractToken(&auth, &cookie), "from-header");
}

TEST(ExtractTokenTest, ACookieIsUsedWhenTheHeaderIsNotBearer) {
  const std::string auth = "Basic dXNlcjpwYXNz";
  const std::string cookie = "hbf_session=from-cookie";
  EXPECT_EQ(ExtractToken(&auth, &cookie), "from-cookie");
}

TEST(ExtractTokenTest, NothingUsableIsNullopt) {
  EXPECT_EQ(ExtractToken(nullptr, nullptr), std::nullopt);
  const std::string basic = "Basic dXNlcjpwYXNz";
  EXPECT_EQ(ExtractToken(&basic, nullptr), std::nullopt);
  const std::string empty_bearer = "Bearer ";
  EXPECT_EQ(ExtractToken(&empty_bearer, nullptr), std::nullopt);
  const std::string other_cookies = "a=b; c=d";
  EXPECT_EQ(ExtractToken(nullptr, &other_cookies), std::nullopt);
  const std::string empty_cookie = "hbf_session=";
  EXPECT_EQ(ExtractToken(nullptr, &empty_cookie), std::nullopt);
}

// ---------------------------------------------------------- password hashing

TEST(PasswordHashTest, HashesAreArgon2idAndVerifyOnlyTheRightPassword) {
  auto hash = crypto::HashPassword("correct horse battery staple");
  ASSERT_TRUE(hash.has_value());
  EXPECT_EQ(hash->rfind("$argon2id$", 0), 0u) << *hash;
  EXPECT_EQ(hash->find("correct horse"), std::string::npos);
  EXPECT_TRUE(crypto::VerifyPassword(*hash, "correct horse battery staple"));
  EXPECT_FALSE(crypto::VerifyPassword(*hash, "correct horse battery stapler"));
  EXPECT_FALSE(crypto::VerifyPassword("not a phc string", "anything"));
  EXPECT_FALSE(crypto::VerifyPassword("", ""));
}

// ------------------------------------------------------------ login throttle

class FakeClock {
 public:
  LoginThrottle::Clock::time_point now() const { return now_; }
  void Advance(std::chrono::seconds d) { now_ += d; }
  std::function<LoginThrottle::Clock::time_point()> AsFunction() {
    return [this] { return now_; };
  }

 private:
  LoginThrottle::Clock::time_point now_ = LoginThrottle::Clock::time_point() + 1000h;
};

// Succeeds when RetryAfterSeconds is the lockout `seconds`, rounded up by at
// most one second.
::testing::AssertionResult LockedFor(LoginThrottle& t, const std::string& key, int64_t seconds) {
  int64_t wait = t.RetryAfterSeconds(key);
  if (wait >= seconds && wait <= seconds + 1) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "RetryAfterSeconds is " << wait << ", expected about " << seconds;
}

TEST(LoginThrottleTest, FiveFailuresAreFreeThenTheNextAttemptMustWait) {
  FakeClock clock;
  LoginThrottle t(LoginThrottle::Options{}, clock.AsFunction());
  const std::string key = LoginThrottle::Key("h", "alice", "10.0.0.1");
  for (int attempt = 1; attempt <= 5; ++attempt) {
    EXPECT_EQ(t.RetryAfterSeconds(key), 0) << "attempt " << attempt << " should be allowed";
    t.RecordFailure(key);
  }
  EXPECT_GT(t.RetryAfterSeconds(key), 0) << "the 6th attempt must wait";
  EXPECT_TRUE(LockedFor(t, key, 30));
}

TEST(LoginThrottleTest, TheLockoutExpires) {
  FakeClock clock;
  LoginThrottle t(LoginThrottle::Options{}, clock.AsFunction());
  const std::string key = "k";
  for (int i = 0; i < 5; ++i) t.RecordFailure(key);
  clock.Advance(10s);
  EXPECT_TRUE(LockedFor(t, key, 20));
  clock.Advance(20s);
  EXPECT_EQ(t.RetryAfterSeconds(key), 0);
}

TEST(LoginThrottleTest, EachFurtherFailureDoublesTheLockoutUpToTheCap) {
  FakeClock clock;
  LoginThrottle t(LoginThrottle::Options{}, clock.AsFunction());  // 30 s base, 15 min cap
  const std::string key = "k";
  for (int i = 0; i < 5; ++i) t.RecordFailure(key);
  EXPECT_TRUE(LockedFor(t, key, 30));
  for (int64_t expected : {60, 120, 240, 480, 900, 900, 900}) {
    t.RecordFailure(key);
    EXPECT_TRUE(LockedFor(t, key, expected));
  }
}

TEST(LoginThrottleTest, DoublingContinuesAfterWaitingOutALockout) {
  FakeClock clock;
  LoginThrottle::Options options;
  options.window = 1h;
  options.base_lockout = 10s;
  options.max_lockout = 100s;
  LoginThrottle t(options, clock.AsFunction());
  const std::string key = "k";
  for (int i = 0; i < 5; ++i) t.RecordFailure(key);
  EXPECT_TRUE(LockedFor(t, key, 10));
  clock.Advance(10s);
  EXPECT_EQ(t.RetryAfterSeconds(key), 0);
  t.RecordFailure(key);
  EXPECT_TRUE(LockedFor(t, key, 20));
  clock.Advance(20s);
  t.RecordFailure(key);
  EXPECT_TRUE(LockedFor(t, key, 40));
  clock.Advance(40s);
  t.RecordFailure(key);
  EXPECT_TRUE(LockedFor(t, key, 80));
  clock.Advance(80s);
  t.RecordFailure(key);
  EXPECT_TRUE(LockedFor(t, key, 100));  // capped
}

TEST(LoginThrottleTest, SuccessClearsTheKey) {
  FakeClock clock;
  LoginThrottle t(LoginThrottle::Options{}, clock.AsFunction());
  const std::string key = "k";
  for (int i = 0; i < 7; ++i) t.RecordFailure(key);
  ASSERT_GT(t.RetryAfterSeconds(key), 0);
  t.RecordSuccess(key);
  EXPECT_EQ(t.RetryAfterSeconds(key), 0);
  // The free allowance is whole again.
  for (int i = 0; i < 4; ++i) t.RecordFailure(key);
  EXPECT_EQ(t.RetryAfterSeconds(key), 0);
  t.RecordFailure(key);
  EXPECT_TRUE(LockedFor(t, key, 30));
}

TEST(LoginThrottleTest, FailuresOutsideTheWindowAreForgotten) {
  FakeClock clock;
  LoginThrottle t(LoginThrottle::Options{}, clock.AsFunction());  // 15 min window
  const std::string key = "k";
  for (int i = 0; i < 4; ++i) t.RecordFailure(key);
  clock.Advance(15min + 1s);
  t.RecordFailure(key);  // would be the 5th; the window restarted instead
  EXPECT_EQ(t.RetryAfterSeconds(key), 0);
  for (int i = 0; i < 3; ++i) t.RecordFailure(key);
  EXPECT_EQ(t.RetryAfterSeconds(key), 0);
  t.RecordFailure(key);  // the 5th in the new window
  EXPECT_TRUE(LockedFor(t, key, 30));
}

TEST(LoginThrottleTest, FailuresWithinTheWindowAccumulate) {
  FakeClock clock;
  LoginThrottle t(LoginThrottle::Options{}, clock.AsFunction());
  const std::string key = "k";
  for (int i = 0; i < 4; ++i) {
    t.RecordFailure(key);
    clock.Advance(3min);  // the 5th failure comes 12 min after the first
  }
  t.RecordFailure(key);
  EXPECT_TRUE(LockedFor(t, key, 30));
}

TEST(LoginThrottleTest, KeysAreIndependent) {
  FakeClock clock;
  LoginThrottle t(LoginThrottle::Options{}, clock.AsFunction());
  const std::string a = LoginThrottle::Key("h", "alice", "10.0.0.1");
  const std::string b = LoginThrottle::Key("h", "bob", "10.0.0.1");
  const std::string c = LoginThrottle::Key("h", "alice", "10.0.0.2");
  const std::string d = LoginThrottle::Key("other", "alice", "10.0.0.1");
  for (int i = 0; i < 5; ++i) t.RecordFailure(a);
  EXPECT_GT(t.RetryAfterSeconds(a), 0);
  EXPECT_EQ(t.RetryAfterSeconds(b), 0);
  EXPECT_EQ(t.RetryAfterSeconds(c), 0);
  EXPECT_EQ(t.RetryAfterSeconds(d), 0);
  t.RecordSuccess(b);
  EXPECT_GT(t.RetryAfterSeconds(a), 0);
}

TEST(LoginThrottleTest, KeyIgnoresUsernameCaseOnly) {
  EXPECT_EQ(LoginThrottle::Key("h", "Alice", "1.2.3.4"), LoginThrottle::Key("h", "alice", "1.2.3.4"));
  EXPECT_EQ(LoginThrottle::Key("h", "ALICE", "1.2.3.4"), LoginThrottle::Key("h", "alice", "1.2.3.4"));
  EXPECT_NE(LoginThrottle::Key("h", "alice", "1.2.3.4"), LoginThrottle::Key("h", "alice", "1.2.3.5"));
  EXPECT_NE(LoginThrottle::Key("h", "alice", "1.2.3.4"), LoginThrottle::Key("H", "alice", "1.2.3.4"));
  EXPECT_NE(LoginThrottle::Key("h", "alice", "1.2.3.4"), LoginThrottle::Key("h", "alicf", "1.2.3.4"));
  // Parts cannot run into each other.
  EXPECT_NE(LoginThrottle::Key("ab", "c", "d"), LoginThrottle::Key("a", "bc", "d"));
}

TEST(LoginThrottleTest, FailuresUnderDifferentCasingShareOneKey) {
  FakeClock clock;
  LoginThrottle t(LoginThrottle::Options{}, clock.AsFunction());
  for (const char* name : {"alice", "Alice", "ALICE", "aLiCe", "alicE"}) {
    t.RecordFailure(LoginThrottle::Key("h", name, "1.2.3.4"));
  }
  EXPECT_GT(t.RetryAfterSeconds(LoginThrottle::Key("h", "alice", "1.2.3.4")), 0);
}

TEST(LoginThrottleTest, WhenFullStaleKeysAreForgottenBeforeLockedOnes) {
  FakeClock clock;
  LoginThrottle::Options options;  // 15 min window
  options.max_keys = 2;
  LoginThrottle t(options, clock.AsFunction());
  for (int i = 0; i < 4; ++i) t.RecordFailure("locked");  // the oldest key
  clock.Advance(1min);
  t.RecordFailure("stale");
  clock.Advance(13min);
  for (int i = 0; i < 5; ++i) t.RecordFailure("locked");  // 9 failures: locked for 8 min
  clock.Advance(2min + 1s);  // "stale" is now past its window and was never locked
  ASSERT_GT(t.RetryAfterSeconds("locked"), 0);
  t.RecordFailure("newcomer");  // the table is full: something must go
  EXPECT_GT(t.RetryAfterSeconds("locked"), 0) << "a locked key was forgotten while a stale one could go";
}

TEST(LoginThrottleTest, WhenFullOfFreshKeysTheOldestAreForgotten) {
  FakeClock clock;
  LoginThrottle::Options options;
  options.max_keys = 2;
  options.free_failures = 1;
  LoginThrottle t(options, clock.AsFunction());
  t.RecordFailure("old");
  clock.Advance(1s);
  t.RecordFailure("young");
  ASSERT_GT(t.RetryAfterSeconds("old"), 0);
  ASSERT_GT(t.RetryAfterSeconds("young"), 0);
  t.RecordFailure("newcomer");
  EXPECT_EQ(t.RetryAfterSeconds("old"), 0);
  EXPECT_GT(t.RetryAfterSeconds("young"), 0);
  EXPECT_GT(t.RetryAfterSeconds("newcomer"), 0);
}

}  // namespace
}  // namespace hbf::auth
