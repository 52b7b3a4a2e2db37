import { test, assert } from "../harness.mjs";
import { Router } from "hbf:router";
import { Response, Request, STATUS_CODES, serializeCookie } from "hbf:http";
import { __fake } from "hbf:native";
import { call, text, json, header, headerValues, utf8, fromUtf8 } from "../helpers.mjs";

// Runs one handler and returns the dispatch result.
const respond = (handler, opts = {}) => {
  const r = new Router();
  r.all("*", handler);
  return call(r, { url: "/t", ...opts });
};

test("send(string) defaults to text/html; charset=utf-8, status 200", async () => {
  const out = await respond((req, res) => res.send("<p>hi</p>"));
  // (and the weak ETag Express's res.send gives every body: W/"<length hex>-<sha1 base64 / 27>")
  assert.deepEqual(out, { handled: true, status: 200, headers: [["Content-Type", "text/html; charset=utf-8"],
    ["ETag", 'W/"9-ttvLQjlZejsM8OHFMxIScRaHZZo"']], body: "<p>hi</p>" });
});

test("send(object|array|number|boolean|null) -> JSON", async () => {
  for (const [v, body] of [[{ a: 1 }, '{"a":1}'], [[1, "x"], '[1,"x"]'], [42, "42"], [true, "true"], [null, "null"]]) {
    const out = await respond((req, res) => res.send(v));
    assert.equal(out.body, body);
    assert.equal(header(out, "content-type"), "application/json; charset=utf-8");
  }
});

test("send(bytes) -> application/octet-stream, bytes kept; typed arrays and ArrayBuffer", async () => {
  const bytes = new Uint8Array([0, 1, 2, 255]);
  let out = await respond((req, res) => res.send(bytes));
  assert.equal(header(out, "content-type"), "application/octet-stream");
  assert.deepEqual(out.body, bytes);
  out = await respond((req, res) => res.send(bytes.buffer));
  assert.deepEqual(out.body, bytes);
  out = await respond((req, res) => res.send(new Uint16Array([0x0201])));
  assert.deepEqual(out.body, new Uint8Array([1, 2]));
  const big = new Uint8Array([9, 8, 7, 6]);
  out = await respond((req, res) => res.send(big.subarray(1, 3)));
  assert.deepEqual(out.body, new Uint8Array([8, 7]));
  assert.equal(out.body.byteOffset, 0);
  assert.equal(out.body.buffer.byteLength, 2);
  out = await respond((req, res) => res.type("png").send(bytes));
  assert.equal(header(out, "content-type"), "image/png");
});

test("send() / send(undefined) -> empty body without Content-Type", async () => {
  const out = await respond((req, res) => res.send());
  assert.deepEqual(out, { handled: true, status: 200, headers: [], body: null });
});

test("send(string) keeps an explicit type but forces charset=utf-8", async () => {
  let out = await respond((req, res) => res.type("text/plain").send("x"));
  assert.equal(header(out, "content-type"), "text/plain; charset=utf-8");
  out = await respond((req, res) => res.set("Content-Type", "text/csv; charset=latin1").send("x"));
  assert.equal(header(out, "content-type"), "text/csv; charset=utf-8");
  out = await respond((req, res) => res.set("Content-Type", "application/xml").send("<a/>"));
  assert.equal(header(out, "content-type"), "application/xml; charset=utf-8");
});

test("json(): BigInt as JSON numbers, undefined -> empty body, explicit type kept", async () => {
  let out = await respond((req, res) => res.json({ id: 9007199254740993n, n: [1n, -2n] }));
  assert.equal(out.body, '{"id":9007199254740993,"n":[1,-2]}');
  out = await respond((req, res) => res.json(undefined));
  assert.equal(out.body, null);
  assert.equal(header(out, "content-type"), "application/json; charset=utf-8");
  out = await respond((req, res) => res.type("application/vnd.api+json").json({}));
  assert.equal(header(out, "content-type"), "application/vnd.api+json; charset=utf-8");
  out = await respond((req, res) => res.status(201).json({ ok: true }));
  assert.equal(out.status, 201);
});

test("status(), sendStatus(), 204/304 drop body and content headers", async () => {
  let out = await respond((req, res) => res.sendStatus(404));
  assert.equal(out.status, 404);
  assert.equal(out.body, "Not Found");
  assert.equal(header(out, "content-type"), "text/plain; charset=utf-8");
  out = await respond((req, res) => res.sendStatus(299));
  assert.equal(out.body, "299");
  out = await respond((req, res) => res.status(204).send("ignored"));
  // (Express keeps the ETag it computed from the dropped body)
  assert.deepEqual(out, { handled: true, status: 204, headers: [["ETag", 'W/"7-ASG8BeCUXfpjC4DLqG4ge21MqCk"']], body: null });
  out = await respond((req, res) => res.status(204).set("X-A", "1").json({ a: 1 }));
  assert.deepEqual(out.headers, [["X-A", "1"], ["ETag", 'W/"7-n4nHQM60bXQYySSnisV5QdXpZSA"']]);
  assert.equal(out.body, null);
});

