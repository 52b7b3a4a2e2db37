// hbf:web_clone — structuredClone(value, { transfer }) as Node 20 (V8's
// serializer) does it: primitives but symbols; plain objects and arrays (own
// enumerable string keys, getters read, holes kept, prototype becomes
// Object's/Array's); Date, RegExp (lastIndex reset), Map, Set, ArrayBuffer,
// typed arrays and DataView (shared buffers stay shared), boxed primitives,
// Error objects (Error/EvalError/RangeError/ReferenceError/SyntaxError/
// TypeError/URIError with message, stack and cause); cycles and repeated
// references preserved. Functions, symbols, promises, weak collections and
// generators throw a DataCloneError DOMException with V8's message.
// Transferred ArrayBuffers are moved: the original is detached.
// Not detectable from JS and so cloned as plain objects: Proxies (V8 refuses
// them); refused although V8 clones them as plain objects: objects that
// merely inherit from Promise.prototype.

import native from "hbf:native";
import { DOMExceptionImpl as DOMException } from "hbf:web_codec";

function cloneError(message) {
  return new DOMException(message, "DataCloneError");
}

function nodeTypeError(code, message) {
  const err = new TypeError(message);
  err.code = code;
  return err;
}

// Brand checks (what V8 looks at: internal slots, not prototypes or tags).
const call = (fn, v, ...args) => {
  try {
    fn.call(v, ...args);
    return true;
  } catch {
    return false;
  }
};
const getter = (proto, name) => Object.getOwnPropertyDescriptor(proto, name).get;
const TypedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype);
const typedArrayTag = getter(TypedArrayPrototype, Symbol.toStringTag);
const arrayBufferByteLength = getter(ArrayBuffer.prototype, "byteLength");
const dataViewByteLength = getter(DataView.prototype, "byteLength");
const regExpSource = getter(RegExp.prototype, "source");
const mapSize = getter(Map.prototype, "size");
const setSize = getter(Set.prototype, "size");

const isArrayBuffer = (v) => call(arrayBufferByteLength, v);
const isDataView = (v) => call(dataViewByteLength, v);
const isDate = (v) => call(Date.prototype.getTime, v);
const isRegExp = (v) => v !== RegExp.prototype && call(regExpSource, v);
const isMap = (v) => call(mapSize, v);
const isSet = (v) => call(setSize, v);
const isError = (v) => Object.prototype.toString.call(v) === "[object Error]" && v instanceof Error;

const ERROR_TYPES = { __proto__: null, Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError };

function isDetached(buffer) {
  try {
    new Uint8Array(buffer);
    return false;
  } catch {
    return true;
  }
}

function copyBuffer(buffer) {
  if (isDetached(buffer)) throw cloneError("An ArrayBuffer is detached and could not be cloned.");
  return buffer.slice(0);
}

function uncloneable(value) {
  const tag = Object.prototype.toString.call(value);
  if (tag === "[object Generator]" || tag === "[object AsyncGenerator]") return cloneError(`${tag} could not be cloned.`);
  let name = "Object";
  try {
    name = value.constructor?.name || "Object";
  } catch {}
  return cloneError(`#<${name}> could not be cloned.`);
}

// Brand checks without side effects where JS has them (a fresh token
// matches nothing); a promise is told by its prototype, as no method can
// test one without attaching a reaction.
function isUncloneableObject(value) {
  return call(WeakMap.prototype.has, value, {}) || call(WeakSet.prototype.has, value, {}) ||
    (typeof WeakRef === "function" && call(WeakRef.prototype.deref, value)) ||
    (typeof FinalizationRegistry === "function" && call(FinalizationRegistry.prototype.unregister, value, {})) ||
    value instanceof Promise || /^\[object (Async)?Generator\]$/.test(Object.prototype.toString.call(value));
}

