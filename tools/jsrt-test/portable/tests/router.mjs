import { test, assert } from "../harness.mjs";
import { Router, Route, pathToRegExp, stackReach } from "hbf:router";
import { __fake } from "hbf:native";
import { call, text, json, header } from "../helpers.mjs";

const echo = (tag) => (req, res) => res.json({ tag, params: req.params, path: req.path, url: req.url, baseUrl: req.baseUrl, originalUrl: req.originalUrl });

test("Router works with and without new; routers are functions", () => {
  const a = new Router();
  const b = Router();
  assert.ok(a instanceof Router);
  assert.ok(b instanceof Router);
  assert.equal(typeof a, "function");
  assert.equal(a.length, 3);
  class Sub extends Router {}
  const s = new Sub();
  assert.ok(s instanceof Sub && s instanceof Router);
  assert.equal(typeof s.get, "function");
});

test("registration order decides; first matching route answers", async () => {
  const r = new Router();
  r.get("/a", echo("first"));
  r.get("/a", echo("second"));
  r.get("/:x", echo("param"));
  assert.equal(json(await call(r, { url: "/a" })).tag, "first");
  assert.equal(json(await call(r, { url: "/b" })).tag, "param");
});

test("methods: get/post/put/patch/delete/options/all and method mismatch", async () => {
  const r = new Router();
  for (const m of ["get", "post", "put", "patch", "delete"]) r[m]("/m", (req, res) => res.send(m));
  r.all("/any", (req, res) => res.send("all:" + req.method));
  for (const m of ["GET", "POST", "PUT", "PATCH", "DELETE"]) {
    assert.equal(text(await call(r, { method: m, url: "/m" })), m.toLowerCase());
  }
  assert.equal(text(await call(r, { method: "PURGE", url: "/any" })), "all:PURGE");
  assert.deepEqual(await call(r, { method: "PURGE", url: "/m" }), { handled: false });
});

test("route() chaining and Route class", async () => {
  const r = new Router();
  const route = r.route("/book").get((req, res) => res.send("get")).post((req, res) => res.send("post"));
  assert.ok(route instanceof Route);
  assert.equal(text(await call(r, { url: "/book" })), "get");
  assert.equal(text(await call(r, { method: "POST", url: "/book" })), "post");
  assert.throws(() => r.route("/x").get("nope"), /requires a callback function but got a string/);
  assert.throws(() => r.use("/x"), /requires a middleware function/);
  assert.throws(() => r.use("/x", 5), /requires a middleware function but got a number/);
});

test("handlers may be nested arrays", async () => {
  const r = new Router();
  const seen = [];
  const mk = (n) => (req, res, next) => { seen.push(n); next(); };
  r.get("/x", [mk(1), [mk(2), [mk(3)]]], mk(4), (req, res) => res.send(seen.join()));
  r.use([[mk("u")]]);
  assert.equal(text(await call(r, { url: "/x" })), "1,2,3,4");
});

test("params: named, optional, custom regex, decoding", async () => {
  const r = new Router();
  r.get("/user/:id(\\d+)", echo("num"));
  r.get("/user/:name", echo("name"));
  r.get("/opt/:a/:b?", echo("opt"));
  r.get("/file/:name.:ext", echo("file"));
  r.get("/enc/:v", echo("enc"));
  assert.deepEqual(json(await call(r, { url: "/user/42" })), { tag: "num", params: { id: "42" }, path: "/user/42", url: "/user/42", baseUrl: "", originalUrl: "/user/42" });
  assert.deepEqual(json(await call(r, { url: "/user/bob" })).params, { name: "bob" });
  assert.deepEqual(json(await call(r, { url: "/opt/1" })).params, { a: "1" });
  assert.deepEqual(json(await call(r, { url: "/opt/1/2" })).params, { a: "1", b: "2" });
  assert.deepEqual(json(await call(r, { url: "/file/report.pdf" })).params, { name: "report", ext: "pdf" });
  assert.deepEqual(json(await call(r, { url: "/enc/a%20b%2Fc%C3%A9" })).params, { v: "a b/cé" });
  const opt = await call(r, { url: "/opt/1" });
  assert.ok(!("b" in json(opt).params));
});

test("bad %-escape in a param -> 400 error reaching error middleware", async () => {
  const r = new Router();
  r.get("/p/:v", echo("p"));
  const bare = await call(r, { url: "/p/%E0%A4%A" });
  assert.equal(bare.handled, true);
  assert.equal(bare.error.status, 400);
  assert.match(bare.error.message, /Failed to decode param '%E0%A4%A'/);
  assert.equal(bare.error.name, "URIError");

  const r2 = new Router();
  r2.get("/p/:v", echo("p"));
  r2.use((req, res, next) => res.send("not reached"));
  r2.use((err, req, res, next) => res.status(err.status).json({ msg: err.message }));
  const out = await call(r2, { url: "/p/%zz" });
  assert.equal(out.status, 400);
  assert.equal(json(out).msg, "Failed to decode param '%zz'");
});

