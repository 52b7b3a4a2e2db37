// The records API's query language: `GET /_api/data/{table}?filter=...&sort=...&fields=...` compiled into
// parameterised SQL fragments.
//
// Contract: the client's text never becomes SQL text. Identifiers are checked against the table's column list and
// emitted double-quoted with the schema's spelling; every literal becomes a bound parameter (`?`). The only other
// things that can appear in the output are operators, parentheses, commas, the keywords AND OR NOT IS NULL IN LIKE
// ESCAPE, the fixed literal '\' after ESCAPE, and the constant `1` (the whole fragment of an empty filter). The
// number of `?` in a fragment always equals params.size(), in order.
//
// Filter grammar (PocketBase-like; keywords are case-insensitive, whitespace is allowed between any tokens):
//
//   expr       := or
//   or         := and ( ("||" | "OR") and )*
//   and        := unary ( ("&&" | "AND") unary )*                  -- AND binds tighter than OR
//   unary      := ("!" | "NOT") unary | "(" expr ")" | comparison
//   comparison := field op value
//               | field "IS" ["NOT"] "NULL"
//               | field ["NOT"] "IN" "(" value ("," value)* ")"     -- 1..100 values, none of them null
//   op         := "=" | "!=" | "<" | "<=" | ">" | ">="
//               | "~"  (contains)  | "!~" (does not contain)
//               | "^=" (starts with) | "$=" (ends with)
//   field      := [A-Za-z_][A-Za-z0-9_]*   -- one of `columns`, matched ASCII case-insensitively; a keyword
//                                           -- (and, or, not, is, in, null, true, false) is never a field
//   value      := "..." | '...'            -- backslash escapes \" \' \\ \n \t; any other escape is an error
//               | -?[0-9]+                 -- int64 (out of range is an error)
//               | -?[0-9]+(.[0-9]+)?([eE][+-]?[0-9]+)?  with a fraction or exponent: double (must be finite)
//               | true | false             -- bound as 1 / 0
//               | null                     -- only with = (-> IS NULL) and != (-> IS NOT NULL)
//
// The text operators (~ !~ ^= $=) take strings only; their value is bound with %, _ and \ escaped and the
// wildcards added, as `"f" LIKE ? ESCAPE '\'` (or NOT LIKE). SQLite's LIKE is ASCII case-insensitive, so all
// four are case-insensitive. Comparisons follow SQL's three-valued logic: `f != 1` does not match rows where f is
// NULL.
//
// Limits (each exceeded one is an error): filter text 4096 bytes, 64 comparisons (an IN list counts as one),
// nesting depth 16, where every "(" and every NOT/"!" is one level. An empty or blank filter compiles to "1".
// Errors are Error{"invalid_filter", message, 400}; the message names the byte offset (0-based) at fault and
// never echoes client text other than identifier-like words and numbers.
//
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "db/database.h"

namespace hbf {

inline constexpr size_t kMaxFilterBytes = 4096;
inline constexpr int kMaxFilterComparisons = 64;
inline constexpr int kMaxFilterDepth = 16;
inline constexpr size_t kMaxInListValues = 100;
inline constexpr size_t kMaxSortKeys = 8;
inline constexpr size_t kMaxFields = 200;

struct SqlFragment {
  std::string sql;                // e.g. ("status" = ? AND ("priority" >= ? OR "owner" = ?))
  std::vector<db::Value> params;  // in order of the ?s
};

// `columns`: the table's column names (exact case as in the schema). Field names in the filter match
// case-insensitively and are emitted with the schema's spelling.
Result<SqlFragment> CompileFilter(std::string_view filter, const std::vector<std::string>& columns);

// Comma-separated keys, each a field with an optional leading "-" (DESC) or "+" (ASC); whitespace around keys is
// ignored (a URL-decoded "+" arrives as a space). "-created_at,title" -> "\"created_at\" DESC, \"title\" ASC".
// Empty or blank input -> "". Errors (invalid_sort, 400): an empty key, an unknown field, the same field twice,
// more than 8 keys.
Result<std::string> CompileSort(std::string_view sort, const std::vector<std::string>& columns);

// Comma-separated field names: "id,title" -> {"id","title"} in schema spelling, duplicates removed, first
// occurrence's order kept. Empty or blank input -> all columns. Errors (invalid_fields, 400): an empty item, an
// unknown field, more than 200 items.
Result<std::vector<std::string>> CompileFields(std::string_view fields, const std::vector<std::string>& columns);

}  // namespace hbf
