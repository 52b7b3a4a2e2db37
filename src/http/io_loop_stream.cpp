// The I/O loop's streamed bodies (http/response_stream.h): the head goes out
// at once, the chunks as the stream is written, the last one when it ends.
// A connection streaming a body is not in flight (the drain does not wait
// for it: draining ends it) and reads only to notice its client leaving.
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "core/log.h"
#include "http/io_connection.h"
#include "http/io_loop.h"
#include "http/wire.h"

namespace hbf {

namespace {
// Input kept while a body streams (a pipelined request waits for the end of
// the stream); past it the connection stops being read.
constexpr size_t kStreamInputCap = 64 * 1024;
}  // namespace

void IoLoop::PostStreamChunk(uint64_t connection_id, std::string data, ChunkKind kind) {
  Completion done;
  done.kind = Completion::Kind::kChunk;
  done.connection_id = connection_id;
  done.chunk = std::move(data);
  done.chunk_kind = kind;
  Post(std::move(done));
}

void IoLoop::StartStream(Connection& c, HttpResponse& response, std::string out, bool with_body) {
  std::shared_ptr<ResponseStream> stream = std::move(response.stream);
  if (!with_body) {
    // HEAD, 204, 304: the head is the whole answer; the producer is told to stop.
    c.output_bytes += out.size();
    c.output.push_back(std::move(out));
    stream->Detach();
    if (c.no_more_requests) c.close_after_output = true;
    return;
  }
  c.stream_chunked = !c.http10;
  if (!response.body.empty()) {
    if (c.stream_chunked) {
      AppendChunk(out, response.body);
    } else {
      out += response.body;
    }
  }
  c.output_bytes += out.size();
  c.output.push_back(std::move(out));
  c.phase = Connection::Phase::kStreaming;
  c.stream = stream;
  c.stream_last_write = Clock::now();
  bool ended = false;
  bool aborted = false;
  std::vector<std::string> early =
      stream->Attach(std::weak_ptr<StreamSink>(shared_from_this()), c.id, ended, aborted);
  for (std::string& piece : early) ApplyChunk(c, std::move(piece), ChunkKind::kData);
  if (ended && c.fd >= 0 && c.stream) ApplyChunk(c, {}, aborted ? ChunkKind::kAbort : ChunkKind::kLast);
}

void IoLoop::ApplyChunk(Connection& c, std::string data, ChunkKind kind) {
  if (c.phase != Connection::Phase::kStreaming || !c.stream) return;  // ended, or another answer's
  if (!data.empty()) {
    if (c.stream_chunked) {
      std::string framed;
      framed.reserve(data.size() + 20);
      AppendChunk(framed, data);
      c.output_bytes += framed.size();
      c.output.push_back(std::move(framed));
    } else {
      c.output_bytes += data.size();
      c.output.push_back(std::move(data));
    }
    c.stream_last_write = Clock::now();
    if (c.output_bytes > c.stream->options().max_buffered) {
      // A client that reads slower than the body is produced: let it go
      // rather than buffer without end (it reconnects and catches up).
      Log(LogLevel::kWarn, "dropping a slow reader of a streamed response (" + c.method + " " + c.path + ", " +
              std::to_string(c.output_bytes) + " bytes unsent)");
      Close(c);
      return;
    }
  }
  if (kind == ChunkKind::kLast) FinishStream(c);
  if (kind == ChunkKind::kAbort) {
    // Incomplete: what was written goes out, then the connection closes
    // without the last chunk, so a client reading chunks knows the body is
    // cut short (an HTTP/1.0 client, reading to the close, cannot tell).
    c.no_more_requests = true;
    FinishStream(c, /*complete=*/false);
  }
}

void IoLoop::FinishStream(Connection& c, bool complete) {
  if (complete && c.stream_chunked) {
    static constexpr char kLastChunk[] = "0\r\n\r\n";
    c.output.emplace_back(kLastChunk, sizeof kLastChunk - 1);
    c.output_bytes += sizeof kLastChunk - 1;
  }
  if (c.stream) std::exchange(c.stream, nullptr)->Detach();
  c.phase = Connection::Phase::kIdle;
  c.phase_since = Clock::now();
  if (c.no_more_requests) c.close_after_output = true;
}

void IoLoop::ReadWhileStreaming(Connection& c) {
  for (;;) {
    if (c.input.size() >= kStreamInputCap) {
      c.read_paused = true;
      return;
    }
    // Into the loop's shared read buffer, as every other read.
    const ssize_t n = ::read(c.fd, scratch_.get(), std::min(kScratchBytes, kStreamInputCap - c.input.size()));
    if (n > 0) {
      c.input.append(scratch_.get(), static_cast<size_t>(n));  // a pipelined request: parsed when the stream ends
      continue;
    }
    if (n == 0) {
      // The client is gone (a client that half-closes cannot be told
      // from one that left; streams are for the ones that stay).
      c.peer_closed = true;
      Close(c);
      return;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return;
    Close(c);
    return;
  }
}

void IoLoop::TickStream(Connection& c, Clock::time_point now, bool draining, std::vector<Connection*>& to_end) {
  if (draining) {
    to_end.push_back(&c);
    return;
  }
  const ResponseStream::Options& options = c.stream->options();
  if (options.heartbeat.count() > 0 && !options.heartbeat_bytes.empty() &&
      now - c.stream_last_write >= options.heartbeat) {
    ApplyChunk(c, options.heartbeat_bytes, ChunkKind::kData);
    if (c.fd >= 0) Flush(c);
  }
}

}  // namespace hbf
