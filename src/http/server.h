// The HTTP server: HBF's only user of CivetWeb.
//
// It turns each HTTP request into an HttpRequest, enforces the body limit,
// calls the RequestHandler, writes the HttpResponse and logs one access line.
// Protocol errors CivetWeb detects itself (bad request line, oversized
// headers) are answered with the same JSON error shape.
//
// Lifecycle: Start() -> [BeginDrain() -> WaitIdle()] -> Stop(). While
// draining, every response closes its connection, and WaitIdle() waits for
// requests in flight - from the moment their headers were read, body upload
// included - to complete. What new requests are told while draining is the
// handler's decision (see draining()).
//
// Thread safety: Start/BeginDrain/WaitIdle/Stop are called from one control
// thread (main). The handler is called concurrently from up to
// `num_threads` worker threads and must be thread-safe. in_flight() and
// draining() may be read from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "core/result.h"
#include "http/http_types.h"

struct mg_context;
struct mg_connection;

namespace hbf {

class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  // Called on a worker thread. Exceptions are caught, logged, and answered
  // with a 500 "internal_error"; they never reach CivetWeb.
  virtual HttpResponse Handle(HttpRequest& request) = 0;

  // Called with the request line and headers only (body empty), before any
  // body byte is read: the largest body this request may have, or -1 for the
  // server's limit. A smaller limit is enforced the same way (413 without
  // reading the body). Must be thread-safe and not throw.
  virtual int64_t MaxBodyBytes(const HttpRequest& /*head*/) { return -1; }
};

struct ServerOptions {
  std::string bind = "127.0.0.1";   // numeric address
  uint16_t port = 5309;             // 0: the kernel picks one (see port())
  int num_threads = 64;             // one worker per live connection
  int64_t max_body_bytes = 10 << 20;
  int request_timeout_ms = 30000;   // a client this slow with one request is dropped
  int keep_alive_timeout_ms = 15000;
};

class HttpServer {
 public:
  // `handler` must outlive the server.
  HttpServer(ServerOptions options, RequestHandler& handler);
  ~HttpServer();  // Stop()s if still running
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts the workers. Fails with a message that names the
  // address (e.g. "127.0.0.1:5309: address already in use").
  Status Start();

  // The port actually bound. REQUIRES: Start() succeeded.
  uint16_t port() const { return bound_port_; }

  void BeginDrain();
  // Waits until no request is in flight. Returns false on timeout.
  bool WaitIdle(std::chrono::milliseconds timeout);
  // Closes listeners and connections and joins the workers. Idempotent.
  void Stop();

  int in_flight() const { return in_flight_.load(std::memory_order_relaxed); }
  bool draining() const { return draining_.load(std::memory_order_relaxed); }

 private:
  friend struct CivetCallbacks;
  int ServeConnection(mg_connection* conn);
  void ServeProtocolError(mg_connection* conn, int status, const char* message);

  const ServerOptions options_;   // constant after construction
  RequestHandler& handler_;       // constant after construction
  mg_context* ctx_ = nullptr;     // owned; written only by Start/Stop (control thread)
  uint16_t bound_port_ = 0;       // written only by Start

  std::atomic<int> in_flight_{0};
  std::atomic<bool> draining_{false};
  std::mutex idle_mu_;             // pairs with idle_cv_ for WaitIdle
  std::condition_variable idle_cv_;
};

}  // namespace hbf
