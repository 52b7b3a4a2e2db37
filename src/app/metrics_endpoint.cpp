#include "app/metrics_endpoint.h"

#include <algorithm>
#include <cstdio>

#include "crypto/crypto.h"

namespace hbf {
namespace {

const char* const kStatusClass[metrics::kStatusClassCount] = {"1xx", "2xx", "3xx", "4xx", "5xx"};

void Header(std::string& out, const char* name, const char* type, const char* help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void AppendDouble(std::string& out, double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  out += buf;
}

// name{labels} (the sample's value follows)
void SampleName(std::string& out, const char* name, std::string_view labels) {
  out += name;
  if (!labels.empty()) {
    out += '{';
    out += labels;
    out += '}';
  }
  out += ' ';
}

// name{labels} value
void Sample(std::string& out, const char* name, std::string_view labels, uint64_t value) {
  SampleName(out, name, labels);
  out += std::to_string(value);
  out += '\n';
}

void SampleDouble(std::string& out, const char* name, std::string_view labels, double value) {
  SampleName(out, name, labels);
  AppendDouble(out, value);
  out += '\n';
}

std::string Label(const char* key, std::string_view value) {
  std::string out = key;
  out += "=\"";
  AppendLabelValue(out, value);
  out += '"';
  return out;
}

void Histogram(std::string& out, const char* name, const char* help, const metrics::Histogram& h) {
  Header(out, name, "histogram", help);
  const std::string bucket = std::string(name) + "_bucket";
  uint64_t cumulative = 0;
  for (size_t i = 0; i < metrics::kBucketBounds.size(); ++i) {
    cumulative += h.buckets[i];
    std::string le;
    AppendDouble(le, metrics::kBucketBounds[i]);
    Sample(out, bucket.c_str(), Label("le", le), cumulative);
  }
  Sample(out, bucket.c_str(), "le=\"+Inf\"", h.count);
  SampleDouble(out, (std::string(name) + "_sum").c_str(), {}, h.sum_seconds);
  Sample(out, (std::string(name) + "_count").c_str(), {}, h.count);
}

}  // namespace

void AppendLabelValue(std::string& out, std::string_view value) {
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
}

std::string RenderPrometheus(const metrics::Snapshot& s, const MetricsGauges& g, const std::vector<HenvSeries>& per_henv) {
  std::string out;
  out.reserve(6000 + per_henv.size() * 600);

  Header(out, "hbf_http_requests_total", "counter", "HTTP requests answered, by method and status class.");
  for (int m = 0; m < metrics::kMethodCount; ++m) {
    for (int c = 0; c < metrics::kStatusClassCount; ++c) {
      Sample(out, "hbf_http_requests_total",
             Label("method", metrics::MethodName(static_cast<metrics::Method>(m))) + "," +
                 Label("status", kStatusClass[c]),
             s.requests[m][c]);
    }
  }
  Histogram(out, "hbf_http_request_duration_seconds",
            "Time from a request's head arriving to its answer being queued on the connection.", s.latency);
  Header(out, "hbf_http_requests_in_flight", "gauge", "Requests whose head has arrived and that are not answered yet.");
  Sample(out, "hbf_http_requests_in_flight", {}, static_cast<uint64_t>(std::max<int64_t>(0, g.in_flight)));

  Histogram(out, "hbf_js_execution_seconds",
            "JavaScript running time per request that ran a router (time parked on timers excluded).", s.js);
  Header(out, "hbf_js_workers", "gauge", "JavaScript workers (runtimes bound to a henv), busy or idle.");
  Sample(out, "hbf_js_workers", "state=\"busy\"", static_cast<uint64_t>(std::max<int64_t>(0, g.js_workers_busy)));
  Sample(out, "hbf_js_workers", "state=\"idle\"", static_cast<uint64_t>(std::max<int64_t>(0, g.js_workers_idle)));
  Header(out, "hbf_js_workers_hibernated", "gauge",
         "Idle JavaScript workers hibernated (kept as their difference from the image; counted in idle too).");
  Sample(out, "hbf_js_workers_hibernated", {}, static_cast<uint64_t>(std::max<int64_t>(0, g.js_workers_hibernated)));
  Header(out, "hbf_js_worker_wakes_total", "counter", "Hibernated JavaScript workers woken by a request.");
  Sample(out, "hbf_js_worker_wakes_total", {}, g.js_worker_wakes);
  Header(out, "hbf_js_workers_made_total", "counter",
         "JavaScript workers made for a henv (a henv's first request, or one finding none idle).");
  Sample(out, "hbf_js_workers_made_total", {}, g.js_workers_made);
  Header(out, "hbf_js_workers_made_bound_total", "counter",
         "Of those, workers copied from their henv's bound image instead of binding (its router's top level not run again).");
  Sample(out, "hbf_js_workers_made_bound_total", {}, g.js_workers_made_bound);
  Header(out, "hbf_js_workers_dropped_total", "counter",
         "Idle JavaScript workers dropped because a new worker was expected to cost less than a wake "
         "(--js_hibernate=auto): instead of hibernating them, or, hibernated, instead of waking them.");
  Sample(out, "hbf_js_workers_dropped_total", "instead_of=\"hibernating\"", g.js_workers_dropped_idle);
  Sample(out, "hbf_js_workers_dropped_total", "instead_of=\"waking\"", g.js_workers_dropped_not_woken);
  Header(out, "hbf_js_worker_prefetches_total", "counter",
         "Requests whose JavaScript worker had been idle long enough to have left the CPU's caches, and was prefetched.");
  Sample(out, "hbf_js_worker_prefetches_total", {}, g.js_worker_prefetches);
  Header(out, "hbf_js_worker_hibernations_total", "counter", "Idle JavaScript workers hibernated.");
  Sample(out, "hbf_js_worker_hibernations_total", {}, g.js_worker_hibernations);
  Header(out, "hbf_js_workers_evicted_total", "counter",
         "Idle JavaScript workers destroyed over the memory budget or the connection cap, by their state then.");
  Sample(out, "hbf_js_workers_evicted_total", "state=\"awake\"", g.js_workers_evicted_awake);
  Sample(out, "hbf_js_workers_evicted_total", "state=\"hibernated\"", g.js_workers_evicted_hibernated);
  Header(out, "hbf_js_workers_evicted_on_probation_total", "counter",
         "Of those, workers evicted before their henv used them a second time (the first evicted over the budget).");
  Sample(out, "hbf_js_workers_evicted_on_probation_total", {}, g.js_workers_evicted_on_probation);
  Header(out, "hbf_js_workers_made_returning_total", "counter",
         "Workers made past probation: their henv's last worker was evicted shortly before.");
  Sample(out, "hbf_js_workers_made_returning_total", {}, g.js_workers_made_returning);
  Header(out, "hbf_js_workers_dropped_transient_total", "counter",
         "Of the evicted on probation, workers dropped after their one request while most workers made were for "
         "henvs not seen lately (their memory went, warm, to the next one made).");
  Sample(out, "hbf_js_workers_dropped_transient_total", {}, g.js_workers_dropped_transient);
  Header(out, "hbf_js_long_tail", "gauge",
         "1 while most workers made are for henvs not seen lately, and such workers are transient.");
  Sample(out, "hbf_js_long_tail", {}, g.js_long_tail ? uint64_t{1} : uint64_t{0});
  Header(out, "hbf_js_probation_target_workers", "gauge",
         "Idle workers on probation that eviction over the memory budget leaves before taking others (0: none evicted yet).");
  Sample(out, "hbf_js_probation_target_workers", {}, static_cast<uint64_t>(std::max<int64_t>(0, g.js_probation_target)));
  Header(out, "hbf_js_heap_bytes", "gauge", "Bytes allocated by all JavaScript runtimes.");
  Sample(out, "hbf_js_heap_bytes", {}, static_cast<uint64_t>(std::max<int64_t>(0, g.js_heap_bytes)));

  Header(out, "hbf_henvs_open", "gauge", "Henvs with their connection open (at most --db_max_open).");
  Sample(out, "hbf_henvs_open", {}, static_cast<uint64_t>(std::max<int64_t>(0, g.henvs_open)));
  Header(out, "hbf_henvs_dormant", "gauge", "Henvs kept in memory with their connection closed.");
  Sample(out, "hbf_henvs_dormant", {}, static_cast<uint64_t>(std::max<int64_t>(0, g.henvs_dormant)));
  Header(out, "hbf_henvs_opened_total", "counter", "Henv connections opened (a henv's first use, or again after its close).");
  Sample(out, "hbf_henvs_opened_total", {}, static_cast<uint64_t>(std::max<int64_t>(0, g.henv_file_opens)));
  Header(out, "hbf_db_connections_open", "gauge", "Henv database connections open (evicted henvs still in use count).");
  Sample(out, "hbf_db_connections_open", {}, static_cast<uint64_t>(std::max<int64_t>(0, g.db_connections)));

  Header(out, "hbf_rate_limited_total", "counter", "Requests refused 429 by a rate limit, by bucket.");
  for (int i = 0; i < metrics::kRateScopeCount; ++i) {
    Sample(out, "hbf_rate_limited_total", Label("scope", metrics::RateScopeName(static_cast<metrics::RateScope>(i))),
           s.rate_limited[i]);
  }
  Header(out, "hbf_script_limit_hits_total", "counter", "Scripts stopped by a limit, by kind.");
  for (int i = 0; i < metrics::kLimitKindCount; ++i) {
    Sample(out, "hbf_script_limit_hits_total",
           Label("kind", metrics::LimitKindName(static_cast<metrics::LimitKind>(i))), s.limit_hits[i]);
  }

  Header(out, "hbf_websocket_connections", "gauge", "WebSocket connections open.");
  Sample(out, "hbf_websocket_connections", {}, static_cast<uint64_t>(s.ws_open));
  Header(out, "hbf_websocket_messages_total", "counter", "WebSocket messages, by direction.");
  Sample(out, "hbf_websocket_messages_total", "direction=\"in\"", s.ws_messages[0]);
  Sample(out, "hbf_websocket_messages_total", "direction=\"out\"", s.ws_messages[1]);

  if (!per_henv.empty()) {
    Header(out, "hbf_henv_requests_total", "counter", "Requests answered per open henv since it was opened.");
    for (const HenvSeries& h : per_henv) {
      const std::string henv = Label("henv", h.hash);
      for (int c = 0; c < metrics::kStatusClassCount; ++c) {
        Sample(out, "hbf_henv_requests_total", henv + "," + Label("status", kStatusClass[c]),
               h.totals.by_class[static_cast<size_t>(c)]);
      }
    }
    Header(out, "hbf_henv_request_duration_seconds_total", "counter",
           "Summed request latency per open henv since it was opened.");
    for (const HenvSeries& h : per_henv) {
      SampleDouble(out, "hbf_henv_request_duration_seconds_total", Label("henv", h.hash),
                   static_cast<double>(h.totals.latency_ns) / 1e9);
    }
    Header(out, "hbf_henv_js_seconds_total", "counter", "JavaScript running time per open henv since it was opened.");
    for (const HenvSeries& h : per_henv) {
      SampleDouble(out, "hbf_henv_js_seconds_total", Label("henv", h.hash), static_cast<double>(h.totals.js_ns) / 1e9);
    }
  }
  return out;
}

MetricsAccess DecideMetricsAccess(bool client_is_loopback, bool loopback_allowed, std::string_view token,
                                  const std::optional<std::string>& bearer) {
  if (client_is_loopback && loopback_allowed) return MetricsAccess::kAllowed;
  if (token.empty()) return MetricsAccess::kForbidden;
  if (!bearer) return MetricsAccess::kUnauthorized;
  return crypto::ConstantTimeEquals(*bearer, token) ? MetricsAccess::kAllowed : MetricsAccess::kForbidden;
}

}  // namespace hbf
