// The metrics registry (core/metrics.h: per-thread shards summed on read),
// the Prometheus rendering and access rule (app/metrics_endpoint.h) and a
// henv's own figures (henv/henv_stats.h).
#include "core/metrics.h"

#include <gtest/gtest.h>

#include <sstream>
#include <thread>
#include <vector>

#include "app/metrics_endpoint.h"
#include "henv/henv_stats.h"

namespace hbf {
namespace {

constexpr int64_t kMs = 1000000;  // ns

uint64_t Requests(const metrics::Snapshot& s, metrics::Method m, int status_class) {
  return s.requests[static_cast<int>(m)][status_class];
}

// ------------------------------------------------------------- registry

TEST(MetricsRegistryTest, CountsFromManyThreadsAreSummed) {
  const metrics::Snapshot before = metrics::Collect();
  constexpr int kThreads = 8;
  constexpr int kEach = 1000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([] {
      for (int i = 0; i < kEach; ++i) {
        metrics::CountRequest("PATCH", 204, 3 * kMs);
        metrics::ObserveJs(kMs);
      }
      metrics::CountRateLimited(metrics::RateScope::kHenv);
      metrics::CountLimitHit(metrics::LimitKind::kMemory);
      metrics::WsOpened();
      metrics::WsMessage(true);
      metrics::WsMessage(false);
      metrics::WsMessage(false);
    });
  }
  for (auto& t : threads) t.join();
  // The threads have exited: their shards are free, their counts stay.
  const metrics::Snapshot after = metrics::Collect();
  EXPECT_EQ(Requests(after, metrics::Method::kPatch, 1) - Requests(before, metrics::Method::kPatch, 1),
            uint64_t{kThreads * kEach});
  EXPECT_EQ(after.latency.count - before.latency.count, uint64_t{kThreads * kEach});
  EXPECT_NEAR(after.latency.sum_seconds - before.latency.sum_seconds, kThreads * kEach * 0.003, 1e-6);
  EXPECT_EQ(after.js.count - before.js.count, uint64_t{kThreads * kEach});
  EXPECT_EQ(after.rate_limited[1] - before.rate_limited[1], uint64_t{kThreads});
  EXPECT_EQ(after.limit_hits[1] - before.limit_hits[1], uint64_t{kThreads});
  EXPECT_EQ(after.ws_open - before.ws_open, kThreads);
  EXPECT_EQ(after.ws_messages[0] - before.ws_messages[0], uint64_t{kThreads});
  EXPECT_EQ(after.ws_messages[1] - before.ws_messages[1], uint64_t{2 * kThreads});
}

TEST(MetricsRegistryTest, ShardsOfExitedThreadsAreReused) {
  std::thread([] { metrics::WsMessage(true); }).join();
  const int shards = metrics::ShardCount();
  for (int i = 0; i < 20; ++i) std::thread([] { metrics::CountRequest("GET", 200, 0); }).join();
  EXPECT_EQ(metrics::ShardCount(), shards);
}

TEST(MetricsRegistryTest, MethodsAndStatusClasses) {
  EXPECT_EQ(metrics::MethodOf("GET"), metrics::Method::kGet);
  EXPECT_EQ(metrics::MethodOf("OPTIONS"), metrics::Method::kOptions);
  EXPECT_EQ(metrics::MethodOf("get"), metrics::Method::kOther);  // methods are case-sensitive
  EXPECT_EQ(metrics::MethodOf("PROPFIND"), metrics::Method::kOther);
  EXPECT_EQ(metrics::MethodOf("-"), metrics::Method::kOther);
  EXPECT_EQ(metrics::StatusClassIndex(101), 0);
  EXPECT_EQ(metrics::StatusClassIndex(200), 1);
  EXPECT_EQ(metrics::StatusClassIndex(304), 2);
  EXPECT_EQ(metrics::StatusClassIndex(429), 3);
  EXPECT_EQ(metrics::StatusClassIndex(599), 4);
  EXPECT_EQ(metrics::StatusClassIndex(0), 4);
  EXPECT_EQ(metrics::StatusClassIndex(700), 4);
}

TEST(MetricsRegistryTest, HistogramBucketsAreUpperInclusive) {
  EXPECT_EQ(metrics::BucketIndex(0), 0);
  EXPECT_EQ(metrics::BucketIndex(500000), 0);  // exactly 0.5 ms: le="0.0005"
  EXPECT_EQ(metrics::BucketIndex(500001), 1);
  EXPECT_EQ(metrics::BucketIndex(1 * kMs), 1);
  EXPECT_EQ(metrics::BucketIndex(10000 * kMs), 13);  // 10 s
  EXPECT_EQ(metrics::BucketIndex(30000 * kMs), 14);  // 30 s
  EXPECT_EQ(metrics::BucketIndex(30001 * kMs), metrics::kBucketCount - 1);  // +Inf
  metrics::LimitKind kind{};
  EXPECT_TRUE(metrics::LimitKindOf("script_timeout", kind));
  EXPECT_EQ(kind, metrics::LimitKind::kTimeout);
  EXPECT_TRUE(metrics::LimitKindOf("quota_exceeded", kind));
  EXPECT_EQ(kind, metrics::LimitKind::kQuota);
  EXPECT_FALSE(metrics::LimitKindOf("script_error", kind));
}

// ------------------------------------------------------------- rendering

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

bool HasLine(const std::string& text, const std::string& line) {
  for (const std::string& l : Lines(text)) {
    if (l == line) return true;
  }
  return false;
}

TEST(MetricsRenderTest, FamiliesHaveHelpAndTypeAndCumulativeBuckets) {
  metrics::Snapshot s;
  s.requests[static_cast<int>(metrics::Method::kGet)][1] = 7;
  s.requests[static_cast<int>(metrics::Method::kOther)][4] = 2;
  s.latency.buckets[0] = 3;
  s.latency.buckets[2] = 4;
  s.latency.buckets[metrics::kBucketCount - 1] = 1;
  s.latency.count = 8;
  s.latency.sum_seconds = 31.5;
  s.rate_limited[0] = 5;
  s.limit_hits[3] = 6;
  MetricsGauges g;
  g.henvs_open = 3;
  g.js_workers_busy = 1;
  g.js_workers_idle = 2;
  const std::string text = RenderPrometheus(s, g, {});
  EXPECT_TRUE(HasLine(text, "# TYPE hbf_http_requests_total counter"));
  EXPECT_TRUE(HasLine(text, "hbf_http_requests_total{method=\"GET\",status=\"2xx\"} 7"));
  EXPECT_TRUE(HasLine(text, "hbf_http_requests_total{method=\"other\",status=\"5xx\"} 2"));
  EXPECT_TRUE(HasLine(text, "# TYPE hbf_http_request_duration_seconds histogram"));
  EXPECT_TRUE(HasLine(text, "hbf_http_request_duration_seconds_bucket{le=\"0.0005\"} 3"));
  EXPECT_TRUE(HasLine(text, "hbf_http_request_duration_seconds_bucket{le=\"0.001\"} 3"));
  EXPECT_TRUE(HasLine(text, "hbf_http_request_duration_seconds_bucket{le=\"0.0025\"} 7"));
  EXPECT_TRUE(HasLine(text, "hbf_http_request_duration_seconds_bucket{le=\"30\"} 7"));
  EXPECT_TRUE(HasLine(text, "hbf_http_request_duration_seconds_bucket{le=\"+Inf\"} 8"));
  EXPECT_TRUE(HasLine(text, "hbf_http_request_duration_seconds_sum 31.5"));
  EXPECT_TRUE(HasLine(text, "hbf_http_request_duration_seconds_count 8"));
  EXPECT_TRUE(HasLine(text, "hbf_js_workers{state=\"busy\"} 1"));
  EXPECT_TRUE(HasLine(text, "hbf_henvs_open 3"));
  EXPECT_TRUE(HasLine(text, "hbf_rate_limited_total{scope=\"address\"} 5"));
  EXPECT_TRUE(HasLine(text, "hbf_script_limit_hits_total{kind=\"busy\"} 6"));
  EXPECT_TRUE(HasLine(text, "hbf_websocket_connections 0"));
  EXPECT_TRUE(HasLine(text, "hbf_websocket_messages_total{direction=\"out\"} 0"));
  EXPECT_EQ(text.find("hbf_henv_"), std::string::npos) << "no per-henv series unless asked";
  // Every sample line belongs to a family announced by HELP and TYPE before it.
  std::string family;
  for (const std::string& line : Lines(text)) {
    ASSERT_FALSE(line.empty());
    if (line.rfind("# HELP ", 0) == 0) continue;
    if (line.rfind("# TYPE ", 0) == 0) {
      family = line.substr(7, line.find(' ', 7) - 7);
      continue;
    }
    EXPECT_EQ(line.rfind(family, 0), 0u) << line << " after family " << family;
  }
}

TEST(MetricsRenderTest, LabelValuesAreEscaped) {
  std::string out;
  AppendLabelValue(out, "a\\b\"c\nd");
  EXPECT_EQ(out, "a\\\\b\\\"c\\nd");
  HenvSeries odd{"we\"ird\\\n", {}};
  odd.totals.by_class[1] = 4;
  const std::string text = RenderPrometheus({}, {}, {odd});
  EXPECT_TRUE(HasLine(text, "hbf_henv_requests_total{henv=\"we\\\"ird\\\\\\n\",status=\"2xx\"} 4")) << text;
}

TEST(MetricsRenderTest, PerHenvSeries) {
  HenvSeries h{"abc123", {}};
  h.totals.by_class[3] = 2;
  h.totals.latency_ns = 1500 * kMs;
  h.totals.js_ns = 250 * kMs;
  const std::string text = RenderPrometheus({}, {}, {h});
  EXPECT_TRUE(HasLine(text, "# TYPE hbf_henv_requests_total counter"));
  EXPECT_TRUE(HasLine(text, "hbf_henv_requests_total{henv=\"abc123\",status=\"4xx\"} 2"));
  EXPECT_TRUE(HasLine(text, "hbf_henv_request_duration_seconds_total{henv=\"abc123\"} 1.5"));
  EXPECT_TRUE(HasLine(text, "hbf_henv_js_seconds_total{henv=\"abc123\"} 0.25"));
}

TEST(MetricsAccessTest, LoopbackOrTheToken) {
  const std::string token = "0123456789abcdef-token";
  EXPECT_EQ(DecideMetricsAccess(true, true, "", std::nullopt), MetricsAccess::kAllowed);
  EXPECT_EQ(DecideMetricsAccess(true, true, token, std::nullopt), MetricsAccess::kAllowed);
  // Not loopback (or loopback not trusted): the token decides.
  EXPECT_EQ(DecideMetricsAccess(false, true, "", std::nullopt), MetricsAccess::kForbidden);
  EXPECT_EQ(DecideMetricsAccess(false, true, "", std::string("anything")), MetricsAccess::kForbidden);
  EXPECT_EQ(DecideMetricsAccess(false, true, token, std::nullopt), MetricsAccess::kUnauthorized);
  EXPECT_EQ(DecideMetricsAccess(false, true, token, std::string("wrong")), MetricsAccess::kForbidden);
  EXPECT_EQ(DecideMetricsAccess(false, true, token, token), MetricsAccess::kAllowed);
  EXPECT_EQ(DecideMetricsAccess(true, false, token, std::nullopt), MetricsAccess::kUnauthorized);
  EXPECT_EQ(DecideMetricsAccess(true, false, token, token), MetricsAccess::kAllowed);
}

// ------------------------------------------------------------- henv stats

TEST(HenvStatsTest, LatencyBucketsAreLogScale) {
  EXPECT_EQ(HenvStats::LatencyBucket(0), 0);
  EXPECT_EQ(HenvStats::LatencyBucket(250000), 0);  // 0.25 ms
  EXPECT_EQ(HenvStats::LatencyBucket(260000), 1);
  EXPECT_DOUBLE_EQ(HenvStats::BucketUpperMs(2), 0.5);
  EXPECT_EQ(HenvStats::LatencyBucket(500000), 2);
  for (int i = 0; i + 1 < HenvStats::kLatencyBuckets; ++i) {
    const auto upper_ns = static_cast<int64_t>(HenvStats::BucketUpperMs(i) * 1e6);
    EXPECT_LE(HenvStats::LatencyBucket(upper_ns), i) << i;
    EXPECT_EQ(HenvStats::LatencyBucket(upper_ns + 2000), i + 1) << i;
  }
  EXPECT_EQ(HenvStats::LatencyBucket(int64_t{3600} * 1000 * kMs), HenvStats::kLatencyBuckets - 1);
}

TEST(HenvStatsTest, WindowsCountAndEstimatePercentiles) {
  HenvStats stats;
  const int64_t t0 = 1700000040;  // a multiple of 10 and of 60 seconds
  for (int i = 0; i < 98; ++i) stats.Record(t0, 200, 2 * kMs, kMs);
  stats.Record(t0 + 5, 404, 100 * kMs, 0);
  stats.Record(t0 + 5, 503, 900 * kMs, 3 * kMs, 2 * kMs);
  HenvStats::Window m = stats.LastMinute(t0 + 30);
  EXPECT_EQ(m.requests, 100);
  EXPECT_EQ(m.errors_4xx, 1);
  EXPECT_EQ(m.errors_5xx, 1);
  EXPECT_DOUBLE_EQ(m.js_ms, 101.0);
  EXPECT_DOUBLE_EQ(m.db_ms, 2.0);
  // 2 ms lies in the bucket up to 2 ms; the slowest two set p99.
  EXPECT_DOUBLE_EQ(m.p50_ms, 2.0);
  EXPECT_DOUBLE_EQ(m.p95_ms, 2.0);
  EXPECT_GE(m.p99_ms, 100.0);
  EXPECT_LE(m.p99_ms, 100.0 * 1.5);
  // A minute and more later the short window is empty, the hour still counts.
  EXPECT_EQ(stats.LastMinute(t0 + 70).requests, 0);
  HenvStats::Window h = stats.LastHour(t0 + 70);
  EXPECT_EQ(h.requests, 100);
  EXPECT_DOUBLE_EQ(h.p99_ms, 128.0);  // the bucket holding 100 ms ends at 128 ms
  EXPECT_EQ(stats.LastHour(t0 + 3600).requests, 0);
  // Slots are reused when the clock comes round again.
  stats.Record(t0 + 3600, 201, kMs, 0);
  EXPECT_EQ(stats.LastHour(t0 + 3600).requests, 1);
  HenvStats::Totals totals = stats.totals();
  EXPECT_EQ(totals.by_class[1], 99u);
  EXPECT_EQ(totals.by_class[3], 1u);
  EXPECT_EQ(totals.by_class[4], 1u);
}

TEST(HenvStatsTest, PercentilesNeverExceedTheSlowestRequest) {
  HenvStats stats;
  stats.Record(100, 200, 3 * kMs, 0);
  HenvStats::Window w = stats.LastMinute(100);
  EXPECT_DOUBLE_EQ(w.p50_ms, 3.0);
  EXPECT_DOUBLE_EQ(w.p99_ms, 3.0);
  EXPECT_EQ(HenvStats().LastHour(100).requests, 0);
}

// Only the slots inside their window are kept: a henv asked once holds two,
// one asked every 10 s for two hours at most a minute's and an hour's, and
// the windows still count what they should, also after the clock goes back.
TEST(HenvStatsTest, KeepsOnlyTheSlotsInsideTheirWindows) {
  HenvStats stats;
  EXPECT_EQ(stats.SlotsKept(), 0u);
  const int64_t t0 = 999'999'960;  // a minute boundary
  stats.Record(t0, 200, kMs, 0);
  EXPECT_EQ(stats.SlotsKept(), 2u);

  for (int64_t t = t0 + 10; t < t0 + 7200; t += 10) stats.Record(t, 200, kMs, 0);
  EXPECT_LE(stats.SlotsKept(), 6u + 60u);
  const int64_t now = t0 + 7190;
  EXPECT_EQ(stats.LastMinute(now).requests, 6);  // t0+7140 .. t0+7190
  EXPECT_EQ(stats.LastHour(now).requests, 360);  // t0+3600 .. t0+7190
  // Two hours later nothing is in either window.
  EXPECT_EQ(stats.LastHour(now + 7200).requests, 0);

  // The clock goes back 3,000 s: the slots ahead of it are dropped, those
  // still inside its windows are kept (the ring did the same in effect).
  stats.Record(now - 3000, 200, kMs, 0);
  EXPECT_EQ(stats.LastMinute(now - 3000).requests, 1);
  EXPECT_EQ(stats.LastHour(now - 3000).requests, 61);  // t0+3600 .. t0+4190, and this one
  EXPECT_LE(stats.SlotsKept(), 6u + 60u);

  // And forward again: an hour later only the new slots count.
  stats.Record(now + 3600, 500, kMs, 0);
  HenvStats::Window h = stats.LastHour(now + 3600);
  EXPECT_EQ(h.requests, 1);
  EXPECT_EQ(h.errors_5xx, 1);
  EXPECT_EQ(stats.SlotsKept(), 2u);
}

}  // namespace
}  // namespace hbf
