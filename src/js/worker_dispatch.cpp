// Worker, part two: running a request (Dispatch, Resume), settling what the
// handler returned into a response, streaming, rendering a template. Part
// one (worker.cpp) makes, binds and keeps the worker.
#include <chrono>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/log.h"
#include "http/http_types.h"
#include "js/js_values.h"
#include "js/module_loader.h"
#include "js/worker.h"
#include "js/worker_access.h"
#include "js/worker_failure.h"

namespace hbf::js {

using internal::BytesOf;
using internal::IsInterrupted;
using internal::LocationFromStack;
using internal::NewUint8Array;
using internal::PropString;
using internal::RepeatedStrings;
using internal::Scoped;
using internal::StorageFaultOf;
using internal::ToStdString;
using internal::Undefined;

namespace {
using Clock = std::chrono::steady_clock;

// The fields of the request object hbf:http's dispatch receives (raw_).
enum class RawField : size_t {
  kMethod, kUrl, kPath, kQuery, kSentPath, kHeaders, kHotHeaders, kBody, kIp, kProtocol, kHostname, kId, kUser, kHenv,
  kWebsocket, kWsEvent, kHeaderMap,
};
constexpr const char* kRawFieldNames[] = {
    "method", "url", "path", "query", "sentPath", "headers", "hotHeaders", "body", "ip", "protocol", "hostname", "id",
    "user", "henv", "websocket", "wsEvent", "headerMap",
};
static_assert(std::size(kRawFieldNames) == static_cast<size_t>(RawField::kHeaderMap) + 1);

// The names C++ reads from dispatch's result besides raw's own (headers,
// body, websocket), as atoms after raw's in raw_atoms_.
enum class ResultField : size_t { kStatus, kHandled, kError, kFallback, kLength };
constexpr const char* kResultFieldNames[] = {"status", "handled", "error", "fallback", "length"};
constexpr size_t kFieldAtoms = std::size(kRawFieldNames) + std::size(kResultFieldNames);

// The atoms for a result's fields (raw_atoms_ once TakeRaw has run).
struct ResultAtoms {
  const std::vector<JSAtom>& atoms;
  JSAtom operator[](RawField f) const { return atoms[static_cast<size_t>(f)]; }
  JSAtom operator[](ResultField f) const { return atoms[std::size(kRawFieldNames) + static_cast<size_t>(f)]; }
};

// raw.hotHeaders: which headers hbf:http_request's HAS_* bits say the request
// has (the ones dispatch asks for on every request: a clear bit spares the
// JavaScript a walk over the header list).
constexpr int32_t kHasContentType = 1;
constexpr int32_t kHasConditional = 2;
constexpr int32_t kHasBodyFraming = 4;
// Above the bits, the index in raw.headers of the first Content-Type's value
// (0: not given; past kContentTypeAtMax the JavaScript walks the list).
constexpr int kContentTypeAtShift = 8;
constexpr size_t kContentTypeAtMax = size_t{1} << 22;

int32_t HotHeaderBit(std::string_view name) {
  switch (name.size()) {
    case 12: return EqualsIgnoreCase(name, "content-type") ? kHasContentType : 0;
    case 14: return EqualsIgnoreCase(name, "content-length") ? kHasBodyFraming : 0;
    case 17:
      if (EqualsIgnoreCase(name, "transfer-encoding")) return kHasBodyFraming;
      return EqualsIgnoreCase(name, "if-modified-since") ? kHasConditional : 0;
    case 13: return EqualsIgnoreCase(name, "if-none-match") ? kHasConditional : 0;
    default: return 0;
  }
}
}  // namespace

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
  WorkerAccess::ForgetBodyUtf8(*this, ctx_);
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
  // (both taken: each clears its note for the next request)
  const bool code_main = db_ && db_->TakeDocumentsWritten();
  const bool code_user = user_db_ && user_db_->TakeDocumentsWritten();
  result.wrote_code = code_main || code_user;
  CollectCycles(/*force=*/false);
}

