// The server's outbox: mail waiting for the relay, so that a relay outage
// loses no message. One SQLite file per storage folder,
// {storage_dir}/.lifecycle.db (a dot-name: never taken for a henv), which
// also remembers which inactivity warnings were sent (sweep.h).
//
// A message is enqueued in one transaction with the fact it reports;
// Deliver() sends what is due, marks each sent message, and gives a failed
// one another try later: after 1, 2, 4 ... minutes, at most 6 hours apart,
// for ever (an operator sees them in the file and the log).
//
// Thread safety: an Outbox is used by one thread at a time (the sweep's or
// a command's); several processes may use the file (SQLite's locks).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "core/result.h"
#include "db/database.h"
#include "lifecycle/smtp_client.h"

namespace hbf::lifecycle {

// {storage_dir}/.lifecycle.db
std::string OutboxPath(const std::string& storage_dir);

class Outbox {
 public:
  // Opens (creating) `{storage_dir}/.lifecycle.db`.
  static Result<Outbox> Open(const std::string& storage_dir);

  // Queues one message for `henv`, due at once.
  Status Enqueue(const std::string& henv, const MailMessage& message, int64_t now_unix);

  struct DeliveryReport {
    int sent = 0;
    int failed = 0;   // tried and will be tried again
    int pending = 0;  // still queued afterwards
  };
  using Sender = std::function<Status(const MailMessage&)>;
  // Sends every message due at `now_unix` through `send`.
  Result<DeliveryReport> Deliver(int64_t now_unix, const Sender& send);

  // Messages not sent yet (all, or those of `henv`).
  Result<int64_t> PendingCount(const std::string& henv = "");

  // The inactivity warning for `henv` was sent for the idle spell that
  // began at `activity_ts` (sweep.h): one warning per spell.
  Result<bool> WarnedFor(const std::string& henv, int64_t activity_ts);
  Status NoteWarned(const std::string& henv, int64_t activity_ts, int64_t now_unix);

  db::Database& database() { return db_; }

 private:
  explicit Outbox(db::Database db) : db_(std::move(db)) {}
  db::Database db_;
};

}  // namespace hbf::lifecycle
