// One I/O loop: an epoll instance on its own thread, its listening socket
// and the connections accepted on it. Internal to src/http (see server.h).
//
// Thread safety: everything about a connection is touched only by the loop's
// thread. Other threads call only PostResponse(), PostWs() and PostStreamChunk() (handler
// threads, the WsHub and ResponseStreams, through a mutex-guarded queue and
// an eventfd wake-up) and the const counters.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/result.h"
#include "http/request_id.h"
#include "http/response_stream.h"
#include "http/server.h"
#include "http/ws_hub.h"

namespace hbf {

class Dispatcher;
class ConnectionLimiter;

class IoLoop : public std::enable_shared_from_this<IoLoop>, public WsSink, public StreamSink {
 public:
  IoLoop(const ServerOptions& options, RequestHandler& handler, Dispatcher& dispatcher, ConnectionLimiter& limiter,
         const std::atomic<bool>& draining);
  ~IoLoop();
  IoLoop(const IoLoop&) = delete;
  IoLoop& operator=(const IoLoop&) = delete;

  // Opens this loop's listening socket (SO_REUSEPORT) on options.bind:port;
  // `port` 0 binds a free port, which the caller passes to the next loops.
  Status Listen(uint16_t port, uint16_t& bound);
  // Starts the loop's thread, named hbf-io-<index> (core/thread_name.h).
  void Start(int index);
  // Closes the listener and every connection, and joins the thread.
  void Stop();

  // From any thread: the response to connection `connection_id`'s request.
  void PostResponse(uint64_t connection_id, HttpResponse response);
  // From any thread (WsSink): a frame or a close for a WebSocket connection.
  void PostWs(uint64_t connection_id, WsOutbound out) override;
  void PostWsBatch(std::vector<std::pair<uint64_t, WsOutbound>> batch) override;
  // From any thread: the handler finished the connection's last WsEvent.
  void PostWsDone(uint64_t connection_id);
  // From any thread (StreamSink, through a ResponseStream): the next piece
  // of a streamed body.
  void PostStreamChunk(uint64_t connection_id, std::string data, ChunkKind kind) override;

  int in_flight() const { return in_flight_.load(std::memory_order_relaxed); }
  int connections() const { return connections_.load(std::memory_order_relaxed); }

 private:
  struct Connection;
  struct WsConnection;
  using Clock = std::chrono::steady_clock;

  void Run();
  void AcceptAll();
  void OnEvent(Connection& c, uint32_t events);
  void ReadAndParse(Connection& c);
  void Parse(Connection& c, const char* data, size_t size);
  void ParseBuffered(Connection& c);
  void BeginRequest(Connection& c);
  void Dispatch(Connection& c, HttpRequest request);
  void Respond(Connection& c, HttpResponse response, bool force_close = false);
  // Answers a request that cannot be served (parse error, too slow) and
  // closes the connection after the answer.
  void FailRequest(Connection& c, int status, const std::string& code, const std::string& message);
  void AfterResponse(Connection& c);
  void Flush(Connection& c);
  void StartLingeringClose(Connection& c);
  void DiscardInput(Connection& c);
  void Close(Connection& c);
  void ProcessCompletions();
  void Tick(Clock::time_point now);
  Connection* Find(uint64_t id);

  // WebSocket connections (io_loop_ws.cpp).
  // A request with a valid upgrade: registered in the hub before dispatch.
  // False when it was answered here instead (refused).
  bool PrepareUpgrade(Connection& c, HttpRequest& request);
  // The handler accepted the upgrade: the 101, then frames.
  void AcceptWebSocket(Connection& c, uint64_t socket_id, HttpResponse& response);
  void ReadWs(Connection& c);
  void FeedWs(Connection& c, const char* data, size_t size);
  void ApplyWs(Connection& c, WsOutbound out);
  void SendWsClose(Connection& c, int code, std::string_view reason);
  void QueueWsEvent(WsConnection& ws, WsEvent event);
  void QueueWsClose(WsConnection& ws, int code, std::string reason);
  // Hands the next event of `ws` (on connection `connection_id`) to a handler.
  void PumpWs(WsConnection& ws, uint64_t connection_id);
  void OnWsDone(uint64_t connection_id);
  // The connection is closing: the close event (if none yet), no more sends.
  void EndWs(Connection& c);
  void TickWs(Connection& c, Clock::time_point now, bool draining, std::vector<Connection*>& doomed);

