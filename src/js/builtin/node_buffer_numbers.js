// hbf:node_buffer_numbers — Buffer's methods that read and write numbers
// (readUInt8 ... writeBigInt64BE: 8 to 64 bits, signed or not, either byte
// order, floats, doubles and BigInts) with Node's bounds and range checks
// and error codes. hbf:node_buffer puts them on Buffer.prototype in their
// place among the others. Internal to hbf:node_buffer.

import { nodeError, invalidArgType, outOfRange, validateNumber } from "hbf:node_errors";

export function bufferOutOfBounds(name) {
  return nodeError(RangeError, "ERR_BUFFER_OUT_OF_BOUNDS",
    name ? `"${name}" is outside of buffer bounds` : "Attempt to access memory outside buffer bounds");
}

function boundsError(value, length, type) {
  if (Math.floor(value) !== value) {
    validateNumber(value, type ?? "offset");
    throw outOfRange(type || "offset", "an integer", value);
  }
  if (length < 0) throw bufferOutOfBounds();
  throw outOfRange(type || "offset", `>= ${type ? 1 : 0} and <= ${length}`, value);
}

function checkBounds(buf, offset, byteLength1) {
  validateNumber(offset, "offset");
  if (buf[offset] === undefined || buf[offset + byteLength1] === undefined) boundsError(offset, buf.length - (byteLength1 + 1));
}

function checkInt(value, min, max, buf, offset, byteLength1) {
  if (value > max || value < min) {
    const n = typeof min === "bigint" ? "n" : "";
    let range;
    if (byteLength1 > 3) {
      if (min === 0 || min === 0n) range = `>= 0${n} and < 2${n} ** ${(byteLength1 + 1) * 8}${n}`;
      else range = `>= -(2${n} ** ${(byteLength1 + 1) * 8 - 1}${n}) and < 2${n} ** ${(byteLength1 + 1) * 8 - 1}${n}`;
    } else {
      range = `>= ${min}${n} and <= ${max}${n}`;
    }
    throw outOfRange("value", range, value);
  }
  checkBounds(buf, offset, byteLength1);
}

