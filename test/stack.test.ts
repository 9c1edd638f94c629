// The composed stack under mocks, for every committed stack config: exact inputs of what it creates.
import { describe, expect, it } from "vitest";
import { mcrouterConfigJson } from "../lib/tiers/mcrouterConfig";
import { DNS_ENDPOINT, Recorded, runProgram } from "./harness/mocks";

const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SHIELDED = { enableSecureBoot: true, enableIntegrityMonitoring: true };

/** The exact node pool inputs of a committed GKE stack; only these values differ between stacks. */
function expectedNodePool(p: {
  stack: string;
  location: string;
  nodeLocations?: string[];
  nodeCount: number;
  machineType: string;
  diskSizeGb: number;
  autoscaling: { min: number; max: number };
}) {
  return {
    project: "my-gcp-project",
    cluster: `memcached-${p.stack}`,
    location: p.location,
    ...(p.nodeLocations ? { nodeLocations: p.nodeLocations } : {}),
    nodeCount: p.nodeCount,
    autoscaling: {
      totalMinNodeCount: p.autoscaling.min,
      totalMaxNodeCount: p.autoscaling.max,
      locationPolicy: "BALANCED",
    },
    management: { autoRepair: true, autoUpgrade: true },
    upgradeSettings: { maxSurge: 1, maxUnavailable: 0 },
    nodeConfig: {
      machineType: p.machineType,
      diskSizeGb: p.diskSizeGb,
      diskType: "pd-balanced",
      imageType: "COS_CONTAINERD",
      serviceAccount: `memcached-${p.stack}-nodes@my-gcp-project.iam.gserviceaccount.com`,
      oauthScopes: ["https://www.googleapis.com/auth/cloud-platform"],
      workloadMetadataConfig: { mode: "GKE_METADATA" },
      shieldedInstanceConfig: SHIELDED,
      metadata: { "disable-legacy-endpoints": "true" },
      labels: { "memcached-gke/pool": "cache" },
    },
  };
}

