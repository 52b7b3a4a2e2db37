// hbf:node_events against node:events: the same scripted scenarios on both
// emitters must leave the same trace.
import NodeEE, * as nodeEvents from "node:events";
import HbfEE, * as hbfEvents from "hbf:node_events";
import { test, same, Cases, ok } from "../lib.mjs";

function scenario(EE, trace) {
  const e = new EE();
  const log = (tag) => (...args) => trace.push([tag, ...args.map((a) => (typeof a === "function" ? `fn:${a.name}` : a))]);
  e.on("newListener", (name, fn) => trace.push(["newListener", String(name), fn.name]));
  e.on("removeListener", (name, fn) => trace.push(["removeListener", String(name), fn.name]));
  function a(...x) { trace.push(["a", this === e, ...x]); }
  function b(...x) { trace.push(["b", ...x]); }
  function c() { trace.push(["c"]); e.removeListener("x", b); }
  e.on("x", a);
  e.on("x", b);
  e.prependListener("x", c);
  trace.push(["emit", e.emit("x", 1, 2)]);
  trace.push(["emit", e.emit("x", 3)]);
  trace.push(["emit-none", e.emit("nothing")]);
  e.once("y", log("once-y"));
  e.prependOnceListener("y", log("ponce-y"));
  trace.push(["count-y", e.listenerCount("y"), e.rawListeners("y").length, e.listeners("y").length]);
  e.emit("y", "first");
  e.emit("y", "second");
  trace.push(["names", e.eventNames().map(String)]);
  trace.push(["listeners-x", e.listeners("x").map((f) => f.name)]);
  const onceFn = function onceFn() {};
  e.once("z", onceFn);
  trace.push(["remove-once-by-original", e.removeListener("z", onceFn) === e, e.listenerCount("z")]);
  e.off("x", a);
  trace.push(["after-off", e.listenerCount("x"), e.listenerCount("x", c)]);
  e.removeAllListeners("x");
  trace.push(["after-removeAll-x", e.eventNames().map(String)]);
  try {
    e.emit("error", new Error("unhandled"));
  } catch (err) {
    trace.push(["error-thrown", err.message]);
  }
  try {
    e.emit("error", "str");
  } catch (err) {
    trace.push(["error-thrown-2", err.code, err.message, err.context]);
  }
  try {
    e.emit("error");
  } catch (err) {
    trace.push(["error-thrown-3", err.code, err.message]);
  }
  e.on(EE.errorMonitor, (err) => trace.push(["monitor", err.message]));
  e.on("error", (err) => trace.push(["handled", err.message]));
  trace.push(["emit-error", e.emit("error", new Error("handled"))]);
  try {
    e.on("x", "notfn");
  } catch (err) {
    trace.push(["bad-listener", err.code, err.message]);
  }
  e.setMaxListeners(1);
  trace.push(["max", e.getMaxListeners(), EE.defaultMaxListeners]);
  const sym = Symbol("s");
  e.on(sym, log("sym"));
  e.emit(sym, "v");
  e.removeAllListeners();
  trace.push(["after-removeAll", e.eventNames().length, e.listenerCount("error")]);
  class Sub extends EE {}
  const s = new Sub();
  s.on("q", log("sub"));
  s.emit("q", 9);
  trace.push(["static-listenerCount", EE.listenerCount(s, "q")]);
  try {
    e.setMaxListeners(-1);
  } catch (err) {
    trace.push(["bad-max", err.code, err.message]);
  }
  return trace;
}

test("EventEmitter scenario trace matches Node", () => {
  const mine = scenario(HbfEE, []);
  const theirs = scenario(NodeEE, []);
  same(mine, theirs, "trace");
});

test("_events layout, this binding, max listeners warning, inheritance helpers", () => {
  const e = new HbfEE();
  const n = new NodeEE();
  const f = () => {};
  const g = () => {};
  for (const x of [e, n]) {
    x.on("a", f);
  }
  same(typeof e._events.a, typeof n._events.a, "single listener stored as function");
  e.on("a", g);
  n.on("a", g);
  same(Array.isArray(e._events.a), Array.isArray(n._events.a), "several as array");
  same(e._eventsCount, n._eventsCount, "_eventsCount");
  // Old-style inheritance (util.inherits / EventEmitter.call(this)).
  function Legacy() {
    HbfEE.call(this);
  }
  Object.setPrototypeOf(Legacy.prototype, HbfEE.prototype);
  const l = new Legacy();
  let got = null;
  l.on("ev", (v) => (got = v));
  l.emit("ev", 5);
  same(got, 5, "legacy inheritance");
  same(HbfEE.EventEmitter, HbfEE, "EventEmitter.EventEmitter");
  same(typeof hbfEvents.once, "function", "once export");
});

test("once() and on() helpers", async () => {
  const e = new HbfEE();
  setImmediate(() => e.emit("ready", 1, 2));
  same(await hbfEvents.once(e, "ready"), [1, 2], "once resolves with the args");
  const e2 = new HbfEE();
  setImmediate(() => e2.emit("error", new Error("bad")));
  let msg = null;
  try {
    await hbfEvents.once(e2, "ready");
  } catch (err) {
    msg = err.message;
  }
  same(msg, "bad", "once rejects on error");
  same(e2.listenerCount("ready"), 0, "listener removed after error");
  const e3 = new HbfEE();
  const it = hbfEvents.on(e3, "tick");
  setImmediate(() => {
    e3.emit("tick", "a");
    e3.emit("tick", "b");
  });
  const first = await it.next();
  const second = await it.next();
  await it.return();
  same([first.value, second.value], [["a"], ["b"]], "on() iterates");
  same(e3.listenerCount("tick"), 0, "on() cleaned up");
});

test("captureRejections routes rejected async listeners to 'error'", async () => {
  const e = new HbfEE({ captureRejections: true });
  let caught = null;
  e.on("error", (err) => (caught = err.message));
  e.on("go", async () => {
    throw new Error("async boom");
  });
  e.emit("go");
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  same(caught, "async boom");
});
