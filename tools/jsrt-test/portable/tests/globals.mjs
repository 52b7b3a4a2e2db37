// The web globals from hbf:bootstrap, checked against fixed expectations (the
// Node-only tests in node/ also compare them with Node's own implementations).
import { test, assert } from "../harness.mjs";
import * as Bootstrap from "hbf:bootstrap";
import * as Codec from "hbf:web_codec";
import { URL, URLSearchParams } from "hbf:web_url";
import { makeConsole, inspect } from "hbf:web_console";
import { __fake } from "hbf:native";

// console, URL, URLSearchParams, TextEncoder, TextDecoder and DOMException are
// lazy globals: bootstrap installs what these modules give on first use.
const B = { ...Bootstrap, TextEncoder: Codec.TextEncoder, TextDecoder: Codec.TextDecoder, DOMException: Codec.DOMExceptionImpl };
const { TextEncoder, TextDecoder, crypto, DOMException, queueMicrotask } = B;
const console = makeConsole();

test("globals are installed (only when absent)", () => {
  for (const name of ["TextEncoder", "TextDecoder", "URL", "URLSearchParams", "crypto", "console", "queueMicrotask", "DOMException"]) {
    assert.ok(name in globalThis, name);
    if (globalThis[name] === B[name]) assert.ok(!Object.keys(globalThis).includes(name), `${name} is not enumerable`);
  }
});

test("TextEncoder encode/encodeInto", () => {
  const e = new TextEncoder();
  assert.equal(e.encoding, "utf-8");
  assert.deepEqual(e.encode("a€😀\ud800"), new Uint8Array([0x61, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80, 0xef, 0xbf, 0xbd]));
  assert.deepEqual(e.encode(), new Uint8Array(0));
  const dest = new Uint8Array(5);
  assert.deepEqual(e.encodeInto("a€😀", dest), { read: 2, written: 4 });
  assert.deepEqual(dest, new Uint8Array([0x61, 0xe2, 0x82, 0xac, 0]));
  const d2 = new Uint8Array(8);
  assert.deepEqual(e.encodeInto("a€😀", d2), { read: 4, written: 8 });
});

test("TextDecoder: BOM, fatal, streaming, inputs", () => {
  const d = new TextDecoder();
  assert.equal(d.encoding, "utf-8");
  assert.equal(d.decode(new Uint8Array([0xef, 0xbb, 0xbf, 0x41])), "A");
  assert.equal(new TextDecoder("utf-8", { ignoreBOM: true }).decode(new Uint8Array([0xef, 0xbb, 0xbf, 0x41])), "\ufeffA");
  assert.equal(d.decode(), "");
  assert.equal(d.decode(new Uint8Array([0x41, 0x42]).buffer), "AB");
  assert.equal(d.decode(new DataView(new Uint8Array([0x43]).buffer)), "C");
  assert.equal(d.decode(new Uint8Array([0xff])), "\ufffd");
  assert.throws(() => new TextDecoder("utf-8", { fatal: true }).decode(new Uint8Array([0xc3])), TypeError);
  assert.throws(() => new TextDecoder("latin1"), RangeError);
  assert.equal(new TextDecoder(" UTF8 ").encoding, "utf-8");
  assert.throws(() => d.decode("str"), TypeError);
  const s = new TextDecoder();
  const bytes = new TextEncoder().encode("\ufeffé€😀!");
  let out = "";
  for (const b of bytes) out += s.decode(new Uint8Array([b]), { stream: true });
  out += s.decode();
  assert.equal(out, "é€😀!");
  assert.equal(s.decode(new Uint8Array([0xf0, 0x9f]), { stream: true }), "");
  assert.equal(s.decode(), "\ufffd");
});

