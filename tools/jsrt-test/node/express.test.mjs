// Side by side: the same route table in express@4 (over real HTTP on 127.0.0.1)
// and in hbf:router (through hbf:http's dispatch). Needs express in
// tools/jsrt-test/node_modules (`npm install` there); skipped otherwise.
import { test, assert } from "../portable/harness.mjs";
import { expressResponse } from "./side_by_side.mjs";
import { createRequire } from "node:module";
import http from "node:http";
import { Router } from "hbf:router";
import { dispatch } from "hbf:http";

const require = createRequire(import.meta.url);
let express = null;
process.env.NO_DEPRECATION = "express";
try {
  express = require("express");
} catch {
  console.log("node/express.test.mjs: express is not installed in tools/jsrt-test/node_modules; comparison skipped");
}

// The shared route table. `R` creates a router; `bin` turns bytes into what the
// framework's res.send() treats as binary.
function defineRoutes(r, R, bin) {
  const echo = (tag) => (req, res) => res.json({
    tag, params: req.params, path: req.path, url: req.url, baseUrl: req.baseUrl, originalUrl: req.originalUrl, query: req.query,
  });
  r.use((req, res, next) => { res.set("X-First", "1"); next(); });
  r.get("/", echo("root"));
  r.get("/user/:id(\\d+)", echo("user-num"));
  r.get("/user/:name", echo("user-name"));
  r.get("/opt/:a/:b?", echo("opt"));
  r.get("/file/:name.:ext", echo("file"));
  r.get("/star/*", echo("star"));
  r.get("/two/*/x/*", echo("two"));
  r.get(/^\/re\/(\w+)-(\d+)$/, echo("re"));
  r.get(/^\/named\/(?<slug>[a-z]+)\/?$/i, echo("named"));
  r.get(["/arr1/:id", "/arr2/:id"], echo("arr"));
  r.get("/ab?cd", echo("ab?cd"));
  r.get("/xy+z", echo("xy+z"));
  r.get("/mn*op", echo("mn*op"));
  r.get("/enc/:v", echo("enc"));
  r.get("/dash/:from-:to", echo("dash"));
  r.route("/book").get(echo("book-get")).post(echo("book-post")).put(echo("book-put"));
  r.get("/nr", (req, res, next) => next("route"), echo("nr-skipped"));
  r.get("/nr", echo("nr-second"));
  r.get("/chain", (req, res, next) => { res.append("X-Chain", "1"); next(); }, [(req, res, next) => { res.append("X-Chain", "2"); next(); }], echo("chain"));

  const sub = R({ mergeParams: true });
  sub.use((req, res, next) => { res.append("X-Sub", req.baseUrl + "|" + req.url); next(); });
  sub.get("/", echo("sub-root"));
  const deeper = R();
  deeper.get("/:leaf", echo("deeper-leaf"));
  sub.use("/deeper", deeper);
  sub.get("/:leaf", echo("sub-leaf"));
  r.use("/mount/:mid", sub);

  const exit = R();
  exit.use((req, res, next) => (req.path === "/exit" ? next("router") : next()));
  exit.get("/exit", echo("exit-inner"));
  r.use(exit);
  r.get("/exit", echo("exit-outer"));

  r.param("pid", (req, res, next, id) => { req.loaded = "p" + id; next(); });
  r.get("/param/:pid", (req, res) => res.send(req.loaded));

  r.get("/err/sync", () => { const e = new Error("sync"); e.status = 418; throw e; });
  r.get("/err/next", (req, res, next) => next(new Error("next")));
  r.get("/err/recover", (req, res, next) => next(new Error("x")), (err, req, res, next) => res.status(202).send("recovered:" + err.message));

  r.get("/send/string", (req, res) => res.send("<b>hi</b>"));
  r.get("/send/obj", (req, res) => res.send({ a: 1, b: [true, null] }));
  r.get("/send/arr", (req, res) => res.send([1, "x"]));
  r.get("/send/bool", (req, res) => res.send(false));
  r.get("/send/buf", (req, res) => res.send(bin([0, 1, 2, 255])));
  r.get("/send/typedbuf", (req, res) => res.type("png").send(bin([137, 80])));
  r.get("/send/status", (req, res) => res.sendStatus(403));
  r.get("/send/status-unknown", (req, res) => res.sendStatus(299));
  r.get("/send/204", (req, res) => res.status(204).send("gone"));
  r.get("/send/end", (req, res) => res.status(202).end());
  r.get("/send/texttype", (req, res) => res.set("Content-Type", "text/plain").send("t"));
  r.get("/send/etag", (req, res) => res.set("ETag", '"abc"').send("cached"));
  r.get("/json", (req, res) => res.status(201).json([1, "a", null]));
  r.get("/json/vnd", (req, res) => res.type("application/vnd.api+json").json({ data: 1 }));
  r.get("/type/:t", (req, res) => res.type(req.params.t).send("x"));
  r.get("/redirect", (req, res) => res.redirect("/target path?q=ü"));
  r.get("/redirect301", (req, res) => res.redirect(301, "http://example.com/<x>"));
  r.get("/redirect-back", (req, res) => res.redirect("back"));
  r.get("/cookies", (req, res) => {
    res.cookie("a", "1");
    res.cookie("b", "x y;z", { httpOnly: true, secure: true, sameSite: "lax", path: "/p", domain: "example.com" });
    res.cookie("c", { j: 1 }, { maxAge: 60000, sameSite: "strict" });
    res.cookie("d", "v", { sameSite: "none", secure: true });
    res.cookie("e", "v", { sameSite: true, expires: new Date(Date.UTC(2031, 5, 6, 7, 8, 9)) });
    res.cookie("f", 5, { path: "/n", priority: "high", partitioned: true });
    res.clearCookie("old");
    res.clearCookie("old2", { domain: "example.com", path: "/x" });
    res.send("ok");
  });
  r.get("/headers", (req, res) => {
    res.set("X-A", "1");
    res.set({ "X-B": "2", "X-C": ["3", "4"] });
    res.append("X-C", "5");
    res.vary("Accept").vary("origin").vary("accept");
    res.location("/loc ation?x=é");
    res.links({ next: "/2", prev: "/0" });
    res.attachment("dir/r €.pdf");
    res.send("h");
  });
  r.get("/format", (req, res) => res.format({ text: () => res.send("t"), html: () => res.send("<i>h</i>"), json: () => res.json({ j: 1 }) }));
  r.get("/req", (req, res) => res.json({
    cookies: req.cookies ?? null, hostname: req.hostname, protocol: req.protocol, secure: req.secure, xhr: req.xhr,
    accepts: req.accepts(["json", "html"]), acceptsAll: req.accepts(), acceptsPng: req.accepts("png"), is: req.is("json"),
    custom: req.get("X-Custom") ?? null, referrer: req.get("referrer") ?? null, fresh: req.fresh, subdomains: req.subdomains,
    lang: req.acceptsLanguages("fr", "en") ?? null,
  }));
  r.post("/body", (req, res) => res.json({ body: req.body, is: req.is(["json", "urlencoded", "text/*"]) }));
  r.options("/own-options", (req, res) => res.status(204).end());
  // Layers refused by their leading segments before match() (hbf:router's
  // Layer key): optional characters and parameters before a literal, case,
  // depth, prefixes, mounts, case-sensitive and strict routers.
  r.get("/k/a/?b", echo("k-optslash"));
  r.get("/k/p/:id?-x", echo("k-optparam-x"));
  r.get("/k/q/:id?", echo("k-optparam"));
  r.get("/k/Mixed/Case", echo("k-mixed"));
  r.get("/k/f.:ext?", echo("k-format"));
  r.get("/k/deep/er/est/:x", echo("k-deep"));
  r.get("/k/s*", echo("k-star"));
  r.get("/k/user-:id", echo("k-dash"));
  const mnt = R();
  mnt.get("/leaf", echo("k-mnt-leaf"));
  r.use("/k/mnt", mnt);
  const cs = R({ caseSensitive: true });
  cs.get("/Up/:x", echo("k-cs"));
  cs.get("/exact", echo("k-cs-exact"));
  r.use("/k/cs", cs);
  const strict = R({ strict: true });
  strict.get("/s/", echo("k-strict-slash"));
  strict.get("/t", echo("k-strict"));
  r.use("/k/st", strict);
  r.all("/all", echo("all"));
  r.use("/prefix", echo("use-prefix"));
  r.use(errorHandler);
}

