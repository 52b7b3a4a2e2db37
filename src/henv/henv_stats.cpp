#include "henv/henv_stats.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace hbf {
namespace {
constexpr double kFirstBoundMs = 0.25;
constexpr int64_t kShortWidth = 10;
constexpr int64_t kShortCount = 6;  // the last minute
constexpr int64_t kLongWidth = 60;
constexpr int64_t kLongCount = 60;  // the last hour
}  // namespace

HenvStats::HenvStats() = default;
HenvStats::~HenvStats() = default;

double HenvStats::BucketUpperMs(int i) {
  if (i >= kLatencyBuckets - 1) return std::numeric_limits<double>::infinity();
  return kFirstBoundMs * std::exp2(static_cast<double>(i) / 2.0);
}

int HenvStats::LatencyBucket(int64_t ns) {
  const double ms = static_cast<double>(ns) / 1e6;
  if (ms <= kFirstBoundMs) return 0;
  // The smallest i with kFirstBoundMs * 2^(i/2) >= ms.
  int i = static_cast<int>(std::ceil(2.0 * std::log2(ms / kFirstBoundMs) - 1e-9));
  return std::clamp(i, 0, kLatencyBuckets - 1);
}

HenvStats::Slot& HenvStats::SlotFor(std::vector<Slot>& slots, int64_t width, int64_t count, int64_t now_unix) {
  const int64_t current = now_unix - now_unix % width;
  const int64_t oldest = current - width * (count - 1);
  // Ahead of now: the clock went back (a ring would overwrite them in turn).
  while (!slots.empty() && slots.back().start > current) slots.pop_back();
  // Out of the window (at most once per slot width for a busy henv).
  size_t stale = 0;
  while (stale < slots.size() && slots[stale].start < oldest) ++stale;
  if (stale != 0) slots.erase(slots.begin(), slots.begin() + static_cast<std::ptrdiff_t>(stale));
  if (slots.empty() || slots.back().start != current) slots.push_back(Slot{current});
  return slots.back();
}

void HenvStats::Record(int64_t now_unix, int status, int64_t latency_ns, int64_t js_ns, int64_t db_ns) {
  latency_ns = std::max<int64_t>(0, latency_ns);
  js_ns = std::max<int64_t>(0, js_ns);
  db_ns = std::max<int64_t>(0, db_ns);
  const int bucket = LatencyBucket(latency_ns);
  auto add = [&](Slot& slot) {
    ++slot.requests;
    if (status >= 500) ++slot.errors_5xx;
    else if (status >= 400) ++slot.errors_4xx;
    slot.js_ns += js_ns;
    slot.db_ns += db_ns;
    slot.max_ns = std::max(slot.max_ns, latency_ns);
    ++slot.latency[static_cast<size_t>(bucket)];
  };
  std::lock_guard lock(mu_);
  const int64_t t = std::max<int64_t>(0, now_unix);
  add(SlotFor(short_slots_, kShortWidth, kShortCount, t));
  add(SlotFor(long_slots_, kLongWidth, kLongCount, t));
  const int cls = status < 100 || status > 599 ? 4 : status / 100 - 1;
  ++totals_.by_class[static_cast<size_t>(cls)];
  totals_.latency_ns += static_cast<uint64_t>(latency_ns);
  totals_.js_ns += static_cast<uint64_t>(js_ns);
  totals_.db_ns += static_cast<uint64_t>(db_ns);
}

HenvStats::Window HenvStats::Summarize(const std::vector<Slot>& slots, int64_t width, int64_t count,
                                       int64_t now_unix) {
  Window w;
  std::array<uint64_t, kLatencyBuckets> latency{};
  int64_t js_ns = 0;
  int64_t db_ns = 0;
  int64_t max_ns = 0;
  const int64_t current = now_unix - now_unix % width;
  const int64_t oldest = current - width * (count - 1);
  for (const Slot& s : slots) {
    if (s.start < oldest || s.start > current) continue;  // stale (or from a clock that went back)
    w.requests += s.requests;
    w.errors_4xx += s.errors_4xx;
    w.errors_5xx += s.errors_5xx;
    js_ns += s.js_ns;
    db_ns += s.db_ns;
    max_ns = std::max(max_ns, s.max_ns);
    for (size_t i = 0; i < latency.size(); ++i) latency[i] += s.latency[i];
  }
  w.js_ms = static_cast<double>(js_ns) / 1e6;
  w.db_ms = static_cast<double>(db_ns) / 1e6;
  if (w.requests == 0) return w;
  const double max_ms = static_cast<double>(max_ns) / 1e6;
  auto quantile = [&](double q) {
    // The rank of the q-quantile (1-based), then the bucket holding it.
    const auto rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(w.requests)));
    uint64_t seen = 0;
    for (int i = 0; i < kLatencyBuckets; ++i) {
      seen += latency[static_cast<size_t>(i)];
      if (seen >= std::max<uint64_t>(rank, 1)) return std::min(BucketUpperMs(i), max_ms);
    }
    return max_ms;
  };
  w.p50_ms = quantile(0.50);
  w.p95_ms = quantile(0.95);
  w.p99_ms = quantile(0.99);
  return w;
}

HenvStats::Window HenvStats::LastMinute(int64_t now_unix) const {
  std::lock_guard lock(mu_);
  return Summarize(short_slots_, kShortWidth, kShortCount, now_unix);
}

HenvStats::Window HenvStats::LastHour(int64_t now_unix) const {
  std::lock_guard lock(mu_);
  return Summarize(long_slots_, kLongWidth, kLongCount, now_unix);
}

HenvStats::Totals HenvStats::totals() const {
  std::lock_guard lock(mu_);
  return totals_;
}

size_t HenvStats::SlotsKept() const {
  std::lock_guard lock(mu_);
  return short_slots_.size() + long_slots_.size();
}

}  // namespace hbf
