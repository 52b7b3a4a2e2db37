// The inactivity sweep: henvs nobody has used for a long time are warned,
// then moved to the trash, then deleted (issue #16, "Inactivity policy").
//
// Activity is the henv's `last_activity_ts` setting (App::NoteWrite: every
// write and every login, at most once a minute per henv); a henv that never
// stamped it (0) counts from its owner's creation. For each henv, with
// idle = now - activity:
//   idle >= delete_days: moved to {storage_dir}/.trash/{hash}.{now} (the
//                        whole folder: file, WAL, logs), action "delete";
//   idle >= warn_days:   its owner is mailed once for this idle spell
//                        (through the outbox), action "warn";
// and trash older than trash_days is deleted for good, action "purge".
// Each action is logged and written to the henv's audit log (before the
// move, so it travels with the henv). `dry_run` reports the same actions
// and changes nothing. `now` is passed in: tests set the clock forward.
//
// A trashed henv is not served (its folder is gone: 404); a server that has
// it open forgets it (the sweep's `on_trashed`, or HenvManager's janitor
// for a sweep run by another process). Untrash() brings the newest trashed
// copy back.
//
// Thread safety: one sweep per storage folder at a time (the server's
// daily one, or the command); free functions otherwise.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/result.h"
#include "lifecycle/outbox.h"

namespace hbf::lifecycle {

struct SweepOptions {
  std::string storage_dir;
  int warn_days = 30;    // --inactive_warn_days
  int delete_days = 60;  // --inactive_delete_days
  int trash_days = 30;   // --trash_days
  bool dry_run = false;
  int64_t now_unix = 0;  // REQUIRES: set
  std::string mail_from = "hbf@localhost";
  std::string base_domain = "localhost";  // for the henv's address in the mail
  // Called after a henv was moved to the trash (the server forgets it).
  std::function<void(const std::string& hash)> on_trashed;
};

struct SweepAction {
  std::string hash;
  std::string action;  // "warn", "delete", "purge"
  int64_t idle_days = 0;
  std::string detail;  // the owner mailed, the trash path
};

// Runs the sweep. `outbox` may be null only with dry_run.
Result<std::vector<SweepAction>> Sweep(const SweepOptions& options, Outbox* outbox);

// Moves the newest trashed copy of `hash` back to {storage_dir}/{hash}.
// 404 "not_in_trash"; 409 "henv_exists" when a henv of that hash exists.
Status Untrash(const std::string& storage_dir, const std::string& hash);

}  // namespace hbf::lifecycle
