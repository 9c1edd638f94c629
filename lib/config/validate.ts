// A stack's configuration validated as a whole. Pure: it takes the raw values `pulumi config` holds and returns
// either the typed config or every problem at once, each naming the key path, the bad value and the fix.
import { capacityProblems } from "../capacity/check";
import { CONNECTION_HEADROOM, requiredMemcachedConnections } from "../capacity/connections";
import { memcachedMemoryLimitMib, MIN_MEMORY_MB } from "../capacity/memcachedMemory";
import { gcpLocation } from "../gke/locations";
import { IN_TRANSIT_ENCRYPTION } from "../gke/requestRules";
import { PROJECT_NAME } from "../project";
import { closest, read } from "./fields";
import {
  ClusterConfig,
  ExistingClusterConfig,
  MemcachedConfig,
  SCHEMA,
  SECTIONS,
  StackConfig,
  Target,
  TARGETS,
} from "./schema";
import { projectId } from "./validators";

const KNOWN_KEYS = ["target", ...SECTIONS];

/** The raw values as `pulumi config` holds them; anything may be missing or of the wrong type. */
export type RawConfig = { stack: string; project?: unknown; target?: unknown; otherKeys?: string[] } & {
  [K in (typeof SECTIONS)[number]]?: unknown;
};

/**
 * RawConfig from a lookup of `memcached-gke:<key>` strings (Pulumi's config holds objects as JSON text): a
 * value that is not JSON stays the string it is, and validation reports it like any other problem.
 */
export function rawConfig(
  stack: string,
  project: unknown,
  get: (key: string) => unknown,
  setKeys: string[],
): RawConfig {
  const parsed = (key: string) => {
    const value = get(key);
    if (typeof value !== "string") return value;
    try {
      return JSON.parse(value);
    } catch {
      return value;
    }
  };
  const otherKeys = setKeys
    .filter((k) => k.startsWith(`${PROJECT_NAME}:`))
    .map((k) => k.slice(PROJECT_NAME.length + 1))
    .filter((k) => !KNOWN_KEYS.includes(k));
  return {
    stack,
    project,
    target: get("target"),
    otherKeys,
    ...Object.fromEntries(SECTIONS.map((k) => [k, parsed(k)])),
  };
}

