// Black-box tests: the real hbf binary on a loopback port, spoken to over
// HTTP. These read as the contract of the foundation: CLI, /health, host
// routing, uniform errors, limits, concurrency and graceful shutdown.
#include <elf.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <sstream>
#include <filesystem>
#include <fstream>
#include <thread>

#include "support/hbf_process.h"
#include "support/http_client.h"

namespace hbf::test {
namespace {

using namespace std::chrono_literals;

void ExpectJsonError(const HttpReply& reply, int status, const std::string& code) {
  ASSERT_TRUE(reply.complete) << "no complete response";
  EXPECT_EQ(reply.status, status);
  EXPECT_EQ(reply.header("content-type").value_or(""), "application/json; charset=utf-8");
  Json body = reply.json();
  ASSERT_TRUE(body.is_object()) << reply.body;
  const Json* error = body.find("error");
  ASSERT_NE(error, nullptr) << reply.body;
  ASSERT_NE(error->find("code"), nullptr);
  EXPECT_EQ(error->find("code")->as_string(), code) << reply.body;
  ASSERT_NE(error->find("message"), nullptr);
  EXPECT_FALSE(error->find("message")->as_string().empty());
}

// A member of a JSON reply, or a null Json when absent: tests fail, not crash.
Json Field(const HttpReply& reply, const std::string& key) {
  Json body = reply.json();
  const Json* member = body.find(key);
  return member != nullptr ? *member : Json();
}

class ServerTest : public ::testing::Test {
 protected:
  void StartServer(HbfProcess::Options options = {}) {
    server_ = std::make_unique<HbfProcess>(std::move(options));
    ASSERT_TRUE(server_->Start()) << server_->logs();
  }
  uint16_t port() const { return server_->port(); }
  std::unique_ptr<HbfProcess> server_;
};

// ------------------------------------------------------------------ CLI

TEST(Cli, VersionAndHelpExitZero) {
  auto version = RunHbf({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out.rfind("hbf ", 0), 0u) << version.out;
  auto help = RunHbf({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  for (const char* flag : {"--port", "--bind", "--storage_dir", "--base_domain", "--log_level", "--log_format",
                           "--dev", "--db_max_open", "--qjs_mem_mb", "--qjs_timeout_ms", "--num_threads",
                           "--max_body_mb", "--trust_proxy", "HBF_PORT"}) {
    EXPECT_NE(help.out.find(flag), std::string::npos) << flag;
  }
}

TEST(Cli, HashCommandPrintsTheHenvHash) {
  auto r = RunHbf({"hash", "myapp"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "5h9h66rt\n");
  EXPECT_EQ(RunHbf({"hash", "hello world"}).out, "n2azdcyx\n");
}

TEST(Cli, BadFlagsExitTwoWithOneLineNamingTheFlag) {
  struct Case {
    std::vector<std::string> args;
    std::string named;
  };
  for (const auto& c : std::vector<Case>{{{"--port", "http"}, "--port"},
                                         {{"--port=70000"}, "--port"},
                                         {{"--bogus"}, "--bogus"},
                                         {{"--log_level", "loud"}, "--log_level"},
                                         {{"--bind", "localhost"}, "--bind"},
                                         {{"--max_body_mb"}, "--max_body_mb"}}) {
    auto r = RunHbf(c.args);
    EXPECT_EQ(r.exit_code, 2) << c.named;
    EXPECT_NE(r.err.find(c.named), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
}

TEST(Cli, BadEnvironmentValueNamesTheVariable) {
  auto r = RunHbf({}, {{"HBF_NUM_THREADS", "many"}});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("HBF_NUM_THREADS"), std::string::npos) << r.err;
}

TEST_F(ServerTest, PortInUseSaysSoAndExitsNonZero) {
  StartServer();
  auto r = RunHbf({"--port", std::to_string(port()), "--storage_dir", server_->storage_dir()});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("address already in use"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(std::to_string(port())), std::string::npos) << r.err;
}

// --------------------------------------------------------------- /health

TEST_F(ServerTest, HealthReportsStatusAndFigures) {
  StartServer();
  auto reply = Get(port(), "/health");
  ASSERT_TRUE(reply.complete);
  EXPECT_EQ(reply.status, 200);
  Json body = reply.json();
  ASSERT_TRUE(body.is_object()) << reply.body;
  EXPECT_EQ(body.find("status")->as_string(), "ok");
  std::string version_out = RunHbf({"--version"}).out;
  EXPECT_EQ("hbf " + body.find("version")->as_string(), version_out.substr(0, version_out.find('\n')));
  for (const char* field : {"uptime_seconds", "active_henvs", "db_connections", "memory_mb"}) {
    ASSERT_NE(body.find(field), nullptr) << field;
    EXPECT_TRUE(body.find(field)->is_number()) << field;
    EXPECT_GE(body.find(field)->as_double(), 0) << field;
  }
  EXPECT_GT(body.find("memory_mb")->as_double(), 0);
}

TEST_F(ServerTest, HealthAnswersOnAnyHost) {
  StartServer();
  for (const char* host : {"localhost", "127.0.0.1", "5h9h66rt.localhost:5309", "anything.example"}) {
    auto reply = Get(port(), "/health", host);
    EXPECT_EQ(reply.status, 200) << "host '" << host << "'";
  }
  // HTTP/1.0 needs no Host; HTTP/1.1 without one is malformed (RFC 9112 §3.2).
  RawConnection old(port());
  ASSERT_TRUE(old.Send("GET /health HTTP/1.0\r\n\r\n"));
  EXPECT_EQ(old.ReadReply().status, 200);
  ExpectJsonError(Get(port(), "/health", ""), 400, "bad_request");
}

TEST_F(ServerTest, HeadHealthHasLengthButNoBody) {
  StartServer();
  RawConnection conn(port());
  ASSERT_TRUE(conn.Send(FormatRequest({"HEAD", "/health", "localhost", {}, {}}, true)));
  auto head = conn.ReadReply(/*head=*/true);
  ASSERT_TRUE(head.complete);
  EXPECT_EQ(head.status, 200);
  EXPECT_GT(std::stoi(head.header("content-length").value_or("0")), 0);
  // The next response on the same connection starts right away: no body bytes leaked.
  ASSERT_TRUE(conn.Send(FormatRequest({"GET", "/health", "localhost", {}, {}}, false)));
  auto next = conn.ReadReply();
  EXPECT_TRUE(next.complete);
  EXPECT_EQ(next.status, 200);
}

TEST_F(ServerTest, HealthRejectsOtherMethods) {
  StartServer();
  auto reply = Fetch(port(), {"POST", "/health", "localhost", {}, "x"});
  ExpectJsonError(reply, 405, "method_not_allowed");
  EXPECT_EQ(reply.header("allow").value_or(""), "GET, HEAD");
}

// ---------------------------------------------------------- host routing

TEST_F(ServerTest, UnknownHostsAre404WithJsonError) {
  StartServer();
  for (const char* host : {"example.com", "127.0.0.1", "toolong12.localhost", "abc.5h9h66rt.localhost"}) {
    SCOPED_TRACE(host);
    ExpectJsonError(Get(port(), "/", host), 404, "unknown_host");
  }
}

TEST_F(ServerTest, HenvHostWithoutSuchHenvIs404) {
  StartServer();
  ExpectJsonError(Get(port(), "/", "5h9h66rt.localhost:5309"), 404, "henv_not_found");
  ExpectJsonError(Get(port(), "/x", "5H9H66RT.LOCALHOST."), 404, "henv_not_found");
}

TEST_F(ServerTest, ApexUnknownPathIs404) {
  StartServer();
  ExpectJsonError(Get(port(), "/nothing-here", "localhost:5309"), 404, "not_found");
}

TEST_F(ServerTest, BaseDomainComesFromFlagOrEnvironment) {
  StartServer({.extra_args = {}, .env = {{"HBF_BASE_DOMAIN", "apps.example"}}, .chroot_dir = {}, .storage_dir = {}});
  ExpectJsonError(Get(port(), "/nothing", "apps.example"), 404, "not_found");
  EXPECT_EQ(Get(port(), "/", "apps.example").status, 200);  // the apex's signup page
  ExpectJsonError(Get(port(), "/", "localhost"), 404, "unknown_host");
  ExpectJsonError(Get(port(), "/", "ma3ys3gw.apps.example"), 404, "henv_not_found");
}

TEST_F(ServerTest, ForwardedHostIsIgnoredUnlessProxyIsTrusted) {
  StartServer();
  RequestSpec spec{"GET", "/", "127.0.0.1", {{"X-Forwarded-Host", "5h9h66rt.localhost"}}, {}};
  ExpectJsonError(Fetch(port(), spec), 404, "unknown_host");

  HbfProcess trusting({.extra_args = {"--trust_proxy"}, .env = {}, .chroot_dir = {}, .storage_dir = {}});
  ASSERT_TRUE(trusting.Start()) << trusting.logs();
  ExpectJsonError(Fetch(trusting.port(), spec), 404, "henv_not_found");
}

// ------------------------------------------------------ malformed & limits

TEST_F(ServerTest, MalformedRequestsGet400AndTheServerCarriesOn) {
  StartServer();
  for (const std::string& raw : {std::string("GARBAGE\r\n\r\n"), std::string("GET / HTTP/1.1\r\nHost localhost\r\n\r\n"),
                                std::string("GET /%zz HTTP/1.1\r\nHost: localhost\r\n\r\n")}) {
    RawConnection conn(port());
    ASSERT_TRUE(conn.Send(raw));
    auto reply = conn.ReadReply();
    SCOPED_TRACE(raw);
    ASSERT_TRUE(reply.complete);
    EXPECT_EQ(reply.status, 400);
    EXPECT_NE(reply.json().find("error"), nullptr) << reply.body;
  }
  EXPECT_EQ(Get(port(), "/health").status, 200);
}

TEST_F(ServerTest, OversizedBodiesGet413WithoutBeingRead) {
  StartServer({.extra_args = {"--max_body_mb", "1"}, .env = {}, .chroot_dir = {}, .storage_dir = {}});
  // Declared too large: answered before any body byte is sent.
  {
    RawConnection conn(port());
    ASSERT_TRUE(conn.Send("POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5000000000\r\n\r\n"));
    auto reply = conn.ReadReply();
    ExpectJsonError(reply, 413, "payload_too_large");
    EXPECT_EQ(reply.header("connection").value_or(""), "close");
  }
  // Chunked, growing past the limit.
  {
    RawConnection conn(port());
    ASSERT_TRUE(conn.Send("POST /upload HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"));
    std::string chunk(64 * 1024, 'a');
    char size_line[32];
    std::snprintf(size_line, sizeof size_line, "%zx\r\n", chunk.size());
    for (int i = 0; i < 17; ++i) {
      if (!conn.Send(size_line + chunk + "\r\n")) break;  // the server may close early
    }
    ExpectJsonError(conn.ReadReply(), 413, "payload_too_large");
  }
  // Just under the limit is accepted (it reaches routing: 404 unknown path).
  {
    std::string body(1024 * 1024, 'b');
    ExpectJsonError(Fetch(port(), {"POST", "/upload", "localhost", {}, body}), 404, "not_found");
  }
  EXPECT_EQ(Get(port(), "/health").status, 200);
}

TEST_F(ServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  StartServer();
  RawConnection conn(port());
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(conn.Send(FormatRequest({"GET", "/health", "localhost", {}, {}}, true)));
    auto reply = conn.ReadReply();
    ASSERT_TRUE(reply.complete) << i;
    EXPECT_EQ(reply.status, 200);
  }
}

TEST_F(ServerTest, SixtyFourConcurrentClients) {
  StartServer();
  constexpr int kClients = 64;
  constexpr int kRequestsEach = 25;
  std::atomic<int> ok{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      RawConnection conn(port());
      for (int i = 0; i < kRequestsEach; ++i) {
        const char* path = (i + c) % 2 == 0 ? "/health" : "/missing";
        if (!conn.Send(FormatRequest({"GET", path, "localhost", {}, {}}, true))) { ++failed; return; }
        auto reply = conn.ReadReply();
        int expected = (i + c) % 2 == 0 ? 200 : 404;
        (reply.complete && reply.status == expected ? ok : failed)++;
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(ok.load(), kClients * kRequestsEach);
}

// ---------------------------------------------------------------- logging

TEST_F(ServerTest, JsonAccessLogHasOneLinePerRequest) {
  StartServer({.extra_args = {"--log_format", "json"}, .env = {}, .chroot_dir = {}, .storage_dir = {}});
  ASSERT_EQ(Get(port(), "/probe-path", "ma3ys3gw.localhost").status, 404);
  ASSERT_TRUE(server_->WaitForLog("/probe-path", 5s));
  int matching = 0;
  std::istringstream lines(server_->logs());
  for (std::string line; std::getline(lines, line);) {
    auto parsed = Json::Parse(line);
    ASSERT_TRUE(parsed.ok()) << "not JSON: " << line;
    const Json* path = parsed->find("path");
    if (path == nullptr || path->as_string() != "/probe-path") continue;
    ++matching;
    EXPECT_EQ(parsed->find("henv")->as_string(), "ma3ys3gw");
    EXPECT_EQ(parsed->find("method")->as_string(), "GET");
    EXPECT_EQ(parsed->find("status")->as_int(), 404);
    EXPECT_TRUE(parsed->find("duration_ms")->is_number());
    EXPECT_TRUE(parsed->find("user_id")->is_null());
    EXPECT_FALSE(parsed->find("timestamp")->as_string().empty());
    EXPECT_EQ(parsed->find("level")->as_string(), "info");
  }
  EXPECT_EQ(matching, 1);
}

// --------------------------------------------------------------- shutdown

TEST_F(ServerTest, SigtermLetsInFlightRequestsFinishThenExitsZero) {
  StartServer();
  constexpr int kSlow = 8;
  // Each slow client sends its headers and half its body, then waits.
  std::vector<RawConnection> slow;
  for (int i = 0; i < kSlow; ++i) {
    slow.emplace_back(port());
    ASSERT_TRUE(slow.back().Send(
        "POST /slow HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\nConnection: keep-alive\r\n\r\nhello"));
  }
  // Wait (bounded) until the server counts them in flight (+1: the probe).
  bool all_in_flight = false;
  for (int attempt = 0; attempt < 500 && !all_in_flight; ++attempt) {
    auto health = Get(port(), "/health");
    Json count = Field(health, "in_flight_requests");
    all_in_flight = count.is_int() && count.as_int() >= kSlow + 1;
    if (!all_in_flight) std::this_thread::sleep_for(10ms);
  }
  ASSERT_TRUE(all_in_flight);

  server_->Signal(SIGTERM);
  ASSERT_TRUE(server_->WaitForLog("draining", 5s)) << server_->logs();

  // New work is turned away while draining...
  auto turned_away = Get(port(), "/anything");
  ExpectJsonError(turned_away, 503, "shutting_down");
  EXPECT_EQ(Field(Get(port(), "/health"), "status"), Json("draining"));

  // ...while every in-flight request completes normally.
  for (auto& conn : slow) ASSERT_TRUE(conn.Send("world"));
  for (auto& conn : slow) {
    auto reply = conn.ReadReply();
    ExpectJsonError(reply, 404, "not_found");
    EXPECT_EQ(reply.header("connection").value_or(""), "close");
  }
  auto code = server_->WaitExit(15s);
  ASSERT_TRUE(code.has_value()) << "did not exit";
  EXPECT_EQ(*code, 0) << server_->logs();
}

TEST_F(ServerTest, SigintExitsZero) {
  StartServer();
  ASSERT_EQ(Get(port(), "/health").status, 200);
  server_->Signal(SIGINT);
  auto code = server_->WaitExit(15s);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0);
}

// ------------------------------------------------------------ the binary

#ifdef HBF_EXPECT_STATIC
TEST(Binary, IsStaticStrippedAndUnder20MB) {
  std::ifstream file(HbfBinary(), std::ios::binary);
  ASSERT_TRUE(file.good());
  std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  EXPECT_LT(bytes.size(), 20u * 1000 * 1000);
  ASSERT_GE(bytes.size(), sizeof(Elf64_Ehdr));
  Elf64_Ehdr header;
  std::memcpy(&header, bytes.data(), sizeof header);
  ASSERT_EQ(std::memcmp(header.e_ident, ELFMAG, SELFMAG), 0);
  bool has_interpreter = false;
  bool has_dynamic = false;
  for (int i = 0; i < header.e_phnum; ++i) {
    Elf64_Phdr ph;
    std::memcpy(&ph, bytes.data() + header.e_phoff + static_cast<size_t>(i) * header.e_phentsize, sizeof ph);
    has_interpreter |= ph.p_type == PT_INTERP;
    has_dynamic |= ph.p_type == PT_DYNAMIC;
  }
  EXPECT_FALSE(has_interpreter) << "needs a dynamic loader";
  EXPECT_FALSE(has_dynamic) << "has dynamic sections";
  bool has_symtab = false;
  for (int i = 0; i < header.e_shnum; ++i) {
    Elf64_Shdr sh;
    std::memcpy(&sh, bytes.data() + header.e_shoff + static_cast<size_t>(i) * header.e_shentsize, sizeof sh);
    has_symtab |= sh.sh_type == SHT_SYMTAB;
  }
  EXPECT_FALSE(has_symtab) << "not stripped";
}

TEST(Binary, ServesHealthFromAnEmptyChroot) {
  if (::geteuid() != 0) GTEST_SKIP() << "chroot needs root";
  TempDir root;
  std::filesystem::copy_file(HbfBinary(), root.path() + "/hbf");
  ::chmod((root.path() + "/hbf").c_str(), 0755);
  // The root holds nothing but the binary: no libc, no /etc, no /proc, no /dev.
  size_t entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(root.path())) ++entries;
  ASSERT_EQ(entries, 1u);

  HbfProcess server({.extra_args = {}, .env = {}, .chroot_dir = root.path(), .storage_dir = "/henvs"});
  ASSERT_TRUE(server.Start()) << server.logs();
  auto reply = Get(server.port(), "/health");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(Field(reply, "status"), Json("ok"));
  EXPECT_TRUE(Field(reply, "memory_mb").is_number());
  EXPECT_TRUE(std::filesystem::is_directory(root.path() + "/henvs"));
  server.Signal(SIGTERM);
  EXPECT_EQ(server.WaitExit(15s).value_or(-1), 0);
}
#endif

}  // namespace
}  // namespace hbf::test
