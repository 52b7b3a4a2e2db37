// Internal to src/db: the state SQLite's per-connection hooks point at
// (the pre-update hook, the busy handler, the WAL hook), kept on the heap
// by each Database so that the hooks' pointers survive moves. The hooks
// themselves are in connection_hooks.cpp.
//
// Thread safety: a connection's hooks run on the thread using it, which
// alone touches this state; what they share with other connections (the
// DocumentsEpoch, the WriteGate) says its own.
#pragma once

#include <chrono>
#include <memory>

#include "db/database.h"
#include "db/documents_epoch.h"
#include "db/write_gate.h"

namespace hbf::db {

struct Database::RowHook {
  bool watch_documents = false;
  bool documents_written = false;      // since TakeDocumentsWritten()
  bool transaction_documents = false;  // in the transaction under way
  std::shared_ptr<DocumentsEpoch> documents_epoch;  // the file's, while watching
  ChangeCapture* capture = nullptr;
};

struct Database::BusyWait {
  std::shared_ptr<WriteGate> gate;
  std::chrono::milliseconds timeout{0};
  std::chrono::steady_clock::time_point give_up{};  // of the wait under way
};

}  // namespace hbf::db
