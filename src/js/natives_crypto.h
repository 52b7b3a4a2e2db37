// Internal to src/js: hbf:native's hashing, HMAC, random and base64
// functions (behind hbf:node_crypto, Buffer, btoa/atob, the etag of
// res.send).
//
//   sha256(bytes), hmacSha256(key, bytes)      -> Uint8Array
//   hashCreate(algorithm, key?)                -> a Hash/Hmac object over
//       crypto::Hasher, or null for an algorithm not offered
//   hashUpdate(h, bytes), hashDigest(h), hashCopy(h)
//   pbkdf2Rounds(h, u, t, rounds)              -> PBKDF2's inner loop in place
//   etag(body, weak)                           -> the `etag` package's tag
//   randomBytes(n), base64Encode(bytes, url), base64Decode(text, url)
//
// Memory: a hash object's state comes from the runtime's allocator (it
// counts against the script's heap limit); its finalizer frees it.
//
// Thread safety: natives run on the worker's thread.
#pragma once

extern "C" {
#include <quickjs.h>
}

namespace hbf::js::internal {

JSValue NativeSha256(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv);
JSValue NativeHmacSha256(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv);
JSValue NativeHashCreate(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv);
JSValue NativeHashUpdate(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv);
JSValue NativeHashDigest(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv);
JSValue NativeHashCopy(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv);
JSValue NativePbkdf2Rounds(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv);
JSValue NativeEtag(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv);
JSValue NativeRandomBytes(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv);
JSValue NativeBase64Encode(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv);
JSValue NativeBase64Decode(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv);

}  // namespace hbf::js::internal
