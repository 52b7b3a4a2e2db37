#include "db/database.h"
#include "core/process_heap.h"
#include "db/change_capture.h"
#include "db/connection_hooks.h"
#include "db/vfs.h"

#include <sqlite3.h>

#include <sys/stat.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

namespace hbf::db {

std::string QuoteIdentifier(std::string_view name) {
  std::string quoted = "\"";
  for (char c : name) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  quoted += '"';
  return quoted;
}

Error SqlError(int code, std::string_view message) {
  std::string msg(message);
  switch (code & 0xFF) {
    case SQLITE_CONSTRAINT: return Error{"constraint", msg, 409};
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return Error{"busy", "the database is busy; retry shortly", 503};
    case SQLITE_ERROR:
    case SQLITE_RANGE:
    case SQLITE_MISMATCH:
    case SQLITE_TOOBIG:
    case SQLITE_AUTH: return Error{"sql_error", msg, 400};
    case SQLITE_READONLY: return Error{"read_only", msg, 403};
    case SQLITE_FULL: return Error{"quota_exceeded", "the henv's storage quota is full", 507};
    case SQLITE_INTERRUPT: return Error{"interrupted", "the query ran past the request's deadline", 504};
    case SQLITE_MISUSE:
      assert(false && "SQLITE_MISUSE: a bug in HBF's use of SQLite");
      return Error{"db_error", msg, 500};
    default: return Error{"db_error", msg, 500};
  }
}

namespace {

// One integer PRAGMA on `db`, or `fallback` when it cannot be read.
int64_t PragmaInt(sqlite3* db, const char* sql, int64_t fallback) {
  sqlite3_stmt* stmt = nullptr;
  int64_t value = fallback;
  if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW) {
    value = sqlite3_column_int64(stmt, 0);
  }
  sqlite3_finalize(stmt);
  return value;
}

// A failure that the server's storage caused rather than the henv: a full
// disk or a read-only file system (Error::StorageFull / StorageReadOnly).
// SQLite does not say so itself: its unix VFS turns ENOSPC into SQLITE_FULL
// and clears errno, and SQLITE_FULL is also what the henv's own quota
// (max_page_count) answers. So the file system of the database is asked:
// mounted read-only, or with less room left than the quota still allows
// (plus a margin for the WAL), means the storage is at fault.
std::optional<Error> StorageFault(sqlite3* db, int code) {
  const int primary = code & 0xFF;
  if (db == nullptr ||
      (primary != SQLITE_FULL && primary != SQLITE_IOERR && primary != SQLITE_READONLY && primary != SQLITE_CANTOPEN)) {
    return std::nullopt;
  }
  const char* file = sqlite3_db_filename(db, "main");
  if (file == nullptr || *file == '\0') return std::nullopt;  // :memory: or a temp database
  const int sys = sqlite3_system_errno(db);
  struct statvfs fs{};
  const bool have_fs = ::statvfs(file, &fs) == 0;
  if (sys == EROFS || (have_fs && (fs.f_flag & ST_RDONLY) != 0)) return Error::StorageReadOnly();
  if (sys == ENOSPC || sys == EDQUOT) return Error::StorageFull();
  if (primary != SQLITE_FULL || !have_fs) return std::nullopt;
  const int64_t page_size = PragmaInt(db, "PRAGMA page_size", 4096);
  const int64_t headroom = std::max<int64_t>(
      0, PragmaInt(db, "PRAGMA max_page_count", 0) - PragmaInt(db, "PRAGMA page_count", 0));
  constexpr int64_t kWalMargin = int64_t{1} << 20;
  const auto available = static_cast<int64_t>(std::min<uint64_t>(
      static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize, uint64_t{1} << 62));
  if (available < headroom * page_size + kWalMargin) return Error::StorageFull();
  return std::nullopt;  // the henv's quota
}

// A statement on a connection that is not open (see Database::is_open()).
Error NotOpen() { return Error{"db_unavailable", "the database is not open; try again", 503}; }

Error LastError(sqlite3* db, int code) {
  if (auto fault = StorageFault(db, code)) return *fault;
  return SqlError(code, db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(code));
}

// True when `sql` holds no statement: only whitespace, semicolons, comments.
bool CompilesToNothing(sqlite3* db, const char* sql) {
  while (sql != nullptr && *sql != '\0') {
    sqlite3_stmt* stmt = nullptr;
    const char* tail = nullptr;
    int rc = sqlite3_prepare_v2(db, sql, -1, &stmt, &tail);
    if (rc != SQLITE_OK || stmt != nullptr) {
      sqlite3_finalize(stmt);
      return false;
    }
    if (tail == sql) break;
    sql = tail;
  }
  return true;
}

}  // namespace

