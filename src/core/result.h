// Result<T>: the one error vocabulary that crosses HBF's layer boundaries.
//
// A failure carries a stable machine code (snake_case, part of the public
// API: never rename one that clients may see), a human message, and the HTTP
// status the edge should answer with. Not-found is its own code, never an
// empty success.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace hbf {

struct Error {
  std::string code;     // e.g. "bad_request", "not_found", "payload_too_large"
  std::string message;  // safe to show to the client that caused it
  int http_status = 500;

  static Error BadRequest(std::string msg) { return {"bad_request", std::move(msg), 400}; }
  static Error NotFound(std::string msg) { return {"not_found", std::move(msg), 404}; }
  static Error Internal(std::string msg) { return {"internal_error", std::move(msg), 500}; }
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
