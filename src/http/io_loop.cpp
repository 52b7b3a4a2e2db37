#include "http/io_loop.h"

#include "http/io_connection.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <exception>

#include "core/log.h"
#include "core/metrics.h"
#include "core/thread_name.h"
#include "http/connection_limiter.h"
#include "http/dispatcher.h"
#include "http/request_parser.h"
#include "http/security_headers.h"
#include "http/socket_address.h"
#include "http/wire.h"

namespace hbf {

namespace {

constexpr uint64_t kListenerTag = 1;
constexpr uint64_t kWakeTag = 2;
// Stop reading further (pipelined) requests while this much output waits.
constexpr size_t kOutputHighWater = 256 * 1024;
constexpr auto kTickPeriod = std::chrono::milliseconds(250);
// After the last response on a connection closing with unread input, how
// long its input is drained so the client sees the response, not a reset.
constexpr auto kLingerTime = std::chrono::seconds(2);

const char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";

// An answer the server gives by itself (no handler made it): the uniform
// error body with HBF's default security headers, as every answer has.
HttpResponse ServerError(int status, std::string_view code, std::string_view message) {
  HttpResponse r = HttpResponse::ErrorBody(status, code, message);
  AddDefaultSecurityHeaders(r, /*https=*/false);
  return r;
}

std::string AddressText(const sockaddr_storage& ss, int& port) {
  char buf[INET6_ADDRSTRLEN] = {0};
  if (ss.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &a->sin_addr, buf, sizeof buf);
    port = ntohs(a->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr)) {
      inet_ntop(AF_INET, &a->sin6_addr.s6_addr[12], buf, sizeof buf);
    } else {
      inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof buf);
    }
    port = ntohs(a->sin6_port);
  }
  return buf;
}

}  // namespace

// A request handed to the dispatcher; its response goes back to the loop.
class HandlerJob : public DispatchJob {
 public:
  HandlerJob(std::shared_ptr<IoLoop> loop, RequestHandler& handler, uint64_t connection_id, HttpRequest request)
      : loop_(std::move(loop)), handler_(handler), connection_id_(connection_id), request_(std::move(request)) {}

  void Run() override {
    // The handler answers through `respond`, now or later; `answered` keeps
    // an exception thrown after answering from answering twice.
    auto answered = std::make_shared<std::atomic<bool>>(false);
    Responder respond = [loop = loop_, id = connection_id_, answered](HttpResponse response) {
      if (!answered->exchange(true)) loop->PostResponse(id, std::move(response));
    };
    try {
      handler_.HandleAsync(request_, respond);
    } catch (const std::exception& e) {
      Log(LogLevel::kError, std::string("http: request handler threw: ") + e.what());
      respond(HttpResponse::ErrorBody(500, "internal_error", "internal server error"));
    } catch (...) {
      Log(LogLevel::kError, "http: request handler threw a non-standard exception");
      respond(HttpResponse::ErrorBody(500, "internal_error", "internal server error"));
    }
  }

  void Expire() override {
    HttpResponse r = ServerError(503, "script_busy", "this app is busy; retry shortly");
    r.set_header("Retry-After", "1");
    metrics::CountLimitHit(metrics::LimitKind::kBusy);
    handler_.FinishServerAnswer(request_, r);
    loop_->PostResponse(connection_id_, std::move(r));
  }

 private:
  std::shared_ptr<IoLoop> loop_;
  RequestHandler& handler_;
  const uint64_t connection_id_;
  HttpRequest request_;
};

IoLoop::IoLoop(const ServerOptions& options, RequestHandler& handler, Dispatcher& dispatcher,
               ConnectionLimiter& limiter, const std::atomic<bool>& draining)
    : options_(options),
      handler_(handler),
      dispatcher_(dispatcher),
      limiter_(limiter),
      draining_(draining),
      scratch_(std::make_unique<char[]>(kScratchBytes)) {}

IoLoop::~IoLoop() {
  Stop();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  if (wake_fd_ >= 0) ::close(wake_fd_);
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
}