test("wildcards and RegExp paths capture numbered params", async () => {
  const r = new Router();
  r.get("/files/*", echo("star"));
  r.get("/two/*/and/*", echo("two"));
  r.get(/^\/re\/(\w+)-(\d+)$/, echo("re"));
  r.get(/^\/named\/(?<slug>[a-z]+)$/, echo("named"));
  assert.deepEqual(json(await call(r, { url: "/files/a/b%20c.txt" })).params, { 0: "a/b c.txt" });
  assert.deepEqual(json(await call(r, { url: "/two/x/and/y/z" })).params, { 0: "x", 1: "y/z" });
  assert.deepEqual(json(await call(r, { url: "/re/abc-12" })).params, { 0: "abc", 1: "12" });
  assert.deepEqual(json(await call(r, { url: "/named/hello" })).params, { slug: "hello" });
  const all = new Router();
  all.get("*", echo("all"));
  assert.deepEqual(json(await call(all, { url: "/any/thing" })).params, { 0: "/any/thing" });
});

test("array of paths", async () => {
  const r = new Router();
  r.get(["/a/:id", "/b/:id", /^\/c$/], echo("arr"));
  assert.deepEqual(json(await call(r, { url: "/a/1" })).params, { id: "1" });
  assert.deepEqual(json(await call(r, { url: "/b/2" })).params, { id: "2" });
  assert.equal(json(await call(r, { url: "/c" })).tag, "arr");
  assert.deepEqual(await call(r, { url: "/d/1" }), { handled: false });
});

test("trailing slash and case: non-strict/insensitive by default; options honoured", async () => {
  const r = new Router();
  r.get("/Path", echo("p"));
  assert.equal(json(await call(r, { url: "/path/" })).tag, "p");
  assert.equal(json(await call(r, { url: "/PATH" })).tag, "p");
  const strict = new Router({ strict: true, caseSensitive: true });
  strict.get("/Path", echo("p"));
  strict.get("/dir/", echo("dir"));
  assert.equal((await call(strict, { url: "/path" })).handled, false);
  assert.equal((await call(strict, { url: "/Path/" })).handled, false);
  assert.equal(json(await call(strict, { url: "/Path" })).tag, "p");
  assert.equal(json(await call(strict, { url: "/dir/" })).tag, "dir");
  assert.equal((await call(strict, { url: "/dir" })).handled, false);
});

test("query string does not affect matching; req.path excludes it", async () => {
  const r = new Router();
  r.get("/q", (req, res) => res.json({ path: req.path, url: req.url, query: req.query }));
  const out = json(await call(r, { url: "/q?a=1&a=2&b=&c=x+y&d=%41" }));
  assert.deepEqual(out, { path: "/q", url: "/q?a=1&a=2&b=&c=x+y&d=%41", query: { a: ["1", "2"], b: "", c: "x y", d: "A" } });
});

test("use(): prefix at segment boundaries, strips mount path, restores after", async () => {
  const r = new Router();
  const seen = [];
  r.use("/api", (req, res, next) => { seen.push([req.baseUrl, req.url, req.path, req.originalUrl]); next(); });
  r.use("/api", (req, res, next) => next());
  r.get("/api/x", (req, res) => res.json({ seen, baseUrl: req.baseUrl, url: req.url }));
  const out = json(await call(r, { url: "/api/x?q=1" }));
  assert.deepEqual(out.seen, [["/api", "/x?q=1", "/x", "/api/x?q=1"]]);
  assert.equal(out.baseUrl, "");
  assert.equal(out.url, "/api/x?q=1");
  seen.length = 0;
  await call(r, { url: "/apix" });
  assert.deepEqual(seen, []);
  await call(r, { url: "/api" });
  assert.deepEqual(seen, [["/api", "/", "/", "/api"]]);
  seen.length = 0;
  await call(r, { url: "/api.json" });
  assert.deepEqual(seen, []);
  await call(r, { url: "/API/y" });
  assert.deepEqual(seen, [["/API", "/y", "/y", "/API/y"]]);
});

test("use() mounts routers with params, nested baseUrl, mergeParams", async () => {
  const root = new Router();
  const users = new Router();
  const posts = new Router({ mergeParams: true });
  const plain = new Router();
  posts.get("/:postId", (req, res) => res.json({ params: req.params, baseUrl: req.baseUrl, url: req.url, orig: req.originalUrl }));
  plain.get("/:postId", (req, res) => res.json({ params: req.params }));
  users.use("/:userId/posts", posts);
  users.use("/:userId/plain", plain);
  root.use("/users", users);
  root.get("/after", (req, res) => res.json({ baseUrl: req.baseUrl, params: req.params }));
  assert.deepEqual(json(await call(root, { url: "/users/7/posts/9" })), {
    params: { userId: "7", postId: "9" }, baseUrl: "/users/7/posts", url: "/9", orig: "/users/7/posts/9",
  });
  assert.deepEqual(json(await call(root, { url: "/users/7/plain/9" })).params, { postId: "9" });
  assert.deepEqual(json(await call(root, { url: "/after" })), { baseUrl: "", params: {} });
});

