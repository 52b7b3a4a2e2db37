// hbf:node_zlib against node:zlib: the same scenarios run on both modules
// and must give the same bytes, errors (class, code, errno, message),
// callback results and stream traces. In this run hbf's natives are
// fake-native.mjs's (Node's own zlib handles), so what is compared is hbf's
// JavaScript layer: options and their validation, the convenience, callback
// and promisified forms, streams, flush/params/reset/close, info,
// maxOutputLength. The real natives (src/codec over Debian's zlib and
// brotli) are held to Node's bytes and errors by tests/unit's
// compression_stream_test and, inside the binary, by
// tests/blackbox/node_compat_test.cpp (fixtures made by Node 20).
import nodeZlib from "node:zlib";
import { createHash } from "node:crypto";
import nodeStream from "node:stream";
import { promisify as nodePromisify } from "node:util";
import hbfZlib, * as hbfZlibNamed from "hbf:node_zlib";
import hbfStream from "hbf:node_stream";
import { Buffer as HB } from "hbf:node_buffer";
import { promisify as hbfPromisify } from "hbf:node_util";
import nodeFs from "node:fs";
import nodePath from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { requireFrom } from "hbf:modules";
import { __fake } from "hbf:native";
import { test, same, ok } from "../lib.mjs";

const NODE = { Z: nodeZlib, S: nodeStream, B: Buffer, promisify: nodePromisify };
const HBF = { Z: hbfZlib, S: hbfStream, B: HB, promisify: hbfPromisify };

const later = () => new Promise((resolve) => setImmediate(resolve));
async function settle(n = 8) {
  for (let i = 0; i < n; i++) await later();
}