Status IoLoop::Listen(uint16_t port, uint16_t& bound) {
  const bool ipv6 = IsIpv6(options_.bind);
  const std::string shown = (ipv6 ? "[" + options_.bind + "]" : options_.bind) + ":" + std::to_string(port);
  auto fail = [&](const std::string& why) { return Error{"listen_failed", "cannot listen on " + shown + ": " + why, 1}; };

  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epoll_fd_ < 0 || wake_fd_ < 0) return fail(std::strerror(errno));
  listen_fd_ = ::socket(ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) return fail(std::strerror(errno));
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  if (int err = BindNumeric(listen_fd_, options_.bind, port); err != 0) return fail(DescribeBindError(err));
  if (::listen(listen_fd_, 4096) != 0) return fail(DescribeBindError(errno));
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&ss), &len);
  int actual = 0;
  AddressText(ss, actual);
  bound = local_port_ = static_cast<uint16_t>(actual);

  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kListenerTag;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &ev) != 0) return fail(std::strerror(errno));
  ev.data.u64 = kWakeTag;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev) != 0) return fail(std::strerror(errno));
  return Ok{};
}

void IoLoop::Start(int index) {
  thread_ = std::thread([this] { Run(); });
  NameThread(thread_, "hbf-io-" + std::to_string(index));
  // A loop woken by a completion does not preempt the handler thread
  // running on its core (SCHED_BATCH: no wake-up preemption, the same share
  // of the CPU). It runs when that thread parks or its slice ends, and then
  // sends every answer completed meanwhile in one pass; woken at once, it
  // sent one answer per wake-up, two context switches per request on a busy
  // core (bench/README.md, nineteenth session). Best effort: without it the
  // loop works as before.
  sched_param normal{};
  (void)::pthread_setschedparam(thread_.native_handle(), SCHED_BATCH, &normal);
}

void IoLoop::Stop() {
  if (!thread_.joinable()) return;
  stopping_.store(true);
  uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
  thread_.join();
}

IoLoop::Connection* IoLoop::Find(uint64_t id) {
  auto it = connections_by_id_.find(id);
  if (it == connections_by_id_.end() || it->second->fd < 0) return nullptr;
  return it->second.get();
}

void IoLoop::Run() {
  constexpr int kMaxEvents = 256;
  epoll_event events[kMaxEvents];
  auto next_tick = Clock::now() + kTickPeriod;
  while (!stopping_.load(std::memory_order_relaxed)) {
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next_tick - Clock::now()).count();
    // Answers made on the loop last turn wait only for a look at the
    // sockets, not for a timeout (answered_here_).
    const bool answers_waiting = !answered_here_.empty();
    int n = ::epoll_wait(epoll_fd_, events, kMaxEvents,
                         answers_waiting ? 0 : static_cast<int>(std::max<int64_t>(0, wait) + 1));
    if (n < 0 && errno != EINTR) {
      Log(LogLevel::kError, std::string("http: epoll_wait failed: ") + std::strerror(errno));
      break;
    }
    for (int i = 0; i < n; ++i) {
      const uint64_t tag = events[i].data.u64;
      if (tag == kListenerTag) {
        AcceptAll();
      } else if (tag == kWakeTag) {
        // One read takes the whole count (no EFD_SEMAPHORE). A second
        // would find nothing: Post() writes only to a queue found empty,
        // and the queue is taken after this read; any later write leaves
        // the (level-triggered) descriptor readable for the next wait.
        // It was ~0.2 of a syscall a /hello.
        uint64_t count;
        (void)!::read(wake_fd_, &count, sizeof count);
        ProcessCompletions();
      } else if (Connection* c = Find(tag)) {
        OnEvent(*c, events[i].events);
      }
    }
    if (answers_waiting) CompleteAnsweredHere();
    for (uint64_t id : doomed_) connections_by_id_.erase(id);
    doomed_.clear();
    const auto now = Clock::now();
    if (now >= next_tick) {
      Tick(now);
      for (uint64_t id : doomed_) connections_by_id_.erase(id);
      doomed_.clear();
      next_tick = now + kTickPeriod;
    }
  }
  // Stopping: responses still queued are for connections about to close.
  {
    std::lock_guard lock(completions_mu_);
    completions_.clear();
  }
  for (auto& [id, c] : connections_by_id_) {
    // A WebSocket is told why it ends (best effort: what fits the socket now).
    if (c->fd >= 0 && c->ws && !c->ws->close_sent) {
      SendWsClose(*c, ws_close::kGoingAway, "server shutting down");
      c->close_after_output = false;  // Flush must not start a lingering close now
      Flush(*c);
    }
    // A streamed body gets its last chunk: the client sees a complete
    // answer, not a cut (best effort, as above).
    if (c->fd >= 0 && c->stream) {
      c->no_more_requests = true;
      FinishStream(*c);
      c->close_after_output = false;
      Flush(*c);
    }
    if (c->fd >= 0) Close(*c);
  }
  ws_orphans_.clear();
  for (auto& [connection, socket] : ws_abandoned_) options_.ws_hub->Forget(socket);
  ws_abandoned_.clear();
  connections_by_id_.clear();
  doomed_.clear();
}

