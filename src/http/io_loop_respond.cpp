// The I/O loop's way out: answers made by handler threads (posted to the
// loop's completion queue and its eventfd) and by the loop itself
// (answered_here_), serialised, written and followed by the connection's
// next request. Loop thread, except Post()/PostResponse() (any thread).
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/log.h"
#include "core/metrics.h"
#include "http/io_connection.h"
#include "http/io_loop.h"
#include "http/wire.h"

namespace hbf {

namespace {
// Bodies up to this size are copied behind their headers (one write).
constexpr size_t kCoalesceLimit = 32 * 1024;
}  // namespace

void IoLoop::PostResponse(uint64_t connection_id, HttpResponse response) {
  Completion done;
  done.connection_id = connection_id;
  done.response = std::move(response);
  Post(std::move(done));
}

void IoLoop::Post(Completion done) {
  bool was_empty;
  {
    std::lock_guard lock(completions_mu_);
    was_empty = completions_.empty();
    completions_.push_back(std::move(done));
  }
  // Only the first completion of a batch wakes the loop: it takes them all.
  if (was_empty) {
    uint64_t one = 1;
    (void)!::write(wake_fd_, &one, sizeof one);
  }
}

void IoLoop::Post(std::vector<Completion> batch) {
  if (batch.empty()) return;
  bool was_empty;
  {
    std::lock_guard lock(completions_mu_);
    was_empty = completions_.empty();
    for (Completion& done : batch) completions_.push_back(std::move(done));
  }
  if (was_empty) {
    uint64_t one = 1;
    (void)!::write(wake_fd_, &one, sizeof one);
  }
}

void IoLoop::Respond(Connection& c, HttpResponse response, bool force_close) {
  if (c.ws_pending != 0) {
    const uint64_t socket_id = std::exchange(c.ws_pending, 0);
    if (response.websocket_route && !force_close && !draining_.load(std::memory_order_relaxed)) {
      AcceptWebSocket(c, socket_id, response);
      return;
    }
    // Refused (the answer goes out as it is, and the connection closes).
    options_.ws_hub->Forget(socket_id);
    c.ws_early.clear();
    c.input.clear();
    if (response.websocket_route) {
      // Accepted by the script, but the server began shutting down meanwhile.
      response = HttpResponse::ErrorBody(503, "shutting_down", "the server is shutting down; retry shortly");
      response.set_header("Retry-After", "1");
    }
  }
  const bool streamed = response.stream != nullptr;
  // An HTTP/1.0 client reads a streamed body until the connection closes.
  const bool close =
      force_close || c.no_more_requests || draining_.load(std::memory_order_relaxed) || (streamed && c.http10);
  if (close) {
    c.no_more_requests = true;
    if (!streamed) c.close_after_output = true;  // else when the stream ends
  }
  // Every answer carries its request's id, whoever made it.
  response.set_header("X-Request-Id", c.request_id);
  ResponseFraming framing{c.head_request, close, c.keep_alive_header && !close};
  framing.streamed = streamed;
  framing.chunked = streamed && !c.http10;
  std::string out;
  out.reserve(256 + (response.body.size() <= kCoalesceLimit ? response.body.size() : 0));
  const bool with_body = AppendResponseHead(out, response, framing);
  const int64_t body_bytes = with_body ? static_cast<int64_t>(response.body.size()) : 0;
  if (streamed) {
    StartStream(c, response, std::move(out), with_body);
  } else if (with_body && response.body.size() <= kCoalesceLimit) {
    out += response.body;
    c.output_bytes += out.size();
    c.output.push_back(std::move(out));
  } else {
    c.output_bytes += out.size();
    c.output.push_back(std::move(out));
    if (with_body && !response.body.empty()) {
      c.output_bytes += response.body.size();
      c.output.push_back(std::move(response.body));
    }
  }

  AccessRecord record;
  record.henv = response.log.henv;
  record.method = c.method;
  record.path = c.path;
  record.status = response.status;
  const auto took = Clock::now() - c.started;
  record.duration_ms = std::chrono::duration<double, std::milli>(took).count();
  record.request_id = c.request_id;
  record.user_id = response.log.user_id;
  record.remote_addr = response.log.client_ip.empty() ? c.ip : response.log.client_ip;
  record.bytes_sent = body_bytes;
  LogAccess(record);
  metrics::CountRequest(c.method, response.status, std::chrono::duration_cast<std::chrono::nanoseconds>(took).count());

  if (c.counted) {
    c.counted = false;
    in_flight_.store(in_flight_.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
  }
  ++c.served;
  if (c.phase != Connection::Phase::kStreaming) c.phase = Connection::Phase::kIdle;
  c.phase_since = Clock::now();
}

void IoLoop::AfterResponse(Connection& c) {
  if (c.fd < 0) return;
  if (c.ws) {
    if (c.read_paused) ReadWs(c);
    if (c.fd >= 0) Flush(c);
    return;
  }
  if (!c.no_more_requests && !c.input.empty()) ParseBuffered(c);
  if (c.fd < 0) return;
  if (c.read_paused && !c.no_more_requests && !c.busy()) ReadAndParse(c);
  if (c.fd < 0) return;
  Flush(c);
}

void IoLoop::ProcessCompletions() {
  std::vector<Completion> batch;
  {
    std::lock_guard lock(completions_mu_);
    batch.swap(completions_);
  }
  for (Completion& done : batch) Complete(done);
}

void IoLoop::CompleteAnsweredHere() {
  // Complete() may answer more requests here (the next one in a
  // connection's input): those wait for the next turn.
  std::vector<Completion> batch;
  batch.swap(answered_here_);
  for (Completion& done : batch) Complete(done);
}

void IoLoop::Complete(Completion& done) {
  if (done.kind == Completion::Kind::kWsDone) {
    OnWsDone(done.connection_id);
    return;
  }
  Connection* c = Find(done.connection_id);
  if (c == nullptr) {
    // The client went away meanwhile. An upgrade's socket is forgotten
    // once its handler has answered (its `open` may still have sent).
    if (done.kind == Completion::Kind::kResponse) {
      if (auto it = ws_abandoned_.find(done.connection_id); it != ws_abandoned_.end()) {
        options_.ws_hub->Forget(it->second);
        ws_abandoned_.erase(it);
      }
    }
    return;
  }
  if (done.kind == Completion::Kind::kWs) {
    ApplyWs(*c, std::move(done.ws));
    if (c->fd >= 0) Flush(*c);
    return;
  }
  if (done.kind == Completion::Kind::kChunk) {
    ApplyChunk(*c, std::move(done.chunk), done.chunk_kind);
    if (c->fd < 0) return;
    if (c->phase == Connection::Phase::kStreaming) {
      Flush(*c);
    } else {
      AfterResponse(*c);  // the stream ended: the next request, if any
    }
    return;
  }
  Respond(*c, std::move(done.response));
  AfterResponse(*c);
}

void IoLoop::Flush(Connection& c) {
  while (c.output_bytes > 0) {
    iovec iov[16];
    int count = 0;
    size_t offset = c.output_offset;
    for (auto it = c.output.begin(); it != c.output.end() && count < 16; ++it) {
      iov[count].iov_base = const_cast<char*>(it->data()) + offset;
      iov[count].iov_len = it->size() - offset;
      offset = 0;
      ++count;
    }
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = static_cast<size_t>(count);
    ssize_t n = ::sendmsg(c.fd, &msg, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;  // EPOLLOUT resumes
      Close(c);
      return;
    }
    c.last_write_progress = Clock::now();
    size_t left = static_cast<size_t>(n);
    c.output_bytes -= left;
    while (left > 0) {
      std::string& front = c.output.front();
      size_t rest = front.size() - c.output_offset;
      if (left >= rest) {
        left -= rest;
        c.output.pop_front();
        c.output_offset = 0;
      } else {
        c.output_offset += left;
        left = 0;
      }
    }
  }
  if (c.close_after_output) {
    if (c.peer_closed) {
      Close(c);
    } else {
      StartLingeringClose(c);
    }
    return;
  }
  if (c.read_paused && !c.busy()) ReadAndParse(c);
}

}  // namespace hbf
