#include "js/worker.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "core/log.h"
#include "henv/schema.h"
#include "js/allocator.h"
#include "js/bound_image.h"
#include "js/connection_shelf.h"
#include "js/js_values.h"
#include "js/module_loader.h"
#include "js/worker_access.h"
#include "js/worker_failure.h"
#include "js/worker_image.h"

namespace hbf::js {

using internal::Builtins;
using internal::DescribeException;
using internal::InternalFailure;
using internal::IsInterrupted;
using internal::kMallocFunctions;
using internal::LoadModule;
using internal::NormalizeModule;
using internal::PropString;
using internal::Scoped;
using internal::ToStdString;
using internal::Undefined;

namespace {

// Shapes the image's shape hash holds room for: the image's own and what a
// small router's first request adds (the tenants' router's crossed 128,
// doubling the table to 512 entries; massif, bench/README.md).
constexpr int kTemplateShapes = 256;

// QuickJS makes a built-in method (and Math, JSON) on its first use in each
// runtime. These are what binding an hbf:router app and answering its
// first request use (found by logging QuickJS's JS_AutoInitProperty for
// the tenants' router and the bench app): made here, they are in the
// image every blank worker is copied from (worker_image.h), and a new
// worker does not make them again (~48k of the ~450k instructions of a
// bind, callgrind; bench/README.md). A failure only leaves them lazy.
void InstantiateCommonBuiltins(JSContext* ctx) {
  static constexpr char kTouch[] =
      "void [Object.create, Array.isArray, Number.isInteger, Math.max, JSON.stringify,"
      " Function.prototype[Symbol.hasInstance], Array.prototype.map, Array.prototype.includes,"
      " String.prototype.includes, String.prototype.endsWith, String.prototype.toLowerCase,"
      " String.prototype.replace, String.prototype.slice, String.prototype.indexOf,"
      " RegExp.prototype.test, RegExp.prototype.exec, RegExp.prototype[Symbol.replace],"
      " Map.prototype.get, Map.prototype.set, Map.prototype.has, Map.prototype.forEach, Set.prototype.has];";
  JSValue done = JS_Eval(ctx, kTouch, sizeof kTouch - 1, "<builtins>", JS_EVAL_TYPE_GLOBAL);
  if (JS_IsException(done)) JS_FreeValue(ctx, JS_GetException(ctx));
  JS_FreeValue(ctx, done);
}


using Clock = std::chrono::steady_clock;

int InterruptHandler(JSRuntime*, void* opaque) {
  Worker* w = static_cast<Worker*>(opaque);
  if (Clock::now() > WorkerAccess::Deadline(*w)) {
    WorkerAccess::MarkTimedOut(*w);
    return 1;
  }
  return 0;
}

}  // namespace

// ------------------------------------------------------------------- Worker

Worker::Worker()
    : dispatch_fn_(Undefined()),
      raw_(Undefined()),
      reach_fn_(Undefined()),
      router_(Undefined()),
      pending_(Undefined()),
      stream_start_(Undefined()),
      body_utf8_of_(Undefined()) {}

void Worker::CancelTimers() {
  for (auto& [id, timer] : timers_) JS_FreeValue(ctx_, timer.fn);
  timers_.clear();
}

bool Worker::RunNextTimer(bool& fatal) {
  fatal = false;
  if (timers_.empty()) return false;
  auto next = timers_.begin();
  for (auto it = timers_.begin(); it != timers_.end(); ++it) {
    if (it->second.due < next->second.due) next = it;
  }
  if (next->second.due > deadline_) {
    // It would fire after the request's deadline: the request runs out of time.
    std::this_thread::sleep_until(deadline_);
    timed_out_ = true;
    fatal = true;
    return true;
  }
  std::this_thread::sleep_until(next->second.due);
  JSValue fn = JS_DupValue(ctx_, next->second.fn);
  if (next->second.interval_ms >= 0) {
    next->second.due = Clock::now() + std::chrono::milliseconds(next->second.interval_ms);
  } else {
    JS_FreeValue(ctx_, next->second.fn);
    timers_.erase(next);
  }
  JSValue ret = JS_Call(ctx_, fn, Undefined(), 0, nullptr);
  JS_FreeValue(ctx_, fn);
  if (JS_IsException(ret)) {
    JSValue exc = JS_GetException(ctx_);
    if (timed_out_ || IsInterrupted(ctx_, exc)) {
      fatal = true;
    } else {
      // An exception in a timer callback is the script's bug, not the
      // request's failure: log it, as Node would print it.
      Log(LogLevel::kError, "uncaught exception in a timer: " + PropString(ctx_, exc, "message"), henv_hash_);
    }
    JS_FreeValue(ctx_, exc);
  }
  JS_FreeValue(ctx_, ret);
  return true;
}

namespace {
// Worker::SetDropWhole's setting (read as each worker is destroyed).
std::atomic<bool> drop_whole{true};
}  // namespace

void Worker::SetDropWhole(bool whole) { drop_whole.store(whole, std::memory_order_relaxed); }

Worker::~Worker() {
  if (rt_ == nullptr) return;
#ifndef HBF_HEAP_TRACK  // (whose record of live blocks wants every free)
  const bool may_drop_hibernated = drop_whole.load(std::memory_order_relaxed);
#else
  const bool may_drop_hibernated = false;
#endif
  // Hibernated: none of its runtime is in memory, and none needs to be: it
  // had nothing to finalize outside itself (Hibernate), and its connection
  // is on the shelf already. It is woken only to be freed value by value,
  // and dropped whole after all when out of memory to unpack it.
  if (hibernation_ != nullptr && (may_drop_hibernated || !Wake())) {
    memory_.tearing_down = true;
    memory_.DropAll();
    ctx_ = nullptr;
    rt_ = nullptr;
    return;
  }
  JS_UpdateStackTop(rt_);  // freed on whichever thread retires it
#ifndef HBF_HEAP_TRACK
  if (drop_whole.load(std::memory_order_relaxed)) {
    // Every block of the runtime is its own (allocator.h): it goes whole,
    // its values unfreed. Only hbf's own classes, which may reach outside
    // it, are finalized first (QuickJS patch 0022: an Intl formatter's ICU
    // objects, a zlib stream). Nothing below touches the runtime again: timers_
    // and the owned values above are plain words now.
    memory_.tearing_down = true;
    JS_FinalizeExternals(rt_);
    memory_.DropAll();
    ctx_ = nullptr;
    rt_ = nullptr;
    ShelveConnection();
    return;
  }
#endif
  // Its atoms go at once in JS_FreeRuntime, not one by one (patch 0014),
  // and its objects without a search for live ones (patch 0016); its
  // carved blocks with the arena, not one by one.
  JS_BeginFreeRuntime(rt_);
  memory_.tearing_down = true;
  if (ctx_ != nullptr) {
    CancelTimers();
    JS_FreeValue(ctx_, pending_);
    JS_FreeValue(ctx_, stream_start_);
    JS_FreeValue(ctx_, dispatch_fn_);
    JS_FreeValue(ctx_, raw_);
    ForgetStrings();
    JS_FreeValue(ctx_, body_utf8_of_);
    for (JSAtom atom : raw_atoms_) JS_FreeAtom(ctx_, atom);
    JS_FreeValue(ctx_, reach_fn_);
    JS_FreeValue(ctx_, router_);
    JS_FreeContext(ctx_);
  }
  JS_FreeRuntime(rt_);
  ShelveConnection();
}

bool Worker::CanHibernate() const {
  const WorkerImage* image = WorkerImage::Peek();
  const internal::Arena& arena = memory_.arena;
  if (rt_ == nullptr || !copied_from_image_ || !reusable_ || image == nullptr || !arena.is_open() ||
      arena.used_bytes() < image->bytes()) {
    return false;
  }
  // An idle worker has no request in flight (no pending promise, stream or
  // timer: they end with their request); and nothing outside its memory
  // may need its objects finalized (an ICU formatter, a zlib stream): a
  // hibernated worker is dropped without its runtime.
  return JS_IsUndefined(pending_) && stream_ == nullptr && timers_.empty() && !JS_HasExternalFinalizers(rt_);
}

bool Worker::Hibernate() {
  if (hibernation_ != nullptr) return true;
  if (!CanHibernate()) return false;
  const WorkerImage* image = WorkerImage::Peek();
  internal::Arena& arena = memory_.arena;
  ForgetStrings();  // (a snapshot holds only the runtime's memory: nothing C++ points into)
  auto snapshot =
      std::make_unique<ArenaSnapshot>(image->SnapshotArena(arena.base(), arena.used_bytes(), arena.Released()));
  if (!arena.GiveBackUsed()) {
    // (the arena may be partly given back: write it back whole)
    image->RestoreArena({snapshot->runs, snapshot->words}, arena.base());
    arena.GiveBackAgain(snapshot->skipped);
    return false;
  }
  // Packed (LZ4: ~2.3x smaller, ~0.1 ms more at the wake on this VM,
  // bench/README.md); as it is if that fails.
  (void)snapshot->Pack();
  hibernation_ = std::move(snapshot);
  // Its connection's schema (~130 KiB) goes too: to the shelf, where this
  // worker finds it again if woken soon (Connection()).
  ShelveConnection();
  hibernated_bytes_ = static_cast<int64_t>(hibernation_->bytes()) + memory_.MallocBytes();
  return true;
}

bool Worker::Wake() noexcept {
  if (hibernation_ == nullptr) return true;
  // Where this thread unpacks snapshots: kept for its next wake, unless a
  // large one grew it.
  thread_local ArenaSnapshot::Scratch scratch;
  ArenaSnapshot::Contents contents;
  if (!hibernation_->Unpack(scratch, contents)) return false;
  // (Peek: Hibernate had the image, and the image lives as long as the process)
  memory_.arena.TakeBackUsed();
  WorkerImage::Peek()->RestoreArena(contents, memory_.arena.base());
  memory_.arena.GiveBackAgain(hibernation_->skipped);
  hibernation_.reset();
  hibernated_bytes_ = 0;
  constexpr size_t kKeptScratchWords = 64 * 1024;  // 512 KiB
  if (scratch.block.capacity() > kKeptScratchWords) scratch = {};
  return true;
}

void Worker::ForgetStrings() {
  if (strings_ == nullptr) return;
  strings_->Clear(ctx_);
  strings_.reset();
}

void Worker::ShelveConnection() {
  if (pool_ == nullptr || pool_->shelf == nullptr) return;
  if (std::optional<HeldConnection> held = ReleaseConnection()) pool_->shelf->Put(std::move(*held));
}

std::optional<HeldConnection> Worker::ReleaseConnection() {
  // (No statement outlives the native call that made it: none refers to
  // db_ once it is moved.)
  if (!db_ || db_path_.empty()) return std::nullopt;
  HeldConnection held{std::move(*db_), change_listener_};
  db_.reset();
  return held;
}


bool Worker::Load(const char* name, JSValue& ns, ScriptResult::Failure& failure) {
  JSValue out = Undefined();
  switch (Import(name, out)) {
    case Settled::kValue:
      ns = out;
      return true;
    case Settled::kException:
      failure = DescribeException(ctx_, out, timed_out_, memory_.refused);
      JS_FreeValue(ctx_, out);
      return false;
    case Settled::kTimedOut:
      failure = ScriptResult::Failure{"script_timeout", 504, "the script ran out of time", "", ""};
      return false;
    case Settled::kNoProgress:
      failure = ScriptResult::Failure{"script_error", 500,
                                      std::string("module '") + name + "' never finished loading (top-level await on nothing)",
                                      "", ""};
      return false;
    case Settled::kWaiting:  // loading never suspends
      break;
  }
  return false;
}


std::unique_ptr<Worker> Worker::CreateBlank(const ScriptLimits& limits, ScriptResult::Failure& failure, bool copy) {
  const WorkerImage* image = copy ? WorkerImage::Get() : nullptr;
  if (image == nullptr) return Build(limits, failure, false);
  std::unique_ptr<Worker> w(new Worker());
  // (A copy needs an arena; without one, as when the system refuses the
  // address space, a build takes every block from malloc.)
  if (!image->CopyInto(*w)) return Build(limits, failure, false);
  w->ApplyLimits(limits);
  return w;
}

std::unique_ptr<Worker> Worker::Build(const ScriptLimits& limits, ScriptResult::Failure& failure, bool as_template) {
  std::unique_ptr<Worker> w(new Worker());
  if (Builtins().modules.count("hbf:bootstrap") == 0 || Builtins().modules.count("hbf:http") == 0) {
    failure = InternalFailure("internal_error", "the JavaScript runtime is unavailable");
    return nullptr;
  }
  // What building and binding make lives as long as the worker: carved from
  // one piece of memory (allocator.h), until Bind closes it. Without it
  // (malloc refused) every block comes from malloc.
  if (as_template) {
    w->memory_.arena.OpenTemplate(WorkerImage::kTemplateArenaBytes);
  } else {
    w->memory_.arena.Open();
  }
  w->rt_ = JS_NewRuntime2(&kMallocFunctions, &w->memory_);
  if (w->rt_ == nullptr) {
    failure = InternalFailure("internal_error", "cannot create a JavaScript runtime");
    return nullptr;
  }
  w->ApplyLimits(limits);
  JS_SetInterruptHandler(w->rt_, InterruptHandler, w.get());
  JS_SetModuleLoaderFunc(w->rt_, NormalizeModule, LoadModule, w.get());
  w->ctx_ = JS_NewContext(w->rt_);
  if (w->ctx_ == nullptr) {
    failure = InternalFailure("script_memory", "cannot create a JavaScript context");
    return nullptr;
  }
  JS_SetContextOpaque(w->ctx_, w.get());

  w->deadline_ = Clock::now() + std::chrono::milliseconds(limits.timeout_ms);
  JSValue ns = Undefined();
  if (!w->Load("hbf:bootstrap", ns, failure)) return nullptr;
  JS_FreeValue(w->ctx_, ns);
  if (!w->Load("hbf:http", ns, failure)) return nullptr;
  w->dispatch_fn_ = JS_GetPropertyStr(w->ctx_, ns, "dispatch");
  w->reach_fn_ = JS_GetPropertyStr(w->ctx_, ns, "routeReach");
  JS_FreeValue(w->ctx_, ns);
  if (!JS_IsFunction(w->ctx_, w->dispatch_fn_)) {
    failure = InternalFailure("internal_error", "hbf:http has no dispatch()");
    return nullptr;
  }
  // hbf:db too: nearly every app imports it, and a worker evaluated it at
  // its bind (~35 us of a ~250 us bind on the 2-core VM).
  // (A build with a subset of the built-ins, as the engine's tests have,
  // goes without it.)
  if (Builtins().modules.count("hbf:db") != 0) {
    if (!w->Load("hbf:db", ns, failure)) return nullptr;
    JS_FreeValue(w->ctx_, ns);
  }
  InstantiateCommonBuiltins(w->ctx_);
  if (as_template) {
    // Room in the shape hash for what a first request adds (its req, res
    // and router state): a copy that outgrew the image's table allocated
    // the doubled one (4 KiB) outside its copied memory, kept for its life,
    // hibernated too. (Out of memory here: the copies resize as before.)
    (void)JS_ReserveShapeHash(w->rt_, kTemplateShapes);
    // The request object every dispatch refills (TakeRaw), made here so each
    // copy has it instead of making it on its first request (~20k
    // instructions: its atoms, its fields defined one by one). (Out of
    // memory: the copies make it, as built workers do.)
    const JSValue raw = w->TakeRaw();
    JS_FreeValue(w->ctx_, JS_IsException(raw) ? JS_GetException(w->ctx_) : raw);
    w->WarmRequestShapes();
  }
  return w;
}

void Worker::ApplyLimits(const ScriptLimits& limits) {
  JS_SetMemoryLimit(rt_, static_cast<size_t>(limits.memory_bytes));
  gc_max_headroom_ = std::max<int64_t>(limits.memory_bytes / 16, 1 << 20);
  JS_SetGCThreshold(rt_, static_cast<size_t>(memory_.heap_bytes() + gc_max_headroom_));
  JS_SetMaxStackSize(rt_, limits.stack_bytes);
  // No single value a statement builds may take more than half the
  // script's memory budget (the other half holds it once it reaches JS).
  db_value_limit_bytes_ = limits.memory_bytes / 2;
  if (db_) db_->LimitForScripts(db_value_limit_bytes_);
}

Result<db::Database*> Worker::Connection() {
  if (db_) return &*db_;
  if (db_path_.empty()) {
    auto scratch = db::Database::Open(":memory:", db::Database::Options{});
    if (!scratch.ok()) return scratch.error();
    scratch->Seal(HenvSealedSchema());
    scratch->LimitForScripts(db_value_limit_bytes_);
    db_.emplace(std::move(*scratch));
    return &*db_;
  }
  // One an earlier worker of this henv left (connection_shelf.h): sealed,
  // measured, capturing and watching as below already, its schema parsed.
  if (pool_ != nullptr && pool_->shelf != nullptr) {
    if (std::optional<db::Database> kept = pool_->shelf->Take(db_path_, change_listener_)) {
      db_.emplace(std::move(*kept));
      db_->SetBusyTimeout(db_busy_timeout_ms_);
    }
  }
  if (!db_) {
    db::Database::Options db_options;
    db_options.create = false;
    db_options.keep_wal_files = true;  // as the henv's own connection
    db_options.busy_timeout_ms = db_busy_timeout_ms_;
    auto db = db::Database::Open(db_path_, db_options);
    if (!db.ok()) {
      Log(LogLevel::kError, "a worker cannot open the henv's database: " + db.error().message, henv_hash_);
      if (Error::IsStorageFault(db.error())) return db.error();
      return Error{"henv_unavailable", "the henv's database cannot be opened", 503};
    }
    // Read from read-only storage: serve this request, then make way for a
    // read-write worker once the storage recovers.
    if (db->storage_read_only()) reusable_ = false;
    db->Seal(HenvSealedSchema());
    db->MeasureBusyTime();  // the henv's DB time (/_api/metrics)
    // A script's writes are news for the henv's live subscribers too.
    if (change_listener_) db->CaptureChanges(change_listener_, henv_hash_);
    // Only a write to `documents` can change the henv's code version.
    db->WatchDocumentWrites();
    db_.emplace(std::move(*db));
  }
  db_->LimitForScripts(db_value_limit_bytes_);
  if (deadline_armed_) db_->SetDeadline(deadline_);
  if (storage_bytes_wanted_ >= 0 && db_->SetMaxSize(storage_bytes_wanted_).ok()) {
    storage_bytes_ = storage_bytes_wanted_;
  }
  return &*db_;
}

Result<std::optional<db::Value>> Worker::QueryDocument(std::string_view sql, const std::string& path) {
  // Binding: through the henv, which answers a dormant henv's unchanged
  // file from what the last bind read, without opening it.
  if (!db_ && binding_henv_ != nullptr) {
    if (auto read = binding_henv_->ReadForBind(std::string(sql), path)) return std::move(*read);
  }
  auto conn = Connection();
  if (!conn.ok()) return conn.error();
  return (*conn)->QueryValue(sql, {path});
}

void Worker::TakeHenv(Henv& henv, HenvPool& pool, int64_t version, const ScriptLimits& limits) {
  henv_hash_ = henv.hash();
  pool_ = &pool;
  version_ = version;
  JS_UpdateStackTop(rt_);  // made on another thread
  db_.reset();  // a blank worker's scratch database, if anything opened it
  db_path_ = henv.database_path();
  documents_epoch_ = henv.documents_epoch_of_file();
  db_busy_timeout_ms_ = std::max(100, limits.timeout_ms);
  change_listener_ = henv.change_listener();
  ApplyLimits(limits);
}

bool Worker::bind_left_only_its_heap() const {
  return !bind_reached_out_ && !db_ && !user_db_ && timers_.empty() && strings_ == nullptr && stream_ == nullptr &&
         reusable_ && copied_from_image_ && JS_IsUndefined(pending_) && JS_IsUndefined(stream_start_) &&
         JS_IsUndefined(body_utf8_of_);
}

std::unique_ptr<Worker> Worker::CreateBound(const BoundImage& bound, Henv& henv, HenvPool& pool,
                                            const ScriptLimits& limits, ScriptResult::Failure& failure) {
  const WorkerImage* image = WorkerImage::Get();
  std::unique_ptr<Worker> w(new Worker());
  if (image == nullptr || !image->CopyInto(*w, &bound)) {
    failure = InternalFailure("script_memory", "cannot make a JavaScript worker");
    return nullptr;
  }
  w->TakeHenv(henv, pool, bound.version(), limits);
  bound.SetFields(*w);
  return w;
}

bool Worker::Bind(Henv& henv, HenvPool& pool, int64_t version, const ScriptLimits& limits,
                  ScriptResult::Failure& failure) {
  TakeHenv(henv, pool, version, limits);

  // Loading runs module top-level code: it gets the request's time limit.
  deadline_ = Clock::now() + std::chrono::milliseconds(limits.timeout_ms);
  timed_out_ = false;
  deadline_armed_ = true;
  binding_henv_ = &henv;
  const bool loaded = LoadRouter(failure);
  binding_henv_ = nullptr;
  deadline_armed_ = false;
  if (db_) db_->ClearDeadline();
  if (loaded && has_router_) TakeRouteReach();
  if (!loaded) return false;
  // From here on objects are mostly made per request, in the same few
  // layouts each time: QuickJS keeps their chains of shapes for the next
  // request (QuickJS patch 0005). Not before: what loading made once needs
  // none, and would keep them for the worker's life: a blank worker loads
  // with them off (a built one never had them; a copy's image has them
  // paused, WarmRequestShapes). Resumed, not switched on: switching would
  // release the chains the image holds for the first request.
  JS_PauseShapeTransitions(rt_, 0);
  // And what a request makes is young (QuickJS patch 0011): the cycles it
  // leaves (req <-> res, closures) are freed at its end, while still in
  // the caches, without walking the whole heap (CollectCycles).
  JS_SetGCYoung(rt_, 1);
  gc_live_bytes_ = memory_.heap_bytes();
  CollectCycles(/*force=*/false);
  return true;
}

bool Worker::LoadRouter(ScriptResult::Failure& failure) {
  // A henv without a router still gets workers (templates); its requests
  // never reach Dispatch.
  auto v = QueryDocument("SELECT 1 FROM documents WHERE path = ?", "_system/router.js");
  has_router_ = v.ok() && v->has_value();
  if (!has_router_) return true;
  JSValue ns = Undefined();
  if (!Load("_system/router.js", ns, failure)) return false;
  router_ = JS_GetPropertyStr(ctx_, ns, "default");
  JS_FreeValue(ctx_, ns);
  if (!JS_IsObject(router_) && !JS_IsFunction(ctx_, router_)) {
    failure = InternalFailure("script_error",
                              "_system/router.js must `export default` a Router (or a (req, res, next) function)");
    return false;
  }
  return true;
}

void Worker::TakeRouteReach() {
  if (!JS_IsFunction(ctx_, reach_fn_)) return;
  Scoped out(ctx_, JS_Call(ctx_, reach_fn_, Undefined(), 1, &router_));
  if (JS_IsException(out.get())) {
    JS_FreeValue(ctx_, JS_GetException(ctx_));
    return;  // unknown: every request runs the router
  }
  if (JS_IsArray(ctx_, out.get()) != 1) return;
  uint32_t length = 0;
  {
    Scoped n(ctx_, JS_GetPropertyStr(ctx_, out.get(), "length"));
    if (JS_ToUint32(ctx_, &length, n.get()) < 0 || length > RouteReach::kMaxEntries) {
      JS_FreeValue(ctx_, JS_GetException(ctx_));
      return;
    }
  }
  auto reach = std::make_shared<RouteReach>();
  reach->entries.reserve(length);
  {
    Scoped own(ctx_, JS_GetPropertyStr(ctx_, out.get(), "ownNotFound"));
    reach->own_not_found = JS_ToBool(ctx_, own.get()) == 1;
  }
  for (uint32_t i = 0; i < length; ++i) {
    Scoped pair(ctx_, JS_GetPropertyUint32(ctx_, out.get(), i));
    Scoped text(ctx_, JS_GetPropertyUint32(ctx_, pair.get(), 0));
    Scoped sensitive(ctx_, JS_GetPropertyUint32(ctx_, pair.get(), 1));
    Scoped exact(ctx_, JS_GetPropertyUint32(ctx_, pair.get(), 2));
    if (!JS_IsString(text.get())) return;
    RouteReach::Entry entry;
    entry.text = ToStdString(ctx_, text.get());
    entry.case_sensitive = JS_ToBool(ctx_, sensitive.get()) == 1;
    entry.exact = JS_ToBool(ctx_, exact.get()) == 1;
    // An empty prefix is any path (stackReach gives null instead: never trust less).
    if (entry.text.empty() && !entry.exact) return;
    if (!entry.case_sensitive) {
      for (char& c : entry.text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    reach->entries.push_back(std::move(entry));
  }
  route_reach_ = std::move(reach);
}

std::unique_ptr<Worker> Worker::Create(Henv& henv, HenvPool& pool, int64_t version, const ScriptLimits& limits,
                                       ScriptResult::Failure& failure, bool copy) {
  auto w = CreateBlank(limits, failure, copy);
  if (!w || !w->Bind(henv, pool, version, limits, failure)) return nullptr;
  return w;
}

Worker::Settled Worker::Drive(JSValue promise, JSValue& out) {
  JSContext* ctx = ctx_;
  if (static_cast<int>(JS_PromiseState(ctx, promise)) < 0) {  // not a promise: already a value
    out = promise;
    return Settled::kValue;
  }
  for (;;) {
    JSPromiseStateEnum state = JS_PromiseState(ctx, promise);
    if (state == JS_PROMISE_FULFILLED || state == JS_PROMISE_REJECTED) {
      out = JS_PromiseResult(ctx, promise);
      JS_FreeValue(ctx, promise);
      return state == JS_PROMISE_FULFILLED ? Settled::kValue : Settled::kException;
    }
    JSContext* job_ctx = nullptr;
    int r = JS_ExecutePendingJob(rt_, &job_ctx);
    if (r < 0) {
      out = JS_GetException(job_ctx);
      JS_FreeValue(ctx, promise);
      return Settled::kException;
    }
    if (r > 0) continue;
    if (may_suspend_ && !timers_.empty()) {
      // Waiting for a timer holds no thread: hand the promise back to the
      // engine, which resumes this request when the timer (or the deadline)
      // is due.
      const auto now = Clock::now();
      if (now >= deadline_) {
        timed_out_ = true;
        JS_FreeValue(ctx, promise);
        return Settled::kTimedOut;
      }
      auto due = timers_.begin()->second.due;
      for (const auto& [id, timer] : timers_) due = std::min(due, timer.due);
      if (due > now) {
        wake_at_ = std::min(due, deadline_);
        pending_ = promise;
        return Settled::kWaiting;
      }
    }
    bool fatal = false;
    if (RunNextTimer(fatal)) {
      if (!fatal) continue;
      JS_FreeValue(ctx, promise);
      return Settled::kTimedOut;
    }
    // No job and no timer: nothing can ever settle it.
    JS_FreeValue(ctx, promise);
    return Settled::kNoProgress;
  }
}

Worker::Settled Worker::Import(const char* name, JSValue& out) {
  JSValue promise = JS_LoadModule(ctx_, "", name);
  if (JS_IsException(promise)) {
    out = JS_GetException(ctx_);
    return Settled::kException;
  }
  return Drive(promise, out);
}

void Worker::Fail(ScriptResult& result, JSValue exc) {
  result.kind = ScriptResult::Kind::kError;
  result.error = DescribeException(ctx_, exc, timed_out_ || Clock::now() > deadline_, memory_.refused);
  JS_FreeValue(ctx_, exc);
  if (result.error.code != "script_error" && result.error.code != "quota_exceeded" &&
      result.error.code != "insufficient_storage" && result.error.code != "read_only") {
    reusable_ = false;
  }  // a limit was hit: discard
}

bool Worker::Settle(JSValue ret, JSValue& value, ScriptResult& result, const char* timeout_message,
                    const ScriptResult::Failure& no_progress) {
  if (JS_IsException(ret)) {
    Fail(result, JS_GetException(ctx_));
    return false;
  }
  switch (Drive(ret, value)) {
    case Settled::kValue: return true;
    case Settled::kException: Fail(result, value); return false;
    case Settled::kTimedOut:
      result.kind = ScriptResult::Kind::kError;
      result.error = ScriptResult::Failure{"script_timeout", 504, timeout_message, "", ""};
      reusable_ = false;
      return false;
    case Settled::kNoProgress:
      result.kind = ScriptResult::Kind::kError;
      result.error = no_progress;
      return false;
    case Settled::kWaiting:  // only Dispatch may suspend, and it does not settle through here
      break;
  }
  return false;
}

Worker::MemorySpan Worker::memory_span() const {
  return MemorySpan{memory_.arena.base(), memory_.arena.used_bytes(), copied_from_image_};
}

void Worker::Prefetch(const MemorySpan& span) {
  if (span.base == nullptr) return;
  const WorkerImage* image = span.from_image ? WorkerImage::Peek() : nullptr;
  // The image's lines requests read, then what was carved past it (all of
  // the arena without a profile, or for a built worker).
  internal::Arena::PrefetchCarved(span.base, span.used, image != nullptr ? image->PrefetchHotLines(span.base) : 0);
}

void Worker::Trim() {
  JS_UpdateStackTop(rt_);
  // The shapes kept for the next request go first (QuickJS patch 0005):
  // an idle worker holds none, and they are most of what the heap grew by
  // since the last full collection (~15 KB of the tenants' router's ~24
  // after a request; its young collection took the request's cycles).
  JS_SetShapeTransitions(rt_, 1);
  // A full collection walks the whole heap (~0.1 ms for a small router's
  // worker, the largest part of trimming it): only for a worker that grew
  // by more than kTrimMinGarbage since the last (the snapshot of a
  // hibernated worker keeps what it would have freed: a few KB, packed).
  if (memory_.heap_bytes() - gc_live_bytes_ > kTrimMinGarbage) {
    CollectCycles(/*force=*/true);
    JS_SetShapeTransitions(rt_, 1);  // (those of the objects it freed)
  }
  // And the blocks its allocator kept.
  ReleaseKept();
}

void Worker::Shed() {
  constexpr int64_t kShedMinGarbage = 64 << 10;
  const int64_t garbage = memory_.heap_bytes() - gc_live_bytes_;
  if (garbage > std::max(kShedMinGarbage, gc_live_bytes_ / 4)) {
    JS_UpdateStackTop(rt_);
    CollectCycles(/*force=*/true);
  }
  ReleaseKept();
}

void Worker::ReleaseKept() {
  // The allocator's kept blocks are carved (allocator.h): the whole pages
  // they alone cover go back to the system (and are carved again first).
  // A worker still keeping more than its heap uses (blocks of what a large
  // request left, scattered among live ones) is dropped instead, and made
  // again from the image when its henv next needs one.
  memory_.ReleaseFreePages();
  if (static_cast<int64_t>(memory_.cache.held_bytes()) > std::max(kMaxKeptBytes, memory_.heap_bytes())) Retire();
  if (db_) db_->ReleaseMemory();
  if (user_db_) user_db_->ReleaseMemory();
}

void Worker::CollectCycles(bool force) {
  // Reference counting frees most garbage at once; only cycles (req <-> res,
  // closures) wait for the cycle collector. First the young generation's
  // (QuickJS patch 0011): the objects made since the last collection, so a
  // request's cycles are freed at its end, while still in the caches, at a
  // cost that follows what the request made, not the heap. (A full
  // collection every ~200 requests of /hello took 1.7-2.7 ms: a fifth of
  // the mean request's time, and its tail.)
  // (Not before a forced one: a full collection sees the young objects too.)
  if (!force) JS_RunGCYoung(rt_);
  // The full collection walks the whole heap: it frees what young ones
  // cannot (garbage that was kept past a collection). Left to itself
  // QuickJS re-arms it at 1.5x the live heap; instead collect between
  // requests once the garbage reaches the live heap's size (at least 1 MiB,
  // at most 1/16 of the heap limit), and leave QuickJS's own trigger as the
  // backstop for a single request that allocates a lot. The heap without
  // the allocator's kept blocks: those are what the last collection freed,
  // and the garbage made since is taken from them first.
  if (force || memory_.heap_bytes() > gc_live_bytes_ + gc_headroom()) {
    JS_RunGC(rt_);
    gc_live_bytes_ = memory_.heap_bytes();
  }
  JS_SetGCThreshold(rt_, static_cast<size_t>(memory_.heap_bytes() + gc_headroom()));
}

}  // namespace hbf::js
