// hbf:bootstrap — evaluated once per context before any tenant code. Installs
// web-platform globals that QuickJS lacks (TextEncoder, TextDecoder, URL,
// URLSearchParams, crypto, DOMException, console, queueMicrotask, global),
// each only if absent, V8's Error.captureStackTrace/stackTraceLimit, and,
// loaded on first use, Node's Buffer, process, timers, require, atob/btoa,
// structuredClone, performance, Event/EventTarget/CustomEvent and
// AbortController/AbortSignal. Also exports a few helpers shared by the
// other hbf:* modules.

import * as native from "hbf:native";
// Node compatibility (the module resolver and CommonJS loader in hbf:modules,
// the Node globals Buffer, process and timers) is installed lazily below.

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

const HEX_PAIRS = Array.from({ length: 256 }, (_, i) => "%" + (i < 16 ? "0" : "") + i.toString(16).toUpperCase());

const isHexCode = (c) => (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
const hexValue = (c) => (c <= 57 ? c - 48 : (c | 0x20) - 87);

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
const C0_SET = new Uint8Array(128);
for (let i = 0; i < 0x20; i++) C0_SET[i] = 1;
C0_SET[0x7f] = 1;
const FRAGMENT_SET = encodeSet(C0_SET, ' "<>`');
const QUERY_SET = encodeSet(C0_SET, ' "#<>');
const SPECIAL_QUERY_SET = encodeSet(QUERY_SET, "'");
const PATH_SET = encodeSet(QUERY_SET, "?`{}");
const USERINFO_SET = encodeSet(PATH_SET, "/:;=@[\\]^|");
const COMPONENT_SET = encodeSet(USERINFO_SET, "$%&+,");
const FORM_SET = encodeSet(COMPONENT_SET, "!'()~");

/** UTF-8 percent-encodes the code points of `s` that are in `set` (s must be well-formed). */
function percentEncode(s, set, spaceAsPlus = false) {
  let out = "";
  let start = 0;
  const len = s.length;
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      if (set[c] === 0) continue;
      out += s.slice(start, i) + (spaceAsPlus && c === 0x20 ? "+" : HEX_PAIRS[c]);
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

class DOMExceptionImpl extends Error {
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

class TextEncoder {
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

class TextDecoder {
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

// ---------------------------------------------------------------------------
// URL (the WHATWG URL Standard, as implemented by Node 20's URL)

const SPECIAL_PORTS = { __proto__: null, "ftp:": 21, "file:": null, "http:": 80, "https:": 443, "ws:": 80, "wss:": 443 };
const isSpecialScheme = (scheme) => (scheme + ":") in SPECIAL_PORTS;
const defaultPort = (scheme) => SPECIAL_PORTS[scheme + ":"] ?? null;

const FAILURE = 0;
const S = {
  SCHEME_START: 1, SCHEME: 2, NO_SCHEME: 3, SPECIAL_RELATIVE_OR_AUTHORITY: 4, PATH_OR_AUTHORITY: 5,
  RELATIVE: 6, RELATIVE_SLASH: 7, SPECIAL_AUTHORITY_SLASHES: 8, SPECIAL_AUTHORITY_IGNORE_SLASHES: 9,
  AUTHORITY: 10, HOST: 11, HOSTNAME: 12, PORT: 13, FILE: 14, FILE_SLASH: 15, FILE_HOST: 16,
  PATH_START: 17, PATH: 18, OPAQUE_PATH: 19, QUERY: 20, FRAGMENT: 21,
};

const EOF = -1;
const isAlpha = (c) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const isDigit = (c) => c >= 48 && c <= 57;

const newRecord = () => ({ scheme: "", username: "", password: "", host: null, port: null, path: [], query: null, fragment: null });
const hasOpaquePath = (url) => typeof url.path === "string";
const includesCredentials = (url) => url.username !== "" || url.password !== "";
const cannotHaveCredentialsOrPort = (url) => url.host === null || url.host === "" || url.scheme === "file";

const isWindowsDriveLetter = (s) => s.length === 2 && isAlpha(s.charCodeAt(0)) && (s[1] === ":" || s[1] === "|");
const isNormalizedDriveLetter = (s) => s.length === 2 && isAlpha(s.charCodeAt(0)) && s[1] === ":";
function startsWithDriveLetter(input, p) {
  if (input.length - p < 2) return false;
  if (!isWindowsDriveLetter(input.slice(p, p + 2))) return false;
  if (input.length - p === 2) return true;
  const c = input[p + 2];
  return c === "/" || c === "\\" || c === "?" || c === "#";
}
const isSingleDot = (s) => s === "." || s.toLowerCase() === "%2e";
const isDoubleDot = (s) => {
  if (s.length < 2 || s.length > 6) return false;
  const l = s.toLowerCase();
  return l === ".." || l === ".%2e" || l === "%2e." || l === "%2e%2e";
};

function shortenPath(url) {
  const path = url.path;
  if (url.scheme === "file" && path.length === 1 && isNormalizedDriveLetter(path[0])) return;
  path.pop();
}

// Hosts ---------------------------------------------------------------------

const FORBIDDEN_HOST = /[\x00\t\n\r #/:<>?@[\\\]^|]/;
const FORBIDDEN_DOMAIN = /[\x00-\x20#%/:<>?@[\\\]^|\x7f]/;

function parseIPv6(input) {
  const address = [0, 0, 0, 0, 0, 0, 0, 0];
  let pieceIndex = 0;
  let compress = null;
  let p = 0;
  const len = input.length;
  const at = (i) => (i < len ? input.charCodeAt(i) : EOF);
  if (at(p) === 58) {
    if (at(p + 1) !== 58) return FAILURE;
    p += 2;
    compress = ++pieceIndex;
  }
  while (at(p) !== EOF) {
    if (pieceIndex === 8) return FAILURE;
    if (at(p) === 58) {
      if (compress !== null) return FAILURE;
      p++;
      compress = ++pieceIndex;
      continue;
    }
    let value = 0;
    let length = 0;
    while (length < 4 && isHexCode(at(p))) {
      value = value * 16 + hexValue(at(p));
      p++;
      length++;
    }
    if (at(p) === 46) {
      if (length === 0) return FAILURE;
      p -= length;
      if (pieceIndex > 6) return FAILURE;
      let numbersSeen = 0;
      while (at(p) !== EOF) {
        let piece = null;
        if (numbersSeen > 0) {
          if (at(p) === 46 && numbersSeen < 4) p++;
          else return FAILURE;
        }
        if (!isDigit(at(p))) return FAILURE;
        while (isDigit(at(p))) {
          const n = at(p) - 48;
          if (piece === null) piece = n;
          else if (piece === 0) return FAILURE;
          else piece = piece * 10 + n;
          if (piece > 255) return FAILURE;
          p++;
        }
        address[pieceIndex] = address[pieceIndex] * 0x100 + piece;
        numbersSeen++;
        if (numbersSeen === 2 || numbersSeen === 4) pieceIndex++;
      }
      if (numbersSeen !== 4) return FAILURE;
      break;
    } else if (at(p) === 58) {
      p++;
      if (at(p) === EOF) return FAILURE;
    } else if (at(p) !== EOF) {
      return FAILURE;
    }
    address[pieceIndex++] = value;
  }
  if (compress !== null) {
    let swaps = pieceIndex - compress;
    pieceIndex = 7;
    while (pieceIndex !== 0 && swaps > 0) {
      const t = address[compress + swaps - 1];
      address[compress + swaps - 1] = address[pieceIndex];
      address[pieceIndex] = t;
      pieceIndex--;
      swaps--;
    }
  } else if (pieceIndex !== 8) {
    return FAILURE;
  }
  return address;
}

function serializeIPv6(address) {
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (address[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && address[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  let out = "";
  for (let i = 0; i < 8; i++) {
    if (i === best) {
      out += i === 0 ? "::" : ":";
      i += bestLen - 1;
      continue;
    }
    out += address[i].toString(16);
    if (i !== 7) out += ":";
  }
  return out;
}

function parseIPv4Number(s) {
  if (s === "") return NaN;
  let radix = 10;
  if (s.length >= 2 && s[0] === "0" && (s[1] === "x" || s[1] === "X")) {
    s = s.slice(2);
    radix = 16;
  } else if (s.length >= 2 && s[0] === "0") {
    s = s.slice(1);
    radix = 8;
  }
  if (s === "") return 0;
  const valid = radix === 10 ? /^[0-9]+$/ : radix === 16 ? /^[0-9a-fA-F]+$/ : /^[0-7]+$/;
  if (!valid.test(s)) return NaN;
  return parseInt(s, radix);
}

function endsInANumber(input) {
  const parts = input.split(".");
  if (parts[parts.length - 1] === "") {
    if (parts.length === 1) return false;
    parts.pop();
  }
  const last = parts[parts.length - 1];
  if (last !== "" && /^[0-9]+$/.test(last)) return true;
  return !Number.isNaN(parseIPv4Number(last));
}

function parseIPv4(input) {
  const parts = input.split(".");
  if (parts[parts.length - 1] === "" && parts.length > 1) parts.pop();
  if (parts.length > 4) return FAILURE;
  const numbers = [];
  for (const part of parts) {
    const n = parseIPv4Number(part);
    if (Number.isNaN(n)) return FAILURE;
    numbers.push(n);
  }
  for (let i = 0; i < numbers.length - 1; i++) if (numbers[i] > 255) return FAILURE;
  const last = numbers[numbers.length - 1];
  if (last >= 256 ** (5 - numbers.length)) return FAILURE;
  let ipv4 = last;
  for (let i = 0; i < numbers.length - 1; i++) ipv4 += numbers[i] * 256 ** (3 - i);
  return `${Math.floor(ipv4 / 16777216) % 256}.${Math.floor(ipv4 / 65536) % 256}.${Math.floor(ipv4 / 256) % 256}.${ipv4 % 256}`;
}

// Punycode (RFC 3492) for IDNA labels.
const punyAdapt = (delta, numPoints, first) => {
  delta = first ? Math.floor(delta / 700) : delta >> 1;
  delta += Math.floor(delta / numPoints);
  let k = 0;
  while (delta > 455) {
    delta = Math.floor(delta / 35);
    k += 36;
  }
  return k + Math.floor((36 * delta) / (delta + 38));
};
const punyDigit = (d) => String.fromCharCode(d < 26 ? 97 + d : 22 + d);

function punycodeEncode(label) {
  const cps = Array.from(label, (ch) => ch.codePointAt(0));
  let out = "";
  for (const c of cps) if (c < 0x80) out += String.fromCharCode(c);
  const b = out.length;
  let h = b;
  if (b > 0) out += "-";
  let n = 128;
  let delta = 0;
  let bias = 72;
  while (h < cps.length) {
    let m = Infinity;
    for (const c of cps) if (c >= n && c < m) m = c;
    delta += (m - n) * (h + 1);
    n = m;
    for (const c of cps) {
      if (c < n) delta++;
      if (c === n) {
        let q = delta;
        for (let k = 36; ; k += 36) {
          const t = k <= bias ? 1 : k >= bias + 26 ? 26 : k - bias;
          if (q < t) break;
          out += punyDigit(t + ((q - t) % (36 - t)));
          q = Math.floor((q - t) / (36 - t));
        }
        out += punyDigit(q);
        bias = punyAdapt(delta, h + 1, h === b);
        delta = 0;
        h++;
      }
    }
    delta++;
    n++;
  }
  return out;
}

function punycodeDecode(input) {
  const out = [];
  let basic = input.lastIndexOf("-");
  if (basic < 0) basic = 0;
  for (let j = 0; j < basic; j++) {
    if (input.charCodeAt(j) >= 0x80) return null;
    out.push(input.charCodeAt(j));
  }
  let n = 128;
  let i = 0;
  let bias = 72;
  for (let idx = basic > 0 ? basic + 1 : 0; idx < input.length; ) {
    const oldi = i;
    let w = 1;
    for (let k = 36; ; k += 36) {
      if (idx >= input.length) return null;
      const c = input.charCodeAt(idx++);
      const digit = c >= 48 && c <= 57 ? c - 22 : c >= 65 && c <= 90 ? c - 65 : c >= 97 && c <= 122 ? c - 97 : 36;
      if (digit >= 36) return null;
      i += digit * w;
      const t = k <= bias ? 1 : k >= bias + 26 ? 26 : k - bias;
      if (digit < t) break;
      w *= 36 - t;
      if (i > 0x10ffff * 36) return null;
    }
    bias = punyAdapt(i - oldi, out.length + 1, oldi === 0);
    n += Math.floor(i / (out.length + 1));
    i %= out.length + 1;
    if (n > 0x10ffff || (n >= 0xd800 && n <= 0xdfff)) return null;
    out.splice(i++, 0, n);
  }
  return String.fromCodePoint(...out);
}

// An approximation of UTS #46 mapping: NFKC + lower-case, "ignored" code points removed.
const IDNA_IGNORED = /[\u00ad\u034f\u180b-\u180d\u200b\u2060\ufe00-\ufe0f\ufeff]/g;
const IDNA_DOTS = /[\u3002\uff0e\uff61]/g;
// eslint-disable-next-line no-control-regex
const IDNA_DISALLOWED = /[\u0080-\u009f\ufffd]/;
// What an "xn--" label may decode to (an approximation of UTS #46 validity).
const IDNA_VALID_LABEL = /^[\p{L}\p{M}\p{N}\p{S}\p{Pd}\p{Pc}]+$/u;

function domainToASCII(domain) {
  let d = domain;
  const ascii = !/[^\x00-\x7f]/.test(d);
  if (!ascii) d = d.replace(IDNA_IGNORED, "").normalize("NFKC").replace(IDNA_DOTS, ".");
  d = d.toLowerCase();
  if (!ascii || d.includes("xn--")) {
    const labels = d.split(".");
    for (let i = 0; i < labels.length; i++) {
      const label = labels[i];
      if (label.startsWith("xn--")) {
        const decoded = punycodeDecode(label.slice(4));
        if (decoded === null || !IDNA_VALID_LABEL.test(decoded) || /^[\x00-\x7f]*$/.test(decoded)) return FAILURE;
        if ("xn--" + punycodeEncode(decoded.normalize("NFC").toLowerCase()) !== label) return FAILURE;
      } else if (/[^\x00-\x7f]/.test(label)) {
        if (IDNA_DISALLOWED.test(label)) return FAILURE;
        labels[i] = "xn--" + punycodeEncode(label);
      }
    }
    d = labels.join(".");
  }
  if (d === "") return FAILURE;
  return d;
}

function parseHost(input, isOpaque) {
  if (input[0] === "[") {
    if (input[input.length - 1] !== "]") return FAILURE;
    const address = parseIPv6(input.slice(1, -1));
    return address === FAILURE ? FAILURE : "[" + serializeIPv6(address) + "]";
  }
  if (isOpaque) {
    if (FORBIDDEN_HOST.test(input)) return FAILURE;
    return percentEncode(input, C0_SET);
  }
  const domain = percentDecode(input);
  const asciiDomain = domainToASCII(domain);
  if (asciiDomain === FAILURE || FORBIDDEN_DOMAIN.test(asciiDomain)) return FAILURE;
  if (endsInANumber(asciiDomain)) return parseIPv4(asciiDomain);
  return asciiDomain;
}

// The basic URL parser -----------------------------------------------------------

const LEADING_TRAILING_C0 = /^[\x00-\x20]+|[\x00-\x20]+$/g;
const TAB_NEWLINE = /[\t\n\r]/g;

/** Returns the URL record, FAILURE, or (for a state override) undefined/FAILURE. */
function basicParse(input, base, url, stateOverride) {
  if (!url) {
    url = newRecord();
    input = input.replace(LEADING_TRAILING_C0, "");
  }
  input = wellFormed(input.replace(TAB_NEWLINE, ""));
  let state = stateOverride || S.SCHEME_START;
  let buffer = "";
  let atSignSeen = false;
  let insideBrackets = false;
  let passwordTokenSeen = false;
  const len = input.length;
  let pointer = 0;
  let special = isSpecialScheme(url.scheme);

  for (;;) {
    const c = pointer < len ? input.charCodeAt(pointer) : EOF;
    switch (state) {
      case S.SCHEME_START:
        if (isAlpha(c)) {
          buffer += String.fromCharCode(c | 0x20);
          state = S.SCHEME;
        } else if (!stateOverride) {
          state = S.NO_SCHEME;
          pointer--;
        } else {
          return FAILURE;
        }
        break;

      case S.SCHEME:
        if (isAlpha(c) || isDigit(c) || c === 43 || c === 45 || c === 46) {
          buffer += String.fromCharCode(isAlpha(c) ? c | 0x20 : c);
        } else if (c === 58) {
          if (stateOverride) {
            if (isSpecialScheme(url.scheme) !== isSpecialScheme(buffer)) return undefined;
            if ((includesCredentials(url) || url.port !== null) && buffer === "file") return undefined;
            if (url.scheme === "file" && url.host === "") return undefined;
          }
          url.scheme = buffer;
          special = isSpecialScheme(buffer);
          if (stateOverride) {
            if (url.port === defaultPort(url.scheme)) url.port = null;
            return undefined;
          }
          buffer = "";
          if (url.scheme === "file") {
            state = S.FILE;
          } else if (special && base && base.scheme === url.scheme) {
            state = S.SPECIAL_RELATIVE_OR_AUTHORITY;
          } else if (special) {
            state = S.SPECIAL_AUTHORITY_SLASHES;
          } else if (input.charCodeAt(pointer + 1) === 47) {
            state = S.PATH_OR_AUTHORITY;
            pointer++;
          } else {
            url.path = "";
            state = S.OPAQUE_PATH;
          }
        } else if (!stateOverride) {
          buffer = "";
          state = S.NO_SCHEME;
          pointer = -1;
        } else {
          return FAILURE;
        }
        break;

      case S.NO_SCHEME:
        if (!base || (hasOpaquePath(base) && c !== 35)) return FAILURE;
        if (hasOpaquePath(base) && c === 35) {
          url.scheme = base.scheme;
          special = isSpecialScheme(url.scheme);
          url.path = base.path;
          url.query = base.query;
          url.fragment = "";
          state = S.FRAGMENT;
        } else if (base.scheme !== "file") {
          state = S.RELATIVE;
          pointer--;
        } else {
          state = S.FILE;
          pointer--;
        }
        break;

      case S.SPECIAL_RELATIVE_OR_AUTHORITY:
        if (c === 47 && input.charCodeAt(pointer + 1) === 47) {
          state = S.SPECIAL_AUTHORITY_IGNORE_SLASHES;
          pointer++;
        } else {
          state = S.RELATIVE;
          pointer--;
        }
        break;

      case S.PATH_OR_AUTHORITY:
        if (c === 47) {
          state = S.AUTHORITY;
        } else {
          state = S.PATH;
          pointer--;
        }
        break;

      case S.RELATIVE:
        url.scheme = base.scheme;
        special = isSpecialScheme(url.scheme);
        if (c === 47 || (special && c === 92)) {
          state = S.RELATIVE_SLASH;
        } else {
          url.username = base.username;
          url.password = base.password;
          url.host = base.host;
          url.port = base.port;
          url.path = base.path.slice();
          url.query = base.query;
          if (c === 63) {
            url.query = "";
            state = S.QUERY;
          } else if (c === 35) {
            url.fragment = "";
            state = S.FRAGMENT;
          } else if (c !== EOF) {
            url.query = null;
            shortenPath(url);
            state = S.PATH;
            pointer--;
          }
        }
        break;

      case S.RELATIVE_SLASH:
        if (special && (c === 47 || c === 92)) {
          state = S.SPECIAL_AUTHORITY_IGNORE_SLASHES;
        } else if (c === 47) {
          state = S.AUTHORITY;
        } else {
          url.username = base.username;
          url.password = base.password;
          url.host = base.host;
          url.port = base.port;
          state = S.PATH;
          pointer--;
        }
        break;

      case S.SPECIAL_AUTHORITY_SLASHES:
        if (c === 47 && input.charCodeAt(pointer + 1) === 47) {
          state = S.SPECIAL_AUTHORITY_IGNORE_SLASHES;
          pointer++;
        } else {
          state = S.SPECIAL_AUTHORITY_IGNORE_SLASHES;
          pointer--;
        }
        break;

      case S.SPECIAL_AUTHORITY_IGNORE_SLASHES:
        if (c !== 47 && c !== 92) {
          state = S.AUTHORITY;
          pointer--;
        }
        break;

      case S.AUTHORITY:
        if (c === 64) {
          if (atSignSeen) buffer = "%40" + buffer;
          atSignSeen = true;
          let user = buffer;
          let pass = null;
          if (!passwordTokenSeen) {
            const colon = buffer.indexOf(":");
            if (colon !== -1) {
              passwordTokenSeen = true;
              user = buffer.slice(0, colon);
              pass = buffer.slice(colon + 1);
            }
          } else {
            user = null;
            pass = buffer;
          }
          if (user !== null) url.username += percentEncode(user, USERINFO_SET);
          if (pass !== null) url.password += percentEncode(pass, USERINFO_SET);
          buffer = "";
        } else if (c === EOF || c === 47 || c === 63 || c === 35 || (special && c === 92)) {
          if (atSignSeen && buffer === "") return FAILURE;
          pointer -= buffer.length + 1;
          buffer = "";
          state = S.HOST;
        } else {
          buffer += input[pointer];
        }
        break;

      case S.HOST:
      case S.HOSTNAME:
        if (stateOverride && url.scheme === "file") {
          pointer--;
          state = S.FILE_HOST;
        } else if (c === 58 && !insideBrackets) {
          if (buffer === "") return FAILURE;
          if (stateOverride === S.HOSTNAME) return FAILURE;
          const host = parseHost(buffer, !special);
          if (host === FAILURE) return FAILURE;
          url.host = host;
          buffer = "";
          state = S.PORT;
        } else if (c === EOF || c === 47 || c === 63 || c === 35 || (special && c === 92)) {
          pointer--;
          if (special && buffer === "") return FAILURE;
          if (stateOverride && buffer === "" && (includesCredentials(url) || url.port !== null)) return FAILURE;
          const host = parseHost(buffer, !special);
          if (host === FAILURE) return FAILURE;
          url.host = host;
          buffer = "";
          state = S.PATH_START;
          if (stateOverride) return undefined;
        } else {
          if (c === 91) insideBrackets = true;
          if (c === 93) insideBrackets = false;
          buffer += input[pointer];
        }
        break;

      case S.PORT:
        if (isDigit(c)) {
          buffer += input[pointer];
        } else if (c === EOF || c === 47 || c === 63 || c === 35 || (special && c === 92) || stateOverride) {
          if (buffer !== "") {
            const port = parseInt(buffer, 10);
            if (port > 65535) return FAILURE;
            url.port = port === defaultPort(url.scheme) ? null : port;
            buffer = "";
            if (stateOverride) return undefined;
          }
          if (stateOverride) return undefined;
          state = S.PATH_START;
          pointer--;
        } else {
          return FAILURE;
        }
        break;

      case S.FILE:
        url.scheme = "file";
        special = true;
        url.host = "";
        if (c === 47 || c === 92) {
          state = S.FILE_SLASH;
        } else if (base && base.scheme === "file") {
          url.host = base.host;
          url.path = base.path.slice();
          url.query = base.query;
          if (c === 63) {
            url.query = "";
            state = S.QUERY;
          } else if (c === 35) {
            url.fragment = "";
            state = S.FRAGMENT;
          } else if (c !== EOF) {
            url.query = null;
            if (!startsWithDriveLetter(input, pointer)) shortenPath(url);
            else url.path = [];
            state = S.PATH;
            pointer--;
          }
        } else {
          state = S.PATH;
          pointer--;
        }
        break;

      case S.FILE_SLASH:
        if (c === 47 || c === 92) {
          state = S.FILE_HOST;
        } else {
          if (base && base.scheme === "file") {
            url.host = base.host;
            if (!startsWithDriveLetter(input, pointer) && base.path.length > 0 && isNormalizedDriveLetter(base.path[0])) {
              url.path.push(base.path[0]);
            }
          }
          state = S.PATH;
          pointer--;
        }
        break;

      case S.FILE_HOST:
        if (c === EOF || c === 47 || c === 92 || c === 63 || c === 35) {
          pointer--;
          if (!stateOverride && isWindowsDriveLetter(buffer)) {
            state = S.PATH;
          } else if (buffer === "") {
            url.host = "";
            if (stateOverride) return undefined;
            state = S.PATH_START;
          } else {
            let host = parseHost(buffer, !special);
            if (host === FAILURE) return FAILURE;
            if (host === "localhost") host = "";
            url.host = host;
            if (stateOverride) return undefined;
            buffer = "";
            state = S.PATH_START;
          }
        } else {
          buffer += input[pointer];
        }
        break;

      case S.PATH_START:
        if (special) {
          state = S.PATH;
          if (c !== 47 && c !== 92) pointer--;
        } else if (!stateOverride && c === 63) {
          url.query = "";
          state = S.QUERY;
        } else if (!stateOverride && c === 35) {
          url.fragment = "";
          state = S.FRAGMENT;
        } else if (c !== EOF) {
          state = S.PATH;
          if (c !== 47) pointer--;
        } else if (stateOverride && url.host === null) {
          url.path.push("");
        }
        break;

      case S.PATH: {
        // Scan the whole segment at once.
        let end = pointer;
        for (; end < len; end++) {
          const d = input.charCodeAt(end);
          if (d === 47 || (special && d === 92) || (!stateOverride && (d === 63 || d === 35))) break;
        }
        // (buffer may already hold a drive letter carried over from the file host state)
        buffer += percentEncode(input.slice(pointer, end), PATH_SET);
        pointer = end;
        const e = end < len ? input.charCodeAt(end) : EOF;
        const slash = e === 47 || (special && e === 92);
        if (isDoubleDot(buffer)) {
          shortenPath(url);
          if (!slash) url.path.push("");
        } else if (isSingleDot(buffer) && !slash) {
          url.path.push("");
        } else if (!isSingleDot(buffer)) {
          if (url.scheme === "file" && url.path.length === 0 && isWindowsDriveLetter(buffer)) {
            buffer = buffer[0] + ":";
          }
          url.path.push(buffer);
        }
        buffer = "";
        if (e === 63) {
          url.query = "";
          state = S.QUERY;
        } else if (e === 35) {
          url.fragment = "";
          state = S.FRAGMENT;
        }
        break;
      }

      case S.OPAQUE_PATH: {
        let end = pointer;
        while (end < len && input.charCodeAt(end) !== 63 && input.charCodeAt(end) !== 35) end++;
        url.path += percentEncode(input.slice(pointer, end), C0_SET);
        pointer = end;
        const e = end < len ? input.charCodeAt(end) : EOF;
        if (e === 63) {
          url.query = "";
          state = S.QUERY;
        } else if (e === 35) {
          url.fragment = "";
          state = S.FRAGMENT;
        }
        break;
      }

      case S.QUERY: {
        let end = pointer;
        if (!stateOverride) while (end < len && input.charCodeAt(end) !== 35) end++;
        else end = len;
        url.query += percentEncode(input.slice(pointer, end), special ? SPECIAL_QUERY_SET : QUERY_SET);
        pointer = end;
        if (end < len) {
          url.fragment = "";
          state = S.FRAGMENT;
        }
        break;
      }

      case S.FRAGMENT:
        url.fragment += percentEncode(input.slice(pointer), FRAGMENT_SET);
        pointer = len;
        break;
    }
    // Multi-character states leave pointer on the last character they consumed
    // (or on EOF, having handled it); single-character states are the spec's.
    if (pointer >= len) break;
    pointer++;
  }
  return stateOverride ? undefined : url;
}

function serializePath(url) {
  if (hasOpaquePath(url)) return url.path;
  let out = "";
  for (const segment of url.path) out += "/" + segment;
  return out;
}

function serializeURL(url, excludeFragment = false) {
  let out = url.scheme + ":";
  if (url.host !== null) {
    out += "//";
    if (includesCredentials(url)) {
      out += url.username;
      if (url.password !== "") out += ":" + url.password;
      out += "@";
    }
    out += url.host;
    if (url.port !== null) out += ":" + url.port;
  } else if (!hasOpaquePath(url) && url.path.length > 1 && url.path[0] === "") {
    out += "/.";
  }
  out += serializePath(url);
  if (url.query !== null) out += "?" + url.query;
  if (!excludeFragment && url.fragment !== null) out += "#" + url.fragment;
  return out;
}

function stripTrailingSpacesFromOpaquePath(url) {
  if (!hasOpaquePath(url) || url.fragment !== null || url.query !== null) return;
  url.path = url.path.replace(/ +$/, "");
}

let setParamsList; // (URLSearchParams, list) => void
let bindParams; // (URLSearchParams, URL record holder) => void

class URLSearchParams {
  #list = [];
  #owner = null; // the URL this object belongs to, if any

  static {
    setParamsList = (params, list) => { params.#list = list; };
    bindParams = (params, owner) => { params.#owner = owner; };
  }

  constructor(init = undefined) {
    if (init === undefined || init === null) return;
    if (typeof init === "object" || typeof init === "function") {
      if (typeof init[Symbol.iterator] === "function") {
        for (const pair of init) {
          if (pair === null || (typeof pair !== "object" && typeof pair !== "function") || typeof pair[Symbol.iterator] !== "function") {
            throw new TypeError("Each query pair must be an iterable [name, value] tuple");
          }
          const p = Array.from(pair);
          if (p.length !== 2) throw new TypeError("Each query pair must be an iterable [name, value] tuple");
          this.#list.push([wellFormed(String(p[0])), wellFormed(String(p[1]))]);
        }
      } else {
        for (const key of Reflect.ownKeys(init)) {
          const desc = Reflect.getOwnPropertyDescriptor(init, key);
          if (desc === undefined || !desc.enumerable) continue;
          if (typeof key === "symbol") throw new TypeError("Cannot convert a Symbol value to a string");
          this.#list.push([wellFormed(key), wellFormed(String(init[key]))]);
        }
      }
      return;
    }
    let s = wellFormed(String(init));
    if (s[0] === "?") s = s.slice(1);
    this.#list = parseFormPairs(s);
  }

  #update() {
    if (this.#owner === null) return;
    const s = this.toString();
    const url = this.#owner;
    url.query = s === "" ? null : s;
    if (s === "") stripTrailingSpacesFromOpaquePath(url);
  }

  get size() { return this.#list.length; }

  append(name, value) {
    if (arguments.length < 2) throw new TypeError("append requires 2 arguments");
    this.#list.push([wellFormed(String(name)), wellFormed(String(value))]);
    this.#update();
  }

  delete(name, value = undefined) {
    if (arguments.length < 1) throw new TypeError("delete requires 1 argument");
    const n = wellFormed(String(name));
    const v = value === undefined ? undefined : wellFormed(String(value));
    this.#list = this.#list.filter(([k, val]) => !(k === n && (v === undefined || val === v)));
    this.#update();
  }

  get(name) {
    if (arguments.length < 1) throw new TypeError("get requires 1 argument");
    const n = wellFormed(String(name));
    for (const [k, v] of this.#list) if (k === n) return v;
    return null;
  }

  getAll(name) {
    if (arguments.length < 1) throw new TypeError("getAll requires 1 argument");
    const n = wellFormed(String(name));
    const out = [];
    for (const [k, v] of this.#list) if (k === n) out.push(v);
    return out;
  }

  has(name, value = undefined) {
    if (arguments.length < 1) throw new TypeError("has requires 1 argument");
    const n = wellFormed(String(name));
    const v = value === undefined ? undefined : wellFormed(String(value));
    for (const [k, val] of this.#list) if (k === n && (v === undefined || val === v)) return true;
    return false;
  }

  set(name, value) {
    if (arguments.length < 2) throw new TypeError("set requires 2 arguments");
    const n = wellFormed(String(name));
    const v = wellFormed(String(value));
    const out = [];
    let found = false;
    for (const pair of this.#list) {
      if (pair[0] !== n) out.push(pair);
      else if (!found) {
        found = true;
        out.push([n, v]);
      }
    }
    if (!found) out.push([n, v]);
    this.#list = out;
    this.#update();
  }

  sort() {
    // Stable sort by UTF-16 code units of the name.
    this.#list = this.#list
      .map((pair, i) => [pair, i])
      .sort((a, b) => (a[0][0] < b[0][0] ? -1 : a[0][0] > b[0][0] ? 1 : a[1] - b[1]))
      .map((x) => x[0]);
    this.#update();
  }

  forEach(callback, thisArg = undefined) {
    if (typeof callback !== "function") throw new TypeError("callback must be a function");
    for (let i = 0; i < this.#list.length; i++) {
      const [k, v] = this.#list[i];
      callback.call(thisArg, v, k, this);
    }
  }

  *entries() {
    for (let i = 0; i < this.#list.length; i++) yield [this.#list[i][0], this.#list[i][1]];
  }

  *keys() {
    for (let i = 0; i < this.#list.length; i++) yield this.#list[i][0];
  }

  *values() {
    for (let i = 0; i < this.#list.length; i++) yield this.#list[i][1];
  }

  [Symbol.iterator]() { return this.entries(); }

  toString() {
    let out = "";
    for (const [k, v] of this.#list) {
      if (out !== "") out += "&";
      out += formEncode(k) + "=" + formEncode(v);
    }
    return out;
  }

  get [Symbol.toStringTag]() { return "URLSearchParams"; }
}

class URL {
  #url;
  #params = null;

  constructor(url, base = undefined) {
    if (arguments.length === 0) throw new TypeError("The \"url\" argument must be specified");
    let baseRecord = null;
    if (base !== undefined) {
      baseRecord = basicParse(String(base), null);
      if (baseRecord === FAILURE) throw invalidURL(base);
    }
    const record = basicParse(String(url), baseRecord);
    if (record === FAILURE) throw invalidURL(url);
    this.#url = record;
  }

  static canParse(url, base = undefined) {
    let baseRecord = null;
    if (base !== undefined) {
      baseRecord = basicParse(String(base), null);
      if (baseRecord === FAILURE) return false;
    }
    return basicParse(String(url), baseRecord) !== FAILURE;
  }

  static parse(url, base = undefined) {
    try {
      return new URL(url, base);
    } catch {
      return null;
    }
  }

  #syncParams() {
    if (this.#params !== null) setParamsList(this.#params, this.#url.query ? parseFormPairs(this.#url.query) : []);
  }

  get href() { return serializeURL(this.#url); }
  set href(value) {
    const record = basicParse(String(value), null);
    if (record === FAILURE) throw invalidURL(value);
    this.#url = record;
    if (this.#params !== null) bindParams(this.#params, record);
    this.#syncParams();
  }

  get origin() {
    const url = this.#url;
    switch (url.scheme) {
      case "blob": {
        const inner = basicParse(serializePath(url), null);
        if (inner !== FAILURE && (inner.scheme === "http" || inner.scheme === "https")) {
          return inner.scheme + "://" + inner.host + (inner.port !== null ? ":" + inner.port : "");
        }
        return "null";
      }
      case "ftp":
      case "http":
      case "https":
      case "ws":
      case "wss":
        return url.scheme + "://" + url.host + (url.port !== null ? ":" + url.port : "");
      default:
        return "null";
    }
  }

  get protocol() { return this.#url.scheme + ":"; }
  set protocol(value) { basicParse(String(value) + ":", null, this.#url, S.SCHEME_START); }

  get username() { return this.#url.username; }
  set username(value) {
    if (cannotHaveCredentialsOrPort(this.#url)) return;
    this.#url.username = percentEncode(wellFormed(String(value)), USERINFO_SET);
  }

  get password() { return this.#url.password; }
  set password(value) {
    if (cannotHaveCredentialsOrPort(this.#url)) return;
    this.#url.password = percentEncode(wellFormed(String(value)), USERINFO_SET);
  }

  get host() {
    const url = this.#url;
    if (url.host === null) return "";
    return url.port === null ? url.host : url.host + ":" + url.port;
  }
  set host(value) {
    if (hasOpaquePath(this.#url)) return;
    basicParse(String(value), null, this.#url, S.HOST);
  }

  get hostname() { return this.#url.host ?? ""; }
  set hostname(value) {
    if (hasOpaquePath(this.#url)) return;
    basicParse(String(value), null, this.#url, S.HOSTNAME);
  }

  get port() { return this.#url.port === null ? "" : String(this.#url.port); }
  set port(value) {
    if (cannotHaveCredentialsOrPort(this.#url)) return;
    const v = String(value);
    if (v === "") this.#url.port = null;
    else basicParse(v, null, this.#url, S.PORT);
  }

  get pathname() { return serializePath(this.#url); }
  set pathname(value) {
    if (hasOpaquePath(this.#url)) return;
    this.#url.path = [];
    basicParse(String(value), null, this.#url, S.PATH_START);
  }

  get search() {
    const q = this.#url.query;
    return q === null || q === "" ? "" : "?" + q;
  }
  set search(value) {
    const url = this.#url;
    const v = String(value);
    if (v === "") {
      url.query = null;
      if (this.#params !== null) setParamsList(this.#params, []);
      stripTrailingSpacesFromOpaquePath(url);
      return;
    }
    const input = v[0] === "?" ? v.slice(1) : v;
    url.query = "";
    basicParse(input, null, url, S.QUERY);
    if (this.#params !== null) setParamsList(this.#params, parseFormPairs(wellFormed(input)));
  }

  get searchParams() {
    if (this.#params === null) {
      this.#params = new URLSearchParams(this.#url.query ?? "");
      bindParams(this.#params, this.#url);
    }
    return this.#params;
  }

  get hash() {
    const f = this.#url.fragment;
    return f === null || f === "" ? "" : "#" + f;
  }
  set hash(value) {
    const url = this.#url;
    const v = String(value);
    if (v === "") {
      url.fragment = null;
      stripTrailingSpacesFromOpaquePath(url);
      return;
    }
    url.fragment = "";
    basicParse(v[0] === "#" ? v.slice(1) : v, null, url, S.FRAGMENT);
  }

  toString() { return serializeURL(this.#url); }
  toJSON() { return serializeURL(this.#url); }
  get [Symbol.toStringTag]() { return "URL"; }
}

function invalidURL(input) {
  const err = new TypeError("Invalid URL");
  err.code = "ERR_INVALID_URL";
  err.input = String(input);
  return err;
}

// ---------------------------------------------------------------------------
// crypto

const INTEGER_ARRAYS = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, BigInt64Array, BigUint64Array];

export function randomBytes(n) {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError("byte count must be a non-negative integer");
  if (n <= 65536) return native.randomBytes(n);
  const out = new Uint8Array(n);
  for (let off = 0; off < n; off += 65536) out.set(native.randomBytes(Math.min(65536, n - off)), off);
  return out;
}

export function randomUUID() {
  const b = native.randomBytes(16);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  let hex = "";
  for (let i = 0; i < 16; i++) {
    hex += (b[i] < 16 ? "0" : "") + b[i].toString(16);
    if (i === 3 || i === 5 || i === 7 || i === 9) hex += "-";
  }
  return hex;
}

const cryptoObject = {
  getRandomValues(array) {
    if (!INTEGER_ARRAYS.some((T) => array instanceof T)) {
      throw new DOMExceptionImpl("The data argument must be an integer-type TypedArray", "TypeMismatchError");
    }
    if (array.byteLength > 65536) {
      throw new DOMExceptionImpl(`The ArrayBufferView's byte length (${array.byteLength}) exceeds the number of bytes of entropy available via this API (65536)`, "QuotaExceededError");
    }
    new Uint8Array(array.buffer, array.byteOffset, array.byteLength).set(native.randomBytes(array.byteLength));
    return array;
  },
  randomUUID,
};

// ---------------------------------------------------------------------------
// inspect / format (a compact, single-line flavour of Node's util)

const IDENT_KEY = /^[a-zA-Z_][a-zA-Z_0-9]*$/;
const BUILTIN_CTORS = new Set(["Object", "Error", "TypeError", "RangeError", "SyntaxError", "ReferenceError", "EvalError", "URIError",
  "AggregateError", "Array", "Date", "RegExp", "Map", "Set", "WeakMap", "WeakSet", "Promise", "Function", "Boolean", "Number", "String",
  "Symbol", "BigInt", "ArrayBuffer", "DataView", "Uint8Array", "Int8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array",
  "Int32Array", "Uint32Array", "Float32Array", "Float64Array", "BigInt64Array", "BigUint64Array"]);

function quoteString(s) {
  let q = "'";
  if (s.includes("'")) {
    if (!s.includes('"')) q = '"';
    else if (!s.includes("`") && !s.includes("${")) q = "`";
  }
  let out = "";
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let rep = null;
    if (c < 0x20 || c === 0x7f) {
      rep = c === 10 ? "\\n" : c === 9 ? "\\t" : c === 13 ? "\\r" : c === 8 ? "\\b" : c === 12 ? "\\f" : c === 11 ? "\\v"
        : "\\x" + (c < 16 ? "0" : "") + c.toString(16).toUpperCase();
    } else if (c === 92) {
      rep = "\\\\";
    } else if (c === q.charCodeAt(0)) {
      rep = "\\" + q;
    }
    if (rep !== null) {
      out += s.slice(start, i) + rep;
      start = i + 1;
    }
  }
  return q + out + s.slice(start) + q;
}

const formatKey = (k) => (typeof k === "symbol" ? `[${String(k)}]` : IDENT_KEY.test(k) ? k : quoteString(k));

function formatNumber(n) {
  return Object.is(n, -0) ? "-0" : String(n);
}

function functionLabel(fn) {
  const src = Function.prototype.toString.call(fn);
  if (src.startsWith("class") && /^class\b/.test(src)) return fn.name ? `[class ${fn.name}]` : "[class (anonymous)]";
  const kind = Object.getPrototypeOf(fn)?.constructor?.name || "Function";
  const type = kind === "AsyncFunction" || kind === "GeneratorFunction" || kind === "AsyncGeneratorFunction" ? kind : "Function";
  return fn.name ? `[${type}: ${fn.name}]` : `[${type} (anonymous)]`;
}

function errorText(err) {
  const name = err.name ?? "Error";
  const message = err.message ?? "";
  const head = message ? `${name}: ${message}` : String(name);
  const stack = typeof err.stack === "string" ? err.stack : "";
  if (stack === "") return head;
  if (stack.startsWith(head) || /^\w*Error\b/.test(stack)) return stack.replace(/\n+$/, "");
  return head + "\n" + stack.replace(/\n+$/, "");
}

function constructorName(obj) {
  let proto = Object.getPrototypeOf(obj);
  while (proto !== null) {
    const d = Object.getOwnPropertyDescriptor(proto, "constructor");
    if (d !== undefined && typeof d.value === "function" && d.value.name !== "") return d.value.name;
    proto = Object.getPrototypeOf(proto);
  }
  return null;
}

function inspectValue(value, ctx, depth) {
  switch (typeof value) {
    case "string": return quoteString(value);
    case "number": return formatNumber(value);
    case "bigint": return `${value}n`;
    case "boolean": return String(value);
    case "undefined": return "undefined";
    case "symbol": return String(value);
  }
  if (value === null) return "null";

  if (ctx.seen.includes(value)) {
    let id = ctx.circular.get(value);
    if (id === undefined) ctx.circular.set(value, (id = ctx.circular.size + 1));
    return `[Circular *${id}]`;
  }

  const out = inspectObject(value, ctx, depth);
  const id = ctx.circular.get(value);
  return id === undefined ? out : `<ref *${id}> ${out}`;
}

function ownEntries(obj, ctx, depth, skipIndices) {
  const parts = [];
  for (const key of Reflect.ownKeys(obj)) {
    if (skipIndices && typeof key === "string" && (key === "length" || /^(0|[1-9][0-9]*)$/.test(key))) continue;
    const d = Reflect.getOwnPropertyDescriptor(obj, key);
    if (d === undefined || !d.enumerable) continue;
    let v;
    if (d.get || d.set) v = d.get && d.set ? "[Getter/Setter]" : d.get ? "[Getter]" : "[Setter]";
    else v = inspectValue(d.value, ctx, depth + 1);
    parts.push(`${formatKey(key)}: ${v}`);
  }
  return parts;
}

function braces(prefix, parts, open = "{", close = "}") {
  if (parts.length === 0) return prefix ? `${prefix}${open}${close}` : `${open}${close}`;
  return `${prefix}${open} ${parts.join(", ")} ${close}`;
}

function inspectObject(value, ctx, depth) {
  if (typeof value === "function") {
    const label = functionLabel(value);
    if (depth > ctx.depth) return label;
    ctx.seen.push(value);
    const parts = ownEntries(value, ctx, depth, false).filter((p) => !p.startsWith("prototype:"));
    ctx.seen.pop();
    return parts.length ? braces(label + " ", parts) : label;
  }
  if (value instanceof Error) {
    const text = errorText(value);
    if (depth > ctx.depth) return `[${text.split("\n")[0]}]`;
    ctx.seen.push(value);
    const parts = ownEntries(value, ctx, depth, false).filter((p) => !/^(stack|message): /.test(p));
    ctx.seen.pop();
    return parts.length ? `${text} ${braces("", parts)}` : text;
  }
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? "Invalid Date" : value.toISOString();
  if (value instanceof RegExp) return String(value);
  if (value instanceof Promise) return "Promise { <unknown> }";
  if (value instanceof WeakMap || value instanceof WeakSet) return `${value instanceof WeakMap ? "WeakMap" : "WeakSet"} { <items unknown> }`;
  if (value instanceof Number || value instanceof String || value instanceof Boolean) {
    const kind = value instanceof Number ? "Number" : value instanceof String ? "String" : "Boolean";
    return `[${kind}: ${inspectValue(value.valueOf(), ctx, depth)}]`;
  }

  const name = constructorName(value);
  const isArray = Array.isArray(value);
  const isTyped = ArrayBuffer.isView(value) && !(value instanceof DataView);
  if (depth > ctx.depth) {
    if (isArray) return "[Array]";
    return `[${name ?? "Object"}]`;
  }

  ctx.seen.push(value);
  let result;
  try {
    if (isArray || isTyped) {
      const parts = [];
      const n = value.length;
      const shown = Math.min(n, 100);
      let holes = 0;
      for (let i = 0; i < shown; i++) {
        if (isArray && !(i in value)) {
          holes++;
          continue;
        }
        if (holes) {
          parts.push(`<${holes} empty item${holes > 1 ? "s" : ""}>`);
          holes = 0;
        }
        parts.push(isTyped ? (typeof value[i] === "bigint" ? `${value[i]}n` : formatNumber(value[i])) : inspectValue(value[i], ctx, depth + 1));
      }
      if (holes) parts.push(`<${holes} empty item${holes > 1 ? "s" : ""}>`);
      if (n > shown) parts.push(`... ${n - shown} more item${n - shown > 1 ? "s" : ""}`);
      parts.push(...ownEntries(value, ctx, depth, true));
      if (ctx.showHidden && isArray) parts.push(`[length]: ${n}`);
      const prefix = isTyped ? `${name}(${n}) ` : name && name !== "Array" ? `${name}(${n}) ` : "";
      result = braces(prefix, parts, "[", "]");
    } else if (value instanceof Map) {
      const parts = [];
      for (const [k, v] of value) parts.push(`${inspectValue(k, ctx, depth + 1)} => ${inspectValue(v, ctx, depth + 1)}`);
      parts.push(...ownEntries(value, ctx, depth, false));
      result = braces(`${name ?? "Map"}(${value.size}) `, parts);
    } else if (value instanceof Set) {
      const parts = [];
      for (const v of value) parts.push(inspectValue(v, ctx, depth + 1));
      parts.push(...ownEntries(value, ctx, depth, false));
      result = braces(`${name ?? "Set"}(${value.size}) `, parts);
    } else if (value instanceof ArrayBuffer) {
      const bytes = new Uint8Array(value, 0, Math.min(value.byteLength, 50));
      let hex = Array.from(bytes, (b) => (b < 16 ? "0" : "") + b.toString(16)).join(" ");
      if (value.byteLength > 50) hex += ` ... ${value.byteLength - 50} more byte${value.byteLength - 50 > 1 ? "s" : ""}`;
      result = `ArrayBuffer { [Uint8Contents]: <${hex}>, byteLength: ${value.byteLength} }`;
    } else {
      const parts = ownEntries(value, ctx, depth, false);
      let prefix = "";
      if (Object.getPrototypeOf(value) === null) prefix = "[Object: null prototype] ";
      else if (name !== "Object") prefix = `${name ?? "Object"} `;
      const tag = value[Symbol.toStringTag];
      if (typeof tag === "string" && tag !== "" && tag !== name) prefix = `${prefix || "Object "}[${tag}] `;
      result = braces(prefix, parts);
    }
  } finally {
    ctx.seen.pop();
  }
  return result;
}

/** A compact, single-line `util.inspect`. Options: depth (default 2), showHidden (array lengths only). */
export function inspect(value, options = undefined) {
  const depth = options?.depth === null ? Infinity : options?.depth ?? 2;
  return inspectValue(value, { seen: [], circular: new Map(), depth, showHidden: Boolean(options?.showHidden) }, 0);
}

function hasBuiltinToString(value) {
  if (Object.hasOwn(value, "toString")) return false;
  let p = value;
  do {
    p = Object.getPrototypeOf(p);
  } while (p !== null && !Object.hasOwn(p, "toString"));
  if (p === null) return true;
  const d = Object.getOwnPropertyDescriptor(p, "constructor");
  return d !== undefined && typeof d.value === "function" && BUILTIN_CTORS.has(d.value.name);
}

/** Node's util.format: %s %d %i %f %j %o %O %c %%. */
export function format(...args) {
  if (args.length === 0) return "";
  const first = args[0];
  let a = 1;
  let out = "";
  if (typeof first === "string") {
    if (args.length === 1) return first;
    let last = 0;
    for (let i = 0; i < first.length - 1; i++) {
      if (first.charCodeAt(i) !== 37) continue;
      const ch = first[i + 1];
      if (a === args.length && ch !== "%") {
        i++;
        continue;
      }
      let s;
      switch (ch) {
        case "s": {
          const v = args[a++];
          if (typeof v === "number") s = formatNumber(v);
          else if (typeof v === "bigint") s = `${v}n`;
          else if (typeof v !== "object" || v === null || !hasBuiltinToString(v)) s = String(v);
          else s = inspect(v, { depth: 0 });
          break;
        }
        case "d": {
          const v = args[a++];
          s = typeof v === "bigint" ? `${v}n` : typeof v === "symbol" ? "NaN" : formatNumber(Number(v));
          break;
        }
        case "i": {
          const v = args[a++];
          s = typeof v === "bigint" ? `${v}n` : typeof v === "symbol" ? "NaN" : formatNumber(parseInt(v));
          break;
        }
        case "f": {
          const v = args[a++];
          s = typeof v === "symbol" ? "NaN" : formatNumber(parseFloat(v));
          break;
        }
        case "j":
          try {
            s = JSON.stringify(args[a++]);
          } catch (e) {
            s = "[Circular]";
          }
          break;
        case "o":
          s = inspect(args[a++], { depth: 4, showHidden: true });
          break;
        case "O":
          s = inspect(args[a++]);
          break;
        case "c":
          a++;
          s = "";
          break;
        case "%":
          out += first.slice(last, i) + "%";
          last = i + 2;
          i++;
          continue;
        default:
          i++;
          continue;
      }
      out += first.slice(last, i) + s;
      last = i + 2;
      i++;
    }
    out += first.slice(last);
  } else {
    a = 0;
  }
  for (; a < args.length; a++) {
    const v = args[a];
    if (out !== "" || a > 0) out += " ";
    out += typeof v === "string" ? v : inspect(v);
  }
  return out;
}

// ---------------------------------------------------------------------------
// console

function makeConsole() {
  const log = (level) => (...args) => native.log(level, format(...args));
  const counts = new Map();
  const timers = new Map();
  return {
    log: log("info"),
    info: log("info"),
    debug: log("debug"),
    warn: log("warn"),
    error: log("error"),
    trace(...args) {
      const err = new Error(format(...args));
      const stack = typeof err.stack === "string" ? err.stack.replace(/\n+$/, "") : "";
      native.log("error", "Trace" + (err.message ? ": " + err.message : "") + (stack ? "\n" + stack.replace(/^\w*Error[^\n]*\n?/, "") : ""));
    },
    assert(condition, ...args) {
      if (condition) return;
      native.log("error", args.length ? "Assertion failed: " + format(...args) : "Assertion failed");
    },
    dir(value, options = undefined) {
      native.log("info", inspect(value, options));
    },
    count(label = "default") {
      const n = (counts.get(label) ?? 0) + 1;
      counts.set(label, n);
      native.log("info", `${label}: ${n}`);
    },
    countReset(label = "default") {
      counts.delete(label);
    },
    time(label = "default") {
      timers.set(String(label), native.now());
    },
    timeLog(label = "default", ...args) {
      const t = timers.get(String(label));
      if (t === undefined) return native.log("warn", `No such label '${label}' for console.timeLog()`);
      native.log("info", `${label}: ${(native.now() - t).toFixed(3)}ms` + (args.length ? " " + format(...args) : ""));
    },
    timeEnd(label = "default") {
      const t = timers.get(String(label));
      if (t === undefined) return native.log("warn", `No such label '${label}' for console.timeEnd()`);
      timers.delete(String(label));
      native.log("info", `${label}: ${(native.now() - t).toFixed(3)}ms`);
    },
  };
}

function queueMicrotaskImpl(callback) {
  if (typeof callback !== "function") throw new TypeError("The \"callback\" argument must be of type function");
  Promise.resolve().then(() => {
    try {
      callback();
    } catch (err) {
      native.log("error", "Uncaught exception in queueMicrotask callback: " + inspect(err));
    }
  });
}

// ---------------------------------------------------------------------------
// V8's stack-trace API: Error.captureStackTrace(obj, fn), prepareStackTrace
// and stackTraceLimit, which npm packages call (depd, and through it
// http-errors, body-parser, send, express-session; http-errors on every
// error it makes). QuickJS records an Error's stack as text when the Error
// is made; captureStackTrace makes one and works from its lines
// ("    at name (file:line:col)", "    at name (native)"). Ordinary errors'
// stacks stay QuickJS's own: prepareStackTrace is applied only here.

const FRAME_LINE = /^\s*at (.*?)(?: \((.*)\))?$/;
const FRAME_LOCATION = /^(.*):(\d+):(\d+)$/;

/** One frame, as V8's CallSite objects describe it (what can be read from QuickJS's text). */
class CallSite {
  #name;
  #file;
  #line;
  #column;
  #native;

  constructor(text) {
    const m = FRAME_LINE.exec(text);
    let name = m ? m[1] : text.trim();
    let location = m ? m[2] : undefined;
    if (location === undefined && FRAME_LOCATION.test(name)) {
      location = name;  // a frame with no function name (QuickJS's parse-error level)
      name = "";
    }
    this.#name = name === "" || name === "<anonymous>" ? null : name;
    this.#native = location === "native";
    const loc = location !== undefined && !this.#native ? FRAME_LOCATION.exec(location) : null;
    this.#file = loc ? loc[1] : location !== undefined && !this.#native ? location : null;
    this.#line = loc ? Number(loc[2]) : null;
    this.#column = loc ? Number(loc[3]) : null;
  }

  getThis() { return undefined; }
  getTypeName() { return null; }
  getFunction() { return undefined; }
  getFunctionName() { return this.#name; }
  getMethodName() { return null; }
  getFileName() { return this.#file; }
  getLineNumber() { return this.#line; }
  getColumnNumber() { return this.#column; }
  getEvalOrigin() { return undefined; }
  getScriptNameOrSourceURL() { return this.#file; }
  getPromiseIndex() { return null; }
  isToplevel() { return this.#name === null; }
  isEval() { return false; }
  isNative() { return this.#native; }
  isConstructor() { return false; }
  isAsync() { return false; }
  isPromiseAll() { return false; }

  toString() {
    const where = this.#native ? "native"
      : this.#file === null ? "<anonymous>"
      : this.#line === null ? this.#file : `${this.#file}:${this.#line}:${this.#column}`;
    return this.#name === null ? where : `${this.#name} (${where})`;
  }
}

/** The header V8 puts above the frames: the object as Error.prototype.toString would show it. */
function stackHeader(obj) {
  try {
    const name = obj.name === undefined ? "Error" : String(obj.name);
    const message = obj.message === undefined ? "" : String(obj.message);
    if (name === "") return message;
    return message === "" ? name : `${name}: ${message}`;
  } catch {
    return "Error";
  }
}

/** The frame lines above the caller of captureStackTrace. */
function currentFrames() {
  // Under V8 (the test harness) a prepareStackTrace would turn this stack
  // into call sites and stackTraceLimit would cut it; QuickJS has neither.
  const prepare = Error.prepareStackTrace;
  const limit = Error.stackTraceLimit;
  if (prepare !== undefined) Error.prepareStackTrace = undefined;
  Error.stackTraceLimit = Infinity;
  let text;
  try {
    text = new Error().stack;
  } finally {
    if (prepare !== undefined) Error.prepareStackTrace = prepare;
    Error.stackTraceLimit = limit;
  }
  if (typeof text !== "string") return [];
  // Frame lines only (V8 puts the message first), less currentFrames' and captureStackTrace's own.
  return text.split("\n").filter((line) => /^\s*at /.test(line)).slice(2);
}

function frameName(line) {
  const m = FRAME_LINE.exec(line);
  return m && m[2] !== undefined ? m[1] : null;
}

/** `stack` as V8 makes it: text (or what prepareStackTrace returns) worked out when first read. */
function formatStack(target, frames) {
  const prepare = Error.prepareStackTrace;
  if (typeof prepare === "function") return prepare(target, frames.map((line) => new CallSite(line)));
  const header = stackHeader(target);
  return frames.length === 0 ? header : `${header}\n${frames.join("\n")}`;
}

function captureStackTrace(targetObject, constructorOpt = undefined) {
  if (targetObject === null || (typeof targetObject !== "object" && typeof targetObject !== "function")) {
    throw new TypeError("invalid_argument");  // V8's own message
  }
  const limit = Error.stackTraceLimit;
  const define = (value) => Object.defineProperty(targetObject, "stack", { value, writable: true, enumerable: false, configurable: true });
  if (typeof limit !== "number") {
    define(undefined);  // V8 records no stack then
    return;
  }
  let frames = limit > 0 ? currentFrames() : [];
  if (typeof constructorOpt === "function" && frames.length !== 0) {
    // QuickJS's text names functions, so frames are matched by the name:
    // everything up to the topmost call of `constructorOpt` goes, and if it
    // is not on the stack no frame is kept (as V8 does). Without a name
    // there is nothing to match: the frames are kept.
    const d = Object.getOwnPropertyDescriptor(constructorOpt, "name");
    const name = d !== undefined && typeof d.value === "string" ? d.value : "";
    if (name !== "") {
      const at = frames.findIndex((line) => frameName(line) === name);
      frames = at === -1 ? [] : frames.slice(at + 1);
    }
  }
  frames = frames.slice(0, Math.max(0, limit));
  // As in V8 the text is made on first read, so a name or message set after
  // the capture (http-errors sets both) shows in its first line, and the
  // prepareStackTrace then in force is the one used (depd's).
  Object.defineProperty(targetObject, "stack", {
    get() {
      const value = formatStack(targetObject, frames);
      define(value);
      return value;
    },
    set(value) {
      define(value);
    },
    enumerable: false,
    configurable: true,
  });
}

if (typeof Error.captureStackTrace !== "function") {
  Object.defineProperty(Error, "captureStackTrace", { value: captureStackTrace, writable: true, enumerable: false, configurable: true });
}
if (!("stackTraceLimit" in Error)) Error.stackTraceLimit = 10;

// ---------------------------------------------------------------------------
// Install

function install(name, value) {
  if (name in globalThis) return;
  Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });
}

const consoleObject = makeConsole();

install("DOMException", DOMExceptionImpl);
install("TextEncoder", TextEncoder);
install("TextDecoder", TextDecoder);
install("URL", URL);
install("URLSearchParams", URLSearchParams);
install("crypto", cryptoObject);
install("console", consoleObject);
install("queueMicrotask", queueMicrotaskImpl);
install("global", globalThis);

// Node globals, backed by hbf:node_buffer, hbf:node_process and
// hbf:node_timers. Those shims cost more to evaluate than everything else a
// worker loads, so each global is an accessor until first read (or written):
// then its module is evaluated and the accessor replaced by a plain data
// property, as the eager install would have made it.
function installLazy(name, load) {
  if (name in globalThis) return;
  const settle = (value) => {
    Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });
    return value;
  };
  Object.defineProperty(globalThis, name, {
    get() { return settle(load()); },
    set(value) { settle(value); },
    configurable: true,
    enumerable: false,
  });
}
const timers = () => native.loadBuiltin("hbf:node_timers");
// A global `require` for the tenant's ES modules (Node has none in ESM; hbf
// offers one for convenience): bare and "node:" specifiers work from any
// module; relative ones resolve from _system/ (the router's directory).
installLazy("require", () => native.loadBuiltin("hbf:modules").requireFrom("_system/router.js"));
installLazy("Buffer", () => native.loadBuiltin("hbf:node_buffer").Buffer);
installLazy("process", () => native.loadBuiltin("hbf:node_process").default);
for (const name of ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "setImmediate", "clearImmediate"]) {
  installLazy(name, () => timers()[name]);
}
// Web globals Node has, each in its own built-in, loaded on first use.
installLazy("atob", () => native.loadBuiltin("hbf:node_buffer").atob);
installLazy("btoa", () => native.loadBuiltin("hbf:node_buffer").btoa);
installLazy("structuredClone", () => native.loadBuiltin("hbf:web_clone").structuredClone);
installLazy("performance", () => native.loadBuiltin("hbf:node_perf_hooks").performance);
for (const name of ["Event", "EventTarget", "CustomEvent", "AbortController", "AbortSignal"]) {
  installLazy(name, () => native.loadBuiltin("hbf:web_events")[name]);
}

// The implementations themselves (the globals may be the host's own, e.g. under Node).
export {
  DOMExceptionImpl as DOMException, TextEncoder, TextDecoder, URL, URLSearchParams,
  cryptoObject as crypto, consoleObject as console, queueMicrotaskImpl as queueMicrotask, captureStackTrace, CallSite,
};
