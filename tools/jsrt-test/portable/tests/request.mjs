import { test, assert } from "../harness.mjs";
import { Router } from "hbf:router";
import { parseQuery, parseCookies, dispatch } from "hbf:http";
import { call, json, raw, text, utf8 } from "../helpers.mjs";

const inspectReq = (fn) => {
  const r = new Router();
  r.all("*", (req, res) => res.json(fn(req)));
  return r;
};

test("req basics from raw: method, url, ip, hostname, protocol, secure, user, henv", async () => {
  const r = inspectReq((req) => ({
    method: req.method, url: req.url, originalUrl: req.originalUrl, path: req.path, ip: req.ip, ips: req.ips,
    hostname: req.hostname, protocol: req.protocol, secure: req.secure, user: req.user, henv: req.henv,
    baseUrl: req.baseUrl, xhr: req.xhr, subdomains: req.subdomains,
  }));
  const user = { id: 1, username: "ann", email: "a@x", role: "owner", enabled: true };
  const out = json(await call(r, { method: "PUT", url: "/a/b?c=d", protocol: "https", user, headers: [["x-requested-with", "XMLHttpRequest"]] }));
  assert.deepEqual(out, {
    method: "PUT", url: "/a/b?c=d", originalUrl: "/a/b?c=d", path: "/a/b", ip: "127.0.0.1", ips: [],
    hostname: "abc12345.localhost", protocol: "https", secure: true, user, henv: "abc12345", baseUrl: "", xhr: true, subdomains: [],
  });
});

test("req.headers folds repeats like Node; get()/header() case-insensitive with referrer alias", async () => {
  const r = inspectReq((req) => ({
    headers: req.headers, accept: req.get("Accept"), ref: req.get("Referrer"), ref2: req.header("referer"), none: req.get("X-None") ?? null,
  }));
  const out = json(await call(r, { headers: [
    ["accept", "text/html"], ["accept", "application/json"], ["set-cookie", "a=1"], ["set-cookie", "b=2"],
    ["cookie", "x=1"], ["cookie", "y=2"], ["content-type", "text/plain"], ["content-type", "text/html"], ["referer", "/r"],
  ] }));
  assert.deepEqual(out.headers, {
    host: "abc12345.localhost", accept: "text/html, application/json", "set-cookie": ["a=1", "b=2"], cookie: "x=1; y=2",
    "content-type": "text/plain", referer: "/r",
  });
  assert.equal(out.accept, "text/html, application/json");
  assert.equal(out.ref, "/r");
  assert.equal(out.ref2, "/r");
  assert.equal(out.none, null);
});

test("req.rawHeaders: Node's flat list as sent, from C++'s flat headers or [name, value] pairs; a copy; assignable", async () => {
  const r = inspectReq((req) => {
    const first = req.rawHeaders;
    const same = req.rawHeaders === first;
    first.length = 0; // changing the copy changes nothing else
    const out = { raw: req.rawHeaders, same, headers: req.headers, ct: req.get("content-type") };
    req.rawHeaders = ["X", "y"];
    out.assigned = req.rawHeaders;
    return out;
  });
  // As C++ sends them: one flat array, with hotHeaders.
  const flat = json(await dispatch(r, { ...raw(), hotHeaders: 1,
    headers: ["Host", "abc12345.localhost", "X-A", "1", "x-a", "2", "Content-Type", "text/plain"] }));
  assert.deepEqual(flat, { raw: [], same: true, headers: { host: "abc12345.localhost", "x-a": "1, 2", "content-type": "text/plain" },
    ct: "text/plain", assigned: ["X", "y"] });
  const seen = inspectReq((req) => [req.rawHeaders, req.get("x-a")]);
  assert.deepEqual(json(await dispatch(seen, { ...raw(), hotHeaders: 0, headers: ["Host", "h", "X-A", "1", "x-a", "2"] })),
    [["Host", "h", "X-A", "1", "x-a", "2"], "1, 2"]);
  // As other callers of dispatch() may: pairs (raw() adds the host first).
  assert.deepEqual(json(await call(seen, { headers: [["X-A", "1"], ["Content-Type", "text/plain"]] })),
    [["host", "abc12345.localhost", "X-A", "1", "Content-Type", "text/plain"], "1"]);
});

test("req.cookies parsed and decoded", async () => {
  const r = inspectReq((req) => ({ ...req.cookies }));
  const out = json(await call(r, { headers: [["cookie", 'a=1; b=hello%20world; c="quoted"; bad=%E0%A4%A; a=2; e=; f==x; g']] }));
  assert.deepEqual(out, { a: "1", b: "hello world", c: "quoted", bad: "%E0%A4%A", e: "", f: "=x" });
  assert.deepEqual({ ...parseCookies("") }, {});
  assert.deepEqual({ ...parseCookies("k=v;k2=v2") }, { k: "v", k2: "v2" });
});

