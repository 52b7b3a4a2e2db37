// Black-box tests of live record changes (issue #14 item 5): GET
// /_api/realtime as Server-Sent Events and over a WebSocket, each event
// filtered by the subscriber's grants and row policies as the records API
// would filter a read; changes made through the records API, by the
// henv's scripts (their own connection) and by documents; the streamed
// body itself (chunked, heartbeats, the end of a stream on shutdown).
#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <string>
#include <thread>
#include <vector>

#include "blackbox/henv_fixture.h"
#include "core/json.h"
#include "support/sse_client.h"
#include "support/ws_client.h"

namespace hbf::test {
namespace {

using namespace std::chrono_literals;

class RealtimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<HbfProcess>(
        HbfProcess::Options{{"--dev", "--realtime_heartbeat_s", "1", "--realtime_max_per_henv", "6"}, {}, {}, {}});
    ASSERT_TRUE(server_->Start()) << server_->logs();
    TestHenv henv = CreateHenvAndLogin(port(), "live");
    ASSERT_FALSE(henv.token.empty()) << server_->logs();
    host_ = henv.host;
    token_ = henv.token;
    // The app's schema, made by its own code; /add inserts as the app.
    auto put = Api("PUT", "/_api/documents/_system/router.js", R"js(
import { Router } from "hbf:router";
import db from "hbf:db";
db.execute("CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, owner TEXT NOT NULL, body TEXT)");
db.execute("CREATE TABLE IF NOT EXISTS ledger (id INTEGER PRIMARY KEY, amount INTEGER)");
const router = new Router();
router.get("/ready", (req, res) => res.send("ready"));
router.post("/add", (req, res) => {
  db.execute("INSERT INTO notes (owner, body) VALUES (?, ?)", [req.body.owner, req.body.body]);
  res.json({ ok: true });
});
router.post("/bulk", (req, res) => {
  db.transaction(() => {
    for (let i = 0; i < 1500; i++) db.execute("INSERT INTO ledger (amount) VALUES (?)", [i]);
  });
  res.json({ ok: true });
});
export default router;
)js",
                   "text/javascript");
    ASSERT_TRUE(put.status == 200 || put.status == 201) << put.body;
    ASSERT_EQ(Fetch(port(), {"GET", "/ready", host_, {}, {}}).body, "ready");
    ASSERT_EQ(Api("POST", "/_api/permissions",
                  R"({"role":"user","table":"notes","select":true,"insert":true,"update":true,"delete":true})")
                  .status,
              200);
    ASSERT_EQ(Api("POST", "/_api/policies",
                  R"({"table":"notes","name":"own rows","role":"user","operation":"all","condition":"owner = $username"})")
                  .status,
              201);
    alice_ = AddUser("alice");
    bob_ = AddUser("bob");
  }

  uint16_t port() const { return server_->port(); }

  HttpReply Api(const std::string& method, const std::string& path, const std::string& body = {},
                const std::string& type = "application/json") {
    return As(token_, method, path, body, type);
  }
  HttpReply As(const std::string& token, const std::string& method, const std::string& path,
               const std::string& body = {}, const std::string& type = "application/json") {
    std::vector<std::pair<std::string, std::string>> headers;
    if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
    if (!body.empty()) headers.emplace_back("Content-Type", type);
    return Fetch(port(), {method, path, host_, std::move(headers), body});
  }

  std::string AddUser(const std::string& name) { return AddUserAndLogin(port(), host_, token_, name); }

  std::unique_ptr<SseClient> Subscribe(const std::string& token, const std::string& query) {
    std::vector<std::pair<std::string, std::string>> headers;
    if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
    auto client = std::make_unique<SseClient>(port(), host_, "/_api/realtime?" + query, std::move(headers));
    if (client->status() == 200) {
      auto ready = client->Next();
      EXPECT_TRUE(ready && ready->event == "ready") << (ready ? ready->data : "<nothing>");
    }
    return client;
  }

  // The next change event's JSON (null Json when none arrived).
  static Json NextChange(SseClient& client, std::chrono::milliseconds timeout = 10s) {
    for (;;) {
      auto e = client.Next(timeout);
      if (!e) return Json();
      if (e->event != "change") continue;
      auto parsed = Json::Parse(e->data);
      return parsed.ok() ? *parsed : Json();
    }
  }

  static std::string Str(const Json& j, const char* key) {
    const Json* v = j.find(key);
    return v != nullptr && v->is_string() ? v->as_string() : "<missing " + std::string(key) + ">";
  }
  static std::string RowField(const Json& j, const char* key) {
    const Json* row = j.find("row");
    return row != nullptr ? Str(*row, key) : "<no row>";
  }

  std::unique_ptr<HbfProcess> server_;
  std::string host_;
  std::string token_;
  std::string alice_;
  std::string bob_;
};

