// IoLoop's WebSocket half: the upgrade, frames in and out, events to the
// handler one at a time per socket, keepalive and the closing handshake.
// See ws_hub.h for a socket's life and ARCHITECTURE.md "WebSockets".
#include <unistd.h>

#include <cerrno>
#include <exception>

#include "core/log.h"
#include "core/metrics.h"
#include "http/dispatcher.h"
#include "http/io_connection.h"
#include "http/io_loop.h"
#include "http/wire.h"

namespace hbf {

namespace {

// After our close frame, how long the client has to answer with its own.
constexpr auto kCloseHandshakeTime = std::chrono::seconds(5);

// A WebSocket event handed to the dispatcher; `done` goes back to the loop.
class WsEventJob : public DispatchJob {
 public:
  WsEventJob(std::shared_ptr<IoLoop> loop, RequestHandler& handler, WsHub& hub, uint64_t connection_id,
             WsEvent event)
      : loop_(std::move(loop)), handler_(handler), hub_(hub), connection_id_(connection_id), event_(std::move(event)) {}

  void Run() override {
    auto finished = std::make_shared<std::atomic<bool>>(false);
    const bool is_close = event_.kind == WsEvent::Kind::kClose;
    const uint64_t socket_id = event_.socket_id;
    std::function<void()> done = [loop = loop_, &hub = hub_, id = connection_id_, socket_id, is_close, finished] {
      if (finished->exchange(true)) return;
      if (is_close) hub.Forget(socket_id);
      loop->PostWsDone(id);
    };
    try {
      handler_.HandleWsEvent(std::move(event_), done);
    } catch (const std::exception& e) {
      Log(LogLevel::kError, std::string("http: WebSocket handler threw: ") + e.what());
      done();
    } catch (...) {
      Log(LogLevel::kError, "http: WebSocket handler threw a non-standard exception");
      done();
    }
  }

  void Expire() override {
    // The henv stayed too busy to take this event: a message is not lost
    // silently (the socket is closed, the client may retry); a close is
    // only bookkeeping.
    if (event_.kind == WsEvent::Kind::kClose) {
      hub_.Forget(event_.socket_id);
    } else {
      (void)hub_.Close(event_.henv, event_.socket_id, ws_close::kTryAgainLater, "the app is busy");
    }
    loop_->PostWsDone(connection_id_);
  }

