#include "js/natives_zlib.h"

#include <chrono>
#include <cstring>
#include <memory>
#include <new>
#include <string>

#include "codec/compression_stream.h"
#include "js/js_values.h"
#include "js/worker_access.h"

namespace hbf::js::internal {
namespace {

// The library's state comes from the runtime's allocator (counted, bounded
// by the memory limit); the runtime outlives every stream (finalizers run
// before it is freed).
void* RuntimeAlloc(void* opaque, size_t size) { return js_malloc_rt(static_cast<JSRuntime*>(opaque), size); }
void RuntimeFree(void* opaque, void* ptr) { js_free_rt(static_cast<JSRuntime*>(opaque), ptr); }

codec::Allocator RuntimeAllocator(JSContext* ctx) {
  return codec::Allocator{RuntimeAlloc, RuntimeFree, JS_GetRuntime(ctx)};
}

// What a stream object holds: the stream, or null once closed.
struct StreamHolder {
  std::unique_ptr<codec::CompressionStream> stream;
};

JSClassID StreamClassId() {
  static const JSClassID id = [] {
    JSClassID fresh = 0;
    return JS_NewClassID(&fresh);
  }();
  return id;
}

void FinalizeStream(JSRuntime* rt, JSValue val) {
  if (auto* h = static_cast<StreamHolder*>(JS_GetOpaque(val, StreamClassId())); h != nullptr) {
    h->~StreamHolder();
    js_free_rt(rt, h);
  }
}

JSValue NewStreamObject(JSContext* ctx, std::unique_ptr<codec::CompressionStream> stream) {
  JSRuntime* rt = JS_GetRuntime(ctx);
  const JSClassID id = StreamClassId();
  if (!JS_IsRegisteredClass(rt, id)) {
    JSClassDef def{};
    def.class_name = "CompressionStream";
    def.finalizer = FinalizeStream;
    if (JS_NewClass(rt, id, &def) < 0) return JS_EXCEPTION;
  }
  JSValue obj = JS_NewObjectClass(ctx, static_cast<int>(id));
  if (JS_IsException(obj)) return obj;
  void* memory = js_malloc(ctx, sizeof(StreamHolder));
  if (memory == nullptr) {
    JS_FreeValue(ctx, obj);
    return JS_EXCEPTION;
  }
  JS_SetOpaque(obj, new (memory) StreamHolder{std::move(stream)});
  return obj;
}

// The open stream argv[0] holds; null with an exception pending otherwise.
codec::CompressionStream* StreamOf(JSContext* ctx, int argc, JSValueConst* argv) {
  if (argc < 1) {
    JS_ThrowTypeError(ctx, "missing stream object");
    return nullptr;
  }
  auto* h = static_cast<StreamHolder*>(JS_GetOpaque2(ctx, argv[0], StreamClassId()));
  if (h == nullptr) return nullptr;
  if (h->stream == nullptr) {
    JS_ThrowTypeError(ctx, "zlib binding closed");
    return nullptr;
  }
  return h->stream.get();
}

bool IntArg(JSContext* ctx, int argc, JSValueConst* argv, int i, int& out) {
  int32_t v = 0;
  if (i >= argc || JS_ToInt32(ctx, &v, argv[i]) < 0) return false;
  out = v;
  return true;
}

// Node's error for a failed write: a plain Error with errno, then code.
JSValue ThrowCodecError(JSContext* ctx, const codec::CodecError& e) {
  JSValue err = JS_NewError(ctx);
  JS_DefinePropertyValueStr(ctx, err, "message", JS_NewStringLen(ctx, e.message.data(), e.message.size()),
                            JS_PROP_WRITABLE | JS_PROP_CONFIGURABLE);
  JS_SetPropertyStr(ctx, err, "errno", JS_NewInt32(ctx, e.number));
  JS_SetPropertyStr(ctx, err, "code", JS_NewStringLen(ctx, e.code.data(), e.code.size()));
  return JS_Throw(ctx, err);
}

// Collects output in memory from the runtime's allocator, up to a bound;
// the buffer becomes the ArrayBuffer's storage without a copy. QuickJS's
// interrupt handler cannot stop a native call, so the request's deadline is
// checked here, at every 16 KiB of output and between pieces of input.
class RuntimeBufferSink final : public codec::OutputSink {
 public:
  RuntimeBufferSink(JSRuntime* rt, size_t max, std::chrono::steady_clock::time_point deadline)
      : rt_(rt), max_(max), deadline_(deadline) {}
  ~RuntimeBufferSink() override { js_free_rt(rt_, data_); }
  RuntimeBufferSink(const RuntimeBufferSink&) = delete;
  RuntimeBufferSink& operator=(const RuntimeBufferSink&) = delete;