TEST_F(RealtimeTest, EachSubscriberSeesOnlyTheRowsItsPoliciesAllow) {
  auto alice = Subscribe(alice_, "tables=notes");
  auto bob = Subscribe(bob_, "tables=notes");
  auto owner = Subscribe(token_, "tables=notes,ledger");
  ASSERT_EQ(alice->status(), 200);
  EXPECT_EQ(alice->header("content-type").value_or(""), "text/event-stream; charset=utf-8");
  EXPECT_EQ(alice->header("transfer-encoding").value_or(""), "chunked");
  ASSERT_EQ(bob->status(), 200);
  ASSERT_EQ(owner->status(), 200);

  // Written through the records API by the owner: alice's row.
  auto created = Api("POST", "/_api/data/notes", R"({"owner":"alice","body":"for alice"})");
  ASSERT_EQ(created.status, 201) << created.body;
  Json a = NextChange(*alice);
  EXPECT_EQ(Str(a, "op"), "create");
  EXPECT_EQ(Str(a, "table"), "notes");
  EXPECT_EQ(RowField(a, "body"), "for alice");
  const Json* id = a.find("id");
  ASSERT_NE(id, nullptr);
  const int64_t alice_row = id->as_int();
  Json o = NextChange(*owner);
  EXPECT_EQ(RowField(o, "body"), "for alice");

  // Bob's row, by the app's own code (the worker's connection).
  ASSERT_EQ(As(token_, "POST", "/add", R"({"owner":"bob","body":"for bob"})").status, 200);
  Json b = NextChange(*bob);
  EXPECT_EQ(Str(b, "op"), "create");
  EXPECT_EQ(RowField(b, "body"), "for bob") << "bob's first event must be his own row, never alice's";
  EXPECT_EQ(RowField(NextChange(*owner), "body"), "for bob");

  // Alice changes and deletes her row; bob hears of neither.
  ASSERT_EQ(As(alice_, "PATCH", "/_api/data/notes/" + std::to_string(alice_row), R"({"body":"edited"})").status, 200);
  Json u = NextChange(*alice);
  EXPECT_EQ(Str(u, "op"), "update");
  EXPECT_EQ(RowField(u, "body"), "edited");
  ASSERT_EQ(As(alice_, "DELETE", "/_api/data/notes/" + std::to_string(alice_row)).status, 200);
  Json d = NextChange(*alice);
  EXPECT_EQ(Str(d, "op"), "delete");
  ASSERT_NE(d.find("id"), nullptr);
  EXPECT_EQ(d.find("id")->as_int(), alice_row);
  EXPECT_EQ(RowField(d, "body"), "edited");
  // Bob's next event is the next row of his (not alice's update or delete).
  ASSERT_EQ(As(bob_, "POST", "/_api/data/notes", R"({"owner":"bob","body":"second"})").status, 201);
  EXPECT_EQ(RowField(NextChange(*bob), "body"), "second");

  // The owner follows ledger too (alice and bob cannot subscribe to it).
  ASSERT_EQ(Api("POST", "/_api/data/ledger", R"({"amount":7})").status, 201);
  Json l;
  for (int i = 0; i < 5 && Str(l, "table") != "ledger"; ++i) l = NextChange(*owner);
  EXPECT_EQ(Str(l, "table"), "ledger");

  // A quiet stream gets heartbeats (--realtime_heartbeat_s 1).
  EXPECT_TRUE(alice->WaitForRaw(": keep-alive", 5s)) << alice->raw();
}

