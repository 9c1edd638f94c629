// The stack's whole configuration as one typed object, and its validation. Pure: it takes the raw values
// `pulumi config` holds and returns either the config or every problem at once, each naming the key path,
// the bad value and the fix. Every key is declared once, in SCHEMA (type, default, description, check);
// Pulumi.yaml's declarations and the README's key table are generated from it (scripts/config-docs.ts).
import { capacityProblems } from "./capacityCheck";
import { boolean, closest, defaultOf, integer, list, object, oneOf, read, string, ValuesOf } from "./configSchema";
import { gcpLocation } from "./gcpLocations";
import { memcachedMemoryLimitMib, MIN_MEMORY_MB } from "./sizing";
import {
  cidr, clusterDomain, clusterName, dnsLabel, hhmm, machineType, memoryQuantity, namespaceName, optional,
  pinnedImage, positiveCpu, privateSlash28, projectId,
} from "./validators";

export const MEMCACHED_PORT = 11211;
export const MCROUTER_PORT = 5000;
/** memcached_exporter's registered default port (prometheus/prometheus wiki, "Default port allocations"). */
export const METRICS_PORT = 9150;
/** mcrouter_exporter's own default listen port (Dev25/mcrouter_exporter README, `-web.listen-address :9442`); not a hostPort. */
export const MCROUTER_METRICS_PORT = 9442;
/** Connections beyond mcrouter's: probes, `kubectl exec` debugging, a stats scraper. */
export const CONNECTION_HEADROOM = 64;

/** The current memcached 1.6 release, official image (alpine: busybox sh, nc and timeout for the probe). */
const MEMCACHED_IMAGE = "memcached:1.6.45-alpine";
/**
 * mcrouter has no official image. Wikimedia's is maintained (Debian bookworm, runs as its own non-root
 * user, rebuilt from Debian's mcrouter package); this tag is mcrouter 2023.07.17.00, rebuilt 2024-09-29.
 * See README, "The mcrouter image", for the choice and for building your own.
 */
const MCROUTER_IMAGE = "docker-registry.wikimedia.org/mcrouter:2023.07.17.00-1-20240929";
/**
 * The Prometheus project's memcached exporter, v0.16.0 (2026-04-08, its CHANGELOG); the project publishes
 * every release on quay.io/prometheus and Docker Hub prom/ (busybox base, USER nobody). The tests build the
 * Go module of the same version (scripts/build-tools.sh MEMCACHED_EXPORTER_VERSION; a test compares them).
 */
const MEMCACHED_EXPORTER_IMAGE = "quay.io/prometheus/memcached-exporter:v0.16.0";
/**
 * mcrouter's Prometheus exporter: Dev25/mcrouter_exporter 0.5.0 (2025-02-18, its CHANGELOG; the exporter
 * Wikimedia runs beside its mcrouters). Since 0.4.0 published as ghcr.io/dev25/mcrouter_exporter, tagged as its
 * release tags are named (0.x.y, no "v", per its release workflow); distroless base, ENTRYPOINT
 * /mcrouter_exporter. No registry is reachable here, so the tag is read from the project, not pulled: check it
 * (e.g. `crane digest`) and pin the digest in metrics.mcrouterExporterImage. See README, "Metrics".
 */
const MCROUTER_EXPORTER_IMAGE = "ghcr.io/dev25/mcrouter_exporter:0.5.0";


export const TARGETS = ["gke", "existing"] as const;
export type Target = typeof TARGETS[number];
export const TARGET_DOC = "Where the cache runs: `gke` (create a GKE cluster) or `existing` (deploy onto the cluster of a kubeconfig, no GCP needed).";

