// RFC 6455 framing: the handshake checks, the accept key, the parser's rules
// (masking, fragmentation, control frames, limits, UTF-8) and encoding.
#include "http/ws_frame.h"

#include <gtest/gtest.h>

#include <string>

namespace hbf {
namespace {

// A client frame: masked with a fixed key.
std::string ClientFrame(uint8_t first_byte, const std::string& payload, bool masked = true) {
  std::string out;
  out.push_back(static_cast<char>(first_byte));
  const uint8_t mask_bit = masked ? 0x80 : 0;
  if (payload.size() < 126) {
    out.push_back(static_cast<char>(mask_bit | payload.size()));
  } else if (payload.size() <= 0xFFFF) {
    out.push_back(static_cast<char>(mask_bit | 126));
    out.push_back(static_cast<char>(payload.size() >> 8));
    out.push_back(static_cast<char>(payload.size() & 0xFF));
  } else {
    out.push_back(static_cast<char>(mask_bit | 127));
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((payload.size() >> shift) & 0xFF));
  }
  const char key[4] = {0x12, 0x34, 0x56, 0x78};
  if (masked) out.append(key, 4);
  for (size_t i = 0; i < payload.size(); ++i) out.push_back(masked ? static_cast<char>(payload[i] ^ key[i & 3]) : payload[i]);
  return out;
}

// Feeds all of `bytes`, one byte at a time when `trickle`; returns the events.
std::vector<WsFrameParser::Event> FeedAll(WsFrameParser& p, const std::string& bytes, bool trickle = false) {
  std::vector<WsFrameParser::Event> events;
  size_t at = 0;
  while (at < bytes.size()) {
    const size_t chunk = trickle ? 1 : bytes.size() - at;
    size_t used = 0;
    WsFrameParser::Event e = p.Feed(bytes.data() + at, chunk, used);
    at += used;
    if (e != WsFrameParser::Event::kNeedMore) events.push_back(e);
    if (e == WsFrameParser::Event::kError || e == WsFrameParser::Event::kClose) break;
    if (used == 0 && e == WsFrameParser::Event::kNeedMore) break;
  }
  return events;
}

HttpRequest Upgrade() {
  HttpRequest r;
  r.method = "GET";
  r.http_version = "1.1";
  r.headers = {{"upgrade", "websocket"}, {"connection", "keep-alive, Upgrade"},
               {"sec-websocket-version", "13"}, {"sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="}};
  return r;
}

TEST(WsHandshake, AcceptsAValidUpgradeAndComputesTheRfcAcceptKey) {
  WsHandshake h = CheckWsHandshake(Upgrade());
  EXPECT_EQ(h.verdict, WsHandshake::Verdict::kValid);
  EXPECT_EQ(WsAcceptKey(h.key), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");  // RFC 6455 §1.3
}

TEST(WsHandshake, RefusesBrokenUpgrades) {
  HttpRequest plain;
  plain.method = "GET";
  EXPECT_EQ(CheckWsHandshake(plain).verdict, WsHandshake::Verdict::kNotWebSocket);
  HttpRequest post = Upgrade();
  post.method = "POST";
  EXPECT_EQ(CheckWsHandshake(post).verdict, WsHandshake::Verdict::kBadRequest);
  HttpRequest old_version = Upgrade();
  old_version.headers[2].second = "8";
  EXPECT_EQ(CheckWsHandshake(old_version).verdict, WsHandshake::Verdict::kBadVersion);
  HttpRequest short_key = Upgrade();
  short_key.headers[3].second = "c2hvcnQ=";
  EXPECT_EQ(CheckWsHandshake(short_key).verdict, WsHandshake::Verdict::kBadRequest);
  HttpRequest no_connection = Upgrade();
  no_connection.headers[1].second = "keep-alive";
  EXPECT_EQ(CheckWsHandshake(no_connection).verdict, WsHandshake::Verdict::kBadRequest);
}

TEST(WsFrameParser, ParsesMaskedMessagesWhateverTheChunking) {
  for (bool trickle : {false, true}) {
    WsFrameParser p(1 << 20);
    const std::string big(70000, 'z');  // 64-bit length form
    std::string wire = ClientFrame(0x81, "hello") + ClientFrame(0x82, std::string(300, '\x01')) + ClientFrame(0x81, big);
    size_t at = 0;
    std::vector<std::string> messages;
    while (at < wire.size()) {
      size_t used = 0;
      auto e = p.Feed(wire.data() + at, trickle ? 1 : wire.size() - at, used);
      at += used;
      if (e == WsFrameParser::Event::kMessage) messages.push_back(p.TakeMessage());
      ASSERT_NE(e, WsFrameParser::Event::kError) << p.error_message();
    }
    ASSERT_EQ(messages.size(), 3u);
    EXPECT_EQ(messages[0], "hello");
    EXPECT_EQ(messages[1], std::string(300, '\x01'));
    EXPECT_EQ(messages[2], big);
  }
}

TEST(WsFrameParser, JoinsFragmentsAndAllowsControlFramesBetweenThem) {
  WsFrameParser p(1024);
  std::string wire = ClientFrame(0x01, "par") + ClientFrame(0x89, "ping!") + ClientFrame(0x80, "ts");
  auto events = FeedAll(p, wire);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0], WsFrameParser::Event::kPing);
  EXPECT_EQ(events[1], WsFrameParser::Event::kMessage);
  EXPECT_EQ(p.TakeMessage(), "parts");
}

