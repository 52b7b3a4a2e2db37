// Black-box tests of WebSockets: router.ws routes, hbf:ws channels, the
// built-in /ws/{channel} socket, the protocol's rules and limits, run by the
// real binary over loopback.
#include <gtest/gtest.h>

#include <csignal>
#include <memory>
#include <string>
#include <thread>

#include "support/hbf_process.h"
#include "support/http_client.h"
#include "support/ws_client.h"

namespace hbf::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kRouter = R"js(
import { Router } from "hbf:router";
import db from "hbf:db";
import { publish } from "hbf:ws";
db.execute("CREATE TABLE IF NOT EXISTS closes (code INTEGER, reason TEXT, count INTEGER)");
const router = new Router();

router.ws("/echo", {
  open(ws, req) { ws.send("hello " + (req.user ? req.user.username : "anonymous")); },
  message(ws, data, isBinary) {
    if (isBinary) ws.send(new Uint8Array([...data].reverse()));
    else ws.send("echo:" + data);
  },
});

router.ws("/count", {
  open(ws) { ws.data = { n: 0 }; },
  message(ws, data) { ws.data.n += 1; ws.send(String(ws.data.n)); },
  close(ws, code, reason) {
    db.execute("INSERT INTO closes (code, reason, count) VALUES (?, ?, ?)", [code, reason, ws.data.n]);
  },
});

router.ws("/room/:name", {
  open(ws, req) { ws.data = { room: req.params.name }; ws.subscribe(req.params.name); },
  message(ws, data) { publish(ws.data.room, "said:" + data); },
});

router.ws("/private", (req, res, next) => {
  if (!req.user) return res.status(401).json({ error: { code: "unauthorized", message: "sign in" } });
  next();
}, { open(ws, req) { ws.send("welcome " + req.user.username); } });

router.ws("/refuse", { open(ws) { ws.close(4401, "no entry"); } });
router.ws("/async", {
  async open(ws) { await new Promise((r) => setTimeout(r, 20)); ws.send("ready"); },
  async message(ws, data) { await new Promise((r) => setTimeout(r, 10)); ws.send("later:" + data); },
});
router.ws("/throws", { message() { throw new Error("handler broke"); } });
router.ws("/flood", {
  message(ws) { const chunk = "x".repeat(65536); for (let i = 0; i < 200; i++) ws.send(chunk); },
});
router.ws("/spec", { on_open(ctx) { ctx.send("spec names"); } });

router.get("/echo", (req, res) => res.json({ plain: true }));
router.post("/announce/:room", (req, res) => res.json({ reached: publish(req.params.room, "news") }));
router.get("/closes", (req, res) => res.json(db.query("SELECT code, reason, count FROM closes")));
export default router;
)js";

class WebSocketTest : public ::testing::Test {
 protected:
  void SetUp() override { Start({"--dev", "--ws_max_per_henv", "6", "--ws_max_message_kb", "64",
                                 "--ws_max_buffered_kb", "64"}); }

  void Start(std::vector<std::string> args) {
    server_ = std::make_unique<HbfProcess>(HbfProcess::Options{std::move(args), {}, {}, {}});
    ASSERT_TRUE(server_->Start()) << server_->logs();
    TestHenv henv = CreateHenvAndLogin(port(), "sockets");
    ASSERT_FALSE(henv.token.empty()) << server_->logs();
    host_ = henv.host;
    token_ = henv.token;
    SetRouter(host_, token_, kRouter);
  }

  void SetRouter(const std::string& host, const std::string& token, const std::string& source) {
    auto put = Fetch(port(), {"PUT", "/_api/documents/_system/router.js", host,
                              {{"Authorization", "Bearer " + token}, {"Content-Type", "text/javascript"}}, source});
    ASSERT_TRUE(put.status == 200 || put.status == 201) << put.body;
  }

  uint16_t port() const { return server_->port(); }
  std::unique_ptr<WsClient> Open(const std::string& path,
                                 std::vector<std::pair<std::string, std::string>> headers = {}) {
    return std::make_unique<WsClient>(port(), host_, path, std::move(headers));
  }

  std::unique_ptr<HbfProcess> server_;
  std::string host_;
  std::string token_;
};

