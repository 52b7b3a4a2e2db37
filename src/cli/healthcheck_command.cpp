#include "cli/healthcheck_command.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "core/deadline.h"
#include "core/unique_fd.h"

namespace hbf::cli {
namespace {

struct Target {
  std::string host;  // numeric, without brackets
  int port = 80;
  std::string path = "/";
  bool ipv6 = false;
};

std::optional<Target> ParseUrl(const std::string& url, std::string& why) {
  const std::string scheme = "http://";
  if (url.rfind(scheme, 0) != 0) {
    why = "only http:// URLs are supported";
    return std::nullopt;
  }
  std::string rest = url.substr(scheme.size());
  Target t;
  size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  if (slash != std::string::npos) t.path = rest.substr(slash);
  std::string port_text;
  if (!authority.empty() && authority[0] == '[') {
    size_t close = authority.find(']');
    if (close == std::string::npos) {
      why = "unterminated [IPv6] address";
      return std::nullopt;
    }
    t.host = authority.substr(1, close - 1);
    t.ipv6 = true;
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') {
        why = "bad port";
        return std::nullopt;
      }
      port_text = authority.substr(close + 2);
    }
  } else {
    size_t colon = authority.find(':');
    t.host = authority.substr(0, colon);
    if (colon != std::string::npos) port_text = authority.substr(colon + 1);
  }
  if (!port_text.empty()) {
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), t.port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || t.port < 1 || t.port > 65535) {
      why = "bad port '" + port_text + "'";
      return std::nullopt;
    }
  }
  unsigned char buf[sizeof(in6_addr)];
  if (inet_pton(t.ipv6 ? AF_INET6 : AF_INET, t.host.c_str(), buf) != 1) {
    why = "the host must be a numeric IPv4 or [IPv6] address (no DNS), got '" + t.host + "'";
    return std::nullopt;
  }
  return t;
}

// The status code of the answer, or an error message.
int Probe(const Target& t, int timeout_ms, std::string& why) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  UniqueFd fd(::socket(t.ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) {
    why = std::string("socket: ") + std::strerror(errno);
    return -1;
  }
  sockaddr_storage addr{};
  socklen_t len = 0;
  if (t.ipv6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&addr);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(static_cast<uint16_t>(t.port));
    inet_pton(AF_INET6, t.host.c_str(), &a->sin6_addr);
    len = sizeof(sockaddr_in6);
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&addr);
    a->sin_family = AF_INET;
    a->sin_port = htons(static_cast<uint16_t>(t.port));
    inet_pton(AF_INET, t.host.c_str(), &a->sin_addr);
    len = sizeof(sockaddr_in);
  }
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), len) != 0 && errno != EINPROGRESS) {
    why = std::string("connect: ") + std::strerror(errno);
    return -1;
  }
  pollfd p{fd.get(), POLLOUT, 0};
  if (::poll(&p, 1, MillisLeft(deadline)) != 1) {
    why = "connect: timed out";
    return -1;
  }
  int err = 0;
  socklen_t err_len = sizeof err;
  getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &err_len);
  if (err != 0) {
    why = std::string("connect: ") + std::strerror(err);
    return -1;
  }
  const std::string host = t.ipv6 ? "[" + t.host + "]" : t.host;
  const std::string request = "GET " + t.path + " HTTP/1.1\r\nHost: " + host + ":" + std::to_string(t.port) +
                              "\r\nUser-Agent: hbf-healthcheck\r\nConnection: close\r\n\r\n";
  size_t sent = 0;
  while (sent < request.size()) {
    ssize_t n = ::send(fd.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
      why = std::string("send: ") + std::strerror(errno);
      return -1;
    }
    p = pollfd{fd.get(), POLLOUT, 0};
    if (::poll(&p, 1, MillisLeft(deadline)) != 1) {
      why = "send: timed out";
      return -1;
    }
  }
  // Only the status line matters: "HTTP/1.1 200 ...".
  std::string head;
  while (head.find("\r\n") == std::string::npos && head.size() < 4096) {
    p = pollfd{fd.get(), POLLIN, 0};
    if (::poll(&p, 1, MillisLeft(deadline)) != 1) {
      why = "no answer in time";
      return -1;
    }
    char buf[1024];
    ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      why = std::string("recv: ") + std::strerror(errno);
      return -1;
    }
    head.append(buf, static_cast<size_t>(n));
  }
  int status = 0;
  if (head.rfind("HTTP/1.", 0) != 0 || head.size() < 12 ||
      std::from_chars(head.data() + 9, head.data() + 12, status).ec != std::errc()) {
    why = "not an HTTP answer";
    return -1;
  }
  return status;
}

}  // namespace

int RunHealthcheck(const std::vector<std::string>& args) {
  const char* env_port = std::getenv("HBF_PORT");
  std::string url = std::string("http://127.0.0.1:") + (env_port != nullptr && *env_port ? env_port : "5309") + "/health";
  int timeout_ms = 3000;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string name = args[i];
    std::optional<std::string> value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    }
    if (name != "--url" && name != "--timeout_ms" && name != "--timeout-ms") {
      std::fprintf(stderr, "hbf healthcheck: %s: unknown argument (usage: hbf healthcheck [--url URL] [--timeout_ms MS])\n",
                   args[i].c_str());
      return 2;
    }
    if (!value) {
      if (i + 1 >= args.size()) {
        std::fprintf(stderr, "hbf healthcheck: %s: missing value\n", name.c_str());
        return 2;
      }
      value = args[++i];
    }
    if (name == "--url") {
      url = *value;
    } else {
      auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), timeout_ms);
      if (ec != std::errc() || end != value->data() + value->size() || timeout_ms < 1 || timeout_ms > 600000) {
        std::fprintf(stderr, "hbf healthcheck: --timeout_ms: expected 1..600000, got '%s'\n", value->c_str());
        return 2;
      }
    }
  }
  std::string why;
  std::optional<Target> target = ParseUrl(url, why);
  if (!target) {
    std::fprintf(stderr, "hbf healthcheck: --url: %s\n", why.c_str());
    return 2;
  }
  const int status = Probe(*target, timeout_ms, why);
  if (status < 0) {
    std::fprintf(stderr, "hbf healthcheck: %s: %s\n", url.c_str(), why.c_str());
    return 1;
  }
  std::printf("%s: %d\n", url.c_str(), status);
  return status >= 200 && status < 300 ? 0 : 1;
}

}  // namespace hbf::cli
