#!/usr/bin/env python3
"""Per-request figures from one wrk run and `perf stat` of the server over it.

  per_request.py WRK_TXT PERF_TXT [--metrics BEFORE AFTER] SPEC...

WRK_TXT is wrk's report (with --latency), PERF_TXT `perf stat -o`'s file.
A SPEC is EVENT=LABEL=DIGITS: the perf event's count divided by wrk's
requests (task-clock, in msec, is given in us of CPU). With --metrics,
BEFORE and AFTER are /metrics lines scraped around the wrk run, and a SPEC
whose EVENT starts with "hbf_" is that series' growth over the run, divided
by wrk's requests. Prints "R req/s, p50/p90/p99 A/B/C; per request: V
LABEL, ...". Shared by tenants_cpu.sh and app_cpu.sh.
"""
import re
import sys


def read_metrics(path):
    series = {}
    for line in open(path):
        if line.strip() and not line.startswith("#"):
            name, value = line.rsplit(None, 1)
            series[name] = float(value)
    return series


def main():
    args = sys.argv[1:]
    wrk = open(args.pop(0)).read()
    perf = open(args.pop(0)).read()
    before = after = {}
    if args and args[0] == "--metrics":
        before, after = read_metrics(args[1]), read_metrics(args[2])
        args = args[3:]
    requests = int(re.search(r"(\d+) requests in", wrk).group(1))
    rps = re.search(r"Requests/sec:\s+([\d.]+)", wrk).group(1)
    pct = "/".join(re.search(r"\s" + q + r"%\s+(\S+)", wrk).group(1) for q in ("50", "90", "99"))
    figures = []
    for spec in args:
        event, label, digits = spec.rsplit("=", 2)  # (a series' labels hold "=")
        if event.startswith("hbf_"):
            count = after.get(event, 0.0) - before.get(event, 0.0)
        else:
            count = float(re.search(r"([\d,.]+)\s+(?:msec\s+)?" + re.escape(event), perf).group(1).replace(",", ""))
        per = count * 1000 / requests if event == "task-clock" else count / requests
        figures.append(f"{per:.{int(digits)}f} {label}")
    print(f"{rps} req/s, p50/p90/p99 {pct}; per request: " + ", ".join(figures))


if __name__ == "__main__":
    main()
