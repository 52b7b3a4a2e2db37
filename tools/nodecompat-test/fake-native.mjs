// A fake "hbf:native" for the Node run: the real natives' contracts
// (src/js/builtin/README.md) over an in-memory document map, a config map, a
// log sink and timers on a fake clock that the harness drives (`__fake.drive`).
import { createHash, createHmac, randomBytes as nodeRandomBytes } from "node:crypto";
import vm from "node:vm";
import nodeZlib from "node:zlib";
import { createFakeClock } from "./fake-clock.mjs";

const u8 = (buf) => new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength).slice();
const bytes = (v, what) => {
  if (v instanceof Uint8Array) return v;
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  throw new TypeError(`${what}: expected a Uint8Array`);
};

// --- state -----------------------------------------------------------------
const docs = new Map(); // id -> { bytes, modified_at, content_type }
let configRows = {};
const logs = [];
const clock = createFakeClock(Date.now(), logs); // the fake clock: it moves only when a timer fires
const timers = clock.timers;
const stats = { compileFunction: 0 };

// bytesEqual(a, b): whether two byte arrays hold the same bytes.
export const bytesEqual = (a, b) => Buffer.compare(bytes(a, "bytesEqual"), bytes(b, "bytesEqual")) === 0;

export const __fake = {
  docs,
  logs,
  timers,
  stats,
  reset() {
    docs.clear();
    configRows = {};
    logs.length = 0;
    timers.clear();
  },
  put(id, content, modifiedAt = 1700000000, contentType = "application/octet-stream") {
    const b = typeof content === "string" ? u8(Buffer.from(content, "utf8")) : Uint8Array.from(content);
    docs.set(id, { bytes: b, modified_at: modifiedAt, content_type: contentType });
  },
  remove(id) {
    docs.delete(id);
  },
  setConfig(c) {
    configRows = { ...c };
  },
  now: clock.now,
  /** Runs microtasks and due timers (earliest first) until `promise` settles or nothing is left, like the host's Drive loop. */
  async drive(promise, { maxTimers = 100000 } = {}) {
    let settled = false;
    let value;
    let error;
    let failed = false;
    if (promise && typeof promise.then === "function") {
      promise.then((v) => { settled = true; value = v; }, (e) => { settled = true; failed = true; error = e; });
    } else {
      settled = true;
      value = promise;
    }
    for (let n = 0; n <= maxTimers; n++) {
      await new Promise((r) => setImmediate(r));
      if (settled) break;
      if (!this.fireNext()) break;
    }
    if (!settled) return { settled: false };
    return failed ? { settled: true, error } : { settled: true, value };
  },
  /** Fires the earliest timer (advancing the fake clock); false when none is pending. */
  fireNext: clock.fireNext,

  cancelTimers() {
    timers.clear();
  },
};

// --- natives -----------------------------------------------------------------
export function log(level, message) {
  logs.push([level, message]);
}

export function utf8Encode(s) {
  if (typeof s !== "string") throw new TypeError("utf8Encode: expected a string");
  if (!s.isWellFormed()) throw new TypeError("utf8Encode: string has lone surrogates (the JS layer must fix them first)");
  return u8(Buffer.from(s, "utf8"));
}

export function utf8Decode(b, fatal) {
  return new TextDecoder("utf-8", { fatal: !!fatal, ignoreBOM: true }).decode(bytes(b, "utf8Decode"));
}

export const sha256 = (b) => u8(createHash("sha256").update(bytes(b, "sha256")).digest());
export const hmacSha256 = (k, d) => u8(createHmac("sha256", bytes(k, "hmac key")).update(bytes(d, "hmac data")).digest());

// Streaming hashers (the real ones are Nettle's, src/crypto/hasher.h): a
// handle is { name, key, h }; a digest leaves it ready for a new message
// under the same key, as Nettle's contexts are.
const HASHERS = new Set(["md5", "sha1", "sha224", "sha256", "sha384", "sha512", "sha512-224", "sha512-256", "sha3-224",
  "sha3-256", "sha3-384", "sha3-512", "ripemd160"]);
