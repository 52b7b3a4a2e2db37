// Black-box tests of the Node globals and core modules npm packages need
// (issue #20): a henv's router uses them inside the real binary, so the
// natives (Nettle's hashes, the monotonic clock, detaching buffers) and the
// built-ins run as they do in production. tools/nodecompat-test holds the
// same modules to Node 20's behaviour case by case.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "blackbox/henv_fixture.h"
#include "codec/gzip.h"
#include "core/json.h"
#include "crypto/crypto.h"

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
      // Several blocks and several native slices of rounds (pbkdf2-password's shape).
      pbkdf2Long: crypto.pbkdf2Sync("password", "salt", 10000, 80, "sha1").toString("hex"),
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
  // Node 20's crypto.pbkdf2Sync("password", "salt", 10000, 80, "sha1").
  EXPECT_EQ(Str(out, "pbkdf2Long"),
            "a2c2646186828474b754591a547c18f132d88d744c152655a470161a1a0521353263e5f7e0793eec45dc2cf62066f632"
            "abcc75756381fd3f0921e9d786c763e603d934f41070880407ddce85c31af9b5");
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

// Streams, flush/params/reset/close, dictionaries, info, callbacks and
// validation inside the binary (Debian's zlib and brotli under hbf's
// module); the expected JSON is what the same body returns under Node 20.
TEST_F(NodeCompatTest, ZlibStreamsAndOptionsAnswerAsNodeDoes) {
  Json out = Run(R"js(
    const zlib = require("zlib");
    const { promisify } = require("util");
    const text = "hello world, ".repeat(2000);
    const out = {};
    const collect = (s) => new Promise((resolve) => {
      const chunks = [];
      s.on("data", (c) => chunks.push(c));
      s.on("end", () => resolve(Buffer.concat(chunks)));
      s.on("error", (e) => resolve(`error ${e.code} ${e.message}`));
    });
    // flush() mid-stream gives a decodable prefix; params() switches level.
    const d = zlib.createDeflate({ level: 1 });
    const all = collect(d);
    const seen = [];
    d.on("data", (c) => seen.push(c));
    d.write("first part ");
    await new Promise((resolve) => d.flush(resolve));
    out.flushed = zlib.inflateSync(Buffer.concat(seen), { finishFlush: zlib.constants.Z_SYNC_FLUSH }).toString();
    await new Promise((resolve) => d.params(9, zlib.constants.Z_FILTERED, resolve));
    d.end(text);
    out.afterParams = zlib.inflateSync(await all).toString() === "first part " + text;
    out.bytesWritten = d.bytesWritten;
    // reset() discards what was written.
    const r = zlib.createGzip();
    const rall = collect(r);
    r.write("discarded", () => { r.reset(); r.end("kept"); });
    const rbytes = await rall;
    try { out.reset = zlib.gunzipSync(rbytes).toString(); } catch (e) { out.reset = [e.code, rbytes.length]; }
    // close() frees the stream; a closed stream reports it.
    const c = zlib.createInflate();
    await new Promise((resolve) => c.close(resolve));
    out.closed = [c.destroyed, c._closed];
    // Dictionaries, info, windowBits, strategies, raw window 8.
    const dict = Buffer.from("hello world, ");
    out.dict = zlib.inflateSync(zlib.deflateSync(text, { dictionary: dict }), { dictionary: dict }).length;
    out.dictRaw = zlib.inflateRawSync(zlib.deflateRawSync(text, { dictionary: dict }), { dictionary: dict }).length;
    let missing = null;
    try { zlib.inflateSync(zlib.deflateSync(text, { dictionary: dict })); } catch (e) { missing = [e.code, e.errno, e.message]; }
    out.missingDict = missing;
    const info = zlib.gzipSync(text, { info: true });
    out.info = [info.engine.constructor.name, info.engine.bytesWritten, info.buffer.length > 0];
    out.small = [zlib.deflateSync(text, { windowBits: 9, memLevel: 1 }).length > 0,
      zlib.inflateRawSync(zlib.deflateRawSync(text, { windowBits: 8 })).length,
      zlib.unzipSync(zlib.deflateSync(text, { strategy: zlib.constants.Z_HUFFMAN_ONLY })).length];
    // Callback forms: results and errors on a later tick.
    const order = [];
    zlib.gzip(text, (err, res) => order.push(["gzip", err, res.length > 0]));
    zlib.inflate(Buffer.from("junk"), (err) => order.push(["inflate", err.code, err.message]));
    zlib.gunzip(zlib.gzipSync(text), { maxOutputLength: 10 }, (err) => order.push(["max", err.code, err.name]));
    order.push("sync first");
    await new Promise((resolve) => setTimeout(resolve, 10));
    // Node's thread pool finishes them in any order; hbf's in call order.
    out.order = [order[0], ...order.slice(1).map((o) => JSON.stringify(o)).sort()];
    out.promisified = (await promisify(zlib.brotliDecompress)(await promisify(zlib.brotliCompress)(text))).length;
    // Stream errors: truncated brotli, garbage gzip; one 'error' each.
    out.streamErrors = [
      await collect(zlib.createBrotliDecompress().end(zlib.brotliCompressSync(text).subarray(0, 10))),
      await collect(zlib.createGunzip().end(Buffer.from("garbage!"))),
    ];
    out.validation = [];
    for (const opts of [{ level: 10 }, { windowBits: 16 }, { chunkSize: 1 }, { dictionary: "x" }, { params: { 99: 1 } }]) {
      try { zlib.createDeflate(opts); zlib.createBrotliCompress(opts); out.validation.push("ok"); } catch (e) { out.validation.push(`${e.name} ${e.code}`); }
    }
    return out;
)js");
  EXPECT_EQ(out.dump(), R"({"flushed":"first part ","afterParams":true,"bytesWritten":26011,"reset":["Z_DATA_ERROR",34],"closed":[true,true],"dict":26000,"dictRaw":26000,"missingDict":["Z_NEED_DICT",2,"Missing dictionary"],"info":["Gzip",26000,true],"small":[true,26000,26000],"order":["sync first","[\"gzip\",null,true]","[\"inflate\",\"Z_DATA_ERROR\",\"incorrect header check\"]","[\"max\",\"ERR_BUFFER_TOO_LARGE\",\"RangeError\"]"],"promisified":26000,"streamErrors":["error Z_BUF_ERROR unexpected end of file","error Z_DATA_ERROR incorrect header check"],"validation":["RangeError ERR_OUT_OF_RANGE","RangeError ERR_OUT_OF_RANGE","RangeError ERR_OUT_OF_RANGE","TypeError ERR_INVALID_ARG_TYPE","RangeError ERR_BROTLI_INVALID_PARAM"]})");
}