ScriptResult Worker::Dispatch(const ScriptRequest& request, const ScriptLimits& limits, bool may_suspend) {
  if (!has_router_) return ScriptResult{};  // removed since the engine looked: not handled
  JSContext* ctx = ctx_;
  BeginRequest(limits);
  may_suspend_ = may_suspend;

  // raw = { method, url, path, query, sentPath, headers, body, ip, protocol,
  //         hostname, id, user, henv, websocket, wsEvent, headerMap: true }
  // (absent: undefined)
  JSValue raw = TakeRaw();
  if (JS_IsException(raw)) return Continue(raw);  // the heap limit: a script_memory failure
  const auto set = [&](RawField field, JSValue value) {
    JS_SetProperty(ctx, raw, raw_atoms_[static_cast<size_t>(field)], value);
  };
  const auto string = [&](const std::string& text) { return JS_NewStringLen(ctx, text.data(), text.size()); };
  // (what requests repeat comes from the worker's strings, not made anew)
  if (strings_ == nullptr) strings_ = std::make_unique<RepeatedStrings>();
  RepeatedStrings& repeated = *strings_;
  const auto field = [&](RepeatedStrings::Slot slot, const std::string& text) { return repeated.Field(ctx, slot, text); };
  set(RawField::kMethod, field(RepeatedStrings::kMethod, request.method));
  // (without a query the path is the url: one string for both)
  const JSValue url = string(request.url);
  set(RawField::kUrl, url);
  set(RawField::kPath, request.path == request.url ? JS_DupValue(ctx, url) : string(request.path));
  set(RawField::kQuery, field(RepeatedStrings::kQuery, request.query));
  set(RawField::kSentPath, request.sent_path.empty() ? Undefined() : string(request.sent_path));
  // [name, value, name, value, ...] (Node's rawHeaders): one array made
  // whole (JS_NewArrayFrom takes the values), not one more per header for
  // the request to allocate and its end to collect.
  int32_t hot_headers = 0;
  std::vector<JSValue> flat;
  flat.reserve(request.headers.size() * 2);
  for (const auto& [name, value] : request.headers) {
    const int32_t bit = HotHeaderBit(name);
    if (bit == kHasContentType && (hot_headers & kHasContentType) == 0 && flat.size() + 1 <= kContentTypeAtMax) {
      hot_headers |= static_cast<int32_t>(flat.size() + 1) << kContentTypeAtShift;
    }
    hot_headers |= bit;
    flat.push_back(repeated.HeaderName(ctx, name));
    flat.push_back(string(value));
  }
  set(RawField::kHeaders, JS_NewArrayFrom(ctx, static_cast<int>(flat.size()), flat.data()));
  set(RawField::kHotHeaders, JS_NewInt32(ctx, hot_headers));
  // (no body: hbf:http_request's shared empty one)
  set(RawField::kBody, request.body.empty() ? Undefined() : NewUint8Array(ctx, request.body.data(), request.body.size()));
  set(RawField::kIp, field(RepeatedStrings::kIp, request.ip));
  set(RawField::kProtocol, field(RepeatedStrings::kProtocol, request.protocol));
  set(RawField::kHostname, field(RepeatedStrings::kHostname, request.hostname));
  set(RawField::kId, string(request.id));
  current_user_ = request.user;
  current_request_id_ = request.id;
  current_ip_ = request.ip;
  current_method_ = request.method;
  current_path_ = request.path;
  if (user_db_) user_db_->SetDeadline(deadline_);
  if (request.user.is_null()) {
    set(RawField::kUser, JS_NULL);
  } else {
    std::string user_json = request.user.dump();
    set(RawField::kUser, JS_ParseJSON(ctx, user_json.c_str(), user_json.size(), "<user>"));
  }
  set(RawField::kHenv, field(RepeatedStrings::kHenv, henv_hash_));
  set(RawField::kWebsocket,
      request.websocket_id != 0 ? JS_NewFloat64(ctx, static_cast<double>(request.websocket_id)) : Undefined());
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
    set(RawField::kWsEvent, ev);
  } else {
    set(RawField::kWsEvent, Undefined());
  }

  streamable_ = may_suspend && request.websocket_id == 0 && !request.ws_event && request.method != "HEAD";
  JSValue args[2] = {router_, raw};
  JSValue ret = JS_Call(ctx, dispatch_fn_, Undefined(), 2, args);
  // What the request carried is the request's: an idle worker keeps no body.
  set(RawField::kHeaders, Undefined());
  set(RawField::kBody, Undefined());
  set(RawField::kUser, Undefined());
  set(RawField::kWsEvent, Undefined());
  JS_FreeValue(ctx, raw);
  return Continue(ret);
}

