#include "js/module_loader.h"

#include <atomic>
#include <cctype>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <variant>
#include <vector>

#include "core/json.h"
#include "js/builtin_sources.h"
#include "js/builtin_specifiers.h"
#include "js/js_values.h"
#include "js/natives.h"
#include "js/worker_access.h"

namespace hbf::js {

// ------------------------------------------------------------ BytecodeCache

std::shared_ptr<const std::vector<uint8_t>> BytecodeCache::Find(const std::string& id, std::string_view source) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(id);
  if (it == entries_.end() || it->second.source != source) return nullptr;
  return it->second.bytecode;
}

void BytecodeCache::Store(const std::string& id, std::string source, std::vector<uint8_t> bytecode) {
  std::lock_guard lock(mu_);
  entries_[id] = Entry{std::move(source), std::make_shared<const std::vector<uint8_t>>(std::move(bytecode))};
}

namespace internal {

const BuiltinBytecode& Builtins() {
  static const BuiltinBytecode index = [] {
    BuiltinBytecode out;
    for (size_t i = 0; i < kBuiltinModuleCount; ++i) {
      BuiltinModuleCode& code = out.modules[kBuiltinModules[i].name];
      code.bytecode = kBuiltinModules[i].bytecode;
      code.size = kBuiltinModules[i].size;
    }
    return out;
  }();
  return index;
}

namespace {
std::atomic<uint64_t> shared_builtin_reads{0};
}  // namespace

uint64_t SharedBuiltinReads() { return shared_builtin_reads.load(std::memory_order_relaxed); }

size_t SharedBuiltinCodeBytes() {
  size_t total = 0;
  for (const auto& [name, code] : Builtins().modules) {
    for (const auto& slot : code.shared) total += JS_SharedBytecodeSize(slot.load(std::memory_order_acquire));
  }
  return total;
}

namespace {

std::string Dirname(std::string_view id) {
  auto slash = id.rfind('/');
  return slash == std::string_view::npos ? std::string() : std::string(id.substr(0, slash + 1));
}

// Resolves "./x", "../x" and "/x" against the importing document's id.
// Returns "" when the result would leave the document tree.
std::string ResolveRelative(std::string_view base, std::string_view name) {
  std::string joined = name.front() == '/' ? std::string(name.substr(1)) : Dirname(base) + std::string(name);
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= joined.size()) {
    size_t slash = joined.find('/', start);
    std::string part = joined.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (part == "..") {
      if (parts.empty()) return {};
      parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "/") + p;
  return out;
}

char* NormalizeWithoutResolver(JSContext* ctx, const char* base, const char* name);
bool NoteRouterFormat(JSContext* ctx, Worker& worker, const char* name);

// hbf:modules' hooks (its default export: the resolver used by both import
// and require, the CommonJS loader), loading it on first use; or an exception.
// Undefined when the build has no hbf:modules (the engine tests' stand-ins).
JSValue ModuleHooks(JSContext* ctx) {
  if (Builtins().modules.count("hbf:modules") == 0) return Undefined();
  JSValue ns = LoadBuiltinNamespace(ctx, "hbf:modules");
  if (JS_IsException(ns)) return ns;
  JSValue hooks = JS_GetPropertyStr(ctx, ns, "default");
  JS_FreeValue(ctx, ns);
  return hooks;
}

bool IsIdentifier(const std::string& name) {
  static const char* const kReserved[] = {
      "default", "break", "case", "catch", "class", "const", "continue", "debugger", "delete", "do", "else",
      "enum", "export", "extends", "false", "finally", "for", "function", "if", "import", "in", "instanceof",
      "new", "null", "return", "super", "switch", "this", "throw", "true", "try", "typeof", "var", "void",
      "while", "with", "yield", "let", "static", "implements", "interface", "package", "private", "protected",
      "public", "await", "arguments", "eval"};
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$')) return false;
  }
  for (const char* r : kReserved) {
    if (name == r) return false;
  }
  return true;
}

// ES module source standing in for a JSON document or a CommonJS module.
std::optional<std::string> FacadeSource(JSContext* ctx, Worker& w, const std::string& id, const std::string& format) {
  std::string id_literal;
  AppendJsonString(id_literal, id);
  if (format == "json") {
    auto text = WorkerAccess::QueryDocument(w, "SELECT CAST(content AS TEXT) FROM documents WHERE path = ?", id);
    if (!text.ok() || !text->has_value() || !std::holds_alternative<std::string>(**text)) return std::nullopt;
    std::string literal;
    AppendJsonString(literal, std::get<std::string>(**text));
    return "export default JSON.parse(" + literal + ");\n";
  }
  // CommonJS: run it now (hbf:modules), then re-export its own enumerable
  // identifier keys as named exports next to the default, as Node allows.
  JSValue hooks = ModuleHooks(ctx);
  if (JS_IsException(hooks)) return std::nullopt;
  JSValue names_fn = JS_GetPropertyStr(ctx, hooks, "cjsExportNames");
  JS_FreeValue(ctx, hooks);
  if (!JS_IsFunction(ctx, names_fn)) {
    JS_FreeValue(ctx, names_fn);
    JS_ThrowReferenceError(ctx, "CommonJS modules need hbf:modules");
    return std::nullopt;
  }
  JSValue arg = JS_NewStringLen(ctx, id.data(), id.size());
  JSValue names = JS_Call(ctx, names_fn, Undefined(), 1, &arg);
  JS_FreeValue(ctx, arg);
  JS_FreeValue(ctx, names_fn);
  if (JS_IsException(names)) return std::nullopt;
  std::string source = "import { loadCommonJs } from \"hbf:modules\";\nconst m = loadCommonJs(" + id_literal +
                       ");\nexport default m;\n";
  std::string exports;
  int64_t n = 0;
  Scoped len(ctx, JS_GetPropertyStr(ctx, names, "length"));
  JS_ToInt64(ctx, &n, len.get());
  for (int64_t k = 0; k < n && k < 10000; ++k) {
    Scoped item(ctx, JS_GetPropertyUint32(ctx, names, static_cast<uint32_t>(k)));
    std::string name = ToStdString(ctx, item.get());
    if (!IsIdentifier(name)) continue;
    exports += (exports.empty() ? "export const " : ", ") + name + " = m." + name;
  }
  JS_FreeValue(ctx, names);
  if (!exports.empty()) source += exports + ";\n";
  return source;
}

char* NormalizeModuleImpl(JSContext* ctx, const char* base, const char* name, void* opaque) {
  std::string_view n0(name);
  std::string_view b0(base != nullptr ? base : "");
  if (WorkerAccess::StubImports(*static_cast<Worker*>(opaque)) && n0.rfind("hbf:", 0) != 0) {
    return js_strdup(ctx, ("hbf-check-stub:" + std::string(n0)).c_str());
  }
  // Tenant imports (not built-ins, not HBF loading the router) go through the
  // JavaScript resolver when hbf:modules is present: bare specifiers,
  // packages under modules/, extensions and formats, exactly as require().
  if (n0.rfind("hbf:", 0) != 0 && !b0.empty() && b0.rfind("hbf:", 0) != 0) {
    // Core modules and HBF's built-in packages resolve the same from
    // anywhere: answered here, they cost no hbf:modules.
    if (const char* id = BuiltinModuleFor(n0)) return js_strdup(ctx, id);
    JSValue hooks = ModuleHooks(ctx);
    if (JS_IsException(hooks)) return nullptr;
    JSValue resolve = JS_GetPropertyStr(ctx, hooks, "resolve");
    JS_FreeValue(ctx, hooks);
    if (JS_IsFunction(ctx, resolve)) {
      JSValue args[3] = {JS_NewString(ctx, name), JS_NewString(ctx, base), JS_NewString(ctx, "import")};
      JSValue resolved = JS_Call(ctx, resolve, Undefined(), 3, args);
      for (JSValue& a : args) JS_FreeValue(ctx, a);
      JS_FreeValue(ctx, resolve);
      if (JS_IsException(resolved)) return nullptr;
      std::string id = PropString(ctx, resolved, "id");
      std::string format = PropString(ctx, resolved, "format");
      JS_FreeValue(ctx, resolved);
      if (id.empty()) {
        JS_ThrowReferenceError(ctx, "cannot resolve module '%s' imported from '%s'", name, base);
        return nullptr;
      }
      if (format == "json" || format == "cjs") WorkerAccess::Formats(*static_cast<Worker*>(opaque))[id] = format;
      return js_strdup(ctx, id.c_str());
    }
    JS_FreeValue(ctx, resolve);
  }
  if (b0.empty() && n0.rfind("hbf:", 0) != 0 && !NoteRouterFormat(ctx, *static_cast<Worker*>(opaque), name)) {
    return nullptr;
  }
  return NormalizeWithoutResolver(ctx, base, name);
}

// HBF itself loading a document (the router): one written the CommonJS way
// (`module.exports = app`, see hbf:modules' formatOf) is loaded through the
// CommonJS facade, whose default export is its module.exports. False with a
// pending exception.
bool NoteRouterFormat(JSContext* ctx, Worker& worker, const char* name) {
  // Most routers are ES modules: only one that mentions "exports" at all
  // costs loading hbf:modules (otherwise loaded on first tenant import).
  auto mentions = WorkerAccess::QueryDocument(
      worker, "SELECT instr(CAST(content AS TEXT), 'exports') > 0 FROM documents WHERE path = ?", std::string(name));
  if (!mentions.ok() || !mentions->has_value() || !std::holds_alternative<int64_t>(**mentions) ||
      std::get<int64_t>(**mentions) == 0) {
    return true;
  }
  JSValue hooks = ModuleHooks(ctx);
  if (JS_IsException(hooks)) return false;
  if (!JS_IsObject(hooks)) return true;  // no hbf:modules (the engine tests' stand-ins): ES modules only
  JSValue format_of = JS_GetPropertyStr(ctx, hooks, "formatOf");
  JS_FreeValue(ctx, hooks);
  if (!JS_IsFunction(ctx, format_of)) {
    JS_FreeValue(ctx, format_of);
    return true;
  }
  JSValue arg = JS_NewString(ctx, name);
  JSValue format = JS_Call(ctx, format_of, Undefined(), 1, &arg);
  JS_FreeValue(ctx, arg);
  JS_FreeValue(ctx, format_of);
  if (JS_IsException(format)) return false;
  if (ToStdString(ctx, format) == "cjs") WorkerAccess::Formats(worker)[name] = "cjs";
  JS_FreeValue(ctx, format);
  return true;
}

char* NormalizeWithoutResolver(JSContext* ctx, const char* base, const char* name) {
  std::string_view n(name);
  std::string_view b(base != nullptr ? base : "");
  std::string resolved;
  if (n.rfind("hbf:", 0) == 0) {
    if (n == "hbf:native" && b.rfind("hbf:", 0) != 0) {
      JS_ThrowReferenceError(ctx, "module 'hbf:native' is internal to HBF");
      return nullptr;
    }
    resolved = std::string(n);
  } else if (b.empty()) {
    resolved = std::string(n);  // loaded by HBF itself (the router): a document id
  } else if (n.rfind("./", 0) == 0 || n.rfind("../", 0) == 0 || n.rfind('/', 0) == 0) {
    if (b.rfind("hbf:", 0) == 0) {
      JS_ThrowReferenceError(ctx, "built-in module %s cannot import '%s'", base, name);
      return nullptr;
    }
    resolved = ResolveRelative(b, n);
    if (resolved.empty()) {
      JS_ThrowReferenceError(ctx, "cannot import '%s' from '%s': it leaves the henv's documents", name, base);
      return nullptr;
    }
  } else {
    JS_ThrowReferenceError(ctx, "cannot resolve module '%s' imported from '%s' (use a relative path like './%s')",
                           name, base, name);
    return nullptr;
  }
  return js_strdup(ctx, resolved.c_str());
}

// A built-in's bytecode read with the function code earlier runtimes made
// (BuiltinModuleCode), or read as usual and its code offered to later ones.
JSValue ReadBuiltin(JSContext* ctx, const BuiltinModuleCode& code) {
  constexpr int kVariants = BuiltinModuleCode::kVariants;
  JSSharedBytecode* seen[kVariants];
  int count = 0;
  while (count < kVariants && (seen[count] = code.shared[count].load(std::memory_order_acquire)) != nullptr) ++count;
  JSSharedBytecode* made = nullptr;
  int used = -1;
  JSValue obj = JS_ReadObjectShared(ctx, code.bytecode, code.size, JS_READ_OBJ_BYTECODE, seen, count, &used,
                                    count < kVariants ? &made : nullptr);
  if (used >= 0) shared_builtin_reads.fetch_add(1, std::memory_order_relaxed);
  if (made != nullptr) {
    // This runtime does not use `made` (it read its own copy): if another
    // thread filled the slot first, it is freed at once.
    JSSharedBytecode* expected = nullptr;
    if (!code.shared[count].compare_exchange_strong(expected, made, std::memory_order_acq_rel)) {
      JS_FreeSharedBytecode(made);
    }
  }
  return obj;
}

JSModuleDef* LoadModuleImpl(JSContext* ctx, const char* name, void* opaque) {
  Worker* worker = static_cast<Worker*>(opaque);
  std::string_view n(name);
  if (n == "hbf:native") return NewNativeModule(ctx, name);
  if (n.rfind("hbf-check-stub:", 0) == 0) {
    // Exports nothing; never linked, since a checked module is never run.
    return JS_NewCModule(ctx, name, [](JSContext*, JSModuleDef*) { return 0; });
  }
  const BuiltinModuleCode* builtin = nullptr;
  const uint8_t* bytecode = nullptr;  // a henv document's, compiled
  size_t bytecode_size = 0;
  std::shared_ptr<const std::vector<uint8_t>> cached;
  if (n.rfind("hbf:", 0) == 0) {
    const auto& builtins = Builtins();
    auto it = builtins.modules.find(std::string(n));
    if (it == builtins.modules.end()) {
      JS_ThrowReferenceError(ctx, "no built-in module '%s'", name);
      return nullptr;
    }
    builtin = &it->second;  // (read by ReadBuiltin below)
  } else {
    // A document loaded as a module is server code: never served by path.
    worker->pool().server_code.Note(n);
    if (auto format = WorkerAccess::Formats(*worker).find(std::string(n));
        format != WorkerAccess::Formats(*worker).end()) {
      auto facade = FacadeSource(ctx, *worker, std::string(n), format->second);
      if (!facade) {
        if (!JS_HasException(ctx)) JS_ThrowReferenceError(ctx, "cannot load module '%s'", name);
        return nullptr;
      }
      JSValue fn = JS_Eval(ctx, facade->c_str(), facade->size(), name, JS_EVAL_TYPE_MODULE | JS_EVAL_FLAG_COMPILE_ONLY);
      if (JS_IsException(fn)) return nullptr;
      auto* m = static_cast<JSModuleDef*>(JS_VALUE_GET_PTR(fn));
      JS_FreeValue(ctx, fn);
      return m;
    }
    // A document of the henv, compiled once per (id, etag) for all workers.
    auto content =
        WorkerAccess::QueryDocument(*worker, "SELECT CAST(content AS BLOB) FROM documents WHERE path = ?", std::string(n));
    if (!content.ok()) {
      JS_ThrowInternalError(ctx, "cannot read module '%s': %s", name, content.error().message.c_str());
      return nullptr;
    }
    if (!content->has_value()) {
      JS_ThrowReferenceError(ctx, "cannot find module '%s'", name);
      return nullptr;
    }
    // Keyed by the bytes themselves (BytecodeCache).
    std::string_view source_bytes;
    if (const auto* bytes = std::get_if<db::Blob>(&**content)) {
      source_bytes = std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size());
    }
    cached = worker->pool().bytecode.Find(std::string(n), source_bytes);
    if (!cached) {
      WorkerAccess::NoteCompiled(*worker);
      std::string source(source_bytes);  // (JS_Eval reads a terminated string)
      JSValue fn = JS_Eval(ctx, source.c_str(), source.size(), name, JS_EVAL_TYPE_MODULE | JS_EVAL_FLAG_COMPILE_ONLY);
      if (JS_IsException(fn)) return nullptr;
      size_t size = 0;
      uint8_t* buf = JS_WriteObject(ctx, &size, fn, JS_WRITE_OBJ_BYTECODE);
      if (buf != nullptr) {
        worker->pool().bytecode.Store(std::string(n), std::move(source), std::vector<uint8_t>(buf, buf + size));
        js_free(ctx, buf);
      }
      auto* m = static_cast<JSModuleDef*>(JS_VALUE_GET_PTR(fn));
      JS_FreeValue(ctx, fn);
      return m;
    }
    bytecode = cached->data();
    bytecode_size = cached->size();
  }
  JSValue obj = builtin != nullptr ? ReadBuiltin(ctx, *builtin)
                                   : JS_ReadObject(ctx, bytecode, bytecode_size, JS_READ_OBJ_BYTECODE);
  if (JS_IsException(obj)) return nullptr;
  auto* m = static_cast<JSModuleDef*>(JS_VALUE_GET_PTR(obj));
  JS_FreeValue(ctx, obj);
  if (n.rfind("hbf:", 0) == 0) WorkerAccess::BuiltinModules(*worker)[std::string(n)] = m;
  return m;
}

}  // namespace

