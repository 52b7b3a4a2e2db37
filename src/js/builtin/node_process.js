// hbf:node_process — Node's `process` object for tenant code. An EventEmitter
// (process.on('uncaughtException' | 'warning' ...)) with: env (the henv's
// config rows "env.NAME" → process.env.NAME, read on first use), cwd() "/",
// versions/version/platform/arch, nextTick (a tick queue drained in one
// microtask, so ticks run before promise jobs queued after them), hrtime,
// uptime, emitWarning, stdout/stderr writing to the log. exit(), kill(),
// chdir() and the like throw: a tenant script cannot stop the server.

import native from "hbf:native";
import { EventEmitter } from "hbf:node_events";
import { nodeError, invalidArgType, validateFunction, validateString } from "hbf:node_errors";

// hrtime() and uptime() read the host's monotonic clock (never the wall clock, which may step).
const startMs = native.monotonicNow();
const HRTIME_ORIGIN_NS = 1000000000n; // hrtime() counts from an arbitrary origin, as in Node

function unsupported(what) {
  return nodeError(Error, "ERR_HBF_UNSUPPORTED", `${what} is not supported in hbf`);
}

let host = null;
function hostInfo() {
  if (host === null) {
    try {
      host = native.hostInfo();
    } catch {
      host = { version: "unknown", platform: "linux", arch: "x64" };
    }
  }
  return host;
}

// ---------------------------------------------------------------------------
// env

function buildEnv() {
  const target = {};
  let rows = {};
  try {
    rows = native.config() ?? {};
  } catch {
    rows = {};
  }
  for (const key of Object.keys(rows)) {
    if (key.startsWith("env.") && key.length > 4) target[key.slice(4)] = String(rows[key]);
  }
  return new Proxy(target, {
    set(t, key, value) {
      if (typeof key === "symbol") throw new TypeError("Cannot convert a Symbol value to a string");
      t[key] = String(value);
      return true;
    },
    defineProperty(t, key, desc) {
      if (!("value" in desc) || !desc.configurable || !desc.writable || !desc.enumerable) {
        throw nodeError(TypeError, "ERR_INVALID_OBJECT_DEFINE_PROPERTY",
          "'process.env' only accepts a configurable, writable, and enumerable data descriptor");
      }
      t[key] = String(desc.value);
      return true;
    },
  });
}

let env = null;

// ---------------------------------------------------------------------------
// nextTick

const tickQueue = [];
let tickHead = 0;
let tickScheduled = false;

function reportUncaught(err, origin) {
  if (process.listenerCount("uncaughtException") > 0) {
    process.emit("uncaughtException", err, origin);
    return;
  }
  let text;
  try {
    text = err instanceof Error ? `${err.name}: ${err.message}${err.stack ? "\n" + err.stack : ""}` : String(err);
  } catch {
    text = "[unprintable error]";
  }
  native.log("error", `Uncaught exception in ${origin === "nextTick" ? "a process.nextTick callback" : origin}: ${text}`);
}

function runTicks() {
  while (tickHead < tickQueue.length) {
    const tick = tickQueue[tickHead];
    tickQueue[tickHead++] = undefined;
    try {
      const { fn, args } = tick;
      if (args === undefined) fn();
      else fn(...args);
    } catch (err) {
      reportUncaught(err, "nextTick");
    }
  }
  tickQueue.length = 0;
  tickHead = 0;
  tickScheduled = false;
}

function nextTick(callback, ...args) {
  validateFunction(callback, "callback");
  tickQueue.push({ fn: callback, args: args.length ? args : undefined });
  if (!tickScheduled) {
    tickScheduled = true;
    Promise.resolve().then(runTicks);
  }
}

// ---------------------------------------------------------------------------
// time

function elapsedNs() {
  const ms = native.monotonicNow() - startMs;
  return HRTIME_ORIGIN_NS + BigInt(Math.max(0, Math.round(ms * 1e6)));
}

