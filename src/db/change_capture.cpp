// sqlite3.h declares the pre-update hook only under this macro; Debian's
// libsqlite3 is built with it (its session extension needs it).
#define SQLITE_ENABLE_PREUPDATE_HOOK 1
#include "db/change_capture.h"

#include <sqlite3.h>

#include <algorithm>
#include <cstring>
#include <utility>

namespace hbf::db {

namespace {

// HBF's own state and the full-text indexes' internals: never news.
bool Unwatched(const char* table) {
  return std::strncmp(table, "_hbf_", 5) == 0 || std::strncmp(table, "sqlite_", 7) == 0 ||
         std::strncmp(table, "documents_fts", 13) == 0 || std::strncmp(table, "nodes_fts", 9) == 0;
}

Value CopyValue(sqlite3_value* v, size_t& bytes) {
  switch (sqlite3_value_type(v)) {
    case SQLITE_INTEGER: return static_cast<int64_t>(sqlite3_value_int64(v));
    case SQLITE_FLOAT: return sqlite3_value_double(v);
    case SQLITE_TEXT: {
      const auto* p = reinterpret_cast<const char*>(sqlite3_value_text(v));
      const auto n = static_cast<size_t>(sqlite3_value_bytes(v));
      bytes += n;
      return p != nullptr ? std::string(p, n) : std::string();
    }
    case SQLITE_BLOB: {
      const auto* p = static_cast<const uint8_t*>(sqlite3_value_blob(v));
      const auto n = static_cast<size_t>(sqlite3_value_bytes(v));
      bytes += n;
      return p != nullptr ? Blob(p, p + n) : Blob();
    }
    default: return Null{};
  }
}

extern "C" int CommitHook(void* ctx) {
  static_cast<ChangeCapture*>(ctx)->OnCommit();
  return 0;  // never turn the commit into a rollback
}

extern "C" void RollbackHook(void* ctx) { static_cast<ChangeCapture*>(ctx)->OnRollback(); }

}  // namespace

ChangeCapture::ChangeCapture(std::shared_ptr<ChangeListener> listener, std::string source)
    : listener_(std::move(listener)), source_(std::move(source)) {}

void ChangeCapture::Install(sqlite3* db) {
  sqlite3_commit_hook(db, CommitHook, this);
  sqlite3_rollback_hook(db, RollbackHook, this);
}

void ChangeCapture::OnPreUpdate(sqlite3* db, int op, const char* db_name, const char* table, int64_t old_rowid,
                                int64_t new_rowid) noexcept {
  if (db_name == nullptr || table == nullptr || std::strcmp(db_name, "main") != 0 || Unwatched(table)) return;
  if (!decided_) {
    decided_ = true;
    wanted_ = listener_->Watching(source_);
  }
  if (!wanted_) return;
  try {
    RowChange change;
    change.table = table;
    if (collapsed_) {
      change.op = RowChange::Op::kMany;
      Note(std::move(change));
      return;
    }
    switch (op) {
      case SQLITE_INSERT:
        change.op = RowChange::Op::kInsert;
        change.rowid = new_rowid;
        break;
      case SQLITE_UPDATE:
        change.op = RowChange::Op::kUpdate;
        change.rowid = new_rowid;
        break;
      case SQLITE_DELETE: {
        change.op = RowChange::Op::kDelete;
        change.rowid = old_rowid;
        const int columns = sqlite3_preupdate_count(db);
        change.old_row.reserve(static_cast<size_t>(std::max(columns, 0)));
        for (int i = 0; i < columns; ++i) {
          sqlite3_value* value = nullptr;
          if (sqlite3_preupdate_old(db, i, &value) != SQLITE_OK || value == nullptr) {
            change.old_row.emplace_back(Null{});
            continue;
          }
          change.old_row.push_back(CopyValue(value, noted_bytes_));
        }
        break;
      }
      default: return;
    }
    Note(std::move(change));
  } catch (...) {
    // Out of memory while noting: say "many" rather than lose the news.
    collapsed_ = true;
  }
}

void ChangeCapture::Note(RowChange change) {
  if (collapsed_) {
    const bool known = std::any_of(pending_.begin(), pending_.end(),
                                   [&](const RowChange& c) { return c.table == change.table; });
    if (!known) pending_.push_back(std::move(change));
    return;
  }
  pending_.push_back(std::move(change));
  if (pending_.size() > kMaxRowsNoted || noted_bytes_ > kMaxNotedBytes) Collapse();
}

void CollapseToMany(std::vector<RowChange>& changes) {
  std::vector<RowChange> many;
  for (RowChange& c : changes) {
    const bool known =
        std::any_of(many.begin(), many.end(), [&](const RowChange& m) { return m.table == c.table; });
    if (known) continue;
    RowChange m;
    m.op = RowChange::Op::kMany;
    m.table = std::move(c.table);
    many.push_back(std::move(m));
  }
  changes = std::move(many);
}

void ChangeCapture::Collapse() {
  collapsed_ = true;
  CollapseToMany(pending_);
}

void ChangeCapture::OnCommit() noexcept {
  try {
    if (collapsed_) {
      // Only the tables are known: each once, even across transactions.
      for (RowChange& c : pending_) c.op = RowChange::Op::kMany;
    }
    for (RowChange& c : pending_) committed_.push_back(std::move(c));
  } catch (...) {
  }
  pending_.clear();
  decided_ = false;
  collapsed_ = false;
  noted_bytes_ = 0;
}

void ChangeCapture::OnRollback() noexcept {
  pending_.clear();
  decided_ = false;
  collapsed_ = false;
  noted_bytes_ = 0;
}

void ChangeCapture::AfterStatement(sqlite3* db) {
  if (committed_.empty() || sqlite3_get_autocommit(db) == 0) return;
  std::vector<RowChange> changes = std::exchange(committed_, {});
  listener_->OnCommitted(source_, std::move(changes));
}

}  // namespace hbf::db
