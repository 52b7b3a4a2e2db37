// hbf:router_path — Express 4's path patterns for hbf:router: a route's path
// (string, RegExp or array of them) compiled once to a RegExp with its
// parameter keys (the path-to-regexp@0.1.x dialect), a matched parameter
// decoded, and the literal-prefix check a layer makes before its regex.
// Part of hbf:router (which re-exports pathToRegExp); nothing here runs per
// request but decodeParam and startsWithLiteral.

// ---------------------------------------------------------------------------
// Path patterns: the path-to-regexp@0.1.x dialect Express 4 uses.

const GROUP_RE = /\\.|\((?:\?<(.*?)>)?(?!\?)/g;
const TOKEN_RE = /\\.|(\/)?(\.)?:(\w+)(\(.*?\))?(\*)?(\?)?|[.*]|\/\(/g;
// Any character TOKEN_RE or GROUP_RE could start a match at.
const LITERAL_UNSAFE_RE = /[\\:.*(]/;

/**
 * Compiles an Express 4 path (string, RegExp or array of them) to a RegExp,
 * pushing one key `{ name, optional, offset }` per capture group onto `keys`.
 */
export function pathToRegExp(path, keys = [], options = {}) {
  const strict = !!options.strict;
  const end = options.end !== false;
  const flags = options.sensitive ? "" : "i";

  if (path instanceof RegExp) {
    let name = 0;
    GROUP_RE.lastIndex = 0;  // exec in a loop: matchAll compiles a copy of the regex per call
    for (let m; (m = GROUP_RE.exec(path.source)) !== null; ) {
      if (m[0][0] === "\\") continue;
      keys.push({ name: m[1] || name++, optional: false, offset: m.index });
    }
    return path;
  }
  if (Array.isArray(path)) {
    const sources = path.map((p) => pathToRegExp(p, keys, options).source);
    return new RegExp(sources.join("|"), flags);
  }
  if (typeof path !== "string") {
    throw new TypeError("path must be a string, array of strings, or regular expression");
  }

  // A path without a token or group character is its own pattern: TOKEN_RE
  // and GROUP_RE would find nothing in it (a replace() over it costs ~30k
  // instructions of a worker's bind, per route).
  if (!LITERAL_UNSAFE_RE.test(path)) return new RegExp("^" + path + literalTail(path, strict, end), flags);

  const keysOffset = keys.length;
  let extraOffset = 0;
  let pos = 0;
  let backtrack = "";
  let src = path.replace(TOKEN_RE, (match, slash, format, key, capture, star, optional, offset) => {
    if (match[0] === "\\") {
      backtrack += match;
      pos += 2;
      return match;
    }
    if (match === ".") {
      backtrack += "\\.";
      extraOffset += 1;
      pos += 1;
      return "\\.";
    }
    if (slash || format) backtrack = "";
    else backtrack += path.slice(pos, offset);
    pos = offset + match.length;

    if (match === "*") {
      backtrack = "";
      extraOffset += 3;
      return "(.*)";
    }
    if (match === "/(") {
      backtrack += "/";
      extraOffset += 2;
      return "/(?:";
    }

    slash = slash || "";
    format = format ? "\\." : "";
    optional = optional || "";
    capture = capture
      ? capture.replace(/\\.|\*/, (m) => (m === "*" ? "(.*)" : m))
      : backtrack
        ? "((?:(?!/|" + backtrack + ").)+?)"
        : "([^/" + format + "]+?)";

    keys.push({ name: key, optional: !!optional, offset: offset + extraOffset });
    const result = "(?:" + format + slash + capture +
      (star ? "((?:[/" + format + "].+?)?)" : "") + ")" + optional;
    backtrack = "";
    extraOffset += result.length - match.length;
    return result;
  });

  // Unnamed groups (a custom "(\\d+)" without a name, "*") get numeric names in order.
  let i = 0;
  let name = 0;
  GROUP_RE.lastIndex = 0;
  for (let m; (m = GROUP_RE.exec(src)) !== null; ) {
    if (m[0][0] === "\\") continue;
    if (keysOffset + i === keys.length || keys[keysOffset + i].offset > m.index) {
      keys.splice(keysOffset + i, 0, { name: name++, optional: false, offset: m.index });
    }
    i++;
  }

  return new RegExp("^" + src + literalTail(src, strict, end), flags);
}

// What follows a compiled path: an optional trailing "/" unless strict, then
// the end, or a segment boundary for a prefix (end: false).
function literalTail(src, strict, end) {
  let tail = strict ? "" : src[src.length - 1] === "/" ? "?" : "/?";
  if (end) tail += "$";
  else if ((src + tail)[(src + tail).length - 1] !== "/") tail += "(?=/|$)";
  return tail;
}

export function decodeParam(val) {
  if (typeof val !== "string" || val.length === 0) return val;
  if (val.indexOf("%") === -1) return val;
  try {
    return decodeURIComponent(val);
  } catch (err) {
    if (err instanceof URIError) {
      err.message = "Failed to decode param '" + val + "'";
      err.status = err.statusCode = 400;
    }
    throw err;
  }
}

// Whether `path` can match a layer whose reach is `literal` (the text of
// hbf:router's literalReach; lower-case when not `sensitive`): it starts with it, ignoring ASCII
// case when not sensitive, and when `exact` is the literal or the literal
// and one "/". False means the layer's regex cannot match; true, that it
// has to be run. Folding with toLowerCase() is sound for the regex's "i"
// (QuickJS's legacy, non-Unicode canonicalisation never maps a character
// above 127 to ASCII, and the literal is ASCII): where the regex matches,
// the path's first characters are ASCII and fold to the literal.
export function startsWithLiteral(path, literal, exact, sensitive) {
  const n = literal.length;
  if (exact) {
    if (path.length !== n && (path.length !== n + 1 || path.charCodeAt(n) !== 47 /* / */)) return false;
  } else if (path.length < n) {
    return false;
  }
  const head = path.length === n ? path : path.slice(0, n);
  return head === literal || (!sensitive && head.toLowerCase() === literal);
}
