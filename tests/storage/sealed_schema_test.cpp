// Specification of the sealed schema (src/db/sql_guard.h): SQL a tenant's
// script runs on its henv's file cannot read or change HBF's own tables,
// change the schema's structure, or reach the host - however it is written.
//
// Each hostile case is a sequence of statements run as a script (inside a
// Database::ScriptScope). After every case:
//   - no value any statement returned holds a secret of a sealed table;
//   - no table a script can read holds one (nothing was copied out);
//   - the sealed tables and the schema's own objects are byte-identical.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "db/database.h"
#include "henv/schema.h"
#include "storage_test_util.h"

namespace hbf {
namespace {

using testing_storage::TempDir;

constexpr const char* kSecrets[] = {"SIGNING-SECRET", "PWHASH-OWNER", "SESSION-HASH", "AUDIT-SECRET"};

class SealedSchemaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = db::Database::Open(dir_.File("index.db"));
    ASSERT_TRUE(db.ok());
    db_.emplace(std::move(*db));
    ASSERT_TRUE(Migrate(*db_).ok());
    db_->Seal(HenvSealedSchema());
    db_->LimitForScripts(32 << 20);
    // Host-side state a script must never see or change.
    ASSERT_TRUE(db_->Exec("INSERT INTO _hbf_signing_keys (kid, secret) VALUES ('k1', 'SIGNING-SECRET');"
                          "INSERT INTO _hbf_users (username, password_hash, role) VALUES "
                          "  ('owner', 'PWHASH-OWNER', 'owner'), ('eve', 'PWHASH-EVE', 'user');"
                          "INSERT INTO _hbf_sessions (user_id, token_hash, expires_at) VALUES (1, 'SESSION-HASH', 9e9);"
                          "INSERT INTO _hbf_audit_log (action, details) VALUES ('x', 'AUDIT-SECRET');"
                          "INSERT INTO documents (path, content_type, content, is_text, size, etag) VALUES "
                          "  ('_system/router.js', 'text/javascript', 'export default 1', 1, 16, 'e1');"
                          "CREATE TABLE posts (id INTEGER PRIMARY KEY, title TEXT, owner TEXT);"
                          "INSERT INTO posts (title, owner) VALUES ('hello', 'eve');")
                    .ok());
    sealed_before_ = SealedState();
  }

  // Everything a script must not change: the sealed tables' rows and the
  // definitions of the schema's own objects.
  std::string SealedState() {
    std::string out;
    for (const char* sql :
         {"SELECT group_concat(kid || '=' || secret, ',') FROM _hbf_signing_keys",
          "SELECT group_concat(id || username || password_hash || role || enabled, ',') FROM _hbf_users",
          "SELECT group_concat(user_id || token_hash, ',') FROM _hbf_sessions",
          "SELECT group_concat(key || '=' || value, ',') FROM _hbf_config WHERE key NOT IN ('code_version')",
          "SELECT group_concat(user_id || table_name, ',') FROM _hbf_table_permissions",
          "SELECT group_concat(table_name || policy_name || condition, ',') FROM _hbf_row_policies",
          "SELECT group_concat(action || details, ',') FROM _hbf_audit_log",
          "SELECT group_concat(type || name || tbl_name || COALESCE(sql, ''), ';') FROM "
          "(SELECT * FROM sqlite_master WHERE name LIKE '\\_hbf\\_%' ESCAPE '\\' OR name LIKE 'documents%' "
          " OR name LIKE 'nodes%' OR name IN ('edges', 'tags') OR tbl_name IN ('documents', 'nodes', 'edges', 'tags') "
          " OR name LIKE 'idx\\_%' ESCAPE '\\' ORDER BY name)",
          "SELECT group_concat(rowid || ':' || path, ',') FROM documents_fts"}) {
      auto v = db_->QueryValue(sql);
      EXPECT_TRUE(v.ok()) << sql << ": " << (v.ok() ? "" : v.error().message);
      if (v.ok() && v->has_value() && std::holds_alternative<std::string>(**v)) out += std::get<std::string>(**v);
      out += '\n';
    }
    return out;
  }

