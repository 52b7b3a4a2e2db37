// A henv with one router script, run through HBF's JavaScript engine
// (src/js/engine.h) with the real built-in modules, for the fuzz targets
// whose code under test is JavaScript (hbf:router, hbf:templates). Each
// input is the body of a POST /fuzz; the script answers 200 or throws.
//
// The script signals a broken invariant by throwing an Error whose message
// starts with "invariant"; Run() aborts on that and on any other script
// error (the scripts catch what the code under test may legitimately
// throw). A script that runs out of time or memory is what the engine's
// limits are for: Run() counts those and carries on.
//
// Thread safety: one harness per process, used by libFuzzer's thread.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "crypto/crypto.h"
#include "documents/document_store.h"
#include "fuzz_input.h"
#include "henv/henv_manager.h"
#include "js/engine.h"

namespace hbf::fuzz {

class JsHarness {
 public:
  // `router_source` becomes the henv's _system/router.js.
  explicit JsHarness(const std::string& router_source) {
    Check(crypto::InitializeCrypto(), "libsodium did not initialise");
    const char* tmp = std::getenv("TMPDIR");
    std::string tmpl = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/hbf-fuzz-XXXXXX";
    Check(::mkdtemp(tmpl.data()) != nullptr, "mkdtemp failed");
    dir_ = tmpl;
    HenvManagerOptions options;
    options.storage_dir = dir_;
    options.start_janitor = false;
    henvs_ = std::make_unique<HenvManager>(options);
    js::EngineOptions engine_options;
    engine_options.spare_workers = 0;
    engine_ = std::make_unique<js::JsEngine>(engine_options);
    auto henv = henvs_->Create("fuzzfuzz", [&](db::Database& db) -> Status {
      auto put = docs::PutDocument(db, "_system/router.js", "text/javascript", router_source);
      if (!put.ok()) return put.error();
      return Ok{};
    });
    Check(henv.ok(), "cannot create the henv");
    henv_ = henv.value();
    henv_->RefreshCodeVersion();
    limits_.timeout_ms = 1000;
    limits_.memory_bytes = 64 << 20;
  }

  ~JsHarness() {
    std::fprintf(stderr, "js_harness: %zu inputs stopped by the time or memory limit\n", limited_);
    engine_.reset();
    henv_.reset();
    henvs_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  JsHarness(const JsHarness&) = delete;
  JsHarness& operator=(const JsHarness&) = delete;

  // Runs POST /fuzz with `body`; returns the response body. Aborts on a
  // broken invariant or an unexpected script error.
  std::string Run(std::string_view body) {
    js::ScriptRequest request;
    request.method = "POST";
    request.path = "/fuzz";
    request.url = "/fuzz";
    request.ip = "127.0.0.1";
    request.protocol = "http";
    request.hostname = "fuzzfuzz.localhost";
    request.headers.emplace_back("content-type", "application/octet-stream");
    request.headers.emplace_back("content-length", std::to_string(body.size()));
    request.body = std::string(body);
    const js::ScriptResult r = engine_->Run(*henv_, limits_, request);
    if (r.kind == js::ScriptResult::Kind::kResponse && r.response.status == 200) return r.response.body;
    if (r.kind == js::ScriptResult::Kind::kError &&
        (r.error.code == "script_timeout" || r.error.code == "script_memory")) {
      ++limited_;
      return {};
    }
    std::fprintf(stderr, "js_harness: kind %d status %d code %s\n  message: %s\n  at: %s\n  stack: %s\n  body: %s\n",
                 static_cast<int>(r.kind), r.response.status, r.error.code.c_str(), r.error.message.c_str(),
                 r.error.location.c_str(), r.error.stack.c_str(), r.response.body.c_str());
    Check(false, "the fuzz script failed");
    return {};
  }

  // Inputs stopped by the time or memory limit so far.
  size_t limited() const { return limited_; }

 private:
  std::string dir_;
  std::unique_ptr<HenvManager> henvs_;
  std::unique_ptr<js::JsEngine> engine_;
  std::shared_ptr<Henv> henv_;
  js::ScriptLimits limits_;
  size_t limited_ = 0;
};

}  // namespace hbf::fuzz
