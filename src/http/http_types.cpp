#include "http/http_types.h"


#include <cctype>
#include <vector>

namespace hbf {

const std::string* HttpRequest::header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return &value;
  }
  return nullptr;
}

HttpResponse& HttpResponse::set_header(std::string name, std::string value) {
  for (auto& [n, v] : headers) {
    if (EqualsIgnoreCase(n, name)) {
      v = std::move(value);
      return *this;
    }
  }
  headers.emplace_back(std::move(name), std::move(value));
  return *this;
}

const std::string* HttpResponse::header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (EqualsIgnoreCase(n, name)) return &v;
  }
  return nullptr;
}

HttpResponse HttpResponse::JsonBody(int status, const Json& body) {
  HttpResponse r;
  r.status = status;
  r.headers.emplace_back("Content-Type", "application/json; charset=utf-8");
  r.body = body.dump();
  return r;
}

HttpResponse HttpResponse::ErrorBody(int status, std::string_view code, std::string_view message) {
  HttpResponse r;
  r.status = status;
  r.headers.emplace_back("Content-Type", "application/json; charset=utf-8");
  r.headers.emplace_back("Cache-Control", "no-store");
  r.body = "{\"error\":{\"code\":";
  AppendJsonString(r.body, code);
  r.body += ",\"message\":";
  AppendJsonString(r.body, message);
  r.body += "}}";
  return r;
}

HttpResponse HttpResponse::FromError(const Error& error) {
  return ErrorBody(error.http_status, error.code, error.message);
}

const char* StatusReason(int status) {
  switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Payload Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 417: return "Expectation Failed";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
  }
}

std::optional<std::string> CanonicalPath(std::string_view raw) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  auto unreserved = [](unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_' || c == '~';
  };
  static constexpr char kHex[] = "0123456789ABCDEF";
  // 1. Normalise escapes; split into segments as we go.
  std::vector<std::string> segments;
  std::string current;
  bool in_segment = false;
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '/') {
      if (in_segment) segments.push_back(std::move(current));
      current.clear();
      in_segment = true;
      continue;
    }
    in_segment = true;
    if (c != '%') {
      current += c;
      continue;
    }
    if (i + 2 >= raw.size()) return std::nullopt;
    int hi = hex(raw[i + 1]);
    int lo = hex(raw[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    auto byte = static_cast<unsigned char>(hi * 16 + lo);
    i += 2;
    if (byte == 0) return std::nullopt;
    if (unreserved(byte)) {
      current += static_cast<char>(byte);
    } else {
      current += '%';
      current += kHex[byte >> 4];
      current += kHex[byte & 15];
    }
  }
  if (in_segment) segments.push_back(std::move(current));
  // 2. Resolve dot segments and drop empty ones (collapsed slashes); a
  // trailing slash survives.
  const bool trailing_slash = !raw.empty() && raw.back() == '/' && !segments.empty();
  std::vector<std::string> kept;
  bool ends_in_directory = trailing_slash;
  for (size_t i = 0; i < segments.size(); ++i) {
    const std::string& s = segments[i];
    const bool last = i + 1 == segments.size();
    if (s.empty()) continue;
    if (s == ".") {
      if (last) ends_in_directory = true;
      continue;
    }
    if (s == "..") {
      if (!kept.empty()) kept.pop_back();
      if (last) ends_in_directory = true;
      continue;
    }
    kept.push_back(s);
  }
  std::string out;
  for (const auto& s : kept) {
    out += '/';
    out += s;
  }
  if (out.empty() || ends_in_directory) out += '/';
  return out;
}

bool PercentDecode(std::string_view in, std::string& out, bool plus_as_space) {
  out.clear();
  out.reserve(in.size());
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      int hi = hex(in[i + 1]);
      int lo = hex(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_as_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return true;
}

}  // namespace hbf
