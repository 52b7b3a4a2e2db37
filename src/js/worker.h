// Internal to src/js (the QuickJS adapter layer): one QuickJS runtime + context + SQLite connection with
// a henv's router loaded. See engine.h for the model.
//
// Thread affinity: a Worker is used by one thread at a time; Dispatch() and
// Create() re-anchor QuickJS's stack check to the calling thread.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

extern "C" {
#include <quickjs.h>
}

#include "core/json.h"
#include "db/database.h"
#include "db/documents_epoch.h"
#include "http/response_stream.h"
#include "js/allocator.h"
#include "js/engine.h"
#include "js/route_reach.h"
#include "js/worker_image.h"

namespace hbf::js {
namespace internal {
class RepeatedStrings;
}  // namespace internal

class BoundImage;
class ConnectionShelf;

// Compiled module bytecode shared by a henv's workers, keyed by each
// document's id and its exact source: a worker binding compares the source
// it read (a memcmp; scripts may rewrite documents with plain SQL, which
// leaves the etag column behind) instead of hashing it (SHA-256 of a 3 KB
// router was ~0.1M instructions a bind).
class BytecodeCache {
 public:
  // Bytecode for document `id` compiled from `source`, if cached.
  std::shared_ptr<const std::vector<uint8_t>> Find(const std::string& id, std::string_view source);
  void Store(const std::string& id, std::string source, std::vector<uint8_t> bytecode);

 private:
  struct Entry {
    std::string source;
    std::shared_ptr<const std::vector<uint8_t>> bytecode;
  };
  std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;  // guarded by mu_
};

// The documents a henv's server code has loaded as modules or rendered as
// templates: they are not served by path (documents/visibility.h). Only
// grows for the life of the process (a document stops being code only by
// being deleted or by a restart), so a module once imported stays private.
class ServerCodeSet {
 public:
  void Note(std::string_view id) {
    std::lock_guard lock(mu_);
    if (ids_.size() < kMaxIds) ids_.emplace(id);
  }
  bool Contains(const std::string& id) const {
    std::lock_guard lock(mu_);
    return ids_.count(id) != 0;
  }

