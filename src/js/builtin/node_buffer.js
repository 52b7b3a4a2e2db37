// hbf:node_buffer — Node's `buffer` module. `Buffer` is a Uint8Array subclass
// (as in Node: `Buffer.prototype` is the prototype of an internal
// `class FastBuffer extends Uint8Array`, so `buf instanceof Uint8Array`,
// `subarray()`/`slice()` share memory and typed-array methods return Buffers).
// Encodings: utf8/utf-8, hex, base64, base64url, latin1/binary, ascii,
// utf16le/ucs2 (hbf:node_buffer_encoding). Argument checks and error codes
// follow Node 20.

import native from "hbf:native";
import {
  nodeError, invalidArgType, outOfRange, validateNumber, validateString, inspectPrimitive, describeReceived,
} from "hbf:node_errors";
import {
  B64_DECODE, B64_STD, base64Bytes, base64Encode, byteLengthOf, decodeBytes, encodeString, hexString, latin1Bytes,
  latin1String, normalizeEncoding, unknownEncoding, utf8Bytes, utf8String,
} from "hbf:node_buffer_encoding";
import { bufferOutOfBounds, numberMethods } from "hbf:node_buffer_numbers";

const kMaxLength = 2 ** 32;
const kStringMaxLength = 2 ** 29 - 24;
const INSPECT_MAX_BYTES_DEFAULT = 50;
let INSPECT_MAX_BYTES = INSPECT_MAX_BYTES_DEFAULT;
const customInspect = Symbol.for("nodejs.util.inspect.custom");

class FastBuffer extends Uint8Array {
  // eslint-disable-next-line no-useless-constructor
  constructor(a, b, c) {
    super(a, b, c);
  }
}

// ---------------------------------------------------------------------------
// Construction

const isAnyArrayBuffer = (v) =>
  v instanceof ArrayBuffer || (typeof SharedArrayBuffer === "function" && v instanceof SharedArrayBuffer);

function fromString(string, encoding) {
  let enc;
  if (typeof encoding !== "string" || encoding.length === 0) {
    if (string.length === 0) return new FastBuffer();
    enc = "utf8";
  } else {
    enc = normalizeEncoding(encoding);
    if (enc === undefined) throw unknownEncoding(encoding);
  }
  const bytes = encodeString(string, enc);
  return new FastBuffer(bytes.buffer, bytes.byteOffset, bytes.length);
}

function fromArrayBuffer(obj, byteOffset, length) {
  if (byteOffset === undefined) {
    byteOffset = 0;
  } else {
    byteOffset = +byteOffset;
    if (Number.isNaN(byteOffset)) byteOffset = 0;
  }
  const maxLength = obj.byteLength - byteOffset;
  if (maxLength < 0) throw bufferOutOfBounds("offset");
  if (length === undefined) {
    length = maxLength;
  } else {
    length = +length;
    if (length > 0) {
      if (length > maxLength) throw bufferOutOfBounds("length");
    } else {
      length = 0;
    }
  }
  return new FastBuffer(obj, byteOffset, length);
}

function fromArrayLike(obj) {
  if (obj.length <= 0) return new FastBuffer();
  const b = new FastBuffer(obj.length);
  for (let i = 0; i < obj.length; i++) b[i] = obj[i];
  return b;
}

function fromObject(obj) {
  if (obj.length !== undefined || isAnyArrayBuffer(obj.buffer)) {
    if (typeof obj.length !== "number") return new FastBuffer();
    if (obj instanceof Uint8Array) {
      const b = new FastBuffer(obj.length);
      b.set(obj);
      return b;
    }
    return fromArrayLike(obj);
  }
  if (obj.type === "Buffer" && Array.isArray(obj.data)) return fromArrayLike(obj.data);
  return undefined;
}

function assertSize(size) {
  validateNumber(size, "size", 0, kMaxLength);
}

