// The globals hbf:bootstrap installs in QuickJS (Error.captureStackTrace,
// structuredClone, Event/EventTarget/AbortController/AbortSignal,
// performance) and the tty/http/perf_hooks modules, against Node's own
// (which is what they are under Node: here hbf's implementations are called
// directly). The QuickJS run (qjs/portable.mjs) checks them as globals.
import nodeUtil from "node:util";
import nodeTty from "node:tty";
import nodeHttp from "node:http";
import nodePerf from "node:perf_hooks";
import { captureStackTrace } from "hbf:bootstrap";
import { structuredClone as hbfClone } from "hbf:web_clone";
import * as hbfEvents from "hbf:web_events";
import hbfPerf from "hbf:node_perf_hooks";
import hbfTty from "hbf:node_tty";
import hbfHttp from "hbf:node_http";
import { Buffer as HB } from "hbf:node_buffer";
import { test, same, ok, Cases, outcome } from "../lib.mjs";

const NODE_EVENTS = { Event, EventTarget, CustomEvent, AbortController, AbortSignal };
const inspect = (v) => nodeUtil.inspect(v, { depth: 6, showHidden: false, breakLength: Infinity });
const errorOf = (fn) => {
  const r = outcome(fn);
  return r.error ? [r.error.name, r.error.code, r.error.message] : "no error";
};

test("Error.captureStackTrace as V8's: header, trimming, limit, prepareStackTrace, lazy text", () => {
  const c = new Cases("captureStackTrace");
  const both = (fn) => [fn(captureStackTrace), fn(Error.captureStackTrace)];
  const head = (s) => (typeof s === "string" ? s.split("\n")[0] : s);
  for (const target of [{}, { name: "X", message: "m" }, { message: "only" }, { name: "" }, { name: "N", message: "" }, new TypeError("t")]) {
    const [mine, theirs] = both((capture) => {
      const o = Object.assign(Object.create(Object.getPrototypeOf(target)), target);
      if (target instanceof Error) Object.defineProperty(o, "message", { value: target.message });
      capture(o);
      return head(o.stack);
    });
    c.check(`header of ${inspect(target)}`, mine, theirs);
  }
  function outer(capture, fnOpt) {
    return middle(capture, fnOpt);
  }
  function middle(capture, fnOpt) {
    return inner(capture, fnOpt);
  }
  function inner(capture, fnOpt) {
    const o = {};
    capture(o, fnOpt);
    return o.stack.split("\n").slice(1, 3).map((l) => /at (\S+)/.exec(l)?.[1]);
  }
  c.check("frames", outer(captureStackTrace), outer(Error.captureStackTrace));
  c.check("frames above fn dropped", outer(captureStackTrace, middle), outer(Error.captureStackTrace, middle));
  c.check("fn not on the stack", outer(captureStackTrace, function absent() {}), outer(Error.captureStackTrace, function absent() {}));
  const limit = Error.stackTraceLimit;
  for (const l of [0, 1, 3, "x"]) {
    Error.stackTraceLimit = l;
    const [mine, theirs] = both((capture) => {
      const o = {};
      capture(o);
      return [typeof o.stack, typeof o.stack === "string" ? o.stack.split("\n").length : null, "stack" in o];
    });
    c.check(`stackTraceLimit ${l}`, mine, theirs);
  }
  Error.stackTraceLimit = limit;
  const sites = both((capture) => {
    const prepare = Error.prepareStackTrace;
    Error.prepareStackTrace = (err, s) => s;
    try {
      const o = {};
      capture(o);  // the same line for both
      const s = o.stack;
      return [Array.isArray(s), s[0].getFunctionName(), s[0].getLineNumber(),
        typeof s[0].getColumnNumber(), /nodecompat-test/.test(s[0].getFileName()), s[0].isEval(), s[0].isNative(), s[0].isConstructor(),
        typeof s[0].toString(), s[0].getEvalOrigin()];
    } finally {
      Error.prepareStackTrace = prepare;
    }
  });
  c.check("call sites", sites[0], sites[1]);
  const lazy = both((capture) => {
    const err = new Error("msg");
    capture(err);
    err.name = "Renamed";
    err.message = "changed";
    const first = head(err.stack);
    err.name = "Again";
    return [first, head(err.stack), Object.getOwnPropertyDescriptor(err, "stack").enumerable];
  });
  c.check("text made on first read, then kept", lazy[0], lazy[1]);
  const assigned = both((capture) => {
    const o = {};
    capture(o);
    o.stack = "mine";
    return o.stack;
  });
  c.check("assignable", assigned[0], assigned[1]);
  for (const bad of [1, null, undefined, "s"]) c.check(`target ${bad}`, errorOf(() => captureStackTrace(bad)), errorOf(() => Error.captureStackTrace(bad)));
  c.check("function target", both((capture) => {
    const f = function () {};
    capture(f);
    return typeof f.stack;
  })[0], "string");
  c.check("length", captureStackTrace.length, 1);  // V8 reports 2; ours counts the required one
  c.done();
});