TEST(WsFrameParser, RefusesWhatTheRfcForbids) {
  struct Case {
    std::string wire;
    int code;
  } cases[] = {
      {ClientFrame(0x81, "x", /*masked=*/false), 1002},       // unmasked client frame
      {ClientFrame(0xC1, "x"), 1002},                         // RSV1 without an extension
      {ClientFrame(0x83, "x"), 1002},                         // reserved opcode
      {ClientFrame(0x80, "x"), 1002},                         // continuation with nothing to continue
      {ClientFrame(0x01, "a") + ClientFrame(0x81, "b"), 1002},  // new message inside a fragmented one
      {ClientFrame(0x09, "x"), 1002},                         // fragmented control frame
      {ClientFrame(0x89, std::string(126, 'p')), 1002},       // control frame over 125 bytes
      {ClientFrame(0x81, std::string("\xC3\x28", 2)), 1007},  // text that is not UTF-8
      {ClientFrame(0x81, std::string("\xED\xA0\x80", 3)), 1007},  // a UTF-16 surrogate
      {ClientFrame(0x81, std::string(2000, 'a')), 1009},      // over the limit
      {ClientFrame(0x01, std::string(600, 'a')) + ClientFrame(0x80, std::string(600, 'a')), 1009},
      {ClientFrame(0x88, std::string("\x03", 1)), 1002},      // one-byte close payload
      {ClientFrame(0x88, std::string("\x03\xED", 2)), 1002},  // close code 1005 may not be sent
  };
  for (const Case& c : cases) {
    WsFrameParser p(1024);
    auto events = FeedAll(p, c.wire);
    ASSERT_FALSE(events.empty());
    EXPECT_EQ(events.back(), WsFrameParser::Event::kError);
    EXPECT_EQ(p.error_code(), c.code) << p.error_message();
  }
}

TEST(WsFrameParser, CloseFramesCarryCodeAndReason) {
  WsFrameParser p(1024);
  auto events = FeedAll(p, ClientFrame(0x88, std::string("\x0F\xA0", 2) + "done"));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0], WsFrameParser::Event::kClose);
  EXPECT_EQ(p.close_code(), 4000);
  EXPECT_EQ(p.close_reason(), "done");
  WsFrameParser empty(1024);
  events = FeedAll(empty, ClientFrame(0x88, ""));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(empty.close_code(), 1005);
}

TEST(WsEncoding, FramesAreUnmaskedWithTheRightLengthForm) {
  EXPECT_EQ(EncodeWsFrame(WsOpcode::kText, "hi"), std::string("\x81\x02hi", 4));
  std::string medium = EncodeWsFrame(WsOpcode::kBinary, std::string(300, 'a'));
  EXPECT_EQ(medium.substr(0, 4), std::string("\x82\x7E\x01\x2C", 4));
  std::string large = EncodeWsFrame(WsOpcode::kBinary, std::string(70000, 'a'));
  EXPECT_EQ(large.substr(0, 10), std::string("\x82\x7F\x00\x00\x00\x00\x00\x01\x11\x70", 10));
  // A close reason is cut to fit a control frame, on a character boundary.
  std::string reason;
  for (int i = 0; i < 80; ++i) reason += "\xC3\xA9";  // 160 bytes of "é"
  std::string close = EncodeWsClose(1000, reason);
  ASSERT_LE(close.size(), 127u);
  EXPECT_EQ(static_cast<uint8_t>(close[1]) % 2, 0) << "cut inside a character";
  EXPECT_TRUE(IsValidUtf8(close.substr(4)));
}

TEST(WsCloseCodes, OnlyCodesAllowedOnTheWire) {
  for (int ok : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 3000, 4999}) {
    EXPECT_TRUE(IsValidWsCloseCode(ok)) << ok;
  }
  for (int bad : {0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000}) EXPECT_FALSE(IsValidWsCloseCode(bad)) << bad;
}

}  // namespace
}  // namespace hbf
