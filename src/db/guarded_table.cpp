#include "db/guarded_table.h"

#include <sqlite3.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace hbf::db {

// The guarded tables reach into Database's authorizer state.
struct GuardedTableAccess {
  using GuardState = Database::Guard;
  static sqlite3* Handle(Database& db) { return db.db_; }
  static GuardState* State(Database& db) { return db.guard_.get(); }
};

namespace {

// Raises one of the authorizer's depth counters for a scope.
class DepthScope {
 public:
  DepthScope(GuardedTableAccess::GuardState* g, int GuardedTableAccess::GuardState::*depth) : g_(g), depth_(depth) {
    if (g_ != nullptr) ++(g_->*depth_);
  }
  ~DepthScope() {
    if (g_ != nullptr) --(g_->*depth_);
  }
  DepthScope(const DepthScope&) = delete;
  DepthScope& operator=(const DepthScope&) = delete;

 private:
  GuardedTableAccess::GuardState* g_;
  int GuardedTableAccess::GuardState::*depth_;
};

// The table's own statements run under the script rules, whatever the
// user statement that caused them (authorizer: internal_depth).
struct InternalScope : DepthScope {
  explicit InternalScope(GuardedTableAccess::GuardState* g)
      : DepthScope(g, &GuardedTableAccess::GuardState::internal_depth) {}
};
// HBF's own lookups (the caller's policies) run as the host's.
struct HostScope : DepthScope {
  explicit HostScope(GuardedTableAccess::GuardState* g) : DepthScope(g, &GuardedTableAccess::GuardState::host_depth) {}
};

struct StmtDeleter {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtDeleter>;

struct GuardedVtab {
  sqlite3_vtab base{};  // first: SQLite's view of it
  Database* owner = nullptr;
  sqlite3* db = nullptr;
  std::string table;  // the base table in main
  std::vector<std::string> columns;
};

struct GuardedCursor {
  sqlite3_vtab_cursor base{};
  StmtPtr stmt;
  bool eof = true;
};

GuardedTableAccess::GuardState* StateOf(GuardedVtab* v) { return GuardedTableAccess::State(*v->owner); }

int Fail(GuardedVtab* v, const std::string& message, int code = SQLITE_ERROR) {
  sqlite3_free(v->base.zErrMsg);
  v->base.zErrMsg = sqlite3_mprintf("%s", message.c_str());
  return code;
}

// Prepares `sql` as the table's own (script rules) and binds the row
// condition's parameters.
int PrepareInternal(GuardedVtab* v, const std::string& sql, StmtPtr& out) {
  GuardedTableAccess::GuardState* g = StateOf(v);
  InternalScope internal(g);
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(v->db, sql.c_str(), static_cast<int>(sql.size()), &raw, nullptr) != SQLITE_OK) {
    return Fail(v, std::string("guarded table ") + v->table + ": " + sqlite3_errmsg(v->db));
  }
  out.reset(raw);
  if (g != nullptr && g->row_guard != nullptr) {
    for (const auto& [name, value] : g->row_guard->NamedParameters()) {
      const int index = sqlite3_bind_parameter_index(raw, name.c_str());
      if (index == 0) continue;
      if (std::holds_alternative<int64_t>(value)) {
        sqlite3_bind_int64(raw, index, std::get<int64_t>(value));
      } else if (std::holds_alternative<std::string>(value)) {
        const auto& text = std::get<std::string>(value);
        sqlite3_bind_text(raw, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
      } else {
        sqlite3_bind_null(raw, index);
      }
    }
  }
  return SQLITE_OK;
}

int StepInternal(GuardedVtab* v, sqlite3_stmt* stmt) {
  InternalScope internal(StateOf(v));
  return sqlite3_step(stmt);
}

Result<std::string> ConditionFor(GuardedVtab* v, char op) {
  GuardedTableAccess::GuardState* g = StateOf(v);
  if (g == nullptr || g->row_guard == nullptr) {
    return Error{"permission_denied", "a guarded table is used outside a user's scope", 403};
  }
  HostScope host(g);  // the guard reads the henv's policy tables
  return g->row_guard->Condition(v->table, op);
}

int Connect(sqlite3* db, void* aux, int argc, const char* const* argv, sqlite3_vtab** out, char** err) {
  if (argc < 4) {
    *err = sqlite3_mprintf("hbf_guarded needs the table it guards");
    return SQLITE_ERROR;
  }
  auto v = std::make_unique<GuardedVtab>();
  v->owner = static_cast<Database*>(aux);
  v->db = db;
  std::string name = argv[3];
  if (name.size() >= 2 && (name.front() == '"' || name.front() == '\'') && name.back() == name.front()) {
    name = name.substr(1, name.size() - 2);
  }
  v->table = name;
  // SQLite may reconnect a guarded table while compiling a user's statement
  // (after a schema change): what the table does here is its own business.
  InternalScope internal(StateOf(v.get()));
  {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT name FROM pragma_table_info(?1, 'main')", -1, &raw, nullptr) != SQLITE_OK) {
      *err = sqlite3_mprintf("%s", sqlite3_errmsg(db));
      return SQLITE_ERROR;
    }
    StmtPtr info(raw);
    sqlite3_bind_text(raw, 1, v->table.c_str(), -1, SQLITE_TRANSIENT);
    while (sqlite3_step(raw) == SQLITE_ROW) {
      v->columns.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(raw, 0)));
    }
  }
  if (v->columns.empty()) {
    *err = sqlite3_mprintf("no table %s", v->table.c_str());
    return SQLITE_ERROR;
  }
  std::string schema = "CREATE TABLE x(";
  for (size_t i = 0; i < v->columns.size(); ++i) schema += (i ? ", " : "") + QuoteIdentifier(v->columns[i]);
  schema += ")";
  if (int rc = sqlite3_declare_vtab(db, schema.c_str()); rc != SQLITE_OK) return rc;
  *out = &v.release()->base;
  return SQLITE_OK;
}

