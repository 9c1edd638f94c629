#!/usr/bin/env bash
# What `npm test` needs beyond Node.js, installed if missing: npm packages (npm ci) and Debian's memcached
# (the real-memcached tests), busybox (the sample app's shell and nc) and iproute2 (ss). Go-built tools are
# scripts/build-tools.sh's job.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x node_modules/.bin/vitest ] || npm ci --no-audit --no-fund
missing=()
command -v memcached >/dev/null || missing+=(memcached)
[ -x /bin/busybox ] || missing+=(busybox)
command -v ss >/dev/null || missing+=(iproute2)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "[deps] installing ${missing[*]} from Debian"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "[deps] missing: ${missing[*]} (Debian packages); install them, e.g. sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