/**
 * Buffer(arg, encodingOrOffset, length): callable with or without `new` (the
 * deprecated Node API, also what typed-array methods call through @@species).
 */
export function Buffer(arg, encodingOrOffset, length) {
  if (typeof arg === "number") {
    if (typeof encodingOrOffset === "string") throw invalidArgType("string", "of type string", arg);
    return Buffer.alloc(arg);
  }
  return Buffer.from(arg, encodingOrOffset, length);
}

Object.defineProperty(Buffer, "prototype", { value: FastBuffer.prototype, writable: false, enumerable: false, configurable: false });
Object.defineProperty(FastBuffer.prototype, "constructor", { value: Buffer, writable: true, enumerable: false, configurable: true });
Object.setPrototypeOf(Buffer, Uint8Array);

Buffer.poolSize = 8 * 1024;

Buffer.from = function from(value, encodingOrOffset, length) {
  if (typeof value === "string") return fromString(value, encodingOrOffset);
  if (typeof value === "object" && value !== null) {
    if (isAnyArrayBuffer(value)) return fromArrayBuffer(value, encodingOrOffset, length);
    const valueOf = value.valueOf && value.valueOf();
    if (valueOf != null && valueOf !== value && (typeof valueOf === "string" || typeof valueOf === "object")) {
      return from(valueOf, encodingOrOffset, length);
    }
    const b = fromObject(value);
    if (b) return b;
    if (typeof value[Symbol.toPrimitive] === "function") {
      const primitive = value[Symbol.toPrimitive]("string");
      if (typeof primitive === "string") return fromString(primitive, encodingOrOffset);
    }
  }
  throw invalidArgType("first argument",
    "of type string or an instance of Buffer, ArrayBuffer, or Array or an Array-like Object", value);
};

Buffer.copyBytesFrom = function copyBytesFrom(view, offset, length) {
  if (!ArrayBuffer.isView(view) || view instanceof DataView) {
    throw invalidArgType("view", "an instance of TypedArray", view);
  }
  const viewLength = view.length;
  if (viewLength === 0) return Buffer.alloc(0);
  if (offset !== undefined || length !== undefined) {
    if (offset !== undefined) {
      validateInteger(offset, "offset", 0);
      if (offset >= viewLength) return Buffer.alloc(0);
    } else {
      offset = 0;
    }
    let end;
    if (length !== undefined) {
      validateInteger(length, "length", 0);
      end = offset + length;
    } else {
      end = viewLength;
    }
    view = view.subarray(offset, end);
  }
  const src = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  const out = new FastBuffer(src.length);
  out.set(src);
  return out;
};

function validateInteger(value, name, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER) {
  if (typeof value !== "number") throw invalidArgType(name, "of type number", value);
  if (!Number.isInteger(value)) throw outOfRange(name, "an integer", value);
  if (value < min || value > max) throw outOfRange(name, `>= ${min} && <= ${max}`, value);
}

Buffer.of = function of(...items) {
  const b = new FastBuffer(items.length);
  for (let i = 0; i < items.length; i++) b[i] = items[i];
  return b;
};

Buffer.alloc = function alloc(size, fill, encoding) {
  assertSize(size);
  if (fill !== undefined && fill !== 0 && size > 0) {
    const buf = new FastBuffer(size);
    return _fill(buf, fill, 0, buf.length, encoding);
  }
  return new FastBuffer(size);
};

Buffer.allocUnsafe = function allocUnsafe(size) {
  assertSize(size);
  return new FastBuffer(size);
};

Buffer.allocUnsafeSlow = function allocUnsafeSlow(size) {
  assertSize(size);
  return new FastBuffer(size);
};

export function SlowBuffer(size) {
  assertSize(size);
  return new FastBuffer(size);
}
Object.setPrototypeOf(SlowBuffer.prototype, Uint8Array.prototype);
Object.setPrototypeOf(SlowBuffer, Uint8Array);

