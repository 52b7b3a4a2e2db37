// The VFS every hbf connection opens through: SQLite's own "unix" VFS, each
// file it opens given a copy of its methods whose shared-memory barrier is a
// memory fence alone.
//
// Why: SQLite's unixShmBarrier() follows its fence with an enter and leave
// of the unix VFS's one process-wide mutex ("for redundancy", its comment
// says), and WAL mode calls it as every read transaction starts and as every
// commit publishes. The same mutex is held while any connection in the
// process opens or closes a file (a stat(), and walks of every open file's
// inode record) or makes a -shm (an open, an ftruncate and a lock on the
// filesystem). So every query of every henv on every thread queued behind
// any henv's open: over 10,000 henvs met for the first time, most handler
// threads were found waiting in unixShmBarrier. With GCC the fence SQLite
// issues before the mutex (__sync_synchronize) is a full barrier, which is
// all a barrier owes its callers; the mutex orders nothing more.
//
// Its WAL index (the -shm file's memory and locks) is hbf's own
// (db/wal_index.h): the unix VFS's file layout and lock protocol, with a
// reader slot's lock kept between this process's readers instead of taken
// and dropped with two fcntl() calls for each read.
//
// Running as root, the unix VFS's chown of each -wal it opens (to the
// database's owner) is skipped when the file has that owner already: its
// "fchown" system call is replaced, process-wide (a chown to the same owner
// still journals a change of the inode, at every henv's open).
//
// Everything else is the unix VFS's own code and behaviour, on disk and in
// the locks other processes (Litestream, the sqlite3 shell) see.
//
// Thread safety: InstallVfsOnce from any thread (std::call_once); it must run
// after any sqlite3_config() call, because sqlite3_vfs_find initialises
// SQLite. Files are opened and their methods looked up from any thread.
#pragma once

namespace hbf::db {

inline constexpr char kVfsName[] = "hbf-unix";

// Registers the VFS, as SQLite's default, once per process. Without the
// "unix" VFS (not a build hbf runs on) it registers nothing and connections
// open through SQLite's default as before.
void InstallVfsOnce();

// Lets go of the reader slots' locks this process keeps with no reader
// here using them and not taken since the previous call (db/wal_index.h),
// and stops a file keeping any while another process holds its write lock
// (one F_GETLK for each file still keeping one). Any thread; the henv
// manager's janitor, every tick.
void ReleaseKeptWalIndexLocks();

}  // namespace hbf::db
