// Black-box tests of the records API under table permissions and row
// policies (issue #12): what a limited user can read and change, the admin
// endpoints that set it up, and a corpus of hostile requests that must
// never return or change a row outside the policy.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "henv_fixture.h"

namespace hbf::test {
namespace {

std::string ErrorCode(const HttpReply& reply) { return reply.error_code(); }

std::string UrlEncode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

class RecordsTest : public OneHenvTest {
 protected:
  void SetUp() override {
    OneHenvTest::SetUp();
    // The app's schema, made by its own code.
    Put("_system/router.js", R"js(
import { Router } from "hbf:router";
import db from "hbf:db";
db.execute("CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, owner TEXT NOT NULL, body TEXT, secret TEXT)");
db.execute("CREATE TABLE IF NOT EXISTS ledger (id INTEGER PRIMARY KEY, amount INTEGER)");
db.execute("CREATE TABLE IF NOT EXISTS tags_of_notes (id INTEGER PRIMARY KEY, tag TEXT)");
const router = new Router();
router.get("/ready", (req, res) => res.send("ready"));
// Runs the SQL it is given through req.db, as the caller (tests only).
router.post("/sql", (req, res) => {
  try {
    const fn = req.body.mode === "execute" ? "execute" : "query";
    res.json({ ok: req.db[fn](req.body.sql, req.body.params ?? []) });
  } catch (e) {
    res.status(400).json({ refused: String(e.message) });
  }
});
router.get("/trusted", (req, res) => res.json(db.query("SELECT count(*) AS n FROM notes")));
export default router;
)js");
    ASSERT_EQ(Get("/ready").body, "ready");
    alice_ = AddUser("alice");
    bob_ = AddUser("bob");
    // Rows of both users, written by the owner (full access).
    for (const char* who : {"alice", "bob"}) {
      for (int i = 0; i < 3; ++i) {
        auto r = Api("POST", "/_api/data/notes",
                     Json::MakeObject({{"owner", who}, {"body", std::string(who) + " note " + std::to_string(i)},
                                       {"secret", std::string(who) + "-secret-" + std::to_string(i)}})
                         .dump());
        ASSERT_EQ(r.status, 201) << r.body;
      }
    }
    ASSERT_EQ(Api("POST", "/_api/data/ledger", R"({"amount": 100})").status, 201);
    // Plain users may use notes, only their own rows.
    auto grant = Api("POST", "/_api/permissions",
                     R"({"role":"user","table":"notes","select":true,"insert":true,"update":true,"delete":true})");
    ASSERT_EQ(grant.status, 200) << grant.body;
    auto policy = Api("POST", "/_api/policies",
                      R"({"table":"notes","name":"own rows","role":"user","operation":"all",
                          "condition":"owner = $username"})");
    ASSERT_EQ(policy.status, 201) << policy.body;
  }

  std::string AddUser(const std::string& name) { return AddUserAndLogin(port(), host_, token_, name); }

  HttpReply As(const std::string& token, const std::string& method, const std::string& path,
               const std::string& body = {}) {
    std::vector<std::pair<std::string, std::string>> headers;
    if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
    if (!body.empty()) headers.emplace_back("Content-Type", "application/json");
    return Fetch(port(), {method, path, host_, std::move(headers), body});
  }