test("URL parsing basics", () => {
  const u = new URL("HTTPS://user:pa%20ss@Example.COM:443/a/./b/../c d?x=1&y=é#frag ment");
  assert.equal(u.href, "https://user:pa%20ss@example.com/a/c%20d?x=1&y=%C3%A9#frag%20ment");
  assert.equal(u.origin, "https://example.com");
  assert.equal(u.protocol, "https:");
  assert.equal(u.username, "user");
  assert.equal(u.password, "pa%20ss");
  assert.equal(u.host, "example.com");
  assert.equal(u.hostname, "example.com");
  assert.equal(u.port, "");
  assert.equal(u.pathname, "/a/c%20d");
  assert.equal(u.search, "?x=1&y=%C3%A9");
  assert.equal(u.hash, "#frag%20ment");
  assert.equal(String(u), u.href);
  assert.equal(JSON.stringify({ u }), `{"u":"${u.href}"}`);
  assert.equal(new URL("/p?q#h", "http://h:8080/a/b").href, "http://h:8080/p?q#h");
  assert.equal(new URL("../x", "http://h/a/b/c").href, "http://h/a/x");
  assert.equal(new URL("//other/x", "https://h/").href, "https://other/x");
  assert.equal(new URL("http://[::1]:8080/").host, "[::1]:8080");
  assert.equal(new URL("http://0x7f.1/").hostname, "127.0.0.1");
  assert.equal(new URL("http://bücher.de/").hostname, "xn--bcher-kva.de");
  assert.equal(new URL("mailto:someone@x.org").pathname, "someone@x.org");
  assert.equal(new URL("file:///C:/dir/../f.txt").href, "file:///C:/f.txt");
  assert.throws(() => new URL("nope"), TypeError);
  assert.throws(() => new URL("http://exa mple.com"), TypeError);
  assert.throws(() => new URL("http://h:99999/"), TypeError);
  assert.equal(URL.canParse("http://x"), true);
  assert.equal(URL.canParse("x"), false);
  assert.equal(URL.canParse("x", "http://h/"), true);
});

test("URL setters and live searchParams", () => {
  const u = new URL("http://h/p?a=1");
  u.searchParams.append("b", "x y");
  assert.equal(u.href, "http://h/p?a=1&b=x+y");
  u.search = "?c=3";
  assert.deepEqual([...u.searchParams], [["c", "3"]]);
  u.hash = "top";
  u.pathname = "/new path";
  u.port = "8080";
  u.hostname = "example.org";
  u.protocol = "https";
  u.username = "me";
  assert.equal(u.href, "https://me@example.org:8080/new%20path?c=3#top");
  u.port = "443";
  assert.equal(u.port, "");
  u.host = "other.net:81";
  assert.equal(u.host, "other.net:81");
  u.searchParams.delete("c");
  assert.equal(u.href, "https://me@other.net:81/new%20path#top");
  u.href = "http://fresh/?z=9";
  assert.equal(u.searchParams.get("z"), "9");
  assert.throws(() => { u.href = "bad"; }, TypeError);
});

test("URLSearchParams", () => {
  const p = new URLSearchParams("?a=1&b=2&a=3&c=%20x+y&d");
  assert.equal(p.get("a"), "1");
  assert.deepEqual(p.getAll("a"), ["1", "3"]);
  assert.equal(p.get("c"), " x y");
  assert.equal(p.get("d"), "");
  assert.equal(p.get("zz"), null);
  assert.equal(p.has("b"), true);
  assert.equal(p.has("a", "3"), true);
  assert.equal(p.size, 5);
  p.set("a", "9");
  p.delete("b");
  p.sort();
  assert.equal(p.toString(), "a=9&c=+x+y&d=");
  assert.equal(new URLSearchParams({ q: "a&b=c", n: 1 }).toString(), "q=a%26b%3Dc&n=1");
  assert.equal(new URLSearchParams([["x", "1"], ["y", "é~*"]]).toString(), "x=1&y=%C3%A9%7E*");
  assert.throws(() => new URLSearchParams([["x"]]), TypeError);
  const seen = [];
  p.forEach((v, k) => seen.push(k + "=" + v));
  assert.deepEqual(seen, ["a=9", "c= x y", "d="]);
  assert.deepEqual([...p.keys()], ["a", "c", "d"]);
  assert.deepEqual([...p.values()], ["9", " x y", ""]);
  // Arguments counted, not taken from undefined: a missing one throws, an
  // undefined one is the string "undefined"; the spec's arities.
  assert.throws(() => p.get(), TypeError);
  assert.throws(() => p.append("x"), TypeError);
  assert.throws(() => p.set("x"), TypeError);
  assert.throws(() => p.has(), TypeError);
  assert.throws(() => p.delete(), TypeError);
  assert.throws(() => p.getAll(), TypeError);
  assert.throws(() => new URL(), TypeError);
  p.append("undefined", undefined);
  assert.equal(p.get(undefined), "undefined");
  assert.equal(p.has("undefined", undefined), true);
  assert.deepEqual(["append", "delete", "get", "getAll", "has", "set"].map((m) => URLSearchParams.prototype[m].length), [2, 1, 1, 1, 1, 2]);
  assert.equal(URL.length, 1);
  assert.equal(new URL("/a?b=1", "http://h.test").searchParams.get("b"), "1");
});