TEST_F(WebSocketTest, EchoesTextAndBinaryAfterOpen) {
  auto ws = Open("/echo");
  ASSERT_TRUE(ws->open()) << ws->reply().status << " " << ws->reply().body << server_->logs();
  EXPECT_EQ(ws->ReceiveMessage(), "hello anonymous");
  ASSERT_TRUE(ws->SendText("hi"));
  EXPECT_EQ(ws->ReceiveMessage(), "echo:hi");
  ASSERT_TRUE(ws->SendBinary(std::string("\x01\x02\x03", 3)));
  WsFrame f = ws->Receive();
  EXPECT_EQ(f.opcode, 2);
  EXPECT_EQ(f.payload, std::string("\x03\x02\x01", 3));
  // A message in fragments is one message.
  ASSERT_TRUE(ws->SendFrame(0x1, "frag", /*fin=*/false));
  ASSERT_TRUE(ws->SendFrame(0x0, "mented"));
  EXPECT_EQ(ws->ReceiveMessage(), "echo:fragmented");
}

TEST_F(WebSocketTest, MetricsCountSocketsAndMessages) {
  auto ws = Open("/echo");
  ASSERT_TRUE(ws->open());
  EXPECT_EQ(ws->ReceiveMessage(), "hello anonymous");
  ASSERT_TRUE(ws->SendText("hi"));
  EXPECT_EQ(ws->ReceiveMessage(), "echo:hi");
  auto metrics = Fetch(port(), {"GET", "/metrics", "localhost", {}, {}});
  EXPECT_NE(metrics.body.find("\nhbf_websocket_connections 1\n"), std::string::npos) << metrics.body;
  EXPECT_NE(metrics.body.find("hbf_websocket_messages_total{direction=\"in\"} 1\n"), std::string::npos);
  EXPECT_NE(metrics.body.find("hbf_websocket_messages_total{direction=\"out\"} 2\n"), std::string::npos);
}

