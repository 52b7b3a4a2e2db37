// A tiny test runner that works under Node and QuickJS (qjs).
const out = typeof globalThis.print === "function" ? globalThis.print : (s) => globalThis.process.stdout.write(s + "\n");

const tests = [];
let currentFile = "";

export function setFile(name) { currentFile = name; }

export function test(name, fn) {
  tests.push({ name: currentFile ? `${currentFile} > ${name}` : name, fn });
}

export class AssertionError extends Error {
  constructor(message) {
    super(message);
    this.name = "AssertionError";
  }
}

function show(v) {
  try {
    return JSON.stringify(v, (k, x) => (typeof x === "bigint" ? `${x}n` : x instanceof Uint8Array ? `Uint8Array[${Array.from(x)}]` : x === undefined ? "<undefined>" : x));
  } catch {
    return String(v);
  }
}

export function deepEqualValues(a, b) {
  if (Object.is(a, b)) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== "object") return false;
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    if (!(a instanceof Uint8Array && b instanceof Uint8Array) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (const k of ka) if (!Object.prototype.hasOwnProperty.call(b, k) || !deepEqualValues(a[k], b[k])) return false;
  return true;
}

function checkError(e, check, msg) {
  if (check === undefined) return;
  let ok;
  if (check instanceof RegExp) ok = check.test(String(e && e.message));
  else if (check === Error || check.prototype instanceof Error) ok = e instanceof check;
  else ok = check(e) !== false;
  if (!ok) throw new AssertionError(`${msg ? msg + ": " : ""}unexpected error ${e && e.name}: ${e && e.message}`);
}

export const assert = {
  ok(v, msg = "expected a truthy value") {
    if (!v) throw new AssertionError(`${msg} (got ${show(v)})`);
  },
  equal(actual, expected, msg = "") {
    if (!Object.is(actual, expected)) throw new AssertionError(`${msg ? msg + ": " : ""}expected ${show(expected)}, got ${show(actual)}`);
  },
  notEqual(actual, expected, msg = "") {
    if (Object.is(actual, expected)) throw new AssertionError(`${msg ? msg + ": " : ""}expected something other than ${show(expected)}`);
  },
  deepEqual(actual, expected, msg = "") {
    if (!deepEqualValues(actual, expected)) throw new AssertionError(`${msg ? msg + ": " : ""}expected ${show(expected)}, got ${show(actual)}`);
  },
  match(str, re, msg = "") {
    if (typeof str !== "string" || !re.test(str)) throw new AssertionError(`${msg ? msg + ": " : ""}expected ${show(str)} to match ${re}`);
  },
  throws(fn, check = undefined, msg = "") {
    try {
      fn();
    } catch (e) {
      checkError(e, check, msg);
      return e;
    }
    throw new AssertionError(`${msg ? msg + ": " : ""}expected an exception`);
  },
  async rejects(promise, check = undefined, msg = "") {
    try {
      await (typeof promise === "function" ? promise() : promise);
    } catch (e) {
      checkError(e, check, msg);
      return e;
    }
    throw new AssertionError(`${msg ? msg + ": " : ""}expected a rejection`);
  },
};

export async function run({ label = "", verbose = false } = {}) {
  let passed = 0;
  let failed = 0;
  for (const t of tests) {
    try {
      await t.fn();
      passed++;
      if (verbose) out(`ok - ${t.name}`);
    } catch (e) {
      failed++;
      out(`not ok - ${t.name}\n    ${e && e.name}: ${e && e.message}${e && e.stack && !(e instanceof AssertionError) ? "\n" + String(e.stack).replace(/^/gm, "      ") : ""}`);
    }
  }
  out(`${label ? label + ": " : ""}${passed} passed, ${failed} failed`);
  return { passed, failed };
}