test("structuredClone of a corpus, cycles and errors, as Node's", () => {
  const c = new Cases("structuredClone");
  const shared = new ArrayBuffer(16);
  const circular = { name: "c" };
  circular.self = circular;
  const m = new Map([["k", { v: [1, 2] }]]);
  m.set(m, m);
  class K {
    constructor() {
      this.x = 1;
    }
    get y() {
      return 2;
    }
  }
  const sparse = [1, , 3];
  sparse.extra = "e";
  const re = /a+b/gimsuy;
  re.lastIndex = 3;
  const corpus = [1, -0, NaN, "s", 10n, true, null, undefined, [1, [2, [3]]], sparse, { a: 1, b: { c: [2] } }, new Date(86400000), re,
    new Map([[1, { a: 1 }], ["x", new Set([1, 2])]]), new Set(["a", { b: 1 }]), new Uint8Array([1, 2, 3]), new Float64Array([1.5, -2]),
    new BigInt64Array([1n, -2n]), new DataView(new ArrayBuffer(4), 1, 2), new ArrayBuffer(3), { u: new Uint8Array(shared, 2, 4), v: new Int32Array(shared) },
    new Uint8Array(8).subarray(2, 5), circular, m, new K(), Object.create(null, { a: { value: 1, enumerable: true }, b: { value: 2 } }),
    { get g() { return 5; } }, [new Number(1), new String("s"), new Boolean(false), Object(1n)], HB.from("buf"),
    new Error("e"), new TypeError("t", { cause: { deep: 1 } }), Object.assign(new RangeError("r"), { code: "X", name: "Custom" }),
    { [Symbol("s")]: 1, a: 2 }, Math, new (class extends Map {})([[1, 2]]), JSON];
  for (const value of corpus) {
    const mine = outcome(() => hbfClone(value));
    const theirs = outcome(() => structuredClone(value));
    const shape = (r) => (r.error ? r.error : r.value instanceof Error
      ? [r.value.constructor.name, r.value.name, r.value.message, r.value.cause, typeof r.value.stack, Object.getOwnPropertyNames(r.value).sort()]
      : [inspect(r.value), Object.prototype.toString.call(r.value), r.value?.constructor?.name]);
    c.check(`clone ${inspect(value).slice(0, 60)}`, shape(mine), shape(theirs));
  }
  const identity = (clone) => {
    const cm = clone(m);
    const cs = clone({ u: new Uint8Array(shared, 2, 4), v: new Int32Array(shared) });
    const cc = clone(circular);
    return [cm.get(cm) === cm, cm !== m, cs.u.buffer === cs.v.buffer, cs.u.buffer !== shared, cc.self === cc];
  };
  c.check("identities", identity(hbfClone), identity(structuredClone));
  for (const bad of [() => {}, function named(a) { return a; }, Symbol("x"), { f() {} }, { s: Symbol("y") }, new WeakMap(), new WeakSet(),
    Promise.resolve(), new WeakRef({}), (function* gen() {})()]) {
    c.check(`uncloneable ${String(typeof bad === "symbol" ? bad.toString() : inspect(bad))}`, errorOf(() => hbfClone(bad)), errorOf(() => structuredClone(bad)));
  }
  c.check("no argument", errorOf(() => hbfClone()), errorOf(() => structuredClone()));
  for (const options of [5, { transfer: 5 }, { transfer: [{}] }, null, undefined, {}]) {
    c.check(`options ${inspect(options)}`, errorOf(() => hbfClone(1, options)), errorOf(() => structuredClone(1, options)));
  }
  const transfer = (clone) => {
    const b = new Uint8Array([1, 2, 3]).buffer;
    const out = clone({ b }, { transfer: [b] });
    const twice = errorOf(() => clone(1, { transfer: [b, b] }));
    return [out.b.byteLength, b.byteLength, Array.from(new Uint8Array(out.b)), errorOf(() => clone(b)), twice[0]];
  };
  c.check("transfer detaches", transfer(hbfClone), transfer(structuredClone));
  c.done();
});