const hex = (b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");
const digest = (b) => `${b.length}:${createHash("sha1").update(Buffer.from(b.buffer, b.byteOffset, b.byteLength)).digest("hex")}`;
const errShape = (e) => ({ name: e?.name, code: e?.code, errno: e?.errno, message: e?.message, keys: Object.keys(e ?? {}) });
function attempt(fn) {
  try {
    const v = fn();
    return { value: v instanceof Uint8Array ? hex(v) : v };
  } catch (e) {
    return { error: errShape(e) };
  }
}

function text(n) {
  let s = "";
  for (let i = 0; i < n; i++) s += `line ${(i * 7919) % 1000} of the sample ${i % 7 ? "text" : "TEXT"}\n`;
  return s;
}
const SMALL = "hello world hello world";
const LARGE = text(3000);

/** Runs `scenario` on both modules and compares what it returns. */
function both(name, scenario) {
  test(name, async () => {
    const expected = await scenario(NODE);
    const got = await scenario(HBF);
    same(got, expected, name);
  });
}

// --- sync: every format, options, input types -------------------------------

both("sync round trips, every format and input type", ({ Z, B }) => {
  const out = {};
  const pairs = [["gzipSync", "gunzipSync"], ["deflateSync", "inflateSync"], ["deflateRawSync", "inflateRawSync"],
    ["gzipSync", "unzipSync"], ["deflateSync", "unzipSync"], ["brotliCompressSync", "brotliDecompressSync"]];
  const inputs = {
    string: () => LARGE,
    buffer: () => B.from(LARGE),
    uint16: () => new Uint16Array([0x6261, 0x6463, 0x6665, 0x6867]),
    dataview: () => new DataView(new TextEncoder().encode(SMALL).buffer, 6, 11),
    arraybuffer: () => new TextEncoder().encode(SMALL).buffer,
    empty: () => "",
  };
  for (const [c, d] of pairs) {
    for (const [kind, make] of Object.entries(inputs)) {
      const packed = Z[c](make());
      const unpacked = Z[d](packed);
      out[`${c}/${d}/${kind}`] = [B.isBuffer(packed), B.isBuffer(unpacked), digest(unpacked)];
    }
  }
  return out;
});

both("sync compressed bytes for small inputs and options", ({ Z }) => {
  const out = {};
  for (const level of [-1, 0, 1, 6, 9]) {
    out[`gzip ${level}`] = hex(Z.gzipSync(SMALL, { level }));
    out[`deflate ${level}`] = hex(Z.deflateSync(SMALL, { level }));
    out[`raw ${level}`] = hex(Z.deflateRawSync(SMALL, { level }));
  }
  out.window = hex(Z.deflateSync(SMALL, { windowBits: 9, memLevel: 1, strategy: Z.constants.Z_HUFFMAN_ONLY }));
  out.rle = hex(Z.deflateSync(SMALL, { strategy: Z.constants.Z_RLE }));
  out.fixed = hex(Z.deflateSync(SMALL, { strategy: Z.constants.Z_FIXED }));
  out.dict = hex(Z.deflateSync("hello hello", { dictionary: Buffer.from("hello") }));
  out.brotli = hex(Z.brotliCompressSync("hello world"));
  out.brotliQ4 = hex(Z.brotliCompressSync(SMALL, { params: { [Z.constants.BROTLI_PARAM_QUALITY]: 4 } }));
  out.brotliText = hex(Z.brotliCompressSync(SMALL, {
    params: { [Z.constants.BROTLI_PARAM_MODE]: Z.constants.BROTLI_MODE_TEXT, [Z.constants.BROTLI_PARAM_SIZE_HINT]: 23 },
  }));
  return out;
});

both("sync options: chunkSize, info, dictionary, finishFlush", ({ Z, B }) => {
  const out = {};
  out.chunk = hex(Z.gunzipSync(Z.gzipSync(LARGE), { chunkSize: 64 }).subarray(0, 40));
  const info = Z.gzipSync(SMALL, { info: true });
  out.info = [Object.keys(info), info.engine.constructor.name, info.engine.bytesWritten, hex(info.buffer)];
  const inflated = Z.inflateSync(Z.deflateSync(LARGE), { info: true });
  out.infoInflate = [inflated.engine.bytesWritten, inflated.buffer.length];
  const dict = B.from("hello world dictionary");
  for (const [c, d] of [["deflateSync", "inflateSync"], ["deflateRawSync", "inflateRawSync"]]) {
    out[`dict ${c}`] = Z[d](Z[c](SMALL, { dictionary: dict }), { dictionary: dict }).toString();
    out[`dict ab ${c}`] = Z[d](Z[c](SMALL, { dictionary: dict.buffer.slice(dict.byteOffset, dict.byteOffset + dict.length) }),
      { dictionary: new Uint8Array(dict) }).toString();
  }
  const partial = Z.deflateSync(LARGE).subarray(0, 200);
  out.syncFlushPartial = attempt(() => Z.inflateSync(partial, { finishFlush: Z.constants.Z_SYNC_FLUSH }).length);
  out.multiMember = Z.gunzipSync(B.concat([Z.gzipSync("one "), Z.gzipSync("two")])).toString();
  out.multiUnzip = Z.unzipSync(B.concat([Z.gzipSync("one "), Z.gzipSync("two")])).toString();
  out.zeroPadding = Z.gunzipSync(B.concat([Z.gzipSync("padded"), B.alloc(5)])).toString();
  out.afterEnd = Z.inflateSync(B.concat([Z.deflateSync("done"), B.from("trailing")])).toString();
  out.windowZero = Z.inflateSync(Z.deflateSync(SMALL, { windowBits: 10 }), { windowBits: 0 }).toString();
  return out;
});

// --- errors -------------------------------------------------------------------

both("errors for corrupt and truncated input", ({ Z, B }) => {
  const gz = Z.gzipSync(SMALL);
  const withDict = Z.deflateSync("hello hello", { dictionary: B.from("hello") });
  const br = Z.brotliCompressSync(LARGE);
  return {
    notGzip: attempt(() => Z.gunzipSync(B.from("not gzip data"))),
    truncated: attempt(() => Z.gunzipSync(gz.subarray(0, 10))),
    truncatedBody: attempt(() => Z.gunzipSync(gz.subarray(0, gz.length - 4))),
    empty: attempt(() => Z.gunzipSync(B.alloc(0))),
    emptyInflate: attempt(() => Z.inflateSync("")),
    gzipAsZlib: attempt(() => Z.inflateSync(gz)),
    badBlock: attempt(() => Z.inflateRawSync(B.from([0xff, 0xff]))),
    unzipTruncated: attempt(() => Z.unzipSync(gz.subarray(0, 5))),
    unzipOneByte: attempt(() => Z.unzipSync(gz.subarray(0, 1))),
    garbageAfter: attempt(() => Z.gunzipSync(B.concat([gz, B.from("garbage")]))),
    badChecksum: attempt(() => Z.gunzipSync(B.concat([gz.subarray(0, gz.length - 8), B.alloc(8, 1)]))),
    missingDict: attempt(() => Z.inflateSync(withDict)),
    badDict: attempt(() => Z.inflateSync(withDict, { dictionary: B.from("nope") })),
    brotliGarbage: attempt(() => Z.brotliDecompressSync(B.from("garbage data here"))),
    brotliTruncated: attempt(() => Z.brotliDecompressSync(br.subarray(0, br.length >> 1))),
  };
});

both("option validation errors", ({ Z }) => {
  const out = {};
  const bad = {
    level10: { level: 10 }, levelString: { level: "a" }, levelInfinity: { level: Infinity }, levelNaN: { level: NaN },
    windowBits7: { windowBits: 7 }, memLevel0: { memLevel: 0 }, strategy5: { strategy: 5 }, chunk10: { chunkSize: 10 },
    chunkString: { chunkSize: "x" }, flush9: { flush: 9 }, finishFlush6: { finishFlush: 6 },
    maxOutput0: { maxOutputLength: 0 }, maxOutputHuge: { maxOutputLength: 2 ** 33 }, dictString: { dictionary: "abc" },
    dictNumber: { dictionary: 7 }, objectMode: { objectMode: true, encoding: "hex" },
  };
  for (const [k, opts] of Object.entries(bad)) {
    out[`deflate ${k}`] = attempt(() => Z.deflateSync("x", opts));
    out[`gzip ${k}`] = attempt(() => Z.gzipSync("x", opts));
  }
  out.gzipWindow8 = attempt(() => Z.gzipSync("x", { windowBits: 8 }));
  out.deflateWindow8 = attempt(() => Z.inflateSync(Z.deflateSync(SMALL, { windowBits: 8 })).toString());
  out.inputNumber = attempt(() => Z.gzipSync(123));
  out.inputObject = attempt(() => Z.gzipSync({ a: 1 }));
  out.inputNull = attempt(() => Z.inflateSync(null));
  out.brotliParam99 = attempt(() => Z.brotliCompressSync("x", { params: { 99: 1 } }));
  out.brotliParamNaN = attempt(() => Z.brotliCompressSync("x", { params: { x: 1 } }));
  out.brotliParamString = attempt(() => Z.brotliCompressSync("x", { params: { 1: "a" } }));
  out.brotliParamBool = attempt(() => Z.brotliDecompressSync(Z.brotliCompressSync("ok", { params: { 4: true } })).toString());
  out.brotliQualityClamped = attempt(() => Z.brotliDecompressSync(Z.brotliCompressSync("ok", { params: { 1: 99 } })).toString());
  out.brotliBadWindow = attempt(() => Z.brotliCompressSync("x", { params: { 2: 99 } }));
  return out;
});

both("maxOutputLength", async ({ Z }) => {
  const bomb = Z.gzipSync("a".repeat(1 << 20));
  const out = {
    under: attempt(() => Z.gunzipSync(bomb, { maxOutputLength: 1 << 20 }).length),
    over: attempt(() => Z.gunzipSync(bomb, { maxOutputLength: (1 << 20) - 1 })),
    small: attempt(() => Z.gunzipSync(Z.gzipSync(SMALL), { maxOutputLength: 5 })),
    brotli: attempt(() => Z.brotliDecompressSync(Z.brotliCompressSync(LARGE), { maxOutputLength: 1000 })),
    deflate: attempt(() => Z.deflateSync(LARGE, { maxOutputLength: 10 })),
  };
  out.callback = await new Promise((resolve) =>
    Z.gunzip(bomb, { maxOutputLength: 100 }, (err, res) => resolve(err ? errShape(err) : res.length)));
  return out;
});

// --- callbacks and promisify --------------------------------------------------

both("callback and promisified forms", async ({ Z, B, promisify }) => {
  const trace = [];
  const gz = await new Promise((resolve, reject) => {
    const r = Z.gzip(LARGE, (err, res) => (err ? reject(err) : resolve(res)));
    trace.push(`returns ${r}`);
  });
  trace.push(`called back ${B.isBuffer(gz)}`);
  await new Promise((resolve) => Z.gunzip(gz, { chunkSize: 1024 }, (err, res) => {
    trace.push(`gunzip ${err} ${res.length}`);
    resolve();
  }));
  await new Promise((resolve) => Z.inflate(B.from("bad"), (err, res) => {
    trace.push(`inflate error ${JSON.stringify(errShape(err))} ${res}`);
    resolve();
  }));
  for (const name of ["deflate", "deflateRaw", "gzip", "brotliCompress"]) {
    const back = { deflate: "inflate", deflateRaw: "inflateRaw", gzip: "unzip", brotliCompress: "brotliDecompress" }[name];
    const packed = await promisify(Z[name])(SMALL, { level: 1 });
    trace.push(`${name} ${(await promisify(Z[back])(packed)).toString()}`);
  }
  try {
    await promisify(Z.gunzip)(B.from("nope"));
  } catch (e) {
    trace.push(`rejected ${JSON.stringify(errShape(e))}`);
  }
  const info = await promisify(Z.deflate)(SMALL, { info: true });
  trace.push(`info ${Object.keys(info)} ${info.engine.bytesWritten}`);
  trace.push(`no callback ${JSON.stringify(attempt(() => Z.gzip("x")).error)}`);
  trace.push(`bad input ${JSON.stringify(attempt(() => Z.gzip(42, () => {})).error)}`);
  return trace;
});

// --- streams --------------------------------------------------------------------

async function collect(stream, input, { pieces = 7 } = {}) {
  const chunks = [];
  const events = [];
  stream.on("data", (c) => chunks.push(c));
  for (const ev of ["end", "finish", "close"]) stream.on(ev, () => events.push(ev));
  stream.on("error", (e) => events.push(`error ${e.code} ${e.message}`));
  const closed = new Promise((resolve) => stream.on("close", resolve));
  const step = Math.ceil(input.length / pieces) || 1;
  for (let i = 0; i < input.length; i += step) stream.write(input.subarray(i, i + step));
  stream.end();
  await closed;
  return { data: Buffer.concat(chunks.map((c) => Buffer.from(c))), events, sizes: chunks.map((c) => c.length) };
}

both("streams round trip in pieces, every format", async ({ Z, B }) => {
  const out = {};
  const pairs = [["createGzip", "createGunzip"], ["createDeflate", "createInflate"], ["createDeflateRaw", "createInflateRaw"],
    ["createGzip", "createUnzip"], ["createBrotliCompress", "createBrotliDecompress"]];
  for (const [c, d] of pairs) {
    const packed = await collect(Z[c](), B.from(LARGE));
    const unpacked = await collect(Z[d]({ chunkSize: 4096 }), B.from(packed.data));
    out[`${c}/${d}`] = [packed.events, unpacked.events, unpacked.data.toString() === LARGE, unpacked.sizes];
  }
  const g = new Z.Gzip();
  const i = Z.Inflate();
  out.classes = [g instanceof Z.Gzip, g instanceof Z.Gunzip, i instanceof Z.Inflate, typeof g.pipe, g.constructor.name,
    Object.getPrototypeOf(Z.Gzip.prototype) === Object.getPrototypeOf(Z.Deflate.prototype)];
  g.destroy();
  i.destroy();
  return out;
});

both("stream errors, bytesWritten and close", async ({ Z, B }) => {
  const out = {};
  const bad = await collect(Z.createGunzip(), B.from("this is not gzip at all"));
  out.bad = bad.events;
  const gz = Z.gzipSync(LARGE);
  const truncated = await collect(Z.createGunzip(), gz.subarray(0, gz.length - 10));
  out.truncated = [truncated.events, truncated.data.length > 0];
  const d = Z.createDeflate();
  const res = await collect(d, B.from(LARGE));
  out.bytesWritten = [d.bytesWritten, d.bytesRead, res.data.length > 0];
  const c = Z.createGzip();
  const closed = [];
  c.on("close", () => closed.push("close"));
  c.close(() => closed.push("callback"));
  await settle();
  out.close = [closed, c.destroyed, c._closed];
  return out;
});

both("flush() and params() mid-stream", async ({ Z, B }) => {
  const trace = [];
  const d = Z.createDeflate();
  const chunks = [];
  d.on("data", (c) => chunks.push(B.from(c)));
  d.write("first part ");
  await new Promise((resolve) => d.flush(resolve));
  const afterFlush = B.concat(chunks);
  trace.push(`flushed ${Z.inflateSync(afterFlush, { finishFlush: Z.constants.Z_SYNC_FLUSH }).toString()}`);
  await new Promise((resolve) => d.params(9, Z.constants.Z_FILTERED, resolve));
  trace.push(`params ${d._level} ${d._strategy}`);
  d.write("second part");
  d.flush(Z.constants.Z_FULL_FLUSH);
  const ended = new Promise((resolve) => d.on("end", resolve));
  d.end(" end");
  await ended;
  trace.push(`all ${Z.inflateSync(B.concat(chunks)).toString()}`);
  trace.push(`bad params ${JSON.stringify(attempt(() => Z.createDeflate().params(42, 0)).error)}`);
  const b = Z.createBrotliCompress();
  const bchunks = [];
  b.on("data", (c) => bchunks.push(B.from(c)));
  b.write("brotli part");
  await new Promise((resolve) => b.flush(resolve));
  trace.push(`brotli flush ${bchunks.length > 0}`);
  const bended = new Promise((resolve) => b.on("end", resolve));
  b.end();
  await bended;
  trace.push(`brotli ${Z.brotliDecompressSync(B.concat(bchunks)).toString()}`);
  const r = Z.createDeflate();
  const rchunks = [];
  r.on("data", (c) => rchunks.push(B.from(c)));
  const rended = new Promise((resolve) => r.on("end", resolve));
  r.write("discarded", () => {
    r.reset();
    r.end("kept");
  });
  await rended;
  trace.push(`reset ${attempt(() => Z.inflateSync(B.concat(rchunks)).toString()).value ?? "error"}`);
  return trace;
});

both("pipe a request body through createGunzip (body-parser's path)", async ({ Z, S, B }) => {
  const body = B.from(Z.gzipSync(JSON.stringify({ hello: "world", n: LARGE.length })));
  // What body-parser's read() does: req.pipe(zlib.createGunzip()), then reads 'data' / 'end'.
  const req = new S.Readable({ read() {} });
  for (let i = 0; i < body.length; i += 100) req.push(body.subarray(i, i + 100));
  req.push(null);
  const stream = Z.createGunzip();
  req.pipe(stream);
  const chunks = [];
  const events = [];
  stream.on("data", (c) => chunks.push(B.from(c)));
  stream.on("end", () => events.push("end"));
  await new Promise((resolve) => {
    stream.on("error", (e) => resolve(events.push(`error ${e.code}`)));
    stream.on("end", resolve);
  });
  const piped = { events, json: JSON.parse(B.concat(chunks).toString()) };
  // pipeline() with a corrupt body reports the error once.
  const errors = [];
  await new Promise((resolve) => S.pipeline(S.Readable.from([B.from("corrupt!")]), Z.createGunzip(), new S.Writable({
    write(c, e, cb) { cb(); },
  }), (err) => {
    errors.push(err && `${err.code} ${err.message}`);
    resolve();
  }));
  const viaPromises = await S.promises.pipeline(S.Readable.from([B.from(LARGE)]), Z.createBrotliCompress(), Z.createBrotliDecompress(),
    async function* (source) {
      let n = 0;
      for await (const c of source) n += c.length;
      yield n;
    }, new S.Writable({ objectMode: true, write(c, e, cb) { errors.push(`total ${c}`); cb(); } }));
  return { piped, errors, viaPromises };
});

// --- the module's shape ----------------------------------------------------------

both("exports, constants and codes", ({ Z }) => {
  const keys = Object.keys(Z).filter((k) => k !== "crc32").sort();
  const legacy = Object.getOwnPropertyNames(Z).filter((k) => !Object.keys(Z).includes(k)).sort();
  const desc = Object.getOwnPropertyDescriptor(Z, "Z_SYNC_FLUSH");
  return { keys, legacy, desc, constants: Z.constants, codes: Z.codes, frozen: Object.isFrozen(Z.codes),
    values: [Z.Z_BEST_COMPRESSION, Z.constants.Z_MAX_CHUNK, Z.DEFLATE, Z.BROTLI_OPERATION_FLUSH] };
});

test("named exports and node: prefix resolve to one module", () => {
  ok(hbfZlibNamed.gzipSync === hbfZlib.gzipSync && hbfZlibNamed.constants === hbfZlib.constants, "named = default's");
  same(hex(hbfZlibNamed.gunzipSync(nodeZlib.gzipSync(SMALL))), hex(Buffer.from(SMALL)), "cross");
});

// --- body-parser (npm), what zlib was missing for ------------------------------

// body-parser 1.x's json() and raw() with gzip, deflate and identity bodies
// (read.js pipes the request through zlib.createGunzip()/createInflate()),
// loaded from the fake document store through hbf:modules and run on hbf's
// stream and zlib, against the same package under Node. The request is a
// Readable with headers (hbf's req is not a stream yet).
const BODY_PARSER = ["body-parser", "bytes", "content-type", "debug", "ms", "depd", "destroy", "http-errors", "inherits",
  "setprototypeof", "statuses", "toidentifier", "iconv-lite", "safer-buffer", "on-finished", "ee-first", "raw-body",
  "unpipe", "type-is", "media-typer", "mime-types", "mime-db"];

async function bodyParserResults(require, S) {
  const bodyParser = require("body-parser");
  const run = (mw, headers, chunks) => new Promise((resolve) => {
    const req = new S.Readable({ read() {} });
    Object.assign(req, { headers, method: "POST", url: "/", complete: true });
    for (const c of chunks) req.push(c);
    req.push(null);
    mw(req, {}, (err) => resolve(err ? { error: [err.status, err.type, err.message] } :
      { body: Buffer.isBuffer(req.body) ? `buffer ${req.body.length}` : req.body }));
  });
  const json = JSON.stringify({ hello: "world", list: [1, 2, 3], text: LARGE.slice(0, 5000) });
  const headers = (encoding, body) => ({ "content-type": "application/json", "content-encoding": encoding,
    "content-length": String(body.length) });
  const gz = nodeZlib.gzipSync(json);
  const df = nodeZlib.deflateSync(json);
  const halves = (b) => [b.subarray(0, b.length >> 1), b.subarray(b.length >> 1)];
  return {
    gzip: await run(bodyParser.json(), headers("gzip", gz), halves(gz)),
    deflate: await run(bodyParser.json(), headers("deflate", df), halves(df)),
    identity: await run(bodyParser.json(), headers("identity", Buffer.from(json)), [Buffer.from(json)]),
    corrupt: await run(bodyParser.json(), headers("gzip", gz), [Buffer.from("not gzip")]),
    truncated: await run(bodyParser.json(), headers("gzip", gz), [gz.subarray(0, gz.length - 20)]),
    tooLarge: await run(bodyParser.json({ limit: 100 }), headers("gzip", gz), [gz]),
    refused: await run(bodyParser.json({ inflate: false }), headers("gzip", gz), [gz]),
    raw: await run(bodyParser.raw({ type: "*/*" }), headers("gzip", gz), halves(gz)),
  };
}

test("body-parser's json() and raw() read gzip and deflate bodies as under Node", async () => {
  const here = nodePath.dirname(fileURLToPath(import.meta.url));
  const nodeModules = nodePath.join(here, "..", "node_modules");
  if (!BODY_PARSER.every((p) => nodeFs.existsSync(nodePath.join(nodeModules, p, "package.json")))) return;
  for (const id of [...__fake.docs.keys()]) __fake.remove(id);
  for (const name of BODY_PARSER) {
    const base = nodePath.join(nodeModules, name);
    const walk = (dir) => {
      for (const entry of nodeFs.readdirSync(dir, { withFileTypes: true })) {
        const full = nodePath.join(dir, entry.name);
        if (entry.isDirectory()) walk(full);
        else if (/\.(c?js|json)$/.test(entry.name)) __fake.put(`modules/${name}/${nodePath.relative(base, full)}`, nodeFs.readFileSync(full));
      }
    };
    walk(base);
  }
  const mine = await bodyParserResults(requireFrom("_system/router.js"), hbfStream);
  const theirs = await bodyParserResults(createRequire(import.meta.url.replace("/tests/", "/")), nodeStream);
  ok(theirs.gzip.body?.hello === "world", "Node parsed the gzip body");
  same(mine, theirs, "body-parser");
});
