// Specification of henv snapshots (src/lifecycle): a snapshot is a complete,
// checked copy; restoring it replaces the live data in place while another
// connection keeps using the file; bad files are refused before anything
// changes; backup --all keeps the newest N per henv by an injected clock.
#include "lifecycle/snapshot.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "henv/henv_manager.h"
#include "henv/schema.h"
#include "lifecycle/backup_all.h"
#include "storage_test_util.h"

namespace hbf {
namespace {

using testing_storage::Describe;
using testing_storage::IsError;
using testing_storage::TempDir;

constexpr const char* kHash = "abcd1234";

Status Seed(db::Database& db) {
  if (auto s = db.Exec("INSERT INTO _hbf_users (username, password_hash, role) VALUES ('alice', 'x', 'owner')");
      !s.ok()) {
    return s;
  }
  return db.Exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)");
}

int64_t CountNotes(Henv& henv) {
  return henv.WithDb([](db::Database& db) -> int64_t {
    auto v = db.QueryValue("SELECT count(*) FROM notes");
    return v.ok() && v->has_value() ? std::get<int64_t>(**v) : -1;
  });
}

void AddNote(Henv& henv, const std::string& body) {
  henv.WithDb([&](db::Database& db) {
    auto stmt = db.Prepare("INSERT INTO notes (body) VALUES (?)");
    ASSERT_TRUE(stmt.ok());
    stmt->Bind(1, body);
    ASSERT_TRUE(stmt->Run().ok());
  });
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

class SnapshotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HenvManagerOptions options;
    options.storage_dir = dir_.path();
    options.start_janitor = false;
    manager_ = std::make_unique<HenvManager>(options);
    auto created = manager_->Create(kHash, Seed);
    ASSERT_TRUE(created.ok()) << Describe(created);
    henv_ = *created;
  }
  std::string Live() const { return manager_->DatabasePath(kHash); }

  TempDir dir_;
  TempDir out_;
  std::unique_ptr<HenvManager> manager_;
  std::shared_ptr<Henv> henv_;
};

TEST_F(SnapshotTest, ASnapshotIsOneCheckedFileStampedWithItsHenv) {
  AddNote(*henv_, "one");
  const std::string file = out_.File("snap.db");
  ASSERT_TRUE(lifecycle::WriteSnapshot(Live(), kHash, file).ok());
  EXPECT_FALSE(testing_storage::PathExists(file + "-wal"));
  EXPECT_FALSE(testing_storage::PathExists(file + ".partial"));
  EXPECT_EQ(testing_storage::ModeOf(file), 0600);
  auto info = lifecycle::CheckSnapshot(file, {});
  ASSERT_TRUE(info.ok()) << Describe(info);
  EXPECT_EQ(info->henv_hash, kHash);
  EXPECT_EQ(info->owner, "alice");
  EXPECT_EQ(info->schema_version, kLatestSchemaVersion);
}

TEST_F(SnapshotTest, RestoreReplacesTheDataUnderAnOpenConnection) {
  AddNote(*henv_, "kept");
  const std::string file = out_.File("snap.db");
  ASSERT_TRUE(lifecycle::WriteSnapshot(Live(), kHash, file).ok());
  AddNote(*henv_, "after the snapshot");
  AddNote(*henv_, "after the snapshot too");
  ASSERT_EQ(CountNotes(*henv_), 3);
  const int64_t version_before = henv_->code_version();

  lifecycle::PlaceOptions options;
  options.storage_dir = dir_.path();
  options.hash = kHash;
  options.replace = true;
  auto placed = lifecycle::PlaceSnapshot(file, options);
  ASSERT_TRUE(placed.ok()) << Describe(placed);
  // The connection opened before the restore sees the restored data.
  EXPECT_EQ(CountNotes(*henv_), 1);
  henv_->RefreshCodeVersion();
  EXPECT_GT(henv_->code_version(), version_before);
  // The source file is untouched and no scratch file is left behind.
  EXPECT_TRUE(lifecycle::CheckSnapshot(file, {}).ok());
  for (const auto& name : testing_storage::DirEntries(dir_.path())) EXPECT_EQ(name.find(".hbf-scratch"), std::string::npos) << name;
}

TEST_F(SnapshotTest, ASnapshotTakenWhileAWriterRunsHoldsEveryCommittedWrite) {
  std::atomic<int> committed{0};
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    HenvManagerOptions options;
    options.storage_dir = dir_.path();
    options.start_janitor = false;
    HenvManager other(options);  // another connection, as a server would have
    auto henv = other.Open(kHash);
    ASSERT_TRUE(henv.ok());
    while (!stop) {
      AddNote(**henv, "w" + std::to_string(committed.load()));
      committed.fetch_add(1);
    }
  });
  while (committed.load() < 50) std::this_thread::yield();
  const int before = committed.load();
  const std::string file = out_.File("snap.db");
  auto written = lifecycle::WriteSnapshot(Live(), kHash, file);
  stop = true;
  writer.join();
  ASSERT_TRUE(written.ok()) << Describe(written);
  auto db = db::Database::Open(file);
  ASSERT_TRUE(db.ok());
  auto count = db->QueryValue("SELECT count(*) FROM notes");
  ASSERT_TRUE(count.ok());
  EXPECT_GE(std::get<int64_t>(**count), before);
  EXPECT_LE(std::get<int64_t>(**count), committed.load());
}

