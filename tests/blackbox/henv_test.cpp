// Black-box tests of henvs: provisioning on the apex site, login and
// sessions, the token rejection matrix, throttling, key rotation and user
// management, against the real binary.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "crypto/crypto.h"
#include "db/database.h"
#include "support/hbf_process.h"
#include "support/http_client.h"

namespace hbf::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kPassword = "correct horse battery";

std::string HostOf(const std::string& hash) { return hash + ".localhost"; }

Json Member(const HttpReply& reply, const std::string& key) {
  Json body = reply.json();
  const Json* m = body.find(key);
  return m != nullptr ? *m : Json();
}

std::string ErrorCode(const HttpReply& reply) { return reply.error_code(); }

class HenvTest : public ::testing::Test {
 protected:
  void SetUp() override { Start({}); }

  void Start(std::vector<std::string> extra_args, std::string storage_dir = {}) {
    server_ = std::make_unique<HbfProcess>(
        HbfProcess::Options{std::move(extra_args), {}, {}, std::move(storage_dir)});
    ASSERT_TRUE(server_->Start()) << server_->logs();
  }

  uint16_t port() const { return server_->port(); }

  HttpReply Post(const std::string& host, const std::string& path, const Json& body,
                 std::vector<std::pair<std::string, std::string>> headers = {}) {
    headers.emplace_back("Content-Type", "application/json");
    return Fetch(port(), {"POST", path, host, std::move(headers), body.dump()});
  }

  HttpReply Call(const std::string& method, const std::string& host, const std::string& path,
                 const std::string& token, const std::string& body = {}) {
    std::vector<std::pair<std::string, std::string>> headers;
    if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
    if (!body.empty()) headers.emplace_back("Content-Type", "application/json");
    return Fetch(port(), {method, path, host, std::move(headers), body});
  }

  // Creates henv `name` with its owner; returns the hash.
  std::string CreateHenv(const std::string& name) {
    auto reply = Post("localhost:5309", "/new",
                      Json::MakeObject({{"username", name}, {"password", kPassword}, {"email", name + "@example.com"}}));
    EXPECT_EQ(reply.status, 201) << reply.body;
    return Member(reply, "user_hash").is_string() ? Member(reply, "user_hash").as_string() : "";
  }

  HttpReply Login(const std::string& hash, const std::string& user, const std::string& password) {
    return Post(HostOf(hash), "/login", Json::MakeObject({{"username", user}, {"password", password}}));
  }

  std::string Token(const std::string& hash, const std::string& user, const std::string& password = kPassword) {
    auto reply = Login(hash, user, password);
    EXPECT_EQ(reply.status, 200) << reply.body;
    Json token = Member(reply, "token");
    return token.is_string() ? token.as_string() : "";
  }

  std::unique_ptr<HbfProcess> server_;
};

// ------------------------------------------------------------ provisioning

