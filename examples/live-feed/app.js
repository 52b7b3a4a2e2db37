// The page: what the user may see now (the records API), then every change
// as it commits (GET /_api/realtime, Server-Sent Events with the session
// cookie). EventSource reconnects by itself; after a reconnect the lists
// are read again, since events are not replayed.
const $ = (selector) => document.querySelector(selector);
const files = new Map();
const jobs = new Map();

function text(tag, value) {
  const el = document.createElement(tag);
  el.textContent = value;
  return el;
}

function render() {
  const fileList = $("#files");
  fileList.replaceChildren(...[...files.values()].sort((a, b) => b.id - a.id).map((f) => text("li", `${f.name} (${f.size} bytes)`)));
  const jobList = $("#jobs");
  jobList.replaceChildren(...[...jobs.values()].sort((a, b) => b.id - a.id).map((j) => {
    const li = text("li", `${j.name}: ${j.stage} `);
    const bar = document.createElement("progress");
    bar.max = 100;
    bar.value = j.progress;
    li.append(bar);
    return li;
  }));
}

async function load(table, into) {
  const r = await fetch(`/_api/data/${table}?limit=100`);
  if (!r.ok) return;
  const body = await r.json();
  into.clear();
  for (const row of body.items ?? []) into.set(row.id, row);
}

function apply(event) {
  const into = event.table === "files" ? files : event.table === "jobs" ? jobs : null;
  if (!into) return;
  if (event.op === "delete") into.delete(event.id);
  else if (event.op === "many") load(event.table, into).then(render);
  else into.set(event.id, event.row);
  render();
}

async function start() {
  const me = await fetch("/_api/me");
  if (!me.ok) {
    $("#who").innerHTML = 'Not signed in. <a href="/_hbf/login?next=/">Sign in</a>';
    return;
  }
  const user = await me.json();
  $("#who").textContent = `Signed in as ${user.user.username}`;
  await Promise.all([load("files", files), load("jobs", jobs)]);
  render();
  const source = new EventSource("/_api/realtime?tables=files,jobs");
  source.addEventListener("ready", async () => {
    $("#status").textContent = "live";
    $("#status").className = "status live";
    await Promise.all([load("files", files), load("jobs", jobs)]);
    render();
  });
  source.addEventListener("change", (e) => apply(JSON.parse(e.data)));
  source.addEventListener("error", () => {
    $("#status").textContent = "reconnecting…";
    $("#status").className = "status";
  });
}

async function post(path, body) {
  const r = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  if (!r.ok) alert((await r.json()).error?.message ?? r.statusText);
}

$("#add-file").addEventListener("submit", (e) => {
  e.preventDefault();
  const name = e.target.name.value;
  e.target.reset();
  post("/files", { name, size: Math.floor(Math.random() * 100000) });
});
$("#add-job").addEventListener("submit", (e) => {
  e.preventDefault();
  const name = e.target.name.value || "server";
  e.target.reset();
  post("/jobs", { name });  // answers when done; the feed shows each stage before that
});

start();