const freshHasher = (name, key) => (key === undefined ? createHash(name) : createHmac(name, key));
export function hashCreate(name, key) {
  if (!HASHERS.has(name)) return null;
  const k = key === undefined ? undefined : Buffer.from(bytes(key, "hashCreate key"));
  return { name, key: k, h: freshHasher(name, k) };
}
export function hashUpdate(handle, data) {
  handle.h.update(bytes(data, "hashUpdate"));
}
export function hashDigest(handle) {
  const d = u8(handle.h.digest());
  handle.h = freshHasher(handle.name, handle.key);
  return d;
}
export function pbkdf2Rounds(handle, u, t, rounds) {
  for (let r = 0; r < rounds; r++) {
    hashUpdate(handle, u);
    u.set(hashDigest(handle));
    for (let k = 0; k < t.length; k++) t[k] ^= u[k];
  }
}
export function hashCopy(handle) {
  if (handle.key !== undefined) throw new TypeError("hashCopy: an HMAC is never copied");
  return { name: handle.name, key: undefined, h: handle.h.copy() };
}

export function detachArrayBuffer(buffer) {
  structuredClone(buffer, { transfer: [buffer] });
}

export function randomBytes(n) {
  if (!Number.isInteger(n) || n < 0 || n > 65536) throw new RangeError("randomBytes: 0 <= n <= 65536");
  return u8(nodeRandomBytes(n));
}

export const base64Encode = (b, urlsafe) => Buffer.from(bytes(b, "base64Encode")).toString(urlsafe ? "base64url" : "base64");
export function base64Decode(s, urlsafe) {
  return u8(Buffer.from(s, urlsafe ? "base64url" : "base64"));
}

export const now = clock.now;
// The fake clock never goes back either.
export const monotonicNow = clock.now;

// The henv's server code uses this document (hbf noteServerCode): nothing to do here.
export function noteServerCode(id) {}

export function readDocument(id) {
  if (typeof id !== "string") throw new TypeError("readDocument expects a document id");
  const d = docs.get(id);
  return d ? d.bytes.slice() : null;
}

export function documentInfo(id) {
  if (typeof id !== "string") throw new TypeError("documentInfo expects a document id");
  const d = docs.get(id);
  return d ? { size: d.bytes.length, modified_at: d.modified_at, content_type: d.content_type } : null;
}

