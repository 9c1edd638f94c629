#!/usr/bin/env bash
# Builds, from Go modules only, the real tools the sandbox (`npm start`), the e2e harness and the linters run:
# the Pulumi CLI, the Kubernetes provider (same version as npm @pulumi/kubernetes), kube-apiserver,
# kube-controller-manager, kube-scheduler, kubectl, etcd and kwok; for the real-pods e2e a kubelet,
# kube-proxy, CoreDNS, kube-network-policies and this repository's small Go programs; the Prometheus
# memcached exporter and promtool. Binaries are cached outside the clone, in directories keyed by their versions,
# so a second run builds nothing. Prints where they are as `export NAME=path` lines on stdout:
#   eval "$(bash scripts/build-tools.sh)"        (everything; `--sandbox`: only what `npm start` runs)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# The versions, and why each is that one: scripts/tool-versions.json (their one declaration).
eval "$(node -e 'for (const [k, v] of Object.entries(require(process.argv[1]).tools)) console.log(`${k}=${v.version}`)' "$here/tool-versions.json")"
STAGING_VERSION="v0.${KUBERNETES_VERSION#1.}"   # k8s.io/{api,client-go,...} of that Kubernetes release
IFS=. read -r _ prom_minor prom_patch <<<"$PROMETHEUS_VERSION"
PROMETHEUS_MODULE_VERSION="0.$((300 + prom_minor)).$prom_patch"

key="pulumi-${PULUMI_VERSION}_nodejs-host-${LANGUAGE_HOST_SDK_VERSION}_k8sprov-${K8S_PROVIDER_VERSION}_kube-${KUBERNETES_VERSION}_etcd-${ETCD_VERSION}_kwok-${KWOK_VERSION}_kube-score-${KUBE_SCORE_VERSION}"
bin="${MEMCACHED_GKE_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/memcached-gke/tools}/$key/bin"
sandbox_src="$here/../sandbox"
knp_patch="$sandbox_src/kube-network-policies-xt-nfqueue.patch"
# Keyed by the versions and by what of this repository goes into them: the patch and CoreDNS's main.go.
inputs_sum="$(cat "$knp_patch" "$sandbox_src/go/coredns/main.go" | sha256sum | cut -c1-8)"
rbin="$(dirname "$bin")/../sandbox_kube-${KUBERNETES_VERSION}_coredns-${COREDNS_VERSION}_knp-${KNP_VERSION}-${inputs_sum}/bin"
# The project's own small Go programs (pause, the mcrouter stand-in): keyed by their source.
src_sum="$(cd "$sandbox_src/go" && cat pause/*.go mcrouter-standin/*.go | sha256sum | cut -c1-8)"
obin="$rbin/own-$src_sum"
xbin="$(dirname "$bin")/../memcached-exporter-${MEMCACHED_EXPORTER_VERSION}/bin"
pbin="$(dirname "$bin")/../promtool-${PROMETHEUS_VERSION}/bin"
cdir="$(dirname "$bin")/../crds_gmp-${GMP_VERSION}_prometheus-operator-${PROMETHEUS_OPERATOR_VERSION}"
mkdir -p "$bin" "$obin" "$xbin" "$pbin" "$cdir"
work="$(mktemp -d)"
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT

export GOFLAGS=-mod=mod CGO_ENABLED=0 GOTOOLCHAIN=local
# The checksum database reachable here does not list several of these modules (pseudo-versions,
# pulumi's own modules); the module proxy is the only source either way.
export GOSUMDB=off

step=""
log() { printf '[build-tools %s]%s %s\n' "$(date +%H:%M:%S)" "$step" "$*" >&2; }
have() { [ -x "$bin/$1" ]; }
# Runs a step; a step that builds says so every 10 s (Go builds are silent for minutes), and how long it took.
timed() {
  local t0=$SECONDS next=$((SECONDS + 10))
  "$@" &
  local pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 0.2
    if [ "$SECONDS" -ge "$next" ]; then log "still building: $((SECONDS - t0)) s"; next=$((SECONDS + 10)); fi
  done
  wait "$pid"
  [ $((SECONDS - t0)) -lt 2 ] || log "built in $((SECONDS - t0)) s"
}

