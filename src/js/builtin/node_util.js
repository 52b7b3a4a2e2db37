// hbf:node_util — Node's `util` module: promisify, callbackify, inherits,
// deprecate, debuglog, the legacy is* helpers and the rest, with what is
// larger in modules of its own: inspect (hbf:node_util_inspect), format and
// formatWithOptions (hbf:node_util_format), isDeepStrictEqual
// (hbf:node_util_equal) and types (hbf:node_util_types).

import { TextEncoder as CodecTextEncoder, TextDecoder as CodecTextDecoder } from "hbf:web_codec";
import { nodeError, invalidArgType, validateFunction, validateString, outOfRange } from "hbf:node_errors";
import { emitWarning as processEmitWarning, nextTick as processNextTick, default as hbfProcess } from "hbf:node_process";
import { types } from "hbf:node_util_types";
import { inspect } from "hbf:node_util_inspect";
import { format, formatWithOptions } from "hbf:node_util_format";
import { isDeepStrictEqual, isDeepLooseEqual } from "hbf:node_util_equal";

export { types, inspect, format, formatWithOptions, isDeepStrictEqual };

// ---------------------------------------------------------------------------
// promisify / callbackify / inherits / deprecate

const kCustomPromisifiedSymbol = Symbol.for("nodejs.util.promisify.custom");

export function promisify(original) {
  validateFunction(original, "original");
  if (original[kCustomPromisifiedSymbol]) {
    const fn = original[kCustomPromisifiedSymbol];
    validateFunction(fn, "util.promisify.custom");
    return Object.defineProperty(fn, kCustomPromisifiedSymbol, { value: fn, enumerable: false, writable: false, configurable: true });
  }
  function fn(...args) {
    return new Promise((resolve, reject) => {
      args.push((err, ...values) => {
        if (err) return reject(err);
        resolve(values[0]);
      });
      Reflect.apply(original, this, args);
    });
  }
  Object.setPrototypeOf(fn, Object.getPrototypeOf(original));
  Object.defineProperty(fn, kCustomPromisifiedSymbol, { value: fn, enumerable: false, writable: false, configurable: true });
  const descriptors = Object.getOwnPropertyDescriptors(original);
  for (const k of Reflect.ownKeys(descriptors)) {
    if (k === "length" || k === "name" || k === "prototype") continue;
    try {
      Object.defineProperty(fn, k, descriptors[k]);
    } catch {
      // non-configurable: skip
    }
  }
  return fn;
}
promisify.custom = kCustomPromisifiedSymbol;

function callbackifyOnRejected(reason, cb) {
  if (!reason) {
    const newReason = nodeError(Error, "ERR_FALSY_VALUE_REJECTION", "Promise was rejected with falsy value");
    newReason.reason = reason;
    reason = newReason;
  }
  return cb(reason);
}

const nextTick = processNextTick;

export function callbackify(original) {
  validateFunction(original, "original");
  function callbackified(...args) {
    const maybeCb = args.pop();
    validateFunction(maybeCb, "last argument");
    const cb = maybeCb.bind(this);
    Reflect.apply(original, this, args).then(
      (ret) => nextTick(cb, null, ret),
      (rej) => nextTick(callbackifyOnRejected, rej, cb),
    );
  }
  const descriptors = Object.getOwnPropertyDescriptors(original);
  if (typeof descriptors.length.value === "number") descriptors.length.value++;
  if (typeof descriptors.name.value === "string") descriptors.name.value += "Callbackified";
  const propertiesValues = Object.values(descriptors);
  for (let i = 0; i < propertiesValues.length; i++) Object.setPrototypeOf(propertiesValues[i], null);
  Object.defineProperties(callbackified, descriptors);
  return callbackified;
}

export function inherits(ctor, superCtor) {
  if (ctor === undefined || ctor === null) throw invalidArgType("ctor", "of type function", ctor);
  if (superCtor === undefined || superCtor === null) throw invalidArgType("superCtor", "of type function", superCtor);
  if (superCtor.prototype === undefined) throw invalidArgType("superCtor.prototype", "of type object", superCtor.prototype);
  Object.defineProperty(ctor, "super_", { value: superCtor, writable: true, configurable: true });
  Object.setPrototypeOf(ctor.prototype, superCtor.prototype);
}

const codesWarned = new Set();

export function deprecate(fn, msg, code) {
  if (typeof fn !== "function") throw invalidArgType("fn", "of type function", fn);
  let warned = false;
  function deprecated(...args) {
    if (!warned) {
      warned = true;
      if (code !== undefined) {
        if (!codesWarned.has(code)) {
          emitDeprecation(msg, code);
          codesWarned.add(code);
        }
      } else {
        emitDeprecation(msg, code);
      }
    }
    if (new.target) return Reflect.construct(fn, args, new.target);
    return Reflect.apply(fn, this, args);
  }
  Object.setPrototypeOf(deprecated, fn);
  if (fn.prototype) deprecated.prototype = fn.prototype;
  return deprecated;
}

