#!/usr/bin/env bash
# Installs what HBF needs to build and test on Debian 12, and fetches the one
# dependency Debian 12 does not ship at all (QuickJS) from Debian's trixie
# source package into .deps/ (git-ignored). llhttp's C sources come from
# bookworm's node-llhttp package (/usr/share/llhttp).
#
# Idempotent: once everything is present it does no network work at all.
# The mirror is read from this machine's own apt configuration; no registry
# host name is written here.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
deps="$root/.deps"

# ---------------------------------------------------------------- packages
packages=(build-essential cmake ninja-build pkg-config xz-utils patch file
          libsqlite3-dev libsodium-dev nettle-dev zlib1g-dev libbrotli-dev liblz4-dev libjemalloc-dev libicu-dev icu-devtools libgtest-dev ca-certificates node-llhttp
          rapidjson-dev  # header-only: bench/json compares it (not linked into hbf: see bench/README.md)
          clang  # clang: the libFuzzer targets (make fuzz)
          # the deploy kit's checks (tests/deploy): nginx -t and the three-node
          # cluster test, systemd-analyze verify, the YAML parser, openssl for
          # nginx -t's throwaway certificate, curl for the curl -L signup and examples/*/install.sh
          # (caddy: unpacked below, not installed)
          nginx systemd python3-yaml openssl curl)
missing=()
# `--browser`: also what the browser tests drive (make test passes it).
[ "${1:-}" = "--browser" ] && packages+=(chromium)
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$p")
done
# Node.js and npm fetch the admin UI's npm assets; any install will do (a
# machine with Node from elsewhere already has its own npm).
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}"
fi

# ------------------------------------------------------------ npm assets
# The admin UI's editor (monaco-editor, pinned by src/app/admin_ui's
# package-lock.json) is built into the binary; fetched once, git-ignored.
ui="$root/src/app/admin_ui"
want_monaco=$(awk -F'"' '/"node_modules\/monaco-editor"/ {f=1} f && /"version"/ {print $4; exit}' "$ui/package-lock.json")
have_monaco=$(awk -F'"' '/"version"/ {print $4; exit}' "$ui/node_modules/monaco-editor/package.json" 2>/dev/null || true)
if [ "$want_monaco" != "$have_monaco" ]; then
  echo "setup: fetching monaco-editor $want_monaco (npm)"
  (cd "$ui" && npm ci --silent --no-audit --no-fund)
fi

# ------------------------------------------------------------------ caddy
# `caddy validate` checks deploy/Caddyfile (tests/deploy). Debian's caddy
# package is unpacked into .deps/caddy rather than installed: installing it
# would start a web server on ports 80 and 443 of this machine.
if [ ! -x "$deps/caddy/usr/bin/caddy" ]; then
  echo "setup: unpacking Debian's caddy into .deps/caddy"
  mkdir -p "$deps/caddy-download"
  if ! (cd "$deps/caddy-download" && apt-get download caddy >/dev/null); then
    sudo_cmd=""
    [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    (cd "$deps/caddy-download" && apt-get download caddy >/dev/null)
  fi
  dpkg-deb -x "$deps"/caddy-download/caddy_*.deb "$deps/caddy"
  rm -rf "$deps/caddy-download"
fi

# ------------------------------------------------------ source dependencies
# name|version dir|orig tarball|sha256 of the orig tarball (verified below)
sources=(
  "quickjs|quickjs-2025.04.26|quickjs_2025.04.26.orig.tar.xz|ec81da5b3249ed648dbc7df4a1654988910e66a118d9b71cb63534216efcfbbe"
)

# HBF's own patches (scripts/patches/<name>/*.patch, applied after Debian's):
# a source tree is ready when its marker names the current patch set.
patch_set() {
  local dir="$root/scripts/patches/$1"
  if compgen -G "$dir/*.patch" >/dev/null; then cat "$dir"/*.patch | sha256sum | cut -d' ' -f1; else echo none; fi
}
is_ready() {  # name dir
  [ -f "$deps/src/$2/.hbf-ready" ] && [ "$(cat "$deps/src/$2/.hbf-ready")" = "$(patch_set "$1")" ]
}

need_fetch=0
for s in "${sources[@]}"; do
  IFS='|' read -r name dir _ _ <<<"$s"
  is_ready "$name" "$dir" || need_fetch=1
done
[ "$need_fetch" -eq 0 ] && exit 0

mirror_uri() {
  # deb822 sources first, then one-line sources.list entries.
  local f uri
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    uri=$(awk 'tolower($1)=="uris:" {print $2; exit}' "$f")
    case "$uri" in */debian|*/debian/) echo "${uri%/}"; return ;; esac
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    uri=$(awk '$1=="deb" {for (i=2;i<=NF;i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' "$f")
    case "$uri" in */debian|*/debian/) echo "${uri%/}"; return ;; esac
  done
  return 1
}

