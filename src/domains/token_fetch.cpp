#include "domains/token_fetch.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <optional>

#include "core/deadline.h"
#include "core/unique_fd.h"

namespace hbf::domains {
namespace {

Error Failed(std::string why) { return Error{"verify_failed", std::move(why), 502}; }

using Clock = std::chrono::steady_clock;

struct Endpoint {
  sockaddr_storage addr{};
  socklen_t len = 0;
};

// "HOST:PORT" with a numeric HOST ("[::1]:80" for IPv6).
std::optional<Endpoint> ParseNumeric(const std::string& target) {
  std::string host;
  std::string port_text;
  if (!target.empty() && target.front() == '[') {
    size_t close = target.find(']');
    if (close == std::string::npos || close + 1 >= target.size() || target[close + 1] != ':') return std::nullopt;
    host = target.substr(1, close - 1);
    port_text = target.substr(close + 2);
  } else {
    size_t colon = target.rfind(':');
    if (colon == std::string::npos) return std::nullopt;
    host = target.substr(0, colon);
    port_text = target.substr(colon + 1);
  }
  int port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port < 1 || port > 65535) return std::nullopt;
  Endpoint e;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&e.addr);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&e.addr);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    e.len = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    e.len = sizeof(sockaddr_in6);
  } else {
    return std::nullopt;
  }
  return e;
}

Result<Endpoint> Resolve(const std::string& domain) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int rc = ::getaddrinfo(domain.c_str(), "80", &hints, &found); rc != 0 || found == nullptr) {
    return Failed("cannot resolve " + domain + ": " + ::gai_strerror(rc));
  }
  Endpoint e;
  std::memcpy(&e.addr, found->ai_addr, found->ai_addrlen);
  e.len = found->ai_addrlen;
  ::freeaddrinfo(found);
  return e;
}

Status SendAll(int fd, const std::string& data, Clock::time_point deadline) {
  size_t sent = 0;
  while (sent < data.size()) {
    ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EINTR) return Failed(std::string("send: ") + std::strerror(errno));
    pollfd p{fd, POLLOUT, 0};
    if (::poll(&p, 1, MillisLeft(deadline)) != 1) return Failed("send: timed out");
  }
  return Ok{};
}

}  // namespace

bool IsValidConnectTarget(const std::string& connect_to) { return ParseNumeric(connect_to).has_value(); }

Result<std::string> FetchBody(const std::string& domain, const std::string& path, const FetchOptions& options) {
  const auto deadline = Clock::now() + options.total_timeout;
  Endpoint endpoint;
  if (!options.connect_to.empty()) {
    auto parsed = ParseNumeric(options.connect_to);
    if (!parsed) return Failed("bad connect target " + options.connect_to);
    endpoint = *parsed;
  } else {
    auto resolved = Resolve(domain);
    if (!resolved.ok()) return resolved.error();
    endpoint = *resolved;
  }
  UniqueFd fd(::socket(endpoint.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return Failed(std::string("socket: ") + std::strerror(errno));
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&endpoint.addr), endpoint.len) != 0 && errno != EINPROGRESS) {
    return Failed(std::string("connect: ") + std::strerror(errno));
  }
  const auto connect_deadline = std::min(deadline, Clock::now() + options.connect_timeout);
  pollfd p{fd.get(), POLLOUT, 0};
  if (::poll(&p, 1, MillisLeft(connect_deadline)) != 1) return Failed("connect: timed out");
  int err = 0;
  socklen_t err_len = sizeof err;
  ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &err_len);
  if (err != 0) return Failed(std::string("connect: ") + std::strerror(err));

  const std::string request = "GET " + path + " HTTP/1.1\r\nHost: " + domain +
                              "\r\nUser-Agent: hbf-domain-verify\r\nAccept: text/plain\r\nConnection: close\r\n\r\n";
  if (Status s = SendAll(fd.get(), request, deadline); !s.ok()) return s.error();

  // Headers (at most 8 KiB) and a body of at most kMaxBodyBytes: enough for
  // a token; anything longer is not the answer we look for.
  constexpr size_t kMaxHead = 8192;
  std::string data;
  std::optional<size_t> body_at;
  std::optional<size_t> content_length;
  for (;;) {
    if (body_at) {
      const size_t body = data.size() - *body_at;
      if (body > kMaxBodyBytes) return Failed("the answer's body is longer than " + std::to_string(kMaxBodyBytes) + " bytes");
      if (content_length && body >= *content_length) break;
    } else if (data.size() > kMaxHead) {
      return Failed("the answer's headers are too long");
    }
    pollfd in{fd.get(), POLLIN, 0};
    if (::poll(&in, 1, MillisLeft(deadline)) != 1) return Failed("no complete answer in time");
    char buf[2048];
    ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return Failed(std::string("recv: ") + std::strerror(errno));
    }
    data.append(buf, static_cast<size_t>(n));
    if (!body_at) {
      size_t end = data.find("\r\n\r\n");
      if (end == std::string::npos) continue;
      body_at = end + 4;
      // Content-Length, when given, ends the body before the close.
      std::string head = data.substr(0, end);
      for (char& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (head.find("\r\ntransfer-encoding:") != std::string::npos) {
        return Failed("the answer is chunked; serve the token with a Content-Length");
      }
      if (size_t at = head.find("\r\ncontent-length:"); at != std::string::npos) {
        size_t v = head.find_first_not_of(' ', at + 17);
        size_t length = 0;
        if (v != std::string::npos &&
            std::from_chars(head.data() + v, head.data() + head.size(), length).ec == std::errc()) {
          content_length = length;
        }
      }
    }
  }
  if (!body_at) return Failed("the answer ended before its headers did");
  int status = 0;
  if (data.rfind("HTTP/1.", 0) != 0 || data.size() < 12 ||
      std::from_chars(data.data() + 9, data.data() + 12, status).ec != std::errc()) {
    return Failed("not an HTTP answer");
  }
  if (status != 200) return Failed("http://" + domain + path + " answered " + std::to_string(status));
  std::string body = data.substr(*body_at);
  if (content_length && body.size() > *content_length) body.resize(*content_length);
  return body;
}

}  // namespace hbf::domains
