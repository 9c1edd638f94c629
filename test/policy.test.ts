// The policy rules over what each committed stack actually creates (zero violations), and over
// deliberately broken resources (each reported, with a clear message).
import { beforeAll, describe, expect, it } from "vitest";
import { evaluate, Resource, RULES, T } from "../policy/rules";
import { COMMITTED_STACKS } from "../lib/stackFiles";
import { ProgramRun, runProgram } from "./harness/mocks";
import { PROJECT_NAME } from "../lib/project";

function asPolicyResources(stack: string, run: ProgramRun): Resource[] {
  return run.resources.map((r) => ({
    type: r.type,
    name: r.name,
    urn: `urn:pulumi:${stack}::${PROJECT_NAME}::${r.type}::${r.name}`,
    props: r.inputs,
    dependsOn: r.dependsOn,
    protect: r.protect,
  }));
}

const stacks: Record<string, Resource[]> = {};
beforeAll(async () => {
  for (const stack of COMMITTED_STACKS) stacks[stack] = asPolicyResources(stack, await runProgram(stack));
});

describe.each(COMMITTED_STACKS)("%s stack", (stack) => {
  it("violates no rule", () => {
    expect(stacks[stack].length).toBeGreaterThan(20);
    expect(evaluate(stacks[stack])).toEqual([]);
  });
});

type Mutation = (rs: Resource[]) => void;
const clone = (rs: Resource[]): Resource[] => structuredClone(rs);
const find = (rs: Resource[], type: string, name?: string) =>
  rs.find((r) => r.type === type && (name === undefined || r.props.metadata?.name === name))!;
const container = (rs: Resource[], type: string) => find(rs, type).props.spec.template.spec.containers[0];
const memcached = (rs: Resource[]) => container(rs, T.statefulSet);
const mcrouter = (rs: Resource[]) => container(rs, T.daemonSet);
const app = (rs: Resource[]) => container(rs, T.deployment);
const setArg = (args: string[], flag: string, value: string) => {
  args[args.indexOf(flag) + 1] = value;
};
const cluster = (rs: Resource[]) => find(rs, T.cluster).props;
const pool = (rs: Resource[]) => find(rs, T.nodePool).props;