 private:
  std::shared_ptr<IoLoop> loop_;
  RequestHandler& handler_;
  WsHub& hub_;
  const uint64_t connection_id_;
  WsEvent event_;
};

}  // namespace

void IoLoop::PostWs(uint64_t connection_id, WsOutbound out) {
  Completion c;
  c.kind = Completion::Kind::kWs;
  c.connection_id = connection_id;
  c.ws = std::move(out);
  Post(std::move(c));
}

void IoLoop::PostWsBatch(std::vector<std::pair<uint64_t, WsOutbound>> batch) {
  std::vector<Completion> all;
  all.reserve(batch.size());
  for (auto& [connection_id, out] : batch) {
    Completion& c = all.emplace_back();
    c.kind = Completion::Kind::kWs;
    c.connection_id = connection_id;
    c.ws = std::move(out);
  }
  Post(std::move(all));
}

void IoLoop::PostWsDone(uint64_t connection_id) {
  Completion c;
  c.kind = Completion::Kind::kWsDone;
  c.connection_id = connection_id;
  Post(std::move(c));
}

bool IoLoop::PrepareUpgrade(Connection& c, HttpRequest& request) {
  const WsHandshake handshake = CheckWsHandshake(request);
  auto refuse = [&](HttpResponse r) {
    c.method = request.method;
    c.path = request.path;
    c.phase = Connection::Phase::kHandling;
    Respond(c, std::move(r), /*force_close=*/true);
    Flush(c);
    return false;
  };
  switch (handshake.verdict) {
    case WsHandshake::Verdict::kNotWebSocket:
      return true;  // another protocol: answered over HTTP, then closed
    case WsHandshake::Verdict::kBadRequest:
      return refuse(HttpResponse::ErrorBody(400, "bad_websocket_handshake", handshake.problem));
    case WsHandshake::Verdict::kBadVersion: {
      HttpResponse r = HttpResponse::ErrorBody(426, "unsupported_websocket_version", handshake.problem);
      r.set_header("Sec-WebSocket-Version", "13");
      return refuse(std::move(r));
    }
    case WsHandshake::Verdict::kValid:
      break;
  }
  if (options_.ws_hub == nullptr) {
    return refuse(HttpResponse::ErrorBody(501, "websockets_unavailable", "this server does not accept WebSockets"));
  }
  const uint64_t id = options_.ws_hub->Open(handler_.QueueKey(request), weak_from_this(), c.id);
  if (id == 0) {
    HttpResponse r = HttpResponse::ErrorBody(503, "too_many_websockets", "too many open WebSockets; retry shortly");
    r.set_header("Retry-After", "5");
    return refuse(std::move(r));
  }
  c.ws_pending = id;
  c.ws_key = handshake.key;
  request.websocket_id = id;
  return true;
}

void IoLoop::AcceptWebSocket(Connection& c, uint64_t socket_id, HttpResponse& response) {
  WsHub& hub = *options_.ws_hub;
  std::string head;
  AppendSwitchingProtocolsHead(head, response, WsAcceptKey(c.ws_key));
  c.output_bytes += head.size();
  c.output.push_back(std::move(head));

  AccessRecord record;
  record.henv = response.log.henv;
  record.method = c.method;
  record.path = c.path;
  record.status = 101;
  record.duration_ms = std::chrono::duration<double, std::milli>(Clock::now() - c.started).count();
  record.user_id = response.log.user_id;
  record.remote_addr = response.log.client_ip.empty() ? c.ip : response.log.client_ip;
  LogAccess(record);
  if (c.counted) {
    // A socket is not a request in flight: draining does not wait for it.
    c.counted = false;
    in_flight_.store(in_flight_.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
  }
  ++c.served;
  c.phase = Connection::Phase::kWebSocket;
  c.phase_since = Clock::now();
  c.ws_key.clear();

  auto snapshot = hub.Find(socket_id);
  c.ws = std::make_unique<WsConnection>(socket_id, snapshot ? snapshot->henv : std::string(),
                                        *response.websocket_route, options_.ws_max_message_bytes);
  c.ws->last_heard = Clock::now();
  hub.Accept(socket_id, *response.websocket_route);
  metrics::WsOpened();
  std::vector<WsOutbound> early;
  early.swap(c.ws_early);
  for (WsOutbound& out : early) ApplyWs(c, std::move(out));
  c.read_paused = true;  // AfterResponse reads what waited (and what is buffered)
}

void IoLoop::ReadWs(Connection& c) {
  c.read_paused = false;
  if (!c.input.empty()) {
    std::string buffered;
    buffered.swap(c.input);
    FeedWs(c, buffered.data(), buffered.size());
    if (c.fd < 0) return;
  }
  for (;;) {
    WsConnection& ws = *c.ws;
    if (ws.close_received || c.close_after_output) break;
    if (ws.inbox.size() >= options_.ws_max_queued_messages || c.output_bytes > options_.ws_max_buffered_bytes) {
      // The handler (or the client's reading) is behind: let TCP push back.
      c.read_paused = true;
      break;
    }
    ssize_t n = ::read(c.fd, scratch_.get(), kScratchBytes);
    if (n > 0) {
      FeedWs(c, scratch_.get(), static_cast<size_t>(n));
      if (c.fd < 0) return;
      if (static_cast<size_t>(n) < kScratchBytes && !c.hup_seen) break;
      continue;
    }
    if (n == 0) {
      // The client went away without a closing handshake.
      c.peer_closed = true;
      Close(c);
      return;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
    Close(c);
    return;
  }
  if (c.output_bytes > 0) Flush(c);
}

void IoLoop::FeedWs(Connection& c, const char* data, size_t size) {
  WsConnection& ws = *c.ws;
  while (size > 0 && c.fd >= 0 && !ws.close_received) {
    size_t used = 0;
    const WsFrameParser::Event event = ws.parser.Feed(data, size, used);
    data += used;
    size -= used;
    ws.last_heard = Clock::now();
    ws.ping_outstanding = false;
    switch (event) {
      case WsFrameParser::Event::kNeedMore:
        break;
      case WsFrameParser::Event::kMessage: {
        if (ws.close_sent) break;  // closing: the app said it is done with this socket
        metrics::WsMessage(/*inbound=*/true);
        WsEvent e;
        e.kind = WsEvent::Kind::kMessage;
        e.payload = ws.parser.TakeMessage();
        e.binary = ws.parser.message_is_binary();
        QueueWsEvent(ws, std::move(e));
        PumpWs(ws, c.id);
        break;
      }
      case WsFrameParser::Event::kPing: {
        std::string pong = EncodeWsFrame(WsOpcode::kPong, ws.parser.control_payload());
        c.output_bytes += pong.size();
        c.output.push_back(std::move(pong));
        break;
      }
      case WsFrameParser::Event::kPong:
        break;
      case WsFrameParser::Event::kClose: {
        ws.close_received = true;
        const int code = ws.parser.close_code();
        if (!ws.close_sent) {
          // Echo the code (RFC 6455 §5.5.1), or an empty close for none.
          std::string frame = EncodeWsClose(code, "");
          c.output_bytes += frame.size();
          c.output.push_back(std::move(frame));
          ws.close_sent = true;
        }
        QueueWsClose(ws, code, ws.parser.close_reason());
        PumpWs(ws, c.id);
        // The server closes the TCP connection once its close is written.
        c.close_after_output = true;
        break;
      }
      case WsFrameParser::Event::kError: {
        const int code = ws.parser.error_code();
        SendWsClose(c, code, ws.parser.error_message());
        ws.close_received = true;  // nothing more is read
        QueueWsClose(ws, code, ws.parser.error_message());
        PumpWs(ws, c.id);
        c.close_after_output = true;
        break;
      }
    }
  }
}

void IoLoop::QueueWsClose(WsConnection& ws, int code, std::string reason) {
  WsEvent e;
  e.kind = WsEvent::Kind::kClose;
  e.code = code;
  e.reason = std::move(reason);
  QueueWsEvent(ws, std::move(e));  // at most one per socket
}

void IoLoop::QueueWsEvent(WsConnection& ws, WsEvent event) {
  if (event.kind == WsEvent::Kind::kClose) {
    if (ws.close_queued) return;
    ws.close_queued = true;
  }
  event.socket_id = ws.socket_id;
  event.henv = ws.henv;
  event.route = ws.route;
  ws.inbox.push_back(std::move(event));
}

void IoLoop::PumpWs(WsConnection& ws, uint64_t connection_id) {
  if (ws.busy || ws.inbox.empty()) return;
  WsEvent event = std::move(ws.inbox.front());
  ws.inbox.erase(ws.inbox.begin());
  ws.busy = true;
  const std::string key = event.henv;
  dispatcher_.Submit(key, std::make_unique<WsEventJob>(shared_from_this(), handler_, *options_.ws_hub,
                                                       connection_id, std::move(event)));
}

void IoLoop::OnWsDone(uint64_t connection_id) {
  if (auto it = ws_orphans_.find(connection_id); it != ws_orphans_.end()) {
    WsConnection& ws = *it->second;
    ws.busy = false;
    if (ws.inbox.empty()) {
      ws_orphans_.erase(it);  // its close event has run
      return;
    }
    PumpWs(ws, connection_id);
    return;
  }
  auto it = connections_by_id_.find(connection_id);
  if (it == connections_by_id_.end() || !it->second->ws) return;
  Connection& c = *it->second;
  c.ws->busy = false;
  PumpWs(*c.ws, c.id);
  // A paused socket may take more now.
  if (c.fd >= 0 && c.read_paused) ReadWs(c);
}

void IoLoop::ApplyWs(Connection& c, WsOutbound out) {
  if (!c.ws) {
    // Before the 101 (a script's `open` sending): after it, in order.
    if (c.ws_pending != 0 && c.ws_early.size() < options_.ws_max_queued_messages) c.ws_early.push_back(std::move(out));
    return;
  }
  WsConnection& ws = *c.ws;
  if (out.kind == WsOutbound::Kind::kClose) {
    SendWsClose(c, out.code, out.reason);
    return;
  }
  if (ws.close_sent) return;  // after our close nothing more may be sent
  if (c.output_bytes + out.frame.size() > options_.ws_max_buffered_bytes) {
    Log(LogLevel::kWarn,
        "http: WebSocket client " + c.ip + " reads too slowly (" + std::to_string(c.output_bytes) +
            " bytes unsent); closed with 1013",
        ws.henv);
    SendWsClose(c, ws_close::kTryAgainLater, "too slow reading messages");
    c.close_after_output = true;
    return;
  }
  metrics::WsMessage(/*inbound=*/false);
  c.output_bytes += out.frame.size();
  c.output.push_back(std::move(out.frame));
}

void IoLoop::SendWsClose(Connection& c, int code, std::string_view reason) {
  WsConnection& ws = *c.ws;
  if (ws.close_sent) return;
  if (!IsValidWsCloseCode(code)) code = ws_close::kNormal;
  std::string frame = EncodeWsClose(code, reason);
  c.output_bytes += frame.size();
  c.output.push_back(std::move(frame));
  ws.close_sent = true;
  ws.close_sent_at = Clock::now();
  if (ws.close_received) c.close_after_output = true;
}

void IoLoop::EndWs(Connection& c) {
  std::unique_ptr<WsConnection> ws = std::move(c.ws);
  metrics::WsClosed();
  options_.ws_hub->Detach(ws->socket_id);  // no more sends, out of every channel
  QueueWsClose(*ws, ws_close::kAbnormal, "");
  // Only the close event is still owed (it is the last one queued: nothing
  // follows a close); the messages before it are dropped. An empty inbox
  // means the close is with a handler already, or has run.
  if (!ws->inbox.empty()) ws->inbox.erase(ws->inbox.begin(), ws->inbox.end() - 1);
  if (!ws->busy) PumpWs(*ws, c.id);
  // Kept until the event with a handler is done (OnWsDone runs the rest).
  if (ws->busy) ws_orphans_.emplace(c.id, std::move(ws));
}

void IoLoop::TickWs(Connection& c, Clock::time_point now, bool draining, std::vector<Connection*>& doomed) {
  WsConnection& ws = *c.ws;
  if (ws.close_sent) {
    if (now - ws.close_sent_at > kCloseHandshakeTime) doomed.push_back(&c);
    return;
  }
  if (draining) {
    SendWsClose(c, ws_close::kGoingAway, "server shutting down");
    Flush(c);
    return;
  }
  if (ws.ping_outstanding) {
    if (now - ws.ping_sent_at > std::chrono::milliseconds(options_.ws_pong_timeout_ms)) doomed.push_back(&c);
    return;
  }
  if (now - ws.last_heard > std::chrono::milliseconds(options_.ws_ping_interval_ms)) {
    std::string ping = EncodeWsFrame(WsOpcode::kPing, "");
    c.output_bytes += ping.size();
    c.output.push_back(std::move(ping));
    ws.ping_outstanding = true;
    ws.ping_sent_at = now;
    Flush(c);
  }
}

}  // namespace hbf
