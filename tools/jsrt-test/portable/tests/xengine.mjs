// Cross-engine check: a deterministic workload over the hbf:* modules. Under
// Node the outputs are recorded (and the Node-only tests hold Node's run to
// Node's own URL/TextDecoder/util and to Express); run.mjs hands them to the
// QuickJS run, which must produce exactly the same outputs.
import { test, assert } from "../harness.mjs";
import { TextDecoder, TextEncoder } from "hbf:web_codec";
import { URL, URLSearchParams } from "hbf:web_url";
import { inspect, format } from "hbf:web_console";
import { Router } from "hbf:router";
import * as util from "hbf:util";
import { call } from "../helpers.mjs";

function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
}

const URL_PROPS = ["href", "origin", "protocol", "username", "password", "host", "hostname", "port", "pathname", "search", "hash"];

function urlWorkload(out) {
  const rand = rng(2024);
  const pick = (a) => a[Math.floor(rand() * a.length)];
  const schemes = ["http://", "https://", "file://", "file:", "ws://", "sc://", "sc:", "http:", "mailto:", "", "ftp://", "HTTPS:\\\\", "blob:http://"];
  const atoms = ["a", "B", "0", "1", "9", ".", "..", "/", "\\", "%", "%2e", "%41", "%zz", "%ff", ":", "@", "?", "#", "[", "]", "::", " ",
    "\t", "é", "€", "😀", "=", "&", "+", "'", '"', "<", "^", "|", "~", "xn--", "xn--bcher-kva", "0x", "255", "256", "localhost",
    "[::1]", "C:", "\u00ad", "ß", "İ", "ｅ", "．", "\u3002", "1.2.3.4", "Σ", "ς"];
  const bases = [undefined, "http://example.org/foo/bar?q=1#f", "file:///C:/dir/file", "sc://h/a/b", "https://u:p@h:8443/a/"];
  for (let i = 0; i < 3000; i++) {
    let s = pick(schemes);
    const n = 1 + Math.floor(rand() * 12);
    for (let j = 0; j < n; j++) s += pick(atoms);
    const base = pick(bases);
    try {
      const u = base === undefined ? new URL(s) : new URL(s, base);
      out.push(URL_PROPS.map((p) => u[p]).join("\u0001"));
      const prop = pick(["protocol", "username", "password", "host", "hostname", "port", "pathname", "search", "hash"]);
      const v = pick(atoms) + pick(atoms);
      try {
        u[prop] = v;
        out.push(u.href);
      } catch (e) {
        out.push(`set ${prop} threw ${e.name}`);
      }
      out.push([...u.searchParams].join(";"));
    } catch (e) {
      out.push(`threw ${e.name}`);
    }
  }
}

function paramsWorkload(out) {
  const rand = rng(7);
  const atoms = ["a", "b", "=", "&", "+", "%", "%2", "%20", "%C3%A9", "%FF", "é", " ", "?", "~", "*", "😀", "\u0000"];
  for (let i = 0; i < 1000; i++) {
    let s = "";
    const n = Math.floor(rand() * 10);
    for (let j = 0; j < n; j++) s += atoms[Math.floor(rand() * atoms.length)];
    const p = new URLSearchParams(s);
    p.append(s, s);
    p.sort();
    out.push(p.toString());
  }
}

