// Result<T>: the one error vocabulary that crosses HBF's layer boundaries.
//
// A failure carries a stable machine code (snake_case, part of the public
// API: never rename one that clients may see), a human message, and the HTTP
// status the edge should answer with. Not-found is its own code, never an
// empty success.
#pragma once

#include <cassert>
#include <cerrno>
#include <string>
#include <utility>
#include <variant>

namespace hbf {

// What a client is told when the server's storage refuses a write.
inline constexpr const char* kStorageFullMessage = "the server's storage is full; nothing was written, retry later";
inline constexpr const char* kStorageReadOnlyMessage =
    "the server's storage is read-only for now; reads still work, nothing was written";

struct Error {
  std::string code;     // e.g. "bad_request", "not_found", "payload_too_large"
  std::string message;  // safe to show to the client that caused it
  int http_status = 500;

  static Error BadRequest(std::string msg) { return {"bad_request", std::move(msg), 400}; }
  static Error NotFound(std::string msg) { return {"not_found", std::move(msg), 404}; }
  static Error Internal(std::string msg) { return {"internal_error", std::move(msg), 500}; }
  // The server's storage refused a write (the host's fault, never the
  // tenant's): its disk is full (507) or mounted read-only (503). Reads go
  // on; writes succeed again by themselves once the storage recovers. The
  // messages never name a host path.
  static Error StorageFull() {
    return {"insufficient_storage", kStorageFullMessage, 507};
  }
  static Error StorageReadOnly() {
    return {"read_only", kStorageReadOnlyMessage, 503};
  }
  // StorageFull for ENOSPC/EDQUOT, StorageReadOnly for EROFS, else
  // Internal(`what`) (a message without a host path).
  static Error FromErrno(int err, std::string what) {
    if (err == ENOSPC || err == EDQUOT) return StorageFull();
    if (err == EROFS) return StorageReadOnly();
    return Internal(std::move(what));
  }
  static bool IsStorageFault(const Error& e) {
    return (e.code == "insufficient_storage" && e.http_status == 507) || (e.code == "read_only" && e.http_status == 503);
  }
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}    // NOLINT: implicit by design

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  // REQUIRES: ok()
  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }

  // REQUIRES: !ok()
  const Error& error() const { assert(!ok()); return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

// For operations with nothing to return.
struct Ok {};
using Status = Result<Ok>;

}  // namespace hbf
