// Bad configurations a careless or hostile user might set, as Pulumi config overrides of a committed stack
// (`memcached-gke:<key>` -> value, as `pulumi config set` would leave it). Shared by the validation table
// and the program-level test that none of them registers a resource.
import { committedStackConfig } from "../../lib/stackFiles";

const committed = (stack: string, key: string): Record<string, unknown> => committedStackConfig(stack)[key] ?? {};
/** The dev stack's section `key` with `fields` changed. */
const dev = (key: string, fields: Record<string, unknown>) => ({
  [`memcached-gke:${key}`]: { ...committed("dev", `memcached-gke:${key}`), ...fields },
});
const local = (key: string, fields: Record<string, unknown>) => ({
  [`memcached-gke:${key}`]: { ...committed("local", `memcached-gke:${key}`), ...fields },
});

export type BadConfig = [name: string, stack: "dev" | "local", overrides: Record<string, unknown>];

export const BAD_CONFIGS: BadConfig[] = [
  // Unknown keys and fields, and the other target's keys.
  ["a misspelt field (replica)", "dev", dev("memcached", { replica: 10 })],
  ["a field in the wrong case (memoryMB)", "dev", dev("memcached", { memoryMB: 2048 })],
  ["cluster.nodecount", "dev", dev("cluster", { nodecount: 5 })],
  ["a field no section has", "dev", dev("sampleApp", { colour: "blue" })],
  ["a misspelt section (memcache)", "dev", { "memcached-gke:memcache": { replicas: 5 } }],
  ["an unknown key", "dev", { "memcached-gke:monitoring": { enabled: true } }],
  ["the Prometheus Operator's PodMonitor on GKE", "dev", { "memcached-gke:metrics": { prometheusOperator: true } }],
  [
    "a PodMonitor without the exporter",
    "local",
    { "memcached-gke:metrics": { enabled: false, prometheusOperator: true } },
  ],
  [
    "a collector namespace that is not a name",
    "local",
    { "memcached-gke:metrics": { collectorNamespaces: ["monitoring", "GMP System"] } },
  ],
  ["existingCluster on a GKE stack", "dev", { "memcached-gke:existingCluster": { kubeconfig: "/tmp/k" } }],
  ["cluster on an existing stack", "local", { "memcached-gke:cluster": { location: "us-central1-f" } }],
  [
    "an unknown field of an authorized network",
    "dev",
    dev("cluster", { masterAuthorizedNetworks: [{ cidr: "203.0.113.0/24" }] }),
  ],
  ["existingCluster.kubeConfig", "local", local("existingCluster", { kubeConfig: "/tmp/k" })],
  [
    "an unknown field of nodeAllocatable",
    "local",
    local("existingCluster", { nodeAllocatable: { cpu: "2", mem: "6Gi" } }),
  ],
  // Sections of the wrong shape.
  ["sampleApp as a string", "dev", { "memcached-gke:sampleApp": "replicas: 2" }],
  ["memcached as a number", "dev", { "memcached-gke:memcached": 5 }],
  ["mcrouter as a list", "dev", { "memcached-gke:mcrouter": [1] }],
  ["nodeAllocatable as a string", "local", local("existingCluster", { nodeAllocatable: "2 CPUs" })],
  ["masterAuthorizedNetworks as a string", "dev", dev("cluster", { masterAuthorizedNetworks: "203.0.113.0/24" })],
  // Locations.
  ["a zone that does not exist", "dev", dev("cluster", { location: "us-central1-z" })],
  ["a region that does not exist", "dev", dev("cluster", { location: "mars-north9" })],
  ["a zone of an unknown region", "dev", dev("cluster", { location: "moon-east1-a" })],
  ["a location that is neither", "dev", dev("cluster", { location: "mars" })],
  ["no location", "dev", dev("cluster", { location: undefined })],
  ["a region without nodeLocations", "dev", dev("cluster", { location: "us-central1" })],
  [
    "duplicated nodeLocations",
    "dev",
    dev("cluster", { location: "us-central1", nodeLocations: ["us-central1-a", "us-central1-a", "us-central1-b"] }),
  ],
  [
    "a zone of another region",
    "dev",
    dev("cluster", { location: "us-central1", nodeLocations: ["europe-west1-b", "us-central1-a", "us-central1-b"] }),
  ],
  [
    "a region among nodeLocations",
    "dev",
    dev("cluster", { location: "us-central1", nodeLocations: ["us-central1", "us-central1-a", "us-central1-b"] }),
  ],
  ["nodeLocations on a zonal cluster", "dev", dev("cluster", { nodeLocations: ["us-central1-a"] })],
  [
    "a node count the zones cannot share",
    "dev",
    dev("cluster", { location: "us-central1", nodeLocations: ["us-central1-a", "us-central1-b"] }),
  ],
  // Machines and node counts.
  ["a machine type of a size no family has", "dev", dev("cluster", { machineType: "e2-standard-3" })],
  ["a machine family the model cannot size", "dev", dev("cluster", { machineType: "h3-standard-88" })],
  ["a machine type that is not one", "dev", dev("cluster", { machineType: "large" })],
  ["nodeCount 0", "dev", dev("cluster", { nodeCount: 0 })],
  ["nodeCount in words", "dev", dev("cluster", { nodeCount: "three" })],
  ["a fractional nodeCount", "dev", dev("cluster", { nodeCount: 2.5 })],
  ["maxNodeCount below nodeCount", "dev", dev("cluster", { maxNodeCount: 2 })],
  ["a tiny disk", "dev", dev("cluster", { diskSizeGb: 5 })],
  ["a disk type GCE lacks", "dev", dev("cluster", { diskType: "ssd" })],
  ["a release channel in lower case", "dev", dev("cluster", { releaseChannel: "regular" })],
  ["deletionProtection yes", "dev", dev("cluster", { deletionProtection: "yes" })],
  ["a cluster name with capitals", "dev", dev("cluster", { name: "Memcached_Prod" })],
  ["a maintenance window at 25:00", "dev", dev("cluster", { maintenanceStartTime: "25:00" })],
  ["a network name with an underscore", "dev", dev("cluster", { network: "my_net" })],
  ["a subnetwork with a space", "dev", dev("cluster", { subnetwork: "sub net" })],
  // Networks.
  [
    "a CIDR octet of 999",
    "dev",
    dev("cluster", { masterAuthorizedNetworks: [{ cidrBlock: "203.0.999.0/24", displayName: "office" }] }),
  ],
  ["a CIDR prefix of 33", "dev", dev("cluster", { masterAuthorizedNetworks: [{ cidrBlock: "34.120.0.0/33" }] })],
  ["a CIDR with host bits", "dev", dev("cluster", { masterAuthorizedNetworks: [{ cidrBlock: "34.120.0.5/24" }] })],
  [
    "an authorized network that is not a CIDR",
    "dev",
    dev("cluster", { masterAuthorizedNetworks: [{ cidrBlock: "everyone" }] }),
  ],
  [
    "the same authorized network twice",
    "dev",
    dev("cluster", { masterAuthorizedNetworks: [{ cidrBlock: "34.120.0.0/24" }, { cidrBlock: "34.120.0.0/24" }] }),
  ],
  [
    "a documentation range as authorized network",
    "dev",
    dev("cluster", { masterAuthorizedNetworks: [{ cidrBlock: "203.0.113.0/24", displayName: "admin" }] }),
  ],
  ["everyone as authorized network", "dev", dev("cluster", { masterAuthorizedNetworks: [{ cidrBlock: "0.0.0.0/0" }] })],
  [
    "an open IP endpoint on a protected cluster",
    "dev",
    dev("cluster", { controlPlaneEndpoint: "ip", deletionProtection: true }),
  ],
  ["an unknown control-plane endpoint", "dev", dev("cluster", { controlPlaneEndpoint: "public" })],
  ["a masterIpv4CidrBlock without private nodes", "dev", dev("cluster", { masterIpv4CidrBlock: "172.16.0.32/28" })],
  ["inter-node encryption beyond 500 nodes", "dev", dev("cluster", { inTransitEncryption: true, maxNodeCount: 600 })],
  [
    "inter-node encryption without CPU headroom",
    "dev",
    { ...dev("cluster", { inTransitEncryption: true }), ...dev("memcached", { cpu: "450m" }) },
  ],
  ["a garbage masterIpv4CidrBlock", "dev", dev("cluster", { masterIpv4CidrBlock: "banana" })],
  ["a public masterIpv4CidrBlock", "dev", dev("cluster", { masterIpv4CidrBlock: "8.8.8.0/28" })],
  ["a masterIpv4CidrBlock of /24", "dev", dev("cluster", { masterIpv4CidrBlock: "172.16.0.0/24" })],
  // Project and target.
  ["no gcp:project", "dev", { "gcp:project": undefined }],
  ["a project name, not an id", "dev", { "gcp:project": "My Project" }],
  ["a project id too short", "dev", { "gcp:project": "abc" }],
  ["an unknown target", "dev", { "memcached-gke:target": "aws" }],
  // Namespaces.
  ["memcached in kube-system", "dev", dev("memcached", { namespace: "kube-system" })],
  ["the sample app in default", "dev", dev("sampleApp", { namespace: "default" })],
  ["mcrouter in a gke- namespace", "dev", dev("mcrouter", { namespace: "gke-managed-cache" })],
  ["a namespace with capitals", "dev", dev("mcrouter", { namespace: "McRouter" })],
  ["two tiers in one namespace", "dev", dev("sampleApp", { namespace: "memcached" })],
  // Sizes and quantities.
  ["cpu 0", "dev", dev("memcached", { cpu: "0" })],
  ["cpu 0m", "dev", dev("mcrouter", { cpu: "0m" })],
  ["cpu in words", "dev", dev("memcached", { cpu: "lots" })],
  ["zero replicas", "dev", dev("memcached", { replicas: 0 })],
  ["more replicas than allowed", "dev", dev("memcached", { replicas: 1000 })],
  ["memory too small for the limit formula", "dev", dev("memcached", { memoryMb: 32 })],
  ["-I above half of -m", "dev", dev("memcached", { memoryMb: 512, maxItemSizeMb: 300 })],
  ["-c below what the mcrouters open", "dev", dev("memcached", { maxConnections: 69 })],
  ["zero threads", "dev", dev("memcached", { threads: 0 })],
  ["a cluster domain with an empty label", "dev", dev("memcached", { clusterDomain: "cluster..local" })],
  ["an unpinned image", "dev", dev("memcached", { image: "memcached:latest" })],
  ["an image without a tag", "dev", dev("sampleApp", { image: "busybox" })],
  ["zero proxies", "dev", dev("mcrouter", { numProxies: 0 })],
  ["a server timeout in words", "dev", dev("mcrouter", { serverTimeoutMs: "fast" })],
  ["a probe backoff that ends before it starts", "dev", dev("mcrouter", { probeTimeoutMaxMs: 1000 })],
  ["mcrouter memory below 32 MiB", "dev", dev("mcrouter", { memoryMb: 16 })],
  [
    "capacity: 10 replicas on 3 fixed nodes",
    "dev",
    { ...dev("memcached", { replicas: 10 }), ...dev("cluster", { maxNodeCount: 0 }) },
  ],
  // The existing target.
  [
    "a kubeconfig next to rendering",
    "local",
    local("existingCluster", { kubeconfig: "/k", renderYamlToDirectory: "/out" }),
  ],
  ["half of a node's allocatable", "local", local("existingCluster", { nodeAllocatable: { cpu: "2" } })],
  ["allocatable memory in G", "local", local("existingCluster", { nodeAllocatable: { cpu: "2", memory: "6G" } })],
  ["existingCluster.nodeCount 0", "local", local("existingCluster", { nodeCount: 0 })],
];
