// Command line and environment parsing for the hbf binary.
//
// Every setting is a flag `--name=value` (or `--name value`) and an
// environment variable `HBF_NAME`; a flag wins over the environment, which
// wins over the default given in the declaration below. Parsing is pure
// (argv and the environment are passed in) so every error path is unit-tested.
//
// Thread safety: a Config is built once on the main thread before any server
// thread starts and is read-only afterwards.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/log.h"
#include "core/result.h"

namespace hbf {

struct Config {
  uint16_t port = 5309;                 // 0 picks a free port (tests use it)
  std::string bind = "127.0.0.1";       // numeric IPv4/IPv6 only: no DNS at run time
  std::string storage_dir = "./henvs";
  std::string base_domain = "localhost";  // henvs live at {hash}.{base_domain}
  LogLevel log_level = LogLevel::kInfo;
  LogFormat log_format = LogFormat::kText;
  bool dev = false;                     // development mode: more detail in errors
  int db_max_open = 1000;               // open henv databases kept in the LRU
  int db_close_idle_s = 30;             // an open henv unused this long goes dormant (0: never)
  int qjs_mem_mb = 64;                  // per-runtime JS heap limit
  int qjs_timeout_ms = 5000;            // per-request JS time limit
  int num_threads = 0;                  // handler threads (0: 4 per core, at least 8)
  int running_threads = 0;              // handler threads woken to run at once (0: one per core)
  int http_threads = 0;                 // I/O event loops (0: one per core available)
  int max_body_mb = 10;                 // request bodies above this get 413
  int henv_max_storage_mb = 1024;      // per-henv file size bound (0: none)
  bool trust_proxy = false;             // honour X-Forwarded-Host/-For/-Proto
  std::string trusted_proxies = "127.0.0.0/8,::1/128";  // peers whose X-Forwarded-* count (CIDR list)
  int drain_timeout_ms = 10000;         // SIGTERM: how long in-flight requests may take
  std::string new_token;                // when set, POST /new requires it as a Bearer token
  int js_memory_mb = 1024;              // all JS runtimes together; idle ones are evicted beyond it
  bool js_copy_workers = true;          // blank workers copied from an image, not built (js/worker_image.h)
  bool js_bound_images = true;          // henvs' workers copied bound (js/bound_image.h)
  bool js_transient_workers = true;     // JsEngine: "Long tail"
  bool js_image_profile = true;         // a cold worker prefetches its image's profiled lines (js/image_profile.h)
  bool js_drop_workers_whole = true;    // destroyed workers' memory dropped whole (js/allocator.h)
  // What becomes of a JavaScript worker idle for 2 s (js/engine.h, EngineOptions::Hibernation):
  // auto hibernates it while a wake measures cheaper than making a worker, else drops it.
  enum class Hibernate { kAuto, kAlways, kNever };
  Hibernate js_hibernate = Hibernate::kAuto;
  int js_spare_connections = 64;        // destroyed workers' connections kept for the henv's next (js/connection_shelf.h)
  int js_workers_per_henv = 0;          // requests one henv runs at once (0: one per core, at least 4)
  int max_connections = 100000;         // open connections in total (0: unlimited)
  int max_connections_per_ip = 4096;    // open connections per client address (0: unlimited)
  int max_header_kb = 32;               // request line + headers
  int ws_max_connections = 100000;      // open WebSockets in total (0: unlimited)
  int ws_max_per_henv = 1000;           // open WebSockets per henv (0: unlimited)
  int ws_max_message_kb = 1024;         // a larger message closes its socket with 1009
  int ws_max_buffered_kb = 4096;        // unsent to a slow reader: closed with 1013
  int realtime_max_per_henv = 1000;     // live subscriptions (/_api/realtime) per henv (0: unlimited)
  int realtime_heartbeat_s = 15;        // a quiet event stream gets a comment this often
  int ws_ping_interval_s = 30;          // a silent socket is pinged; no pong within half of it: dropped
  int max_headers = 100;                // header fields per request
  int header_timeout_ms = 10000;        // first byte of a request -> end of its headers
  int keep_alive_timeout_ms = 15000;    // idle keep-alive connections are closed after this
  int send_timeout_ms = 30000;          // a client that reads no response bytes this long is dropped
  int min_body_rate = 1024;             // bytes/s a request body must average after header_timeout_ms
  int henv_log_kb = 512;                // a henv's logs.jsonl is rotated beyond this (so ~2x on disk)
  int slow_request_ms = 1000;           // a henv's script taking longer is logged to its log (0: never)
  int rate_limit_ip_rps = 100;          // requests per second per client address (0: no limit)
  int rate_limit_ip_burst = 200;        // requests at once per client address
  int rate_limit_new_per_hour = 20;     // POST /new per client address and hour (0: no limit)
  bool rate_limit_exempt_loopback = true;  // loopback clients skip the per-address limits (a local proxy)
  std::string log_file;                 // server log (access + messages) to this file, reopened on SIGHUP; empty: stderr
  std::string metrics_token;            // GET /metrics from non-loopback clients needs it as a Bearer token
  bool metrics_allow_loopback = true;   // loopback clients read /metrics without the token
  bool metrics = true;                  // =false: no per-request counting, GET /metrics answers 404
  bool metrics_per_henv = false;        // /metrics also has per-henv series (label henv) for the open henvs
  bool shard_mode = false;              // several nodes behind a Host-hashing proxy: POST /new on the apex
                                        // answers 307 to {hash}.{base_domain}/_hbf/new, created by its owner
  // The inactivity sweep (src/lifecycle/sweep.h): daily in the server, or `hbf sweep`.
  int inactive_warn_days = 30;          // the owner is mailed after this many idle days
  int inactive_delete_days = 60;        // the henv moves to {storage_dir}/.trash/ after this many
  int trash_days = 30;                  // trashed henvs are deleted for good after this many
  std::string smtp_url;                 // smtp://host:port of a mail relay; empty: warnings stay in the outbox
  std::string mail_from;                // the warnings' sender; empty: hbf@{base_domain}
  // Custom domains (src/domains/): the verifier connects to this numeric
  // HOST:PORT instead of resolving each domain (Host stays the domain).
  // For tests, and for servers that cannot resolve their own names.
  std::string domain_verify_connect;

