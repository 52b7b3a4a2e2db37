// The registry of open WebSockets: which loop and connection each socket
// lives on, the henv it belongs to, its route and per-socket data, and the
// henvs' channels. Scripts act on sockets only through here (send, close,
// subscribe, publish), always naming their own henv: a socket or a channel
// of another henv is simply not found, so channels never cross henvs.
//
// A socket's life: Open() when a valid upgrade request arrives (before any
// script runs; the caps are checked here) -> Accept() when the script took
// it (the 101 went out) -> Detach() when the connection closed (no more
// sends; data and route stay for the close event) -> Forget() once the
// close event has run, or at once when the upgrade was refused.
//
// Hibernation: an open socket holds no JavaScript worker. Its `data` (the
// handler's ws.data, JSON, bounded) is kept here between events and given
// back to whichever worker runs the next one.
//
// Thread safety: every method may be called from any thread. Sockets are
// sharded by id and channels by (henv, channel), each shard with its own
// mutex; per-henv counts have one more (touched on open and forget only).
// Frames go to a loop through WsSink::PostWs, which only queues.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/result.h"

namespace hbf {

// What a loop is told to do with one of its WebSocket connections.
struct WsOutbound {
  enum class Kind { kFrame, kClose };
  Kind kind = Kind::kFrame;
  std::string frame;  // kFrame: an encoded frame
  int code = 1000;    // kClose
  std::string reason;
};

// Implemented by the I/O loop that owns the connections.
class WsSink {
 public:
  virtual ~WsSink() = default;
  virtual void PostWs(uint64_t connection_id, WsOutbound out) = 0;
  // Many at once (a publish): one hand-over for all of this sink's sockets.
  virtual void PostWsBatch(std::vector<std::pair<uint64_t, WsOutbound>> batch) {
    for (auto& [id, out] : batch) PostWs(id, std::move(out));
  }
};

struct WsLimits {
  int max_per_henv = 1000;         // open sockets per henv (0: unlimited)
  int max_total = 100000;          // open sockets in the server (0: unlimited)
  size_t max_data_bytes = 64 << 10;  // ws.data kept between events (JSON)
  size_t max_channels_per_socket = 64;
  size_t max_channel_name = 256;
};

class WsHub {
 public:
  explicit WsHub(WsLimits limits = {});
  WsHub(const WsHub&) = delete;
  WsHub& operator=(const WsHub&) = delete;

  const WsLimits& limits() const { return limits_; }

  // A socket being opened on `sink`'s connection `connection_id` for `henv`:
  // its id (never 0), or 0 when a cap is reached.
  uint64_t Open(const std::string& henv, std::weak_ptr<WsSink> sink, uint64_t connection_id);
  // The script accepted it; events for it run `route`.
  void Accept(uint64_t id, const std::string& route);
  // The connection is gone: no more frames to it, out of every channel.
  void Detach(uint64_t id);
  // Forgets the socket entirely (after its close event, or a refused upgrade).
  void Forget(uint64_t id);

  // Script actions, for `henv`'s own sockets only (not_found otherwise, and
  // for a socket that has closed). `payload` as given; text must be UTF-8.
  Status Send(const std::string& henv, uint64_t id, bool binary, std::string_view payload);
  Status Close(const std::string& henv, uint64_t id, int code, std::string reason);
  Status Subscribe(const std::string& henv, uint64_t id, const std::string& channel);
  Status Unsubscribe(const std::string& henv, uint64_t id, const std::string& channel);
  // To every open socket of `henv` subscribed to `channel`; how many.
  size_t Publish(const std::string& henv, const std::string& channel, bool binary, std::string_view payload);
  Status SetData(const std::string& henv, uint64_t id, std::string json);

  struct Snapshot {
    std::string henv;
    std::string route;
    std::string data;  // JSON; empty: none
    bool open = false;
  };
  // What an event for `id` needs; nullopt when unknown.
  std::optional<Snapshot> Find(uint64_t id) const;

  int open_sockets() const { return total_.load(std::memory_order_relaxed); }
  int open_sockets(const std::string& henv) const;

 private:
  struct Socket {
    std::string henv;
    std::weak_ptr<WsSink> sink;  // reset by Detach
    uint64_t connection_id = 0;
    std::string route;
    std::string data;
    std::unordered_set<std::string> channels;
  };
  static constexpr size_t kShards = 16;
  struct SocketShard {
    mutable std::mutex mu;
    std::unordered_map<uint64_t, Socket> sockets;  // guarded by mu
  };
  struct ChannelShard {
    std::mutex mu;
    // "henv\n channel" -> subscribed socket ids; guarded by mu
    std::unordered_map<std::string, std::unordered_set<uint64_t>> members;
  };
  SocketShard& ShardOf(uint64_t id) { return sockets_[id % kShards]; }
  const SocketShard& ShardOf(uint64_t id) const { return sockets_[id % kShards]; }
  ChannelShard& ChannelShardOf(const std::string& key);
  static std::string ChannelKey(const std::string& henv, const std::string& channel) {
    return henv + '\n' + channel;
  }
  // Posts `out` to the socket's loop. REQUIRES: its shard's mu held.
  static bool PostLocked(const Socket& s, WsOutbound out);
  void LeaveChannels(uint64_t id, const std::string& henv, const std::unordered_set<std::string>& channels);
  // Out of every channel and no more frames; with `erase`, gone from its
  // shard too. The socket's henv, or nullopt when unknown.
  std::optional<std::string> Release(uint64_t id, bool erase);

  const WsLimits limits_;
  std::atomic<uint64_t> next_id_{1};
  std::atomic<int> total_{0};
  std::array<SocketShard, kShards> sockets_;
  std::array<ChannelShard, kShards> channels_;
  mutable std::mutex counts_mu_;
  std::unordered_map<std::string, int> per_henv_;  // guarded by counts_mu_
};

}  // namespace hbf