export const SCHEMA = {
  cluster: object("GKE cluster (target gke).", {
    name: string("GKE cluster name; empty: memcached-<stack>", "", clusterName),
    location: string("zone (zonal cluster, e.g. us-central1-f) or region (regional cluster, with nodeLocations); required", ""),
    allowUnlistedLocations: boolean("accept a zone or region newer than the repository's table (lib/gcpLocations.ts)", false),
    nodeLocations: list("zones of a regional cluster's node pool", string("zone", ""), (zone) => zone),
    nodeCount: integer("TOTAL nodes across zones (with 3 zones and 3, one per zone); the autoscaler's minimum", 3, 1, 1000),
    maxNodeCount: integer("TOTAL maximum with node-pool autoscaling; 0: no autoscaling", 0, 0, 1000),
    machineType: string("Compute Engine machine type (one the capacity model sizes)", "e2-standard-2", machineType),
    diskSizeGb: integer("node boot disk, GB", 50, 10, 65536),
    diskType: oneOf("node boot disk type", "pd-balanced", ["pd-standard", "pd-balanced", "pd-ssd"] as const),
    releaseChannel: oneOf("GKE release channel", "REGULAR", ["RAPID", "REGULAR", "STABLE"] as const),
    deletionProtection: boolean("refuse to delete the cluster", true),
    masterAuthorizedNetworks: list("CIDRs allowed to reach the control plane ([{cidrBlock, displayName}]); empty: any (dev only)",
      object("an authorized network", {
        cidrBlock: string("IPv4 CIDR", "", cidr),
        displayName: string("name shown in the console; empty: network-<index>", ""),
      }), (n) => n.cidrBlock),
    privateNodes: boolean("nodes get no external IP (needs Cloud NAT for images from outside Google)", false),
    masterIpv4CidrBlock: string("/28 in a private range for the control plane's peering (privateNodes only)", "172.16.0.32/28", privateSlash28),
    maintenanceStartTime: string("daily maintenance window start, HH:MM UTC", "03:00", hhmm),
    network: string("VPC network", "default", dnsLabel("VPC network name")),
    subnetwork: string("VPC subnetwork; empty: the network's default", "", optional(dnsLabel("subnetwork name"))),
  }),
  existingCluster: object("Existing cluster (target existing).", {
    kubeconfig: string("kubeconfig path; empty: $KUBECONFIG or ~/.kube/config", ""),
    context: string("context in it; empty: its current context", ""),
    nodeCount: integer("nodes mcrouter will run on (sizes memcached -c)", 3, 1, 1000),
    renderYamlToDirectory: string("write the manifests there instead of applying them", ""),
    nodeAllocatable: object("what each node has free for this stack (kubectl describe node: allocatable less your own per-node pods); enables the capacity check", {
      cpu: string("CPU, e.g. 1930m", "", optional(positiveCpu)),
      memory: string("memory, e.g. 6055Mi", "", optional(memoryQuantity)),
    }),
  }),
  memcached: object("memcached StatefulSet.", {
    namespace: string("namespace", "memcached", namespaceName),
    replicas: integer("pods (shards)", 3, 1, 256),
    memoryMb: integer("-m, cache memory a pod, MiB (at least 64)", 1024, 1, 1 << 20),
    maxItemSizeMb: integer("-I, largest item, MiB (at most memoryMb / 2)", 1, 1, 1024),
    maxConnections: integer("-c (at least nodes x mcrouter.numProxies + 64)", 1024, 1, 1 << 20),
    threads: integer("-t", 4, 1, 64),
    cpu: string("CPU a pod (request = limit)", "500m", positiveCpu),
    image: string("image, pinned", MEMCACHED_IMAGE, pinnedImage),
    clusterDomain: string("the cluster's DNS domain", "cluster.local", clusterDomain),
  }),
  mcrouter: object("mcrouter DaemonSet (hostPort 5000).", {
    namespace: string("namespace", "mcrouter", namespaceName),
    image: string("image, pinned", MCROUTER_IMAGE, pinnedImage),
    numProxies: integer("--num-proxies", 2, 1, 64),
    serverTimeoutMs: integer("--server-timeout", 1000, 1, 60000),
    timeoutsUntilTko: integer("--timeouts-until-tko", 3, 1, 100),
    probeTimeoutInitialMs: integer("--probe-timeout-initial", 3000, 100, 600000),
    probeTimeoutMaxMs: integer("--probe-timeout-max (at least probeTimeoutInitialMs): a TKO server is probed at most this far apart", 10000, 100, 3600000),
    cpu: string("CPU a pod (request = limit)", "250m", positiveCpu),
    memoryMb: integer("memory a pod, MiB", 256, 32, 1 << 16),
  }),
  metrics: object("Prometheus metrics.", {
    enabled: boolean(`exporter sidecars (memcached_exporter on ${METRICS_PORT} in each memcached pod, mcrouter_exporter on ${MCROUTER_METRICS_PORT} in each mcrouter pod), and the objects that have them scraped`, true),
    memcachedExporterImage: string("memcached exporter image, pinned", MEMCACHED_EXPORTER_IMAGE, pinnedImage),
    mcrouterExporterImage: string("mcrouter exporter image, pinned", MCROUTER_EXPORTER_IMAGE, pinnedImage),
    prometheusOperator: boolean("target existing: PodMonitor objects for the Prometheus Operator (needs its CRDs); GKE always gets Managed Prometheus PodMonitoring", false),
    collectorNamespace: string(`namespace of the scraper the NetworkPolicies admit to ports ${METRICS_PORT} and ${MCROUTER_METRICS_PORT} (GKE Managed Prometheus: gmp-system)`, "gmp-system", dnsLabel("namespace name")),
    hitRatioFloorPercent: integer("alert MemcachedHitRatioLow below this share of gets that hit, for 15 minutes", 80, 1, 99),
    evictionsPerSecond: integer("alert MemcachedEvicting above this many evictions a second in a pod, for 15 minutes", 50, 1, 1000000),
  }),
  sampleApp: object("Sample application Deployment.", {
    namespace: string("namespace", "cache-clients", namespaceName),
    replicas: integer("pods", 9, 1, 1000),
    image: string("image, pinned (busybox: the data-path probe needs sh, nc, timeout)", "busybox:1.37.0", pinnedImage),
  }),
};

