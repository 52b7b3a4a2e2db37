// hbf:bootstrap's URL / URLSearchParams compared with Node's (WHATWG, ada).
import { test, assert } from "../portable/harness.mjs";
import { URL as HURL, URLSearchParams as HParams } from "hbf:web_url";

// Where Node 20's URL (ada 2.9.2) departs from the WHATWG URL Standard, we follow
// the standard: these are checked against the standard's answer instead.
const SPEC_OVER_NODE = new Map([
  // A lone ".." after the host of a non-special URL leaves the path "/" (ada drops it).
  ["sc://h/..", "sc://h/"],
  // A base with an opaque path cannot resolve relative references (ada accepts
  // inputs that contain a '#' after other text).
  ["x?y#z @ about:blank", "throws TypeError"], ["x?y#z @ mailto:x@y", "throws TypeError"],
  // Setting the host of a non-special URL to ":80" fails (empty host before ':').
  ["sc://h/p .host=\":80\"", "sc://h/p"],
]);

const PROPS = ["href", "origin", "protocol", "username", "password", "host", "hostname", "port", "pathname", "search", "hash"];

function parseBoth(input, base) {
  let a;
  let b;
  try {
    const u = base === undefined ? new HURL(input) : new HURL(input, base);
    a = Object.fromEntries(PROPS.map((p) => [p, u[p]]));
  } catch (e) {
    a = `throws ${e.constructor.name}`;
  }
  try {
    const u = base === undefined ? new URL(input) : new URL(input, base);
    b = Object.fromEntries(PROPS.map((p) => [p, u[p]]));
  } catch (e) {
    b = `throws ${e.constructor.name}`;
  }
  return [a, b];
}

// Deterministic PRNG for the fuzz cases.
function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
}

const ABSOLUTE = [
  "http://example.com", "http://example.com/", "HTTP://EXAMPLE.COM/A/B", "https://a.b.c:8443/p?q=1#f", "http://user:pass@host:8080/p",
  "http://user@host/", "http://:pass@host/", "http://@host/", "http://a:b@c:d@host/", "http://us er:pa ss@host/", "http://h/%7e/%7E/~",
  "http://h/a b/c\"d<e>f`g{h}i|j^k", "http://h/?a b\"c<d>e`f'g#h i\"j<k>l`m", "foo://h/?a'b", "http://h/\u00e9\u4e2d\ud83d\ude00?\u00e9#\u00e9",
  "http://h/a/./b/../../c", "http://h/a/%2e/b/%2E%2e/c", "http://h/a/.%2e", "http://h/..", "http://h/./", "http://h/a/..//b",
  "http:\\\\h\\a\\b", "http:/h/a", "http:h/a", "http:///h/a", "https:////h//a", "ws://h:80/", "wss://h:443/", "ftp://h:21/x",
  "ws://h:443/", "http://h:0080/", "http://h:65535/", "http://h:65536/", "http://h:/", "http://h:8a/", "http://[::1]/", "http://[::]/",
  "http://[1:2:3:4:5:6:7:8]/", "http://[1:0:0:0:0:0:0:8]/", "http://[1:0:0:4:0:0:0:8]/", "http://[0:0:1:0:0:1:0:0]/",
  "http://[::ffff:192.168.0.1]/", "http://[::ffff:192.168.0.1.1]/", "http://[1::2::3]/", "http://[1:2:3:4:5:6:7:8:9]/", "http://[::1/",
  "http://[fe80::1%25eth0]/", "http://[ABCD::EF01]/", "http://[0:0:0:0:0:0:0:0]/", "http://192.168.0.1/", "http://0xC0.0250.0.1/",
  "http://3232235521/", "http://0x/", "http://1.2.3/", "http://1.2/", "http://4294967295/", "http://4294967296/", "http://1.2.3.256/",
  "http://1.2.3.4./", "http://1.2.3.4../", "http://0..0x300/", "http://09/", "http://0x1g/", "http://1.2.3.09/", "http://a.1/", "http://1.a/",
  "http://EXAMPLE.com./", "http://ex%41mple.com/", "http://ex%2Fmple.com/", "http://ex%zzmple.com/", "http://exa mple.com/",
  "http://exa<mple.com/", "http://exa^mple.com/", "http://exa|mple.com/", "http://%00/", "http://a\u0000b/", "http://\u00ad/",
  "http://bücher.de/", "http://BÜCHER.DE/", "http://xn--bcher-kva.de/", "http://XN--BCHER-KVA.de/", "http://xn--a.com/",
  "http://ｅｘａｍｐｌｅ.com/", "http://example\u3002com/", "http://faß.de/", "http://日本語.jp/", "http://☃.net/", "http://%E2%98%83.net/",
  "http://a..b/", "http://.a/", "http://a./", "http://./", "http://../", "http:///", "http://", "https://?x", "http://#x",
  "file:///", "file:///etc/passwd", "file://host/share/f", "file://localhost/x", "file://LOCALHOST/x", "file:///C:/a/../../b",
  "file:///C|/a", "file:C:/a", "file:/C:/a", "file://C:/a", "file:\\\\host\\x", "file:///a/b/../../../c", "file:.", "file:..",
  "file://[::1]/x", "file://h:80/x", "file://user@h/x", "file:?q", "file:#f",
  "mailto:a@b.c", "mailto:a b", "data:text/plain,hello world", "data:,a b ", "javascript:alert(1)", "urn:isbn:0451450523",
  "about:blank", "blob:https://example.com/uuid", "blob:null/x", "blob:file:///x", "sc://h/p?q#f", "sc://h:1/", "sc://h:99999/",
  "sc://@/", "sc://:/", "sc://h/..", "sc:/a/../b", "sc:a/../b", "sc://h%20x/", "sc://h x/", "sc://[::1]/", "sc://ü/", "sc://%/",
  "sc://a<b/", "sc:", "sc:/", "sc://", "sc:// /", "SC://H/P", "a+b-c.d://h/", "1a://h/", "\t http://h/ \n", " http://h/a\tb\nc\r/ ",
  "http://h/\u0000\u001f\u007f", "http://h/?\u0000\u007f#\u0000\u007f", "http://h/#a#b", "http://h/?a?b", "http://h/%", "http://h/%zz%41",
  "http://h/\ud800", "http://h/?\udc00", "non-spec:/.//p", "non-spec:/..//p", "web+demo:/.//not-a-host/", "http://h/a;b,c=d&e$f!g*h(i)j",
  "https://h/@", "http://[::127.0.0.1]/", "http://[0::0:0:1]/", "http://[::1:2:3:4:5:6:7]/", "http://h/\\a\\..\\b", "foo://h/\\a",
];

