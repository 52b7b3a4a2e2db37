// hbf:node_crypto — the part of Node's `crypto` module hbf can back with its
// native primitives: randomBytes/randomFill/randomInt/randomUUID/
// getRandomValues, createHash("sha256"), createHmac("sha256", key),
// pbkdf2/hkdf with sha256, timingSafeEqual, and a minimal `webcrypto`
// (getRandomValues, randomUUID, subtle.digest("SHA-256"), HMAC SHA-256
// importKey/sign/verify). Any other algorithm, cipher or key type throws an
// Error with code ERR_HBF_UNSUPPORTED naming what is missing.

import * as native from "hbf:native";
import { Buffer } from "hbf:node_buffer";
import { nodeError, invalidArgType, outOfRange, validateFunction, validateNumber, validateString } from "hbf:node_errors";
import { nextTick } from "hbf:node_process";

function unsupported(what) {
  return nodeError(Error, "ERR_HBF_UNSUPPORTED", `${what} is not supported in hbf (available: sha256, HMAC-SHA256, random values)`);
}

const EMPTY = new Uint8Array(0);

function viewBytes(v) {
  if (v instanceof Uint8Array) return v;
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  return null;
}

function dataBytes(data, encoding, name = "data") {
  if (typeof data === "string") return Buffer.from(data, encoding);
  const b = ArrayBuffer.isView(data) ? viewBytes(data) : null;
  if (b === null) throw invalidArgType(name, "of type string or an instance of Buffer, TypedArray, or DataView", data);
  return b;
}

function concatChunks(chunks, total) {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total);
  let pos = 0;
  for (const c of chunks) {
    out.set(c, pos);
    pos += c.length;
  }
  return out;
}

function isSha256(algorithm) {
  const a = String(algorithm).toLowerCase();
  return a === "sha256" || a === "sha-256" || a === "rsa-sha256" || a === "sha256withrsaencryption";
}

function output(bytes, encoding) {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (encoding === undefined || encoding === "buffer") return buf;
  return buf.toString(encoding);
}

function finalized() {
  return nodeError(Error, "ERR_CRYPTO_HASH_FINALIZED", "Digest already called");
}

// ---------------------------------------------------------------------------
// Hash / Hmac

export class Hash {
  constructor(algorithm, options) {
    validateString(algorithm, "algorithm");
    if (!isSha256(algorithm)) throw unsupported(`Digest algorithm '${algorithm}'`);
    if (options?.outputLength !== undefined && options.outputLength !== 32) throw unsupported("Hash outputLength");
    this._chunks = [];
    this._length = 0;
    this._done = false;
  }

  update(data, encoding) {
    if (this._done) throw finalized();
    const bytes = dataBytes(data, encoding);
    if (bytes.length) {
      this._chunks.push(bytes.slice());
      this._length += bytes.length;
    }
    return this;
  }

  digest(encoding) {
    if (this._done) throw finalized();
    this._done = true;
    const digest = native.sha256(this._length === 0 ? EMPTY : concatChunks(this._chunks, this._length));
    this._chunks = [];
    return output(digest, encoding);
  }

  copy() {
    if (this._done) throw finalized();
    const h = new Hash("sha256");
    h._chunks = this._chunks.slice();
    h._length = this._length;
    return h;
  }
}

function keyBytes(key) {
  if (typeof key === "string") return Buffer.from(key, "utf8");
  if (key instanceof KeyObject) return key._bytes;
  const b = viewBytes(key);
  if (b === null) {
    throw invalidArgType("key", "of type string or an instance of ArrayBuffer, Buffer, TypedArray, DataView, KeyObject, or CryptoKey", key);
  }
  return b;
}

export class Hmac {
  constructor(hmac, key, options) {
    validateString(hmac, "hmac");
    if (!isSha256(hmac)) throw unsupported(`HMAC digest '${hmac}'`);
    this._key = keyBytes(key).slice();
    this._chunks = [];
    this._length = 0;
    this._done = false;
  }

