// The smaller shims against Node: querystring, string_decoder, url, assert, os, module.
import nodeQs from "node:querystring";
import { StringDecoder as NodeDecoder } from "node:string_decoder";
import nodeUrl from "node:url";
import nodeAssert from "node:assert";
import qs from "hbf:node_querystring";
import { StringDecoder } from "hbf:node_string_decoder";
import url from "hbf:node_url";
import assert from "hbf:node_assert";
import strict from "hbf:node_assert_strict";
import os from "hbf:node_os";
import nodeModuleShim from "hbf:node_module";
import { Buffer as HB } from "hbf:node_buffer";
import { test, same, ok, Cases, outcome } from "../lib.mjs";

const plain = (o) => (o && typeof o === "object" ? { ...o } : o);

test("querystring parse/stringify/escape/unescape", () => {
  const c = new Cases("qs");
  const inputs = ["", "a=1&b=2", "a=1&a=2&a=3", "a", "a=", "=b", "=", "&&a=1&&", "a+b=c+d", "%41=%42", "bad=%E0%A4%A", "x=%zz",
    "k=v=w", "a[b]=1", "é=ü", "a=1;b=2", "%F0%9F%98%80=emoji", "a=%", "a=1&b", "__proto__=1", "toString=2"];
  for (const s of inputs) {
    c.check(`parse(${s})`, plain(qs.parse(s)), plain(nodeQs.parse(s)));
    c.check(`parse(${s}, ';', ':')`, plain(qs.parse(s, ";", ":")), plain(nodeQs.parse(s, ";", ":")));
    c.check(`parse maxKeys`, plain(qs.parse(s, null, null, { maxKeys: 1 })), plain(nodeQs.parse(s, null, null, { maxKeys: 1 })));
    c.check(`unescape(${s})`, qs.unescape(s), nodeQs.unescape(s));
  }
  const objs = [{ a: 1, b: "two", c: [3, 4], d: true, e: null, f: undefined, g: {}, h: 1n, i: NaN }, { "sp ace": "é&=" }, {}, { a: [] }];
  for (const o of objs) {
    c.check(`stringify(${JSON.stringify(o, (k, v) => (typeof v === "bigint" ? `${v}n` : v))})`, qs.stringify(o), nodeQs.stringify(o));
    c.check("stringify sep/eq", qs.stringify(o, ";", ":"), nodeQs.stringify(o, ";", ":"));
  }
  for (const s of ["abc", "a b&c/d?e", "é😀", "!'()*~-._"]) c.check(`escape(${s})`, qs.escape(s), nodeQs.escape(s));
  c.done();
});

test("StringDecoder across chunk boundaries", () => {
  const c = new Cases("string_decoder");
  const text = "aé€😀z\u0000ß";
  for (const enc of ["utf8", "utf16le", "base64", "hex", "latin1", "base64url"]) {
    const bytes = Buffer.from(text, enc === "latin1" ? "utf8" : enc === "utf16le" ? "utf16le" : "utf8");
    for (let split = 0; split <= bytes.length; split++) {
      for (let split2 = split; split2 <= bytes.length; split2 += 3) {
        const parts = [bytes.subarray(0, split), bytes.subarray(split, split2), bytes.subarray(split2)];
        const mine = new StringDecoder(enc);
        const theirs = new NodeDecoder(enc);
        const a = parts.map((p) => mine.write(HB.from(p))).join("") + mine.end();
        const b = parts.map((p) => theirs.write(p)).join("") + theirs.end();
        c.check(`${enc} split ${split}/${split2}`, a, b);
      }
    }
  }
  const bad = Buffer.from([0xe2, 0x82]);
  const m = new StringDecoder("utf8");
  const n = new NodeDecoder("utf8");
  c.check("incomplete at end", m.write(HB.from(bad)) + m.end(), n.write(bad) + n.end());
  c.check("unknown encoding", outcome(() => new StringDecoder("nope")), outcome(() => new NodeDecoder("nope")));
  // iconv-lite (raw-body, body-parser) subclasses it the pre-class way.
  const sub = (D) => {
    function Sub(enc) { D.call(this, enc); }
    Sub.prototype = D.prototype;
    const d = new Sub("utf8");
    return d.write(Buffer.from([0xc3])) + "|" + d.write(Buffer.from([0xa9])) + "|" + d.end() + "|" + (d instanceof D);
  };
  c.check("StringDecoder.call(this) subclass", sub(StringDecoder), sub(NodeDecoder));
  c.done();
});

