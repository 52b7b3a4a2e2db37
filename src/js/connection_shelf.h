// Internal to src/js: scripts' connections to henv files, kept after their
// worker is gone for the henv's next worker.
//
// Why: a worker opens its own sandboxed connection to its henv's file on
// its script's first query (for most apps the router's top-level
// `CREATE TABLE IF NOT EXISTS`), and a new SQLite connection parses the
// henv's whole schema: ~1.5M instructions, more than copying a blank worker
// and binding it together (bench/README.md). A server with more henvs than
// its memory budget keeps workers for makes a worker for most requests, and
// live reload makes one per henv after each edit; each paid that again.
// Here a connection outlives its worker instead, bounded in number and in
// idle time, and the henv's next worker takes it.
//
// What is kept: only a connection that is quiescent (no transaction, no
// statement part-way), on writable storage, its page cache and idle
// statements released (Database::ReleaseMemory). It stays sealed and
// limited for scripts as it was opened; the worker taking it sets again
// what is per worker (value limit, busy timeout, deadline, quota). A
// connection is handed out only for the path it was opened on, only while
// that path is still its file (Database::FileMoved: a henv deleted, or its
// file replaced by a restore, is never served from the old inode), and only
// with the change listener it reports to. The connections of one henv's
// workers are interchangeable: nothing on one is a worker's own but TEMP
// objects, which a script could already keep for its worker's life (and
// only its own henv's workers ever see them).
//
// Thread safety: every method may be called from any thread. One mutex,
// taken when a worker holding a connection is destroyed and when a new
// worker opens its first connection, never on a warm worker's request;
// connections are closed outside it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "db/change_capture.h"
#include "db/database.h"

namespace hbf::js {

// A script connection to a henv file, with the listener it reports its
// changes to, on its way from a worker to the shelf.
struct HeldConnection {
  db::Database db;
  std::shared_ptr<db::ChangeListener> listener;
};

class ConnectionShelf {
 public:
  using Clock = std::chrono::steady_clock;

  // At most `capacity` connections (0: none kept), each for at most `max_idle`.
  ConnectionShelf(size_t capacity, Clock::duration max_idle);
  ~ConnectionShelf();
  ConnectionShelf(const ConnectionShelf&) = delete;
  ConnectionShelf& operator=(const ConnectionShelf&) = delete;

  // Keeps `held` (its listener may be null) if it is fit to hand on
  // (above); else, or when the least recently kept must make room, one is
  // closed. Its deadline is cleared and its unused memory released. Never
  // throws (a worker's destructor calls it): out of memory, the connection
  // is closed.
  void Put(HeldConnection held) noexcept;

  // The most recently kept connection to `path` reporting to `listener`,
  // if one is kept and its file is still the one at `path`.
  std::optional<db::Database> Take(const std::string& path, const std::shared_ptr<db::ChangeListener>& listener);

  // Closes those kept for longer than `max_idle`, or whose file moved.
  void CloseIdle();

  size_t size() const;
  size_t capacity() const { return capacity_; }
  // Connections handed on by Take since the shelf was made.
  uint64_t taken() const;

 private:
  struct Kept {
    db::Database db;
    const db::ChangeListener* listener;
    Clock::time_point since;
  };

  const size_t capacity_;
  const Clock::duration max_idle_;
  mutable std::mutex mu_;
  std::list<Kept> kept_;  // guarded by mu_; the most recently kept first
  uint64_t taken_ = 0;    // guarded by mu_
};

}  // namespace hbf::js
