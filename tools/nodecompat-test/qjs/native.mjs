// A pure-JS "hbf:native" for the QuickJS run: tools/jsrt-test's portable
// fake (UTF-8, SHA-256, HMAC, base64, randomness, log, loadBuiltin) plus documents,
// config, host info, compileFunction (new Function) and fake timers with the
// same __fake API as ../fake-native.mjs.
import * as pure from "./jsrt-pure.mjs";
import { createFakeClock } from "./fake-clock.mjs";  // copied beside it by ../qjs.mjs
import { md5, sha1, sha384, sha512 } from "./hashes.mjs";  // copied beside it by ../qjs.mjs

export const { utf8Encode, utf8Decode, bytesEqual, sha256, hmacSha256, randomBytes, base64Encode, base64Decode, dbQuery, dbGet, dbExecute,
  dbExec, dbInTransaction, loadBuiltin, escapeHtml, headerValueOk, documentsEpoch } = pure;

const docs = new Map();
const logs = [];
let configRows = {};
const clock = createFakeClock(1700000000000, logs); // the fake clock: it moves only when a timer fires
const timers = clock.timers;

const encode = (s) => pure.utf8Encode(s.isWellFormed() ? s : s.toWellFormed());

function compareUtf8(a, b) {
  const x = encode(a);
  const y = encode(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

export const __fake = {
  docs,
  logs,
  timers,
  put(id, content, modifiedAt = 1700000000) {
    const bytes = typeof content === "string" ? encode(content) : Uint8Array.from(content);
    docs.set(id, { bytes, modified_at: modifiedAt, content_type: "application/octet-stream" });
  },
  remove(id) {
    docs.delete(id);
  },
  setConfig(c) {
    configRows = { ...c };
  },
  now: clock.now,
  fireNext: clock.fireNext,

};

// Streaming hashers (Nettle's in hbf): the fake keeps the chunks and hashes
// them at digest(); HMAC per RFC 2104 over the pure digests.
const DIGEST = { md5: [md5, 64], sha1: [sha1, 64], sha256: [pure.sha256, 64], sha384: [sha384, 128], sha512: [sha512, 128] };

function concat(chunks) {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let pos = 0;
  for (const c of chunks) {
    out.set(c, pos);
    pos += c.length;
  }
  return out;
}

function hmac(name, key, data) {
  const [fn, block] = DIGEST[name];
  let k = key.length > block ? fn(key) : key;
  const padded = new Uint8Array(block);
  padded.set(k);
  const ipad = padded.map((b) => b ^ 0x36);
  const opad = padded.map((b) => b ^ 0x5c);
  return fn(concat([opad, fn(concat([ipad, data]))]));
}

export function hashCreate(name, key) {
  if (!(name in DIGEST)) return null;
  return { name, key: key === undefined ? undefined : Uint8Array.from(key), chunks: [] };
}
export function hashUpdate(handle, data) {
  handle.chunks.push(Uint8Array.from(data));
}
export function hashDigest(handle) {
  const data = concat(handle.chunks);
  handle.chunks = [];
  return handle.key === undefined ? DIGEST[handle.name][0](data) : hmac(handle.name, handle.key, data);
}
export function pbkdf2Rounds(handle, u, t, rounds) {
  for (let r = 0; r < rounds; r++) {
    hashUpdate(handle, u);
    u.set(hashDigest(handle));
    for (let k = 0; k < t.length; k++) t[k] ^= u[k];
  }
}
export function hashCopy(handle) {
  return { name: handle.name, key: handle.key, chunks: handle.chunks.slice() };
}

// Pure JavaScript cannot detach a buffer; the Node run checks that part.
export function detachArrayBuffer(buffer) {}

export function log(level, message) {
  logs.push([level, message]);
}

export const now = clock.now;
export const monotonicNow = clock.now;

// The henv's server code uses this document (hbf noteServerCode): nothing to do here.
export function noteServerCode(id) {}

export function readDocument(id) {
  const d = docs.get(id);
  return d ? d.bytes.slice() : null;
}

export function documentInfo(id) {
  const d = docs.get(id);
  return d ? { size: d.bytes.length, modified_at: d.modified_at, content_type: d.content_type } : null;
}

export function listDocuments(prefix) {
  prefix = typeof prefix === "string" ? prefix : "";
  const out = [];
  for (const id of docs.keys()) if (id.startsWith(prefix)) out.push(id);
  return out.sort(compareUtf8);
}

export function compileFunction(source, filename, params) {
  // eslint-disable-next-line no-new-func
  return new Function(...(params ?? []), source);
}

export const { setTimer, clearTimer } = clock;

export const config = () => ({ ...configRows });
export const hostInfo = () => ({ version: "0.0.0-test", platform: "linux", arch: "x64" });

// What the built-ins import: hbf:native's default export, every function above
// as one object (src/js/natives.cpp).
import * as self from "hbf:native"; // (itself, under the name the built-ins use)
export default self;
