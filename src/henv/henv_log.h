// Per-henv logs an app's owner can read: console output, script failures,
// slow requests (issue #13 item 4).
//
// Storage. Each henv's entries go to {storage_dir}/{hash}/logs.jsonl, one JSON
// object a line, appended with O_APPEND. When that file passes
// `max_file_bytes` it is renamed to logs.1.jsonl (replacing the previous one)
// and a new one is started, so a henv holds at most about twice the cap on
// disk. Sequence numbers grow by one per entry, per henv, across restarts:
// the last one is recovered from the files on first use, and clearing the
// logs keeps counting (its own "logs cleared" entry carries the next number).
//
// Memory. A henv whose logs were touched recently has a small in-memory tail
// (the newest `tail_entries`, at most `tail_bytes`) that answers reads and the
// live tail without a file read; it is loaded lazily from the files and
// dropped after `idle_timeout` unused (its file descriptor after
// `fd_idle_timeout`), so 10,000 quiet henvs cost nothing. Older entries are
// read from the files (bounded by the cap).
//
// Protection. A runaway `console.log` loop may not fill the disk or hold a
// lock: each henv has a token bucket (`rate_per_second`, `burst`); entries
// beyond it are counted, not written, and one `system` entry "N entries
// dropped" is written when the bucket has refilled (on the next append, or by
// the sweep a second later). Messages and stacks are truncated
// (kMaxMessageBytes, kMaxStackBytes).
//
// Live tail. Wait() parks a long-poll callback until an entry it would return
// is appended, its deadline passes, or the hub is released; no caller thread
// is held meanwhile.
//
// Thread safety: every method may be called from any thread. Appends take
// only their henv's mutex, after a lookup under one of 16 shard locks (shared
// when the henv is in memory); no global lock is on the append path, except
// the waker's mutex when a parked waiter is due. One waker thread owned by the
// hub answers parked waiters and runs the sweep (drop reports, idle tails,
// idle descriptors); Shutdown() (or the destructor) answers every parked
// waiter and joins it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/json.h"
#include "core/log.h"
#include "core/result.h"

namespace hbf {

// Where an entry came from.
enum class LogSource { kConsole, kError, kLimit, kSlow, kSystem };
const char* LogSourceName(LogSource source);
std::optional<LogSource> ParseLogSource(std::string_view s);

struct LogEntry {
  int64_t seq = 0;    // assigned by the hub
  int64_t ts_ms = 0;  // ms since the Unix epoch; the hub stamps it when 0
  LogLevel level = LogLevel::kInfo;
  LogSource source = LogSource::kConsole;
  std::string message;
  // Optional fields (empty / 0 / -1: absent from the JSON).
  std::string code;      // a script failure's code (script_error, script_timeout, ...)
  std::string location;  // "file:line:col"
  std::string stack;
  std::string method;
  std::string path;  // the request's path, without its query (which may carry secrets)
  int status = 0;
  int64_t duration_ms = -1;
  std::string request_id;  // the request that produced it (X-Request-Id)
};

inline constexpr size_t kMaxMessageBytes = 8192;
inline constexpr size_t kMaxStackBytes = 16384;

// The entry as the API and the files show it: {seq, ts, level, source,
// message, [code, location, stack, method, path, status, duration_ms,
// request_id]}.
Json LogEntryToJson(const LogEntry& entry);
// The reverse; nullopt for a line that is not an entry (torn or foreign).
std::optional<LogEntry> LogEntryFromJson(const Json& json);

struct LogQuery {
  // Entries with seq > since, oldest first; without it, the newest `limit`.
  std::optional<int64_t> since;
  LogLevel min_level = LogLevel::kDebug;  // this level and above
  size_t limit = 100;                     // >= 1
};

struct LogPage {
  std::vector<LogEntry> entries;  // ascending by seq
  // The `since` to ask with next: the last entry returned when the page was
  // cut by `limit`, else the newest seq looked at (entries filtered out by
  // level are not looked at again). Never below the query's `since`.
  int64_t next = 0;
};

struct HenvLogOptions {
  std::string storage_dir = "./henvs";
  int64_t max_file_bytes = 512 * 1024;                  // --henv_log_kb: logs.jsonl is rotated beyond it
  size_t tail_entries = 256;                            // in memory per active henv
  size_t tail_bytes = 64 * 1024;                        // likewise (whichever bound comes first)
  double rate_per_second = 200;                         // entries per henv per second, sustained
  double burst = 1000;                                  // and in a burst
  std::chrono::milliseconds idle_timeout{60 * 1000};    // a henv's tail is dropped when unused this long
  std::chrono::milliseconds fd_idle_timeout{5 * 1000};  // its file is closed when unwritten this long
  size_t max_waiters_per_henv = 32;                     // parked long-polls per henv
  std::chrono::milliseconds sweep_interval{1000};
  // Clocks: the rate bucket and idleness use `steady_now`, timestamps
  // `unix_ms` (tests fix them). Long-poll deadlines always use the real
  // steady clock (the waker sleeps on it).
  std::function<std::chrono::steady_clock::time_point()> steady_now = [] { return std::chrono::steady_clock::now(); };
  std::function<int64_t()> unix_ms = [] {
    return static_cast<int64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count());
  };
};

