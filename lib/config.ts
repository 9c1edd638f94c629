// The stack's whole configuration as one typed object, and its validation. Pure: it takes the raw values
// `pulumi config` holds and returns either the config or every problem at once, each naming the key, the
// bad value and the fix. Nothing here reads Pulumi config or creates resources (see stackConfig.ts).
import { capacityProblems } from "./capacityCheck";
import { machineShape } from "./machineTypes";
import { memcachedMemoryLimitMib, MIN_MEMORY_MB } from "./sizing";

export type ReleaseChannel = "RAPID" | "REGULAR" | "STABLE";
export type Target = "gke" | "existing";

export interface AuthorizedNetwork {
  cidrBlock: string;
  displayName: string;
}

export interface ClusterConfig {
  /** GKE cluster name; defaults to `memcached-<stack>`. */
  name: string;
  /** A zone (`us-central1-f`, zonal cluster) or a region (`us-central1`, regional cluster). */
  location: string;
  /** Zones of the node pool. Required for a regional location, so the total node count is explicit. */
  nodeLocations: string[];
  /** Total number of nodes in the cluster, across all zones; the autoscaler's minimum. */
  nodeCount: number;
  /** Total maximum with node-pool autoscaling (the cluster autoscaler adds nodes for Pending pods); 0: no autoscaling. */
  maxNodeCount: number;
  machineType: string;
  diskSizeGb: number;
  diskType: "pd-standard" | "pd-balanced" | "pd-ssd";
  releaseChannel: ReleaseChannel;
  deletionProtection: boolean;
  /** CIDRs allowed to reach the control plane. Empty: no restriction (dev only; prod must list its own). */
  masterAuthorizedNetworks: AuthorizedNetwork[];
  /** Nodes get no external IP (needs Cloud NAT for image pulls from outside Google). */
  privateNodes: boolean;
  /** /28 for the control plane's peering range, used only with privateNodes. */
  masterIpv4CidrBlock: string;
  /** Daily maintenance window start, `HH:MM` UTC. */
  maintenanceStartTime: string;
  network: string;
  subnetwork: string;
}

export interface ExistingClusterConfig {
  /** Path of the kubeconfig to deploy with; empty: the Kubernetes provider's default ($KUBECONFIG, ~/.kube/config). */
  kubeconfig: string;
  /** Context within that kubeconfig; empty: its current context. */
  context: string;
  /** Nodes the mcrouter DaemonSet will run on; sizes memcached's -c. */
  nodeCount: number;
  /** When set, the provider writes the manifests to this directory instead of applying them. */
  renderYamlToDirectory: string;
  /** What each node has free for this stack (`kubectl describe node`: allocatable less your own per-node pods); empty: no capacity check. */
  nodeAllocatable: { cpu: string; memory: string };
}

export interface MemcachedConfig {
  namespace: string;
  replicas: number;
  memoryMb: number;
  maxItemSizeMb: number;
  maxConnections: number;
  threads: number;
  cpu: string;
  image: string;
  clusterDomain: string;
}

export interface McrouterConfig {
  namespace: string;
  image: string;
  numProxies: number;
  serverTimeoutMs: number;
  timeoutsUntilTko: number;
  probeTimeoutInitialMs: number;
  probeTimeoutMaxMs: number;
  cpu: string;
  memoryMb: number;
}

export interface SampleAppConfig {
  namespace: string;
  replicas: number;
  image: string;
}

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
}

/** The project's structured config keys (`memcached-gke:<key>`), each an object of fields. */
export const SECTIONS = ["cluster", "existingCluster", "memcached", "mcrouter", "sampleApp"] as const;

/** The raw values as `pulumi config` holds them; anything may be missing or of the wrong type. */
export type RawConfig = { stack: string; project?: unknown; target?: unknown } & { [K in typeof SECTIONS[number]]?: unknown };

/** RawConfig from a lookup of `memcached-gke:<key>` values (Pulumi's config, or a stack file in tests). */
export function rawConfig(stack: string, project: unknown, get: (key: string) => unknown): RawConfig {
  return { stack, project, target: get("target"), ...Object.fromEntries(SECTIONS.map((k) => [k, get(k)])) };
}

export const MEMCACHED_PORT = 11211;
export const MCROUTER_PORT = 5000;
/** Connections beyond mcrouter's: probes, `kubectl exec` debugging, a stats scraper. */
export const CONNECTION_HEADROOM = 64;

