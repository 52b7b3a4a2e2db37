#include "js/worker.h"

#include <malloc.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string_view>
#include <thread>

#include "core/log.h"
#include "crypto/crypto.h"
#include "js/builtin_sources.h"

namespace hbf::js {

// Gives the C callbacks below access to Worker's private state.
struct WorkerAccess {
  static Worker* From(JSContext* ctx) { return static_cast<Worker*>(JS_GetContextOpaque(ctx)); }
  static db::Database& Db(Worker& w) { return *w.db_; }
  static const std::string& HenvHash(Worker& w) { return w.henv_hash_; }
  static std::chrono::steady_clock::time_point Deadline(Worker& w) { return w.deadline_; }
  static void MarkTimedOut(Worker& w) { w.timed_out_ = true; }
  static void MarkBroken(Worker& w) { w.reusable_ = false; }
  static std::map<int64_t, Worker::Timer>& Timers(Worker& w) { return w.timers_; }
  static int64_t NextTimerId(Worker& w) { return w.next_timer_id_++; }
  static std::unordered_map<std::string, std::string>& Formats(Worker& w) { return w.module_formats_; }
  static std::unordered_map<std::string, JSModuleDef*>& BuiltinModules(Worker& w) { return w.builtin_modules_; }
};

namespace {

using Clock = std::chrono::steady_clock;

// ------------------------------------------------------------- allocator
// QuickJS's allocator hooks, with the bytes of each runtime counted in its
// Worker::Memory so the engine can read them in O(1).
constexpr size_t kAllocOverhead = 8;

// Only the thread running the worker writes its counter (a worker is used by
// one thread at a time), so a relaxed load + store suffices: no contended
// read-modify-write on the allocation path. Others may read it at any time.
void Account(JSMallocState* s, int64_t delta) {
  auto& bytes = static_cast<Worker::Memory*>(s->opaque)->bytes;
  bytes.store(bytes.load(std::memory_order_relaxed) + delta, std::memory_order_relaxed);
}

void* HbfMalloc(JSMallocState* s, size_t size) {
  if (s->malloc_size + size > s->malloc_limit) return nullptr;
  void* p = std::malloc(size);
  if (p == nullptr) return nullptr;
  size_t n = malloc_usable_size(p) + kAllocOverhead;
  s->malloc_count++;
  s->malloc_size += n;
  Account(s, static_cast<int64_t>(n));
  return p;
}

void HbfFree(JSMallocState* s, void* p) {
  if (p == nullptr) return;
  size_t n = malloc_usable_size(p) + kAllocOverhead;
  s->malloc_count--;
  s->malloc_size -= n;
  Account(s, -static_cast<int64_t>(n));
  std::free(p);
}

void* HbfRealloc(JSMallocState* s, void* p, size_t size) {
  if (p == nullptr) return size == 0 ? nullptr : HbfMalloc(s, size);
  if (size == 0) {
    HbfFree(s, p);
    return nullptr;
  }
  size_t old = malloc_usable_size(p);
  if (s->malloc_size + size - old > s->malloc_limit) return nullptr;
  void* q = std::realloc(p, size);
  if (q == nullptr) return nullptr;
  size_t now = malloc_usable_size(q);
  s->malloc_size += now;
  s->malloc_size -= old;
  Account(s, static_cast<int64_t>(now) - static_cast<int64_t>(old));
  return q;
}

size_t HbfUsableSize(const void* p) { return malloc_usable_size(const_cast<void*>(p)); }

const JSMallocFunctions kMallocFunctions = {HbfMalloc, HbfFree, HbfRealloc, HbfUsableSize};

// ----------------------------------------------------------------- values

JSValue Undefined() {
  JSValue v;
  v.u.int32 = 0;
  v.tag = JS_TAG_UNDEFINED;
  return v;
}

JSValue Null() {
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

std::string ToStdString(JSContext* ctx, JSValueConst v) {
  size_t len = 0;
  const char* s = JS_ToCStringLen(ctx, &len, v);
  if (s == nullptr) return {};
  std::string out(s, len);
  JS_FreeCString(ctx, s);
  return out;
}

std::string PropString(JSContext* ctx, JSValueConst obj, const char* name) {
  Scoped v(ctx, JS_GetPropertyStr(ctx, obj, name));
  if (JS_IsUndefined(v.get()) || JS_IsNull(v.get())) return {};
  return ToStdString(ctx, v.get());
}

// Bytes of an ArrayBuffer or any typed array / DataView; false otherwise.
bool BytesOf(JSContext* ctx, JSValueConst v, std::string& out) {
  size_t size = 0;
  if (uint8_t* buf = JS_GetArrayBuffer(ctx, &size, v); buf != nullptr) {
    out.assign(reinterpret_cast<const char*>(buf), size);
    return true;
  }
  JS_FreeValue(ctx, JS_GetException(ctx));  // not an ArrayBuffer: clear the TypeError
  size_t offset = 0;
  size_t length = 0;
  size_t per_element = 0;
  JSValue buffer = JS_GetTypedArrayBuffer(ctx, v, &offset, &length, &per_element);
  if (JS_IsException(buffer)) {
    JS_FreeValue(ctx, JS_GetException(ctx));
    return false;
  }
  uint8_t* base = JS_GetArrayBuffer(ctx, &size, buffer);
  JS_FreeValue(ctx, buffer);
  if (base == nullptr) return false;
  out.assign(reinterpret_cast<const char*>(base + offset), length);
  return true;
}

JSValue NewUint8Array(JSContext* ctx, const void* data, size_t size) {
  JSValue buffer = JS_NewArrayBufferCopy(ctx, static_cast<const uint8_t*>(data), size);
  if (JS_IsException(buffer)) return buffer;
  // (buffer, byteOffset, length): QuickJS reads all three.
  JSValue args[3] = {buffer, JS_NewInt32(ctx, 0), JS_NewInt64(ctx, static_cast<int64_t>(size))};
  JSValue array = JS_NewTypedArray(ctx, 3, args, JS_TYPED_ARRAY_UINT8);
  JS_FreeValue(ctx, buffer);
  return array;
}

bool IsPlainObject(JSContext* ctx, JSValueConst v) {
  if (!JS_IsObject(v) || JS_IsArray(ctx, v) || JS_IsFunction(ctx, v)) return false;
  std::string ignored;
  return !BytesOf(ctx, v, ignored);
}

// JS value -> SQL value. Throws (returns false) for unsupported types.
bool ToSqlValue(JSContext* ctx, JSValueConst v, db::Value& out) {
  int tag = JS_VALUE_GET_TAG(v);
  if (JS_IsUndefined(v) || JS_IsNull(v)) {
    out = db::Null{};
  } else if (JS_IsBool(v)) {
    out = int64_t{JS_ToBool(ctx, v) ? 1 : 0};
  } else if (tag == JS_TAG_INT) {
    out = int64_t{JS_VALUE_GET_INT(v)};
  } else if (JS_IsNumber(v)) {
    double d = 0;
    JS_ToFloat64(ctx, &d, v);
    if (std::isfinite(d) && d == std::trunc(d) && std::fabs(d) <= 9007199254740991.0) {
      out = static_cast<int64_t>(d);
    } else {
      out = d;
    }
  } else if (JS_IsBigInt(ctx, v)) {
    int64_t i = 0;
    if (JS_ToBigInt64(ctx, &i, v) < 0) return false;
    out = i;
  } else if (JS_IsString(v)) {
    out = ToStdString(ctx, v);
  } else {
    std::string bytes;
    if (!BytesOf(ctx, v, bytes)) {
      JS_ThrowTypeError(ctx, "unsupported SQL parameter type (use null, boolean, number, bigint, string or bytes; "
                             "JSON.stringify objects)");
      return false;
    }
    out = db::Blob(bytes.begin(), bytes.end());
  }
  return true;
}

JSValue FromSqlValue(JSContext* ctx, const db::Statement& stmt, int column) {
  db::Value v = stmt.Column(column);
  switch (v.index()) {
    case 1: {
      int64_t i = std::get<int64_t>(v);
      if (i >= -9007199254740991LL && i <= 9007199254740991LL) return JS_NewInt64(ctx, i);
      return JS_NewBigInt64(ctx, i);
    }
    case 2: return JS_NewFloat64(ctx, std::get<double>(v));
    case 3: {
      const auto& s = std::get<std::string>(v);
      return JS_NewStringLen(ctx, s.data(), s.size());
    }
    case 4: {
      const auto& b = std::get<db::Blob>(v);
      return NewUint8Array(ctx, b.data(), b.size());
    }
    default: return Null();
  }
}

// Throws a plain Error (what SQLite failures look like to scripts).
JSValue ThrowError(JSContext* ctx, const std::string& message) {
  JSValue err = JS_NewError(ctx);
  JS_SetPropertyStr(ctx, err, "message", JS_NewStringLen(ctx, message.data(), message.size()));
  return JS_Throw(ctx, err);
}

JSValue ThrowSqlError(JSContext* ctx, const Error& e) { return ThrowError(ctx, e.message); }

// The uncatchable error QuickJS raises when the interrupt handler fires.
bool IsInterrupted(JSContext* ctx, JSValueConst exc) {
  return JS_IsError(ctx, exc) && PropString(ctx, exc, "name") == "InternalError" &&
         PropString(ctx, exc, "message") == "interrupted";
}

// Binds argv[1] (array, object or absent) to `stmt`.
bool BindParams(JSContext* ctx, db::Statement& stmt, JSValueConst params) {
  const int expected = stmt.ParameterCount();
  if (JS_IsUndefined(params) || JS_IsNull(params)) return true;
  if (JS_IsArray(ctx, params)) {
    int64_t length = 0;
    Scoped len(ctx, JS_GetPropertyStr(ctx, params, "length"));
    JS_ToInt64(ctx, &length, len.get());
    if (length != expected) {
      JS_ThrowRangeError(ctx, "the statement takes %d parameter(s) but %lld were given", expected,
                         static_cast<long long>(length));
      return false;
    }
    for (int i = 0; i < expected; ++i) {
      Scoped item(ctx, JS_GetPropertyUint32(ctx, params, static_cast<uint32_t>(i)));
      db::Value value;
      if (!ToSqlValue(ctx, item.get(), value)) return false;
      stmt.Bind(i + 1, value);
    }
    return true;
  }
  if (!IsPlainObject(ctx, params)) {
    JS_ThrowTypeError(ctx, "SQL parameters must be an array (positional) or an object (named)");
    return false;
  }
  for (int i = 1; i <= expected; ++i) {
    std::string name = stmt.ParameterName(i);
    if (name.empty()) {
      JS_ThrowTypeError(ctx, "the statement uses '?' parameters: pass an array");
      return false;
    }
    Scoped value_js(ctx, JS_GetPropertyStr(ctx, params, name.c_str() + 1));
    JSValue lookup = value_js.get();
    Scoped prefixed(ctx, JS_IsUndefined(lookup) ? JS_GetPropertyStr(ctx, params, name.c_str()) : Undefined());
    if (JS_IsUndefined(lookup)) lookup = prefixed.get();
    if (JS_IsUndefined(lookup)) {
      JS_ThrowTypeError(ctx, "missing value for SQL parameter %s", name.c_str());
      return false;
    }
    db::Value value;
    if (!ToSqlValue(ctx, lookup, value)) return false;
    stmt.Bind(i, value);
  }
  return true;
}

JSValue RowObject(JSContext* ctx, const db::Statement& stmt, const std::vector<JSAtom>& names) {
  JSValue row = JS_NewObject(ctx);
  for (size_t c = 0; c < names.size(); ++c) {
    JS_SetProperty(ctx, row, names[c], FromSqlValue(ctx, stmt, static_cast<int>(c)));
  }
  return row;
}

enum class DbMode { kQuery, kGet, kExecute };

bool LooksLikeInsert(std::string_view sql) {
  while (!sql.empty() && std::isspace(static_cast<unsigned char>(sql.front()))) sql.remove_prefix(1);
  auto starts = [&](std::string_view word) {
    if (sql.size() < word.size()) return false;
    for (size_t i = 0; i < word.size(); ++i) {
      if (std::toupper(static_cast<unsigned char>(sql[i])) != word[i]) return false;
    }
    return true;
  };
  return starts("INSERT") || starts("REPLACE") || starts("WITH");
}

JSValue DbRun(JSContext* ctx, int argc, JSValueConst* argv, DbMode mode) {
  Worker* w = WorkerAccess::From(ctx);
  if (argc < 1 || !JS_IsString(argv[0])) return JS_ThrowTypeError(ctx, "SQL must be a string");
  std::string sql = ToStdString(ctx, argv[0]);
  db::Database& db = WorkerAccess::Db(*w);
  auto stmt = db.Prepare(sql);
  if (!stmt.ok()) return ThrowSqlError(ctx, stmt.error());
  if (!BindParams(ctx, *stmt, argc > 1 ? argv[1] : Undefined())) return JS_EXCEPTION;

  if (mode == DbMode::kExecute) {
    if (auto s = stmt->Run(); !s.ok()) return ThrowSqlError(ctx, s.error());
    JSValue result = JS_NewObject(ctx);
    int64_t changes = db.Changes();
    JS_SetPropertyStr(ctx, result, "rows_affected", JS_NewInt64(ctx, changes));
    int64_t id = db.LastInsertRowId();
    JS_SetPropertyStr(ctx, result, "last_insert_id",
                      changes > 0 && LooksLikeInsert(sql)
                          ? (std::llabs(id) <= 9007199254740991LL ? JS_NewInt64(ctx, id) : JS_NewBigInt64(ctx, id))
                          : Null());
    return result;
  }

  std::vector<JSAtom> names;
  const int columns = stmt->ColumnCount();
  names.reserve(static_cast<size_t>(columns));
  for (int c = 0; c < columns; ++c) names.push_back(JS_NewAtom(ctx, stmt->ColumnName(c).c_str()));
  auto free_names = [&] {
    for (JSAtom a : names) JS_FreeAtom(ctx, a);
  };

  if (mode == DbMode::kGet) {
    auto row = stmt->Step();
    if (!row.ok()) {
      free_names();
      return ThrowSqlError(ctx, row.error());
    }
    JSValue out = *row ? RowObject(ctx, *stmt, names) : Null();
    free_names();
    return out;
  }
  JSValue rows = JS_NewArray(ctx);
  uint32_t index = 0;
  for (;;) {
    auto row = stmt->Step();
    if (!row.ok()) {
      free_names();
      JS_FreeValue(ctx, rows);
      return ThrowSqlError(ctx, row.error());
    }
    if (!*row) break;
    JS_SetPropertyUint32(ctx, rows, index++, RowObject(ctx, *stmt, names));
  }
  free_names();
  return rows;
}

JSValue NativeDbQuery(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  return DbRun(ctx, argc, argv, DbMode::kQuery);
}
JSValue NativeDbGet(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  return DbRun(ctx, argc, argv, DbMode::kGet);
}
JSValue NativeDbExecute(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  return DbRun(ctx, argc, argv, DbMode::kExecute);
}

JSValue NativeDbExec(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  if (argc < 1 || !JS_IsString(argv[0])) return JS_ThrowTypeError(ctx, "SQL must be a string");
  std::string sql = ToStdString(ctx, argv[0]);
  // Only transaction control goes through here (hbf:db's transaction()).
  std::string upper;
  for (char c : sql) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const bool allowed = upper.rfind("BEGIN", 0) == 0 || upper == "COMMIT" || upper == "ROLLBACK" ||
                       upper.rfind("SAVEPOINT ", 0) == 0 || upper.rfind("RELEASE ", 0) == 0 ||
                       upper.rfind("ROLLBACK TO ", 0) == 0;
  if (!allowed || sql.find(';') != std::string::npos) {
    return JS_ThrowTypeError(ctx, "dbExec runs transaction control only");
  }
  if (auto s = WorkerAccess::Db(*WorkerAccess::From(ctx)).Exec(sql); !s.ok()) return ThrowSqlError(ctx, s.error());
  return Undefined();
}

JSValue NativeDbInTransaction(JSContext* ctx, JSValueConst, int, JSValueConst*) {
  return JS_NewBool(ctx, WorkerAccess::Db(*WorkerAccess::From(ctx)).InTransaction());
}

JSValue NativeLog(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  std::string level = argc > 0 ? ToStdString(ctx, argv[0]) : "info";
  std::string message = argc > 1 ? ToStdString(ctx, argv[1]) : "";
  if (message.size() > 8192) message.resize(8192);
  LogLevel lvl = ParseLogLevel(level).value_or(LogLevel::kInfo);
  Log(lvl, "console: " + message, WorkerAccess::HenvHash(*WorkerAccess::From(ctx)));
  return Undefined();
}

bool ArgBytes(JSContext* ctx, int argc, JSValueConst* argv, int i, std::string& out) {
  if (i >= argc) {
    JS_ThrowTypeError(ctx, "missing argument");
    return false;
  }
  if (JS_IsString(argv[i])) {
    out = ToStdString(ctx, argv[i]);
    return true;
  }
  if (!BytesOf(ctx, argv[i], out)) {
    JS_ThrowTypeError(ctx, "expected bytes (Uint8Array or ArrayBuffer)");
    return false;
  }
  return true;
}

JSValue NativeUtf8Encode(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  std::string s = argc > 0 ? ToStdString(ctx, argv[0]) : "";
  return NewUint8Array(ctx, s.data(), s.size());
}

JSValue NativeUtf8Decode(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  std::string bytes;
  if (!ArgBytes(ctx, argc, argv, 0, bytes)) return JS_EXCEPTION;
  const bool fatal = argc > 1 && JS_ToBool(ctx, argv[1]);
  if (IsValidUtf8(bytes)) return JS_NewStringLen(ctx, bytes.data(), bytes.size());
  if (fatal) return JS_ThrowTypeError(ctx, "The encoded data was not valid for encoding utf-8");
  // Replace each invalid sequence with U+FFFD (JSON's encoder does exactly that).
  std::string repaired;
  AppendJsonString(repaired, bytes);
  auto parsed = Json::Parse(repaired);
  const std::string& text = parsed.ok() ? parsed->as_string() : repaired;
  return JS_NewStringLen(ctx, text.data(), text.size());
}

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

JSValue NativeNow(JSContext* ctx, JSValueConst, int, JSValueConst*) {
  auto ms = std::chrono::duration<double, std::milli>(std::chrono::system_clock::now().time_since_epoch()).count();
  return JS_NewFloat64(ctx, ms);
}

JSValue NativeReadDocument(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  if (argc < 1 || !JS_IsString(argv[0])) return JS_ThrowTypeError(ctx, "readDocument expects a document id");
  db::Database& db = WorkerAccess::Db(*WorkerAccess::From(ctx));
  auto stmt = db.Prepare("SELECT content FROM documents WHERE path = ?");
  if (!stmt.ok()) return ThrowSqlError(ctx, stmt.error());
  stmt->Bind(1, ToStdString(ctx, argv[0]));
  auto row = stmt->Step();
  if (!row.ok()) return ThrowSqlError(ctx, row.error());
  if (!*row) return Null();
  std::string bytes = stmt->Bytes(0);
  return NewUint8Array(ctx, bytes.data(), bytes.size());
}

JSValue NativeDocumentInfo(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  if (argc < 1 || !JS_IsString(argv[0])) return JS_ThrowTypeError(ctx, "documentInfo expects a document id");
  db::Database& db = WorkerAccess::Db(*WorkerAccess::From(ctx));
  auto stmt = db.Prepare("SELECT size, modified_at, content_type FROM documents WHERE path = ?");
  if (!stmt.ok()) return ThrowSqlError(ctx, stmt.error());
  stmt->Bind(1, ToStdString(ctx, argv[0]));
  auto row = stmt->Step();
  if (!row.ok()) return ThrowSqlError(ctx, row.error());
  if (!*row) return Null();
  JSValue info = JS_NewObject(ctx);
  JS_SetPropertyStr(ctx, info, "size", JS_NewInt64(ctx, stmt->Int(0)));
  JS_SetPropertyStr(ctx, info, "modified_at", JS_NewInt64(ctx, stmt->Int(1)));
  std::string type = stmt->Text(2);
  JS_SetPropertyStr(ctx, info, "content_type", JS_NewStringLen(ctx, type.data(), type.size()));
  return info;
}

JSValue NativeListDocuments(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  std::string prefix = argc > 0 && JS_IsString(argv[0]) ? ToStdString(ctx, argv[0]) : "";
  db::Database& db = WorkerAccess::Db(*WorkerAccess::From(ctx));
  auto stmt = db.Prepare("SELECT path FROM documents WHERE path >= ?1 AND path < ?2 ORDER BY path LIMIT 100000");
  if (!stmt.ok()) return ThrowSqlError(ctx, stmt.error());
  stmt->Bind(1, prefix).Bind(2, prefix + "\xF4\x8F\xBF\xBF");
  JSValue list = JS_NewArray(ctx);
  uint32_t i = 0;
  for (;;) {
    auto row = stmt->Step();
    if (!row.ok()) {
      JS_FreeValue(ctx, list);
      return ThrowSqlError(ctx, row.error());
    }
    if (!*row) break;
    std::string id = stmt->Text(0);
    JS_SetPropertyUint32(ctx, list, i++, JS_NewStringLen(ctx, id.data(), id.size()));
  }
  return list;
}

// compileFunction(source, filename, params): `function (params) { source }`
// compiled with `filename`, keeping the source's line numbers.
JSValue NativeCompileFunction(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  if (argc < 2 || !JS_IsString(argv[0]) || !JS_IsString(argv[1])) {
    return JS_ThrowTypeError(ctx, "compileFunction(source, filename, params)");
  }
  std::string params;
  if (argc > 2 && JS_IsArray(ctx, argv[2])) {
    int64_t n = 0;
    Scoped len(ctx, JS_GetPropertyStr(ctx, argv[2], "length"));
    JS_ToInt64(ctx, &n, len.get());
    for (int64_t k = 0; k < n && k < 64; ++k) {
      Scoped p(ctx, JS_GetPropertyUint32(ctx, argv[2], static_cast<uint32_t>(k)));
      std::string name = ToStdString(ctx, p.get());
      for (char c : name) {
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$')) {
          return JS_ThrowTypeError(ctx, "compileFunction: invalid parameter name");
        }
      }
      params += (params.empty() ? "" : ", ") + name;
    }
  }
  std::string filename = ToStdString(ctx, argv[1]);
  // The header shares the source's first line so line numbers stay true.
  std::string text = "(function (" + params + ") {" + ToStdString(ctx, argv[0]) + "\n})";
  return JS_Eval(ctx, text.c_str(), text.size(), filename.c_str(), JS_EVAL_TYPE_GLOBAL);
}

JSValue NativeSetTimer(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  if (argc < 2 || !JS_IsFunction(ctx, argv[1])) return JS_ThrowTypeError(ctx, "setTimer(delayMs, fn, repeat)");
  double delay = 0;
  JS_ToFloat64(ctx, &delay, argv[0]);
  if (!std::isfinite(delay) || delay < 0) delay = 0;
  if (delay > 2147483647.0) delay = 2147483647.0;
  Worker& w = *WorkerAccess::From(ctx);
  auto& timers = WorkerAccess::Timers(w);
  if (timers.size() >= 10000) return JS_ThrowRangeError(ctx, "too many timers");
  const bool repeat = argc > 2 && JS_ToBool(ctx, argv[2]);
  const int64_t id = WorkerAccess::NextTimerId(w);
  const auto ms = static_cast<int64_t>(delay);
  timers[id] = Worker::Timer{Clock::now() + std::chrono::milliseconds(ms), repeat ? std::max<int64_t>(ms, 1) : -1,
                             JS_DupValue(ctx, argv[1])};
  return JS_NewInt64(ctx, id);
}

JSValue NativeClearTimer(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  int64_t id = 0;
  if (argc < 1 || JS_ToInt64(ctx, &id, argv[0]) < 0) return Undefined();
  auto& timers = WorkerAccess::Timers(*WorkerAccess::From(ctx));
  if (auto it = timers.find(id); it != timers.end()) {
    JS_FreeValue(ctx, it->second.fn);
    timers.erase(it);
  }
  return Undefined();
}

JSValue NativeConfig(JSContext* ctx, JSValueConst, int, JSValueConst*) {
  db::Database& db = WorkerAccess::Db(*WorkerAccess::From(ctx));
  auto stmt = db.Prepare("SELECT key, value FROM _hbf_config ORDER BY key");
  if (!stmt.ok()) return ThrowSqlError(ctx, stmt.error());
  JSValue out = JS_NewObject(ctx);
  for (;;) {
    auto row = stmt->Step();
    if (!row.ok() || !*row) break;
    std::string key = stmt->Text(0);
    std::string value = stmt->Text(1);
    JS_SetPropertyStr(ctx, out, key.c_str(), JS_NewStringLen(ctx, value.data(), value.size()));
  }
  return out;
}

JSModuleDef* LoadModule(JSContext* ctx, const char* name, void* opaque);

// The namespace of built-in module `id`, loaded and evaluated synchronously
// on first use (or JS_EXCEPTION). This is what makes the Node shims, the
// globals they back and the module resolver lazy: a worker pays for `fs` only
// when a script requires it. Built-ins have no top-level await, so evaluation
// completes here.
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
  JSValue module = JS_DupValue(ctx, JS_MKPTR(JS_TAG_MODULE, m));
  if (JS_ResolveModule(ctx, module) < 0) {
    JS_FreeValue(ctx, module);
    return JS_EXCEPTION;
  }
  JSValue evaluated = JS_EvalFunction(ctx, module);  // consumes `module`
  if (JS_IsException(evaluated)) return JS_EXCEPTION;
  const JSPromiseStateEnum state = JS_PromiseState(ctx, evaluated);
  if (state == JS_PROMISE_REJECTED) {
    JSValue reason = JS_PromiseResult(ctx, evaluated);
    JS_FreeValue(ctx, evaluated);
    return JS_Throw(ctx, reason);
  }
  JS_FreeValue(ctx, evaluated);
  if (state == JS_PROMISE_PENDING) {
    // Only a module still being evaluated further up the stack (an import
    // cycle through loadBuiltin) can be pending here.
    return JS_ThrowReferenceError(ctx, "built-in module '%s' is still being loaded", id.c_str());
  }
  return JS_GetModuleNamespace(ctx, m);
}

// loadBuiltin(id): LoadBuiltinNamespace for the built-in modules' own use.
JSValue NativeLoadBuiltin(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  if (argc < 1 || !JS_IsString(argv[0])) return JS_ThrowTypeError(ctx, "loadBuiltin expects a module id");
  return LoadBuiltinNamespace(ctx, ToStdString(ctx, argv[0]));
}

JSValue NativeHostInfo(JSContext* ctx, JSValueConst, int, JSValueConst*) {
  JSValue out = JS_NewObject(ctx);
  JS_SetPropertyStr(ctx, out, "version", JS_NewString(ctx, HBF_VERSION_STRING));
  JS_SetPropertyStr(ctx, out, "platform", JS_NewString(ctx, "linux"));
  JS_SetPropertyStr(ctx, out, "arch", JS_NewString(ctx, "x64"));
  return out;
}

// No C++ exception may unwind through QuickJS's C frames: every native is
// called through this guard, which turns one into a JS exception (out of
// memory for std::bad_alloc) and retires the worker, whose state is then
// unknown.
template <JSCFunction* F>
JSValue Guarded(JSContext* ctx, JSValueConst this_val, int argc, JSValueConst* argv) {
  try {
    return F(ctx, this_val, argc, argv);
  } catch (const std::bad_alloc&) {
    WorkerAccess::MarkBroken(*WorkerAccess::From(ctx));
    return JS_ThrowOutOfMemory(ctx);
  } catch (...) {
    WorkerAccess::MarkBroken(*WorkerAccess::From(ctx));
    return JS_ThrowInternalError(ctx, "internal error in a host function");
  }
}

struct NativeFunction {
  const char* name;
  JSCFunction* fn;
  int length;
};
constexpr NativeFunction kNativeFunctions[] = {
    {"dbQuery", Guarded<NativeDbQuery>, 2},         {"dbGet", Guarded<NativeDbGet>, 2},
    {"dbExecute", Guarded<NativeDbExecute>, 2},     {"dbExec", Guarded<NativeDbExec>, 1},
    {"dbInTransaction", Guarded<NativeDbInTransaction>, 0},
    {"log", Guarded<NativeLog>, 2},                 {"utf8Encode", Guarded<NativeUtf8Encode>, 1},
    {"utf8Decode", Guarded<NativeUtf8Decode>, 2},   {"sha256", Guarded<NativeSha256>, 1},
    {"hmacSha256", Guarded<NativeHmacSha256>, 2},   {"randomBytes", Guarded<NativeRandomBytes>, 1},
    {"base64Encode", Guarded<NativeBase64Encode>, 2}, {"base64Decode", Guarded<NativeBase64Decode>, 2},
    {"now", Guarded<NativeNow>, 0},
    {"readDocument", Guarded<NativeReadDocument>, 1}, {"documentInfo", Guarded<NativeDocumentInfo>, 1},
    {"listDocuments", Guarded<NativeListDocuments>, 1}, {"compileFunction", Guarded<NativeCompileFunction>, 3},
    {"setTimer", Guarded<NativeSetTimer>, 3},       {"clearTimer", Guarded<NativeClearTimer>, 1},
    {"config", Guarded<NativeConfig>, 0},           {"hostInfo", Guarded<NativeHostInfo>, 0},
    {"loadBuiltin", Guarded<NativeLoadBuiltin>, 1},
};

int InitNativeModule(JSContext* ctx, JSModuleDef* m) {
  for (const auto& f : kNativeFunctions) {
    if (JS_SetModuleExport(ctx, m, f.name, JS_NewCFunction(ctx, f.fn, f.name, f.length)) < 0) return -1;
  }
  return 0;
}

// ------------------------------------------------------- built-in modules

struct BuiltinBytecode {
  std::unordered_map<std::string, std::pair<const uint8_t*, size_t>> modules;
};

// The build-time bytecode table, indexed once per process.
const BuiltinBytecode& Builtins() {
  static const BuiltinBytecode index = [] {
    BuiltinBytecode out;
    for (size_t i = 0; i < kBuiltinModuleCount; ++i) {
      out.modules[kBuiltinModules[i].name] = {kBuiltinModules[i].bytecode, kBuiltinModules[i].size};
    }
    return out;
  }();
  return index;
}

// ---------------------------------------------------------- module loader

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
    db::Database& db = WorkerAccess::Db(w);
    auto text = db.QueryValue("SELECT CAST(content AS TEXT) FROM documents WHERE path = ?", {id});
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
  // Tenant imports (not built-ins, not HBF loading the router) go through the
  // JavaScript resolver when hbf:modules is present: bare specifiers,
  // packages under modules/, extensions and formats, exactly as require().
  if (n0.rfind("hbf:", 0) != 0 && !b0.empty() && b0.rfind("hbf:", 0) != 0) {
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
  return NormalizeWithoutResolver(ctx, base, name);
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

JSModuleDef* LoadModuleImpl(JSContext* ctx, const char* name, void* opaque) {
  Worker* worker = static_cast<Worker*>(opaque);
  std::string_view n(name);
  if (n == "hbf:native") {
    JSModuleDef* m = JS_NewCModule(ctx, name, InitNativeModule);
    if (m == nullptr) return nullptr;
    for (const auto& f : kNativeFunctions) JS_AddModuleExport(ctx, m, f.name);
    return m;
  }
  const uint8_t* bytecode = nullptr;
  size_t bytecode_size = 0;
  std::shared_ptr<const std::vector<uint8_t>> cached;
  if (n.rfind("hbf:", 0) == 0) {
    const auto& builtins = Builtins();
    auto it = builtins.modules.find(std::string(n));
    if (it == builtins.modules.end()) {
      JS_ThrowReferenceError(ctx, "no built-in module '%s'", name);
      return nullptr;
    }
    bytecode = it->second.first;
    bytecode_size = it->second.second;
  } else {
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
    db::Database& db = WorkerAccess::Db(*worker);
    auto stmt = db.Prepare("SELECT content FROM documents WHERE path = ?");
    if (!stmt.ok()) {
      JS_ThrowInternalError(ctx, "cannot read module '%s': %s", name, stmt.error().message.c_str());
      return nullptr;
    }
    stmt->Bind(1, std::string(n));
    auto row = stmt->Step();
    if (!row.ok() || !*row) {
      JS_ThrowReferenceError(ctx, "cannot find module '%s'", name);
      return nullptr;
    }
    // Keyed by the bytes themselves: scripts may rewrite documents with
    // plain SQL, which leaves the etag column behind.
    auto blob = stmt->BlobValue(0);
    std::string source(blob.begin(), blob.end());
    const std::string etag = crypto::Sha256Hex(source);
    cached = worker->pool().bytecode.Find(std::string(n), etag);
    if (!cached) {
      JSValue fn = JS_Eval(ctx, source.c_str(), source.size(), name, JS_EVAL_TYPE_MODULE | JS_EVAL_FLAG_COMPILE_ONLY);
      if (JS_IsException(fn)) return nullptr;
      size_t size = 0;
      uint8_t* buf = JS_WriteObject(ctx, &size, fn, JS_WRITE_OBJ_BYTECODE);
      if (buf != nullptr) {
        worker->pool().bytecode.Store(std::string(n), etag, std::vector<uint8_t>(buf, buf + size));
        js_free(ctx, buf);
      }
      auto* m = static_cast<JSModuleDef*>(JS_VALUE_GET_PTR(fn));
      JS_FreeValue(ctx, fn);
      return m;
    }
    bytecode = cached->data();
    bytecode_size = cached->size();
  }
  JSValue obj = JS_ReadObject(ctx, bytecode, bytecode_size, JS_READ_OBJ_BYTECODE);
  if (JS_IsException(obj)) return nullptr;
  auto* m = static_cast<JSModuleDef*>(JS_VALUE_GET_PTR(obj));
  JS_FreeValue(ctx, obj);
  if (n.rfind("hbf:", 0) == 0) WorkerAccess::BuiltinModules(*worker)[std::string(n)] = m;
  return m;
}

// The module hooks are C callbacks too: the same guard as the natives.
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

int InterruptHandler(JSRuntime*, void* opaque) {
  Worker* w = static_cast<Worker*>(opaque);
  if (Clock::now() > WorkerAccess::Deadline(*w)) {
    WorkerAccess::MarkTimedOut(*w);
    return 1;
  }
  return 0;
}

// "file:line:col" from the first frame of a QuickJS stack that names one.
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

}  // namespace

// ------------------------------------------------------------ BytecodeCache

std::shared_ptr<const std::vector<uint8_t>> BytecodeCache::Find(const std::string& id, const std::string& etag) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(id);
  if (it == entries_.end() || it->second.etag != etag) return nullptr;
  return it->second.bytecode;
}

