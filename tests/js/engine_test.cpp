// The JavaScript engine's contract (src/js/engine.h), exercised with
// stand-in built-ins: the tenant's default export receives (raw, native) and
// returns the dispatch result directly.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include "crypto/crypto.h"
#include "documents/document_store.h"
#include "henv/henv_manager.h"
#include "js/engine.h"
#include "js/module_loader.h"
#include "js/worker_image.h"

namespace hbf::js {
namespace {

using namespace std::chrono_literals;
using Kind = ScriptResult::Kind;

class EngineTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_TRUE(crypto::InitializeCrypto()); }

  void SetUp() override {
    char tmpl[] = "/tmp/hbf-js-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    HenvManagerOptions options;
    options.storage_dir = dir_;
    options.start_janitor = false;
    henvs_ = std::make_unique<HenvManager>(options);
    MakeEngine({});
  }

  void TearDown() override {
    engine_.reset();
    henvs_.reset();
    std::filesystem::remove_all(dir_);
  }

  static ScriptLimits Limits(int timeout_ms = 3000, int64_t memory_mb = 64) {
    ScriptLimits l;
    l.timeout_ms = timeout_ms;
    l.memory_bytes = memory_mb << 20;
    return l;
  }

  void MakeEngine(EngineOptions options) {
    engine_.reset();
    engine_ = std::make_unique<JsEngine>(options);
  }

  std::shared_ptr<Henv> MakeHenv(const std::string& hash, const std::string& router = {}) {
    auto henv = henvs_->Create(hash, [](db::Database&) -> Status { return Ok{}; });
    EXPECT_TRUE(henv.ok()) << (henv.ok() ? "" : henv.error().message);
    if (!router.empty()) SetDocument(**henv, "_system/router.js", router);
    return *henv;
  }

  // A router whose worker counts its own requests: "HASH 1" is a new worker.
  static constexpr const char* kCountingRouter =
      "export default (raw) => ({handled: true, status: 200, headers: [],"
      " body: raw.henv + ' ' + (globalThis.n = (globalThis.n || 0) + 1)});";

  // Options whose memory budget holds about `workers` workers of
  // kCountingRouter (one measured, in a henv `probe_hash`), with no spares,
  // no bound images (each henv's would count against the budget too) and
  // no hibernation, for tests that count evictions.
  EngineOptions BudgetOfCountingWorkers(int workers, const std::string& probe_hash) {
    auto probe = MakeHenv(probe_hash, kCountingRouter);
    EXPECT_EQ(Run(*probe).response.body, probe_hash + " 1");
    const int64_t worker_bytes = engine_->stats().memory_bytes;
    EXPECT_GT(worker_bytes, 0);
    EngineOptions options;
    options.memory_budget_bytes = worker_bytes * workers;
    options.spare_workers = 0;
    options.bound_images = false;
    options.hibernation = EngineOptions::Hibernation::kNever;
    return options;
  }

  // Options for the long-tail tests: a budget of about `workers` workers
  // of kCountingRouter (one measured, in a henv `probe_hash`; its bytes in
  // `worker_bytes`), no spares, no hibernation, and the mode looked at
  // only when the test calls UpdateLongTail, over 100 checkouts at least.
  EngineOptions LongTailBudget(int workers, const std::string& probe_hash, int64_t& worker_bytes) {
    auto probe = MakeHenv(probe_hash, kCountingRouter);
    EXPECT_EQ(Run(*probe).response.body, probe_hash + " 1");
    worker_bytes = engine_->stats().memory_bytes;
    EXPECT_GT(worker_bytes, 0);
    EngineOptions options;
    options.memory_budget_bytes = worker_bytes * workers;
    options.spare_workers = 0;
    options.hibernation = EngineOptions::Hibernation::kNever;
    options.long_tail_min_checkouts = 100;
    options.long_tail_look_every = std::chrono::hours(1);
    return options;
  }

  // A henv with `router` and an empty table `notes (v)`.
  std::shared_ptr<Henv> MakeNotesHenv(const std::string& hash, const std::string& router) {
    auto henv = MakeHenv(hash, router);
    EXPECT_TRUE(henv->WithDb([](db::Database& db) { return db.Exec("CREATE TABLE notes (v)"); }).ok());
    return henv;
  }

  void SetDocument(Henv& henv, const std::string& id, const std::string& source) {
    auto put = henv.WithDb([&](db::Database& db) { return docs::PutDocument(db, id, "text/javascript", source); });
    ASSERT_TRUE(put.ok()) << put.error().message;
    henv.RefreshCodeVersion();
  }

  ScriptResult Run(Henv& henv, const std::string& path = "/", ScriptLimits limits = Limits()) {
    ScriptRequest request;
    request.method = "GET";
    request.path = path;
    request.url = path;
    request.ip = "127.0.0.1";
    request.protocol = "http";
    request.hostname = henv.hash() + ".localhost";
    return engine_->Run(henv, limits, request);
  }

  // Runs a router whose default export returns `expression` as the body.
  std::string Eval(Henv& henv, const std::string& expression) {
    SetDocument(henv, "_system/router.js",
                "export default async (raw, native) => ({handled: true, status: 200, headers: [], "
                "body: String(await (async () => " + expression + ")())});");
    auto r = Run(henv);
    if (r.kind != Kind::kResponse) return "<" + r.error.code + ": " + r.error.message + ">";
    return r.response.body;
  }

  std::string dir_;
  std::unique_ptr<HenvManager> henvs_;
  std::unique_ptr<JsEngine> engine_;
};

constexpr const char* kEcho =
    "export default (raw) => ({handled: true, status: 201, headers: [['X-Path', raw.path], ['Set-Cookie', 'a=1'],"
    " ['Set-Cookie', 'b=2']], body: 'hello ' + raw.method + ' ' + raw.henv});";

TEST_F(EngineTest, RunsTheRouterAndReturnsItsResponse) {
  auto henv = MakeHenv("aaaaaaaa", kEcho);
  auto r = Run(*henv, "/x/y");
  ASSERT_EQ(r.kind, Kind::kResponse) << r.error.message;
  EXPECT_EQ(r.response.status, 201);
  EXPECT_EQ(r.response.body, "hello GET aaaaaaaa");
  ASSERT_EQ(r.response.headers.size(), 3u);
  EXPECT_EQ(r.response.headers[0], (std::pair<std::string, std::string>{"X-Path", "/x/y"}));
  EXPECT_EQ(r.response.headers[2].second, "b=2");
}

// A worker's built-ins are read with the function code the first worker
// read (js::internal::ReadBuiltin, QuickJS patch 0019): its runtime has the
// same atom numbering, so it holds no copy of that code. The second worker
// of this process, at the latest, reads every built-in that way.
TEST_F(EngineTest, WorkersShareTheBuiltInsFunctionCode) {
  EngineOptions options;
  options.spare_workers = 0;
  options.copy_blank_workers = false;  // (a copy reads no built-in: its image did)
  MakeEngine(options);
  auto a = MakeHenv("shareaaa", kEcho);
  auto b = MakeHenv("sharebbb", kEcho);
  ASSERT_EQ(Run(*a).response.body, "hello GET shareaaa");
  EXPECT_GT(internal::SharedBuiltinCodeBytes(), 0u);
  const uint64_t before = internal::SharedBuiltinReads();
  ASSERT_EQ(Run(*b).response.body, "hello GET sharebbb");
  EXPECT_EQ(engine_->stats().workers, 2);
  EXPECT_GE(internal::SharedBuiltinReads() - before, 2u) << "the second worker read its own copy of the built-ins";
  // Both go on answering (each took the shared code's atoms as its own).
  EXPECT_EQ(Run(*a, "/again").response.body, "hello GET shareaaa");
  engine_->DropIdleWorkers();
  EXPECT_EQ(Run(*b).response.body, "hello GET sharebbb");
}

// A worker keeping objects with finalizers of hbf's in its router's state:
// zlib streams (which reach outside the runtime's memory: the stream is
// the C++ heap's), their output buffers (an owner's free function) and
// hashes. Destroying it (dropped whole, js/allocator.h, or freed value by
// value) finalizes each once. The ASan build's leak check fails this test
// if a stream's finalizer is skipped (checked: 1,392 bytes in 12
// allocations), its double-free check if a buffer's is run twice.
TEST_F(EngineTest, WorkersKeepingOutsideResourcesAreDestroyedCleanly) {
  const std::string router =
      "const kept = [];\n"
      "export default (raw, native) => {\n"
      "  for (let i = 0; i < 3; i++) {\n"
      "    const z = native.zlibCreate(1, 15, 6, 8, 0);\n"
      "    const out = native.zlibFeed(z, new Uint8Array(1000).fill(i), 4, 1 << 20);\n"
      "    const h = native.hashCreate('sha256');\n"
      "    kept.push(z, out, h, { z, cycle: kept });\n"
      "  }\n"
      "  return {handled: true, status: 200, headers: [], body: 'kept ' + kept.length};\n"
      "};";
  for (bool whole : {true, false}) {
    EngineOptions options;
    options.drop_workers_whole = whole;
    MakeEngine(options);
    auto henv = MakeHenv(whole ? "outsidea" : "outsideb", router);
    EXPECT_EQ(Run(*henv).response.body, "kept 12");
    EXPECT_EQ(Run(*henv).response.body, "kept 24");
    MakeEngine(options);  // (the first engine and its workers destroyed)
  }
  MakeEngine(EngineOptions{});  // (the setting is process-wide: back to the default)
}

// Blank workers are copies of one image (js/worker_image.h). Each copy is a
// runtime of its own: what one henv's script does to its globals and
// built-in prototypes, no other henv's copy sees; and each copy's
// Math.random has its own seed.
TEST_F(EngineTest, CopiedWorkersShareNothing) {
  ASSERT_NE(WorkerImage::Get(), nullptr) << "blank workers are built, not copied (see the log)";
  EngineOptions options;
  options.spare_workers = 0;
  MakeEngine(options);
  auto a = MakeHenv("copyaaaa",
                    "globalThis.leak = 'a'; Object.prototype.polluted = 1; Array.prototype.push = null;"
                    "export default () => ({handled: true, status: 200, headers: [],"
                    " body: 'set ' + String(Math.random())});");
  auto b = MakeHenv("copybbbb",
                    "export default () => ({handled: true, status: 200, headers: [],"
                    " body: [typeof globalThis.leak, typeof ({}).polluted, typeof [].push].join(' ') +"
                    " ' ' + String(Math.random())});");
  const std::string from_a = Run(*a).response.body;
  const std::string from_b = Run(*b).response.body;
  ASSERT_EQ(from_a.rfind("set ", 0), 0u) << from_a;
  ASSERT_EQ(from_b.rfind("undefined undefined function ", 0), 0u) << from_b;
  EXPECT_NE(from_a.substr(4), from_b.substr(29)) << "two copies drew the same Math.random()";
  EXPECT_EQ(engine_->stats().workers, 2);
}

// A copied worker answers as a built one does, and holds about as much
// memory (the image leaves out the template's freed blocks).
TEST_F(EngineTest, CopiedWorkersAnswerAsBuiltOnes) {
  const std::string router =
      "const keys = Array.from({length: 200}, (_, i) => ({i}));"
      "const m = new Map(keys.map((k) => [k, k.i * 2])); const w = new WeakMap(keys.map((k) => [k, k.i]));"
      "class P { constructor(x) { this.x = x; } get twice() { return this.x * 2; } }"
      "export default (raw) => ({handled: true, status: 200, headers: [['X-Path', raw.path]],"
      " body: JSON.stringify([keys.reduce((s, k) => s + m.get(k) + w.get(k), 0), new P(21).twice,"
      " Object.keys({b: 1, a: 2, 1: 3}), [3, 1, 2].sort(), 'é'.normalize('NFD').length, raw.henv])});";
  std::string bodies[2];
  int64_t memory[2] = {};
  for (int copy = 0; copy < 2; ++copy) {
    EngineOptions options;
    options.spare_workers = 0;
    options.copy_blank_workers = copy == 1;
    MakeEngine(options);
    auto henv = MakeHenv(copy == 1 ? "alikecpy" : "alikebld", router);
    auto r = Run(*henv, "/p");
    ASSERT_EQ(r.kind, Kind::kResponse) << r.error.message;
    bodies[copy] = r.response.body;
    memory[copy] = engine_->stats().memory_bytes;
  }
  EXPECT_EQ(bodies[0], "[59700,42,[\"1\",\"b\",\"a\"],[1,2,3],2,\"alikebld\"]");
  EXPECT_EQ(bodies[1], "[59700,42,[\"1\",\"b\",\"a\"],[1,2,3],2,\"alikecpy\"]");
  EXPECT_LT(memory[1], memory[0] + memory[0] / 20) << "built " << memory[0] << " copied " << memory[1];
}

TEST_F(EngineTest, NoRouterOrNoMatchMeansNotHandled) {
  auto henv = MakeHenv("bbbbbbbb");
  EXPECT_EQ(Run(*henv).kind, Kind::kNotHandled);
  EXPECT_EQ(engine_->stats().workers, 0);  // no runtime was made for nothing
  SetDocument(*henv, "_system/router.js", "export default () => ({handled: false});");
  EXPECT_EQ(Run(*henv).kind, Kind::kNotHandled);
}

TEST_F(EngineTest, BinaryBodiesStayBinary) {
  auto henv = MakeHenv("cccccccc",
                       "export default () => ({handled: true, status: 200, headers: [],"
                       " body: new Uint8Array([0, 1, 255, 0])});");
  auto r = Run(*henv);
  ASSERT_EQ(r.kind, Kind::kResponse) << r.error.message;
  EXPECT_EQ(r.response.body, std::string("\x00\x01\xff\x00", 4));
}

TEST_F(EngineTest, ScriptErrorsCarryMessageAndLocation) {
  auto henv = MakeHenv("dddddddd",
                       "function helper() {\n  throw new TypeError('boom');\n}\n"
                       "export default () => helper();\n");
  auto r = Run(*henv);
  ASSERT_EQ(r.kind, Kind::kError);
  EXPECT_EQ(r.error.code, "script_error");
  EXPECT_EQ(r.error.http_status, 500);
  EXPECT_EQ(r.error.message, "TypeError: boom");
  EXPECT_EQ(r.error.location.rfind("_system/router.js:2:", 0), 0u) << r.error.location << "\n" << r.error.stack;
}

