// hbf:web_stack — loaded by the first Error.captureStackTrace() call
// (hbf:bootstrap installs a stand-in that forwards here).
// V8's stack-trace API: Error.captureStackTrace(obj, fn), prepareStackTrace
// and stackTraceLimit, which npm packages call (depd, and through it
// http-errors, body-parser, send, express-session; http-errors on every
// error it makes). QuickJS records an Error's stack as text when the Error
// is made; captureStackTrace makes one and works from its lines
// ("    at name (file:line:col)", "    at name (native)"). Ordinary errors'
// stacks stay QuickJS's own: prepareStackTrace is applied only here.

const FRAME_LINE = /^\s*at (.*?)(?: \((.*)\))?$/;
const FRAME_LOCATION = /^(.*):(\d+):(\d+)$/;

/** One frame, as V8's CallSite objects describe it (what can be read from QuickJS's text). */
export class CallSite {
  #name;
  #file;
  #line;
  #column;
  #native;

  constructor(text) {
    const m = FRAME_LINE.exec(text);
    let name = m ? m[1] : text.trim();
    let location = m ? m[2] : undefined;
    if (location === undefined && FRAME_LOCATION.test(name)) {
      location = name;  // a frame with no function name (QuickJS's parse-error level)
      name = "";
    }
    this.#name = name === "" || name === "<anonymous>" ? null : name;
    this.#native = location === "native";
    const loc = location !== undefined && !this.#native ? FRAME_LOCATION.exec(location) : null;
    this.#file = loc ? loc[1] : location !== undefined && !this.#native ? location : null;
    this.#line = loc ? Number(loc[2]) : null;
    this.#column = loc ? Number(loc[3]) : null;
  }

  getThis() { return undefined; }
  getTypeName() { return null; }
  getFunction() { return undefined; }
  getFunctionName() { return this.#name; }
  getMethodName() { return null; }
  getFileName() { return this.#file; }
  getLineNumber() { return this.#line; }
  getColumnNumber() { return this.#column; }
  getEvalOrigin() { return undefined; }
  getScriptNameOrSourceURL() { return this.#file; }
  getPromiseIndex() { return null; }
  isToplevel() { return this.#name === null; }
  isEval() { return false; }
  isNative() { return this.#native; }
  isConstructor() { return false; }
  isAsync() { return false; }
  isPromiseAll() { return false; }

  toString() {
    const where = this.#native ? "native"
      : this.#file === null ? "<anonymous>"
      : this.#line === null ? this.#file : `${this.#file}:${this.#line}:${this.#column}`;
    return this.#name === null ? where : `${this.#name} (${where})`;
  }
}

/** The header V8 puts above the frames: the object as Error.prototype.toString would show it. */
function stackHeader(obj) {
  try {
    const name = obj.name === undefined ? "Error" : String(obj.name);
    const message = obj.message === undefined ? "" : String(obj.message);
    if (name === "") return message;
    return message === "" ? name : `${name}: ${message}`;
  } catch {
    return "Error";
  }
}

/** The frame lines above the caller of captureStackTrace (`skip`: frames of it and its wrappers). */
function currentFrames(skip) {
  // Under V8 (the test harness) a prepareStackTrace would turn this stack
  // into call sites and stackTraceLimit would cut it; QuickJS has neither.
  const prepare = Error.prepareStackTrace;
  const limit = Error.stackTraceLimit;
  if (prepare !== undefined) Error.prepareStackTrace = undefined;
  Error.stackTraceLimit = Infinity;
  let text;
  try {
    text = new Error().stack;
  } finally {
    if (prepare !== undefined) Error.prepareStackTrace = prepare;
    Error.stackTraceLimit = limit;
  }
  if (typeof text !== "string") return [];
  // Frame lines only (V8 puts the message first), less currentFrames' own and `skip` more.
  return text.split("\n").filter((line) => /^\s*at /.test(line)).slice(1 + skip);
}

function frameName(line) {
  const m = FRAME_LINE.exec(line);
  return m && m[2] !== undefined ? m[1] : null;
}

/** `stack` as V8 makes it: text (or what prepareStackTrace returns) worked out when first read. */
function formatStack(target, frames) {
  const prepare = Error.prepareStackTrace;
  if (typeof prepare === "function") return prepare(target, frames.map((line) => new CallSite(line)));
  const header = stackHeader(target);
  return frames.length === 0 ? header : `${header}\n${frames.join("\n")}`;
}

export function captureStackTrace(targetObject, constructorOpt = undefined) {
  capture(targetObject, constructorOpt, 2);
}

/** captureStackTrace called through one wrapper (hbf:bootstrap's stand-in). */
export function captureStackTraceVia(targetObject, constructorOpt) {
  capture(targetObject, constructorOpt, 3);
}

// `skip`: the frames between the caller and currentFrames (capture's own and its callers').
function capture(targetObject, constructorOpt, skip) {
  if (targetObject === null || (typeof targetObject !== "object" && typeof targetObject !== "function")) {
    throw new TypeError("invalid_argument");  // V8's own message
  }
  const limit = Error.stackTraceLimit;
  const define = (value) => Object.defineProperty(targetObject, "stack", { value, writable: true, enumerable: false, configurable: true });
  if (typeof limit !== "number") {
    define(undefined);  // V8 records no stack then
    return;
  }
  let frames = limit > 0 ? currentFrames(skip) : [];
  if (typeof constructorOpt === "function" && frames.length !== 0) {
    // QuickJS's text names functions, so frames are matched by the name:
    // everything up to the topmost call of `constructorOpt` goes, and if it
    // is not on the stack no frame is kept (as V8 does). Without a name
    // there is nothing to match: the frames are kept.
    const d = Object.getOwnPropertyDescriptor(constructorOpt, "name");
    const name = d !== undefined && typeof d.value === "string" ? d.value : "";
    if (name !== "") {
      const at = frames.findIndex((line) => frameName(line) === name);
      frames = at === -1 ? [] : frames.slice(at + 1);
    }
  }
  frames = frames.slice(0, Math.max(0, limit));
  // As in V8 the text is made on first read, so a name or message set after
  // the capture (http-errors sets both) shows in its first line, and the
  // prepareStackTrace then in force is the one used (depd's).
  Object.defineProperty(targetObject, "stack", {
    get() {
      const value = formatStack(targetObject, frames);
      define(value);
      return value;
    },
    set(value) {
      define(value);
    },
    enumerable: false,
    configurable: true,
  });
}