mirror=$(mirror_uri) || { echo "setup: no Debian mirror found in /etc/apt" >&2; exit 1; }
apt_dir="$deps/apt"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/etc/preferences.d" "$deps/downloads"
# trixie ships quickjs (bookworm does not); bookworm's keyring verifies trixie.
echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror trixie main" \
  >"$apt_dir/etc/sources.list"
apt_opts=(-o "Dir::Etc::sourcelist=$apt_dir/etc/sources.list" -o "Dir::Etc::sourceparts=-"
          -o "Dir::State::lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache"
          -o "Dir::Etc::preferencesparts=$apt_dir/etc/preferences.d"
          -o "APT::Sandbox::User=root" -qq)

echo "setup: fetching the QuickJS source package"
apt-get "${apt_opts[@]}" update
for s in "${sources[@]}"; do
  IFS='|' read -r name dir tarball sha <<<"$s"
  dest="$deps/src/$dir"
  is_ready "$name" "$dir" && continue
  work="$deps/downloads/$name"
  rm -rf "$work" && mkdir -p "$work"
  # apt checks every file against the signed index; a missing .dsc on the
  # mirror is tolerated because only the tarballs are used.
  (cd "$work" && apt-get "${apt_opts[@]}" source --download-only "$name" >/dev/null 2>&1) || true
  [ -f "$work/$tarball" ] || { echo "setup: could not download $tarball" >&2; exit 1; }
  got=$(sha256sum "$work/$tarball" | cut -d' ' -f1)
  if [ "$got" != "$sha" ]; then
    echo "setup: SHA-256 mismatch for $tarball: expected $sha, got $got" >&2
    exit 1
  fi
  rm -rf "$dest" && mkdir -p "$deps/src"
  tar -xf "$work/$tarball" -C "$deps/src"
  # Debian's patches (security fixes among them) are applied in series order.
  debian_tar=$(ls "$work"/*.debian.tar.* 2>/dev/null | head -n1 || true)
  if [ -n "$debian_tar" ]; then
    tar -xf "$debian_tar" -C "$work"
    if [ -f "$work/debian/patches/series" ]; then
      while read -r patch_name _; do
        case "$patch_name" in ''|'#'*) continue ;; esac
        patch -d "$dest" -p1 -s --forward <"$work/debian/patches/$patch_name" \
          || { echo "setup: patch $patch_name did not apply to $name" >&2; exit 1; }
      done <"$work/debian/patches/series"
    fi
  fi
  for hbf_patch in "$root/scripts/patches/$name"/*.patch; do
    [ -f "$hbf_patch" ] || continue
    patch -d "$dest" -p1 -s --forward <"$hbf_patch" \
      || { echo "setup: HBF patch $(basename "$hbf_patch") did not apply to $name" >&2; exit 1; }
  done
  patch_set "$name" >"$dest/.hbf-ready"
  echo "setup: $name ready in $dest"
done
