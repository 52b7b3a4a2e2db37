// hbf:web_console — inspect/format (a compact, single-line flavour of
// Node's util), console (to the server's and the henv's log) and
// queueMicrotask. Installed as globals by hbf:bootstrap.

import native from "hbf:native";

// ---------------------------------------------------------------------------
// inspect / format (a compact, single-line flavour of Node's util)

const IDENT_KEY = /^[a-zA-Z_][a-zA-Z_0-9]*$/;
const BUILTIN_CTORS = new Set(["Object", "Error", "TypeError", "RangeError", "SyntaxError", "ReferenceError", "EvalError", "URIError",
  "AggregateError", "Array", "Date", "RegExp", "Map", "Set", "WeakMap", "WeakSet", "Promise", "Function", "Boolean", "Number", "String",
  "Symbol", "BigInt", "ArrayBuffer", "DataView", "Uint8Array", "Int8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array",
  "Int32Array", "Uint32Array", "Float32Array", "Float64Array", "BigInt64Array", "BigUint64Array"]);

function quoteString(s) {
  let q = "'";
  if (s.includes("'")) {
    if (!s.includes('"')) q = '"';
    else if (!s.includes("`") && !s.includes("${")) q = "`";
  }
  let out = "";
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let rep = null;
    if (c < 0x20 || c === 0x7f) {
      rep = c === 10 ? "\\n" : c === 9 ? "\\t" : c === 13 ? "\\r" : c === 8 ? "\\b" : c === 12 ? "\\f" : c === 11 ? "\\v"
        : "\\x" + (c < 16 ? "0" : "") + c.toString(16).toUpperCase();
    } else if (c === 92) {
      rep = "\\\\";
    } else if (c === q.charCodeAt(0)) {
      rep = "\\" + q;
    }
    if (rep !== null) {
      out += s.slice(start, i) + rep;
      start = i + 1;
    }
  }
  return q + out + s.slice(start) + q;
}

const formatKey = (k) => (typeof k === "symbol" ? `[${String(k)}]` : IDENT_KEY.test(k) ? k : quoteString(k));

function formatNumber(n) {
  return Object.is(n, -0) ? "-0" : String(n);
}

function functionLabel(fn) {
  const src = Function.prototype.toString.call(fn);
  if (src.startsWith("class") && /^class\b/.test(src)) return fn.name ? `[class ${fn.name}]` : "[class (anonymous)]";
  const kind = Object.getPrototypeOf(fn)?.constructor?.name || "Function";
  const type = kind === "AsyncFunction" || kind === "GeneratorFunction" || kind === "AsyncGeneratorFunction" ? kind : "Function";
  return fn.name ? `[${type}: ${fn.name}]` : `[${type} (anonymous)]`;
}

function errorText(err) {
  const name = err.name ?? "Error";
  const message = err.message ?? "";
  const head = message ? `${name}: ${message}` : String(name);
  const stack = typeof err.stack === "string" ? err.stack : "";
  if (stack === "") return head;
  if (stack.startsWith(head) || /^\w*Error\b/.test(stack)) return stack.replace(/\n+$/, "");
  return head + "\n" + stack.replace(/\n+$/, "");
}

function constructorName(obj) {
  let proto = Object.getPrototypeOf(obj);
  while (proto !== null) {
    const d = Object.getOwnPropertyDescriptor(proto, "constructor");
    if (d !== undefined && typeof d.value === "function" && d.value.name !== "") return d.value.name;
    proto = Object.getPrototypeOf(proto);
  }
  return null;
}

function inspectValue(value, ctx, depth) {
  switch (typeof value) {
    case "string": return quoteString(value);
    case "number": return formatNumber(value);
    case "bigint": return `${value}n`;
    case "boolean": return String(value);
    case "undefined": return "undefined";
    case "symbol": return String(value);
  }
  if (value === null) return "null";

  if (ctx.seen.includes(value)) {
    let id = ctx.circular.get(value);
    if (id === undefined) ctx.circular.set(value, (id = ctx.circular.size + 1));
    return `[Circular *${id}]`;
  }

  const out = inspectObject(value, ctx, depth);
  const id = ctx.circular.get(value);
  return id === undefined ? out : `<ref *${id}> ${out}`;
}

function ownEntries(obj, ctx, depth, skipIndices) {
  const parts = [];
  for (const key of Reflect.ownKeys(obj)) {
    if (skipIndices && typeof key === "string" && (key === "length" || /^(0|[1-9][0-9]*)$/.test(key))) continue;
    const d = Reflect.getOwnPropertyDescriptor(obj, key);
    if (d === undefined || !d.enumerable) continue;
    let v;
    if (d.get || d.set) v = d.get && d.set ? "[Getter/Setter]" : d.get ? "[Getter]" : "[Setter]";
    else v = inspectValue(d.value, ctx, depth + 1);
    parts.push(`${formatKey(key)}: ${v}`);
  }
  return parts;
}