// ----------------------------------------------------------------- Statement

Statement::Statement(Database* db, sqlite3_stmt* stmt, bool cached, std::string sql)
    : db_(db), stmt_(stmt), cached_(cached), sql_(std::move(sql)) {}

Statement::Statement(Statement&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)),
      stmt_(std::exchange(other.stmt_, nullptr)),
      cached_(other.cached_),
      sql_(std::move(other.sql_)),
      bind_status_(std::move(other.bind_status_)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    Release();
    db_ = std::exchange(other.db_, nullptr);
    stmt_ = std::exchange(other.stmt_, nullptr);
    cached_ = other.cached_;
    sql_ = std::move(other.sql_);
    bind_status_ = std::move(other.bind_status_);
  }
  return *this;
}

Statement::~Statement() { Release(); }

void Statement::Release() {
  if (stmt_ == nullptr) return;
  if (cached_ && db_ != nullptr) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    db_->ReturnToCache(std::move(sql_), stmt_);
  } else {
    sqlite3_finalize(stmt_);
  }
  stmt_ = nullptr;
  // A write statement left unfinished commits when reset or finalized.
  if (db_ != nullptr) db_->AfterStatement();
}

Statement& Statement::Bind(int index, const Value& value) {
  int rc = SQLITE_OK;
  switch (value.index()) {
    case 0: rc = sqlite3_bind_null(stmt_, index); break;
    case 1: rc = sqlite3_bind_int64(stmt_, index, std::get<int64_t>(value)); break;
    case 2: rc = sqlite3_bind_double(stmt_, index, std::get<double>(value)); break;
    case 3: {
      const auto& s = std::get<std::string>(value);
      rc = sqlite3_bind_text64(stmt_, index, s.data(), s.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
      break;
    }
    case 4: {
      const auto& b = std::get<Blob>(value);
      // A zero-length blob must still be a BLOB, not NULL.
      rc = b.empty() ? sqlite3_bind_zeroblob(stmt_, index, 0)
                     : sqlite3_bind_blob64(stmt_, index, b.data(), b.size(), SQLITE_TRANSIENT);
      break;
    }
  }
  if (rc != SQLITE_OK && bind_status_.ok()) {
    bind_status_ = rc == SQLITE_RANGE
                       ? Error{"sql_error", "parameter " + std::to_string(index) + " is out of range", 400}
                       : LastError(sqlite3_db_handle(stmt_), rc);
  }
  return *this;
}

Status Statement::BindNamed(std::string_view name, const Value& value) {
  std::string key(name);
  int index = sqlite3_bind_parameter_index(stmt_, key.c_str());
  if (index == 0) return Error{"sql_error", "no parameter named " + key, 400};
  Bind(index, value);
  return bind_status_;
}

Statement& Statement::BindAll(const std::vector<Value>& values) {
  for (size_t i = 0; i < values.size(); ++i) Bind(static_cast<int>(i + 1), values[i]);
  return *this;
}

int Statement::ParameterCount() const { return sqlite3_bind_parameter_count(stmt_); }

std::string Statement::ParameterName(int index) const {
  const char* n = sqlite3_bind_parameter_name(stmt_, index);
  return n != nullptr ? n : "";
}

template <typename F>
int Database::Timed(F&& run) {
  if (!measure_busy_) return run();
  const auto began = std::chrono::steady_clock::now();
  const int rc = run();
  busy_ns_ += std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - began).count();
  return rc;
}

