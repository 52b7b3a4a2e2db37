// Black-box tests of the built-in `express` module (issue #20): small apps
// written the Express 4 way - several ported from Express 4's examples/
// folder (hello-world, params, route-separation, error-pages,
// cookie-sessions, static-files, content-negotiation, view-locals,
// multi-router) - served by the real binary. Statuses, headers and bodies are
// what Express 4.21 gives for the same app (ETags computed as the `etag`
// package does), apart from what HBF owns: the socket (app.listen only logs)
// and what answers when the app has nothing (HBF's documents first).
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "blackbox/henv_fixture.h"
#include "codec/gzip.h"

namespace hbf::test {
namespace {

// Express's finalhandler page for `message`.
std::string ExpressPage(const std::string& message) {
  return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Error</title>\n</head>\n"
         "<body>\n<pre>" + message + "</pre>\n</body>\n</html>\n";
}

class ExpressTest : public OneHenvTest {
 protected:
  HttpReply Call(const std::string& method, const std::string& path,
                 std::vector<std::pair<std::string, std::string>> headers = {}, const std::string& body = {}) {
    return Fetch(port(), {method, path, host_, std::move(headers), body});
  }
  std::string H(const HttpReply& r, const std::string& name) { return r.header(name).value_or("<none>"); }
};

TEST_F(ExpressTest, HelloWorldAndExpressDefaults) {
  Put("_system/router.js", R"js(
import express from "express";
const app = express();
let listened = false;
app.get("/", (req, res) => res.send("Hello World"));
app.get("/listened", (req, res) => res.json({ listened }));
app.listen(3000, () => { listened = true; });
export default app;
)js");
  auto r = Get("/");
  EXPECT_EQ(r.status, 200) << r.body << server_->logs();
  EXPECT_EQ(r.body, "Hello World");
  EXPECT_EQ(H(r, "content-type"), "text/html; charset=utf-8");
  EXPECT_EQ(H(r, "x-powered-by"), "Express");
  EXPECT_EQ(H(r, "etag"), "W/\"b-Ck1VqNd45QIvq3AZd8XYQLvEhtA\"");

  auto cached = Call("GET", "/", {{"If-None-Match", "W/\"b-Ck1VqNd45QIvq3AZd8XYQLvEhtA\""}});
  EXPECT_EQ(cached.status, 304);
  EXPECT_EQ(cached.body, "");

  EXPECT_EQ(Get("/listened").body, "{\"listened\":true}");
  // (the server's output reaches the test through a reader thread: wait for the line)
  EXPECT_TRUE(server_->WaitForLog("app.listen(3000) ignored", std::chrono::seconds(5))) << server_->logs();

  // Nothing in the app and no document: Express's 404 page.
  auto missing = Get("/missing?x=1");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body, ExpressPage("Cannot GET /missing"));
  EXPECT_EQ(H(missing, "content-security-policy"), "default-src 'none'");
  EXPECT_EQ(H(missing, "content-type"), "text/html; charset=utf-8");
  EXPECT_EQ(H(missing, "x-powered-by"), "Express");
  auto post = Call("POST", "/", {{"Content-Type", "text/plain"}}, "x");
  EXPECT_EQ(post.status, 404);
  EXPECT_EQ(post.body, ExpressPage("Cannot POST /"));
  // The page shows the path as the client spelled it (finalhandler shows the
  // raw url), though routing saw its canonical form ("/b%2Fc").
  auto spelled = Get("/a/%2e%2e/b%2fc?q=1");
  EXPECT_EQ(spelled.status, 404);
  EXPECT_EQ(spelled.body, ExpressPage("Cannot GET /a/%2e%2e/b%2fc"));