function hrtime(time) {
  const ns = elapsedNs();
  let sec = Number(ns / 1000000000n);
  let nsec = Number(ns % 1000000000n);
  if (time !== undefined) {
    if (!Array.isArray(time)) throw invalidArgType("time", "an instance of Array", time);
    if (time.length !== 2) {
      throw nodeError(RangeError, "ERR_OUT_OF_RANGE", `The value of "time" is out of range. It must be 2. Received ${time.length}`);
    }
    sec -= time[0];
    nsec -= time[1];
    if (nsec < 0) {
      sec -= 1;
      nsec += 1e9;
    }
  }
  return [sec, nsec];
}
hrtime.bigint = function bigint() {
  return elapsedNs();
};

function uptime() {
  return (native.monotonicNow() - startMs) / 1000;
}

// ---------------------------------------------------------------------------
// warnings

function emitWarning(warning, type, code, ctor) {
  let detail;
  if (type !== null && typeof type === "object" && !Array.isArray(type)) {
    ctor = type.ctor;
    code = type.code;
    if (typeof type.detail === "string") detail = type.detail;
    type = type.type || "Warning";
  } else if (typeof type === "function") {
    ctor = type;
    code = undefined;
    type = "Warning";
  }
  if (type !== undefined) validateString(type, "type");
  if (typeof code === "function") {
    ctor = code;
    code = undefined;
  } else if (code !== undefined) {
    validateString(code, "code");
  }
  if (typeof warning === "string") {
    const w = new Error(warning);
    w.name = String(type || "Warning");
    if (code !== undefined) w.code = code;
    if (detail !== undefined) w.detail = detail;
    warning = w;
  } else if (!(warning instanceof Error)) {
    throw invalidArgType("warning", "of type string or an instance of Error", warning);
  }
  if (warning.name === "DeprecationWarning") {
    if (process.noDeprecation) return;
    if (process.throwDeprecation) throw warning;
  }
  nextTick(doEmitWarning, warning);
}

function doEmitWarning(warning) {
  process.emit("warning", warning);
  let msg = `(hbf) ${warning.code ? `[${warning.code}] ` : ""}${warning.name}: ${warning.message}`;
  if (typeof warning.detail === "string") msg += `\n${warning.detail}`;
  native.log("warn", msg);
}

// ---------------------------------------------------------------------------
// stdio

function makeStream(fd, level) {
  const stream = Object.create(EventEmitter.prototype);
  EventEmitter.init.call(stream);
  let pending = "";
  Object.assign(stream, {
    fd,
    isTTY: false,
    writable: true,
    readable: false,
    write(chunk, encoding, cb) {
      if (typeof encoding === "function") {
        cb = encoding;
        encoding = undefined;
      }
      let text;
      if (typeof chunk === "string") text = chunk;
      else if (chunk instanceof Uint8Array) text = native.utf8Decode(chunk, false);
      else throw invalidArgType("chunk", "of type string or an instance of Buffer or Uint8Array", chunk);
      pending += text;
      const nl = pending.lastIndexOf("\n");
      if (nl !== -1) {
        native.log(level, pending.slice(0, nl));
        pending = pending.slice(nl + 1);
      }
      if (typeof cb === "function") nextTick(cb);
      return true;
    },
    end(chunk, encoding, cb) {
      if (chunk !== undefined && typeof chunk !== "function") stream.write(chunk, encoding);
      if (pending !== "") {
        native.log(level, pending);
        pending = "";
      }
      const done = typeof chunk === "function" ? chunk : typeof encoding === "function" ? encoding : cb;
      if (typeof done === "function") nextTick(done);
      return stream;
    },
    cork() {},
    uncork() {},
    setDefaultEncoding() {
      return stream;
    },
    getColorDepth() {
      return 1;
    },
    hasColors() {
      return false;
    },
  });
  return stream;
}

// ---------------------------------------------------------------------------
// The process object

const process = Object.create(EventEmitter.prototype);
EventEmitter.init.call(process);

const versions = {};
// A plain release number: packages compare it with semver ranges (a
// pre-release tag would fail every range that does not name pre-releases).
// The Node 20 release whose behaviour the shims follow; hbf's own version is
// versions.hbf.
const NODE_VERSION = "20.19.0";
Object.defineProperty(versions, "node", { value: NODE_VERSION, enumerable: true });
Object.defineProperty(versions, "hbf", { get: () => hostInfo().version, enumerable: true });

