// Side by side: express.static, res.sendFile and res.download of express@4
// over files on disk, and hbf:express's over the same bytes as documents
// (same modification time, so the ETags and Last-Modified must match too).
// Needs express in tools/jsrt-test/node_modules (`npm ci` there); skipped otherwise.
import { test, assert } from "../portable/harness.mjs";
import { createRequire } from "node:module";
import http from "node:http";
import { mkdtempSync, mkdirSync, writeFileSync, utimesSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { comparedHeaders, compareResponses, expressResponse, hbfResponse } from "./side_by_side.mjs";
import { __fake } from "hbf:native";
import hbfExpress from "hbf:express";

const require = createRequire(import.meta.url);
let express = null;
try {
  express = require("express");
} catch {
  console.log("node/express_static.test.mjs: express is not installed in tools/jsrt-test/node_modules; comparison skipped");
}

const MTIME = 1700000000; // seconds: documents keep whole seconds
const FILES = {
  "public/css/style.css": "body { color: red }",
  "public/index.html": "<h1>home</h1>",
  "public/.secret": "hidden",
  "public/docs/index.html": "<h1>docs</h1>",
  "public/data.json": '{"a":1}',
  "public/a b.txt": "spaced",
  "public/img.png": "\x89PNG....",
  "public/app.js": "console.log(1)",
  "public/empty/x/y.txt": "deep",
};

function defineApp(ex, root) {
  const app = ex();
  app.set("env", "production");
  app.use(ex.static(root("public")));
  app.use("/s", ex.static(root("public"), { maxAge: "1d", immutable: true, index: false, redirect: false }));
  app.use("/nf", ex.static(root("public"), { fallthrough: false, dotfiles: "deny", etag: false, lastModified: false }));
  app.use("/ext", ex.static(root("public"), { extensions: ["html", "css"], dotfiles: "allow", cacheControl: false }));
  app.get("/file", (req, res) => res.sendFile(root("public/data.json")));
  app.get("/rooted", (req, res) => res.sendFile("css/style.css", { root: root("public"), maxAge: 60000 }));
  app.get("/nofile", (req, res) => res.sendFile(root("public/none.txt"), (err) => res.status(err.status).send(err.code)));
  app.get("/download", (req, res) => res.download(root("public/a b.txt")));
  app.get("/download2", (req, res) => res.download(root("public/data.json"), "report.json"));
  return app;
}

const REQUESTS = [
  ["GET", "/css/style.css"], ["HEAD", "/css/style.css"], ["GET", "/css/style.css", { "if-none-match": "ETAG" }],
  ["GET", "/css/style.css", { "if-modified-since": new Date(MTIME * 1000).toUTCString() }],
  ["GET", "/css/style.css", { "if-modified-since": new Date((MTIME - 10) * 1000).toUTCString() }],
  ["GET", "/css/style.css", { range: "bytes=0-3" }], ["GET", "/css/style.css", { range: "bytes=5-" }],
  ["GET", "/css/style.css", { range: "bytes=-3" }], ["GET", "/css/style.css", { range: "bytes=0-1,3-4" }],
  ["GET", "/css/style.css", { range: "bytes=0-1,2-4" }], ["GET", "/css/style.css", { range: "bytes=100-200" }],
  ["GET", "/css/style.css", { range: "items=0-1" }], ["GET", "/css/style.css", { range: "bytes=0-3", "if-range": "ETAG" }],
  ["GET", "/css/style.css", { range: "bytes=0-3", "if-range": '"other"' }],
  ["GET", "/css/style.css", { "if-match": '"nope"' }],
  ["GET", "/"], ["GET", "/docs"], ["GET", "/docs?x=1"], ["GET", "/docs/"], ["GET", "/.secret"], ["GET", "/css/"], ["GET", "/empty"],
  ["GET", "/a%20b.txt"], ["GET", "/img.png"], ["GET", "/data.json"], ["GET", "/app.js"], ["POST", "/css/style.css"],
  ["GET", "/s/css/style.css"], ["GET", "/s"], ["GET", "/s/"], ["GET", "/s/docs"],
  ["GET", "/nf/missing.css"], ["GET", "/nf/.secret"], ["GET", "/nf/data.json"], ["GET", "/nf"], ["GET", "/nf/%E0%A4%A"],
  ["GET", "/ext/index"], ["GET", "/ext/css/style"], ["GET", "/ext/.secret"],
  ["GET", "/file"], ["GET", "/rooted"], ["GET", "/nofile"], ["GET", "/download"], ["GET", "/download2"],
  ["GET", "/missing"],
];

const COMPARED = ["content-type", "cache-control", "etag", "last-modified", "accept-ranges", "content-range", "location",
  "content-security-policy", "x-content-type-options", "content-disposition", "x-powered-by"];

if (express) {
  test("express.static / sendFile / download of hbf:express behave like express@4's", async () => {
    const registry = globalThis[Symbol.for("hbf.test.builtins")];
    registry["hbf:http_send"] ??= await import("hbf:http_send");
    const dir = mkdtempSync(join(tmpdir(), "hbf-static-"));
    __fake.docs.clear();
    for (const [id, text] of Object.entries(FILES)) {
      const bytes = Buffer.from(text, "latin1");
      mkdirSync(dirname(join(dir, id)), { recursive: true });
      writeFileSync(join(dir, id), bytes);
      utimesSync(join(dir, id), MTIME, MTIME);
      __fake.docs.set(id, { bytes: new Uint8Array(bytes), modified_at: MTIME, content_type: "application/octet-stream" });
    }
    const theirs = defineApp(express, (p) => join(dir, p));
    const ours = defineApp(hbfExpress, (p) => "/" + p);
    const server = http.createServer(theirs);
    await new Promise((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address();
    const failures = [];
    const consoleError = console.error;
    console.error = () => {};
    try {
      const etag = comparedHeaders((await expressResponse(port, ["GET", "/css/style.css"])).headers, COMPARED).etag[0];
      for (const raw of REQUESTS) {
        const spec = [raw[0], raw[1], raw[2] && Object.fromEntries(Object.entries(raw[2]).map(([k, v]) => [k, v === "ETAG" ? etag : v]))];
        compareResponses(failures, spec, await expressResponse(port, spec), await hbfResponse(ours, "127.0.0.1", spec), COMPARED);
      }
    } finally {
      console.error = consoleError;
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
    assert.equal(failures.length, 0, "\n" + failures.join("\n"));
  });
}