function errorHandler(err, req, res, next) {
  res.status(err.status || 500).json({ error: err.message });
}

const REQUESTS = [
  ["GET", "/"], ["GET", "/?a=1&a=2&b=&c=x+y&d=%41%zz"], ["GET", "/user/42"], ["GET", "/user/bob"], ["GET", "/USER/Bob/"],
  ["GET", "/user/42/extra"], ["GET", "/opt/1"], ["GET", "/opt/1/2"], ["GET", "/opt/1/2/3"], ["GET", "/file/report.pdf"],
  ["GET", "/file/archive.tar.gz"], ["GET", "/star/a/b/c.txt"], ["GET", "/star/"], ["GET", "/two/a/x/b/c"], ["GET", "/re/abc-12"],
  ["GET", "/re/abc-x"], ["GET", "/named/Hello"], ["GET", "/arr1/5"], ["GET", "/arr2/6"], ["GET", "/acd"], ["GET", "/abcd"],
  ["GET", "/xyyyz"], ["GET", "/xz"], ["GET", "/mnANYop"], ["GET", "/mnop"], ["GET", "/enc/a%20b%2Fc%C3%A9"], ["GET", "/enc/%E2%82"],
  ["GET", "/enc/%zz"], ["GET", "/dash/1-2"], ["GET", "/book"], ["POST", "/book"], ["PUT", "/book"], ["DELETE", "/book"],
  ["HEAD", "/book"], ["OPTIONS", "/book"], ["OPTIONS", "/user/1"], ["OPTIONS", "/own-options"], ["OPTIONS", "/nothing-here"],
  ["GET", "/nr"], ["GET", "/chain"], ["GET", "/mount/7"], ["GET", "/mount/7/"], ["GET", "/mount/7/leaf?q=1"],
  ["GET", "/mount/7/deeper/x"], ["GET", "/mount/7/deeper"], ["GET", "/mountx/7"], ["GET", "/exit"], ["GET", "/param/3"],
  ["GET", "/err/sync"], ["GET", "/err/next"], ["GET", "/err/recover"], ["GET", "/send/string"], ["GET", "/send/obj"],
  ["GET", "/send/arr"], ["GET", "/send/bool"], ["GET", "/send/buf"], ["GET", "/send/typedbuf"], ["GET", "/send/status"],
  ["GET", "/send/status-unknown"], ["GET", "/send/204"], ["GET", "/send/end"], ["GET", "/send/texttype"], ["GET", "/send/etag"],
  ["GET", "/send/etag", { "if-none-match": '"abc"' }], ["GET", "/send/etag", { "if-none-match": '"abc"', "cache-control": "no-cache" }],
  ["GET", "/json"], ["GET", "/json/vnd"], ["GET", "/type/json"], ["GET", "/type/html"], ["GET", "/type/txt"], ["GET", "/type/js"],
  ["GET", "/type/css"], ["GET", "/type/png"], ["GET", "/type/svg"], ["GET", "/type/pdf"], ["GET", "/type/xml"],
  ["GET", "/type/text%2Fx-custom"], ["GET", "/redirect"], ["GET", "/redirect", { accept: "text/html" }],
  ["GET", "/redirect", { accept: "application/json" }], ["GET", "/redirect301", { accept: "text/html,*/*;q=0.8" }],
  ["HEAD", "/redirect"], ["GET", "/redirect-back", { referer: "/came/from" }], ["GET", "/redirect-back"], ["GET", "/cookies"],
  ["GET", "/headers"], ["GET", "/format", { accept: "application/json" }], ["GET", "/format", { accept: "text/html" }],
  ["GET", "/format", { accept: "image/png" }], ["GET", "/format"],
  ["GET", "/req", { cookie: "a=1; b=hello%20world; c=\"q\"; bad=%E0", accept: "text/html,application/json;q=0.9", "x-custom": "yes",
    referer: "/r", "x-requested-with": "XMLHttpRequest", "accept-language": "en-US,en;q=0.8" }],
  ["GET", "/req", { accept: "image/*" }], ["POST", "/req", { "content-type": "application/json" }, "{}"],
  ["POST", "/body", { "content-type": "application/json" }, '{"a":[1,2],"b":"é"}'],
  ["POST", "/body", { "content-type": "application/json; charset=utf-8" }, "[1,2]"],
  ["POST", "/body", { "content-type": "application/json" }, ""], ["POST", "/body", { "content-type": "application/json" }, "{bad"],
  ["POST", "/body", { "content-type": "application/vnd.api+json" }, '{"x":1}'],
  ["POST", "/body", { "content-type": "application/x-www-form-urlencoded" }, "a=1&a=2&b=x+y&c=%C3%A9"],
  ["POST", "/body", { "content-type": "application/x-www-form-urlencoded" }, ""],
  ["POST", "/body", { "content-type": "text/plain" }, "just text é"], ["POST", "/body", { "content-type": "text/csv" }, "a,b"],
  ["GET", "/all"], ["PATCH", "/all"], ["DELETE", "/all"], ["GET", "/prefix"], ["GET", "/prefix/more/stuff?x=1"],
  ["GET", "/prefixed"], ["GET", "/does/not/exist"],
  ["GET", "/k/ab"], ["GET", "/k/a/b"], ["GET", "/k/a"], ["GET", "/k/p-x"], ["GET", "/k/p/5-x"], ["GET", "/k/p/5"], ["GET", "/k/q"],
  ["GET", "/k/q/"], ["GET", "/k/q/9"], ["GET", "/K/Q/9"], ["GET", "/k/Mixed/Case"], ["GET", "/K/MIXED/case/"], ["GET", "/k/mixed"],
  ["GET", "/k/f"], ["GET", "/k/f.txt"], ["GET", "/K/F.TXT"], ["GET", "/k/deep/er/est/1"], ["GET", "/K/Deep/ER/est/2"],
  ["GET", "/k/deep/er/1"], ["GET", "/k/sxyz"], ["GET", "/k/s/a/b"], ["GET", "/k/s"], ["GET", "/k/user-7"], ["GET", "/k/USER-8"],
  ["GET", "/k/mnt/leaf"], ["GET", "/K/MNT/leaf"], ["GET", "/k/mntx/leaf"], ["GET", "/k/cs/Up/1"], ["GET", "/k/cs/up/1"],
  ["GET", "/k/cs/exact"], ["GET", "/k/cs/EXACT"], ["GET", "/k/st/s/"], ["GET", "/k/st/s"], ["GET", "/k/st/t"], ["GET", "/k/st/t/"],
  ["GET", "/k/%61/b"], ["GET", "//k/ab"], ["POST", "/user/1"], ["HEAD", "/user/5"], ["HEAD", "/does/not/exist"],
];

