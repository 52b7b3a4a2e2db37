// hbf:node_stream against node:stream: the same scenarios run on both
// modules and must leave the same trace of events, return values, callback
// order, errors and states. Asynchronous steps use setImmediate (a
// macrotask, after both modules' ticks), so both see the same schedule.
import nodeStream from "node:stream";
import nodeStreamPromises from "node:stream/promises";
import * as nodeConsumers from "node:stream/consumers";
import hbfStream from "hbf:node_stream";
import hbfStreamPromises from "hbf:node_stream_promises";
import * as hbfConsumers from "hbf:node_stream_consumers";
import { Buffer as HB } from "hbf:node_buffer";
import { inherits } from "hbf:node_util";
import { test, same, Cases } from "../lib.mjs";

const NODE = { S: nodeStream, P: nodeStreamPromises, C: nodeConsumers, B: Buffer, name: "node" };
const HBF = { S: hbfStream, P: hbfStreamPromises, C: hbfConsumers, B: HB, name: "hbf" };

const later = () => new Promise((resolve) => setImmediate(resolve));
async function settle(n = 6) {
  for (let i = 0; i < n; i++) await later();
}

const show = (v) => {
  if (v === undefined) return "undefined";
  if (v === null) return "null";
  if (v instanceof Uint8Array) return `<${new TextDecoder().decode(v)}>`;
  if (v instanceof Error) return `${v.name}|${v.code ?? ""}|${v.message}`;
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
};

function watch(stream, name, trace, events = ["data", "end", "finish", "prefinish", "close", "error", "drain", "pause", "resume", "readable", "pipe", "unpipe"]) {
  for (const ev of events) stream.on(ev, (arg) => trace.push(`${name}:${ev}${arg !== undefined && ev !== "pipe" && ev !== "unpipe" ? " " + show(arg) : ""}`));
}