TEST_F(SnapshotTest, BadFilesAreRefusedWithAClearCode) {
  const std::string garbage = out_.File("garbage.db");
  WriteFile(garbage, std::string(8192, 'x'));
  EXPECT_TRUE(IsError(lifecycle::CheckSnapshot(garbage, {}), "invalid_snapshot", 400));

  const std::string plain = out_.File("plain.db");
  {
    auto db = db::Database::Open(plain);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(db->Exec("CREATE TABLE t (x)").ok());
  }
  EXPECT_TRUE(IsError(lifecycle::CheckSnapshot(plain, {}), "invalid_snapshot", 400));

  // A henv whose system schema was tampered with (a trigger over a sealed table).
  const std::string tampered = out_.File("tampered.db");
  ASSERT_TRUE(lifecycle::WriteSnapshot(Live(), kHash, tampered).ok());
  {
    auto db = db::Database::Open(tampered);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(db->Exec("CREATE TRIGGER spy AFTER INSERT ON _hbf_sessions BEGIN SELECT 1; END").ok());
  }
  EXPECT_TRUE(IsError(lifecycle::CheckSnapshot(tampered, {}), "invalid_snapshot", 400));

  // A truncated snapshot fails the integrity check (or is no database at all).
  const std::string good = out_.File("good.db");
  for (int i = 0; i < 200; ++i) AddNote(*henv_, std::string(500, 'n'));
  ASSERT_TRUE(lifecycle::WriteSnapshot(Live(), kHash, good).ok());
  std::string bytes = testing_storage::ReadFileBytes(good);
  const std::string cut = out_.File("cut.db");
  WriteFile(cut, bytes.substr(0, bytes.size() / 2));
  auto checked = lifecycle::CheckSnapshot(cut, {});
  ASSERT_FALSE(checked.ok());
  EXPECT_TRUE(checked.error().code == "snapshot_corrupt" || checked.error().code == "invalid_snapshot")
      << Describe(checked);
  EXPECT_EQ(checked.error().http_status, 400);

  // Another henv's snapshot is refused for this one.
  lifecycle::CheckOptions other;
  other.expected_hash = "zzzz9999";
  EXPECT_TRUE(IsError(lifecycle::CheckSnapshot(good, other), "henv_mismatch", 400));

  // Nothing was changed by the refusals.
  lifecycle::PlaceOptions options;
  options.storage_dir = dir_.path();
  options.hash = kHash;
  options.replace = true;
  const int64_t notes = CountNotes(*henv_);
  EXPECT_FALSE(lifecycle::PlaceSnapshot(garbage, options).ok());
  EXPECT_FALSE(lifecycle::PlaceSnapshot(tampered, options).ok());
  EXPECT_EQ(CountNotes(*henv_), notes);
}

TEST_F(SnapshotTest, ImportMakesANewHenvAndRefusesToOverwriteUnlessAsked) {
  const std::string file = out_.File("snap.db");
  ASSERT_TRUE(lifecycle::WriteSnapshot(Live(), kHash, file).ok());
  TempDir elsewhere;
  lifecycle::PlaceOptions options;
  options.storage_dir = elsewhere.path();
  options.create = true;  // hash taken from the snapshot's stamp
  auto imported = lifecycle::PlaceSnapshot(file, options);
  ASSERT_TRUE(imported.ok()) << Describe(imported);
  EXPECT_EQ(imported->henv_hash, kHash);
  EXPECT_TRUE(testing_storage::PathExists(elsewhere.path() + "/" + kHash + "/index.db"));
  EXPECT_EQ(testing_storage::ModeOf(elsewhere.path() + "/" + kHash), 0700);
  EXPECT_TRUE(IsError(lifecycle::PlaceSnapshot(file, options), "henv_exists", 409));
  options.replace = true;
  EXPECT_TRUE(lifecycle::PlaceSnapshot(file, options).ok());
}

TEST_F(SnapshotTest, BackupAllKeepsTheNewestNPerHenv) {
  ASSERT_TRUE(manager_->Create("zzzz9999", Seed).ok());
  int64_t now = 1'780'000'000'000;
  lifecycle::BackupAllOptions options;
  options.storage_dir = dir_.path();
  options.to = out_.File("backups");
  options.keep = 2;
  options.now_ms = [&] { return now; };
  for (int run = 0; run < 4; ++run) {
    auto report = lifecycle::BackupAll(options);
    ASSERT_TRUE(report.ok()) << Describe(report);
    EXPECT_EQ(report->written.size(), 2u);
    EXPECT_TRUE(report->failed.empty());
    now += 60'000;
  }
  for (const std::string hash : {kHash, "zzzz9999"}) {
    auto names = testing_storage::DirEntries(options.to + "/" + hash);
    ASSERT_EQ(names.size(), 2u) << hash;
    // The two newest: runs 3 and 4.
    EXPECT_NE(std::find(names.begin(), names.end(), lifecycle::SnapshotFileName(hash, now - 60'000)), names.end());
    EXPECT_NE(std::find(names.begin(), names.end(), lifecycle::SnapshotFileName(hash, now - 120'000)), names.end());
  }
}

}  // namespace
}  // namespace hbf