  std::string alice_;
  std::string bob_;
};

TEST_F(RecordsTest, ALimitedUserSeesAndChangesOnlyItsOwnRows) {
  auto list = As(alice_, "GET", "/_api/data/notes");
  ASSERT_EQ(list.status, 200) << list.body;
  auto items = list.json().find("items")->as_array();
  ASSERT_EQ(items.size(), 3u);
  for (const Json& row : items) EXPECT_EQ(row.find("owner")->as_string(), "alice");
  // Bob's rows (ids 4..6) do not exist for alice.
  EXPECT_EQ(As(alice_, "GET", "/_api/data/notes/4").status, 404);
  EXPECT_EQ(As(alice_, "PATCH", "/_api/data/notes/4", R"({"body":"hijacked"})").status, 404);
  EXPECT_EQ(As(alice_, "DELETE", "/_api/data/notes/5").status, 404);
  // Her own: read, change, delete.
  auto one = As(alice_, "GET", "/_api/data/notes/1?fields=id,body");
  EXPECT_EQ(one.body, R"({"id":1,"body":"alice note 0"})");
  EXPECT_EQ(As(alice_, "PATCH", "/_api/data/notes/1", R"({"body":"edited"})").json().find("body")->as_string(),
            "edited");
  EXPECT_EQ(As(alice_, "DELETE", "/_api/data/notes/2").status, 200);
  // Writing a row out of her reach is refused (the policy's check).
  auto forged = As(alice_, "POST", "/_api/data/notes", R"({"owner":"bob","body":"from alice"})");
  EXPECT_EQ(forged.status, 403) << forged.body;
  EXPECT_EQ(ErrorCode(forged), "permission_denied");
  auto moved = As(alice_, "PATCH", "/_api/data/notes/1", R"({"owner":"bob"})");
  EXPECT_EQ(moved.status, 403) << moved.body;
  EXPECT_EQ(As(alice_, "GET", "/_api/data/notes/1").json().find("owner")->as_string(), "alice");
  auto created = As(alice_, "POST", "/_api/data/notes", R"({"owner":"alice","body":"new"})");
  EXPECT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.json().find("owner")->as_string(), "alice");
  // Bob's rows are untouched.
  auto bobs = As(bob_, "GET", "/_api/data/notes?sort=id");
  ASSERT_EQ(bobs.json().find("items")->as_array().size(), 3u);
  EXPECT_EQ(bobs.body.find("from alice"), std::string::npos);
}

TEST_F(RecordsTest, TablesNeedAGrantAndSystemTablesAreNotTables) {
  auto denied = As(alice_, "GET", "/_api/data/ledger");
  EXPECT_EQ(denied.status, 403);
  EXPECT_EQ(ErrorCode(denied), "permission_denied");
  EXPECT_NE(denied.body.find("select"), std::string::npos);
  EXPECT_NE(denied.body.find("ledger"), std::string::npos);
  EXPECT_EQ(As(alice_, "POST", "/_api/data/ledger", R"({"amount":1})").status, 403);
  // Anonymous callers: nothing unless the 'anonymous' role is granted.
  EXPECT_EQ(As("", "GET", "/_api/data/notes").status, 403);
  ASSERT_EQ(Api("POST", "/_api/permissions", R"({"role":"anonymous","table":"ledger","select":true})").status, 200);
  EXPECT_EQ(As("", "GET", "/_api/data/ledger").status, 200);
  EXPECT_EQ(As("", "POST", "/_api/data/ledger", R"({"amount":1})").status, 403);
  EXPECT_EQ(As("not-a-token", "GET", "/_api/data/ledger").status, 401) << "a bad token is not anonymity";
  // A per-user grant wins over the role's.
  ASSERT_EQ(Api("POST", "/_api/permissions", R"({"user_id":2,"table":"notes","select":false})").status, 200);
  EXPECT_EQ(As(alice_, "GET", "/_api/data/notes").status, 403);
  EXPECT_EQ(As(bob_, "GET", "/_api/data/notes").status, 200);
  // HBF's tables, the documents and the FTS internals are not records.
  for (const char* table : {"_hbf_users", "_hbf_signing_keys", "sqlite_master", "documents", "documents_fts_data",
                            "nodes", "nope"}) {
    EXPECT_EQ(Api("GET", std::string("/_api/data/") + table).status, 404) << table;
    EXPECT_EQ(Api("POST", "/_api/permissions",
                  Json::MakeObject({{"role", "user"}, {"table", table}, {"select", true}}).dump())
                  .status,
              400)
        << table;
  }
  // The owner and admins have full access.
  EXPECT_EQ(Api("GET", "/_api/data/notes").json().find("items")->as_array().size(), 6u);
  // A table merely named like HBF's structure is the app's own.
  EXPECT_EQ(Api("POST", "/_api/permissions", R"({"role":"user","table":"tags_of_notes","select":true})").status, 200);
  EXPECT_EQ(As(alice_, "GET", "/_api/data/tags_of_notes").status, 200);
}

