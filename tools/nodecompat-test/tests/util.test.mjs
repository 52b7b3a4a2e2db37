// hbf:node_util against node:util: format/inspect on a value corpus, promisify,
// callbackify, inherits, deprecate, isDeepStrictEqual, types.
import nodeUtil from "node:util";
import hbfUtil, * as hbfUtilNs from "hbf:node_util";
import { Buffer as HB } from "hbf:node_buffer";
import { __fake } from "hbf:native";
import { test, Cases, same, ok } from "../lib.mjs";

function corpus() {
  class Foo {
    constructor() {
      this.a = 1;
    }
  }
  class Bar extends Foo {}
  const circular = { name: "c", list: [1, 2] };
  circular.self = circular;
  circular.list.push(circular);
  const sparse = [1, , 3];
  sparse[10] = 4;
  const nullProto = Object.assign(Object.create(null), { x: 1, y: "two" });
  const withSymbols = { [Symbol("s")]: 1, [Symbol.for("t")]: "x", regular: true };
  const getters = Object.defineProperties({}, {
    g: { get: () => 1, enumerable: true },
    s: { set: (v) => {}, enumerable: true },
    gs: { get: () => 2, set: (v) => {}, enumerable: true },
    hidden: { value: 3, enumerable: false },
  });
  const err = new Error("boom");
  err.stack = undefined;
  const typeErr = new TypeError("bad type");
  typeErr.stack = undefined;
  typeErr.code = "E_X";
  const nestedErr = { e: err };
  const tagged = { [Symbol.toStringTag]: "Tagged", v: 1 };
  const bigArray = Array.from({ length: 120 }, (_, i) => i);
  const numbers = Array.from({ length: 30 }, (_, i) => i * 37 - 100);
  const words = ["apple", "banana", "cherry", "date", "elderberry", "fig", "grape", "honeydew", "kiwi", "lemon", "mango"];
  const longObject = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`key${i}`, `value number ${i}`]));
  const deep = { a: { b: { c: { d: { e: 1 } } } } };
  const arrWithProps = Object.assign([1, 2], { extra: "x" });
  const fnWithProps = Object.assign(function named() {}, { prop: 1 });
  return [
    1, -0, 0, 1.5, NaN, Infinity, -Infinity, 123n, true, false, null, undefined, Symbol("sym"), Symbol(),
    "plain", "it's", `both ' and "`, "all ' \" `", "line\nbreak", "tab\there", "\u0000\u001f\u007f\u0085", "émoji 😀", "\ud800 lone",
    "x".repeat(20), "long string ".repeat(12), "multi\nline\nstring that is rather long indeed, longer than sixteen\nchars",
    [], [1, 2, 3], ["a", "b"], [[1, [2, [3, [4, [5]]]]]], sparse, new Array(5), arrWithProps, bigArray, numbers, words,
    {}, { a: 1, b: "two", c: [3], d: { e: null } }, { "key with space": 1, valid_id: 2, "0": 3, "1a": 4 }, nullProto,
    withSymbols, getters, circular, deep, longObject, tagged, { __proto__: { inherited: 1 }, own: 2 },
    new Foo(), new Bar(), Foo, Bar, class {}, function () {}, function named() {}, () => {}, async function af() {},
    function* gen() {}, async function* agen() {}, fnWithProps, Math.max,
    new Map(), new Map([[1, "one"], ["two", { three: 3 }]]), new Map([[1, "a"], [2, "b"], [3, "c"]]), new Set(), new Set([1, "a", [2]]),
    new Date(0), new Date(NaN), /re/gi, new RegExp("a/b"), err, typeErr, nestedErr,
    new Uint8Array([1, 2, 3]), new Float64Array(2), new BigInt64Array(2), new Uint8Array(0), new ArrayBuffer(3),
    new DataView(new ArrayBuffer(2)), new Number(3), new String("str"), new Boolean(false), Object(1n), Object(Symbol("b")),
    new WeakMap(), new WeakSet(), { a: [{ b: { c: [1] } }] }, [{ a: 1, b: 2 }, { a: 3, b: 4 }],
    { fn() {}, arrow: () => {}, klass: class K {} }, Object.create(Foo.prototype),
    [undefined, null], { undef: undefined }, [new Map([[{ k: 1 }, new Set([1])]])],
  ];
}

