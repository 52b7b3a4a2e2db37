// Specification of the SQLite adapter (src/db): connections, statements,
// values, errors and transactions.
#include "core/process_heap.h"
#include "db/database.h"
#include "db/documents_epoch.h"
#include "db/vfs.h"
#include "db/write_gate.h"

#include <gtest/gtest.h>
#include <sqlite3.h>  // (to hold the unix VFS's mutex, as another henv's open does)

#include <atomic>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <future>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include "storage_test_util.h"

namespace hbf::db {
namespace {

using testing_storage::Describe;
using testing_storage::IsError;
using testing_storage::PathExists;
using testing_storage::Scalar;
using testing_storage::ScalarInt;
using testing_storage::ScalarText;
using testing_storage::TempDir;

Database OpenOrDie(const std::string& path, const Database::Options& options = {}) {
  auto r = Database::Open(path, options);
  if (!r.ok()) {
    ADD_FAILURE() << "cannot open " << path << ": " << Describe(r);
    std::abort();
  }
  return std::move(r).value();
}

// ------------------------------------------------------------------ opening

TEST(DatabaseOpenTest, FileConnectionUsesWalNormalSynchronousAndForeignKeys) {
  TempDir dir;
  Database db = OpenOrDie(dir.File("a.db"));
  EXPECT_EQ(ScalarText(db, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(ScalarInt(db, "PRAGMA synchronous"), 1);  // NORMAL
  EXPECT_EQ(ScalarInt(db, "PRAGMA foreign_keys"), 1);
  EXPECT_EQ(db.path(), dir.File("a.db"));
}

// ------------------------------------------------------- the VFS's mutex

// SQLite's unix VFS holds one process-wide mutex while any file opens or
// closes (stat, inode walks) or makes its -shm, and its shared-memory
// barrier, run as each WAL read starts and each commit publishes, took that
// mutex too. hbf's VFS (db/vfs.h) leaves the barrier a fence: reads and
// commits on an open connection go on while the mutex is held elsewhere.
TEST(DatabaseVfsTest, ReadsAndCommitsDoNotWaitForTheUnixVfsMutex) {
  TempDir dir;
  Database db = OpenOrDie(dir.File("a.db"));
  ASSERT_TRUE(db.Exec("CREATE TABLE t(x); INSERT INTO t VALUES (1)").ok());
  ASSERT_STREQ(sqlite3_vfs_find(nullptr)->zName, kVfsName);
  sqlite3_mutex* vfs_mutex = sqlite3_mutex_alloc(SQLITE_MUTEX_STATIC_VFS1);
  ASSERT_NE(vfs_mutex, nullptr);
  sqlite3_mutex_enter(vfs_mutex);
  auto work = std::async(std::launch::async, [&db] {
    int64_t last = 0;
    for (int i = 0; i < 20; ++i) {
      if (!db.Exec("INSERT INTO t VALUES (1)").ok()) return int64_t{-1};
      last = ScalarInt(db, "SELECT count(*) FROM t");
    }
    return last;
  });
  // Bounded: before the VFS, the first read waited here for the mutex.
  const bool finished = work.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
  sqlite3_mutex_leave(vfs_mutex);
  EXPECT_TRUE(finished) << "a query waited for the unix VFS's mutex";
  EXPECT_EQ(work.get(), 21);
}

// SQLite's blocks are malloc's own, sized by the allocator (db/database.cpp's
// memory methods). With SQLite's built-in methods (Debian's build keeps an
// 8-byte size before each block) it reports the size asked, rounded to 8,
// which is not the block's: 100 bytes are reported as 104, in a 112-byte
// malloc whose block starts 8 bytes before the one SQLite hands out.
TEST(DatabaseHeapTest, SqlitesBlocksAreMallocsOwnWithoutASizeHeader) {
  TempDir dir;
  Database db = OpenOrDie(dir.File("a.db"));  // (the first open configures SQLite)
  for (int bytes : {1, 24, 100, 4104, 4360, 70000}) {
    void* block = sqlite3_malloc(bytes);
    ASSERT_NE(block, nullptr);
    EXPECT_EQ(static_cast<size_t>(sqlite3_msize(block)), HeapBlockSize(block)) << bytes << " bytes";
    EXPECT_GE(sqlite3_msize(block), static_cast<sqlite3_uint64>(bytes));
    block = sqlite3_realloc(block, bytes * 2);
    ASSERT_NE(block, nullptr);
    EXPECT_EQ(static_cast<size_t>(sqlite3_msize(block)), HeapBlockSize(block)) << bytes * 2 << " bytes";
    sqlite3_free(block);
  }
}

// The WAL's readers and writers on separate connections and threads still
// see whole transactions: every read of two rows moved between in one
// transaction finds their sum unchanged.
TEST(DatabaseVfsTest, ConnectionsOnThreadsSeeOnlyWholeTransactions) {
  TempDir dir;
  {
    Database db = OpenOrDie(dir.File("a.db"));
    ASSERT_TRUE(db.Exec("CREATE TABLE acct(id INTEGER PRIMARY KEY, v INTEGER NOT NULL);"
                        "INSERT INTO acct VALUES (1, 1000), (2, 1000)").ok());
  }
  std::atomic<int> torn{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      Database db = OpenOrDie(dir.File("a.db"));
      for (int i = 0; i < 200; ++i) {
        if (t % 2 == 0) {
          if (!testing_storage::MoveBetweenAccounts(db, (i % 7) - 3)) failed.fetch_add(1);
        }
        if (ScalarInt(db, "SELECT sum(v) FROM acct") != 2000) torn.fetch_add(1);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(torn.load(), 0);
  EXPECT_EQ(failed.load(), 0);
}

// Database::WalIndexStamp: the WAL index's header, the same for every
// connection to the file, unchanged by reads, changed by every commit
// whichever connection makes it (after a checkpoint that empties the WAL
// too). None for a connection without a WAL.
TEST(DatabaseVfsTest, TheWalIndexStampChangesWithEachCommitAndOnlyThen) {
  TempDir dir;
  Database a = OpenOrDie(dir.File("a.db"));
  Database b = OpenOrDie(dir.File("a.db"));
  ASSERT_TRUE(a.Exec("CREATE TABLE t(x)").ok());
  const auto s1 = a.WalIndexStamp();
  ASSERT_TRUE(s1.has_value());
  EXPECT_EQ(ScalarInt(a, "SELECT count(*) FROM t"), 0);
  EXPECT_EQ(ScalarInt(b, "SELECT count(*) FROM t"), 0);
  EXPECT_EQ(a.WalIndexStamp(), s1) << "reads change nothing";
  EXPECT_EQ(b.WalIndexStamp(), s1) << "every connection reads the same header";
  ASSERT_TRUE(b.Exec("INSERT INTO t VALUES (1)").ok());
  const auto s2 = a.WalIndexStamp();
  ASSERT_TRUE(s2.has_value());
  EXPECT_NE(*s2, *s1) << "another connection's commit";
  ASSERT_TRUE(a.Exec("INSERT INTO t VALUES (2)").ok());
  const auto s3 = a.WalIndexStamp();
  ASSERT_TRUE(s3.has_value());
  EXPECT_NE(*s3, *s2) << "its own commit";
  ASSERT_TRUE(a.Exec("PRAGMA wal_checkpoint(TRUNCATE)").ok());
  const auto s4 = a.WalIndexStamp();
  ASSERT_TRUE(b.Exec("INSERT INTO t VALUES (3)").ok());
  const auto s5 = a.WalIndexStamp();
  ASSERT_TRUE(s4.has_value() && s5.has_value());
  EXPECT_NE(*s5, *s4) << "a commit into an emptied WAL";
  EXPECT_NE(*s5, *s3);
  EXPECT_EQ(b.WalIndexStamp(), s5);
  Database memory = OpenOrDie(":memory:");
  EXPECT_FALSE(memory.WalIndexStamp().has_value());
}

// ------------------------------------------------------- writers that wait

// The pages now in the file's WAL (PRAGMA wal_checkpoint's second column,
// after a passive checkpoint of its own): the WAL starts again from its
// beginning once a checkpoint has copied them all and no reader is in it.
int64_t WalPages(Database& db) {
  auto stmt = db.Prepare("PRAGMA wal_checkpoint(PASSIVE)");
  auto row = stmt.ok() ? stmt->Step() : Result<bool>(stmt.error());
  if (!row.ok() || !*row) {
    ADD_FAILURE() << "PRAGMA wal_checkpoint gave no row";
    return std::numeric_limits<int64_t>::max();
  }
  return stmt->Int(1);
}

// A writer finding the file's write lock taken waits for it as long as its
// busy timeout, then answers "busy" (503).
TEST(DatabaseWriteGateTest, AWriterGivesUpWithBusyOnceItsTimeoutHasPassed) {
  TempDir dir;
  Database holder = OpenOrDie(dir.File("a.db"));
  ASSERT_TRUE(holder.Exec("CREATE TABLE t(x)").ok());
  Database::Options options;
  options.busy_timeout_ms = 50;
  Database waiter = OpenOrDie(dir.File("a.db"), options);
  ASSERT_TRUE(holder.Exec("BEGIN IMMEDIATE; INSERT INTO t VALUES (1)").ok());
  const auto start = std::chrono::steady_clock::now();
  const Status s = waiter.Exec("INSERT INTO t VALUES (2)");
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(IsError(s, "busy", 503)) << Describe(s);
  EXPECT_GE(waited, std::chrono::milliseconds(50)) << "it gave up before its timeout";
  ASSERT_TRUE(holder.Exec("COMMIT").ok());
  EXPECT_TRUE(waiter.Exec("INSERT INTO t VALUES (2)").ok()) << "the lock is free again";
  EXPECT_EQ(ScalarInt(waiter, "SELECT count(*) FROM t"), 2);
}

// A writer waiting for another connection of this process waits at the
// file's gate (not in SQLite's sleeps) and goes on once that one commits.
// (Whether the commit itself wakes it, rather than the wait's next look at
// the lock, is the next test's: here the outcome is the same.)
TEST(DatabaseWriteGateTest, AWaitingWriterGoesOnOnceTheHolderCommits) {
  TempDir dir;
  const std::string path = dir.File("a.db");
  Database holder = OpenOrDie(path);
  ASSERT_TRUE(holder.Exec("CREATE TABLE t(x)").ok());
  Database::Options options;
  options.busy_timeout_ms = 60000;
  Database waiter = OpenOrDie(path, options);
  const std::shared_ptr<WriteGate> gate = WriteGate::For(path);
  ASSERT_TRUE(holder.Exec("BEGIN IMMEDIATE; INSERT INTO t VALUES (1)").ok());
  Status written = Ok{};
  std::thread writer([&] { written = waiter.Exec("INSERT INTO t VALUES (2)"); });
  // (between its waits' slices the writer looks at the lock again, so the
  // count is read once, when it first shows the writer)
  int waiting = 0;
  for (int i = 0; i < 10000 && (waiting = gate->waiting()) == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(waiting, 1) << "the writer should be waiting at the gate";
  ASSERT_TRUE(holder.Exec("COMMIT").ok());
  writer.join();
  EXPECT_TRUE(written.ok()) << Describe(written);
  EXPECT_EQ(gate->waiting(), 0);
  EXPECT_EQ(ScalarInt(holder, "SELECT count(*) FROM t"), 2);
}

TEST(DatabaseWriteGateTest, ACommitEndsEveryWaitUnderWay) {
  const std::shared_ptr<WriteGate> gate = WriteGate::For("/nonexistent/write-gate-test.db");
  EXPECT_EQ(gate, WriteGate::For("/nonexistent/write-gate-test.db")) << "one gate per file";
  gate->Committed();  // nobody waits: a no-op
  std::vector<std::thread> waiters;
  for (int i = 0; i < 3; ++i) waiters.emplace_back([&] { gate->Wait(std::chrono::minutes(1)); });
  for (int i = 0; i < 10000 && gate->waiting() < 3; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_EQ(gate->waiting(), 3);
  gate->Committed();
  for (std::thread& t : waiters) t.join();  // (a minute each if the commit woke nobody)
  EXPECT_EQ(gate->wakeups(), 3u);
  EXPECT_EQ(gate->waiting(), 0);
  gate->Wait(std::chrono::microseconds(100));  // a wait with no commit ends at its slice
  EXPECT_EQ(gate->wakeups(), 3u);
}

TEST(DatabaseWriteGateTest, AWaitThatSpinsFirstStillEndsAtACommitOrItsSlice) {
  // (whether the commit comes while it spins or once it sleeps depends on
  // the scheduler: both end the wait)
  const std::shared_ptr<WriteGate> gate = WriteGate::For("/nonexistent/write-gate-spin-test.db");
  const uint64_t woken_before = gate->wakeups();
  gate->Wait(std::chrono::microseconds(200), /*spin_first=*/true);
  EXPECT_EQ(gate->wakeups(), woken_before) << "no commit: the wait ends at its slice";
  for (int i = 0; i < 20; ++i) {
    std::thread waiter([&] { gate->Wait(std::chrono::minutes(1), /*spin_first=*/true); });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (gate->waiting() == 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
    EXPECT_EQ(gate->waiting(), 1) << "the waiter should be waiting at the gate";
    if (i % 2 == 1) std::this_thread::sleep_for(std::chrono::milliseconds(1));  // past its spin: asleep
    gate->Committed();
    waiter.join();  // (a minute if the commit woke nobody)
  }
  EXPECT_EQ(gate->wakeups(), woken_before + 20);
  EXPECT_EQ(gate->waiting(), 0);
}

TEST(DatabaseWriteGateTest, ACheckpointIsDueEveryThousandPagesAndSoonerAfterOneThatCouldNotFinish) {
  const std::shared_ptr<WriteGate> gate = WriteGate::For("/nonexistent/checkpoint-test.db");
  EXPECT_FALSE(gate->CheckpointDue(10));
  EXPECT_FALSE(gate->CheckpointDue(999));
  ASSERT_TRUE(gate->CheckpointDue(1000));
  EXPECT_FALSE(gate->CheckpointDue(1002)) << "one connection runs it; SQLite's ran one after every commit";
  gate->CheckpointDone(1000, /*restarted=*/false);
  EXPECT_FALSE(gate->CheckpointDue(1099));
  ASSERT_TRUE(gate->CheckpointDue(1100)) << "tried again 100 pages later";
  gate->CheckpointDone(1100, /*restarted=*/false);
  EXPECT_FALSE(gate->CheckpointDue(1299));
  ASSERT_TRUE(gate->CheckpointDue(1300)) << "then 200 pages later";
  gate->CheckpointDone(1300, /*restarted=*/false);
  ASSERT_TRUE(gate->CheckpointDue(1700)) << "then 400";
  gate->CheckpointDone(1700, /*restarted=*/false);
  ASSERT_TRUE(gate->CheckpointDue(2500)) << "then 800";
  gate->CheckpointDone(2500, /*restarted=*/false);
  EXPECT_FALSE(gate->CheckpointDue(3499));
  ASSERT_TRUE(gate->CheckpointDue(3500)) << "then never more than 1,000";
  gate->CheckpointDone(3500, /*restarted=*/true);
  EXPECT_FALSE(gate->CheckpointDue(3)) << "the WAL started again from its beginning";
  EXPECT_FALSE(gate->CheckpointDue(999));
  EXPECT_TRUE(gate->CheckpointDue(1004));
  EXPECT_FALSE(gate->CheckpointDue(1500));
  EXPECT_FALSE(gate->CheckpointDue(2)) << "another connection restarted the WAL";
  ASSERT_TRUE(gate->CheckpointDue(1000));
  gate->CheckpointDone(1000, /*restarted=*/false);
  EXPECT_TRUE(gate->CheckpointDue(1100)) << "a success started the back-off again from 100 pages";
}

// A reader that stays in the WAL (Litestream keeps one open) keeps the
// checkpoints from finishing: writes still go on, none of them refused.
TEST(DatabaseWriteGateTest, WritesGoOnWhileAReaderKeepsTheWalFromRestarting) {
  TempDir dir;
  Database writer = OpenOrDie(dir.File("a.db"));
  ASSERT_TRUE(writer.Exec("CREATE TABLE t(x)").ok());
  ASSERT_TRUE(writer.Exec("INSERT INTO t VALUES (zeroblob(3000))").ok());
  Database reader = OpenOrDie(dir.File("a.db"));
  ASSERT_TRUE(reader.Exec("BEGIN").ok());
  EXPECT_EQ(ScalarInt(reader, "SELECT count(*) FROM t"), 1);  // its snapshot, held
  for (int i = 0; i < 1500; ++i) {
    const Status s = writer.Exec("INSERT INTO t VALUES (zeroblob(3000))");
    ASSERT_TRUE(s.ok()) << "write " << i << ": " << Describe(s);
  }
  EXPECT_EQ(ScalarInt(reader, "SELECT count(*) FROM t"), 1) << "the reader still sees its snapshot";
  ASSERT_TRUE(reader.Exec("COMMIT").ok());
  EXPECT_EQ(ScalarInt(reader, "SELECT count(*) FROM t"), 1501);
  // With the reader gone, the next due checkpoint starts the WAL again.
  for (int i = 0; i < 1500; ++i) ASSERT_TRUE(writer.Exec("INSERT INTO t VALUES (zeroblob(3000))").ok());
  EXPECT_LT(WalPages(writer), 3000) << "the WAL never started again";
}

// The gate's WAL hook replaces SQLite's automatic checkpoint: it must still
// happen, or the WAL would grow without bound.
TEST(DatabaseWriteGateTest, TheWalIsStillCheckpointedAsItGrows) {
  TempDir dir;
  Database db = OpenOrDie(dir.File("a.db"));
  ASSERT_TRUE(db.Exec("CREATE TABLE t(x)").ok());
  for (int i = 0; i < 1500; ++i) {  // ~2 pages a commit: 3,000 pages written
    ASSERT_TRUE(db.Exec("INSERT INTO t VALUES (zeroblob(3000))").ok());
  }
  EXPECT_LT(WalPages(db), 1100) << "the WAL kept growing: no checkpoint";
  EXPECT_EQ(ScalarInt(db, "SELECT count(*) FROM t"), 1500);
}

// DB time is what a henv's scripts spend inside SQLite: only the connections
// that ask for it pay the clock reads.
TEST(DatabaseBusyTimeTest, MeasuredOnlyOnConnectionsThatAskForIt) {
  TempDir dir;
  Database plain = OpenOrDie(dir.File("a.db"));
  Database measured = OpenOrDie(dir.File("a.db"));
  measured.MeasureBusyTime();
  const std::string heavy =
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000) SELECT sum(i) FROM n";
  for (Database* db : {&plain, &measured}) {
    ASSERT_TRUE(db->Exec("CREATE TABLE IF NOT EXISTS t(x)").ok());
    EXPECT_EQ(ScalarInt(*db, heavy), int64_t{200000} * 200001 / 2);
  }
  EXPECT_EQ(plain.busy_ns(), 0);
  EXPECT_GT(measured.busy_ns(), 0);
  Database moved = std::move(measured);  // the figure and the choice travel with the connection
  const int64_t before = moved.busy_ns();
  EXPECT_GT(before, 0);
  EXPECT_EQ(ScalarInt(moved, "SELECT count(*) FROM t"), 0);
  EXPECT_GT(moved.busy_ns(), before);
}

TEST(DatabaseOpenTest, CreatesAMissingFileByDefault) {
  TempDir dir;
  ASSERT_FALSE(PathExists(dir.File("new.db")));
  { Database db = OpenOrDie(dir.File("new.db")); }
  EXPECT_TRUE(PathExists(dir.File("new.db")));
}

// A henv's connection is closed while the henv is dormant; should opening it
// again fail, its users run on the closed connection: every statement is a
// clean 503, nothing reaches SQLite with a null handle.
TEST(DatabaseOpenTest, AClosedConnectionFailsEveryStatementWithDbUnavailable) {
  TempDir dir;
  auto db = Database::Open(dir.path() + "/closed.db");
  ASSERT_TRUE(db.ok()) << Describe(db);
  ASSERT_TRUE(db->Exec("CREATE TABLE t (x INTEGER)").ok());
  ASSERT_TRUE(db->SetMaxSize(int64_t{1} << 20).ok());
  EXPECT_TRUE(db->is_open());
  db->CloseNow();
  EXPECT_FALSE(db->is_open());
  EXPECT_TRUE(IsError(db->Exec("INSERT INTO t VALUES (1)"), "db_unavailable", 503));
  EXPECT_TRUE(IsError(db->Prepare("SELECT x FROM t"), "db_unavailable", 503));
  EXPECT_TRUE(IsError(db->QueryValue("SELECT 1"), "db_unavailable", 503));
  EXPECT_TRUE(IsError(db->SizeBytes(), "db_unavailable", 503));
  EXPECT_TRUE(IsError(Transaction::Begin(*db), "db_unavailable", 503));
  EXPECT_EQ(db->TotalChanges(), 0);
  EXPECT_EQ(db->Changes(), 0);
  EXPECT_EQ(db->LastInsertRowId(), 0);
  EXPECT_FALSE(db->InTransaction());
  db->ReleaseMemory();
  db->ClearDeadline();
  EXPECT_EQ(db->max_size_bytes(), int64_t{1} << 20) << "kept for the connection opened next";
  EXPECT_EQ(db->path(), dir.path() + "/closed.db");
}

TEST(DatabaseOpenTest, MissingFileWithoutCreateIsNotFoundAndIsNotCreated) {
  TempDir dir;
  Database::Options options;
  options.create = false;
  auto db = Database::Open(dir.File("missing.db"), options);
  EXPECT_TRUE(IsError(db, "not_found", 404));
  EXPECT_FALSE(PathExists(dir.File("missing.db")));
}

TEST(DatabaseOpenTest, AFileThatIsNotADatabaseIsADbError) {
  TempDir dir;
  {
    std::ofstream out(dir.File("junk.db"), std::ios::binary);
    out << std::string(4096, 'x');
  }
  auto db = Database::Open(dir.File("junk.db"));
  EXPECT_TRUE(IsError(db, "db_error", 500));
}

TEST(DatabaseOpenTest, ReadOnlyConnectionRefusesWrites) {
  TempDir dir;
  Database writer = OpenOrDie(dir.File("a.db"));
  ASSERT_TRUE(writer.Exec("CREATE TABLE t(x); INSERT INTO t VALUES (1)").ok());
  Database::Options options;
  options.read_only = true;
  Database reader = OpenOrDie(dir.File("a.db"), options);
  EXPECT_EQ(ScalarInt(reader, "SELECT count(*) FROM t"), 1);
  EXPECT_TRUE(IsError(reader.Exec("INSERT INTO t VALUES (2)"), "read_only", 403));
  EXPECT_EQ(ScalarInt(writer, "SELECT count(*) FROM t"), 1);
}

// A henv's file is opened and closed all day: its last connection leaves the
// -wal and -shm files in place (no file made and unlinked per open), with
// the WAL folded into the file and cut to zero bytes, so the file alone is
// the whole database.
TEST(DatabaseOpenTest, KeptWalFilesAreLeftEmptyAndTheFileAloneIsComplete) {
  TempDir dir;
  const std::string path = dir.File("kept.db");
  Database::Options keep;
  keep.keep_wal_files = true;
  {
    Database db = OpenOrDie(path, keep);
    ASSERT_TRUE(db.Exec("CREATE TABLE t(x); INSERT INTO t VALUES (1), (2), (3)").ok());
    EXPECT_GT(testing_storage::FileSize(path + "-wal"), 0);  // the rows are in the WAL so far
  }
  ASSERT_TRUE(PathExists(path + "-wal"));
  ASSERT_TRUE(PathExists(path + "-shm"));
  EXPECT_EQ(testing_storage::FileSize(path + "-wal"), 0);
  // The file copied alone holds every row.
  {
    std::ofstream out(dir.File("copy.db"), std::ios::binary);
    out << testing_storage::ReadFileBytes(path);
  }
  {
    Database copy = OpenOrDie(dir.File("copy.db"));
    EXPECT_EQ(ScalarInt(copy, "SELECT count(*) FROM t"), 3);
  }
  // Reopened beside its stale -shm, it reads and writes as before.
  {
    Database db = OpenOrDie(path, keep);
    EXPECT_EQ(ScalarInt(db, "SELECT count(*) FROM t"), 3);
    ASSERT_TRUE(db.Exec("INSERT INTO t VALUES (4)").ok());
  }
  EXPECT_EQ(testing_storage::FileSize(path + "-wal"), 0);
  Database db = OpenOrDie(path);
  EXPECT_EQ(ScalarInt(db, "SELECT count(*) FROM t"), 4);
}

TEST(DatabaseOpenTest, WithoutKeepingTheLastCloseRemovesTheWalFiles) {
  TempDir dir;
  const std::string path = dir.File("plain.db");
  {
    Database db = OpenOrDie(path);
    ASSERT_TRUE(db.Exec("CREATE TABLE t(x); INSERT INTO t VALUES (1)").ok());
    EXPECT_TRUE(PathExists(path + "-wal"));
  }
  EXPECT_FALSE(PathExists(path + "-wal"));
  EXPECT_FALSE(PathExists(path + "-shm"));
}

// --------------------------------------------------------------------- Exec

class DatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto r = Database::Open(":memory:");
    ASSERT_TRUE(r.ok()) << Describe(r);
    db_.emplace(std::move(r).value());
  }
  Database& db() { return *db_; }

  // Stores `v` in a column without affinity and reads it back with its
  // SQLite storage class.
  std::pair<Value, std::string> RoundTrip(const Value& v) {
    EXPECT_TRUE(db().Exec("CREATE TABLE IF NOT EXISTS vals(v); DELETE FROM vals").ok());
    {
      auto insert = db().Prepare("INSERT INTO vals(v) VALUES (?)");
      EXPECT_TRUE(insert.ok()) << Describe(insert);
      insert->Bind(1, v);
      auto s = insert->Run();
      EXPECT_TRUE(s.ok()) << Describe(s);
    }
    auto select = db().Prepare("SELECT v, typeof(v), v IS NULL FROM vals");
    EXPECT_TRUE(select.ok()) << Describe(select);
    auto row = select->Step();
    EXPECT_TRUE(row.ok() && *row) << Describe(row);
    EXPECT_EQ(select->IsNull(0), select->Int(2) == 1);
    return {select->Column(0), select->Text(1)};
  }

  std::optional<Database> db_;
};

TEST_F(DatabaseTest, ExecRunsSeveralStatements) {
  ASSERT_TRUE(db().Exec("CREATE TABLE t(x); INSERT INTO t VALUES (1); INSERT INTO t VALUES (2);").ok());
  EXPECT_EQ(ScalarInt(db(), "SELECT sum(x) FROM t"), 3);
}

TEST_F(DatabaseTest, ExecSyntaxErrorIsSqlError400) {
  EXPECT_TRUE(IsError(db().Exec("CREAT TABLE t(x)"), "sql_error", 400));
}

// ------------------------------------------------------------------- values

TEST_F(DatabaseTest, NullRoundTripsAsNull) {
  auto [v, type] = RoundTrip(Null{});
  EXPECT_TRUE(std::holds_alternative<Null>(v));
  EXPECT_EQ(type, "null");
}

TEST_F(DatabaseTest, Int64RoundTripsExactlyIncludingTheExtremes) {
  for (int64_t n : {int64_t{0}, int64_t{-1}, int64_t{42}, std::numeric_limits<int64_t>::max(),
                    std::numeric_limits<int64_t>::min()}) {
    auto [v, type] = RoundTrip(n);
    ASSERT_TRUE(std::holds_alternative<int64_t>(v)) << n;
    EXPECT_EQ(std::get<int64_t>(v), n);
    EXPECT_EQ(type, "integer");
  }
}

TEST_F(DatabaseTest, DoubleRoundTripsAsReal) {
  for (double d : {0.5, -3.25, 1e300, -1e-300}) {
    auto [v, type] = RoundTrip(d);
    ASSERT_TRUE(std::holds_alternative<double>(v)) << d;
    EXPECT_EQ(std::get<double>(v), d);
    EXPECT_EQ(type, "real");
  }
}

TEST_F(DatabaseTest, TextWithEmbeddedNulRoundTripsWhole) {
  const std::string text("a\0b\0c", 5);
  auto [v, type] = RoundTrip(text);
  ASSERT_TRUE(std::holds_alternative<std::string>(v));
  EXPECT_EQ(std::get<std::string>(v), text);
  EXPECT_EQ(std::get<std::string>(v).size(), 5u);
  EXPECT_EQ(type, "text");
}

TEST_F(DatabaseTest, Utf8TextRoundTripsAndIsSeenAsCharacters) {
  const std::string text = "h\xC3\xA9llo \xE2\x9C\x93 \xF0\x9D\x84\x9E";  // "héllo ✓ 𝄞"
  auto [v, type] = RoundTrip(text);
  ASSERT_TRUE(std::holds_alternative<std::string>(v));
  EXPECT_EQ(std::get<std::string>(v), text);
  EXPECT_EQ(type, "text");
  // SQLite counts characters, not bytes: the text was bound as UTF-8.
  EXPECT_EQ(ScalarInt(db(), "SELECT length(v) FROM vals"), 9);
}

TEST_F(DatabaseTest, EmptyTextIsTextNotNull) {
  auto [v, type] = RoundTrip(std::string());
  ASSERT_TRUE(std::holds_alternative<std::string>(v));
  EXPECT_EQ(std::get<std::string>(v), "");
  EXPECT_EQ(type, "text");
}

TEST_F(DatabaseTest, BlobRoundTripsBytesIncludingZeroAndHighBytes) {
  const Blob blob{0x00, 0xFF, 0x10, 0x00, 0x80};
  auto [v, type] = RoundTrip(blob);
  ASSERT_TRUE(std::holds_alternative<Blob>(v));
  EXPECT_EQ(std::get<Blob>(v), blob);
  EXPECT_EQ(type, "blob");
}

TEST_F(DatabaseTest, EmptyBlobStaysABlobNotNull) {
  auto [v, type] = RoundTrip(Blob{});
  EXPECT_EQ(type, "blob");
  ASSERT_TRUE(std::holds_alternative<Blob>(v));
  EXPECT_TRUE(std::get<Blob>(v).empty());
  EXPECT_EQ(ScalarInt(db(), "SELECT count(*) FROM vals WHERE v IS NOT NULL"), 1);
}

TEST_F(DatabaseTest, TypedAccessorsReadColumns) {
  auto stmt = db().Prepare("SELECT 7 AS seven, 2.5 AS half, 'txt' AS word, x'0102' AS bytes, NULL AS absent");
  ASSERT_TRUE(stmt.ok()) << Describe(stmt);
  ASSERT_EQ(stmt->ColumnCount(), 5);
  EXPECT_EQ(stmt->ColumnName(0), "seven");
  EXPECT_EQ(stmt->ColumnName(4), "absent");
  auto row = stmt->Step();
  ASSERT_TRUE(row.ok() && *row);
  EXPECT_EQ(stmt->Int(0), 7);
  EXPECT_EQ(stmt->Double(1), 2.5);
  EXPECT_EQ(stmt->Text(2), "txt");
  EXPECT_EQ(stmt->BlobValue(3), (Blob{0x01, 0x02}));
  EXPECT_TRUE(stmt->IsNull(4));
  EXPECT_FALSE(stmt->IsNull(0));
  auto done = stmt->Step();
  ASSERT_TRUE(done.ok());
  EXPECT_FALSE(*done);
}

TEST_F(DatabaseTest, ReadOnlyTellsQueriesFromWrites) {
  ASSERT_TRUE(db().Exec("CREATE TABLE t(x)").ok());
  auto select = db().Prepare("SELECT x FROM t");
  auto insert = db().Prepare("INSERT INTO t VALUES (1)");
  ASSERT_TRUE(select.ok() && insert.ok());
  EXPECT_TRUE(select->ReadOnly());
  EXPECT_FALSE(insert->ReadOnly());
}

// --------------------------------------------------------------- parameters

TEST_F(DatabaseTest, BindAllBindsPositionsInOrder) {
  auto stmt = db().Prepare("SELECT ?1 || '-' || ?2 || '-' || ?3");
  ASSERT_TRUE(stmt.ok());
  stmt->BindAll({std::string("a"), int64_t{2}, std::string("c")});
  ASSERT_TRUE(stmt->Step().ok());
  EXPECT_EQ(stmt->Text(0), "a-2-c");
}

TEST_F(DatabaseTest, NamedParametersWorkWithEveryPrefix) {
  auto stmt = db().Prepare("SELECT :colon, @at, $dollar");
  ASSERT_TRUE(stmt.ok()) << Describe(stmt);
  EXPECT_EQ(stmt->ParameterCount(), 3);
  EXPECT_EQ(stmt->ParameterName(1), ":colon");
  EXPECT_EQ(stmt->ParameterName(2), "@at");
  EXPECT_EQ(stmt->ParameterName(3), "$dollar");
  EXPECT_TRUE(stmt->BindNamed(":colon", int64_t{1}).ok());
  EXPECT_TRUE(stmt->BindNamed("@at", std::string("two")).ok());
  EXPECT_TRUE(stmt->BindNamed("$dollar", 3.5).ok());
  auto row = stmt->Step();
  ASSERT_TRUE(row.ok() && *row) << Describe(row);
  EXPECT_EQ(stmt->Int(0), 1);
  EXPECT_EQ(stmt->Text(1), "two");
  EXPECT_EQ(stmt->Double(2), 3.5);
}

TEST_F(DatabaseTest, ARepeatedNamedParameterIsBoundOnce) {
  auto stmt = db().Prepare("SELECT :x + :x");
  ASSERT_TRUE(stmt.ok());
  EXPECT_EQ(stmt->ParameterCount(), 1);
  ASSERT_TRUE(stmt->BindNamed(":x", int64_t{21}).ok());
  ASSERT_TRUE(stmt->Step().ok());
  EXPECT_EQ(stmt->Int(0), 42);
}

TEST_F(DatabaseTest, PositionalParameterHasNoName) {
  auto stmt = db().Prepare("SELECT ?");
  ASSERT_TRUE(stmt.ok());
  EXPECT_EQ(stmt->ParameterName(1), "");
}

TEST_F(DatabaseTest, BindNamedWithAnUnknownNameIsSqlError) {
  auto stmt = db().Prepare("SELECT :known");
  ASSERT_TRUE(stmt.ok());
  EXPECT_TRUE(IsError(stmt->BindNamed(":unknown", int64_t{1}), "sql_error", 400));
  // The prefix is part of the name.
  EXPECT_TRUE(IsError(stmt->BindNamed("known", int64_t{1}), "sql_error", 400));
  EXPECT_TRUE(IsError(stmt->BindNamed("@known", int64_t{1}), "sql_error", 400));
}

TEST_F(DatabaseTest, OutOfRangePositionalBindIsReportedByStep) {
  auto stmt = db().Prepare("SELECT ?");
  ASSERT_TRUE(stmt.ok());
  stmt->Bind(2, int64_t{1});
  EXPECT_TRUE(IsError(stmt->Step(), "sql_error", 400));
}

TEST_F(DatabaseTest, OutOfRangePositionalBindIsReportedByRunAndNothingIsWritten) {
  ASSERT_TRUE(db().Exec("CREATE TABLE t(x)").ok());
  auto stmt = db().Prepare("INSERT INTO t VALUES (?)");
  ASSERT_TRUE(stmt.ok());
  stmt->Bind(1, int64_t{5}).Bind(0, int64_t{6});
  EXPECT_TRUE(IsError(stmt->Run(), "sql_error", 400));
  EXPECT_EQ(ScalarInt(db(), "SELECT count(*) FROM t"), 0);
}

TEST_F(DatabaseTest, TheFirstBindErrorIsTheOneReported) {
  auto stmt = db().Prepare("SELECT ?");
  ASSERT_TRUE(stmt.ok());
  stmt->Bind(3, int64_t{1}).Bind(1, int64_t{1}).Bind(9, int64_t{1});
  auto row = stmt->Step();
  ASSERT_FALSE(row.ok());
  EXPECT_NE(row.error().message.find('3'), std::string::npos) << row.error().message;
}

// ---------------------------------------------------------- statement cache

TEST_F(DatabaseTest, PreparingTheSameSqlAgainStartsWithClearedBindings) {
  const std::string sql = "SELECT ?1";
  {
    auto stmt = db().Prepare(sql);
    ASSERT_TRUE(stmt.ok());
    stmt->Bind(1, int64_t{42});
    ASSERT_TRUE(stmt->Step().ok());
    EXPECT_EQ(stmt->Int(0), 42);
  }
  {
    auto stmt = db().Prepare(sql);
    ASSERT_TRUE(stmt.ok());
    auto row = stmt->Step();
    ASSERT_TRUE(row.ok() && *row);
    EXPECT_TRUE(stmt->IsNull(0)) << "a binding leaked from the previous use";
  }
}

TEST_F(DatabaseTest, AReusedStatementStartsFromTheFirstRow) {
  ASSERT_TRUE(db().Exec("CREATE TABLE t(x); INSERT INTO t VALUES (1), (2), (3)").ok());
  const std::string sql = "SELECT x FROM t ORDER BY x";
  {
    auto stmt = db().Prepare(sql);
    ASSERT_TRUE(stmt.ok());
    ASSERT_TRUE(stmt->Step().ok());
    ASSERT_TRUE(stmt->Step().ok());
    EXPECT_EQ(stmt->Int(0), 2);
  }  // abandoned mid-way
  for (int round = 0; round < 3; ++round) {
    auto stmt = db().Prepare(sql);
    ASSERT_TRUE(stmt.ok());
    std::vector<int64_t> seen;
    for (;;) {
      auto row = stmt->Step();
      ASSERT_TRUE(row.ok()) << Describe(row);
      if (!*row) break;
      seen.push_back(stmt->Int(0));
    }
    EXPECT_EQ(seen, (std::vector<int64_t>{1, 2, 3}));
  }
}

TEST_F(DatabaseTest, AnAbandonedReadDoesNotHoldBackLaterWrites) {
  ASSERT_TRUE(db().Exec("CREATE TABLE t(x); INSERT INTO t VALUES (1), (2)").ok());
  {
    auto stmt = db().Prepare("SELECT x FROM t");
    ASSERT_TRUE(stmt.ok());
    ASSERT_TRUE(stmt->Step().ok());
  }
  EXPECT_FALSE(db().InTransaction());
  ASSERT_TRUE(db().Exec("DROP TABLE t").ok()) << "the cached statement kept the table busy";
}

TEST_F(DatabaseTest, TwoLiveStatementsWithTheSameSqlAreIndependent) {
  const std::string sql = "SELECT ?1 * 10";
  auto a = db().Prepare(sql);
  auto b = db().Prepare(sql);
  ASSERT_TRUE(a.ok() && b.ok());
  a->Bind(1, int64_t{1});
  b->Bind(1, int64_t{2});
  ASSERT_TRUE(b->Step().ok());
  ASSERT_TRUE(a->Step().ok());
  EXPECT_EQ(a->Int(0), 10);
  EXPECT_EQ(b->Int(0), 20);
  a = Statement();
  b = Statement();
  auto c = db().Prepare(sql);
  ASSERT_TRUE(c.ok());
  c->Bind(1, int64_t{3});
  ASSERT_TRUE(c->Step().ok());
  EXPECT_EQ(c->Int(0), 30);
}

TEST_F(DatabaseTest, ACachedStatementSeesSchemaChanges) {
  ASSERT_TRUE(db().Exec("CREATE TABLE t(a); INSERT INTO t VALUES (1)").ok());
  {
    auto stmt = db().Prepare("SELECT * FROM t");
    ASSERT_TRUE(stmt.ok());
    ASSERT_TRUE(stmt->Step().ok());
    EXPECT_EQ(stmt->ColumnCount(), 1);
  }
  ASSERT_TRUE(db().Exec("ALTER TABLE t ADD COLUMN b DEFAULT 'bee'").ok());
  auto stmt = db().Prepare("SELECT * FROM t");
  ASSERT_TRUE(stmt.ok());
  auto row = stmt->Step();
  ASSERT_TRUE(row.ok() && *row) << Describe(row);
  ASSERT_EQ(stmt->ColumnCount(), 2);
  EXPECT_EQ(stmt->Text(1), "bee");
}

TEST(DatabaseCacheTest, WorksWithTheCacheDisabled) {
  Database::Options options;
  options.statement_cache_size = 0;
  Database db = OpenOrDie(":memory:", options);
  for (int64_t i = 0; i < 3; ++i) {
    auto stmt = db.Prepare("SELECT ?1 + 1");
    ASSERT_TRUE(stmt.ok());
    stmt->Bind(1, i);
    ASSERT_TRUE(stmt->Step().ok());
    EXPECT_EQ(stmt->Int(0), i + 1);
  }
}

TEST_F(DatabaseTest, UncachedStatementsWorkAndCanBeRepeated) {
  for (int64_t i = 0; i < 3; ++i) {
    auto stmt = db().PrepareUncached("SELECT ?1 * 2");
    ASSERT_TRUE(stmt.ok());
    stmt->Bind(1, i);
    ASSERT_TRUE(stmt->Step().ok());
    EXPECT_EQ(stmt->Int(0), i * 2);
  }
}

// ------------------------------------------------------------------- errors

TEST_F(DatabaseTest, PrepareRejectsMultipleStatements) {
  ASSERT_TRUE(db().Exec("CREATE TABLE t(x)").ok());
  EXPECT_TRUE(IsError(db().Prepare("SELECT 1; SELECT 2"), "sql_error", 400));
  EXPECT_TRUE(IsError(db().Prepare("INSERT INTO t VALUES (1); DROP TABLE t"), "sql_error", 400));
  EXPECT_TRUE(IsError(db().PrepareUncached("SELECT 1; SELECT 2"), "sql_error", 400));
  // Nothing of the rejected SQL ran.
  EXPECT_EQ(ScalarInt(db(), "SELECT count(*) FROM t"), 0);
}

TEST_F(DatabaseTest, PrepareAcceptsATrailingSemicolonAndWhitespace) {
  auto stmt = db().Prepare("SELECT 1; \n\t ;");
  ASSERT_TRUE(stmt.ok()) << Describe(stmt);
  ASSERT_TRUE(stmt->Step().ok());
  EXPECT_EQ(stmt->Int(0), 1);
}

TEST_F(DatabaseTest, PrepareAcceptsTrailingComments) {
  for (const char* sql : {"SELECT 1 -- done", "SELECT 1; -- done", "SELECT 1; /* done */", "SELECT 1; -- a\n; -- b"}) {
    auto stmt = db().Prepare(sql);
    ASSERT_TRUE(stmt.ok()) << sql << ": " << Describe(stmt);
    ASSERT_TRUE(stmt->Step().ok());
    EXPECT_EQ(stmt->Int(0), 1) << sql;
  }
}

TEST_F(DatabaseTest, PrepareRejectsAStatementAfterAComment) {
  EXPECT_TRUE(IsError(db().Prepare("SELECT 1; /* x */ SELECT 2"), "sql_error", 400));
  EXPECT_TRUE(IsError(db().Prepare("SELECT 1; -- x\nSELECT 2"), "sql_error", 400));
  EXPECT_TRUE(IsError(db().Prepare("SELECT 1; ; ; SELECT 2"), "sql_error", 400));
  EXPECT_TRUE(IsError(db().Prepare("SELECT 1; garbage"), "sql_error", 400));
}

TEST_F(DatabaseTest, PrepareOfEmptySqlIsSqlError) {
  EXPECT_TRUE(IsError(db().Prepare(""), "sql_error", 400));
  EXPECT_TRUE(IsError(db().Prepare("   "), "sql_error", 400));
}

TEST_F(DatabaseTest, SyntaxErrorIsSqlError400) {
  EXPECT_TRUE(IsError(db().Prepare("SELEC 1"), "sql_error", 400));
  EXPECT_TRUE(IsError(db().Prepare("SELECT FROM WHERE"), "sql_error", 400));
}

TEST_F(DatabaseTest, UnknownTableIsSqlError400) {
  EXPECT_TRUE(IsError(db().Prepare("SELECT * FROM no_such_table"), "sql_error", 400));
}

TEST_F(DatabaseTest, UniqueViolationIsConstraint409) {
  ASSERT_TRUE(db().Exec("CREATE TABLE u(x UNIQUE); INSERT INTO u VALUES (1)").ok());
  auto stmt = db().Prepare("INSERT INTO u VALUES (?)");
  ASSERT_TRUE(stmt.ok());
  stmt->Bind(1, int64_t{1});
  EXPECT_TRUE(IsError(stmt->Run(), "constraint", 409));
  EXPECT_TRUE(IsError(db().Exec("INSERT INTO u VALUES (1)"), "constraint", 409));
  EXPECT_EQ(ScalarInt(db(), "SELECT count(*) FROM u"), 1);
}

TEST_F(DatabaseTest, NotNullAndCheckViolationsAreConstraint409) {
  ASSERT_TRUE(db().Exec("CREATE TABLE c(x NOT NULL CHECK (x > 0))").ok());
  EXPECT_TRUE(IsError(db().Exec("INSERT INTO c VALUES (NULL)"), "constraint", 409));
  EXPECT_TRUE(IsError(db().Exec("INSERT INTO c VALUES (-1)"), "constraint", 409));
}

TEST_F(DatabaseTest, AStatementThatFailedCanBeRunAgain) {
  ASSERT_TRUE(db().Exec("CREATE TABLE u(x UNIQUE); INSERT INTO u VALUES (1)").ok());
  auto stmt = db().Prepare("INSERT INTO u VALUES (?)");
  ASSERT_TRUE(stmt.ok());
  stmt->Bind(1, int64_t{1});
  EXPECT_FALSE(stmt->Run().ok());
  stmt = Statement();
  auto again = db().Prepare("INSERT INTO u VALUES (?)");
  ASSERT_TRUE(again.ok());
  again->Bind(1, int64_t{2});
  EXPECT_TRUE(again->Run().ok()) << "the cached statement was left unusable";
  EXPECT_EQ(ScalarInt(db(), "SELECT count(*) FROM u"), 2);
}

TEST(SqlErrorTest, MapsSqliteCodesToTheErrorVocabulary) {
  // Primary codes (sqlite3.h): ERROR 1, BUSY 5, LOCKED 6, READONLY 8,
  // IOERR 10, CORRUPT 11, CONSTRAINT 19, MISMATCH 20, RANGE 25.
  EXPECT_EQ(SqlError(1, "m").code, "sql_error");
  EXPECT_EQ(SqlError(1, "m").http_status, 400);
  EXPECT_EQ(SqlError(1, "m").message, "m");
  EXPECT_EQ(SqlError(5, "m").code, "busy");
  EXPECT_EQ(SqlError(5, "m").http_status, 503);
  EXPECT_EQ(SqlError(6, "m").code, "busy");
  EXPECT_EQ(SqlError(8, "m").code, "read_only");
  EXPECT_EQ(SqlError(8, "m").http_status, 403);
  EXPECT_EQ(SqlError(10, "m").code, "db_error");
  EXPECT_EQ(SqlError(10, "m").http_status, 500);
  EXPECT_EQ(SqlError(11, "m").code, "db_error");
  EXPECT_EQ(SqlError(19, "m").code, "constraint");
  EXPECT_EQ(SqlError(19, "m").http_status, 409);
  EXPECT_EQ(SqlError(20, "m").code, "sql_error");
  EXPECT_EQ(SqlError(25, "m").code, "sql_error");
  // Extended codes map by their primary code: SQLITE_CONSTRAINT_UNIQUE is
  // 19 | (8 << 8), SQLITE_BUSY_SNAPSHOT is 5 | (2 << 8).
  EXPECT_EQ(SqlError(19 | (8 << 8), "m").code, "constraint");
  EXPECT_EQ(SqlError(5 | (2 << 8), "m").code, "busy");
}

// ------------------------------------------------------------- QueryValue

TEST_F(DatabaseTest, QueryValueReturnsTheFirstColumnOfTheFirstRow) {
  ASSERT_TRUE(db().Exec("CREATE TABLE t(x, y); INSERT INTO t VALUES (1, 'one'), (2, 'two')").ok());
  auto v = db().QueryValue("SELECT y FROM t WHERE x = ?", {int64_t{2}});
  ASSERT_TRUE(v.ok()) << Describe(v);
  ASSERT_TRUE(v->has_value());
  ASSERT_TRUE(std::holds_alternative<std::string>(**v));
  EXPECT_EQ(std::get<std::string>(**v), "two");
}

TEST_F(DatabaseTest, QueryValueWithoutARowIsNullopt) {
  ASSERT_TRUE(db().Exec("CREATE TABLE t(x)").ok());
  auto v = db().QueryValue("SELECT x FROM t");
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->has_value());
}

TEST_F(DatabaseTest, QueryValueOfANullIsAPresentNull) {
  auto v = db().QueryValue("SELECT NULL");
  ASSERT_TRUE(v.ok());
  ASSERT_TRUE(v->has_value());
  EXPECT_TRUE(std::holds_alternative<Null>(**v));
}

TEST_F(DatabaseTest, QueryValueReportsErrors) {
  EXPECT_TRUE(IsError(db().QueryValue("SELECT * FROM nowhere"), "sql_error", 400));
  EXPECT_TRUE(IsError(db().QueryValue("SELECT ?", {int64_t{1}, int64_t{2}}), "sql_error", 400));
}

// ------------------------------------------------------ row ids and changes

TEST_F(DatabaseTest, LastInsertRowIdAndChanges) {
  ASSERT_TRUE(db().Exec("CREATE TABLE t(id INTEGER PRIMARY KEY, x)").ok());
  ASSERT_TRUE(db().Exec("INSERT INTO t(id, x) VALUES (41, 'a')").ok());
  EXPECT_EQ(db().LastInsertRowId(), 41);
  auto insert = db().Prepare("INSERT INTO t(x) VALUES (?)");
  ASSERT_TRUE(insert.ok());
  insert->Bind(1, std::string("b"));
  ASSERT_TRUE(insert->Run().ok());
  EXPECT_EQ(db().LastInsertRowId(), 42);
  EXPECT_EQ(db().Changes(), 1);
  ASSERT_TRUE(db().Exec("INSERT INTO t(x) VALUES ('c'), ('d')").ok());
  ASSERT_TRUE(db().Exec("UPDATE t SET x = 'z' WHERE id > 41").ok());
  EXPECT_EQ(db().Changes(), 3);
  ASSERT_TRUE(db().Exec("DELETE FROM t WHERE id = 1000").ok());
  EXPECT_EQ(db().Changes(), 0);
}

// ------------------------------------------------------------- transactions

TEST(TransactionTest, CommitPersists) {
  TempDir dir;
  {
    Database db = OpenOrDie(dir.File("a.db"));
    ASSERT_TRUE(db.Exec("CREATE TABLE t(x)").ok());
    auto tx = Transaction::Begin(db);
    ASSERT_TRUE(tx.ok()) << Describe(tx);
    EXPECT_TRUE(db.InTransaction());
    ASSERT_TRUE(db.Exec("INSERT INTO t VALUES (1)").ok());
    ASSERT_TRUE(tx->Commit().ok());
    EXPECT_FALSE(db.InTransaction());
  }
  Database reopened = OpenOrDie(dir.File("a.db"));
  EXPECT_EQ(ScalarInt(reopened, "SELECT count(*) FROM t"), 1);
}

TEST(TransactionTest, DestructionWithoutCommitRollsBack) {
  TempDir dir;
  Database db = OpenOrDie(dir.File("a.db"));
  ASSERT_TRUE(db.Exec("CREATE TABLE t(x); INSERT INTO t VALUES (0)").ok());
  {
    auto tx = Transaction::Begin(db);
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE(db.Exec("INSERT INTO t VALUES (1); UPDATE t SET x = 99").ok());
    EXPECT_EQ(ScalarInt(db, "SELECT count(*) FROM t"), 2);
  }
  EXPECT_FALSE(db.InTransaction());
  EXPECT_EQ(ScalarInt(db, "SELECT count(*) FROM t"), 1);
  EXPECT_EQ(ScalarInt(db, "SELECT x FROM t"), 0);
  Database other = OpenOrDie(dir.File("a.db"));
  EXPECT_EQ(ScalarInt(other, "SELECT count(*) FROM t"), 1);
}

TEST(TransactionTest, AMovedTransactionRollsBackOnlyOnce) {
  Database db = OpenOrDie(":memory:");
  ASSERT_TRUE(db.Exec("CREATE TABLE t(x)").ok());
  {
    auto tx = Transaction::Begin(db);
    ASSERT_TRUE(tx.ok());
    Transaction moved(std::move(*tx));
    ASSERT_TRUE(db.Exec("INSERT INTO t VALUES (1)").ok());
    ASSERT_TRUE(moved.Commit().ok());
  }  // the moved-from transaction must not roll anything back
  EXPECT_EQ(ScalarInt(db, "SELECT count(*) FROM t"), 1);
}

TEST(TransactionTest, CommitTwiceFailsTheSecondTime) {
  Database db = OpenOrDie(":memory:");
  auto tx = Transaction::Begin(db);
  ASSERT_TRUE(tx.ok());
  ASSERT_TRUE(tx->Commit().ok());
  EXPECT_FALSE(tx->Commit().ok());
}

TEST(TransactionTest, BeginInsideATransactionFails) {
  Database db = OpenOrDie(":memory:");
  auto outer = Transaction::Begin(db);
  ASSERT_TRUE(outer.ok());
  auto inner = Transaction::Begin(db);
  EXPECT_TRUE(IsError(inner, "sql_error", 400));
  EXPECT_TRUE(db.InTransaction()) << "the failed inner Begin ended the outer transaction";
}

TEST(TransactionTest, BeginTakesTheWriteLockImmediately) {
  TempDir dir;
  Database first = OpenOrDie(dir.File("a.db"));
  ASSERT_TRUE(first.Exec("CREATE TABLE t(x); INSERT INTO t VALUES (1)").ok());
  Database::Options quick;
  quick.busy_timeout_ms = 50;
  Database second = OpenOrDie(dir.File("a.db"), quick);

  {
    // No statement has run inside the transaction yet: a deferred BEGIN
    // would not hold any lock at this point.
    auto tx = Transaction::Begin(first);
    ASSERT_TRUE(tx.ok()) << Describe(tx);

    EXPECT_TRUE(IsError(second.Exec("INSERT INTO t VALUES (2)"), "busy", 503));
    EXPECT_TRUE(IsError(Transaction::Begin(second), "busy", 503));
    // Readers are not blocked (WAL).
    EXPECT_EQ(ScalarInt(second, "SELECT count(*) FROM t"), 1);

    ASSERT_TRUE(first.Exec("INSERT INTO t VALUES (3)").ok());
    ASSERT_TRUE(tx->Commit().ok());
  }
  EXPECT_TRUE(second.Exec("INSERT INTO t VALUES (2)").ok()) << "the lock outlived the commit";
  EXPECT_EQ(ScalarInt(second, "SELECT count(*) FROM t"), 3);
}

TEST(TransactionTest, RolledBackTransactionReleasesTheWriteLock) {
  TempDir dir;
  Database first = OpenOrDie(dir.File("a.db"));
  ASSERT_TRUE(first.Exec("CREATE TABLE t(x)").ok());
  Database::Options quick;
  quick.busy_timeout_ms = 50;
  Database second = OpenOrDie(dir.File("a.db"), quick);
  {
    auto tx = Transaction::Begin(first);
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE(first.Exec("INSERT INTO t VALUES (1)").ok());
  }
  EXPECT_TRUE(second.Exec("INSERT INTO t VALUES (2)").ok());
  EXPECT_EQ(ScalarInt(first, "SELECT count(*) FROM t"), 1);
}

// ------------------------------------------------------------ move semantics

TEST(DatabaseMoveTest, AMovedDatabaseKeepsWorking) {
  Database original = OpenOrDie(":memory:");
  ASSERT_TRUE(original.Exec("CREATE TABLE t(x); INSERT INTO t VALUES (7)").ok());
  EXPECT_EQ(ScalarInt(original, "SELECT x FROM t"), 7);  // leaves a statement in the cache
  Database moved(std::move(original));
  EXPECT_EQ(ScalarInt(moved, "SELECT x FROM t"), 7);
  Database assigned = OpenOrDie(":memory:");
  assigned = std::move(moved);
  EXPECT_EQ(ScalarInt(assigned, "SELECT x FROM t"), 7);
  ASSERT_TRUE(assigned.Exec("INSERT INTO t VALUES (8)").ok());
  EXPECT_EQ(ScalarInt(assigned, "SELECT count(*) FROM t"), 2);
}

TEST(DatabaseMoveTest, MoveAssignmentClosesTheConnectionItReplaces) {
  TempDir dir;
  Database holder = OpenOrDie(dir.File("a.db"));
  ASSERT_TRUE(holder.Exec("CREATE TABLE t(x)").ok());
  ASSERT_TRUE(holder.Exec("BEGIN IMMEDIATE").ok());  // holds the write lock on a.db
  Database::Options quick;
  quick.busy_timeout_ms = 50;
  Database other = OpenOrDie(dir.File("a.db"), quick);
  ASSERT_TRUE(IsError(other.Exec("INSERT INTO t VALUES (1)"), "busy", 503));

  holder = OpenOrDie(":memory:");  // the old connection must close (and roll back)
  EXPECT_TRUE(other.Exec("INSERT INTO t VALUES (1)").ok());
  EXPECT_EQ(ScalarInt(holder, "SELECT 5"), 5);
}

TEST(StatementMoveTest, AMovedStatementKeepsItsBindingsAndPosition) {
  Database db = OpenOrDie(":memory:");
  ASSERT_TRUE(db.Exec("CREATE TABLE t(x); INSERT INTO t VALUES (1), (2), (3)").ok());
  auto stmt = db.Prepare("SELECT x FROM t WHERE x >= ? ORDER BY x");
  ASSERT_TRUE(stmt.ok());
  stmt->Bind(1, int64_t{2});
  ASSERT_TRUE(stmt->Step().ok());
  EXPECT_EQ(stmt->Int(0), 2);

  Statement moved(std::move(*stmt));
  auto row = moved.Step();
  ASSERT_TRUE(row.ok() && *row);
  EXPECT_EQ(moved.Int(0), 3);

  Statement assigned;
  assigned = std::move(moved);
  auto done = assigned.Step();
  ASSERT_TRUE(done.ok());
  EXPECT_FALSE(*done);
}

TEST(StatementMoveTest, MoveAssignmentReleasesTheReplacedStatement) {
  Database db = OpenOrDie(":memory:");
  ASSERT_TRUE(db.Exec("CREATE TABLE t(x); INSERT INTO t VALUES (1), (2)").ok());
  auto reader = db.Prepare("SELECT x FROM t");
  ASSERT_TRUE(reader.ok());
  ASSERT_TRUE(reader->Step().ok());  // mid-read: t is in use
  auto other = db.Prepare("SELECT 1");
  ASSERT_TRUE(other.ok());
  *reader = std::move(*other);
  ASSERT_TRUE(db.Exec("DROP TABLE t").ok()) << "the replaced statement was not reset";
  ASSERT_TRUE(reader->Step().ok());
  EXPECT_EQ(reader->Int(0), 1);
}

TEST(StatementMoveTest, ABindErrorTravelsWithTheStatement) {
  Database db = OpenOrDie(":memory:");
  auto stmt = db.Prepare("SELECT ?");
  ASSERT_TRUE(stmt.ok());
  stmt->Bind(5, int64_t{1});
  Statement moved(std::move(*stmt));
  EXPECT_TRUE(IsError(moved.Step(), "sql_error", 400));
}

}  // namespace
}  // namespace hbf::db

namespace hbf::db {
namespace {

// ------------------------------------------------------------------ document writes

// A watching connection notes its writes to `documents` (for the code
// version) and moves the file's DocumentsEpoch on once each such
// transaction is over; writes to other tables do neither.
TEST(DocumentWritesTest, WatchedConnectionsMoveTheirFilesEpochOnlyForDocuments) {
  TempDir dir;
  const std::string path = dir.File("h.db");
  Database db = OpenOrDie(path);
  ASSERT_TRUE(db.Exec("CREATE TABLE documents (path TEXT PRIMARY KEY, content BLOB); CREATE TABLE notes (v)").ok());
  db.WatchDocumentWrites();
  std::shared_ptr<DocumentsEpoch> epoch = DocumentsEpoch::For(path);
  EXPECT_EQ(DocumentsEpoch::For(path), epoch) << "one epoch per file while held";
  EXPECT_NE(DocumentsEpoch::For(dir.File("other.db")), epoch);

  uint64_t seen = epoch->value();
  ASSERT_TRUE(db.Exec("INSERT INTO notes VALUES (1)").ok());
  EXPECT_EQ(epoch->value(), seen);
  EXPECT_FALSE(db.TakeDocumentsWritten());

  ASSERT_TRUE(db.Exec("INSERT INTO documents VALUES ('a', 'x')").ok());
  EXPECT_NE(epoch->value(), seen);
  EXPECT_TRUE(db.TakeDocumentsWritten());
  EXPECT_FALSE(db.TakeDocumentsWritten()) << "taken";

  // Inside a transaction: at its end, not before.
  seen = epoch->value();
  ASSERT_TRUE(db.Exec("BEGIN").ok());
  ASSERT_TRUE(db.Exec("UPDATE documents SET content = 'y'").ok());
  EXPECT_EQ(epoch->value(), seen) << "not committed yet";
  ASSERT_TRUE(db.Exec("COMMIT").ok());
  EXPECT_NE(epoch->value(), seen);
  EXPECT_TRUE(db.TakeDocumentsWritten());

  // Another watching connection to the file moves the same epoch.
  Database other = OpenOrDie(path);
  other.WatchDocumentWrites();
  seen = epoch->value();
  ASSERT_TRUE(other.Exec("DELETE FROM documents").ok());
  EXPECT_NE(epoch->value(), seen);
  EXPECT_TRUE(other.TakeDocumentsWritten());
  EXPECT_FALSE(db.TakeDocumentsWritten());
}

TEST(DocumentWritesTest, AFreshEpochNeverRepeatsAnOldValue) {
  TempDir dir;
  uint64_t old_value = 0;
  {
    auto epoch = DocumentsEpoch::For(dir.File("x.db"));
    old_value = epoch->value();
  }
  EXPECT_NE(DocumentsEpoch::For(dir.File("x.db"))->value(), old_value);
}

}  // namespace
}  // namespace hbf::db
