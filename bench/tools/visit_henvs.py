"""Each henv of a hosts file asked GET /hello once, in turn, on one connection.

    python3 bench/tools/visit_henvs.py PORT HOSTS_FILE

Used by tenants_cpu.sh and tenants_rate.sh before measuring, as bench.py's
visit_every_henv does (no henv is then met for the first time).
"""
import http.client
import sys

conn = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=30)
for host in open(sys.argv[2]):
    if host.strip():
        conn.request("GET", "/hello", headers={"Host": host.strip()})
        conn.getresponse().read()
