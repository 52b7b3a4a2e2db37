// Test support: a small blocking WebSocket client over loopback (RFC 6455,
// client side: masked frames), for black-box tests of hbf's sockets.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "support/http_client.h"

namespace hbf::test {

struct WsFrame {
  int opcode = -1;  // 1 text, 2 binary, 8 close, 9 ping, 10 pong; -1: nothing (timeout / EOF)
  std::string payload;
  bool fin = true;
  int close_code() const;  // for a close frame: its code, 1005 when it has none
};

class WsClient {
 public:
  // Opens a TCP connection and sends the upgrade for `path` on `host`.
  // reply() is the server's answer (101 when accepted).
  WsClient(uint16_t port, const std::string& host, const std::string& path,
           std::vector<std::pair<std::string, std::string>> headers = {},
           std::chrono::milliseconds timeout = std::chrono::seconds(10));

  bool open() const { return reply_.status == 101; }
  const HttpReply& reply() const { return reply_; }

  bool SendText(const std::string& text) { return SendFrame(0x1, text); }
  bool SendBinary(const std::string& bytes) { return SendFrame(0x2, bytes); }
  bool SendClose(int code, const std::string& reason = {});
  // One frame (FIN set unless `fin` is false), masked.
  bool SendFrame(int opcode, const std::string& payload, bool fin = true);
  // Raw bytes, for malformed frames.
  bool SendRaw(const std::string& bytes) { return conn_.Send(bytes); }

  // The next frame (pings are answered and skipped unless `return_pings`).
  WsFrame Receive(bool return_pings = false);
  // The next text/binary message's payload, or nullopt (close, timeout).
  std::optional<std::string> ReceiveMessage();
  // Whether the server closed the TCP connection (reads to EOF or timeout).
  bool WaitClosed();

 private:
  RawConnection conn_;
  HttpReply reply_;
  std::string pending_;  // bytes after the 101's head
};

}  // namespace hbf::test
