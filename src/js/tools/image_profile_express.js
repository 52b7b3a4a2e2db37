// The Express app hbf_image_profile (image_profile.cpp) traces beside
// image_profile_router.js: the same requests through the `express` module,
// so the profile holds the image lines an Express app's requests read too.
import express from "express";
import db from "hbf:db";

db.execute("CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, title TEXT NOT NULL)");
db.execute("INSERT OR IGNORE INTO items (id, title) VALUES (1, 'first'), (2, 'second')");

const app = express();
app.use(express.json());
app.use((req, res, next) => {
  res.set("X-Profile", "1");
  next();
});

app.get("/hello", (req, res) => res.json({ msg: "hi" }));

app.get("/text", (req, res) => res.type("text").send("hello"));

app.get("/items/:id", (req, res) => {
  const row = db.get("SELECT id, title FROM items WHERE id = ?", [Number(req.params.id)]);
  if (!row) return res.status(404).json({ error: "not found" });
  res.status(200).json({ row, q: req.query.q ?? null, agent: req.get("user-agent") ?? null });
});

app.get("/items", (req, res) => res.json(db.query("SELECT id, title FROM items ORDER BY id LIMIT 10")));

app.get("/page/:id", (req, res) => {
  const item = db.get("SELECT id, title FROM items WHERE id = ?", [Number(req.params.id)]);
  res.render("page", { item, tags: ["a", "b"] });
});

app.post("/items", async (req, res) => {
  const title = String(req.body?.title ?? "untitled");
  await Promise.resolve();
  db.execute("INSERT INTO items (title) VALUES (?)", [title]);
  res.status(201).json({ title });
});

export default app;
