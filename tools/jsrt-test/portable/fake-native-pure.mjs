// "hbf:native" in plain JavaScript, for the QuickJS run (qjs has no crypto).
import { db, log as fakeLog, clock, __fake, loadBuiltin } from "./fake-state.mjs";

export { __fake, loadBuiltin };

const bytes = (v, what) => {
  if (v instanceof Uint8Array) return v;
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  throw new TypeError(`${what}: expected a Uint8Array`);
};

// bytesEqual(a, b): whether two byte arrays hold the same bytes.
export function bytesEqual(x, y) {
  const a = bytes(x, "bytesEqual");
  const b = bytes(y, "bytesEqual");
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export const dbQuery = (sql, params) => db.call("query", sql, params);
export const dbGet = (sql, params) => db.call("get", sql, params);
export const dbExecute = (sql, params) => db.call("execute", sql, params);
export const dbExec = (sql) => db.exec(sql);
export const dbInTransaction = () => db.inTx;
export const log = fakeLog;

export function utf8Encode(s) {
  if (typeof s !== "string") throw new TypeError("utf8Encode: expected a string");
  if (!s.isWellFormed()) throw new TypeError("utf8Encode: string has lone surrogates (the JS layer must fix them first)");
  const out = [];
  for (const ch of s) {
    const c = ch.codePointAt(0);
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return new Uint8Array(out);
}

// WHATWG UTF-8 decoder (maximal-subpart replacement), no BOM handling.
export function utf8Decode(input, fatal) {
  const b = bytes(input, "utf8Decode");
  let out = "";
  let cp = 0, needed = 0, seen = 0, lower = 0x80, upper = 0xbf;
  const fail = () => {
    if (fatal) throw new TypeError("The encoded data was not valid for encoding utf-8");
    out += "\ufffd";
  };
  for (let i = 0; i <= b.length; i++) {
    if (i === b.length) {
      if (needed !== 0) fail();
      break;
    }
    const x = b[i];
    if (needed === 0) {
      if (x <= 0x7f) out += String.fromCharCode(x);
      else if (x >= 0xc2 && x <= 0xdf) { needed = 1; cp = x & 0x1f; }
      else if (x >= 0xe0 && x <= 0xef) { if (x === 0xe0) lower = 0xa0; if (x === 0xed) upper = 0x9f; needed = 2; cp = x & 0xf; }
      else if (x >= 0xf0 && x <= 0xf4) { if (x === 0xf0) lower = 0x90; if (x === 0xf4) upper = 0x8f; needed = 3; cp = x & 7; }
      else fail();
      continue;
    }
    if (x < lower || x > upper) {
      cp = needed = seen = 0; lower = 0x80; upper = 0xbf;
      fail();
      i--;
      continue;
    }
    lower = 0x80; upper = 0xbf;
    cp = (cp << 6) | (x & 0x3f);
    if (++seen === needed) {
      out += String.fromCodePoint(cp);
      cp = needed = seen = 0;
    }
  }
  return out;
}

// SHA-256 (FIPS 180-4)
const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01,
  0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
  0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
  0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08,
  0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2]);

export function sha256(input) {
  const msg = bytes(input, "sha256");
  const l = msg.length;
  const padded = new Uint8Array(((l + 9 + 63) >> 6) << 6);
  padded.set(msg);
  padded[l] = 0x80;
  const dv = new DataView(padded.buffer);
  dv.setUint32(padded.length - 4, (l * 8) >>> 0);
  dv.setUint32(padded.length - 8, Math.floor((l * 8) / 2 ** 32));
  const H = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
  const W = new Uint32Array(64);
  const rotr = (x, n) => (x >>> n) | (x << (32 - n));
  for (let off = 0; off < padded.length; off += 64) {
    for (let t = 0; t < 16; t++) W[t] = dv.getUint32(off + 4 * t);
    for (let t = 16; t < 64; t++) {
      const s0 = rotr(W[t - 15], 7) ^ rotr(W[t - 15], 18) ^ (W[t - 15] >>> 3);
      const s1 = rotr(W[t - 2], 17) ^ rotr(W[t - 2], 19) ^ (W[t - 2] >>> 10);
      W[t] = (W[t - 16] + s0 + W[t - 7] + s1) >>> 0;
    }
    let [a, b, c, d, e, f, g, h] = H;
    for (let t = 0; t < 64; t++) {
      const S1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
      const ch = (e & f) ^ (~e & g);
      const t1 = (h + S1 + ch + K[t] + W[t]) >>> 0;
      const S0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
      const maj = (a & b) ^ (a & c) ^ (b & c);
      const t2 = (S0 + maj) >>> 0;
      h = g; g = f; f = e; e = (d + t1) >>> 0; d = c; c = b; b = a; a = (t1 + t2) >>> 0;
    }
    H[0] += a; H[1] += b; H[2] += c; H[3] += d; H[4] += e; H[5] += f; H[6] += g; H[7] += h;
  }
  const out = new Uint8Array(32);
  const odv = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) odv.setUint32(4 * i, H[i]);
  return out;
}

export function hmacSha256(keyIn, dataIn) {
  let key = bytes(keyIn, "hmac key");
  const data = bytes(dataIn, "hmac data");
  if (key.length > 64) key = sha256(key);
  const k = new Uint8Array(64);
  k.set(key);
  const inner = new Uint8Array(64 + data.length);
  const outer = new Uint8Array(64 + 32);
  for (let i = 0; i < 64; i++) {
    inner[i] = k[i] ^ 0x36;
    outer[i] = k[i] ^ 0x5c;
  }
  inner.set(data, 64);
  outer.set(sha256(inner), 64);
  return sha256(outer);
}

