#!/bin/bash
# CPU per request over many henvs, the server on one core and wrk on another.
#
#   bench/tools/tenants_cpu.sh HBF WORK COUNT
#
# WORK holds tenants-COUNT/ and hosts-COUNT.txt as bench.py's
# provision_tenants(WORK, WORK/tenants-COUNT, COUNT) leaves them:
#   python3 -c "import sys; sys.path.insert(0, 'bench'); import bench; \
#     bench.provision_tenants('/tmp/t', '/tmp/t/tenants-10000', 10000); bench.stop_all()"
# CONNS (default 32) connections, SECS (default 6) measured seconds: fewer
# connections is a server under a moderate load, whose workers live long
# enough to go idle (--js_hibernate).
# Every henv's /hello once in turn (so none is met for the first time;
# VISIT=0 skips it: a fresh server meeting henvs for the first time, as
# bench.py's "defaults" lines), WARMUP (default 3) s of wrk unmeasured, then 6 s measured: wrk's req/s and p50/p90/p99, and from
# `perf stat` of the server its CPU, page faults and madvise calls per
# request, and from /metrics the workers made and evicted per request; then
# /health's workers, hibernated workers and memory.
# SCENARIO (default random_tenant.lua, every henv alike): the wrk script in
# bench/scenarios, e.g. skewed_tenant.lua (80% of requests to the first
# $HOT henvs).
# Needs wrk, perf, python3, curl, taskset and two cores (0: hbf, 1: wrk).
set -euo pipefail
HBF=$1 WORK=$2 COUNT=$3
HOSTS=$WORK/hosts-$COUNT.txt
TOOLS=$(cd "$(dirname "$0")" && pwd)
SCRIPT=$TOOLS/../scenarios/${SCENARIO:-random_tenant.lua}
OUT=$(mktemp -d)
PORT=$((20000 + RANDOM % 20000))
taskset -c 0 "$HBF" --port $PORT --storage_dir "$WORK/tenants-$COUNT" --log_level warn > "$OUT/hbf.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; rm -rf "$OUT"' EXIT
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$PORT/health" && break; sleep 0.1; done
[ "${VISIT:-1}" = 0 ] || python3 "$TOOLS/visit_henvs.py" "$PORT" "$HOSTS"
HOSTS=$HOSTS taskset -c 1 wrk -t1 -c"${CONNS:-32}" -d"${WARMUP:-3}"s -s "$SCRIPT" "http://127.0.0.1:$PORT/" > /dev/null
perf stat -e task-clock,page-faults,syscalls:sys_enter_madvise -p $PID -o "$OUT/perf.txt" &
PERF=$!
metrics() { curl -s -H "Host: localhost" "http://127.0.0.1:$PORT/metrics"; }
metrics > "$OUT/metrics0.txt"
HOSTS=$HOSTS taskset -c 1 wrk -t1 -c"${CONNS:-32}" -d"${SECS:-6}"s --latency -s "$SCRIPT" "http://127.0.0.1:$PORT/" > "$OUT/wrk.txt"
kill -INT $PERF; wait $PERF 2>/dev/null || true
metrics > "$OUT/metrics1.txt"
FIGURES=$(python3 "$TOOLS/per_request.py" "$OUT/wrk.txt" "$OUT/perf.txt" --metrics "$OUT/metrics0.txt" "$OUT/metrics1.txt" \
  "task-clock=us CPU=1" "page-faults=page faults=2" "syscalls:sys_enter_madvise=madvise=3" \
  "hbf_js_workers_made_total=workers made=2" 'hbf_js_workers_evicted_total{state="awake"}=evicted awake=2' \
  'hbf_js_workers_evicted_total{state="hibernated"}=evicted hibernated=2' \
  "hbf_js_workers_evicted_on_probation_total=evicted on probation=2" \
  "hbf_js_workers_dropped_transient_total=of them transient=2" \
  "hbf_js_workers_made_returning_total=made returning=2" \
  "hbf_js_worker_hibernations_total=hibernated=2" "hbf_js_worker_wakes_total=woken=2")
WORKERS=$(curl -s "http://127.0.0.1:$PORT/health" | python3 -c "
import json, sys
h = json.load(sys.stdin)
print('workers %d (%d hibernated), RSS %s MiB' % (h['js_workers'], h['js_hibernated_workers'], h['memory_mb']))")
TARGET=$(metrics | awk '/^hbf_js_probation_target_workers /{print $2}')
[ -n "$TARGET" ] && WORKERS="$WORKERS, probation target $TARGET"
echo "$FIGURES; $WORKERS"