new_module() { # dir, module name
  mkdir -p "$1" && (cd "$1" && printf 'module %s\n\ngo 1.26\n' "$2" > go.mod)
}

build_pulumi() {
  have pulumi && return
  log "pulumi CLI v$PULUMI_VERSION"
  local d="$work/pulumi"; new_module "$d" tools/pulumi
  cat >> "$d/go.mod" <<MOD
require (
	github.com/pulumi/pulumi/pkg/v3 v$PULUMI_VERSION
	github.com/pulumi/pulumi/sdk/v3 v$PULUMI_VERSION
)
// Copied from pkg/go.mod and sdk/go.mod: replaces do not apply to dependents.
replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e
replace golang.org/x/text => golang.org/x/text v0.3.8
MOD
  printf 'package tools\nimport _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"\n' > "$d/tools.go"
  (cd "$d" && go mod tidy >/dev/null 2>&1 || true
   go build -tags osusergo,grpcnotrace -trimpath \
     -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION" \
     -o "$bin/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
}

build_language_host() {
  # Kept in its own directory: on PATH for `pulumi up`/`preview`/`destroy` of a project, off PATH where
  # the engine must use its fallback runner for a policy pack. Pulumi.yaml sets no runtime option, so this
  # host runs the program as the official CLI's does: TypeScript through ts-node (its -typescript flag defaults
  # to true and sets PULUMI_NODEJS_TYPESCRIPT=true, sdk v3.68.0 nodejs/cmd/pulumi-language-nodejs/main.go L92,
  # L589-590; the official host's runtime option `typescript` defaults to true likewise), Node.js started in the
  # project directory, no extra Node.js arguments.
  local dir="$bin/nodejs-host" host="$bin/nodejs-host/pulumi-language-nodejs"
  [ -x "$host" ] && return
  log "pulumi-language-nodejs (sdk v$LANGUAGE_HOST_SDK_VERSION)"
  mkdir -p "$dir"
  local d="$work/langhost"; new_module "$d" tools/langhost
  printf 'require github.com/pulumi/pulumi/sdk/v3 v%s\nreplace golang.org/x/text => golang.org/x/text v0.3.6\n' "$LANGUAGE_HOST_SDK_VERSION" >> "$d/go.mod"
  printf 'package tools\nimport _ "github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs"\n' > "$d/tools.go"
  (cd "$d" && go mod tidy >/dev/null 2>&1 || true
   go build -trimpath -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$LANGUAGE_HOST_SDK_VERSION" \
     -o "$host" github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs)
}

build_k8s_provider() {
  have pulumi-resource-kubernetes && return
  log "pulumi-resource-kubernetes v$K8S_PROVIDER_VERSION ($K8S_PROVIDER_PSEUDO)"
  local mod=github.com/pulumi/pulumi-kubernetes/provider/v4
  go mod download -json "$mod@$K8S_PROVIDER_PSEUDO" >/dev/null
  local src; src="$(go env GOMODCACHE)/$mod@$K8S_PROVIDER_PSEUDO"
  local d="$work/k8sprov"; new_module "$d" tools/k8sprov
  # main.go embeds generated files that are not in the module zip: regenerate them beside a copy of the cmd.
  cp -r "$src/cmd/pulumi-resource-kubernetes" "$d/cmd"; chmod -R u+w "$d/cmd"
  sed -n '/^require (/,/^)/p' "$src/go.mod" >> "$d/go.mod"
  sed -i "s#github.com/pulumi/pulumi-kubernetes/sdk/v4 .*#github.com/pulumi/pulumi-kubernetes/sdk/v4 v$K8S_PROVIDER_VERSION#" "$d/go.mod"
  printf 'require %s %s\n' "$mod" "$K8S_PROVIDER_PSEUDO" >> "$d/go.mod"
  sed -n '/^replace/p' "$src/go.mod" | grep -v '=> \.\./' >> "$d/go.mod" || true
  (cd "$d" && go mod tidy >/dev/null 2>&1 || true
   cd cmd && VERSION="$K8S_PROVIDER_VERSION" go run generate.go
   go build -trimpath -ldflags "-s -w -X $mod/pkg/version.Version=$K8S_PROVIDER_VERSION" -o "$bin/pulumi-resource-kubernetes" .)
}

# Builds commands of k8s.io/kubernetes v$KUBERNETES_VERSION into a bin directory: out, then paths under k8s.io/.
kube_build() {
  local out="$1"; shift
  local d="$work/kube"
  if [ ! -f "$d/go.mod" ]; then
    new_module "$d" tools/kube
    local staging="api apiextensions-apiserver apimachinery apiserver cli-runtime client-go cloud-provider
      cluster-bootstrap code-generator component-base component-helpers controller-manager cri-api cri-client
      csi-translation-lib dynamic-resource-allocation endpointslice externaljwt kms kube-aggregator
      kube-controller-manager kube-proxy kube-scheduler kubectl kubelet metrics mount-utils
      pod-security-admission sample-apiserver sample-cli-plugin sample-controller"
    { printf 'require k8s.io/kubernetes v%s\n' "$KUBERNETES_VERSION"
      for s in $staging; do printf 'replace k8s.io/%s => k8s.io/%s %s\n' "$s" "$s" "$STAGING_VERSION"; done
    } >> "$d/go.mod"
    printf 'package tools\nimport (\n_ "k8s.io/kubernetes/cmd/kube-apiserver"\n_ "k8s.io/kubernetes/cmd/kube-controller-manager"\n_ "k8s.io/kubernetes/cmd/kube-scheduler"\n_ "k8s.io/kubernetes/cmd/kubelet"\n_ "k8s.io/kubernetes/cmd/kube-proxy"\n_ "k8s.io/kubectl/pkg/cmd"\n)\n' > "$d/tools.go"
    (cd "$d" && go mod tidy >/dev/null 2>&1 || true)
  fi
  local v="v$KUBERNETES_VERSION" major="${KUBERNETES_VERSION%%.*}" minor_only; minor_only="$(echo "$KUBERNETES_VERSION" | cut -d. -f2)"
  local ld="-s -w"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld="$ld -X $p.gitVersion=$v -X $p.gitMajor=$major -X $p.gitMinor=$minor_only -X $p.gitTreeState=clean"
  done
  local c
  for c in "$@"; do
    [ -x "$out/$c" ] || (cd "$d" && go build -trimpath -ldflags "$ld" -o "$out/$c" "k8s.io/kubernetes/cmd/$c")
  done
}

build_kubernetes() {
  have kube-apiserver && have kube-controller-manager && have kube-scheduler && have kubectl && return
  log "kube-apiserver, kube-controller-manager, kube-scheduler, kubectl v$KUBERNETES_VERSION"
  kube_build "$bin" kube-apiserver kube-controller-manager kube-scheduler kubectl
}

build_etcd() {
  have etcd && return
  log "etcd v$ETCD_VERSION"
  local d="$work/etcd"; new_module "$d" tools/etcd
  printf 'require go.etcd.io/etcd/server/v3 v%s\n' "$ETCD_VERSION" >> "$d/go.mod"
  printf 'package tools\nimport _ "go.etcd.io/etcd/server/v3/etcdmain"\n' > "$d/tools.go"
  (cd "$d" && go mod tidy >/dev/null 2>&1 || true
   go build -trimpath -ldflags "-s -w" -o "$bin/etcd" go.etcd.io/etcd/server/v3)
}

build_kwok() {
  have kwok || { log "kwok v$KWOK_VERSION"; GOBIN="$bin" go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@v$KWOK_VERSION"; }
  # kwok needs Stage objects to act as kubelets: its own "fast" node/pod stages and the node heartbeat.
  [ -s "$bin/kwok-stages.yaml" ] && return
  go mod download "sigs.k8s.io/kwok@v$KWOK_VERSION"
  local stages; stages="$(go env GOMODCACHE)/sigs.k8s.io/kwok@v$KWOK_VERSION/kustomize/stage"
  for f in "$stages"/node/fast/node-initialize.yaml "$stages"/node/heartbeat/node-heartbeat.yaml "$stages"/pod/fast/pod-*.yaml; do
    printf -- '---\n'; cat "$f"
  done > "$bin/kwok-stages.yaml"
}

build_kube_score() {
  have kube-score && return
  log "kube-score v$KUBE_SCORE_VERSION"
  GOBIN="$bin" go install -trimpath -ldflags "-s -w" "github.com/zegl/kube-score/cmd/kube-score@v$KUBE_SCORE_VERSION"
}

build_node_kube() {
  [ -x "$rbin/kubelet" ] && [ -x "$rbin/kube-proxy" ] && return
  log "kubelet, kube-proxy v$KUBERNETES_VERSION (the sandbox node)"
  kube_build "$rbin" kubelet kube-proxy
}

# A module that requires MODULE@VERSION with k8s.io libraries aligned to the control plane's (already compiled).
aligned_module() { # dir, name, module, version
  new_module "$1" "$2"
  { printf 'require %s %s\n' "$3" "$4"
    for m in api apimachinery client-go component-base component-helpers; do
      printf 'replace k8s.io/%s => k8s.io/%s %s\n' "$m" "$m" "$STAGING_VERSION"
    done
  } >> "$1/go.mod"
}

build_coredns() {
  [ -x "$rbin/coredns" ] && return
  log "coredns v$COREDNS_VERSION, minimal plugin set (the sandbox node)"
  local d="$work/coredns"
  aligned_module "$d" tools/coredns github.com/coredns/coredns "v$COREDNS_VERSION"
  cp "$sandbox_src/go/coredns/main.go" "$d/"
  (cd "$d" && go mod tidy >/dev/null 2>&1 || true
   go build -trimpath -ldflags "-s -w -X github.com/coredns/coredns/coremain.GitCommit=v$COREDNS_VERSION" -o "$rbin/coredns" .)
}

build_knp() {
  [ -x "$rbin/kube-network-policies" ] && return
  log "kube-network-policies v$KNP_VERSION + xt NFQUEUE patch (the sandbox node)"
  local mod=sigs.k8s.io/kube-network-policies d="$work/knp"
  # `go install mod@version` reads the module's version list, which the proxy refuses; a require does not.
  go mod download "$mod@v$KNP_VERSION"
  aligned_module "$d" tools/knp "$mod" "v$KNP_VERSION"
  cp -r "$(go env GOMODCACHE)/$mod@v$KNP_VERSION" "$d/src"; chmod -R u+w "$d/src"
  (cd "$d/src" && patch -p1 --quiet < "$knp_patch")
  printf 'replace %s => ./src\n' "$mod" >> "$d/go.mod"
  printf 'package tools\nimport _ "%s/pkg/networkpolicy"\n' "$mod" > "$d/tools.go"
  (cd "$d" && go mod tidy >/dev/null 2>&1 || true
   go build -trimpath -ldflags "-s -w" -o "$rbin/kube-network-policies" "$mod/cmd")
}

build_own_programs() {
  [ -x "$obin/pause" ] && [ -x "$obin/mcrouter-standin" ] && return
  log "pause, mcrouter-standin (this repository's sandbox/go)"
  local d="$work/own"; new_module "$d" memcached-gke/sandbox
  cp -r "$sandbox_src/go/pause" "$sandbox_src/go/mcrouter-standin" "$d/"
  (cd "$d" && go build -trimpath -ldflags "-s -w" -o "$obin/pause" ./pause
   go build -trimpath -ldflags "-s -w" -o "$obin/mcrouter-standin" ./mcrouter-standin)
}

# Builds a command of module@version into `out`, from a module that requires it (a library package of it is
# imported so that `go mod tidy` resolves its dependencies). Arguments: out, module, version, library
# package, command package, extra ldflags, then extra `go build` arguments.
build_from_module() {
  local out="$1" mod="$2" version="$3" lib="$4" cmd="$5" ld="$6"; shift 6
  local d="$work/${out##*/}"; new_module "$d" "tools/${out##*/}"
  printf 'require %s v%s\n' "$mod" "$version" >> "$d/go.mod"
  printf 'package tools\nimport _ "%s"\n' "$lib" > "$d/tools.go"
  (cd "$d" && go mod tidy >/dev/null 2>&1 || true
   go build -trimpath "$@" -ldflags "-s -w $ld" -o "$out" "$cmd")
}

build_memcached_exporter() {
  [ -x "$xbin/memcached_exporter" ] && return
  log "memcached_exporter v$MEMCACHED_EXPORTER_VERSION"
  local mod=github.com/prometheus/memcached_exporter
  build_from_module "$xbin/memcached_exporter" "$mod" "$MEMCACHED_EXPORTER_VERSION" "$mod/pkg/exporter" "$mod/cmd/memcached_exporter" \
    "-X github.com/prometheus/common/version.Version=$MEMCACHED_EXPORTER_VERSION"
}

build_promtool() {
  [ -x "$pbin/promtool" ] && return
  log "promtool v$PROMETHEUS_VERSION (github.com/prometheus/prometheus v$PROMETHEUS_MODULE_VERSION)"
  local mod=github.com/prometheus/prometheus
  build_from_module "$pbin/promtool" "$mod" "$PROMETHEUS_MODULE_VERSION" "$mod/rules" "$mod/cmd/promtool" \
    "-X github.com/prometheus/common/version.Version=$PROMETHEUS_VERSION" -tags netgo,builtinassets
}

fetch_crds() {
  [ -s "$cdir/monitoring.coreos.com_prometheusrules.yaml" ] && return
  log "CRDs: prometheus-engine v$GMP_VERSION, prometheus-operator v$PROMETHEUS_OPERATOR_VERSION"
  local gmp po
  gmp="$(go mod download -json "github.com/GoogleCloudPlatform/prometheus-engine@v$GMP_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')"
  po="$(go mod download -json "github.com/prometheus-operator/prometheus-operator@v$PROMETHEUS_OPERATOR_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')"
  cp "$gmp/charts/operator/crds/monitoring.googleapis.com_podmonitorings.yaml" "$gmp/charts/operator/crds/monitoring.googleapis.com_rules.yaml" "$cdir/"
  cp "$po/example/prometheus-operator-crd/monitoring.coreos.com_podmonitors.yaml" "$po/example/prometheus-operator-crd/monitoring.coreos.com_prometheusrules.yaml" "$cdir/"
  chmod u+w "$cdir"/*
}

t_all=$SECONDS
steps=(build_k8s_provider build_pulumi build_language_host build_etcd build_kwok build_kube_score build_kubernetes
  build_node_kube build_coredns build_knp build_own_programs build_memcached_exporter build_promtool fetch_crds)
# `--sandbox`: only what `npm start` runs (no KWOK, linter, promtool or CRDs of the tests).
if [ "${1:-}" = --sandbox ]; then
  steps=(build_k8s_provider build_pulumi build_language_host build_etcd build_kubernetes build_node_kube build_coredns
    build_knp build_own_programs build_memcached_exporter)
fi
for i in "${!steps[@]}"; do
  step=" [$((i + 1))/${#steps[@]}]"
  timed "${steps[$i]}"
done
step=""
log "all tools ready in $((SECONDS - t_all)) s"
abs() { (cd "$1" && pwd); }
echo "export E2E_TOOLS_BIN=$(abs "$bin") SANDBOX_BIN=$(abs "$rbin") SANDBOX_OWN_BIN=$(abs "$obin") MEMCACHED_EXPORTER_BIN=$(abs "$xbin") PROMTOOL_BIN=$(abs "$pbin") CRDS_DIR=$(abs "$cdir")"