describe("dev stack (GKE)", async () => {
  const run = await runProgram("dev");

  it("creates a zonal, hardened cluster without its default pool", () => {
    const cluster = run.one("gcp:container/cluster:Cluster").inputs;
    expect(cluster).toMatchObject({
      project: "my-gcp-project",
      name: "memcached-dev",
      location: "us-central1-f",
      deletionProtection: false,
      removeDefaultNodePool: true,
      initialNodeCount: 1,
      releaseChannel: { channel: "REGULAR" },
      networkingMode: "VPC_NATIVE",
      ipAllocationPolicy: {},
      datapathProvider: "ADVANCED_DATAPATH",
      workloadIdentityConfig: { workloadPool: "my-gcp-project.svc.id.goog" },
      enableShieldedNodes: true,
      enableLegacyAbac: false,
      enableKubernetesAlpha: false,
      masterAuth: { clientCertificateConfig: { issueClientCertificate: false } },
      maintenancePolicy: { dailyMaintenanceWindow: { startTime: "03:00" } },
      // The temporary default pool, until the provider deletes it: the node account, shielded, no SSD quota.
      nodeConfig: {
        serviceAccount: "memcached-dev-nodes@my-gcp-project.iam.gserviceaccount.com",
        oauthScopes: ["https://www.googleapis.com/auth/cloud-platform"],
        shieldedInstanceConfig: SHIELDED,
        imageType: "COS_CONTAINERD",
        machineType: "e2-medium",
        diskType: "pd-standard",
        diskSizeGb: 20,
      },
      addonsConfig: { dnsCacheConfig: { enabled: true } },
      controlPlaneEndpointsConfig: { dnsEndpointConfig: { allowExternalTraffic: true } },
      masterAuthorizedNetworksConfig: { cidrBlocks: [], gcpPublicCidrsAccessEnabled: false },
      loggingConfig: { enableComponents: ["SYSTEM_COMPONENTS", "WORKLOADS"] },
      monitoringConfig: { enableComponents: ["SYSTEM_COMPONENTS"], managedPrometheus: { enabled: true } },
    });
    for (const key of ["loggingService", "monitoringService", "privateClusterConfig", "inTransitEncryptionConfig"]) {
      expect(cluster[key], key).toBeUndefined();
    }
  });

  it("runs 3 nodes in one managed, shielded COS pool on the dedicated service account", () => {
    const pool = run.one("gcp:container/nodePool:NodePool").inputs;
    expect(pool).toEqual(
      expectedNodePool({
        stack: "dev",
        location: "us-central1-f",
        nodeCount: 3,
        machineType: "e2-standard-2",
        diskSizeGb: 30,
        autoscaling: { min: 3, max: 6 },
      }),
    );
  });

  it("gives nodes a service account with only the node roles", () => {
    expect(run.one("gcp:serviceaccount/account:Account").inputs).toEqual({
      project: "my-gcp-project",
      accountId: "memcached-dev-nodes",
      displayName: "GKE nodes of memcached-dev",
    });
    expect(run.byType("gcp:projects/iAMMember:IAMMember").map((r) => r.inputs)).toEqual([
      {
        project: "my-gcp-project",
        role: "roles/container.defaultNodeServiceAccount",
        member: "serviceAccount:memcached-dev-nodes@my-gcp-project.iam.gserviceaccount.com",
      },
      {
        project: "my-gcp-project",
        role: "roles/artifactregistry.reader",
        member: "serviceAccount:memcached-dev-nodes@my-gcp-project.iam.gserviceaccount.com",
      },
    ]);
  });

  it("enables every API its GCP resources call, never disables one on destroy, and waits for them to propagate", () => {
    const apis = [
      "cloudresourcemanager.googleapis.com",
      "compute.googleapis.com",
      "container.googleapis.com",
      "iam.googleapis.com",
      "logging.googleapis.com",
      "monitoring.googleapis.com",
    ];
    expect(run.byType("gcp:projects/service:Service").map((r) => r.inputs)).toEqual(
      apis.map((service) => ({
        project: "my-gcp-project",
        service,
        disableOnDestroy: false,
        disableDependentServices: false,
      })),
    );
    const wait = run.one("pulumi-nodejs:dynamic/gcp:ApiPropagationWait");
    expect([wait.inputs.services, wait.inputs.seconds]).toEqual([apis, 90]);
    expect(wait.dependsOn).toEqual(apis.map((a) => `apis-${a.split(".")[0]}`));
  });

  it("limits mcrouter's hostPort to the cluster's pods", () => {
    const [allow, deny] = ["gke-mcrouter-from-pods", "gke-mcrouter-deny-others"].map(
      (n) => run.one("gcp:compute/firewall:Firewall", n).inputs,
    );
    expect(allow).toMatchObject({
      priority: 900,
      allows: [{ protocol: "tcp", ports: ["5000"] }],
      sourceRanges: ["10.4.0.0/14"],
    });
    expect(deny).toMatchObject({
      priority: 910,
      denies: [{ protocol: "tcp", ports: ["5000"] }],
      sourceRanges: ["0.0.0.0/0"],
    });
    for (const rule of [allow, deny]) {
      expect(rule.targetServiceAccounts).toEqual(["memcached-dev-nodes@my-gcp-project.iam.gserviceaccount.com"]);
    }
  });

  it("builds the Kubernetes provider on a stable cluster identity, with a mutable ConfigMap", () => {
    const provider = run.one("pulumi:providers:kubernetes").inputs;
    expect(provider.clusterIdentifier).toBe("gke_my-gcp-project_us-central1-f_memcached-dev");
    expect(provider.enableConfigMapMutable).toBe("true");
    // The kubeconfig reaches the provider as a secret (Pulumi's secret signature), never in plain text. It names
    // the DNS-based endpoint (a publicly trusted certificate: no CA) and takes the application-default credentials.
    expect(provider.kubeconfig[SECRET_SIG]).toBe("1b47061264138c4ac30d75fd1eb44270");
    expect(provider.kubeconfig.value).toContain(`  cluster:\n    server: https://${DNS_ENDPOINT}\n`);
    expect(provider.kubeconfig.value).toContain(
      "      command: gke-gcloud-auth-plugin\n      args:\n      - --use_application_default_credentials\n",
    );
  });

  it("sends every Kubernetes object through that provider", () => {
    const k8sObjects = run.resources.filter((r) => r.type.startsWith("kubernetes:"));
    expect(k8sObjects.length).toBe(28);
    for (const r of k8sObjects) expect(r.provider, r.name).toMatch(/pulumi:providers:kubernetes::gke-k8s::gke-k8s-id$/);
  });

  it("applies every Kubernetes object under one stable field manager, forcing its declared fields back", () => {
    const k8sObjects = run.resources.filter(
      (r) => r.type.startsWith("kubernetes:") && r.type !== "pulumi:providers:kubernetes",
    );
    for (const r of k8sObjects) {
      expect(r.inputs.metadata.annotations, r.name).toMatchObject({
        "pulumi.com/patchFieldManager": "memcached-gke",
        "pulumi.com/patchForce": "true",
      });
    }
  });

  it("exports the cluster, its 3 nodes, a secret kubeconfig and the cache endpoints", () => {
    expect(run.outputs).toMatchObject({
      clusterName: "memcached-dev",
      clusterLocation: "us-central1-f",
      nodeCount: 3,
      namespace: "memcached",
      memcachedServiceDns: "memcached.memcached.svc.cluster.local",
      memcachedEndpoints: [0, 1, 2].map((i) => `memcached-${i}.memcached.memcached.svc.cluster.local:11211`),
      mcrouterPort: 5000,
    });
    expect(run.secretOutputs).toEqual(["kubeconfig"]);
    expect(run.outputs.kubeconfig).toContain("current-context: gke_my-gcp-project_us-central1-f_memcached-dev");
    expect(run.outputs.checkCommand).toBe(
      `kubectl exec -n cache-clients deploy/sample-app -- sh -c 'printf "set mykey 0 0 5\\r\\nhello\\r\\nget mykey\\r\\nquit\\r\\n" | nc -w 2 "$NODE_NAME" "$MCROUTER_PORT"'`,
    );
  });
});