function braces(prefix, parts, open = "{", close = "}") {
  if (parts.length === 0) return prefix ? `${prefix}${open}${close}` : `${open}${close}`;
  return `${prefix}${open} ${parts.join(", ")} ${close}`;
}

function inspectObject(value, ctx, depth) {
  if (typeof value === "function") {
    const label = functionLabel(value);
    if (depth > ctx.depth) return label;
    ctx.seen.push(value);
    const parts = ownEntries(value, ctx, depth, false).filter((p) => !p.startsWith("prototype:"));
    ctx.seen.pop();
    return parts.length ? braces(label + " ", parts) : label;
  }
  if (value instanceof Error) {
    const text = errorText(value);
    if (depth > ctx.depth) return `[${text.split("\n")[0]}]`;
    ctx.seen.push(value);
    const parts = ownEntries(value, ctx, depth, false).filter((p) => !/^(stack|message): /.test(p));
    ctx.seen.pop();
    return parts.length ? `${text} ${braces("", parts)}` : text;
  }
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? "Invalid Date" : value.toISOString();
  if (value instanceof RegExp) return String(value);
  if (value instanceof Promise) return "Promise { <unknown> }";
  if (value instanceof WeakMap || value instanceof WeakSet) return `${value instanceof WeakMap ? "WeakMap" : "WeakSet"} { <items unknown> }`;
  if (value instanceof Number || value instanceof String || value instanceof Boolean) {
    const kind = value instanceof Number ? "Number" : value instanceof String ? "String" : "Boolean";
    return `[${kind}: ${inspectValue(value.valueOf(), ctx, depth)}]`;
  }

  const name = constructorName(value);
  const isArray = Array.isArray(value);
  const isTyped = ArrayBuffer.isView(value) && !(value instanceof DataView);
  if (depth > ctx.depth) {
    if (isArray) return "[Array]";
    return `[${name ?? "Object"}]`;
  }

  ctx.seen.push(value);
  let result;
  try {
    if (isArray || isTyped) {
      const parts = [];
      const n = value.length;
      const shown = Math.min(n, 100);
      let holes = 0;
      for (let i = 0; i < shown; i++) {
        if (isArray && !(i in value)) {
          holes++;
          continue;
        }
        if (holes) {
          parts.push(`<${holes} empty item${holes > 1 ? "s" : ""}>`);
          holes = 0;
        }
        parts.push(isTyped ? (typeof value[i] === "bigint" ? `${value[i]}n` : formatNumber(value[i])) : inspectValue(value[i], ctx, depth + 1));
      }
      if (holes) parts.push(`<${holes} empty item${holes > 1 ? "s" : ""}>`);
      if (n > shown) parts.push(`... ${n - shown} more item${n - shown > 1 ? "s" : ""}`);
      parts.push(...ownEntries(value, ctx, depth, true));
      if (ctx.showHidden && isArray) parts.push(`[length]: ${n}`);
      const prefix = isTyped ? `${name}(${n}) ` : name && name !== "Array" ? `${name}(${n}) ` : "";
      result = braces(prefix, parts, "[", "]");
    } else if (value instanceof Map) {
      const parts = [];
      for (const [k, v] of value) parts.push(`${inspectValue(k, ctx, depth + 1)} => ${inspectValue(v, ctx, depth + 1)}`);
      parts.push(...ownEntries(value, ctx, depth, false));
      result = braces(`${name ?? "Map"}(${value.size}) `, parts);
    } else if (value instanceof Set) {
      const parts = [];
      for (const v of value) parts.push(inspectValue(v, ctx, depth + 1));
      parts.push(...ownEntries(value, ctx, depth, false));
      result = braces(`${name ?? "Set"}(${value.size}) `, parts);
    } else if (value instanceof ArrayBuffer) {
      const bytes = new Uint8Array(value, 0, Math.min(value.byteLength, 50));
      let hex = Array.from(bytes, (b) => (b < 16 ? "0" : "") + b.toString(16)).join(" ");
      if (value.byteLength > 50) hex += ` ... ${value.byteLength - 50} more byte${value.byteLength - 50 > 1 ? "s" : ""}`;
      result = `ArrayBuffer { [Uint8Contents]: <${hex}>, byteLength: ${value.byteLength} }`;
    } else {
      const parts = ownEntries(value, ctx, depth, false);
      let prefix = "";
      if (Object.getPrototypeOf(value) === null) prefix = "[Object: null prototype] ";
      else if (name !== "Object") prefix = `${name ?? "Object"} `;
      const tag = value[Symbol.toStringTag];
      if (typeof tag === "string" && tag !== "" && tag !== name) prefix = `${prefix || "Object "}[${tag}] `;
      result = braces(prefix, parts);
    }
  } finally {
    ctx.seen.pop();
  }
  return result;
}

