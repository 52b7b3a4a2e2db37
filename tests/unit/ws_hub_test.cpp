// The WebSocket registry: caps, channels scoped to a henv, data, detaching.
#include "http/ws_hub.h"

#include <gtest/gtest.h>

#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "http/ws_frame.h"

namespace hbf {
namespace {

class RecordingSink : public WsSink {
 public:
  void PostWs(uint64_t connection_id, WsOutbound out) override {
    std::lock_guard lock(mu);
    posted.emplace_back(connection_id, std::move(out));
  }
  size_t count(uint64_t connection_id) {
    std::lock_guard lock(mu);
    size_t n = 0;
    for (auto& [id, out] : posted) n += id == connection_id ? 1 : 0;
    return n;
  }
  std::mutex mu;
  std::vector<std::pair<uint64_t, WsOutbound>> posted;
};

TEST(WsHub, CapsPerHenvAndInTotal) {
  auto sink = std::make_shared<RecordingSink>();
  WsHub hub(WsLimits{2, 3});
  uint64_t a1 = hub.Open("a", sink, 1);
  uint64_t a2 = hub.Open("a", sink, 2);
  EXPECT_NE(a1, 0u);
  EXPECT_NE(a2, 0u);
  EXPECT_EQ(hub.Open("a", sink, 3), 0u);  // per henv
  EXPECT_NE(hub.Open("b", sink, 4), 0u);
  EXPECT_EQ(hub.Open("c", sink, 5), 0u);  // in total
  EXPECT_EQ(hub.open_sockets(), 3);
  hub.Forget(a1);
  EXPECT_EQ(hub.open_sockets("a"), 1);
  EXPECT_NE(hub.Open("a", sink, 6), 0u);
}

TEST(WsHub, ChannelsNeverCrossHenvs) {
  auto sink = std::make_shared<RecordingSink>();
  WsHub hub;
  uint64_t mine = hub.Open("a", sink, 1);
  uint64_t theirs = hub.Open("b", sink, 2);
  ASSERT_TRUE(hub.Subscribe("a", mine, "room").ok());
  ASSERT_TRUE(hub.Subscribe("b", theirs, "room").ok());
  EXPECT_EQ(hub.Publish("a", "room", false, "hi"), 1u);
  EXPECT_EQ(sink->count(1), 1u);
  EXPECT_EQ(sink->count(2), 0u);
  // A henv cannot act on another henv's socket.
  EXPECT_FALSE(hub.Send("a", theirs, false, "x").ok());
  EXPECT_FALSE(hub.Subscribe("a", theirs, "room2").ok());
  EXPECT_FALSE(hub.SetData("a", theirs, "{}").ok());
  EXPECT_FALSE(hub.Close("a", theirs, 1000, "").ok());
  EXPECT_EQ(sink->count(2), 0u);
}

TEST(WsHub, DetachedSocketsGetNothingButKeepTheirDataForTheCloseEvent) {
  auto sink = std::make_shared<RecordingSink>();
  WsHub hub;
  uint64_t id = hub.Open("a", sink, 1);
  ASSERT_TRUE(hub.Subscribe("a", id, "room").ok());
  ASSERT_TRUE(hub.SetData("a", id, R"({"n":3})").ok());
  hub.Accept(id, "0:/x");
  hub.Detach(id);
  EXPECT_EQ(hub.Publish("a", "room", false, "hi"), 0u);
  EXPECT_EQ(hub.Send("a", id, false, "x").error().code, "not_found");
  auto snapshot = hub.Find(id);
  ASSERT_TRUE(snapshot.has_value());
  EXPECT_EQ(snapshot->data, R"({"n":3})");
  EXPECT_EQ(snapshot->route, "0:/x");
  EXPECT_FALSE(snapshot->open);
  hub.Forget(id);
  EXPECT_FALSE(hub.Find(id).has_value());
  EXPECT_EQ(hub.open_sockets(), 0);
}

TEST(WsHub, LimitsOnDataChannelsAndText) {
  auto sink = std::make_shared<RecordingSink>();
  WsLimits limits;
  limits.max_data_bytes = 10;
  limits.max_channels_per_socket = 2;
  WsHub hub(limits);
  uint64_t id = hub.Open("a", sink, 1);
  EXPECT_EQ(hub.SetData("a", id, std::string(11, 'x')).error().code, "limit_exceeded");
  EXPECT_TRUE(hub.Subscribe("a", id, "one").ok());
  EXPECT_TRUE(hub.Subscribe("a", id, "two").ok());
  EXPECT_TRUE(hub.Subscribe("a", id, "two").ok());  // already in: fine
  EXPECT_EQ(hub.Subscribe("a", id, "three").error().code, "limit_exceeded");
  EXPECT_EQ(hub.Subscribe("a", id, "").error().code, "invalid_argument");
  EXPECT_EQ(hub.Send("a", id, false, std::string("\xFF", 1)).error().code, "invalid_argument");
  EXPECT_TRUE(hub.Send("a", id, true, std::string("\xFF", 1)).ok());
}

TEST(WsHub, ConcurrentPublishAndSubscribeIsSafe) {
  auto sink = std::make_shared<RecordingSink>();
  WsHub hub;
  std::vector<uint64_t> ids;
  for (uint64_t i = 0; i < 64; ++i) ids.push_back(hub.Open("a", sink, i));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 200; ++round) {
        uint64_t id = ids[static_cast<size_t>((t * 16 + round) % 64)];
        (void)hub.Subscribe("a", id, "c");
        hub.Publish("a", "c", false, "m");
        (void)hub.Unsubscribe("a", id, "c");
      }
    });
  }
  for (auto& th : threads) th.join();
  for (uint64_t id : ids) hub.Forget(id);
  EXPECT_EQ(hub.open_sockets(), 0);
  EXPECT_EQ(hub.Publish("a", "c", false, "m"), 0u);
}

}  // namespace
}  // namespace hbf
