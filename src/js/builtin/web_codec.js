// hbf:web_codec — DOMException and TextEncoder/TextDecoder (UTF-8 only),
// installed by hbf:bootstrap as globals that load this module on first use.

import native from "hbf:native";
import { toBytes, utf8Encode } from "hbf:web_text";

const EMPTY_BYTES = new Uint8Array(0);

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

