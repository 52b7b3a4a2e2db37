#!/usr/bin/env python3
"""HBF benchmarks: hbf side by side with Bun, Deno, workerd and nginx.

Run through `bench/run` (which installs wrk, nginx, gnuplot and the peers and
builds hbf in release mode first). Every server runs on loopback, on this
machine, in this run, driven by wrk with the same settings; each figure is the
median of RUNS runs. Writes bench/results/latest.md and latest.png.

Scenarios (see bench/README.md):
  hello, read, write, template   hbf vs Bun, Deno, workerd (same app in each)
  static 1 KB / 100 KB           hbf vs nginx (the same bytes)
  tenants 1k / 10k               hbf only: random Host over N henvs
  cold start                     hbf only: each request hits a henv that is not open
  idle                           hbf only: RSS per idle keep-alive connection, /health latency with them open
  neighbour                      hbf only: one henv's /hello latency while another henv's scripts spin
"""
import argparse
import hashlib
import http.client
import json
import os
import random
import resource
import select
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench")
SCENARIOS = os.path.join(BENCH, "scenarios")
HBF = os.path.join(ROOT, "build", "release", "src", "hbf")
PEERS = os.path.join(BENCH, "peers")
CORES = os.cpu_count() or 1

HBF_EXTRA_ARGS = []  # --hbf-args: extra flags for every hbf started (A/B runs)
WRK_THREADS = 2
WRK_CONNECTIONS = 64
PASSWORD = "bench password 1"


