// JsEngine's henv pools and what requests read of them without a worker
// (engine.h): a henv's pool found or made (PoolFor, the thread-local caches
// behind KnownPool), whether it has a router at a code version
// (HasRouter), and its routing copy, published by workers (its route reach)
// and read lock-free by the I/O loops (NoRouteTakes). Split from engine.cpp
// by concern; the request path that uses them (Run, Checkout, CheckIn) is
// there.
#include <array>
#include <cstdint>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "js/engine.h"
#include "js/route_reach.h"
#include "js/worker.h"

namespace hbf::js {

HenvPool& JsEngine::PoolFor(const std::string& hash) {
  if (HenvPool* known = KnownPool(hash)) return *known;
  Shard& shard = shards_[ShardIndexOf(hash)];
  std::lock_guard lock(shard.mu);
  return PoolForLocked(shard, hash);
}

HenvPool& JsEngine::PoolForLocked(Shard& shard, const std::string& hash) {
  auto& slot = shard.pools[hash];
  if (!slot) {
    slot = std::make_unique<HenvPool>();
    slot->hash = hash;
    slot->shard = ShardIndexOf(hash);
    slot->login_throttle = options_.login_throttle;
    slot->address_throttle = options_.address_throttle;
    slot->logs = options_.logs;
    slot->ws_hub = options_.ws_hub;
    slot->shelf = connection_shelf_.capacity() > 0 ? &connection_shelf_ : nullptr;
  }
  return *slot;
}

bool JsEngine::HasRouter(Henv& henv, int64_t version, HenvPool*& pool_out) {
  std::shared_ptr<const PoolRouting> routing;
  pool_out = KnownPool(henv, &routing);
  if (pool_out == nullptr) {  // this henv's first script request
    Shard& shard = shards_[ShardIndexOf(henv.hash())];
    std::lock_guard lock(shard.mu);
    pool_out = &PoolForLocked(shard, henv.hash());
    routing = pool_out->routing.load(std::memory_order_acquire);
    henv.SetEngineSlot(id_, pool_out);
  }
  if (routing->router_checked_version == version) return routing->has_router;
  // Is there a router at this version? Asked once per version.
  const bool has_router = henv.WithDb([](db::Database& db) {
    auto v = db.QueryValue("SELECT 1 FROM documents WHERE path = '_system/router.js'");
    return v.ok() && v->has_value();
  });
  std::lock_guard lock(ShardOf(*pool_out).mu);
  PoolRouting updated = *pool_out->routing.load(std::memory_order_acquire);
  updated.router_checked_version = version;
  updated.has_router = has_router;
  PublishRoutingLocked(*pool_out, std::move(updated));
  return has_router;
}

void JsEngine::PublishReachLocked(HenvPool& pool, const Worker& w) {
  const int64_t version = w.code_version();
  const std::shared_ptr<const PoolRouting> current = pool.routing.load(std::memory_order_acquire);
  if (version < current->reach_version) return;  // an older version's
  PoolRouting updated = *current;
  if (w.routes_changed()) {
    // Its routes are not the ones its reach describes, and other workers
    // of this version may differ again: none is relied on for it.
    if (current->reach_version == version && current->reach == nullptr) return;
    updated.reach_version = version;
    updated.reach.reset();
  } else {
    if (!w.route_reach() || version == current->reach_version) return;
    updated.reach_version = version;
    updated.reach = w.route_reach();
  }
  PublishRoutingLocked(pool, std::move(updated));
}

void JsEngine::PublishRoutingLocked(HenvPool& pool, PoolRouting routing) {
  pool.routing.store(std::make_shared<const PoolRouting>(std::move(routing)), std::memory_order_release);
  pool.routing_changes.fetch_add(1, std::memory_order_release);
}

namespace {

// The pools a thread has looked up by hash, per engine (its id: an engine at
// a freed one's address is another engine). Pools live as long as their
// engine, so a pointer found once stays good. Bounded: emptied when full
// (kMaxKnownPools), to be refilled under the shards' locks. (Requests find
// their henv's pool in the Henv itself: KnownPool(Henv&).)
struct KnownPools {
  uint64_t engine_id = 0;
  std::unordered_map<std::string, HenvPool*> pools;
};
constexpr size_t kMaxKnownPools = 1024;
thread_local KnownPools known_pools;

}  // namespace

namespace {

// The routing copies a thread read last, by pool (direct-mapped: a pool's
// entry is replaced by whichever other pool maps to it), for KnownPool(Henv&):
// the copy is taken again only when the pool's routing_changes moved,
// not loaded from the pool's atomic (a lock and a count on one shared cache
// line per request to a busy henv). 4,096 entries: with 64, over 1,000
// henvs nearly every request missed, loaded the pool's copy and let go of
// the entry's last one (two counts on shared lines); 4,096 took the
// server's CPU a request there from 49.8 to 47.7 us (three alternating
// pairs, bench/README.md, 2026-12-07 thirty-ninth session). On the heap,
// made at a thread's first lookup (160 KB): as a thread_local array it was
// part of every thread's static TLS, which glibc zeroes (writes) for each
// thread it starts, lookups or not.
struct KnownRouting {
  uint64_t engine_id = 0;
  const HenvPool* pool = nullptr;
  uint64_t changes = ~uint64_t{0};
  std::shared_ptr<const PoolRouting> routing;
};
constexpr unsigned kKnownRoutingBits = 12;  // KnownPool indexes by the top bits of a mixed pointer
constexpr size_t kKnownRoutings = size_t{1} << kKnownRoutingBits;
thread_local std::unique_ptr<std::array<KnownRouting, kKnownRoutings>> known_routings;

}  // namespace

HenvPool* JsEngine::KnownPool(Henv& henv, std::shared_ptr<const PoolRouting>* routing) const {
  auto* pool = static_cast<HenvPool*>(henv.EngineSlot(id_));
  if (pool == nullptr) {
    pool = KnownPool(henv.hash());
    if (pool == nullptr) return nullptr;  // no script has run yet: asked again next time
    henv.SetEngineSlot(id_, pool);
  }
  if (routing != nullptr) {
    const uint64_t mixed = static_cast<uint64_t>(reinterpret_cast<uintptr_t>(pool)) * 0x9E3779B97F4A7C15ull;
    const uint64_t changes = pool->routing_changes.load(std::memory_order_acquire);
    if (!known_routings) known_routings.reset(new (std::nothrow) std::array<KnownRouting, kKnownRoutings>());
    if (!known_routings) {  // (no memory for the cache: the pool's copy, loaded)
      *routing = pool->routing.load(std::memory_order_acquire);
      return pool;
    }
    KnownRouting& k = (*known_routings)[mixed >> (64 - kKnownRoutingBits)];
    if (k.engine_id != id_ || k.pool != pool || k.changes != changes || k.routing == nullptr) {
      k.engine_id = id_;
      k.pool = pool;
      k.routing = pool->routing.load(std::memory_order_acquire);
      k.changes = changes;
    }
    *routing = k.routing;
  }
  return pool;
}

HenvPool* JsEngine::KnownPool(const std::string& hash) const {
  KnownPools& known = known_pools;
  if (known.engine_id != id_) {
    known.pools.clear();
    known.engine_id = id_;
  }
  if (auto it = known.pools.find(hash); it != known.pools.end()) return it->second;
  HenvPool* pool = nullptr;
  {
    Shard& shard = shards_[ShardIndexOf(hash)];
    std::lock_guard lock(shard.mu);
    auto found = shard.pools.find(hash);
    if (found == shard.pools.end()) return nullptr;  // no script has run yet: asked again next time
    pool = found->second.get();
  }
  if (known.pools.size() >= kMaxKnownPools) known.pools.clear();
  known.pools.emplace(hash, pool);
  return pool;
}

bool JsEngine::NoRouteTakes(Henv& henv, std::string_view path, bool* own_not_found) const {
  const int64_t version = henv.code_version();
  std::shared_ptr<const PoolRouting> routing;
  if (KnownPool(henv, &routing) == nullptr) return false;
  if (routing->router_checked_version == version && !routing->has_router) {
    if (own_not_found != nullptr) *own_not_found = false;
    return true;  // no router at this version: nothing to take any path
  }
  if (routing->reach_version != version) return false;
  const RouteReach* reach = routing->reach.get();
  if (reach == nullptr || reach->MayTake(path)) return false;
  if (own_not_found != nullptr) *own_not_found = reach->own_not_found;
  return true;
}

}  // namespace hbf::js
