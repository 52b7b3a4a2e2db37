// Scale-out on loopback: three hbf nodes (--shard_mode) behind Debian's
// nginx hashing the Host (`hash $host consistent`, as deploy/nginx/hbf.conf),
// run as this user from a temporary prefix. Henvs are created through nginx
// (apex 307 -> the owner's /_hbf/new); each lives on exactly one node, the
// one nginx routes its host to and the one `hbf cluster plan` names; a
// stopped node takes only its henvs down; its henvs move to the nodes the
// plan names and their tokens work there after nginx reloads without it.
// Also `hbf healthcheck` and GET /_hbf/tls-allowed.
//
// nginx is required (scripts/setup.sh installs it): without it the test
// fails, it is not skipped.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cluster/nginx_ring.h"
#include "support/hbf_process.h"
#include "support/http_client.h"

namespace hbf::test {
namespace {

namespace fs = std::filesystem;
constexpr const char* kNginx = "/usr/sbin/nginx";

uint16_t FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

// Debian's nginx in the foreground from a temporary prefix, in front of
// `servers` (nginx server names "127.0.0.1:PORT"). Each answer carries
// X-Upstream: the node it came from.
class Nginx {
 public:
  ~Nginx() { Stop(); }

  bool Start(const std::vector<std::string>& servers) {
    for (int attempt = 0; attempt < 3 && pid_ < 0; ++attempt) {
      port_ = FreePort();
      WriteConfig(servers);
      pid_t pid = ::fork();
      if (pid == 0) {
        const std::string conf = prefix_.path() + "/nginx.conf", err = prefix_.path() + "/error.log";
        ::execl(kNginx, kNginx, "-p", prefix_.path().c_str(), "-c", conf.c_str(), "-e", err.c_str(), "-g",
                "daemon off;", static_cast<char*>(nullptr));
        ::_exit(127);
      }
      pid_ = pid;
      // Bounded: up to ~10 s for the listener (the apex's /health via nginx).
      for (int i = 0; i < 100; ++i) {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
          pid_ = -1;  // exited (port taken?): next attempt
          break;
        }
        if (Get(port_, "/health").status == 200) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
    return false;
  }

  // New server list, then SIGHUP: nginx re-reads it; old workers finish.
  void Reload(const std::vector<std::string>& servers) {
    WriteConfig(servers);
    ::kill(pid_, SIGHUP);
  }

  void Stop() {
    if (pid_ < 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 100 && ::waitpid(pid_, &status, WNOHANG) == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  uint16_t port() const { return port_; }
  std::string error_log() const {
    std::ifstream in(prefix_.path() + "/error.log");
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

 private:
  void WriteConfig(const std::vector<std::string>& servers) {
    const std::string p = prefix_.path();
    std::string upstream;
    for (const auto& s : servers) upstream += "    server " + s + " max_fails=0;\n";
    std::ofstream out(p + "/nginx.conf", std::ios::trunc);
    out << (::geteuid() == 0 ? "user root;\n" : "") << "worker_processes 1;\npid " << p << "/nginx.pid;\n"
        << "events { worker_connections 256; }\nhttp {\n  access_log off;\n"
        << "  client_body_temp_path " << p << "/body;\n  proxy_temp_path " << p << "/proxy;\n"
        << "  fastcgi_temp_path " << p << "/fastcgi;\n  uwsgi_temp_path " << p << "/uwsgi;\n"
        << "  scgi_temp_path " << p << "/scgi;\n"
        << "  upstream hbf {\n    hash $host consistent;\n" << upstream << "  }\n"
        << "  server {\n    listen 127.0.0.1:" << port_ << ";\n    location / {\n"
        << "      proxy_pass http://hbf;\n      proxy_http_version 1.1;\n      proxy_next_upstream off;\n"
        << "      proxy_set_header Host $host;\n      proxy_set_header X-Forwarded-Host $http_host;\n"
        << "      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n"
        << "      proxy_set_header X-Forwarded-Proto $scheme;\n      proxy_set_header Connection \"\";\n"
        << "      add_header X-Upstream $upstream_addr always;\n    }\n  }\n}\n";
  }

  TempDir prefix_;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
};

struct CreatedHenv {
  std::string name;
  std::string hash;
  std::string token;
};

class ClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::access(kNginx, X_OK), 0) << kNginx << " is missing: install Debian's nginx (scripts/setup.sh does)";
    for (auto& node : nodes_) {
      node = std::make_unique<HbfProcess>(HbfProcess::Options{{"--shard_mode", "--trust_proxy"}, {}, {}, {}});
      ASSERT_TRUE(node->Start()) << node->logs();
      names_.push_back("127.0.0.1:" + std::to_string(node->port()));
    }
    ASSERT_TRUE(nginx_.Start(names_)) << nginx_.error_log();
  }

  std::string Host(const std::string& hash) const { return hash + ".localhost:" + std::to_string(nginx_.port()); }
  size_t NodeIndex(const std::string& name) const {
    for (size_t i = 0; i < names_.size(); ++i) {
      if (names_[i] == name) return i;
    }
    return names_.size();
  }

  // Through nginx: the apex's 307, then the owner's /_hbf/new, then a login.
  CreatedHenv Create(const std::string& name) {
    CreatedHenv out{name, {}, {}};
    const std::string body = R"({"username":")" + name + R"(","password":")" + std::string(kTestPassword) +
                             R"(","email":")" + name + R"(@example.com"})";
    const std::string apex = "localhost:" + std::to_string(nginx_.port());
    HttpReply redirect = Fetch(nginx_.port(), {"POST", "/new", apex, {{"Content-Type", "application/json"}}, body});
    EXPECT_EQ(redirect.status, 307) << redirect.body;
    const std::string location = redirect.header("location").value_or("");
    const std::string prefix = "http://";
    const size_t slash = location.find('/', prefix.size());
    EXPECT_EQ(location.rfind(prefix, 0), 0u) << location;
    if (slash == std::string::npos) return out;
    const std::string host = location.substr(prefix.size(), slash - prefix.size());
    EXPECT_EQ(location.substr(slash), "/_hbf/new");
    HttpReply created = Fetch(nginx_.port(), {"POST", location.substr(slash), host, {{"Content-Type", "application/json"}}, body});
    EXPECT_EQ(created.status, 201) << created.body;
    if (const Json* hash = created.json().find("user_hash"); hash != nullptr && hash->is_string()) out.hash = hash->as_string();
    EXPECT_EQ(host, Host(out.hash));
    HttpReply login = Fetch(nginx_.port(), {"POST", "/login", Host(out.hash), {{"Content-Type", "application/json"}},
                                            R"({"username":")" + name + R"(","password":")" + kTestPassword + R"("})"});
    EXPECT_EQ(login.status, 200) << login.body;
    if (const Json* token = login.json().find("token"); token != nullptr && token->is_string()) out.token = token->as_string();
    return out;
  }