// --- zlib ---------------------------------------------------------------------

// 8,233 bytes of words drawn from a small vocabulary (the same generator runs
// in the route): text on which Node 20's bundled zlib and Debian's choose
// different matches, so the two compress it to different bytes.
constexpr const char* kSampleTextJs = R"js(
function sampleText() {
  let x = 7;
  const next = () => (x = (x * 75 + 74) % 65537);
  const words = [];
  for (let i = 0; i < 60; i++) {
    let w = "";
    const n = 2 + (next() % 6);
    for (let j = 0; j < n; j++) w += "abcdefghij"[next() % 10];
    words.push(w);
  }
  let s = "";
  for (let i = 0; i < 1500; i++) s += words[next() % 60] + " ";
  return s;
}
)js";

// Node 20: zlib.gzipSync(sampleText()).toString("base64") (2,391 bytes; Debian's zlib makes 2,390 other ones).
constexpr const char* kNodeGzipBase64 =
    "H4sIAAAAAAAAA21ZWZbkMAi7Sq7mLXZy/wPMQxJLqudjaqrSiY1BCEHOGnvvdd1PX/e5xpn+9bS2r/uM1p6rn/5ep+0xx7jOuJ4ev/Y71prvNc"
    "Y97+sd77iHP/aOu49nXKu1sfe15nn4cdZ6r6OtW7/ue/S3YXetsO7d+rrulovMPq59t369Z8GKue919XvMfT332+IQbcxrrxv/P2POZ+3reTcf"
    "drthxzveZ+jh9rz3up77vue61tn9vfa55jOuPd93t331MRpd8fQ2rvXsY4dYqz9xD1fUIWDAsvtlBT2w533NTifgLK1jn7PSOnoMV1ssO7tsxR"
    "LuGPN0e+/bYga/2gN2kff2ux1+mHvP8lOZRxCkud+nrQiHfPK8re9eAXG3hhNpL/t5VjggHgAO/NdZfUeI4Fn4A3bK7WPGGoEIYSF9fQZ/yBRE"
    "kjsBFvhwJwMz8L97s7/tOCYBmq1gys1PhzcQC/sC92g1nGDNtiedyK+IPI7W7Fuct3WdNo5kwTgO3AoOXBHwn/5FcOKlE0UOLwCoBnu1N0GupJ"
    "FjeDaY2aaSxRyRsZGJwhjwjA24AFLobfIeDSUpNG5rN9g/XWyZbH6ctucjT9M0AjcQZ661Kxky3UerkZHYnlE2A80ipaoBA6iQ5X0wHn5AXxrG"
    "Ri7OrkRG6Aa3cqS0nocIABCUTnSFkvwWhtyPhcBiK7/vrHJmCxrYBVZ4EGCN06bhMFZT5B2+WG69ouQRZ4IPCgEybRQCPYwHPZKLYG10KV2oIB"
    "kG/LjELFzoIUIG4CG7UesZEPy85HF+d/v3s9/njmWZF/iQB/zAYV9XIoo3MtrVPBgmu5NQwFq+Tp658S9gPkLInOelRqXO4IYIwCXa3UFwRCZt"
    "Gg6KTSRkprfA0S0sntDdHQD8MoFVMnVui6GnOxHLuzzLAKvZmciyGXRsAXbIV1bzwDixmbEyh3zpaWLnDJiJkJYzby2ZhVHg1n24oZzkMdmbRs"
    "HiYC47kpHElx8JptkzvRiG5MZUAiYhkDmwLqqy+b9xbR3PQ+SuBcr3+XpJaOZJdQA8FRS03tRCooc/viY5NuxOBgJdyWbBzssOS0YJEZ6YFTQv"
    "pQqhwc/5SK1wLx3xMO0Nz4YCRy+cq32FRzmBiEdMqM0oUXCiHgzhFZN1zWNkaW7V325mWnSFwvFtXtS2MBOpTVLjHXEKHZ0ZpKTwnWQFsklGik"
    "782DifJA2+mjd5tPpwJmFLCkIa+A+71VODGXBcm8gWpQ8tJE5xAJKGcqz9FO5X2MdNbSbffVeNii0B8v0Z2lqcKekKtLAyZr5kLXNLwR2IlGjx"
    "lZscCZH4383hitl/qQB8VKpyUCE1fP+qSKipJJqfwNo/i6bTFxmOhJ7lRwCxfS2WcVJprY98CM/ZnantjUc/JAsG/KgqoxZA2LV2V+7yIhUfia"
    "JiaacMqb3BceGMRA/isefV1djNxzVJs+2C+YXx/bcYskfAw/AfFRFkMRsB8QhpEZc8Praqy2VTct2Fv7JFLRcppjsF+mGnF33tgCUAKmzF7HV/"
    "14cocLIcmqNCWIMVvDyA99DKRdjM5/7LUUp6dPdBB5aaH+ksno2myKso7VH2du0IHOLkqb+MTfxaVAiKN7jeTPawhOCAz4AF8Pv4k+9CodSY+F"
    "RB4yIfwEQakY8QM4OGuio1dFCbdIm2m47PX++xYYDt1dUBFfZuLnWzHkTVyIAw37qXA5V3GWAdxuMSPXpP73Krnmnzx/U5FvgkaFhgFoHYQX+Z"
    "xiE3TsYlaouhzdWwSMwgTPSeURs2VIJTi4oLH2aKyWRoDAnLQ1DjJp6kiqAYV0CPqyRhdLHu4pmtZIi+6kdiOVKszSKvu3RLUkfv5d2JqIX1cJ"
    "ZEsXOgH3D4SLFQRFFjb3JEkc3uZGtl7KD5QV8gKB6Z2dPw9UYZhWFq3yz/wHEuB8lY/UekMBmCOII/afp/e2TqKREgQuAtX5ApUn6GSVIuKkle"
    "g9DW1wkRO6snelK2/+U7LDRvsGegoNJQKltmmmKx9oEFWnhXLRYbLBINF6zNDnf2Wu6xvLzRI6WCyEuT4dLKQVrZcXKYpKDJ34NNHXt25EGxIp"
    "JN/zuBQGabxT7/i47XipxkywktYidZ8gEDFxOxbxONEknNLE6qsf+EKAcxHgJV8pNY4cMMSGmSv3vmPMKzKRs4texS3fLtR1Ai49AJpPhRd2Gi"
    "XnyjP8UxCcJPK3aWt55mtBgnhltfnU5HlrkUZg9aLYSBD/BKb6dugOcwOMhjC+y4NWKLJAbcqRuK4Fe30dCaOYWyFRDxFV1SxFUoTGVHEZ2UEM"
    "rT2oBbAlF529WcLL8k5F4Vm0P5txhyCPejgplvmmnKUYp5wpJTyiTREFloxrlz8CJFMVcsnosmUkkLNYWW8fSYs/gEpo/CDzlXCyZ2zf5zmJAi"
    "n7mg6m3UcRfwn9E/DSh0XUfnpc1i579uFUy02i1FDR5FN6yM5yma3EKAauXZvwo7hjqc51UjQhgZe3y6h2Ix95KAzxTyhPdio1QRVRZaTDzHjF"
    "Q+ywFSFNzvXE6PljlbKMDpqFfroI7N7nce8f3fb4fj8n3/OEMqpk63Y8wmyBHVRO0P2ZgLPzMHOOkXSTQwZcTT/0xC22dQBKJykw7fnvjU21gZ"
    "Zs6eAtxL6fnDUBym2Ildgv8iFdN9f/Wy8+XTM35HGDG993grU318l7WztLA+o+rRkoc/IWkREvNK0X8ziZfx8QGTBtHxSsmkc52C5huRQ11Xay"
    "CrsRtcxpVwvkajkj1lcBrjknY+74nKNPf7NzeaKeSTXoPrlzwKV0UpKkNckkP0QCtlFtb9vhyqOMo56edtUfBAakJEjZVXw78c8zF9GSO1NgT3"
    "550WUEniymGsZhsaZzCi+y6Ko0XHRt2LDljFQ0oVTYeNIXPaET2kyzFEvJZ7NfJonFhhWzIil3Utnu9DXDe82QZhEhhDjUgc9hHYyOaKZ6boZm"
    "1qzyfOnrx6+eO88nDUWNtkDp0WXrFETYka13JsyHGeu5kWaQlwN+jlZTnQpBYjkXy/F7MAKEK835Rs13TiVpfT5s9LGflM6vCRZCRJi599OltV"
    "fGHNj74rSV/6v7v5OPNE7/Uj1Fj3NC/o/kKdjo0haJLw8j/z+KF74n1cTP4DVz6KIdmenq+Ift7G++WdI0P02xoIt5/X8wL9P6nFTOEpIAAA";

