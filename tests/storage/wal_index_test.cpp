// Specification of hbf's WAL index (src/db/wal_index.h): the unix VFS's
// -shm file and lock protocol, shared with other processes that use SQLite's
// own VFS, with reader slots' locks kept between this process's readers and
// every lock byte held while this process alone writes the file (sole).
#include "db/wal_index.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "db/database.h"
#include "db/vfs.h"
#include "storage_test_util.h"

extern char** environ;

namespace hbf::db {
namespace {

using testing_storage::Describe;
using testing_storage::MoveBetweenAccounts;
using testing_storage::ScalarInt;
using testing_storage::ScalarText;
using testing_storage::TempDir;

Database OpenOrDie(const std::string& path) {
  auto r = Database::Open(path, {});
  if (!r.ok()) {
    ADD_FAILURE() << "cannot open " << path << ": " << Describe(r);
    std::abort();
  }
  return std::move(r).value();
}

// The unix VFS's lock bytes in the -shm file (os_unix.c): 120 + slot, and
// the dead-man switch at 128. Reader slots are slots 3-7.
constexpr int kWriteLockByte = 120;
constexpr int kFirstReaderByte = 123;
constexpr int kLastReaderByte = 127;
constexpr int kDeadManSwitchByte = 128;

// The lock another process finds on one byte of `path`: F_UNLCK, F_RDLCK
// or F_WRLCK (F_GETLK sees only other processes' locks, so a child asks).
int LockSeenFromAnotherProcess(const std::string& path, int byte) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) ::_exit(100);
    struct flock probe{};
    probe.l_type = F_WRLCK;
    probe.l_whence = SEEK_SET;
    probe.l_start = byte;
    probe.l_len = 1;
    if (::fcntl(fd, F_GETLK, &probe) != 0) ::_exit(101);
    ::_exit(probe.l_type == F_UNLCK ? 0 : probe.l_type == F_RDLCK ? 1 : 2);
  }
  int status = 0;
  if (pid < 0 || ::waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return -1;
  switch (WEXITSTATUS(status)) {
    case 0: return F_UNLCK;
    case 1: return F_RDLCK;
    case 2: return F_WRLCK;
    default: return -1;
  }
}

int ReaderSlotsSeenLocked(const std::string& shm) {
  int locked = 0;
  for (int byte = kFirstReaderByte; byte <= kLastReaderByte; ++byte) {
    const int seen = LockSeenFromAnotherProcess(shm, byte);
    EXPECT_NE(seen, -1) << "byte " << byte;
    EXPECT_NE(seen, F_WRLCK) << "byte " << byte << ": no one writes a mark now";
    if (seen == F_RDLCK) ++locked;
  }
  return locked;
}

// Another process holding a lock of `type` on `byte` of `path` (as SQLite's
// own VFS would, through a descriptor of its own) until Release() or the
// end of the scope.
class LockHeldByAnotherProcess {
 public:
  LockHeldByAnotherProcess(const std::string& path, short type, int byte) {
    int ready[2];
    if (::pipe(ready) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
      struct flock lock{};
      lock.l_type = type;
      lock.l_whence = SEEK_SET;
      lock.l_start = byte;
      lock.l_len = 1;
      const char ok = (fd >= 0 && ::fcntl(fd, F_SETLK, &lock) == 0) ? 'y' : 'n';
      (void)!::write(ready[1], &ok, 1);
      for (;;) ::pause();
    }
    char ok = 0;
    held_ = pid_ > 0 && ::read(ready[0], &ok, 1) == 1 && ok == 'y';
    ::close(ready[0]);
    ::close(ready[1]);
  }
  ~LockHeldByAnotherProcess() { Release(); }
  LockHeldByAnotherProcess(const LockHeldByAnotherProcess&) = delete;
  LockHeldByAnotherProcess& operator=(const LockHeldByAnotherProcess&) = delete;

  // Whether the other process took the lock.
  bool held() const { return held_; }
  // The other process ends, and its lock with it.
  void Release() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
  bool held_ = false;
};

struct Python {
  int exit_code = -1;
  std::string out;
};