const SCENARIOS = {
  async readableFlowing({ S }, t) {
    let n = 0;
    const r = new S.Readable({ highWaterMark: 4, read() { n++ < 3 ? this.push(`c${n}`) : this.push(null); } });
    t.push(`flowing ${r.readableFlowing}`);
    watch(r, "r", t);
    t.push(`after on(data) ${r.readableFlowing}`);
    await settle();
    t.push(`ended ${r.readableEnded} destroyed ${r.destroyed} closed ${r.closed}`);
  },
  async readablePaused({ S }, t) {
    const r = new S.Readable({ read() {} });
    r.push("hello ");
    r.push("world");
    r.on("readable", () => {
      let chunk;
      while ((chunk = r.read(3)) !== null) t.push(`read3 ${show(chunk)}`);
      t.push(`left ${r.readableLength}`);
    });
    watch(r, "r", t, ["end", "close"]);
    await settle(2);
    r.push(null);
    await settle();
    t.push(`read after end ${show(r.read())}`);
  },
  async readableEncoding({ S, B }, t) {
    const r = new S.Readable({ read() {} });
    r.setEncoding("utf8");
    const euro = B.from("€");
    r.push(euro.subarray(0, 1));
    r.push(euro.subarray(1));
    r.push(B.from("x"));
    r.push(null);
    watch(r, "r", t, ["data", "end"]);
    await settle();
    t.push(`encoding ${r.readableEncoding}`);
  },
  async readableObjectMode({ S }, t) {
    const r = new S.Readable({ objectMode: true, highWaterMark: 2, read() {} });
    t.push(`push ${r.push({ a: 1 })} ${r.push(0)} ${r.push("x")} len ${r.readableLength}`);
    r.unshift("first");
    const got = [];
    r.on("data", (d) => got.push(d));
    r.push(null);
    await settle();
    t.push(JSON.stringify(got));
  },
  async readableErrors({ S }, t) {
    const r = new S.Readable({ read() {} });
    watch(r, "r", t, ["error", "close", "end"]);
    r.push(null);
    r.push("late");
    await settle();
    t.push(`destroyed ${r.destroyed} errored ${show(r.errored)}`);
    const r2 = new S.Readable({ read() {} });
    watch(r2, "r2", t, ["error", "close"]);
    r2.push(42);
    await settle();
    const r3 = new S.Readable({ read() {} });
    watch(r3, "r3", t, ["error", "close"]);
    r3.destroy(new Error("boom"));
    t.push(`r3 destroyed ${r3.destroyed} readable ${r3.readable} aborted ${r3.readableAborted}`);
    await settle();
    const r4 = new S.Readable();
    watch(r4, "r4", t, ["error", "close"]);
    r4.read();
    await settle();
  },
  async readableFrom({ S, B }, t) {
    const sources = {
      array: [1, 2, 3],
      gen: (function* () { yield "a"; yield "b"; })(),
      async: (async function* () { yield "x"; await null; yield "y"; })(),
      string: "str",
      buffer: B.from("buf"),
      promises: [Promise.resolve(1), 2],
    };
    for (const [name, src] of Object.entries(sources)) {
      const got = [];
      const r = S.Readable.from(src);
      r.on("data", (d) => got.push(show(d)));
      await new Promise((resolve) => r.on("end", resolve));
      t.push(`${name} ${got.join(",")} objectMode ${r.readableObjectMode}`);
    }
    const bad = S.Readable.from([1, null, 2]);
    watch(bad, "bad", t, ["data", "error", "close"]);
    await settle();
    try {
      S.Readable.from(42);
    } catch (e) {
      t.push(show(e));
    }
  },
  async asyncIteration({ S }, t) {
    const r = S.Readable.from(["a", "b", "c"]);
    for await (const chunk of r) {
      t.push(`chunk ${chunk}`);
      if (chunk === "b") break;
    }
    t.push(`after break destroyed ${r.destroyed}`);
    const e = new S.Readable({ read() { this.destroy(new Error("mid")); } });
    try {
      for await (const chunk of e) t.push(`never ${chunk}`);
    } catch (err) {
      t.push(`caught ${show(err)}`);
    }
    const bytes = new S.Readable({ read() {} });
    bytes.push("ab");
    bytes.push("cd");
    bytes.push(null);
    const all = [];
    for await (const chunk of bytes) all.push(show(chunk));
    t.push(all.join(" "));
    t.push(JSON.stringify(await S.Readable.from([1, 2]).toArray()));
  },
  async writableBackpressure({ S }, t) {
    const w = new S.Writable({
      highWaterMark: 5,
      write(chunk, enc, cb) {
        t.push(`write ${show(chunk)} ${enc}`);
        setImmediate(cb);
      },
    });
    watch(w, "w", t, ["drain", "finish", "prefinish", "close", "error"]);
    t.push(`ret ${w.write("abc", () => t.push("cb1"))}`);
    t.push(`ret ${w.write("def", () => t.push("cb2"))} len ${w.writableLength} needDrain ${w.writableNeedDrain}`);
    t.push(`ret ${w.write("g")}`);
    await settle();
    w.end("z", () => t.push("end cb"));
    t.push(`ended ${w.writableEnded} finished ${w.writableFinished}`);
    await settle();
    t.push(`finished ${w.writableFinished} destroyed ${w.destroyed}`);
  },
  async writableSyncAndErrors({ S }, t) {
    const w = new S.Writable({ write(chunk, enc, cb) { t.push(`write ${show(chunk)}`); cb(); } });
    watch(w, "w", t, ["finish", "close", "error", "drain"]);
    w.write("a", () => t.push("cb a"));
    w.write("b", () => t.push("cb b"));
    w.end();
    w.write("late", (err) => t.push(`late cb ${show(err)}`));
    w.end((err) => t.push(`end again ${show(err)}`));
    await settle();
    for (const bad of [() => w.write(null), () => new S.Writable().write(1), () => new S.Writable().write("x", "nope"),
      () => new S.Writable({ highWaterMark: -1 })]) {
      try {
        bad();
        t.push("no error");
      } catch (e) {
        t.push(show(e));
      }
    }
    const unimplemented = new S.Writable();
    watch(unimplemented, "u", t, ["error", "close"]);
    try {
      unimplemented.write("x");
    } catch (e) {
      t.push(`thrown ${show(e)}`);
    }
    await settle();
  },
  async writableCorkWritev({ S }, t) {
    const w = new S.Writable({
      writev(chunks, cb) {
        t.push(`writev ${chunks.map((c) => show(c.chunk)).join("+")} allBuffers ${chunks.allBuffers}`);
        cb();
      },
      write(chunk, enc, cb) {
        t.push(`write ${show(chunk)}`);
        cb();
      },
    });
    w.cork();
    w.write("a");
    w.write("b");
    w.write("c", () => t.push("cb c"));
    t.push(`corked ${w.writableCorked} buffered ${w.writableBuffer.length}`);
    process.nextTick(() => w.uncork());
    await settle();
    const s = new S.Writable({ decodeStrings: false, write(chunk, enc, cb) { t.push(`raw ${typeof chunk} ${enc}`); cb(); } });
    s.write("str", "latin1");
    s.setDefaultEncoding("hex");
    s.write("6869");
    await settle();
  },
  async writableFinal({ S }, t) {
    const w = new S.Writable({
      write(chunk, enc, cb) { cb(); },
      final(cb) {
        t.push("final");
        setImmediate(() => cb());
      },
    });
    watch(w, "w", t, ["prefinish", "finish", "close"]);
    w.end("x");
    await settle();
    const bad = new S.Writable({ write(c, e, cb) { cb(); }, final(cb) { cb(new Error("final failed")); } });
    watch(bad, "bad", t, ["finish", "error", "close"]);
    bad.end((err) => t.push(`end cb ${show(err)}`));
    await settle();
  },
  async writableDestroy({ S }, t) {
    const w = new S.Writable({ write(chunk, enc, cb) { setImmediate(cb); } });
    watch(w, "w", t, ["error", "close", "finish"]);
    w.write("a", (err) => t.push(`cb a ${show(err)}`));
    w.write("b", (err) => t.push(`cb b ${show(err)}`));
    w.end((err) => t.push(`end cb ${show(err)}`));
    w.destroy(new Error("stop"));
    t.push(`destroyed ${w.destroyed} writable ${w.writable} errored ${show(w.errored)}`);
    await settle();
    w.write("c", (err) => t.push(`cb c ${show(err)}`));
    await settle();
  },
  async duplexAndTransform({ S }, t) {
    const d = new S.Duplex({
      allowHalfOpen: false,
      read() {},
      write(chunk, enc, cb) { t.push(`d write ${show(chunk)}`); cb(); },
    });
    watch(d, "d", t, ["end", "finish", "close", "data"]);
    d.write("in");
    d.push("out");
    d.push(null);
    await settle();
    t.push(`d writableEnded ${d.writableEnded} destroyed ${d.destroyed}`);
    const up = new S.Transform({
      transform(chunk, enc, cb) {
        this.push(chunk.toString().toUpperCase());
        cb(null, "|");
      },
      flush(cb) { cb(null, "!"); },
    });
    watch(up, "t", t, ["data", "end", "finish", "prefinish", "close"]);
    up.write("ab");
    up.end("cd");
    await settle();
    const objects = new S.Transform({ objectMode: true, transform(o, e, cb) { cb(null, { v: o.v * 2 }); } });
    objects.on("data", (o) => t.push(`obj ${JSON.stringify(o)}`));
    objects.write({ v: 1 });
    objects.end({ v: 2 });
    await settle();
    const pt = new S.PassThrough();
    pt.end("through");
    t.push(`pt ${show(pt.read())}`);
    const halfOff = new S.Duplex({ readable: false, write(c, e, cb) { cb(); } });
    t.push(`readable false: ${halfOff.readable} ${halfOff.writable}`);
  },
  async pipeBackpressure({ S }, t) {
    let i = 0;
    const src = new S.Readable({
      highWaterMark: 2,
      objectMode: true,
      read() { this.push(i < 12 ? `n${i++}` : null); },
    });
    const written = [];
    const dst = new S.Writable({
      highWaterMark: 3,
      objectMode: true,
      write(chunk, enc, cb) {
        written.push(chunk);
        setImmediate(cb);
      },
    });
    let pauses = 0;
    let drains = 0;
    src.on("pause", () => pauses++);
    dst.on("drain", () => drains++);
    watch(dst, "dst", t, ["pipe", "unpipe", "finish", "close"]);
    watch(src, "src", t, ["end", "close"]);
    src.pipe(dst);
    await settle(40);
    t.push(`written ${written.join(",")} pauses ${pauses} drains ${drains}`);
  },
  async pipeManyAndUnpipe({ S }, t) {
    const src = new S.PassThrough();
    const a = new S.PassThrough();
    const b = new S.PassThrough();
    a.on("data", (d) => t.push(`a ${show(d)}`));
    b.on("data", (d) => t.push(`b ${show(d)}`));
    src.pipe(a);
    src.pipe(b);
    src.write("1");
    await settle();
    src.unpipe(b);
    src.write("2");
    await settle();
    src.unpipe();
    t.push(`flowing ${src.readableFlowing} paused ${src.isPaused()}`);
    src.end("3");
    await settle();
    t.push(`a ended ${a.writableEnded} b ended ${b.writableEnded}`);
  },
  async pipelineCallback({ S }, t) {
    const upper = new S.Transform({ transform(c, e, cb) { cb(null, c.toString().toUpperCase()); } });
    const out = [];
    const sink = new S.Writable({ write(c, e, cb) { out.push(c.toString()); cb(); } });
    const ret = S.pipeline(S.Readable.from(["a", "b"]), upper, sink, (err, v) => t.push(`done ${show(err)} ${out.join("")}`));
    t.push(`returns last ${ret === sink}`);
    await settle();
    const streams = [S.Readable.from(["x"]), new S.Transform({ transform(c, e, cb) { cb(new Error("mid")); } }), new S.PassThrough()];
    S.pipeline(...streams, (err) => t.push(`failed ${show(err)}`));
    await settle();
    t.push(`destroyed ${streams.map((s) => s.destroyed).join(",")}`);
    S.pipeline(S.Readable.from(["q", "r"]), async function* (source) {
      for await (const chunk of source) yield chunk + "!";
    }, async function (source) {
      let all = "";
      for await (const chunk of source) all += chunk;
      return all;
    }, (err, value) => t.push(`generators ${show(err)} ${value}`));
    await settle();
    for (const bad of [() => S.pipeline(S.Readable.from([1])), () => S.pipeline(S.Readable.from([1]), () => {})]) {
      try {
        bad();
      } catch (e) {
        t.push(show(e));
      }
    }
  },
  async pipelinePromises({ S, P }, t) {
    const out = [];
    await P.pipeline(S.Readable.from(["p", "q"]), new S.Writable({ write(c, e, cb) { out.push(c.toString()); cb(); } }));
    t.push(`awaited ${out.join("")}`);
    const ac = new AbortController();
    const slow = new S.Readable({ read() {} });
    const p = P.pipeline(slow, new S.PassThrough(), { signal: ac.signal });
    ac.abort();
    try {
      await p;
    } catch (e) {
      t.push(`aborted ${e.name} ${e.code}`);
    }
    t.push(`slow destroyed ${slow.destroyed}`);
    const w = new S.Writable({ write(c, e, cb) { cb(); } });
    const fin = P.finished(w);
    w.end("x");
    await fin;
    t.push("finished resolved");
    t.push(`same ${S.promises.pipeline === P.pipeline}`);
  },
  async finishedCallback({ S }, t) {
    const r = new S.Readable({ read() {} });
    const cleanup = S.finished(r, (err) => t.push(`r ${show(err)}`));
    t.push(`cleanup ${typeof cleanup}`);
    r.destroy();
    await settle();
    const ok = S.Readable.from(["a"]);
    S.finished(ok, (err) => t.push(`ok ${show(err)}`));
    ok.resume();
    await settle();
    const e = new S.Writable({ write(c, enc, cb) { cb(new Error("w failed")); } });
    e.on("error", () => {});
    S.finished(e, (err) => t.push(`e ${show(err)}`));
    e.write("x");
    await settle();
    const done = new S.PassThrough();
    done.end();
    done.resume();
    await settle();
    S.finished(done, (err) => t.push(`already ${show(err)}`));
    await settle();
  },
  async abortSignals({ S }, t) {
    const ac = new AbortController();
    const r = new S.Readable({ read() {}, signal: ac.signal });
    watch(r, "r", t, ["error", "close"]);
    ac.abort();
    await settle();
    t.push(`errored ${show(r.errored)}`);
    const ac2 = new AbortController();
    const w = S.addAbortSignal(ac2.signal, new S.Writable({ write(c, e, cb) { cb(); } }));
    watch(w, "w", t, ["error", "close"]);
    ac2.abort();
    await settle();
    try {
      S.addAbortSignal({}, new S.PassThrough());
    } catch (e) {
      t.push(show(e));
    }
  },
  async construct({ S }, t) {
    const w = new S.Writable({
      construct(cb) {
        t.push("construct");
        setImmediate(cb);
      },
      write(c, e, cb) {
        t.push(`write ${show(c)}`);
        cb();
      },
    });
    w.write("early");
    t.push("after write");
    w.end();
    watch(w, "w", t, ["finish", "close"]);
    await settle();
    const r = new S.Readable({
      construct(cb) { cb(new Error("no")); },
      read() {},
    });
    watch(r, "r", t, ["error", "close"]);
    await settle();
  },
  async legacyAndInherits({ S }, t) {
    const legacy = new S.Stream();
    const sink = new S.PassThrough();
    sink.on("data", (d) => t.push(`sink ${show(d)}`));
    legacy.pipe(sink);
    legacy.emit("data", "one");
    legacy.emit("end");
    await settle();
    t.push(`sink ended ${sink.writableEnded}`);
    function Counter(opts) {
      S.Readable.call(this, opts);
      this.n = 0;
    }
    inherits(Counter, S.Readable);
    Counter.prototype._read = function () {
      this.push(this.n < 2 ? String(this.n++) : null);
    };
    const c = new Counter();
    c.on("data", (d) => t.push(`counter ${show(d)}`));
    await settle();
    t.push(`callable ${S.Readable() instanceof S.Readable} ${S.Writable() instanceof S.Writable}`);
    t.push(`instanceof ${new S.Duplex() instanceof S.Writable} ${new S.Transform() instanceof S.Readable} ` +
      `${new S.PassThrough() instanceof S.Transform} ${new S.Readable() instanceof S.Writable} ${new S.Readable() instanceof S}`);
    t.push(`helpers ${S.isReadable(new S.Readable())} ${S.isErrored(c)} ${S.isDisturbed(c)} ${S.getDefaultHighWaterMark(true)}`);
  },
  async consumers({ S, C }, t) {
    t.push(await C.text(S.Readable.from(["a", "é", "b"])));
    t.push(JSON.stringify(await C.json(S.Readable.from(['{"x":', "1}"]))));
    t.push(show(await C.buffer(S.Readable.from(["ab", "cd"]))));
    t.push(String((await C.arrayBuffer(S.Readable.from(["xyz"]))).byteLength));
  },
};

