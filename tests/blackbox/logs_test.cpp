// Black-box tests of a henv's own log (GET/DELETE /_api/logs): what its
// scripts write there, who may read it, the long-poll, and that it lasts
// across a restart. Without --dev: the owner reads what the client is not
// told.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <future>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "support/hbf_process.h"
#include "support/http_client.h"

namespace hbf::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kRouter = R"js(
import { Router } from "hbf:router";
const router = new Router();
router.get("/hello", (req, res) => {
  console.log("hello from", req.path);
  console.warn("careful now");
  res.json({ ok: true });
});
router.get("/boom", (req, res) => {
  throw new Error("kaboom 42");
});
router.get("/sleepy", async (req, res) => {
  await new Promise((resolve) => setTimeout(resolve, 400));
  res.json({ slept: true });
});
router.get("/busy", (req, res) => {
  const end = Date.now() + 400;
  while (Date.now() < end) {}
  res.status(201).json({ busy: true });
});
router.get("/spin", (req, res) => { for (;;) {} });
export default router;
)js";

class LogsTest : public ::testing::Test {
 protected:
  // Slow requests only where a test asks for them: a cold worker on a busy
  // machine must not add entries the other tests count.
  void SetUp() override { Start(QuietFlags()); }
  static std::vector<std::string> QuietFlags() { return {"--slow_request_ms", "5000", "--qjs_timeout_ms", "1000"}; }

