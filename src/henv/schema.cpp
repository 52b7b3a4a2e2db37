#include "henv/schema.h"

#include <string>

namespace hbf {
namespace {

struct Migration {
  int version;
  const char* description;
  const char* sql;
};

// v1: the spec's document graph and system tables (hbf-implementation.md,
// Phase 2a), with a full-text index that is actually correct. The spec's
// nodes_fts was an external-content table over columns nodes does not have,
// with triggers that never used FTS5's 'delete' command, so it drifted.
// Here nodes_fts is a self-contained FTS5 table keyed by the node's rowid:
// every insert, update and delete of a node replaces its index row exactly.
// (It stores its own copy of the text: correctness over space.)
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE nodes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    type TEXT NOT NULL,
    body TEXT NOT NULL CHECK (json_valid(body)),
    name TEXT GENERATED ALWAYS AS (json_extract(body, '$.name')) VIRTUAL,
    version TEXT GENERATED ALWAYS AS (json_extract(body, '$.version')) VIRTUAL,
    created_at INTEGER NOT NULL DEFAULT (unixepoch()),
    modified_at INTEGER NOT NULL DEFAULT (unixepoch())
);
CREATE INDEX idx_nodes_type ON nodes(type);
CREATE INDEX idx_nodes_name ON nodes(name);
CREATE INDEX idx_nodes_created ON nodes(created_at);

CREATE TABLE edges (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    src INTEGER NOT NULL REFERENCES nodes(id) ON DELETE CASCADE,
    dst INTEGER NOT NULL REFERENCES nodes(id) ON DELETE CASCADE,
    rel TEXT NOT NULL,
    props TEXT,
    created_at INTEGER NOT NULL DEFAULT (unixepoch())
);
CREATE INDEX idx_edges_src ON edges(src);
CREATE INDEX idx_edges_dst ON edges(dst);
CREATE INDEX idx_edges_rel ON edges(rel);
CREATE INDEX idx_edges_src_rel ON edges(src, rel);

CREATE TABLE tags (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tag TEXT NOT NULL,
    node_id INTEGER NOT NULL REFERENCES nodes(id) ON DELETE CASCADE,
    parent_tag_id INTEGER REFERENCES tags(id) ON DELETE CASCADE,
    order_num INTEGER NOT NULL DEFAULT 0,
    metadata TEXT,
    created_at INTEGER NOT NULL DEFAULT (unixepoch())
);
CREATE INDEX idx_tags_tag ON tags(tag);
CREATE INDEX idx_tags_node ON tags(node_id);
CREATE INDEX idx_tags_parent ON tags(parent_tag_id);
CREATE INDEX idx_tags_parent_order ON tags(parent_tag_id, order_num);

CREATE TABLE _hbf_users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    email TEXT,
    role TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('owner', 'admin', 'user')),
    enabled INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL DEFAULT (unixepoch()),
    modified_at INTEGER NOT NULL DEFAULT (unixepoch())
);
CREATE INDEX idx_hbf_users_username ON _hbf_users(username);
CREATE INDEX idx_hbf_users_role ON _hbf_users(role);

CREATE TABLE _hbf_sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES _hbf_users(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    expires_at INTEGER NOT NULL,
    last_used INTEGER NOT NULL DEFAULT (unixepoch()),
    created_at INTEGER NOT NULL DEFAULT (unixepoch())
);
CREATE INDEX idx_hbf_sessions_user ON _hbf_sessions(user_id);
CREATE INDEX idx_hbf_sessions_token ON _hbf_sessions(token_hash);
CREATE INDEX idx_hbf_sessions_expires ON _hbf_sessions(expires_at);

CREATE TABLE _hbf_table_permissions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES _hbf_users(id) ON DELETE CASCADE,
    table_name TEXT NOT NULL,
    can_select INTEGER NOT NULL DEFAULT 0,
    can_insert INTEGER NOT NULL DEFAULT 0,
    can_update INTEGER NOT NULL DEFAULT 0,
    can_delete INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL DEFAULT (unixepoch())
);
CREATE UNIQUE INDEX idx_hbf_perms_user_table ON _hbf_table_permissions(user_id, table_name);

