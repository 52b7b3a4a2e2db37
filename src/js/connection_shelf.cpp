#include "js/connection_shelf.h"

#include <new>
#include <utility>

namespace hbf::js {

ConnectionShelf::ConnectionShelf(size_t capacity, Clock::duration max_idle)
    : capacity_(capacity), max_idle_(max_idle) {}

ConnectionShelf::~ConnectionShelf() = default;

void ConnectionShelf::Put(HeldConnection held) noexcept {
  db::Database& db = held.db;
  if (capacity_ == 0 || !db.is_open() || db.path().empty() || db.path() == ":memory:" || db.storage_read_only() ||
      !db.Quiescent()) {
    return;  // (closed here, with `held`)
  }
  db.ClearDeadline();
  db.ReleaseMemory();
  std::list<Kept> evicted;  // closed after the lock
  try {
    // (made before the lock: the only allocation here)
    std::list<Kept> node;
    node.push_back(Kept{std::move(db), held.listener.get(), Clock::now()});
    std::lock_guard lock(mu_);
    kept_.splice(kept_.begin(), node);
    while (kept_.size() > capacity_) evicted.splice(evicted.end(), kept_, std::prev(kept_.end()));
  } catch (const std::bad_alloc&) {
    // Not kept: closed (a destroyed worker's destructor calls this).
  }
}

std::optional<db::Database> ConnectionShelf::Take(const std::string& path,
                                                  const std::shared_ptr<db::ChangeListener>& listener) {
  std::list<Kept> found;
  {
    std::lock_guard lock(mu_);
    for (auto it = kept_.begin(); it != kept_.end(); ++it) {
      if (it->db.path() == path && it->listener == listener.get()) {
        found.splice(found.end(), kept_, it);
        break;
      }
    }
  }
  if (found.empty()) return std::nullopt;
  // A file deleted or replaced since: closed (with `found`), and the caller
  // opens what is at the path now.
  if (found.front().db.FileMoved()) return std::nullopt;
  {
    std::lock_guard lock(mu_);
    ++taken_;
  }
  return std::move(found.front().db);
}

void ConnectionShelf::CloseIdle() {
  std::list<Kept> candidates;
  const Clock::time_point cutoff = Clock::now() - max_idle_;
  {
    std::lock_guard lock(mu_);
    if (kept_.empty()) return;
    candidates.swap(kept_);
  }
  // Looked at without the lock (a stat each): what stays goes back, behind
  // anything kept meanwhile, which is newer.
  std::list<Kept> stay;
  std::list<Kept> closing;
  for (auto it = candidates.begin(); it != candidates.end();) {
    auto next = std::next(it);
    if (it->since < cutoff || it->db.FileMoved()) {
      closing.splice(closing.end(), candidates, it);
    } else {
      stay.splice(stay.end(), candidates, it);
    }
    it = next;
  }
  std::list<Kept> evicted;
  {
    std::lock_guard lock(mu_);
    kept_.splice(kept_.end(), stay);
    while (kept_.size() > capacity_) evicted.splice(evicted.end(), kept_, std::prev(kept_.end()));
  }
}

size_t ConnectionShelf::size() const {
  std::lock_guard lock(mu_);
  return kept_.size();
}

uint64_t ConnectionShelf::taken() const {
  std::lock_guard lock(mu_);
  return taken_;
}

}  // namespace hbf::js
