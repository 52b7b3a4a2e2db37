// The per-request cost of the JavaScript path alone: JsEngine::Run on the
// bench app (bench/scenarios/router.js, views/page.ejs) with the real
// built-ins, in-process, no HTTP. Prints ns per request for each route, the
// median of several rounds. For A/B of changes to hbf:http, hbf:router and
// the worker's dispatch, free of wrk's and the kernel's share of the CPU.
//   bench/dispatch/run [ROUNDS] [REQUESTS_PER_ROUND] [ROUTER_JS PATH...]
// With ROUTER_JS, that router instead of the bench app's, GET at each PATH;
// a PATH written POST:/posts is a POST of a small JSON body (the write
// scenario's shape, a new title each time).
// DISPATCH_BENCH_SHOW=1 prints each route's last response body and the
// workers' heap after it; DISPATCH_BENCH_TAIL=1 the spread of single
// requests' times (p50 ... max, all rounds after the first). Built with
// HBF_HEAP_TRACK (bench/tools/worker_heap.sh), DISPATCH_BENCH_HEAP=FILE
// writes the live JavaScript heap's blocks to FILE after the last route.
// DISPATCH_BENCH_BLANKS=N times blank workers instead, copied (the
// default, js/worker_image.h) then built: N made while the oldest beyond 8
// is destroyed (a server's churn, memory reused), then N made and kept
// (fresh memory each), then those N destroyed; microseconds per worker.
// DISPATCH_BENCH_BINDS=N: N times, /hello to the henv with no worker (a
// blank one copied, bound to the router, dropped after); microseconds each.
// DISPATCH_BENCH_SPARE_CONNECTIONS=0: no connection kept for the next worker.
// DISPATCH_BENCH_HIBERNATE=1: after each request, the idle workers are
// trimmed and hibernated (JsEngine::HibernateIdleWorkers), so each request
// wakes one; ns/req leaves that out and is printed with the mean time the
// trim and hibernation took, and the mean bytes a hibernated worker holds.
// DISPATCH_BENCH_HIBERNATE=trim: trimmed only (each request meets a trimmed
// worker, awake), for comparison.
// Under `valgrind --tool=callgrind --instr-atstart=no` only the rounds after
// the first are simulated (set-up, warm-up and tear-down run at speed).
// DISPATCH_BENCH_NO_PROFILE=1: no image profile (js/image_profile.h): a
// cold worker is prefetched whole.
// DISPATCH_BENCH_HENVS=N: N henvs with the same router, each request to the
// next in turn (every request meets a worker N requests colder): what many
// warm tenants cost in the CPU's caches, without HTTP. The bench app's
// henvs are seeded with 100 posts each (ids 1-100), not 10,000.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define HBF_CALLGRIND_START() CALLGRIND_START_INSTRUMENTATION
#define HBF_CALLGRIND_STOP() CALLGRIND_STOP_INSTRUMENTATION
#else
#define HBF_CALLGRIND_START() ((void)0)
#define HBF_CALLGRIND_STOP() ((void)0)
#endif

#include "crypto/crypto.h"
#include "documents/document_store.h"
#include "henv/henv_manager.h"
#include "js/engine.h"
#include "js/image_profile.h"
#include "js/worker.h"  // (src/js's own: DISPATCH_BENCH_BLANKS makes blank workers)
#include "js/worker_image.h"
#ifdef HBF_HEAP_TRACK
#include "js/allocator.h"  // (src/js's own: the tracker's dump)
#endif

namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