/** The project's structured config keys (`memcached-gke:<key>`), each an object of fields. */
export const SECTIONS = Object.keys(SCHEMA) as (keyof typeof SCHEMA)[];
type Section<K extends keyof typeof SCHEMA> = ValuesOf<typeof SCHEMA[K]["fields"]>;
export type ClusterConfig = Section<"cluster">;
export type ExistingClusterConfig = Section<"existingCluster">;
export type MemcachedConfig = Section<"memcached">;
export type McrouterConfig = Section<"mcrouter">;
export type SampleAppConfig = Section<"sampleApp">;
export type MetricsConfig = Section<"metrics">;
export type AuthorizedNetwork = ClusterConfig["masterAuthorizedNetworks"][number];

export const DEFAULTS = Object.fromEntries(SECTIONS.map((k) => [k, defaultOf(SCHEMA[k])])) as { [K in keyof typeof SCHEMA]: Section<K> };

export interface StackConfig {
  target: Target;
  /** `gcp:project`; empty for target `existing`. */
  project: string;
  cluster?: ClusterConfig;
  existingCluster?: ExistingClusterConfig;
  /** Nodes the DaemonSet runs on: cluster.nodeCount or existingCluster.nodeCount. */
  nodeCount: number;
  memcached: MemcachedConfig;
  mcrouter: McrouterConfig;
  sampleApp: SampleAppConfig;
  metrics: MetricsConfig;
}

export const PROJECT_NAMESPACE = "memcached-gke";
const KNOWN_KEYS = ["target", ...SECTIONS];

/** The raw values as `pulumi config` holds them; anything may be missing or of the wrong type. */
export type RawConfig = { stack: string; project?: unknown; target?: unknown; otherKeys?: string[] } & { [K in typeof SECTIONS[number]]?: unknown };

/**
 * RawConfig from a lookup of `memcached-gke:<key>` strings (Pulumi's config holds objects as JSON text): a
 * value that is not JSON stays the string it is, and validation reports it like any other problem.
 */
export function rawConfig(stack: string, project: unknown, get: (key: string) => unknown, setKeys: string[]): RawConfig {
  const parsed = (key: string) => {
    const value = get(key);
    if (typeof value !== "string") return value;
    try { return JSON.parse(value); } catch { return value; }
  };
  const otherKeys = setKeys.filter((k) => k.startsWith(`${PROJECT_NAMESPACE}:`)).map((k) => k.slice(PROJECT_NAMESPACE.length + 1))
    .filter((k) => !KNOWN_KEYS.includes(k));
  return { stack, project, target: get("target"), otherKeys, ...Object.fromEntries(SECTIONS.map((k) => [k, parsed(k)])) };
}