// Runs python3 (SQLite's own unix VFS, another process) on `script` with
// `args`, at most `limit`; its stdout comes back.
Python RunPython(const TempDir& dir, const std::string& script, const std::vector<std::string>& args,
                 std::chrono::seconds limit = std::chrono::seconds(60)) {
  Python result;
  const std::string out_path = dir.File("python.out");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::vector<std::string> argv_strings = {"python3", "-c", script};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int spawned = posix_spawnp(&pid, "python3", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    ADD_FAILURE() << "cannot run python3";
    return result;
  }
  const auto give_up = std::chrono::steady_clock::now() + limit;
  int status = 0;
  for (;;) {
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (std::chrono::steady_clock::now() > give_up) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      ADD_FAILURE() << "python3 ran past " << limit.count() << " s";
      return result;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream in(out_path);
  std::stringstream text;
  text << in.rdbuf();
  result.out = text.str();
  return result;
}

// A file with one row in table t, and its -shm's path.
struct OneRowFile {
  TempDir dir;
  std::string path = dir.File("a.db");
  std::string shm = path + "-shm";
  Database db = OpenOrDie(path);
  OneRowFile() { EXPECT_TRUE(db.Exec("CREATE TABLE t(x); INSERT INTO t VALUES (1)").ok()); }
};

// The janitor's ticks: a kept slot goes at the first that finds it not
// taken since the one before.
void TwoTicks() {
  ReleaseKeptWalIndexLocks();
  ReleaseKeptWalIndexLocks();
}

// The first process to attach resets the index a process that ended
// without closing left behind: its header, though well formed, may be older
// than the WAL, and trusting it would hide what was written since. Another
// process (SQLite's own VFS) writes a row, keeps a copy of the index as it
// is then, writes a second row and ends without closing (no checkpoint: both
// rows only in the WAL); the stale copy is put back. This process's first
// connection must read both rows (the index rebuilt from the WAL), whether
// the index was cut (a file of several regions) or zeroed in place (one
// region, the usual size: wal_index.cpp, TakeDeadManSwitch).
TEST(WalIndexTest, AnIndexLeftByAProcessThatEndedIsResetByTheFirstToAttach) {
  const std::string writer =
      "import os, shutil, sqlite3, sys\n"
      "path, regions = sys.argv[1], int(sys.argv[2])\n"
      "db = sqlite3.connect(path, isolation_level=None)\n"
      "db.execute('PRAGMA journal_mode=WAL')\n"
      "db.execute('PRAGMA wal_autocheckpoint=0')\n"
      "db.execute('CREATE TABLE t(x)')\n"
      "db.execute('INSERT INTO t VALUES (1)')\n"
      "if regions > 1:\n"
      "    db.execute('CREATE TABLE filler(b)')\n"
      "    for i in range(5000): db.execute('INSERT INTO filler VALUES (?)', (os.urandom(64),))\n"
      "shutil.copyfile(path + '-shm', path + '-stale')\n"
      "db.execute('INSERT INTO t VALUES (2)')\n"
      "print(os.path.getsize(path + '-shm'), os.path.getsize(path + '-wal'), flush=True)\n"
      "os._exit(0)\n";
  for (const int regions : {1, 2}) {
    SCOPED_TRACE("regions " + std::to_string(regions));
    TempDir dir;
    const std::string path = dir.File("a.db");
    const Python wrote = RunPython(dir, writer, {path, std::to_string(regions)});
    ASSERT_EQ(wrote.exit_code, 0) << wrote.out;
    std::istringstream sizes(wrote.out);
    long shm_bytes = 0;
    long wal_bytes = 0;
    sizes >> shm_bytes >> wal_bytes;
    if (regions == 1) {
      ASSERT_EQ(shm_bytes, 32768L) << "one region";
    } else {
      ASSERT_GT(shm_bytes, 32768L) << "more than one region";
    }
    ASSERT_GT(wal_bytes, 0) << "the rows in the WAL alone";
    {
      std::ifstream stale(path + "-stale", std::ios::binary);
      std::ofstream shm(path + "-shm", std::ios::binary | std::ios::in | std::ios::out);
      shm << stale.rdbuf();
    }
    Database db = OpenOrDie(path);
    EXPECT_EQ(ScalarInt(db, "SELECT count(*) FROM t"), 2) << "both rows: the stale index was not trusted";
    ASSERT_TRUE(db.Exec("INSERT INTO t VALUES (3)").ok());
    EXPECT_EQ(ScalarInt(db, "SELECT sum(x) FROM t"), 6);
  }
}

// A reader's slot stays locked for other processes to see after the read
// (kept) while it is in use, and goes at the first janitor tick that finds
// it unused since the one before; the dead-man switch is held shared all
// along, as by SQLite's own VFS.
TEST(WalIndexTest, AReaderSlotsLockIsKeptAfterTheReadUntilReleased) {
  OneRowFile file;
  const std::string& shm = file.shm;
  Database& db = file.db;
  TwoTicks();
  EXPECT_EQ(ReaderSlotsSeenLocked(shm), 0);
  EXPECT_EQ(internal::KeptWalIndexLocksForTesting(), 0u);
  EXPECT_EQ(LockSeenFromAnotherProcess(shm, kDeadManSwitchByte), F_RDLCK);

  EXPECT_EQ(ScalarInt(db, "SELECT count(*) FROM t"), 1);
  EXPECT_EQ(ReaderSlotsSeenLocked(shm), 1) << "the read's slot, kept";
  EXPECT_EQ(internal::KeptWalIndexLocksForTesting(), 1u);

  ReleaseKeptWalIndexLocks();  // taken since the last tick: stays
  EXPECT_EQ(ReaderSlotsSeenLocked(shm), 1);
  ReleaseKeptWalIndexLocks();  // not since: goes
  EXPECT_EQ(ReaderSlotsSeenLocked(shm), 0);
  EXPECT_EQ(internal::KeptWalIndexLocksForTesting(), 0u);

  // Reads and writes go on as before, and keep a slot again.
  ASSERT_TRUE(db.Exec("INSERT INTO t VALUES (2)").ok());
  EXPECT_EQ(ScalarInt(db, "SELECT count(*) FROM t"), 2);
  EXPECT_EQ(ReaderSlotsSeenLocked(shm), 1);
  EXPECT_EQ(LockSeenFromAnotherProcess(shm, kDeadManSwitchByte), F_RDLCK);
}

// Several connections of this process share one node: a slot one kept is
// taken by the next reader without another lock, and the file's last
// connection to close lets go of everything it held.
TEST(WalIndexTest, TheLastConnectionToCloseLetsGoOfEveryLock) {
  TempDir dir;
  const std::string path = dir.File("a.db");
  const std::string shm = path + "-shm";
  Database::Options keep;
  keep.keep_wal_files = true;  // (so that the -shm stays to be looked at)
  {
    Database a = Database::Open(path, keep).value();
    Database b = Database::Open(path, keep).value();
    ASSERT_TRUE(a.Exec("CREATE TABLE t(x); INSERT INTO t VALUES (1)").ok());
    EXPECT_EQ(ScalarInt(b, "SELECT count(*) FROM t"), 1);
    EXPECT_EQ(ScalarInt(a, "SELECT count(*) FROM t"), 1);
    EXPECT_GE(ReaderSlotsSeenLocked(shm), 1);
  }
  EXPECT_EQ(ReaderSlotsSeenLocked(shm), 0);
  EXPECT_EQ(LockSeenFromAnotherProcess(shm, kDeadManSwitchByte), F_UNLCK);
  EXPECT_EQ(internal::KeptWalIndexLocksForTesting(), 0u);
}

// Another process that holds the write lock may be a checkpoint waiting
// for every reader slot to be free: once the janitor's look finds it (or
// a lock is refused to this process), no slot is kept until a look finds
// it gone.
TEST(WalIndexTest, NoSlotIsKeptWhileAnotherProcessHoldsTheWriteLock) {
  OneRowFile file;
  const std::string& shm = file.shm;
  Database& db = file.db;
  EXPECT_EQ(ScalarInt(db, "SELECT count(*) FROM t"), 1);
  EXPECT_GE(internal::KeptWalIndexLocksForTesting(), 1u);

  LockHeldByAnotherProcess writer(shm, F_WRLCK, kWriteLockByte);
  ASSERT_TRUE(writer.held());

  ReleaseKeptWalIndexLocks();  // the janitor's tick: finds the other writer
  EXPECT_EQ(ScalarInt(db, "SELECT count(*) FROM t"), 1);
  EXPECT_EQ(internal::KeptWalIndexLocksForTesting(), 0u) << "kept while another process holds the write lock";
  EXPECT_EQ(ReaderSlotsSeenLocked(shm), 0);

  writer.Release();
  ReleaseKeptWalIndexLocks();  // finds it gone
  EXPECT_EQ(ScalarInt(db, "SELECT count(*) FROM t"), 1);
  EXPECT_EQ(internal::KeptWalIndexLocksForTesting(), 1u);
  EXPECT_EQ(ReaderSlotsSeenLocked(shm), 1);
}

// A file opened with an empty WAL and only read since: SQLite asks its size
// at every read (its WAL index knows none), and it is read from the file
// once while this process holds slot 0, again once the hold was broken
// (another process could have checkpointed into it), and is right after
// another connection's writes and a TRUNCATE checkpoint.
TEST(WalIndexTest, AFileOnlyReadIsNotAskedItsSizeAtEveryRead) {
  TempDir dir;
  const std::string path = dir.File("a.db");
  {
    Database db = OpenOrDie(path);
    ASSERT_TRUE(db.Exec("CREATE TABLE t(x); INSERT INTO t VALUES (1)").ok());
  }  // (the last close copies the WAL in and removes it)
  const size_t before = internal::DbSizesReadForTesting();
  Database reader = OpenOrDie(path);  // (its open reads the schema: the first read)
  for (int i = 0; i < 20; ++i) EXPECT_EQ(ScalarInt(reader, "SELECT count(*) FROM t"), 1);
  EXPECT_EQ(internal::DbSizesReadForTesting() - before, 1u);

  TwoTicks();  // slot 0's kept lock goes: the size is asked of the file again
  EXPECT_EQ(ScalarInt(reader, "SELECT count(*) FROM t"), 1);
  EXPECT_EQ(internal::DbSizesReadForTesting() - before, 2u);

  {
    Database writer = OpenOrDie(path);
    ASSERT_TRUE(writer.Exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000) "
                            "INSERT INTO t SELECT randomblob(100) FROM n")
                    .ok());
    ASSERT_TRUE(writer.Exec("PRAGMA wal_checkpoint(TRUNCATE)").ok());
  }
  EXPECT_EQ(ScalarInt(reader, "SELECT count(*) FROM t"), 5001);
  EXPECT_EQ(ScalarText(reader, "PRAGMA integrity_check"), "ok");
}

