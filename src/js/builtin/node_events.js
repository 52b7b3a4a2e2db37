// hbf:node_events — Node's `events` module: EventEmitter (ported from Node's
// lib/events.js: the same `_events` layout, 'newListener'/'removeListener'
// events, 'error' semantics, errorMonitor, max-listener warnings) plus the
// `once(emitter, name)` and `on(emitter, name)` helpers.

import { nodeError, invalidArgType, outOfRange, validateFunction, validateNumber } from "hbf:node_errors";

const kRejection = Symbol.for("nodejs.rejection");
const kCapture = Symbol("kCapture");
export const errorMonitor = Symbol("events.errorMonitor");
export const captureRejectionSymbol = kRejection;

let defaultMaxListeners = 10;

function checkListener(listener) {
  validateFunction(listener, "listener");
}

function emitWarning(warning) {
  const p = globalThis.process;
  if (p && typeof p.emitWarning === "function") p.emitWarning(warning);
  else if (typeof console !== "undefined") console.warn(`${warning.name}: ${warning.message}`);
}

function shortInspect(v) {
  if (typeof v === "string") return `'${v}'`;
  if (typeof v === "symbol") return v.toString();
  if (v instanceof Error) return `${v.name}: ${v.message}`;
  if (v === null || typeof v !== "object") return String(v);
  try {
    return JSON.stringify(v);
  } catch {
    return "[object]";
  }
}

export function EventEmitter(opts) {
  EventEmitter.init.call(this, opts);
}

EventEmitter.prototype._events = undefined;
EventEmitter.prototype._eventsCount = 0;
EventEmitter.prototype._maxListeners = undefined;

Object.defineProperty(EventEmitter, "captureRejections", {
  get() {
    return EventEmitter.prototype[kCapture];
  },
  set(value) {
    if (typeof value !== "boolean") throw invalidArgType("EventEmitter.captureRejections", "of type boolean", value);
    EventEmitter.prototype[kCapture] = value;
  },
  enumerable: true,
});
EventEmitter.prototype[kCapture] = false;

Object.defineProperty(EventEmitter, "defaultMaxListeners", {
  enumerable: true,
  get() {
    return defaultMaxListeners;
  },
  set(arg) {
    if (typeof arg !== "number" || arg < 0 || Number.isNaN(arg)) {
      throw outOfRange("defaultMaxListeners", "a non-negative number", arg);
    }
    defaultMaxListeners = arg;
  },
});

EventEmitter.errorMonitor = errorMonitor;
EventEmitter.captureRejectionSymbol = kRejection;

EventEmitter.init = function init(opts) {
  if (this._events === undefined || this._events === Object.getPrototypeOf(this)._events) {
    this._events = { __proto__: null };
    this._eventsCount = 0;
  }
  this._maxListeners = this._maxListeners || undefined;
  if (opts?.captureRejections) {
    if (typeof opts.captureRejections !== "boolean") {
      throw invalidArgType("options.captureRejections", "of type boolean", opts.captureRejections);
    }
    this[kCapture] = Boolean(opts.captureRejections);
  } else {
    this[kCapture] = EventEmitter.prototype[kCapture];
  }
};

function addCatch(that, promise, type, args) {
  if (!that[kCapture]) return;
  try {
    const then = promise.then;
    if (typeof then === "function") {
      then.call(promise, undefined, (err) => {
        Promise.resolve().then(() => emitUnhandledRejectionOrErr(that, err, type, args));
      });
    }
  } catch (err) {
    that.emit("error", err);
  }
}

function emitUnhandledRejectionOrErr(ee, err, type, args) {
  if (typeof ee[kRejection] === "function") {
    ee[kRejection](err, type, ...args);
  } else {
    const prev = ee[kCapture];
    try {
      ee[kCapture] = false;
      ee.emit("error", err);
    } finally {
      ee[kCapture] = prev;
    }
  }
}

EventEmitter.prototype.setMaxListeners = function setMaxListeners(n) {
  validateNumber(n, "setMaxListeners", 0);
  this._maxListeners = n;
  return this;
};