TEST_F(WebSocketTest, HandshakeAnswersTheKeyAndPlainGetsFallThrough) {
  auto ws = Open("/echo");
  ASSERT_TRUE(ws->open());
  // RFC 6455 §1.3's example key and its accept value.
  EXPECT_EQ(ws->reply().header("sec-websocket-accept"), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  EXPECT_EQ(ws->reply().header("upgrade"), "websocket");
  // The same path without an upgrade is an ordinary route.
  auto plain = Fetch(port(), {"GET", "/echo", host_, {}, {}});
  EXPECT_EQ(plain.status, 200);
  EXPECT_EQ(plain.body, R"({"plain":true})");
}

TEST_F(WebSocketTest, DataSurvivesBetweenEventsAndCloseRunsItsHandler) {
  {
    auto ws = Open("/count");
    ASSERT_TRUE(ws->open());
    for (int i = 1; i <= 3; ++i) {
      ASSERT_TRUE(ws->SendText("tick"));
      EXPECT_EQ(ws->ReceiveMessage(), std::to_string(i));
    }
    ASSERT_TRUE(ws->SendClose(4000, "bye"));
    WsFrame echo = ws->Receive();
    EXPECT_EQ(echo.opcode, 8);
    EXPECT_EQ(echo.close_code(), 4000);
    EXPECT_TRUE(ws->WaitClosed());
  }
  // The close handler ran with the code, the reason and the socket's data.
  for (int i = 0; i < 250; ++i) {  // (5 s: the handler runs on a handler thread)
    auto r = Fetch(port(), {"GET", "/closes", host_, {}, {}});
    if (r.body != "[]") {
      EXPECT_EQ(r.body, R"([{"code":4000,"reason":"bye","count":3}])");
      return;
    }
    std::this_thread::sleep_for(20ms);
  }
  FAIL() << "the close handler did not run";
}

TEST_F(WebSocketTest, DroppedConnectionStillRunsCloseWith1006) {
  {
    auto ws = Open("/count");
    ASSERT_TRUE(ws->open());
    ASSERT_TRUE(ws->SendText("tick"));
    EXPECT_EQ(ws->ReceiveMessage(), "1");
  }  // the TCP connection just ends
  for (int i = 0; i < 250; ++i) {  // (5 s: the handler runs on a handler thread)
    auto r = Fetch(port(), {"GET", "/closes", host_, {}, {}});
    if (r.body != "[]") {
      EXPECT_EQ(r.body, R"([{"code":1006,"reason":"","count":1}])");
      return;
    }
    std::this_thread::sleep_for(20ms);
  }
  FAIL() << "the close handler did not run";
}

TEST_F(WebSocketTest, ChannelsReachSubscribersOfTheSameHenvOnly) {
  auto a = Open("/room/lobby");
  auto b = Open("/room/lobby");
  auto elsewhere = Open("/room/kitchen");
  ASSERT_TRUE(a->open() && b->open() && elsewhere->open());
  ASSERT_TRUE(a->SendText("hi all"));
  EXPECT_EQ(a->ReceiveMessage(), "said:hi all");
  EXPECT_EQ(b->ReceiveMessage(), "said:hi all");
  // An HTTP route publishes too, and says how many sockets it reached.
  auto r = Fetch(port(), {"POST", "/announce/lobby", host_, {}, {}});
  EXPECT_EQ(r.body, R"({"reached":2})");
  EXPECT_EQ(b->ReceiveMessage(), "news");

  // Another henv with a socket on a channel of the same name hears nothing.
  TestHenv other = CreateHenvAndLogin(port(), "othersockets");
  SetRouter(other.host, other.token, kRouter);
  WsClient stranger(port(), other.host, "/room/lobby");
  ASSERT_TRUE(stranger.open());
  r = Fetch(port(), {"POST", "/announce/lobby", host_, {}, {}});
  EXPECT_EQ(r.body, R"({"reached":2})");
  r = Fetch(port(), {"POST", "/announce/lobby", other.host, {}, {}});
  EXPECT_EQ(r.body, R"({"reached":1})");
  EXPECT_EQ(stranger.ReceiveMessage(), "news");
  // kitchen heard nothing: its next message is the one sent to it now.
  r = Fetch(port(), {"POST", "/announce/kitchen", host_, {}, {}});
  EXPECT_EQ(elsewhere->ReceiveMessage(), "news");
}

TEST(WebSocketBroadcast, PublishReachesAHundredSockets) {
  HbfProcess server(HbfProcess::Options{{"--dev"}, {}, {}, {}});
  ASSERT_TRUE(server.Start()) << server.logs();
  TestHenv henv = CreateHenvAndLogin(server.port(), "broadcast");
  auto put = Fetch(server.port(), {"PUT", "/_api/documents/_system/router.js", henv.host,
                                   {{"Authorization", "Bearer " + henv.token}, {"Content-Type", "text/javascript"}},
                                   kRouter});
  ASSERT_TRUE(put.status == 200 || put.status == 201) << put.body;
  std::vector<std::unique_ptr<WsClient>> sockets;
  for (int i = 0; i < 100; ++i) {
    sockets.push_back(std::make_unique<WsClient>(server.port(), henv.host, "/room/all"));
    ASSERT_TRUE(sockets.back()->open()) << i << ": " << sockets.back()->reply().body;
  }
  auto r = Fetch(server.port(), {"POST", "/announce/all", henv.host, {}, {}});
  EXPECT_EQ(r.body, R"({"reached":100})");
  int received = 0;
  for (auto& ws : sockets) received += ws->ReceiveMessage() == std::optional<std::string>("news");
  EXPECT_EQ(received, 100);
}

TEST_F(WebSocketTest, ExpressAppsHaveWsRoutesToo) {
  SetRouter(host_, token_, R"js(
import express from "express";
const app = express();
const api = express.Router();
api.ws("/live", { open(ws) { ws.send("api live"); }, message(ws, data) { ws.send(data.toUpperCase()); } });
app.use("/api", api);
app.ws("/top", { message(ws, data) { ws.send("top:" + data); } });
export default app;
)js");
  auto mounted = Open("/api/live");
  ASSERT_TRUE(mounted->open()) << mounted->reply().status << " " << mounted->reply().body;
  EXPECT_EQ(mounted->ReceiveMessage(), "api live");
  ASSERT_TRUE(mounted->SendText("shout"));
  EXPECT_EQ(mounted->ReceiveMessage(), "SHOUT");
  auto top = Open("/top");
  ASSERT_TRUE(top->open());
  ASSERT_TRUE(top->SendText("x"));
  EXPECT_EQ(top->ReceiveMessage(), "top:x");
}

TEST_F(WebSocketTest, MiddlewareRefusesAnonymousUpgradeAndTokensSignIn) {
  auto anonymous = Open("/private");
  EXPECT_EQ(anonymous->reply().status, 401);
  EXPECT_EQ(anonymous->reply().error_code(), "unauthorized");

  auto by_query = Open("/private?token=" + token_);
  ASSERT_TRUE(by_query->open()) << by_query->reply().body;
  EXPECT_EQ(by_query->ReceiveMessage(), "welcome sockets");
  auto by_header = Open("/private", {{"Authorization", "Bearer " + token_}});
  ASSERT_TRUE(by_header->open());
  EXPECT_EQ(by_header->ReceiveMessage(), "welcome sockets");
}

TEST_F(WebSocketTest, CrossSiteUpgradeDoesNotCarryTheSessionCookie) {
  // Log in through the form to get a session cookie.
  auto login = Fetch(port(), {"POST", "/login", host_, {{"Content-Type", "application/json"}},
                              R"({"username":"sockets","password":")" + std::string(kTestPassword) + R"("})"});
  ASSERT_EQ(login.status, 200) << login.body;
  std::string cookie;
  for (const auto& [name, value] : login.headers) {
    if (name == "set-cookie") cookie = value.substr(0, value.find(';'));
  }
  ASSERT_FALSE(cookie.empty());
  auto same_site = Open("/private", {{"Cookie", cookie}, {"Origin", "http://" + host_}});
  EXPECT_TRUE(same_site->open()) << same_site->reply().status;
  auto cross_site = Open("/private", {{"Cookie", cookie}, {"Origin", "http://evil.localhost"}});
  EXPECT_EQ(cross_site->reply().status, 401);
}

TEST_F(WebSocketTest, OpenMayCloseWithItsOwnCode) {
  auto ws = Open("/refuse");
  ASSERT_TRUE(ws->open());
  WsFrame f = ws->Receive();
  EXPECT_EQ(f.opcode, 8);
  EXPECT_EQ(f.close_code(), 4401);
  EXPECT_EQ(f.payload.substr(2), "no entry");
}

TEST_F(WebSocketTest, AsyncHandlersAndSpecNames) {
  auto ws = Open("/async");
  ASSERT_TRUE(ws->open());
  EXPECT_EQ(ws->ReceiveMessage(), "ready");
  ASSERT_TRUE(ws->SendText("a"));
  ASSERT_TRUE(ws->SendText("b"));
  // One event at a time per socket: in order.
  EXPECT_EQ(ws->ReceiveMessage(), "later:a");
  EXPECT_EQ(ws->ReceiveMessage(), "later:b");
  auto spec = Open("/spec");
  ASSERT_TRUE(spec->open());
  EXPECT_EQ(spec->ReceiveMessage(), "spec names");
}

TEST_F(WebSocketTest, FailingHandlerClosesWith1011AndIsLogged) {
  auto ws = Open("/throws");
  ASSERT_TRUE(ws->open());
  ASSERT_TRUE(ws->SendText("x"));
  WsFrame f = ws->Receive();
  EXPECT_EQ(f.opcode, 8);
  EXPECT_EQ(f.close_code(), 1011);
  auto logs = Fetch(port(), {"GET", "/_api/logs", host_, {{"Authorization", "Bearer " + token_}}, {}});
  EXPECT_NE(logs.body.find("handler broke"), std::string::npos) << logs.body;
}

TEST_F(WebSocketTest, ProtocolViolationsCloseWithTheRightCode) {
  {
    auto ws = Open("/echo");
    ASSERT_TRUE(ws->open());
    ws->ReceiveMessage();
    // An unmasked frame from a client: 1002.
    ASSERT_TRUE(ws->SendRaw(std::string("\x81\x02hi", 4)));
    WsFrame f = ws->Receive();
    EXPECT_EQ(f.opcode, 8);
    EXPECT_EQ(f.close_code(), 1002);
    EXPECT_TRUE(ws->WaitClosed());
  }
  {
    auto ws = Open("/echo");
    ASSERT_TRUE(ws->open());
    ws->ReceiveMessage();
    ASSERT_TRUE(ws->SendText(std::string("\xC3\x28", 2)));  // not UTF-8
    WsFrame f = ws->Receive();
    EXPECT_EQ(f.close_code(), 1007);
  }
  {
    auto ws = Open("/echo");
    ASSERT_TRUE(ws->open());
    ws->ReceiveMessage();
    ASSERT_TRUE(ws->SendText(std::string(65 * 1024, 'a')));  // over --ws_max_message_kb 64
    WsFrame f = ws->Receive();
    EXPECT_EQ(f.close_code(), 1009);
  }
  {
    auto ws = Open("/echo");
    ASSERT_TRUE(ws->open());
    ws->ReceiveMessage();
    ASSERT_TRUE(ws->SendFrame(0x9, "are you there"));  // a ping
    WsFrame f = ws->Receive(/*return_pings=*/true);
    EXPECT_EQ(f.opcode, 0xA);
    EXPECT_EQ(f.payload, "are you there");
  }
}

TEST_F(WebSocketTest, BadHandshakesAreRefused) {
  {
    RawConnection c(port());
    ASSERT_TRUE(c.Send("GET /echo HTTP/1.1\r\nHost: " + host_ +
                       "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 8\r\n"
                       "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"));
    HttpReply r = c.ReadReply();
    EXPECT_EQ(r.status, 426);
    EXPECT_EQ(r.header("sec-websocket-version"), "13");
  }
  {
    RawConnection c(port());
    ASSERT_TRUE(c.Send("GET /echo HTTP/1.1\r\nHost: " + host_ +
                       "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n"));
    HttpReply r = c.ReadReply();
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.error_code(), "bad_websocket_handshake");
  }
  auto nowhere = Open("/nothing-here");
  EXPECT_EQ(nowhere->reply().status, 404);
  EXPECT_EQ(nowhere->reply().error_code(), "no_websocket_route");
  // A built-in endpoint never switches protocols.
  auto api = Open("/_api/documents");
  EXPECT_NE(api->reply().status, 101);
}

