#include "db/sql_guard.h"

#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <string>

#include "core/text.h"
#include "db/database.h"

namespace hbf::db {
namespace {

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && EqualsIgnoreCase(s.substr(0, prefix.size()), prefix);
}

bool AnyEquals(const std::vector<std::string>& names, std::string_view name) {
  return std::any_of(names.begin(), names.end(), [&](const std::string& n) { return EqualsIgnoreCase(n, name); });
}

bool IsSealed(const SealedSchema& s, std::string_view table) {
  return std::any_of(s.sealed_prefixes.begin(), s.sealed_prefixes.end(),
                     [&](const std::string& p) { return StartsWithNoCase(table, p); });
}

// A maintained table itself (documents_fts), not its shadow tables.
bool IsMaintained(const SealedSchema& s, std::string_view table) { return AnyEquals(s.maintained_tables, table); }

// A maintained table or one of its shadow tables (documents_fts_data, ...).
bool IsMaintainedOrShadow(const SealedSchema& s, std::string_view name) {
  return std::any_of(s.maintained_tables.begin(), s.maintained_tables.end(), [&](const std::string& t) {
    return EqualsIgnoreCase(name, t) || (StartsWithNoCase(name, t) && name.size() > t.size() && name[t.size()] == '_');
  });
}

bool IsSystemTrigger(const SealedSchema& s, const char* inner) {
  return inner != nullptr && AnyEquals(s.system_triggers, inner);
}

// A name no script may create, drop or alter (nor hang a trigger or index on).
bool IsProtectedName(const SealedSchema& s, const char* name) {
  if (name == nullptr) return false;
  std::string_view n(name);
  // (sqlite_* names need no rule: SQLite reserves them, and names its own
  // automatic indexes so.)
  return IsSealed(s, n) || AnyEquals(s.structural_tables, n) || IsMaintainedOrShadow(s, n) ||
         AnyEquals(s.system_triggers, n);
}

// Pragmas a script may run with an argument: introspection of its own
// schema and the few switches that only change how its own statements
// behave. Everything else with an argument is a write (journal mode,
// page limits, writable_schema, ...).
bool ScriptPragmaWithArgument(std::string_view name) {
  static constexpr std::string_view kAllowed[] = {"foreign_keys",      "defer_foreign_keys", "recursive_triggers",
                                                  "table_info",        "table_xinfo",        "index_list",
                                                  "index_info",        "index_xinfo",        "foreign_key_list",
                                                  "foreign_key_check", "integrity_check",    "quick_check"};
  return std::any_of(std::begin(kAllowed), std::end(kAllowed),
                     [&](std::string_view a) { return EqualsIgnoreCase(a, name); });
}

// Pragmas a script may not even read: they reveal the host (file paths) or
// act on the file behind HBF's back (checkpoints are HBF's and the
// replicator's business).
bool ScriptPragmaDeniedRead(std::string_view name) {
  static constexpr std::string_view kDenied[] = {"database_list", "temp_store_directory", "data_store_directory",
                                                 "wal_checkpoint", "filename"};
  return std::any_of(std::begin(kDenied), std::end(kDenied), [&](std::string_view d) { return EqualsIgnoreCase(d, name); });
}

bool ScriptVirtualTableModule(std::string_view module) {
  static constexpr std::string_view kAllowed[] = {"fts5", "fts4", "fts3", "fts5vocab", "rtree", "rtree_i32", "geopoly"};
  return std::any_of(std::begin(kAllowed), std::end(kAllowed),
                     [&](std::string_view a) { return EqualsIgnoreCase(a, module); });
}

bool ScriptFunctionDenied(std::string_view fn) {
  static constexpr std::string_view kDenied[] = {"load_extension", "fts3_tokenizer", "readfile", "writefile", "edit"};
  return std::any_of(std::begin(kDenied), std::end(kDenied), [&](std::string_view d) { return EqualsIgnoreCase(d, fn); });
}

// Tables whose reading reveals more than rows: raw pages of every table,
// system tables included, or their sizes.
bool ScriptReadDenied(std::string_view table) {
  return EqualsIgnoreCase(table, "sqlite_dbpage") || EqualsIgnoreCase(table, "dbstat");
}

int AuthorizeHost(const SealedSchema& s, int action, const char* arg1, const char* inner) {
  switch (action) {
    case SQLITE_READ:
    case SQLITE_INSERT:
    case SQLITE_UPDATE:
    case SQLITE_DELETE:
      // HBF's own statements name their tables directly; a sealed table
      // reached through anything but the schema's own triggers is a trigger
      // or view a script left behind.
      if (arg1 != nullptr && inner != nullptr && (IsSealed(s, arg1) || IsMaintained(s, arg1)) &&
          !IsSystemTrigger(s, inner)) {
        return SQLITE_DENY;
      }
      return SQLITE_OK;
    default:
      return SQLITE_OK;
  }
}

int AuthorizeScript(const SealedSchema& s, int action, const char* arg1, const char* arg2, const char* inner) {
  const std::string_view a1 = arg1 != nullptr ? arg1 : "";
  const std::string_view a2 = arg2 != nullptr ? arg2 : "";
  switch (action) {
    case SQLITE_READ:
      if (IsSealed(s, a1)) return IsSystemTrigger(s, inner) ? SQLITE_OK : SQLITE_DENY;
      if (ScriptReadDenied(a1)) return SQLITE_DENY;
      return SQLITE_OK;
    case SQLITE_INSERT:
    case SQLITE_UPDATE:
    case SQLITE_DELETE:
      // Shadow tables of the full-text indexes are read-only to scripts by
      // SQLITE_DBCONFIG_DEFENSIVE; FTS5 writes them from inside a statement.
      if (IsSealed(s, a1) || IsMaintained(s, a1)) return IsSystemTrigger(s, inner) ? SQLITE_OK : SQLITE_DENY;
      return SQLITE_OK;

    case SQLITE_CREATE_TABLE:
    case SQLITE_CREATE_TEMP_TABLE:
    case SQLITE_CREATE_VIEW:
    case SQLITE_CREATE_TEMP_VIEW:
    case SQLITE_DROP_TABLE:
    case SQLITE_DROP_TEMP_TABLE:
    case SQLITE_DROP_VIEW:
    case SQLITE_DROP_TEMP_VIEW:
    case SQLITE_CREATE_INDEX:
    case SQLITE_CREATE_TEMP_INDEX:
    case SQLITE_DROP_INDEX:
    case SQLITE_DROP_TEMP_INDEX:
    case SQLITE_CREATE_TRIGGER:
    case SQLITE_CREATE_TEMP_TRIGGER:
    case SQLITE_DROP_TRIGGER:
    case SQLITE_DROP_TEMP_TRIGGER:
      // arg1: the object; arg2: the table an index or trigger belongs to.
      return IsProtectedName(s, arg1) || IsProtectedName(s, arg2) ? SQLITE_DENY : SQLITE_OK;
    case SQLITE_ALTER_TABLE:  // arg1: the schema; arg2: the table
      return IsProtectedName(s, arg2) ? SQLITE_DENY : SQLITE_OK;
    case SQLITE_CREATE_VTABLE:
    case SQLITE_DROP_VTABLE:  // arg1: the table; arg2: the module
      if (IsProtectedName(s, arg1)) return SQLITE_DENY;
      return action == SQLITE_DROP_VTABLE || ScriptVirtualTableModule(a2) ? SQLITE_OK : SQLITE_DENY;

    case SQLITE_PRAGMA:
      if (ScriptPragmaDeniedRead(a1)) return SQLITE_DENY;
      if (arg2 == nullptr) return SQLITE_OK;
      return ScriptPragmaWithArgument(a1) ? SQLITE_OK : SQLITE_DENY;
    case SQLITE_FUNCTION:  // arg2: the function
      return ScriptFunctionDenied(a2) ? SQLITE_DENY : SQLITE_OK;
    case SQLITE_ATTACH:
    case SQLITE_DETACH:
      return SQLITE_DENY;
    default:  // SELECT, TRANSACTION, SAVEPOINT, RECURSIVE, REINDEX, ANALYZE
      return SQLITE_OK;
  }
}

// SQL run on a user's behalf may name only the guarded tables (TEMP
// virtual tables standing for the henv's tables) and only as its grants
// allow; the base tables, everything in `main`, the schema, DDL, pragmas
// and attachments are out of reach. The guarded tables' own statements run
// under the script rules (internal_depth).
int AuthorizeUser(const UserGrants& grants, int action, const char* arg1, const char* arg2,
                  const char* database) {
  const std::string_view db = database != nullptr ? database : "";
  auto grant = [&](uint8_t bit) {
    // Guarded tables live in temp. SQLite names no schema when a statement
    // reads no column of a virtual table (count(*)); a real table is always
    // named with its schema ('main'), so that case cannot reach one.
    if ((database != nullptr && db != "temp") || arg1 == nullptr) return SQLITE_DENY;
    std::string lower(arg1);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto it = grants.tables.find(lower);
    return it != grants.tables.end() && (it->second & bit) != 0 ? SQLITE_OK : SQLITE_DENY;
  };
  switch (action) {
    case SQLITE_READ:
      return grant(UserGrants::kSelect);
    case SQLITE_INSERT:
      return grant(UserGrants::kInsert);
    case SQLITE_UPDATE:
      return grant(UserGrants::kUpdate);
    case SQLITE_DELETE:
      return grant(UserGrants::kDelete);
    case SQLITE_SELECT:
    case SQLITE_RECURSIVE:
    case SQLITE_TRANSACTION:
    case SQLITE_SAVEPOINT:
      return SQLITE_OK;
    case SQLITE_FUNCTION:
      return ScriptFunctionDenied(arg2 != nullptr ? arg2 : "") ? SQLITE_DENY : SQLITE_OK;
    default:  // DDL, PRAGMA, ATTACH, DETACH, ALTER, REINDEX, ANALYZE, vtab DDL
      return SQLITE_DENY;
  }
}

}  // namespace

int Authorize(const SealedSchema& schema, Caller caller, int action, const char* arg1, const char* arg2,
              const char* database, const char* inner, const UserGrants* grants) {
  switch (caller) {
    case Caller::kHost:
      return AuthorizeHost(schema, action, arg1, inner);
    case Caller::kScript:
      return AuthorizeScript(schema, action, arg1, arg2, inner);
    case Caller::kUser:
      return grants != nullptr ? AuthorizeUser(*grants, action, arg1, arg2, database) : SQLITE_DENY;
  }
  return SQLITE_DENY;
}

}  // namespace hbf::db
