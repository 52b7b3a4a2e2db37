// "hbf:native" in plain JavaScript for the QuickJS run (qjs has no crypto and
// no file access here): documents live in __docs (id -> Uint8Array), which
// the entry script fills from the corpus.
export const __docs = new Map();
export const __logs = [];
export const __stats = { reads: 0 };
export function __setRoot() {}

const bytes = (v, what) => {
  if (v instanceof Uint8Array) return v;
  throw new TypeError(`${what}: expected a Uint8Array`);
};

export function readDocument(id) {
  if (typeof id !== "string") throw new TypeError("readDocument: id must be a string");
  __stats.reads++;
  return __docs.has(id) ? __docs.get(id) : null;
}

export function utf8Encode(s) {
  if (typeof s !== "string") throw new TypeError("utf8Encode: expected a string");
  if (!s.isWellFormed()) throw new TypeError("utf8Encode: string has lone surrogates");
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

// UTF-8 decoder with U+FFFD for invalid sequences (maximal subparts), no BOM handling.
export function utf8Decode(input, fatal) {
  const b = bytes(input, "utf8Decode");
  let out = "";
  for (let i = 0; i < b.length; ) {
    const x = b[i];
    let need = 0, cp = 0, lo = 0x80, hi = 0xbf;
    if (x < 0x80) { out += String.fromCharCode(x); i++; continue; }
    if (x >= 0xc2 && x <= 0xdf) { need = 1; cp = x & 0x1f; }
    else if (x >= 0xe0 && x <= 0xef) { need = 2; cp = x & 0xf; if (x === 0xe0) lo = 0xa0; if (x === 0xed) hi = 0x9f; }
    else if (x >= 0xf0 && x <= 0xf4) { need = 3; cp = x & 7; if (x === 0xf0) lo = 0x90; if (x === 0xf4) hi = 0x8f; }
    else {
      if (fatal) throw new TypeError("invalid UTF-8");
      out += "\ufffd"; i++; continue;
    }
    let j = i + 1;
    let ok = true;
    for (let k = 0; k < need; k++, j++) {
      const y = b[j];
      if (j >= b.length || y < lo || y > hi) { ok = false; break; }
      cp = (cp << 6) | (y & 63);
      lo = 0x80; hi = 0xbf;
    }
    if (!ok) {
      if (fatal) throw new TypeError("invalid UTF-8");
      out += "\ufffd"; i = j; continue;
    }
    out += String.fromCodePoint(cp);
    i = j;
  }
  return out;
}

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

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
      const t1 = (h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[t] + W[t]) >>> 0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) >>> 0;
      h = g; g = f; f = e; e = (d + t1) >>> 0; d = c; c = b; b = a; a = (t1 + t2) >>> 0;
    }
    H[0] += a; H[1] += b; H[2] += c; H[3] += d; H[4] += e; H[5] += f; H[6] += g; H[7] += h;
  }
  const out = new Uint8Array(32);
  const odv = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) odv.setUint32(4 * i, H[i]);
  return out;
}

let seed = 0x2545f491;
export function randomBytes(n) {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
    out[i] = seed & 0xff;
  }
  return out;
}
export const now = () => Date.now();
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