// Node 20: zlib.brotliCompressSync(sampleText(), { params: { [BROTLI_PARAM_QUALITY]: 5 } }).toString("base64").
constexpr const char* kNodeBrotliBase64 =
    "GyggRFSTegAUIcPc7mDr2rdEYc+vVdqTp+QJYbfoBRoCM7MBR6iI3u9Q78TMrouLkfGkCGzcGPrfVqaI5HSZWDPb992jbRIbAwiJ/odM257a42"
    "yqo9v/GcC1aeCK4VfgVnel6/j6Pn/P6Ov2Z1Zb39/bU//J97Kva4C2a5T7463MfC3/UbB2m49XW/m+WYNTi9cfFLu8YH3Gk9+Td4rbct0+ArmP"
    "ftazfz94Ld348DYQ3+nLm99/ffcHcb9Tt7uamphfTt38Qpf1b7jYDTg+fETXnBPIyzO8cbLqOzrxyMyxJ0LhbdaW+Mp4rr6w1kXGQ6HGMytMH0"
    "V/aSbgAO3n8Lt5I7aYhBMa/wIX+QMQnzKRARUm6j3yHyYlxuXefYsmKe4to/J6OHSdAaEmkQs58nKGThPRJSb01dBft+wUK8yHhvchfcDuMJta"
    "jdTgHwGavGEOguhLfISXJM7shBrqJ4+IMB/4hxDZIqN4YwQLSP3L7DO8R/BfxXwEnyosJGQJeQeC8KjJf8eRxY0zE5kUipFEQ8K/M3jdqXAMju"
    "Kjq0eoYABGy4/dNM/IaS4iIyyj4wNBOcvBh8XSGITfPrFDwSWkF2Ed2nJP5C3WXd3xaEubx8pzViVdUKbhJLzSSZKDL/b+wM5Jgox5Olz1eBSL"
    "membermw5QIMpEggYkbsuixlmNKe0JhcLpexl5m4kTgqDD1JIuhRpBNcLIvOvs9LK47zsrx2XMShi6BKx2mwAU5ONim+XBqwCkYnCjxIyOItYU"
    "yaWAWciMG2CTIkZmm5/k8M7/H5b02rNviHUUjQ5ePMYrR2tIwPLtI5+95EhcoVWy3uCWepfqIRALSFbHegHLPAW3sQIswRlCeg7+6XRFklboI8"
    "wtSkqBeCQA6riL1tOnbkMSUv1mpkKo3UOojFbL8xnkkO7QdlS3LyDYftkjQzpYJYi2qaqJ0LX8O22VWF0B6cRQ1U8nKwHaPXpV4IC0KxoZEi1I"
    "VYYkpF08fWDaCNYPXQw9qZkYMJ9h1i0hR4yfQ7HKTMaEXrIDizZGidPackYhtvCeSj8EAqhIPx29TL1qNto6eJs26IONO3K6KH/sIY8l7rOcwp"
    "pQ9OgwlhMAH22uakgRDrmRf1Z2pTGNVKlciuqb0teUKpowPABJXGzHSE40DSS9NVlreETaMqEoevKnJhZDV7woqyo5aUhM4Y3dbwXyCq8AYDrR"
    "B3kCGWQg5geMpDVeBIyh+XkLwUVxkER6bOzmHznp//HHgBad6G5dq1ZWrrUPXX1k23r2SMdsdWM20/i7fUD2bL0jg/VGFDFf+GA4TjTlEOqEl9"
    "Zy45VB9/hp0kbHax2UoufiOjkTCpnES9bUG659rIZ0XrfmtsIQo9jG79PbR0FFqq4NhZQV5IY6+J3oD1qxPq+iQWA592bkWG64MlzTOLvcQHNn"
    "xlgwlL+pJHsGRGzuL5N3hD1HUCDRBDdUVsjXUxYC2RNPJwcgTLaZnRzS1s/l0xyrBlZqEMJuBFG79XoRkSi8upgoP5MFFNTtsSAVY111SGbBGY"
    "wbMtdcA9R8JUDi0I2Qv2fb9K2lpbF0bZSeWTK3jmquQio289GBQlH35fXUIEju6H2QlNkQ76jflAjD/fNe9MNCPT9wmcFhqTJu+NSYwb0sPKyq"
    "KOjFNu8ZZ8cZ8tD0o00P7B3ZUu0m+hu60nVOdoQVHNeVng936hCCpjOZpe+jNKd+A0d0Hub6OBsUjLClhFcMeVXUo52184san+gowLIzaQIY2V"
    "wbfSoo3d4EYaS8iPqgVUmTzD5HJKYvNGnWYgQjWyICd3W4L1rKLyzuyCKG21RbOSLZBawvbQt/Yfq5ZCMbyoJ+5VLDgLNUFSyKxFREo8ezJOdO"
    "ocR0PO4LDtjfzBwCQ6F6Lx1/OtlMZZwqEGiXOhhEKtcyQqKogCj8JQmf/5Opn3BQQZhsi+AlSW/Sqz9EDaUvoQpf0wJZK6Wk+XagTQP9NKeES6"
    "QaTKg6kmm2UO4p2hBWV8mAviw4VKdNHipnJviS2fW9gjK8uqwLwLDX9ckqgDQuJkLXD2Occ7JnqqhW5JFZzfB0RItWG1e21TvWh0pi5r+AhOM4"
    "8fFDzewOwdhTRWMG82Lg3xH8O0ZhiTMLib75IvWkBB8fd0/rjvmplEKqqJOMt2M2/7dySVrDqqgUaArDBA7I05vlxHVSKOcuyUkZ8w3KiTjN/i"
    "6nLm7UUSZ8UiB9540HdWBDoLUsJeA68TJrAcUshMeT42kH4rDgR7NYzyasCvc5NOsIplukI68RSN0GsU4SgiLs8rhbQsMAJ2Z21J582GyHNtMm"
    "HVnOeadpbe9tTEqgjpWRItCnLtXtgoYqxVu/dKSOoqb5dsxNOetZgG41LDiCRAR2N/u3mgoiN0Tu50z61eHhI/jv9lRIfs2vnmSy2p/+Ns08Qz"
    "DHdULR6nInbV6yQzXKMk9eoZx9W8KIMdzfQGQ4ocAUFGBdGt1n4m8a2MUvRpOC4Xw2WHxpbTNSe139oQqZruxmzOj/dZW7HARZlv+WDVhmeCJb"
    "HhzKsc/5VriyNxzdjHJ2NSKlGZrczdAhy48YbmDnTUZjbJyEYldocIxfvGYRHBKmaxqa2ZfAOZaeqFSMLTTs8HpTRQwalDwzezFYvGyYuT3A/E"
    "DknGmuAn5q7WjPBa/6w0y1BXC7hPxqektQwLPNM54E7gqxjZ1PmG0bpw9QJ9jlIoZHPa6LeI3gfVkWM07q4KKNrpt6GTsNzecme0LKqhCs3fuB"
    "7DVUZ+MWU3AKTjVbWjPsgVQJQO2g3V4tparyC551JaS5KvTeWGZCjure7rAWB8lhJWnCxvlOBcYWwFAq82kKXr+IYlzaju3PN40rgfcZEKdgMx"
    "W6XwwCiyTTxKR4aSMepDy5eV/OguuwMqaunwcd4iDq9dsGk8yWlgDTaqeKQluBlmixcR8VZ/uo2LdQrYPwAFW6YbNw5SmUvgXkwD0leqz+0wOt"
    "RIL66WVV6G+E2Imb4lcF3NKkKZ+7harJC/cWrJTCjmVTo7AOVAY8MQ56ONAmpjdCa0A5PvyDlyvF74XQOeFiPNNfpri6yp93lmYFGpfChG2fcV"
    "LCz417jPghnrgul/5Zb2CuBehD8T2ZzKK1/aeWyIjfz00MPExJT4";

