// hbf:web_text — byte and string helpers shared by the built-ins (UTF-8,
// percent-encoding, form encoding), DOMException, and TextEncoder/TextDecoder
// (UTF-8 only). Installed as globals by hbf:bootstrap.

import * as native from "hbf:native";

const EMPTY_BYTES = new Uint8Array(0);

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

// ---------------------------------------------------------------------------
// DOMException (small)

export class DOMExceptionImpl extends Error {
  static #codes = { IndexSizeError: 1, NotFoundError: 8, NotSupportedError: 9, InvalidStateError: 11, SyntaxError: 12,
    InvalidAccessError: 15, TypeMismatchError: 17, SecurityError: 18, NetworkError: 19, AbortError: 20,
    QuotaExceededError: 22, TimeoutError: 23, DataCloneError: 25 };
  #name;
  constructor(message = "", options = "Error") {
    const name = typeof options === "object" && options !== null ? String(options.name ?? "Error") : String(options);
    super(String(message), typeof options === "object" && options !== null && "cause" in options ? { cause: options.cause } : undefined);
    this.#name = name;
  }
  get name() { return this.#name; }
  get code() { return DOMExceptionImpl.#codes[this.#name] ?? 0; }
}
Object.defineProperty(DOMExceptionImpl, "name", { value: "DOMException" });

// ---------------------------------------------------------------------------
// TextEncoder / TextDecoder (UTF-8 only)

export class TextEncoder {
  get encoding() { return "utf-8"; }

  encode(input = "") {
    return utf8Encode(String(input));
  }

  encodeInto(source, destination) {
    if (!(destination instanceof Uint8Array)) throw new TypeError("destination must be a Uint8Array");
    const s = String(source);
    const cap = destination.length;
    let read = 0;
    let written = 0;
    for (let i = 0; i < s.length; i++) {
      let c = s.charCodeAt(i);
      if (c < 0x80) {
        if (written >= cap) break;
        destination[written++] = c;
        read++;
        continue;
      }
      let units = 1;
      if (c >= 0xd800 && c <= 0xdfff) {
        const d = c <= 0xdbff && i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
        if (d >= 0xdc00 && d <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          units = 2;
        } else {
          c = 0xfffd;
        }
      }
      if (c < 0x800) {
        if (written + 2 > cap) break;
        destination[written++] = 0xc0 | (c >> 6);
      } else if (c < 0x10000) {
        if (written + 3 > cap) break;
        destination[written++] = 0xe0 | (c >> 12);
        destination[written++] = 0x80 | ((c >> 6) & 0x3f);
      } else {
        if (written + 4 > cap) break;
        destination[written++] = 0xf0 | (c >> 18);
        destination[written++] = 0x80 | ((c >> 12) & 0x3f);
        destination[written++] = 0x80 | ((c >> 6) & 0x3f);
      }
      destination[written++] = 0x80 | (c & 0x3f);
      read += units;
      i += units - 1;
    }
    return { read, written };
  }
}

const UTF8_LABELS = new Set(["utf-8", "utf8", "unicode-1-1-utf-8", "unicode11utf8", "unicode20utf8", "x-unicode20utf8"]);

// Where a trailing, possibly incomplete UTF-8 sequence starts (bytes.length if none).
function incompleteTail(bytes) {
  const n = bytes.length;
  for (let i = n - 1; i >= 0 && i >= n - 3; i--) {
    const b = bytes[i];
    if ((b & 0xc0) === 0x80) continue;
    const need = b >= 0xf0 && b <= 0xf4 ? 4 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xc2 && b <= 0xdf ? 2 : 1;
    return i + need > n ? i : n;
  }
  return n;
}

export class TextDecoder {
  #fatal;
  #ignoreBOM;
  #pending = null;
  #started = false;

  constructor(label = "utf-8", options = undefined) {
    const l = String(label).trim().toLowerCase();
    if (!UTF8_LABELS.has(l)) throw new RangeError(`The "${label}" encoding is not supported`);
    this.#fatal = Boolean(options?.fatal);
    this.#ignoreBOM = Boolean(options?.ignoreBOM);
  }

  get encoding() { return "utf-8"; }
  get fatal() { return this.#fatal; }
  get ignoreBOM() { return this.#ignoreBOM; }

  decode(input = undefined, options = undefined) {
    const stream = Boolean(options?.stream);
    let bytes = input === undefined ? EMPTY_BYTES : toBytes(input, "input");
    if (this.#pending !== null) {
      const joined = new Uint8Array(this.#pending.length + bytes.length);
      joined.set(this.#pending);
      joined.set(bytes, this.#pending.length);
      bytes = joined;
      this.#pending = null;
    }
    if (stream) {
      const cut = incompleteTail(bytes);
      if (cut < bytes.length) {
        this.#pending = bytes.slice(cut);
        bytes = bytes.subarray(0, cut);
      }
    }
    if (!this.#started && bytes.length !== 0) {
      if (!this.#ignoreBOM && bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
        bytes = bytes.subarray(3);
      }
      this.#started = true;
    }
    let out = "";
    try {
      out = bytes.length === 0 ? "" : native.utf8Decode(bytes, this.#fatal);
    } finally {
      if (!stream) {
        this.#started = false;
        this.#pending = null;
      }
    }
    return out;
  }
}

