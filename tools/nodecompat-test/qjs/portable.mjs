// Computations run in both engines: the Node run records their results
// (expected.json), the QuickJS run recomputes them inside real QuickJS and
// must get the same values. Only hbf:* modules are used (no Node APIs).
import path from "hbf:node_path";
import { Buffer } from "hbf:node_buffer";
import util from "hbf:node_util";
import EventEmitter, { once } from "hbf:node_events";
import { requireFrom, resolve, esmFacadeSource } from "hbf:modules";
import qs from "hbf:node_querystring";
import crypto from "hbf:node_crypto";
import * as timers from "hbf:node_timers";
import process from "hbf:node_process";
import fs from "hbf:node_fs";
import { StringDecoder } from "hbf:node_string_decoder";
import url from "hbf:node_url";
import assert from "hbf:node_assert";
import stream from "hbf:node_stream";
import tty from "hbf:node_tty";
import http from "hbf:node_http";
import { __fake } from "hbf:native";

async function settle(times = 30) {
  for (let i = 0; i < times; i++) await null;
}

/** Runs microtasks and fake timers until `promise` settles (like the host's loop). */
async function drive(promise) {
  let done = false;
  let out;
  promise.then((v) => { done = true; out = { value: v }; }, (e) => { done = true; out = { error: String(e?.message ?? e) }; });
  for (let n = 0; n < 10000; n++) {
    await settle();
    if (done) return out;
    if (!__fake.fireNext()) break;
  }
  await settle();
  return done ? out : { pending: true };
}

/** The value of `promise`, fired by the fake timers (QuickJS) or by real ones (Node, where hbf's globals are not installed). */
async function complete(promise) {
  await drive(promise);
  const keepAlive = setTimeout(() => {}, 10000);  // Node unrefs some of its timers (AbortSignal.timeout)
  try {
    return await promise;
  } finally {
    clearTimeout(keepAlive);
  }
}

function attempt(fn) {
  try {
    return { value: fn() };
  } catch (e) {
    return { error: [e?.name, e?.code ?? null, e?.message] };
  }
}

const json = (v) => JSON.stringify(v);

export const TREE = {
  "_system/router.js": "export default 1;\n",
  "_system/lib/a.js": "export const a = 1;\n",
  "_system/lib/c.cjs": "module.exports = 'c';\n",
  "_system/lib/data.json": '{"d": 1}',
  "modules/exp/package.json": json({
    name: "exp",
    exports: {
      ".": { import: "./esm/index.mjs", require: "./cjs/index.cjs" },
      "./utils/*": "./lib/utils/*.js",
      "./internal/*": null,
      "./nested": { node: { require: "./n/require.cjs" }, default: "./n/default.js" },
    },
  }),
  "modules/exp/esm/index.mjs": "export default 1;\n",
  "modules/exp/cjs/index.cjs": "module.exports = 'exp cjs';\n",
  "modules/exp/lib/utils/a.js": "module.exports = 'a';\n",
  "modules/exp/n/require.cjs": "module.exports = 'nested require';\n",
  "modules/exp/n/default.js": "module.exports = 'nested default';\n",
  "modules/@s/p/package.json": json({ name: "@s/p", main: "lib" }),
  "modules/@s/p/lib/index.js": "module.exports = require('../other') + '!';\n",
  "modules/@s/p/other.json": '"other"',
  "modules/tm/package.json": json({ type: "module" }),
  "modules/tm/index.js": "export default 1;\n",
  "modules/cyc/package.json": json({ main: "a.js" }),
  "modules/cyc/a.js": "exports.x = 1; const b = require('./b'); exports.fromB = b.sawX; exports.done = true;",
  "modules/cyc/b.js": "const a = require('./a'); exports.sawX = a.x; exports.sawDone = a.done === true;",
  "notes/a.txt": "alpha",
  "notes/deep/b.txt": "beta",
};