test("invalid status code -> error result", async () => {
  const out = await respond((req, res) => res.status(42).send("x"));
  assert.equal(out.error.name, "RangeError");
  assert.match(out.error.message, /Invalid status code: 42/);
});

test("set/header/get/append/vary; header casing of first set kept; case-insensitive", async () => {
  const out = await respond((req, res) => {
    res.set("X-Thing", "a");
    res.set("x-thing", "b");
    res.header({ "X-Multi": ["1", 2], "X-Num": 5 });
    res.append("x-multi", "3");
    res.append("Link", "<a>");
    res.append("Link", ["<b>", "<c>"]);
    res.vary("Accept").vary("origin").vary(["Accept", "Cookie"]);
    res.json({ thing: res.get("X-THING"), has: res.hasHeader("x-num"), names: res.getHeaderNames() });
  });
  assert.deepEqual(json(out), { thing: "b", has: true, names: ["x-thing", "x-multi", "x-num", "link", "vary"] });
  assert.deepEqual(out.headers, [
    ["X-Thing", "b"], ["X-Multi", "1"], ["X-Multi", "2"], ["X-Multi", "3"], ["X-Num", "5"],
    ["Link", "<a>"], ["Link", "<b>"], ["Link", "<c>"], ["Vary", "Accept, origin, Cookie"],
    ["Content-Type", "application/json; charset=utf-8"], ["ETag", 'W/"4c-oRrzyecPGydEFPGSxHvjpTfOz14"'],
  ]);
});

test("header validation rejects CR/LF injection and bad names", async () => {
  const out = await respond((req, res) => {
    const errors = [];
    for (const f of [() => res.set("X-Bad", "a\r\nSet-Cookie: x=1"), () => res.set("Bad Name", "x"), () => res.set("X\u0100", "x"), () => res.set("X", "\u0100")]) {
      try { f(); errors.push("no"); } catch (e) { errors.push(e.name); }
    }
    res.json(errors);
  });
  assert.deepEqual(json(out), ["TypeError", "TypeError", "TypeError", "TypeError"]);
});

test("framing headers set by the script are not passed on", async () => {
  const out = await respond((req, res) => res.set("Content-Length", "999").set("Connection", "close").set("Transfer-Encoding", "chunked").send("abc"));
  assert.deepEqual(out.headers, [["Content-Type", "text/html; charset=utf-8"], ["ETag", 'W/"3-qZk+NkcGgWq6PiVxeFDCbJzQ2J0"']]);
});

test("type()/contentType(): short names, extensions, full types", async () => {
  const cases = [["json", "application/json; charset=utf-8"], ["html", "text/html; charset=utf-8"], ["text", "text/plain; charset=utf-8"],
    ["txt", "text/plain; charset=utf-8"], ["js", "application/javascript; charset=utf-8"], ["css", "text/css; charset=utf-8"],
    ["xml", "application/xml"], ["png", "image/png"], [".svg", "image/svg+xml"], ["file.PDF", "application/pdf"],
    ["application/x-custom", "application/x-custom"], ["text/x-thing", "text/x-thing; charset=utf-8"], ["nope", "application/octet-stream"]];
  for (const [t, expected] of cases) {
    const out = await respond((req, res) => res.contentType(t).end());
    assert.equal(header(out, "content-type"), expected, t);
  }
});