TEST_F(RecordsTest, PoliciesAreValidatedWhenSaved) {
  auto bad = Api("POST", "/_api/policies",
                 R"({"table":"notes","name":"broken","role":"user","operation":"select","condition":"owner = = 1"})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(ErrorCode(bad), "invalid_condition");
  EXPECT_NE(bad.body.find("syntax error"), std::string::npos) << "SQLite's message: " << bad.body;
  for (const char* condition :
       {"EXISTS (SELECT 1 FROM _hbf_users)", "owner = ?", "owner = :name", "owner = $password", "1); DROP TABLE notes; (",
        "no_such_column = 1", "(SELECT secret FROM _hbf_signing_keys) IS NOT NULL"}) {
    auto r = Api("POST", "/_api/policies",
                 Json::MakeObject({{"table", "notes"}, {"name", "x"}, {"role", "user"}, {"operation", "select"},
                                   {"condition", condition}})
                     .dump());
    EXPECT_EQ(r.status, 400) << condition << ": " << r.body;
  }
  EXPECT_EQ(ErrorCode(Api("POST", "/_api/policies",
                          R"({"table":"_hbf_users","name":"x","role":"user","operation":"select","condition":"1"})")),
            "invalid_field");
  EXPECT_EQ(Api("POST", "/_api/policies",
                R"({"table":"notes","name":"own rows","role":"user","operation":"select","condition":"1"})")
                .status,
            409);
  // A comment cannot swallow what follows the condition.
  auto commented = Api("POST", "/_api/policies",
                       R"({"table":"notes","name":"commented","role":"user","operation":"select",
                           "condition":"owner = $username -- and the rest"})");
  EXPECT_EQ(commented.status, 201) << commented.body;
  auto list = As(alice_, "GET", "/_api/data/notes?filter=" + UrlEncode("body ~ \"note\""));
  EXPECT_EQ(list.json().find("items")->as_array().size(), 3u) << list.body;
  // Update and delete by id; listing.
  auto policies = Api("GET", "/_api/policies?table=notes");
  ASSERT_EQ(policies.json().find("policies")->as_array().size(), 2u);
  int64_t id = policies.json().find("policies")->as_array()[1].find("id")->as_int();
  auto updated = Api("PUT", "/_api/policies/" + std::to_string(id),
                     R"({"table":"notes","name":"commented","role":"user","operation":"select",
                         "condition":"1","enabled":false})");
  EXPECT_EQ(updated.status, 200) << updated.body;
  EXPECT_EQ(Api("DELETE", "/_api/policies/" + std::to_string(id)).status, 200);
  EXPECT_EQ(Api("DELETE", "/_api/policies/" + std::to_string(id)).status, 404);
  EXPECT_EQ(As(alice_, "GET", "/_api/policies").status, 403);
  EXPECT_EQ(As(alice_, "POST", "/_api/permissions", R"({"role":"user","table":"ledger","select":true})").status, 403);
}