  // But HBF's documents and login page still answer what the app leaves.
  Put("about.html", "<p>about</p>", "text/html");
  auto doc = Get("/about.html");
  EXPECT_EQ(doc.status, 200);
  EXPECT_EQ(doc.body, "<p>about</p>");
  EXPECT_EQ(Get("/login").status, 200);
}

TEST_F(ExpressTest, CommonJsRouterWithRouteSeparation) {
  // examples/route-separation: the app and its routes in CommonJS files.
  Put("_system/user.js", R"js(
const users = [{ name: "TJ" }, { name: "Tobi" }];
exports.list = function (req, res) { res.json(users.map((u) => u.name)); };
exports.load = function (req, res, next) {
  const user = users[req.params.id];
  if (!user) return next(new Error("cannot find user " + req.params.id));
  req.user = user;
  next();
};
exports.view = function (req, res) { res.send("Viewing " + req.user.name); };
)js");
  Put("_system/router.js", R"js(
const express = require("express");
const user = require("./user");
const app = express();
app.get("/users", user.list);
app.all("/user/:id/:op?", user.load);
app.get("/user/:id", user.view);
app.get("/user/:id/view", user.view);
module.exports = app;
)js");
  auto list = Get("/users");
  EXPECT_EQ(list.status, 200) << list.body << server_->logs();
  EXPECT_EQ(list.body, "[\"TJ\",\"Tobi\"]");
  EXPECT_EQ(H(list, "content-type"), "application/json; charset=utf-8");
  EXPECT_EQ(Get("/user/1").body, "Viewing Tobi");
  EXPECT_EQ(Get("/user/0/view").body, "Viewing TJ");
  auto bad = Get("/user/7");
  EXPECT_EQ(bad.status, 500);
  EXPECT_EQ(bad.body, ExpressPage("Internal Server Error"));  // production: no stack
}

TEST_F(ExpressTest, ParamsAndErrorPages) {
  // examples/params and examples/error-pages (default handler and a custom one).
  Put("_system/router.js", R"js(
import express from "hbf:express";
const app = express();
const users = [{ name: "tj" }, { name: "tobi" }, { name: "loki" }];
app.param(["to", "from"], (req, res, next, num, name) => {
  req.params[name] = parseInt(num, 10);
  if (isNaN(req.params[name])) {
    const err = new Error("failed to parseInt " + num);
    err.status = 400;
    next(err);
  } else next();
});
app.param("user", (req, res, next, id) => {
  if ((req.user = users[id])) next();
  else { const err = new Error("failed to find user"); err.status = 404; next(err); }
});
app.get("/user/:user", (req, res) => res.send("user " + req.user.name));
app.get("/users/:from-:to", (req, res) => {
  res.send("users " + users.slice(req.params.from, req.params.to + 1).map((u) => u.name).join(", "));
});
app.get("/403", (req, res, next) => { const err = new Error("not allowed!"); err.status = 403; next(err); });
app.get("/teapot", (req, res, next) => { res.status(418); next(new Error("no status")); });
app.get("/async", async () => { throw new Error("async boom"); });
const api = express.Router();
api.get("/boom", () => { throw new Error("boom"); });
api.use((err, req, res, next) => res.status(err.status || 500).json({ error: err.message }));
app.use("/api", api);
export default app;
)js");
  EXPECT_EQ(Get("/user/0").body, "user tj");
  EXPECT_EQ(Get("/users/0-1").body, "users tj, tobi");
  auto notFound = Get("/user/9");
  EXPECT_EQ(notFound.status, 404);
  EXPECT_EQ(notFound.body, ExpressPage("Not Found"));
  auto badParam = Get("/users/a-b");
  EXPECT_EQ(badParam.status, 400);
  EXPECT_EQ(badParam.body, ExpressPage("Bad Request"));
  EXPECT_EQ(Get("/403").status, 403);
  EXPECT_EQ(Get("/403").body, ExpressPage("Forbidden"));
  auto teapot = Get("/teapot");  // no status on the error: the response's 4xx/5xx is kept
  EXPECT_EQ(teapot.status, 418);
  EXPECT_EQ(teapot.body, ExpressPage("I&#39;m a Teapot"));  // escape-html, as Express
  EXPECT_EQ(Get("/async").status, 500);
  auto api = Get("/api/boom");
  EXPECT_EQ(api.status, 500);
  EXPECT_EQ(api.body, "{\"error\":\"boom\"}");
  // The error reached the henv's log as Express logs it (console.error(err.stack)).
  EXPECT_TRUE(server_->WaitForLog("not allowed!", std::chrono::seconds(5))) << server_->logs();
}

TEST_F(ExpressTest, ErrorPagesExampleWithItsOwn404And500) {
  // examples/error-pages: the app's own 404 (by Accept) and 500 pages.
  Put("views/404.ejs", "<h1>Not found: <%= url %></h1>", "text/ejs");
  Put("views/500.ejs", "<h1>Error: <%= error.message %></h1>", "text/ejs");
  Put("page.html", "<p>a document</p>", "text/html");
  Put("_system/router.js", R"js(
import express from "express";
const app = express();
app.get("/", (req, res) => res.send("home"));
app.get("/500", (req, res, next) => next(new Error("keyboard cat!")));
app.use((req, res, next) => {
  res.status(404);
  res.format({
    html: () => res.render("404", { url: req.url }),
    json: () => res.json({ error: "Not found" }),
    default: () => res.type("txt").send("Not found"),
  });
});
app.use((err, req, res, next) => {
  res.status(err.status || 500);
  res.render("500", { error: err });
});
export default app;
)js");
  auto html = Call("GET", "/nope", {{"Accept", "text/html"}});
  EXPECT_EQ(html.status, 404);
  EXPECT_EQ(html.body, "<h1>Not found: /nope</h1>");
  EXPECT_EQ(Call("GET", "/nope", {{"Accept", "application/json"}}).body, "{\"error\":\"Not found\"}");
  EXPECT_EQ(Call("GET", "/nope", {{"Accept", "image/png"}}).body, "Not found");
  auto err = Get("/500");
  EXPECT_EQ(err.status, 500);
  EXPECT_EQ(err.body, "<h1>Error: keyboard cat!</h1>");
  // The app answers every path itself (as in Node): its 404 wins over documents.
  EXPECT_EQ(Get("/page.html").status, 404);
}

TEST_F(ExpressTest, OnHeadersWrappersSeeEveryResponse) {
  // What cookie-session does through on-headers: wrap res.writeHead and set
  // the cookie when the headers go out, whichever way the response is sent.
  Put("public/hi.txt", "hi there", "text/plain");
  Put("_system/router.js", R"js(
import express from "express";
import http from "http";
import db from "hbf:db";
const app = express();
db.execute("CREATE TABLE IF NOT EXISTS finishes (path TEXT)");
// on-headers 1.0, as cookie-session uses it: status and headers first, then the listener.
function onHeaders(res, listener) {
  const prev = res.writeHead;
  let fired = false;
  res.writeHead = function (statusCode, ...rest) {
    const reason = typeof rest[0] === "string" ? [rest[0]] : [];
    const headers = reason.length ? rest[1] : rest[0];
    this.statusCode = statusCode;
    if (headers) for (const k of Object.keys(headers)) this.setHeader(k, headers[k]);
    if (!fired) { fired = true; listener.call(this); }
    return prev.call(this, this.statusCode, ...reason);
  };
}
app.use((req, res, next) => {
  onHeaders(res, function () {
    // as the `cookies` package sets it on an Express response
    http.OutgoingMessage.prototype.setHeader.call(this, "Set-Cookie",
      ["session=" + (req.session ? JSON.stringify(req.session.views) : "none") + "; path=/"]);
  });
  res.on("finish", () => db.execute("INSERT INTO finishes VALUES (?)", [req.path]));
  req.session = { views: Number(req.query.views || 0) + 1 };
  next();
});
app.get("/send", (req, res) => res.send("sent"));
app.get("/json", (req, res) => res.json({ ok: true }));
app.get("/redirect", (req, res) => res.redirect("/send"));
app.get("/end", (req, res) => { res.statusCode = 201; res.end(); });
app.get("/head", (req, res) => {
  const before = res.headersSent;
  res.writeHead(202, { "X-Mine": "1" });
  res.end(JSON.stringify({ before, after: res.headersSent }));
});
app.get("/finished", (req, res) => res.json(db.query("SELECT path FROM finishes ORDER BY rowid").map((r) => r.path)));
app.use(express.static("public"));
export default app;
)js");
  for (const char* path : {"/send?views=4", "/json?views=4", "/redirect?views=4", "/end?views=4", "/hi.txt?views=4"}) {
    auto r = Get(path);
    EXPECT_EQ(H(r, "set-cookie"), "session=5; path=/") << path << " " << r.status << " " << r.body;
  }
  EXPECT_EQ(Get("/redirect").status, 302);
  EXPECT_EQ(Get("/end").status, 201);
  auto head = Get("/head");
  EXPECT_EQ(head.status, 202);
  EXPECT_EQ(H(head, "x-mine"), "1");
  EXPECT_EQ(head.body, "{\"before\":false,\"after\":true}");
  // 'finish' fired once for each request answered above, after the answer.
  EXPECT_EQ(Get("/finished").body,
            "[\"/send\",\"/json\",\"/redirect\",\"/end\",\"/hi.txt\",\"/redirect\",\"/end\",\"/head\"]");
}

TEST_F(ExpressTest, StaticFiles) {
  // examples/static-files.
  Put("public/css/style.css", "body { color: red }", "text/css");
  Put("public/index.html", "<h1>home</h1>", "text/html");
  Put("public/.secret", "hidden", "text/plain");
  Put("public/docs/index.html", "<h1>docs</h1>", "text/html");
  Put("_system/router.js", R"js(
import express from "express";
const app = express();
app.use(express.static("public"));
app.use("/static", express.static("public", { maxAge: "1d", immutable: true }));
app.use("/strict", express.static("/public", { fallthrough: false, dotfiles: "deny" }));
export default app;
)js");
  auto css = Get("/css/style.css");
  EXPECT_EQ(css.status, 200) << css.body << server_->logs();
  EXPECT_EQ(css.body, "body { color: red }");
  EXPECT_EQ(H(css, "content-type"), "text/css; charset=UTF-8");
  EXPECT_EQ(H(css, "cache-control"), "public, max-age=0");
  EXPECT_EQ(H(css, "accept-ranges"), "bytes");
  const std::string etag = H(css, "etag");
  EXPECT_EQ(etag.rfind("W/\"13-", 0), 0u) << etag;  // 19 bytes
  EXPECT_NE(H(css, "last-modified"), "<none>");

  auto again = Call("GET", "/css/style.css", {{"If-None-Match", etag}});
  EXPECT_EQ(again.status, 304);
  auto since = Call("GET", "/css/style.css", {{"If-Modified-Since", H(css, "last-modified")}});
  EXPECT_EQ(since.status, 304);
  auto range = Call("GET", "/css/style.css", {{"Range", "bytes=0-3"}});
  EXPECT_EQ(range.status, 206);
  EXPECT_EQ(range.body, "body");
  EXPECT_EQ(H(range, "content-range"), "bytes 0-3/19");
  auto head = Fetch(port(), {"HEAD", "/css/style.css", host_, {}, {}});
  EXPECT_EQ(head.status, 200);

  EXPECT_EQ(Get("/").body, "<h1>home</h1>");
  auto dir = Get("/docs");
  EXPECT_EQ(dir.status, 301);
  EXPECT_EQ(H(dir, "location"), "/docs/");
  EXPECT_EQ(Get("/docs/").body, "<h1>docs</h1>");
  // Dotfiles are ignored: the request falls through to Express's 404.
  auto dot = Get("/.secret");
  EXPECT_EQ(dot.status, 404);
  EXPECT_EQ(dot.body, ExpressPage("Cannot GET /.secret"));

  auto cached = Get("/static/css/style.css");
  EXPECT_EQ(H(cached, "cache-control"), "public, max-age=86400, immutable");
  auto mount = Get("/static");
  EXPECT_EQ(mount.status, 301);
  EXPECT_EQ(H(mount, "location"), "/static/");

  auto strict = Get("/strict/nope.css");  // fallthrough: false -> next(err)
  EXPECT_EQ(strict.status, 404);
  EXPECT_EQ(strict.body, ExpressPage("Not Found"));
  EXPECT_EQ(Get("/strict/.secret").status, 403);
  EXPECT_EQ(Get("/strict/../_system/router.js").status, 404);  // the path is canonical first
  // An encoded slash names no document (serve-static would serve css/style.css),
  // so it cannot reach past a guard on "/css"; a traversal falls through.
  auto slash = Get("/css%2Fstyle.css");
  EXPECT_EQ(slash.status, 404);
  EXPECT_EQ(slash.body, ExpressPage("Cannot GET /css%2Fstyle.css"));
  EXPECT_EQ(Get("/strict/css%2fstyle.css").status, 404);
  EXPECT_EQ(Get("/static/..%2f..%2f_system%2frouter.js").status, 404);
  EXPECT_EQ(Call("POST", "/css/style.css").status, 404);
}

TEST_F(ExpressTest, ContentNegotiationAndResponseHelpers) {
  // examples/content-negotiation, plus jsonp, sendFile and download.
  Put("files/report.txt", "the report", "text/plain");
  Put("_system/router.js", R"js(
import express from "express";
const app = express();
const users = [{ name: "Tobi" }, { name: "Loki" }];
app.get("/", (req, res) => {
  res.format({
    html() { res.send("<ul>" + users.map((u) => "<li>" + u.name + "</li>").join("") + "</ul>"); },
    text() { res.send(users.map((u) => " - " + u.name + "\n").join("")); },
    json() { res.json(users); },
  });
});
app.get("/jsonp", (req, res) => res.jsonp({ a: 1 }));
app.get("/file", (req, res) => res.sendFile("report.txt", { root: "files" }));
app.get("/abs", (req, res) => res.sendFile("/files/report.txt"));
app.get("/missing", (req, res, next) => res.sendFile("/files/none.txt", (err) => res.status(err.status).send("cb " + err.code)));
app.get("/download", (req, res) => res.download("files/report.txt", "r.txt"));
app.get("/back", (req, res) => res.redirect("back"));
app.get("/loc", (req, res) => { res.location("/a b").vary("Accept").append("Link", "<x>").attachment("a.pdf").sendStatus(200); });
app.get("/bytes", (req, res) => res.send(Buffer.from("abc")));
app.get("/get", (req, res) => res.sendFile(req.query.f, { root: "files" }));
app.get("/abs-get", (req, res) => res.sendFile(req.query.f));
export default app;
)js");
  auto html = Call("GET", "/", {{"Accept", "text/html"}});
  EXPECT_EQ(html.body, "<ul><li>Tobi</li><li>Loki</li></ul>");
  EXPECT_EQ(H(html, "vary"), "Accept");
  auto text = Call("GET", "/", {{"Accept", "text/plain"}});
  EXPECT_EQ(text.body, " - Tobi\n - Loki\n");
  EXPECT_EQ(H(text, "content-type"), "text/plain; charset=utf-8");
  EXPECT_EQ(Call("GET", "/", {{"Accept", "application/json"}}).body, "[{\"name\":\"Tobi\"},{\"name\":\"Loki\"}]");
  auto none = Call("GET", "/", {{"Accept", "image/png"}});
  EXPECT_EQ(none.status, 406);
  EXPECT_EQ(none.body, ExpressPage("Not Acceptable"));

  auto jsonp = Get("/jsonp?callback=cb");
  EXPECT_EQ(jsonp.body, "/**/ typeof cb === 'function' && cb({\"a\":1});");
  EXPECT_EQ(H(jsonp, "content-type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(Get("/jsonp").body, "{\"a\":1}");

  auto file = Get("/file");
  EXPECT_EQ(file.status, 200);
  EXPECT_EQ(file.body, "the report");
  EXPECT_EQ(H(file, "content-type"), "text/plain; charset=UTF-8");
  EXPECT_EQ(Get("/abs").body, "the report");
  EXPECT_EQ(Get("/missing").body, "cb ENOENT");
  auto dl = Get("/download");
  EXPECT_EQ(dl.body, "the report");
  EXPECT_EQ(H(dl, "content-disposition"), "attachment; filename=\"r.txt\"");

  EXPECT_EQ(H(Call("GET", "/back", {{"Referer", "/from"}}), "location"), "/from");
  EXPECT_EQ(H(Get("/back"), "location"), "/");
  auto loc = Get("/loc");
  EXPECT_EQ(H(loc, "location"), "/a%20b");
  EXPECT_EQ(H(loc, "link"), "<x>");
  EXPECT_EQ(H(loc, "content-disposition"), "attachment; filename=\"a.pdf\"");
  EXPECT_EQ(H(Get("/bytes"), "content-type"), "application/octet-stream");
  // No way out of the root, and never _system/ (the path comes from the client here).
  EXPECT_EQ(Get("/get?f=report.txt").body, "the report");
  EXPECT_EQ(Get("/get?f=../_system/router.js").status, 403);
  EXPECT_EQ(Get("/get?f=a/../../_system/router.js").status, 403);
  EXPECT_EQ(Get("/get?f=%2E%2E%2F_system%2Frouter.js").status, 403);
  EXPECT_EQ(Get("/abs-get?f=/_system/router.js").status, 404);
  EXPECT_EQ(Get("/abs-get?f=/files/../_system/router.js").status, 403);
}

TEST_F(ExpressTest, ViewsLocalsAndEjs) {
  // examples/view-locals with EJS (the default engine on HBF).
  Put("views/users/index.ejs", "<h1><%= title %></h1><% users.forEach(function(u){ %><p><%= u %></p><% }) %><%= greeting %>",
      "text/ejs");
  Put("views/header.ejs", "<title><%= title %></title>", "text/ejs");
  Put("templates/page.ejs", "page <%= name %>", "text/ejs");
  Put("_system/router.js", R"js(
import express from "express";
const app = express();
app.locals.title = "Users";
app.use((req, res, next) => { res.locals.greeting = "hello"; next(); });
app.get("/", (req, res) => res.render("users", { users: ["tobi", "loki"] }));
app.get("/header", (req, res) => res.render("header"));
app.get("/other", (req, res) => {
  app.set("views", "templates");
  res.render("page", { name: "x" });
});
app.get("/cb", (req, res) => {
  app.render("header", { title: "T" }, (err, html) => res.send("got " + html));
});
app.get("/missing", (req, res) => res.render("nope"));
export default app;
)js");
  auto r = Get("/");
  EXPECT_EQ(r.status, 200) << r.body << server_->logs();
  EXPECT_EQ(r.body, "<h1>Users</h1><p>tobi</p><p>loki</p>hello");
  EXPECT_EQ(Get("/header").body, "<title>Users</title>");
  EXPECT_EQ(Get("/cb").body, "got <title>T</title>");
  EXPECT_EQ(Get("/other").body, "page x");
  auto missing = Get("/missing");
  EXPECT_EQ(missing.status, 500);
  // The views are never served as documents.
  EXPECT_EQ(Get("/views/header.ejs").status, 404);
}

TEST_F(ExpressTest, MultiRouterBodiesAndQueries) {
  // examples/multi-router, with express.json / urlencoded / text / raw.
  Put("_system/router.js", R"js(
import express from "express";
const app = express();
const v1 = express.Router();
v1.get("/", (req, res) => res.send("Hello from APIv1 root route."));
v1.get("/users", (req, res) => res.send("List of APIv1 users."));
const v2 = express.Router({ mergeParams: true });
v2.get("/where", (req, res) => res.json({ baseUrl: req.baseUrl, originalUrl: req.originalUrl, path: req.path, v: req.params.v }));
app.use("/api/v1", v1);
app.use("/api/:v/more", v2);
app.get("/", (req, res) => res.send("Hello from root route."));
app.post("/json", express.json({ limit: 20 }), (req, res) => res.json({ body: req.body, param: req.param("a") }));
app.post("/form", express.urlencoded({ extended: true }), (req, res) => res.json(req.body));
app.post("/simple", express.urlencoded({ extended: false }), (req, res) => res.json(req.body));
app.post("/text", express.text(), (req, res) => res.json({ body: req.body }));
app.post("/raw", express.raw({ type: "*/*" }), (req, res) => res.json({ len: req.body.length, buf: Buffer.isBuffer(req.body) }));
app.post("/none", (req, res) => res.json({ body: req.body === undefined ? "undefined" : req.body }));
app.post("/stream", (req, res) => {
  let data = "";
  req.setEncoding("utf8");
  req.on("data", (c) => { data += c; });
  req.on("end", () => res.json({ data }));
});
app.get("/q", (req, res) => res.json(req.query));
export default app;
)js");
  EXPECT_EQ(Get("/api/v1/").body, "Hello from APIv1 root route.");
  EXPECT_EQ(Get("/api/v1/users").body, "List of APIv1 users.");
  EXPECT_EQ(Get("/").body, "Hello from root route.");
  EXPECT_EQ(Get("/api/v2/more/where?x=1").body,
            "{\"baseUrl\":\"/api/v2/more\",\"originalUrl\":\"/api/v2/more/where?x=1\",\"path\":\"/where\",\"v\":\"v2\"}");

  const std::vector<std::pair<std::string, std::string>> json = {{"Content-Type", "application/json"}};
  EXPECT_EQ(Call("POST", "/json", json, "{\"a\":1}").body, "{\"body\":{\"a\":1},\"param\":1}");
  auto bad = Call("POST", "/json", json, "{nope");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.body, ExpressPage("Bad Request"));
  EXPECT_EQ(Call("POST", "/json", json, "\"str\"").status, 400);  // strict: objects and arrays only
  auto big = Call("POST", "/json", json, "{\"a\":\"0123456789012345678901234567890\"}");
  EXPECT_EQ(big.status, 413);
  EXPECT_EQ(big.body, ExpressPage("Payload Too Large"));
  EXPECT_EQ(Call("POST", "/json", {{"Content-Type", "application/json; charset=latin1"}}, "{}").status, 415);
  // Compressed bodies are inflated, as body-parser does; the limit is on the inflated size.
  EXPECT_EQ(Call("POST", "/json", {{"Content-Type", "application/json"}, {"Content-Encoding", "gzip"}},
                 codec::Gzip("{\"a\":2}")).body,
            "{\"body\":{\"a\":2},\"param\":2}");
  EXPECT_EQ(Call("POST", "/json", {{"Content-Type", "application/json"}, {"Content-Encoding", "gzip"}},
                 codec::Gzip("{\"a\":\"" + std::string(200, 'x') + "\"}")).status, 413);
  EXPECT_EQ(Call("POST", "/json", {{"Content-Type", "application/json"}, {"Content-Encoding", "gzip"}}, "not gzip").status,
            400);
  EXPECT_EQ(Call("POST", "/json", {{"Content-Type", "application/json"}, {"Content-Encoding", "br"}}, "{}").status, 415);

  const std::vector<std::pair<std::string, std::string>> form = {{"Content-Type", "application/x-www-form-urlencoded"}};
  EXPECT_EQ(Call("POST", "/form", form, "user[name]=tobi&user[email]=t%40x&tags[]=a&tags[]=b").body,
            "{\"user\":{\"name\":\"tobi\",\"email\":\"t@x\"},\"tags\":[\"a\",\"b\"]}");
  EXPECT_EQ(Call("POST", "/simple", form, "a[b]=1&a[b]=2").body, "{\"a[b]\":[\"1\",\"2\"]}");
  EXPECT_EQ(Call("POST", "/text", {{"Content-Type", "text/plain"}}, "hello").body, "{\"body\":\"hello\"}");
  EXPECT_EQ(Call("POST", "/raw", {{"Content-Type", "application/x-thing"}}, "abcd").body, "{\"len\":4,\"buf\":true}");
  EXPECT_EQ(Call("POST", "/none", json, "{\"a\":1}").body, "{\"body\":\"undefined\"}");  // no parser, no body
  EXPECT_EQ(Call("POST", "/stream", {{"Content-Type", "text/plain"}}, "streamed").body, "{\"data\":\"streamed\"}");

  EXPECT_EQ(Get("/q?a[b]=1&c[]=2&c[]=3&d[1]=x&e=1&e=2").body,
            "{\"a\":{\"b\":\"1\"},\"c\":[\"2\",\"3\"],\"d\":[\"x\"],\"e\":[\"1\",\"2\"]}");
  EXPECT_EQ(Get("/q?a[b][c][d][e][f][g]=1").body, "{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":{\"[g]\":\"1\"}}}}}}}");
  // (Express 4.22's array limit for queries: 1000)
  EXPECT_EQ(Get("/q?a[1000]=x&b[999]=y").body, "{\"a\":{\"1000\":\"x\"},\"b\":[\"y\"]}");
}

// express() reads NODE_ENV as Node's does, from process.env (the henv's
// env.* config), but without making the lazy `process` global when nothing
// touched it: hbf:node_process and what it imports were ~85 KB of every
// Express app's worker.
TEST_F(ExpressTest, NodeEnvComesFromTheHenvsConfigWithoutMakingProcess) {
  ASSERT_EQ(Api("PATCH", "/_api/config", R"({"env.NODE_ENV":"development"})").status, 200);
  Put("_system/router.js", R"js(
import express from "express";
const app = express();
const unmade = typeof Object.getOwnPropertyDescriptor(globalThis, "process").get === "function";
app.get("/env", (req, res) => res.json({
  env: app.get("env"), viewCache: app.enabled("view cache"), unmade, processEnv: process.env.NODE_ENV,
}));
export default app;
)js");
  EXPECT_EQ(Get("/env").body, R"({"env":"development","viewCache":false,"unmade":true,"processEnv":"development"})");
  // Once the app has touched process.env, express() reads it there.
  Put("_system/router.js", R"js(
import express from "express";
process.env.NODE_ENV = "test";
const app = express();
app.get("/env", (req, res) => res.json({ env: app.get("env"), viewCache: app.enabled("view cache") }));
export default app;
)js");
  EXPECT_EQ(Get("/env").body, R"({"env":"test","viewCache":false})");
  ASSERT_EQ(Api("PATCH", "/_api/config", R"({"env.NODE_ENV":"production"})").status, 200);
  Put("_system/router.js", R"js(
import express from "express";
const app = express();
app.get("/env", (req, res) => res.json({ env: app.get("env"), viewCache: app.enabled("view cache") }));
export default app;
)js");
  EXPECT_EQ(Get("/env").body, R"({"env":"production","viewCache":true})");
}

// req and res are made with the app's own prototypes (hbf:http), so that
// expressInit's Object.setPrototypeOf changes nothing on the top app; a
// mounted app still switches them to its own and back, app.request and
// app.response stay extensible (and replaceable), and bad header values
// are refused as Node refuses them.
TEST_F(ExpressTest, RequestsCarryTheirAppsPrototypes) {
  Put("_system/router.js", R"js(
import express from "express";
const app = express();
app.request.shout = function () { return this.path.toUpperCase(); };
app.response.hello = function () { return this.send("hello " + this.req.shout()); };
const sub = express();
sub.get("/where", (req, res) => res.json({ sub: Object.getPrototypeOf(req) === sub.request,
  subRes: Object.getPrototypeOf(res) === sub.response, shout: req.shout() }));
app.use("/sub", sub);
app.get("/where", (req, res) => res.json({ top: Object.getPrototypeOf(req) === app.request,
  topRes: Object.getPrototypeOf(res) === app.response, shout: req.shout() }));
app.get("/hello", (req, res) => res.hello());
app.get("/after-sub", (req, res, next) => next());
app.get("/replace", (req, res) => {
  const replaced = Object.create(app.request);
  replaced.shout = function () { return "replaced"; };
  app.request = replaced;
  res.send("ok");
});
app.get("/shout", (req, res) => res.send(req.shout()));
app.get("/header", (req, res) => {
  const out = {};
  for (const [name, value] of [["X-Ok", "caf\u00e9\tok"], ["X-Crlf", "a\r\nb"], ["X-Wide", "\u0100"]]) {
    try { res.setHeader(name, value); out[name] = "set"; } catch (e) { out[name] = e.name; }
  }
  res.json(out);
});
export default app;
)js");
  EXPECT_EQ(Get("/where").body, R"({"top":true,"topRes":true,"shout":"/WHERE"})");
  EXPECT_EQ(Get("/sub/where").body, R"({"sub":true,"subRes":true,"shout":"/WHERE"})");
  EXPECT_EQ(Get("/hello").body, "hello /HELLO");
  EXPECT_EQ(Get("/shout").body, "/SHOUT");
  EXPECT_EQ(Get("/replace").body, "ok");
  EXPECT_EQ(Get("/shout").body, "replaced") << "a replaced app.request is the next request's prototype";
  auto header = Get("/header");
  EXPECT_EQ(header.body, R"({"X-Ok":"set","X-Crlf":"TypeError","X-Wide":"TypeError"})");
  EXPECT_EQ(H(header, "x-ok"), "caf\xc3\xa9\tok");
}

TEST_F(ExpressTest, SettingsAreHonoured) {
  Put("_system/router.js", R"js(
import express from "express";
const app = express();
app.set("json spaces", 2);
app.set("etag", false);
app.disable("x-powered-by");
app.enable("case sensitive routing");
app.enable("strict routing");
app.set("jsonp callback name", "cb");
app.set("query parser", "simple");
app.set("trust proxy", true);
app.get("/Json", (req, res) => res.json({ a: 1 }));
app.get("/slash/", (req, res) => res.send("slash"));
app.get("/jsonp", (req, res) => res.jsonp({ a: 1 }));
app.get("/q", (req, res) => res.json(req.query));
app.get("/settings", (req, res) => res.json({
  spaces: app.get("json spaces"), enabled: app.enabled("strict routing"), disabled: app.disabled("x-powered-by"),
  env: app.get("env"), views: app.get("views"), engine: app.get("view engine"), ip: typeof req.ip,
  locals: app.locals.settings === app.settings, path: app.path(),
}));
const sub = express();
sub.get("/", (req, res) => res.json({ spaces: sub.get("json spaces"), mountpath: sub.mountpath, path: sub.path() }));
app.use("/sub", sub);
export default app;
)js");
  auto j = Get("/Json");
  EXPECT_EQ(j.body, "{\n  \"a\": 1\n}");
  EXPECT_EQ(H(j, "etag"), "<none>");
  EXPECT_EQ(H(j, "x-powered-by"), "<none>");
  EXPECT_EQ(Get("/json").status, 404);
  EXPECT_EQ(Get("/slash/").body, "slash");
  EXPECT_EQ(Get("/slash").status, 404);
  EXPECT_EQ(Get("/jsonp?cb=f").body, "/**/ typeof f === 'function' && f({\n  \"a\": 1\n});");
  EXPECT_EQ(Get("/q?a[b]=1").body, "{\n  \"a[b]\": \"1\"\n}");
  EXPECT_EQ(Get("/settings").body,
            "{\n  \"spaces\": 2,\n  \"enabled\": true,\n  \"disabled\": true,\n  \"env\": \"production\",\n"
            "  \"views\": \"views\",\n  \"engine\": \"ejs\",\n  \"ip\": \"string\",\n  \"locals\": true,\n"
            "  \"path\": \"\"\n}");
  // A mounted app inherits its parent's settings.
  EXPECT_EQ(Get("/sub").body, "{\n  \"spaces\": 2,\n  \"mountpath\": \"/sub\",\n  \"path\": \"/sub\"\n}");
}

TEST_F(ExpressTest, PlainRouterGetsTheNodeRequestAndResponseApi) {
  // The req/res additions are HBF's own: a plain hbf:router Router has them too.
  Put("files/a.txt", "0123456789", "text/plain");
  Put("views/users/index.ejs", "users <%= n %>", "text/ejs");
  Put("_system/router.js", R"js(
import { Router } from "hbf:router";
const router = new Router();
router.get("/users", (req, res) => res.render("users", { n: 2 }));
router.get("/etag", (req, res) => res.send("Hello World"));
router.get("/write-head", (req, res) => {
  res.writeHead(201, "Made", { "Content-Type": "text/plain", "X-A": "1" });
  res.write("a");
  res.end("b");
});
router.post("/echo", (req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c)).on("end", () => res.json({ text: Buffer.concat(chunks).toString(), param: req.param("x", "dflt") }));
});
router.post("/pipe", (req, res) => { res.setHeader("Content-Type", "text/plain"); req.pipe(res); });
router.get("/range", (req, res) => res.json({ r: req.range(100), none: req.range(5, { combine: true }) }));
router.get("/file", (req, res) => res.sendFile("/files/a.txt"));
router.get("/socket", (req, res) => res.json({ ip: req.socket.remoteAddress === req.ip, ended: res.writableEnded }));
router.get("/twice", (req, res) => {
  res.writeHead(200);
  let code = null;
  try { res.writeHead(200); } catch (e) { code = e.code; }
  res.end(code);
});
export default router;
)js");
  auto etag = Get("/etag");
  EXPECT_EQ(H(etag, "etag"), "W/\"b-Ck1VqNd45QIvq3AZd8XYQLvEhtA\"");
  EXPECT_EQ(H(etag, "x-powered-by"), "<none>");  // only express apps say Express
  EXPECT_EQ(Call("GET", "/etag", {{"If-None-Match", H(etag, "etag")}}).status, 304);
  auto head = Get("/write-head");
  EXPECT_EQ(head.status, 201);
  EXPECT_EQ(head.body, "ab");
  EXPECT_EQ(H(head, "x-a"), "1");
  EXPECT_EQ(Call("POST", "/echo?x=q", {{"Content-Type", "application/octet-stream"}}, "payload").body,
            "{\"text\":\"payload\",\"param\":\"q\"}");
  EXPECT_EQ(Call("POST", "/echo", {{"Content-Type", "application/octet-stream"}}, "").body,
            "{\"text\":\"\",\"param\":\"dflt\"}");
  EXPECT_EQ(Call("POST", "/pipe", {{"Content-Type", "text/plain"}}, "piped").body, "piped");
  EXPECT_EQ(Call("GET", "/range", {{"Range", "bytes=0-9,-10"}}).body,
            "{\"r\":[{\"start\":0,\"end\":9},{\"start\":90,\"end\":99}],\"none\":[{\"start\":0,\"end\":4}]}");
  auto file = Call("GET", "/file", {{"Range", "bytes=2-4"}});
  EXPECT_EQ(file.status, 206);
  EXPECT_EQ(file.body, "234");
  EXPECT_EQ(Get("/socket").body, "{\"ip\":true,\"ended\":false}");
  EXPECT_EQ(Get("/twice").body, "ERR_HTTP_HEADERS_SENT");
  EXPECT_EQ(Get("/users").body, "users 2");  // views/users/index.ejs, as Express looks views up
  // Unmatched paths keep HBF's JSON 404 for a plain Router.
  auto missing = Get("/nothing-here");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.error_code(), "not_found");
}

TEST_F(ExpressTest, BuiltInWinsOverAHenvsOwnExpressPackage) {
  Put("modules/express/package.json", R"({"name":"express","version":"4.21.2","main":"index.js"})",
      "application/json");
  Put("modules/express/index.js", "module.exports = function fake() { return 'the package'; };");
  Put("_system/router.js", R"js(
import express from "express";
const app = express();
const pkg = require("express/");
app.get("/", (req, res) => res.json({ builtIn: typeof app.set === "function", pkg: pkg() }));
export default app;
)js");
  auto r = Get("/");
  EXPECT_EQ(r.status, 200) << r.body << server_->logs();
  EXPECT_EQ(r.body, "{\"builtIn\":true,\"pkg\":\"the package\"}");
}

}  // namespace
}  // namespace hbf::test