class HenvLogHub {
 public:
  explicit HenvLogHub(HenvLogOptions options);
  ~HenvLogHub();  // Shutdown()
  HenvLogHub(const HenvLogHub&) = delete;
  HenvLogHub& operator=(const HenvLogHub&) = delete;

  // Appends an entry to henv `hash`'s log (seq assigned here; `ts_ms` stamped
  // when 0; long fields truncated), subject to the henv's rate. Never fails:
  // a write error is reported once on the server log and the entry is kept in
  // memory only. Ignored for an invalid hash or a henv without a folder.
  void Append(const std::string& hash, LogEntry entry);

  // The entries `query` asks for.
  LogPage Read(const std::string& hash, const LogQuery& query);

  // A long-poll: `done` receives Read(query) at once when that has entries,
  // when `wait` is zero, or after ReleaseWaiters(); otherwise (on the waker
  // thread) as soon as an entry the query would return is appended, or with
  // whatever Read then gives once `wait` has passed. `done` is called exactly
  // once unless this returns an error (429 `too_many_waiters`: the henv has
  // max_waiters_per_henv parked already); it must not throw and must not
  // call back into the hub's Wait on the waker thread.
  using PageDone = std::function<void(LogPage)>;
  Status Wait(const std::string& hash, const LogQuery& query, std::chrono::milliseconds wait, PageDone done);

  // Removes henv `hash`'s entries (both files, the tail) and writes one
  // `system` entry "logs cleared" + `note`, whose seq continues the old ones.
  Status Clear(const std::string& hash, std::string_view note);

  // Answers every parked waiter now, and from now on Wait() answers at once
  // (a draining server must not wait for long-polls). Idempotent.
  void ReleaseWaiters();
  // ReleaseWaiters(), then stops the waker thread. Idempotent.
  void Shutdown();

  // What the waker does every sweep_interval: writes due drop reports,
  // closes idle files, drops idle tails. Public for tests.
  void Sweep();

  struct Stats {
    size_t henvs_in_memory = 0;
    size_t parked_waiters = 0;  // waiting for an entry (not yet woken, timed out or released)
  };
  Stats stats() const;

  const HenvLogOptions& options() const { return options_; }

 private:
  struct HenvLog;
  struct Waiter;
  struct Shard {
    mutable std::shared_mutex mu;
    std::unordered_map<std::string, std::shared_ptr<HenvLog>> logs;  // guarded by mu
  };
  static constexpr size_t kShards = 16;

  Shard& ShardOf(const std::string& hash);
  // The henv's log object, made (not yet loaded) on first use.
  std::shared_ptr<HenvLog> Get(const std::string& hash);
  // The henv's log object if it is in memory.
  std::shared_ptr<HenvLog> Find(const std::string& hash);
  std::string FilePath(const std::string& hash, bool rotated) const;

  // REQUIRES: log.mu held. Reads the newest entries and the last seq from
  // the files, once.
  void EnsureLoadedLocked(HenvLog& log);
  // REQUIRES: log.mu held. Gives `entry` the next seq, writes it (rotating
  // the file when over the cap), adds it to the tail and moves the waiters it
  // satisfies to `woken`.
  void WriteLocked(HenvLog& log, LogEntry entry, std::vector<std::shared_ptr<Waiter>>& woken);
  // REQUIRES: log.mu held. Refills the bucket; true when an entry may go.
  bool TakeTokenLocked(HenvLog& log);
  // REQUIRES: log.mu held. Writes "N entries dropped" when some were.
  void ReportDropsLocked(HenvLog& log, std::vector<std::shared_ptr<Waiter>>& woken);
  // Hands woken waiters to the waker thread.
  void Wake(std::vector<std::shared_ptr<Waiter>>& woken);
  // Calls a waiter's `done` with Read(its query), once.
  void Answer(const std::shared_ptr<Waiter>& waiter);
  void WakerLoop();

  const HenvLogOptions options_;
  Shard shards_[kShards];

  mutable std::mutex waker_mu_;
  std::condition_variable waker_cv_;
  std::deque<std::shared_ptr<Waiter>> ready_;  // guarded by waker_mu_: to answer now
  // Parked waiters by deadline (guarded by waker_mu_).
  std::multimap<std::chrono::steady_clock::time_point, std::shared_ptr<Waiter>> timed_;
  bool released_ = false;      // guarded by waker_mu_
  bool stopping_ = false;      // guarded by waker_mu_
  bool waker_exited_ = false;  // guarded by waker_mu_
  std::thread waker_;          // started last, in the constructor body
};

}  // namespace hbf
