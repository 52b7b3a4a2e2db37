// hbf:node_perf_hooks — Node's `perf_hooks` and the `performance` global:
// now() on the host's monotonic clock (milliseconds since this context first
// loaded the module; timeOrigin + now() is the wall time), timeOrigin,
// toJSON(), user timing (mark, measure, getEntries*, clear*), timerify (the
// function itself, unmeasured), eventLoopUtilization (zeros: a worker has no
// event loop of its own) and a PerformanceObserver that is told of marks and
// measures. monitorEventLoopDelay and createHistogram throw
// ERR_HBF_UNSUPPORTED.

import native from "hbf:native";
import { DOMExceptionImpl as DOMException } from "hbf:web_codec";

const monotonicOrigin = native.monotonicNow();
const timeOrigin = native.now();
const now = () => native.monotonicNow() - monotonicOrigin;

function nodeError(Ctor, code, message) {
  const err = new Ctor(message);
  err.code = code;
  return err;
}

const kCreate = Symbol("kCreate");

export class PerformanceEntry {
  #name;
  #type;
  #start;
  #duration;
  #detail;

  constructor(key = undefined, name = "", type = "", start = 0, duration = 0, detail = null) {
    if (key !== kCreate) throw nodeError(TypeError, "ERR_ILLEGAL_CONSTRUCTOR", "Illegal constructor");
    this.#name = name;
    this.#type = type;
    this.#start = start;
    this.#duration = duration;
    this.#detail = detail;
  }

