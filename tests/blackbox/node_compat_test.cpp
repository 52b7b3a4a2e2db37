// Black-box tests of the Node globals and core modules npm packages need
// (issue #20): a henv's router uses them inside the real binary, so the
// natives (Nettle's hashes, the monotonic clock, detaching buffers) and the
// built-ins run as they do in production. tools/nodecompat-test holds the
// same modules to Node 20's behaviour case by case.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "blackbox/henv_fixture.h"
#include "core/json.h"

namespace hbf::test {
namespace {

class NodeCompatTest : public OneHenvTest {
 protected:
  // Installs `body` as the router's handler for GET /t and returns the JSON it answers.
  Json Run(const std::string& body) {
    Put("_system/router.js", R"js(
import { Router } from "hbf:router";
const router = new Router();
router.get("/t", async (req, res) => {
  const out = await (async () => {
)js" + body + R"js(
  })();
  res.json(out);
});
export default router;
)js");
    auto r = Get("/t");
    EXPECT_EQ(r.status, 200) << r.body << "\n" << server_->logs();
    auto parsed = Json::Parse(r.body);
    EXPECT_TRUE(parsed.ok()) << r.body;
    return parsed.ok() ? *parsed : Json();
  }
};

std::string Str(const Json& j, const char* key) {
  const Json* v = j.find(key);
  return v != nullptr && v->is_string() ? v->as_string() : "<missing " + std::string(key) + ">";
}

double Num(const Json& j, const char* key) {
  const Json* v = j.find(key);
  return v != nullptr && v->is_number() ? v->as_double() : -1;
}

std::string Dump(const Json& j, const char* key) {
  const Json* v = j.find(key);
  return v != nullptr ? v->dump() : "<missing " + std::string(key) + ">";
}

bool True(const Json& j, const char* key) {
  const Json* v = j.find(key);
  return v != nullptr && v->is_bool() && v->as_bool();
}

TEST_F(NodeCompatTest, CryptoHashesAndHmacsMatchKnownVectors) {
  Json out = Run(R"js(
    const crypto = require("crypto");
    const hex = (alg, data) => crypto.createHash(alg).update(data).digest("hex");
    const million = crypto.createHash("sha1");
    for (let i = 0; i < 1000; i++) million.update("a".repeat(1000));
    const partial = crypto.createHash("md5").update("ab");
    const copy = partial.copy();
    let unknown = null;
    try { crypto.createHash("whirlpool2"); } catch (e) { unknown = e.message; }
    let unknownHmac = null;
    try { crypto.createHmac("nope", "k"); } catch (e) { unknownHmac = e.code; }
    return {
      md5: hex("md5", "abc"),
      md5Chained: crypto.createHash("md5").update("a").update(Buffer.from("b")).update(new Uint8Array([99])).digest("hex"),
      md5Copy: copy.update("c").digest("hex"),
      md5Original: partial.digest("base64"),
      sha1: hex("sha1", "abc"),
      sha1Million: million.digest("hex"),
      sha256: hex("sha256", "abc"),
      sha384: hex("sha384", "abc"),
      sha512: hex("sha512", "abc"),
      sha3: hex("sha3-256", ""),
      ripemd: hex("ripemd160", "abc"),
      hmacSha1: crypto.createHmac("sha1", "Jefe").update("what do ya want for nothing?").digest("hex"),
      hmacSha1LongKey: crypto.createHmac("sha1", Buffer.alloc(80, 0xaa))
        .update("Test Using Larger Than Block-Size Key - Hash Key First").digest("hex"),
      hmacSha512: crypto.createHmac("sha512", "Jefe").update("what do ya want for nothing?").digest("base64url"),
      pbkdf2: crypto.pbkdf2Sync("password", "salt", 2, 20, "sha1").toString("hex"),
      unknown, unknownHmac,
      hashes: crypto.getHashes().includes("md5") && crypto.getHashes().includes("sha384"),
      uuidV4: /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(crypto.randomUUID()),
      random: crypto.randomBytes(40).length === 40,
      timingSafe: crypto.timingSafeEqual(Buffer.from("abc"), Buffer.from("abc")) &&
        !crypto.timingSafeEqual(Buffer.from("abc"), Buffer.from("abd")),
    };
  )js");
  // RFC 1321, FIPS 180-2 appendix A/B/C (including the million "a"), RFC 2202 cases 2 and 6, RFC 6070.
  EXPECT_EQ(Str(out, "md5"), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(Str(out, "md5Chained"), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(Str(out, "md5Copy"), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(Str(out, "md5Original"), "GH70Q2Ei0cwvQNwrkvDroA==");  // md5("ab"), untouched by the copy's update
  EXPECT_EQ(Str(out, "sha1"), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(Str(out, "sha1Million"), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
  EXPECT_EQ(Str(out, "sha256"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Str(out, "sha384"),
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7");
  EXPECT_EQ(Str(out, "sha512"),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
            "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
  EXPECT_EQ(Str(out, "sha3"), "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a");
  EXPECT_EQ(Str(out, "ripemd"), "8eb208f7e05d987a9b044a8e98c6b087f15a0bfc");
  EXPECT_EQ(Str(out, "hmacSha1"), "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
  EXPECT_EQ(Str(out, "hmacSha1LongKey"), "aa4ae5e15272d00e95705637ce8a3b55ed402112");
  // RFC 4231 test case 2, base64url.
  EXPECT_EQ(Str(out, "hmacSha512"),
            "Fkt6e_z4GeLjlfvnO1bgo4e9ZCIugx_WECcM1-olBVSXWL91wFqZSm0DT2X48Ob9yuqxo01Ka0tjbgcKOLznNw");
  EXPECT_EQ(Str(out, "pbkdf2"), "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957");
  EXPECT_EQ(Str(out, "unknown"), "Digest method not supported");
  EXPECT_EQ(Str(out, "unknownHmac"), "ERR_CRYPTO_INVALID_DIGEST");
  EXPECT_TRUE(True(out, "hashes"));
  EXPECT_TRUE(True(out, "uuidV4"));
  EXPECT_TRUE(True(out, "random"));
  EXPECT_TRUE(True(out, "timingSafe"));
}

TEST_F(NodeCompatTest, StreamPipelinesTransformsAndBackpressure) {
  Json out = Run(R"js(
    const { Readable, Writable, Transform, PassThrough, pipeline } = require("stream");
    const { pipeline: pipelineAsync } = await import("node:stream/promises");
    const upper = () => new Transform({
      transform(chunk, enc, cb) { cb(null, chunk.toString().toUpperCase()); },
    });
    const collected = [];
    const sink = new Writable({ write(chunk, enc, cb) { collected.push(chunk.toString()); cb(); } });
    const viaCallback = await new Promise((resolve, reject) =>
      pipeline(Readable.from(["a", "b", "c"]), upper(), sink, (err) => (err ? reject(err) : resolve(collected.join("")))));

    const objects = [];
    await pipelineAsync(Readable.from([1, 2, 3]),
      new Transform({ objectMode: true, transform(n, enc, cb) { cb(null, { n: n * 10 }); } }),
      new Writable({ objectMode: true, write(o, enc, cb) { objects.push(o.n); cb(); } }));

    // A slow writer with a small highWaterMark: write() says false, the
    // source is paused by pipe() and resumed on 'drain'.
    let falseWrites = 0;
    let drains = 0;
    const slow = new Writable({
      highWaterMark: 4,
      write(chunk, enc, cb) { setTimeout(cb, 1); },
    });
    const origWrite = slow.write.bind(slow);
    slow.write = (...args) => { const ok = origWrite(...args); if (!ok) falseWrites++; return ok; };
    slow.on("drain", () => drains++);
    await pipelineAsync(Readable.from(Array.from({ length: 20 }, (_, i) => "chunk" + i), { objectMode: false }), slow);

    let failure = null;
    try {
      await pipelineAsync(Readable.from(["x"]), new Transform({ transform(c, e, cb) { cb(new Error("bad chunk")); } }),
        new PassThrough());
    } catch (e) { failure = e.message; }

    const iterated = [];
    for await (const chunk of Readable.from(["p", "q"])) iterated.push(chunk);
    return { viaCallback, objects, falseWrites, drains, failure, iterated, isStream: sink instanceof require("stream") };
  )js");
  EXPECT_EQ(Str(out, "viaCallback"), "ABC");
  EXPECT_EQ(Dump(out, "objects"), "[10,20,30]");
  EXPECT_GT(Num(out, "falseWrites"), 0);
  EXPECT_GT(Num(out, "drains"), 0);
  EXPECT_EQ(Str(out, "failure"), "bad chunk");
  EXPECT_EQ(Dump(out, "iterated"), R"(["p","q"])");
  EXPECT_TRUE(True(out, "isStream"));
}

TEST_F(NodeCompatTest, CaptureStackTraceAsDepdAndHttpErrorsUseIt) {
  Put("_system/lib/deprecation.cjs", R"js(
// depd's getStack(): V8's structured call sites through prepareStackTrace.
function getStack() {
  const limit = Error.stackTraceLimit;
  const obj = {};
  const prep = Error.prepareStackTrace;
  Error.prepareStackTrace = (o, stack) => stack;
  Error.stackTraceLimit = Math.max(10, limit);
  Error.captureStackTrace(obj);
  const stack = obj.stack.slice(1);
  Error.prepareStackTrace = prep;
  Error.stackTraceLimit = limit;
  return stack;
}
function depd(namespace) {
  const stack = getStack();
  const site = stack[1];
  return { file: site.getFileName(), line: site.getLineNumber(), column: site.getColumnNumber(),
           fn: site.getFunctionName(), native: site.isNative(), eval: site.isEval(), text: String(site) };
}
module.exports = { depd };
)js");
  Json out = Run(R"js(
    const { depd } = require("./lib/deprecation.cjs");
    function callerOfDepd() { return depd("my-module"); }
    const site = callerOfDepd();
    // http-errors: the stack starts at the constructor's caller.
    function NotFoundError(message) {
      const err = new Error(message);
      Error.captureStackTrace(err, NotFoundError);
      Object.setPrototypeOf(err, NotFoundError.prototype);
      return err;
    }
    Object.setPrototypeOf(NotFoundError.prototype, Error.prototype);
    NotFoundError.prototype.name = "NotFoundError";
    function makeIt() { return new NotFoundError("nothing here"); }
    const err = makeIt();
    const plain = {};
    Error.captureStackTrace(plain);
    return {
      site, stack: err.stack, plainHead: plain.stack.split("\n")[0], limit: Error.stackTraceLimit,
      hasCapture: typeof Error.captureStackTrace === "function", isInstance: err instanceof NotFoundError,
    };
  )js");
  const Json* site = out.find("site");
  ASSERT_NE(site, nullptr) << out.dump();
  EXPECT_EQ(Str(*site, "file"), "_system/router.js");
  EXPECT_EQ(Str(*site, "fn"), "callerOfDepd");
  EXPECT_GT(Num(*site, "line"), 0);
  EXPECT_GT(Num(*site, "column"), 0);
  EXPECT_FALSE(True(*site, "native"));
  EXPECT_NE(Str(*site, "text").find("callerOfDepd (_system/router.js:"), std::string::npos) << Str(*site, "text");
  const std::string stack = Str(out, "stack");
  // The first line is made when `stack` is first read (as in V8), so it shows the name set after the capture.
  EXPECT_EQ(stack.rfind("NotFoundError: nothing here\n    at makeIt (_system/router.js:", 0), 0u) << stack;
  EXPECT_EQ(stack.find("NotFoundError ("), std::string::npos) << "frames above the constructor are kept: " << stack;
  EXPECT_EQ(Str(out, "plainHead"), "Error");
  EXPECT_EQ(Num(out, "limit"), 10);
  EXPECT_TRUE(True(out, "hasCapture"));
  EXPECT_TRUE(True(out, "isInstance"));
}

TEST_F(NodeCompatTest, WebGlobals) {
  Json out = Run(R"js(
    const m = new Map([["k", [1, 2]]]);
    m.set("self", m);
    const clone = structuredClone(m);
    let cloneError = null;
    try { structuredClone({ f() {} }); } catch (e) { cloneError = e.name; }
    const buffer = new Uint8Array([1, 2, 3]).buffer;
    const moved = structuredClone(buffer, { transfer: [buffer] });

    const ac = new AbortController();
    const seen = [];
    ac.signal.onabort = (e) => seen.push("onabort:" + e.type);
    ac.signal.addEventListener("abort", () => seen.push("listener"));
    ac.abort(new Error("stop"));
    const timeout = AbortSignal.timeout(5);
    await new Promise((resolve) => timeout.addEventListener("abort", resolve));
    let thrown = null;
    try { timeout.throwIfAborted(); } catch (e) { thrown = e.name; }

    const target = new EventTarget();
    let detail = null;
    target.addEventListener("ping", (e) => { detail = e.detail; }, { once: true });
    target.dispatchEvent(new CustomEvent("ping", { detail: 42 }));

    const t0 = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const elapsed = performance.now() - t0;
    let createServer = null;
    try { require("http").createServer(); } catch (e) { createServer = e.message; }
    return {
      cloneCircular: clone.get("self") === clone && clone !== m && clone.get("k")[1] === 2,
      cloneError,
      transferred: moved.byteLength === 3 && buffer.byteLength === 0,
      aborted: ac.signal.aborted, reason: ac.signal.reason.message, seen, timeoutReason: timeout.reason.name, thrown,
      detail,
      monotonic: elapsed >= 15 && elapsed < 5000, timeOrigin: Math.abs(performance.timeOrigin + performance.now() - Date.now()) < 1000,
      isatty: require("tty").isatty(1), version: process.version, versionsNode: process.versions.node,
      hbfVersion: typeof process.versions.hbf, global: global === globalThis,
      atob: atob(btoa("hi\u00ff")) === "hi\u00ff", btoaEncoded: btoa("hello"),
      status404: require("http").STATUS_CODES[404], createServer,
      perfHooks: require("perf_hooks").performance === performance,
    };
  )js");
  EXPECT_TRUE(True(out, "cloneCircular")) << out.dump();
  EXPECT_EQ(Str(out, "cloneError"), "DataCloneError");
  EXPECT_TRUE(True(out, "transferred"));
  EXPECT_TRUE(True(out, "aborted"));
  EXPECT_EQ(Str(out, "reason"), "stop");
  EXPECT_EQ(Dump(out, "seen"), R"(["onabort:abort","listener"])");
  EXPECT_EQ(Str(out, "timeoutReason"), "TimeoutError");
  EXPECT_EQ(Str(out, "thrown"), "TimeoutError");
  EXPECT_EQ(Dump(out, "detail"), "42");
  EXPECT_TRUE(True(out, "monotonic"));
  EXPECT_TRUE(True(out, "timeOrigin"));
  EXPECT_FALSE(True(out, "isatty"));
  EXPECT_EQ(Dump(out, "isatty"), "false");
  const std::string version = Str(out, "version");
  EXPECT_TRUE(version.size() > 1 && version[0] == 'v' &&
              version.find_first_not_of("0123456789.", 1) == std::string::npos &&
              std::count(version.begin(), version.end(), '.') == 2)
      << version;
  EXPECT_EQ("v" + Str(out, "versionsNode"), version);
  EXPECT_EQ(Str(out, "hbfVersion"), "string");
  EXPECT_TRUE(True(out, "global"));
  EXPECT_TRUE(True(out, "atob"));
  EXPECT_EQ(Str(out, "btoaEncoded"), "aGVsbG8=");
  EXPECT_EQ(Str(out, "status404"), "Not Found");
  EXPECT_NE(Str(out, "createServer").find("not available in HBF"), std::string::npos) << Str(out, "createServer");
  EXPECT_TRUE(True(out, "perfHooks"));
}

}  // namespace
}  // namespace hbf::test
