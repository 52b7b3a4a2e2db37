// Specification of the henv schema (src/henv/schema): what Migrate creates,
// how versions advance, and that the full-text index is exact.
#include "henv/schema.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/json.h"
#include "storage_test_util.h"

namespace hbf {
namespace {

using testing_storage::ColumnSet;
using testing_storage::ColumnTexts;
using testing_storage::Describe;
using testing_storage::IsError;
using testing_storage::ReadFileBytes;
using testing_storage::ScalarInt;
using testing_storage::ScalarText;
using testing_storage::TempDir;

db::Database OpenOrDie(const std::string& path) {
  auto r = db::Database::Open(path);
  if (!r.ok()) {
    ADD_FAILURE() << "cannot open " << path << ": " << Describe(r);
    std::abort();
  }
  return std::move(r).value();
}

std::set<std::string> Names(db::Database& db, const std::string& type) {
  return ColumnSet(db, "SELECT name FROM sqlite_master WHERE type = ?", {type});
}

// Everything that describes the file's content, for before/after comparisons.
std::vector<std::string> Snapshot(db::Database& db) {
  std::vector<std::string> out = ColumnTexts(db, "SELECT type || ' ' || name || ' ' || COALESCE(sql, '') "
                                                 "FROM sqlite_master ORDER BY type, name");
  for (const auto& row : ColumnTexts(db, "SELECT version || ' ' || COALESCE(description, '') "
                                         "FROM _hbf_schema_version ORDER BY version")) {
    out.push_back("version " + row);
  }
  for (const auto& row : ColumnTexts(db, "SELECT key || '=' || value FROM _hbf_config ORDER BY key")) {
    out.push_back("config " + row);
  }
  return out;
}

// "1", "2", ... up to the latest version: one row per applied migration.
std::vector<std::string> AllVersions() {
  std::vector<std::string> v;
  for (int i = 1; i <= kLatestSchemaVersion; ++i) v.push_back(std::to_string(i));
  return v;
}

class SchemaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto r = db::Database::Open(":memory:");
    ASSERT_TRUE(r.ok()) << Describe(r);
    db_.emplace(std::move(r).value());
  }
  db::Database& db() { return *db_; }

  void MigrateOrFail() {
    auto s = Migrate(db());
    ASSERT_TRUE(s.ok()) << Describe(s);
  }

  int64_t InsertNode(const Json& body, const std::string& type = "doc") {
    auto stmt = db().Prepare("INSERT INTO nodes (type, body) VALUES (?, ?)");
    EXPECT_TRUE(stmt.ok()) << Describe(stmt);
    stmt->Bind(1, type).Bind(2, body.dump());
    auto s = stmt->Run();
    EXPECT_TRUE(s.ok()) << Describe(s);
    return db().LastInsertRowId();
  }

  void SetBody(int64_t id, const Json& body) {
    auto stmt = db().Prepare("UPDATE nodes SET body = ? WHERE id = ?");
    ASSERT_TRUE(stmt.ok()) << Describe(stmt);
    stmt->Bind(1, body.dump()).Bind(2, id);
    auto s = stmt->Run();
    ASSERT_TRUE(s.ok()) << Describe(s);
  }

  void DeleteNode(int64_t id) {
    auto stmt = db().Prepare("DELETE FROM nodes WHERE id = ?");
    ASSERT_TRUE(stmt.ok());
    stmt->Bind(1, id);
    ASSERT_TRUE(stmt->Run().ok());
  }

  // Node ids matching an FTS5 query, in rank order.
  std::vector<int64_t> Search(const std::string& query) {
    std::vector<int64_t> ids;
    auto stmt = db().Prepare("SELECT rowid FROM nodes_fts WHERE nodes_fts MATCH ? ORDER BY rank");
    EXPECT_TRUE(stmt.ok()) << Describe(stmt);
    if (!stmt.ok()) return ids;
    stmt->Bind(1, query);
    for (;;) {
      auto row = stmt->Step();
      EXPECT_TRUE(row.ok()) << query << ": " << Describe(row);
      if (!row.ok() || !*row) break;
      ids.push_back(stmt->Int(0));
    }
    return ids;
  }
  std::set<int64_t> SearchSet(const std::string& query) {
    auto v = Search(query);
    return std::set<int64_t>(v.begin(), v.end());
  }