def log(msg):
    print(f"bench: {msg}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(port, method, path, host="localhost", body=None, headers=None, timeout=30):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    h = {"Host": host}
    h.update(headers or {})
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
        h.setdefault("Content-Type", "application/json")
    conn.request(method, path, body=body, headers=h)
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, data


def wait_ready(port, path, host="localhost", seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            status, _ = request(port, "GET", path, host, timeout=2)
            if status < 500:
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"nothing answered on port {port} within {seconds} s")


# ----------------------------------------------------------------- processes

def process_tree(root_pid):
    """root_pid and all its descendants (from /proc)."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
            ppid = int(stat[stat.rindex(")") + 2:].split()[1])
            children.setdefault(ppid, []).append(int(entry))
        except (OSError, ValueError):
            continue
    out, todo = [], [root_pid]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def rss_bytes(root_pid):
    total = 0
    for pid in process_tree(root_pid):
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total


class RssSampler:
    """Peak RSS of a process tree while a block runs (sampled every 100 ms)."""

    def __init__(self, pid):
        self.pid, self.peak, self._stop = pid, 0, threading.Event()

    def __enter__(self):
        self.peak = rss_bytes(self.pid)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self):
        while not self._stop.wait(0.1):
            self.peak = max(self.peak, rss_bytes(self.pid))

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_bytes(self.pid))


class Server:
    def __init__(self, name, argv, port, env=None, log_path=None, cwd=None):
        self.name, self.port = name, port
        self.log_path = log_path
        logf = open(log_path, "wb") if log_path else subprocess.DEVNULL
        self.proc = subprocess.Popen(argv, stdout=logf, stderr=subprocess.STDOUT, env=env, cwd=cwd,
                                     start_new_session=True)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        try:  # a multi-process peer's children, should any be left
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def tail(self):
        if not self.log_path:
            return ""
        with open(self.log_path, "rb") as f:
            return f.read()[-2000:].decode(errors="replace")


LIVE = []


def start(server):
    LIVE.append(server)
    return server


def stop_all():
    for s in LIVE:
        s.stop()
    LIVE.clear()


# ----------------------------------------------------------------------- wrk

def to_ms(text):
    if text.endswith("us"):
        return float(text[:-2]) / 1000
    if text.endswith("ms"):
        return float(text[:-2])
    if text.endswith("s"):
        return float(text[:-1]) * 1000
    return float(text)


def wrk_once(port, path, host, duration, script=None, env=None, threads=None, connections=None):
    argv = ["wrk", f"-t{threads or WRK_THREADS}", f"-c{connections or WRK_CONNECTIONS}", f"-d{duration}s", "--latency",
            "-H", f"Host: {host}"]
    if script:
        argv += ["-s", os.path.join(SCENARIOS, script)]
    argv.append(f"http://127.0.0.1:{port}{path}")
    out = subprocess.run(argv, capture_output=True, text=True, env=env, check=True).stdout
    rps = p50 = p99 = None
    bad = 0
    for line in out.splitlines():
        parts = line.split()
        if line.startswith("Requests/sec:"):
            rps = float(parts[1])
        elif parts[:1] == ["50%"]:
            p50 = to_ms(parts[1])
        elif parts[:1] == ["99%"]:
            p99 = to_ms(parts[1])
        elif line.strip().startswith("Non-2xx or 3xx responses:"):
            bad += int(parts[-1])
        elif line.strip().startswith("Socket errors:"):
            bad += sum(int(x.strip(",")) for x in parts[3::2])
    if not rps:
        raise RuntimeError(f"{path} on port {port}: no response\n{out}")
    if bad:
        log(f"{path} on port {port}: {bad} failed responses (non-2xx, socket errors or >2 s timeouts)")
    return rps, p50, p99, bad


def wrk_median(server, path, host, args, script=None, env=None, warmup=False):
    if warmup:
        wrk_once(server.port, path, host, args.duration, script, env)
    runs = []
    with RssSampler(server.proc.pid) as rss:
        for _ in range(args.runs):
            runs.append(wrk_once(server.port, path, host, args.duration, script, env))
    return {
        "rps": statistics.median(r[0] for r in runs),
        "p50": statistics.median(r[1] for r in runs),
        "p99": statistics.median(r[2] for r in runs),
        "rss": rss.peak,
        "errors": sum(r[3] for r in runs),
    }


# ----------------------------------------------------------------------- hbf

def start_hbf(work, name, storage, extra=()):
    port = free_port()
    argv = [HBF, "--port", str(port), "--storage_dir", storage, "--log_level", "warn",
            *HBF_EXTRA_ARGS, *extra]
    s = start(Server(name, argv, port, log_path=os.path.join(work, f"{name}.log")))
    wait_ready(port, "/health")
    return s


def create_henv(port, username):
    status, data = request(port, "POST", "/new", "localhost",
                           {"username": username, "password": PASSWORD, "email": f"{username}@example.com"})
    if status != 201 and status != 200:
        raise RuntimeError(f"/new answered {status}: {data[:300]!r}")
    henv = json.loads(data)["user_hash"]
    host = f"{henv}.localhost"
    status, data = request(port, "POST", "/login", host, {"username": username, "password": PASSWORD})
    if status != 200:
        raise RuntimeError(f"/login answered {status}: {data[:300]!r}")
    return henv, host, {"Authorization": "Bearer " + json.loads(data)["token"]}


def put_document(port, host, auth, doc_id, content, content_type):
    status, data = request(port, "PUT", f"/_api/documents/{doc_id}", host, content,
                           {**auth, "Content-Type": content_type})
    if status not in (200, 201):
        raise RuntimeError(f"PUT {doc_id} answered {status}: {data[:300]!r}")


def read_file(path):
    with open(path, "rb") as f:
        return f.read()


# -------------------------------------------------------------- provisioning

TENANT_ROUTER = """// Tenant {n}'s app (bench: tenants scenario).
import {{ Router }} from "hbf:router";
import db from "hbf:db";

const TENANT = "{n}";
const router = new Router();
router.get("/hello", (req, res) => res.json({{ msg: "hi", tenant: TENANT }}));
router.get("/notes/:id", (req, res) => {{
  const row = db.get("SELECT id, text FROM notes WHERE id = ?", [Number(req.params.id)]);
  if (!row) return res.status(404).json({{ error: "not found" }});
  res.json(row);
}});
export default router;
"""


def tenant_hash(i):
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    s = ""
    while True:
        i, r = divmod(i, 36)
        s = digits[r] + s
        if i == 0:
            break
    return "t" + s.rjust(7, "0")


def provision_tenants(work, storage, count):
    """`count` henvs, each its own file with its own router.js and data.

    One henv is created through the API (POST /new: one Argon2id hash); the
    others are copies of its file, each given its own router.js and rows with
    SQLite: a henv is a file, so copying it is how one is cloned. Creating
    10,000 through /new would cost 10,000 password hashes (~16 min here).
    """
    os.makedirs(storage, exist_ok=True)
    template = os.path.join(work, f"tenant-template-{count}.db")
    scratch = tempfile.mkdtemp(prefix="provision-", dir=work)
    srv = start_hbf(work, f"hbf-provision-{count}", scratch)
    henv, host, auth = create_henv(srv.port, "tenant")
    put_document(srv.port, host, auth, "_system/router.js", TENANT_ROUTER.format(n="template").encode(),
                 "text/javascript")
    srv.stop()
    LIVE.remove(srv)
    shutil.copyfile(os.path.join(scratch, henv, "index.db"), template)
    shutil.rmtree(scratch)
    with sqlite3.connect(template) as db:
        db.execute("CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)")
        db.executemany("INSERT INTO notes (id, text) VALUES (?, ?)", [(i, f"note {i}") for i in range(1, 101)])
    with sqlite3.connect(template) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    hashes = []
    for i in range(count):
        h = tenant_hash(i)
        os.makedirs(os.path.join(storage, h), exist_ok=True)
        path = os.path.join(storage, h, "index.db")
        shutil.copyfile(template, path)
        router = TENANT_ROUTER.format(n=h).encode()
        etag = '"' + hashlib.sha256(router).hexdigest()[:32] + '"'
        db = sqlite3.connect(path)
        with db:
            db.execute("UPDATE documents SET content = ?, gzip = NULL, size = ?, etag = ? "
                       "WHERE path = '_system/router.js'", (router, len(router), etag))
            db.execute("UPDATE notes SET text = ? || ' of ' || id", (h,))
        db.close()
        hashes.append(h)
    with open(os.path.join(work, f"hosts-{count}.txt"), "w") as f:
        f.write("\n".join(f"{h}.localhost" for h in hashes) + "\n")
    return hashes


# ------------------------------------------------------------------ scenarios

def app_scenarios(args, work, results):
    """1-4: the same app on hbf, Bun, Deno and workerd."""
    storage = os.path.join(work, "henvs")
    hbf = start_hbf(work, "hbf", storage)
    henv, host, auth = create_henv(hbf.port, "bench")
    put_document(hbf.port, host, auth, "views/page.ejs", read_file(os.path.join(SCENARIOS, "page.ejs")),
                 "text/plain; charset=utf-8")
    put_document(hbf.port, host, auth, "_system/router.js", read_file(os.path.join(SCENARIOS, "router.js")),
                 "text/javascript")
    status, data = request(hbf.port, "POST", "/_bench/seed?n=10000", host)
    if status != 200:
        raise RuntimeError(f"seeding answered {status}: {data[:300]!r}")

    servers = [("hbf", hbf, host)]
    for runtime in args.peers:
        port = free_port()
        db = os.path.join(work, runtime, "bench.db")
        os.makedirs(os.path.dirname(db), exist_ok=True)
        s = start(Server(runtime, [os.path.join(PEERS, "start.sh"), runtime, str(port), db, str(CORES)], port,
                         log_path=os.path.join(work, f"{runtime}.log")))
        try:
            wait_ready(port, "/hello", seconds=60)
        except RuntimeError:
            raise RuntimeError(f"{runtime} did not start:\n{s.tail()}")
        servers.append((runtime, s, "localhost"))

    reference = request(hbf.port, "GET", "/page/1", host)[1]
    for name, s, h in servers[1:]:
        if request(s.port, "GET", "/page/1", h)[1] != reference:
            log(f"warning: {name}'s /page/1 differs from hbf's")

    scenarios = [
        ("hello", "/hello", None),
        ("read", "/posts/1", "random_post.lua"),
        ("write", "/posts", "write_post.lua"),
        ("template", "/page/1", "random_page.lua"),
    ]
    for scenario, path, script in scenarios:
        for name, s, h in servers:
            r = wrk_median(s, path, h, args, script)
            results.append({"scenario": scenario, "server": name, **r})
            log(f"{scenario:9} {name:8} {r['rps']:10.0f} req/s  p50 {r['p50']:.2f} ms  p99 {r['p99']:.2f} ms  "
                f"RSS {r['rss'] / 2**20:.0f} MiB")
    for _, s, _ in servers[1:]:
        s.stop()
    return hbf, host, auth


def ws_echo_scenario(args, work, results):
    """WebSocket echo messages/s, hbf against Bun.serve's websocket (peers/bun_ws.js, one
    process per core with reusePort) in the same run: 64 sockets, each sending its next
    message when the last one's echo arrived (tools/ws_echo_load.cpp, one epoll thread,
    the same client for both), rounds alternating between the servers. On hbf each
    message runs the henv's ws route (`ws.send("echo:" + data)`) on a worker; Bun's runs
    in its own process's JavaScript."""
    tool = os.path.join(work, "ws_echo_load")
    subprocess.run(["g++", "-O2", "-std=c++20", "-o", tool, os.path.join(BENCH, "tools", "ws_echo_load.cpp")],
                   check=True)
    storage = os.path.join(work, "ws-echo-henvs")
    hashes = provision_copies(work, storage, 1, WS_ROUTER, "e")
    hbf = start_hbf(work, "hbf-ws-echo", storage, ["--max_connections_per_ip", "0"])
    host = f"{hashes[0]}.localhost"
    wait_ready(hbf.port, "/hello", host)
    servers = [("hbf", hbf, host)]
    bun_bin = os.path.join(BENCH, ".peers", "bin", "bun")
    if "bun" in args.peers and os.path.exists(bun_bin):
        port = free_port()
        env = dict(os.environ, PORT=str(port))
        for i in range(CORES):
            s = start(Server(f"bun-ws-{i}", [bun_bin, os.path.join(PEERS, "bun_ws.js")], port, env=env,
                             log_path=os.path.join(work, f"bun-ws-{i}.log")))
        wait_ready(port, "/", "localhost")
        servers.append(("bun", s, "localhost"))
    else:
        log("ws_echo: no Bun (bench/peers/install.sh, --peers bun): hbf alone")
    connections = 64
    rounds = max(args.runs, 3)
    runs = {name: [] for name, _, _ in servers}
    for _ in range(rounds):
        for name, srv, h in servers:
            out = subprocess.run([tool, str(srv.port), h, "/live", str(connections), str(args.duration)],
                                 check=True, capture_output=True, text=True).stdout
            runs[name].append(json.loads(out))
    for name, srv, _ in servers:
        r = runs[name]
        row = {"rps": statistics.median(x["messages_per_s"] for x in r), "p50": statistics.median(x["p50_ms"] for x in r),
               "p99": statistics.median(x["p99_ms"] for x in r), "rss": rss_bytes(srv.proc.pid),
               "errors": sum(x["errors"] for x in r),
               "note": f"messages/s; client CPU {statistics.median(x['client_cpu'] for x in r):.2f} cores"}
        results.append({"scenario": f"ws echo ({connections} sockets)", "server": name, **row})
        log(f"ws echo   {name:8} {row['rps']:10.0f} msg/s  p50 {row['p50']:.2f} ms  p99 {row['p99']:.2f} ms  "
            f"({row['note']})")
    hbf.stop()