  HttpReply Me(const CreatedHenv& henv) {
    return Fetch(nginx_.port(), {"GET", "/_api/me", Host(henv.hash), {{"Authorization", "Bearer " + henv.token}}, {}});
  }

  // Which nodes' storage holds the henv.
  std::vector<size_t> Holders(const std::string& hash) const {
    std::vector<size_t> out;
    for (size_t i = 0; i < nodes_.size(); ++i) {
      if (fs::exists(fs::path(nodes_[i]->storage_dir()) / hash / "index.db")) out.push_back(i);
    }
    return out;
  }

  std::array<std::unique_ptr<HbfProcess>, 3> nodes_;
  std::vector<std::string> names_;
  Nginx nginx_;
};

// `hbf cluster plan` output lines, by their first field.
std::vector<std::vector<std::string>> PlanLines(const std::string& out, const std::string& kind) {
  std::vector<std::vector<std::string>> lines;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::vector<std::string> f;
    for (std::string x; fields >> x;) f.push_back(x);
    if (!f.empty() && f[0] == kind) lines.push_back(f);
  }
  return lines;
}

TEST_F(ClusterTest, RingMatchesNginxForManyHosts) {
  // Hosts without henvs: whichever node nginx picks answers 404, and says so
  // in X-Upstream. The ring must name the same node for every one.
  cluster::NginxHashRing ring({{names_[0], 1}, {names_[1], 1}, {names_[2], 1}});
  std::set<std::string> seen;
  for (int i = 0; i < 150; ++i) {
    std::string hash = "h" + std::to_string(1000000 + i * 7919);
    hash.resize(8, 'x');
    HttpReply r = Fetch(nginx_.port(), {"GET", "/", Host(hash), {}, {}});
    ASSERT_EQ(r.status, 404) << r.body;
    const std::string upstream = r.header("x-upstream").value_or("");
    EXPECT_EQ(upstream, ring.Owner(hash + ".localhost")) << hash;
    seen.insert(upstream);
  }
  EXPECT_EQ(seen.size(), 3u);  // all three nodes are in use
}

