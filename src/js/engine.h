// The JavaScript engine: runs a henv's `_system/router.js` for a request in a
// sandboxed QuickJS runtime. The QuickJS adapter lives in src/js only.
// Its requests, results, limits and options: js/engine_types.h.
//
// Workers. A worker is one QuickJS runtime + context + its own SQLite
// connection to the henv's file (sandboxed: no ATTACH, so no other file is
// reachable), with the henv's router module loaded for one code version.
// Workers are pooled per henv and reused across requests: nothing on the hot
// path creates a context or compiles source. Module bytecode is cached per
// henv (keyed by document id + its exact source) and built-in modules are compiled
// at build time, so even a new worker only deserialises bytecode.
//
// Live reload. Every change to a document under _system/ or modules/ bumps
// the henv's code version (schema v4). A request takes a worker of the
// current version; idle workers of older versions are dropped; in-flight
// requests finish on the code they started with. Module-level state lives as
// long as its worker, as in Workers isolates: never rely on it surviving.
//
// Limits. Each runtime has a heap limit and a stack limit; each request a
// deadline enforced by QuickJS's interrupt handler (and SQLite's progress
// handler inside queries). A worker that hit a limit is destroyed; nothing
// else is affected. At most `max_workers_per_henv` run at once for a henv
// (others wait, bounded by the deadline); idle workers are evicted across
// all henvs when the total JS memory exceeds the budget, those made for a
// henv not seen again first, then the least recently used ("Probation").
//
// Thread safety: Run() and RunAsync() are called concurrently from the HTTP
// handler threads. A worker is used by one thread at a time (checked out),
// and QuickJS is told which thread's stack it is on at each checkout and
// resumption. No lock is the whole engine's on the path of a request that
// finds an idle worker: a henv's pool belongs to one of kShards shards (by
// its hash), and such a request takes only its shard's lock, to check a
// worker out and to check it in; the memory budget is kept over a total the
// shards add their changes to in batches (so no counter every request
// writes is shared). Eviction, past the budget, visits the other shards,
// one lock at a time; a request that takes a blank worker, or drops one,
// takes house_mu_ once. No code holds two of the engine's locks at once.
// One low-priority
// housekeeping thread makes blank workers (spares_, under house_mu_),
// destroys retired ones, and trims and hibernates idle ones, shard by
// shard. One waker thread holds parked requests (a worker awaiting a timer,
// guarded by parked_mu_) and hands them back to a handler thread through
// the resume executor when they are due.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>
#include <thread>

#include "core/json.h"
#include "henv/henv_log.h"
#include "henv/henv_manager.h"
#include "http/http_types.h"
#include "js/connection_shelf.h"
#include "js/engine_types.h"

namespace hbf::js {

class BoundImage;
class Worker;
struct HenvPool;
struct RouteReach;

// What a henv's pool knows of its router, as one immutable copy readers take
// without a lock (HenvPool::routing): whether _system/router.js
// exists as of `router_checked_version`, and the router's reach at
// `reach_version` (null: unknown for good at that version).
struct PoolRouting {
  int64_t router_checked_version = -1;
  bool has_router = false;
  int64_t reach_version = -1;
  std::shared_ptr<const RouteReach> reach;
};

class JsEngine {
 public:
  explicit JsEngine(EngineOptions options);
  ~JsEngine();
  JsEngine(const JsEngine&) = delete;
  JsEngine& operator=(const JsEngine&) = delete;

  // Runs the request on this thread to the end (a handler awaiting a timer
  // sleeps on it).
  ScriptResult Run(Henv& henv, const ScriptLimits& limits, const ScriptRequest& request);

  // As Run, but a handler that awaits a timer holds no thread meanwhile: the
  // worker is parked with its request and resumed, when the timer or the
  // deadline is due, through the resume executor. `done` is called exactly
  // once: on this thread when nothing waited, else on the executor's thread.
  // Exceptions from `done` are the caller's to avoid.
  using ScriptDone = std::function<void(ScriptResult)>;
  void RunAsync(std::shared_ptr<Henv> henv, const ScriptLimits& limits, const ScriptRequest& request,
                ScriptDone done);
  // Asks the CPU to fetch the memory of the worker a request for
  // `henv_hash` will most likely take (its henv's most recently idle awake
  // worker), when that worker has been idle long enough to be out of the
  // caches. For the request's thread, before its other work (the henv's
  // lookup, its policy, its session): the lines come from memory
  // meanwhile, and Checkout's prefetch of the same lines (kept: without
  // it there was no gain, the request's own work having pushed many out
  // of the first-level cache) finds them near. Over 1,000 henvs, CPU a
  // request lower in all six pairs measured (bench/README.md,
  // forty-third session). The worker's span is read under its shard's
  // lock and fetched after it: prefetches are hints that never fault, so
  // a worker taken or destroyed meanwhile costs only wasted fetches.
  // Nothing is done for a henv this thread has not met (KnownPool), nor in
  // the long-tail mode.
  void PrefetchIdleWorker(const std::string& henv_hash);
  // Where parked requests go on: runs a task on a request thread, in turn
  // with the henv `key`'s other work (the HTTP dispatcher). Without one they
  // go on on the engine's waker thread. Set before the first RunAsync.
  using Executor = std::function<void(const std::string& key, std::function<void()> task)>;
  void SetResumeExecutor(Executor executor) { resume_executor_ = std::move(executor); }
  // Drops parked requests (their `done` is never called) and stops the
  // waker. Call before whatever `done` refers to is destroyed.
  void Shutdown();

