// hbf:node_stream — Node's `stream` module, ported from Node 20's
// lib/internal/streams (readable, writable, duplex, transform, passthrough,
// legacy, destroy, end-of-stream, pipeline, from, add-abort-signal, state,
// utils) with plain boolean state fields instead of Node's bit fields. The
// algorithms, event order and error codes are Node's: object mode,
// highWaterMark backpressure (write() returning false, 'drain', pipe()
// pausing), 'readable'/'data'/'end'/'finish'/'close' ordering on
// process.nextTick, destroy(err), async iteration, Readable.from,
// pipeline (callback, and promises from hbf:node_stream_promises),
// finished, addAbortSignal, construct().
//
// `require("stream")` is the legacy Stream constructor (an EventEmitter with
// pipe()) carrying Readable, Writable, Duplex, Transform, PassThrough,
// pipeline, finished, promises, ... as Node's is. Not provided: web streams
// (Readable.fromWeb/toWeb, stream/web), compose(), and the experimental
// operators other than toArray/forEach/map/filter/reduce/some/every/find
// (which throw ERR_HBF_UNSUPPORTED or are absent).
//
// This module assembles the stream module from its parts, as Node's lib/stream.js
// does: hbf:node_stream_internal (errors, utils, highWaterMark state, destroy,
// the legacy Stream), hbf:node_stream_readable (+ _operators, _from),
// hbf:node_stream_writable, hbf:node_stream_duplex (Duplex, Transform,
// PassThrough), hbf:node_stream_eos (finished, addAbortSignal) and
// hbf:node_stream_pipeline (pipeline, promises, compose, duplexPair).

import {
  AbortError, getDefaultHighWaterMark, setDefaultHighWaterMark, Stream, isDestroyed, isDisturbed, isErrored, isReadable,
  isWritable, destroyer, isArrayBufferView, uint8ArrayToBuffer,
} from "hbf:node_stream_internal";
import { Readable } from "hbf:node_stream_readable";
import { Writable } from "hbf:node_stream_writable";
import { Duplex, Transform, PassThrough } from "hbf:node_stream_duplex";
import { finished, eos, addAbortSignal } from "hbf:node_stream_eos";
import { pipeline, promises, compose, duplexPair } from "hbf:node_stream_pipeline";

export {
  AbortError, getDefaultHighWaterMark, setDefaultHighWaterMark, Stream, Readable, Writable, Duplex, Transform,
  PassThrough, finished, addAbortSignal, pipeline, promises, compose, duplexPair,
};

// ---------------------------------------------------------------------------
// The module: `require("stream")` is Stream itself, carrying everything.

Object.assign(Stream, {
  isDestroyed, isDisturbed, isErrored, isReadable, isWritable, Readable, Writable, Duplex, Transform, PassThrough, pipeline,
  addAbortSignal, finished: eos, destroy: destroyer, compose, duplexPair, setDefaultHighWaterMark, getDefaultHighWaterMark,
  Stream, _isArrayBufferView: isArrayBufferView, _isUint8Array: (v) => v instanceof Uint8Array,
  _uint8ArrayToBuffer: uint8ArrayToBuffer,
});
Object.defineProperty(Stream, "promises", { configurable: true, enumerable: true, get: () => promises });

export { isDestroyed, isDisturbed, isErrored, isReadable, isWritable, destroyer as destroy };
export default Stream;