test("mounted router falls through and restores url/baseUrl/params", async () => {
  const root = new Router();
  const sub = new Router();
  sub.get("/only", echo("sub"));
  root.use("/s/:x", sub);
  root.use((req, res) => res.json({ url: req.url, baseUrl: req.baseUrl, params: req.params, path: req.path }));
  assert.deepEqual(json(await call(root, { url: "/s/1/other?z" })), { url: "/s/1/other?z", baseUrl: "", params: {}, path: "/s/1/other" });
  assert.equal(json(await call(root, { url: "/s/1/only" })).tag, "sub");
});

test("mounting with trailing slash path and root mount", async () => {
  const r = new Router();
  r.use("/t/", (req, res) => res.json({ baseUrl: req.baseUrl, url: req.url }));
  assert.deepEqual(json(await call(r, { url: "/t/x" })), { baseUrl: "/t", url: "/x" });
  const r2 = new Router();
  r2.use("/", (req, res) => res.json({ baseUrl: req.baseUrl, url: req.url }));
  assert.deepEqual(json(await call(r2, { url: "/t/x" })), { baseUrl: "", url: "/t/x" });
});

test("next('route') skips remaining handlers of the route only", async () => {
  const r = new Router();
  const seen = [];
  r.get("/x", (req, res, next) => { seen.push(1); next("route"); }, (req, res) => { seen.push(2); res.send("no"); });
  r.get("/x", (req, res) => { seen.push(3); res.send(seen.join()); });
  assert.equal(text(await call(r, { url: "/x" })), "1,3");
});

test("a route with one handler: next(), next('route'), next('router'), HEAD, a late throw", async () => {
  const r = new Router();
  const seen = [];
  r.get("/x", (req, res, next) => { seen.push("a:" + req.route.path); next(); });
  r.get("/x", (req, res, next) => { seen.push("b"); next("route"); });
  r.get("/x", (req, res) => { seen.push("c"); res.send(seen.join()); });
  assert.equal(text(await call(r, { url: "/x" })), "a:/x,b,c");
  assert.equal(text(await call(r, { method: "HEAD", url: "/x" })), "a:/x,b,c,a:/x,b,c");
  // A HEAD request passes a route without GET or HEAD handlers.
  const h = new Router();
  h.post("/p", (req, res) => res.send("post"));
  h.use((req, res) => res.send("after:" + req.method));
  assert.equal(text(await call(h, { method: "HEAD", url: "/p" })), "after:HEAD");
  // next('router') from a one-handler route leaves its router.
  const outer = new Router();
  const inner = new Router();
  inner.get("/y", (req, res, next) => next("router"));
  inner.get("/y", (req, res) => res.send("inner"));
  outer.use(inner);
  outer.get("/y", (req, res) => res.send("outer"));
  assert.equal(text(await call(outer, { url: "/y" })), "outer");
  // A throw after next() does not run the chain a second time.
  const late = new Router();
  let errors = 0;
  late.get("/l", (req, res, next) => { next(); throw new Error("late"); });
  late.get("/l", (req, res) => res.send("second"));
  late.use((err, req, res, next) => { errors++; res.status(500).send("error"); });
  assert.equal(text(await call(late, { url: "/l" })), "second");
  assert.equal(errors, 0);
  // A handler taking (err, req, res, next) on a route never runs without an error.
  const four = new Router();
  four.get("/f", (err, req, res, next) => res.send("four"));
  four.get("/f", (req, res) => res.send("three"));
  assert.equal(text(await call(four, { url: "/f" })), "three");
});

test("next('router') leaves the current router", async () => {
  const root = new Router();
  const sub = new Router();
  sub.use((req, res, next) => next("router"));
  sub.get("/x", (req, res) => res.send("sub"));
  root.use(sub);
  root.get("/x", (req, res) => res.send("root"));
  assert.equal(text(await call(root, { url: "/x" })), "root");
  const top = new Router();
  top.use((req, res, next) => next("router"));
  top.get("/x", (req, res) => res.send("unreached"));
  assert.deepEqual(await call(top, { url: "/x" }), { handled: false });
  // next('router') from inside a route handler
  const r3 = new Router();
  const inner = new Router();
  inner.get("/y", (req, res, next) => next("router"), (req, res) => res.send("no"));
  r3.use(inner);
  r3.get("/y", (req, res) => res.send("outer"));
  assert.equal(text(await call(r3, { url: "/y" })), "outer");
});

