import type * as Gcp from "@pulumi/gcp";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ClusterConfig } from "../lib/config/schema";
import {
  gkeContextName,
  kubeconfigYaml,
  nodePoolShape,
  nodeServiceAccountId,
  NODE_SERVICE_ACCOUNT_ROLES,
  regionOf,
} from "../lib/gke/cluster";
import { clusterIdentity, kubernetesClusterIdentifier } from "../lib/gke/identity";
import { IN_TRANSIT_ENCRYPTION } from "../lib/gke/requestRules";
import { TEMPORARY_POOL } from "../lib/gke/quotas";
import { KUBERNETES_PROVIDER_OPTIONS } from "../lib/kubernetesProvider";
import { MCROUTER_PORT } from "../lib/ports";
import { ReplacementGuard } from "./replacementGuard";

export interface GkeClusterArgs {
  project: string;
  cluster: ClusterConfig;
  /** Managed Service for Prometheus's managed collection (gmp-system collectors, the PodMonitoring CRDs). */
  managedPrometheus: boolean;
  /** What every GCP resource waits for: the project's APIs enabled and propagated (ProjectApis.ready). */
  apisReady: pulumi.Resource;
}

/** The node image: Container-Optimized OS with containerd (also what inter-node encryption supports). */
const IMAGE_TYPE = "COS_CONTAINERD";
const SHIELDED = { enableSecureBoot: true, enableIntegrityMonitoring: true };
const OAUTH_SCOPES = ["https://www.googleapis.com/auth/cloud-platform"];

/**
 * A production GKE cluster: default pool removed, one managed node pool on a dedicated least-privilege service
 * account, Workload Identity, Dataplane V2 (NetworkPolicies enforced), shielded COS nodes, NodeLocal DNSCache,
 * optionally private nodes behind Cloud NAT and inter-node encryption, and a Kubernetes provider that is usable once
 * nodes exist and is replaced with the cluster. What GKE and the provider refuse or replace is in
 * lib/gke/requestRules.ts; a change that would replace the cluster is refused by the ReplacementGuard unless
 * acknowledged.
 */
export class GkeCluster extends pulumi.ComponentResource {
  public readonly clusterName: pulumi.Output<string>;
  public readonly location: string;
  /** Total nodes across every zone of the pool. */
  public readonly nodeCount: number;
  public readonly kubeconfig: pulumi.Output<string>;
  public readonly provider: k8s.Provider;
  public readonly nodeServiceAccountEmail: pulumi.Output<string>;

