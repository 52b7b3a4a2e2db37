#!/usr/bin/env node
// Express 4 and npm compatibility suite (issue #20, item 6): Express's own
// examples (examples/, written from expressjs/express 4.x with the changes
// each lists in its header) and popular pure-JS npm packages (packages/),
// run side by side on Node 20 with real express 4.x and on the real hbf
// binary, comparing status, the headers that matter and bodies.
//
//   node tools/express-compat/run.mjs <path to hbf> [--write-results] [--verbose] [--only NAME]
//
// Needs `npm ci` in this folder first (CTest does it). Node side:
// node-side.cjs serves every app on its own loopback port. hbf side: a fresh
// storage folder, one henv per example (and one for the packages) made with
// POST /new, the example's files as documents (same layout as on disk; the
// harness adds `_system/router.js` = `module.exports = require("../index.js")`),
// and its npm dependencies installed with one POST /_api/modules: the
// node_modules tree npm made here, nested copies and all.
//
// Exits 1 when an entry differs that known-failures.json does not list (each
// listed entry has its reason), so a regression fails CTest; a listed entry
// that now passes is reported so the list can shrink. --write-results writes
// RESULTS.md (the table README.md links to).
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { examples } from "./examples.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const hbfPath = argv.find((a) => !a.startsWith("--") && argv[argv.indexOf(a) - 1] !== "--only");
const verbose = argv.includes("--verbose");
const onlyIndex = argv.indexOf("--only");
const only = onlyIndex !== -1 ? argv[onlyIndex + 1] : null;
if (!hbfPath) {
  console.error("usage: node run.mjs <hbf> [--write-results] [--verbose] [--only NAME]");
  process.exit(2);
}
const nodeModules = path.join(here, "node_modules");
if (!fs.existsSync(path.join(nodeModules, "express"))) {
  console.error(`express-compat: ${nodeModules} has no express: run npm ci --prefix ${here}`);
  process.exit(2);
}
const known = JSON.parse(fs.readFileSync(path.join(here, "known-failures.json"), "utf8"));
const packageNames = fs.readdirSync(path.join(here, "packages")).filter((f) => f.endsWith(".js") && f !== "index.js")
  .map((f) => f.slice(0, -3)).sort();
const exampleNames = Object.keys(examples).filter((n) => !only || n === only);
const pkgNames = packageNames.filter((n) => !only || n === only || only === "packages");
const henvNames = [...exampleNames, ...(pkgNames.length ? ["packages"] : [])];

// ---------------------------------------------------------------------------
// HTTP on loopback (node:http, not fetch: the Host header routes to the henv)

// Generous timeouts: CTest may run this on a loaded machine.
function request(port, { method = "GET", path: p = "/", headers = {}, body, timeout = 60000 }) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, method, path: p, headers, timeout }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on("timeout", () => req.destroy(new Error(`${method} ${p}: timed out`)));
    req.on("error", reject);
    req.end(body);
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------
// Node side

async function startNode() {
  const child = spawn(process.execPath, [path.join(here, "node-side.cjs"), JSON.stringify(henvNames)], {
    cwd: here, env: { ...process.env, NODE_ENV: "production", TZ: "UTC" }, stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stderr.on("data", (c) => { err += c; if (err.length > 100000) err = err.slice(-50000); });
  const ports = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("node side: no ports within 30 s\n" + err)), 30000);
    child.stdout.on("data", (c) => {
      out += c;
      const m = /\nPORTS (\{.*\})\n/.exec(out);
      if (m && !child.portsSeen) {
        child.portsSeen = true;
        clearTimeout(timer);
        resolve(JSON.parse(m[1]));
      }
      if (out.length > 100000) out = out.slice(-1000);
    });
    child.on("exit", (code) => reject(new Error(`node side exited ${code}\n${err}`)));
  });
  return { child, ports };
}

// ---------------------------------------------------------------------------
// hbf side

async function startHbf() {
  const storage = fs.mkdtempSync(path.join(os.tmpdir(), "hbf-express-compat-"));
  const port = await freePort();
  const logFile = path.join(storage, "hbf.log");
  const log = fs.openSync(logFile, "w");
  const child = spawn(hbfPath, ["--port", String(port), "--storage_dir", storage, "--base_domain", "localhost",
    "--log_level", "warn", "--max_body_mb", "64",
    // Loading an app and its packages the first time may take seconds on a
    // loaded machine; the limit is not what is compared.
    "--qjs_timeout_ms", "60000"], { stdio: ["ignore", log, log], env: { ...process.env, TZ: "UTC" } });
  for (let i = 0; i < 100; i++) {
    try {
      if ((await request(port, { path: "/health", headers: { host: "localhost" } })).status === 200) break;
    } catch {
      await sleep(100);
    }
  }
  return { child, port, storage, logFile };
}

