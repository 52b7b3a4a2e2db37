#!/usr/bin/env bash
# Installs the benchmark's peer runtimes into bench/.peers/ (git-ignored):
#   bench/.peers/bin/{bun,deno,workerd}   from their npm platform packages (linux x64 glibc)
#   bench/.peers/node_modules/ejs         the template engine every peer uses
# Idempotent: a binary already at the pinned version is left alone.
# npm's own registry config (mirror) is used; no host is named here.
set -euo pipefail

BUN_VERSION=1.4.5
DENO_VERSION=2.9.6
WORKERD_VERSION=1.20261117.1
EJS_VERSION=3.1.10

BUN_PKG=@oven/bun-linux-x64
DENO_PKG=@deno/linux-x64-glibc
WORKERD_PKG=@cloudflare/workerd-linux-64

here=$(cd "$(dirname "$0")" && pwd)
peers=$(cd "$here/.." && pwd)/.peers
bin="$peers/bin"
mkdir -p "$bin"

command -v npm >/dev/null || { echo "install.sh: npm is needed (apt-get install -y npm)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/hbf-peers-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# fetch_bin NAME PKG VERSION PATH-IN-TARBALL
fetch_bin() {
  local name=$1 pkg=$2 version=$3 inner=$4
  local dir="$tmp/$name"
  mkdir -p "$dir"
  echo "install.sh: fetching $pkg@$version"
  (cd "$dir" && npm pack --silent "$pkg@$version" >/dev/null 2>"$dir/npm.log") || {
    cat "$dir/npm.log" >&2; echo "install.sh: npm pack $pkg@$version failed" >&2; exit 1; }
  tar xzf "$dir"/*.tgz -C "$dir"
  install -m 755 "$dir/$inner" "$bin/$name.new"
  mv -f "$bin/$name.new" "$bin/$name"
}

have_version() {  # have_version NAME VERSION: true if bin/NAME reports VERSION
  [ -x "$bin/$1" ] && "$bin/$1" --version 2>/dev/null | grep -qF "$2"
}

have_version bun "$BUN_VERSION"         || fetch_bin bun "$BUN_PKG" "$BUN_VERSION" package/bin/bun
have_version deno "$DENO_VERSION"       || fetch_bin deno "$DENO_PKG" "$DENO_VERSION" package/deno
# workerd --version prints the date part of its npm version: 1.20261117.1 -> 2026-11-17.
workerd_date=$(echo "$WORKERD_VERSION" | sed -E 's/^[0-9]+\.([0-9]{4})([0-9]{2})([0-9]{2}).*/\1-\2-\3/')
have_version workerd "$workerd_date" || fetch_bin workerd "$WORKERD_PKG" "$WORKERD_VERSION" package/bin/workerd

ejs_have=$(node -e 'try{console.log(require(process.argv[1]).version)}catch(e){}' \
  "$peers/node_modules/ejs/package.json" 2>/dev/null || true)
if [ "$ejs_have" != "$EJS_VERSION" ]; then
  echo "install.sh: installing ejs@$EJS_VERSION"
  npm install --prefix "$peers" --no-audit --no-fund --silent "ejs@$EJS_VERSION" >/dev/null
fi

echo "bun      $("$bin/bun" --version)"
echo "deno     $("$bin/deno" --version | head -1)"
echo "workerd  $("$bin/workerd" --version)"
echo "ejs      $(node -e 'console.log(require(process.argv[1]).version)' "$peers/node_modules/ejs/package.json")"