describe("prod stack (GKE)", async () => {
  const run = await runProgram("prod");

  it("spreads exactly 3 nodes over 3 zones of a regional cluster", () => {
    const cluster = run.one("gcp:container/cluster:Cluster").inputs;
    expect(cluster).toMatchObject({
      location: "us-central1",
      deletionProtection: true,
      releaseChannel: { channel: "STABLE" },
      masterAuthorizedNetworksConfig: { cidrBlocks: [], gcpPublicCidrsAccessEnabled: false },
      inTransitEncryptionConfig: "IN_TRANSIT_ENCRYPTION_INTER_NODE_TRANSPARENT",
      maintenancePolicy: { dailyMaintenanceWindow: { startTime: "02:00" } },
    });
    expect(run.one("gcp:container/nodePool:NodePool").inputs).toEqual(
      expectedNodePool({
        stack: "prod",
        location: "us-central1",
        nodeLocations: ["us-central1-a", "us-central1-b", "us-central1-c"],
        nodeCount: 1,
        machineType: "n2-highmem-4",
        diskSizeGb: 50,
        autoscaling: { min: 3, max: 6 },
      }),
    );
    expect(run.outputs.nodeCount).toBe(3);
    expect(run.one("pulumi:providers:kubernetes").inputs.clusterIdentifier).toBe(
      "gke_my-gcp-project_us-central1_memcached-prod",
    );
    expect(run.byType("gcp:projects/iAMMember:IAMMember").map((r) => r.inputs.role)).toEqual([
      "roles/container.defaultNodeServiceAccount",
      "roles/artifactregistry.reader",
    ]);
  });

  it("sizes memcached for 22 GiB with a measured margin, requests equal to limits", () => {
    const sts = run.one("kubernetes:apps/v1:StatefulSet").inputs;
    const container = sts.spec.template.spec.containers[0];
    expect(container.args).toEqual([
      "-m",
      "22528",
      "-I",
      "1m",
      "-c",
      "4096",
      "-t",
      "4",
      "-p",
      "11211",
      "-U",
      "0",
      "-o",
      "modern",
    ]);
    const amounts = { cpu: "1", memory: "23727Mi", "ephemeral-storage": "64Mi" };
    expect(container.resources).toEqual({ requests: amounts, limits: amounts });
  });

  it("runs 4 mcrouter proxies per node", () => {
    const args: string[] = run.one("kubernetes:apps/v1:DaemonSet").inputs.spec.template.spec.containers[0].args;
    expect(args).toContain("--num-proxies=4");
  });
});