TEST_F(EngineTest, SyntaxErrorsAreReportedAndFixedByLiveReload) {
  auto henv = MakeHenv("eeeeeeee", "export default () => {{{;");
  auto broken = Run(*henv);
  ASSERT_EQ(broken.kind, Kind::kError);
  EXPECT_EQ(broken.error.code, "script_error");
  EXPECT_NE(broken.error.message.find("SyntaxError"), std::string::npos) << broken.error.message;
  EXPECT_EQ(Run(*henv).error.code, "script_error");  // still broken, still explained
  SetDocument(*henv, "_system/router.js", kEcho);
  EXPECT_EQ(Run(*henv).kind, Kind::kResponse);
}

TEST_F(EngineTest, LiveReloadSwapsCodeAndModuleStateLivesWithTheWorker) {
  MakeEngine({int64_t{1} << 30, 1});  // one worker: state is observable
  auto henv = MakeHenv("ffffffff",
                       "let count = 0;\nexport default () => ({handled: true, status: 200, headers: [],"
                       " body: 'v1:' + (++count)});");
  EXPECT_EQ(Run(*henv).response.body, "v1:1");
  EXPECT_EQ(Run(*henv).response.body, "v1:2");
  SetDocument(*henv, "_system/router.js",
              "export default () => ({handled: true, status: 200, headers: [], body: 'v2'});");
  EXPECT_EQ(Run(*henv).response.body, "v2");
}

TEST_F(EngineTest, RelativeImportsResolveAndEscapesAreRefused) {
  auto henv = MakeHenv("gggggggg");
  SetDocument(*henv, "_system/lib/math.js", "export const double = (x) => x * 2;");
  SetDocument(*henv, "_system/lib/index.js", "export { double } from './math.js';");
  SetDocument(*henv, "_system/router.js",
              "import { double } from './lib/index.js';\n"
              "export default () => ({handled: true, status: 200, headers: [], body: String(double(21))});");
  EXPECT_EQ(Run(*henv).response.body, "42");

  for (const char* spec : {"../../../etc/passwd", "lodash", "hbf:native", "hbf:nothing", "./missing.js"}) {
    SetDocument(*henv, "_system/router.js",
                std::string("import x from '") + spec + "';\nexport default () => ({handled: false});");
    auto r = Run(*henv);
    EXPECT_EQ(r.kind, Kind::kError) << spec;
    EXPECT_EQ(r.error.code, "script_error") << spec;
    EXPECT_FALSE(r.error.message.empty()) << spec;
  }
}

TEST_F(EngineTest, InfiniteLoopTimesOutWhileOtherHenvsCarryOn) {
  auto spinning = MakeHenv("hhhhhhhh", "export default () => { for (;;) {} };");
  auto healthy = MakeHenv("iiiiiiii", kEcho);
  std::atomic<bool> done{false};
  ScriptResult spun;
  std::thread runaway([&] {
    spun = Run(*spinning, "/", Limits(500));
    done = true;
  });
  // While the runaway spins, the other henv keeps answering.
  int answered = 0;
  do {  // (at least once, however late this thread runs)
    auto r = Run(*healthy);
    ASSERT_EQ(r.kind, Kind::kResponse);
    ++answered;
  } while (!done && answered < 50);
  runaway.join();
  EXPECT_GT(answered, 0);
  ASSERT_EQ(spun.kind, Kind::kError);
  EXPECT_EQ(spun.error.code, "script_timeout");
  EXPECT_EQ(spun.error.http_status, 504);
  // The runaway worker was thrown away; the henv still works with a fixed router.
  SetDocument(*spinning, "_system/router.js", kEcho);
  EXPECT_EQ(Run(*spinning).kind, Kind::kResponse);
}

TEST_F(EngineTest, TryCatchCannotSwallowTheTimeout) {
  auto henv = MakeHenv("jjjjjjjj",
                       "export default () => { try { for (;;) {} } catch (e) {} "
                       "return {handled: true, status: 200, headers: [], body: 'escaped'}; };");
  auto r = Run(*henv, "/", Limits(300));
  ASSERT_EQ(r.kind, Kind::kError);
  EXPECT_EQ(r.error.code, "script_timeout");
}

TEST_F(EngineTest, TopLevelLoopsAreBoundedToo) {
  auto henv = MakeHenv("kkkkkkkk", "while (true) {}\nexport default () => ({handled: false});");
  auto r = Run(*henv, "/", Limits(300));
  ASSERT_EQ(r.kind, Kind::kError);
  EXPECT_EQ(r.error.code, "script_timeout");
}

TEST_F(EngineTest, OutOfMemoryIsContained) {
  auto henv = MakeHenv("llllllll",
                       "export default () => { const keep = []; for (;;) keep.push(new Array(1e5).fill(7)); };");
  auto r = Run(*henv, "/", Limits(5000, 16));
  ASSERT_EQ(r.kind, Kind::kError);
  EXPECT_EQ(r.error.code, "script_memory");
  SetDocument(*henv, "_system/router.js", kEcho);
  EXPECT_EQ(Run(*henv, "/", Limits(5000, 16)).kind, Kind::kResponse);
}

TEST_F(EngineTest, AHandlerThatNeverRespondsIsReported) {
  auto henv = MakeHenv("mmmmmmmm", "export default () => new Promise(() => {});");
  auto r = Run(*henv);
  ASSERT_EQ(r.kind, Kind::kError);
  EXPECT_EQ(r.error.code, "script_no_response");
}

TEST_F(EngineTest, DeepRecursionIsAnOrdinaryError) {
  auto henv = MakeHenv("nnnnnnnn", "const f = (n) => f(n + 1) + 1;\nexport default () => f(0);");
  auto r = Run(*henv);
  ASSERT_EQ(r.kind, Kind::kError);
  EXPECT_EQ(r.error.code, "script_error");
  EXPECT_NE(r.error.message.find("stack"), std::string::npos) << r.error.message;
}

TEST_F(EngineTest, EscapeHtmlEscapesAsciiAndLeavesTheRestToItsCaller) {
  auto henv = MakeHenv("escapehh");
  EXPECT_EQ(Eval(*henv, "native.escapeHtml(`a&b<c>d\"e'f`)"), "a&amp;b&lt;c&gt;d&#34;e&#39;f");
  EXPECT_EQ(Eval(*henv, "(() => { const s = 'nothing ' + 'to do'; return native.escapeHtml(s) === s; })()"), "true");
  EXPECT_EQ(Eval(*henv, "native.escapeHtml('')"), "");
  EXPECT_EQ(Eval(*henv, "native.escapeHtml('caf\u00e9')"), "caf\u00e9") << "past ASCII, nothing to escape: kept";
  EXPECT_EQ(Eval(*henv, "String(native.escapeHtml('caf\u00e9 & co'))"), "undefined") << "left to the caller";
  EXPECT_EQ(Eval(*henv, "String(native.escapeHtml('\\uD800<'))"), "undefined");
  EXPECT_EQ(Eval(*henv, "(() => { try { native.escapeHtml(42); } catch (e) { return e.name; } })()"), "TypeError");
}

// res.setHeader's check, as Node's: a header value may hold tab, 0x20-0x7e
// and 0x80-0xff, nothing else. Every character class the UTF-8 reading
// tells apart, against the regex it replaced.
TEST_F(EngineTest, HeaderValueOkAcceptsWhatNodeAccepts) {
  auto henv = MakeHenv("headerok");
  EXPECT_EQ(Eval(*henv,
                 "(() => { const bad = [];"
                 "  for (let c = 0; c < 0x10000; c++) {"
                 "    for (const s of [String.fromCharCode(c), 'a' + String.fromCharCode(c) + 'b']) {"
                 "      const want = !/[^\\t\\x20-\\x7e\\x80-\\xff]/.test(s);"
                 "      if (native.headerValueOk(s) !== want) bad.push(c);"
                 "    }"
                 "  }"
                 "  for (const s of ['', 'text/html; charset=utf-8', '\\uD83D\\uDE00', 'x\\uDC00'])"
                 "    if (native.headerValueOk(s) !== !/[^\\t\\x20-\\x7e\\x80-\\xff]/.test(s)) bad.push(s);"
                 "  return bad.length === 0 ? 'ok' : bad.slice(0, 8).join(','); })()"),
            "ok");
  EXPECT_EQ(Eval(*henv, "(() => { try { native.headerValueOk(42); } catch (e) { return e.name; } })()"), "TypeError");
}

// A JS string may hold lone surrogates; what leaves for C++ (a body, a SQL
// value) is UTF-8 with U+FFFD for each, as V8 writes them (Node's Buffer,
// TextEncoder, an http response); pairs stay the characters they make.
TEST_F(EngineTest, LoneSurrogatesLeaveJavaScriptAsReplacementCharacters) {
  auto henv = MakeHenv("surrogat");
  EXPECT_EQ(Eval(*henv, "'a\\uD800b\\uDC00c\\u{1F600}\\uDBFF'"), "a\xEF\xBF\xBD" "b\xEF\xBF\xBD" "c\xF0\x9F\x98\x80\xEF\xBF\xBD");
  EXPECT_EQ(Eval(*henv, "'\\uD7FF\\uE000'"), "\xED\x9F\xBF\xEE\x80\x80") << "the neighbours of the surrogates are kept";
  EXPECT_EQ(Eval(*henv,
                 "{ native.dbExecute('CREATE TABLE s (t TEXT)'); native.dbExecute('INSERT INTO s VALUES (?)', ['x\\uDFFFy']);"
                 "  return native.dbGet('SELECT hex(t) AS h FROM s').h; }"),
            "78EFBFBD79");
}

TEST_F(EngineTest, SqlRoundTripsEveryType) {
  auto henv = MakeHenv("oooooooo");
  EXPECT_EQ(Eval(*henv,
                 "{ native.dbExecute('CREATE TABLE t (i INTEGER, r REAL, s TEXT, b BLOB, n)');"
                 "  const res = native.dbExecute('INSERT INTO t VALUES (?, ?, ?, ?, ?)',"
                 "    [2n ** 60n, 1.5, 'héllo', new Uint8Array([0, 255]), null]);"
                 "  const row = native.dbGet('SELECT * FROM t WHERE s = :s', {s: 'héllo'});"
                 "  return [res.rows_affected, res.last_insert_id, typeof row.i, row.i === 2n ** 60n, row.r, row.s,"
                 "          row.b instanceof Uint8Array, row.b.length, row.b[1], row.n].join(','); }"),
            "1,1,bigint,true,1.5,héllo,true,2,255,");
  EXPECT_EQ(Eval(*henv, "native.dbQuery('SELECT 1 AS a UNION ALL SELECT 2').map(r => r.a).join('+')"), "1+2");
  EXPECT_EQ(Eval(*henv, "native.dbGet('SELECT 1 WHERE 0')"), "null");
  EXPECT_EQ(Eval(*henv, "native.dbExecute('UPDATE t SET r = 2').last_insert_id"), "null");
  EXPECT_EQ(Eval(*henv, "(() => { try { native.dbQuery('SELEC nope'); } catch (e) { return e.message; } })()"),
            "near \"SELEC\": syntax error");
  EXPECT_EQ(Eval(*henv, "(() => { try { native.dbQuery('SELECT ?', [1, 2]); } catch (e) { return e.name; } })()"),
            "RangeError");
  EXPECT_EQ(Eval(*henv, "(() => { try { native.dbQuery('SELECT :a', {b: 1}); } catch (e) { return e.name; } })()"),
            "TypeError");
  EXPECT_EQ(Eval(*henv, "(() => { try { native.dbQuery('SELECT ?', [{}]); } catch (e) { return e.name; } })()"),
            "TypeError");
}

TEST_F(EngineTest, ScriptsCannotReachOtherFiles) {
  auto henv = MakeHenv("pppppppp");
  const std::string victim = dir_ + "/qqqqqqqq/index.db";
  MakeHenv("qqqqqqqq");
  const std::string escape = dir_ + "/escaped.db";
  auto attempt = [&](const std::string& sql) {
    return Eval(*henv, "(() => { try { native.dbExecute(" + Json(sql).dump() + "); return 'ran'; } catch (e) {"
                       " return 'refused'; } })()");
  };
  EXPECT_EQ(attempt("ATTACH DATABASE '" + victim + "' AS other"), "refused");
  EXPECT_EQ(attempt("VACUUM INTO '" + escape + "'"), "refused");
  EXPECT_FALSE(std::filesystem::exists(escape));
  EXPECT_EQ(attempt("PRAGMA journal_mode = DELETE"), "refused");
  EXPECT_EQ(attempt("PRAGMA writable_schema = ON"), "refused");
  EXPECT_EQ(attempt("SELECT load_extension('/lib/x86_64-linux-gnu/libc.so.6')"), "refused");
  EXPECT_EQ(attempt("PRAGMA foreign_keys = ON"), "ran");
  EXPECT_EQ(Eval(*henv, "native.dbGet('PRAGMA journal_mode').journal_mode"), "wal");
}

TEST_F(EngineTest, TwoHenvsNeverSeeEachOthersData) {
  auto a = MakeHenv("rrrrrrrr");
  auto b = MakeHenv("ssssssss");
  EXPECT_EQ(Eval(*a, "native.dbExecute(\"CREATE TABLE secrets (v TEXT)\") && "
                     "native.dbExecute(\"INSERT INTO secrets VALUES ('a-only')\").rows_affected"),
            "1");
  EXPECT_EQ(Eval(*b, "(() => { try { return JSON.stringify(native.dbQuery('SELECT * FROM secrets')); }"
                     " catch (e) { return e.message; } })()"),
            "no such table: secrets");
  EXPECT_EQ(Eval(*a, "native.dbGet('SELECT v FROM secrets').v"), "a-only");
}