TEST_F(RealtimeTest, ABulkTransactionIsOneManyEvent) {
  auto owner = Subscribe(token_, "tables=ledger");
  ASSERT_EQ(owner->status(), 200);
  ASSERT_EQ(As(token_, "POST", "/bulk", "{}").status, 200);
  Json many = NextChange(*owner);
  EXPECT_EQ(Str(many, "op"), "many");
  EXPECT_EQ(Str(many, "table"), "ledger");
}

TEST_F(RealtimeTest, SubscriptionsAreCheckedWhenMade) {
  auto unknown = Subscribe(token_, "tables=nope");
  EXPECT_EQ(unknown->status(), 404) << unknown->error_body();
  auto hbf_own = Subscribe(token_, "tables=_hbf_users");
  EXPECT_EQ(hbf_own->status(), 404) << hbf_own->error_body();
  auto denied = Subscribe(alice_, "tables=ledger");
  EXPECT_EQ(denied->status(), 403) << denied->error_body();
  auto anonymous = Subscribe("", "tables=notes");
  EXPECT_EQ(anonymous->status(), 403) << anonymous->error_body();
  auto nothing = Subscribe(token_, "");
  EXPECT_EQ(nothing->status(), 400) << nothing->error_body();
  auto bad_token = Subscribe("not-a-token", "tables=notes");
  EXPECT_EQ(bad_token->status(), 401) << bad_token->error_body();
  // EventSource cannot set headers: ?token= works too.
  auto by_query = Subscribe("", "tables=notes&token=" + alice_);
  EXPECT_EQ(by_query->status(), 200);
  auto post = Api("POST", "/_api/realtime?tables=notes");
  EXPECT_EQ(post.status, 405);
}