  std::optional<db::Database> db_;
};

// ------------------------------------------------------------ what it makes

TEST_F(SchemaTest, AnEmptyDatabaseIsVersionZero) {
  auto v = SchemaVersion(db());
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, 0);
}

TEST_F(SchemaTest, MigrateCreatesEveryTable) {
  MigrateOrFail();
  auto tables = Names(db(), "table");
  for (const char* name : {"nodes", "edges", "tags", "_hbf_users", "_hbf_sessions", "_hbf_table_permissions",
                           "_hbf_row_policies", "_hbf_config", "_hbf_audit_log", "_hbf_schema_version",
                           "_hbf_signing_keys", "nodes_fts"}) {
    EXPECT_EQ(tables.count(name), 1u) << "missing table " << name;
  }
}

TEST_F(SchemaTest, MigrateCreatesTheSpecIndexes) {
  MigrateOrFail();
  auto indexes = Names(db(), "index");
  for (const char* name :
       {"idx_nodes_type", "idx_nodes_name", "idx_nodes_created", "idx_edges_src", "idx_edges_dst", "idx_edges_rel",
        "idx_edges_src_rel", "idx_tags_tag", "idx_tags_node", "idx_tags_parent", "idx_tags_parent_order",
        "idx_hbf_users_username", "idx_hbf_users_role", "idx_hbf_sessions_user", "idx_hbf_sessions_token",
        "idx_hbf_sessions_expires", "idx_hbf_perms_user_table", "idx_hbf_policies_table", "idx_hbf_policies_name",
        "idx_hbf_audit_user", "idx_hbf_audit_created", "idx_hbf_audit_action"}) {
    EXPECT_EQ(indexes.count(name), 1u) << "missing index " << name;
  }
}

TEST_F(SchemaTest, PermissionAndPolicyIndexesAreUnique) {
  MigrateOrFail();
  ASSERT_TRUE(db().Exec("INSERT INTO _hbf_users (username, password_hash) VALUES ('u', 'h')").ok());
  ASSERT_TRUE(db().Exec("INSERT INTO _hbf_table_permissions (user_id, table_name) VALUES (1, 'nodes')").ok());
  EXPECT_TRUE(IsError(db().Exec("INSERT INTO _hbf_table_permissions (user_id, table_name) VALUES (1, 'nodes')"),
                      "constraint", 409));
  ASSERT_TRUE(db().Exec("INSERT INTO _hbf_row_policies (table_name, policy_name, role, operation, condition) "
                        "VALUES ('nodes', 'p', 'user', 'select', '1')")
                  .ok());
  EXPECT_TRUE(IsError(db().Exec("INSERT INTO _hbf_row_policies (table_name, policy_name, role, operation, condition) "
                                "VALUES ('nodes', 'p', 'admin', 'update', '1')"),
                      "constraint", 409));
}

TEST_F(SchemaTest, MigrateCreatesTheThreeNodesFullTextTriggers) {
  MigrateOrFail();
  auto triggers = Names(db(), "trigger");
  for (const char* name : {"nodes_fts_after_insert", "nodes_fts_after_update", "nodes_fts_after_delete"}) {
    EXPECT_EQ(triggers.count(name), 1u) << "missing trigger " << name;
  }
  EXPECT_EQ(ScalarInt(db(), "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'nodes'"), 3);
}

TEST_F(SchemaTest, MigrateReachesTheLatestVersion) {
  MigrateOrFail();
  auto v = SchemaVersion(db());
  ASSERT_TRUE(v.ok()) << Describe(v);
  EXPECT_EQ(*v, kLatestSchemaVersion);
  EXPECT_EQ(ColumnTexts(db(), "SELECT version FROM _hbf_schema_version ORDER BY version"), AllVersions());
  EXPECT_FALSE(db().InTransaction());
}