TEST_F(HenvTest, NewCreatesTheHenvAndItsOwner) {
  auto reply = Post("localhost:5309", "/new",
                    Json::MakeObject({{"username", "myapp"}, {"password", kPassword}, {"email", "me@example.com"}}));
  ASSERT_EQ(reply.status, 201) << reply.body;
  EXPECT_EQ(Member(reply, "user_hash"), Json("5h9h66rt"));
  EXPECT_EQ(Member(reply, "url"), Json("http://5h9h66rt.localhost:5309"));
  Json admin = Member(reply, "admin");
  EXPECT_EQ(*admin.find("username"), Json("myapp"));
  EXPECT_EQ(*admin.find("email"), Json("me@example.com"));
  EXPECT_EQ(*admin.find("role"), Json("owner"));
  EXPECT_EQ(admin.find("password"), nullptr);

  std::string dir = server_->storage_dir() + "/5h9h66rt";
  struct stat st{};
  ASSERT_EQ(::stat(dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(::stat((dir + "/index.db").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_FALSE(std::filesystem::exists(dir + "/index.db.creating"));

  // The henv now answers on its host and its owner can log in.
  EXPECT_EQ(Login("5h9h66rt", "myapp", kPassword).status, 200);
}

TEST_F(HenvTest, NewAcceptsFormBodiesAndUsesTheClientsHost) {
  auto reply = Fetch(port(), {"POST", "/new", "LocalHost:8080",
                              {{"Content-Type", "application/x-www-form-urlencoded"}},
                              "username=alice&password=correct+horse+battery&email=alice%40example.com"});
  ASSERT_EQ(reply.status, 201) << reply.body;
  EXPECT_EQ(Member(reply, "url"), Json("http://ma3ys3gw.localhost:8080"));
}

TEST_F(HenvTest, NewRejectsBadInputNamingTheField) {
  struct Case {
    Json body;
    std::string field;
  };
  const std::vector<Case> cases = {
      {Json::MakeObject({{"password", kPassword}, {"email", "a@example.com"}}), "username"},
      {Json::MakeObject({{"username", "ab"}, {"password", kPassword}, {"email", "a@example.com"}}), "username"},
      {Json::MakeObject({{"username", "Upper"}, {"password", kPassword}, {"email", "a@example.com"}}), "username"},
      {Json::MakeObject({{"username", "has space"}, {"password", kPassword}, {"email", "a@example.com"}}), "username"},
      {Json::MakeObject({{"username", std::string(64, 'a')}, {"password", kPassword}, {"email", "a@example.com"}}),
       "username"},
      {Json::MakeObject({{"username", "okname"}, {"password", "short"}, {"email", "a@example.com"}}), "password"},
      {Json::MakeObject({{"username", "okname"}, {"password", "aaaaaaaaaaaa"}, {"email", "a@example.com"}}),
       "password"},
      {Json::MakeObject({{"username", "okname"}, {"password", kPassword}, {"email", "not-an-email"}}), "email"},
      {Json::MakeObject({{"username", "okname"}, {"password", kPassword}}), "email"},
      {Json::MakeObject({{"username", 42}, {"password", kPassword}, {"email", "a@example.com"}}), "username"},
  };
  for (const auto& c : cases) {
    auto reply = Post("localhost", "/new", c.body);
    SCOPED_TRACE(c.body.dump());
    EXPECT_EQ(reply.status, 400);
    EXPECT_EQ(ErrorCode(reply), "invalid_field");
    Json message = *Member(reply, "error").find("message");
    EXPECT_EQ(message.as_string().rfind(c.field, 0), 0u) << message.as_string();
  }
  auto bad_json = Fetch(port(), {"POST", "/new", "localhost", {{"Content-Type", "application/json"}}, "{nope"});
  EXPECT_EQ(bad_json.status, 400);
  EXPECT_EQ(ErrorCode(bad_json), "invalid_json");
  auto xml = Fetch(port(), {"POST", "/new", "localhost", {{"Content-Type", "text/xml"}}, "<a/>"});
  EXPECT_EQ(xml.status, 415);
  EXPECT_TRUE(std::filesystem::is_empty(server_->storage_dir()));
}

TEST_F(HenvTest, ATakenNameIs409) {
  CreateHenv("taken-name");
  auto again = Post("localhost", "/new",
                    Json::MakeObject({{"username", "taken-name"}, {"password", kPassword}, {"email", "x@example.com"}}));
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(ErrorCode(again), "username_taken");
}

TEST_F(HenvTest, EightConcurrentCreatesOfOneNameYieldExactlyOne201) {
  std::atomic<int> created{0};
  std::atomic<int> conflicts{0};
  std::atomic<int> other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      auto reply = Post("localhost", "/new",
                        Json::MakeObject({{"username", "race"}, {"password", kPassword}, {"email", "r@example.com"}}));
      if (reply.status == 201) ++created;
      else if (reply.status == 409) ++conflicts;
      else ++other;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(created.load(), 1);
  EXPECT_EQ(conflicts.load(), 7);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(Login("5k2bq0o9", "race", kPassword).status, 404);  // an unrelated hash is still unknown
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(server_->storage_dir()), {}), 1);
}

TEST_F(HenvTest, SignupPageIsServed) {
  auto page = Get(port(), "/new", "localhost");
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.header("content-type").value_or(""), "text/html; charset=utf-8");
  EXPECT_NE(page.body.find("<form"), std::string::npos);
  EXPECT_NE(page.body.find("/new"), std::string::npos);
}

TEST(HenvSignupToken, NewRequiresTheTokenWhenConfigured) {
  const std::string token = "a-long-signup-token-1234";
  HbfProcess server({{"--new_token", token}, {}, {}, {}});
  ASSERT_TRUE(server.Start()) << server.logs();
  std::string body =
      Json::MakeObject({{"username", "gated"}, {"password", kPassword}, {"email", "g@example.com"}}).dump();
  auto without = Fetch(server.port(), {"POST", "/new", "localhost", {{"Content-Type", "application/json"}}, body});
  EXPECT_EQ(without.status, 401);
  auto wrong = Fetch(server.port(), {"POST", "/new", "localhost",
                                     {{"Content-Type", "application/json"}, {"Authorization", "Bearer nope"}}, body});
  EXPECT_EQ(wrong.status, 401);
  auto with = Fetch(server.port(), {"POST", "/new", "localhost",
                                    {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + token}}, body});
  EXPECT_EQ(with.status, 201) << with.body;
}

// ------------------------------------------------------------------- login