  // Every table and view a script may read, dumped as text, read as the
  // script would (what a script could have copied a secret into).
  std::string ScriptReadableText() {
    std::string out;
    std::vector<std::string> tables;
    {
      auto stmt = db_->Prepare("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND "
                               "name NOT LIKE '\\_hbf\\_%' ESCAPE '\\' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'");
      EXPECT_TRUE(stmt.ok());
      for (;;) { if (!stmt.ok()) break; auto r = stmt->Step(); if (!r.ok() || !*r) break; tables.push_back(stmt->Text(0)); }
    }
    db::Database::ScriptScope scope(*db_);
    for (const auto& t : tables) {
      auto stmt = db_->PrepareUncached("SELECT * FROM \"" + t + "\"");
      if (!stmt.ok()) continue;  // refused to a script: nothing read
      for (;;) {
        auto row = stmt->Step();
        if (!row.ok() || !*row) break;
        for (int c = 0; c < stmt->ColumnCount(); ++c) out += stmt->Bytes(c) + "|";
      }
    }
    return out;
  }

  // Runs `sql` as a script; returns every value it produced, or the error.
  std::string RunAsScript(const std::string& sql, bool* failed = nullptr) {
    db::Database::ScriptScope scope(*db_);
    auto stmt = db_->PrepareUncached(sql);
    if (!stmt.ok()) {
      if (failed != nullptr) *failed = true;
      return "error: " + stmt.error().message;
    }
    std::string out;
    for (int steps = 0; steps < 100000; ++steps) {
      auto row = stmt->Step();
      if (!row.ok()) {
        if (failed != nullptr) *failed = true;
        return out + "error: " + row.error().message;
      }
      if (!*row) break;
      for (int c = 0; c < stmt->ColumnCount(); ++c) out += stmt->Bytes(c) + "|";
    }
    if (failed != nullptr) *failed = false;
    return out;
  }

  void ExpectContained(const std::vector<std::string>& steps) {
    std::string trace;
    for (const auto& sql : steps) {
      std::string out = RunAsScript(sql);
      trace += sql + "\n  -> " + out.substr(0, 200) + "\n";
      for (const char* secret : kSecrets) {
        EXPECT_EQ(out.find(secret), std::string::npos) << "leaked " << secret << "\n" << trace;
      }
    }
    (void)db_->Exec("ROLLBACK");  // a case that left a transaction open
    std::string readable = ScriptReadableText();
    for (const char* secret : kSecrets) {
      EXPECT_EQ(readable.find(secret), std::string::npos) << "copied " << secret << " out\n" << trace;
    }
    EXPECT_EQ(SealedState(), sealed_before_) << "changed the sealed state\n" << trace;
  }

  TempDir dir_;
  std::optional<db::Database> db_;
  std::string sealed_before_;
};

