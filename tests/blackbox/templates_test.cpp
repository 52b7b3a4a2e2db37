// Black-box tests of EJS templates: res.render with includes, .ejs documents
// rendered by the default handler, and the templates API.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "blackbox/henv_fixture.h"
#include "db/database.h"

namespace hbf::test {
namespace {

using TemplatesTest = OneHenvTest;

TEST_F(TemplatesTest, TemplatesRenderFromRoutesDocumentsAndThePreviewApi) {
  Put("views/layout.ejs", "<h1><%= title %></h1>\n<%- include('partials/list', {items}) %>", "text/html");
  Put("views/partials/list.ejs", "<ul><% items.forEach(function (i) { %><li><%= i %></li><% }) %></ul>", "text/html");
  Put("_system/router.js", R"js(
import { Router } from "hbf:router";
const router = new Router();
router.get("/page", (req, res) => res.render("views/layout.ejs", { title: "A & B", items: ["<x>", "y"] }));
export default router;
)js");
  auto page = Get("/page");
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_EQ(page.body, "<h1>A &amp; B</h1>\n<ul><li>&lt;x&gt;</li><li>y</li></ul>");
  EXPECT_EQ(page.header("content-type").value_or(""), "text/html; charset=utf-8");

  // An .ejs document served by the default handler is rendered with the query.
  Put("hello.ejs", "Hello <%= query.name %>!", "text/html");
  EXPECT_EQ(Get("/hello.ejs?name=%3Cb%3E").body, "Hello &lt;b&gt;!");

  auto listed = Api("GET", "/_api/templates");
  ASSERT_EQ(listed.status, 200);
  EXPECT_EQ(listed.json().find("templates")->as_array().size(), 3u);
  auto preview = Api("POST", "/_api/templates/preview", R"({"source":"<%= 6 * 7 %>","data":{}})");
  EXPECT_EQ(preview.status, 200) << preview.body;
  EXPECT_EQ(*preview.json().find("html"), Json("42"));
  auto broken = Api("POST", "/_api/templates/preview", R"({"source":"line1\n<% if (x { %>","data":{}})");
  EXPECT_EQ(broken.status, 400) << broken.body;
}

// <%= escapes & < > " ' as ejs does, whatever the string holds: ASCII (done
// in C), characters past ASCII and lone surrogates (done in JavaScript), and
// values that are not strings.
TEST_F(TemplatesTest, EscapedOutputMatchesEjsForEveryKindOfString) {
  Put("views/esc.ejs", "<%= a %>|<%= b %>|<%= c %>|<%= d %>|<%= e %>|<%= f %>|<%= g %>|<%= h %>", "text/html");
  Put("_system/router.js", R"js(
import { Router } from "hbf:router";
const router = new Router();
const locals = { a: `x&y<z>"q'`, b: "plain", c: "caf\u00e9 & <b>", d: "\u{1F600}'\u{1F600}", e: 42, f: null,
                 g: "\uD800<", h: "&".repeat(300) + "\u00e9" };
router.get("/esc", (req, res) => res.render("esc", locals));
router.get("/lone", (req, res) => res.render("esc", locals, (err, html) => {
  if (err) return res.status(500).send(String(err));
  const g = html.split("|")[6];
  res.json({ length: g.length, first: g.charCodeAt(0), rest: g.slice(1) });
}));
export default router;
)js");
  auto page = Get("/esc");
  ASSERT_EQ(page.status, 200) << page.body;
  const std::string amps = [] {
    std::string s;
    for (int i = 0; i < 300; ++i) s += "&amp;";
    return s;
  }();
  // (g's lone surrogate goes on the wire as U+FFFD, as Node sends it)
  EXPECT_EQ(page.body, "x&amp;y&lt;z&gt;&#34;q&#39;|plain|caf\xC3\xA9 &amp; &lt;b&gt;|\xF0\x9F\x98\x80&#39;\xF0\x9F\x98\x80|42||"
                       "\xEF\xBF\xBD&lt;|" + amps + "\xC3\xA9");
  auto lone = Get("/lone");
  ASSERT_EQ(lone.status, 200) << lone.body;
  EXPECT_EQ(lone.body, R"({"length":5,"first":55296,"rest":"&lt;"})") << "the lone surrogate is kept as it is";
}

// A template edited in place is rendered in its new version by the worker
// that compiled the old one, also when only a byte differs and the length
// is the same, and when its include changes, or a script rewrites its row.
TEST_F(TemplatesTest, AnEditedTemplateRendersItsNewVersion) {
  Put("views/page.ejs", "A<%- include('part') %>", "text/html");
  Put("views/part.ejs", "[1]", "text/html");
  Put("_system/router.js", R"js(
import { Router } from "hbf:router";
import db from "hbf:db";
const router = new Router();
router.get("/page", (req, res) => res.render("page", {}));
router.post("/rewrite", (req, res) => {
  db.execute("UPDATE documents SET content = CAST(? AS BLOB) WHERE path = 'views/part.ejs'", ["[3]"]);
  res.json({ ok: true });
});
export default router;
)js");
  EXPECT_EQ(Get("/page").body, "A[1]");
  Put("views/page.ejs", "B<%- include('part') %>", "text/html");
  EXPECT_EQ(Get("/page").body, "B[1]");
  Put("views/part.ejs", "[2]", "text/html");
  EXPECT_EQ(Get("/page").body, "B[2]");
  auto rewrite = Api("POST", "/rewrite", "{}");
  ASSERT_EQ(rewrite.status, 200) << rewrite.body;
  EXPECT_EQ(Get("/page").body, "B[3]");
  Put("views/page.ejs", "A<%- include('part') %>", "text/html");
  EXPECT_EQ(Get("/page").body, "A[3]");
}


// A worker keeps the templates it read across renders while no document of
// the henv changes (hbf:templates, native.documentsEpoch): an edit through
// the API or by another process's commit is rendered from then on (another
// process's within the foreign-commit look's ~100 ms).
TEST_F(TemplatesTest, KeptTemplatesGiveWayToEveryEdit) {
  Put("views/kept.ejs", "v1 <%= n %>", "text/html");
  Put("_system/router.js", R"js(
import { Router } from "hbf:router";
const router = new Router();
let n = 0;
router.get("/kept", (req, res) => res.render("kept", { n: ++n }));
export default router;
)js");
  for (int i = 1; i <= 3; ++i) EXPECT_EQ(Get("/kept").body, "v1 " + std::to_string(i));
  Put("views/kept.ejs", "v2 <%= n %>", "text/html");
  EXPECT_EQ(Get("/kept").body, "v2 4");
  {
    auto db = db::Database::Open(server_->storage_dir() + "/" + hash_ + "/index.db");
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(db->Exec("UPDATE documents SET content = CAST('v3 <%= n %>' AS BLOB) WHERE path = 'views/kept.ejs'").ok());
  }
  std::string seen;
  for (int i = 0; i < 100 && seen.rfind("v3 ", 0) != 0; ++i) {
    seen = Get("/kept").body;
    if (seen.rfind("v3 ", 0) != 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(seen.substr(0, 3), "v3 ") << seen;
}

}  // namespace
}  // namespace hbf::test
