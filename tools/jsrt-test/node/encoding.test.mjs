// TextEncoder / TextDecoder from hbf:web_codec compared with Node's.
import { test, assert } from "../portable/harness.mjs";
import { TextEncoder as HEncoder, TextDecoder as HDecoder } from "hbf:web_codec";

function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
}

const UNITS = [0x41, 0x7f, 0x80, 0xe9, 0x7ff, 0x800, 0x20ac, 0xfeff, 0xfffd, 0xffff, 0xd800, 0xdbff, 0xdc00, 0xdfff, 0x0, 0x0a];

test("encode() and encodeInto() match Node on random strings (incl. lone surrogates)", () => {
  const rand = rng(7);
  const ours = new HEncoder();
  const node = new TextEncoder();
  for (let i = 0; i < 2000; i++) {
    let s = "";
    const len = Math.floor(rand() * 12);
    for (let j = 0; j < len; j++) {
      s += rand() < 0.2 ? "😀" : String.fromCharCode(UNITS[Math.floor(rand() * UNITS.length)]);
    }
    assert.deepEqual(ours.encode(s), new Uint8Array(node.encode(s)), JSON.stringify(s));
    const cap = Math.floor(rand() * 12);
    const d1 = new Uint8Array(cap);
    const d2 = new Uint8Array(cap);
    assert.deepEqual(ours.encodeInto(s, d1), node.encodeInto(s, d2), `encodeInto ${JSON.stringify(s)} cap ${cap}`);
    assert.deepEqual(d1, d2);
  }
});

test("decode() matches Node on random bytes: fatal, non-fatal, ignoreBOM, streaming", () => {
  const rand = rng(99);
  const interesting = [0x00, 0x41, 0x7f, 0x80, 0xbf, 0xc0, 0xc1, 0xc2, 0xc3, 0xa9, 0xdf, 0xe0, 0xe2, 0x82, 0xac, 0xed, 0xa0, 0x9f,
    0xef, 0xbb, 0xbf, 0xf0, 0x9f, 0x98, 0x80, 0xf4, 0x8f, 0x90, 0xf5, 0xff];
  for (let i = 0; i < 3000; i++) {
    const len = Math.floor(rand() * 10);
    const bytes = new Uint8Array(len);
    for (let j = 0; j < len; j++) bytes[j] = interesting[Math.floor(rand() * interesting.length)];
    if (rand() < 0.2 && len >= 3) bytes.set([0xef, 0xbb, 0xbf]);
    for (const opts of [{}, { fatal: true }, { ignoreBOM: true }]) {
      let a;
      let b;
      try { a = new HDecoder("utf-8", opts).decode(bytes); } catch (e) { a = e.constructor.name; }
      try { b = new TextDecoder("utf-8", opts).decode(bytes); } catch (e) { b = e.constructor.name; }
      assert.equal(a, b, `${Array.from(bytes)} ${JSON.stringify(opts)}`);
    }
    // streaming in random chunks
    const ours = new HDecoder();
    const node = new TextDecoder();
    let sa = "";
    let sb = "";
    for (let p = 0; p < len; ) {
      const n = 1 + Math.floor(rand() * 3);
      const chunk = bytes.subarray(p, p + n);
      sa += ours.decode(chunk, { stream: true });
      sb += node.decode(chunk, { stream: true });
      p += n;
    }
    sa += ours.decode();
    sb += node.decode();
    assert.equal(sa, sb, `stream ${Array.from(bytes)}`);
  }
});

test("decoder reuse resets BOM state between non-streaming calls", () => {
  const a = new HDecoder();
  const b = new TextDecoder();
  const bom = new Uint8Array([0xef, 0xbb, 0xbf, 0x61]);
  for (let i = 0; i < 3; i++) assert.equal(a.decode(bom), b.decode(bom));
  assert.equal(a.decode(bom, { stream: true }) + a.decode(bom), b.decode(bom, { stream: true }) + b.decode(bom));
});