export class ConfigErrors extends Error {
  constructor(public readonly problems: string[]) {
    super(
      `invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
        problems.map((p) => `  - ${p}`).join("\n"),
    );
    this.name = "ConfigErrors";
  }
}

const isSet = (value: unknown) =>
  value !== undefined && value !== null && !(typeof value === "object" && Object.keys(value).length === 0);

function checkCluster(stack: string, c: ClusterConfig, problems: string[]): ClusterConfig {
  const fail = (field: string, value: unknown, why: string) =>
    problems.push(`cluster.${field}: ${JSON.stringify(value)} ${why}`);
  const location =
    c.location === ""
      ? "is missing; set cluster.location to a zone (e.g. us-central1-f) or a region with cluster.nodeLocations"
      : gcpLocation(c.location, c.allowUnlistedLocations);
  if (typeof location === "string") fail("location", c.location, location);
  c.nodeLocations.forEach((zone, i) => {
    const z = gcpLocation(zone, c.allowUnlistedLocations);
    if (typeof z === "string") fail(`nodeLocations[${i}]`, zone, z);
    else if (z.kind !== "zone") fail(`nodeLocations[${i}]`, zone, "is a region; list zones, e.g. us-central1-a");
    else if (typeof location !== "string" && location.kind === "region" && z.region !== location.region)
      fail(`nodeLocations[${i}]`, zone, `is not a zone of region ${location.region}`);
  });
  if (typeof location !== "string" && location.kind === "region") {
    if (c.nodeLocations.length === 0) {
      fail(
        "location",
        c.location,
        `is a region: GKE would create nodeCount (${c.nodeCount}) nodes in each of its zones. ` +
          `Use a zone (e.g. ${c.location}-f) for a zonal cluster, or list the zones in cluster.nodeLocations so that ${c.nodeCount} nodes are spread over them`,
      );
    } else if (c.nodeCount % c.nodeLocations.length !== 0) {
      fail(
        "nodeCount",
        c.nodeCount,
        `cannot be spread evenly over the ${c.nodeLocations.length} zones of cluster.nodeLocations; ` +
          `use a multiple of ${c.nodeLocations.length} or list ${c.nodeCount} zone(s)`,
      );
    }
  } else if (typeof location !== "string" && c.nodeLocations.length > 0) {
    fail("nodeLocations", c.nodeLocations, "is only for a regional cluster.location; remove it for a zonal cluster");
  }
  if (c.maxNodeCount !== 0 && c.maxNodeCount < c.nodeCount) {
    fail(
      "maxNodeCount",
      c.maxNodeCount,
      `is below cluster.nodeCount (${c.nodeCount}), the autoscaler's minimum; set it to at least ${c.nodeCount}, or 0 for no autoscaling`,
    );
  }
  if (c.controlPlaneEndpoint === "ip" && c.masterAuthorizedNetworks.length === 0 && c.deletionProtection) {
    fail(
      "masterAuthorizedNetworks",
      [],
      "leaves the IP endpoint of a cluster with deletionProtection open to every address: list your admin and CI networks, " +
        "or set cluster.controlPlaneEndpoint dns (IAM-gated, reachable from anywhere with credentials)",
    );
  }
  if (c.masterIpv4CidrBlock !== "" && !c.privateNodes) {
    fail(
      "masterIpv4CidrBlock",
      c.masterIpv4CidrBlock,
      "is only for private nodes; remove it, or set cluster.privateNodes",
    );
  }
  const maxNodes = Math.max(c.nodeCount, c.maxNodeCount);
  if (c.inTransitEncryption && maxNodes > IN_TRANSIT_ENCRYPTION.maxNodes) {
    fail(
      "inTransitEncryption",
      true,
      `is supported on at most ${IN_TRANSIT_ENCRYPTION.maxNodes} nodes (GKE, inter-node transparent encryption), and this cluster may grow to ${maxNodes}: ` +
        `lower cluster.maxNodeCount to ${IN_TRANSIT_ENCRYPTION.maxNodes}, or turn it off`,
    );
  }
  return {
    ...c,
    name: c.name || `memcached-${stack}`,
    masterAuthorizedNetworks: c.masterAuthorizedNetworks.map((n, i) => ({
      cidrBlock: n.cidrBlock,
      displayName: n.displayName || `network-${i}`,
    })),
  };
}

function checkExistingCluster(e: ExistingClusterConfig, problems: string[]): void {
  const alreadyReported = problems.some((p) => p.startsWith("existingCluster.nodeAllocatable"));
  if (e.renderYamlToDirectory) {
    for (const field of ["kubeconfig", "context"] as const) {
      if (e[field]) {
        problems.push(
          `existingCluster.${field}: ${JSON.stringify(e[field])} cannot be combined with existingCluster.renderYamlToDirectory (rendering needs no cluster); remove one of them`,
        );
      }
    }
  }
  const { cpu, memory } = e.nodeAllocatable;
  if ((cpu === "") !== (memory === "") && !alreadyReported) {
    problems.push(
      `existingCluster.nodeAllocatable.${cpu === "" ? "cpu" : "memory"}: "" is missing: set both existingCluster.nodeAllocatable.cpu and .memory (from \`kubectl describe node\`), or neither`,
    );
  }
}

