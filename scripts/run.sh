#!/usr/bin/env bash
# `make run`: start hbf, make sure a demo henv exists, print where to go and
# how to log in, then stay in the foreground until Ctrl-C (which hbf drains).
#
# The demo owner's password is generated on first start and kept, mode 0600,
# in {storage_dir}/.demo-login so later runs can print it again.
set -euo pipefail
binary=$1
shift
port=5309
storage=./henvs
bind=127.0.0.1
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[$i]}" in
    --port) port=${args[$((i + 1))]} ;;
    --storage_dir) storage=${args[$((i + 1))]} ;;
    --bind) bind=${args[$((i + 1))]} ;;
  esac
done
case "$bind" in 0.0.0.0 | :: | "") probe_host=127.0.0.1 ;; *) probe_host=$bind ;; esac

"$binary" "$@" &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null; wait "$pid"; exit $?' INT TERM

# One HTTP/1.1 request over bash's /dev/tcp (no curl needed). Prints the response.
http() {
  local method=$1 path=$2 body=${3:-}
  exec 3<>"/dev/tcp/$probe_host/$port" || return 1
  printf '%s %s HTTP/1.1\r\nHost: localhost:%s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \
    "$method" "$path" "$port" "${#body}" "$body" >&3
  cat <&3
  exec 3<&-
}

for _ in $(seq 1 100); do
  if ! kill -0 "$pid" 2>/dev/null; then wait "$pid"; exit $?; fi
  http GET /health 2>/dev/null | head -n1 | grep -q " 200 " && break
  sleep 0.1
done

demo_user=demo
demo_hash=$("$binary" hash "$demo_user")
login_file="$storage/.demo-login"
if [ ! -f "$storage/$demo_hash/index.db" ]; then
  password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=' | head -c 16)
  reply=$(http POST /new "{\"username\":\"$demo_user\",\"password\":\"$password\",\"email\":\"demo@example.com\"}")
  if echo "$reply" | head -n1 | grep -q " 201 "; then
    (umask 077 && printf '%s %s\n' "$demo_user" "$password" >"$login_file")
  else
    echo "make run: could not create the demo henv:" >&2
    echo "$reply" | tail -n1 >&2
  fi
fi

echo
echo "  HBF is running on http://localhost:$port  (health: /health, new apps: /new)"
if [ -f "$login_file" ]; then
  read -r user password <"$login_file"
  echo "  Demo app:   http://$demo_hash.localhost:$port/"
  echo "  Owner login: $user / $password"
  echo "  Admin:      http://$demo_hash.localhost:$port/_admin  (log in there with the owner login)"
  echo "  Try:  curl -X POST http://$demo_hash.localhost:$port/login -d '{\"username\":\"$user\",\"password\":\"$password\"}'"
fi
echo "  Ctrl-C stops it."
echo
wait "$pid"