 private:
  static constexpr size_t kMaxIds = 100000;
  mutable std::mutex mu_;
  std::unordered_set<std::string> ids_;  // guarded by mu_
};

// Per-henv bookkeeping, owned by JsEngine; `idle`, `busy`,
// `broken_version` and `broken_failure` are guarded by the mutex of the
// engine's shard `shard` (JsEngine: "Thread safety"), as are writes of
// `routing` (read without it); the rest is set when the pool is made or
// thread-safe on its own.
struct HenvPool {
  std::string hash;
  size_t shard = 0;  // which of the engine's shards holds it (by `hash`)
  // Where its destroyed workers' connections wait for its next ones (the
  // engine's; null: none kept). Set when the pool is made.
  ConnectionShelf* shelf = nullptr;
  std::vector<std::unique_ptr<Worker>> idle;
  int busy = 0;  // checked out or being created
  std::condition_variable available;
  // What its next worker is expected to cost to make, nanoseconds on the
  // requesting thread: what its last one cost (a blank one bound, one
  // created, or one copied from its bound image), or after a capture that
  // kept an image what copies of such images cost (its shard's
  // JsEngine::Shard::bound_copy_ns); 0: none made yet. Written by the maker, read by the
  // housekeeper and checkouts (relaxed: a figure).
  std::atomic<int64_t> make_ns{0};
  // The last version whose router failed to load, and why (so a broken
  // router does not cost a new worker per request).
  int64_t broken_version = -1;
  ScriptResult::Failure broken_failure;
  // Its workers made bound by copying (bound_image.h): the image once
  // captured (its version is the code's it was bound at), the room a
  // capture at a version needs (set when a capture's bind there compiled
  // its code or outgrew the room it had: what that bind's worker held,
  // arena and malloc), and the last version a capture failed at (not
  // tried again at it).
  std::shared_ptr<const BoundImage> bound;
  int64_t capture_room_version = -1;
  size_t capture_room_bytes = 0;
  int64_t bound_failed_version = -1;
  bool capturing = false;  // one capture at a time
  // JsEngine::evictions_ as of the last eviction of one of its workers (0:
  // none; cleared when its next worker is made), and whether that worker
  // was on probation: its next worker skips probation when that was
  // recent, and the engine's probation target moves (JsEngine:
  // "Probation"). Guarded by its shard's mu.
  uint64_t evicted_at = 0;
  bool evicted_on_probation = false;
  // Whether _system/router.js exists and the router's reach (PoolRouting),
  // as one immutable copy: replaced whole under its shard's lock, read
  // without it (JsEngine::HasRouter per script request, NoRouteTakes on the
  // I/O loops). `routing_changes` moves on with each copy, so a reader keeps
  // its own until that counter moves (a value every core reads and only a
  // change writes: no cache line bounces). The reach is published by the
  // workers as they check in; null at its version: unknown for good (a
  // worker saw its router build layers after its reach was taken).
  std::atomic<std::shared_ptr<const PoolRouting>> routing{std::make_shared<const PoolRouting>()};
  std::atomic<uint64_t> routing_changes{0};
  BytecodeCache bytecode;
  ServerCodeSet server_code;  // thread-safe on its own, like `bytecode`
  auth::LoginThrottle* login_throttle = nullptr;    // the engine's; thread-safe
  auth::LoginThrottle* address_throttle = nullptr;  // likewise
  HenvLogHub* logs = nullptr;                       // the engine's (console output); thread-safe
  WsHub* ws_hub = nullptr;                          // the engine's (hbf:ws); thread-safe
};

class Worker {
 public:
  // Creates a runtime for `henv` at code version `version` and loads its
  // router: CreateBlank() then Bind(). On failure returns the script error to
  // answer with.
  static std::unique_ptr<Worker> Create(Henv& henv, HenvPool& pool, int64_t version, const ScriptLimits& limits,
                                        ScriptResult::Failure& failure, bool copy = true);
  // A runtime with the built-ins loaded (hbf:bootstrap, hbf:http) and no
  // henv: no tenant code has run in it and it can reach no henv's data.
  // JsEngine keeps a few ready so a henv's first request only binds one.
  // With `copy`, a copy of the process's WorkerImage (worker_image.h) when
  // there is one, else built.
  static std::unique_ptr<Worker> CreateBlank(const ScriptLimits& limits, ScriptResult::Failure& failure,
                                             bool copy = true);
  // Makes a blank worker `henv`'s, at `version`: its own sandboxed connection,
  // the henv's limits, its router loaded. Once only; on failure drop the worker.
  bool Bind(Henv& henv, HenvPool& pool, int64_t version, const ScriptLimits& limits,
            ScriptResult::Failure& failure);
  // A worker of `henv` at `bound`'s version made by copying `bound`
  // (bound_image.h): what Bind would have made, without running the
  // router's top-level code again. Null (and `failure`) only if memory ran
  // out.
  static std::unique_ptr<Worker> CreateBound(const BoundImage& bound, Henv& henv, HenvPool& pool,
                                             const ScriptLimits& limits, ScriptResult::Failure& failure);
  // Whether its Bind left nothing but its own heap: no connection opened,
  // no timer, no log line or WebSocket call, no state held outside the
  // runtime. Only such a bind may be captured as a BoundImage (a copy skips
  // the bind, so it would skip those effects too). Read after Bind.
  bool bind_left_only_its_heap() const;
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Runs the router for `request`. With `may_suspend`, a handler that awaits
  // a timer makes this return kPending (wake_at: when to Resume()) instead
  // of sleeping; the worker then stays with that request until it ends.
  ScriptResult Dispatch(const ScriptRequest& request, const ScriptLimits& limits, bool may_suspend = false);
  // Continues a request that returned kPending; may return kPending again.
  ScriptResult Resume();

  // Renders a template with hbf:templates: `target` is a document id, or
  // source when `is_source`; `data_json` the locals as a JSON object.
  ScriptResult Render(const std::string& target, bool is_source, const std::string& data_json,
                      const ScriptLimits& limits);


  // JsEngine::CheckCode on this (blank) worker: compiles, runs nothing,
  // and leaves the worker not reusable.
  std::vector<JsEngine::CodeProblem> CheckSource(const std::string& id, const std::string& source,
                                                 const ScriptLimits& limits);

