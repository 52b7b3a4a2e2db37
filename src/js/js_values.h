// Internal to src/js: small helpers for QuickJS values that the adapter's
// files share (natives.cpp, module_loader.cpp, worker.cpp).
//
// Thread safety: each call touches only the given context, which belongs to
// one worker; a worker is used by one thread at a time.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

extern "C" {
#include <quickjs.h>
}

namespace hbf::js::internal {

// undefined and null as C++ values (QuickJS's JS_UNDEFINED and JS_NULL are C
// compound literals).
inline JSValue Undefined() {
  JSValue v;
  v.u.int32 = 0;
  v.tag = JS_TAG_UNDEFINED;
  return v;
}

inline JSValue Null() {
  JSValue v;
  v.u.int32 = 0;
  v.tag = JS_TAG_NULL;
  return v;
}

// Owns one JSValue for the lifetime of a C++ scope.
class Scoped {
 public:
  Scoped(JSContext* ctx, JSValue v) : ctx_(ctx), v_(v) {}
  ~Scoped() { JS_FreeValue(ctx_, v_); }
  Scoped(const Scoped&) = delete;
  Scoped& operator=(const Scoped&) = delete;
  JSValue get() const { return v_; }
  JSValue release() {
    JSValue v = v_;
    v_ = Undefined();
    return v;
  }

 private:
  JSContext* ctx_;
  JSValue v_;
};

// The string value of `v` (JS ToString) in UTF-8, a lone surrogate written
// as U+FFFD (as V8 writes it); "" when that throws, the exception left
// pending.
std::string ToStdString(JSContext* ctx, JSValueConst v);

// obj[name] as a string; "" when undefined or null.
std::string PropString(JSContext* ctx, JSValueConst obj, const char* name);

// Bytes of an ArrayBuffer or any typed array / DataView; false otherwise.
bool BytesOf(JSContext* ctx, JSValueConst v, std::string& out);

// Argument `i` of a native as bytes: a string (its UTF-8) or what BytesOf
// takes. False with a TypeError thrown when missing or of another type.
bool ArgBytes(JSContext* ctx, int argc, JSValueConst* argv, int i, std::string& out);

// Where the bytes of an ArrayBuffer or typed array / DataView lie, without
// copying them; false otherwise. Valid only until script code runs again
// (which could detach or resize the buffer).
bool ViewBytes(JSContext* ctx, JSValueConst v, const uint8_t*& data, size_t& size);

// A new Uint8Array holding a copy of `size` bytes at `data` (or JS_EXCEPTION).
JSValue NewUint8Array(JSContext* ctx, const void* data, size_t size);

// JS strings a worker's requests repeat (the method, the scheme, the host
// name, the client's address, the henv, header names), made once and shared:
// JS strings are immutable, so a request that finds the same text in its
// slot compares bytes where it would make a string and free it again.
// Fixed slots hold one field each; header names share a round of slots.
// Belongs to one worker (one thread at a time); Clear before the runtime is
// freed or its memory snapshotted.
class RepeatedStrings {
 public:
  enum Slot : size_t { kMethod, kProtocol, kHostname, kIp, kHenv, kQuery, kFirstName };
  static constexpr size_t kNames = 24;  // header names (a browser sends ~10-16)
  RepeatedStrings() = default;
  RepeatedStrings(const RepeatedStrings&) = delete;
  RepeatedStrings& operator=(const RepeatedStrings&) = delete;

  // A new reference to a string of `text` (JS_EXCEPTION at the heap limit).
  JSValue Field(JSContext* ctx, Slot slot, std::string_view text);
  JSValue HeaderName(JSContext* ctx, std::string_view name);
  void Clear(JSContext* ctx);

 private:
  struct Entry {
    std::string text;
    JSValue value = Undefined();
  };
  JSValue From(JSContext* ctx, Entry& entry, std::string_view text);
  std::array<Entry, kFirstName + kNames> entries_;
  size_t next_name_ = 0;  // the header-name slot a miss takes next
};

}  // namespace hbf::js::internal