def ops_cost_scenario(args, work, results):
    """What metrics and security headers cost on /hello (#15): the same app on two hbf
    processes, A with both on (the defaults), B with --metrics=false and the henv's
    security_headers=off, measured alternately (A, B, A, B, ...) in the same run so drift
    and the neighbours' load fall on both. The cost is 1 - A/B of the medians."""
    variants = [("hbf metrics+headers", []), ("hbf both off", ["--metrics=false"])]
    servers = []
    for name, extra in variants:
        srv = start_hbf(work, name.replace(" ", "-").replace("+", "-"), os.path.join(work, "ops-" + str(len(servers))), extra)
        _, host, auth = create_henv(srv.port, "bench")
        put_document(srv.port, host, auth, "_system/router.js", read_file(os.path.join(SCENARIOS, "router.js")),
                     "text/javascript")
        if extra:
            status, data = request(srv.port, "PATCH", "/_api/config", host, {"security_headers": "off"}, auth)
            if status != 200:
                raise RuntimeError(f"PATCH /_api/config answered {status}: {data[:300]!r}")
        wait_ready(srv.port, "/hello", host)
        servers.append((name, srv, host))
    # Check the variants differ as intended before timing them.
    a = http.client.HTTPConnection("127.0.0.1", servers[0][1].port, timeout=10)
    a.request("GET", "/hello", headers={"Host": servers[0][2]})
    with_headers = a.getresponse().getheader("X-Content-Type-Options")
    b = http.client.HTTPConnection("127.0.0.1", servers[1][1].port, timeout=10)
    b.request("GET", "/hello", headers={"Host": servers[1][2]})
    without_headers = b.getresponse().getheader("X-Content-Type-Options")
    if with_headers != "nosniff" or without_headers is not None:
        raise RuntimeError(f"ops cost: headers on A={with_headers!r}, B={without_headers!r}")
    rounds = max(args.runs, 3) * 2
    by_name = {name: [] for name, _, _ in servers}
    for name, srv, host in servers:
        wrk_once(srv.port, "/hello", host, args.duration, None, None)  # warm-up
    for _ in range(rounds):
        for name, srv, host in servers:
            by_name[name].append(wrk_once(srv.port, "/hello", host, args.duration, None, None))
    medians = {}
    for name, srv, host in servers:
        runs = by_name[name]
        r = {"rps": statistics.median(x[0] for x in runs), "p50": statistics.median(x[1] for x in runs),
             "p99": statistics.median(x[2] for x in runs), "rss": rss_bytes(srv.proc.pid),
             "errors": sum(x[3] for x in runs)}
        medians[name] = r["rps"]
        results.append({"scenario": "ops cost /hello", "server": name, **r})
        log(f"ops cost  {name:20} {r['rps']:10.0f} req/s  p50 {r['p50']:.2f} ms  p99 {r['p99']:.2f} ms "
            f"(median of {rounds} alternating runs)")
    cost = 1 - medians["hbf metrics+headers"] / medians["hbf both off"]
    log(f"ops cost: metrics + security headers cost {cost * 100:.1f}% of /hello throughput")
    for _, srv, _ in servers:
        srv.stop()


NGINX_CONF = """worker_processes {cores};
pid {dir}/nginx.pid;
error_log {dir}/error.log;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {dir}; proxy_temp_path {dir}; fastcgi_temp_path {dir};
  uwsgi_temp_path {dir}; scgi_temp_path {dir};
  server {{
    listen 127.0.0.1:{port};
    location /static/ {{ root {www}; }}
  }}
}}
"""


def static_scenarios(args, work, results, hbf, host, auth):
    """5: documents from hbf vs the same bytes from nginx."""
    www = os.path.join(work, "www")
    os.makedirs(os.path.join(www, "static"))
    rnd = random.Random(5309)
    alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    for name, size in (("1k.txt", 1024), ("100k.txt", 102400)):
        # Text, so both servers may compress it; lines of 76 like base64.
        body = bytearray(rnd.choice(alphabet) for _ in range(size))
        for i in range(76, size, 77):
            body[i] = 10
        with open(os.path.join(www, "static", name), "wb") as f:
            f.write(body)
        put_document(hbf.port, host, auth, f"static/{name}", bytes(body), "text/plain; charset=utf-8")
    for d in (work, www, os.path.join(www, "static")):
        os.chmod(d, 0o755)  # nginx's workers run unprivileged
    for name in os.listdir(os.path.join(www, "static")):
        os.chmod(os.path.join(www, "static", name), 0o644)
    ndir = os.path.join(work, "nginx")
    os.makedirs(ndir)
    port = free_port()
    with open(os.path.join(ndir, "nginx.conf"), "w") as f:
        f.write(NGINX_CONF.format(cores=CORES, dir=ndir, port=port, www=www))
    nginx = start(Server("nginx", ["nginx", "-c", os.path.join(ndir, "nginx.conf"), "-g", "daemon off;"], port,
                         log_path=os.path.join(work, "nginx.log")))
    wait_ready(port, "/static/1k.txt")
    for scenario, path in (("static 1 KB", "/static/1k.txt"), ("static 100 KB", "/static/100k.txt")):
        for name, s, h in (("hbf", hbf, host), ("nginx", nginx, "localhost")):
            r = wrk_median(s, path, h, args)
            results.append({"scenario": scenario, "server": name, **r})
            log(f"{scenario:13} {name:6} {r['rps']:10.0f} req/s  p50 {r['p50']:.2f} ms  p99 {r['p99']:.2f} ms")
    nginx.stop()


def tenant_scenarios(args, work, results):
    """6: random Host over N henvs, each with its own router.js and data."""
    for count in args.tenants:
        storage = os.path.join(work, f"tenants-{count}")
        t0 = time.monotonic()
        provision_tenants(work, storage, count)
        log(f"provisioned {count} henvs in {time.monotonic() - t0:.1f} s")
        env = dict(os.environ, HOSTS=os.path.join(work, f"hosts-{count}.txt"))
        base = f"tenants {count // 1000}k" if count >= 1000 else f"tenants {count}"
        # The product's defaults, then every henv's file kept open (each open
        # henv holds a connection with its schema, and its descriptors).
        # The third line: defaults again, after every henv's /hello once in
        # turn (so none is met for the first time: the open, dormant and
        # worker-less henvs of a server that has run a while; the uncounted
        # run alone reaches fewer than half of 10,000).
        for label, extra, visit_all in ((f"{base} (defaults)", [], False),
                                        (f"{base} (--db_max_open {count})", ["--db_max_open", str(count)], False),
                                        (f"{base} (defaults, every henv visited first)", [], True)):
            srv = start_hbf(work, f"hbf-tenants-{count}", storage, extra)
            if visit_all:
                visit_every_henv(srv.port, work, count)
            # One uncounted run first: it opens files and creates workers.
            # How many henvs the server has met by then says what the
            # measured runs are (without the visit, most requests over
            # 10,000 henvs are still a henv's first in the process).
            wrk_once(srv.port, "/hello", "localhost", args.duration, "random_tenant.lua", env)
            met = henvs_met(srv.port)
            r = wrk_median(srv, "/hello", "localhost", args, "random_tenant.lua", env)
            note = f"{met:,} of {count:,} henvs met before the measured runs"
            results.append({"scenario": label, "server": "hbf", **r, "note": note})
            log(f"{label:30} {r['rps']:10.0f} req/s  p50 {r['p50']:.2f} ms  p99 {r['p99']:.2f} ms  "
                f"RSS {r['rss'] / 2**20:.0f} MiB; {note}")
            srv.stop()
        henv_memory(work, storage, count, base, results)
        if count != max(args.tenants):
            shutil.rmtree(storage)


def henvs_met(port):
    """Henvs the server holds in memory (open or dormant): those met so far,
    while fewer than its dormant cap (10 x --db_max_open)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    _, _, body = timed_get(conn, "/health", "localhost")
    conn.close()
    health = json.loads(body)
    return health.get("active_henvs", 0) + health.get("dormant_henvs", 0)


def visit_every_henv(port, work, count):
    """Each provisioned henv's /hello once, in turn, on one connection."""
    hosts = [h.strip() for h in open(os.path.join(work, f"hosts-{count}.txt")) if h.strip()]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for h in hosts:
        _, status, _ = timed_get(conn, "/hello", h)
        if status != 200:
            raise RuntimeError(f"{h}/hello answered {status}")
    conn.close()