// Hostile requests by a limited user: each must fail cleanly (4xx, never a
// 500) or answer only alice's rows, and none may change bob's rows or the
// ledger.
TEST_F(RecordsTest, HostileRequestsNeverReachRowsOutsideThePolicy) {
  const std::vector<std::string> filters = {
      "owner = \"bob\"",
      "owner = \"bob\" || 1 = 1",
      "owner != \"alice\"",
      "1 = 1",
      "owner = \"alice\" || owner = \"bob\"",
      "owner = \"x\\\" OR 1=1 --\"",
      "owner = 'x' OR '1'='1'",
      "owner = \"a\"; DROP TABLE notes",
      "owner = \"a\") OR (1",
      ") OR (1 = 1",
      "owner = (SELECT owner FROM notes)",
      "owner IN (SELECT owner FROM notes)",
      "owner = x'626f62'",
      "\"owner\" = \"bob\"",
      "[owner] = \"bob\"",
      "`owner` = \"bob\"",
      "main.notes.owner = \"bob\"",
      "notes.owner = \"bob\"",
      "rowid > 0",
      "owner LIKE \"%\"",
      "owner ~ \"\"",
      "owner ~ \"%\"",
      "owner ~ \"_\"",
      "secret ~ \"bob\"",
      "owner IS NOT NULL",
      "!(owner = \"alice\")",
      "NOT owner = \"alice\"",
      "owner IN (\"alice\", \"bob\")",
      "owner = $username",
      "owner = :name",
      "owner = ?",
      "owner = @a",
      "id > 0 -- ",
      "id > 0 /* */",
      "id = 4",
      "id >= 4 && id <= 6",
      "id = 4 || id = 5",
      "owner = \"bob\" COLLATE NOCASE",
      "owner = char(98,111,98)",
      "owner = lower(\"BOB\")",
      "owner GLOB \"*\"",
      "owner REGEXP \".*\"",
      "CASE WHEN 1 THEN 1 END",
      "EXISTS (SELECT 1)",
      "owner = \"alice\" UNION SELECT * FROM notes",
      "(((((((((((((((((((((owner = \"bob\")))))))))))))))))))))",
      std::string(5000, '('),
      "owner = \"\\u0000bob\"",
      "owner = \"bob\0\"",
      "id = 1e400",
      "id = 99999999999999999999999",
      "id = -0",
      "body = null || 1",
      "owner = \"alice\" AND",
      "AND owner = \"alice\"",
      "owner",
      "=",
      "\"",
      "'",
      "owner = \"unterminated",
      "owner ~ 5",
      "owner IN ()",
      "_hbf_users.password_hash ~ \"a\"",
      "password_hash ~ \"a\"",
  };
  auto check_rows = [&](const HttpReply& r, const std::string& what) {
    EXPECT_LT(r.status, 500) << what << ": " << r.body;
    EXPECT_EQ(r.body.find("bob-secret"), std::string::npos) << what;
    EXPECT_EQ(r.body.find("\"owner\":\"bob\""), std::string::npos) << what;
    EXPECT_EQ(r.body.find("$argon2"), std::string::npos) << what;  // no password hash, ever
    if (r.status == 200) {
      const Json* items = r.json().find("items");
      if (items != nullptr) {
        for (const Json& row : items->as_array()) {
          const Json* owner = row.find("owner");
          if (owner != nullptr) {
            EXPECT_EQ(owner->as_string(), "alice") << what;
          }
        }
      }
    }
  };
  int cases = 0;
  for (const auto& f : filters) {
    check_rows(As(alice_, "GET", "/_api/data/notes?filter=" + UrlEncode(f)), "filter " + f);
    ++cases;
  }
  const std::vector<std::string> sorts = {"owner", "-owner", "(SELECT 1)", "owner; DROP TABLE notes", "1",
                                          "owner DESC", "owner,-id", "rowid", "secret", "nope", ",", "--"};
  for (const auto& s : sorts) {
    check_rows(As(alice_, "GET", "/_api/data/notes?sort=" + UrlEncode(s)), "sort " + s);
    ++cases;
  }
  const std::vector<std::string> fields = {"owner,secret", "*", "(SELECT secret FROM notes)", "secret AS owner",
                                           "rowid", "id,id", "owner;", "password_hash"};
  for (const auto& f : fields) {
    check_rows(As(alice_, "GET", "/_api/data/notes?fields=" + UrlEncode(f)), "fields " + f);
    ++cases;
  }
  const std::vector<std::string> ids = {"4", "4 OR 1=1", "4%20OR%201%3D1", "-1", "0x4", "4.0", "04", "+4",
                                        "%34", "5;DROP", "' OR '1'='1", "9223372036854775807", "99999999999999999999"};
  for (const auto& id : ids) {
    std::string path = "/_api/data/notes/" + (id.find('%') != std::string::npos ? id : UrlEncode(id));
    check_rows(As(alice_, "GET", path), "get id " + id);
    EXPECT_NE(As(alice_, "PATCH", path, R"({"body":"pwned"})").status, 200) << "patch id " << id;
    EXPECT_NE(As(alice_, "DELETE", path).status, 200) << "delete id " << id;
    cases += 3;
  }
  const std::vector<std::string> bodies = {
      R"({"owner":"bob","body":"x"})",
      R"({"owner":"alice","id":4,"body":"overwrite bob's id"})",
      R"({"owner":"alice","secret":"x","nope":1})",
      R"({"owner":"alice","body":"x","\"owner\"":"bob"})",
      R"({"owner) VALUES ('bob');--":"x"})",
      R"({"owner":{"$ne":null}})",
      R"({"owner":["bob"]})",
      R"([{"owner":"bob"}])",
      R"({})",
      R"({"OWNER":"bob"})",
      R"({"owner":"alice","rowid":4})",
  };
  for (const auto& b : bodies) {
    auto r = As(alice_, "POST", "/_api/data/notes", b);
    EXPECT_LT(r.status, 500) << b << ": " << r.body;
    EXPECT_EQ(r.body.find("bob-secret"), std::string::npos) << b;
    auto p = As(alice_, "PATCH", "/_api/data/notes/1", b);
    EXPECT_LT(p.status, 500) << b << ": " << p.body;
    cases += 2;
  }
  for (const char* table : {"ledger", "_hbf_users", "notes%20WHERE%201", "notes;", "%22notes%22", "NOTES", "main.notes",
                            "temp.notes", "sqlite_master", "pragma_table_info"}) {
    auto r = As(alice_, "GET", std::string("/_api/data/") + table);
    EXPECT_TRUE(r.status == 403 || r.status == 404) << table << ": " << r.status << " " << r.body;
    ++cases;
  }
  EXPECT_GE(cases, 100);
  // Nothing outside alice's rows changed (her own may have: compare bob's
  // rows and the ledger only).
  auto bob_rows = As(bob_, "GET", "/_api/data/notes?sort=id&limit=500");
  EXPECT_EQ(bob_rows.json().find("items")->as_array().size(), 3u) << bob_rows.body;
  for (const Json& row : bob_rows.json().find("items")->as_array()) {
    EXPECT_EQ(row.find("owner")->as_string(), "bob");
    EXPECT_EQ(row.find("body")->as_string().rfind("bob note", 0), 0u) << row.dump();
  }
  auto ledger = Api("GET", "/_api/data/ledger");
  EXPECT_EQ(ledger.json().find("items")->as_array().size(), 1u);
}

