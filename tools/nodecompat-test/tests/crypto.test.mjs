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

test("other algorithms throw a clear error", () => {
  for (const fn of [() => crypto.createHash("md5"), () => crypto.createHmac("sha1", "k"), () => crypto.createCipheriv("aes-256-gcm"),
    () => crypto.pbkdf2Sync("p", "s", 1, 32, "sha512"), () => crypto.scryptSync("p", "s", 32)]) {
    const r = outcome(fn);
    same(r.error?.code, "ERR_HBF_UNSUPPORTED", "code");
    ok(/not supported in hbf/.test(r.error.message), r.error.message);
  }
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
  let name = null;
  try {
    await crypto.subtle.digest("SHA-1", data);
  } catch (e) {
    name = e.name;
  }
  same(name, "NotSupportedError");
});