// The module hooks are C callbacks too: the same guard as the natives
// (Guarded in natives.cpp).
char* NormalizeModule(JSContext* ctx, const char* base, const char* name, void* opaque) {
  try {
    return NormalizeModuleImpl(ctx, base, name, opaque);
  } catch (...) {
    WorkerAccess::MarkBroken(*static_cast<Worker*>(opaque));
    JS_ThrowOutOfMemory(ctx);
    return nullptr;
  }
}

JSModuleDef* LoadModule(JSContext* ctx, const char* name, void* opaque) {
  try {
    return LoadModuleImpl(ctx, name, opaque);
  } catch (...) {
    WorkerAccess::MarkBroken(*static_cast<Worker*>(opaque));
    JS_ThrowOutOfMemory(ctx);
    return nullptr;
  }
}

namespace {
// Links and evaluates module `m` now. A module whose evaluation cannot
// complete synchronously (top-level await, or one still being evaluated
// further up the stack) is kPending; kFailed leaves its exception pending.
enum class Evaluation { kDone, kFailed, kPending };
Evaluation EvaluateNow(JSContext* ctx, JSModuleDef* m) {
  JSValue module = JS_DupValue(ctx, JS_MKPTR(JS_TAG_MODULE, m));
  if (JS_ResolveModule(ctx, module) < 0) {
    JS_FreeValue(ctx, module);
    return Evaluation::kFailed;
  }
  JSValue evaluated = JS_EvalFunction(ctx, module);  // consumes `module`
  if (JS_IsException(evaluated)) return Evaluation::kFailed;
  const JSPromiseStateEnum state = JS_PromiseState(ctx, evaluated);
  if (state == JS_PROMISE_REJECTED) {
    JS_Throw(ctx, JS_PromiseResult(ctx, evaluated));
    JS_FreeValue(ctx, evaluated);
    return Evaluation::kFailed;
  }
  JS_FreeValue(ctx, evaluated);
  return state == JS_PROMISE_PENDING ? Evaluation::kPending : Evaluation::kDone;
}
}  // namespace