function eventTrace({ Event, EventTarget, CustomEvent, AbortController, AbortSignal }) {
  const t = [];
  const target = new EventTarget();
  const h1 = (e) => t.push(["h1", e.type, e.eventPhase, e.currentTarget === target, e.target === target, e.composedPath().length]);
  target.addEventListener("a", h1);
  target.addEventListener("a", h1);  // duplicate: ignored
  target.addEventListener("a", (e) => t.push(["h2", e.eventPhase, e.currentTarget === null, e.cancelable, e.defaultPrevented]), { once: true });
  target.addEventListener("a", { handleEvent(e) { t.push(["object", this !== target, e.type]); } });
  t.push(["first", target.dispatchEvent(new Event("a"))]);
  t.push(["second", target.dispatchEvent(new Event("a"))]);
  target.removeEventListener("a", h1);
  const stopper = new EventTarget();
  stopper.addEventListener("s", (e) => {
    t.push("s1");
    e.stopImmediatePropagation();
  });
  stopper.addEventListener("s", () => t.push("s2 never"));
  stopper.dispatchEvent(new Event("s"));
  const cancelable = new Event("c", { cancelable: true, bubbles: true, composed: true });
  const ct = new EventTarget();
  ct.addEventListener("c", (e) => {
    e.preventDefault();
    t.push(["in", e.defaultPrevented, e.returnValue, e.bubbles, e.composed, e.isTrusted, typeof e.timeStamp]);
  });
  t.push(["cancel", ct.dispatchEvent(cancelable), cancelable.defaultPrevented, cancelable.eventPhase, cancelable.target === ct]);
  const notCancelable = new Event("n");
  notCancelable.preventDefault();
  t.push(["not cancelable", notCancelable.defaultPrevented, notCancelable.cancelBubble]);
  notCancelable.stopPropagation();
  t.push(["cancelBubble", notCancelable.cancelBubble, Event.AT_TARGET, notCancelable.BUBBLING_PHASE, String(notCancelable)]);
  const ac = new AbortController();
  const sig = new EventTarget();
  sig.addEventListener("q", () => t.push("q never"), { signal: ac.signal });
  ac.abort();
  sig.dispatchEvent(new Event("q"));
  sig.addEventListener("q", () => t.push("q added after abort never"), { signal: ac.signal });
  sig.dispatchEvent(new Event("q"));
  const signal = ac.signal;
  t.push(["signal", signal.aborted, signal.reason.name, signal.reason.code, signal.reason instanceof Error, String(signal), typeof signal.onabort]);
  const ac2 = new AbortController();
  ac2.signal.onabort = function (e) {
    t.push(["onabort", this === ac2.signal, e.type, e.isTrusted]);
  };
  ac2.abort({ custom: true });
  t.push(["custom reason", ac2.signal.reason]);
  t.push(["abort()", AbortSignal.abort().reason.message, AbortSignal.abort(7).reason]);
  const any = AbortSignal.any([ac2.signal]);
  t.push(["any", any.aborted, any.reason]);
  const pending = new AbortController();
  const combined = AbortSignal.any([pending.signal, new AbortController().signal]);
  pending.abort("later");
  t.push(["any later", combined.aborted, combined.reason]);
  const custom = new CustomEvent("x", { detail: [1] });
  t.push(["custom", custom.detail, new CustomEvent("y").detail, custom instanceof Event]);
  for (const fn of [() => new Event(), () => new Event("x", 1), () => target.addEventListener("x"), () => target.addEventListener("x", 1),
    () => target.dispatchEvent({ type: "x" }), () => new AbortSignal(), () => AbortSignal.timeout(-1), () => AbortSignal.timeout(1.5),
    () => AbortSignal.timeout("1"), () => AbortSignal.any(5), () => AbortSignal.any([1]), () => AbortSignal.abort("r").throwIfAborted(),
    () => new AbortController().signal.throwIfAborted()]) {
    const r = outcome(fn);
    t.push(r.error ? [r.error.name, r.error.code, r.error.message] : "ok");
  }
  return t;
}