def henv_memory(work, storage, count, base, results):
    """Memory per idle henv: every henv's /hello once, in turn, then idle.

    --db_max_open is the henv count, so every file stays open; each henv gets
    one worker while the JavaScript budget (default 1 GiB) holds them. After
    the last request hbf is left idle for 13 s: workers are garbage collected
    and hibernated after 2 s idle and connections' page caches released
    after 10 s (the first steps of shedding). RSS growth over the henv count
    is the figure. Then again at 40 s: idle henvs' connections close after
    30 s (--db_close_idle_s), the henvs kept dormant with their workers.
    """
    srv = start_hbf(work, f"hbf-memory-{count}", storage, ["--db_max_open", str(count)])
    time.sleep(1)
    before = rss_bytes(srv.proc.pid)
    visit_every_henv(srv.port, work, count)
    last_request = time.monotonic()
    for idle, label in ((13, "memory per idle henv"), (40, "memory per idle henv, connection closed (idle 30 s)")):
        time.sleep(max(0.0, last_request + idle - time.monotonic()))
        after = rss_bytes(srv.proc.pid)
        conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
        _, _, body = timed_get(conn, "/health", "localhost")
        conn.close()
        health = json.loads(body)
        per_henv = (after - before) / count
        note = (f"{per_henv / 1024:.0f} KiB per henv: RSS {before / 2**20:.0f} -> {after / 2**20:.0f} MiB "
                f"{idle} s after the last request; {health.get('js_workers')} JS workers "
                f"({health.get('js_memory_mb')} MiB), {health.get('db_connections')} henv files open")
        results.append({"scenario": f"{base}: {label}", "server": "hbf", "rps": None, "p50": None,
                        "p99": None, "rss": after, "per_henv_bytes": per_henv, "note": note})
        log(f"{base}: {label} {note}")
    srv.stop()


def timed_get(conn, path, host):
    """GET on a kept-alive connection: (milliseconds to the whole body, status, body)."""
    t = time.perf_counter()
    conn.request("GET", path, headers={"Host": host})
    resp = conn.getresponse()
    body = resp.read()
    return (time.perf_counter() - t) * 1000, resp.status, body


def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


def cold_scenarios(args, work, results):
    """7: first-request latency of henvs that are not open.

    N henvs, hbf keeps `open` of them open (--db_max_open), requests go round
    robin so every one hits a closed henv. Two cases: its JavaScript worker is
    still idle in memory (the JS budget holds them all), or it is gone too
    (--js_memory_mb 16: every request also creates a worker). A closed henv
    is kept dormant (its connection closed, its settings in memory) while
    hbf keeps up to 10 x --db_max_open of them; its file is opened again only
    for what needs a query. The reference: the same round robin with every
    henv open, the floor of this one-client pattern (Python's client
    included). And with every henv open, each pass after a wait long enough
    for every idle worker to be hibernated (--js_hibernate): each request
    wakes one; then the same with each idle henv's connection closed too
    (--db_close_idle_s). Each case but those then runs again under wrk, one
    connection going round the henvs (scenarios/round_robin_tenant.lua): the
    same pattern without Python's share of each request's time.
    """
    count, keep_open = args.cold_henvs, max(1, args.cold_henvs // 10)
    storage = os.path.join(work, f"tenants-{count}")
    if not os.path.isdir(storage):
        provision_tenants(work, storage, count)
    hosts = [h.strip() for h in open(os.path.join(work, f"hosts-{count}.txt")) if h.strip()]
    # (--db_close_idle_s 0: the henvs stay open however long the passes
    # take; 2: each hibernated worker's henv goes dormant too before its
    # request, the state a henv idle for 30 s is in with the defaults)
    # (--js_hibernate=true in the hibernated cases: with the default, auto,
    # an idle worker whose henv's next is a copy of its bound image is
    # dropped instead, packing and waking it costing more than the copy)
    cases = [("cold start reference: henv open, worker idle", ["--db_close_idle_s", "0"], count),
             ("cold start: henv open, worker hibernated", ["--db_close_idle_s", "0", "--js_hibernate=true"], count),
             ("cold start: henv closed when idle, worker hibernated",
              ["--db_close_idle_s", "2", "--js_hibernate=true"], count),
             ("cold start: henv closed, worker idle", [], keep_open),
             ("cold start: henv closed, no worker", ["--js_memory_mb", "16"], keep_open)]
    for label, extra, max_open in cases:
        # Hibernated: each pass waits first for the housekeeper to trim and
        # hibernate every idle worker (2 s idle, passes once a second).
        asleep = "hibernated" in label
        srv = start_hbf(work, "hbf-cold", storage, ["--db_max_open", str(max_open), *extra])
        conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)

        def get(h):
            ms, status, _ = timed_get(conn, "/hello", h)
            if status != 200:
                raise RuntimeError(f"{h}/hello answered {status}")
            return ms

        for h in hosts:  # creates every worker once (and, in the second case, evicts them)
            get(h)
        p50s, p99s = [], []
        with RssSampler(srv.proc.pid) as rss:
            for _ in range(args.runs):
                if asleep:
                    time.sleep(4 + count / 2000)  # (the trim and snapshot: ~0.3 ms of its CPU each)
                lat = [get(h) for h in hosts]
                p50s.append(percentile(lat, 50))
                p99s.append(percentile(lat, 99))
        conn.close()
        r = {"rps": None, "p50": statistics.median(p50s), "p99": statistics.median(p99s), "rss": rss.peak}
        results.append({"scenario": label, "server": "hbf", **r})
        log(f"{label}: p50 {r['p50']:.2f} ms  p99 {r['p99']:.2f} ms ({count} henvs, {max_open} kept open, "
            f"one connection, median of {args.runs} passes)")
        if asleep:  # (wrk going round the henvs keeps every worker awake)
            srv.stop()
            continue
        env = dict(os.environ, HOSTS=os.path.join(work, f"hosts-{count}.txt"))
        with RssSampler(srv.proc.pid) as rss:
            runs = [wrk_once(srv.port, "/hello", hosts[0], args.duration, "round_robin_tenant.lua", env, 1, 1)
                    for _ in range(args.runs)]
        w = {"rps": statistics.median(x[0] for x in runs), "p50": statistics.median(x[1] for x in runs),
             "p99": statistics.median(x[2] for x in runs), "rss": rss.peak, "errors": sum(x[3] for x in runs)}
        results.append({"scenario": label + " (wrk, one connection)", "server": "hbf", **w})
        log(f"{label} (wrk -t1 -c1, henvs in turn): p50 {w['p50']:.3f} ms  p99 {w['p99']:.3f} ms  "
            f"{w['rps']:.0f} req/s")
        srv.stop()


def reload_scenario(args, work, results):
    """A code change: the first request after router.js is saved.

    The owner's edit loop in the browser: every save bumps the code version,
    so the next request needs a new worker (bound from a ready blank one when
    the engine has one). Latency of that GET, one client, ROUNDS saves.
    """
    srv = start_hbf(work, "hbf-reload", os.path.join(work, "reload"))
    _, host, auth = create_henv(srv.port, "reload")
    rounds = 15 if args.quick else 60
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
    # The second line's router queries as it loads, as most apps' do (a
    # CREATE TABLE IF NOT EXISTS): its new worker needs a connection to the
    # henv's file (the last worker's, kept: js/connection_shelf.h).
    cases = [("first request after a code change", ""),
             ("first request after a code change, a router that queries as it loads",
              'import db from "hbf:db";\n'
              'db.execute("CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)");\n')]
    for label, head in cases:
        lat = []
        for i in range(rounds):
            router = (head + 'import { Router } from "hbf:router";\nconst r = new Router();\n'
                      f'r.get("/hello", (req, res) => res.json({{ msg: "hi", version: {i} }}));\nexport default r;\n')
            put_document(srv.port, host, auth, "_system/router.js", router.encode(), "text/javascript")
            time.sleep(0.05)  # an editor's save, not a load test
            ms, status, body = timed_get(conn, "/hello", host)
            lat.append(ms)
            if status != 200 or f'"version":{i}'.encode() not in body:
                raise RuntimeError(f"after save {i}: {status} {body[:200]!r}")
        r = {"rps": None, "p50": percentile(lat, 50), "p99": percentile(lat, 99), "rss": rss_bytes(srv.proc.pid)}
        results.append({"scenario": label, "server": "hbf", **r})
        log(f"{label}: p50 {r['p50']:.2f} ms  p99 {r['p99']:.2f} ms ({rounds} saves)")
    conn.close()
    srv.stop()