  int64_t code_version() const { return version_; }
  // The router's reach as Bind took it (null: unknown, or no router), and
  // whether the router built layers since (native routesChanged).
  const std::shared_ptr<const RouteReach>& route_reach() const { return route_reach_; }
  bool routes_changed() const { return routes_changed_; }
  HenvPool& pool() const { return *pool_; }
  // False once the worker hit a limit or an internal failure.
  bool reusable() const { return reusable_; }
  // Never reuse this worker (its state is unknown after a C++ failure).
  void Retire() { reusable_ = false; }
  // Asks the CPU to fetch the worker's runtime (its arena) before a request
  // runs on it. Why: a worker idle long enough for other workers' requests
  // to have passed through the caches (1,000 henvs: most requests) meets
  // its objects, shapes and atoms as cache misses one after another, each
  // load waiting for the last (the interpreter chases pointers); prefetched,
  // the memory system fetches them side by side. A copy of the image
  // fetches the image's lines its requests read (image_profile.h) and what
  // it carved past the image; a built worker (or a copy without a
  // profile), its whole arena. What is fetched line by line from the
  // arena (all but the profile's lines) is Arena::kMaxPrefetchBytes at
  // most. Only the running thread calls it.
  void PrefetchMemory() const { Prefetch(memory_span()); }
  // What PrefetchMemory fetches, read by a thread that does not own the
  // worker (the engine, under its shard's lock, while the worker is idle),
  // and fetched after, by any thread: a prefetch never faults, so the span
  // of a worker destroyed meanwhile costs only wasted fetches.
  struct MemorySpan {
    const char* base = nullptr;  // its arena; null: nothing
    size_t used = 0;             // carved so far
    bool from_image = false;     // a copy of the image: its profile's lines first
  };
  MemorySpan memory_span() const;
  static void Prefetch(const MemorySpan& span);
  // Its arena: where it is, and the bytes carved so far (the build's image
  // profiler traces requests' accesses to it: tools/image_profile.cpp).
  const char* arena_base() const { return memory_.arena.base(); }
  size_t arena_used_bytes() const { return memory_.arena.used_bytes(); }
  // What it holds: its runtime's blocks, or, hibernated, the snapshot of
  // its arena and its malloc blocks.
  int64_t memory_bytes() const {
    return hibernation_ ? hibernated_bytes_ : memory_.bytes.load(std::memory_order_relaxed);
  }
  // Of those, what came from malloc (and goes back to it when the worker
  // is destroyed; the rest is its arena's mapping). Thread: the worker's
  // owner.
  int64_t malloc_bytes() const { return memory_.MallocBytes(); }
  // Whether destroyed workers' runtimes are dropped whole (true, the
  // default: only finalizers that reach outside a runtime's memory run) or
  // freed value by value (JS_FreeRuntime). For A/B measurement; any thread.
  static void SetDropWhole(bool whole);
  // Its connection to the henv's file, moved out, with the listener it
  // reports to; none when it holds none. For a worker about to be
  // retired: its connection is shelved at once (JsEngine::Shelve).
  std::optional<HeldConnection> ReleaseConnection();
  // Its open connections to the henv's file (its own, req.db's): each holds
  // descriptors. A blank worker's scratch database is in memory: none.
  int file_connections() const { return (db_ && !db_path_.empty() ? 1 : 0) + (user_db_ ? 1 : 0); }
  // Time spent in SQLite on this worker's connections so far (the app's
  // and its users'): the engine takes the difference around each run.
  int64_t db_ns() const {
    return (db_ ? db_->busy_ns() : 0) + (user_db_ ? user_db_->busy_ns() : 0);
  }
  // Collects garbage now (a full collection, unless it made less than
  // kTrimMinGarbage since the last) and releases its connections' page
  // caches, so an idle worker holds about its live heap and its schemas
  // (the engine asks for it once a worker has been idle a while).
  void Trim();
  // Under memory pressure, at check-in: gives back the pages of the
  // allocator's kept blocks and the connections' page caches, and collects the garbage only
  // if there is much of it (more than a quarter of the live heap, and 64
  // KiB). A full collection walks the whole live heap, ~500k instructions
  // for the bench app's worker, three times a /hello's own work, to win
  // back the ~10 KB of cycles one request leaves.
  void Shed();