TEST_F(HenvTest, LoginIssuesATokenAndAnHttpOnlyCookie) {
  std::string hash = CreateHenv("logme");
  auto reply = Login(hash, "logme", kPassword);
  ASSERT_EQ(reply.status, 200) << reply.body;
  ASSERT_TRUE(Member(reply, "token").is_string());
  EXPECT_TRUE(Member(reply, "expires_at").is_int());
  EXPECT_EQ(*Member(reply, "user").find("role"), Json("owner"));
  std::string cookie = reply.header("set-cookie").value_or("");
  EXPECT_EQ(cookie.rfind("hbf_session=" + Member(reply, "token").as_string() + ";", 0), 0u) << cookie;
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(cookie.find("SameSite=Lax"), std::string::npos);

  // The token works as a Bearer token and as the cookie.
  std::string token = Member(reply, "token").as_string();
  auto me = Call("GET", HostOf(hash), "/_api/me", token);
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(*Member(me, "user").find("username"), Json("logme"));
  auto by_cookie = Fetch(port(), {"GET", "/_api/me", HostOf(hash), {{"Cookie", "other=1; hbf_session=" + token}}, {}});
  EXPECT_EQ(by_cookie.status, 200) << by_cookie.body;
}

TEST_F(HenvTest, WrongCredentialsAre401) {
  std::string hash = CreateHenv("wrongpw");
  EXPECT_EQ(ErrorCode(Login(hash, "wrongpw", "not the password")), "invalid_credentials");
  EXPECT_EQ(ErrorCode(Login(hash, "nobody", kPassword)), "invalid_credentials");
  EXPECT_EQ(Call("GET", HostOf(hash), "/_api/me", "").status, 401);
}

TEST_F(HenvTest, TokenRejectionMatrix) {
  std::string a = CreateHenv("henv-a");
  std::string b = CreateHenv("henv-b");
  std::string token = Token(a, "henv-a");
  ASSERT_EQ(Call("GET", HostOf(a), "/_api/me", token).status, 200);

  auto expect_401 = [&](const std::string& host, const std::string& t, const std::string& why) {
    auto reply = Call("GET", host, "/_api/me", t);
    EXPECT_EQ(reply.status, 401) << why << ": " << reply.body;
    EXPECT_EQ(ErrorCode(reply), "unauthorized") << why;
  };
  size_t dot1 = token.find('.');
  size_t dot2 = token.rfind('.');
  std::string header = token.substr(0, dot1);
  std::string payload = token.substr(dot1 + 1, dot2 - dot1 - 1);
  std::string signature = token.substr(dot2 + 1);

  // Bad signature (one character of it changed).
  std::string bad_sig = token;
  bad_sig.back() = bad_sig.back() == 'A' ? 'B' : 'A';
  expect_401(HostOf(a), bad_sig, "bad signature");
  // Payload changed (role escalation attempt) with the old signature.
  auto claims = Json::Parse(*crypto::Base64UrlDecode(payload));
  ASSERT_TRUE(claims.ok());
  Json forged = *claims;
  forged.set("sub", "999");
  expect_401(HostOf(a), header + "." + crypto::Base64UrlEncode(forged.dump()) + "." + signature, "forged payload");
  // alg "none" with an empty signature.
  auto head = Json::Parse(*crypto::Base64UrlDecode(header));
  Json none = *head;
  none.set("alg", "none");
  expect_401(HostOf(a), crypto::Base64UrlEncode(none.dump()) + "." + payload + ".", "alg none");
  Json hs512 = *head;
  hs512.set("alg", "HS512");
  expect_401(HostOf(a), crypto::Base64UrlEncode(hs512.dump()) + "." + payload + "." + signature, "alg HS512");
  // A token of henv A presented to henv B.
  expect_401(HostOf(b), token, "cross-henv");
  // Garbage.
  expect_401(HostOf(a), "not.a.token", "garbage");
  expect_401(HostOf(a), "x", "garbage");

  // Revoked by logout.
  auto logout = Call("POST", HostOf(a), "/logout", token);
  EXPECT_EQ(logout.status, 200);
  EXPECT_NE(logout.header("set-cookie").value_or("").find("Max-Age=0"), std::string::npos);
  expect_401(HostOf(a), token, "revoked");
}