  // Compiles `source` as document `id` would be compiled (an ES module for
  // .js/.mjs, CommonJS for .cjs, an EJS template for .ejs) without running
  // any of it, in a fresh runtime under `limits`. Returns the problems found
  // (empty: it compiles), or an Error when no check could be made.
  struct CodeProblem {
    std::string message;
    int line = 0;    // 1-based; 0 when unknown
    int column = 0;  // 1-based; 0 when unknown
  };
  static bool IsCheckable(std::string_view id);
  Result<std::vector<CodeProblem>> CheckCode(const std::string& id, const std::string& source,
                                             const ScriptLimits& limits);

  // True when `henv`'s router, at its current code version, has no layer
  // that could take a GET or HEAD without a body at `path` (percent-encoded,
  // without the query), as its workers reported it (hbf:http's routeReach:
  // its routes' literal paths and path prefixes). The caller may then answer
  // as the router would have fallen through (a document) without running
  // it. Also true when the henv has no router at its current code version
  // (as the last request found). False whenever unsure: no worker has
  // loaded this version yet, the router has middleware for every path, or
  // it added layers at run time.
  // `own_not_found`, when given, is set when the router (an express app)
  // answers such a path itself with a 404 page when nothing else does.
  bool NoRouteTakes(Henv& henv, std::string_view path, bool* own_not_found = nullptr) const;

  // Whether `henv_hash`'s server code has loaded document `id` as a module
  // or rendered it as a template since this process started.
  bool IsServerCode(const std::string& henv_hash, const std::string& id) const;

  // Renders an EJS template (hbf:templates): `target` is a document id, or
  // template source when `is_source`; `data_json` a JSON object of locals.
  // A kResponse result carries the HTML.
  ScriptResult Render(Henv& henv, const ScriptLimits& limits, const std::string& target, bool is_source,
                      const std::string& data_json);

  struct Stats {
    int workers = 0;       // alive (idle + busy)
    int idle_workers = 0;
    int64_t memory_bytes = 0;  // allocated by all runtimes
    // The image blank workers are copied from (worker_image.h), in bytes;
    // 0: they are built (--js_copy_workers=false, or the capture failed),
    // or none has been made yet.
    int64_t worker_image_bytes = 0;
    // The image's lines a cold copy prefetches (image_profile.h: the
    // build's profile); 0: the whole image is (no profile, one that does
    // not fit this image, --js_image_profile=false, or no image).
    int worker_image_hot_lines = 0;
    // Connections kept for henvs' next workers (connection_shelf.h), and
    // how many such a worker took instead of opening one.
    int spare_connections = 0;
    uint64_t spare_connections_taken = 0;
    // Idle workers hibernated now (Worker::Hibernate), and how many times
    // a request woke one so far.
    int hibernated_workers = 0;
    uint64_t wakes = 0;
    // Since start: workers made for a henv (a blank one bound, or built),
    // idle workers hibernated, and idle workers evicted over the memory
    // budget or the connection cap, awake or hibernated when chosen.
    uint64_t made = 0;
    uint64_t hibernations = 0;
    // Idle workers dropped instead of hibernated, and hibernated workers a
    // request dropped instead of waking (Hibernation::kWhenCheaper).
    uint64_t dropped_idle = 0;
    uint64_t dropped_not_woken = 0;
    // What a wake costs, as measured (nanoseconds per KiB of arena made
    // again and written back; 0 before the first wake), and what
    // hibernating costs (the snapshot made and packed; 0 before the first).
    int64_t wake_ns_per_kib = 0;
    int64_t pack_ns_per_kib = 0;
    // What making a worker by copying its henv's bound image costs,
    // nanoseconds (the shards' figures averaged; 0 before the first copy).
    int64_t bound_copy_ns = 0;
    uint64_t evicted_awake = 0;
    uint64_t evicted_hibernated = 0;
    // Of those evicted (awake or hibernated), the workers still on
    // probation; and workers made past probation for a henv whose last one
    // was evicted recently ("Probation" in engine.h's private part); and
    // the probation target now (0 before the first eviction).
    uint64_t evicted_on_probation = 0;
    uint64_t made_returning = 0;
    // Workers dropped at their check-in as transient ("Long tail").
    uint64_t dropped_transient = 0;
    bool long_tail = false;  // the mode is on
    int64_t probation_target = 0;
    // Requests that found their henv's worker idle for kCacheColdAfter or
    // more and prefetched its memory (Worker::PrefetchMemory).
    uint64_t prefetched = 0;
    // Henvs whose workers are copied bound (bound_image.h), the bytes those
    // images hold (part of memory_bytes), and since start: workers made
    // from one, and captures that found no image to keep.
    int bound_images = 0;
    int64_t bound_image_bytes = 0;
    uint64_t made_bound = 0;
    uint64_t bound_failures = 0;
  };
  Stats stats() const;
  // Looks at the traffic since the last look and sets the long-tail mode
  // ("Long tail"); the housekeeper calls it once a second. Any thread.
  void UpdateLongTail();