void BytecodeCache::Store(const std::string& id, const std::string& etag, std::vector<uint8_t> bytecode) {
  std::lock_guard lock(mu_);
  entries_[id] = Entry{etag, std::make_shared<const std::vector<uint8_t>>(std::move(bytecode))};
}

// ------------------------------------------------------------------- Worker

Worker::Worker() : dispatch_fn_(Undefined()), router_(Undefined()), pending_(Undefined()) {}

void Worker::CancelTimers() {
  for (auto& [id, timer] : timers_) JS_FreeValue(ctx_, timer.fn);
  timers_.clear();
}

bool Worker::RunNextTimer(bool& fatal) {
  fatal = false;
  if (timers_.empty()) return false;
  auto next = timers_.begin();
  for (auto it = timers_.begin(); it != timers_.end(); ++it) {
    if (it->second.due < next->second.due) next = it;
  }
  if (next->second.due > deadline_) {
    // It would fire after the request's deadline: the request runs out of time.
    std::this_thread::sleep_until(deadline_);
    timed_out_ = true;
    fatal = true;
    return true;
  }
  std::this_thread::sleep_until(next->second.due);
  JSValue fn = JS_DupValue(ctx_, next->second.fn);
  if (next->second.interval_ms >= 0) {
    next->second.due = Clock::now() + std::chrono::milliseconds(next->second.interval_ms);
  } else {
    JS_FreeValue(ctx_, next->second.fn);
    timers_.erase(next);
  }
  JSValue ret = JS_Call(ctx_, fn, Undefined(), 0, nullptr);
  JS_FreeValue(ctx_, fn);
  if (JS_IsException(ret)) {
    JSValue exc = JS_GetException(ctx_);
    if (timed_out_ || IsInterrupted(ctx_, exc)) {
      fatal = true;
    } else {
      // An exception in a timer callback is the script's bug, not the
      // request's failure: log it, as Node would print it.
      Log(LogLevel::kError, "uncaught exception in a timer: " + PropString(ctx_, exc, "message"), henv_hash_);
    }
    JS_FreeValue(ctx_, exc);
  }
  JS_FreeValue(ctx_, ret);
  return true;
}