Result<bool> Statement::Step() {
  if (!bind_status_.ok()) return bind_status_.error();
  const int rc = db_ != nullptr ? db_->Timed([&] { return sqlite3_step(stmt_); }) : sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) {
    if (db_ != nullptr) db_->AfterStatement();
    return false;
  }
  Error e = LastError(sqlite3_db_handle(stmt_), rc);
  sqlite3_reset(stmt_);
  if (db_ != nullptr) db_->AfterStatement();
  return e;
}

Status Statement::Run() {
  for (;;) {
    auto r = Step();
    if (!r.ok()) return r.error();
    if (!r.value()) return Ok{};
  }
}

int Statement::ColumnCount() const { return sqlite3_column_count(stmt_); }
std::string Statement::ColumnName(int i) const {
  const char* n = sqlite3_column_name(stmt_, i);
  return n != nullptr ? n : "";
}
bool Statement::IsNull(int i) const { return sqlite3_column_type(stmt_, i) == SQLITE_NULL; }
int64_t Statement::Int(int i) const { return sqlite3_column_int64(stmt_, i); }
double Statement::Double(int i) const { return sqlite3_column_double(stmt_, i); }

std::string Statement::Text(int i) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, i));
  int n = sqlite3_column_bytes(stmt_, i);
  return p != nullptr ? std::string(p, static_cast<size_t>(n)) : std::string();
}

Blob Statement::BlobValue(int i) const {
  const auto* p = static_cast<const uint8_t*>(sqlite3_column_blob(stmt_, i));
  int n = sqlite3_column_bytes(stmt_, i);
  return p != nullptr ? Blob(p, p + n) : Blob();
}

std::string Statement::Bytes(int i) const {
  const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, i));
  int n = sqlite3_column_bytes(stmt_, i);
  return p != nullptr ? std::string(p, static_cast<size_t>(n)) : std::string();
}

Value Statement::Column(int i) const {
  switch (sqlite3_column_type(stmt_, i)) {
    case SQLITE_INTEGER: return Int(i);
    case SQLITE_FLOAT: return Double(i);
    case SQLITE_TEXT: return Text(i);
    case SQLITE_BLOB: return BlobValue(i);
    default: return Null{};
  }
}

bool Statement::ReadOnly() const { return sqlite3_stmt_readonly(stmt_) != 0; }

// ------------------------------------------------------------------ Database

Database::Database(sqlite3* db, std::string path, size_t cache_size)
    : db_(db), path_(std::move(path)), cache_size_(cache_size) {}

Database::Database(Database&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)),
      path_(std::move(other.path_)),
      storage_read_only_(other.storage_read_only_),
      max_size_bytes_(other.max_size_bytes_),
      cache_size_(other.cache_size_),
      cache_(std::move(other.cache_)),
      deadline_(std::move(other.deadline_)),
      guard_(std::move(other.guard_)),
      capture_(std::move(other.capture_)),
      row_hook_(std::move(other.row_hook_)),
      busy_wait_(std::move(other.busy_wait_)),
      busy_ns_(other.busy_ns_),
      measure_busy_(other.measure_busy_) {
  other.cache_.clear();
}

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    Close();
    db_ = std::exchange(other.db_, nullptr);
    path_ = std::move(other.path_);
    storage_read_only_ = other.storage_read_only_;
    max_size_bytes_ = other.max_size_bytes_;
    cache_size_ = other.cache_size_;
    cache_ = std::move(other.cache_);
    deadline_ = std::move(other.deadline_);
    guard_ = std::move(other.guard_);
    capture_ = std::move(other.capture_);
    row_hook_ = std::move(other.row_hook_);
    busy_wait_ = std::move(other.busy_wait_);
    busy_ns_ = other.busy_ns_;
    measure_busy_ = other.measure_busy_;
    other.cache_.clear();
  }
  return *this;
}

Database::~Database() { Close(); }

void Database::Close() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  cache_.clear();
  if (db_ != nullptr) {
    // Every Statement must be gone by now (they point at this object);
    // sqlite3_close_v2 would otherwise defer the close.
    sqlite3_close_v2(db_);
    db_ = nullptr;
  }
}

