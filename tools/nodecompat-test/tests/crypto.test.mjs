// hbf:node_crypto against node:crypto.
import nodeCrypto from "node:crypto";
import crypto from "hbf:node_crypto";
import { Buffer as HB } from "hbf:node_buffer";
import { test, same, ok, Cases, outcome } from "../lib.mjs";

const norm = (v) => (v instanceof Uint8Array ? Array.from(v) : v instanceof ArrayBuffer ? Array.from(new Uint8Array(v)) : v);

test("createHash('sha256') and createHmac('sha256') over many inputs and encodings", () => {
  const c = new Cases("hash");
  const inputs = ["", "abc", "é😀", "x".repeat(1000), HB.from([0, 1, 2]), new Uint16Array([1, 2]), new DataView(new ArrayBuffer(3))];
  for (const alg of ["sha256", "SHA256", "sha-256", "RSA-SHA256"]) {
    for (const a of inputs) {
      for (const b of inputs.slice(0, 3)) {
        for (const enc of [undefined, "hex", "base64", "base64url", "latin1", "buffer"]) {
          const mine = crypto.createHash(alg).update(a).update(b).digest(enc);
          const theirs = nodeCrypto.createHash(alg).update(a instanceof HB ? Buffer.from(a) : a).update(b).digest(enc);
          c.check(`hash ${alg} ${enc}`, norm(mine), norm(theirs));
          for (const key of ["k", "", HB.from("key"), "x".repeat(100)]) {
            const nk = key instanceof HB ? Buffer.from(key) : key;
            c.check(`hmac ${alg} ${enc}`, norm(crypto.createHmac(alg, key).update(a).update(b).digest(enc)),
              norm(nodeCrypto.createHmac(alg, nk).update(a instanceof HB ? Buffer.from(a) : a).update(b).digest(enc)));
          }
        }
      }
    }
  }
  c.check("update(hex string, 'hex')", crypto.createHash("sha256").update("6869", "hex").digest("hex"),
    nodeCrypto.createHash("sha256").update("6869", "hex").digest("hex"));
  c.check("copy", crypto.createHash("sha256").update("a").copy().update("b").digest("hex"),
    nodeCrypto.createHash("sha256").update("a").copy().update("b").digest("hex"));
  const h = crypto.createHash("sha256");
  h.digest();
  const nh = nodeCrypto.createHash("sha256");
  nh.digest();
  c.check("digest twice", outcome(() => h.digest()), outcome(() => nh.digest()));
  c.check("update after digest", outcome(() => h.update("x")), outcome(() => nh.update("x")));
  c.check("update(number)", outcome(() => crypto.createHash("sha256").update(1)), outcome(() => nodeCrypto.createHash("sha256").update(1)));
  const hm = crypto.createHmac("sha256", "k");
  hm.digest();
  const nhm = nodeCrypto.createHmac("sha256", "k");
  nhm.digest();
  c.check("hmac digest twice", norm(hm.digest("hex")), norm(nhm.digest("hex")));
  c.check("crypto.hash", crypto.hash("sha256", "abc"), nodeCrypto.createHash("sha256").update("abc").digest("hex"));
  c.done();
});

const ALGORITHMS = ["md5", "sha1", "sha224", "sha256", "sha384", "sha512", "sha512-224", "sha512-256", "sha3-224", "sha3-256",
  "sha3-384", "sha3-512", "ripemd160"];

