// Documents as an I/O loop last read them, so that the loop answers a hot
// document without the henv's connection: no lock, no read transaction, no
// file locks (App::ServeDocument on a loop, DbAccess::kNoWait).
//
// An entry is the document (with its gzip copy when that was asked for) and
// the henv's visibility rules, read together under the henv's lock. It is
// used only while
//   - the henv's documents_epoch() is the one it was read at (any commit of
//     this process that changed a document row, and every code refresh, moves
//     it on: db/documents_epoch.h),
//   - its settings_epoch() is too (the visibility rules are settings),
//   - and for at most kMaxAge: other processes' commits (the CLI, a restore
//     run beside the server) are not in the epoch, so they show after at
//     most that long, as the henv's own foreign-commit look.
// Only documents that are sent as they are (not templates) and of at most
// kMaxEntryBytes are kept, up to kBudgetBytes per loop, least recently used
// dropped first.
//
// Thread safety: none needed. One cache per I/O loop thread (ForThisThread
// is thread_local), used by that thread alone; what it checks on the henv is
// lock-free.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>

#include "documents/document_store.h"
#include "documents/visibility.h"

namespace hbf {

class DocumentCache {
 public:
  static constexpr int64_t kMaxAgeNs = 100'000'000;  // 100 ms: Henv::kForeignCommitCheckInterval
  static constexpr size_t kMaxEntryBytes = 256 << 10;
  static constexpr size_t kBudgetBytes = 4 << 20;

  struct Entry {
    docs::Document document;
    docs::VisibilityRules rules;
    uint64_t documents_epoch = 0;
    uint64_t settings_epoch = 0;
    int64_t read_at_ns = 0;  // steady clock
  };

  // The calling thread's cache (made on first use).
  static DocumentCache& ForThisThread();

  static std::string Key(const std::string& henv_hash, const std::string& id, bool gzip);

  // The entry under `key` if it is still good at these epochs and `now_ns`;
  // a stale one is dropped.
  std::shared_ptr<const Entry> Find(const std::string& key, uint64_t documents_epoch, uint64_t settings_epoch,
                                    int64_t now_ns);
  // Keeps `entry` under `key` (replacing what was there) when it is small
  // enough to; drops the least recently used entries past the budget.
  void Put(const std::string& key, std::shared_ptr<const Entry> entry);

  size_t bytes() const { return bytes_; }
  size_t size() const { return entries_.size(); }

 private:
  struct Slot {
    std::shared_ptr<const Entry> entry;
    size_t bytes = 0;
    std::list<std::string>::iterator lru;
  };
  void Drop(std::unordered_map<std::string, Slot>::iterator it);

  std::unordered_map<std::string, Slot> entries_;
  std::list<std::string> lru_;  // front = most recently used
  size_t bytes_ = 0;
};

}  // namespace hbf