class ZlibTest : public OneHenvTest {
 protected:
  void SetUp() override {
    OneHenvTest::SetUp();
    Put("_system/router.js", std::string(R"js(
import { Router } from "hbf:router";
import zlib, { gunzipSync, createGunzip } from "zlib";
import { Readable, Writable, pipeline } from "node:stream";
import { promisify } from "node:util";
)js") + kSampleTextJs + R"js(
const router = new Router();

// A gzip request body, inflated as a handler would and as body-parser does
// (the body piped through zlib.createGunzip()).
router.post("/gunzip", async (req, res) => {
  const body = Buffer.from(req.rawBody);
  const sync = gunzipSync(body).toString();
  const gunzip = createGunzip();
  const streamed = await new Promise((resolve, reject) => {
    const chunks = [];
    gunzip.on("data", (c) => chunks.push(c));
    gunzip.on("end", () => resolve(Buffer.concat(chunks).toString()));
    gunzip.on("error", reject);
    const source = new Readable({ read() {} });
    for (let i = 0; i < body.length; i += 500) source.push(body.subarray(i, i + 500));
    source.push(null);
    source.pipe(gunzip);
  });
  let corrupt = null;
  try { gunzipSync(body.subarray(0, body.length - 9)); } catch (e) { corrupt = [e.code, e.errno, e.message]; }
  let notGzip = null;
  try { zlib.gunzipSync(Buffer.from("plain text")); } catch (e) { notGzip = [e.code, e.errno, e.message]; }
  const piped = await new Promise((resolve) => pipeline(Readable.from([Buffer.from("not gzip at all")]), createGunzip(),
    new Writable({ write(c, e, cb) { cb(); } }), (err) => resolve(err && err.code)));
  res.json({
    sync: sync === sampleText(), streamed: streamed === sampleText(), length: sync.length,
    bytesWritten: gunzip.bytesWritten, corrupt, notGzip, piped,
  });
});

// What this binary's zlib and brotli make, and what they make of Node's.
router.get("/formats", async (req, res) => {
  const text = sampleText();
  const out = {};
  for (const [c, d] of [["gzip", "gunzip"], ["deflate", "inflate"], ["deflateRaw", "inflateRaw"], ["gzip", "unzip"],
    ["brotliCompress", "brotliDecompress"]]) {
    const packed = zlib[c + "Sync"](text);
    const viaCallback = await promisify(zlib[d])(packed);
    out[c + "/" + d] = zlib[d + "Sync"](packed).toString() === text && viaCallback.toString() === text;
  }
  out.helloGzip = zlib.gzipSync("hello world").toString("hex");
  out.helloDeflate = zlib.deflateSync("hello world").toString("hex");
  out.helloBrotli = zlib.brotliCompressSync("hello world").toString("hex");
  out.nodeBrotli = zlib.brotliDecompressSync(Buffer.from(")js" + std::string(kNodeBrotliBase64) + R"js(", "base64"))
    .toString() === text;
  try { zlib.gunzipSync(zlib.gzipSync(text), { maxOutputLength: 100 }); } catch (e) { out.tooLarge = [e.name, e.code]; }
  try { zlib.brotliDecompressSync(Buffer.from("garbage data here")); } catch (e) { out.brotliError = [e.code, e.message]; }
  res.json(out);
});

// A compressed answer: the test decodes it.
router.get("/gz", (req, res) => {
  res.set("Content-Encoding", "gzip");
  res.type("text/plain");
  res.send(zlib.gzipSync(sampleText(), { level: 9 }));
});

// Streams a script forgets hold zlib state outside its objects: it is
// counted against the script's memory limit, so this ends there.
router.get("/hoard", (req, res) => {
  const kept = [];
  for (let i = 0; i < 100000; i++) kept.push(zlib.createDeflate());
  res.send("kept " + kept.length);
});

// A bomb inflated without maxOutputLength stops at the memory limit.
router.post("/bomb", (req, res) => {
  res.send("inflated " + zlib.gunzipSync(Buffer.from(req.rawBody)).length);
});

// One long native call: the deadline is checked inside it.
router.post("/deflate", (req, res) => {
  res.send("deflated to " + zlib.deflateSync(Buffer.from(req.rawBody), { level: 9, memLevel: 9 }).length);
});

router.get("/ok", (req, res) => res.send("still fine"));
export default router;
)js");
  }
};

TEST_F(ZlibTest, GunzipsARequestBodyNodeCompressed) {
  auto gz = crypto::Base64Decode(kNodeGzipBase64);
  ASSERT_TRUE(gz.has_value());
  ASSERT_EQ(gz->size(), 2391u);
  auto r = Fetch(port(), {"POST", "/gunzip", host_, {{"Content-Type", "application/octet-stream"}, {"Content-Encoding", "gzip"}}, *gz});
  ASSERT_EQ(r.status, 200) << r.body << "\n" << server_->logs();
  const Json& out = r.json();
  EXPECT_TRUE(True(out, "sync")) << r.body;
  EXPECT_TRUE(True(out, "streamed")) << r.body;
  EXPECT_EQ(Num(out, "length"), 8233);
  EXPECT_EQ(Num(out, "bytesWritten"), 2391);
  EXPECT_EQ(Dump(out, "corrupt"), R"(["Z_BUF_ERROR",-5,"unexpected end of file"])");
  EXPECT_EQ(Dump(out, "notGzip"), R"(["Z_DATA_ERROR",-3,"incorrect header check"])");
  EXPECT_EQ(Str(out, "piped"), "Z_DATA_ERROR");

  // The same text compressed by this machine's zlib (other bytes than Node's) inflates the same.
  auto r2 = Get("/gz");
  ASSERT_EQ(r2.status, 200);
  auto text = codec::Gunzip(r2.body, 1 << 20);
  ASSERT_TRUE(text.has_value());
  auto mine = Fetch(port(), {"POST", "/gunzip", host_, {}, codec::Gzip(*text)});
  EXPECT_TRUE(True(mine.json(), "sync")) << mine.body;
}

TEST_F(ZlibTest, AnswersGzipEncodedBodiesTheClientDecodes) {
  auto r = Get("/gz");
  ASSERT_EQ(r.status, 200) << r.body << "\n" << server_->logs();
  EXPECT_EQ(r.header("content-encoding").value_or(""), "gzip");
  EXPECT_EQ(r.body.substr(0, 2), "\x1f\x8b");
  auto text = codec::Gunzip(r.body, 1 << 20);
  ASSERT_TRUE(text.has_value());
  EXPECT_EQ(text->size(), 8233u);
  EXPECT_EQ(text->substr(0, 200).find_first_not_of("abcdefghij "), std::string::npos) << text->substr(0, 200);
}

TEST_F(ZlibTest, EveryFormatAndNodesBytes) {
  auto r = Get("/formats");
  ASSERT_EQ(r.status, 200) << r.body << "\n" << server_->logs();
  const Json& out = r.json();
  for (const char* pair : {"gzip/gunzip", "deflate/inflate", "deflateRaw/inflateRaw", "gzip/unzip",
                           "brotliCompress/brotliDecompress"}) {
    EXPECT_TRUE(True(out, pair)) << pair << ": " << r.body;
  }
  // Node 20's bytes for the same small inputs.
  EXPECT_EQ(Str(out, "helloGzip"), "1f8b0800000000000003cb48cdc9c95728cf2fca49010085114a0d0b000000");
  EXPECT_EQ(Str(out, "helloDeflate"), "789ccb48cdc9c95728cf2fca4901001a0b045d");
  EXPECT_EQ(Str(out, "helloBrotli"), "0b058068656c6c6f20776f726c6403");
  EXPECT_TRUE(True(out, "nodeBrotli")) << r.body;
  EXPECT_EQ(Dump(out, "tooLarge"), R"(["RangeError","ERR_BUFFER_TOO_LARGE"])");
  EXPECT_EQ(Dump(out, "brotliError"), R"(["ERR__ERROR_FORMAT_PADDING_1","Decompression failed"])");
}

TEST_F(ZlibTest, StreamsAndBombsStopAtTheScriptsMemoryLimit) {
  auto hoard = Get("/hoard");
  EXPECT_EQ(hoard.status, 500) << hoard.body;
  EXPECT_EQ(hoard.error_code(), "script_memory") << hoard.body;
  // 96 MiB of zeros in 96 KiB of gzip: past the 64 MiB heap limit.
  const std::string bomb = codec::Gzip(std::string(size_t{96} << 20, '\0'));
  auto inflated = Fetch(port(), {"POST", "/bomb", host_, {}, bomb});
  EXPECT_EQ(inflated.status, 500) << inflated.body.substr(0, 300);
  EXPECT_EQ(inflated.error_code(), "script_memory") << inflated.body.substr(0, 300);
  EXPECT_EQ(Get("/ok").body, "still fine");
}

TEST_F(ZlibTest, ALongCallEndsAtTheRequestsDeadline) {
  const std::string random = crypto::RandomBytes(size_t{9} << 20);
  auto fits = Fetch(port(), {"POST", "/deflate", host_, {}, random.substr(0, 1000)});
  EXPECT_EQ(fits.body, "deflated to 1011") << fits.body;
  ASSERT_EQ(Api("PATCH", "/_api/config", R"({"qjs_timeout_ms":"20"})").status, 200);
  auto slow = Fetch(port(), {"POST", "/deflate", host_, {}, random});
  EXPECT_EQ(slow.status, 504) << slow.body;
  EXPECT_EQ(slow.error_code(), "script_timeout") << slow.body;
  ASSERT_EQ(Api("PATCH", "/_api/config", R"({"qjs_timeout_ms":"5000"})").status, 200);
  EXPECT_EQ(Get("/ok").body, "still fine");
}

}  // namespace
}  // namespace hbf::test
