// Black-box tests of rate limiting, security headers and CORS (issue #15):
// the real binary, per-address and per-henv buckets, POST /new's bucket,
// the headers every answer gets, and a henv's CORS policy.
//
// Tests that want distinct client addresses run hbf with --trust_proxy
// (loopback peers are trusted proxies by default) and send X-Forwarded-For;
// loopback itself is exempt from the per-address limits unless
// --rate_limit_exempt_loopback=false.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "blackbox/henv_fixture.h"
#include "support/hbf_process.h"
#include "support/http_client.h"

namespace hbf::test {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

class LimitsTest : public DevServerTest {
 protected:
  HttpReply OwnerCall(const TestHenv& henv, const std::string& method, const std::string& path,
                      const std::string& body = {}, const std::string& type = "application/json") {
    return Fetch(port(),
                 {method, path, henv.host, {{"Authorization", "Bearer " + henv.token}, {"Content-Type", type}}, body});
  }
  void Put(const TestHenv& henv, const std::string& id, const std::string& content,
           const std::string& type = "text/javascript") {
    auto r = OwnerCall(henv, "PUT", "/_api/documents/" + id, content, type);
    ASSERT_TRUE(r.status == 200 || r.status == 201) << id << ": " << r.body;
  }
  HttpReply Patch(const TestHenv& henv, const std::string& json) {
    return OwnerCall(henv, "PATCH", "/_api/config", json);
  }

};

std::string H(const HttpReply& r, const std::string& lower_name) { return r.header(lower_name).value_or("<absent>"); }

int64_t IntHeader(const HttpReply& r, const std::string& lower_name) {
  auto v = r.header(lower_name);
  return v ? std::stoll(*v) : -1;
}

// The 429 shape every bucket answers with.
void ExpectRateLimited(const HttpReply& r, int64_t limit) {
  EXPECT_EQ(r.status, 429) << r.body;
  EXPECT_EQ(r.error_code(), "rate_limited");
  EXPECT_GE(IntHeader(r, "retry-after"), 1);
  EXPECT_EQ(IntHeader(r, "ratelimit-limit"), limit);
  EXPECT_EQ(IntHeader(r, "ratelimit-remaining"), 0);
  EXPECT_GE(IntHeader(r, "ratelimit-reset"), 1);
}

// ------------------------------------------------------ address space

// Each worker's arena reserves address space (js/allocator.h): 64 MiB, no
// memory. A host that limits a process's address space (ulimit -v) counts
// reservations as if they were memory; there an arena reserves 1 MiB. Here
// 32 henvs each keep a worker under a 1.5 GB limit: 32 reservations of 64
// MiB would not fit (with them, 254 of 300 henvs answered 503 under 4 GB,
// and SQLite could not map a file's -shm). Not under ASan, which needs its
// shadow's address space.
TEST_F(LimitsTest, WorkersFitAnAddressSpaceLimit) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "ASan cannot run under an address-space limit";
#else
  HbfProcess::Options options{{"--dev"}, {}, {}, {}};
  options.launcher = {"/usr/bin/prlimit", "--as=1500000000", "--"};
  server_ = std::make_unique<HbfProcess>(options);
  ASSERT_TRUE(server_->Start()) << server_->logs();
  for (int i = 0; i < 32; ++i) {
    TestHenv henv = MakeHenv("aslimit" + std::to_string(i));
    Put(henv, "_system/router.js", R"js(
import { Router } from "hbf:router";
const router = new Router();
router.get("/hello", (req, res) => res.json({ ok: true }));
export default router;
)js");
    // (each henv's worker stays, idle: the budget holds them all)
    HttpReply r = Fetch(port(), {"GET", "/hello", henv.host, {}, {}});
    ASSERT_EQ(r.status, 200) << "henv " << i << ": " << r.body << server_->logs();
  }
  EXPECT_EQ(Fetch(port(), {"GET", "/health", "localhost", {}, {}}).status, 200);
#endif
}

// ------------------------------------------------------------ rate limits

