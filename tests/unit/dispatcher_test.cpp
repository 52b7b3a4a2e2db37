// Dispatcher: handler threads shared fairly across keys (henvs).
#include "http/dispatcher.h"

#include "core/parker.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace hbf {
namespace {

using namespace std::chrono_literals;

class FnJob : public DispatchJob {
 public:
  FnJob(std::function<void()> run, std::function<void()> expire) : run_(std::move(run)), expire_(std::move(expire)) {}
  void Run() override { run_(); }
  void Expire() override { expire_(); }

 private:
  std::function<void()> run_;
  std::function<void()> expire_;
};

// A gate the test opens: jobs block on it, holding their thread.
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  void Wait() {
    std::unique_lock lock(mu);
    cv.wait_for(lock, 10s, [&] { return open; });
  }
  void Open() {
    {
      std::lock_guard lock(mu);
      open = true;
    }
    cv.notify_all();
  }
};

bool WaitUntil(const std::function<bool()>& done) {
  for (int i = 0; i < 1000 && !done(); ++i) std::this_thread::sleep_for(5ms);
  return done();
}

// Every dispatcher test runs with one key shard (one line for all keys)
// and with several (keys spread over shards by hash).
class DispatcherTest : public ::testing::TestWithParam<int> {
 protected:
  DispatcherOptions Options(int threads, int per_key_limit, std::chrono::milliseconds queue_timeout,
                            int running_target = 0) const {
    DispatcherOptions o{threads, per_key_limit, queue_timeout, running_target};
    o.shards = GetParam();
    return o;
  }
};

TEST_P(DispatcherTest, OneKeyNeverTakesMoreThanItsShare) {
  Dispatcher d(Options(4, 2, 10s));
  Gate gate;
  std::atomic<int> running{0};
  std::atomic<int> peak{0};
  std::atomic<int> finished{0};
  for (int i = 0; i < 10; ++i) {
    d.Submit("busy", std::make_unique<FnJob>(
                         [&] {
                           int now = ++running;
                           int seen = peak.load();
                           while (now > seen && !peak.compare_exchange_weak(seen, now)) {
                           }
                           gate.Wait();
                           --running;
                           ++finished;
                         },
                         [] {}));
  }
  ASSERT_TRUE(WaitUntil([&] { return running.load() == 2; }));
  // Another key runs at once on the threads left.
  std::atomic<bool> other{false};
  d.Submit("calm", std::make_unique<FnJob>([&] { other = true; }, [] {}));
  EXPECT_TRUE(WaitUntil([&] { return other.load(); }));
  EXPECT_EQ(d.queued(), 8);
  gate.Open();
  ASSERT_TRUE(WaitUntil([&] { return finished.load() == 10; }));
  EXPECT_EQ(peak.load(), 2);
}

TEST_P(DispatcherTest, JobsWaitingTooLongAreExpiredNotRun) {
  Dispatcher d(Options(2, 1, 500ms));
  Gate gate;
  std::atomic<int> ran{0};
  std::atomic<int> expired{0};
  std::atomic<int> held{0};
  // The first holds the key's one place before the others queue behind it
  // (queued together, a loaded machine could leave all four waiting past
  // the timeout).
  d.Submit("k", std::make_unique<FnJob>([&] { ++held; gate.Wait(); ++ran; }, [&] { ++expired; }));
  ASSERT_TRUE(WaitUntil([&] { return held.load() == 1; }));
  for (int i = 0; i < 3; ++i) d.Submit("k", std::make_unique<FnJob>([&] { ++ran; }, [&] { ++expired; }));
  EXPECT_TRUE(WaitUntil([&] { return expired.load() == 3; }));
  gate.Open();
  EXPECT_TRUE(WaitUntil([&] { return ran.load() == 1; }));
  EXPECT_EQ(expired.load(), 3);
}

