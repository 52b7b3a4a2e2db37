// hbf:node_process and hbf:node_timers on the fake host event loop.
import process, * as processNs from "hbf:node_process";
import * as timers from "hbf:node_timers";
import * as timersPromises from "hbf:node_timers_promises";
import { promisify } from "hbf:node_util";
import { __fake } from "hbf:native";
import { test, same, ok } from "../lib.mjs";

test("env from config rows, cwd, versions, platform, argv", () => {
  // process.env is built on first use from the config rows "env.*".
  __fake.setConfig({ "env.API_KEY": "k1", "env.MODE": "prod", "other.key": "x", "env.": "empty-name" });
  same({ ...process.env }, { API_KEY: "k1", MODE: "prod" }, "env");
  process.env.NUM = 5;
  same(process.env.NUM, "5", "env values become strings");
  delete process.env.NUM;
  same("NUM" in process.env, false, "delete works");
  same(processNs.env.API_KEY, "k1", "named env export forwards");
  same(process.cwd(), "/");
  same(process.versions.node, "20.19.0");
  same(process.versions.hbf, "0.0.0-test");
  same(process.version, "v20.19.0");
  ok(/^v\d+\.\d+\.\d+$/.test(process.version), "a plain release version (semver ranges match it)");
  same(process.version, `v${process.versions.node}`);
  same([process.platform, process.arch], ["linux", "x64"]);
  same(process.argv, []);
  same(Object.prototype.toString.call(process), "[object process]");
  for (const fn of ["exit", "kill", "chdir", "abort"]) {
    let code = null;
    try {
      process[fn](0);
    } catch (e) {
      code = e.code;
    }
    same(code, "ERR_HBF_UNSUPPORTED", `${fn} throws`);
  }
});

test("nextTick runs before promise jobs queued after it, in order, with args", async () => {
  const order = [];
  Promise.resolve().then(() => order.push("promise1"));
  process.nextTick(() => order.push("tick1"));
  process.nextTick((a, b) => order.push(`tick2:${a}${b}`), "x", "y");
  Promise.resolve().then(() => order.push("promise2"));
  process.nextTick(() => {
    order.push("tick3");
    process.nextTick(() => order.push("tick4 (queued by a tick)"));
  });
  await __fake.drive(new Promise((r) => setImmediate(r)));
  same(order, ["promise1", "tick1", "tick2:xy", "tick3", "tick4 (queued by a tick)", "promise2"]);
  let threw = false;
  try {
    process.nextTick("nope");
  } catch (e) {
    threw = e.code === "ERR_INVALID_ARG_TYPE";
  }
  ok(threw, "nextTick validates");
});

test("hrtime, hrtime.bigint, uptime, memoryUsage, emitWarning, stdout", async () => {
  const t = process.hrtime();
  ok(Array.isArray(t) && t.length === 2 && Number.isInteger(t[0]) && Number.isInteger(t[1]), "hrtime shape");
  const d = process.hrtime(t);
  ok(d[0] >= 0 && d[1] >= 0, "hrtime diff");
  ok(typeof process.hrtime.bigint() === "bigint", "bigint");
  ok(process.uptime() >= 0, "uptime");
  same(Object.keys(process.memoryUsage()), ["rss", "heapTotal", "heapUsed", "external", "arrayBuffers"]);
  const before = __fake.logs.length;
  const seen = [];
  const onWarning = (w) => seen.push([w.name, w.message, w.code]);
  process.on("warning", onWarning);
  process.emitWarning("careful", "CustomWarning", "C1");
  process.emitWarning(new Error("as error"));
  process.stdout.write("partial ");
  process.stdout.write("line\nnext");
  process.stdout.end();
  process.stderr.write("bad\n");
  await __fake.drive(new Promise((r) => setImmediate(r)));
  process.off("warning", onWarning);
  same(seen, [["CustomWarning", "careful", "C1"], ["Error", "as error", undefined]], "warning events");
  const logs = __fake.logs.slice(before);
  ok(logs.some(([l, m]) => l === "warn" && m === "(hbf) [C1] CustomWarning: careful"), "warning logged");
  ok(logs.some(([l, m]) => l === "info" && m === "partial line"), "stdout line");
  ok(logs.some(([l, m]) => l === "info" && m === "next"), "stdout flushed at end()");
  ok(logs.some(([l, m]) => l === "error" && m === "bad"), "stderr");
});

