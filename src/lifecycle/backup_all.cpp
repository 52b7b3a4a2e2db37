#include "lifecycle/backup_all.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>

#include "henv/henv_hash.h"
#include "lifecycle/snapshot.h"

namespace hbf::lifecycle {
namespace {

Status MakeFolder(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) return Error::Internal("cannot create " + path + ": " + ec.message());
  ::chmod(path.c_str(), 0700);
  return Ok{};
}

// {hash}-YYYYMMDDTHHMMSS.mmmZ.db
bool IsSnapshotName(const std::string& name, const std::string& hash) {
  const std::string prefix = hash + "-";
  const std::string suffix = "Z.db";
  return name.size() == prefix.size() + 19 + suffix.size() && name.rfind(prefix, 0) == 0 &&
         name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

std::vector<std::string> ListHenvs(const std::string& storage_dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(storage_dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (!IsValidHenvHash(name)) continue;
    struct stat st{};
    if (::stat((entry.path() / "index.db").c_str(), &st) == 0 && S_ISREG(st.st_mode)) out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string SnapshotFileName(const std::string& hash, int64_t unix_ms) {
  const time_t seconds = static_cast<time_t>(unix_ms / 1000);
  struct tm utc{};
  gmtime_r(&seconds, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%S", &utc);
  char millis[8];
  std::snprintf(millis, sizeof millis, ".%03d", static_cast<int>(unix_ms % 1000));
  return hash + "-" + stamp + millis + "Z.db";
}

std::vector<std::string> PruneSnapshots(const std::string& folder, const std::string& hash, int keep) {
  std::vector<std::string> removed;
  if (keep <= 0) return removed;
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(folder, ec)) {
    const std::string name = entry.path().filename().string();
    if (IsSnapshotName(name, hash) && entry.is_regular_file(ec)) names.push_back(name);
  }
  std::sort(names.begin(), names.end(), std::greater<>());  // newest first
  for (size_t i = static_cast<size_t>(keep); i < names.size(); ++i) {
    const std::string path = folder + "/" + names[i];
    if (std::filesystem::remove(path, ec)) removed.push_back(path);
  }
  return removed;
}

Result<BackupAllReport> BackupAll(const BackupAllOptions& options) {
  if (auto s = MakeFolder(options.to); !s.ok()) return s.error();
  BackupAllReport report;
  for (const std::string& hash : ListHenvs(options.storage_dir)) {
    const std::string folder = options.to + "/" + hash;
    if (auto s = MakeFolder(folder); !s.ok()) {
      report.failed.emplace_back(hash, s.error().message);
      continue;
    }
    const std::string path = folder + "/" + SnapshotFileName(hash, options.now_ms());
    auto written = WriteSnapshot(options.storage_dir + "/" + hash + "/index.db", hash, path);
    if (!written.ok()) {
      report.failed.emplace_back(hash, written.error().message);
      continue;
    }
    report.written.push_back(path);
    auto pruned = PruneSnapshots(folder, hash, options.keep);
    report.pruned.insert(report.pruned.end(), pruned.begin(), pruned.end());
  }
  return report;
}

}  // namespace hbf::lifecycle
