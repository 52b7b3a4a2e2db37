#include "support/sse_client.h"

#include <poll.h>
#include <sys/socket.h>

#include <cctype>
#include <cerrno>

namespace hbf::test {

namespace {
std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
}  // namespace

SseClient::SseClient(uint16_t port, const std::string& host, const std::string& path,
                     std::vector<std::pair<std::string, std::string>> headers, bool http10)
    : conn_(port) {
  std::string request = "GET " + path + (http10 ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n") + "Host: " + host +
                        "\r\nAccept: text/event-stream\r\n";
  for (const auto& [name, value] : headers) request += name + ": " + value + "\r\n";
  request += "\r\n";
  if (!conn_.Send(request)) return;
  size_t end = std::string::npos;
  while ((end = wire_.find("\r\n\r\n")) == std::string::npos) {
    if (!Read(std::chrono::seconds(10))) return;
  }
  const std::string head = wire_.substr(0, end);
  wire_.erase(0, end + 4);
  size_t line_end = head.find("\r\n");
  const std::string status_line = head.substr(0, line_end);
  if (status_line.size() >= 12) status_ = std::stoi(status_line.substr(9, 3));
  size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
  while (pos < head.size()) {
    size_t next = head.find("\r\n", pos);
    if (next == std::string::npos) next = head.size();
    const std::string line = head.substr(pos, next - pos);
    const size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      headers_.emplace_back(Lower(line.substr(0, colon)), value);
    }
    pos = next + 2;
  }
  chunked_ = header("transfer-encoding").value_or("") == "chunked";
  if (!header("content-type").value_or("").starts_with("text/event-stream")) {
    // An error answer: Content-Length framed.
    const size_t length = std::stoul(header("content-length").value_or("0"));
    while (wire_.size() < length && Read(std::chrono::seconds(10))) {
    }
    error_body_ = wire_.substr(0, length);
    ended_ = true;
    return;
  }
  Decode();
}

std::optional<std::string> SseClient::header(const std::string& lower_name) const {
  for (const auto& [name, value] : headers_) {
    if (name == lower_name) return value;
  }
  return std::nullopt;
}

void SseClient::Close() {
  if (conn_.connected()) ::shutdown(conn_.fd(), SHUT_RDWR);
}

bool SseClient::Read(std::chrono::milliseconds timeout) {
  if (!conn_.connected()) return false;
  pollfd p{conn_.fd(), POLLIN, 0};
  const int ready = ::poll(&p, 1, static_cast<int>(timeout.count()));
  if (ready <= 0) return false;
  char buf[16384];
  const ssize_t n = ::recv(conn_.fd(), buf, sizeof buf, 0);
  if (n <= 0) {
    if (!chunked_) ended_ = true;  // a close-delimited body ends here
    return false;
  }
  wire_.append(buf, static_cast<size_t>(n));
  return true;
}

void SseClient::Decode() {
  if (!chunked_) {
    decoded_ += wire_;
    wire_.clear();
    return;
  }
  for (;;) {
    const size_t line_end = wire_.find("\r\n");
    if (line_end == std::string::npos) return;
    const size_t size = std::stoul(wire_.substr(0, line_end), nullptr, 16);
    if (wire_.size() < line_end + 2 + size + 2) return;
    if (size == 0) {
      ended_ = true;
      wire_.clear();
      return;
    }
    decoded_.append(wire_, line_end + 2, size);
    wire_.erase(0, line_end + 2 + size + 2);
  }
}

bool SseClient::WaitForRaw(const std::string& needle, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (decoded_.find(needle) == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (ended_ || left.count() <= 0 || !Read(left)) return decoded_.find(needle) != std::string::npos;
    Decode();
  }
  return true;
}

std::optional<SseEvent> SseClient::Next(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const size_t end = decoded_.find("\n\n", parsed_);
    if (end != std::string::npos) {
      const std::string block = decoded_.substr(parsed_, end - parsed_);
      parsed_ = end + 2;
      SseEvent event;
      bool any = false;
      size_t pos = 0;
      while (pos <= block.size()) {
        size_t next = block.find('\n', pos);
        if (next == std::string::npos) next = block.size();
        const std::string line = block.substr(pos, next - pos);
        pos = next + 1;
        if (line.empty() || line[0] == ':') continue;
        const size_t colon = line.find(':');
        const std::string field = line.substr(0, colon);
        std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
        if (!value.empty() && value[0] == ' ') value.erase(0, 1);
        if (field == "event") {
          event.event = value;
          any = true;
        } else if (field == "data") {
          if (!event.data.empty()) event.data += '\n';
          event.data += value;
          any = true;
        }
      }
      if (any) return event;
      continue;  // a comment or retry-only block
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (ended_ || left.count() <= 0 || !Read(left)) return std::nullopt;
    Decode();
  }
}

}  // namespace hbf::test
