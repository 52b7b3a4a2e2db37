// Specification of the inactivity sweep (src/lifecycle/sweep.h) and its
// outbox: a clock set forward warns, then trashes, then purges; a dry run
// changes nothing; a relay that is down keeps the warning queued until it
// is back.
#include "lifecycle/sweep.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "henv/henv_manager.h"
#include "lifecycle/outbox.h"
#include "lifecycle/smtp_client.h"
#include "storage_test_util.h"
#include "support/smtp_sink.h"

namespace hbf {
namespace {

using testing_storage::Describe;
using testing_storage::IsError;
using testing_storage::PathExists;
using testing_storage::TempDir;

constexpr const char* kHash = "abcd1234";
constexpr int64_t kDay = 86400;
constexpr int64_t kStart = 1'780'000'000;  // the henv's last activity

Status Seed(db::Database& db) {
  if (auto s = db.Exec("INSERT INTO _hbf_users (username, password_hash, role, email, created_at) "
                       "VALUES ('alice', 'x', 'owner', 'alice@example.com', 1780000000)");
      !s.ok()) {
    return s;
  }
  return db.Exec("UPDATE _hbf_config SET value = '1780000000' WHERE key = 'last_activity_ts'");
}

class SweepTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HenvManagerOptions options;
    options.storage_dir = dir_.path();
    options.start_janitor = false;
    HenvManager manager(options);
    ASSERT_TRUE(manager.Create(kHash, Seed).ok());
    manager.CloseAll();
    auto outbox = lifecycle::Outbox::Open(dir_.path());
    ASSERT_TRUE(outbox.ok()) << Describe(outbox);
    outbox_.emplace(std::move(*outbox));
  }

  Result<std::vector<lifecycle::SweepAction>> SweepAt(int64_t now, bool dry_run = false) {
    lifecycle::SweepOptions options;
    options.storage_dir = dir_.path();
    options.now_unix = now;
    options.dry_run = dry_run;
    options.on_trashed = [this](const std::string& hash) { trashed_.push_back(hash); };
    return lifecycle::Sweep(options, &*outbox_);
  }
  std::string Live() const { return dir_.path() + "/" + kHash + "/index.db"; }

  TempDir dir_;
  std::optional<lifecycle::Outbox> outbox_;
  std::vector<std::string> trashed_;
};

TEST_F(SweepTest, AnActiveHenvIsLeftAlone) {
  auto actions = SweepAt(kStart + 29 * kDay);
  ASSERT_TRUE(actions.ok()) << Describe(actions);
  EXPECT_TRUE(actions->empty());
  EXPECT_EQ(outbox_->PendingCount().value(), 0);
}

TEST_F(SweepTest, ADryRunSaysWhatItWouldDoAndChangesNothing) {
  auto warn = SweepAt(kStart + 31 * kDay, /*dry_run=*/true);
  ASSERT_TRUE(warn.ok()) << Describe(warn);
  ASSERT_EQ(warn->size(), 1u);
  EXPECT_EQ((*warn)[0].hash, kHash);
  EXPECT_EQ((*warn)[0].action, "warn");
  auto del = SweepAt(kStart + 61 * kDay, /*dry_run=*/true);
  ASSERT_TRUE(del.ok());
  ASSERT_EQ(del->size(), 1u);
  EXPECT_EQ((*del)[0].action, "delete");
  EXPECT_EQ(outbox_->PendingCount().value(), 0);
  EXPECT_TRUE(PathExists(Live()));
  EXPECT_FALSE(PathExists(dir_.path() + "/.trash"));
  EXPECT_TRUE(trashed_.empty());
}