  bool Write(const uint8_t* data, size_t size) override {
    if (std::chrono::steady_clock::now() > deadline_) {
      timed_out_ = true;
      return false;
    }
    if (size > max_ - size_) {
      over_limit_ = true;
      return false;
    }
    if (size_ + size > capacity_) {
      size_t want = capacity_ == 0 ? 16384 : capacity_ * 2;
      if (want < size_ + size) want = size_ + size;
      if (want > max_) want = max_;
      auto* grown = static_cast<uint8_t*>(js_realloc_rt(rt_, data_, want));
      if (grown == nullptr) {
        out_of_memory_ = true;
        return false;
      }
      data_ = grown;
      capacity_ = want;
    }
    std::memcpy(data_ + size_, data, size);
    size_ += size;
    return true;
  }

  bool KeepGoing() override {
    if (std::chrono::steady_clock::now() <= deadline_) return true;
    timed_out_ = true;
    return false;
  }

  bool over_limit() const { return over_limit_; }
  bool timed_out() const { return timed_out_; }
  bool out_of_memory() const { return out_of_memory_; }

  // A Uint8Array over the collected bytes (ownership moves to it).
  JSValue Release(JSContext* ctx) {
    if (size_ == 0) return NewUint8Array(ctx, nullptr, 0);
    // A stream's small outputs would each keep a 16 KiB block: give back the slack.
    if (capacity_ - size_ > 4096) {
      if (auto* fitted = static_cast<uint8_t*>(js_realloc_rt(rt_, data_, size_)); fitted != nullptr) {
        data_ = fitted;
        capacity_ = size_;
      }
    }
    JSValue buffer = JS_NewArrayBuffer(ctx, data_, size_, FreeBuffer, nullptr, false);
    if (JS_IsException(buffer)) return buffer;  // not taken: the destructor frees it
    data_ = nullptr;
    JSValue args[3] = {buffer, JS_NewInt32(ctx, 0), JS_NewInt64(ctx, static_cast<int64_t>(size_))};
    JSValue array = JS_NewTypedArray(ctx, 3, args, JS_TYPED_ARRAY_UINT8);
    JS_FreeValue(ctx, buffer);
    return array;
  }

 private:
  static void FreeBuffer(JSRuntime* rt, void*, void* ptr) { js_free_rt(rt, ptr); }