test("error middleware: sync throw, next(err), async rejection, skipped without error", async () => {
  const mk = () => {
    const r = new Router();
    r.use((err, req, res, next) => res.send("should be skipped"));
    r.get("/sync", () => { throw new Error("sync boom"); });
    r.get("/next", (req, res, next) => next(new Error("next boom")));
    r.get("/async", async () => { await null; throw new Error("async boom"); });
    r.get("/reject", () => Promise.reject(new Error("rejected")));
    r.get("/falsy", () => Promise.reject(0));
    r.get("/ok", (req, res) => res.send("ok"));
    r.use((req, res, next) => res.send("normal middleware skipped on error?"));
    r.use((err, req, res, next) => next(err));
    r.use((err, req, res, next) => res.status(err.status || 500).json({ message: err.message }));
    return r;
  };
  const r = mk();
  assert.equal(text(await call(r, { url: "/ok" })), "ok");
  for (const [url, msg] of [["/sync", "sync boom"], ["/next", "next boom"], ["/async", "async boom"], ["/reject", "rejected"], ["/falsy", "Rejected promise"]]) {
    const out = await call(r, { url });
    assert.equal(out.status, 500, url);
    assert.equal(json(out).message, msg, url);
  }
  // a 3-arg middleware after the error is skipped; the unmatched case goes to the normal one
  assert.equal(text(await call(r, { url: "/nothing" })), "normal middleware skipped on error?");
});

test("error handlers in a route stack; error handler can recover with next()", async () => {
  const r = new Router();
  r.get("/x", (req, res, next) => next(new Error("e1")), (err, req, res, next) => { req.recovered = err.message; next(); }, (req, res) => res.send("recovered " + req.recovered));
  assert.equal(text(await call(r, { url: "/x" })), "recovered e1");
});

test("unhandled error -> handled:true with error info (status kept for 4xx)", async () => {
  const r = new Router();
  r.get("/e", () => { const e = new TypeError("bad thing"); throw e; });
  r.get("/s", () => { const e = new Error("nope"); e.status = 403; throw e; });
  r.get("/sc", () => { const e = new Error("teapot"); e.statusCode = 418; throw e; });
  r.get("/str", () => { throw "a string"; });
  const e = await call(r, { url: "/e" });
  assert.equal(e.handled, true);
  assert.equal(e.error.name, "TypeError");
  assert.equal(e.error.message, "bad thing");
  assert.equal(typeof e.error.stack, "string");
  assert.ok(!("status" in e.error));
  assert.equal((await call(r, { url: "/s" })).error.status, 403);
  assert.equal((await call(r, { url: "/sc" })).error.status, 418);
  const s = await call(r, { url: "/str" });
  assert.equal(s.error.message, "a string");
});

test("handled:false when nothing matched or everything called next()", async () => {
  const r = new Router();
  r.use((req, res, next) => next());
  r.get("/x", (req, res, next) => next());
  assert.deepEqual(await call(r, { url: "/x" }), { handled: false });
  assert.deepEqual(await call(new Router(), { url: "/" }), { handled: false });
  const h = new Router();
  h.use((req, res, next) => { res.set("X-Seen", "1"); next(); });
  const out = await call(h, { url: "/doc" });
  assert.equal(out.handled, false);
  assert.deepEqual(out.headers, [["X-Seen", "1"]]);
});

test("HEAD falls back to GET routes, explicit HEAD wins", async () => {
  const r = new Router();
  r.get("/g", (req, res) => res.send("get:" + req.method));
  r.head("/h", (req, res) => res.set("X-Head", "1").end());
  r.get("/h", (req, res) => res.send("get"));
  const g = await call(r, { method: "HEAD", url: "/g" });
  assert.equal(g.status, 200);
  assert.equal(text(g), "get:HEAD");
  const h = await call(r, { method: "HEAD", url: "/h" });
  assert.equal(header(h, "x-head"), "1");
  r.post("/p", (req, res) => res.send("p"));
  assert.equal((await call(r, { method: "HEAD", url: "/p" })).handled, false);
});

test("OPTIONS without a handler answers with Allow", async () => {
  const r = new Router();
  r.get("/o", (req, res) => res.send("x"));
  r.post("/o", (req, res) => res.send("x"));
  r.delete("/o/:id", (req, res) => res.send("x"));
  const out = await call(r, { method: "OPTIONS", url: "/o" });
  assert.equal(out.status, 200);
  assert.equal(header(out, "allow"), "GET,HEAD,POST");
  assert.equal(text(out), "GET,HEAD,POST");
  r.options("/own", (req, res) => res.status(204).end());
  assert.equal((await call(r, { method: "OPTIONS", url: "/own" })).status, 204);
  assert.deepEqual(await call(r, { method: "OPTIONS", url: "/none" }), { handled: false });
});

