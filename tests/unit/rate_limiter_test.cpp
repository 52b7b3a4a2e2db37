// RateLimiter: the bucket arithmetic against a fake clock, eviction of idle
// keys, the cap on tracked keys, address keys, and the 429's shape.
#include "http/rate_limiter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "core/json.h"

namespace hbf {
namespace {

using namespace std::chrono_literals;
using Rate = RateLimiter::Rate;

// A steady clock the test moves by hand.
struct FakeClock {
  RateLimiter::Clock::time_point now{std::chrono::hours(1000)};
  std::function<RateLimiter::Clock::time_point()> fn() {
    return [this] { return now; };
  }
};

TEST(RateLimiterTest, AFullBucketGivesItsBurstThenRefuses) {
  FakeClock clock;
  RateLimiter limiter({}, clock.fn());
  const Rate rate = Rate::PerSecond(2, 5);  // one request every 500 ms, five at once
  for (int i = 0; i < 5; ++i) {
    RateLimiter::Decision d = limiter.Take("1.2.3.4", rate);
    ASSERT_TRUE(d.allowed) << i;
    EXPECT_EQ(d.limit, 5);
    EXPECT_EQ(d.remaining, 4 - i);
    // Full again once every request taken so far has been paid back.
    EXPECT_EQ(d.reset_seconds, (500 * (i + 1) + 999) / 1000) << i;
  }
  RateLimiter::Decision refused = limiter.Take("1.2.3.4", rate);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.remaining, 0);
  EXPECT_EQ(refused.limit, 5);
  EXPECT_EQ(refused.retry_after_seconds, 1) << "500 ms, rounded up";
  EXPECT_EQ(refused.reset_seconds, 3) << "2.5 s until full, rounded up";
}

TEST(RateLimiterTest, TheBucketRefillsAtTheRateAndARefusalCostsNothing) {
  FakeClock clock;
  RateLimiter limiter({}, clock.fn());
  const Rate rate = Rate::PerSecond(10, 2);  // 100 ms a request
  ASSERT_TRUE(limiter.Take("k", rate).allowed);
  ASSERT_TRUE(limiter.Take("k", rate).allowed);
  // Refused many times: still exactly one request back after 100 ms.
  for (int i = 0; i < 50; ++i) ASSERT_FALSE(limiter.Take("k", rate).allowed);
  clock.now += 99ms;
  EXPECT_FALSE(limiter.Take("k", rate).allowed);
  clock.now += 1ms;
  RateLimiter::Decision d = limiter.Take("k", rate);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.remaining, 0);
  EXPECT_FALSE(limiter.Take("k", rate).allowed);
  // A long pause refills to the burst, never beyond it.
  clock.now += 1h;
  EXPECT_TRUE(limiter.Take("k", rate).allowed);
  EXPECT_TRUE(limiter.Take("k", rate).allowed);
  EXPECT_FALSE(limiter.Take("k", rate).allowed);
}

TEST(RateLimiterTest, RetryAfterIsRoundedUpToWholeSeconds) {
  FakeClock clock;
  RateLimiter limiter({}, clock.fn());
  const Rate slow{2, 3s, 1};  // 1.5 s a request
  ASSERT_TRUE(limiter.Take("k", slow).allowed);
  RateLimiter::Decision d = limiter.Take("k", slow);
  ASSERT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after_seconds, 2);
  clock.now += 1100ms;
  d = limiter.Take("k", slow);
  ASSERT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after_seconds, 1) << "0.4 s left";
  clock.now += 400ms;
  EXPECT_TRUE(limiter.Take("k", slow).allowed);
}

TEST(RateLimiterTest, AnHourlyBucket) {
  FakeClock clock;
  RateLimiter limiter({}, clock.fn());
  const Rate rate = Rate::PerHour(3, 3);  // one every 20 minutes
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(limiter.Take("10.0.0.1", rate).allowed) << i;
  RateLimiter::Decision d = limiter.Take("10.0.0.1", rate);
  ASSERT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after_seconds, 20 * 60);
  EXPECT_EQ(d.reset_seconds, 60 * 60);
  clock.now += 20min;
  EXPECT_TRUE(limiter.Take("10.0.0.1", rate).allowed);
  EXPECT_FALSE(limiter.Take("10.0.0.1", rate).allowed);
}

TEST(RateLimiterTest, KeysAreIndependent) {
  FakeClock clock;
  RateLimiter limiter({}, clock.fn());
  const Rate rate = Rate::PerSecond(1, 1);
  EXPECT_TRUE(limiter.Take("a", rate).allowed);
  EXPECT_FALSE(limiter.Take("a", rate).allowed);
  EXPECT_TRUE(limiter.Take("b", rate).allowed);
  // A key's rate is given per call: a henv whose owner raised its limit
  // is judged by the new one at once.
  EXPECT_TRUE(limiter.Take("a", Rate::PerSecond(1, 3)).allowed);
}

