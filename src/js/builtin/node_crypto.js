// hbf:node_crypto — the part of Node's `crypto` module hbf can back with its
// native primitives: randomBytes/randomFill/randomInt/randomUUID/
// getRandomValues, createHash/createHmac (md5, sha1, the SHA-2 and SHA-3
// families, ripemd160: native streaming hashers over Nettle), pbkdf2/hkdf
// with those digests, timingSafeEqual, and a minimal `webcrypto`
// (getRandomValues, randomUUID, subtle.digest SHA-1/256/384/512, HMAC
// importKey/sign/verify). Ciphers, signatures and key pairs throw an Error
// with code ERR_HBF_UNSUPPORTED naming what is missing.

import native from "hbf:native";
import { Buffer } from "hbf:node_buffer";
import { nodeError, invalidArgType, outOfRange, validateFunction, validateNumber, validateString } from "hbf:node_errors";
import { nextTick } from "hbf:node_process";

const AVAILABLE = "md5, sha1, sha224, sha256, sha384, sha512, sha512-224, sha512-256, sha3-224..512, ripemd160, their HMACs, " +
  "random values";

function unsupported(what) {
  return nodeError(Error, "ERR_HBF_UNSUPPORTED", `${what} is not supported in hbf (available: ${AVAILABLE})`);
}

const EMPTY = new Uint8Array(0);

function viewBytes(v) {
  if (v instanceof Uint8Array) return v;
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  return null;
}

function dataBytes(data, encoding, name = "data") {
  // Node hashes a string in any encoding it does not know as UTF-8.
  if (typeof data === "string") return Buffer.from(data, Buffer.isEncoding(encoding) ? encoding : "utf8");
  const b = ArrayBuffer.isView(data) ? viewBytes(data) : null;
  if (b === null) throw invalidArgType(name, "of type string or an instance of Buffer, TypedArray, or DataView", data);
  return b;
}

// The digests hbf has (Nettle, through native.hashCreate), by the names
// OpenSSL gives them in Node 20 (looked up case-insensitively), with their
// sizes and block sizes.
const DIGESTS = {
  __proto__: null,
  md5: [16, 64], sha1: [20, 64], sha224: [28, 64], sha256: [32, 64], sha384: [48, 128], sha512: [64, 128],
  "sha512-224": [28, 128], "sha512-256": [32, 128], "sha3-224": [28, 144], "sha3-256": [32, 136],
  "sha3-384": [48, 104], "sha3-512": [64, 72], ripemd160: [20, 64],
};
const DIGEST_ALIASES = { __proto__: null };
for (const [name, aliases] of [
  ["md5", ["rsa-md5", "md5withrsaencryption", "ssl3-md5"]],
  ["sha1", ["sha-1", "rsa-sha1", "sha1withrsaencryption", "ssl3-sha1", "rsa-sha1-2"]],
  ["sha224", ["sha-224", "sha2-224", "rsa-sha224", "sha224withrsaencryption"]],
  ["sha256", ["sha-256", "sha2-256", "rsa-sha256", "sha256withrsaencryption"]],
  ["sha384", ["sha-384", "sha2-384", "rsa-sha384", "sha384withrsaencryption"]],
  ["sha512", ["sha-512", "sha2-512", "rsa-sha512", "sha512withrsaencryption"]],
  ["sha512-224", ["sha2-512/224", "rsa-sha512/224", "sha512-224withrsaencryption"]],
  ["sha512-256", ["sha2-512/256", "rsa-sha512/256", "sha512-256withrsaencryption"]],
  ["sha3-224", ["rsa-sha3-224", "id-rsassa-pkcs1-v1_5-with-sha3-224"]],
  ["sha3-256", ["rsa-sha3-256", "id-rsassa-pkcs1-v1_5-with-sha3-256"]],
  ["sha3-384", ["rsa-sha3-384", "id-rsassa-pkcs1-v1_5-with-sha3-384"]],
  ["sha3-512", ["rsa-sha3-512", "id-rsassa-pkcs1-v1_5-with-sha3-512"]],
  ["ripemd160", ["ripemd", "rmd160", "ripemd-160", "rsa-ripemd160", "ripemd160withrsa"]],
]) {
  DIGEST_ALIASES[name] = name;
  for (const alias of aliases) DIGEST_ALIASES[alias] = name;
}
// Digests Node has and hbf does not: an error that says so, not "not supported".
const NODE_ONLY_DIGESTS = new Set(["shake128", "shake256", "blake2b512", "blake2s256", "sm3", "sm3withrsaencryption",
  "rsa-sm3", "md5-sha1"]);