test("url: fileURLToPath, pathToFileURL, legacy parse/format/resolve", () => {
  const c = new Cases("url");
  c.check("fileURLToPath", url.fileURLToPath("file:///a/b%20c.txt"), nodeUrl.fileURLToPath("file:///a/b%20c.txt"));
  c.check("fileURLToPath bad scheme", outcome(() => url.fileURLToPath("http://x/")).error?.code,
    outcome(() => nodeUrl.fileURLToPath("http://x/")).error?.code);
  c.check("pathToFileURL", url.pathToFileURL("/a b/c#d.txt").href, nodeUrl.pathToFileURL("/a b/c#d.txt").href);
  const urls = ["http://user:pw@Host.COM:8080/p/a/t/h?query=string&a=1#hash", "https://example.com", "/relative/path?x=1",
    "mailto:someone@example.com", "http://example.com/a b", "//host/path", "HTTP://EXAMPLE.COM/Ü?q=é", "file:///etc/hosts",
    "http://[::1]:3000/x"];
  for (const u of urls) {
    const keys = ["protocol", "slashes", "auth", "host", "port", "hostname", "hash", "search", "query", "pathname", "path", "href"];
    const pick = (o) => Object.fromEntries(keys.map((k) => [k, o[k] && typeof o[k] === "object" ? { ...o[k] } : o[k]]));
    c.check(`parse(${u})`, pick(url.parse(u)), pick(nodeUrl.parse(u)));
    c.check(`parse(${u}, true)`, pick(url.parse(u, true)), pick(nodeUrl.parse(u, true)));
    c.check(`format(parse(${u}))`, url.format(url.parse(u)), nodeUrl.format(nodeUrl.parse(u)));
  }
  for (const [from, to] of [["/one/two/three", "four"], ["http://example.com/", "/one"], ["http://example.com/one", "/two"],
    ["http://a/b/c", "../d?x#y"]]) {
    c.check(`resolve(${from}, ${to})`, url.resolve(from, to), nodeUrl.resolve(from, to));
  }
  c.check("format(URL)", url.format(new URL("http://u:p@h/p?q#f"), { auth: false, fragment: false }),
    nodeUrl.format(new URL("http://u:p@h/p?q#f"), { auth: false, fragment: false }));
  c.check("format(object)", url.format({ protocol: "https", hostname: "ex.com", pathname: "/a", query: { b: 1 } }),
    nodeUrl.format({ protocol: "https", hostname: "ex.com", pathname: "/a", query: { b: 1 } }));
  c.check("urlToHttpOptions", url.urlToHttpOptions(new URL("http://a:b@h:81/p?q")), nodeUrl.urlToHttpOptions(new URL("http://a:b@h:81/p?q")));
  c.done();
});

test("assert: passing and failing calls behave like Node's", async () => {
  const c = new Cases("assert");
  const calls = [
    ["ok", [1]], ["ok", [0]], ["ok", [""]], ["equal", [1, "1"]], ["equal", [1, 2]], ["notEqual", [1, 2]], ["strictEqual", [1, "1"]],
    ["strictEqual", [NaN, NaN]], ["notStrictEqual", [1, 1]], ["deepEqual", [{ a: 1 }, { a: "1" }]], ["deepStrictEqual", [{ a: 1 }, { a: "1" }]],
    ["deepStrictEqual", [[1, { b: 2 }], [1, { b: 2 }]]], ["notDeepStrictEqual", [{ a: 1 }, { a: 1 }]], ["match", ["abc", /b/]],
    ["match", ["abc", /x/]], ["doesNotMatch", ["abc", /x/]], ["ifError", [null]], ["ifError", [new Error("e")]],
    ["throws", [() => { throw new TypeError("t"); }, TypeError]], ["throws", [() => { throw new TypeError("t"); }, /t/]],
    ["throws", [() => { throw new TypeError("t"); }, { name: "TypeError", message: "t" }]], ["throws", [() => {}]],
    ["throws", [() => { throw new Error("x"); }, RangeError]], ["doesNotThrow", [() => {}]], ["doesNotThrow", [() => { throw new Error("d"); }]],
    ["fail", ["boom"]], ["deepEqual", [new Set([1]), new Set([1])]], ["notDeepEqual", [[1], [2]]],
  ];
  for (const [name, args] of calls) {
    const mine = outcome(() => assert[name](...args), { message: false });
    const theirs = outcome(() => nodeAssert[name](...args), { message: false });
    if (mine.error) mine.error.name = mine.error.name === "AssertionError" ? "AssertionError" : mine.error.name;
    c.check(`assert.${name}`, mine, theirs);
  }
  c.check("strict.equal", outcome(() => strict.equal(1, "1"), { message: false }), outcome(() => nodeAssert.strict.equal(1, "1"), { message: false }));
  c.check("assert()", outcome(() => assert(false), { message: false }), outcome(() => nodeAssert(false), { message: false }));
  c.check("AssertionError fields", (() => {
    try {
      assert.strictEqual(1, 2);
    } catch (e) {
      return [e.code, e.actual, e.expected, e.operator, e instanceof assert.AssertionError];
    }
  })(), (() => {
    try {
      nodeAssert.strictEqual(1, 2);
    } catch (e) {
      return [e.code, e.actual, e.expected, e.operator, e instanceof nodeAssert.AssertionError];
    }
  })());
  const r1 = await assert.rejects(Promise.reject(new Error("r")), /r/).then(() => "ok", (e) => e.code);
  const r2 = await assert.rejects(Promise.resolve(1)).then(() => "ok", (e) => e.code);
  c.check("rejects", [r1, r2], ["ok", "ERR_ASSERTION"]);
  c.done();
});

test("os and module shims", () => {
  same([os.EOL, os.platform(), os.arch(), os.type(), os.homedir(), os.tmpdir(), os.endianness()], ["\n", "linux", "x64", "Linux", "/", "/tmp", "LE"]);
  ok(Array.isArray(os.cpus()) && typeof os.constants.signals.SIGTERM === "number", "cpus/constants");
  ok(typeof nodeModuleShim.createRequire === "function" && nodeModuleShim.builtinModules.includes("fs"), "module shim");
});
