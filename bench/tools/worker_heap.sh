#!/usr/bin/env bash
# A bound worker's JavaScript heap by what made it, for finding what a
# worker's memory is spent on (issue: density):
#   bench/tools/worker_heap.sh [ROUTER_JS PATH]   (default: the bench app, /hello)
# Builds bench/dispatch with HBF_HEAP_TRACK in build/heaptrack (every block a
# runtime allocates recorded with its call stack; src/js/allocator.cpp), runs
# one request (the bench app also runs its seeding), and prints the live
# blocks grouped by the QuickJS entry point that made them, then by call
# site. Only the henv's worker exists (no spare workers), so the live heap is
# its own. Compare with DISPATCH_BENCH_SHOW's total, which also counts
# malloc's per-block overhead and the worker's block cache.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
router=${1:-$root/bench/scenarios/router.js}
path=${2:-/hello}
cmake -S "$root" -B "$root/build/heaptrack" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CXX_FLAGS=-DHBF_HEAP_TRACK >/dev/null
ninja -C "$root/build/heaptrack" dispatch_bench >/dev/null
bin="$root/build/heaptrack/bench/dispatch/dispatch_bench"
dump=$(mktemp)
trap 'rm -f "$dump"' EXIT
DISPATCH_BENCH_HEAP="$dump" "$bin" "$root" 0 1 "$router" "$path" >/dev/null
python3 "$root/bench/tools/worker_heap.py" "$bin" "$dump"