/** The canonical digest name, or null when hbf lacks it (after throwing for those Node has). */
function digestName(algorithm, what) {
  const lower = String(algorithm).toLowerCase();
  const name = DIGEST_ALIASES[lower];
  if (name !== undefined) return name;
  if (NODE_ONLY_DIGESTS.has(lower)) throw unsupported(`${what} '${algorithm}'`);
  return null;
}

/** For pbkdf2/hkdf: the canonical name; Node's TypeError for an unknown digest. */
function requireDigest(digest) {
  const name = digestName(digest, "Digest algorithm");
  if (name === null) throw nodeError(TypeError, "ERR_CRYPTO_INVALID_DIGEST", `Invalid digest: ${digest}`);
  return name;
}

function output(bytes, encoding) {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // Node returns a Buffer for an encoding it does not know.
  if (typeof encoding !== "string" || encoding === "buffer" || !Buffer.isEncoding(encoding)) return buf;
  return buf.toString(encoding);
}

function finalized() {
  return nodeError(Error, "ERR_CRYPTO_HASH_FINALIZED", "Digest already called");
}

// ---------------------------------------------------------------------------
// Hash / Hmac: a native streaming hasher (Nettle) per object; update() hands
// each chunk over at once, so nothing is buffered in JS.

const kHandle = Symbol("kHandle");
const kState = Symbol("kState");

export class Hash {
  constructor(algorithm, options) {
    validateString(algorithm, "algorithm");
    const name = digestName(algorithm, "Digest algorithm");
    if (name === null) throw new Error("Digest method not supported");
    const outputLength = options?.outputLength;
    if (outputLength !== undefined) {
      validateNumber(outputLength, "options.outputLength", 0, 2 ** 32 - 1);
      if (outputLength !== DIGESTS[name][0]) {
        throw nodeError(Error, "ERR_OSSL_EVP_NOT_XOF_OR_INVALID_LENGTH", "error:030000B2:digital envelope routines::not XOF or invalid length");
      }
    }
    this[kHandle] = native.hashCreate(name);
    this[kState] = { name, done: false };
  }

  update(data, encoding) {
    if (this[kState].done) throw finalized();
    const bytes = dataBytes(data, encoding);
    if (bytes.length) native.hashUpdate(this[kHandle], bytes);
    return this;
  }

  digest(encoding) {
    if (this[kState].done) throw finalized();
    this[kState].done = true;
    const digest = native.hashDigest(this[kHandle]);
    this[kHandle] = null;
    return output(digest, encoding);
  }

  copy(options) {
    if (this[kState].done) throw finalized();
    const h = Object.create(Hash.prototype);
    h[kHandle] = native.hashCopy(this[kHandle]);
    h[kState] = { name: this[kState].name, done: false };
    return h;
  }
}

function keyBytes(key) {
  if (typeof key === "string") return Buffer.from(key, "utf8");
  if (key instanceof KeyObject) return key._bytes;
  if (key instanceof CryptoKey) return key._bytes;
  const b = viewBytes(key);
  if (b === null) {
    throw invalidArgType("key", "of type string or an instance of ArrayBuffer, Buffer, TypedArray, DataView, KeyObject, or CryptoKey", key);
  }
  return b;
}