test("stream scenarios leave the same trace as Node's streams", async () => {
  const c = new Cases("stream scenario");
  for (const [name, scenario] of Object.entries(SCENARIOS)) {
    const traces = [];
    for (const env of [NODE, HBF]) {
      const t = [];
      try {
        await scenario(env, t);
      } catch (e) {
        t.push(`threw ${show(e)}`);
      }
      await settle();
      traces.push(t);
    }
    if (process.env.HBF_STREAM_TRACES) console.log(name, traces[0]);
    c.check(name, traces[1], traces[0]);
  }
  c.done();
});

test("the stream module's shape", () => {
  const names = ["Readable", "Writable", "Duplex", "Transform", "PassThrough", "Stream", "pipeline", "finished", "addAbortSignal",
    "destroy", "isReadable", "isErrored", "isDisturbed", "setDefaultHighWaterMark", "getDefaultHighWaterMark", "promises"];
  same(names.filter((n) => typeof hbfStream[n] !== typeof nodeStream[n]), [], "same kinds");
  same(typeof hbfStream, "function", "require('stream') is the legacy Stream constructor");
  same(Object.getPrototypeOf(hbfStream.prototype).constructor.name, "EventEmitter");
  same(hbfStream.Readable.prototype.readable, nodeStream.Readable.prototype.readable);
});
