// Test support: a deliberately small blocking HTTP/1.1 client over loopback,
// plus raw connections for sending partial or malformed requests.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "core/json.h"

namespace hbf {
// Lets GoogleTest print Json values readably in failure messages.
inline void PrintTo(const Json& value, std::ostream* os) { *os << value.dump(); }
}  // namespace hbf

namespace hbf::test {

struct HttpReply {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  bool complete = false;  // a full response (status line, headers, body) arrived

  std::optional<std::string> header(const std::string& lower_name) const;
  // The parsed body (a null Json if it is not JSON), parsed once and owned by
  // the reply: pointers from json().find() live as long as the reply.
  const Json& json() const;
  // The body's error.code, or "<no error code: BODY>" (which no test expects).
  std::string error_code() const;

 private:
  mutable std::optional<Json> parsed_;
};

// A TCP connection to 127.0.0.1:port with a receive timeout.
class RawConnection {
 public:
  explicit RawConnection(uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  ~RawConnection();
  RawConnection(RawConnection&& other) noexcept;
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return fd_ >= 0; }
  bool Send(const std::string& data);
  // Reads one response (Content-Length framed). For a HEAD request pass
  // head = true (no body follows the headers).
  HttpReply ReadReply(bool head = false);
  // Reads until the peer closes (or timeout); returns what arrived.
  std::string ReadToClose();
  // Reads until what has arrived (and not been consumed) contains `needle`;
  // false on EOF/timeout. Consumes nothing.
  bool WaitFor(const std::string& needle);
  // Half-closes the connection (no more requests; replies still readable).
  void ShutdownWrite();
  int fd() const { return fd_; }

 private:
  bool Fill();  // reads more into buffer_; false on EOF/timeout/error
  int fd_ = -1;
  std::string buffer_;
};

struct RequestSpec {
  std::string method = "GET";
  std::string path = "/";
  std::string host = "localhost";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// One request on a fresh connection (Connection: close).
HttpReply Fetch(uint16_t port, const RequestSpec& spec);
inline HttpReply Get(uint16_t port, const std::string& path, const std::string& host = "localhost") {
  return Fetch(port, RequestSpec{"GET", path, host, {}, {}});
}

// A henv made through POST /new, with its owner logged in.
struct TestHenv {
  std::string hash;
  std::string host;   // "{hash}.localhost"
  std::string token;  // the owner's bearer token
};
inline constexpr const char* kTestPassword = "correct horse battery";
// Creates henv `name` (owner `name`, kTestPassword) and logs in. On failure
// the returned fields are empty (the caller's assertions then fail).
TestHenv CreateHenvAndLogin(uint16_t port, const std::string& name);

// Serialises a request (with Content-Length when there is a body).
std::string FormatRequest(const RequestSpec& spec, bool keep_alive);

}  // namespace hbf::test
