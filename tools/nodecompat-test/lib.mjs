// Tiny test registry for the harness: test(name, fn), run() -> { passed, failed }.
import { isDeepStrictEqual, inspect } from "node:util";

const tests = [];
let currentFile = "";

export function setFile(name) {
  currentFile = name;
}

export function test(name, fn) {
  tests.push({ name: `${currentFile}: ${name}`, fn });
}

export class Mismatch extends Error {}

/** Throws when `actual` and `expected` are not deep-strict-equal. */
export function same(actual, expected, what = "value") {
  if (!isDeepStrictEqual(actual, expected)) {
    throw new Mismatch(`${what}:\n    got      ${inspect(actual, { depth: 6, breakLength: Infinity })}\n    expected ${inspect(expected, { depth: 6, breakLength: Infinity })}`);
  }
}

export function ok(cond, what = "condition") {
  if (!cond) throw new Mismatch(`${what} is false`);
}

/** Collects mismatches over many cases; throws a summary of the first few at the end. */
export class Cases {
  constructor(label) {
    this.label = label;
    this.count = 0;
    this.failures = [];
  }

  check(desc, actual, expected) {
    this.count++;
    if (!isDeepStrictEqual(actual, expected)) {
      this.failures.push(`${desc}\n      got      ${inspect(actual, { breakLength: Infinity })}\n      expected ${inspect(expected, { breakLength: Infinity })}`);
    }
  }

  done() {
    if (this.failures.length) {
      throw new Mismatch(`${this.failures.length}/${this.count} ${this.label} cases differ; first ones:\n    ` +
        this.failures.slice(0, 8).join("\n    "));
    }
    return this.count;
  }
}

/** Runs fn() and returns { value } or { error: { name, code, message } } for comparison. */
export function outcome(fn, { message = true } = {}) {
  try {
    return { value: fn() };
  } catch (e) {
    const err = { name: e?.name, code: e?.code };
    if (message) err.message = e?.message;
    return { error: err };
  }
}

export async function run({ verbose = false, filter = null } = {}) {
  let passed = 0;
  let failed = 0;
  for (const t of tests) {
    if (filter && !t.name.includes(filter)) continue;
    try {
      await t.fn();
      passed++;
      if (verbose) console.log(`ok   ${t.name}`);
    } catch (e) {
      failed++;
      console.log(`FAIL ${t.name}\n    ${e instanceof Mismatch ? e.message : e?.stack ?? e}`);
    }
  }
  return { passed, failed };
}
