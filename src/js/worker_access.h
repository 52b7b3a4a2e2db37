// Internal to src/js: how the C callbacks QuickJS calls for a worker (the
// hbf:native functions, the module loader hooks, the interrupt handler)
// reach its private state. Worker befriends WorkerAccess; nothing outside
// src/js includes this header.
//
// Thread safety: as the Worker's. A worker is used by one thread at a time,
// and QuickJS calls these callbacks on that thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <utility>

extern "C" {
#include <quickjs.h>
}

#include "db/database.h"
#include "js/worker.h"

namespace hbf::js {

// Gives the C callbacks access to Worker's private state.
struct WorkerAccess {
  static Worker* From(JSContext* ctx) { return static_cast<Worker*>(JS_GetContextOpaque(ctx)); }
  // The worker's QuickJS runtime (tests of what a worker holds).
  static JSRuntime* Runtime(const Worker& w) { return w.rt_; }
  // The worker's connection to its henv's file, opened on first use (or a
  // blank worker's empty in-memory one); an error if it cannot be opened.
  static Result<db::Database*> Db(Worker& w) { return w.Connection(); }
  // The file Db() opens ("" in a blank worker), for another connection to it.
  static const std::string& DbPath(const Worker& w) { return w.db_path_; }
  static const db::DocumentsEpoch* DocumentsEpoch(const Worker& w) { return w.documents_epoch_.get(); }
  // Reads a document as code (module_loader.cpp), see Worker::QueryDocument.
  static Result<std::optional<db::Value>> QueryDocument(Worker& w, std::string_view sql, const std::string& path) {
    return w.QueryDocument(sql, path);
  }
  static std::optional<db::Database>& UserDb(Worker& w) { return w.user_db_; }
  static int64_t& UserDbSchema(Worker& w) { return w.user_db_schema_; }
  static const Json& CurrentUser(Worker& w) { return w.current_user_; }
  static const std::string& CurrentIp(Worker& w) { return w.current_ip_; }
  static const std::string& CurrentMethod(Worker& w) { return w.current_method_; }
  static const std::string& CurrentPath(Worker& w) { return w.current_path_; }
  static const std::string& CurrentRequestId(Worker& w) { return w.current_request_id_; }
  static const std::string& HenvHash(Worker& w) { return w.henv_hash_; }
  static const std::shared_ptr<db::ChangeListener>& ChangeListener(Worker& w) { return w.change_listener_; }
  // The henv log hub, or null (a blank worker has no henv, hence no pool).
  // (Either, asked for while binding, marks the bind as reaching outside
  // the runtime: Worker::bind_left_only_its_heap.)
  static HenvLogHub* Logs(Worker& w) {
    if (w.binding_henv_ != nullptr) w.bind_reached_out_ = true;
    return w.pool_ != nullptr ? w.pool_->logs : nullptr;
  }
  // The WebSocket hub, or null (no hub, or a blank worker).
  static WsHub* Ws(Worker& w) {
    if (w.binding_henv_ != nullptr) w.bind_reached_out_ = true;
    return w.pool_ != nullptr ? w.pool_->ws_hub : nullptr;
  }
  static std::chrono::steady_clock::time_point Deadline(Worker& w) { return w.deadline_; }
  static void MarkTimedOut(Worker& w) { w.timed_out_ = true; }
  static void MarkBroken(Worker& w) { w.reusable_ = false; }
  // The router built layers after its reach was taken (hbf:router).
  static void NoteRoutesChanged(Worker& w) { w.routes_changed_ = true; }
  // A module was compiled, not read from its pool's bytecode (a bind that
  // compiled is not compared with one that read: BoundImage::Capture).
  static void NoteCompiled(Worker& w) { w.compiled_ = true; }
  static std::map<int64_t, Worker::Timer>& Timers(Worker& w) { return w.timers_; }
  static bool Streamable(const Worker& w) { return w.streamable_; }
  static JSValue& StreamStart(Worker& w) { return w.stream_start_; }
  static const std::shared_ptr<ResponseStream>& Stream(Worker& w) { return w.stream_; }
  static int64_t NextTimerId(Worker& w) { return w.next_timer_id_++; }
  static std::unordered_map<std::string, std::string>& Formats(Worker& w) { return w.module_formats_; }
  static std::unordered_map<std::string, JSModuleDef*>& BuiltinModules(Worker& w) { return w.builtin_modules_; }
  // While a source is only being checked (code_check.cpp), its imports
  // resolve to empty stand-ins: QuickJS resolves a module's imports when it
  // compiles it, and a check must neither read documents nor run anything.
  static bool StubImports(const Worker& w) { return w.stub_imports_; }
  // Keeps the UTF-8 of string `s` (a response body being hashed) for
  // TakeBodyUtf8 in the same request.
  static void RememberBodyUtf8(Worker& w, JSContext* ctx, JSValueConst s, std::string utf8) {
    JS_FreeValue(ctx, w.body_utf8_of_);
    w.body_utf8_of_ = JS_DupValue(ctx, s);
    w.body_utf8_ = std::move(utf8);
  }
  // The UTF-8 RememberBodyUtf8 kept, if `s` is that very string (strings
  // are immutable: the same value, the same bytes).
  static bool TakeBodyUtf8(Worker& w, JSContext* ctx, JSValueConst s, std::string& out) {
    if (JS_VALUE_GET_TAG(s) != JS_VALUE_GET_TAG(w.body_utf8_of_) ||
        JS_VALUE_GET_PTR(s) != JS_VALUE_GET_PTR(w.body_utf8_of_) || !JS_IsString(s)) {
      return false;
    }
    out = std::move(w.body_utf8_);
    w.body_utf8_.clear();
    JS_FreeValue(ctx, std::exchange(w.body_utf8_of_, JS_UNDEFINED));
    return true;
  }
  static void ForgetBodyUtf8(Worker& w, JSContext* ctx) {
    JS_FreeValue(ctx, std::exchange(w.body_utf8_of_, JS_UNDEFINED));
    w.body_utf8_.clear();
  }
};

}  // namespace hbf::js
