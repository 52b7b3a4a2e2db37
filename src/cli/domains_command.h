// `hbf domains`: the server operator's view of the custom-domain index
// ({storage_dir}/.domains.db, src/domains/domain_store.h).
//
//   hbf domains list             [--storage_dir DIR]
//   hbf domains approve DOMAIN   [--storage_dir DIR]  pending -> active, no fetch
//   hbf domains revoke DOMAIN    [--storage_dir DIR]  removes the claim
//
// --storage_dir defaults to $HBF_STORAGE_DIR, else ./henvs. A running server
// on the same folder routes (or stops routing) the change within a second.
// approve and revoke are written to the henv's audit log (actor
// "operator") when the henv is on disk, and logged on stderr.
//
// Output: `list` prints one line per domain, `DOMAIN HENV STATE`, sorted by
// domain; approve/revoke print one line saying what was done. Exit 0 done,
// 1 no such domain (or the index cannot be read), 2 bad arguments.
//
// Thread safety: main thread only.
#pragma once

#include <string>
#include <vector>

namespace hbf::cli {

// `args`: what follows "domains" on the command line. Returns the exit code.
int RunDomainsCommand(const std::vector<std::string>& args);

}  // namespace hbf::cli