// Hostile cases: each a statement or a sequence run in order.
const std::vector<std::vector<std::string>>& HostileCases() {
  static const std::vector<std::vector<std::string>> cases = {
      // Plain reads and writes, however the table is named.
      {"SELECT * FROM _hbf_signing_keys"},
      {"SELECT secret FROM main._hbf_signing_keys"},
      {"SELECT secret FROM \"_hbf_signing_keys\""},
      {"SELECT secret FROM [_hbf_signing_keys]"},
      {"SELECT secret FROM `_hbf_signing_keys`"},
      {"SELECT secret FROM _HBF_SIGNING_KEYS"},
      {"SELECT secret FROM main.\"_HBF_Signing_Keys\""},
      {"SELECT password_hash FROM _hbf_users"},
      {"SELECT token_hash FROM _hbf_sessions"},
      {"SELECT details FROM _hbf_audit_log"},
      {"SELECT count(*) FROM _hbf_users"},
      {"SELECT rowid FROM _hbf_users"},
      {"SELECT * FROM _hbf_config"},
      {"SELECT * FROM _hbf_schema_version"},
      {"UPDATE _hbf_users SET password_hash = 'x' WHERE role = 'owner'"},
      {"UPDATE _hbf_users SET password_hash = (SELECT password_hash FROM _hbf_users WHERE username = 'eve') "
       "WHERE role = 'owner'"},
      {"UPDATE _hbf_users SET role = 'owner' WHERE username = 'eve'"},
      {"DELETE FROM _hbf_sessions"},
      {"DELETE FROM _hbf_audit_log"},
      {"INSERT INTO _hbf_signing_keys (kid, secret) VALUES ('evil', 'x')"},
      {"INSERT INTO _hbf_users (username, password_hash, role) VALUES ('mallory', 'x', 'owner')"},
      {"REPLACE INTO _hbf_users (id, username, password_hash, role) VALUES (1, 'owner', 'x', 'owner')"},
      {"INSERT OR REPLACE INTO _hbf_config (key, value) VALUES ('qjs_timeout_ms', '999999')"},
      {"UPDATE _hbf_config SET value = '100000' WHERE key = 'qjs_mem_mb'"},
      {"INSERT INTO _hbf_table_permissions (user_id, table_name, can_select) VALUES (2, 'posts', 1)"},
      {"INSERT INTO _hbf_row_policies (table_name, policy_name, role, operation, condition) "
       "VALUES ('posts', 'p', 'user', 'select', '1')"},
      {"DELETE FROM _hbf_row_policies"},
      {"UPDATE _hbf_table_permissions SET can_delete = 1"},
      // Subqueries, joins, set operations, CTEs.
      {"SELECT (SELECT secret FROM _hbf_signing_keys)"},
      {"SELECT title FROM posts WHERE EXISTS (SELECT 1 FROM _hbf_users WHERE password_hash LIKE 'P%')"},
      {"SELECT p.title, u.password_hash FROM posts p JOIN _hbf_users u ON 1"},
      {"SELECT title FROM posts UNION SELECT secret FROM _hbf_signing_keys"},
      {"SELECT title FROM posts UNION ALL SELECT token_hash FROM _hbf_sessions"},
      {"SELECT title FROM posts INTERSECT SELECT password_hash FROM _hbf_users"},
      {"SELECT title FROM posts EXCEPT SELECT password_hash FROM _hbf_users"},
      {"WITH k AS (SELECT secret FROM _hbf_signing_keys) SELECT * FROM k"},
      {"WITH RECURSIVE r(x) AS (SELECT secret FROM _hbf_signing_keys UNION ALL SELECT x FROM r LIMIT 3) "
       "SELECT * FROM r"},
      {"WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) "
       "SELECT password_hash FROM _hbf_users, r"},
      {"SELECT * FROM (SELECT * FROM (SELECT secret FROM _hbf_signing_keys))"},
      {"SELECT group_concat(secret) FROM _hbf_signing_keys"},
      {"SELECT json_group_array(password_hash) FROM _hbf_users"},
      {"SELECT row_number() OVER (ORDER BY secret), secret FROM _hbf_signing_keys"},
      {"SELECT first_value(password_hash) OVER () FROM _hbf_users"},
      {"SELECT title FROM posts ORDER BY (SELECT secret FROM _hbf_signing_keys)"},
      {"SELECT CASE WHEN (SELECT substr(secret, 1, 1) FROM _hbf_signing_keys) = 'S' THEN 1 ELSE 0 END"},
      {"SELECT iif((SELECT count(*) FROM _hbf_sessions) > 0, 'yes', 'no')"},
      {"SELECT * FROM json_each((SELECT json_group_array(secret) FROM _hbf_signing_keys))"},
      {"SELECT value FROM json_each('[1]') WHERE (SELECT secret FROM _hbf_signing_keys) IS NOT NULL"},
      {"SELECT * FROM posts WHERE title IN (SELECT username FROM _hbf_users)"},
      {"SELECT title FROM posts LIMIT (SELECT count(*) FROM _hbf_users)"},
      // Writes that read sealed tables.
      {"INSERT INTO posts (title) SELECT secret FROM _hbf_signing_keys"},
      {"INSERT INTO posts (title) VALUES ((SELECT password_hash FROM _hbf_users LIMIT 1))"},
      {"UPDATE posts SET title = (SELECT token_hash FROM _hbf_sessions)"},
      {"DELETE FROM posts WHERE title <> (SELECT secret FROM _hbf_signing_keys) RETURNING *"},
      {"INSERT INTO posts (title) VALUES ('a') RETURNING (SELECT secret FROM _hbf_signing_keys)"},
      {"UPDATE posts SET title = 'b' RETURNING (SELECT password_hash FROM _hbf_users LIMIT 1)"},
      {"INSERT INTO posts (id, title) VALUES (1, 'x') ON CONFLICT(id) DO UPDATE SET "
       "title = (SELECT secret FROM _hbf_signing_keys)"},
      {"INSERT INTO _hbf_users (id, username, password_hash, role) VALUES (1, 'o', 'x', 'owner') "
       "ON CONFLICT(id) DO UPDATE SET password_hash = 'x'"},
      {"UPDATE posts SET title = k.secret FROM _hbf_signing_keys AS k"},
      {"UPDATE _hbf_users SET password_hash = p.title FROM posts AS p"},
      {"CREATE TABLE loot AS SELECT * FROM _hbf_signing_keys"},
      {"CREATE TEMP TABLE loot AS SELECT * FROM _hbf_users"},
      // Views and triggers made on the fly.
      {"CREATE VIEW v1 AS SELECT secret FROM _hbf_signing_keys", "SELECT * FROM v1"},
      {"CREATE TEMP VIEW v2 AS SELECT password_hash FROM _hbf_users", "SELECT * FROM v2"},
      {"CREATE VIEW v3 AS SELECT * FROM posts", "CREATE VIEW v4 AS SELECT secret FROM _hbf_signing_keys, v3",
       "SELECT * FROM v4"},
      {"CREATE TABLE log1 (v)",
       "CREATE TRIGGER t1 AFTER INSERT ON posts BEGIN INSERT INTO log1 SELECT secret FROM _hbf_signing_keys; END",
       "INSERT INTO posts (title) VALUES ('fire')"},
      {"CREATE TEMP TRIGGER t2 AFTER INSERT ON posts BEGIN "
       "UPDATE _hbf_users SET role = 'owner' WHERE username = 'eve'; END",
       "INSERT INTO posts (title) VALUES ('fire')"},
      {"CREATE TRIGGER t3 AFTER UPDATE ON posts BEGIN DELETE FROM _hbf_sessions; END", "UPDATE posts SET title = 'u'"},
      {"CREATE VIEW v5 AS SELECT * FROM posts",
       "CREATE TRIGGER t4 INSTEAD OF INSERT ON v5 BEGIN "
       "UPDATE _hbf_users SET password_hash = new.title WHERE role = 'owner'; END",
       "INSERT INTO v5 (title) VALUES ('pwned')"},
      {"CREATE TRIGGER t5 AFTER INSERT ON _hbf_sessions BEGIN INSERT INTO posts (title) VALUES (new.token_hash); END"},
      {"CREATE TRIGGER t6 AFTER INSERT ON documents BEGIN INSERT INTO posts (title) VALUES (new.path); END"},
      {"CREATE TRIGGER t7 AFTER INSERT ON nodes BEGIN SELECT 1; END"},
      {"CREATE TEMP TRIGGER t8 AFTER INSERT ON documents BEGIN SELECT 1; END"},
      // Impersonating the schema's own triggers and tables.
      {"DROP TRIGGER documents_code_version_update"},
      {"DROP TRIGGER documents_fts_after_insert"},
      {"CREATE TEMP TRIGGER documents_code_version_insert AFTER INSERT ON posts BEGIN "
       "UPDATE _hbf_users SET role = 'owner'; END",
       "INSERT INTO posts (title) VALUES ('x')"},
      {"CREATE TEMP TRIGGER \"nodes_fts_after_insert\" AFTER INSERT ON posts BEGIN "
       "INSERT INTO posts (title) SELECT secret FROM _hbf_signing_keys; END",
       "INSERT INTO posts (title) VALUES ('x')"},
      {"CREATE TEMP TABLE _hbf_config (key TEXT, value TEXT)"},
      {"CREATE TEMP VIEW documents AS SELECT 1 AS path"},
      {"CREATE TEMP TABLE \"_HBF_users\" (x)"},
      {"CREATE TABLE _hbf_evil (x)"},
      {"DROP TABLE _hbf_audit_log"},
      {"DROP TABLE documents"},
      {"DROP TABLE documents_fts"},
      {"DROP TABLE nodes_fts_data"},
      {"ALTER TABLE _hbf_users ADD COLUMN x"},
      {"ALTER TABLE _hbf_users RENAME TO users_copy"},
      {"ALTER TABLE documents RENAME COLUMN content TO c"},
      {"ALTER TABLE _hbf_sessions RENAME COLUMN token_hash TO t"},
      {"CREATE INDEX evil_idx ON _hbf_users(password_hash)"},
      {"DROP INDEX idx_hbf_users_username"},
      {"CREATE INDEX evil_doc_idx ON documents(path, content)"},
      // Full-text index and shadow tables.
      {"INSERT INTO documents_fts (documents_fts) VALUES ('delete-all')"},
      {"DELETE FROM documents_fts"},
      {"UPDATE documents_fts SET path = 'x'"},
      {"INSERT INTO documents_fts_data VALUES (999, x'00')"},
      {"DELETE FROM documents_fts_content"},
      {"CREATE VIRTUAL TABLE leak USING fts5(secret, content='_hbf_signing_keys', content_rowid='rowid')",
       "INSERT INTO leak(leak) VALUES ('rebuild')", "SELECT secret FROM leak"},
      {"CREATE VIRTUAL TABLE dbs USING dbstat", "SELECT * FROM dbs"},
      {"SELECT * FROM dbstat"},
      {"SELECT data FROM sqlite_dbpage"},
      // The schema table itself.
      {"PRAGMA writable_schema = ON", "UPDATE sqlite_master SET sql = 'x' WHERE name = '_hbf_users'"},
      {"UPDATE sqlite_master SET name = 'x' WHERE name = '_hbf_users'"},
      {"DELETE FROM sqlite_master WHERE name = 'documents_code_version_update'"},
      {"INSERT INTO sqlite_master VALUES ('view', 'x', 'x', 0, 'CREATE VIEW x AS SELECT * FROM _hbf_users')"},
      // Pragmas, attachments, files, extensions.
      {"PRAGMA database_list"},
      {"SELECT file FROM pragma_database_list"},
      {"PRAGMA main.database_list"},
      {"PRAGMA temp_store_directory"},
      {"PRAGMA max_page_count = 1000000000"},
      {"PRAGMA journal_mode = DELETE"},
      {"PRAGMA wal_checkpoint(TRUNCATE)"},
      {"PRAGMA wal_checkpoint"},
      {"PRAGMA trusted_schema = ON"},
      {"PRAGMA cell_size_check = OFF"},
      {"PRAGMA secure_delete = OFF"},
      {"PRAGMA user_version = 7"},
      {"PRAGMA schema_version = 1"},
      {"ATTACH DATABASE 'file:/etc/passwd?mode=ro' AS x"},
      {"ATTACH DATABASE ':memory:' AS m"},
      {"VACUUM INTO '/tmp/hbf-sealed-escape.db'"},
      {"SELECT load_extension('libc.so.6')"},
      {"SELECT fts3_tokenizer('simple')"},
      {"SELECT readfile('/etc/passwd')"},
      // Transactions and savepoints around hostile writes.
      {"BEGIN", "UPDATE _hbf_users SET role = 'owner'", "COMMIT"},
      {"SAVEPOINT s", "DELETE FROM _hbf_sessions", "RELEASE s"},
  };
  return cases;
}

