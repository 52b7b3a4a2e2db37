// Black-box tests of streamed script responses (issue #20): res.write()
// followed by a wait sends the head and what was written at once, then each
// chunk as written (chunked), as Node does; a response written and ended in
// one go still goes out whole. The handler and the test hand over through
// the henv's database (the streaming request holds its worker; a second
// request runs on another), never through timing.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <chrono>
#include <string>
#include <thread>

#include "blackbox/henv_fixture.h"

namespace hbf::test {
namespace {

constexpr const char* kRouter = R"js(
import { Router } from "hbf:router";
import { execute, get } from "hbf:db";
execute("CREATE TABLE IF NOT EXISTS flags (k TEXT PRIMARY KEY, v TEXT)");
const flag = (k) => get("SELECT v FROM flags WHERE k = ?", [k])?.v ?? null;
const setFlag = (k, v) => execute("INSERT OR REPLACE INTO flags (k, v) VALUES (?, ?)", [k, String(v)]);
// Calls fn once flag k is set (polled every 10 ms).
const when = (k, fn) => { const t = setInterval(() => { if (flag(k) !== null) { clearInterval(t); fn(); } }, 10); };
const router = new Router();
router.post("/flag/:k", (req, res) => { setFlag(req.params.k, "1"); res.json({ ok: true }); });
router.get("/flag/:k", (req, res) => res.json({ v: flag(req.params.k) }));
router.get("/stream", (req, res) => {
  res.setHeader("Content-Type", "text/plain");
  res.setHeader("X-Before", "head");
  res.write("first\n");
  res.write(new TextEncoder().encode("bytes\n"));
  when("release", () => { res.write("second\n"); res.end("last\n"); });
});
router.get("/whole", (req, res) => { res.write("a"); res.write("b"); res.end("c"); });
router.get("/fails", async (req, res) => {
  res.write("partial\n");
  await new Promise((resolve) => when("release-fail", resolve));
  throw new Error("broke mid-stream");
});
router.get("/gone", (req, res) => {
  res.on("close", () => setFlag("closed", res.writableEnded ? "ended" : "early"));
  res.write("tick\n");
  const t = setInterval(() => { if (!res.write("tick\n")) { clearInterval(t); setFlag("write-false", "1"); res.end(); } }, 10);
});
export default router;
)js";

class StreamingTest : public OneHenvTest {
 protected:
  void SetUp() override {
    OneHenvTest::SetUp();
    Put("_system/router.js", kRouter);
  }
  RawConnection Open(const std::string& path) {
    RawConnection conn(port(), std::chrono::seconds(4));
    conn.Send("GET " + path + " HTTP/1.1\r\nHost: " + host_ + "\r\nConnection: close\r\n\r\n");
    return conn;
  }
  void Release(const std::string& k) { ASSERT_EQ(Fetch(port(), {"POST", "/flag/" + k, host_, {}, {}}).status, 200); }
  // Polls GET /flag/k until it is set (bounded: 5 s).
  std::string AwaitFlag(const std::string& k) {
    for (int i = 0; i < 250; ++i) {
      auto r = Get("/flag/" + k);
      const Json* v = r.json().find("v");
      if (v != nullptr && v->is_string()) return v->as_string();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return "<never set>";
  }
};

TEST_F(StreamingTest, WrittenChunksArriveBeforeTheHandlerEnds) {
  RawConnection conn = Open("/stream");
  // The head and both chunks arrive while the handler waits for the flag
  // (nothing would arrive before it ends if the response were buffered).
  ASSERT_TRUE(conn.WaitFor("bytes\n")) << "the written chunks did not arrive while the handler waited";
  Release("release");
  ASSERT_TRUE(conn.WaitFor("\r\n0\r\n\r\n"));
  std::string all = conn.ReadToClose();
  EXPECT_EQ(all.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << all;
  EXPECT_NE(all.find("Transfer-Encoding: chunked\r\n"), std::string::npos) << all;
  EXPECT_NE(all.find("X-Before: head\r\n"), std::string::npos) << all;
  EXPECT_NE(all.find("Content-Type: text/plain"), std::string::npos) << all;
  EXPECT_EQ(all.find("Content-Length:"), std::string::npos) << all;
  const std::string body = all.substr(all.find("\r\n\r\n") + 4);
  // first and bytes went out together (written before the handler waited).
  EXPECT_EQ(body, "c\r\nfirst\nbytes\n\r\n7\r\nsecond\n\r\n5\r\nlast\n\r\n0\r\n\r\n");
}

TEST_F(StreamingTest, AResponseWrittenAndEndedInOneGoIsSentWhole) {
  auto r = Get("/whole");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "abc");
  EXPECT_EQ(r.header("content-length").value_or(""), "3");
  EXPECT_FALSE(r.header("transfer-encoding").has_value());
  // HEAD of a streaming route: the head only, no stream.
  auto head = Fetch(port(), {"HEAD", "/whole", host_, {}, {}});
  EXPECT_EQ(head.status, 200);
}

TEST_F(StreamingTest, AHandlerFailingMidStreamCutsTheStreamShortAndIsLogged) {
  RawConnection conn = Open("/fails");
  ASSERT_TRUE(conn.WaitFor("partial\n"));
  Release("release-fail");
  // The connection closes without the last chunk: the client knows the
  // body is incomplete.
  const std::string all = conn.ReadToClose();
  EXPECT_NE(all.find("8\r\npartial\n\r\n"), std::string::npos) << all;
  EXPECT_EQ(all.find("\r\n0\r\n\r\n"), std::string::npos) << "a failed stream looked complete: " << all;
  char byte = 0;
  EXPECT_EQ(::recv(conn.fd(), &byte, 1, MSG_DONTWAIT), 0) << "the server did not close the connection";
  // The server goes on serving, and the owner can read why in the henv's log.
  EXPECT_EQ(Get("/whole").body, "abc");
  bool logged = false;
  for (int i = 0; i < 100 && !logged; ++i) {
    logged = Api("GET", "/_api/logs").body.find("broke mid-stream") != std::string::npos;
    if (!logged) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(logged) << Api("GET", "/_api/logs").body;
}

TEST_F(StreamingTest, AClientThatLeavesMidStreamMakesWriteReturnFalseAndCloseFire) {
  {
    RawConnection conn = Open("/gone");
    ASSERT_TRUE(conn.WaitFor("tick\n"));
  }  // the client leaves
  EXPECT_EQ(AwaitFlag("write-false"), "1");
  EXPECT_EQ(AwaitFlag("closed"), "early");
}

}  // namespace
}  // namespace hbf::test
