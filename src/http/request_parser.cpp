#include "http/request_parser.h"

#include <llhttp.h>

#include <algorithm>
#include <cctype>
#include <string_view>

namespace hbf {

struct RequestParser::LlHttp {
  llhttp_t parser;
  llhttp_settings_t settings;
};

namespace {

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && EqualsIgnoreCase(s.substr(0, prefix.size()), prefix);
}

bool HasToken(std::string_view value, std::string_view token) {
  size_t pos = 0;
  while (pos <= value.size()) {
    size_t comma = value.find(',', pos);
    std::string_view item = TrimOws(value.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos));
    if (EqualsIgnoreCase(item, token)) return true;
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return false;
}

RequestParser* Self(llhttp_t* p) { return static_cast<RequestParser*>(p->data); }

}  // namespace

// llhttp's callbacks; each returns 0, HPE_PAUSED, or -1 after Fail().
// llhttp calls them through its C frames, where no C++ exception may pass:
// each is installed through Guarded(), which turns one (an allocation
// failure while buffering a request) into a failed request instead.
struct RequestParser::Callbacks {
  static int Failed(llhttp_t* p) noexcept {
    RequestParser& s = *Self(p);
    try {
      return s.Fail(503, "server_busy", "the server could not take this request now; retry shortly");
    } catch (...) {
      s.failed_ = true;
      return -1;
    }
  }
  template <int (*F)(llhttp_t*)>
  static int Guarded(llhttp_t* p) noexcept {
    try {
      return F(p);
    } catch (...) {
      return Failed(p);
    }
  }
  template <int (*F)(llhttp_t*, const char*, size_t)>
  static int Guarded(llhttp_t* p, const char* at, size_t n) noexcept {
    try {
      return F(p, at, n);
    } catch (...) {
      return Failed(p);
    }
  }

  static int OnMessageBegin(llhttp_t* p) {
    RequestParser& s = *Self(p);
    s.request_ = HttpRequest{};
    s.url_.clear();
    s.header_bytes_ = 0;
    s.in_value_ = false;
    s.in_message_ = true;
    s.head_complete_ = false;
    s.message_complete_ = false;
    s.expects_continue_ = false;
    s.body_expected_ = false;
    s.upgrade_ = false;
    return 0;
  }

  static int CountHeaderBytes(RequestParser& s, size_t n) {
    s.header_bytes_ += n;
    if (s.header_bytes_ > s.limits_.max_header_bytes) {
      return s.Fail(431, "request_header_too_large",
                    "the request line and headers exceed " + std::to_string(s.limits_.max_header_bytes) + " bytes");
    }
    return 0;
  }

  static int OnUrl(llhttp_t* p, const char* at, size_t n) {
    RequestParser& s = *Self(p);
    if (CountHeaderBytes(s, n) != 0) return -1;
    s.url_.append(at, n);
    return 0;
  }

  static int OnHeaderField(llhttp_t* p, const char* at, size_t n) {
    RequestParser& s = *Self(p);
    if (CountHeaderBytes(s, n) != 0) return -1;
    if (s.request_.headers.empty() || s.in_value_) {
      if (s.request_.headers.size() >= s.limits_.max_headers) {
        return s.Fail(431, "request_header_too_large",
                      "more than " + std::to_string(s.limits_.max_headers) + " header fields");
      }
      s.request_.headers.emplace_back();
      s.in_value_ = false;
    }
    s.request_.headers.back().first.append(at, n);
    return 0;
  }

  static int OnHeaderValue(llhttp_t* p, const char* at, size_t n) {
    RequestParser& s = *Self(p);
    if (CountHeaderBytes(s, n) != 0) return -1;
    s.in_value_ = true;
    if (s.request_.headers.empty()) return 0;  // llhttp never does this
    s.request_.headers.back().second.append(at, n);
    return 0;
  }

  static int OnHeadersComplete(llhttp_t* p) {
    RequestParser& s = *Self(p);
    if (!s.FinishHead()) return -1;
    s.head_complete_ = true;
    // Pause so the caller can answer `Expect: 100-continue` and start its
    // body clock; a request without a body completes in the same call.
    return s.body_expected_ ? HPE_PAUSED : 0;
  }

