#!/usr/bin/env bash
# Bytecode operations per JavaScript function, for finding what a request's
# JavaScript spends its time on (callgrind sees only the interpreter loop):
#   bench/tools/opcount.sh [ROUTER_JS PATH]      (default: the bench app, /hello)
# Builds bench/dispatch against a copy of QuickJS with quickjs-opcount.patch
# (every executed opcode counted for its function; the built-ins compiled with
# their names and lines) in build/opcount, runs 10,000 requests
# (OPCOUNT_REQUESTS=N for another number), and prints the functions by
# operations (name, module:line; calls). Set-up work (two workers' builds:
# dispatch_bench measures the second; the bench app's seeding) is counted too:
# compare with OPCOUNT_REQUESTS=1.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
router=${1:-$root/bench/scenarios/router.js}
path=${2:-/hello}
copy=${OPCOUNT_DEPS:-/tmp/hbf-opcount-deps}
src="$root/.deps/src/quickjs-2025.04.26"
if [ ! -f "$copy/quickjs-2025.04.26/.opcount" ] || [ "$src/quickjs.c" -nt "$copy/quickjs-2025.04.26/.opcount" ]; then
  rm -rf "$copy" && mkdir -p "$copy"
  cp -r "$src" "$copy/"
  patch -d "$copy/quickjs-2025.04.26" -p1 -s < "$root/bench/tools/quickjs-opcount.patch"
  touch "$copy/quickjs-2025.04.26/.opcount"
fi
cmake -S "$root" -B "$root/build/opcount" -G Ninja -DCMAKE_BUILD_TYPE=Release -DHBF_DEPS_DIR="$copy" \
  -DCMAKE_C_FLAGS=-DHBF_OPCOUNT >/dev/null
ninja -C "$root/build/opcount" dispatch_bench >/dev/null
"$root/build/opcount/bench/dispatch/dispatch_bench" "$root" 0 ${OPCOUNT_REQUESTS:-10000} "$router" "$path" 2>&1 >/dev/null | head -60