export const DEFAULTS = {
  cluster: {
    nodeLocations: [] as string[],
    nodeCount: 3,
    maxNodeCount: 0,
    machineType: "e2-standard-2",
    diskSizeGb: 50,
    diskType: "pd-balanced",
    releaseChannel: "REGULAR",
    deletionProtection: true,
    masterAuthorizedNetworks: [] as AuthorizedNetwork[],
    privateNodes: false,
    masterIpv4CidrBlock: "172.16.0.32/28",
    maintenanceStartTime: "03:00",
    network: "default",
    subnetwork: "",
  },
  existingCluster: { kubeconfig: "", context: "", nodeCount: 3, renderYamlToDirectory: "", nodeAllocatable: { cpu: "", memory: "" } },
  memcached: {
    namespace: "memcached",
    replicas: 3,
    memoryMb: 1024,
    maxItemSizeMb: 1,
    maxConnections: 1024,
    threads: 4,
    cpu: "500m",
    image: "memcached:1.6.38-alpine",
    clusterDomain: "cluster.local",
  },
  mcrouter: {
    namespace: "mcrouter",
    // There is no official image; this is the one the Helm stable/mcrouter chart shipped (see README).
    image: "jphalip/mcrouter:0.36.0",
    numProxies: 2,
    serverTimeoutMs: 1000,
    timeoutsUntilTko: 3,
    probeTimeoutInitialMs: 3000,
    probeTimeoutMaxMs: 60000,
    cpu: "250m",
    memoryMb: 256,
  },
  sampleApp: { namespace: "cache-clients", replicas: 9, image: "busybox:1.37.0" },
} as const;

const ZONE = /^[a-z]+-[a-z]+[0-9]+-[a-z]$/;
const REGION = /^[a-z]+-[a-z]+[0-9]+$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const CLUSTER_NAME = /^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$/;
const CIDR = /^([0-9]{1,3}\.){3}[0-9]{1,3}\/([0-9]|[12][0-9]|3[0-2])$/;
const CPU = /^([0-9]+m|[0-9]+(\.[0-9]+)?)$/;
const HH_MM = /^([01][0-9]|2[0-3]):[0-5][0-9]$/;
/** An image reference pinned by tag (not `latest`) or by digest. */
const PINNED_IMAGE = /^[a-z0-9][a-z0-9._\/:-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[a-f0-9]{64})$/;

export class ConfigErrors extends Error {
  constructor(public readonly problems: string[]) {
    super(`invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
      problems.map((p) => `  - ${p}`).join("\n"));
    this.name = "ConfigErrors";
  }
}

/** Reads one structured key field by field, recording each problem instead of stopping at the first. */
class Section {
  constructor(
    private readonly key: string,
    private readonly raw: Record<string, unknown>,
    private readonly problems: string[],
  ) {}

  static of(key: string, value: unknown, problems: string[]): Section {
    if (value === undefined || value === null) return new Section(key, {}, problems);
    if (typeof value !== "object" || Array.isArray(value)) {
      problems.push(`${key}: expected an object, got ${JSON.stringify(value)}; set its fields with \`pulumi config set --path ${key}.<field> <value>\``);
      return new Section(key, {}, problems);
    }
    return new Section(key, value as Record<string, unknown>, problems);
  }

  path(field: string): string {
    return `${this.key}.${field}`;
  }

  fail(field: string, value: unknown, fix: string): void {
    this.problems.push(`${this.path(field)}: ${JSON.stringify(value)} ${fix}`);
  }

  value(field: string): unknown {
    return this.raw[field];
  }

  string(field: string, fallback: string, pattern?: RegExp, fix?: string): string {
    const value = this.raw[field] ?? fallback;
    if (typeof value !== "string") {
      this.fail(field, value, "is not a string");
      return fallback;
    }
    if (pattern && !pattern.test(value)) this.fail(field, value, fix ?? `does not match ${pattern}`);
    return value;
  }

  oneOf<T extends string>(field: string, fallback: T, allowed: readonly T[]): T {
    const value = this.raw[field] ?? fallback;
    if (!allowed.includes(value as T)) {
      this.fail(field, value, `is not one of ${allowed.join(", ")}; pick one of them`);
      return fallback;
    }
    return value as T;
  }

  integer(field: string, fallback: number, min: number, max: number): number {
    let value = this.raw[field] ?? fallback;
    // `pulumi config set` without --path stores numbers as strings.
    if (typeof value === "string" && /^-?[0-9]+$/.test(value)) value = Number(value);
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
      this.fail(field, value, `must be a whole number from ${min} to ${max}; set a value in that range`);
      return fallback;
    }
    return value;
  }

  boolean(field: string, fallback: boolean): boolean {
    let value = this.raw[field] ?? fallback;
    if (value === "true" || value === "false") value = value === "true";
    if (typeof value !== "boolean") {
      this.fail(field, value, "must be true or false");
      return fallback;
    }
    return value;
  }

  list<T>(field: string, fallback: readonly T[], item: (value: unknown, index: number) => T | undefined): T[] {
    const value = this.raw[field] ?? fallback;
    if (!Array.isArray(value)) {
      this.fail(field, value, "must be a list; set items with `--path`, e.g. field[0]");
      return [...fallback];
    }
    return value.map(item).filter((v): v is T => v !== undefined);
  }
}

