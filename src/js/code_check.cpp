// Compiling a document's source without running it (JsEngine::CheckCode):
// what the admin shows inline before a save, and what refuses a save that
// would leave the henv's router unable to load.
//
// Each check runs in a fresh blank worker (no henv bound, an empty scratch
// database) that is destroyed afterwards, so nothing a source contains can
// reach a henv, and nothing compiled lingers in a worker that serves requests.
#include <charconv>

#include "core/text.h"
#include "js/engine.h"
#include "js/js_values.h"
#include "js/worker.h"

namespace hbf::js {
namespace {

using internal::PropString;
using internal::ToStdString;
using internal::Undefined;

int ParseCount(std::string_view text) {
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && end != text.data() ? value : 0;
}

// Line and column of the first "<name>:<line>[:<col>]" in a QuickJS stack.
void PositionFromStack(const std::string& stack, const std::string& name, int& line, int& column) {
  const std::string needle = name + ":";
  for (size_t at = stack.find(needle); at != std::string::npos; at = stack.find(needle, at + 1)) {
    std::string_view rest = std::string_view(stack).substr(at + needle.size());
    const int l = ParseCount(rest);
    if (l <= 0) continue;
    line = l;
    size_t colon = rest.find(':');
    size_t stop = rest.find_first_not_of("0123456789");
    if (colon != std::string_view::npos && colon == stop) column = ParseCount(rest.substr(colon + 1));
    return;
  }
}

JsEngine::CodeProblem Describe(JSContext* ctx, JSValue exc, const std::string& name, int line_offset) {
  JsEngine::CodeProblem p;
  if (JS_IsError(ctx, exc)) {
    const std::string kind = PropString(ctx, exc, "name");
    p.message = PropString(ctx, exc, "message");
    if (!kind.empty() && kind != "Error") p.message = kind + ": " + p.message;
    PositionFromStack(PropString(ctx, exc, "stack"), name, p.line, p.column);
    if (p.line == 0) p.line = ParseCount(PropString(ctx, exc, "lineNumber"));
  } else {
    p.message = "uncaught " + ToStdString(ctx, exc);
  }
  p.line = p.line > line_offset ? p.line - line_offset : (p.line > 0 ? 1 : 0);
  if (p.message.size() > 4096) p.message.resize(4096);
  return p;
}

// The reason in an EJS compile error, without the excerpt and advice that
// templates.js wraps it in ("id:3\n  excerpt\n\nreason in id while compiling
// ejs\n\nIf the above ...").
std::string EjsReason(const std::string& message, const std::string& id) {
  std::string_view m = message;
  if (size_t blank = m.find("\n\n"); blank != std::string_view::npos && m.substr(0, id.size()) == id) {
    m.remove_prefix(blank + 2);
  }
  const std::string tail = " in " + id + " while compiling ejs";
  if (size_t cut = m.find(tail); cut != std::string_view::npos) m = m.substr(0, cut);
  if (size_t nl = m.find('\n'); nl != std::string_view::npos) m = m.substr(0, nl);
  return std::string(m);
}

}  // namespace

bool JsEngine::IsCheckable(std::string_view id) {
  return EndsWith(id, ".js") || EndsWith(id, ".mjs") || EndsWith(id, ".cjs") || EndsWith(id, ".ejs");
}

std::vector<JsEngine::CodeProblem> Worker::CheckSource(const std::string& id, const std::string& source,
                                                       const ScriptLimits& limits) {
  std::vector<JsEngine::CodeProblem> problems;
  ScriptResult result;
  BeginRequest(limits);
  JSContext* ctx = ctx_;
  auto compile = [&](const std::string& text, int flags, int line_offset) {
    stub_imports_ = true;
    JSValue fn = JS_Eval(ctx, text.c_str(), text.size(), id.c_str(), flags | JS_EVAL_FLAG_COMPILE_ONLY);
    stub_imports_ = false;
    if (!JS_IsException(fn)) {
      JS_FreeValue(ctx, fn);
      return true;
    }
    JSValue exc = JS_GetException(ctx);
    problems.push_back(Describe(ctx, exc, id, line_offset));
    JS_FreeValue(ctx, exc);
    return false;
  };
  // CommonJS as require() wraps it (natives.cpp compileFunction): the header
  // shares the source's first line, so line numbers stay true.
  const std::string cjs = "(function (exports, require, module, __filename, __dirname) {" + source + "\n})";
  if (EndsWith(id, ".ejs")) {
    JSValue ns = Undefined();
    if (Import("hbf:templates", ns) != Settled::kValue) {
      JS_FreeValue(ctx, ns);
      problems.push_back({"the template engine is unavailable", 0, 0});
    } else {
      JSValue compile_fn = JS_GetPropertyStr(ctx, ns, "compile");
      JS_FreeValue(ctx, ns);
      JSValue options = JS_NewObject(ctx);
      JS_SetPropertyStr(ctx, options, "filename", JS_NewStringLen(ctx, id.data(), id.size()));
      JSValue args[2] = {JS_NewStringLen(ctx, source.data(), source.size()), options};
      JSValue ret = JS_Call(ctx, compile_fn, Undefined(), 2, args);
      for (JSValue& a : args) JS_FreeValue(ctx, a);
      JS_FreeValue(ctx, compile_fn);
      if (JS_IsException(ret)) {
        JSValue exc = JS_GetException(ctx);
        JsEngine::CodeProblem p;
        p.message = JS_IsError(ctx, exc) ? PropString(ctx, exc, "name") + ": " + EjsReason(PropString(ctx, exc, "message"), id)
                                         : "uncaught " + ToStdString(ctx, exc);
        // The template's own line (templates.js adds it to syntax errors).
        p.line = ParseCount(PropString(ctx, exc, "templateLine"));
        if (p.message.size() > 4096) p.message.resize(4096);
        problems.push_back(std::move(p));
        JS_FreeValue(ctx, exc);
      }
      JS_FreeValue(ctx, ret);
    }
  } else if (EndsWith(id, ".cjs")) {
    compile(cjs, JS_EVAL_TYPE_GLOBAL, 0);
  } else if (!compile(source, JS_EVAL_TYPE_MODULE, 0) && id.rfind("modules/", 0) == 0) {
    // A package's .js may be CommonJS (its package.json decides): either
    // form compiling is enough.
    std::vector<JsEngine::CodeProblem> as_module = std::move(problems);
    problems.clear();
    if (!compile(cjs, JS_EVAL_TYPE_GLOBAL, 0)) problems = std::move(as_module);
  }
  EndRequest(result);
  reusable_ = false;  // compiled tenant text lives in this runtime now
  return problems;
}

Result<std::vector<JsEngine::CodeProblem>> JsEngine::CheckCode(const std::string& id, const std::string& source,
                                                               const ScriptLimits& limits) {
  if (!IsCheckable(id)) return std::vector<CodeProblem>{};
  ScriptResult::Failure failure;
  std::unique_ptr<Worker> worker = Worker::CreateBlank(limits, failure);
  if (!worker) return Error{failure.code.empty() ? "internal_error" : failure.code, failure.message, 503};
  return worker->CheckSource(id, source, limits);
}

}  // namespace hbf::js
