// Specification of HenvLogHub (src/henv/henv_log): each henv's own log on
// disk and in memory, its numbering, rotation, rate cap and long-polls.
#include "henv/henv_log.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <future>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "storage_test_util.h"

namespace hbf {
namespace {

using namespace std::chrono_literals;
using testing_storage::PathExists;
using testing_storage::ReadFileBytes;
using testing_storage::TempDir;

constexpr const char* kHash = "abcd1234";

LogEntry Entry(std::string message, LogLevel level = LogLevel::kInfo, LogSource source = LogSource::kConsole) {
  LogEntry e;
  e.message = std::move(message);
  e.level = level;
  e.source = source;
  return e;
}

std::vector<int64_t> Seqs(const LogPage& page) {
  std::vector<int64_t> out;
  for (const auto& e : page.entries) out.push_back(e.seq);
  return out;
}

std::vector<std::string> Messages(const LogPage& page) {
  std::vector<std::string> out;
  for (const auto& e : page.entries) out.push_back(e.message);
  return out;
}

LogQuery Since(int64_t since, size_t limit = 100, LogLevel level = LogLevel::kDebug) {
  LogQuery q;
  q.since = since;
  q.limit = limit;
  q.min_level = level;
  return q;
}

LogQuery Newest(size_t limit = 100, LogLevel level = LogLevel::kDebug) {
  LogQuery q;
  q.limit = limit;
  q.min_level = level;
  return q;
}

// The lines of a file.
std::vector<std::string> Lines(const std::string& path) {
  std::vector<std::string> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

class HenvLogTest : public ::testing::Test {
 protected:
  void SetUp() override { std::filesystem::create_directory(dir_.path() + "/" + kHash); }

  // Options with a steady clock the test moves (the real one would make the
  // rate cap depend on the machine's speed) and no background sweep.
  HenvLogOptions Options() {
    HenvLogOptions o;
    o.storage_dir = dir_.path();
    o.steady_now = [now = now_] {
      return std::chrono::steady_clock::time_point(std::chrono::nanoseconds(now->load()));
    };
    o.unix_ms = [] { return int64_t{1700000000000}; };
    o.sweep_interval = 1h;
    return o;
  }
  void Advance(std::chrono::nanoseconds d) { now_->fetch_add(d.count()); }
  std::string File(const char* name) const { return dir_.path() + "/" + kHash + "/" + name; }

  TempDir dir_;
  std::shared_ptr<std::atomic<int64_t>> now_ = std::make_shared<std::atomic<int64_t>>(int64_t{3600} * 1000000000);
};

// ------------------------------------------------------------ append & read

TEST_F(HenvLogTest, EntriesReadBackInOrderWithTheirFields) {
  HenvLogHub hub(Options());
  hub.Append(kHash, Entry("hello"));
  LogEntry failure = Entry("boom", LogLevel::kError, LogSource::kError);
  failure.code = "script_error";
  failure.location = "_system/router.js:4:11";
  failure.stack = "Error: boom\n    at <anonymous> (_system/router.js:4:11)";
  failure.method = "GET";
  failure.path = "/fail";
  failure.status = 500;
  failure.duration_ms = 12;
  hub.Append(kHash, failure);

  LogPage page = hub.Read(kHash, Newest());
  ASSERT_EQ(page.entries.size(), 2u);
  EXPECT_EQ(Seqs(page), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(page.next, 2);
  EXPECT_EQ(page.entries[0].message, "hello");
  EXPECT_EQ(page.entries[0].ts_ms, 1700000000000) << "stamped by the hub";
  const LogEntry& e = page.entries[1];
  EXPECT_EQ(e.level, LogLevel::kError);
  EXPECT_EQ(e.source, LogSource::kError);
  EXPECT_EQ(e.code, "script_error");
  EXPECT_EQ(e.location, "_system/router.js:4:11");
  EXPECT_EQ(e.stack, failure.stack);
  EXPECT_EQ(e.method, "GET");
  EXPECT_EQ(e.path, "/fail");
  EXPECT_EQ(e.status, 500);
  EXPECT_EQ(e.duration_ms, 12);

  // One JSON object a line, in the henv's folder.
  auto lines = Lines(File("logs.jsonl"));
  ASSERT_EQ(lines.size(), 2u);
  auto first = Json::Parse(lines[0]);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->dump(), R"({"seq":1,"ts":1700000000000,"level":"info","source":"console","message":"hello"})");
  auto second = Json::Parse(lines[1]);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second->find("stack"), Json(failure.stack));
  EXPECT_EQ(*second->find("duration_ms"), Json(12));
}

TEST_F(HenvLogTest, SinceGivesOnlyNewerEntriesAndNextContinuesFromThere) {
  HenvLogHub hub(Options());
  for (int i = 1; i <= 5; ++i) hub.Append(kHash, Entry("m" + std::to_string(i)));
  LogPage page = hub.Read(kHash, Since(2));
  EXPECT_EQ(Seqs(page), (std::vector<int64_t>{3, 4, 5}));
  EXPECT_EQ(page.next, 5);
  LogPage none = hub.Read(kHash, Since(page.next));
  EXPECT_TRUE(none.entries.empty());
  EXPECT_EQ(none.next, 5);
}

TEST_F(HenvLogTest, LevelKeepsThatLevelAndAbove) {
  HenvLogHub hub(Options());
  hub.Append(kHash, Entry("d", LogLevel::kDebug));
  hub.Append(kHash, Entry("i", LogLevel::kInfo));
  hub.Append(kHash, Entry("w", LogLevel::kWarn));
  hub.Append(kHash, Entry("e", LogLevel::kError));
  hub.Append(kHash, Entry("i2", LogLevel::kInfo));
  LogPage warn = hub.Read(kHash, Since(0, 100, LogLevel::kWarn));
  EXPECT_EQ(Messages(warn), (std::vector<std::string>{"w", "e"}));
  EXPECT_EQ(warn.next, 5) << "the filtered-out entries need not be looked at again";
  EXPECT_EQ(Messages(hub.Read(kHash, Newest(100, LogLevel::kError))), (std::vector<std::string>{"e"}));
  EXPECT_EQ(hub.Read(kHash, Newest(100, LogLevel::kDebug)).entries.size(), 5u);
}

TEST_F(HenvLogTest, LimitTakesTheNewestWithoutSinceAndTheOldestAfterSince) {
  HenvLogHub hub(Options());
  for (int i = 1; i <= 10; ++i) hub.Append(kHash, Entry("m" + std::to_string(i)));
  LogPage newest = hub.Read(kHash, Newest(3));
  EXPECT_EQ(Seqs(newest), (std::vector<int64_t>{8, 9, 10}));
  EXPECT_EQ(newest.next, 10);
  LogPage first = hub.Read(kHash, Since(0, 3));
  EXPECT_EQ(Seqs(first), (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(first.next, 3) << "cut by the limit: continue after the last one returned";
  EXPECT_EQ(Seqs(hub.Read(kHash, Since(first.next, 3))), (std::vector<int64_t>{4, 5, 6}));
}

TEST_F(HenvLogTest, ReadsBeyondTheMemoryTailComeFromTheFiles) {
  HenvLogOptions o = Options();
  o.tail_entries = 4;
  HenvLogHub hub(o);
  for (int i = 1; i <= 20; ++i) {
    hub.Append(kHash, Entry("m" + std::to_string(i), i % 2 ? LogLevel::kInfo : LogLevel::kWarn));
  }
  LogPage all = hub.Read(kHash, Since(0));
  ASSERT_EQ(all.entries.size(), 20u);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(all.entries[static_cast<size_t>(i)].seq, i + 1);
  EXPECT_EQ(Seqs(hub.Read(kHash, Newest(6, LogLevel::kWarn))), (std::vector<int64_t>{10, 12, 14, 16, 18, 20}));
}

TEST_F(HenvLogTest, UnknownOrInvalidHenvsHaveEmptyLogsAndGetNoFiles) {
  HenvLogHub hub(Options());
  hub.Append("../etc", Entry("x"));
  hub.Append("zzzz9999", Entry("x"));  // a valid hash without a folder
  EXPECT_TRUE(hub.Read("../etc", Newest()).entries.empty());
  EXPECT_FALSE(PathExists(dir_.path() + "/zzzz9999")) << "the hub never creates a henv's folder";
  EXPECT_FALSE(PathExists(dir_.path() + "/../etc/logs.jsonl"));
}

TEST_F(HenvLogTest, LongFieldsAreTruncatedOnACharacterBoundary) {
  HenvLogHub hub(Options());
  // Multi-byte characters across the cut: the result must stay UTF-8.
  std::string message;
  while (message.size() < 3 * kMaxMessageBytes) message += "\xC3\xA9";  // é
  LogEntry e = Entry(message);
  e.stack = std::string(5 * kMaxStackBytes, 's');
  hub.Append(kHash, e);
  LogPage page = hub.Read(kHash, Newest());
  ASSERT_EQ(page.entries.size(), 1u);
  const std::string& got = page.entries[0].message;
  EXPECT_LE(got.size(), kMaxMessageBytes);
  EXPECT_GT(got.size(), kMaxMessageBytes - 8);
  EXPECT_TRUE(IsValidUtf8(got));
  EXPECT_EQ(got.substr(got.size() - 3), "\xE2\x80\xA6") << "ends with an ellipsis";
  EXPECT_LE(page.entries[0].stack.size(), kMaxStackBytes);
}

// --------------------------------------------------------- files & restarts

TEST_F(HenvLogTest, TheFileRotatesAtTheCapSoAtMostTwoGenerationsRemain) {
  HenvLogOptions o = Options();
  o.max_file_bytes = 2048;
  o.tail_entries = 8;
  HenvLogHub hub(o);
  const std::string filler(100, 'x');
  for (int i = 1; i <= 200; ++i) hub.Append(kHash, Entry(std::to_string(i) + filler));
  const std::string current = ReadFileBytes(File("logs.jsonl"));
  const std::string rotated = ReadFileBytes(File("logs.1.jsonl"));
  ASSERT_FALSE(rotated.empty()) << "rotated to logs.1.jsonl";
  const size_t line = Lines(File("logs.1.jsonl")).front().size() + 1;
  EXPECT_LE(current.size(), 2048 + line);
  EXPECT_LE(rotated.size(), 2048 + line);
  EXPECT_FALSE(PathExists(File("logs.2.jsonl")));
  // What remains is the newest entries, contiguous, oldest gone.
  LogPage all = hub.Read(kHash, Since(0, 1000));
  ASSERT_FALSE(all.entries.empty());
  EXPECT_EQ(all.entries.back().seq, 200);
  EXPECT_GT(all.entries.front().seq, 1);
  for (size_t i = 1; i < all.entries.size(); ++i) EXPECT_EQ(all.entries[i].seq, all.entries[i - 1].seq + 1);
  EXPECT_GT(all.entries.size(), 8u) << "more than the memory tail: read from both files";
}

TEST_F(HenvLogTest, NumberingGoesOnAfterAReopen) {
  {
    HenvLogHub hub(Options());
    for (int i = 0; i < 3; ++i) hub.Append(kHash, Entry("before"));
  }
  HenvLogHub reopened(Options());
  EXPECT_EQ(Seqs(reopened.Read(kHash, Newest())), (std::vector<int64_t>{1, 2, 3})) << "loaded from the file";
  reopened.Append(kHash, Entry("after"));
  LogPage page = reopened.Read(kHash, Since(3));
  ASSERT_EQ(page.entries.size(), 1u);
  EXPECT_EQ(page.entries[0].seq, 4);
  EXPECT_EQ(page.entries[0].message, "after");
}

TEST_F(HenvLogTest, NumberingGoesOnAfterARotationLeftTheCurrentFileEmpty) {
  {
    std::ofstream rotated(File("logs.1.jsonl"));
    rotated << R"({"seq":41,"ts":1,"level":"info","source":"console","message":"a"})"
            << "\n"
            << R"({"seq":42,"ts":2,"level":"info","source":"console","message":"b"})"
            << "\n";
    std::ofstream current(File("logs.jsonl"));  // empty: the process died right after rotating
  }
  HenvLogHub hub(Options());
  hub.Append(kHash, Entry("c"));
  EXPECT_EQ(Seqs(hub.Read(kHash, Since(0))), (std::vector<int64_t>{41, 42, 43}));
}

TEST_F(HenvLogTest, AReopenedLogStillReadsTheRotatedFile) {
  {
    std::ofstream rotated(File("logs.1.jsonl"));
    for (int seq = 1; seq <= 2; ++seq) {
      rotated << Json::MakeObject({{"seq", seq}, {"ts", 1}, {"level", "info"}, {"source", "console"}, {"message", "r"}})
                     .dump()
              << "\n";
    }
    std::ofstream current(File("logs.jsonl"));
    for (int seq = 3; seq <= 6; ++seq) {
      current << Json::MakeObject({{"seq", seq}, {"ts", 1}, {"level", "info"}, {"source", "console"}, {"message", "c"}})
                     .dump()
              << "\n";
    }
  }
  HenvLogOptions o = Options();
  o.tail_entries = 4;  // exactly what the current file holds
  HenvLogHub hub(o);
  EXPECT_EQ(Seqs(hub.Read(kHash, Since(0))), (std::vector<int64_t>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(Seqs(hub.Read(kHash, Newest(5))), (std::vector<int64_t>{2, 3, 4, 5, 6}));
}

TEST_F(HenvLogTest, ATornLastLineIsSkippedAndTheNextEntryStartsOnItsOwnLine) {
  {
    std::ofstream f(File("logs.jsonl"));
    f << R"({"seq":7,"ts":1,"level":"info","source":"console","message":"whole"})"
      << "\n"
      << R"({"seq":8,"ts":2,"level":"info","sou)";  // the process died mid-write
  }
  HenvLogHub hub(Options());
  hub.Append(kHash, Entry("next"));
  EXPECT_EQ(Messages(hub.Read(kHash, Since(0))), (std::vector<std::string>{"whole", "next"}));
  EXPECT_EQ(hub.Read(kHash, Newest()).entries.back().seq, 8) << "after the last whole entry";
  auto lines = Lines(File("logs.jsonl"));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_TRUE(Json::Parse(lines[2]).ok()) << lines[2];
}

TEST_F(HenvLogTest, ClearRemovesTheEntriesButNotTheNumbering) {
  HenvLogOptions o = Options();
  o.max_file_bytes = 256;
  HenvLogHub hub(o);
  for (int i = 0; i < 10; ++i) hub.Append(kHash, Entry("old entry number " + std::to_string(i)));
  ASSERT_TRUE(PathExists(File("logs.1.jsonl")));
  ASSERT_TRUE(hub.Clear(kHash, "by owner").ok());
  EXPECT_FALSE(PathExists(File("logs.1.jsonl")));
  LogPage page = hub.Read(kHash, Since(0));
  ASSERT_EQ(page.entries.size(), 1u);
  EXPECT_EQ(page.entries[0].seq, 11);
  EXPECT_EQ(page.entries[0].source, LogSource::kSystem);
  EXPECT_EQ(page.entries[0].message, "logs cleared by owner");
  // Also after a restart.
  HenvLogHub reopened(o);
  EXPECT_EQ(Seqs(reopened.Read(kHash, Since(0))), (std::vector<int64_t>{11}));
}

TEST_F(HenvLogTest, ConcurrentAppendsGetDistinctContiguousNumbers) {
  HenvLogHub hub(Options());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&hub, t] {
      for (int i = 0; i < 100; ++i) hub.Append(kHash, Entry(std::to_string(t) + ":" + std::to_string(i)));
    });
  }
  for (auto& t : threads) t.join();
  LogPage all = hub.Read(kHash, Since(0, 1000));
  ASSERT_EQ(all.entries.size(), 400u);
  std::set<std::string> messages;
  for (size_t i = 0; i < all.entries.size(); ++i) {
    EXPECT_EQ(all.entries[i].seq, static_cast<int64_t>(i) + 1);
    messages.insert(all.entries[i].message);
  }
  EXPECT_EQ(messages.size(), 400u);
  EXPECT_EQ(Lines(File("logs.jsonl")).size(), 400u);
}

// ------------------------------------------------------------- memory bound

TEST_F(HenvLogTest, IdleHenvsLeaveMemoryAndComeBackFromTheirFiles) {
  HenvLogOptions o = Options();
  o.idle_timeout = 60s;
  HenvLogHub hub(o);
  const std::vector<std::string> hashes = {kHash, "bbbb2222", "cccc3333"};
  for (const auto& h : hashes) {
    std::filesystem::create_directories(dir_.path() + "/" + h);
    hub.Append(h, Entry("x"));
  }
  EXPECT_EQ(hub.stats().henvs_in_memory, 3u);
  Advance(30s);
  hub.Append(kHash, Entry("y"));  // still in use
  Advance(31s);
  hub.Sweep();
  EXPECT_EQ(hub.stats().henvs_in_memory, 1u) << "only the one used within the idle timeout stays";
  EXPECT_EQ(Messages(hub.Read("bbbb2222", Newest())), (std::vector<std::string>{"x"}));
  hub.Append("cccc3333", Entry("z"));
  EXPECT_EQ(Seqs(hub.Read("cccc3333", Newest())), (std::vector<int64_t>{1, 2}));
}

// ---------------------------------------------------------------- rate cap

TEST_F(HenvLogTest, AFloodIsCappedAndTheDropIsReportedOnceItStops) {
  HenvLogOptions o = Options();
  o.rate_per_second = 10;
  o.burst = 5;
  HenvLogHub hub(o);
  for (int i = 0; i < 20; ++i) hub.Append(kHash, Entry("flood " + std::to_string(i)));
  LogPage during = hub.Read(kHash, Since(0));
  EXPECT_EQ(during.entries.size(), 5u) << "the burst, no more";
  EXPECT_EQ(Lines(File("logs.jsonl")).size(), 5u);

  Advance(1s);
  hub.Append(kHash, Entry("after"));
  LogPage after = hub.Read(kHash, Since(during.next));
  ASSERT_EQ(after.entries.size(), 2u);
  EXPECT_EQ(after.entries[0].source, LogSource::kSystem);
  EXPECT_EQ(after.entries[0].level, LogLevel::kWarn);
  EXPECT_EQ(after.entries[0].message.rfind("15 entries dropped", 0), 0u) << after.entries[0].message;
  EXPECT_EQ(after.entries[1].message, "after");
  Advance(1s);
  hub.Append(kHash, Entry("later"));
  EXPECT_EQ(Messages(hub.Read(kHash, Since(after.next))), (std::vector<std::string>{"later"})) << "reported once";
}

TEST_F(HenvLogTest, TheSweepReportsDropsWhenNothingMoreIsLogged) {
  HenvLogOptions o = Options();
  o.rate_per_second = 10;
  o.burst = 2;
  HenvLogHub hub(o);
  for (int i = 0; i < 7; ++i) hub.Append(kHash, Entry("flood"));
  hub.Sweep();
  EXPECT_EQ(hub.Read(kHash, Since(0)).entries.size(), 2u) << "no token yet: still flooding";
  Advance(200ms);
  hub.Sweep();
  LogPage page = hub.Read(kHash, Since(2));
  ASSERT_EQ(page.entries.size(), 1u);
  EXPECT_EQ(page.entries[0].message.rfind("5 entries dropped", 0), 0u) << page.entries[0].message;
}

// ---------------------------------------------------------------- long-poll

// Catches a Wait's answer.
struct Answer {
  std::shared_ptr<std::promise<LogPage>> promise = std::make_shared<std::promise<LogPage>>();
  std::future<LogPage> future = promise->get_future();
  HenvLogHub::PageDone done() {
    return [p = promise](LogPage page) { p->set_value(std::move(page)); };
  }
  bool ready(std::chrono::milliseconds within = 0ms) { return future.wait_for(within) == std::future_status::ready; }
};

TEST_F(HenvLogTest, AWaiterIsAnsweredAtOnceWhenThereAreEntries) {
  HenvLogHub hub(Options());
  hub.Append(kHash, Entry("there"));
  Answer answer;
  ASSERT_TRUE(hub.Wait(kHash, Since(0), 30s, answer.done()).ok());
  ASSERT_TRUE(answer.ready()) << "answered on the caller's thread";
  EXPECT_EQ(Messages(answer.future.get()), (std::vector<std::string>{"there"}));
}

TEST_F(HenvLogTest, AParkedWaiterIsWokenByAnAppend) {
  HenvLogHub hub(Options());
  hub.Append(kHash, Entry("old"));
  Answer answer;
  ASSERT_TRUE(hub.Wait(kHash, Since(1), 30s, answer.done()).ok());
  EXPECT_FALSE(answer.ready());
  EXPECT_EQ(hub.stats().parked_waiters, 1u);
  std::thread writer([&hub] { hub.Append(kHash, Entry("new")); });
  writer.join();
  ASSERT_TRUE(answer.ready(10s)) << "woken well before its 30 s";
  LogPage page = answer.future.get();
  EXPECT_EQ(Messages(page), (std::vector<std::string>{"new"}));
  EXPECT_EQ(page.next, 2);
  EXPECT_EQ(hub.stats().parked_waiters, 0u);
}

TEST_F(HenvLogTest, AParkedWaiterIgnoresEntriesBelowItsLevel) {
  HenvLogHub hub(Options());
  Answer answer;
  ASSERT_TRUE(hub.Wait(kHash, Since(0, 100, LogLevel::kError), 30s, answer.done()).ok());
  hub.Append(kHash, Entry("chatter", LogLevel::kInfo));
  EXPECT_FALSE(answer.ready(50ms));
  EXPECT_EQ(hub.stats().parked_waiters, 1u);
  hub.Append(kHash, Entry("failure", LogLevel::kError));
  ASSERT_TRUE(answer.ready(10s));
  EXPECT_EQ(Messages(answer.future.get()), (std::vector<std::string>{"failure"}));
}

TEST_F(HenvLogTest, AParkedWaiterTimesOutWithAnEmptyPage) {
  HenvLogHub hub(Options());
  hub.Append(kHash, Entry("old"));
  Answer answer;
  ASSERT_TRUE(hub.Wait(kHash, Since(1), 200ms, answer.done()).ok());
  ASSERT_TRUE(answer.ready(10s));
  LogPage page = answer.future.get();
  EXPECT_TRUE(page.entries.empty());
  EXPECT_EQ(page.next, 1);
  EXPECT_EQ(hub.stats().parked_waiters, 0u);
}

TEST_F(HenvLogTest, ReleasingAnswersParkedWaitersAndLaterOnesAtOnce) {
  HenvLogHub hub(Options());
  Answer parked;
  ASSERT_TRUE(hub.Wait(kHash, Since(0), 30s, parked.done()).ok());
  EXPECT_FALSE(parked.ready());
  hub.ReleaseWaiters();
  ASSERT_TRUE(parked.ready(10s));
  EXPECT_TRUE(parked.future.get().entries.empty());
  Answer later;
  ASSERT_TRUE(hub.Wait(kHash, Since(0), 30s, later.done()).ok());
  EXPECT_TRUE(later.ready()) << "a draining server does not park";
}

TEST_F(HenvLogTest, ShutdownAnswersParkedWaiters) {
  Answer answer;
  {
    HenvLogHub hub(Options());
    ASSERT_TRUE(hub.Wait(kHash, Since(0), 30s, answer.done()).ok());
    EXPECT_FALSE(answer.ready());
  }
  EXPECT_TRUE(answer.ready()) << "answered before the destructor returned";
}

TEST_F(HenvLogTest, ParkedWaitersPerHenvAreBounded) {
  HenvLogOptions o = Options();
  o.max_waiters_per_henv = 2;
  HenvLogHub hub(o);
  Answer a, b, c;
  ASSERT_TRUE(hub.Wait(kHash, Since(0), 30s, a.done()).ok());
  ASSERT_TRUE(hub.Wait(kHash, Since(0), 30s, b.done()).ok());
  Status refused = hub.Wait(kHash, Since(0), 30s, c.done());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "too_many_waiters");
  EXPECT_EQ(refused.error().http_status, 429);
  hub.Append(kHash, Entry("both"));
  ASSERT_TRUE(a.ready(10s));
  ASSERT_TRUE(b.ready(10s));
  EXPECT_FALSE(c.ready()) << "a refused waiter is never called";
}

// ------------------------------------------------------------------- format

TEST(HenvLogFormat, EntriesRoundTripAndForeignLinesAreRejected) {
  LogEntry e;
  e.seq = 9;
  e.ts_ms = 5;
  e.level = LogLevel::kWarn;
  e.source = LogSource::kSlow;
  e.message = "slow";
  e.method = "POST";
  e.path = "/x";
  e.status = 201;
  e.duration_ms = 1500;
  auto back = LogEntryFromJson(LogEntryToJson(e));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(LogEntryToJson(*back), LogEntryToJson(e));
  EXPECT_EQ(LogEntryToJson(e).find("location"), nullptr) << "absent optional fields are left out";
  for (const char* bad : {R"({"seq":1})", R"({"seq":"1","ts":1,"level":"info","source":"console","message":""})",
                          R"({"seq":1,"ts":1,"level":"loud","source":"console","message":""})",
                          R"({"seq":1,"ts":1,"level":"info","source":"elsewhere","message":""})", "[]"}) {
    EXPECT_FALSE(LogEntryFromJson(Json::Parse(bad).value()).has_value()) << bad;
  }
}

}  // namespace
}  // namespace hbf
