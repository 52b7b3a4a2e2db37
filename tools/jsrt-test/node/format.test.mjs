// format()/inspect() from hbf:bootstrap compared with Node's util (single-line cases).
import { test, assert } from "../portable/harness.mjs";
import { format as hformat, inspect as hinspect } from "hbf:web_console";
import util from "node:util";

class Point { constructor() { this.x = 1; this.y = 2; } }
const cyclic = { a: 1 };
cyclic.me = cyclic;
const arrCyc = [1];
arrCyc.push(arrCyc);

const FORMAT_CASES = [
  ["plain"], ["%s", "x"], ["%s", 1.5], ["%s", -0], ["%s", 12n], ["%s", null], ["%s", undefined], ["%s", Symbol("q")], ["%s", true],
  ["%s", { a: 1 }], ["%s", [1, 2]], ["%s", new Point()], ["%s", { toString() { return "custom"; } }], ["%s", new Date(0)],
  ["%d", 42], ["%d", "42"], ["%d", 1.5], ["%d", 3n], ["%d", {}], ["%d", Symbol("s")], ["%d", -0], ["%i", 42.9], ["%i", "12px"], ["%i", 5n],
  ["%f", "1.25e3"], ["%f", Symbol("f")], ["%j", { a: [1, "b"] }], ["%j", cyclic], ["%j", undefined], ["%o", [1, { a: 2 }]], ["%o", { a: [1] }], ["%O", { a: { b: 1 } }],
  ["%c", "color: red"], ["100%%"], ["100%%", 1], ["%s %s", "only"], ["%x %s", "y"], ["a", "b", 3, { c: 4 }], [1, 2, "three"],
  [{ a: 1 }, "tail"], ["%s:%s", "a", "b", "c", 4], ["%%s %s", "x"], ["%s%%", "x"], ["%", 1], ["x%", 1], ["%s", ""],
  ["%s", "multi\nline"], ["str", "with 'quote'"], [null], [undefined], [Symbol("top")], [() => {}], [function named() {}],
];

test("format() matches util.format", () => {
  for (const args of FORMAT_CASES) {
    assert.equal(hformat(...args), util.format(...args), util.inspect(args));
  }
});

const INSPECT_CASES = [
  1, -0, NaN, Infinity, 10n, "s", "it's", 'q"u\'o', "a\nb\tc\u0001", "back\\slash", true, null, undefined, Symbol("s"), Symbol(),
  [], [1, 2, 3], [1, , 3], [, ,], ["a", ["b", ["c", ["d"]]]], {}, { a: 1 }, { "a-b": 1, c_d: 2, "3": 3, $x: 4 }, { [Symbol("k")]: 1 },
  { nested: { deeper: { deepest: { x: 1 } } } }, new Map(), new Map([["a", 1], [{ k: 1 }, [2]]]), new Set(), new Set([1, "2"]),
  new Date(86400000), new Date(NaN), /re+/gi, new Error("m").name, function f() {}, () => {}, class A {}, class {}, async function af() {},
  function* gen() {}, new Point(), Object.create(null), Object.assign(Object.create(null), { a: 1 }), new Uint8Array([1, 2, 3]),
  new Float64Array([1.5]), new BigInt64Array([1n]), cyclic, arrCyc, { get g() { return 1; }, set s(v) {}, get gs() { return 1; }, set gs(v) {} },
  [undefined, null], { u: undefined }, new Number(3), new String("s"), new Boolean(false), Object.assign(() => {}, { prop: 1 }),
  Object.assign([1], { extra: true }), [1, 2, 3, 4, 5, 6],
];

test("inspect() matches util.inspect for single-line output", () => {
  for (const v of INSPECT_CASES) {
    const expected = util.inspect(v, { breakLength: Infinity });
    assert.equal(hinspect(v), expected, expected);
  }
});

test("Error inspection: header line and extra properties", () => {
  const e = new Error("boom");
  e.status = 400;
  const s = hinspect(e);
  assert.match(s, /^Error: boom\n/);
  assert.match(s, /\{ status: 400 \}$/);
  assert.equal(hinspect({ e: new RangeError("r") }, { depth: 0 }), "{ e: [RangeError: r] }");
});
