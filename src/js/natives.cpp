#include "js/natives.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "core/log.h"
#include "js/js_values.h"
#include "js/module_loader.h"
#include "js/natives_auth.h"
#include "js/natives_crypto.h"
#include "js/natives_db.h"
#include "js/natives_intl.h"
#include "js/natives_ws.h"
#include "js/natives_zlib.h"
#include "js/worker_access.h"

namespace hbf::js::internal {
namespace {

using Clock = std::chrono::steady_clock;

JSValue NativeLog(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  std::string level = argc > 0 ? ToStdString(ctx, argv[0]) : "info";
  std::string message = argc > 1 ? ToStdString(ctx, argv[1]) : "";
  if (message.size() > 8192) message.resize(8192);
  LogLevel lvl = ParseLogLevel(level).value_or(LogLevel::kInfo);
  Worker& w = *WorkerAccess::From(ctx);
  const std::string& hash = WorkerAccess::HenvHash(w);
  Log(lvl, "console: " + message, hash);
  // And to the henv's own log, which its owner reads (GET /_api/logs).
  if (HenvLogHub* logs = WorkerAccess::Logs(w); logs != nullptr && !hash.empty()) {
    LogEntry entry;
    entry.level = lvl;
    entry.source = LogSource::kConsole;
    entry.message = std::move(message);
    entry.method = WorkerAccess::CurrentMethod(w);  // empty outside a request (module top level)
    entry.path = WorkerAccess::CurrentPath(w);
    entry.request_id = WorkerAccess::CurrentRequestId(w);
    logs->Append(hash, std::move(entry));
  }
  return Undefined();
}

// escapeHtml(string): the string with & < > " ' written as &amp; &lt; &gt;
// &#34; &#39; (ejs's escapeXML), the same string when it has none of them,
// or undefined when it has some and also characters past ASCII (the caller's
// JavaScript escapes those: a UTF-8 round trip would not keep a lone
// surrogate). Templates escape every <%= value; QuickJS would interpret a
// character loop for each, and ASCII strings reach C without a copy.
// headerValueOk(s): whether string `s` holds only what Node accepts in a
// header value (tab, 0x20-0x7e, 0x80-0xff), as /[^\t\x20-\x7e\x80-\xff]/
// would find nothing: every res.setHeader checks one, and the regex cost
// ~5k instructions a call. Read as UTF-8, a character past 0xff (a lone
// surrogate included) is a lead byte of 0xc4 or more.
JSValue NativeHeaderValueOk(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  if (argc < 1 || !JS_IsString(argv[0])) return JS_ThrowTypeError(ctx, "headerValueOk expects a string");
  size_t size = 0;
  const char* text = JS_ToCStringLen(ctx, &size, argv[0]);
  if (text == nullptr) return JS_EXCEPTION;
  bool ok = true;
  for (size_t i = 0; i < size && ok; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    ok = (c >= 0x20 && c != 0x7f && c < 0xc4) || c == '\t';
  }
  JS_FreeCString(ctx, text);
  return JS_NewBool(ctx, ok);
}

JSValue NativeEscapeHtml(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  if (argc < 1 || !JS_IsString(argv[0])) return JS_ThrowTypeError(ctx, "escapeHtml expects a string");
  size_t size = 0;
  const char* text = JS_ToCStringLen(ctx, &size, argv[0]);
  if (text == nullptr) return JS_EXCEPTION;
  // Extra bytes each character needs once escaped (0: kept as it is).
  static constexpr auto kExtra = [] {
    std::array<uint8_t, 256> extra{};
    extra['&'] = 4;
    extra['<'] = 3;
    extra['>'] = 3;
    extra['"'] = 4;
    extra['\''] = 4;
    return extra;
  }();
  size_t added = 0;
  unsigned char high = 0;
  const auto* bytes = reinterpret_cast<const unsigned char*>(text);
  for (size_t i = 0; i < size; ++i) {
    added += kExtra[bytes[i]];
    high |= bytes[i];
  }
  if (added == 0) {
    JS_FreeCString(ctx, text);
    return JS_DupValue(ctx, argv[0]);
  }
  if (high >= 0x80) {
    JS_FreeCString(ctx, text);
    return Undefined();
  }
  std::string out;
  out.resize(size + added);
  char* o = out.data();
  for (size_t i = 0; i < size; ++i) {
    const char c = text[i];
    const char* with = nullptr;
    switch (c) {
      case '&': with = "&amp;"; break;
      case '<': with = "&lt;"; break;
      case '>': with = "&gt;"; break;
      case '"': with = "&#34;"; break;
      case '\'': with = "&#39;"; break;
      default: *o++ = c; continue;
    }
    const size_t n = std::strlen(with);
    std::memcpy(o, with, n);
    o += n;
  }
  JS_FreeCString(ctx, text);
  return JS_NewStringLen(ctx, out.data(), out.size());
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

// bytesEqual(a, b): whether two ArrayBuffers / typed arrays hold the same
// bytes (templates compare a document with the source they compiled).
JSValue NativeBytesEqual(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  const uint8_t* a = nullptr;
  const uint8_t* b = nullptr;
  size_t a_size = 0;
  size_t b_size = 0;
  if (argc < 2 || !ViewBytes(ctx, argv[0], a, a_size) || !ViewBytes(ctx, argv[1], b, b_size)) {
    return JS_ThrowTypeError(ctx, "bytesEqual expects two ArrayBuffers or typed arrays");
  }
  return JS_NewBool(ctx, a_size == b_size && (a_size == 0 || std::memcmp(a, b, a_size) == 0));
}

JSValue NativeNow(JSContext* ctx, JSValueConst, int, JSValueConst*) {
  auto ms = std::chrono::duration<double, std::milli>(std::chrono::system_clock::now().time_since_epoch()).count();
  return JS_NewFloat64(ctx, ms);
}

// monotonicNow(): milliseconds (fractional) on a clock that never goes
// back, from an arbitrary origin (performance.now, process.hrtime).
JSValue NativeMonotonicNow(JSContext* ctx, JSValueConst, int, JSValueConst*) {
  auto ms = std::chrono::duration<double, std::milli>(Clock::now().time_since_epoch()).count();
  return JS_NewFloat64(ctx, ms);
}

// detachArrayBuffer(buffer): structuredClone's transfer (QuickJS has no
// ArrayBuffer.prototype.transfer).
JSValue NativeDetachArrayBuffer(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  size_t size = 0;
  if (argc < 1) return JS_ThrowTypeError(ctx, "detachArrayBuffer(buffer)");
  if (JS_GetArrayBuffer(ctx, &size, argv[0]) == nullptr) return JS_EXCEPTION;  // not one, or detached already
  JS_DetachArrayBuffer(ctx, argv[0]);
  return Undefined();
}

JSValue NativeReadDocument(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  if (argc < 1 || !JS_IsString(argv[0])) return JS_ThrowTypeError(ctx, "readDocument expects a document id");
  auto conn = WorkerAccess::Db(*WorkerAccess::From(ctx));
  if (!conn.ok()) return ThrowSqlError(ctx, conn.error());
  db::Database& db = **conn;
  auto stmt = db.Prepare("SELECT content FROM documents WHERE path = ?");
  if (!stmt.ok()) return ThrowSqlError(ctx, stmt.error());
  stmt->Bind(1, ToStdString(ctx, argv[0]));
  auto row = stmt->Step();
  if (!row.ok()) return ThrowSqlError(ctx, row.error());
  if (!*row) return Null();
  std::string bytes = stmt->Bytes(0);
  return NewUint8Array(ctx, bytes.data(), bytes.size());
}

// documentsEpoch(): a number that changes whenever a document of the henv
// may have changed (db/documents_epoch.h: a commit of this process that
// changed a document row; another process's, once the henv's foreign-commit
// look sees it); -1 in a worker bound to no henv.
JSValue NativeDocumentsEpoch(JSContext* ctx, JSValueConst, int, JSValueConst*) {
  const db::DocumentsEpoch* epoch = WorkerAccess::DocumentsEpoch(*WorkerAccess::From(ctx));
  if (epoch == nullptr) return JS_NewInt32(ctx, -1);
  return JS_NewFloat64(ctx, static_cast<double>(epoch->value()));
}

// noteServerCode(id): the henv's server code uses document `id` (a module,
// a template); it is no longer served by its path (documents/visibility.h).
JSValue NativeNoteServerCode(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  if (argc >= 1 && JS_IsString(argv[0])) WorkerAccess::From(ctx)->pool().server_code.Note(ToStdString(ctx, argv[0]));
  return Undefined();
}

JSValue NativeDocumentInfo(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  if (argc < 1 || !JS_IsString(argv[0])) return JS_ThrowTypeError(ctx, "documentInfo expects a document id");
  auto conn = WorkerAccess::Db(*WorkerAccess::From(ctx));
  if (!conn.ok()) return ThrowSqlError(ctx, conn.error());
  db::Database& db = **conn;
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
  auto conn = WorkerAccess::Db(*WorkerAccess::From(ctx));
  if (!conn.ok()) return ThrowSqlError(ctx, conn.error());
  db::Database& db = **conn;
  // No cap: a listing is either whole or an error (the script's memory limit
  // and deadline bound it), never silently cut short.
  auto stmt = db.Prepare("SELECT path FROM documents WHERE path >= ?1 AND path < ?2 ORDER BY path");
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
    if (JS_SetPropertyUint32(ctx, list, i++, JS_NewStringLen(ctx, id.data(), id.size())) < 0) {
      JS_FreeValue(ctx, list);
      return JS_EXCEPTION;  // out of memory (or the deadline): the exception is pending
    }
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
  // Only the env.* keys: the rest of the config (limits, code version) is
  // HBF's, like every sealed table. Read as one value, the way the router's
  // code is (Worker::QueryDocument): while a worker is being bound (an
  // Express app reads NODE_ENV in express()), through the henv's connection
  // or from what the last bind of a dormant henv read, so that binding never
  // opens the worker's own connection for it (a schema parse and three
  // descriptors, kept as long as the worker).
  static constexpr std::string_view kEnvRows =
      "SELECT json_group_object(key, coalesce(CAST(value AS TEXT), '')) FROM (SELECT key, value FROM _hbf_config"
      " WHERE substr(key, 1, 4) = 'env.' AND ?1 = '' ORDER BY key)";
  auto read = WorkerAccess::QueryDocument(*WorkerAccess::From(ctx), kEnvRows, "");
  if (!read.ok()) return ThrowSqlError(ctx, read.error());
  const std::string* json = read->has_value() ? std::get_if<std::string>(&**read) : nullptr;
  if (json == nullptr) return JS_NewObject(ctx);
  return JS_ParseJSON(ctx, json->c_str(), json->size(), "<config>");
}
// loadBuiltin(id): LoadBuiltinNamespace for the built-in modules' own use.
JSValue NativeLoadBuiltin(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  if (argc < 1 || !JS_IsString(argv[0])) return JS_ThrowTypeError(ctx, "loadBuiltin expects a module id");
  return LoadBuiltinNamespace(ctx, ToStdString(ctx, argv[0]));
}

// streamWanted(start): the response's first res.write(). When this request
// may stream (worker.h, streamable_), keeps `start` (a function returning
// { status, headers, body } and switching the response to streamWrite) for
// the worker to call if the handler then waits, and returns true; else false
// (the response stays buffered until end()).
JSValue NativeStreamWanted(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  Worker& w = *WorkerAccess::From(ctx);
  if (argc < 1 || !JS_IsFunction(ctx, argv[0])) return JS_ThrowTypeError(ctx, "streamWanted(start)");
  if (!WorkerAccess::Streamable(w) || WorkerAccess::Stream(w)) return JS_FALSE;
  JSValue& start = WorkerAccess::StreamStart(w);
  JS_FreeValue(ctx, start);
  start = JS_DupValue(ctx, argv[0]);
  return JS_TRUE;
}

// streamWrite(chunk): the next chunk of a streamed response. False when the
// client is gone (or the stream ended): nothing more will reach it.
JSValue NativeStreamWrite(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  const auto& stream = WorkerAccess::Stream(*WorkerAccess::From(ctx));
  if (!stream) return JS_FALSE;
  std::string data;
  if (!ArgBytes(ctx, argc, argv, 0, data)) return JS_EXCEPTION;
  return JS_NewBool(ctx, stream->Write(std::move(data)));
}

// streamEnd(): the last chunk (the request ends too, when the handler has
// settled).
JSValue NativeStreamEnd(JSContext* ctx, JSValueConst, int, JSValueConst*) {
  if (const auto& stream = WorkerAccess::Stream(*WorkerAccess::From(ctx))) stream->End();
  return Undefined();
}

// requireEsm(id): RequireEsmNamespace, for hbf:modules' require().
JSValue NativeRequireEsm(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  if (argc < 1 || !JS_IsString(argv[0])) return JS_ThrowTypeError(ctx, "requireEsm expects a document id");
  return RequireEsmNamespace(ctx, ToStdString(ctx, argv[0]));
}

// routesChanged(): the router built a layer after its reach was taken
// (hbf:router): C++ stops serving documents past it without running it.
JSValue NativeRoutesChanged(JSContext* ctx, JSValueConst, int, JSValueConst*) {
  WorkerAccess::NoteRoutesChanged(*WorkerAccess::From(ctx));
  return Undefined();
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
    {"dbQuery", Guarded<NativeDbQuery>, 2},
    {"dbGet", Guarded<NativeDbGet>, 2},
    {"dbExecute", Guarded<NativeDbExecute>, 2},
    {"dbExec", Guarded<NativeDbExec>, 1},
    {"dbInTransaction", Guarded<NativeDbInTransaction>, 0},
    {"userDbQuery", Guarded<NativeUserDbQuery>, 2},
    {"userDbGet", Guarded<NativeUserDbGet>, 2},
    {"userDbExecute", Guarded<NativeUserDbExecute>, 2},
    {"log", Guarded<NativeLog>, 2},
    {"utf8Encode", Guarded<NativeUtf8Encode>, 1},
    {"escapeHtml", Guarded<NativeEscapeHtml>, 1},
    {"headerValueOk", Guarded<NativeHeaderValueOk>, 1},
    {"utf8Decode", Guarded<NativeUtf8Decode>, 2},
    {"bytesEqual", Guarded<NativeBytesEqual>, 2},
    {"sha256", Guarded<NativeSha256>, 1},
    {"hmacSha256", Guarded<NativeHmacSha256>, 2},
    {"randomBytes", Guarded<NativeRandomBytes>, 1},
    {"base64Encode", Guarded<NativeBase64Encode>, 2},
    {"base64Decode", Guarded<NativeBase64Decode>, 2},
    {"now", Guarded<NativeNow>, 0},
    {"monotonicNow", Guarded<NativeMonotonicNow>, 0},
    {"hashCreate", Guarded<NativeHashCreate>, 2},
    {"hashUpdate", Guarded<NativeHashUpdate>, 2},
    {"hashDigest", Guarded<NativeHashDigest>, 1},
    {"hashCopy", Guarded<NativeHashCopy>, 1},
    {"pbkdf2Rounds", Guarded<NativePbkdf2Rounds>, 4},
    {"zlibCreate", Guarded<NativeZlibCreate>, 6},
    {"brotliCreate", Guarded<NativeBrotliCreate>, 2},
    {"zlibFeed", Guarded<NativeZlibFeed>, 4},
    {"zlibBytesRead", Guarded<NativeZlibBytesRead>, 1},
    {"zlibReset", Guarded<NativeZlibReset>, 1},
    {"zlibParams", Guarded<NativeZlibParams>, 3},
    {"zlibClose", Guarded<NativeZlibClose>, 1},
    {"etag", Guarded<NativeEtag>, 2},
    {"detachArrayBuffer", Guarded<NativeDetachArrayBuffer>, 1},
    {"readDocument", Guarded<NativeReadDocument>, 1},
    {"documentInfo", Guarded<NativeDocumentInfo>, 1},
    {"noteServerCode", Guarded<NativeNoteServerCode>, 1},
    {"documentsEpoch", Guarded<NativeDocumentsEpoch>, 0},
    {"listDocuments", Guarded<NativeListDocuments>, 1},
    {"compileFunction", Guarded<NativeCompileFunction>, 3},
    {"setTimer", Guarded<NativeSetTimer>, 3},
    {"clearTimer", Guarded<NativeClearTimer>, 1},
    {"config", Guarded<NativeConfig>, 0},
    {"hostInfo", Guarded<NativeHostInfo>, 0},
    {"loadBuiltin", Guarded<NativeLoadBuiltin>, 1},
    {"requireEsm", Guarded<NativeRequireEsm>, 1},
    {"streamWanted", Guarded<NativeStreamWanted>, 1},
    {"streamWrite", Guarded<NativeStreamWrite>, 1},
    {"streamEnd", Guarded<NativeStreamEnd>, 0},
    {"routesChanged", Guarded<NativeRoutesChanged>, 0},
    {"authListUsers", Guarded<NativeAuthListUsers>, 0},
    {"authCreateUser", Guarded<NativeAuthCreateUser>, 1},
    {"authUpdateUser", Guarded<NativeAuthUpdateUser>, 2},
    {"authSignup", Guarded<NativeAuthSignup>, 1},
    {"authLogin", Guarded<NativeAuthLogin>, 2},
    {"wsSend", Guarded<NativeWsSend>, 2},
    {"wsClose", Guarded<NativeWsClose>, 3},
    {"wsSubscribe", Guarded<NativeWsSubscribe>, 2},
    {"wsUnsubscribe", Guarded<NativeWsUnsubscribe>, 2},
    {"wsPublish", Guarded<NativeWsPublish>, 2},
    {"wsSetData", Guarded<NativeWsSetData>, 2},
    {"intlCanonicalizeLocale", Guarded<NativeIntlCanonicalizeLocale>, 1},
    {"intlResolveLocale", Guarded<NativeIntlResolveLocale>, 1},
    {"intlDefaultTimeZone", Guarded<NativeIntlDefaultTimeZone>, 0},
    {"intlCanonicalTimeZone", Guarded<NativeIntlCanonicalTimeZone>, 1},
    {"intlLocaleInfo", Guarded<NativeIntlLocaleInfo>, 2},
    {"intlWeekInfo", Guarded<NativeIntlWeekInfo>, 1},
    {"intlDateTimeCreate", Guarded<NativeIntlDateTimeCreate>, 6},
    {"intlDateTimeFormat", Guarded<NativeIntlDateTimeFormat>, 3},
    {"intlDateTimePattern", Guarded<NativeIntlDateTimePattern>, 1},
    {"intlDateTimeRange", Guarded<NativeIntlDateTimeRange>, 4},
    {"intlNumberCreate", Guarded<NativeIntlNumberCreate>, 2},
    {"intlNumberFormat", Guarded<NativeIntlNumberFormat>, 3},
    {"intlPluralCreate", Guarded<NativeIntlPluralCreate>, 3},
    {"intlPluralSelect", Guarded<NativeIntlPluralSelect>, 2},
    {"intlPluralCategories", Guarded<NativeIntlPluralCategories>, 1},
    {"intlRelativeCreate", Guarded<NativeIntlRelativeCreate>, 2},
    {"intlRelativeFormat", Guarded<NativeIntlRelativeFormat>, 5},
    {"intlCollatorCreate", Guarded<NativeIntlCollatorCreate>, 6},
    {"intlCollatorCompare", Guarded<NativeIntlCollatorCompare>, 3},
    {"intlListCreate", Guarded<NativeIntlListCreate>, 3},
    {"intlListFormat", Guarded<NativeIntlListFormat>, 3},
    {"icuVersion", Guarded<NativeIcuVersion>, 0},
};

// kNativeFunctions as QuickJS function-list entries, made at compile time
// (every runtime's functions not made yet point at theirs: they live as
// long as the program).
constexpr auto kNativeFunctionList = [] {
  std::array<JSCFunctionListEntry, std::size(kNativeFunctions)> entries{};
  for (size_t i = 0; i < entries.size(); ++i) {
    JSCFunctionListEntry& e = entries[i];
    e.name = kNativeFunctions[i].name;
    e.prop_flags = 0;  // neither writable nor configurable
    e.def_type = JS_DEF_CFUNC;
    e.u.func.length = static_cast<uint8_t>(kNativeFunctions[i].length);
    e.u.func.cproto = JS_CFUNC_generic;
    e.u.func.cfunc.generic = kNativeFunctions[i].fn;
  }
  return entries;
}();

// The natives a request uses (found by logging QuickJS's auto-initialisation
// over henvs' first requests): made when the module loads, so while the
// image every worker is copied from is built (worker_image.h), not again in
// each worker.
constexpr const char* kNativesMadeAtLoad[] = {
    "etag", "headerValueOk", "utf8Encode", "utf8Decode", "streamWanted", "loadBuiltin", "log", "routesChanged",
    "dbQuery", "dbGet", "dbExecute", "dbExec", "dbInTransaction"};
// (a name not in the table would read as undefined, made nowhere, silently)
constexpr bool IsNativeName(std::string_view name) {
  for (const NativeFunction& f : kNativeFunctions) {
    if (name == f.name) return true;
  }
  return false;
}
static_assert(std::ranges::all_of(kNativesMadeAtLoad, IsNativeName), "kNativesMadeAtLoad names a native not in the table");

// hbf:native's one export, its default: an object (no prototype, not
// extensible) whose functions are QuickJS's auto-initialised properties,
// each made on its first use in a runtime. Why not a module exporting each:
// that made all 84 functions, their exports and the namespace's properties
// in every worker, 18 KB of the image every worker copies (bench/README.md),
// when a request uses a handful.
int InitNativeModule(JSContext* ctx, JSModuleDef* m) {
  JSValue natives = JS_NewObjectProto(ctx, JS_NULL);
  if (JS_IsException(natives)) return -1;
  JS_SetPropertyFunctionList(ctx, natives, kNativeFunctionList.data(), static_cast<int>(kNativeFunctionList.size()));
  for (const char* name : kNativesMadeAtLoad) {
    JSValue made = JS_GetPropertyStr(ctx, natives, name);
    if (JS_IsException(made)) {
      JS_FreeValue(ctx, natives);
      return -1;
    }
    JS_FreeValue(ctx, made);
  }
  if (JS_PreventExtensions(ctx, natives) < 0) {
    JS_FreeValue(ctx, natives);
    return -1;
  }
  return JS_SetModuleExport(ctx, m, "default", natives);
}

}  // namespace

JSModuleDef* NewNativeModule(JSContext* ctx, const char* name) {
  JSModuleDef* m = JS_NewCModule(ctx, name, InitNativeModule);
  if (m == nullptr) return nullptr;
  if (JS_AddModuleExport(ctx, m, "default") < 0) return nullptr;
  return m;
}

}  // namespace hbf::js::internal
