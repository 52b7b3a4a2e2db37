// Black-box tests of the operations surface (issue #15): GET /metrics
// (Prometheus), a henv's GET /_api/metrics, request ids, --log_file with
// SIGHUP, GET /health/ready and `hbf --version`.
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "blackbox/henv_fixture.h"
#include "support/hbf_process.h"
#include "support/http_client.h"

namespace hbf::test {
namespace {

using namespace std::chrono_literals;
using Headers = std::vector<std::pair<std::string, std::string>>;

class OpsTest : public DevServerTest {
 protected:
  HttpReply As(const TestHenv& henv, const std::string& token, const std::string& method, const std::string& path,
               const std::string& body = {}, const std::string& type = "application/json") {
    Headers headers = {{"Content-Type", type}};
    if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
    return Fetch(port(), {method, path, henv.host, headers, body});
  }
  void SetRouter(const TestHenv& henv, const std::string& source) {
    auto r = As(henv, henv.token, "PUT", "/_api/documents/_system/router.js", source, "text/javascript");
    ASSERT_TRUE(r.status == 200 || r.status == 201) << r.body;
  }
  // /health's number `name`, or -1.
  int HealthCount(const std::string& name) {
    const Json health = Get(port(), "/health").json();
    const Json* n = health.find(name);
    return n != nullptr && n->is_number() ? static_cast<int>(n->as_double()) : -1;
  }
  // Polls /health's `name` until it is `want` (100 ms apart, 10 s at most); its last value.
  int AwaitHealthCount(const std::string& name, int want) {
    int value = HealthCount(name);
    for (int i = 0; i < 100 && value != want; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      value = HealthCount(name);
    }
    return value;
  }
};

// The value of the sample line `series` ("name{labels}") in a scrape, or -1.
double SampleValue(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 && line[series.size()] == ' ') {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return -1;
}

std::string H(const HttpReply& r, const std::string& name) { return r.header(name).value_or("<absent>"); }

// ------------------------------------------------------------- /metrics

TEST_F(OpsTest, PrometheusMetricsFromLoopback) {
  Start();
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Get(port(), "/new").status, 200);
  EXPECT_EQ(Fetch(port(), {"DELETE", "/nothing", "localhost", {}, {}}).status, 404);
  HttpReply scrape = Get(port(), "/metrics");
  ASSERT_EQ(scrape.status, 200) << scrape.body;
  EXPECT_EQ(H(scrape, "content-type"), "text/plain; version=0.0.4; charset=utf-8");
  const std::string& text = scrape.body;
  for (const char* family :
       {"hbf_http_requests_total counter", "hbf_http_request_duration_seconds histogram",
        "hbf_js_execution_seconds histogram", "hbf_js_workers gauge", "hbf_js_heap_bytes gauge",
        "hbf_henvs_open gauge", "hbf_db_connections_open gauge", "hbf_rate_limited_total counter",
        "hbf_script_limit_hits_total counter", "hbf_websocket_connections gauge",
        "hbf_websocket_messages_total counter"}) {
    EXPECT_NE(text.find(std::string("# TYPE ") + family + "\n"), std::string::npos) << family;
  }
  // Every line is a comment or `series value`.
  std::istringstream in(text);
  const std::regex sample(R"(^[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? [0-9.e+-]+$)");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) continue;
    EXPECT_TRUE(std::regex_match(line, sample)) << line;
  }
  EXPECT_GE(SampleValue(text, "hbf_http_requests_total{method=\"GET\",status=\"2xx\"}"), 3);
  EXPECT_GE(SampleValue(text, "hbf_http_requests_total{method=\"DELETE\",status=\"4xx\"}"), 1);
  EXPECT_EQ(text.find("hbf_henv_"), std::string::npos) << "per-henv series only with --metrics_per_henv";

  // Counters move with traffic.
  const double before = SampleValue(text, "hbf_http_requests_total{method=\"GET\",status=\"2xx\"}");
  const double count_before = SampleValue(text, "hbf_http_request_duration_seconds_count");
  for (int i = 0; i < 5; ++i) EXPECT_EQ(Get(port(), "/new").status, 200);
  std::string again = Get(port(), "/metrics").body;
  EXPECT_GE(SampleValue(again, "hbf_http_requests_total{method=\"GET\",status=\"2xx\"}"), before + 5);
  EXPECT_GE(SampleValue(again, "hbf_http_request_duration_seconds_count"), count_before + 5);
  // Only on the apex.
  TestHenv henv = MakeHenv("scraped");
  EXPECT_EQ(Get(port(), "/metrics", henv.host).body.find("hbf_http_requests_total"), std::string::npos);
  EXPECT_EQ(Fetch(port(), {"POST", "/metrics", "localhost", {}, {}}).status, 405);
}

