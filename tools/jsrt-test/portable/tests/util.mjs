import { test, assert } from "../harness.mjs";
import util, * as u from "hbf:util";

const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

test("default export mirrors named exports", () => {
  for (const k of ["base64Encode", "base64Decode", "base64urlEncode", "base64urlDecode", "hexEncode", "hexDecode", "utf8Encode", "utf8Decode", "sha256", "hmacSha256", "randomBytes", "uuid", "now"]) {
    assert.equal(typeof u[k], "function", k);
    assert.equal(util[k], u[k], k);
  }
});

test("base64 / base64url round trips and known vectors", () => {
  assert.equal(u.base64Encode(""), "");
  assert.equal(u.base64Encode("f"), "Zg==");
  assert.equal(u.base64Encode("foobar"), "Zm9vYmFy");
  assert.equal(u.base64Encode("é"), "w6k=");
  assert.equal(u.base64Encode(new Uint8Array([251, 255])), "+/8=");
  assert.equal(u.base64urlEncode(new Uint8Array([251, 255])), "-_8");
  assert.equal(u.base64Encode(new Uint8Array([1, 2, 3]).buffer), "AQID");
  assert.equal(u.base64Encode(new Uint16Array([0x0201])), "AQI=");
  assert.deepEqual(u.base64Decode("Zm9vYg=="), u.utf8Encode("foob"));
  assert.deepEqual(u.base64urlDecode("-_8"), new Uint8Array([251, 255]));
  assert.deepEqual(u.base64urlDecode("-_8="), new Uint8Array([251, 255]));
  assert.throws(() => u.base64Decode("***"), TypeError);
  assert.throws(() => u.base64Decode(5), TypeError);
  assert.throws(() => u.base64Encode(5), TypeError);
});

test("hex encode/decode", () => {
  assert.equal(u.hexEncode(new Uint8Array([0, 15, 16, 255])), "000f10ff");
  assert.equal(u.hexEncode("AB"), "4142");
  assert.deepEqual(u.hexDecode("000f10FF"), new Uint8Array([0, 15, 16, 255]));
  assert.throws(() => u.hexDecode("abc"), TypeError);
  assert.throws(() => u.hexDecode("zz"), TypeError);
});

test("utf8 encode/decode incl. lone surrogates and invalid bytes", () => {
  assert.deepEqual(u.utf8Encode("a€😀"), new Uint8Array([0x61, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80]));
  assert.deepEqual(u.utf8Encode("\ud800x"), new Uint8Array([0xef, 0xbf, 0xbd, 0x78]));
  assert.equal(u.utf8Decode(new Uint8Array([0x61, 0xff, 0x62])), "a\ufffdb");
  assert.throws(() => u.utf8Decode(new Uint8Array([0xff]), true), TypeError);
  assert.equal(u.utf8Decode(new Uint8Array([0xe2, 0x82, 0xac]).buffer), "€");
  assert.throws(() => u.utf8Encode(5), TypeError);
});

test("sha256 and hmacSha256 known vectors and encodings", () => {
  assert.equal(u.sha256(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  assert.equal(u.sha256("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  assert.equal(u.sha256("abc", "base64"), "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
  assert.equal(u.sha256("abc", "base64url"), "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0");
  assert.equal(hex(u.sha256("abc", "bytes")), u.sha256("abc"));
  assert.equal(u.sha256("é"), u.sha256(new Uint8Array([0xc3, 0xa9])));
  assert.equal(u.hmacSha256("key", "The quick brown fox jumps over the lazy dog"), "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");
  assert.equal(u.hmacSha256("a".repeat(100), "x"), u.hmacSha256(u.sha256("a".repeat(100), "bytes"), "x"));
  assert.throws(() => u.sha256("x", "latin1"), TypeError);
  assert.throws(() => u.sha256({}), TypeError);
});

test("randomBytes, uuid, now, timingSafeEqual", () => {
  const a = u.randomBytes(16);
  assert.ok(a instanceof Uint8Array && a.length === 16);
  assert.equal(u.randomBytes(0).length, 0);
  assert.equal(u.randomBytes(70000).length, 70000);
  assert.throws(() => u.randomBytes(-1), RangeError);
  assert.throws(() => u.randomBytes(1.5), RangeError);
  const id = u.uuid();
  assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.notEqual(u.uuid(), id);
  assert.ok(Math.abs(u.now() - Date.now()) < 5000);
  assert.equal(u.timingSafeEqual("abc", "abc"), true);
  assert.equal(u.timingSafeEqual("abc", "abd"), false);
  assert.equal(u.timingSafeEqual("abc", "ab"), false);
});

test("format and inspect re-exported", () => {
  assert.equal(u.format("%s=%d", "a", 5), "a=5");
  assert.equal(u.inspect({ a: [1, { b: "x" }] }), "{ a: [ 1, { b: 'x' } ] }");
});