Buffer.isBuffer = function isBuffer(b) {
  return b instanceof Buffer;
};

Buffer.compare = function compare(buf1, buf2) {
  if (!(buf1 instanceof Uint8Array)) throw invalidArgType("buf1", "an instance of Buffer or Uint8Array", buf1);
  if (!(buf2 instanceof Uint8Array)) throw invalidArgType("buf2", "an instance of Buffer or Uint8Array", buf2);
  if (buf1 === buf2) return 0;
  return compareBytes(buf1, 0, buf1.length, buf2, 0, buf2.length);
};

Buffer.isEncoding = function isEncoding(encoding) {
  return typeof encoding === "string" && encoding.length !== 0 && normalizeEncoding(encoding) !== undefined;
};

Buffer.byteLength = function byteLength(string, encoding) {
  if (typeof string !== "string") {
    if (ArrayBuffer.isView(string) || isAnyArrayBuffer(string)) return string.byteLength;
    throw invalidArgType("string", "of type string or an instance of Buffer or ArrayBuffer", string);
  }
  const len = string.length;
  if (len === 0) return 0;
  const enc = typeof encoding === "string" ? normalizeEncoding(encoding) : "utf8";
  return byteLengthOf(string, enc ?? "utf8");
};

Buffer.concat = function concat(list, length) {
  if (!Array.isArray(list)) throw invalidArgType("list", "an instance of Array", list);
  if (list.length === 0) return new FastBuffer();
  if (length === undefined) {
    length = 0;
    for (let i = 0; i < list.length; i++) {
      if (list[i].length) length += list[i].length;
    }
  } else {
    validateOffset(length, "length");
  }
  const buffer = Buffer.allocUnsafe(length);
  let pos = 0;
  for (let i = 0; i < list.length; i++) {
    const buf = list[i];
    if (!(buf instanceof Uint8Array)) {
      throw invalidArgType(`list[${i}]`, "an instance of Buffer or Uint8Array", list[i]);
    }
    pos += copyActual(buf, buffer, pos, 0, buf.length);
  }
  if (pos < length) buffer.fill(0, pos, length);
  return buffer;
};

function validateOffset(value, name, min = 0, max = kMaxLength) {
  if (typeof value !== "number") throw invalidArgType(name, "of type number", value);
  if (!Number.isInteger(value)) throw outOfRange(name, "an integer", value);
  if (value < min || value > max) throw outOfRange(name, `>= ${min} && <= ${max}`, value);
}

// ---------------------------------------------------------------------------
// Prototype

const proto = Buffer.prototype;

function defineMethods(target, methods) {
  for (const name of Reflect.ownKeys(methods)) {
    Object.defineProperty(target, name, { value: methods[name], writable: true, enumerable: false, configurable: true });
  }
}

function compareBytes(a, aStart, aEnd, b, bStart, bEnd) {
  const aLen = aEnd - aStart;
  const bLen = bEnd - bStart;
  const n = Math.min(aLen, bLen);
  for (let i = 0; i < n; i++) {
    const x = a[aStart + i];
    const y = b[bStart + i];
    if (x !== y) return x < y ? -1 : 1;
  }
  return aLen < bLen ? -1 : aLen > bLen ? 1 : 0;
}

function adjustOffset(offset, length) {
  offset = Math.trunc(offset);
  if (offset === 0 || Number.isNaN(offset)) return 0;
  if (offset < 0) {
    offset += length;
    return offset > 0 ? offset : 0;
  }
  if (offset < length) return offset;
  return length;
}

function toInteger(n, defaultVal) {
  n = +n;
  if (!Number.isNaN(n) && n >= Number.MIN_SAFE_INTEGER && n <= Number.MAX_SAFE_INTEGER) {
    return n % 1 === 0 ? n : Math.floor(n);
  }
  return defaultVal;
}

