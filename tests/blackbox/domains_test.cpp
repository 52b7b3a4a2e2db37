// Black-box tests of custom domains (README "Custom domains"): the real hbf,
// its /_api/domains, the `hbf domains` CLI on the same storage folder, and
// verification by fetching the token (pointed at loopback with
// --domain_verify_connect). Every wait is a bounded poll.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>

#include "henv_fixture.h"
#include "support/hbf_process.h"
#include "support/http_client.h"

namespace hbf::test {
namespace {

constexpr const char* kRouter = R"js(
import { Router } from "hbf:router";
const router = new Router();
router.get("/hello", (req, res) => res.json({ msg: "hi", host: req.hostname }));
export default router;
)js";

// A loopback port nothing listens on right now (for --port P, so that the
// server's own port can be its verification target).
uint16_t FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

// A loopback HTTP server that answers every request with `body` (200):
// a domain whose DNS points somewhere else than HBF.
class FixedAnswerServer {
 public:
  explicit FixedAnswerServer(std::string body) : body_(std::move(body)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 16);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~FixedAnswerServer() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  uint16_t port() const { return port_; }
  int requests() const { return requests_; }

 private:
  void Serve() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) != 1) continue;
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      std::string in;
      char buf[1024];
      while (in.find("\r\n\r\n") == std::string::npos) {
        pollfd q{c, POLLIN, 0};
        if (::poll(&q, 1, 1000) != 1) break;
        ssize_t n = ::recv(c, buf, sizeof buf, 0);
        if (n <= 0) break;
        in.append(buf, static_cast<size_t>(n));
      }
      ++requests_;
      std::string out = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(body_.size()) +
                        "\r\nConnection: close\r\n\r\n" + body_;
      ::send(c, out.data(), out.size(), MSG_NOSIGNAL);
      ::close(c);
    }
  }

  std::string body_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::thread thread_;
};

// Polls `done` every 50 ms for at most `limit`.
bool WaitFor(const std::function<bool()>& done, std::chrono::milliseconds limit = std::chrono::seconds(5)) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

class DomainsTest : public DevServerTest {
 protected:
  HttpReply Api(const TestHenv& henv, const std::string& method, const std::string& path, const std::string& body = {}) {
    return Fetch(port(), {method, path, henv.host,
                          {{"Authorization", "Bearer " + henv.token}, {"Content-Type", "application/json"}}, body});
  }
  HttpReply Claim(const TestHenv& henv, const std::string& domain) {
    return Api(henv, "POST", "/_api/domains", Json::MakeObject({{"domain", domain}}).dump());
  }
  void SetRouter(const TestHenv& henv) {
    auto put = Fetch(port(), {"PUT", "/_api/documents/_system/router.js", henv.host,
                              {{"Authorization", "Bearer " + henv.token}, {"Content-Type", "text/javascript"}}, kRouter});
    ASSERT_TRUE(put.status == 200 || put.status == 201) << put.body;
  }
  HttpReply GetOn(const std::string& host, const std::string& path) { return Fetch(port(), {"GET", path, host, {}, {}}); }
  std::string Storage() const { return server_->storage_dir(); }
  // The domain's row in GET /_api/domains, or null.
  Json Row(const TestHenv& henv, const std::string& domain) {
    auto list = Api(henv, "GET", "/_api/domains");
    const Json* items = list.json().find("domains");
    if (items == nullptr || !items->is_array()) return Json();
    for (const Json& item : items->as_array()) {
      if (const Json* d = item.find("domain"); d != nullptr && *d == Json(domain)) return item;
    }
    return Json();
  }
};

