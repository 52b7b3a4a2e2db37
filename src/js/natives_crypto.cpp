#include "js/natives_crypto.h"

#include <array>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <new>
#include <string>

#include "crypto/crypto.h"
#include "crypto/hasher.h"
#include "js/js_values.h"
#include "js/worker_access.h"

namespace hbf::js::internal {

namespace {

// Scripts' hash and HMAC objects (hbf:node_crypto's Hash and Hmac): a
// crypto::Hasher held by an opaque object, so update() streams instead of
// buffering the data in JS. The Hasher lives in memory from the runtime's
// own allocator, so it counts against the script's heap limit, and the
// finalizer frees it when the object is collected or the runtime goes.
JSClassID HasherClassId() {
  static const JSClassID id = [] {
    JSClassID fresh = 0;
    return JS_NewClassID(&fresh);
  }();
  return id;
}

void FinalizeHasher(JSRuntime* rt, JSValue val) {
  if (auto* h = static_cast<crypto::Hasher*>(JS_GetOpaque(val, HasherClassId())); h != nullptr) {
    h->~Hasher();
    js_free_rt(rt, h);
  }
}

JSValue NewHasherObject(JSContext* ctx, const crypto::Hasher& hasher) {
  JSRuntime* rt = JS_GetRuntime(ctx);
  const JSClassID id = HasherClassId();
  if (!JS_IsRegisteredClass(rt, id)) {
    JSClassDef def{};
    def.class_name = "Hasher";
    def.finalizer = FinalizeHasher;
    if (JS_NewClass(rt, id, &def) < 0) return JS_EXCEPTION;
  }
  JSValue obj = JS_NewObjectClass(ctx, static_cast<int>(id));
  if (JS_IsException(obj)) return obj;
  void* memory = js_malloc(ctx, sizeof(crypto::Hasher));
  if (memory == nullptr) {
    JS_FreeValue(ctx, obj);
    return JS_EXCEPTION;
  }
  JS_SetOpaque(obj, new (memory) crypto::Hasher(hasher));
  return obj;
}

crypto::Hasher* HasherOf(JSContext* ctx, int argc, JSValueConst* argv) {
  if (argc < 1) {
    JS_ThrowTypeError(ctx, "missing hash object");
    return nullptr;
  }
  return static_cast<crypto::Hasher*>(JS_GetOpaque2(ctx, argv[0], HasherClassId()));
}

}  // namespace

JSValue NativeSha256(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  std::string data;
  if (!ArgBytes(ctx, argc, argv, 0, data)) return JS_EXCEPTION;
  auto digest = crypto::Sha256(data);
  return NewUint8Array(ctx, digest.data(), digest.size());
}

JSValue NativeHmacSha256(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  std::string key;
  std::string data;
  if (!ArgBytes(ctx, argc, argv, 0, key) || !ArgBytes(ctx, argc, argv, 1, data)) return JS_EXCEPTION;
  auto mac = crypto::HmacSha256(key, data);
  return NewUint8Array(ctx, mac.data(), mac.size());
}

// hashCreate(algorithm, key?): a hash object, an HMAC one when `key` (bytes)
// is given; null for an algorithm Nettle is not asked for (the JS side names
// it in Node's error).
JSValue NativeHashCreate(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  if (argc < 1 || !JS_IsString(argv[0])) return JS_ThrowTypeError(ctx, "hashCreate(algorithm, key)");
  auto algorithm = crypto::HashAlgorithmByName(ToStdString(ctx, argv[0]));
  if (!algorithm) return Null();
  if (argc < 2 || JS_IsUndefined(argv[1])) return NewHasherObject(ctx, crypto::Hasher::Hash(*algorithm));
  std::string key;
  if (!BytesOf(ctx, argv[1], key)) return JS_ThrowTypeError(ctx, "hashCreate: the key must be bytes");
  return NewHasherObject(ctx, crypto::Hasher::Hmac(*algorithm, key));
}

JSValue NativeHashUpdate(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  crypto::Hasher* h = HasherOf(ctx, argc, argv);
  if (h == nullptr) return JS_EXCEPTION;
  const uint8_t* data = nullptr;
  size_t size = 0;
  if (argc < 2 || !ViewBytes(ctx, argv[1], data, size)) return JS_ThrowTypeError(ctx, "hashUpdate: expected bytes");
  h->Update(data, size);
  return Undefined();
}

// hashDigest(h): the digest; `h` starts over (the JS side never reuses it).
JSValue NativeHashDigest(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  crypto::Hasher* h = HasherOf(ctx, argc, argv);
  if (h == nullptr) return JS_EXCEPTION;
  std::string digest = h->Finish();
  return NewUint8Array(ctx, digest.data(), digest.size());
}

// pbkdf2Rounds(h, u, t, rounds): PBKDF2's inner loop `rounds` times with the
// HMAC object `h`: u = HMAC(u); t ^= u. `u` and `t` are byte views of the
// digest's size, updated in place. The JS side calls it in slices, so the
// script's time limit is still checked between them (a JS loop of one
// native call per round took seconds for pbkdf2-password's 70,000 rounds).
JSValue NativePbkdf2Rounds(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  crypto::Hasher* h = HasherOf(ctx, argc, argv);
  if (h == nullptr) return JS_EXCEPTION;
  const uint8_t* u = nullptr;
  const uint8_t* t = nullptr;
  size_t u_size = 0;
  size_t t_size = 0;
  int64_t rounds = 0;
  if (argc < 4 || !ViewBytes(ctx, argv[1], u, u_size) || !ViewBytes(ctx, argv[2], t, t_size) || u_size != t_size ||
      JS_ToInt64(ctx, &rounds, argv[3]) < 0) {
    return JS_ThrowTypeError(ctx, "pbkdf2Rounds(h, u, t, rounds)");
  }
  // The views are the caller's own buffers: written in place.
  auto* uw = const_cast<uint8_t*>(u);
  auto* tw = const_cast<uint8_t*>(t);
  for (int64_t r = 0; r < rounds; ++r) {
    h->Update(uw, u_size);
    std::string digest = h->Finish();
    if (digest.size() != u_size) return JS_ThrowTypeError(ctx, "pbkdf2Rounds: the views must be the digest's size");
    std::memcpy(uw, digest.data(), u_size);
    for (size_t k = 0; k < u_size; ++k) tw[k] = static_cast<uint8_t>(tw[k] ^ uw[k]);
  }
  return Undefined();
}

// etag(body, weak): the `etag` package's entity tag of a response body (a
// string, encoded as the body is sent, or bytes): "<length hex>-<first 27
// characters of the SHA-1 in base64>", quoted, with "W/" when weak. One call
// per res.send(), so no hash object is made for it.
JSValue NativeEtag(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  std::string text;
  const uint8_t* data = nullptr;
  size_t size = 0;
  if (argc < 1) return JS_ThrowTypeError(ctx, "etag(body, weak)");
  if (JS_IsString(argv[0])) {
    text = ToStdString(ctx, argv[0]);
    data = reinterpret_cast<const uint8_t*>(text.data());
    size = text.size();
  } else if (!ViewBytes(ctx, argv[0], data, size)) {
    return JS_ThrowTypeError(ctx, "etag: the body must be a string or bytes");
  }
  // W/"<length in hex>-<27 characters of the SHA-1's base64>", built in place
  const std::array<char, 28> hash = crypto::Sha1Base64(data, size);
  const bool weak = argc < 2 || JS_ToBool(ctx, argv[1]);
  char tag[64];
  size_t n = 0;
  if (weak) {
    tag[n++] = 'W';
    tag[n++] = '/';
  }
  tag[n++] = '"';
  n = static_cast<size_t>(std::to_chars(tag + n, tag + sizeof tag, size, 16).ptr - tag);
  tag[n++] = '-';
  for (size_t i = 0; i < 27; ++i) tag[n++] = hash[i];
  tag[n++] = '"';
  // res.send() sends the string it just hashed: keep its bytes for that.
  if (JS_IsString(argv[0])) WorkerAccess::RememberBodyUtf8(*WorkerAccess::From(ctx), ctx, argv[0], std::move(text));
  return JS_NewStringLen(ctx, tag, n);
}

JSValue NativeHashCopy(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  crypto::Hasher* h = HasherOf(ctx, argc, argv);
  if (h == nullptr) return JS_EXCEPTION;
  return NewHasherObject(ctx, *h);
}

JSValue NativeRandomBytes(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  int64_t n = 0;
  if (argc < 1 || JS_ToInt64(ctx, &n, argv[0]) < 0) return JS_EXCEPTION;
  if (n < 0 || n > 65536) return JS_ThrowRangeError(ctx, "randomBytes: n must be 0..65536");
  std::string bytes = crypto::RandomBytes(static_cast<size_t>(n));
  return NewUint8Array(ctx, bytes.data(), bytes.size());
}

JSValue NativeBase64Encode(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  std::string data;
  if (!ArgBytes(ctx, argc, argv, 0, data)) return JS_EXCEPTION;
  const bool url = argc > 1 && JS_ToBool(ctx, argv[1]);
  std::string out = url ? crypto::Base64UrlEncode(data) : crypto::Base64Encode(data);
  return JS_NewStringLen(ctx, out.data(), out.size());
}

JSValue NativeBase64Decode(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  if (argc < 1 || !JS_IsString(argv[0])) return JS_ThrowTypeError(ctx, "base64Decode expects a string");
  std::string text = ToStdString(ctx, argv[0]);
  const bool url = argc > 1 && JS_ToBool(ctx, argv[1]);
  auto decoded = url ? crypto::Base64UrlDecode(text) : crypto::Base64Decode(text);
  if (!decoded) return JS_ThrowTypeError(ctx, "invalid base64 input");
  return NewUint8Array(ctx, decoded->data(), decoded->size());
}

}  // namespace hbf::js::internal