test("Event, EventTarget, CustomEvent, AbortController, AbortSignal as Node's", async () => {
  same(eventTrace(hbfEvents), eventTrace(NODE_EVENTS));
  const timing = async ({ AbortSignal }) => {
    const s = AbortSignal.timeout(5);
    const before = s.aborted;
    const keep = setTimeout(() => {}, 1000);
    await new Promise((resolve) => s.addEventListener("abort", resolve));
    clearTimeout(keep);
    return [before, s.aborted, s.reason.name, s.reason.message, s.reason.code];
  };
  // hbf's timeout runs on the fake host timers: fire them.
  const { __fake } = await import("hbf:native");
  const mine = timing(hbfEvents);
  while (__fake.fireNext());
  same(await mine, await timing(NODE_EVENTS));
});

test("perf_hooks and the performance global", () => {
  const shape = (perf) => {
    const { performance, PerformanceEntry, PerformanceMark, PerformanceObserver } = perf;
    const mark = performance.mark("a", { detail: { x: 1 } });
    const later = performance.mark("b", { startTime: mark.startTime + 5 });
    const measure = performance.measure("m", "a", "b");
    const byOptions = performance.measure("o", { start: "a", duration: 2, detail: "d" });
    const out = [mark.name, mark.entryType, mark.duration, mark.detail, mark instanceof PerformanceEntry, mark.constructor.name,
      Object.keys(mark.toJSON()), measure.entryType, measure.duration, measure.constructor.name, byOptions.duration, byOptions.detail,
      performance.getEntriesByType("mark").length, performance.getEntriesByName("a").length,
      performance.getEntries().map((e) => e.name), typeof performance.now(), typeof performance.timeOrigin,
      Object.keys(performance.toJSON()), Object.prototype.toString.call(performance), typeof PerformanceObserver, later.startTime - mark.startTime,
      errorOf(() => performance.measure("x", "nope")), errorOf(() => new PerformanceEntry()), errorOf(() => new PerformanceMark()),
      Object.keys(perf).filter((k) => !["createHistogram", "monitorEventLoopDelay", "PerformanceResourceTiming"].includes(k)).sort()];
    performance.clearMarks();
    performance.clearMeasures();
    out.push(performance.getEntries().length);
    return out;
  };
  same(shape(hbfPerf), shape(nodePerf));
  const t0 = hbfPerf.performance.now();
  ok(hbfPerf.performance.now() >= t0, "monotonic");
});

test("tty as Node's for a descriptor that is not a terminal", () => {
  same([hbfTty.isatty(0), hbfTty.isatty(1), hbfTty.isatty(2), hbfTty.isatty(99), hbfTty.isatty("x")], [false, false, false, false, false]);
  for (const Ctor of ["ReadStream", "WriteStream"]) {
    const r = outcome(() => new hbfTty[Ctor](99));
    const n = outcome(() => new nodeTty[Ctor](99));
    same([r.error?.name, r.error?.code], [n.error?.name, n.error?.code], Ctor);
    const names = Object.getOwnPropertyNames(nodeTty[Ctor].prototype).filter((k) => !k.startsWith("_") && k !== "constructor");
    same(names.filter((k) => !(k in hbfTty[Ctor].prototype)), [], `${Ctor}.prototype methods`);
  }
  same(Object.keys(hbfTty).sort(), Object.keys(nodeTty).sort());
});

