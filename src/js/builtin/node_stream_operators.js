// hbf:node_stream_operators — Readable's async iterator and the experimental
// promise-returning operators (toArray, forEach, map, ...). Only function
// declarations: hbf:node_stream_readable calls installOperators() once
// Readable.prototype is built, so the prototype's properties keep their order
// whichever module is evaluated first.

import { nodeError, invalidArgType } from "hbf:node_errors";
import { nop, aggregateTwoErrors, destroyer } from "hbf:node_stream_internal";
import { Readable } from "hbf:node_stream_readable";
import { eos } from "hbf:node_stream_eos";

function streamToAsyncIterator(stream, options) {
  if (typeof stream.read !== "function") stream = Readable.wrap(stream, { objectMode: true });
  const iter = createAsyncIterator(stream, options);
  iter.stream = stream;
  return iter;
}

async function* createAsyncIterator(stream, options) {
  let callback = nop;
  function next(resolve) {
    if (this === stream) {
      callback();
      callback = nop;
    } else {
      callback = resolve;
    }
  }
  stream.on("readable", next);
  let error;
  const cleanup = eos(stream, { writable: false }, (err) => {
    error = err ? aggregateTwoErrors(error, err) : null;
    callback();
    callback = nop;
  });
  try {
    while (true) {
      const chunk = stream.destroyed ? null : stream.read();
      if (chunk !== null) yield chunk;
      else if (error) throw error;
      else if (error === null) return;
      else await new Promise(next);
    }
  } catch (err) {
    error = aggregateTwoErrors(error, err);
    throw error;
  } finally {
    if ((error || options?.destroyOnReturn !== false) && (error === undefined || stream._readableState.autoDestroy)) {
      destroyer(stream, null);
    } else {
      stream.off("readable", next);
      cleanup();
    }
  }
}

// The experimental promise-returning operators packages use most: installed
// on Readable.prototype by hbf:node_stream_readable, after its own methods.
export function installOperators() {
  Object.assign(Readable.prototype, {
    async toArray(options) {
      const result = [];
      for await (const chunk of this.iterator({ destroyOnReturn: true })) {
        options?.signal?.throwIfAborted();
        result.push(chunk);
      }
      return result;
    },
    async forEach(fn, options) {
      if (typeof fn !== "function") throw invalidArgType("fn", "of type function", fn);
      for await (const chunk of this.iterator({ destroyOnReturn: true })) {
        options?.signal?.throwIfAborted();
        await fn(chunk, { signal: options?.signal });
      }
    },
    async reduce(reducer, ...initial) {
      if (typeof reducer !== "function") throw invalidArgType("reducer", "of type function", reducer);
      let hasInitial = initial.length > 0;
      let acc = initial[0];
      for await (const chunk of this.iterator({ destroyOnReturn: true })) {
        if (!hasInitial) {
          acc = chunk;
          hasInitial = true;
        } else {
          acc = await reducer(acc, chunk, {});
        }
      }
      if (!hasInitial) throw nodeError(TypeError, "ERR_INVALID_ARGS", "Reduce of an empty stream requires an initial value");
      return acc;
    },
    async some(fn) {
      for await (const chunk of this.iterator({ destroyOnReturn: true })) if (await fn(chunk, {})) return true;
      return false;
    },
    async every(fn) {
      for await (const chunk of this.iterator({ destroyOnReturn: true })) if (!(await fn(chunk, {}))) return false;
      return true;
    },
    async find(fn) {
      for await (const chunk of this.iterator({ destroyOnReturn: true })) if (await fn(chunk, {})) return chunk;
      return undefined;
    },
    map(fn) {
      if (typeof fn !== "function") throw invalidArgType("fn", "of type function", fn);
      const source = this;
      return Readable.from((async function* () {
        for await (const chunk of source) yield await fn(chunk, {});
      })());
    },
    filter(fn) {
      if (typeof fn !== "function") throw invalidArgType("fn", "of type function", fn);
      const source = this;
      return Readable.from((async function* () {
        for await (const chunk of source) if (await fn(chunk, {})) yield chunk;
      })());
    },
  });
  for (const name of ["toArray", "forEach", "reduce", "some", "every", "find", "map", "filter"]) {
    Object.defineProperty(Readable.prototype, name, { enumerable: false });
  }
}

export { streamToAsyncIterator };
