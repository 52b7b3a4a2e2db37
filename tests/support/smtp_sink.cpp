#include "support/smtp_sink.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace hbf::test {
namespace {

bool SendLine(int fd, const std::string& line) {
  std::string out = line + "\r\n";
  return ::send(fd, out.data(), out.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(out.size());
}

// The next CRLF line from `fd`; false at EOF or after 5 s of silence.
bool ReadLine(int fd, std::string& buffer, std::string& line) {
  for (;;) {
    size_t eol = buffer.find("\r\n");
    if (eol != std::string::npos) {
      line = buffer.substr(0, eol);
      buffer.erase(0, eol + 2);
      return true;
    }
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 5000) <= 0) return false;
    char chunk[1024];
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer.append(chunk, static_cast<size_t>(n));
  }
}

std::string Address(const std::string& line) {
  size_t open = line.find('<');
  size_t close = line.find('>');
  if (open == std::string::npos || close == std::string::npos || close < open) return {};
  return line.substr(open + 1, close - open - 1);
}

}  // namespace

SmtpSink::SmtpSink() {
  listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::listen(listener_, 16);
  socklen_t len = sizeof addr;
  ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { Serve(); });
}

SmtpSink::~SmtpSink() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  ::shutdown(listener_, SHUT_RDWR);
  if (thread_.joinable()) thread_.join();
  ::close(listener_);
}

std::vector<SmtpSink::Message> SmtpSink::messages() const {
  std::lock_guard lock(mu_);
  return messages_;
}

void SmtpSink::Serve() {
  for (;;) {
    pollfd p{listener_, POLLIN, 0};
    ::poll(&p, 1, 100);
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
    }
    if ((p.revents & POLLIN) == 0) continue;
    int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    Session(fd);
    ::close(fd);
  }
}

void SmtpSink::Session(int fd) {
  std::string buffer, line;
  Message message;
  if (!SendLine(fd, "220 sink ESMTP")) return;
  while (ReadLine(fd, buffer, line)) {
    if (line.rfind("EHLO", 0) == 0 || line.rfind("HELO", 0) == 0) {
      SendLine(fd, "250-sink");
      SendLine(fd, "250 8BITMIME");
    } else if (line.rfind("MAIL FROM:", 0) == 0) {
      message = Message{Address(line), {}, {}};
      SendLine(fd, "250 ok");
    } else if (line.rfind("RCPT TO:", 0) == 0) {
      message.to = Address(line);
      SendLine(fd, "250 ok");
    } else if (line == "DATA") {
      SendLine(fd, "354 go ahead");
      while (ReadLine(fd, buffer, line) && line != ".") {
        if (line.rfind("..", 0) == 0) line.erase(0, 1);
        message.data += line + "\r\n";
      }
      {
        std::lock_guard lock(mu_);
        messages_.push_back(message);
      }
      SendLine(fd, "250 queued");
    } else if (line == "QUIT") {
      SendLine(fd, "221 bye");
      return;
    } else {
      SendLine(fd, "502 not implemented");
    }
  }
}

}  // namespace hbf::test
