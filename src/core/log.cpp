#include "core/log.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "core/json.h"

namespace hbf {
namespace {

// Written once by ConfigureLogging before threads start; read by all.
std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
std::atomic<int> g_format{static_cast<int>(LogFormat::kText)};
std::atomic<int> g_fd{2};
// --log_file: main thread only (OpenLogFile, ReopenLogFile).
std::string g_log_path;
int g_retired_fd = -1;  // the file replaced by the last reopen; closed at the next

void AppendTimestamp(std::string& out) {
  auto now = std::chrono::system_clock::now();
  auto secs = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  out += buf;
}

void AppendDuration(std::string& out, double ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", ms);
  out += buf;
}

void WriteLine(const std::string& line) {
  int fd = g_fd.load(std::memory_order_relaxed);
  const char* p = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // nowhere left to report a logging failure
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
}

}  // namespace

std::optional<LogLevel> ParseLogLevel(std::string_view s) {
  if (s == "debug") return LogLevel::kDebug;
  if (s == "info") return LogLevel::kInfo;
  if (s == "warn" || s == "warning") return LogLevel::kWarn;
  if (s == "error") return LogLevel::kError;
  return std::nullopt;
}

std::optional<LogFormat> ParseLogFormat(std::string_view s) {
  if (s == "text") return LogFormat::kText;
  if (s == "json") return LogFormat::kJson;
  return std::nullopt;
}

const char* LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kError: return "error";
  }
  return "info";
}

void ConfigureLogging(LogLevel level, LogFormat format, int fd) {
  g_level.store(static_cast<int>(level));
  g_format.store(static_cast<int>(format));
  g_fd.store(fd);
}

Status OpenLogFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) return Error{"log_file", path + ": " + std::strerror(errno), 1};
  g_log_path = path;
  int old = g_fd.exchange(fd);
  if (old > 2) {
    if (g_retired_fd >= 0) ::close(g_retired_fd);
    g_retired_fd = old;
  }
  return Ok{};
}

Status ReopenLogFile() {
  if (g_log_path.empty()) return Ok{};
  return OpenLogFile(g_log_path);
}

bool LogEnabled(LogLevel level) {
  return static_cast<int>(level) >= g_level.load(std::memory_order_relaxed);
}

std::string FormatLogLine(LogFormat format, LogLevel level, std::string_view message,
                          std::string_view henv, const AccessRecord* access) {
  std::string out;
  out.reserve(160);
  if (format == LogFormat::kJson) {
    out += "{\"timestamp\":\"";
    AppendTimestamp(out);
    out += "\",\"level\":\"";
    out += LogLevelName(level);
    out += '"';
    if (!henv.empty()) {
      out += ",\"henv\":";
      AppendJsonString(out, henv);
    }
    if (access != nullptr) {
      out += ",\"method\":";
      AppendJsonString(out, access->method);
      out += ",\"path\":";
      AppendJsonString(out, access->path);
      out += ",\"status\":" + std::to_string(access->status);
      out += ",\"duration_ms\":";
      AppendDuration(out, access->duration_ms);
      out += ",\"user_id\":";
      if (access->user_id.empty()) out += "null";
      else AppendJsonString(out, access->user_id);
      out += ",\"remote_addr\":";
      AppendJsonString(out, access->remote_addr);
      out += ",\"bytes\":" + std::to_string(access->bytes_sent);
      if (!access->request_id.empty()) {
        out += ",\"request_id\":";
        AppendJsonString(out, access->request_id);
      }
    }
    if (!message.empty()) {
      out += ",\"msg\":";
      AppendJsonString(out, message);
    }
    out += "}\n";
    return out;
  }
  AppendTimestamp(out);
  out += ' ';
  out += LogLevelName(level);
  if (!henv.empty()) {
    out += " [";
    out += henv;
    out += ']';
  }
  if (access != nullptr) {
    out += ' ';
    out += access->remote_addr;
    out += " \"";
    out += access->method;
    out += ' ';
    out += access->path;
    out += "\" ";
    out += std::to_string(access->status);
    out += ' ';
    out += std::to_string(access->bytes_sent);
    out += "B ";
    AppendDuration(out, access->duration_ms);
    out += "ms";
    if (!access->user_id.empty()) {
      out += " user=";
      out += access->user_id;
    }
    if (!access->request_id.empty()) {
      out += " id=";
      out += access->request_id;
    }
  }
  if (!message.empty()) {
    out += ' ';
    // Keep one record per line whatever the message holds.
    for (char c : message) out += (c == '\n' || c == '\r') ? ' ' : c;
  }
  out += '\n';
  return out;
}

void Log(LogLevel level, std::string_view message, std::string_view henv) {
  if (!LogEnabled(level)) return;
  auto format = static_cast<LogFormat>(g_format.load(std::memory_order_relaxed));
  WriteLine(FormatLogLine(format, level, message, henv, nullptr));
}

void LogAccess(const AccessRecord& record) {
  if (!LogEnabled(LogLevel::kInfo)) return;
  auto format = static_cast<LogFormat>(g_format.load(std::memory_order_relaxed));
  WriteLine(FormatLogLine(format, LogLevel::kInfo, {}, record.henv, &record));
}

}  // namespace hbf
