#!/usr/bin/python3
"""Checks the deploy kit (deploy/) with the real tools where Debian has them.

  validate_deploy.py nginx     DEPLOY_DIR          nginx -t on deploy/nginx/hbf.conf (+ structure)
  validate_deploy.py systemd   DEPLOY_DIR HBF_BIN  systemd-analyze verify on deploy/hbf.service (+ structure)
  validate_deploy.py caddy     DEPLOY_DIR          caddy validate + caddy adapt (the ask endpoint)
  validate_deploy.py k8s       DEPLOY_DIR          parses deploy/k8s/hbf.yaml: probes, args, ports, volumes
  validate_deploy.py traefik   DEPLOY_DIR          parses deploy/traefik/hbf.yml: every hash goes to one node
  validate_deploy.py docker    DEPLOY_DIR          the Dockerfile, structurally (no docker daemon in CI)

A missing tool is a failure (exit 1, naming the package), never a skip:
scripts/setup.sh installs them all (caddy: unpacked into .deps/caddy).
"""
import json
import os
import re
import shutil
import string
import subprocess
import sys
import tempfile

FAILURES = []


def check(condition, what):
    if not condition:
        FAILURES.append(what)
        print("FAIL: " + what)
    return condition


def need_tool(path_or_name, package):
    found = path_or_name if os.path.isabs(path_or_name) and os.access(path_or_name, os.X_OK) \
        else shutil.which(path_or_name)
    if not found:
        print("FAIL: %s not found: install Debian's %s (scripts/setup.sh does)" % (path_or_name, package))
        sys.exit(1)
    return found


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, **kw)


def check_nginx(deploy):
    nginx = need_tool("/usr/sbin/nginx", "nginx")
    openssl = need_tool("openssl", "openssl")
    conf = open(os.path.join(deploy, "nginx", "hbf.conf")).read()
    # Structure: what makes the ring match `hbf cluster plan` and keeps a
    # henv on its node.
    check(re.search(r"upstream\s+hbf\s*\{[^}]*hash\s+\$host\s+consistent\s*;", conf), "nginx: upstream hashes $host consistent")
    upstream = re.search(r"upstream\s+hbf\s*\{([^}]*)\}", conf)
    servers = re.findall(r"^\s*server\s+(\S+)([^;]*);", upstream.group(1) if upstream else "", re.M)
    check(len(servers) >= 1, "nginx: at least one upstream server")
    for name, params in servers:
        check("max_fails=0" in params, "nginx: server %s has max_fails=0" % name)
    check(re.search(r"proxy_next_upstream\s+off\s*;", conf), "nginx: proxy_next_upstream off")
    check(re.search(r"server_name\s+example\.com\s+\*\.example\.com\s*;", conf), "nginx: apex and wildcard server_name")
    check("proxy_set_header Host $host;" in conf, "nginx: Host passed through")
    check("X-Forwarded-Proto" in conf, "nginx: X-Forwarded-Proto set")
    # nginx -t, with a throwaway certificate in place of the real one.
    with tempfile.TemporaryDirectory() as prefix:
        cert, key = os.path.join(prefix, "cert.pem"), os.path.join(prefix, "key.pem")
        r = run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=example.com",
                 "-keyout", key, "-out", cert])
        if not check(r.returncode == 0, "openssl made a test certificate: " + r.stderr[-500:]):
            return
        conf = conf.replace("/etc/ssl/hbf/fullchain.pem", cert).replace("/etc/ssl/hbf/privkey.pem", key)
        open(os.path.join(prefix, "hbf.conf"), "w").write(conf)
        for d in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            os.mkdir(os.path.join(prefix, d))
        main = ("pid %(p)s/nginx.pid;\nerror_log %(p)s/error.log;\nevents {}\nhttp {\n access_log off;\n"
                " client_body_temp_path %(p)s/body;\n proxy_temp_path %(p)s/proxy;\n fastcgi_temp_path %(p)s/fastcgi;\n"
                " uwsgi_temp_path %(p)s/uwsgi;\n scgi_temp_path %(p)s/scgi;\n include %(p)s/hbf.conf;\n}\n") % {"p": prefix}
        open(os.path.join(prefix, "nginx.conf"), "w").write(main)
        r = run([nginx, "-t", "-p", prefix, "-e", os.path.join(prefix, "error.log"), "-c", os.path.join(prefix, "nginx.conf")])
        out = r.stdout + r.stderr
        print(out.strip())
        check(r.returncode == 0 and "test is successful" in out, "nginx -t accepts deploy/nginx/hbf.conf")


