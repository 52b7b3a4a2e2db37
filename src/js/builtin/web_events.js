// hbf:web_events — the DOM event classes Node 20 has as globals: Event,
// CustomEvent, EventTarget, AbortController and AbortSignal (abort(reason),
// aborted, reason, onabort, throwIfAborted, AbortSignal.abort/timeout/any).
// hbf:bootstrap installs them on first use. Behaviour follows Node's
// implementation where it departs from the DOM: a listener added during a
// dispatch to the same target is called in that dispatch, an exception in a
// listener is reported as an uncaught exception (process "uncaughtException"
// listeners, else the log) after the dispatch, and (Node 20's quirk) only the
// first listener to return sees currentTarget and eventPhase AT_TARGET.

import native from "hbf:native";
import { DOMExceptionImpl as DOMException } from "hbf:web_codec";

function nodeTypeError(code, message) {
  const err = new TypeError(message);
  err.code = code;
  return err;
}

function describe(value) {
  if (value === null) return "Received null";
  if (value === undefined) return "Received undefined";
  if (typeof value === "function") return `Received function ${value.name}`;
  if (typeof value === "object") {
    const name = value.constructor?.name;
    return name ? `Received an instance of ${name}` : "Received an object";
  }
  let shown = typeof value === "string" ? `'${value.length > 25 ? value.slice(0, 25) + "..." : value}'` : String(value);
  if (typeof value === "bigint") shown += "n";
  return `Received type ${typeof value} (${shown})`;
}

function invalidArgType(name, expected, value) {
  return nodeTypeError("ERR_INVALID_ARG_TYPE", `The "${name}" argument must be ${expected}. ${describe(value)}`);
}

/** A symbol-keyed slot util.inspect does not show (Node keeps these in private fields). */
function hidden(obj, key, value) {
  Object.defineProperty(obj, key, { value, writable: true, configurable: true, enumerable: false });
}

function reportUncaught(err) {
  // As Node: thrown from a later tick, so the dispatch itself completes.
  const process = native.loadBuiltin("hbf:node_process");
  process.nextTick(() => process._reportUncaught(err, "uncaughtException"));
}

// ---------------------------------------------------------------------------
// Event

const kTrusted = Symbol("kTrusted");
const kState = Symbol("kState");
const NONE = 0;
const CAPTURING_PHASE = 1;
const AT_TARGET = 2;
const BUBBLING_PHASE = 3;

const timeOrigin = native.monotonicNow();

export class Event {
  constructor(type, options = undefined) {
    if (arguments.length === 0) throw nodeTypeError("ERR_MISSING_ARGS", 'The "type" argument must be specified');
    if (options !== undefined && options !== null && typeof options !== "object" && typeof options !== "function") {
      throw invalidArgType("options", "of type object", options);
    }
    hidden(this, kState, {
      type: `${type}`,
      bubbles: Boolean(options?.bubbles),
      cancelable: Boolean(options?.cancelable),
      composed: Boolean(options?.composed),
      trusted: options?.[kTrusted] === true,
      defaultPrevented: false,
      stopPropagation: false,
      stopImmediate: false,
      timeStamp: native.monotonicNow() - timeOrigin,
      target: null,
      dispatching: false,
    });
  }

  get type() { return this[kState].type; }
  get bubbles() { return this[kState].bubbles; }
  get cancelable() { return this[kState].cancelable; }
  get composed() { return this[kState].composed; }
  get defaultPrevented() { return this[kState].cancelable && this[kState].defaultPrevented; }
  get timeStamp() { return this[kState].timeStamp; }
  get target() { return this[kState].target; }
  get currentTarget() { return this[kState].dispatching ? this[kState].target : null; }
  get srcElement() { return this[kState].target; }
  get eventPhase() { return this[kState].dispatching ? AT_TARGET : NONE; }
  get isTrusted() { return this[kState].trusted; }
  get returnValue() { return !this.defaultPrevented; }
  get cancelBubble() { return this[kState].stopPropagation; }
  set cancelBubble(value) {
    if (value) this[kState].stopPropagation = true;
  }

  composedPath() {
    return this[kState].dispatching ? [this[kState].target] : [];
  }

  preventDefault() {
    this[kState].defaultPrevented = true;
  }

  stopPropagation() {
    this[kState].stopPropagation = true;
  }