TEST_F(OpsTest, MetricsTokenWhenLoopbackIsNotTrusted) {
  const std::string token = "metrics-token-0123456789";
  Start({"--metrics_allow_loopback=false", "--metrics_token", token});
  HttpReply anonymous = Get(port(), "/metrics");
  EXPECT_EQ(anonymous.status, 401) << anonymous.body;
  EXPECT_EQ(anonymous.error_code(), "unauthorized");
  HttpReply wrong = Fetch(port(), {"GET", "/metrics", "localhost", {{"Authorization", "Bearer wrong-token"}}, {}});
  EXPECT_EQ(wrong.status, 403) << wrong.body;
  EXPECT_EQ(wrong.error_code(), "forbidden");
  HttpReply right = Fetch(port(), {"GET", "/metrics", "localhost", {{"Authorization", "Bearer " + token}}, {}});
  EXPECT_EQ(right.status, 200) << right.body;
  EXPECT_NE(right.body.find("hbf_http_requests_total"), std::string::npos);
}

TEST_F(OpsTest, MetricsWithoutTokenNorLoopbackAreRefused) {
  Start({"--metrics_allow_loopback=false"});
  HttpReply r = Get(port(), "/metrics");
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(r.error_code(), "forbidden");
}

TEST_F(OpsTest, PerHenvSeriesAndLimitHitsAndRateLimits) {
  Start({"--metrics_per_henv", "--qjs_timeout_ms", "300", "--rate_limit_exempt_loopback=false",
         "--rate_limit_ip_rps", "1000", "--rate_limit_ip_burst", "1000"});
  TestHenv henv = MakeHenv("perhenv");
  SetRouter(henv, R"js(
import { Router } from "hbf:router";
const router = new Router();
router.get("/spin", () => { for (;;) {} });
router.get("/ok", (req, res) => res.json({ ok: true }));
export default router;
)js");
  EXPECT_EQ(As(henv, "", "GET", "/ok").status, 200);
  EXPECT_EQ(As(henv, "", "GET", "/spin").status, 504);
  ASSERT_EQ(As(henv, henv.token, "PATCH", "/_api/config", R"({"rate_limit_rps": 1, "rate_limit_burst": 1})").status,
            200);
  int refused = 0;
  for (int i = 0; i < 5; ++i) refused += As(henv, "", "GET", "/ok").status == 429 ? 1 : 0;
  EXPECT_GE(refused, 1);
  std::string text = Get(port(), "/metrics").body;
  EXPECT_GE(SampleValue(text, "hbf_script_limit_hits_total{kind=\"timeout\"}"), 1) << text;
  EXPECT_GE(SampleValue(text, "hbf_rate_limited_total{scope=\"henv\"}"), 1);
  EXPECT_GE(SampleValue(text, "hbf_js_execution_seconds_count"), 2);
  EXPECT_GE(SampleValue(text, "hbf_henvs_open"), 1);
  EXPECT_GE(SampleValue(text, "hbf_henv_requests_total{henv=\"" + henv.hash + "\",status=\"2xx\"}"), 1) << text;
  EXPECT_GE(SampleValue(text, "hbf_henv_requests_total{henv=\"" + henv.hash + "\",status=\"5xx\"}"), 1);
  EXPECT_GT(SampleValue(text, "hbf_henv_js_seconds_total{henv=\"" + henv.hash + "\"}"), 0.2);
}

// ------------------------------------------------------- /_api/metrics