TEST_F(RealtimeTest, ClosedSubscribersFreeTheirPlace) {
  // --realtime_max_per_henv 6.
  std::vector<std::unique_ptr<SseClient>> open;
  for (int i = 0; i < 6; ++i) {
    open.push_back(Subscribe(alice_, "tables=notes"));
    ASSERT_EQ(open.back()->status(), 200) << i;
  }
  auto refused = Subscribe(alice_, "tables=notes");
  EXPECT_EQ(refused->status(), 503) << refused->error_body();
  open.pop_back();  // the client goes away: the server notices and frees the place
  bool admitted = false;
  for (int attempt = 0; attempt < 50 && !admitted; ++attempt) {
    auto again = Subscribe(alice_, "tables=notes");
    admitted = again->status() == 200;
    if (!admitted) std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(admitted);
}

TEST_F(RealtimeTest, DocumentsAreNewsOnlyWhereTheyAreServedPublicly) {
  auto visitor = Subscribe("", "documents=1");
  auto owner = Subscribe(token_, "documents=1");
  ASSERT_EQ(visitor->status(), 200);
  ASSERT_EQ(owner->status(), 200);
  ASSERT_EQ(Api("PUT", "/_api/documents/secret/plan.txt?visibility=private", "hidden", "text/plain").status, 201);
  ASSERT_EQ(Api("PUT", "/_api/documents/_system/notes.js", "export default 1;", "text/javascript").status, 201);
  ASSERT_EQ(Api("PUT", "/_api/documents/hello.txt", "hello", "text/plain").status, 201);
  // The visitor's first document event is the public one.
  Json v = NextChange(*visitor);
  EXPECT_EQ(Str(v, "table"), "documents");
  EXPECT_EQ(Str(v, "id"), "hello.txt");
  EXPECT_EQ(Str(v, "op"), "create");
  EXPECT_EQ(RowField(v, "content_type").rfind("text/plain", 0), 0u) << v.dump();
  // The owner sees all of them, in order.
  std::vector<std::string> seen;
  for (int i = 0; i < 10 && (seen.empty() || seen.back() != "hello.txt"); ++i) seen.push_back(Str(NextChange(*owner), "id"));
  ASSERT_GE(seen.size(), 3u);
  EXPECT_EQ(seen.front(), "secret/plan.txt");
  EXPECT_NE(std::find(seen.begin(), seen.end(), "_system/notes.js"), seen.end());
  EXPECT_EQ(seen.back(), "hello.txt");
  ASSERT_EQ(Api("DELETE", "/_api/documents/hello.txt").status, 200);
  Json gone = NextChange(*visitor);
  EXPECT_EQ(Str(gone, "op"), "delete");
  EXPECT_EQ(Str(gone, "id"), "hello.txt");
}

TEST_F(RealtimeTest, WebSocketSubscribersGetTheSameEvents) {
  WsClient ws(port(), host_, "/_api/realtime?tables=notes&token=" + alice_);
  ASSERT_TRUE(ws.open()) << ws.reply().status << " " << ws.reply().body;
  auto ready = ws.ReceiveMessage();
  ASSERT_TRUE(ready.has_value());
  EXPECT_NE(ready->find("\"tables\":[\"notes\"]"), std::string::npos) << *ready;
  ASSERT_EQ(Api("POST", "/_api/data/notes", R"({"owner":"bob","body":"not for alice"})").status, 201);
  ASSERT_EQ(Api("POST", "/_api/data/notes", R"({"owner":"alice","body":"hi alice"})").status, 201);
  auto message = ws.ReceiveMessage();
  ASSERT_TRUE(message.has_value());
  auto event = Json::Parse(*message);
  ASSERT_TRUE(event.ok()) << *message;
  EXPECT_EQ(RowField(*event, "body"), "hi alice");
  // A socket opened by another site does not ride on the visitor's cookie
  // (anonymous has no grant on notes); from the henv's own page it does.
  auto login = Fetch(port(), {"POST", "/login", host_, {{"Content-Type", "application/json"}},
                              R"({"username":"alice","password":"alice long password"})"});
  ASSERT_EQ(login.status, 200) << login.body;
  std::string cookie;
  for (const auto& [name, value] : login.headers) {
    if (name == "set-cookie") cookie = value.substr(0, value.find(';'));
  }
  ASSERT_FALSE(cookie.empty());
  WsClient cross(port(), host_, "/_api/realtime?tables=notes", {{"Origin", "http://evil.localhost"}, {"Cookie", cookie}});
  EXPECT_EQ(cross.reply().status, 403) << cross.reply().body;
  WsClient same(port(), host_, "/_api/realtime?tables=notes", {{"Origin", "http://" + host_}, {"Cookie", cookie}});
  EXPECT_TRUE(same.open()) << same.reply().status << " " << same.reply().body;
}

TEST_F(RealtimeTest, StreamsEndCleanlyWhenTheServerStops) {
  auto alice = Subscribe(alice_, "tables=notes");
  ASSERT_EQ(alice->status(), 200);
  server_->Signal(SIGTERM);  // the drain ends open streams with their last chunk
  EXPECT_FALSE(alice->Next(10s).has_value());
  EXPECT_TRUE(alice->ended());
}

TEST_F(RealtimeTest, AnHttp10ClientReadsUntilTheConnectionCloses) {
  SseClient old(port(), host_, "/_api/realtime?tables=notes", {{"Authorization", "Bearer " + alice_}}, true);
  ASSERT_EQ(old.status(), 200);
  EXPECT_FALSE(old.header("transfer-encoding").has_value());
  EXPECT_EQ(old.header("connection").value_or(""), "close");
  auto ready = old.Next();
  ASSERT_TRUE(ready.has_value());
  EXPECT_EQ(ready->event, "ready");
  ASSERT_EQ(Api("POST", "/_api/data/notes", R"({"owner":"alice","body":"plain"})").status, 201);
  EXPECT_EQ(RowField(NextChange(old), "body"), "plain");
}

}  // namespace
}  // namespace hbf::test