TEST_F(SchemaTest, MigrateInsertsTheConfigDefaults) {
  MigrateOrFail();
  auto config = [&](const std::string& key) {
    return ScalarText(db(), "SELECT value FROM _hbf_config WHERE key = ?", {key});
  };
  EXPECT_EQ(config("qjs_mem_mb"), "64");
  EXPECT_EQ(config("qjs_timeout_ms"), "5000");
  EXPECT_EQ(config("session_lifetime_hours"), "168");
  EXPECT_EQ(config("max_upload_size_mb"), "10");
  EXPECT_EQ(config("enable_audit_log"), "true");
  EXPECT_EQ(config("last_activity_ts"), "0");
}

TEST_F(SchemaTest, MigrateTwiceIsIdempotent) {
  MigrateOrFail();
  auto before = Snapshot(db());
  MigrateOrFail();
  EXPECT_EQ(Snapshot(db()), before);
  EXPECT_EQ(ScalarInt(db(), "SELECT count(*) FROM _hbf_schema_version"), kLatestSchemaVersion);
}

// ---------------------------------------------------------------- versions

TEST_F(SchemaTest, MigrateToVersionOneStopsThere) {
  auto s = Migrate(db(), 1);
  ASSERT_TRUE(s.ok()) << Describe(s);
  auto v = SchemaVersion(db());
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, 1);
  EXPECT_EQ(Names(db(), "table").count("_hbf_signing_keys"), 0u);
  EXPECT_EQ(ScalarInt(db(), "SELECT count(*) FROM _hbf_config WHERE key = 'last_activity_ts'"), 0);
}

TEST_F(SchemaTest, AVersionOneFileUpgradesToTheLatestKeepingItsData) {
  ASSERT_TRUE(Migrate(db(), 1).ok());
  int64_t id = InsertNode(Json::MakeObject({{"name", "old"}, {"content", "written by version one"}}));
  MigrateOrFail();
  auto v = SchemaVersion(db());
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, kLatestSchemaVersion);
  EXPECT_EQ(Names(db(), "table").count("_hbf_signing_keys"), 1u);
  auto versions = ColumnTexts(db(), "SELECT version FROM _hbf_schema_version ORDER BY version");
  ASSERT_GE(versions.size(), 2u);
  EXPECT_EQ(versions[0], "1");
  EXPECT_EQ(versions[1], "2");
  EXPECT_EQ(versions, AllVersions());
  EXPECT_EQ(ScalarText(db(), "SELECT value FROM _hbf_config WHERE key = 'last_activity_ts'"), "0");
  EXPECT_EQ(Search("written"), (std::vector<int64_t>{id}));
}

TEST(SchemaFileTest, AFileFromANewerBinaryIsRefusedAndLeftUntouched) {
  TempDir dir;
  const std::string path = dir.File("future.db");
  {
    db::Database db = OpenOrDie(path);
    ASSERT_TRUE(Migrate(db).ok());
    ASSERT_TRUE(db.Exec("INSERT INTO _hbf_schema_version (version, description) VALUES (99, 'from the future')").ok());
  }
  const std::string bytes_before = ReadFileBytes(path);
  ASSERT_FALSE(bytes_before.empty());
  std::vector<std::string> before;
  {
    db::Database db = OpenOrDie(path);
    before = Snapshot(db);
    auto v = SchemaVersion(db);
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(*v, 99);
    EXPECT_TRUE(IsError(Migrate(db), "schema_too_new", 409));
    EXPECT_TRUE(IsError(Migrate(db, 1), "schema_too_new", 409));
    EXPECT_FALSE(db.InTransaction());
  }
  EXPECT_EQ(ReadFileBytes(path), bytes_before) << "the refused file was modified";
  db::Database db = OpenOrDie(path);
  EXPECT_EQ(Snapshot(db), before);
}

