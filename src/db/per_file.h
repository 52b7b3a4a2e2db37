// One shared object per database file path, for this process: what every
// connection to the same file must agree on (its documents epoch, its write
// gate). The same object for the same path while anyone holds it; a fresh
// one after that.
//
// Thread safety: PerFile<T>::For from any thread; it takes a registry lock
// per T, once when a connection opens, never per statement.
#pragma once

#include <iterator>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace hbf::db {

template <typename T>
class PerFile {
 public:
  static std::shared_ptr<T> For(const std::string& path) {
    static std::mutex mu;
    static std::unordered_map<std::string, std::weak_ptr<T>> objects;
    std::lock_guard lock(mu);
    std::weak_ptr<T>& slot = objects[path];
    if (std::shared_ptr<T> live = slot.lock()) return live;
    auto made = std::make_shared<T>();
    slot = made;
    // Forget the paths nobody holds any more, now and then (bounded by the
    // files opened since the last sweep).
    if (objects.size() > 64 && objects.size() % 64 == 0) {
      for (auto it = objects.begin(); it != objects.end();) {
        it = it->second.expired() ? objects.erase(it) : std::next(it);
      }
    }
    return made;
  }
};

}  // namespace hbf::db
