// Internal to src/js: hbf:native's functions behind hbf:node_zlib (Node's
// `zlib` module for scripts): a stream object per zlib or brotli stream
// (codec::CompressionStream), fed synchronously.
//
//   zlibCreate(mode, windowBits, level, memLevel, strategy, dictionary?)
//   brotliCreate(mode, params)      params: 10 numbers, -1 = the default
//       -> a stream object, or null when the library refuses the options
//   zlibFeed(stream, bytes, flush, maxOutput)
//       -> Uint8Array with all the output, or null when it would exceed
//          maxOutput bytes; throws an Error shaped as Node's (`message`,
//          `errno`, `code`: "incorrect header check", -3, "Z_DATA_ERROR")
//   zlibBytesRead(stream) -> input bytes consumed so far
//   zlibReset(stream), zlibParams(stream, level, strategy) -> undefined
//   zlibClose(stream) -> undefined; frees the library's state now
//
// Memory: a stream's state (deflate: ~256 KiB at the defaults) and each
// call's output are allocated from the runtime's allocator, so they count
// against the script's heap limit exactly like its own objects: a script
// cannot hold more streams, or inflate a larger bomb, than its memory limit
// allows. The object's finalizer frees a stream the script forgot.
//
// Thread safety: natives run on the worker's thread.
#pragma once

extern "C" {
#include <quickjs.h>
}

namespace hbf::js::internal {

JSValue NativeZlibCreate(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv);
JSValue NativeBrotliCreate(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv);
JSValue NativeZlibFeed(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv);
JSValue NativeZlibBytesRead(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv);
JSValue NativeZlibReset(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv);
JSValue NativeZlibParams(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv);
JSValue NativeZlibClose(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv);

}  // namespace hbf::js::internal
