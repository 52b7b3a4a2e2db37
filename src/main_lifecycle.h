// The henv lifecycle commands of the hbf binary: backup (one henv or all),
// restore, henv export / import / untrash, sweep. Thin wrappers over src/lifecycle: flags in,
// one line per outcome out (stdout), errors on stderr with a non-zero exit.
// Each is safe while a server runs on the same --storage_dir.
//
// Thread safety: called once, from main, before any other thread exists.
#pragma once

#include "core/config.h"
#include "lifecycle/sweep.h"

namespace hbf {

// Runs the lifecycle command `inv.command` names. Returns the exit status:
// 0 done, 1 failed (the reason on stderr).
int RunLifecycleCommand(const Invocation& inv);

// The sweep's settings from the flags (shared by `hbf sweep` and the
// server's daily sweep); now_unix, dry_run and on_trashed are the caller's.
lifecycle::SweepOptions SweepOptionsFor(const Config& config);

}  // namespace hbf
