// Dispatcher: handler threads shared fairly across keys (henvs).
#include "http/dispatcher.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

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

TEST(Dispatcher, OneKeyNeverTakesMoreThanItsShare) {
  Dispatcher d(DispatcherOptions{4, 2, 10s});
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

TEST(Dispatcher, JobsWaitingTooLongAreExpiredNotRun) {
  Dispatcher d(DispatcherOptions{2, 1, 100ms});
  Gate gate;
  std::atomic<int> ran{0};
  std::atomic<int> expired{0};
  d.Submit("k", std::make_unique<FnJob>([&] { gate.Wait(); ++ran; }, [&] { ++expired; }));
  for (int i = 0; i < 3; ++i) d.Submit("k", std::make_unique<FnJob>([&] { ++ran; }, [&] { ++expired; }));
  EXPECT_TRUE(WaitUntil([&] { return expired.load() == 3; }));
  gate.Open();
  EXPECT_TRUE(WaitUntil([&] { return ran.load() == 1; }));
  EXPECT_EQ(expired.load(), 3);
}

TEST(Dispatcher, KeysTakeTurns) {
  // One thread: the order jobs run in shows the round robin.
  Dispatcher d(DispatcherOptions{1, 1, 10s});
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
  EXPECT_EQ(order, "ababab");
}

TEST(Dispatcher, StoppingExpiresWhatWaitsAndLaterSubmitsToo) {
  std::atomic<int> expired{0};
  Gate gate;
  {
    Dispatcher d(DispatcherOptions{1, 1, 10s});
    d.Submit("k", std::make_unique<FnJob>([&] { gate.Wait(); }, [] {}));
    d.Submit("k", std::make_unique<FnJob>([] {}, [&] { ++expired; }));
    std::thread stopper([&] { d.Stop(); });
    std::this_thread::sleep_for(50ms);
    gate.Open();
    stopper.join();
    EXPECT_EQ(expired.load(), 1);
    d.Submit("k", std::make_unique<FnJob>([] {}, [&] { ++expired; }));
    EXPECT_EQ(expired.load(), 2);
  }
}

TEST(Dispatcher, AThrowingJobDoesNotKillItsThread) {
  Dispatcher d(DispatcherOptions{1, 1, 10s});
  std::atomic<bool> after{false};
  d.Submit("k", std::make_unique<FnJob>([] { throw std::runtime_error("boom"); }, [] {}));
  d.Submit("k", std::make_unique<FnJob>([&] { after = true; }, [] {}));
  EXPECT_TRUE(WaitUntil([&] { return after.load(); }));
}

}  // namespace
}  // namespace hbf