void Worker::WarmRequestShapes() {
  JSContext* ctx = ctx_;
  JSValue ns = Undefined();
  ScriptResult::Failure failure;
  if (internal::Builtins().modules.count("hbf:router") == 0 || !Load("hbf:router", ns, failure)) return;
  const JSValue router_class = JS_GetPropertyStr(ctx, ns, "Router");
  JS_FreeValue(ctx, ns);
  const JSValue raw = TakeRaw();
  if (JS_IsException(raw) || !JS_IsConstructor(ctx, router_class)) {
    JS_FreeValue(ctx, raw);
    JS_FreeValue(ctx, router_class);
    return;
  }
  JS_SetShapeTransitions(rt_, 1);
  JS_SetGCYoung(rt_, 1);
  const JSValue router = JS_CallConstructor(ctx, router_class, 0, nullptr);
  static constexpr char kHandler[] = "(req, res) => res.json({ ok: true })";
  JSValue route[2] = {JS_NewString(ctx, "/"),
                      JS_Eval(ctx, kHandler, sizeof kHandler - 1, "<template>", JS_EVAL_TYPE_GLOBAL)};
  // (out of memory at any step: no request, nothing but what was made freed)
  bool routed = false;
  if (!JS_IsException(router) && !JS_IsException(route[0]) && !JS_IsException(route[1])) {
    const JSValue get = JS_GetPropertyStr(ctx, router, "get");
    const JSValue added = JS_Call(ctx, get, router, 2, route);
    routed = !JS_IsException(added);
    JS_FreeValue(ctx, added);
    JS_FreeValue(ctx, get);
  }
  for (JSValue v : route) JS_FreeValue(ctx, v);
  const auto set = [&](RawField field, JSValue value) {
    JS_SetProperty(ctx, raw, raw_atoms_[static_cast<size_t>(field)], value);
  };
  if (routed) {
    set(RawField::kMethod, JS_NewString(ctx, "GET"));
    set(RawField::kUrl, JS_NewString(ctx, "/"));
    set(RawField::kPath, JS_NewString(ctx, "/"));
    set(RawField::kQuery, JS_NewString(ctx, ""));
    set(RawField::kHeaders, JS_NewArray(ctx));
    set(RawField::kHotHeaders, JS_NewInt32(ctx, 0));
    set(RawField::kIp, JS_NewString(ctx, "127.0.0.1"));
    set(RawField::kProtocol, JS_NewString(ctx, "http"));
    set(RawField::kHostname, JS_NewString(ctx, "template.invalid"));
    set(RawField::kId, JS_NewString(ctx, ""));
    set(RawField::kUser, JS_NULL);
    set(RawField::kHenv, JS_NewString(ctx, ""));
    JSValue args[2] = {router, raw};
    JS_FreeValue(ctx, JS_Call(ctx, dispatch_fn_, Undefined(), 2, args));
    // The image keeps none of the request's values: every field as
    // TakeRaw left it.
    for (size_t f = 0; f < static_cast<size_t>(RawField::kHeaderMap); ++f) set(static_cast<RawField>(f), Undefined());
  }
  JS_FreeValue(ctx, raw);
  JS_FreeValue(ctx, router);
  JS_FreeValue(ctx, router_class);
  // (the body's UTF-8 kept for the answer's ETag: no answer is read here)
  JS_FreeValue(ctx, std::exchange(body_utf8_of_, Undefined()));
  body_utf8_.clear();
  // (any exception the request left is the context's: dropped)
  JS_FreeValue(ctx, JS_GetException(ctx));
  JS_RunGCYoung(rt_);
  JS_SetGCYoung(rt_, 0);
  JS_PauseShapeTransitions(rt_, 1);
}

