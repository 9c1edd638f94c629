// GKE's request rules as code: what GKE's API and the Google provider refuse, require or replace, as far as this
// stack depends on it, each with its source. One place: the components build their requests by these facts, the
// unit tests check every committed stack's recorded requests against RULES, and the policy pack enforces RULES on
// every preview (a user's change could break any of them).
//
// Provider: @pulumi/gcp 9.37.0 bridges terraform-provider-google 7.46.x; the line numbers below are of
// hashicorp/terraform-provider-google at tag v7.45.0 (the same code for every field cited), files under
// google/services/container/ unless another path is given.

/** A resource as the rules see it: what the program asked for (props) and its resource options. */
export interface RuleResource {
  type: string;
  name: string;
  props: Record<string, any>;
  /** Names of the resources it was told to wait for (dependsOn). */
  dependsOn?: string[];
  protect?: boolean;
}

export interface RequestRule {
  id: string;
  rule: string;
  /** Where GKE's or the provider's behaviour is documented or seen. */
  source: string;
  check: (resources: RuleResource[]) => string[];
}

export const GCP = {
  service: "gcp:projects/service:Service",
  serviceAccount: "gcp:serviceaccount/account:Account",
  iamMember: "gcp:projects/iAMMember:IAMMember",
  cluster: "gcp:container/cluster:Cluster",
  nodePool: "gcp:container/nodePool:NodePool",
  firewall: "gcp:compute/firewall:Firewall",
  router: "gcp:compute/router:Router",
  routerNat: "gcp:compute/routerNat:RouterNat",
  dashboard: "gcp:monitoring/dashboard:Dashboard",
} as const;
export const K8S_PROVIDER = "pulumi:providers:kubernetes";
/** The resource that holds every GCP resource back until the APIs it needs are enabled and have propagated. */
export const API_WAIT = "pulumi-nodejs:dynamic/gcp:ApiPropagationWait";
export const NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";

/**
 * The APIs each resource type's requests go to. A new project has none of these but Monitoring and Logging
 * enabled (Service Usage, "Enabled services"); IAM answers 403 until it is (terraform-google-modules/
 * terraform-example-foundation#1140), project IAM bindings need Cloud Resource Manager (crossplane-contrib/
 * provider-jet-gcp#17), node VMs, firewalls and NAT need Compute Engine.
 */
export const APIS_OF_TYPE: Record<string, readonly string[]> = {
  [GCP.serviceAccount]: ["iam.googleapis.com"],
  [GCP.iamMember]: ["cloudresourcemanager.googleapis.com"],
  [GCP.cluster]: [
    "container.googleapis.com",
    "compute.googleapis.com",
    "logging.googleapis.com",
    "monitoring.googleapis.com",
  ],
  [GCP.nodePool]: ["container.googleapis.com", "compute.googleapis.com"],
  [GCP.firewall]: ["compute.googleapis.com"],
  [GCP.router]: ["compute.googleapis.com"],
  [GCP.routerNat]: ["compute.googleapis.com"],
  [GCP.dashboard]: ["monitoring.googleapis.com"],
};

/** The GCP resource types a GKE cluster of this stack is made of (components/gkeCluster.ts). */
export const CLUSTER_TYPES = [
  GCP.serviceAccount,
  GCP.iamMember,
  GCP.cluster,
  GCP.nodePool,
  GCP.firewall,
  GCP.router,
  GCP.routerNat,
];

/** The APIs a stack of these resource types calls, each once. */
export const apisFor = (types: readonly string[]): string[] =>
  [...new Set(types.flatMap((t) => APIS_OF_TYPE[t] ?? []))].sort();

/**
 * How long a freshly enabled API takes to answer: "If you enabled this API recently, wait a few minutes for the
 * action to propagate" is the 403 GCP returns meanwhile (hashicorp/terraform-provider-google#1393, #3151, #8214),
 * and the provider retries no 403 of that kind (google/transport/error_retry_predicates.go L39,
 * defaultErrorRetryPredicates). The enablement itself waits until Service Usage lists the API as enabled.
 */
export const API_PROPAGATION_SECONDS = 90;

/**
 * Fields of a cluster request that GKE cannot change in place: the provider replaces the cluster, deleting it
 * first because its name is set explicitly (pulumi-gcp autonaming; the bridge's delete-before-replace), and the
 * node pool with it (its `cluster` is ForceNew, resource_container_node_pool.go L246). Keyed by config field.
 */