// Workers come from the engine's ready-made blank workers when there are
// some, else are built inline: either way a worker belongs to one henv, and a
// henv's globals never show up in another's.
TEST_F(EngineTest, WorkersFromSparesOrBuiltInlineAreEachOneHenvs) {
  for (int spares : {0, 3}) {
    SCOPED_TRACE("spare_workers=" + std::to_string(spares));
    EngineOptions options;
    options.spare_workers = spares;
    MakeEngine(options);
    auto a = MakeHenv(spares == 0 ? "sparea00" : "sparea03");
    auto b = MakeHenv(spares == 0 ? "spareb00" : "spareb03");
    EXPECT_EQ(Eval(*a, "(globalThis.mark = raw.henv)"), a->hash());
    EXPECT_EQ(Eval(*b, "String(globalThis.mark)"), "undefined");
    EXPECT_EQ(Eval(*a, "globalThis.mark ?? 'reloaded'"), "reloaded");  // Eval rewrites the router: a new worker
  }
}

// Workers' connections hold descriptors: past
// EngineOptions::max_worker_connections the least recently used idle
// workers holding one go, as past the memory budget. Workers whose scripts
// never queried hold none and stay.
TEST_F(EngineTest, IdleWorkersBeyondTheConnectionCapAreEvictedLeastRecentFirst) {
  EngineOptions options;
  options.max_worker_connections = 2;
  MakeEngine(options);
  constexpr const char* kQuerying =
      "export default (raw, native) => ({handled: true, status: 200, headers: [],"
      " body: 'q' + native.dbGet('SELECT 1 AS one').one + ' ' + raw.henv});";
  auto a = MakeHenv("capaaaaa", kQuerying);
  auto b = MakeHenv("capbbbbb", kQuerying);
  auto c = MakeHenv("capccccc", kQuerying);
  std::vector<std::shared_ptr<Henv>> echoes;
  for (const char* hash : {"capecho1", "capecho2", "capecho3"}) echoes.push_back(MakeHenv(hash, kEcho));
  ASSERT_EQ(Run(*a).response.body, "q1 capaaaaa");
  for (auto& e : echoes) ASSERT_EQ(Run(*e).kind, Kind::kResponse);
  ASSERT_EQ(Run(*b).response.body, "q1 capbbbbb");
  EXPECT_EQ(engine_->stats().workers, 5) << "two connections, at the cap; the echoes hold none";
  ASSERT_EQ(Run(*c).response.body, "q1 capccccc");
  EXPECT_EQ(engine_->stats().workers, 5)
      << "a's worker, the least recently used holding a connection, goes; the echoes, used after it, stay";
  EXPECT_EQ(engine_->stats().idle_workers, 5);
  for (auto& e : echoes) {
    const int before = engine_->stats().workers;
    EXPECT_EQ(Run(*e).response.body, "hello GET " + e->hash());
    EXPECT_EQ(engine_->stats().workers, before) << "served by the worker it kept";
  }
  EXPECT_EQ(Run(*a).response.body, "q1 capaaaaa");
  EXPECT_EQ(engine_->stats().workers, 5) << "b's worker goes for a's new one";
}

// The housekeeper trims workers idle for a while and keeps them apart from
// the recently used ones; eviction still goes by last use: the trimmed
// first, the one used longest ago first among them, and a trimmed worker
// used again counts as recent.
TEST_F(EngineTest, EvictionGoesByLastUseAcrossTrimmedWorkers) {
  EngineOptions options;
  options.max_worker_connections = 3;
  // (Trimmed workers stay awake, holding their connections: hibernated ones
  // hand theirs to the shelf and count against no cap.)
  options.hibernation = EngineOptions::Hibernation::kNever;
  MakeEngine(options);
  // Each worker counts its own requests: 1 is a new worker.
  constexpr const char* kCounting =
      "export default (raw, native) => ({handled: true, status: 200, headers: [],"
      " body: raw.henv + ' ' + native.dbGet('SELECT 1 AS one').one * (globalThis.n = (globalThis.n || 0) + 1)});";
  auto a = MakeHenv("trimaaaa", kCounting);
  auto b = MakeHenv("trimbbbb", kCounting);
  auto c = MakeHenv("trimcccc", kCounting);
  auto d = MakeHenv("trimdddd", kCounting);
  ASSERT_EQ(Run(*a).response.body, "trimaaaa 1");
  ASSERT_EQ(Run(*b).response.body, "trimbbbb 1");
  ASSERT_EQ(Run(*c).response.body, "trimcccc 1");
  // Trimmed, as the housekeeper's pass trims those idle for 2 s (called
  // here: a pass still under way when a request came would make that
  // request a worker of its own, on a loaded machine).
  EXPECT_EQ(engine_->HibernateIdleWorkers(), 0) << "trimmed, not hibernated";
  EXPECT_EQ(Run(*b).response.body, "trimbbbb 2");
  EXPECT_EQ(Run(*d).response.body, "trimdddd 1") << "a fourth connection: one idle worker goes";
  EXPECT_EQ(Run(*c).response.body, "trimcccc 2") << "c, trimmed after a, stays";
  EXPECT_EQ(Run(*b).response.body, "trimbbbb 3");
  EXPECT_EQ(Run(*d).response.body, "trimdddd 2");
  EXPECT_EQ(Run(*a).response.body, "trimaaaa 1") << "a's worker, the least recently used, went";
}

// Over the memory budget, workers made for a henv not seen again go first
// (JsEngine, "Probation"): a crawler visiting many henvs once does not flush
// the workers of the henvs in steady use, as least recently used eviction
// did. Workers on probation go oldest first, and a henv whose worker went
// that way and that comes back soon gets its next worker past probation;
// one that comes back long after does not.
TEST_F(EngineTest, HenvsInSteadyUseKeepTheirWorkersThroughAScanOfNewOnes) {
  // Each worker counts its own requests: 1 is a new worker.
  constexpr const char* kCounting =
      "export default (raw) => ({handled: true, status: 200, headers: [],"
      " body: raw.henv + ' ' + (globalThis.n = (globalThis.n || 0) + 1)});";
  auto probe = MakeHenv("probeaaa", kCounting);
  ASSERT_EQ(Run(*probe).response.body, "probeaaa 1");
  const int64_t worker_bytes = engine_->stats().memory_bytes;  // (with its henv's bound image)
  ASSERT_GT(worker_bytes, 0);
  EngineOptions options;
  options.memory_budget_bytes = worker_bytes * 24;
  options.spare_workers = 0;
  // (A worker idle for 2 s is trimmed, and under the default policy may be
  // dropped rather than hibernated, which a slow run would reach.)
  options.hibernation = EngineOptions::Hibernation::kNever;
  MakeEngine(options);
  std::vector<std::shared_ptr<Henv>> steady;
  for (int i = 0; i < 4; ++i) {
    steady.push_back(MakeHenv("steady0" + std::to_string(i), kCounting));
    ASSERT_EQ(Run(*steady.back()).response.body, steady.back()->hash() + " 1");
    ASSERT_EQ(Run(*steady.back()).response.body, steady.back()->hash() + " 2");
  }
  std::vector<std::shared_ptr<Henv>> crawled;
  for (int i = 0; i < 60; ++i) {
    crawled.push_back(MakeHenv("crawl" + std::to_string(100 + i), kCounting));
    ASSERT_EQ(Run(*crawled.back()).response.body, crawled.back()->hash() + " 1");
  }
  JsEngine::Stats stats = engine_->stats();
  const uint64_t evicted = stats.evicted_on_probation;
  EXPECT_GE(evicted, 30u) << "60 workers made, the budget holds ~24";
  EXPECT_EQ(stats.evicted_awake, evicted) << "none but those on probation";
  EXPECT_EQ(stats.made_returning, 0u);
  for (auto& henv : steady) EXPECT_EQ(Run(*henv).response.body, henv->hash() + " 3") << "its worker kept";

  // Those on probation went in the order they were made: the last to go
  // comes back, within the window, and its new worker is kept as the
  // steady ones are.
  ASSERT_LE(evicted, crawled.size());
  Henv& returning = *crawled[evicted - 1];
  Henv& kept = *crawled[evicted];
  EXPECT_EQ(Run(kept).response.body, kept.hash() + " 2") << "the oldest still on probation";
  EXPECT_EQ(Run(returning).response.body, returning.hash() + " 1") << "evicted";
  EXPECT_EQ(engine_->stats().made_returning, 1u);
  EXPECT_EQ(Run(*crawled[0]).response.body, crawled[0]->hash() + " 1") << "evicted";
  EXPECT_EQ(engine_->stats().made_returning, 1u) << "the first to go came back too late";
  for (int i = 0; i < 40; ++i) {
    auto henv = MakeHenv("later" + std::to_string(100 + i), kCounting);
    ASSERT_EQ(Run(*henv).response.body, henv->hash() + " 1");
  }
  EXPECT_EQ(Run(returning).response.body, returning.hash() + " 2") << "past probation, kept";
  EXPECT_EQ(Run(kept).response.body, kept.hash() + " 3") << "used twice, kept";
  for (auto& henv : steady) EXPECT_EQ(Run(*henv).response.body, henv->hash() + " 4");
  EXPECT_EQ(engine_->stats().evicted_awake, engine_->stats().evicted_on_probation);
}

// Probation's share adapts (JsEngine, "Probation"): henvs in steady use
// that come back after eviction past probation shrink it, so that as many
// of them as the budget holds keep their workers through a scan of others.
// With probation fixed at a quarter of the ~67 workers, 56 henvs in steady
// use did not fit beside it and every one made a new worker every round.
TEST_F(EngineTest, ProbationShrinksWhenHenvsInSteadyUseComeBackAfterEviction) {
  // (~67 workers: they count a little less after a request than the probe)
  MakeEngine(BudgetOfCountingWorkers(64, "shrinkpr"));
  // (All made first: the rounds take milliseconds, far from the 2 s after
  // which the housekeeper trims an idle worker, which eviction would take
  // before a worker on probation in a slow run.)
  constexpr int kSteady = 56;
  constexpr int kRounds = 10;
  constexpr int kScanned = 16;
  std::vector<std::shared_ptr<Henv>> steady, scanned;
  for (int i = 0; i < kSteady; ++i) steady.push_back(MakeHenv("steady" + std::to_string(10 + i), kCountingRouter));
  for (int i = 0; i < kRounds * kScanned; ++i) scanned.push_back(MakeHenv("scan" + std::to_string(1000 + i), kCountingRouter));
  for (auto& henv : steady) ASSERT_EQ(Run(*henv).response.body, henv->hash() + " 1");
  // A round: 16 henvs visited once, then each steady henv once.
  int remade_late = 0;  // steady henvs that found their worker gone, the last three rounds
  for (int r = 0; r < kRounds; ++r) {
    for (int i = 0; i < kScanned; ++i) {
      Henv& henv = *scanned[static_cast<size_t>(r * kScanned + i)];
      ASSERT_EQ(Run(henv).response.body, henv.hash() + " 1");
    }
    for (auto& henv : steady) {
      if (Run(*henv).response.body == henv->hash() + " 1" && r >= kRounds - 3) ++remade_late;
    }
  }
  EXPECT_EQ(remade_late, 0) << "every steady henv kept its worker";
  const JsEngine::Stats stats = engine_->stats();
  EXPECT_GT(stats.evicted_on_probation, 0u);
  EXPECT_LE(stats.probation_target, stats.workers - kSteady)
      << "room for the steady henvs' workers beside probation (a quarter of the " << stats.workers << ")";
}

// ... and grows when henvs come back shortly after their worker was evicted
// on probation: a henv visited again 24 makes after its first visit (a page,
// then its API calls) finds its worker, where a probation of a quarter of
// the ~67 workers (16) had evicted it.
TEST_F(EngineTest, ProbationGrowsWhenHenvsComeBackSoonAfterEvictionOnProbation) {
  MakeEngine(BudgetOfCountingWorkers(64, "growprob"));
  constexpr int kGap = 24;
  constexpr int kPairs = 240;
  std::vector<std::shared_ptr<Henv>> fillers, pairs;
  for (int i = 0; i < 64; ++i) fillers.push_back(MakeHenv("filler" + std::to_string(10 + i), kCountingRouter));
  for (int i = 0; i < kPairs; ++i) pairs.push_back(MakeHenv("pair" + std::to_string(1000 + i), kCountingRouter));
  // The budget filled with workers past probation (each used twice).
  for (auto& henv : fillers) {
    ASSERT_EQ(Run(*henv).response.body, henv->hash() + " 1");
    ASSERT_EQ(Run(*henv).response.body, henv->hash() + " 2");
  }
  // Henv i first at step i, again at step i + 24.
  int found_late = 0;  // of the last 64 second visits, those that found their worker
  for (int step = 0; step < kPairs + kGap; ++step) {
    if (step < kPairs) {
      Henv& first = *pairs[static_cast<size_t>(step)];
      ASSERT_EQ(Run(first).response.body, first.hash() + " 1");
    }
    if (step >= kGap) {
      Henv& again = *pairs[static_cast<size_t>(step - kGap)];
      if (Run(again).response.body == again.hash() + " 2" && step >= kPairs + kGap - 64) ++found_late;
    }
  }
  EXPECT_GE(found_late, 60) << "most found their worker";
  EXPECT_GT(engine_->stats().probation_target, kGap);
}