JSValue Worker::TakeRaw() {
  if (JS_IsUndefined(raw_)) {
    // Every field defined once, in RawField order, so the object's shape is
    // settled before its first use. (At the heap limit: the exception.)
    JSValue raw = JS_NewObject(ctx_);
    if (JS_IsException(raw)) return raw;
    std::vector<JSAtom> atoms;
    atoms.reserve(kFieldAtoms);
    const auto fail = [&](JSAtom atom) {
      if (atom != JS_ATOM_NULL) JS_FreeAtom(ctx_, atom);
      for (JSAtom a : atoms) JS_FreeAtom(ctx_, a);
      JS_FreeValue(ctx_, raw);
      return JS_EXCEPTION;
    };
    for (const char* name : kRawFieldNames) {
      JSAtom atom = JS_NewAtom(ctx_, name);
      // raw.headerMap: this caller reads a finished response's headers
      // from the response's Map (ReadHeaderMap), so dispatch hands it that
      // rather than a list made for it. Set once, for every request.
      const JSValue value = atoms.size() == static_cast<size_t>(RawField::kHeaderMap) ? JS_TRUE : Undefined();
      if (atom == JS_ATOM_NULL || JS_DefinePropertyValue(ctx_, raw, atom, value, JS_PROP_C_W_E) < 0) {
        return fail(atom);
      }
      atoms.push_back(atom);
    }
    for (const char* name : kResultFieldNames) {
      JSAtom atom = JS_NewAtom(ctx_, name);
      if (atom == JS_ATOM_NULL) return fail(atom);
      atoms.push_back(atom);
    }
    raw_ = raw;
    raw_atoms_ = std::move(atoms);
  }
  return JS_DupValue(ctx_, raw_);
}

ScriptResult Worker::Resume() {
  JS_UpdateStackTop(rt_);  // resumed on whichever handler thread runs it
  JSValue promise = pending_;
  pending_ = Undefined();
  return Continue(promise);
}

namespace {
constexpr int64_t kMaxResponseHeaders = 1000;

// The headers hbf:http_response keeps are a Map: lower-case name -> [name
// as first set, value (a string, or an array of them: Set-Cookie)]. Read
// here without JavaScript (QuickJS patch 0024) into `out`, skipping what the
// HTTP layer frames itself, as Response#headerList() does. False when `map`
// is not a Map.
bool ReadHeaderMap(JSContext* ctx, JSValueConst map, JSAtom length_atom,
                   std::vector<std::pair<std::string, std::string>>& out) {
  // The entries are copied out first (the walk must not see the map
  // change: reading them below could, in principle, run a toString).
  std::vector<JSValue> entries;  // [name, value] arrays, each duplicated
  entries.reserve(8);
  const int walked = JS_MapForEachEntry(
      ctx, map,
      [](JSContext* c, JSValueConst key, JSValueConst value, void* opaque) -> int {
        size_t len = 0;
        const char* lc = JS_ToCStringLen(c, &len, key);
        if (lc == nullptr) {
          JS_FreeValue(c, JS_GetException(c));
          return 0;
        }
        // (the HTTP layer's own, which wire.cpp drops too; headerList()'s list)
        const std::string_view name(lc, len);
        const bool framing = name == "content-length" || name == "transfer-encoding" || name == "connection" ||
                             name == "keep-alive" || name == "upgrade";
        JS_FreeCString(c, lc);
        if (framing) return 0;
        JSValue held = JS_DupValue(c, value);
        try {
          static_cast<std::vector<JSValue>*>(opaque)->push_back(held);
        } catch (...) {  // (out of memory: no exception crosses QuickJS)
          JS_FreeValue(c, held);
          return 1;
        }
        return 0;
      },
      &entries);
  if (walked < 0) return false;
  if (walked > 0) {
    // Out of memory mid-walk: as any other allocation on this path.
    for (JSValue entry : entries) JS_FreeValue(ctx, entry);
    throw std::bad_alloc();
  }
  for (JSValue entry : entries) {
    if (static_cast<int64_t>(out.size()) < kMaxResponseHeaders) {
      Scoped name_js(ctx, JS_GetPropertyUint32(ctx, entry, 0));
      Scoped value(ctx, JS_GetPropertyUint32(ctx, entry, 1));
      const std::string name = ToStdString(ctx, name_js.get());
      if (JS_IsArray(ctx, value.get()) == 1) {
        int64_t n = 0;
        Scoped len(ctx, JS_GetProperty(ctx, value.get(), length_atom));
        JS_ToInt64(ctx, &n, len.get());
        for (int64_t k = 0; k < n && static_cast<int64_t>(out.size()) < kMaxResponseHeaders; ++k) {
          Scoped one(ctx, JS_GetPropertyUint32(ctx, value.get(), static_cast<uint32_t>(k)));
          out.emplace_back(name, ToStdString(ctx, one.get()));
        }
      } else {
        out.emplace_back(name, ToStdString(ctx, value.get()));
      }
    }
    JS_FreeValue(ctx, entry);
  }
  return true;
}

// { status, headers: [[name, value]...] | the response's header Map, body: string | bytes | null } -> `r`;
// returns the status.
int32_t ReadResponse(JSContext* ctx, ResultAtoms names, JSValueConst v, HttpResponse& r) {
  Scoped status_js(ctx, JS_GetProperty(ctx, v, names[ResultField::kStatus]));
  int32_t status = 200;
  JS_ToInt32(ctx, &status, status_js.get());
  r.status = status;
  Scoped hs(ctx, JS_GetProperty(ctx, v, names[RawField::kHeaders]));
  if (!ReadHeaderMap(ctx, hs.get(), names[ResultField::kLength], r.headers) && JS_IsArray(ctx, hs.get())) {
    int64_t n = 0;
    Scoped len(ctx, JS_GetProperty(ctx, hs.get(), names[ResultField::kLength]));
    JS_ToInt64(ctx, &n, len.get());
    for (int64_t k = 0; k < n && k < kMaxResponseHeaders; ++k) {
      Scoped pair(ctx, JS_GetPropertyUint32(ctx, hs.get(), static_cast<uint32_t>(k)));
      Scoped name(ctx, JS_GetPropertyUint32(ctx, pair.get(), 0));
      Scoped val(ctx, JS_GetPropertyUint32(ctx, pair.get(), 1));
      r.headers.emplace_back(ToStdString(ctx, name.get()), ToStdString(ctx, val.get()));
    }
  }
  Scoped body(ctx, JS_GetProperty(ctx, v, names[RawField::kBody]));
  if (JS_IsString(body.get())) {
    if (!WorkerAccess::TakeBodyUtf8(*WorkerAccess::From(ctx), ctx, body.get(), r.body)) {
      r.body = ToStdString(ctx, body.get());
    }
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
  const int32_t status = ReadResponse(ctx, ResultAtoms{raw_atoms_}, head.get(), result.response);
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
        if (memory_.refused) {
          // The heap limit broke the chain on its way (an allocation refused
          // inside the router's own next()): a limit, not the app's bug.
          result.error = {"script_memory", 500, "the script ran out of memory", "", ""};
          reusable_ = false;
        } else {
          result.error = {"script_no_response", 500, "the handler finished without sending a response", "", ""};
        }
        break;
    }
  }
  may_suspend_ = false;

