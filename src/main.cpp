// hbf: the command-line entry point. A thin wrapper: parse flags, wire the
// layers together, wait for a signal, drain, exit.
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <optional>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "app/app.h"
#include "app/realtime.h"
#include "cli/cluster_command.h"
#include "cli/domains_command.h"
#include "cli/healthcheck_command.h"
#include "core/config.h"
#include "core/cores.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/process_heap.h"
#include "core/thread_name.h"
#include "core/version.h"
#include "codec/block.h"
#include "codec/gzip.h"
#include "crypto/crypto.h"
#include "crypto/hasher.h"
#include "auth/audit_log.h"
#include "db/database.h"
#include "documents/package_import.h"
#include "domains/domain_router.h"
#include "documents/package_tree.h"
#include "henv/henv_hash.h"
#include "http/proxy_trust.h"
#include "http/request_parser.h"
#include "http/server.h"
#include "http/ws_hub.h"
#include "js/engine.h"
#include "js/icu_version.h"
#include "js/image_profile.h"
#include "lifecycle/smtp_client.h"
#include "lifecycle/sweeper.h"
#include "main_lifecycle.h"

namespace hbf {
namespace {

// mkdir -p with mode 0700 for created folders.
bool MakeDirs(const std::string& path, std::string& error) {
  std::string partial;
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = path.find('/', pos + 1);
    partial = path.substr(0, pos);
    if (partial.empty()) continue;
    if (::mkdir(partial.c_str(), 0700) != 0 && errno != EEXIST) {
      error = partial + ": " + std::strerror(errno);
      return false;
    }
  }
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    error = path + ": not a directory";
    return false;
  }
  return true;
}

// Thousands of henvs need far more descriptors than the usual soft limit of
// 1,024: raise the soft limit to the hard one, as servers commonly do, and
// plan what the limit holds. Half is left to sockets and the rest of the
// server. The other half: at most one open henv per 8 descriptors of it;
// an open henv holds 3 (its database, WAL and shared memory) and up to 2
// more that its closed workers' connections leave SQLite holding until the
// file closes; a JavaScript worker's connection to a henv file (opened on
// its script's first query; req.db's is a second) holds 3 (the database and
// WAL, and the shared memory once the henv's file is closed). What the henvs
// leave, less the connections of workers waiting to be destroyed
// (JsEngine::kMaxRetired) and of busy ones (two per handler thread; the
// engine counts a worker's at its check-in), caps the idle workers'
// connections. Past the limit an open fails (EMFILE) and its request gets
// 503: measured with 10,000 henvs open under a limit of 20,000
// (bench/README.md).
struct DescriptorPlan {
  int max_open_henvs;          // --db_max_open, lowered to fit
  int max_worker_connections;  // JavaScript workers' connections to henv files (0: no cap)
  int spare_connections;       // --js_spare_connections, lowered to fit
};

DescriptorPlan PlanDescriptors(const Config& config, int handler_threads) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return {config.db_max_open, 0, config.js_spare_connections};
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0) getrlimit(RLIMIT_NOFILE, &limit);
  }
  if (limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur > (rlim_t{1} << 30)) {
    return {config.db_max_open, 0, config.js_spare_connections};
  }
  constexpr int64_t kPerOpenHenv = 8, kHeldByHenv = 5, kPerConnection = 3;
  const int64_t half = static_cast<int64_t>(limit.rlim_cur) / 2;
  DescriptorPlan plan{config.db_max_open, 0, config.js_spare_connections};
  const int64_t fits = std::max<int64_t>(1, half / kPerOpenHenv);
  if (config.db_max_open > fits) {
    plan.max_open_henvs = static_cast<int>(fits);
    Log(LogLevel::kWarn, "open file limit is " + std::to_string(limit.rlim_cur) + ": keeping at most " +
                             std::to_string(fits) + " henvs open, not --db_max_open " +
                             std::to_string(config.db_max_open) + " (raise `ulimit -n` to " +
                             std::to_string(int64_t{config.db_max_open} * kPerOpenHenv * 2) + " for that)");
  }
  const int64_t unaccounted = (static_cast<int64_t>(js::JsEngine::kMaxRetired) + int64_t{handler_threads}) * 2 *
                              kPerConnection;
  // Connections kept for henvs' next workers (JsEngine's shelf) hold as
  // many as a worker's: at most a quarter of what workers may hold.
  const int64_t for_connections = std::max<int64_t>(
      4, (half - int64_t{plan.max_open_henvs} * kHeldByHenv - unaccounted) / kPerConnection);
  plan.spare_connections = static_cast<int>(std::min<int64_t>(config.js_spare_connections, for_connections / 4));
  plan.max_worker_connections = static_cast<int>(std::max<int64_t>(4, for_connections - plan.spare_connections));
  return plan;
}

