// A response body produced after its head: Server-Sent Events, a script's
// res.write() (anything whose end is not known when the status is).
//
// An HttpResponse whose `stream` is set goes out at once with its status and
// headers and `Transfer-Encoding: chunked` (HTTP/1.1; an HTTP/1.0 client
// reads until the connection closes) and `response.body`, if any, as the
// first chunk. Each Write() becomes a chunk on the connection's loop; End()
// sends the last chunk, and the connection goes on with its next request.
// Abort() instead ends the body without its last chunk and closes the
// connection, so the client can tell the body is incomplete (its producer
// failed).
//
// The loop that sends the head attaches the stream to the connection; what
// is written before that waits in the stream. When the connection goes (the
// client closed it, read nothing for --send_timeout, fell more than
// `max_buffered` bytes behind, or the server drains), the stream is closed:
// Write() returns false from then on, so a producer knows to stop, and the
// OnClosed callback runs once. A quiet stream gets `heartbeat_bytes` every
// `heartbeat` (an SSE comment), which is also how a vanished client is
// noticed when the network says nothing.
//
// Thread safety: Write, End, closed and OnClosed from any thread. Attach
// and Detach are the loop's (StreamSink's owner). OnClosed's callback runs
// on the thread that closed the stream (the loop, or End's caller); it must
// not block and must not call back into this stream's End/Write.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace hbf {

// What a posted chunk does to the stream besides adding its data.
enum class ChunkKind {
  kData,   // more follows
  kLast,   // the body is complete: the last chunk
  kAbort,  // the body is incomplete: no last chunk, the connection closes
};

// Implemented by the I/O loop that owns the connection.
class StreamSink {
 public:
  virtual ~StreamSink() = default;
  // Queues `data` (unframed) for the connection's stream.
  virtual void PostStreamChunk(uint64_t connection_id, std::string data, ChunkKind kind) = 0;
};

class ResponseStream {
 public:
  struct Options {
    std::chrono::milliseconds heartbeat{0};  // 0: none
    std::string heartbeat_bytes;             // e.g. ": keep-alive\n\n"
    size_t max_buffered = 4 << 20;           // unsent bytes before the client is dropped
  };

  ResponseStream() = default;
  explicit ResponseStream(Options options) : options_(std::move(options)) {}
  ResponseStream(const ResponseStream&) = delete;
  ResponseStream& operator=(const ResponseStream&) = delete;

  // Queues `data` as the next chunk (empty data is skipped). False when the
  // stream is closed: the client is gone or End() was called.
  bool Write(std::string data);
  // The last chunk. Idempotent; Write() returns false afterwards.
  void End();
  // Ends the body as incomplete (no last chunk; the connection closes).
  // As End() otherwise; whichever of the two comes first counts.
  void Abort();
  bool closed() const;
  // `fn` runs once when the stream closes, for whatever reason (at once if
  // it already has).
  void OnClosed(std::function<void()> fn);

  const Options& options() const { return options_; }

  // ---- the loop's side
  // The head went out on `connection_id`: queued data is returned (to be
  // written first) and later writes go to `sink`. `ended` says End() or
  // Abort() was already called; then `aborted` says which.
  std::vector<std::string> Attach(std::weak_ptr<StreamSink> sink, uint64_t connection_id, bool& ended,
                                  bool& aborted);
  // The connection is gone or the stream ended: no more writes.
  void Detach();

 private:
  void CloseLocked(std::unique_lock<std::mutex>& lock);
  void Finish(bool aborted);

  const Options options_{};
  mutable std::mutex mu_;
  bool attached_ = false;
  bool ended_ = false;   // End() or Abort() was called
  bool aborted_ = false;  // ... and it was Abort()
  bool closed_ = false;  // no more writes accepted
  std::weak_ptr<StreamSink> sink_;
  uint64_t connection_id_ = 0;
  std::vector<std::string> pending_;  // before Attach
  std::function<void()> on_closed_;
};

}  // namespace hbf