async function makeHenv(hbf, name) {
  const username = ("cx-" + name.replace(/[^a-z0-9]+/g, "-")).slice(0, 40);
  const password = "compat-suite-password";
  const body = JSON.stringify({ username, password, email: `${username}@example.com` });
  const created = await request(hbf.port, { method: "POST", path: "/new", headers: { host: "localhost", "content-type": "application/json" }, body });
  if (created.status !== 201) throw new Error(`POST /new ${username}: ${created.status} ${created.body}`);
  const hash = JSON.parse(created.body).user_hash;
  const host = `${hash}.localhost:${hbf.port}`;
  const login = await request(hbf.port, { method: "POST", path: "/_hbf/login", headers: { host, "content-type": "application/json" },
    body: JSON.stringify({ username, password }) });
  if (login.status !== 200) throw new Error(`login ${username}: ${login.status} ${login.body}`);
  const auth = { host, authorization: `Bearer ${JSON.parse(login.body).token}` };
  // The packages' whole tree goes in one upload (gzipped, a few MB; the
  // default per-henv upload limit is 10 MB).
  const config = await request(hbf.port, { method: "PATCH", path: "/_api/config",
    headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ max_upload_size_mb: 64 }) });
  if (config.status !== 200) throw new Error(`PATCH /_api/config: ${config.status} ${config.body}`);
  // An empty henv: the welcome page would answer "/" before the app's 404.
  const list = await request(hbf.port, { path: "/_api/documents?limit=1000", headers: auth });
  for (const d of JSON.parse(list.body).documents) {
    await request(hbf.port, { method: "DELETE", path: "/_api/documents/" + encodeId(d.id), headers: auth });
  }
  return { host, auth };
}

const encodeId = (id) => id.split("/").map(encodeURIComponent).join("/");

async function putDocument(hbf, henv, id, content) {
  const r = await request(hbf.port, { method: "PUT", path: "/_api/documents/" + encodeId(id), headers: henv.auth, body: content });
  if (r.status >= 300) throw new Error(`PUT ${id}: ${r.status} ${r.body}`);
}

function* walk(dir, prefix = "") {
  for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (e.isDirectory()) yield* walk(path.join(dir, e.name), prefix + e.name + "/");
    else yield [prefix + e.name, path.join(dir, e.name)];
  }
}

// Where Node would find `name` from a package at `fromDir` (its own nested
// node_modules first, then up to this folder's).
function resolvePackageDir(name, fromDir) {
  for (let dir = fromDir; dir.startsWith(here); dir = path.dirname(dir)) {
    const candidate = path.join(dir, "node_modules", name);
    if (fs.existsSync(path.join(candidate, "package.json"))) return candidate;
    if (dir === here) break;
  }
  return null;
}

// The package folders `deps` need, resolved from this folder as Node would
// (a nested copy where npm nested one), and the names found nowhere.
function dependencyClosure(deps) {
  const dirs = new Set();
  const missing = [];
  const queue = deps.map((d) => [d, here]);
  while (queue.length) {
    const [name, from] = queue.shift();
    if (name === "express") continue;  // built into hbf
    const dir = resolvePackageDir(name, from);
    if (dir === null) { missing.push(name); continue; }
    if (dirs.has(dir)) continue;
    dirs.add(dir);
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
    for (const d of Object.keys(pkg.dependencies || {})) queue.push([d, dir]);
  }
  return { dirs, missing };
}

// What stands between one package and the copies its closure needs, in a
// henv where every package of the suite is installed (one version per name).
function packageNote(pkg, henv) {
  const own = dependencyClosure([pkg]);
  const notes = own.missing.map((m) => `missing: ${m}`);
  for (const f of henv.install.failed) notes.push(`install failed: ${f}`);
  return notes.join("; ");
}