// Another process sees a kept slot as a reader: its TRUNCATE checkpoint
// (which must have every reader out) is busy until the slot is released,
// then empties the WAL; this process reads on throughout.
TEST(WalIndexTest, AnotherProcessesTruncateWaitsForAKeptSlotAndFinishesOnceReleased) {
  TempDir dir;
  const std::string path = dir.File("a.db");
  Database db = OpenOrDie(path);
  ASSERT_TRUE(db.Exec("CREATE TABLE t(x); INSERT INTO t VALUES (1), (2), (3)").ok());
  EXPECT_EQ(ScalarInt(db, "SELECT count(*) FROM t"), 3);
  const std::string checkpoint =
      "import sqlite3, sys\n"
      "con = sqlite3.connect(sys.argv[1], timeout=0, isolation_level=None)\n"
      "busy, log, done = con.execute('PRAGMA wal_checkpoint(TRUNCATE)').fetchone()\n"
      "print(busy, log, done)\n";
  const Python kept = RunPython(dir, checkpoint, {path});
  ASSERT_EQ(kept.exit_code, 0) << kept.out;
  EXPECT_EQ(kept.out.substr(0, 2), "1 ") << kept.out;

  TwoTicks();
  const Python released = RunPython(dir, checkpoint, {path});
  ASSERT_EQ(released.exit_code, 0) << released.out;
  EXPECT_EQ(released.out, "0 0 0\n");

  EXPECT_EQ(ScalarInt(db, "SELECT count(*) FROM t"), 3);
  ASSERT_TRUE(db.Exec("INSERT INTO t VALUES (4)").ok());
  EXPECT_EQ(ScalarInt(db, "SELECT count(*) FROM t"), 4);
}

