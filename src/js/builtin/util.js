// hbf:util — encodings, hashing and randomness for tenant scripts.
// Strings are UTF-8 encoded before hashing or base64-encoding.

import native from "hbf:native";
import { toBytes, utf8Encode as encodeString, randomBytes as random, randomUUID } from "hbf:bootstrap";
import { inspect, format } from "hbf:web_console";

function bytesOf(data, what = "data") {
  if (typeof data === "string") return encodeString(data);
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return toBytes(data);
  throw new TypeError(`${what} must be a string, Uint8Array, ArrayBuffer or typed array`);
}

function requireString(s, what) {
  if (typeof s !== "string") throw new TypeError(`${what} must be a string`);
  return s;
}

export const utf8Encode = (s) => encodeString(requireString(s, "utf8Encode() input"));

/** Decodes UTF-8 bytes; invalid sequences become U+FFFD unless `fatal` (then TypeError). */
export const utf8Decode = (bytes, fatal = false) => native.utf8Decode(toBytes(bytes, "utf8Decode() input"), Boolean(fatal));

export const base64Encode = (data) => native.base64Encode(bytesOf(data), false);
export const base64Decode = (s) => native.base64Decode(requireString(s, "base64Decode() input"), false);
export const base64urlEncode = (data) => native.base64Encode(bytesOf(data), true);
export const base64urlDecode = (s) => native.base64Decode(requireString(s, "base64urlDecode() input"), true);

const HEX = Array.from({ length: 256 }, (_, i) => (i < 16 ? "0" : "") + i.toString(16));

export function hexEncode(data) {
  const bytes = bytesOf(data);
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i]];
  return out;
}

export function hexDecode(s) {
  requireString(s, "hexDecode() input");
  if (s.length % 2 !== 0) throw new TypeError("hexDecode() input must have an even length");
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = hexDigit(s.charCodeAt(2 * i));
    const lo = hexDigit(s.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) throw new TypeError("hexDecode() input is not hexadecimal");
    out[i] = (hi << 4) | lo;
  }
  return out;
}

function hexDigit(c) {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

function encodeDigest(bytes, encoding) {
  switch (encoding) {
    case "hex": return hexEncode(bytes);
    case "base64": return native.base64Encode(bytes, false);
    case "base64url": return native.base64Encode(bytes, true);
    case "bytes": case "buffer": return bytes;
    default: throw new TypeError(`unknown encoding "${encoding}" (use "hex", "base64", "base64url" or "bytes")`);
  }
}

/** SHA-256 of a string (UTF-8) or bytes; encoding "hex" (default) | "base64" | "base64url" | "bytes". */
export const sha256 = (data, encoding = "hex") => encodeDigest(native.sha256(bytesOf(data)), encoding);

/** HMAC-SHA256(key, data); same encodings as sha256. */
export const hmacSha256 = (key, data, encoding = "hex") =>
  encodeDigest(native.hmacSha256(bytesOf(key, "key"), bytesOf(data)), encoding);

/** `n` cryptographically random bytes. */
export const randomBytes = (n) => random(n);

/** A random RFC 4122 version 4 UUID. */
export const uuid = () => randomUUID();

/** Milliseconds since the epoch. */
export const now = () => native.now();

/** Compares two strings or byte arrays in time independent of where they differ. */
export function timingSafeEqual(a, b) {
  const x = bytesOf(a, "a");
  const y = bytesOf(b, "b");
  if (x.length !== y.length) return false;
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x[i] ^ y[i];
  return diff === 0;
}

export { inspect, format };

export default {
  base64Encode, base64Decode, base64urlEncode, base64urlDecode, hexEncode, hexDecode, utf8Encode, utf8Decode,
  sha256, hmacSha256, randomBytes, uuid, now, timingSafeEqual, inspect, format,
};
