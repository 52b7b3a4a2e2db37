#include "db/documents_epoch.h"

#include <mutex>
#include <unordered_map>

namespace hbf::db {
namespace {

std::atomic<uint64_t> next_value{1};

uint64_t Fresh() { return next_value.fetch_add(1, std::memory_order_relaxed); }

}  // namespace

DocumentsEpoch::DocumentsEpoch() : value_(Fresh()) {}

void DocumentsEpoch::Bump() { value_.store(Fresh(), std::memory_order_release); }

std::shared_ptr<DocumentsEpoch> DocumentsEpoch::For(const std::string& path) {
  static std::mutex mu;
  static std::unordered_map<std::string, std::weak_ptr<DocumentsEpoch>> epochs;
  std::lock_guard lock(mu);
  std::weak_ptr<DocumentsEpoch>& slot = epochs[path];
  if (std::shared_ptr<DocumentsEpoch> live = slot.lock()) return live;
  auto made = std::make_shared<DocumentsEpoch>();
  slot = made;
  // Forget the paths nobody holds any more, now and then (bounded by the
  // files opened since the last sweep).
  if (epochs.size() > 64 && epochs.size() % 64 == 0) {
    for (auto it = epochs.begin(); it != epochs.end();) {
      it = it->second.expired() ? epochs.erase(it) : std::next(it);
    }
  }
  return made;
}

}  // namespace hbf::db