test("http: constants, header validation and the message classes as Node's", () => {
  const c = new Cases("http");
  c.check("METHODS", hbfHttp.METHODS, nodeHttp.METHODS);
  c.check("STATUS_CODES", { ...hbfHttp.STATUS_CODES }, { ...nodeHttp.STATUS_CODES });
  c.check("maxHeaderSize", hbfHttp.maxHeaderSize, nodeHttp.maxHeaderSize);
  for (const [name, value] of [["x-ok", "v"], ["bad name", "v"], ["", "v"], ["ok", "a\nb"], ["ok", undefined], ["ok", 5], ["ok", "\u00e9"],
    ["ok", "\u0100"], ["ok", "tab\tok"], ["Ünï", "v"]]) {
    c.check(`validate ${name}: ${value}`, errorOf(() => (hbfHttp.validateHeaderName(name), hbfHttp.validateHeaderValue(name, value))),
      errorOf(() => (nodeHttp.validateHeaderName(name), nodeHttp.validateHeaderValue(name, value))));
  }
  const headers = (http) => {
    const o = new http.OutgoingMessage();
    o.setHeader("X-A", 1);
    o.setHeader("Set-Cookie", ["a", "b"]);
    o.appendHeader("set-cookie", "c");
    o.setHeader("x-b", "2");
    o.removeHeader("X-B");
    return [{ ...o.getHeaders() }, o.getHeaderNames(), o.getRawHeaderNames(), o.hasHeader("x-a"), o.getHeader("X-A"), o.headersSent,
      errorOf(() => o.setHeader("bad name", 1)), errorOf(() => o.setHeader("x", undefined)), errorOf(() => o.getHeader(1))];
  };
  c.check("OutgoingMessage headers", headers(hbfHttp), headers(nodeHttp));
  const defaults = (http) => {
    const res = new http.ServerResponse({ method: "GET", httpVersionMajor: 1, httpVersionMinor: 1, headers: {} });
    const msg = new http.IncomingMessage(null);
    const agent = new http.Agent({ keepAlive: true });
    return [res.statusCode, res.statusMessage, res.sendDate, res.finished, res.headersSent, res.writableEnded,
      msg.headers, msg.url, msg.method, msg.statusCode, msg.httpVersion, msg.complete, msg.aborted, msg.readable,
      agent.keepAlive, agent.maxSockets, agent.maxFreeSockets, agent.keepAliveMsecs, agent.getName({ host: "h", port: 1 }),
      http.globalAgent instanceof http.Agent, Object.getPrototypeOf(http.ServerResponse.prototype) === http.OutgoingMessage.prototype,
      typeof Object.create(http.ServerResponse.prototype).setHeader, Object.keys(http).filter((k) => k !== "_connectionListener").sort()];
  };
  c.check("defaults", defaults(hbfHttp), defaults(nodeHttp));
  const head = (http) => {
    const res = new http.ServerResponse({ method: "GET", httpVersionMajor: 1, httpVersionMinor: 1, headers: {} });
    res.writeHead(404, { "X-Y": "z" });
    return [res.statusCode, res.statusMessage, res.getHeader("x-y"), res.headersSent, errorOf(() => res.setHeader("a", "b")),
      errorOf(() => new http.ServerResponse({}).writeHead(1000))];
  };
  c.check("writeHead", head(hbfHttp), head(nodeHttp));
  c.done();
  for (const fn of [() => hbfHttp.createServer(), () => hbfHttp.request("http://x"), () => hbfHttp.get("http://x"), () => new hbfHttp.Server()]) {
    const r = outcome(fn);
    same(r.error?.code, "ERR_HBF_UNSUPPORTED");
    ok(/not available in HBF/.test(r.error.message), r.error.message);
  }
});
