// One henv's recent request figures, for its owner (GET /_api/metrics) and,
// with --metrics_per_henv, for Prometheus.
//
// Two rings of time slots: 6 of 10 seconds (the last minute) and 60 of one
// minute (the last hour). Each slot counts requests, 4xx and 5xx answers,
// JavaScript time, and holds a log-scale latency histogram (32 buckets,
// each sqrt(2) wider than the last, from 0.25 ms; the last one open-ended),
// from which p50/p95/p99 are estimated as the bucket's upper bound (never
// above the slowest request seen in the window). A slot is reset when the
// clock reaches it again. Plus totals since the henv was opened (Prometheus
// counters; they restart when the henv is closed and reopened, which
// Prometheus' rate() treats as a counter reset).
//
// Memory: only slots that counted a request are kept (~180 bytes each),
// and those that left their window go at the henv's next request, so
// nothing until the first request, ~0.4 KiB for a henv asked once, and at
// most ~11.5 KiB (all 66 slots) for one asked every 10 s for an hour. (A
// ring of all 66 slots, made on the first request, cost every henv ever
// asked ~11.6 KiB: a tenth of an idle henv's memory at 1,000 henvs.) The figures live as long as the Henv object: a
// henv closed for idleness (5 minutes) or evicted from the LRU starts again
// from zero.
//
// Thread safety: all methods are safe from any thread; one small mutex per
// henv, held for a few additions (never a global lock).
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <vector>

namespace hbf {

class HenvStats {
 public:
  HenvStats();
  ~HenvStats();
  HenvStats(const HenvStats&) = delete;
  HenvStats& operator=(const HenvStats&) = delete;

  static constexpr int kLatencyBuckets = 32;
  // Upper bound in ms of latency bucket `i` (infinity for the last one).
  static double BucketUpperMs(int i);
  static int LatencyBucket(int64_t ns);

  // One answered request at `now_unix` (seconds).
  // `db_ns`: of the JavaScript time, how much was spent in SQLite.
  void Record(int64_t now_unix, int status, int64_t latency_ns, int64_t js_ns, int64_t db_ns = 0);

  struct Window {
    int64_t requests = 0;
    int64_t errors_4xx = 0;
    int64_t errors_5xx = 0;
    double p50_ms = 0, p95_ms = 0, p99_ms = 0;  // 0 without requests
    double js_ms = 0;                           // JavaScript time, all requests together
    double db_ms = 0;                           // of which in SQLite (scripts' db and req.db)
  };
  // The last 60 s (in 10 s slots: 50..60 s covered) and the last hour (in
  // minute slots: 59..60 minutes covered) as of `now_unix`.
  Window LastMinute(int64_t now_unix) const;
  Window LastHour(int64_t now_unix) const;

  struct Totals {
    std::array<uint64_t, 5> by_class{};  // 1xx..5xx
    uint64_t latency_ns = 0;
    uint64_t js_ns = 0;
    uint64_t db_ns = 0;
  };
  Totals totals() const;

  // How many time slots are held (both windows): what this costs in memory.
  size_t SlotsKept() const;

 private:
  struct Slot {
    int64_t start = 0;  // unix seconds, a multiple of the slot's width
    uint32_t requests = 0;
    uint32_t errors_4xx = 0;
    uint32_t errors_5xx = 0;
    int64_t js_ns = 0;
    int64_t db_ns = 0;
    int64_t max_ns = 0;
    std::array<uint32_t, kLatencyBuckets> latency{};
  };
  // Counts one request into `slots` (oldest first, each `width` seconds,
  // the window `count` of them): slots that left the window, or lie ahead
  // of `now` (the clock went back), are dropped first.
  static Slot& SlotFor(std::vector<Slot>& slots, int64_t width, int64_t count, int64_t now_unix);
  static Window Summarize(const std::vector<Slot>& slots, int64_t width, int64_t count, int64_t now_unix);

  mutable std::mutex mu_;
  // Guarded by mu_: the slots that counted a request, oldest first (those
  // out of their window until the next Record drops them; Summarize skips
  // them). Short: 10 s each, the last minute (6); long: 60 s each,
  // the last hour (60).
  std::vector<Slot> short_slots_;
  std::vector<Slot> long_slots_;
  Totals totals_;
};

}  // namespace hbf