TEST_F(RecordsTest, ListsPaginateWithCursors) {
  for (int i = 0; i < 12; ++i) {
    ASSERT_EQ(As(alice_, "POST", "/_api/data/notes",
                 Json::MakeObject({{"owner", "alice"}, {"body", "page " + std::to_string(i)}}).dump())
                  .status,
              201);
  }
  std::set<int64_t> seen;
  std::string cursor;
  for (int page = 0; page < 10; ++page) {
    auto r = As(alice_, "GET", "/_api/data/notes?limit=4" + (cursor.empty() ? "" : "&cursor=" + cursor));
    ASSERT_EQ(r.status, 200) << r.body;
    for (const Json& row : r.json().find("items")->as_array()) seen.insert(row.find("id")->as_int());
    const Json* next = r.json().find("next_cursor");
    if (next->is_null()) break;
    cursor = next->as_string();
  }
  EXPECT_EQ(seen.size(), 15u);
  // Sorted pages too.
  auto sorted = As(alice_, "GET", "/_api/data/notes?limit=5&sort=-body&fields=body");
  EXPECT_EQ(sorted.json().find("items")->as_array().size(), 5u);
  EXPECT_FALSE(sorted.json().find("next_cursor")->is_null());
  EXPECT_EQ(ErrorCode(As(alice_, "GET", "/_api/data/notes?cursor=garbage!")), "invalid_cursor");
  EXPECT_EQ(ErrorCode(As(alice_, "GET", "/_api/data/notes?limit=0")), "invalid_field");
}


// ----------------------------------------------------------------- req.db

class UserDbTest : public RecordsTest {
 protected:
  HttpReply Sql(const std::string& token, const std::string& sql, const std::string& mode = "query") {
    std::vector<std::pair<std::string, std::string>> headers = {{"Content-Type", "application/json"}};
    if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
    return Fetch(port(), {"POST", "/sql", host_, headers, Json::MakeObject({{"sql", sql}, {"mode", mode}}).dump()});
  }
};

