// hbf:node_stream_duplex — Duplex (and Duplex.from), Transform and
// PassThrough (Node 20's lib/internal/streams/{duplex,duplexify,transform,
// passthrough}.js). Evaluated after hbf:node_stream_readable and
// hbf:node_stream_writable, whose prototypes it builds on.

import { nextTick } from "hbf:node_process";
import { invalidArgType } from "hbf:node_errors";
import {
  E, AbortError, kOnConstructed, isReadableNodeStream, isWritableNodeStream, isDuplexNodeStream, isNodeStream,
  isIterable, getHighWaterMark, construct, destroyer, Stream,
} from "hbf:node_stream_internal";
import { ReadableState, Readable } from "hbf:node_stream_readable";
import { WritableState, Writable } from "hbf:node_stream_writable";
import { from } from "hbf:node_stream_from";
import { eos, addAbortSignal } from "hbf:node_stream_eos";

// ---------------------------------------------------------------------------
// Duplex

export function Duplex(options) {
  if (!(this instanceof Duplex)) return new Duplex(options);
  this._readableState = new ReadableState(options, this, true);
  this._writableState = new WritableState(options, this, true);
  if (options) {
    this.allowHalfOpen = options.allowHalfOpen !== false;
    if (options.readable === false) {
      this._readableState.readable = false;
      this._readableState.ended = true;
      this._readableState.endEmitted = true;
    }
    if (options.writable === false) {
      this._writableState.writable = false;
      this._writableState.ending = true;
      this._writableState.ended = true;
      this._writableState.finished = true;
    }
    if (typeof options.read === "function") this._read = options.read;
    if (typeof options.write === "function") this._write = options.write;
    if (typeof options.writev === "function") this._writev = options.writev;
    if (typeof options.destroy === "function") this._destroy = options.destroy;
    if (typeof options.final === "function") this._final = options.final;
    if (typeof options.construct === "function") this._construct = options.construct;
    if (options.signal) addAbortSignal(options.signal, this);
  } else {
    this.allowHalfOpen = true;
  }
  Stream.call(this, options);
  if (this._construct != null) {
    construct(this, () => {
      this._readableState[kOnConstructed](this);
      this._writableState[kOnConstructed](this);
    });
  }
}
Object.setPrototypeOf(Duplex.prototype, Readable.prototype);
Object.setPrototypeOf(Duplex, Readable);
for (const method of Object.keys(Writable.prototype)) {
  if (!Duplex.prototype[method]) Duplex.prototype[method] = Writable.prototype[method];
}
Duplex.prototype.destroy = Writable.prototype.destroy;
{
  const d = (name) => Object.getOwnPropertyDescriptor(Writable.prototype, name);
  Object.defineProperties(Duplex.prototype, {
    writable: d("writable"),
    writableHighWaterMark: d("writableHighWaterMark"),
    writableObjectMode: d("writableObjectMode"),
    writableBuffer: d("writableBuffer"),
    writableLength: d("writableLength"),
    writableFinished: d("writableFinished"),
    writableCorked: d("writableCorked"),
    writableEnded: d("writableEnded"),
    writableNeedDrain: d("writableNeedDrain"),
    destroyed: {
      get() {
        if (this._readableState === undefined || this._writableState === undefined) return false;
        return this._readableState.destroyed && this._writableState.destroyed;
      },
      set(value) {
        if (this._readableState && this._writableState) {
          this._readableState.destroyed = value;
          this._writableState.destroyed = value;
        }
      },
    },
  });
}

// Duplex.from(): streams, iterables, promises of nothing, and
// { readable, writable } pairs (async generator functions are not supported).
Duplex.from = function (body) {
  if (isDuplexNodeStream(body)) return body;
  if (isReadableNodeStream(body)) return duplexify({ readable: body });
  if (isWritableNodeStream(body)) return duplexify({ writable: body });
  if (isNodeStream(body)) return duplexify({ writable: false, readable: false });
  if (isIterable(body)) return from(Duplexify, body, { objectMode: true, writable: false });
  if (body !== null && typeof body === "object" && (isReadableNodeStream(body.readable) || isWritableNodeStream(body.writable))) {
    return duplexify(body);
  }
  if (typeof body === "function") throw E.unsupported("stream.Duplex.from(function)");
  throw invalidArgType("body", "of type object or an instance of Stream, Iterable or AsyncIterable", body);
};
Duplex.fromWeb = function () {
  throw E.unsupported("stream.Duplex.fromWeb()");
};
Duplex.toWeb = function () {
  throw E.unsupported("stream.Duplex.toWeb()");
};

class Duplexify extends Duplex {
  constructor(options) {
    super(options);
    if (options?.readable === false) {
      this._readableState.readable = false;
      this._readableState.ended = true;
      this._readableState.endEmitted = true;
    }
    if (options?.writable === false) {
      this._writableState.writable = false;
      this._writableState.ending = true;
      this._writableState.ended = true;
      this._writableState.finished = true;
    }
  }
}

