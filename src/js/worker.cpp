#include "js/worker.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "core/log.h"
#include "henv/schema.h"
#include "js/allocator.h"
#include "js/js_values.h"
#include "js/module_loader.h"
#include "js/worker_access.h"

namespace hbf::js {

using internal::Builtins;
using internal::BytesOf;
using internal::kMallocFunctions;
using internal::LoadModule;
using internal::NewUint8Array;
using internal::NormalizeModule;
using internal::PropString;
using internal::Scoped;
using internal::ToStdString;
using internal::Undefined;

namespace {

using Clock = std::chrono::steady_clock;

// The uncatchable error QuickJS raises when the interrupt handler fires.
bool IsInterrupted(JSContext* ctx, JSValueConst exc) {
  return JS_IsError(ctx, exc) && PropString(ctx, exc, "name") == "InternalError" &&
         PropString(ctx, exc, "message") == "interrupted";
}

int InterruptHandler(JSRuntime*, void* opaque) {
  Worker* w = static_cast<Worker*>(opaque);
  if (Clock::now() > WorkerAccess::Deadline(*w)) {
    WorkerAccess::MarkTimedOut(*w);
    return 1;
  }
  return 0;
}

// "file:line:col" from the first frame of a QuickJS stack that names one.
std::string LocationFromStack(const std::string& stack) {
  size_t pos = 0;
  while (pos < stack.size()) {
    size_t end = stack.find('\n', pos);
    std::string line = stack.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    size_t open = line.rfind('(');
    size_t close = line.rfind(')');
    std::string frame = (open != std::string::npos && close != std::string::npos && close > open)
                            ? line.substr(open + 1, close - open - 1)
                            : "";
    if (frame.empty() && line.find("at ") != std::string::npos) frame = line.substr(line.find("at ") + 3);
    if (!frame.empty() && frame.rfind("hbf:", 0) != 0 && frame != "native" && frame.find(':') != std::string::npos) {
      return frame;
    }
    if (end == std::string::npos) break;
    pos = end + 1;
  }
  return {};
}

}  // namespace

// ------------------------------------------------------------------- Worker

Worker::Worker()
    : dispatch_fn_(Undefined()), router_(Undefined()), pending_(Undefined()), stream_start_(Undefined()) {}

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

Worker::~Worker() {
  if (rt_ != nullptr) JS_UpdateStackTop(rt_);  // freed on whichever thread retires it
  if (ctx_ != nullptr) {
    CancelTimers();
    JS_FreeValue(ctx_, pending_);
    JS_FreeValue(ctx_, stream_start_);
    JS_FreeValue(ctx_, dispatch_fn_);
    JS_FreeValue(ctx_, router_);
    JS_FreeContext(ctx_);
  }
  if (rt_ != nullptr) JS_FreeRuntime(rt_);
}

namespace {

// A write the server's storage refused (full disk, read-only storage;
// natives.cpp sets storageStatus) carried by `error`: its code and status
// (507 insufficient_storage, 503 read_only). The host's fault, answered as
// such whatever the script made of it.
std::optional<std::pair<std::string, int>> StorageFaultOf(JSContext* ctx, JSValueConst error) {
  if (!JS_IsObject(error)) return std::nullopt;
  Scoped status_js(ctx, JS_GetPropertyStr(ctx, error, "storageStatus"));
  int32_t s = 0;
  if (!JS_IsNumber(status_js.get()) || JS_ToInt32(ctx, &s, status_js.get()) != 0 || (s != 503 && s != 507)) {
    return std::nullopt;
  }
  return std::make_pair(std::string(s == 507 ? "insufficient_storage" : "read_only"), static_cast<int>(s));
}

// Why a value or job failed, classified for the HTTP answer.
ScriptResult::Failure DescribeException(JSContext* ctx, JSValue exc, bool timed_out, bool memory_refused) {
  ScriptResult::Failure f;
  std::string message;
  std::string stack;
  if (JS_IsError(ctx, exc)) {
    message = PropString(ctx, exc, "message");
    std::string name = PropString(ctx, exc, "name");
    if (!name.empty() && name != "Error") message = name + ": " + message;
    stack = PropString(ctx, exc, "stack");
  } else {
    message = "uncaught " + ToStdString(ctx, exc);
  }
  if (timed_out || IsInterrupted(ctx, exc)) {
    f.code = "script_timeout";
    f.http_status = 504;
    f.message = "the script ran out of time";
  } else if (message == "InternalError: out of memory" || message == "out of memory" || memory_refused) {
    f.code = "script_memory";
    f.http_status = 500;
    f.message = "the script ran out of memory";
  } else if (auto fault = StorageFaultOf(ctx, exc)) {
    f.code = fault->first;
    f.http_status = fault->second;
    f.message = message;
  } else if (JS_IsError(ctx, exc) && PropString(ctx, exc, "code") == "quota_exceeded") {
    // A write the henv's storage quota refused, not caught by the script.
    f.code = "quota_exceeded";
    f.http_status = 507;
    f.message = message;
  } else {
    f.code = "script_error";
    f.http_status = 500;
    f.message = message.empty() ? "the script failed" : message;
  }
  f.stack = stack;
  f.location = LocationFromStack(stack);
  return f;
}

}  // namespace

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

namespace {
ScriptResult::Failure InternalFailure(std::string code, std::string message) {
  return ScriptResult::Failure{std::move(code), 500, std::move(message), "", ""};
}
}  // namespace

std::unique_ptr<Worker> Worker::CreateBlank(const ScriptLimits& limits, ScriptResult::Failure& failure) {
  std::unique_ptr<Worker> w(new Worker());
  if (Builtins().modules.count("hbf:bootstrap") == 0 || Builtins().modules.count("hbf:http") == 0) {
    failure = InternalFailure("internal_error", "the JavaScript runtime is unavailable");
    return nullptr;
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
  JS_FreeValue(w->ctx_, ns);
  if (!JS_IsFunction(w->ctx_, w->dispatch_fn_)) {
    failure = InternalFailure("internal_error", "hbf:http has no dispatch()");
    return nullptr;
  }
  return w;
}

void Worker::ApplyLimits(const ScriptLimits& limits) {
  JS_SetMemoryLimit(rt_, static_cast<size_t>(limits.memory_bytes));
  gc_max_headroom_ = std::max<int64_t>(limits.memory_bytes / 16, 1 << 20);
  JS_SetGCThreshold(rt_, static_cast<size_t>(memory_bytes() + gc_max_headroom_));
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
  db::Database::Options db_options;
  db_options.create = false;
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
  db->LimitForScripts(db_value_limit_bytes_);
  db->MeasureBusyTime();  // the henv's DB time (/_api/metrics)
  // A script's writes are news for the henv's live subscribers too.
  if (change_listener_) db->CaptureChanges(change_listener_, henv_hash_);
  db_.emplace(std::move(*db));
  if (deadline_armed_) db_->SetDeadline(deadline_);
  if (storage_bytes_wanted_ >= 0 && db_->SetMaxSize(storage_bytes_wanted_).ok()) {
    storage_bytes_ = storage_bytes_wanted_;
  }
  return &*db_;
}

Result<std::optional<db::Value>> Worker::QueryDocument(std::string_view sql, const std::string& path) {
  if (!db_ && binding_henv_ != nullptr) {
    Result<std::optional<db::Value>> out = std::optional<db::Value>{};
    if (binding_henv_->TryWithDb([&](db::Database& db) { out = db.QueryValue(sql, {path}); })) return out;
  }
  auto conn = Connection();
  if (!conn.ok()) return conn.error();
  return (*conn)->QueryValue(sql, {path});
}

bool Worker::Bind(Henv& henv, HenvPool& pool, int64_t version, const ScriptLimits& limits,
                  ScriptResult::Failure& failure) {
  henv_hash_ = henv.hash();
  pool_ = &pool;
  version_ = version;
  JS_UpdateStackTop(rt_);  // made on another thread
  db_.reset();  // a blank worker's scratch database, if anything opened it
  db_path_ = henv.database_path();
  db_busy_timeout_ms_ = std::max(100, limits.timeout_ms);
  change_listener_ = henv.change_listener();
  ApplyLimits(limits);

  // Loading runs module top-level code: it gets the request's time limit.
  deadline_ = Clock::now() + std::chrono::milliseconds(limits.timeout_ms);
  timed_out_ = false;
  deadline_armed_ = true;
  binding_henv_ = &henv;
  const bool loaded = LoadRouter(failure);
  binding_henv_ = nullptr;
  deadline_armed_ = false;
  if (db_) db_->ClearDeadline();
  if (!loaded) return false;
  gc_live_bytes_ = memory_bytes();
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

std::unique_ptr<Worker> Worker::Create(Henv& henv, HenvPool& pool, int64_t version, const ScriptLimits& limits,
                                       ScriptResult::Failure& failure) {
  auto w = CreateBlank(limits, failure);
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

void Worker::BeginRequest(const ScriptLimits& limits) {
  JS_UpdateStackTop(rt_);  // this worker may have last run on another thread
  deadline_ = Clock::now() + std::chrono::milliseconds(limits.timeout_ms);
  timed_out_ = false;
  memory_.refused = false;
  deadline_armed_ = true;
  // The henv's quota: SQLite refuses writes beyond it with SQLITE_FULL
  // ("quota_exceeded", 507). Applied now if the connection is open and the
  // quota changed (or this is its first request), else when it opens.
  storage_bytes_wanted_ = limits.storage_bytes;
  changes_before_ = 0;
  if (db_) {
    db_->SetDeadline(deadline_);
    if (limits.storage_bytes != storage_bytes_ && db_->SetMaxSize(limits.storage_bytes).ok()) {
      storage_bytes_ = limits.storage_bytes;
    }
    changes_before_ = db_->TotalChanges();
  }
}

void Worker::EndRequest(ScriptResult& result) {
  // Let floating promise jobs finish within the same deadline.
  for (int guard = 0; guard < 100000 && JS_IsJobPending(rt_); ++guard) {
    JSContext* job_ctx = nullptr;
    if (JS_ExecutePendingJob(rt_, &job_ctx) < 0) {
      JSValue exc = JS_GetException(job_ctx);
      if (timed_out_ || IsInterrupted(job_ctx, exc)) reusable_ = false;
      JS_FreeValue(job_ctx, exc);
      break;
    }
  }
  if (timed_out_) reusable_ = false;
  CancelTimers();  // timers live no longer than their request
  // A streamed response ends with its request: complete when the handler
  // ended it, cut short (no last chunk) when it failed or ran out of time.
  JS_FreeValue(ctx_, std::exchange(stream_start_, Undefined()));
  if (stream_) {
    std::shared_ptr<ResponseStream> stream = std::exchange(stream_, nullptr);
    if (result.kind == ScriptResult::Kind::kError) {
      stream->Abort();
    } else {
      stream->End();
    }
  }
  // A transaction left open by the script must not leak into the next request.
  deadline_armed_ = false;
  if (db_) {
    if (db_->InTransaction()) (void)db_->Exec("ROLLBACK");
    db_->ClearDeadline();
  }
  if (user_db_) {
    if (user_db_->InTransaction()) (void)user_db_->Exec("ROLLBACK");
    user_db_->ClearDeadline();
  }
  current_user_ = Json();
  current_method_.clear();
  current_path_.clear();
  current_request_id_.clear();
  result.wrote_database = (db_ ? db_->TotalChanges() : 0) != changes_before_;
  CollectCycles(/*force=*/false);
}

void Worker::Trim() {
  JS_UpdateStackTop(rt_);
  CollectCycles(/*force=*/true);
  if (db_) db_->ReleaseMemory();
  if (user_db_) user_db_->ReleaseMemory();
}

void Worker::CollectCycles(bool force) {
  // Reference counting frees most garbage at once; only cycles (req <-> res,
  // closures) wait for the cycle collector, which walks the whole heap. Left
  // to itself QuickJS re-arms it at 1.5x the live heap, so a small worker ran
  // it every few hundred KB of garbage: 14% of a hello request's CPU. Instead
  // collect between requests once the garbage reaches the live heap's size
  // (at least 1 MiB, at most 1/16 of the heap limit), and leave QuickJS's own
  // trigger as the backstop for a single request that allocates a lot.
  if (force || memory_bytes() > gc_live_bytes_ + gc_headroom()) {
    JS_RunGC(rt_);
    gc_live_bytes_ = memory_bytes();
  }
  JS_SetGCThreshold(rt_, static_cast<size_t>(memory_bytes() + gc_headroom()));
}

ScriptResult Worker::Dispatch(const ScriptRequest& request, const ScriptLimits& limits, bool may_suspend) {
  if (!has_router_) return ScriptResult{};  // removed since the engine looked: not handled
  JSContext* ctx = ctx_;
  BeginRequest(limits);
  may_suspend_ = may_suspend;

  // raw = { method, url, path, query, headers, body, ip, protocol, hostname, id, user, henv }
  JSValue raw = JS_NewObject(ctx);
  JS_SetPropertyStr(ctx, raw, "method", JS_NewStringLen(ctx, request.method.data(), request.method.size()));
  JS_SetPropertyStr(ctx, raw, "url", JS_NewStringLen(ctx, request.url.data(), request.url.size()));
  JS_SetPropertyStr(ctx, raw, "path", JS_NewStringLen(ctx, request.path.data(), request.path.size()));
  JS_SetPropertyStr(ctx, raw, "query", JS_NewStringLen(ctx, request.query.data(), request.query.size()));
  if (!request.sent_path.empty()) {
    JS_SetPropertyStr(ctx, raw, "sentPath", JS_NewStringLen(ctx, request.sent_path.data(), request.sent_path.size()));
  }
  JSValue headers = JS_NewArray(ctx);
  uint32_t i = 0;
  for (const auto& [name, value] : request.headers) {
    JSValue pair = JS_NewArray(ctx);
    JS_SetPropertyUint32(ctx, pair, 0, JS_NewStringLen(ctx, name.data(), name.size()));
    JS_SetPropertyUint32(ctx, pair, 1, JS_NewStringLen(ctx, value.data(), value.size()));
    JS_SetPropertyUint32(ctx, headers, i++, pair);
  }
  JS_SetPropertyStr(ctx, raw, "headers", headers);
  JS_SetPropertyStr(ctx, raw, "body", NewUint8Array(ctx, request.body.data(), request.body.size()));
  JS_SetPropertyStr(ctx, raw, "ip", JS_NewStringLen(ctx, request.ip.data(), request.ip.size()));
  JS_SetPropertyStr(ctx, raw, "protocol", JS_NewStringLen(ctx, request.protocol.data(), request.protocol.size()));
  JS_SetPropertyStr(ctx, raw, "hostname", JS_NewStringLen(ctx, request.hostname.data(), request.hostname.size()));
  JS_SetPropertyStr(ctx, raw, "id", JS_NewStringLen(ctx, request.id.data(), request.id.size()));
  current_user_ = request.user;
  current_request_id_ = request.id;
  current_ip_ = request.ip;
  current_method_ = request.method;
  current_path_ = request.path;
  if (user_db_) user_db_->SetDeadline(deadline_);
  std::string user_json = request.user.dump();
  JS_SetPropertyStr(ctx, raw, "user", JS_ParseJSON(ctx, user_json.c_str(), user_json.size(), "<user>"));
  JS_SetPropertyStr(ctx, raw, "henv", JS_NewStringLen(ctx, henv_hash_.data(), henv_hash_.size()));
  if (request.websocket_id != 0) {
    JS_SetPropertyStr(ctx, raw, "websocket", JS_NewFloat64(ctx, static_cast<double>(request.websocket_id)));
  }
  if (request.ws_event) {
    // raw.wsEvent = { type, socket, route, data, payload, binary, code, reason }
    const ScriptRequest::WsEvent& e = *request.ws_event;
    JSValue ev = JS_NewObject(ctx);
    JS_SetPropertyStr(ctx, ev, "type", JS_NewString(ctx, e.is_close ? "close" : "message"));
    JS_SetPropertyStr(ctx, ev, "socket", JS_NewFloat64(ctx, static_cast<double>(e.socket_id)));
    JS_SetPropertyStr(ctx, ev, "route", JS_NewStringLen(ctx, e.route.data(), e.route.size()));
    JS_SetPropertyStr(ctx, ev, "data", JS_NewStringLen(ctx, e.data.data(), e.data.size()));
    if (e.is_close) {
      JS_SetPropertyStr(ctx, ev, "code", JS_NewInt32(ctx, e.code));
      JS_SetPropertyStr(ctx, ev, "reason", JS_NewStringLen(ctx, e.reason.data(), e.reason.size()));
    } else if (e.binary) {
      JS_SetPropertyStr(ctx, ev, "payload", NewUint8Array(ctx, e.payload.data(), e.payload.size()));
      JS_SetPropertyStr(ctx, ev, "binary", JS_TRUE);
    } else {
      JS_SetPropertyStr(ctx, ev, "payload", JS_NewStringLen(ctx, e.payload.data(), e.payload.size()));
      JS_SetPropertyStr(ctx, ev, "binary", JS_FALSE);
    }
    JS_SetPropertyStr(ctx, raw, "wsEvent", ev);
  }

  streamable_ = may_suspend && request.websocket_id == 0 && !request.ws_event && request.method != "HEAD";
  JSValue args[2] = {router_, raw};
  JSValue ret = JS_Call(ctx, dispatch_fn_, Undefined(), 2, args);
  JS_FreeValue(ctx, raw);
  return Continue(ret);
}

ScriptResult Worker::Resume() {
  JS_UpdateStackTop(rt_);  // resumed on whichever handler thread runs it
  JSValue promise = pending_;
  pending_ = Undefined();
  return Continue(promise);
}

namespace {
// { status, headers: [[name, value]...], body: string | bytes | null } -> `r`; returns the status.
int32_t ReadResponse(JSContext* ctx, JSValueConst v, HttpResponse& r) {
  Scoped status_js(ctx, JS_GetPropertyStr(ctx, v, "status"));
  int32_t status = 200;
  JS_ToInt32(ctx, &status, status_js.get());
  r.status = status;
  Scoped hs(ctx, JS_GetPropertyStr(ctx, v, "headers"));
  if (JS_IsArray(ctx, hs.get())) {
    int64_t n = 0;
    Scoped len(ctx, JS_GetPropertyStr(ctx, hs.get(), "length"));
    JS_ToInt64(ctx, &n, len.get());
    for (int64_t k = 0; k < n && k < 1000; ++k) {
      Scoped pair(ctx, JS_GetPropertyUint32(ctx, hs.get(), static_cast<uint32_t>(k)));
      Scoped name(ctx, JS_GetPropertyUint32(ctx, pair.get(), 0));
      Scoped val(ctx, JS_GetPropertyUint32(ctx, pair.get(), 1));
      r.headers.emplace_back(ToStdString(ctx, name.get()), ToStdString(ctx, val.get()));
    }
  }
  Scoped body(ctx, JS_GetPropertyStr(ctx, v, "body"));
  if (JS_IsString(body.get())) {
    r.body = ToStdString(ctx, body.get());
  } else if (!JS_IsUndefined(body.get()) && !JS_IsNull(body.get())) {
    if (!BytesOf(ctx, body.get(), r.body)) r.body = ToStdString(ctx, body.get());
  }
  return status;
}
}  // namespace

bool Worker::StartStream(ScriptResult& result) {
  JSContext* ctx = ctx_;
  JSValue start = std::exchange(stream_start_, Undefined());
  Scoped head(ctx, JS_Call(ctx, start, Undefined(), 0, nullptr));
  JS_FreeValue(ctx, start);
  if (JS_IsException(head.get())) {
    // (the response's own code; whatever it was, the response stays buffered)
    JS_FreeValue(ctx, JS_GetException(ctx));
    return false;
  }
  if (!JS_IsObject(head.get())) return false;  // a status that has no body: stays buffered
  const int32_t status = ReadResponse(ctx, head.get(), result.response);
  if (status < 200 || status > 599) {
    result.response = HttpResponse{};
    return false;
  }
  stream_ = std::make_shared<ResponseStream>();
  result.response.stream = stream_;
  return true;
}

ScriptResult Worker::Continue(JSValue ret) {
  JSContext* ctx = ctx_;
  ScriptResult result;
  JSValue value = Undefined();
  bool failed = true;
  if (JS_IsException(ret)) {
    Fail(result, JS_GetException(ctx));
  } else {
    switch (Drive(ret, value)) {
      case Settled::kWaiting:
        result.kind = ScriptResult::Kind::kPending;
        result.wake_at = wake_at_;
        // The handler wrote part of its response and now waits: the head
        // and what was written go out now, the rest as it is written.
        if (!stream_ && !JS_IsUndefined(stream_start_)) result.streaming = StartStream(result);
        return result;  // the request goes on later: no EndRequest yet
      case Settled::kValue:
        failed = false;
        break;
      case Settled::kException:
        Fail(result, value);
        break;
      case Settled::kTimedOut:
        result.kind = ScriptResult::Kind::kError;
        result.error = ScriptResult::Failure{"script_timeout", 504, "the script ran out of time", "", ""};
        reusable_ = false;
        break;
      case Settled::kNoProgress:
        result.kind = ScriptResult::Kind::kError;
        result.error = {"script_no_response", 500, "the handler finished without sending a response", "", ""};
        break;
    }
  }
  may_suspend_ = false;

  if (!failed) {
    Scoped v(ctx, value);
    Scoped handled(ctx, JS_GetPropertyStr(ctx, v.get(), "handled"));
    Scoped error(ctx, JS_GetPropertyStr(ctx, v.get(), "error"));
    if (!JS_ToBool(ctx, handled.get())) {
      result.kind = ScriptResult::Kind::kNotHandled;
      Scoped fallback(ctx, JS_GetPropertyStr(ctx, v.get(), "fallback"));
      if (JS_IsObject(fallback.get())) {
        HttpResponse page;
        const int32_t status = ReadResponse(ctx, fallback.get(), page);
        if (status >= 400 && status <= 599) result.fallback = std::move(page);
      }
    } else if (JS_IsObject(error.get())) {
      int32_t status = 0;
      Scoped status_js(ctx, JS_GetPropertyStr(ctx, error.get(), "status"));
      JS_ToInt32(ctx, &status, status_js.get());
      std::string message = PropString(ctx, error.get(), "message");
      if (status >= 400 && status < 500) {
        // An error that carries a client status is answered as such (Express).
        const char* code = status == 400 ? "bad_request" : status == 401 ? "unauthorized" : status == 403 ? "forbidden"
                           : status == 404 ? "not_found" : "client_error";
        result.kind = ScriptResult::Kind::kResponse;
        result.response = HttpResponse::ErrorBody(status, code, message.empty() ? StatusReason(status) : message);
      } else if (auto fault = StorageFaultOf(ctx, error.get())) {
        result.kind = ScriptResult::Kind::kError;
        result.error = {fault->first, fault->second, message, "", ""};
      } else if (PropString(ctx, error.get(), "code") == "quota_exceeded") {
        // A write the henv's storage quota refused, passed on by the router.
        result.kind = ScriptResult::Kind::kError;
        result.error = {"quota_exceeded", 507, message, "", ""};
      } else if ((PropString(ctx, error.get(), "name") == "InternalError" && message == "out of memory") ||
                 memory_.refused) {
        // Whatever the script made of it (QuickJS throws null when it cannot
        // even allocate the "out of memory" error; a script may rethrow
        // something else), a request that hit the heap limit and failed
        // failed for memory.
        // Caught by the router and handed back: still a limit, still fatal.
        result.kind = ScriptResult::Kind::kError;
        result.error.code = "script_memory";
        result.error.http_status = 500;
        result.error.message = "the script ran out of memory";
        reusable_ = false;
      } else {
        result.kind = ScriptResult::Kind::kError;
        result.error.code = "script_error";
        result.error.http_status = 500;
        std::string name = PropString(ctx, error.get(), "name");
        result.error.message = (!name.empty() && name != "Error" ? name + ": " : "") + message;
        result.error.stack = PropString(ctx, error.get(), "stack");
        result.error.location = LocationFromStack(result.error.stack);
      }
    } else {
      result.kind = ScriptResult::Kind::kResponse;
      const int32_t status = ReadResponse(ctx, v.get(), result.response);
      Scoped websocket(ctx, JS_GetPropertyStr(ctx, v.get(), "websocket"));
      if (JS_IsString(websocket.get()) && status == 101) {
        // A ws route took the upgrade (hbf:ws): the only way to a 101.
        result.response.websocket_route = ToStdString(ctx, websocket.get());
        result.response.body.clear();
      } else if (status < 200 || status > 599) {
        // 1xx is interim, never an answer: on the wire it would make the
        // client take the next response as this one's. Others are not HTTP.
        result = ScriptResult{};
        result.kind = ScriptResult::Kind::kError;
        result.error = ScriptResult::Failure{"script_error", 500,
                                             "invalid response status " + std::to_string(status) +
                                                 " (a final status is 200-599)",
                                             "", ""};
      }
    }
  }

  EndRequest(result);
  return result;
}

ScriptResult Worker::Render(const std::string& target, bool is_source, const std::string& data_json,
                            const ScriptLimits& limits) {
  ScriptResult result;
  JSContext* ctx = ctx_;
  BeginRequest(limits);
  JSValue ns = Undefined();
  Settled imported = Import("hbf:templates", ns);
  if (imported != Settled::kValue) {
    if (imported == Settled::kException) {
      Fail(result, ns);
    } else {
      result.kind = ScriptResult::Kind::kError;
      result.error = ScriptResult::Failure{"internal_error", 500, "the template engine is unavailable", "", ""};
    }
    EndRequest(result);
    return result;
  }
  JSValue render = JS_GetPropertyStr(ctx, ns, "render");
  JS_FreeValue(ctx, ns);
  JSValue options = JS_NewObject(ctx);
  JS_SetPropertyStr(ctx, options, "source", JS_NewBool(ctx, is_source));
  // A page rendered at its own URL stays public; what it includes does not.
  JS_SetPropertyStr(ctx, options, "page", JS_NewBool(ctx, true));
  if (!is_source) JS_SetPropertyStr(ctx, options, "filename", JS_NewStringLen(ctx, target.data(), target.size()));
  JSValue args[3] = {JS_NewStringLen(ctx, target.data(), target.size()),
                     JS_ParseJSON(ctx, data_json.c_str(), data_json.size(), "<data>"), options};
  JSValue ret = JS_Call(ctx, render, Undefined(), 3, args);
  for (JSValue& a : args) JS_FreeValue(ctx, a);
  JS_FreeValue(ctx, render);
  JSValue value = Undefined();
  if (Settle(ret, value, result, "the template ran out of time",
             {"script_error", 500, "the template never finished rendering", "", ""})) {
    result.kind = ScriptResult::Kind::kResponse;
    result.response.status = 200;
    result.response.headers.emplace_back("Content-Type", "text/html; charset=utf-8");
    result.response.body = ToStdString(ctx, value);
    JS_FreeValue(ctx, value);
  }
  EndRequest(result);
  return result;
}

}  // namespace hbf::js