  int64_t max_body_bytes() const { return int64_t{max_body_mb} * 1024 * 1024; }
  // The automatic values (0) resolved against `cores`, the CPUs this
  // process may run on.
  int resolved_http_threads(int cores) const { return http_threads > 0 ? http_threads : cores; }
  int resolved_handler_threads(int cores) const { return num_threads > 0 ? num_threads : std::max(8, 4 * cores); }
  int resolved_running_threads(int cores) const { return running_threads > 0 ? running_threads : std::max(1, cores); }
  int resolved_js_workers_per_henv(int cores) const {
    return js_workers_per_henv > 0 ? js_workers_per_henv : std::max(4, cores);
  }
};

// What the command line asks for.
enum class Command {
  kServe, kHelp, kVersion, kHash, kModulesAdd,
  // Henv lifecycle (src/main_lifecycle.cpp).
  kBackup,       // hbf backup --henv HASH --to FILE
  kBackupAll,    // hbf backup --all --to FOLDER [--keep N]
  kRestore,      // hbf restore --henv HASH FILE
  kHenvExport,   // hbf henv export HASH  (the snapshot on stdout)
  kHenvImport,   // hbf henv import FILE [--replace] [--henv HASH]
  kHenvUntrash,  // hbf henv untrash HASH
  kSweep,        // hbf sweep [--dry-run]
};

struct Invocation {
  Command command = Command::kServe;
  Config config;
  std::string hash_input;  // for Command::kHash
  std::string henv;        // for Command::kModulesAdd: the henv hash (--henv)
  // For Command::kModulesAdd: directories, tarballs, lockfiles (package_tree.h).
  std::vector<std::string> package_paths;
  bool force = false;  // for Command::kModulesAdd: install despite missing dependencies
  // The lifecycle commands' own flags and operand.
  std::string to;          // --to: backup's file, backup --all's folder
  int keep = 0;            // --keep N: snapshots kept per henv by backup --all (0: all)
  bool all = false;        // --all
  bool replace = false;    // --replace: henv import may overwrite
  bool dry_run = false;    // --dry-run: sweep says what it would do
  std::string file;        // restore's and import's snapshot file
};

// Looks up an environment variable; returns nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

// Parses argv (argv[0] is skipped) and the environment. On error the message is
// one line naming the offending flag; the caller prints it and exits 2.
Result<Invocation> ParseCommandLine(const std::vector<std::string>& args, const EnvLookup& env);

// The process environment, for production use.
EnvLookup ProcessEnv();

// `hbf --help` text.
std::string UsageText();

}  // namespace hbf
