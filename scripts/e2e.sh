#!/usr/bin/env bash
# npm run e2e [-- --keep | --down]: builds (or reuses) the Go-built tools, then runs scripts/e2e/main.ts.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="$(bash scripts/build-tools.sh | tail -n 1)"
# scripts/bin: the engine's fallback runner for Node.js policy packs (no language host here).
export PATH="$bin:$PWD/scripts/bin:$PATH" E2E_TOOLS_BIN="$bin" KWOK_STAGES="$bin/kwok-stages.yaml"
exec npx tsx scripts/e2e/main.ts "$@"