function parseCluster(stack: string, raw: unknown, problems: string[]): ClusterConfig {
  const s = Section.of("cluster", raw, problems);
  const d = DEFAULTS.cluster;
  const location = s.string("location", "", undefined);
  const isZone = ZONE.test(location);
  const isRegion = REGION.test(location);
  if (!isZone && !isRegion) {
    s.fail("location", location, "is neither a zone (e.g. us-central1-f) nor a region (e.g. us-central1); set cluster.location");
  }
  const nodeLocations = s.list("nodeLocations", d.nodeLocations, (zone, i) => {
    if (typeof zone === "string" && ZONE.test(zone)) return zone;
    s.fail(`nodeLocations[${i}]`, zone, "is not a zone such as us-central1-a");
    return undefined;
  });
  const nodeCount = s.integer("nodeCount", d.nodeCount, 1, 1000);
  const maxNodeCount = s.integer("maxNodeCount", d.maxNodeCount, 0, 1000);
  if (maxNodeCount !== 0 && maxNodeCount < nodeCount) {
    s.fail("maxNodeCount", maxNodeCount, `is below cluster.nodeCount (${nodeCount}), the autoscaler's minimum; set it to at least ${nodeCount}, or 0 for no autoscaling`);
  }
  const machineType = s.string("machineType", d.machineType);
  const shape = machineShape(machineType);
  if (typeof shape === "string") s.fail("machineType", machineType, shape.startsWith("is ") ? shape : `cannot be sized: ${shape}`);
  if (isRegion) {
    if (nodeLocations.length === 0) {
      s.fail("location", location, `is a region: GKE would create nodeCount (${nodeCount}) nodes in each of its zones. ` +
        `Use a zone (e.g. ${location}-f) for a zonal cluster, or list the zones in cluster.nodeLocations so that ${nodeCount} nodes are spread over them`);
    } else if (nodeCount % nodeLocations.length !== 0) {
      s.fail("nodeCount", nodeCount, `cannot be spread evenly over the ${nodeLocations.length} zones of cluster.nodeLocations; ` +
        `use a multiple of ${nodeLocations.length} or list ${nodeCount} zone(s)`);
    }
    for (const zone of nodeLocations) {
      if (!zone.startsWith(`${location}-`)) s.fail("nodeLocations", zone, `is not a zone of region ${location}`);
    }
  } else if (isZone && nodeLocations.length > 0) {
    s.fail("nodeLocations", nodeLocations, "is only for a regional cluster.location; remove it for a zonal cluster");
  }
  const masterAuthorizedNetworks = s.list("masterAuthorizedNetworks", d.masterAuthorizedNetworks, (entry, i) => {
    const e = Section.of(`cluster.masterAuthorizedNetworks[${i}]`, entry, problems);
    return {
      cidrBlock: e.string("cidrBlock", "", CIDR, "is not an IPv4 CIDR such as 203.0.113.0/24"),
      displayName: e.string("displayName", `network-${i}`),
    };
  });
  return {
    name: s.string("name", `memcached-${stack}`, CLUSTER_NAME, "is not a valid GKE cluster name (lowercase letters, digits, '-', at most 40, starting with a letter)"),
    location,
    nodeLocations,
    nodeCount,
    maxNodeCount,
    machineType,
    diskSizeGb: s.integer("diskSizeGb", d.diskSizeGb, 10, 65536),
    diskType: s.oneOf("diskType", d.diskType, ["pd-standard", "pd-balanced", "pd-ssd"] as const),
    releaseChannel: s.oneOf("releaseChannel", d.releaseChannel, ["RAPID", "REGULAR", "STABLE"] as const),
    deletionProtection: s.boolean("deletionProtection", d.deletionProtection),
    masterAuthorizedNetworks,
    privateNodes: s.boolean("privateNodes", d.privateNodes),
    masterIpv4CidrBlock: s.string("masterIpv4CidrBlock", d.masterIpv4CidrBlock, /\/28$/, "must be a /28 CIDR"),
    maintenanceStartTime: s.string("maintenanceStartTime", d.maintenanceStartTime, HH_MM, "must be HH:MM (UTC)"),
    network: s.string("network", d.network, DNS_LABEL, "is not a VPC network name"),
    subnetwork: s.string("subnetwork", d.subnetwork),
  };
}

