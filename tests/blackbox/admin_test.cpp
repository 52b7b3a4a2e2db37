// The browser experience (issue #13), black-box: login and signup pages and
// their form posts, safe code saves (POST /_api/code/check, refused saves,
// ?force=1), a broken router leaving documents and login up, the SQL
// console, the tables list, document rename, and /_admin with its assets.
#include <gtest/gtest.h>

#include "blackbox/henv_fixture.h"
#include "codec/gzip.h"

namespace hbf::test {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

class AdminTest : public OneHenvTest {
 protected:
  // A browser's form post: form-encoded, asking for HTML, from this origin.
  HttpReply Form(const std::string& path, const std::string& body, Headers extra = {}) {
    Headers h = {{"Content-Type", "application/x-www-form-urlencoded"},
                 {"Accept", "text/html,application/xhtml+xml"},
                 {"Origin", "http://" + host_}};
    for (auto& e : extra) h.push_back(std::move(e));
    return Fetch(port(), {"POST", path, host_, std::move(h), body});
  }
  HttpReply As(const std::string& token, const std::string& method, const std::string& path,
               const std::string& body = {}) {
    return Fetch(port(), {method, path, host_,
                          {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}}, body});
  }
  // A plain user of the henv, logged in; returns the token.
  std::string PlainUser(const std::string& name) {
    auto made = Api("POST", "/_api/users",
                    R"({"username":")" + name + R"(","password":"correct horse battery"})");
    EXPECT_EQ(made.status, 201) << made.body;
    auto login = Fetch(port(), {"POST", "/login", host_, {{"Content-Type", "application/json"}},
                                R"({"username":")" + name + R"(","password":"correct horse battery"})"});
    const Json* token = login.json().find("token");
    return token != nullptr ? token->as_string() : std::string();
  }
  static std::string CookieOf(const HttpReply& r) {
    std::string c = r.header("set-cookie").value_or("");
    return c.substr(0, c.find(';'));
  }
};

// ------------------------------------------------------------ login pages

TEST_F(AdminTest, LoginPageIsAFormThatWorksWithoutJavaScript) {
  auto page = Get("/login?next=/_admin");
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.header("content-type").value_or("").find("text/html"), std::string::npos);
  EXPECT_NE(page.body.find("<form method=\"post\" action=\"/login\">"), std::string::npos) << page.body;
  EXPECT_NE(page.body.find("name=\"next\" value=\"/_admin\""), std::string::npos);
  EXPECT_NE(page.body.find("<label for=\"password\">"), std::string::npos);
  EXPECT_EQ(page.body.find("<script"), std::string::npos);

  auto ok = Form("/login", "username=onehenv&password=correct+horse+battery&next=%2F_admin%2Flogs");
  EXPECT_EQ(ok.status, 303) << ok.body;
  EXPECT_EQ(ok.header("location").value_or(""), "/_admin/logs");
  std::string cookie = CookieOf(ok);
  ASSERT_EQ(cookie.rfind("hbf_session=", 0), 0u) << cookie;
  auto me = Fetch(port(), {"GET", "/_api/me", host_, {{"Cookie", cookie}}, {}});
  EXPECT_EQ(me.status, 200) << me.body;

  // A JSON client keeps the API's answer.
  auto json = Fetch(port(), {"POST", "/login", host_, {{"Content-Type", "application/json"}},
                             R"({"username":"onehenv","password":"correct horse battery"})"});
  EXPECT_EQ(json.status, 200);
  EXPECT_NE(json.json().find("token"), nullptr);
}

TEST_F(AdminTest, AWrongPasswordShowsTheFormAgainWithTheError) {
  auto bad = Form("/login", "username=onehenv&password=nope-nope-nope&next=%2Fx");
  EXPECT_EQ(bad.status, 401);
  EXPECT_NE(bad.body.find("role=\"alert\""), std::string::npos) << bad.body;
  EXPECT_NE(bad.body.find("Wrong username or password"), std::string::npos);
  EXPECT_NE(bad.body.find("value=\"onehenv\""), std::string::npos) << "the username is kept";
  EXPECT_NE(bad.body.find("name=\"next\" value=\"/x\""), std::string::npos);
  EXPECT_FALSE(bad.header("set-cookie").has_value());
  auto empty = Form("/login", "username=&password=");
  EXPECT_EQ(empty.status, 400);
}

