#!/usr/bin/env python3
"""Per-request figures from one wrk run and `perf stat` of the server over it.

  per_request.py WRK_TXT PERF_TXT EVENT=LABEL=DIGITS...

WRK_TXT is wrk's report (with --latency), PERF_TXT `perf stat -o`'s file.
Prints "R req/s, p50/p90/p99 A/B/C; per request: V LABEL, ..." with each EVENT's count
divided by wrk's requests; task-clock (msec) is given in us of CPU.
Shared by tenants_cpu.sh and app_cpu.sh.
"""
import re
import sys


def main():
    wrk = open(sys.argv[1]).read()
    perf = open(sys.argv[2]).read()
    requests = int(re.search(r"(\d+) requests in", wrk).group(1))
    rps = re.search(r"Requests/sec:\s+([\d.]+)", wrk).group(1)
    pct = "/".join(re.search(r"\s" + q + r"%\s+(\S+)", wrk).group(1) for q in ("50", "90", "99"))
    figures = []
    for spec in sys.argv[3:]:
        event, label, digits = spec.split("=")
        count = float(re.search(r"([\d,.]+)\s+(?:msec\s+)?" + re.escape(event), perf).group(1).replace(",", ""))
        per = count * 1000 / requests if event == "task-clock" else count / requests
        figures.append(f"{per:.{int(digits)}f} {label}")
    print(f"{rps} req/s, p50/p90/p99 {pct}; per request: " + ", ".join(figures))


if __name__ == "__main__":
    main()
