// The hardening rules (K1-K14 workloads, G1-G11 GKE, M1-M10 memcached/mcrouter) and GKE's request rules
// (GKE1-GKE11, lib/gke/requestRules.ts) as plain functions over resources, so tests can run them without a
// PolicyPack (whose constructor starts a gRPC server). Every port, label, role, formula and parser is the
// program's own, imported from lib/. Sources: kube-linter, kube-score, Polaris, CIS GKE Benchmark, memcached docs
// (docs/design.md).
import { CONNECTION_HEADROOM, requiredMemcachedConnections } from "../lib/capacity/connections";
import { memcachedMemoryLimitMib } from "../lib/capacity/memcachedMemory";
import { NODE_SERVICE_ACCOUNT_ROLES } from "../lib/gke/cluster";
import { GCP, RULES as REQUEST_RULES, RuleResource } from "../lib/gke/requestRules";
import { MCROUTER_METRICS_PORT, MCROUTER_PORT, MEMCACHED_PORT, METRICS_PORT } from "../lib/ports";
import { memoryMib } from "../lib/quantity";
import { CACHE_CLIENT_LABEL, MCROUTER_COMPONENT, MEMCACHED_COMPONENT } from "../lib/tiers/labels";

export interface Resource extends RuleResource {
  /** urn:pulumi:<stack>::<project>::<type>::<name> */
  urn: string;
}

export interface Rule {
  id: string;
  description: string;
  /** Checks one resource (resource rules) or all of them (stack rules); returns violation messages. */
  check: ((r: Resource) => string[]) | undefined;
  checkStack?: (resources: Resource[]) => string[];
}

export const T = {
  deployment: "kubernetes:apps/v1:Deployment",
  statefulSet: "kubernetes:apps/v1:StatefulSet",
  daemonSet: "kubernetes:apps/v1:DaemonSet",
  service: "kubernetes:core/v1:Service",
  namespace: "kubernetes:core/v1:Namespace",
  serviceAccount: "kubernetes:core/v1:ServiceAccount",
  configMap: "kubernetes:core/v1:ConfigMap",
  pdb: "kubernetes:policy/v1:PodDisruptionBudget",
  networkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
  ingress: "kubernetes:networking.k8s.io/v1:Ingress",
  cluster: GCP.cluster,
  nodePool: GCP.nodePool,
  iamMember: GCP.iamMember,
  firewall: GCP.firewall,
} as const;

const WORKLOADS: string[] = [T.deployment, T.statefulSet, T.daemonSet];
const MCROUTER = MCROUTER_COMPONENT;
const MEMCACHED = MEMCACHED_COMPONENT;
const NODE_ROLES: readonly string[] = NODE_SERVICE_ACCOUNT_ROLES;
const [[CACHE_CLIENT_KEY, CACHE_CLIENT_VALUE]] = Object.entries(CACHE_CLIENT_LABEL);

const isWorkload = (r: Resource) => WORKLOADS.includes(r.type);
const appName = (r: Resource): string | undefined => r.props.metadata?.labels?.["app.kubernetes.io/name"];
const podSpec = (r: Resource): Record<string, any> => r.props.spec?.template?.spec ?? {};
const containers = (r: Resource): Record<string, any>[] => [
  ...(podSpec(r).initContainers ?? []),
  ...(podSpec(r).containers ?? []),
];
/** The containers of a workload with this name: the memcached/mcrouter rules read those, not a sidecar. */
const named = (r: Resource, name: string) => containers(r).filter((c) => c.name === name);
const label = (r: Resource) => `${r.props.metadata?.namespace ?? ""}/${r.props.metadata?.name ?? r.name}`;
const stackOf = (r: Resource) => r.urn.split("::")[0].replace(/^urn:pulumi:/, "");
const flagValue = (args: string[], flag: string): string | undefined => {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
};
const longFlag = (args: string[], flag: string): string | undefined =>
  args
    .find((a) => a.startsWith(`--${flag}=`))
    ?.split("=")
    .slice(1)
    .join("=");
const matches = (selector: Record<string, string> | undefined, labels: Record<string, string> | undefined) =>
  !!selector && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels?.[k] === v);