async function installPackages(hbf, henv, deps) {
  // The whole tree in one install, as npm laid it out in this folder's
  // node_modules: each top-level package the apps need, with its nested
  // node_modules (several versions of a name stay where npm put them), as
  // one gzipped tar of node_modules folders (package_tree.h: "a node_modules
  // folder"). hbf checks every dependency at install.
  const { dirs, missing } = dependencyClosure(deps);
  const failed = [];
  const modules = path.join(here, "node_modules");
  // Nested copies travel inside their top-level package's folder.
  const top = [...dirs].map((d) => path.relative(modules, d)).filter((r) => !r.includes("node_modules"));
  if (top.length) {
    const tar = spawnSync("tar", ["-C", here, "-czf", "-", ...top.map((t) => "node_modules/" + t)], { maxBuffer: 256 << 20 });
    if (tar.status !== 0) throw new Error(`tar node_modules: ${tar.stderr}`);
    const r = await request(hbf.port, { method: "POST", path: "/_api/modules", headers: henv.auth, body: tar.stdout, timeout: 300000 });
    if (r.status !== 201) failed.push(`the tree (${top.length} packages): ${r.status} ${String(r.body).slice(0, 300)}`);
  }
  return { missing, failed };
}

// The last lines hbf logged for a henv (what a 5xx was about).
function printHenvLog(hbf, henv) {
  const hash = henv.host.split(".")[0];
  const lines = fs.readFileSync(hbf.logFile, "utf8").split("\n").filter((l) => l.includes(hash));
  for (const l of lines.slice(-6)) console.log(`  hbf log: ${l.slice(0, 600)}`);
}

async function setUpHenv(hbf, name) {
  const henv = await makeHenv(hbf, name);
  const dir = name === "packages" ? path.join(here, "packages") : path.join(here, "examples", name);
  for (const [id, file] of walk(dir)) await putDocument(hbf, henv, id, fs.readFileSync(file));
  await putDocument(hbf, henv, "_system/router.js", 'module.exports = require("../index.js");\n');
  const deps = name === "packages" ? pkgNames : examples[name].deps || [];
  henv.install = await installPackages(hbf, henv, deps);
  return henv;
}

// ---------------------------------------------------------------------------
// Comparing

// Compared only when Node sends them: hbf adds these security headers to
// every answer (README "Security headers"), Express to its own pages.
const NODE_ONLY = new Set(["content-security-policy", "x-content-type-options"]);
const HEADERS = ["content-type", "content-length", "location", "set-cookie", "etag", "last-modified", "vary",
  "content-disposition", "content-range", "accept-ranges", "cache-control", "x-powered-by", "allow",
  "content-security-policy", "x-content-type-options"];

function normaliseCookie(line, randomCookies) {
  const parts = line.split(/;\s*/);
  const eq = parts[0].indexOf("=");
  const name = parts[0].slice(0, eq);
  const value = randomCookies.includes(name) ? "<random>" : parts[0].slice(eq + 1);
  const attrs = parts.slice(1).map((a) => (/^expires=/i.test(a) ? "Expires=<date>" : a));
  return [`${name}=${value}`, ...attrs].join("; ");
}

