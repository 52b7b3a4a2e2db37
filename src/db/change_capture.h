// Row changes committed through a connection, for live subscriptions (the
// realtime API, app/realtime.h).
//
// Database::CaptureChanges(listener, source) installs SQLite's pre-update,
// commit and rollback hooks on the connection. While a transaction writes,
// each changed row of a table in `main` is noted (table, rowid; for a
// delete, the row as it was, since it cannot be read afterwards); HBF's own
// tables and full-text internals are skipped. A rolled-back transaction's
// notes are dropped. Once a statement returns and the connection is back in
// autocommit - the commit is on disk and visible to other connections -
// the notes go to listener.OnCommitted(source, changes) on the writer's
// thread. The listener re-reads rows by rowid; what the notes name is only a
// hint of where to look (a statement rolled back inside a larger transaction
// may leave a note for a row that did not change).
//
// Cost when nobody listens: one Watching() call per write transaction, then
// nothing per row. A transaction that changes more than kMaxRowsNoted rows
// (or whose deleted rows weigh more than kMaxNotedBytes) is reported as one
// kMany change per table: "many rows changed, read again".
//
// Thread safety: a capture belongs to its connection and runs on whichever
// thread uses the connection (which is one at a time, by the connection's
// own rules). The listener is shared: its methods are called from any
// thread and must not block for long or use the writing connection.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "db/database.h"

namespace hbf::db {

struct RowChange {
  enum class Op { kInsert, kUpdate, kDelete, kMany };
  Op op = Op::kInsert;
  std::string table;
  int64_t rowid = 0;
  std::vector<Value> old_row;  // kDelete: the row's columns in table order
};

// Replaces `changes` by one kMany per table they name (first-seen order):
// what is reported once there is too much to say row by row.
void CollapseToMany(std::vector<RowChange>& changes);

class ChangeListener {
 public:
  virtual ~ChangeListener() = default;
  // Whether changes made through connections of `source` (a henv's hash)
  // are wanted now. Called once per write transaction; must be cheap.
  virtual bool Watching(std::string_view source) const = 0;
  // The changes of one or more committed transactions, in commit order.
  virtual void OnCommitted(const std::string& source, std::vector<RowChange> changes) = 0;
};

class ChangeCapture {
 public:
  static constexpr size_t kMaxRowsNoted = 1000;
  static constexpr size_t kMaxNotedBytes = 1 << 20;

  ChangeCapture(std::shared_ptr<ChangeListener> listener, std::string source);
  ChangeCapture(const ChangeCapture&) = delete;
  ChangeCapture& operator=(const ChangeCapture&) = delete;

  // Installs the commit and rollback hooks on `db`; the connection's
  // pre-update hook (Database's, shared) calls OnPreUpdate. `this` must
  // outlive the connection's use.
  void Install(sqlite3* db);
  // After a statement returned: hands over what committed, if the
  // connection is back in autocommit.
  void AfterStatement(sqlite3* db);

  // ---- SQLite's hooks (C callbacks; never throw)
  void OnPreUpdate(sqlite3* db, int op, const char* db_name, const char* table, int64_t old_rowid,
                   int64_t new_rowid) noexcept;
  void OnCommit() noexcept;
  void OnRollback() noexcept;

 private:
  void Note(RowChange change);
  void Collapse();  // too much for one transaction: kMany per table from now on

  std::shared_ptr<ChangeListener> listener_;
  const std::string source_;
  // The transaction being written.
  bool decided_ = false;  // Watching() asked for this transaction
  bool wanted_ = false;
  bool collapsed_ = false;
  size_t noted_bytes_ = 0;
  std::vector<RowChange> pending_;
  // Committed, not yet handed over.
  std::vector<RowChange> committed_;
};

}  // namespace hbf::db
