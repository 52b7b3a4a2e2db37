#!/usr/bin/env bash
# Runs HBF's libFuzzer targets (fuzz/*_fuzz.cpp, built by `make fuzz`).
#
#   scripts/fuzz.sh BUILD_DIR SECONDS [TARGET...]   (default: every target)
#
# Each target runs for SECONDS on a scratch corpus under BUILD_DIR/corpus/,
# seeded from the committed fuzz/corpus/TARGET/ (the repository is never
# written), with fuzz/dict/TARGET.dict when present. A crash, leak, UB report
# or timeout leaves its reproducer in BUILD_DIR/artifacts/TARGET/ and makes
# the script exit 1 after the other targets have run. The last lines of each
# log (execs/s, coverage) are printed; whole logs are in BUILD_DIR/logs/.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:?build dir}
seconds=${2:?seconds}
shift 2
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in "$root"/fuzz/*_fuzz.cpp; do targets+=("$(basename "$f" .cpp)"); done
fi

failed=()
for t in "${targets[@]}"; do
  bin="$build/fuzz/$t"
  [ -x "$bin" ] || { echo "fuzz: $bin is missing (make fuzz builds it)"; failed+=("$t"); continue; }
  corpus="$build/corpus/$t"
  artifacts="$build/artifacts/$t"
  mkdir -p "$corpus" "$artifacts" "$build/logs"
  cp -n "$root/fuzz/corpus/$t"/* "$corpus"/ 2>/dev/null || true
  args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=8192
        -print_final_stats=1 -artifact_prefix="$artifacts/")
  [ -f "$root/fuzz/dict/$t.dict" ] && args+=(-dict="$root/fuzz/dict/$t.dict")
  case "$t" in
    router_pattern_fuzz|ejs_fuzz)
      # The engine keeps workers, caches and QuickJS garbage across inputs,
      # so libFuzzer's per-input leak heuristic fires on every input and
      # rescans the heap (17 exec/s instead of ~140). Leaks are still caught:
      # the harness is destroyed at exit and LeakSanitizer checks then.
      args+=(-detect_leaks=0) ;;
  esac
  log="$build/logs/$t.log"
  echo "fuzz: $t for ${seconds}s"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$bin" "${args[@]}" "$corpus" >"$log" 2>&1
  rc=$?
  # The last status line (#N DONE/pulse cov: ft: corp: exec/s:) and the stats.
  grep -E '^#[0-9]+' "$log" | tail -n 1
  grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$log" | tr '\n' ' '
  echo
  grep -E '^js_harness: [0-9]+ inputs' "$log" || true
  if [ $rc -ne 0 ]; then
    echo "fuzz: $t FAILED (exit $rc); log: $log"
    grep -E 'ERROR: |runtime error|invariant broken|js_harness|SUMMARY' "$log" | head -n 5
    failed+=("$t")
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: failures in ${failed[*]} (reproducers under $build/artifacts/)"
  exit 1
fi
echo "fuzz: all ${#targets[@]} targets ran ${seconds}s without a finding"
