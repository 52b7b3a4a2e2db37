"""Each henv of a hosts file asked GET /hello once, in turn, on one connection.

    python3 bench/tools/visit_henvs.py PORT HOSTS_FILE [FROM [TO]]

FROM and TO (default: all) pick the henvs by their line in the file,
counted from 0, TO excluded. A henv that does not answer 200 stops it
(exit status 1). Used by tenants_cpu.sh and tenants_rate.sh before
measuring, as bench.py's visit_every_henv does (no henv is then met for
the first time), and by first_visits_callgrind.sh for its first visits.
"""
import http.client
import sys

hosts = [h.strip() for h in open(sys.argv[2]) if h.strip()]
first = int(sys.argv[3]) if len(sys.argv) > 3 else 0
end = int(sys.argv[4]) if len(sys.argv) > 4 else len(hosts)
conn = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=60)
for host in hosts[first:end]:
    conn.request("GET", "/hello", headers={"Host": host})
    response = conn.getresponse()
    response.read()
    if response.status != 200:
        sys.exit(f"{host}/hello answered {response.status}")