test("crypto.getRandomValues / randomUUID", () => {
  const a = new Uint32Array(4);
  assert.equal(crypto.getRandomValues(a), a);
  assert.ok(new Set(a).size > 1);
  crypto.getRandomValues(new BigInt64Array(2));
  crypto.getRandomValues(new Uint8Array(65536));
  const big = assert.throws(() => crypto.getRandomValues(new Uint8Array(65537)));
  assert.equal(big.name, "QuotaExceededError");
  assert.ok(big instanceof DOMException && big instanceof Error);
  const type = assert.throws(() => crypto.getRandomValues(new Float64Array(1)));
  assert.equal(type.name, "TypeMismatchError");
  assert.match(crypto.randomUUID(), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});

test("console formats and routes to the native log with levels", () => {
  __fake.clearLogs();
  console.log("a %s b %d c %i %f %j %%", "S", 4.5, 4.5, "1.5", { x: 1 });
  console.info({ a: 1, b: "two", c: [1, 2], d: null, e: undefined });
  console.debug("dbg", 1, true);
  console.warn("w");
  console.error(new Error("bad"));
  console.trace("here");
  const cyc = { name: "c" };
  cyc.self = cyc;
  console.log(cyc);
  console.log("%o|%O", [1], { deep: { er: { est: { x: 1 } } } });
  console.log("extra", "args", 5, "%s");
  console.assert(1 === 2, "nope %d", 1);
  const L = __fake.logs;
  assert.deepEqual(L[0], ["info", "a S b 4.5 c 4 1.5 {\"x\":1} %"]);
  assert.deepEqual(L[1], ["info", "{ a: 1, b: 'two', c: [ 1, 2 ], d: null, e: undefined }"]);
  assert.deepEqual(L[2], ["debug", "dbg 1 true"]);
  assert.deepEqual(L[3], ["warn", "w"]);
  assert.equal(L[4][0], "error");
  assert.match(L[4][1], /^Error: bad\n/);
  assert.equal(L[5][0], "error");
  assert.match(L[5][1], /^Trace: here/);
  assert.deepEqual(L[6], ["info", "<ref *1> { name: 'c', self: [Circular *1] }"]);
  assert.deepEqual(L[7], ["info", "[ 1, [length]: 1 ]|{ deep: { er: { est: [Object] } } }"]);
  assert.deepEqual(L[8], ["info", "extra args 5 %s"]);
  assert.deepEqual(L[9], ["error", "Assertion failed: nope 1"]);
});

test("inspect covers common types", () => {
  const cases = [
    ["str", "'str'"], ["it's", "\"it's\""], ["a\nb", "'a\\nb'"], [1n, "1n"], [-0, "-0"], [Symbol("s"), "Symbol(s)"],
    [[1, , 3], "[ 1, <1 empty item>, 3 ]"], [[], "[]"], [{}, "{}"], [{ "a-b": 1, [Symbol("k")]: 2 }, "{ 'a-b': 1, [Symbol(k)]: 2 }"],
    [new Map([["k", 1]]), "Map(1) { 'k' => 1 }"], [new Set([1]), "Set(1) { 1 }"], [new Date(0), "1970-01-01T00:00:00.000Z"],
    [/x/g, "/x/g"], [function named() {}, "[Function: named]"], [class K {}, "[class K]"], [async () => {}, "[AsyncFunction (anonymous)]"],
    [new Uint8Array([1, 2]), "Uint8Array(2) [ 1, 2 ]"], [Object.create(null), "[Object: null prototype] {}"],
    [new (class Pt { constructor() { this.x = 1; } })(), "Pt { x: 1 }"], [{ get g() { return 1; } }, "{ g: [Getter] }"],
    [{ a: { b: { c: { d: 1 } } } }, "{ a: { b: { c: [Object] } } }"], [[[[[1]]]], "[ [ [ [Array] ] ] ]"],
  ];
  for (const [v, s] of cases) assert.equal(inspect(v), s);
});

test("queueMicrotask runs callbacks in order, errors are logged", async () => {
  const order = [];
  __fake.clearLogs();
  queueMicrotask(() => order.push(1));
  queueMicrotask(() => { throw new Error("mt"); });
  queueMicrotask(() => order.push(2));
  order.push(0);
  await null; await null; await null;
  assert.deepEqual(order, [0, 1, 2]);
  assert.ok(__fake.logs.some(([l, m]) => l === "error" && m.includes("mt")));
  assert.throws(() => queueMicrotask(5), TypeError);
});

test("inspect truncates long arrays and stays on one line", () => {
  const s = inspect(new Array(150).fill(0));
  assert.ok(!s.includes("\n"));
  assert.match(s, /^\[ 0, 0, .*, 0, \.\.\. 50 more items \]$/);
});