TEST(SchemaFileTest, MigratingAnUpToDateFileDoesNotWaitForWriters) {
  TempDir dir;
  const std::string path = dir.File("busy.db");
  db::Database first = OpenOrDie(path);
  ASSERT_TRUE(Migrate(first).ok());
  ASSERT_TRUE(first.Exec("BEGIN IMMEDIATE").ok());  // another connection is writing
  db::Database::Options quick;
  quick.busy_timeout_ms = 50;
  auto second = db::Database::Open(path, quick);
  ASSERT_TRUE(second.ok()) << Describe(second);
  auto s = Migrate(*second);
  EXPECT_TRUE(s.ok()) << "nothing to migrate, yet: " << Describe(s);
  auto v = SchemaVersion(*second);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, kLatestSchemaVersion);
  ASSERT_TRUE(first.Exec("ROLLBACK").ok());
}

TEST_F(SchemaTest, AFailedMigrationLeavesThePreviousVersionIntact) {
  ASSERT_TRUE(Migrate(db(), 1).ok());
  // Something in the way of migration 2 makes it fail half-way.
  ASSERT_TRUE(db().Exec("CREATE TABLE _hbf_signing_keys (x)").ok());
  auto before = Snapshot(db());
  auto s = Migrate(db());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "migration_failed");
  EXPECT_FALSE(db().InTransaction());
  auto v = SchemaVersion(db());
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, 1);
  EXPECT_EQ(Snapshot(db()), before);
}

// -------------------------------------------------------------- integrity

TEST_F(SchemaTest, AnEdgeToAMissingNodeIsRefused) {
  MigrateOrFail();
  int64_t a = InsertNode(Json::MakeObject({{"name", "a"}}));
  auto stmt = db().Prepare("INSERT INTO edges (src, dst, rel) VALUES (?, ?, 'links')");
  ASSERT_TRUE(stmt.ok());
  stmt->Bind(1, a).Bind(2, a + 1000);
  EXPECT_TRUE(IsError(stmt->Run(), "constraint", 409));
  EXPECT_TRUE(IsError(db().Exec("INSERT INTO tags (tag, node_id) VALUES ('t', 9999)"), "constraint", 409));
  EXPECT_EQ(ScalarInt(db(), "SELECT count(*) FROM edges"), 0);
}

TEST_F(SchemaTest, DeletingANodeCascadesToItsEdgesAndTags) {
  MigrateOrFail();
  int64_t a = InsertNode(Json::MakeObject({{"name", "a"}}));
  int64_t b = InsertNode(Json::MakeObject({{"name", "b"}}));
  int64_t c = InsertNode(Json::MakeObject({{"name", "c"}}));
  auto edge = [&](int64_t src, int64_t dst) {
    auto stmt = db().Prepare("INSERT INTO edges (src, dst, rel) VALUES (?, ?, 'rel')");
    ASSERT_TRUE(stmt.ok());
    stmt->Bind(1, src).Bind(2, dst);
    ASSERT_TRUE(stmt->Run().ok());
  };
  edge(a, b);  // a is the source
  edge(c, a);  // a is the destination
  edge(b, c);  // does not involve a
  auto tag = [&](int64_t node, std::optional<int64_t> parent) {
    auto stmt = db().Prepare("INSERT INTO tags (tag, node_id, parent_tag_id) VALUES ('t', ?, ?)");
    EXPECT_TRUE(stmt.ok());
    stmt->Bind(1, node).Bind(2, parent ? db::Value(*parent) : db::Value(db::Null{}));
    EXPECT_TRUE(stmt->Run().ok());
    return db().LastInsertRowId();
  };
  int64_t tag_a = tag(a, std::nullopt);
  tag(b, tag_a);  // child of a's tag
  int64_t tag_c = tag(c, std::nullopt);

  DeleteNode(a);
  EXPECT_EQ(ColumnTexts(db(), "SELECT src || '->' || dst FROM edges"),
            (std::vector<std::string>{std::to_string(b) + "->" + std::to_string(c)}));
  EXPECT_EQ(ColumnTexts(db(), "SELECT id FROM tags"), (std::vector<std::string>{std::to_string(tag_c)}));
}

