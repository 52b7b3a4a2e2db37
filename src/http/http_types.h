// HBF's own HTTP request/response types. Every layer above src/http sees only
// these; CivetWeb never leaks out of src/http, so the engine can be replaced.
//
// Thread safety: plain values, owned by the worker thread serving the request.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/json.h"
#include "core/result.h"
#include "core/text.h"

namespace hbf {

class ResponseStream;

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct RequestContext;  // host_routing.h

struct HttpRequest {
  std::string method;        // as sent, e.g. "GET"
  std::string path;          // canonical (percent-encoded) path: CanonicalPath below
  // The path as the client spelled it, only where that differs from `path`
  // ("/a/%2e%2e/b", "/x%2fy"); empty otherwise. For display alone (Express's
  // "Cannot GET" page shows what was asked): nothing routes or serves by it.
  std::string sent_path;
  std::string query;         // raw query string without '?', may be empty
  std::string http_version;  // "1.0", "1.1"
  HeaderList headers;        // names lower-cased, in arrival order
  std::string body;          // complete body (bounded by --max_body_mb)
  std::string remote_addr;   // peer address of the TCP connection
  int remote_port = 0;
  int local_port = 0;        // the listening port the request came in on
  bool arrived_while_draining = false;  // headers read after shutdown began: new work
  // A valid WebSocket upgrade: the socket's id in the WsHub (registered
  // before any handler runs, so a script can send from its `open`); 0 for
  // every other request.
  uint64_t websocket_id = 0;
  std::string id;  // the request id (http/request_id.h): echoed as X-Request-Id, logged, req.id
  std::chrono::steady_clock::time_point received{};  // when its head began to arrive (latency)
  // The request's context (host, site, client) as the handler worked it out
  // on the I/O loop (RequestHandler::HandleOnLoop), so that the handler
  // thread the request goes on to need not work it out again (~5k
  // instructions of a /hello's ~170k). Written by the loop before the
  // request is queued, read by the handler thread after; null until then.
  mutable std::shared_ptr<const RequestContext> context;
  // What the handler's HandleOnLoop found for this request and its handler
  // thread may reuse instead of looking it up again (the app's henv: over
  // 1,000 henvs the second lookup and its LRU move were ~2% of a /hello).
  // Opaque here; written and read as `context` is.
  mutable std::shared_ptr<void> found_on_loop;
  // What else HandleOnLoop decided that its handler thread need not decide
  // again: bits of the handler's own, opaque here; written and read as
  // `context` is.
  mutable uint32_t loop_notes = 0;

  // First header with this (lower-case) name, or nullptr.
  const std::string* header(std::string_view lower_name) const;
};

struct HttpResponse {
  int status = 200;
  HeaderList headers;  // Content-Length, Date and Connection are added by the server
  std::string body;

  // Set (only by src/js, for a script's WebSocket route) to accept the
  // upgrade of a request with a websocket_id: the 101 goes out instead of
  // `status`, and the socket's events run `websocket_route`. A response
  // without it never switches protocols, whatever its status says.
  std::optional<std::string> websocket_route;

  // Set for a body written after the head (http/response_stream.h): the
  // head goes out at once with Transfer-Encoding: chunked, `body` (if any)
  // as the first chunk, the rest as the stream is written.
  std::shared_ptr<ResponseStream> stream;

  // Not sent: what the access log should say about who was served.
  struct LogTags {
    std::string henv;
    std::string user_id;
    std::string client_ip;  // the client behind trusted proxies; empty: the peer
    int64_t js_ns = 0;      // JavaScript time spent on this answer (metrics)
    int64_t db_ns = 0;      // of which in SQLite (the henv's figures)
  } log;

  HttpResponse& set_header(std::string name, std::string value);
  const std::string* header(std::string_view name) const;  // case-insensitive

  static HttpResponse JsonBody(int status, const Json& body);
  // The uniform error shape: {"error":{"code":..,"message":..}}.
  static HttpResponse FromError(const Error& error);
  static HttpResponse ErrorBody(int status, std::string_view code, std::string_view message);
};

// The standard reason phrase for a status code ("Not Found").
const char* StatusReason(int status);

// Decodes %XX escapes (and '+' as space when `plus_as_space`). Returns false
// on a malformed escape.
bool PercentDecode(std::string_view in, std::string& out, bool plus_as_space);

// The one form of a request path every layer sees (router matching, guards,
// document serving): escapes of unreserved characters decoded ("%70" ->
// "p"), other escapes upper-cased, dot segments resolved (RFC 3986 §5.2.4,
// also when encoded), runs of '/' collapsed. An encoded slash stays "%2F"
// inside its segment, as Express sees it (a route parameter decodes it);
// no layer may turn it into a separator (RequestContext::encoded_slash).
// An encoded NUL or a malformed escape is refused (nullopt).
std::optional<std::string> CanonicalPath(std::string_view raw);

}  // namespace hbf
