#include "http/ws_frame.h"

#include <cstring>

#include "core/json.h"
#include "crypto/crypto.h"
#include "crypto/hasher.h"

namespace hbf {

namespace {

constexpr char kAcceptGuid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

// Whether a comma-separated header value lists `token` (case-insensitive).
bool ListsToken(const std::string* value, std::string_view token) {
  if (value == nullptr) return false;
  std::string_view rest = *value;
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (EqualsIgnoreCase(item, token)) return true;
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return false;
}

bool IsControl(WsOpcode op) { return (static_cast<uint8_t>(op) & 0x8) != 0; }

}  // namespace

WsHandshake CheckWsHandshake(const HttpRequest& request) {
  WsHandshake h;
  if (!ListsToken(request.header("upgrade"), "websocket")) return h;
  auto bad = [&](std::string why) {
    h.verdict = WsHandshake::Verdict::kBadRequest;
    h.problem = std::move(why);
    return h;
  };
  if (request.method != "GET") return bad("a WebSocket handshake must be a GET");
  if (request.http_version != "1.1") return bad("a WebSocket handshake needs HTTP/1.1");
  if (!ListsToken(request.header("connection"), "upgrade")) return bad("Connection must include Upgrade");
  const std::string* version = request.header("sec-websocket-version");
  if (version == nullptr || *version != "13") {
    h.verdict = WsHandshake::Verdict::kBadVersion;
    h.problem = "only WebSocket version 13 is supported";
    return h;
  }
  const std::string* key = request.header("sec-websocket-key");
  if (key == nullptr) return bad("Sec-WebSocket-Key is missing");
  std::optional<std::string> raw = crypto::Base64Decode(*key);
  if (!raw || raw->size() != 16 || key->size() != 24) return bad("Sec-WebSocket-Key must be 16 bytes in base64");
  h.verdict = WsHandshake::Verdict::kValid;
  h.key = *key;
  return h;
}

std::string WsAcceptKey(std::string_view client_key) {
  crypto::Hasher sha1 = crypto::Hasher::Hash(crypto::HashAlgorithm::kSha1);
  sha1.Update(client_key);
  sha1.Update(std::string_view(kAcceptGuid, sizeof kAcceptGuid - 1));
  return crypto::Base64Encode(sha1.Finish());
}

std::string EncodeWsFrame(WsOpcode opcode, std::string_view payload) {
  std::string out;
  out.reserve(payload.size() + 10);
  out.push_back(static_cast<char>(0x80 | static_cast<uint8_t>(opcode)));
  const uint64_t n = payload.size();
  if (n < 126) {
    out.push_back(static_cast<char>(n));
  } else if (n <= 0xFFFF) {
    out.push_back(static_cast<char>(126));
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(n & 0xFF));
  } else {
    out.push_back(static_cast<char>(127));
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((n >> shift) & 0xFF));
  }
  out.append(payload);
  return out;
}

std::string EncodeWsClose(int code, std::string_view reason) {
  std::string payload;
  if (code != ws_close::kNoStatus && code != ws_close::kAbnormal) {
    payload.push_back(static_cast<char>((code >> 8) & 0xFF));
    payload.push_back(static_cast<char>(code & 0xFF));
    // A control frame carries at most 125 bytes; cut on a character boundary.
    size_t keep = std::min<size_t>(reason.size(), 123);
    while (keep > 0 && keep < reason.size() && (static_cast<uint8_t>(reason[keep]) & 0xC0) == 0x80) --keep;
    payload.append(reason.substr(0, keep));
  }
  return EncodeWsFrame(WsOpcode::kClose, payload);
}

bool IsValidWsCloseCode(int code) {
  if (code >= 3000 && code <= 4999) return true;  // registered and private
  if (code < 1000 || code > 1014) return false;
  return code != 1004 && code != ws_close::kNoStatus && code != ws_close::kAbnormal;
}

WsFrameParser::Event WsFrameParser::Fail(int code, std::string message) {
  done_ = true;
  error_code_ = code;
  error_message_ = std::move(message);
  return Event::kError;
}