TEST_F(OpsTest, HenvMetricsForItsOwnerOnly) {
  Start();
  TestHenv henv = MakeHenv("owned");
  HttpReply anonymous = As(henv, "", "GET", "/_api/metrics");
  EXPECT_EQ(anonymous.status, 401) << anonymous.body;
  // A plain user of the henv is not its admin.
  ASSERT_EQ(As(henv, henv.token, "POST", "/_api/users", R"({"username":"plain","password":"correct horse battery"})")
                .status,
            201);
  HttpReply login = Fetch(port(), {"POST", "/login", henv.host, {{"Content-Type", "application/json"}},
                                   R"({"username":"plain","password":"correct horse battery"})"});
  ASSERT_EQ(login.status, 200) << login.body;
  const std::string user_token = login.json().find("token")->as_string();
  EXPECT_EQ(As(henv, user_token, "GET", "/_api/metrics").status, 403);
  // Another henv's owner neither.
  TestHenv other = MakeHenv("other");
  EXPECT_EQ(As(henv, other.token, "GET", "/_api/metrics").status, 401);

  SetRouter(henv, R"js(
import { Router } from "hbf:router";
import db from "hbf:db";
const router = new Router();
router.get("/ok", (req, res) => res.json({ ok: true }));
router.get("/fail", (req, res) => res.status(500).json({ no: true }));
router.get("/db", (req, res) => res.json(db.query(
  "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000) SELECT count(*) AS n FROM c")));
export default router;
)js");
  for (int i = 0; i < 4; ++i) EXPECT_EQ(As(henv, "", "GET", "/ok").status, 200);
  EXPECT_EQ(As(henv, "", "GET", "/db").status, 200);
  EXPECT_EQ(As(henv, "", "GET", "/fail").status, 500);
  EXPECT_EQ(As(henv, "", "GET", "/_api/nothing").status, 404);
  HttpReply r = As(henv, henv.token, "GET", "/_api/metrics");
  ASSERT_EQ(r.status, 200) << r.body;
  const Json& body = r.json();
  EXPECT_EQ(body.find("henv")->as_string(), henv.hash);
  for (const char* window : {"last_minute", "last_hour"}) {
    const Json* w = body.find(window);
    ASSERT_NE(w, nullptr) << window;
    EXPECT_GE(w->find("requests")->as_int(), 6) << r.body;
    EXPECT_GE(w->find("errors_5xx")->as_int(), 1) << r.body;
    EXPECT_GE(w->find("errors_4xx")->as_int(), 2) << r.body;  // the 401/403s above and the 404
    const Json* latency = w->find("latency_ms");
    ASSERT_NE(latency, nullptr);
    EXPECT_GT(latency->find("p50")->as_double(), 0);
    EXPECT_LE(latency->find("p50")->as_double(), latency->find("p95")->as_double());
    EXPECT_LE(latency->find("p95")->as_double(), latency->find("p99")->as_double());
    EXPECT_GT(w->find("js_ms")->as_double(), 0);
    // SQLite time is part of the script's time (the recursive query above).
    EXPECT_GT(w->find("db_ms")->as_double(), 0) << r.body;
    EXPECT_LE(w->find("db_ms")->as_double(), w->find("js_ms")->as_double()) << r.body;
  }
  EXPECT_GT(body.find("storage_bytes")->as_int(), 0);
  EXPECT_GE(body.find("active_sessions")->as_int(), 2);  // the owner's and the user's
  // Figures move.
  const int64_t before = body.find("last_minute")->find("requests")->as_int();
  EXPECT_EQ(As(henv, "", "GET", "/ok").status, 200);
  HttpReply later = As(henv, henv.token, "GET", "/_api/metrics");
  EXPECT_GE(later.json().find("last_minute")->find("requests")->as_int(), before + 2);
}

// ------------------------------------------------------------ request ids

TEST_F(OpsTest, RequestIdsAreGeneratedEchoedLoggedAndGivenToScripts) {
  Start();
  TestHenv henv = MakeHenv("ids");
  SetRouter(henv, R"js(
import { Router } from "hbf:router";
const router = new Router();
router.get("/id", (req, res) => { console.log("handling " + req.id); res.json({ id: req.id }); });
export default router;
)js");
  HttpReply a = As(henv, "", "GET", "/id");
  HttpReply b = As(henv, "", "GET", "/id");
  ASSERT_EQ(a.status, 200) << a.body;
  const std::string id = H(a, "x-request-id");
  EXPECT_TRUE(std::regex_match(id, std::regex("[0-9a-f]{8}-[0-9a-f]+"))) << id;
  EXPECT_EQ(a.json().find("id")->as_string(), id) << "req.id is the echoed id";
  EXPECT_NE(H(b, "x-request-id"), id);
  // Without --trust_proxy a client's own id is not taken.
  HttpReply forged = Fetch(port(), {"GET", "/id", henv.host, {{"X-Request-Id", "client-chosen"}}, {}});
  EXPECT_NE(H(forged, "x-request-id"), "client-chosen");
  EXPECT_EQ(forged.json().find("id")->as_string(), H(forged, "x-request-id"));
  // In the access log and in the henv's log.
  EXPECT_TRUE(server_->WaitForLog("id=" + id, 5s)) << server_->logs();
  HttpReply logs = As(henv, henv.token, "GET", "/_api/logs?limit=50");
  ASSERT_EQ(logs.status, 200) << logs.body;
  EXPECT_NE(logs.body.find("\"request_id\":\"" + id + "\""), std::string::npos) << logs.body;
  // Answers made without a handler carry one too.
  for (const HttpReply& r : {Get(port(), "/health"), Get(port(), "/health", "nope.example"),
                             Get(port(), "/metrics")}) {
    EXPECT_TRUE(r.header("x-request-id").has_value()) << r.status;
  }
  RawConnection bad(port());
  ASSERT_TRUE(bad.Send("GET / HTTP/1.1\r\nHost: localhost\r\nContent-Length: x\r\n\r\n"));
  HttpReply parse_error = bad.ReadReply();
  EXPECT_EQ(parse_error.status, 400);
  EXPECT_TRUE(parse_error.header("x-request-id").has_value());
  EXPECT_EQ(H(parse_error, "x-content-type-options"), "nosniff") << "loop answers carry the security headers";
  EXPECT_EQ(H(parse_error, "x-frame-options"), "SAMEORIGIN");
}