TEST_P(DispatcherTest, KeysTakeTurns) {
  // One thread: the order jobs run in shows the round robin.
  Dispatcher d(Options(1, 1, 10s));
  Gate gate;
  std::mutex mu;
  std::string order;
  d.Submit("hold", std::make_unique<FnJob>([&] { gate.Wait(); }, [] {}));
  for (int i = 0; i < 3; ++i) {
    d.Submit("a", std::make_unique<FnJob>([&] { std::lock_guard l(mu); order += 'a'; }, [] {}));
  }
  for (int i = 0; i < 3; ++i) {
    d.Submit("b", std::make_unique<FnJob>([&] { std::lock_guard l(mu); order += 'b'; }, [] {}));
  }
  gate.Open();
  ASSERT_TRUE(WaitUntil([&] { std::lock_guard l(mu); return order.size() == 6; }));
  // (in one shard or two: the shards' lines make one line in the order
  // the keys were listed)
  EXPECT_EQ(order, "ababab");
}

TEST_P(DispatcherTest, ManyKeysTakeTurnsAndNoneRunsTwiceInARowWhileAnotherWaits) {
  // One thread, eight keys with four jobs each, queued while it is held:
  // every key's jobs run, in turns in the order the keys were listed, over
  // one shard or several.
  constexpr int kKeys = 8;
  constexpr int kEach = 4;
  Dispatcher d(Options(1, 1, 10s));
  Gate gate;
  std::mutex mu;
  std::vector<int> order;
  d.Submit("hold", std::make_unique<FnJob>([&] { gate.Wait(); }, [] {}));
  for (int round = 0; round < kEach; ++round) {
    for (int k = 0; k < kKeys; ++k) {
      d.Submit("key" + std::to_string(k), std::make_unique<FnJob>(
                                              [&, k] {
                                                std::lock_guard l(mu);
                                                order.push_back(k);
                                              },
                                              [] {}));
    }
  }
  gate.Open();
  ASSERT_TRUE(WaitUntil([&] { std::lock_guard l(mu); return order.size() == kKeys * kEach; }));
  std::vector<int> left(kKeys, kEach);
  for (size_t i = 0; i < order.size(); ++i) {
    --left[static_cast<size_t>(order[i])];
    if (i == 0 || order[i] != order[i - 1]) continue;
    int others = 0;
    for (int k = 0; k < kKeys; ++k) {
      if (k != order[i]) others += left[static_cast<size_t>(k)];
    }
    EXPECT_EQ(others, 0) << "key" << order[i] << " ran twice in a row at " << i << " while others waited";
  }
  for (int k = 0; k < kKeys; ++k) EXPECT_EQ(left[static_cast<size_t>(k)], 0);
  for (size_t i = 0; i < order.size(); ++i) EXPECT_EQ(order[i], static_cast<int>(i % kKeys)) << "at " << i;
}

TEST_P(DispatcherTest, StoppingExpiresWhatWaitsAndLaterSubmitsToo) {
  std::atomic<int> expired{0};
  Gate gate;
  {
    Dispatcher d(Options(1, 1, 10s));
    d.Submit("k", std::make_unique<FnJob>([&] { gate.Wait(); }, [] {}));
    d.Submit("k", std::make_unique<FnJob>([] {}, [&] { ++expired; }));
    std::thread stopper([&] { d.Stop(); });
    // Stopping has begun once a job submitted now is expired at once
    // (the one thread is held, so nothing else expires or runs a probe).
    std::atomic<int> probes_expired{0};
    ASSERT_TRUE(WaitUntil([&] {
      const int before = probes_expired.load();
      d.Submit("probe", std::make_unique<FnJob>([] {}, [&] { ++probes_expired; }));
      return probes_expired.load() > before;
    }));
    gate.Open();
    stopper.join();
    EXPECT_EQ(expired.load(), 1);
    d.Submit("k", std::make_unique<FnJob>([] {}, [&] { ++expired; }));
    EXPECT_EQ(expired.load(), 2);
  }
}

