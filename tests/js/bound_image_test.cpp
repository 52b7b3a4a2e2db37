// Bound images (src/js/bound_image.h), with the real built-ins: a henv
// whose bind leaves only its heap gets its later workers copied bound,
// and they answer as a bound one does; a bind that draws a random number,
// opens the henv's file or writes to the log is never captured; a code
// change is bound again; the images are counted in the engine's memory.
#include "js/bound_image.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "crypto/crypto.h"
#include "documents/document_store.h"
#include "henv/henv_manager.h"
#include "js/engine.h"
#include "js/worker_image.h"

namespace hbf::js {
namespace {

using Kind = ScriptResult::Kind;

class BoundImageTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_TRUE(crypto::InitializeCrypto()); }

  void SetUp() override {
    char tmpl[] = "/tmp/hbf-bound-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    HenvManagerOptions options;
    options.storage_dir = dir_;
    options.start_janitor = false;
    henvs_ = std::make_unique<HenvManager>(options);
    MakeEngine(true);
    ASSERT_NE(WorkerImage::Get(), nullptr) << "blank workers are built, not copied (see the log)";
  }

  void TearDown() override {
    engine_.reset();
    henvs_.reset();
    std::filesystem::remove_all(dir_);
  }

  // first_capture_max_bind: past it a compiling first bind captures at the
  // henv's next worker (an hour here: a bind under ASan or valgrind is
  // never too long for the tests that expect the capture at once).
  void MakeEngine(bool bound_images, std::chrono::nanoseconds first_capture_max_bind = std::chrono::hours(1)) {
    engine_.reset();
    EngineOptions options;
    options.spare_workers = 0;
    options.bound_images = bound_images;
    options.first_capture_max_bind = first_capture_max_bind;
    engine_ = std::make_unique<JsEngine>(options);
  }

  std::shared_ptr<Henv> MakeHenv(const std::string& hash, const std::string& router) {
    auto henv = henvs_->Create(hash, [](db::Database& db) -> Status {
      return db.Exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)");
    });
    EXPECT_TRUE(henv.ok()) << (henv.ok() ? "" : henv.error().message);
    SetRouter(**henv, router);
    return *henv;
  }

  static void SetRouter(Henv& henv, const std::string& source) {
    auto put = henv.WithDb(
        [&](db::Database& db) { return docs::PutDocument(db, "_system/router.js", "text/javascript", source); });
    ASSERT_TRUE(put.ok()) << put.error().message;
    henv.RefreshCodeVersion();
  }

  // `n` workers made, each answering `path` once and then dropped.
  std::vector<std::string> BodiesOfNewWorkers(Henv& henv, const std::string& path, int n) {
    std::vector<std::string> bodies;
    for (int i = 0; i < n; ++i) {
      ScriptRequest request;
      request.method = "GET";
      request.path = path;
      request.url = path;
      request.ip = "127.0.0.1";
      request.protocol = "http";
      request.hostname = henv.hash() + ".localhost";
      ScriptLimits limits;
      limits.timeout_ms = 5000;
      const ScriptResult r = engine_->Run(henv, limits, request);
      bodies.push_back(r.kind == Kind::kResponse ? r.response.body : "<" + r.error.code + ": " + r.error.message + ">");
      engine_->DropIdleWorkers();
    }
    return bodies;
  }

  std::string dir_;
  std::unique_ptr<HenvManager> henvs_;
  std::unique_ptr<JsEngine> engine_;
};

// Module state the bind made (a class instance, a Map, a closure's
// counter, the router's routes), as each new worker finds it.
constexpr const char* kStatefulRouter = R"(
import { Router } from "hbf:router";
import db from "hbf:db";
class Greeter { constructor(name) { this.name = name; } hi() { return "hi " + this.name; } }
const greeter = new Greeter("bound");
const seen = new Map([["a", 1], ["b", [2, 3]]]);
let count = 0;
const router = new Router();
router.get("/hello/:who", (req, res) => {
  count++;
  res.json({ hi: greeter.hi(), who: req.params.who, count, b: seen.get("b"), notes: db.query("SELECT * FROM notes").length });
});
router.get("/random", (req, res) => res.send(String(Math.random())));
export default router;
)";

TEST_F(BoundImageTest, AHenvsLaterWorkersAreCopiedBoundAndAnswerAsItsFirst) {
  auto henv = MakeHenv("boundaaa", kStatefulRouter);
  const std::vector<std::string> bodies = BodiesOfNewWorkers(*henv, "/hello/x", 4);
  for (const std::string& body : bodies) {
    EXPECT_EQ(body, R"({"hi":"hi bound","who":"x","count":1,"b":[2,3],"notes":0})");
  }
  const JsEngine::Stats stats = engine_->stats();
  // The first worker's bind compiled the router (a later bind reads its
  // bytecode: not alike), so two binds from the cache were compared then,
  // at the henv's first worker; the others are copies.
  EXPECT_EQ(stats.bound_images, 1);
  EXPECT_EQ(stats.made_bound, 3u);
  EXPECT_EQ(stats.bound_failures, 0u);
  EXPECT_GT(stats.bound_image_bytes, 0);
  EXPECT_LT(stats.bound_image_bytes, 64 << 10);
  EXPECT_EQ(stats.memory_bytes, stats.bound_image_bytes) << "no worker is left; the image is counted";
  // Each copy is a runtime of its own: Math.random is seeded afresh.
  const std::vector<std::string> draws = BodiesOfNewWorkers(*henv, "/random", 3);
  EXPECT_EQ(std::set<std::string>(draws.begin(), draws.end()).size(), 3u);
  EXPECT_EQ(engine_->stats().made_bound, 6u);
}