TEST_F(LimitsTest, AFloodFromOneAddressIsRefusedAndHealthStillAnswers) {
  Start({"--rate_limit_exempt_loopback=false", "--rate_limit_ip_rps", "1", "--rate_limit_ip_burst", "5"});
  std::vector<HttpReply> replies;
  for (int i = 0; i < 20; ++i) replies.push_back(Get(port(), "/"));
  for (int i = 0; i < 5; ++i) EXPECT_EQ(replies[i].status, 200) << i << ": the burst goes through";
  int refused = 0;
  for (const HttpReply& r : replies) {
    if (r.status != 429) continue;
    if (refused++ == 0) {
      ExpectRateLimited(r, 5);
      EXPECT_EQ(H(r, "x-content-type-options"), "nosniff") << "a refusal is an answer like any other";
    }
  }
  EXPECT_GE(refused, 5) << "one request a second cannot refill 15 in the time 20 requests take";
  // Load balancers' probes are never limited.
  for (int i = 0; i < 10; ++i) EXPECT_EQ(Get(port(), "/health").status, 200) << i;
  // The bucket is the address's, whatever the host (at most one request a
  // second has been given back meanwhile).
  int refused_elsewhere = 0;
  for (int i = 0; i < 5; ++i) refused_elsewhere += Get(port(), "/", "abcd1234.localhost").status == 429;
  EXPECT_GE(refused_elsewhere, 3);
}

TEST_F(LimitsTest, AddressesHaveTheirOwnBucketsAndLoopbackIsExemptByDefault) {
  Start({"--trust_proxy", "--rate_limit_ip_rps", "1", "--rate_limit_ip_burst", "3"});
  auto as = [&](const std::string& ip) {
    return Fetch(port(), {"GET", "/", "localhost", {{"X-Forwarded-For", ip}}, {}});
  };
  int refused = 0;
  for (int i = 0; i < 12; ++i) refused += as("203.0.113.1").status == 429;
  EXPECT_GE(refused, 3);
  EXPECT_EQ(as("203.0.113.2").status, 200) << "another client is not held back";
  // IPv6 clients are limited by their /64: a fresh interface id is the same client.
  int refused_v6 = 0;
  for (int i = 0; i < 12; ++i) refused_v6 += as("2001:db8:7:7::" + std::to_string(i + 1)).status == 429;
  EXPECT_GE(refused_v6, 3);
  EXPECT_EQ(as("2001:db8:7:8::1").status, 200);
  // A loopback client (a local proxy without --trust_proxy, this test) is
  // not limited unless asked.
  for (int i = 0; i < 12; ++i) EXPECT_EQ(Get(port(), "/").status, 200) << i;
}

TEST_F(LimitsTest, AHenvsOwnLimitLeavesItsSiblingAlone) {
  Start({});
  TestHenv limited = MakeHenv("limited");
  TestHenv sibling = MakeHenv("sibling");
  Put(limited, "hello.txt", "hello", "text/plain");
  Put(sibling, "hello.txt", "hello", "text/plain");
  auto set = Patch(limited, R"({"rate_limit_rps": 1, "rate_limit_burst": 3})");
  ASSERT_EQ(set.status, 200) << set.body;

  std::vector<HttpReply> replies;
  for (int i = 0; i < 12; ++i) replies.push_back(Get(port(), "/hello.txt", limited.host));
  // The app's limit is its clients' to see, on every answer.
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(replies[i].status, 200) << i << ": " << replies[i].body;
    EXPECT_EQ(IntHeader(replies[i], "ratelimit-limit"), 3);
    EXPECT_GE(IntHeader(replies[i], "ratelimit-reset"), 1);
  }
  EXPECT_EQ(IntHeader(replies[0], "ratelimit-remaining"), 2) << "a full bucket, less this request";
  int refused = 0;
  for (const HttpReply& r : replies) {
    if (r.status == 429 && refused++ == 0) ExpectRateLimited(r, 3);
  }
  EXPECT_GE(refused, 3);
  // The owner's API is the henv's too.
  int api_refused = 0;
  for (int i = 0; i < 5; ++i) api_refused += OwnerCall(limited, "GET", "/_api/me").status == 429;
  EXPECT_GE(api_refused, 3);

  for (int i = 0; i < 12; ++i) {
    auto r = Get(port(), "/hello.txt", sibling.host);
    ASSERT_EQ(r.status, 200) << i;
    EXPECT_EQ(H(r, "ratelimit-limit"), "<absent>") << "the per-address guard is not advertised";
  }
}