// A file with two accounts holding 1,000 each and an empty log of who
// moved money; its path.
std::string AccountsFile(const TempDir& dir) {
  const std::string path = dir.File("a.db");
  Database db = OpenOrDie(path);
  EXPECT_TRUE(db.Exec("CREATE TABLE acct(id INTEGER PRIMARY KEY, v INTEGER NOT NULL);"
                      "INSERT INTO acct VALUES (1, 1000), (2, 1000);"
                      "CREATE TABLE log(who TEXT NOT NULL)")
                  .ok());
  return path;
}

// The accounts still hold 2,000 between them, every move of each side is
// logged, and the file checks out whole.
void ExpectAccountsWhole(const std::string& path, int python_moves, int hbf_moves) {
  Database db = OpenOrDie(path);
  EXPECT_EQ(ScalarInt(db, "SELECT sum(v) FROM acct"), 2000);
  EXPECT_EQ(ScalarInt(db, "SELECT count(*) FROM log WHERE who = 'python'"), python_moves);
  EXPECT_EQ(ScalarInt(db, "SELECT count(*) FROM log WHERE who = 'hbf'"), hbf_moves);
  EXPECT_EQ(ScalarText(db, "PRAGMA integrity_check"), "ok");
}

// Waits (bounded) until `ready` holds; false if it never did.
template <typename Ready>
bool Eventually(Ready ready, std::chrono::seconds limit = std::chrono::seconds(10)) {
  const auto give_up = std::chrono::steady_clock::now() + limit;
  while (!ready()) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

// Sole mode: a file this process alone writes often holds every lock byte
// at the system level (another process sees all eight taken) and its
// reads and writes make no lock call to the system; once it stops being
// used, the keeper gives the bytes back (another process sees none taken).
TEST(WalIndexTest, AFileWrittenOftenByThisProcessAloneTakesNoSystemLocks) {
  OneRowFile file;
  Database& db = file.db;
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(db.Exec("INSERT INTO t VALUES (2)").ok());
  ASSERT_EQ(internal::SoleWalIndexFilesForTesting(), 1u);
  for (int byte = kWriteLockByte; byte <= kLastReaderByte; ++byte) {
    EXPECT_EQ(LockSeenFromAnotherProcess(file.shm, byte), F_WRLCK) << "byte " << byte;
  }
  EXPECT_EQ(LockSeenFromAnotherProcess(file.shm, kDeadManSwitchByte), F_RDLCK);

  const uint64_t before = internal::SystemLockCallsOnThisThreadForTesting();
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(db.Exec("INSERT INTO t VALUES (3)").ok());
    EXPECT_EQ(ScalarInt(db, "SELECT count(*) FROM t WHERE x = 3"), i + 1);
  }
  ASSERT_TRUE(db.Exec("PRAGMA wal_checkpoint(RESTART)").ok());
  EXPECT_EQ(internal::SystemLockCallsOnThisThreadForTesting(), before) << "lock calls went to the system";

  // Unused, it goes back to the locks its connections hold: none now.
  ASSERT_TRUE(Eventually([] { return internal::SoleWalIndexFilesForTesting() == 0; }));
  for (int byte = kWriteLockByte; byte <= kLastReaderByte; ++byte) {
    EXPECT_EQ(LockSeenFromAnotherProcess(file.shm, byte), F_UNLCK) << "byte " << byte;
  }
  EXPECT_EQ(ScalarInt(db, "SELECT count(*) FROM t"), 221);
  EXPECT_EQ(ScalarText(db, "PRAGMA integrity_check"), "ok");
}

