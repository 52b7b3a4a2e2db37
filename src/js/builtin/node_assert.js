// hbf:node_assert — Node's `assert` (legacy mode: equal/deepEqual are loose)
// with AssertionError (code ERR_ASSERTION). Messages are shorter than Node's
// (no diffs).

import { inspect } from "hbf:node_util_inspect";
import { isDeepStrictEqual, isDeepLooseEqual } from "hbf:node_util_equal";
import { types } from "hbf:node_util_types";
import { invalidArgType, nodeError } from "hbf:node_errors";

export class AssertionError extends Error {
  constructor(options) {
    if (options === null || typeof options !== "object") throw invalidArgType("options", "of type object", options);
    const { message, actual, expected, operator } = options;
    super(message !== undefined ? String(message) : `${inspect(actual)} ${operator} ${inspect(expected)}`);
    this.generatedMessage = message === undefined;
    this.code = "ERR_ASSERTION";
    this.actual = actual;
    this.expected = expected;
    this.operator = operator;
  }

  get name() {
    return "AssertionError";
  }

  toString() {
    return `${this.name} [${this.code}]: ${this.message}`;
  }
}

function fail(obj) {
  if (obj.message instanceof Error) throw obj.message;
  throw new AssertionError(obj);
}

function innerOk(fn, argLen, value, message) {
  if (!value) {
    let generatedMessage = false;
    if (argLen === 0) {
      message = "No value argument passed to `assert.ok()`";
      generatedMessage = true;
    } else if (message == null) {
      message = `The expression evaluated to a falsy value:\n\n  assert.ok(${inspect(value)})\n`;
      generatedMessage = true;
    } else if (message instanceof Error) {
      throw message;
    }
    const err = new AssertionError({ actual: value, expected: true, message, operator: "==" });
    err.generatedMessage = generatedMessage;
    throw err;
  }
}

export function ok(...args) {
  innerOk(ok, args.length, ...args);
}

function msg(message, fallback) {
  return message === undefined ? fallback : message;
}

export function equal(actual, expected, message) {
  // eslint-disable-next-line eqeqeq
  if (actual != expected && (!Number.isNaN(actual) || !Number.isNaN(expected))) {
    fail({ actual, expected, message: msg(message, `${inspect(actual)} == ${inspect(expected)}`), operator: "==" });
  }
}

export function notEqual(actual, expected, message) {
  // eslint-disable-next-line eqeqeq
  if (actual == expected || (Number.isNaN(actual) && Number.isNaN(expected))) {
    fail({ actual, expected, message: msg(message, `${inspect(actual)} != ${inspect(expected)}`), operator: "!=" });
  }
}

export function strictEqual(actual, expected, message) {
  if (!Object.is(actual, expected)) {
    fail({ actual, expected, operator: "strictEqual",
      message: msg(message, `Expected values to be strictly equal:\n\n${inspect(actual)} !== ${inspect(expected)}\n`) });
  }
}

export function notStrictEqual(actual, expected, message) {
  if (Object.is(actual, expected)) {
    fail({ actual, expected, operator: "notStrictEqual",
      message: msg(message, `Expected "actual" to be strictly unequal to: ${inspect(expected)}`) });
  }
}

export function deepEqual(actual, expected, message) {
  if (!isDeepLooseEqual(actual, expected)) {
    fail({ actual, expected, operator: "deepEqual",
      message: msg(message, `Expected values to be loosely deep-equal:\n\n${inspect(actual)}\n\nshould loosely deep-equal\n\n${inspect(expected)}`) });
  }
}

export function notDeepEqual(actual, expected, message) {
  if (isDeepLooseEqual(actual, expected)) {
    fail({ actual, expected, operator: "notDeepEqual",
      message: msg(message, `"actual" deepEqual "expected":\n\n${inspect(actual)}`) });
  }
}

export function deepStrictEqual(actual, expected, message) {
  if (!isDeepStrictEqual(actual, expected)) {
    fail({ actual, expected, operator: "deepStrictEqual",
      message: msg(message, `Expected values to be strictly deep-equal:\n\n${inspect(actual)}\n\nshould equal\n\n${inspect(expected)}`) });
  }
}

export function notDeepStrictEqual(actual, expected, message) {
  if (isDeepStrictEqual(actual, expected)) {
    fail({ actual, expected, operator: "notDeepStrictEqual",
      message: msg(message, `Expected "actual" not to be strictly deep-equal to: ${inspect(expected)}`) });
  }
}