  static int OnBody(llhttp_t* p, const char* at, size_t n) {
    RequestParser& s = *Self(p);
    if (static_cast<int64_t>(s.request_.body.size() + n) > s.limits_.max_body_bytes) {
      return s.Fail(413, "payload_too_large",
                    "request body exceeds the limit of " + std::to_string(s.limits_.max_body_bytes) + " bytes");
    }
    s.request_.body.append(at, n);
    return 0;
  }

  static int OnMessageComplete(llhttp_t* p) {
    RequestParser& s = *Self(p);
    s.upgrade_ = p->upgrade != 0;
    // An upgrade is not switched (yet): what follows is not HTTP to parse.
    s.keep_alive_ = llhttp_should_keep_alive(p) != 0 && !s.upgrade_;
    s.in_message_ = false;
    s.message_complete_ = true;
    return HPE_PAUSED;  // one request at a time
  }
};

RequestParser::RequestParser(const ParserLimits& limits) : limits_(limits), ll_(std::make_unique<LlHttp>()) {
  llhttp_settings_init(&ll_->settings);
  ll_->settings.on_message_begin = &Callbacks::Guarded<&Callbacks::OnMessageBegin>;
  ll_->settings.on_url = &Callbacks::Guarded<&Callbacks::OnUrl>;
  ll_->settings.on_header_field = &Callbacks::Guarded<&Callbacks::OnHeaderField>;
  ll_->settings.on_header_value = &Callbacks::Guarded<&Callbacks::OnHeaderValue>;
  ll_->settings.on_headers_complete = &Callbacks::Guarded<&Callbacks::OnHeadersComplete>;
  ll_->settings.on_body = &Callbacks::Guarded<&Callbacks::OnBody>;
  ll_->settings.on_message_complete = &Callbacks::Guarded<&Callbacks::OnMessageComplete>;
  llhttp_init(&ll_->parser, HTTP_REQUEST, &ll_->settings);
  ll_->parser.data = this;
}

RequestParser::~RequestParser() = default;

int RequestParser::Fail(int status, const char* code, std::string message) {
  if (!failed_) {
    failed_ = true;
    failure_ = Failure{status, code, std::move(message)};
  }
  return -1;
}