IDLE_REQUEST = b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n"


def raise_nofile_limit():
    """Soft RLIMIT_NOFILE up to the hard limit (the idle scenario holds thousands of sockets): the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):
            pass
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def read_response(sock):
    """One HTTP/1.1 response with a Content-Length from a socket with a timeout: its status."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("closed before a whole response")
        buf += chunk
        if len(buf) > 65536:
            raise ConnectionError("response headers over 64 KiB")
    head, _, body = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    while len(body) < length:
        chunk = sock.recv(length - len(body))
        if not chunk:
            raise ConnectionError("closed mid-body")
        body += chunk
    return status


def ask_health(sock):
    """GET /health on an open raw connection: True when it answers 200."""
    try:
        sock.sendall(IDLE_REQUEST)
        return read_response(sock) == 200
    except (OSError, ValueError, IndexError):
        return False


def open_idle_connections(port, count, seconds=120, batch=250):
    """`count` keep-alive connections, each once asked GET /health: (open sockets, failures).

    In batches: connect and send on each of `batch` sockets, then read each
    answer, so the server has a batch in flight at once. Every socket has a
    10 s timeout and the whole has `seconds`; a connection that is refused,
    reset or answered other than 200 is closed and counted as a failure.
    """
    socks, pending, failures = [], [], 0
    deadline = time.monotonic() + seconds
    try:
        while len(socks) + failures < count:
            if time.monotonic() > deadline:
                raise RuntimeError(f"idle: {len(socks)} of {count} connections open after {seconds} s")
            for _ in range(min(batch, count - len(socks) - failures)):
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.settimeout(10)
                try:
                    s.connect(("127.0.0.1", port))
                    s.sendall(IDLE_REQUEST)
                    pending.append(s)
                except OSError:
                    s.close()
                    failures += 1
            for s in pending:
                try:
                    ok = read_response(s) == 200
                except (OSError, ValueError, IndexError):
                    ok = False
                if ok:
                    socks.append(s)
                else:
                    s.close()
                    failures += 1
            pending = []
    except BaseException:
        close_sockets(socks + pending)
        raise
    return socks, failures


def close_sockets(socks):
    """Closes every socket in `socks`, whatever state each is in."""
    for s in socks:
        try:
            s.close()
        except OSError:
            pass


def idle_scenario(args, work, results):
    """Idle keep-alive connections: what each costs, and whether the server stays quick.

    N connections from one address (hence --max_connections_per_ip 0), each
    after one answered GET /health, then silent; --keep_alive_timeout_ms is
    raised so that none is closed for idleness while the scenario runs.
    Server RSS before and after opening them gives the memory per connection;
    then one fresh keep-alive client times /health, and a sample of the idle
    connections must still answer.
    """
    count = 500 if args.quick else 10000
    requests = 200 if args.quick else 2000
    limit = raise_nofile_limit()
    if limit < count + 256:
        raise RuntimeError(f"idle: open-file limit {limit} is too low for {count} connections (ulimit -n)")
    srv = start_hbf(work, "hbf-idle", os.path.join(work, "idle"),
                    ["--max_connections_per_ip", "0", "--keep_alive_timeout_ms", "300000"])
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    socks = []
    try:
        for _ in range(20):  # the first requests' allocations are not the connections'
            timed_get(conn, "/health", "localhost")
        conn.close()
        before = rss_bytes(srv.proc.pid)
        t0 = time.monotonic()
        socks, open_failures = open_idle_connections(srv.port, count)
        opened = time.monotonic() - t0
        if not socks:
            raise RuntimeError(f"idle: no connection stayed open ({open_failures} failed)\n{srv.tail()}")
        time.sleep(0.5)
        after = rss_bytes(srv.proc.pid)
        per_conn_kib = (after - before) / len(socks) / 1024
        lat, failures = [], 0
        conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
        for _ in range(20):
            timed_get(conn, "/health", "localhost")
        for _ in range(requests):
            ms, status, _ = timed_get(conn, "/health", "localhost")
            lat.append(ms)
            failures += status != 200
        conn.close()
        sample = random.Random(5309).sample(socks, min(100, len(socks)))
        answered = sum(ask_health(s) for s in sample)
        failures += len(sample) - answered
        rss_all = rss_bytes(srv.proc.pid)
    finally:
        conn.close()
        close_sockets(socks)
    label = f"idle: {len(socks):,} keep-alive connections held"
    results.append({"scenario": f"{label}, RSS per connection", "server": "hbf", "rps": None, "p50": None,
                    "p99": None, "rss": after, "errors": open_failures, "connections": len(socks),
                    "kib_per_connection": per_conn_kib,
                    "note": f"{per_conn_kib:.1f} KiB per connection (aim < 16 KiB): RSS {before / 2**20:.1f} → "
                            f"{after / 2**20:.1f} MiB; opened in {opened:.1f} s"})
    p50, p99 = percentile(lat, 50), percentile(lat, 99)
    results.append({"scenario": f"{label}, /health from one more client", "server": "hbf", "rps": None,
                    "p50": p50, "p99": p99, "rss": rss_all, "errors": failures,
                    "note": f"p99 aim < 10 ms; {requests:,} requests; {answered} of {len(sample)} idle "
                            "connections answered afterwards"})
    log(f"{label}: {per_conn_kib:.1f} KiB each (RSS {before / 2**20:.1f} → {after / 2**20:.1f} MiB, "
        f"opened in {opened:.1f} s, {open_failures} failed)")
    log(f"{label}: /health p50 {p50:.2f} ms  p99 {p99:.2f} ms ({requests} requests, one client); "
        f"{answered}/{len(sample)} idle connections still answered")
    srv.stop()


WS_ROUTER = """// The WebSocket app (bench: websockets scenario).
import { Router } from "hbf:router";
import { publish } from "hbf:ws";

const router = new Router();
router.ws("/live", {
  open(ws) { ws.data = { seen: 0 }; ws.subscribe("all"); },
  message(ws, data) { ws.data.seen += 1; ws.send("echo:" + data); },
});
router.post("/broadcast", (req, res) => res.json({ reached: publish("all", "news") }));
router.get("/hello", (req, res) => res.json({ msg: "hi" }));
export default router;
"""

WS_UPGRADE = ("GET /live HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")


def ws_send_upgrade(port, host):
    """A new connection that has sent the upgrade for /live on `host` (its answer is read by ws_read_upgrade)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(("127.0.0.1", port))
    s.sendall(WS_UPGRADE.format(host=host).encode())
    return s


def ws_read_upgrade(sock):
    """The bytes after the 101's head (frames may follow it at once), or None when refused (the socket is closed)."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(4096)
        if not chunk:
            break
        buf += chunk
    if buf.startswith(b"HTTP/1.1 101"):
        return buf.partition(b"\r\n\r\n")[2]
    sock.close()
    return None


def ws_send_text(sock, text):
    """One masked text frame (clients must mask; the key need not be random here)."""
    payload = text.encode()
    mask = b"\x01\x02\x03\x04"
    assert len(payload) < 126
    sock.sendall(bytes([0x81, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i & 3] for i, b in enumerate(payload)))


