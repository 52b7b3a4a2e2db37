// hbf:http_negotiate — the parts of hbf:http's helpers that only some
// requests need, loaded on first use (native.loadBuiltin) by req.accepts*(),
// req.is(), req.range(), res.cookie(), res.location() and the express
// modules: content negotiation (accepts and type-is subsets), Set-Cookie
// serialization, encodeurl and range-parser. Every worker evaluates
// hbf:http_common; these would cost each of them ~20 KB unused.

import { MEDIA_RE, lookupType } from "hbf:http_common";

function parseMediaRange(str, i) {
  const m = MEDIA_RE.exec(str);
  if (!m) return null;
  let q = 1;
  const params = Object.create(null);
  if (m[3]) {
    for (const kv of m[3].split(";")) {
      const eq = kv.indexOf("=");
      const key = (eq === -1 ? kv : kv.slice(0, eq)).trim().toLowerCase();
      let val = eq === -1 ? "" : kv.slice(eq + 1).trim();
      if (val.length >= 2 && val[0] === '"' && val[val.length - 1] === '"') val = val.slice(1, -1);
      if (key === "q") {
        q = parseFloat(val);
        break;
      }
      if (key) params[key] = val;
    }
  }
  return { type: m[1].toLowerCase(), subtype: m[2].toLowerCase(), params, q, i };
}

export function parseAccept(header) {
  const out = [];
  const parts = header.split(",");
  for (let i = 0; i < parts.length; i++) {
    const r = parseMediaRange(parts[i].trim(), i);
    if (r) out.push(r);
  }
  return out;
}

export function mediaPriority(type, accepted, index) {
  const p = parseMediaRange(type, 0);
  let best = { o: -1, q: 0, s: 0, i: index };
  if (!p) return best;
  for (const spec of accepted) {
    let s = 0;
    if (spec.type === p.type) s |= 4;
    else if (spec.type !== "*") continue;
    if (spec.subtype === p.subtype) s |= 2;
    else if (spec.subtype !== "*") continue;
    const keys = Object.keys(spec.params);
    if (keys.length > 0) {
      if (keys.every((k) => spec.params[k] === "*" || (spec.params[k] || "").toLowerCase() === (p.params[k] || "").toLowerCase())) s |= 1;
      else continue;
    }
    if ((best.s - s || best.q - spec.q || best.o - spec.i) < 0) best = { o: spec.i, q: spec.q, s, i: index };
  }
  return best;
}

export const compareSpecs = (a, b) => b.q - a.q || b.s - a.s || a.o - b.o || a.i - b.i;

// Simple token negotiation (charsets, encodings, languages).
export function negotiateTokens(header, offered, isLanguage) {
  const accepted = [];
  header.split(",").forEach((part, i) => {
    const [token, ...params] = part.trim().split(";");
    if (!token) return;
    let q = 1;
    for (const p of params) {
      const [k, v] = p.trim().split("=");
      if (k === "q") q = parseFloat(v);
    }
    accepted.push({ token: token.trim().toLowerCase(), q, i });
  });
  const score = (offer, idx) => {
    const o = offer.toLowerCase();
    let best = { q: 0, s: -1, o: -1, i: idx };
    for (const a of accepted) {
      let s;
      if (a.token === o) s = 2;
      else if (isLanguage && (o.startsWith(a.token + "-") || a.token.startsWith(o + "-"))) s = 1;
      else if (a.token === "*") s = 0;
      else continue;
      if (s > best.s || (s === best.s && a.q > best.q)) best = { q: a.q, s, o: a.i, i: idx };
    }
    return best;
  };
  if (offered.length === 0) {
    return accepted.filter((a) => a.q > 0).sort((a, b) => b.q - a.q || a.i - b.i).map((a) => a.token);
  }
  const ranked = offered.map(score).filter((p) => p.q > 0).sort((a, b) => b.q - a.q || b.s - a.s || a.o - b.o || a.i - b.i);
  return ranked.length ? offered[ranked[0].i] : false;
}

function normalizeIsType(t) {
  if (typeof t !== "string") return null;
  switch (t) {
    case "urlencoded": return "application/x-www-form-urlencoded";
    case "multipart": return "multipart/*";
  }
  if (t[0] === "+") return "*/*" + t;
  return t.indexOf("/") === -1 ? lookupType(t) ?? null : t;
}

function mimeMatch(expected, actual) {
  const [et, es] = expected.split("/");
  const [at, as] = actual.split("/");
  if (!es || !as) return false;
  if (et !== "*" && et !== at) return false;
  if (es.startsWith("*+")) return es.length <= as.length && as.endsWith(es.slice(1));
  return es === "*" || es === as;
}

