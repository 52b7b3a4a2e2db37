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
WORK/henv-memory-jemalloc.txt): its size classes' use says what is
allocated and what is waste.
"""
import http.client
import os
import re
import socket
import subprocess
import sys
import time


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


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
    hbf, work, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    wait = float(sys.argv[4]) if len(sys.argv) > 4 else 13
    port = free_port()
    stats_path = os.path.join(work, "henv-memory-jemalloc.txt")
    log = open(stats_path, "w")
    proc = subprocess.Popen([hbf, "--port", str(port), "--storage_dir", os.path.join(work, f"tenants-{count}"),
                             "--log_level", "warn", "--db_max_open", str(count)], stderr=log)
    try:
        for _ in range(100):
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                c.request("GET", "/health")
                c.getresponse().read()
                break
            except OSError:
                time.sleep(0.1)
        before = rollup(proc.pid)
        hosts = [h.strip() for h in open(os.path.join(work, f"hosts-{count}.txt")) if h.strip()][:count]
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for h in hosts:
            c.request("GET", "/hello", headers={"Host": h})
            r = c.getresponse()
            r.read()
            if r.status != 200:
                sys.exit(f"{h}/hello answered {r.status}")
        c.close()
        time.sleep(wait)
        after = rollup(proc.pid)
        maps, shm_kib = shm_rss(proc.pid)
        if os.environ.get("JEMALLOC_STATS"):
            subprocess.run(["gdb", "-p", str(proc.pid), "-batch", "-ex", 'call (void)malloc_stats_print(0, 0, "ax")'],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        c.request("GET", "/health")
        health = c.getresponse().read().decode()
        n = len(hosts)
        print(f"RSS {before['Rss']} -> {after['Rss']} KiB: {(after['Rss'] - before['Rss']) / n:.1f} KiB a henv "
              f"({wait:g} s idle); anonymous {(after['Anonymous'] - before['Anonymous']) / n:.1f}; "
              f"{maps} -shm mappings, {shm_kib / n:.1f} KiB a henv")
        print(health)
    finally:
        proc.terminate()
        proc.wait()


if __name__ == "__main__":
    main()
