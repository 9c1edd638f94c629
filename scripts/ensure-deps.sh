#!/usr/bin/env bash
# What `npm start` and `npm test` need beyond Node.js, installed if missing (as root, from Debian; otherwise
# named, and exit 1): npm packages (npm ci), memcached (the real-memcached tests, and the sandbox's stand-in
# image), busybox (the sample app's shell and nc; static, so the stand-in images can carry it), iproute2, curl
# (the stack's metrics commands), and for the sandbox's node containerd, runc, the CNI plugins, iptables,
# conntrack and nftables. Go-built tools are scripts/build-tools.sh's job.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x node_modules/.bin/vitest ] || npm ci --no-audit --no-fund
missing=()
command -v memcached >/dev/null || missing+=(memcached)
dpkg -s busybox-static >/dev/null 2>&1 || missing+=(busybox-static)
command -v ss >/dev/null || missing+=(iproute2)
command -v curl >/dev/null || missing+=(curl)
command -v containerd >/dev/null || missing+=(containerd)
command -v runc >/dev/null || missing+=(runc)
[ -x /usr/lib/cni/bridge ] && [ -x /usr/lib/cni/portmap ] || missing+=(containernetworking-plugins)
command -v iptables >/dev/null || missing+=(iptables)
command -v conntrack >/dev/null || missing+=(conntrack)
command -v nft >/dev/null || missing+=(nftables)
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