TEST_F(HenvTest, DisabledUsersAreLockedOut) {
  std::string hash = CreateHenv("disabler");
  std::string owner = Token(hash, "disabler");
  auto created = Call("POST", HostOf(hash), "/_api/users", owner,
                      Json::MakeObject({{"username", "bob"}, {"password", kPassword}}).dump());
  ASSERT_EQ(created.status, 201) << created.body;
  int64_t bob_id = Member(created, "user").find("id")->as_int();
  std::string bob = Token(hash, "bob");
  ASSERT_EQ(Call("GET", HostOf(hash), "/_api/me", bob).status, 200);

  auto disable = Call("PATCH", HostOf(hash), "/_api/users/" + std::to_string(bob_id), owner, R"({"enabled":false})");
  ASSERT_EQ(disable.status, 200) << disable.body;
  EXPECT_EQ(*Member(disable, "user").find("enabled"), Json(false));
  EXPECT_EQ(Call("GET", HostOf(hash), "/_api/me", bob).status, 401);
  // The same answer whatever the password: no oracle for it.
  auto right = Login(hash, "bob", kPassword);
  auto wrong = Login(hash, "bob", "not the password");
  EXPECT_EQ(right.status, 401);
  EXPECT_EQ(ErrorCode(right), "invalid_credentials");
  EXPECT_EQ(wrong.status, right.status);
  EXPECT_EQ(wrong.body, right.body);
}