void IoLoop::AcceptAll() {
  for (int i = 0; i < 1024; ++i) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // Out of descriptors: stop accepting for a moment instead of spinning
        // on a listener that stays readable. Existing connections carry on.
        Log(LogLevel::kWarn, std::string("http: cannot accept: ") + std::strerror(errno) + "; pausing accepts");
        ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, listen_fd_, nullptr);
        accept_paused_ = true;
        accept_resume_at_ = Clock::now() + std::chrono::milliseconds(100);
      }
      return;
    }
    int port = 0;
    std::string ip = AddressText(ss, port);
    if (!limiter_.Acquire(ip)) {
      // Refused politely; the connections already open are unaffected.
      HttpResponse refusal = ServerError(503, "too_many_connections", "too many open connections; retry shortly");
      refusal.set_header("X-Request-Id", request_ids_.Next());
      const std::string bytes = SerializeResponse(refusal, ResponseFraming{false, true, false});
      (void)!::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      ::close(fd);
      continue;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ParserLimits limits{options_.max_header_bytes, options_.max_headers, options_.max_body_bytes};
    auto c = std::make_unique<Connection>(next_id_++, fd, std::move(ip), port, limits);
    c->phase_since = Clock::now();
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.u64 = c->id;
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
      limiter_.Release(c->ip);
      ::close(fd);
      continue;
    }
    connections_.store(connections_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    connections_by_id_.emplace(c->id, std::move(c));
  }
}

void IoLoop::OnEvent(Connection& c, uint32_t events) {
  if (events & EPOLLERR) {
    Close(c);
    return;
  }
  if (events & (EPOLLRDHUP | EPOLLHUP)) c.hup_seen = true;
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP)) {
    if (c.lingering) {
      DiscardInput(c);
      if (c.fd < 0) return;
    } else if (c.ws) {
      ReadWs(c);
      if (c.fd < 0) return;
    } else if (c.phase == Connection::Phase::kStreaming) {
      ReadWhileStreaming(c);
      if (c.fd < 0) return;
    } else if (c.phase == Connection::Phase::kHandling || c.output_bytes > kOutputHighWater) {
      c.read_paused = true;  // later: the connection cannot take another request now
    } else {
      ReadAndParse(c);
      if (c.fd < 0) return;
    }
  }
  if ((events & EPOLLOUT) && c.output_bytes > 0) Flush(c);
}

