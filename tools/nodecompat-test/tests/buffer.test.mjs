// hbf:node_buffer against Node's Buffer over many inputs.
import { Buffer as HB, atob as hAtob, btoa as hBtoa, isUtf8 as hIsUtf8, isAscii as hIsAscii } from "hbf:node_buffer";
import hbfBufferModule from "hbf:node_buffer";
import * as nodeBuffer from "node:buffer";
import { test, Cases, outcome, same, ok } from "../lib.mjs";

const NB = Buffer;
const ENCODINGS = ["utf8", "utf-8", "UTF8", "hex", "base64", "base64url", "latin1", "binary", "ascii", "utf16le", "ucs2", "ucs-2", "utf-16le"];

let seed = 987654321;
const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
const randInt = (n) => Math.floor(rnd() * n);

function randomBytes(n) {
  return Array.from({ length: n }, () => randInt(256));
}

const CHARS = ["a", "Z", "0", " ", "\n", "é", "ß", "€", "中", "😀", "\ud800", "\udc00", "=", "+", "/", "-", "_", "%", "\u0000", "ÿ", "\u0080", "g", "F", "9"];
function randomString(n) {
  let s = "";
  for (let i = 0; i < n; i++) s += CHARS[randInt(CHARS.length)];
  return s;
}
const B64CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_= \n.*";
const HEXCHARS = "0123456789abcdefABCDEFxg ";
function fromAlphabet(alpha, n) {
  let s = "";
  for (let i = 0; i < n; i++) s += alpha[randInt(alpha.length)];
  return s;
}

const norm = (v) => (v instanceof Uint8Array ? { bytes: Array.from(v) } : v);
const o = (fn) => {
  const r = outcome(fn);
  if ("value" in r) r.value = norm(r.value);
  return r;
};

test("toString in every encoding over random bytes and ranges", () => {
  const c = new Cases("toString");
  for (let i = 0; i < 300; i++) {
    const bytes = randomBytes(randInt(40));
    const h = HB.from(bytes);
    const n = NB.from(bytes);
    for (const enc of ENCODINGS) {
      c.check(`toString(${enc}) of [${bytes}]`, h.toString(enc), n.toString(enc));
      const s = randInt(45) - 3;
      const e = randInt(45) - 3;
      c.check(`toString(${enc}, ${s}, ${e}) of [${bytes}]`, o(() => h.toString(enc, s, e)), o(() => n.toString(enc, s, e)));
    }
    c.check(`toString() of [${bytes}]`, h.toString(), n.toString());
    c.check(`toJSON [${bytes}]`, h.toJSON(), n.toJSON());
    c.check(`JSON.stringify [${bytes}]`, JSON.stringify(h), JSON.stringify(n));
  }
  c.check("unknown encoding", o(() => HB.from("ab").toString("nope")), o(() => NB.from("ab").toString("nope")));
  c.done();
});

test("from(string, encoding) and byteLength over random strings", () => {
  const c = new Cases("from");
  for (let i = 0; i < 400; i++) {
    const strs = [randomString(randInt(20)), fromAlphabet(B64CHARS, randInt(24)), fromAlphabet(HEXCHARS, randInt(20))];
    for (const s of strs) {
      for (const enc of ENCODINGS) {
        c.check(`from(${JSON.stringify(s)}, ${enc})`, o(() => HB.from(s, enc)), o(() => NB.from(s, enc)));
        c.check(`byteLength(${JSON.stringify(s)}, ${enc})`, HB.byteLength(s, enc), NB.byteLength(s, enc));
      }
      c.check(`from(${JSON.stringify(s)})`, o(() => HB.from(s)), o(() => NB.from(s)));
    }
  }
  for (const bad of [undefined, null, 5, {}, Symbol("s")]) {
    c.check(`from(${String(bad)})`, o(() => HB.from(bad)), o(() => NB.from(bad)));
  }
  c.check("from('x', 'nope')", o(() => HB.from("x", "nope")), o(() => NB.from("x", "nope")));
  c.check("byteLength(5)", o(() => HB.byteLength(5)), o(() => NB.byteLength(5)));
  c.done();
});