function inspectCorpus() {
  class Foo {
    constructor() {
      this.a = 1;
    }
  }
  const circular = { name: "c" };
  circular.self = circular;
  const err = new RangeError("bad range");
  err.stack = undefined;
  return [1, -0, "it's", "line\nbreak", [1, [2, [3, [4]]]], { a: 1, b: { c: { d: { e: 1 } } } }, new Map([[1, { x: [1, 2] }]]),
    new Set(["a", 1]), new Foo(), Foo, class Bar extends Foo {}, function named() {}, async () => {}, circular, err,
    Array.from({ length: 30 }, (_, i) => i * 11), Buffer.from("hello"), new Uint8Array([1, 2]), new Date(0), /x/g, Symbol("s"),
    123n, null, undefined, Object.create(null), { "key-x": 1, valid: [undefined, null] }, [1, , 3], new Number(4), "x".repeat(90)];
}

function emitterTrace() {
  const trace = [];
  const e = new EventEmitter();
  e.on("newListener", (n) => trace.push(["new", String(n)]));
  const a = (...x) => trace.push(["a", ...x]);
  e.on("x", a);
  e.prependOnceListener("x", (...x) => trace.push(["once", ...x]));
  e.emit("x", 1);
  e.emit("x", 2);
  e.off("x", a);
  trace.push(["count", e.listenerCount("x"), e.eventNames().map(String)]);
  try {
    e.emit("error", new Error("E"));
  } catch (err) {
    trace.push(["err", err.message]);
  }
  return trace;
}

