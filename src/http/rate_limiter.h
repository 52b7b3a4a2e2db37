// Request rate limiting: token buckets per key (a client address, a henv,
// an address's signups), and the HTTP shape of their answers.
//
// Each key's bucket holds at most `burst` requests and refills at
// `tokens` per `period`. It is kept as one number, its "theoretical arrival
// time" (GCRA, the generic cell rate algorithm, which is a token bucket
// stated in time): the moment the bucket will be full again. A request is
// allowed when adding its cost (period / tokens) leaves that moment at most
// `burst` costs ahead of now; a refused request changes nothing. Integer
// nanoseconds throughout, so the arithmetic is exact and testable with a
// fake clock.
//
// Memory is bounded: a key whose bucket is full again carries no
// information (it behaves exactly as an absent key), so such keys are
// dropped by a sweep of their shard at most every `sweep_interval`, and
// before a shard would grow past max_keys / shards. If a shard is still
// full of keys that are all being limited (a flood from more addresses than
// the cap), the half nearest to full are forgotten: they start again with a
// full bucket. A flood of addresses can thus at worst give some of its own
// or others' buckets back their burst; it can neither grow memory nor get a
// newcomer refused.
//
// Thread safety: Take() may be called from any thread (I/O loops, handler
// threads). Keys are spread over `shards` mutexes by hash; each is held for a
// hash lookup and a few additions (a sweep: one pass over that shard), and
// nothing else is done under it, so the limiter is safe to use on an I/O loop.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "http/http_types.h"

namespace hbf {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  struct Options {
    size_t max_keys = 100000;  // keys tracked at most, all shards together (~100 bytes each)
    size_t shards = 16;
    std::chrono::nanoseconds sweep_interval = std::chrono::seconds(10);
  };

  // `tokens` requests per `period`, at most `burst` at once.
  // REQUIRES: tokens >= 1, burst >= 1, period > 0, burst * period / tokens
  // fits in int64 nanoseconds (≈ 292 years).
  struct Rate {
    int64_t tokens = 1;
    std::chrono::nanoseconds period = std::chrono::seconds(1);
    int64_t burst = 1;

    static Rate PerSecond(int64_t n, int64_t burst) { return {n, std::chrono::seconds(1), burst}; }
    static Rate PerHour(int64_t n, int64_t burst) { return {n, std::chrono::hours(1), burst}; }
  };

  // What one request was told. Seconds are rounded up.
  struct Decision {
    bool allowed = true;
    int64_t limit = 0;                // the burst: requests allowed at once
    int64_t remaining = 0;            // whole requests still allowed right now (after this one)
    int64_t reset_seconds = 0;        // until the bucket is full again
    int64_t retry_after_seconds = 0;  // when refused: until one request is allowed (>= 1)
  };

  explicit RateLimiter(
      Options options, std::function<Clock::time_point()> now = [] { return Clock::now(); });
  RateLimiter() : RateLimiter(Options{}) {}
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  // Takes one request from `key`'s bucket, if it has one to give.
  Decision Take(std::string_view key, const Rate& rate);

  // Keys tracked now, all shards together (tests; takes every shard's lock).
  size_t size() const;

 private:
  // Looks keys up by string_view: no copy of the key on the hot path.
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(std::string_view key) const noexcept { return std::hash<std::string_view>{}(key); }
  };
  struct Shard {
    mutable std::mutex mu;
    // key -> ns (steady clock) when its bucket is full again; guarded by mu.
    std::unordered_map<std::string, int64_t, KeyHash, std::equal_to<>> full_at;
    int64_t next_sweep_ns = 0;  // guarded by mu
  };
  // Drops the keys whose bucket is full at `now_ns`; if the shard is still
  // at its cap, the half with the earliest full_at. REQUIRES: shard.mu held.
  void SweepLocked(Shard& shard, int64_t now_ns, bool make_room) const;

  const Options options_;
  const size_t keys_per_shard_;
  const std::function<Clock::time_point()> now_;
  std::unique_ptr<Shard[]> shards_;
};

// The key an address is limited under: an IPv4 address as itself (an
// IPv4-mapped IPv6 one too), an IPv6 address by its /64 (one host or home
// network usually holds a whole /64 and could otherwise take a fresh bucket
// per address). Anything else is used as given.
std::string RateLimitKey(std::string_view address);

// True for 127.0.0.0/8, ::1 and IPv4-mapped loopback.
bool IsLoopbackAddress(std::string_view address);

// RateLimit-Limit, -Remaining and -Reset (draft-ietf-httpapi-ratelimit-headers)
// on `response`, replacing any of those names it had.
void SetRateLimitHeaders(HttpResponse& response, const RateLimiter::Decision& decision);

// 429 {"error":{"code":"rate_limited","message":...}} with Retry-After and
// the RateLimit-* headers of a refused `decision`.
HttpResponse RateLimitedResponse(const RateLimiter::Decision& decision, std::string_view message);

}  // namespace hbf