test("multiple cookies are separate Set-Cookie entries; Express formatting", async () => {
  __fake.setClock(null);
  const before = Date.now();
  const out = await respond((req, res) => {
    res.cookie("a", "1");
    res.cookie("b", "x y;z", { httpOnly: true, secure: true, sameSite: "lax", domain: "example.com", path: "/p" });
    res.cookie("c", { n: 1 }, { maxAge: 3600000, sameSite: "strict" });
    res.cookie("d", "v", { sameSite: true, expires: new Date(Date.UTC(2030, 0, 2, 3, 4, 5)) });
    res.cookie("e", "v", { sameSite: "none", secure: true, path: "/" });
    res.cookie("f", "a%b", { encode: String });
    res.clearCookie("old");
    res.clearCookie("old2", { path: "/x", domain: "d.com" });
    res.send("ok");
  });
  const cookies = headerValues(out, "set-cookie");
  assert.equal(cookies.length, 8);
  assert.equal(cookies[0], "a=1; Path=/");
  assert.equal(cookies[1], "b=x%20y%3Bz; Domain=example.com; Path=/p; HttpOnly; Secure; SameSite=Lax");
  const m = /^c=j%3A%7B%22n%22%3A1%7D; Max-Age=3600; Path=\/; Expires=(.+); SameSite=Strict$/.exec(cookies[2]);
  assert.ok(m, cookies[2]);
  const exp = Date.parse(m[1]);
  assert.ok(exp >= Math.floor(before / 1000) * 1000 + 3600000 - 1000 && exp <= Date.now() + 3600000 + 1000, "expires ~ now + maxAge");
  assert.equal(cookies[3], "d=v; Path=/; Expires=Wed, 02 Jan 2030 03:04:05 GMT; SameSite=Strict");
  assert.equal(cookies[4], "e=v; Path=/; Secure; SameSite=None");
  assert.equal(cookies[5], "f=a%b; Path=/");
  assert.equal(cookies[6], "old=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT");
  assert.equal(cookies[7], "old2=; Domain=d.com; Path=/x; Expires=Thu, 01 Jan 1970 00:00:00 GMT");
});

test("cookie() validation errors", () => {
  assert.throws(() => serializeCookie("bad name", "v"), /argument name is invalid/);
  assert.throws(() => serializeCookie("a", "v", { sameSite: "sometimes" }), /sameSite/);
  assert.throws(() => serializeCookie("a", "v", { domain: "bad domain" }), /domain/);
  assert.throws(() => serializeCookie("a", "v", { expires: "tomorrow" }), /expires/);
  assert.throws(() => serializeCookie("a", "v;", { encode: String }), /argument val is invalid/);
});

test("redirect(): 302 default, explicit status, Location encoding, body by Accept", async () => {
  let out = await respond((req, res) => res.redirect("/new place?q=ü"));
  assert.equal(out.status, 302);
  assert.equal(header(out, "location"), "/new%20place?q=%C3%BC");
  assert.equal(text(out), "Found. Redirecting to /new%20place?q=%C3%BC");
  assert.equal(header(out, "content-type"), "text/plain; charset=utf-8");
  out = await respond((req, res) => res.redirect("/p"), { headers: [["accept", "text/html,application/xhtml+xml,*/*;q=0.8"]] });
  assert.equal(text(out), "<p>Found. Redirecting to /p</p>");
  assert.equal(header(out, "content-type"), "text/html; charset=utf-8");
  assert.equal(header(out, "vary"), "Accept");
  out = await respond((req, res) => res.redirect(301, "https://example.com/a%20b"), { headers: [["accept", "text/plain"]] });
  assert.equal(out.status, 301);
  assert.equal(header(out, "location"), "https://example.com/a%20b");
  assert.equal(text(out), "Moved Permanently. Redirecting to https://example.com/a%20b");
  out = await respond((req, res) => res.redirect("/x"), { headers: [["accept", "application/json"]] });
  assert.equal(text(out), "");
  out = await respond((req, res) => res.redirect("back"), { headers: [["referer", "/from"]] });
  assert.equal(header(out, "location"), "/from");
  out = await respond((req, res) => res.redirect("/<script>"), { headers: [["accept", "text/html"]] });
  assert.equal(text(out), "<p>Found. Redirecting to /%3Cscript%3E</p>");
  out = await respond((req, res) => res.location("/loc").status(201).end());
  assert.equal(header(out, "location"), "/loc");
});

test("end(), write() buffering, sending twice is ignored with a warning", async () => {
  __fake.clearLogs();
  let out = await respond((req, res) => { res.write("a"); res.write(utf8("b")); res.end("c"); });
  assert.deepEqual(Array.from(out.body), [97, 98, 99]);
  out = await respond((req, res) => { res.write("a"); res.end("b"); });
  assert.equal(out.body, "ab");
  out = await respond((req, res) => { res.status(201).end(); });
  assert.deepEqual(out, { handled: true, status: 201, headers: [], body: null });
  out = await respond((req, res) => {
    res.send("first");
    res.send("second");
    res.json({});
    res.set("X-Late", "1");
    assert.equal(res.headersSent, true);
    assert.equal(res.finished, true);
    assert.equal(res.writableEnded, true);
  });
  assert.equal(out.body, "first");
  assert.deepEqual(out.headers, [["Content-Type", "text/html; charset=utf-8"], ["ETag", 'W/"5-4JlqN8E9RMOwYHSTnUP6N1m9MsE"']]);
  assert.ok(__fake.logs.filter(([l]) => l === "warn").length >= 3);
});