  // Hibernation, for an idle worker (the engine's, once trimmed): its
  // arena becomes a snapshot of what differs from the image it was copied
  // from (worker_image.h's ArenaSnapshot, packed: ~10 KB against ~380
  // for a small router, ~110 against ~470 for the bench app's after a
  // template), its pages go back to the system, and its connection to the
  // henv's file goes to the shelf. Wake() writes the arena back, at the
  // same addresses: the worker is as it was (its module state included). Nothing may touch
  // its runtime in between. False, and the worker as it was, when it is not
  // a copy of the image, its runtime holds objects whose finalizers reach
  // outside it (QuickJS patch 0023), or the system refused. Thread: its
  // owner's (the housekeeper's, then a request's); hibernated() is read by
  // the engine under its shard's lock while the worker is idle.
  bool Hibernate();
  // Whether Hibernate() would take it (short of the system refusing).
  bool CanHibernate() const;
  // False (the worker still hibernated, fit only to be destroyed) when out
  // of memory to unpack its snapshot.
  bool Wake() noexcept;
  bool hibernated() const { return hibernation_ != nullptr; }

  // The fields below are the engine's, guarded by the lock of its pool's
  // shard (JsEngine: "Thread safety") while the worker is idle.
  // Its place in its shard's idle, probation or trimmed list (Shard::LruOf).
  std::list<Worker*>::iterator lru_position;
  // memory_bytes() as last added to its shard's books.
  int64_t accounted_bytes = 0;
  // file_connections() as last added to its shard's books.
  int accounted_connections = 0;
  // When it last finished a request (both lists are in this order, and
  // eviction compares the shards' far ends by it), and whether its garbage
  // has been collected since.
  std::chrono::steady_clock::time_point idle_since{};
  bool trimmed_since_use = false;
  // Made and used once, not yet used again (JsEngine: "Probation"); its
  // place is then its shard's probation list, unless trimmed since.
  bool on_probation = false;
  // To be dropped at its check-in, not kept (JsEngine: "Long tail"): made,
  // or found cold, in the long-tail mode for a henv not back at once. Set
  // at its checkout.
  bool transient = false;
  // Made for the request it runs (its size at the check-in is what a
  // worker costs the budget: JsEngine::Shard::made_bytes).
  bool made_for_request = false;
  // The engine's eviction clock when it last finished a request (JsEngine:
  // "Long tail": found long_tail_back_at_once evictions or more later, it
  // is cold).
  uint64_t idle_at_eviction = 0;
  // Hibernated although a wake was expected to cost more than a new worker
  // (a probe, EngineOptions::Hibernation::kWhenCheaper): its henv's next
  // request wakes it, and the wake is measured.
  bool hibernated_to_measure = false;

  // setTimeout & co. (hbf:native setTimer): they run only while a request is
  // being served and are cancelled when it ends.
  struct Timer {
    std::chrono::steady_clock::time_point due;
    int64_t interval_ms = -1;  // >= 0: repeats
    JSValue fn;
  };

  // Accounting and kept blocks for QuickJS's allocator (see allocator.h).
  using Memory = internal::RuntimeMemory;

 private:
  Worker();
  friend struct WorkerAccess;
  friend class WorkerImage;  // captures a template's fields, sets a copy's
  friend class BoundImage;   // likewise, for a bound worker

  // CreateBlank's build: the runtime made and the built-ins evaluated; as a
  // template for WorkerImage, the runtime in one zeroed arena.
  static std::unique_ptr<Worker> Build(const ScriptLimits& limits, ScriptResult::Failure& failure, bool as_template);

