// hbf:node_timers — Node's `timers` module on the host's request-scoped event
// loop (native setTimer/clearTimer). Timers fire only while the request that
// set them is still being processed: the host cancels whatever is pending
// when the request ends. setTimeout/setInterval return Timeout objects
// (ref/unref/hasRef/refresh/close, and a numeric id via Symbol.toPrimitive, so
// clearTimeout(+t) works); setImmediate runs after the current microtasks.

import native from "hbf:native";
import { validateFunction, validateNumber, invalidArgType, nodeError } from "hbf:node_errors";
import { _reportUncaught } from "hbf:node_process";
import process from "hbf:node_process";

const TIMEOUT_MAX = 2 ** 31 - 1;
const kRefed = Symbol("refed");
const customPromisify = Symbol.for("nodejs.util.promisify.custom");

let nextId = 1;
// Timeouts whose numeric id was taken (+timeout), for clearTimeout(number).
// Weakly held: the host drops pending timers when a request ends, and a
// context serves many requests.
const byId = new Map();
const hasWeakRefs = typeof WeakRef === "function" && typeof FinalizationRegistry === "function";
const forget = hasWeakRefs ? new FinalizationRegistry((id) => {
  const ref = byId.get(id);
  if (ref !== undefined && ref.deref() === undefined) byId.delete(id);
}) : null;

function remember(timer) {
  if (byId.has(timer._hbfId)) return;
  if (hasWeakRefs) {
    byId.set(timer._hbfId, new WeakRef(timer));
    forget.register(timer, timer._hbfId);
  } else {
    byId.set(timer._hbfId, { deref: () => timer });
  }
}

function callTimer(timer, fn, args) {
  try {
    if (args === undefined) fn.call(timer);
    else fn.apply(timer, args);
  } catch (err) {
    if (process.listenerCount("uncaughtException") > 0) _reportUncaught(err, "uncaughtException");
    else throw err;
  }
}

function normalizeDelay(after) {
  after *= 1;
  if (!(after >= 1 && after <= TIMEOUT_MAX)) {
    if (after > TIMEOUT_MAX) {
      process.emitWarning(`${after} does not fit into a 32-bit signed integer.\nTimeout duration was set to 1.`,
        "TimeoutOverflowWarning");
    }
    after = 1;
  }
  return after;
}

export class Timeout {
  constructor(callback, after, args, isRepeat) {
    after = normalizeDelay(after);
    this._idleTimeout = after;
    this._onTimeout = callback;
    this._timerArgs = args;
    this._repeat = isRepeat ? after : null;
    this._destroyed = false;
    this._cleared = false;
    this[kRefed] = true;
    this._hbfId = nextId++;
    this._nativeId = -1;
    this._schedule();
  }

  _schedule() {
    const fire = () => {
      if (this._destroyed) return;
      if (this._repeat === null) {
        this._destroyed = true;
        this._nativeId = -1;
        byId.delete(this._hbfId);
      }
      callTimer(this, this._onTimeout, this._timerArgs);
    };
    this._nativeId = native.setTimer(this._idleTimeout, fire, this._repeat !== null);
  }

  _clear() {
    if (this._nativeId !== -1) native.clearTimer(this._nativeId);
    this._nativeId = -1;
    this._destroyed = true;
    this._cleared = true;
    byId.delete(this._hbfId);
  }

  /** Restarts the countdown (re-arms a timer that already fired; a cleared one stays cleared). */
  refresh() {
    if (this._cleared) return this;
    if (this._nativeId !== -1) native.clearTimer(this._nativeId);
    this._destroyed = false;
    this._schedule();
    return this;
  }

  unref() {
    this[kRefed] = false;
    return this;
  }

  ref() {
    this[kRefed] = true;
    return this;
  }

  hasRef() {
    return this[kRefed];
  }

  close() {
    this._clear();
    return this;
  }

  [Symbol.toPrimitive]() {
    remember(this);
    return this._hbfId;
  }
}

export class Immediate {
  constructor(callback, args) {
    this._onImmediate = callback;
    this._argv = args;
    this._destroyed = false;
    this[kRefed] = true;
    this._nativeId = native.setTimer(0, () => {
      if (this._destroyed) return;
      this._destroyed = true;
      this._nativeId = -1;
      callTimer(this, this._onImmediate, this._argv);
    }, false);
  }

  ref() {
    this[kRefed] = true;
    return this;
  }

  unref() {
    this[kRefed] = false;
    return this;
  }

  hasRef() {
    return this[kRefed];
  }
}

export function setTimeout(callback, after, ...args) {
  validateFunction(callback, "callback");
  return new Timeout(callback, after, args.length ? args : undefined, false);
}