// Long tail (JsEngine, EngineOptions::transient_workers): while most workers
// made are for henvs not back soon (here the budget is full), a worker is
// dropped after its request - made, or found cold - unless its henv is back
// at once; a henv back at once gets its next worker kept; traffic to a few
// henvs turns the mode off. The test looks itself (UpdateLongTail), the
// housekeeper never.
TEST_F(EngineTest, InALongTailWorkersForHenvsNotBackAtOnceAreDroppedAfterTheirRequest) {
  int64_t worker_bytes = 0;
  MakeEngine(LongTailBudget(48, "tailprob", worker_bytes));
  // (their bound images, ~10 KB each, within the budget's eighth for them)
  constexpr int kHenvs = 160;
  std::vector<std::shared_ptr<Henv>> henvs;
  for (int i = 0; i < kHenvs; ++i) henvs.push_back(MakeHenv("tail" + std::to_string(1000 + i), kCountingRouter));
  // Each henv once (its bound image captured), twice over: most make a
  // worker, and the budget (48 workers) evicts.
  for (int round = 0; round < 2; ++round) {
    for (auto& henv : henvs) ASSERT_EQ(Run(*henv).kind, Kind::kResponse);
  }
  ASSERT_EQ(engine_->stats().bound_images, kHenvs);
  const JsEngine::Stats kept = engine_->stats();
  ASSERT_GT(kept.workers, 24) << "the budget full of kept workers";
  engine_->UpdateLongTail();
  ASSERT_TRUE(engine_->stats().long_tail) << "most requests made a worker for a henv not back soon";
  // Again, each henv once: a henv whose worker was kept finds it (its
  // count goes on), every other makes one; every worker, found cold or
  // made, is dropped after its request, so the kept set drains.
  const JsEngine::Stats before = engine_->stats();
  uint64_t found = 0;
  for (auto& henv : henvs) {
    const std::string body = Run(*henv).response.body;
    if (body == henv->hash() + " 2") {
      ++found;
    } else {
      ASSERT_EQ(body, henv->hash() + " 1");
    }
  }
  const JsEngine::Stats after = engine_->stats();
  EXPECT_EQ(found, static_cast<uint64_t>(kept.workers)) << "the kept workers were found";
  EXPECT_EQ(after.dropped_transient - before.dropped_transient, static_cast<uint64_t>(kHenvs));
  EXPECT_EQ(after.workers, 0) << "none kept: no henv was back at once";
  EXPECT_LE(after.memory_bytes + kept.workers * worker_bytes / 2, before.memory_bytes) << "their memory went with them";
  // Back at once: the henv's next worker is kept (past probation), found
  // and kept again.
  Henv& again = *henvs[7];
  EXPECT_EQ(Run(again).response.body, again.hash() + " 1") << "transient: dropped";
  EXPECT_EQ(Run(again).response.body, again.hash() + " 1") << "back at once: made again, and kept";
  EXPECT_EQ(Run(again).response.body, again.hash() + " 2") << "found";
  EXPECT_EQ(Run(again).response.body, again.hash() + " 3") << "found warm: kept";
  // A few henvs in steady use: their workers are kept and found, and the
  // mode goes off.
  engine_->UpdateLongTail();
  for (int i = 0; i < 40; ++i) {
    for (int k = 0; k < 8; ++k) ASSERT_EQ(Run(*henvs[static_cast<size_t>(k)]).kind, Kind::kResponse);
  }
  engine_->UpdateLongTail();
  EXPECT_FALSE(engine_->stats().long_tail);
  const uint64_t dropped = engine_->stats().dropped_transient;
  ASSERT_EQ(Run(*henvs[3]).kind, Kind::kResponse);
  EXPECT_EQ(engine_->stats().dropped_transient, dropped);
}

// While the mode is on nothing is kept, so nothing is evicted for room: the
// henvs' returns are then judged over the whole window (the workers alive
// at the last eviction for room), and traffic that would fit the budget
// ends the mode though every henv asked comes back only after many others
// (36 henvs in turn, a budget of 48 workers: each back after 35 drops, past
// half the window, within the whole of it). Their workers are kept again.
TEST_F(EngineTest, TheLongTailEndsWhenTheHenvsAskedWouldFitTheBudget) {
  int64_t worker_bytes = 0;
  EngineOptions options = LongTailBudget(48, "fitsprob", worker_bytes);
  options.long_tail_back_at_once = 4;
  MakeEngine(options);
  std::vector<std::shared_ptr<Henv>> henvs;
  for (int i = 0; i < 160; ++i) henvs.push_back(MakeHenv("fits" + std::to_string(1000 + i), kCountingRouter));
  for (int round = 0; round < 2; ++round) {
    for (auto& henv : henvs) ASSERT_EQ(Run(*henv).kind, Kind::kResponse);
  }
  engine_->UpdateLongTail();
  ASSERT_TRUE(engine_->stats().long_tail);
  // (the workers kept are the last henvs', not the few's)
  const int64_t kept = engine_->stats().workers;
  constexpr size_t kFew = 36;
  for (int round = 0; round < 6; ++round) {
    for (size_t i = 0; i < kFew; ++i) ASSERT_EQ(Run(*henvs[i]).response.body, henvs[i]->hash() + " 1");
  }
  EXPECT_EQ(engine_->stats().workers, kept) << "each of the few's workers dropped while the mode was on";
  engine_->UpdateLongTail();
  EXPECT_FALSE(engine_->stats().long_tail) << "36 henvs would fit 48 workers";
  // Kept again: a round makes their workers, the next finds them.
  for (size_t i = 0; i < kFew; ++i) ASSERT_EQ(Run(*henvs[i]).response.body, henvs[i]->hash() + " 1");
  const uint64_t dropped = engine_->stats().dropped_transient;
  for (size_t i = 0; i < kFew; ++i) EXPECT_EQ(Run(*henvs[i]).response.body, henvs[i]->hash() + " 2");
  EXPECT_EQ(engine_->stats().dropped_transient, dropped);
}

// A server that just started and meets most henvs for the first time turns
// the long-tail mode on before its budget fills (nothing evicted yet): the
// first visits after its look drop their workers, whose arenas go to the
// next ones made, instead of filling the budget with workers few henvs
// come back to. Henvs that come back within what the budget holds are not
// "new" while the mode is on, so once the first visits are fewer than half
// of the requests it goes off and their workers are kept again. A look over
// fewer than long_tail_min_checkouts checkouts leaves the mode as it was.
TEST_F(EngineTest, FirstVisitsTurnTheLongTailOnBeforeTheBudgetFills) {
  int64_t worker_bytes = 0;
  MakeEngine(LongTailBudget(400, "firstprb", worker_bytes));
  std::vector<std::shared_ptr<Henv>> henvs;
  for (int i = 0; i < 240; ++i) henvs.push_back(MakeHenv("fvis" + std::to_string(1000 + i), kCountingRouter));
  const auto visit = [&](size_t from, size_t to) {
    for (size_t i = from; i < to; ++i) ASSERT_EQ(Run(*henvs[i]).kind, Kind::kResponse);
  };
  visit(0, 50);
  engine_->UpdateLongTail();
  EXPECT_FALSE(engine_->stats().long_tail) << "50 checkouts: too few to judge";
  visit(50, 120);
  engine_->UpdateLongTail();
  const JsEngine::Stats on = engine_->stats();
  ASSERT_EQ(on.evicted_awake + on.evicted_hibernated, 0u) << "the budget (400 workers) is far from full";
  ASSERT_EQ(on.workers, 120);
  ASSERT_TRUE(on.long_tail) << "120 first visits in 120 checkouts (counted over both looks)";
  // More first visits: each worker is dropped after its request.
  visit(120, 240);
  const JsEngine::Stats after = engine_->stats();
  EXPECT_EQ(after.dropped_transient - on.dropped_transient, 120u);
  EXPECT_EQ(after.workers, 120) << "none of the new henvs' workers kept";
  // The same 240 henvs again, twice: each back within what the budget
  // holds, so only the first visits' look had them new; the mode goes off.
  visit(0, 240);
  engine_->UpdateLongTail();
  visit(0, 240);
  engine_->UpdateLongTail();
  EXPECT_FALSE(engine_->stats().long_tail) << "240 henvs fit a budget of ~400 workers";
  // Kept again: a round makes (or finds) their workers, the next finds them.
  visit(0, 240);
  const uint64_t dropped = engine_->stats().dropped_transient;
  visit(0, 240);
  EXPECT_EQ(engine_->stats().dropped_transient, dropped);
  EXPECT_EQ(engine_->stats().workers, 240);
}

// A request's thread may prefetch the idle worker it will most likely take
// (JsEngine::PrefetchIdleWorker) before any lock of its own: for a henv not
// met, one with its worker idle and cold (fetched from its arena as it is,
// unpoisoned or not: prefetches are hints, which ASan would catch as loads),
// and one whose workers were dropped; the requests after are answered as
// before.
TEST_F(EngineTest, PrefetchingAnIdleWorkerIsHarmlessWhateverBecameOfIt) {
  EngineOptions options;
  options.spare_workers = 0;
  options.hibernation = EngineOptions::Hibernation::kNever;
  MakeEngine(options);
  engine_->PrefetchIdleWorker("notmet00");
  auto henv = MakeHenv("prefetch", kCountingRouter);
  ASSERT_EQ(Run(*henv).response.body, "prefetch 1");
  std::this_thread::sleep_for(5ms);  // past kCacheColdAfter: cold
  engine_->PrefetchIdleWorker(henv->hash());
  EXPECT_EQ(Run(*henv).response.body, "prefetch 2") << "the same worker, prefetched";
  std::this_thread::sleep_for(5ms);
  engine_->PrefetchIdleWorker(henv->hash());
  engine_->DropIdleWorkers();
  engine_->PrefetchIdleWorker(henv->hash());
  EXPECT_EQ(Run(*henv).response.body, "prefetch 1") << "a new worker";
}

// Without evictions (every worker fits the budget), or with the option off,
// the mode never comes on, however many henvs are new.
TEST_F(EngineTest, NoLongTailWhileEveryWorkerFitsOrWithTheOptionOff) {
  for (const bool fits : {true, false}) {
    int64_t worker_bytes = 0;
    EngineOptions options = LongTailBudget(fits ? 1000 : 32, fits ? "fitprobe" : "offprobe", worker_bytes);
    options.transient_workers = fits;
    MakeEngine(options);
    std::vector<std::shared_ptr<Henv>> henvs;
    for (int i = 0; i < 160; ++i) {
      henvs.push_back(MakeHenv((fits ? "fitt" : "offf") + std::to_string(1000 + i), kCountingRouter));
    }
    for (int round = 0; round < 2; ++round) {
      for (auto& henv : henvs) ASSERT_EQ(Run(*henv).kind, Kind::kResponse);
    }
    engine_->UpdateLongTail();
    EXPECT_FALSE(engine_->stats().long_tail) << (fits ? "no evictions" : "option off");
    for (auto& henv : henvs) ASSERT_EQ(Run(*henv).kind, Kind::kResponse);
    EXPECT_EQ(engine_->stats().dropped_transient, 0u);
  }
}

// A burst grows a henv's pool to its concurrency; once the burst is over the
// pool shrinks back to the one worker it used last, and a henv with a single
// worker keeps it.
TEST_F(EngineTest, SurplusIdleWorkersGoAfterABurstButTheLastOneStays) {
  EngineOptions options;
  options.max_workers_per_henv = 4;
  options.surplus_idle = 1s;
  // (Idle 2 s, a worker is trimmed, and under the default policy dropped
  // where a new one measures cheaper than a wake: on a loaded machine the
  // waits below pass 2 s and the count fell to 1. Surplus shedding alone.)
  options.hibernation = EngineOptions::Hibernation::kNever;
  MakeEngine(options);
  auto busy = MakeHenv("burstbbb",
                       "export default (raw, native) => { const end = native.now() + 300; while (native.now() < end) {}"
                       " return {handled: true, status: 200, headers: [], body: 'ok'}; };");
  auto single = MakeHenv("singless", kEcho);
  ASSERT_EQ(Run(*single).kind, Kind::kResponse);
  std::vector<ScriptResult> results(3);
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) threads.emplace_back([&, i] { results[i] = Run(*busy); });
  for (auto& t : threads) t.join();
  for (const auto& r : results) ASSERT_EQ(r.response.body, "ok") << r.error.code;
  ASSERT_EQ(engine_->stats().workers, 4) << "three for the burst, one for the single henv";
  // The housekeeper sheds within a few of its passes (bounded wait).
  for (int i = 0; i < 200 && engine_->stats().workers > 2; ++i) std::this_thread::sleep_for(50ms);
  EXPECT_EQ(engine_->stats().workers, 2);
  EXPECT_EQ(engine_->stats().idle_workers, 2);
  std::this_thread::sleep_for(1500ms);  // more passes: nothing below one per henv
  EXPECT_EQ(engine_->stats().workers, 2);
  EXPECT_EQ(Run(*single).response.body, "hello GET singless");
  EXPECT_EQ(Run(*busy).response.body, "ok");
  EXPECT_EQ(engine_->stats().workers, 2) << "both served by the workers they kept";
}

// This process's open descriptors on `path` (the file itself, not its -wal or -shm).
int DescriptorsOn(const std::string& path) {
  int n = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    if (std::filesystem::read_symlink(entry.path(), ec) == path && !ec) ++n;
  }
  return n;
}

TEST_F(EngineTest, AWorkerConnectsToItsHenvOnlyWhenItsScriptUsesTheDatabase) {
  auto henv = MakeHenv("lazydbcc",
                       "export default (raw, native) => ({handled: true, status: 200, headers: [], body: "
                       "raw.path === '/count' ? String(native.dbGet('SELECT count(*) AS n FROM notes').n) "
                       ": raw.path === '/add' ? String(native.dbExecute('INSERT INTO notes VALUES (1)').rows_affected) "
                       ": 'no query'});");
  ASSERT_TRUE(henv->WithDb([](db::Database& db) { return db.Exec("CREATE TABLE notes (v)"); }).ok());
  const int henv_own = DescriptorsOn(henv->database_path());
  ASSERT_EQ(henv_own, 1) << "the henv's own connection";
  EXPECT_EQ(Run(*henv, "/").response.body, "no query");
  EXPECT_EQ(DescriptorsOn(henv->database_path()), 1) << "the router was read through the henv's connection";
  EXPECT_EQ(engine_->stats().workers, 1);
  EXPECT_EQ(Run(*henv, "/count").response.body, "0");
  EXPECT_EQ(DescriptorsOn(henv->database_path()), 2) << "the worker's own, opened by its first query";
  auto added = Run(*henv, "/add");
  EXPECT_EQ(added.response.body, "1");
  EXPECT_TRUE(added.wrote_database);
  EXPECT_FALSE(added.wrote_code) << "a row of the app's own table is no code";
  EXPECT_EQ(Run(*henv, "/count").response.body, "1");
}