Worker::~Worker() {
  if (rt_ != nullptr) JS_UpdateStackTop(rt_);  // freed on whichever thread retires it
  if (ctx_ != nullptr) {
    CancelTimers();
    JS_FreeValue(ctx_, pending_);
    JS_FreeValue(ctx_, dispatch_fn_);
    JS_FreeValue(ctx_, router_);
    JS_FreeContext(ctx_);
  }
  if (rt_ != nullptr) JS_FreeRuntime(rt_);
}

namespace {

// Why a value or job failed, classified for the HTTP answer.
ScriptResult::Failure DescribeException(JSContext* ctx, JSValue exc, bool timed_out) {
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
  } else if (message == "InternalError: out of memory" || message == "out of memory") {
    f.code = "script_memory";
    f.http_status = 500;
    f.message = "the script ran out of memory";
  } else {
    f.code = "script_error";
    f.http_status = 500;
    f.message = message.empty() ? "the script failed" : message;
  }
  f.stack = stack;
  f.location = LocationFromStack(stack);
  return f;
}

}  // namespace

bool Worker::Load(const char* name, JSValue& ns, ScriptResult::Failure& failure) {
  JSValue out = Undefined();
  switch (Import(name, out)) {
    case Settled::kValue:
      ns = out;
      return true;
    case Settled::kException:
      failure = DescribeException(ctx_, out, timed_out_);
      JS_FreeValue(ctx_, out);
      return false;
    case Settled::kTimedOut:
      failure = ScriptResult::Failure{"script_timeout", 504, "the script ran out of time", "", ""};
      return false;
    case Settled::kNoProgress:
      failure = ScriptResult::Failure{"script_error", 500,
                                      std::string("module '") + name + "' never finished loading (top-level await on nothing)",
                                      "", ""};
      return false;
    case Settled::kWaiting:  // loading never suspends
      break;
  }
  return false;
}