test("createHash/createHmac for every digest hbf has, streamed in pieces, against Node", () => {
  const c = new Cases("digest");
  const inputs = ["", "abc", "é😀", "x".repeat(1000), HB.from([0, 1, 2, 255]), new Uint32Array([1, 2, 3]), "y".repeat(200)];
  for (const alg of ALGORITHMS) {
    for (const a of inputs) {
      const na = a instanceof HB ? Buffer.from(a) : a;
      c.check(`hash ${alg}`, norm(crypto.createHash(alg).update(a).update("tail").digest()),
        norm(nodeCrypto.createHash(alg).update(na).update("tail").digest()));
      for (const key of ["", "key", HB.from("k".repeat(200)), "x".repeat(64), "x".repeat(129)]) {
        const nk = key instanceof HB ? Buffer.from(key) : key;
        c.check(`hmac ${alg} key ${String(key).length}`, crypto.createHmac(alg, key).update(a).digest("hex"),
          nodeCrypto.createHmac(alg, nk).update(na).digest("hex"));
      }
    }
    const h = crypto.createHash(alg).update("a");
    const copy = h.copy();
    c.check(`copy ${alg}`, [copy.update("b").digest("hex"), h.digest("hex")],
      [nodeCrypto.createHash(alg).update("ab").digest("hex"), nodeCrypto.createHash(alg).update("a").digest("hex")]);
    for (const enc of ["hex", "base64", "base64url", "latin1", "binary", "buffer", "HEX", "nope", undefined]) {
      c.check(`${alg} digest(${enc})`, norm(crypto.createHash(alg).update("abc").digest(enc)),
        norm(nodeCrypto.createHash(alg).update("abc").digest(enc)));
    }
  }
  // Aliases OpenSSL knows, in any case.
  for (const name of ["MD5", "RSA-MD5", "md5WithRSAEncryption", "SHA1", "sha-1", "RSA-SHA1", "ssl3-sha1", "sha-384", "sha2-384",
    "RSA-SHA512", "Sha512", "sha2-512/256", "RSA-SHA3-256", "rmd160", "ripemd", "RSA-RIPEMD160"]) {
    c.check(`alias ${name}`, crypto.createHash(name).update("abc").digest("hex"), nodeCrypto.createHash(name).update("abc").digest("hex"));
    c.check(`hmac alias ${name}`, crypto.createHmac(name, "k").update("abc").digest("hex"),
      nodeCrypto.createHmac(name, "k").update("abc").digest("hex"));
  }
  for (const name of ["nope", "", "sha256 ", "sha512/256"]) {
    c.check(`unknown hash ${name}`, outcome(() => crypto.createHash(name)), outcome(() => nodeCrypto.createHash(name)));
    c.check(`unknown hmac ${name}`, outcome(() => crypto.createHmac(name, "k")), outcome(() => nodeCrypto.createHmac(name, "k")));
  }
  c.check("createHash(1)", outcome(() => crypto.createHash(1)), outcome(() => nodeCrypto.createHash(1)));
  c.check("createHmac key null", outcome(() => crypto.createHmac("sha1", null)), outcome(() => nodeCrypto.createHmac("sha1", null)));
  c.check("outputLength ok", outcome(() => crypto.createHash("sha512", { outputLength: 64 }).digest("hex")),
    outcome(() => nodeCrypto.createHash("sha512", { outputLength: 64 }).digest("hex")));
  c.check("outputLength bad", outcome(() => crypto.createHash("md5", { outputLength: 8 })).error?.code,
    outcome(() => nodeCrypto.createHash("md5", { outputLength: 8 })).error?.code);
  c.check("update(unknown encoding)", crypto.createHash("md5").update("é", "nope").digest("hex"),
    nodeCrypto.createHash("md5").update("é", "nope").digest("hex"));
  const hm = crypto.createHmac("sha1", "k");
  hm.digest();
  const nhm = nodeCrypto.createHmac("sha1", "k");
  nhm.digest();
  c.check("hmac update after digest", outcome(() => hm.update("x")), outcome(() => nhm.update("x")));
  c.done();
});

