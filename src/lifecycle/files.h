// Small file helpers for the lifecycle commands: scratch files that remove
// themselves (with SQLite's -wal/-shm/-journal companions), fsync, copies.
//
// Thread safety: free functions and a move-only RAII owner; no shared state.
#pragma once

#include <string>

#include "core/result.h"

namespace hbf::lifecycle {

// Removes `path` and its SQLite companions when destroyed, unless released.
class ScratchFile {
 public:
  explicit ScratchFile(std::string path) : path_(std::move(path)) {}
  ~ScratchFile();
  ScratchFile(ScratchFile&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
  ScratchFile& operator=(ScratchFile&&) = delete;
  ScratchFile(const ScratchFile&) = delete;
  ScratchFile& operator=(const ScratchFile&) = delete;
  const std::string& path() const { return path_; }
  // The file was published (renamed): keep it.
  void Release() { path_.clear(); }

 private:
  std::string path_;
};

// Removes `path`, `path-wal`, `path-shm` and `path-journal`, quietly.
void RemoveDatabaseFiles(const std::string& path);

Status FsyncFile(const std::string& path);
// fsyncs the folder holding `path` (so a rename there is durable).
void FsyncDirectoryOf(const std::string& path);

// A fresh private file (mode 0600) in `dir` named `.hbf-scratch-XXXXXX`.
Result<std::string> MakeScratchFile(const std::string& dir);
// A scratch file in `dir` holding a copy of `source`.
Result<std::string> MakeScratchCopy(const std::string& source, const std::string& dir);
// Writes `bytes` to a new scratch file in `dir`.
Result<std::string> WriteScratchFile(const std::string& bytes, const std::string& dir);

}  // namespace hbf::lifecycle
