#include "henv/folder_watch.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>

#include "core/log.h"
#include "core/thread_name.h"

namespace hbf {
namespace {

constexpr uint32_t kFolderEvents = IN_MODIFY | IN_ATTRIB | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO |
                                   IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;

}  // namespace

std::shared_ptr<FolderWatcher> FolderWatcher::Start() {
  UniqueFd inotify(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  UniqueFd stop(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (inotify.get() < 0 || stop.get() < 0) {
    Log(LogLevel::kWarn, std::string("no inotify (") + std::strerror(errno) +
                             "): dormant henvs look at their files with stat calls");
    return nullptr;
  }
  auto watcher = std::make_shared<FolderWatcher>(Key(), std::move(inotify), std::move(stop));
  watcher->thread_ = std::thread([w = watcher.get()] { w->Run(); });
  NameThread(watcher->thread_, "hbf-folder-watch");
  return watcher;
}

FolderWatcher::FolderWatcher(Key, UniqueFd inotify, UniqueFd stop)
    : inotify_(std::move(inotify)), stop_(std::move(stop)) {}

FolderWatcher::~FolderWatcher() {
  if (thread_.joinable()) {
    const uint64_t one = 1;
    (void)!::write(stop_.get(), &one, sizeof one);
    thread_.join();
  }
}

std::unique_ptr<FolderWatcher::Watch> FolderWatcher::Add(const std::string& folder, const std::string& file) {
  std::lock_guard lock(mu_);
  // (Under mu_: the thread finds the watch as soon as its first event.)
  const int wd = ::inotify_add_watch(inotify_.get(), folder.c_str(), kFolderEvents);
  if (wd < 0) return nullptr;
  Watched& watched = watched_[wd];
  if (watched.users++ == 0) {
    watched.id = next_id_++;
    watched.file = file;
    watched.wal = file + "-wal";
    watched.counter = std::make_shared<std::atomic<uint64_t>>(0);
  }
  return std::make_unique<Watch>(Watch::Key(), shared_from_this(), wd, watched.id, watched.counter);
}

FolderWatcher::Watch::~Watch() { watcher_->Remove(wd_, id_); }

void FolderWatcher::Remove(int wd, uint64_t id) {
  std::lock_guard lock(mu_);
  auto it = watched_.find(wd);
  if (it == watched_.end() || it->second.id != id || --it->second.users > 0) return;
  watched_.erase(it);
  (void)::inotify_rm_watch(inotify_.get(), wd);
}

void FolderWatcher::Run() {
  // Events are small (a header and a name): a page holds dozens.
  alignas(inotify_event) char buffer[16 * 1024];
  pollfd fds[2] = {{inotify_.get(), POLLIN, 0}, {stop_.get(), POLLIN, 0}};
  for (;;) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      Log(LogLevel::kError, std::string("the folder watch stopped (dormant henvs look at their files instead): ") +
                                std::strerror(errno));
      failed_.store(true, std::memory_order_release);
      return;
    }
    if ((fds[1].revents & POLLIN) != 0) return;
    for (;;) {
      const ssize_t n = ::read(inotify_.get(), buffer, sizeof buffer);
      if (n <= 0) break;  // (EAGAIN: all read)
      std::lock_guard lock(mu_);
      for (size_t at = 0; at + sizeof(inotify_event) <= static_cast<size_t>(n);) {
        const auto* event = reinterpret_cast<const inotify_event*>(buffer + at);
        at += sizeof(inotify_event) + event->len;
        events_read_.fetch_add(1, std::memory_order_relaxed);
        if ((event->mask & IN_Q_OVERFLOW) != 0) {
          for (auto& [wd, watched] : watched_) watched.counter->fetch_add(1, std::memory_order_release);
          continue;
        }
        auto it = watched_.find(event->wd);
        if (it == watched_.end()) continue;
        const Watched& watched = it->second;
        // A name for an event on a file in the folder; none for the folder
        // itself (moved, deleted, or its watch gone with it: IN_IGNORED).
        bool counts = event->len == 0;
        if (!counts) {
          const char* name = event->name;
          counts = watched.file == name || watched.wal == name;
        }
        if (counts) watched.counter->fetch_add(1, std::memory_order_release);
        // The kernel let the watch go (the folder was deleted or its file
        // system unmounted): its descriptor may come back for another
        // folder, which must not find this entry. Its watches keep their
        // counter (moved on: they look from now on).
        if ((event->mask & IN_IGNORED) != 0) watched_.erase(it);
      }
    }
  }
}

}  // namespace hbf