TEST_F(DomainsTest, ApprovedDomainServesTheHenvWithItsOwnCookies) {
  Start();
  TestHenv henv = MakeHenv("domainowner");
  SetRouter(henv);
  const std::string domain = "app.example.test";

  auto claimed = Claim(henv, "App.Example.Test.");
  ASSERT_EQ(claimed.status, 201) << claimed.body;
  EXPECT_EQ(*claimed.json().find("domain"), Json(domain));
  EXPECT_EQ(*claimed.json().find("state"), Json("pending"));
  ASSERT_TRUE(claimed.json().find("token")->is_string());
  const std::string token = claimed.json().find("token")->as_string();
  EXPECT_EQ(*claimed.json().find("verify_url"), Json("http://" + domain + "/.well-known/hbf-domain/" + token));

  // Pending: only the token is served there.
  auto pending = GetOn(domain, "/hello");
  EXPECT_EQ(pending.status, 404) << pending.body;
  EXPECT_EQ(pending.error_code(), "unknown_host");
  auto token_reply = GetOn(domain, "/.well-known/hbf-domain/" + token);
  EXPECT_EQ(token_reply.status, 200);
  EXPECT_EQ(token_reply.body, token);
  EXPECT_EQ(GetOn(domain, "/.well-known/hbf-domain/wrong").status, 404);
  EXPECT_EQ(GetOn("other.example.test", "/.well-known/hbf-domain/" + token).status, 404);
  EXPECT_EQ(GetOn("127.0.0.1", "/_hbf/tls-allowed?domain=" + domain).status, 404);

  auto approved = RunHbf({"domains", "approve", domain, "--storage_dir", Storage()});
  ASSERT_EQ(approved.exit_code, 0) << approved.err;
  // The running server follows within a second (polled for at most 5 s).
  ASSERT_TRUE(WaitFor([&] { return GetOn(domain, "/hello").status == 200; })) << server_->logs();
  auto hello = GetOn(domain + ":" + std::to_string(port()), "/hello");
  ASSERT_EQ(hello.status, 200) << hello.body;
  EXPECT_EQ(*hello.json().find("msg"), Json("hi"));
  EXPECT_EQ(*hello.json().find("host"), Json(domain));  // the host the client used
  EXPECT_EQ(*Row(henv, domain).find("state"), Json("active"));
  EXPECT_EQ(*Row(henv, domain).find("verified_by"), Json("operator"));
  EXPECT_EQ(GetOn("127.0.0.1", "/_hbf/tls-allowed?domain=" + domain).status, 200);

  auto list = RunHbf({"domains", "list", "--storage_dir", Storage()});
  EXPECT_EQ(list.exit_code, 0);
  EXPECT_EQ(list.out, domain + " " + henv.hash + " active\n");

  // Logging in on the custom domain: a host-only cookie that works there.
  const std::string credentials =
      Json::MakeObject({{"username", "domainowner"}, {"password", kTestPassword}}).dump();
  auto login = Fetch(port(), {"POST", "/login", domain, {{"Content-Type", "application/json"}}, credentials});
  ASSERT_EQ(login.status, 200) << login.body;
  const std::string set_cookie = login.header("set-cookie").value_or("");
  ASSERT_EQ(set_cookie.rfind("hbf_session=", 0), 0u) << set_cookie;
  EXPECT_EQ(set_cookie.find("Domain"), std::string::npos) << set_cookie;
  const std::string cookie = set_cookie.substr(0, set_cookie.find(';'));
  auto me = Fetch(port(), {"GET", "/_api/me", domain, {{"Cookie", cookie}}, {}});
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(*me.json().find("user")->find("username"), Json("domainowner"));
  // The cookie's own origin passes the cross-site check; the henv's
  // {hash} host is another origin from the custom domain's pages.
  // (A POST to no endpoint: 404 once past the check, 403 when refused.)
  auto same_origin = Fetch(port(), {"POST", "/_api/none", domain, {{"Cookie", cookie}, {"Origin", "http://" + domain}}, {}});
  EXPECT_EQ(same_origin.status, 404) << same_origin.body;
  auto other_origin =
      Fetch(port(), {"POST", "/_api/none", domain, {{"Cookie", cookie}, {"Origin", "http://" + henv.host}}, {}});
  EXPECT_EQ(other_origin.status, 403) << other_origin.body;
  EXPECT_EQ(other_origin.error_code(), "csrf_rejected");

  // The audit log has the operator's approval and the owner's claim.
  auto audit = Api(henv, "GET", "/_api/audit");
  EXPECT_NE(audit.body.find("domain.approve"), std::string::npos) << audit.body;
  EXPECT_NE(audit.body.find("domain.add"), std::string::npos) << audit.body;

  // DELETE stops routing before it answers.
  auto removed = Api(henv, "DELETE", "/_api/domains/" + domain);
  ASSERT_EQ(removed.status, 200) << removed.body;
  EXPECT_EQ(GetOn(domain, "/hello").status, 404);
  EXPECT_EQ(GetOn("127.0.0.1", "/_hbf/tls-allowed?domain=" + domain).status, 404);
  EXPECT_EQ(Api(henv, "DELETE", "/_api/domains/" + domain).status, 404);
  EXPECT_EQ(RunHbf({"domains", "list", "--storage_dir", Storage()}).out, "");
  // The henv's own host is unchanged throughout.
  EXPECT_EQ(GetOn(henv.host, "/hello").status, 200);
}