export class ConfigErrors extends Error {
  constructor(public readonly problems: string[]) {
    super(`invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
      problems.map((p) => `  - ${p}`).join("\n"));
    this.name = "ConfigErrors";
  }
}

/** Connections memcached must accept: one per mcrouter proxy thread per node, plus headroom. */
export function requiredMemcachedConnections(nodeCount: number, numProxies: number): number {
  return nodeCount * numProxies + CONNECTION_HEADROOM;
}

const isSet = (value: unknown) => value !== undefined && value !== null && !(typeof value === "object" && Object.keys(value).length === 0);

function checkCluster(stack: string, c: ClusterConfig, problems: string[]): ClusterConfig {
  const fail = (field: string, value: unknown, why: string) => problems.push(`cluster.${field}: ${JSON.stringify(value)} ${why}`);
  const location = c.location === "" ? "is missing; set cluster.location to a zone (e.g. us-central1-f) or a region with cluster.nodeLocations"
    : gcpLocation(c.location, c.allowUnlistedLocations);
  if (typeof location === "string") fail("location", c.location, location);
  c.nodeLocations.forEach((zone, i) => {
    const z = gcpLocation(zone, c.allowUnlistedLocations);
    if (typeof z === "string") fail(`nodeLocations[${i}]`, zone, z);
    else if (z.kind !== "zone") fail(`nodeLocations[${i}]`, zone, "is a region; list zones, e.g. us-central1-a");
    else if (typeof location !== "string" && location.kind === "region" && z.region !== location.region) fail(`nodeLocations[${i}]`, zone, `is not a zone of region ${location.region}`);
  });
  if (typeof location !== "string" && location.kind === "region") {
    if (c.nodeLocations.length === 0) {
      fail("location", c.location, `is a region: GKE would create nodeCount (${c.nodeCount}) nodes in each of its zones. ` +
        `Use a zone (e.g. ${c.location}-f) for a zonal cluster, or list the zones in cluster.nodeLocations so that ${c.nodeCount} nodes are spread over them`);
    } else if (c.nodeCount % c.nodeLocations.length !== 0) {
      fail("nodeCount", c.nodeCount, `cannot be spread evenly over the ${c.nodeLocations.length} zones of cluster.nodeLocations; ` +
        `use a multiple of ${c.nodeLocations.length} or list ${c.nodeCount} zone(s)`);
    }
  } else if (typeof location !== "string" && c.nodeLocations.length > 0) {
    fail("nodeLocations", c.nodeLocations, "is only for a regional cluster.location; remove it for a zonal cluster");
  }
  if (c.maxNodeCount !== 0 && c.maxNodeCount < c.nodeCount) {
    fail("maxNodeCount", c.maxNodeCount, `is below cluster.nodeCount (${c.nodeCount}), the autoscaler's minimum; set it to at least ${c.nodeCount}, or 0 for no autoscaling`);
  }
  return {
    ...c,
    name: c.name || `memcached-${stack}`,
    masterAuthorizedNetworks: c.masterAuthorizedNetworks.map((n, i) => ({ cidrBlock: n.cidrBlock, displayName: n.displayName || `network-${i}` })),
  };
}

function checkExistingCluster(e: ExistingClusterConfig, problems: string[]): void {
  const alreadyReported = problems.some((p) => p.startsWith("existingCluster.nodeAllocatable"));
  if (e.renderYamlToDirectory) {
    for (const field of ["kubeconfig", "context"] as const) {
      if (e[field]) {
        problems.push(`existingCluster.${field}: ${JSON.stringify(e[field])} cannot be combined with existingCluster.renderYamlToDirectory (rendering needs no cluster); remove one of them`);
      }
    }
  }
  const { cpu, memory } = e.nodeAllocatable;
  if ((cpu === "") !== (memory === "") && !alreadyReported) {
    problems.push(`existingCluster.nodeAllocatable.${cpu === "" ? "cpu" : "memory"}: "" is missing: set both existingCluster.nodeAllocatable.cpu and .memory (from \`kubectl describe node\`), or neither`);
  }
}

function checkMemcached(m: MemcachedConfig, problems: string[]): void {
  if (m.memoryMb < MIN_MEMORY_MB) {
    const limit = memcachedMemoryLimitMib(m);
    problems.push(`memcached.memoryMb: ${m.memoryMb} is below the ${MIN_MEMORY_MB} MiB minimum: the container limit would be ` +
      `mostly memcached's own overhead (${limit - m.memoryMb} of ${limit} MiB); set at least ${MIN_MEMORY_MB}`);
  }
  if (m.maxItemSizeMb * 2 > m.memoryMb) {
    problems.push(`memcached.maxItemSizeMb: ${m.maxItemSizeMb} is more than half of memcached.memoryMb (${m.memoryMb}); ` +
      `memcached needs room for at least two slab pages: set it to at most ${Math.floor(m.memoryMb / 2)}`);
  }
}

/** Validates the raw config; returns the typed config or throws ConfigErrors listing every problem. */
export function parseStackConfig(raw: RawConfig): StackConfig {
  const problems: string[] = [];
  const target = raw.target ?? "gke";
  if (!TARGETS.includes(target as Target)) {
    problems.push(`target: ${JSON.stringify(target)} is not one of ${TARGETS.join(", ")}; set memcached-gke:target`);
  }
  for (const key of raw.otherKeys ?? []) {
    const guess = closest(key, KNOWN_KEYS);
    problems.push(`${PROJECT_NAMESPACE}:${key}: unknown key${guess ? `; did you mean ${PROJECT_NAMESPACE}:${guess}?` : `; the keys are ${KNOWN_KEYS.join(", ")}`} ` +
      `(remove it with \`pulumi config rm ${PROJECT_NAMESPACE}:${key}\`)`);
  }
  const onGke = target !== "existing";
  const [ownKey, otherKey] = onGke ? ["cluster", "existingCluster"] as const : ["existingCluster", "cluster"] as const;
  if (isSet(raw[otherKey])) {
    problems.push(`${otherKey}: ${JSON.stringify(raw[otherKey])} is set, but this stack's target is ${onGke ? "gke" : "existing"}, which ignores it; ` +
      `remove it (\`pulumi config rm memcached-gke:${otherKey}\`) or set memcached-gke:target ${onGke ? "existing" : "gke"}`);
  }
  let project = "";
  if (onGke) {
    if (typeof raw.project !== "string" || raw.project === "") {
      problems.push(`gcp:project: ${JSON.stringify(raw.project ?? null)} is missing; run \`pulumi config set gcp:project <your-project-id>\``);
    } else {
      const bad = projectId(raw.project);
      if (bad) problems.push(`gcp:project: ${JSON.stringify(raw.project)} ${bad}`);
      project = raw.project;
    }
  }
  const own = read(SCHEMA[ownKey], raw[ownKey], ownKey, problems);
  const cluster = onGke ? checkCluster(raw.stack, own as ClusterConfig, problems) : undefined;
  const existingCluster = onGke ? undefined : own as ExistingClusterConfig;
  if (existingCluster) checkExistingCluster(existingCluster, problems);
  const memcached = read(SCHEMA.memcached, raw.memcached, "memcached", problems);
  checkMemcached(memcached, problems);
  const mcrouter = read(SCHEMA.mcrouter, raw.mcrouter, "mcrouter", problems);
  if (mcrouter.probeTimeoutMaxMs < mcrouter.probeTimeoutInitialMs) {
    problems.push(`mcrouter.probeTimeoutMaxMs: ${mcrouter.probeTimeoutMaxMs} is below mcrouter.probeTimeoutInitialMs (${mcrouter.probeTimeoutInitialMs}); set it to at least that`);
  }
  const sampleApp = read(SCHEMA.sampleApp, raw.sampleApp, "sampleApp", problems);
  const metrics = read(SCHEMA.metrics, raw.metrics, "metrics", problems);
  if (metrics.prometheusOperator && onGke) {
    problems.push("metrics.prometheusOperator: true is for target existing; on GKE the stack enables Managed Service for Prometheus and creates PodMonitoring objects: remove it");
  } else if (metrics.prometheusOperator && !metrics.enabled) {
    problems.push("metrics.prometheusOperator: true needs metrics.enabled (there is nothing to scrape without the exporters): remove one of them");
  }
  const nodeCount = cluster?.nodeCount ?? existingCluster!.nodeCount;

  const needed = requiredMemcachedConnections(nodeCount, mcrouter.numProxies);
  if (memcached.maxConnections < needed) {
    problems.push(`memcached.maxConnections: ${memcached.maxConnections} is below ${needed} ` +
      `(${nodeCount} nodes x ${mcrouter.numProxies} mcrouter proxies + ${CONNECTION_HEADROOM} headroom); set it to at least ${needed}`);
  }
  const namespaces = [memcached.namespace, mcrouter.namespace, sampleApp.namespace];
  if (new Set(namespaces).size !== namespaces.length) {
    problems.push(`memcached.namespace, mcrouter.namespace, sampleApp.namespace: ${JSON.stringify(namespaces)} must differ: ` +
      "each tier gets its own Pod Security level and NetworkPolicies");
  }
  // The capacity model needs every size to be valid: it runs once the rest of the config is.
  if (problems.length === 0) problems.push(...capacityProblems({ cluster, existingCluster, memcached, mcrouter, sampleApp, metrics }));
  if (problems.length > 0) throw new ConfigErrors(problems);
  return { target: onGke ? "gke" : "existing", project, cluster, existingCluster, nodeCount, memcached, mcrouter, sampleApp, metrics };
}
