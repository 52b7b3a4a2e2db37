// The SQLite adapter: the only place in HBF that includes <sqlite3.h>.
//
// Database is a move-only RAII connection with the pragmas every henv uses
// (WAL, synchronous=NORMAL, foreign_keys=ON, a busy timeout) and a cache of
// prepared statements keyed by SQL text. Statement is a RAII handle on one
// prepared statement; one from the cache is reset and returned to the cache
// when the handle is destroyed.
//
// Errors are Result/Status: "sql_error" (400: the SQL or its data is at
// fault), "constraint" (409), "busy" (503: the file is locked past the busy
// timeout), "quota_exceeded" (507: the henv's max size), the server's
// storage refusing a write: "insufficient_storage" (507: disk full) or
// "read_only" (503: read-only mount), see ARCHITECTURE.md "Durability and
// storage faults"; "db_error" (500: other I/O, corruption). No message names
// a host path. SQLITE_MISUSE is a bug in HBF and asserts in debug builds.
//
// Thread safety: a Database and its Statements must be used by one thread at
// a time (the owner serialises access; see HenvHandle). Different Database
// objects may be used concurrently, also on the same file.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "core/result.h"
#include "db/sql_guard.h"

struct sqlite3;
struct sqlite3_stmt;

namespace hbf::db {

struct Null {};
using Blob = std::vector<uint8_t>;
// A value bound to or read from SQL.
using Value = std::variant<Null, int64_t, double, std::string, Blob>;

class Database;
class RowGuard;
struct GuardedTableAccess;

// A user's table grants on a connection running SQL on its behalf (see
// guarded_table.h): lower-case table name -> bits.
struct UserGrants {
  static constexpr uint8_t kSelect = 1, kInsert = 2, kUpdate = 4, kDelete = 8;
  std::unordered_map<std::string, uint8_t> tables;
};

class Statement {
 public:
  Statement() = default;
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Binding: 1-based positions, or ":name"/"@name"/"$name" names.
  Statement& Bind(int index, const Value& value);
  Status BindNamed(std::string_view name, const Value& value);
  Statement& BindAll(const std::vector<Value>& values);  // positions 1..n
  int ParameterCount() const;
  // The name of parameter `index` (with its prefix), or "" for '?'.
  std::string ParameterName(int index) const;

  // Steps once. Returns true when a row is available, false when done.
  Result<bool> Step();
  // Steps to completion, ignoring rows. For INSERT/UPDATE/DELETE/DDL.
  Status Run();

  int ColumnCount() const;
  std::string ColumnName(int i) const;
  bool IsNull(int i) const;
  int64_t Int(int i) const;
  double Double(int i) const;
  std::string Text(int i) const;
  Blob BlobValue(int i) const;
  // A BLOB (or TEXT) column's bytes as a string, copied once.
  std::string Bytes(int i) const;
  Value Column(int i) const;

  bool ReadOnly() const;

 private:
  friend class Database;
  Statement(Database* db, sqlite3_stmt* stmt, bool cached, std::string sql);
  void Release();

  Database* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  bool cached_ = false;  // return to db_'s cache instead of finalizing
  std::string sql_;      // cache key when cached_
  Status bind_status_ = Ok{};  // first bind failure, reported by Step/Run
};

class ChangeCapture;
class ChangeListener;

class Database {
 public:
  struct Options {
    bool create = true;          // create the file if missing
    bool read_only = false;
    int busy_timeout_ms = 5000;  // how long a writer waits for a lock
    size_t statement_cache_size = 64;
    // Leave the -wal and -shm files in place when the last connection
    // closes (SQLITE_FCNTL_PERSIST_WAL), the WAL folded into the file and
    // cut to zero bytes as before, so the file alone is still the whole
    // database. For files opened and closed all day (henvs): creating and
    // unlinking two files on every open/close cost ext4 an inode search
    // each time, a quarter of a cold start's CPU. Whoever copies or
    // replaces such a file while it is closed finds a zero-byte -wal and a
    // stale -shm beside it; SQLite rebuilds the -shm on the next open.
    bool keep_wal_files = false;
  };

  // Opens (or creates) `path` (":memory:" for tests) and applies the pragmas.
  static Result<Database> Open(const std::string& path, const Options& options);
  static Result<Database> Open(const std::string& path) { return Open(path, Options{}); }

  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  // Options::keep_wal_files, changed later: a file refused after it was
  // opened is left as it was found (the last connection's choice counts).
  void KeepWalFiles(bool keep);

  // Runs one or more statements with no parameters and no results.
  Status Exec(std::string_view sql);

  // A statement from the cache (prepared once per connection).
  Result<Statement> Prepare(std::string_view sql);
  // A statement outside the cache, for one-off or untrusted SQL.
  Result<Statement> PrepareUncached(std::string_view sql);

