// Side by side: the same Express 4 app built with express@4 (over real HTTP
// on 127.0.0.1) and with hbf:express (through hbf:http's dispatch, as the
// server runs it). Statuses, bodies and the headers that matter must match,
// including Express's own 404 and error pages (which hbf hands to C++ as the
// "fallback" of a request nothing answered). Needs express in
// tools/jsrt-test/node_modules (`npm ci` there); skipped otherwise.
import { test, assert } from "../portable/harness.mjs";
import { createRequire } from "node:module";
import http from "node:http";
import { routeReach } from "hbf:http";
import { compareResponses, expressResponse, hbfResponse } from "./side_by_side.mjs";
import hbfExpress from "hbf:express";

const require = createRequire(import.meta.url);
let express = null;
try {
  express = require("express");
} catch {
  console.log("node/express_app.test.mjs: express is not installed in tools/jsrt-test/node_modules; comparison skipped");
}

function defineApp(ex) {
  const app = ex();
  app.set("env", "production");
  app.use(ex.json());
  app.use(ex.urlencoded({ extended: true }));
  app.get("/", (req, res) => res.send("Hello World"));
  app.get("/q", (req, res) => res.json(req.query));
  app.post("/body", (req, res) => res.json({ body: req.body }));
  app.post("/text", ex.text(), (req, res) => res.json({ body: req.body }));
  app.post("/limit", ex.json({ limit: 5 }), (req, res) => res.json(req.body));
  app.get("/err/:s", (req, res, next) => { const e = new Error("x"); e.status = Number(req.params.s); next(e); });
  app.get("/throw", () => { throw new Error("boom"); });
  app.get("/teapot", (req, res, next) => { res.status(418); next(new Error("t")); });
  app.get("/jsonp", (req, res) => res.jsonp({ a: [1, "\u2028"] }));
  app.get("/fmt", (req, res) => res.format({ text: () => res.send("t"), html: () => res.send("<b>h</b>") }));
  app.get("/redirect", (req, res) => res.redirect("/x y"));
  app.get("/back", (req, res) => res.redirect("back"));
  app.get("/status", (req, res) => res.sendStatus(201));
  app.get("/writehead", (req, res) => { res.writeHead(202, { "X-A": "1", "Content-Type": "text/plain" }); res.end("wh"); });
  app.get("/spaces", (req, res) => { app.set("json spaces", 2); res.json({ a: 1 }); app.set("json spaces", undefined); });
  app.get("/param", (req, res) => res.json({ p: req.param("p", "none") }));
  app.get("/session", (req, res) => {
    // what cookie-session does through on-headers: set the cookie as the headers go out
    const prev = res.writeHead;
    res.writeHead = function (...args) { this.setHeader("Set-Cookie", "s=" + res.statusCode); return prev.apply(this, args); };
    res.status(201).json({ sent: res.headersSent });
  });
  app.post("/stream", (req, res) => {
    const parts = [];
    req.on("data", (c) => parts.push(c)).on("end", () => res.type("text").send(Buffer.concat(parts).toString().toUpperCase()));
  });
  ex.response.greet = function (name) { return this.type("text").send("hello " + name); };
  ex.request.shout = function () { return this.path.toUpperCase(); };
  app.get("/ext", (req, res) => res.greet(req.shout()));
  app.get("/etag-strong", (req, res) => { app.set("etag", "strong"); res.send("abc"); app.set("etag", "weak"); });
  app.get("/cookie", (req, res) => res.cookie("a", "b c", { httpOnly: true, path: "/x" }).cookie("j", { k: 1 }).clearCookie("old").send("c"));
  app.get("/helpers", (req, res) => {
    res.location("/é x").links({ next: "/2" }).vary("Accept-Language").attachment("r e.pdf").append("X-A", "1").append("X-A", "2");
    res.json({ accepts: req.accepts(["json", "html"]), lang: req.acceptsLanguages("en", "de"), xhr: req.xhr, fresh: req.fresh,
      protocol: req.protocol, secure: req.secure, hostname: req.hostname, subdomains: req.subdomains });
  });
  app.route("/book").get((req, res) => res.send("get book")).post((req, res) => res.send("post book"));
  app.get("/nr", (req, res, next) => next("route"), (req, res) => res.send("skipped"));
  app.get("/nr", (req, res) => res.send("second"));
  app.param("pid", (req, res, next, id) => (id === "bad" ? next(Object.assign(new Error("bad"), { status: 422 })) : next()));
  app.get("/p/:pid", (req, res) => res.send("p " + req.params.pid));
  app.all("/any", (req, res) => res.send(req.method));
  app.get("/html-status", (req, res) => res.status(404).send("<p>custom</p>"));
  app.get("/buffer", (req, res) => res.send(Buffer.from([1, 2, 3])));
  app.get("/null", (req, res) => res.json(null));
  app.get("/num", (req, res) => res.json(42));
  const api = ex.Router();
  api.get("/:id", (req, res) => res.json({ id: req.params.id, base: req.baseUrl, orig: req.originalUrl, path: req.path }));
  app.use("/api", api);
  const sub = ex();
  sub.get("/", (req, res) => res.json({ mount: sub.mountpath, path: sub.path() }));
  app.use("/sub", sub);
  return app;
}