// An idle worker hibernated (Worker::Hibernate) holds a fraction of its
// memory, and wakes for its henv's next request as it was: its module
// state, its heap's objects, its connection's data.
TEST_F(EngineTest, AHibernatedWorkerWakesAsItWasAndHoldsLittle) {
  EngineOptions options;
  options.hibernation = EngineOptions::Hibernation::kAlways;  // woken every time, whatever a wake costs here
  options.max_workers_per_henv = 1;  // one worker a henv: its state is observable
  options.spare_workers = 0;
  MakeEngine(options);
  // State in many shapes: numbers, strings, a Map, closures, a class, an
  // array grown each request; a checksum over all of it in every answer.
  constexpr const char* kStateful =
      "let count = 0; const seen = []; const byKey = new Map();\n"
      "class Tally { constructor() { this.n = 0; } add(k) { this.n += k.length; return this; } }\n"
      "const tally = new Tally(); const counters = [1, 2, 3].map((step) => { let v = 0; return () => (v += step); });\n"
      "export default (raw, native) => {\n"
      "  count++; seen.push({ at: count, path: raw.path, text: 'r' + count + '-'.repeat(count % 7) });\n"
      "  byKey.set('k' + count, seen[seen.length - 1]); tally.add(raw.path);\n"
      "  const junk = Array.from({ length: 200 }, (_, i) => ({ i, s: String(i) }));  // garbage each time\n"
      "  if (raw.path === '/add') native.dbExecute('INSERT INTO notes VALUES (?)', [count]);\n"
      "  const rows = native.dbGet('SELECT count(*) AS n FROM notes').n;\n"
      "  const sum = seen.reduce((s, e) => s + e.at + e.text.length, 0) + byKey.size + tally.n + junk.length;\n"
      "  return { handled: true, status: 200, headers: [],\n"
      "           body: [count, sum, counters.map((c) => c()).join('/'), rows, raw.henv].join(' ') };\n"
      "};";
  auto a = MakeNotesHenv("hibernaa", kStateful);
  auto b = MakeNotesHenv("hibernab", kStateful);
  // What a worker that never sleeps answers, request after request (a
  // model of the script's state).
  struct Model {
    std::string henv;
    int count = 0, seen = 0, tally = 0, rows = 0;
    std::string Next(const std::string& path) {
      ++count;
      seen += count + 1 + static_cast<int>(std::to_string(count).size()) + count % 7;
      tally += static_cast<int>(path.size());
      if (path == "/add") ++rows;
      return std::to_string(count) + " " + std::to_string(seen + count + tally + 200) + " " + std::to_string(count) +
             "/" + std::to_string(2 * count) + "/" + std::to_string(3 * count) + " " + std::to_string(rows) + " " + henv;
    }
  } model_a{"hibernaa"}, model_b{"hibernab"};
  ASSERT_EQ(Run(*a, "/add").response.body, model_a.Next("/add"));
  ASSERT_EQ(Run(*b, "/").response.body, model_b.Next("/"));
  const int64_t awake = engine_->stats().memory_bytes;

  EXPECT_EQ(engine_->HibernateIdleWorkers(), 2);
  EXPECT_EQ(engine_->stats().hibernated_workers, 2);
  EXPECT_EQ(engine_->stats().workers, 2);
  const int64_t asleep = engine_->stats().memory_bytes;
  EXPECT_LT(asleep, awake / 3) << "awake " << awake << ", hibernated " << asleep;
  EXPECT_GE(engine_->stats().spare_connections, 2) << "their connections, on the shelf";

  // Woken, again and again, in between more garbage and more state.
  for (int n = 2; n <= 12; ++n) {
    const std::string path = n % 3 == 0 ? "/add" : "/";
    ASSERT_EQ(Run(*a, path).response.body, model_a.Next(path)) << "request " << n;
    EXPECT_EQ(engine_->stats().wakes, static_cast<uint64_t>(n - 1));
    EXPECT_EQ(engine_->stats().hibernated_workers, 1) << "b still asleep";
    EXPECT_EQ(engine_->HibernateIdleWorkers(), 1);
  }
  EXPECT_EQ(Run(*b, "/").response.body, model_b.Next("/")) << "b, untouched by a's waking";
  const int rows = model_a.rows;
  auto count = a->WithDb([](db::Database& db) { return db.QueryValue("SELECT count(*) FROM notes"); });
  ASSERT_TRUE(count.ok() && count->has_value());
  EXPECT_EQ(std::get<int64_t>(**count), rows);

  // A code change while hibernated: the old worker goes (never woken).
  EXPECT_EQ(engine_->HibernateIdleWorkers(), 1);
  const uint64_t wakes = engine_->stats().wakes;
  SetDocument(*a, "_system/router.js", "export default () => ({handled: true, status: 200, headers: [], body: 'v2'});");
  EXPECT_EQ(Run(*a, "/").response.body, "v2");
  EXPECT_EQ(engine_->stats().wakes, wakes);
  EXPECT_EQ(engine_->stats().hibernated_workers, 1) << "b's";

  // Dropped while hibernated (b's), and what is not dropped whole.
  engine_->DropIdleWorkers();
  EXPECT_EQ(engine_->stats().workers, 0);
  EXPECT_EQ(engine_->stats().hibernated_workers, 0);
}

// The strings a worker's requests repeat (method, scheme, host name, client
// address, henv, query, header names) are kept by the worker and shared
// between its requests (js_values.h RepeatedStrings): each request still
// sees its own, however its fields change from one request to the next,
// past the number of header-name slots, and across a hibernation.
TEST_F(EngineTest, EachRequestSeesItsOwnFieldsWhateverTheLastOneHad) {
  EngineOptions options;
  options.hibernation = EngineOptions::Hibernation::kAlways;
  options.max_workers_per_henv = 1;  // every request on the same worker
  options.spare_workers = 0;
  MakeEngine(options);
  auto henv = MakeHenv("repeated",
                       "export default (raw) => ({handled: true, status: 200, headers: [], body: JSON.stringify("
                       "[raw.method, raw.url, raw.path, raw.query, raw.ip, raw.protocol, raw.hostname, raw.henv,"
                       " raw.headers])});");
  const char* methods[] = {"GET", "POST", "GET", "DELETE"};
  for (int n = 0; n < 40; ++n) {
    ScriptRequest request;
    request.method = methods[n % 4];
    request.path = "/p" + std::to_string(n % 3);
    request.query = n % 2 == 0 ? "" : "q=" + std::to_string(n);
    request.url = request.path + (request.query.empty() ? "" : "?" + request.query);
    request.ip = n % 5 == 0 ? "10.0.0." + std::to_string(n) : "127.0.0.1";
    request.protocol = n % 7 == 0 ? "https" : "http";
    request.hostname = n % 6 == 0 ? "other.example" : "repeated.localhost";
    // 3 names a request, 30 distinct names in all (more than the slots)
    Json::Array headers;
    for (int k = 0; k < 3; ++k) {
      const std::string name = "x-h" + std::to_string((n * 3 + k) % 30);
      const std::string value = "v" + std::to_string(n) + "-" + std::to_string(k);
      request.headers.emplace_back(name, value);
      headers.push_back(Json(name));  // (flat: Node's rawHeaders)
      headers.push_back(Json(value));
    }
    Json::Array expected;
    for (const std::string* f : {&request.method, &request.url, &request.path, &request.query, &request.ip,
                                 &request.protocol, &request.hostname}) {
      expected.push_back(Json(*f));
    }
    expected.push_back(Json("repeated"));
    expected.push_back(Json(std::move(headers)));
    auto r = engine_->Run(*henv, Limits(), request);
    ASSERT_EQ(r.kind, Kind::kResponse) << r.error.message;
    ASSERT_EQ(r.response.body, Json(std::move(expected)).dump()) << "request " << n;
    if (n % 10 == 9) {
      EXPECT_EQ(engine_->HibernateIdleWorkers(), 1) << "request " << n;
    }
  }
  EXPECT_EQ(engine_->stats().workers, 1);
}

// A hibernated worker that is to be freed value by value (workers not
// dropped whole) is woken first: its runtime must be in memory to be freed.
TEST_F(EngineTest, AHibernatedWorkerFreedValueByValueIsWokenFirst) {
  EngineOptions options;
  options.hibernation = EngineOptions::Hibernation::kAlways;
  options.spare_workers = 0;
  options.drop_workers_whole = false;
  MakeEngine(options);
  auto henv = MakeHenv("hibfreea",
                       "const kept = new Map();\n"
                       "export default (raw) => { kept.set(kept.size, { path: raw.path, all: kept });\n"
                       "  return {handled: true, status: 200, headers: [], body: 'kept ' + kept.size}; };");
  EXPECT_EQ(Run(*henv, "/").response.body, "kept 1");
  EXPECT_EQ(Run(*henv, "/").response.body, "kept 2");
  ASSERT_EQ(engine_->HibernateIdleWorkers(), 1);
  engine_->DropIdleWorkers();
  EXPECT_EQ(engine_->stats().workers, 0);
  EXPECT_EQ(engine_->stats().hibernated_workers, 0);
  MakeEngine(EngineOptions{});  // (the setting is process-wide: back to the default)
}

// Not every idle worker can hibernate: one whose runtime made objects with
// finalizers that reach outside it (here a hash) stays awake; and with
// hibernation kNever, none does.
TEST_F(EngineTest, WorkersThatCannotOrMayNotHibernateStayAwake) {
  EngineOptions options;
  options.spare_workers = 0;
  MakeEngine(options);
  auto hashing = MakeHenv("hibhasha",
                          "const h = (native) => native.hashCreate('sha256');\n"
                          "export default (raw, native) => (h(native), {handled: true, status: 200, headers: [], body: 'ok'});");
  ASSERT_EQ(Run(*hashing, "/").response.body, "ok");
  EXPECT_EQ(engine_->HibernateIdleWorkers(), 0);
  EXPECT_EQ(engine_->stats().hibernated_workers, 0);
  EXPECT_EQ(Run(*hashing, "/").response.body, "ok");

  options.hibernation = EngineOptions::Hibernation::kNever;
  MakeEngine(options);
  auto plain = MakeHenv("hibplain", kEcho);
  ASSERT_EQ(Run(*plain, "/").kind, Kind::kResponse);
  const int64_t awake = engine_->stats().memory_bytes;
  EXPECT_EQ(engine_->HibernateIdleWorkers(), 0);
  EXPECT_EQ(engine_->stats().hibernated_workers, 0);
  EXPECT_GT(engine_->stats().memory_bytes, awake / 2) << "trimmed, not hibernated";
  EXPECT_EQ(Run(*plain, "/").kind, Kind::kResponse);
  EXPECT_EQ(engine_->stats().wakes, 0u);
}

// Routers for the tests of Hibernation::kWhenCheaper. Each /fill keeps
// ~150,000 small objects in the module: a wake makes and writes back ~15 MB
// of arena (milliseconds on any machine), while binding the one-function
// router costs a fraction of that. The other spins 200 ms as it loads: its
// small worker is always cheaper woken than made.
constexpr const char* kHoardingRouter =
    "let kept = [];\n"
    "export default (raw) => {\n"
    "  if (raw.path === '/fill') kept = Array.from({ length: 150000 }, (_, i) => ({ i, s: 'v' + i }));\n"
    "  return { handled: true, status: 200, headers: [], body: String(kept.length) };\n"
    "};";
constexpr const char* kSlowToBindRouter =
    "const until = Date.now() + 200; while (Date.now() < until) {}\n"
    "let visits = 0;\n"
    "export default () => ({ handled: true, status: 200, headers: [], body: String(++visits) });";

// Hibernation::kWhenCheaper (--js_hibernate=auto, the default): a worker is
// hibernated while no wake has been measured; once one has, an idle worker
// whose wake would cost more than making its henv a new one is dropped
// instead, and a hibernated one a request finds is dropped and a worker
// made instead of woken. Each /fill of henvs a and b keeps ~150,000 small
// objects in its module: a wake makes and writes back ~15 MB of arena
// (milliseconds on any machine), while binding their one-function router
// costs a fraction of that. Henv c's router spins 200 ms as it loads: its
// small worker is always cheaper woken than made.
TEST_F(EngineTest, AnIdleWorkerCostlierToWakeThanToRemakeIsDropped) {
  EngineOptions options;
  options.spare_workers = 0;
  options.max_workers_per_henv = 1;
  options.estimate_wake_at_start = false;  // (what comes before the first wake)
  MakeEngine(options);
  ASSERT_EQ(options.hibernation, EngineOptions::Hibernation::kWhenCheaper) << "the default";
  auto a = MakeHenv("costlyaa", kHoardingRouter);
  auto b = MakeHenv("costlybb", kHoardingRouter);
  auto c = MakeHenv("costlycc", kSlowToBindRouter);
  ASSERT_EQ(Run(*a, "/fill").response.body, "150000");
  ASSERT_EQ(Run(*b, "/fill").response.body, "150000");
  ASSERT_EQ(Run(*c, "/").response.body, "1");
  EXPECT_EQ(engine_->stats().wake_ns_per_kib, 0) << "no wake yet";
  ASSERT_EQ(engine_->HibernateIdleWorkers(), 3) << "no wake measured: all hibernate";

  // a's wake is measured; its state came back.
  EXPECT_EQ(Run(*a, "/").response.body, "150000");
  EXPECT_EQ(engine_->stats().wakes, 1u);
  EXPECT_GT(engine_->stats().wake_ns_per_kib, 0);
  // b, hibernated before that, is not woken: dropped, and a worker made.
  EXPECT_EQ(Run(*b, "/").response.body, "0") << "a new worker: b's module state went with the old one";
  EXPECT_EQ(engine_->stats().dropped_not_woken, 1u);
  EXPECT_EQ(engine_->stats().made, 4u);
  ASSERT_EQ(Run(*b, "/fill").response.body, "150000");
  // c is: its worker costs far more to make.
  EXPECT_EQ(Run(*c, "/").response.body, "2");
  EXPECT_EQ(engine_->stats().wakes, 2u);

  // Idle again: a's and b's workers (15 MB to wake) are dropped, c's
  // hibernates again.
  EXPECT_EQ(engine_->HibernateIdleWorkers(), 1) << "c's";
  EXPECT_EQ(engine_->stats().dropped_idle, 2u);
  EXPECT_EQ(engine_->stats().workers, 1);
  EXPECT_EQ(engine_->stats().hibernated_workers, 1);
  EXPECT_EQ(Run(*a, "/").response.body, "0");
  EXPECT_EQ(Run(*c, "/").response.body, "3");
  EXPECT_EQ(engine_->stats().made, 5u) << "a's, made again";
  EXPECT_EQ(engine_->stats().wakes, 3u) << "c's, woken";
  engine_->DropIdleWorkers();
  EXPECT_EQ(engine_->stats().workers, 0);
  // (what stays counted: the henvs' bound images, bound_image.h)
  EXPECT_EQ(engine_->stats().memory_bytes, engine_->stats().bound_image_bytes);

  // Each so many decisions against hibernating, one hibernates anyway and
  // is woken (not dropped) by its henv's next request, its wake measured.
  const uint64_t dropped_before = engine_->stats().dropped_idle;
  int rounds = 0;
  bool probed = false;
  while (!probed && rounds < 100) {
    ++rounds;
    ASSERT_EQ(Run(*a, "/fill").response.body, "150000");
    probed = engine_->HibernateIdleWorkers() == 1;
  }
  ASSERT_TRUE(probed) << "no hibernation in " << rounds << " rounds";
  EXPECT_EQ(engine_->stats().dropped_idle, dropped_before + static_cast<uint64_t>(rounds - 1));
  EXPECT_EQ(Run(*a, "/").response.body, "150000") << "woken, its state as it was";
  EXPECT_EQ(engine_->stats().wakes, 4u);
  EXPECT_EQ(engine_->stats().dropped_not_woken, 1u);
  engine_->DropIdleWorkers();
}

