// Process-wide logging: leveled, text for humans or JSON (one object a line)
// for machines.
//
// Thread safety: Configure() is called once on the main thread before any
// other thread logs. Every other function is safe from any thread; each line
// goes out in a single write(2) so concurrent lines never interleave.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace hbf {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };
enum class LogFormat { kText, kJson };

std::optional<LogLevel> ParseLogLevel(std::string_view s);
std::optional<LogFormat> ParseLogFormat(std::string_view s);
const char* LogLevelName(LogLevel level);

// fd defaults to stderr; tests may pass a pipe.
void ConfigureLogging(LogLevel level, LogFormat format, int fd = 2);

// --log_file: from now on lines go to `path` (O_APPEND, created 0640).
// ReopenLogFile() opens the same path again (after logrotate renamed it:
// SIGHUP) and swaps the descriptor atomically; lines being written at that
// moment finish in the old file. The descriptor replaced is closed one
// reopen later (never under a writer's feet: a thread that loaded it just
// before the swap may still be in write(2)). Both are called from the main
// thread; logging itself stays lock-free.
Status OpenLogFile(const std::string& path);
Status ReopenLogFile();
bool LogEnabled(LogLevel level);

// A plain message, optionally tagged with the henv it concerns.
void Log(LogLevel level, std::string_view message, std::string_view henv = {});

// One line per HTTP request: the fields of the infrastructure spec.
struct AccessRecord {
  std::string_view henv;     // empty for the apex site or unknown hosts
  std::string_view method;
  std::string_view path;
  int status = 0;
  double duration_ms = 0;
  std::string_view user_id;  // empty when unauthenticated
  std::string_view remote_addr;
  int64_t bytes_sent = 0;
  std::string_view request_id;  // X-Request-Id of the answer
};
void LogAccess(const AccessRecord& record);

// Formats one log line (without writing it); exposed for tests.
std::string FormatLogLine(LogFormat format, LogLevel level, std::string_view message,
                          std::string_view henv, const AccessRecord* access);

}  // namespace hbf