TEST_F(AdminTest, NextNeverLeavesTheHenv) {
  for (const char* next : {"%2F%2Fevil.example", "https%3A%2F%2Fevil.example%2F", "%2F%5Cevil.example",
                           "javascript%3Aalert(1)", "%2Fok%0D%0ASet-Cookie%3A+x%3D1"}) {
    auto r = Form("/login", std::string("username=onehenv&password=correct+horse+battery&next=") + next);
    EXPECT_EQ(r.status, 303) << next;
    EXPECT_EQ(r.header("location").value_or(""), "/") << next;
  }
  auto page = Get("/login?next=%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E");
  EXPECT_EQ(page.body.find("<script>alert"), std::string::npos) << "next is escaped or dropped";
}

TEST_F(AdminTest, FormsPostedFromAnotherSiteAreRefused) {
  // A sibling henv must not log the visitor in as someone else (login CSRF).
  Headers evil = {{"Content-Type", "application/x-www-form-urlencoded"},
                  {"Accept", "text/html"},
                  {"Origin", "http://other.localhost"}};
  for (const char* path : {"/login", "/_hbf/login", "/signup", "/logout"}) {
    auto r = Fetch(port(), {"POST", path, host_, evil, "username=onehenv&password=correct+horse+battery"});
    EXPECT_EQ(r.status, 403) << path;
    EXPECT_FALSE(r.header("set-cookie").has_value()) << path;
  }
}

TEST_F(AdminTest, LogoutFromAFormEndsTheSessionAndGoesToLogin) {
  auto login = Form("/login", "username=onehenv&password=correct+horse+battery");
  std::string cookie = CookieOf(login);
  auto out = Form("/logout", "", {{"Cookie", cookie}});
  EXPECT_EQ(out.status, 303) << out.body;
  EXPECT_EQ(out.header("location").value_or(""), "/login");
  EXPECT_NE(out.header("set-cookie").value_or("").find("Max-Age=0"), std::string::npos);
  auto me = Fetch(port(), {"GET", "/_api/me", host_, {{"Cookie", cookie}}, {}});
  EXPECT_EQ(me.status, 401) << "the session is gone, not just the cookie";
}

TEST_F(AdminTest, SignupPageOnlyWhileSelfSignupIsOn) {
  EXPECT_EQ(Fetch(port(), {"GET", "/signup", host_, {{"Accept", "text/html"}}, {}}).status, 404);
  auto refused = Form("/signup", "username=newbie&password=correct+horse+battery");
  EXPECT_EQ(refused.status, 403);
  ASSERT_EQ(Api("PATCH", "/_api/config", R"({"self_signup":"true"})").status, 200);
  auto page = Fetch(port(), {"GET", "/signup?next=/welcome", host_, {{"Accept", "text/html"}}, {}});
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("name=\"next\" value=\"/welcome\""), std::string::npos);
  auto weak = Form("/signup", "username=newbie&password=short");
  EXPECT_EQ(weak.status, 400);
  EXPECT_NE(weak.body.find("role=\"alert\""), std::string::npos);
  auto admin = Form("/signup", "username=sneaky&password=correct+horse+battery&role=admin");
  EXPECT_EQ(admin.status, 400) << "signup cannot pick a role";
  auto made = Form("/signup", "username=newbie&password=correct+horse+battery&next=%2Fwelcome");
  EXPECT_EQ(made.status, 303) << made.body;
  EXPECT_EQ(made.header("location").value_or(""), "/welcome");
  auto me = Fetch(port(), {"GET", "/_api/me", host_, {{"Cookie", CookieOf(made)}}, {}});
  EXPECT_EQ(me.json().find("user")->find("role")->as_string(), "user") << me.body;
}