Result<Database> Database::Open(const std::string& path, const Options& options) {
  auto db = OpenOnce(path, options, false);
  if (db.ok() || options.read_only || db.error().code != "read_only" || !Error::IsStorageFault(db.error())) return db;
  // The storage is mounted read-only: a WAL file cannot be opened for
  // writing (its -shm cannot be made), so open it for reading. Without a
  // -wal file (hbf closed it cleanly, which folds the WAL in) the file is
  // the whole database and cannot change under a read-only mount:
  // immutable=1 needs no -shm. With one, SQLite reads the -wal through a
  // read-only -shm.
  struct stat st{};
  const bool has_wal = ::stat((path + "-wal").c_str(), &st) == 0 && st.st_size > 0;
  Options reading = options;
  reading.read_only = true;
  reading.create = false;
  auto fallback = OpenOnce(path, reading, !has_wal);
  if (!fallback.ok()) return db.error();
  fallback->storage_read_only_ = true;
  return fallback;
}

namespace {
// SQLite's memory through malloc with the allocator's own block sizes.
// Debian's SQLite (built without malloc_usable_size) keeps an 8-byte size
// before each block it mallocs, and most of its blocks are small: a henv
// connection's ~700 (its schema, ~52 KB) took ~65 KB of jemalloc's size
// classes with the headers, ~56 KB without (bench/README.md, twenty-second
// session). Sizes past INT_MAX, which SQLite's int interface cannot carry,
// are not asked for: its limits stop far below.
int SqliteBlockSize(void* block) {
  return static_cast<int>(std::min<size_t>(HeapBlockSize(block), INT_MAX));
}
int SqliteGoodSize(int bytes) {
  const size_t good = HeapGoodSize(static_cast<size_t>(bytes));
  return good <= INT_MAX ? static_cast<int>(good) : bytes;
}
const sqlite3_mem_methods kSqliteHeap = {
    [](int bytes) { return std::malloc(static_cast<size_t>(bytes)); },
    [](void* block) { std::free(block); },
    [](void* block, int bytes) { return std::realloc(block, static_cast<size_t>(bytes)); },
    SqliteBlockSize,
    SqliteGoodSize,
    [](void*) { return SQLITE_OK; },
    [](void*) {},
    nullptr,
};

// Process-wide SQLite settings, made once before the first connection
// (sqlite3_config must precede sqlite3_initialize).
void ConfigureSqliteOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    (void)sqlite3_config(SQLITE_CONFIG_MALLOC, &kSqliteHeap);
    // Each connection's first kBulkPages cached pages in one block (SQLite's
    // "bulk"), the rest one block each. What this is for: an idle henv's
    // cache goes back after 10 s (Database::ReleaseMemory), and the bulk
    // goes with its last page, a whole block. Pages malloc'd one by one
    // sat in shared slabs between blocks that live as long as the
    // connection (its pager's 4 KB scratch is the same size class), so each
    // idle connection kept a mostly empty slab resident (bench/README.md,
    // twenty-second session). SQLite's default bulk, 20 pages (~86 KB),
    // cost every connection more than it reads; a henv's connection reads
    // ~9 pages to open and serve a request, and 11 of 4,360 bytes fill one
    // of jemalloc's size classes (48 KiB).
    constexpr int kBulkPages = 11;
    (void)sqlite3_config(SQLITE_CONFIG_PAGECACHE, nullptr, 0, kBulkPages);
    // No process-wide memory statistics: with them every sqlite3_malloc and
    // sqlite3_free takes one global mutex (and sizes the block), shared by
    // every connection of every henv on every thread. Nothing here reads
    // sqlite3_memory_used() or sets a soft heap limit, which need them.
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    // After the sqlite3_config calls: finding the unix VFS initialises SQLite.
    InstallVfsOnce();
  });
}
}  // namespace

