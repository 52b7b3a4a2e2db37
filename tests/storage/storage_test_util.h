// Shared helpers for the storage and auth specifications: temporary
// directories, Result assertions and single-value queries.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/result.h"
#include "db/database.h"

namespace hbf::testing_storage {

// A fresh directory under the system temp dir, removed with its contents on
// destruction.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "hbf-storage-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      ADD_FAILURE() << "mkdtemp failed";
    }
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string File(std::string_view name) const { return path_ + "/" + std::string(name); }

 private:
  std::string path_;
};

// "ok", or "code (status): message".
template <typename T>
std::string Describe(const Result<T>& r) {
  if (r.ok()) return "ok";
  return r.error().code + " (" + std::to_string(r.error().http_status) + "): " + r.error().message;
}

// Succeeds when `r` failed with exactly `code` and `http_status`.
template <typename T>
::testing::AssertionResult IsError(const Result<T>& r, std::string_view code, int http_status) {
  if (r.ok()) return ::testing::AssertionFailure() << "expected error " << code << " but the call succeeded";
  if (r.error().code != code || r.error().http_status != http_status) {
    return ::testing::AssertionFailure() << "expected " << code << " (" << http_status << ") but got "
                                         << Describe(r);
  }
  return ::testing::AssertionSuccess();
}

// The first column of the first row; fails the test (and returns Null) on
// an error or when there is no row.
inline db::Value Scalar(db::Database& db, std::string_view sql, const std::vector<db::Value>& params = {}) {
  auto r = db.QueryValue(sql, params);
  if (!r.ok()) {
    ADD_FAILURE() << "query failed: " << sql << ": " << Describe(r);
    return db::Null{};
  }
  if (!r->has_value()) {
    ADD_FAILURE() << "query returned no row: " << sql;
    return db::Null{};
  }
  return **r;
}

inline int64_t ScalarInt(db::Database& db, std::string_view sql, const std::vector<db::Value>& params = {}) {
  db::Value v = Scalar(db, sql, params);
  if (!std::holds_alternative<int64_t>(v)) {
    ADD_FAILURE() << "not an integer result: " << sql;
    return -1;
  }
  return std::get<int64_t>(v);
}

inline std::string ScalarText(db::Database& db, std::string_view sql, const std::vector<db::Value>& params = {}) {
  db::Value v = Scalar(db, sql, params);
  if (!std::holds_alternative<std::string>(v)) {
    ADD_FAILURE() << "not a text result: " << sql;
    return "<not text>";
  }
  return std::get<std::string>(v);
}

// Every value of the first column of a query, as text (integers printed).
inline std::vector<std::string> ColumnTexts(db::Database& db, std::string_view sql,
                                            const std::vector<db::Value>& params = {}) {
  std::vector<std::string> out;
  auto stmt = db.Prepare(sql);
  if (!stmt.ok()) {
    ADD_FAILURE() << "prepare failed: " << sql << ": " << Describe(stmt);
    return out;
  }
  stmt->BindAll(params);
  for (;;) {
    auto row = stmt->Step();
    if (!row.ok()) {
      ADD_FAILURE() << "step failed: " << sql << ": " << Describe(row);
      return out;
    }
    if (!*row) break;
    db::Value v = stmt->Column(0);
    if (std::holds_alternative<int64_t>(v)) {
      out.push_back(std::to_string(std::get<int64_t>(v)));
    } else {
      out.push_back(stmt->Text(0));
    }
  }
  return out;
}

inline std::set<std::string> ColumnSet(db::Database& db, std::string_view sql,
                                       const std::vector<db::Value>& params = {}) {
  auto v = ColumnTexts(db, sql, params);
  return std::set<std::string>(v.begin(), v.end());
}

inline std::string ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The permission bits of `path`, or -1 if it does not exist.
inline int ModeOf(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return -1;
  return static_cast<int>(st.st_mode & 07777);
}

inline bool PathExists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// The size of `path` in bytes, or -1 if it does not exist.
inline int64_t FileSize(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return -1;
  return static_cast<int64_t>(st.st_size);
}

// The names in a directory, sorted.
inline std::set<std::string> DirEntries(const std::string& dir) {
  std::set<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    names.insert(entry.path().filename().string());
  }
  return names;
}

// Moves `amount` from account 1 to account 2 of `acct(id, v)` in one
// transaction (`also` runs inside it), rolling back on failure: the
// concurrency tests' writes, whose readers check the sum never changes.
inline bool MoveBetweenAccounts(db::Database& db, int amount, std::string_view also = "") {
  const std::string n = std::to_string(amount);
  if (db.Exec("BEGIN IMMEDIATE; UPDATE acct SET v = v - " + n + " WHERE id = 1; UPDATE acct SET v = v + " + n +
              " WHERE id = 2; " + std::string(also) + " COMMIT")
          .ok()) {
    return true;
  }
  (void)db.Exec("ROLLBACK");
  return false;
}

}  // namespace hbf::testing_storage