// Responses are compared on these headers (plus content-type).
const COMPARED_HEADERS = ["location", "allow", "vary", "set-cookie", "link", "content-disposition", "x-first", "x-sub", "x-chain",
  "x-a", "x-b", "x-c", "etag"];

function norm(headersList) {
  const out = {};
  for (const [name, value] of headersList) {
    const lc = name.toLowerCase();
    if (lc !== "content-type" && !COMPARED_HEADERS.includes(lc)) continue;
    let v = lc === "content-type" ? value.toLowerCase() : value;
    if (lc === "set-cookie") v = v.replace(/Expires=[^;]+/, (m) => (m.includes("1970") || m.includes("2031") ? m : "Expires=<time>"));
    (out[lc] ??= []).push(v);
  }
  return out;
}

async function hbfResponse(router, port, [method, path, headers = {}, body]) {
  const q = path.indexOf("?");
  const bodyBytes = body === undefined ? new Uint8Array(0) : new Uint8Array(Buffer.from(body));
  const hdrs = [["host", `127.0.0.1:${port}`], ...Object.entries(headers)];
  if (body !== undefined) hdrs.push(["content-length", String(bodyBytes.length)]);
  const result = await dispatch(router, {
    method, url: path, path: q === -1 ? path : path.slice(0, q), query: q === -1 ? "" : path.slice(q + 1), headers: hdrs, body: bodyBytes,
    ip: "127.0.0.1", protocol: "http", hostname: "127.0.0.1", user: null, henv: "test",
  });
  if (!result.handled) return { status: 404, headers: [], body: Buffer.alloc(0), unhandled: true };
  if (result.error) return { status: result.error.status ?? 500, headers: [], body: Buffer.alloc(0), error: result.error };
  const b = result.body === null ? Buffer.alloc(0) : Buffer.from(typeof result.body === "string" ? Buffer.from(result.body) : result.body);
  return { status: result.status, headers: result.headers, body: method === "HEAD" ? Buffer.alloc(0) : b };
}