export const CLUSTER_REPLACED_BY = {
  project: "the project (every resource moves)",
  name: "name, ForceNew (resource_container_cluster.go L293-296)",
  location: "location, ForceNew (L326-330)",
  network: "network, ForceNew (L1676-1680)",
  subnetwork: "subnetwork, ForceNew (L1874-1878)",
  masterIpv4CidrBlock: "private_cluster_config.master_ipv4_cidr_block, ForceNew (L2170-2174)",
  nodeServiceAccount:
    "the node pool's node_config.service_account, ForceNew (node_config.go L624): the pool is replaced",
} as const;
export type ClusterIdentity = Record<keyof typeof CLUSTER_REPLACED_BY, string>;

/**
 * Config fields that re-create every node of the pool, in place (a surge node at a time): the provider updates the
 * pool, GKE rolls its nodes. (Fields the stack holds constant because changing them would replace the cluster or
 * the pool: datapath_provider L2435-2439; node_config's oauth_scopes L560, metadata L543, shielded_instance_config
 * L646.)
 */
export const NODE_POOL_ROLLED_BY = {
  machineType: "node_config.machine_type, UpdateNodePoolRequest (node_config.go L3932-3942)",
  diskSizeGb: "node_config.disk_size_gb, UpdateNodePoolRequest (node_config.go L3932-3942)",
  diskType: "node_config.disk_type, UpdateNodePoolRequest (node_config.go L3932-3942)",
  nodeLocations: "node_locations, updated in place (resource_container_node_pool.go L1907)",
  nodeLocalDnsCache:
    "addons_config.dns_cache_config, updated in place; GKE re-creates the nodes to apply it (GKE 'Set up NodeLocal DNSCache')",
} as const;

/** RFC 5737's documentation ranges: never a real network, so an authorized network there locks everyone out. */
export const DOCUMENTATION_RANGES = ["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"] as const;

/** Where GKE's managed Prometheus collectors run: gmp-system on Standard, gke-gmp-system on Autopilot and newer. */
export const MANAGED_COLLECTOR_NAMESPACES = ["gmp-system", "gke-gmp-system"] as const;

/**
 * Where pods' DNS goes on GKE: kube-dns's pods, or with NodeLocal DNSCache (on by default for new Standard
 * clusters from 1.34.1-gke.3720000, GKE "Set up NodeLocal DNSCache") the node's node-local-dns pod, to which
 * Dataplane V2 redirects the kube-dns Service before it evaluates policy (cilium/cilium-cli#995; the same failure
 * on GKE: world-federation-of-advertisers/cross-media-measurement#3569), listening on its link-local address.
 */
export const DNS_PEERS = {
  kubeDnsLabels: { "k8s-app": "kube-dns" },
  nodeLocalDnsLabels: { "k8s-app": "node-local-dns" },
  nodeLocalDnsAddress: "169.254.20.10/32",
} as const;

/**
 * Inter-node transparent encryption (GKE "Encrypt your data in-transit in GKE with user-managed encryption
 * keys", its limitations): WireGuard in Dataplane V2 only, not Autopilot, Container-Optimized OS and Ubuntu nodes
 * only, at most 500 nodes, not FIPS-validated, keys rotate only when a node restarts; it does not encrypt traffic
 * a node or a hostNetwork pod starts, nor the hop a NodePort forwards; and it costs CPU the scheduler does not see
 * (about 15 % more on an n2-standard-8 at 2 Gbps), for which GKE advises leaving CPU unscheduled. The provider
 * updates it in place (resource_container_cluster.go L4247-4269, DesiredInTransitEncryptionConfig).
 */
export const IN_TRANSIT_ENCRYPTION = {
  value: "IN_TRANSIT_ENCRYPTION_INTER_NODE_TRANSPARENT",
  datapath: "ADVANCED_DATAPATH",
  imageTypes: ["COS_CONTAINERD", "UBUNTU_CONTAINERD"],
  maxNodes: 500,
  cpuOverhead: 0.15,
} as const;

const byType = (rs: RuleResource[], type: string) => rs.filter((r) => r.type === type);
/** A string property as the program set it, also when it is a secret (a plain value or a secret's value). */
const text = (v: unknown): string =>
  typeof v === "string"
    ? v
    : typeof (v as { value?: unknown })?.value === "string"
      ? (v as { value: string }).value
      : "";
const cidrsOf = (cluster: RuleResource): string[] =>
  (cluster.props.masterAuthorizedNetworksConfig?.cidrBlocks ?? []).map((c: any) => c.cidrBlock);

