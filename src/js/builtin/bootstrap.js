// hbf:bootstrap — evaluated once per context before any tenant code. Installs
// web-platform globals that QuickJS lacks (crypto, queueMicrotask, global),
// each only if absent, V8's Error.captureStackTrace/stackTraceLimit, and,
// loaded on first use, TextEncoder, TextDecoder, DOMException, console,
// URL/URLSearchParams, Node's Buffer, process, timers, require, atob/btoa,
// structuredClone, performance, Event/EventTarget/CustomEvent,
// AbortController/AbortSignal and Intl (with the locale-sensitive methods of
// Date, Number, BigInt and String). Also exports a few helpers shared by the
// other hbf:* modules. The implementations live in hbf:web_text (bytes,
// percent-encoding), hbf:web_codec (DOMException, TextEncoder/TextDecoder), hbf:web_url and
// hbf:web_url_host, hbf:web_console (inspect, format, console) and
// hbf:web_stack (the V8 stack-trace API); this module only installs them.
// What is loaded on first use costs a worker nothing until then: every idle
// worker of every henv holds what is evaluated here.

import native from "hbf:native";
// Node compatibility (the module resolver and CommonJS loader in hbf:modules,
// the Node globals Buffer, process and timers) is installed lazily below.

// DOMException and TextEncoder/TextDecoder (hbf:web_codec), on first use.
const codec = () => native.loadBuiltin("hbf:web_codec");

// ---------------------------------------------------------------------------
// crypto

const INTEGER_ARRAYS = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, BigInt64Array, BigUint64Array];

export function randomBytes(n) {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError("byte count must be a non-negative integer");
  if (n <= 65536) return native.randomBytes(n);
  const out = new Uint8Array(n);
  for (let off = 0; off < n; off += 65536) out.set(native.randomBytes(Math.min(65536, n - off)), off);
  return out;
}

export function randomUUID() {
  const b = native.randomBytes(16);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  let hex = "";
  for (let i = 0; i < 16; i++) {
    hex += (b[i] < 16 ? "0" : "") + b[i].toString(16);
    if (i === 3 || i === 5 || i === 7 || i === 9) hex += "-";
  }
  return hex;
}

const cryptoObject = {
  getRandomValues(array) {
    if (!INTEGER_ARRAYS.some((T) => array instanceof T)) {
      throw new (codec().DOMExceptionImpl)("The data argument must be an integer-type TypedArray", "TypeMismatchError");
    }
    if (array.byteLength > 65536) {
      throw new (codec().DOMExceptionImpl)(`The ArrayBufferView's byte length (${array.byteLength}) exceeds the number of bytes of entropy available via this API (65536)`, "QuotaExceededError");
    }
    new Uint8Array(array.buffer, array.byteOffset, array.byteLength).set(native.randomBytes(array.byteLength));
    return array;
  },
  randomUUID,
};

function queueMicrotaskImpl(callback) {
  if (typeof callback !== "function") throw new TypeError("The \"callback\" argument must be of type function");
  Promise.resolve().then(() => {
    try {
      callback();
    } catch (err) {
      native.log("error", "Uncaught exception in queueMicrotask callback: " + native.loadBuiltin("hbf:web_console").inspect(err));
    }
  });
}

// Error.captureStackTrace only where the host has none: a stand-in that
// loads hbf:web_stack (V8's stack-trace API) on its first call.
export function captureStackTrace(targetObject, constructorOpt = undefined) {
  native.loadBuiltin("hbf:web_stack").captureStackTraceVia(targetObject, constructorOpt);
}
if (typeof Error.captureStackTrace !== "function") {
  Object.defineProperty(Error, "captureStackTrace", { value: captureStackTrace, writable: true, enumerable: false, configurable: true });
}
if (!("stackTraceLimit" in Error)) Error.stackTraceLimit = 10;


// ---------------------------------------------------------------------------
// Install

function install(name, value) {
  if (name in globalThis) return;
  Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });
}

install("crypto", cryptoObject);
install("queueMicrotask", queueMicrotaskImpl);
install("global", globalThis);

// Node globals, backed by hbf:node_buffer, hbf:node_process and
// hbf:node_timers. Those shims cost more to evaluate than everything else a
// worker loads, so each global is an accessor until first read (or written):
// then its module is evaluated and the accessor replaced by a plain data
// property, as the eager install would have made it.

// The getters of globals not made yet (isUnmadeGlobal).
const lazyGetters = [];

