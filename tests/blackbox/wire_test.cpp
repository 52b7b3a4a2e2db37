// Black-box tests of the HTTP layer on the wire: request smuggling defences,
// Host rules, limits, timeouts, pipelining, half-closed and idle clients,
// and that one henv's load never stalls another. Each speaks raw bytes to
// the real binary on loopback.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "support/hbf_process.h"
#include "support/http_client.h"

namespace hbf::test {
namespace {

using namespace std::chrono_literals;

int CountResponses(const std::string& raw) {
  int n = 0;
  for (size_t pos = raw.find("HTTP/1.1 "); pos != std::string::npos; pos = raw.find("HTTP/1.1 ", pos + 1)) ++n;
  return n;
}

std::string ErrorCode(const HttpReply& reply) { return reply.error_code(); }

class WireTest : public ::testing::Test {
 protected:
  void StartServer(std::vector<std::string> args = {}) {
    server_ = std::make_unique<HbfProcess>(HbfProcess::Options{std::move(args), {}, {}, {}});
    ASSERT_TRUE(server_->Start()) << server_->logs();
  }
  uint16_t port() const { return server_->port(); }
  std::unique_ptr<HbfProcess> server_;
};

// Each of these would let a front proxy and HBF disagree on where a request
// ends. HBF answers 400 once and closes: the smuggled request is never served.
TEST_F(WireTest, AmbiguousFramingIsRefusedOnceAndTheConnectionClosed) {
  StartServer();
  const std::string smuggled = "GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n";
  const std::vector<std::string> heads = {
      // Content-Length and Transfer-Encoding together.
      "POST /x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      // Two different Content-Lengths.
      "POST /x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nContent-Length: 44\r\n\r\n",
      // Whitespace between the field name and the colon.
      "POST /x HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n",
      // A chunk size that is not hex.
      "POST /x HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
      // A Transfer-Encoding that does not end in chunked.
      "POST /x HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: gzip\r\n\r\n",
      // A bare LF inside the header section.
      "GET /x HTTP/1.1\r\nHost: localhost\nX-A: b\r\n\r\n",
  };
  for (const std::string& head : heads) {
    SCOPED_TRACE(head);
    RawConnection conn(port());
    ASSERT_TRUE(conn.Send(head + smuggled));
    std::string raw = conn.ReadToClose();
    EXPECT_EQ(CountResponses(raw), 1) << raw;
    EXPECT_EQ(raw.rfind("HTTP/1.1 400 ", 0), 0u) << raw;
    EXPECT_NE(raw.find("Connection: close"), std::string::npos) << raw;
  }
  EXPECT_EQ(Get(port(), "/health").status, 200);
}

TEST_F(WireTest, ChunkedBodiesAndTabBeforeTheValueAreValid) {
  StartServer();
  RawConnection conn(port());
  ASSERT_TRUE(conn.Send("POST /upload HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding:\tchunked\r\n\r\n"
                        "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n"
                        "GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  auto first = conn.ReadReply();
  EXPECT_EQ(first.status, 404) << first.body;  // it reached routing: no such apex page
  EXPECT_EQ(ErrorCode(first), "not_found");
  EXPECT_EQ(conn.ReadReply().status, 200) << "the connection carries on after a chunked body";
}

TEST_F(WireTest, HostMustBePresentOnceAndAbsoluteFormWins) {
  StartServer();
  {
    RawConnection conn(port());
    ASSERT_TRUE(conn.Send("GET /health HTTP/1.1\r\nHost: localhost\r\nHost: evil.example\r\n\r\n"));
    auto reply = conn.ReadReply();
    EXPECT_EQ(reply.status, 400);
    EXPECT_EQ(ErrorCode(reply), "bad_request");
  }
  {
    RawConnection conn(port());
    ASSERT_TRUE(conn.Send("GET /nothing HTTP/1.1\r\n\r\n"));
    EXPECT_EQ(conn.ReadReply().status, 400);
  }
  {
    // RFC 9112 §3.2.2: the authority of an absolute-form target replaces Host.
    RawConnection conn(port());
    ASSERT_TRUE(conn.Send("GET http://5h9h66rt.localhost:5309/x?y=1 HTTP/1.1\r\nHost: localhost\r\n\r\n"));
    auto reply = conn.ReadReply();
    EXPECT_EQ(reply.status, 404);
    EXPECT_EQ(ErrorCode(reply), "henv_not_found") << reply.body;
  }
  {
    RawConnection conn(port());
    ASSERT_TRUE(conn.Send("GET http://localhost/health HTTP/1.1\r\nHost: other.example\r\n\r\n"));
    EXPECT_EQ(conn.ReadReply().status, 200);
  }
  {
    RawConnection conn(port());
    ASSERT_TRUE(conn.Send("GET health HTTP/1.1\r\nHost: localhost\r\n\r\n"));
    EXPECT_EQ(conn.ReadReply().status, 400);
  }
}

TEST_F(WireTest, TooManyOrTooLargeHeadersAre431) {
  StartServer({"--max_headers", "20", "--max_header_kb", "4"});
  {
    std::string request = "GET /health HTTP/1.1\r\nHost: localhost\r\n";
    for (int i = 0; i < 25; ++i) request += "X-H" + std::to_string(i) + ": v\r\n";
    request += "Connection: close\r\n\r\n";
    RawConnection conn(port());
    ASSERT_TRUE(conn.Send(request));
    auto reply = conn.ReadReply();
    EXPECT_EQ(reply.status, 431);
    EXPECT_EQ(ErrorCode(reply), "request_header_too_large");
  }
  {
    RawConnection conn(port());
    ASSERT_TRUE(conn.Send("GET /health HTTP/1.1\r\nHost: localhost\r\nX-Big: " + std::string(5000, 'a') + "\r\n\r\n"));
    EXPECT_EQ(conn.ReadReply().status, 431);
  }
  {
    RawConnection conn(port());
    ASSERT_TRUE(conn.Send("GET /" + std::string(5000, 'p') + " HTTP/1.1\r\nHost: localhost\r\n\r\n"));
    EXPECT_EQ(conn.ReadReply().status, 431);
  }
  // Just under both limits is fine.
  std::string request = "GET /health HTTP/1.1\r\nHost: localhost\r\n";
  for (int i = 0; i < 18; ++i) request += "X-H" + std::to_string(i) + ": v\r\n";
  RawConnection conn(port());
  ASSERT_TRUE(conn.Send(request + "\r\n"));
  EXPECT_EQ(conn.ReadReply().status, 200);
}

TEST_F(WireTest, GarbageAndUnsupportedVersionsGetAnErrorNotASilence) {
  StartServer();
  for (const std::string& raw : {std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11),
                                std::string("GET / HTTP/2.0\r\nHost: localhost\r\n\r\n"),
                                std::string("GET / HTTP/1.1 extra\r\nHost: localhost\r\n\r\n"),
                                std::string("G\0T / HTTP/1.1\r\n\r\n", 18)}) {
    RawConnection conn(port());
    ASSERT_TRUE(conn.Send(raw));
    std::string reply = conn.ReadToClose();
    EXPECT_TRUE(reply.rfind("HTTP/1.1 400 ", 0) == 0 || reply.rfind("HTTP/1.1 505 ", 0) == 0) << reply;
  }
  EXPECT_EQ(Get(port(), "/health").status, 200);
}

TEST_F(WireTest, SlowHeadersGet408AndIdleKeepAliveIsClosed) {
  StartServer({"--header_timeout_ms", "300", "--keep_alive_timeout_ms", "300"});
  {
    RawConnection slow(port());
    ASSERT_TRUE(slow.Send("GET /health HTTP/1.1\r\nHost: loc"));  // ...and nothing more
    std::string raw = slow.ReadToClose();
    EXPECT_EQ(raw.rfind("HTTP/1.1 408 ", 0), 0u) << raw;
  }
  {
    RawConnection idle(port());
    ASSERT_TRUE(idle.Send("GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n"));
    EXPECT_EQ(idle.ReadReply().status, 200);
    // Nothing more is sent: the server closes the idle connection by itself.
    EXPECT_EQ(idle.ReadToClose(), "");
  }
}

TEST_F(WireTest, ABodyTrickledTooSlowlyGets408) {
  StartServer({"--header_timeout_ms", "300", "--min_body_rate", "1000"});
  RawConnection conn(port());
  ASSERT_TRUE(conn.Send("POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000\r\n\r\nabc"));
  std::string raw = conn.ReadToClose();
  EXPECT_EQ(raw.rfind("HTTP/1.1 408 ", 0), 0u) << raw;
}

TEST_F(WireTest, PipelinedRequestsAreAnsweredInOrder) {
  StartServer();
  RawConnection conn(port());
  ASSERT_TRUE(conn.Send("GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n"
                        "GET /missing HTTP/1.1\r\nHost: localhost\r\n\r\n"
                        "HEAD /health HTTP/1.1\r\nHost: localhost\r\n\r\n"
                        "GET /new HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                        "GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  EXPECT_EQ(conn.ReadReply().status, 200);
  auto missing = conn.ReadReply();
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(ErrorCode(missing), "not_found");
  auto head = conn.ReadReply(/*head=*/true);
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.body.empty());
  auto page = conn.ReadReply();
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.header("connection").value_or(""), "close");
  // The request after "Connection: close" is never answered.
  EXPECT_EQ(conn.ReadToClose(), "");
}

// A request refused by the parser after a HEAD on the same connection still
// gets its error body (it once went out as for the HEAD: Content-Length and
// no body, leaving the client waiting for bytes that never came).
TEST_F(WireTest, ARefusedRequestAfterAHeadGetsItsBody) {
  StartServer();
  RawConnection conn(port());
  ASSERT_TRUE(conn.Send("HEAD /health HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  auto head = conn.ReadReply(/*head=*/true);
  EXPECT_EQ(head.status, 200);
  ASSERT_TRUE(conn.Send("GET /a%zzb HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  auto refused = conn.ReadReply();
  EXPECT_EQ(refused.status, 400);
  EXPECT_EQ(ErrorCode(refused), "bad_request") << refused.body;
}

TEST_F(WireTest, ExpectContinueIsAnsweredBeforeTheBody) {
  StartServer({"--max_body_mb", "1"});
  {
    RawConnection conn(port());
    ASSERT_TRUE(conn.Send("POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"));
    ASSERT_TRUE(conn.WaitFor("HTTP/1.1 100 Continue\r\n\r\n"));
    ASSERT_TRUE(conn.Send("hello"));
    auto reply = conn.ReadReply();  // skips the 100
    EXPECT_EQ(reply.status, 404);
  }
  {
    // Too large: the final answer comes at once, no 100.
    RawConnection conn(port());
    ASSERT_TRUE(conn.Send("POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2000000\r\nExpect: 100-continue\r\n\r\n"));
    std::string raw = conn.ReadToClose();
    EXPECT_EQ(raw.rfind("HTTP/1.1 413 ", 0), 0u) << raw;
  }
}

TEST_F(WireTest, AHalfClosedClientStillGetsItsAnswer) {
  StartServer();
  RawConnection conn(port());
  ASSERT_TRUE(conn.Send("GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  conn.ShutdownWrite();
  std::string raw = conn.ReadToClose();
  EXPECT_EQ(raw.rfind("HTTP/1.1 200 ", 0), 0u) << raw;
  EXPECT_EQ(CountResponses(raw), 1);
}

TEST_F(WireTest, IdleAndSlowConnectionsHoldNoThread) {
  StartServer();
  // Far more idle keep-alive and half-sent connections than handler threads.
  std::vector<std::unique_ptr<RawConnection>> idle;
  for (int i = 0; i < 600; ++i) {
    idle.push_back(std::make_unique<RawConnection>(port()));
    ASSERT_TRUE(idle.back()->connected()) << i;
    if (i % 2 == 0) {
      ASSERT_TRUE(idle.back()->Send("GET /health HTTP/1.1\r\nHost: loc"));
    }
  }
  for (int i = 0; i < 20; ++i) EXPECT_EQ(Get(port(), "/health").status, 200);
  // Every one of them is still served when it finally speaks.
  for (size_t i = 0; i < idle.size(); i += 50) {
    ASSERT_TRUE(idle[i]->Send(i % 2 == 0 ? "alhost\r\n\r\n" : "GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n"));
    EXPECT_EQ(idle[i]->ReadReply().status, 200) << i;
  }
}

TEST_F(WireTest, ConnectionsPerAddressAreCapped) {
  StartServer({"--max_connections_per_ip", "8"});
  std::vector<std::unique_ptr<RawConnection>> held;
  for (int i = 0; i < 8; ++i) {
    held.push_back(std::make_unique<RawConnection>(port()));
    ASSERT_TRUE(held.back()->Send("GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n"));
    ASSERT_EQ(held.back()->ReadReply().status, 200) << i;
  }
  RawConnection refused(port());
  std::string raw = refused.ReadToClose();
  EXPECT_EQ(raw.rfind("HTTP/1.1 503 ", 0), 0u) << raw;
  EXPECT_NE(raw.find("too_many_connections"), std::string::npos);
  // The connections it has keep being served.
  ASSERT_TRUE(held[0]->Send("GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  EXPECT_EQ(held[0]->ReadReply().status, 200);
  // Once one closes, a new one is accepted.
  held.pop_back();
  HttpReply again;
  for (int attempt = 0; attempt < 50 && again.status != 200; ++attempt) {
    again = Get(port(), "/health");
    if (again.status != 200) std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(again.status, 200);
}

TEST_F(WireTest, AClientThatNeverReadsIsDropped) {
  StartServer({"--send_timeout_ms", "500"});
  RawConnection reader_that_never_reads(port());
  int small = 4096;
  ::setsockopt(reader_that_never_reads.fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  // Many pipelined requests whose answers it never reads.
  std::string batch;
  for (int i = 0; i < 200; ++i) batch += "GET /new HTTP/1.1\r\nHost: localhost\r\n\r\n";
  for (int i = 0; i < 40; ++i) {
    if (!reader_that_never_reads.Send(batch)) break;  // the server stopped reading: expected
  }
  std::this_thread::sleep_for(1500ms);
  // Meanwhile everyone else is served...
  EXPECT_EQ(Get(port(), "/health").status, 200);
  // ...and the stuck client was let go: far fewer than 8,000 answers arrive
  // before the connection ends.
  std::string raw = reader_that_never_reads.ReadToClose();
  EXPECT_LT(CountResponses(raw), 8000);
}

class WireScriptTest : public WireTest {
 protected:
  void SetRouter(const TestHenv& henv, const std::string& source) {
    auto put = Fetch(port(), {"PUT", "/_api/documents/_system/router.js", henv.host,
                              {{"Authorization", "Bearer " + henv.token}, {"Content-Type", "text/javascript"}}, source});
    ASSERT_TRUE(put.status == 200 || put.status == 201) << put.body;
  }
};

TEST_F(WireScriptTest, ScriptsCannotSendAnInterimOrInvalidStatusAsTheAnswer) {
  StartServer({"--dev"});
  TestHenv henv = CreateHenvAndLogin(port(), "statuses");
  ASSERT_FALSE(henv.token.empty());
  SetRouter(henv, R"js(
import { Router } from "hbf:router";
const router = new Router();
router.get("/s/:code", (req, res) => res.status(Number(req.params.code)).send("x"));
export default router;
)js");
  RawConnection conn(port());
  for (const char* code : {"100", "101", "199", "1000", "42", "200.5", "abc"}) {
    SCOPED_TRACE(code);
    ASSERT_TRUE(conn.Send("GET /s/" + std::string(code) + " HTTP/1.1\r\nHost: " + henv.host + "\r\n\r\n"));
    ASSERT_TRUE(conn.WaitFor("\r\n\r\n"));
    auto reply = conn.ReadReply();
    ASSERT_TRUE(reply.complete);
    EXPECT_EQ(reply.status, 500);
    EXPECT_EQ(ErrorCode(reply), "script_error") << reply.body;
  }
  // The connection is still in step: the next answer is its own.
  ASSERT_TRUE(conn.Send("GET /s/201 HTTP/1.1\r\nHost: " + henv.host + "\r\n\r\n"));
  EXPECT_EQ(conn.ReadReply().status, 201);
}

TEST_F(WireScriptTest, AHenvSpinningAtItsLimitDoesNotStallItsNeighbours) {
  StartServer({"--qjs_timeout_ms", "3000"});
  TestHenv busy = CreateHenvAndLogin(port(), "spinner");
  TestHenv calm = CreateHenvAndLogin(port(), "bystander");
  ASSERT_FALSE(busy.token.empty());
  ASSERT_FALSE(calm.token.empty());
  SetRouter(busy, R"js(
import { Router } from "hbf:router";
const router = new Router();
router.get("/spin", () => { for (;;) {} });
export default router;
)js");
  SetRouter(calm, R"js(
import { Router } from "hbf:router";
const router = new Router();
router.get("/hello", (req, res) => res.json({ msg: "hi" }));
export default router;
)js");
  // Far more spinning requests than the busy henv's share of threads.
  constexpr int kSpinners = 80;  // more than CivetWeb's 64 threads, which all stalled
  std::atomic<int> finished{0};
  std::atomic<int> timed_out_or_busy{0};
  std::mutex others_mu;
  std::string others;  // any other answers, for the failure message
  std::vector<std::thread> spinners;
  for (int i = 0; i < kSpinners; ++i) {
    spinners.emplace_back([&] {
      auto r = Fetch(port(), {"GET", "/spin", busy.host, {}, {}});
      if (r.status == 504 || r.status == 503) {
        ++timed_out_or_busy;
      } else {
        std::lock_guard lock(others_mu);
        others += std::to_string(r.status) + " " + r.body.substr(0, 120) + "; ";
      }
      ++finished;
    });
  }
  std::this_thread::sleep_for(300ms);  // let them occupy the busy henv's threads
  int answered = 0;
  std::string waits;  // each neighbour request's time, for the failure message
  for (int i = 0; i < 20; ++i) {
    const auto asked = std::chrono::steady_clock::now();
    auto r = Fetch(port(), {"GET", "/hello", calm.host, {}, {}});
    waits += std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::steady_clock::now() - asked).count()) + " ms; ";
    EXPECT_EQ(r.status, 200);
    if (r.status == 200) ++answered;
  }
  // The neighbour was served before any spinner came back, i.e. it never
  // waited for the spinning henv's requests to time out or give up.
  EXPECT_EQ(answered, 20);
  EXPECT_EQ(finished.load(), 0) << "the neighbour had to wait for the spinning henv: " << waits;
  for (auto& t : spinners) t.join();
  // Every spinning request got an answer: 504 at its deadline, or 503 when
  // it waited for a thread longer than that.
  EXPECT_EQ(timed_out_or_busy.load(), kSpinners) << others;
}

TEST_F(WireScriptTest, AHandlerAwaitingATimerHoldsNoThread) {
  // Two requests of a henv run at once (4 handler threads, half each at most).
  StartServer({"--num_threads", "4", "--js_workers_per_henv", "2", "--qjs_timeout_ms", "4000"});
  TestHenv henv = CreateHenvAndLogin(port(), "sleepy");
  ASSERT_FALSE(henv.token.empty());
  SetRouter(henv, R"js(
import { Router } from "hbf:router";
const router = new Router();
router.get("/later", async (req, res) => {
  await new Promise((resolve) => setTimeout(resolve, 1500));
  res.send("later");
});
router.get("/late-forever", async (req, res) => {
  await new Promise((resolve) => setTimeout(resolve, 60000));
  res.send("never");
});
export default router;
)js");
  // Eight requests that each wait 1.5 s: were each to hold its thread, two at
  // a time would take 6 s and the last ones would give up (503) at 4 s.
  constexpr int kWaiters = 8;
  std::atomic<int> ok{0};
  std::vector<std::thread> waiters;
  for (int i = 0; i < kWaiters; ++i) {
    waiters.emplace_back([&] {
      auto r = Fetch(port(), {"GET", "/later", henv.host, {}, {}});
      if (r.status == 200 && r.body == "later") ++ok;
    });
  }
  for (auto& t : waiters) t.join();
  EXPECT_EQ(ok.load(), kWaiters);
  // A handler awaiting past its deadline gets the same 504 as a spinning one.
  auto late = Fetch(port(), {"GET", "/late-forever", henv.host, {}, {}});
  EXPECT_EQ(late.status, 504);
  EXPECT_EQ(ErrorCode(late), "script_timeout");
}

}  // namespace
}  // namespace hbf::test