TEST_F(LimitsTest, SignupsHaveAStricterBucketPerAddress) {
  Start({"--trust_proxy", "--rate_limit_new_per_hour", "2"});
  auto signup = [&](const std::string& ip, const std::string& name) {
    Json body = Json::MakeObject({{"username", name}, {"password", kTestPassword}, {"email", name + "@example.com"}});
    return Fetch(
        port(),
        {"POST", "/new", "localhost", {{"X-Forwarded-For", ip}, {"Content-Type", "application/json"}}, body.dump()});
  };
  EXPECT_EQ(signup("198.51.100.7", "first-site").status, 201);
  EXPECT_EQ(signup("198.51.100.7", "second-site").status, 201);
  auto third = signup("198.51.100.7", "third-site");
  ExpectRateLimited(third, 2);
  EXPECT_GE(IntHeader(third, "retry-after"), 25 * 60) << "two an hour: the next in half an hour";
  // The signup page is not a signup; another address is another bucket.
  EXPECT_EQ(Fetch(port(), {"GET", "/new", "localhost", {{"X-Forwarded-For", "198.51.100.7"}}, {}}).status, 200);
  EXPECT_EQ(signup("198.51.100.8", "third-site").status, 201);
}

TEST_F(LimitsTest, TheSignupTokenHolderIsNotASignupFlood) {
  const std::string token = "operator-token-0123456789";
  Start({"--trust_proxy", "--rate_limit_new_per_hour", "1", "--new_token", token});
  auto signup = [&](const std::string& name, const Headers& extra) {
    Json body = Json::MakeObject({{"username", name}, {"password", kTestPassword}, {"email", name + "@example.com"}});
    Headers headers = {{"X-Forwarded-For", "198.51.100.9"}, {"Content-Type", "application/json"}};
    headers.insert(headers.end(), extra.begin(), extra.end());
    return Fetch(port(), {"POST", "/new", "localhost", headers, body.dump()});
  };
  for (const char* name : {"auto-one", "auto-two", "auto-three"}) {
    EXPECT_EQ(signup(name, {{"Authorization", "Bearer " + token}}).status, 201) << name;
  }
  // Guessing the token is counted.
  EXPECT_EQ(signup("guess-one", {{"Authorization", "Bearer wrong-token-wrong-token"}}).status, 401);
  EXPECT_EQ(signup("guess-two", {{"Authorization", "Bearer wrong-token-wrong-token"}}).status, 429);
}

TEST_F(LimitsTest, PerHenvSettingsAreValidated) {
  Start({});
  TestHenv henv = MakeHenv("validated");
  auto refused = [&](const std::string& json, const std::string& key) {
    auto r = Patch(henv, json);
    EXPECT_EQ(r.status, 400) << json << ": " << r.body;
    EXPECT_EQ(r.error_code(), "invalid_field") << json;
    const Json* message = r.json().find("error") ? r.json().find("error")->find("message") : nullptr;
    ASSERT_NE(message, nullptr) << r.body;
    EXPECT_EQ(message->as_string().rfind(key + ":", 0), 0u) << "names " << key << ": " << r.body;
  };
  refused(R"({"rate_limit_rps": 0})", "rate_limit_rps");
  refused(R"({"rate_limit_rps": "fast"})", "rate_limit_rps");
  refused(R"({"rate_limit_burst": -1})", "rate_limit_burst");
  refused(R"({"cors_max_age": 100000})", "cors_max_age");
  refused(R"({"cors_origins": "https://app.example/path"})", "cors_origins");
  refused(R"({"cors_origins": "app.example"})", "cors_origins");
  refused(R"({"cors_methods": "GET POST"})", "cors_methods");
  refused(R"({"cors_headers": "X:Y"})", "cors_headers");
  refused(R"({"cors_credentials": "yes"})", "cors_credentials");
  refused(R"({"security_headers": "maybe"})", "security_headers");
  refused(R"({"cors_origins": "*", "cors_credentials": true})", "cors_origins");
  // The pair is judged on the config as it would become.
  ASSERT_EQ(Patch(henv, R"({"cors_credentials": true})").status, 200);
  refused(R"({"cors_origins": "*"})", "cors_origins");
  ASSERT_EQ(Patch(henv, R"({"cors_credentials": null, "cors_origins": "*"})").status, 200);
  refused(R"({"cors_credentials": true})", "cors_credentials");
  // Nothing refused was written.
  auto all = OwnerCall(henv, "GET", "/_api/config");
  const Json* config = all.json().find("config");
  ASSERT_NE(config, nullptr) << all.body;
  EXPECT_EQ(config->find("rate_limit_rps"), nullptr);
  EXPECT_EQ(config->find("cors_credentials"), nullptr);
  auto ok = Patch(henv, R"({"rate_limit_rps": 50, "rate_limit_burst": 100, "cors_origins": "https://a.example, )"
                        R"(http://localhost:3000", "cors_max_age": 0, "security_headers": "off"})");
  EXPECT_EQ(ok.status, 200) << ok.body;
}

// ------------------------------------------------------- security headers