  WsHub* ws_hub() const { return options_.ws_hub; }

  // Drops every idle worker (tests, shutdown).
  void DropIdleWorkers();
  // Trims every idle worker now and hibernates it (as
  // EngineOptions::hibernation says: dropped instead, or left awake), as
  // the housekeeper does those idle a while (tests, bench/dispatch);
  // returns how many it hibernated.
  int HibernateIdleWorkers();

  // Retired workers waiting for the housekeeper to destroy them, at most
  // (beyond it the caller destroys its own): they still hold descriptors.
  static constexpr size_t kMaxRetired = 16;

 private:
  // Pools are spread over this many shards by their henv's hash: a shard's
  // lock is the only one a request takes (twice). More shards than cores
  // keeps two threads on different henvs apart most of the time; a shard
  // costs a few cache lines (its lock, counters, map and two lists).
  static constexpr size_t kShards = 64;
  // A shard (see "Thread safety" above): its mutex guards its pools (the
  // map, and their idle lists, busy counts, broken versions and routing
  // writes), its idle workers' lists, and its share of the books.
  struct alignas(64) Shard {
    std::mutex mu;
    // Its henvs' pools by hash, made on a henv's first script request (or
    // a thread's KnownPool miss finds them); they live as long as the
    // engine.
    std::unordered_map<std::string, std::unique_ptr<HenvPool>> pools;
    // Idle workers in three lists, each front = most recently used
    // (Worker::idle_since): those not trimmed since their last use, those
    // trimmed since (Worker::trimmed_since_use; the trim pass takes them
    // from the far ends of the other two, in that order), and those on
    // probation (Worker::on_probation, not trimmed since: see
    // "Probation"). Eviction compares the shards' far ends of each list
    // (EvictOverBudget); the trim pass stops at the first worker used too
    // recently.
    std::list<Worker*> idle_lru;
    std::list<Worker*> trimmed_lru;
    std::list<Worker*> probation_lru;
    int workers = 0;     // alive: idle, busy or being made
    int hibernated = 0;  // idle workers hibernated (Worker::hibernated)
    uint64_t wakes = 0;
    uint64_t made = 0;                // Stats::made, this shard's share
    uint64_t checkouts = 0;  // requests that asked for a worker ("Long tail")
    uint64_t made_new = 0;   // workers made for henvs not coming back (Checkout: "Long tail")
    uint64_t dropped_transient = 0;  // Stats::dropped_transient, this shard's share
    uint64_t evicted_awake = 0;       // Stats::evicted_awake, this shard's share
    uint64_t evicted_hibernated = 0;  // Stats::evicted_hibernated, this shard's share
    uint64_t evicted_on_probation = 0;  // Stats::evicted_on_probation, this shard's share
    uint64_t made_returning = 0;        // Stats::made_returning, this shard's share
    uint64_t prefetched = 0;          // Stats::prefetched, this shard's share
    // What making a worker by copying its henv's bound image costs here,
    // nanoseconds (an average weighted to the recent, 1/8 per copy; 0
    // before the shard's first): the cost a henv whose first worker was
    // made by a capture (a bind or three and a comparison, ~10x more)
    // expects of its next, for kWhenCheaper's choice between hibernating
    // an idle worker and dropping it. Without it, over 10,000 henvs met for
    // the first time, every first worker looked costlier to make than to
    // wake: 0.12-0.61 hibernated a request (the housekeeper's packing,
    // ~0.45-0.75 ms each), woken later at ~0.6 ms where a copy costs less
    // (bench/README.md, forty-second session). Per shard, not the engine's:
    // no figure every copy writes is shared.
    int64_t bound_copy_ns = 0;
    // What a worker holds at the check-in of the request it was made for
    // (FoldIn's running figure; 0 before the first): what the budget holds
    // of (UpdateLongTail). Not the mean of
    // the workers alive: in the long-tail mode those are the few kept for
    // henvs back at once, and with it the mode stayed on with 80% of
    // requests to 2,000 of 10,000 henvs (0.98 workers made a request,
    // where the eviction-based mode kept their workers: 0.15); with this,
    // and with Arena::kDefaultBytes each, it went off (bench/README.md,
    // forty-fourth session).
    int64_t made_bytes = 0;
    int64_t bytes = 0;   // its workers' memory as of their last check-in
    // What of `bytes` the engine's total does not have yet (PublishLocked).
    int64_t unpublished_bytes = 0;
    std::list<Worker*>& LruOf(const Worker& w);  // the list `w` is (or goes) in
  };
  // Probation (eviction over the memory budget, 2Q-like, as InnoDB's
  // midpoint insertion, its share adapted as ARC's). A worker made for a
  // request is on probation until its henv uses it again; over the budget,
  // eviction takes the oldest worker on probation while more than the
  // probation target are, before any other (trimmed or used twice). A
  // henv whose worker was evicted (on probation or past it) within the last
  // (workers / 2) evictions and that comes back gets its next worker past
  // probation, and moves the target: one more when its worker had been on
  // probation (probation was too short for it), one less when past it (the
  // workers used twice were too few); each step weighted, as ARC's, by how
  // many more recent evictions were from the other list (a henv back by
  // chance is likelier from the list most evictions took). The target
  // starts at a quarter of the workers and stays between kProbationWorkers
  // and half of them.
  // Why: henvs in steady use keep their workers while many others are
  // visited once (a crawler, or the long tail of 10,000 henvs): least
  // recently used eviction let those flush them. And no fixed share suits
  // every traffic (bench/README.md, thirty-sixth session; 10,000 henvs,
  // workers made a request): with 80% of requests to 2,000 henvs, 8 on
  // probation 0.15, a quarter 0.21; with each henv asked again 500
  // requests later, 8 on probation 0.72, a quarter 0.38.
  static constexpr int64_t kProbationWorkers = 8;
  static constexpr int64_t kProbationShare = 4;  // the first target: a quarter
  // Evictions so far (the clock HenvPool::evicted_at reads), and the
  // workers alive at the last eviction's count (the window's size);
  // relaxed, written only by eviction (past the budget or the cap).
  std::atomic<uint64_t> evictions_{0};
  // Long tail (EngineOptions::transient_workers). Over many henvs at
  // random most requests make a worker, and each made went into the arena
  // of the least recently used worker, evicted for it: an arena out of
  // every cache (copying the image into it was ~20% of the server's CPU
  // over 10,000 henvs). And a kept worker found again was as cold. While
  // the mode is on, a worker is transient - dropped at its check-in, its
  // arena going warm to the next worker made (the ArenaPool keeps the
  // latest given), counted as an eviction (on probation when made for the
  // request) - unless its henv is back at once: fewer than
  // EngineOptions::long_tail_back_at_once evictions since its last worker
  // went (made), or since it went idle (found). So the kept set drains to
  // the henvs in steady use, and the workers' memory with it (the images
  // stay). A worker made by a capture is dropped only if the capture kept
  // an image.
  // On while, over the last look's checkouts (at least
  // long_tail_min_checkouts: a look that saw fewer leaves the mode as it
  // was and its checkouts to the next), more than half made a worker for a
  // henv not coming back: met for the first time in the process, or not
  // back within half of LongTailWindow() (the eviction window, or the
  // workers the budget holds if more; bench/README.md, forty-first
  // session). While on, "not coming back" is not back within the whole
  // window: the mode ends once the henvs asked would fit the budget,
  // though nothing is kept to evict (forty-third session). The budget need
  // not be full: a server that just started and meets most henvs for the
  // first time (10,000 at random) has the mode on from its first look, so
  // each first visit's worker gives its arena back warm to the next one
  // made, where keeping it put the next first visit in a fresh mapping
  // (~90 pages written for the first time) and filled the budget with
  // workers few henvs came back to: a fresh server's first visits -45% CPU
  // (five pinned pairs, forty-fourth session). A server whose henvs would
  // fit sees the first visits fall under half by its next look or so, and
  // keeps its workers from then on.
  // Relaxed: read at each make, written by UpdateLongTail.
  std::atomic<bool> long_tail_{false};
  std::mutex long_tail_mu_;  // guards the counts as of the last look
  uint64_t long_tail_checkouts_ = 0;
  uint64_t long_tail_made_new_ = 0;
  static constexpr int64_t kLongTailNewShare = 2;  // new makes > checkouts / 2
  // The workers the budget holds, of the size workers are made at
  // (Shard::made_bytes; Arena::kDefaultBytes before the first):
  // UpdateLongTail's, read by LongTailWindow(). Relaxed: a figure.
  std::atomic<int64_t> budget_workers_{0};
  std::atomic<int64_t> workers_at_eviction_{0};
  // The probation target (0: not set yet, a quarter of the workers);
  // moved by makes for returning henvs (NoteMakeLocked), read by
  // eviction. Relaxed: a figure, moved a step at a time.
  std::atomic<int64_t> probation_target_{0};
  // The share of recent evictions that took a worker on probation, in
  // 1/kShareUnit (a moving average over ~1,000 evictions), which weighs
  // the target's steps; and the most one step moves it.
  static constexpr int64_t kShareUnit = 65536;
  std::atomic<int64_t> probation_eviction_share_{kShareUnit / 2};
  static constexpr int64_t kMaxProbationStep = 64;
  // Whether `pool`'s next worker skips probation, having come back soon
  // after its last one's eviction, `since` (EvictionsSince) evictions ago
  // (REQUIRES: its shard's mu).
  enum class Return { kNone, kAfterProbation, kAfterProtected };
  Return ReturnOf(const HenvPool& pool, uint64_t since) const;
  // Evictions since `pool`'s last worker was evicted or dropped (UINT64_MAX
  // when none was since its last make), and the window ReturnOf looks back
  // over half of (the workers alive at the last eviction for room, 16 at
  // least). REQUIRES: `pool`'s shard's mu.
  uint64_t EvictionsSince(const HenvPool& pool) const;
  uint64_t EvictionWindow() const;
  // The long-tail mode's window: the eviction window, or the workers the
  // budget holds (budget_workers_) if more: before the first eviction for
  // room, or while the mode keeps the budget from filling.
  uint64_t LongTailWindow() const;
  // Counts `w`'s eviction (or transient drop) in its shard's books and
  // stamps its pool with the eviction clock, for ReturnOf (REQUIRES: the
  // shard's mu).
  void NoteEvictionLocked(Shard& shard, Worker& w);
  // A worker is made for `pool`: its return (ReturnOf) moves the target,
  // and its evictions are forgotten (REQUIRES: its shard's mu).
  void NoteMakeLocked(HenvPool& pool, Return how);
  // The probation target for `workers` alive, within its bounds.
  int64_t ProbationTargetFor(int64_t workers) const;
  Shard& ShardOf(const HenvPool& pool);
  static size_t ShardIndexOf(const std::string& hash);

