// HBF benchmark peer: a workerd (Cloudflare Workers) worker, written the way
// the Workers docs show: a stateless fetch handler in front of one
// SQLite-backed Durable Object (ctx.storage.sql) that owns the posts table,
// called over JS RPC. Every request that touches the data goes to the one
// object named "bench"; /hello is answered by the worker alone.
import { DurableObject } from "cloudflare:workers";
import ejs from "node_modules/ejs/lib/ejs.js";
import template from "page.ejs";

// Compiled once, at global scope: workerd allows eval / new Function only
// while the script starts up (compat flag allow_eval_during_startup, the
// default since 2025-06-01), and ejs.compile uses new Function.
const page = ejs.compile(template);
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

export class Posts extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    // Durable Objects run their SQLite in WAL mode themselves; PRAGMA
    // journal_mode / synchronous are not allowed from the SQL API.
    this.sql.exec("CREATE TABLE IF NOT EXISTS posts (id INTEGER PRIMARY KEY, title TEXT NOT NULL, body TEXT NOT NULL)");
    if (this.sql.exec("SELECT count(*) AS n FROM posts").one().n === 0) {
      ctx.storage.transactionSync(() => {
        for (let i = 1; i <= 10000; i++) {
          this.sql.exec("INSERT INTO posts (id, title, body) VALUES (?, ?, ?)", i, "Post " + i, "Body of post " + i);
        }
      });
    }
  }

  // The SQL API has no public prepare(); workerd caches the prepared
  // statement for each query string.
  getPost(id) {
    const rows = this.sql.exec("SELECT id, title, body FROM posts WHERE id = ?", id).toArray();
    return rows.length ? rows[0] : null;
  }

  createPost(title, body) {
    return this.sql.exec("INSERT INTO posts (title, body) VALUES (?, ?) RETURNING id", title, body).one().id;
  }
}

const json = (value, status = 200) => Response.json(value, { status });
const notFound = () => json({ error: "not found" }, 404);

export default {
  async fetch(req, env) {
    const path = new URL(req.url).pathname;
    if (req.method === "GET" && path === "/hello") return json({ msg: "hi" });
    const posts = env.POSTS.get(env.POSTS.idFromName("bench"));
    if (req.method === "GET") {
      if (path.startsWith("/posts/")) {
        const row = await posts.getPost(Number(path.slice(7)));
        return row ? json(row) : notFound();
      }
      if (path.startsWith("/page/")) {
        const post = await posts.getPost(Number(path.slice(6)));
        if (!post) return notFound();
        const html = page({ post, tags, related: related(post.id), visitor });
        return new Response(html, { headers: { "content-type": "text/html; charset=utf-8" } });
      }
    } else if (req.method === "POST" && path === "/posts") {
      const { title, body } = await req.json();
      return json({ id: await posts.createPost(title, body) }, 201);
    }
    return notFound();
  },
};