TEST(RateLimiterTest, IdleKeysAreSweptAway) {
  FakeClock clock;
  RateLimiter limiter({.max_keys = 100000, .shards = 4, .sweep_interval = 10s}, clock.fn());
  const Rate rate = Rate::PerSecond(10, 20);
  for (int i = 0; i < 500; ++i) ASSERT_TRUE(limiter.Take("10.1." + std::to_string(i), rate).allowed);
  EXPECT_EQ(limiter.size(), 500u);
  // Their buckets are full again after 100 ms; a sweep runs at most every
  // 10 s per shard, on the next request that lands in it.
  clock.now += 11s;
  for (int i = 0; i < 64; ++i) limiter.Take("fresh" + std::to_string(i), rate);
  EXPECT_EQ(limiter.size(), 64u) << "only the new keys are left";
}

TEST(RateLimiterTest, TrackedKeysAreCappedAndNewcomersAreNeverRefusedForIt) {
  FakeClock clock;
  RateLimiter limiter({.max_keys = 64, .shards = 4, .sweep_interval = 1h}, clock.fn());
  // A key stays tracked for an hour after its request: every key is being
  // limited, so only the cap can make room.
  const Rate rate = Rate::PerHour(1, 1);
  for (int i = 0; i < 5000; ++i) {
    const std::string key = "2001:db8:" + std::to_string(i) + "::/64";
    ASSERT_TRUE(limiter.Take(key, rate).allowed) << i;
    ASSERT_LE(limiter.size(), 64u) << i;
    clock.now += 1ms;
  }
  // The most recent keys are still limited: eviction drops the oldest.
  EXPECT_FALSE(limiter.Take("2001:db8:4999::/64", rate).allowed);
}

TEST(RateLimiterTest, ConcurrentTakesNeverGiveMoreThanTheBurst) {
  FakeClock clock;  // frozen: nothing refills
  RateLimiter limiter({}, clock.fn());
  const Rate rate = Rate::PerSecond(1, 1000);
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) {
        if (limiter.Take("shared", rate).allowed) ++allowed;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(allowed.load(), 1000);
}

TEST(RateLimitKeyTest, AddressesAndPrefixes) {
  EXPECT_EQ(RateLimitKey("203.0.113.7"), "203.0.113.7");
  EXPECT_EQ(RateLimitKey("::ffff:203.0.113.7"), "203.0.113.7") << "mapped IPv4 is the IPv4 address";
  // One /64, whatever the interface identifier.
  EXPECT_EQ(RateLimitKey("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
  EXPECT_EQ(RateLimitKey("2001:DB8:1:2::ffff"), "2001:db8:1:2::/64");
  EXPECT_NE(RateLimitKey("2001:db8:1:3::1"), RateLimitKey("2001:db8:1:2::1"));
  EXPECT_EQ(RateLimitKey("not an address"), "not an address");
}

TEST(RateLimitKeyTest, Loopback) {
  for (const char* yes : {"127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"}) {
    EXPECT_TRUE(IsLoopbackAddress(yes)) << yes;
  }
  for (const char* no : {"10.0.0.1", "128.0.0.1", "::2", "::ffff:10.0.0.1", "2001:db8::1", "", "localhost"}) {
    EXPECT_FALSE(IsLoopbackAddress(no)) << no;
  }
}

TEST(RateLimitResponseTest, TheRefusalCarriesRetryAfterAndRateLimitHeaders) {
  RateLimiter::Decision d;
  d.allowed = false;
  d.limit = 200;
  d.remaining = 0;
  d.reset_seconds = 2;
  d.retry_after_seconds = 1;
  HttpResponse r = RateLimitedResponse(d, "too many requests");
  EXPECT_EQ(r.status, 429);
  ASSERT_NE(r.header("retry-after"), nullptr);
  EXPECT_EQ(*r.header("retry-after"), "1");
  EXPECT_EQ(*r.header("RateLimit-Limit"), "200");
  EXPECT_EQ(*r.header("RateLimit-Remaining"), "0");
  EXPECT_EQ(*r.header("RateLimit-Reset"), "2");
  auto body = Json::Parse(r.body);
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(body->find("error")->find("code")->as_string(), "rate_limited");
  EXPECT_EQ(body->find("error")->find("message")->as_string(), "too many requests");
}

}  // namespace
}  // namespace hbf