void IoLoop::ReadAndParse(Connection& c) {
  if (c.ws) {
    ReadWs(c);
    return;
  }
  c.read_paused = false;
  for (;;) {
    if (c.busy() || c.no_more_requests || c.output_bytes > kOutputHighWater) {
      c.read_paused = !c.no_more_requests;
      break;
    }
    ssize_t n = ::read(c.fd, scratch_.get(), kScratchBytes);
    if (n > 0) {
      const size_t got = static_cast<size_t>(n);
      if (c.input.empty()) {
        Parse(c, scratch_.get(), got);
      } else {
        c.input.append(scratch_.get(), got);
        ParseBuffered(c);
      }
      if (c.fd < 0) return;
      // A short read drained the socket: the next byte brings a new edge. A
      // FIN already reported brings none, so then read on to the EOF.
      if (got < kScratchBytes && !c.hup_seen) break;
      continue;
    }
    if (n == 0) {
      c.peer_closed = true;
      if (c.phase == Connection::Phase::kHandling) {
        // Half-closed after a complete request: answer it, then close.
        c.no_more_requests = true;
        c.close_after_output = true;
      } else if (c.output_bytes > 0) {
        c.close_after_output = true;
      } else {
        Close(c);
        return;
      }
      break;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
    Close(c);
    return;
  }
  if (c.output_bytes > 0) Flush(c);
}

void IoLoop::ParseBuffered(Connection& c) {
  std::string buffered;
  buffered.swap(c.input);
  Parse(c, buffered.data(), buffered.size());
}

void IoLoop::Parse(Connection& c, const char* data, size_t size) {
  while (size > 0 && c.fd >= 0 && !c.busy() && !c.no_more_requests) {
    size_t used = 0;
    RequestParser::Event event = c.parser.Feed(data, size, used);
    data += used;
    size -= used;
    switch (event) {
      case RequestParser::Event::kNeedMore:
        if (c.parser.in_message() && c.phase == Connection::Phase::kIdle) {
          c.phase = Connection::Phase::kReading;
          c.phase_since = Clock::now();
        }
        break;
      case RequestParser::Event::kHead:
        if (c.phase == Connection::Phase::kIdle) c.phase_since = Clock::now();
        c.phase = Connection::Phase::kReading;
        c.body_since = Clock::now();
        BeginRequest(c);
        if (c.parser.expects_continue() && c.parser.head().http_version == "1.1") {
          c.output.emplace_back(kContinue, sizeof kContinue - 1);
          c.output_bytes += sizeof kContinue - 1;
          Flush(c);
        }
        break;
      case RequestParser::Event::kRequest: {
        if (!c.counted) {
          if (c.phase == Connection::Phase::kIdle) c.phase_since = Clock::now();
          BeginRequest(c);
        }
        HttpRequest request = c.parser.TakeRequest();
        if (!c.parser.keep_alive() || c.parser.upgrade()) c.no_more_requests = true;
        if (c.parser.upgrade() && !PrepareUpgrade(c, request)) return;
        Dispatch(c, std::move(request));
        break;
      }
      case RequestParser::Event::kError: {
        const RequestParser::Failure& f = c.parser.failure();
        FailRequest(c, f.status, f.code, f.message);
        return;  // the rest of the input is not HTTP we can trust
      }
    }
  }
  // What follows an upgrade request is the socket's first frames (kept
  // until the handler's answer); after any other last request, nothing.
  if (size > 0 && c.fd >= 0 && (!c.no_more_requests || c.ws_pending != 0)) c.input.append(data, size);
}

void IoLoop::BeginRequest(Connection& c) {
  c.counted = true;
  c.began_while_draining = draining_.load(std::memory_order_relaxed);
  c.started = Clock::now();
  c.request_id = request_ids_.Next();
  c.method.clear();
  c.path.clear();
  in_flight_.store(in_flight_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

void IoLoop::FailRequest(Connection& c, int status, const std::string& code, const std::string& message) {
  if (!c.counted) BeginRequest(c);
  // For the access log: what the head said, if it got that far.
  if (c.method.empty()) c.method = c.parser.head().method.empty() ? "-" : c.parser.head().method;
  if (c.path.empty()) c.path = c.parser.head().path.empty() ? "-" : c.parser.head().path;
  // The refused request's own method decides whether its answer has a body,
  // not the previous request's on this connection: after a HEAD, a 400 went
  // out with its Content-Length and no body, and the client waited for it.
  c.head_request = c.parser.head().method == "HEAD";
  c.no_more_requests = true;
  Respond(c, ServerError(status, code, message), /*force_close=*/true);
}

void IoLoop::Dispatch(Connection& c, HttpRequest request) {
  request.remote_addr = c.ip;
  request.remote_port = c.port;
  request.local_port = local_port_;
  request.arrived_while_draining = c.began_while_draining;
  request.received = c.started;
  request.id = ChooseRequestId(options_.proxy, c.ip, request.header("x-request-id"), std::move(c.request_id));
  c.request_id = request.id;
  c.method = request.method;
  c.path = request.path;
  c.head_request = request.method == "HEAD";
  c.http10 = request.http_version == "1.0";
  c.keep_alive_header = request.http_version == "1.0" && !c.no_more_requests;
  c.phase = Connection::Phase::kHandling;
  if (std::optional<HttpResponse> now = handler_.HandleOnLoop(request)) {
    Completion done;
    done.connection_id = c.id;
    done.response = std::move(*now);
    answered_here_.push_back(std::move(done));
    return;
  }
  std::string key = handler_.QueueKey(request);
  dispatcher_.Submit(key, std::make_unique<HandlerJob>(shared_from_this(), handler_, c.id, std::move(request)));
}

void IoLoop::StartLingeringClose(Connection& c) {
  // Closing a socket with unread input makes the kernel send a reset, which
  // can destroy the response still in flight (a 413 for an upload the client
  // is still sending). Shut our side and drain theirs for a moment instead.
  if (c.lingering) return;
  c.lingering = true;
  c.phase_since = Clock::now();
  ::shutdown(c.fd, SHUT_WR);
  DiscardInput(c);
}

void IoLoop::DiscardInput(Connection& c) {
  // What a lingering client still sends is read and dropped; its EOF (or
  // an error) ends the connection.
  for (;;) {
    ssize_t n = ::read(c.fd, scratch_.get(), kScratchBytes);
    if (n > 0) continue;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    Close(c);
    return;
  }
}

void IoLoop::Close(Connection& c) {
  if (c.fd < 0) return;
  ::close(c.fd);  // also leaves the epoll set
  c.fd = -1;
  if (c.ws) EndWs(c);
  if (c.stream) std::exchange(c.stream, nullptr)->Detach();
  if (c.ws_pending != 0) ws_abandoned_.emplace(c.id, std::exchange(c.ws_pending, 0));
  limiter_.Release(c.ip);
  if (c.counted) {
    c.counted = false;
    in_flight_.store(in_flight_.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
  }
  connections_.store(connections_.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
  doomed_.push_back(c.id);
}

void IoLoop::Tick(Clock::time_point now) {
  if (accept_paused_ && now >= accept_resume_at_) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kListenerTag;
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &ev) == 0) accept_paused_ = false;
  }
  const bool draining = draining_.load(std::memory_order_relaxed);
  const auto keep_alive = std::chrono::milliseconds(options_.keep_alive_timeout_ms);
  const auto header_timeout = std::chrono::milliseconds(options_.header_timeout_ms);
  const auto send_timeout = std::chrono::milliseconds(options_.send_timeout_ms);
  std::vector<Connection*> idle_expired;
  std::vector<Connection*> too_slow;
  std::vector<Connection*> streams_to_end;
  for (auto& [id, owned] : connections_by_id_) {
    Connection& c = *owned;
    if (c.fd < 0) continue;
    if (c.lingering) {
      if (now - c.phase_since > kLingerTime) idle_expired.push_back(&c);
      continue;
    }
    if (c.output_bytes > 0) {
      // A client that reads nothing (or too little) is let go.
      if (now - c.last_write_progress > send_timeout) idle_expired.push_back(&c);
      continue;
    }
    if (c.ws) {
      TickWs(c, now, draining, idle_expired);
      continue;
    }
    if (c.stream) {
      TickStream(c, now, draining, streams_to_end);
      continue;
    }
    switch (c.phase) {
      case Connection::Phase::kIdle:
        // Draining: keep-alive connections go (clients reconnect elsewhere);
        // one just opened gets a moment to send its request.
        if (now - c.phase_since > keep_alive ||
            (draining && (c.served > 0 || now - c.phase_since > std::chrono::seconds(1)))) {
          idle_expired.push_back(&c);
        }
        break;
      case Connection::Phase::kReading:
        if (!c.parser.reading_body()) {
          if (now - c.phase_since > header_timeout) too_slow.push_back(&c);
        } else {
          const auto elapsed = now - c.body_since;
          const double seconds = std::chrono::duration<double>(elapsed).count();
          if (elapsed > header_timeout &&
              static_cast<double>(c.parser.body_bytes()) < static_cast<double>(options_.min_body_rate) * seconds) {
            too_slow.push_back(&c);
          }
        }
        break;
      case Connection::Phase::kHandling:
      case Connection::Phase::kWebSocket:
      case Connection::Phase::kStreaming:
        break;  // bounded by the handler's own deadline; sockets: TickWs; streams: TickStream
    }
  }
  for (Connection* c : idle_expired) Close(*c);
  for (Connection* c : streams_to_end) {
    if (c->fd < 0 || !c->stream) continue;
    c->no_more_requests = true;  // draining: the connection goes with the stream
    FinishStream(*c);
    if (c->fd >= 0) Flush(*c);
  }
  for (Connection* c : too_slow) {
    FailRequest(*c, 408, "request_timeout", "the request was not received in time");
    Flush(*c);
  }
}

}  // namespace hbf