  // Set once by Bind(). Not the Henv itself: an idle worker may outlive an
  // evicted Henv object.
  std::string henv_hash_;
  // Where this henv's committed row changes go (its connections'), or null.
  std::shared_ptr<db::ChangeListener> change_listener_;
  HenvPool* pool_ = nullptr;
  int64_t version_ = -1;
  Memory memory_;
  JSRuntime* rt_ = nullptr;   // owned
  JSContext* ctx_ = nullptr;  // owned
  // The henv's file (set by Bind; empty in a blank worker) and the
  // worker's connection to it, opened by Connection() on first use: a
  // script that never touches the database never opens a second connection
  // or parses the schema again (Bind reads the router through the henv's).
  std::string db_path_;
  // The henv file's documents epoch (db/documents_epoch.h), for
  // hbf:templates to keep what it read across renders; set at bind.
  std::shared_ptr<db::DocumentsEpoch> documents_epoch_;
  std::optional<db::Database> db_;
  int db_busy_timeout_ms_ = 100;
  int64_t db_value_limit_bytes_ = 0;  // LimitForScripts: half the heap limit
  bool deadline_armed_ = false;       // loading or serving: db_ gets deadline_
  int64_t storage_bytes_wanted_ = -1;  // the request's quota, applied on open
  // The henv being bound, while Bind runs (it may not outlive the call).
  Henv* binding_henv_ = nullptr;
  // Set while binding by what reaches outside the runtime (the henv's log,
  // its WebSockets): see bind_left_only_its_heap().
  bool bind_reached_out_ = false;
  bool compiled_ = false;  // a module compiled here (WorkerAccess::NoteCompiled)
  // Bind's part that is the henv's, not its code's: which henv, its limits,
  // its file (CreateBound sets the same).
  void TakeHenv(Henv& henv, HenvPool& pool, int64_t version, const ScriptLimits& limits);
  // The worker's connection: db_, opened now if it is not yet (the henv's
  // file, or an empty in-memory database for a blank worker, whose
  // built-ins touch no henv). The deadline and the quota of the run in
  // progress apply to it.
  Result<db::Database*> Connection();
  // QueryValue(sql, {path}) for reading a document as code (the router, a
  // module): on the worker's connection once it is open (a script sees its
  // own uncommitted writes), else while binding through the henv when its
  // connection is free (Henv::ReadForBind: a dormant henv's unchanged file
  // answers from the last bind's reads), else on the worker's, opened now.
  Result<std::optional<db::Value>> QueryDocument(std::string_view sql, const std::string& path);
  JSValue dispatch_fn_;  // hbf:http's dispatch, owned
  // The request object Dispatch passes to dispatch_fn_ (`raw`), made by
  // the image's templates (a copy has it; a built worker makes it on its
  // first request) and refilled for each request: its fields always exist, so no
  // request adds properties to it (in QuickJS every added property may
  // reshape and reallocate an object). Only hbf:http's dispatch sees it, and
  // nothing there keeps it past the call. Owned; with its field names as
  // atoms (RawField order), then the names Continue reads from dispatch's
  // result (ResultField order, worker_dispatch.cpp).
  JSValue raw_;
  std::vector<JSAtom> raw_atoms_;
  JSValue TakeRaw();
  // (a template only: worker_image.h) One request through hbf:http's
  // dispatch with a Router of one route, its garbage collected young, and
  // shape transitions then paused: the shapes a request's objects pass
  // through (req, res, the exchange, the router's walk) are kept in the
  // image (QuickJS patches 0005, 0028) instead of made by every copy's
  // first request. Best effort: without hbf:router, or on any failure,
  // nothing is kept.
  void WarmRequestShapes();
  // The strings requests repeat (js_values.h), made on the first request,
  // let go when the worker hibernates or goes (owned values of its runtime).
  std::unique_ptr<internal::RepeatedStrings> strings_;
  void ForgetStrings();
  JSValue reach_fn_;     // hbf:http's routeReach, owned
  JSValue router_;       // the router module's default export, owned
  bool has_router_ = false;
  std::shared_ptr<const RouteReach> route_reach_;
  bool routes_changed_ = false;  // set by native routesChanged (any thread that runs this worker)
  // Asks hbf:http's routeReach for the loaded router's reach (Bind).
  void TakeRouteReach();
  // Hands db_, if open on the henv's file, to the pool's shelf for the
  // henv's next worker (the destructor's last step).
  void ShelveConnection();
  // Suspension (Dispatch with may_suspend): the dispatch promise while the
  // request waits for a timer, owned; and when it should go on.
  bool may_suspend_ = false;
  JSValue pending_;
  // A streamed response (res.write() before the handler waited; natives.cpp
  // streamWanted/streamWrite/streamEnd): the callback that hands over the
  // head and the chunks written so far (owned; undefined when none is
  // wanted), and the stream once the head is out. Both end with the request.
  JSValue stream_start_;
  std::shared_ptr<ResponseStream> stream_;
  // The UTF-8 of the last string body a native converted during this
  // request (etag, for res.send), and that string (owned; undefined when
  // none): the response reads the same string as its body, and takes these
  // bytes instead of converting it a second time. Ends with the request.
  JSValue body_utf8_of_;
  std::string body_utf8_;
  // Whether this request's response may be streamed: it may suspend (the
  // engine's RunAsync), and it is neither HEAD nor a WebSocket upgrade/event.
  bool streamable_ = false;
  // When the head is out, a kPending result for the engine to answer now.
  bool StartStream(ScriptResult& result);
  std::chrono::steady_clock::time_point wake_at_{};
  // Settles a dispatch's return value (or its promise) into the result.
  ScriptResult Continue(JSValue ret);
  std::chrono::steady_clock::time_point deadline_{};
  bool timed_out_ = false;
  bool reusable_ = true;
  bool copied_from_image_ = false;  // a copy of WorkerImage (not built): may hibernate
  std::unique_ptr<ArenaSnapshot> hibernation_;  // while hibernated: the arena as it was
  int64_t hibernated_bytes_ = 0;                // memory_bytes() while hibernated
  // Cycle collection between requests (see CollectCycles).
  int64_t gc_live_bytes_ = 0;     // heap after the last collection
  int64_t gc_max_headroom_ = 0;  // 1/16 of the heap limit, at least 1 MiB
  int64_t gc_headroom() const { return std::clamp<int64_t>(gc_live_bytes_, 1 << 20, gc_max_headroom_); }
  // Collects the young generation's cycles (each request's end), and all
  // cycles when the garbage is due (or `force`), then re-arms
  // QuickJS's own trigger above the live heap.
  void CollectCycles(bool force);
  // Gives back what Trim and Shed both drop: the pages of its allocator's
  // kept blocks, the connections' page caches; and retires the worker if
  // its allocator still keeps more than kMaxKeptBytes and more than its
  // heap uses.
  void ReleaseKept();
  static constexpr int64_t kMaxKeptBytes = 1 << 20;
  // Garbage (heap growth since the last full collection) below which Trim
  // skips the full collection.
  static constexpr int64_t kTrimMinGarbage = 16 << 10;