function matches(err, expected, message, fnName) {
  if (expected === undefined) return;
  if (typeof expected === "function") {
    if (expected.prototype !== undefined && err instanceof expected) return;
    if (Error.isPrototypeOf(expected) || expected === Error) {
      fail({ actual: err, expected, operator: fnName, message: msg(message,
        `The error is expected to be an instance of "${expected.name}". Received "${err?.constructor?.name}"`) });
    }
    if (expected.call({}, err) === true) return;
    fail({ actual: err, expected, operator: fnName, message: msg(message,
      `The ${fnName === "rejects" ? "rejection" : "error"} validation function is expected to return "true". Received false`) });
  }
  if (types.isRegExp(expected)) {
    if (expected.test(String(err))) return;
    fail({ actual: err, expected, operator: fnName, message: msg(message,
      `The input did not match the regular expression ${expected}. Input:\n\n${inspect(String(err))}\n`) });
  }
  if (typeof expected === "object" && expected !== null) {
    const keys = Object.keys(expected);
    if (expected instanceof Error) keys.push("name", "message");
    for (const key of keys) {
      const want = expected[key];
      const got = err?.[key];
      if (types.isRegExp(want) && typeof got === "string" ? want.test(got) : isDeepStrictEqual(got, want)) continue;
      fail({ actual: err, expected, operator: fnName, message: msg(message,
        `Expected values to be strictly deep-equal for property '${key}':\n\n${inspect(got)}\n\nshould equal\n\n${inspect(want)}`) });
    }
    return;
  }
  throw invalidArgType("expected", "of type function or an instance of Error, RegExp, or Object", expected);
}

const NO_EXCEPTION = Symbol("no exception");

export function throws(fn, expected, message) {
  if (typeof fn !== "function") throw invalidArgType("fn", "of type function", fn);
  if (typeof expected === "string") {
    message = expected;
    expected = undefined;
  }
  let err = NO_EXCEPTION;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  if (err === NO_EXCEPTION) {
    fail({ actual: undefined, expected, operator: "throws", message: msg(message, "Missing expected exception.") });
  }
  matches(err, expected, message, "throws");
}

export function doesNotThrow(fn, expected, message) {
  if (typeof fn !== "function") throw invalidArgType("fn", "of type function", fn);
  try {
    fn();
  } catch (e) {
    if (typeof expected === "string") message = expected;
    fail({ actual: e, expected, operator: "doesNotThrow",
      message: msg(message, `Got unwanted exception.\nActual message: "${e?.message}"`) });
  }
}

export async function rejects(promiseFn, expected, message) {
  if (typeof expected === "string") {
    message = expected;
    expected = undefined;
  }
  let err = NO_EXCEPTION;
  try {
    await (typeof promiseFn === "function" ? promiseFn() : promiseFn);
  } catch (e) {
    err = e;
  }
  if (err === NO_EXCEPTION) {
    fail({ actual: undefined, expected, operator: "rejects", message: msg(message, "Missing expected rejection.") });
  }
  matches(err, expected, message, "rejects");
}

export async function doesNotReject(promiseFn, expected, message) {
  try {
    await (typeof promiseFn === "function" ? promiseFn() : promiseFn);
  } catch (e) {
    if (typeof expected === "string") message = expected;
    fail({ actual: e, expected, operator: "doesNotReject",
      message: msg(message, `Got unwanted rejection.\nActual message: "${e?.message}"`) });
  }
}

export function match(string, regexp, message) {
  if (!types.isRegExp(regexp)) throw invalidArgType("regexp", "an instance of RegExp", regexp);
  if (typeof string !== "string" || !regexp.test(string)) {
    fail({ actual: string, expected: regexp, operator: "match", message: msg(message,
      `The input did not match the regular expression ${inspect(regexp)}. Input:\n\n${inspect(string)}\n`) });
  }
}

export function doesNotMatch(string, regexp, message) {
  if (!types.isRegExp(regexp)) throw invalidArgType("regexp", "an instance of RegExp", regexp);
  if (typeof string !== "string" || regexp.test(string)) {
    fail({ actual: string, expected: regexp, operator: "doesNotMatch", message: msg(message,
      `The input was expected to not match the regular expression ${inspect(regexp)}. Input:\n\n${inspect(string)}\n`) });
  }
}

export function ifError(err) {
  if (err !== null && err !== undefined) {
    let message = "ifError got unwanted exception: ";
    message += typeof err === "object" && typeof err.message === "string" ? (err.message || err.constructor?.name) : inspect(err);
    const e = new AssertionError({ actual: err, expected: null, operator: "ifError", message });
    e.origin = err;
    throw e;
  }
}

function failFn(message = "Failed") {
  if (message instanceof Error) throw message;
  const err = new AssertionError({ message, operator: "fail" });
  throw err;
}
export { failFn as fail };

export function CallTracker() {
  throw nodeError(Error, "ERR_HBF_UNSUPPORTED", "assert.CallTracker is not supported in hbf");
}

function assert(...args) {
  innerOk(assert, args.length, ...args);
}

const members = {
  ok, equal, notEqual, strictEqual, notStrictEqual, deepEqual, notDeepEqual, deepStrictEqual, notDeepStrictEqual,
  throws, doesNotThrow, rejects, doesNotReject, match, doesNotMatch, ifError, fail: failFn, AssertionError, CallTracker,
};
Object.assign(assert, members);

function strict(...args) {
  innerOk(strict, args.length, ...args);
}
Object.assign(strict, members, {
  equal: strictEqual, notEqual: notStrictEqual, deepEqual: deepStrictEqual, notDeepEqual: notDeepStrictEqual,
});
assert.strict = strict;
strict.strict = strict;

export { strict };
export default assert;