TEST_F(DomainsTest, ADomainClaimedTwiceBelongsToTheFirstHenv) {
  Start();
  TestHenv first = MakeHenv("firstclaim");
  TestHenv second = MakeHenv("secondclaim");
  ASSERT_EQ(Claim(first, "shop.example.test").status, 201);
  auto again = Claim(second, "SHOP.example.test");
  EXPECT_EQ(again.status, 409) << again.body;
  EXPECT_EQ(again.error_code(), "domain_taken");
  EXPECT_TRUE(Row(second, "shop.example.test").is_null());
  // Its own henv claiming it again is a retry, not a conflict.
  auto retry = Claim(first, "shop.example.test");
  EXPECT_EQ(retry.status, 200) << retry.body;
  // The other henv cannot remove it either.
  EXPECT_EQ(Api(second, "DELETE", "/_api/domains/shop.example.test").status, 404);
  // Revoked by the operator, the second henv may have it.
  auto revoked = RunHbf({"domains", "revoke", "shop.example.test", "--storage_dir", Storage()});
  EXPECT_EQ(revoked.exit_code, 0) << revoked.err;
  EXPECT_EQ(Claim(second, "shop.example.test").status, 201);
}

TEST_F(DomainsTest, OnlyTheOwnerManagesDomainsAndOnlyValidOnes) {
  Start();
  TestHenv henv = MakeHenv("domainrules");
  const std::string user_token = AddUserAndLogin(port(), henv.host, henv.token, "plainuser");
  ASSERT_FALSE(user_token.empty());
  const std::string body = Json::MakeObject({{"domain", "rules.example.test"}}).dump();
  auto anonymous = Fetch(port(), {"POST", "/_api/domains", henv.host, {{"Content-Type", "application/json"}}, body});
  EXPECT_EQ(anonymous.status, 401) << anonymous.body;
  auto user = Fetch(port(), {"POST", "/_api/domains", henv.host,
                             {{"Authorization", "Bearer " + user_token}, {"Content-Type", "application/json"}}, body});
  EXPECT_EQ(user.status, 403) << user.body;
  EXPECT_EQ(Fetch(port(), {"GET", "/_api/domains", henv.host, {{"Authorization", "Bearer " + user_token}}, {}}).status, 403);

  for (const char* bad : {"localhost", "abcd1234.localhost", "x.localhost", "1.2.3.4", "a_b.example.test",
                          "-a.example.test", "nodot", "app.example.test:80"}) {
    auto r = Claim(henv, bad);
    EXPECT_EQ(r.status, 400) << bad << ": " << r.body;
    EXPECT_EQ(r.error_code(), "invalid_domain") << bad;
  }
  auto not_json = Api(henv, "POST", "/_api/domains", "{nope");
  EXPECT_EQ(not_json.status, 400) << not_json.body;
  EXPECT_TRUE(not_json.json().find("error") != nullptr && not_json.json().find("error")->find("code") != nullptr)
      << not_json.body;
  auto no_field = Api(henv, "POST", "/_api/domains", "{}");
  EXPECT_EQ(no_field.status, 400) << no_field.body;
  EXPECT_EQ(Api(henv, "PUT", "/_api/domains").status, 405);

  // The CLI's usage and not-found exits.
  EXPECT_EQ(RunHbf({"domains", "approve", "missing.example.test", "--storage_dir", Storage()}).exit_code, 1);
  EXPECT_EQ(RunHbf({"domains", "revoke", "missing.example.test", "--storage_dir", Storage()}).exit_code, 1);
  EXPECT_EQ(RunHbf({"domains", "approve", "--storage_dir", Storage()}).exit_code, 2);
  EXPECT_EQ(RunHbf({"domains", "frobnicate", "--storage_dir", Storage()}).exit_code, 2);
  EXPECT_EQ(RunHbf({"domains", "list", "--bogus", "x"}).exit_code, 2);
}

