// Small helpers for tests that drive a bare QuickJS runtime (tests/deps, the
// allocator tests): owning pointers for a runtime and a context, and running
// a script for its value as a string. Header-only: the tests link whichever
// QuickJS build they check (quickjs or quickjs_asserting).
#pragma once

extern "C" {
#include <quickjs.h>
}

#include <memory>
#include <string>
#include <string_view>

namespace hbf::test {

struct RuntimeDeleter {
  void operator()(JSRuntime* rt) const { JS_FreeRuntime(rt); }
};
struct ContextDeleter {
  void operator()(JSContext* ctx) const { JS_FreeContext(ctx); }
};
using RuntimePtr = std::unique_ptr<JSRuntime, RuntimeDeleter>;
using ContextPtr = std::unique_ptr<JSContext, ContextDeleter>;

// Runs `source` as a global script and returns its value as a string (what
// it threw, if it threw; "" when the value has no string form).
inline std::string EvalToString(JSContext* ctx, std::string_view source) {
  const std::string text(source);  // (QuickJS wants a terminated buffer)
  JSValue v = JS_Eval(ctx, text.c_str(), text.size(), "<test>", JS_EVAL_TYPE_GLOBAL);
  if (JS_IsException(v)) v = JS_GetException(ctx);
  const char* s = JS_ToCString(ctx, v);
  std::string out = s != nullptr ? s : "";
  JS_FreeCString(ctx, s);
  JS_FreeValue(ctx, v);
  return out;
}

}  // namespace hbf::test