function _getMaxListeners(that) {
  if (that._maxListeners === undefined) return defaultMaxListeners;
  return that._maxListeners;
}

EventEmitter.prototype.getMaxListeners = function getMaxListeners() {
  return _getMaxListeners(this);
};

EventEmitter.prototype.emit = function emit(type, ...args) {
  let doError = type === "error";
  const events = this._events;
  if (events !== undefined) {
    if (doError && events[errorMonitor] !== undefined) this.emit(errorMonitor, ...args);
    doError = doError && events.error === undefined;
  } else if (!doError) {
    return false;
  }

  if (doError) {
    let er;
    if (args.length > 0) er = args[0];
    if (er instanceof Error) throw er; // Unhandled 'error' event
    const err = nodeError(Error, "ERR_UNHANDLED_ERROR",
      `Unhandled error. (${shortInspect(er)})`);
    err.context = er;
    throw err;
  }

  const handler = events[type];
  if (handler === undefined) return false;

  if (typeof handler === "function") {
    const result = handler.apply(this, args);
    if (result !== undefined && result !== null) addCatch(this, result, type, args);
  } else {
    const listeners = handler.slice();
    for (let i = 0; i < listeners.length; ++i) {
      const result = listeners[i].apply(this, args);
      if (result !== undefined && result !== null) addCatch(this, result, type, args);
    }
  }
  return true;
};

function _addListener(target, type, listener, prepend) {
  checkListener(listener);
  let events = target._events;
  let existing;
  if (events === undefined) {
    events = target._events = { __proto__: null };
    target._eventsCount = 0;
  } else {
    if (events.newListener !== undefined) {
      target.emit("newListener", type, listener.listener ?? listener);
      events = target._events;
    }
    existing = events[type];
  }

  if (existing === undefined) {
    events[type] = listener;
    ++target._eventsCount;
  } else {
    if (typeof existing === "function") {
      existing = events[type] = prepend ? [listener, existing] : [existing, listener];
    } else if (prepend) {
      existing.unshift(listener);
    } else {
      existing.push(listener);
    }
    const m = _getMaxListeners(target);
    if (m > 0 && existing.length > m && !existing.warned) {
      existing.warned = true;
      const name = target.constructor?.name || "EventEmitter";
      const w = new Error(
        `Possible ${name} memory leak detected. ${existing.length} ${String(type)} listeners added to ` +
        `[${name}]. MaxListeners is ${m}. Use emitter.setMaxListeners() to increase limit`);
      w.name = "MaxListenersExceededWarning";
      w.emitter = target;
      w.type = type;
      w.count = existing.length;
      emitWarning(w);
    }
  }
  return target;
}

EventEmitter.prototype.addListener = function addListener(type, listener) {
  return _addListener(this, type, listener, false);
};
EventEmitter.prototype.on = EventEmitter.prototype.addListener;

EventEmitter.prototype.prependListener = function prependListener(type, listener) {
  return _addListener(this, type, listener, true);
};

function onceWrapper() {
  if (!this.fired) {
    this.target.removeListener(this.type, this.wrapFn);
    this.fired = true;
    if (arguments.length === 0) return this.listener.call(this.target);
    return this.listener.apply(this.target, arguments);
  }
  return undefined;
}

function _onceWrap(target, type, listener) {
  const state = { fired: false, wrapFn: undefined, target, type, listener };
  const wrapped = onceWrapper.bind(state);
  wrapped.listener = listener;
  state.wrapFn = wrapped;
  return wrapped;
}

EventEmitter.prototype.once = function once(type, listener) {
  checkListener(listener);
  this.on(type, _onceWrap(this, type, listener));
  return this;
};

EventEmitter.prototype.prependOnceListener = function prependOnceListener(type, listener) {
  checkListener(listener);
  this.prependListener(type, _onceWrap(this, type, listener));
  return this;
};