test("known vectors: RFC 1321, FIPS 180, RFC 2202, RFC 4231", () => {
  same(crypto.createHash("md5").update("abc").digest("hex"), "900150983cd24fb0d6963f7d28e17f72");
  same(crypto.createHash("md5").update("").digest("hex"), "d41d8cd98f00b204e9800998ecf8427e");
  same(crypto.createHash("sha1").update("abc").digest("hex"), "a9993e364706816aba3e25717850c26c9cd0d89d");
  same(crypto.createHash("sha384").update("abc").digest("hex"),
    "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7");
  same(crypto.createHash("sha512").update("abc").digest("hex"),
    "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
  // RFC 2202 test case 2 (HMAC-SHA1) and RFC 4231 test case 2 (HMAC-SHA-384/512).
  same(crypto.createHmac("sha1", "Jefe").update("what do ya want for nothing?").digest("hex"), "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
  same(crypto.createHmac("sha384", "Jefe").update("what do ya want for nothing?").digest("hex"),
    "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649");
  same(crypto.createHmac("sha512", "Jefe").update("what do ya want for nothing?").digest("hex"),
    "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737");
});

test("digests Node has and hbf lacks, and ciphers, throw ERR_HBF_UNSUPPORTED", () => {
  for (const fn of [() => crypto.createHash("blake2b512"), () => crypto.createHmac("shake256", "k"), () => crypto.createCipheriv("aes-256-gcm"),
    () => crypto.pbkdf2Sync("p", "s", 1, 32, "sm3"), () => crypto.scryptSync("p", "s", 32)]) {
    const r = outcome(fn);
    same(r.error?.code, "ERR_HBF_UNSUPPORTED", "code");
    ok(/not supported in hbf/.test(r.error.message), r.error.message);
  }
  same(crypto.getHashes().filter((h) => !nodeCrypto.getHashes().includes(h)), [], "getHashes() names Node knows");
  for (const h of crypto.getHashes()) ok(crypto.createHash(h).digest().length > 0, `getHashes() lists ${h}, which works`);
});

test("random values, UUIDs, timingSafeEqual, pbkdf2, hkdf", async () => {
  const b = crypto.randomBytes(100000);
  ok(b instanceof HB && b.length === 100000, "randomBytes > 64 KiB in chunks");
  ok(new Set(b.subarray(0, 1000)).size > 200, "looks random");
  const viaCb = await new Promise((resolve) => crypto.randomBytes(8, (err, buf) => resolve([err, buf.length])));
  same(viaCb, [null, 8]);
  ok(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(crypto.randomUUID()), "uuid v4");
  for (let i = 0; i < 200; i++) {
    const n = crypto.randomInt(3, 9);
    ok(n >= 3 && n < 9 && Number.isInteger(n), "randomInt range");
  }
  same(crypto.randomInt(1), 0);
  same(outcome(() => crypto.randomInt(5, 5)).error?.code, "ERR_OUT_OF_RANGE");
  const arr = crypto.getRandomValues(new Uint32Array(4));
  ok(arr.length === 4, "getRandomValues");
  same(outcome(() => crypto.getRandomValues(new Float32Array(1))).error?.name, "TypeMismatchError");
  same(outcome(() => crypto.getRandomValues(new Uint8Array(65537))).error?.name, "QuotaExceededError");
  const filled = crypto.randomFillSync(HB.alloc(10), 2, 3);
  same([filled[0], filled[1], filled[5]], [0, 0, 0], "randomFillSync keeps the rest");
  same(crypto.timingSafeEqual(HB.from("ab"), HB.from("ab")), true);
  same(crypto.timingSafeEqual(HB.from("ab"), new Uint8Array([97, 99])), false);
  same(outcome(() => crypto.timingSafeEqual(HB.from("a"), HB.from("ab"))), outcome(() => nodeCrypto.timingSafeEqual(Buffer.from("a"), Buffer.from("ab"))));
  same(norm(crypto.pbkdf2Sync("password", "salt", 1000, 50, "sha256")), norm(nodeCrypto.pbkdf2Sync("password", "salt", 1000, 50, "sha256")));
  same(norm(crypto.hkdfSync("sha256", "ikm", "salt", "info", 70)), norm(nodeCrypto.hkdfSync("sha256", "ikm", "salt", "info", 70)));
  for (const d of ["sha1", "sha512", "md5", "sha384", "sha3-256"]) {
    same(norm(crypto.pbkdf2Sync("password", "salt", 50, 100, d)), norm(nodeCrypto.pbkdf2Sync("password", "salt", 50, 100, d)), `pbkdf2 ${d}`);
    same(norm(crypto.hkdfSync(d, "ikm", "", "info", 90)), norm(nodeCrypto.hkdfSync(d, "ikm", "", "info", 90)), `hkdf ${d}`);
  }
  same(outcome(() => crypto.pbkdf2Sync("p", "s", 1, 8, "nope")), outcome(() => nodeCrypto.pbkdf2Sync("p", "s", 1, 8, "nope")));
  const async = await new Promise((resolve) => crypto.pbkdf2("p", "s", 10, 16, "sha256", (e, k) => resolve(k.toString("hex"))));
  same(async, nodeCrypto.pbkdf2Sync("p", "s", 10, 16, "sha256").toString("hex"));
});

test("webcrypto subtle digest and HMAC", async () => {
  const data = new TextEncoder().encode("hello");
  same(norm(await crypto.webcrypto.subtle.digest("SHA-256", data)), norm(await nodeCrypto.webcrypto.subtle.digest("SHA-256", data)));
  const keyBytes = new TextEncoder().encode("secret");
  const k1 = await crypto.subtle.importKey("raw", keyBytes, { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
  const k2 = await nodeCrypto.webcrypto.subtle.importKey("raw", keyBytes, { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
  const s1 = await crypto.subtle.sign("HMAC", k1, data);
  same(norm(s1), norm(await nodeCrypto.webcrypto.subtle.sign("HMAC", k2, data)));
  same(await crypto.subtle.verify("HMAC", k1, s1, data), true);
  ok(typeof crypto.webcrypto.getRandomValues === "function" && crypto.webcrypto.randomUUID().length === 36, "webcrypto");
  for (const alg of ["SHA-1", "SHA-384", "SHA-512"]) {
    same(norm(await crypto.subtle.digest(alg, data)), norm(await nodeCrypto.webcrypto.subtle.digest(alg, data)), alg);
    const a = await crypto.subtle.importKey("raw", keyBytes, { name: "HMAC", hash: alg }, false, ["sign"]);
    const b = await nodeCrypto.webcrypto.subtle.importKey("raw", keyBytes, { name: "HMAC", hash: alg }, false, ["sign"]);
    same(norm(await crypto.subtle.sign("HMAC", a, data)), norm(await nodeCrypto.webcrypto.subtle.sign("HMAC", b, data)), `HMAC ${alg}`);
  }
  let name = null;
  try {
    await crypto.subtle.digest("MD5", data);
  } catch (e) {
    name = e.name;
  }
  same(name, "NotSupportedError");
});