test("router.param callbacks run once per value, before the route", async () => {
  const r = new Router();
  let calls = 0;
  r.param("id", (req, res, next, id, name) => { calls++; req.loaded = `${name}=${id}`; next(); });
  r.param("bad", (req, res, next) => next(new Error("bad param")));
  r.get("/i/:id", (req, res, next) => next());
  r.get("/i/:id", (req, res) => res.send(req.loaded));
  r.get("/b/:bad", (req, res) => res.send("no"));
  r.use((err, req, res, next) => res.status(422).send(err.message));
  assert.equal(text(await call(r, { url: "/i/5" })), "id=5");
  assert.equal(calls, 1);
  const b = await call(r, { url: "/b/1" });
  assert.equal(b.status, 422);
  assert.equal(text(b), "bad param");
});

test("async handlers: response sent after awaits; next() after await", async () => {
  const r = new Router();
  r.use(async (req, res, next) => { await Promise.resolve(); req.step = 1; next(); });
  r.get("/a", async (req, res) => { await null; await null; res.json({ step: req.step }); });
  assert.deepEqual(json(await call(r, { url: "/a" })), { step: 1 });
});

test("a rejection after next() was called is logged, not re-dispatched", async () => {
  __fake.clearLogs();
  const r = new Router();
  r.use(async (req, res, next) => { next(); await null; throw new Error("late"); });
  r.get("/x", (req, res) => res.send("fine"));
  const out = await call(r, { url: "/x" });
  assert.equal(text(out), "fine");
  await null; await null; await null;
  assert.ok(__fake.logs.some(([lvl, msg]) => lvl === "error" && msg.includes("late")), "late error logged");
});

test("many synchronous middleware do not overflow the stack", async () => {
  const r = new Router();
  for (let i = 0; i < 3000; i++) r.use((req, res, next) => next());
  const sub = new Router();
  for (let i = 0; i < 1000; i++) sub.get("/deep", (req, res, next) => next());
  r.use(sub);
  r.get("/deep", (req, res, next) => { for (let i = 0; i < 10; i++); next(); }, ...Array.from({ length: 2000 }, () => (req, res, next) => next()), (req, res) => res.send("bottom"));
  assert.equal(text(await call(r, { url: "/deep" })), "bottom");
});

test("plain function as the router; error middleware signature as entry", async () => {
  assert.equal(text(await call((req, res) => res.send("fn"), { url: "/" })), "fn");
  assert.deepEqual(await call((req, res, next) => next(), { url: "/" }), { handled: false });
  assert.equal((await call(async () => { throw new Error("x"); }, { url: "/" })).error.message, "x");
  const bad = await call(undefined, { url: "/" });
  assert.equal(bad.error.name, "TypeError");
});

test("pathToRegExp mirrors path-to-regexp 0.1 output", () => {
  // Expected values produced by path-to-regexp@0.1.13 (Express 4.22's).
  const cases = [
    ["/user/:id", {}, "^\\/user(?:\\/([^/]+?))\\/?$", "i", ["id"]],
    ["/a/:b?", {}, "^\\/a(?:\\/([^/]+?))?\\/?$", "i", ["b"]],
    ["/f/*", {}, "^\\/f\\/(.*)\\/?$", "i", [0]],
    ["/x", { strict: true, sensitive: true }, "^\\/x$", "", []],
    ["/m", { end: false }, "^\\/m\\/?(?=\\/|$)", "i", []],
    ["/file/:name.:ext", {}, "^\\/file(?:\\/([^/]+?))(?:\\.([^/\\.]+?))\\/?$", "i", ["name", "ext"]],
    ["/a/:b(\\d+)*", {}, "^\\/a(?:\\/(\\d+)((?:[/].+?)?))\\/?$", "i", ["b", 0]],
    ["/ab?cd", {}, "^\\/ab?cd\\/?$", "i", []],
    ["/x/(foo|bar)/:id", {}, "^\\/x\\/(?:foo|bar)(?:\\/([^/]+?))\\/?$", "i", ["id"]],
  ];
  for (const [path, opts, source, flags, names] of cases) {
    const keys = [];
    const re = pathToRegExp(path, keys, opts);
    assert.equal(re.source, source, path);
    assert.equal(re.flags, flags, path);
    assert.deepEqual(keys.map((k) => k.name), names, path);
  }
});

test("router.locals is the prototype of res.locals (app-level locals)", async () => {
  const r = new Router();
  r.locals.site = "demo";
  r.get("/", (req, res) => { res.locals.page = "home"; res.json({ site: res.locals.site, page: res.locals.page, own: Object.keys(res.locals) }); });
  assert.deepEqual(json(await call(r, { url: "/" })), { site: "demo", page: "home", own: ["page"] });
});

