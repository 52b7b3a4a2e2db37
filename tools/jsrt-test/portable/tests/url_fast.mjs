// hbf:web_url_parse's fast path (the URLs most requests parse, without the
// state machine) must give exactly the state machine's record: every input
// here, made of pieces that take the fast path and pieces that must not,
// parsed both ways and compared component by component.
import { test, assert } from "../harness.mjs";
import { URL } from "hbf:web_url";
import { setFastParsing } from "hbf:web_url_parse";

const FIELDS = ["href", "protocol", "username", "password", "host", "hostname", "port", "pathname", "search", "hash", "origin"];

function parsed(input, base) {
  try {
    const u = base === undefined ? new URL(input) : new URL(input, base);
    const out = {};
    for (const f of FIELDS) out[f] = u[f];
    out.params = [...u.searchParams];
    return out;
  } catch (e) {
    return { error: e.constructor.name };
  }
}

function bothWays(input, base) {
  setFastParsing(false);
  let slow;
  try {
    slow = parsed(input, base);
  } finally {
    setFastParsing(true);
  }
  return [parsed(input, base), slow];
}

test("the fast path gives the state machine's URL for each input", () => {
  let seed = 424242;
  const rand = (n) => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  const pick = (list) => list[rand(list.length)];
  const schemes = ["http", "https", "ws", "wss", "HTTP", "Https", "ftp", "file", "foo", "h"];
  const hosts = ["h.test", "H.TEST", "a-b.example.com", "localhost", "x", "1.2.3.4", "127.0.0.1", "h.0x1f", "h.08",
    "xn--nxasmq6b.test", "XN--NXASMQ6B.test", "xn--a.test", "xn--.test", "h.xn--zz-", "h..test", "h.test.", "-h-.test", "h_t.test", "[::1]", "h%41.test", "h t"];
  const ports = ["", "", "", ":80", ":443", ":8080", ":0080", ":65535", ":65536", ":", ":x"];
  // (pieces the fast path takes, and pieces it must leave to the machine:
  // each input mostly of the first, so that both paths are well covered)
  const segments = ["a", "B", "", ".a", "a.", "%41", "%zz", "~!$&'()*+,;=:@", "%"];
  const oddSegments = [".", "..", "%2e", "%2E%2e", "é", " ", "\"", "<", "`", "{", "^", "|", "\\", "a\tb"];
  const queries = ["", "?", "?a=1", "?a=1&b=%20", "?a=b?c", "?q=it's", "?x=\"", "?é", "?a b", "?a#b"];
  const fragments = ["", "#", "#f", "#a?b", "#`", "#a#b", "# x"];
  const path = () => {
    let p = "";
    const n = rand(4);
    for (let i = 0; i < n; i++) p += "/" + (rand(6) === 0 ? pick(oddSegments) : pick(segments));
    return p;
  };
  const bases = [undefined, "http://b.test", "https://B.test:8443/x/y?z#w", "ws://w.test/", "file:///tmp/x", "foo:bar", "http://1.2.3.4/"];
  let compared = 0;
  for (let i = 0; i < 4000; i++) {
    let input;
    if (rand(2) === 0) {
      input = pick(schemes) + "://" + pick(hosts) + pick(ports) + path() + pick(queries) + pick(fragments);
    } else {
      input = (rand(8) === 0 ? "//" + pick(hosts) : "") + (path() || "/") + pick(queries) + pick(fragments);
    }
    if (rand(10) === 0) input = " " + input;
    const base = pick(bases);
    const [fast, slow] = bothWays(input, base);
    assert.deepEqual(fast, slow, `${JSON.stringify(input)} against ${base}`);
    compared++;
  }
  assert.ok(compared === 4000);
  // The common ones, written out: each takes the fast path and must agree.
  for (const [input, base] of [["http://h.test", undefined], ["/hello?q=1", "http://h.test"], ["https://h.test:8443/a/b/?x=1#y", undefined],
    ["/x?y=1", "https://u:p@h.test:8443/a/"], ["/x", "wss://h.test:9000"],
    // (and what must leave it: a special query's quote, a fragment's backquote)
    ["http://h.test/?q=it's", undefined], ["/?q=it's", "http://h.test"], ["http://h.test/#`", undefined], ["/a'b", "http://h.test"],
    ["/", "http://h.test/a/b"], ["/a//b/", "https://h.test"], ["WSS://H.test/s", undefined]]) {
    const [fast, slow] = bothWays(input, base);
    assert.deepEqual(fast, slow, input);
  }
});