TEST_F(HenvTest, ParallelGuessesAreCountedBeforeTheyAreHashed) {
  std::string hash = CreateHenv("parallel");
  std::vector<std::thread> threads;
  std::atomic<int> evaluated{0};
  std::atomic<int> refused{0};
  for (int i = 0; i < 30; ++i) {
    threads.emplace_back([&] {
      auto r = Login(hash, "parallel", "wrong password!");
      if (r.status == 401) ++evaluated;
      if (r.status == 429) ++refused;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_LE(evaluated.load(), 5) << "only the free attempts reach the password check";
  EXPECT_EQ(evaluated.load() + refused.load(), 30);
}

TEST_F(HenvTest, OneAddressGuessingManyAccountsIsThrottled) {
  std::string hash = CreateHenv("sprayed");
  int refused = 0;
  for (int i = 0; i < 25; ++i) {
    auto r = Login(hash, "user" + std::to_string(i), "wrong password!");
    if (r.status == 429) ++refused;
  }
  EXPECT_GE(refused, 5) << "20 failures per address, then 429";
}

TEST_F(HenvTest, SuccessfulLoginsAreNeverThrottled) {
  std::string hash = CreateHenv("regular");
  for (int i = 0; i < 30; ++i) ASSERT_EQ(Login(hash, "regular", kPassword).status, 200) << i;
}

TEST_F(HenvTest, FailedLoginsAreThrottled) {
  std::string hash = CreateHenv("throttled");
  for (int i = 0; i < 5; ++i) EXPECT_EQ(Login(hash, "throttled", "wrong password!").status, 401) << i;
  auto locked = Login(hash, "throttled", "wrong password!");
  EXPECT_EQ(locked.status, 429);
  EXPECT_EQ(ErrorCode(locked), "too_many_attempts");
  int retry_after = std::stoi(locked.header("retry-after").value_or("0"));
  EXPECT_GT(retry_after, 0);
  // While locked, even the right password is refused...
  EXPECT_EQ(Login(hash, "throttled", kPassword).status, 429);
  // ...but another username from the same client is not affected.
  EXPECT_EQ(Login(hash, "someone-else", "wrong password!").status, 401);
}

TEST_F(HenvTest, LoginSweepsExpiredSessions) {
  std::string hash = CreateHenv("sweeper");
  Token(hash, "sweeper");
  const std::string file = server_->storage_dir() + "/" + hash + "/index.db";
  auto count_expired = [&] {
    auto db = db::Database::Open(file);
    auto n = db->QueryValue("SELECT count(*) FROM _hbf_sessions WHERE expires_at = 1");
    return std::get<int64_t>(**n);
  };
  {
    auto db = db::Database::Open(file);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(db->Exec("UPDATE _hbf_sessions SET expires_at = 1").ok());  // long expired
  }
  ASSERT_EQ(count_expired(), 1);
  Token(hash, "sweeper");
  EXPECT_EQ(count_expired(), 0);
}

TEST_F(HenvTest, RotatedKeysKeepOldTokensValid) {
  std::string hash = CreateHenv("rotator");
  std::string before = Token(hash, "rotator");
  auto rotate = Call("POST", HostOf(hash), "/_api/keys/rotate", before);
  ASSERT_EQ(rotate.status, 200) << rotate.body;
  std::string new_kid = Member(rotate, "kid").as_string();
  std::string after = Token(hash, "rotator");
  auto kid_of = [](const std::string& t) {
    auto head = Json::Parse(*crypto::Base64UrlDecode(t.substr(0, t.find('.'))));
    return head->find("kid")->as_string();
  };
  EXPECT_NE(kid_of(before), kid_of(after));
  EXPECT_EQ(kid_of(after), new_kid);
  EXPECT_EQ(Call("GET", HostOf(hash), "/_api/me", before).status, 200);
  EXPECT_EQ(Call("GET", HostOf(hash), "/_api/me", after).status, 200);
}

// -------------------------------------------------------- user management

TEST_F(HenvTest, UserManagementRules) {
  std::string hash = CreateHenv("manager");
  std::string owner = Token(hash, "manager");
  auto list = Call("GET", HostOf(hash), "/_api/users", owner);
  ASSERT_EQ(list.status, 200);
  ASSERT_EQ(Member(list, "users").as_array().size(), 1u);
  int64_t owner_id = Member(list, "users").as_array()[0].find("id")->as_int();

  auto created = Call("POST", HostOf(hash), "/_api/users", owner,
                      R"({"username":"carol","password":"carol's password","email":"c@example.com","role":"admin"})");
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(*Member(created, "user").find("role"), Json("admin"));
  int64_t carol_id = Member(created, "user").find("id")->as_int();
  EXPECT_EQ(Call("POST", HostOf(hash), "/_api/users", owner, R"({"username":"carol","password":"another pass 1"})").status,
            409);
  EXPECT_EQ(ErrorCode(Call("POST", HostOf(hash), "/_api/users", owner,
                           R"({"username":"dave","password":"another pass 1","role":"owner"})")),
            "invalid_field");

  // The owner cannot be deleted, demoted or disabled - not even by an admin.
  std::string carol = Token(hash, "carol", "carol's password");
  std::string owner_path = "/_api/users/" + std::to_string(owner_id);
  EXPECT_EQ(Call("DELETE", HostOf(hash), owner_path, owner).status, 403);
  EXPECT_EQ(Call("PATCH", HostOf(hash), owner_path, owner, R"({"role":"admin"})").status, 403);
  EXPECT_EQ(Call("PATCH", HostOf(hash), owner_path, owner, R"({"enabled":false})").status, 403);
  EXPECT_EQ(Call("PATCH", HostOf(hash), owner_path, carol, R"({"email":"evil@example.com"})").status, 403);
  EXPECT_EQ(Call("DELETE", HostOf(hash), owner_path, carol).status, 403);

  // A plain user may not manage users at all.
  ASSERT_EQ(Call("PATCH", HostOf(hash), "/_api/users/" + std::to_string(carol_id), owner, R"({"role":"user"})").status,
            200);
  std::string carol_again = Token(hash, "carol", "carol's password");
  EXPECT_EQ(Call("GET", HostOf(hash), "/_api/users", carol_again).status, 403);
  EXPECT_EQ(Call("POST", HostOf(hash), "/_api/keys/rotate", carol_again).status, 403);

  // A new password ends the user's sessions and the new one works.
  auto changed = Call("PATCH", HostOf(hash), "/_api/users/" + std::to_string(carol_id), owner,
                      R"({"password":"a brand new password"})");
  ASSERT_EQ(changed.status, 200) << changed.body;
  EXPECT_EQ(Call("GET", HostOf(hash), "/_api/me", carol_again).status, 401);
  EXPECT_EQ(Login(hash, "carol", "a brand new password").status, 200);

  // Delete, then the user is gone.
  EXPECT_EQ(Call("DELETE", HostOf(hash), "/_api/users/" + std::to_string(carol_id), owner).status, 200);
  EXPECT_EQ(Call("GET", HostOf(hash), "/_api/users/" + std::to_string(carol_id), owner).status, 404);
  EXPECT_EQ(Call("GET", HostOf(hash), "/_api/users/abc", owner).status, 404);
}

// ------------------------------------------------------ persistence & LRU

TEST(HenvLifecycle, HenvsSurviveARestartAndReopenAfterEviction) {
  TempDir storage;
  std::vector<std::string> hashes;
  {
    HbfProcess server({{"--db_max_open", "1"}, {}, {}, storage.path()});
    ASSERT_TRUE(server.Start()) << server.logs();
    for (const char* name : {"first-app", "second-app", "third-app"}) {
      auto reply = Fetch(server.port(), {"POST", "/new", "localhost", {{"Content-Type", "application/json"}},
                                         Json::MakeObject({{"username", name}, {"password", kPassword},
                                                           {"email", "x@example.com"}}).dump()});
      ASSERT_EQ(reply.status, 201) << reply.body;
      hashes.push_back(Member(reply, "user_hash").as_string());
    }
    // With room for one open henv, every login reopens an evicted one.
    for (int round = 0; round < 2; ++round) {
      for (size_t i = 0; i < hashes.size(); ++i) {
        auto login = Fetch(server.port(), {"POST", "/login", HostOf(hashes[i]), {{"Content-Type", "application/json"}},
                                           Json::MakeObject({{"username", std::vector<std::string>{"first-app", "second-app", "third-app"}[i]},
                                                             {"password", kPassword}}).dump()});
        EXPECT_EQ(login.status, 200) << login.body;
      }
    }
    auto health = Get(server.port(), "/health");
    EXPECT_LE(Member(health, "active_henvs").as_int(), 1);
    server.Signal(SIGTERM);
    ASSERT_EQ(server.WaitExit(15s).value_or(-1), 0);
  }
  HbfProcess restarted({{}, {}, {}, storage.path()});
  ASSERT_TRUE(restarted.Start()) << restarted.logs();
  auto login = Fetch(restarted.port(), {"POST", "/login", HostOf(hashes[1]), {{"Content-Type", "application/json"}},
                                        R"({"username":"second-app","password":"correct horse battery"})"});
  EXPECT_EQ(login.status, 200) << login.body;
}

// Past --db_max_open a henv's connection is closed but the henv stays in
// memory, dormant: a script request that needs no query is answered without
// opening its file again while the file provably did not change, and a
// change made behind hbf's back (another process writing the file) is seen
// by the next request.
TEST(HenvLifecycle, ADormantHenvAnswersWithoutReopeningItsFileUntilTheFileChanges) {
  TempDir storage;
  HbfProcess server({{"--db_max_open", "1"}, {}, {}, storage.path()});
  ASSERT_TRUE(server.Start()) << server.logs();
  TestHenv a = CreateHenvAndLogin(server.port(), "dormant-a");
  TestHenv b = CreateHenvAndLogin(server.port(), "dormant-b");
  ASSERT_FALSE(a.token.empty() || b.token.empty()) << server.logs();
  auto router = [](int version) {
    return "import { Router } from 'hbf:router';\nconst r = new Router();\n"
           "r.get('/hello', (req, res) => res.json({ version: " + std::to_string(version) + " }));\nexport default r;\n";
  };
  auto put = Fetch(server.port(), {"PUT", "/_api/documents/_system/router.js", a.host,
                                   {{"Authorization", "Bearer " + a.token}, {"Content-Type", "text/javascript"}},
                                   router(1)});
  ASSERT_TRUE(put.status == 200 || put.status == 201) << put.body;
  auto hello = [&](const TestHenv& henv) { return Fetch(server.port(), {"GET", "/hello", henv.host, {}, {}}); };
  auto health = [&](const char* key) { return Member(Get(server.port(), "/health"), key).as_int(); };
  const std::string file = storage.path() + "/" + a.hash + "/index.db";

  ASSERT_EQ(hello(a).body, R"({"version":1})");
  // b's query closes a's connection (folding its WAL into the file); a's
  // next query opens it again; then its file's last write is made old, as an
  // app's is that was not written to lately, and b's query closes it again.
  auto users = [&](const TestHenv& henv) {
    return Fetch(server.port(), {"GET", "/_api/users", henv.host, {{"Authorization", "Bearer " + henv.token}}, {}});
  };
  ASSERT_EQ(users(b).status, 200);
  ASSERT_EQ(users(a).status, 200);
  // (what a request derives from a's settings is kept 100 ms; reopening
  // read them afresh: a script request now derives its part from those)
  std::this_thread::sleep_for(150ms);
  ASSERT_EQ(hello(a).body, R"({"version":1})");
  timespec old[2];
  ::clock_gettime(CLOCK_REALTIME, &old[0]);
  old[0].tv_sec -= 60;
  old[1] = old[0];
  ASSERT_EQ(::utimensat(AT_FDCWD, file.c_str(), old, 0), 0);
  ASSERT_EQ(users(b).status, 200);
  EXPECT_EQ(health("active_henvs"), 1);
  EXPECT_EQ(health("dormant_henvs"), 1);

  // Served dormant: past the settings' 100 ms in memory, yet no open.
  std::this_thread::sleep_for(150ms);
  const int64_t opens = health("henv_file_opens");
  for (int i = 0; i < 3; ++i) {
    auto reply = hello(a);
    EXPECT_EQ(reply.status, 200) << reply.body;
    EXPECT_EQ(reply.body, R"({"version":1})");
    std::this_thread::sleep_for(120ms);
  }
  EXPECT_EQ(health("henv_file_opens"), opens) << "a dormant henv's file was opened again for a request needing no query";

  // Another process changes a's code in its file: the next request sees it.
  {
    auto db = db::Database::Open(file, db::Database::Options{.create = false});
    ASSERT_TRUE(db.ok()) << db.error().message;
    auto stmt = db->Prepare("UPDATE documents SET content = ? WHERE path = '_system/router.js'");
    ASSERT_TRUE(stmt.ok()) << stmt.error().message;
    stmt->Bind(1, router(2));
    ASSERT_TRUE(stmt->Run().ok());
  }
  std::this_thread::sleep_for(150ms);
  auto changed = hello(a);
  EXPECT_EQ(changed.status, 200) << changed.body;
  EXPECT_EQ(changed.body, R"({"version":2})") << server.logs();
  EXPECT_GT(health("henv_file_opens"), opens);
}

// Open henvs hold descriptors (the file, its WAL and shared memory, and
// their workers' connections): hbf keeps no more open than its open-file
// limit holds (an eighth of half of it) and caps its workers by what is left,
// whatever --db_max_open says, so a low limit costs reopening, never a 503
// from an open that ran out (which it did under load before the workers
// waiting to be destroyed were counted).
TEST(HenvLifecycle, KeepsOnlyAsManyHenvsOpenAsTheFileLimitHolds) {
  TempDir storage;
  std::string hash;
  {
    HbfProcess first({{"--dev"}, {}, {}, storage.path()});
    ASSERT_TRUE(first.Start()) << first.logs();
    TestHenv henv = CreateHenvAndLogin(first.port(), "fdlimit");
    ASSERT_FALSE(henv.token.empty()) << first.logs();
    auto put = Fetch(first.port(), {"PUT", "/_api/documents/_system/router.js", henv.host,
                                    {{"Authorization", "Bearer " + henv.token}, {"Content-Type", "text/javascript"}},
                                    "import { Router } from 'hbf:router';\nconst r = new Router();\n"
                                    "r.get('/hello', (req, res) => res.json({ ok: true }));\nexport default r;\n"});
    ASSERT_TRUE(put.status == 200 || put.status == 201) << put.body;
    hash = henv.hash;
    first.Signal(SIGTERM);
    ASSERT_EQ(first.WaitExit(15s).value_or(-1), 0);
  }
  // A henv is a file: 40 copies make 40 henvs, each with its router.
  std::vector<std::string> hashes;
  for (int i = 0; i < 40; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "fdcopy%02d", i);
    std::filesystem::create_directory(storage.path() + "/" + name);
    std::filesystem::copy_file(storage.path() + "/" + hash + "/index.db", storage.path() + "/" + std::string(name) + "/index.db");
    hashes.push_back(name);
  }
  HbfProcess limited({{"--db_max_open", "1000"}, {}, {}, storage.path(), {"/usr/bin/prlimit", "--nofile=128:128", "--"}});
  ASSERT_TRUE(limited.Start()) << limited.logs();
  for (int round = 0; round < 2; ++round) {
    for (const std::string& h : hashes) {
      auto reply = Fetch(limited.port(), {"GET", "/hello", HostOf(h), {}, {}});
      ASSERT_EQ(reply.status, 200) << h << ": " << reply.body << "\n" << limited.logs();
    }
  }
  auto health = Get(limited.port(), "/health");
  EXPECT_LE(Member(health, "active_henvs").as_int(), 8);
  EXPECT_NE(limited.logs().find("keeping at most 8 henvs open"), std::string::npos) << limited.logs();
}

TEST_F(HenvTest, WrongMethodsAre405) {
  std::string hash = CreateHenv("methods");
  EXPECT_EQ(Call("PUT", HostOf(hash), "/login", "").status, 405);
  EXPECT_EQ(Call("GET", HostOf(hash), "/logout", "").status, 405);
  EXPECT_EQ(Call("DELETE", "localhost", "/new", "").status, 405);
  EXPECT_EQ(Call("GET", HostOf(hash), "/nothing", "").status, 404);
}

// ------------------------------------------------------- browser-side attacks

TEST_F(HenvTest, CookieAuthenticatedWritesMustComeFromTheHenvsOwnOrigin) {
  std::string a = CreateHenv("victim");
  std::string b = CreateHenv("attacker");
  std::string token = Token(a, "victim");
  const std::string own = "http://" + HostOf(a);  // as the Host header names it
  const std::string sibling = "http://" + HostOf(b);
  auto create_admin = [&](std::vector<std::pair<std::string, std::string>> headers) {
    headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    return Fetch(port(), {"POST", "/_api/users", HostOf(a), std::move(headers),
                          "username=mallory&password=correct+horse+battery&role=admin"});
  };
  const std::pair<std::string, std::string> cookie{"Cookie", "hbf_session=" + token};
  // A page on a sibling henv (same site: SameSite=Lax does not help).
  auto forged = create_admin({cookie, {"Origin", sibling}, {"Sec-Fetch-Site", "same-site"}});
  EXPECT_EQ(forged.status, 403) << forged.body;
  EXPECT_EQ(ErrorCode(forged), "csrf_rejected");
  EXPECT_EQ(ErrorCode(create_admin({cookie, {"Sec-Fetch-Site", "same-site"}})), "csrf_rejected");
  EXPECT_EQ(ErrorCode(create_admin({cookie, {"Origin", "null"}})), "csrf_rejected");
  EXPECT_EQ(ErrorCode(create_admin({cookie})), "csrf_rejected") << "neither Origin nor Sec-Fetch-Site";
  // The code of the henv cannot be replaced that way either.
  auto code = Fetch(port(), {"PUT", "/_api/documents/_system/router.js", HostOf(a),
                             {cookie, {"Origin", sibling}, {"Content-Type", "text/plain"}}, "export default 1"});
  EXPECT_EQ(ErrorCode(code), "csrf_rejected");
  // Nor can the henv's own routes be driven.
  auto logout = Fetch(port(), {"POST", "/logout", HostOf(a), {cookie, {"Origin", sibling}}, {}});
  EXPECT_EQ(ErrorCode(logout), "csrf_rejected");
  auto users = Call("GET", HostOf(a), "/_api/users", token);
  EXPECT_EQ(users.body.find("mallory"), std::string::npos);

  // The henv's own pages, and Bearer clients from anywhere, go through.
  EXPECT_EQ(create_admin({cookie, {"Origin", own}}).status, 201);
  auto by_bearer = Fetch(port(), {"POST", "/_api/users", HostOf(a),
                                  {{"Authorization", "Bearer " + token}, {"Origin", sibling},
                                   {"Content-Type", "application/json"}},
                                  R"({"username":"api-made","password":"correct horse battery"})"});
  EXPECT_EQ(by_bearer.status, 201) << by_bearer.body;
  auto same_origin = create_admin({cookie, {"Sec-Fetch-Site", "same-origin"}});
  EXPECT_EQ(same_origin.status, 409) << "passes the check (and the name is taken)";
  // Reads are not state-changing: no Origin needed.
  EXPECT_EQ(Fetch(port(), {"GET", "/_api/me", HostOf(a), {cookie}, {}}).status, 200);
}

TEST_F(HenvTest, ScriptsCannotSetHbfsCookieOrCookiesForSiblings) {
  std::string hash = CreateHenv("cookies");
  std::string token = Token(hash, "cookies");
  auto put = Fetch(port(), {"PUT", "/_api/documents/_system/router.js", HostOf(hash),
                            {{"Authorization", "Bearer " + token}, {"Content-Type", "text/javascript"}},
                            R"js(
import { Router } from "hbf:router";
const router = new Router();
router.get("/toss", (req, res) => {
  res.cookie("hbf_session", "junk", { domain: "localhost" });
  res.append("Set-Cookie", "__Host-hbf_session=junk; Path=/; Secure");
  res.cookie("theme", "dark", { domain: "localhost", path: "/" });
  res.send("ok");
});
export default router;
)js"});
  ASSERT_TRUE(put.status == 200 || put.status == 201) << put.body;
  auto r = Fetch(port(), {"GET", "/toss", HostOf(hash), {}, {}});
  ASSERT_EQ(r.status, 200) << r.body;
  std::vector<std::string> cookies;
  for (const auto& [k, v] : r.headers) {
    if (k == "set-cookie") cookies.push_back(v);
  }
  ASSERT_EQ(cookies.size(), 1u);
  EXPECT_EQ(cookies[0].rfind("theme=dark", 0), 0u) << cookies[0];
  EXPECT_EQ(cookies[0].find("Domain"), std::string::npos) << cookies[0];
  EXPECT_NE(cookies[0].find("Path=/"), std::string::npos) << cookies[0];
}

TEST_F(HenvTest, OverHttpsTheSessionCookieIsHostBound) {
  Start({"--trust_proxy"});
  std::string hash = CreateHenv("secure");
  auto reply = Post(HostOf(hash), "/login", Json::MakeObject({{"username", "secure"}, {"password", kPassword}}),
                    {{"X-Forwarded-Proto", "https"}});
  ASSERT_EQ(reply.status, 200) << reply.body;
  std::string cookie = reply.header("set-cookie").value_or("");
  EXPECT_EQ(cookie.rfind("__Host-hbf_session=", 0), 0u) << cookie;
  EXPECT_NE(cookie.find("; Secure"), std::string::npos);
  EXPECT_NE(cookie.find("Path=/"), std::string::npos);
  EXPECT_EQ(cookie.find("Domain"), std::string::npos);
  std::string token = Member(reply, "token").as_string();
  // A tossed plain cookie sent first does not shadow it.
  auto me = Fetch(port(), {"GET", "/_api/me", HostOf(hash),
                           {{"Cookie", "hbf_session=tossed; __Host-hbf_session=" + token}}, {}});
  EXPECT_EQ(me.status, 200) << me.body;
}

}  // namespace
}  // namespace hbf::test
