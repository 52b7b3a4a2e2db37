// hbf:node_zlib — Node's `zlib` module, after Node 20's lib/zlib.js, over
// hbf:native's compression streams (src/js/natives_zlib.h: zlib and brotli
// through src/codec, run synchronously).
//
// - Sync (`gzipSync`, ...): the same options, validation and errors as Node
//   (`ERR_OUT_OF_RANGE`, `ERR_INVALID_ARG_TYPE`, zlib's `Error`s with `errno`
//   and `code` such as Z_DATA_ERROR "incorrect header check", Z_BUF_ERROR
//   "unexpected end of file", `ERR_BUFFER_TOO_LARGE` past maxOutputLength).
// - Callback forms compute synchronously and call back on the next tick
//   (Node runs them on its thread pool), so util.promisify works on them.
// - Streams (`createGunzip()`, `new zlib.Gzip()`, ...) are Transforms from
//   hbf:node_stream: each write is compressed at once and its output pushed
//   in chunkSize pieces; flush(), params(), reset(), close(), bytesWritten.
//
// Differences from Node: compressed bytes come from Debian's zlib (and
// brotli 1.0.9), not Node's bundled Chromium zlib, so deflate output of
// larger inputs may differ from Node's byte for byte (both inflate each
// other's); no crc32 (Node 22).

import native from "hbf:native";
import { Buffer } from "hbf:node_buffer";
import { Transform, finished } from "hbf:node_stream";
import { nextTick } from "hbf:node_process";
import { nodeError, invalidArgType, outOfRange, validateFunction, validateNumber } from "hbf:node_errors";