int Serve(const Config& config) {
  TuneProcessHeap();
  ConfigureLogging(config.log_level, config.log_format);
  metrics::SetCounting(config.metrics);
  if (!config.log_file.empty()) {
    if (auto opened = OpenLogFile(config.log_file); !opened.ok()) {
      std::fprintf(stderr, "hbf: --log_file: %s\n", opened.error().message.c_str());
      return 1;
    }
  }
  const int cores = CoresAvailable();
  const int handler_threads = config.resolved_handler_threads(cores);
  const DescriptorPlan descriptors = PlanDescriptors(config, handler_threads);
  // One henv never holds more than half the handler threads, so the others
  // are always served while it is busy.
  const int per_henv = std::clamp(config.resolved_js_workers_per_henv(cores), 1, std::max(1, handler_threads / 2));
  if (!crypto::InitializeCrypto()) {
    Log(LogLevel::kError, "libsodium failed to initialise");
    return 1;
  }
  std::string dir_error;
  if (!MakeDirs(config.storage_dir, dir_error)) {
    std::fprintf(stderr, "hbf: --storage_dir: cannot create %s\n", dir_error.c_str());
    return 1;
  }

  // Block the shutdown signals in every thread (the mask is inherited), then
  // take them synchronously on this thread with sigwait: no async handlers.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);  // reopen --log_file (logrotate)
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  auto proxies = TrustedProxies::Parse(config.trusted_proxies);
  if (!proxies.ok()) {
    std::fprintf(stderr, "hbf: --trusted_proxies: %s\n", proxies.error().message.c_str());
    return 2;  // a bad flag value, as Config's own checks answer
  }
  std::optional<lifecycle::SmtpTarget> smtp;
  if (!config.smtp_url.empty()) {
    auto target = lifecycle::ParseSmtpUrl(config.smtp_url);
    if (!target.ok()) {
      std::fprintf(stderr, "hbf: --smtp_url: %s\n", target.error().message.c_str());
      return 2;
    }
    smtp = *target;
  }
  HenvManagerOptions henv_options;
  henv_options.storage_dir = config.storage_dir;
  henv_options.max_open = static_cast<size_t>(descriptors.max_open_henvs);
  henv_options.close_connection_idle = std::chrono::seconds(config.db_close_idle_s);
  henv_options.max_storage_bytes = int64_t{config.henv_max_storage_mb} << 20;
  HenvManager henvs(henv_options);
  // Each henv's own log (GET /_api/logs): console output, script failures,
  // slow requests. Declared before everything that appends to it.
  HenvLogOptions log_options;
  log_options.storage_dir = config.storage_dir;
  log_options.max_file_bytes = int64_t{config.henv_log_kb} * 1024;
  HenvLogHub henv_logs(log_options);
  auth::LoginThrottle throttle;  // failed logins per account
  // Per client address, across accounts and henvs: more allowance, since many
  // users may share an address. Shared by POST /login and hbf:auth.
  auth::LoginThrottle address_throttle(auth::LoginThrottle::Options{.free_failures = 20});
  // (before the first worker: the image is checked against it when captured)
  if (config.js_image_profile) js::SetImageProfile(&js::kBuildImageProfile);
  js::EngineOptions js_options;
  js_options.memory_budget_bytes = int64_t{config.js_memory_mb} * 1024 * 1024;
  // Workers per henv: those running (at most per_henv, the dispatcher's
  // share) plus those parked while their handler awaits a timer.
  js_options.max_workers_per_henv = per_henv * 4;
  js_options.max_worker_connections = descriptors.max_worker_connections;
  js_options.copy_blank_workers = config.js_copy_workers;
  js_options.bound_images = config.js_bound_images;
  js_options.transient_workers = config.js_transient_workers;
  js_options.drop_workers_whole = config.js_drop_workers_whole;
  js_options.hibernation = config.js_hibernate == Config::Hibernate::kAuto     ? js::EngineOptions::Hibernation::kWhenCheaper
                           : config.js_hibernate == Config::Hibernate::kAlways ? js::EngineOptions::Hibernation::kAlways
                                                                               : js::EngineOptions::Hibernation::kNever;
  js_options.spare_connections = descriptors.spare_connections;
  js_options.login_throttle = &throttle;  // hbf:auth's login() shares POST /login's lockouts
  js_options.address_throttle = &address_throttle;
  js_options.logs = &henv_logs;  // console.* of a henv's scripts
  WsLimits ws_limits;
  ws_limits.max_per_henv = config.ws_max_per_henv;
  ws_limits.max_total = config.ws_max_connections;
  WsHub ws_hub(ws_limits);  // outlives the engine and the server (declared before both)
  js_options.ws_hub = &ws_hub;
  js::JsEngine scripts(js_options);

  HttpServer* server_ptr = nullptr;
  RuntimeProbe probe;
  probe.in_flight_requests = [&server_ptr] { return server_ptr ? server_ptr->in_flight() : 0; };
  probe.draining = [&server_ptr] { return server_ptr ? server_ptr->draining() : false; };
  App app(config, henvs, throttle, address_throttle, scripts, henv_logs, probe);
  // Live record changes (/_api/realtime): every connection to a henv file
  // reports its commits here. Stopped explicitly after the server (its
  // thread uses the henvs and the WsHub).
  RealtimeHub::Options realtime_options;
  realtime_options.max_per_henv = config.realtime_max_per_henv;
  auto realtime = std::make_shared<RealtimeHub>(
      henvs, &ws_hub, [&scripts](const std::string& henv, const std::string& path) { return scripts.IsServerCode(henv, path); },
      realtime_options, [] {
        return static_cast<int64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
      });
  henvs.SetChangeListener(realtime);
  app.SetRealtime(realtime.get());
  // Custom domains: the index in the storage folder, its refresher and its
  // verifier threads. Reset explicitly after the server stops (the verifier
  // writes audit entries through `henvs`).
  domains::DomainRouter::Options domain_options;
  domain_options.storage_dir = config.storage_dir;
  domain_options.fetch.connect_to = config.domain_verify_connect;
  domain_options.on_verified = [&henvs](const domains::DomainRecord& d) {
    auto henv = henvs.Open(d.henv);
    if (!henv.ok()) return;  // trashed meanwhile: the domain stays, routing to a 404
    Status s = (*henv)->WithDb([&](db::Database& db) {
      return auth::RecordAudit(db, 0, "hbf", "domain.verify", "domain:" + d.domain, Json::MakeObject({{"via", "dns"}}));
    });
    if (!s.ok()) Log(LogLevel::kWarn, "henv " + d.henv + ": audit entry for " + d.domain + " not written: " + s.error().message);
  };
  auto domain_router = domains::DomainRouter::Start(std::move(domain_options));
  if (!domain_router.ok()) {
    std::fprintf(stderr, "hbf: custom domains: %s\n", domain_router.error().message.c_str());
    return 1;
  }
  std::unique_ptr<domains::DomainRouter> domain_routing = std::move(*domain_router);
  app.SetDomains(domain_routing.get());

  ServerOptions options;
  options.bind = config.bind;
  options.port = config.port;
  options.io_threads = config.resolved_http_threads(cores);
  options.handler_threads = handler_threads;
  options.per_key_concurrency = per_henv;
  options.running_threads = config.resolved_running_threads(cores);
  options.queue_timeout = std::chrono::milliseconds(config.qjs_timeout_ms);
  options.max_body_bytes = config.max_body_bytes();
  options.max_header_bytes = static_cast<size_t>(config.max_header_kb) * 1024;
  options.max_headers = static_cast<size_t>(config.max_headers);
  options.header_timeout_ms = config.header_timeout_ms;
  options.keep_alive_timeout_ms = config.keep_alive_timeout_ms;
  options.send_timeout_ms = config.send_timeout_ms;
  options.min_body_rate = config.min_body_rate;
  options.max_connections = config.max_connections;
  options.max_connections_per_ip = config.max_connections_per_ip;
  options.ws_hub = &ws_hub;
  options.ws_max_message_bytes = static_cast<size_t>(config.ws_max_message_kb) * 1024;
  options.ws_max_buffered_bytes = static_cast<size_t>(config.ws_max_buffered_kb) * 1024;
  options.ws_ping_interval_ms = config.ws_ping_interval_s * 1000;
  options.ws_pong_timeout_ms = config.ws_ping_interval_s * 500;
  options.proxy.trust_proxy = config.trust_proxy;  // whose X-Request-Id is kept
  options.proxy.proxies = *proxies;
  HttpServer server(options, app);
  server_ptr = &server;
  // Parked scripts (awaiting a timer) go on on a handler thread, in their
  // henv's turn.
  scripts.SetResumeExecutor(
      [&server](const std::string& key, std::function<void()> task) { server.Post(key, std::move(task)); });
  if (auto started = server.Start(); !started.ok()) {
    std::fprintf(stderr, "hbf: %s\n", started.error().message.c_str());
    Log(LogLevel::kError, started.error().message);
    return 1;
  }
  const bool ipv6 = config.bind.find(':') != std::string::npos;
  std::string shown_host = ipv6 ? "[" + config.bind + "]" : config.bind;
  const std::string listening = "hbf " + std::string(kVersion) + " listening on http://" + shown_host + ":" +
                                std::to_string(server.port()) + " (base domain " + config.base_domain +
                                ", storage " + config.storage_dir + "; " + std::to_string(options.io_threads) +
                                " I/O loops, " + std::to_string(handler_threads) + " handler threads, " +
                                std::to_string(per_henv) + " per henv)";
  Log(LogLevel::kInfo, listening);
  // With --log_file the terminal (or the service manager's journal) still
  // learns that the server is up, and where its log went.
  if (!config.log_file.empty()) std::fprintf(stderr, "%s; log: %s\n", listening.c_str(), config.log_file.c_str());

  // The inactivity sweep: daily, and the outbox every minute (--smtp_url).
  lifecycle::Sweeper::Options sweep_options;
  sweep_options.sweep = SweepOptionsFor(config);
  sweep_options.sweep.on_trashed = [&henvs](const std::string& hash) { henvs.Forget(hash); };
  sweep_options.smtp = smtp;
  sweep_options.now_unix = [] {
    return static_cast<int64_t>(
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
  };
  std::optional<lifecycle::Sweeper> sweeper;
  sweeper.emplace(std::move(sweep_options));

  int signal_number = 0;
  for (;;) {
    sigwait(&signals, &signal_number);
    if (signal_number != SIGHUP) break;
    // logrotate renamed the file (or will truncate it): reopen by name, no
    // drain. Without --log_file there is nothing to reopen.
    if (config.log_file.empty()) continue;
    if (auto reopened = ReopenLogFile(); !reopened.ok()) {
      std::fprintf(stderr, "hbf: SIGHUP: cannot reopen --log_file: %s\n", reopened.error().message.c_str());
      continue;  // the old file keeps the lines
    }
    Log(LogLevel::kInfo, "received SIGHUP; reopened " + config.log_file);
  }
  // Drain first, then say so: whoever reads the line (an operator, a test)
  // may rely on new requests being turned away from then on.
  server.BeginDrain();
  Log(LogLevel::kInfo, std::string("received ") + (signal_number == SIGINT ? "SIGINT" : "SIGTERM") +
                           "; draining in-flight requests");
  // Parked log tails (GET /_api/logs?wait=) count as in flight: answer them
  // now rather than wait out the drain for them.
  henv_logs.ReleaseWaiters();
  if (!server.WaitIdle(std::chrono::milliseconds(config.drain_timeout_ms))) {
    Log(LogLevel::kWarn, "drain timeout reached with " + std::to_string(server.in_flight()) +
                             " request(s) still in flight; closing them");
  }
  // Stop() joins the handler threads. A handler stuck past the drain timeout
  // would block it forever, so a watchdog bounds the wait.
  std::thread watchdog([&config] {
    std::this_thread::sleep_for(std::chrono::milliseconds(config.drain_timeout_ms) + std::chrono::seconds(5));
    Log(LogLevel::kError, "shutdown did not finish; exiting without waiting for stuck workers");
    std::_Exit(1);
  });
  NameThread(watchdog, "hbf-watchdog");
  watchdog.detach();
  server.Stop();
  domain_routing.reset();
  realtime->Stop();
  scripts.Shutdown();  // parked requests refer to the app: drop them first
  scripts.DropIdleWorkers();
  sweeper.reset();
  henv_logs.Shutdown();
  henvs.CloseAll();
  Log(LogLevel::kInfo, "stopped");
  return 0;
}

// `hbf modules add --henv HASH [--force] PATH...`: installs packages with
// their dependencies into a henv on disk (package_tree.h says what PATHs
// may be). Safe while a server runs on the same storage: SQLite serialises
// writers and the server notices the new code on its next request.
int ModulesAdd(const Invocation& inv) {
  ConfigureLogging(LogLevel::kWarn, LogFormat::kText);
  if (!crypto::InitializeCrypto()) return 1;
  std::vector<docs::PackageSource> sources;
  docs::PackageSource loose{"package.json and lockfile", {}};
  for (const auto& path : inv.package_paths) {
    std::error_code ec;
    const std::string leaf = std::filesystem::path(path).filename().string();
    Result<std::vector<docs::PackageSource>> read = std::vector<docs::PackageSource>{};
    if (std::filesystem::is_directory(path, ec)) {
      auto files = docs::ReadDirectory(path);
      if (files.ok()) read->push_back(docs::PackageSource{path, std::move(*files)});
      else read = files.error();
    } else {
      std::ifstream in(path, std::ios::binary);
      if (!in) {
        std::fprintf(stderr, "hbf: cannot read %s\n", path.c_str());
        return 1;
      }
      std::ostringstream bytes;
      bytes << in.rdbuf();
      if (leaf == "package.json" || leaf == "package-lock.json" || leaf == "npm-shrinkwrap.json") {
        loose.files.push_back(docs::PackageFile{leaf, bytes.str()});
        continue;
      }
      read = docs::SourcesFromArchive(bytes.str(), path);
    }
    if (!read.ok()) {
      std::fprintf(stderr, "hbf: %s\n", read.error().message.c_str());
      return 1;
    }
    for (auto& source : *read) sources.push_back(std::move(source));
  }
  if (!loose.files.empty()) sources.push_back(std::move(loose));
  auto plan = docs::PlanInstall(std::move(sources));
  if (!plan.ok()) {
    std::fprintf(stderr, "hbf: %s\n", plan.error().message.c_str());
    return 1;
  }
  HenvManagerOptions options;
  options.storage_dir = inv.config.storage_dir;
  options.start_janitor = false;
  HenvManager henvs(options);
  auto henv = henvs.Open(inv.henv);
  if (!henv.ok()) {
    std::fprintf(stderr, "hbf: %s\n", henv.error().message.c_str());
    return 1;
  }
  auto report = (*henv)->WithDb([&](db::Database& db) { return docs::InstallTree(db, *plan, inv.force); });
  if (!report.ok()) {
    std::fprintf(stderr, "hbf: %s\n", report.error().message.c_str());
    return 1;
  }
  if (!report->committed) {
    std::fprintf(stderr, "hbf: missing dependencies (nothing was installed; --force installs anyway):\n");
    for (const auto& m : report->missing) std::fprintf(stderr, "  %s\n", m.Describe().c_str());
    return 1;
  }
  for (const auto& w : report->warnings) std::fprintf(stderr, "hbf: warning: %s\n", w.c_str());
  for (const auto& p : report->packages) {
    std::printf("installed %s@%s (%zu files) into %s as modules/%s/\n", p.name.c_str(), p.version.c_str(), p.files,
                inv.henv.c_str(), p.dir.c_str());
  }
  return 0;
}

}  // namespace
}  // namespace hbf