int Disconnect(sqlite3_vtab* vtab) {
  std::unique_ptr<GuardedVtab> v(reinterpret_cast<GuardedVtab*>(vtab));
  sqlite3_free(v->base.zErrMsg);
  return SQLITE_OK;
}

// Equality constraints (on a column or the rowid) are pushed down into the
// table's own statement; idxStr lists their columns ("-1" = rowid).
int BestIndex(sqlite3_vtab*, sqlite3_index_info* info) {
  std::string columns;
  int next = 1;
  bool by_rowid = false;
  for (int i = 0; i < info->nConstraint; ++i) {
    const auto& c = info->aConstraint[i];
    if (!c.usable || c.op != SQLITE_INDEX_CONSTRAINT_EQ) continue;
    info->aConstraintUsage[i].argvIndex = next++;
    info->aConstraintUsage[i].omit = 1;
    columns += (columns.empty() ? "" : ",") + std::to_string(c.iColumn);
    if (c.iColumn < 0) by_rowid = true;
  }
  info->idxStr = sqlite3_mprintf("%s", columns.c_str());
  info->needToFreeIdxStr = 1;
  info->estimatedCost = by_rowid ? 1.0 : next > 1 ? 100.0 : 1000000.0;
  if (by_rowid) info->idxFlags |= SQLITE_INDEX_SCAN_UNIQUE;
  return SQLITE_OK;
}

int Open(sqlite3_vtab*, sqlite3_vtab_cursor** out) {
  *out = &(new GuardedCursor())->base;  // owned by SQLite until Close
  return SQLITE_OK;
}

int Close(sqlite3_vtab_cursor* cursor) {
  delete reinterpret_cast<GuardedCursor*>(cursor);
  return SQLITE_OK;
}

int Filter(sqlite3_vtab_cursor* cursor, int, const char* idx, int argc, sqlite3_value** argv) {
  auto* c = reinterpret_cast<GuardedCursor*>(cursor);
  auto* v = reinterpret_cast<GuardedVtab*>(cursor->pVtab);
  auto condition = ConditionFor(v, 's');
  if (!condition.ok()) return Fail(v, condition.error().message, SQLITE_AUTH);
  std::string sql = "SELECT rowid";
  for (const auto& col : v->columns) sql += ", " + QuoteIdentifier(col);
  sql += " FROM main." + QuoteIdentifier(v->table) + " WHERE (\n" + *condition + "\n)";
  std::vector<int> pushed;
  for (const char* p = idx; p != nullptr && *p != '\0';) {
    char* end = nullptr;
    long column = std::strtol(p, &end, 10);
    pushed.push_back(static_cast<int>(column));
    p = *end == ',' ? end + 1 : end;
  }
  for (size_t i = 0; i < pushed.size(); ++i) {
    const std::string lhs =
        pushed[i] < 0 ? std::string("rowid") : QuoteIdentifier(v->columns[static_cast<size_t>(pushed[i])]);
    sql += " AND " + lhs + " = ?" + std::to_string(100 + i);
  }
  if (int rc = PrepareInternal(v, sql, c->stmt); rc != SQLITE_OK) return rc;
  for (int i = 0; i < argc && i < static_cast<int>(pushed.size()); ++i) {
    sqlite3_bind_value(c->stmt.get(), 100 + i, argv[i]);
  }
  int rc = StepInternal(v, c->stmt.get());
  c->eof = rc != SQLITE_ROW;
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return Fail(v, sqlite3_errmsg(v->db), rc);
  return SQLITE_OK;
}