test("from(array | arrayBuffer | view | object), alloc, concat, compare, equals", () => {
  const c = new Cases("construct");
  c.check("from(array)", norm(HB.from([1, 256, -1, 3.7, "7", "x", null])), norm(NB.from([1, 256, -1, 3.7, "7", "x", null])));
  const ab = new Uint8Array([1, 2, 3, 4, 5, 6]).buffer;
  for (const [off, len] of [[undefined, undefined], [2, undefined], [2, 3], [6, 0], [7, undefined], [1, 9], ["1", "2"], [NaN, -1]]) {
    c.check(`from(ab, ${off}, ${len})`, o(() => HB.from(ab, off, len)), o(() => NB.from(ab, off, len)));
  }
  c.check("from(Uint16Array)", norm(HB.from(new Uint16Array([1, 258, 65535]))), norm(NB.from(new Uint16Array([1, 258, 65535]))));
  c.check("from({type:'Buffer'})", norm(HB.from({ type: "Buffer", data: [7, 8] })), norm(NB.from({ type: "Buffer", data: [7, 8] })));
  c.check("from({length:2})", norm(HB.from({ length: 2, 0: 5, 1: 6 })), norm(NB.from({ length: 2, 0: 5, 1: 6 })));
  c.check("from(new String('hi'))", norm(HB.from(new String("hi"))), norm(NB.from(new String("hi"))));
  c.check("from(toPrimitive)", norm(HB.from({ [Symbol.toPrimitive]: () => "prim" })), norm(NB.from({ [Symbol.toPrimitive]: () => "prim" })));
  for (const args of [[3], [3, 1], [5, "ab"], [5, "abc", "hex"], [4, "YQ==", "base64"], [3, HB.from([1, 2])], [0], [-1], ["3"], [2, ""], [2, "zz", "hex"], [1.5]]) {
    const nargs = args.map((a) => (a instanceof HB ? NB.from(a) : a));
    c.check(`alloc(${args.map(String)})`, o(() => HB.alloc(...args)), o(() => NB.alloc(...nargs)));
  }
  c.check("allocUnsafe(4).length", HB.allocUnsafe(4).length, 4);
  for (let i = 0; i < 100; i++) {
    const a = randomBytes(randInt(6));
    const b = randomBytes(randInt(6));
    c.check(`compare ${a} ${b}`, HB.compare(HB.from(a), HB.from(b)), NB.compare(NB.from(a), NB.from(b)));
    c.check(`equals ${a} ${b}`, HB.from(a).equals(HB.from(b)), NB.from(a).equals(NB.from(b)));
    const s = [randInt(8), randInt(8), randInt(8), randInt(8)];
    c.check(`a.compare(b, ${s})`, o(() => HB.from(a).compare(HB.from(b), ...s)), o(() => NB.from(a).compare(NB.from(b), ...s)));
    c.check(`concat ${a} ${b}`, norm(HB.concat([HB.from(a), new Uint8Array(b)])), norm(NB.concat([NB.from(a), new Uint8Array(b)])));
    c.check(`concat len`, o(() => HB.concat([HB.from(a), HB.from(b)], 3)), o(() => NB.concat([NB.from(a), NB.from(b)], 3)));
  }
  c.check("concat([])", norm(HB.concat([])), norm(NB.concat([])));
  c.check("concat bad", o(() => HB.concat([1])), o(() => NB.concat([1])));
  c.check("compare bad", o(() => HB.compare("a", HB.from("b"))), o(() => NB.compare("a", NB.from("b"))));
  c.check("isEncoding", ["utf8", "UTF-8", "hex", "nope", "", 1, "binary", "ucs2"].map((e) => HB.isEncoding(e)),
    ["utf8", "UTF-8", "hex", "nope", "", 1, "binary", "ucs2"].map((e) => NB.isEncoding(e)));
  c.done();
});

test("slice/subarray share memory; typed array methods return Buffers", () => {
  const b = HB.from("hello world");
  const s = b.slice(0, 5);
  s[0] = 72;
  same(b.toString(), "Hello world", "slice shares memory");
  const sub = b.subarray(6);
  ok(sub instanceof HB, "subarray is a Buffer");
  sub[0] = 87;
  same(b.toString(), "Hello World", "subarray shares memory");
  ok(b.map((x) => x) instanceof HB, "map returns a Buffer");
  ok(HB.isBuffer(b) && !HB.isBuffer(new Uint8Array(2)), "isBuffer");
  ok(b instanceof Uint8Array, "instanceof Uint8Array");
  same(HB.prototype.constructor, HB, "constructor");
  same(new HB(3).length, 3, "new Buffer(n)");
  same(HB("ab", "utf8").toString("hex"), "6162", "Buffer() without new");
  const c = new Cases("slice");
  for (let i = 0; i < 200; i++) {
    const bytes = randomBytes(randInt(10));
    const args = [randInt(14) - 7, randInt(14) - 7];
    if (rnd() < 0.3) args.pop();
    c.check(`slice(${args})`, norm(HB.from(bytes).slice(...args)), norm(NB.from(bytes).slice(...args)));
    c.check(`subarray(${args})`, norm(HB.from(bytes).subarray(...args)), norm(NB.from(bytes).subarray(...args)));
  }
  c.done();
});