TEST_F(ClusterTest, HenvsLiveOnTheirNodeSurviveAnotherNodeStoppingAndMove) {
  // Names chosen so that each node owns two (the ring is what nginx uses:
  // RingMatchesNginxForManyHosts checks that).
  cluster::NginxHashRing ring({{names_[0], 1}, {names_[1], 1}, {names_[2], 1}});
  std::map<size_t, std::vector<std::string>> by_node;
  for (int i = 0; i < 400 && (by_node[0].size() < 2 || by_node[1].size() < 2 || by_node[2].size() < 2); ++i) {
    const std::string name = "shard-app-" + std::to_string(i);
    RunResult hashed = RunHbf({"hash", name});
    std::string hash = hashed.out.substr(0, 8);
    auto& list = by_node[ring.OwnerIndex(hash + ".localhost")];
    if (list.size() < 2) list.push_back(name);
  }
  std::vector<CreatedHenv> henvs;
  for (auto& [node, names] : by_node) {
    ASSERT_EQ(names.size(), 2u);
    for (const auto& name : names) henvs.push_back(Create(name));
  }
  ASSERT_FALSE(HasFailure());

  // Each henv's file is on exactly one node: the one nginx routes it to, and
  // the one `hbf cluster plan` names.
  std::string listed;
  for (const auto& h : henvs) listed += h.hash + "\n";
  TempDir scratch;
  const std::string list_file = scratch.path() + "/hashes";
  { std::ofstream(list_file) << listed; }
  const std::string all_nodes = names_[0] + "," + names_[1] + "," + names_[2];
  RunResult plan = RunHbf({"cluster", "plan", "--nodes", all_nodes, "--hashes", list_file, "--base_domain", "localhost"});
  ASSERT_EQ(plan.exit_code, 0) << plan.err;
  std::map<std::string, std::string> planned;
  for (const auto& f : PlanLines(plan.out, "owner")) {
    ASSERT_EQ(f.size(), 4u);
    planned[f[1]] = f[3];
  }
  for (const auto& h : henvs) {
    auto holders = Holders(h.hash);
    ASSERT_EQ(holders.size(), 1u) << h.hash;
    HttpReply me = Me(h);
    EXPECT_EQ(me.status, 200) << me.body;
    EXPECT_EQ(me.header("x-upstream").value_or(""), names_[holders[0]]) << h.hash;
    EXPECT_EQ(planned[h.hash], names_[holders[0]]) << h.hash;
  }

  // Node 2 stops: its henvs fail (502 from nginx, never rerouted), the rest serve.
  nodes_[2]->Signal(SIGTERM);
  ASSERT_EQ(nodes_[2]->WaitExit(std::chrono::seconds(20)), 0) << nodes_[2]->logs();
  for (const auto& h : henvs) {
    const bool on_stopped = Holders(h.hash)[0] == 2;
    EXPECT_EQ(Me(h).status, on_stopped ? 502 : 200) << h.hash;
  }

  // Node 2 leaves the ring: the plan moves exactly its henvs, each to the
  // node the smaller ring gives it.
  RunResult removal = RunHbf({"cluster", "plan", "--nodes", all_nodes, "--remove", names_[2], "--hashes", list_file,
                              "--base_domain", "localhost"});
  ASSERT_EQ(removal.exit_code, 0) << removal.err;
  auto moves = PlanLines(removal.out, "move");
  ASSERT_EQ(moves.size(), by_node[2].size()) << removal.out;
  for (const auto& m : moves) {
    ASSERT_EQ(m.size(), 5u);
    EXPECT_EQ(m[3], names_[2]);
    const size_t to = NodeIndex(m[4]);
    ASSERT_LT(to, 2u) << m[4];
    // The documented move: export from the old node's storage, import on
    // the new owner (while it serves), then the old copy goes.
    RunResult exported = RunHbf({"henv", "export", m[1], "--storage_dir", nodes_[2]->storage_dir()});
    ASSERT_EQ(exported.exit_code, 0) << exported.err;
    const std::string snapshot = scratch.path() + "/" + m[1] + ".db";
    {
      std::ofstream out(snapshot, std::ios::binary);
      out << exported.out;
    }
    RunResult imported = RunHbf({"henv", "import", snapshot, "--storage_dir", nodes_[to]->storage_dir()});
    ASSERT_EQ(imported.exit_code, 0) << imported.err << imported.out;
    fs::remove_all(fs::path(nodes_[2]->storage_dir()) / m[1]);  // the old copy goes
  }
  nginx_.Reload({names_[0], names_[1]});
  // Every henv is served again, the moved ones by their new node, with the
  // tokens issued before the move. Bounded wait for nginx's new workers.
  for (const auto& h : henvs) {
    const size_t holder = Holders(h.hash).at(0);
    HttpReply me;
    for (int i = 0; i < 100; ++i) {
      me = Me(h);
      if (me.status == 200 && me.header("x-upstream").value_or("") == names_[holder]) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_EQ(me.status, 200) << h.hash << ": " << me.body;
    EXPECT_EQ(me.header("x-upstream").value_or(""), names_[holder]) << h.hash;
  }
}

TEST_F(ClusterTest, BrowserFormSignupAndCurlFollowTheRedirect) {
  // A browser posts the apex's form; the 307 takes it to the owner, which
  // sends it on to the new app's login.
  const std::string apex = "localhost:" + std::to_string(nginx_.port());
  HttpReply page = Fetch(nginx_.port(), {"GET", "/new", apex, {{"Accept", "text/html"}}, {}});
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("<form method=\"post\" action=\"/new\">"), std::string::npos) << page.body;
  const std::string form = "username=form-app&email=form%40example.com&password=correct+horse+battery";
  const std::vector<std::pair<std::string, std::string>> headers = {
      {"Content-Type", "application/x-www-form-urlencoded"}, {"Accept", "text/html,application/xhtml+xml"}};
  HttpReply redirect = Fetch(nginx_.port(), {"POST", "/new", apex, headers, form});
  ASSERT_EQ(redirect.status, 307) << redirect.body;
  RunResult hashed = RunHbf({"hash", "form-app"});
  const std::string hash = hashed.out.substr(0, 8);
  EXPECT_EQ(redirect.header("location").value_or(""), "http://" + Host(hash) + "/_hbf/new");
  HttpReply created = Fetch(nginx_.port(), {"POST", "/_hbf/new", Host(hash), headers, form});
  EXPECT_EQ(created.status, 303) << created.body;
  EXPECT_EQ(created.header("location").value_or(""), "http://" + Host(hash) + "/_hbf/login?next=/_admin");
  // Wrong host for the name: refused, nothing created there.
  HttpReply wrong = Fetch(nginx_.port(), {"POST", "/_hbf/new", Host("zzzzzzzz"), {{"Content-Type", "application/json"}},
                                          R"({"username":"other-app","password":"correct horse battery","email":"o@example.com"})"});
  EXPECT_EQ(wrong.status, 400);
  EXPECT_EQ(wrong.error_code(), "wrong_host");

  // curl -L re-sends the POST to the owner (307 keeps method and body).
  ASSERT_EQ(::access("/usr/bin/curl", X_OK), 0) << "curl is missing: install Debian's curl (scripts/setup.sh does)";
  TempDir scratch;
  const std::string out_file = scratch.path() + "/curl-out";
  const std::string cmd = "/usr/bin/curl -sS -L -o " + out_file + " -w '%{http_code}' --connect-to ::127.0.0.1:" +
                          std::to_string(nginx_.port()) + " -H 'Content-Type: application/json' --data " +
                          "'{\"username\":\"curl-app\",\"password\":\"correct horse battery\",\"email\":\"c@example.com\"}' " +
                          "http://" + apex + "/new";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  char code[8] = {};
  size_t n = std::fread(code, 1, sizeof code - 1, pipe);
  ::pclose(pipe);
  EXPECT_EQ(std::string(code, n), "201");
  std::ifstream in(out_file);
  std::stringstream body;
  body << in.rdbuf();
  EXPECT_NE(body.str().find("\"user_hash\":\"" + RunHbf({"hash", "curl-app"}).out.substr(0, 8) + "\""), std::string::npos)
      << body.str();
}

