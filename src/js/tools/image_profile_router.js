// The app hbf_image_profile (image_profile.cpp) traces at build time: what
// most handlers do, so that the lines of the worker image these requests
// read are the ones a cold worker prefetches (js/image_profile.h). Each
// route is one of image_profile.cpp's requests.
import { Router } from "hbf:router";
import db from "hbf:db";

db.execute("CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, title TEXT NOT NULL)");
db.execute("INSERT OR IGNORE INTO items (id, title) VALUES (1, 'first'), (2, 'second')");

const router = new Router();

// Middleware: a header set, then on to the routes.
router.use((req, res, next) => {
  res.set("X-Profile", "1");
  next();
});

router.get("/hello", (req, res) => res.json({ msg: "hi" }));

router.get("/text", (req, res) => res.type("text").send("hello"));

// Parameters, the query string, a request header, a row, a status.
router.get("/items/:id", (req, res) => {
  const row = db.get("SELECT id, title FROM items WHERE id = ?", [Number(req.params.id)]);
  if (!row) return res.status(404).json({ error: "not found" });
  res.status(200).json({ row, q: req.query.q ?? null, agent: req.get("user-agent") ?? null });
});

router.get("/items", (req, res) => res.json(db.query("SELECT id, title FROM items ORDER BY id LIMIT 10")));

// A template (views/page.ejs: tools/image_profile_view.ejs).
router.get("/page/:id", (req, res) => {
  const item = db.get("SELECT id, title FROM items WHERE id = ?", [Number(req.params.id)]);
  res.render("page", { item, tags: ["a", "b"] });
});

// A JSON body, awaited work, a write.
router.post("/items", async (req, res) => {
  const title = String(req.body?.title ?? "untitled");
  await Promise.resolve();
  db.execute("INSERT INTO items (title) VALUES (?)", [title]);
  res.status(201).json({ title });
});

export default router;
