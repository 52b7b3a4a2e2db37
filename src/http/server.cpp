#include "http/server.h"

#include <arpa/inet.h>
#include <civetweb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <exception>
#include <vector>

#include "core/log.h"

extern "C" void hbf_mg_close_after_response(struct mg_connection* conn);

namespace hbf {
namespace {

using Clock = std::chrono::steady_clock;

// RFC 7231 date, recomputed at most once per second per thread.
const std::string& HttpDateNow() {
  thread_local time_t cached_second = 0;
  thread_local std::string cached;
  time_t now = time(nullptr);
  if (now != cached_second) {
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    cached = buf;
    cached_second = now;
  }
  return cached;
}

bool HeaderHasToken(const char* value, std::string_view token) {
  if (value == nullptr) return false;
  std::string_view v(value);
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

bool WriteAll(mg_connection* conn, std::string_view data) {
  size_t sent = 0;
  while (sent < data.size()) {
    size_t chunk = std::min<size_t>(data.size() - sent, 1u << 30);
    int n = mg_write(conn, data.data() + sent, chunk);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

// Serialises and sends a response. Returns bytes of body sent (for the log).
int64_t SendResponse(mg_connection* conn, const HttpResponse& response, bool head_request, bool close,
                     bool client_wants_keep_alive_header) {
  const bool no_body = head_request || response.status == 204 || response.status == 304 ||
                       (response.status >= 100 && response.status < 200);
  std::string out;
  out.reserve(256 + (no_body || response.body.size() > 32 * 1024 ? 0 : response.body.size()));
  out += "HTTP/1.1 ";
  out += std::to_string(response.status);
  out += ' ';
  out += StatusReason(response.status);
  out += "\r\n";
  for (const auto& [name, value] : response.headers) {
    // CR/LF in a header would let a script split the response: drop it.
    if (name.find_first_of("\r\n:") != std::string::npos || value.find_first_of("\r\n") != std::string::npos) {
      continue;
    }
    if (EqualsIgnoreCase(name, "content-length") || EqualsIgnoreCase(name, "connection") ||
        EqualsIgnoreCase(name, "transfer-encoding") || EqualsIgnoreCase(name, "date")) {
      continue;  // owned by the server
    }
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  if (response.status != 204 && !(response.status >= 100 && response.status < 200)) {
    out += "Content-Length: ";
    out += std::to_string(response.body.size());
    out += "\r\n";
  }
  out += "Date: ";
  out += HttpDateNow();
  out += "\r\n";
  if (close) {
    out += "Connection: close\r\n";
  } else if (client_wants_keep_alive_header) {
    out += "Connection: keep-alive\r\n";
  }
  out += "\r\n";
  // Small bodies go out with the headers in one write; large ones are not
  // copied just to save a syscall.
  constexpr size_t kCoalesceLimit = 32 * 1024;
  const bool separate_body = !no_body && response.body.size() > kCoalesceLimit;
  if (!no_body && !separate_body) out += response.body;
  if (!WriteAll(conn, out)) return 0;
  if (separate_body && !WriteAll(conn, response.body)) return 0;
  return no_body ? 0 : static_cast<int64_t>(response.body.size());
}

// CivetWeb reports a failed bind only as "Failed to setup server ports";
// binding once ourselves recovers the reason (in use, permission denied).
std::string DescribeBindFailure(const std::string& bind, uint16_t port) {
  const bool ipv6 = bind.find(':') != std::string::npos;
  int fd = ::socket(ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::strerror(errno);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  int rc;
  if (ipv6) {
    sockaddr_in6 addr{};
    addr.sin6_family = AF_INET6;
    addr.sin6_port = htons(port);
    inet_pton(AF_INET6, bind.c_str(), &addr.sin6_addr);
    rc = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  } else {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    inet_pton(AF_INET, bind.c_str(), &addr.sin_addr);
    rc = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  }
  int err = errno;
  ::close(fd);
  if (rc == 0) return {};
  if (err == EADDRINUSE) return "address already in use";
  if (err == EACCES) return "permission denied";
  if (err == EADDRNOTAVAIL) return "address not available on this machine";
  return std::strerror(err);
}

}  // namespace

// Trampolines from CivetWeb's C callbacks. No exception crosses them.
struct CivetCallbacks {
  static int BeginRequest(mg_connection* conn) {
    auto* server = static_cast<HttpServer*>(mg_get_request_info(conn)->user_data);
    try {
      return server->ServeConnection(conn);
    } catch (...) {
      // ServeConnection handles handler exceptions itself; reaching here
      // means the response could not even be written (e.g. out of memory).
      Log(LogLevel::kError, "http: unexpected failure while serving a request; closing the connection");
      hbf_mg_close_after_response(conn);
      return 500;
    }
  }

  static int HttpError(mg_connection* conn, int status, const char* message) {
    auto* server = static_cast<HttpServer*>(mg_get_request_info(conn)->user_data);
    try {
      server->ServeProtocolError(conn, status, message);
      return 0;  // handled
    } catch (...) {
      return 1;  // let CivetWeb send its own plain-text page
    }
  }

  static int LogMessage(const mg_connection*, const char* message) {
    Log(LogLevel::kDebug, std::string("http: ") + message);
    return 1;  // do not also print to stderr
  }
};

HttpServer::HttpServer(ServerOptions options, RequestHandler& handler)
    : options_(std::move(options)), handler_(handler) {}

HttpServer::~HttpServer() { Stop(); }

Status HttpServer::Start() {
  static const bool library_ready = [] {
    mg_init_library(0);
    return true;
  }();
  (void)library_ready;

  const bool ipv6 = options_.bind.find(':') != std::string::npos;
  std::string listen = (ipv6 ? "[" + options_.bind + "]" : options_.bind) + ":" + std::to_string(options_.port);
  std::string threads = std::to_string(options_.num_threads);
  std::string request_timeout = std::to_string(options_.request_timeout_ms);
  std::string keep_alive_timeout = std::to_string(options_.keep_alive_timeout_ms);
  const char* config[] = {
      "listening_ports", listen.c_str(),
      "num_threads", threads.c_str(),
      "request_timeout_ms", request_timeout.c_str(),
      "keep_alive_timeout_ms", keep_alive_timeout.c_str(),
      "enable_keep_alive", "yes",
      "tcp_nodelay", "1",
      "decode_url", "no",          // paths reach the app raw; it decodes them itself
      "listen_backlog", "1024",
      "connection_queue", "1024",
      nullptr,
  };

  mg_callbacks callbacks{};
  callbacks.begin_request = &CivetCallbacks::BeginRequest;
  callbacks.http_error = &CivetCallbacks::HttpError;
  callbacks.log_message = &CivetCallbacks::LogMessage;

  mg_init_data init{};
  init.callbacks = &callbacks;
  init.user_data = this;
  init.configuration_options = config;

  char error_text[256] = {0};
  mg_error_data error{};
  error.text = error_text;
  error.text_buffer_size = sizeof error_text;

  ctx_ = mg_start2(&init, &error);
  if (ctx_ == nullptr) {
    std::string why = DescribeBindFailure(options_.bind, options_.port);
    if (why.empty()) why = error_text[0] != '\0' ? error_text : "unknown error";
    return Error{"listen_failed", "cannot listen on " + listen + ": " + why, 1};
  }
  mg_server_port ports[4]{};
  int n = mg_get_server_ports(ctx_, 4, ports);
  bound_port_ = n > 0 ? static_cast<uint16_t>(ports[0].port) : options_.port;
  return Ok{};
}

void HttpServer::BeginDrain() { draining_.store(true); }

bool HttpServer::WaitIdle(std::chrono::milliseconds timeout) {
  std::unique_lock lock(idle_mu_);
  return idle_cv_.wait_for(lock, timeout, [this] { return in_flight_.load() == 0; });
}

void HttpServer::Stop() {
  if (ctx_ != nullptr) {
    draining_.store(true);
    mg_stop(ctx_);
    ctx_ = nullptr;
  }
}

void HttpServer::ServeProtocolError(mg_connection* conn, int status, const char* message) {
  const char* code = status == 413 || status == 431 ? "request_too_large"
                     : status >= 500               ? "internal_error"
                                                   : "bad_request";
  std::string text = (message != nullptr && *message != '\0') ? message : StatusReason(status);
  HttpResponse response = HttpResponse::ErrorBody(status, code, text);
  hbf_mg_close_after_response(conn);
  int64_t bytes = SendResponse(conn, response, false, true, false);
  const mg_request_info* ri = mg_get_request_info(conn);
  AccessRecord record;
  record.method = ri->request_method != nullptr ? ri->request_method : "-";
  record.path = ri->local_uri != nullptr ? ri->local_uri : "-";
  record.status = status;
  record.remote_addr = ri->remote_addr;
  record.bytes_sent = bytes;
  LogAccess(record);
}

int HttpServer::ServeConnection(mg_connection* conn) {
  const auto started = Clock::now();
  // In flight from here (headers read) until the response is written.
  struct InFlight {
    HttpServer& s;
    explicit InFlight(HttpServer& server) : s(server) { s.in_flight_.fetch_add(1); }
    ~InFlight() {
      if (s.in_flight_.fetch_sub(1) == 1 && s.draining_.load()) {
        std::lock_guard lock(s.idle_mu_);
        s.idle_cv_.notify_all();
      }
    }
  } in_flight(*this);

  const mg_request_info* ri = mg_get_request_info(conn);
  HttpRequest request;
  request.method = ri->request_method != nullptr ? ri->request_method : "";
  // The path exactly as sent (CivetWeb's local_uri has dot segments removed
  // and slashes merged): layers above validate it and must not be surprised.
  request.path = ri->local_uri_raw != nullptr ? ri->local_uri_raw : (ri->local_uri != nullptr ? ri->local_uri : "/");
  request.query = ri->query_string != nullptr ? ri->query_string : "";
  request.http_version = ri->http_version != nullptr ? ri->http_version : "1.1";
  request.remote_addr = ri->remote_addr;
  request.remote_port = ri->remote_port;
  request.local_port = ri->server_port;
  request.arrived_while_draining = draining_.load();
  request.headers.reserve(static_cast<size_t>(ri->num_headers));
  const char* connection_header = nullptr;
  const char* transfer_encoding = nullptr;
  const char* expect = nullptr;
  for (int i = 0; i < ri->num_headers; ++i) {
    std::string name = ri->http_headers[i].name;
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name == "connection") connection_header = ri->http_headers[i].value;
    if (name == "transfer-encoding") transfer_encoding = ri->http_headers[i].value;
    if (name == "expect") expect = ri->http_headers[i].value;
    request.headers.emplace_back(std::move(name), ri->http_headers[i].value);
  }

  const bool head = request.method == "HEAD";
  bool close = draining_.load() || HeaderHasToken(connection_header, "close") ||
               (request.http_version != "1.1" && !HeaderHasToken(connection_header, "keep-alive"));
  const bool echo_keep_alive = request.http_version != "1.1" && HeaderHasToken(connection_header, "keep-alive");

  HttpResponse response;
  std::string log_path = request.path;
  bool body_ok = true;

  {
    // --- The body, bounded by the limit, never buffered past it.
    int64_t max_body = options_.max_body_bytes;
    if (ri->content_length > 0 || transfer_encoding != nullptr) {
      int64_t handler_limit = -1;
      try {
        handler_limit = handler_.MaxBodyBytes(request);
      } catch (...) {
        handler_limit = -1;
      }
      if (handler_limit >= 0 && handler_limit < max_body) max_body = handler_limit;
    }
    const bool chunked = HeaderHasToken(transfer_encoding, "chunked");
    if (transfer_encoding != nullptr && !chunked) {
      response = HttpResponse::ErrorBody(501, "not_implemented", "unsupported Transfer-Encoding");
      close = true;
      body_ok = false;
    } else if (ri->content_length > max_body) {
      response = HttpResponse::ErrorBody(413, "payload_too_large",
                                         "request body exceeds the limit of " + std::to_string(max_body) + " bytes");
      close = true;
      body_ok = false;
    } else if (ri->content_length > 0 || chunked) {
      if (expect != nullptr && HeaderHasToken(expect, "100-continue") && request.http_version == "1.1") {
        static const char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
        mg_write(conn, kContinue, sizeof kContinue - 1);
      }
      if (ri->content_length > 0) request.body.reserve(static_cast<size_t>(ri->content_length));
      char buf[16384];
      for (;;) {
        int n = mg_read(conn, buf, sizeof buf);
        if (n < 0) {
          response = HttpResponse::ErrorBody(400, "bad_request", "the request body could not be read");
          close = true;
          body_ok = false;
          break;
        }
        if (n == 0) break;
        if (static_cast<int64_t>(request.body.size()) + n > max_body) {
          response = HttpResponse::ErrorBody(413, "payload_too_large",
                                             "request body exceeds the limit of " + std::to_string(max_body) + " bytes");
          close = true;
          body_ok = false;
          break;
        }
        request.body.append(buf, static_cast<size_t>(n));
      }
      if (body_ok && ri->content_length > 0 && static_cast<int64_t>(request.body.size()) != ri->content_length) {
        // The client went away (or timed out) before sending the whole body.
        response = HttpResponse::ErrorBody(400, "bad_request", "the request body is shorter than Content-Length");
        close = true;
        body_ok = false;
      }
    }
  }

  if (body_ok) {
    try {
      response = handler_.Handle(request);
    } catch (const std::exception& e) {
      Log(LogLevel::kError, std::string("http: request handler threw: ") + e.what());
      response = HttpResponse::ErrorBody(500, "internal_error", "internal server error");
    } catch (...) {
      Log(LogLevel::kError, "http: request handler threw a non-standard exception");
      response = HttpResponse::ErrorBody(500, "internal_error", "internal server error");
    }
  }
  if (draining_.load()) close = true;
  if (close) hbf_mg_close_after_response(conn);

  int64_t bytes = SendResponse(conn, response, head, close, echo_keep_alive && !close);

  AccessRecord record;
  record.henv = response.log.henv;
  record.method = request.method;
  record.path = log_path;
  record.status = response.status;
  record.duration_ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
  record.user_id = response.log.user_id;
  record.remote_addr = request.remote_addr;
  record.bytes_sent = bytes;
  LogAccess(record);
  return response.status;
}

}  // namespace hbf
