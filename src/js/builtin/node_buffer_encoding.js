// hbf:node_buffer_encoding — hbf:node_buffer's encodings: strings to bytes
// and back in utf8, hex, base64/base64url (Node's forgiving decoder),
// latin1/binary, ascii and utf16le/ucs2, their byte lengths, and the names
// Node accepts for them. Plain Uint8Arrays in and out (hbf:node_buffer
// makes Buffers of them). Internal to hbf:node_buffer.

import native from "hbf:native";
import { nodeError } from "hbf:node_errors";

export function unknownEncoding(enc) {
  return nodeError(TypeError, "ERR_UNKNOWN_ENCODING", `Unknown encoding: ${enc}`);
}

/** Node's normalizeEncoding(): the canonical name, or undefined when unknown. */
export function normalizeEncoding(enc) {
  if (enc == null || enc === "utf8" || enc === "utf-8") return "utf8";
  switch (String(enc).toLowerCase()) {
    case "utf8": case "utf-8": case "": return "utf8";
    case "ucs2": case "ucs-2": case "utf16le": case "utf-16le": return "utf16le";
    case "latin1": case "binary": return "latin1";
    case "base64": return "base64";
    case "base64url": return "base64url";
    case "hex": return "hex";
    case "ascii": return "ascii";
    default: return undefined;
  }
}

const wellFormed = (s) => (s.isWellFormed() ? s : s.toWellFormed());

function utf8ByteLength(s) {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else {
        n += 3;
      }
    } else n += 3;
  }
  return n;
}

export function utf8Bytes(s) {
  if (s.length === 0) return new Uint8Array(0);
  let ascii = true;
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 0x7f) {
      ascii = false;
      break;
    }
  }
  if (ascii && s.length < 256) {
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  }
  return native.utf8Encode(wellFormed(s));
}

export function latin1Bytes(s) {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function utf16leBytes(s) {
  const out = new Uint8Array(s.length * 2);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out[2 * i] = c & 0xff;
    out[2 * i + 1] = c >>> 8;
  }
  return out;
}

const HEX_CHARS = "0123456789abcdef";
const HEX_TABLE = Array.from({ length: 256 }, (_, i) => HEX_CHARS[i >> 4] + HEX_CHARS[i & 15]);

function hexValue(c) {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

function hexBytes(s) {
  const n = s.length >>> 1;
  const out = new Uint8Array(n);
  let i = 0;
  for (; i < n; i++) {
    const hi = hexValue(s.charCodeAt(2 * i));
    const lo = hexValue(s.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) break;
    out[i] = (hi << 4) | lo;
  }
  return i === n ? out : out.subarray(0, i);
}

export const B64_STD = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64_URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
export const B64_DECODE = new Int16Array(256).fill(-1);
for (let i = 0; i < 64; i++) {
  B64_DECODE[B64_STD.charCodeAt(i)] = i;
  B64_DECODE[B64_URL.charCodeAt(i)] = i;
}

function base64ByteLength(str, bytes) {
  if (str.charCodeAt(bytes - 1) === 0x3d) bytes--;
  if (bytes > 1 && str.charCodeAt(bytes - 1) === 0x3d) bytes--;
  return (bytes * 3) >>> 2;
}

// Node's forgiving decoder: both alphabets, characters outside them are
// skipped, decoding stops at the first '='.
export function base64Bytes(s) {
  const max = base64ByteLength(s, s.length);
  const out = new Uint8Array(max);
  let acc = 0;
  let bits = 0;
  let j = 0;
  for (let i = 0; i < s.length && j < max; i++) {
    // Node reads each UTF-16 unit's low byte (so "\u4e2d" counts as "-").
    const c = s.charCodeAt(i) & 0xff;
    if (c === 0x3d) break;
    const v = B64_DECODE[c];
    if (v < 0) continue;
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[j++] = (acc >> bits) & 0xff;
    }
  }
  return j === max ? out : out.subarray(0, j);
}

export function base64Encode(bytes, alphabet, pad) {
  let out = "";
  const n = bytes.length;
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const v = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += alphabet[v >> 18] + alphabet[(v >> 12) & 63] + alphabet[(v >> 6) & 63] + alphabet[v & 63];
  }
  if (i < n) {
    const v = (bytes[i] << 16) | (i + 1 < n ? bytes[i + 1] << 8 : 0);
    out += alphabet[v >> 18] + alphabet[(v >> 12) & 63];
    if (i + 1 < n) out += alphabet[(v >> 6) & 63] + (pad ? "=" : "");
    else if (pad) out += "==";
  }
  return out;
}

export function latin1String(bytes, mask = 0xff) {
  let out = "";
  const CHUNK = 4096;
  for (let i = 0; i < bytes.length; i += CHUNK) {
    const part = bytes.subarray(i, Math.min(i + CHUNK, bytes.length));
    if (mask !== 0xff) {
      const masked = new Uint8Array(part.length);
      for (let k = 0; k < part.length; k++) masked[k] = part[k] & mask;
      out += String.fromCharCode.apply(null, masked);
    } else {
      out += String.fromCharCode.apply(null, part);
    }
  }
  return out;
}

function utf16leString(bytes) {
  let out = "";
  const n = bytes.length >>> 1;
  const CHUNK = 4096;
  for (let i = 0; i < n; i += CHUNK) {
    const m = Math.min(CHUNK, n - i);
    const units = new Array(m);
    for (let k = 0; k < m; k++) units[k] = bytes[2 * (i + k)] | (bytes[2 * (i + k) + 1] << 8);
    out += String.fromCharCode.apply(null, units);
  }
  return out;
}

export function hexString(bytes) {
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += HEX_TABLE[bytes[i]];
  return out;
}

export function utf8String(bytes) {
  if (bytes.length === 0) return "";
  if (bytes.length < 64) {
    let ascii = true;
    for (let i = 0; i < bytes.length; i++) {
      if (bytes[i] > 0x7f) {
        ascii = false;
        break;
      }
    }
    if (ascii) return String.fromCharCode.apply(null, bytes);
  }
  return native.utf8Decode(bytes, false);
}

/** Bytes of `string` in the (normalized) encoding. */
export function encodeString(string, enc) {
  switch (enc) {
    case "utf8": return utf8Bytes(string);
    case "latin1": case "ascii": return latin1Bytes(string);
    case "utf16le": return utf16leBytes(string);
    case "hex": return hexBytes(string);
    case "base64": case "base64url": return base64Bytes(string);
    default: throw unknownEncoding(enc);
  }
}

/** `bytes` (a Uint8Array) decoded with the (normalized) encoding. */
export function decodeBytes(bytes, enc) {
  switch (enc) {
    case "utf8": return utf8String(bytes);
    case "latin1": return latin1String(bytes);
    case "ascii": return latin1String(bytes, 0x7f);
    case "utf16le": return utf16leString(bytes);
    case "hex": return hexString(bytes);
    case "base64": return base64Encode(bytes, B64_STD, true);
    case "base64url": return base64Encode(bytes, B64_URL, false);
    default: throw unknownEncoding(enc);
  }
}

export function byteLengthOf(string, enc) {
  switch (enc) {
    case "utf8": return utf8ByteLength(string);
    case "latin1": case "ascii": return string.length;
    case "utf16le": return string.length * 2;
    case "hex": return string.length >>> 1;
    case "base64": case "base64url": return base64ByteLength(string, string.length);
    default: return utf8ByteLength(string);
  }
}
