#!/usr/bin/env python3
"""Memory per idle henv, with where it lies.

    bench/tools/henv_memory.py HBF WORK COUNT [WAIT_S]

WORK holds tenants-COUNT/ and hosts-COUNT.txt as bench.py's
provision_tenants leaves them (bench/tools/tenants_cpu.sh says how). The
same steps as bench.py's henv_memory: hbf with --db_max_open COUNT, every
henv's /hello once in turn on one connection, WAIT_S seconds idle (default
13: workers hibernated after 2 s, page caches released after 10 s; 40:
connections closed after 30 s), then RSS growth over COUNT, its anonymous
part, and the henvs' -shm mappings (the WAL index, 32 KiB a file: all of
it mapped by the kernel's fault-around). With JEMALLOC_STATS=1 and an
unstripped HBF, gdb asks the live process for malloc_stats_print (into
the server's log, WORK/hbf-henv-memory.log): its size classes' use says
what is allocated and what is waste. Starting, readiness and the visit are
bench.py's own.
"""
import http.client
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import bench  # noqa: E402  (its server, readiness and visit helpers)


def rollup(pid):
    d = {}
    for line in open(f"/proc/{pid}/smaps_rollup"):
        m = re.match(r"(\w+):\s+(\d+) kB", line)
        if m:
            d[m.group(1)] = int(m.group(2))
    return d


def shm_rss(pid):
    total, count, in_shm = 0, 0, False
    for line in open(f"/proc/{pid}/smaps"):
        if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
            in_shm = line.rstrip().endswith("-shm")
            count += in_shm
        elif in_shm and line.startswith("Rss:"):
            total += int(line.split()[1])
    return count, total


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    bench.HBF, work, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    wait = float(sys.argv[4]) if len(sys.argv) > 4 else 13
    srv = bench.start_hbf(work, "hbf-henv-memory", os.path.join(work, f"tenants-{count}"),
                          ["--db_max_open", str(count)])
    try:
        pid = srv.proc.pid
        before = rollup(pid)
        bench.visit_every_henv(srv.port, work, count)
        time.sleep(wait)
        after = rollup(pid)
        maps, shm_kib = shm_rss(pid)
        if os.environ.get("JEMALLOC_STATS"):
            # (printed on the server's stderr: its log)
            subprocess.run(["gdb", "-p", str(pid), "-batch", "-ex", 'call (void)malloc_stats_print(0, 0, "ax")'],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=5)
        c.request("GET", "/health")
        health = c.getresponse().read().decode()
        print(f"RSS {before['Rss']} -> {after['Rss']} KiB: {(after['Rss'] - before['Rss']) / count:.1f} KiB a henv "
              f"({wait:g} s idle); anonymous {(after['Anonymous'] - before['Anonymous']) / count:.1f}; "
              f"{maps} -shm mappings, {shm_kib / count:.1f} KiB a henv")
        print(health)
    finally:
        bench.stop_all()


if __name__ == "__main__":
    main()