export class Hmac {
  constructor(hmac, key, options) {
    validateString(hmac, "hmac");
    const bytes = keyBytes(key);
    const name = digestName(hmac, "HMAC digest");
    if (name === null) throw nodeError(TypeError, "ERR_CRYPTO_INVALID_DIGEST", `Invalid digest: ${hmac}`);
    this[kHandle] = native.hashCreate(name, bytes);
    this[kState] = { name, done: false };
  }

  update(data, encoding) {
    if (this[kState].done) throw finalized();
    const bytes = dataBytes(data, encoding);
    if (bytes.length) native.hashUpdate(this[kHandle], bytes);
    return this;
  }

  digest(encoding) {
    // A second digest() gives an empty result, as in Node.
    if (this[kState].done) return output(EMPTY, encoding);
    this[kState].done = true;
    const mac = native.hashDigest(this[kHandle]);
    this[kHandle] = null;
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

/** HMAC of `data` under `key` with digest `name` (canonical). */
function hmacOnce(name, key, data) {
  if (name === "sha256") return native.hmacSha256(key, data);
  const h = native.hashCreate(name, key);
  if (data.length) native.hashUpdate(h, data);
  return native.hashDigest(h);
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

const PBKDF2_SLICE = 4096;

export function pbkdf2Sync(password, salt, iterations, keylen, digest) {
  const pw = passwordBytes(password, "password");
  const s = passwordBytes(salt, "salt");
  validateNumber(iterations, "iterations", 1, MAX_RANDOM);
  validateNumber(keylen, "keylen", 0, MAX_RANDOM);
  validateString(digest, "digest");
  const name = requireDigest(digest);
  const size = DIGESTS[name][0];
  // One keyed HMAC, reused: each digest leaves it ready for the next message.
  const mac = native.hashCreate(name, pw);
  const prf = (data) => {
    native.hashUpdate(mac, data);
    return native.hashDigest(mac);
  };
  const out = Buffer.alloc(keylen);
  const blocks = Math.ceil(keylen / size);
  const block = new Uint8Array(s.length + 4);
  block.set(s, 0);
  for (let i = 1; i <= blocks; i++) {
    block[s.length] = (i >>> 24) & 255;
    block[s.length + 1] = (i >>> 16) & 255;
    block[s.length + 2] = (i >>> 8) & 255;
    block[s.length + 3] = i & 255;
    const u = Uint8Array.from(prf(block));
    const t = Uint8Array.from(u);
    // The rounds run natively, a slice at a time (the time limit is checked between slices).
    for (let done = 1; done < iterations; done += PBKDF2_SLICE) {
      native.pbkdf2Rounds(mac, u, t, Math.min(PBKDF2_SLICE, iterations - done));
    }
    out.set(t.subarray(0, Math.min(size, keylen - (i - 1) * size)), (i - 1) * size);
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
  const name = requireDigest(digest);
  const size = DIGESTS[name][0];
  const key = passwordBytes(ikm, "ikm");
  const s = passwordBytes(salt, "salt");
  const inf = passwordBytes(info, "info");
  validateNumber(keylen, "length", 0, 255 * size);
  const prk = hmacOnce(name, s.length ? s : new Uint8Array(size), key);
  const out = new Uint8Array(keylen);
  let prev = EMPTY;
  for (let i = 0, pos = 0; pos < keylen; i++) {
    const input = new Uint8Array(prev.length + inf.length + 1);
    input.set(prev, 0);
    input.set(inf, prev.length);
    input[input.length - 1] = i + 1;
    prev = hmacOnce(name, prk, input);
    out.set(prev.subarray(0, Math.min(size, keylen - pos)), pos);
    pos += size;
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

// Node 20's list less the digests hbf lacks (blake2, shake, sm3, md5-sha1).
const HASH_NAMES = Object.freeze(["RSA-MD5", "RSA-RIPEMD160", "RSA-SHA1", "RSA-SHA1-2", "RSA-SHA224", "RSA-SHA256",
  "RSA-SHA3-224", "RSA-SHA3-256", "RSA-SHA3-384", "RSA-SHA3-512", "RSA-SHA384", "RSA-SHA512", "RSA-SHA512/224",
  "RSA-SHA512/256", "id-rsassa-pkcs1-v1_5-with-sha3-224", "id-rsassa-pkcs1-v1_5-with-sha3-256",
  "id-rsassa-pkcs1-v1_5-with-sha3-384", "id-rsassa-pkcs1-v1_5-with-sha3-512", "md5", "md5WithRSAEncryption", "ripemd",
  "ripemd160", "ripemd160WithRSA", "rmd160", "sha1", "sha1WithRSAEncryption", "sha224", "sha224WithRSAEncryption",
  "sha256", "sha256WithRSAEncryption", "sha3-224", "sha3-256", "sha3-384", "sha3-512", "sha384",
  "sha384WithRSAEncryption", "sha512", "sha512-224", "sha512-224WithRSAEncryption", "sha512-256",
  "sha512-256WithRSAEncryption", "sha512WithRSAEncryption", "ssl3-md5", "ssl3-sha1"]);

export function getHashes() {
  return HASH_NAMES.slice();
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
  return domException(`${what} is not supported in hbf (available: SHA-1/256/384/512 digests, HMAC with them)`,
    "NotSupportedError");
}

// WebCrypto's digest names → hbf's.
const WEB_DIGESTS = { __proto__: null, "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512" };

function hmacHashName(algorithm) {
  const h = algorithm?.hash;
  return algorithmName(h);
}

function hmacOf(key, data) {
  return hmacOnce(WEB_DIGESTS[key.algorithm.hash.name], key._bytes, bufferSourceBytes(data));
}

const arrayBufferOf = (bytes) => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);

const subtle = {
  async digest(algorithm, data) {
    const name = WEB_DIGESTS[algorithmName(algorithm)];
    if (name === undefined) throw notSupportedError(`digest '${algorithmName(algorithm)}'`);
    const h = native.hashCreate(name);
    const bytes = bufferSourceBytes(data);
    if (bytes.length) native.hashUpdate(h, bytes);
    return arrayBufferOf(native.hashDigest(h));
  },
  async importKey(format, keyData, algorithm, extractable, keyUsages) {
    if (format !== "raw") throw notSupportedError(`importKey format '${format}'`);
    const hashName = hmacHashName(algorithm);
    if (algorithmName(algorithm) !== "HMAC" || WEB_DIGESTS[hashName] === undefined) {
      throw notSupportedError(`importKey algorithm '${algorithmName(algorithm)}'`);
    }
    const bytes = Uint8Array.from(bufferSourceBytes(keyData));
    return new CryptoKey({ name: "HMAC", hash: { name: hashName }, length: bytes.length * 8 }, Boolean(extractable),
      Array.from(keyUsages ?? []), bytes);
  },
  async exportKey(format, key) {
    if (format !== "raw" || !(key instanceof CryptoKey)) throw notSupportedError(`exportKey format '${format}'`);
    if (!key.extractable) throw domException("key is not extractable", "InvalidAccessError");
    return key._bytes.slice().buffer;
  },
  async sign(algorithm, key, data) {
    if (algorithmName(algorithm) !== "HMAC" || !(key instanceof CryptoKey)) throw notSupportedError(`sign '${algorithmName(algorithm)}'`);
    return arrayBufferOf(hmacOf(key, data));
  },
  async verify(algorithm, key, signature, data) {
    if (algorithmName(algorithm) !== "HMAC" || !(key instanceof CryptoKey)) throw notSupportedError(`verify '${algorithmName(algorithm)}'`);
    const mac = hmacOf(key, data);
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
