#!/usr/bin/env bash
# start.sh <bun|deno|workerd> <port> <db> [instances]
#
# Runs one peer server in the foreground on 127.0.0.1:<port>, its SQLite data
# at <db> (created if missing; workerd keeps its Durable Object storage in
# <db>.workerd/ instead). The template is $TEMPLATE, default bench/scenarios/page.ejs.
# Stop it with SIGTERM to this script's pid (bun with instances > 1 forwards it).
#
# instances (default 1): how many cores' worth, each runtime's own way:
#   bun      N processes, each Bun.serve({reusePort: true}) on the same port
#   deno     deno serve --parallel with DENO_JOBS=N (N isolates, one per thread)
#   workerd  ignored: one process; see README.md
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
peers=$(cd "$here/.." && pwd)/.peers
[ $# -ge 3 ] || { echo "usage: $0 <bun|deno|workerd> <port> <db> [instances]" >&2; exit 2; }
runtime=$1 port=$2 db=$3 instances=${4:-1}
for need in "bin/$runtime" node_modules/ejs/lib/ejs.js; do
  [ -e "$peers/$need" ] || { echo "start.sh: $peers/$need missing; run bench/peers/install.sh" >&2; exit 1; }
done
mkdir -p "$(dirname "$db")"
db=$(cd "$(dirname "$db")" && pwd)/$(basename "$db")
export PORT=$port DB=$db INSTANCES=$instances
export TEMPLATE=${TEMPLATE:-$(cd "$here/../scenarios" && pwd)/page.ejs}

case $runtime in
bun)
  if [ "$instances" -le 1 ]; then exec "$peers/bin/bun" "$here/bun.js"; fi
  # Bun's docs: start one process per core, each with reusePort, and let the
  # kernel spread connections. This script stays as their parent: TERM/INT to
  # it stops them all, and if one exits the others are stopped too.
  pids=()
  stop() { kill -TERM "${pids[@]}" 2>/dev/null || true; wait || true; }
  trap 'stop; exit 143' TERM INT
  trap 'stop' EXIT
  for _ in $(seq "$instances"); do "$peers/bin/bun" "$here/bun.js" & pids+=($!); done
  status=0; wait -n || status=$?
  exit "$status"
  ;;
deno)
  flags=(--host 127.0.0.1 --port "$port" --allow-env=DB,TEMPLATE
         --allow-read --allow-write="$(dirname "$db")" --no-prompt --no-config)
  if [ "$instances" -gt 1 ]; then
    export DENO_JOBS=$instances
    flags+=(--parallel)
  fi
  export DENO_NO_UPDATE_CHECK=1
  exec "$peers/bin/deno" serve "${flags[@]}" "$here/deno.js"
  ;;
workerd)
  # workerd reads its code and template from the config (embeds), so lay out a
  # run directory beside the DB with the config, the worker, ejs and the template.
  # instances is ignored: workerd is one single-threaded process, and its docs'
  # way to use more cores (more workerd processes behind a load balancer)
  # cannot share one Durable Object's storage without cluster mode (which
  # needs an S3/GCS bucket). See README.md.
  [ "$instances" -le 1 ] || echo "start.sh: workerd runs as one process; instances=$instances ignored" >&2
  run=$db.workerd
  mkdir -p "$run/do"
  cp "$here/workerd/config.capnp" "$here/workerd/worker.js" "$run/"
  cp "$TEMPLATE" "$run/page.ejs"
  cp "$peers/node_modules/ejs/lib/ejs.js" "$run/ejs.js"
  cp "$peers/node_modules/ejs/lib/utils.js" "$run/utils.js"
  cp "$peers/node_modules/ejs/package.json" "$run/package.json"
  exec "$peers/bin/workerd" serve "$run/config.capnp" \
    --socket-addr "http=127.0.0.1:$port" --directory-path "do-storage=$run/do"
  ;;
*) echo "start.sh: unknown runtime '$runtime' (bun|deno|workerd)" >&2; exit 2 ;;
esac
