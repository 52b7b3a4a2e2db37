#include "core/metrics.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <new>
#include <vector>

namespace hbf::metrics {
namespace {

using Cell = std::atomic<uint64_t>;

// One thread's counters. Aligned so that two shards never share a cache line.
struct alignas(64) Shard {
  Cell requests[kMethodCount * kStatusClassCount] = {};
  Cell latency[kBucketCount] = {};
  Cell latency_sum_ns{0};
  Cell js[kBucketCount] = {};
  Cell js_sum_ns{0};
  Cell rate_limited[kRateScopeCount] = {};
  Cell limit_hits[kLimitKindCount] = {};
  Cell ws_opened{0};
  Cell ws_closed{0};
  Cell ws_messages[2] = {};
  bool in_use = false;  // guarded by Registry::mu
};

// Only the shard's owner writes a cell, so a relaxed load + store is an
// exact increment without a locked instruction; readers see some recent value.
inline void Bump(Cell& cell, uint64_t by = 1) { cell.store(cell.load(std::memory_order_relaxed) + by, std::memory_order_relaxed); }

struct Registry {
  std::mutex mu;
  std::vector<std::unique_ptr<Shard>> shards;  // guarded by mu; never shrinks

  Shard* Acquire() {
    std::lock_guard lock(mu);
    for (auto& s : shards) {
      if (!s->in_use) {
        s->in_use = true;
        return s.get();
      }
    }
    shards.push_back(std::make_unique<Shard>());
    shards.back()->in_use = true;
    return shards.back().get();
  }
  void Release(Shard* shard) {
    std::lock_guard lock(mu);
    shard->in_use = false;
  }
};

// Never destroyed: threads still running at exit (detached ones, the
// watchdog) may count, and each thread's handle releases its shard at
// thread exit, possibly after static destructors ran.
Registry& TheRegistry() {
  alignas(Registry) static unsigned char storage[sizeof(Registry)];
  static Registry* registry = ::new (storage) Registry();
  return *registry;
}

// This thread's shard. A plain pointer (trivial type: read without a TLS
// init call); the handle that gives the shard back at thread exit is
// touched only when the thread registers.
thread_local Shard* t_shard = nullptr;

struct ShardHandle {
  Shard* shard = nullptr;
  ~ShardHandle() {
    if (shard != nullptr) TheRegistry().Release(shard);
  }
};

[[gnu::noinline]] Shard& Register() {
  thread_local ShardHandle handle;
  handle.shard = TheRegistry().Acquire();
  t_shard = handle.shard;
  return *t_shard;
}

inline Shard& Mine() {
  Shard* s = t_shard;
  return s != nullptr ? *s : Register();
}

// The bucket bounds in nanoseconds, at compile time.
constexpr std::array<int64_t, kBucketBounds.size()> kBoundsNs = [] {
  std::array<int64_t, kBucketBounds.size()> out{};
  for (size_t i = 0; i < kBucketBounds.size(); ++i) out[i] = static_cast<int64_t>(kBucketBounds[i] * 1e9 + 0.5);
  return out;
}();

uint64_t Read(const Cell& cell) { return cell.load(std::memory_order_relaxed); }

}  // namespace

Method MethodOf(std::string_view m) {
  switch (m.size()) {
    case 3:
      if (m == "GET") return Method::kGet;
      if (m == "PUT") return Method::kPut;
      break;
    case 4:
      if (m == "POST") return Method::kPost;
      if (m == "HEAD") return Method::kHead;
      break;
    case 5:
      if (m == "PATCH") return Method::kPatch;
      break;
    case 6:
      if (m == "DELETE") return Method::kDelete;
      break;
    case 7:
      if (m == "OPTIONS") return Method::kOptions;
      break;
    default:
      break;
  }
  return Method::kOther;
}

const char* MethodName(Method m) {
  static constexpr const char* kNames[kMethodCount] = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "other"};
  return kNames[static_cast<int>(m)];
}

int StatusClassIndex(int status) {
  if (status < 100 || status > 599) return 4;
  return status / 100 - 1;
}

const char* RateScopeName(RateScope s) {
  static constexpr const char* kNames[kRateScopeCount] = {"address", "henv", "signup"};
  return kNames[static_cast<int>(s)];
}

const char* LimitKindName(LimitKind k) {
  static constexpr const char* kNames[kLimitKindCount] = {"timeout", "memory", "quota", "busy"};
  return kNames[static_cast<int>(k)];
}