/** A rule over each container of each workload. */
function perContainer(check: (c: Record<string, any>, w: Resource) => string | undefined): (r: Resource) => string[] {
  return (r) =>
    isWorkload(r)
      ? containers(r)
          .map((c) => check(c, r))
          .filter((m): m is string => !!m)
          .map((m) => `${label(r)} container ${m}`)
      : [];
}

function securityValue(c: Record<string, any>, w: Resource, key: string): unknown {
  return c.securityContext?.[key] ?? podSpec(w).securityContext?.[key];
}

export const RULES: Rule[] = [
  {
    id: "K1",
    description: "Every container requests CPU and memory and has a memory limit",
    check: perContainer((c) =>
      c.resources?.requests?.cpu && c.resources?.requests?.memory && c.resources?.limits?.memory
        ? undefined
        : `"${c.name}" lacks cpu/memory requests or a memory limit; set resources.requests and resources.limits.memory`,
    ),
  },
  {
    id: "K2",
    description: "Every long-running container has readiness and liveness probes on declared ports",
    check: perContainer((c) => {
      if (!c.readinessProbe || !c.livenessProbe) return `"${c.name}" has no readiness or liveness probe`;
      const declared = new Set((c.ports ?? []).flatMap((p: any) => [p.name, p.containerPort]));
      for (const probe of [c.readinessProbe, c.livenessProbe, c.startupProbe].filter(Boolean)) {
        const port = probe.tcpSocket?.port ?? probe.httpGet?.port;
        if (port !== undefined && !declared.has(port))
          return `"${c.name}" probes port ${port}, which it does not declare`;
      }
      return undefined;
    }),
  },
  {
    id: "K3",
    description: "Containers run as non-root with numeric uid and gid",
    check: perContainer((c, w) =>
      securityValue(c, w, "runAsNonRoot") === true &&
      Number.isInteger(securityValue(c, w, "runAsUser")) &&
      (securityValue(c, w, "runAsUser") as number) > 0 &&
      Number.isInteger(securityValue(c, w, "runAsGroup"))
        ? undefined
        : `"${c.name}" must set runAsNonRoot: true and numeric runAsUser (not 0) and runAsGroup`,
    ),
  },
  {
    id: "K4",
    description: "Root filesystems are read-only",
    check: perContainer((c) =>
      c.securityContext?.readOnlyRootFilesystem === true
        ? undefined
        : `"${c.name}" must set readOnlyRootFilesystem: true (mount an emptyDir where it writes)`,
    ),
  },
  {
    id: "K5",
    description: "No privilege escalation, no privileged containers",
    check: perContainer((c) =>
      c.securityContext?.allowPrivilegeEscalation === false && c.securityContext?.privileged !== true
        ? undefined
        : `"${c.name}" must set allowPrivilegeEscalation: false and not be privileged`,
    ),
  },
  {
    id: "K6",
    description: "All capabilities dropped, none added",
    check: perContainer((c) =>
      c.securityContext?.capabilities?.drop?.includes("ALL") && !c.securityContext?.capabilities?.add?.length
        ? undefined
        : `"${c.name}" must drop ALL capabilities and add none`,
    ),
  },
  {
    id: "K7",
    description: "seccomp profile RuntimeDefault",
    check: perContainer((c, w) =>
      (securityValue(c, w, "seccompProfile") as any)?.type === "RuntimeDefault"
        ? undefined
        : `"${c.name}" must use seccompProfile RuntimeDefault`,
    ),
  },
  {
    id: "K8",
    description: `hostPort only on mcrouter, exactly ${MCROUTER_PORT}/TCP; no host namespaces`,
    check: (r) => {
      if (!isWorkload(r)) return [];
      const out: string[] = [];
      for (const key of ["hostNetwork", "hostPID", "hostIPC"]) {
        if (podSpec(r)[key]) out.push(`${label(r)} sets ${key}; the cache needs no host namespace`);
      }
      for (const c of containers(r)) {
        for (const p of (c.ports ?? []).filter((p: any) => p.hostPort !== undefined)) {
          if (appName(r) !== MCROUTER || p.hostPort !== MCROUTER_PORT || (p.protocol ?? "TCP") !== "TCP") {
            out.push(
              `${label(r)} container "${c.name}" opens hostPort ${p.hostPort}/${p.protocol ?? "TCP"}; only mcrouter may, on ${MCROUTER_PORT}/TCP`,
            );
          }
        }
      }
      return out;
    },
  },
  {
    id: "K9",
    description: "Images pinned by tag (not latest) or digest",
    check: perContainer((c) => {
      const image: string = c.image ?? "";
      const tag = image.includes("@sha256:") ? "digest" : image.split("/").pop()!.split(":")[1];
      return tag && tag !== "latest"
        ? undefined
        : `"${c.name}" image "${image}" is not pinned; use an explicit tag or digest`;
    }),
  },
  {
    id: "K10",
    description: "memcached and multi-replica Deployments spread over nodes",
    check: (r) => {
      if (r.type !== T.statefulSet && !(r.type === T.deployment && (r.props.spec?.replicas ?? 1) > 1)) return [];
      const spec = podSpec(r);
      const spread = (spec.topologySpreadConstraints ?? []).some(
        (t: any) => t.topologyKey === "kubernetes.io/hostname",
      );
      const anti = (spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [])
        .concat(
          (spec.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map(
            (p: any) => p.podAffinityTerm,
          ),
        )
        .some((t: any) => t?.topologyKey === "kubernetes.io/hostname");
      return spread || anti ? [] : [`${label(r)} does not spread its pods over kubernetes.io/hostname`];
    },
  },
  {
    id: "K11",
    description: "Every StatefulSet and Deployment has a PDB allowing a disruption, evicting unhealthy pods",
    check: (r) =>
      r.type === T.pdb && r.props.spec?.unhealthyPodEvictionPolicy !== "AlwaysAllow"
        ? [`${label(r)} must set unhealthyPodEvictionPolicy: AlwaysAllow so a broken pod cannot block drains`]
        : [],
    checkStack: (rs) =>
      rs
        .filter((r) => r.type === T.statefulSet || r.type === T.deployment)
        .flatMap((w) => {
          const pdb = rs.find(
            (p) =>
              p.type === T.pdb &&
              p.props.metadata?.namespace === w.props.metadata?.namespace &&
              matches(p.props.spec?.selector?.matchLabels, w.props.spec?.template?.metadata?.labels),
          );
          if (!pdb) return [`${label(w)} has no PodDisruptionBudget`];
          const { maxUnavailable, minAvailable } = pdb.props.spec;
          const allows =
            maxUnavailable !== undefined
              ? maxUnavailable !== 0 && maxUnavailable !== "0%"
              : (minAvailable ?? 0) < (w.props.spec?.replicas ?? 1);
          return allows ? [] : [`${label(pdb)} allows no disruption of ${label(w)}: node drains would hang`];
        }),
  },
  {
    id: "K12",
    description: `Default-deny NetworkPolicy in every namespace; memcached ${MEMCACHED_PORT} only from mcrouter, mcrouter ${MCROUTER_PORT} only from cache clients; the metrics ports (${METRICS_PORT}, ${MCROUTER_METRICS_PORT}) only from the metrics collector's namespace`,
    check: undefined,
    checkStack: (rs) => {
      const out: string[] = [];
      const policies = rs.filter((r) => r.type === T.networkPolicy);
      for (const ns of new Set(rs.filter(isWorkload).map((w) => w.props.metadata?.namespace))) {
        const denyAll = policies.some(
          (p) =>
            p.props.metadata?.namespace === ns &&
            Object.keys(p.props.spec?.podSelector ?? { x: 1 }).length === 0 &&
            ["Ingress", "Egress"].every((t) => p.props.spec?.policyTypes?.includes(t)) &&
            !p.props.spec?.ingress?.length &&
            !p.props.spec?.egress?.length,
        );
        if (!denyAll)
          out.push(`namespace ${ns} has no default-deny NetworkPolicy (podSelector {}, Ingress and Egress, no rules)`);
      }
      // Per tier: a rule for its metrics port alone is the scraper's and must name one namespace; every other
      // rule must admit the tier's clients only, on the tier's port only.
      const tiers = [
        {
          type: T.statefulSet,
          app: MEMCACHED,
          port: MEMCACHED_PORT,
          metricsPort: METRICS_PORT,
          isClient: (f: any) => f.podSelector?.matchLabels?.["app.kubernetes.io/name"] === MCROUTER,
          problem: `memcached must accept ${MEMCACHED_PORT}/TCP from mcrouter pods only`,
        },
        {
          type: T.daemonSet,
          app: MCROUTER,
          port: MCROUTER_PORT,
          metricsPort: MCROUTER_METRICS_PORT,
          isClient: (f: any) => f.podSelector?.matchLabels?.[CACHE_CLIENT_KEY] === CACHE_CLIENT_VALUE,
          problem: `mcrouter must accept ${MCROUTER_PORT}/TCP from pods labelled ${CACHE_CLIENT_KEY}=${CACHE_CLIENT_VALUE} only`,
        },
      ];
      for (const tier of tiers) {
        for (const w of rs.filter((r) => r.type === tier.type && appName(r) === tier.app)) {
          const ingress = policies
            .filter(
              (p) =>
                p.props.metadata?.namespace === w.props.metadata?.namespace &&
                matches(p.props.spec?.podSelector?.matchLabels, w.props.spec?.template?.metadata?.labels),
            )
            .flatMap((p) => p.props.spec?.ingress ?? []);
          const metricsOnly = (rule: any) =>
            (rule.ports ?? []).length > 0 && rule.ports.every((p: any) => p.port === tier.metricsPort);
          const serving = ingress.filter((rule: any) => !metricsOnly(rule));
          const ok =
            serving.length > 0 &&
            serving.every(
              (rule: any) =>
                (rule.from ?? []).length > 0 &&
                rule.from.every((f: any) => tier.isClient(f) && !f.ipBlock) &&
                (rule.ports ?? []).length > 0 &&
                rule.ports.every((p: any) => p.port === tier.port),
            );
          if (!ok) out.push(`${label(w)}: ${tier.problem}`);
          const scrapers = ingress.filter(metricsOnly).flatMap((rule: any) => rule.from ?? [{}]);
          if (
            !scrapers.every((f: any) => f.namespaceSelector?.matchLabels?.["kubernetes.io/metadata.name"] && !f.ipBlock)
          ) {
            out.push(
              `${label(w)}: the metrics port ${tier.metricsPort} must admit one named namespace (the collector's) only`,
            );
          }
        }
      }
      return out;
    },
  },
  {
    id: "K13",
    description: "No NodePort/LoadBalancer Services; headless Service selects its StatefulSet's pods",
    check: (r) =>
      r.type === T.service && ["NodePort", "LoadBalancer"].includes(r.props.spec?.type)
        ? [`${label(r)} is a ${r.props.spec.type} Service; the cache must not be exposed outside the cluster`]
        : [],
    checkStack: (rs) =>
      rs
        .filter((r) => r.type === T.statefulSet)
        .flatMap((sts) => {
          const svc = rs.find(
            (s) =>
              s.type === T.service &&
              s.props.metadata?.name === sts.props.spec?.serviceName &&
              s.props.metadata?.namespace === sts.props.metadata?.namespace,
          );
          if (!svc || svc.props.spec?.clusterIP !== "None")
            return [`${label(sts)}: serviceName ${sts.props.spec?.serviceName} is not a headless Service of the stack`];
          return matches(svc.props.spec?.selector, sts.props.spec?.template?.metadata?.labels)
            ? []
            : [`${label(svc)} selector does not match ${label(sts)} pods`];
        }),
  },
  {
    id: "K14",
    description: "Dedicated ServiceAccounts without token, not in default; PSA labels, privileged only for mcrouter",
    check: (r) => {
      const out: string[] = [];
      if (
        (r.type.startsWith("kubernetes:") && r.props.metadata?.namespace === "default") ||
        (r.type === T.namespace && r.props.metadata?.name === "default")
      ) {
        out.push(`${label(r)} is in the default namespace`);
      }
      if (r.type === T.serviceAccount && r.props.automountServiceAccountToken !== false)
        out.push(`${label(r)} must set automountServiceAccountToken: false`);
      if (isWorkload(r)) {
        const spec = podSpec(r);
        if (!spec.serviceAccountName || spec.serviceAccountName === "default")
          out.push(`${label(r)} must use a dedicated ServiceAccount`);
        if (spec.automountServiceAccountToken !== false)
          out.push(`${label(r)} must set automountServiceAccountToken: false`);
      }
      if (r.type === T.namespace && !r.props.metadata?.labels?.["pod-security.kubernetes.io/enforce"]) {
        out.push(`${label(r)} has no pod-security.kubernetes.io/enforce label`);
      }
      return out;
    },
    checkStack: (rs) =>
      rs
        .filter(
          (r) =>
            r.type === T.namespace && r.props.metadata?.labels?.["pod-security.kubernetes.io/enforce"] !== "restricted",
        )
        .flatMap((ns) => {
          const workloads = rs.filter((w) => isWorkload(w) && w.props.metadata?.namespace === ns.props.metadata?.name);
          return workloads.every((w) => w.type === T.daemonSet && appName(w) === MCROUTER) && workloads.length > 0
            ? []
            : [`namespace ${ns.props.metadata?.name} is not enforced at restricted; only mcrouter's (hostPort) may be`];
        }),
  },
  {
    id: "G1",
    description: "Nodes run as a dedicated service account with only the node roles",
    check: (r) => {
      if (r.type !== T.nodePool) return [];
      const sa: string = r.props.nodeConfig?.serviceAccount ?? "";
      return !sa || sa === "default" || sa.endsWith("-compute@developer.gserviceaccount.com")
        ? [`node pool ${r.name} uses the Compute Engine default service account; create a dedicated one`]
        : [];
    },
    checkStack: (rs) => {
      const sas = new Set(
        rs.filter((r) => r.type === T.nodePool).map((p) => `serviceAccount:${p.props.nodeConfig?.serviceAccount}`),
      );
      return rs
        .filter((r) => r.type === T.iamMember && sas.has(r.props.member) && !NODE_ROLES.includes(r.props.role))
        .map((r) => `node service account is granted ${r.props.role}; nodes need only ${NODE_ROLES.join(", ")}`);
    },
  },
  {
    id: "G2",
    description: "Workload Identity on cluster and nodes",
    check: (r) => {
      if (
        r.type === T.cluster &&
        !String(r.props.workloadIdentityConfig?.workloadPool ?? "").endsWith(".svc.id.goog")
      ) {
        return [`cluster ${r.name} must enable Workload Identity (<project>.svc.id.goog)`];
      }
      if (r.type === T.nodePool && r.props.nodeConfig?.workloadMetadataConfig?.mode !== "GKE_METADATA") {
        return [`node pool ${r.name} must use workloadMetadataConfig mode GKE_METADATA`];
      }
      return [];
    },
  },
  {
    id: "G3",
    description: "Nodes run Container-Optimized OS with containerd",
    check: (r) =>
      r.type === T.nodePool && r.props.nodeConfig?.imageType !== "COS_CONTAINERD"
        ? [`node pool ${r.name} must use imageType COS_CONTAINERD`]
        : [],
  },
  {
    id: "G4",
    description: "Node auto-repair and auto-upgrade",
    check: (r) =>
      r.type === T.nodePool && !(r.props.management?.autoRepair && r.props.management?.autoUpgrade)
        ? [`node pool ${r.name} must enable autoRepair and autoUpgrade`]
        : [],
  },
  {
    id: "G5",
    description: "Release channel REGULAR or STABLE",
    check: (r) =>
      r.type === T.cluster && !["REGULAR", "STABLE"].includes(r.props.releaseChannel?.channel)
        ? [`cluster ${r.name} release channel ${r.props.releaseChannel?.channel ?? "none"}; use REGULAR or STABLE`]
        : [],
  },
  {
    id: "G6",
    description: "Shielded nodes with secure boot and integrity monitoring",
    check: (r) => {
      if (r.type === T.cluster && r.props.enableShieldedNodes !== true)
        return [`cluster ${r.name} must enable shielded nodes`];
      const s = r.props.nodeConfig?.shieldedInstanceConfig;
      return r.type === T.nodePool && !(s?.enableSecureBoot && s?.enableIntegrityMonitoring)
        ? [`node pool ${r.name} must enable secure boot and integrity monitoring`]
        : [];
    },
  },
  {
    id: "G7",
    description:
      "VPC-native; the control plane's IP endpoint restricted on production clusters, or closed behind the DNS-based endpoint",
    check: (r) => {
      if (r.type !== T.cluster) return [];
      const out: string[] = [];
      if (r.props.networkingMode !== "VPC_NATIVE" || !r.props.ipAllocationPolicy)
        out.push(`cluster ${r.name} must be VPC-native`);
      const authorized = r.props.masterAuthorizedNetworksConfig;
      if (r.props.deletionProtection === true && !authorized) {
        out.push(
          `cluster ${r.name} is a production cluster (deletion protection) with an IP endpoint open to every address; ` +
            "set cluster.masterAuthorizedNetworks, or cluster.controlPlaneEndpoint dns",
        );
      }
      return out;
    },
  },
  {
    id: "G8",
    description: "NetworkPolicies enforced (Dataplane V2 or the network policy add-on)",
    check: (r) =>
      r.type === T.cluster &&
      r.props.datapathProvider !== "ADVANCED_DATAPATH" &&
      r.props.networkPolicy?.enabled !== true
        ? [`cluster ${r.name} does not enforce NetworkPolicies; set datapathProvider ADVANCED_DATAPATH`]
        : [],
  },
  {
    id: "G9",
    description: `A firewall keeps mcrouter's hostPort ${MCROUTER_PORT} from everything but the cluster's pods`,
    check: (r) =>
      r.type === T.firewall &&
      (r.props.allows ?? []).some((a: any) => (a.ports ?? []).includes(String(MCROUTER_PORT))) &&
      (r.props.sourceRanges ?? []).includes("0.0.0.0/0")
        ? [`firewall ${r.name} opens ${MCROUTER_PORT} to 0.0.0.0/0`]
        : [],
    checkStack: (rs) => {
      if (!rs.some((r) => r.type === T.cluster)) return [];
      const denies = rs.some(
        (r) =>
          r.type === T.firewall &&
          r.props.direction === "INGRESS" &&
          (r.props.denies ?? []).some(
            (d: any) => d.protocol === "tcp" && (d.ports ?? []).includes(String(MCROUTER_PORT)),
          ) &&
          (r.props.sourceRanges ?? []).includes("0.0.0.0/0"),
      );
      return denies ? [] : [`no firewall rule denies tcp:${MCROUTER_PORT} to the nodes from outside the cluster`];
    },
  },
  {
    id: "G10",
    description: "No legacy ABAC, no client certificate",
    check: (r) =>
      r.type === T.cluster &&
      (r.props.enableLegacyAbac === true ||
        r.props.masterAuth?.clientCertificateConfig?.issueClientCertificate !== false)
        ? [`cluster ${r.name} must disable legacy ABAC and client certificates`]
        : [],
  },
  {
    id: "G11",
    description: "Logging and monitoring on (the *Config fields, GKE1), no alpha features",
    check: (r) =>
      r.type === T.cluster &&
      (!r.props.loggingConfig?.enableComponents?.length ||
        !r.props.monitoringConfig?.enableComponents?.length ||
        r.props.enableKubernetesAlpha === true)
        ? [
            `cluster ${r.name} must keep logging and monitoring on (loggingConfig, monitoringConfig) and alpha features off`,
          ]
        : [],
  },
  {
    id: "M1",
    description: "memcached runs with UDP off (-U 0) and declares no UDP port",
    check: (r) => {
      if (r.type !== T.statefulSet || appName(r) !== MEMCACHED) return [];
      return named(r, MEMCACHED).flatMap((c) => [
        ...(flagValue(c.args ?? [], "-U") === "0" ? [] : [`${label(r)} memcached must run with -U 0 (UDP off)`]),
        ...((c.ports ?? []).some((p: any) => p.protocol === "UDP") ? [`${label(r)} declares a UDP port`] : []),
      ]);
    },
  },
  {
    id: "M2",
    description: "No way in from outside the cluster: no Ingress, no external IPs",
    check: (r) => {
      if (r.type === T.ingress)
        return [`${label(r)}: memcached has no authentication; it must not be behind an Ingress`];
      if (r.type === T.service && (r.props.spec?.externalIPs?.length || r.props.spec?.type === "ExternalName"))
        return [`${label(r)} exposes the cache outside the cluster`];
      return [];
    },
  },
  {
    id: "M3",
    description: "memcached's memory limit covers -m plus measured overhead; requests equal limits",
    check: (r) => {
      if (r.type !== T.statefulSet || appName(r) !== MEMCACHED) return [];
      return named(r, MEMCACHED).flatMap((c) => {
        const args: string[] = c.args ?? [];
        const needed = memcachedMemoryLimitMib({
          memoryMb: Number(flagValue(args, "-m")),
          maxConnections: Number(flagValue(args, "-c")),
        });
        const limit = memoryMib(c.resources?.limits?.memory ?? "");
        const out: string[] = [];
        if (!(limit >= needed))
          out.push(`${label(r)} memory limit ${c.resources?.limits?.memory} is below the ${needed}Mi that -m/-c need`);
        if (
          c.resources?.requests?.memory !== c.resources?.limits?.memory ||
          c.resources?.requests?.cpu !== c.resources?.limits?.cpu
        ) {
          out.push(`${label(r)} requests must equal limits (Guaranteed QoS)`);
        }
        return out;
      });
    },
  },
  {
    id: "M4",
    description: "memcached -c covers every mcrouter proxy on every node plus headroom",
    check: undefined,
    checkStack: (rs) => {
      const pools = rs.filter((r) => r.type === T.nodePool);
      // On an existing cluster the node count is config, checked by validation before deploy.
      if (pools.length === 0) return [];
      // As many nodes as the pools may grow to: each runs an mcrouter.
      const nodes = pools.reduce(
        (n, p) =>
          n +
          Math.max(
            (p.props.nodeCount ?? 0) * Math.max(1, p.props.nodeLocations?.length ?? 0),
            p.props.autoscaling?.totalMaxNodeCount ?? 0,
          ),
        0,
      );
      const proxies = Math.max(
        ...rs
          .filter((r) => r.type === T.daemonSet && appName(r) === MCROUTER)
          .flatMap((d) => named(d, MCROUTER).map((c) => Number(longFlag(c.args ?? [], "num-proxies") ?? 1))),
        1,
      );
      return rs
        .filter((r) => r.type === T.statefulSet && appName(r) === MEMCACHED)
        .flatMap((s) =>
          named(s, MEMCACHED).flatMap((c) => {
            const max = Number(flagValue(c.args ?? [], "-c") ?? 1024);
            const needed = requiredMemcachedConnections(nodes, proxies);
            return max >= needed
              ? []
              : [
                  `${label(s)} -c ${max} is below ${needed} (${nodes} nodes x ${proxies} proxies + ${CONNECTION_HEADROOM})`,
                ];
          }),
        );
    },
  },
  {
    id: "M5",
    description: "memcached -I at most half of -m",
    check: (r) =>
      r.type !== T.statefulSet || appName(r) !== MEMCACHED
        ? []
        : named(r, MEMCACHED).flatMap((c) => {
            const m = Number(flagValue(c.args ?? [], "-m"));
            const item = Number(String(flagValue(c.args ?? [], "-I") ?? "1m").replace(/m$/, ""));
            return item * 2 <= m ? [] : [`${label(r)} -I ${item}m is more than half of -m ${m}`];
          }),
  },
  {
    id: "M6",
    description: "mcrouter's config names memcached pods by DNS, not by IP",
    check: (r) => {
      if (r.type !== T.configMap || !r.props.data?.["config.json"]) return [];
      const servers: string[] = Object.values<any>(JSON.parse(r.props.data["config.json"]).pools ?? {}).flatMap(
        (p) => p.servers ?? [],
      );
      const ips = servers.filter((s) => /^\d+\.\d+\.\d+\.\d+(:\d+)?$/.test(s));
      return ips.length
        ? [`${label(r)} lists servers by IP (${ips.join(", ")}); pod IPs change, use the StatefulSet's DNS names`]
        : [];
    },
  },
  {
    id: "M7",
    description: "mcrouter's failure detection is set deliberately; failover routes are opt-in",
    check: (r) => {
      if (r.type === T.daemonSet && appName(r) === MCROUTER) {
        const missing = [
          "server-timeout",
          "timeouts-until-tko",
          "probe-timeout-initial",
          "probe-timeout-max",
          "num-proxies",
        ].filter((f) => named(r, MCROUTER).every((c) => longFlag(c.args ?? [], f) === undefined));
        return missing.length
          ? [`${label(r)} leaves mcrouter's ${missing.map((f) => `--${f}`).join(", ")} to chance`]
          : [];
      }
      if (
        r.type === T.configMap &&
        r.props.data?.["config.json"] &&
        /FailoverRoute/.test(r.props.data["config.json"])
      ) {
        return [
          `${label(r)} uses a FailoverRoute: failover changes which server owns a key and must be an explicit choice`,
        ];
      }
      return [];
    },
  },
  {
    id: "M8",
    description: "A DaemonSet with a hostPort rolls with maxSurge 0 and maxUnavailable 1",
    check: (r) => {
      if (
        r.type !== T.daemonSet ||
        !containers(r).some((c) => (c.ports ?? []).some((p: any) => p.hostPort !== undefined))
      )
        return [];
      const ru = r.props.spec?.updateStrategy?.rollingUpdate;
      return ru?.maxSurge === 0 && ru?.maxUnavailable === 1
        ? []
        : [`${label(r)} must roll with maxSurge 0 (the hostPort is taken) and maxUnavailable 1`];
    },
  },
  {
    id: "M9",
    description: "NODE_NAME comes from spec.nodeName, HOST_IP from status.hostIP",
    check: perContainer((c) => {
      const want: Record<string, string> = { NODE_NAME: "spec.nodeName", HOST_IP: "status.hostIP" };
      const bad = (c.env ?? []).filter((e: any) => want[e.name] && e.valueFrom?.fieldRef?.fieldPath !== want[e.name]);
      return bad.length
        ? `"${c.name}" must take ${bad.map((e: any) => `${e.name} from ${want[e.name]}`).join(", ")}`
        : undefined;
    }),
  },
  {
    id: "M10",
    description:
      "mcrouter returns failed deletes to the client (no async spool) and resolves servers by fully qualified name",
    check: (r) => {
      if (r.type === T.daemonSet && appName(r) === MCROUTER) {
        const spooling = named(r, MCROUTER).some((c) => !(c.args ?? []).includes("--asynclog-disable"));
        return spooling
          ? [
              `${label(r)} keeps mcrouter's async delete spool: a delete that fails is answered NOT_FOUND and lost; pass --asynclog-disable`,
            ]
          : [];
      }
      if (r.type !== T.configMap || !r.props.data?.["config.json"]) return [];
      const servers: string[] = Object.values<any>(JSON.parse(r.props.data["config.json"]).pools ?? {}).flatMap(
        (p) => p.servers ?? [],
      );
      const relative = servers.filter((s) => !/\.:\d+$/.test(s) && !/^\d+\.\d+\.\d+\.\d+(:\d+)?$/.test(s));
      return relative.length
        ? [
            `${label(r)} names servers without the trailing dot (${relative.join(", ")}): each lookup walks the search domains first`,
          ]
        : [];
    },
  },
  {
    id: "S1",
    description: "Development stacks can be destroyed (no deletion protection)",
    check: (r) =>
      r.type === T.cluster && stackOf(r) === "dev" && r.props.deletionProtection !== false
        ? [`cluster ${r.name} on stack dev has deletion protection; \`pulumi destroy\` would fail`]
        : [],
  },
  // GKE's request rules, the same functions the unit tests check every committed stack against.
  ...REQUEST_RULES.map((r): Rule => ({
    id: r.id,
    description: `${r.rule} (${r.source})`,
    check: undefined,
    checkStack: r.check,
  })),
];

export interface Violation {
  rule: string;
  message: string;
}

/** Every violation of every rule over a set of resources (what the policy pack reports). */
export function evaluate(resources: Resource[]): Violation[] {
  return RULES.flatMap((rule) =>
    [
      ...(rule.check ? resources.flatMap((r) => rule.check!(r)) : []),
      ...(rule.checkStack ? rule.checkStack(resources) : []),
    ].map((message) => ({ rule: rule.id, message })),
  );
}
