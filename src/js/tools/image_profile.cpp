// hbf_image_profile OUTPUT.cpp VIEW.ejs APP.js...: writes kBuildImageProfile, the
// lines of the worker image that requests read (js/image_profile.h: why).
//
// For each APP.js (tools/image_profile_router.js, an hbf:router app, and
// tools/image_profile_express.js, the same routes in Express), a henv of
// its own gets it as _system/router.js and VIEW.ejs as views/page.ejs; a
// worker is copied from the image, as the server copies one, and bound to
// it. Each request below is served a few times, then once more traced:
// the worker's arena is made inaccessible (mprotect), each access faults,
// the handler records its address, opens that page and sets the trap flag,
// and after the one instruction the trap closes the page again. So every load and store into the arena is seen,
// not only the first to each page. A request whose trace reads most of the
// image ran a garbage collection (it walks every object) and is traced
// again: that is not what a request reads. The profile is every line of
// the image at least a quarter of the traced requests read (main: why).
//
// Where the trace cannot run (not x86-64 Linux) or fails, the profile is
// empty and the server prefetches a cold worker whole, as without one;
// js_image_profile_tests fails on x86-64 if the profile is empty or does
// not fit the image, so a build that lost it does not go unnoticed.
#include <signal.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "crypto/crypto.h"
#include "documents/document_store.h"
#include "henv/henv_manager.h"
#include "js/engine.h"
#include "js/worker.h"
#include "js/worker_image.h"

