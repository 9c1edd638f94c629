import type * as Gcp from "@pulumi/gcp";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ClusterConfig } from "../lib/config/schema";
import { MCROUTER_PORT } from "../lib/ports";
import { KUBERNETES_PROVIDER_OPTIONS } from "../lib/kubernetesProvider";
import {
  gkeContextName,
  kubeconfigYaml,
  nodePoolShape,
  nodeServiceAccountId,
  NODE_SERVICE_ACCOUNT_ROLES,
} from "../lib/gke/cluster";

export interface GkeClusterArgs {
  project: string;
  cluster: ClusterConfig;
  /** Managed Service for Prometheus's managed collection (gmp-system collectors, the PodMonitoring CRDs). */
  managedPrometheus: boolean;
}

/**
 * A production GKE cluster: default pool removed, one managed node pool on a dedicated least-privilege
 * service account, Workload Identity, Dataplane V2 (NetworkPolicies enforced), shielded COS nodes, and a
 * Kubernetes provider that is only usable once nodes exist.
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

    // Enabled by the stack, never disabled by it: other workloads in the project may use the API.
    const containerApi = new gcp.projects.Service(
      `${name}-container-api`,
      {
        project,
        service: "container.googleapis.com",
        disableOnDestroy: false,
        disableDependentServices: false,
      },
      { parent: this },
    );

    const nodeSa = new gcp.serviceaccount.Account(
      `${name}-nodes`,
      {
        project,
        accountId: nodeServiceAccountId(c.name),
        displayName: `GKE nodes of ${c.name}`,
      },
      { parent: this },
    );
    const roleBindings = NODE_SERVICE_ACCOUNT_ROLES.map(
      (role) =>
        new gcp.projects.IAMMember(
          `${name}-nodes-${role.split("/")[1]}`,
          { project, role, member: pulumi.interpolate`serviceAccount:${nodeSa.email}` },
          { parent: this },
        ),
    );

    const gkeCluster = new gcp.container.Cluster(
      `${name}-cluster`,
      {
        project,
        name: c.name,
        location: c.location,
        deletionProtection: c.deletionProtection,
        // The default pool cannot be configured without replacing the cluster; ours is managed separately.
        removeDefaultNodePool: true,
        initialNodeCount: 1,
        releaseChannel: { channel: c.releaseChannel },
        networkingMode: "VPC_NATIVE",
        network: c.network,
        subnetwork: c.subnetwork || undefined,
        ipAllocationPolicy: {},
        datapathProvider: "ADVANCED_DATAPATH",
        workloadIdentityConfig: { workloadPool: `${project}.svc.id.goog` },
        enableShieldedNodes: true,
        enableLegacyAbac: false,
        enableKubernetesAlpha: false,
        masterAuth: { clientCertificateConfig: { issueClientCertificate: false } },
        masterAuthorizedNetworksConfig:
          c.masterAuthorizedNetworks.length > 0
            ? {
                cidrBlocks: c.masterAuthorizedNetworks.map((n) => ({
                  cidrBlock: n.cidrBlock,
                  displayName: n.displayName,
                })),
              }
            : undefined,
        privateClusterConfig: c.privateNodes
          ? { enablePrivateNodes: true, enablePrivateEndpoint: false, masterIpv4CidrBlock: c.masterIpv4CidrBlock }
          : undefined,
        maintenancePolicy: { dailyMaintenanceWindow: { startTime: c.maintenanceStartTime } },
        loggingService: "logging.googleapis.com/kubernetes",
        monitoringService: "monitoring.googleapis.com/kubernetes",
        // Updated in place (gcloud container clusters update --enable-managed-prometheus), never a replacement.
        monitoringConfig: {
          enableComponents: ["SYSTEM_COMPONENTS"],
          managedPrometheus: { enabled: args.managedPrometheus },
        },
      },
      {
        parent: this,
        dependsOn: [containerApi],
        // Settings of the removed default pool: changing them would replace the whole cluster for nothing.
        ignoreChanges: ["nodeConfig", "initialNodeCount", "nodePools"],
      },
    );

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
          imageType: "COS_CONTAINERD",
          serviceAccount: nodeSa.email,
          oauthScopes: ["https://www.googleapis.com/auth/cloud-platform"],
          workloadMetadataConfig: { mode: "GKE_METADATA" },
          shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true },
          metadata: { "disable-legacy-endpoints": "true" },
          labels: { "memcached-gke/pool": "cache" },
        },
      },
      {
        parent: this,
        dependsOn: roleBindings,
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
      { parent: this },
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
      { parent: this },
    );

    this.clusterName = gkeCluster.name;
    this.location = c.location;
    this.nodeCount = c.nodeCount;
    this.nodeServiceAccountEmail = nodeSa.email;
    this.kubeconfig = pulumi.secret(
      kubeconfigYaml({
        project,
        location: c.location,
        clusterName: c.name,
        endpoint: gkeCluster.endpoint,
        caCert: gkeCluster.masterAuth.clusterCaCertificate,
      }),
    );
    this.provider = new k8s.Provider(
      `${name}-k8s`,
      {
        kubeconfig: this.kubeconfig,
        // The identity of the cluster, not of its credentials: a new endpoint or CA (rotation, upgrade) then
        // updates the provider in place instead of replacing it and every object deployed through it.
        clusterIdentifier: gkeContextName(project, c.location, c.name),
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
}