export const RULES: RequestRule[] = [
  {
    id: "GKE1",
    rule: "a cluster request sets loggingConfig/monitoringConfig, never loggingService/monitoringService with them",
    source:
      "GKE answers 400 'Cannot specify logging_config or monitoring_config together with logging_service or monitoring_service' " +
      "(hashicorp/terraform-provider-google#10805, #13861; terraform-google-modules/terraform-google-kubernetes-engine#1144, PR #1240; " +
      "GoogleCloudPlatform/cloud-foundation-fabric#709); the provider sends all of them in one create (resource_container_cluster.go L3003-3004, L3168-3170)",
    check: (rs) =>
      byType(rs, GCP.cluster).flatMap((c) => {
        const services = ["loggingService", "monitoringService"].filter((k) => c.props[k] !== undefined);
        const configs = ["loggingConfig", "monitoringConfig"].filter((k) => c.props[k] !== undefined);
        return services.length > 0 && configs.length > 0
          ? [
              `cluster ${c.name} sends ${services.join(", ")} with ${configs.join(", ")}: GKE refuses the create; keep the *Config fields only`,
            ]
          : [];
      }),
  },
  {
    id: "GKE2",
    rule: "every GCP resource waits for the APIs it needs to be enabled and to have propagated",
    source:
      "Service Usage 'Enabled services' (what a new project has); 403 'wait a few minutes for the action to propagate' " +
      "(hashicorp/terraform-provider-google#1393, #8214), not retried (google/transport/error_retry_predicates.go L39)",
    check: (rs) => {
      const waits = byType(rs, API_WAIT);
      return rs
        .filter((r) => APIS_OF_TYPE[r.type])
        .flatMap((r) => {
          const covered = waits.filter((w) => r.dependsOn?.includes(w.name)).flatMap((w) => w.props.services ?? []);
          const missing = APIS_OF_TYPE[r.type].filter((api) => !covered.includes(api));
          return missing.length
            ? [`${r.type} ${r.name} does not wait for ${missing.join(", ")} (enabled and propagated)`]
            : [];
        });
    },
  },
  {
    id: "GKE3",
    rule: "the temporary default pool runs as the node service account, with secure boot, on a small standard disk, after its roles are granted",
    source:
      "GKE creates the default pool before the provider deletes it (resource_container_cluster.go L3295-3300), with GKE's defaults " +
      "otherwise: the Compute Engine default account (gruntwork-io/terraform-google-gke PR #56), no secure boot under " +
      "compute.requireShieldedVm (GoogleCloudPlatform/cluster-toolkit PR #3507), 100 GB pd-balanced a zone: 300 GB of SSD quota " +
      "on a regional cluster, over new projects' 250 GB (terraform-google-modules/terraform-google-kubernetes-engine#1795)",
    check: (rs) =>
      byType(rs, GCP.cluster).flatMap((c) => {
        const n = c.props.nodeConfig ?? {};
        const bindings = byType(rs, GCP.iamMember).map((b) => b.name);
        const out: string[] = [];
        if (!n.serviceAccount || /-compute@developer\.gserviceaccount\.com$/.test(n.serviceAccount)) {
          out.push(
            `cluster ${c.name}'s temporary default pool would run as the Compute Engine default account; set nodeConfig.serviceAccount`,
          );
        }
        if (!(n.shieldedInstanceConfig?.enableSecureBoot && n.shieldedInstanceConfig?.enableIntegrityMonitoring)) {
          out.push(`cluster ${c.name}'s temporary default pool lacks secure boot and integrity monitoring`);
        }
        if (n.diskType !== "pd-standard")
          out.push(`cluster ${c.name}'s temporary default pool uses SSD quota; set nodeConfig.diskType pd-standard`);
        if (!bindings.every((b) => c.dependsOn?.includes(b))) {
          out.push(`cluster ${c.name} does not wait for the node service account's role bindings`);
        }
        return out;
      }),
  },
  {
    id: "GKE4",
    rule: "the Kubernetes provider authenticates with the application-default credentials",
    source:
      "gke-gcloud-auth-plugin reads gcloud's active account unless given --use_application_default_credentials " +
      "(kubernetes/cloud-provider-gcp cmd/gke-gcloud-auth-plugin/cred/cred.go; PR #264)",
    check: (rs) =>
      rs
        .filter((r) => r.type === K8S_PROVIDER && /gke-gcloud-auth-plugin/.test(text(r.props.kubeconfig)))
        .flatMap((p) =>
          /--use_application_default_credentials/.test(text(p.props.kubeconfig))
            ? []
            : [
                `Kubernetes provider ${p.name} runs gke-gcloud-auth-plugin without --use_application_default_credentials`,
              ],
        ),
  },
  {
    id: "GKE5",
    rule: "deletion protection holds end to end: with a protected cluster, every resource of the stack is protected",
    source:
      "deletion_protection is checked in the cluster's Delete only (resource_container_cluster.go L5529-5530), after the engine " +
      "deleted every dependent: objects, pool, service account (terraform-google-modules/terraform-google-kubernetes-engine#1866); " +
      "Pulumi's engine too deletes a protected resource's unprotected dependents before it refuses the protected one " +
      "(test/e2e/protection.test.ts); a protected resource is never deleted or replaced",
    check: (rs) =>
      byType(rs, GCP.cluster)
        .filter((c) => c.props.deletionProtection === true)
        .flatMap((c) =>
          rs
            .filter((r) => r.protect !== true)
            .map(
              (r) => `${r.type} ${r.name} is not a protected resource while cluster ${c.name} has deletionProtection`,
            ),
        ),
  },
  {
    id: "GKE6",
    rule: "authorized networks name real networks: no documentation range, not 0.0.0.0/0",
    source:
      "RFC 5737 reserves 192.0.2.0/24, 198.51.100.0/24 and 203.0.113.0/24 for documentation; GKE 'Add authorized networks for " +
      "control plane access' (the list is a firewall in front of the IP endpoint)",
    check: (rs) =>
      byType(rs, GCP.cluster).flatMap((c) =>
        cidrsOf(c)
          .filter((cidr) => cidr === "0.0.0.0/0" || DOCUMENTATION_RANGES.some((d) => cidrInside(cidr, d)))
          .map(
            (cidr) =>
              `cluster ${c.name} authorizes ${cidr}, which is ${cidr === "0.0.0.0/0" ? "everyone" : "a documentation range"}`,
          ),
      ),
  },
  {
    id: "GKE7",
    rule: "private nodes come with a Cloud Router and Cloud NAT on the cluster's network",
    source:
      "nodes without external addresses reach registries outside Google only through Cloud NAT (GKE 'About private clusters'); " +
      "the stack's images come from docker-registry.wikimedia.org, quay.io, ghcr.io and Docker Hub",
    check: (rs) =>
      byType(rs, GCP.cluster)
        .filter((c) => c.props.privateClusterConfig?.enablePrivateNodes === true)
        .flatMap((c) =>
          byType(rs, GCP.routerNat).length > 0 &&
          byType(rs, GCP.router).some((r) => r.props.network === c.props.network)
            ? []
            : [
                `cluster ${c.name} has private nodes but no Cloud Router and NAT on network ${c.props.network}: no image can be pulled`,
              ],
        ),
  },
  {
    id: "GKE8",
    rule: "cluster DNS egress admits kube-dns and NodeLocal DNSCache; the cluster states its DNS cache setting",
    source:
      "GKE 'Set up NodeLocal DNSCache' (on by default from 1.34.1-gke.3720000); cilium/cilium-cli#995; " +
      "world-federation-of-advertisers/cross-media-measurement#3569",
    check: (rs) => [
      ...byType(rs, GCP.cluster)
        .filter((c) => typeof c.props.addonsConfig?.dnsCacheConfig?.enabled !== "boolean")
        .map(
          (c) =>
            `cluster ${c.name} leaves NodeLocal DNSCache to GKE's version default; set addonsConfig.dnsCacheConfig.enabled`,
        ),
      ...byType(rs, NETWORK_POLICY)
        .filter((p) =>
          (p.props.spec?.egress ?? []).some((e: any) => (e.ports ?? []).some((port: any) => port.port === 53)),
        )
        .flatMap((p) => {
          const peers = (p.props.spec.egress as any[]).flatMap((e) => e.to ?? []);
          const admits = (labels: Record<string, string>) =>
            peers.some((peer) => Object.entries(labels).every(([k, v]) => peer.podSelector?.matchLabels?.[k] === v));
          const missing = [
            ...(admits(DNS_PEERS.kubeDnsLabels) ? [] : ["kube-dns pods"]),
            ...(admits(DNS_PEERS.nodeLocalDnsLabels) ? [] : ["node-local-dns pods"]),
            ...(peers.some((peer) => peer.ipBlock?.cidr === DNS_PEERS.nodeLocalDnsAddress)
              ? []
              : [DNS_PEERS.nodeLocalDnsAddress]),
          ];
          return missing.length ? [`NetworkPolicy ${p.name} lets DNS out but not to ${missing.join(", ")}`] : [];
        }),
    ],
  },
  {
    id: "GKE9",
    rule: "on GKE, the metrics NetworkPolicies admit the managed collector under both namespace names",
    source:
      "GoogleCloudPlatform/ai-on-gke#689 ('gmp-system ... Standard, gke-gmp-system for Autopilot. Both are needed'); " +
      "GoogleCloudPlatform/prometheus-engine#466",
    check: (rs) => {
      if (byType(rs, GCP.cluster).length === 0) return [];
      return byType(rs, NETWORK_POLICY)
        .filter((p) => p.props.metadata?.name === "allow-metrics-scrape")
        .flatMap((p) => {
          const names = (p.props.spec?.ingress ?? []).flatMap((i: any) =>
            (i.from ?? []).map((f: any) => f.namespaceSelector?.matchLabels?.["kubernetes.io/metadata.name"]),
          );
          const missing = MANAGED_COLLECTOR_NAMESPACES.filter((ns) => !names.includes(ns));
          return missing.length
            ? [`NetworkPolicy ${p.name} does not admit the managed collector's namespace ${missing.join(", ")}`]
            : [];
        });
    },
  },
  {
    id: "GKE10",
    rule: "scrape and rule objects wait for the workload they watch",
    source:
      "Managed Prometheus validates Rules through a failurePolicy: Fail webhook served by the gmp-operator pod " +
      "(GoogleCloudPlatform/prometheus-engine manifests/operator.yaml), which may not run yet on a new cluster; the " +
      "Kubernetes provider retries only not-found errors (pulumi-kubernetes v4.25.0 provider/pkg/await/await.go)",
    check: (rs) =>
      rs
        .filter((r) =>
          /^kubernetes:monitoring\.(googleapis|coreos)\.com\/v1:(PodMonitoring|Rules|PodMonitor|PrometheusRule)$/.test(
            r.type,
          ),
        )
        .flatMap((r) => {
          const workloads = rs.filter(
            (w) =>
              /^kubernetes:apps\/v1:(StatefulSet|DaemonSet|Deployment)$/.test(w.type) &&
              w.props.metadata?.namespace === r.props.metadata?.namespace,
          );
          return workloads.every((w) => r.dependsOn?.includes(w.name))
            ? []
            : [`${r.type} ${r.name} does not wait for the workloads of namespace ${r.props.metadata?.namespace}`];
        }),
  },
  {
    id: "GKE11",
    rule: "inter-node transparent encryption only where GKE supports it",
    source: "GKE 'Encrypt your data in-transit in GKE with user-managed encryption keys', Limitations",
    check: (rs) =>
      byType(rs, GCP.cluster)
        .filter((c) => c.props.inTransitEncryptionConfig === IN_TRANSIT_ENCRYPTION.value)
        .flatMap((c) => {
          const out: string[] = [];
          if (c.props.datapathProvider !== IN_TRANSIT_ENCRYPTION.datapath)
            out.push(`cluster ${c.name} encrypts in transit without Dataplane V2`);
          for (const pool of byType(rs, GCP.nodePool)) {
            if (!(IN_TRANSIT_ENCRYPTION.imageTypes as readonly string[]).includes(pool.props.nodeConfig?.imageType)) {
              out.push(
                `node pool ${pool.name} runs ${pool.props.nodeConfig?.imageType}, which inter-node encryption does not support`,
              );
            }
            const max =
              pool.props.autoscaling?.totalMaxNodeCount ??
              pool.props.nodeCount * Math.max(1, pool.props.nodeLocations?.length ?? 1);
            if (max > IN_TRANSIT_ENCRYPTION.maxNodes)
              out.push(`node pool ${pool.name} may grow to ${max} nodes, over ${IN_TRANSIT_ENCRYPTION.maxNodes}`);
          }
          return out;
        }),
  },
];

/** Whether `inner` lies inside `outer` (both IPv4 CIDRs). */
export function cidrInside(inner: string, outer: string): boolean {
  const parse = (c: string) => {
    const [ip, bits] = c.split("/");
    return { address: ip.split(".").reduce((a, o) => a * 256 + Number(o), 0), prefix: Number(bits) };
  };
  const a = parse(inner);
  const b = parse(outer);
  if (a.prefix < b.prefix) return false;
  const size = 2 ** (32 - b.prefix);
  return Math.floor(a.address / size) === Math.floor(b.address / size);
}

/** Every violation of RULES, as `id: message`. */
export function requestRuleViolations(resources: RuleResource[]): string[] {
  return RULES.flatMap((r) => r.check(resources).map((m) => `${r.id}: ${m}`));
}