test("stackReach: the literal prefixes of the layers that may take a GET", () => {
  const h = (req, res) => res.end();
  const r = new Router();
  r.get("/hello", h);
  r.get("/posts/:id", h);
  r.post("/only-post", h);  // cannot take a GET
  r.route("/put-only").put(h);
  r.use("/api/", h);
  r.get(["/a/b", "/c/:d?"], h);
  r.all("/Any", h);
  r.head("/file.:ext", h);
  r.use((err, req, res, next) => next(err));  // runs only for an error
  r.get("/", h);
  r.get("/double//", h);
  assert.deepEqual(stackReach(r.stack), [
    ["/hello", false, true], ["/posts", false, false], ["/api", false, false], ["/a/b", false, true], ["/c", false, false],
    ["/Any", false, true], ["/file", false, false], ["", false, true], ["/double/", false, true],
  ]);
  assert.equal(stackReach(r.stack).ownNotFound, undefined);
  const sensitive = new Router({ caseSensitive: true });
  sensitive.get("/Case", h);
  assert.deepEqual(stackReach(sensitive.stack), [["/Case", true, true]]);
  // Whatever may take any path makes the whole reach unknown.
  for (const add of [
    (x) => x.use(h), (x) => x.use("/", h), (x) => x.get("*", h), (x) => x.get("/:page", h), (x) => x.get(/hello/, h),
    (x) => x.get(["/a", /b/], h), (x) => x.get("/*", h), (x) => x.get("/(a|b)", h), (x) => x.get("/a?", h),
    (x) => x.get("/é", h), (x) => x.get([], h), (x) => x.get("/hello|x", h),
  ]) {
    const x = new Router();
    x.get("/hello", h);
    add(x);
    assert.equal(stackReach(x.stack), null, add.toString());
  }
});

test("stackReach is sound: every path a layer's pattern matches starts with one of its prefixes", () => {
  const patterns = [
    "/hello", "/posts/:id", "/ab?cd", "/ab+cd", "/ab*cd", "/a/:b?", "/file/:name.:ext", "/x/(foo|bar)/:id", "/user/:id(\\d+)",
    "/a.b", "/Mixed/Case", "/trailing/", "/users/:id?/edit", "/a/:b(\\d+)*", "/ab{2}", "/a[bc]d", "/a$", "/a|/b",
    "/%41", "/a-b_c~d", "/x:y", "/hello|x", "/", "/a//", "/Exact/Path",
  ];
  const paths = [
    "/", "/hello", "/HELLO", "/hello/", "/hello/x", "/hellox", "/posts", "/posts/1", "/posts/", "/acd", "/abcd", "/abbcd",
    "/abXcd", "/a", "/a/", "/a/1", "/a/1/2", "/file/x.txt", "/file/x", "/x/foo/1", "/x/bar/2", "/user/12", "/user/ab",
    "/a.b", "/aXb", "/mixed/case", "/trailing", "/trailing/", "/users/edit", "/users/7/edit", "/abb", "/abd", "/acd",
    "/b", "/%41", "/A", "/a-b_c~d", "/x:y", "/xy", "/zzx", "/a//", "/exact/path", "/EXACT/PATH/", "/exact/path/x",
  ];
  for (const pattern of patterns) {
    for (const end of [true, false]) {
      const x = new Router();
      if (end) x.get(pattern, () => {});
      else x.use(pattern, () => {});
      const reach = stackReach(x.stack);
      const re = x.stack[0].regexp;
      for (const path of paths) {
        if (!re.test(path)) continue;
        const within = ([p, s, exact]) => {
          const [a, b] = s ? [path, p] : [path.toLowerCase(), p.toLowerCase()];
          return exact ? a === b || a === b + "/" : a.startsWith(b);
        };
        assert.ok(reach === null || reach.some(within),
          `${pattern} (${end ? "route" : "use"}) matches ${path} outside its reach ${JSON.stringify(reach)}`);
      }
    }
  }
});

