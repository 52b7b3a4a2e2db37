// hbf:node_stream_eos — finished()/end-of-stream and addAbortSignal (Node 20's
// lib/internal/streams/{end-of-stream,add-abort-signal}.js).

import { nextTick } from "hbf:node_process";
import { invalidArgType } from "hbf:node_errors";
import {
  nop, E, AbortError, once, validateAbortSignal, addAbortListener, isReadableNodeStream, isWritableNodeStream,
  isNodeStream, isWritableFinished, isReadableFinished, isReadable, isWritable, isWritableErrored, isReadableErrored,
  isClosed, isRequest, willEmitClose,
} from "hbf:node_stream_internal";

// ---------------------------------------------------------------------------
// end-of-stream (finished)

export function finished(stream, options, callback) {
  return eos(...arguments);
}

function eos(stream, options, callback) {
  if (arguments.length === 2) {
    callback = options;
    options = {};
  } else if (options == null) {
    options = {};
  } else if (typeof options !== "object") {
    throw invalidArgType("options", "of type object", options);
  }
  if (typeof callback !== "function") throw invalidArgType("callback", "of type function", callback);
  validateAbortSignal(options.signal, "options.signal");
  callback = once(callback);
  if (!isNodeStream(stream)) throw invalidArgType("stream", "an instance of ReadableStream, WritableStream, or Stream", stream);
  const readable = options.readable ?? isReadableNodeStream(stream);
  const writable = options.writable ?? isWritableNodeStream(stream);
  const wState = stream._writableState;
  const rState = stream._readableState;
  const onlegacyfinish = () => {
    if (!stream.writable) onfinish();
  };
  // A stream that will emit 'close' is done at 'close' (which may carry its error), not before.
  let willClose = willEmitClose(stream) && isReadableNodeStream(stream) === readable &&
    isWritableNodeStream(stream) === writable;
  let writableFinished = isWritableFinished(stream, false);
  const onfinish = () => {
    writableFinished = true;
    if (stream.destroyed) willClose = false;
    if (willClose && (!stream.readable || readable)) return;
    if (!readable || readableFinished) callback.call(stream);
  };
  let readableFinished = isReadableFinished(stream, false);
  const onend = () => {
    readableFinished = true;
    if (stream.destroyed) willClose = false;
    if (willClose && (!stream.writable || writable)) return;
    if (!writable || writableFinished) callback.call(stream);
  };
  const onerror = (err) => {
    callback.call(stream, err);
  };
  let closed = isClosed(stream);
  const onclose = () => {
    closed = true;
    const errored = isWritableErrored(stream) || isReadableErrored(stream);
    if (errored && typeof errored !== "boolean") return callback.call(stream, errored);
    if (readable && !readableFinished && isReadableNodeStream(stream, true)) {
      if (!isReadableFinished(stream, false)) return callback.call(stream, E.prematureClose());
    }
    if (writable && !writableFinished) {
      if (!isWritableFinished(stream, false)) return callback.call(stream, E.prematureClose());
    }
    callback.call(stream);
  };
  const onclosed = () => {
    closed = true;
    const errored = isWritableErrored(stream) || isReadableErrored(stream);
    if (errored && typeof errored !== "boolean") return callback.call(stream, errored);
    callback.call(stream);
  };
  const onrequest = () => {
    stream.req.on("finish", onfinish);
  };
  if (isRequest(stream)) {
    stream.on("complete", onfinish);
    if (!willClose) stream.on("abort", onclose);
    if (stream.req) onrequest();
    else stream.on("request", onrequest);
  } else if (writable && !wState) {
    // Legacy streams.
    stream.on("end", onlegacyfinish);
    stream.on("close", onlegacyfinish);
  }
  if (!willClose && typeof stream.aborted === "boolean") stream.on("aborted", onclose);
  stream.on("end", onend);
  stream.on("finish", onfinish);
  if (options.error !== false) stream.on("error", onerror);
  stream.on("close", onclose);
  if (closed) {
    nextTick(onclose);
  } else if (wState?.errorEmitted || rState?.errorEmitted) {
    if (!willClose) nextTick(onclosed);
  } else if (!readable && (!willClose || isReadable(stream)) && (writableFinished || isWritable(stream) === false) &&
             (wState == null || wState.pendingcb === undefined || wState.pendingcb === 0)) {
    nextTick(onclosed);
  } else if (!writable && (!willClose || isWritable(stream)) && (readableFinished || isReadable(stream) === false)) {
    nextTick(onclosed);
  } else if (rState && stream.req && stream.aborted) {
    nextTick(onclosed);
  }
  const cleanup = () => {
    callback = nop;
    stream.removeListener("aborted", onclose);
    stream.removeListener("complete", onfinish);
    stream.removeListener("abort", onclose);
    stream.removeListener("request", onrequest);
    if (stream.req) stream.req.removeListener("finish", onfinish);
    stream.removeListener("end", onlegacyfinish);
    stream.removeListener("close", onlegacyfinish);
    stream.removeListener("finish", onfinish);
    stream.removeListener("end", onend);
    stream.removeListener("error", onerror);
    stream.removeListener("close", onclose);
  };
  if (options.signal && !closed) {
    const abort = () => {
      const endCallback = callback;
      cleanup();
      endCallback.call(stream, new AbortError(undefined, { cause: options.signal.reason }));
    };
    if (options.signal.aborted) {
      nextTick(abort);
    } else {
      const dispose = addAbortListener(options.signal, abort);
      const originalCallback = callback;
      callback = once((...args) => {
        dispose();
        originalCallback.apply(stream, args);
      });
    }
  }
  return cleanup;
}

function finishedPromise(stream, opts) {
  let autoCleanup = false;
  if (opts === null) opts = {};
  if (opts?.cleanup) {
    if (typeof opts.cleanup !== "boolean") throw invalidArgType("cleanup", "of type boolean", opts.cleanup);
    autoCleanup = opts.cleanup;
  }
  return new Promise((resolve, reject) => {
    const cleanup = eos(stream, opts, (err) => {
      if (autoCleanup) cleanup();
      if (err) reject(err);
      else resolve();
    });
  });
}

// ---------------------------------------------------------------------------
// addAbortSignal

export function addAbortSignal(signal, stream) {
  if (signal === null || typeof signal !== "object" || !("aborted" in signal)) {
    throw invalidArgType("signal", "an instance of AbortSignal", signal);
  }
  if (!isNodeStream(stream)) throw invalidArgType("stream", "an instance of ReadableStream, WritableStream, or Stream", stream);
  const onAbort = () => {
    stream.destroy(new AbortError(undefined, { cause: signal.reason }));
  };
  if (signal.aborted) {
    onAbort();
  } else {
    const dispose = addAbortListener(signal, onAbort);
    eos(stream, dispose);
  }
  return stream;
}

export { eos, finishedPromise };