EventEmitter.prototype.removeListener = function removeListener(type, listener) {
  checkListener(listener);
  const events = this._events;
  if (events === undefined) return this;
  const list = events[type];
  if (list === undefined) return this;

  if (list === listener || list.listener === listener) {
    this._eventsCount -= 1;
    if (this[kShapeMode]) {
      events[type] = undefined;
    } else if (this._eventsCount === 0) {
      this._events = { __proto__: null };
    } else {
      delete events[type];
      if (events.removeListener) this.emit("removeListener", type, list.listener || listener);
    }
  } else if (typeof list !== "function") {
    let position = -1;
    for (let i = list.length - 1; i >= 0; i--) {
      if (list[i] === listener || list[i].listener === listener) {
        position = i;
        break;
      }
    }
    if (position < 0) return this;
    if (position === 0) list.shift();
    else list.splice(position, 1);
    if (list.length === 1) events[type] = list[0];
    if (events.removeListener !== undefined) this.emit("removeListener", type, listener);
  }
  return this;
};
EventEmitter.prototype.off = EventEmitter.prototype.removeListener;

const kShapeMode = Symbol("shapeMode");

EventEmitter.prototype.removeAllListeners = function removeAllListeners(type) {
  const events = this._events;
  if (events === undefined) return this;

  if (events.removeListener === undefined) {
    if (arguments.length === 0) {
      this._events = { __proto__: null };
      this._eventsCount = 0;
    } else if (events[type] !== undefined) {
      if (--this._eventsCount === 0) this._events = { __proto__: null };
      else delete events[type];
    }
    this[kShapeMode] = false;
    return this;
  }

  if (arguments.length === 0) {
    for (const key of Reflect.ownKeys(events)) {
      if (key === "removeListener") continue;
      this.removeAllListeners(key);
    }
    this.removeAllListeners("removeListener");
    this._events = { __proto__: null };
    this._eventsCount = 0;
    this[kShapeMode] = false;
    return this;
  }

  const listeners = events[type];
  if (typeof listeners === "function") {
    this.removeListener(type, listeners);
  } else if (listeners !== undefined) {
    for (let i = listeners.length - 1; i >= 0; i--) this.removeListener(type, listeners[i]);
  }
  return this;
};

function _listeners(target, type, unwrap) {
  const events = target._events;
  if (events === undefined) return [];
  const evlistener = events[type];
  if (evlistener === undefined) return [];
  if (typeof evlistener === "function") return unwrap ? [evlistener.listener || evlistener] : [evlistener];
  return unwrap ? evlistener.map((l) => l.listener || l) : evlistener.slice();
}

EventEmitter.prototype.listeners = function listeners(type) {
  return _listeners(this, type, true);
};

EventEmitter.prototype.rawListeners = function rawListeners(type) {
  return _listeners(this, type, false);
};

function listenerCountImpl(type, listener) {
  const events = this._events;
  if (events !== undefined) {
    const evlistener = events[type];
    if (typeof evlistener === "function") {
      if (listener != null) return listener === evlistener || listener === evlistener.listener ? 1 : 0;
      return 1;
    } else if (evlistener !== undefined) {
      if (listener != null) {
        let matching = 0;
        for (let i = 0, l = evlistener.length; i < l; i++) {
          if (evlistener[i] === listener || evlistener[i].listener === listener) matching++;
        }
        return matching;
      }
      return evlistener.length;
    }
  }
  return 0;
}

EventEmitter.prototype.listenerCount = listenerCountImpl;


EventEmitter.prototype.eventNames = function eventNames() {
  return this._eventsCount > 0 ? Reflect.ownKeys(this._events) : [];
};

EventEmitter.EventEmitter = EventEmitter;
EventEmitter.usingDomains = false;

// ---------------------------------------------------------------------------
// Static helpers

function abortError(signal) {
  const err = nodeError(Error, "ABORT_ERR", "The operation was aborted");
  err.name = "AbortError";
  if (signal?.reason !== undefined) err.cause = signal.reason;
  return err;
}