  // Waits (bounded) until the server counts `n` requests in flight besides
  // the /health probe that asks.
  bool InFlight(int n) {
    for (int i = 0; i < 500; ++i) {
      const Json health = Fetch(port(), {"GET", "/health", "localhost", {}, {}}).json();
      const Json* count = health.find("in_flight_requests");
      if (count != nullptr && count->is_number() && count->as_double() >= n + 1) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }

  // Starts hbf on `storage_` (kept across restarts); creates the henv and
  // its router the first time.
  void Start(std::vector<std::string> args) {
    server_ = std::make_unique<HbfProcess>(HbfProcess::Options{args, {}, {}, storage_.path()});
    ASSERT_TRUE(server_->Start()) << server_->logs();
    if (host_.empty()) {
      TestHenv henv = CreateHenvAndLogin(port(), "logsapp");
      ASSERT_FALSE(henv.token.empty()) << server_->logs();
      host_ = henv.host;
      token_ = henv.token;
      auto put = Fetch(port(), {"PUT",
                                "/_api/documents/_system/router.js",
                                host_,
                                {{"Authorization", "Bearer " + token_}, {"Content-Type", "text/javascript"}},
                                kRouter});
      ASSERT_TRUE(put.status == 200 || put.status == 201) << put.body;
    }
  }

  void Restart(std::vector<std::string> args) {
    server_->Signal(SIGTERM);
    ASSERT_EQ(server_->WaitExit(15s).value_or(-1), 0) << server_->logs();
    Start(std::move(args));
  }

  uint16_t port() const { return server_->port(); }

  HttpReply Call(const std::string& path) { return Fetch(port(), {"GET", path, host_, {}, {}}); }

  // GET /_api/logs{query} as `token` (the owner's by default; "" for none).
  HttpReply Logs(const std::string& query = "", std::optional<std::string> token = std::nullopt,
                 const std::string& method = "GET") {
    std::vector<std::pair<std::string, std::string>> headers;
    const std::string bearer = token.value_or(token_);
    if (!bearer.empty()) headers.emplace_back("Authorization", "Bearer " + bearer);
    return Fetch(port(), {method, "/_api/logs" + query, host_, headers, {}});
  }

  // The entries of a 200 answer.
  static std::vector<Json> Entries(const HttpReply& r) {
    EXPECT_EQ(r.status, 200) << r.body;
    const Json* entries = r.json().find("entries");
    if (entries == nullptr || !entries->is_array()) return {};
    return entries->as_array();
  }

  static std::string Text(const Json& entry, const char* field) {
    const Json* v = entry.find(field);
    return v != nullptr && v->is_string() ? v->as_string() : "<no " + std::string(field) + ">";
  }

  // The first entry whose message contains `needle`, if any.
  static std::optional<Json> FindEntry(const std::vector<Json>& entries, const std::string& needle) {
    for (const auto& e : entries) {
      if (Text(e, "message").find(needle) != std::string::npos) return e;
    }
    return std::nullopt;
  }

  int64_t NextSeq() {
    auto r = Logs();
    EXPECT_EQ(r.status, 200) << r.body;
    const Json* next = r.json().find("next");
    return next != nullptr && next->is_int() ? next->as_int() : -1;
  }

  std::string CreatePlainUser() {
    auto created = Fetch(port(), {"POST",
                                  "/_api/users",
                                  host_,
                                  {{"Authorization", "Bearer " + token_}, {"Content-Type", "application/json"}},
                                  R"({"username":"plain","password":"plain user pass"})"});
    EXPECT_EQ(created.status, 201) << created.body;
    auto login = Fetch(port(), {"POST",
                                "/login",
                                host_,
                                {{"Content-Type", "application/json"}},
                                R"({"username":"plain","password":"plain user pass"})"});
    const Json* token = login.json().find("token");
    return token != nullptr && token->is_string() ? token->as_string() : "";
  }

  TempDir storage_;
  std::unique_ptr<HbfProcess> server_;
  std::string host_;
  std::string token_;
};

TEST_F(LogsTest, ConsoleOutputOfARouteIsInTheLog) {
  ASSERT_EQ(Call("/hello").status, 200);
  auto entries = Entries(Logs());
  auto hello = FindEntry(entries, "hello from /hello");
  ASSERT_TRUE(hello.has_value()) << Logs().body;
  EXPECT_EQ(Text(*hello, "level"), "info");
  EXPECT_EQ(Text(*hello, "source"), "console");
  EXPECT_TRUE(hello->find("seq")->is_int());
  EXPECT_TRUE(hello->find("ts")->is_int());
  EXPECT_EQ(Text(*hello, "method"), "GET") << hello->dump();
  EXPECT_EQ(Text(*hello, "path"), "/hello") << "console lines say which request logged them";
  auto warn = FindEntry(entries, "careful now");
  ASSERT_TRUE(warn.has_value());
  EXPECT_EQ(Text(*warn, "level"), "warn");
  EXPECT_GT(warn->find("seq")->as_int(), hello->find("seq")->as_int()) << "ascending by seq";
  EXPECT_TRUE(server_->WaitForLog("console: hello from /hello", 5s)) << "the server log keeps its line too";
}

TEST_F(LogsTest, AThrowingRouteIsLoggedWithItsStackAndLocation) {
  auto boom = Call("/boom");
  ASSERT_EQ(boom.status, 500);
  EXPECT_EQ(boom.body.find("kaboom"), std::string::npos) << "the client is not told (no --dev)";
  auto entries = Entries(Logs("?level=error"));
  ASSERT_EQ(entries.size(), 1u) << Logs().body;
  const Json& e = entries[0];
  EXPECT_EQ(Text(e, "source"), "error");
  EXPECT_EQ(Text(e, "level"), "error");
  EXPECT_EQ(Text(e, "code"), "script_error");
  EXPECT_NE(Text(e, "message").find("kaboom 42"), std::string::npos) << e.dump();
  EXPECT_EQ(Text(e, "location").rfind("_system/router.js:", 0), 0u) << e.dump();
  EXPECT_NE(Text(e, "stack").find("_system/router.js"), std::string::npos) << e.dump();
  EXPECT_EQ(Text(e, "method"), "GET");
  EXPECT_EQ(Text(e, "path"), "/boom");
  EXPECT_EQ(*e.find("status"), Json(500));
}

TEST_F(LogsTest, LevelFiltersToThatLevelAndAbove) {
  ASSERT_EQ(Call("/hello").status, 200);
  ASSERT_EQ(Call("/boom").status, 500);
  auto all = Entries(Logs());
  ASSERT_TRUE(FindEntry(all, "hello from").has_value());
  auto warn = Entries(Logs("?level=warn"));
  ASSERT_EQ(warn.size(), 2u) << Logs("?level=warn").body;
  EXPECT_EQ(Text(warn[0], "level"), "warn");
  EXPECT_EQ(Text(warn[1], "level"), "error");
  for (const auto& e : Entries(Logs("?level=error"))) EXPECT_EQ(Text(e, "level"), "error") << e.dump();
}

TEST_F(LogsTest, SinceAndLimitPage) {
  for (int i = 0; i < 3; ++i) ASSERT_EQ(Call("/hello").status, 200);  // six entries
  auto newest = Logs("?limit=2");
  auto two = Entries(newest);
  ASSERT_EQ(two.size(), 2u);
  const int64_t last = two[1].find("seq")->as_int();
  EXPECT_EQ(*newest.json().find("next"), Json(last));
  auto first = Logs("?since=0&limit=4");
  auto four = Entries(first);
  ASSERT_EQ(four.size(), 4u);
  EXPECT_EQ(four[0].find("seq")->as_int(), 1);
  EXPECT_EQ(*first.json().find("next"), Json(four[3].find("seq")->as_int()));
  auto rest = Entries(Logs("?since=" + std::to_string(four[3].find("seq")->as_int())));
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_EQ(rest[1].find("seq")->as_int(), last);
}

TEST_F(LogsTest, SlowRequestsAreLoggedWhetherTheyAwaitOrSpin) {
  Restart({"--slow_request_ms", "200"});
  ASSERT_EQ(Call("/sleepy").status, 200);
  ASSERT_EQ(Call("/busy").status, 201);
  std::vector<Json> slow;
  for (const auto& e : Entries(Logs("?level=warn"))) {
    if (Text(e, "source") == "slow") slow.push_back(e);
  }
  ASSERT_EQ(slow.size(), 2u) << Logs().body;
  EXPECT_EQ(Text(slow[0], "path"), "/sleepy");
  EXPECT_EQ(*slow[0].find("status"), Json(200));
  EXPECT_EQ(Text(slow[1], "path"), "/busy");
  EXPECT_EQ(Text(slow[1], "method"), "GET");
  EXPECT_EQ(*slow[1].find("status"), Json(201));
  for (const auto& e : slow) {
    EXPECT_EQ(Text(e, "level"), "warn");
    EXPECT_GT(e.find("duration_ms")->as_int(), 200) << e.dump();
  }
}

TEST_F(LogsTest, ARunawayScriptIsLoggedAsALimit) {
  ASSERT_EQ(Call("/spin").status, 504);
  auto entries = Entries(Logs("?level=error"));
  ASSERT_EQ(entries.size(), 1u) << Logs().body;
  EXPECT_EQ(Text(entries[0], "source"), "limit");
  EXPECT_EQ(Text(entries[0], "code"), "script_timeout");
  EXPECT_EQ(Text(entries[0], "path"), "/spin");
}

TEST_F(LogsTest, OnlyTheOwnerAndAdminsMayReadOrClear) {
  ASSERT_EQ(Call("/hello").status, 200);
  EXPECT_EQ(Logs("", "").status, 401);
  EXPECT_EQ(Logs("", "", "DELETE").status, 401);
  std::string plain = CreatePlainUser();
  ASSERT_FALSE(plain.empty());
  auto as_user = Logs("", plain);
  EXPECT_EQ(as_user.status, 403);
  EXPECT_EQ(as_user.error_code(), "forbidden");
  EXPECT_EQ(Logs("", plain, "DELETE").status, 403);
  EXPECT_EQ(Logs("?wait=5", plain).status, 403) << "no long-poll either";
  EXPECT_FALSE(Entries(Logs()).empty()) << "the refused DELETE cleared nothing";
}

TEST_F(LogsTest, BadParametersAre400NamingThem) {
  for (const auto& [query, name] : std::vector<std::pair<std::string, std::string>>{{"?limit=0", "limit"},
                                                                                    {"?limit=1001", "limit"},
                                                                                    {"?limit=ten", "limit"},
                                                                                    {"?since=-1", "since"},
                                                                                    {"?since=1.5", "since"},
                                                                                    {"?level=loud", "level"},
                                                                                    {"?wait=31", "wait"},
                                                                                    {"?wait=-1", "wait"}}) {
    auto r = Logs(query);
    EXPECT_EQ(r.status, 400) << query << ": " << r.body;
    EXPECT_EQ(r.error_code(), "invalid_field") << query;
    const Json* error = r.json().find("error");
    ASSERT_NE(error, nullptr) << query;
    EXPECT_EQ(error->find("message")->as_string().rfind(name + ":", 0), 0u) << query << ": " << r.body;
  }
  EXPECT_EQ(Logs("?limit=1000").status, 200);
  EXPECT_EQ(Logs("", std::nullopt, "PUT").status, 405);
}

TEST_F(LogsTest, DeleteClearsTheLogAndTheNumberingGoesOn) {
  ASSERT_EQ(Call("/hello").status, 200);
  const int64_t before = NextSeq();
  ASSERT_GE(before, 2);
  auto cleared = Logs("", std::nullopt, "DELETE");
  ASSERT_EQ(cleared.status, 200) << cleared.body;
  EXPECT_EQ(*cleared.json().find("cleared"), Json(true));
  auto entries = Entries(Logs());
  ASSERT_EQ(entries.size(), 1u) << Logs().body;
  EXPECT_EQ(Text(entries[0], "source"), "system");
  EXPECT_EQ(Text(entries[0], "message").rfind("logs cleared", 0), 0u);
  EXPECT_EQ(entries[0].find("seq")->as_int(), before + 1);
  // The clearing is audited.
  auto audit = Fetch(port(), {"GET", "/_api/audit", host_, {{"Authorization", "Bearer " + token_}}, {}});
  EXPECT_NE(audit.body.find("logs.clear"), std::string::npos) << audit.body;
}

TEST_F(LogsTest, ALongPollReturnsAnEntryLoggedWhileItWaits) {
  // Two handler threads: a henv gets one of them. A long-poll that held its
  // thread would keep /hello queued until the polls gave up, so they would
  // come back empty.
  Restart({"--num_threads", "2"});
  const int64_t since = NextSeq();
  ASSERT_GE(since, 0);
  std::vector<std::future<HttpReply>> polls;
  for (int i = 0; i < 3; ++i) {
    polls.push_back(
        std::async(std::launch::async, [this, since] { return Logs("?since=" + std::to_string(since) + "&wait=5"); }));
  }
  std::this_thread::sleep_for(300ms);  // let them park (if they come later, they find the entry at once)
  ASSERT_EQ(Call("/hello").status, 200);
  for (auto& poll : polls) {
    HttpReply r = poll.get();
    auto entries = Entries(r);
    ASSERT_FALSE(entries.empty()) << r.body;
    EXPECT_EQ(entries[0].find("seq")->as_int(), since + 1);
    EXPECT_NE(Text(entries[0], "message").find("hello from /hello"), std::string::npos) << r.body;
  }
}

TEST_F(LogsTest, ALongPollWithNothingNewAnswersEmptyWhenItsWaitIsOver) {
  const int64_t since = NextSeq();
  auto r = Logs("?since=" + std::to_string(since) + "&wait=1");
  EXPECT_TRUE(Entries(r).empty()) << r.body;
  EXPECT_EQ(*r.json().find("next"), Json(since));
}

TEST_F(LogsTest, AParkedLongPollIsAnsweredWhenTheServerShutsDown) {
  // A drain longer than the client's patience: the poll comes back only if
  // the server answers it on its own.
  Restart({"--drain_timeout_ms", "20000"});
  const int64_t since = NextSeq();
  auto poll =
      std::async(std::launch::async, [this, since] { return Logs("?since=" + std::to_string(since) + "&wait=30"); });
  ASSERT_TRUE(InFlight(1)) << "the poll should be parked before the drain";
  server_->Signal(SIGTERM);
  HttpReply r = poll.get();
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(server_->WaitExit(15s).value_or(-1), 0);
}

TEST_F(LogsTest, LogsSurviveARestart) {
  ASSERT_EQ(Call("/hello").status, 200);
  ASSERT_EQ(Call("/boom").status, 500);
  const int64_t before = NextSeq();
  Restart(QuietFlags());  // (a cold worker past the default 1 s would log a slow request)
  auto entries = Entries(Logs());
  EXPECT_TRUE(FindEntry(entries, "hello from /hello").has_value()) << Logs().body;
  EXPECT_TRUE(FindEntry(entries, "kaboom 42").has_value());
  EXPECT_EQ(NextSeq(), before);
  ASSERT_EQ(Call("/hello").status, 200);
  auto after = Entries(Logs("?since=" + std::to_string(before)));
  ASSERT_EQ(after.size(), 2u);
  EXPECT_EQ(after[0].find("seq")->as_int(), before + 1) << "numbering goes on after the restart";
}

}  // namespace
}  // namespace hbf::test