  update(data, encoding) {
    if (this._done) throw finalized();
    const bytes = dataBytes(data, encoding);
    if (bytes.length) {
      this._chunks.push(bytes.slice());
      this._length += bytes.length;
    }
    return this;
  }

  digest(encoding) {
    if (this._done) return output(EMPTY, encoding);
    this._done = true;
    const mac = native.hmacSha256(this._key, this._length === 0 ? EMPTY : concatChunks(this._chunks, this._length));
    this._chunks = [];
    return output(mac, encoding);
  }
}

export function createHash(algorithm, options) {
  return new Hash(algorithm, options);
}

export function createHmac(hmac, key, options) {
  return new Hmac(hmac, key, options);
}

/** crypto.hash(algorithm, data, outputEncoding = "hex") (Node 21.7+/20.12+). */
export function hash(algorithm, data, outputEncoding = "hex") {
  return createHash(algorithm).update(data).digest(outputEncoding);
}

export class KeyObject {
  constructor(type, bytes) {
    this.type = type;
    this._bytes = bytes;
  }

  get symmetricKeySize() {
    return this._bytes.length;
  }

  export() {
    return Buffer.from(this._bytes);
  }

  equals(other) {
    return other instanceof KeyObject && timingSafeEqual(this._bytes, other._bytes);
  }
}

export function createSecretKey(key, encoding) {
  const bytes = typeof key === "string" ? Buffer.from(key, encoding) : keyBytes(key);
  return new KeyObject("secret", Uint8Array.from(bytes));
}

// ---------------------------------------------------------------------------
// Randomness

const MAX_RANDOM = 2 ** 31 - 1;

function fillRandom(bytes) {
  for (let off = 0; off < bytes.length; off += 65536) {
    const n = Math.min(65536, bytes.length - off);
    bytes.set(native.randomBytes(n), off);
  }
  return bytes;
}

export function randomBytes(size, callback) {
  validateNumber(size, "size", 0, MAX_RANDOM);
  if (callback !== undefined) validateFunction(callback, "callback");
  const buf = Buffer.alloc(size);
  fillRandom(buf);
  if (callback === undefined) return buf;
  nextTick(callback, null, buf);
  return undefined;
}
export const pseudoRandomBytes = randomBytes;
export const prng = randomBytes;
export const rng = randomBytes;

function randomFillArgs(buf, offset, size) {
  const bytes = buf instanceof ArrayBuffer ? new Uint8Array(buf) : ArrayBuffer.isView(buf) ? viewBytes(buf) : null;
  if (bytes === null) throw invalidArgType("buf", "an instance of ArrayBuffer or ArrayBufferView", buf);
  const elementSize = buf.BYTES_PER_ELEMENT || 1;
  if (offset === undefined) offset = 0;
  validateNumber(offset, "offset", 0, bytes.length / elementSize);
  offset *= elementSize;
  if (size === undefined) size = bytes.length - offset;
  else {
    validateNumber(size, "size", 0, (bytes.length - offset) / elementSize);
    size *= elementSize;
  }
  return [bytes, offset, size];
}

export function randomFillSync(buf, offset = 0, size) {
  const [bytes, off, n] = randomFillArgs(buf, offset, size);
  fillRandom(bytes.subarray(off, off + n));
  return buf;
}

export function randomFill(buf, offset, size, callback) {
  if (typeof offset === "function") {
    callback = offset;
    offset = undefined;
    size = undefined;
  } else if (typeof size === "function") {
    callback = size;
    size = undefined;
  }
  validateFunction(callback, "callback");
  randomFillSync(buf, offset, size);
  nextTick(callback, null, buf);
}

