// hbf:web_text — byte and string helpers shared by the built-ins (UTF-8,
// percent-encoding, form encoding). Every worker evaluates it (the router's
// query parsing needs it); DOMException and TextEncoder/TextDecoder, which
// only some apps use, are hbf:web_codec's.

import native from "hbf:native";

// ---------------------------------------------------------------------------
// Bytes and strings

/** Uint8Array view over any BufferSource; TypeError otherwise. */
export function toBytes(input, what = "argument") {
  if (input instanceof Uint8Array) return input;
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  throw new TypeError(`${what} must be an ArrayBuffer or an ArrayBufferView`);
}

/** The string with lone surrogates replaced by U+FFFD (a USVString). */
export const wellFormed = (s) => (s.isWellFormed() ? s : s.toWellFormed());

export const utf8Encode = (s) => native.utf8Encode(wellFormed(s));

// Built per use, not as a 256-string table: every worker evaluates this
// module, and the table was ~12 KB of each.
const HEX_DIGITS = "0123456789ABCDEF";
const hexPair = (c) => "%" + HEX_DIGITS[c >> 4] + HEX_DIGITS[c & 15];

export const isHexCode = (c) => (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
export const hexValue = (c) => (c <= 57 ? c - 48 : (c | 0x20) - 87);

/** Percent-decodes a string to bytes (malformed escapes are kept literally). */
function percentDecodeBytes(s) {
  const bytes = utf8Encode(s);
  const out = new Uint8Array(bytes.length);
  let j = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === 0x25 && i + 2 < bytes.length && isHexCode(bytes[i + 1]) && isHexCode(bytes[i + 2])) {
      out[j++] = (hexValue(bytes[i + 1]) << 4) | hexValue(bytes[i + 2]);
      i += 2;
    } else {
      out[j++] = b;
    }
  }
  return out.subarray(0, j);
}

/** Percent-decodes then UTF-8 decodes (U+FFFD for bad bytes); never throws. */
export function percentDecode(s) {
  if (s.indexOf("%") === -1) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return native.utf8Decode(percentDecodeBytes(s), false);
  }
}

/** Decodes one application/x-www-form-urlencoded name or value. */
export const formDecode = (s) => percentDecode(s.indexOf("+") === -1 ? s : s.replaceAll("+", " "));

/**
 * Parses application/x-www-form-urlencoded text into [name, value] pairs
 * (the WHATWG urlencoded parser).
 */
export function parseFormPairs(input) {
  const out = [];
  let start = 0;
  const len = input.length;
  while (start <= len) {
    let end = input.indexOf("&", start);
    if (end === -1) end = len;
    if (end > start) {
      const eq = input.indexOf("=", start);
      if (eq !== -1 && eq < end) out.push([formDecode(input.slice(start, eq)), formDecode(input.slice(eq + 1, end))]);
      else out.push([formDecode(input.slice(start, end)), ""]);
    }
    start = end + 1;
  }
  return out;
}

// Percent-encode sets (ASCII membership tables; non-ASCII is always encoded).
function encodeSet(base, chars) {
  const set = base ? base.slice() : new Uint8Array(128);
  for (const ch of chars) set[ch.charCodeAt(0)] = 1;
  return set;
}
export const C0_SET = new Uint8Array(128);
for (let i = 0; i < 0x20; i++) C0_SET[i] = 1;
C0_SET[0x7f] = 1;
export const FRAGMENT_SET = encodeSet(C0_SET, ' "<>`');
export const QUERY_SET = encodeSet(C0_SET, ' "#<>');
export const SPECIAL_QUERY_SET = encodeSet(QUERY_SET, "'");
export const PATH_SET = encodeSet(QUERY_SET, "?`{}");
export const USERINFO_SET = encodeSet(PATH_SET, "/:;=@[\\]^|");
const COMPONENT_SET = encodeSet(USERINFO_SET, "$%&+,");
const FORM_SET = encodeSet(COMPONENT_SET, "!'()~");

/** UTF-8 percent-encodes the code points of `s` that are in `set` (s must be well-formed). */
export function percentEncode(s, set, spaceAsPlus = false) {
  let out = "";
  let start = 0;
  const len = s.length;
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      if (set[c] === 0) continue;
      out += s.slice(start, i) + (spaceAsPlus && c === 0x20 ? "+" : hexPair(c));
      start = i + 1;
    } else {
      let j = i + 1;
      while (j < len && s.charCodeAt(j) >= 0x80) j++;
      out += s.slice(start, i) + encodeURIComponent(s.slice(i, j));
      start = j;
      i = j - 1;
    }
  }
  return start === 0 ? s : out + s.slice(start);
}

/** Serializes one name or value the way URLSearchParams does. */
export const formEncode = (s) => percentEncode(s, FORM_SET, true);