/** Returns a JSON-able object of results. `packages` maps document ids to file contents (lodash, dayjs). */
export async function computeAll(packages) {
  for (const id of [...__fake.docs.keys()]) __fake.remove(id);
  for (const [id, content] of Object.entries(packages)) __fake.put(id, content);
  for (const [id, content] of Object.entries(TREE)) __fake.put(id, content);
  __fake.setConfig({ "env.GREETING": "hi" });
  const out = {};
  const req = requireFrom("_system/router.js");

  if (packages["modules/lodash/package.json"]) {
    const _ = req("lodash");
    out.lodash = {
      chunk: _.chunk([1, 2, 3, 4, 5], 2),
      template: _.template("hello <%= user %>! <% _.forEach(list, function(x) { %><li><%- x %></li><% }); %>")({ user: "fred", list: ["<a>", "b"] }),
      merge: _.merge({ a: [{ b: 2 }] }, { a: [{ c: 3 }] }),
      camel: _.camelCase("Foo Bar-baz_qux"),
      sortBy: _.sortBy([{ u: "fred", a: 48 }, { u: "barney", a: 36 }], ["u", "a"]),
      get: _.get({ a: [{ b: { c: 3 } }] }, "a[0].b.c"),
      sub: req("lodash/chunk")([1, 2, 3], 2),
    };
    const dayjs = req("dayjs");
    dayjs.extend(req("dayjs/plugin/utc"));
    const d = dayjs(new Date(2024, 2, 5, 10, 20, 30, 400));
    out.dayjs = [d.format("YYYY-MM-DD HH:mm:ss.SSS dddd MMMM"), d.add(1, "month").format("YYYY-MM-DD"),
      dayjs.utc("2024-03-05T10:20:30Z").format("YYYY-MM-DDTHH:mm:ss ddd"), dayjs("2024-12-25").diff(d, "day")];
  }

  if (packages["modules/uuid/package.json"]) out.npm = await npmResults(req);
  out.globals = await globalsResults();
  out.stream = await streamResults();

  out.resolve = ["exp", "exp/utils/a", "exp/internal/x", "exp/nested", "@s/p", "tm", "./lib/a", "./lib/c", "./lib/data", "../x/../../y",
    "node:fs", "fs", "nope", "node:nope"].map((s) => [s, attempt(() => resolve(s, "_system/router.js", "import")),
    attempt(() => resolve(s, "_system/router.js", "require"))]);
  out.require = [req("exp"), req("exp/nested"), req("@s/p"), req("./lib/c.cjs"), req("./lib/data.json"), req("cyc"),
    attempt(() => req("tm")).error?.[1], esmFacadeSource("modules/cyc/a.js")];

  out.path = [path.join("/a/b", "../c", "./d"), path.resolve("x", "../y"), path.relative("/a/b/c", "/a/d"), path.parse("/h/u/f.tar.gz"),
    path.normalize("a//b/../c/"), path.extname(".x.y"), path.basename("/a/b.js", ".js"), path.dirname("/a")];

  const bytes = Buffer.from([0, 1, 127, 128, 255, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80]);
  out.buffer = ["utf8", "hex", "base64", "base64url", "latin1", "ascii", "utf16le"].map((enc) => [enc, bytes.toString(enc),
    Array.from(Buffer.from(bytes.toString(enc), enc)), Buffer.byteLength("é😀x", enc)]);
  const b = Buffer.alloc(16);
  b.writeUInt32BE(0xdeadbeef, 0);
  b.writeInt16LE(-2, 4);
  b.writeDoubleLE(Math.PI, 6);
  b.writeUIntBE(0x123456, 13, 3);
  out.buffer.push([b.toString("hex"), b.readUInt32BE(0), b.readInt16LE(4), b.readDoubleLE(6), b.readUIntBE(13, 3),
    b.indexOf(0xef), b.slice(1, 3).toString("hex"), Buffer.concat([b.subarray(0, 2), Buffer.from("xy")]).toJSON(),
    Buffer.from("aGVsbG8gd29ybGQ", "base64").toString(), Buffer.from("%\u4e2d-_", "base64").toString("hex"),
    attempt(() => b.readUInt8(99)).error, Buffer.compare(Buffer.from("a"), Buffer.from("b"))]);

  out.inspect = inspectCorpus().map((v) => util.inspect(v));
  out.format = [util.format("%s %d %i %f %j %o %O %%", "s", 42.5, "42.5", "1.5", { a: 1 }, [1], { b: 2 }), util.format("a", 1, { x: [2] }),
    util.format("%s", new Error("m").message), util.format(1, "%s", "x")];
  out.deepEqual = [util.isDeepStrictEqual({ a: [1, new Map([[1, 2]])] }, { a: [1, new Map([[1, 2]])] }), util.isDeepStrictEqual([1], ["1"])];
  out.types = [util.types.isDate(new Date()), util.types.isRegExp(/x/), util.types.isPromise(Promise.resolve()),
    util.types.isTypedArray(Buffer.alloc(1)), util.types.isAsyncFunction(async () => {}), util.types.isGeneratorFunction(function* () {}),
    util.types.isBoxedPrimitive(new String("")), util.types.isNativeError(new TypeError())];

  out.events = emitterTrace();
  const e = new EventEmitter();
  const waited = once(e, "go");
  e.emit("go", "went");
  out.once = await waited;

  out.qs = [qs.parse("a=1&a=2&b=%20x+y&c"), qs.stringify({ a: [1, 2], b: "é &" })].map((v) => JSON.parse(JSON.stringify(v)));
  out.crypto = [crypto.createHash("sha256").update("abc").digest("hex"), crypto.createHmac("sha256", "k").update("d").digest("base64"),
    crypto.pbkdf2Sync("p", "s", 3, 20, "sha256").toString("hex"), crypto.timingSafeEqual(Buffer.from("a"), Buffer.from("a")),
    crypto.createHash("md5").update("abc").digest("hex"), crypto.createHash("sha1").update("abc").digest("base64"),
    crypto.createHash("sha512").update("abc").update("def").digest("hex"), crypto.createHmac("sha384", "key").update("x").digest("hex"),
    crypto.createHmac("sha1", "Jefe").update("what do ya want for nothing?").digest("hex"),
    attempt(() => crypto.createHash("nope")).error];
  const dec = new StringDecoder("utf8");
  out.decoder = [dec.write(Buffer.from([0xe2, 0x82])), dec.write(Buffer.from([0xac, 0x41])), dec.end(Buffer.from([0xf0]))];
  out.url = [url.parse("http://u:p@Host:81/p?q=1#h", true).query, url.resolve("http://a/b/c", "../d"), url.fileURLToPath("file:///a%20b")]
    .map((v) => JSON.parse(JSON.stringify(v)));
  out.assert = [attempt(() => assert.deepStrictEqual({ a: 1 }, { a: 1 })).value ?? "ok", attempt(() => assert.strictEqual(1, 2)).error?.[1]];

  out.fs = [fs.readFileSync("/notes/a.txt", "utf8"), fs.readdirSync("notes"), fs.existsSync("notes/deep"), fs.statSync("notes").isDirectory(),
    attempt(() => fs.readFileSync("notes/nope")).error, attempt(() => fs.writeFileSync("notes/x", "y")).error?.[1],
    fs.readdirSync("/", { recursive: true })];

  out.process = [process.cwd(), process.version, typeof process.hrtime.bigint()];
  const order = [];
  Promise.resolve().then(() => order.push("promise"));
  process.nextTick(() => order.push("tick"));
  const t1 = timers.setTimeout(() => order.push("t20"), 20);
  timers.setTimeout(() => order.push("t5"), 5);
  timers.setImmediate(() => order.push("immediate"));
  let n = 0;
  const iv = timers.setInterval(() => {
    order.push("iv" + ++n);
    if (n === 2) timers.clearInterval(iv);
  }, 8);
  const cleared = timers.setTimeout(() => order.push("never"), 1);
  timers.clearTimeout(cleared);
  out.timersResult = await drive(new Promise((r) => timers.setTimeout(r, 30)));
  out.timers = [order, typeof t1.ref, t1.hasRef()];
  return out;
}