TEST_F(SealedSchemaTest, HostileStatementsNeitherLeakNorChangeSealedState) {
  const auto& cases = HostileCases();
  EXPECT_GE(cases.size(), 100u);
  for (const auto& steps : cases) ExpectContained(steps);
}

TEST_F(SealedSchemaTest, ACteNamedLikeASealedTableReadsTheCte) {
  // The authorizer sees the table a name resolves to: a CTE that shadows a
  // sealed table's name is the script's own data and stays usable.
  EXPECT_EQ(RunAsScript("WITH _hbf_signing_keys(secret) AS (SELECT 'mine') SELECT secret FROM _hbf_signing_keys"),
            "mine|");
}

TEST_F(SealedSchemaTest, ScriptsKeepTheirOwnPowers) {
  bool failed = true;
  auto run = [&](const std::string& sql) {
    std::string out = RunAsScript(sql, &failed);
    EXPECT_FALSE(failed) << sql << ": " << out;
    return out;
  };
  run("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT, slug TEXT UNIQUE)");
  run("CREATE INDEX notes_body ON notes(body)");
  run("CREATE TABLE audit_copy (body TEXT)");
  run("CREATE TRIGGER notes_log AFTER INSERT ON notes BEGIN INSERT INTO audit_copy VALUES (new.body); END");
  run("CREATE VIEW note_bodies AS SELECT body FROM notes");
  run("CREATE VIRTUAL TABLE notes_search USING fts5(body)");
  run("INSERT INTO notes (body) VALUES ('one'), ('two') RETURNING id");
  EXPECT_EQ(run("SELECT count(*) FROM audit_copy"), "2|");
  EXPECT_EQ(run("SELECT group_concat(body) FROM note_bodies"), "one,two|");
  run("INSERT INTO notes_search (body) VALUES ('full text')");
  EXPECT_EQ(run("SELECT body FROM notes_search WHERE notes_search MATCH 'text'"), "full text|");
  EXPECT_EQ(run("SELECT name FROM pragma_table_info('notes') ORDER BY cid"), "id|body|slug|");
  EXPECT_NE(run("SELECT name FROM sqlite_master WHERE name = '_hbf_users'"), "");
  run("PRAGMA foreign_keys = ON");
  EXPECT_EQ(run("PRAGMA journal_mode"), "wal|");
  // Documents are the app's own: scripts read, write and search them, and
  // the schema's triggers (full-text index, code version) still run.
  auto version_before = db_->QueryValue("SELECT value FROM _hbf_config WHERE key = 'code_version'");
  run("UPDATE documents SET content = 'export default 2' WHERE path = '_system/router.js'");
  auto version_after = db_->QueryValue("SELECT value FROM _hbf_config WHERE key = 'code_version'");
  ASSERT_TRUE(version_before.ok() && version_after.ok());
  EXPECT_NE(std::get<std::string>(**version_before), std::get<std::string>(**version_after));
  EXPECT_EQ(run("SELECT path FROM documents_fts WHERE documents_fts MATCH 'export'"), "_system/router.js|");
  run("INSERT INTO documents (path, content_type, content, is_text, size, etag) VALUES "
      "('notes/a.txt', 'text/plain', 'searchable words', 1, 16, 'e2')");
  EXPECT_EQ(run("SELECT path FROM documents_fts WHERE documents_fts MATCH 'searchable'"), "notes/a.txt|");
  run("DELETE FROM documents WHERE path = 'notes/a.txt'");
  run("BEGIN");
  run("INSERT INTO notes (body) VALUES ('three')");
  run("ROLLBACK");
}