TEST_F(BoundImageTest, AFirstBindTooLongToRunTwiceMoreCapturesAtTheNextWorker) {
  MakeEngine(true, std::chrono::nanoseconds(1));
  auto henv = MakeHenv("boundlng", kStatefulRouter);
  for (const std::string& body : BodiesOfNewWorkers(*henv, "/hello/z", 4)) {
    EXPECT_EQ(body, R"({"hi":"hi bound","who":"z","count":1,"b":[2,3],"notes":0})");
  }
  const JsEngine::Stats stats = engine_->stats();
  // The first worker's compiling bind took longer than a nanosecond: not
  // followed by two more; the second worker captured, the others copies.
  EXPECT_EQ(stats.bound_images, 1);
  EXPECT_EQ(stats.made_bound, 2u);
  EXPECT_EQ(stats.bound_failures, 0u);
}

TEST_F(BoundImageTest, ABindThatDrawsARandomNumberIsNotCaptured) {
  auto henv = MakeHenv("boundrnd",
                       "import { Router } from 'hbf:router'; const drawn = String(Math.random());"
                       "const router = new Router(); router.get('/', (req, res) => res.send(drawn));"
                       "export default router;");
  const std::vector<std::string> bodies = BodiesOfNewWorkers(*henv, "/", 4);
  EXPECT_EQ(std::set<std::string>(bodies.begin(), bodies.end()).size(), 4u) << "each bind draws its own";
  EXPECT_EQ(engine_->stats().bound_images, 0);
  EXPECT_EQ(engine_->stats().bound_failures, 1u) << "tried once at this version, then not again";
  EXPECT_EQ(engine_->stats().made_bound, 0u);
}

TEST_F(BoundImageTest, ABindThatReachesOutsideItsHeapIsNotCaptured) {
  const std::vector<std::string> routers = {
      // the henv's file opened (a write, and a read whose answer may change)
      "import db from 'hbf:db'; db.execute('INSERT INTO notes (text) VALUES (?)', ['bound']);"
      "export default (req, res) => res.send(String(db.get('SELECT count(*) AS n FROM notes').n));",
      "import db from 'hbf:db'; const n = db.get('SELECT count(*) AS n FROM notes').n;"
      "export default (req, res) => res.send(String(n));",
      // a line in the henv's log
      "console.log('loading'); export default (req, res) => res.send('logged');",
  };
  const std::vector<std::string> first = {"1", "0", "logged"};
  for (size_t i = 0; i < routers.size(); ++i) {
    auto henv = MakeHenv("boundou" + std::to_string(i), routers[i]);
    const std::vector<std::string> bodies = BodiesOfNewWorkers(*henv, "/", 3);
    if (i == 0) {
      EXPECT_EQ(bodies, (std::vector<std::string>{"1", "2", "3"})) << "each worker's bind wrote its row, once";
    } else {
      EXPECT_EQ(bodies, std::vector<std::string>(3, first[i])) << routers[i];
    }
  }
  const JsEngine::Stats stats = engine_->stats();
  EXPECT_EQ(stats.bound_images, 0);
  EXPECT_EQ(stats.bound_failures, 3u) << "each henv's first bind was tried, and no second ran";
  EXPECT_EQ(stats.made_bound, 0u);
}

TEST_F(BoundImageTest, ACodeChangeIsBoundAgain) {
  auto henv = MakeHenv("boundver", "export default (req, res) => res.send('one');");
  EXPECT_EQ(BodiesOfNewWorkers(*henv, "/", 3), std::vector<std::string>(3, "one"));
  const int64_t bytes_one = engine_->stats().bound_image_bytes;
  SetRouter(*henv, "const words = ['t', 'w', 'o']; export default (req, res) => res.send(words.join(''));");
  EXPECT_EQ(BodiesOfNewWorkers(*henv, "/", 3), std::vector<std::string>(3, "two"));
  const JsEngine::Stats stats = engine_->stats();
  EXPECT_EQ(stats.bound_images, 1) << "the henv's image replaced, not a second one";
  // The first version captured at the henv's first worker (2 copies
  // after it); the change's compiling bind was not compared (an owner
  // editing saves again soon): the next worker captured (1 copy after).
  EXPECT_EQ(stats.made_bound, 3u);
  EXPECT_NE(stats.bound_image_bytes, bytes_one);
  EXPECT_EQ(stats.memory_bytes, stats.bound_image_bytes);
}

TEST_F(BoundImageTest, OffEveryWorkerBinds) {
  MakeEngine(false);
  auto henv = MakeHenv("boundoff", kStatefulRouter);
  for (const std::string& body : BodiesOfNewWorkers(*henv, "/hello/y", 3)) {
    EXPECT_EQ(body, R"({"hi":"hi bound","who":"y","count":1,"b":[2,3],"notes":0})");
  }
  EXPECT_EQ(engine_->stats().bound_images, 0);
  EXPECT_EQ(engine_->stats().made_bound, 0u);
}

}  // namespace
}  // namespace hbf::js