export const constants = Object.freeze({
  __proto__: null,
  Z_NO_FLUSH: 0, Z_PARTIAL_FLUSH: 1, Z_SYNC_FLUSH: 2, Z_FULL_FLUSH: 3, Z_FINISH: 4, Z_BLOCK: 5, Z_OK: 0,
  Z_STREAM_END: 1, Z_NEED_DICT: 2, Z_ERRNO: -1, Z_STREAM_ERROR: -2, Z_DATA_ERROR: -3, Z_MEM_ERROR: -4,
  Z_BUF_ERROR: -5, Z_VERSION_ERROR: -6, Z_NO_COMPRESSION: 0, Z_BEST_SPEED: 1, Z_BEST_COMPRESSION: 9,
  Z_DEFAULT_COMPRESSION: -1, Z_FILTERED: 1, Z_HUFFMAN_ONLY: 2, Z_RLE: 3, Z_FIXED: 4, Z_DEFAULT_STRATEGY: 0,
  ZLIB_VERNUM: 4880, DEFLATE: 1, INFLATE: 2, GZIP: 3, GUNZIP: 4, DEFLATERAW: 5, INFLATERAW: 6, UNZIP: 7,
  BROTLI_DECODE: 8, BROTLI_ENCODE: 9, Z_MIN_WINDOWBITS: 8, Z_MAX_WINDOWBITS: 15, Z_DEFAULT_WINDOWBITS: 15,
  Z_MIN_CHUNK: 64, Z_MAX_CHUNK: Infinity, Z_DEFAULT_CHUNK: 16384, Z_MIN_MEMLEVEL: 1, Z_MAX_MEMLEVEL: 9,
  Z_DEFAULT_MEMLEVEL: 8, Z_MIN_LEVEL: -1, Z_MAX_LEVEL: 9, Z_DEFAULT_LEVEL: -1, BROTLI_OPERATION_PROCESS: 0,
  BROTLI_OPERATION_FLUSH: 1, BROTLI_OPERATION_FINISH: 2, BROTLI_OPERATION_EMIT_METADATA: 3, BROTLI_PARAM_MODE: 0,
  BROTLI_MODE_GENERIC: 0, BROTLI_MODE_TEXT: 1, BROTLI_MODE_FONT: 2, BROTLI_DEFAULT_MODE: 0, BROTLI_PARAM_QUALITY: 1,
  BROTLI_MIN_QUALITY: 0, BROTLI_MAX_QUALITY: 11, BROTLI_DEFAULT_QUALITY: 11, BROTLI_PARAM_LGWIN: 2,
  BROTLI_MIN_WINDOW_BITS: 10, BROTLI_MAX_WINDOW_BITS: 24, BROTLI_LARGE_MAX_WINDOW_BITS: 30, BROTLI_DEFAULT_WINDOW: 22,
  BROTLI_PARAM_LGBLOCK: 3, BROTLI_MIN_INPUT_BLOCK_BITS: 16, BROTLI_MAX_INPUT_BLOCK_BITS: 24,
  BROTLI_PARAM_DISABLE_LITERAL_CONTEXT_MODELING: 4, BROTLI_PARAM_SIZE_HINT: 5, BROTLI_PARAM_LARGE_WINDOW: 6,
  BROTLI_PARAM_NPOSTFIX: 7, BROTLI_PARAM_NDIRECT: 8, BROTLI_DECODER_RESULT_ERROR: 0, BROTLI_DECODER_RESULT_SUCCESS: 1,
  BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT: 2, BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT: 3,
  BROTLI_DECODER_PARAM_DISABLE_RING_BUFFER_REALLOCATION: 0, BROTLI_DECODER_PARAM_LARGE_WINDOW: 1,
  BROTLI_DECODER_NO_ERROR: 0, BROTLI_DECODER_SUCCESS: 1, BROTLI_DECODER_NEEDS_MORE_INPUT: 2,
  BROTLI_DECODER_NEEDS_MORE_OUTPUT: 3, BROTLI_DECODER_ERROR_FORMAT_EXUBERANT_NIBBLE: -1,
  BROTLI_DECODER_ERROR_FORMAT_RESERVED: -2, BROTLI_DECODER_ERROR_FORMAT_EXUBERANT_META_NIBBLE: -3,
  BROTLI_DECODER_ERROR_FORMAT_SIMPLE_HUFFMAN_ALPHABET: -4, BROTLI_DECODER_ERROR_FORMAT_SIMPLE_HUFFMAN_SAME: -5,
  BROTLI_DECODER_ERROR_FORMAT_CL_SPACE: -6, BROTLI_DECODER_ERROR_FORMAT_HUFFMAN_SPACE: -7,
  BROTLI_DECODER_ERROR_FORMAT_CONTEXT_MAP_REPEAT: -8, BROTLI_DECODER_ERROR_FORMAT_BLOCK_LENGTH_1: -9,
  BROTLI_DECODER_ERROR_FORMAT_BLOCK_LENGTH_2: -10, BROTLI_DECODER_ERROR_FORMAT_TRANSFORM: -11,
  BROTLI_DECODER_ERROR_FORMAT_DICTIONARY: -12, BROTLI_DECODER_ERROR_FORMAT_WINDOW_BITS: -13,
  BROTLI_DECODER_ERROR_FORMAT_PADDING_1: -14, BROTLI_DECODER_ERROR_FORMAT_PADDING_2: -15,
  BROTLI_DECODER_ERROR_FORMAT_DISTANCE: -16, BROTLI_DECODER_ERROR_DICTIONARY_NOT_SET: -19,
  BROTLI_DECODER_ERROR_INVALID_ARGUMENTS: -20, BROTLI_DECODER_ERROR_ALLOC_CONTEXT_MODES: -21,
  BROTLI_DECODER_ERROR_ALLOC_TREE_GROUPS: -22, BROTLI_DECODER_ERROR_ALLOC_CONTEXT_MAP: -25,
  BROTLI_DECODER_ERROR_ALLOC_RING_BUFFER_1: -26, BROTLI_DECODER_ERROR_ALLOC_RING_BUFFER_2: -27,
  BROTLI_DECODER_ERROR_ALLOC_BLOCK_TYPE_TREES: -30, BROTLI_DECODER_ERROR_UNREACHABLE: -31,
});

const C = constants;

// zlib's return codes both ways, as Node's `zlib.codes`.
export const codes = (() => {
  const c = { Z_OK: C.Z_OK, Z_STREAM_END: C.Z_STREAM_END, Z_NEED_DICT: C.Z_NEED_DICT, Z_ERRNO: C.Z_ERRNO,
    Z_STREAM_ERROR: C.Z_STREAM_ERROR, Z_DATA_ERROR: C.Z_DATA_ERROR, Z_MEM_ERROR: C.Z_MEM_ERROR,
    Z_BUF_ERROR: C.Z_BUF_ERROR, Z_VERSION_ERROR: C.Z_VERSION_ERROR };
  for (const name of Object.keys(c)) c[c[name]] = name;
  return Object.freeze(c);
})();