TEST_F(DomainsTest, ADomainWhoseDnsPointsAtHbfIsVerified) {
  // The server is its own verification target: as if DNS sent
  // http://{domain}/ to this node.
  const uint16_t port = FreePort();
  Start({"--port", std::to_string(port), "--domain_verify_connect", "127.0.0.1:" + std::to_string(port)});
  ASSERT_EQ(this->port(), port);
  TestHenv henv = MakeHenv("verifyme");
  SetRouter(henv);
  const std::string domain = "verified.example.test";
  ASSERT_EQ(Claim(henv, domain).status, 201);
  ASSERT_TRUE(WaitFor([&] { return GetOn(domain, "/hello").status == 200; })) << server_->logs();
  Json row = Row(henv, domain);
  EXPECT_EQ(*row.find("state"), Json("active"));
  EXPECT_EQ(*row.find("verified_by"), Json("dns"));
  auto audit = Api(henv, "GET", "/_api/audit");
  EXPECT_NE(audit.body.find("domain.verify"), std::string::npos) << audit.body;
}

TEST_F(DomainsTest, AWrongTokenKeepsTheDomainPending) {
  FixedAnswerServer elsewhere("not-the-token");
  Start({"--domain_verify_connect", "127.0.0.1:" + std::to_string(elsewhere.port())});
  TestHenv henv = MakeHenv("wrongtoken");
  const std::string domain = "elsewhere.example.test";
  ASSERT_EQ(Claim(henv, domain).status, 201);
  ASSERT_TRUE(WaitFor([&] {
    const Json row = Row(henv, domain);
    const Json* attempts = row.find("attempts");
    return attempts != nullptr && attempts->is_int() && attempts->as_int() >= 1;
  })) << server_->logs();
  EXPECT_GE(elsewhere.requests(), 1);
  Json row = Row(henv, domain);
  EXPECT_EQ(*row.find("state"), Json("pending"));
  ASSERT_TRUE(row.find("last_error")->is_string());
  EXPECT_NE(row.find("last_error")->as_string().find("token"), std::string::npos) << row.dump();
  EXPECT_GT(row.find("next_attempt")->as_int(), 0);  // it will try again later
  EXPECT_EQ(GetOn(domain, "/").status, 404);
}

// A henv that goes to the trash keeps its domains, but they route nowhere:
// 404 like its own host, no certificate; back from the trash, they serve.
TEST_F(DomainsTest, ATrashedHenvsDomainAnswers404) {
  Start();
  TestHenv henv = MakeHenv("trashdomain");
  SetRouter(henv);
  const std::string domain = "trash.example.test";
  ASSERT_EQ(Claim(henv, domain).status, 201);
  ASSERT_EQ(RunHbf({"domains", "approve", domain, "--storage_dir", Storage()}).exit_code, 0);
  ASSERT_TRUE(WaitFor([&] { return GetOn(domain, "/hello").status == 200; })) << server_->logs();

  // What the sweep does to an idle henv: its folder moves to .trash/.
  std::filesystem::create_directories(Storage() + "/.trash");
  const std::string trashed = Storage() + "/.trash/" + henv.hash + ".1";
  std::filesystem::rename(Storage() + "/" + henv.hash, trashed);
  ASSERT_TRUE(WaitFor([&] { return GetOn(domain, "/hello").status == 404; })) << server_->logs();
  EXPECT_EQ(GetOn(henv.host, "/hello").status, 404);
  EXPECT_EQ(GetOn("127.0.0.1", "/_hbf/tls-allowed?domain=" + domain).status, 404);
  EXPECT_NE(RunHbf({"domains", "list", "--storage_dir", Storage()}).out.find(domain), std::string::npos);

  std::filesystem::rename(trashed, Storage() + "/" + henv.hash);
  EXPECT_TRUE(WaitFor([&] { return GetOn(domain, "/hello").status == 200; })) << server_->logs();
}

}  // namespace
}  // namespace hbf::test
