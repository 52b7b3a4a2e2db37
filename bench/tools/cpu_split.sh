#!/bin/bash
# User and system CPU a request of hbf or of Bun, the same scenario, the
# server pinned to one core and wrk to another: a same-run comparison that
# the VM's drift moves less than req/s (both servers get one core).
#
#   bench/tools/cpu_split.sh hbf|bun WORK PATH [LUA]
#
# hbf: the bench app's henv in WORK/app (provision it with
# bench/tools/app_cpu.sh first); HBF (default build/release/src/hbf) and
# HBF_ARGS. bun: bench/peers/start.sh with one instance, its database under
# WORK/bun.db (made afresh each run). Server on $CORE (default 0), wrk -t1
# -c32 on $WCORE (default 1): 2 s unmeasured, then 5 s measured; the
# server's utime and stime from /proc before and after. Prints req/s and
# user, system and total microseconds a request. PATH and LUA as bench.py's
# app scenarios (/hello; /posts/1 random_post.lua; /page/1 random_page.lua;
# /posts write_post.lua).
set -euo pipefail
WHO=$1 WORK=$2 URLPATH=$3 LUA=${4:-}
BENCH=$(cd "$(dirname "$0")/.." && pwd)
ROOT=$(cd "$BENCH/.." && pwd)
PORT=$((20000 + RANDOM % 20000))
HOSTH=()
case $WHO in
bun)
  rm -f "$WORK"/bun.db*
  taskset -c "${CORE:-0}" bash "$BENCH/peers/start.sh" bun $PORT "$WORK/bun.db" 1 > "$WORK/bun.log" 2>&1 &
  ;;
hbf)
  [ -s "$WORK/app/host" ] || { echo "cpu_split.sh: no $WORK/app/host (run bench/tools/app_cpu.sh once)" >&2; exit 2; }
  # shellcheck disable=SC2086
  taskset -c "${CORE:-0}" "${HBF:-$ROOT/build/release/src/hbf}" --port $PORT --storage_dir "$WORK/app/henvs" \
    --log_level warn ${HBF_ARGS:-} > "$WORK/hbf.log" 2>&1 &
  HOSTH=(-H "Host: $(cat "$WORK/app/host")")
  ;;
*) echo "usage: $0 hbf|bun WORK PATH [LUA]" >&2; exit 2 ;;
esac
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$PORT/hello" && break; sleep 0.1; done
SCRIPT=()
[ -n "$LUA" ] && SCRIPT=(-s "$BENCH/scenarios/$LUA")
taskset -c "${WCORE:-1}" wrk -t1 -c32 -d2s "${HOSTH[@]}" "${SCRIPT[@]}" "http://127.0.0.1:$PORT$URLPATH" > /dev/null
read -r u0 s0 < <(awk '{print $14, $15}' /proc/$PID/stat)
N=$(taskset -c "${WCORE:-1}" wrk -t1 -c32 -d5s "${HOSTH[@]}" "${SCRIPT[@]}" "http://127.0.0.1:$PORT$URLPATH" \
  | awk '/requests in/{print $1}')
read -r u1 s1 < <(awk '{print $14, $15}' /proc/$PID/stat)
python3 -c "
n, hz = $N, $(getconf CLK_TCK)
u, s = ($u1 - $u0) / hz * 1e6 / n, ($s1 - $s0) / hz * 1e6 / n
print(f'$WHO $URLPATH: {n / 5:,.0f} req/s; a request: user {u:.1f} us, system {s:.1f} us, total {u + s:.1f} us')"
