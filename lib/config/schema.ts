// The stack's configuration keys, declared once: each field's type, default, description and value check
// (SCHEMA), and the types the program reads. Pulumi.yaml's declarations and the docs' key table are generated
// from it (scripts/config-docs.ts); lib/config/validate.ts checks a stack's values against it.
import { boolean, defaultOf, integer, list, object, oneOf, string, ValuesOf } from "./fields";
import {
  MCROUTER_EXPORTER_IMAGE,
  MCROUTER_IMAGE,
  MEMCACHED_EXPORTER_IMAGE,
  MEMCACHED_IMAGE,
  SAMPLE_APP_IMAGE,
} from "../images";
import { MANAGED_COLLECTOR_NAMESPACES } from "../gke/requestRules";
import { RUNBOOK_DEFAULT } from "../project";
import { MCROUTER_METRICS_PORT, METRICS_PORT } from "../ports";
import {
  cidr,
  clusterDomain,
  clusterName,
  dnsLabel,
  hhmm,
  machineType,
  memoryQuantity,
  namespaceName,
  optional,
  pinnedImage,
  positiveCpu,
  privateSlash28,
} from "./validators";

export const TARGETS = ["gke", "existing"] as const;
export type Target = (typeof TARGETS)[number];
export const TARGET_DOC =
  "Where the cache runs: `gke` (create a GKE cluster) or `existing` (deploy onto the cluster of a kubeconfig, no GCP needed).";