// Refused as the client's fault. (SQLite computes the indexed generated
// column `name` with json_extract before it evaluates the CHECK, so the
// refusal is "malformed JSON", a sql_error, rather than a constraint error.)
::testing::AssertionResult IsClientError(const Status& s) {
  if (s.ok()) return ::testing::AssertionFailure() << "the statement succeeded";
  if (s.error().http_status != 400 && s.error().http_status != 409) {
    return ::testing::AssertionFailure() << "not a client error: " << Describe(s);
  }
  return ::testing::AssertionSuccess();
}

TEST_F(SchemaTest, NodeBodyMustBeValidJson) {
  MigrateOrFail();
  EXPECT_TRUE(IsClientError(db().Exec("INSERT INTO nodes (type, body) VALUES ('doc', 'not json')")));
  EXPECT_TRUE(IsClientError(db().Exec("INSERT INTO nodes (type, body) VALUES ('doc', '')")));
  int64_t id = InsertNode(Json::MakeObject({{"name", "n"}, {"content", "valid"}}));
  auto stmt = db().Prepare("UPDATE nodes SET body = '{\"content\": broken' WHERE id = ?");
  ASSERT_TRUE(stmt.ok());
  stmt->Bind(1, id);
  EXPECT_TRUE(IsClientError(stmt->Run()));
  EXPECT_EQ(ScalarInt(db(), "SELECT count(*) FROM nodes"), 1);
  EXPECT_EQ(Search("valid"), (std::vector<int64_t>{id}));
}

TEST_F(SchemaTest, NameAndVersionAreDerivedFromTheBody) {
  MigrateOrFail();
  int64_t id = InsertNode(Json::MakeObject({{"name", "widget"}, {"version", "1.2.0"}}));
  EXPECT_EQ(ScalarText(db(), "SELECT name FROM nodes WHERE id = ?", {id}), "widget");
  EXPECT_EQ(ScalarText(db(), "SELECT version FROM nodes WHERE id = ?", {id}), "1.2.0");
  SetBody(id, Json::MakeObject({{"name", "gadget"}}));
  EXPECT_EQ(ScalarText(db(), "SELECT name FROM nodes WHERE id = ?", {id}), "gadget");
  EXPECT_EQ(ScalarInt(db(), "SELECT version IS NULL FROM nodes WHERE id = ?", {id}), 1);
}

TEST_F(SchemaTest, UserRoleIsConstrained) {
  MigrateOrFail();
  EXPECT_TRUE(IsError(db().Exec("INSERT INTO _hbf_users (username, password_hash, role) VALUES ('x', 'h', 'root')"),
                      "constraint", 409));
  ASSERT_TRUE(db().Exec("INSERT INTO _hbf_users (username, password_hash) VALUES ('x', 'h')").ok());
  EXPECT_EQ(ScalarText(db(), "SELECT role FROM _hbf_users WHERE username = 'x'"), "user");
  EXPECT_TRUE(IsError(db().Exec("INSERT INTO _hbf_users (username, password_hash) VALUES ('x', 'h2')"), "constraint",
                      409));
}

// ---------------------------------------------------------- full-text index

TEST_F(SchemaTest, FullTextFindsInsertedNodesByContentAndName) {
  MigrateOrFail();
  int64_t a = InsertNode(Json::MakeObject({{"name", "alpha"}, {"content", "the quick brown fox"}}));
  int64_t b = InsertNode(Json::MakeObject({{"name", "beta"}, {"content", "a lazy dog"}}));
  EXPECT_EQ(Search("fox"), (std::vector<int64_t>{a}));
  EXPECT_EQ(Search("dog"), (std::vector<int64_t>{b}));
  EXPECT_EQ(Search("beta"), (std::vector<int64_t>{b}));
  EXPECT_EQ(Search("name : alpha"), (std::vector<int64_t>{a}));
  EXPECT_TRUE(Search("content : alpha").empty());
  EXPECT_TRUE(Search("cat").empty());
}