Object.defineProperties(process, {
  env: {
    get() {
      if (env === null) env = buildEnv();
      return env;
    },
    set(value) {
      env = value;
    },
    enumerable: true,
    configurable: true,
  },
  platform: { get: () => hostInfo().platform, enumerable: true, configurable: true },
  arch: { get: () => hostInfo().arch, enumerable: true, configurable: true },
  [Symbol.toStringTag]: { value: "process", writable: false, enumerable: false, configurable: true },
});

let exitCode;
Object.assign(process, {
  title: "hbf",
  version: `v${NODE_VERSION}`,
  versions,
  release: { name: "node", lts: "Iron" },
  argv: [],
  argv0: "hbf",
  execArgv: [],
  execPath: "/usr/bin/hbf",
  pid: 1,
  ppid: 0,
  features: {},
  config: { target_defaults: {}, variables: {} },
  allowedNodeEnvironmentFlags: new Set(),
  noDeprecation: false,
  throwDeprecation: false,
  traceDeprecation: false,
  cwd() {
    return "/";
  },
  chdir(directory) {
    throw unsupported("process.chdir()");
  },
  umask() {
    return 0o22;
  },
  nextTick,
  hrtime,
  uptime,
  emitWarning,
  memoryUsage: Object.assign(() => ({ rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 }), { rss: () => 0 }),
  cpuUsage() {
    return { user: 0, system: 0 };
  },
  resourceUsage() {
    return {};
  },
  exit(code) {
    throw unsupported("process.exit()");
  },
  reallyExit(code) {
    throw unsupported("process.reallyExit()");
  },
  abort() {
    throw unsupported("process.abort()");
  },
  kill(pid, signal) {
    throw unsupported("process.kill()");
  },
  binding(name) {
    throw unsupported("process.binding()");
  },
  dlopen() {
    throw unsupported("process.dlopen()");
  },
  setUncaughtExceptionCaptureCallback(fn) {
    if (fn !== null) validateFunction(fn, "fn");
  },
  hasUncaughtExceptionCaptureCallback() {
    return false;
  },
  stdout: makeStream(1, "info"),
  stderr: makeStream(2, "error"),
  stdin: Object.assign(Object.create(EventEmitter.prototype), { fd: 0, isTTY: false, readable: false, read: () => null }),
});
EventEmitter.init.call(process.stdin);

Object.defineProperty(process, "exitCode", {
  get: () => exitCode,
  set(code) {
    exitCode = code;
  },
  enumerable: true,
  configurable: true,
});

/** Reports an exception the way Node would for an uncaught one (timers and ticks use it). */
export function _reportUncaught(err, origin) {
  reportUncaught(err, origin);
}

export default process;
export { process, nextTick, hrtime, uptime, emitWarning };
export const cwd = process.cwd;
export const argv = process.argv;
export const execArgv = process.execArgv;
export const pid = process.pid;
export const exit = process.exit;
export const kill = process.kill;
export const stdout = process.stdout;
export const stderr = process.stderr;
export const version = process.version;
export { versions };
export const platform = hostInfo().platform;
export const arch = hostInfo().arch;
/** `import { env } from "node:process"`: forwards to process.env (read on first use). */
const envForwarder = new Proxy({}, {
  get: (t, key) => Reflect.get(process.env, key),
  set: (t, key, value) => Reflect.set(process.env, key, value),
  has: (t, key) => Reflect.has(process.env, key),
  deleteProperty: (t, key) => Reflect.deleteProperty(process.env, key),
  ownKeys: () => Reflect.ownKeys(process.env),
  getOwnPropertyDescriptor(t, key) {
    const d = Reflect.getOwnPropertyDescriptor(process.env, key);
    if (d) d.configurable = true;
    return d;
  },
  defineProperty: (t, key, desc) => Reflect.defineProperty(process.env, key, desc),
});
export { envForwarder as env };
