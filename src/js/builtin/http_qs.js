// hbf:http_qs — nested query-string parsing as the `qs` package (6.x) does
// it, which is what Express 4's "extended" query parser and
// express.urlencoded({ extended: true }) use:
//   a[b]=1&c[]=2&c[]=3&d[1]=x  ->  { a: { b: "1" }, c: ["2", "3"], d: ["x"] }
// with qs's limits: `depth` (5; deeper brackets stay one literal key, or a
// RangeError with `strictDepth`), `arrayLimit` (20; an index from it on
// makes an object key), `parameterLimit` (1000 pairs; the rest are ignored). `allowPrototypes` is true as Express
// passes it (keys such as "hasOwnProperty" are kept as own properties), but
// "__proto__" is never assigned. Only the options Express uses exist.

const hasOwn = Object.hasOwn;
const BRACKETS = /(\[[^[\]]*])/;
const CHILD = /(\[[^[\]]*])/g;

function decode(s) {
  // qs: "+" is a space; a malformed escape leaves the text as it is.
  const t = s.indexOf("+") === -1 ? s : s.replaceAll("+", " ");
  if (t.indexOf("%") === -1) return t;
  try {
    return decodeURIComponent(t);
  } catch {
    return t;
  }
}

/**
 * parse(str, { depth = 5, arrayLimit = 20, parameterLimit = 1000, allowPrototypes = true, strictDepth = false })
 * → an object (Object.prototype, as qs gives with allowPrototypes).
 */
export function parse(str, options = undefined) {
  const opts = {
    depth: options?.depth ?? 5,
    arrayLimit: options?.arrayLimit ?? 20,
    parameterLimit: options?.parameterLimit ?? 1000,
    allowPrototypes: options?.allowPrototypes ?? true,
    strictDepth: options?.strictDepth ?? false,
  };
  const out = {};
  if (typeof str !== "string" || str === "") return out;
  const flat = Object.create(null);
  const parts = str.split("&", opts.parameterLimit === Infinity ? undefined : opts.parameterLimit);
  for (const part of parts) {
    if (part === "") continue;
    const bracketEquals = part.indexOf("]=");
    const pos = bracketEquals === -1 ? part.indexOf("=") : bracketEquals + 1;
    let key;
    let val;
    if (pos === -1) {
      key = decode(part);
      val = "";
    } else {
      key = decode(part.slice(0, pos));
      val = decode(part.slice(pos + 1));
    }
    if (key === "") continue;
    flat[key] = key in flat ? [].concat(flat[key], val) : val;
  }
  let obj = out;
  for (const key in flat) {
    const nested = parseKeys(key, flat[key], opts);
    obj = merge(obj, nested, opts);
  }
  return compact(obj);
}

function parseKeys(givenKey, val, opts) {
  let segment = opts.depth > 0 ? BRACKETS.exec(givenKey) : null;
  const parent = segment ? givenKey.slice(0, segment.index) : givenKey;
  const keys = [];
  if (parent) {
    if (!opts.allowPrototypes && hasOwn(Object.prototype, parent)) return undefined;
    keys.push(parent);
  }
  CHILD.lastIndex = 0;
  let i = 0;
  while (opts.depth > 0 && (segment = CHILD.exec(givenKey)) !== null && i < opts.depth) {
    i += 1;
    if (!opts.allowPrototypes && hasOwn(Object.prototype, segment[1].slice(1, -1))) return undefined;
    keys.push(segment[1]);
  }
  // Deeper than `depth`: the rest is one literal key, as qs does.
  if (segment) {
    if (opts.strictDepth) throw new RangeError("Input depth exceeded depth option of " + opts.depth + " and strictDepth is true");
    keys.push("[" + givenKey.slice(segment.index) + "]");
  }
  CHILD.lastIndex = 0;
  return parseObject(keys, val, opts);
}

function parseObject(chain, val, opts) {
  let leaf = val;
  for (let i = chain.length - 1; i >= 0; --i) {
    const root = chain[i];
    let obj;
    if (root === "[]") {
      obj = [].concat(leaf);
    } else {
      obj = {};
      const clean = root[0] === "[" && root[root.length - 1] === "]" ? root.slice(1, -1) : root;
      const index = parseInt(clean, 10);
      if (!Number.isNaN(index) && root !== clean && String(index) === clean && index >= 0 && index < opts.arrayLimit) {
        obj = [];
        obj[index] = leaf;
      } else if (clean !== "__proto__") {
        obj[clean] = leaf;
      }
    }
    leaf = obj;
  }
  return leaf;
}

function arrayToObject(source) {
  const obj = {};
  for (let i = 0; i < source.length; ++i) if (source[i] !== undefined) obj[i] = source[i];
  return obj;
}

function merge(target, source, opts) {
  if (!source) return target;
  if (typeof source !== "object") {
    if (Array.isArray(target)) target.push(source);
    else if (target && typeof target === "object") {
      if (opts.allowPrototypes || !hasOwn(Object.prototype, source)) target[source] = true;
    } else return [target, source];
    return target;
  }
  if (!target || typeof target !== "object") return [target].concat(source);
  let mergeTarget = target;
  if (Array.isArray(target) && !Array.isArray(source)) mergeTarget = arrayToObject(target);
  if (Array.isArray(target) && Array.isArray(source)) {
    source.forEach((item, i) => {
      if (hasOwn(target, i)) {
        const t = target[i];
        if (t && typeof t === "object" && item && typeof item === "object") target[i] = merge(t, item, opts);
        else target.push(item);
      } else {
        target[i] = item;
      }
    });
    return target;
  }
  for (const key of Object.keys(source)) {
    if (key === "__proto__") continue;
    const value = source[key];
    mergeTarget[key] = hasOwn(mergeTarget, key) ? merge(mergeTarget[key], value, opts) : value;
  }
  return mergeTarget;
}

// Drops the holes qs leaves in sparse arrays (d[1]=x -> ["x"]).
function compact(value) {
  if (Array.isArray(value)) {
    const out = [];
    for (let i = 0; i < value.length; i++) if (value[i] !== undefined) out.push(compact(value[i]));
    return out;
  }
  if (value !== null && typeof value === "object") {
    for (const key of Object.keys(value)) value[key] = compact(value[key]);
  }
  return value;
}

export default { parse };