def ws_read_frame(sock, buf):
    """(opcode, payload, rest) of the next server frame; `buf` holds bytes already read."""
    def need(n, buf):
        while len(buf) < n:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed mid-frame")
            buf += chunk
        return buf
    buf = need(2, buf)
    length, at = buf[1] & 0x7F, 2
    if length == 126:
        buf = need(4, buf)
        length, at = int.from_bytes(buf[2:4], "big"), 4
    elif length == 127:
        buf = need(10, buf)
        length, at = int.from_bytes(buf[2:10], "big"), 10
    buf = need(at + length, buf)
    return buf[0] & 0x0F, buf[at:at + length], buf[at + length:]


def provision_copies(work, storage, count, router, prefix):
    """`count` henvs that are copies of one made through the API, each with `router` as its router.js."""
    os.makedirs(storage, exist_ok=True)
    scratch = tempfile.mkdtemp(prefix="provision-", dir=work)
    srv = start_hbf(work, f"hbf-provision-{prefix}", scratch)
    henv, host, auth = create_henv(srv.port, "tenant")
    put_document(srv.port, host, auth, "_system/router.js", router.encode(), "text/javascript")
    srv.stop()
    LIVE.remove(srv)
    template = os.path.join(scratch, henv, "index.db")
    with sqlite3.connect(template) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    hashes = []
    for i in range(count):
        h = prefix + tenant_hash(i)[1:]
        os.makedirs(os.path.join(storage, h), exist_ok=True)
        shutil.copyfile(template, os.path.join(storage, h, "index.db"))
        hashes.append(h)
    shutil.rmtree(scratch)
    return hashes


def fanout_latency(port, host, subscribers, rounds):
    """Opens `subscribers` sockets on /live of `host` (subscribed to "all"), then `rounds` times POSTs
    /broadcast and times, with epoll, when each socket becomes readable: per-subscriber latencies."""
    socks = []
    try:
        for _ in range(subscribers):
            s = ws_send_upgrade(port, host)
            if ws_read_upgrade(s) is not None:
                socks.append(s)
        ep = select.epoll()
        for s in socks:
            ep.register(s.fileno(), select.EPOLLIN)
        by_fd = {s.fileno(): s for s in socks}
        lat, last, missed = [], [], 0
        for _ in range(rounds):
            t0 = time.monotonic()
            request(port, "POST", "/broadcast", host)
            seen = set()
            deadline = t0 + 10
            while len(seen) < len(socks) and time.monotonic() < deadline:
                for fd, _ in ep.poll(0.5):
                    if fd in seen:
                        continue
                    seen.add(fd)
                    lat.append((time.monotonic() - t0) * 1000)
                    by_fd[fd].recv(65536)  # one small frame: "news"
            last.append((time.monotonic() - t0) * 1000)
            missed += len(socks) - len(seen)
        ep.close()
        return {"subscribers": len(socks), "rounds": rounds, "p50": percentile(lat, 50), "p99": percentile(lat, 99),
                "last_p50": percentile(last, 50), "missed": missed}
    finally:
        close_sockets(socks)


def websocket_scenario(args, work, results):
    """Idle WebSockets across henvs: memory per socket (they hibernate: no worker held), echo latency,
    fan-out, and /health while they are open.

    100 henvs x 100 sockets (quick: 10 x 50), all from one address. RSS is read on a server
    that has served one request per henv (henvs open, a worker each), then again with every
    socket open: the difference is what the sockets cost.
    """
    henvs_n, per_henv = (10, 50) if args.quick else (100, 100)
    count = henvs_n * per_henv
    limit = raise_nofile_limit()
    if limit < count + 256:
        raise RuntimeError(f"websockets: open-file limit {limit} is too low for {count} sockets (ulimit -n)")
    storage = os.path.join(work, "ws-henvs")
    hashes = provision_copies(work, storage, henvs_n, WS_ROUTER, "w")
    srv = start_hbf(work, "hbf-websockets", storage, ["--max_connections_per_ip", "0", "--ws_max_per_henv", "2000",
                                                      "--db_max_open", str(henvs_n + 10)])
    socks = []
    try:
        conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
        for h in hashes:
            status = timed_get(conn, "/hello", f"{h}.localhost")[1]
            if status != 200:
                raise RuntimeError(f"websockets: /hello on {h} answered {status}\n{srv.tail()}")
        conn.close()
        time.sleep(4.0)
        before = rss_bytes(srv.proc.pid)
        t0 = time.monotonic()
        failures = 0
        # One upgrade per henv in flight at a time, as sockets arrive in life: a burst of
        # upgrades to one henv would make it start more workers, which is not the sockets' cost.
        health_before = json.loads(request(srv.port, "GET", "/health")[1])
        workers_before = health_before.get("js_workers")
        for batch_start in range(0, count, henvs_n):
            pending = []
            for k in range(batch_start, min(count, batch_start + henvs_n)):
                pending.append(ws_send_upgrade(srv.port, f"{hashes[k % henvs_n]}.localhost"))
            for s in pending:
                rest = ws_read_upgrade(s)
                if rest is None:
                    failures += 1
                else:
                    socks.append((s, rest))
        opened = time.monotonic() - t0
        if not socks:
            raise RuntimeError(f"websockets: no socket opened\n{srv.tail()}")
        # Idle workers collect their garbage after 2 s (the engine's housekeeper): measure the
        # sockets once that has happened, as a server at rest would hold them.
        time.sleep(4.0)
        after = rss_bytes(srv.proc.pid)
        per_socket = (after - before) / len(socks)
        health_after = json.loads(request(srv.port, "GET", "/health")[1])
        workers_after = health_after.get("js_workers")
        # The workers' heaps grow with the garbage of the upgrades they ran (collected later):
        # not a cost of the sockets, so it is shown apart.
        js_growth = (health_after.get("js_memory_mb", 0) - health_before.get("js_memory_mb", 0)) * 2**20
        # Echo round trips on a sample (each wakes its henv's handler, then hibernates again).
        sample = random.Random(5309).sample(range(len(socks)), min(500, len(socks)))
        lat, echo_failures = [], 0
        for i in sample:
            s, rest = socks[i]
            t = time.monotonic()
            try:
                ws_send_text(s, "ping")
                opcode, payload, rest = ws_read_frame(s, rest)
                ok = opcode == 1 and payload == b"echo:ping"
            except (OSError, ConnectionError):
                ok = False
            socks[i] = (s, rest)
            lat.append((time.monotonic() - t) * 1000)
            echo_failures += not ok
        # Fan-out: one POST reaches every socket of its henv.
        t = time.monotonic()
        status, data = request(srv.port, "POST", "/broadcast", f"{hashes[0]}.localhost")
        reached = json.loads(data).get("reached", 0) if status == 200 else 0
        got = 0
        for i in range(0, len(socks), henvs_n):
            s, rest = socks[i]
            try:
                opcode, payload, rest = ws_read_frame(s, rest)
                got += opcode == 1 and payload == b"news"
            except (OSError, ConnectionError):
                pass
            socks[i] = (s, rest)
        fanout_ms = (time.monotonic() - t) * 1000
        conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
        health = [timed_get(conn, "/health", "localhost")[0] for _ in range(500)]
        conn.close()
        fan = fanout_latency(srv.port, f"{hashes[0]}.localhost", 100 if args.quick else 1000, 20)
    finally:
        close_sockets([s for s, _ in socks])
    label = f"websockets: {len(socks):,} idle sockets over {henvs_n} henvs"
    results.append({"scenario": f"{label}, memory", "server": "hbf", "rps": None, "p50": None, "p99": None,
                    "rss": after, "errors": failures, "connections": len(socks),
                    "kib_per_connection": per_socket / 1024,
                    "note": f"{per_socket / 1024:.1f} KiB per socket; all {len(socks):,}: "
                            f"{(after - before) / 2**20:.1f} MiB (aim: 10,000 under 100 MB); RSS "
                            f"{before / 2**20:.1f} → {after / 2**20:.1f} MiB (4 s after the last upgrade), of which the "
                            f"JS heaps' growth {js_growth / 2**20:.1f} MiB; "
                            f"JS workers {workers_before} → {workers_after}; "
                            f"opened in {opened:.1f} s"})
    results.append({"scenario": f"{label}, echo round trip", "server": "hbf", "rps": None,
                    "p50": percentile(lat, 50), "p99": percentile(lat, 99), "rss": after, "errors": echo_failures,
                    "note": f"{len(sample)} sockets, one message each (one client, in turn)"})
    results.append({"scenario": f"{label}, /health while open", "server": "hbf", "rps": None,
                    "p50": percentile(health, 50), "p99": percentile(health, 99), "rss": after, "errors": 0,
                    "note": f"publish reached {reached}; {got} of {len(range(0, len(socks), henvs_n))} "
                            f"read it; fan-out and reads took {fanout_ms:.0f} ms"})
    results.append({"scenario": f"websockets: publish to {fan['subscribers']:,} subscribers of one henv",
                    "server": "hbf", "rps": None, "p50": fan["p50"], "p99": fan["p99"], "rss": after,
                    "errors": fan["missed"],
                    "note": f"publish → each subscriber readable, {fan['rounds']} publishes; last subscriber "
                            f"p50 {fan['last_p50']:.2f} ms"})
    log(f"websockets: publish to {fan['subscribers']} subscribers: p50 {fan['p50']:.2f} ms p99 {fan['p99']:.2f} ms "
        f"(last subscriber p50 {fan['last_p50']:.2f} ms), {fan['missed']} missed")
    log(f"{label}: {per_socket / 1024:.1f} KiB per socket (RSS {before / 2**20:.1f} → {after / 2**20:.1f} MiB, "
        f"opened in {opened:.1f} s, {failures} failed); echo p50 {percentile(lat, 50):.2f} ms "
        f"p99 {percentile(lat, 99):.2f} ms; publish reached {reached}, {got} read; "
        f"/health p99 {percentile(health, 99):.2f} ms")
    srv.stop()