  // The pool of henv `hash`, made on first use; pools live as long as the
  // engine. PoolForLocked REQUIRES: the mu of `hash`'s shard held.
  HenvPool& PoolFor(const std::string& hash);
  // Whether `henv` has a router at `version` (looked up once per version);
  // `pool` receives the henv's pool either way.
  bool HasRouter(Henv& henv, int64_t version, HenvPool*& pool);
  HenvPool& PoolForLocked(Shard& shard, const std::string& hash);
  // A worker of `version` for `pool`, reused or created; null with `failed`
  // filled in when none can be had.
  std::unique_ptr<Worker> Checkout(Henv& henv, HenvPool& pool, int64_t version, const ScriptLimits& limits,
                                   ScriptResult& failed);
  void CheckIn(HenvPool& pool, std::unique_ptr<Worker> worker);
  // A blank worker if one is ready (and asks for another), else null.
  std::unique_ptr<Worker> TakeSpare();
  // Hands workers to the housekeeping thread to destroy: freeing a runtime
  // (a full collection) is off the request's path. Those beyond a backlog of
  // kMaxRetired stay in `workers` for the caller to destroy. Takes
  // house_mu_: call with no shard's lock held.
  void Retire(std::vector<std::unique_ptr<Worker>>& workers);
  // Moves the connections of `workers` (about to be retired, already off
  // the books) into `out`, for the caller to shelve: Checkout, when it
  // finds a henv's idle workers stale after a code change, makes the new
  // worker right after, and it finds the connection without waiting for
  // the housekeeper to destroy the old one. (Workers evicted at a check-in
  // are another henv's, the least recently used: the housekeeper shelves
  // theirs as it destroys them, off the request's path.) A move each.
  void TakeConnections(std::vector<std::unique_ptr<Worker>>& workers, std::vector<HeldConnection>& out);
  void Shelve(std::vector<HeldConnection>& connections);
  // The housekeeping thread (low priority): destroys retired workers, keeps
  // options_.spare_workers blank workers ready, and collects the garbage of
  // workers idle for kTrimAfterIdle (a worker keeps up to its live heap's
  // size of garbage between collections: across 100 henvs that ran a burst,
  // tens of MB that nothing would reclaim until their next requests).
  void Housekeep();
  // Trims (and hibernates) every idle worker of every shard not trimmed
  // since its last use and idle since before `cutoff`; returns the bytes
  // their trims gave back to malloc. Holds no lock while it trims.
  int64_t TrimIdle(std::chrono::steady_clock::time_point cutoff);
  // Takes up to a few idle workers of `shard` not trimmed since their last
  // use and idle since before `cutoff` out of their pools (REQUIRES: the
  // shard's mu held).
  std::vector<std::unique_ptr<Worker>> TakeUntrimmedLocked(Shard& shard, std::chrono::steady_clock::time_point cutoff);
  // Settles idle worker `w`, taken out of its pool (checked out, without
  // any lock), as FateOfIdle says: dropped (retired), or rested; then
  // checks it in. Adds what went back to malloc to `freed`; true if it
  // hibernated. The housekeeper's trim pass and HibernateIdleWorkers.
  bool SettleIdle(std::unique_ptr<Worker> w, int64_t& freed);
  // What becomes of an idle worker: kRest trims it and hibernates it
  // (Rest), kRestToMeasure too, though a wake is expected to cost more than
  // a new worker (one decision in kHibernateProbeEvery: that wake is
  // measured), kDrop retires it (Hibernation::kWhenCheaper, when its
  // henv's next worker is expected to cost less made than woken).
  enum class IdleFate { kRest, kRestToMeasure, kDrop };
  IdleFate FateOfIdle(const Worker& w);
  // Trims idle worker `w` (checked out, without any lock) and hibernates it
  // unless hibernation is kNever, marked Worker::hibernated_to_measure with
  // `to_measure`; true if it hibernated.
  bool Rest(Worker& w, bool to_measure);
  // Whether waking `w` (hibernated, or about to be) is expected to cost
  // more than making a worker for its henv (HenvPool::make_ns), by the
  // wakes measured so far (before the first, the start's estimate); with
  // `and_packing` (FateOfIdle: `w` not hibernated yet), the snapshot's
  // packing (pack_ns_per_kib_, the housekeeper's; nothing before one was
  // measured) added to the wake. False while the wake's figure or the
  // make's is unknown. Any thread.
  bool WakeCostsMoreThanMake(const Worker& w, bool and_packing = false) const;
  // Whether Checkout drops idle worker `w` rather than wake it: hibernated
  // (not to measure a wake), and WakeCostsMoreThanMake under
  // Hibernation::kWhenCheaper. REQUIRES: its shard's mu held.
  bool CostlierToWakeThanRemake(const Worker& w) const;
  // Makes `pool`'s next worker (into `worker`, unless its bind failed:
  // then `failure` and `bind_failed`) by capturing the henv's bound image
  // at `version` (BoundImage::Capture; the caller holds no lock), and keeps
  // the image in the pool, counted; null if none was made (then not tried
  // again at that version, unless its bind lacked room, or compiled its
  // code at a code change: then the henv's next worker captures, with the
  // room this one took). `first_capture`: the pool never tried one (the
  // henv's first worker in this process): a bind that compiled is then
  // followed at once by the comparison of two binds from the cache, when
  // it took no longer than EngineOptions::first_capture_max_bind.
  std::shared_ptr<const BoundImage> CaptureBound(Henv& henv, HenvPool& pool, int64_t version,
                                                 const ScriptLimits& limits, size_t bind_bytes, bool first_capture,
                                                 std::unique_ptr<Worker>& worker, ScriptResult::Failure& failure,
                                                 bool& bind_failed);
  // Bound images may hold this fraction of the memory budget at most
  // (1/8: ~9 KB each for a small router, 128 MiB of the default budget
  // holds ~14,000); past it henvs bind as before.
  static constexpr int64_t kBoundImageBudgetShare = 8;
  // A running figure's next value: `sample` folded into `before` with a
  // weight of 1/8 (the recent weighs most), or `sample` itself when
  // `before` is 0 (none yet). Two threads folding at once may lose one
  // sample, which a running figure can afford.
  static constexpr int64_t FoldIn(int64_t before, int64_t sample) {
    return before == 0 ? sample : before + (sample - before) / 8;
  }
  // Folds a wake's measured time into wake_ns_per_kib_.
  void NoteWake(int64_t ns, int64_t arena_bytes);
  // Folds a hibernation's measured packing (Worker::Hibernate) into
  // pack_ns_per_kib_.
  void NotePack(int64_t ns, int64_t arena_bytes);
  // Each this many decisions against hibernating, one hibernates anyway
  // (and its wake is measured), so the figure follows the machine.
  static constexpr uint64_t kHibernateProbeEvery = 64;
  static constexpr std::chrono::seconds kTrimAfterIdle{2};
  // How long an awake worker waits idle before Checkout takes its memory to
  // have left the CPU's caches and prefetches it (Worker::PrefetchMemory).
  // One henv under load reuses its workers within microseconds: no
  // prefetch, which costs ~2 us a request when the memory is cached.
  static constexpr std::chrono::milliseconds kCacheColdAfter{1};
  // The idle worker a checkout of `pool` takes: the most recently used of
  // those awake, else the last hibernated; pool.idle.end() when none. And
  // whether that worker is awake and idle since kCacheColdAfter before
  // `now` (out of the caches: prefetched). REQUIRES: `pool`'s shard's mu.
  static std::vector<std::unique_ptr<Worker>>::iterator IdleToTakeLocked(HenvPool& pool);
  static bool ColdAt(const Worker& w, std::chrono::steady_clock::time_point now);
  // Moves into `out` idle workers of `shard` unused since before `cutoff`
  // whose pool keeps another worker (idle or busy), least recently used
  // first, at most kMaxShedPerPass; the caller forgets and retires them.
  // REQUIRES: the shard's mu held.
  void ShedSurplusLocked(Shard& shard, std::chrono::steady_clock::time_point cutoff,
                         std::vector<std::unique_ptr<Worker>>& out);
  static constexpr size_t kMaxShedPerPass = 32;
  // Whether the books (as published) are past the memory budget or the
  // connection cap; any thread, no lock.
  bool OverBudget() const;
  // Evicts idle workers until the books are within the budget and the cap
  // (or no idle worker is left to evict), and retires them: over the
  // budget, on probation first as "Probation" says; then (and over the cap,
  // among those holding a connection) the trimmed least recently used
  // first, then the least recently used. Locks one shard at a time: call with
  // none held.
  void EvictOverBudget();
  // Makes `w`'s route reach its pool's when it is the first known for a
  // newer version; forgets the version's when `w` saw its routes change
  // (REQUIRES: the pool's shard's mu held).
  void PublishReachLocked(HenvPool& pool, const Worker& w);
  // Makes `routing` `pool`'s (REQUIRES: the pool's shard's mu held: writers
  // build each new copy from the last one under it).
  void PublishRoutingLocked(HenvPool& pool, PoolRouting routing);
  // The pool of `hash` if one exists, found without a lock once this thread
  // has met it (a thread-local map per engine; pools are never destroyed
  // before the engine). Any thread.
  HenvPool* KnownPool(const std::string& hash) const;
  // The pool of `henv` if one exists, kept in the henv itself
  // (Henv::EngineSlot) once found, and with `routing`, when given, its
  // current routing copy (from a small thread-local cache). Any thread;
  // what the I/O loops call for every document.
  HenvPool* KnownPool(Henv& henv, std::shared_ptr<const PoolRouting>* routing) const;
  // Brings `shard`'s books up to date with `w`, and the engine's count of
  // connections (REQUIRES: its mu held).
  void AccountLocked(Shard& shard, Worker& w);
  // Adds what `shard`'s memory moved by to the engine's total once it is a
  // batch (publish_batch_bytes_) or more, or with `now` whatever it is
  // (REQUIRES: its mu held).
  void PublishLocked(Shard& shard, bool now = false);
  // Accounts checked-out worker `w` as it is now (a request about to be
  // parked), evicting idle workers over the budget or the connection cap.
  void AccountBusy(Worker& w);
  // Removes workers about to be destroyed (all of `shard`) from the books:
  // their memory, connections and count (REQUIRES: its mu held).
  void ForgetLocked(Shard& shard, const Worker& dropped);
  void ForgetLocked(Shard& shard, const std::vector<std::unique_ptr<Worker>>& dropped);

