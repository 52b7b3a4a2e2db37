// WebSocket framing (src/http/ws_frame.h) driven as IoLoop::FeedWs drives
// it: client bytes in chunks whose sizes come from the input, events taken
// one at a time until close or error. Then the opening handshake checks on
// headers taken from the same bytes, and a server frame of the input masked
// as a client would send it, which must parse back to the same message.
// Input: 1 byte of message limit, 8 bytes of chunk sizes, then the stream.
//
// Invariants: consumed <= offered; kNeedMore consumes everything offered;
// after kError/kClose nothing more is consumed; a message never exceeds the
// limit and a text message is valid UTF-8; a ping/pong payload is at most
// 125 bytes; a valid close code is one IsValidWsCloseCode accepts; a valid
// handshake's key is 24 characters and its accept key 28; the events are
// the same whether the stream arrives in pieces or at once.
#include <algorithm>
#include <string>
#include <string_view>

#include "core/json.h"
#include "fuzz_input.h"
#include "http/ws_frame.h"

using hbf::WsFrameParser;
using hbf::fuzz::Check;
using Event = WsFrameParser::Event;

namespace {

// Feeds `stream` in pieces of chunks->Next() bytes (all at once when
// `chunks` is null); returns what came out, event by event.
std::string FeedStream(size_t limit, hbf::fuzz::ChunkSizes* chunks, std::string_view stream) {
  std::string transcript;
  WsFrameParser parser(limit);
  bool ended = false;
  size_t next = 0;
  while (next < stream.size()) {
    const size_t n = chunks != nullptr ? std::min(chunks->Next(), stream.size() - next) : stream.size();
    const char* data = stream.data() + next;
    size_t size = n;
    next += n;
    while (size > 0) {
      size_t used = 12345;
      const Event event = parser.Feed(data, size, used);
      Check(used <= size, "consumed more than was offered");
      if (ended) {
        Check(used == 0 && event == Event::kNeedMore, "bytes consumed after kClose/kError");
        return transcript;
      }
      data += used;
      size -= used;
      Check(parser.pending_bytes() <= limit + 125, "more buffered than the limit allows");
      switch (event) {
        case Event::kNeedMore:
          Check(size == 0, "kNeedMore left bytes unconsumed");
          break;
        case Event::kMessage: {
          const bool binary = parser.message_is_binary();
          const std::string message = parser.TakeMessage();
          Check(message.size() <= limit, "a message over the limit");
          Check(binary || hbf::IsValidUtf8(message), "a text message that is not UTF-8");
          transcript += (binary ? "binary " : "text ") + message + '\n';
          break;
        }
        case Event::kPing:
        case Event::kPong:
          Check(parser.control_payload().size() <= 125, "a control payload over 125 bytes");
          transcript += (event == Event::kPing ? "ping " : "pong ") + parser.control_payload() + '\n';
          break;
        case Event::kClose:
          Check(parser.close_code() == hbf::ws_close::kNoStatus || hbf::IsValidWsCloseCode(parser.close_code()),
                "an invalid close code accepted");
          Check(hbf::IsValidUtf8(parser.close_reason()), "a close reason that is not UTF-8");
          transcript += "close " + std::to_string(parser.close_code()) + ' ' + parser.close_reason() + '\n';
          ended = true;
          break;
        case Event::kError:
          Check(hbf::IsValidWsCloseCode(parser.error_code()), "an error code that cannot be sent");
          transcript += "error " + std::to_string(parser.error_code()) + '\n';
          ended = true;
          break;
      }
      if (ended && size == 0) {
        // Offer one more byte: it must be refused.
        size_t after = 12345;
        Check(parser.Feed("\x81", 1, after) == Event::kNeedMore && after == 0, "bytes consumed after the end");
        return transcript;
      }
    }
  }
  return transcript;
}

// The server's frame for `payload`, masked with a zero key as a client
// would send it (mask bit set, 4 key bytes after the length).
std::string AsClientFrame(hbf::WsOpcode opcode, std::string_view payload) {
  std::string frame = hbf::EncodeWsFrame(opcode, payload);
  const uint8_t len7 = static_cast<uint8_t>(frame[1]) & 0x7F;
  const size_t header = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0);
  frame[1] = static_cast<char>(static_cast<uint8_t>(frame[1]) | 0x80);
  frame.insert(header, 4, '\0');
  return frame;
}

void CheckHandshake(std::string_view text) {
  hbf::HttpRequest request;
  request.method = "GET";
  request.http_version = "1.1";
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string name(line.substr(0, colon));
    std::transform(name.begin(), name.end(), name.begin(), [](char c) {
      return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    });
    request.headers.emplace_back(std::move(name), std::string(line.substr(colon + 1)));
  }
  const hbf::WsHandshake h = hbf::CheckWsHandshake(request);
  if (h.verdict == hbf::WsHandshake::Verdict::kValid) {
    Check(h.key.size() == 24, "a valid handshake key is not 24 characters");
    Check(hbf::WsAcceptKey(h.key).size() == 28, "an accept key is not 28 characters");
  } else if (h.verdict == hbf::WsHandshake::Verdict::kBadRequest) {
    Check(!h.problem.empty(), "a refused handshake without a reason");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  hbf::fuzz::FuzzInput in(data, size);
  const size_t limit = size_t{in.Byte()} * 4;  // 0 .. 1020 bytes
  hbf::fuzz::ChunkSizes chunks(in);
  const std::string_view stream = in.Rest();
  const std::string chunked = FeedStream(limit, &chunks, stream);
  const std::string whole = FeedStream(limit, nullptr, stream);
  Check(chunked == whole, "the messages depend on how the stream was split");
  CheckHandshake(stream);

  // What the server encodes, a client could send back unchanged.
  const bool text = hbf::IsValidUtf8(stream);
  const std::string frame = AsClientFrame(text ? hbf::WsOpcode::kText : hbf::WsOpcode::kBinary, stream);
  WsFrameParser parser(stream.size());
  size_t used = 0;
  Check(parser.Feed(frame.data(), frame.size(), used) == Event::kMessage, "an encoded frame does not parse");
  Check(used == frame.size() && parser.TakeMessage() == stream, "an encoded frame parses to another message");
  // A close whose reason is cut to fit must still be a close a client
  // accepts: its reason stays UTF-8 when it was.
  const std::string close = hbf::EncodeWsClose(hbf::ws_close::kNormal, stream);
  Check(close.size() <= 2 + 125, "a close frame over 125 bytes of payload");
  std::string client_close = close;
  client_close[1] = static_cast<char>(static_cast<uint8_t>(client_close[1]) | 0x80);
  client_close.insert(2, 4, '\0');
  WsFrameParser closer(0);
  const Event closed = closer.Feed(client_close.data(), client_close.size(), used);
  Check(!text || closed == Event::kClose, "a close frame HBF encodes is refused");
  return 0;
}