// A file another process has open (it holds the dead-man switch, as every
// SQLite connection does with the index mapped, though no lock byte now)
// never goes sole, however often this process writes it: its locks go to
// the system at every write.
TEST(WalIndexTest, AFileAnotherProcessHasOpenIsNeverSole) {
  OneRowFile file;
  Database& db = file.db;
  LockHeldByAnotherProcess other(file.shm, F_RDLCK, kDeadManSwitchByte);
  ASSERT_TRUE(other.held());

  const uint64_t before = internal::SystemLockCallsOnThisThreadForTesting();
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(db.Exec("INSERT INTO t VALUES (2)").ok());
  EXPECT_EQ(internal::SoleWalIndexFilesForTesting(), 0u);
  EXPECT_GE(internal::SystemLockCallsOnThisThreadForTesting() - before, 100u) << "a write's locks not asked of the system";
  EXPECT_EQ(LockSeenFromAnotherProcess(file.shm, kWriteLockByte), F_UNLCK) << "the write lock held between writes";
  EXPECT_EQ(ScalarInt(db, "SELECT count(*) FROM t"), 101);
}

// Another process that opens a file this one writes alone (sole) gets in:
// its reads wait for the keeper to see it and give the bytes back, its
// writes land among this process's, which then take their locks from the
// system again; nothing is lost or torn.
TEST(WalIndexTest, AnotherProcessGetsInWhileThisOneWritesAlone) {
  TempDir dir;
  const std::string path = AccountsFile(dir);
  std::atomic<bool> stop{false};
  std::atomic<int> torn{0};
  std::atomic<int> failed{0};
  std::atomic<int> written{0};
  std::atomic<uint64_t> lock_calls{0};
  std::thread writer([&] {
    Database db = OpenOrDie(path);
    for (int i = 0; i < 200000 && !stop.load(); ++i) {
      if (MoveBetweenAccounts(db, (i % 7) - 3, "INSERT INTO log VALUES ('hbf');")) {
        written.fetch_add(1);
      } else {
        failed.fetch_add(1);
      }
      if (ScalarInt(db, "SELECT sum(v) FROM acct") != 2000) torn.fetch_add(1);
      lock_calls = internal::SystemLockCallsOnThisThreadForTesting();
      // (A moment without the write lock between writes: a writer that
      // never lets go starves another process's, sole or not.)
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });
  ASSERT_TRUE(Eventually([] { return internal::SoleWalIndexFilesForTesting() == 1; }));
  const uint64_t calls_when_sole = lock_calls.load();
  const std::string other =
      "import sqlite3, sys\n"
      "con = sqlite3.connect(sys.argv[1], timeout=10, isolation_level=None)\n"
      "torn = writes = 0\n"
      "for i in range(100):\n"
      "    con.execute('BEGIN IMMEDIATE')\n"
      "    con.execute('UPDATE acct SET v = v + 1 WHERE id = 1')\n"
      "    con.execute('UPDATE acct SET v = v - 1 WHERE id = 2')\n"
      "    con.execute(\"INSERT INTO log VALUES ('python')\")\n"
      "    con.execute('COMMIT')\n"
      "    writes += 1\n"
      "    if con.execute('SELECT sum(v) FROM acct').fetchone()[0] != 2000: torn += 1\n"
      "print(torn, writes)\n";
  const Python python = RunPython(dir, other, {path});
  stop = true;
  writer.join();
  EXPECT_EQ(python.exit_code, 0) << python.out;
  EXPECT_EQ(python.out, "0 100\n");
  EXPECT_GT(lock_calls.load(), calls_when_sole) << "this process's locks went to the system again";
  EXPECT_EQ(torn.load(), 0);
  EXPECT_EQ(failed.load(), 0);
  ExpectAccountsWhole(path, 100, written.load());
}

// This process's connections on threads and another process (SQLite's own
// VFS, RESTART checkpoints between its writes) move money between two rows
// at once: no reader on either side ever sees a sum other than 2,000, every
// write lands, and the file checks out whole.
TEST(WalIndexTest, ThisProcessAndAnotherShareTheFileWithoutTornReads) {
  TempDir dir;
  const std::string path = AccountsFile(dir);
  std::atomic<bool> python_done{false};
  std::atomic<int> torn{0};
  std::atomic<int> failed{0};
  std::atomic<int> written{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      Database db = OpenOrDie(path);
      for (int i = 0; i < 20000 && !python_done.load(); ++i) {
        if (t == 0) {
          if (MoveBetweenAccounts(db, (i % 7) - 3, "INSERT INTO log VALUES ('hbf');")) {
            written.fetch_add(1);
          } else {
            failed.fetch_add(1);
          }
        }
        if (ScalarInt(db, "SELECT sum(v) FROM acct") != 2000) torn.fetch_add(1);
        if (t == 2 && i % 100 == 0) ReleaseKeptWalIndexLocks();  // as the janitor does
      }
    });
  }
  const std::string other =
      "import sqlite3, sys\n"
      "con = sqlite3.connect(sys.argv[1], timeout=10, isolation_level=None)\n"
      "torn = writes = done = 0\n"
      "for i in range(600):\n"
      "    a = (i % 5) - 2\n"
      "    con.execute('BEGIN IMMEDIATE')\n"
      "    con.execute('UPDATE acct SET v = v + ? WHERE id = 1', (a,))\n"
      "    con.execute('UPDATE acct SET v = v - ? WHERE id = 2', (a,))\n"
      "    con.execute(\"INSERT INTO log VALUES ('python')\")\n"
      "    con.execute('COMMIT')\n"
      "    writes += 1\n"
      "    if con.execute('SELECT sum(v) FROM acct').fetchone()[0] != 2000: torn += 1\n"
      "    if i % 50 == 0:\n"
      "        con.execute('PRAGMA busy_timeout=1000')\n"  // (holds the write lock while it waits)
      "        done += con.execute('PRAGMA wal_checkpoint(RESTART)').fetchone()[0] == 0\n"
      "        con.execute('PRAGMA busy_timeout=10000')\n"
      "print(torn, writes, done)\n";
  const Python python = RunPython(dir, other, {path});
  python_done = true;
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(python.exit_code, 0) << python.out;
  // Its RESTART checkpoints finish alongside this process's readers (12 of
  // 12 in each run here; NoSlotIsKeptWhileAnotherProcessHoldsTheWriteLock
  // is the test of the pause that lets them).
  int python_torn = -1, python_writes = -1, checkpoints_done = -1;
  ASSERT_EQ(std::sscanf(python.out.c_str(), "%d %d %d", &python_torn, &python_writes, &checkpoints_done), 3)
      << python.out;
  EXPECT_EQ(python_torn, 0);
  EXPECT_EQ(python_writes, 600);
  EXPECT_GE(checkpoints_done, 1) << "of 12";
  EXPECT_EQ(torn.load(), 0);
  EXPECT_EQ(failed.load(), 0);
  ExpectAccountsWhole(path, 600, written.load());
}

