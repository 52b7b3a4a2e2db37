#!/bin/bash
# The bench app's server CPU and context switches per request.
#
#   bench/tools/app_cpu.sh HBF WORK PATH [LUA]
#
# WORK/app holds the bench app's henv (bench/scenarios/router.js, views/page.ejs,
# 10,000 posts), provisioned here on first use. hbf runs on the cores in
# $CORES (default 0), wrk -t1 -c32 on $WCORES (default 1): 2 s unmeasured,
# then 5 s measured. Prints wrk's req/s and p50/p90/p99 and, from `perf stat` of the
# server, CPU, context switches and futex calls per request. Extra hbf flags
# in $HBF_ARGS; UNBATCH_IO=1 puts the I/O loops back to SCHED_OTHER (`chrt`)
# after start, for an A/B of their policy. SYSCALLS="fcntl pwrite64 ..." also
# counts those system calls per request. PATH and LUA as bench.py's app
# scenarios: /hello; /posts/1 random_post.lua; /page/1 random_page.lua;
# /posts write_post.lua. Needs wrk, perf, python3, curl, taskset, chrt.
set -euo pipefail
HBF=$1 WORK=$2 URLPATH=$3 LUA=${4:-}
BENCH=$(cd "$(dirname "$0")/.." && pwd)
if [ ! -s "$WORK/app/host" ]; then
  mkdir -p "$WORK/app"
  python3 - "$BENCH" "$WORK/app" "$HBF" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
import bench
bench.HBF = sys.argv[3]
work = sys.argv[2]
hbf = bench.start_hbf(work, "hbf", work + "/henvs")
henv, host, auth = bench.create_henv(hbf.port, "bench")
bench.put_document(hbf.port, host, auth, "views/page.ejs", bench.read_file(sys.argv[1] + "/scenarios/page.ejs"),
                   "text/plain; charset=utf-8")
bench.put_document(hbf.port, host, auth, "_system/router.js", bench.read_file(sys.argv[1] + "/scenarios/router.js"),
                   "text/javascript")
status, _ = bench.request(hbf.port, "POST", "/_bench/seed?n=10000", host)
assert status == 200, status
open(work + "/host", "w").write(host)
bench.stop_all()
PY
fi
HOST=$(cat "$WORK/app/host")
OUT=$(mktemp -d)
PORT=$((20000 + RANDOM % 20000))
# shellcheck disable=SC2086
taskset -c "${CORES:-0}" "$HBF" --port $PORT --storage_dir "$WORK/app/henvs" --log_level warn ${HBF_ARGS:-} > "$OUT/hbf.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; rm -rf "$OUT"' EXIT
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$PORT/health" && break; sleep 0.1; done
if [ -n "${UNBATCH_IO:-}" ]; then
  for t in /proc/$PID/task/*; do
    case $(cat "$t/comm") in hbf-io-*) chrt -o -p 0 "$(basename "$t")" ;; esac
  done
fi
SCRIPT=()
[ -n "$LUA" ] && SCRIPT=(-s "$BENCH/scenarios/$LUA")
taskset -c "${WCORES:-1}" wrk -t1 -c32 -d2s -H "Host: $HOST" "${SCRIPT[@]}" "http://127.0.0.1:$PORT$URLPATH" > /dev/null
EVENTS=task-clock,context-switches,syscalls:sys_enter_futex
COLUMNS=("task-clock=us CPU=1" "context-switches=context switches=2" "syscalls:sys_enter_futex=futex calls=2")
for call in ${SYSCALLS:-}; do
  EVENTS+=",syscalls:sys_enter_$call"
  COLUMNS+=("syscalls:sys_enter_$call=$call=2")
done
perf stat -e "$EVENTS" -p $PID -o "$OUT/perf.txt" &
PERF=$!
taskset -c "${WCORES:-1}" wrk -t1 -c32 -d5s --latency -H "Host: $HOST" "${SCRIPT[@]}" "http://127.0.0.1:$PORT$URLPATH" > "$OUT/wrk.txt"
kill -INT $PERF; wait $PERF 2>/dev/null || true
python3 "$BENCH/tools/per_request.py" "$OUT/wrk.txt" "$OUT/perf.txt" "${COLUMNS[@]}"
