#include "js/js_values.h"

#include <atomic>
#include <cstdint>

namespace hbf::js::internal {

std::string ToStdString(JSContext* ctx, JSValueConst v) {
  size_t len = 0;
  const char* s = JS_ToCStringLen(ctx, &len, v);
  if (s == nullptr) return {};
  std::string out(s, len);
  JS_FreeCString(ctx, s);
  // A lone surrogate (a JS string may hold one) comes out of QuickJS as its
  // 3-byte sequence ED A0..BF xx, which is not UTF-8; V8 writes U+FFFD for
  // it (Node's Buffer.from, TextEncoder, what an http response sends), and so
  // does HBF: the same length, in place. Surrogate pairs come out as 4-byte
  // sequences, so every such triple is a lone one.
  for (size_t i = out.find('\xED'); i != std::string::npos && i + 2 < out.size(); i = out.find('\xED', i + 1)) {
    const auto second = static_cast<unsigned char>(out[i + 1]);
    if (second >= 0xA0 && second <= 0xBF) {
      out[i] = '\xEF';
      out[i + 1] = '\xBF';
      out[i + 2] = '\xBD';
    }
  }
  return out;
}

std::string PropString(JSContext* ctx, JSValueConst obj, const char* name) {
  Scoped v(ctx, JS_GetPropertyStr(ctx, obj, name));
  if (JS_IsUndefined(v.get()) || JS_IsNull(v.get())) return {};
  return ToStdString(ctx, v.get());
}

namespace {

// QuickJS's class ids of ArrayBuffer and SharedArrayBuffer (0: not known
// yet). Built-in classes are numbered when QuickJS is compiled, so one probe
// serves every runtime; a probe that cannot allocate (a script at its heap
// limit) leaves them unknown for the next call to try again.
std::atomic<JSClassID> plain_buffer_class{0};
std::atomic<JSClassID> shared_buffer_class{0};

bool KnowBufferClasses(JSContext* ctx) {
  if (shared_buffer_class.load(std::memory_order_acquire) != 0) return true;
  JSValue plain = JS_NewArrayBufferCopy(ctx, nullptr, 0);
  JSValue shared = JS_NewArrayBuffer(ctx, nullptr, 0, nullptr, nullptr, /*is_shared=*/1);
  const bool made = !JS_IsException(plain) && !JS_IsException(shared);
  if (made) {
    plain_buffer_class.store(JS_GetClassID(plain), std::memory_order_relaxed);
    shared_buffer_class.store(JS_GetClassID(shared), std::memory_order_release);
  }
  JS_FreeValue(ctx, plain);
  JS_FreeValue(ctx, shared);
  if (!made) JS_FreeValue(ctx, JS_GetException(ctx));
  return made;
}

}  // namespace

bool ViewBytes(JSContext* ctx, JSValueConst v, const uint8_t*& data, size_t& size) {
  // Asked by class first: QuickJS's getters throw for the wrong kind, and a
  // thrown TypeError builds a backtrace (25k instructions per template render
  // went to that when a Uint8Array was offered to the ArrayBuffer getter).
  if (!JS_IsObject(v)) return false;
  const JSClassID id = JS_GetClassID(v);
  if (!KnowBufferClasses(ctx) || id == plain_buffer_class.load(std::memory_order_relaxed) ||
      id == shared_buffer_class.load(std::memory_order_relaxed)) {
    if (uint8_t* buf = JS_GetArrayBuffer(ctx, &size, v); buf != nullptr) {
      data = buf;
      return true;
    }
    JS_FreeValue(ctx, JS_GetException(ctx));  // detached, or (classes unknown) not an ArrayBuffer
  }
  size_t offset = 0;
  size_t length = 0;
  size_t per_element = 0;
  JSValue buffer = JS_GetTypedArrayBuffer(ctx, v, &offset, &length, &per_element);
  if (JS_IsException(buffer)) {
    JS_FreeValue(ctx, JS_GetException(ctx));
    return false;
  }
  size_t buffer_size = 0;
  uint8_t* base = JS_GetArrayBuffer(ctx, &buffer_size, buffer);
  JS_FreeValue(ctx, buffer);  // the view still holds the buffer
  if (base == nullptr) {
    JS_FreeValue(ctx, JS_GetException(ctx));  // detached: the caller throws its own error
    return false;
  }
  data = base + offset;
  size = length;
  return true;
}

bool BytesOf(JSContext* ctx, JSValueConst v, std::string& out) {
  const uint8_t* data = nullptr;
  size_t size = 0;
  if (!ViewBytes(ctx, v, data, size)) return false;
  out.assign(reinterpret_cast<const char*>(data), size);
  return true;
}

JSValue NewUint8Array(JSContext* ctx, const void* data, size_t size) {
  JSValue buffer = JS_NewArrayBufferCopy(ctx, static_cast<const uint8_t*>(data), size);
  if (JS_IsException(buffer)) return buffer;
  // (buffer, byteOffset, length): QuickJS reads all three.
  JSValue args[3] = {buffer, JS_NewInt32(ctx, 0), JS_NewInt64(ctx, static_cast<int64_t>(size))};
  JSValue array = JS_NewTypedArray(ctx, 3, args, JS_TYPED_ARRAY_UINT8);
  JS_FreeValue(ctx, buffer);
  return array;
}

bool ArgBytes(JSContext* ctx, int argc, JSValueConst* argv, int i, std::string& out) {
  if (i >= argc) {
    JS_ThrowTypeError(ctx, "missing argument");
    return false;
  }
  if (JS_IsString(argv[i])) {
    out = ToStdString(ctx, argv[i]);
    return true;
  }
  if (!BytesOf(ctx, argv[i], out)) {
    JS_ThrowTypeError(ctx, "expected bytes (Uint8Array or ArrayBuffer)");
    return false;
  }
  return true;
}

JSValue RepeatedStrings::From(JSContext* ctx, Entry& entry, std::string_view text) {
  if (JS_IsString(entry.value) && entry.text == text) return JS_DupValue(ctx, entry.value);
  JSValue made = JS_NewStringLen(ctx, text.data(), text.size());
  if (JS_IsException(made)) return made;
  JS_FreeValue(ctx, entry.value);
  entry.value = JS_DupValue(ctx, made);
  entry.text.assign(text);
  return made;
}

JSValue RepeatedStrings::Field(JSContext* ctx, Slot slot, std::string_view text) {
  return From(ctx, entries_[slot], text);
}

JSValue RepeatedStrings::HeaderName(JSContext* ctx, std::string_view name) {
  for (size_t i = kFirstName; i < entries_.size(); ++i) {
    Entry& e = entries_[i];
    if (e.text == name && JS_IsString(e.value)) return JS_DupValue(ctx, e.value);
  }
  Entry& taken = entries_[kFirstName + next_name_];
  next_name_ = (next_name_ + 1) % kNames;
  return From(ctx, taken, name);
}

void RepeatedStrings::Clear(JSContext* ctx) {
  for (Entry& e : entries_) {
    JS_FreeValue(ctx, e.value);
    e.value = Undefined();
    e.text.clear();
    e.text.shrink_to_fit();
  }
  next_name_ = 0;
}

}  // namespace hbf::js::internal
