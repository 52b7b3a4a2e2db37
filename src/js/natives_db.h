// Internal to src/js: hbf:native's SQL functions, on the worker's own
// connection (the henv's file, as its scripts) or, for req.db, on its user
// connection as the request's user (user_db.h):
//
//   dbQuery(sql, params?)   -> rows (objects)
//   dbGet(sql, params?)     -> the first row, or null
//   dbExecute(sql, params?) -> { rows_affected, last_insert_id (null unless
//                              an INSERT, REPLACE or WITH changed a row) }
//   dbExec(sql)             -> transaction control only (hbf:db's transaction())
//   dbInTransaction()       -> whether the connection is in one
//   userDbQuery / userDbGet / userDbExecute: the same on req.db
//
// params: an array (positional) or a plain object (named). SQL failures are
// thrown as Errors with HBF's `code` (ThrowSqlError), which the documents
// natives in natives.cpp throw too.
//
// Thread safety: natives run on the worker's thread.
#pragma once

extern "C" {
#include <quickjs.h>
}

#include "core/result.h"

namespace hbf::js::internal {

// Throws (returns JS_EXCEPTION) an Error for `e`: its message, and `code`
// HBF's ("sql_error", "constraint", "busy", "quota_exceeded", ...).
JSValue ThrowSqlError(JSContext* ctx, const Error& e);

JSValue NativeDbQuery(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv);
JSValue NativeDbGet(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv);
JSValue NativeDbExecute(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv);
JSValue NativeDbExec(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv);
JSValue NativeDbInTransaction(JSContext* ctx, JSValueConst, int, JSValueConst*);
JSValue NativeUserDbQuery(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv);
JSValue NativeUserDbGet(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv);
JSValue NativeUserDbExecute(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv);

}  // namespace hbf::js::internal
