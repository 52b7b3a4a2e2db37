// Henv snapshots: consistent copies of a henv's file, checked and put back.
//
// A snapshot is one plain SQLite file (rollback-journal mode, no -wal beside
// it) holding the whole henv: documents, code, users, sessions, signing keys,
// settings. It is taken with SQLite's online backup API from a connection of
// its own, so a server may go on serving reads and writes meanwhile (WAL),
// and carries the henv's hash as the `henv_hash` row of _hbf_config.
//
// Restoring never swaps files under a running server (its connections would
// pair the new file with the old -wal/-shm): the checked snapshot is copied
// *into* the live file through SQLite, as one write transaction. Requests in
// flight finish on the data they started reading; every later transaction,
// in any process, sees the restored data; the running server notices the
// foreign commit through PRAGMA data_version (Henv::RefreshIfChangedElsewhere)
// and reloads code and settings. The restored code version is set above
// both the live and the snapshot's, so no JavaScript worker of the old code
// survives. See ARCHITECTURE.md, "Henv lifecycle".
//
// Thread safety: free functions over files; each opens its own connections.
// Concurrent calls for one henv are serialised by SQLite's locks (a restore
// waits for a writer, up to `busy_wait`).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "core/result.h"

namespace hbf::lifecycle {

// What a checked snapshot holds.
struct SnapshotInfo {
  std::string henv_hash;    // from its _hbf_config row; empty when absent (a raw copy)
  std::string owner;        // the owner's username
  int schema_version = 0;   // as found, before any migration
  int64_t bytes = 0;        // file size
};

// Writes a snapshot of the henv file `db_path` (henv `hash`) to `dest_path`:
// built beside it as `dest_path.partial`, fsynced, mode 0600, renamed into
// place, so `dest_path` is never a half-written file. Safe while a server
// writes to the henv.
Status WriteSnapshot(const std::string& db_path, const std::string& hash, const std::string& dest_path);

// Reads `path` (a snapshot) whole into memory, for an HTTP download; the
// file is written to `scratch_path` first and removed after.
Result<std::string> SnapshotBytes(const std::string& db_path, const std::string& hash, const std::string& scratch_path);

struct CheckOptions {
  int64_t max_bytes = 0;  // refuse larger files (0: no bound)
  // The hash it is meant for; a snapshot stamped with another is refused
  // ("henv_mismatch"). Empty: any.
  std::string expected_hash;
};

// Checks the snapshot at `working_path`, a private copy this process may
// change: SQLite's header, PRAGMA integrity_check, HBF's own tables,
// triggers and indexes exactly as the schema makes them (no object added
// over them), one owner, a schema no newer than this binary's. Then brings
// it to the latest schema. Errors are 400 with code "invalid_snapshot"
// (not an SQLite file, or not a henv), "snapshot_corrupt" (integrity),
// "schema_too_new", "henv_mismatch"; 413 "payload_too_large" past max_bytes.
Result<SnapshotInfo> CheckSnapshot(const std::string& working_path, const CheckOptions& options);

// Copies the checked snapshot at `working_path` into the live henv file
// `live_db_path` (see above). The snapshot's code version is raised first.
Status RestoreInto(const std::string& live_db_path, const std::string& working_path,
                   std::chrono::milliseconds busy_wait = std::chrono::seconds(30));

// Where a restore or import puts the henv.
struct PlaceOptions {
  std::string storage_dir;
  std::string hash;      // empty: the henv the snapshot names (its henv_hash); 400 "henv_unknown" if none
  bool create = false;   // the henv may be absent (import): it is created from the file
  bool replace = false;  // an existing henv may be replaced (restore, import --replace)
  // The source is a private scratch file of the caller's (an upload): it is
  // checked in place, may be changed, and is removed whatever happens.
  bool consume_source = false;
  // When set (unix seconds), the restored henv's last_activity_ts: a restore
  // is its owner's or operator's doing, and an old snapshot must not look
  // inactive to the next sweep. 0: as in the snapshot (an import keeps it).
  int64_t stamp_activity_at = 0;
  CheckOptions check;
};

// The whole of a restore or an import of the file at `source_path`: copied
// to a private working file under the storage folder, checked, then copied
// into the live henv (replace) or published as a new henv folder (create:
// atomic mkdir + rename, like HenvManager::Create). 404 "henv_not_found"
// when the henv is absent and !create; 409 "henv_exists" when it exists
// and !replace. The source file is never changed.
Result<SnapshotInfo> PlaceSnapshot(const std::string& source_path, const PlaceOptions& options);

// Writes `hash` as the henv_hash row of the henv file at `path`, and
// `activity_at` as its last_activity_ts when > 0 (no other connection may
// have the file open).
Status SetHenvHashStamp(const std::string& path, const std::string& hash, int64_t activity_at = 0);

}  // namespace hbf::lifecycle