constexpr const char* kRouter = R"js(
import { Router } from "hbf:router";
const router = new Router();
router.get("/script", (req, res) => res.json({ ok: true }));
router.get("/framed", (req, res) => res.set("X-Frame-Options", "DENY").send("mine"));
router.get("/broken", (req, res) => { throw new Error("boom"); });
router.get("/api/data", (req, res) => res.json({ data: 1 }));
router.post("/api/data", (req, res) => res.json({ posted: true }));
export default router;
)js";

void ExpectDefaults(const HttpReply& r, const std::string& what) {
  EXPECT_EQ(H(r, "x-content-type-options"), "nosniff") << what;
  EXPECT_EQ(H(r, "referrer-policy"), "strict-origin-when-cross-origin") << what;
  EXPECT_EQ(H(r, "x-frame-options"), "SAMEORIGIN") << what;
  EXPECT_EQ(H(r, "strict-transport-security"), "<absent>") << what << ": plain http";
}

TEST_F(LimitsTest, SecurityHeadersOnEveryKindOfAnswer) {
  Start({});
  TestHenv henv = MakeHenv("headers");
  Put(henv, "_system/router.js", kRouter);
  Put(henv, "page.html", "<h1>hi</h1>", "text/html");

  auto document = Get(port(), "/page.html", henv.host);
  ASSERT_EQ(document.status, 200);
  ExpectDefaults(document, "a document");
  auto script = Get(port(), "/script", henv.host);
  ASSERT_EQ(script.status, 200);
  ExpectDefaults(script, "a script's answer");
  auto failed = Get(port(), "/broken", henv.host);
  ASSERT_EQ(failed.status, 500);
  ExpectDefaults(failed, "a script failure");
  auto missing = Get(port(), "/nothing-here", henv.host);
  ASSERT_EQ(missing.status, 404);
  ExpectDefaults(missing, "a 404");
  auto api_error = Get(port(), "/_api/config", henv.host);
  ASSERT_EQ(api_error.status, 401);
  ExpectDefaults(api_error, "an API error");
  ExpectDefaults(Get(port(), "/"), "the apex");
  ExpectDefaults(Get(port(), "/x", "nosuchhost.example"), "an unknown host");

  // The router's own header wins, and is not doubled.
  auto framed = Get(port(), "/framed", henv.host);
  EXPECT_EQ(H(framed, "x-frame-options"), "DENY");
  int count = 0;
  for (const auto& [name, value] : framed.headers) count += name == "x-frame-options";
  EXPECT_EQ(count, 1);
  // HBF's admin keeps its own stricter policy.
  auto admin = OwnerCall(henv, "GET", "/_admin");
  ASSERT_EQ(admin.status, 200);
  EXPECT_EQ(H(admin, "x-frame-options"), "DENY");
  EXPECT_EQ(H(admin, "referrer-policy"), "same-origin");

  // security_headers=off: the app's own answers are left as they are;
  // HBF's built-ins keep the defaults.
  ASSERT_EQ(Patch(henv, R"({"security_headers": "off"})").status, 200);
  auto bare = Get(port(), "/script", henv.host);
  ASSERT_EQ(bare.status, 200);
  EXPECT_EQ(H(bare, "x-frame-options"), "<absent>");
  EXPECT_EQ(H(bare, "referrer-policy"), "<absent>");
  ExpectDefaults(Get(port(), "/_api/config", henv.host), "a built-in with security_headers off");
}

TEST_F(LimitsTest, HstsOnlyForHttpsThroughATrustedProxy) {
  Start({"--trust_proxy"});
  auto https = Fetch(port(), {"GET", "/", "localhost", {{"X-Forwarded-Proto", "https"}}, {}});
  ASSERT_EQ(https.status, 200);
  EXPECT_EQ(H(https, "strict-transport-security"), "max-age=31536000");
  EXPECT_EQ(H(Get(port(), "/"), "strict-transport-security"), "<absent>") << "plain http";

  // A peer that is not a trusted proxy cannot claim https.
  Start({"--trust_proxy", "--trusted_proxies", "10.0.0.0/8"});
  auto spoofed = Fetch(port(), {"GET", "/", "localhost", {{"X-Forwarded-Proto", "https"}}, {}});
  ASSERT_EQ(spoofed.status, 200);
  EXPECT_EQ(H(spoofed, "strict-transport-security"), "<absent>");
  Start({});
  EXPECT_EQ(
      H(Fetch(port(), {"GET", "/", "localhost", {{"X-Forwarded-Proto", "https"}}, {}}), "strict-transport-security"),
      "<absent>")
      << "without --trust_proxy";
}

