// Live feed example (HBF): a file-sync app's feed and a provisioning app's
// staged progress, both pushed to browsers by GET /_api/realtime.
//
// The app writes rows; HBF tells every subscriber about the rows it may
// see (the row policy `owner = $username` installed by install.sh), so the
// page never polls and never sees another user's files or jobs.
import { Router } from "hbf:router";
import db from "hbf:db";

db.execute(`CREATE TABLE IF NOT EXISTS files (
  id INTEGER PRIMARY KEY,
  owner TEXT NOT NULL,
  name TEXT NOT NULL,
  size INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL DEFAULT (unixepoch()))`);
db.execute(`CREATE TABLE IF NOT EXISTS jobs (
  id INTEGER PRIMARY KEY,
  owner TEXT NOT NULL,
  name TEXT NOT NULL,
  stage TEXT NOT NULL,
  progress INTEGER NOT NULL DEFAULT 0)`);

const STAGES = ["queued", "allocating", "installing", "configuring", "ready"];
const STEP_MS = 300;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const router = new Router();

function requireUser(req, res) {
  if (req.user) return true;
  res.status(401).json({ error: { code: "unauthorized", message: "sign in first" } });
  return false;
}

// A file "synced" from a device: the feed shows it on every open page of
// its owner.
router.post("/files", (req, res) => {
  if (!requireUser(req, res)) return;
  const name = String(req.body?.name ?? "").trim();
  if (!name || name.length > 200) {
    return res.status(400).json({ error: { code: "invalid_field", message: "name: 1-200 characters" } });
  }
  const size = Number.isInteger(req.body?.size) && req.body.size >= 0 ? req.body.size : 0;
  db.execute("INSERT INTO files (owner, name, size) VALUES (?, ?, ?)", [req.user.username, name, size]);
  const [row] = db.query("SELECT * FROM files WHERE id = last_insert_rowid()");
  res.status(201).json(row);
});

router.delete("/files/:id", (req, res) => {
  if (!requireUser(req, res)) return;
  db.execute("DELETE FROM files WHERE id = ? AND owner = ?", [Number(req.params.id), req.user.username]);
  res.status(204).end();
});

// A provisioning job: each stage is a committed row update, so subscribers
// see the progress while the request is still running.
router.post("/jobs", async (req, res) => {
  if (!requireUser(req, res)) return;
  const name = String(req.body?.name ?? "server").slice(0, 100);
  db.execute("INSERT INTO jobs (owner, name, stage, progress) VALUES (?, ?, ?, 0)", [req.user.username, name, STAGES[0]]);
  const [{ id }] = db.query("SELECT last_insert_rowid() AS id");
  for (let i = 1; i < STAGES.length; i++) {
    await sleep(STEP_MS);
    const progress = Math.round((i * 100) / (STAGES.length - 1));
    db.execute("UPDATE jobs SET stage = ?, progress = ? WHERE id = ?", [STAGES[i], progress, id]);
  }
  const [job] = db.query("SELECT * FROM jobs WHERE id = ?", [id]);
  res.status(201).json(job);
});

export default router;