/** A compact, single-line `util.inspect`. Options: depth (default 2), showHidden (array lengths only). */
export function inspect(value, options = undefined) {
  const depth = options?.depth === null ? Infinity : options?.depth ?? 2;
  return inspectValue(value, { seen: [], circular: new Map(), depth, showHidden: Boolean(options?.showHidden) }, 0);
}

function hasBuiltinToString(value) {
  if (Object.hasOwn(value, "toString")) return false;
  let p = value;
  do {
    p = Object.getPrototypeOf(p);
  } while (p !== null && !Object.hasOwn(p, "toString"));
  if (p === null) return true;
  const d = Object.getOwnPropertyDescriptor(p, "constructor");
  return d !== undefined && typeof d.value === "function" && BUILTIN_CTORS.has(d.value.name);
}

/** Node's util.format: %s %d %i %f %j %o %O %c %%. */
export function format(...args) {
  if (args.length === 0) return "";
  const first = args[0];
  let a = 1;
  let out = "";
  if (typeof first === "string") {
    if (args.length === 1) return first;
    let last = 0;
    for (let i = 0; i < first.length - 1; i++) {
      if (first.charCodeAt(i) !== 37) continue;
      const ch = first[i + 1];
      if (a === args.length && ch !== "%") {
        i++;
        continue;
      }
      let s;
      switch (ch) {
        case "s": {
          const v = args[a++];
          if (typeof v === "number") s = formatNumber(v);
          else if (typeof v === "bigint") s = `${v}n`;
          else if (typeof v !== "object" || v === null || !hasBuiltinToString(v)) s = String(v);
          else s = inspect(v, { depth: 0 });
          break;
        }
        case "d": {
          const v = args[a++];
          s = typeof v === "bigint" ? `${v}n` : typeof v === "symbol" ? "NaN" : formatNumber(Number(v));
          break;
        }
        case "i": {
          const v = args[a++];
          s = typeof v === "bigint" ? `${v}n` : typeof v === "symbol" ? "NaN" : formatNumber(parseInt(v));
          break;
        }
        case "f": {
          const v = args[a++];
          s = typeof v === "symbol" ? "NaN" : formatNumber(parseFloat(v));
          break;
        }
        case "j":
          try {
            s = JSON.stringify(args[a++]);
          } catch (e) {
            s = "[Circular]";
          }
          break;
        case "o":
          s = inspect(args[a++], { depth: 4, showHidden: true });
          break;
        case "O":
          s = inspect(args[a++]);
          break;
        case "c":
          a++;
          s = "";
          break;
        case "%":
          out += first.slice(last, i) + "%";
          last = i + 2;
          i++;
          continue;
        default:
          i++;
          continue;
      }
      out += first.slice(last, i) + s;
      last = i + 2;
      i++;
    }
    out += first.slice(last);
  } else {
    a = 0;
  }
  for (; a < args.length; a++) {
    const v = args[a];
    if (out !== "" || a > 0) out += " ";
    out += typeof v === "string" ? v : inspect(v);
  }
  return out;
}

// ---------------------------------------------------------------------------
// console

export function makeConsole() {
  const log = (level) => (...args) => native.log(level, format(...args));
  const counts = new Map();
  const timers = new Map();
  return {
    log: log("info"),
    info: log("info"),
    debug: log("debug"),
    warn: log("warn"),
    error: log("error"),
    trace(...args) {
      const err = new Error(format(...args));
      const stack = typeof err.stack === "string" ? err.stack.replace(/\n+$/, "") : "";
      native.log("error", "Trace" + (err.message ? ": " + err.message : "") + (stack ? "\n" + stack.replace(/^\w*Error[^\n]*\n?/, "") : ""));
    },
    assert(condition, ...args) {
      if (condition) return;
      native.log("error", args.length ? "Assertion failed: " + format(...args) : "Assertion failed");
    },
    dir(value, options = undefined) {
      native.log("info", inspect(value, options));
    },
    count(label = "default") {
      const n = (counts.get(label) ?? 0) + 1;
      counts.set(label, n);
      native.log("info", `${label}: ${n}`);
    },
    countReset(label = "default") {
      counts.delete(label);
    },
    time(label = "default") {
      timers.set(String(label), native.now());
    },
    timeLog(label = "default", ...args) {
      const t = timers.get(String(label));
      if (t === undefined) return native.log("warn", `No such label '${label}' for console.timeLog()`);
      native.log("info", `${label}: ${(native.now() - t).toFixed(3)}ms` + (args.length ? " " + format(...args) : ""));
    },
    timeEnd(label = "default") {
      const t = timers.get(String(label));
      if (t === undefined) return native.log("warn", `No such label '${label}' for console.timeEnd()`);
      timers.delete(String(label));
      native.log("info", `${label}: ${(native.now() - t).toFixed(3)}ms`);
    },
  };
}