let seed = 0x12345678;
export function randomBytes(n) {
  if (!Number.isInteger(n) || n < 0 || n > 65536) throw new RangeError("randomBytes: 0 <= n <= 65536");
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
    out[i] = (seed ^ (Math.random() * 256)) & 0xff;
  }
  return out;
}

const STD = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URLSAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

export function base64Encode(input, urlsafe) {
  const b = bytes(input, "base64Encode");
  const A = urlsafe ? URLSAFE : STD;
  let out = "";
  let i = 0;
  for (; i + 2 < b.length; i += 3) {
    const n = (b[i] << 16) | (b[i + 1] << 8) | b[i + 2];
    out += A[n >> 18] + A[(n >> 12) & 63] + A[(n >> 6) & 63] + A[n & 63];
  }
  if (i < b.length) {
    const n = (b[i] << 16) | ((b[i + 1] ?? 0) << 8);
    out += A[n >> 18] + A[(n >> 12) & 63];
    if (i + 1 < b.length) out += A[(n >> 6) & 63] + (urlsafe ? "" : "=");
    else out += urlsafe ? "" : "==";
  }
  return out;
}

const STD_B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const URL_B64 = /^(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-]{2}(?:==)?|[A-Za-z0-9_-]{3}=?)?$/;
export function base64Decode(s, urlsafe) {
  if (typeof s !== "string") throw new TypeError("base64Decode: expected a string");
  if (!(urlsafe ? URL_B64 : STD_B64).test(s)) throw new TypeError("base64Decode: invalid base64");
  const A = urlsafe ? URLSAFE : STD;
  const clean = s.replace(/=+$/, "");
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let bits = 0, acc = 0, j = 0;
  for (const ch of clean) {
    acc = (acc << 6) | A.indexOf(ch);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[j++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}

export const now = () => clock ?? Date.now();
// The fake time never goes back, so it serves as the monotonic clock too.
export const monotonicNow = now;

// SHA-1, for res.send's ETag (etag below).
function sha1(msg) {
  const l = msg.length;
  const padded = new Uint8Array(((l + 9 + 63) >> 6) << 6);
  padded.set(msg);
  padded[l] = 0x80;
  const dv = new DataView(padded.buffer);
  dv.setUint32(padded.length - 4, (l * 8) >>> 0);
  dv.setUint32(padded.length - 8, Math.floor((l * 8) / 2 ** 32));
  const H = new Uint32Array([0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0]);
  const W = new Uint32Array(80);
  const rotl = (x, n) => (x << n) | (x >>> (32 - n));
  for (let off = 0; off < padded.length; off += 64) {
    for (let t = 0; t < 16; t++) W[t] = dv.getUint32(off + 4 * t);
    for (let t = 16; t < 80; t++) W[t] = rotl(W[t - 3] ^ W[t - 8] ^ W[t - 14] ^ W[t - 16], 1);
    let [a, b, c, d, e] = H;
    for (let t = 0; t < 80; t++) {
      const f = t < 20 ? (b & c) | (~b & d) : t < 40 ? b ^ c ^ d : t < 60 ? (b & c) | (b & d) | (c & d) : b ^ c ^ d;
      const k = t < 20 ? 0x5a827999 : t < 40 ? 0x6ed9eba1 : t < 60 ? 0x8f1bbcdc : 0xca62c1d6;
      const tmp = (rotl(a, 5) + f + e + k + W[t]) >>> 0;
      e = d;
      d = c;
      c = rotl(b, 30) >>> 0;
      b = a;
      a = tmp;
    }
    H[0] += a; H[1] += b; H[2] += c; H[3] += d; H[4] += e;
  }
  const out = new Uint8Array(20);
  const odv = new DataView(out.buffer);
  for (let i = 0; i < 5; i++) odv.setUint32(4 * i, H[i]);
  return out;
}

// etag(body, weak): res.send's entity tag, as the real native computes it.
export function etag(body, weak) {
  const b = typeof body === "string" ? utf8Encode(body) : bytes(body, "etag");
  const hash = b.length === 0 ? "2jmj7l5rSw0yVb/vlWAYkK/YBwk" : base64Encode(sha1(b), false).slice(0, 27);
  return (weak === false ? "" : "W/") + '"' + b.length.toString(16) + "-" + hash + '"';
}

// Streamed responses (src/js/natives.cpp streamWanted/streamWrite/streamEnd,
// tested on hbf itself): never here, so res.write() buffers until end().
export const streamWanted = () => false;
export const streamWrite = () => false;
export const streamEnd = () => {};
// Route reach (natives.cpp routesChanged): nothing here relies on it.
export const routesChanged = () => {};

// escapeHtml(s), as src/js/natives.cpp: s escaped (& < > " '), s itself when
// there is nothing to escape, undefined when s also has characters past ASCII.
export function escapeHtml(s) {
  if (typeof s !== "string") throw new TypeError("escapeHtml expects a string");
  if (!/[&<>"']/.test(s)) return s;
  if (/[^\x00-\x7f]/.test(s)) return undefined;
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;" })[c]);
}

// headerValueOk(s), as src/js/natives.cpp: only tab, 0x20-0x7e, 0x80-0xff.
export function headerValueOk(s) {
  if (typeof s !== "string") throw new TypeError("headerValueOk expects a string");
  return !/[^\t\x20-\x7e\x80-\xff]/.test(s);
}

// documentsEpoch(), as src/js/natives.cpp in a worker bound to no henv:
// nothing read is kept across renders.
export const documentsEpoch = () => -1;

// What the built-ins import: hbf:native's default export, every function above
// as one object (src/js/natives.cpp).
import * as self from "hbf:native"; // (itself, under the name the built-ins use)
export default self;
