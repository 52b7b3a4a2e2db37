// GET /metrics (apex host): the Prometheus text exposition format 0.0.4.
//
// Families (all prefixed hbf_):
//   http_requests_total{method,status}          counter; status is the class "2xx"
//   http_request_duration_seconds               histogram (head received -> answer queued)
//   http_requests_in_flight                     gauge
//   js_execution_seconds                        histogram (JS running time per request, parked time excluded)
//   js_workers{state="busy"|"idle"}             gauge
//   js_heap_bytes                               gauge (all runtimes)
//   henvs_open, henvs_dormant, db_connections_open  gauges
//   henvs_opened_total                          counter (a henv's connection opened, first or again)
//   rate_limited_total{scope}                   counter (address, henv, signup)
//   script_limit_hits_total{kind}               counter (timeout, memory, quota, busy)
//   websocket_connections                       gauge
//   websocket_messages_total{direction}         counter (in, out)
// With --metrics_per_henv, for each henv open now (label henv = its hash):
//   henv_requests_total{henv,status}, henv_request_duration_seconds_total{henv},
//   henv_js_seconds_total{henv} (since the henv was opened; a dormant
//   henv keeps its figures).
//
// Counters come from core/metrics.h (per-thread shards, summed here);
// gauges from their owners (App reads them). Rendering and the access rule
// are pure functions, unit-tested.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/metrics.h"
#include "henv/henv_stats.h"

namespace hbf {

inline constexpr const char* kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

struct MetricsGauges {
  int64_t henvs_open = 0;
  int64_t henvs_dormant = 0;
  int64_t henv_file_opens = 0;
  int64_t db_connections = 0;
  int64_t js_workers_busy = 0;
  int64_t js_workers_idle = 0;
  int64_t js_workers_hibernated = 0;  // of the idle ones
  uint64_t js_worker_wakes = 0;
  uint64_t js_workers_made = 0;
  uint64_t js_workers_made_bound = 0;  // of those, copied from a bound image
  uint64_t js_workers_dropped_idle = 0;       // dropped instead of hibernated (--js_hibernate=auto)
  uint64_t js_workers_dropped_not_woken = 0;  // hibernated, dropped instead of woken (likewise)
  uint64_t js_worker_prefetches = 0;
  uint64_t js_worker_hibernations = 0;
  uint64_t js_workers_evicted_awake = 0;
  uint64_t js_workers_evicted_hibernated = 0;
  uint64_t js_workers_evicted_on_probation = 0;
  uint64_t js_workers_made_returning = 0;
  uint64_t js_workers_dropped_transient = 0;
  bool js_long_tail = false;
  int64_t js_probation_target = 0;
  int64_t js_heap_bytes = 0;
  int64_t in_flight = 0;
};

struct HenvSeries {
  std::string hash;
  HenvStats::Totals totals;
};

std::string RenderPrometheus(const metrics::Snapshot& snapshot, const MetricsGauges& gauges,
                             const std::vector<HenvSeries>& per_henv);

// A label value in the exposition format: backslash, double quote and
// newline escaped (\\, \", \n), appended to `out` without the quotes.
void AppendLabelValue(std::string& out, std::string_view value);

enum class MetricsAccess { kAllowed, kUnauthorized, kForbidden };
// Who may read /metrics: a loopback client (the address behind trusted
// proxies) while `loopback_allowed`; anyone presenting `token` (when set)
// as a Bearer token, compared in constant time. Otherwise 401 when no
// Bearer token came along and a token is configured, 403 when one came and
// is wrong, or when no token is configured at all.
MetricsAccess DecideMetricsAccess(bool client_is_loopback, bool loopback_allowed, std::string_view token,
                                  const std::optional<std::string>& bearer);

}  // namespace hbf
