// `hbf cluster plan`: where each henv lives under nginx's
// `hash $host consistent` (src/cluster/nginx_ring.h), and which henvs move
// when a node is added or removed.
//
//   hbf cluster plan --nodes A,B,C [--add X | --remove Y]
//                    [--storage_dir DIR | --hashes FILE] [--base_domain D] [--all]
//
// Node names are written exactly as after `server` in the nginx upstream
// block ("10.0.0.2:5309"; "NAME*N" for weight=N): nginx hashes the text.
// The henvs are the `{hash}/index.db` folders of --storage_dir (default
// $HBF_STORAGE_DIR, else ./henvs), or the lines of --hashes FILE (a hash or
// a host a line, '#' comments). --base_domain (default $HBF_BASE_DOMAIN,
// else localhost) makes the host nginx hashes: {hash}.{base_domain}.
//
// Output (stdout, one line each, fields separated by one space):
//   without --add/--remove: `owner HASH HOST NODE`
//   with either:            `move HASH HOST FROM TO` for each henv that
//                           moves (and `stay HASH HOST NODE` with --all),
//   then a summary line starting with '#'. Exit 0; 2 on bad arguments,
//   1 when the henv list cannot be read.
//
// Thread safety: main thread only.
#pragma once

#include <string>
#include <vector>

namespace hbf::cli {

// `args`: what follows "cluster" on the command line. Returns the exit code.
int RunClusterCommand(const std::vector<std::string>& args);

}  // namespace hbf::cli