function copyActual(source, target, targetStart, sourceStart, sourceEnd) {
  if (sourceEnd - sourceStart > target.length - targetStart) sourceEnd = sourceStart + target.length - targetStart;
  let nb = sourceEnd - sourceStart;
  const sourceLen = source.length - sourceStart;
  if (nb > sourceLen) nb = sourceLen;
  if (nb <= 0) return 0;
  if (sourceStart !== 0 || sourceEnd < source.length) source = new Uint8Array(source.buffer, source.byteOffset + sourceStart, nb);
  target.set(source, targetStart);
  return nb;
}

function bytesOfFillValue(value, encoding) {
  if (typeof value === "string") return encodeString(value, encoding);
  if (value instanceof Uint8Array) return value;
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  return null;
}

function _fill(buf, value, offset, end, encoding) {
  let enc;
  if (typeof value === "string") {
    if (offset === undefined || typeof offset === "string") {
      encoding = offset;
      offset = 0;
      end = buf.length;
    } else if (typeof end === "string") {
      encoding = end;
      end = buf.length;
    }
    enc = normalizeEncoding(encoding);
    if (enc === undefined) {
      validateString(encoding, "encoding");
      throw unknownEncoding(encoding);
    }
    if (value.length === 0) {
      value = 0;
    } else if (value.length === 1) {
      if (enc === "utf8") {
        const code = value.charCodeAt(0);
        if (code < 128) value = code;
      } else if (enc === "latin1") {
        value = value.charCodeAt(0);
      }
    }
  }
  if (offset === undefined) {
    offset = 0;
    end = buf.length;
  } else {
    validateOffset(offset, "offset");
    if (end === undefined) end = buf.length;
    else validateOffset(end, "end", 0, buf.length);
    if (offset >= end) return buf;
  }
  if (typeof value === "number") {
    if (offset > end || end - offset + offset > buf.byteLength) throw bufferOutOfBounds();
    Uint8Array.prototype.fill.call(buf, value, offset, end);
    return buf;
  }
  const bytes = bytesOfFillValue(value, enc);
  if (bytes === null) {
    Uint8Array.prototype.fill.call(buf, (Number(value) >>> 0) & 255, offset, end);
    return buf;
  }
  if (end > buf.length) throw bufferOutOfBounds();
  if (bytes.length >= end - offset) {
    buf.set(bytes.subarray(0, end - offset), offset);
    return buf;
  }
  if (bytes.length === 0) {
    const shown = typeof value === "string" ? inspectPrimitive(value)
      : typeof value[customInspect] === "function" ? value[customInspect]() : describeReceived(value);
    throw nodeError(TypeError, "ERR_INVALID_ARG_VALUE", `The argument 'value' is invalid. Received ${shown}`);
  }
  const pattern = bytes.buffer === buf.buffer ? bytes.slice() : bytes;
  for (let i = offset; i < end; i += pattern.length) {
    const n = Math.min(pattern.length, end - i);
    buf.set(n === pattern.length ? pattern : pattern.subarray(0, n), i);
  }
  return buf;
}

function indexOfOffset(length, offset, needleLength, isForward) {
  if (offset < 0) {
    if (offset + length >= 0) return length + offset;
    if (isForward || needleLength === 0) return 0;
    return -1;
  }
  if (offset + needleLength <= length) return offset;
  if (needleLength === 0) return length;
  if (isForward) return -1;
  return length - 1;
}

function searchBytes(hay, needle, offset, isForward) {
  const hl = hay.length;
  const nl = needle.length;
  let pos = indexOfOffset(hl, offset, nl, isForward);
  if (nl === 0) return pos;
  if (hl === 0 || pos <= -1) return -1;
  if ((isForward && hl < pos + nl) || nl > hl) return -1;
  const first = needle[0];
  if (isForward) {
    for (let i = pos; i <= hl - nl; i++) {
      if (hay[i] !== first) continue;
      let k = 1;
      while (k < nl && hay[i + k] === needle[k]) k++;
      if (k === nl) return i;
    }
    return -1;
  }
  if (pos > hl - nl) pos = hl - nl;
  for (let i = pos; i >= 0; i--) {
    if (hay[i] !== first) continue;
    let k = 1;
    while (k < nl && hay[i + k] === needle[k]) k++;
    if (k === nl) return i;
  }
  return -1;
}