int Next(sqlite3_vtab_cursor* cursor) {
  auto* c = reinterpret_cast<GuardedCursor*>(cursor);
  auto* v = reinterpret_cast<GuardedVtab*>(cursor->pVtab);
  int rc = StepInternal(v, c->stmt.get());
  c->eof = rc != SQLITE_ROW;
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return Fail(v, sqlite3_errmsg(v->db), rc);
  return SQLITE_OK;
}

int Eof(sqlite3_vtab_cursor* cursor) { return reinterpret_cast<GuardedCursor*>(cursor)->eof ? 1 : 0; }

int Column(sqlite3_vtab_cursor* cursor, sqlite3_context* ctx, int i) {
  auto* c = reinterpret_cast<GuardedCursor*>(cursor);
  sqlite3_result_value(ctx, sqlite3_column_value(c->stmt.get(), i + 1));
  return SQLITE_OK;
}

int Rowid(sqlite3_vtab_cursor* cursor, sqlite3_int64* rowid) {
  *rowid = sqlite3_column_int64(reinterpret_cast<GuardedCursor*>(cursor)->stmt.get(), 0);
  return SQLITE_OK;
}

// Whether the new values `argv[2..]` meet `condition`: evaluated on a row
// made of them (named like the table, so qualified references work),
// before anything is written.
int NewRowMeets(GuardedVtab* v, const std::string& condition, sqlite3_value** values, bool& meets) {
  std::string sql = "SELECT 1 FROM (SELECT ";
  for (size_t i = 0; i < v->columns.size(); ++i) {
    sql += (i ? ", " : "") + std::string("?") + std::to_string(100 + i) + " AS " + QuoteIdentifier(v->columns[i]);
  }
  sql += ") AS " + QuoteIdentifier(v->table) + " WHERE (\n" + condition + "\n)";
  StmtPtr stmt;
  if (int rc = PrepareInternal(v, sql, stmt); rc != SQLITE_OK) return rc;
  for (size_t i = 0; i < v->columns.size(); ++i) {
    sqlite3_bind_value(stmt.get(), static_cast<int>(100 + i), values[i]);
  }
  int rc = StepInternal(v, stmt.get());
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return Fail(v, sqlite3_errmsg(v->db), rc);
  meets = rc == SQLITE_ROW;
  return SQLITE_OK;
}

