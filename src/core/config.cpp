#include "core/config.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>

#include "core/version.h"

namespace hbf {
namespace {

// A setting: its flag, its help line, and how a textual value is applied.
// The environment variable is HBF_ + the flag name upper-cased.
struct Setting {
  const char* name;
  const char* value_hint;  // nullptr for booleans
  const char* help;
  // Returns an error message (without the flag name) or empty on success.
  std::string (*apply)(Config&, const std::string&);
};

std::string ParseInt(const std::string& text, long min, long max, long& out) {
  long v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    return "expected an integer, got '" + text + "'";
  }
  if (v < min || v > max) {
    return "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " + text;
  }
  out = v;
  return {};
}

template <typename T>
std::string SetInt(T& field, const std::string& text, long min, long max) {
  long v = 0;
  std::string err = ParseInt(text, min, max, v);
  if (err.empty()) field = static_cast<T>(v);
  return err;
}

std::string SetBool(bool& field, const std::string& text) {
  std::string t = text;
  std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (t == "1" || t == "true" || t == "yes" || t == "on") { field = true; return {}; }
  if (t == "0" || t == "false" || t == "no" || t == "off") { field = false; return {}; }
  return "expected true or false, got '" + text + "'";
}

bool IsNumericAddress(const std::string& s) {
  unsigned char buf[sizeof(struct in6_addr)];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

// DNS label rules, applied to each dot-separated part.
bool IsValidDomain(const std::string& s) {
  if (s.empty() || s.size() > 253) return false;
  size_t start = 0;
  while (start <= s.size()) {
    size_t dot = s.find('.', start);
    size_t end = dot == std::string::npos ? s.size() : dot;
    size_t len = end - start;
    if (len == 0 || len > 63) return false;
    for (size_t i = start; i < end; ++i) {
      char c = s[i];
      bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
      if (!ok) return false;
    }
    if (s[start] == '-' || s[end - 1] == '-') return false;
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return true;
}

const Setting kSettings[] = {
    {"port", "N", "TCP port to listen on (default 5309; 0 picks a free one)",
     [](Config& c, const std::string& v) { return SetInt(c.port, v, 0, 65535); }},
    {"bind", "ADDR", "numeric address to listen on (default 127.0.0.1; 0.0.0.0 or :: to expose)",
     [](Config& c, const std::string& v) -> std::string {
       if (!IsNumericAddress(v)) return "expected a numeric IPv4 or IPv6 address, got '" + v + "'";
       c.bind = v;
       return {};
     }},
    {"storage_dir", "DIR", "where henv databases live (default ./henvs)",
     [](Config& c, const std::string& v) -> std::string {
       if (v.empty()) return "must not be empty";
       c.storage_dir = v;
       return {};
     }},
    {"base_domain", "DOMAIN", "henvs are served at {hash}.DOMAIN (default localhost)",
     [](Config& c, const std::string& v) -> std::string {
       std::string lower = v;
       std::transform(lower.begin(), lower.end(), lower.begin(),
                      [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
       if (!lower.empty() && lower.back() == '.') lower.pop_back();
       if (!IsValidDomain(lower)) return "expected a domain name such as example.com, got '" + v + "'";
       c.base_domain = lower;
       return {};
     }},
    {"log_level", "LEVEL", "debug, info, warn or error (default info)",
     [](Config& c, const std::string& v) -> std::string {
       auto level = ParseLogLevel(v);
       if (!level) return "expected debug, info, warn or error, got '" + v + "'";
       c.log_level = *level;
       return {};
     }},
    {"log_format", "FORMAT", "text or json (default text)",
     [](Config& c, const std::string& v) -> std::string {
       auto format = ParseLogFormat(v);
       if (!format) return "expected text or json, got '" + v + "'";
       c.log_format = *format;
       return {};
     }},
    {"dev", nullptr, "development mode: error responses carry script locations",
     [](Config& c, const std::string& v) { return SetBool(c.dev, v); }},
    {"db_max_open", "N", "henv connections kept open at once (default 1000; at most an eighth of half the open-file limit); past it the least recently used henv waits dormant in memory (up to 10 x N)",
     [](Config& c, const std::string& v) { return SetInt(c.db_max_open, v, 1, 1000000); }},
    {"db_close_idle_s", "S", "an open henv unused this long has its connection closed and waits dormant in memory, its worker kept (default 30; 0: only past --db_max_open)",
     [](Config& c, const std::string& v) { return SetInt(c.db_close_idle_s, v, 0, 86400); }},
    {"qjs_mem_mb", "MB", "JavaScript heap limit per runtime (default 64)",
     [](Config& c, const std::string& v) { return SetInt(c.qjs_mem_mb, v, 1, 65536); }},
    {"qjs_timeout_ms", "MS", "JavaScript time limit per request (default 5000)",
     [](Config& c, const std::string& v) { return SetInt(c.qjs_timeout_ms, v, 1, 3600000); }},
    {"num_threads", "N", "handler threads: run requests' work (default 0: 4 per core, at least 8)",
     [](Config& c, const std::string& v) { return SetInt(c.num_threads, v, 0, 4096); }},
    {"running_threads", "N", "handler threads woken to run requests at once; past it requests wait for a running one, unless those are stuck for 1 ms (default 0: one per core)",
     [](Config& c, const std::string& v) { return SetInt(c.running_threads, v, 0, 4096); }},
    {"http_threads", "N", "I/O event loops holding the connections (default 0: one per core)",
     [](Config& c, const std::string& v) { return SetInt(c.http_threads, v, 0, 1024); }},
    {"max_connections", "N", "open connections in total; more are refused (default 100000, 0: no limit)",
     [](Config& c, const std::string& v) { return SetInt(c.max_connections, v, 0, 10000000); }},
    {"max_connections_per_ip", "N", "open connections per client address (default 4096, 0: no limit)",
     [](Config& c, const std::string& v) { return SetInt(c.max_connections_per_ip, v, 0, 10000000); }},
    {"ws_max_connections", "N", "open WebSockets in total; more upgrades get 503 (default 100000, 0: no limit)",
     [](Config& c, const std::string& v) { return SetInt(c.ws_max_connections, v, 0, 10000000); }},
    {"ws_max_per_henv", "N", "open WebSockets per henv; more upgrades get 503 (default 1000, 0: no limit)",
     [](Config& c, const std::string& v) { return SetInt(c.ws_max_per_henv, v, 0, 10000000); }},
    {"ws_max_message_kb", "KB", "largest WebSocket message; larger closes the socket with 1009 (default 1024)",
     [](Config& c, const std::string& v) { return SetInt(c.ws_max_message_kb, v, 1, 1024 * 1024); }},
    {"ws_max_buffered_kb", "KB", "unsent WebSocket output per socket; beyond, closed with 1013 (default 4096)",
     [](Config& c, const std::string& v) { return SetInt(c.ws_max_buffered_kb, v, 16, 1024 * 1024); }},
    {"realtime_max_per_henv", "N", "live subscriptions (/_api/realtime) per henv; more get 503 (default 1000, 0: no limit)",
     [](Config& c, const std::string& v) { return SetInt(c.realtime_max_per_henv, v, 0, 10000000); }},
    {"realtime_heartbeat_s", "S", "a quiet /_api/realtime event stream gets a comment this often (default 15)",
     [](Config& c, const std::string& v) { return SetInt(c.realtime_heartbeat_s, v, 1, 3600); }},
    {"ws_ping_interval_s", "S", "a silent WebSocket is pinged after this; no pong within half of it: dropped (default 30)",
     [](Config& c, const std::string& v) { return SetInt(c.ws_ping_interval_s, v, 1, 86400); }},
    {"max_header_kb", "KB", "request line + headers; larger gets 431 (default 32)",
     [](Config& c, const std::string& v) { return SetInt(c.max_header_kb, v, 1, 1024); }},
    {"max_headers", "N", "header fields per request; more gets 431 (default 100)",
     [](Config& c, const std::string& v) { return SetInt(c.max_headers, v, 1, 10000); }},
    {"header_timeout_ms", "MS", "time to send a request's headers; slower gets 408 (default 10000)",
     [](Config& c, const std::string& v) { return SetInt(c.header_timeout_ms, v, 100, 3600000); }},
    {"keep_alive_timeout_ms", "MS", "idle keep-alive connections are closed after this (default 15000)",
     [](Config& c, const std::string& v) { return SetInt(c.keep_alive_timeout_ms, v, 100, 3600000); }},
    {"send_timeout_ms", "MS", "a client reading nothing of its response this long is dropped (default 30000)",
     [](Config& c, const std::string& v) { return SetInt(c.send_timeout_ms, v, 100, 3600000); }},
    {"min_body_rate", "BYTES", "bytes/s a request body must average once header_timeout_ms has passed (default 1024)",
     [](Config& c, const std::string& v) { return SetInt(c.min_body_rate, v, 0, 1000000000); }},
    {"max_body_mb", "MB", "largest request body accepted (default 10)",
     [](Config& c, const std::string& v) { return SetInt(c.max_body_mb, v, 1, 4096); }},
    {"henv_max_storage_mb", "MB", "largest a henv's file may grow; writes beyond get 507 (default 1024, 0: no limit)",
     [](Config& c, const std::string& v) { return SetInt(c.henv_max_storage_mb, v, 0, 16777216); }},
    {"trust_proxy", nullptr, "honour X-Forwarded-Host/-For/-Proto from a reverse proxy",
     [](Config& c, const std::string& v) { return SetBool(c.trust_proxy, v); }},
    {"trusted_proxies", "CIDRS", "with --trust_proxy, the peers that are proxies (default 127.0.0.0/8,::1/128)",
     [](Config& c, const std::string& v) -> std::string {
       c.trusted_proxies = v;
       return {};
     }},
    {"drain_timeout_ms", "MS", "on SIGTERM, how long in-flight requests may finish (default 10000)",
     [](Config& c, const std::string& v) { return SetInt(c.drain_timeout_ms, v, 0, 3600000); }},
    {"js_memory_mb", "MB", "memory for all JavaScript runtimes; idle ones are evicted beyond it (default 1024)",
     [](Config& c, const std::string& v) { return SetInt(c.js_memory_mb, v, 16, 1048576); }},
    {"js_copy_workers", nullptr,
     "make a blank JavaScript worker by copying a template's memory, not by building it (default true)",
     [](Config& c, const std::string& v) { return SetBool(c.js_copy_workers, v); }},
    {"js_bound_images", nullptr,
     "once a henv's router loads without reaching outside its runtime (no file opened, no log line, no timer, nothing random), its later JavaScript workers are copies of the first bound one (~10 KB kept per henv), not bound again (default true)",
     [](Config& c, const std::string& v) { return SetBool(c.js_bound_images, v); }},
    {"js_transient_workers", nullptr,
     "while most requests make a JavaScript worker for a henv not seen lately (many henvs at random), such a worker is dropped after its request and its memory, still in the CPU's caches, goes to the next one made (default true)",
     [](Config& c, const std::string& v) { return SetBool(c.js_transient_workers, v); }},
    {"js_image_profile", nullptr,
     "a JavaScript worker met cold (idle 1 ms or more) prefetches the lines of its image that requests read, found when hbf was built; =false: its whole image (default true)",
     [](Config& c, const std::string& v) { return SetBool(c.js_image_profile, v); }},
    {"js_drop_workers_whole", nullptr,
     "destroy a JavaScript worker by dropping its memory whole, running only finalizers that reach outside it (default true)",
     [](Config& c, const std::string& v) { return SetBool(c.js_drop_workers_whole, v); }},
    {"js_hibernate", nullptr,
     "=auto, =true or =false: a JavaScript worker idle for 2 s is hibernated (its memory kept as what differs from the image it was copied from, packed: ~10-40 KB instead of ~380 KB for a small router; its henv's next request wakes it as it was); auto (the default) hibernates a henv's worker only while a wake has measured cheaper than making a worker for that henv, and drops it otherwise; true always, false never (idle workers stay awake)",
     [](Config& c, const std::string& v) -> std::string {
       std::string t = v;
       std::transform(t.begin(), t.end(), t.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
       if (t == "auto") {
         c.js_hibernate = Config::Hibernate::kAuto;
         return {};
       }
       bool on = false;
       if (std::string err = SetBool(on, v); !err.empty()) return "expected auto, true or false, got '" + v + "'";
       c.js_hibernate = on ? Config::Hibernate::kAlways : Config::Hibernate::kNever;
       return {};
     }},
    {"js_spare_connections", "N",
     "connections to henv files kept after their JavaScript worker is gone, for the henv's next worker (default 64; 0: none)",
     [](Config& c, const std::string& v) { return SetInt(c.js_spare_connections, v, 0, 100000); }},
    {"js_workers_per_henv", "N",
     "requests one henv may run at once; others wait holding no thread (default 0: one per core, at least 4)",
     [](Config& c, const std::string& v) { return SetInt(c.js_workers_per_henv, v, 0, 256); }},
    {"henv_log_kb", "KB", "a henv's own log (GET /_api/logs) is rotated beyond this; ~2x on disk (default 512)",
     [](Config& c, const std::string& v) { return SetInt(c.henv_log_kb, v, 1, 65536); }},
    {"slow_request_ms", "MS", "a henv's script running longer goes to its log as slow (default 1000, 0: never)",
     [](Config& c, const std::string& v) { return SetInt(c.slow_request_ms, v, 0, 3600000); }},
    {"rate_limit_ip_rps", "N",
     "requests per second one client address may make; more get 429 (default 100, 0: no limit)",
     [](Config& c, const std::string& v) { return SetInt(c.rate_limit_ip_rps, v, 0, 10000000); }},
    {"rate_limit_ip_burst", "N", "requests one client address may make at once (default 200)",
     [](Config& c, const std::string& v) { return SetInt(c.rate_limit_ip_burst, v, 1, 10000000); }},
    {"rate_limit_new_per_hour", "N", "POST /new (signups) per client address and hour (default 20, 0: no limit)",
     [](Config& c, const std::string& v) { return SetInt(c.rate_limit_new_per_hour, v, 0, 10000000); }},
    {"rate_limit_exempt_loopback", nullptr,
     "loopback clients skip the per-address limits (default true; =false to limit them)",
     [](Config& c, const std::string& v) { return SetBool(c.rate_limit_exempt_loopback, v); }},
    {"log_file", "PATH",
     "write the server log (access lines and messages) to this file instead of stderr; SIGHUP reopens it",
     [](Config& c, const std::string& v) -> std::string {
       if (v.empty()) return "must not be empty";
       c.log_file = v;
       return {};
     }},
    {"metrics_token", "TOKEN", "GET /metrics from other than loopback requires this Bearer token",
     [](Config& c, const std::string& v) -> std::string {
       if (v.size() < 16) return "must be at least 16 characters";
       c.metrics_token = v;
       return {};
     }},
    {"metrics_allow_loopback", nullptr,
     "loopback clients read GET /metrics without the token (default true; =false behind a local proxy)",
     [](Config& c, const std::string& v) { return SetBool(c.metrics_allow_loopback, v); }},
    {"metrics", nullptr,
     "count requests for GET /metrics (default true; =false: no counting and /metrics answers 404)",
     [](Config& c, const std::string& v) { return SetBool(c.metrics, v); }},
    {"metrics_per_henv", nullptr,
     "GET /metrics also reports each open henv (label henv; off by default: one series set per henv)",
     [](Config& c, const std::string& v) { return SetBool(c.metrics_per_henv, v); }},
    {"shard_mode", nullptr,
     "several nodes behind a proxy hashing the Host: POST /new answers 307 to the app's own host (its node creates it)",
     [](Config& c, const std::string& v) { return SetBool(c.shard_mode, v); }},
    {"inactive_warn_days", "DAYS", "the sweep mails a henv's owner after this many idle days (default 30)",
     [](Config& c, const std::string& v) { return SetInt(c.inactive_warn_days, v, 1, 36500); }},
    {"inactive_delete_days", "DAYS", "the sweep moves a henv idle this long to the trash (default 60)",
     [](Config& c, const std::string& v) { return SetInt(c.inactive_delete_days, v, 1, 36500); }},
    {"trash_days", "DAYS", "trashed henvs are deleted for good after this many days (default 30)",
     [](Config& c, const std::string& v) { return SetInt(c.trash_days, v, 0, 36500); }},
    {"smtp_url", "URL", "smtp://HOST:PORT of a mail relay (numeric host) for the sweep's warnings",
     [](Config& c, const std::string& v) -> std::string {
       if (v.rfind("smtp://", 0) != 0) return "expected smtp://HOST:PORT, got '" + v + "'";
       c.smtp_url = v;
       return {};
     }},
    {"mail_from", "ADDRESS", "the sender of the sweep's mail (default hbf@BASE_DOMAIN)",
     [](Config& c, const std::string& v) -> std::string {
       if (v.find('@') == std::string::npos || v.find_first_of("\r\n<> ") != std::string::npos) {
         return "expected an address such as hbf@example.com, got '" + v + "'";
       }
       c.mail_from = v;
       return {};
     }},
    {"domain_verify_connect", "HOST:PORT",
     "custom domains: fetch verification tokens from this numeric address instead of the domain's DNS",
     [](Config& c, const std::string& v) -> std::string {
       const size_t colon = v.rfind(':');
       if (v.empty() || colon == std::string::npos || colon + 1 >= v.size() ||
           v.find_first_not_of("0123456789", colon + 1) != std::string::npos) {
         return "expected a numeric HOST:PORT such as 127.0.0.1:8080, got '" + v + "'";
       }
       std::string host = v.substr(0, colon);
       if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
       if (!IsNumericAddress(host)) return "expected a numeric HOST:PORT such as 127.0.0.1:8080, got '" + v + "'";
       c.domain_verify_connect = v;
       return {};
     }},
    {"new_token", "TOKEN", "require this Bearer token for POST /new (no open signup)",
     [](Config& c, const std::string& v) -> std::string {
       if (v.size() < 16) return "must be at least 16 characters";
       c.new_token = v;
       return {};
     }},
};

const Setting* FindSetting(std::string_view name) {
  for (const auto& s : kSettings) {
    if (name == s.name) return &s;
  }
  return nullptr;
}

std::string EnvName(const char* flag) {
  std::string env = "HBF_";
  for (const char* p = flag; *p; ++p) env += static_cast<char>(std::toupper(static_cast<unsigned char>(*p)));
  return env;
}

Error UsageError(std::string message) { return Error{"usage", std::move(message), 2}; }

// backup, restore, henv export|import|untrash, sweep: sets inv.command and
// its operands; an unknown command is a usage error.
Status ParseLifecycleCommand(const std::vector<std::string>& positional, Invocation& inv) {
  const std::string& command = positional[0];
  if (command == "backup") {
    if (positional.size() != 1) return UsageError(positional[1] + ": unexpected argument (hbf backup takes flags only)");
    if (inv.to.empty()) return UsageError("backup: --to is required (a file, or a folder with --all)");
    if (inv.all) {
      if (!inv.henv.empty()) return UsageError("backup: --all and --henv exclude each other");
      inv.command = Command::kBackupAll;
    } else {
      if (inv.henv.empty()) return UsageError("backup: --henv HASH (or --all) is required");
      inv.command = Command::kBackup;
    }
    return Ok{};
  }
  if (command == "restore") {
    if (positional.size() != 2) return UsageError("restore: usage is hbf restore --henv HASH --storage_dir DIR FILE");
    if (inv.henv.empty()) return UsageError("restore: --henv HASH is required");
    inv.command = Command::kRestore;
    inv.file = positional[1];
    return Ok{};
  }
  if (command == "henv") {
    const std::string usage = "henv: usage is hbf henv export HASH | import FILE [--replace] | untrash HASH";
    if (positional.size() != 3) return UsageError(usage);
    if (positional[1] == "export") {
      inv.command = Command::kHenvExport;
      inv.henv = positional[2];
    } else if (positional[1] == "import") {
      inv.command = Command::kHenvImport;
      inv.file = positional[2];
    } else if (positional[1] == "untrash") {
      inv.command = Command::kHenvUntrash;
      inv.henv = positional[2];
    } else {
      return UsageError(usage);
    }
    return Ok{};
  }
  if (command == "sweep") {
    if (positional.size() != 1) return UsageError(positional[1] + ": unexpected argument (hbf sweep [--dry-run])");
    inv.command = Command::kSweep;
    return Ok{};
  }
  return UsageError(command + ": unknown command (see hbf --help)");
}

}  // namespace

Result<Invocation> ParseCommandLine(const std::vector<std::string>& args, const EnvLookup& env) {
  Invocation inv;

  // Environment first, so that flags override it.
  for (const auto& s : kSettings) {
    std::string name = EnvName(s.name);
    auto value = env(name);
    if (!value) continue;
    std::string err = s.apply(inv.config, *value);
    if (!err.empty()) return UsageError(name + ": " + err);
  }

  std::vector<std::string> positional;
  std::vector<std::string> local_flags;  // --to, --keep, --all, --replace, --dry-run as given
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") { inv.command = Command::kHelp; return inv; }
    if (arg == "--version" || arg == "-V") { inv.command = Command::kVersion; return inv; }
    if (arg == "--") {
      positional.insert(positional.end(), args.begin() + static_cast<long>(i) + 1, args.end());
      break;
    }
    if (arg.size() < 2 || arg[0] != '-') {
      positional.push_back(arg);
      continue;
    }
    if (arg.rfind("--", 0) != 0) return UsageError(arg + ": unknown flag (see hbf --help)");
    std::string name = arg.substr(2);
    std::optional<std::string> value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    // Accept --storage-dir as well as --storage_dir.
    std::replace(name.begin(), name.end(), '-', '_');
    if (name == "force") {  // belongs to `hbf modules add`
      if (value && *value != "true" && *value != "1") return UsageError("--force takes no value");
      inv.force = true;
      continue;
    }
    if (name == "henv") {  // belongs to modules add, backup, restore and henv import
      if (!value) {
        if (i + 1 >= args.size()) return UsageError("--henv: missing value");
        value = args[++i];
      }
      inv.henv = *value;
      continue;
    }
    // The lifecycle commands' own flags (checked against the command below).
    if (name == "all" || name == "replace" || name == "dry_run") {
      bool flag = true;
      if (value) {
        if (std::string err = SetBool(flag, *value); !err.empty()) return UsageError("--" + name + ": " + err);
      }
      (name == "all" ? inv.all : name == "replace" ? inv.replace : inv.dry_run) = flag;
      local_flags.push_back(name);
      continue;
    }
    if (name == "to" || name == "keep") {
      if (!value) {
        if (i + 1 >= args.size()) return UsageError("--" + name + ": missing value");
        value = args[++i];
      }
      if (name == "to") {
        if (value->empty()) return UsageError("--to: must not be empty");
        inv.to = *value;
      } else if (std::string err = SetInt(inv.keep, *value, 0, 1000000); !err.empty()) {
        return UsageError("--keep: " + err);
      }
      local_flags.push_back(name);
      continue;
    }
    const Setting* setting = FindSetting(name);
    if (setting == nullptr) return UsageError("--" + name + ": unknown flag (see hbf --help)");
    if (!value) {
      if (setting->value_hint == nullptr) {
        value = "true";
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return UsageError("--" + name + ": missing value");
      }
    }
    std::string err = setting->apply(inv.config, *value);
    if (!err.empty()) return UsageError("--" + name + ": " + err);
  }

  if (!positional.empty()) {
    if (positional[0] == "serve") {
      if (positional.size() > 1) return UsageError(positional[1] + ": unexpected argument");
    } else if (positional[0] == "hash") {
      if (positional.size() != 2) return UsageError("hash: expected exactly one NAME (hbf hash NAME)");
      inv.command = Command::kHash;
      inv.hash_input = positional[1];
    } else if (positional[0] == "modules") {
      if (positional.size() < 3 || positional[1] != "add") {
        return UsageError("modules: usage is hbf modules add --henv HASH [--force] PATH...");
      }
      if (inv.henv.empty()) return UsageError("modules add: --henv HASH is required");
      inv.command = Command::kModulesAdd;
      inv.package_paths.assign(positional.begin() + 2, positional.end());
    } else if (auto lifecycle = ParseLifecycleCommand(positional, inv); !lifecycle.ok()) {
      return lifecycle.error();
    }
  }
  // Each lifecycle flag belongs to its commands only.
  for (const std::string& flag : local_flags) {
    const Command c = inv.command;
    const bool fits = (flag == "to" && (c == Command::kBackup || c == Command::kBackupAll)) ||
                      (flag == "keep" && c == Command::kBackupAll) || (flag == "all" && c == Command::kBackupAll) ||
                      (flag == "replace" && c == Command::kHenvImport) || (flag == "dry_run" && c == Command::kSweep);
    if (!fits) return UsageError("--" + flag + ": not an option of this command (see hbf --help)");
  }
  return inv;
}

EnvLookup ProcessEnv() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

std::string UsageText() {
  std::string out = std::string("hbf ") + kVersion + " - one binary serving many web apps (henvs)\n\n";
  out +=
      "Usage:\n"
      "  hbf [serve] [flags]   start the server\n"
      "  hbf hash NAME         print the henv hash of NAME\n"
      "  hbf modules add --henv HASH [--force] PATH...\n"
      "                        install packages with their dependencies into a henv's modules/:\n"
      "                        npm .tgz files, package or node_modules directories, a project\n"
      "                        directory, package-lock.json; --force despite missing dependencies\n"
      "  hbf healthcheck [--url http://127.0.0.1:5309/health] [--timeout_ms MS]\n"
      "                        exit 0 when the URL answers 2xx, else 1 (container HEALTHCHECK)\n"
      "  hbf cluster plan --nodes A,B,C [--add X | --remove Y] [--storage_dir DIR | --hashes FILE]\n"
      "                        which node nginx's `hash $host consistent` gives each henv, and what moves\n"
      "  hbf backup --henv HASH --to FILE\n"
      "                        a consistent snapshot of a henv (also while a server writes to it)\n"
      "  hbf backup --all --to FOLDER [--keep N]\n"
      "                        snapshot every henv into FOLDER/HASH/, keeping the newest N of each\n"
      "  hbf restore --henv HASH FILE\n"
      "                        replace a henv by a checked snapshot (a running server follows)\n"
      "  hbf henv export HASH > FILE\n"
      "                        write a henv's snapshot to stdout (to move it to another node)\n"
      "  hbf henv import FILE [--replace] [--henv HASH]\n"
      "                        add a henv from a snapshot; --replace overwrites an existing one\n"
      "  hbf sweep [--dry-run] the inactivity sweep now: warn, trash, purge (--dry-run: say, change nothing)\n"
      "  hbf henv untrash HASH bring a henv back from the trash\n"
      "  hbf domains list|approve DOMAIN|revoke DOMAIN [--storage_dir DIR]\n"
      "                        custom domains: list them, activate a pending one, remove one\n"
      "  hbf --version         print the version\n"
      "  hbf --help            this text\n\n"
      "Flags (each also read from the environment variable shown; flags win):\n";
  for (const auto& s : kSettings) {
    std::string left = std::string("  --") + s.name;
    if (s.value_hint != nullptr) left += std::string(" ") + s.value_hint;
    left += "  [" + EnvName(s.name) + "]";
    if (left.size() < 44) left.resize(44, ' ');
    else left += "\n" + std::string(44, ' ');
    out += left + s.help + "\n";
  }
  return out;
}

}  // namespace hbf
