// The WAL index (SQLite's "-shm" file): its shared memory and its locks, for
// every connection hbf's VFS opens (db/vfs.h). Internal to src/db.
//
// What it is: the unix VFS's own wal-index methods (xShmMap, xShmLock,
// xShmUnmap), written again with one difference in the locks. The file, its
// 32 KiB regions, its lock bytes (120-127) and dead-man switch (128), and
// when a first opener resets it are the unix VFS's, so another process
// (Litestream, the sqlite3 shell, Python) using SQLite's own VFS on the same
// file shares the index and its locks with hbf as before. (How: a file of
// one region is written with zeros in place rather than cut to 3 bytes and
// extended again, the same index to every reader; wal_index.cpp,
// TakeDeadManSwitch.)
//
// The first difference: a read lock (bytes 123-127, the WAL's reader slots) that
// this process's last reader lets go of is kept, as a POSIX lock on the
// file, until a ReleaseKeptWalIndexLocks() (db/vfs.h; the henv manager's
// janitor, every 5 s by default) finds it not taken since the one before. The next reader in this process that
// takes the same slot then makes no system call; a reader that must move
// the slot to a newer commit upgrades the kept lock and downgrades it
// again (two calls where the unix VFS makes three). Why: a read took two
// fcntl() calls and an autocommit write six (bench/README.md, thirty-
// seventh session), each ~1.2 us on the 2-core VM, and every one of them
// takes the -shm inode's lock-list spinlock in the kernel, shared by every
// thread of every process using the file.
//
// What a kept lock means to other processes: a reader of the slot's
// snapshot, which it may not be for up to two janitor ticks. Slot 0 (the
// readers of a WAL wholly copied into the database) kept stops another
// process's checkpoint copying anything; it is taken only while there is
// nothing to copy, and once a commit adds frames this process's readers
// move to the other slots and it goes within two ticks. A checkpoint in
// another process copies pages up to the kept slot's mark (a recent
// commit's) instead of all of them, and a RESTART or TRUNCATE checkpoint
// there holds the write lock and waits (its busy handler) for every slot
// to be free. So a file keeps nothing from the moment the system refuses
// this process a lock, or a janitor tick finds another process holding
// the write lock, until a tick finds neither. This process's own
// checkpoints and WAL restarts see kept locks as free: kept locks never
// hold back this process's own work.
//
// The second: sole mode. A file this process writes often (16 write locks
// within a second) while no other process has it open holds all eight lock
// bytes F_WRLCK at the system level, taken in one call, and every lock
// call here is then settled among this process's connections alone, with
// no system call: an autocommit write made four fcntl() calls (the write
// lock taken and let go, the reader slot's mark moved: up, down), ~1.2 us
// each on the 2-core VM and, under the write lock, each one more time that
// the henv's other writers wait (bench/README.md, fortieth session). A
// thread (hbf-wal-keeper) looks at each sole file every 100 ms: once
// another process has it open (it holds the dead-man switch, as every
// SQLite connection does while it has the index mapped), or nothing here
// took a lock since the last look, the system locks go back to what this
// process's connections hold, and the file does not go sole again for a
// second. What another process sees meanwhile: every lock byte taken. Its
// reader retries (SQLite's own backoff, ~10 s in all before it gives up)
// and gets in within ~100 ms of attaching; a writer's transaction starts
// with that read, so it waits as well; only a lock asked for at once, with
// no read first and no busy timeout, is refused (SQLITE_BUSY). A process
// that keeps the file open (Litestream) keeps every file it has open out
// of sole mode.
//
// A -shm that cannot be opened for writing (a read-only mount) is left to
// the unix VFS's methods, which read it read-only: the same for every
// connection to that file in this process, since the decision follows from
// the file's mode.
//
// Thread safety: each node (one per -shm file in this process) has a mutex
// held for each lock call on it and for mapping; a registry mutex is held
// while a node is found, made or dropped, and by ReleaseKeptWalIndexLocks
// only while it copies the list of nodes (it walks the copy without it).
// The keeper's list of sole files has a mutex of its own, taken after a
// node's (a file going sole adds itself) and never held while a node's is
// taken (the keeper copies the list, then locks each node alone).
// A connection's own state (WalIndexClient) is its connection's: SQLite
// calls these methods from the thread that uses the connection.
#pragma once

#include <sqlite3.h>

#include <cstddef>
#include <cstdint>

namespace hbf::db::internal {

struct WalIndexNode;

// A connection's side of the WAL index, stored after the unix VFS's own
// file object (hbf's VFS asks SQLite for room for both).
struct WalIndexClient {
  const sqlite3_io_methods* unix_methods = nullptr;  // the unix VFS's table for this file
  const char* db_path = nullptr;                     // SQLite's, valid until xClose
  WalIndexNode* node = nullptr;                      // null until the first xShmMap
  uint8_t shared_mask = 0;                           // lock bytes this connection holds shared
  uint8_t exclusive_mask = 0;                        // and exclusive
  bool unix_shm = false;                             // left to the unix VFS (a read-only -shm)
};

WalIndexClient* ClientOf(sqlite3_file* file);
void SetClientOffset(size_t offset);  // once, before any file opens

int ShmMap(sqlite3_file* file, int region, int region_bytes, int extend, void volatile** out);
int ShmLock(sqlite3_file* file, int offset, int n, int flags);
int ShmUnmap(sqlite3_file* file, int delete_flag);

// The database file's size, without a system call, while it cannot have
// changed. SQLite asks for it (an fstat) at every read transaction while
// the WAL index knows no size of its own (a file opened with an empty WAL,
// read and not written since): one fstat a read, ~1.1 us on the 2-core VM.
// A connection reading under slot 0 (the WAL wholly copied, the file read
// itself) knows the file unchanged since a size read in the same unbroken
// hold of slot 0 by this process: every checkpoint, here or in another
// process, writes the file only while holding slot 0 exclusive. KnownDbSize
// gives that size (true), or the epoch to hand RememberDbSize with the size
// read from the file (kNoDbSizeEpoch: not this connection's to know).
inline constexpr uint64_t kNoDbSizeEpoch = UINT64_MAX;
bool KnownDbSize(const WalIndexClient& client, sqlite3_int64* size, uint64_t* epoch);
void RememberDbSize(const WalIndexClient& client, uint64_t epoch, sqlite3_int64 size);

// For tests: how many lock bytes this process keeps without a user, in
// all; how many sizes were read from a file for KnownDbSize to know.
size_t KeptWalIndexLocksForTesting();
size_t DbSizesReadForTesting();
// For tests: fcntl(F_SETLK) calls this thread made on lock bytes; how many
// files are in sole mode now.
uint64_t SystemLockCallsOnThisThreadForTesting();
size_t SoleWalIndexFilesForTesting();

}  // namespace hbf::db::internal
