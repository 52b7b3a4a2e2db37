#include "lifecycle/smtp_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "core/unique_fd.h"

namespace hbf::lifecycle {
namespace {

Error Failed(std::string message) { return Error{"smtp_failed", std::move(message), 502}; }


bool WaitFor(int fd, short events, std::chrono::milliseconds timeout) {
  pollfd p{fd, events, 0};
  for (;;) {
    const int rc = ::poll(&p, 1, static_cast<int>(timeout.count()));
    if (rc < 0 && errno == EINTR) continue;
    return rc > 0;
  }
}

Status SendAll(int fd, const std::string& data, std::chrono::milliseconds timeout) {
  size_t sent = 0;
  while (sent < data.size()) {
    if (!WaitFor(fd, POLLOUT, timeout)) return Failed("the relay stopped reading");
    const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return Failed(std::string("send: ") + std::strerror(errno));
    }
    sent += static_cast<size_t>(n);
  }
  return Ok{};
}

// One reply (all its lines); its code in `code`.
Result<std::string> ReadReply(int fd, std::string& buffer, std::chrono::milliseconds timeout, int& code) {
  std::string reply;
  for (;;) {
    size_t eol;
    while ((eol = buffer.find("\r\n")) == std::string::npos) {
      if (buffer.size() > 64 * 1024) return Failed("the relay's reply is too long");
      if (!WaitFor(fd, POLLIN, timeout)) return Failed("no reply from the relay");
      char chunk[1024];
      const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n <= 0) return Failed("the relay closed the connection");
      buffer.append(chunk, static_cast<size_t>(n));
    }
    std::string line = buffer.substr(0, eol);
    buffer.erase(0, eol + 2);
    reply += line + "\n";
    if (line.size() < 3) return Failed("malformed reply: " + line);
    if (line.size() == 3 || line[3] == ' ') {
      code = 0;
      std::from_chars(line.data(), line.data() + 3, code);
      return reply;
    }
  }
}

Status Expect(int fd, std::string& buffer, std::chrono::milliseconds timeout, int low, int high,
              const std::string& step) {
  int code = 0;
  auto reply = ReadReply(fd, buffer, timeout, code);
  if (!reply.ok()) return reply.error();
  if (code < low || code > high) return Failed(step + ": " + *reply);
  return Ok{};
}

// The body as SMTP DATA: CRLF line ends, a leading '.' doubled.
std::string DotStuffed(const std::string& text) {
  std::string out;
  bool line_start = true;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\r') continue;
    if (line_start && c == '.') out += '.';
    if (c == '\n') {
      out += "\r\n";
      line_start = true;
      continue;
    }
    out += c;
    line_start = false;
  }
  if (!out.empty() && !line_start) out += "\r\n";
  return out;
}

bool HasLineBreak(const std::string& s) { return s.find_first_of("\r\n") != std::string::npos; }

}  // namespace

Result<SmtpTarget> ParseSmtpUrl(const std::string& url) {
  const std::string scheme = "smtp://";
  auto bad = [&] { return Error{"invalid_field", "expected smtp://HOST:PORT with a numeric host, got '" + url + "'", 400}; };
  if (url.rfind(scheme, 0) != 0) return bad();
  std::string rest = url.substr(scheme.size());
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  SmtpTarget target;
  std::string port_text;
  if (!rest.empty() && rest[0] == '[') {
    const size_t close = rest.find(']');
    if (close == std::string::npos) return bad();
    target.host = rest.substr(1, close - 1);
    if (close + 1 < rest.size()) {
      if (rest[close + 1] != ':') return bad();
      port_text = rest.substr(close + 2);
    }
  } else {
    const size_t colon = rest.find(':');
    target.host = rest.substr(0, colon);
    if (colon != std::string::npos) port_text = rest.substr(colon + 1);
  }
  if (target.host == "localhost") target.host = "127.0.0.1";
  unsigned char buf[sizeof(in6_addr)];
  if (inet_pton(AF_INET, target.host.c_str(), buf) != 1 && inet_pton(AF_INET6, target.host.c_str(), buf) != 1) {
    return bad();
  }
  if (!port_text.empty()) {
    unsigned port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 || port > 65535) return bad();
    target.port = static_cast<uint16_t>(port);
  }
  return target;
}

Status SendMail(const SmtpTarget& target, const MailMessage& message, std::chrono::milliseconds timeout) {
  if (HasLineBreak(message.from) || HasLineBreak(message.to) || HasLineBreak(message.subject)) {
    return Error::BadRequest("mail addresses and subject must be one line");
  }
  sockaddr_storage address{};
  socklen_t length = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
  if (inet_pton(AF_INET, target.host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(target.port);
    length = sizeof *v4;
  } else if (inet_pton(AF_INET6, target.host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(target.port);
    length = sizeof *v6;
  } else {
    return Failed("not a numeric address: " + target.host);
  }
  UniqueFd socket(::socket(address.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (socket.get() < 0) return Failed(std::string("socket: ") + std::strerror(errno));
  if (::connect(socket.get(), reinterpret_cast<sockaddr*>(&address), length) != 0) {
    if (errno != EINPROGRESS) return Failed(std::string("connect: ") + std::strerror(errno));
    if (!WaitFor(socket.get(), POLLOUT, timeout)) return Failed("connect: timed out");
    int error = 0;
    socklen_t size = sizeof error;
    ::getsockopt(socket.get(), SOL_SOCKET, SO_ERROR, &error, &size);
    if (error != 0) return Failed(std::string("connect: ") + std::strerror(error));
  }
  const int fd = socket.get();
  std::string buffer;
  auto step = [&](const std::string& line, int low, int high, const std::string& name) -> Status {
    if (!line.empty()) {
      if (auto s = SendAll(fd, line, timeout); !s.ok()) return s;
    }
    return Expect(fd, buffer, timeout, low, high, name);
  };
  if (auto s = step("", 220, 220, "greeting"); !s.ok()) return s;
  if (auto s = step("EHLO hbf\r\n", 250, 250, "EHLO"); !s.ok()) return s;
  if (auto s = step("MAIL FROM:<" + message.from + ">\r\n", 250, 250, "MAIL FROM"); !s.ok()) return s;
  if (auto s = step("RCPT TO:<" + message.to + ">\r\n", 250, 251, "RCPT TO"); !s.ok()) return s;
  if (auto s = step("DATA\r\n", 354, 354, "DATA"); !s.ok()) return s;
  std::string data = "From: <" + message.from + ">\r\nTo: <" + message.to + ">\r\nSubject: " + message.subject +
                     "\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + DotStuffed(message.body) + ".\r\n";
  if (auto s = step(data, 250, 250, "end of data"); !s.ok()) return s;
  (void)SendAll(fd, "QUIT\r\n", timeout);  // delivered already; the answer does not matter
  return Ok{};
}

}  // namespace hbf::lifecycle