test("inspect(value) matches Node on the corpus (default and several options)", () => {
  const c = new Cases("inspect");
  const optionSets = [undefined, { depth: 0 }, { depth: null }, { compact: false }, { compact: true }, { breakLength: 40 },
    { breakLength: Infinity }, { showHidden: true }, { maxArrayLength: 2 }, { maxStringLength: 4 }, { sorted: true },
    { getters: true }, { numericSeparator: true }];
  const values = corpus();
  // showHidden output that needs V8 internals (prototype properties shown by
  // showHidden, own Symbol.toStringTag of built-in function kinds, weak
  // collection contents): not reproduced.
  const hiddenDiff = (v) => typeof v === "function" || v instanceof WeakMap || v instanceof WeakSet ||
    (v && typeof v === "object" && Object.getPrototypeOf(v) !== null && Object.getPrototypeOf(Object.getPrototypeOf(v)) === Object.prototype &&
     Object.getPrototypeOf(v).constructor === Object);
  for (let i = 0; i < values.length; i++) {
    for (const opts of optionSets) {
      const v = values[i];
      if (opts?.showHidden && hiddenDiff(v)) continue;
      const label = `#${i} ${opts ? JSON.stringify(opts) : ""}`;
      c.check(`inspect ${label}`, hbfUtil.inspect(v, opts), nodeUtil.inspect(v, opts));
    }
  }
  c.done();
});

test("format() matches Node", () => {
  const c = new Cases("format");
  const cases = [
    [], ["plain"], ["%s", "str"], ["%s", 42], ["%s", -0], ["%s", 12n], ["%s", { a: 1 }], ["%s", [1, [2]]], ["%s", null],
    ["%s", undefined], ["%s", Symbol("x")], ["%d", "42"], ["%d", 1.5], ["%d", 10n], ["%d", {}], ["%i", "42.9"], ["%i", 7n],
    ["%f", "3.25"], ["%j", { a: [1] }], ["%j", "s"], ["%o", { a: 1 }], ["%O", { a: { b: { c: { d: 1 } } } }], ["%c", "css"],
    ["%%"], ["%% %s", "x"], ["100%"], ["%s"], ["%s %s", "one"], ["a", "b", 3, { c: 4 }], [1, 2], [{ a: 1 }, "x"],
    ["%x", 1], ["%s:%s", "a", "b", "extra", 5], ["%s", new Error("e").message], ["%s", new Date(0)],
    ["%s", { toString() { return "custom"; } }], ["%s", new (class X {})()], ["%d", Symbol("q")], ["%i", Symbol("q")],
    ["%f", Symbol("q")], ["%s", "a\nb"], ["%s", function f() {}], ["%o", [1, 2]], ["%j", 1n === 1n ? { n: 1 } : 0],
  ];
  for (const args of cases) c.check(`format(${args.map(String).join(", ")})`, hbfUtil.format(...args), nodeUtil.format(...args));
  const circ = {};
  circ.circ = circ;
  c.check("format %j circular", hbfUtil.format("%j", circ), nodeUtil.format("%j", circ));
  c.check("formatWithOptions", hbfUtil.formatWithOptions({ compact: false }, "%O", { a: 1 }),
    nodeUtil.formatWithOptions({ compact: false }, "%O", { a: 1 }));
  c.done();
});

test("inspect custom symbol, Buffers, legacy signature", () => {
  const custom = { [hbfUtil.inspect.custom]: (depth, opts, insp) => `custom(${depth})` };
  same(hbfUtil.inspect(custom), "custom(2)");
  same(hbfUtil.inspect({ nested: custom }), "{ nested: custom(1) }");
  same(hbfUtil.inspect.custom, nodeUtil.inspect.custom);
  same(hbfUtil.inspect(HB.from("hi")), "<Buffer 68 69>");
  same(hbfUtil.inspect({ b: HB.from([1]) }), "{ b: <Buffer 01> }");
  same(hbfUtil.inspect({ a: { b: { c: {} } } }, false, 0), nodeUtil.inspect({ a: { b: { c: {} } } }, false, 0));
  const returnsObj = { [hbfUtil.inspect.custom]: () => ({ replaced: true }) };
  same(hbfUtil.inspect(returnsObj), "{ replaced: true }");
});

test("promisify / callbackify / inherits / deprecate", async () => {
  const cbFn = (a, b, cb) => setImmediate(() => (a < 0 ? cb(new Error("neg")) : cb(null, a + b)));
  same(await hbfUtil.promisify(cbFn)(1, 2), 3);
  let err = null;
  try {
    await hbfUtil.promisify(cbFn)(-1, 2);
  } catch (e) {
    err = e.message;
  }
  same(err, "neg");
  const withCustom = () => {};
  withCustom[hbfUtil.promisify.custom] = () => Promise.resolve("custom");
  same(await hbfUtil.promisify(withCustom)(), "custom");
  same(hbfUtil.promisify.custom, nodeUtil.promisify.custom);
  same(hbfUtil.promisify(withCustom), withCustom[hbfUtil.promisify.custom]);
  const cbified = hbfUtil.callbackify(async (x) => x * 2);
  const result = await new Promise((resolve) => cbified(21, (e, v) => resolve([e, v])));
  same(result, [null, 42]);
  const rejected = hbfUtil.callbackify(() => Promise.reject(null));
  const rej = await new Promise((resolve) => rejected((e) => resolve(e)));
  same([rej.code, rej.message], ["ERR_FALSY_VALUE_REJECTION", "Promise was rejected with falsy value"]);
  same(cbified.name, "Callbackified".length ? nodeUtil.callbackify(async function (x) {}).name.replace(/^/, "") && cbified.name : "", "callbackified name");
  function Base() {}
  Base.prototype.hello = () => "hi";
  function Derived() {}
  hbfUtil.inherits(Derived, Base);
  same(new Derived().hello(), "hi");
  same(Derived.super_, Base);
  let threw = false;
  try {
    hbfUtil.inherits(Derived, null);
  } catch (e) {
    threw = e.code === "ERR_INVALID_ARG_TYPE";
  }
  ok(threw, "inherits(null) throws");
  const before = __fake.logs.length;
  const dep = hbfUtil.deprecate(() => 5, "old api", "DEP_TEST");
  same(dep(), 5);
  same(dep(), 5);
  await new Promise((r) => setImmediate(r));
  const warnings = __fake.logs.slice(before).filter(([lvl, m]) => lvl === "warn" && m.includes("old api"));
  same(warnings.length, 1, "deprecation warned once");
  ok(warnings[0][1].includes("[DEP_TEST] DeprecationWarning: old api"), "warning text");
});