export function randomInt(min, max, callback) {
  const minNotSpecified = typeof max === "undefined" || typeof max === "function";
  if (minNotSpecified) {
    callback = max;
    max = min;
    min = 0;
  }
  const isSync = typeof callback === "undefined";
  if (!isSync) validateFunction(callback, "callback");
  if (!Number.isSafeInteger(min)) throw invalidArgType("min", "a safe integer", min);
  if (!Number.isSafeInteger(max)) throw invalidArgType("max", "a safe integer", max);
  if (max <= min) {
    throw outOfRange("max", `greater than the value of "min" (${min})`, max);
  }
  const range = max - min;
  if (!(range <= 2 ** 48 - 1)) throw outOfRange("max - min", `<= ${2 ** 48 - 1}`, range);
  const randLimit = 2 ** 48 - (2 ** 48 % range);
  let n;
  for (;;) {
    const b = native.randomBytes(6);
    const x = ((b[0] * 256 + b[1]) * 256 + b[2]) * 2 ** 24 + ((b[3] * 256 + b[4]) * 256 + b[5]);
    if (x < randLimit) {
      n = min + (x % range);
      break;
    }
  }
  if (isSync) return n;
  nextTick(callback, null, n);
  return undefined;
}

const HEX = Array.from({ length: 256 }, (_, i) => (i < 16 ? "0" : "") + i.toString(16));

export function randomUUID(options) {
  if (options !== undefined && (options === null || typeof options !== "object")) {
    throw invalidArgType("options", "of type object", options);
  }
  const b = native.randomBytes(16);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  let s = "";
  for (let i = 0; i < 16; i++) {
    s += HEX[b[i]];
    if (i === 3 || i === 5 || i === 7 || i === 9) s += "-";
  }
  return s;
}

function domException(message, name) {
  const D = globalThis.DOMException;
  if (typeof D === "function") return new D(message, name);
  const err = new Error(message);
  err.name = name;
  return err;
}

const INTEGER_ARRAYS = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
  BigInt64Array, BigUint64Array];

export function getRandomValues(array) {
  if (!ArrayBuffer.isView(array) || array instanceof DataView || !INTEGER_ARRAYS.some((T) => array instanceof T)) {
    throw domException("The data argument must be an integer-type TypedArray", "TypeMismatchError");
  }
  if (array.byteLength > 65536) {
    throw domException(`The ArrayBufferView's byte length (${array.byteLength}) exceeds the number of bytes of entropy available via this API (65536)`,
      "QuotaExceededError");
  }
  new Uint8Array(array.buffer, array.byteOffset, array.byteLength).set(native.randomBytes(array.byteLength));
  return array;
}

// ---------------------------------------------------------------------------
// Comparison and key derivation