TEST_F(SchemaTest, FullTextForgetsOldWordsAfterAnUpdate) {
  MigrateOrFail();
  int64_t id = InsertNode(Json::MakeObject({{"name", "note"}, {"content", "original words here"}}));
  int64_t other = InsertNode(Json::MakeObject({{"name", "other"}, {"content", "original too"}}));
  SetBody(id, Json::MakeObject({{"name", "note"}, {"content", "replacement text"}}));
  EXPECT_EQ(Search("words"), (std::vector<int64_t>{}));
  EXPECT_EQ(Search("original"), (std::vector<int64_t>{other}));
  EXPECT_EQ(Search("replacement"), (std::vector<int64_t>{id}));
  EXPECT_EQ(Search("note"), (std::vector<int64_t>{id}));
}

TEST_F(SchemaTest, FullTextFollowsAChangedName) {
  MigrateOrFail();
  int64_t id = InsertNode(Json::MakeObject({{"name", "before"}, {"content", "body"}}));
  SetBody(id, Json::MakeObject({{"name", "after"}, {"content", "body"}}));
  EXPECT_TRUE(Search("before").empty());
  EXPECT_EQ(Search("after"), (std::vector<int64_t>{id}));
}

TEST_F(SchemaTest, FullTextUnaffectedByUpdatesOfOtherColumns) {
  MigrateOrFail();
  int64_t id = InsertNode(Json::MakeObject({{"name", "n"}, {"content", "stable words"}}));
  auto stmt = db().Prepare("UPDATE nodes SET type = 'other', modified_at = 5 WHERE id = ?");
  ASSERT_TRUE(stmt.ok());
  stmt->Bind(1, id);
  ASSERT_TRUE(stmt->Run().ok());
  EXPECT_EQ(Search("stable"), (std::vector<int64_t>{id}));
  EXPECT_EQ(ScalarInt(db(), "SELECT count(*) FROM nodes_fts"), 1);
}

TEST_F(SchemaTest, FullTextForgetsDeletedNodes) {
  MigrateOrFail();
  int64_t id = InsertNode(Json::MakeObject({{"name", "gone"}, {"content", "ephemeral content"}}));
  DeleteNode(id);
  EXPECT_TRUE(Search("ephemeral").empty());
  EXPECT_TRUE(Search("gone").empty());
  EXPECT_EQ(ScalarInt(db(), "SELECT count(*) FROM nodes_fts"), 0);
}

TEST_F(SchemaTest, FullTextUsesPorterStemming) {
  MigrateOrFail();
  int64_t id = InsertNode(Json::MakeObject({{"name", "log"}, {"content", "She was running quickly"}}));
  EXPECT_EQ(Search("run"), (std::vector<int64_t>{id}));
  EXPECT_EQ(Search("runs"), (std::vector<int64_t>{id}));
  EXPECT_EQ(Search("RUNNING"), (std::vector<int64_t>{id}));
}

TEST_F(SchemaTest, FullTextRanksTheBetterMatchFirst) {
  MigrateOrFail();
  int64_t weak = InsertNode(Json::MakeObject(
      {{"name", "w"}, {"content", "rocket plus many unrelated filler words about gardens and lakes and hills"}}));
  int64_t strong = InsertNode(Json::MakeObject({{"name", "s"}, {"content", "rocket rocket rocket"}}));
  EXPECT_EQ(Search("rocket"), (std::vector<int64_t>{strong, weak}));
}