function checkMemcached(m: MemcachedConfig, problems: string[]): void {
  if (m.memoryMb < MIN_MEMORY_MB) {
    const limit = memcachedMemoryLimitMib(m);
    problems.push(
      `memcached.memoryMb: ${m.memoryMb} is below the ${MIN_MEMORY_MB} MiB minimum: the container limit would be ` +
        `mostly memcached's own overhead (${limit - m.memoryMb} of ${limit} MiB); set at least ${MIN_MEMORY_MB}`,
    );
  }
  if (m.maxItemSizeMb * 2 > m.memoryMb) {
    problems.push(
      `memcached.maxItemSizeMb: ${m.maxItemSizeMb} is more than half of memcached.memoryMb (${m.memoryMb}); ` +
        `memcached needs room for at least two slab pages: set it to at most ${Math.floor(m.memoryMb / 2)}`,
    );
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
    problems.push(
      `${PROJECT_NAME}:${key}: unknown key${guess ? `; did you mean ${PROJECT_NAME}:${guess}?` : `; the keys are ${KNOWN_KEYS.join(", ")}`} ` +
        `(remove it with \`pulumi config rm ${PROJECT_NAME}:${key}\`)`,
    );
  }
  const onGke = target !== "existing";
  const [ownKey, otherKey] = onGke
    ? (["cluster", "existingCluster"] as const)
    : (["existingCluster", "cluster"] as const);
  if (isSet(raw[otherKey])) {
    problems.push(
      `${otherKey}: ${JSON.stringify(raw[otherKey])} is set, but this stack's target is ${onGke ? "gke" : "existing"}, which ignores it; ` +
        `remove it (\`pulumi config rm memcached-gke:${otherKey}\`) or set memcached-gke:target ${onGke ? "existing" : "gke"}`,
    );
  }
  let project = "";
  if (onGke) {
    if (typeof raw.project !== "string" || raw.project === "") {
      problems.push(
        `gcp:project: ${JSON.stringify(raw.project ?? null)} is missing; run \`pulumi config set gcp:project <your-project-id>\``,
      );
    } else {
      const bad = projectId(raw.project);
      if (bad) problems.push(`gcp:project: ${JSON.stringify(raw.project)} ${bad}`);
      project = raw.project;
    }
  }
  const own = read(SCHEMA[ownKey], raw[ownKey], ownKey, problems);
  const cluster = onGke ? checkCluster(raw.stack, own as ClusterConfig, problems) : undefined;
  const existingCluster = onGke ? undefined : (own as ExistingClusterConfig);
  if (existingCluster) checkExistingCluster(existingCluster, problems);
  const memcached = read(SCHEMA.memcached, raw.memcached, "memcached", problems);
  checkMemcached(memcached, problems);
  const mcrouter = read(SCHEMA.mcrouter, raw.mcrouter, "mcrouter", problems);
  if (mcrouter.probeTimeoutMaxMs < mcrouter.probeTimeoutInitialMs) {
    problems.push(
      `mcrouter.probeTimeoutMaxMs: ${mcrouter.probeTimeoutMaxMs} is below mcrouter.probeTimeoutInitialMs (${mcrouter.probeTimeoutInitialMs}); set it to at least that`,
    );
  }
  const sampleApp = read(SCHEMA.sampleApp, raw.sampleApp, "sampleApp", problems);
  const metrics = read(SCHEMA.metrics, raw.metrics, "metrics", problems);
  if (metrics.prometheusOperator && onGke) {
    problems.push(
      "metrics.prometheusOperator: true is for target existing; on GKE the stack enables Managed Service for Prometheus and creates PodMonitoring objects: remove it",
    );
  } else if (metrics.prometheusOperator && !metrics.enabled) {
    problems.push(
      "metrics.prometheusOperator: true needs metrics.enabled (there is nothing to scrape without the exporters): remove one of them",
    );
  }
  const nodeCount = cluster?.nodeCount ?? existingCluster!.nodeCount;

  // Every node the autoscaler may add runs an mcrouter that connects to every memcached pod.
  const mostNodes = cluster ? Math.max(cluster.nodeCount, cluster.maxNodeCount) : nodeCount;
  const needed = requiredMemcachedConnections(mostNodes, mcrouter.numProxies);
  if (memcached.maxConnections < needed) {
    const nodes = mostNodes > nodeCount ? `${mostNodes} nodes (cluster.maxNodeCount)` : `${nodeCount} nodes`;
    problems.push(
      `memcached.maxConnections: ${memcached.maxConnections} is below ${needed} ` +
        `(${nodes} x ${mcrouter.numProxies} mcrouter proxies + ${CONNECTION_HEADROOM} headroom); set it to at least ${needed}`,
    );
  }
  const namespaces = [memcached.namespace, mcrouter.namespace, sampleApp.namespace];
  if (new Set(namespaces).size !== namespaces.length) {
    problems.push(
      `memcached.namespace, mcrouter.namespace, sampleApp.namespace: ${JSON.stringify(namespaces)} must differ: ` +
        "each tier gets its own Pod Security level and NetworkPolicies",
    );
  }
  // The capacity model needs every size to be valid: it runs once the rest of the config is.
  if (problems.length === 0)
    problems.push(...capacityProblems({ cluster, existingCluster, memcached, mcrouter, sampleApp, metrics }));
  if (problems.length > 0) throw new ConfigErrors(problems);
  return {
    target: onGke ? "gke" : "existing",
    project,
    cluster,
    existingCluster,
    nodeCount,
    memcached,
    mcrouter,
    sampleApp,
    metrics,
  };
}