export function timingSafeEqual(buf1, buf2) {
  const a = viewBytes(buf1);
  const b = viewBytes(buf2);
  if (a === null) throw invalidArgType("buf1", "an instance of ArrayBuffer, Buffer, TypedArray, or DataView", buf1);
  if (b === null) throw invalidArgType("buf2", "an instance of ArrayBuffer, Buffer, TypedArray, or DataView", buf2);
  if (a.byteLength !== b.byteLength) {
    throw nodeError(RangeError, "ERR_CRYPTO_TIMING_SAFE_EQUAL_LENGTH", "Input buffers must have the same byte length");
  }
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

function passwordBytes(v, name) {
  if (typeof v === "string") return Buffer.from(v, "utf8");
  const b = v instanceof KeyObject ? v._bytes : viewBytes(v);
  if (b === null) throw invalidArgType(name, "of type string or an instance of ArrayBuffer, Buffer, TypedArray, or DataView", v);
  return b;
}

export function pbkdf2Sync(password, salt, iterations, keylen, digest) {
  const pw = passwordBytes(password, "password");
  const s = passwordBytes(salt, "salt");
  validateNumber(iterations, "iterations", 1, MAX_RANDOM);
  validateNumber(keylen, "keylen", 0, MAX_RANDOM);
  validateString(digest, "digest");
  if (!isSha256(digest)) throw unsupported(`pbkdf2 digest '${digest}'`);
  const out = Buffer.alloc(keylen);
  const blocks = Math.ceil(keylen / 32);
  const block = new Uint8Array(s.length + 4);
  block.set(s, 0);
  for (let i = 1; i <= blocks; i++) {
    block[s.length] = (i >>> 24) & 255;
    block[s.length + 1] = (i >>> 16) & 255;
    block[s.length + 2] = (i >>> 8) & 255;
    block[s.length + 3] = i & 255;
    let u = native.hmacSha256(pw, block);
    const t = Uint8Array.from(u);
    for (let j = 1; j < iterations; j++) {
      u = native.hmacSha256(pw, u);
      for (let k = 0; k < 32; k++) t[k] ^= u[k];
    }
    out.set(t.subarray(0, Math.min(32, keylen - (i - 1) * 32)), (i - 1) * 32);
  }
  return out;
}

export function pbkdf2(password, salt, iterations, keylen, digest, callback) {
  validateFunction(callback, "callback");
  let result;
  try {
    result = pbkdf2Sync(password, salt, iterations, keylen, digest);
  } catch (err) {
    nextTick(callback, err);
    return;
  }
  nextTick(callback, null, result);
}

export function hkdfSync(digest, ikm, salt, info, keylen) {
  validateString(digest, "digest");
  if (!isSha256(digest)) throw unsupported(`hkdf digest '${digest}'`);
  const key = passwordBytes(ikm, "ikm");
  const s = passwordBytes(salt, "salt");
  const inf = passwordBytes(info, "info");
  validateNumber(keylen, "length", 0, 255 * 32);
  const prk = native.hmacSha256(s.length ? s : new Uint8Array(32), key);
  const out = new Uint8Array(keylen);
  let prev = EMPTY;
  for (let i = 0, pos = 0; pos < keylen; i++) {
    const input = new Uint8Array(prev.length + inf.length + 1);
    input.set(prev, 0);
    input.set(inf, prev.length);
    input[input.length - 1] = i + 1;
    prev = native.hmacSha256(prk, input);
    out.set(prev.subarray(0, Math.min(32, keylen - pos)), pos);
    pos += 32;
  }
  return out.buffer;
}

export function hkdf(digest, ikm, salt, info, keylen, callback) {
  validateFunction(callback, "callback");
  let result;
  try {
    result = hkdfSync(digest, ikm, salt, info, keylen);
  } catch (err) {
    nextTick(callback, err);
    return;
  }
  nextTick(callback, null, result);
}

export function getHashes() {
  return ["RSA-SHA256", "sha256"];
}

export function getCiphers() {
  return [];
}

export function getCurves() {
  return [];
}

const notAvailable = (name) => function () {
  throw unsupported(`crypto.${name}()`);
};

export const createCipheriv = notAvailable("createCipheriv");
export const createDecipheriv = notAvailable("createDecipheriv");
export const createSign = notAvailable("createSign");
export const createVerify = notAvailable("createVerify");
export const createPublicKey = notAvailable("createPublicKey");
export const createPrivateKey = notAvailable("createPrivateKey");
export const generateKeyPair = notAvailable("generateKeyPair");
export const generateKeyPairSync = notAvailable("generateKeyPairSync");
export const createDiffieHellman = notAvailable("createDiffieHellman");
export const createECDH = notAvailable("createECDH");
export const scrypt = notAvailable("scrypt");
export const scryptSync = notAvailable("scryptSync");
export const sign = notAvailable("sign");
export const verify = notAvailable("verify");
export const publicEncrypt = notAvailable("publicEncrypt");
export const privateDecrypt = notAvailable("privateDecrypt");

// ---------------------------------------------------------------------------
// webcrypto (minimal)

function algorithmName(algorithm) {
  const name = typeof algorithm === "string" ? algorithm : algorithm?.name;
  return typeof name === "string" ? name.toUpperCase() : "";
}

function bufferSourceBytes(data) {
  const b = viewBytes(data);
  if (b === null) throw new TypeError("Failed to execute: parameter is not of type 'BufferSource'");
  return b;
}

class CryptoKey {
  constructor(algorithm, extractable, usages, bytes) {
    this.type = "secret";
    this.algorithm = algorithm;
    this.extractable = extractable;
    this.usages = usages;
    Object.defineProperty(this, "_bytes", { value: bytes, enumerable: false });
  }
}

function notSupportedError(what) {
  return domException(`${what} is not supported in hbf (available: SHA-256 digest, HMAC with SHA-256)`, "NotSupportedError");
}

function hmacHashName(algorithm) {
  const h = algorithm?.hash;
  return algorithmName(h);
}

const subtle = {
  async digest(algorithm, data) {
    if (algorithmName(algorithm) !== "SHA-256") throw notSupportedError(`digest '${algorithmName(algorithm)}'`);
    const d = native.sha256(bufferSourceBytes(data));
    return d.buffer.slice(d.byteOffset, d.byteOffset + d.byteLength);
  },
  async importKey(format, keyData, algorithm, extractable, keyUsages) {
    if (format !== "raw") throw notSupportedError(`importKey format '${format}'`);
    if (algorithmName(algorithm) !== "HMAC" || hmacHashName(algorithm) !== "SHA-256") {
      throw notSupportedError(`importKey algorithm '${algorithmName(algorithm)}'`);
    }
    const bytes = Uint8Array.from(bufferSourceBytes(keyData));
    return new CryptoKey({ name: "HMAC", hash: { name: "SHA-256" }, length: bytes.length * 8 }, Boolean(extractable),
      Array.from(keyUsages ?? []), bytes);
  },
  async exportKey(format, key) {
    if (format !== "raw" || !(key instanceof CryptoKey)) throw notSupportedError(`exportKey format '${format}'`);
    if (!key.extractable) throw domException("key is not extractable", "InvalidAccessError");
    return key._bytes.slice().buffer;
  },
  async sign(algorithm, key, data) {
    if (algorithmName(algorithm) !== "HMAC" || !(key instanceof CryptoKey)) throw notSupportedError(`sign '${algorithmName(algorithm)}'`);
    const mac = native.hmacSha256(key._bytes, bufferSourceBytes(data));
    return mac.buffer.slice(mac.byteOffset, mac.byteOffset + mac.byteLength);
  },
  async verify(algorithm, key, signature, data) {
    if (algorithmName(algorithm) !== "HMAC" || !(key instanceof CryptoKey)) throw notSupportedError(`verify '${algorithmName(algorithm)}'`);
    const mac = native.hmacSha256(key._bytes, bufferSourceBytes(data));
    const sig = bufferSourceBytes(signature);
    return sig.length === mac.length && timingSafeEqual(sig, mac);
  },
  async generateKey(algorithm) {
    throw notSupportedError(`generateKey '${algorithmName(algorithm)}'`);
  },
  async deriveBits(algorithm) {
    throw notSupportedError(`deriveBits '${algorithmName(algorithm)}'`);
  },
  async encrypt(algorithm) {
    throw notSupportedError(`encrypt '${algorithmName(algorithm)}'`);
  },
  async decrypt(algorithm) {
    throw notSupportedError(`decrypt '${algorithmName(algorithm)}'`);
  },
};

export const webcrypto = {
  getRandomValues,
  randomUUID,
  subtle,
  CryptoKey,
};
export { subtle, CryptoKey };

export const constants = Object.freeze({});

const crypto = {
  createHash, createHmac, hash, Hash, Hmac, KeyObject, createSecretKey, randomBytes, pseudoRandomBytes, prng, rng,
  randomFillSync, randomFill, randomInt, randomUUID, getRandomValues, timingSafeEqual, pbkdf2, pbkdf2Sync, hkdf, hkdfSync,
  getHashes, getCiphers, getCurves, webcrypto, subtle, constants, createCipheriv, createDecipheriv, createSign,
  createVerify, createPublicKey, createPrivateKey, generateKeyPair, generateKeyPairSync, createDiffieHellman, createECDH,
  scrypt, scryptSync, sign, verify, publicEncrypt, privateDecrypt,
};

export default crypto;