bool LimitKindOf(std::string_view code, LimitKind& out) {
  if (code == "script_timeout") out = LimitKind::kTimeout;
  else if (code == "script_memory") out = LimitKind::kMemory;
  else if (code == "quota_exceeded") out = LimitKind::kQuota;
  else if (code == "script_busy") out = LimitKind::kBusy;
  else return false;
  return true;
}

int BucketIndex(int64_t ns) {
  // A linear scan over 15 values is cheaper than anything cleverer at this size.
  int i = 0;
  while (i < static_cast<int>(kBoundsNs.size()) && ns > kBoundsNs[static_cast<size_t>(i)]) ++i;
  return i;
}

namespace {
std::atomic<bool> counting{true};  // read on every count: one shared, never-written cache line
bool Counting() { return counting.load(std::memory_order_relaxed); }
}  // namespace

void SetCounting(bool on) { counting.store(on, std::memory_order_relaxed); }

void CountRequest(std::string_view method, int status, int64_t duration_ns) {
  if (!Counting()) return;
  Shard& s = Mine();
  Bump(s.requests[static_cast<int>(MethodOf(method)) * kStatusClassCount + StatusClassIndex(status)]);
  if (duration_ns < 0) duration_ns = 0;
  Bump(s.latency[BucketIndex(duration_ns)]);
  Bump(s.latency_sum_ns, static_cast<uint64_t>(duration_ns));
}

void ObserveJs(int64_t ns) {
  if (!Counting()) return;
  Shard& s = Mine();
  if (ns < 0) ns = 0;
  Bump(s.js[BucketIndex(ns)]);
  Bump(s.js_sum_ns, static_cast<uint64_t>(ns));
}

void CountRateLimited(RateScope scope) {
  if (Counting()) Bump(Mine().rate_limited[static_cast<int>(scope)]);
}
void CountLimitHit(LimitKind kind) {
  if (Counting()) Bump(Mine().limit_hits[static_cast<int>(kind)]);
}
void WsOpened() { Bump(Mine().ws_opened); }
void WsClosed() { Bump(Mine().ws_closed); }
void WsMessage(bool inbound) {
  if (Counting()) Bump(Mine().ws_messages[inbound ? 0 : 1]);
}

Snapshot Collect() {
  Snapshot out;
  uint64_t latency_ns = 0;
  uint64_t js_ns = 0;
  uint64_t ws_opened = 0;
  uint64_t ws_closed = 0;
  Registry& r = TheRegistry();
  std::lock_guard lock(r.mu);
  for (const auto& shard : r.shards) {
    const Shard& s = *shard;
    for (int m = 0; m < kMethodCount; ++m) {
      for (int c = 0; c < kStatusClassCount; ++c) out.requests[m][c] += Read(s.requests[m * kStatusClassCount + c]);
    }
    for (int b = 0; b < kBucketCount; ++b) {
      out.latency.buckets[static_cast<size_t>(b)] += Read(s.latency[b]);
      out.js.buckets[static_cast<size_t>(b)] += Read(s.js[b]);
    }
    latency_ns += Read(s.latency_sum_ns);
    js_ns += Read(s.js_sum_ns);
    for (int i = 0; i < kRateScopeCount; ++i) out.rate_limited[i] += Read(s.rate_limited[i]);
    for (int i = 0; i < kLimitKindCount; ++i) out.limit_hits[i] += Read(s.limit_hits[i]);
    ws_opened += Read(s.ws_opened);
    ws_closed += Read(s.ws_closed);
    out.ws_messages[0] += Read(s.ws_messages[0]);
    out.ws_messages[1] += Read(s.ws_messages[1]);
  }
  for (uint64_t n : out.latency.buckets) out.latency.count += n;
  for (uint64_t n : out.js.buckets) out.js.count += n;
  out.latency.sum_seconds = static_cast<double>(latency_ns) / 1e9;
  out.js.sum_seconds = static_cast<double>(js_ns) / 1e9;
  // Read unordered: a close seen before its open would show -1 briefly.
  out.ws_open = std::max<int64_t>(0, static_cast<int64_t>(ws_opened) - static_cast<int64_t>(ws_closed));
  return out;
}

int ShardCount() {
  Registry& r = TheRegistry();
  std::lock_guard lock(r.mu);
  return static_cast<int>(r.shards.size());
}

}  // namespace hbf::metrics
