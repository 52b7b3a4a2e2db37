#include "http/ws_hub.h"

#include <algorithm>
#include <functional>

#include "http/ws_frame.h"

namespace hbf {

namespace {

Error NotFound() { return Error{"not_found", "no such open WebSocket", 404}; }

}  // namespace

WsHub::WsHub(WsLimits limits) : limits_(limits) {}

WsHub::ChannelShard& WsHub::ChannelShardOf(const std::string& key) {
  return channels_[std::hash<std::string>{}(key) % kShards];
}

uint64_t WsHub::Open(const std::string& henv, std::weak_ptr<WsSink> sink, uint64_t connection_id) {
  {
    std::lock_guard lock(counts_mu_);
    int& mine = per_henv_[henv];
    if ((limits_.max_per_henv > 0 && mine >= limits_.max_per_henv) ||
        (limits_.max_total > 0 && total_.load(std::memory_order_relaxed) >= limits_.max_total)) {
      if (mine == 0) per_henv_.erase(henv);
      return 0;
    }
    ++mine;
    total_.fetch_add(1, std::memory_order_relaxed);
  }
  const uint64_t id = next_id_.fetch_add(1, std::memory_order_relaxed);
  SocketShard& shard = ShardOf(id);
  std::lock_guard lock(shard.mu);
  Socket& s = shard.sockets[id];
  s.henv = henv;
  s.sink = std::move(sink);
  s.connection_id = connection_id;
  return id;
}

void WsHub::Accept(uint64_t id, const std::string& route) {
  SocketShard& shard = ShardOf(id);
  std::lock_guard lock(shard.mu);
  auto it = shard.sockets.find(id);
  if (it != shard.sockets.end()) it->second.route = route;
}

std::optional<std::string> WsHub::Release(uint64_t id, bool erase) {
  std::string henv;
  std::unordered_set<std::string> channels;
  {
    SocketShard& shard = ShardOf(id);
    std::lock_guard lock(shard.mu);
    auto it = shard.sockets.find(id);
    if (it == shard.sockets.end()) return std::nullopt;
    it->second.sink.reset();
    henv = it->second.henv;
    channels.swap(it->second.channels);
    if (erase) shard.sockets.erase(it);
  }
  LeaveChannels(id, henv, channels);
  return henv;
}

void WsHub::Detach(uint64_t id) { (void)Release(id, /*erase=*/false); }

void WsHub::Forget(uint64_t id) {
  std::optional<std::string> henv = Release(id, /*erase=*/true);
  if (!henv) return;
  std::lock_guard lock(counts_mu_);
  auto it = per_henv_.find(*henv);
  if (it != per_henv_.end() && --it->second <= 0) per_henv_.erase(it);
  total_.fetch_sub(1, std::memory_order_relaxed);
}

void WsHub::LeaveChannels(uint64_t id, const std::string& henv, const std::unordered_set<std::string>& channels) {
  for (const std::string& channel : channels) {
    const std::string key = ChannelKey(henv, channel);
    ChannelShard& shard = ChannelShardOf(key);
    std::lock_guard lock(shard.mu);
    auto it = shard.members.find(key);
    if (it == shard.members.end()) continue;
    it->second.erase(id);
    if (it->second.empty()) shard.members.erase(it);
  }
}

bool WsHub::PostLocked(const Socket& s, WsOutbound out) {
  std::shared_ptr<WsSink> sink = s.sink.lock();
  if (!sink) return false;
  sink->PostWs(s.connection_id, std::move(out));
  return true;
}

Status WsHub::Send(const std::string& henv, uint64_t id, bool binary, std::string_view payload) {
  if (!binary && !IsValidUtf8(payload)) return Error{"invalid_argument", "a text message must be UTF-8", 400};
  WsOutbound out;
  out.frame = EncodeWsFrame(binary ? WsOpcode::kBinary : WsOpcode::kText, payload);
  SocketShard& shard = ShardOf(id);
  std::lock_guard lock(shard.mu);
  auto it = shard.sockets.find(id);
  if (it == shard.sockets.end() || it->second.henv != henv) return NotFound();
  if (!PostLocked(it->second, std::move(out))) return NotFound();
  return Ok{};
}

Status WsHub::Close(const std::string& henv, uint64_t id, int code, std::string reason) {
  WsOutbound out;
  out.kind = WsOutbound::Kind::kClose;
  out.code = code;
  out.reason = std::move(reason);
  SocketShard& shard = ShardOf(id);
  std::lock_guard lock(shard.mu);
  auto it = shard.sockets.find(id);
  if (it == shard.sockets.end() || it->second.henv != henv) return NotFound();
  if (!PostLocked(it->second, std::move(out))) return NotFound();
  return Ok{};
}

Status WsHub::Subscribe(const std::string& henv, uint64_t id, const std::string& channel) {
  if (channel.empty() || channel.size() > limits_.max_channel_name) {
    return Error{"invalid_argument", "a channel name is 1 to " + std::to_string(limits_.max_channel_name) + " bytes",
                 400};
  }
  {
    SocketShard& shard = ShardOf(id);
    std::lock_guard lock(shard.mu);
    auto it = shard.sockets.find(id);
    if (it == shard.sockets.end() || it->second.henv != henv || it->second.sink.expired()) return NotFound();
    if (it->second.channels.count(channel) != 0) return Ok{};
    if (it->second.channels.size() >= limits_.max_channels_per_socket) {
      return Error{"limit_exceeded",
                   "a socket may join at most " + std::to_string(limits_.max_channels_per_socket) + " channels", 400};
    }
    it->second.channels.insert(channel);
  }
  // Joined after the socket's entry says so: a Detach racing with this
  // either sees the channel (and leaves it) or finds the socket gone here.
  const std::string key = ChannelKey(henv, channel);
  ChannelShard& shard = ChannelShardOf(key);
  std::lock_guard lock(shard.mu);
  shard.members[key].insert(id);
  return Ok{};
}

Status WsHub::Unsubscribe(const std::string& henv, uint64_t id, const std::string& channel) {
  {
    SocketShard& shard = ShardOf(id);
    std::lock_guard lock(shard.mu);
    auto it = shard.sockets.find(id);
    if (it == shard.sockets.end() || it->second.henv != henv) return NotFound();
    if (it->second.channels.erase(channel) == 0) return Ok{};
  }
  LeaveChannels(id, henv, {channel});
  return Ok{};
}

size_t WsHub::Publish(const std::string& henv, const std::string& channel, bool binary, std::string_view payload) {
  std::vector<uint64_t> members;
  {
    const std::string key = ChannelKey(henv, channel);
    ChannelShard& shard = ChannelShardOf(key);
    std::lock_guard lock(shard.mu);
    auto it = shard.members.find(key);
    if (it == shard.members.end()) return 0;
    members.assign(it->second.begin(), it->second.end());
  }
  // Where each member lives, then one hand-over per loop (its queue's lock
  // and wake-up once, not once per socket).
  std::vector<std::pair<std::shared_ptr<WsSink>, uint64_t>> targets;
  targets.reserve(members.size());
  for (uint64_t id : members) {
    SocketShard& shard = ShardOf(id);
    std::lock_guard lock(shard.mu);
    auto it = shard.sockets.find(id);
    // A socket that left the channel meanwhile no longer lists it.
    if (it == shard.sockets.end() || it->second.henv != henv || it->second.channels.count(channel) == 0) continue;
    if (std::shared_ptr<WsSink> sink = it->second.sink.lock()) targets.emplace_back(std::move(sink), it->second.connection_id);
  }
  std::sort(targets.begin(), targets.end(),
            [](const auto& a, const auto& b) { return a.first.get() < b.first.get(); });
  const std::string frame = EncodeWsFrame(binary ? WsOpcode::kBinary : WsOpcode::kText, payload);
  for (size_t i = 0; i < targets.size();) {
    WsSink* sink = targets[i].first.get();
    std::vector<std::pair<uint64_t, WsOutbound>> batch;
    for (; i < targets.size() && targets[i].first.get() == sink; ++i) {
      WsOutbound out;
      out.frame = frame;
      batch.emplace_back(targets[i].second, std::move(out));
    }
    sink->PostWsBatch(std::move(batch));
  }
  return targets.size();
}

Status WsHub::SetData(const std::string& henv, uint64_t id, std::string json) {
  if (json.size() > limits_.max_data_bytes) {
    return Error{"limit_exceeded",
                 "ws.data is " + std::to_string(json.size()) + " bytes as JSON; at most " +
                     std::to_string(limits_.max_data_bytes) + " are kept between events",
                 400};
  }
  SocketShard& shard = ShardOf(id);
  std::lock_guard lock(shard.mu);
  auto it = shard.sockets.find(id);
  if (it == shard.sockets.end() || it->second.henv != henv) return NotFound();
  it->second.data = std::move(json);
  return Ok{};
}

std::optional<WsHub::Snapshot> WsHub::Find(uint64_t id) const {
  const SocketShard& shard = ShardOf(id);
  std::lock_guard lock(shard.mu);
  auto it = shard.sockets.find(id);
  if (it == shard.sockets.end()) return std::nullopt;
  return Snapshot{it->second.henv, it->second.route, it->second.data, !it->second.sink.expired()};
}

int WsHub::open_sockets(const std::string& henv) const {
  std::lock_guard lock(counts_mu_);
  auto it = per_henv_.find(henv);
  return it == per_henv_.end() ? 0 : it->second;
}

}  // namespace hbf