function codecWorkload(out) {
  const rand = rng(99);
  const interesting = [0x00, 0x41, 0x7f, 0x80, 0xbf, 0xc0, 0xc2, 0xc3, 0xa9, 0xe0, 0xe2, 0x82, 0xac, 0xed, 0xa0, 0xef, 0xbb, 0xbf, 0xf0, 0x9f, 0x98, 0xf4, 0x90, 0xff];
  const enc = new TextEncoder();
  for (let i = 0; i < 1000; i++) {
    const bytes = new Uint8Array(Math.floor(rand() * 10));
    for (let j = 0; j < bytes.length; j++) bytes[j] = interesting[Math.floor(rand() * interesting.length)];
    let fatal;
    try {
      fatal = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch (e) {
      fatal = `threw ${e.name}`;
    }
    const s = new TextDecoder().decode(bytes);
    out.push(JSON.stringify([s, fatal, Array.from(enc.encode(s)), util.base64Encode(bytes), util.base64urlEncode(bytes), util.hexEncode(bytes), util.sha256(bytes)]));
  }
  out.push(util.hmacSha256("k", "m"), util.sha256("x".repeat(1000)), JSON.stringify(Array.from(util.base64Decode("AAECAwQ="))));
}

function formatWorkload(out) {
  class P { constructor() { this.x = 1; } }
  const cyc = { a: [1, 2, { b: "s" }] };
  cyc.self = cyc;
  const values = [1, -0, 1.5e300, NaN, 10n, "s'q", "d\"q", "a\nb", true, null, undefined, Symbol("s"), [], [1, , 3], {}, { "a-b": 1 },
    new Map([["k", { v: 1 }]]), new Set([1, "2"]), new Date(0), /x+/g, function f() {}, class K {}, new P(), Object.create(null),
    new Uint8Array([1, 2]), cyc, { deep: { er: { est: { x: 1 } } } }, [[[[1]]]], new Number(3)];
  for (const v of values) out.push(inspect(v));
  out.push(format("%s|%d|%i|%f|%j|%o|%O|%%|%c", "a", "42", 4.7, "1.5", { j: 1 }, [1], { o: 1 }, "css"), format(1, "two", { three: 3 }));
}

async function routerWorkload(out) {
  const r = new Router();
  r.get("/u/:id(\\d+)", (req, res) => res.json({ n: req.params.id }));
  r.get("/u/:name/:opt?", (req, res) => res.json(req.params));
  r.get("/f/*", (req, res) => res.send(req.params[0]));
  r.get(/^\/re\/(\w+)$/i, (req, res) => res.json(req.params));
  const sub = new Router({ mergeParams: true });
  sub.get("/:leaf", (req, res) => res.json({ p: req.params, b: req.baseUrl, u: req.url }));
  r.use("/m/:mid", sub);
  r.post("/body", (req, res) => res.json({ body: req.body ?? null }));
  r.get("/c", (req, res) => { res.cookie("a", "x y", { httpOnly: true, sameSite: "lax", expires: new Date(0) }); res.redirect(301, "/d é"); });
  r.use((err, req, res, next) => res.status(err.status || 500).json({ e: err.message }));
  const reqs = [["GET", "/u/1"], ["GET", "/U/bob"], ["GET", "/u/bob/x/"], ["GET", "/f/a%20b/c"], ["GET", "/re/AbC"], ["GET", "/m/3/leaf?x=1"],
    ["GET", "/u/%zz"], ["GET", "/nothing"], ["OPTIONS", "/u/1"], ["HEAD", "/u/1"], ["GET", "/c"],
    ["POST", "/body", [["content-type", "application/json"]], '{"a":[1,"é"]}'], ["POST", "/body", [["content-type", "application/json"]], "{"],
    ["POST", "/body", [["content-type", "application/x-www-form-urlencoded"]], "a=1&a=2&b=%C3%A9+x"]];
  for (const [method, url, headers = [], body] of reqs) {
    const res = await call(r, { method, url, headers, body });
    out.push(JSON.stringify(res, (k, v) => (v instanceof Uint8Array ? Array.from(v) : k === "stack" ? undefined : v)));
  }
}

test("deterministic workload gives identical results in Node and QuickJS", async () => {
  const out = [];
  urlWorkload(out);
  paramsWorkload(out);
  codecWorkload(out);
  formatWorkload(out);
  await routerWorkload(out);
  assert.ok(out.length > 8000);
  const expected = globalThis.__hbfXengineExpected;
  if (expected === undefined) {
    globalThis.__hbfXengineRecorded = out; // Node: run.mjs passes this to the QuickJS run
    return;
  }
  assert.equal(out.length, expected.length, "number of outputs");
  const diffs = [];
  for (let i = 0; i < out.length; i++) if (out[i] !== expected[i]) diffs.push(`#${i}: quickjs ${JSON.stringify(out[i])} node ${JSON.stringify(expected[i])}`);
  assert.equal(diffs.length, 0, "\n" + diffs.slice(0, 10).join("\n"));
});