  if (!failed) {
    Scoped v(ctx, value);
    const ResultAtoms names{raw_atoms_};
    Scoped handled(ctx, JS_GetProperty(ctx, v.get(), names[ResultField::kHandled]));
    Scoped error(ctx, JS_GetProperty(ctx, v.get(), names[ResultField::kError]));
    if (!JS_ToBool(ctx, handled.get())) {
      result.kind = ScriptResult::Kind::kNotHandled;
      Scoped fallback(ctx, JS_GetProperty(ctx, v.get(), names[ResultField::kFallback]));
      if (JS_IsObject(fallback.get())) {
        HttpResponse page;
        const int32_t status = ReadResponse(ctx, names, fallback.get(), page);
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
      const int32_t status = ReadResponse(ctx, names, v.get(), result.response);
      Scoped websocket(ctx, JS_GetProperty(ctx, v.get(), names[RawField::kWebsocket]));
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
  if (timed_out_ && !stream_) {
    // The deadline interrupted the script (QuickJS's uncatchable
    // "interrupted") and the request still settled: an async handler's
    // rejection went to next(err), and the app's error middleware or
    // hbf:http's last handler answered (500 script_error). A sync
    // handler's interrupt reaches C++ as an exception, answered 504; the
    // same limit answers the same here. (A streamed response's head is
    // out already: EndRequest cuts its body short.)
    result = ScriptResult{};
    result.kind = ScriptResult::Kind::kError;
    result.error = ScriptResult::Failure{"script_timeout", 504, "the script ran out of time", "", ""};
    reusable_ = false;
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