namespace {
ScriptResult::Failure InternalFailure(std::string code, std::string message) {
  return ScriptResult::Failure{std::move(code), 500, std::move(message), "", ""};
}
}  // namespace

std::unique_ptr<Worker> Worker::CreateBlank(const ScriptLimits& limits, ScriptResult::Failure& failure) {
  std::unique_ptr<Worker> w(new Worker());
  if (Builtins().modules.count("hbf:bootstrap") == 0 || Builtins().modules.count("hbf:http") == 0) {
    failure = InternalFailure("internal_error", "the JavaScript runtime is unavailable");
    return nullptr;
  }
  // Until Bind() a blank worker has an empty in-memory database: the built-ins
  // it loads touch no henv, and if one ever did it would find nothing.
  auto scratch = db::Database::Open(":memory:", db::Database::Options{});
  if (!scratch.ok()) {
    failure = InternalFailure("internal_error", "cannot open a scratch database");
    return nullptr;
  }
  scratch->EnableScriptSandbox();
  w->db_.emplace(std::move(*scratch));

  w->rt_ = JS_NewRuntime2(&kMallocFunctions, &w->memory_);
  if (w->rt_ == nullptr) {
    failure = InternalFailure("internal_error", "cannot create a JavaScript runtime");
    return nullptr;
  }
  w->ApplyLimits(limits);
  JS_SetInterruptHandler(w->rt_, InterruptHandler, w.get());
  JS_SetModuleLoaderFunc(w->rt_, NormalizeModule, LoadModule, w.get());
  w->ctx_ = JS_NewContext(w->rt_);
  if (w->ctx_ == nullptr) {
    failure = InternalFailure("script_memory", "cannot create a JavaScript context");
    return nullptr;
  }
  JS_SetContextOpaque(w->ctx_, w.get());

  w->deadline_ = Clock::now() + std::chrono::milliseconds(limits.timeout_ms);
  JSValue ns = Undefined();
  if (!w->Load("hbf:bootstrap", ns, failure)) return nullptr;
  JS_FreeValue(w->ctx_, ns);
  if (!w->Load("hbf:http", ns, failure)) return nullptr;
  w->dispatch_fn_ = JS_GetPropertyStr(w->ctx_, ns, "dispatch");
  JS_FreeValue(w->ctx_, ns);
  if (!JS_IsFunction(w->ctx_, w->dispatch_fn_)) {
    failure = InternalFailure("internal_error", "hbf:http has no dispatch()");
    return nullptr;
  }
  return w;
}

