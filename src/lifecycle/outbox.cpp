#include "lifecycle/outbox.h"

#include <algorithm>
#include <vector>

#include "core/log.h"

namespace hbf::lifecycle {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    henv TEXT NOT NULL,
    mail_from TEXT NOT NULL,
    mail_to TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    sent_at INTEGER,
    last_error TEXT
);
CREATE INDEX IF NOT EXISTS idx_outbox_due ON outbox(sent_at, next_attempt_at);
CREATE TABLE IF NOT EXISTS inactivity_warnings (
    henv TEXT PRIMARY KEY,
    activity_ts INTEGER NOT NULL,
    warned_at INTEGER NOT NULL
);
)sql";

// 1, 2, 4 ... minutes, at most 6 hours.
int64_t RetryDelaySeconds(int64_t attempts) {
  const int64_t shift = std::min<int64_t>(attempts, 10);
  return std::min<int64_t>(int64_t{60} << shift, 6 * 3600);
}

}  // namespace

std::string OutboxPath(const std::string& storage_dir) { return storage_dir + "/.lifecycle.db"; }

Result<Outbox> Outbox::Open(const std::string& storage_dir) {
  auto db = db::Database::Open(OutboxPath(storage_dir));
  if (!db.ok()) return db.error();
  if (auto s = db->Exec(kSchema); !s.ok()) return s.error();
  return Outbox(std::move(*db));
}

Status Outbox::Enqueue(const std::string& henv, const MailMessage& message, int64_t now_unix) {
  auto stmt = db_.Prepare(
      "INSERT INTO outbox (henv, mail_from, mail_to, subject, body, created_at, next_attempt_at) "
      "VALUES (?, ?, ?, ?, ?, ?, ?)");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, henv).Bind(2, message.from).Bind(3, message.to).Bind(4, message.subject).Bind(5, message.body);
  stmt->Bind(6, now_unix).Bind(7, now_unix);
  return stmt->Run();
}

Result<Outbox::DeliveryReport> Outbox::Deliver(int64_t now_unix, const Sender& send) {
  struct Due {
    int64_t id;
    int64_t attempts;
    std::string henv;
    MailMessage message;
  };
  std::vector<Due> due;
  {
    auto stmt = db_.Prepare(
        "SELECT id, attempts, henv, mail_from, mail_to, subject, body FROM outbox "
        "WHERE sent_at IS NULL AND next_attempt_at <= ? ORDER BY id LIMIT 100");
    if (!stmt.ok()) return stmt.error();
    stmt->Bind(1, now_unix);
    for (;;) {
      auto row = stmt->Step();
      if (!row.ok()) return row.error();
      if (!*row) break;
      due.push_back(Due{stmt->Int(0), stmt->Int(1), stmt->Text(2),
                        MailMessage{stmt->Text(3), stmt->Text(4), stmt->Text(5), stmt->Text(6)}});
    }
  }
  DeliveryReport report;
  for (const Due& d : due) {
    Status sent = send(d.message);
    if (sent.ok()) {
      auto stmt = db_.Prepare("UPDATE outbox SET sent_at = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?");
      if (!stmt.ok()) return stmt.error();
      stmt->Bind(1, now_unix).Bind(2, d.id);
      if (auto s = stmt->Run(); !s.ok()) return s.error();
      ++report.sent;
      Log(LogLevel::kInfo, "mailed " + d.message.to + ": " + d.message.subject, d.henv);
    } else {
      auto stmt = db_.Prepare(
          "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?");
      if (!stmt.ok()) return stmt.error();
      stmt->Bind(1, now_unix + RetryDelaySeconds(d.attempts)).Bind(2, sent.error().message).Bind(3, d.id);
      if (auto s = stmt->Run(); !s.ok()) return s.error();
      ++report.failed;
      Log(LogLevel::kWarn, "mail to " + d.message.to + " not sent (will retry): " + sent.error().message, d.henv);
    }
  }
  auto pending = PendingCount();
  if (!pending.ok()) return pending.error();
  report.pending = static_cast<int>(*pending);
  return report;
}

Result<int64_t> Outbox::PendingCount(const std::string& henv) {
  auto v = henv.empty() ? db_.QueryValue("SELECT count(*) FROM outbox WHERE sent_at IS NULL")
                        : db_.QueryValue("SELECT count(*) FROM outbox WHERE sent_at IS NULL AND henv = ?", {henv});
  if (!v.ok()) return v.error();
  return v->has_value() ? std::get<int64_t>(**v) : 0;
}

Result<bool> Outbox::WarnedFor(const std::string& henv, int64_t activity_ts) {
  auto v = db_.QueryValue("SELECT 1 FROM inactivity_warnings WHERE henv = ? AND activity_ts = ?", {henv, activity_ts});
  if (!v.ok()) return v.error();
  return v->has_value();
}

Status Outbox::NoteWarned(const std::string& henv, int64_t activity_ts, int64_t now_unix) {
  auto stmt = db_.Prepare(
      "INSERT INTO inactivity_warnings (henv, activity_ts, warned_at) VALUES (?, ?, ?) "
      "ON CONFLICT(henv) DO UPDATE SET activity_ts = excluded.activity_ts, warned_at = excluded.warned_at");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, henv).Bind(2, activity_ts).Bind(3, now_unix);
  return stmt->Run();
}

}  // namespace hbf::lifecycle
