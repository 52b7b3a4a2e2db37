#include "http/rate_limiter.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>
#include <limits>
#include <vector>

namespace hbf {
namespace {

constexpr int64_t kNsPerSecond = 1'000'000'000;
// Far enough ahead for any sane rate, and far from overflowing when now is
// added to it.
constexpr int64_t kMaxToleranceNs = std::numeric_limits<int64_t>::max() / 4;

int64_t CeilSeconds(int64_t ns) { return ns <= 0 ? 0 : (ns + kNsPerSecond - 1) / kNsPerSecond; }

}  // namespace

RateLimiter::RateLimiter(Options options, std::function<Clock::time_point()> now)
    : options_(options),
      keys_per_shard_(std::max<size_t>(
          1, (options.max_keys + std::max<size_t>(1, options.shards) - 1) / std::max<size_t>(1, options.shards))),
      now_(std::move(now)),
      shards_(std::make_unique<Shard[]>(std::max<size_t>(1, options.shards))) {}

RateLimiter::Decision RateLimiter::Take(std::string_view key, const Rate& rate) {
  // The cost of one request in time, and how far ahead of now the bucket's
  // "full again" moment may be: `burst` costs.
  const int64_t cost = std::max<int64_t>(1, rate.period.count() / std::max<int64_t>(1, rate.tokens));
  const int64_t burst = std::max<int64_t>(1, rate.burst);
  const int64_t tolerance = burst > kMaxToleranceNs / cost ? kMaxToleranceNs : cost * burst;
  const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(now_().time_since_epoch()).count();

  const size_t shard_count = std::max<size_t>(1, options_.shards);
  Shard& shard = shards_[KeyHash{}(key) % shard_count];
  std::lock_guard lock(shard.mu);
  if (now >= shard.next_sweep_ns) {
    SweepLocked(shard, now, false);
    shard.next_sweep_ns = now + options_.sweep_interval.count();
  }
  auto it = shard.full_at.find(key);
  const int64_t from = it == shard.full_at.end() ? now : std::max(it->second, now);
  const int64_t next = from + cost;
  Decision d;
  d.limit = burst;
  if (next - now > tolerance) {
    // Refused: the bucket is left as it was (a refusal costs nothing, so a
    // client that waits Retry-After is served).
    d.allowed = false;
    d.remaining = 0;
    d.retry_after_seconds = std::max<int64_t>(1, CeilSeconds(next - tolerance - now));
    d.reset_seconds = CeilSeconds(from - now);
    return d;
  }
  if (it == shard.full_at.end()) {
    if (shard.full_at.size() >= keys_per_shard_) SweepLocked(shard, now, true);
    shard.full_at.emplace(std::string(key), next);
  } else {
    it->second = next;
  }
  d.remaining = (tolerance - (next - now)) / cost;
  d.reset_seconds = CeilSeconds(next - now);
  return d;
}

void RateLimiter::SweepLocked(Shard& shard, int64_t now_ns, bool make_room) const {
  std::erase_if(shard.full_at, [now_ns](const auto& entry) { return entry.second <= now_ns; });
  if (!make_room || shard.full_at.size() < keys_per_shard_) return;
  // Every key is being limited: forget the half nearest to full (they lose
  // the least), so the newcomer is tracked and memory stays bounded.
  std::vector<int64_t> times;
  times.reserve(shard.full_at.size());
  for (const auto& [key, full_at] : shard.full_at) times.push_back(full_at);
  auto middle = times.begin() + static_cast<std::ptrdiff_t>(times.size() / 2);
  std::nth_element(times.begin(), middle, times.end());
  const int64_t threshold = *middle;
  std::erase_if(shard.full_at, [threshold](const auto& entry) { return entry.second <= threshold; });
}

size_t RateLimiter::size() const {
  size_t total = 0;
  for (size_t i = 0; i < std::max<size_t>(1, options_.shards); ++i) {
    std::lock_guard lock(shards_[i].mu);
    total += shards_[i].full_at.size();
  }
  return total;
}

std::string RateLimitKey(std::string_view address) {
  if (address.find(':') == std::string_view::npos) return std::string(address);
  std::string text(address);
  unsigned char bytes[16];
  if (inet_pton(AF_INET6, text.c_str(), bytes) != 1) return text;
  static constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::equal(bytes, bytes + 12, kMapped)) {
    char v4[INET_ADDRSTRLEN];
    if (inet_ntop(AF_INET, bytes + 12, v4, sizeof v4) != nullptr) return v4;
    return text;
  }
  char prefix[48];
  std::snprintf(prefix, sizeof prefix, "%x:%x:%x:%x::/64", (bytes[0] << 8) | bytes[1], (bytes[2] << 8) | bytes[3],
                (bytes[4] << 8) | bytes[5], (bytes[6] << 8) | bytes[7]);
  return prefix;
}

bool IsLoopbackAddress(std::string_view address) {
  std::string text(address);
  unsigned char bytes[16];
  if (inet_pton(AF_INET, text.c_str(), bytes) == 1) return bytes[0] == 127;
  if (inet_pton(AF_INET6, text.c_str(), bytes) != 1) return false;
  static constexpr unsigned char kLoopback[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  static constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::equal(bytes, bytes + 16, kLoopback)) return true;
  return std::equal(bytes, bytes + 12, kMapped) && bytes[12] == 127;
}

void SetRateLimitHeaders(HttpResponse& response, const RateLimiter::Decision& decision) {
  response.set_header("RateLimit-Limit", std::to_string(decision.limit));
  response.set_header("RateLimit-Remaining", std::to_string(decision.remaining));
  response.set_header("RateLimit-Reset", std::to_string(decision.reset_seconds));
}

HttpResponse RateLimitedResponse(const RateLimiter::Decision& decision, std::string_view message) {
  HttpResponse r = HttpResponse::ErrorBody(429, "rate_limited", message);
  r.set_header("Retry-After", std::to_string(decision.retry_after_seconds));
  SetRateLimitHeaders(r, decision);
  r.set_header("Cache-Control", "no-store");
  return r;
}

}  // namespace hbf
