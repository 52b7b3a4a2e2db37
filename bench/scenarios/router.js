// The benchmark app: what bench/run drives with wrk.
import { Router } from "hbf:router";
import db from "hbf:db";

db.execute("CREATE TABLE IF NOT EXISTS posts (id INTEGER PRIMARY KEY, title TEXT NOT NULL, body TEXT NOT NULL)");
const router = new Router();

router.get("/hello", (req, res) => res.json({ msg: "hi" }));

router.get("/posts/:id", (req, res) => {
  const row = db.get("SELECT id, title, body FROM posts WHERE id = ?", [Number(req.params.id)]);
  if (!row) return res.status(404).json({ error: "not found" });
  res.json(row);
});

// The template scenario: one row, rendered through views/page.ejs with the
// same locals every peer passes.
router.get("/page/:id", (req, res) => {
  const id = Number(req.params.id);
  const post = db.get("SELECT id, title, body FROM posts WHERE id = ?", [id]);
  if (!post) return res.status(404).json({ error: "not found" });
  const related = [];
  for (let k = 1; k <= 10; k++) {
    const rid = ((id + k - 1) % 10000) + 1;
    related.push({ id: rid, title: "Post " + rid });
  }
  res.render("page", { post, tags: ["bench", "sqlite", "ejs"], related, visitor: "<guest & friends>" });
});

router.post("/posts", (req, res) => {
  const r = db.execute("INSERT INTO posts (title, body) VALUES (?, ?)", [req.body.title, req.body.body]);
  res.status(201).json({ id: r.last_insert_id });
});

// Set-up only: fills the table with `n` rows in one transaction.
router.post("/_bench/seed", (req, res) => {
  const n = Number(req.query.n || 10000);
  db.transaction(() => {
    db.execute("DELETE FROM posts");
    for (let i = 1; i <= n; i++) {
      db.execute("INSERT INTO posts (id, title, body) VALUES (?, ?, ?)", [i, "Post " + i, "Body of post " + i]);
    }
  });
  res.json({ seeded: n });
});

export default router;
