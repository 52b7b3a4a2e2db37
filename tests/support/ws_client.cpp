#include "support/ws_client.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <random>

namespace hbf::test {

int WsFrame::close_code() const {
  if (payload.size() < 2) return 1005;
  return (static_cast<uint8_t>(payload[0]) << 8) | static_cast<uint8_t>(payload[1]);
}

WsClient::WsClient(uint16_t port, const std::string& host, const std::string& path,
                   std::vector<std::pair<std::string, std::string>> headers, std::chrono::milliseconds timeout)
    : conn_(port, timeout) {
  std::string req = "GET " + path + " HTTP/1.1\r\nHost: " + host +
                    "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
  for (const auto& [name, value] : headers) req += name + ": " + value + "\r\n";
  req += "\r\n";
  if (!conn_.Send(req)) return;
  // Read the head ourselves: RawConnection skips 1xx answers, and frames may
  // follow the 101 in the same segment.
  auto fill = [&] {
    char buf[65536];
    pollfd p{conn_.fd(), POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return false;
    ssize_t got = ::recv(conn_.fd(), buf, sizeof buf, 0);
    if (got <= 0) return false;
    pending_.append(buf, static_cast<size_t>(got));
    return true;
  };
  size_t end;
  while ((end = pending_.find("\r\n\r\n")) == std::string::npos) {
    if (!fill()) return;
  }
  const std::string head = pending_.substr(0, end);
  pending_.erase(0, end + 4);
  if (head.size() < 12 || head.rfind("HTTP/1.1 ", 0) != 0) return;
  reply_.status = std::atoi(head.c_str() + 9);
  size_t pos = head.find("\r\n");
  while (pos != std::string::npos && pos + 2 < head.size()) {
    pos += 2;
    size_t next = head.find("\r\n", pos);
    std::string line = head.substr(pos, next == std::string::npos ? std::string::npos : next - pos);
    size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      reply_.headers.emplace_back(name, value);
    }
    pos = next;
  }
  if (reply_.status != 101) {
    size_t length = 0;
    if (auto cl = reply_.header("content-length")) length = std::strtoull(cl->c_str(), nullptr, 10);
    while (pending_.size() < length) {
      if (!fill()) return;
    }
    reply_.body = pending_.substr(0, length);
    pending_.erase(0, length);
  }
  reply_.complete = true;
}

bool WsClient::SendFrame(int opcode, const std::string& payload, bool fin) {
  std::string out;
  out.push_back(static_cast<char>((fin ? 0x80 : 0) | (opcode & 0x0F)));
  const uint64_t n = payload.size();
  if (n < 126) {
    out.push_back(static_cast<char>(0x80 | n));
  } else if (n <= 0xFFFF) {
    out.push_back(static_cast<char>(0x80 | 126));
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(n & 0xFF));
  } else {
    out.push_back(static_cast<char>(0x80 | 127));
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((n >> shift) & 0xFF));
  }
  static thread_local std::mt19937 rng(12345);
  uint8_t mask[4];
  for (uint8_t& m : mask) m = static_cast<uint8_t>(rng());
  out.append(reinterpret_cast<const char*>(mask), 4);
  for (size_t i = 0; i < payload.size(); ++i) out.push_back(static_cast<char>(payload[i] ^ mask[i & 3]));
  return conn_.Send(out);
}

bool WsClient::SendClose(int code, const std::string& reason) {
  std::string payload;
  payload.push_back(static_cast<char>((code >> 8) & 0xFF));
  payload.push_back(static_cast<char>(code & 0xFF));
  payload += reason;
  return SendFrame(0x8, payload);
}

WsFrame WsClient::Receive(bool return_pings) {
  for (;;) {
    // Header: 2 bytes, then the extended length. Server frames are unmasked.
    auto need = [&](size_t n) {
      while (pending_.size() < n) {
        char buf[65536];
        pollfd p{conn_.fd(), POLLIN, 0};
        if (::poll(&p, 1, 10000) <= 0) return false;
        ssize_t got = ::recv(conn_.fd(), buf, sizeof buf, 0);
        if (got <= 0) return false;
        pending_.append(buf, static_cast<size_t>(got));
      }
      return true;
    };
    WsFrame f;
    if (!need(2)) return f;
    const auto b0 = static_cast<uint8_t>(pending_[0]);
    const auto b1 = static_cast<uint8_t>(pending_[1]);
    size_t header = 2;
    uint64_t len = b1 & 0x7F;
    if (len == 126) {
      if (!need(4)) return f;
      len = (uint64_t{static_cast<uint8_t>(pending_[2])} << 8) | static_cast<uint8_t>(pending_[3]);
      header = 4;
    } else if (len == 127) {
      if (!need(10)) return f;
      len = 0;
      for (int i = 0; i < 8; ++i) len = (len << 8) | static_cast<uint8_t>(pending_[2 + static_cast<size_t>(i)]);
      header = 10;
    }
    if (!need(header + len)) return f;
    f.fin = (b0 & 0x80) != 0;
    f.opcode = b0 & 0x0F;
    f.payload = pending_.substr(header, len);
    pending_.erase(0, header + len);
    if (f.opcode == 0x9 && !return_pings) {
      SendFrame(0xA, f.payload);
      continue;
    }
    return f;
  }
}

std::optional<std::string> WsClient::ReceiveMessage() {
  for (;;) {
    WsFrame f = Receive();
    if (f.opcode == 1 || f.opcode == 2) return f.payload;
    if (f.opcode == 0xA) continue;
    return std::nullopt;
  }
}

bool WsClient::WaitClosed() {
  for (int i = 0; i < 100; ++i) {
    pollfd p{conn_.fd(), POLLIN, 0};
    if (::poll(&p, 1, 10000) <= 0) return false;
    char buf[4096];
    ssize_t got = ::recv(conn_.fd(), buf, sizeof buf, 0);
    if (got == 0) return true;
    if (got < 0) return errno == ECONNRESET;
  }
  return false;
}

}  // namespace hbf::test