// Blank workers are copies of one image (js/worker_image.h) unless
// --js_copy_workers=false: /health says how large it is (0: built, or no
// worker made yet; /health does not make it, the housekeeper's first spare
// does), and a henv's router answers the same either way. With a copied
// image, js_worker_image_hot_lines is how many of its lines the build's
// profile has a cold copy prefetch (x86-64 Linux: the build traced them;
// 0 with --js_image_profile=false: all are).
TEST_F(OpsTest, HealthSaysWhetherBlankWorkersAreCopied) {
  struct Case {
    bool copy;
    bool profile;
  };
  for (const Case c : {Case{true, true}, Case{true, false}, Case{false, true}}) {
    Start({"--js_copy_workers=" + std::string(c.copy ? "true" : "false"),
           "--js_image_profile=" + std::string(c.profile ? "true" : "false")});
    TestHenv henv = MakeHenv(c.copy ? "copied" : "built");
    SetRouter(henv, R"js(
import { Router } from "hbf:router";
const router = new Router();
const seen = new Map([[router, "router"]]);
router.get("/who", (req, res) => res.json({ who: seen.get(router), random: Math.random() < 1 }));
export default router;
)js");
    HttpReply who = As(henv, "", "GET", "/who");
    EXPECT_EQ(who.status, 200) << who.body;
    EXPECT_EQ(who.body, R"({"who":"router","random":true})");
    const Json health = Get(port(), "/health").json();
    const Json* image = health.find("js_worker_image_kb");
    ASSERT_TRUE(image != nullptr && image->is_number()) << health.dump();
    const Json* hot = health.find("js_worker_image_hot_lines");
    ASSERT_TRUE(hot != nullptr && hot->is_number()) << health.dump();
    if (c.copy) {
      EXPECT_GT(image->as_double(), 100) << "the blank worker's image was not captured: " << server_->logs();
#if defined(__x86_64__) && defined(__linux__)
      if (c.profile) {
        EXPECT_GT(hot->as_double(), 100) << server_->logs();
        EXPECT_LT(hot->as_double(), image->as_double() * 1024 / 64) << "the profile is not a part of the image";
      }
#endif
      if (!c.profile) {
        EXPECT_EQ(hot->as_double(), 0);
      }
    } else {
      EXPECT_EQ(image->as_double(), 0);
      EXPECT_EQ(hot->as_double(), 0);
    }
  }
}

// A worker idle for 2 s is trimmed and hibernated by the housekeeper
// (Worker::Hibernate): /health counts it; the henv's next request wakes it
// with its module state as it was; with --js_hibernate=false it stays awake.
TEST_F(OpsTest, AnIdleWorkerHibernatesAndWakesWithItsState) {
  for (const bool hibernate : {true, false}) {
    Start({"--js_hibernate=" + std::string(hibernate ? "true" : "false")});
    TestHenv henv = MakeHenv(hibernate ? "sleeper" : "awake");
    SetRouter(henv, R"js(
import { Router } from "hbf:router";
const router = new Router();
let visits = 0;
const names = new Map();
router.get("/visit/:name", (req, res) => {
  names.set(req.params.name, ++visits);
  res.json({ visits, names: [...names.keys()] });
});
export default router;
)js");
    HttpReply first = As(henv, "", "GET", "/visit/ann");
    ASSERT_EQ(first.status, 200) << first.body;
    EXPECT_EQ(first.body, R"({"visits":1,"names":["ann"]})");
    const auto hibernated = [&] { return HealthCount("js_hibernated_workers"); };
    // Trimmed after 2 s idle, on the housekeeper's next pass (once a second).
    if (hibernate) {
      ASSERT_EQ(AwaitHealthCount("js_hibernated_workers", 1), 1) << server_->logs();
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(3500));  // (trimmed by now)
      EXPECT_EQ(hibernated(), 0);
    }
    HttpReply second = As(henv, "", "GET", "/visit/bob");
    EXPECT_EQ(second.status, 200) << second.body;
    EXPECT_EQ(second.body, R"({"visits":2,"names":["ann","bob"]})") << "woken as it was";
    EXPECT_EQ(hibernated(), 0);
    // The wake's cost, measured (what --js_hibernate=auto weighs against
    // making a worker); none without a wake.
    if (hibernate) {
      EXPECT_GT(HealthCount("js_wake_us_per_mib"), 0);
    } else {
      EXPECT_EQ(HealthCount("js_wake_us_per_mib"), 0);
    }
    const std::string metrics = Get(port(), "/metrics").body;
    EXPECT_NE(metrics.find("hbf_js_workers_dropped_total{instead_of=\"hibernating\"} 0\n"), std::string::npos);
    EXPECT_NE(metrics.find("hbf_js_workers_dropped_total{instead_of=\"waking\"} 0\n"), std::string::npos);
    EXPECT_NE(metrics.find(std::string("hbf_js_worker_wakes_total ") + (hibernate ? "1" : "0")), std::string::npos)
        << metrics.substr(0, 4000);
    // One worker made (the first request), hibernated once or never, and
    // none evicted: the budget is far away.
    EXPECT_NE(metrics.find("hbf_js_workers_made_total 1\n"), std::string::npos) << metrics.substr(0, 4000);
    EXPECT_NE(metrics.find(std::string("hbf_js_worker_hibernations_total ") + (hibernate ? "1" : "0") + "\n"),
              std::string::npos)
        << metrics.substr(0, 4000);
    EXPECT_NE(metrics.find("hbf_js_workers_evicted_total{state=\"awake\"} 0\n"), std::string::npos);
    EXPECT_NE(metrics.find("hbf_js_workers_evicted_total{state=\"hibernated\"} 0\n"), std::string::npos);
    // The second request's worker, idle seconds, was prefetched unless it
    // was woken (its memory just written).
    EXPECT_NE(metrics.find(std::string("hbf_js_worker_prefetches_total ") + (hibernate ? "0" : "1") + "\n"),
              std::string::npos)
        << metrics.substr(0, 4000);
  }
}