export function setInterval(callback, repeat, ...args) {
  validateFunction(callback, "callback");
  return new Timeout(callback, repeat, args.length ? args : undefined, true);
}

function unenroll(timer) {
  if (timer === null || timer === undefined) return;
  if (timer instanceof Timeout) {
    timer._clear();
    return;
  }
  if (typeof timer === "number" || typeof timer === "string") {
    const t = byId.get(Number(timer))?.deref();
    if (t !== undefined) t._clear();
  }
}

export function clearTimeout(timer) {
  if (timer && timer._onTimeout) {
    timer._onTimeout = null;
    unenroll(timer);
    return;
  }
  unenroll(timer);
}

export function clearInterval(timer) {
  clearTimeout(timer);
}

export function setImmediate(callback, ...args) {
  validateFunction(callback, "callback");
  return new Immediate(callback, args.length ? args : undefined);
}

export function clearImmediate(immediate) {
  if (!immediate || immediate._destroyed || !(immediate instanceof Immediate)) return;
  immediate._destroyed = true;
  if (immediate._nativeId !== -1) native.clearTimer(immediate._nativeId);
  immediate._nativeId = -1;
  immediate._onImmediate = null;
}

// ---------------------------------------------------------------------------
// timers/promises

function abortError(signal) {
  const err = nodeError(Error, "ABORT_ERR", "The operation was aborted");
  err.name = "AbortError";
  if (signal?.reason !== undefined) err.cause = signal.reason;
  return err;
}

function validateOptions(options) {
  if (options === null || typeof options !== "object") throw invalidArgType("options", "of type object", options);
  const { signal, ref = true } = options;
  if (signal !== undefined && (signal === null || typeof signal !== "object" || !("aborted" in signal))) {
    throw invalidArgType("options.signal", "an instance of AbortSignal", signal);
  }
  if (typeof ref !== "boolean") throw invalidArgType("options.ref", "of type boolean", ref);
  return { signal, ref };
}

function promiseTimer(create, clear, value, options) {
  const { signal } = validateOptions(options);
  if (signal?.aborted) return Promise.reject(abortError(signal));
  return new Promise((resolve, reject) => {
    let onAbort;
    const handle = create(() => {
      if (signal && onAbort) signal.removeEventListener?.("abort", onAbort);
      resolve(value);
    });
    if (signal) {
      onAbort = () => {
        clear(handle);
        reject(abortError(signal));
      };
      signal.addEventListener?.("abort", onAbort, { once: true });
    }
  });
}

function promisesSetTimeout(after, value, options = {}) {
  if (after !== undefined) validateNumber(after, "delay");
  return promiseTimer((fn) => setTimeout(fn, after), clearTimeout, value, options);
}

function promisesSetImmediate(value, options = {}) {
  return promiseTimer((fn) => setImmediate(fn), clearImmediate, value, options);
}

async function* promisesSetInterval(after, value, options = {}) {
  const { signal } = validateOptions(options);
  if (signal?.aborted) throw abortError(signal);
  let notYielded = 0;
  let wake = null;
  const interval = setInterval(() => {
    notYielded++;
    if (wake) {
      wake();
      wake = null;
    }
  }, after);
  let onAbort;
  if (signal) {
    onAbort = () => {
      if (wake) {
        wake();
        wake = null;
      }
    };
    signal.addEventListener?.("abort", onAbort, { once: true });
  }
  try {
    while (!signal?.aborted) {
      if (notYielded === 0) await new Promise((resolve) => (wake = resolve));
      if (signal?.aborted) break;
      for (; notYielded > 0; notYielded--) yield value;
    }
    throw abortError(signal);
  } finally {
    clearInterval(interval);
    if (signal && onAbort) signal.removeEventListener?.("abort", onAbort);
  }
}

export const promises = {
  setTimeout: promisesSetTimeout,
  setImmediate: promisesSetImmediate,
  setInterval: promisesSetInterval,
  scheduler: {
    wait: (delay, options) => promisesSetTimeout(delay, undefined, options),
    yield: () => promisesSetImmediate(),
  },
};

Object.defineProperty(setTimeout, customPromisify, {
  value: promisesSetTimeout, enumerable: false, writable: true, configurable: true,
});
Object.defineProperty(setImmediate, customPromisify, {
  value: promisesSetImmediate, enumerable: false, writable: true, configurable: true,
});

const timers = {
  setTimeout, clearTimeout, setInterval, clearInterval, setImmediate, clearImmediate, promises,
  active(timer) {
    if (timer instanceof Timeout) timer.refresh();
  },
  unenroll,
};

export default timers;