JSValue LoadBuiltinNamespace(JSContext* ctx, const std::string& id) {
  Worker& worker = *WorkerAccess::From(ctx);
  auto& loaded = WorkerAccess::BuiltinModules(worker);
  JSModuleDef* m = nullptr;
  if (auto it = loaded.find(id); it != loaded.end()) {
    m = it->second;
  } else {
    if (id.rfind("hbf:", 0) != 0 || id == "hbf:native") {
      return JS_ThrowTypeError(ctx, "loadBuiltin: '%s' is not a built-in module", id.c_str());
    }
    m = LoadModule(ctx, id.c_str(), &worker);  // records it in `loaded`
    if (m == nullptr) return JS_EXCEPTION;
  }
  switch (EvaluateNow(ctx, m)) {
    case Evaluation::kFailed:
      return JS_EXCEPTION;
    case Evaluation::kPending:
      // Only a module still being evaluated further up the stack (an import
      // cycle through loadBuiltin) can be pending here.
      return JS_ThrowReferenceError(ctx, "built-in module '%s' is still being loaded", id.c_str());
    case Evaluation::kDone:
      break;
  }
  return JS_GetModuleNamespace(ctx, m);
}

JSValue RequireEsmNamespace(JSContext* ctx, const std::string& id) {
  // A one-line ES module that imports the document: compiling, linking and
  // evaluating it goes through the same hooks, bytecode cache and loaded-
  // module list as `import`, so the document is one module instance whether
  // imported or required. Its specifier is root-relative ("/" + id): the
  // resolver maps it back to exactly `id`.
  std::string specifier;
  AppendJsonString(specifier, "/" + id);
  const std::string source = "import * as ns from " + specifier + ";\nexport { ns };\n";
  const std::string name = "hbf-require:" + id;
  JSValue module = JS_Eval(ctx, source.data(), source.size(), name.c_str(), JS_EVAL_TYPE_MODULE | JS_EVAL_FLAG_COMPILE_ONLY);
  if (JS_IsException(module)) return JS_EXCEPTION;
  auto* m = static_cast<JSModuleDef*>(JS_VALUE_GET_PTR(module));
  JS_FreeValue(ctx, module);  // the context's module list keeps it
  switch (EvaluateNow(ctx, m)) {
    case Evaluation::kFailed:
      return JS_EXCEPTION;
    case Evaluation::kPending: {
      // Top-level await somewhere in its graph (or a cycle back into a
      // module still being evaluated): require() cannot wait, as in Node.
      JS_ThrowTypeError(ctx,
                        "require() cannot be used on an ESM graph with top-level await. Use import() instead. "
                        "(requiring %s)",
                        id.c_str());
      JSValue err = JS_GetException(ctx);
      JS_SetPropertyStr(ctx, err, "code", JS_NewString(ctx, "ERR_REQUIRE_ASYNC_MODULE"));
      return JS_Throw(ctx, err);
    }
    case Evaluation::kDone:
      break;
  }
  JSValue wrapper_ns = JS_GetModuleNamespace(ctx, m);
  if (JS_IsException(wrapper_ns)) return JS_EXCEPTION;
  JSValue ns = JS_GetPropertyStr(ctx, wrapper_ns, "ns");
  JS_FreeValue(ctx, wrapper_ns);
  return ns;
}

}  // namespace internal
}  // namespace hbf::js