void Worker::ApplyLimits(const ScriptLimits& limits) {
  JS_SetMemoryLimit(rt_, static_cast<size_t>(limits.memory_bytes));
  gc_max_headroom_ = std::max<int64_t>(limits.memory_bytes / 16, 1 << 20);
  JS_SetGCThreshold(rt_, static_cast<size_t>(memory_bytes() + gc_max_headroom_));
  JS_SetMaxStackSize(rt_, limits.stack_bytes);
}

bool Worker::Bind(Henv& henv, HenvPool& pool, int64_t version, const ScriptLimits& limits,
                  ScriptResult::Failure& failure) {
  henv_hash_ = henv.hash();
  pool_ = &pool;
  version_ = version;
  JS_UpdateStackTop(rt_);  // made on another thread
  ApplyLimits(limits);

  db::Database::Options db_options;
  db_options.create = false;
  db_options.busy_timeout_ms = std::max(100, limits.timeout_ms);
  auto db = db::Database::Open(henv.database_path(), db_options);
  if (!db.ok()) {
    failure = InternalFailure("internal_error", "cannot open the henv's database");
    return false;
  }
  db->EnableScriptSandbox();
  db_.emplace(std::move(*db));

  // Loading runs module top-level code: it gets the request's time limit.
  deadline_ = Clock::now() + std::chrono::milliseconds(limits.timeout_ms);
  timed_out_ = false;
  db_->SetDeadline(deadline_);
  // A henv without a router still gets workers (templates); its requests
  // never reach Dispatch.
  {
    auto v = db_->QueryValue("SELECT 1 FROM documents WHERE path = '_system/router.js'");
    has_router_ = v.ok() && v->has_value();
  }
  if (has_router_) {
    JSValue ns = Undefined();
    if (!Load("_system/router.js", ns, failure)) return false;
    router_ = JS_GetPropertyStr(ctx_, ns, "default");
    JS_FreeValue(ctx_, ns);
    if (!JS_IsObject(router_) && !JS_IsFunction(ctx_, router_)) {
      failure = InternalFailure("script_error",
                                "_system/router.js must `export default` a Router (or a (req, res, next) function)");
      return false;
    }
  }
  db_->ClearDeadline();
  gc_live_bytes_ = memory_bytes();
  CollectCycles(/*force=*/false);
  return true;
}

