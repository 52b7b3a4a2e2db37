// hbf:node_querystring — Node's `querystring` (parse/decode, stringify/encode,
// escape, unescape, unescapeBuffer).

import native from "hbf:native";

const isHex = (c) => (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
const hexVal = (c) => (c <= 57 ? c - 48 : (c | 0x20) - 87);

/** Percent-decodes to bytes (invalid escapes kept); '+' is not touched. */
export function unescapeBuffer(s, decodeSpaces) {
  const src = native.utf8Encode(String(s).isWellFormed() ? String(s) : String(s).toWellFormed());
  const out = new Uint8Array(src.length);
  let j = 0;
  for (let i = 0; i < src.length; i++) {
    const b = src[i];
    if (b === 0x2b && decodeSpaces) {
      out[j++] = 0x20;
    } else if (b === 0x25 && i + 2 < src.length && isHex(src[i + 1]) && isHex(src[i + 2])) {
      out[j++] = (hexVal(src[i + 1]) << 4) | hexVal(src[i + 2]);
      i += 2;
    } else {
      out[j++] = b;
    }
  }
  const bytes = out.subarray(0, j);
  const B = globalThis.Buffer;
  return typeof B === "function" ? B.from(bytes) : bytes;
}

export function unescape(s, decodeSpaces) {
  try {
    return decodeURIComponent(s);
  } catch {
    return native.utf8Decode(unescapeBuffer(s, decodeSpaces), false);
  }
}

export function escape(str) {
  if (typeof str !== "string") {
    if (typeof str === "object") str = String(str);
    else str += "";
  }
  try {
    return encodeURIComponent(str);
  } catch {
    const err = new URIError("URI malformed");
    err.code = "ERR_INVALID_URI";
    throw err;
  }
}

function stringifyPrimitive(v) {
  if (typeof v === "string") return v;
  if (typeof v === "number" && Number.isFinite(v)) return "" + v;
  if (typeof v === "bigint") return "" + v;
  if (typeof v === "boolean") return v ? "true" : "false";
  return "";
}

export function stringify(obj, sep, eq, options) {
  sep = sep || "&";
  eq = eq || "=";
  let encode = escape;
  if (options && typeof options.encodeURIComponent === "function") encode = options.encodeURIComponent;
  const convert = (v) => encode(stringifyPrimitive(v));
  if (obj !== null && typeof obj === "object") {
    const keys = Object.keys(obj);
    let fields = "";
    for (let i = 0; i < keys.length; ++i) {
      const k = keys[i];
      const v = obj[k];
      const ks = convert(k) + eq;
      if (Array.isArray(v)) {
        if (v.length === 0) continue;
        if (fields) fields += sep;
        for (let j = 0; j < v.length; ++j) {
          if (j) fields += sep;
          fields += ks + convert(v[j]);
        }
      } else {
        if (fields) fields += sep;
        fields += ks + convert(v);
      }
    }
    return fields;
  }
  return "";
}

function addKeyVal(obj, key, value) {
  if (key in obj) {
    const cur = obj[key];
    if (Array.isArray(cur)) cur.push(value);
    else obj[key] = [cur, value];
  } else {
    obj[key] = value;
  }
}

export function parse(qs, sep, eq, options) {
  const obj = { __proto__: null };
  if (typeof qs !== "string" || qs.length === 0) return obj;
  sep = sep ? String(sep) : "&";
  eq = eq ? String(eq) : "=";
  let maxKeys = 1000;
  if (options && typeof options.maxKeys === "number") maxKeys = options.maxKeys > 0 ? options.maxKeys : 0;
  let decode = unescape;
  if (options && typeof options.decodeURIComponent === "function") decode = options.decodeURIComponent;
  const pieces = qs.split(sep);
  const limit = maxKeys === 0 ? pieces.length : Math.min(maxKeys, pieces.length);
  for (let p = 0; p < limit; p++) {
    const piece = pieces[p];
    if (piece.length === 0) continue;
    const idx = piece.indexOf(eq);
    let key;
    let value;
    if (idx === -1) {
      key = piece;
      value = "";
    } else {
      key = piece.slice(0, idx);
      value = piece.slice(idx + eq.length);
    }
    const dec = (s) => {
      s = s.replaceAll("+", " ");
      if (!s.includes("%")) return s;
      try {
        return decode(s);
      } catch {
        return unescape(s, true);
      }
    };
    addKeyVal(obj, dec(key), dec(value));
  }
  return obj;
}

export const decode = parse;
export const encode = stringify;

export default { unescapeBuffer, unescape, escape, stringify, encode, parse, decode };