function bidirectionalIndexOf(buffer, val, byteOffset, encoding, dir) {
  if (!(buffer instanceof Uint8Array)) throw invalidArgType("buffer", "an instance of Buffer, TypedArray, or DataView", buffer);
  if (typeof byteOffset === "string") {
    encoding = byteOffset;
    byteOffset = undefined;
  } else if (byteOffset > 0x7fffffff) {
    byteOffset = 0x7fffffff;
  } else if (byteOffset < -0x80000000) {
    byteOffset = -0x80000000;
  }
  byteOffset = +byteOffset;
  if (Number.isNaN(byteOffset)) byteOffset = dir ? 0 : buffer.length || buffer.byteLength;
  byteOffset = Math.trunc(byteOffset);
  if (typeof val === "number") {
    const needle = (val >>> 0) & 255;
    const pos = indexOfOffset(buffer.length, byteOffset, 1, dir);
    if (pos <= -1 || buffer.length === 0) return -1;
    if (dir) return Uint8Array.prototype.indexOf.call(buffer, needle, pos);
    return Uint8Array.prototype.lastIndexOf.call(buffer, needle, pos);
  }
  const enc = encoding === undefined ? "utf8" : normalizeEncoding(encoding);
  if (typeof val === "string") {
    if (enc === undefined) throw unknownEncoding(encoding);
    return searchBytes(buffer, encodeString(val, enc), byteOffset, dir);
  }
  if (val instanceof Uint8Array) return searchBytes(buffer, val, byteOffset, dir);
  throw invalidArgType("value", "one of type number or string or an instance of Buffer or Uint8Array", val);
}

function swap(buf, size) {
  const len = buf.length;
  if (len % size !== 0) {
    throw nodeError(RangeError, "ERR_INVALID_BUFFER_SIZE", `Buffer size must be a multiple of ${size * 8}-bits`);
  }
  for (let i = 0; i < len; i += size) {
    for (let a = i, b = i + size - 1; a < b; a++, b--) {
      const t = buf[a];
      buf[a] = buf[b];
      buf[b] = t;
    }
  }
  return buf;
}

function sliceToString(buf, enc, start, end) {
  return decodeBytes(new Uint8Array(buf.buffer, buf.byteOffset + start, end - start), enc);
}

function writeString(buf, string, offset, length, enc) {
  if (typeof string !== "string") throw invalidArgType("argument", "of type string", string);
  if (length <= 0 || offset >= buf.length) return 0;
  let bytes;
  if (enc === "utf8") {
    bytes = utf8Bytes(string);
    if (bytes.length > length) {
      // Only whole characters are written.
      let n = length;
      while (n > 0 && (bytes[n] & 0xc0) === 0x80) n--;
      bytes = bytes.subarray(0, n);
    }
  } else {
    bytes = encodeString(string, enc);
    if (enc === "utf16le" && bytes.length > length) bytes = bytes.subarray(0, length & ~1);
    else if (bytes.length > length) bytes = bytes.subarray(0, length);
  }
  buf.set(bytes, offset);
  return bytes.length;
}

