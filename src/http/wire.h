// Response serialisation for HTTP/1.1: the bytes HBF puts on the wire.
//
// Thread safety: pure functions; HttpDate() caches per thread.
#pragma once

#include <string>
#include <string_view>

#include "http/http_types.h"

namespace hbf {

// The current time as an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"),
// formatted at most once per second per thread.
std::string_view HttpDate();

// Whether a comma-separated header value lists `token` (case-insensitive).
bool HeaderHasToken(std::string_view value, std::string_view token);

struct ResponseFraming {
  bool head_request = false;     // HEAD: headers as for GET, no body
  bool close = false;            // "Connection: close"; the caller closes after writing
  bool keep_alive_header = false;  // HTTP/1.0 keep-alive: say "Connection: keep-alive"
  // The body follows the head in pieces (a ResponseStream): `chunked` says
  // "Transfer-Encoding: chunked" instead of a Content-Length; without it
  // (HTTP/1.0) neither is sent and the body ends with the connection.
  bool streamed = false;
  bool chunked = false;
};

// One piece of a chunked body ("<hex size>\r\n<data>\r\n"); empty `data`:
// the last chunk.
void AppendChunk(std::string& out, std::string_view data);

// Appends the status line and headers of `response` (with Content-Length,
// Date and Connection, which belong to the server: a handler's own are
// dropped, as is any header whose name or value could split the response).
// Returns whether the body goes on the wire (false for HEAD, 204, 304).
// A status outside 200..599 is never sent as a final response: it becomes
// a 500 (the caller should have refused it; this is the last line).
bool AppendResponseHead(std::string& out, const HttpResponse& response, const ResponseFraming& framing);

// The 101 that accepts a WebSocket upgrade: Upgrade, Connection and
// Sec-WebSocket-Accept (`accept_key`) are the server's; the handler's other
// headers (Set-Cookie, Sec-WebSocket-Protocol, ...) follow, checked as above,
// without any about a body.
void AppendSwitchingProtocolsHead(std::string& out, const HttpResponse& response, std::string_view accept_key);

// The whole response as one string (head + body where one is sent).
std::string SerializeResponse(const HttpResponse& response, const ResponseFraming& framing);

}  // namespace hbf