// Within this process: connections open and close (the node made and
// dropped), others move money and read, and one runs RESTART checkpoints
// (which take every reader slot exclusive, kept ones included): no torn
// read, no failed write.
TEST(WalIndexTest, ConnectionsComeAndGoWhileOthersReadWriteAndCheckpoint) {
  TempDir dir;
  const std::string path = dir.File("a.db");
  {
    Database db = OpenOrDie(path);
    ASSERT_TRUE(db.Exec("CREATE TABLE acct(id INTEGER PRIMARY KEY, v INTEGER NOT NULL);"
                        "INSERT INTO acct VALUES (1, 1000), (2, 1000)")
                    .ok());
  }
  std::atomic<int> torn{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 5; ++t) {
    threads.emplace_back([&, t] {
      if (t == 4) {  // comes and goes
        for (int i = 0; i < 60; ++i) {
          Database db = OpenOrDie(path);
          if (ScalarInt(db, "SELECT sum(v) FROM acct") != 2000) torn.fetch_add(1);
        }
        return;
      }
      Database db = OpenOrDie(path);
      for (int i = 0; i < 300; ++i) {
        if (t < 2 && !MoveBetweenAccounts(db, (i % 7) - 3)) failed.fetch_add(1);
        if (t == 2 && i % 10 == 0) (void)db.Exec("PRAGMA wal_checkpoint(RESTART)");
        if (ScalarInt(db, "SELECT sum(v) FROM acct") != 2000) torn.fetch_add(1);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(torn.load(), 0);
  EXPECT_EQ(failed.load(), 0);
  Database db = OpenOrDie(path);
  EXPECT_EQ(ScalarText(db, "PRAGMA integrity_check"), "ok");
}

}  // namespace
}  // namespace hbf::db
