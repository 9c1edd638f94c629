#!/usr/bin/env bash
# Runs a command with the Go-built tools (scripts/build-tools.sh builds or reuses them) on PATH and their
# directories exported: the e2e, the sandbox's tests, the benches. Usage: bash scripts/with-tools.sh CMD ARGS...
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(bash scripts/build-tools.sh)"
# scripts/bin: the engine's fallback runner for Node.js policy packs (no language host here can run them).
export PATH="$E2E_TOOLS_BIN:$SANDBOX_BIN:$PWD/scripts/bin:$PATH" KWOK_STAGES="$E2E_TOOLS_BIN/kwok-stages.yaml"
exec npx "$@"