// ---------------------------------------------------------------------------
// npm packages that need Error.captureStackTrace, stream, tty, http, md5/sha1
// (in QuickJS the globals are hbf's; under Node, V8's)

/** Also used by tests/packages.test.mjs with Node's own require. */
export async function npmResults(req) {
  const out = {};
  const uuid = req("uuid");
  out.uuid = [uuid.v3("hello", uuid.v3.DNS), uuid.v5("hello", uuid.v5.URL), uuid.validate(uuid.v4()),
    uuid.version(uuid.v5("x", uuid.v5.DNS)), uuid.v4().length];
  const semver = req("semver");
  out.semver = [semver.valid(process.version) !== null, semver.satisfies(process.version, ">=18.0.0 <21"),
    semver.satisfies(process.versions.node, "^20"), semver.gt("1.2.3", "1.2.2"), semver.coerce("v20.1").version];

  const debug = req("debug");
  const lines = [];
  debug.inspectOpts.hideDate = true;
  debug.enable("app:*");
  const d = debug("app:db");
  d.log = (...args) => lines.push(util.format(...args));
  d("query %s took %dms %o", "select", 12, { rows: [1, 2] });
  debug("other")("never shown");
  out.debug = [lines, d.enabled, debug.enabled("other"), d.namespace, debug("app:x").enabled, d.useColors];

  const deprecations = [];
  const onDeprecation = (err) => deprecations.push([err.name, err.namespace, err.message, typeof err.stack]);
  // The global process: depd emits on it (under Node that is Node's, not hbf:node_process).
  globalThis.process.on("deprecation", onDeprecation);
  const deprecate = req("depd")("my-lib");
  function oldApi() {
    deprecate("oldApi() is deprecated, use newApi()");
  }
  oldApi();
  const legacy = deprecate.function(function legacy(a) {
    return a + 1;
  }, "legacy() is gone");
  const legacyResult = legacy(1);
  const obj = { prop: 1 };
  deprecate.property(obj, "prop", "obj.prop is going away");
  const propValue = obj.prop;
  globalThis.process.removeListener("deprecation", onDeprecation);
  out.depd = [deprecations, legacyResult, propValue];

  const createError = req("http-errors");
  const errors = [createError(404, "no such thing"), new createError.BadRequest(), createError(500, "boom", { expose: true, code: "X" }),
    createError(401), createError.Unauthorized("go away")];
  out.httpErrors = errors.map((e) => [e.name, e.message, e.status, e.statusCode, e.expose, e.code ?? null,
    e instanceof createError.HttpError, createError.isHttpError(e), e instanceof Error, e.stack.split("\n")[0]]);

  const jwt = req("jsonwebtoken");
  const token = jwt.sign({ sub: "u1", admin: true }, "s3cret", { algorithm: "HS256", noTimestamp: true });
  const tokens = ["HS384", "HS512"].map((alg) => jwt.sign({ a: 1 }, "k", { algorithm: alg, noTimestamp: true, header: { kid: "1" } }));
  let badSignature = null;
  try {
    jwt.verify(token, "wrong");
  } catch (e) {
    badSignature = [e.name, e.message];
  }
  const verified = await complete(new Promise((resolve) => jwt.verify(tokens[1], "k", { algorithms: ["HS512"] }, (err, payload) => resolve([err, payload]))));
  out.jwt = [token, tokens, jwt.verify(token, "s3cret"), jwt.decode(token, { complete: true }).header, badSignature, verified];

  const { parse } = req("csv-parse");
  const { parse: parseSync } = req("csv-parse/sync");
  const csv = 'name,age\n"Smith, J",42\nLee,7\n';
  const viaCallback = await complete(new Promise((resolve) => parse(csv, { columns: true }, (err, records) => resolve([err, records]))));
  const parser = parse({ delimiter: ",", from_line: 2 });
  const streamed = [];
  parser.on("readable", () => {
    let record;
    while ((record = parser.read()) !== null) streamed.push(record);
  });
  const ended = new Promise((resolve) => parser.on("end", resolve));
  parser.write("a,b\n1,2\n3,");
  parser.write("4\n");
  parser.end();
  await complete(ended);
  out.csv = [viaCallback, streamed, parseSync(csv, { columns: true, cast: true })];

  const through2 = req("through2");
  const doubled = [];
  await complete(new Promise((resolve, reject) => {
    stream.Readable.from([1, 2, 3]).pipe(through2.obj(function (n, enc, cb) {
      this.push(n * 2);
      cb();
    })).on("data", (n) => doubled.push(n)).on("end", resolve).on("error", reject);
  }));
  const text = [];
  await complete(new Promise((resolve) => {
    const t = through2((chunk, enc, cb) => cb(null, chunk.toString().toUpperCase()));
    t.on("data", (c) => text.push(c.toString())).on("end", resolve);
    t.write("ab");
    t.end("cd");
  }));
  out.through2 = [doubled, text];
  return out;
}