const BASES = ["http://example.org/foo/bar?q=1#f", "file:///C:/dir/file", "sc://h/a/b", "about:blank", "mailto:x@y", "https://u:p@h:8443/a/"];
const RELATIVE = [
  "", ".", "..", "./x", "../x", "../../../../x", "/x", "//x", "//x/y", "///x", "\\x", "\\\\x\\y", "?q", "#f", "x?y#z", "?", "#",
  "C:/x", "C|/x", "/C:/x", "//C:/x", "..\\..\\x", "%2e%2E/x", "a b", "http:x", "http:/x", "https:x", "file:x", "sc:x", "  /x  ",
  "\t#\nf", "x/./y/../z", ";x", "@x", "h:80", "http://other/", "mailto:z",
];

function checkAgainstNode(input, base) {
  const [a, b] = parseBoth(input, base);
  const key = base === undefined ? input : `${input} @ ${base}`;
  if (SPEC_OVER_NODE.has(key)) {
    assert.equal(typeof a === "string" ? a : a.href, SPEC_OVER_NODE.get(key), `${JSON.stringify(key)} (standard)`);
    assert.notEqual(JSON.stringify(a), JSON.stringify(b), `${JSON.stringify(key)} no longer differs from Node: drop it from SPEC_OVER_NODE`);
    return;
  }
  assert.deepEqual(a, b, JSON.stringify(key));
}

test("URL constructor matches Node for a curated set of absolute URLs", () => {
  let n = 0;
  for (const input of ABSOLUTE) {
    checkAgainstNode(input);
    n++;
  }
  assert.ok(n > 150);
});

test("URL constructor with base matches Node", () => {
  for (const base of BASES) {
    for (const input of RELATIVE) checkAgainstNode(input, base);
  }
  const [a, b] = parseBoth("x", "not a url");
  assert.deepEqual(a, b);
});

