// hbf:web_url_parse's fast path (the URLs most requests parse, without the
// state machine) must give exactly the state machine's record: every input
// here, made of pieces that take the fast path and pieces that must not,
// parsed both ways, and where the fast path takes it the two records
// compared whole.
import { test, assert } from "../harness.mjs";
import { fastParse, machineParse } from "hbf:web_url_parse";
import { FAILURE } from "hbf:web_url_host";

// [the fast path's record or null, the state machine's record or FAILURE]
// for `input` against `base` (a URL string, parsed by the machine, or
// undefined).
function bothWays(input, base) {
  let baseRecord = null;
  if (base !== undefined) {
    baseRecord = machineParse(base, null);
    assert.ok(baseRecord !== FAILURE, base);
  }
  return [fastParse(input, baseRecord), machineParse(input, baseRecord)];
}

test("the fast path gives the state machine's URL for each input", () => {
  let seed = 424242;
  const rand = (n) => {
    // (xorshift32: an LCG's low bits made the picks below move together)
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  const pick = (list) => list[rand(list.length)];
  // Each piece from those the fast path takes, or one time in five from
  // those it must leave to the machine: both paths well covered.
  const either = (plain, odd) => (rand(5) === 0 ? pick(odd) : pick(plain));
  const scheme = () => either(["http", "https", "ws", "wss", "HTTP", "Https"], ["ftp", "file", "foo", "h"]);
  const host = () => either(["h.test", "H.TEST", "a-b.example.com", "localhost", "x", "-h-.test", "h.a1", "0h.test"],
    ["1.2.3.4", "127.0.0.1", "h.0x1f", "h.08", "xn--nxasmq6b.test", "XN--NXASMQ6B.test", "xn--a.test", "xn--.test",
      "h.xn--zz-", "h..test", "h.test.", "h_t.test", "[::1]", "h%41.test", "h t", "u:p@h.test", "@h.test"]);
  const port = () => either(["", "", ":8080", ":9000", ":65535", ":1"], [":80", ":443", ":0080", ":65536", ":", ":x"]);
  const segment = () => either(["a", "B", "", ".a", "a.", "%41", "%zz", "~!$&'()*+,;=:@", "%", "a'b"],
    [".", "..", "%2e", "%2E%2e", ".%2e", "é", " ", "\"", "<", "`", "{", "^", "|", "\\", "a\tb"]);
  const query = () => either(["", "?", "?a=1", "?a=1&b=%20", "?a=b?c", "?x=/y"], ["?q=it's", "?x=\"", "?é", "?a b", "?a#b"]);
  const fragment = () => either(["", "#", "#f", "#a?b", "#a'b"], ["#`", "#a#b", "# x", "#é"]);
  const path = () => {
    let p = "";
    const n = rand(4);
    for (let i = 0; i < n; i++) p += "/" + segment();
    return p;
  };
  const bases = [undefined, "http://b.test", "https://B.test:8443/x/y?z#w", "ws://w.test/", "file:///tmp/x", "foo:bar", "http://1.2.3.4/"];
  let taken = 0;
  for (let i = 0; i < 4000; i++) {
    let input;
    if (rand(2) === 0) {
      input = scheme() + "://" + host() + port() + path() + query() + fragment();
    } else {
      input = (rand(8) === 0 ? "//" + host() : "") + (path() || "/") + query() + fragment();
    }
    if (rand(10) === 0) input = " " + input;
    const base = pick(bases);
    const [fast, slow] = bothWays(input, base);
    if (fast !== null) {
      assert.deepEqual(fast, slow, `${JSON.stringify(input)} against ${base}`);
      taken++;
    }
  }
  // (both paths well covered: a good share of the inputs is made to take it)
  assert.ok(taken > 400 && taken < 3600, `${taken} of 4,000 took the fast path`);
  // The common ones, written out: each takes the fast path and must agree.
  for (const [input, base] of [["http://h.test", undefined], ["/hello?q=1", "http://h.test"], ["https://h.test:8443/a/b/?x=1#y", undefined],
    ["/x?y=1", "https://u:p@h.test:8443/a/"], ["/x", "wss://h.test:9000"], ["/a'b", "http://h.test"], ["/", "http://h.test/a/b"],
    ["/a//b/", "https://h.test"], ["WSS://H.test/s", undefined]]) {
    const [fast, slow] = bothWays(input, base);
    assert.ok(fast !== null, `${input} takes the fast path`);
    assert.deepEqual(fast, slow, input);
  }
  // And what must leave it: a special query's quote, a fragment's backquote,
  // a default port, a dot segment, a numeric or punycode host.
  for (const [input, base] of [["http://h.test/?q=it's", undefined], ["/?q=it's", "http://h.test"], ["http://h.test/#`", undefined],
    ["http://h.test:80/", undefined], ["/a/../b", "http://h.test"], ["http://h.08/", undefined], ["http://xn--a.test/", undefined]]) {
    assert.equal(bothWays(input, base)[0], null, `${input} leaves the fast path`);
  }
});