function cloneValue(value, memo) {
  const type = typeof value;
  if (type === "function") throw cloneError(`${Function.prototype.toString.call(value)} could not be cloned.`);
  if (type === "symbol") throw cloneError(`${String(value)} could not be cloned.`);
  if (type !== "object" || value === null) return value;
  if (memo.has(value)) return memo.get(value);

  let out;
  if (Array.isArray(value)) {
    out = new Array(value.length);
    memo.set(value, out);
    for (const key of Object.keys(value)) out[key] = cloneValue(value[key], memo);
    return out;
  }
  if (isArrayBuffer(value)) {
    out = copyBuffer(value);
    memo.set(value, out);
    return out;
  }
  if (ArrayBuffer.isView(value)) {
    let buffer = memo.get(value.buffer);
    if (buffer === undefined) {
      buffer = copyBuffer(value.buffer);
      memo.set(value.buffer, buffer);
    }
    if (isDataView(value)) {
      out = new DataView(buffer, value.byteOffset, value.byteLength);
    } else {
      const Ctor = globalThis[typedArrayTag.call(value)];
      out = new Ctor(buffer, value.byteOffset, value.length);
    }
    memo.set(value, out);
    return out;
  }
  if (isDate(value)) {
    out = new Date(Date.prototype.getTime.call(value));
  } else if (isRegExp(value)) {
    out = new RegExp(regExpSource.call(value), getter(RegExp.prototype, "flags").call(value));
  } else if (call(Number.prototype.valueOf, value)) {
    out = Object(Number.prototype.valueOf.call(value));
  } else if (call(String.prototype.valueOf, value)) {
    out = Object(String.prototype.valueOf.call(value));
  } else if (call(Boolean.prototype.valueOf, value)) {
    out = Object(Boolean.prototype.valueOf.call(value));
  } else if (call(BigInt.prototype.valueOf, value)) {
    out = Object(BigInt.prototype.valueOf.call(value));
  } else if (isMap(value)) {
    out = new Map();
    memo.set(value, out);
    const entries = Array.from(Map.prototype.entries.call(value));
    for (const [k, v] of entries) out.set(cloneValue(k, memo), cloneValue(v, memo));
    return out;
  } else if (isSet(value)) {
    out = new Set();
    memo.set(value, out);
    const values = Array.from(Set.prototype.values.call(value));
    for (const v of values) out.add(cloneValue(v, memo));
    return out;
  } else if (isError(value)) {
    const name = value.name;
    const Ctor = ERROR_TYPES[typeof name === "string" ? name : ""] ?? Error;
    out = Object.create(Ctor.prototype);
    memo.set(value, out);
    const define = (key, v) => Object.defineProperty(out, key, { value: v, writable: true, enumerable: false, configurable: true });
    const stack = value.stack;
    define("stack", typeof stack === "string" ? stack : `${Ctor.name}${value.message ? ": " + String(value.message) : ""}`);
    if (Object.prototype.hasOwnProperty.call(value, "message")) define("message", String(value.message));
    if (Object.prototype.hasOwnProperty.call(value, "cause")) define("cause", cloneValue(value.cause, memo));
    return out;
  } else if (isUncloneableObject(value)) {
    throw uncloneable(value);
  } else {
    out = {};
    memo.set(value, out);
    for (const key of Object.keys(value)) out[key] = cloneValue(value[key], memo);
    return out;
  }
  memo.set(value, out);
  return out;
}

export function structuredClone(value, options = undefined) {
  if (arguments.length === 0) throw nodeTypeError("ERR_MISSING_ARGS", "The value argument must be specified");
  if (options !== undefined && options !== null && typeof options !== "object") {
    throw nodeTypeError("ERR_INVALID_ARG_TYPE", "The options argument must be either an object or undefined");
  }
  const memo = new Map();
  const transfer = options?.transfer;
  let moved = [];
  if (transfer !== undefined && transfer !== null) {
    if (typeof transfer !== "object" || typeof transfer[Symbol.iterator] !== "function") {
      throw nodeTypeError("ERR_INVALID_ARG_TYPE", "Optional transferList argument must be an iterable");
    }
    moved = Array.from(transfer);
    for (const buffer of moved) {
      if (!isArrayBuffer(buffer)) throw nodeTypeError("ERR_INVALID_TRANSFER_OBJECT", "Found invalid object in transferList");
      if (memo.has(buffer)) throw cloneError("Transfer list contains duplicate ArrayBuffer");
      memo.set(buffer, copyBuffer(buffer));
    }
  }
  const out = cloneValue(value, memo);
  // Moved, not copied: the sender's buffers are left detached, as Node's are.
  for (const buffer of moved) native.detachArrayBuffer(buffer);
  return out;
}

export default structuredClone;