function parseExistingCluster(raw: unknown, problems: string[]): ExistingClusterConfig {
  const s = Section.of("existingCluster", raw, problems);
  const d = DEFAULTS.existingCluster;
  const config: ExistingClusterConfig = {
    kubeconfig: s.string("kubeconfig", d.kubeconfig),
    context: s.string("context", d.context),
    nodeCount: s.integer("nodeCount", d.nodeCount, 1, 1000),
    renderYamlToDirectory: s.string("renderYamlToDirectory", d.renderYamlToDirectory),
    nodeAllocatable: parseNodeAllocatable(Section.of("existingCluster.nodeAllocatable", s.value("nodeAllocatable"), problems)),
  };
  if (config.renderYamlToDirectory) {
    for (const field of ["kubeconfig", "context"] as const) {
      if (config[field]) {
        s.fail(field, config[field], "cannot be combined with existingCluster.renderYamlToDirectory (rendering needs no cluster); remove one of them");
      }
    }
  }
  return config;
}

function parseNodeAllocatable(s: Section): ExistingClusterConfig["nodeAllocatable"] {
  const d = DEFAULTS.existingCluster.nodeAllocatable;
  const cpu = s.string("cpu", d.cpu, /^$|^([0-9]+m|[0-9]+(\.[0-9]{1,3})?)$/, "is not a CPU quantity such as 1930m");
  const memory = s.string("memory", d.memory, /^$|^[0-9]+(Ki|Mi|Gi)?$/, "is not a memory quantity such as 6055Mi or 6218300Ki");
  if ((cpu === "") !== (memory === "")) {
    s.fail(cpu === "" ? "cpu" : "memory", "", "is missing: set both existingCluster.nodeAllocatable.cpu and .memory (from `kubectl describe node`), or neither");
  }
  return { cpu, memory };
}

const namespaceName = (s: Section, fallback: string): string =>
  s.string("namespace", fallback, DNS_LABEL, "is not a valid namespace name");

function pinnedImage(s: Section, fallback: string): string {
  const image = s.string("image", fallback);
  if (!PINNED_IMAGE.test(image) || image.endsWith(":latest")) {
    s.fail("image", image, "is not pinned: give an explicit tag other than latest, or a @sha256 digest");
  }
  return image;
}

function parseMemcached(raw: unknown, problems: string[]): MemcachedConfig {
  const s = Section.of("memcached", raw, problems);
  const d = DEFAULTS.memcached;
  const config: MemcachedConfig = {
    namespace: namespaceName(s, d.namespace),
    replicas: s.integer("replicas", d.replicas, 1, 256),
    memoryMb: s.integer("memoryMb", d.memoryMb, 1, 1 << 20),
    maxItemSizeMb: s.integer("maxItemSizeMb", d.maxItemSizeMb, 1, 1024),
    maxConnections: s.integer("maxConnections", d.maxConnections, 1, 1 << 20),
    threads: s.integer("threads", d.threads, 1, 64),
    cpu: s.string("cpu", d.cpu, CPU, "is not a CPU quantity such as 500m or 2"),
    image: pinnedImage(s, d.image),
    clusterDomain: s.string("clusterDomain", d.clusterDomain, /^[a-z0-9.-]+$/, "is not a DNS domain"),
  };
  if (config.memoryMb < MIN_MEMORY_MB) {
    const limit = memcachedMemoryLimitMib(config);
    s.fail("memoryMb", config.memoryMb, `is below the ${MIN_MEMORY_MB} MiB minimum: the container limit would be ` +
      `mostly memcached's own overhead (${limit - config.memoryMb} of ${limit} MiB); set at least ${MIN_MEMORY_MB}`);
  }
  if (config.maxItemSizeMb * 2 > config.memoryMb) {
    s.fail("maxItemSizeMb", config.maxItemSizeMb, `is more than half of memcached.memoryMb (${config.memoryMb}); ` +
      `memcached needs room for at least two slab pages: set it to at most ${Math.floor(config.memoryMb / 2)}`);
  }
  return config;
}