// ------------------------------------------------------------------- CORS

TEST_F(LimitsTest, CorsPerHenv) {
  Start({});
  TestHenv henv = MakeHenv("corsapp");
  Put(henv, "_system/router.js", kRouter);
  const Headers preflight_from_app = {{"Origin", "https://app.example"},
                                      {"Access-Control-Request-Method", "PUT"},
                                      {"Access-Control-Request-Headers", "authorization"}};

  // Off by default: a preflight is the router's to answer (here: nobody does).
  auto before = Fetch(port(), {"OPTIONS", "/api/data", henv.host, preflight_from_app, {}});
  EXPECT_EQ(H(before, "access-control-allow-origin"), "<absent>");
  EXPECT_EQ(H(Fetch(port(), {"GET", "/api/data", henv.host, {{"Origin", "https://app.example"}}, {}}),
              "access-control-allow-origin"),
            "<absent>");

  ASSERT_EQ(Patch(henv, R"({"cors_origins": "*", "cors_credentials": true})").status, 400);
  auto set = Patch(henv, R"({"cors_origins": "https://app.example, http://localhost:3000", )"
                         R"("cors_credentials": true, "cors_max_age": 120})");
  ASSERT_EQ(set.status, 200) << set.body;

  auto pre = Fetch(port(), {"OPTIONS", "/api/data", henv.host, preflight_from_app, {}});
  EXPECT_EQ(pre.status, 204);
  EXPECT_EQ(H(pre, "access-control-allow-origin"), "https://app.example");
  EXPECT_EQ(H(pre, "vary"), "Origin");
  EXPECT_EQ(H(pre, "access-control-allow-methods"), "GET, HEAD, POST, PUT, PATCH, DELETE");
  EXPECT_EQ(H(pre, "access-control-allow-headers"), "Content-Type, Authorization");
  EXPECT_EQ(H(pre, "access-control-allow-credentials"), "true");
  EXPECT_EQ(H(pre, "access-control-max-age"), "120");

  auto stranger = Fetch(port(), {"OPTIONS",
                                 "/api/data",
                                 henv.host,
                                 {{"Origin", "https://evil.example"}, {"Access-Control-Request-Method", "PUT"}},
                                 {}});
  EXPECT_EQ(stranger.status, 204);
  EXPECT_EQ(H(stranger, "access-control-allow-origin"), "<absent>");
  EXPECT_EQ(H(stranger, "access-control-allow-methods"), "<absent>");

  auto actual = Fetch(port(), {"GET", "/api/data", henv.host, {{"Origin", "https://app.example"}}, {}});
  ASSERT_EQ(actual.status, 200);
  EXPECT_EQ(H(actual, "access-control-allow-origin"), "https://app.example");
  EXPECT_EQ(H(actual, "access-control-allow-credentials"), "true");
  EXPECT_NE(H(actual, "vary").find("Origin"), std::string::npos);
  EXPECT_NE(H(actual, "access-control-expose-headers").find("RateLimit-Remaining"), std::string::npos);
  auto other = Fetch(port(), {"GET", "/api/data", henv.host, {{"Origin", "https://evil.example"}}, {}});
  ASSERT_EQ(other.status, 200);
  EXPECT_EQ(H(other, "access-control-allow-origin"), "<absent>");

  // CORS is for bearer-token clients: a state-changing request carrying
  // only the session cookie from another origin is still refused (CSRF),
  // listed or not; the same with a bearer token goes through.
  auto with_cookie = Fetch(port(), {"POST",
                                    "/api/data",
                                    henv.host,
                                    {{"Origin", "https://app.example"},
                                     {"Cookie", "hbf_session=" + henv.token},
                                     {"Content-Type", "application/json"}},
                                    "{}"});
  EXPECT_EQ(with_cookie.status, 403);
  EXPECT_EQ(with_cookie.error_code(), "csrf_rejected");
  EXPECT_EQ(H(with_cookie, "access-control-allow-origin"), "https://app.example") << "the page may read why";
  auto with_bearer = Fetch(port(), {"POST",
                                    "/api/data",
                                    henv.host,
                                    {{"Origin", "https://app.example"},
                                     {"Authorization", "Bearer " + henv.token},
                                     {"Content-Type", "application/json"}},
                                    "{}"});
  EXPECT_EQ(with_bearer.status, 200) << with_bearer.body;
  EXPECT_EQ(H(with_bearer, "access-control-allow-origin"), "https://app.example");
}

}  // namespace
}  // namespace hbf::test
