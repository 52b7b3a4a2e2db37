// The apps under examples/ work as their READMEs say: each is installed
// with its own install.sh (curl against the real hbf) and driven as a
// browser would, so an example that rots fails here.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <thread>

#include "blackbox/henv_fixture.h"
#include "core/json.h"
#include "support/sse_client.h"

namespace hbf::test {
namespace {

using namespace std::chrono_literals;

// Runs `command` through sh (bounded by timeout(1)); its exit code and output.
std::pair<int, std::string> Shell(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen(("timeout 60 " + command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return {-1, "popen failed"};
  char buf[4096];
  while (size_t n = std::fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
  const int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

class LiveFeedExampleTest : public OneHenvTest {
 protected:
  std::string AddUser(const std::string& name) { return AddUserAndLogin(port(), host_, token_, name); }
  HttpReply As(const std::string& token, const std::string& method, const std::string& path, const std::string& body) {
    return Fetch(port(), {method, path, host_, {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}}, body});
  }
};

TEST_F(LiveFeedExampleTest, InstallsAndPushesFilesAndStagedProgress) {
  const std::string site = "http://" + host_ + ":" + std::to_string(port());
  auto [code, out] = Shell("sh " HBF_SOURCE_DIR "/examples/live-feed/install.sh " + site + " onehenv '" +
                           std::string(kTestPassword) + "'");
  ASSERT_EQ(code, 0) << out << server_->logs();
  EXPECT_EQ(Get("/").status, 200);  // the page itself
  const std::string alice = AddUser("alice");
  const std::string bob = AddUser("bob");

  SseClient feed(port(), host_, "/_api/realtime?tables=files,jobs", {{"Authorization", "Bearer " + alice}});
  ASSERT_EQ(feed.status(), 200) << feed.error_body();
  ASSERT_TRUE(feed.Next().has_value());  // ready

  ASSERT_EQ(As(bob, "POST", "/files", R"({"name":"bob.txt","size":1})").status, 201);
  ASSERT_EQ(As(alice, "POST", "/files", R"({"name":"alice.txt","size":2})").status, 201);
  auto first = feed.Next();
  ASSERT_TRUE(first.has_value());
  auto file = Json::Parse(first->data);
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(file->find("row")->find("name")->as_string(), "alice.txt") << "bob's file is not alice's news";

  // The job answers when done; its stages arrive while it runs.
  HttpReply job;
  std::thread provision([&] { job = As(alice, "POST", "/jobs", R"({"name":"web-1"})"); });
  std::vector<std::string> stages;
  while (stages.empty() || stages.back() != "ready") {
    auto e = feed.Next(10s);
    if (!e) break;
    auto parsed = Json::Parse(e->data);
    if (!parsed.ok() || parsed->find("table") == nullptr || parsed->find("table")->as_string() != "jobs") continue;
    stages.push_back(parsed->find("row")->find("stage")->as_string());
  }
  provision.join();
  EXPECT_EQ(job.status, 201) << job.body;
  EXPECT_EQ(stages, (std::vector<std::string>{"queued", "allocating", "installing", "configuring", "ready"}));
}

}  // namespace
}  // namespace hbf::test
