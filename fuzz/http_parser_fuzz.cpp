// RequestParser (src/http/request_parser.h) driven as IoLoop::Parse drives
// it: bytes arrive in chunks (sizes chosen by the input), unconsumed bytes
// are offered again with the next chunk, pipelined requests are taken one by
// one. Input: 3 bytes of limits, 8 bytes of chunk sizes, then the stream.
//
// Invariants: consumed <= offered; kNeedMore consumes everything offered;
// the parser never stalls (more than 3 events in a row without consuming a
// byte); a request's body stays within max_body_bytes; its path is
// canonical; after kError the parser accepts nothing more and its failure is
// a 4xx/5xx. And where TCP splits the stream changes nothing: the requests
// (and whether it fails) are the same as when it all arrives at once.
#include <algorithm>
#include <string>

#include "fuzz_input.h"
#include "http/request_parser.h"

using hbf::RequestParser;
using hbf::fuzz::Check;
using Event = RequestParser::Event;

namespace {

// What the parser made of a stream, in order: each request's parts, then the
// failure's status and code if it failed.
std::string Describe(const hbf::HttpRequest& r) {
  std::string out = r.method + ' ' + r.path + '?' + r.query + " HTTP/" + r.http_version + '\n';
  for (const auto& [name, value] : r.headers) out += name + ": " + value + '\n';
  out += "body " + std::to_string(r.body.size()) + ": " + r.body + '\n';
  return out;
}

// Feeds `stream` in pieces of chunks->Next() bytes (all at once when
// `chunks` is null), as IoLoop::Parse does, checking the invariants above.
std::string Parse(const hbf::ParserLimits& limits, hbf::fuzz::ChunkSizes* chunks, std::string_view stream) {
  std::string transcript;
  RequestParser parser(limits);
  std::string pending;  // received but not yet consumed, as IoLoop keeps it
  size_t next = 0;
  int stalls = 0;
  while (next < stream.size()) {  // when nothing new arrives, the client went quiet
    const size_t n = chunks != nullptr ? std::min(chunks->Next(), stream.size() - next) : stream.size();
    pending.append(stream.substr(next, n));
    next += n;
    // Feed until the parser needs more than what is pending.
    while (!pending.empty()) {
      size_t used = 12345;
      const Event event = parser.Feed(pending.data(), pending.size(), used);
      Check(used <= pending.size(), "consumed more than was offered");
      pending.erase(0, used);
      if (used == 0) {
        Check(++stalls <= 3, "the parser makes no progress");
      } else {
        stalls = 0;
      }
      if (event == Event::kNeedMore) {
        Check(pending.empty(), "kNeedMore left bytes unconsumed");
        break;
      }
      if (event == Event::kHead) {
        Check(!parser.head().method.empty(), "kHead without a method");
        Check(parser.body_bytes() <= limits.max_body_bytes, "body over the limit at kHead");
        continue;
      }
      if (event == Event::kRequest) {
        hbf::HttpRequest request = parser.TakeRequest();
        Check(static_cast<int64_t>(request.body.size()) <= limits.max_body_bytes, "body over the limit");
        Check(!request.method.empty(), "a request without a method");
        if (request.path != "*") {
          Check(!request.path.empty() && request.path[0] == '/', "a path that is neither origin-form nor *");
          const auto canonical = hbf::CanonicalPath(request.path);
          Check(canonical && *canonical == request.path, "a request path that is not canonical");
        }
        Check(request.header("host") != nullptr || request.http_version != "1.1", "HTTP/1.1 without Host");
        transcript += Describe(request);
        stalls = 0;
        if (!parser.keep_alive() || parser.upgrade()) return transcript;  // the loop stops reading requests
        continue;
      }
      // kError
      const auto& f = parser.failure();
      Check(f.status >= 400 && f.status <= 599, "failure status is not 4xx/5xx");
      Check(!f.code.empty(), "failure without a code");
      size_t again = 99;
      Check(parser.Feed("GET / HTTP/1.1\r\n", 16, again) == Event::kError && again == 0,
            "the parser accepts bytes after kError");
      // Only that it failed: which limit or syntax rule trips first may
      // depend on the split (llhttp reports a header name's span when the
      // buffer ends, so a bad name cut by a packet boundary counts against
      // max_headers first: 431 in pieces, 400 at once). Either closes.
      return transcript + "failed\n";
    }
  }
  return transcript;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  hbf::fuzz::FuzzInput in(data, size);
  hbf::ParserLimits limits;
  limits.max_header_bytes = 64 + size_t{in.Byte()} * 16;  // 64 B .. 4 KiB
  limits.max_headers = size_t{in.Byte()} % 32 + 1;
  limits.max_body_bytes = int64_t{in.Byte()} * 8;         // 0 .. 2040 B
  hbf::fuzz::ChunkSizes chunks(in);
  const std::string_view stream = in.Rest();

  const std::string chunked = Parse(limits, &chunks, stream);
  const std::string whole = Parse(limits, nullptr, stream);
  if (chunked != whole) {
    std::fprintf(stderr, "in chunks:\n%s\nat once:\n%s\n", chunked.c_str(), whole.c_str());
    Check(false, "the result depends on how the stream was split");
  }
  return 0;
}