int main(int argc, char** argv) {
  using namespace hbf;
  using Clock = std::chrono::steady_clock;
  const std::string root = argc > 1 ? argv[1] : ".";
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 5;
  const int per_round = argc > 3 ? std::atoi(argv[3]) : 20000;
  const bool show = std::getenv("DISPATCH_BENCH_SHOW") != nullptr;  // print each route's last body
  const bool tail = std::getenv("DISPATCH_BENCH_TAIL") != nullptr;  // print single requests' spread
  const bool hibernate = std::getenv("DISPATCH_BENCH_HIBERNATE") != nullptr;
  if (!crypto::InitializeCrypto()) return 1;
  if (std::getenv("DISPATCH_BENCH_DEBUG") != nullptr) ConfigureLogging(LogLevel::kDebug, LogFormat::kText);
  if (std::getenv("DISPATCH_BENCH_NO_PROFILE") == nullptr) js::SetImageProfile(&js::kBuildImageProfile);
  char tmpl[] = "/tmp/hbf-dispatch-bench-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) return 1;
  const std::string dir = tmpl;
  int rc = 0;
  {
    HenvManagerOptions henv_options;
    henv_options.storage_dir = dir;
    henv_options.start_janitor = false;
    HenvManager henvs(henv_options);
    js::EngineOptions engine_options;
    engine_options.spare_workers = 0;  // (so that the memory printed is the henv's worker alone)
    // DISPATCH_BENCH_BUILT=1: workers built, not copied (js/worker_image.h).
    engine_options.copy_blank_workers = std::getenv("DISPATCH_BENCH_BUILT") == nullptr;
    // DISPATCH_BENCH_NO_BOUND=1: every worker binds (no bound images, js/bound_image.h).
    engine_options.bound_images = std::getenv("DISPATCH_BENCH_NO_BOUND") == nullptr;
    // DISPATCH_BENCH_SPARE_CONNECTIONS=N: connections kept for the henv's next worker (connection_shelf.h).
    if (const char* spare = std::getenv("DISPATCH_BENCH_SPARE_CONNECTIONS")) engine_options.spare_connections = std::atoi(spare);
    // DISPATCH_BENCH_HIBERNATE=trim: trimmed only, not hibernated (the A/B's other side); =1:
    // hibernated every time, whatever a wake costs against a new worker (what it times).
    if (hibernate) {
      engine_options.hibernation = std::string(std::getenv("DISPATCH_BENCH_HIBERNATE")) == "trim"
                                       ? js::EngineOptions::Hibernation::kNever
                                       : js::EngineOptions::Hibernation::kAlways;
    }
    js::JsEngine engine(engine_options);
    if (const char* blanks = std::getenv("DISPATCH_BENCH_BLANKS"); blanks != nullptr) {
      const int n = std::max(1, std::atoi(blanks));
      const auto us = [n](Clock::duration d) { return std::chrono::duration<double, std::micro>(d).count() / n; };
      for (const bool copy : {true, false}) {
        js::ScriptResult::Failure failure;
        const auto make = [&] { return js::Worker::CreateBlank(js::ScriptLimits{}, failure, copy); };
        make();  // (the first: the image is captured)
        std::vector<std::unique_ptr<js::Worker>> alive;
        const auto t0 = Clock::now();
        for (int i = 0; i < n; ++i) {
          alive.push_back(make());
          if (alive.size() > 8) alive.erase(alive.begin());
        }
        const auto t1 = Clock::now();
        alive.clear();
        const auto t2 = Clock::now();
        for (int i = 0; i < n; ++i) alive.push_back(make());
        const auto t3 = Clock::now();
        alive.clear();
        const auto t4 = Clock::now();
        if (!failure.message.empty()) std::fprintf(stderr, "failed: %s\n", failure.message.c_str());
        std::printf("%s: made and destroyed %.1f us; made, fresh memory %.1f us; destroyed %.1f us\n",
                    copy ? "copied" : "built", us(t1 - t0), us(t3 - t2), us(t4 - t3));
      }
      if (const js::WorkerImage* image = js::WorkerImage::Get()) {
        std::printf("image: %zu bytes, %zu pointer words\n", image->bytes(), image->pointer_words());
      }
      return 0;
    }
    const char* henvs_env = std::getenv("DISPATCH_BENCH_HENVS");
    const int henv_count = henvs_env != nullptr ? std::max(1, std::atoi(henvs_env)) : 1;
    const std::string scenarios = root + "/bench/scenarios/";
    const std::string router_file = argc > 4 ? std::string(argv[4]) : scenarios + "router.js";
    std::vector<std::shared_ptr<Henv>> tenants;
    for (int t = 0; t < henv_count; ++t) {
      char name[16];
      std::snprintf(name, sizeof name, "d%07d", t);
      auto created = henvs.Create(t == 0 ? std::string("dispbnch") : std::string(name),
                                  [](db::Database&) -> Status { return Ok{}; });
      if (!created.ok()) {
        std::fprintf(stderr, "cannot create the henv: %s\n", created.error().message.c_str());
        return 1;
      }
      Henv& tenant = **created;
      for (auto [id, type, file] : {std::tuple{"_system/router.js", "text/javascript", router_file},
                                    std::tuple{"views/page.ejs", "text/plain; charset=utf-8", scenarios + "page.ejs"}}) {
        const std::string source = ReadFile(file);
        auto put = tenant.WithDb([&](db::Database& db) { return docs::PutDocument(db, id, type, source); });
        if (!put.ok() || source.empty()) {
          std::fprintf(stderr, "cannot store %s\n", file.c_str());
          return 1;
        }
      }
      tenant.RefreshCodeVersion();
      tenants.push_back(*created);
    }
    Henv& henv = *tenants.front();
    js::ScriptLimits limits;
    limits.timeout_ms = 30000;
    limits.memory_bytes = int64_t{64} << 20;
    auto request = [&](const std::string& method, const std::string& path, const std::string& query) {
      js::ScriptRequest r;
      r.method = method;
      r.path = path;
      r.query = query;
      r.url = query.empty() ? path : path + "?" + query;
      r.ip = "127.0.0.1";
      r.protocol = "http";
      r.hostname = "dispbnch.localhost";
      r.headers = {{"host", "dispbnch.localhost"}, {"user-agent", "wrk"}, {"accept", "*/*"}};
      return r;
    };
    // (a router of one's own may have no /_bench/seed: only the bench app's must answer it)
    for (const auto& tenant : tenants) {
      js::ScriptResult seeded =
          engine.Run(*tenant, limits, request("POST", "/_bench/seed", henv_count == 1 ? "n=10000" : "n=100"));
      if (argc <= 4 && (seeded.kind != js::ScriptResult::Kind::kResponse || seeded.response.status != 200)) {
        std::fprintf(stderr, "seeding failed: %s\n", seeded.error.message.c_str());
        return 1;
      }
    }
    // The worker measured is the process's second: the first one's runtime
    // read the built-ins' function code for all later ones to share (QuickJS
    // patch 0019), as a server's first worker does; every other worker is
    // like the second.
    engine.DropIdleWorkers();
    if (const char* binds = std::getenv("DISPATCH_BENCH_BINDS"); binds != nullptr) {
      // Each request meets the henv without a worker: a blank one is copied
      // and bound (the router read and evaluated), answers, and is dropped.
      const int n = std::max(1, std::atoi(binds));
      const js::ScriptRequest hello = request("GET", "/hello", "");
      const auto start = Clock::now();
      for (int i = 0; i < n; ++i) {
        js::ScriptResult r = engine.Run(henv, limits, hello);
        if (r.kind != js::ScriptResult::Kind::kResponse || r.response.status != 200) {
          std::fprintf(stderr, "/hello answered %d %s\n", r.response.status, r.error.message.c_str());
          return 1;
        }
        engine.DropIdleWorkers();
      }
      const js::JsEngine::Stats stats = engine.stats();
      std::printf("bound, answered /hello and dropped: %.1f us per worker (%llu copied bound, %d bound images, "
                  "%lld bytes, %llu failed)\n",
                  std::chrono::duration<double, std::micro>(Clock::now() - start).count() / n,
                  static_cast<unsigned long long>(stats.made_bound), stats.bound_images,
                  static_cast<long long>(stats.bound_image_bytes), static_cast<unsigned long long>(stats.bound_failures));
      return 0;
    }
    struct Case {
      const char* name;
      std::string path;
    };
    std::vector<Case> cases = {{"hello", "/hello"}, {"read", "/posts/42"}, {"template", "/page/42"}};
    if (argc > 5) {
      cases.clear();
      for (int i = 5; i < argc; ++i) cases.push_back({argv[i], argv[i]});
    }
    std::printf("%-9s %12s %12s %12s\n", "route", "ns/req", "min", "max");
    for (const Case& c : cases) {
      const bool post = c.path.rfind("POST:", 0) == 0;
      js::ScriptRequest req = request(post ? "POST" : "GET", post ? c.path.substr(5) : c.path, "");
      if (post) req.headers.emplace_back("content-type", "application/json");
      int written = 0;
      std::vector<double> per_request;
      std::vector<double> singles;  // ns of each request (DISPATCH_BENCH_TAIL)
      double hibernate_ns = 0;       // DISPATCH_BENCH_HIBERNATE: in HibernateIdleWorkers, all rounds
      int64_t hibernated_bytes = 0;  // what the hibernated workers held, summed after each
      int64_t hibernations = 0;
      int64_t hibernate_calls = 0;
      for (int round = 0; round <= rounds; ++round) {
        // (under `valgrind --tool=callgrind --instr-atstart=no`: from the
        // first measured round on, set-up and warm-up left out)
        if (round == 1) HBF_CALLGRIND_START();
        const auto start = Clock::now();
        double round_hibernate_ns = 0;
        for (int i = 0; i < per_round; ++i) {
          if (post) req.body = "{\"title\":\"Written " + std::to_string(++written) +
                               "\",\"body\":\"A small post body written by the benchmark.\"}";
          const auto single_start = tail ? Clock::now() : Clock::time_point{};
          js::ScriptResult r = engine.Run(*tenants[i % tenants.size()], limits, req);
          if (tail && (round > 0 || rounds == 0)) {
            singles.push_back(std::chrono::duration<double, std::nano>(Clock::now() - single_start).count());
          }
          if (r.kind != js::ScriptResult::Kind::kResponse || r.response.status / 100 != 2) {
            std::fprintf(stderr, "%s answered %d %s\n", c.path.c_str(), r.response.status, r.error.message.c_str());
            rc = 1;
            break;
          }
          if (show && i == per_round - 1) std::printf("%s\n", r.response.body.c_str());
          if (hibernate) {
            const auto h0 = Clock::now();
            const int n = engine.HibernateIdleWorkers();
            round_hibernate_ns += std::chrono::duration<double, std::nano>(Clock::now() - h0).count();
            ++hibernate_calls;
            const js::JsEngine::Stats stats = engine.stats();
            if (n > 0 && stats.hibernated_workers > 0) {
              hibernated_bytes += stats.memory_bytes / stats.workers;  // (all idle: each hibernated)
              hibernations += n;
            }
          }
        }
        hibernate_ns += round_hibernate_ns;
        const double ns =
            (std::chrono::duration<double, std::nano>(Clock::now() - start).count() - round_hibernate_ns) / per_round;
        if (round > 0 || rounds == 0) per_request.push_back(ns);  // round 0 warms up (and is all there is with 0 rounds)
      }
      if (show) {
        const js::JsEngine::Stats stats = engine.stats();
        std::printf("(%d workers, %lld bytes of JavaScript heap)\n", stats.workers,
                    static_cast<long long>(stats.memory_bytes));
      }
      if (tail && !singles.empty()) {
        std::sort(singles.begin(), singles.end());
        const auto at = [&](size_t per_mille) { return singles[std::min(singles.size() - 1, per_mille * singles.size() / 1000)] / 1000; };
        std::printf("%s single requests (us): p50 %.0f  p90 %.0f  p99 %.0f  p99.9 %.0f  max %.0f  (%zu)\n", c.name,
                    at(500), at(900), at(990), at(999), singles.back() / 1000, singles.size());
      }
      HBF_CALLGRIND_STOP();
      if (hibernate && hibernate_calls > 0) {
        std::printf("%s: trim%s %.0f ns each; a hibernated worker holds %lld bytes (mean); %llu wakes\n", c.name,
                    hibernations > 0 ? " and hibernate" : "", hibernate_ns / static_cast<double>(hibernate_calls),
                    static_cast<long long>(hibernations > 0 ? hibernated_bytes / hibernations : 0),
                    static_cast<unsigned long long>(engine.stats().wakes));
      }
      std::sort(per_request.begin(), per_request.end());
      std::printf("%-9s %12.0f %12.0f %12.0f\n", c.name, per_request[per_request.size() / 2], per_request.front(),
                  per_request.back());
    }
#ifdef HBF_HEAP_TRACK
    if (const char* heap_file = std::getenv("DISPATCH_BENCH_HEAP"); heap_file != nullptr) {
      if (std::FILE* out = std::fopen(heap_file, "w")) {
        js::internal::DumpTrackedHeap(out);
        std::fclose(out);
      }
    }
#endif
  }
  std::filesystem::remove_all(dir);
  return rc;
}