TEST_F(SealedSchemaTest, OneStatementCannotBuildAHugeValue) {
  bool failed = false;
  // printf gives NULL rather than an error once its output outgrows the
  // limit; either way nothing near 400 MB is built.
  std::string out = RunAsScript("SELECT length(printf('%.*c', 400000000, 'x'))", &failed);
  EXPECT_TRUE(failed || out == "|") << out;
  out = RunAsScript("SELECT length(group_concat(hex(randomblob(1000000)))) FROM "
                    "(WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 40) SELECT n FROM r)",
                    &failed);
  EXPECT_TRUE(failed) << out;
  out = RunAsScript("SELECT length(zeroblob(250000000))", &failed);
  EXPECT_TRUE(failed) << out;
  out = RunAsScript("SELECT length(replace(hex(zeroblob(10000000)), '0', '00000'))", &failed);
  EXPECT_TRUE(failed) << out;
  EXPECT_EQ(RunAsScript("SELECT length(zeroblob(1000000))", &failed), "1000000|");
}

TEST_F(SealedSchemaTest, AStorageQuotaStopsWritesWith507) {
  ASSERT_TRUE(db_->SetMaxSize(2 << 20).ok());
  db::Database::ScriptScope scope(*db_);
  Status last = Ok{};
  for (int i = 0; i < 100 && last.ok(); ++i) {
    auto stmt = db_->Prepare("INSERT INTO posts (title) VALUES (hex(randomblob(100000)))");
    ASSERT_TRUE(stmt.ok());
    last = stmt->Run();
  }
  ASSERT_FALSE(last.ok());
  EXPECT_EQ(last.error().code, "quota_exceeded");
  EXPECT_EQ(last.error().http_status, 507);
  auto size = db_->SizeBytes();
  ASSERT_TRUE(size.ok());
  EXPECT_LE(*size, 2 << 20);
}

TEST_F(SealedSchemaTest, TheHostNeverRunsAForeignTriggerWithItsRights) {
  // A trigger that reaches a sealed table and is not one of the schema's own
  // (say, left in a file from before sealing) is refused to the host too:
  // HBF's writes never run someone else's SQL with HBF's rights.
  ASSERT_TRUE(db_->Exec("CREATE TABLE loot (v)").ok());
  ASSERT_TRUE(db_->Exec("CREATE TRIGGER legacy AFTER INSERT ON posts BEGIN "
                        "INSERT INTO loot SELECT secret FROM _hbf_signing_keys; END")
                  .ok());
  auto s = db_->Exec("INSERT INTO posts (title) VALUES ('host write')");
  EXPECT_FALSE(s.ok());
  auto n = db_->QueryValue("SELECT count(*) FROM loot");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::get<int64_t>(**n), 0);
  // The host's own statements work as before.
  auto keys = db_->QueryValue("SELECT secret FROM _hbf_signing_keys");
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(std::get<std::string>(**keys), "SIGNING-SECRET");
}

}  // namespace
}  // namespace hbf
