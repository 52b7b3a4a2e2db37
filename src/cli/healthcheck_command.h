// `hbf healthcheck [--url URL] [--timeout_ms MS]`: asks a running hbf's
// /health (or any URL it serves) and exits 0 on a 2xx answer, 1 otherwise
// (refused, timed out, non-2xx), 2 on bad arguments. It exists because a
// scratch container has no curl: the Dockerfile's HEALTHCHECK runs the
// binary itself.
//
// URL: http://HOST[:PORT]/PATH with a numeric IPv4 or [IPv6] HOST (no DNS,
// as everywhere in hbf). Default: http://127.0.0.1:$HBF_PORT/health, port
// 5309 when HBF_PORT is unset. Plain http only.
//
// Thread safety: runs on the main thread; blocks at most --timeout_ms.
#pragma once

#include <string>
#include <vector>

namespace hbf::cli {

// `args`: what follows "healthcheck" on the command line. Returns the exit code.
int RunHealthcheck(const std::vector<std::string>& args);

}  // namespace hbf::cli