  stopImmediatePropagation() {
    this[kState].stopPropagation = true;
    this[kState].stopImmediate = true;
  }

  get [Symbol.toStringTag]() { return "Event"; }
}
for (const [name, value] of [["NONE", NONE], ["CAPTURING_PHASE", CAPTURING_PHASE], ["AT_TARGET", AT_TARGET],
  ["BUBBLING_PHASE", BUBBLING_PHASE]]) {
  Object.defineProperty(Event, name, { value, enumerable: true });  // static only, as in Node 20
}

export class CustomEvent extends Event {
  #detail;
  constructor(type, options = undefined) {
    if (arguments.length === 0) throw nodeTypeError("ERR_MISSING_ARGS", 'The "type" argument must be specified');
    super(type, options);
    this.#detail = options?.detail ?? null;
  }

  get detail() { return this.#detail; }
  get [Symbol.toStringTag]() { return "CustomEvent"; }
}

// ---------------------------------------------------------------------------
// EventTarget

const kListeners = Symbol("kListeners");

function flattenOptions(options) {
  if (typeof options === "boolean") return { capture: options, once: false, passive: false, signal: undefined };
  if (options === undefined || options === null) return { capture: false, once: false, passive: false, signal: undefined };
  if (typeof options !== "object") throw invalidArgType("options", "of type object", options);
  return { capture: Boolean(options.capture), once: Boolean(options.once), passive: Boolean(options.passive), signal: options.signal };
}

function validListener(listener) {
  if (typeof listener === "function") return true;
  if (listener !== null && typeof listener === "object") return true;
  if (listener === null || listener === undefined) return false;
  throw invalidArgType("listener", "an instance of EventListener", listener);
}

export class EventTarget {
  constructor() {
    hidden(this, kListeners, new Map());  // type -> [{ listener, capture, once, passive, removed }]
  }

  addEventListener(type, listener, options = undefined) {
    if (arguments.length < 2) throw nodeTypeError("ERR_MISSING_ARGS", 'The "type" and "listener" arguments must be specified');
    const { capture, once, passive, signal } = flattenOptions(options);
    if (!validListener(listener)) return;
    if (signal !== undefined && !(signal instanceof AbortSignal)) throw invalidArgType("options.signal", "an instance of AbortSignal", signal);
    if (signal?.aborted) return;
    type = `${type}`;
    if (this[kListeners] === undefined) hidden(this, kListeners, new Map());
    const map = this[kListeners];
    let list = map.get(type);
    if (list === undefined) map.set(type, (list = []));
    if (list.some((l) => l.listener === listener && l.capture === capture)) return;
    const entry = { listener, capture, once, passive, removed: false };
    list.push(entry);
    if (signal !== undefined) {
      signal.addEventListener("abort", () => this.removeEventListener(type, listener, { capture }), { once: true });
    }
  }

  removeEventListener(type, listener, options = undefined) {
    if (arguments.length < 2) throw nodeTypeError("ERR_MISSING_ARGS", 'The "type" and "listener" arguments must be specified');
    const capture = typeof options === "boolean" ? options : Boolean(options?.capture);
    const list = this[kListeners]?.get(`${type}`);
    if (list === undefined) return;
    const i = list.findIndex((l) => l.listener === listener && l.capture === capture);
    if (i === -1) return;
    list[i].removed = true;
    list.splice(i, 1);
  }

  dispatchEvent(event) {
    if (!(event instanceof Event)) throw invalidArgType("event", "an instance of Event", event);
    const state = event[kState];
    if (state.dispatching) throw nodeError("ERR_EVENT_RECURSION", `The event "${state.type}" is already being dispatched`);
    state.target = this;
    state.dispatching = true;
    const list = this[kListeners]?.get(state.type);
    if (list !== undefined) {
      // A live walk, as Node's: listeners added meanwhile run in this
      // dispatch, removed ones do not.
      const seen = new Set();
      for (;;) {
        const entry = list.find((e) => !seen.has(e));
        if (entry === undefined || (state.stopImmediate && !entry.passive)) break;
        seen.add(entry);
        if (entry.once) this.removeEventListener(state.type, entry.listener, { capture: entry.capture });
        try {
          const { listener } = entry;
          const result = typeof listener === "function" ? listener.call(this, event) : listener.handleEvent?.(event);
          // Node 20 ends the dispatch state after the first listener that
          // returns: later ones see no currentTarget and eventPhase NONE.
          state.dispatching = false;
          if (result !== undefined && result !== null && typeof result.then === "function") {
            result.then(undefined, reportUncaught);
          }
        } catch (err) {
          reportUncaught(err);
        }
      }
    }
    state.dispatching = false;
    return !event.defaultPrevented;
  }