defineMethods(proto, {
  toString(encoding, start, end) {
    if (arguments.length === 0) return utf8String(new Uint8Array(this.buffer, this.byteOffset, this.length));
    const len = this.length;
    if (start <= 0) start = 0;
    else if (start >= len) return "";
    else start = Math.trunc(start) || 0;
    if (end === undefined || end > len) end = len;
    else end = Math.trunc(end) || 0;
    if (end <= start) return "";
    if (encoding === undefined) return sliceToString(this, "utf8", start, end);
    const enc = normalizeEncoding(encoding);
    if (enc === undefined) throw unknownEncoding(encoding);
    return sliceToString(this, enc, start, end);
  },
  toLocaleString(encoding, start, end) {
    return proto.toString.apply(this, arguments);
  },
  equals(otherBuffer) {
    if (!(otherBuffer instanceof Uint8Array)) throw invalidArgType("otherBuffer", "an instance of Buffer or Uint8Array", otherBuffer);
    if (this === otherBuffer) return true;
    if (this.byteLength !== otherBuffer.byteLength) return false;
    return compareBytes(this, 0, this.length, otherBuffer, 0, otherBuffer.length) === 0;
  },
  compare(target, targetStart, targetEnd, sourceStart, sourceEnd) {
    if (!(target instanceof Uint8Array)) throw invalidArgType("target", "an instance of Buffer or Uint8Array", target);
    if (arguments.length === 1) return compareBytes(this, 0, this.length, target, 0, target.length);
    if (targetStart === undefined) targetStart = 0;
    else validateOffset(targetStart, "targetStart");
    if (targetEnd === undefined) targetEnd = target.length;
    else validateOffset(targetEnd, "targetEnd", 0, target.length);
    if (sourceStart === undefined) sourceStart = 0;
    else validateOffset(sourceStart, "sourceStart");
    if (sourceEnd === undefined) sourceEnd = this.length;
    else validateOffset(sourceEnd, "sourceEnd", 0, this.length);
    if (sourceStart >= sourceEnd) return targetStart >= targetEnd ? 0 : -1;
    if (targetStart >= targetEnd) return 1;
    return compareBytes(this, sourceStart, sourceEnd, target, targetStart, targetEnd);
  },
  copy(target, targetStart, sourceStart, sourceEnd) {
    const source = this;
    if (!(source instanceof Uint8Array)) throw invalidArgType("source", "an instance of Buffer or Uint8Array", source);
    if (!(target instanceof Uint8Array)) throw invalidArgType("target", "an instance of Buffer or Uint8Array", target);
    if (targetStart === undefined) {
      targetStart = 0;
    } else {
      targetStart = toInteger(targetStart, 0);
      if (targetStart < 0) throw outOfRange("targetStart", ">= 0", targetStart);
    }
    if (sourceStart === undefined) {
      sourceStart = 0;
    } else {
      sourceStart = toInteger(sourceStart, 0);
      if (sourceStart < 0 || sourceStart > source.length) throw outOfRange("sourceStart", `>= 0 && <= ${source.length}`, sourceStart);
    }
    if (sourceEnd === undefined) {
      sourceEnd = source.length;
    } else {
      sourceEnd = toInteger(sourceEnd, 0);
      if (sourceEnd < 0) throw outOfRange("sourceEnd", ">= 0", sourceEnd);
    }
    if (targetStart >= target.length || sourceStart >= sourceEnd) return 0;
    return copyActual(source, target, targetStart, sourceStart, sourceEnd);
  },
  fill(value, offset, end, encoding) {
    return _fill(this, value, offset, end, encoding);
  },
  indexOf(val, byteOffset, encoding) {
    return bidirectionalIndexOf(this, val, byteOffset, encoding, true);
  },
  lastIndexOf(val, byteOffset, encoding) {
    return bidirectionalIndexOf(this, val, byteOffset, encoding, false);
  },
  includes(val, byteOffset, encoding) {
    return this.indexOf(val, byteOffset, encoding) !== -1;
  },
  slice(start, end) {
    const srcLength = this.length;
    start = adjustOffset(start, srcLength);
    end = end !== undefined ? adjustOffset(end, srcLength) : srcLength;
    const newLength = end > start ? end - start : 0;
    return new FastBuffer(this.buffer, this.byteOffset + start, newLength);
  },
  write(string, offset, length, encoding) {
    if (offset === undefined) return writeString(this, string, 0, this.length, "utf8");
    if (length === undefined && typeof offset === "string") {
      encoding = offset;
      length = this.length;
      offset = 0;
    } else {
      validateOffset(offset, "offset", 0, this.length);
      const remaining = this.length - offset;
      if (length === undefined) {
        length = remaining;
      } else if (typeof length === "string") {
        encoding = length;
        length = remaining;
      } else {
        validateOffset(length, "length", 0, this.length);
        if (length > remaining) length = remaining;
      }
    }
    if (!encoding) return writeString(this, string, offset, length, "utf8");
    const enc = normalizeEncoding(encoding);
    if (enc === undefined) throw unknownEncoding(encoding);
    return writeString(this, string, offset, length, enc);
  },
  toJSON() {
    if (this.length > 0) {
      const data = new Array(this.length);
      for (let i = 0; i < this.length; ++i) data[i] = this[i];
      return { type: "Buffer", data };
    }
    return { type: "Buffer", data: [] };
  },
  swap16() {
    return swap(this, 2);
  },
  swap32() {
    return swap(this, 4);
  },
  swap64() {
    return swap(this, 8);
  },
  ...numberMethods,
  [customInspect](recurseTimes, ctx) {
    const max = INSPECT_MAX_BYTES;
    const actualMax = Math.min(max, this.length);
    const remaining = this.length - max;
    let str = hexString(new Uint8Array(this.buffer, this.byteOffset, actualMax)).replace(/(.{2})/g, "$1 ").trim();
    if (remaining > 0) str += ` ... ${remaining} more byte${remaining > 1 ? "s" : ""}`;
    return `<${this.constructor.name} ${str}>`;
  },
});

