#include "js/worker_failure.h"

#include "js/js_values.h"

namespace hbf::js::internal {

bool IsInterrupted(JSContext* ctx, JSValueConst exc) {
  return JS_IsError(ctx, exc) && PropString(ctx, exc, "name") == "InternalError" &&
         PropString(ctx, exc, "message") == "interrupted";
}

std::string LocationFromStack(const std::string& stack) {
  size_t pos = 0;
  while (pos < stack.size()) {
    size_t end = stack.find('\n', pos);
    std::string line = stack.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    size_t open = line.rfind('(');
    size_t close = line.rfind(')');
    std::string frame = (open != std::string::npos && close != std::string::npos && close > open)
                            ? line.substr(open + 1, close - open - 1)
                            : "";
    if (frame.empty() && line.find("at ") != std::string::npos) frame = line.substr(line.find("at ") + 3);
    if (!frame.empty() && frame.rfind("hbf:", 0) != 0 && frame != "native" && frame.find(':') != std::string::npos) {
      return frame;
    }
    if (end == std::string::npos) break;
    pos = end + 1;
  }
  return {};
}

std::optional<std::pair<std::string, int>> StorageFaultOf(JSContext* ctx, JSValueConst error) {
  if (!JS_IsObject(error)) return std::nullopt;
  Scoped status_js(ctx, JS_GetPropertyStr(ctx, error, "storageStatus"));
  int32_t s = 0;
  if (!JS_IsNumber(status_js.get()) || JS_ToInt32(ctx, &s, status_js.get()) != 0 || (s != 503 && s != 507)) {
    return std::nullopt;
  }
  return std::make_pair(std::string(s == 507 ? "insufficient_storage" : "read_only"), static_cast<int>(s));
}

ScriptResult::Failure DescribeException(JSContext* ctx, JSValue exc, bool timed_out, bool memory_refused) {
  ScriptResult::Failure f;
  std::string message;
  std::string stack;
  if (JS_IsError(ctx, exc)) {
    message = PropString(ctx, exc, "message");
    std::string name = PropString(ctx, exc, "name");
    if (!name.empty() && name != "Error") message = name + ": " + message;
    stack = PropString(ctx, exc, "stack");
  } else {
    message = "uncaught " + ToStdString(ctx, exc);
  }
  if (timed_out || IsInterrupted(ctx, exc)) {
    f.code = "script_timeout";
    f.http_status = 504;
    f.message = "the script ran out of time";
  } else if (message == "InternalError: out of memory" || message == "out of memory" || memory_refused) {
    f.code = "script_memory";
    f.http_status = 500;
    f.message = "the script ran out of memory";
  } else if (auto fault = StorageFaultOf(ctx, exc)) {
    f.code = fault->first;
    f.http_status = fault->second;
    f.message = message;
  } else if (JS_IsError(ctx, exc) && PropString(ctx, exc, "code") == "quota_exceeded") {
    // A write the henv's storage quota refused, not caught by the script.
    f.code = "quota_exceeded";
    f.http_status = 507;
    f.message = message;
  } else {
    f.code = "script_error";
    f.http_status = 500;
    f.message = message.empty() ? "the script failed" : message;
  }
  f.stack = stack;
  f.location = LocationFromStack(stack);
  return f;
}

ScriptResult::Failure InternalFailure(std::string code, std::string message) {
  return ScriptResult::Failure{std::move(code), 500, std::move(message), "", ""};
}

}  // namespace hbf::js::internal