TEST_P(DispatcherTest, JobsBehindACapStillExpireWhenTheIdleThreadsAreTakenForOtherWork) {
  // Three threads, one job per key at once. "k" holds a thread; two more of
  // its jobs wait behind the cap. Then other keys take the idle threads,
  // the one parked as the sweeper among them: whoever is left idle (or
  // becomes idle) must still expire k's waiting jobs.
  Dispatcher d(Options(3, 1, 100ms));
  Gate gate;
  std::atomic<int> expired{0};
  std::atomic<int> held{0};
  d.Submit("k", std::make_unique<FnJob>([&] { ++held; gate.Wait(); }, [] {}));
  ASSERT_TRUE(WaitUntil([&] { return held.load() == 1; }));
  for (int i = 0; i < 2; ++i) d.Submit("k", std::make_unique<FnJob>([] {}, [&] { ++expired; }));
  d.Submit("x", std::make_unique<FnJob>([&] { ++held; gate.Wait(); }, [] {}));
  ASSERT_TRUE(WaitUntil([&] { return held.load() == 2; }));
  EXPECT_TRUE(WaitUntil([&] { return expired.load() == 2; }));
  gate.Open();
}

// Jobs of more keys than the dispatcher keeps idle state for, all waiting
// while every thread is held: each expires (the sweep walks the keys with
// jobs waiting, dropping them from that list as they empty), none runs;
// the same keys' next jobs all run.
TEST_P(DispatcherTest, JobsOfManyKeysExpireAndTheKeysNextJobsRun) {
  constexpr int kKeys = 1100;  // (past the 1,024 idle keys kept)
  Dispatcher d(Options(2, 1, 2s));
  Gate gate;
  std::atomic<int> held{0};
  std::atomic<int> ran{0};
  std::atomic<int> expired{0};
  for (const char* key : {"h1", "h2"}) {
    d.Submit(key, std::make_unique<FnJob>([&] { ++held; gate.Wait(); }, [] {}));
  }
  ASSERT_TRUE(WaitUntil([&] { return held.load() == 2; }));
  for (int i = 0; i < kKeys; ++i) {
    d.Submit("k" + std::to_string(i), std::make_unique<FnJob>([&] { ++ran; }, [&] { ++expired; }));
  }
  std::this_thread::sleep_for(2200ms);  // (past the queue timeout)
  gate.Open();
  ASSERT_TRUE(WaitUntil([&] { return expired.load() == kKeys; }));
  EXPECT_EQ(ran.load(), 0);
  EXPECT_EQ(d.queued(), 0);
  for (int i = 0; i < kKeys; ++i) {
    d.Submit("k" + std::to_string(i), std::make_unique<FnJob>([&] { ++ran; }, [&] { ++expired; }));
  }
  ASSERT_TRUE(WaitUntil([&] { return ran.load() == kKeys; }));
  EXPECT_EQ(expired.load(), kKeys);
  EXPECT_EQ(d.queued(), 0);
}

// Submitters on several threads over many keys (as I/O loops over many
// henvs): nothing lost, nothing run twice, nothing expired.
void EveryJobRunsOnce(const DispatcherOptions& options) {
  constexpr int kSubmitters = 4;
  constexpr int kPerSubmitter = 500;
  Dispatcher d(options);
  std::vector<std::atomic<int>> runs(kSubmitters * kPerSubmitter);
  std::atomic<int> done{0};
  std::atomic<int> expired{0};
  std::vector<std::thread> submitters;
  for (int s = 0; s < kSubmitters; ++s) {
    submitters.emplace_back([&, s] {
      for (int i = 0; i < kPerSubmitter; ++i) {
        const int id = s * kPerSubmitter + i;
        d.Submit("henv" + std::to_string(id % 300), std::make_unique<FnJob>(
                                                         [&, id] {
                                                           ++runs[static_cast<size_t>(id)];
                                                           ++done;
                                                         },
                                                         [&] { ++expired; }));
      }
    });
  }
  for (auto& t : submitters) t.join();
  ASSERT_TRUE(WaitUntil([&] { return done.load() == kSubmitters * kPerSubmitter; }));
  EXPECT_EQ(expired.load(), 0);
  for (const auto& r : runs) ASSERT_EQ(r.load(), 1);
  EXPECT_EQ(d.queued(), 0);
}

TEST_P(DispatcherTest, EveryJobFromManySubmittersRunsExactlyOnce) { EveryJobRunsOnce(Options(4, 2, 30s, 0)); }