// Lower-case aliases (readUint8, writeUint16LE, ...), as Node has.
for (const name of Object.getOwnPropertyNames(proto)) {
  if (/^(read|write)(UInt|BigUInt)/.test(name)) {
    const alias = name.replace("UInt", "Uint");
    defineMethods(proto, { [alias]: proto[name] });
  }
}

// The encoding-specific methods some packages call directly (buf.utf8Write, buf.hexSlice, ...).
for (const [prefix, enc] of [["utf8", "utf8"], ["latin1", "latin1"], ["ascii", "ascii"], ["hex", "hex"], ["base64", "base64"],
  ["base64url", "base64url"], ["ucs2", "utf16le"]]) {
  defineMethods(proto, {
    [`${prefix}Slice`](start = 0, end = this.length) {
      start = Math.max(0, Math.min(start, this.length));
      end = Math.max(start, Math.min(end, this.length));
      return sliceToString(this, enc, start, end);
    },
    [`${prefix}Write`](string, offset = 0, length = this.length - offset) {
      return writeString(this, string, offset, Math.min(length, this.length - offset), enc);
    },
  });
}

Object.defineProperty(proto, "parent", {
  get() {
    return this instanceof Buffer ? this.buffer : undefined;
  },
  enumerable: true,
  configurable: true,
});
Object.defineProperty(proto, "offset", {
  get() {
    return this instanceof Buffer ? this.byteOffset : undefined;
  },
  enumerable: true,
  configurable: true,
});

// ---------------------------------------------------------------------------
// Module-level functions

function invalidCharacterError(message) {
  const D = globalThis.DOMException;
  if (typeof D === "function") return new D(message, "InvalidCharacterError");
  const err = new Error(message);
  err.name = "InvalidCharacterError";
  return err;
}

export function btoa(input) {
  if (arguments.length === 0) throw nodeError(TypeError, "ERR_MISSING_ARGS", 'The "input" argument must be specified');
  input = `${input}`;
  for (let i = 0; i < input.length; i++) {
    if (input.charCodeAt(i) > 0xff) throw invalidCharacterError("Invalid character");
  }
  return base64Encode(latin1Bytes(input), B64_STD, true);
}

