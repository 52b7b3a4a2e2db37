// Snapshots of every henv in a storage folder (`hbf backup --all`), keeping
// the newest N per henv.
//
// Layout: {to}/{hash}/{hash}-{YYYYMMDDTHHMMSS.mmm}Z.db (folders 0700, files
// 0600). Names sort by time, so pruning keeps the last N by name; files
// that do not match the pattern (anything the operator put there) are never
// touched. The time comes from an injected clock.
//
// Thread safety: free functions; run one BackupAll per `to` folder at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"

namespace hbf::lifecycle {

// The hashes of the henvs in `storage_dir` (a folder named by a valid hash
// holding index.db), sorted. Dot-folders (.trash, scratch) are not henvs.
std::vector<std::string> ListHenvs(const std::string& storage_dir);

// "{hash}-20261130T130212.123Z.db" for `unix_ms`.
std::string SnapshotFileName(const std::string& hash, int64_t unix_ms);

struct BackupAllOptions {
  std::string storage_dir;
  std::string to;  // the folder receiving {hash}/ subfolders
  int keep = 0;    // newest snapshots kept per henv (0: keep all)
  std::function<int64_t()> now_ms;  // unix milliseconds; REQUIRES: set
};

struct BackupAllReport {
  std::vector<std::string> written;                          // paths
  std::vector<std::string> pruned;                           // paths removed
  std::vector<std::pair<std::string, std::string>> failed;  // hash, reason
};

// Snapshots every henv (one failure does not stop the others: it is listed)
// and prunes each henv's folder to `keep`. An error only when `to` cannot
// be created.
Result<BackupAllReport> BackupAll(const BackupAllOptions& options);

// Removes all but the newest `keep` snapshots of `hash` under `folder`
// ({folder}/{hash}-*.db). Returns the removed paths.
std::vector<std::string> PruneSnapshots(const std::string& folder, const std::string& hash, int keep);

}  // namespace hbf::lifecycle