test("req.query: repeats become arrays, + is space, malformed escapes kept, no prototype", async () => {
  const q = parseQuery("a=1&a=2&b=&c=x+y&d=%zz&e&=v&f=%E2%82%AC&f=3&f=4&__proto__=p&constructor=c");
  assert.deepEqual({ ...q }, { a: ["1", "2"], b: "", c: "x y", d: "%zz", e: "", "": "v", f: ["€", "3", "4"], ["__proto__"]: "p", constructor: "c" });
  assert.equal(Object.getPrototypeOf(q), null);
  assert.equal(parseQuery("x=%FF").x, "\uFFFD");
  const many = Array.from({ length: 1500 }, (_, i) => `k${i}=${i}`).join("&");
  assert.equal(Object.keys(parseQuery(many)).length, 1000);
  const r = inspectReq((req) => ({ q: { ...req.query } }));
  assert.deepEqual(json(await call(r, { url: "/?x=1&y=%20" })).q, { x: "1", y: " " });
});

test("req.query is assignable; query stays that of the original URL inside mounts", async () => {
  const r = new Router();
  const sub = new Router();
  sub.get("/x", (req, res) => res.json({ q: req.query }));
  r.use((req, res, next) => { req.query.added = "1"; next(); });
  r.use("/m", sub);
  assert.deepEqual(json(await call(r, { url: "/m/x?a=b" })).q, { a: "b", added: "1" });
  const r2 = new Router();
  r2.use((req, res, next) => { req.query = { replaced: true }; next(); });
  r2.get("/", (req, res) => res.json(req.query));
  assert.deepEqual(json(await call(r2, { url: "/?a=1" })), { replaced: true });
});

const bodyOf = async (contentType, body, extra = []) => {
  const r = new Router();
  r.all("*", (req, res) => res.json({ body: req.body === undefined ? "<undefined>" : req.body, raw: req.rawBody.length }));
  r.use((err, req, res, next) => res.status(err.status || 500).json({ error: err.message, type: err.type }));
  const headers = contentType ? [["content-type", contentType], ...extra] : extra;
  const out = await call(r, { method: "POST", url: "/b", headers, body });
  return { status: out.status, ...json(out) };
};

test("body: JSON (incl. +json, charset, BOM), empty JSON -> {}", async () => {
  assert.deepEqual(await bodyOf("application/json", '{"a":[1,"é"]}'), { status: 200, body: { a: [1, "é"] }, raw: 14 });
  assert.deepEqual((await bodyOf("application/json; charset=utf-8", "[1]")).body, [1]);
  assert.deepEqual((await bodyOf("application/vnd.api+json", '{"x":1}')).body, { x: 1 });
  assert.deepEqual((await bodyOf("Application/JSON", '"s"')).body, "s");
  assert.deepEqual((await bodyOf("application/json", "\ufeff{}")).body, {});
  assert.deepEqual(await bodyOf("application/json", ""), { status: 200, body: {}, raw: 0 });
});

test("body: malformed JSON -> 400 'invalid JSON body' through error middleware", async () => {
  assert.deepEqual(await bodyOf("application/json", "{bad"), { status: 400, error: "invalid JSON body", type: "entity.parse.failed" });
  assert.equal((await bodyOf("application/json", "   ")).status, 400);
  const r = new Router();
  r.post("/x", (req, res) => res.send("never"));
  const out = await call(r, { method: "POST", url: "/x", headers: [["content-type", "application/json"]], body: "[" });
  assert.equal(out.error.status, 400);
  assert.equal(out.error.message, "invalid JSON body");
  const skipped = new Router();
  const seen = [];
  skipped.use((req, res, next) => { seen.push("normal"); next(); });
  skipped.use((err, req, res, next) => { seen.push("error"); res.status(err.status).send(seen.join()); });
  assert.equal(text(await call(skipped, { method: "POST", url: "/", headers: [["content-type", "application/json"]], body: "nope" })), "error");
});

