// A fixture for black-box tests that need one henv: starts hbf (with --dev),
// creates a henv with its owner logged in, and offers document/API helpers.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "support/hbf_process.h"
#include "support/http_client.h"

namespace hbf::test {

// Adds plain user `name` (password `name + " long password"`) to the henv at
// `host` as its owner (`owner_token`) and logs it in: its bearer token, ""
// when the login failed (the creation is EXPECTed to answer 201).
inline std::string AddUserAndLogin(uint16_t port, const std::string& host, const std::string& owner_token,
                                   const std::string& name) {
  const std::string credentials =
      Json::MakeObject({{"username", name}, {"password", name + " long password"}}).dump();
  auto created = Fetch(port, {"POST", "/_api/users", host,
                              {{"Authorization", "Bearer " + owner_token}, {"Content-Type", "application/json"}},
                              credentials});
  EXPECT_EQ(created.status, 201) << created.body;
  auto login = Fetch(port, {"POST", "/login", host, {{"Content-Type", "application/json"}}, credentials});
  const Json* token = login.json().find("token");
  return token != nullptr && token->is_string() ? token->as_string() : std::string();
}

// Starts hbf with --dev and the given flags (Start) and makes henvs with
// their owner logged in (MakeHenv), for suites that need several of either.
class DevServerTest : public ::testing::Test {
 protected:
  void Start(std::vector<std::string> args = {}) {
    args.insert(args.begin(), "--dev");
    server_ = std::make_unique<HbfProcess>(HbfProcess::Options{std::move(args), {}, {}, {}});
    ASSERT_TRUE(server_->Start()) << server_->logs();
  }
  uint16_t port() const { return server_->port(); }

  TestHenv MakeHenv(const std::string& name) {
    TestHenv henv = CreateHenvAndLogin(port(), name);
    EXPECT_FALSE(henv.token.empty()) << server_->logs();
    return henv;
  }

  std::unique_ptr<HbfProcess> server_;
};

class OneHenvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<HbfProcess>(HbfProcess::Options{{"--dev"}, {}, {}, {}});
    ASSERT_TRUE(server_->Start()) << server_->logs();
    TestHenv henv = CreateHenvAndLogin(port(), "onehenv");
    ASSERT_FALSE(henv.token.empty()) << server_->logs();
    hash_ = henv.hash;
    host_ = henv.host;
    token_ = henv.token;
  }

  uint16_t port() const { return server_->port(); }

  // Creates or replaces document `id` through the documents API.
  void Put(const std::string& id, const std::string& content, const std::string& type = "text/javascript") {
    auto r = Fetch(port(), {"PUT", "/_api/documents/" + id, host_,
                            {{"Authorization", "Bearer " + token_}, {"Content-Type", type}}, content});
    ASSERT_TRUE(r.status == 200 || r.status == 201) << id << ": " << r.body;
  }

  // An anonymous GET on the henv's site.
  HttpReply Get(const std::string& path) { return Fetch(port(), {"GET", path, host_, {}, {}}); }

  // A JSON request as the owner.
  HttpReply Api(const std::string& method, const std::string& path, const std::string& body = {}) {
    return Fetch(port(), {method, path, host_,
                          {{"Authorization", "Bearer " + token_}, {"Content-Type", "application/json"}}, body});
  }

  std::unique_ptr<HbfProcess> server_;
  std::string hash_;
  std::string host_;
  std::string token_;
};

}  // namespace hbf::test