  get name() { return this.#name; }
  get entryType() { return this.#type; }
  get startTime() { return this.#start; }
  get duration() { return this.#duration; }
  get detail() { return this.#detail; }

  toJSON() {
    return { name: this.#name, entryType: this.#type, startTime: this.#start, duration: this.#duration, detail: this.#detail };
  }
}

export class PerformanceMark extends PerformanceEntry {
  constructor(name, options = undefined) {
    if (arguments.length === 0) throw nodeError(TypeError, "ERR_MISSING_ARGS", 'The "name" argument must be specified');
    const start = options?.startTime ?? now();
    if (typeof start !== "number") {
      throw nodeError(TypeError, "ERR_INVALID_ARG_TYPE", `The "options.startTime" property must be of type number. Received ${typeof start}`);
    }
    super(kCreate, `${name}`, "mark", start, 0, options?.detail === undefined ? null : structuredClone(options.detail));
  }

  get [Symbol.toStringTag]() { return "PerformanceMark"; }
}

export class PerformanceMeasure extends PerformanceEntry {
  constructor(key, name, start, duration, detail) {
    super(key, name, "measure", start, duration, detail);
  }

  get [Symbol.toStringTag]() { return "PerformanceMeasure"; }
}

const entries = [];
const observers = new Set();

function record(entry) {
  entries.push(entry);
  for (const observer of observers) observer._queue(entry);
}

function markTime(nameOrTime, what) {
  if (nameOrTime === undefined) return undefined;
  if (typeof nameOrTime === "number") return nameOrTime;
  const name = `${nameOrTime}`;
  for (let i = entries.length - 1; i >= 0; i--) {
    if (entries[i].entryType === "mark" && entries[i].name === name) return entries[i].startTime;
  }
  throw new DOMException(`The "${name}" performance mark has not been set`, "SyntaxError");
}

function clear(type, name) {
  for (let i = entries.length - 1; i >= 0; i--) {
    if (entries[i].entryType === type && (name === undefined || entries[i].name === `${name}`)) entries.splice(i, 1);
  }
}

class Performance {
  get timeOrigin() { return timeOrigin; }
  get nodeTiming() { return {}; }

  now() {
    return now();
  }

  mark(name, options = undefined) {
    const mark = new PerformanceMark(name, options);
    record(mark);
    return mark;
  }

  measure(name, startOrOptions = undefined, endMark = undefined) {
    let start;
    let end;
    let detail = null;
    if (startOrOptions !== null && typeof startOrOptions === "object") {
      start = markTime(startOrOptions.start);
      end = markTime(startOrOptions.end);
      if (startOrOptions.duration !== undefined) {
        if (start === undefined && end !== undefined) start = end - startOrOptions.duration;
        else end = (start ?? 0) + startOrOptions.duration;
      }
      if (startOrOptions.detail !== undefined) detail = structuredClone(startOrOptions.detail);
    } else {
      start = markTime(startOrOptions);
      end = markTime(endMark);
    }
    start ??= 0;
    end ??= now();
    const measure = new PerformanceMeasure(kCreate, `${name}`, start, end - start, detail);
    record(measure);
    return measure;
  }

  clearMarks(name = undefined) {
    clear("mark", name);
  }

  clearMeasures(name = undefined) {
    clear("measure", name);
  }

  clearResourceTimings() {}

  getEntries() {
    return entries.slice().sort((a, b) => a.startTime - b.startTime);
  }

  getEntriesByName(name, type = undefined) {
    return this.getEntries().filter((e) => e.name === `${name}` && (type === undefined || e.entryType === type));
  }

  getEntriesByType(type) {
    return this.getEntries().filter((e) => e.entryType === `${type}`);
  }

  timerify(fn) {
    if (typeof fn !== "function") {
      throw nodeError(TypeError, "ERR_INVALID_ARG_TYPE", `The "fn" argument must be of type function. Received ${typeof fn}`);
    }
    return fn;
  }

  eventLoopUtilization() {
    return { idle: 0, active: 0, utilization: 0 };
  }

  toJSON() {
    return { nodeTiming: this.nodeTiming, timeOrigin, eventLoopUtilization: this.eventLoopUtilization() };
  }

  get [Symbol.toStringTag]() { return "Performance"; }
}

export const performance = new Performance();
export { Performance };

export class PerformanceObserverEntryList {
  #list;
  constructor(list) {
    this.#list = list;
  }

  getEntries() {
    return this.#list.slice();
  }

  getEntriesByName(name, type = undefined) {
    return this.#list.filter((e) => e.name === `${name}` && (type === undefined || e.entryType === type));
  }

  getEntriesByType(type) {
    return this.#list.filter((e) => e.entryType === `${type}`);
  }
}

export class PerformanceObserver {
  #callback;
  #types = new Set();
  #pending = [];

  constructor(callback) {
    if (typeof callback !== "function") {
      throw nodeError(TypeError, "ERR_INVALID_ARG_TYPE", `The "callback" argument must be of type function. Received ${typeof callback}`);
    }
    this.#callback = callback;
  }

  static get supportedEntryTypes() {
    return ["mark", "measure"];
  }

  observe(options = {}) {
    const types = options.entryTypes ?? (options.type !== undefined ? [options.type] : []);
    for (const t of types) this.#types.add(`${t}`);
    observers.add(this);
  }

  disconnect() {
    observers.delete(this);
    this.#pending = [];
  }

  takeRecords() {
    const list = this.#pending;
    this.#pending = [];
    return list;
  }

  _queue(entry) {
    if (!this.#types.has(entry.entryType)) return;
    if (this.#pending.push(entry) === 1) {
      queueMicrotask(() => {
        const list = this.takeRecords();
        if (list.length !== 0) this.#callback(new PerformanceObserverEntryList(list), this);
      });
    }
  }
}

function unsupported(what) {
  return nodeError(Error, "ERR_HBF_UNSUPPORTED", `${what} is not supported in hbf`);
}

export function monitorEventLoopDelay() {
  throw unsupported("perf_hooks.monitorEventLoopDelay()");
}

export function createHistogram() {
  throw unsupported("perf_hooks.createHistogram()");
}

export const constants = Object.freeze({
  NODE_PERFORMANCE_GC_MAJOR: 4, NODE_PERFORMANCE_GC_MINOR: 1, NODE_PERFORMANCE_GC_INCREMENTAL: 8,
  NODE_PERFORMANCE_GC_WEAKCB: 16, NODE_PERFORMANCE_GC_FLAGS_NO: 0, NODE_PERFORMANCE_GC_FLAGS_CONSTRUCT_RETAINED: 2,
  NODE_PERFORMANCE_GC_FLAGS_FORCED: 4, NODE_PERFORMANCE_GC_FLAGS_SYNCHRONOUS_PHANTOM_PROCESSING: 8,
  NODE_PERFORMANCE_GC_FLAGS_ALL_AVAILABLE_GARBAGE: 16, NODE_PERFORMANCE_GC_FLAGS_ALL_EXTERNAL_MEMORY: 32,
  NODE_PERFORMANCE_GC_FLAGS_SCHEDULE_IDLE: 64,
});

export default {
  Performance, PerformanceEntry, PerformanceMark, PerformanceMeasure, PerformanceObserver, PerformanceObserverEntryList,
  monitorEventLoopDelay, createHistogram, performance, constants,
};