describe.each(["dev", "prod", "local"])("%s stack: the cache data path", async (stack) => {
  const run = await runProgram(stack);
  const sts = run.one("kubernetes:apps/v1:StatefulSet").inputs;
  const headless = run.one("kubernetes:core/v1:Service", "memcached-headless").inputs;
  const ds = run.one("kubernetes:apps/v1:DaemonSet").inputs;
  const deployment = run.one("kubernetes:apps/v1:Deployment").inputs;
  const replicas = stack === "dev" || stack === "prod" || stack === "local" ? 3 : NaN;

  it("puts memcached behind a headless Service that is the StatefulSet's serviceName", () => {
    expect(headless.spec.clusterIP).toBe("None");
    expect(headless.spec.ports).toEqual([{ name: "memcache", port: 11211, targetPort: "memcache", protocol: "TCP" }]);
    expect(sts.metadata.namespace).toBe("memcached");
    expect(sts.spec.serviceName).toBe(headless.metadata.name);
    expect(sts.spec.replicas).toBe(replicas);
    expect(sts.spec.podManagementPolicy).toBe("Parallel");
    expect(headless.spec.selector).toEqual(sts.spec.selector.matchLabels);
    expect(sts.spec.template.metadata.labels).toMatchObject(sts.spec.selector.matchLabels);
  });

  it("runs memcached without UDP, as uid 11211, read-only, spread one per node", () => {
    const pod = sts.spec.template.spec;
    const container = pod.containers[0];
    expect(container.image).toBe("memcached:1.6.45-alpine");
    expect(container.args.slice(-4)).toEqual(["-U", "0", "-o", "modern"]);
    expect(container.ports).toEqual([{ name: "memcache", containerPort: 11211, protocol: "TCP" }]);
    expect(container.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 11211,
      runAsGroup: 11211,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(pod.topologySpreadConstraints).toEqual([
      {
        maxSkew: 1,
        topologyKey: "kubernetes.io/hostname",
        whenUnsatisfiable: "DoNotSchedule",
        labelSelector: { matchLabels: sts.spec.selector.matchLabels },
      },
    ]);
    expect(pod.automountServiceAccountToken).toBe(false);
  });

  it("allows one memcached pod to be disrupted at a time", () => {
    const pdb = run.one("kubernetes:policy/v1:PodDisruptionBudget", "memcached-pdb").inputs;
    expect(pdb.spec).toEqual({
      maxUnavailable: 1,
      selector: sts.spec.selector,
      unhealthyPodEvictionPolicy: "AlwaysAllow",
    });
  });

  it("runs mcrouter on hostPort 5000 of every node, rolling one node at a time", () => {
    const pod = ds.spec.template.spec;
    const container = pod.containers[0];
    expect(ds.metadata.namespace).toBe("mcrouter");
    expect(container.ports).toEqual([{ name: "mcrouter", containerPort: 5000, hostPort: 5000, protocol: "TCP" }]);
    expect(ds.spec.updateStrategy).toEqual({
      type: "RollingUpdate",
      rollingUpdate: { maxSurge: 0, maxUnavailable: 1 },
    });
    expect(container.args.slice(0, 2)).toEqual(["--port=5000", "--config=file:/etc/mcrouter/config.json"]);
    expect(container.volumeMounts[0]).toEqual({ name: "config", mountPath: "/etc/mcrouter", readOnly: true });
    expect(container.volumeMounts[0].subPath).toBeUndefined();
    expect(pod.volumes[0]).toEqual({ name: "config", configMap: { name: "mcrouter-config" } });
    expect(pod.hostNetwork).toBeUndefined();
    const { exec: readinessExec, ...readiness } = container.readinessProbe;
    expect(readinessExec.command[0]).toBe("bash");
    expect([readiness, container.livenessProbe]).toEqual([
      { periodSeconds: 2, timeoutSeconds: 3, failureThreshold: 3 },
      { tcpSocket: { port: "mcrouter" }, initialDelaySeconds: 10, periodSeconds: 10, failureThreshold: 3 },
    ]);
  });

  it("gives mcrouter a config listing every memcached pod by fully qualified DNS name (trailing dot)", () => {
    const cm = run.one("kubernetes:core/v1:ConfigMap").inputs;
    expect(cm.metadata.name).toBe("mcrouter-config");
    const config = JSON.parse(cm.data["config.json"]);
    expect(config.pools.memcached.servers).toEqual(
      Array.from({ length: replicas }, (_, i) => `memcached-${i}.memcached.memcached.svc.cluster.local.:11211`),
    );
    expect(config.route).toEqual({ type: "PoolRoute", pool: "memcached", hash: { hash_func: "Ch3" } });
    expect(cm.data["config.json"]).toBe(
      mcrouterConfigJson({
        statefulSetName: "memcached",
        serviceName: "memcached",
        namespace: "memcached",
        replicas,
        clusterDomain: "cluster.local",
        port: 11211,
      }),
    );
  });

  it("gives mcrouter a node-local Service", () => {
    const svc = run.one("kubernetes:core/v1:Service", "mcrouter-local").inputs;
    expect(svc.spec).toEqual({
      selector: ds.spec.selector.matchLabels,
      internalTrafficPolicy: "Local",
      ports: [{ name: "mcrouter", port: 5000, targetPort: "mcrouter", protocol: "TCP" }],
    });
    expect(ds.spec.template.metadata.labels).toMatchObject(svc.spec.selector);
  });

  it("wires the sample app to its node's mcrouter through NODE_NAME from spec.nodeName", () => {
    const pod = deployment.spec.template.spec;
    const container = pod.containers[0];
    expect(deployment.spec.replicas).toBe(9);
    expect(container.env).toEqual([
      { name: "NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } },
      { name: "HOST_IP", valueFrom: { fieldRef: { fieldPath: "status.hostIP" } } },
      { name: "MCROUTER_PORT", value: "5000" },
    ]);
    expect(container.startupProbe.exec.command.slice(0, 2)).toEqual(["sh", "-c"]);
    expect(container.startupProbe.exec.command[2]).toContain('nc -w 2 "$NODE_NAME" "$MCROUTER_PORT"');
    const { exec: _, ...startup } = container.startupProbe;
    expect([startup, container.readinessProbe, container.livenessProbe]).toEqual([
      { periodSeconds: 2, timeoutSeconds: 8, failureThreshold: 150 },
      { httpGet: { path: "/ready", port: "http" }, periodSeconds: 2 },
      { httpGet: { path: "/healthz", port: "http" }, periodSeconds: 20, failureThreshold: 3 },
    ]);
    expect(deployment.spec.template.metadata.labels["memcached-gke.dev/cache-client"]).toBe("true");
    expect(pod.topologySpreadConstraints[0]).toMatchObject({ topologyKey: "kubernetes.io/hostname", maxSkew: 1 });
  });

  it("lets memcached accept 11211 from mcrouter pods only", () => {
    const np = run.one("kubernetes:networking.k8s.io/v1:NetworkPolicy", "memcached-from-mcrouter").inputs;
    expect(np.spec).toEqual({
      podSelector: { matchLabels: sts.spec.selector.matchLabels },
      policyTypes: ["Ingress"],
      ingress: [
        {
          from: [
            {
              namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "mcrouter" } },
              podSelector: { matchLabels: ds.spec.selector.matchLabels },
            },
          ],
          ports: [{ protocol: "TCP", port: 11211 }],
        },
      ],
    });
  });
});

