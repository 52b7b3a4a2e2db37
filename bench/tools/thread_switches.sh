#!/bin/bash
# Context switches and CPU a request by thread role, as bench.py runs the
# app scenarios (server and `wrk -t2 -c64` sharing cores 0 and 1):
#
#   bench/tools/thread_switches.sh HBF WORK PATH [LUA]
#
# WORK/app: the bench app's henv (provision it with bench/tools/app_cpu.sh
# first); extra hbf flags in $HBF_ARGS. 2 s of wrk unmeasured, then 5 s
# measured; from /proc/PID/task/*/{status,stat} before and after, each role
# (hbf-io, hbf-js, ... : the threads' names without their numbers) with its
# voluntary and involuntary context switches and its CPU (user + system)
# a request. PATH and LUA as bench.py's app scenarios (/hello; /posts/1
# random_post.lua; /page/1 random_page.lua; /posts write_post.lua).
# Needs wrk, curl, taskset.
set -euo pipefail
HBF=$1 WORK=$2 URLPATH=$3 LUA=${4:-}
BENCH=$(cd "$(dirname "$0")/.." && pwd)
[ -s "$WORK/app/host" ] || { echo "thread_switches.sh: no $WORK/app/host (run bench/tools/app_cpu.sh once)" >&2; exit 2; }
HOST=$(cat "$WORK/app/host")
OUT=$(mktemp -d)
PORT=$((20000 + RANDOM % 20000))
# shellcheck disable=SC2086
taskset -c 0,1 "$HBF" --port $PORT --storage_dir "$WORK/app/henvs" --log_level warn ${HBF_ARGS:-} > "$OUT/hbf.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; rm -rf "$OUT"' EXIT
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$PORT/health" && break; sleep 0.1; done
SCRIPT=()
[ -n "$LUA" ] && SCRIPT=(-s "$BENCH/scenarios/$LUA")
taskset -c 0,1 wrk -t2 -c64 -d2s -H "Host: $HOST" "${SCRIPT[@]}" "http://127.0.0.1:$PORT$URLPATH" > /dev/null
# One line a thread: role, voluntary and involuntary switches, utime + stime (ticks).
snap() {
  for t in /proc/$PID/task/*; do
    echo "$(sed 's/-[0-9]*$//' "$t/comm") $(awk '/^voluntary_ctxt/{v=$2} /^nonvoluntary_ctxt/{n=$2} END{print v, n}' "$t/status") $(awk '{print $14 + $15}' "$t/stat")"
  done
}
snap > "$OUT/before"
taskset -c 0,1 wrk -t2 -c64 -d5s -H "Host: $HOST" "${SCRIPT[@]}" "http://127.0.0.1:$PORT$URLPATH" > "$OUT/wrk.txt"
snap > "$OUT/after"
REQS=$(awk '/requests in/{print $1}' "$OUT/wrk.txt")
echo "$(awk '/^Requests\/sec/{print $2}' "$OUT/wrk.txt") req/s"
TICK=$(getconf CLK_TCK)
# (threads are matched by position: none starts or ends while measured)
paste "$OUT/before" "$OUT/after" | awk -v n="$REQS" -v tick="$TICK" '
  { role = $1; vol[role] += $6 - $2; invol[role] += $7 - $3; cpu[role] += $8 - $4 }
  END { for (r in vol) if (vol[r] + invol[r] + cpu[r] > 0)
          printf "%-16s %.3f voluntary, %.3f involuntary switches, %.1f us CPU a request\n", r, vol[r] / n, invol[r] / n, cpu[r] * 1e6 / tick / n }' | sort