  int64_t LastInsertRowId() const;
  int64_t Changes() const;
  bool InTransaction() const;
  // No transaction open and no statement part-way through its rows (one
  // stepped and not yet reset holds a read snapshot without a transaction).
  bool Quiescent() const;
  // True when the file this connection opened is no longer the one at its
  // path (deleted, renamed, or replaced by another file), or it is closed
  // (SQLITE_FCNTL_HAS_MOVED: one stat of the path).
  bool FileMoved() const;
  // How long a writer waits for the file's write lock (as Options::busy_timeout_ms).
  void SetBusyTimeout(int ms);
  const std::string& path() const { return path_; }
  // False for a moved-from or closed connection: then every statement fails
  // with 503 "db_unavailable" and the getters read 0, never touching SQLite
  // (a henv whose file could not be reopened answers that way).
  bool is_open() const { return db_ != nullptr; }
  // Closes the connection now (as the destructor would): is_open() is then
  // false. The path, sealed schema and bound are remembered (see above).
  void CloseNow() { Close(); }
  // True when Open found the storage mounted read-only and opened the file
  // for reading instead (writes then fail with 503 read_only). Such a
  // connection is never kept: once the storage is writable again, a fresh
  // Open is read-write.
  bool storage_read_only() const { return storage_read_only_; }

  // Convenience: the first column of the first row, or nullopt when no row.
  Result<std::optional<Value>> QueryValue(std::string_view sql, const std::vector<Value>& params = {});
  // Convenience: the first column of every row, as text.
  Result<std::vector<std::string>> QueryTexts(std::string_view sql, const std::vector<Value>& params = {});

  // Seals `schema`'s system tables on this connection (see sql_guard.h):
  // from now on every statement is checked by SQLite's authorizer, as the
  // host's unless compiled and stepped inside a ScriptScope. `schema` must
  // outlive the connection. Irreversible for the connection.
  void Seal(const SealedSchema& schema);

  // Additionally readies the connection for a tenant's script: no ATTACH
  // (so no other file - and no other henv - is reachable, which also rules
  // out VACUUM INTO), no extension loading, and SQLite's limits on lengths
  // and depths, so that one statement cannot build more than
  // `max_value_bytes` in a string or blob (printf, zeroblob, replace,
  // group_concat). REQUIRES: Seal() was called.
  void LimitForScripts(int64_t max_value_bytes);

  // While alive, statements prepared and stepped on `db` are a script's:
  // the sealed-schema rules apply. Scopes nest. Statements prepared inside
  // a scope are cached apart from the host's, so a script never receives a
  // statement compiled with the host's rights.
  class ScriptScope {
   public:
    explicit ScriptScope(Database& db);
    ~ScriptScope();
    ScriptScope(const ScriptScope&) = delete;
    ScriptScope& operator=(const ScriptScope&) = delete;

   private:
    Database& db_;
  };

  // While alive, statements prepared and stepped on `db` are run on behalf
  // of a user: only the guarded tables (guarded_table.h) are reachable,
  // each as `grants` allows, their rows filtered by `guard`. REQUIRES:
  // Seal(); no other scope is active. Statements are cached apart.
  class UserScope {
   public:
    UserScope(Database& db, RowGuard& guard, UserGrants grants);
    ~UserScope();
    UserScope(const UserScope&) = delete;
    UserScope& operator=(const UserScope&) = delete;

   private:
    Database& db_;
  };

  // Bounds the file to `max_bytes` (PRAGMA max_page_count); writes beyond
  // it fail with "quota_exceeded" (507). 0 lifts the bound.
  Status SetMaxSize(int64_t max_bytes);
  // The last bound SetMaxSize() set (0: none), for a connection opened
  // again on the same file to carry it over.
  int64_t max_size_bytes() const { return max_size_bytes_; }
  // Bytes the file holds now (page_count * page_size).
  Result<int64_t> SizeBytes();

  // While set, a statement still running at `deadline` is interrupted (its
  // step fails with code "interrupted"). Checked every few thousand VM steps.
  void SetDeadline(std::chrono::steady_clock::time_point deadline);
  void ClearDeadline();

  // Total rows changed through this connection since it opened.
  int64_t TotalChanges() const;

  // The header of the file's WAL index as it is now in the -shm's shared
  // memory, read without a lock or a system call. Every commit to the
  // file, by any connection of any process, rewrites it (its frame count,
  // frame checksum and salts), so an unchanged stamp means nothing was
  // committed between two reads; a read racing a commit gives a stamp
  // that matches neither. For a cheap look before PRAGMA data_version,
  // which starts a read transaction (WAL locks: four fcntl calls).
  // std::nullopt for a connection not in WAL mode (":memory:", a
  // read-only fallback) or before its first read. Not thread-safe: the
  // connection's owner.
  struct WalStamp {
    uint64_t words[6] = {};  // the header's first copy, 48 bytes
    bool operator==(const WalStamp&) const = default;
  };
  std::optional<WalStamp> WalIndexStamp();