// ---------------------------------------------------------------------------
// Globals (hbf's in QuickJS, Node's own under Node)

function level1() {
  return level2();
}
function level2() {
  return capture();
}
function capture() {
  const plain = {};
  Error.captureStackTrace(plain);
  const trimmed = {};
  Error.captureStackTrace(trimmed, level2);
  const named = { name: "Custom", message: "msg" };
  Error.captureStackTrace(named);
  const prepare = Error.prepareStackTrace;
  Error.prepareStackTrace = (e, sites) => sites;
  const sitesHolder = {};
  Error.captureStackTrace(sitesHolder);
  const sites = sitesHolder.stack;
  Error.prepareStackTrace = prepare;
  const frameNames = (text) => text.split("\n").slice(1, 3).map((l) => /at (\S+)/.exec(l)?.[1]);
  const missing = {};
  Error.captureStackTrace(missing, function notOnTheStack() {});
  const err = new Error("late");
  Error.captureStackTrace(err);
  err.name = "RenamedError";
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 1;
  const one = {};
  Error.captureStackTrace(one);
  Error.stackTraceLimit = limit;
  return [plain.stack.split("\n")[0], frameNames(plain.stack), frameNames(trimmed.stack), named.stack.split("\n")[0],
    Array.isArray(sites), sites.slice(0, 3).map((s) => s.getFunctionName()), typeof sites[0].getLineNumber(),
    sites[0].isEval(), sites[0].isNative(), String(sites[0]).startsWith("capture ("), missing.stack,
    err.stack.split("\n")[0], one.stack.split("\n").length, Error.stackTraceLimit,
    Object.getOwnPropertyDescriptor(plain, "stack").enumerable];
}

