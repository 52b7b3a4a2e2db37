#!/bin/bash
# Requests/s, p50, p99 and RSS over many henvs as bench.py's "tenants ...
# (defaults, every henv visited first)" line measures them (server on every
# core with wrk beside it, wrk -t2 -c64, one unmeasured run of WARMUP s,
# then SECS s measured), for A/B runs of two binaries or two settings in
# alternation without the rest of bench.py:
#
#   bench/tools/tenants_rate.sh HBF WORK COUNT [hbf flags...]
#
# WORK holds tenants-COUNT/ and hosts-COUNT.txt as bench.py's
# provision_tenants(WORK, WORK/tenants-COUNT, COUNT) leaves them (see
# tenants_cpu.sh). SCENARIO (default random_tenant.lua): the wrk script in
# bench/scenarios. The server's environment is this script's, so HBF_*
# variables set flags too. Prints one line:
#   <req/s> req/s p50 <ms> p99 <ms> rss <MiB> MiB, workers <n>
# Times on the shared 2-core VM drift by up to 1.5x from minute to minute:
# alternate A and B, three pairs at least.
set -euo pipefail
HBF=$1 WORK=$2 COUNT=$3
shift 3
HOSTS=$WORK/hosts-$COUNT.txt
TOOLS=$(cd "$(dirname "$0")" && pwd)
SCRIPT=$TOOLS/../scenarios/${SCENARIO:-random_tenant.lua}
OUT=$(mktemp -d)
PORT=$((20000 + RANDOM % 20000))
"$HBF" --port $PORT --storage_dir "$WORK/tenants-$COUNT" --log_level warn "$@" > "$OUT/hbf.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; rm -rf "$OUT"' EXIT
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$PORT/health" && break; sleep 0.1; done
python3 "$TOOLS/visit_henvs.py" "$PORT" "$HOSTS"
HOSTS=$HOSTS wrk -t2 -c64 -d"${WARMUP:-5}"s -s "$SCRIPT" "http://127.0.0.1:$PORT/" > /dev/null
HOSTS=$HOSTS wrk -t2 -c64 -d"${SECS:-5}"s --latency -s "$SCRIPT" "http://127.0.0.1:$PORT/" > "$OUT/wrk.txt"
RSS=$(ps -o rss= -p $PID)
WORKERS=$(curl -s "http://127.0.0.1:$PORT/health" | python3 -c "import json, sys; print(json.load(sys.stdin)['js_workers'])")
echo "$(awk '/Requests\/sec/{print $2}' "$OUT/wrk.txt") req/s p50 $(awk '$1=="50%"{print $2}' "$OUT/wrk.txt")" \
  "p99 $(awk '$1=="99%"{print $2}' "$OUT/wrk.txt") rss $((RSS / 1024)) MiB, workers $WORKERS"