SPIN_ROUTER = """// The noisy neighbour (bench: neighbour scenario): /spin never returns.
import { Router } from "hbf:router";

const router = new Router();
router.get("/spin", () => { for (;;) {} });
export default router;
"""

CALM_ROUTER = """// The calm neighbour (bench: neighbour scenario).
import { Router } from "hbf:router";

const router = new Router();
router.get("/hello", (req, res) => res.json({ msg: "hi" }));
export default router;
"""


class Spinners:
    """`count` clients, each a thread sending GET `path` (10 s timeout) again and again until stopped."""

    def __init__(self, port, path, host, count):
        self.port, self.path, self.host, self.count = port, path, host, count
        self.statuses, self._lock, self._stop = {}, threading.Lock(), threading.Event()
        self._threads = []

    def __enter__(self):
        for _ in range(self.count):
            t = threading.Thread(target=self._run, daemon=True)
            t.start()
            self._threads.append(t)
        return self

    def _run(self):
        while not self._stop.is_set():
            try:
                key = request(self.port, "GET", self.path, self.host, timeout=10)[0]
            except (OSError, http.client.HTTPException) as e:
                key = type(e).__name__
            with self._lock:
                self.statuses[key] = self.statuses.get(key, 0) + 1

    def __exit__(self, *exc):
        self._stop.set()
        deadline = time.monotonic() + 15
        for t in self._threads:
            t.join(max(0.0, deadline - time.monotonic()))
        left = sum(t.is_alive() for t in self._threads)
        if left:
            log(f"neighbour: {left} spinning clients still waiting after 15 s (left to exit with bench.py)")