CREATE TABLE _hbf_row_policies (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    table_name TEXT NOT NULL,
    policy_name TEXT NOT NULL,
    role TEXT NOT NULL,
    operation TEXT NOT NULL,
    condition TEXT NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL DEFAULT (unixepoch())
);
CREATE INDEX idx_hbf_policies_table ON _hbf_row_policies(table_name);
CREATE UNIQUE INDEX idx_hbf_policies_name ON _hbf_row_policies(table_name, policy_name);

CREATE TABLE _hbf_config (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    description TEXT,
    modified_at INTEGER NOT NULL DEFAULT (unixepoch())
);

CREATE TABLE _hbf_audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER REFERENCES _hbf_users(id) ON DELETE SET NULL,
    action TEXT NOT NULL,
    table_name TEXT,
    record_id INTEGER,
    details TEXT,
    created_at INTEGER NOT NULL DEFAULT (unixepoch())
);
CREATE INDEX idx_hbf_audit_user ON _hbf_audit_log(user_id);
CREATE INDEX idx_hbf_audit_created ON _hbf_audit_log(created_at);
CREATE INDEX idx_hbf_audit_action ON _hbf_audit_log(action);

CREATE VIRTUAL TABLE nodes_fts USING fts5(name, content, tokenize = 'porter unicode61');
CREATE TRIGGER nodes_fts_after_insert AFTER INSERT ON nodes BEGIN
    INSERT INTO nodes_fts(rowid, name, content)
    VALUES (new.id, new.name, json_extract(new.body, '$.content'));
END;
CREATE TRIGGER nodes_fts_after_update AFTER UPDATE ON nodes BEGIN
    DELETE FROM nodes_fts WHERE rowid = old.id;
    INSERT INTO nodes_fts(rowid, name, content)
    VALUES (new.id, new.name, json_extract(new.body, '$.content'));
END;
CREATE TRIGGER nodes_fts_after_delete AFTER DELETE ON nodes BEGIN
    DELETE FROM nodes_fts WHERE rowid = old.id;
END;

INSERT INTO _hbf_config (key, value, description) VALUES
    ('qjs_mem_mb', '64', 'QuickJS memory limit in MB'),
    ('qjs_timeout_ms', '5000', 'QuickJS execution timeout in milliseconds'),
    ('session_lifetime_hours', '168', 'Session lifetime in hours (default: 7 days)'),
    ('max_upload_size_mb', '10', 'Maximum upload size in MB'),
    ('enable_audit_log', 'true', 'Enable audit logging for admin actions');
)sql";

// v2: per-henv JWT signing keys (DECISIONS.md §3). Keys live in the henv so
// that a henv file moved to another node keeps its sessions valid; the
// newest active key signs, every unexpired key verifies (rotation).
constexpr const char* kSchemaV2 = R"sql(
CREATE TABLE _hbf_signing_keys (
    kid TEXT PRIMARY KEY,
    secret BLOB NOT NULL,
    created_at INTEGER NOT NULL DEFAULT (unixepoch()),
    retired_at INTEGER
);
INSERT INTO _hbf_config (key, value, description) VALUES
    ('last_activity_ts', '0', 'Unix time of the last write to this henv (coalesced)');
)sql";

// v3: documents. Bytes live in a BLOB (binary stays binary) with a gzip copy
// for text types; each document owns a node so the graph (edges, tags)
// applies to it. documents_fts indexes the path of every document and the
// text of text documents, replaced row by row on every change, so search
// results are exact.
constexpr const char* kSchemaV3 = R"sql(
CREATE TABLE documents (
    doc_id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    node_id INTEGER UNIQUE REFERENCES nodes(id) ON DELETE SET NULL,
    content_type TEXT NOT NULL,
    content BLOB NOT NULL,
    gzip BLOB,
    is_text INTEGER NOT NULL DEFAULT 0,
    size INTEGER NOT NULL,
    etag TEXT NOT NULL,
    created_at INTEGER NOT NULL DEFAULT (unixepoch()),
    modified_at INTEGER NOT NULL DEFAULT (unixepoch())
);
CREATE VIRTUAL TABLE documents_fts USING fts5(path, content, tokenize = 'porter unicode61');
CREATE TRIGGER documents_fts_after_insert AFTER INSERT ON documents BEGIN
    INSERT INTO documents_fts(rowid, path, content)
    VALUES (new.doc_id, new.path, CASE WHEN new.is_text THEN CAST(new.content AS TEXT) END);