const json = { "content-type": "application/json" };
const form = { "content-type": "application/x-www-form-urlencoded" };
const REQUESTS = [
  ["GET", "/"], ["HEAD", "/"], ["GET", "/", { "if-none-match": 'W/"b-Ck1VqNd45QIvq3AZd8XYQLvEhtA"' }],
  ["GET", "/q?a[b]=1&c[]=2&c[]=3&d[1]=x&e=1&e=2&f[g][h][i][j][k][l]=deep&m[25]=big"],
  ["POST", "/body", json, '{"a":[1,2]}'], ["POST", "/body", json, "{bad"], ["POST", "/body", json, '"str"'],
  ["POST", "/body", json, ""], ["POST", "/body", form, "user[name]=tobi&tags[]=a&tags[]=b"],
  ["POST", "/body", form, "a" + "[b]".repeat(40) + "=1"], ["POST", "/body", form, "x[5]=a&x[200]=b&y=1&y=2&y[z]=3"],
  ["GET", "/q?m[1000]=a&n[999]=b&p[]=1&p[5]=2&hasOwnProperty=x&__proto__[a]=1&q=%zz&r+s=t+u"],
  ["POST", "/body", { "content-type": "application/json; charset=latin1" }, "{}"],
  ["POST", "/body", { "content-type": "text/plain" }, "plain"], ["POST", "/text", { "content-type": "text/plain" }, "plain"],
  ["POST", "/limit", json, '{"a":"long enough"}'],
  ["GET", "/err/404"], ["GET", "/err/418"], ["GET", "/err/503"], ["GET", "/err/200"], ["GET", "/throw"], ["GET", "/teapot"],
  ["GET", "/jsonp?callback=f"], ["GET", "/jsonp?callback=a.b[0]<x>"], ["GET", "/jsonp"],
  ["GET", "/fmt", { accept: "text/plain" }], ["GET", "/fmt", { accept: "text/html" }], ["GET", "/fmt", { accept: "image/png" }],
  ["GET", "/redirect", { accept: "text/html" }], ["GET", "/redirect"], ["GET", "/back", { referer: "/r" }],
  ["GET", "/status"], ["GET", "/writehead"], ["GET", "/spaces"], ["GET", "/param?p=q"], ["GET", "/param"],
  ["GET", "/api/7?x=1"], ["GET", "/sub"], ["GET", "/sub/"],
  ["GET", "/session"], ["POST", "/stream", { "content-type": "text/plain" }, "shout"], ["GET", "/etag-strong"], ["GET", "/ext"],
  ["GET", "/cookie"], ["GET", "/helpers", { accept: "text/html,application/json;q=0.5", "accept-language": "de;q=0.9,en;q=0.5", "x-requested-with": "XMLHttpRequest" }],
  ["GET", "/book"], ["POST", "/book"], ["PUT", "/book"], ["HEAD", "/book"], ["OPTIONS", "/book"], ["GET", "/BOOK"], ["GET", "/book/"],
  ["GET", "/nr"], ["GET", "/p/1"], ["GET", "/p/bad"], ["DELETE", "/any"], ["PATCH", "/any"], ["GET", "/html-status"],
  ["GET", "/buffer"], ["GET", "/null"], ["GET", "/num"], ["GET", "/q?a=%E2%82%AC+x&b=%ZZ&c"],
  ["GET", "/missing?x=1"], ["POST", "/missing"], ["GET", "/a%20b<c>"], ["OPTIONS", "/"],
];

const COMPARED = ["content-type", "x-powered-by", "etag", "location", "vary", "content-security-policy",
  "x-content-type-options", "allow", "x-a", "set-cookie", "link", "content-disposition"];