WsFrameParser::Event WsFrameParser::Feed(const char* data, size_t size, size_t& consumed) {
  consumed = 0;
  if (done_) return Event::kNeedMore;
  while (consumed < size) {
    if (header_have_ < header_need_) {
      const size_t take = std::min(header_need_ - header_have_, size - consumed);
      std::memcpy(header_ + header_have_, data + consumed, take);
      header_have_ += take;
      consumed += take;
      if (header_have_ < header_need_) return Event::kNeedMore;
      if (header_need_ == 2) {
        const uint8_t b0 = header_[0];
        const uint8_t b1 = header_[1];
        if ((b0 & 0x70) != 0) return Fail(ws_close::kProtocolError, "reserved bits set (no extension was agreed)");
        fin_ = (b0 & 0x80) != 0;
        opcode_ = static_cast<WsOpcode>(b0 & 0x0F);
        switch (opcode_) {
          case WsOpcode::kContinuation:
          case WsOpcode::kText:
          case WsOpcode::kBinary:
          case WsOpcode::kClose:
          case WsOpcode::kPing:
          case WsOpcode::kPong:
            break;
          default:
            return Fail(ws_close::kProtocolError, "unknown opcode");
        }
        if ((b1 & 0x80) == 0) return Fail(ws_close::kProtocolError, "client frames must be masked");
        const uint8_t len7 = b1 & 0x7F;
        if (IsControl(opcode_) && (!fin_ || len7 > 125)) {
          return Fail(ws_close::kProtocolError, "control frames must be whole and at most 125 bytes");
        }
        header_need_ = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + 4;
        payload_len_ = len7;
        if (header_have_ < header_need_) continue;
      }
      // The extended length (if any) and the mask are complete.
      size_t at = 2;
      if (header_need_ == 8) {
        payload_len_ = (uint64_t{header_[2]} << 8) | header_[3];
        at = 4;
      } else if (header_need_ == 14) {
        payload_len_ = 0;
        for (int k = 0; k < 8; ++k) payload_len_ = (payload_len_ << 8) | header_[2 + k];
        if (payload_len_ >> 63) return Fail(ws_close::kProtocolError, "frame length out of range");
        at = 10;
      }
      std::memcpy(mask_, header_ + at, 4);
      if (!IsControl(opcode_)) {
        if (opcode_ == WsOpcode::kContinuation && !in_message_) {
          return Fail(ws_close::kProtocolError, "continuation frame without a message");
        }
        if (opcode_ != WsOpcode::kContinuation && in_message_) {
          return Fail(ws_close::kProtocolError, "a new message began before the last one ended");
        }
        if (message_.size() + payload_len_ > max_message_bytes_) {
          return Fail(ws_close::kTooBig, "message too big");
        }
      }
      payload_.clear();
      payload_.reserve(static_cast<size_t>(payload_len_));
      if (payload_len_ == 0) {
        Event e = FinishFrame();
        if (e != Event::kNeedMore) return e;
      }
      continue;
    }
    // Payload bytes.
    const size_t want = static_cast<size_t>(payload_len_) - payload_.size();
    const size_t take = std::min(want, size - consumed);
    const size_t base = payload_.size();
    payload_.append(data + consumed, take);
    for (size_t k = 0; k < take; ++k) payload_[base + k] = static_cast<char>(payload_[base + k] ^ mask_[(base + k) & 3]);
    consumed += take;
    if (payload_.size() == payload_len_) {
      Event e = FinishFrame();
      if (e != Event::kNeedMore) return e;
    }
  }
  return Event::kNeedMore;
}

WsFrameParser::Event WsFrameParser::FinishFrame() {
  // The next frame starts with a fresh header.
  header_have_ = 0;
  header_need_ = 2;
  switch (opcode_) {
    case WsOpcode::kPing:
      control_ = std::move(payload_);
      payload_.clear();
      return Event::kPing;
    case WsOpcode::kPong:
      control_ = std::move(payload_);
      payload_.clear();
      return Event::kPong;
    case WsOpcode::kClose: {
      done_ = true;
      if (payload_.size() == 1) return Fail(ws_close::kProtocolError, "close frame with a one-byte payload");
      if (payload_.size() >= 2) {
        close_code_ = (static_cast<uint8_t>(payload_[0]) << 8) | static_cast<uint8_t>(payload_[1]);
        if (!IsValidWsCloseCode(close_code_)) return Fail(ws_close::kProtocolError, "invalid close code");
        close_reason_ = payload_.substr(2);
        if (!IsValidUtf8(close_reason_)) return Fail(ws_close::kInvalidPayload, "close reason is not UTF-8");
      }
      payload_.clear();
      return Event::kClose;
    }
    case WsOpcode::kText:
    case WsOpcode::kBinary:
      message_binary_ = opcode_ == WsOpcode::kBinary;
      [[fallthrough]];
    case WsOpcode::kContinuation:
      in_message_ = true;
      if (message_.empty()) {
        message_ = std::move(payload_);
      } else {
        message_ += payload_;
      }
      payload_.clear();
      if (!fin_) return Event::kNeedMore;
      in_message_ = false;
      if (!message_binary_ && !IsValidUtf8(message_)) return Fail(ws_close::kInvalidPayload, "text message is not UTF-8");
      return Event::kMessage;
  }
  return Event::kNeedMore;
}

}  // namespace hbf