/** Resolves with the arguments of the next `name` event; rejects on 'error'. */
export function once(emitter, name, options = {}) {
  const signal = options?.signal;
  if (signal?.aborted) return Promise.reject(abortError(signal));
  return new Promise((resolve, reject) => {
    const errorListener = (err) => {
      emitter.removeListener(name, resolver);
      if (signal) signal.removeEventListener?.("abort", abortListener);
      reject(err);
    };
    const resolver = (...args) => {
      if (typeof emitter.removeListener === "function") emitter.removeListener("error", errorListener);
      if (signal) signal.removeEventListener?.("abort", abortListener);
      resolve(args);
    };
    const abortListener = () => {
      emitter.removeListener(name, resolver);
      emitter.removeListener("error", errorListener);
      reject(abortError(signal));
    };
    if (typeof emitter.addEventListener === "function" && typeof emitter.on !== "function") {
      emitter.addEventListener(name, (...args) => resolve(args), { once: true });
      return;
    }
    emitter.once(name, resolver);
    if (name !== "error") emitter.once("error", errorListener);
    if (signal) signal.addEventListener?.("abort", abortListener, { once: true });
  });
}

/** An async iterator over `name` events (rejects/throws on 'error'). */
export function on(emitter, event, options = {}) {
  const unconsumedEvents = [];
  const unconsumedPromises = [];
  let error = null;
  let finished = false;
  const close = options?.close ?? [];

  const eventHandler = (...args) => {
    const pending = unconsumedPromises.shift();
    if (pending) pending.resolve({ value: args, done: false });
    else unconsumedEvents.push(args);
  };
  const errorHandler = (err) => {
    finished = true;
    const pending = unconsumedPromises.shift();
    if (pending) pending.reject(err);
    else error = err;
    iterator.return();
  };
  const closeHandler = () => {
    removeAll();
    finished = true;
    for (const p of unconsumedPromises) p.resolve({ value: undefined, done: true });
    unconsumedPromises.length = 0;
  };
  const removeAll = () => {
    emitter.removeListener(event, eventHandler);
    emitter.removeListener("error", errorHandler);
    for (const c of close) emitter.removeListener(c, closeHandler);
  };

  const iterator = {
    next() {
      const value = unconsumedEvents.shift();
      if (value) return Promise.resolve({ value, done: false });
      if (error) {
        const p = Promise.reject(error);
        error = null;
        return p;
      }
      if (finished) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve, reject) => unconsumedPromises.push({ resolve, reject }));
    },
    return() {
      removeAll();
      finished = true;
      for (const p of unconsumedPromises) p.resolve({ value: undefined, done: true });
      unconsumedPromises.length = 0;
      return Promise.resolve({ value: undefined, done: true });
    },
    throw(err) {
      error = err;
      removeAll();
      return Promise.reject(err);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  emitter.on(event, eventHandler);
  if (event !== "error") emitter.on("error", errorHandler);
  for (const c of close) emitter.on(c, closeHandler);
  return iterator;
}

export function getEventListeners(emitter, type) {
  if (typeof emitter.listeners === "function") return emitter.listeners(type);
  return [];
}

export function getMaxListeners(emitter) {
  if (typeof emitter?.getMaxListeners === "function") return _getMaxListeners(emitter);
  return defaultMaxListeners;
}

export function setMaxListeners(n = defaultMaxListeners, ...eventTargets) {
  validateNumber(n, "n", 0);
  if (eventTargets.length === 0) {
    defaultMaxListeners = n;
  } else {
    for (const target of eventTargets) {
      if (typeof target?.setMaxListeners === "function") target.setMaxListeners(n);
      else throw invalidArgType("eventTargets", "an instance of EventEmitter or EventTarget", target);
    }
  }
}

/** Deprecated static form: EventEmitter.listenerCount(emitter, type). */
export function listenerCount(emitter, type) {
  if (typeof emitter.listenerCount === "function") return emitter.listenerCount(type);
  return listenerCountImpl.call(emitter, type);
}

EventEmitter.once = once;
EventEmitter.on = on;
EventEmitter.getEventListeners = getEventListeners;
EventEmitter.getMaxListeners = getMaxListeners;
EventEmitter.setMaxListeners = setMaxListeners;
EventEmitter.listenerCount = listenerCount;

export default EventEmitter;