def check_systemd(deploy, hbf_binary):
    analyze = need_tool("systemd-analyze", "systemd")
    unit = open(os.path.join(deploy, "hbf.service")).read()
    settings = {}
    for line in unit.splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            k, v = line.split("=", 1)
            settings.setdefault(k.strip(), []).append(v.strip())
    check(settings.get("DynamicUser") == ["yes"] or "User" in settings, "systemd: a dynamic or dedicated user")
    check(settings.get("ProtectSystem") == ["strict"], "systemd: ProtectSystem=strict")
    check(settings.get("NoNewPrivileges") == ["yes"], "systemd: NoNewPrivileges=yes")
    check("RestrictAddressFamilies" in settings, "systemd: RestrictAddressFamilies")
    check("MemoryMax" in settings, "systemd: MemoryMax")
    storage = [v.split("=", 1)[1] for v in settings.get("Environment", []) if v.startswith("HBF_STORAGE_DIR=")]
    writable = " ".join(settings.get("ReadWritePaths", []))
    check(storage and any(storage[0].startswith(p.rstrip("/") + "/") or storage[0] == p for p in writable.split()),
          "systemd: ReadWritePaths covers HBF_STORAGE_DIR (%s)" % storage)
    check(any(e.endswith("hbf serve") or " serve" in e for e in settings.get("ExecStart", [])), "systemd: ExecStart runs hbf serve")
    with tempfile.TemporaryDirectory() as d:
        # verify also checks that ExecStart's binary exists: point it at the build's.
        path = os.path.join(d, "hbf.service")
        open(path, "w").write(unit.replace("/usr/local/bin/hbf", os.path.abspath(hbf_binary)))
        r = run([analyze, "verify", "--man=no", path])
        out = (r.stdout + r.stderr).strip()
        print(out or "systemd-analyze verify: no complaints")
        # verify exits 0 on unknown keys but says so: any output is a failure.
        check(r.returncode == 0 and out == "", "systemd-analyze verify passes with nothing to say")


def check_caddy(deploy):
    # scripts/setup.sh unpacks Debian's caddy into .deps/caddy (installing it
    # would start a server on :80/:443); an installed one does as well.
    unpacked = os.path.join(os.path.dirname(os.path.abspath(deploy)), ".deps", "caddy", "usr", "bin", "caddy")
    caddy = unpacked if os.access(unpacked, os.X_OK) else need_tool("caddy", "caddy (scripts/setup.sh unpacks it into .deps/caddy)")
    path = os.path.join(deploy, "Caddyfile")
    with tempfile.TemporaryDirectory() as home:
        env = dict(os.environ, HOME=home, XDG_DATA_HOME=home, XDG_CONFIG_HOME=home)
        r = run([caddy, "validate", "--config", path, "--adapter", "caddyfile"], env=env)
        print((r.stdout + r.stderr).strip()[-2000:])
        check(r.returncode == 0 and "Valid configuration" in r.stdout + r.stderr, "caddy validate accepts deploy/Caddyfile")
        check('"level":"warn"' not in r.stdout + r.stderr, "caddy validate gives no warnings")
        r = run([caddy, "adapt", "--config", path, "--adapter", "caddyfile"], env=env)
        if not check(r.returncode == 0, "caddy adapt: " + r.stderr[-500:]):
            return
        cfg = json.loads(r.stdout)
    tls = cfg.get("apps", {}).get("tls", {})
    ask = tls.get("automation", {}).get("on_demand", {}).get("ask")
    check(ask == "http://127.0.0.1:5309/_hbf/tls-allowed", "caddy: on-demand TLS asks hbf's /_hbf/tls-allowed (got %r)" % ask)
    text = json.dumps(cfg)
    check('"*.example.com"' in text and '"example.com"' in text, "caddy: serves the apex and the wildcard")
    check('"dial": "127.0.0.1:5309"' in text, "caddy: proxies to hbf on 127.0.0.1:5309")
    policies = tls.get("automation", {}).get("policies", [])
    check(any(p.get("on_demand") for p in policies), "caddy: an on-demand certificate policy")


