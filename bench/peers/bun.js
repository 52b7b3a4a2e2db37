// HBF benchmark peer: Bun.serve + bun:sqlite + ejs, the way Bun's docs show.
// Env: PORT, DB (SQLite file, created if missing), TEMPLATE (page.ejs),
// INSTANCES (>1: several processes share the port with reusePort, see start.sh).
import { Database } from "bun:sqlite";
import { createRequire } from "node:module";

const require = createRequire(new URL("../.peers/", import.meta.url));
const ejs = require("ejs");

const port = Number(process.env.PORT || 3000);
const db = new Database(process.env.DB, { create: true, strict: true });
db.exec("PRAGMA busy_timeout = 5000");
// Several processes open a new file at once, and switching it to WAL needs
// it alone for a moment (the busy timeout does not cover that): retry.
for (let attempt = 0; ; attempt++) {
  try {
    db.exec("PRAGMA journal_mode = WAL");
    break;
  } catch (e) {
    if (e.code !== "SQLITE_BUSY" || attempt >= 250) throw e;
    Bun.sleepSync(20);
  }
}
db.exec("PRAGMA synchronous = NORMAL");
db.exec("CREATE TABLE IF NOT EXISTS posts (id INTEGER PRIMARY KEY, title TEXT NOT NULL, body TEXT NOT NULL)");

// Seed once; IMMEDIATE so that several processes starting together seed only once.
db.transaction(() => {
  if (db.query("SELECT count(*) AS n FROM posts").get().n > 0) return;
  const seed = db.prepare("INSERT INTO posts (id, title, body) VALUES (?, ?, ?)");
  for (let i = 1; i <= 10000; i++) seed.run(i, "Post " + i, "Body of post " + i);
}).immediate();

const getPost = db.prepare("SELECT id, title, body FROM posts WHERE id = ?");
const insertPost = db.prepare("INSERT INTO posts (title, body) VALUES (?, ?)");

const page = ejs.compile(await Bun.file(process.env.TEMPLATE).text());
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

Bun.serve({
  hostname: "127.0.0.1",
  port,
  reusePort: Number(process.env.INSTANCES || 1) > 1,
  development: false,
  routes: {
    "/hello": () => Response.json({ msg: "hi" }),
    "/posts/:id": {
      GET: (req) => {
        const row = getPost.get(Number(req.params.id));
        return row ? Response.json(row) : notFound();
      },
    },
    "/posts": {
      POST: async (req) => {
        const { title, body } = await req.json();
        const r = insertPost.run(title, body);
        return Response.json({ id: Number(r.lastInsertRowid) }, { status: 201 });
      },
    },
    "/page/:id": {
      GET: (req) => {
        const post = getPost.get(Number(req.params.id));
        if (!post) return notFound();
        const html = page({ post, tags, related: related(post.id), visitor });
        return new Response(html, { headers: { "content-type": "text/html; charset=utf-8" } });
      },
    },
  },
  fetch: notFound,
});