test("a layer's literal check refuses only paths its regex cannot match", () => {
  // Layer.match refuses a path without the layer's literal prefix before
  // running the regex: it must answer exactly as the regex alone would,
  // whatever the case, a trailing slash, or characters that fold to ASCII
  // under Unicode rules ("\u212A" Kelvin sign, "\u017F" long s, "\u0130").
  const patterns = [
    "/hello", "/posts/:id", "/ab?cd", "/a/:b?", "/file/:name.:ext", "/a.b", "/Mixed/Case", "/trailing/",
    "/users/:id?/edit", "/a-b_c~d", "/x:y", "/", "/a//", "/Exact/Path", "/key", "/ks", "/api", "/api/v1",
  ];
  const paths = [
    "/", "/hello", "/HELLO", "/hello/", "/hello//", "/hello/x", "/hellox", "/hell", "/posts", "/posts/1", "/POSTS/1/",
    "/acd", "/abcd", "/a", "/a/", "/a/1", "/file/x.txt", "/a.b", "/aXb", "/mixed/case", "/MIXED/CASE/", "/trailing",
    "/trailing/", "/users/edit", "/users/7/edit", "/a-b_c~d", "/x:y", "/a//", "/exact/path", "/EXACT/PATH/",
    "/exact/path/x", "/key", "/KEY", "/\u212Aey", "/\u212AEY", "/k\u017F", "/KS", "/\u0130", "/api", "/API/v1",
    "/api/v1/users", "/apix", "/ap", "/Api/V1/",
  ];
  for (const pattern of patterns) {
    for (const [end, options] of [[true, {}], [false, {}], [true, { caseSensitive: true }], [false, { caseSensitive: true }],
      [true, { strict: true }]]) {
      const x = new Router(options);
      if (end) x.get(pattern, () => {});
      else x.use(pattern, () => {});
      const layer = x.stack[0];
      if (layer.fastSlash) continue; // (use("/") takes every path without a regex, as Express's does)
      for (const path of paths) {
        const m = layer.regexp.exec(path);
        const got = layer.match(path);
        const where = `${pattern} (${end ? "route" : "use"} ${JSON.stringify(options)}) at ${path}`;
        // (Express 4's Layer#match: true or false, the match's path left
        // on the layer)
        if (m === null) {
          assert.equal(got, false, where);
        } else {
          assert.equal(got, true, where + ": refused");
          assert.equal(layer.path, m[0], where);
        }
      }
    }
  }
  // The check is taken where it can be: a literal route has one.
  assert.deepEqual([new Router().get("/hello", () => {}).stack[0].literal], ["/hello"]);
});

// Layers whose literals share, differ in or only prefix a first segment,
// case-sensitive and strict mounts among them: each request reaches the
// layer Express would give it (match()'s literal shortcuts included).
test("first segments, prefixes and case pick the layer Express would", async () => {
  const r = new Router();
  const sensitive = new Router({ caseSensitive: true, strict: true });
  r.get("/alpha", echo("alpha"));
  r.get("/alpha/:id/edit", echo("alpha-edit"));
  r.get("/beta/:id", echo("beta"));
  r.use("/gamma/deep", echo("gamma-deep"));
  r.use("/gam", echo("gam-prefix"));
  r.get("/", echo("root"));
  r.post("/alpha", echo("alpha-post"));
  sensitive.get("/Case/x", echo("case"));
  sensitive.get("/case/x/", echo("case-strict"));
  r.use("/s", sensitive);
  r.get("/:any", echo("param"));
  const tag = async (url, method = "GET") => {
    const out = await call(r, { method, url });
    return out.handled === false ? "none" : json(out).tag;
  };
  assert.equal(await tag("/alpha"), "alpha");
  assert.equal(await tag("/ALPHA/"), "alpha", "case-insensitive by default");
  assert.equal(await tag("/Alpha/7/EDIT"), "alpha-edit");
  assert.equal(await tag("/beta/3"), "beta");
  assert.equal(await tag("/beta"), "param", "/beta/:id needs more than its segment");
  assert.equal(await tag("/gamma/deep/x"), "gamma-deep");
  assert.equal(await tag("/gamma"), "param", "use(\"/gam\") matches whole segments only");
  assert.equal(await tag("/gam/x"), "gam-prefix");
  assert.equal(await tag("/"), "root");
  assert.equal(await tag("/alpha", "POST"), "alpha-post");
  assert.equal(await tag("/s/Case/x"), "case");
  assert.equal(await tag("/s/case/x"), "none", "case-sensitive, strict: /case/x/ only with its slash");
  assert.equal(await tag("/s/case/x/"), "case-strict");
  assert.equal(await tag("/s/CASE/x/"), "none");
  assert.equal(await tag("/zeta"), "param");
  const options = await call(r, { method: "OPTIONS", url: "/alpha" });
  assert.equal(header(options, "allow"), "GET,HEAD,POST");
});