// One Duplex over a readable and/or a writable stream.
function duplexify(pair) {
  const r = pair.readable && typeof pair.readable.read !== "function" ? Readable.wrap(pair.readable) : pair.readable;
  const w = pair.writable;
  let readable = !!isReadableNodeStream(r);
  let writable = !!isWritableNodeStream(w);
  let ondrain;
  let onfinish;
  let onreadable;
  let onclose;
  let d;
  function onfinished(err) {
    const cb = onclose;
    onclose = null;
    if (cb) cb(err);
    else if (err) d.destroy(err);
  }
  d = new Duplexify({
    readableObjectMode: !!r?.readableObjectMode,
    writableObjectMode: !!w?.writableObjectMode,
    readable,
    writable,
  });
  if (writable) {
    eos(w, (err) => {
      writable = false;
      if (err) destroyer(r, err);
      onfinished(err);
    });
    d._write = function (chunk, encoding, callback) {
      if (w.write(chunk, encoding)) callback();
      else ondrain = callback;
    };
    d._final = function (callback) {
      w.end();
      onfinish = callback;
    };
    w.on("drain", function () {
      if (ondrain) {
        const cb = ondrain;
        ondrain = null;
        cb();
      }
    });
    w.on("finish", function () {
      if (onfinish) {
        const cb = onfinish;
        onfinish = null;
        cb();
      }
    });
  }
  if (readable) {
    eos(r, (err) => {
      readable = false;
      if (err) destroyer(r, err);
      onfinished(err);
    });
    r.on("readable", function () {
      if (onreadable) {
        const cb = onreadable;
        onreadable = null;
        cb();
      }
    });
    r.on("end", function () {
      d.push(null);
    });
    d._read = function () {
      while (true) {
        const buf = r.read();
        if (buf === null) {
          onreadable = d._read;
          return;
        }
        if (!d.push(buf)) return;
      }
    };
  }
  d._destroy = function (err, callback) {
    if (!err && onclose !== null) err = new AbortError();
    onreadable = null;
    ondrain = null;
    onfinish = null;
    if (onclose === null) {
      callback(err);
    } else {
      onclose = callback;
      destroyer(w, err);
      destroyer(r, err);
    }
  };
  return d;
}

// ---------------------------------------------------------------------------
// Transform / PassThrough

const kCallback = Symbol("kCallback");

export function Transform(options) {
  if (!(this instanceof Transform)) return new Transform(options);
  // A readable highWaterMark of 0 would stall a transform: Node makes the
  // writable side take over the buffering then.
  const readableHighWaterMark = options ? getHighWaterMark(false, options, "readableHighWaterMark", true) : null;
  if (readableHighWaterMark === 0) {
    options = { ...options, highWaterMark: null, readableHighWaterMark, writableHighWaterMark: options.writableHighWaterMark || 0 };
  }
  Duplex.call(this, options);
  // The readable side is pushed to from _write: 'readable' may be emitted at once.
  this._readableState.sync = false;
  this[kCallback] = null;
  if (options) {
    if (typeof options.transform === "function") this._transform = options.transform;
    if (typeof options.flush === "function") this._flush = options.flush;
  }
  // When _final is overridden, flush still runs from 'prefinish' (backwards compat).
  this.on("prefinish", prefinishTransform);
}
Object.setPrototypeOf(Transform.prototype, Duplex.prototype);
Object.setPrototypeOf(Transform, Duplex);

function finalTransform(cb) {
  if (typeof this._flush === "function" && !this.destroyed) {
    this._flush((er, data) => {
      if (er) {
        if (cb) cb(er);
        else this.destroy(er);
        return;
      }
      if (data != null) this.push(data);
      this.push(null);
      if (cb) cb();
    });
  } else {
    this.push(null);
    if (cb) cb();
  }
}

function prefinishTransform() {
  if (this._final !== finalTransform) finalTransform.call(this);
}

Transform.prototype._final = finalTransform;

Transform.prototype._transform = function (chunk, encoding, callback) {
  throw E.notImplemented("_transform()");
};

Transform.prototype._write = function (chunk, encoding, callback) {
  const rState = this._readableState;
  const wState = this._writableState;
  const length = rState.length;
  this._transform(chunk, encoding, (err, val) => {
    if (err) {
      callback(err);
      return;
    }
    if (val != null) this.push(val);
    if (rState.ended) {
      // The readable side ended (push(null) from _transform): nothing more is read.
      nextTick(callback);
    } else if (wState.ended || length === rState.length || rState.length < rState.highWaterMark) {
      callback();
    } else {
      // Backpressure: the next _read() lets the next chunk in.
      this[kCallback] = callback;
    }
  });
};

Transform.prototype._read = function () {
  if (this[kCallback]) {
    const callback = this[kCallback];
    this[kCallback] = null;
    callback();
  }
};

export function PassThrough(options) {
  if (!(this instanceof PassThrough)) return new PassThrough(options);
  Transform.call(this, options);
}
Object.setPrototypeOf(PassThrough.prototype, Transform.prototype);
Object.setPrototypeOf(PassThrough, Transform);

PassThrough.prototype._transform = function (chunk, encoding, cb) {
  cb(null, chunk);
};