function emitDeprecation(msg, code) {
  if (hbfProcess.noDeprecation) return;
  processEmitWarning(msg, "DeprecationWarning", code);
}

export function debuglog(section, cb) {
  const enabled = false;
  function debug() {}
  debug.enabled = enabled;
  Object.defineProperty(debug, "enabled", { get: () => enabled, enumerable: true, configurable: true });
  if (typeof cb === "function") cb(debug);
  return debug;
}

export function stripVTControlCharacters(str) {
  validateString(str, "str");
  // eslint-disable-next-line no-control-regex
  return str.replace(/[\u001B\u009B][[\]()#;?]*(?:(?:(?:(?:;[-a-zA-Z\d/#&.:=?%@~_]+)*|[a-zA-Z\d]+(?:;[-a-zA-Z\d/#&.:=?%@~_]*)*)?\u0007)|(?:(?:\d{1,4}(?:;\d{0,4})*)?[\dA-PR-TZcf-ntqry=><~]))/g, "");
}

export function toUSVString(input) {
  const s = `${input}`;
  return s.isWellFormed() ? s : s.toWellFormed();
}

export function getSystemErrorName(err) {
  const names = { "-1": "EPERM", "-2": "ENOENT", "-13": "EACCES", "-17": "EEXIST", "-20": "ENOTDIR", "-21": "EISDIR", "-22": "EINVAL", "-30": "EROFS" };
  if (typeof err !== "number") throw invalidArgType("err", "of type number", err);
  if (err >= 0 || !Number.isSafeInteger(err)) throw outOfRange("err", "a negative integer", err);
  return names[err] ?? `Unknown system error ${err}`;
}

export function styleText(format, text) {
  validateString(text, "text");
  const formats = Array.isArray(format) ? format : [format];
  let left = "";
  let right = "";
  for (const key of formats) {
    const code = inspect.colors[key];
    if (code === undefined) throw invalidArgType("format", `one of ${Object.keys(inspect.colors).join(", ")}`, key);
    left += `\u001b[${code[0]}m`;
    right = `\u001b[${code[1]}m` + right;
  }
  return `${left}${text}${right}`;
}

export function aborted() {
  return new Promise(() => {});
}

export function parseArgs() {
  throw nodeError(Error, "ERR_HBF_UNSUPPORTED", "util.parseArgs() is not supported in hbf");
}

// Legacy type checks (deprecated in Node but still used by old packages).
export const isArray = Array.isArray;
export const isBoolean = (arg) => typeof arg === "boolean";
export const isNull = (arg) => arg === null;
export const isNullOrUndefined = (arg) => arg === null || arg === undefined;
export const isNumber = (arg) => typeof arg === "number";
export const isString = (arg) => typeof arg === "string";
export const isSymbol = (arg) => typeof arg === "symbol";
export const isUndefined = (arg) => arg === undefined;
export const isRegExp = types.isRegExp;
export const isObject = (arg) => arg !== null && typeof arg === "object";
export const isDate = types.isDate;
export const isError = (e) => types.isNativeError(e) || e instanceof Error;
export const isFunction = (arg) => typeof arg === "function";
export const isPrimitive = (arg) => arg === null || (typeof arg !== "object" && typeof arg !== "function");
export const isBuffer = (arg) => {
  const B = globalThis.Buffer;
  return typeof B === "function" && B.isBuffer(arg);
};

export function log(...args) {
  const d = new Date();
  const pad = (n) => String(n).padStart(2, "0");
  const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const time = [pad(d.getHours()), pad(d.getMinutes()), pad(d.getSeconds())].join(":");
  console.log("%s - %s", `${d.getDate()} ${months[d.getMonth()]} ${time}`, format(...args));
}

export function _extend(target, source) {
  if (source === null || typeof source !== "object") return target;
  const keys = Object.keys(source);
  let i = keys.length;
  while (i--) target[keys[i]] = source[keys[i]];
  return target;
}

export { CodecTextEncoder as TextEncoder, CodecTextDecoder as TextDecoder };

const util = {
  format, formatWithOptions, inspect, promisify, callbackify, inherits, deprecate, isDeepStrictEqual, types, debuglog,
  debug: debuglog, stripVTControlCharacters, toUSVString, getSystemErrorName, styleText, aborted, parseArgs,
  isArray, isBoolean, isNull, isNullOrUndefined, isNumber, isString, isSymbol, isUndefined, isRegExp, isObject, isDate,
  isError, isFunction, isPrimitive, isBuffer, log, _extend,
};
// The bindings from hbf:web_codec are read when used: this module may be
// evaluated before hbf:web_codec's body when a harness imports it first.
Object.defineProperty(util, "TextEncoder", { get: () => CodecTextEncoder, enumerable: true, configurable: true });
Object.defineProperty(util, "TextDecoder", { get: () => CodecTextDecoder, enumerable: true, configurable: true });

export { util as default, isDeepLooseEqual as _isDeepLooseEqual };
export const debug = debuglog;
