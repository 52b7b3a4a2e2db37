#!/usr/bin/env python3
"""Login fairness under a flood (issue #12).

Starts hbf (the binary given) with --trust_proxy on a free loopback port,
creates two henvs, floods the first one's POST /login with 64 clients sending
random usernames (each attempt from its own X-Forwarded-For address, so the
per-address lockout does not end the flood), and times 10 logins of the
second henv's owner meanwhile. Prints their p50 / max and the flood's
answers. Loopback only; bounded (about 6 s).

    python3 bench/tools/login_fairness.py build/release/src/hbf
"""
import http.client, json, threading, time, subprocess, sys, shutil, socket, tempfile
binary = sys.argv[1]
storage = tempfile.mkdtemp(prefix="hbf-fair-"); shutil.rmtree(storage, ignore_errors=True)
s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
p = subprocess.Popen([binary, "--port", str(port), "--storage_dir", storage, "--trust_proxy", "--log_level", "error"])
time.sleep(0.5)
def req(method, path, host, body=None, headers={}):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    h = {"Host": host, "Content-Type": "application/json"}; h.update(headers)
    c.request(method, path, body=json.dumps(body) if body is not None else None, headers=h)
    r = c.getresponse(); data = r.read(); c.close(); return r.status, data
hashes = {}
for name in ("flooded", "bystander"):
    st, data = req("POST", "/new", "localhost", {"username": name, "password": "correct horse battery", "email": name+"@x.io"})
    hashes[name] = json.loads(data)["user_hash"]
stop = False; flood_count = [0, 0]
def flood(i):
    n = 0
    while not stop:
        st, _ = req("POST", "/login", hashes["flooded"] + ".localhost",
                    {"username": "u%d_%d" % (i, n), "password": "wrong password!"},
                    {"X-Forwarded-For": "10.%d.%d.%d" % (i, n // 200 % 250, n % 200)})
        n += 1; flood_count[0 if st == 401 else 1] += 1
threads = [threading.Thread(target=flood, args=(i,)) for i in range(64)]
for t in threads: t.start()
time.sleep(2)
times = []
for k in range(10):
    t0 = time.time()
    st, _ = req("POST", "/login", hashes["bystander"] + ".localhost", {"username": "bystander", "password": "correct horse battery"},
                {"X-Forwarded-For": "192.0.2.%d" % (k + 1)})
    times.append((time.time() - t0) * 1000); assert st == 200, st
    time.sleep(0.3)
stop = True
for t in threads: t.join()
p.terminate(); p.wait(); shutil.rmtree(storage, ignore_errors=True)
times.sort()
print("bystander login ms: p50 %.0f max %.0f all %s" % (times[5], times[-1], [round(x) for x in times]))
print("flood answers: 401=%d other=%d" % tuple(flood_count))