TEST_F(WebSocketTest, BuiltInChannelSocketNeedsASignedInUser) {
  auto anonymous = Open("/ws/news");
  EXPECT_EQ(anonymous->reply().status, 401);
  auto listener = Open("/ws/news?token=" + token_);
  ASSERT_TRUE(listener->open()) << listener->reply().body;
  auto r = Fetch(port(), {"POST", "/announce/news", host_, {}, {}});
  EXPECT_EQ(r.body, R"({"reached":1})");
  EXPECT_EQ(listener->ReceiveMessage(), "news");
}

TEST_F(WebSocketTest, PerHenvCapRefusesMoreSockets) {
  std::vector<std::unique_ptr<WsClient>> open;
  for (int i = 0; i < 6; ++i) {
    open.push_back(Open("/echo"));
    ASSERT_TRUE(open.back()->open()) << i;
  }
  auto one_more = Open("/echo");
  EXPECT_EQ(one_more->reply().status, 503);
  EXPECT_EQ(one_more->reply().error_code(), "too_many_websockets");
  // Closing one makes room again.
  open.front()->SendClose(1000);
  EXPECT_TRUE(open.front()->WaitClosed());
  open.erase(open.begin());
  bool reopened = false;
  for (int i = 0; i < 250 && !reopened; ++i) {  // (5 s)
    auto again = Open("/echo");
    reopened = again->open();
    if (!reopened) std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(reopened);
}

TEST_F(WebSocketTest, SlowReaderIsClosedWith1013) {
  auto ws = Open("/flood");
  ASSERT_TRUE(ws->open());
  ASSERT_TRUE(ws->SendText("go"));  // 12.8 MB for a client that reads nothing yet
  std::this_thread::sleep_for(500ms);
  // Read what was sent before the cap hit: it ends with a close 1013.
  int messages = 0;
  for (;;) {
    WsFrame f = ws->Receive();
    if (f.opcode == 1) {
      ++messages;
      continue;
    }
    EXPECT_EQ(f.opcode, 8);
    EXPECT_EQ(f.close_code(), 1013);
    break;
  }
  EXPECT_LT(messages, 200);
  // The server is fine.
  EXPECT_EQ(Fetch(port(), {"GET", "/health", "localhost", {}, {}}).status, 200);
}

TEST_F(WebSocketTest, ShutdownClosesSocketsWithGoingAway) {
  auto ws = Open("/echo");
  ASSERT_TRUE(ws->open());
  EXPECT_EQ(ws->ReceiveMessage(), "hello anonymous");
  server_->Signal(SIGTERM);
  WsFrame f = ws->Receive();
  EXPECT_EQ(f.opcode, 8);
  EXPECT_EQ(f.close_code(), 1001);
  EXPECT_EQ(server_->WaitExit(15s), 0);
}

}  // namespace
}  // namespace hbf::test