// Past the running target a Submit() wakes no thread: the jobs are taken by
// the running ones as they finish, and none may be stranded.
TEST_P(DispatcherTest, EveryJobRunsExactlyOnceWithOneThreadRunningAtATime) { EveryJobRunsOnce(Options(4, 2, 30s, 1)); }
TEST_P(DispatcherTest, EveryJobRunsExactlyOnceWithTwoThreadsRunningAtATime) { EveryJobRunsOnce(Options(4, 2, 30s, 2)); }

TEST_P(DispatcherTest, AStuckThreadDoesNotHoldBackWorkPastTheRunningTarget) {
  // One thread may run at a time and it is stuck (a script spinning, a
  // write waiting for a lock): another henv's job is still run, by an idle
  // thread the sweeper's look (every kRescuePeriod) sends, and so is the
  // next one behind it, while the first stays stuck.
  Dispatcher d(Options(4, 2, 30s, 1));
  Gate gate;
  std::atomic<int> held{0};
  d.Submit("spinning", std::make_unique<FnJob>([&] { ++held; gate.Wait(); }, [] {}));
  ASSERT_TRUE(WaitUntil([&] { return held.load() == 1; }));
  std::atomic<int> served{0};
  for (int i = 0; i < 2; ++i) d.Submit("calm", std::make_unique<FnJob>([&] { ++served; }, [] {}));
  EXPECT_TRUE(WaitUntil([&] { return served.load() == 2; }));
  EXPECT_EQ(held.load(), 1);
  gate.Open();
}

TEST_P(DispatcherTest, AJobIsStillRescuedAfterTheSweeperWentToRescueAnother) {
  // One thread may run at a time. Two jobs get stuck, the second taken by
  // the sweeper's own rescue while nothing else waited: no thread was left
  // looking. A job submitted then is still run while both stay stuck. It
  // used to wait for one of them to end: a henv's first request behind
  // another henv's spinning scripts waited 2.4 s, their deadline, whenever
  // the machine was loaded enough for the spinners to start one by one.
  Dispatcher d(Options(4, 2, 30s, 1));
  Gate gate;
  std::atomic<int> held{0};
  d.Submit("stuck-a", std::make_unique<FnJob>([&] { ++held; gate.Wait(); }, [] {}));
  ASSERT_TRUE(WaitUntil([&] { return held.load() == 1; }));
  d.Submit("stuck-b", std::make_unique<FnJob>([&] { ++held; gate.Wait(); }, [] {}));
  ASSERT_TRUE(WaitUntil([&] { return held.load() == 2; }));
  std::atomic<int> served{0};
  d.Submit("calm", std::make_unique<FnJob>([&] { ++served; }, [] {}));
  EXPECT_TRUE(WaitUntil([&] { return served.load() == 1; }));
  EXPECT_EQ(held.load(), 2);
  gate.Open();
}

TEST_P(DispatcherTest, JobsBehindACapStillExpireAfterTheSweeperWentToRescue) {
  // One thread may run at a time and it is stuck; two jobs wait behind its
  // key's cap. Another key's job is then rescued by the sweeper, and gets
  // stuck too: a thread must still be left looking, so the two waiting
  // jobs expire on time rather than when a stuck one ends.
  Dispatcher d(Options(4, 1, 300ms, 1));
  Gate gate;
  std::atomic<int> held{0};
  std::atomic<int> expired{0};
  d.Submit("stuck-a", std::make_unique<FnJob>([&] { ++held; gate.Wait(); }, [] {}));
  ASSERT_TRUE(WaitUntil([&] { return held.load() == 1; }));
  for (int i = 0; i < 2; ++i) d.Submit("stuck-a", std::make_unique<FnJob>([] {}, [&] { ++expired; }));
  d.Submit("stuck-b", std::make_unique<FnJob>([&] { ++held; gate.Wait(); }, [] {}));
  ASSERT_TRUE(WaitUntil([&] { return held.load() == 2; }));
  EXPECT_TRUE(WaitUntil([&] { return expired.load() == 2; }));
  gate.Open();
}