test("write(string, offset, length, encoding) and fill()", () => {
  const c = new Cases("write");
  for (let i = 0; i < 300; i++) {
    const s = rnd() < 0.5 ? randomString(randInt(8)) : fromAlphabet(HEXCHARS, randInt(10));
    const size = randInt(12);
    const enc = ENCODINGS[randInt(ENCODINGS.length)];
    const variants = [[s], [s, enc], [s, randInt(size + 2)], [s, randInt(size + 1), enc], [s, randInt(size + 1), randInt(size + 2), enc]];
    for (const args of variants) {
      const h = HB.alloc(size);
      const n = NB.alloc(size);
      const rh = o(() => h.write(...args));
      const rn = o(() => n.write(...args));
      c.check(`write(${JSON.stringify(args)}) into ${size}`, [rh, norm(h)], [rn, norm(n)]);
    }
    const fillArgs = [[s], [s, enc], [randInt(300) - 20], [s, randInt(size + 1)], [s, randInt(size + 1), randInt(size + 1)],
      [s, randInt(size + 1), randInt(size + 1), enc], [HB.from(randomBytes(randInt(3)))], [true]];
    for (const args of fillArgs) {
      const nargs = args.map((a) => (a instanceof HB ? NB.from(a) : a));
      const h = HB.alloc(size);
      const n = NB.alloc(size);
      const rh = o(() => h.fill(...args));
      const rn = o(() => n.fill(...nargs));
      c.check(`fill(${JSON.stringify(args)}) into ${size}`, [rh.error ?? null, norm(h)], [rn.error ?? null, norm(n)]);
    }
  }
  c.done();
});

test("indexOf/lastIndexOf/includes", () => {
  const c = new Cases("indexOf");
  for (let i = 0; i < 400; i++) {
    const hay = fromAlphabet("abcab€", randInt(14));
    const needle = fromAlphabet("abc€", randInt(3));
    const off = [undefined, randInt(20) - 10, "utf8", null, NaN, 1.5][randInt(6)];
    c.check(`"${hay}".indexOf("${needle}", ${off})`, HB.from(hay).indexOf(needle, off), NB.from(hay).indexOf(needle, off));
    c.check(`"${hay}".lastIndexOf("${needle}", ${off})`, HB.from(hay).lastIndexOf(needle, off), NB.from(hay).lastIndexOf(needle, off));
    c.check(`"${hay}".includes("${needle}", ${off})`, HB.from(hay).includes(needle, off), NB.from(hay).includes(needle, off));
    const num = [97, 98, 353, -159, 0][randInt(5)];
    c.check(`"${hay}".indexOf(${num}, ${off})`, HB.from(hay).indexOf(num, off), NB.from(hay).indexOf(num, off));
    c.check(`"${hay}".lastIndexOf(${num}, ${off})`, HB.from(hay).lastIndexOf(num, off), NB.from(hay).lastIndexOf(num, off));
    c.check(`"${hay}".indexOf(buf)`, HB.from(hay).indexOf(HB.from(needle), off), NB.from(hay).indexOf(NB.from(needle), off));
    c.check(`"${hay}".indexOf(hex)`, HB.from(hay).indexOf("6263", 0, "hex"), NB.from(hay).indexOf("6263", 0, "hex"));
  }
  c.check("indexOf({})", o(() => HB.from("a").indexOf({})), o(() => NB.from("a").indexOf({})));
  c.done();
});