TEST_F(ClusterTest, TlsAllowedAnswersForHenvsOnThisNodeOnly) {
  CreatedHenv h = Create("tls-app");
  ASSERT_FALSE(h.hash.empty());
  const size_t owner = Holders(h.hash).at(0);
  for (size_t i = 0; i < nodes_.size(); ++i) {
    // Asked by address, as Caddy does (Host 127.0.0.1:PORT).
    const std::string host = "127.0.0.1:" + std::to_string(nodes_[i]->port());
    HttpReply r = Get(nodes_[i]->port(), "/_hbf/tls-allowed?domain=" + h.hash + ".localhost", host);
    EXPECT_EQ(r.status, i == owner ? 200 : 404) << i << ": " << r.body;
  }
  const uint16_t p = nodes_[owner]->port();
  EXPECT_EQ(Get(p, "/_hbf/tls-allowed?domain=localhost", "127.0.0.1").status, 200);
  EXPECT_EQ(Get(p, "/_hbf/tls-allowed?domain=" + h.hash + ".LOCALHOST.", "127.0.0.1").status, 200);
  EXPECT_EQ(Get(p, "/_hbf/tls-allowed?domain=abcdefgh.localhost", "127.0.0.1").status, 404);
  EXPECT_EQ(Get(p, "/_hbf/tls-allowed?domain=evil.example.org", "127.0.0.1").status, 404);
  HttpReply missing = Get(p, "/_hbf/tls-allowed", "127.0.0.1");
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(missing.error_code(), "invalid_field");
}

