#!/bin/bash
# Instructions a henv's first visit costs the real server (HTTP layer,
# opening the henv, its worker's capture, and the housekeeper's share),
# from callgrind: a fresh server meets 100 henvs uninstrumented, then N
# more (default 200) instrumented, one request each, in turn:
#
#   bench/tools/first_visits_callgrind.sh WORK [N] [OUT] [HBF FLAGS...]
#
# WORK holds tenants-10000/ and hosts-10000.txt as bench.py's
# provision_tenants leaves them (see tenants_cpu.sh). Runs
# build/release/src/hbf_symbols (relink it without -s as
# server_callgrind.sh does). The profile goes to OUT (default
# WORK/first.callgrind); instructions a visit = the total / N
# (callgrind_annotate --inclusive=yes OUT.1, the dump).
set -euo pipefail
WORK=$1 N=${2:-200} OUT=${3:-$1/first.callgrind}
shift $(( $# < 3 ? $# : 3 ))
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$ROOT/build/release/src/hbf_symbols
rm -f "$OUT" "$OUT".*
[ -x "$BIN" ] || { echo "first_visits_callgrind.sh: no $BIN (relink hbf without -s)" >&2; exit 2; }
PORT=$((20000 + RANDOM % 20000))
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$OUT" "$BIN" --port $PORT \
  --storage_dir "$WORK/tenants-10000" --log_level warn "$@" > "$WORK/first_visits_callgrind.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
for _ in $(seq 300); do curl -s -o /dev/null "http://127.0.0.1:$PORT/health" && break; sleep 0.2; done
visit() { python3 "$ROOT/bench/tools/visit_henvs.py" "$PORT" "$WORK/hosts-10000.txt" "$@"; }
visit 0 100
sleep 3
callgrind_control -i on $PID > /dev/null 2>&1
visit 1000 $((1000 + N))
callgrind_control -i off $PID > /dev/null 2>&1
callgrind_control -d $PID > /dev/null 2>&1
sleep 1
DUMP=$(ls -t "$OUT".* | head -1)
echo "$N first visits: $(callgrind_annotate "$DUMP" 2>/dev/null | awk '/PROGRAM TOTALS/{gsub(",","",$1); printf "%.2fM instructions each", $1 / '"$N"' / 1e6}') ($DUMP)"
