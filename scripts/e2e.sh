#!/usr/bin/env bash
# The e2e suite (test/e2e, one vitest test per lifecycle step) on the Go-built tools, which this builds or
# reuses. `scripts/e2e.sh keep|down` runs scripts/e2e/keep.ts instead, `bench [rounds]` scripts/bench-deploy.ts. Extra arguments go to vitest.
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(bash scripts/build-tools.sh)"
# scripts/bin: the engine's fallback runner for Node.js policy packs (no language host here).
export PATH="$E2E_TOOLS_BIN:$PWD/scripts/bin:$PATH" KWOK_STAGES="$E2E_TOOLS_BIN/kwok-stages.yaml"
case "${1:-}" in
  keep) exec npx tsx scripts/e2e/keep.ts ;;
  down) exec npx tsx scripts/e2e/keep.ts --down ;;
  bench) shift; exec npx tsx scripts/bench-deploy.ts "$@" ;;
esac
# One file at a time: each starts its own control plane, and the steps of a file run in order.
exec npx vitest run test/e2e --no-file-parallelism --testTimeout=600000 --hookTimeout=180000 "$@"
