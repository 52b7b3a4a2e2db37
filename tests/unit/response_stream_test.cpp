// Specification of ResponseStream (src/http/response_stream.h): what a
// producer's writes, End() and Abort() hand to the loop that owns the
// connection, before and after the head went out.
#include "http/response_stream.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace hbf {
namespace {

struct RecordingSink : StreamSink {
  std::vector<std::pair<std::string, ChunkKind>> posted;
  void PostStreamChunk(uint64_t, std::string data, ChunkKind kind) override { posted.emplace_back(std::move(data), kind); }
};

TEST(ResponseStreamTest, WritesBeforeTheHeadWaitThenGoToTheSinkInOrder) {
  auto sink = std::make_shared<RecordingSink>();
  ResponseStream stream;
  EXPECT_TRUE(stream.Write("a"));
  EXPECT_TRUE(stream.Write(""));  // skipped
  EXPECT_TRUE(stream.Write("b"));
  bool ended = true;
  bool aborted = true;
  EXPECT_EQ(stream.Attach(sink, 7, ended, aborted), (std::vector<std::string>{"a", "b"}));
  EXPECT_FALSE(ended);
  EXPECT_FALSE(aborted);
  EXPECT_TRUE(stream.Write("c"));
  stream.End();
  ASSERT_EQ(sink->posted.size(), 2u);
  EXPECT_EQ(sink->posted[0], std::make_pair(std::string("c"), ChunkKind::kData));
  EXPECT_EQ(sink->posted[1], std::make_pair(std::string(), ChunkKind::kLast));
  EXPECT_FALSE(stream.Write("late"));
  stream.Abort();  // the first end counts
  EXPECT_EQ(sink->posted.size(), 2u);
}

TEST(ResponseStreamTest, AnAbortBeforeTheHeadIsReportedAtAttach) {
  auto sink = std::make_shared<RecordingSink>();
  ResponseStream stream;
  int closed = 0;
  stream.OnClosed([&] { ++closed; });
  EXPECT_TRUE(stream.Write("partial"));
  stream.Abort();
  EXPECT_EQ(closed, 1);
  stream.End();  // ignored
  bool ended = false;
  bool aborted = false;
  EXPECT_EQ(stream.Attach(sink, 1, ended, aborted), (std::vector<std::string>{"partial"}));
  EXPECT_TRUE(ended);
  EXPECT_TRUE(aborted);
  EXPECT_TRUE(sink->posted.empty());  // the loop finishes it from what Attach said
  EXPECT_EQ(closed, 1);
}

TEST(ResponseStreamTest, AnAbortAfterTheHeadPostsAnAbortChunk) {
  auto sink = std::make_shared<RecordingSink>();
  ResponseStream stream;
  bool ended = false;
  bool aborted = false;
  EXPECT_TRUE(stream.Attach(sink, 3, ended, aborted).empty());
  stream.Abort();
  ASSERT_EQ(sink->posted.size(), 1u);
  EXPECT_EQ(sink->posted[0].second, ChunkKind::kAbort);
  EXPECT_TRUE(stream.closed());
}

TEST(ResponseStreamTest, AGoneConnectionClosesTheStreamForItsProducer) {
  ResponseStream stream;
  int closed = 0;
  stream.OnClosed([&] { ++closed; });
  {
    auto sink = std::make_shared<RecordingSink>();
    bool ended = false;
    bool aborted = false;
    stream.Attach(sink, 9, ended, aborted);
  }  // the loop is gone
  EXPECT_FALSE(stream.Write("x"));
  EXPECT_TRUE(stream.closed());
  EXPECT_EQ(closed, 1);
  stream.Detach();
  EXPECT_EQ(closed, 1);
}

}  // namespace
}  // namespace hbf