TEST_F(SchemaTest, FullTextHandlesBodiesWithoutNameOrContent) {
  MigrateOrFail();
  int64_t bare = InsertNode(Json::MakeObject({{"other", "field"}}));
  int64_t id = InsertNode(Json::MakeObject({{"content", "only content"}}));
  EXPECT_EQ(Search("only"), (std::vector<int64_t>{id}));
  EXPECT_TRUE(Search("field").empty());
  SetBody(bare, Json::MakeObject({{"content", "now searchable"}}));
  EXPECT_EQ(Search("searchable"), (std::vector<int64_t>{bare}));
}

TEST_F(SchemaTest, FullTextFollowsReplaceAndUpsert) {
  MigrateOrFail();
  int64_t id = InsertNode(Json::MakeObject({{"name", "n"}, {"content", "apple"}}));
  auto replace = db().Prepare("REPLACE INTO nodes (id, type, body) VALUES (?, 'doc', ?)");
  ASSERT_TRUE(replace.ok());
  replace->Bind(1, id).Bind(2, Json::MakeObject({{"content", "banana"}}).dump());
  auto s = replace->Run();
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_TRUE(Search("apple").empty());
  EXPECT_EQ(Search("banana"), (std::vector<int64_t>{id}));
  replace = db::Statement();

  auto upsert = db().Prepare(
      "INSERT INTO nodes (id, type, body) VALUES (?, 'doc', ?) ON CONFLICT(id) DO UPDATE SET body = excluded.body");
  ASSERT_TRUE(upsert.ok());
  upsert->Bind(1, id).Bind(2, Json::MakeObject({{"content", "cherry"}}).dump());
  s = upsert->Run();
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_TRUE(Search("banana").empty());
  EXPECT_EQ(Search("cherry"), (std::vector<int64_t>{id}));
  EXPECT_EQ(ScalarInt(db(), "SELECT count(*) FROM nodes_fts"), 1);
}

TEST_F(SchemaTest, FullTextFollowsAChangedId) {
  MigrateOrFail();
  int64_t id = InsertNode(Json::MakeObject({{"content", "moving"}}));
  auto stmt = db().Prepare("UPDATE nodes SET id = ? WHERE id = ?");
  ASSERT_TRUE(stmt.ok());
  stmt->Bind(1, id + 100).Bind(2, id);
  ASSERT_TRUE(stmt->Run().ok());
  EXPECT_EQ(Search("moving"), (std::vector<int64_t>{id + 100}));
  EXPECT_EQ(ScalarInt(db(), "SELECT count(*) FROM nodes_fts"), 1);
}

// The words of `text` as FTS5's unicode61 tokenizer sees them (ASCII only
// here): maximal runs of letters and digits, lower-cased.
std::set<std::string> Words(const std::optional<std::string>& text) {
  std::set<std::string> words;
  if (!text) return words;
  std::string current;
  for (char c : *text + " ") {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      current.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    } else if (!current.empty()) {
      words.insert(current);
      current.clear();
    }
  }
  return words;
}

