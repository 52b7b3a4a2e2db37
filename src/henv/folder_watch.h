// Counts changes to henvs' files as the kernel reports them (inotify), so
// that a dormant henv knows its file unchanged without looking at it.
//
// Why: a dormant henv (its connection closed) trusts what it cached from
// its file (settings, code version, a bind's reads) only while the file
// looks as it did at the close, and it looks (two stat calls: the file and
// its WAL) whenever its last look is older than
// Henv::kForeignCommitCheckInterval; HenvManager also looks once a second
// that the file is still there. Over 10,000 henvs, where most requests
// meet a dormant henv whose last look is a second old, that was 1.62 stat
// calls a request (bench/README.md), each a path walk and, on a
// paravirtualised VM, a costly syscall. A watch on the henv's folder says
// the same with no call: nothing was created, written, truncated, touched,
// moved or deleted there since.
//
// How: one inotify instance and one thread reading it. Add(folder, file)
// watches the folder (IN_MODIFY, IN_ATTRIB, IN_CREATE, IN_DELETE, IN_MOVED_*,
// IN_DELETE_SELF, IN_MOVE_SELF) and returns a Watch whose changes() counts
// the events naming `file` or its WAL (`file`-wal), and those of the folder
// itself; an overflowed queue counts one for every watch. The -shm file is
// left out: SQLite writes it through a mapping, which no event reports, and
// a look does not compare it either. The thread counts an event once the
// kernel has queued it and the thread has run (microseconds; the looks it
// stands in for were allowed kForeignCommitCheckInterval). Where the
// system refuses a watch (fs.inotify.max_user_watches) Add returns null,
// and the henv looks as before.
//
// Thread safety: Add() and a Watch's destruction from any thread; a
// Watch's changes() is one atomic load. A Watch holds its watcher.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "core/unique_fd.h"

namespace hbf {

class FolderWatcher : public std::enable_shared_from_this<FolderWatcher> {
 public:
  // Starts the watcher's thread; null (logged once) when the system has no
  // inotify for this process.
  static std::shared_ptr<FolderWatcher> Start();
  ~FolderWatcher();
  FolderWatcher(const FolderWatcher&) = delete;
  FolderWatcher& operator=(const FolderWatcher&) = delete;

  class Watch {
   public:
    ~Watch();
    Watch(const Watch&) = delete;
    Watch& operator=(const Watch&) = delete;
    // Events for its file, its WAL and its folder counted so far.
    uint64_t changes() const { return counter_->load(std::memory_order_acquire); }
    // Whether no event was counted since changes() was `then`, and the
    // watcher is still reading them (false once it failed: look instead).
    bool UnchangedSince(uint64_t then) const {
      return changes() == then && !watcher_->failed_.load(std::memory_order_acquire);
    }

    // (FolderWatcher::Add's only: Key is private to it)
    struct Key {
     private:
      friend class FolderWatcher;
      Key() = default;
    };
    Watch(Key, std::shared_ptr<FolderWatcher> watcher, int wd, uint64_t id,
          std::shared_ptr<std::atomic<uint64_t>> counter)
        : watcher_(std::move(watcher)), wd_(wd), id_(id), counter_(std::move(counter)) {}

   private:
    std::shared_ptr<FolderWatcher> watcher_;
    int wd_;
    uint64_t id_;  // the watched entry's (a descriptor the kernel let go may come back for another folder)
    std::shared_ptr<std::atomic<uint64_t>> counter_;
  };
  // A watch on `folder` for `file` (a name in it) and its WAL; null when
  // the system refuses it. Two watches on one folder share its count.
  std::unique_ptr<Watch> Add(const std::string& folder, const std::string& file);

  // Events counted, for tests: how many the thread has read so far.
  uint64_t events_read() const { return events_read_.load(std::memory_order_acquire); }

  // (Start's only: Key is private to it)
  struct Key {
   private:
    friend class FolderWatcher;
    Key() = default;
  };
  FolderWatcher(Key, UniqueFd inotify, UniqueFd stop);

 private:
  void Run();
  void Remove(int wd, uint64_t id);

  UniqueFd inotify_;
  UniqueFd stop_;  // an eventfd: written once, by the destructor
  struct Watched {
    uint64_t id = 0;
    std::string file, wal;
    std::shared_ptr<std::atomic<uint64_t>> counter;
    int users = 0;
  };
  std::mutex mu_;
  // By watch descriptor; an entry goes when its last Watch does or when
  // the kernel drops its watch (the folder gone). Guarded by mu_.
  std::unordered_map<int, Watched> watched_;
  uint64_t next_id_ = 1;  // guarded by mu_
  std::atomic<bool> failed_{false};
  std::atomic<uint64_t> events_read_{0};
  std::thread thread_;
};

}  // namespace hbf