int Update(sqlite3_vtab* vtab, int argc, sqlite3_value** argv, sqlite3_int64* new_rowid) {
  auto* v = reinterpret_cast<GuardedVtab*>(vtab);
  const std::string base = "main." + QuoteIdentifier(v->table);
  auto run = [&](const std::string& sql, auto&& bind) -> int {
    StmtPtr stmt;
    if (int rc = PrepareInternal(v, sql, stmt); rc != SQLITE_OK) return rc;
    bind(stmt.get());
    int rc = StepInternal(v, stmt.get());
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) return Fail(v, sqlite3_errmsg(v->db), rc);
    return SQLITE_OK;
  };
  if (argc == 1) {  // DELETE
    auto condition = ConditionFor(v, 'd');
    if (!condition.ok()) return Fail(v, condition.error().message, SQLITE_AUTH);
    const sqlite3_int64 rowid = sqlite3_value_int64(argv[0]);
    const int before = sqlite3_total_changes(v->db);
    int rc = run("DELETE FROM " + base + " WHERE rowid = ?100 AND (\n" + *condition + "\n)",
                 [&](sqlite3_stmt* s) { sqlite3_bind_int64(s, 100, rowid); });
    if (rc != SQLITE_OK) return rc;
    if (sqlite3_total_changes(v->db) == before) {
      return Fail(v, "permission_denied: your delete policy on table " + v->table + " excludes this row", SQLITE_AUTH);
    }
    return SQLITE_OK;
  }
  const bool insert = sqlite3_value_type(argv[0]) == SQLITE_NULL;
  auto condition = ConditionFor(v, insert ? 'i' : 'u');
  if (!condition.ok()) return Fail(v, condition.error().message, SQLITE_AUTH);
  bool meets = false;
  if (int rc = NewRowMeets(v, *condition, argv + 2, meets); rc != SQLITE_OK) return rc;
  if (!meets) {
    return Fail(v,
                std::string("permission_denied: the ") + (insert ? "new" : "changed") + " row is outside your " +
                    (insert ? "insert" : "update") + " policy on table " + v->table,
                SQLITE_AUTH);
  }
  if (insert) {
    // Columns given as NULL are left out, so the table's defaults apply (a
    // virtual table cannot tell an omitted column from an explicit NULL).
    std::string cols;
    std::string params;
    std::vector<int> bound;
    if (sqlite3_value_type(argv[1]) != SQLITE_NULL) {
      cols = "rowid";
      params = "?99";
    }
    for (size_t i = 0; i < v->columns.size(); ++i) {
      if (sqlite3_value_type(argv[2 + i]) == SQLITE_NULL) continue;
      cols += (cols.empty() ? "" : ", ") + QuoteIdentifier(v->columns[i]);
      params += (params.empty() ? "?" : ", ?") + std::to_string(100 + i);
      bound.push_back(static_cast<int>(i));
    }
    const std::string sql = cols.empty() ? "INSERT INTO " + base + " DEFAULT VALUES"
                                         : "INSERT INTO " + base + " (" + cols + ") VALUES (" + params + ")";
    int rc = run(sql, [&](sqlite3_stmt* s) {
      if (sqlite3_value_type(argv[1]) != SQLITE_NULL) sqlite3_bind_value(s, 99, argv[1]);
      for (int i : bound) sqlite3_bind_value(s, 100 + i, argv[2 + i]);
    });
    if (rc != SQLITE_OK) return rc;
    *new_rowid = sqlite3_last_insert_rowid(v->db);
    return SQLITE_OK;
  }
  // UPDATE: the old row must meet the condition too.
  const sqlite3_int64 old_rowid = sqlite3_value_int64(argv[0]);
  std::string sets;
  for (size_t i = 0; i < v->columns.size(); ++i) {
    sets += (i ? ", " : "") + QuoteIdentifier(v->columns[i]) + " = ?" + std::to_string(100 + i);
  }
  if (sqlite3_value_int64(argv[1]) != old_rowid) sets += ", rowid = ?98";
  const int before = sqlite3_total_changes(v->db);
  int rc =
      run("UPDATE " + base + " SET " + sets + " WHERE rowid = ?99 AND (\n" + *condition + "\n)", [&](sqlite3_stmt* s) {
        sqlite3_bind_int64(s, 99, old_rowid);
        sqlite3_bind_value(s, 98, argv[1]);
        for (size_t i = 0; i < v->columns.size(); ++i) {
          sqlite3_bind_value(s, static_cast<int>(100 + i), argv[2 + i]);
        }
      });
  if (rc != SQLITE_OK) return rc;
  if (sqlite3_total_changes(v->db) == before) {
    return Fail(v, "permission_denied: your update policy on table " + v->table + " excludes this row", SQLITE_AUTH);
  }
  return SQLITE_OK;
}

const sqlite3_module kGuardedModule = {
    /*iVersion=*/0,
    /*xCreate=*/Connect,
    /*xConnect=*/Connect,
    /*xBestIndex=*/BestIndex,
    /*xDisconnect=*/Disconnect,
    /*xDestroy=*/Disconnect,
    /*xOpen=*/Open,
    /*xClose=*/Close,
    /*xFilter=*/Filter,
    /*xNext=*/Next,
    /*xEof=*/Eof,
    /*xColumn=*/Column,
    /*xRowid=*/Rowid,
    /*xUpdate=*/Update,
    /*xBegin=*/nullptr,
    /*xSync=*/nullptr,
    /*xCommit=*/nullptr,
    /*xRollback=*/nullptr,
    /*xFindFunction=*/nullptr,
    /*xRename=*/nullptr,
    /*xSavepoint=*/nullptr,
    /*xRelease=*/nullptr,
    /*xRollbackTo=*/nullptr,
    /*xShadowName=*/nullptr,
};

}  // namespace

Status RegisterGuardedModule(Database& db) {
  int rc = sqlite3_create_module_v2(GuardedTableAccess::Handle(db), "hbf_guarded", &kGuardedModule, &db, nullptr);
  if (rc != SQLITE_OK) return SqlError(rc, "cannot register the guarded table module");
  return Ok{};
}

Status CreateGuardedTable(Database& db, const std::string& table) {
  return db.Exec("CREATE VIRTUAL TABLE IF NOT EXISTS temp." + QuoteIdentifier(table) + " USING hbf_guarded(" +
                 QuoteIdentifier(table) + ")");
}

Status DropGuardedTables(Database& db) {
  auto names = db.QueryTexts("SELECT name FROM sqlite_temp_master WHERE type = 'table' AND sql LIKE '%hbf_guarded%'");
  if (!names.ok()) return names.error();
  for (const auto& n : *names) {
    if (auto s = db.Exec("DROP TABLE temp." + QuoteIdentifier(n)); !s.ok()) return s;
  }
  return Ok{};
}

}  // namespace hbf::db
