// "hbf:native" for the Node run: documents come from an in-memory overlay
// (__docs: id -> Uint8Array, or null to hide a file) and then from the
// directory set with __setRoot() (the corpus).
import { createHash, randomBytes as nodeRandomBytes } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";

export const __docs = new Map();
export const __logs = [];
export const __stats = { reads: 0 };
let root = null;
export function __setRoot(dir) { root = dir; }

const u8 = (buf) => new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength).slice();
const bytes = (v, what) => {
  if (v instanceof Uint8Array) return v;
  throw new TypeError(`${what}: expected a Uint8Array`);
};

// The henv's server code uses this document (hbf noteServerCode): nothing to do here.
// bytesEqual(a, b): whether two byte arrays hold the same bytes.
export const bytesEqual = (a, b) => Buffer.compare(bytes(a, "bytesEqual"), bytes(b, "bytesEqual")) === 0;

export function noteServerCode(id) {}

export function readDocument(id) {
  if (typeof id !== "string") throw new TypeError("readDocument: id must be a string");
  __stats.reads++;
  if (__docs.has(id)) return __docs.get(id);
  if (root === null || id.split("/").includes("..")) return null;
  const file = join(root, id);
  try {
    if (!statSync(file).isFile()) return null;
  } catch {
    return null;
  }
  return u8(readFileSync(file));
}

export function utf8Encode(s) {
  if (typeof s !== "string") throw new TypeError("utf8Encode: expected a string");
  if (!s.isWellFormed()) throw new TypeError("utf8Encode: string has lone surrogates");
  return u8(Buffer.from(s, "utf8"));
}
export const utf8Decode = (b, fatal) => new TextDecoder("utf-8", { fatal: !!fatal, ignoreBOM: true }).decode(bytes(b, "utf8Decode"));
export const sha256 = (b) => u8(createHash("sha256").update(bytes(b, "sha256")).digest());
export const randomBytes = (n) => u8(nodeRandomBytes(n));
export const now = () => Date.now();
// Good enough as the monotonic clock here (process.hrtime, performance.now are not tested).
export const monotonicNow = now;
export function log(level, message) {
  __logs.push([level, String(message)]);
}

// The real loadBuiltin(id) evaluates a built-in synchronously on first use
// (the lazy Buffer/process/timer globals, require() of core modules). Neither
// Node's ESM nor qjs can import synchronously, so the runner imports every
// hbf:node_* module into this registry (id -> namespace) before tests run.
export function loadBuiltin(id) {
  const ns = globalThis[Symbol.for("hbf.test.builtins")]?.[id];
  if (ns === undefined) throw new Error(`loadBuiltin: ${id} is not in the test registry (the runner must import it first)`);
  return ns;
}

// etag(body, weak): res.send's entity tag, as the real native computes it.
export function etag(body, weak) {
  const b = typeof body === "string" ? Buffer.from(body, "utf8") : Buffer.from(bytes(body, "etag"));
  const hash = b.length === 0 ? "2jmj7l5rSw0yVb/vlWAYkK/YBwk" : createHash("sha1").update(b).digest("base64").slice(0, 27);
  return (weak === false ? "" : "W/") + '"' + b.length.toString(16) + "-" + hash + '"';
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