// Buffer's kMaxLength in Node 20 (2^32): the default maxOutputLength.
const kMaxLength = 2 ** 32;
const kError = Symbol("kError");
const kFlushFlag = Symbol("kFlushFlag");

// ---------------------------------------------------------------------------
// Validation (Node's checkFiniteNumber / checkRangesOrGetDefault)

function checkFiniteNumber(number, name) {
  if (number === undefined) return false;
  if (Number.isFinite(number)) return true;
  if (Number.isNaN(number)) return false;
  validateNumber(number, name);
  throw outOfRange(name, "a finite number", number);
}

function checkRangesOrGetDefault(number, name, lower, upper, def) {
  if (!checkFiniteNumber(number, name)) return def;
  if (number < lower || number > upper) throw outOfRange(name, `>= ${lower} and <= ${upper}`, number);
  return number;
}

const isAnyArrayBuffer = (v) =>
  v instanceof ArrayBuffer || (typeof SharedArrayBuffer === "function" && v instanceof SharedArrayBuffer);

/** A Uint8Array over any ArrayBufferView's bytes (no copy). */
function u8(view) {
  return view instanceof Uint8Array ? view : new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

function bufferTooLarge(max) {
  return nodeError(RangeError, "ERR_BUFFER_TOO_LARGE", `Cannot create a Buffer larger than ${max} bytes`);
}

function initFailed() {
  return nodeError(Error, "ERR_ZLIB_INITIALIZATION_FAILED", "Initialization failed");
}

/** Node's zlib error: a plain Error with `errno` and `code`. */
function zlibError(e) {
  if (!e || typeof e.errno !== "number" || typeof e.code !== "string") return e;
  const err = new Error(e.message);
  err.errno = e.errno;
  err.code = e.code;
  return err;
}

// The stronger of two flush flags (for the last chunk), as Node's maxFlush.
const flushiness = [];
[C.Z_NO_FLUSH, C.Z_BLOCK, C.Z_PARTIAL_FLUSH, C.Z_SYNC_FLUSH, C.Z_FULL_FLUSH, C.Z_FINISH].forEach((f, i) => {
  flushiness[f] = i;
});
const maxFlush = (a, b) => (flushiness[a] > flushiness[b] ? a : b);

// Zero-length chunks that carry a flush request through the stream's queue.
const flushBuffers = [];
for (let f = 0; f <= 5; f++) {
  flushBuffers[f] = Buffer.alloc(0);
  flushBuffers[f][kFlushFlag] = f;
}

// ---------------------------------------------------------------------------
// The processing core: one native feed per write.

/** Feeds `chunk` with `flushFlag`; the output as a Buffer. Throws zlib's errors and ERR_BUFFER_TOO_LARGE. */
function feed(self, chunk, flushFlag, maxOutput) {
  let out;
  try {
    out = native.zlibFeed(self._handle, u8(chunk), flushFlag, maxOutput);
  } catch (e) {
    throw zlibError(e);
  } finally {
    if (self._handle) self.bytesWritten = native.zlibBytesRead(self._handle);
  }
  if (out === null) throw bufferTooLarge(maxOutput);
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
}

function processChunkSync(self, chunk, flushFlag) {
  if (!self._handle) throw nodeError(Error, "ERR_ZLIB_BINDING_CLOSED", "zlib binding closed");
  try {
    return feed(self, chunk, flushFlag, self._maxOutputLength);
  } finally {
    close(self);
  }
}

// Node does a stream's work on its thread pool and completes it later; here
// it is done on the next tick, so events keep Node's order ('finish' before
// 'end', errors after write() returns).
function processChunk(self, chunk, flushFlag, cb) {
  nextTick(processChunkNow, self, chunk, flushFlag, cb);
}

function processChunkNow(self, chunk, flushFlag, cb) {
  if (!self._handle) {
    cb();
    return;
  }
  let out;
  try {
    // A stream has no output bound of its own (Node's neither): the
    // script's memory limit bounds one write's output.
    out = feed(self, chunk, flushFlag, Number.MAX_SAFE_INTEGER);
  } catch (err) {
    self.destroy(err);
    self[kError] = err;
    return;
  }
  // Pieces as Node's output buffer makes them: what is left of the current
  // chunkSize buffer first (a write's output starts where the last one's
  // stopped), then whole buffers, then the rest.
  const size = self._chunkSize;
  for (let at = 0; at < out.length;) {
    const n = Math.min(size - self._outOffset, out.length - at);
    self.push(n === out.length ? out : out.subarray(at, at + n));
    at += n;
    self._outOffset += n;
    if (self._outOffset >= size) self._outOffset = 0;
  }
  cb();
}

function close(engine) {
  if (!engine._handle) return;
  native.zlibClose(engine._handle);
  engine._handle = null;
}

// ---------------------------------------------------------------------------
// ZlibBase: the Transform every class shares.

function ZlibBase(opts, mode, handle, { flush, finishFlush, fullFlush }) {
  let chunkSize = C.Z_DEFAULT_CHUNK;
  let maxOutputLength = kMaxLength;
  const brotli = mode === C.BROTLI_ENCODE || mode === C.BROTLI_DECODE;
  const bounds = brotli ? [C.BROTLI_OPERATION_PROCESS, C.BROTLI_OPERATION_EMIT_METADATA] : [C.Z_NO_FLUSH, C.Z_BLOCK];
  if (opts) {
    chunkSize = opts.chunkSize;
    if (!checkFiniteNumber(chunkSize, "options.chunkSize")) {
      chunkSize = C.Z_DEFAULT_CHUNK;
    } else if (chunkSize < C.Z_MIN_CHUNK) {
      throw outOfRange("options.chunkSize", `>= ${C.Z_MIN_CHUNK}`, chunkSize);
    }
    flush = checkRangesOrGetDefault(opts.flush, "options.flush", bounds[0], bounds[1], flush);
    finishFlush = checkRangesOrGetDefault(opts.finishFlush, "options.finishFlush", bounds[0], bounds[1], finishFlush);
    maxOutputLength = checkRangesOrGetDefault(opts.maxOutputLength, "options.maxOutputLength", 1, kMaxLength, kMaxLength);
    if (opts.encoding || opts.objectMode || opts.writableObjectMode) {
      opts = { ...opts, encoding: null, objectMode: false, writableObjectMode: false };
    }
  }
  Transform.call(this, { autoDestroy: true, ...opts });
  this[kError] = null;
  this.bytesWritten = 0;
  this._handle = handle;
  this._outBuffer = null;
  this._outOffset = 0;
  this._chunkSize = chunkSize;
  this._defaultFlushFlag = flush;
  this._finishFlushFlag = finishFlush;
  this._defaultFullFlushFlag = fullFlush;
  this._info = opts && opts.info;
  this._maxOutputLength = maxOutputLength;
}
Object.setPrototypeOf(ZlibBase.prototype, Transform.prototype);
Object.setPrototypeOf(ZlibBase, Transform);

Object.defineProperty(ZlibBase.prototype, "_closed", {
  configurable: true,
  enumerable: true,
  get() {
    return !this._handle;
  },
});

// Node's deprecated alias of bytesWritten (DEP0108), without the warning.
Object.defineProperty(ZlibBase.prototype, "bytesRead", {
  configurable: true,
  enumerable: true,
  get() {
    return this.bytesWritten;
  },
  set(value) {
    this.bytesWritten = value;
  },
});

ZlibBase.prototype.reset = function reset() {
  if (!this._handle) throw new Error("zlib binding closed");
  try {
    native.zlibReset(this._handle);
  } catch (e) {
    throw zlibError(e);
  }
};

ZlibBase.prototype._flush = function _flush(callback) {
  this._transform(Buffer.alloc(0), "", callback);
};

// Node's: 'finish' comes at once and the last chunk is flushed from
// 'prefinish' (Transform's fallback when _final is overridden).
ZlibBase.prototype._final = function _final(callback) {
  callback();
};

ZlibBase.prototype.flush = function flush(kind, callback) {
  if (typeof kind === "function" || (kind === undefined && !callback)) {
    callback = kind;
    kind = this._defaultFullFlushFlag;
  }
  if (this.writableFinished) {
    if (callback) nextTick(callback);
  } else if (this.writableEnded) {
    if (callback) this.once("end", callback);
  } else {
    this.write(flushBuffers[kind], "", callback);
  }
};

ZlibBase.prototype.close = function close_(callback) {
  if (callback) finished(this, callback);
  this.destroy();
};

ZlibBase.prototype._destroy = function _destroy(err, callback) {
  close(this);
  callback(err);
};

ZlibBase.prototype._transform = function _transform(chunk, encoding, cb) {
  let flushFlag = this._defaultFlushFlag;
  if (typeof chunk[kFlushFlag] === "number") flushFlag = chunk[kFlushFlag];
  // The last chunk also finishes the stream.
  if (this.writableEnded && this.writableLength === chunk.byteLength) {
    flushFlag = maxFlush(flushFlag, this._finishFlushFlag);
  }
  processChunk(this, chunk, flushFlag, cb);
};

// Left for compatibility, as in Node: with a callback it is a write, without one synchronous.
ZlibBase.prototype._processChunk = function _processChunk(chunk, flushFlag, cb) {
  if (typeof cb === "function") processChunk(this, chunk, flushFlag, cb);
  else return processChunkSync(this, chunk, flushFlag);
};

// ---------------------------------------------------------------------------
// Zlib: the deflate/inflate family.

const zlibDefaultOpts = { flush: C.Z_NO_FLUSH, finishFlush: C.Z_FINISH, fullFlush: C.Z_FULL_FLUSH };

function Zlib(opts, mode) {
  let windowBits = C.Z_DEFAULT_WINDOWBITS;
  let level = C.Z_DEFAULT_COMPRESSION;
  let memLevel = C.Z_DEFAULT_MEMLEVEL;
  let strategy = C.Z_DEFAULT_STRATEGY;
  let dictionary;
  if (opts) {
    // 0 on the inflating side: the window size from the stream's header.
    if ((opts.windowBits == null || opts.windowBits === 0) &&
      (mode === C.INFLATE || mode === C.GUNZIP || mode === C.UNZIP)) {
      windowBits = 0;
    } else {
      // `{ windowBits: 8 }` is valid for deflate but not gzip.
      const min = C.Z_MIN_WINDOWBITS + (mode === C.GZIP ? 1 : 0);
      windowBits = checkRangesOrGetDefault(opts.windowBits, "options.windowBits", min, C.Z_MAX_WINDOWBITS,
        C.Z_DEFAULT_WINDOWBITS);
    }
    level = checkRangesOrGetDefault(opts.level, "options.level", C.Z_MIN_LEVEL, C.Z_MAX_LEVEL, C.Z_DEFAULT_COMPRESSION);
    memLevel = checkRangesOrGetDefault(opts.memLevel, "options.memLevel", C.Z_MIN_MEMLEVEL, C.Z_MAX_MEMLEVEL,
      C.Z_DEFAULT_MEMLEVEL);
    strategy = checkRangesOrGetDefault(opts.strategy, "options.strategy", C.Z_DEFAULT_STRATEGY, C.Z_FIXED,
      C.Z_DEFAULT_STRATEGY);
    dictionary = opts.dictionary;
    if (dictionary !== undefined && !ArrayBuffer.isView(dictionary)) {
      if (isAnyArrayBuffer(dictionary)) {
        dictionary = Buffer.from(dictionary);
      } else {
        throw invalidArgType("options.dictionary", "an instance of Buffer, TypedArray, DataView, or ArrayBuffer",
          dictionary);
      }
    }
  }
  const handle = native.zlibCreate(mode, windowBits, level, memLevel, strategy,
    dictionary === undefined ? undefined : u8(dictionary));
  if (handle === null) throw initFailed();
  ZlibBase.call(this, opts, mode, handle, zlibDefaultOpts);
  this._level = level;
  this._strategy = strategy;
}
Object.setPrototypeOf(Zlib.prototype, ZlibBase.prototype);
Object.setPrototypeOf(Zlib, ZlibBase);

Zlib.prototype.params = function params(level, strategy, callback) {
  checkRangesOrGetDefault(level, "level", C.Z_MIN_LEVEL, C.Z_MAX_LEVEL);
  checkRangesOrGetDefault(strategy, "strategy", C.Z_DEFAULT_STRATEGY, C.Z_FIXED);
  if (this._level !== level || this._strategy !== strategy) {
    this.flush(C.Z_SYNC_FLUSH, () => {
      if (!this._handle) return;
      try {
        native.zlibParams(this._handle, level, strategy);
      } catch (e) {
        this.destroy(zlibError(e));
        return;
      }
      if (!this.destroyed) {
        this._level = level;
        this._strategy = strategy;
        if (callback) callback();
      }
    });
  } else {
    nextTick(callback);
  }
};

/** A constructor callable with and without `new`, as Node's are. */
function zlibClass(name, mode) {
  const ctor = {
    [name]: function (opts) {
      if (!(this instanceof ctor)) return new ctor(opts);
      Zlib.call(this, opts, mode);
    },
  }[name];
  Object.setPrototypeOf(ctor.prototype, Zlib.prototype);
  Object.setPrototypeOf(ctor, Zlib);
  return ctor;
}

export const Deflate = zlibClass("Deflate", C.DEFLATE);
export const Inflate = zlibClass("Inflate", C.INFLATE);
export const Gzip = zlibClass("Gzip", C.GZIP);
export const Gunzip = zlibClass("Gunzip", C.GUNZIP);
export const DeflateRaw = zlibClass("DeflateRaw", C.DEFLATERAW);
export const InflateRaw = zlibClass("InflateRaw", C.INFLATERAW);
export const Unzip = zlibClass("Unzip", C.UNZIP);

// ---------------------------------------------------------------------------
// Brotli

const brotliDefaultOpts = {
  flush: C.BROTLI_OPERATION_PROCESS,
  finishFlush: C.BROTLI_OPERATION_FINISH,
  fullFlush: C.BROTLI_OPERATION_FLUSH,
};
const kMaxBrotliParam = 9;

function Brotli(opts, mode) {
  const params = new Array(kMaxBrotliParam + 1).fill(-1);
  if (opts?.params) {
    for (const origKey of Object.keys(opts.params)) {
      const key = +origKey;
      if (Number.isNaN(key) || key < 0 || key > kMaxBrotliParam || params[key] !== -1) {
        throw nodeError(RangeError, "ERR_BROTLI_INVALID_PARAM", `${origKey} is not a valid Brotli parameter`);
      }
      const value = opts.params[origKey];
      if (typeof value !== "number" && typeof value !== "boolean") {
        throw invalidArgType("options.params[key]", "of type number", opts.params[origKey]);
      }
      // Node stores them in a Uint32Array whose unset slots are 2^32-1.
      const stored = Number(value) >>> 0;
      params[key] = stored === 0xffffffff ? -1 : stored;
    }
  }
  const handle = native.brotliCreate(mode, params);
  if (handle === null) throw initFailed();
  ZlibBase.call(this, opts, mode, handle, brotliDefaultOpts);
}
Object.setPrototypeOf(Brotli.prototype, ZlibBase.prototype);
Object.setPrototypeOf(Brotli, ZlibBase);

function brotliClass(name, mode) {
  const ctor = {
    [name]: function (opts) {
      if (!(this instanceof ctor)) return new ctor(opts);
      Brotli.call(this, opts, mode);
    },
  }[name];
  Object.setPrototypeOf(ctor.prototype, Brotli.prototype);
  Object.setPrototypeOf(ctor, Brotli);
  return ctor;
}

export const BrotliCompress = brotliClass("BrotliCompress", C.BROTLI_ENCODE);
export const BrotliDecompress = brotliClass("BrotliDecompress", C.BROTLI_DECODE);

// ---------------------------------------------------------------------------
// Convenience methods

function zlibBufferSync(engine, buffer) {
  if (typeof buffer === "string") {
    buffer = Buffer.from(buffer);
  } else if (!ArrayBuffer.isView(buffer)) {
    if (isAnyArrayBuffer(buffer)) {
      buffer = Buffer.from(buffer);
    } else {
      throw invalidArgType("buffer", "of type string or an instance of Buffer, TypedArray, DataView, or ArrayBuffer",
        buffer);
    }
  }
  buffer = processChunkSync(engine, buffer, engine._finishFlushFlag);
  if (engine._info) return { buffer, engine };
  return buffer;
}

// Node runs these through the stream on its thread pool; here the work is
// synchronous and the callback comes on the next tick, with Node's results.
function zlibBuffer(engine, buffer, callback) {
  validateFunction(callback, "callback");
  if (typeof buffer !== "string" && !ArrayBuffer.isView(buffer) && !isAnyArrayBuffer(buffer)) {
    close(engine);
    throw invalidArgType("chunk", "of type string or an instance of Buffer, TypedArray, or DataView", buffer);
  }
  let result;
  let error = null;
  try {
    const out = processChunkSync(engine, typeof buffer === "string" ? Buffer.from(buffer) :
      isAnyArrayBuffer(buffer) ? Buffer.from(buffer) : buffer, engine._finishFlushFlag);
    result = engine._info ? { buffer: out, engine } : out;
  } catch (e) {
    error = e;
  }
  nextTick(() => (error ? callback(error) : callback(null, result)));
}

function createConvenienceMethod(ctor, sync) {
  if (sync) {
    return function syncBufferWrapper(buffer, opts) {
      return zlibBufferSync(new ctor(opts), buffer);
    };
  }
  return function asyncBufferWrapper(buffer, opts, callback) {
    if (typeof opts === "function") {
      callback = opts;
      opts = {};
    }
    return zlibBuffer(new ctor(opts), buffer, callback);
  };
}

export const deflate = createConvenienceMethod(Deflate, false);
export const deflateSync = createConvenienceMethod(Deflate, true);
export const gzip = createConvenienceMethod(Gzip, false);
export const gzipSync = createConvenienceMethod(Gzip, true);
export const deflateRaw = createConvenienceMethod(DeflateRaw, false);
export const deflateRawSync = createConvenienceMethod(DeflateRaw, true);
export const unzip = createConvenienceMethod(Unzip, false);
export const unzipSync = createConvenienceMethod(Unzip, true);
export const inflate = createConvenienceMethod(Inflate, false);
export const inflateSync = createConvenienceMethod(Inflate, true);
export const gunzip = createConvenienceMethod(Gunzip, false);
export const gunzipSync = createConvenienceMethod(Gunzip, true);
export const inflateRaw = createConvenienceMethod(InflateRaw, false);
export const inflateRawSync = createConvenienceMethod(InflateRaw, true);
export const brotliCompress = createConvenienceMethod(BrotliCompress, false);
export const brotliCompressSync = createConvenienceMethod(BrotliCompress, true);
export const brotliDecompress = createConvenienceMethod(BrotliDecompress, false);
export const brotliDecompressSync = createConvenienceMethod(BrotliDecompress, true);

export const createDeflate = (o) => new Deflate(o);
export const createInflate = (o) => new Inflate(o);
export const createDeflateRaw = (o) => new DeflateRaw(o);
export const createInflateRaw = (o) => new InflateRaw(o);
export const createGzip = (o) => new Gzip(o);
export const createGunzip = (o) => new Gunzip(o);
export const createUnzip = (o) => new Unzip(o);
export const createBrotliCompress = (o) => new BrotliCompress(o);
export const createBrotliDecompress = (o) => new BrotliDecompress(o);

const zlib = {
  Deflate, Inflate, Gzip, Gunzip, DeflateRaw, InflateRaw, Unzip, BrotliCompress, BrotliDecompress, deflate,
  deflateSync, gzip, gzipSync, deflateRaw, deflateRawSync, unzip, unzipSync, inflate, inflateSync, gunzip,
  gunzipSync, inflateRaw, inflateRawSync, brotliCompress, brotliCompressSync, brotliDecompress, brotliDecompressSync,
  createDeflate, createInflate, createDeflateRaw, createInflateRaw, createGzip, createGunzip, createUnzip,
  createBrotliCompress, createBrotliDecompress, constants, codes,
};

// The legacy top-level constants: Node defines the zlib ones (not brotli's)
// read-only and not enumerable.
for (const name of Object.keys(constants)) {
  if (name.startsWith("BROTLI")) continue;
  Object.defineProperty(zlib, name, { value: constants[name], enumerable: false, writable: false, configurable: false });
}

export default zlib;