TEST_F(SweepTest, WarnsOncePerIdleSpellThenTrashesThenPurges) {
  auto warn = SweepAt(kStart + 31 * kDay);
  ASSERT_TRUE(warn.ok()) << Describe(warn);
  ASSERT_EQ(warn->size(), 1u);
  EXPECT_EQ((*warn)[0].action, "warn");
  EXPECT_EQ(outbox_->PendingCount(kHash).value(), 1);
  // The next day: already warned for this spell.
  auto again = SweepAt(kStart + 32 * kDay);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->empty());
  EXPECT_EQ(outbox_->PendingCount(kHash).value(), 1);

  auto trash = SweepAt(kStart + 60 * kDay);
  ASSERT_TRUE(trash.ok()) << Describe(trash);
  ASSERT_EQ(trash->size(), 1u);
  EXPECT_EQ((*trash)[0].action, "delete");
  EXPECT_FALSE(PathExists(Live()));
  EXPECT_EQ(trashed_, std::vector<std::string>{kHash});
  const std::string trashed = dir_.path() + "/.trash/" + kHash + "." + std::to_string(kStart + 60 * kDay);
  ASSERT_TRUE(PathExists(trashed + "/index.db"));
  // Audited in the henv itself, so the record travels with it.
  {
    auto db = db::Database::Open(trashed + "/index.db");
    ASSERT_TRUE(db.ok());
    auto actions = db->QueryTexts("SELECT action FROM _hbf_audit_log ORDER BY id");
    ASSERT_TRUE(actions.ok());
    EXPECT_EQ(*actions, (std::vector<std::string>{"henv.inactive_warning", "henv.trashed"}));
  }

  // Untrash brings it back; a second untrash finds nothing.
  ASSERT_TRUE(lifecycle::Untrash(dir_.path(), kHash).ok());
  EXPECT_TRUE(PathExists(Live()));
  EXPECT_TRUE(IsError(lifecycle::Untrash(dir_.path(), kHash), "not_in_trash", 404));

  // Trashed again, and purged once --trash_days have passed.
  ASSERT_TRUE(SweepAt(kStart + 70 * kDay).ok());
  EXPECT_FALSE(PathExists(Live()));
  auto early = SweepAt(kStart + 70 * kDay + 29 * kDay);
  ASSERT_TRUE(early.ok());
  EXPECT_TRUE(early->empty());
  auto purge = SweepAt(kStart + 70 * kDay + 30 * kDay);
  ASSERT_TRUE(purge.ok());
  ASSERT_EQ(purge->size(), 1u);
  EXPECT_EQ((*purge)[0].action, "purge");
  EXPECT_TRUE(testing_storage::DirEntries(dir_.path() + "/.trash").empty());
}

TEST_F(SweepTest, ARelayThatIsDownKeepsTheWarningQueuedUntilItIsBack) {
  ASSERT_TRUE(SweepAt(kStart + 31 * kDay).ok());
  int64_t now = kStart + 31 * kDay;
  // Nothing listens on this port: the relay is down.
  auto down_target = lifecycle::ParseSmtpUrl("smtp://127.0.0.1:1");
  ASSERT_TRUE(down_target.ok());
  auto down = outbox_->Deliver(now, [&](const lifecycle::MailMessage& m) { return lifecycle::SendMail(*down_target, m); });
  ASSERT_TRUE(down.ok()) << Describe(down);
  EXPECT_EQ(down->failed, 1);
  EXPECT_EQ(down->pending, 1);
  // Not due again until its retry time.
  test::SmtpSink sink;
  auto target = lifecycle::ParseSmtpUrl(sink.url());
  ASSERT_TRUE(target.ok());
  auto send = [&](const lifecycle::MailMessage& m) { return lifecycle::SendMail(*target, m); };
  auto early = outbox_->Deliver(now + 1, send);
  ASSERT_TRUE(early.ok());
  EXPECT_EQ(early->sent, 0);
  auto later = outbox_->Deliver(now + 3600, send);
  ASSERT_TRUE(later.ok()) << Describe(later);
  EXPECT_EQ(later->sent, 1);
  EXPECT_EQ(later->pending, 0);
  auto messages = sink.messages();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].to, "alice@example.com");
  EXPECT_NE(messages[0].data.find("Subject: Your app abcd1234"), std::string::npos) << messages[0].data;
  EXPECT_NE(messages[0].data.find("31 days"), std::string::npos) << messages[0].data;
}

TEST(SmtpUrlTest, OnlyNumericHostsAreAccepted) {
  EXPECT_TRUE(lifecycle::ParseSmtpUrl("smtp://127.0.0.1:2525").ok());
  EXPECT_TRUE(lifecycle::ParseSmtpUrl("smtp://[::1]:25").ok());
  EXPECT_EQ(lifecycle::ParseSmtpUrl("smtp://localhost")->host, "127.0.0.1");
  EXPECT_FALSE(lifecycle::ParseSmtpUrl("smtp://mail.example.com:25").ok());
  EXPECT_FALSE(lifecycle::ParseSmtpUrl("http://127.0.0.1:25").ok());
  EXPECT_FALSE(lifecycle::ParseSmtpUrl("smtp://127.0.0.1:99999").ok());
}

}  // namespace
}  // namespace hbf