std::unique_ptr<Worker> Worker::Create(Henv& henv, HenvPool& pool, int64_t version, const ScriptLimits& limits,
                                       ScriptResult::Failure& failure) {
  auto w = CreateBlank(limits, failure);
  if (!w || !w->Bind(henv, pool, version, limits, failure)) return nullptr;
  return w;
}

Worker::Settled Worker::Drive(JSValue promise, JSValue& out) {
  JSContext* ctx = ctx_;
  if (static_cast<int>(JS_PromiseState(ctx, promise)) < 0) {  // not a promise: already a value
    out = promise;
    return Settled::kValue;
  }
  for (;;) {
    JSPromiseStateEnum state = JS_PromiseState(ctx, promise);
    if (state == JS_PROMISE_FULFILLED || state == JS_PROMISE_REJECTED) {
      out = JS_PromiseResult(ctx, promise);
      JS_FreeValue(ctx, promise);
      return state == JS_PROMISE_FULFILLED ? Settled::kValue : Settled::kException;
    }
    JSContext* job_ctx = nullptr;
    int r = JS_ExecutePendingJob(rt_, &job_ctx);
    if (r < 0) {
      out = JS_GetException(job_ctx);
      JS_FreeValue(ctx, promise);
      return Settled::kException;
    }
    if (r > 0) continue;
    if (may_suspend_ && !timers_.empty()) {
      // Waiting for a timer holds no thread: hand the promise back to the
      // engine, which resumes this request when the timer (or the deadline)
      // is due.
      const auto now = Clock::now();
      if (now >= deadline_) {
        timed_out_ = true;
        JS_FreeValue(ctx, promise);
        return Settled::kTimedOut;
      }
      auto due = timers_.begin()->second.due;
      for (const auto& [id, timer] : timers_) due = std::min(due, timer.due);
      if (due > now) {
        wake_at_ = std::min(due, deadline_);
        pending_ = promise;
        return Settled::kWaiting;
      }
    }
    bool fatal = false;
    if (RunNextTimer(fatal)) {
      if (!fatal) continue;
      JS_FreeValue(ctx, promise);
      return Settled::kTimedOut;
    }
    // No job and no timer: nothing can ever settle it.
    JS_FreeValue(ctx, promise);
    return Settled::kNoProgress;
  }
}