def load_yaml_docs(path):
    try:
        import yaml
    except ImportError:
        print("FAIL: python3-yaml is missing (scripts/setup.sh installs it)")
        sys.exit(1)
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def check_k8s(deploy):
    docs = load_yaml_docs(os.path.join(deploy, "k8s", "hbf.yaml"))
    by_kind = {}
    for d in docs:
        check("apiVersion" in d and "kind" in d and "name" in d.get("metadata", {}), "k8s: every object has apiVersion/kind/name")
        by_kind.setdefault(d["kind"], []).append(d)
    sts = by_kind.get("StatefulSet", [])
    if not check(len(sts) == 1, "k8s: one StatefulSet (each replica a shard)"):
        return
    sts = sts[0]
    spec = sts["spec"]
    headless = [s for s in by_kind.get("Service", []) if s["metadata"]["name"] == spec["serviceName"]]
    check(headless and headless[0]["spec"].get("clusterIP") == "None", "k8s: serviceName is a headless Service")
    claims = spec.get("volumeClaimTemplates", [])
    check(claims and claims[0]["spec"].get("storageClassName") == "local-path", "k8s: local-path volume claim per shard")
    claim_name = claims[0]["metadata"]["name"] if claims else None
    pod = spec["template"]["spec"]
    containers = {c["name"]: c for c in pod["containers"]}
    hbf = containers.get("hbf")
    if not check(hbf is not None, "k8s: an hbf container"):
        return
    args = hbf.get("args", [])
    flags = dict(a[2:].split("=", 1) if "=" in a else (a[2:], "true") for a in args if a.startswith("--"))
    check(flags.get("bind") == "0.0.0.0", "k8s: hbf binds 0.0.0.0")
    check(flags.get("shard_mode") == "true", "k8s: hbf runs with --shard_mode")
    port = int(flags.get("port", "5309"))
    ports = {p.get("name"): p["containerPort"] for p in hbf.get("ports", [])}
    check(port in ports.values(), "k8s: containerPort matches --port %d" % port)

    def probe_port(probe):
        p = probe["httpGet"]["port"]
        return ports.get(p) if isinstance(p, str) else p
    live, ready = hbf.get("livenessProbe", {}), hbf.get("readinessProbe", {})
    check(live.get("httpGet", {}).get("path") == "/health" and probe_port(live) == port, "k8s: liveness on /health")
    check(ready.get("httpGet", {}).get("path") == "/health/ready" and probe_port(ready) == port, "k8s: readiness on /health/ready")
    res = hbf.get("resources", {})
    check(res.get("requests", {}).get("memory") and res.get("limits", {}).get("memory") and res.get("limits", {}).get("cpu"),
          "k8s: hbf has requests and limits")
    mounts = {m["name"]: m["mountPath"] for m in hbf.get("volumeMounts", [])}
    check(claim_name in mounts, "k8s: hbf mounts the shard's volume")
    storage = flags.get("storage_dir", "")
    check(claim_name in mounts and (storage + "/").startswith(mounts[claim_name].rstrip("/") + "/"),
          "k8s: --storage_dir (%s) is on the mounted volume" % storage)
    check(hbf.get("securityContext", {}).get("allowPrivilegeEscalation") is False, "k8s: no privilege escalation")
    check(pod.get("securityContext", {}).get("runAsNonRoot") is True, "k8s: runs as non-root")
    ls = containers.get("litestream")
    if check(ls is not None, "k8s: a litestream sidecar"):
        ls_mounts = {m["name"]: m["mountPath"] for m in ls.get("volumeMounts", [])}
        check(ls_mounts.get(claim_name) == mounts.get(claim_name), "k8s: litestream sees the same volume at the same path")
        config_mount = [m for m in ls.get("volumeMounts", []) if m["mountPath"] == "/etc/litestream.yml"]
        check(config_mount and "/etc/litestream.yml" in ls.get("args", []), "k8s: litestream reads /etc/litestream.yml")
        vols = {v["name"]: v for v in pod.get("volumes", [])}
        cm = vols.get(config_mount[0]["name"], {}).get("configMap", {}).get("name") if config_mount else None
        check(cm is not None, "k8s: litestream's config comes from a ConfigMap (of deploy/litestream.yml)")
    # The nginx in front hashes over the shards' stable names, one per replica.
    confs = [c for c in by_kind.get("ConfigMap", []) if any("upstream" in v for v in c.get("data", {}).values())]
    if check(confs, "k8s: an nginx ConfigMap with the upstream"):
        conf = "".join(confs[0]["data"].values())
        check(re.search(r"hash\s+\$host\s+consistent", conf), "k8s nginx: hash $host consistent")
        ns = sts["metadata"].get("namespace", "default")
        want = ["%s-%d.%s.%s.svc.cluster.local:%d" % (sts["metadata"]["name"], i, spec["serviceName"], ns, port)
                for i in range(spec["replicas"])]
        got = re.findall(r"^\s*server\s+(\S+)\s+max_fails=0\s*;", conf, re.M)
        check(got == want, "k8s nginx: one server per replica, by stable name, max_fails=0 (want %s, got %s)" % (want, got))
        check("proxy_next_upstream off" in conf, "k8s nginx: proxy_next_upstream off")
    check(by_kind.get("Ingress"), "k8s: an Ingress for the apex and the wildcard")