  get [Symbol.toStringTag]() { return "EventTarget"; }
}

function nodeError(code, message) {
  const err = new Error(message);
  err.code = code;
  return err;
}

// ---------------------------------------------------------------------------
// AbortSignal / AbortController

const kCreate = Symbol("kCreate");
const kAborted = Symbol("kAborted");
const kReason = Symbol("kReason");
const kOnabort = Symbol("kOnabort");

function abortSignal(signal, reason) {
  if (signal[kAborted]) return;
  signal[kAborted] = true;
  signal[kReason] = reason;
  signal.dispatchEvent(new Event("abort", { [kTrusted]: true }));
}

export class AbortSignal extends EventTarget {
  constructor(key = undefined) {
    if (key !== kCreate) throw nodeTypeError("ERR_ILLEGAL_CONSTRUCTOR", "Illegal constructor");
    super();
    hidden(this, kAborted, false);
    hidden(this, kReason, undefined);
    hidden(this, kOnabort, null);
  }

  get aborted() { return this[kAborted]; }
  get reason() { return this[kReason]; }

  get onabort() { return this[kOnabort]?.handler ?? null; }
  set onabort(handler) {
    if (this[kOnabort] !== null) this.removeEventListener("abort", this[kOnabort].wrapper);
    if (typeof handler !== "function") {
      this[kOnabort] = null;
      return;
    }
    const wrapper = (event) => handler.call(this, event);
    this[kOnabort] = { handler, wrapper };
    this.addEventListener("abort", wrapper);
  }

  throwIfAborted() {
    if (this[kAborted]) throw this[kReason];
  }

  static abort(reason = new DOMException("This operation was aborted", "AbortError")) {
    const signal = new AbortSignal(kCreate);
    signal[kAborted] = true;
    signal[kReason] = reason;
    return signal;
  }

  static timeout(delay) {
    if (typeof delay !== "number") throw invalidArgType("delay", "of type number", delay);
    if (!Number.isInteger(delay)) {
      throw rangeError(`The value of "delay" is out of range. It must be an integer. Received ${delay}`);
    }
    if (delay < 0 || delay > 4294967295) {
      throw rangeError(`The value of "delay" is out of range. It must be >= 0 && <= 4294967295. Received ${delay}`);
    }
    const signal = new AbortSignal(kCreate);
    // On the host's timers: it fires while the request that made it runs.
    native.setTimer(delay, () => abortSignal(signal, new DOMException("The operation was aborted due to timeout", "TimeoutError")), false);
    return signal;
  }

  static any(signals) {
    if (signals === null || typeof signals !== "object" || typeof signals[Symbol.iterator] !== "function") {
      throw invalidArgType("signals", "an instance of Array", signals);
    }
    const list = Array.from(signals);
    list.forEach((s, i) => {
      if (!(s instanceof AbortSignal)) throw invalidArgType(`signals[${i}]`, "an instance of AbortSignal", s);
    });
    const result = new AbortSignal(kCreate);
    const done = list.find((s) => s.aborted);
    if (done !== undefined) {
      result[kAborted] = true;
      result[kReason] = done.reason;
      return result;
    }
    for (const s of list) s.addEventListener("abort", () => abortSignal(result, s.reason), { once: true });
    return result;
  }

  get [Symbol.toStringTag]() { return "AbortSignal"; }
}

function rangeError(message) {
  const err = new RangeError(message);
  err.code = "ERR_OUT_OF_RANGE";
  return err;
}

export class AbortController {
  #signal = new AbortSignal(kCreate);

  get signal() { return this.#signal; }

  abort(reason = new DOMException("This operation was aborted", "AbortError")) {
    abortSignal(this.#signal, reason);
  }

  get [Symbol.toStringTag]() { return "AbortController"; }
}

export default { Event, CustomEvent, EventTarget, AbortController, AbortSignal };
