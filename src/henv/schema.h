// The henv schema and its numbered, transactional migrations.
//
// Migration N is applied inside one IMMEDIATE transaction together with the
// row that records it in _hbf_schema_version, so a crash leaves the file at
// N-1 or N, never between. Migrate() applies whatever a file lacks, so a
// henv made by an older binary opens in a newer one. A file whose version is
// newer than this binary knows is refused and left untouched.
//
// Migrations are append-only: never edit or renumber a released one.
//
// Thread safety: the caller owns the Database for the duration of the call.
#pragma once

#include "core/result.h"
#include "db/database.h"

namespace hbf {

inline constexpr int kLatestSchemaVersion = 6;

// The version recorded in the file: 0 for an empty (new) database.
Result<int> SchemaVersion(db::Database& db);

// Brings the file up to `target` (default: the latest). Idempotent.
// Fails with code "schema_too_new" (409) for a file from a newer binary.
Status Migrate(db::Database& db, int target = kLatestSchemaVersion);

// What the henv schema seals off from tenant code (db/sql_guard.h): the
// _hbf_* tables, the structure of documents and the graph, the full-text
// indexes HBF maintains, and the schema's own triggers. Every connection to
// a henv file is sealed with it.
const db::SealedSchema& HenvSealedSchema();

}  // namespace hbf