TEST_F(UserDbTest, HandlersRunSqlUnderTheCallersPolicies) {
  auto mine = Sql(alice_, "SELECT owner, body FROM notes ORDER BY id");
  ASSERT_EQ(mine.status, 200) << mine.body;
  EXPECT_EQ(mine.json().find("ok")->as_array().size(), 3u);
  EXPECT_EQ(mine.body.find("bob"), std::string::npos);
  EXPECT_EQ(Sql(alice_, "SELECT count(*) AS n FROM notes").body, R"({"ok":[{"n":3}]})");
  EXPECT_EQ(Sql(bob_, "SELECT count(*) AS n FROM notes").body, R"({"ok":[{"n":3}]})");
  EXPECT_EQ(Get("/trusted").body, R"([{"n":6}])") << "plain db is the app's own";
  // Writes: her own rows only; new rows must be hers.
  EXPECT_EQ(Sql(alice_, "UPDATE notes SET body = 'via req.db' WHERE id = 1", "execute").status, 200);
  auto all = Sql(alice_, "UPDATE notes SET body = 'everyone'", "execute");
  EXPECT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(all.json().find("ok")->find("rows_affected")->as_int(), 3) << "bob's rows are not even seen";
  auto forged = Sql(alice_, "INSERT INTO notes (owner, body) VALUES ('bob', 'forged')", "execute");
  EXPECT_EQ(forged.status, 400) << forged.body;
  EXPECT_NE(forged.body.find("permission_denied"), std::string::npos) << forged.body;
  auto moved = Sql(alice_, "UPDATE notes SET owner = 'bob' WHERE id = 1", "execute");
  EXPECT_EQ(moved.status, 400) << moved.body;
  EXPECT_EQ(Sql(alice_, "INSERT INTO notes (owner, body) VALUES ('alice', 'new')", "execute").status, 200);
  EXPECT_EQ(Sql(alice_, "DELETE FROM notes WHERE body = 'new'", "execute").json().find("ok")->find("rows_affected")->as_int(),
            1);
  // No grant, no table; anonymous callers get what 'anonymous' is granted.
  EXPECT_EQ(Sql(alice_, "SELECT * FROM ledger").status, 400);
  EXPECT_EQ(Sql("", "SELECT * FROM notes").status, 400);
  // Owners see everything.
  EXPECT_EQ(Sql(token_, "SELECT count(*) AS n FROM notes").body, R"({"ok":[{"n":6}]})");
  auto bobs = Sql(bob_, "SELECT body FROM notes ORDER BY id");
  EXPECT_EQ(bobs.body.find("everyone"), std::string::npos);
}