export function listDocuments(prefix) {
  prefix = typeof prefix === "string" ? prefix : "";
  const out = [];
  for (const id of docs.keys()) if (id.startsWith(prefix)) out.push(id);
  // SQLite orders TEXT by its UTF-8 bytes.
  return out.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

export function compileFunction(source, filename, params) {
  stats.compileFunction++;
  if (typeof source !== "string" || typeof filename !== "string") throw new TypeError("compileFunction(source, filename, params)");
  return vm.compileFunction(source, params ?? [], { filename });
}

export const { setTimer, clearTimer } = clock;

// The real loadBuiltin(id) evaluates a built-in synchronously on first use
// (the lazy Buffer/process/timer globals, require() of core modules). Neither
// Node's ESM nor qjs can import synchronously, so the runner imports every
// hbf:node_* module into this registry (id -> namespace) before tests run.
export function loadBuiltin(id) {
  const ns = globalThis[Symbol.for("hbf.test.builtins")]?.[id];
  if (ns === undefined) throw new Error(`loadBuiltin: ${id} is not in the test registry (the runner must import it first)`);
  return ns;
}

// The real requireEsm(id) loads document `id` as an ES module synchronously
// (src/js/module_loader.cpp, tested on hbf itself); here a marker naming the
// id, so the resolver's side of require(esm) can be checked.
export function requireEsm(id) {
  return { __fakeRequireEsm: id };
}

export const config = () => ({ ...configRows });
export const hostInfo = () => ({ version: "0.0.0-test", platform: "linux", arch: "x64" });

// Database natives are not used by the Node compatibility layer.
export const dbQuery = () => [];
export const dbGet = () => null;
export const dbExecute = () => ({ rows_affected: 0, last_insert_id: null });
export const dbExec = () => undefined;
export const dbInTransaction = () => false;

// Compression streams (the real ones are src/codec's over Debian's zlib and
// brotli, src/js/natives_zlib.h): here Node's own zlib handles, driven
// synchronously as Node's processChunkSync does, without closing between
// calls. A failed write reports through Node's onerror -> destroy(err),
// caught here and rethrown in the native's shape (message, errno, code).
const ZLIB_CLASSES = [null, nodeZlib.Deflate, nodeZlib.Inflate, nodeZlib.Gzip, nodeZlib.Gunzip, nodeZlib.DeflateRaw,
  nodeZlib.InflateRaw, nodeZlib.Unzip, nodeZlib.BrotliDecompress, nodeZlib.BrotliCompress];
function compressionHandle(engine) {
  const h = { engine, failure: null, bytesRead: 0 };
  engine.destroy = function destroy(err) {
    if (err) h.failure = err;
    return this;
  };
  return h;
}
function rethrowFailure(h) {
  const f = h.failure;
  h.failure = null;
  const err = new Error(f.message);
  err.errno = f.errno;
  err.code = f.code;
  throw err;
}
export function zlibCreate(mode, windowBits, level, memLevel, strategy, dictionary) {
  try {
    return compressionHandle(new ZLIB_CLASSES[mode]({ windowBits, level, memLevel, strategy, dictionary }));
  } catch {
    return null;
  }
}
export function brotliCreate(mode, params) {
  const p = {};
  params.forEach((v, i) => {
    if (v !== -1) p[i] = v;
  });
  try {
    return compressionHandle(new ZLIB_CLASSES[mode]({ params: p }));
  } catch {
    return null;
  }
}
export function zlibFeed(h, bytes, flush, maxOutput) {
  const handle = h.engine._handle;
  if (!handle) throw new TypeError("zlib binding closed");
  const state = h.engine._writeState;
  const chunk = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = 16384;
  const out = [];
  let inOff = 0;
  let availIn = chunk.length;
  let total = 0;
  for (;;) {
    const buf = Buffer.allocUnsafe(size);
    handle.writeSync(flush, chunk, inOff, availIn, buf, 0, size);
    if (h.failure) rethrowFailure(h);
    const [availOut, availInAfter] = state;
    h.bytesRead += availIn - availInAfter;
    if (size > availOut) {
      out.push(buf.subarray(0, size - availOut));
      total += size - availOut;
      if (total > maxOutput) return null;
    }
    if (availOut !== 0) break;
    inOff += availIn - availInAfter;
    availIn = availInAfter;
  }
  return u8(Buffer.concat(out));
}
export const zlibBytesRead = (h) => h.bytesRead;
export function zlibReset(h) {
  h.engine._handle.reset();
  if (h.failure) rethrowFailure(h);
}
export function zlibParams(h, level, strategy) {
  h.engine._handle.params(level, strategy);
  if (h.failure) rethrowFailure(h);
}
export function zlibClose(h) {
  if (!h.engine._handle) return;
  h.engine._handle.close();
  h.engine._handle = null;
}

// Streamed responses (src/js/natives.cpp streamWanted/streamWrite/streamEnd,
// tested on hbf itself): never here, so res.write() buffers until end().
export const streamWanted = () => false;
export const streamWrite = () => false;
export const streamEnd = () => {};
// Route reach (natives.cpp routesChanged): nothing here relies on it.
export const routesChanged = () => {};

// escapeHtml, headerValueOk, documentsEpoch: as src/js/natives.cpp (the portable fake's).
export { escapeHtml, headerValueOk, documentsEpoch } from "../jsrt-test/portable/fake-native-pure.mjs";

// What the built-ins import: hbf:native's default export, every function above
// as one object (src/js/natives.cpp).
import * as self from "hbf:native"; // (itself, under the name the built-ins use)
export default self;
