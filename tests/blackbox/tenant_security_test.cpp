// Black-box tests of what a henv exposes and records (issue #12): which
// documents are served, settings through the API instead of SQL, and the
// audit log of admin actions.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "henv_fixture.h"

namespace hbf::test {
namespace {

std::string ErrorCode(const HttpReply& reply) { return reply.error_code(); }

class TenantSecurityTest : public OneHenvTest {
 protected:
  HttpReply Patch(const std::string& path, const std::string& json) { return Api("PATCH", path, json); }
};

TEST_F(TenantSecurityTest, ServerCodeAndViewsAreNotServed) {
  Put("lib/secret.js", "export const KEY = 'sk-live-123';\nimport './util.js';\n");
  Put("lib/util.js", "export const helper = 1;\n");
  Put("lib/config.json", R"({"token":"json-secret"})", "application/json");
  Put("views/page.ejs", "<p><%= secretData %></p>", "text/html");
  Put("public/app.js", "console.log('client side');");
  Put("site.css", "body{}", "text/css");
  Put("_system/router.js", R"js(
import { Router } from "hbf:router";
import { KEY } from "../lib/secret.js";
import config from "../lib/config.json";
const router = new Router();
router.get("/page", (req, res) => res.render("page", { secretData: KEY.length + config.token.length }));
export default router;
)js");
  // Imported directly, transitively, as JSON; rendered as a view: 404, as
  // if absent. Whatever is not code stays public.
  for (const char* path : {"/lib/secret.js", "/lib/util.js", "/lib/config.json", "/views/page.ejs",
                           "/_system/router.js"}) {
    auto r = Get(path);
    EXPECT_EQ(r.status, 404) << path << ": " << r.body;
    EXPECT_EQ(r.body.find("sk-live"), std::string::npos) << path;
    EXPECT_EQ(r.body.find("json-secret"), std::string::npos) << path;
  }
  EXPECT_EQ(Get("/public/app.js").status, 200);
  EXPECT_EQ(Get("/site.css").status, 200);
  EXPECT_EQ(Get("/page").body, "<p>22</p>") << "the view still renders through the router";
  EXPECT_EQ(Get("/views/page.ejs").status, 404) << "also after being rendered";
  EXPECT_EQ(Get("/lib/").status, 404);
}

// A router that keeps weak references (WeakMap, WeakSet, WeakRef) to objects
// its requests made: destroying its workers (here: the code changes, so
// they are retired) must not take the server down. QuickJS patch 0021: each
// key was freed twice when a worker's runtime was freed.
TEST_F(TenantSecurityTest, WorkersHoldingWeakReferencesAreDestroyedSafely) {
  const std::string router = R"js(
import { Router } from "hbf:router";
const router = new Router();
const seen = new WeakMap(), members = new WeakSet(), refs = [], kept = [];
router.get("/weak", (req, res) => {
  for (let i = 0; i < 50; i++) {
    const key = { at: req.url, i };
    seen.set(key, { back: key }); members.add(key); refs.push(new WeakRef(key)); kept.push(key);
  }
  res.json({ kept: kept.length > 0, version: VERSION });
});
export default router;
)js";
  for (int version = 1; version <= 4; ++version) {
    std::string code = router;
    code.replace(code.find("VERSION"), 7, std::to_string(version));
    Put("_system/router.js", code);
    std::vector<std::thread> clients;
    std::vector<HttpReply> replies(4);
    for (size_t i = 0; i < replies.size(); ++i) {
      clients.emplace_back([&, i] { replies[i] = Get("/weak?n=" + std::to_string(i)); });
    }
    for (auto& t : clients) t.join();
    for (const HttpReply& r : replies) {
      EXPECT_EQ(r.status, 200) << "version " << version << ": " << r.body << server_->logs();
      EXPECT_EQ(r.body, R"({"kept":true,"version":)" + std::to_string(version) + "}");
    }
  }
  // The retired workers are destroyed by the housekeeper, off the request path.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(Fetch(port(), {"GET", "/health", "localhost", {}, {}}).status, 200) << server_->logs();
  EXPECT_EQ(Get("/weak").status, 200) << server_->logs();
}

TEST_F(TenantSecurityTest, VisibilityCanBeSetPerDocumentAndByPathRules) {
  Put("lib/shared.js", "export const x = 1;");
  Put("_system/router.js", R"js(
import { Router } from "hbf:router";
import { x } from "../lib/shared.js";
const router = new Router();
router.get("/x", (req, res) => res.json(x));
export default router;
)js");
  Put("public/app.js", "client();");
  Put("docs/readme.txt", "hello");
  EXPECT_EQ(Get("/x").body, "1");
  EXPECT_EQ(Get("/lib/shared.js").status, 404);

  // The document's own visibility wins over everything but _system/.
  auto made_public = Patch("/_api/documents/lib/shared.js", R"({"visibility":"public"})");
  ASSERT_EQ(made_public.status, 200) << made_public.body;
  EXPECT_EQ(made_public.json().find("visibility")->as_string(), "public");
  EXPECT_EQ(Get("/lib/shared.js").status, 200);
  ASSERT_EQ(Patch("/_api/documents/public/app.js", R"({"visibility":"private"})").status, 200);
  EXPECT_EQ(Get("/public/app.js").status, 404);
  EXPECT_EQ(Patch("/_api/documents/_system/router.js", R"({"visibility":"public"})").status, 200);
  EXPECT_EQ(Get("/_system/router.js").status, 404) << "_system is never served";
  EXPECT_EQ(ErrorCode(Patch("/_api/documents/public/app.js", R"({"visibility":"world"})")), "invalid_field");
  EXPECT_EQ(Patch("/_api/documents/nope.txt", R"({"visibility":"public"})").status, 404);
  // PUT with ?visibility= sets it with the content.
  auto put = Api("PUT", "/_api/documents/notes/todo.txt?visibility=private", "x");
  ASSERT_TRUE(put.status == 200 || put.status == 201) << put.body;
  EXPECT_EQ(Get("/notes/todo.txt").status, 404);

  // Path rules in the henv's config.
  ASSERT_EQ(Patch("/_api/config", R"({"private_paths":"docs/**"})").status, 200);
  EXPECT_EQ(Get("/docs/readme.txt").status, 404);
  ASSERT_EQ(Patch("/_api/config", R"({"private_paths":null,"public_paths":"views/"})").status, 200);
  EXPECT_EQ(Get("/docs/readme.txt").status, 200);
  Put("views/about.html", "<h1>about</h1>", "text/html");
  EXPECT_EQ(Get("/views/about.html").status, 200) << "public_paths lifts the views/ default";
}

TEST_F(TenantSecurityTest, SettingsChangeThroughTheApiWithValidation) {
  auto all = Api("GET", "/_api/config");
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(all.json().find("config")->find("qjs_mem_mb")->as_string(), "64");

  auto set = Patch("/_api/config", R"({"qjs_timeout_ms": 2500, "env.API_URL": "https://api.example", "enable_audit_log": true})");
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_EQ(set.json().find("config")->find("qjs_timeout_ms")->as_string(), "2500");
  Put("_system/router.js", R"js(
import { Router } from "hbf:router";
const router = new Router();
router.get("/env", (req, res) => res.json({ url: process.env.API_URL, mem: process.env.qjs_mem_mb ?? null }));
export default router;
)js");
  EXPECT_EQ(Get("/env").body, R"({"url":"https://api.example","mem":null})");

  // Refused, naming the field, and nothing written.
  EXPECT_EQ(ErrorCode(Patch("/_api/config", R"({"code_version":"0"})")), "invalid_field");
  EXPECT_EQ(ErrorCode(Patch("/_api/config", R"({"qjs_mem_mb":"lots"})")), "invalid_field");
  EXPECT_EQ(ErrorCode(Patch("/_api/config", R"({"qjs_mem_mb":0})")), "invalid_field");
  // Above the server's own limit (--qjs_mem_mb, default 64): refused, not clamped.
  auto above = Patch("/_api/config", R"({"qjs_mem_mb":65})");
  EXPECT_EQ(ErrorCode(above), "invalid_field");
  EXPECT_NE(above.body.find("this server's limit"), std::string::npos) << above.body;
  EXPECT_EQ(Patch("/_api/config", R"({"qjs_mem_mb":64})").status, 200);
  EXPECT_EQ(ErrorCode(Patch("/_api/config", R"({"env.1BAD":"x"})")), "invalid_field");
  EXPECT_EQ(ErrorCode(Patch("/_api/config", R"({"env.OK":{"nested":1}})")), "invalid_field");
  EXPECT_EQ(ErrorCode(Patch("/_api/config", R"({"qjs_timeout_ms":100,"bogus":1})")), "invalid_field");
  EXPECT_EQ(Api("GET", "/_api/config").json().find("config")->find("qjs_timeout_ms")->as_string(), "2500");
  EXPECT_EQ(Patch("/_api/config", "[1]").status, 400);
  EXPECT_EQ(Api("PUT", "/_api/config", "{}").status, 405);

  // Plain users and anonymous callers may not.
  ASSERT_EQ(Api("POST", "/_api/users", R"({"username":"plain","password":"plain user pass"})").status, 201);
  auto login = Fetch(port(), {"POST", "/login", host_, {{"Content-Type", "application/json"}},
                              R"({"username":"plain","password":"plain user pass"})"});
  std::string plain = login.json().find("token")->as_string();
  EXPECT_EQ(Fetch(port(), {"GET", "/_api/config", host_, {{"Authorization", "Bearer " + plain}}, {}}).status, 403);
  EXPECT_EQ(Fetch(port(), {"GET", "/_api/config", host_, {}, {}}).status, 401);
}

TEST_F(TenantSecurityTest, AdminActionsAreAudited) {
  ASSERT_EQ(Api("POST", "/_api/users", R"({"username":"bob","password":"bob's long password"})").status, 201);
  ASSERT_EQ(Patch("/_api/users/2", R"({"role":"admin","password":"another long password"})").status, 200);
  Put("_system/router.js", "export default (req, res, next) => next();");
  ASSERT_EQ(Patch("/_api/config", R"({"env.STRIPE_KEY":"sk_live_secret","qjs_timeout_ms":3000})").status, 200);
  ASSERT_EQ(Api("POST", "/_api/keys/rotate").status, 200);
  ASSERT_EQ(Api("DELETE", "/_api/documents/_system/router.js").status, 200);
  ASSERT_EQ(Api("DELETE", "/_api/users/2").status, 200);

  auto audit = Api("GET", "/_api/audit");
  ASSERT_EQ(audit.status, 200) << audit.body;
  std::vector<std::string> actions;
  for (const Json& e : audit.json().find("entries")->as_array()) {
    actions.push_back(e.find("action")->as_string());
    EXPECT_EQ(e.find("actor")->as_string(), "onehenv");
  }
  EXPECT_EQ(actions, (std::vector<std::string>{"user.delete", "document.delete", "keys.rotate", "config.update",
                                               "document.create", "user.update", "user.create"}));
  EXPECT_EQ(audit.body.find("sk_live_secret"), std::string::npos) << "env values are secrets";
  EXPECT_EQ(audit.body.find("another long password"), std::string::npos);
  EXPECT_NE(audit.body.find("\"role\":\"admin\""), std::string::npos);
  EXPECT_NE(audit.body.find("document:_system/router.js"), std::string::npos);

  // Paginated, newest first.
  auto page1 = Api("GET", "/_api/audit?limit=3");
  ASSERT_EQ(page1.json().find("entries")->as_array().size(), 3u);
  int64_t next = page1.json().find("next_before")->as_int();
  auto page2 = Api("GET", "/_api/audit?limit=3&before=" + std::to_string(next));
  EXPECT_EQ(page2.json().find("entries")->as_array()[0].find("action")->as_string(), "config.update");
  EXPECT_EQ(ErrorCode(Api("GET", "/_api/audit?limit=abc")), "invalid_field");
  EXPECT_EQ(ErrorCode(Api("GET", "/_api/audit?limit=100000")), "invalid_field");

  // Switching it off is itself recorded; after that nothing is.
  ASSERT_EQ(Patch("/_api/config", R"({"enable_audit_log":false})").status, 200);
  ASSERT_EQ(Api("POST", "/_api/keys/rotate").status, 200);
  auto after = Api("GET", "/_api/audit?limit=1");
  EXPECT_EQ(after.json().find("entries")->as_array()[0].find("action")->as_string(), "config.update");
}

TEST_F(TenantSecurityTest, TheDocumentCountIsBounded) {
  auto listing = Api("GET", "/_api/documents?limit=500");
  const int64_t have = static_cast<int64_t>(listing.json().find("documents")->as_array().size());
  ASSERT_EQ(Patch("/_api/config", "{\"max_documents\": " + std::to_string(have + 1) + "}").status, 200);
  Put("one-more.txt", "fits", "text/plain");
  auto full = Api("PUT", "/_api/documents/too-many.txt", "x");
  EXPECT_EQ(full.status, 507) << full.body;
  EXPECT_EQ(ErrorCode(full), "quota_exceeded");
  Put("one-more.txt", "replacing is not adding", "text/plain");
  ASSERT_EQ(Api("DELETE", "/_api/documents/one-more.txt").status, 200);
  Put("now-it-fits.txt", "yes", "text/plain");
}

TEST_F(TenantSecurityTest, ScriptsManageAccountsThroughHbfAuth) {
  Put("_system/router.js", R"js(
import { Router } from "hbf:router";
import auth from "hbf:auth";
const router = new Router();
const wrap = (fn) => (req, res) => {
  try { res.json({ ok: fn(req) }); }
  catch (e) { res.status(e.status || 500).json({ code: e.code || "error", message: String(e.message) }); }
};
router.get("/me", wrap((req) => auth.currentUser(req)?.username ?? null));
router.get("/users", wrap(() => auth.listUsers().map((u) => u.username + ":" + u.role)));
router.post("/users", wrap((req) => auth.createUser(req.body).username));
router.post("/promote/:id", wrap((req) => auth.updateUser(Number(req.params.id), { role: "admin" }).role));
router.post("/demote-owner", wrap(() => auth.updateUser(1, { role: "user" })));
router.post("/signup", wrap((req) => auth.signup(req.body).role));
router.post("/app-login", wrap((req) => auth.login(req.body.username, req.body.password).token));
export default router;
)js");
  auto post = [&](const std::string& path, const std::string& body, const std::string& token = {}) {
    std::vector<std::pair<std::string, std::string>> headers = {{"Content-Type", "application/json"}};
    if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
    return Fetch(port(), {"POST", path, host_, headers, body});
  };
  // The owner (an admin caller) manages users; the rules are /_api/users'.
  auto created = post("/users", R"({"username":"carol","password":"carol's long password"})", token_);
  EXPECT_EQ(created.body, R"({"ok":"carol"})");
  EXPECT_EQ(post("/users", R"({"username":"carol","password":"carol's long password"})", token_).status, 409);
  EXPECT_EQ(post("/users", R"({"username":"x","password":"short"})", token_).json().find("code")->as_string(),
            "invalid_field");
  EXPECT_EQ(post("/users", R"({"username":"mallory","password":"a long password here","role":"owner"})", token_)
                .status,
            400);
  auto list = Fetch(port(), {"GET", "/users", host_, {{"Authorization", "Bearer " + token_}}, {}});
  EXPECT_EQ(list.body, R"({"ok":["onehenv:owner","carol:user"]})");
  EXPECT_EQ(post("/demote-owner", "{}", token_).status, 403);
  // Anonymous and plain users may not.
  EXPECT_EQ(Get("/users").status, 401);
  auto login = post("/app-login", R"({"username":"carol","password":"carol's long password"})");
  ASSERT_EQ(login.status, 200) << login.body;
  std::string carol = login.json().find("ok")->as_string();
  EXPECT_EQ(Fetch(port(), {"GET", "/me", host_, {{"Authorization", "Bearer " + carol}}, {}}).body, R"({"ok":"carol"})");
  EXPECT_EQ(Fetch(port(), {"GET", "/users", host_, {{"Authorization", "Bearer " + carol}}, {}}).status, 403);
  EXPECT_EQ(post("/promote/2", "{}", carol).status, 403);
  EXPECT_EQ(post("/promote/2", "{}", token_).body, R"({"ok":"admin"})");
  // Signup only when the henv allows it.
  auto closed = post("/signup", R"({"username":"dave","password":"dave's long password"})");
  EXPECT_EQ(closed.status, 403);
  EXPECT_EQ(closed.json().find("code")->as_string(), "signup_disabled");
  ASSERT_EQ(Patch("/_api/config", R"({"self_signup": true})").status, 200);
  EXPECT_EQ(post("/signup", R"({"username":"dave","password":"dave's long password"})").body, R"({"ok":"user"})");
  // Wrong passwords: 401, then the account's lockout (shared with POST /login).
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(post("/app-login", R"({"username":"dave","password":"wrong password!"})").status, 401) << i;
  }
  EXPECT_EQ(post("/app-login", R"({"username":"dave","password":"dave's long password"})").status, 429);
  auto http_login = Fetch(port(), {"POST", "/login", host_, {{"Content-Type", "application/json"}},
                                   R"({"username":"dave","password":"dave's long password"})"});
  EXPECT_EQ(http_login.status, 429) << "one lockout for both doors: " << http_login.body;
  // Signups count against the client's address: 20, then 429.
  int refused = 0;
  for (int i = 0; i < 25; ++i) {
    auto r = post("/signup", Json::MakeObject({{"username", "bulk" + std::to_string(i)},
                                               {"password", "a long enough password"}})
                                 .dump());
    if (r.status == 429) ++refused;
  }
  EXPECT_GE(refused, 4);
  // Audited as admin actions.
  EXPECT_NE(Api("GET", "/_api/audit").body.find("hbf:auth"), std::string::npos);
}

}  // namespace
}  // namespace hbf::test
