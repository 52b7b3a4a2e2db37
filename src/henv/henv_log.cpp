#include "henv/henv_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <limits>
#include <utility>

#include "core/thread_name.h"
#include "core/unique_fd.h"
#include "henv/henv_hash.h"

namespace hbf {

namespace {

constexpr size_t kMaxLocationBytes = 512;
constexpr size_t kMaxPathBytes = 2048;
constexpr size_t kMaxMethodBytes = 32;
constexpr size_t kMaxCodeBytes = 64;

// Cuts `s` to at most `max` bytes on a UTF-8 character boundary, ending it
// with "…" so a reader sees that something is missing.
void TruncateUtf8(std::string& s, size_t max) {
  if (s.size() <= max) return;
  static constexpr std::string_view kEllipsis = "\xE2\x80\xA6";
  size_t cut = max > kEllipsis.size() ? max - kEllipsis.size() : 0;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  s.resize(cut);
  if (max >= kEllipsis.size()) s += kEllipsis;
}

// What an entry costs in memory, for the tail's byte bound.
size_t EntryBytes(const LogEntry& e) {
  return sizeof(LogEntry) + e.message.size() + e.code.size() + e.location.size() + e.stack.size() + e.method.size() +
         e.path.size() + e.request_id.size();
}


UniqueFd OpenForReading(const std::string& path) { return UniqueFd(::open(path.c_str(), O_RDONLY | O_CLOEXEC)); }

// The entries in the last `window` bytes of an open log file (all of it when
// the window covers it), oldest first. Lines that are not entries (a line
// torn by a crash, the partial first line of the window) are skipped. When
// the window holds no whole entry it grows, so a recovery always finds the
// last entry if the file has one.
struct FileTail {
  std::vector<LogEntry> entries;
  bool whole = true;  // the entries are all of the file's
  int64_t size = 0;
  bool ends_with_newline = true;
};

FileTail ReadTail(int fd, uint64_t window) {
  FileTail out;
  struct stat st {};
  if (fd < 0 || ::fstat(fd, &st) != 0 || st.st_size <= 0) return out;
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  out.size = st.st_size;
  uint64_t span = std::min<uint64_t>(size, std::max<uint64_t>(window, 1));
  for (;;) {
    const uint64_t offset = size - span;
    std::string buf(span, '\0');
    size_t got = 0;
    while (got < span) {
      ssize_t n = ::pread(fd, buf.data() + got, span - got, static_cast<off_t>(offset + got));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      got += static_cast<size_t>(n);
    }
    buf.resize(got);
    out.entries.clear();
    out.ends_with_newline = !buf.empty() && buf.back() == '\n';
    size_t pos = 0;
    if (offset > 0) {  // the window's first line is (probably) partial
      size_t nl = buf.find('\n');
      pos = nl == std::string::npos ? buf.size() : nl + 1;
    }
    while (pos < buf.size()) {
      size_t nl = buf.find('\n', pos);
      size_t end = nl == std::string::npos ? buf.size() : nl;
      if (end > pos) {
        auto parsed = Json::Parse(std::string_view(buf).substr(pos, end - pos));
        if (parsed.ok()) {
          if (auto entry = LogEntryFromJson(*parsed)) out.entries.push_back(std::move(*entry));
        }
      }
      pos = end + 1;
    }
    if (!out.entries.empty() || span == size) {
      out.whole = offset == 0;
      break;
    }
    span = std::min<uint64_t>(size, span * 4);
  }
  return out;
}

// Sorted by seq, one entry per seq (the files are already, unless someone
// put files there by hand).
void SortUnique(std::vector<LogEntry>& entries) {
  std::stable_sort(entries.begin(), entries.end(), [](const LogEntry& a, const LogEntry& b) { return a.seq < b.seq; });
  entries.erase(
      std::unique(entries.begin(), entries.end(), [](const LogEntry& a, const LogEntry& b) { return a.seq == b.seq; }),
      entries.end());
}

bool Matches(const LogEntry& e, const LogQuery& q) {
  return static_cast<int>(e.level) >= static_cast<int>(q.min_level);
}

// The page `q` asks for out of `entries` (ascending by seq, all of the
// henv's entries up to `last_seq` that `q` can reach).
template <typename Container>
LogPage Select(const Container& entries, const LogQuery& q, int64_t last_seq) {
  LogPage page;
  const size_t limit = std::max<size_t>(q.limit, 1);
  if (q.since) {
    auto it = std::upper_bound(entries.begin(), entries.end(), *q.since,
                               [](int64_t since, const LogEntry& e) { return since < e.seq; });
    for (; it != entries.end() && page.entries.size() < limit; ++it) {
      if (Matches(*it, q)) page.entries.push_back(*it);
    }
    page.next = page.entries.size() == limit ? page.entries.back().seq : std::max(*q.since, last_seq);
  } else {
    for (auto it = entries.rbegin(); it != entries.rend() && page.entries.size() < limit; ++it) {
      if (Matches(*it, q)) page.entries.push_back(*it);
    }
    std::reverse(page.entries.begin(), page.entries.end());
    page.next = last_seq;
  }
  return page;
}

int64_t NanosOf(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

}  // namespace

const char* LogSourceName(LogSource source) {
  switch (source) {
    case LogSource::kConsole:
      return "console";
    case LogSource::kError:
      return "error";
    case LogSource::kLimit:
      return "limit";
    case LogSource::kSlow:
      return "slow";
    case LogSource::kSystem:
      return "system";
  }
  return "system";
}

std::optional<LogSource> ParseLogSource(std::string_view s) {
  for (LogSource source :
       {LogSource::kConsole, LogSource::kError, LogSource::kLimit, LogSource::kSlow, LogSource::kSystem}) {
    if (s == LogSourceName(source)) return source;
  }
  return std::nullopt;
}

Json LogEntryToJson(const LogEntry& e) {
  Json out = Json::MakeObject({{"seq", e.seq},
                               {"ts", e.ts_ms},
                               {"level", LogLevelName(e.level)},
                               {"source", LogSourceName(e.source)},
                               {"message", e.message}});
  if (!e.code.empty()) out.set("code", e.code);
  if (!e.location.empty()) out.set("location", e.location);
  if (!e.stack.empty()) out.set("stack", e.stack);
  if (!e.method.empty()) out.set("method", e.method);
  if (!e.path.empty()) out.set("path", e.path);
  if (e.status != 0) out.set("status", e.status);
  if (e.duration_ms >= 0) out.set("duration_ms", e.duration_ms);
  if (!e.request_id.empty()) out.set("request_id", e.request_id);
  return out;
}

std::optional<LogEntry> LogEntryFromJson(const Json& json) {
  if (!json.is_object()) return std::nullopt;
  const Json* seq = json.find("seq");
  const Json* ts = json.find("ts");
  const Json* level = json.find("level");
  const Json* source = json.find("source");
  const Json* message = json.find("message");
  if (seq == nullptr || !seq->is_int() || seq->as_int() <= 0 || ts == nullptr || !ts->is_int() || level == nullptr ||
      !level->is_string() || source == nullptr || !source->is_string() || message == nullptr || !message->is_string()) {
    return std::nullopt;
  }
  auto parsed_level = ParseLogLevel(level->as_string());
  auto parsed_source = ParseLogSource(source->as_string());
  if (!parsed_level || !parsed_source) return std::nullopt;
  LogEntry e;
  e.seq = seq->as_int();
  e.ts_ms = ts->as_int();
  e.level = *parsed_level;
  e.source = *parsed_source;
  e.message = message->as_string();
  auto text = [&](const char* key, std::string& out) {
    if (const Json* v = json.find(key); v != nullptr && v->is_string()) out = v->as_string();
  };
  text("code", e.code);
  text("location", e.location);
  text("stack", e.stack);
  text("method", e.method);
  text("path", e.path);
  text("request_id", e.request_id);
  if (const Json* v = json.find("status"); v != nullptr && v->is_int()) e.status = static_cast<int>(v->as_int());
  if (const Json* v = json.find("duration_ms"); v != nullptr && v->is_int()) e.duration_ms = v->as_int();
  return e;
}

// A parked long-poll.
struct HenvLogHub::Waiter {
  std::string hash;
  LogQuery query;  // `since`: the page's `next` when it was parked
  PageDone done;
  std::atomic<bool> answered{false};
  // Its place in timed_ while there (guarded by waker_mu_).
  bool timed = false;
  std::multimap<std::chrono::steady_clock::time_point, std::shared_ptr<Waiter>>::iterator timed_position;
};

// One henv's log. Everything but `hash` and `last_used_ns` is guarded by `mu`.
struct HenvLogHub::HenvLog {
  explicit HenvLog(std::string h) : hash(std::move(h)) {}
  ~HenvLog() {
    if (fd >= 0) ::close(fd);
  }
  HenvLog(const HenvLog&) = delete;
  HenvLog& operator=(const HenvLog&) = delete;