TEST(ShardMode, TheOwnerTakesTheSignupTokenAsAFieldSinceRedirectsDropAuthorization) {
  const std::string token = "a-signup-token-of-some-length";
  HbfProcess node(HbfProcess::Options{{"--shard_mode", "--new_token", token}, {}, {}, {}});
  ASSERT_TRUE(node.Start()) << node.logs();
  const std::string hash = RunHbf({"hash", "token-app"}).out.substr(0, 8);
  const std::string host = hash + ".localhost";
  const std::string fields = R"("username":"token-app","password":"correct horse battery","email":"t@example.com")";
  // The apex redirects without judging the token: the owner decides.
  HttpReply redirect = Fetch(node.port(), {"POST", "/new", "localhost", {{"Content-Type", "application/json"}}, "{" + fields + "}"});
  EXPECT_EQ(redirect.status, 307) << redirect.body;
  HttpReply without = Fetch(node.port(), {"POST", "/_hbf/new", host, {{"Content-Type", "application/json"}}, "{" + fields + "}"});
  EXPECT_EQ(without.status, 401) << without.body;
  HttpReply wrong = Fetch(node.port(), {"POST", "/_hbf/new", host, {{"Content-Type", "application/json"}},
                                        "{" + fields + R"(,"token":"not-the-token-at-all-no")" + "}"});
  EXPECT_EQ(wrong.status, 401) << wrong.body;
  HttpReply ok = Fetch(node.port(), {"POST", "/_hbf/new", host, {{"Content-Type", "application/json"}},
                                     "{" + fields + R"(,"token":")" + token + R"("})"});
  EXPECT_EQ(ok.status, 201) << ok.body;
  EXPECT_EQ(Fetch(node.port(), {"GET", "/_hbf/new", host, {}, {}}).status, 405);
}

TEST(HealthcheckCommand, ExitsZeroWhileServingAndOneOtherwise) {
  HbfProcess server;
  ASSERT_TRUE(server.Start()) << server.logs();
  const std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/health";
  RunResult ok = RunHbf({"healthcheck", "--url", url});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  RunResult not_found = RunHbf({"healthcheck", "--url", "http://127.0.0.1:" + std::to_string(server.port()) + "/nope"});
  EXPECT_EQ(not_found.exit_code, 1);
  // The default URL follows HBF_PORT, as the container sets it.
  RunResult by_env = RunHbf({"healthcheck"}, {{"HBF_PORT", std::to_string(server.port())}});
  EXPECT_EQ(by_env.exit_code, 0) << by_env.err;
  server.Signal(SIGTERM);
  ASSERT_TRUE(server.WaitExit(std::chrono::seconds(20)).has_value());
  RunResult down = RunHbf({"healthcheck", "--url", url, "--timeout_ms", "2000"});
  EXPECT_EQ(down.exit_code, 1);
  EXPECT_NE(down.err.find("connect"), std::string::npos) << down.err;
  EXPECT_EQ(RunHbf({"healthcheck", "--url", "http://example.com/health"}).exit_code, 2);
  EXPECT_EQ(RunHbf({"healthcheck", "--bogus"}).exit_code, 2);
}

TEST(ClusterPlanCommand, RefusesBadArguments) {
  EXPECT_EQ(RunHbf({"cluster", "plan"}).exit_code, 2);
  EXPECT_EQ(RunHbf({"cluster", "plan", "--nodes", "a,a"}).exit_code, 2);
  EXPECT_EQ(RunHbf({"cluster", "plan", "--nodes", "a,b", "--remove", "c"}).exit_code, 2);
  EXPECT_EQ(RunHbf({"cluster", "plan", "--nodes", "a", "--remove", "a"}).exit_code, 2);
  EXPECT_EQ(RunHbf({"cluster", "plan", "--nodes", "a,b", "--add", "c", "--remove", "a"}).exit_code, 2);
  EXPECT_EQ(RunHbf({"cluster", "frobnicate"}).exit_code, 2);
  EXPECT_EQ(RunHbf({"cluster", "plan", "--nodes", "a,b", "--storage_dir", "/nonexistent/hbf"}).exit_code, 1);
}

}  // namespace
}  // namespace hbf::test