bool RequestParser::FinishHead() {
  llhttp_t* p = &ll_->parser;
  request_.method = llhttp_method_name(static_cast<llhttp_method_t>(p->method));
  request_.http_version = std::to_string(p->http_major) + "." + std::to_string(p->http_minor);
  if (p->http_major != 1) {
    Fail(505, "http_version_not_supported", "only HTTP/1.0 and HTTP/1.1 are served");
    return false;
  }

  int host_count = 0;
  for (auto& [name, value] : request_.headers) {
    for (char& c : name) c = AsciiLower(c);
    std::string_view trimmed = TrimOws(value);
    if (trimmed.size() != value.size()) value = std::string(trimmed);
    if (name == "host") ++host_count;
    if (name == "expect" && HasToken(value, "100-continue")) expects_continue_ = true;
  }
  if (host_count > 1) {
    Fail(400, "bad_request", "more than one Host header");
    return false;
  }

  // The request target (RFC 9112 §3.2).
  std::string_view target = url_;
  if (StartsWithIgnoreCase(target, "http://") || StartsWithIgnoreCase(target, "https://")) {
    // absolute-form: the authority is the host, whatever Host says.
    target.remove_prefix(target.find("//") + 2);
    size_t end = target.find_first_of("/?");
    std::string_view authority = target.substr(0, end);
    if (authority.empty() || authority.find('@') != std::string_view::npos) {
      Fail(400, "bad_request", "the request target has no usable authority");
      return false;
    }
    bool replaced = false;
    for (auto& [name, value] : request_.headers) {
      if (name == "host") {
        value = std::string(authority);
        replaced = true;
      }
    }
    if (!replaced) request_.headers.emplace_back("host", std::string(authority));
    host_count = 1;
    target = end == std::string_view::npos ? std::string_view("/") : target.substr(end);
    if (!target.empty() && target.front() == '?') {
      request_.path = "/";
      request_.query = std::string(target.substr(1));
      target = {};
    }
  } else if (target == "*" && request_.method == "OPTIONS") {
    request_.path = "*";
    target = {};
  } else if (target.empty() || target.front() != '/') {
    Fail(400, "bad_request", "the request target must be an absolute path");
    return false;
  }
  if (!target.empty()) {
    if (size_t hash = target.find('#'); hash != std::string_view::npos) target = target.substr(0, hash);
    size_t q = target.find('?');
    // One canonical path for every layer above (http_types.h).
    const std::string_view sent = target.substr(0, q);
    std::optional<std::string> path = CanonicalPath(sent);
    if (!path) {
      Fail(400, "bad_request", "the request path has an encoded NUL or a malformed escape");
      return false;
    }
    if (*path != sent) request_.sent_path = std::string(sent);
    request_.path = std::move(*path);
    request_.query = q == std::string_view::npos ? std::string() : std::string(target.substr(q + 1));
  }
  if (host_count == 0 && p->http_minor >= 1) {
    Fail(400, "bad_request", "HTTP/1.1 requests must carry a Host header");
    return false;
  }

  const bool chunked = (p->flags & F_CHUNKED) != 0;
  // Compared unsigned: llhttp accepts any Content-Length up to 2^64-1, and
  // one above INT64_MAX used to turn negative here, pass the check, and make
  // the reserve() below throw through llhttp and the I/O thread, ending the
  // process (found by fuzz/http_parser_fuzz).
  if (!chunked && p->content_length > static_cast<uint64_t>(std::max<int64_t>(limits_.max_body_bytes, 0))) {
    Fail(413, "payload_too_large",
         "request body exceeds the limit of " + std::to_string(limits_.max_body_bytes) + " bytes");
    return false;
  }
  body_expected_ = chunked || ((p->flags & F_CONTENT_LENGTH) != 0 && p->content_length > 0);
  if (body_expected_ && !chunked) request_.body.reserve(static_cast<size_t>(p->content_length));
  return true;
}

RequestParser::Event RequestParser::Feed(const char* data, size_t size, size_t& consumed) {
  consumed = 0;
  if (failed_) return Event::kError;
  if (size == 0) return Event::kNeedMore;
  llhttp_t* p = &ll_->parser;
  if (llhttp_get_errno(p) == HPE_PAUSED) llhttp_resume(p);
  const bool was_head_complete = head_complete_ && in_message_;
  llhttp_errno_t err = llhttp_execute(p, data, size);
  if (err == HPE_OK) {
    consumed = size;
    return Event::kNeedMore;
  }
  if (err == HPE_PAUSED || err == HPE_PAUSED_UPGRADE) {
    const char* stop = llhttp_get_error_pos(p);
    consumed = stop != nullptr && stop >= data && stop <= data + size ? static_cast<size_t>(stop - data) : size;
    if (message_complete_) {
      message_complete_ = false;
      if (err == HPE_PAUSED_UPGRADE) {
        upgrade_ = true;
        keep_alive_ = false;
      }
      return Event::kRequest;
    }
    if (head_complete_ && !was_head_complete) return Event::kHead;
    return Event::kNeedMore;
  }
  if (!failed_) {
    // llhttp's own refusal. Its reason names what was wrong.
    const char* reason = llhttp_get_error_reason(p);
    std::string why = reason != nullptr && *reason != '\0' ? reason : llhttp_errno_name(err);
    if (err == HPE_INVALID_VERSION) {
      Fail(505, "http_version_not_supported", "only HTTP/1.0 and HTTP/1.1 are served");
    } else {
      Fail(400, "bad_request", "malformed request: " + why);
    }
  }
  return Event::kError;
}

HttpRequest RequestParser::TakeRequest() {
  head_complete_ = false;
  return std::move(request_);
}

std::string LlhttpVersion() {
  return std::to_string(LLHTTP_VERSION_MAJOR) + "." + std::to_string(LLHTTP_VERSION_MINOR) + "." +
         std::to_string(LLHTTP_VERSION_PATCH);
}

}  // namespace hbf