Result<Database> Database::OpenOnce(const std::string& path, const Options& options, bool immutable) {
  ConfigureSqliteOnce();
  int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  flags |= options.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
  if (options.create && !options.read_only) flags |= SQLITE_OPEN_CREATE;
  std::string name = path;
  if (immutable) {
    flags |= SQLITE_OPEN_URI;
    name = "file:";
    for (char c : path) {
      if (c == '%' || c == '?' || c == '#') {
        static constexpr char kHex[] = "0123456789ABCDEF";
        name += '%';
        name += kHex[static_cast<unsigned char>(c) >> 4];
        name += kHex[static_cast<unsigned char>(c) & 0xF];
      } else {
        name += c;
      }
    }
    name += "?immutable=1";
  }
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(name.c_str(), &raw, flags, nullptr);
  if (rc != SQLITE_OK) {
    Error e = LastError(raw, rc);
    sqlite3_close_v2(raw);
    if (Error::IsStorageFault(e)) return e;
    // The path stays in the server's log, never in a client's answer.
    if ((rc & 0xFF) == SQLITE_CANTOPEN) return Error{"not_found", "cannot open the database", 404};
    return e;
  }
  if (!options.read_only && sqlite3_db_readonly(raw, "main") == 1) {
    // SQLite fell back to reading a file it could not open for writing. With
    // the -wal and -shm a kept-WAL close leaves in place it could even read
    // on, so say so here, as when the -shm cannot be made: Open then takes
    // the read-only path on purpose, and writes get the storage's answer.
    sqlite3_close_v2(raw);
    return Error::StorageReadOnly();
  }
  Database db(raw, path, options.statement_cache_size);
  if (path == ":memory:") {
    sqlite3_busy_timeout(raw, options.busy_timeout_ms);
  } else {
    db.WaitAtWriteGate(options.busy_timeout_ms, !options.read_only);
  }
  // Scripts never load extensions; keep the door shut even if the library allows it.
  sqlite3_db_config(raw, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, nullptr);
  sqlite3_db_config(raw, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  const char* pragmas = options.read_only ? "PRAGMA foreign_keys=ON;"
                                          : "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                                            "PRAGMA foreign_keys=ON;";
  if (auto s = db.Exec(pragmas); !s.ok()) return s.error();
  if (options.keep_wal_files && !options.read_only) {
    db.KeepWalFiles(true);
    // A non-negative limit is what makes the closing connection cut the
    // kept WAL to zero bytes; it also bounds a WAL left large by one big
    // transaction once it restarts (the size of an autocheckpoint's worth).
    if (auto s = db.Exec("PRAGMA journal_size_limit=4194304"); !s.ok()) return s.error();
  }
  // Read the schema now: a file that cannot be read (a WAL file whose -shm
  // a read-only mount cannot create) fails here, not on first use.
  if (path != ":memory:") {
    if (auto v = db.QueryValue("PRAGMA schema_version"); !v.ok()) return v.error();
  }
  return db;
}

void Database::KeepWalFiles(bool keep) {
  if (db_ == nullptr) return;
  int persist = keep ? 1 : 0;
  (void)sqlite3_file_control(db_, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
}

Status Database::Exec(std::string_view sql) {
  if (db_ == nullptr) return NotOpen();
  std::string text(sql);
  char* err = nullptr;
  const int rc = Timed([&] { return sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err); });
  AfterStatement();
  if (rc != SQLITE_OK) {
    std::string msg = err != nullptr ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    if (auto fault = StorageFault(db_, rc)) return *fault;
    return SqlError(rc, msg);
  }
  return Ok{};
}

Result<Statement> Database::Prepare(std::string_view sql) {
  // A script's statements are cached under their own keys: one compiled with
  // the host's rights must never be handed to a script (nor the reverse).
  std::string key;
  if (guard_ && guard_->host_depth > 0) {
    key.push_back('\x04');
  } else if (guard_ && guard_->internal_depth > 0) {
    key.push_back('\x03');
  } else if (guard_ && guard_->user_depth > 0) {
    key.push_back('\x02');
  } else if (guard_ && guard_->script_depth > 0) {
    key.push_back('\x01');
  }
  key.append(sql);
  // A user's statement was authorized against that user's grants: never
  // kept for another (see the end of this function too).
  const bool cacheable =
      !(guard_ && guard_->user_depth > 0 && guard_->internal_depth == 0 && guard_->host_depth == 0);
  if (auto it = cacheable ? cache_.find(key) : cache_.end(); it != cache_.end()) {
    sqlite3_stmt* stmt = it->second;
    cache_.erase(it);
    return Statement(this, stmt, true, std::move(key));
  }
  if (db_ == nullptr) return NotOpen();
  sqlite3_stmt* stmt = nullptr;
  const char* tail = nullptr;
  const size_t skip = key.size() - sql.size();
  int rc = sqlite3_prepare_v3(db_, key.data() + skip, static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                              &stmt, &tail);
  if (rc != SQLITE_OK) return LastError(db_, rc);
  if (stmt == nullptr) return Error{"sql_error", "empty SQL statement", 400};
  if (tail != nullptr && *tail != '\0') {
    std::string_view rest(tail);
    if (rest.find_first_not_of(" \t\r\n;") != std::string_view::npos && !CompilesToNothing(db_, tail)) {
      sqlite3_finalize(stmt);
      return Error{"sql_error", "only one SQL statement may be run at a time", 400};
    }
  }
  return Statement(this, stmt, cacheable, std::move(key));
}

Result<Statement> Database::PrepareUncached(std::string_view sql) {
  auto s = Prepare(sql);
  if (s.ok()) s->cached_ = false;
  return s;
}

void Database::ReturnToCache(std::string sql, sqlite3_stmt* stmt) {
  if (cache_.size() >= cache_size_ || cache_.count(sql) != 0) {
    // Full (or a twin is already idle there): drop this one. A simple bound;
    // hot statements come back on the next Prepare.
    sqlite3_finalize(stmt);
    return;
  }
  cache_.emplace(std::move(sql), stmt);
}

void Database::Seal(const SealedSchema& schema) {
  if (!guard_) guard_ = std::make_unique<Guard>();
  guard_->schema = &schema;
  if (db_ == nullptr) return;
  sqlite3_db_config(db_, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  sqlite3_set_authorizer(
      db_,
      [](void* p, int action, const char* a1, const char* a2, const char* database, const char* inner) -> int {
        const Guard* g = static_cast<const Guard*>(p);
        // A guarded table's own statements and a script's use the script
        // rules; a user's SQL the user rules; the rest is the host's.
        const Caller caller = g->host_depth > 0 ? Caller::kHost
                              : g->internal_depth > 0 || (g->script_depth > 0 && g->user_depth == 0) ? Caller::kScript
                              : g->user_depth > 0 ? Caller::kUser
                                                  : Caller::kHost;
        return Authorize(*g->schema, caller, action, a1, a2, database, inner, &g->grants);
      },
      guard_.get());
  // Statements compiled before the authorizer existed were not checked.
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  cache_.clear();
}

void Database::ReleaseMemory() {
  if (db_ == nullptr) return;
  // Idle cached statements hold their compiled programs (a few KB each);
  // the next Prepare compiles them again, cheaply next to a reopen.
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  cache_.clear();
  (void)sqlite3_db_release_memory(db_);
}

void Database::LimitForScripts(int64_t max_value_bytes) {
  assert(guard_ && "Seal() first");
  if (db_ == nullptr) return;
  sqlite3_limit(db_, SQLITE_LIMIT_ATTACHED, 0);
  sqlite3_db_config(db_, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, nullptr);
  const int max_value = static_cast<int>(std::clamp<int64_t>(max_value_bytes, 1 << 20, 1'000'000'000));
  sqlite3_limit(db_, SQLITE_LIMIT_LENGTH, max_value);
  sqlite3_limit(db_, SQLITE_LIMIT_SQL_LENGTH, std::min(max_value, 1 << 20));
  sqlite3_limit(db_, SQLITE_LIMIT_COLUMN, 2000);
  sqlite3_limit(db_, SQLITE_LIMIT_EXPR_DEPTH, 1000);
  sqlite3_limit(db_, SQLITE_LIMIT_COMPOUND_SELECT, 500);
  sqlite3_limit(db_, SQLITE_LIMIT_FUNCTION_ARG, 127);
  sqlite3_limit(db_, SQLITE_LIMIT_LIKE_PATTERN_LENGTH, 50000);
  sqlite3_limit(db_, SQLITE_LIMIT_VARIABLE_NUMBER, 32766);
  sqlite3_limit(db_, SQLITE_LIMIT_TRIGGER_DEPTH, 100);
  // Sorting and temporary b-trees stay within a bounded page cache and
  // spill to a temporary file beyond it rather than growing memory.
  (void)Exec("PRAGMA cache_size = -8192");
}

Database::ScriptScope::ScriptScope(Database& db) : db_(db) {
  if (db_.guard_) ++db_.guard_->script_depth;
}

Database::ScriptScope::~ScriptScope() {
  if (db_.guard_) --db_.guard_->script_depth;
}

Database::UserScope::UserScope(Database& db, RowGuard& guard, UserGrants grants) : db_(db) {
  assert(db_.guard_ && db_.guard_->user_depth == 0 && "one user at a time, on a sealed connection");
  if (!db_.guard_) return;
  ++db_.guard_->user_depth;
  db_.guard_->row_guard = &guard;
  db_.guard_->grants = std::move(grants);
}

Database::UserScope::~UserScope() {
  if (!db_.guard_) return;
  --db_.guard_->user_depth;
  db_.guard_->row_guard = nullptr;
  db_.guard_->grants.tables.clear();
}

Status Database::SetMaxSize(int64_t max_bytes) {
  auto page_size = QueryValue("PRAGMA page_size");
  if (!page_size.ok()) return page_size.error();
  int64_t size = page_size->has_value() ? std::get<int64_t>(**page_size) : 4096;
  // 0 is SQLite's "no change": the largest count it accepts lifts the bound.
  int64_t pages = max_bytes > 0 ? std::max<int64_t>(max_bytes / size, 1) : 4294967294LL;
  auto s = QueryValue("PRAGMA max_page_count = " + std::to_string(pages));
  if (!s.ok()) return s.error();
  max_size_bytes_ = max_bytes;
  return Ok{};
}

Result<int64_t> Database::SizeBytes() {
  auto pages = QueryValue("PRAGMA page_count");
  if (!pages.ok()) return pages.error();
  auto size = QueryValue("PRAGMA page_size");
  if (!size.ok()) return size.error();
  if (!pages->has_value() || !size->has_value()) return int64_t{0};
  return std::get<int64_t>(**pages) * std::get<int64_t>(**size);
}

void Database::SetDeadline(std::chrono::steady_clock::time_point deadline) {
  if (!deadline_) deadline_ = std::make_unique<std::chrono::steady_clock::time_point>();
  *deadline_ = deadline;
  if (db_ == nullptr) return;
  sqlite3_progress_handler(
      db_, 4000,
      [](void* p) -> int { return std::chrono::steady_clock::now() > *static_cast<std::chrono::steady_clock::time_point*>(p) ? 1 : 0; },
      deadline_.get());
}

void Database::ClearDeadline() {
  if (db_ != nullptr) sqlite3_progress_handler(db_, 0, nullptr, nullptr);
}

int64_t Database::TotalChanges() const { return db_ != nullptr ? sqlite3_total_changes64(db_) : 0; }

std::optional<Database::WalStamp> Database::WalIndexStamp() {
  if (db_ == nullptr) return std::nullopt;
  if (wal_mode_ == 0) {
    // Asked once: the journal mode of a file connection is set at the open.
    auto mode = QueryValue("PRAGMA journal_mode");
    const bool wal = mode.ok() && mode->has_value() && std::holds_alternative<std::string>(**mode) &&
                     std::get<std::string>(**mode) == "wal";
    wal_mode_ = wal && !storage_read_only_ ? 1 : -1;
  }
  if (wal_mode_ != 1) return std::nullopt;
  sqlite3_file* file = nullptr;
  if (sqlite3_file_control(db_, "main", SQLITE_FCNTL_FILE_POINTER, &file) != SQLITE_OK || file == nullptr ||
      file->pMethods == nullptr || file->pMethods->iVersion < 2 || file->pMethods->xShmMap == nullptr) {
    return std::nullopt;
  }
  // The WAL index's first region, mapped since this connection's first read
  // (Open reads the schema): handed back as it is, bExtend 0 (nothing is
  // made, grown or locked; the VFS takes its per-file mutex only).
  constexpr int kWalIndexRegionBytes = 32 * 1024;
  void volatile* region = nullptr;
  if (file->pMethods->xShmMap(file, 0, kWalIndexRegionBytes, 0, &region) != SQLITE_OK || region == nullptr) {
    return std::nullopt;
  }
  // Another process may be writing it: word by word, relaxed atomic loads
  // (the mapping is 8-byte aligned; a torn header just differs).
  WalStamp stamp;
  auto* words = const_cast<uint64_t*>(static_cast<const volatile uint64_t*>(region));
  for (size_t i = 0; i < std::size(stamp.words); ++i) stamp.words[i] = __atomic_load_n(&words[i], __ATOMIC_RELAXED);
  return stamp;
}

Status Database::CopyTo(Database& destination, std::chrono::milliseconds busy_wait) {
  struct BackupCloser {
    void operator()(sqlite3_backup* b) const { sqlite3_backup_finish(b); }
  };
  if (db_ == nullptr || destination.db_ == nullptr) return NotOpen();
  std::unique_ptr<sqlite3_backup, BackupCloser> backup(sqlite3_backup_init(destination.db_, "main", db_, "main"));
  if (!backup) return LastError(destination.db_, sqlite3_errcode(destination.db_));
  const auto give_up = std::chrono::steady_clock::now() + busy_wait;
  for (;;) {
    const int rc = sqlite3_backup_step(backup.get(), -1);
    if (rc == SQLITE_DONE) break;
    const int primary = rc & 0xFF;
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
      if (std::chrono::steady_clock::now() >= give_up) {
        return Error{"busy", "the database stayed locked; try again", 503};
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      continue;
    }
    // The step's error is reported by finish, on the destination.
    const int finished = sqlite3_backup_finish(backup.release());
    return LastError(destination.db_, finished != SQLITE_OK ? finished : rc);
  }
  const int finished = sqlite3_backup_finish(backup.release());
  if (finished != SQLITE_OK) return LastError(destination.db_, finished);
  return Ok{};
}

int64_t Database::LastInsertRowId() const { return db_ != nullptr ? sqlite3_last_insert_rowid(db_) : 0; }
int64_t Database::Changes() const { return db_ != nullptr ? sqlite3_changes64(db_) : 0; }
bool Database::InTransaction() const { return db_ != nullptr && sqlite3_get_autocommit(db_) == 0; }

bool Database::Quiescent() const {
  if (db_ == nullptr || InTransaction()) return false;
  for (sqlite3_stmt* s = sqlite3_next_stmt(db_, nullptr); s != nullptr; s = sqlite3_next_stmt(db_, s)) {
    if (sqlite3_stmt_busy(s) != 0) return false;
  }
  return true;
}

bool Database::FileMoved() const {
  if (db_ == nullptr) return true;
  int moved = 0;
  if (sqlite3_file_control(db_, "main", SQLITE_FCNTL_HAS_MOVED, &moved) != SQLITE_OK) return true;
  return moved != 0;
}

Result<std::optional<Value>> Database::QueryValue(std::string_view sql, const std::vector<Value>& params) {
  auto stmt = Prepare(sql);
  if (!stmt.ok()) return stmt.error();
  stmt->BindAll(params);
  auto row = stmt->Step();
  if (!row.ok()) return row.error();
  if (!row.value()) return std::optional<Value>();
  return std::optional<Value>(stmt->Column(0));
}

Result<std::vector<std::string>> Database::QueryTexts(std::string_view sql, const std::vector<Value>& params) {
  auto stmt = Prepare(sql);
  if (!stmt.ok()) return stmt.error();
  stmt->BindAll(params);
  std::vector<std::string> out;
  for (;;) {
    auto row = stmt->Step();
    if (!row.ok()) return row.error();
    if (!*row) return out;
    out.push_back(stmt->Text(0));
  }
}

// --------------------------------------------------------------- Transaction

Result<Transaction> Transaction::Begin(Database& db) {
  if (auto s = db.Exec("BEGIN IMMEDIATE"); !s.ok()) return s.error();
  return Transaction(&db);
}

Transaction::Transaction(Transaction&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}

Transaction::~Transaction() {
  if (db_ != nullptr && db_->InTransaction()) (void)db_->Exec("ROLLBACK");
}

Status Transaction::Commit() {
  if (db_ == nullptr) return Error::Internal("transaction already finished");
  auto s = db_->Exec("COMMIT");
  if (s.ok()) db_ = nullptr;
  return s;
}

std::string SqliteVersion() { return sqlite3_libversion(); }

}  // namespace hbf::db