// Hibernation::kWhenCheaper starts from an estimate of a wake's cost,
// made as the engine starts (fresh memory backed and written), so the
// first idle workers are already judged by it: a worker holding ~15 MB is
// dropped rather than hibernated before any wake was measured, while one
// whose router spins 200 ms as it loads hibernates. The first wake
// measured replaces the estimate.
TEST_F(EngineTest, TheFirstIdleWorkersAreJudgedByAWakeEstimatedAtStart) {
  EngineOptions options;
  options.spare_workers = 0;
  options.max_workers_per_henv = 1;
  MakeEngine(options);
  ASSERT_TRUE(options.estimate_wake_at_start) << "the default";
  const int64_t estimate = engine_->stats().wake_ns_per_kib;
  EXPECT_GT(estimate, 0) << "estimated at start";
  auto a = MakeHenv("estimaaa", kHoardingRouter);
  auto c = MakeHenv("estimccc", kSlowToBindRouter);
  ASSERT_EQ(Run(*a, "/fill").response.body, "150000");
  ASSERT_EQ(Run(*c, "/").response.body, "1");
  EXPECT_EQ(engine_->HibernateIdleWorkers(), 1) << "c's only";
  EXPECT_EQ(engine_->stats().dropped_idle, 1u) << "a's";
  EXPECT_EQ(engine_->stats().wakes, 0u);
  EXPECT_EQ(Run(*a, "/").response.body, "0") << "a new worker";
  EXPECT_EQ(Run(*c, "/").response.body, "2") << "woken, its state as it was";
  EXPECT_EQ(engine_->stats().wakes, 1u);
  EXPECT_GT(engine_->stats().wake_ns_per_kib, 0);
  engine_->DropIdleWorkers();
}

// A henv's first worker made by capturing its bound image (a bind or three
// and a comparison) says nothing of what its next costs: a copy of that
// image (what copies cost in its shard, or before any what waking the
// worker as it was made would). Henv a's top level computes for a while
// (pure, so its workers are still copied bound): each bind costs far more
// than waking even a worker holding ~15 MB, a copy far less. a's idle
// worker made by its capture is dropped, not hibernated; judged by the
// capture's own time it hibernated (and packing it cost the housekeeper
// more than the copy its henv's next request makes).
TEST_F(EngineTest, AWorkerMadeByACaptureIsJudgedByWhatACopyOfItsImageCosts) {
  constexpr const char* kSlowPureRouter =
      "let x = 0; for (let i = 0; i < 3000000; i++) x = (x * 31 + i) % 1000003;\n"
      "let kept = [];\n"
      "export default (raw) => {\n"
      "  if (raw.path === '/fill') kept = Array.from({ length: 150000 }, (_, i) => ({ i, s: 'v' + i }));\n"
      "  return { handled: true, status: 200, headers: [], body: x + ':' + kept.length };\n"
      "};";
  EngineOptions options;
  options.spare_workers = 0;
  options.max_workers_per_henv = 1;
  MakeEngine(options);
  ASSERT_EQ(options.hibernation, EngineOptions::Hibernation::kWhenCheaper) << "the default";
  ASSERT_TRUE(options.bound_images) << "the default";
  auto b = MakeHenv("capcopbb", kHoardingRouter);
  ASSERT_EQ(Run(*b, "/").response.body, "0");  // (its capture)
  engine_->DropIdleWorkers();
  ASSERT_EQ(Run(*b, "/").response.body, "0");  // (a copy of its image)
  ASSERT_EQ(engine_->stats().made_bound, 1u);
  EXPECT_GT(engine_->stats().bound_copy_ns, 0);
  engine_->DropIdleWorkers();

  auto a = MakeHenv("capcopaa", kSlowPureRouter);
  const std::string x = Run(*a, "/").response.body;  // its bind compiled: captured at its next worker
  ASSERT_EQ(engine_->stats().bound_images, 1);
  engine_->DropIdleWorkers();
  ASSERT_EQ(Run(*a, "/fill").response.body, x.substr(0, x.find(':')) + ":150000");
  ASSERT_EQ(engine_->stats().bound_images, 2) << "a's, captured";
  ASSERT_EQ(engine_->stats().made_bound, 1u) << "a's worker is the capture's";
  const uint64_t dropped_before = engine_->stats().dropped_idle;
  EXPECT_EQ(engine_->HibernateIdleWorkers(), 0);
  EXPECT_EQ(engine_->stats().dropped_idle, dropped_before + 1);
  EXPECT_EQ(engine_->stats().workers, 0);
  EXPECT_EQ(Run(*a, "/").response.body, x) << "a copy of its image: its top level's state, not /fill's";
  EXPECT_EQ(engine_->stats().made_bound, 2u);
  engine_->DropIdleWorkers();
}

// A destroyed worker's connection to its henv's file is kept for the
// henv's next worker (connection_shelf.h), which then parses no schema.
TEST_F(EngineTest, ADestroyedWorkersConnectionServesTheHenvsNextWorker) {
  constexpr const char* kCounting =
      "export default (raw, native) => ({handled: true, status: 200, headers: [], body: raw.path === '/add'"
      " ? String(native.dbExecute('INSERT INTO notes VALUES (1)').rows_affected)"
      " : String(native.dbGet('SELECT count(*) AS n FROM notes').n)});";
  auto a = MakeNotesHenv("shelfaaa", kCounting);
  auto b = MakeNotesHenv("shelfbbb", kCounting);
  ASSERT_EQ(Run(*a, "/add").response.body, "1");
  ASSERT_EQ(DescriptorsOn(a->database_path()), 2) << "the henv's and its worker's";
  engine_->DropIdleWorkers();
  EXPECT_EQ(engine_->stats().workers, 0);
  EXPECT_EQ(engine_->stats().spare_connections, 1) << "the worker's connection, kept";
  EXPECT_EQ(DescriptorsOn(a->database_path()), 2);

  EXPECT_EQ(Run(*b, "/").response.body, "0") << "another henv's worker opens its own";
  EXPECT_EQ(engine_->stats().spare_connections_taken, 0u);
  EXPECT_EQ(Run(*a, "/").response.body, "1") << "what the first worker wrote, committed";
  EXPECT_EQ(engine_->stats().spare_connections_taken, 1u);
  EXPECT_EQ(engine_->stats().spare_connections, 0);
  EXPECT_EQ(DescriptorsOn(a->database_path()), 2) << "the kept one, not a third";
  EXPECT_EQ(Run(*a, "/add").response.body, "1");
  EXPECT_EQ(Run(*a, "/").response.body, "2");

  // A code change: the request that finds the old worker stale shelves its
  // connection on the spot, and the new worker it makes takes it (without
  // that, whether it could depended on the housekeeper destroying the old
  // worker first).
  SetDocument(*a, "_system/router.js", std::string(kCounting) + "\n// v2");
  EXPECT_EQ(Run(*a, "/").response.body, "2");
  EXPECT_EQ(engine_->stats().spare_connections_taken, 2u);

  // A script that leaves a transaction open: rolled back at its request's
  // end, so the connection its worker leaves is fit to keep.
  SetDocument(*a, "_system/router.js",
              "export default (raw, native) => (native.dbExec('BEGIN IMMEDIATE'), native.dbExecute('INSERT INTO notes "
              "VALUES (1)'), {handled: true, status: 200, headers: [], body: 'open'});");
  engine_->DropIdleWorkers();
  const int kept = engine_->stats().spare_connections;
  EXPECT_EQ(Run(*a, "/").response.body, "open");
  EXPECT_EQ(DescriptorsOn(a->database_path()), 2);
  EXPECT_EQ(engine_->stats().spare_connections, kept - 1) << "a's, taken";
  engine_->DropIdleWorkers();
  EXPECT_EQ(engine_->stats().spare_connections, kept) << "rolled back at the request's end: kept again";
  auto count = a->WithDb([](db::Database& db) { return db.QueryValue("SELECT count(*) FROM notes"); });
  ASSERT_TRUE(count.ok() && count->has_value());
  EXPECT_EQ(std::get<int64_t>(**count), 2);

  // None kept with the shelf off.
  EngineOptions off;
  off.spare_connections = 0;
  MakeEngine(off);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(Run(*b, "/").response.body, "0");
    engine_->DropIdleWorkers();
    EXPECT_EQ(engine_->stats().spare_connections, 0);
  }
  EXPECT_EQ(engine_->stats().spare_connections_taken, 0u);
}

TEST_F(EngineTest, NoRouteTakesAPathOutsideTheReachItsWorkersReport) {
  const std::string router =
      "const f = (raw, native) => { if (raw.path === '/grow') native.routesChanged();"
      " return {handled: true, status: 200, headers: [], body: 'ran'}; };"
      "f.reach = [['/api', false], ['/Case', true], ['/exact', false, true]]; export default f;";
  auto henv = MakeHenv("reachhnv", router);
  EXPECT_FALSE(engine_->NoRouteTakes(*henv, "/static/a.txt")) << "no worker has loaded this version yet";
  ASSERT_EQ(Run(*henv, "/").response.body, "ran");
  EXPECT_TRUE(engine_->NoRouteTakes(*henv, "/static/a.txt"));
  EXPECT_TRUE(engine_->NoRouteTakes(*henv, "/"));
  EXPECT_FALSE(engine_->NoRouteTakes(*henv, "/api"));
  EXPECT_FALSE(engine_->NoRouteTakes(*henv, "/API/users")) << "case-insensitive unless the route says otherwise";
  EXPECT_FALSE(engine_->NoRouteTakes(*henv, "/apiary")) << "a prefix, not a path segment: a pattern may go on";
  EXPECT_FALSE(engine_->NoRouteTakes(*henv, "/Case/x"));
  EXPECT_TRUE(engine_->NoRouteTakes(*henv, "/case/x")) << "a case-sensitive route";
  EXPECT_FALSE(engine_->NoRouteTakes(*henv, "/exact"));
  EXPECT_FALSE(engine_->NoRouteTakes(*henv, "/EXACT/"));
  EXPECT_TRUE(engine_->NoRouteTakes(*henv, "/exact/x")) << "an exact route takes its path only";
  EXPECT_TRUE(engine_->NoRouteTakes(*henv, "/exactly"));

  bool own_not_found = true;
  EXPECT_TRUE(engine_->NoRouteTakes(*henv, "/x", &own_not_found));
  EXPECT_FALSE(own_not_found);

  // A new code version: nothing is known until one of its workers loads.
  SetDocument(*henv, "_system/router.js", "const f = () => ({handled: false}); f.reach = [['/static', false]];"
                                          "f.reach.ownNotFound = true; export default f;");
  EXPECT_FALSE(engine_->NoRouteTakes(*henv, "/x"));
  Run(*henv, "/");
  EXPECT_TRUE(engine_->NoRouteTakes(*henv, "/x", &own_not_found));
  EXPECT_TRUE(own_not_found) << "an express app answers with its own 404 page";
  EXPECT_FALSE(engine_->NoRouteTakes(*henv, "/static/a.txt"));

  // Routes added at run time: the version's reach is never relied on again.
  SetDocument(*henv, "_system/router.js", router);
  Run(*henv, "/");
  ASSERT_TRUE(engine_->NoRouteTakes(*henv, "/static/a.txt"));
  Run(*henv, "/grow");
  EXPECT_FALSE(engine_->NoRouteTakes(*henv, "/static/a.txt"));
  Run(*henv, "/");
  EXPECT_FALSE(engine_->NoRouteTakes(*henv, "/static/a.txt")) << "another run does not bring it back";

  // A router with no reach (middleware for every path) takes everything.
  auto open = MakeHenv("reachnon", "export default () => ({handled: false});");
  Run(*open, "/");
  EXPECT_FALSE(engine_->NoRouteTakes(*open, "/static/a.txt"));
}

TEST_F(EngineTest, BindingDoesNotWaitForABusyHenvConnection) {
  auto henv = MakeHenv("busybind",
                       "export default (raw, native) => { if (raw.path === '/spin') for (;;) {}"
                       " return {handled: true, status: 200, headers: [], body: 'bound'}; };");
  ASSERT_EQ(Run(*henv, "/").response.body, "bound");
  // Out of time: that worker is dropped, so the next request binds a new one.
  ASSERT_EQ(Run(*henv, "/spin", Limits(200)).error.code, "script_timeout");
  ASSERT_EQ(engine_->stats().workers, 0);
  // Another thread holds the henv's connection (a long write) until the
  // request is answered: binding reads the router through a connection of
  // its own instead of waiting behind it.
  std::atomic<bool> answered{false};
  std::atomic<bool> held{false};
  std::thread writer([&] {
    henv->WithDb([&](db::Database&) {
      held = true;
      for (int i = 0; i < 1000 && !answered; ++i) std::this_thread::sleep_for(10ms);
      return 0;
    });
  });
  while (!held) std::this_thread::sleep_for(1ms);
  auto r = Run(*henv, "/");
  const bool answered_while_held = !answered.exchange(true) && held;
  writer.join();
  EXPECT_EQ(r.response.body, "bound") << r.error.code << ": " << r.error.message;
  EXPECT_TRUE(answered_while_held);
}