/** type-is: the first of `types` matching `contentType`, or false. */
export function typeIs(contentType, types) {
  if (!contentType) return false;
  const semi = contentType.indexOf(";");
  const actual = (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  if (!MEDIA_RE.test(actual)) return false;
  if (types.length === 0) return actual;
  for (const t of types) {
    const expected = normalizeIsType(t);
    if (expected && mimeMatch(expected.toLowerCase(), actual)) {
      return t[0] === "+" || t.indexOf("*") !== -1 ? actual : t;
    }
  }
  return false;
}

const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const COOKIE_VALUE = /^("?)[\u0021\u0023-\u002B\u002D-\u003A\u003C-\u005B\u005D-\u007E]*\1$/;
const COOKIE_DOMAIN = /^([.]?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)([.][a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;
const COOKIE_PATH = /^[\u0020-\u003A\u003D-\u007E]*$/;

/** Serializes a Set-Cookie value exactly like the `cookie` package (0.7) that Express 4 uses. */
export function serializeCookie(name, val, opt = {}) {
  const enc = opt.encode || encodeURIComponent;
  if (typeof enc !== "function") throw new TypeError("option encode is invalid");
  if (!COOKIE_NAME.test(name)) throw new TypeError("argument name is invalid");
  const value = enc(val);
  if (!COOKIE_VALUE.test(value)) throw new TypeError("argument val is invalid");
  let str = name + "=" + value;
  if (opt.maxAge != null) {
    const maxAge = Math.floor(opt.maxAge);
    if (!Number.isFinite(maxAge)) throw new TypeError("option maxAge is invalid");
    str += "; Max-Age=" + maxAge;
  }
  if (opt.domain) {
    if (!COOKIE_DOMAIN.test(opt.domain)) throw new TypeError("option domain is invalid");
    str += "; Domain=" + opt.domain;
  }
  if (opt.path) {
    if (!COOKIE_PATH.test(opt.path)) throw new TypeError("option path is invalid");
    str += "; Path=" + opt.path;
  }
  if (opt.expires) {
    const e = opt.expires;
    if (!(e instanceof Date) || Number.isNaN(e.valueOf())) throw new TypeError("option expires is invalid");
    str += "; Expires=" + e.toUTCString();
  }
  if (opt.httpOnly) str += "; HttpOnly";
  if (opt.secure) str += "; Secure";
  if (opt.partitioned) str += "; Partitioned";
  if (opt.priority) {
    const p = typeof opt.priority === "string" ? opt.priority.toLowerCase() : opt.priority;
    if (p === "low") str += "; Priority=Low";
    else if (p === "medium") str += "; Priority=Medium";
    else if (p === "high") str += "; Priority=High";
    else throw new TypeError("option priority is invalid");
  }
  if (opt.sameSite) {
    const s = typeof opt.sameSite === "string" ? opt.sameSite.toLowerCase() : opt.sameSite;
    if (s === true || s === "strict") str += "; SameSite=Strict";
    else if (s === "lax") str += "; SameSite=Lax";
    else if (s === "none") str += "; SameSite=None";
    else throw new TypeError("option sameSite is invalid");
  }
  return str;
}

const ENCODE_URL_CHARS = /(?:[^\x21\x23-\x3B\x3D\x3F-\x5F\x61-\x7A\x7C\x7E]+|%+(?![0-9A-Fa-f]{2})){1,1024}/g;
const LONE_SURROGATES = /([\uD800-\uDBFF][\uDC00-\uDFFF])|[\uD800-\uDFFF]/g;
/** encodeurl: percent-encodes what is not allowed in a URL, leaving valid %XX alone. */
export function encodeUrl(url) {
  return String(url).replace(LONE_SURROGATES, (_, pair) => pair || "\uFFFD").replace(ENCODE_URL_CHARS, encodeURI);
}

/**
 * range-parser (1.2): the ranges of a Range header for a body of `size`
 * bytes: -2 when malformed, -1 when none is satisfiable, else an array of
 * { start, end } (inclusive) with `type` ("bytes"); `combine` merges
 * overlapping and adjacent ranges.
 */
export function parseRange(size, str, options = undefined) {
  if (typeof str !== "string") throw new TypeError("argument str must be a string");
  const index = str.indexOf("=");
  if (index === -1) return -2;
  const arr = str.slice(index + 1).split(",");
  let ranges = [];
  ranges.type = str.slice(0, index);
  for (let i = 0; i < arr.length; i++) {
    const range = arr[i].split("-");
    let start = parseInt(range[0], 10);
    let end = parseInt(range[1], 10);
    if (Number.isNaN(start)) {
      start = size - end;
      end = size - 1;
    } else if (Number.isNaN(end)) {
      end = size - 1;
    }
    if (end > size - 1) end = size - 1;
    if (Number.isNaN(start) || Number.isNaN(end) || start > end || start < 0) continue;
    ranges.push({ start, end, index: i });
  }
  if (ranges.length < 1) return -1;
  if (options && options.combine) {
    const sorted = ranges.slice().sort((a, b) => a.start - b.start);
    const merged = [sorted[0]];
    for (let i = 1; i < sorted.length; i++) {
      const r = sorted[i];
      const last = merged[merged.length - 1];
      if (r.start > last.end + 1) merged.push(r);
      else if (r.end > last.end) {
        last.end = r.end;
        last.index = Math.min(last.index, r.index);
      }
    }
    const type = ranges.type;
    ranges = merged.sort((a, b) => a.index - b.index);
    ranges.type = type;
  }
  for (const r of ranges) delete r.index;
  return ranges;
}