Worker::Settled Worker::Import(const char* name, JSValue& out) {
  JSValue promise = JS_LoadModule(ctx_, "", name);
  if (JS_IsException(promise)) {
    out = JS_GetException(ctx_);
    return Settled::kException;
  }
  return Drive(promise, out);
}

void Worker::Fail(ScriptResult& result, JSValue exc) {
  result.kind = ScriptResult::Kind::kError;
  result.error = DescribeException(ctx_, exc, timed_out_ || Clock::now() > deadline_);
  JS_FreeValue(ctx_, exc);
  if (result.error.code != "script_error") reusable_ = false;  // a limit was hit: discard
}

bool Worker::Settle(JSValue ret, JSValue& value, ScriptResult& result, const char* timeout_message,
                    const ScriptResult::Failure& no_progress) {
  if (JS_IsException(ret)) {
    Fail(result, JS_GetException(ctx_));
    return false;
  }
  switch (Drive(ret, value)) {
    case Settled::kValue: return true;
    case Settled::kException: Fail(result, value); return false;
    case Settled::kTimedOut:
      result.kind = ScriptResult::Kind::kError;
      result.error = ScriptResult::Failure{"script_timeout", 504, timeout_message, "", ""};
      reusable_ = false;
      return false;
    case Settled::kNoProgress:
      result.kind = ScriptResult::Kind::kError;
      result.error = no_progress;
      return false;
    case Settled::kWaiting:  // only Dispatch may suspend, and it does not settle through here
      break;
  }
  return false;
}

void Worker::BeginRequest(const ScriptLimits& limits) {
  JS_UpdateStackTop(rt_);  // this worker may have last run on another thread
  deadline_ = Clock::now() + std::chrono::milliseconds(limits.timeout_ms);
  timed_out_ = false;
  db_->SetDeadline(deadline_);
  changes_before_ = db_->TotalChanges();
}

void Worker::EndRequest(ScriptResult& result) {
  // Let floating promise jobs finish within the same deadline.
  for (int guard = 0; guard < 100000 && JS_IsJobPending(rt_); ++guard) {
    JSContext* job_ctx = nullptr;
    if (JS_ExecutePendingJob(rt_, &job_ctx) < 0) {
      JSValue exc = JS_GetException(job_ctx);
      if (timed_out_ || IsInterrupted(job_ctx, exc)) reusable_ = false;
      JS_FreeValue(job_ctx, exc);
      break;
    }
  }
  if (timed_out_) reusable_ = false;
  CancelTimers();  // timers live no longer than their request
  // A transaction left open by the script must not leak into the next request.
  if (db_->InTransaction()) (void)db_->Exec("ROLLBACK");
  db_->ClearDeadline();
  result.wrote_database = db_->TotalChanges() != changes_before_;
  CollectCycles(/*force=*/false);
}

void Worker::Trim() {
  JS_UpdateStackTop(rt_);
  CollectCycles(/*force=*/true);
}

void Worker::CollectCycles(bool force) {
  // Reference counting frees most garbage at once; only cycles (req <-> res,
  // closures) wait for the cycle collector, which walks the whole heap. Left
  // to itself QuickJS re-arms it at 1.5x the live heap, so a small worker ran
  // it every few hundred KB of garbage: 14% of a hello request's CPU. Instead
  // collect between requests once the garbage reaches the live heap's size
  // (at least 1 MiB, at most 1/16 of the heap limit), and leave QuickJS's own
  // trigger as the backstop for a single request that allocates a lot.
  if (force || memory_bytes() > gc_live_bytes_ + gc_headroom()) {
    JS_RunGC(rt_);
    gc_live_bytes_ = memory_bytes();
  }
  JS_SetGCThreshold(rt_, static_cast<size_t>(memory_bytes() + gc_headroom()));
}

ScriptResult Worker::Dispatch(const ScriptRequest& request, const ScriptLimits& limits, bool may_suspend) {
  if (!has_router_) return ScriptResult{};  // removed since the engine looked: not handled
  JSContext* ctx = ctx_;
  BeginRequest(limits);
  may_suspend_ = may_suspend;

  // raw = { method, url, path, query, headers, body, ip, protocol, hostname, user, henv }
  JSValue raw = JS_NewObject(ctx);
  JS_SetPropertyStr(ctx, raw, "method", JS_NewStringLen(ctx, request.method.data(), request.method.size()));
  JS_SetPropertyStr(ctx, raw, "url", JS_NewStringLen(ctx, request.url.data(), request.url.size()));
  JS_SetPropertyStr(ctx, raw, "path", JS_NewStringLen(ctx, request.path.data(), request.path.size()));
  JS_SetPropertyStr(ctx, raw, "query", JS_NewStringLen(ctx, request.query.data(), request.query.size()));
  JSValue headers = JS_NewArray(ctx);
  uint32_t i = 0;
  for (const auto& [name, value] : request.headers) {
    JSValue pair = JS_NewArray(ctx);
    JS_SetPropertyUint32(ctx, pair, 0, JS_NewStringLen(ctx, name.data(), name.size()));
    JS_SetPropertyUint32(ctx, pair, 1, JS_NewStringLen(ctx, value.data(), value.size()));
    JS_SetPropertyUint32(ctx, headers, i++, pair);
  }
  JS_SetPropertyStr(ctx, raw, "headers", headers);
  JS_SetPropertyStr(ctx, raw, "body", NewUint8Array(ctx, request.body.data(), request.body.size()));
  JS_SetPropertyStr(ctx, raw, "ip", JS_NewStringLen(ctx, request.ip.data(), request.ip.size()));
  JS_SetPropertyStr(ctx, raw, "protocol", JS_NewStringLen(ctx, request.protocol.data(), request.protocol.size()));
  JS_SetPropertyStr(ctx, raw, "hostname", JS_NewStringLen(ctx, request.hostname.data(), request.hostname.size()));
  std::string user_json = request.user.dump();
  JS_SetPropertyStr(ctx, raw, "user", JS_ParseJSON(ctx, user_json.c_str(), user_json.size(), "<user>"));
  JS_SetPropertyStr(ctx, raw, "henv", JS_NewStringLen(ctx, henv_hash_.data(), henv_hash_.size()));

  JSValue args[2] = {router_, raw};
  JSValue ret = JS_Call(ctx, dispatch_fn_, Undefined(), 2, args);
  JS_FreeValue(ctx, raw);
  return Continue(ret);
}