function cloneSummary(value) {
  const c = structuredClone(value);
  return util.inspect(c, { depth: 4 });
}

async function globalsResults() {
  const out = {};
  out.stack = level1();
  let threw = null;
  try {
    Error.captureStackTrace(1);
  } catch (e) {
    threw = [e.name, e.message];
  }
  out.stackErrors = threw;

  const circular = new Map([["a", { deep: [1, new Set([2])] }]]);
  circular.set("self", circular);
  const c = structuredClone(circular);
  const shared = new ArrayBuffer(8);
  const views = structuredClone({ a: new Uint8Array(shared, 2, 3), b: new Int16Array(shared) });
  out.clone = [c.get("self") === c, c !== circular, util.inspect(c.get("a")), views.a.buffer === views.b.buffer, views.a.byteOffset,
    cloneSummary({ d: new Date(0), r: /x/gi, n: null, u: undefined, big: 10n, neg: -0, arr: [1, , 3], boxed: new String("s") }),
    (() => {
      const source = Object.assign(new RangeError("bad", { cause: "why" }), { extra: 1 });
      const e = structuredClone(source);
      return [e.constructor.name, e.name, e.message, e.cause, e.stack === source.stack, Object.getOwnPropertyNames(e).sort()];
    })(), cloneSummary(new (class K { constructor() { this.x = 1; } })())];
  out.cloneErrors = [() => {}, Symbol("s"), { f() {} }, new WeakMap(), Promise.resolve()].map((v) => {
    try {
      structuredClone(v);
      return null;
    } catch (e) {
      return [e.name, e.message, e.code];
    }
  });

  out.base64 = [btoa("hello"), atob("aGVsbG8="), atob(" aGVs bG8 "), (() => {
    try {
      return atob("a");
    } catch (e) {
      return [e.name, e.message];
    }
  })(), (() => {
    try {
      return btoa("\u0100");
    } catch (e) {
      return e.name;
    }
  })()];

  const trace = [];
  const ac = new AbortController();
  ac.signal.onabort = (e) => trace.push(["onabort", e.type, e.isTrusted, ac.signal.aborted]);
  ac.signal.addEventListener("abort", (e) => trace.push(["listener", e.eventPhase, e.target === ac.signal]), { once: true });
  ac.abort();
  ac.abort("second");
  trace.push(["reason", ac.signal.reason.name, ac.signal.reason.message, ac.signal.reason.code]);
  const given = AbortSignal.abort("why");
  try {
    given.throwIfAborted();
  } catch (e) {
    trace.push(["thrown", e]);
  }
  const any = AbortSignal.any([new AbortController().signal, given]);
  trace.push(["any", any.aborted, any.reason]);
  const timed = AbortSignal.timeout(10);
  // In QuickJS the fake clock fires it; under Node, a real timer.
  await complete(new Promise((resolve) => timed.addEventListener("abort", resolve)));
  trace.push(["timeout", timed.aborted, timed.reason.name, timed.reason.message]);
  for (const fn of [() => new AbortSignal(), () => AbortSignal.timeout(-1), () => new Event()]) {
    try {
      fn();
    } catch (e) {
      trace.push([e.name, e.code, e.message]);
    }
  }
  const target = new EventTarget();
  const b = () => trace.push("b");
  target.addEventListener("x", () => {
    trace.push("a");
    target.addEventListener("x", () => trace.push("added"));
    target.removeEventListener("x", b);
  });
  target.addEventListener("x", b);
  target.addEventListener("x", { handleEvent(e) { trace.push(["object", e.currentTarget === target]); } });
  const cancel = new Event("x", { cancelable: true });
  target.addEventListener("x", (e) => e.preventDefault());
  trace.push(["dispatch", target.dispatchEvent(cancel), cancel.defaultPrevented, cancel.eventPhase, cancel.currentTarget]);
  const custom = new CustomEvent("c", { detail: { n: 1 } });
  trace.push(["custom", custom.detail, custom instanceof Event, String(custom), Object.prototype.toString.call(ac)]);
  out.events = trace;

  out.misc = [global === globalThis, typeof performance.now(), typeof performance.timeOrigin, performance.mark("m").entryType,
    performance.measure("d", "m").entryType, performance.getEntriesByName("m").length, typeof queueMicrotask,
    process.version === `v${process.versions.node}`, /^v\d+\.\d+\.\d+$/.test(process.version)];
  performance.clearMarks();
  performance.clearMeasures();
  out.modules = [tty.isatty(0), tty.isatty(1), typeof tty.WriteStream.prototype.getColorDepth, http.STATUS_CODES[418],
    http.METHODS.length, (() => {
      try {
        http.validateHeaderName("bad name");
      } catch (e) {
        return [e.code, e.message];
      }
    })(), Object.getPrototypeOf(http.IncomingMessage.prototype) === stream.Readable.prototype];
  return out;
}