int main(int argc, char** argv) {
  using namespace hbf;
  std::vector<std::string> args(argv, argv + argc);
  // Commands with their own flags (not the server's): parsed by their own code.
  if (args.size() >= 2 && args[1] == "healthcheck") return cli::RunHealthcheck({args.begin() + 2, args.end()});
  if (args.size() >= 2 && args[1] == "cluster") return cli::RunClusterCommand({args.begin() + 2, args.end()});
  if (args.size() >= 2 && args[1] == "domains") return cli::RunDomainsCommand({args.begin() + 2, args.end()});
  auto parsed = ParseCommandLine(args, ProcessEnv());
  if (!parsed.ok()) {
    std::fprintf(stderr, "hbf: %s\n", parsed.error().message.c_str());
    return 2;
  }
  switch (parsed->command) {
    case Command::kHelp:
      std::fputs(UsageText().c_str(), stdout);
      return 0;
    case Command::kVersion: {
      const BuildInfo build = GetBuildInfo();
      std::printf("hbf %s\ncommit: %s\nbuild: %s, configured %s\ncompiler: %s\nSQLite %s\nQuickJS %s\nllhttp %s\nlibsodium %s\n"
                  "zlib %s\nLZ4 %s\nNettle %s\nICU %s (tz data %s)\nmalloc: %s\n",
                  kVersion, build.git_commit, build.build_type, build.build_date, build.compiler, db::SqliteVersion().c_str(),
                  js::QuickJsVersion().c_str(), LlhttpVersion().c_str(), crypto::SodiumVersion().c_str(),
                  codec::ZlibVersion().c_str(), codec::Lz4Version().c_str(), crypto::NettleVersion().c_str(), js::IcuVersion().c_str(),
                  js::IcuTzdataVersion().c_str(), HeapAllocatorVersion().c_str());
      return 0;
    }
    case Command::kHash:
      if (!crypto::InitializeCrypto()) return 1;
      std::printf("%s\n", HenvHash(parsed->hash_input).c_str());
      return 0;
    case Command::kModulesAdd:
      return ModulesAdd(*parsed);
    case Command::kServe:
      return Serve(parsed->config);
    case Command::kBackup:
    case Command::kBackupAll:
    case Command::kRestore:
    case Command::kHenvExport:
    case Command::kHenvImport:
    case Command::kHenvUntrash:
    case Command::kSweep:
      return RunLifecycleCommand(*parsed);
  }
  return 0;
}
