// Black-box specification of the henv lifecycle commands and endpoints:
// hbf backup / restore / henv export / henv import against a running
// server, POST /_api/backup and /_api/restore.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "db/database.h"
#include "henv_fixture.h"
#include "support/hbf_process.h"
#include "support/http_client.h"

namespace hbf::test {
namespace {

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

class LifecycleTest : public OneHenvTest {
 protected:
  HttpReply PutDoc(const std::string& id, const std::string& body) {
    return Fetch(port(), {"PUT", "/_api/documents/" + id, host_,
                          {{"Authorization", "Bearer " + token_}, {"Content-Type", "text/plain"}}, body});
  }
  int DocStatus(const std::string& id) {
    return Fetch(port(), {"GET", "/_api/documents/" + id, host_, {{"Authorization", "Bearer " + token_}}, {}}).status;
  }
  std::string Storage() const { return server_->storage_dir(); }
  std::string Out(const std::string& name) const { return out_.path() + "/" + name; }

  TempDir out_;  // snapshots and folders the commands write
};

// A writer keeps writing documents; a backup is taken by the CLI meanwhile,
// then restored by the CLI while the writer still runs. Every write
// acknowledged before the backup began is there afterwards, and the server
// answered every request.
TEST_F(LifecycleTest, RestoreWhileAWriterRunsKeepsEveryAcknowledgedWrite) {
  std::mutex mu;
  std::condition_variable progressed;
  int acknowledged = 0;           // guarded by mu: writes 0..acknowledged-1 answered 2xx
  std::vector<int> failures;      // guarded by mu: statuses other than 2xx
  std::atomic<bool> stop{false};
  // Stops and joins the writer however the test ends.
  struct Joiner {
    std::atomic<bool>& stop;
    std::thread& thread;
    ~Joiner() {
      stop = true;
      if (thread.joinable()) thread.join();
    }
  };
  std::thread writer;
  Joiner joiner{stop, writer};
  writer = std::thread([&] {
    for (int i = 0; !stop; ++i) {
      auto r = PutDoc("w/" + std::to_string(i), "write " + std::to_string(i));
      std::lock_guard lock(mu);
      if (r.status == 200 || r.status == 201) {
        acknowledged = i + 1;
      } else {
        failures.push_back(r.status);
      }
      progressed.notify_all();
    }
  });
  auto wait_for = [&](int n) {
    std::unique_lock lock(mu);
    return progressed.wait_for(lock, std::chrono::seconds(60), [&] { return acknowledged >= n || !failures.empty(); });
  };
  ASSERT_TRUE(wait_for(20));
  int before_backup = 0;
  {
    std::lock_guard lock(mu);
    before_backup = acknowledged;
  }
  const std::string snapshot = Out("snap.db");
  auto backup = RunHbf({"backup", "--henv", hash_, "--storage_dir", Storage(), "--to", snapshot});
  ASSERT_EQ(backup.exit_code, 0) << backup.err;
  ASSERT_TRUE(wait_for(before_backup + 20));  // the server kept writing during and after the backup
  auto restore = RunHbf({"restore", "--henv", hash_, "--storage_dir", Storage(), snapshot}, {}, std::chrono::seconds(60));
  ASSERT_EQ(restore.exit_code, 0) << restore.err;
  int after_restore = 0;
  {
    std::lock_guard lock(mu);
    after_restore = acknowledged;
  }
  ASSERT_TRUE(wait_for(after_restore + 10));  // and goes on answering after the restore
  stop = true;
  writer.join();
  {
    std::lock_guard lock(mu);
    EXPECT_TRUE(failures.empty()) << "first failure: " << failures.front();
  }
  for (int i = 0; i < before_backup; ++i) EXPECT_EQ(DocStatus("w/" + std::to_string(i)), 200) << i;
  // The owner's session predates the snapshot: still valid.
  EXPECT_EQ(Api("GET", "/_api/me").status, 200);
}

TEST_F(LifecycleTest, OwnerDownloadsASnapshotAndRestoresIt) {
  PutDoc("notes/kept", "kept");
  auto backup = Api("POST", "/_api/backup");
  ASSERT_EQ(backup.status, 200) << backup.body;
  EXPECT_EQ(backup.header("content-type").value_or(""), "application/vnd.sqlite3");
  EXPECT_NE(backup.header("content-disposition").value_or("").find("attachment; filename=\"" + hash_ + "-"), std::string::npos);
  EXPECT_EQ(backup.body.rfind("SQLite format 3", 0), 0u);

  PutDoc("notes/later", "written after the backup");
  ASSERT_EQ(DocStatus("notes/later"), 200);
  auto restored = Fetch(port(), {"POST", "/_api/restore", host_,
                                 {{"Authorization", "Bearer " + token_}, {"Content-Type", "application/vnd.sqlite3"}},
                                 backup.body});
  ASSERT_EQ(restored.status, 200) << restored.body;
  EXPECT_EQ(DocStatus("notes/kept"), 200);
  EXPECT_EQ(DocStatus("notes/later"), 404);
  EXPECT_EQ(Api("GET", "/_api/me").status, 200);  // the session is in the snapshot
  // The restore is in the (restored) audit log.
  auto audit = Api("GET", "/_api/audit");
  EXPECT_NE(audit.body.find("henv.restore"), std::string::npos) << audit.body;
}

TEST_F(LifecycleTest, BadSnapshotsAreRefusedAndChangeNothing) {
  PutDoc("notes/kept", "kept");
  auto post = [&](const std::string& body) {
    return Fetch(port(), {"POST", "/_api/restore", host_,
                          {{"Authorization", "Bearer " + token_}, {"Content-Type", "application/octet-stream"}}, body});
  };
  auto garbage = post(std::string(4096, 'g'));
  EXPECT_EQ(garbage.status, 400);
  EXPECT_NE(garbage.body.find("\"invalid_snapshot\""), std::string::npos) << garbage.body;
  auto empty = post("");
  EXPECT_EQ(empty.status, 400);
  auto backup = Api("POST", "/_api/backup");
  ASSERT_EQ(backup.status, 200);
  auto cut = post(backup.body.substr(0, backup.body.size() / 2));
  EXPECT_EQ(cut.status, 400) << cut.body;
  EXPECT_EQ(DocStatus("notes/kept"), 200);
  // Nothing is left behind in the henv's folder.
  for (const auto& entry : std::filesystem::directory_iterator(Storage() + "/" + hash_)) {
    EXPECT_EQ(entry.path().filename().string().find(".hbf-scratch"), std::string::npos) << entry.path();
  }
  // The CLI refuses the same way.
  const std::string file = Out("garbage.db");
  WriteFile(file, std::string(4096, 'g'));
  auto cli = RunHbf({"restore", "--henv", hash_, "--storage_dir", Storage(), file});
  EXPECT_EQ(cli.exit_code, 1);
  EXPECT_NE(cli.err.find("invalid_snapshot"), std::string::npos) << cli.err;
}

TEST_F(LifecycleTest, OnlyTheOwnerMayBackUpOrRestore) {
  auto anonymous = Fetch(port(), {"POST", "/_api/backup", host_, {}, {}});
  EXPECT_EQ(anonymous.status, 401);
  auto get = Api("GET", "/_api/backup");
  EXPECT_EQ(get.status, 405);
}

TEST_F(LifecycleTest, BackupAllKeepsTheNewestN) {
  TestHenv second = CreateHenvAndLogin(port(), "secondhenv");
  ASSERT_FALSE(second.hash.empty());
  const std::string folder = Out("backups");
  for (int run = 0; run < 3; ++run) {
    auto r = RunHbf({"backup", "--all", "--storage_dir", Storage(), "--to", folder, "--keep", "2"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  for (const std::string& hash : {hash_, second.hash}) {
    int files = 0;
    for (const auto& entry : std::filesystem::directory_iterator(folder + "/" + hash)) {
      EXPECT_EQ(entry.path().filename().string().rfind(hash + "-", 0), 0u);
      ++files;
    }
    EXPECT_EQ(files, 2) << hash;
  }
}

// Moving a henv: exported from one server's storage while it serves, imported
// into another's; a session token made before the export works there.
TEST_F(LifecycleTest, ExportImportRoundTripKeepsSessions) {
  PutDoc("notes/moved", "moved");
  auto exported = RunHbf({"henv", "export", hash_, "--storage_dir", Storage()});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  ASSERT_EQ(exported.out.rfind("SQLite format 3", 0), 0u);
  TempDir other_storage;
  const std::string file = Out("export.db");
  WriteFile(file, exported.out);

  auto imported = RunHbf({"henv", "import", file, "--storage_dir", other_storage.path()});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  EXPECT_NE(imported.out.find(hash_), std::string::npos);
  // A second import without --replace is refused; with it, it replaces.
  auto again = RunHbf({"henv", "import", file, "--storage_dir", other_storage.path()});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("henv_exists"), std::string::npos) << again.err;
  auto replaced = RunHbf({"henv", "import", file, "--storage_dir", other_storage.path(), "--replace"});
  EXPECT_EQ(replaced.exit_code, 0) << replaced.err;

  HbfProcess other(HbfProcess::Options{{"--dev"}, {}, {}, other_storage.path()});
  ASSERT_TRUE(other.Start()) << other.logs();
  auto me = Fetch(other.port(), {"GET", "/_api/me", host_, {{"Authorization", "Bearer " + token_}}, {}});
  EXPECT_EQ(me.status, 200) << me.body;
  auto doc = Fetch(other.port(), {"GET", "/_api/documents/notes/moved", host_, {{"Authorization", "Bearer " + token_}}, {}});
  EXPECT_EQ(doc.status, 200);
  EXPECT_EQ(doc.body, "moved");
}

TEST_F(LifecycleTest, CommandsCheckTheirFlags) {
  EXPECT_EQ(RunHbf({"backup", "--storage_dir", Storage(), "--to", "x.db"}).exit_code, 2);  // no --henv
  EXPECT_EQ(RunHbf({"backup", "--henv", hash_, "--storage_dir", Storage()}).exit_code, 2);  // no --to
  EXPECT_EQ(RunHbf({"restore", "--storage_dir", Storage(), "x.db"}).exit_code, 2);
  EXPECT_EQ(RunHbf({"--to", "x", "--storage_dir", Storage()}).exit_code, 2);  // --to is not a server flag
  EXPECT_EQ(RunHbf({"henv", "export", hash_, "--storage_dir", Storage(), "--replace"}).exit_code, 2);
  auto missing = RunHbf({"backup", "--henv", "zzzz0000", "--storage_dir", Storage(), "--to", Out("x.db")});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("henv_not_found"), std::string::npos) << missing.err;
}

// Makes henv `hash` look idle for `days` (its last_activity_ts set back).
void SetIdleDays(const std::string& storage, const std::string& hash, int days) {
  auto db = db::Database::Open(storage + "/" + hash + "/index.db");
  ASSERT_TRUE(db.ok());
  const int64_t then = static_cast<int64_t>(::time(nullptr)) - int64_t{days} * 86400;
  ASSERT_TRUE(db->Exec("UPDATE _hbf_config SET value = '" + std::to_string(then) +
                       "' WHERE key = 'last_activity_ts'").ok());
}

// Polls (bounded) until `probe` returns true.
template <typename F>
bool Eventually(F probe) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < give_up) {
    if (probe()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

TEST_F(LifecycleTest, SweepWarnsTrashesAndUntrashes) {
  TestHenv idle = CreateHenvAndLogin(port(), "idlehenv");
  ASSERT_FALSE(idle.hash.empty());
  // Let the server's own activity stamps land first, then set the clock of
  // both henvs back (the server stamps at most once a minute per henv).
  SetIdleDays(Storage(), hash_, 45);
  SetIdleDays(Storage(), idle.hash, 61);

  auto dry = RunHbf({"sweep", "--dry-run", "--storage_dir", Storage()});
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_NE(dry.out.find(hash_ + " warn\n"), std::string::npos) << dry.out;
  EXPECT_NE(dry.out.find(idle.hash + " delete\n"), std::string::npos) << dry.out;
  EXPECT_FALSE(std::filesystem::exists(Storage() + "/.trash"));
  EXPECT_FALSE(std::filesystem::exists(Storage() + "/.lifecycle.db"));
  EXPECT_EQ(Fetch(port(), {"GET", "/_api/me", idle.host, {{"Authorization", "Bearer " + idle.token}}, {}}).status, 200);

  // The relay is down: the warning waits in the outbox.
  auto swept = RunHbf({"sweep", "--storage_dir", Storage(), "--smtp_url", "smtp://127.0.0.1:1"});
  ASSERT_EQ(swept.exit_code, 0) << swept.err;
  EXPECT_NE(swept.err.find("1 message(s) wait in the outbox"), std::string::npos) << swept.err;
  EXPECT_TRUE(std::filesystem::exists(Storage() + "/" + hash_ + "/index.db"));
  // The idle henv is in the trash and no longer served.
  EXPECT_TRUE(Eventually([&] {
    return Fetch(port(), {"GET", "/_api/me", idle.host, {{"Authorization", "Bearer " + idle.token}}, {}}).status == 404;
  }));
  // Untrashed, it is served again with its sessions.
  auto untrash = RunHbf({"henv", "untrash", idle.hash, "--storage_dir", Storage()});
  ASSERT_EQ(untrash.exit_code, 0) << untrash.err;
  EXPECT_EQ(Fetch(port(), {"GET", "/_api/me", idle.host, {{"Authorization", "Bearer " + idle.token}}, {}}).status, 200);
  // The sweep's actions are in the henvs' audit logs.
  auto audit = Api("GET", "/_api/audit");
  EXPECT_NE(audit.body.find("henv.inactive_warning"), std::string::npos) << audit.body;
}

}  // namespace
}  // namespace hbf::test