  // Hands the page cache's unused pages back (sqlite3_db_release_memory)
  // and finalizes the idle cached statements: an idle connection then holds
  // its schema and little else. The next reads fetch their pages again
  // (from the OS's cache), the next statements are compiled again.
  void ReleaseMemory();
  // Time spent inside SQLite stepping statements on this connection since
  // MeasureBusyTime() (the "DB time" of a henv's figures); 0 without it.
  // Off by default: HBF's own connections do not pay two clock reads a step.
  void MeasureBusyTime() { measure_busy_ = true; }
  int64_t busy_ns() const { return busy_ns_; }

  // Reports the rows this connection's committed transactions change to
  // `listener`, naming `source` (see change_capture.h). Once per connection.
  void CaptureChanges(std::shared_ptr<ChangeListener> listener, std::string source);

  // From now on, notes whether a statement on this connection changes a row
  // of `documents` in `main` (a script editing its own code, directly or
  // through a trigger): TakeDocumentsWritten() says so and clears the note.
  // So a script's writes to its own tables need no code-version re-read.
  // And once such a transaction is over (committed or not), the file's
  // DocumentsEpoch moves on (documents_epoch.h): what caches documents read
  // from the file drops them. Costs a comparison per changed row.
  void WatchDocumentWrites();
  bool TakeDocumentsWritten();
  struct RowHook;  // (connection_hooks.h: the pre-update hook's state)

  // Copies this database, as one consistent snapshot, over `destination`
  // (SQLite's online backup API, all pages in one step): the destination's
  // other connections, in this process or another, see the old content
  // until the copy commits and the new content from their next read
  // transaction. Writers on this database go on meanwhile (WAL). Retries
  // while either file is locked, up to `busy_wait`; then "busy" (503).
  // A WAL destination must have the same page size ("db_error" otherwise).
  // REQUIRES: no transaction open on either connection.
  Status CopyTo(Database& destination, std::chrono::milliseconds busy_wait = std::chrono::seconds(30));

 private:
  friend class Statement;
  friend struct GuardedTableAccess;
  Database(sqlite3* db, std::string path, size_t cache_size);
  static Result<Database> OpenOnce(const std::string& path, const Options& options, bool immutable);
  void ReturnToCache(std::string sql, sqlite3_stmt* stmt);
  void Close();

  sqlite3* db_ = nullptr;
  std::string path_;
  bool storage_read_only_ = false;  // see storage_read_only()
  // WalIndexStamp(): 0 until asked, then 1 in WAL mode, -1 otherwise.
  int wal_mode_ = 0;
  int64_t max_size_bytes_ = 0;      // see max_size_bytes()
  size_t cache_size_ = 64;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;  // idle prepared statements
  // Heap-allocated so the progress handler's pointer survives moves.
  std::unique_ptr<std::chrono::steady_clock::time_point> deadline_;
  // The authorizer's state, heap-allocated for the same reason.
  struct Guard {
    const SealedSchema* schema = nullptr;
    int script_depth = 0;
    int user_depth = 0;      // inside a UserScope
    int internal_depth = 0;  // a guarded table's own statements (script rules)
    int host_depth = 0;      // HBF's own lookups from inside a guarded table (host rules)
    RowGuard* row_guard = nullptr;
    UserGrants grants;
  };
  std::unique_ptr<Guard> guard_;
  std::unique_ptr<ChangeCapture> capture_;  // heap: the hooks hold its address
  // SQLite's one pre-update hook per connection, shared by CaptureChanges()
  // and WatchDocumentWrites(); heap-allocated so the hook's pointer survives
  // moves.
  std::unique_ptr<RowHook> row_hook_;
  void InstallRowHook();
  // A file's connection waits for a taken write lock at its WriteGate
  // (write_gate.h) instead of SQLite's sleeps; heap-allocated so the busy
  // handler's and the WAL hook's pointer survives moves.
  struct BusyWait;
  std::unique_ptr<BusyWait> busy_wait_;
  void WaitAtWriteGate(int timeout_ms, bool writable);
  int64_t busy_ns_ = 0;
  bool measure_busy_ = false;
  // sqlite3_step / sqlite3_exec, timed into busy_ns_ when measure_busy_.
  template <typename F>
  int Timed(F&& run);
  // After a statement returned (Step finished, reset, finalize, Exec).
  void AfterStatement();
};

// Runs a transaction: BEGIN IMMEDIATE on construction (writers queue here,
// not at COMMIT), ROLLBACK on destruction unless Commit() succeeded.
class Transaction {
 public:
  static Result<Transaction> Begin(Database& db);
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  ~Transaction();
  Status Commit();

 private:
  explicit Transaction(Database* db) : db_(db) {}
  Database* db_;
};

// `name` as an SQL identifier: double-quoted, inner quotes doubled. For
// names HBF composes into SQL (tables and columns from the schema).
std::string QuoteIdentifier(std::string_view name);

// Maps an SQLite result code + message to HBF's error vocabulary.
Error SqlError(int code, std::string_view message);

// The linked SQLite's version ("3.40.1"), for `hbf --version`.
std::string SqliteVersion();

}  // namespace hbf::db