// A layer refused before match() by its leading segments (Layer key) must be
// one whose regex cannot match: random patterns (literal segments in mixed
// case, parameters plain and optional, "*", optional characters, dots,
// dashes, groups), and paths both made from the pattern (each piece
// written out or, where optional, left out, in random case) and made at
// random, each routed through a Router of that one layer (a route, and a
// use() mount; case-sensitive and strict or not) and compared with
// pathToRegExp's own regex.
test("a layer's leading-segment refusal never refuses a path its regex matches", async () => {
  let seed = 12345;
  const rand = (n) => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  const pick = (list) => list[rand(list.length)];
  const words = ["a", "B", "ab", "Api", "v1", "x-y", "f.txt", "users"];
  const cased = (w) => [w, w.toUpperCase(), w.toLowerCase()][rand(3)];
  // [pattern piece, a maker of path fragments it matches (or may: "?", "+")]
  const pieces = [
    (w) => ["/" + w, () => "/" + cased(w)],
    (w) => ["/:p" + rand(9), () => "/" + pick(words)],
    (w) => ["/:q" + rand(9) + "?", () => (rand(2) ? "/" + pick(words) : "")],
    (w) => ["/*", () => (rand(2) ? "/" + pick(words) : "/")],
    (w) => ["?", () => ""],
    (w) => ["/" + w + "?", () => "/" + cased(rand(2) ? w : w.slice(0, -1))],
    (w) => [".:ext", () => "." + pick(words)],
    (w) => [".:ext?", () => (rand(2) ? "." + pick(words) : "")],
    (w) => ["-:n", () => "-" + pick(words)],
    (w) => ["/(" + w + ")?", () => (rand(2) ? "/" + cased(w) : "")],
    (w) => ["+", () => ""],
    (w) => ["/?", () => (rand(2) ? "/" : "")],
    // (a parameter whose own pattern, or "*", may leave it empty or span "/")
    (w) => ["/:r" + rand(9) + "(\\d*)", () => (rand(2) ? "/" + rand(99) : "/")],
    (w) => ["/:s" + rand(9) + "*", () => "/" + pick(words) + (rand(2) ? "/" + pick(words) : "")],
  ];
  // (weighted towards what decides a key: literal segments, optional
  // parameters and characters, and what may follow them)
  for (const k of [0, 0, 2, 2, 4, 6, 8, 11]) pieces.push(pieces[k]);
  const randomPieces = [() => "/" + pick(words), () => "/" + cased(pick(words)), () => "/", () => "." + pick(words),
    () => "-" + pick(words), () => pick(words), () => "/%41"];
  let compared = 0;
  let matched = 0;
  // First the cases that decide the rule (a "/" made optional by "?" or by
  // an optional parameter, followed by something other than "/"), then
  // random ones.
  const directed = [["/a/?b", ["/ab", "/a/b", "/A/B", "/a"]], ["/a/:q?-:n", ["/a-1", "/a/x-1", "/A-1"]],
    ["/p/:q?.:e", ["/p.txt", "/p/x.txt"]], ["/f/?.:e", ["/f.txt", "/f/.txt"]], ["/u/:id?", ["/u", "/u/", "/u/7"]],
    ["/posts/:id", ["/posts", "/posts/", "/posts/7", "/posts//", "/POSTS/x/", "/posts/7/x"]],
    ["/n/:d(\\d*)", ["/n/", "/n", "/n/5", "/n//"]], ["/s/:t*", ["/s/", "/s/a/b", "/s", "/s//"]],
    ["/m/:a/:b", ["/m/x", "/m/x/", "/m/x/y", "/m//y"]]];
  for (const [pattern, paths] of directed) {
    for (const mount of [false, true]) {
      const re = pathToRegExp(pattern, [], { end: !mount });
      const r = new Router();
      if (mount) r.use(pattern, (req, res) => res.send("hit"));
      else r.get(pattern, (req, res) => res.send("hit"));
      for (const path of paths) {
        const out = await call(r, { url: path });
        assert.equal(out.handled === true && text(out) === "hit", re.test(path), `${mount ? "use" : "get"}(${JSON.stringify(pattern)}) for ${path}`);
      }
    }
  }
  for (let i = 0; i < 1000; i++) {
    const made = [];
    const n = 1 + rand(4);
    for (let k = 0; k < n; k++) made.push(pick(pieces)(pick(words)));
    const pattern = made.map(([p]) => p).join("");
    const sensitive = rand(4) === 0;
    const strict = rand(4) === 0;
    const mount = rand(3) === 0;
    let re;
    try {
      re = pathToRegExp(pattern, [], { sensitive, strict, end: !mount });
    } catch {
      continue; // not a pattern Express accepts either
    }
    const r = new Router({ caseSensitive: sensitive, strict });
    if (mount) r.use(pattern, (req, res) => res.send("hit"));
    else r.get(pattern, (req, res) => res.send("hit"));
    for (let j = 0; j < 12; j++) {
      let path = "";
      if (j % 2 === 0) {
        path = made.map(([, fragment]) => fragment()).join("");
        if (rand(4) === 0) path += "/" + pick(words);
      } else {
        const m = 1 + rand(4);
        for (let k = 0; k < m; k++) path += pick(randomPieces)();
      }
      if (path[0] !== "/") path = "/" + path;
      const out = await call(r, { url: path });
      const hit = out.handled === true && text(out) === "hit";
      assert.equal(hit, re.test(path), `${mount ? "use" : "get"}(${JSON.stringify(pattern)}, { sensitive: ${sensitive}, strict: ${strict} }) for ${path}`);
      compared++;
      if (hit) matched++;
    }
  }
  assert.ok(compared > 6000 && matched > 1000, `${compared} compared, ${matched} matched`);
});