TEST_F(AdminTest, TheAppsOwnLoginRouteWinsAndHbfsStaysUnderHbf) {
  Put("_system/router.js", R"js(
import { Router } from "hbf:router";
const router = new Router();
router.get("/login", (req, res) => res.send("the app's own login"));
export default router;
)js");
  EXPECT_EQ(Get("/login").body, "the app's own login");
  auto hbf = Get("/_hbf/login?next=/_admin");
  EXPECT_EQ(hbf.status, 200);
  EXPECT_NE(hbf.body.find("action=\"/_hbf/login\""), std::string::npos) << hbf.body;
  // POST /login is not claimed by the router: HBF's still answers it.
  auto posted = Form("/login", "username=onehenv&password=correct+horse+battery");
  EXPECT_EQ(posted.status, 303);
  EXPECT_EQ(Get("/_hbf/nothing").status, 404);
}

// ------------------------------------------------------- safe code saves

TEST_F(AdminTest, CodeCheckReportsErrorsWithTheirLocation) {
  auto ok = Api("POST", "/_api/code/check",
                R"({"id":"_system/router.js","source":"import { Router } from \"hbf:router\";\nimport x from \"./lib/x.js\";\nexport default new Router();\n"})");
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_TRUE(ok.json().find("ok")->as_bool());

  auto bad = Api("POST", "/_api/code/check", R"({"id":"_system/router.js","source":"const a = 1;\nconst b = ;\n"})");
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_EQ(bad.error_code(), "code_invalid");
  const Json* errors = bad.json().find("error")->find("errors");
  ASSERT_TRUE(errors != nullptr && errors->is_array() && !errors->as_array().empty()) << bad.body;
  const Json& first = errors->as_array()[0];
  EXPECT_EQ(first.find("line")->as_int(), 2) << bad.body;
  EXPECT_EQ(first.find("location")->as_string().rfind("_system/router.js:2:", 0), 0u) << bad.body;
  EXPECT_NE(first.find("message")->as_string().find("SyntaxError"), std::string::npos);

  auto ejs = Api("POST", "/_api/code/check", R"({"id":"views/page.ejs","source":"<h1>\n<% if (x) { %>\n</h1>"})");
  EXPECT_EQ(ejs.status, 400) << ejs.body;
  EXPECT_EQ(ejs.json().find("error")->find("errors")->as_array()[0].find("line")->as_int(), 3) << ejs.body;
  EXPECT_EQ(Api("POST", "/_api/code/check", R"({"id":"views/ok.ejs","source":"<p><%= 1 + 1 %></p>"})").status, 200);

  auto cjs = Api("POST", "/_api/code/check", R"({"id":"lib/a.cjs","source":"module.exports = 1; return;"})");
  EXPECT_EQ(cjs.status, 200) << "CommonJS may return at top level: " << cjs.body;
  auto text = Api("POST", "/_api/code/check", R"({"id":"notes.txt","source":"not code {{{"})");
  EXPECT_EQ(text.status, 200);
  EXPECT_FALSE(text.json().find("checked")->as_bool());
  // Checking runs nothing: a top-level throw or loop is not reached.
  EXPECT_EQ(Api("POST", "/_api/code/check", R"({"id":"a.js","source":"while (true) {}"})").status, 200);
}

TEST_F(AdminTest, CodeCheckRefusesBadInputAndNonAdmins) {
  EXPECT_EQ(Api("POST", "/_api/code/check", "{").error_code(), "invalid_json");
  EXPECT_EQ(Api("POST", "/_api/code/check", R"({"id":"a.js"})").status, 400);
  EXPECT_EQ(Api("GET", "/_api/code/check").status, 405);
  EXPECT_EQ(Fetch(port(), {"POST", "/_api/code/check", host_, {{"Content-Type", "application/json"}},
                           R"({"id":"a.js","source":"1"})"})
                .status,
            401);
  std::string user = PlainUser("plainuser");
  EXPECT_EQ(As(user, "POST", "/_api/code/check", R"({"id":"a.js","source":"1"})").status, 403);
}

TEST_F(AdminTest, ServerCodeThatDoesNotCompileIsNotSavedUnlessForced) {
  Put("_system/router.js", R"js(
import { Router } from "hbf:router";
const router = new Router();
router.get("/hi", (req, res) => res.send("v1"));
export default router;
)js");
  ASSERT_EQ(Get("/hi").body, "v1");
  const std::string broken = "import { Router } from \"hbf:router\";\nconst router = new Router(;\nexport default router;";
  auto put = Fetch(port(), {"PUT", "/_api/documents/_system/router.js", host_,
                            {{"Authorization", "Bearer " + token_}, {"Content-Type", "text/javascript"}}, broken});
  EXPECT_EQ(put.status, 400) << put.body;
  EXPECT_EQ(put.error_code(), "code_invalid");
  EXPECT_EQ(Get("/hi").body, "v1") << "the app keeps serving the code it had";
  auto json_form = Api("POST", "/_api/documents",
                       R"({"id":"_system/router.js","content":"export default {{{","content_type":"text/javascript"})");
  EXPECT_EQ(json_form.status, 400) << json_form.body;
  auto ejs = Fetch(port(), {"PUT", "/_api/documents/views/a.ejs", host_,
                            {{"Authorization", "Bearer " + token_}, {"Content-Type", "text/html"}}, "<% if (x) { %>"});
  EXPECT_EQ(ejs.status, 400) << "templates are server code wherever they live";
  // A page's own script is not server code: saved as it is.
  auto browser_js = Fetch(port(), {"PUT", "/_api/documents/static/app.js", host_,
                                   {{"Authorization", "Bearer " + token_}, {"Content-Type", "text/javascript"}},
                                   "with (document) { write('sloppy mode') }"});
  EXPECT_EQ(browser_js.status, 201) << browser_js.body;

  auto forced = Fetch(port(), {"PUT", "/_api/documents/_system/router.js?force=1", host_,
                               {{"Authorization", "Bearer " + token_}, {"Content-Type", "text/javascript"}}, broken});
  EXPECT_EQ(forced.status, 200) << forced.body;
}

TEST_F(AdminTest, ABrokenRouterLeavesDocumentsAndLoginUp) {
  Put("index.html", "<h1>still here</h1>", "text/html");
  auto forced = Fetch(port(), {"PUT", "/_api/documents/_system/router.js?force=1", host_,
                               {{"Authorization", "Bearer " + token_}, {"Content-Type", "text/javascript"}},
                               "throw new Error('top-level boom');\nexport default 1;"});
  ASSERT_TRUE(forced.status == 200 || forced.status == 201) << forced.body;
  auto doc = Get("/");
  EXPECT_EQ(doc.status, 200);
  EXPECT_EQ(doc.body, "<h1>still here</h1>");
  auto missing = Get("/api/things");
  EXPECT_EQ(missing.status, 503);
  EXPECT_EQ(missing.error_code(), "router_unavailable");
  EXPECT_EQ(missing.body.find("top-level boom"), std::string::npos) << "the public is not told the detail";
  auto page = Fetch(port(), {"GET", "/api/things", host_, {{"Accept", "text/html"}}, {}});
  EXPECT_EQ(page.status, 503);
  EXPECT_NE(page.body.find("<h1>Temporarily unavailable</h1>"), std::string::npos);
  auto owner = Api("GET", "/api/things");
  EXPECT_EQ(owner.status, 503);
  EXPECT_NE(owner.body.find("top-level boom"), std::string::npos) << owner.body;
  EXPECT_NE(owner.body.find("_system/router.js:1"), std::string::npos) << owner.body;
  auto post = Api("POST", "/api/things", "{}");
  EXPECT_EQ(post.status, 503);
  // The owner reads why in the henv's log.
  auto logs = Api("GET", "/_api/logs?level=error");
  EXPECT_NE(logs.body.find("router_unavailable"), std::string::npos) << logs.body;
  EXPECT_NE(logs.body.find("top-level boom"), std::string::npos) << logs.body;
  // The owner can still log in (the router would have taken /login).
  auto login = Form("/login", "username=onehenv&password=correct+horse+battery&next=%2F_admin");
  EXPECT_EQ(login.status, 303) << login.body;
}

// ---------------------------------------------------------- SQL console

TEST_F(AdminTest, SqlConsoleRunsOneStatementReadOnlyUnlessAsked) {
  auto one = Api("POST", "/_api/sql", R"({"sql":"SELECT 1 AS one, ? AS two","params":["x"]})");
  EXPECT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(one.json().find("columns")->as_array()[1].as_string(), "two");
  EXPECT_EQ(one.json().find("rows")->as_array()[0].as_array()[1].as_string(), "x");

  const char* create = R"x({"sql":"CREATE TABLE notes (id INTEGER PRIMARY KEY, title TEXT)")x";
  auto refused = Api("POST", "/_api/sql", std::string(create) + "}");
  EXPECT_EQ(refused.status, 400);
  EXPECT_EQ(refused.error_code(), "read_only");
  EXPECT_EQ(Api("POST", "/_api/sql", std::string(create) + R"(,"allow_writes":true})").status, 200);
  auto insert = Api("POST", "/_api/sql",
                    R"x({"sql":"INSERT INTO notes (title) VALUES (?), (?)","params":["a","b"],"allow_writes":true})x");
  EXPECT_EQ(insert.json().find("changes")->as_int(), 2) << insert.body;
  auto rows = Api("POST", "/_api/sql", R"({"sql":"SELECT title FROM notes ORDER BY id"})");
  EXPECT_EQ(rows.json().find("rows")->as_array().size(), 2u);

  auto tables = Api("GET", "/_api/data");
  EXPECT_EQ(tables.status, 200) << tables.body;
  ASSERT_EQ(tables.json().find("tables")->as_array().size(), 1u) << "documents and _hbf_* are not listed: "
                                                                 << tables.body;
  const Json& notes = tables.json().find("tables")->as_array()[0];
  EXPECT_EQ(notes.find("name")->as_string(), "notes");
  EXPECT_EQ(notes.find("key")->as_string(), "id");

  EXPECT_EQ(Api("POST", "/_api/sql", R"({"sql":"SELECT * FROM _hbf_users"})").error_code(), "sql_error");
  EXPECT_EQ(Api("POST", "/_api/sql", R"({"sql":"UPDATE _hbf_users SET role = 'owner'","allow_writes":true})")
                .error_code(),
            "sql_error");
  EXPECT_EQ(Api("POST", "/_api/sql", R"({"sql":"SELECT 1; DROP TABLE notes","allow_writes":true})").error_code(),
            "sql_error");
  EXPECT_EQ(Api("POST", "/_api/sql", R"({"sql":"SELEC 1"})").error_code(), "sql_error");
  EXPECT_EQ(Api("POST", "/_api/sql", R"({"sql":"SELECT ?"})").error_code(), "invalid_field");
  EXPECT_EQ(Api("POST", "/_api/sql", R"({"sql":"SELECT 1","allow_writes":"yes"})").status, 400);
  auto many = Api("POST", "/_api/sql",
                  R"x({"sql":"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n LIMIT 5000) SELECT i FROM n"})x");
  EXPECT_EQ(many.json().find("rows")->as_array().size(), 1000u);
  EXPECT_TRUE(many.json().find("truncated")->as_bool());
  std::string user = PlainUser("sqluser");
  EXPECT_EQ(As(user, "POST", "/_api/sql", R"({"sql":"SELECT 1"})").status, 403);
  EXPECT_EQ(As(user, "GET", "/_api/data").status, 403);
}

TEST_F(AdminTest, RenamingADocumentMovesItAndRefusesToOverwrite) {
  Put("a.txt", "alpha", "text/plain");
  Put("b.txt", "beta", "text/plain");
  auto moved = Api("PATCH", "/_api/documents/a.txt", R"({"rename_to":"dir/c.txt"})");
  EXPECT_EQ(moved.status, 200) << moved.body;
  EXPECT_EQ(Get("/dir/c.txt").body, "alpha");
  EXPECT_EQ(Get("/a.txt").status, 404);
  EXPECT_EQ(Api("PATCH", "/_api/documents/b.txt", R"({"rename_to":"dir/c.txt"})").status, 409);
  EXPECT_EQ(Get("/b.txt").body, "beta") << "a refused rename leaves both";
  EXPECT_EQ(Api("PATCH", "/_api/documents/nope.txt", R"({"rename_to":"x.txt"})").status, 404);
  EXPECT_EQ(Api("PATCH", "/_api/documents/b.txt", R"({"rename_to":"../x"})").status, 400);
}

// ---------------------------------------------------------------- /_admin

TEST_F(AdminTest, AdminSendsAnonymousCallersToLoginAndRefusesUsers) {
  auto anon = Get("/_admin/logs");
  EXPECT_EQ(anon.status, 303);
  EXPECT_EQ(anon.header("location").value_or(""), "/_hbf/login?next=/_admin/logs");
  std::string user = PlainUser("adminuser");
  auto refused = As(user, "GET", "/_admin");
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(Api("POST", "/_admin").status, 405);
}

TEST_F(AdminTest, AdminShellAndItsImmutableAssets) {
  auto shell = Api("GET", "/_admin");
  ASSERT_EQ(shell.status, 200) << shell.body;
  EXPECT_NE(shell.header("content-security-policy").value_or("").find("script-src 'self'"), std::string::npos);
  EXPECT_EQ(shell.header("x-frame-options").value_or(""), "DENY");
  EXPECT_EQ(shell.body.find("{{ASSETS}}"), std::string::npos);
  const std::string marker = "/_admin/assets/";
  size_t at = shell.body.find(marker);
  ASSERT_NE(at, std::string::npos) << shell.body;
  const std::string prefix = shell.body.substr(at, shell.body.find('/', at + marker.size()) + 1 - at);

  auto js = Fetch(port(), {"GET", prefix + "monaco/vs/loader.js", host_, {}, {}});
  EXPECT_EQ(js.status, 200);
  EXPECT_NE(js.header("cache-control").value_or("").find("immutable"), std::string::npos);
  EXPECT_NE(js.header("content-type").value_or("").find("javascript"), std::string::npos);
  auto gz = Fetch(port(), {"GET", prefix + "monaco/vs/loader.js", host_, {{"Accept-Encoding", "gzip, br"}}, {}});
  EXPECT_EQ(gz.header("content-encoding").value_or(""), "gzip");
  EXPECT_EQ(codec::Gunzip(gz.body, 10 << 20).value_or(""), js.body);
  auto css = Fetch(port(), {"GET", prefix + "admin.css", host_, {}, {}});
  EXPECT_EQ(css.status, 200);
  EXPECT_NE(css.header("content-type").value_or("").find("text/css"), std::string::npos);
  auto cached = Fetch(port(), {"GET", prefix + "admin.css", host_, {{"If-None-Match", *js.header("etag")}}, {}});
  EXPECT_EQ(cached.status, 304);
  EXPECT_EQ(Get("/_admin/assets/0000000000000000/admin.css").status, 404) << "another build";
  EXPECT_EQ(Get(prefix + "nothing.js").status, 404);
  EXPECT_NE(Get(prefix + "../../_api/me").status, 200);

  // The owner may override the shell: the development environment is part
  // of the app.
  Put("_system/admin/index.html", "<p>my own admin at {{ASSETS}} for {{HENV}}</p>", "text/html");
  auto own = Api("GET", "/_admin");
  EXPECT_EQ(own.body, "<p>my own admin at " + prefix + " for " + host_ + "</p>");
}

}  // namespace
}  // namespace hbf::test
