// What the JavaScript engine (js/engine.h) takes and gives: a request's
// limits (ScriptLimits), the request itself (ScriptRequest), what a script
// answered or how it failed (ScriptResult), and the engine's options
// (EngineOptions). Plain values, no behaviour: callers that build requests
// or read results need not see the engine's pools, shards and workers.
//
// Thread safety: values; each is owned by whoever holds it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "core/json.h"
#include "henv/henv_log.h"
#include "http/http_types.h"

namespace hbf {
class WsHub;
}  // namespace hbf

namespace hbf::auth {
class LoginThrottle;
}  // namespace hbf::auth

namespace hbf::js {

struct ScriptLimits {
  int64_t memory_bytes = 64 << 20;  // per runtime
  int timeout_ms = 5000;            // per request
  size_t stack_bytes = 1 << 20;     // JS stack per runtime
  int64_t storage_bytes = 0;         // the henv file's bound (0: none); writes beyond fail "quota_exceeded"
};

struct ScriptRequest {
  std::string method;
  std::string url;    // path + query, percent-encoded
  std::string path;   // percent-encoded
  std::string sent_path;  // HttpRequest::sent_path: the client's spelling, when it differs
  std::string query;  // raw, without '?'
  HeaderList headers;  // lower-case names
  std::string body;
  std::string ip;
  std::string protocol;  // "http" | "https"
  std::string hostname;
  std::string id;  // the request id (req.id; henv log entries)
  Json user;  // the authenticated user, or null
  // A WebSocket upgrade (HttpRequest::websocket_id): the router's ws routes
  // may take it. 0 for every other request.
  uint64_t websocket_id = 0;
  // Set instead for an event on an accepted socket: the router's ws route
  // `route` runs its message or close handler (method/url/headers unused).
  struct WsEvent {
    bool is_close = false;
    uint64_t socket_id = 0;
    std::string route;
    std::string data;     // the socket's ws.data as JSON (empty: none yet)
    std::string payload;  // a message
    bool binary = false;
    int code = 1005;      // a close
    std::string reason;
  };
  std::optional<WsEvent> ws_event;
};

struct ScriptResult {
  enum class Kind {
    kNotHandled,  // no router, or no route matched: serve documents
    kResponse,    // `response` is what the script answered
    kError,       // the script failed: see `error`
    kPending,     // (internal to the engine) waiting for a timer until `wake_at`
  };
  Kind kind = Kind::kNotHandled;
  HttpResponse response;
  struct Failure {
    std::string code;      // script_error | script_timeout | script_memory | script_no_response | script_busy
    int http_status = 500;
    std::string message;   // safe to show (sanitised)
    std::string location;  // "file:line:col" of the failure when known
    std::string stack;     // for the log only
    // The henv's router (or a module it imports) failed to load: no route
    // can run until the code changes, but documents can still be served.
    bool router_unavailable = false;
  } error;
  // kNotHandled from an express app: Express's own 404 page, for the caller
  // to answer when it has nothing to serve at the path either.
  std::optional<HttpResponse> fallback;
  bool wrote_database = false;  // the request changed rows (the henv's activity stamp)
  // It changed rows of `documents` (directly or by a trigger): the henv's
  // code version may have moved, so JsEngine re-reads it. Writes to the
  // app's own tables cannot move it (the _hbf_* tables are sealed).
  bool wrote_code = false;
  int64_t js_ns = 0;            // time the worker ran JavaScript for it (parked time excluded)
  int64_t db_ns = 0;            // of which in SQLite (the app's db and req.db)
  std::chrono::steady_clock::time_point wake_at{};  // kPending only
  // kPending whose response head is ready (a script's res.write() before
  // its handler waited): the engine answers `response` now, its body going
  // on through response.stream, and parks the worker until the handler ends
  // the response (or fails, or runs out of time: the stream is then ended).
  bool streaming = false;
};

struct EngineOptions {
  int64_t memory_budget_bytes = int64_t{1} << 30;  // all runtimes together (--js_memory_mb)
  int max_workers_per_henv = 4;                    // concurrent requests per henv (--js_workers_per_henv)
  // Workers' connections to henv files (Worker::file_connections, as of
  // their last check-in) beyond this many: idle workers holding one are
  // evicted, least recently used first; 0: no cap. Each connection holds
  // descriptors (the file and its WAL), so the server derives the cap from
  // the open-file limit. A worker whose script never touched the database
  // holds none and counts only against the memory budget: with 10,000
  // henvs serving /hello, the cap on all workers (1,234 under a limit of
  // 20,000 descriptors) made most requests build one.
  int max_worker_connections = 0;
  // Connections to henv files kept after their worker is destroyed, for
  // the henv's next worker (js/connection_shelf.h: a new one parses the
  // henv's schema, ~1.5M instructions), at most this many, each for at
  // most `spare_connection_idle` (--js_spare_connections; 0: none kept).
  // Descriptors they hold come out of what max_worker_connections allows.
  int spare_connections = 64;
  std::chrono::milliseconds spare_connection_idle{30000};
  // Blank workers (built-ins loaded, no henv) kept ready by a background
  // thread: a henv's first request, or its first after a code change, then
  // only binds one (its connection, its router) instead of building a runtime.
  int spare_workers = 2;
  // Blank workers are copies of the process's WorkerImage (worker_image.h:
  // a memcpy and a relocation, ~7x cheaper than a build) when it could be
  // captured; false: each is built (--js_copy_workers=false).
  bool copy_blank_workers = true;
  // A henv's workers are copies of a BoundImage (bound_image.h: the image
  // with what its bind made written over it) once a bind of its code was
  // seen to leave only its heap and two binds made the same words, instead
  // of binding each; false: each binds (--js_bound_images=false). Needs
  // copy_blank_workers.
  bool bound_images = true;
  // A henv's first capture in the process compares two binds from the
  // bytecode cache at once when its first bind compiled the code in no
  // more than this (BoundImage::Capture's `compare_within`); a bind that
  // took longer (a large app) captures at the henv's next worker instead,
  // so that its first request waits no more than about twice this longer.
  std::chrono::nanoseconds first_capture_max_bind = std::chrono::milliseconds(5);
  // Transient workers ("Long tail" in JsEngine's private part): while most
  // workers made are for henvs not coming back soon, a worker made or
  // found cold for a henv not back at once (fewer than
  // `long_tail_back_at_once` evictions since its last worker went, or
  // went idle) is dropped at its check-in, its arena (still in the CPU's
  // caches) going to the next worker made (--js_transient_workers). The
  // mode is looked at once a second, over at least
  // `long_tail_min_checkouts` checkouts (a look that saw fewer waits for
  // the next: a server that just started, meeting 10,000 henvs for the
  // first time, answers ~500 a second on the 2-core VM).
  bool transient_workers = true;
  int64_t long_tail_min_checkouts = 256;
  // Over 10,000 henvs at random, ~0.6% of requests are back at once; a henv
  // asked every 64th request or more often keeps a warm worker.
  uint64_t long_tail_back_at_once = 64;
  // How often the housekeeper looks (UpdateLongTail); tests look themselves.
  std::chrono::milliseconds long_tail_look_every{1000};
  // A destroyed worker's runtime is dropped whole (its memory is all its
  // own: js/allocator.h), running only the finalizers that reach outside
  // it; false: freed value by value (--js_drop_workers_whole=false, for A/B).
  // Process-wide (Worker::SetDropWhole): the last engine made sets it.
  bool drop_workers_whole = true;
  // A henv's idle workers beyond the one it used last are destroyed once
  // unused this long: a burst grows a pool to its concurrency, and without
  // this the pool kept that size until the memory budget or the file's
  // closing took it (~0.4 MB and two descriptors a worker). 0: kept.
  std::chrono::milliseconds surplus_idle{30000};
  // What becomes of a worker idle for kTrimAfterIdle, once trimmed
  // (--js_hibernate). Hibernated (Worker::Hibernate): its arena kept as its
  // difference from the image, packed (~10 KB instead of ~380 for a small
  // router), woken at the same addresses by its henv's next request, state
  // and all. A wake makes the arena's pages again: where the system charges
  // much for that (the 2-core VM: ~0.4 ms a wake against ~0.13 ms for
  // making and binding a worker, bench/README.md), hibernating costs the
  // housekeeper a snapshot and the next request more than a new worker
  // would. kWhenCheaper hibernates a henv's worker only while waking one
  // has measured cheaper than making one for that henv; otherwise the
  // worker is dropped (its memory all given back; its connection to the
  // shelf), and a hibernated worker such a request finds is dropped and a
  // worker made instead (each 64th decision hibernates and wakes anyway,
  // so the wakes' figure follows the machine). kAlways: every idle worker
  // that can hibernates; kNever: idle workers stay awake, trimmed.
  enum class Hibernation { kNever, kAlways, kWhenCheaper };
  Hibernation hibernation = Hibernation::kWhenCheaper;
  // kWhenCheaper starts from an estimate of a wake's cost, made as the
  // engine starts (internal::Arena::FreshWriteNsPerKib: fresh memory
  // backed and written, ~0.4 ms on the 2-core VM), until wakes are
  // measured. Without one, every worker that idles before the first wake
  // hibernates: over 10,000 henvs, a server that met them all, idled and
  // was loaded again evicted 0.21-0.23 hibernated workers a request (0.02
  // with it; RSS ~80 MiB lower; the CPU those seconds cost, mostly memory
  // given back while idle being written again, was not told apart).
  // False: no estimate (a test of what comes before the first wake).
  bool estimate_wake_at_start = true;
  // Failed logins per account, shared with the HTTP login (hbf:auth's
  // login() counts against the same lockout). Null: hbf:auth has no login.
  auth::LoginThrottle* login_throttle = nullptr;
  // Per client address (POST /login's too): hbf:auth's login() and signup().
  auth::LoginThrottle* address_throttle = nullptr;
  // Where a henv's console output goes besides the server log (its own log,
  // GET /_api/logs); thread-safe, outlives the engine. Null: server log only.
  HenvLogHub* logs = nullptr;
  // Where hbf:ws acts on sockets (thread-safe, outlives the engine). Null:
  // router.ws routes exist but no upgrade reaches them.
  WsHub* ws_hub = nullptr;
};

}  // namespace hbf::js
