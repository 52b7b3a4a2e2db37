// Process-wide counters and histograms for GET /metrics (Prometheus).
//
// Design (hot path first): every thread that counts owns a shard - fixed
// arrays of relaxed atomics, registered once in the registry the first time
// that thread counts. Only the owning thread writes its shard (a relaxed
// load + store, no locked instruction, no cache line shared with another
// core); Collect() reads every shard and sums. A thread that exits leaves
// its shard in the registry as a "free" one (its counts still count), and
// the next thread to register takes it over, so the number of shards stays
// at the peak number of threads that ever counted at once.
//
// What is counted here is fixed at compile time (the enums below): no
// names, no labels, no allocation per observation. Label values that are
// unbounded (a henv's hash) never reach this registry; per-henv figures
// live with the henv (henv/henv_stats.h). Gauges that have an owner (open
// henvs, JS workers, database connections) are read from that owner when
// /metrics is rendered (app/metrics_endpoint.h), not mirrored here.
//
// Thread safety: every function is safe from any thread. The registry's
// mutex is taken only when a thread counts for the first time and by
// Collect(); never per observation.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace hbf::metrics {

// The request method as a label: a fixed set (anything else is "other").
enum class Method : uint8_t { kGet, kPost, kPut, kPatch, kDelete, kHead, kOptions, kOther };
inline constexpr int kMethodCount = 8;
Method MethodOf(std::string_view method);
const char* MethodName(Method m);

// Status classes 1xx..5xx (index 0..4); anything outside 100..599 counts as 5xx.
inline constexpr int kStatusClassCount = 5;
int StatusClassIndex(int status);

enum class RateScope : uint8_t { kAddress, kHenv, kSignup };
inline constexpr int kRateScopeCount = 3;
const char* RateScopeName(RateScope s);

// A script stopped by a limit (ScriptResult::Failure codes script_timeout,
// script_memory, quota_exceeded, script_busy).
enum class LimitKind : uint8_t { kTimeout, kMemory, kQuota, kBusy };
inline constexpr int kLimitKindCount = 4;
const char* LimitKindName(LimitKind k);
// From a failure code; false when it is not a limit.
bool LimitKindOf(std::string_view code, LimitKind& out);

// Histogram upper bounds in seconds (Prometheus `le`), shared by the request
// latency and the JavaScript time. One more bucket holds the rest (+Inf).
inline constexpr std::array<double, 15> kBucketBounds = {0.0005, 0.001, 0.0025, 0.005, 0.01,  0.025, 0.05, 0.1,
                                                         0.25,   0.5,   1.0,    2.5,   5.0,   10.0,  30.0};
inline constexpr int kBucketCount = static_cast<int>(kBucketBounds.size()) + 1;
// The bucket an observation of `ns` nanoseconds falls in (0..kBucketCount-1).
int BucketIndex(int64_t ns);

// Off (`--metrics=false`): the per-request counts below are skipped (the
// WebSocket gauges are kept: they are state, not counts). Set once at start.
void SetCounting(bool on);

// ---- counting (hot path: a few relaxed stores into this thread's shard)
// One answered request: its method, status and time from the first byte of
// its head to its answer being queued on the connection.
void CountRequest(std::string_view method, int status, int64_t duration_ns);
// JavaScript run time of one request (running only: parked time excluded).
void ObserveJs(int64_t ns);
void CountRateLimited(RateScope scope);
void CountLimitHit(LimitKind kind);
// WebSockets (#11): an upgraded connection opened / closed, one message.
void WsOpened();
void WsClosed();
void WsMessage(bool inbound);

// ---- reading
struct Histogram {
  std::array<uint64_t, kBucketCount> buckets{};  // per bucket, not cumulative
  uint64_t count = 0;
  double sum_seconds = 0;
};
struct Snapshot {
  uint64_t requests[kMethodCount][kStatusClassCount] = {};
  Histogram latency;
  Histogram js;
  uint64_t rate_limited[kRateScopeCount] = {};
  uint64_t limit_hits[kLimitKindCount] = {};
  int64_t ws_open = 0;           // opened - closed
  uint64_t ws_messages[2] = {};  // [0] inbound, [1] outbound
};
// Sums every shard. Counters are monotonic; a snapshot taken while threads
// count is a valid recent value for each counter (not one instant for all).
Snapshot Collect();

// How many shards exist (tests: shards are reused, not leaked).
int ShardCount();

}  // namespace hbf::metrics
