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
// timeout), "db_error" (500: I/O, corruption). SQLITE_MISUSE is a bug in
// HBF and asserts in debug builds.
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

struct sqlite3;
struct sqlite3_stmt;

namespace hbf::db {

struct Null {};
using Blob = std::vector<uint8_t>;
// A value bound to or read from SQL.
using Value = std::variant<Null, int64_t, double, std::string, Blob>;

class Database;

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

class Database {
 public:
  struct Options {
    bool create = true;          // create the file if missing
    bool read_only = false;
    int busy_timeout_ms = 5000;  // how long a writer waits for a lock
    size_t statement_cache_size = 64;
  };

  // Opens (or creates) `path` (":memory:" for tests) and applies the pragmas.
  static Result<Database> Open(const std::string& path, const Options& options);
  static Result<Database> Open(const std::string& path) { return Open(path, Options{}); }

  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  // Runs one or more statements with no parameters and no results.
  Status Exec(std::string_view sql);

  // A statement from the cache (prepared once per connection).
  Result<Statement> Prepare(std::string_view sql);
  // A statement outside the cache, for one-off or untrusted SQL.
  Result<Statement> PrepareUncached(std::string_view sql);

  int64_t LastInsertRowId() const;
  int64_t Changes() const;
  bool InTransaction() const;
  const std::string& path() const { return path_; }

  // Convenience: the first column of the first row, or nullopt when no row.
  Result<std::optional<Value>> QueryValue(std::string_view sql, const std::vector<Value>& params = {});

  // Restricts this connection to what a tenant's script may do: no ATTACH
  // or DETACH (so no other file - and no other henv - is reachable, which
  // also rules out VACUUM INTO), no extension loading, no PRAGMA assignments
  // except a few harmless ones, no fts3_tokenizer(). Reading and writing the
  // henv's own tables is allowed. Irreversible for the connection.
  void EnableScriptSandbox();

  // While set, a statement still running at `deadline` is interrupted (its
  // step fails with code "interrupted"). Checked every few thousand VM steps.
  void SetDeadline(std::chrono::steady_clock::time_point deadline);
  void ClearDeadline();

  // Total rows changed through this connection since it opened.
  int64_t TotalChanges() const;

 private:
  friend class Statement;
  Database(sqlite3* db, std::string path, size_t cache_size);
  void ReturnToCache(std::string sql, sqlite3_stmt* stmt);
  void Close();

  sqlite3* db_ = nullptr;
  std::string path_;
  size_t cache_size_ = 64;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;  // idle prepared statements
  // Heap-allocated so the progress handler's pointer survives moves.
  std::unique_ptr<std::chrono::steady_clock::time_point> deadline_;
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

// Maps an SQLite result code + message to HBF's error vocabulary.
Error SqlError(int code, std::string_view message);

}  // namespace hbf::db