  constructor(name: string, args: GkeClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("memcached-gke:gke:Cluster", name, {}, opts);
    // Loaded here, not at the top: stacks that create no GKE cluster (target existing) never load it.
    const gcp: typeof Gcp = require("@pulumi/gcp");
    const { project, cluster: c } = args;
    const pool = nodePoolShape(c);

    const guard = new ReplacementGuard(
      `${name}-guard`,
      { project, cluster: c },
      { parent: this, dependsOn: [args.apisReady] },
    );
    const ready = [args.apisReady, guard];

    const nodeSa = new gcp.serviceaccount.Account(
      `${name}-nodes`,
      { project, accountId: nodeServiceAccountId(c.name), displayName: `GKE nodes of ${c.name}` },
      { parent: this, dependsOn: ready },
    );
    const roleBindings = NODE_SERVICE_ACCOUNT_ROLES.map(
      (role) =>
        new gcp.projects.IAMMember(
          `${name}-nodes-${role.split("/")[1]}`,
          { project, role, member: pulumi.interpolate`serviceAccount:${nodeSa.email}` },
          { parent: this, dependsOn: ready },
        ),
    );

    const gkeCluster = new gcp.container.Cluster(
      `${name}-cluster`,
      {
        project,
        name: c.name,
        location: c.location,
        deletionProtection: c.deletionProtection,
        // GKE creates a default pool with the cluster, which the provider then deletes; ours is managed
        // separately. While it lives it runs as the node account, shielded, on a small standard disk (no SSD quota).
        removeDefaultNodePool: true,
        initialNodeCount: TEMPORARY_POOL.nodesPerZone,
        nodeConfig: {
          serviceAccount: nodeSa.email,
          oauthScopes: OAUTH_SCOPES,
          shieldedInstanceConfig: SHIELDED,
          imageType: IMAGE_TYPE,
          machineType: TEMPORARY_POOL.machineType,
          diskType: TEMPORARY_POOL.diskType,
          diskSizeGb: TEMPORARY_POOL.diskSizeGb,
        },
        releaseChannel: { channel: c.releaseChannel },
        networkingMode: "VPC_NATIVE",
        network: c.network,
        subnetwork: c.subnetwork || undefined,
        ipAllocationPolicy: {},
        datapathProvider: IN_TRANSIT_ENCRYPTION.datapath,
        inTransitEncryptionConfig: c.inTransitEncryption ? IN_TRANSIT_ENCRYPTION.value : undefined,
        addonsConfig: { dnsCacheConfig: { enabled: c.nodeLocalDnsCache } },
        workloadIdentityConfig: { workloadPool: `${project}.svc.id.goog` },
        enableShieldedNodes: true,
        enableLegacyAbac: false,
        enableKubernetesAlpha: false,
        masterAuth: { clientCertificateConfig: { issueClientCertificate: false } },
        controlPlaneEndpointsConfig: { dnsEndpointConfig: { allowExternalTraffic: c.controlPlaneEndpoint === "dns" } },
        // The IP endpoint: the listed networks only; with the DNS endpoint and no list, no external address at all.
        masterAuthorizedNetworksConfig:
          c.masterAuthorizedNetworks.length > 0
            ? {
                cidrBlocks: c.masterAuthorizedNetworks.map((n) => ({
                  cidrBlock: n.cidrBlock,
                  displayName: n.displayName,
                })),
              }
            : c.controlPlaneEndpoint === "dns"
              ? { cidrBlocks: [], gcpPublicCidrsAccessEnabled: false }
              : undefined,
        privateClusterConfig: c.privateNodes
          ? { enablePrivateNodes: true, masterIpv4CidrBlock: c.masterIpv4CidrBlock || undefined }
          : undefined,
        maintenancePolicy: { dailyMaintenanceWindow: { startTime: c.maintenanceStartTime } },
        // The *Config fields only: GKE refuses them together with loggingService/monitoringService (GKE1).
        loggingConfig: { enableComponents: ["SYSTEM_COMPONENTS", "WORKLOADS"] },
        // Updated in place (gcloud container clusters update --enable-managed-prometheus), never a replacement.
        monitoringConfig: {
          enableComponents: ["SYSTEM_COMPONENTS"],
          managedPrometheus: { enabled: args.managedPrometheus },
        },
      },
      {
        parent: this,
        dependsOn: [...ready, ...roleBindings],
        // Settings of the removed default pool: changing them would replace the whole cluster for nothing.
        ignoreChanges: ["nodeConfig", "initialNodeCount", "nodePools"],
      },
    );

    // Private nodes have no external address: the cluster's subnetwork reaches the registries through Cloud NAT.
    const nat = c.privateNodes ? this.cloudNat(gcp, name, project, c, gkeCluster.subnetwork, ready) : [];

    const nodePool = new gcp.container.NodePool(
      `${name}-pool`,
      {
        project,
        cluster: gkeCluster.name,
        location: c.location,
        nodeLocations: pool.nodeLocations,
        nodeCount: pool.nodeCountPerZone,
        // The cluster autoscaler adds nodes for Pending pods (memcached.replicas beyond what the nodes hold)
        // and never goes below cluster.nodeCount. BALANCED keeps the zones even.
        autoscaling:
          c.maxNodeCount > 0
            ? { totalMinNodeCount: c.nodeCount, totalMaxNodeCount: c.maxNodeCount, locationPolicy: "BALANCED" }
            : undefined,
        management: { autoRepair: true, autoUpgrade: true },
        upgradeSettings: { maxSurge: 1, maxUnavailable: 0 },
        nodeConfig: {
          machineType: c.machineType,
          diskSizeGb: c.diskSizeGb,
          diskType: c.diskType,
          imageType: IMAGE_TYPE,
          serviceAccount: nodeSa.email,
          oauthScopes: OAUTH_SCOPES,
          workloadMetadataConfig: { mode: "GKE_METADATA" },
          shieldedInstanceConfig: SHIELDED,
          metadata: { "disable-legacy-endpoints": "true" },
          labels: { "memcached-gke/pool": "cache" },
        },
      },
      {
        parent: this,
        dependsOn: [...ready, ...roleBindings, ...nat],
        // Under autoscaling the size is the autoscaler's: a refresh must not make `pulumi up` resize the pool back.
        ignoreChanges: c.maxNodeCount > 0 ? ["nodeCount"] : [],
      },
    );

    // mcrouter's hostPort is open on every node. Only pods (the cluster's pod range) may reach it; the
    // VPC's default-allow-internal rule would otherwise let any VM in the network in.
    new gcp.compute.Firewall(
      `${name}-mcrouter-from-pods`,
      {
        project,
        network: c.network,
        direction: "INGRESS",
        priority: 900,
        allows: [{ protocol: "tcp", ports: [String(MCROUTER_PORT)] }],
        sourceRanges: [gkeCluster.clusterIpv4Cidr],
        targetServiceAccounts: [nodeSa.email],
        description: "mcrouter hostPort: reachable from the cluster's pods only",
      },
      { parent: this, dependsOn: ready },
    );
    new gcp.compute.Firewall(
      `${name}-mcrouter-deny-others`,
      {
        project,
        network: c.network,
        direction: "INGRESS",
        priority: 910,
        denies: [{ protocol: "tcp", ports: [String(MCROUTER_PORT)] }],
        sourceRanges: ["0.0.0.0/0"],
        targetServiceAccounts: [nodeSa.email],
        description: "mcrouter hostPort: everything else is denied",
      },
      { parent: this, dependsOn: ready },
    );

    this.clusterName = gkeCluster.name;
    this.location = c.location;
    this.nodeCount = c.nodeCount;
    this.nodeServiceAccountEmail = nodeSa.email;
    const context = gkeContextName(project, c.location, c.name);
    this.kubeconfig = pulumi.secret(
      c.controlPlaneEndpoint === "dns"
        ? kubeconfigYaml({
            context,
            endpoint: gkeCluster.controlPlaneEndpointsConfig.apply((e) => e.dnsEndpointConfig?.endpoint ?? ""),
          })
        : kubeconfigYaml({
            context,
            endpoint: gkeCluster.endpoint,
            caCert: gkeCluster.masterAuth.clusterCaCertificate,
          }),
    );
    this.provider = new k8s.Provider(
      `${name}-k8s`,
      {
        kubeconfig: this.kubeconfig,
        clusterIdentifier: kubernetesClusterIdentifier(clusterIdentity(project, c)),
        ...KUBERNETES_PROVIDER_OPTIONS,
      },
      { parent: this, dependsOn: [nodePool] },
    );

    this.registerOutputs({
      clusterName: this.clusterName,
      location: this.location,
      nodeCount: this.nodeCount,
      kubeconfig: this.kubeconfig,
      nodeServiceAccountEmail: this.nodeServiceAccountEmail,
    });
  }

  /** A Cloud Router and NAT for the cluster's subnetwork only, so a network that NATs other subnetworks is left alone. */
  private cloudNat(
    gcp: typeof Gcp,
    name: string,
    project: string,
    c: ClusterConfig,
    subnetwork: pulumi.Output<string>,
    ready: pulumi.Resource[],
  ): pulumi.Resource[] {
    const region = regionOf(c.location);
    const router = new gcp.compute.Router(
      `${name}-router`,
      { project, region, network: c.network, description: `Cloud NAT of GKE cluster ${c.name}` },
      { parent: this, dependsOn: ready },
    );
    const nat = new gcp.compute.RouterNat(
      `${name}-nat`,
      {
        project,
        region,
        router: router.name,
        natIpAllocateOption: "AUTO_ONLY",
        sourceSubnetworkIpRangesToNat: "LIST_OF_SUBNETWORKS",
        subnetworks: [{ name: subnetwork, sourceIpRangesToNats: ["ALL_IP_RANGES"] }],
        logConfig: { enable: true, filter: "ERRORS_ONLY" },
      },
      { parent: this, dependsOn: ready },
    );
    return [router, nat];
  }
}
