// hbf:web_url_host — the host part of the WHATWG URL parser: IPv4/IPv6
// parsing and serialising, punycode and an approximation of IDNA (UTS #46).

import { C0_SET, hexValue, isHexCode, percentDecode, percentEncode } from "hbf:web_text";

// Shared with the URL parser (hbf:web_url).
export const FAILURE = 0;
export const EOF = -1;
export const isAlpha = (c) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
export const isDigit = (c) => c >= 48 && c <= 57;

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

export function parseHost(input, isOpaque) {
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

