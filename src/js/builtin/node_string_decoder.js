// hbf:node_string_decoder — Node's `string_decoder`: decodes a stream of
// Buffers into strings without splitting multi-byte characters (utf8,
// utf16le/ucs2, base64/base64url keep incomplete input for the next write).

import { Buffer, normalizeEncoding } from "hbf:node_buffer";
import { nodeError, invalidArgType } from "hbf:node_errors";

function utf8IncompleteTail(bytes) {
  const len = bytes.length;
  for (let i = len - 1; i >= 0 && i >= len - 3; i--) {
    const b = bytes[i];
    if ((b & 0xc0) === 0x80) continue;
    const need = b >= 0xf0 && b <= 0xf4 ? 4 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xc2 && b <= 0xdf ? 2 : 1;
    return need > len - i ? len - i : 0;
  }
  return 0;
}

function concat(a, b) {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

// A function constructor, as Node's: iconv-lite (under raw-body and
// body-parser) calls StringDecoder.call(this, enc) and shares its prototype.
export function StringDecoder(encoding) {
  const enc = normalizeEncoding(encoding);
  if (enc === undefined) throw nodeError(TypeError, "ERR_UNKNOWN_ENCODING", `Unknown encoding: ${encoding}`);
  this.encoding = enc;
  this._pending = new Uint8Array(0);
}

StringDecoder.prototype.write = function write(buf) {
  if (typeof buf === "string") return buf;
  if (!ArrayBuffer.isView(buf)) throw invalidArgType("buf", "an instance of Buffer, TypedArray, or DataView", buf);
  const bytes = concat(this._pending, new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
  let keep = 0;
  switch (this.encoding) {
    case "utf8":
      keep = utf8IncompleteTail(bytes);
      break;
    case "utf16le": {
      keep = bytes.length % 2;
      const end = bytes.length - keep;
      if (end >= 2) {
        const unit = bytes[end - 2] | (bytes[end - 1] << 8);
        if (unit >= 0xd800 && unit <= 0xdbff) keep += 2;
      }
      break;
    }
    case "base64":
    case "base64url":
      keep = bytes.length % 3;
      break;
    default:
      keep = 0;
  }
  this._pending = bytes.slice(bytes.length - keep);
  const body = bytes.subarray(0, bytes.length - keep);
  return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString(this.encoding);
};

StringDecoder.prototype.end = function end(buf) {
  let r = buf === undefined ? "" : this.write(buf);
  const rest = this._pending;
  this._pending = new Uint8Array(0);
  if (rest.length) {
    if (this.encoding === "utf8") r += "\ufffd";
    else if (this.encoding === "utf16le") r += Buffer.from(rest.subarray(0, rest.length - (rest.length % 2))).toString("utf16le");
    else r += Buffer.from(rest).toString(this.encoding);
  }
  return r;
};

StringDecoder.prototype.text = function text(buf, offset) {
  return this.write(buf.subarray ? buf.subarray(offset) : buf.slice(offset));
};

Object.defineProperty(StringDecoder.prototype, "lastNeed", {
  get() { return this._pending.length ? 1 : 0; },
  configurable: true,
});

export default { StringDecoder };