ScriptResult Worker::Resume() {
  JS_UpdateStackTop(rt_);  // resumed on whichever handler thread runs it
  JSValue promise = pending_;
  pending_ = Undefined();
  return Continue(promise);
}

ScriptResult Worker::Continue(JSValue ret) {
  JSContext* ctx = ctx_;
  ScriptResult result;
  JSValue value = Undefined();
  bool failed = true;
  if (JS_IsException(ret)) {
    Fail(result, JS_GetException(ctx));
  } else {
    switch (Drive(ret, value)) {
      case Settled::kWaiting:
        result.kind = ScriptResult::Kind::kPending;
        result.wake_at = wake_at_;
        return result;  // the request goes on later: no EndRequest yet
      case Settled::kValue:
        failed = false;
        break;
      case Settled::kException:
        Fail(result, value);
        break;
      case Settled::kTimedOut:
        result.kind = ScriptResult::Kind::kError;
        result.error = ScriptResult::Failure{"script_timeout", 504, "the script ran out of time", "", ""};
        reusable_ = false;
        break;
      case Settled::kNoProgress:
        result.kind = ScriptResult::Kind::kError;
        result.error = {"script_no_response", 500, "the handler finished without sending a response", "", ""};
        break;
    }
  }
  may_suspend_ = false;

  if (!failed) {
    Scoped v(ctx, value);
    Scoped handled(ctx, JS_GetPropertyStr(ctx, v.get(), "handled"));
    Scoped error(ctx, JS_GetPropertyStr(ctx, v.get(), "error"));
    if (!JS_ToBool(ctx, handled.get())) {
      result.kind = ScriptResult::Kind::kNotHandled;
    } else if (JS_IsObject(error.get())) {
      int32_t status = 0;
      Scoped status_js(ctx, JS_GetPropertyStr(ctx, error.get(), "status"));
      JS_ToInt32(ctx, &status, status_js.get());
      std::string message = PropString(ctx, error.get(), "message");
      if (status >= 400 && status < 500) {
        // An error that carries a client status is answered as such (Express).
        const char* code = status == 400 ? "bad_request" : status == 401 ? "unauthorized" : status == 403 ? "forbidden"
                           : status == 404 ? "not_found" : "client_error";
        result.kind = ScriptResult::Kind::kResponse;
        result.response = HttpResponse::ErrorBody(status, code, message.empty() ? StatusReason(status) : message);
      } else if (PropString(ctx, error.get(), "name") == "InternalError" && message == "out of memory") {
        // Caught by the router and handed back: still a limit, still fatal.
        result.kind = ScriptResult::Kind::kError;
        result.error.code = "script_memory";
        result.error.http_status = 500;
        result.error.message = "the script ran out of memory";
        reusable_ = false;
      } else {
        result.kind = ScriptResult::Kind::kError;
        result.error.code = "script_error";
        result.error.http_status = 500;
        std::string name = PropString(ctx, error.get(), "name");
        result.error.message = (!name.empty() && name != "Error" ? name + ": " : "") + message;
        result.error.stack = PropString(ctx, error.get(), "stack");
        result.error.location = LocationFromStack(result.error.stack);
      }
    } else {
      result.kind = ScriptResult::Kind::kResponse;
      HttpResponse& r = result.response;
      Scoped status_js(ctx, JS_GetPropertyStr(ctx, v.get(), "status"));
      int32_t status = 200;
      JS_ToInt32(ctx, &status, status_js.get());
      r.status = status;
      Scoped hs(ctx, JS_GetPropertyStr(ctx, v.get(), "headers"));
      if (JS_IsArray(ctx, hs.get())) {
        int64_t n = 0;
        Scoped len(ctx, JS_GetPropertyStr(ctx, hs.get(), "length"));
        JS_ToInt64(ctx, &n, len.get());
        for (int64_t k = 0; k < n && k < 1000; ++k) {
          Scoped pair(ctx, JS_GetPropertyUint32(ctx, hs.get(), static_cast<uint32_t>(k)));
          Scoped name(ctx, JS_GetPropertyUint32(ctx, pair.get(), 0));
          Scoped val(ctx, JS_GetPropertyUint32(ctx, pair.get(), 1));
          r.headers.emplace_back(ToStdString(ctx, name.get()), ToStdString(ctx, val.get()));
        }
      }
      Scoped body(ctx, JS_GetPropertyStr(ctx, v.get(), "body"));
      if (JS_IsString(body.get())) {
        r.body = ToStdString(ctx, body.get());
      } else if (!JS_IsUndefined(body.get()) && !JS_IsNull(body.get())) {
        if (!BytesOf(ctx, body.get(), r.body)) r.body = ToStdString(ctx, body.get());
      }
      if (status < 200 || status > 599) {
        // 1xx is interim, never an answer: on the wire it would make the
        // client take the next response as this one's. Others are not HTTP.
        result = ScriptResult{};
        result.kind = ScriptResult::Kind::kError;
        result.error = ScriptResult::Failure{"script_error", 500,
                                             "invalid response status " + std::to_string(status) +
                                                 " (a final status is 200-599)",
                                             "", ""};
      }
    }
  }

  EndRequest(result);
  return result;
}

ScriptResult Worker::Render(const std::string& target, bool is_source, const std::string& data_json,
                            const ScriptLimits& limits) {
  ScriptResult result;
  JSContext* ctx = ctx_;
  BeginRequest(limits);
  JSValue ns = Undefined();
  Settled imported = Import("hbf:templates", ns);
  if (imported != Settled::kValue) {
    if (imported == Settled::kException) {
      Fail(result, ns);
    } else {
      result.kind = ScriptResult::Kind::kError;
      result.error = ScriptResult::Failure{"internal_error", 500, "the template engine is unavailable", "", ""};
    }
    EndRequest(result);
    return result;
  }
  JSValue render = JS_GetPropertyStr(ctx, ns, "render");
  JS_FreeValue(ctx, ns);
  JSValue options = JS_NewObject(ctx);
  JS_SetPropertyStr(ctx, options, "source", JS_NewBool(ctx, is_source));
  if (!is_source) JS_SetPropertyStr(ctx, options, "filename", JS_NewStringLen(ctx, target.data(), target.size()));
  JSValue args[3] = {JS_NewStringLen(ctx, target.data(), target.size()),
                     JS_ParseJSON(ctx, data_json.c_str(), data_json.size(), "<data>"), options};
  JSValue ret = JS_Call(ctx, render, Undefined(), 3, args);
  for (JSValue& a : args) JS_FreeValue(ctx, a);
  JS_FreeValue(ctx, render);
  JSValue value = Undefined();
  if (Settle(ret, value, result, "the template ran out of time",
             {"script_error", 500, "the template never finished rendering", "", ""})) {
    result.kind = ScriptResult::Kind::kResponse;
    result.response.status = 200;
    result.response.headers.emplace_back("Content-Type", "text/html; charset=utf-8");
    result.response.body = ToStdString(ctx, value);
    JS_FreeValue(ctx, value);
  }
  EndRequest(result);
  return result;
}

}  // namespace hbf::js