TEST_F(EngineTest, AnUnfinishedTransactionIsRolledBack) {
  MakeEngine({int64_t{1} << 30, 1});
  auto henv = MakeHenv("tttttttt");
  Eval(*henv, "native.dbExecute('CREATE TABLE t (v)').rows_affected");
  EXPECT_EQ(Eval(*henv, "(native.dbExec('BEGIN IMMEDIATE'), native.dbExecute('INSERT INTO t VALUES (1)').rows_affected)"),
            "1");
  EXPECT_EQ(Eval(*henv, "native.dbGet('SELECT count(*) AS n FROM t').n"), "0");
  EXPECT_EQ(Eval(*henv, "(() => { try { native.dbExec('DELETE FROM t'); return 'ran'; } catch (e) { return e.name; } })()"),
            "TypeError");
}

TEST_F(EngineTest, WritesToCodeDocumentsBumpTheCodeVersion) {
  auto henv = MakeHenv("uuuuuuuu");
  int64_t before = henv->code_version();
  SetDocument(*henv, "_system/router.js",
              "export default (raw, native) => { native.dbExecute(`UPDATE documents SET content = "
              "CAST('export default () => ({handled: true, status: 200, headers: [], body: \"self-edited\"})' AS BLOB)"
              " WHERE path = '_system/router.js'`); return {handled: true, status: 200, headers: [], body: 'edited'}; };");
  EXPECT_GT(henv->code_version(), before);
  auto r = Run(*henv);
  EXPECT_EQ(r.response.body, "edited") << r.error.code << ": " << r.error.message;
  EXPECT_TRUE(r.wrote_database);
  EXPECT_TRUE(r.wrote_code);
  EXPECT_GT(henv->code_version(), before + 1) << "the script's edit bumps the version";
  EXPECT_EQ(Run(*henv).response.body, "self-edited");
}

TEST_F(EngineTest, AWriteReachingDocumentsThroughATriggerCountsAsCode) {
  auto henv = MakeHenv("trigcode");
  SetDocument(*henv, "_system/router.js",
              "export default (raw, native) => { native.dbExecute('INSERT INTO notes VALUES (1)');"
              " return {handled: true, status: 200, headers: [], body: 'noted'}; };");
  ASSERT_TRUE(henv->WithDb([](db::Database& db) {
                    return db.Exec("CREATE TABLE notes (v); CREATE TRIGGER notes_touch AFTER INSERT ON notes BEGIN "
                                   "UPDATE documents SET content = content WHERE path = '_system/router.js'; END");
                  }).ok());
  const int64_t before = henv->code_version();
  auto r = Run(*henv);
  ASSERT_EQ(r.response.body, "noted") << r.error.code << ": " << r.error.message;
  EXPECT_TRUE(r.wrote_code) << "the trigger changed a document row";
  EXPECT_GT(henv->code_version(), before);
}

// NoRouteTakes reads a pool's routing without the engine's lock, from a copy
// each thread keeps until the pool republishes it: every thread sees every
// change, and a new engine on the same thread is never answered from the old
// engine's pools.
TEST_F(EngineTest, NoRouteTakesSeesEachChangeOnEveryThread) {
  const auto router = [](const std::string& literal) {
    return "const f = () => ({handled: true, status: 200, headers: [], body: 'ran'}); f.reach = [['" + literal +
           "', false]]; export default f;";
  };
  auto henv = MakeHenv("reachthr", router("/api"));
  const auto elsewhere = [&](const std::string& path) {
    bool no_route = false;
    std::thread([&] { no_route = engine_->NoRouteTakes(*henv, path); }).join();
    return no_route;
  };
  ASSERT_EQ(Run(*henv, "/").response.body, "ran");
  std::thread loop([&] {
    // One long-lived thread, as an I/O loop: its copy must follow each change.
    EXPECT_TRUE(engine_->NoRouteTakes(*henv, "/x"));
  });
  loop.join();
  EXPECT_TRUE(engine_->NoRouteTakes(*henv, "/x"));
  EXPECT_FALSE(engine_->NoRouteTakes(*henv, "/api/a"));
  for (const std::string literal : {"/x", "/y", "/api"}) {
    SetDocument(*henv, "_system/router.js", router(literal));
    EXPECT_FALSE(engine_->NoRouteTakes(*henv, literal + "/a")) << "not known before a worker of the version loads";
    ASSERT_EQ(Run(*henv, "/").response.body, "ran");
    EXPECT_FALSE(engine_->NoRouteTakes(*henv, literal + "/a")) << literal;
    EXPECT_FALSE(elsewhere(literal + "/a")) << literal;
    EXPECT_TRUE(engine_->NoRouteTakes(*henv, "/other")) << literal;
    EXPECT_TRUE(elsewhere("/other")) << literal;
  }
  // A new engine on this thread: no pool of the old one is used.
  MakeEngine({});
  EXPECT_FALSE(engine_->NoRouteTakes(*henv, "/other")) << "this engine has run nothing yet";
  EXPECT_FALSE(engine_->IsServerCode(henv->hash(), "_system/router.js"));
  ASSERT_EQ(Run(*henv, "/").response.body, "ran");
  EXPECT_TRUE(engine_->NoRouteTakes(*henv, "/other"));
}

TEST_F(EngineTest, ConcurrencyPerHenvIsCapped) {
  MakeEngine({int64_t{1} << 30, 1});
  auto henv = MakeHenv("vvvvvvvv",
                       "export default (raw, native) => { const end = native.now() + 200; while (native.now() < end) {}"
                       " return {handled: true, status: 200, headers: [], body: 'ok'}; };");
  std::vector<ScriptResult> results(3);
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) threads.emplace_back([&, i] { results[i] = Run(*henv); });
  for (auto& t : threads) t.join();
  for (const auto& r : results) EXPECT_EQ(r.response.body, "ok") << r.error.code;
  EXPECT_EQ(engine_->stats().workers, 1);
}

TEST_F(EngineTest, IdleWorkersAreEvictedOverTheMemoryBudget) {
  MakeEngine({1, 4});  // a budget no worker fits in
  auto henv = MakeHenv("wwwwwwww", kEcho);
  EXPECT_EQ(Run(*henv).kind, Kind::kResponse);
  EXPECT_EQ(engine_->stats().idle_workers, 0);
  EXPECT_EQ(Run(*henv).kind, Kind::kResponse);
  // Each request made a worker, evicted (awake) at its check-in.
  EXPECT_EQ(engine_->stats().made, 2u);
  EXPECT_EQ(engine_->stats().evicted_awake, 2u);
  EXPECT_EQ(engine_->stats().evicted_hibernated, 0u);
  MakeEngine({int64_t{1} << 30, 4});
  EXPECT_EQ(Run(*henv).kind, Kind::kResponse);
  EXPECT_EQ(Run(*henv).kind, Kind::kResponse);
  EXPECT_EQ(engine_->stats().idle_workers, 1);
  EXPECT_GT(engine_->stats().memory_bytes, 0);
  EXPECT_EQ(engine_->stats().made, 1u) << "the second request took the first's worker";
  EXPECT_EQ(engine_->stats().evicted_awake, 0u);
}