function parseMcrouter(raw: unknown, problems: string[]): McrouterConfig {
  const s = Section.of("mcrouter", raw, problems);
  const d = DEFAULTS.mcrouter;
  const config: McrouterConfig = {
    namespace: namespaceName(s, d.namespace),
    image: pinnedImage(s, d.image),
    numProxies: s.integer("numProxies", d.numProxies, 1, 64),
    serverTimeoutMs: s.integer("serverTimeoutMs", d.serverTimeoutMs, 1, 60000),
    timeoutsUntilTko: s.integer("timeoutsUntilTko", d.timeoutsUntilTko, 1, 100),
    probeTimeoutInitialMs: s.integer("probeTimeoutInitialMs", d.probeTimeoutInitialMs, 100, 600000),
    probeTimeoutMaxMs: s.integer("probeTimeoutMaxMs", d.probeTimeoutMaxMs, 100, 3600000),
    cpu: s.string("cpu", d.cpu, CPU, "is not a CPU quantity such as 250m or 1"),
    memoryMb: s.integer("memoryMb", d.memoryMb, 32, 1 << 16),
  };
  if (config.probeTimeoutMaxMs < config.probeTimeoutInitialMs) {
    s.fail("probeTimeoutMaxMs", config.probeTimeoutMaxMs,
      `is below mcrouter.probeTimeoutInitialMs (${config.probeTimeoutInitialMs}); set it to at least that`);
  }
  return config;
}

function parseSampleApp(raw: unknown, problems: string[]): SampleAppConfig {
  const s = Section.of("sampleApp", raw, problems);
  const d = DEFAULTS.sampleApp;
  return {
    namespace: namespaceName(s, d.namespace),
    replicas: s.integer("replicas", d.replicas, 1, 1000),
    image: pinnedImage(s, d.image),
  };
}

/** Connections memcached must accept: one per mcrouter proxy thread per node, plus headroom. */
export function requiredMemcachedConnections(nodeCount: number, numProxies: number): number {
  return nodeCount * numProxies + CONNECTION_HEADROOM;
}

/** Validates the raw config; returns the typed config or throws ConfigErrors listing every problem. */
export function parseStackConfig(raw: RawConfig): StackConfig {
  const problems: string[] = [];
  const target = raw.target ?? "gke";
  if (target !== "gke" && target !== "existing") {
    problems.push(`target: ${JSON.stringify(target)} is not one of gke, existing; set memcached-gke:target`);
  }
  const onGke = target !== "existing";
  let project = "";
  if (onGke) {
    if (typeof raw.project !== "string" || raw.project === "") {
      problems.push(`gcp:project: ${JSON.stringify(raw.project ?? null)} is missing; run \`pulumi config set gcp:project <your-project-id>\``);
    } else {
      project = raw.project;
    }
  }
  const cluster = onGke ? parseCluster(raw.stack, raw.cluster, problems) : undefined;
  const existingCluster = onGke ? undefined : parseExistingCluster(raw.existingCluster, problems);
  const memcached = parseMemcached(raw.memcached, problems);
  const mcrouter = parseMcrouter(raw.mcrouter, problems);
  const sampleApp = parseSampleApp(raw.sampleApp, problems);
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
  if (namespaces.includes("default")) {
    problems.push(`namespace: "default" is not allowed; pick a dedicated namespace name`);
  }
  // The capacity model needs every size to be valid: it runs once the rest of the config is.
  if (problems.length === 0) problems.push(...capacityProblems({ cluster, existingCluster, memcached, mcrouter, sampleApp }));
  if (problems.length > 0) throw new ConfigErrors(problems);
  return { target: onGke ? "gke" : "existing", project, cluster, existingCluster, nodeCount, memcached, mcrouter, sampleApp };
}
