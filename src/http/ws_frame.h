// WebSocket (RFC 6455) framing: the opening handshake's checks and accept
// key, an incremental parser for what a client sends, and frame encoding for
// what the server sends. No I/O here: the loop feeds bytes and writes what
// this returns.
//
// Why not wslay: bookworm's libwslay-dev ships only a shared library (HBF
// links statically) and its source package is not reachable through the apt
// set-up this project may use, so the framing - which is small and fully
// specified - is written here and covered by unit tests (tests/unit/
// ws_frame_test.cpp) and the fuzz target list of #19.
//
// Thread safety: a WsFrameParser belongs to one connection, used by its loop.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "http/http_types.h"

namespace hbf {

enum class WsOpcode : uint8_t {
  kContinuation = 0x0,
  kText = 0x1,
  kBinary = 0x2,
  kClose = 0x8,
  kPing = 0x9,
  kPong = 0xA,
};

// Close codes HBF sends (RFC 6455 §7.4.1).
namespace ws_close {
constexpr int kNormal = 1000;
constexpr int kGoingAway = 1001;
constexpr int kProtocolError = 1002;
constexpr int kUnsupportedData = 1003;
constexpr int kNoStatus = 1005;   // never on the wire: "the close frame had no code"
constexpr int kAbnormal = 1006;   // never on the wire: "the connection dropped"
constexpr int kInvalidPayload = 1007;
constexpr int kPolicyViolation = 1008;
constexpr int kTooBig = 1009;
constexpr int kInternalError = 1011;
constexpr int kServiceRestart = 1012;
constexpr int kTryAgainLater = 1013;
}  // namespace ws_close

// The client's opening handshake, checked (RFC 6455 §4.2.1).
struct WsHandshake {
  enum class Verdict {
    kNotWebSocket,  // no `Upgrade: websocket`: an ordinary request
    kValid,
    kBadRequest,    // says websocket but breaks a rule: 400
    kBadVersion,    // Sec-WebSocket-Version is not 13: 426 with `Sec-WebSocket-Version: 13`
  };
  Verdict verdict = Verdict::kNotWebSocket;
  std::string key;      // Sec-WebSocket-Key (valid: base64 of 16 bytes)
  std::string problem;  // for kBadRequest, in words
};
WsHandshake CheckWsHandshake(const HttpRequest& request);

// Sec-WebSocket-Accept for a client key: base64(SHA-1(key + GUID)).
std::string WsAcceptKey(std::string_view client_key);

// One server frame (never masked, never fragmented).
std::string EncodeWsFrame(WsOpcode opcode, std::string_view payload);
// A close frame with `code` and a reason (cut to fit a control frame).
std::string EncodeWsClose(int code, std::string_view reason);

// Whether `code` may appear in a close frame (RFC 6455 §7.4).
bool IsValidWsCloseCode(int code);

// Parses client frames into messages. Feed() consumes what it can and
// returns one event at a time; call it again with the rest.
class WsFrameParser {
 public:
  enum class Event {
    kNeedMore,  // every byte given was consumed
    kMessage,   // a complete text or binary message: TakeMessage()
    kPing,      // control_payload() is the ping's payload (answer with a pong)
    kPong,
    kClose,     // close_code()/close_reason(); nothing more may be fed
    kError,     // error_code() is the close code to send; then close
  };

  explicit WsFrameParser(size_t max_message_bytes) : max_message_bytes_(max_message_bytes) {}

  Event Feed(const char* data, size_t size, size_t& consumed);

  std::string TakeMessage() { return std::move(message_); }
  bool message_is_binary() const { return message_binary_; }
  const std::string& control_payload() const { return control_; }
  int close_code() const { return close_code_; }
  const std::string& close_reason() const { return close_reason_; }
  int error_code() const { return error_code_; }
  const std::string& error_message() const { return error_message_; }
  // Bytes of the message being assembled (for memory accounting).
  size_t pending_bytes() const { return message_.size() + payload_.size(); }

 private:
  Event Fail(int code, std::string message);
  Event FinishFrame();

  const size_t max_message_bytes_;
  // The frame being read.
  uint8_t header_[14] = {};
  size_t header_have_ = 0;
  size_t header_need_ = 2;
  bool fin_ = false;
  WsOpcode opcode_ = WsOpcode::kContinuation;
  uint64_t payload_len_ = 0;
  uint8_t mask_[4] = {};
  std::string payload_;  // unmasked so far
  // The message being assembled across continuation frames.
  bool in_message_ = false;
  bool message_binary_ = false;
  std::string message_;
  std::string control_;
  int close_code_ = ws_close::kNoStatus;
  std::string close_reason_;
  int error_code_ = 0;
  std::string error_message_;
  bool done_ = false;
};

}  // namespace hbf
