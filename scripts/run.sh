#!/usr/bin/env bash
# `make run`: start hbf in the foreground and say where to point a browser.
set -euo pipefail
binary=$1
shift
port=5309
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  [ "${args[$i]}" = "--port" ] && port=${args[$((i + 1))]}
done
echo "hbf: health at http://localhost:$port/health  (Ctrl-C stops it)"
exec "$binary" "$@"