function installLazy(name, load) {
  if (name in globalThis) return;
  const settle = (value) => {
    Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });
    return value;
  };
  const get = () => settle(load());
  lazyGetters.push(get);
  Object.defineProperty(globalThis, name, {
    get,
    set(value) { settle(value); },
    configurable: true,
    enumerable: false,
  });
}
const timers = () => native.loadBuiltin("hbf:node_timers");
// A global `require` for the tenant's ES modules (Node has none in ESM; hbf
// offers one for convenience): bare and "node:" specifiers work from any
// module; relative ones resolve from _system/ (the router's directory).
installLazy("require", () => native.loadBuiltin("hbf:modules").requireFrom("_system/router.js"));
installLazy("Buffer", () => native.loadBuiltin("hbf:node_buffer").Buffer);
installLazy("process", () => native.loadBuiltin("hbf:node_process").default);
for (const name of ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "setImmediate", "clearImmediate"]) {
  installLazy(name, () => timers()[name]);
}
// Web globals Node has, each in its own built-in, loaded on first use.
installLazy("DOMException", () => codec().DOMExceptionImpl);
installLazy("TextEncoder", () => codec().TextEncoder);
installLazy("TextDecoder", () => codec().TextDecoder);
installLazy("atob", () => native.loadBuiltin("hbf:node_buffer").atob);
installLazy("btoa", () => native.loadBuiltin("hbf:node_buffer").btoa);
// console (hbf:web_console: inspect and format) on first use too.
installLazy("console", () => native.loadBuiltin("hbf:web_console").makeConsole());
// URL and URLSearchParams (hbf:web_url with its parser and host rules: a
// sixth of what a worker would otherwise hold) are loaded on first use.
installLazy("URL", () => native.loadBuiltin("hbf:web_url").URL);
installLazy("URLSearchParams", () => native.loadBuiltin("hbf:web_url").URLSearchParams);
installLazy("structuredClone", () => native.loadBuiltin("hbf:web_clone").structuredClone);
installLazy("performance", () => native.loadBuiltin("hbf:node_perf_hooks").performance);
for (const name of ["Event", "EventTarget", "CustomEvent", "AbortController", "AbortSignal"]) {
  installLazy(name, () => native.loadBuiltin("hbf:web_events")[name]);
}

// Intl (hbf:intl, over ICU) and the locale-sensitive methods of Date,
// Number, BigInt and String, which QuickJS has without locales: where the
// host has no Intl, installed here, their implementation loaded on first
// call.
if (typeof globalThis.Intl === "undefined") {
  installLazy("Intl", () => native.loadBuiltin("hbf:intl").Intl);
  let intlModule = null;
  const intl = () => intlModule ?? (intlModule = native.loadBuiltin("hbf:intl"));
  const replaceMethod = (proto, name, fn) => {
    Object.defineProperty(fn, "name", { value: name });
    Object.defineProperty(proto, name, { value: fn, writable: true, enumerable: false, configurable: true });
  };
  replaceMethod(Date.prototype, "toLocaleString", function (locales = undefined, options = undefined) {
    return intl().dateToLocale(this, locales, options, "any", "all");
  });
  replaceMethod(Date.prototype, "toLocaleDateString", function (locales = undefined, options = undefined) {
    return intl().dateToLocale(this, locales, options, "date", "date");
  });
  replaceMethod(Date.prototype, "toLocaleTimeString", function (locales = undefined, options = undefined) {
    return intl().dateToLocale(this, locales, options, "time", "time");
  });
  const numberValueOf = Number.prototype.valueOf;
  replaceMethod(Number.prototype, "toLocaleString", function (locales = undefined, options = undefined) {
    return intl().numberToLocale(numberValueOf.call(this), locales, options);
  });
  const bigintValueOf = BigInt.prototype.valueOf;
  replaceMethod(BigInt.prototype, "toLocaleString", function (locales = undefined, options = undefined) {
    return intl().numberToLocale(bigintValueOf.call(this), locales, options);
  });
  replaceMethod(String.prototype, "localeCompare", function (that, locales = undefined, options = undefined) {
    if (this === undefined || this === null) throw new TypeError("String.prototype.localeCompare called on null or undefined");
    return intl().localeCompare(String(this), String(that), locales, options);
  });
}

// The implementations themselves (the globals may be the host's own, e.g. under Node).
// (DOMException, TextEncoder and TextDecoder: import them from hbf:web_codec;
// CallSite from hbf:web_stack.)
/** Whether global `name` is still one of ours not made yet (nothing read, assigned or redefined it). */
export function isUnmadeGlobal(name) {
  const own = Object.getOwnPropertyDescriptor(globalThis, name);
  return own !== undefined && own.get !== undefined && lazyGetters.includes(own.get);
}

export { cryptoObject as crypto, queueMicrotaskImpl as queueMicrotask };
// Helpers the other built-ins have always imported from here.
export { toBytes, utf8Encode, percentDecode, formDecode, parseFormPairs, formEncode, wellFormed } from "hbf:web_text";