const BAD: Array<[rule: string, what: string, mutate: Mutation, message: RegExp]> = [
  [
    "K1",
    "a container without limits",
    (rs) => {
      delete memcached(rs).resources.limits;
    },
    /lacks cpu\/memory requests or a memory limit/,
  ],
  [
    "K2",
    "no liveness probe",
    (rs) => {
      delete mcrouter(rs).livenessProbe;
    },
    /has no readiness or liveness probe/,
  ],
  [
    "K2",
    "a probe on an undeclared port",
    (rs) => {
      memcached(rs).readinessProbe = { tcpSocket: { port: 9999 } };
    },
    /probes port 9999, which it does not declare/,
  ],
  [
    "K3",
    "running as root",
    (rs) => {
      memcached(rs).securityContext.runAsUser = 0;
    },
    /runAsNonRoot: true and numeric runAsUser/,
  ],
  [
    "K4",
    "a writable root filesystem",
    (rs) => {
      mcrouter(rs).securityContext.readOnlyRootFilesystem = false;
    },
    /readOnlyRootFilesystem: true/,
  ],
  [
    "K5",
    "a privileged container",
    (rs) => {
      app(rs).securityContext.privileged = true;
    },
    /allowPrivilegeEscalation: false and not be privileged/,
  ],
  [
    "K6",
    "an added capability",
    (rs) => {
      app(rs).securityContext.capabilities.add = ["NET_ADMIN"];
    },
    /drop ALL capabilities and add none/,
  ],
  [
    "K7",
    "no seccomp profile",
    (rs) => {
      delete memcached(rs).securityContext.seccompProfile;
      delete find(rs, T.statefulSet).props.spec.template.spec.securityContext.seccompProfile;
    },
    /seccompProfile RuntimeDefault/,
  ],
  [
    "K8",
    "a hostPort on memcached",
    (rs) => {
      memcached(rs).ports[0].hostPort = 11211;
    },
    /opens hostPort 11211\/TCP; only mcrouter may/,
  ],
  [
    "K8",
    "hostNetwork on mcrouter",
    (rs) => {
      find(rs, T.daemonSet).props.spec.template.spec.hostNetwork = true;
    },
    /sets hostNetwork/,
  ],
  [
    "K9",
    "the latest tag",
    (rs) => {
      app(rs).image = "busybox:latest";
    },
    /image "busybox:latest" is not pinned/,
  ],
  [
    "K10",
    "memcached not spread",
    (rs) => {
      delete find(rs, T.statefulSet).props.spec.template.spec.topologySpreadConstraints;
    },
    /does not spread its pods/,
  ],
  [
    "K11",
    "no PDB for the Deployment",
    (rs) => {
      rs.splice(rs.indexOf(find(rs, T.pdb, "sample-app")), 1);
    },
    /cache-clients\/sample-app has no PodDisruptionBudget/,
  ],
  [
    "K11",
    "a PDB that blocks drains",
    (rs) => {
      find(rs, T.pdb, "memcached").props.spec.maxUnavailable = 0;
    },
    /allows no disruption/,
  ],
  [
    "K11",
    "a PDB keeping unhealthy pods",
    (rs) => {
      delete find(rs, T.pdb, "memcached").props.spec.unhealthyPodEvictionPolicy;
    },
    /unhealthyPodEvictionPolicy: AlwaysAllow/,
  ],
  [
    "K12",
    "no default deny",
    (rs) => {
      rs.splice(rs.indexOf(find(rs, T.networkPolicy, "default-deny")), 1);
    },
    /has no default-deny NetworkPolicy/,
  ],
  [
    "K12",
    "memcached open to every pod",
    (rs) => {
      find(rs, T.networkPolicy, "allow-memcache-from-mcrouter").props.spec.ingress[0].from = [
        { namespaceSelector: {} },
      ];
    },
    /memcached must accept 11211\/TCP from mcrouter pods only/,
  ],
  [
    "K12",
    "the metrics port open to every namespace",
    (rs) => {
      find(rs, T.networkPolicy, "allow-metrics-scrape").props.spec.ingress[0].from = [{ namespaceSelector: {} }];
    },
    /the metrics port 9150 must admit one named namespace \(the collector's\) only/,
  ],
  [
    "K12",
    "the metrics policy opening memcached's port too",
    (rs) => {
      find(rs, T.networkPolicy, "allow-metrics-scrape").props.spec.ingress[0].ports.push({
        protocol: "TCP",
        port: 11211,
      });
    },
    /memcached must accept 11211\/TCP from mcrouter pods only/,
  ],
  [
    "K12",
    "mcrouter's metrics port open to every namespace",
    (rs) => {
      rs.filter(
        (r) =>
          r.type === T.networkPolicy &&
          r.props.metadata.name === "allow-metrics-scrape" &&
          r.props.metadata.namespace === "mcrouter",
      ).forEach((p) => {
        p.props.spec.ingress[0].from = [{ namespaceSelector: {} }];
      });
    },
    /the metrics port 9442 must admit one named namespace \(the collector's\) only/,
  ],
  [
    "K12",
    "mcrouter open to any pod",
    (rs) => {
      find(rs, T.networkPolicy, "allow-cache-clients").props.spec.ingress[0].from = [
        { namespaceSelector: {}, podSelector: {} },
      ];
    },
    /mcrouter must accept 5000\/TCP from pods labelled memcached-gke.dev\/cache-client=true only/,
  ],
  [
    "K13",
    "a LoadBalancer Service",
    (rs) => {
      find(rs, T.service, "mcrouter").props.spec.type = "LoadBalancer";
    },
    /is a LoadBalancer Service/,
  ],
  [
    "K13",
    "a headless Service that selects nothing",
    (rs) => {
      find(rs, T.service, "memcached").props.spec.selector = { "app.kubernetes.io/name": "other" };
    },
    /selector does not match/,
  ],
  [
    "K14",
    "the token automounted",
    (rs) => {
      find(rs, T.deployment).props.spec.template.spec.automountServiceAccountToken = true;
    },
    /automountServiceAccountToken: false/,
  ],
  [
    "K14",
    "the default namespace",
    (rs) => {
      find(rs, T.deployment).props.metadata.namespace = "default";
    },
    /is in the default namespace/,
  ],
  [
    "K14",
    "a privileged namespace for memcached",
    (rs) => {
      find(rs, T.namespace, "memcached").props.metadata.labels["pod-security.kubernetes.io/enforce"] = "privileged";
    },
    /namespace memcached is not enforced at restricted; only mcrouter's/,
  ],
  [
    "G1",
    "the compute default service account",
    (rs) => {
      pool(rs).nodeConfig.serviceAccount = "123-compute@developer.gserviceaccount.com";
    },
    /Compute Engine default service account/,
  ],
  [
    "G1",
    "Editor for the nodes",
    (rs) => {
      find(rs, T.iamMember).props.role = "roles/editor";
    },
    /node service account is granted roles\/editor/,
  ],
  [
    "G2",
    "no Workload Identity",
    (rs) => {
      delete cluster(rs).workloadIdentityConfig;
    },
    /must enable Workload Identity/,
  ],
  [
    "G2",
    "node metadata exposed",
    (rs) => {
      pool(rs).nodeConfig.workloadMetadataConfig.mode = "GCE_METADATA";
    },
    /GKE_METADATA/,
  ],
  [
    "G3",
    "Ubuntu nodes",
    (rs) => {
      pool(rs).nodeConfig.imageType = "UBUNTU_CONTAINERD";
    },
    /COS_CONTAINERD/,
  ],
  [
    "G4",
    "no auto-repair",
    (rs) => {
      pool(rs).management.autoRepair = false;
    },
    /autoRepair and autoUpgrade/,
  ],
  [
    "G5",
    "the RAPID channel",
    (rs) => {
      cluster(rs).releaseChannel.channel = "RAPID";
    },
    /release channel RAPID/,
  ],
  [
    "G6",
    "no secure boot",
    (rs) => {
      pool(rs).nodeConfig.shieldedInstanceConfig.enableSecureBoot = false;
    },
    /secure boot and integrity monitoring/,
  ],
  [
    "G7",
    "a production cluster's IP endpoint open to every address",
    (rs) => {
      cluster(rs).deletionProtection = true;
      delete cluster(rs).masterAuthorizedNetworksConfig;
    },
    /with an IP endpoint open to every address/,
  ],
  [
    "G7",
    "a routes-based cluster",
    (rs) => {
      cluster(rs).networkingMode = "ROUTES";
    },
    /must be VPC-native/,
  ],
  [
    "G8",
    "the legacy dataplane",
    (rs) => {
      delete cluster(rs).datapathProvider;
    },
    /does not enforce NetworkPolicies/,
  ],
  [
    "G9",
    "no hostPort firewall",
    (rs) => {
      rs.splice(rs.indexOf(rs.find((r) => r.name === "gke-mcrouter-deny-others")!), 1);
    },
    /no firewall rule denies tcp:5000/,
  ],
  [
    "G10",
    "legacy ABAC",
    (rs) => {
      cluster(rs).enableLegacyAbac = true;
    },
    /legacy ABAC and client certificates/,
  ],
  [
    "G11",
    "logging off",
    (rs) => {
      delete cluster(rs).loggingConfig;
    },
    /logging and monitoring on/,
  ],
  [
    "G11",
    "alpha features",
    (rs) => {
      cluster(rs).enableKubernetesAlpha = true;
    },
    /alpha features off/,
  ],
  [
    "GKE1",
    "loggingService sent with loggingConfig",
    (rs) => {
      cluster(rs).loggingService = "logging.googleapis.com/kubernetes";
    },
    /sends loggingService with loggingConfig, monitoringConfig: GKE refuses the create/,
  ],
  [
    "GKE2",
    "the node service account not waiting for the IAM API",
    (rs) => {
      find(rs, "gcp:serviceaccount/account:Account").dependsOn = [];
    },
    /gcp:serviceaccount\/account:Account gke-nodes does not wait for iam.googleapis.com/,
  ],
  [
    "GKE3",
    "the temporary default pool on the Compute Engine default account",
    (rs) => {
      delete cluster(rs).nodeConfig.serviceAccount;
    },
    /temporary default pool would run as the Compute Engine default account/,
  ],
  [
    "GKE4",
    "gke-gcloud-auth-plugin on gcloud's active account",
    (rs) => {
      const kubeconfig = find(rs, "pulumi:providers:kubernetes").props.kubeconfig;
      kubeconfig.value = kubeconfig.value.replace(/ *args:\n *- --use_application_default_credentials\n/, "");
    },
    /runs gke-gcloud-auth-plugin without --use_application_default_credentials/,
  ],
  [
    "GKE5",
    "deletion protection without protected resources",
    (rs) => {
      cluster(rs).deletionProtection = true;
    },
    /gcp:container\/cluster:Cluster gke-cluster is not a protected resource while cluster gke-cluster has deletionProtection/,
  ],
  [
    "GKE6",
    "a documentation range as authorized network",
    (rs) => {
      cluster(rs).masterAuthorizedNetworksConfig = { cidrBlocks: [{ cidrBlock: "203.0.113.0/24" }] };
    },
    /authorizes 203.0.113.0\/24, which is a documentation range/,
  ],
  [
    "GKE6",
    "a control plane open to the world",
    (rs) => {
      cluster(rs).masterAuthorizedNetworksConfig = { cidrBlocks: [{ cidrBlock: "0.0.0.0/0" }] };
    },
    /authorizes 0.0.0.0\/0, which is everyone/,
  ],
  [
    "GKE7",
    "private nodes without Cloud NAT",
    (rs) => {
      cluster(rs).privateClusterConfig = { enablePrivateNodes: true };
    },
    /has private nodes but no Cloud Router and NAT on network default/,
  ],
  [
    "GKE8",
    "DNS egress to kube-dns only",
    (rs) => {
      const egress = find(rs, T.networkPolicy, "allow-dns-egress").props.spec.egress[0];
      egress.to = egress.to.slice(0, 1);
    },
    /lets DNS out but not to node-local-dns pods, 169.254.20.10\/32/,
  ],
  [
    "GKE8",
    "NodeLocal DNSCache left to GKE's version default",
    (rs) => {
      delete cluster(rs).addonsConfig;
    },
    /leaves NodeLocal DNSCache to GKE's version default/,
  ],
  [
    "GKE9",
    "the managed collector admitted under one namespace name",
    (rs) => {
      const ingress = find(rs, T.networkPolicy, "allow-metrics-scrape").props.spec.ingress[0];
      ingress.from = ingress.from.slice(0, 1);
    },
    /does not admit the managed collector's namespace gke-gmp-system/,
  ],
  [
    "GKE10",
    "a scrape object that does not wait for its workload",
    (rs) => {
      find(rs, "kubernetes:monitoring.googleapis.com/v1:PodMonitoring").dependsOn = [];
    },
    /PodMonitoring memcached-scrape does not wait for the workloads of namespace memcached/,
  ],
  [
    "GKE11",
    "inter-node encryption on a node image that lacks it",
    (rs) => {
      cluster(rs).inTransitEncryptionConfig = "IN_TRANSIT_ENCRYPTION_INTER_NODE_TRANSPARENT";
      pool(rs).nodeConfig.imageType = "WINDOWS_LTSC_CONTAINERD";
    },
    /runs WINDOWS_LTSC_CONTAINERD, which inter-node encryption does not support/,
  ],
  [
    "M1",
    "UDP on",
    (rs) => {
      setArg(memcached(rs).args, "-U", "11211");
    },
    /must run with -U 0/,
  ],
  [
    "M2",
    "an Ingress",
    (rs) => {
      rs.push({
        type: T.ingress,
        name: "x",
        urn: "urn:pulumi:dev::p::t::x",
        props: { metadata: { name: "cache", namespace: "mcrouter" } },
      });
    },
    /must not be behind an Ingress/,
  ],
  [
    "M3",
    "a limit below -m",
    (rs) => {
      memcached(rs).resources.limits.memory = "1024Mi";
    },
    /memory limit 1024Mi is below the 2175Mi/,
  ],
  [
    "M3",
    "requests below limits",
    (rs) => {
      memcached(rs).resources.requests.memory = "512Mi";
    },
    /requests must equal limits/,
  ],
  [
    "M4",
    "-c too small for the mcrouters",
    (rs) => {
      setArg(memcached(rs).args, "-c", "10");
    },
    /-c 10 is below 76 \(6 nodes x 2 proxies \+ 64\)/,
  ],
  [
    "M5",
    "-I above half of -m",
    (rs) => {
      setArg(memcached(rs).args, "-I", "1100m");
    },
    /-I 1100m is more than half of -m 2048/,
  ],
  [
    "M6",
    "servers by IP",
    (rs) => {
      find(rs, T.configMap).props.data["config.json"] = JSON.stringify({
        pools: { memcached: { servers: ["10.0.0.1:11211"] } },
        route: "PoolRoute|memcached",
      });
    },
    /lists servers by IP \(10.0.0.1:11211\)/,
  ],
  [
    "M7",
    "default TKO settings",
    (rs) => {
      mcrouter(rs).args = mcrouter(rs).args.filter((a: string) => !a.startsWith("--timeouts-until-tko"));
    },
    /--timeouts-until-tko to chance/,
  ],
  [
    "M7",
    "a silent failover route",
    (rs) => {
      find(rs, T.configMap).props.data["config.json"] = JSON.stringify({
        pools: {},
        route: { type: "FailoverRoute", children: [] },
      });
    },
    /FailoverRoute/,
  ],
  [
    "M8",
    "a surge on a hostPort DaemonSet",
    (rs) => {
      find(rs, T.daemonSet).props.spec.updateStrategy.rollingUpdate.maxSurge = 1;
    },
    /maxSurge 0/,
  ],
  [
    "M9",
    "NODE_NAME from the wrong field",
    (rs) => {
      app(rs).env[0].valueFrom.fieldRef.fieldPath = "metadata.name";
    },
    /must take NODE_NAME from spec.nodeName/,
  ],
  [
    "M10",
    "the async delete spool",
    (rs) => {
      mcrouter(rs).args = mcrouter(rs).args.filter((a: string) => a !== "--asynclog-disable");
    },
    /keeps mcrouter's async delete spool/,
  ],
  [
    "M10",
    "servers without the trailing dot",
    (rs) => {
      find(rs, T.configMap).props.data["config.json"] = JSON.stringify({
        pools: { memcached: { servers: ["memcached-0.memcached.memcached.svc.cluster.local:11211"] } },
        route: "PoolRoute|memcached",
      });
    },
    /without the trailing dot \(memcached-0.memcached.memcached.svc.cluster.local:11211\)/,
  ],
  [
    "S1",
    "deletion protection on dev",
    (rs) => {
      cluster(rs).deletionProtection = true;
    },
    /on stack dev has deletion protection/,
  ],
];

describe("sidecars", () => {
  it("a well-formed sidecar in the memcached or mcrouter pod is not read as memcached or mcrouter", () => {
    const resources = clone(stacks.dev);
    for (const type of [T.statefulSet, T.daemonSet]) {
      const spec = find(resources, type).props.spec.template.spec;
      const main = spec.containers[0];
      spec.containers.push({
        name: "exporter",
        image: "quay.io/prometheus/memcached-exporter:v0.15.3",
        args: ["--memcached.address=localhost:11211"],
        ports: [{ name: "metrics", containerPort: 9150, protocol: "TCP" }],
        resources: {
          requests: { cpu: "10m", memory: "32Mi", "ephemeral-storage": "16Mi" },
          limits: { cpu: "10m", memory: "32Mi", "ephemeral-storage": "16Mi" },
        },
        securityContext: main.securityContext,
        readinessProbe: { httpGet: { path: "/", port: "metrics" } },
        livenessProbe: { tcpSocket: { port: "metrics" } },
      });
    }
    expect(evaluate(resources)).toEqual([]);
  });
});

describe("deliberately bad resources", () => {
  it.each(BAD)("%s reports %s", (rule, _what, mutate, message) => {
    const resources = clone(stacks.dev);
    mutate(resources);
    const violations = evaluate(resources);
    expect(violations.filter((v) => v.rule === rule).map((v) => v.message)).toEqual(
      expect.arrayContaining([expect.stringMatching(message)]),
    );
  });

  it("has at least one bad case for every rule", () => {
    expect(new Set(BAD.map(([rule]) => rule))).toEqual(new Set(RULES.map((r) => r.id)));
  });
});
