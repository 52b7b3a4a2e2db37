#!/usr/bin/env python3
"""req.db against db (issue #12): the same primary-key lookup through the
caller's row policies (req.db) and as the app's own trusted access (db).

Starts hbf (the binary given) on a free loopback port, makes a henv with
10,000 rows, a plain user with a select grant and an own-rows policy, then
runs wrk (-t2 -c32 -d4s, two alternating rounds) on /plain/:id and
/user/:id. Loopback only; about 20 s.

    python3 bench/tools/req_db.py build/release/src/hbf
"""
import http.client, json, time, subprocess, sys, shutil, socket, tempfile
binary = sys.argv[1]
storage = tempfile.mkdtemp(prefix="hbf-reqdb-")
lua_path = storage + "-bench.lua"
s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
p = subprocess.Popen([binary, "--port", str(port), "--storage_dir", storage, "--log_level", "error"], stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
time.sleep(0.5)
def req(method, path, host, body=None, headers={}):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    h = {"Host": host, "Content-Type": "application/json"}; h.update(headers)
    c.request(method, path, body=body, headers=h)
    r = c.getresponse(); data = r.read(); c.close(); return r.status, data
st, data = req("POST", "/new", "localhost", json.dumps({"username": "bencher", "password": "correct horse battery", "email": "b@x.io"}))
host = json.loads(data)["user_hash"] + ".localhost"
st, data = req("POST", "/login", host, json.dumps({"username": "bencher", "password": "correct horse battery"}))
owner = json.loads(data)["token"]
A = {"Authorization": "Bearer " + owner}
router = r'''
import { Router } from "hbf:router";
import db from "hbf:db";
db.execute("CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, owner TEXT, body TEXT)");
if (db.get("SELECT count(*) AS n FROM notes").n === 0) {
  db.transaction(() => { for (let i = 0; i < 10000; i++) db.execute("INSERT INTO notes (owner, body) VALUES (?, ?)", [i % 2 ? "alice" : "bob", "note " + i]); });
}
const router = new Router();
router.get("/plain/:id", (req, res) => res.json(db.get("SELECT * FROM notes WHERE id = ?", [Number(req.params.id)])));
router.get("/user/:id", (req, res) => res.json(req.db.get("SELECT * FROM notes WHERE id = ?", [Number(req.params.id)])));
export default router;
'''
st, _ = req("PUT", "/_api/documents/_system/router.js", host, router, dict(A, **{"Content-Type": "text/javascript"}))
assert st in (200, 201)
print("warm", req("GET", "/plain/1", host)[0])  # loads the router, which makes the table
req("POST", "/_api/users", host, json.dumps({"username": "alice", "password": "alice long password"}), A)
print("grant", req("POST", "/_api/permissions", host, json.dumps({"role": "user", "table": "notes", "select": True}), A)[0])
req("POST", "/_api/policies", host, json.dumps({"table": "notes", "name": "own", "role": "user", "operation": "all", "condition": "owner = $username"}), A)
st, data = req("POST", "/login", host, json.dumps({"username": "alice", "password": "alice long password"}))
alice = json.loads(data)["token"]
st, d1 = req("GET", "/plain/1", host); st2, d2 = req("GET", "/user/1", host, None, {"Authorization": "Bearer " + alice})
print("check", st, d1[:60], st2, d2[:60])
lua = open(lua_path, "w")
lua.write('''math.randomseed(42)
request = function()
  local id = math.random(1, 5000) * 2
  return wrk.format("GET", PATH .. id, {["Host"] = "%s", ["Authorization"] = "Bearer %s"})
end
''' % (host, alice))
lua.close()
for rnd in range(2):
    for name in ("plain", "user"):
        lua2 = open(lua_path + "." + name, "w"); lua2.write(open(lua_path).read().replace("PATH ..", '"/%s/" ..' % name)); lua2.close()
        out = subprocess.run(["wrk", "-t2", "-c32", "-d4s", "-s", lua_path + "." + name, "http://127.0.0.1:%d/" % port], capture_output=True, text=True)
        rps = [l for l in out.stdout.splitlines() if "Requests/sec" in l or "Non-2xx" in l]
        print(rnd, name, rps)
p.terminate(); p.wait(); shutil.rmtree(storage, ignore_errors=True)
import glob, os
for f in glob.glob(lua_path + "*"): os.remove(f)