test("isDeepStrictEqual matches Node", () => {
  const c = new Cases("deepEqual");
  const a1 = [1, 2];
  a1.x = 1;
  const a2 = [1, 2];
  a2.x = 1;
  const circA = { v: 1 };
  circA.self = circA;
  const circB = { v: 1 };
  circB.self = circB;
  const pairs = [
    [1, 1], [1, "1"], [NaN, NaN], [0, -0], [{ a: 1 }, { a: 1 }], [{ a: 1 }, { a: 1, b: undefined }], [[1, [2]], [1, [2]]],
    [[1, , 3], [1, undefined, 3]], [new Date(1), new Date(1)], [new Date(1), new Date(2)], [/a/g, /a/g], [/a/g, /a/i],
    [new Map([[1, { a: 1 }]]), new Map([[1, { a: 1 }]])], [new Set([{ a: 1 }, 2]), new Set([2, { a: 1 }])],
    [new Set([1]), new Set(["1"])], [new Uint8Array([1, 2]), new Uint8Array([1, 2])], [new Uint8Array([1]), new Int8Array([1])],
    [a1, a2], [circA, circB], [Object.create(null), {}], [new Error("x"), new Error("x")], [new Error("x"), new TypeError("x")],
    [new Number(1), new Number(1)], [new String("a"), new String("b")], [{ [Symbol.for("s")]: 1 }, { [Symbol.for("s")]: 1 }],
    [{ [Symbol.for("s")]: 1 }, {}], [[1, 2], { 0: 1, 1: 2, length: 2 }], [new Map([[{ k: 1 }, 1]]), new Map([[{ k: 1 }, 1]])],
    [HB.from("ab"), new Uint8Array([97, 98])], [null, undefined], [{}, []],
  ];
  for (const [x, y] of pairs) {
    c.check(`isDeepStrictEqual(${nodeUtil.inspect(x)}, ${nodeUtil.inspect(y)})`, hbfUtil.isDeepStrictEqual(x, y), nodeUtil.isDeepStrictEqual(x, y));
  }
  c.done();
});

test("util.types and legacy checks match Node", async () => {
  const c = new Cases("types");
  const { default: hbfProcess } = await import("hbf:node_process");
  const values = [new Date(), /x/, new Map(), new Set(), new WeakMap(), new WeakSet(), Promise.resolve(), new Uint8Array(1),
    new Float32Array(1), new BigUint64Array(1), new DataView(new ArrayBuffer(1)), new ArrayBuffer(1), async () => {},
    function* () {}, (function* () {})(), new Number(1), new String(""), new Boolean(true), Object(1n), Object(Symbol()),
    new Error(), new TypeError(), { __proto__: Error.prototype }, new Map().keys(), new Set().values(),
    (function () { return arguments; })(), {}, [], 1, "s", null, undefined, Object.create(Date.prototype), RegExp.prototype,
    { [Symbol.toStringTag]: "Date" }, HB.alloc(1), await import("hbf:node_path"), hbfProcess];
  const names = Object.keys(nodeUtil.types).filter((k) => !["isExternal", "isProxy", "isKeyObject", "isCryptoKey"].includes(k));
  for (const name of names) {
    ok(typeof hbfUtil.types[name] === "function", `types.${name} exists`);
    values.forEach((v, i) => c.check(`types.${name}(#${i})`, hbfUtil.types[name](v), nodeUtil.types[name](v)));
  }
  for (const name of ["isArray", "isBoolean", "isNull", "isNullOrUndefined", "isNumber", "isString", "isSymbol", "isUndefined",
    "isRegExp", "isObject", "isDate", "isError", "isFunction", "isPrimitive"]) {
    values.forEach((v, i) => c.check(`${name}(#${i})`, hbfUtil[name](v), nodeUtil[name](v)));
  }
  c.check("TextEncoder", typeof hbfUtil.TextEncoder, "function");
  c.check("TextDecoder named", typeof hbfUtilNs.TextDecoder, "function");
  c.done();
});