export function atob(input) {
  if (arguments.length === 0) throw nodeError(TypeError, "ERR_MISSING_ARGS", 'The "input" argument must be specified');
  input = `${input}`;
  let nonWhitespace = 0;
  let equals = 0;
  for (let n = 0; n < input.length; n++) {
    const c = input.charCodeAt(n);
    if (c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d || c === 0x20) continue;
    if (c === 0x3d) {
      nonWhitespace++;
      equals++;
      if (equals > 2) throw invalidCharacterError("Invalid character");
      continue;
    }
    if (c > 0x7f || (B64_DECODE[c] === -1 || c === 0x2d || c === 0x5f)) throw invalidCharacterError("Invalid character");
    if (equals) throw invalidCharacterError("Invalid character");
    nonWhitespace++;
  }
  let reminder = nonWhitespace % 4;
  if (!reminder) reminder = (nonWhitespace - equals) % 4;
  else if (equals) throw invalidCharacterError("Invalid character");
  if (reminder === 1) throw invalidCharacterError("The string to be decoded is not correctly encoded.");
  return latin1String(base64Bytes(input));
}

export function isUtf8(input) {
  const bytes = input instanceof ArrayBuffer ? new Uint8Array(input)
    : ArrayBuffer.isView(input) ? new Uint8Array(input.buffer, input.byteOffset, input.byteLength) : null;
  if (bytes === null) throw invalidArgType("input", "an instance of ArrayBuffer, Buffer, or TypedArray", input);
  try {
    native.utf8Decode(bytes, true);
    return true;
  } catch {
    return false;
  }
}

export function isAscii(input) {
  const bytes = input instanceof ArrayBuffer ? new Uint8Array(input)
    : ArrayBuffer.isView(input) ? new Uint8Array(input.buffer, input.byteOffset, input.byteLength) : null;
  if (bytes === null) throw invalidArgType("input", "an instance of ArrayBuffer, Buffer, or TypedArray", input);
  for (let i = 0; i < bytes.length; i++) if (bytes[i] > 0x7f) return false;
  return true;
}

export function transcode(source, fromEnc, toEnc) {
  if (!(source instanceof Uint8Array)) throw invalidArgType("source", "an instance of Buffer or Uint8Array", source);
  const from = normalizeEncoding(fromEnc);
  const to = normalizeEncoding(toEnc);
  const ok = new Set(["utf8", "utf16le", "latin1", "ascii"]);
  if (!ok.has(from) || !ok.has(to)) {
    throw nodeError(Error, "U_ILLEGAL_ARGUMENT_ERROR", `Unable to transcode Buffer [U_ILLEGAL_ARGUMENT_ERROR]`);
  }
  let text = decodeBytes(source, from);
  if (to === "latin1" || to === "ascii") text = text.replace(/[^\x00-\xff]/gu, "?");
  return Buffer.from(text, to);
}

export const constants = Object.freeze({ MAX_LENGTH: kMaxLength, MAX_STRING_LENGTH: kStringMaxLength });

const bufferModule = {
  Buffer,
  SlowBuffer,
  transcode,
  isUtf8,
  isAscii,
  kMaxLength,
  kStringMaxLength,
  btoa,
  atob,
  constants,
  get INSPECT_MAX_BYTES() {
    return INSPECT_MAX_BYTES;
  },
  set INSPECT_MAX_BYTES(val) {
    validateNumber(val, "INSPECT_MAX_BYTES", 0);
    INSPECT_MAX_BYTES = val;
  },
};

export default bufferModule;
export { kMaxLength, kStringMaxLength, INSPECT_MAX_BYTES_DEFAULT as INSPECT_MAX_BYTES };
// (defined in hbf:node_buffer_encoding; exported here as before)
export { decodeBytes, encodeString, normalizeEncoding };
