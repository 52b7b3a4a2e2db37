// Incremental HTTP/1.1 request parsing: bytes in, complete HttpRequests out.
//
// llhttp (strict mode, no lenient flag) does the tokenising; this class adds
// HBF's limits and the RFC 9112 rules llhttp leaves to the server:
//   - header section bigger than `max_header_bytes`, or more than
//     `max_headers` fields: 431;
//   - a body larger than `max_body_bytes`: 413, declared (Content-Length) or
//     discovered (chunked), before it is buffered;
//   - HTTP/1.1 without Host, or with more than one: 400;
//   - absolute-form targets ("GET http://h/p"): the authority replaces Host
//     (RFC 9112 §3.2.2); other non-origin forms except "OPTIONS *": 400;
//   - everything llhttp refuses (Content-Length with Transfer-Encoding,
//     duplicate Content-Length, whitespace before a colon, bad chunk sizes,
//     a Transfer-Encoding that does not end in chunked, bare LF, ...): 400.
// After any failure the connection must be closed: the parser cannot know
// where the next request would start (request smuggling).
//
// One request at a time: Feed() stops after the head (kHead) and after a
// complete request (kRequest); the caller feeds the rest afterwards.
//
// Thread safety: one parser per connection, used by one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "http/http_types.h"

namespace hbf {

struct ParserLimits {
  size_t max_header_bytes = 32 * 1024;  // request line + header fields
  size_t max_headers = 100;
  int64_t max_body_bytes = 10 << 20;
};

class RequestParser {
 public:
  enum class Event {
    kNeedMore,  // every byte given was consumed; no event
    kHead,      // the request line and headers are complete (head() is valid)
    kRequest,   // a whole request is ready: TakeRequest()
    kError,     // a protocol error: failure() says what to answer; then close
  };
  struct Failure {
    int status = 400;
    std::string code;     // the JSON error code
    std::string message;  // for the client
  };

  explicit RequestParser(const ParserLimits& limits);
  ~RequestParser();
  RequestParser(const RequestParser&) = delete;
  RequestParser& operator=(const RequestParser&) = delete;

  // Parses from `data`; `consumed` receives how many bytes were used. After
  // kError nothing more may be fed.
  Event Feed(const char* data, size_t size, size_t& consumed);

  // The request being read (valid from kHead on; body empty until kRequest).
  const HttpRequest& head() const { return request_; }
  // Moves out the completed request. REQUIRES: the last event was kRequest.
  HttpRequest TakeRequest();

  // Of the current request, valid from kHead on.
  bool expects_continue() const { return expects_continue_; }
  bool body_expected() const { return body_expected_; }
  // Of the request just completed: may the connection serve another?
  bool keep_alive() const { return keep_alive_; }
  // The request asked to switch protocols (Upgrade). HBF's HTTP layer does
  // not switch yet: the connection closes after the response.
  bool upgrade() const { return upgrade_; }

  // Some byte of a request (other than blank lines) has arrived and the
  // request is not complete yet.
  bool in_message() const { return in_message_; }
  // The head is complete and the body is still arriving.
  bool reading_body() const { return head_complete_ && in_message_; }
  int64_t body_bytes() const { return static_cast<int64_t>(request_.body.size()); }

  const Failure& failure() const { return failure_; }

 private:
  struct Callbacks;
  friend struct Callbacks;
  // Validates and normalises the head (Host, target form, body limit).
  bool FinishHead();
  int Fail(int status, const char* code, std::string message);

  const ParserLimits limits_;
  struct LlHttp;  // llhttp_t + settings, kept out of this header
  std::unique_ptr<LlHttp> ll_;
  HttpRequest request_;
  std::string url_;
  size_t header_bytes_ = 0;
  bool in_value_ = false;  // the last header callback was for a value
  bool in_message_ = false;
  bool head_complete_ = false;
  bool message_complete_ = false;
  bool expects_continue_ = false;
  bool body_expected_ = false;
  bool keep_alive_ = false;
  bool upgrade_ = false;
  bool failed_ = false;
  Failure failure_;
};

// The llhttp version compiled in ("8.1.0"), for `hbf --version`.
std::string LlhttpVersion();

}  // namespace hbf
