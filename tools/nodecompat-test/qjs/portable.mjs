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
    attempt(() => crypto.createHash("md5")).error?.[1]];
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