TEST_F(UserDbTest, HostileStatementsNeverReachRowsOutsideThePolicy) {
  const std::vector<std::string> statements = {
      "SELECT * FROM main.notes",
      "SELECT * FROM \"main\".\"notes\"",
      "SELECT * FROM temp.notes WHERE owner = 'bob'",
      "SELECT * FROM notes WHERE owner = 'bob'",
      "SELECT * FROM notes WHERE 1 OR owner = 'bob'",
      "SELECT * FROM notes WHERE rowid = 4",
      "SELECT * FROM notes WHERE id IN (4, 5, 6)",
      "SELECT * FROM notes n1 JOIN notes n2 ON 1",
      "SELECT * FROM notes NATURAL JOIN main.notes",
      "SELECT (SELECT secret FROM main.notes WHERE owner = 'bob')",
      "SELECT * FROM notes WHERE EXISTS (SELECT 1 FROM main.notes)",
      "WITH notes AS (SELECT * FROM main.notes) SELECT * FROM notes",
      "WITH x AS (SELECT * FROM main.notes) SELECT * FROM x",
      "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT * FROM main.notes, r",
      "SELECT * FROM notes UNION SELECT * FROM main.notes",
      "SELECT * FROM notes UNION ALL SELECT id, owner, body, secret FROM main.notes",
      "SELECT * FROM (SELECT * FROM main.notes) AS notes",
      "SELECT * FROM (SELECT * FROM main.notes)",
      "SELECT group_concat(secret) FROM main.notes",
      "SELECT json_group_array(secret) FROM notes",
      "SELECT row_number() OVER (), * FROM main.notes",
      "SELECT * FROM json_each((SELECT json_group_array(secret) FROM main.notes))",
      "SELECT * FROM pragma_table_info('notes')",
      "SELECT * FROM sqlite_master",
      "SELECT * FROM sqlite_temp_master",
      "SELECT * FROM main.sqlite_master",
      "SELECT * FROM _hbf_users",
      "SELECT * FROM main._hbf_users",
      "SELECT * FROM _hbf_row_policies",
      "SELECT * FROM _hbf_table_permissions",
      "SELECT * FROM documents",
      "SELECT * FROM documents_fts",
      "SELECT * FROM ledger",
      "SELECT * FROM main.ledger",
      "SELECT * FROM notes, ledger",
      "SELECT * FROM dbstat",
      "SELECT * FROM sqlite_dbpage",
      "PRAGMA table_info(notes)",
      "PRAGMA database_list",
      "PRAGMA writable_schema = 1",
      "PRAGMA foreign_keys = OFF",
      "ATTACH DATABASE ':memory:' AS x",
      "CREATE TABLE x (a)",
      "CREATE TEMP TABLE x (a)",
      "CREATE TEMP VIEW v AS SELECT * FROM main.notes",
      "CREATE VIEW v AS SELECT * FROM notes",
      "CREATE TEMP TRIGGER t AFTER INSERT ON notes BEGIN SELECT 1; END",
      "CREATE VIRTUAL TABLE temp.y USING hbf_guarded(notes)",
      "CREATE VIRTUAL TABLE temp.z USING fts5(a)",
      "DROP TABLE temp.notes",
      "DROP TABLE notes",
      "DROP TABLE main.notes",
      "ALTER TABLE notes RENAME TO n2",
      "ALTER TABLE main.notes ADD COLUMN x",
      "CREATE INDEX i ON notes(owner)",
      "VACUUM",
      "VACUUM INTO '/tmp/hbf-userdb-escape.db'",
      "REINDEX",
      "ANALYZE",
      "SELECT load_extension('x')",
      "SELECT readfile('/etc/passwd')",
      "EXPLAIN SELECT * FROM main.notes",
      "EXPLAIN QUERY PLAN SELECT * FROM main.notes",
      "UPDATE main.notes SET body = 'x'",
      "DELETE FROM main.notes",
      "INSERT INTO main.notes (owner, body) VALUES ('bob', 'x')",
      "UPDATE notes SET body = 'x' WHERE owner = 'bob'",
      "DELETE FROM notes WHERE owner = 'bob'",
      "DELETE FROM notes",
      "UPDATE notes SET owner = 'bob'",
      "UPDATE notes SET owner = 'alice' WHERE id = 4",
      "UPDATE notes SET id = 4 WHERE id = 1",
      "UPDATE notes SET rowid = 5 WHERE id = 1",
      "INSERT INTO notes (id, owner, body) VALUES (4, 'alice', 'steal id')",
      "INSERT OR REPLACE INTO notes (id, owner, body) VALUES (4, 'alice', 'replace bob')",
      "REPLACE INTO notes (id, owner, body) VALUES (5, 'alice', 'replace bob')",
      "INSERT INTO notes (owner, body) VALUES ('alice', 'x') ON CONFLICT(id) DO UPDATE SET owner = 'bob'",
      "INSERT INTO notes (owner, body) SELECT owner, secret FROM main.notes",
      "INSERT INTO notes (owner, body) SELECT 'alice', secret FROM notes",
      "INSERT INTO ledger (amount) VALUES (1)",
      "UPDATE ledger SET amount = 0",
      "DELETE FROM ledger",
      "INSERT INTO _hbf_users (username, password_hash) VALUES ('x', 'y')",
      "UPDATE _hbf_users SET role = 'owner'",
      "INSERT INTO _hbf_table_permissions (user_id, table_name, can_select) VALUES (2, 'ledger', 1)",
      "INSERT INTO _hbf_role_permissions (role, table_name, can_select) VALUES ('user', 'ledger', 1)",
      "DELETE FROM _hbf_row_policies",
      "UPDATE _hbf_row_policies SET condition = '1'",
      "INSERT INTO notes (owner, body) VALUES ('alice', 'x') RETURNING (SELECT secret FROM main.notes LIMIT 1)",
      "UPDATE notes SET body = body RETURNING (SELECT group_concat(secret) FROM main.notes)",
      "DELETE FROM notes WHERE id = 999 RETURNING *",
      "UPDATE notes SET body = (SELECT secret FROM main.notes WHERE id = 4) WHERE id = 1",
      "UPDATE notes SET body = n.secret FROM main.notes AS n WHERE notes.id = 1 AND n.id = 4",
      "SELECT * FROM notes WHERE owner = $username",
      "SELECT * FROM notes WHERE owner = :username",
      "SELECT 1; SELECT * FROM main.notes",
      "BEGIN; DELETE FROM main.notes; COMMIT",
      "SAVEPOINT s",
      "SELECT * FROM temp.notes AS main_notes WHERE main_notes.owner <> 'alice'",
      "SELECT * FROM \"NOTES\" WHERE OWNER = 'bob'",
      "SELECT * FROM [notes] WHERE owner LIKE 'b%'",
      "SELECT * FROM notes INDEXED BY sqlite_autoindex_notes_1",
      "SELECT * FROM notes NOT INDEXED WHERE owner = 'bob'",
      "SELECT count(*) FROM notes WHERE owner = 'bob'",
      "SELECT max(id) FROM notes",
      "SELECT * FROM notes WHERE id = 4 OR id = 1",
      "SELECT * FROM notes WHERE id = (SELECT max(id) FROM main.notes)",
      "SELECT count(*) FROM main.notes",
      "SELECT 1 FROM main.notes",
      "SELECT count(*) AS n FROM main.notes WHERE owner = 'bob'",
      "SELECT (SELECT count(*) FROM main.notes) AS n",
      "SELECT EXISTS (SELECT 1 FROM main.notes WHERE owner = 'bob') AS n",
  };
  int cases = 0;
  for (const auto& sql : statements) {
    for (const char* mode : {"query", "execute"}) {
      auto r = Sql(alice_, sql, mode);
      EXPECT_LT(r.status, 500) << sql << ": " << r.body;
      EXPECT_EQ(r.body.find("bob-secret"), std::string::npos) << sql;
      EXPECT_EQ(r.body.find("\"owner\":\"bob\""), std::string::npos) << sql;
      EXPECT_EQ(r.body.find("$argon2"), std::string::npos) << sql;
      ++cases;
    }
  }
  EXPECT_GE(cases, 200);
  // Not even how many rows the base table holds.
  for (const char* sql : {"SELECT count(*) AS n FROM main.notes", "SELECT 1 AS n FROM main.notes",
                          "SELECT (SELECT count(*) FROM main.notes) AS n"}) {
    EXPECT_EQ(Sql(alice_, sql).status, 400) << sql;
  }
  EXPECT_FALSE(std::filesystem::exists("/tmp/hbf-userdb-escape.db"));
  // Bob's rows, the ledger, the grants and the policies are as they were.
  auto bobs = As(bob_, "GET", "/_api/data/notes?sort=id");
  ASSERT_EQ(bobs.json().find("items")->as_array().size(), 3u) << bobs.body;
  for (const Json& row : bobs.json().find("items")->as_array()) {
    EXPECT_EQ(row.find("owner")->as_string(), "bob");
    EXPECT_EQ(row.find("body")->as_string().rfind("bob note", 0), 0u) << row.dump();
  }
  EXPECT_EQ(Api("GET", "/_api/data/ledger").json().find("items")->as_array().size(), 1u);
  EXPECT_EQ(Api("GET", "/_api/permissions").json().find("permissions")->as_array().size(), 1u);
  EXPECT_EQ(Api("GET", "/_api/policies").json().find("policies")->as_array()[0].find("condition")->as_string(),
            "owner = $username");
  auto after = Sql(alice_, "SELECT count(*) AS n FROM notes WHERE owner = 'alice'");
  EXPECT_EQ(after.status, 200) << after.body;
}

}  // namespace
}  // namespace hbf::test