END;
CREATE TRIGGER documents_fts_after_update AFTER UPDATE ON documents BEGIN
    DELETE FROM documents_fts WHERE rowid = old.doc_id;
    INSERT INTO documents_fts(rowid, path, content)
    VALUES (new.doc_id, new.path, CASE WHEN new.is_text THEN CAST(new.content AS TEXT) END);
END;
CREATE TRIGGER documents_fts_after_delete AFTER DELETE ON documents BEGIN
    DELETE FROM documents_fts WHERE rowid = old.doc_id;
END;
)sql";

// v4: the code version. Any change to a document under _system/ or modules/
// (the henv's code) bumps it, however the change was made (API or a
// script's own SQL), so JavaScript workers know to reload.
constexpr const char* kSchemaV4 = R"sql(
INSERT INTO _hbf_config (key, value, description) VALUES
    ('code_version', '0', 'Bumped whenever _system/ or modules/ documents change');
CREATE TRIGGER documents_code_version_insert AFTER INSERT ON documents
WHEN new.path GLOB '_system/*' OR new.path GLOB 'modules/*' BEGIN
    UPDATE _hbf_config SET value = CAST(value AS INTEGER) + 1 WHERE key = 'code_version';
END;
CREATE TRIGGER documents_code_version_update AFTER UPDATE ON documents
WHEN old.path GLOB '_system/*' OR old.path GLOB 'modules/*' OR new.path GLOB '_system/*' OR new.path GLOB 'modules/*' BEGIN
    UPDATE _hbf_config SET value = CAST(value AS INTEGER) + 1 WHERE key = 'code_version';
END;
CREATE TRIGGER documents_code_version_delete AFTER DELETE ON documents
WHEN old.path GLOB '_system/*' OR old.path GLOB 'modules/*' BEGIN
    UPDATE _hbf_config SET value = CAST(value AS INTEGER) + 1 WHERE key = 'code_version';
END;
)sql";

// v5: a document's own visibility ('public' | 'private'; NULL: the henv's
// rules decide, see documents/visibility.h); the audit log's target; table
// grants per role (the spec's grants are per user), for the callers that
// have no user ('anonymous') and for every plain user at once ('user').
constexpr const char* kSchemaV5 = R"sql(
ALTER TABLE documents ADD COLUMN visibility TEXT CHECK (visibility IN ('public', 'private'));
ALTER TABLE _hbf_audit_log ADD COLUMN target TEXT;
CREATE TABLE _hbf_role_permissions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    role TEXT NOT NULL CHECK (role IN ('anonymous', 'user')),
    table_name TEXT NOT NULL,
    can_select INTEGER NOT NULL DEFAULT 0,
    can_insert INTEGER NOT NULL DEFAULT 0,
    can_update INTEGER NOT NULL DEFAULT 0,
    can_delete INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL DEFAULT (unixepoch())
);
CREATE UNIQUE INDEX idx_hbf_role_perms ON _hbf_role_permissions(role, table_name);
)sql";

// v6: scripts may write the documents table with SQL (it is structural, not
// sealed). What HBF derives from a document's content when it stores one
// (its size, its gzip copy, its ETag) follows a content update that did not
// set them itself: HBF's own writes change the ETag with the content, so a
// content change under an unchanged ETag is someone else's. Without this a
// rewritten document was served from its old gzip copy, under its old ETag,
// with ranges measured against its old size.
constexpr const char* kSchemaV6 = R"sql(
CREATE TRIGGER documents_derived_after_update AFTER UPDATE OF content ON documents
WHEN new.etag IS old.etag AND new.content IS NOT old.content BEGIN
    UPDATE documents SET size = length(CAST(new.content AS BLOB)), gzip = NULL,
        etag = '"' || lower(hex(randomblob(16))) || '"', modified_at = unixepoch()
    WHERE doc_id = new.doc_id;
