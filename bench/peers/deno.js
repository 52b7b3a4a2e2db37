// HBF benchmark peer: `deno serve` (default-export form, so `--parallel` works)
// + node:sqlite + ejs, the way Deno's docs show. Host/port come from
// `deno serve --host/--port` (see start.sh). Env: DB (SQLite file, created if
// missing), TEMPLATE (page.ejs). ejs is loaded from bench/.peers/node_modules
// with createRequire, so no network access is needed.
import { DatabaseSync } from "node:sqlite";
import { createRequire } from "node:module";

const require = createRequire(new URL("../.peers/", import.meta.url));
const ejs = require("ejs");

const db = new DatabaseSync(Deno.env.get("DB"));
db.exec("PRAGMA busy_timeout = 5000");
// Several isolates open a new file at once, and switching it to WAL needs
// it alone for a moment (the busy timeout does not cover that): retry.
for (let attempt = 0; ; attempt++) {
  try {
    db.exec("PRAGMA journal_mode = WAL");
    break;
  } catch (e) {
    if (!/locked|busy/i.test(String(e?.message)) || attempt >= 250) throw e;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  }
}
db.exec("PRAGMA synchronous = NORMAL");
db.exec("CREATE TABLE IF NOT EXISTS posts (id INTEGER PRIMARY KEY, title TEXT NOT NULL, body TEXT NOT NULL)");

// Seed once; IMMEDIATE so that several --parallel workers starting together seed only once.
db.exec("BEGIN IMMEDIATE");
try {
  if (db.prepare("SELECT count(*) AS n FROM posts").get().n === 0) {
    const seed = db.prepare("INSERT INTO posts (id, title, body) VALUES (?, ?, ?)");
    for (let i = 1; i <= 10000; i++) seed.run(i, "Post " + i, "Body of post " + i);
  }
  db.exec("COMMIT");
} catch (e) {
  db.exec("ROLLBACK");
  throw e;
}

const getPost = db.prepare("SELECT id, title, body FROM posts WHERE id = ?");
const insertPost = db.prepare("INSERT INTO posts (title, body) VALUES (?, ?)");

const page = ejs.compile(Deno.readTextFileSync(Deno.env.get("TEMPLATE")));
const tags = ["bench", "sqlite", "ejs"];
const visitor = "<guest & friends>";
function related(id) {
  const out = [];
  for (let k = 1; k <= 10; k++) {
    const rid = ((id + k - 1) % 10000) + 1;
    out.push({ id: rid, title: "Post " + rid });
  }
  return out;
}

const notFound = () => Response.json({ error: "not found" }, { status: 404 });

export default {
  async fetch(req) {
    const path = new URL(req.url).pathname;
    if (req.method === "GET") {
      if (path === "/hello") return Response.json({ msg: "hi" });
      if (path.startsWith("/posts/")) {
        const row = getPost.get(Number(path.slice(7)));
        return row ? Response.json(row) : notFound();
      }
      if (path.startsWith("/page/")) {
        const post = getPost.get(Number(path.slice(6)));
        if (!post) return notFound();
        const html = page({ post, tags, related: related(post.id), visitor });
        return new Response(html, { headers: { "content-type": "text/html; charset=utf-8" } });
      }
    } else if (req.method === "POST" && path === "/posts") {
      const { title, body } = await req.json();
      const r = insertPost.run(title, body);
      return Response.json({ id: Number(r.lastInsertRowid) }, { status: 201 });
    }
    return notFound();
  },
};