  std::map<int64_t, Timer> timers_;
  int64_t next_timer_id_ = 1;
  // Waits for the earliest timer (never past the deadline) and runs it.
  // Returns false when there is no timer; sets `failure` if it threw fatally.
  bool RunNextTimer(bool& fatal);
  void CancelTimers();

  // Runs the job queue (and timers) until `promise` settles. Consumes
  // `promise`; `out` receives the value (kValue) or the exception (kException).
  enum class Settled { kValue, kException, kNoProgress, kTimedOut, kWaiting };
  Settled Drive(JSValue promise, JSValue& out);
  // Imports module `name` and returns its namespace (kValue) or why not.
  Settled Import(const char* name, JSValue& out);
  // Import() for loading: true with `ns` owned, or false with `failure` set.
  bool Load(const char* name, JSValue& ns, ScriptResult::Failure& failure);
  // Bind's second half: whether the henv has a router, and loading it.
  bool LoadRouter(ScriptResult::Failure& failure);
  // Heap and stack limits of the runtime, the GC headroom they imply, and
  // the largest value a statement may build (half the heap limit).
  void ApplyLimits(const ScriptLimits& limits);
  // Records a thrown value as the request's failure (a limit discards the
  // worker). Consumes `exc`.
  void Fail(ScriptResult& result, JSValue exc);
  // Settles `ret` (a call's return value) through Drive(). On success returns
  // true and `value` owns the result; otherwise `result` holds the failure,
  // using `timeout_message`, and `no_progress` for a promise nothing can settle.
  bool Settle(JSValue ret, JSValue& value, ScriptResult& result, const char* timeout_message,
              const ScriptResult::Failure& no_progress);
  // Starts a request: stack anchor, deadline, change counter.
  void BeginRequest(const ScriptLimits& limits);
  // Ends it: pending jobs, timers, open transaction; fills wrote_database.
  void EndRequest(ScriptResult& result);
  int64_t changes_before_ = 0;
  // req.db (user_db.h): a second connection, opened on first use, whose
  // tables are guarded; the schema version its guarded tables were made
  // for; the current request's user (null: anonymous).
  std::optional<db::Database> user_db_;
  int64_t user_db_schema_ = -1;
  Json current_user_;
  std::string current_ip_;  // the request's client address (hbf:auth's login throttle)
  // The request's method and path (without its query), for the henv's log
  // entries of console output; cleared when the request ends.
  std::string current_method_;
  std::string current_path_;
  std::string current_request_id_;  // X-Request-Id of the request being served (henv log entries)
  int64_t storage_bytes_ = -1;  // the bound last applied to db_ (-1: none yet, or db_ not open)

  // Formats the resolver reported for module ids ("esm", "cjs", "json").
  std::unordered_map<std::string, std::string> module_formats_;
  bool stub_imports_ = false;  // see WorkerAccess::StubImports
  // Built-in modules loaded into this context, by id (owned by the context).
  std::unordered_map<std::string, JSModuleDef*> builtin_modules_;
};

}  // namespace hbf::js
