// hbf:native's SQL functions (natives_db.h).
#include "js/natives_db.h"

#include <cctype>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "js/js_values.h"
#include "js/user_db.h"
#include "js/worker_access.h"

namespace hbf::js::internal {
namespace {

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
      JS_ThrowTypeError(ctx,
                        "unsupported SQL parameter type (use null, boolean, number, bigint, string or bytes; "
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
    case 2:
      return JS_NewFloat64(ctx, std::get<double>(v));
    case 3: {
      const auto& s = std::get<std::string>(v);
      return JS_NewStringLen(ctx, s.data(), s.size());
    }
    case 4: {
      const auto& b = std::get<db::Blob>(v);
      return NewUint8Array(ctx, b.data(), b.size());
    }
    default:
      return Null();
  }
}

}  // namespace

// Throws a plain Error (what SQLite failures look like to scripts).

// An Error whose `code` is HBF's ("sql_error", "constraint", "busy",
// "quota_exceeded", "interrupted", ...), so scripts can tell them apart.
JSValue ThrowSqlError(JSContext* ctx, const Error& e) {
  JSValue err = JS_NewError(ctx);
  JS_SetPropertyStr(ctx, err, "message", JS_NewStringLen(ctx, e.message.data(), e.message.size()));
  JS_SetPropertyStr(ctx, err, "code", JS_NewStringLen(ctx, e.code.data(), e.code.size()));
  // The server's storage refused the write (full, read-only): the status
  // travels with it so the request is answered 507/503 (worker.cpp).
  if (Error::IsStorageFault(e)) JS_SetPropertyStr(ctx, err, "storageStatus", JS_NewInt32(ctx, e.http_status));
  return JS_Throw(ctx, err);
}

namespace {

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

// Runs argv[0] with the parameters argv[1] on `db`, in whatever scope the
// caller set up.
JSValue DbRunOn(JSContext* ctx, db::Database& db, int argc, JSValueConst* argv, DbMode mode) {
  if (argc < 1 || !JS_IsString(argv[0])) return JS_ThrowTypeError(ctx, "SQL must be a string");
  std::string sql = ToStdString(ctx, argv[0]);
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

JSValue DbRun(JSContext* ctx, int argc, JSValueConst* argv, DbMode mode) {
  auto conn = WorkerAccess::Db(*WorkerAccess::From(ctx));
  if (!conn.ok()) return ThrowSqlError(ctx, conn.error());
  db::Database& db = **conn;
  // Compiled and stepped as the script's: the sealed-schema rules apply,
  // also when SQLite recompiles it mid-step after a schema change.
  db::Database::ScriptScope script_scope(db);
  return DbRunOn(ctx, db, argc, argv, mode);
}

// req.db: on the worker's user connection, as the request's user
// (user_db.h). Nothing of it is reachable but the guarded tables.
JSValue UserDbRun(JSContext* ctx, int argc, JSValueConst* argv, DbMode mode) {
  Worker* w = WorkerAccess::From(ctx);
  auto conn = internal::UserConnection(*w);
  if (!conn.ok()) return ThrowSqlError(ctx, conn.error());
  db::Database& db = **conn;
  auth::Principal who = internal::PrincipalOf(WorkerAccess::CurrentUser(*w));
  auto grants = internal::GrantsOf(db, who);
  if (!grants.ok()) return ThrowSqlError(ctx, grants.error());
  internal::PrincipalGuard guard(db, who);
  db::Database::UserScope user_scope(db, guard, std::move(*grants));
  return DbRunOn(ctx, db, argc, argv, mode);
}

}  // namespace

JSValue NativeUserDbQuery(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  return UserDbRun(ctx, argc, argv, DbMode::kQuery);
}
JSValue NativeUserDbGet(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  return UserDbRun(ctx, argc, argv, DbMode::kGet);
}
JSValue NativeUserDbExecute(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  return UserDbRun(ctx, argc, argv, DbMode::kExecute);
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
  auto conn = WorkerAccess::Db(*WorkerAccess::From(ctx));
  if (!conn.ok()) return ThrowSqlError(ctx, conn.error());
  db::Database& db = **conn;
  db::Database::ScriptScope script_scope(db);
  if (auto s = db.Exec(sql); !s.ok()) return ThrowSqlError(ctx, s.error());
  return Undefined();
}

JSValue NativeDbInTransaction(JSContext* ctx, JSValueConst, int, JSValueConst*) {
  auto conn = WorkerAccess::Db(*WorkerAccess::From(ctx));
  if (!conn.ok()) return ThrowSqlError(ctx, conn.error());
  return JS_NewBool(ctx, (*conn)->InTransaction());
}

}  // namespace hbf::js::internal