describe("local stack (existing cluster)", async () => {
  const run = await runProgram("local", {
    "memcached-gke:existingCluster": { kubeconfig: "/tmp/kubeconfig", context: "kwok", nodeCount: 3 },
  });

  it("creates nothing on GCP and deploys through the given kubeconfig", () => {
    expect(run.resources.filter((r) => r.type.startsWith("gcp:"))).toEqual([]);
    const provider = run.one("pulumi:providers:kubernetes").inputs;
    expect(provider).toMatchObject({ kubeconfig: "/tmp/kubeconfig", context: "kwok", enableConfigMapMutable: "true" });
    expect(run.outputs.clusterName).toBeUndefined();
    expect(run.outputs.kubeconfig).toBeUndefined();
  });

  it("deletes workloads first, in the background, and lets each namespace take its other objects along (deletedWith)", () => {
    const namespaces = run.byType("kubernetes:core/v1:Namespace");
    expect(namespaces.map((n) => [n.inputs.metadata.name, n.deletedWith])).toEqual([
      ["memcached", undefined],
      ["mcrouter", undefined],
      ["cache-clients", undefined],
    ]);
    const resourceOf = Object.fromEntries(namespaces.map((n) => [n.inputs.metadata.name, n.name]));
    const workload = (r: Recorded) => /^kubernetes:apps\/v1:(StatefulSet|DaemonSet|Deployment)$/.test(r.type);
    const namespaced = run.resources.filter((r) => r.type.startsWith("kubernetes:") && r.inputs.metadata?.namespace);
    expect(namespaced.filter(workload).map((r) => [r.name, r.deletedWith, r.inputs.metadata.annotations])).toEqual(
      ["memcached-sts", "mcrouter-ds", "sample-app-deployment"].map((name) => [
        name,
        undefined,
        {
          "pulumi.com/patchFieldManager": "memcached-gke",
          "pulumi.com/patchForce": "true",
          "pulumi.com/deletionPropagationPolicy": "background",
        },
      ]),
    );
    const others = namespaced.filter((r) => !workload(r));
    expect(others.length).toBeGreaterThan(15);
    for (const r of others) expect(r.deletedWith, r.name).toBe(resourceOf[r.inputs.metadata.namespace]);
  });
});
