#!/usr/bin/env bash
# The real-pods e2e (test/realpods): one real node on this machine (containerd, runc, kubelet, kube-proxy,
# CoreDNS, kube-network-policies) and the local stack deployed onto it by the real `pulumi up`. Needs root.
# `scripts/realpods.sh down` cleans up after a run that was killed. Extra arguments go to vitest.
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(bash scripts/build-tools.sh)"
export PATH="$E2E_TOOLS_BIN:$REALPODS_BIN:$PATH"
if [ "${1:-}" = down ]; then exec npx tsx -e 'require("./scripts/realpods/node").stopRealNode().then((l) => { console.log(l.length ? l.join("\n") : "nothing left"); process.exit(l.length ? 1 : 0); })'; fi
exec npx vitest run test/realpods --no-file-parallelism --testTimeout=600000 --hookTimeout=420000 "$@"
