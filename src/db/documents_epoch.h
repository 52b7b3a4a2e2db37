// A number per database file that changes after every commit, by any of
// this process's connections to the file, that changed a row of its
// `documents` table: what a cache of documents read from the file checks
// before it answers from memory (app/document_cache.h).
//
// Connections that watch their document writes (Database::
// WatchDocumentWrites) bump their file's epoch once such a transaction is
// over; owners of the file bump it themselves after writes that bypass
// rows (a restore's page copy). Commits by other processes are not seen
// here: a cache bounds how long it trusts an entry.
//
// Thread safety: For() from any thread (a registry lock, taken when a
// connection opens, never per request); value() and Bump() are lock-free.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

namespace hbf::db {

class DocumentsEpoch {
 public:
  // The epoch of the file at `path` (the same object for the same path
  // while anyone holds it; a fresh one, with a number never used before,
  // after that).
  static std::shared_ptr<DocumentsEpoch> For(const std::string& path);

  uint64_t value() const { return value_.load(std::memory_order_acquire); }
  // A number no epoch of this process has had.
  void Bump();

  DocumentsEpoch();  // (For's; public for make_shared)

 private:
  std::atomic<uint64_t> value_;
};

}  // namespace hbf::db