  JSRuntime* rt_;
  const size_t max_;
  const std::chrono::steady_clock::time_point deadline_;
  uint8_t* data_ = nullptr;  // from js_realloc_rt; owned until Release
  size_t size_ = 0;
  size_t capacity_ = 0;
  bool over_limit_ = false;
  bool out_of_memory_ = false;
  bool timed_out_ = false;
};

// What the interrupt handler does at the deadline: an uncatchable
// "interrupted", the worker marked as timed out (the request answers 504).
JSValue ThrowInterrupted(JSContext* ctx) {
  WorkerAccess::MarkTimedOut(*WorkerAccess::From(ctx));
  JS_ThrowInternalError(ctx, "interrupted");
  JSValue exc = JS_GetException(ctx);
  JS_SetUncatchableError(ctx, exc, true);
  return JS_Throw(ctx, exc);
}

}  // namespace

// zlibCreate(mode, windowBits, level, memLevel, strategy, dictionary?)
JSValue NativeZlibCreate(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  int mode = 0;
  codec::ZlibOptions options;
  if (!IntArg(ctx, argc, argv, 0, mode) || !IntArg(ctx, argc, argv, 1, options.window_bits) ||
      !IntArg(ctx, argc, argv, 2, options.level) || !IntArg(ctx, argc, argv, 3, options.mem_level) ||
      !IntArg(ctx, argc, argv, 4, options.strategy)) {
    return JS_ThrowTypeError(ctx, "zlibCreate(mode, windowBits, level, memLevel, strategy, dictionary)");
  }
  if (argc > 5 && !JS_IsUndefined(argv[5]) && !BytesOf(ctx, argv[5], options.dictionary)) {
    return JS_ThrowTypeError(ctx, "zlibCreate: the dictionary must be bytes");
  }
  auto stream = codec::CompressionStream::Zlib(static_cast<codec::CodecMode>(mode), options, RuntimeAllocator(ctx));
  if (!stream.ok()) return Null();
  return NewStreamObject(ctx, std::move(stream).value());
}

// brotliCreate(mode, params): params[i] is BROTLI_PARAM_i's value, -1 = default.
JSValue NativeBrotliCreate(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  int mode = 0;
  if (!IntArg(ctx, argc, argv, 0, mode) || argc < 2 || !JS_IsArray(ctx, argv[1])) {
    return JS_ThrowTypeError(ctx, "brotliCreate(mode, params)");
  }
  codec::BrotliOptions options;
  for (int i = 0; i <= codec::kMaxBrotliParam; ++i) {
    Scoped item(ctx, JS_GetPropertyUint32(ctx, argv[1], static_cast<uint32_t>(i)));
    int64_t v = -1;
    if (!JS_IsUndefined(item.get()) && JS_ToInt64(ctx, &v, item.get()) < 0) return JS_EXCEPTION;
    options.params[i] = v;
  }
  auto stream = codec::CompressionStream::Brotli(static_cast<codec::CodecMode>(mode), options, RuntimeAllocator(ctx));
  if (!stream.ok()) return Null();
  return NewStreamObject(ctx, std::move(stream).value());
}

// zlibFeed(stream, bytes, flush, maxOutput)
JSValue NativeZlibFeed(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  codec::CompressionStream* stream = StreamOf(ctx, argc, argv);
  if (stream == nullptr) return JS_EXCEPTION;
  int flush = 0;
  int64_t max_output = 0;
  if (!IntArg(ctx, argc, argv, 2, flush) || argc < 4 || JS_ToInt64(ctx, &max_output, argv[3]) < 0 ||
      max_output < 0) {
    return JS_ThrowTypeError(ctx, "zlibFeed(stream, bytes, flush, maxOutput)");
  }
  const uint8_t* data = nullptr;
  size_t size = 0;
  if (!ViewBytes(ctx, argv[1], data, size)) return JS_ThrowTypeError(ctx, "zlibFeed: expected bytes");
  // The input is read in place: nothing below runs script code.
  RuntimeBufferSink sink(JS_GetRuntime(ctx), static_cast<size_t>(max_output),
                         WorkerAccess::Deadline(*WorkerAccess::From(ctx)));
  if (auto e = stream->Feed(data, size, flush, sink)) {
    if (sink.timed_out()) return ThrowInterrupted(ctx);
    if (sink.over_limit()) return Null();
    if (sink.out_of_memory()) return JS_ThrowOutOfMemory(ctx);
    return ThrowCodecError(ctx, *e);
  }
  return sink.Release(ctx);
}

JSValue NativeZlibBytesRead(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  codec::CompressionStream* stream = StreamOf(ctx, argc, argv);
  if (stream == nullptr) return JS_EXCEPTION;
  return JS_NewInt64(ctx, static_cast<int64_t>(stream->total_in()));
}

JSValue NativeZlibReset(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  codec::CompressionStream* stream = StreamOf(ctx, argc, argv);
  if (stream == nullptr) return JS_EXCEPTION;
  if (auto e = stream->Reset()) return ThrowCodecError(ctx, *e);
  return Undefined();
}

JSValue NativeZlibParams(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  codec::CompressionStream* stream = StreamOf(ctx, argc, argv);
  if (stream == nullptr) return JS_EXCEPTION;
  int level = 0;
  int strategy = 0;
  if (!IntArg(ctx, argc, argv, 1, level) || !IntArg(ctx, argc, argv, 2, strategy)) {
    return JS_ThrowTypeError(ctx, "zlibParams(stream, level, strategy)");
  }
  if (auto e = stream->Params(level, strategy)) return ThrowCodecError(ctx, *e);
  return Undefined();
}

// zlibClose(stream): frees the library's state now; closing twice is a no-op.
JSValue NativeZlibClose(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  if (argc < 1) return JS_ThrowTypeError(ctx, "missing stream object");
  auto* h = static_cast<StreamHolder*>(JS_GetOpaque2(ctx, argv[0], StreamClassId()));
  if (h == nullptr) return JS_EXCEPTION;
  h->stream.reset();
  return Undefined();
}

}  // namespace hbf::js::internal