def single_client(port, path, host, seconds):
    """Sequential GETs on one keep-alive connection for `seconds`: (requests/s, latencies in ms, failures)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    lat, failures = [], 0
    t0 = time.monotonic()
    end = t0 + seconds
    while time.monotonic() < end:
        t = time.perf_counter()
        try:
            ms, status, _ = timed_get(conn, path, host)
        except (OSError, http.client.HTTPException):
            ms, status = (time.perf_counter() - t) * 1000, None
            conn.close()  # the next request opens a new connection
        lat.append(ms)
        failures += status != 200
    elapsed = time.monotonic() - t0
    conn.close()
    return len(lat) / elapsed, lat, failures


def neighbour_scenario(args, work, results):
    """One henv's latency while another henv's scripts never return.

    hbf with --qjs_timeout_ms 2000; "spinner"'s GET /spin loops forever, and
    64 clients keep asking for it (each answer should be a 504 at the time
    limit, or a 503 while the henv's workers are all busy). Meanwhile one
    keep-alive client sends "calm"'s GET /hello sequentially; the same loop on
    the quiet server first is the baseline.
    """
    seconds = 2 if args.quick else 10
    spinners = 64
    srv = start_hbf(work, "hbf-neighbour", os.path.join(work, "neighbour"), ["--qjs_timeout_ms", "2000"])
    _, spin_host, spin_auth = create_henv(srv.port, "spinner")
    _, calm_host, calm_auth = create_henv(srv.port, "calm")
    put_document(srv.port, spin_host, spin_auth, "_system/router.js", SPIN_ROUTER.encode(), "text/javascript")
    put_document(srv.port, calm_host, calm_auth, "_system/router.js", CALM_ROUTER.encode(), "text/javascript")
    single_client(srv.port, "/hello", calm_host, 0.5)  # creates calm's worker
    cases = [("neighbour: /hello, one client, no neighbour spinning (baseline)", None)]
    cases.append((f"neighbour: /hello, one client, while {spinners} clients spin another henv", spinners))
    for label, count in cases:
        note = ""
        with RssSampler(srv.proc.pid) as rss:
            if count is None:
                rps, lat, failures = single_client(srv.port, "/hello", calm_host, seconds)
            else:
                with Spinners(srv.port, "/spin", spin_host, count) as spin:
                    time.sleep(1)  # every spinning client has sent its first request
                    rps, lat, failures = single_client(srv.port, "/hello", calm_host, seconds)
                statuses = ", ".join(f"{k} ×{v:,}" for k, v in sorted(spin.statuses.items(), key=lambda kv: str(kv[0])))
                note = f"; spinners' answers: {statuses or 'none'}"
                if set(spin.statuses) - {503, 504}:
                    log(f"neighbour: /spin answered other than 503/504: {statuses}")
        p50, p95, p99 = (percentile(lat, q) for q in (50, 95, 99))
        results.append({"scenario": label, "server": "hbf", "rps": rps, "p50": p50, "p95": p95, "p99": p99,
                        "rss": rss.peak, "errors": failures, "single_client": True,
                        "note": f"p95 {p95:.2f} ms{' (aim < 100 ms)' if count else ''}{note}"})
        log(f"{label}: {rps:,.0f} req/s  p50 {p50:.2f} ms  p95 {p95:.2f} ms  p99 {p99:.2f} ms  "
            f"({len(lat):,} requests, {failures} failed{note})")
    srv.stop()


# -------------------------------------------------------------------- report

def write_report(args, results, started):
    out_dir = os.path.join(BENCH, "results")
    os.makedirs(out_dir, exist_ok=True)
    by_scenario = {}
    for r in results:
        by_scenario.setdefault(r["scenario"], {})[r["server"]] = r
    hello = by_scenario.get("hello", {}).get("hbf")
    lines = [
        "# HBF benchmark results", "",
        f"{started}, {CORES} cores ({platform_cpu()}), loopback. wrk -t{WRK_THREADS} -c{WRK_CONNECTIONS} "
        f"-d{args.duration}s, median of {args.runs} runs per figure; peak RSS of the server's process tree "
        "sampled every 100 ms during those runs.",
        f"Servers: hbf {' '.join(HBF_EXTRA_ARGS) or '(default flags)'} ({os.path.relpath(HBF, ROOT)}); " + peer_versions(args) +
        f"; Bun/Deno with {CORES} instances (reusePort processes / deno serve --parallel), workerd one process "
        f"(its single-process model); nginx worker_processes {CORES}.",
        "", "`hbf ÷ server` is hbf's requests/s divided by that server's: above 1.00 hbf is faster.",
        "Tenants: requests/s as a share of hbf's own hello. Cold start and reload: one client, latency of each "
        "request. Idle: RSS of the server before and after opening the idle connections (RSS column: with them "
        "open), then one more client's sequential /health. Neighbour: one client's sequential /hello, its "
        "requests/s and latency, without and then with another henv's scripts spinning. "
        "`failed`: responses that were not 2xx, socket errors and wrk timeouts (> 2 s), all runs.", "",
        "| scenario | server | requests/s | p50 | p99 | peak RSS | hbf ÷ server | failed | note |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for scenario, servers in by_scenario.items():
        base = servers.get("hbf")
        for name, r in servers.items():
            rps = f"{r['rps']:,.0f}" if r["rps"] else "—"
            if r["rps"] and name != "hbf" and base and base["rps"]:
                ratio = f"{base['rps'] / r['rps']:.2f}"
            elif scenario.startswith("tenants") and hello and r["rps"]:
                ratio = f"{r['rps'] / hello['rps']:.2f} of hello"
            else:
                ratio = "1.00" if r["rps"] and name == "hbf" and len(servers) > 1 else "—"
            errors = r.get("errors", 0)
            p50, p99 = (f"{r[q]:.2f} ms" if r[q] is not None else "—" for q in ("p50", "p99"))
            lines.append(f"| {scenario} | {name} | {rps} | {p50} | {p99} | "
                         f"{r['rss'] / 2**20:,.0f} MiB | {ratio} | {errors if errors else ''} | {r.get('note', '')} |")
    md = os.path.join(out_dir, "latest.md")
    with open(md, "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(out_dir, "latest.json"), "w") as f:
        json.dump({"started": started, "cores": CORES, "runs": args.runs, "duration": args.duration,
                   "results": results}, f, indent=1)
    chart(by_scenario, out_dir)
    print("\n".join(lines))


def platform_cpu():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def peer_versions(args):
    parts = []
    for runtime in args.peers:
        try:
            v = subprocess.run([os.path.join(BENCH, ".peers", "bin", runtime), "--version"], capture_output=True,
                               text=True, timeout=20).stdout.split("\n")[0].strip()
        except (OSError, subprocess.TimeoutExpired):
            v = "?"
        parts.append(v if v.split(" ")[0] == runtime else f"{runtime} {v}")
    try:
        nv = subprocess.run(["nginx", "-v"], capture_output=True, text=True).stderr.strip().split("/")[-1]
        parts.append(f"nginx {nv}")
    except OSError:
        pass
    return ", ".join(parts)


def chart(by_scenario, out_dir):
    if shutil.which("gnuplot") is None:
        log("gnuplot missing: no chart")
        return
    servers = ["hbf", "bun", "deno", "workerd", "nginx"]
    rows = [(s, v) for s, v in by_scenario.items()
            if any(r["rps"] and not r.get("single_client") for r in v.values())]
    if not rows:  # latency-only and one-client groups (cold, reload, idle, neighbour): the table says it all
        return
    data = os.path.join(out_dir, "latest.dat")
    with open(data, "w") as f:
        f.write("scenario " + " ".join(servers) + "\n")
        for scenario, v in rows:
            cells = [f"{v[s]['rps']:.0f}" if s in v and v[s]["rps"] else "-" for s in servers]
            f.write(json.dumps(scenario) + " " + " ".join(cells) + "\n")
    script = f"""
set terminal pngcairo noenhanced size 1200,560 font "sans,10"
set output "{os.path.join(out_dir, 'latest.png')}"
set title "HBF vs peers: requests/s (median of runs, higher is better; {CORES} cores, loopback)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set datafile missing "-"
set key top right
set ylabel "requests/s"
set yrange [0:*]
set grid ytics
set xtics rotate by -20
plot for [i=2:{len(servers) + 1}] "{data}" using i:xtic(1) title columnheader(i)
"""
    r = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True)
    if r.returncode != 0:
        log(f"gnuplot failed: {r.stderr.strip()}")


# ---------------------------------------------------------------------- main

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="smoke check: 1 x 2 s, small tenant counts")
    p.add_argument("--only", default="app,static,tenants,cold,reload,idle,websockets,ws_echo,neighbour,ops",
                   help="comma list of: app,static,tenants,cold,reload,idle,websockets,ws_echo,neighbour,ops")
    p.add_argument("--peers", default="bun,deno,workerd")
    p.add_argument("--tenants", help="comma list of henv counts for the tenants scenario (default 1000,10000)")
    p.add_argument("--hbf", help="the hbf binary to measure (default: build/release/src/hbf)")
    p.add_argument("--hbf-args", default="", help="extra flags for hbf, e.g. for an A/B run of an older build")
    p.add_argument("--runs", type=int, dest="runs_override", help="runs per figure (default 3; --quick 1)")
    p.add_argument("--duration", type=int, dest="duration_override", help="seconds per run (default 10; --quick 2)")
    args = p.parse_args()
    global HBF
    if args.hbf:
        HBF = os.path.abspath(args.hbf)
    HBF_EXTRA_ARGS[:] = args.hbf_args.split()
    args.runs, args.duration = (1, 2) if args.quick else (3, 10)
    args.runs = args.runs_override or args.runs
    args.duration = args.duration_override or args.duration
    args.tenants = ([int(x) for x in args.tenants.split(",")] if args.tenants
                    else [20, 200] if args.quick else [1000, 10000])
    args.cold_henvs = 100 if args.quick else 1000
    args.peers = [x for x in args.peers.split(",") if x]
    only = set(args.only.split(","))
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    log(f"{CORES} cores; wrk -t{WRK_THREADS} -c{WRK_CONNECTIONS} -d{args.duration}s, median of {args.runs}; "
        f"hbf {' '.join(HBF_EXTRA_ARGS) or '(defaults)'}; peers {args.peers} with {CORES} instances")
    work = tempfile.mkdtemp(prefix="hbf-bench-")
    results = []
    failure = None
    try:
        hbf = host = auth = None
        if "app" in only or "static" in only:
            hbf, host, auth = app_scenarios(args, work, results) if "app" in only else (None, None, None)
        if "static" in only:
            if hbf is None:
                hbf = start_hbf(work, "hbf", os.path.join(work, "henvs"))
                _, host, auth = create_henv(hbf.port, "bench")
            static_scenarios(args, work, results, hbf, host, auth)
        if hbf is not None:
            hbf.stop()
        if "tenants" in only:
            tenant_scenarios(args, work, results)
        if "cold" in only:
            cold_scenarios(args, work, results)
        if "reload" in only:
            reload_scenario(args, work, results)
        if "idle" in only:
            idle_scenario(args, work, results)
        if "websockets" in only:
            websocket_scenario(args, work, results)
        if "neighbour" in only:
            neighbour_scenario(args, work, results)
        if "ops" in only:
            ops_cost_scenario(args, work, results)
        if "ws_echo" in only:
            ws_echo_scenario(args, work, results)
    except (RuntimeError, subprocess.CalledProcessError) as e:
        failure = e  # still report what was measured
    finally:
        stop_all()
        shutil.rmtree(work, ignore_errors=True)
    if results:
        write_report(args, results, started)
    if failure is not None:
        raise failure


if __name__ == "__main__":
    try:
        main()
    except (RuntimeError, subprocess.CalledProcessError) as e:
        stop_all()
        print(f"bench: failed: {e}", file=sys.stderr)
        sys.exit(1)