// ---------------------------------------------------------------------------
// Streams (hbf:node_stream in both engines: QuickJS must agree with V8)

async function streamResults() {
  const { Readable, Writable, Transform, PassThrough, pipeline, finished } = stream;
  const out = {};
  const events = [];
  const r = new Readable({ read() {} });
  for (const ev of ["data", "end", "close", "pause", "resume"]) r.on(ev, (x) => events.push([ev, x === undefined ? null : String(x)]));
  r.push("a");
  r.push("b");
  r.push(null);
  await complete(new Promise((resolve) => r.on("close", resolve)));
  out.readable = events;

  const writes = [];
  const w = new Writable({
    highWaterMark: 3,
    write(chunk, enc, cb) {
      writes.push(chunk.toString());
      setTimeout(cb, 1);
    },
  });
  const flags = [w.write("ab"), w.write("cd"), w.writableLength, w.writableNeedDrain];
  w.on("drain", () => writes.push("drain"));
  w.on("finish", () => writes.push("finish"));
  await complete(new Promise((resolve) => w.end("e", resolve)));
  out.writable = [flags, writes];

  const collected = [];
  const upper = new Transform({
    transform(chunk, enc, cb) {
      cb(null, chunk.toString().toUpperCase());
    },
    flush(cb) {
      cb(null, "!");
    },
  });
  const sink = new Writable({
    write(chunk, enc, cb) {
      collected.push(chunk.toString());
      cb();
    },
  });
  const piped = await complete(new Promise((resolve) => pipeline(Readable.from(["x", "y"]), upper, new PassThrough(), sink, (err) => resolve(err ?? "ok"))));
  const failing = await complete(new Promise((resolve) => pipeline(Readable.from(["x"]), new Transform({
    transform(c, e, cb) {
      cb(new Error("boom"));
    },
  }), new PassThrough(), (err) => resolve(err?.message))));
  const iterated = [];
  for await (const chunk of Readable.from([1, 2, 3])) iterated.push(chunk);
  const finishedWritable = await complete(new Promise((resolve) => {
    const fw = new Writable({ write(c, e, cb) { cb(); } });
    finished(fw, (err) => resolve(err ? err.code : "finished"));
    fw.end("z");
  }));
  const premature = await complete(new Promise((resolve) => {
    const pr = new Readable({ read() {} });
    finished(pr, (err) => resolve(err?.code));
    pr.destroy();
  }));
  out.pipeline = [piped, collected, failing, iterated, finishedWritable, premature, new Transform() instanceof Writable,
    stream.Duplex.prototype instanceof Readable, typeof stream.promises.pipeline];
  return out;
}
