#include "support/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>

namespace hbf::test {
namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::optional<std::string> HttpReply::header(const std::string& lower_name) const {
  for (const auto& [k, v] : headers) {
    if (k == lower_name) return v;
  }
  return std::nullopt;
}

std::string HttpReply::error_code() const {
  const Json* error = json().find("error");
  const Json* code = error != nullptr ? error->find("code") : nullptr;
  return code != nullptr && code->is_string() ? code->as_string() : "<no error code: " + body + ">";
}

const Json& HttpReply::json() const {
  if (!parsed_) {
    auto parsed = Json::Parse(body);
    parsed_ = parsed.ok() ? std::move(parsed).value() : Json();
  }
  return *parsed_;
}

RawConnection::RawConnection(uint16_t port, std::chrono::milliseconds timeout) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return;
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

RawConnection::~RawConnection() {
  if (fd_ >= 0) ::close(fd_);
}

RawConnection::RawConnection(RawConnection&& other) noexcept : fd_(other.fd_), buffer_(std::move(other.buffer_)) {
  other.fd_ = -1;
}

bool RawConnection::Send(const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    ssize_t n = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

bool RawConnection::Fill() {
  char buf[16384];
  for (;;) {
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    buffer_.append(buf, static_cast<size_t>(n));
    return true;
  }
}

HttpReply RawConnection::ReadReply(bool head) {
  HttpReply reply;
  if (fd_ < 0) return reply;
  size_t header_end;
  for (;;) {
    header_end = buffer_.find("\r\n\r\n");
    if (header_end != std::string::npos) {
      // Skip interim 1xx responses (100 Continue).
      if (buffer_.rfind("HTTP/1.1 1", 0) == 0) {
        buffer_.erase(0, header_end + 4);
        continue;
      }
      break;
    }
    if (!Fill()) return reply;
  }
  std::string head_block = buffer_.substr(0, header_end);
  buffer_.erase(0, header_end + 4);
  size_t line_end = head_block.find("\r\n");
  std::string status_line = head_block.substr(0, line_end);
  if (status_line.size() < 12 || status_line.rfind("HTTP/1.", 0) != 0) return reply;
  reply.status = std::atoi(status_line.c_str() + 9);
  size_t pos = line_end == std::string::npos ? head_block.size() : line_end + 2;
  while (pos < head_block.size()) {
    size_t end = head_block.find("\r\n", pos);
    if (end == std::string::npos) end = head_block.size();
    std::string line = head_block.substr(pos, end - pos);
    size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      reply.headers.emplace_back(Lower(line.substr(0, colon)), value);
    }
    pos = end + 2;
  }
  size_t length = 0;
  if (auto cl = reply.header("content-length"); cl && !head) length = std::strtoull(cl->c_str(), nullptr, 10);
  while (buffer_.size() < length) {
    if (!Fill()) return reply;
  }
  reply.body = buffer_.substr(0, length);
  buffer_.erase(0, length);
  reply.complete = true;
  return reply;
}

bool RawConnection::WaitFor(const std::string& needle) {
  while (buffer_.find(needle) == std::string::npos) {
    if (!Fill()) return false;
  }
  return true;
}

void RawConnection::ShutdownWrite() {
  if (fd_ >= 0) ::shutdown(fd_, SHUT_WR);
}

std::string RawConnection::ReadToClose() {
  while (Fill()) {
  }
  return std::move(buffer_);
}

std::string FormatRequest(const RequestSpec& spec, bool keep_alive) {
  std::string out = spec.method + " " + spec.path + " HTTP/1.1\r\n";
  if (!spec.host.empty()) out += "Host: " + spec.host + "\r\n";
  bool has_length = false;
  for (const auto& [k, v] : spec.headers) {
    out += k + ": " + v + "\r\n";
    if (Lower(k) == "content-length" || Lower(k) == "transfer-encoding") has_length = true;
  }
  if (!spec.body.empty() && !has_length) out += "Content-Length: " + std::to_string(spec.body.size()) + "\r\n";
  if (!keep_alive) out += "Connection: close\r\n";
  out += "\r\n";
  out += spec.body;
  return out;
}

TestHenv CreateHenvAndLogin(uint16_t port, const std::string& name) {
  TestHenv out;
  Json signup = Json::MakeObject({{"username", name}, {"password", kTestPassword}, {"email", name + "@example.com"}});
  auto created = Fetch(port, {"POST", "/new", "localhost", {{"Content-Type", "application/json"}}, signup.dump()});
  const Json* hash = created.json().find("user_hash");
  if (created.status != 201 || hash == nullptr || !hash->is_string()) return out;
  out.hash = hash->as_string();
  out.host = out.hash + ".localhost";
  Json login_body = Json::MakeObject({{"username", name}, {"password", kTestPassword}});
  auto login = Fetch(port, {"POST", "/login", out.host, {{"Content-Type", "application/json"}}, login_body.dump()});
  if (const Json* token = login.json().find("token"); token != nullptr && token->is_string()) out.token = token->as_string();
  return out;
}

HttpReply Fetch(uint16_t port, const RequestSpec& spec) {
  RawConnection conn(port);
  if (!conn.connected() || !conn.Send(FormatRequest(spec, false))) return {};
  return conn.ReadReply(spec.method == "HEAD");
}

}  // namespace hbf::test
