// A connection's hooks into SQLite (Database's private members that
// install and serve them): the pre-update hook (change capture, documents
// written), the busy handler and WAL hook (write_gate.h), and what runs
// after each statement.
//
// sqlite3.h declares the pre-update hook only under this macro; Debian's
// libsqlite3 is built with it (its session extension needs it).
#define SQLITE_ENABLE_PREUPDATE_HOOK 1
#include "db/connection_hooks.h"

#include <sqlite3.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "db/change_capture.h"

namespace hbf::db {

void Database::CaptureChanges(std::shared_ptr<ChangeListener> listener, std::string source) {
  if (capture_ || !listener || db_ == nullptr) return;
  capture_ = std::make_unique<ChangeCapture>(std::move(listener), std::move(source));
  capture_->Install(db_);
  InstallRowHook();
  row_hook_->capture = capture_.get();
}

void Database::WatchDocumentWrites() {
  if (db_ == nullptr || (row_hook_ && row_hook_->watch_documents)) return;
  InstallRowHook();
  row_hook_->watch_documents = true;
  if (path_ != ":memory:") row_hook_->documents_epoch = DocumentsEpoch::For(path_);
}

bool Database::TakeDocumentsWritten() {
  if (!row_hook_) return false;
  return std::exchange(row_hook_->documents_written, false);
}

namespace {

extern "C" void RowHookCallback(void* ctx, sqlite3* db, int op, const char* db_name, const char* table,
                                sqlite3_int64 old_rowid, sqlite3_int64 new_rowid) {
  auto* hook = static_cast<Database::RowHook*>(ctx);
  if (hook->watch_documents && !(hook->transaction_documents && hook->documents_written) && table != nullptr &&
      db_name != nullptr &&
      std::strcmp(table, "documents") == 0 && std::strcmp(db_name, "main") == 0) {
    hook->documents_written = true;
    hook->transaction_documents = true;
  }
  if (hook->capture != nullptr) hook->capture->OnPreUpdate(db, op, db_name, table, old_rowid, new_rowid);
}

}  // namespace

void Database::SetBusyTimeout(int ms) {
  if (db_ == nullptr) return;
  if (busy_wait_) {
    busy_wait_->timeout = std::chrono::milliseconds(std::max(0, ms));
  } else {
    sqlite3_busy_timeout(db_, ms);
  }
}

void Database::WaitAtWriteGate(int timeout_ms, bool writable) {
  busy_wait_ = std::make_unique<BusyWait>();
  busy_wait_->gate = WriteGate::For(path_);
  busy_wait_->timeout = std::chrono::milliseconds(std::max(0, timeout_ms));
  // SQLite's busy handler: true while it should look at the lock again
  // (as sqlite3_busy_timeout's, it gives up once `timeout` has passed).
  sqlite3_busy_handler(
      db_,
      [](void* state, int count) -> int {
        auto& wait = *static_cast<BusyWait*>(state);
        const auto now = std::chrono::steady_clock::now();
        if (count == 0) wait.give_up = now + wait.timeout;
        if (now >= wait.give_up) return 0;
        const auto left = std::chrono::duration_cast<std::chrono::microseconds>(wait.give_up - now);
        wait.gate->Wait(std::min(left + std::chrono::microseconds(1), WriteGateSlice(count)), /*spin_first=*/count == 0);
        return 1;
      },
      busy_wait_.get());
  if (!writable) return;
  // Called by SQLite after each commit, its write lock let go. Setting it
  // replaces the WAL's automatic checkpoint, done here instead
  // (WriteGate::CheckpointDue says when and why).
  sqlite3_wal_hook(
      db_,
      [](void* state, sqlite3* db, const char* name, int pages) -> int {
        auto& wait = *static_cast<BusyWait*>(state);
        wait.gate->Committed();
        if (!wait.gate->CheckpointDue(pages)) return SQLITE_OK;
        const std::chrono::milliseconds timeout = wait.timeout;
        wait.timeout = std::min(timeout, WriteGate::kCheckpointWait);
        int wal_pages = 0;
        int copied = 0;
        const int rc = sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_RESTART, &wal_pages, &copied);
        wait.timeout = timeout;
        wait.gate->CheckpointDone(pages, rc == SQLITE_OK);
        return SQLITE_OK;
      },
      busy_wait_.get());
}

void Database::InstallRowHook() {
  if (row_hook_) return;
  row_hook_ = std::make_unique<RowHook>();
  sqlite3_preupdate_hook(db_, RowHookCallback, row_hook_.get());
}

void Database::AfterStatement() {
  if (capture_ && db_ != nullptr) capture_->AfterStatement(db_);
  // The transaction that changed documents is over (back in autocommit):
  // committed, its rows are what readers see from now on.
  if (row_hook_ && row_hook_->transaction_documents && db_ != nullptr && sqlite3_get_autocommit(db_) != 0) {
    row_hook_->transaction_documents = false;
    if (row_hook_->documents_epoch) row_hook_->documents_epoch->Bump();
  }
}

}  // namespace hbf::db