// A request that finds its henv's worker idle long enough for the worker's
// memory to have left the CPU's caches prefetches it (Checkout); a worker
// just made, or just woken from hibernation, was just written and is not.
TEST_F(EngineTest, AWorkerIdleLongEnoughIsPrefetchedAndANewOrWokenOneIsNot) {
  EngineOptions options;
  options.hibernation = EngineOptions::Hibernation::kAlways;  // (auto drops a worker this cheap to copy)
  MakeEngine(options);
  auto henv = MakeHenv("prefetch", kEcho);
  ASSERT_EQ(Run(*henv).kind, Kind::kResponse);
  EXPECT_EQ(engine_->stats().made, 1u);
  EXPECT_EQ(engine_->stats().prefetched, 0u) << "a worker just made";
  // (50 ms: far past kCacheColdAfter, 1 ms)
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_EQ(Run(*henv).kind, Kind::kResponse);
  EXPECT_EQ(engine_->stats().made, 1u) << "the first request's worker, idle since";
  EXPECT_EQ(engine_->stats().prefetched, 1u);
  ASSERT_EQ(engine_->HibernateIdleWorkers(), 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_EQ(Run(*henv).kind, Kind::kResponse);
  EXPECT_EQ(engine_->stats().wakes, 1u);
  EXPECT_EQ(engine_->stats().prefetched, 1u) << "a worker just woken";
}

// Requests from several threads over henvs spread across the engine's
// shards, under a budget that keeps only a few of their workers: each answer
// is its own henv's, and once they are done the books add up (every worker
// back and idle, none lost or counted twice, the budget kept within what the
// shards may not have added to the total yet, and nothing left counted once
// all are dropped).
TEST_F(EngineTest, ConcurrentRequestsOverManyHenvsKeepTheBooks) {
  auto probe = MakeHenv("booksprb", kEcho);
  ASSERT_EQ(Run(*probe).kind, Kind::kResponse);
  const int64_t worker_bytes = engine_->stats().memory_bytes;
  ASSERT_GT(worker_bytes, 0);
  EngineOptions options;
  options.memory_budget_bytes = worker_bytes * 5;
  options.spare_workers = 1;
  MakeEngine(options);
  std::vector<std::shared_ptr<Henv>> henvs;
  for (int i = 0; i < 24; ++i) henvs.push_back(MakeHenv("books" + std::to_string(100 + i), kEcho));
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 60; ++i) {
        Henv& henv = *henvs[static_cast<size_t>(t * 7 + i * 5) % henvs.size()];
        const ScriptResult r = Run(henv);
        if (r.kind != Kind::kResponse || r.response.body != "hello GET " + henv.hash()) ++wrong;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
  JsEngine::Stats stats = engine_->stats();
  EXPECT_EQ(stats.workers, stats.idle_workers) << "every worker checked back in, and counted once";
  EXPECT_GT(stats.idle_workers, 0);
  EXPECT_LT(stats.idle_workers, 24) << "the budget evicted some";
  EXPECT_LE(stats.memory_bytes, options.memory_budget_bytes + options.memory_budget_bytes / 16);
  engine_->DropIdleWorkers();
  stats = engine_->stats();
  EXPECT_EQ(stats.workers, 0);
  EXPECT_EQ(stats.idle_workers, 0);
  // (what stays counted: the henvs' bound images, bound_image.h)
  EXPECT_GT(stats.bound_images, 0);
  EXPECT_EQ(stats.memory_bytes, stats.bound_image_bytes);
}

// Past 7/8 of the memory budget a worker checked back in sheds what it holds
// beyond its live heap (Worker::Shed): a request's ~2.5 MiB of cycles are
// collected then, and the pages their blocks took in the worker's arena go
// back to the system (js/allocator.h: Arena::ReleaseFree), so the worker
// still fits the budget and stays idle; and its next requests carve those
// pages again.
TEST_F(EngineTest, UnderMemoryPressureACheckedInWorkerShedsItsGarbage) {
  const std::string router =
      "const keep = []; for (let i = 0; i < 3000; i++) keep.push('x'.repeat(1000) + i);\n"
      "export default (raw) => {\n"
      "  if (raw.path === '/garbage') {\n"
      "    for (let i = 0; i < 5000; i++) { const a = {pad: [1, 2, 3, 4, 5, 6, 7, 8]}; a.self = {a}; }\n"
      "  }\n"
      "  return {handled: true, status: 200, headers: [], body: 'ok ' + keep.length};\n"
      "};";
  EngineOptions options;
  options.spare_workers = 0;
  MakeEngine(options);
  auto henv = MakeHenv("shedaaaa", router);
  ASSERT_EQ(Run(*henv).response.body, "ok 3000");
  const int64_t worker_bytes = engine_->stats().memory_bytes;
  ASSERT_GT(worker_bytes, int64_t{3} << 20);

  // A budget the worker fits in, past 7/8 of it: pressure on.
  options.memory_budget_bytes = worker_bytes + worker_bytes / 10;
  MakeEngine(options);
  ASSERT_EQ(Run(*henv).response.body, "ok 3000");
  ASSERT_EQ(engine_->stats().idle_workers, 1);
  for (int round = 0; round < 3; ++round) {
    ASSERT_EQ(Run(*henv, "/garbage").response.body, "ok 3000");
    EXPECT_EQ(engine_->stats().idle_workers, 1) << "the garbage was kept, and the worker evicted over the budget";
    EXPECT_LE(engine_->stats().memory_bytes, options.memory_budget_bytes);
  }
  EXPECT_EQ(Run(*henv).response.body, "ok 3000");
}

TEST_F(EngineTest, NativeUtilities) {
  auto henv = MakeHenv("xxxxxxxx");
  EXPECT_EQ(Eval(*henv, "Array.from(native.sha256(native.utf8Encode('abc'))).slice(0, 4).join(',')"), "186,120,22,191");
  EXPECT_EQ(Eval(*henv, "native.base64Encode(native.utf8Encode('hi?'), false)"), "aGk/");
  EXPECT_EQ(Eval(*henv, "native.base64Encode(native.utf8Encode('hi?'), true)"), "aGk_");
  EXPECT_EQ(Eval(*henv, "native.utf8Decode(native.base64Decode('aGk_', true), true)"), "hi?");
  EXPECT_EQ(Eval(*henv, "native.utf8Decode(new Uint8Array([0x68, 0xff]), false)"), "h\xEF\xBF\xBD");
  EXPECT_EQ(Eval(*henv, "(() => { try { native.utf8Decode(new Uint8Array([0xff]), true); } catch (e) { return e.name; } })()"),
            "TypeError");
  EXPECT_EQ(Eval(*henv, "native.randomBytes(16).length"), "16");
  EXPECT_EQ(Eval(*henv, "(native.log('info', 'hello from a test'), 'logged')"), "logged");
}

TEST_F(EngineTest, TimersRunWithinTheRequest) {
  auto henv = MakeHenv("yyyyyyyy");
  EXPECT_EQ(Eval(*henv, "new Promise((resolve) => native.setTimer(30, () => resolve('fired'), false))"), "fired");
  // Order by due time; a cleared timer never fires.
  EXPECT_EQ(Eval(*henv,
                 "new Promise((resolve) => { const log = [];"
                 " native.setTimer(20, () => { log.push('b'); resolve(log.join('')); }, false);"
                 " native.setTimer(5, () => log.push('a'), false);"
                 " const gone = native.setTimer(10, () => log.push('x'), false); native.clearTimer(gone); })"),
            "ab");
}

TEST_F(EngineTest, ATimerPastTheDeadlineTimesOut) {
  auto henv = MakeHenv("zzzzzzzz",
                       "export default (raw, native) => new Promise((resolve) => native.setTimer(10000, resolve, false));");
  auto r = Run(*henv, "/", Limits(300));
  ASSERT_EQ(r.kind, Kind::kError);
  EXPECT_EQ(r.error.code, "script_timeout");
}

TEST_F(EngineTest, TimersDieWithTheirRequest) {
  MakeEngine({int64_t{1} << 30, 1});
  auto henv = MakeHenv("a1a1a1a1");
  Eval(*henv, "native.dbExecute('CREATE TABLE ticks (v)').rows_affected");
  EXPECT_EQ(Eval(*henv, "(native.setTimer(20, () => native.dbExecute('INSERT INTO ticks VALUES (1)'), false), 'sent')"),
            "sent");
  std::this_thread::sleep_for(60ms);
  EXPECT_EQ(Eval(*henv, "new Promise((r) => native.setTimer(40, () => r(native.dbGet('SELECT count(*) AS n FROM ticks').n), false))"),
            "0");
}

TEST_F(EngineTest, DocumentNatives) {
  auto henv = MakeHenv("b2b2b2b2");
  SetDocument(*henv, "lib/a.txt", "alpha");
  SetDocument(*henv, "lib/b.txt", "beta");
  EXPECT_EQ(Eval(*henv, "native.utf8Decode(native.readDocument('lib/a.txt'), true)"), "alpha");
  EXPECT_EQ(Eval(*henv, "native.readDocument('lib/none.txt')"), "null");
  EXPECT_EQ(Eval(*henv, "native.listDocuments('lib/').join(',')"), "lib/a.txt,lib/b.txt");
  EXPECT_EQ(Eval(*henv, "native.documentInfo('lib/b.txt').size"), "4");
  EXPECT_EQ(Eval(*henv, "native.compileFunction('return a + b;', 'sum.js', ['a', 'b'])(2, 3)"), "5");
  EXPECT_EQ(Eval(*henv,
                 "(() => { try { native.compileFunction('\\n\\nthrow new Error(1)', 'lines.js', [])(); }"
                 " catch (e) { return /lines.js:3/.test(e.stack) ? 'line 3' : e.stack; } })()"),
            "line 3");
  // Only the env.* settings reach a script; the rest of the config is HBF's.
  EXPECT_EQ(Eval(*henv, "native.config().qjs_mem_mb"), "undefined");
  ASSERT_TRUE(henv->WithDb([](db::Database& db) {
                    return db.Exec("INSERT INTO _hbf_config (key, value) VALUES ('env.API_URL', 'https://x')");
                  }).ok());
  EXPECT_EQ(Eval(*henv, "JSON.stringify(native.config())"), "{\"env.API_URL\":\"https://x\"}");
}

TEST_F(EngineTest, ScriptsCannotReachTheSealedTables) {
  auto henv = MakeHenv("sealedtt");
  auto attempt = [&](const std::string& sql) {
    return Eval(*henv, "(() => { try { return JSON.stringify(native.dbQuery(" + Json(sql).dump() +
                           ")); } catch (e) { return 'refused: ' + e.message; } })()");
  };
  // The attacks of issue #12: the signing key, and an admin's script
  // giving the owner another user's password.
  EXPECT_EQ(attempt("SELECT * FROM _hbf_signing_keys").rfind("refused: ", 0), 0u);
  EXPECT_EQ(attempt("UPDATE _hbf_users SET password_hash = (SELECT password_hash FROM _hbf_users "
                    "WHERE username = 'eve') WHERE role = 'owner'")
                .rfind("refused: ", 0),
            0u);
  EXPECT_EQ(attempt("PRAGMA database_list").rfind("refused: ", 0), 0u);
  // A statement the host has compiled (and cached) is not handed to the
  // script: the same text is compiled again under the script's rules.
  EXPECT_EQ(attempt("SELECT key, value FROM _hbf_config WHERE substr(key, 1, 4) = 'env.' ORDER BY key")
                .rfind("refused: ", 0),
            0u);
  // A cached statement that SQLite recompiles when it is next stepped,
  // because the schema changed, is checked again as the script's.
  EXPECT_EQ(Eval(*henv, "(() => { native.dbExecute('CREATE TABLE t (v)'); native.dbExecute('INSERT INTO t VALUES (1)');"
                        " native.dbQuery('SELECT v FROM t'); native.dbExecute('DROP TABLE t');"
                        " native.dbExecute('CREATE VIEW t AS SELECT secret AS v FROM _hbf_signing_keys');"
                        " try { return JSON.stringify(native.dbQuery('SELECT v FROM t')); }"
                        " catch (e) { return 'refused'; } })()"),
            "refused");
  EXPECT_EQ(attempt("SELECT 1 AS ok"), "[{\"ok\":1}]");
}

// BigInts whose top limb is sign padding (2^63 and up) print correctly
// (scripts/patches/quickjs/0003: under UBSan this was clz(0)).
TEST_F(EngineTest, BigIntsWithAPaddingLimbConvertToStrings) {
  auto henv = MakeHenv("aaaaaaaa", kEcho);
  EXPECT_EQ(Eval(*henv, "[2n ** 63n, 2n ** 64n - 1n, -(2n ** 127n)].map((b) => b.toString() + '/' + b.toString(16)).join(' ')"),
            "9223372036854775808/8000000000000000 18446744073709551615/ffffffffffffffff "
            "-170141183460469231731687303715884105728/-80000000000000000000000000000000");
}

// RegExp.$1 and the other legacy statics (scripts/patches/quickjs/0002):
// what Node 20 (V8) answers for the same steps.
TEST_F(EngineTest, LegacyRegExpStaticsFollowTheLastSuccessfulMatch) {
  auto henv = MakeHenv("aaaaaaaa", kEcho);
  EXPECT_EQ(Eval(*henv, R"js((() => {
    const out = [];
    out.push([RegExp.$1, RegExp.lastMatch, RegExp.input]);
    /^\s*([^;\s]*)/.test("text/html; charset=utf-8");
    out.push([RegExp.$1, RegExp.$2, RegExp["$&"], RegExp.lastParen, RegExp.leftContext, RegExp.rightContext, RegExp.input]);
    "a1b22c333".replace(/(\d+)([a-z])?/g, "-");
    out.push([RegExp.$1, RegExp.$2, RegExp.lastMatch, RegExp["$+"], RegExp["$`"], RegExp["$'"]]);
    /x(y)?z/.exec("__xz__");
    out.push([RegExp.$1, RegExp.lastParen, RegExp.leftContext, RegExp.rightContext]);
    /nomatch/.test("abc");
    out.push([RegExp.$1, RegExp.lastMatch]);
    RegExp.$1 = "ignored"; RegExp.input = "set";
    out.push([RegExp.$1, RegExp.input, RegExp.$_]);
    "\u00e9\u00e9(\u00fc)".match(/\((.)\)/);
    out.push([RegExp.$1, RegExp.leftContext]);
    return JSON.stringify(out);
  })())js"),
            R"([["","",""],["text/html","","text/html","text/html","","; charset=utf-8","text/html; charset=utf-8"],)"
            R"(["333","","333","","a1b22c",""],["","","__","__"],["","xz"],["","set","set"],["ü","éé"]])");
}

// Case-insensitive character classes (scripts/patches/quickjs/0007 skips
// canonicalizing a class of ASCII non-letters): what Node 20 (V8) answers,
// for classes on both sides of that line, with /i and /iu.
TEST_F(EngineTest, CaseInsensitiveClassesMatchAsInV8) {
  auto henv = MakeHenv("aaaaaaaa", kEcho);
  EXPECT_EQ(Eval(*henv, R"js((() => {
    const cases = [
      [/^[^\/]+$/i, ["ABC", "abc", "a/b", "\u212A", "\u017F", "-"]],
      [/^[^\/]+$/iu, ["ABC", "\u212A", "\u{1F600}", "a/b"]],
      [/^[\/.\-]$/i, ["/", ".", "-", "A", "a"]],
      [/^[^\-.]$/i, ["-", ".", "a", "Z", "\u00e9"]],
      [/^[0-9]+$/i, ["123", "12a"]],
      [/^[^0-9]$/i, ["5", "x", "X"]],
      [/^[@-Z]$/i, ["@", "a", "Z", "z", "["]],
      [/^[A-Z]+$/iu, ["abc", "XYZ"]],
      [/^[\[-`]$/i, ["[", "`", "_", "a", "A"]],
      [/^[^a-z]$/i, ["A", "a", "1", "\u212A"]],
      [/^[k]$/iu, ["k", "K", "\u212A"]],
      [/^[^k]$/iu, ["\u212A", "x"]],
      [/^[s]$/i, ["S", "\u017F"]],
      [/^[\d]$/i, ["3", "d"]],
      [/^[\w]+$/i, ["aZ_9", "\u212A"]],
    ];
    const out = cases.map(([re, inputs]) => re.source + "/" + re.flags + ":" + inputs.map((s) => (re.test(s) ? 1 : 0)).join(""));
    return out.join(" ");
  })())js"),
            "^[^\\/]+$/i:110111 ^[^\\/]+$/iu:1110 ^[\\/.\\-]$/i:11100 ^[^\\-.]$/i:00111 ^[0-9]+$/i:10 "
            "^[^0-9]$/i:011 ^[@-Z]$/i:11110 ^[A-Z]+$/iu:11 ^[\\[-`]$/i:11100 ^[^a-z]$/i:0011 ^[k]$/iu:111 ^[^k]$/iu:01 "
            "^[s]$/i:10 ^[\\d]$/i:10 ^[\\w]+$/i:10");
}

// QuickJS patch 0005 keeps the chains of shapes objects pass through while
// their properties are added, for the next object of the same layout, and
// keeps shapes whose objects died in a collection. Objects of many layouts
// (more than the 64 kept, some past the 48-property chain cap), with
// prototypes that die with them, in cycles the collector frees, reshaped
// by delete, defineProperty, freeze and setPrototypeOf, must read back
// exactly what was written, request after request, after the idle worker
// is trimmed, and in a new worker; under ASan this is also the patch's
// use-after-free check.
TEST_F(EngineTest, ObjectsBuiltAlikeRequestAfterRequestReadBackWhatWasWritten) {
  // (The idle worker hibernates and wakes, its state kept, whatever a wake
  // costs here: auto would drop it where a new worker is cheaper.)
  EngineOptions options;
  options.hibernation = EngineOptions::Hibernation::kAlways;
  MakeEngine(options);
  constexpr const char* kLayouts = R"js(
function build(layout, round) {
  const proto = layout % 3 === 0 ? { tag: "p" + layout } : Object.prototype;
  const o = Object.create(proto);
  const n = 1 + (layout * 7) % 60;
  for (let i = 0; i < n; i++) o["k" + layout + "_" + i] = i + round;
  if (layout % 4 === 0) o.self = o;
  if (layout % 5 === 0) delete o["k" + layout + "_0"];
  if (layout % 6 === 0) Object.defineProperty(o, "k" + layout + "_" + (n - 1), { enumerable: false });
  if (layout % 7 === 0) Object.setPrototypeOf(o, { other: layout });
  if (layout % 11 === 0) Object.freeze(o);
  return o;
}
function check(o, layout, round) {
  const n = 1 + (layout * 7) % 60;
  for (let i = 0; i < n; i++) {
    const v = o["k" + layout + "_" + i];
    if (v !== undefined && v !== i + round) return "layout " + layout + " key " + i + " read " + v;
  }
  const keys = Object.keys(o).filter((k) => k !== "self");
  let expected = n - (layout % 5 === 0 ? 1 : 0) - (layout % 6 === 0 && n > 1 ? 1 : 0);
  if (layout % 6 === 0 && n === 1 && layout % 5 === 0) expected = 0;
  if (keys.length !== expected) return "layout " + layout + " has " + keys.length + " keys, not " + expected;
  if (layout % 7 === 0 ? o.other !== layout : layout % 3 === 0 && o.tag !== "p" + layout) return "layout " + layout + " lost its prototype";
  return "";
}
let round = 0;
export default () => {
  round++;
  const kept = [];
  for (let layout = 0; layout < 100; layout++) {
    const o = build(layout, round);
    const fault = check(o, layout, round);
    if (fault) return { handled: true, status: 500, headers: [], body: fault };
    if (layout % 10 === 0) kept.push(o);
    const a = { peer: null, n: layout };
    const b = { peer: a, n: layout + 1 };
    a.peer = b;
  }
  for (let i = 0; i < kept.length; i++) {
    const fault = check(kept[i], i * 10, round);
    if (fault) return { handled: true, status: 500, headers: [], body: "after the loop: " + fault };
  }
  return { handled: true, status: 200, headers: [], body: "ok " + round };
};
)js";
  auto henv = MakeHenv("shapesaa", kLayouts);
  const auto rounds = [&](int first, int last) {
    for (int i = first; i <= last; ++i) {
      auto r = Run(*henv);
      ASSERT_EQ(r.kind, Kind::kResponse) << r.error.message;
      ASSERT_EQ(r.response.body, "ok " + std::to_string(i));
    }
  };
  rounds(1, 60);
  if (HasFatalFailure()) return;
  // Idle, the worker is trimmed by the housekeeper (a collection, then the
  // kept shapes released): its heap shrinks. Then the same worker goes on.
  const int64_t busy_bytes = engine_->stats().memory_bytes;
  const auto give_up = std::chrono::steady_clock::now() + 20s;
  while (engine_->stats().memory_bytes >= busy_bytes && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_LT(engine_->stats().memory_bytes, busy_bytes) << "the idle worker was not trimmed";
  rounds(61, 100);
  if (HasFatalFailure()) return;
  engine_->DropIdleWorkers();  // a new worker: a new runtime, its rounds anew
  rounds(1, 50);
}

}  // namespace
}  // namespace hbf::js