  const EngineOptions options_;
  const uint64_t id_;  // unique in the process: KnownPool's thread-local caches and Henv::EngineSlot tell engines apart by it
  // Outlives every worker (the pools' and those retired): a destroyed
  // worker puts its connection here. Its own lock.
  ConnectionShelf connection_shelf_;
  // (Declared before the members that hold workers, which refer to their
  // pools: destroyed after them.)
  mutable std::array<Shard, kShards> shards_;
  // The shards' memory added up, each shard's changes added once they reach
  // publish_batch_bytes_ (so the total lags the truth by less than
  // kShards batches: 1/16 of the budget), and the workers' connections
  // (changed at once: a worker's first query, its destruction); read
  // without a lock by OverBudget. Written about once per batch of a shard's
  // requests, not per request.
  std::atomic<int64_t> published_bytes_{0};
  std::atomic<int> published_connections_{0};
  const int64_t publish_batch_bytes_;
  // Set when the published memory nears the budget (stored only when it
  // changes); read without a lock: workers then shed their kept memory
  // (and much garbage) before check-in, which costs far less than evicting
  // idle workers and re-creating them.
  std::atomic<bool> memory_pressure_{false};
  // Sheds what `worker` holds beyond its live heap under memory pressure
  // (Worker::Shed), then checks it in.
  void Release(HenvPool& pool, std::unique_ptr<Worker> worker);
  // The housekeeper's: blank workers ready, workers to destroy, and its
  // wake-up.
  std::mutex house_mu_;
  std::vector<std::unique_ptr<Worker>> spares_;   // guarded by house_mu_
  std::vector<std::unique_ptr<Worker>> retired_;  // guarded by house_mu_
  bool spares_failed_ = false;                    // guarded by house_mu_
  bool stopping_ = false;                         // guarded by house_mu_
  std::condition_variable housekeeping_wanted_;
  // Stats::hibernations: written by the housekeeper (and HibernateIdleWorkers'
  // caller), read by stats().
  std::atomic<uint64_t> hibernations_{0};
  // Hibernation::kWhenCheaper's books: what a wake costs, nanoseconds per
  // KiB of arena (an average weighted to the recent: 1/8 per wake; until
  // the first, which replaces it, EngineOptions::estimate_wake_at_start's
  // estimate, or 0), written by the thread that woke a worker, read by any;
  // whether a wake was measured yet; decisions against hibernating so far
  // (for the probes); and the drops counted in Stats. Relaxed: figures, not
  // synchronization.
  std::atomic<int64_t> wake_ns_per_kib_{0};
  // What hibernating costs the housekeeper, nanoseconds per KiB of arena
  // (Worker::Hibernate: the arena compared with its image, the difference
  // packed with LZ4HC, the pages given back; ~0.45-0.75 ms for a small
  // router's worker); an average as wake_ns_per_kib_'s, 0 before the
  // first; written by the housekeeper (HibernateIdleWorkers' caller). A
  // worker dropped instead costs nothing now, so kWhenCheaper weighs it
  // with the wake against a make (WakeCostsMoreThanMake).
  std::atomic<int64_t> pack_ns_per_kib_{0};
  std::atomic<bool> wake_measured_{false};
  std::atomic<uint64_t> hibernate_refusals_{0};
  std::atomic<uint64_t> dropped_idle_{0};
  std::atomic<uint64_t> dropped_not_woken_{0};
  std::atomic<int64_t> bound_bytes_{0};  // held by the pools' bound images
  std::atomic<int> bound_images_{0};
  std::atomic<uint64_t> made_bound_{0};
  std::atomic<uint64_t> bound_failures_{0};
  std::thread housekeeper_;  // started last, in the constructor body

  // Requests parked while their handler awaits a timer (RunAsync).
  struct Parked {
    std::shared_ptr<Henv> henv;
    HenvPool* pool = nullptr;
    std::unique_ptr<Worker> worker;
    ScriptDone done;   // empty once called: a streamed response's head went out
    int64_t js_ns = 0;  // JavaScript time so far (dispatch and resumptions)
    int64_t db_ns = 0;  // of which in SQLite
  };
  // Parks `p` when `result` is kPending (calling done with the head first
  // when it is streaming); else releases its worker and calls done (unless
  // it was called for a streamed head: the stream ended with the request).
  void Conclude(std::unique_ptr<Parked> p, ScriptResult result);
  void Wake();  // the waker thread: hands due requests to the executor
  Executor resume_executor_;  // set before use, then read-only
  std::mutex parked_mu_;
  std::condition_variable parked_cv_;
  std::multimap<std::chrono::steady_clock::time_point, std::unique_ptr<Parked>> parked_;  // guarded by parked_mu_
  bool waker_stopping_ = false;  // guarded by parked_mu_
  std::thread waker_;
};

// The QuickJS release compiled in ("2025-04-26"), for `hbf --version`.
std::string QuickJsVersion();

}  // namespace hbf::js