test("timers: order, args, this, clear by object and by number, intervals, refresh, immediates", async () => {
  const order = [];
  const t10 = timers.setTimeout((a) => order.push(`t10:${a}`), 10, "arg");
  timers.setTimeout(function () {
    order.push(`t5:${this === t5b}`);
  }, 5);
  const t5b = timers.setTimeout(() => order.push("t5b"), 5);
  const cancelled = timers.setTimeout(() => order.push("cancelled"), 1);
  timers.clearTimeout(cancelled);
  const byNumber = timers.setTimeout(() => order.push("byNumber"), 2);
  timers.clearTimeout(+byNumber);
  let n = 0;
  const iv = timers.setInterval(() => {
    order.push(`iv${++n}`);
    if (n === 3) timers.clearInterval(iv);
  }, 3);
  timers.setImmediate((x) => order.push(`immediate:${x}`), "i");
  const im2 = timers.setImmediate(() => order.push("cancelled immediate"));
  timers.clearImmediate(im2);
  ok(t10.hasRef() && !t10.unref().hasRef() && t10.ref().hasRef(), "ref/unref/hasRef");
  const done = new Promise((resolve) => timers.setTimeout(resolve, 20));
  const r = await __fake.drive(done);
  same(r.settled, true, "drive settled");
  same(order, ["immediate:i", "iv1", "t5:false", "t5b", "iv2", "iv3", "t10:arg"]);
  // refresh() restarts the countdown; a fired timer can be re-armed.
  const seen = [];
  const rt = timers.setTimeout(() => seen.push(__fake.now()), 50);
  const start = __fake.now();
  await __fake.drive(new Promise((resolve) => timers.setTimeout(resolve, 30)));
  rt.refresh();
  await __fake.drive(new Promise((resolve) => timers.setTimeout(resolve, 100)));
  same(seen.length, 1, "fired once");
  ok(seen[0] - start >= 80, "refresh moved the deadline");
  same(__fake.timers.size, 0, "no timer left");
  // Invalid delays become 1 ms, as in Node.
  const fired = [];
  timers.setTimeout(() => fired.push("neg"), -5);
  timers.setTimeout(() => fired.push("nan"), "abc");
  await __fake.drive(new Promise((resolve) => timers.setTimeout(resolve, 5)));
  same(fired, ["neg", "nan"]);
});

test("timers/promises and util.promisify(setTimeout)", async () => {
  const r1 = await __fake.drive(timersPromises.setTimeout(10, "value"));
  same(r1, { settled: true, value: "value" });
  const r2 = await __fake.drive(timersPromises.setImmediate("imm"));
  same(r2, { settled: true, value: "imm" });
  const r3 = await __fake.drive(promisify(timers.setTimeout)(5, "p"));
  same(r3, { settled: true, value: "p" });
  const ticks = [];
  const collect = (async () => {
    for await (const v of timersPromises.setInterval(4, "tick")) {
      ticks.push(v);
      if (ticks.length === 3) break;
    }
    return ticks.length;
  })();
  const r4 = await __fake.drive(collect);
  same(r4, { settled: true, value: 3 });
  same(__fake.timers.size, 0, "interval cleared by break");
  const ac = new AbortController();
  const aborted = timersPromises.setTimeout(1000, "x", { signal: ac.signal });
  ac.abort();
  const r5 = await __fake.drive(aborted);
  same([r5.error?.name, r5.error?.code], ["AbortError", "ABORT_ERR"]);
  same(__fake.timers.size, 0, "aborted timer cleared");
});

test("an exception in a timer reaches process 'uncaughtException' when listened to", async () => {
  const caught = [];
  const handler = (err) => caught.push(err.message);
  process.on("uncaughtException", handler);
  timers.setTimeout(() => {
    throw new Error("in timer");
  }, 1);
  process.nextTick(() => {
    throw new Error("in tick");
  });
  await __fake.drive(new Promise((resolve) => timers.setTimeout(resolve, 5)));
  process.off("uncaughtException", handler);
  same(caught.sort(), ["in tick", "in timer"]);
  const before = __fake.logs.length;
  process.nextTick(() => {
    throw new Error("unlistened tick");
  });
  await __fake.drive(new Promise((r) => setImmediate(r)));
  ok(__fake.logs.slice(before).some(([l, m]) => l === "error" && m.includes("unlistened tick")), "logged");
});
