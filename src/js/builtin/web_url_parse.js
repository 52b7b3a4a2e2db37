// hbf:web_url_parse — the WHATWG URL Standard's basic URL parser (its state
// machine, followed step by step) and the URL serializer, over URL records
// { scheme, username, password, host, port, path, query, fragment }. The
// URL and URLSearchParams classes over them are hbf:web_url; hosts are
// hbf:web_url_host.

import { C0_SET, FRAGMENT_SET, PATH_SET, QUERY_SET, SPECIAL_QUERY_SET, USERINFO_SET, percentEncode, wellFormed }
  from "hbf:web_text";
import { EOF, FAILURE, isAlpha, isDigit, parseHost } from "hbf:web_url_host";

// ---------------------------------------------------------------------------
// URL (the WHATWG URL Standard, as implemented by Node 20's URL)

const SPECIAL_PORTS = { __proto__: null, "ftp:": 21, "file:": null, "http:": 80, "https:": 443, "ws:": 80, "wss:": 443 };
const isSpecialScheme = (scheme) => (scheme + ":") in SPECIAL_PORTS;
const defaultPort = (scheme) => SPECIAL_PORTS[scheme + ":"] ?? null;

export const S = {
  SCHEME_START: 1, SCHEME: 2, NO_SCHEME: 3, SPECIAL_RELATIVE_OR_AUTHORITY: 4, PATH_OR_AUTHORITY: 5,
  RELATIVE: 6, RELATIVE_SLASH: 7, SPECIAL_AUTHORITY_SLASHES: 8, SPECIAL_AUTHORITY_IGNORE_SLASHES: 9,
  AUTHORITY: 10, HOST: 11, HOSTNAME: 12, PORT: 13, FILE: 14, FILE_SLASH: 15, FILE_HOST: 16,
  PATH_START: 17, PATH: 18, OPAQUE_PATH: 19, QUERY: 20, FRAGMENT: 21,
};


const newRecord = () => ({ scheme: "", username: "", password: "", host: null, port: null, path: [], query: null, fragment: null });
export const hasOpaquePath = (url) => typeof url.path === "string";
const includesCredentials = (url) => url.username !== "" || url.password !== "";
export const cannotHaveCredentialsOrPort = (url) => url.host === null || url.host === "" || url.scheme === "file";

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


// The basic URL parser -----------------------------------------------------------

const LEADING_TRAILING_C0 = /^[\x00-\x20]+|[\x00-\x20]+$/g;
const TAB_NEWLINE = /[\t\n\r]/g;

// The URLs most requests parse, without the state machine (~1,600 bytecode
// operations each for "http://h.test" or "/hello?q=1"): an http, https, ws
// or wss URL, or a path ("/...", not "//...") relative to one, whose every
// character is one no component percent-encodes and whose host is a plain
// ASCII domain. The record is the state machine's for those; anything that
// could make the machine do more (a credential, a backslash, an empty or
// default port, a dot segment, a host that is a number or punycode, a
// character a set encodes, whitespace) is left to it: null.
// The characters each component keeps as they are (none of its
// percent-encode set, no backslash, no "?" or "#" where they end it; a
// special URL's query encodes "'").
const PATH_CHARS = "A-Za-z0-9\\-._~!$&'()*+,;=:@/%";
const QUERY_CHARS = "A-Za-z0-9\\-._~!$&()*+,;=:@/?%";
const FRAGMENT_CHARS = "A-Za-z0-9\\-._~!$&'()*+,;=:@/?%";
const FAST_TAIL = `(?:\\?([${QUERY_CHARS}]*))?(?:#([${FRAGMENT_CHARS}]*))?$`;
const FAST_ABSOLUTE = new RegExp(
  `^(https?|wss?)://([A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)*)(?::([0-9]+))?(/[${PATH_CHARS}]*)?${FAST_TAIL}`, "i");
const FAST_RELATIVE = new RegExp(`^(/(?!/)[${PATH_CHARS}]*)${FAST_TAIL}`);
// (a segment the machine drops or pops: ".", "..", or their %2e spellings)
const DOT_SEGMENT = /(?:^|\/)(?:\.|%2e)(?:\.|%2e)?(?:\/|$)/i;
const NUMERIC_LABEL = /(?:^|\.)(?:[0-9]+|0x[0-9a-f]*)$/i;
const FAST_SCHEMES = ["http", "https", "ws", "wss"];

function fastPathSegments(path) {
  if (path === undefined) return [""];
  if (DOT_SEGMENT.test(path)) return null;
  return path.slice(1).split("/");
}

// (exported for the tests that hold it to the state machine: basicParse's
// callers get the same record either way)
export function fastParse(input, base) {
  if (input.charCodeAt(0) === 47 /* / */) {
    if (!base || base.host === null || hasOpaquePath(base) || !FAST_SCHEMES.includes(base.scheme)) return null;
    const m = FAST_RELATIVE.exec(input);
    if (m === null) return null;
    const path = fastPathSegments(m[1]);
    if (path === null) return null;
    return { scheme: base.scheme, username: base.username, password: base.password, host: base.host, port: base.port,
      path, query: m[2] ?? null, fragment: m[3] ?? null };
  }
  const m = FAST_ABSOLUTE.exec(input);
  if (m === null) return null;
  const host = m[2].toLowerCase();
  if (NUMERIC_LABEL.test(host) || host.includes("xn--")) return null;
  const scheme = m[1].toLowerCase();
  let port = null;
  if (m[3] !== undefined) {
    port = Number(m[3]);
    if (port > 65535 || port === defaultPort(scheme)) return null;
  }
  const path = fastPathSegments(m[4]);
  if (path === null) return null;
  return { scheme, username: "", password: "", host, port, path, query: m[5] ?? null, fragment: m[6] ?? null };
}

/** Returns the URL record, FAILURE, or (for a state override) undefined/FAILURE. */
export function basicParse(input, base, url, stateOverride) {
  if (!url) {
    const fast = fastParse(input, base);
    if (fast !== null) return fast;
  }
  return machineParse(input, base, url, stateOverride);
}

// The basic URL parser's state machine, as the standard writes it (what
// basicParse runs for whatever fastParse leaves; exported for its tests).
export function machineParse(input, base, url, stateOverride) {
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

export function serializePath(url) {
  if (hasOpaquePath(url)) return url.path;
  let out = "";
  for (const segment of url.path) out += "/" + segment;
  return out;
}

export function serializeURL(url, excludeFragment = false) {
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

export function stripTrailingSpacesFromOpaquePath(url) {
  if (!hasOpaquePath(url) || url.fragment !== null || url.query !== null) return;
  url.path = url.path.replace(/ +$/, "");
}