test("locals, format(), attachment(), links()", async () => {
  let out = await respond((req, res) => {
    res.locals.user = "u";
    res.format({ json: () => res.json({ u: res.locals.user }), html: () => res.send("<b>") });
  }, { headers: [["accept", "application/json"]] });
  assert.deepEqual(json(out), { u: "u" });
  out = await respond((req, res) => res.format({ json: () => res.json({}) }), { headers: [["accept", "image/png"]] });
  assert.equal(out.error.status, 406);
  out = await respond((req, res) => res.attachment("dir/report 1.pdf").send(new Uint8Array(1)));
  assert.equal(header(out, "content-disposition"), 'attachment; filename="report 1.pdf"');
  assert.equal(header(out, "content-type"), "application/pdf");
  out = await respond((req, res) => res.attachment("résumé€.txt").end());
  assert.equal(header(out, "content-disposition"), "attachment; filename=\"résumé?.txt\"; filename*=UTF-8''r%C3%A9sum%C3%A9%E2%82%AC.txt");
  out = await respond((req, res) => res.attachment().end());
  assert.equal(header(out, "content-disposition"), "attachment");
  out = await respond((req, res) => res.links({ next: "/p2", last: "/p9" }).end());
  assert.equal(header(out, "link"), '</p2>; rel="next", </p9>; rel="last"');
});

test("conditional GET: 304 when ETag matches", async () => {
  const out = await respond((req, res) => res.set("ETag", '"v1"').send("body"), { headers: [["if-none-match", '"v1"']] });
  assert.equal(out.status, 304);
  assert.equal(out.body, null);
  const miss = await respond((req, res) => res.set("ETag", '"v1"').send("body"), { headers: [["if-none-match", '"v2"']] });
  assert.equal(miss.status, 200);
});

test("Response/Request can be constructed by scripts; STATUS_CODES", () => {
  const req = new Request({ method: "POST", url: "/x?y=1", headers: [["X-A", "1"]] });
  assert.equal(req.method, "POST");
  assert.deepEqual({ ...req.query }, { y: "1" });
  assert.equal(req.get("x-a"), "1");
  const res = new Response(req);
  res.status(201).json({ a: 1 });
  assert.equal(res.body, '{"a":1}');
  assert.deepEqual(res.headerList(), [["Content-Type", "application/json; charset=utf-8"], ["ETag", 'W/"7-n4nHQM60bXQYySSnisV5QdXpZSA"']]);
  assert.equal(STATUS_CODES[404], "Not Found");
  assert.equal(STATUS_CODES[418], "I'm a Teapot");
});

test("send in an error handler after an async failure; response after completion is ignored", async () => {
  const r = new Router();
  r.get("/x", async (req, res) => { await null; res.status(500); throw new Error("boom"); });
  r.use((err, req, res, next) => res.json({ caught: err.message, status: res.statusCode }));
  const out = await call(r, { url: "/x" });
  assert.deepEqual(json(out), { caught: "boom", status: 500 });
  assert.equal(out.status, 500);
  assert.equal(fromUtf8(utf8("é")), "é");
});

test("_header and _implicitHeader() as express-session uses them: end() wrapped, headers fixed first", async () => {
  const out = await respond((req, res) => {
    const seen = [];
    const end = res.end;
    res.end = function (chunk) {
      seen.push(Boolean(res._header));
      if (!res._header) res._implicitHeader();
      seen.push(Boolean(res._header), res.headersSent);
      res.end = end;
      return end.call(res, chunk + seen.join(","));
    };
    res.status(201).send("ok ");
  });
  assert.equal(out.status, 201);
  assert.equal(out.body, "ok false,true,true");
});

test("res.set() and res.header(): a name and a value (undefined too), or an object; Express's arities", async () => {
  const out = await respond((req, res) => {
    res.set("X-Undefined", undefined);
    res.header("X-Two", 2);
    res.set({ "X-A": "a", "X-B": ["b1", "b2"] });
    let threw = "";
    try {
      res.set("X-Alone");
    } catch (e) {
      threw = e.constructor.name;
    }
    res.json({ threw, get: res.get("x-undefined"), lengths: [res.set.length, res.header.length, res.redirect.length] });
  });
  assert.equal(header(out, "x-undefined"), "undefined");
  assert.equal(header(out, "x-two"), "2");
  assert.equal(header(out, "x-a"), "a");
  assert.deepEqual(headerValues(out, "x-b"), ["b1", "b2"]);
  assert.deepEqual(json(out), { threw: "TypeError", get: "undefined", lengths: [2, 2, 2] });
});
