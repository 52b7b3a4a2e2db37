// The HTTP/1.1 server: event loops for the wire, handler threads for work.
//
//   I/O loops (`io_threads`, one per core by default): each owns a listening
//   socket (SO_REUSEPORT: the kernel spreads connections across loops), its
//   connections, their parsers (llhttp) and timers. A loop never blocks: an
//   idle connection costs a few hundred bytes and no thread.
//   Handler threads (`handler_threads`, see dispatcher.h): run
//   RequestHandler::Handle for complete requests, fairly per henv, and post
//   the response back to the connection's loop.
//
// Per request: the loop parses the head (limits, RFC 9112 checks: see
// request_parser.h), reads the body (413 before buffering past the limit;
// `Expect: 100-continue` answered), asks HandleOnLoop() whether it can
// answer at once (health, a document readable now), else queues the request
// under QueueKey(). An answer made on the loop goes out after the loop's
// next look at its sockets, with the others of that turn. The
// response goes out in order, one request at a time per connection; several
// responses produced in one loop turn (pipelining) go out in one write.
//
// Lifecycle: Start() -> [BeginDrain() -> WaitIdle()] -> Stop(). While
// draining every response closes its connection and idle connections are
// closed; new requests are still read and answered (the handler decides
// what they are told: see HttpRequest::arrived_while_draining). WaitIdle()
// waits for requests in flight, from the moment their headers were read.
//
// Thread safety: Start/BeginDrain/WaitIdle/Stop from one control thread.
// Handle() is called concurrently from the handler threads; HandleOnLoop()
// and QueueKey() concurrently from the loops. in_flight() and draining() may
// be read from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "http/http_types.h"
#include "http/proxy_trust.h"

namespace hbf {

// Delivers a request's response to its connection; callable once, from any
// thread, at any time (a response for a connection gone meanwhile is dropped).
using Responder = std::function<void(HttpResponse)>;

// Something that happened on an accepted WebSocket, for the handler to run
// (a script's message or close handler). A socket's events are handed over
// one at a time, in order: the next waits until the last one's `done`.
struct WsEvent {
  enum class Kind { kMessage, kClose };
  Kind kind = Kind::kMessage;
  uint64_t socket_id = 0;
  std::string henv;     // the QueueKey of its upgrade request
  std::string route;    // HttpResponse::websocket_route it was accepted with
  std::string payload;  // kMessage
  bool binary = false;  // kMessage
  int code = 1005;      // kClose: the code the client sent (1005: none; 1006: dropped)
  std::string reason;   // kClose
};

class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  // On a handler thread. Exceptions are caught, logged, and answered with a
  // 500 "internal_error"; they never reach a loop.
  virtual HttpResponse Handle(HttpRequest& request) = 0;
  // On a handler thread: answers through `respond`, now or later (a script
  // awaiting a timer answers later, holding no thread meanwhile). The
  // request may be moved from. Default: respond(Handle(request)).
  virtual void HandleAsync(HttpRequest& request, Responder respond) { respond(Handle(request)); }
  // On a loop thread: the answer when it can be given without blocking (no
  // lock another thread may hold long, waits bounded to microseconds, no I/O
  // but reads of a file already open), else nullopt to queue the request.
  // Must not throw.
  virtual std::optional<HttpResponse> HandleOnLoop(const HttpRequest& /*request*/) { return std::nullopt; }
  // On a loop thread: requests with the same key share one concurrency cap
  // (a henv's hash). Pure; must not throw.
  virtual std::string QueueKey(const HttpRequest& /*request*/) { return {}; }
  // On a handler thread: runs a WebSocket event and calls `done` once,
  // now or later, from any thread. Must not throw. Default: nothing to run.
  virtual void HandleWsEvent(WsEvent /*event*/, std::function<void()> done) { done(); }
  // On any thread: completes an answer the server gives by itself for
  // `request` (503 script_busy when it waited too long for a handler) as
  // the handler's own answers are completed (e.g. a henv's CORS headers).
  // The server has already added its default security headers. Must not
  // throw or block.
  virtual void FinishServerAnswer(const HttpRequest& /*request*/, HttpResponse& /*response*/) {}
};

class WsHub;

struct ServerOptions {
  std::string bind = "127.0.0.1";  // numeric address
  uint16_t port = 5309;            // 0: the kernel picks one (see port())
  int io_threads = 1;
  int handler_threads = 8;
  int running_threads = 0;  // handler threads woken to run at once (0: no limit; see dispatcher.h)
  int per_key_concurrency = 4;                    // requests of one henv handled at once
  int dispatch_shards = 16;                       // the dispatcher's key shards (see dispatcher.h)
  std::chrono::milliseconds queue_timeout{5000};  // longest wait for a handler: then 503
  int64_t max_body_bytes = 10 << 20;
  size_t max_header_bytes = 32 * 1024;
  size_t max_headers = 100;
  int header_timeout_ms = 10000;      // first byte of a request -> end of its headers
  int keep_alive_timeout_ms = 15000;  // idle between requests
  int send_timeout_ms = 30000;        // a client that reads nothing this long is dropped
  int64_t min_body_rate = 1024;       // bytes/s a body must average once header_timeout has passed
  int max_connections = 100000;       // 0: unlimited
  int max_connections_per_ip = 4096;  // 0: unlimited
  // WebSockets (see ws_hub.h): null refuses every upgrade (501).
  WsHub* ws_hub = nullptr;
  size_t ws_max_message_bytes = 1 << 20;    // larger: closed with 1009
  size_t ws_max_buffered_bytes = 4 << 20;   // unsent to a slow reader: closed with 1013
  int ws_ping_interval_ms = 30000;          // a silent socket is pinged
  int ws_pong_timeout_ms = 15000;           // and dropped when no pong follows
  size_t ws_max_queued_messages = 64;       // received, not yet handled: reading pauses beyond
  // Whose X-Request-Id is kept (a trusted proxy's); others get a generated id.
  ProxyPolicy proxy;
};

class Dispatcher;
class IoLoop;
class ConnectionLimiter;

class HttpServer {
 public:
  // `handler` must outlive the server.
  HttpServer(ServerOptions options, RequestHandler& handler);
  ~HttpServer();  // Stop()s if still running
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts the loops and handler threads. Fails with a message
  // that names the address (e.g. "127.0.0.1:5309: address already in use").
  Status Start();

  // The port actually bound. REQUIRES: Start() succeeded.
  uint16_t port() const { return bound_port_; }

  void BeginDrain();
  // Waits until no request is in flight. Returns false on timeout.
  bool WaitIdle(std::chrono::milliseconds timeout);
  // Stops the handler threads (running handlers finish; queued requests are
  // answered 503), then the loops (connections closed). Idempotent.
  void Stop();

  // Runs `task` on a handler thread in `key`'s turn (a henv's share), e.g. a
  // parked script going on. Once stopped, runs it on the calling thread.
  void Post(const std::string& key, std::function<void()> task);

  int in_flight() const;
  bool draining() const { return draining_.load(std::memory_order_relaxed); }

 private:
  const ServerOptions options_;
  RequestHandler& handler_;
  uint16_t bound_port_ = 0;  // written only by Start
  std::atomic<bool> draining_{false};
  std::unique_ptr<ConnectionLimiter> limiter_;
  std::unique_ptr<Dispatcher> dispatcher_;
  // Shared: responders of requests still being handled keep their loop
  // alive, so an answer arriving after Stop() is dropped, not a crash.
  std::vector<std::shared_ptr<IoLoop>> loops_;
  bool running_ = false;  // control thread only
};

}  // namespace hbf