export const SCHEMA = {
  cluster: object("GKE cluster (target gke).", {
    name: string("GKE cluster name; empty: memcached-<stack>", "", clusterName),
    location: string(
      "zone (zonal cluster, e.g. us-central1-f) or region (regional cluster, with nodeLocations); required",
      "",
    ),
    allowUnlistedLocations: boolean(
      "accept a zone or region newer than the repository's table (lib/gke/locations.ts)",
      false,
    ),
    nodeLocations: list("zones of a regional cluster's node pool", string("zone", ""), (zone) => zone),
    nodeCount: integer(
      "TOTAL nodes across zones (with 3 zones and 3, one per zone); the autoscaler's minimum",
      3,
      1,
      1000,
    ),
    maxNodeCount: integer("TOTAL maximum with node-pool autoscaling; 0: no autoscaling", 0, 0, 1000),
    machineType: string("Compute Engine machine type (one the capacity model sizes)", "e2-standard-2", machineType),
    diskSizeGb: integer("node boot disk, GB", 50, 10, 65536),
    diskType: oneOf("node boot disk type", "pd-balanced", ["pd-standard", "pd-balanced", "pd-ssd"] as const),
    releaseChannel: oneOf("GKE release channel", "REGULAR", ["RAPID", "REGULAR", "STABLE"] as const),
    deletionProtection: boolean(
      "GKE's deletion protection, and every resource of the stack protected in Pulumi's state: pulumi destroy, and any change that would delete or replace a resource, refuse before deleting anything",
      true,
    ),
    controlPlaneEndpoint: oneOf(
      "how Pulumi and kubectl reach the control plane: dns (GKE's DNS-based endpoint, IAM-gated, from anywhere with credentials) or ip (the IP endpoint, behind masterAuthorizedNetworks)",
      "dns",
      ["dns", "ip"] as const,
    ),
    masterAuthorizedNetworks: list(
      "CIDRs allowed to reach the control plane's IP endpoint ([{cidrBlock, displayName}]); empty: none with controlPlaneEndpoint dns, anyone with ip (not on a cluster with deletionProtection)",
      object("an authorized network", {
        cidrBlock: string("IPv4 CIDR", "", cidr),
        displayName: string("name shown in the console; empty: network-<index>", ""),
      }),
      (n) => n.cidrBlock,
    ),
    privateNodes: boolean(
      "nodes get no external IP; the stack adds a Cloud Router and Cloud NAT for the cluster's subnetwork, through which images are pulled",
      false,
    ),
    masterIpv4CidrBlock: string(
      "/28 for a VPC-peering control plane (privateNodes only); empty: Private Service Connect, which needs none. Setting or changing it replaces the cluster",
      "",
      optional(privateSlash28),
    ),
    nodeLocalDnsCache: boolean(
      "NodeLocal DNSCache on every node (GKE's default for new clusters); changing it re-creates every node",
      true,
    ),
    inTransitEncryption: boolean(
      "GKE inter-node transparent encryption (WireGuard in Dataplane V2) of pod traffic between nodes: mcrouter to memcached pods on other nodes",
      false,
    ),
    acknowledgeReplacement: string(
      "the fingerprint a refused change prints: lets that one change replace the cluster (and lose the cache)",
      "",
    ),
    maintenanceStartTime: string("daily maintenance window start, HH:MM UTC", "03:00", hhmm),
    network: string("VPC network", "default", dnsLabel("VPC network name")),
    subnetwork: string("VPC subnetwork; empty: the network's default", "", optional(dnsLabel("subnetwork name"))),
  }),
  existingCluster: object("Existing cluster (target existing).", {
    kubeconfig: string("kubeconfig path; empty: $KUBECONFIG or ~/.kube/config", ""),
    context: string("context in it; empty: its current context", ""),
    nodeCount: integer("nodes mcrouter will run on (sizes memcached -c)", 3, 1, 1000),
    renderYamlToDirectory: string("write the manifests there instead of applying them", ""),
    nodeAllocatable: object(
      "what each node has free for this stack (kubectl describe node: allocatable less your own per-node pods); enables the capacity check",
      {
        cpu: string("CPU, e.g. 1930m", "", optional(positiveCpu)),
        memory: string("memory, e.g. 6055Mi", "", optional(memoryQuantity)),
      },
    ),
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
    probeTimeoutMaxMs: integer(
      "--probe-timeout-max (at least probeTimeoutInitialMs): a TKO server is probed at most this far apart",
      10000,
      100,
      3600000,
    ),
    cpu: string("CPU a pod (request = limit)", "250m", positiveCpu),
    memoryMb: integer("memory a pod, MiB", 256, 32, 1 << 16),
  }),
  metrics: object("Prometheus metrics.", {
    enabled: boolean(
      `exporter sidecars (memcached_exporter on ${METRICS_PORT} in each memcached pod, mcrouter_exporter on ${MCROUTER_METRICS_PORT} in each mcrouter pod), and the objects that have them scraped`,
      true,
    ),
    memcachedExporterImage: string("memcached exporter image, pinned", MEMCACHED_EXPORTER_IMAGE, pinnedImage),
    mcrouterExporterImage: string("mcrouter exporter image, pinned", MCROUTER_EXPORTER_IMAGE, pinnedImage),
    prometheusOperator: boolean(
      "target existing: PodMonitor objects for the Prometheus Operator (needs its CRDs); GKE always gets Managed Prometheus PodMonitoring",
      false,
    ),
    collectorNamespaces: list(
      `namespaces of the scraper the NetworkPolicies admit to ports ${METRICS_PORT} and ${MCROUTER_METRICS_PORT} (GKE Managed Prometheus: gmp-system on Standard, gke-gmp-system on Autopilot and newer clusters)`,
      string("namespace", "", dnsLabel("namespace name")),
      (ns) => ns,
      [...MANAGED_COLLECTOR_NAMESPACES],
    ),
    hitRatioFloorPercent: integer(
      "alert MemcachedHitRatioLow below this share of gets that hit, for 15 minutes",
      80,
      1,
      99,
    ),
    evictionsPerSecond: integer(
      "alert MemcachedEvicting above this many evictions a second in a pod, for 15 minutes",
      50,
      1,
      1000000,
    ),
    runbookUrl: string(
      "where your team reads docs/operations.md (e.g. its URL in your repository host); each alert's runbook_url annotation is this and #<alert name in lower case>, its runbook's section",
      RUNBOOK_DEFAULT,
    ),
  }),
  sampleApp: object("Sample application Deployment.", {
    namespace: string("namespace", "cache-clients", namespaceName),
    replicas: integer("pods", 9, 1, 1000),
    image: string("image, pinned (busybox: the data-path probe needs sh, nc, timeout)", SAMPLE_APP_IMAGE, pinnedImage),
  }),
};

/** The project's structured config keys (`memcached-gke:<key>`), each an object of fields. */
export const SECTIONS = Object.keys(SCHEMA) as (keyof typeof SCHEMA)[];
type Section<K extends keyof typeof SCHEMA> = ValuesOf<(typeof SCHEMA)[K]["fields"]>;
export type ClusterConfig = Section<"cluster">;
export type ExistingClusterConfig = Section<"existingCluster">;
export type MemcachedConfig = Section<"memcached">;
export type McrouterConfig = Section<"mcrouter">;
export type SampleAppConfig = Section<"sampleApp">;
export type MetricsConfig = Section<"metrics">;
export type AuthorizedNetwork = ClusterConfig["masterAuthorizedNetworks"][number];

export const DEFAULTS = Object.fromEntries(SECTIONS.map((k) => [k, defaultOf(SCHEMA[k])])) as {
  [K in keyof typeof SCHEMA]: Section<K>;
};

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