TEST_P(DispatcherTest, ARescueAddsOneRunningThreadNotEveryIdleOne) {
  // One thread may run at a time and it is stuck: the sweeper's look sends
  // one more thread, which then runs the queued jobs one after another.
  // The threads woken meanwhile to be the next sweeper (jobs still wait)
  // must park as sweepers, not take jobs too: each would then wake
  // another, until every thread ran at once on cores the target says are
  // busy (one core's 8 handler threads time-sliced: tens of ms a request).
  constexpr int kThreads = 8;
  constexpr int kJobs = 400;
  Dispatcher d(Options(kThreads, 1000, 30s, 1));
  Gate gate;
  std::atomic<int> held{0};
  d.Submit("stuck", std::make_unique<FnJob>([&] { ++held; gate.Wait(); }, [] {}));
  ASSERT_TRUE(WaitUntil([&] { return held.load() == 1; }));
  std::atomic<int> running{0};
  std::atomic<int> most{0};
  std::atomic<int> served{0};
  for (int i = 0; i < kJobs; ++i) {
    // Each job a key of its own (no per-key cap holds any back), and short:
    // it yields once, so a thread woken meanwhile finds it still running.
    d.Submit("k" + std::to_string(i), std::make_unique<FnJob>(
                                          [&] {
                                            const int now = ++running;
                                            int seen = most.load();
                                            while (now > seen && !most.compare_exchange_weak(seen, now)) {
                                            }
                                            std::this_thread::sleep_for(50us);
                                            --running;
                                            ++served;
                                          },
                                          [] {}));
  }
  EXPECT_TRUE(WaitUntil([&] { return served.load() == kJobs; }));
  // The rescuer, and one more each time every running job was preempted
  // for longer than a look's period (1 ms: a loaded test machine showed
  // three at once); never all of them, which is what every woken thread
  // taking a job made.
  EXPECT_LE(most.load(), kThreads / 2);
  EXPECT_EQ(held.load(), 1);
  gate.Open();
}

TEST(Parker, AnUnparkBeforeTheParkIsNotLost) {
  Parker p;
  p.Unpark();
  const auto began = std::chrono::steady_clock::now();
  p.Park(60s);  // returns at once: the wake-up was pending
  EXPECT_LT(std::chrono::steady_clock::now() - began, 30s);
}

TEST(Parker, AParkedThreadIsWokenByUnparkNotByItsTimeout) {
  Parker p;
  std::atomic<bool> go{false};
  std::atomic<bool> woke{false};
  const auto began = std::chrono::steady_clock::now();
  std::thread sleeper([&] {
    // (a wake-up may be spurious: the condition is re-checked)
    while (!go.load()) p.Park(60s);
    woke = true;
  });
  std::this_thread::sleep_for(20ms);
  go = true;
  p.Unpark();
  sleeper.join();
  EXPECT_TRUE(woke.load());
  EXPECT_LT(std::chrono::steady_clock::now() - began, 30s);
}

TEST(Parker, AParkWithATimeoutAndNoUnparkReturns) {
  Parker p;
  const auto began = std::chrono::steady_clock::now();
  p.Park(20ms);
  EXPECT_GE(std::chrono::steady_clock::now() - began, 1ms);
}

TEST_P(DispatcherTest, AThrowingJobDoesNotKillItsThread) {
  Dispatcher d(Options(1, 1, 10s));
  std::atomic<bool> after{false};
  d.Submit("k", std::make_unique<FnJob>([] { throw std::runtime_error("boom"); }, [] {}));
  d.Submit("k", std::make_unique<FnJob>([&] { after = true; }, [] {}));
  EXPECT_TRUE(WaitUntil([&] { return after.load(); }));
}

INSTANTIATE_TEST_SUITE_P(Shards, DispatcherTest, ::testing::Values(1, 16),
                         [](const ::testing::TestParamInfo<int>& shards) {
                           return shards.param == 1 ? std::string("OneShard") : "Shards" + std::to_string(shards.param);
                         });

}  // namespace
}  // namespace hbf