function normaliseHeaders(headers, randomCookies, method, nodeHeaders) {
  const out = {};
  for (const h of HEADERS) {
    let v = headers[h];
    if (v === undefined) continue;
    if (NODE_ONLY.has(h) && nodeHeaders[h] === undefined) continue;
    if (h === "set-cookie") v = v.map((c) => normaliseCookie(c, randomCookies)).join(" | ");
    // A file's weak ETag is size and modification time; the time differs.
    if (h === "etag") v = v.replace(/^(W\/"[0-9a-f]+-)[0-9a-f]{1,12}"$/, '$1<mtime>"');
    if (h === "last-modified") v = "<date>";
    if (h === "content-length" && method !== "HEAD") continue;  // the bodies are compared
    out[h] = v;
  }
  return out;
}

function firstDifference(a, b) {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const clip = (s) => JSON.stringify(s.slice(Math.max(0, i - 30), i + 50));
  return `at ${i}: node ${clip(a)} vs hbf ${clip(b)}`;
}

function compare(label, node, hbf, randomCookies, method) {
  if (node.status !== hbf.status) return `${label}: status ${node.status} vs ${hbf.status}` +
    (hbf.status >= 400 ? ` (hbf body ${JSON.stringify(hbf.body.toString().slice(0, 160))})` : "");
  const nb = node.body.toString("utf8");
  const hb = hbf.body.toString("utf8");
  if (nb !== hb) return `${label}: body ${firstDifference(nb, hb)}`;
  const nh = normaliseHeaders(node.headers, randomCookies, method, node.headers);
  const hh = normaliseHeaders(hbf.headers, randomCookies, method, node.headers);
  for (const h of HEADERS) {
    if (nh[h] !== hh[h]) return `${label}: ${h} ${JSON.stringify(nh[h] ?? null)} vs ${JSON.stringify(hh[h] ?? null)}`;
  }
  return null;
}

class Jar {
  constructor() { this.cookies = new Map(); }
  header() { return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "); }
  take(setCookie) {
    for (const line of setCookie || []) {
      const [pair, ...attrs] = line.split(/;\s*/);
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq);
      const gone = attrs.some((a) => /^max-age=0$/i.test(a) || /^expires=.*1970/i.test(a));
      if (gone) this.cookies.delete(name);
      else this.cookies.set(name, pair.slice(eq + 1));
    }
  }
}

function toRequest(spec) {
  if (typeof spec === "string") {
    const [method, p] = spec.split(" ");
    return { method, path: p, headers: {} };
  }
  const headers = { ...(spec.headers || {}) };
  let body = spec.body;
  if (spec.form !== undefined) {
    headers["content-type"] = "application/x-www-form-urlencoded";
    body = spec.form;
  }
  return { method: spec.method, path: spec.path, headers, body };
}

async function runExample(name, nodePort, hbf, henv) {
  const ex = examples[name];
  const random = ex.randomCookies || [];
  const jars = { node: new Jar(), hbf: new Jar() };
  const differing = [];
  for (const spec of ex.requests) {
    const r = toRequest(spec);
    const label = `${r.method} ${r.path}`;
    const answers = {};
    for (const side of ["node", "hbf"]) {
      const headers = { ...r.headers, host: henv.host };
      if (r.body !== undefined) headers["content-length"] = String(Buffer.byteLength(r.body));
      // hbf refuses a cookie-authenticated state change from another origin (CSRF): send the henv's own.
      if (r.method !== "GET" && r.method !== "HEAD") headers.origin = `http://${henv.host}`;
      const cookie = jars[side].header();
      if (cookie) headers.cookie = cookie;
      answers[side] = await request(side === "node" ? nodePort : hbf.port, { ...r, headers });
      jars[side].take(answers[side].headers["set-cookie"]);
    }
    const d = compare(label, answers.node, answers.hbf, random, r.method);
    if (verbose) console.log(`  ${name} ${label}: ${answers.node.status}/${answers.hbf.status}${d ? " DIFFERS" : ""}`);
    if (d) differing.push(d);
  }
  if (differing.length === 0) return null;
  return differing[0] + (differing.length > 1 ? ` (and ${differing.length - 1} more of ${ex.requests.length} requests differ)` : "");
}

// ---------------------------------------------------------------------------

const results = { examples: [], packages: [] };
const node = await startNode();
const hbf = await startHbf();
let exitCode = 0;
try {
  // Henvs are set up a few at a time (the packages' first: the longest),
  // and each is compared as soon as it is ready, in order.
  const order = [...henvNames].sort((a, b) => (b === "packages") - (a === "packages"));
  const setups = new Map();
  let running = 0;
  const waiting = [];
  const slot = async (fn) => {
    while (running >= 3) await new Promise((r) => waiting.push(r));
    running++;
    try { return await fn(); } finally { running--; waiting.shift()?.(); }
  };
  for (const name of order) {
    const p = slot(() => setUpHenv(hbf, name));
    p.catch(() => {});
    setups.set(name, p);
  }
  if (process.env.HBF_COMPAT_HOLD) {  // debugging: set up, print where, wait
    for (const name of henvNames) console.log(`${name}: hbf ${hbf.port} host ${(await setups.get(name)).host}, node ${node.ports[name]}`);
    await sleep(Number(process.env.HBF_COMPAT_HOLD) * 1000);
  }
  for (const name of henvNames) {
    const t0 = Date.now();
    const henv = await setups.get(name);
    const t1 = Date.now();
    const inst = henv.install;
    const installNote = [...inst.failed.map((f) => `install failed: ${f}`), ...inst.missing.map((m) => `missing: ${m}`)].join("; ");
    if (name === "packages") {
      for (const pkg of pkgNames) {
        const r = { path: `/p/${pkg}`, headers: { host: henv.host } };
        const [a, b] = [await request(node.ports.packages, r), await request(hbf.port, r)];
        let diff = compare(`GET /p/${pkg}`, a, b, [], "GET");
        if (diff && !known.packages?.[pkg] && b.status >= 500) printHenvLog(hbf, henv);
        const note = packageNote(pkg, henv);
        if (diff && note) diff += ` [${note}]`;
        results.packages.push({ name: pkg, diff });
      }
    } else {
      let diff = await runExample(name, node.ports[name], hbf, henv);
      if (diff && installNote) diff += ` [${installNote}]`;
      if (diff && !known.examples?.[name]) printHenvLog(hbf, henv);
      results.examples.push({ name, diff, requests: examples[name].requests.length });
    }
    if (verbose) console.log(`${name}: waited ${t1 - t0} ms for its set-up, ran ${Date.now() - t1} ms`);
  }
} catch (e) {
  console.error(`express-compat: ${e.stack}`);
  console.error(fs.readFileSync(hbf.logFile, "utf8").slice(-4000));
  exitCode = 1;
} finally {
  node.child.kill("SIGTERM");
  hbf.child.kill("SIGTERM");
  await sleep(200);
  if (process.env.HBF_COMPAT_KEEP) console.log(`kept ${hbf.storage} (hbf's log: hbf.log)`);
  else fs.rmSync(hbf.storage, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------
// Report

const count = (list) => `${list.filter((r) => !r.diff).length}/${list.length}`;
const unexpected = [];
const nowPassing = [];
for (const [kind, list] of [["examples", results.examples], ["packages", results.packages]]) {
  for (const r of list) {
    const reason = known[kind]?.[r.name];
    if (r.diff && !reason) unexpected.push(`${kind}/${r.name}: ${r.diff}`);
    if (!r.diff && reason) nowPassing.push(`${kind}/${r.name}`);
  }
}
const esc = (s) => String(s).replace(/\|/g, "\\|").replace(/\n/g, " ");
const table = (kind, list) => [
  `| ${kind === "examples" ? "example" : "package"} | identical | first difference |`, "|---|---|---|",
  ...list.map((r) => `| ${r.name}${kind === "examples" ? ` (${r.requests} requests)` : ""} | ${r.diff ? "no" : "yes"} | ${r.diff ? esc(r.diff) + (known[kind]?.[r.name] ? `<br>known: ${esc(known[kind][r.name])}` : "") : ""} |`),
].join("\n");

for (const r of [...results.examples, ...results.packages]) {
  console.log(`${r.diff ? "DIFF" : "same"}  ${r.name}${r.diff ? "  " + r.diff : ""}`);
}
console.log(`examples identical: ${count(results.examples)}; packages identical: ${count(results.packages)}`);
if (nowPassing.length) console.log(`now identical (remove from known-failures.json): ${nowPassing.join(", ")}`);
if (unexpected.length) {
  console.log(`not in known-failures.json:\n  ${unexpected.join("\n  ")}`);
  exitCode = 1;
}

if (argv.includes("--write-results") && !only) {
  const nodeExpress = JSON.parse(fs.readFileSync(path.join(nodeModules, "express", "package.json"), "utf8")).version;
  const commit = spawnSync("git", ["rev-parse", "--short", "HEAD"], { cwd: here, encoding: "utf8" }).stdout.trim();
  const md = [
    "# Express and npm compatibility: results",
    "",
    `Run ${new Date().toISOString().slice(0, 10)} by \`tools/express-compat/run.mjs\` (CTest \`express_compat\`), hbf at commit ${commit}, ` +
      `Node ${process.version} with express ${nodeExpress}. Each example's requests (examples.mjs) and each package's script (packages/) ` +
      "ran on both; compared: status, the headers listed in run.mjs (HEADERS), and the body. " +
      "Normalised: a file's ETag time part, Last-Modified and cookie Expires dates, random session ids.",
    "",
    `**Examples identical: ${count(results.examples)}. Packages identical: ${count(results.packages)}.**`,
    "",
    table("examples", results.examples),
    "",
    table("packages", results.packages),
    "",
  ].join("\n");
  fs.writeFileSync(path.join(here, "RESULTS.md"), md);
  console.log("wrote RESULTS.md");
}
process.exit(exitCode);
