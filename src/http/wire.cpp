#include "http/wire.h"

#include <array>
#include <cstring>
#include <ctime>

namespace hbf {

std::string_view HttpDate() {
  thread_local time_t cached_second = 0;
  thread_local char cached[64] = {0};
  thread_local size_t cached_len = 0;
  time_t now = time(nullptr);
  if (now != cached_second) {
    std::tm tm{};
    gmtime_r(&now, &tm);
    cached_len = std::strftime(cached, sizeof cached, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    cached_second = now;
  }
  return std::string_view(cached, cached_len);
}

bool HeaderHasToken(std::string_view v, std::string_view token) {
  size_t pos = 0;
  while (pos <= v.size()) {
    size_t comma = v.find(',', pos);
    std::string_view item = v.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (EqualsIgnoreCase(item, token)) return true;
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return false;
}

namespace {

// Headers the server writes itself (by their length first: this runs for
// every header of every response).
bool ServerOwned(std::string_view name) {
  switch (name.size()) {
    case 4: return EqualsIgnoreCase(name, "date");
    case 7: return EqualsIgnoreCase(name, "upgrade");
    case 10: return EqualsIgnoreCase(name, "connection") || EqualsIgnoreCase(name, "keep-alive");
    case 14: return EqualsIgnoreCase(name, "content-length");
    case 17: return EqualsIgnoreCase(name, "transfer-encoding");
    default: return false;
  }
}

// RFC 9110's tchar, as a table.
constexpr std::array<bool, 256> kTokenChar = [] {
  std::array<bool, 256> t{};
  for (int c = 33; c < 127; ++c) t[static_cast<size_t>(c)] = true;
  for (char c : std::string_view("()<>@,;:\\\"/[]?={}")) t[static_cast<unsigned char>(c)] = false;
  return t;
}();

bool IsToken(std::string_view name) {
  if (name.empty()) return false;
  for (char ch : name) {
    if (!kTokenChar[static_cast<unsigned char>(ch)]) return false;
  }
  return true;
}

// Whether a header value would end its line early (a response splitting
// attempt): two memchr scans, where find_first_of("\r\n") searched the
// two-byte set once per byte of the value.
bool HasLineBreak(std::string_view value) {
  return std::memchr(value.data(), '\r', value.size()) != nullptr ||
         std::memchr(value.data(), '\n', value.size()) != nullptr;
}

void AppendNumber(std::string& out, uint64_t n) {
  char buf[24];
  char* end = buf + sizeof buf;
  char* p = end;
  do {
    *--p = static_cast<char>('0' + n % 10);
    n /= 10;
  } while (n != 0);
  out.append(p, static_cast<size_t>(end - p));
}

}  // namespace

bool AppendResponseHead(std::string& out, const HttpResponse& response, const ResponseFraming& framing) {
  if (response.status < 200 || response.status > 599) {
    HttpResponse replacement =
        HttpResponse::ErrorBody(500, "internal_error", "the handler answered with an invalid status");
    return AppendResponseHead(out, replacement, framing);
  }
  const int status = response.status;
  const bool bodyless_status = status == 204 || status == 304;
  out += "HTTP/1.1 ";
  AppendNumber(out, static_cast<uint64_t>(status));
  out += ' ';
  out += StatusReason(status);
  out += "\r\n";
  for (const auto& [name, value] : response.headers) {
    if (!IsToken(name) || HasLineBreak(value) || ServerOwned(name)) continue;
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  if (framing.streamed) {
    if (framing.chunked && !bodyless_status) out += "Transfer-Encoding: chunked\r\n";
  } else if (!bodyless_status) {
    out += "Content-Length: ";
    AppendNumber(out, response.body.size());
    out += "\r\n";
  }
  out += "Date: ";
  out += HttpDate();
  out += "\r\n";
  if (framing.close) {
    out += "Connection: close\r\n";
  } else if (framing.keep_alive_header) {
    out += "Connection: keep-alive\r\n";
  }
  out += "\r\n";
  return !framing.head_request && !bodyless_status;
}

void AppendSwitchingProtocolsHead(std::string& out, const HttpResponse& response, std::string_view accept_key) {
  out += "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ";
  out += accept_key;
  out += "\r\n";
  for (const auto& [name, value] : response.headers) {
    if (!IsToken(name) || HasLineBreak(value) || ServerOwned(name) ||
        EqualsIgnoreCase(name, "sec-websocket-accept") || EqualsIgnoreCase(name, "content-type") ||
        EqualsIgnoreCase(name, "content-encoding") || EqualsIgnoreCase(name, "etag")) {
      continue;
    }
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  out += "Date: ";
  out += HttpDate();
  out += "\r\n\r\n";
}

void AppendChunk(std::string& out, std::string_view data) {
  static constexpr char kHex[] = "0123456789abcdef";
  char buf[17];
  char* end = buf + sizeof buf;
  char* p = end;
  size_t n = data.size();
  do {
    *--p = kHex[n & 15];
    n >>= 4;
  } while (n != 0);
  out.append(p, static_cast<size_t>(end - p));
  out += "\r\n";
  out += data;
  out += "\r\n";  // after the data, or the empty trailer section of the last chunk
}

std::string SerializeResponse(const HttpResponse& response, const ResponseFraming& framing) {
  std::string out;
  out.reserve(256 + response.body.size());
  if (AppendResponseHead(out, response, framing)) out += response.body;
  return out;
}

}  // namespace hbf