test("body: the Content-Type C++ points at in hotHeaders (the first one), or found by a walk", async () => {
  const r = new Router();
  r.all("*", (req, res) => res.json({ body: req.body === undefined ? "<undefined>" : req.body, ct: req.get("content-type") }));
  const post = async (headers, hotHeaders, body = '{"a":1}') => {
    const out = await dispatch(r, { ...raw({ method: "POST", body }), hotHeaders, headers });
    return { status: out.status, ...json(out) };
  };
  // Content-Type's value at index 3: hotHeaders = HAS_CONTENT_TYPE | 3 << 8
  const headers = ["Host", "h", "Content-Type", "application/json", "content-type", "text/plain"];
  assert.deepEqual(await post(headers, 1 | (3 << 8)), { status: 200, body: { a: 1 }, ct: "application/json" });
  // The bit without an index (C++ gives none past its limit): a walk, the first one too.
  assert.deepEqual(await post(headers, 1), { status: 200, body: { a: 1 }, ct: "application/json" });
  // No bit: no Content-Type, whatever the list holds.
  assert.deepEqual(await post(["Host", "h"], 0), { status: 200, body: "<undefined>" });
  // The index is the value's, wherever it is in the list.
  assert.deepEqual(await post(["Content-Type", "text/plain", "Host", "h"], 1 | (1 << 8), "x"), { status: 200, body: "x", ct: "text/plain" });
  // What C++ points at is read, not looked for: its index (5, the second
  // value here) decides the body's type, though a walk finds the first.
  // (C++ points at the first; this only shows the index is what is used.)
  const pointed = await post(["Content-Type", "text/plain", "Host", "h", "Content-Type", "application/json"], 1 | (5 << 8));
  assert.deepEqual(pointed.body, { a: 1 });
});

test("body: urlencoded, text/*, other types undefined, rawBody always set", async () => {
  assert.deepEqual((await bodyOf("application/x-www-form-urlencoded", "a=1&a=2&b=x+y&c=%C3%A9")).body, { a: ["1", "2"], b: "x y", c: "é" });
  assert.deepEqual((await bodyOf("application/x-www-form-urlencoded", "")).body, {});
  assert.deepEqual((await bodyOf("text/plain; charset=utf-8", "héllo")).body, "héllo");
  assert.deepEqual((await bodyOf("text/csv", "a,b")).body, "a,b");
  assert.deepEqual((await bodyOf("text/plain", "")).body, "");
  assert.deepEqual(await bodyOf("application/octet-stream", new Uint8Array([1, 2, 3])), { status: 200, body: "<undefined>", raw: 3 });
  assert.deepEqual(await bodyOf(null, "abc"), { status: 200, body: "<undefined>", raw: 3 });
  assert.deepEqual(await bodyOf("multipart/form-data; boundary=x", "--x--"), { status: 200, body: "<undefined>", raw: 5 });
});

test("req.is()", async () => {
  const r = inspectReq((req) => ({
    json: req.is("json"), html: req.is("html"), appStar: req.is("application/*"), full: req.is("application/json"),
    plusJson: req.is("+json"), list: req.is(["html", "json"]), none: req.is(), multi: req.is("text/*", "json"),
  }));
  const out = json(await call(r, { method: "POST", headers: [["content-type", "application/json; charset=utf-8"], ["content-length", "2"]], body: "{}" }));
  assert.deepEqual(out, { json: "json", html: false, appStar: "application/json", full: "application/json", plusJson: false, list: "json", none: "application/json", multi: "json" });
  const nob = json(await call(r, { method: "GET" }));
  assert.equal(nob.json, null);
  const vnd = inspectReq((req) => [req.is("+json"), req.is("urlencoded"), req.is("multipart")]);
  assert.deepEqual(json(await call(vnd, { method: "POST", headers: [["content-type", "application/vnd.x+json"]], body: "1" })), ["application/vnd.x+json", false, false]);
});

test("req.accepts() and friends", async () => {
  const r = inspectReq((req) => ({
    json: req.accepts("json"), html: req.accepts("html"), pick: req.accepts(["json", "html"]), pick2: req.accepts("text/plain", "text/html"),
    png: req.accepts("png"), all: req.accepts(), lang: req.acceptsLanguages("de", "en"), enc: req.acceptsEncodings("br", "gzip"),
  }));
  const out = json(await call(r, { headers: [["accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"], ["accept-language", "en-US,en;q=0.9"], ["accept-encoding", "gzip, deflate"]] }));
  assert.deepEqual(out, {
    json: "json", html: "html", pick: "html", pick2: "text/html", png: "png",
    all: ["text/html", "application/xhtml+xml", "application/xml", "*/*"], lang: "en", enc: "gzip",
  });
  const jsonOnly = json(await call(r, { headers: [["accept", "application/json"]] }));
  assert.equal(jsonOnly.html, false);
  assert.equal(jsonOnly.pick, "json");
  const none = json(await call(r, {}));
  assert.equal(none.pick, "json");
  assert.deepEqual(none.all, ["*/*"]);
});

test("rawBody bytes identical; ArrayBuffer body accepted", async () => {
  const r = new Router();
  r.post("/", (req, res) => res.send(req.rawBody));
  const bytes = new Uint8Array([0, 255, 10]);
  const out = await call(r, { method: "POST", body: bytes.buffer });
  assert.deepEqual(out.body, bytes);
  assert.equal(utf8("x").length, 1);
});