  const std::string hash;
  std::atomic<int64_t> last_used_ns{0};  // steady_now() of the last Get()

  std::mutex mu;
  bool loaded = false;
  int fd = -1;  // logs.jsonl for appending, opened on the first write
  int64_t file_bytes = 0;
  bool needs_newline = false;  // the file ends in a torn line: start on a fresh one
  int64_t last_seq = 0;
  std::deque<LogEntry> tail;  // the newest entries, ascending, contiguous up to last_seq
  size_t tail_bytes = 0;
  bool tail_complete = false;  // no entry older than the tail's exists on disk
  double tokens = 0;
  std::chrono::steady_clock::time_point refilled{};
  int64_t dropped = 0;  // entries refused by the rate since the last report
  std::chrono::steady_clock::time_point last_write{};
  bool reported_write_error = false;
  std::vector<std::shared_ptr<Waiter>> waiters;
};

HenvLogHub::HenvLogHub(HenvLogOptions options) : options_(std::move(options)) {
  waker_ = std::thread([this] { WakerLoop(); });
  NameThread(waker_, "hbf-log-waker");
}

HenvLogHub::~HenvLogHub() { Shutdown(); }

HenvLogHub::Shard& HenvLogHub::ShardOf(const std::string& hash) {
  return shards_[std::hash<std::string>{}(hash) % kShards];
}

std::shared_ptr<HenvLogHub::HenvLog> HenvLogHub::Get(const std::string& hash) {
  Shard& shard = ShardOf(hash);
  const int64_t now = NanosOf(options_.steady_now());
  std::shared_ptr<HenvLog> log;
  {
    std::shared_lock lock(shard.mu);
    if (auto it = shard.logs.find(hash); it != shard.logs.end()) log = it->second;
  }
  if (!log) {
    std::unique_lock lock(shard.mu);
    auto& slot = shard.logs[hash];
    if (!slot) slot = std::make_shared<HenvLog>(hash);
    log = slot;
  }
  log->last_used_ns.store(now, std::memory_order_relaxed);
  return log;
}

std::shared_ptr<HenvLogHub::HenvLog> HenvLogHub::Find(const std::string& hash) {
  Shard& shard = ShardOf(hash);
  std::shared_lock lock(shard.mu);
  auto it = shard.logs.find(hash);
  return it == shard.logs.end() ? nullptr : it->second;
}

std::string HenvLogHub::FilePath(const std::string& hash, bool rotated) const {
  return options_.storage_dir + "/" + hash + (rotated ? "/logs.1.jsonl" : "/logs.jsonl");
}

void HenvLogHub::EnsureLoadedLocked(HenvLog& log) {
  if (log.loaded) return;
  log.loaded = true;
  log.tokens = options_.burst;
  log.refilled = options_.steady_now();
  // Enough of the file for a full tail; the rotated file only when the
  // current one is shorter than that.
  const uint64_t window = std::max<uint64_t>(uint64_t{options_.tail_bytes} * 2, 128 * 1024);
  UniqueFd current_fd = OpenForReading(FilePath(log.hash, false));
  FileTail current = ReadTail(current_fd.get(), window);
  log.file_bytes = current.size;
  log.needs_newline = current.size > 0 && !current.ends_with_newline;
  std::vector<LogEntry> entries = std::move(current.entries);
  bool complete = current.whole;
  UniqueFd rotated_fd = OpenForReading(FilePath(log.hash, true));
  if (complete && entries.size() < options_.tail_entries) {
    FileTail rotated = ReadTail(rotated_fd.get(), window);
    entries.insert(entries.begin(), std::make_move_iterator(rotated.entries.begin()),
                   std::make_move_iterator(rotated.entries.end()));
    complete = rotated.whole;
  } else if (rotated_fd.get() >= 0) {
    complete = false;  // older entries are in the rotated file, unread
  }
  SortUnique(entries);
  log.last_seq = entries.empty() ? 0 : entries.back().seq;
  // Keep the newest that fit (always the newest one).
  size_t keep_from = entries.size();
  size_t bytes = 0;
  while (keep_from > 0 && entries.size() - keep_from < options_.tail_entries) {
    const size_t cost = EntryBytes(entries[keep_from - 1]);
    if (keep_from < entries.size() && bytes + cost > options_.tail_bytes) break;
    bytes += cost;
    --keep_from;
  }
  if (keep_from > 0) complete = false;
  log.tail.assign(std::make_move_iterator(entries.begin() + static_cast<std::ptrdiff_t>(keep_from)),
                  std::make_move_iterator(entries.end()));
  log.tail_bytes = bytes;
  log.tail_complete = complete;
}

bool HenvLogHub::TakeTokenLocked(HenvLog& log) {
  const auto now = options_.steady_now();
  const double elapsed = std::chrono::duration<double>(now - log.refilled).count();
  if (elapsed > 0) {
    log.tokens = std::min(options_.burst, log.tokens + elapsed * options_.rate_per_second);
    log.refilled = now;
  }
  if (log.tokens < 1) return false;
  log.tokens -= 1;
  return true;
}

void HenvLogHub::ReportDropsLocked(HenvLog& log, std::vector<std::shared_ptr<Waiter>>& woken) {
  if (log.dropped == 0) return;
  LogEntry report;
  report.ts_ms = options_.unix_ms();
  report.level = LogLevel::kWarn;
  report.source = LogSource::kSystem;
  report.message = std::to_string(log.dropped) + " entries dropped: more than " +
                   std::to_string(static_cast<int64_t>(options_.rate_per_second)) + " a second";
  log.dropped = 0;
  WriteLocked(log, std::move(report), woken);
}

void HenvLogHub::WriteLocked(HenvLog& log, LogEntry entry, std::vector<std::shared_ptr<Waiter>>& woken) {
  entry.seq = ++log.last_seq;
  std::string line;
  if (log.needs_newline) line += '\n';
  LogEntryToJson(entry).dump_to(line);
  line += '\n';
  const std::string path = FilePath(log.hash, false);
  if (log.fd < 0) log.fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  int error = log.fd < 0 ? errno : 0;
  if (log.fd >= 0) {
    // One write(2): with O_APPEND a line lands whole, after everything
    // written before it, even by another process.
    ssize_t n;
    do {
      n = ::write(log.fd, line.data(), line.size());
    } while (n < 0 && errno == EINTR);
    if (n < 0) error = errno;
    if (n > 0) log.file_bytes += n;
    if (n != static_cast<ssize_t>(line.size())) {
      log.needs_newline = n > 0;
      if (error == 0) error = ENOSPC;  // a short write: the disk is full
    } else {
      log.needs_newline = false;
    }
  }
  if (error != 0 && !log.reported_write_error) {
    // Once per henv while it is in memory: a full disk must not become a
    // server-log flood.
    log.reported_write_error = true;
    Log(LogLevel::kWarn, "cannot write the henv log " + path + ": " + std::strerror(error), log.hash);
  }
  log.last_write = options_.steady_now();
  if (log.fd >= 0 && log.file_bytes > options_.max_file_bytes) {
    ::close(log.fd);
    log.fd = -1;
    if (::rename(path.c_str(), FilePath(log.hash, true).c_str()) == 0) {
      log.file_bytes = 0;
      log.needs_newline = false;
    }
  }
  for (auto it = log.waiters.begin(); it != log.waiters.end();) {
    if (Matches(entry, (*it)->query)) {
      woken.push_back(std::move(*it));
      it = log.waiters.erase(it);
    } else {
      ++it;
    }
  }
  log.tail_bytes += EntryBytes(entry);
  log.tail.push_back(std::move(entry));
  while (log.tail.size() > 1 && (log.tail.size() > options_.tail_entries || log.tail_bytes > options_.tail_bytes)) {
    log.tail_bytes -= EntryBytes(log.tail.front());
    log.tail.pop_front();
    log.tail_complete = false;
  }
}

void HenvLogHub::Append(const std::string& hash, LogEntry entry) {
  if (!IsValidHenvHash(hash)) return;
  TruncateUtf8(entry.message, kMaxMessageBytes);
  TruncateUtf8(entry.stack, kMaxStackBytes);
  TruncateUtf8(entry.location, kMaxLocationBytes);
  TruncateUtf8(entry.path, kMaxPathBytes);
  TruncateUtf8(entry.method, kMaxMethodBytes);
  TruncateUtf8(entry.code, kMaxCodeBytes);
  TruncateUtf8(entry.request_id, 128);  // ids are at most 128 (http/request_id.h)
  if (entry.ts_ms == 0) entry.ts_ms = options_.unix_ms();
  std::shared_ptr<HenvLog> log = Get(hash);
  std::vector<std::shared_ptr<Waiter>> woken;
  {
    std::lock_guard lock(log->mu);
    EnsureLoadedLocked(*log);
    if (!TakeTokenLocked(*log)) {
      ++log->dropped;
      return;
    }
    ReportDropsLocked(*log, woken);
    WriteLocked(*log, std::move(entry), woken);
  }
  if (!woken.empty()) Wake(woken);
}

LogPage HenvLogHub::Read(const std::string& hash, const LogQuery& query) {
  LogPage page;
  page.next = query.since.value_or(0);
  if (!IsValidHenvHash(hash)) return page;
  std::shared_ptr<HenvLog> log = Get(hash);
  std::vector<LogEntry> entries;
  int64_t last_seq = 0;
  {
    std::lock_guard lock(log->mu);
    EnsureLoadedLocked(*log);
    last_seq = log->last_seq;
    bool in_memory = log->tail_complete;
    if (!in_memory && query.since) {
      in_memory = log->tail.empty() ? *query.since >= last_seq : *query.since >= log->tail.front().seq - 1;
    } else if (!in_memory) {
      size_t matching = 0;
      for (auto it = log->tail.rbegin(); it != log->tail.rend() && matching < query.limit; ++it) {
        if (Matches(*it, query)) ++matching;
      }
      in_memory = matching >= query.limit;
    }
    if (in_memory) return Select(log->tail, query, last_seq);
    // The tail too: an entry whose write failed is only there.
    entries.assign(log->tail.begin(), log->tail.end());
  }
  // Older entries: from the files, without the henv's lock (appends go on).
  // The current file is opened first: if it is rotated in between, the
  // rotated one opened next is the same file (duplicates are dropped), never
  // a gap.
  UniqueFd current_fd = OpenForReading(FilePath(hash, false));
  UniqueFd rotated_fd = OpenForReading(FilePath(hash, true));
  constexpr uint64_t kWholeFile = std::numeric_limits<uint64_t>::max();
  FileTail rotated = ReadTail(rotated_fd.get(), kWholeFile);
  FileTail current = ReadTail(current_fd.get(), kWholeFile);
  std::vector<LogEntry> all = std::move(rotated.entries);
  all.insert(all.end(), std::make_move_iterator(current.entries.begin()),
             std::make_move_iterator(current.entries.end()));
  std::erase_if(all, [&](const LogEntry& e) { return e.seq > last_seq; });  // newer than the tail's view
  all.insert(all.end(), std::make_move_iterator(entries.begin()), std::make_move_iterator(entries.end()));
  SortUnique(all);
  return Select(all, query, last_seq);
}

Status HenvLogHub::Wait(const std::string& hash, const LogQuery& query, std::chrono::milliseconds wait, PageDone done) {
  for (;;) {
    LogPage page = Read(hash, query);
    bool released;
    {
      std::lock_guard lock(waker_mu_);
      released = released_;
    }
    if (!page.entries.empty() || wait <= std::chrono::milliseconds(0) || released || !IsValidHenvHash(hash)) {
      done(std::move(page));
      return Ok{};
    }
    auto waiter = std::make_shared<Waiter>();
    waiter->hash = hash;
    waiter->query = query;
    waiter->query.since = page.next;
    waiter->done = std::move(done);
    std::shared_ptr<HenvLog> log = Get(hash);
    {
      std::lock_guard lock(log->mu);
      // An entry the query wants may have come between the read and now:
      // read again rather than sleep past it.
      bool arrived = false;
      for (auto it = log->tail.rbegin(); it != log->tail.rend() && it->seq > page.next; ++it) {
        if (Matches(*it, query)) arrived = true;
      }
      if (arrived) {
        done = std::move(waiter->done);
        continue;
      }
      if (log->waiters.size() >= options_.max_waiters_per_henv) {
        return Error{"too_many_waiters",
                     "this app has " + std::to_string(options_.max_waiters_per_henv) + " log tails waiting already",
                     429};
      }
      log->waiters.push_back(waiter);
    }
    bool answer_now = false;
    {
      std::lock_guard lock(waker_mu_);
      if (released_) {
        answer_now = true;
      } else {
        waiter->timed_position = timed_.emplace(std::chrono::steady_clock::now() + wait, waiter);
        waiter->timed = true;
      }
    }
    if (answer_now) {
      Answer(waiter);
    } else {
      waker_cv_.notify_one();
    }
    return Ok{};
  }
}

void HenvLogHub::Wake(std::vector<std::shared_ptr<Waiter>>& woken) {
  bool waker_gone;
  {
    std::lock_guard lock(waker_mu_);
    waker_gone = waker_exited_;
    if (!waker_gone) {
      for (auto& w : woken) ready_.push_back(std::move(w));
    }
  }
  if (waker_gone) {
    for (auto& w : woken) Answer(w);
  } else {
    waker_cv_.notify_one();
  }
  woken.clear();
}

void HenvLogHub::Answer(const std::shared_ptr<Waiter>& waiter) {
  if (waiter->answered.exchange(true)) return;
  if (std::shared_ptr<HenvLog> log = Find(waiter->hash)) {
    std::lock_guard lock(log->mu);
    std::erase(log->waiters, waiter);
  }
  LogPage page = Read(waiter->hash, waiter->query);
  try {
    waiter->done(std::move(page));
  } catch (...) {
    Log(LogLevel::kError, "a log tail's answer threw", waiter->hash);
  }
  waiter->done = nullptr;  // what it holds (a connection's responder) goes now
}

void HenvLogHub::WakerLoop() {
  std::unique_lock lock(waker_mu_);
  auto next_sweep = std::chrono::steady_clock::now() + options_.sweep_interval;
  for (;;) {
    if (ready_.empty() && !stopping_ && !(released_ && !timed_.empty())) {
      auto until = next_sweep;
      if (!timed_.empty()) until = std::min(until, timed_.begin()->first);
      waker_cv_.wait_until(lock, until);
    }
    const auto now = std::chrono::steady_clock::now();
    std::vector<std::shared_ptr<Waiter>> due(ready_.begin(), ready_.end());
    ready_.clear();
    for (auto& w : due) {
      if (w->timed) {
        timed_.erase(w->timed_position);
        w->timed = false;
      }
    }
    while (!timed_.empty() && (released_ || timed_.begin()->first <= now)) {
      std::shared_ptr<Waiter> w = std::move(timed_.begin()->second);
      timed_.erase(timed_.begin());
      w->timed = false;
      due.push_back(std::move(w));
    }
    lock.unlock();
    for (auto& w : due) Answer(w);
    due.clear();
    if (now >= next_sweep) {
      Sweep();
      next_sweep = now + options_.sweep_interval;
    }
    lock.lock();
    if (stopping_ && ready_.empty() && timed_.empty()) {
      waker_exited_ = true;  // from now on Wake() answers on its caller's thread
      break;
    }
  }
}

void HenvLogHub::Sweep() {
  const auto now = options_.steady_now();
  const int64_t now_ns = NanosOf(now);
  const int64_t idle_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(options_.idle_timeout).count();
  for (Shard& shard : shards_) {
    std::vector<std::shared_ptr<HenvLog>> kept;
    {
      std::unique_lock lock(shard.mu);
      for (auto it = shard.logs.begin(); it != shard.logs.end();) {
        HenvLog& log = *it->second;
        // Nobody else holds it (the shard lock stops new holders), it is idle,
        // nothing waits on it and no drop report is owed: forget it.
        if (now_ns - log.last_used_ns.load(std::memory_order_relaxed) >= idle_ns && it->second.use_count() == 1 &&
            log.mu.try_lock()) {
          const bool forget = log.waiters.empty() && log.dropped == 0;
          log.mu.unlock();
          if (forget) {
            it = shard.logs.erase(it);
            continue;
          }
        }
        kept.push_back(it->second);
        ++it;
      }
    }
    for (auto& log : kept) {
      std::unique_lock lock(log->mu, std::try_to_lock);
      if (!lock.owns_lock() || !log->loaded) continue;  // busy: next sweep
      std::vector<std::shared_ptr<Waiter>> woken;
      if (log->dropped > 0) {
        // The flood is over once a token is back: say what was lost.
        const double elapsed = std::chrono::duration<double>(now - log->refilled).count();
        if (elapsed > 0) {
          log->tokens = std::min(options_.burst, log->tokens + elapsed * options_.rate_per_second);
          log->refilled = now;
        }
        if (log->tokens >= 1) ReportDropsLocked(*log, woken);
      }
      if (log->fd >= 0 && now - log->last_write >= options_.fd_idle_timeout) {
        ::close(log->fd);
        log->fd = -1;
      }
      lock.unlock();
      if (!woken.empty()) Wake(woken);
    }
  }
}

Status HenvLogHub::Clear(const std::string& hash, std::string_view note) {
  if (!IsValidHenvHash(hash)) return Error::BadRequest("not a henv");
  std::shared_ptr<HenvLog> log = Get(hash);
  std::vector<std::shared_ptr<Waiter>> woken;
  Status status = Ok{};
  {
    std::lock_guard lock(log->mu);
    EnsureLoadedLocked(*log);
    if (log->fd >= 0) {
      ::close(log->fd);
      log->fd = -1;
    }
    for (bool rotated : {true, false}) {
      const std::string path = FilePath(hash, rotated);
      if (::unlink(path.c_str()) != 0 && errno != ENOENT && status.ok()) {
        status = Error::Internal("cannot remove the log file: " + std::string(std::strerror(errno)));
      }
    }
    log->file_bytes = 0;
    log->needs_newline = false;
    log->tail.clear();
    log->tail_bytes = 0;
    log->tail_complete = true;
    log->dropped = 0;
    // The numbering goes on: a client tailing with `since` sees this entry,
    // not a silent restart from 1.
    LogEntry cleared;
    cleared.ts_ms = options_.unix_ms();
    cleared.level = LogLevel::kInfo;
    cleared.source = LogSource::kSystem;
    cleared.message = "logs cleared";
    if (!note.empty()) cleared.message += " " + std::string(note);
    WriteLocked(*log, std::move(cleared), woken);
  }
  if (!woken.empty()) Wake(woken);
  return status;
}

void HenvLogHub::ReleaseWaiters() {
  {
    std::lock_guard lock(waker_mu_);
    released_ = true;
  }
  waker_cv_.notify_one();
}

void HenvLogHub::Shutdown() {
  {
    std::lock_guard lock(waker_mu_);
    released_ = true;
    stopping_ = true;
  }
  waker_cv_.notify_one();
  if (waker_.joinable()) waker_.join();
  // Anything woken while the waker was finishing is answered here.
  std::vector<std::shared_ptr<Waiter>> left;
  {
    std::lock_guard lock(waker_mu_);
    left.assign(ready_.begin(), ready_.end());
    ready_.clear();
    for (auto& [due, w] : timed_) left.push_back(w);
    timed_.clear();
  }
  for (auto& w : left) Answer(w);
}

HenvLogHub::Stats HenvLogHub::stats() const {
  Stats s;
  for (const Shard& shard : shards_) {
    std::shared_lock lock(shard.mu);
    s.henvs_in_memory += shard.logs.size();
    for (const auto& [hash, log] : shard.logs) {
      std::lock_guard log_lock(log->mu);
      s.parked_waiters += log->waiters.size();
    }
  }
  return s;
}

}  // namespace hbf