namespace {

// The trap flag and the fault's address in a signal's context: x86-64 Linux.
#if defined(__x86_64__) && defined(__linux__)
#define HBF_CAN_TRACE 1
#else
#define HBF_CAN_TRACE 0
#endif

// The trace's state, for the signal handlers (one thread: this one).
constexpr size_t kPage = 4096;
// A traced request makes ~15,000-45,000 accesses to the arena.
constexpr size_t kMaxAccesses = size_t{1} << 20;
char* traced_from = nullptr;
char* traced_to = nullptr;
uintptr_t* accesses = nullptr;
size_t access_count = 0;
constexpr int kMaxOpenPages = 16;  // one instruction touches a few pages at most
char* open_pages[kMaxOpenPages];
int open_count = 0;
bool trace_failed = false;
struct sigaction previous_segv;
struct sigaction previous_trap;

#if HBF_CAN_TRACE
constexpr greg_t kTrapFlag = 0x100;

void OnFault(int sig, siginfo_t* info, void* context) {
  char* at = static_cast<char*>(info->si_addr);
  if (at < traced_from || at >= traced_to || open_count == kMaxOpenPages) {
    // Not ours: as if the handler had never been set (the fault repeats).
    ::sigaction(SIGSEGV, &previous_segv, nullptr);
    (void)sig;
    return;
  }
  if (access_count < kMaxAccesses) {
    accesses[access_count++] = reinterpret_cast<uintptr_t>(at);
  } else {
    trace_failed = true;
  }
  char* page = reinterpret_cast<char*>(reinterpret_cast<uintptr_t>(at) & ~uintptr_t{kPage - 1});
  if (::mprotect(page, kPage, PROT_READ | PROT_WRITE) != 0) trace_failed = true;
  open_pages[open_count++] = page;
  static_cast<ucontext_t*>(context)->uc_mcontext.gregs[REG_EFL] |= kTrapFlag;
}

void OnStep(int, siginfo_t*, void* context) {
  for (int i = 0; i < open_count; ++i) {
    if (::mprotect(open_pages[i], kPage, PROT_NONE) != 0) trace_failed = true;
  }
  open_count = 0;
  static_cast<ucontext_t*>(context)->uc_mcontext.gregs[REG_EFL] &= ~kTrapFlag;
}
#endif

// Runs `serve` with every access to [from, to) recorded; false if the
// trace could not be made.
template <typename Serve>
bool Trace(char* from, char* to, std::vector<uintptr_t>& out, Serve serve) {
#if HBF_CAN_TRACE
  // (made once, not zeroed: the handlers write before anything reads)
  static const std::unique_ptr<uintptr_t[]> buffer = std::make_unique_for_overwrite<uintptr_t[]>(kMaxAccesses);
  accesses = buffer.get();
  access_count = 0;
  open_count = 0;
  trace_failed = false;
  traced_from = from;
  traced_to = to;
  struct sigaction on_fault {};
  on_fault.sa_sigaction = OnFault;
  on_fault.sa_flags = SA_SIGINFO;
  struct sigaction on_step {};
  on_step.sa_sigaction = OnStep;
  on_step.sa_flags = SA_SIGINFO;
  if (::sigaction(SIGSEGV, &on_fault, &previous_segv) != 0) return false;
  if (::sigaction(SIGTRAP, &on_step, &previous_trap) != 0) {
    ::sigaction(SIGSEGV, &previous_segv, nullptr);
    return false;
  }
  const bool closed = ::mprotect(from, static_cast<size_t>(to - from), PROT_NONE) == 0;
  const bool served = closed && serve();
  const bool reopened = ::mprotect(from, static_cast<size_t>(to - from), PROT_READ | PROT_WRITE) == 0;
  ::sigaction(SIGTRAP, &previous_trap, nullptr);
  ::sigaction(SIGSEGV, &previous_segv, nullptr);
  if (!reopened) {
    std::fprintf(stderr, "hbf_image_profile: cannot make the arena writable again\n");
    std::abort();
  }
  out.assign(accesses, accesses + access_count);
  return served && !trace_failed;
#else
  (void)from, (void)to, (void)out, (void)serve;
  return false;
#endif
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool WriteProfile(const std::string& path, uint64_t fingerprint, size_t image_bytes, const std::vector<size_t>& lines) {
  std::ostringstream out;
  out << "// Generated by hbf_image_profile (src/js/tools/image_profile.cpp): do not edit.\n"
      << "#include \"js/image_profile.h\"\n\nnamespace hbf::js {\n\n";
  if (lines.empty()) {
    out << "const ImageProfile kBuildImageProfile = {};\n";
  } else {
    out << "namespace {\nconstexpr uint16_t kHotLines[] = {";
    size_t n = 0;
    for (const size_t line : lines) out << (n++ % 16 == 0 ? "\n    " : " ") << line << ",";
    out << "\n};\n}  // namespace\n\n"
        << "const ImageProfile kBuildImageProfile = {" << fingerprint << "ull, " << image_bytes << "ull, kHotLines, "
        << lines.size() << "};\n";
  }
  out << "\n}  // namespace hbf::js\n";
  // Written only when it changed, so the build recompiles nothing else.
  if (ReadFile(path) == out.str()) return true;
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << out.str();
  return static_cast<bool>(file);
}

}  // namespace

namespace hbf {
namespace {

struct ProfiledRequest {
  const char* method;
  const char* path;
  const char* query;
  int status;  // 0: no route matched (the router hands it on, or Express answers 404)
};
constexpr ProfiledRequest kRequests[] = {
    {"GET", "/hello", "", 200},   {"GET", "/text", "", 200},      {"GET", "/items/1", "q=x", 200},
    {"GET", "/items", "", 200},   {"GET", "/items/999", "", 404}, {"GET", "/nowhere", "", 0},
    {"GET", "/page/1", "", 200},  {"POST", "/items", "", 201},
};

// Counts in `hot`, for each image line, the traced requests of `app` that read
// it, and in `traces` those requests; an error if it could not.
std::optional<std::string> TraceApp(HenvManager& henvs, const std::string& hash, const std::string& app_name,
                                    const std::string& app, const std::string& view, std::map<size_t, int>& hot,
                                    int& traces) {
  auto created = henvs.Create(hash, [](db::Database&) -> Status { return Ok{}; });
  if (!created.ok()) return "cannot create a henv: " + created.error().message;
  Henv& henv = **created;
  for (const auto& [id, type, source] : {std::tuple{"_system/router.js", "text/javascript", &app},
                                         std::tuple{"views/page.ejs", "text/plain; charset=utf-8", &view}}) {
    auto put = henv.WithDb([&](db::Database& db) { return docs::PutDocument(db, id, type, *source); });
    if (!put.ok()) return std::string("cannot store ") + id + ": " + put.error().message;
  }
  henv.RefreshCodeVersion();

  js::ScriptLimits limits;
  limits.timeout_ms = 60000;  // (traced, a request runs ~1,000 times slower)
  js::HenvPool pool;
  pool.hash = henv.hash();
  js::ScriptResult::Failure failure;
  std::unique_ptr<js::Worker> worker = js::Worker::Create(henv, pool, henv.code_version(), limits, failure, true);
  const js::WorkerImage* image = js::WorkerImage::Peek();
  if (!worker) return app_name + ": no worker: " + failure.message;
  if (image == nullptr) return "no worker image (workers are built)";
  const size_t image_bytes = image->bytes();
  const size_t image_lines = (image_bytes + 63) / 64;

  for (const ProfiledRequest& r : kRequests) {
    js::ScriptRequest request;
    request.method = r.method;
    request.path = r.path;
    request.query = r.query;
    request.url = request.query.empty() ? request.path : request.path + "?" + request.query;
    request.ip = "127.0.0.1";
    request.protocol = "http";
    request.hostname = hash + ".localhost";
    request.headers = {{"host", request.hostname}, {"user-agent", "hbf_image_profile"}, {"accept", "*/*"}};
    if (std::string(r.method) == "POST") {
      request.headers.emplace_back("content-type", "application/json");
      request.body = R"({"title":"a title"})";
    }
    const auto serve = [&] {
      const js::ScriptResult result = worker->Dispatch(request, limits);
      const bool answered = result.kind == js::ScriptResult::Kind::kResponse;
      const bool as_expected = r.status == 0 ? result.kind == js::ScriptResult::Kind::kNotHandled ||
                                                   (answered && result.response.status == 404)
                                             : answered && result.response.status == r.status;
      if (!as_expected) {
        std::fprintf(stderr, "hbf_image_profile: %s: %s %s answered %d, not %d (%s)\n", app_name.c_str(), r.method,
                     r.path, result.response.status, r.status, result.error.message.c_str());
      }
      return as_expected;
    };
    for (int i = 0; i < 5; ++i) {
      if (!serve()) return app_name + ": a request failed untraced";
    }
    bool traced = false;
    for (int attempt = 0; attempt < 3 && !traced; ++attempt) {
      char* from = const_cast<char*>(worker->arena_base());
      char* to = from + ((worker->arena_used_bytes() + kPage - 1) & ~(kPage - 1));
      std::vector<uintptr_t> seen;
      if (!Trace(from, to, seen, serve)) return app_name + ": the trace of " + r.path + " failed";
      std::set<size_t> lines;
      for (const uintptr_t at : seen) {
        const size_t offset = at - reinterpret_cast<uintptr_t>(from);
        if (offset < image_bytes) lines.insert(offset / 64);
      }
      // (a collection reads every object: not what a request reads)
      if (lines.size() > image_lines / 2) continue;
      traced = true;
      std::printf("hbf_image_profile: %s: %s %s read %zu of the image's %zu lines (%zu accesses)\n", app_name.c_str(),
                  r.method, r.path, lines.size(), image_lines, seen.size());
      for (const size_t line : lines) ++hot[line];
      ++traces;
    }
    if (!traced) return app_name + ": every trace of " + r.path + " read most of the image";
  }
  return std::nullopt;
}

}  // namespace
}  // namespace hbf

int main(int argc, char** argv) {
  using namespace hbf;
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s OUTPUT.cpp VIEW.ejs APP.js...\n", argv[0]);
    return 2;
  }
  const std::string output = argv[1];
  const std::string view = ReadFile(argv[2]);
  const auto no_profile = [&](const std::string& why) {
    std::printf("hbf_image_profile: no profile (%s): a cold worker is prefetched whole\n", why.c_str());
    return WriteProfile(output, 0, 0, {}) ? 0 : 1;
  };
  if (!HBF_CAN_TRACE) return no_profile("the trace needs x86-64 Linux");
  std::vector<std::pair<std::string, std::string>> apps;  // name, source
  for (int i = 3; i < argc; ++i) {
    apps.emplace_back(std::filesystem::path(argv[i]).filename().string(), ReadFile(argv[i]));
    if (apps.back().second.empty() || view.empty()) {
      std::fprintf(stderr, "hbf_image_profile: cannot read %s or %s\n", argv[i], argv[2]);
      return 1;
    }
  }
  if (!crypto::InitializeCrypto()) return no_profile("libsodium did not start");
  char dir_template[] = "/tmp/hbf-image-profile-XXXXXX";
  if (::mkdtemp(dir_template) == nullptr) return no_profile("no temporary directory");
  struct RemovedAtExit {
    std::string dir;
    ~RemovedAtExit() {
      std::error_code ignored;
      std::filesystem::remove_all(dir, ignored);
    }
  } const removed{dir_template};
  HenvManagerOptions henv_options;
  henv_options.storage_dir = removed.dir;
  henv_options.start_janitor = false;
  HenvManager henvs(henv_options);
  std::map<size_t, int> hot;  // line: how many traced requests read it
  int traces = 0;
  for (size_t i = 0; i < apps.size(); ++i) {
    const std::string hash = "imgprof" + std::to_string(i % 10);
    if (auto failed = TraceApp(henvs, hash, apps[i].first, apps[i].second, view, hot, traces)) return no_profile(*failed);
  }
  // The lines at least a quarter of the traced requests read. Every line
  // some request read (the union, ~1,500 for ~800 a request) was fetched
  // for every request met cold, most of it for other kinds of request, and
  // the fetch is bound by the memory's bandwidth: in process over 1,000
  // henvs (dispatch_bench, DISPATCH_BENCH_HENVS=1000, four alternating
  // rounds) a /hello took 24.7-35.6 us with the union, 22.7-23.6 us with a
  // quarter (~1,000 lines), 22.6-32.6 with three eighths; the bench app's
  // reads, template and writes were no slower. A line left out is a miss
  // where a request reads it, nothing worse.
  std::vector<size_t> kept;
  for (const auto& [line, reads] : hot) {
    if (4 * reads >= traces) kept.push_back(line);
  }
  const js::WorkerImage* image = js::WorkerImage::Peek();
  const size_t image_lines = (image->bytes() + 63) / 64;
  std::printf("hbf_image_profile: %zu of the image's %zu lines (%zu bytes; %zu read by any of %d traced requests), "
              "fingerprint %016llx\n", kept.size(), image_lines, image->bytes(), hot.size(), traces,
              static_cast<unsigned long long>(image->fingerprint()));
  return WriteProfile(output, image->fingerprint(), image->bytes(), kept) ? 0 : 1;
}