END;
)sql";

const Migration kMigrations[] = {
    {1, "Initial schema: document graph + HBF system tables + exact FTS5 index", kSchemaV1},
    {2, "Per-henv JWT signing keys; last activity", kSchemaV2},
    {3, "Documents with gzip copies, graph nodes and an exact FTS5 index", kSchemaV3},
    {4, "Code version bumped by changes to _system/ and modules/", kSchemaV4},
    {5, "A document's own visibility; the audit log's target; table grants per role", kSchemaV5},
    {6, "A document's size, gzip copy and ETag follow a content update made with SQL", kSchemaV6},
};
static_assert(sizeof(kMigrations) / sizeof(kMigrations[0]) == kLatestSchemaVersion);

}  // namespace

const db::SealedSchema& HenvSealedSchema() {
  static const db::SealedSchema schema{
      /*sealed_prefixes=*/{"_hbf_"},
      /*structural_tables=*/{"documents", "nodes", "edges", "tags"},
      /*maintained_tables=*/{"documents_fts", "nodes_fts"},
      /*system_triggers=*/
      {"nodes_fts_after_insert", "nodes_fts_after_update", "nodes_fts_after_delete", "documents_fts_after_insert",
       "documents_fts_after_update", "documents_fts_after_delete", "documents_code_version_insert",
       "documents_code_version_update", "documents_code_version_delete", "documents_derived_after_update"},
  };
  return schema;
}

Result<int> SchemaVersion(db::Database& db) {
  auto exists = db.QueryValue("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_hbf_schema_version'");
  if (!exists.ok()) return exists.error();
  if (!exists.value().has_value()) return 0;
  auto version = db.QueryValue("SELECT COALESCE(MAX(version), 0) FROM _hbf_schema_version");
  if (!version.ok()) return version.error();
  return static_cast<int>(std::get<int64_t>(**version));
}

Status Migrate(db::Database& db, int target) {
  auto current = SchemaVersion(db);
  if (!current.ok()) return current.error();
  if (*current > kLatestSchemaVersion) {
    return Error{"schema_too_new",
                 "this henv has schema version " + std::to_string(*current) + " but this hbf supports up to " +
                     std::to_string(kLatestSchemaVersion) + "; upgrade hbf to open it",
                 409};
  }
  for (const auto& m : kMigrations) {
    if (m.version > target) break;
    // Already applied: no write lock needed (an up-to-date henv must open
    // without waiting for a writer on another connection).
    if (m.version <= *current) continue;
    // Re-read inside the write lock: another connection may have migrated.
    auto tx = db::Transaction::Begin(db);
    if (!tx.ok()) return tx.error();
    auto now = SchemaVersion(db);
    if (!now.ok()) return now.error();
    if (*now >= m.version) continue;  // tx rolls back (nothing done)
    if (m.version == 1) {
      auto s = db.Exec(
          "CREATE TABLE _hbf_schema_version (version INTEGER PRIMARY KEY, "
          "applied_at INTEGER NOT NULL DEFAULT (unixepoch()), description TEXT)");
      if (!s.ok()) return s.error();
    }
    if (auto s = db.Exec(m.sql); !s.ok()) {
      return Error{"migration_failed",
                   "schema migration " + std::to_string(m.version) + " failed: " + s.error().message, 500};
    }
    auto record = db.Prepare("INSERT INTO _hbf_schema_version (version, description) VALUES (?, ?)");
    if (!record.ok()) return record.error();
    record->Bind(1, int64_t{m.version}).Bind(2, std::string(m.description));
    if (auto s = record->Run(); !s.ok()) return s.error();
    if (auto s = tx->Commit(); !s.ok()) return s.error();
  }
  return Ok{};
}

}  // namespace hbf