  // Streamed bodies (io_loop_stream.cpp).
  // The head (in `out`) is ready: send it and attach the response's stream.
  void StartStream(Connection& c, HttpResponse& response, std::string out, bool with_body);
  void ApplyChunk(Connection& c, std::string data, ChunkKind kind);
  // The last chunk (none when not `complete`); the connection goes on with
  // its next request (or closes).
  void FinishStream(Connection& c, bool complete = true);
  // Reads while a body streams: only to notice the client leaving.
  void ReadWhileStreaming(Connection& c);
  // Heartbeats; streams end when the server drains. Collects work for after the scan.
  void TickStream(Connection& c, Clock::time_point now, bool draining, std::vector<Connection*>& to_end);

  const ServerOptions& options_;
  RequestHandler& handler_;
  Dispatcher& dispatcher_;
  ConnectionLimiter& limiter_;
  const std::atomic<bool>& draining_;

  int epoll_fd_ = -1;
  int listen_fd_ = -1;
  int wake_fd_ = -1;  // eventfd
  uint16_t local_port_ = 0;
  std::thread thread_;
  std::atomic<bool> stopping_{false};

  // Loop thread only.
  std::unordered_map<uint64_t, std::unique_ptr<Connection>> connections_by_id_;
  std::vector<uint64_t> doomed_;  // closed this turn; destroyed after it
  uint64_t next_id_ = 16;         // ids below are reserved for the listener and the wake-up fd
  bool accept_paused_ = false;
  Clock::time_point accept_resume_at_{};
  std::unique_ptr<char[]> scratch_;  // read buffer shared by the loop's connections
  // WebSockets whose connection closed while an event was with a handler:
  // their close event runs when that one is done. By connection id.
  std::unordered_map<uint64_t, std::unique_ptr<WsConnection>> ws_orphans_;
  // Upgrades whose connection closed before the handler answered: the
  // hub forgets the socket when the answer arrives. Connection id -> socket id.
  std::unordered_map<uint64_t, uint64_t> ws_abandoned_;
  RequestIdGenerator request_ids_;   // this loop's own: no shared counter

  // Written by the loop thread, read by any.
  std::atomic<int> in_flight_{0};
  std::atomic<int> connections_{0};

  struct Completion {
    enum class Kind { kResponse, kWs, kWsDone, kChunk };
    Kind kind = Kind::kResponse;
    uint64_t connection_id = 0;
    HttpResponse response;  // kResponse
    WsOutbound ws;          // kWs
    std::string chunk;      // kChunk
    ChunkKind chunk_kind = ChunkKind::kData;  // kChunk
  };
  // Queues completions for the loop and wakes it (from any thread).
  void Post(Completion done);
  void Post(std::vector<Completion> batch);
  // Applies one completion (the loop thread).
  void Complete(Completion& done);
  std::mutex completions_mu_;
  std::vector<Completion> completions_;  // guarded by completions_mu_
  // Answers made on the loop itself (RequestHandler::HandleOnLoop), applied
  // as a handler thread's would be, after the loop has looked once more
  // (without waiting) for what else arrived: so the answers of a turn go
  // out together, after its reads. Written at once, each answer woke its
  // client mid-turn: on the 2-core VM a document answered on the loop cost
  // 64 us of CPU per request this way against 46 us queued (bench/README).
  // Loop thread only.
  std::vector<Completion> answered_here_;
  void CompleteAnsweredHere();
};

}  // namespace hbf
