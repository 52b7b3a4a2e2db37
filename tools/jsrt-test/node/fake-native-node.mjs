// "hbf:native" for the Node run, built on node:crypto and Buffer. It is stricter
// than it needs to be where that catches bugs in the JS layer (e.g. it refuses
// strings with lone surrogates, which the real native side would mangle).
import { createHash, createHmac, randomBytes as nodeRandomBytes } from "node:crypto";
import { db, log as fakeLog, clock, __fake, loadBuiltin } from "../portable/fake-state.mjs";

export { __fake, loadBuiltin };

const bytes = (v, what) => {
  if (v instanceof Uint8Array) return v;
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  throw new TypeError(`${what}: expected a Uint8Array`);
};
const u8 = (buf) => new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength).slice();

// bytesEqual(a, b): whether two byte arrays hold the same bytes.
export const bytesEqual = (a, b) => Buffer.compare(bytes(a, "bytesEqual"), bytes(b, "bytesEqual")) === 0;

export const dbQuery = (sql, params) => db.call("query", sql, params);
export const dbGet = (sql, params) => db.call("get", sql, params);
export const dbExecute = (sql, params) => db.call("execute", sql, params);
export const dbExec = (sql) => db.exec(sql);
export const dbInTransaction = () => db.inTx;
export const log = fakeLog;

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

export function randomBytes(n) {
  if (!Number.isInteger(n) || n < 0 || n > 65536) throw new RangeError("randomBytes: 0 <= n <= 65536");
  return u8(nodeRandomBytes(n));
}

export const base64Encode = (b, urlsafe) => Buffer.from(bytes(b, "base64Encode")).toString(urlsafe ? "base64url" : "base64");

const STD_B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const URL_B64 = /^(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-]{2}(?:==)?|[A-Za-z0-9_-]{3}=?)?$/;
export function base64Decode(s, urlsafe) {
  if (typeof s !== "string") throw new TypeError("base64Decode: expected a string");
  if (!(urlsafe ? URL_B64 : STD_B64).test(s)) throw new TypeError("base64Decode: invalid base64");
  return u8(Buffer.from(s, urlsafe ? "base64url" : "base64"));
}

export const now = () => clock ?? Date.now();
// The fake time never goes back, so it serves as the monotonic clock too.
export const monotonicNow = now;

// Documents, for the tests that serve files (express.static, res.sendFile):
// __fake.docs maps a document id to { bytes: Uint8Array, modified_at (s), content_type }.
__fake.docs = new Map();
export function documentInfo(id) {
  const d = __fake.docs.get(id);
  return d === undefined ? null : { size: d.bytes.length, modified_at: d.modified_at, content_type: d.content_type };
}
export const readDocument = (id) => __fake.docs.get(id)?.bytes.slice() ?? null;
export const listDocuments = (prefix) => [...__fake.docs.keys()].filter((id) => id.startsWith(prefix)).sort();
export function noteServerCode() {}

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
export { escapeHtml, headerValueOk, documentsEpoch } from "../portable/fake-native-pure.mjs";

// What the built-ins import: hbf:native's default export, every function above
// as one object (src/js/natives.cpp).
import * as self from "hbf:native"; // (itself, under the name the built-ins use)
export default self;
