// hbf:templates API tests and res.render tests (portable: Node and qjs).
// Documents are put in the fake native's __docs overlay under "api/" and "views/".
import * as native from "hbf:native";
import * as templates from "hbf:templates";
import { dispatch } from "hbf:http";
import { Router } from "hbf:router";
import { makeSuite, assert, parseErrorMessage } from "./core.mjs";

const enc = (s) => native.utf8Encode(s);
const put = (id, text) => native.__docs.set(id, enc(text));
const del = (id) => native.__docs.set(id, null);

export function apiTests() {
  const { test, run } = makeSuite();

  test("escapeXML", () => {
    assert.equal(templates.escapeXML(`<a href="x">&'</a>`), "&lt;a href=&#34;x&#34;&gt;&amp;&#39;&lt;/a&gt;");
    assert.equal(templates.escapeXML(null), "");
    assert.equal(templates.escapeXML(undefined), "");
    assert.equal(templates.escapeXML(0), "0");
    assert.equal(templates.escapeXML("plain 日本 👍"), "plain 日本 👍");
    assert.equal(templates.default.escapeXML, templates.escapeXML);
  });

  test("default export", () => {
    for (const k of ["render", "compile", "renderDocument", "escapeXML"]) assert.equal(typeof templates.default[k], "function", k);
  });

  test("render: source or document id", () => {
    put("api/hello.ejs", "Hello <%= name %>!");
    assert.equal(templates.render("Hi <%= name %>", { name: "<x>" }), "Hi &lt;x&gt;");
    assert.equal(templates.render("two\nlines", {}), "two\nlines");
    assert.equal(templates.render("api/hello.ejs", { name: "doc" }), "Hello doc!");
    assert.equal(templates.render("/api/hello.ejs", { name: "slash" }), "Hello slash!");
    assert.equal(templates.render("plain words", {}, { source: true }), "plain words");
    assert.equal(templates.render("<?= 1 + 1 ?>", {}, { delimiter: "?" }), "2");
    const e = assert.throws(() => templates.render("<%= 1 %>", {}, { source: false }));
    assert.equal(e.name, "TemplateNotFound");
  });

  test("TemplateNotFound", () => {
    const e = assert.throws(() => templates.render("api/nope.ejs"));
    assert.equal(e.name, "TemplateNotFound");
    assert.ok(e instanceof Error);
    assert.equal(e.message, "template not found: api/nope.ejs");
    assert.equal(e.templateId, "api/nope.ejs");
    const e2 = assert.throws(() => templates.renderDocument("api/nope2.ejs"));
    assert.equal(e2.name, "TemplateNotFound");
  });

  test("compile returns a reusable function", () => {
    const fn = templates.compile("<%= a %>+<%- b %>", {});
    assert.equal(fn({ a: "<1>", b: "<2>" }), "&lt;1&gt;+<2>");
    assert.equal(fn({ a: 3, b: 4 }), "3+4");
    assert.equal(fn({ a: undefined, b: null }), "+");
  });

  test("async render returns a Promise", async () => {
    put("api/async.ejs", "<%= await Promise.resolve(v) %>");
    const p = templates.render("api/async.ejs", { v: "ok" }, { async: true });
    assert.ok(p instanceof Promise, "a Promise");
    assert.equal(await p, "ok");
    const fn = templates.compile("<%- await include('/api/hello', { name: 'inc' }) %>", { async: true });
    assert.equal(await fn({}), "Hello inc!");
  });

  test("include ids: relative, absolute, .ejs added, ..", () => {
    assert.equal(templates.resolveInclude("x", "views/a.ejs"), "views/x.ejs");
    assert.equal(templates.resolveInclude("./p/x", "views/a.ejs"), "views/p/x.ejs");
    assert.equal(templates.resolveInclude("/x.html", "views/a.ejs"), "x.html");
    assert.equal(templates.resolveInclude("../x", "a/b/c.ejs"), "a/x.ejs");
    assert.equal(templates.resolveInclude("x", undefined), "x.ejs");
    assert.equal(templates.resolveInclude("dir.d/x", "a.ejs"), "dir.d/x.ejs");
    assert.throws(() => templates.resolveInclude("../../x", "a/b.ejs"), (e) => /leaves the document root/.test(e.message));
    put("api/inc/main.ejs", "<%- include('../hello', { name: 'rel' }) %>|<%- include('/api/hello', { name: 'abs' }) %>");
    assert.equal(templates.render("api/inc/main.ejs"), "Hello rel!|Hello abs!");
  });

  test("include depth: 50 levels work, 51 throw", () => {
    for (let i = 0; i <= 51; i++) put(`api/chain/d${i}.ejs`, i === 51 ? "bottom" : `<%- include('d${i + 1}') %>`);
    put("api/chain/top50.ejs", "<%- include('d1') %>");
    assert.equal(templates.render("api/chain/d1.ejs"), "bottom"); // 50 nested includes
    const e = assert.throws(() => templates.render("api/chain/d0.ejs"));
    assert.includes(e.message, "deeper than 50 levels");
  });

  test("include cycle throws, with a bounded message", () => {
    put("api/cycle/a.ejs", "a\n<%- include('b') %>");
    put("api/cycle/b.ejs", "b\n<%- include('a') %>");
    const e = assert.throws(() => templates.render("api/cycle/a.ejs"));
    assert.includes(e.message, "deeper than 50 levels");
    const blocks = parseErrorMessage(e.message).blocks;
    assert.ok(blocks.length >= 1 && blocks.length <= 10, `1..10 contexts, got ${blocks.length}`);
    assert.equal(e.templateLine, 2);
  });

  test("legacy include cycle throws", () => {
    put("api/lcycle.ejs", "<% include lcycle %>");
    const e = assert.throws(() => templates.render("api/lcycle.ejs"));
    assert.includes(e.message, "deeper than 50 levels");
  });

  test("errors carry templateId/templateLine of the innermost template", () => {
    put("api/err/outer.ejs", "one\n<%- include('inner') %>\n");
    put("api/err/inner.ejs", "x\ny\n<% throw new Error('inner boom') %>\n");
    const e = assert.throws(() => templates.render("api/err/outer.ejs"));
    assert.equal(e.templateId, "api/err/inner.ejs");
    assert.equal(e.templateLine, 3);
    assert.includes(e.message, "api/err/outer.ejs:2\n");
    assert.includes(e.message, "api/err/inner.ejs:3\n");
    assert.includes(e.message, " >> 3| <% throw new Error('inner boom') %>");
    assert.ok(e.message.endsWith("\n\ninner boom"), "ends with the original message");
  });

  test("thrown non-errors are wrapped", () => {
    const e = assert.throws(() => templates.render("a\n<% throw 'str' %>", {}, { filename: "api/x.ejs" }));
    assert.ok(e instanceof Error);
    assert.equal(e.thrown, "str");
    assert.includes(e.message, "api/x.ejs:2");
  });

  test("a changed document is recompiled", () => {
    put("api/change.ejs", "v1 <%= x %>");
    assert.equal(templates.render("api/change.ejs", { x: 1 }), "v1 1");
    put("api/change.ejs", "v2 <%= x %>");
    assert.equal(templates.render("api/change.ejs", { x: 2 }), "v2 2");
  });

  test("a document changed to another of the same length, and back, renders each version", () => {
    put("api/same.ejs", "A <%= x %>");
    assert.equal(templates.render("api/same.ejs", { x: 1 }), "A 1");
    put("api/same.ejs", "B <%= x %>");
    assert.equal(templates.render("api/same.ejs", { x: 2 }), "B 2");
    put("api/same.ejs", "A <%= x %>");
    assert.equal(templates.render("api/same.ejs", { x: 3 }), "A 3");
  });

  test("a document's versions take one cache entry", () => {
    templates.clearCache();
    for (let i = 0; i < 5; i++) {
      put("api/versions.ejs", `v${i} <%= x %>`);
      assert.equal(templates.render("api/versions.ejs", { x: i }), `v${i} ${i}`);
    }
    assert.equal(templates.cacheStats().size, 1);
  });

  test("a changed legacy include invalidates its includer", () => {
    put("api/legacy/part.ejs", "part v1");
    put("api/legacy/main.ejs", "[<% include part %>]");
    assert.equal(templates.render("api/legacy/main.ejs"), "[part v1]");
    put("api/legacy/part.ejs", "part v2");
    assert.equal(templates.render("api/legacy/main.ejs"), "[part v2]");
    del("api/legacy/part.ejs");
    const e = assert.throws(() => templates.render("api/legacy/main.ejs"));
    assert.includes(e.message, 'Could not find the include file "part"');
  });

  test("documents are read once per render", () => {
    put("api/once/list.ejs", "<% for (let i = 0; i < 20; i++) { %><%- include('row', { i }) %><% } %>");
    put("api/once/row.ejs", "<%= i %>,");
    templates.render("api/once/list.ejs");
    const before = native.__stats.reads;
    const out = templates.render("api/once/list.ejs");
    assert.equal(out, Array.from({ length: 20 }, (_, i) => i + ",").join(""));
    assert.equal(native.__stats.reads - before, 2, "reads");
  });

  test("the cache is bounded", () => {
    for (let i = 0; i < 600; i++) templates.compile(`<%= ${i} %>`);
    const { size, limit } = templates.cacheStats();
    assert.ok(size <= limit, `size ${size} <= ${limit}`);
    assert.equal(limit, 500);
    assert.equal(templates.compile("<%= 599 %>")(), "599");
  });

  test("options are not read from data", () => {
    assert.equal(templates.render("<?= 1 ?><%= delimiter %>", { delimiter: "?" }), "<?= 1 ?>?");
  });

  test("syntax errors name the template", () => {
    const e = assert.throws(() => templates.render("a\nb\n<% if ( { %>\n", {}, { filename: "api/syn.ejs" }));
    assert.equal(e.name, "SyntaxError");
    assert.includes(e.message, "api/syn.ejs");
    if (typeof e.templateLine === "number") assert.equal(e.templateLine, 3);
  });

  test("lone surrogates in source", () => {
    assert.equal(templates.render("\ud800<%= 1 %>"), "\ud8001");
    assert.equal(templates.render("\udc00<%= 2 %>"), "\udc002");
  });

  // --- res.render ---------------------------------------------------------------------
  const get = (router, url = "/") => dispatch(router, { method: "GET", url, headers: [] });
  const header = (r, name) => (r.headers.find(([n]) => n.toLowerCase() === name) || [])[1];

  test("res.render: app locals, res.locals, locals; text/html", async () => {
    put("views/hello.ejs", "<h1><%= title %></h1><%= site %>|<%= user %>|<%= over %>");
    const router = new Router();
    router.locals.site = "Site&Co";
    router.locals.over = "app";
    router.use((req, res, next) => {
      res.locals.user = "U<1>";
      res.locals.over = "res";
      next();
    });
    router.get("/", (req, res) => res.render("hello", { title: "<T>", over: "call" }));
    router.get("/b", (req, res) => res.render("hello", { title: "b" }));
    const r = await get(router);
    assert.equal(r.error, undefined, r.error && r.error.message);
    assert.equal(r.status, 200);
    assert.equal(header(r, "content-type"), "text/html; charset=utf-8");
    assert.equal(r.body, "<h1>&lt;T&gt;</h1>Site&amp;Co|U&lt;1&gt;|call");
    const r2 = await get(router, "/b");
    assert.equal(r2.body, "<h1>b</h1>Site&amp;Co|U&lt;1&gt;|res");
  });

  test("res.render: view lookup", async () => {
    put("views/look.ejs", "views/look.ejs");
    put("api/look.ejs", "api/look.ejs");
    put("api/plain", "no extension <%= 1 %>");
    const seen = [];
    const router = new Router();
    router.get("/:n", (req, res) => res.render(decodeURIComponent(req.params.n), (err, html) => {
      seen.push(err ? err.name : html);
      res.send("x");
    }));
    for (const v of ["look", "look.ejs", "api/look", "api/look.ejs", "api/plain", "missing"]) await get(router, "/" + encodeURIComponent(v));
    assert.equal(JSON.stringify(seen), JSON.stringify(["views/look.ejs", "views/look.ejs", "api/look.ejs", "api/look.ejs", "no extension 1", "TemplateNotFound"]));
  });

  test("res.render: callback gets the html, nothing is sent", async () => {
    put("views/cb.ejs", "cb <%= v %>");
    const router = new Router();
    router.get("/", (req, res) => res.render("cb", { v: 1 }, (err, html) => res.type("text").send(err ? "err" : html.toUpperCase())));
    const r = await get(router);
    assert.equal(r.body, "CB 1");
    assert.equal(header(r, "content-type"), "text/plain; charset=utf-8");
  });

  test("res.render: errors go to next(err)", async () => {
    put("views/bad.ejs", "fine\n<%= nope.x %>\n");
    const router = new Router();
    router.get("/missing", (req, res) => res.render("no-such-view"));
    router.get("/bad", (req, res) => res.render("bad"));
    router.get("/handled", (req, res) => res.render("bad"));
    router.use("/handled", (err, req, res, next) => res.status(500).send("caught " + err.templateId + ":" + err.templateLine));
    const r1 = await get(router, "/missing");
    assert.equal(r1.error && r1.error.name, "TemplateNotFound");
    const r2 = await get(router, "/bad");
    assert.ok(r2.error, "an error result");
    assert.includes(r2.error.message, "views/bad.ejs:2");
    const r3 = await get(router, "/handled");
    assert.equal(r3.status, 500);
    assert.equal(r3.body, "caught views/bad.ejs:2");
  });

  test("res.render: async templates (async in locals, as with ejs under Express)", async () => {
    put("views/async.ejs", "<%= await Promise.resolve(v) %>|<%- await include('hello', { title: 't', site: 's', user: 'u', over: 'o' }) %>");
    const router = new Router();
    router.get("/", (req, res) => res.render("async", { v: "<a>", async: true }));
    const r = await get(router);
    assert.equal(r.error, undefined, r.error && r.error.message);
    assert.equal(r.body, "&lt;a&gt;|<h1>t</h1>s|u|o");
  });

  test("res.render with a plain function router", async () => {
    put("views/fn.ejs", "fn <%= x %>");
    const r = await get((req, res) => res.render("fn", { x: "y" }));
    assert.equal(r.body, "fn y");
  });

  return run();
}
