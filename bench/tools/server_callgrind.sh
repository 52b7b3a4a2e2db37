#!/bin/bash
# Instructions a request of the real server (HTTP layer, hand-off, henv
# lookups and JavaScript together), from callgrind, for comparison with
# dispatch_bench's in-process figure of the same route:
#
#   bench/tools/server_callgrind.sh WORK PATH [LUA] [OUT]
#
# WORK: the bench app provisioned by bench/tools/app_cpu.sh (WORK/app). The
# release hbf is stripped (-s at link): it is relinked without it into
# build/release/src/hbf_symbols, so callgrind names its functions. The
# server runs under callgrind without instrumentation for 8 s of
# `wrk -t1 -c4` (its workers made and warm), then is instrumented for 20 s
# more; prints the requests and instructions a request, and leaves the
# profile in OUT (default WORK/server.callgrind) for callgrind_annotate.
# Under callgrind the server is ~50x slower: a worker idle past 1 ms is
# prefetched and one idle past 2 s hibernated, which a server at speed
# under the same load does not pay (PrefetchHotLines, LZ4 in the profile).
set -euo pipefail
WORK=$1 URLPATH=$2 LUA=${3:-} OUT=${4:-$1/server.callgrind}
BENCH=$(cd "$(dirname "$0")/.." && pwd)
ROOT=$(cd "$BENCH/.." && pwd)
[ -s "$WORK/app/host" ] || { echo "server_callgrind.sh: no $WORK/app/host (run bench/tools/app_cpu.sh once)" >&2; exit 2; }
(
  cd "$ROOT/build/release"
  link=$(ninja -t commands src/hbf | tail -1)
  link=${link// -s / }
  link=${link//-o src\/hbf /-o src\/hbf_symbols }
  eval "$link" > /dev/null 2>&1
)
PORT=$((20000 + RANDOM % 20000))
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$OUT" "$ROOT/build/release/src/hbf_symbols" \
  --port $PORT --storage_dir "$WORK/app/henvs" --log_level warn > "$WORK/server_callgrind.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
for _ in $(seq 300); do curl -s -o /dev/null "http://127.0.0.1:$PORT/health" && break; sleep 0.2; done
HOSTH=(-H "Host: $(cat "$WORK/app/host")")
SCRIPT=()
[ -n "$LUA" ] && SCRIPT=(-s "$BENCH/scenarios/$LUA")
wrk -t1 -c4 -d8s "${HOSTH[@]}" "${SCRIPT[@]}" "http://127.0.0.1:$PORT$URLPATH" > /dev/null
callgrind_control -i on $PID > /dev/null 2>&1
N=$(wrk -t1 -c4 -d20s "${HOSTH[@]}" "${SCRIPT[@]}" "http://127.0.0.1:$PORT$URLPATH" | awk '/requests in/{print $1}')
callgrind_control -i off $PID > /dev/null 2>&1
kill -INT $PID
wait $PID 2>/dev/null || true
trap - EXIT
IR=$(callgrind_annotate "$OUT" 2>/dev/null | awk '/PROGRAM TOTALS/{gsub(",", "", $1); print $1}')
python3 -c "print(f'$URLPATH: {$N} requests, {$IR / $N:,.0f} instructions a request (profile: $OUT)')"