test("URL fuzz: random inputs parse identically to Node", () => {
  const rand = rng(0xc0ffee);
  const pick = (arr) => arr[Math.floor(rand() * arr.length)];
  const schemes = ["http://", "https://", "file://", "file:", "ws://", "sc://", "sc:", "http:", "mailto:", "", "ftp://", "HTTPS:\\\\"];
  const atoms = ["a", "B", "0", "1", "9", "x", ".", "..", "/", "\\", "%", "%2e", "%41", "%zz", ":", "@", "?", "#", "[", "]", "::", " ",
    "\t", "é", "€", "😀", "=", "&", "+", "'", '"', "<", "^", "|", "~", "xn--", "0x", "255", "256", "localhost", "[::1]", "C:", "|", "\u00ad"];
  let mismatches = 0;
  const failures = [];
  for (let i = 0; i < 4000; i++) {
    let s = pick(schemes);
    const len = 1 + Math.floor(rand() * 12);
    for (let j = 0; j < len; j++) s += pick(atoms);
    const withBase = rand() < 0.3;
    // (bases with opaque paths are left out: see SPEC_OVER_NODE)
    const [a, b] = withBase ? parseBoth(s, pick(BASES.filter((x) => !/^(about|mailto):/.test(x)))) : parseBoth(s);
    if (JSON.stringify(a) !== JSON.stringify(b)) {
      mismatches++;
      if (failures.length < 5) failures.push(`${JSON.stringify(s)}: ours ${JSON.stringify(a)} node ${JSON.stringify(b)}`);
    }
  }
  assert.equal(mismatches, 0, failures.join("\n"));
});

test("URL setters match Node", () => {
  const urls = ["http://u:p@example.com:8080/a/b?q=1#f", "https://h/", "file:///C:/x", "file://host/x", "sc://h/p", "sc:opaque?q#f",
    "mailto:a@b", "http://[::1]/", "data:a b ?x"];
  const values = {
    protocol: ["https", "http:", "ftp", "file", "sc", "FOO", "ws:x", "1bad", "", "mailto"],
    username: ["", "me", "m e", "a:b@c", "é", "%41"],
    password: ["", "secret", "p w", ":@/", "é"],
    host: ["other.org", "other.org:99", "h:", ":80", "", "[::2]:3", "bad host", "ü.de", "h/x", "h?x", "h#x", "h:99999", "1.2.3.4.5"],
    hostname: ["x.y", "x.y:80", "", "[::3]", "bad^host", "ÉX.com", "h/p"],
    port: ["", "80", "443", "8080", "99999", "12ab", "ab", "-1", "0", " 81", "65535"],
    pathname: ["", "/", "x", "/a b", "/../x", "a\\b", "/%2e%2e/x", "?#", "/é", "//x"],
    search: ["", "?", "a=1", "?a b=c#d", "é=1", "?'"],
    hash: ["", "#", "x", "#a b", "#é#", "\u0000"],
  };
  for (const url of urls) {
    for (const [prop, list] of Object.entries(values)) {
      for (const v of list) {
        const ours = new HURL(url);
        const theirs = new URL(url);
        let e1 = null;
        let e2 = null;
        try { ours[prop] = v; } catch (e) { e1 = e.constructor.name; }
        try { theirs[prop] = v; } catch (e) { e2 = e.constructor.name; }
        const key = `${url} .${prop}=${JSON.stringify(v)}`;
        assert.equal(e1, e2, `${key} (error)`);
        if (SPEC_OVER_NODE.has(key)) {
          assert.equal(ours.href, SPEC_OVER_NODE.get(key), `${key} (standard)`);
          assert.notEqual(ours.href, theirs.href, `${key} no longer differs from Node`);
        } else {
          assert.equal(ours.href, theirs.href, key);
        }
      }
    }
  }
});

test("URL href setter and searchParams link match Node", () => {
  const ours = new HURL("http://h/?a=1");
  const theirs = new URL("http://h/?a=1");
  for (const [op, ...args] of [["append", "b", "2 3"], ["set", "a", "é"], ["delete", "b"], ["append", "c", ""], ["sort"], ["delete", "a"], ["delete", "c"]]) {
    ours.searchParams[op](...args);
    theirs.searchParams[op](...args);
    assert.equal(ours.href, theirs.href, op);
  }
  const o2 = new HURL("sc:opaque   ?q");
  const t2 = new URL("sc:opaque   ?q");
  o2.searchParams.delete("q");
  t2.searchParams.delete("q");
  assert.equal(o2.href, t2.href);
  for (const v of ["http://x/?k=v", "https://y:1/p"]) {
    ours.href = v;
    theirs.href = v;
    assert.equal(ours.href, theirs.href);
    assert.deepEqual([...ours.searchParams], [...theirs.searchParams]);
  }
});