function view(buf) {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

function readN(buf, offset, n, littleEndian, signed) {
  if (offset === undefined) offset = 0;
  validateNumber(offset, "offset");
  const first = buf[offset];
  const last = buf[offset + n - 1];
  if (first === undefined || last === undefined) boundsError(offset, buf.length - n);
  let v = 0;
  if (littleEndian) for (let i = n - 1; i >= 0; i--) v = v * 256 + buf[offset + i];
  else for (let i = 0; i < n; i++) v = v * 256 + buf[offset + i];
  if (signed && v >= 2 ** (8 * n - 1)) v -= 2 ** (8 * n);
  return v;
}

function writeN(buf, value, offset, n, littleEndian, signed) {
  if (offset === undefined) offset = 0;
  value = +value;
  const min = signed ? -(2 ** (8 * n - 1)) : 0;
  const max = signed ? 2 ** (8 * n - 1) - 1 : 2 ** (8 * n) - 1;
  if (n === 1) {
    validateNumber(offset, "offset");
    if (value > max || value < min) throw outOfRange("value", `>= ${min} and <= ${max}`, value);
    if (buf[offset] === undefined) boundsError(offset, buf.length - 1);
    buf[offset] = value;
    return offset + 1;
  }
  checkInt(value, min, max, buf, offset, n - 1);
  let v = Math.trunc(value);
  if (v < 0) v += 2 ** (8 * n);
  for (let i = 0; i < n; i++) {
    const byte = v % 256;
    v = Math.floor(v / 256);
    buf[littleEndian ? offset + i : offset + n - 1 - i] = byte;
  }
  return offset + n;
}

function readVar(buf, offset, byteLength, littleEndian, signed) {
  if (offset === undefined) throw invalidArgType("offset", "of type number", offset);
  if (typeof byteLength === "number" && byteLength >= 1 && byteLength <= 6 && Number.isInteger(byteLength)) {
    return readN(buf, offset, byteLength, littleEndian, signed);
  }
  return boundsError(byteLength, 6, "byteLength");
}

function writeVar(buf, value, offset, byteLength, littleEndian, signed) {
  if (typeof byteLength === "number" && byteLength >= 1 && byteLength <= 6 && Number.isInteger(byteLength)) {
    return writeN(buf, value, offset, byteLength, littleEndian, signed);
  }
  return boundsError(byteLength, 6, "byteLength");
}

function readFloat(buf, offset, size, littleEndian) {
  if (offset === undefined) offset = 0;
  validateNumber(offset, "offset");
  if (buf[offset] === undefined || buf[offset + size - 1] === undefined) boundsError(offset, buf.length - size);
  const dv = view(buf);
  return size === 4 ? dv.getFloat32(offset, littleEndian) : dv.getFloat64(offset, littleEndian);
}

function writeFloat(buf, value, offset, size, littleEndian) {
  if (offset === undefined) offset = 0;
  value = +value;
  checkBounds(buf, offset, size - 1);
  const dv = view(buf);
  if (size === 4) dv.setFloat32(offset, value, littleEndian);
  else dv.setFloat64(offset, value, littleEndian);
  return offset + size;
}

function readBig(buf, offset, littleEndian, signed) {
  if (offset === undefined) offset = 0;
  validateNumber(offset, "offset");
  if (buf[offset] === undefined || buf[offset + 7] === undefined) boundsError(offset, buf.length - 8);
  const dv = view(buf);
  return signed ? dv.getBigInt64(offset, littleEndian) : dv.getBigUint64(offset, littleEndian);
}

function writeBig(buf, value, offset, littleEndian, signed) {
  if (offset === undefined) offset = 0;
  const min = signed ? -(2n ** 63n) : 0n;
  const max = signed ? 2n ** 63n - 1n : 2n ** 64n - 1n;
  checkInt(value, min, max, buf, offset, 7);
  if (typeof value !== "bigint") throw new TypeError("Cannot mix BigInt and other types, use explicit conversions");
  const dv = view(buf);
  if (signed) dv.setBigInt64(offset, value, littleEndian);
  else dv.setBigUint64(offset, value, littleEndian);
  return offset + 8;
}

export const numberMethods = {
  readUInt8(offset = 0) {
    return readN(this, offset, 1, true, false);
  },
  readUInt16LE(offset = 0) {
    return readN(this, offset, 2, true, false);
  },
  readUInt16BE(offset = 0) {
    return readN(this, offset, 2, false, false);
  },
  readUInt32LE(offset = 0) {
    return readN(this, offset, 4, true, false);
  },
  readUInt32BE(offset = 0) {
    return readN(this, offset, 4, false, false);
  },
  readInt8(offset = 0) {
    return readN(this, offset, 1, true, true);
  },
  readInt16LE(offset = 0) {
    return readN(this, offset, 2, true, true);
  },
  readInt16BE(offset = 0) {
    return readN(this, offset, 2, false, true);
  },
  readInt32LE(offset = 0) {
    return readN(this, offset, 4, true, true);
  },
  readInt32BE(offset = 0) {
    return readN(this, offset, 4, false, true);
  },
  readUIntLE(offset, byteLength) {
    return readVar(this, offset, byteLength, true, false);
  },
  readUIntBE(offset, byteLength) {
    return readVar(this, offset, byteLength, false, false);
  },
  readIntLE(offset, byteLength) {
    return readVar(this, offset, byteLength, true, true);
  },
  readIntBE(offset, byteLength) {
    return readVar(this, offset, byteLength, false, true);
  },
  readFloatLE(offset = 0) {
    return readFloat(this, offset, 4, true);
  },
  readFloatBE(offset = 0) {
    return readFloat(this, offset, 4, false);
  },
  readDoubleLE(offset = 0) {
    return readFloat(this, offset, 8, true);
  },
  readDoubleBE(offset = 0) {
    return readFloat(this, offset, 8, false);
  },
  readBigUInt64LE(offset = 0) {
    return readBig(this, offset, true, false);
  },
  readBigUInt64BE(offset = 0) {
    return readBig(this, offset, false, false);
  },
  readBigInt64LE(offset = 0) {
    return readBig(this, offset, true, true);
  },
  readBigInt64BE(offset = 0) {
    return readBig(this, offset, false, true);
  },
  writeUInt8(value, offset = 0) {
    return writeN(this, value, offset, 1, true, false);
  },
  writeUInt16LE(value, offset = 0) {
    return writeN(this, value, offset, 2, true, false);
  },
  writeUInt16BE(value, offset = 0) {
    return writeN(this, value, offset, 2, false, false);
  },
  writeUInt32LE(value, offset = 0) {
    return writeN(this, value, offset, 4, true, false);
  },
  writeUInt32BE(value, offset = 0) {
    return writeN(this, value, offset, 4, false, false);
  },
  writeInt8(value, offset = 0) {
    return writeN(this, value, offset, 1, true, true);
  },
  writeInt16LE(value, offset = 0) {
    return writeN(this, value, offset, 2, true, true);
  },
  writeInt16BE(value, offset = 0) {
    return writeN(this, value, offset, 2, false, true);
  },
  writeInt32LE(value, offset = 0) {
    return writeN(this, value, offset, 4, true, true);
  },
  writeInt32BE(value, offset = 0) {
    return writeN(this, value, offset, 4, false, true);
  },
  writeUIntLE(value, offset, byteLength) {
    return writeVar(this, value, offset, byteLength, true, false);
  },
  writeUIntBE(value, offset, byteLength) {
    return writeVar(this, value, offset, byteLength, false, false);
  },
  writeIntLE(value, offset, byteLength) {
    return writeVar(this, value, offset, byteLength, true, true);
  },
  writeIntBE(value, offset, byteLength) {
    return writeVar(this, value, offset, byteLength, false, true);
  },
  writeFloatLE(value, offset = 0) {
    return writeFloat(this, value, offset, 4, true);
  },
  writeFloatBE(value, offset = 0) {
    return writeFloat(this, value, offset, 4, false);
  },
  writeDoubleLE(value, offset = 0) {
    return writeFloat(this, value, offset, 8, true);
  },
  writeDoubleBE(value, offset = 0) {
    return writeFloat(this, value, offset, 8, false);
  },
  writeBigUInt64LE(value, offset = 0) {
    return writeBig(this, value, offset, true, false);
  },
  writeBigUInt64BE(value, offset = 0) {
    return writeBig(this, value, offset, false, false);
  },
  writeBigInt64LE(value, offset = 0) {
    return writeBig(this, value, offset, true, true);
  },
  writeBigInt64BE(value, offset = 0) {
    return writeBig(this, value, offset, false, true);
  },
};