test("read/write integers, floats and BigInts, with range errors", () => {
  const c = new Cases("int");
  const methods = ["UInt8", "UInt16LE", "UInt16BE", "UInt32LE", "UInt32BE", "Int8", "Int16LE", "Int16BE", "Int32LE", "Int32BE",
    "FloatLE", "FloatBE", "DoubleLE", "DoubleBE", "Uint8", "Uint16LE", "Uint32BE"];
  for (let i = 0; i < 150; i++) {
    const bytes = randomBytes(randInt(10));
    for (const m of methods) {
      const off = [0, 1, randInt(10), -1, 1.5, "1", undefined][randInt(7)];
      c.check(`read${m}(${off}) of [${bytes}]`, o(() => HB.from(bytes)[`read${m}`](off)), o(() => NB.from(bytes)[`read${m}`](off)));
      const value = [0, 1, -1, 127, 128, 255, 256, 65535, -32768, 2 ** 31, 2 ** 32 - 1, -(2 ** 31), 1.5, NaN, 3.4e38, "7"][randInt(16)];
      const h = HB.from(bytes);
      const n = NB.from(bytes);
      c.check(`write${m}(${value}, ${off}) into [${bytes}]`, [o(() => h[`write${m}`](value, off)), norm(h)],
        [o(() => n[`write${m}`](value, off)), norm(n)]);
    }
    for (const m of ["UIntLE", "UIntBE", "IntLE", "IntBE"]) {
      const off = randInt(6);
      const len = [1, 2, 3, 4, 5, 6, 0, 7, 2.5][randInt(9)];
      c.check(`read${m}(${off}, ${len}) of [${bytes}]`, o(() => HB.from(bytes)[`read${m}`](off, len)),
        o(() => NB.from(bytes)[`read${m}`](off, len)));
      const value = [0, 1, -1, 255, 2 ** 40, -(2 ** 39), 2 ** 47 - 1, 70000][randInt(8)];
      const h = HB.from(bytes);
      const n = NB.from(bytes);
      c.check(`write${m}(${value}, ${off}, ${len}) into [${bytes}]`, [o(() => h[`write${m}`](value, off, len)), norm(h)],
        [o(() => n[`write${m}`](value, off, len)), norm(n)]);
    }
    for (const m of ["BigUInt64LE", "BigUInt64BE", "BigInt64LE", "BigInt64BE", "BigUint64LE"]) {
      const off = randInt(4);
      c.check(`read${m}(${off})`, o(() => HB.from(bytes)[`read${m}`](off)), o(() => NB.from(bytes)[`read${m}`](off)));
      const value = [0n, 1n, -1n, 2n ** 63n, 2n ** 64n - 1n, 2n ** 64n, -(2n ** 63n)][randInt(7)];
      const h = HB.from(bytes);
      const n = NB.from(bytes);
      c.check(`write${m}(${value}, ${off})`, [o(() => h[`write${m}`](value, off)), norm(h)], [o(() => n[`write${m}`](value, off)), norm(n)]);
    }
  }
  c.done();
});

test("copy, swap, toLocaleString, inspect, module functions", () => {
  const c = new Cases("misc");
  for (let i = 0; i < 200; i++) {
    const src = randomBytes(randInt(8));
    const dst = randomBytes(randInt(8));
    const args = [randInt(10) - 1, randInt(10) - 1, randInt(10) - 1].slice(0, randInt(4));
    const h = HB.from(dst);
    const n = NB.from(dst);
    c.check(`copy([${src}] -> [${dst}], ${args})`, [o(() => HB.from(src).copy(h, ...args)), norm(h)],
      [o(() => NB.from(src).copy(n, ...args)), norm(n)]);
  }
  for (const m of ["swap16", "swap32", "swap64"]) {
    for (const len of [0, 2, 4, 8, 16, 3]) {
      const bytes = randomBytes(len);
      c.check(`${m} of ${len}`, o(() => HB.from(bytes)[m]()), o(() => NB.from(bytes)[m]()));
    }
  }
  c.check("inspect", HB.from("hi")[Symbol.for("nodejs.util.inspect.custom")](), "<Buffer 68 69>");
  c.check("inspect long", HB.alloc(60)[Symbol.for("nodejs.util.inspect.custom")](), "<Buffer " + "00 ".repeat(49) + "00 ... 10 more bytes>");
  for (const s of ["aGk=", "aGk", "a", " aGk= ", "!!!!", "", "YQ==YQ==", "Y Q = =", "YQ=", "-_", "YQ===", "é"]) {
    c.check(`atob(${s})`, o(() => hAtob(s)), o(() => nodeBuffer.atob(s)));
  }
  for (const s of ["hi", "ÿ", "€", ""]) c.check(`btoa(${s})`, o(() => hBtoa(s), { message: false }), o(() => nodeBuffer.btoa(s), { message: false }));
  for (const bytes of [[0x61], [0xc3, 0xa9], [0xff], [0xe2, 0x82], []]) {
    c.check(`isUtf8 ${bytes}`, hIsUtf8(new Uint8Array(bytes)), nodeBuffer.isUtf8(new Uint8Array(bytes)));
    c.check(`isAscii ${bytes}`, hIsAscii(new Uint8Array(bytes)), nodeBuffer.isAscii(new Uint8Array(bytes)));
  }
  c.check("kMaxLength", hbfBufferModule.kMaxLength, nodeBuffer.kMaxLength);
  c.check("constants", hbfBufferModule.constants.MAX_LENGTH, nodeBuffer.constants.MAX_LENGTH);
  c.check("Buffer.of", norm(HB.of(1, 2, 300)), norm(NB.of(1, 2, 300)));
  c.check("copyBytesFrom", norm(HB.copyBytesFrom(new Uint16Array([1, 2, 3]), 1, 1)), norm(NB.copyBytesFrom(new Uint16Array([1, 2, 3]), 1, 1)));
  c.check("poolSize", HB.poolSize, NB.poolSize);
  c.done();
});