TEST_F(SchemaTest, FullTextMatchesABruteForceScanAfterRandomChanges) {
  MigrateOrFail();
  // Words whose Porter stems are all distinct, so a match means the word.
  const std::vector<std::string> vocabulary = {"apple", "banana", "cherry", "delta", "echo",   "falcon",
                                               "garnet", "harbor", "indigo", "jasper", "kettle", "lemon"};
  struct Doc {
    std::optional<std::string> name;
    std::optional<std::string> content;
  };
  std::map<int64_t, Doc> model;
  std::mt19937 rng(20240611);
  auto pick = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };
  auto random_text = [&]() -> std::optional<std::string> {
    size_t n = pick(6);  // 0..5 words
    if (n == 0 && pick(2) == 0) return std::nullopt;
    std::string text;
    for (size_t i = 0; i < n; ++i) {
      std::string word = vocabulary[pick(vocabulary.size())];
      if (pick(4) == 0) word[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(word[0])));
      text += word;
      text += pick(3) == 0 ? ", " : " ";
    }
    return text;
  };
  auto random_doc = [&]() {
    Doc d;
    if (pick(3) != 0) d.name = vocabulary[pick(vocabulary.size())];
    d.content = random_text();
    return d;
  };
  auto body_of = [](const Doc& d) {
    Json body = Json::MakeObject({{"kind", "random"}});
    if (d.name) body.set("name", *d.name);
    if (d.content) body.set("content", *d.content);
    return body;
  };
  auto random_id = [&]() {
    auto it = model.begin();
    std::advance(it, static_cast<std::ptrdiff_t>(pick(model.size())));
    return it->first;
  };

  auto check = [&](const std::string& when) {
    ASSERT_EQ(ScalarInt(db(), "SELECT count(*) FROM nodes_fts"), static_cast<int64_t>(model.size())) << when;
    for (const auto& word : vocabulary) {
      std::set<int64_t> any, in_name, in_content;
      for (const auto& [id, doc] : model) {
        bool n = Words(doc.name).count(word) != 0;
        bool c = Words(doc.content).count(word) != 0;
        if (n) in_name.insert(id);
        if (c) in_content.insert(id);
        if (n || c) any.insert(id);
      }
      ASSERT_EQ(SearchSet("\"" + word + "\""), any) << word << " " << when;
      ASSERT_EQ(SearchSet("name : \"" + word + "\""), in_name) << word << " " << when;
      ASSERT_EQ(SearchSet("content : \"" + word + "\""), in_content) << word << " " << when;
    }
  };

  int inserts = 0, updates = 0, deletes = 0, replaces = 0;
  for (int step = 0; step < 300; ++step) {
    size_t op = model.empty() ? 0 : pick(20);
    if (op < 8) {  // insert
      Doc d = random_doc();
      int64_t id = InsertNode(body_of(d));
      model[id] = d;
      ++inserts;
    } else if (op < 13) {  // update the whole body
      int64_t id = random_id();
      Doc d = random_doc();
      SetBody(id, body_of(d));
      model[id] = d;
      ++updates;
    } else if (op < 15) {  // update the content only, in SQL
      int64_t id = random_id();
      auto text = random_text();
      auto stmt = db().Prepare("UPDATE nodes SET body = json_set(body, '$.content', ?) WHERE id = ?");
      ASSERT_TRUE(stmt.ok()) << Describe(stmt);
      stmt->Bind(1, text ? db::Value(*text) : db::Value(db::Null{})).Bind(2, id);
      ASSERT_TRUE(stmt->Run().ok());
      // json_set with SQL NULL stores a JSON null: json_extract gives NULL back.
      model[id].content = text;
      ++updates;
    } else if (op < 17) {  // REPLACE or UPSERT of an existing row
      int64_t id = random_id();
      Doc d = random_doc();
      auto stmt = db().Prepare(op == 15 ? "REPLACE INTO nodes (id, type, body) VALUES (?, 'doc', ?)"
                                        : "INSERT INTO nodes (id, type, body) VALUES (?, 'doc', ?) "
                                          "ON CONFLICT(id) DO UPDATE SET body = excluded.body");
      ASSERT_TRUE(stmt.ok()) << Describe(stmt);
      stmt->Bind(1, id).Bind(2, body_of(d).dump());
      auto s = stmt->Run();
      ASSERT_TRUE(s.ok()) << Describe(s);
      model[id] = d;
      ++replaces;
    } else {  // delete
      int64_t id = random_id();
      DeleteNode(id);
      model.erase(id);
      ++deletes;
    }
    if (step % 50 == 49) {
      check("after step " + std::to_string(step));
      if (HasFatalFailure()) return;
    }
  }
  ASSERT_GT(inserts, 50);
  ASSERT_GT(updates, 50);
  ASSERT_GT(deletes, 10);
  ASSERT_GT(replaces, 10);
  ASSERT_FALSE(model.empty());
  check("at the end");
  auto s = db().Exec("INSERT INTO nodes_fts(nodes_fts) VALUES('integrity-check')");
  EXPECT_TRUE(s.ok()) << Describe(s);
}

}  // namespace
}  // namespace hbf