// An open henv unused for --db_close_idle_s has its connection closed by
// the janitor (HenvManager::CloseIdleConnections) and waits dormant: /health
// counts no connection; its next requests (script, its own table, the API)
// work and find what was there. With 0 it stays open.
TEST_F(OpsTest, AnIdleHenvsConnectionClosesAndItsNextRequestsFindItAsItWas) {
  for (const bool close_idle : {true, false}) {
    Start({"--db_close_idle_s", close_idle ? "1" : "0"});
    TestHenv henv = MakeHenv(close_idle ? "dozer" : "keeper");
    SetRouter(henv, R"js(
import { Router } from "hbf:router";
import db from "hbf:db";
db.execute("CREATE TABLE IF NOT EXISTS visits (name TEXT NOT NULL)");
const router = new Router();
let served = 0;
router.get("/visit/:name", (req, res) => {
  db.execute("INSERT INTO visits (name) VALUES (?)", [req.params.name]);
  const names = db.query("SELECT name FROM visits ORDER BY rowid").map((r) => r.name);
  res.json({ served: ++served, names });
});
export default router;
)js");
    HttpReply first = As(henv, "", "GET", "/visit/ann");
    ASSERT_EQ(first.status, 200) << first.body;
    EXPECT_EQ(first.body, R"({"served":1,"names":["ann"]})");
    const auto connections = [&] { return HealthCount("db_connections"); };
    EXPECT_EQ(connections(), 1);
    if (close_idle) {
      ASSERT_EQ(AwaitHealthCount("db_connections", 0), 0) << server_->logs();
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(2500));
      EXPECT_EQ(connections(), 1);
    }
    HttpReply second = As(henv, "", "GET", "/visit/bob");
    EXPECT_EQ(second.status, 200) << second.body;
    EXPECT_EQ(second.body, R"({"served":2,"names":["ann","bob"]})");
    // The API's queries open the henv's file again.
    HttpReply config = As(henv, henv.token, "GET", "/_api/config");
    EXPECT_EQ(config.status, 200) << config.body;
    EXPECT_EQ(connections(), 1);
  }
}

TEST_F(OpsTest, TrustedProxysRequestIdIsKeptInvalidOnesReplaced) {
  Start({"--trust_proxy"});  // loopback peers are the trusted proxies by default
  TestHenv henv = MakeHenv("proxied");
  SetRouter(henv, R"js(
import { Router } from "hbf:router";
const router = new Router();
router.get("/id", (req, res) => res.json({ id: req.id }));
export default router;
)js");
  HttpReply kept = Fetch(port(), {"GET", "/id", henv.host, {{"X-Request-Id", "lb-7f3a:42.x_y"}}, {}});
  EXPECT_EQ(H(kept, "x-request-id"), "lb-7f3a:42.x_y");
  EXPECT_EQ(kept.json().find("id")->as_string(), "lb-7f3a:42.x_y");
  for (const std::string& invalid : {std::string("has space"), std::string(129, 'a'), std::string("semi;colon")}) {
    HttpReply r = Fetch(port(), {"GET", "/id", henv.host, {{"X-Request-Id", invalid}}, {}});
    EXPECT_NE(H(r, "x-request-id"), invalid);
    EXPECT_TRUE(std::regex_match(H(r, "x-request-id"), std::regex("[0-9a-f]{8}-[0-9a-f]+")));
    EXPECT_EQ(r.json().find("id")->as_string(), H(r, "x-request-id"));
  }
}

// ------------------------------------- headers on the server's own answers

