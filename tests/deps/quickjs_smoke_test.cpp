// Proves the QuickJS built from Debian's source package links and runs with
// the features HBF relies on: a memory limit, the interrupt handler, and
// bytecode write/read. (The JS layer, src/js, will be its only real user.)
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "support/quickjs_eval.h"

namespace {

using hbf::test::ContextPtr;
using hbf::test::RuntimePtr;

TEST(QuickJs, EvaluatesAndEnforcesLimits) {
  RuntimePtr rt(JS_NewRuntime());
  ASSERT_TRUE(rt);
  JS_SetMemoryLimit(rt.get(), 8 * 1024 * 1024);
  ContextPtr ctx(JS_NewContext(rt.get()));
  ASSERT_TRUE(ctx);

  const char* src = "[1, 2, 3].map(x => x * 2).join(',')";
  JSValue v = JS_Eval(ctx.get(), src, std::strlen(src), "<test>", JS_EVAL_TYPE_GLOBAL);
  const char* s = JS_ToCString(ctx.get(), v);
  EXPECT_STREQ(s, "2,4,6");
  JS_FreeCString(ctx.get(), s);
  JS_FreeValue(ctx.get(), v);

  // Allocation beyond the limit throws instead of growing the process.
  const char* hog = "let a = []; for (;;) a.push(new Array(100000).fill(1));";
  v = JS_Eval(ctx.get(), hog, std::strlen(hog), "<hog>", JS_EVAL_TYPE_GLOBAL);
  EXPECT_TRUE(JS_IsException(v));
  JS_FreeValue(ctx.get(), JS_GetException(ctx.get()));
  JS_FreeValue(ctx.get(), v);
}

TEST(QuickJs, InterruptHandlerStopsAnInfiniteLoop) {
  RuntimePtr rt(JS_NewRuntime());
  ContextPtr ctx(JS_NewContext(rt.get()));
  int calls = 0;
  JS_SetInterruptHandler(
      rt.get(), [](JSRuntime*, void* opaque) { return ++*static_cast<int*>(opaque) > 100 ? 1 : 0; }, &calls);
  const char* spin = "for (;;) {}";
  JSValue v = JS_Eval(ctx.get(), spin, std::strlen(spin), "<spin>", JS_EVAL_TYPE_GLOBAL);
  EXPECT_TRUE(JS_IsException(v));
  EXPECT_GT(calls, 100);
  JS_FreeValue(ctx.get(), JS_GetException(ctx.get()));
  JS_FreeValue(ctx.get(), v);
}

TEST(QuickJs, BytecodeRoundTrip) {
  RuntimePtr rt(JS_NewRuntime());
  ContextPtr ctx(JS_NewContext(rt.get()));
  const char* src = "40 + 2";
  JSValue fn = JS_Eval(ctx.get(), src, std::strlen(src), "<bc>", JS_EVAL_TYPE_GLOBAL | JS_EVAL_FLAG_COMPILE_ONLY);
  ASSERT_FALSE(JS_IsException(fn));
  size_t size = 0;
  uint8_t* buf = JS_WriteObject(ctx.get(), &size, fn, JS_WRITE_OBJ_BYTECODE);
  JS_FreeValue(ctx.get(), fn);
  ASSERT_NE(buf, nullptr);

  ContextPtr ctx2(JS_NewContext(rt.get()));
  JSValue loaded = JS_ReadObject(ctx2.get(), buf, size, JS_READ_OBJ_BYTECODE);
  js_free(ctx.get(), buf);
  JSValue result = JS_EvalFunction(ctx2.get(), loaded);
  int32_t n = 0;
  JS_ToInt32(ctx2.get(), &n, result);
  EXPECT_EQ(n, 42);
  JS_FreeValue(ctx2.get(), result);
}

}  // namespace
