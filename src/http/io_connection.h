// Internal to src/http: the state of one connection of an IoLoop, shared by
// io_loop.cpp (HTTP) and io_loop_ws.cpp (WebSocket).
//
// Thread safety: touched only by the loop thread that owns the connection.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "http/io_loop.h"
#include "http/request_parser.h"
#include "http/response_stream.h"
#include "http/ws_frame.h"
#include "http/ws_hub.h"

namespace hbf {

// The size of IoLoop::scratch_, the read buffer a loop's connections share
// (HTTP, WebSocket and streaming reads alike): no read asks for more.
inline constexpr size_t kScratchBytes = 64 * 1024;

// A connection after its 101: frames in, events out (one at a time), frames
// back. Outlives its Connection while an event is with a handler (the loop
// keeps it as an orphan until that event is done, then runs the close).
struct IoLoop::WsConnection {
  using Clock = std::chrono::steady_clock;
  WsConnection(uint64_t socket, std::string henv_hash, std::string route_key, size_t max_message_bytes)
      : socket_id(socket), henv(std::move(henv_hash)), route(std::move(route_key)), parser(max_message_bytes) {}

  const uint64_t socket_id;
  const std::string henv;
  const std::string route;
  WsFrameParser parser;
  // Received, waiting for the handler (short: reading pauses past
  // ws_max_queued_messages). A vector, not a deque: an idle socket's empty
  // deque would still hold a 512-byte block.
  std::vector<WsEvent> inbox;
  bool busy = false;                // an event is with a handler
  bool close_queued = false;        // the close event is in the inbox (or ran)
  bool close_sent = false;          // our close frame is queued
  bool close_received = false;      // the client's close frame arrived
  Clock::time_point close_sent_at{};
  Clock::time_point last_heard{};   // any frame from the client
  bool ping_outstanding = false;
  Clock::time_point ping_sent_at{};
};

struct IoLoop::Connection {
  enum class Phase {
    kIdle,      // between requests
    kReading,   // part of a request has arrived
    kHandling,  // a complete request is with a handler (or its response is being written)
    kWebSocket,  // switched protocols: `ws` holds the rest
    kStreaming,  // the head went out; the body comes from `stream`
  };
  // A request is with a handler or its streamed body is still being written:
  // the next pipelined request waits.
  bool busy() const { return phase == Phase::kHandling || phase == Phase::kStreaming; }

  Connection(uint64_t connection_id, int socket, std::string address, int peer_port, const ParserLimits& limits)
      : id(connection_id), fd(socket), ip(std::move(address)), port(peer_port), parser(limits) {}

  const uint64_t id;
  int fd;  // -1 once closed
  const std::string ip;
  const int port;
  RequestParser parser;
  std::string input;  // received, not parsed yet (pipelined, or arrived while handling)

  std::deque<std::string> output;
  size_t output_offset = 0;  // into output.front()
  size_t output_bytes = 0;   // not yet written

  Phase phase = Phase::kIdle;
  Clock::time_point phase_since;  // start of the idle wait / of the request
  Clock::time_point body_since;   // end of the head
  Clock::time_point last_write_progress;
  bool counted = false;          // counted in in_flight_
  bool began_while_draining = false;  // the request's head arrived after shutdown began
  int64_t served = 0;            // responses sent
  bool no_more_requests = false;  // the connection closes after the current response
  bool close_after_output = false;
  bool read_paused = false;  // input may wait in the kernel: read it when the connection can take it
  bool peer_closed = false;  // the client shut down its side (read returned 0)
  bool hup_seen = false;     // epoll reported the client's FIN: read until EOF, not until a short read
  bool lingering = false;    // our side is shut; draining input until the client closes

  // The request being served, for framing and the access log.
  std::string request_id;  // echoed as X-Request-Id
  std::string method;
  std::string path;
  bool head_request = false;
  bool http10 = false;
  bool keep_alive_header = false;
  Clock::time_point started;

  // WebSocket: an upgrade waiting for its handler's answer (its id in the
  // hub, its key, what scripts asked to send before the 101 went out), then
  // the socket itself.
  uint64_t ws_pending = 0;
  std::string ws_key;
  std::vector<WsOutbound> ws_early;
  std::unique_ptr<WsConnection> ws;

  // A streamed body (io_loop_stream.cpp): where its chunks come from, how
  // they are framed, when the last one went out (heartbeats).
  std::shared_ptr<ResponseStream> stream;
  bool stream_chunked = false;
  Clock::time_point stream_last_write{};
};

}  // namespace hbf