def check_traefik(deploy):
    docs = load_yaml_docs(os.path.join(deploy, "traefik", "hbf.yml"))
    http = docs[0]["http"]
    routers, services = http["routers"], http["services"]
    for name, r in routers.items():
        check(r["service"] in services, "traefik: router %s names a defined service" % name)
    for name, s in services.items():
        lb = s["loadBalancer"]
        check(lb.get("passHostHeader") is True, "traefik: %s keeps Host" % name)
        check(len(lb.get("servers", [])) == 1, "traefik: %s is one node (a henv lives on one)" % name)

    def matches(rule, host):
        ok = False
        for kind, arg in re.findall(r"(Host|HostRegexp)\(`([^`]*)`\)", rule):
            ok = ok or (host == arg if kind == "Host" else re.fullmatch(arg, host) is not None)
        return ok
    apex = [n for n, r in routers.items() if matches(r["rule"], "example.com")]
    check(len(apex) == 1, "traefik: exactly one router for the apex (%s)" % apex)
    for c in string.digits + string.ascii_lowercase:
        host = c + "0a1b2c3.example.com"
        owners = {routers[n]["service"] for n in routers if matches(routers[n]["rule"], host)}
        check(len(owners) == 1, "traefik: %s goes to exactly one node (got %s)" % (host, sorted(owners)))
    check(not any(matches(r["rule"], "toolongname.example.com") for r in routers.values()), "traefik: only henv-shaped hosts")


def check_docker(deploy):
    lines = []
    for raw in open(os.path.join(deploy, "Dockerfile")).read().replace("\\\n", " ").splitlines():
        if raw.strip() and not raw.lstrip().startswith("#"):
            parts = raw.split(None, 1)
            lines.append((parts[0].upper(), parts[1] if len(parts) > 1 else ""))
    instr = {}
    for k, v in lines:
        instr.setdefault(k, []).append(v)
    check(instr.get("FROM") == ["scratch"], "docker: FROM scratch, one stage")
    check(any(v.split()[-1] == "/hbf" for v in instr.get("COPY", [])), "docker: the binary is copied to /hbf")
    user = instr.get("USER", [""])[-1].split(":")
    check(user[0].isdigit() and int(user[0]) != 0 and (len(user) == 1 or (user[1].isdigit() and int(user[1]) != 0)),
          "docker: a numeric non-root USER")
    check(any("/data" in v for v in instr.get("VOLUME", [])), "docker: /data is a volume")
    check(any("--chown=%s" % ":".join(user) in v and v.split()[-1].rstrip("/") == "/data" for v in instr.get("COPY", [])),
          "docker: /data belongs to the runtime user")
    hc = " ".join(instr.get("HEALTHCHECK", []))
    m = re.search(r"CMD\s+(\[.*\])", hc)
    cmd = json.loads(m.group(1)) if m else []
    check(cmd[:2] == ["/hbf", "healthcheck"] and any(a.endswith("/health") for a in cmd), "docker: HEALTHCHECK runs hbf healthcheck on /health")
    entry = json.loads(instr.get("ENTRYPOINT", ["[]"])[-1])
    args = json.loads(instr.get("CMD", ["[]"])[-1])
    check(entry == ["/hbf"], "docker: exec-form ENTRYPOINT /hbf")
    full = entry + args
    check("--bind" in full and full[full.index("--bind") + 1] == "0.0.0.0", "docker: serves on 0.0.0.0")
    env = " ".join(instr.get("ENV", []))
    check("HBF_STORAGE_DIR=/data" in env, "docker: storage on /data")
    ignore = os.path.join(deploy, "Dockerfile.dockerignore")
    check(os.path.exists(ignore) and "!build/release/src/hbf" in open(ignore).read(), "docker: the build context is the binary only")
    check(os.path.isdir(os.path.join(deploy, "container-data")), "docker: deploy/container-data exists")


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    what, deploy = sys.argv[1], sys.argv[2]
    {"nginx": lambda: check_nginx(deploy), "systemd": lambda: check_systemd(deploy, sys.argv[3]),
     "caddy": lambda: check_caddy(deploy), "k8s": lambda: check_k8s(deploy), "traefik": lambda: check_traefik(deploy),
     "docker": lambda: check_docker(deploy)}[what]()
    if FAILURES:
        print("%d check(s) failed" % len(FAILURES))
        return 1
    print("ok: " + what)
    return 0


if __name__ == "__main__":
    sys.exit(main())