// Express's own middleware (query, expressInit, the body parsers), which
// hbf:router runs in place inside its walk (kInline) when mounted at "/":
// errors from them, a parser mounted at a path, a handle replaced after
// registration (as APM agents wrap them), req.next, the stack's names.
function defineInlineApp(ex) {
  const app = ex();
  app.set("env", "production");
  // (Express passes null without a "?", hbf ""; and it parses as the
  // middleware runs, hbf when req.query is first read: a parser that
  // throws fails elsewhere)
  app.set("query parser", (str) => ({ raw: str ?? "" }));
  app.use(ex.json());
  app.use("/mounted", ex.text());
  app.use(ex.urlencoded({ extended: false }));
  // (a parser's own type check that throws: Express's layer passes it to next)
  app.use(ex.text({ type: (req) => {
    if (req.headers["x-boom"]) throw new Error("type check failed");
    return req.headers["content-type"] === "text/x-custom";
  } }));
  const json = app._router.stack.find((l) => l.name === "jsonParser");
  const original = json.handle;
  app.get("/wrap/on", (req, res) => {
    json.handle = function jsonParser(req, res, next) {
      req.wrapped = (req.wrapped ?? 0) + 1;
      original(req, res, next);
    };
    res.send("wrapped");
  });
  app.get("/wrap/off", (req, res) => { json.handle = original; res.send("unwrapped"); });
  app.all("/seen", (req, res) => res.json({ body: req.body ?? null, query: req.query, wrapped: req.wrapped ?? null,
    next: typeof req.next, app: req.app === app, locals: typeof res.locals }));
  app.post("/mounted/echo", (req, res) => res.json({ body: req.body, base: req.baseUrl, url: req.url }));
  app.get("/names", (req, res) => res.json(app._router.stack.map((l) => l.name)));
  app.get("/rn", (req, res) => req.next());
  app.get("/rn", (req, res) => res.send("after req.next"));
  app.use((err, req, res, next) => res.status(err.status ?? 500).json({ message: err.message, type: err.type ?? null }));
  return app;
}

const INLINE_REQUESTS = [
  ["GET", "/seen?a=1"], ["POST", "/seen", json, '{"a":1}'], ["POST", "/seen", json, "{bad"],
  ["POST", "/seen", form, "x=1&y=2"], ["POST", "/seen", { "content-type": "application/json; charset=latin1" }, "{}"],
  ["POST", "/mounted/echo", { "content-type": "text/plain" }, "plain text"],
  ["POST", "/mounted/echo", json, '{"b":2}'],
  ["GET", "/wrap/on"], ["POST", "/seen", json, '{"c":3}'], ["GET", "/seen"], ["POST", "/seen", json, "{bad"],
  ["GET", "/wrap/off"], ["POST", "/seen", json, '{"d":4}'],
  ["GET", "/names"], ["GET", "/rn"], ["GET", "/missing"],
  ["POST", "/seen", { "content-type": "text/x-custom" }, "custom text"], ["POST", "/seen", { "content-type": "text/plain", "x-boom": "1" }, "x"],
];

// Each request to express@4 (over HTTP) and to hbf:express (dispatch):
// status, body and the COMPARED headers must match.
async function compareApps(define, requests) {
  process.env.NO_DEPRECATION = "express,body-parser";
  const theirs = define(express);
  const ours = define(hbfExpress);
  const server = http.createServer(theirs);
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address();
  const failures = [];
  const consoleError = console.error;
  console.error = () => {}; // express logs every error it pages
  try {
    for (const spec of requests) {
      compareResponses(failures, spec, await expressResponse(port, spec), await hbfResponse(ours, `127.0.0.1:${port}`, spec),
        COMPARED);
    }
  } finally {
    console.error = consoleError;
    server.close();
  }
  assert.equal(failures.length, 0, "\n" + failures.join("\n"));
}

if (express) {
  test("hbf:express's own middleware, run in place, behaves like express@4's", () => compareApps(defineInlineApp, INLINE_REQUESTS));

  test("hbf:express behaves like express@4 for the same app", () => compareApps(defineApp, REQUESTS));
}

test("routeReach of an express app: body parsers, its own init and error handlers take no path", () => {
  const app = hbfExpress();
  app.use(hbfExpress.json());
  app.use(hbfExpress.urlencoded({ extended: false }));
  app.get("/api/items", () => {});
  app.post("/api/items", () => {});  // a POST route cannot take a GET
  app.use("/admin", (req, res, next) => next());
  app.use((err, req, res, next) => next(err));
  assert.deepEqual([...routeReach(app)], [["/api/items", false, true], ["/admin", false, false]]);
  assert.equal(routeReach(app).ownNotFound, true, "Express's 404 page is the app's");
  app.use((req, res) => res.status(404).send("the app's own 404"));
  assert.equal(routeReach(app), null, "a catch-all takes every path");
  assert.deepEqual([...routeReach(hbfExpress())], [], "no routes yet");
  const strict = hbfExpress();
  strict.set("case sensitive routing", true);
  strict.get("/Api", () => {});
  assert.deepEqual([...routeReach(strict)], [["/Api", true, true]]);
  assert.equal(routeReach((req, res, next) => next()), null, "a plain function may take anything");
});