TEST_F(OpsTest, PerAddress429CarriesTheHenvsCorsAndSecurityHeaders) {
  // Loopback is exempt; other clients are told apart by X-Forwarded-For.
  Start({"--trust_proxy", "--rate_limit_ip_rps", "1", "--rate_limit_ip_burst", "2"});
  TestHenv henv = MakeHenv("cors429");
  ASSERT_EQ(As(henv, henv.token, "PATCH", "/_api/config", R"({"cors_origins": "https://app.example"})").status, 200);
  EXPECT_EQ(As(henv, "", "GET", "/warm").status, 404);  // reads (caches) the henv's settings
  std::optional<HttpReply> refused;
  for (int i = 0; i < 6 && !refused; ++i) {
    HttpReply r = Fetch(port(), {"GET", "/x", henv.host,
                                 {{"X-Forwarded-For", "203.0.113.9"}, {"Origin", "https://app.example"}}, {}});
    if (r.status == 429) refused = r;
  }
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(H(*refused, "access-control-allow-origin"), "https://app.example");
  EXPECT_EQ(H(*refused, "x-content-type-options"), "nosniff");
  EXPECT_TRUE(refused->header("x-request-id").has_value());
}

TEST_F(OpsTest, TooManyConnectionsAnswerCarriesHeaders) {
  Start({"--max_connections", "2"});
  RawConnection a(port());
  RawConnection b(port());
  ASSERT_TRUE(a.Send("GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  ASSERT_EQ(a.ReadReply().status, 200);
  ASSERT_TRUE(b.Send("GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  ASSERT_EQ(b.ReadReply().status, 200);
  RawConnection c(port());
  ASSERT_TRUE(c.connected());
  std::string raw = c.ReadToClose();
  EXPECT_NE(raw.find("503"), std::string::npos) << raw;
  EXPECT_NE(raw.find("too_many_connections"), std::string::npos) << raw;
  EXPECT_NE(raw.find("X-Content-Type-Options: nosniff"), std::string::npos) << raw;
  EXPECT_NE(raw.find("X-Request-Id: "), std::string::npos) << raw;
}

TEST_F(OpsTest, ScriptBusyCarriesTheHenvsCorsAndSecurityHeaders) {
  Start({"--js_workers_per_henv", "1", "--qjs_timeout_ms", "800"});
  TestHenv henv = MakeHenv("busy");
  SetRouter(henv, R"js(
import { Router } from "hbf:router";
const router = new Router();
router.get("/spin", () => { for (;;) {} });
export default router;
)js");
  ASSERT_EQ(As(henv, henv.token, "PATCH", "/_api/config", R"({"cors_origins": "https://app.example"})").status, 200);
  EXPECT_EQ(As(henv, "", "GET", "/warm").status, 404);
  // One runs to its deadline; the others wait in the henv's queue longer
  // than that, so at least one is answered 503 script_busy.
  std::vector<std::thread> clients;
  std::vector<HttpReply> replies(4);
  for (size_t i = 0; i < replies.size(); ++i) {
    clients.emplace_back([&, i] {
      replies[i] = Fetch(port(), {"GET", "/spin", henv.host, {{"Origin", "https://app.example"}}, {}});
    });
  }
  for (auto& t : clients) t.join();
  int busy = 0;
  for (const HttpReply& r : replies) {
    if (r.status != 503) continue;
    ++busy;
    EXPECT_EQ(r.error_code(), "script_busy");
    EXPECT_EQ(H(r, "access-control-allow-origin"), "https://app.example");
    EXPECT_EQ(H(r, "x-content-type-options"), "nosniff");
    EXPECT_TRUE(r.header("x-request-id").has_value());
  }
  EXPECT_GE(busy, 1);
  EXPECT_GE(SampleValue(Get(port(), "/metrics").body, "hbf_script_limit_hits_total{kind=\"busy\"}"), 1);
}

// ------------------------------------------- documents on the I/O loops

TEST_F(OpsTest, DocumentsAreAnsweredWhileEveryHandlerThreadIsBusy) {
  // Two handler threads, a henv gets one at a time: two spinning henvs
  // take both until their deadline.
  Start({"--num_threads", "2", "--qjs_timeout_ms", "3000"});
  TestHenv site = MakeHenv("static-site");
  ASSERT_EQ(As(site, site.token, "PUT", "/_api/documents/page.txt", "plain words", "text/plain").status, 201);
  std::vector<TestHenv> spinners = {MakeHenv("spinner-a"), MakeHenv("spinner-b")};
  for (const TestHenv& h : spinners) {
    SetRouter(h, R"js(
import { Router } from "hbf:router";
const router = new Router();
router.get("/spin", () => { for (;;) {} });
export default router;
)js");
  }
  // The site's first request finds that it has no router (on a handler thread).
  HttpReply first = As(site, "", "GET", "/page.txt");
  ASSERT_EQ(first.status, 200) << first.body;
  const std::string etag = H(first, "etag");

  std::atomic<int> spun{0};
  std::vector<HttpReply> spins(spinners.size());
  std::vector<std::thread> clients;
  for (size_t i = 0; i < spinners.size(); ++i) {
    clients.emplace_back([&, i] {
      spins[i] = As(spinners[i], "", "GET", "/spin");
      ++spun;
    });
  }
  // Both threads are taken once both spins are in flight (/health answers
  // on the loop whatever the threads do; it counts itself too).
  const bool both_running = AwaitHealthCount("in_flight_requests", 3) == 3;
  HttpReply page = As(site, "", "GET", "/page.txt");
  HttpReply missing = As(site, "", "GET", "/missing.txt");
  HttpReply unchanged = Fetch(port(), {"GET", "/page.txt", site.host, {{"If-None-Match", etag}}, {}});
  HttpReply head = Fetch(port(), {"HEAD", "/page.txt", site.host, {}, {}});
  const int spun_meanwhile = spun.load();
  for (auto& t : clients) t.join();

  ASSERT_TRUE(both_running) << server_->logs();
  EXPECT_EQ(spun_meanwhile, 0) << "the documents waited for a handler thread";
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.body, "plain words");
  EXPECT_EQ(H(page, "etag"), etag);
  EXPECT_EQ(H(page, "content-type").rfind("text/plain", 0), 0u) << H(page, "content-type");
  EXPECT_EQ(H(page, "cache-control"), "no-cache");
  EXPECT_EQ(H(page, "x-content-type-options"), "nosniff");
  EXPECT_TRUE(page.header("x-request-id").has_value());
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.error_code(), "not_found");
  EXPECT_EQ(unchanged.status, 304);
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(H(head, "content-length"), "11");
  EXPECT_TRUE(head.body.empty());
  for (const HttpReply& r : spins) EXPECT_EQ(r.error_code(), "script_timeout") << r.status << " " << r.body;

  // A change is served at once: nothing is kept between requests.
  ASSERT_EQ(As(site, site.token, "PUT", "/_api/documents/page.txt", "new words", "text/plain").status, 200);
  EXPECT_EQ(As(site, "", "GET", "/page.txt").body, "new words");
  EXPECT_EQ(As(site, "", "GET", "/page.txt").body, "new words");
}

// ------------------------------------------------------------ --log_file

TEST_F(OpsTest, LogFileIsReopenedOnSighup) {
  TempDir dir;
  const std::string path = dir.path() + "/hbf.log";
  Start({"--log_file", path});
  EXPECT_EQ(Get(port(), "/first-marker").status, 404);
  auto read = [](const std::string& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  };
  auto wait_for = [&](const std::string& p, const std::string& needle) {
    for (int i = 0; i < 200; ++i) {
      if (read(p).find(needle) != std::string::npos) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  };
  ASSERT_TRUE(wait_for(path, "GET /first-marker")) << read(path);
  EXPECT_NE(read(path).find("listening on"), std::string::npos);
  EXPECT_EQ(server_->logs().find("first-marker"), std::string::npos) << "access lines left stderr";
  EXPECT_EQ(std::filesystem::status(path).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
                std::filesystem::perms::group_read);

  // logrotate: rename, then SIGHUP; new lines land in a new file.
  const std::string rotated = path + ".1";
  std::filesystem::rename(path, rotated);
  EXPECT_EQ(Get(port(), "/before-hup").status, 404);
  ASSERT_TRUE(wait_for(rotated, "before-hup")) << "lines go on to the renamed file until SIGHUP";
  server_->Signal(SIGHUP);
  ASSERT_TRUE(wait_for(path, "reopened")) << "SIGHUP reopens the path";
  EXPECT_EQ(Get(port(), "/after-hup").status, 404);
  ASSERT_TRUE(wait_for(path, "after-hup"));
  EXPECT_EQ(read(rotated).find("after-hup"), std::string::npos);
  // SIGHUP does not stop the server.
  EXPECT_EQ(Get(port(), "/health").status, 200);
  server_->Signal(SIGTERM);
  EXPECT_EQ(server_->WaitExit(15s).value_or(-1), 0);
  EXPECT_TRUE(wait_for(path, "stopped"));
}

// ------------------------------------------------------------ readiness

TEST_F(OpsTest, ReadyUntilDraining) {
  Start();
  TestHenv henv = MakeHenv("ready");
  for (const std::string& host : {std::string("localhost"), henv.host, std::string("unknown.example")}) {
    HttpReply r = Get(port(), "/health/ready", host);
    EXPECT_EQ(r.status, 200) << host << ": " << r.body;
    EXPECT_EQ(r.json().find("status")->as_string(), "ready");
  }
  // A request in flight keeps the drain going while we look.
  RawConnection slow(port());
  ASSERT_TRUE(slow.Send("POST /slow HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\n\r\nhello"));
  // Counted in flight before the drain begins (+1: the probe itself).
  ASSERT_EQ(AwaitHealthCount("in_flight_requests", 2), 2);
  server_->Signal(SIGTERM);
  ASSERT_TRUE(server_->WaitForLog("draining", 5s)) << server_->logs();
  HttpReply draining = Get(port(), "/health/ready");
  EXPECT_EQ(draining.status, 503) << draining.body;
  EXPECT_EQ(draining.json().find("status")->as_string(), "draining");
  ASSERT_TRUE(slow.Send("world"));
  EXPECT_EQ(slow.ReadReply().status, 404);
  EXPECT_EQ(server_->WaitExit(15s).value_or(-1), 0);
}

// ------------------------------------------------------------- threads

// The server's threads by name (`/proc/PID/task/*/comm`), each with its
// scheduling policy (field 41 of the task's `stat`).
std::multimap<std::string, int> ServerThreads(pid_t pid) {
  std::multimap<std::string, int> threads;
  for (const auto& task : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    std::getline(comm, name);
    std::ifstream stat(task.path() / "stat");
    std::string line;
    std::getline(stat, line);
    std::istringstream fields(line.substr(line.rfind(')') + 2));  // field 3 onwards
    std::string field;
    for (int i = 3; i <= 41 && fields >> field; ++i) {
    }
    threads.emplace(name, std::stoi(field));
  }
  return threads;
}

// Each thread says what it is (`top -H`, `perf report --sort comm`): the
// I/O loops and handler threads numbered, as many as their flags ask.
TEST_F(OpsTest, ThreadsAreNamedByTheirJob) {
  Start({"--http_threads", "2", "--num_threads", "3"});
  const auto threads = ServerThreads(server_->pid());
  for (const char* name : {"hbf-io-0", "hbf-io-1", "hbf-js-0", "hbf-js-1", "hbf-js-2", "hbf-housekeeper",
                           "hbf-js-waker", "hbf-janitor"}) {
    EXPECT_EQ(threads.count(name), 1u) << name;
  }
  EXPECT_EQ(threads.count("hbf-io-2"), 0u);
  EXPECT_EQ(threads.count("hbf-js-3"), 0u);
}

// The I/O loops run under SCHED_BATCH (woken by a completion, a loop waits
// for the handler thread on its core to park or use up its slice, then
// sends every completed answer at once); handler threads stay SCHED_OTHER.
TEST_F(OpsTest, IoLoopsRunAsBatchThreadsAndHandlersAsNormalOnes) {
  Start({"--http_threads", "2", "--num_threads", "3"});
  const auto threads = ServerThreads(server_->pid());
  for (const char* name : {"hbf-io-0", "hbf-io-1", "hbf-js-0", "hbf-js-2"}) {
    auto it = threads.find(name);
    ASSERT_NE(it, threads.end()) << name;
    EXPECT_EQ(it->second, std::string(name).rfind("hbf-io-", 0) == 0 ? SCHED_BATCH : SCHED_OTHER) << name;
  }
}

// ------------------------------------------------------------- --version

TEST(OpsCli, VersionListsBuildAndLibraries) {
  RunResult v = RunHbf({"--version"});
  ASSERT_EQ(v.exit_code, 0);
  std::vector<std::string> lines;
  std::istringstream in(v.out);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_GE(lines.size(), 13u) << v.out;
  EXPECT_TRUE(std::regex_match(lines[0], std::regex(R"(hbf \d+\.\d+\.\d+)"))) << lines[0];
  EXPECT_TRUE(std::regex_match(lines[1], std::regex(R"(commit: ([0-9a-f]{7,40}|unknown))"))) << lines[1];
  EXPECT_TRUE(std::regex_match(lines[2], std::regex(R"(build: \S*, configured \d{4}-\d{2}-\d{2})"))) << lines[2];
  EXPECT_EQ(lines[3].rfind("compiler: ", 0), 0u) << lines[3];
  const char* libraries[] = {"SQLite", "QuickJS", "llhttp", "libsodium", "zlib", "LZ4", "Nettle"};
  for (size_t i = 0; i < std::size(libraries); ++i) {
    EXPECT_TRUE(std::regex_match(lines[4 + i], std::regex(std::string(libraries[i]) + R"( \d[\d.-]*\S*)")))
        << lines[4 + i];
  }
  // The allocator, with the version it reports (jemalloc's is
  // "5.3.0-0-g<hash>"; AddressSanitizer's in sanitizer builds).
  EXPECT_TRUE(std::regex_match(
      lines[12], std::regex(R"(malloc: (jemalloc \d+\.\d+\S*|glibc \d+\.\d+|AddressSanitizer \(glibc \d+\.\d+\)))")))
      << lines[12];
}

}  // namespace
}  // namespace hbf::test