if (express) {
  test("hbf:router + hbf:http behave like express@4 for a shared route table", async () => {
    const app = express();
    app.disable("x-powered-by");
    app.set("query parser", "simple");
    app.use(express.json({ strict: false, type: ["application/json", "+json"] }));
    app.use(express.urlencoded({ extended: false }));
    app.use(express.text({ type: "text/*" }));
    app.use(require("cookie-parser")());
    const er = express.Router();
    defineRoutes(er, (o) => express.Router(o), (b) => Buffer.from(b));
    app.use(er);
    app.use(errorHandler); // body-parser errors happen before `er` in Express
    app.set("env", "test");
    const ours = new Router();
    defineRoutes(ours, (o) => new Router(o), (b) => new Uint8Array(b));

    const server = http.createServer(app);
    await new Promise((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address();
    const failures = [];
    try {
      for (const spec of REQUESTS) {
        const label = `${spec[0]} ${spec[1]} ${spec[2] ? JSON.stringify(spec[2]) : ""}`;
        const e = await expressResponse(port, spec);
        const h = await hbfResponse(ours, port, spec);
        const check = (cond, what) => { if (!cond) failures.push(`${label}: ${what}`); };
        check(e.status === h.status, `status express ${e.status} hbf ${h.status}`);
        if (h.unhandled || h.error) {
          // Express renders its own 404/500 page; we hand those to C++.
          continue;
        }
        const badJson = spec[1] === "/body" && spec[3] === "{bad";
        if (!badJson) check(e.body.equals(h.body), `body express ${JSON.stringify(e.body.toString())} hbf ${JSON.stringify(h.body.toString())}`);
        const en = norm(e.headers);
        const hn = norm(h.headers);
        if (badJson) delete en.etag, delete hn.etag; // (the ETag of a body that differs)
        check(JSON.stringify(en) === JSON.stringify(hn), `headers express ${JSON.stringify(en)} hbf ${JSON.stringify(hn)}`);
      }
    } finally {
      server.close();
    }
    assert.equal(failures.length, 0, "\n" + failures.join("\n"));
  });
}