test("URLSearchParams parse/serialize match Node (curated + fuzz)", () => {
  const inputs = ["", "?", "a", "a=", "=b", "a=b=c", "&&a&&", "a+b=c+d", "%zz=%4", "%E2%82%AC=%e2%82%ac", "%ff=%c3", "a=%2B+%20",
    "?x=1&x=2", "é=ü&€", "a=b;c=d", "%00=%01", "\ud800=x"];
  const rand = rng(42);
  const atoms = ["a", "b", "=", "&", "+", "%", "%2", "%20", "%C3%A9", "%FF", "é", " ", "?", "#", "~", "*", "!", "'", "(", ")", "😀", "\u0000"];
  for (let i = 0; i < 1500; i++) {
    let s = "";
    const len = Math.floor(rand() * 10);
    for (let j = 0; j < len; j++) s += atoms[Math.floor(rand() * atoms.length)];
    inputs.push(s);
  }
  for (const s of inputs) {
    const a = new HParams(s);
    const expected = referenceParse(s);
    assert.deepEqual([...a], expected, JSON.stringify(s));
    assert.equal(a.toString(), new URLSearchParams(expected).toString(), JSON.stringify(s));
    assert.equal(a.size, expected.length);
    // Node 20's own parser mangles inputs mixing non-ASCII text with invalid
    // escapes (e.g. "é%FF"); elsewhere it must agree too.
    if (!/[^\x00-\x7f]/.test(s) || !s.includes("%")) assert.deepEqual([...a], [...new URLSearchParams(s)], "node: " + JSON.stringify(s));
  }
});

// The WHATWG application/x-www-form-urlencoded parser, written with Buffer.
function referenceParse(input) {
  let s = input.toWellFormed();
  if (s[0] === "?") s = s.slice(1);
  const decode = (x) => {
    const bytes = Buffer.from(x.replaceAll("+", " "), "utf8");
    const out = [];
    for (let i = 0; i < bytes.length; i++) {
      const hex = /^[0-9A-Fa-f]{2}$/;
      if (bytes[i] === 0x25 && i + 2 < bytes.length && hex.test(String.fromCharCode(bytes[i + 1], bytes[i + 2]))) {
        out.push(parseInt(String.fromCharCode(bytes[i + 1], bytes[i + 2]), 16));
        i += 2;
      } else {
        out.push(bytes[i]);
      }
    }
    return new TextDecoder("utf-8", { ignoreBOM: true }).decode(new Uint8Array(out));
  };
  const pairs = [];
  for (const seq of s.split("&")) {
    if (seq === "") continue;
    const eq = seq.indexOf("=");
    pairs.push(eq === -1 ? [decode(seq), ""] : [decode(seq.slice(0, eq)), decode(seq.slice(eq + 1))]);
  }
  return pairs;
}

test("URLSearchParams methods match Node", () => {
  const init = [["b", "2"], ["a", "1"], ["b", "3"], ["é", "x y"], ["A", "0"], ["a", "4"]];
  const a = new HParams(init);
  const b = new URLSearchParams(init);
  const ops = [["get", "b"], ["getAll", "b"], ["has", "a"], ["has", "a", "4"], ["has", "a", "9"], ["set", "b", "9"], ["append", "z", "&="],
    ["delete", "a", "1"], ["sort"], ["delete", "nope"], ["get", "nope"], ["toString"]];
  for (const [op, ...args] of ops) {
    const r1 = a[op](...args);
    const r2 = b[op](...args);
    assert.deepEqual(r1, r2, op);
    assert.equal(a.toString(), b.toString(), op);
  }
  assert.deepEqual([...a.entries()], [...b.entries()]);
  const rec = { x: "1", y: 2 };
  assert.equal(new HParams(rec).toString(), new URLSearchParams(rec).toString());
  assert.throws(() => new URLSearchParams({ [Symbol("s")]: 3 }), TypeError);
  assert.throws(() => new HParams({ [Symbol("s")]: 3 }), TypeError);
  assert.equal(new HParams(new HParams("q=1")).toString(), "q=1");
  assert.equal(new HParams(new Map([["m", "1"]])).toString(), new URLSearchParams(new Map([["m", "1"]])).toString());
});
