// The GKE half against GKE's request rules (lib/gke/requestRules.ts): every committed GKE stack, and each change a
// user is likely to make to it, recorded under mocks and checked against every rule; then what each rule exists
// for, asserted on the exact requests; then the two dynamic resources' providers, run as Pulumi runs them.
import { createServer } from "node:http";
import { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { parseStackConfig } from "../lib/config/validate";
import { quotaNeeds } from "../lib/gke/quotas";
import { managedPrometheusProblems, promQuery } from "../scripts/smoke/managedPrometheus";
import { apiPropagationWaitProvider } from "../components/apiPropagationWait";
import { clusterIdentity, identityFingerprint, kubernetesClusterIdentifier } from "../lib/gke/identity";
import { GuardInputs, replacementGuardProvider, replacementRefusal } from "../lib/gke/replacementGuard";
import {
  API_WAIT,
  CLUSTER_REPLACED_BY,
  DNS_PEERS,
  GCP,
  MANAGED_COLLECTOR_NAMESPACES,
  requestRuleViolations,
} from "../lib/gke/requestRules";
import { COMMITTED_STACKS, rawStackConfig, stackConfig } from "../lib/stackFiles";
import { ProgramRun, Recorded, runProgram } from "./harness/mocks";
import { committedStackConfig } from "../lib/stackFiles";

const GKE_STACKS = COMMITTED_STACKS.filter((s) => (stackConfig(s)["memcached-gke:target"] ?? "gke") === "gke");
const GUARD = "pulumi-nodejs:dynamic/gke:ReplacementGuard";

/** A committed stack's cluster section with `fields` changed. */
const withCluster = (stack: string, fields: Record<string, unknown>) => ({
  "memcached-gke:cluster": { ...committedStackConfig(stack)["memcached-gke:cluster"], ...fields },
});

/** Changes a user makes to a GKE stack; every one must still satisfy every request rule. */
const CHANGES: Array<[what: string, overrides: (stack: string) => Record<string, unknown>]> = [
  ["as committed", () => ({})],
  ["private nodes", (s) => withCluster(s, { privateNodes: true })],
  [
    "private nodes with a peering range",
    (s) => withCluster(s, { privateNodes: true, masterIpv4CidrBlock: "172.16.0.32/28" }),
  ],
  ["another network", (s) => withCluster(s, { network: "cache-vpc", subnetwork: "cache-subnet" })],
  [
    "the IP endpoint for listed networks",
    (s) => withCluster(s, { controlPlaneEndpoint: "ip", masterAuthorizedNetworks: [{ cidrBlock: "34.120.0.0/24" }] }),
  ],
  ["NodeLocal DNSCache off", (s) => withCluster(s, { nodeLocalDnsCache: false })],
  ["a long cluster name", (s) => withCluster(s, { name: "memcached-production-cluster-eu" })],
  [
    "inter-node encryption switched",
    (s) =>
      withCluster(s, { inTransitEncryption: !committedStackConfig(s)["memcached-gke:cluster"].inTransitEncryption }),
  ],
  ["metrics off", () => ({ "memcached-gke:metrics": { enabled: false } })],
];

const asRuleResources = (run: ProgramRun) => run.resources.map((r) => ({ ...r, props: r.inputs }));
const names = (rs: Recorded[]) => rs.map((r) => r.name);

describe.each(GKE_STACKS)("%s stack: GKE's request rules", (stack) => {
  // The committed stack's run, once for every test that reads it (a program run takes a while).
  let committedRun: Promise<ProgramRun> | undefined;
  const committed = () => (committedRun ??= runProgram(stack));

  it.each(CHANGES)("%s: the recorded requests satisfy every rule", async (_what, overrides) => {
    const run = await runProgram(stack, overrides(stack));
    expect(run.byType(GCP.cluster).length).toBe(1);
    expect(requestRuleViolations(asRuleResources(run))).toEqual([]);
  });

  it("every GCP resource and the guard wait for the APIs; the cluster and the pool also for the guard and the roles", async () => {
    const run = await committed();
    const gcpResources = run.resources.filter((r) => r.type.startsWith("gcp:") && r.type !== GCP.service);
    expect(gcpResources.length).toBe(8);
    for (const r of [...gcpResources, run.one(GUARD)]) expect(r.dependsOn, r.name).toContain("apis-propagation");
    const roles = names(run.byType(GCP.iamMember));
    for (const type of [GCP.cluster, GCP.nodePool]) {
      expect(run.one(type).dependsOn, type).toEqual(expect.arrayContaining(["gke-guard", ...roles]));
    }
  });

  it("protects every resource of the stack exactly when deletionProtection is on", async () => {
    const run = await committed();
    const on = committedStackConfig(stack)["memcached-gke:cluster"].deletionProtection;
    expect(run.resources.length).toBeGreaterThan(40);
    expect([...new Set(run.resources.map((r) => r.protect))]).toEqual([on]);
    const off = await runProgram(stack, withCluster(stack, { deletionProtection: !on }));
    expect([...new Set(off.resources.map((r) => r.protect))]).toEqual([!on]);
  });

  it("replaces the Kubernetes provider with the cluster: each replacing field changes its clusterIdentifier", async () => {
    const base = await committed();
    const identifier = (run: ProgramRun) => run.one("pulumi:providers:kubernetes").inputs.clusterIdentifier;
    const change: Record<keyof typeof CLUSTER_REPLACED_BY, Record<string, unknown>> = {
      project: { "gcp:project": "other-gcp-project" },
      name: withCluster(stack, { name: "memcached-other" }),
      location: withCluster(stack, { location: "europe-west1-b", nodeLocations: [] }),
      network: withCluster(stack, { network: "cache-vpc" }),
      subnetwork: withCluster(stack, { subnetwork: "cache-subnet" }),
      masterIpv4CidrBlock: withCluster(stack, { privateNodes: true, masterIpv4CidrBlock: "172.16.0.32/28" }),
      nodeServiceAccount: withCluster(stack, { name: "memcached-other-name" }),
    };
    for (const [field, overrides] of Object.entries(change)) {
      const moved = await runProgram(stack, overrides);
      expect(identifier(moved), field).not.toBe(identifier(base));
      expect(moved.one(GUARD).inputs.fingerprint, field).not.toBe(base.one(GUARD).inputs.fingerprint);
    }
  });

  it("lets DNS out to kube-dns and NodeLocal DNSCache only, and states the cluster's DNS cache setting", async () => {
    const run = await committed();
    expect(run.one(GCP.cluster).inputs.addonsConfig).toEqual({ dnsCacheConfig: { enabled: true } });
    const dns = run
      .byType("kubernetes:networking.k8s.io/v1:NetworkPolicy")
      .filter((p) => p.inputs.metadata.name === "allow-dns-egress");
    expect(dns.map((p) => p.inputs.metadata.namespace)).toEqual(["mcrouter", "cache-clients"]);
    const kubeSystem = { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } };
    for (const p of dns) {
      expect(p.inputs.spec.egress).toEqual([
        {
          to: [
            { namespaceSelector: kubeSystem, podSelector: { matchLabels: DNS_PEERS.kubeDnsLabels } },
            { namespaceSelector: kubeSystem, podSelector: { matchLabels: DNS_PEERS.nodeLocalDnsLabels } },
            { ipBlock: { cidr: "169.254.20.10/32" } },
          ],
          ports: [
            { protocol: "UDP", port: 53 },
            { protocol: "TCP", port: 53 },
          ],
        },
      ]);
    }
  });

  it("admits the managed collector under gmp-system and gke-gmp-system, and creates its objects after the workloads", async () => {
    const run = await committed();
    for (const p of run
      .byType("kubernetes:networking.k8s.io/v1:NetworkPolicy")
      .filter((r) => r.inputs.metadata.name === "allow-metrics-scrape")) {
      const admitted = p.inputs.spec.ingress[0].from.map(
        (f: any) => f.namespaceSelector.matchLabels["kubernetes.io/metadata.name"],
      );
      expect(admitted).toEqual([...MANAGED_COLLECTOR_NAMESPACES]);
    }
    const objects = run.resources.filter((r) => r.type.startsWith("kubernetes:monitoring.googleapis.com/"));
    expect(objects.map((o) => [o.name, o.dependsOn])).toEqual([
      ["memcached-scrape", ["memcached-tier-ns", "memcached-sts"]],
      ["memcached-alerts", ["memcached-tier-ns", "memcached-sts"]],
      ["mcrouter-scrape", ["mcrouter-tier-ns", "mcrouter-ds"]],
      ["mcrouter-alerts", ["mcrouter-tier-ns", "mcrouter-ds"]],
    ]);
  });

  it("with private nodes, NATs the cluster's subnetwork through a Cloud Router of its region before the pool starts", async () => {
    const run = await runProgram(stack, withCluster(stack, { privateNodes: true }));
    const region = committedStackConfig(stack)["memcached-gke:cluster"].location.replace(/-[a-z]$/, "");
    expect(run.one(GCP.router).inputs).toEqual({
      project: "my-gcp-project",
      region,
      network: "default",
      description: `Cloud NAT of GKE cluster memcached-${stack}`,
    });
    expect(run.one(GCP.routerNat).inputs).toEqual({
      project: "my-gcp-project",
      region,
      router: "gke-router",
      natIpAllocateOption: "AUTO_ONLY",
      sourceSubnetworkIpRangesToNat: "LIST_OF_SUBNETWORKS",
      subnetworks: [{ name: "default", sourceIpRangesToNats: ["ALL_IP_RANGES"] }],
      logConfig: { enable: true, filter: "ERRORS_ONLY" },
    });
    expect(run.one(GCP.cluster).inputs.privateClusterConfig).toEqual({ enablePrivateNodes: true });
    expect(run.one(GCP.nodePool).dependsOn).toEqual(expect.arrayContaining(["gke-router", "gke-nat"]));
  });
});

describe("the ReplacementGuard's provider", () => {
  const identity = clusterIdentity("my-gcp-project", {
    name: "memcached-prod",
    location: "us-central1",
    network: "default",
    subnetwork: "",
    masterIpv4CidrBlock: "",
  });
  const inputs = (id: typeof identity, acknowledged = ""): GuardInputs => ({
    identity: id,
    fingerprint: identityFingerprint(id),
    acknowledged,
    fields: { network: { key: "cluster.network", why: "network, ForceNew" } },
    acknowledgeKey: "memcached-gke:cluster.acknowledgeReplacement",
  });
  const moved = { ...identity, network: "cache-vpc" };

  it("lets the first deployment and an unchanged identity through", () => {
    expect([replacementRefusal({}, inputs(identity)), replacementRefusal(inputs(identity), inputs(identity))]).toEqual([
      undefined,
      undefined,
    ]);
  });

  it("refuses a replacing change, naming the key, both values, the loss and the exact command that allows it", async () => {
    const fingerprint = identityFingerprint(moved);
    expect(replacementRefusal(inputs(identity), inputs(moved))).toBe(
      "this change replaces the GKE cluster and its node pool: every memcached pod, and with it the whole cache, is lost, " +
        "and every object of the stack is created anew on the new cluster:\n" +
        '  cluster.network: "default" -> "cache-vpc" (network, ForceNew)\n' +
        `To go ahead, run \`pulumi config set --path memcached-gke:cluster.acknowledgeReplacement ${fingerprint}\` and \`pulumi up\` again ` +
        "(on a cluster with deletionProtection, set it to false and `pulumi up` first). Otherwise put the old value back.",
    );
    // Through the provider's check, as `pulumi preview` runs it: a failure on the identity property.
    const checked = await replacementGuardProvider.check!(inputs(identity), inputs(moved));
    expect(checked.failures).toEqual([
      { property: "identity", reason: replacementRefusal(inputs(identity), inputs(moved)) },
    ]);
  });

  it("lets through the change whose fingerprint was acknowledged, and no other", () => {
    const later = { ...moved, subnetwork: "cache-subnet" };
    expect(replacementRefusal(inputs(identity), inputs(moved, identityFingerprint(moved)))).toBeUndefined();
    expect(replacementRefusal(inputs(moved), inputs(later, identityFingerprint(moved)))).toMatch(
      /^this change replaces/,
    );
  });

  it("is an in-place update for Pulumi: the guard itself is never replaced", async () => {
    const diff = await replacementGuardProvider.diff!("cluster-identity", inputs(identity), inputs(moved, "x"));
    expect(diff).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
  });

  it("keeps the identifier of a cluster that never moved equal to kubectl's context name", () => {
    expect(kubernetesClusterIdentifier(identity)).toBe("gke_my-gcp-project_us-central1_memcached-prod");
    expect(kubernetesClusterIdentifier(moved)).toBe("gke_my-gcp-project_us-central1_memcached-prod/network=cache-vpc");
  });
});

describe("the ApiPropagationWait's provider", () => {
  it("waits the given time when created", async () => {
    const t0 = Date.now();
    const created = await apiPropagationWaitProvider.create({ services: ["iam.googleapis.com"], seconds: 0.2 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190); // timers may fire a millisecond early by Date.now()
    expect(created).toEqual({ id: "iam.googleapis.com", outs: { services: ["iam.googleapis.com"], seconds: 0.2 } });
  });

  it("waits again only when an API is added", async () => {
    const olds = { services: ["compute.googleapis.com", "iam.googleapis.com"], seconds: 90 };
    const diff = (news: typeof olds) => apiPropagationWaitProvider.diff!("id", olds, news);
    expect(await diff(olds)).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
    expect(await diff({ ...olds, services: [...olds.services, "container.googleapis.com"] })).toEqual({
      changes: true,
      replaces: ["services"],
      deleteBeforeReplace: false,
    });
    expect(await diff({ ...olds, services: ["compute.googleapis.com"] })).toEqual({
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
    });
  });

  it("is the resource GKE2 looks for", () => {
    expect(API_WAIT).toBe("pulumi-nodejs:dynamic/gcp:ApiPropagationWait");
  });
});

describe("the quota a stack draws on (docs/gke.md's table)", () => {
  const needs = (stack: string, fields: Record<string, unknown> = {}) =>
    quotaNeeds(parseStackConfig(rawStackConfig(stack, withCluster(stack, fields))).cluster!);

  it.each([
    [
      "dev: a zonal temporary pool of 1 e2-medium, then 3–6 e2-standard-2 on pd-balanced, a surge node",
      "dev",
      {},
      [
        { metric: "CPUS", atCreate: 6, atMax: 14 },
        { metric: "DISKS_TOTAL_GB", atCreate: 20, atMax: 0 },
        { metric: "SSD_TOTAL_GB", atCreate: 90, atMax: 210 },
        { metric: "INSTANCES", atCreate: 3, atMax: 7 },
        { metric: "IN_USE_ADDRESSES", atCreate: 3, atMax: 7 },
      ],
    ],
    [
      "prod: a temporary e2-medium in each of 3 zones (CPUS), then n2-highmem-4 (N2_CPUS), a surge node a zone",
      "prod",
      {},
      [
        { metric: "CPUS", atCreate: 6, atMax: 0 },
        { metric: "N2_CPUS", atCreate: 12, atMax: 36 },
        { metric: "DISKS_TOTAL_GB", atCreate: 60, atMax: 0 },
        { metric: "SSD_TOTAL_GB", atCreate: 150, atMax: 450 },
        { metric: "INSTANCES", atCreate: 3, atMax: 9 },
        { metric: "IN_USE_ADDRESSES", atCreate: 3, atMax: 9 },
      ],
    ],
    [
      "dev with private nodes on pd-standard: no external address, one disk metric",
      "dev",
      { privateNodes: true, diskType: "pd-standard" },
      [
        { metric: "CPUS", atCreate: 6, atMax: 14 },
        { metric: "DISKS_TOTAL_GB", atCreate: 90, atMax: 210 },
        { metric: "INSTANCES", atCreate: 3, atMax: 7 },
      ],
    ],
  ])("%s", (_, stack, fields, expected) => {
    expect(needs(stack, fields)).toEqual(expected);
  });
});

describe("the smoke check's question to Managed Prometheus", () => {
  const ns = { memcached: "memcached", mcrouter: "mcrouter" };
  const answers = (values: Record<string, Record<string, number>>) => async (promql: string) => values[promql] ?? {};

  it("passes when every pod's up and exporter series are 1", async () => {
    const query = answers({
      'up{namespace="memcached"}': { "memcached-0": 1, "memcached-1": 1 },
      'memcached_up{namespace="memcached"}': { "memcached-0": 1, "memcached-1": 1 },
      'up{namespace="mcrouter"}': { "mcrouter-a": 1 },
      'mcrouter_up{namespace="mcrouter"}': { "mcrouter-a": 1 },
    });
    expect(await managedPrometheusProblems(query, ns, { memcached: 2, mcrouter: 1 })).toEqual([]);
  });

  it("names each series that is missing or 0", async () => {
    const query = answers({
      'up{namespace="memcached"}': { "memcached-0": 1, "memcached-1": 1 },
      'memcached_up{namespace="memcached"}': { "memcached-0": 1, "memcached-1": 0 },
      'up{namespace="mcrouter"}': { "mcrouter-a": 1 },
    });
    expect(await managedPrometheusProblems(query, ns, { memcached: 2, mcrouter: 1 })).toEqual([
      'memcached_up is 1 for 1 of 2 memcached pods ({"memcached-0":1,"memcached-1":0})',
      "mcrouter_up is 1 for 0 of 1 mcrouter pods ({})",
    ]);
  });

  it("asks Cloud Monitoring's Prometheus API with the bearer token, and reads its answer", async () => {
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(`${req.headers.authorization} ${req.url}`);
      res.end(
        JSON.stringify({
          status: "success",
          data: { resultType: "vector", result: [{ metric: { pod: "memcached-0" }, value: [1, "1"] }] },
        }),
      );
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
      expect(await promQuery(base, "my-gcp-project", "t0ken", 'up{namespace="memcached"}')).toEqual({
        "memcached-0": 1,
      });
      expect(seen).toEqual([
        `Bearer t0ken /v1/projects/my-gcp-project/location/global/prometheus/api/v1/query?query=${encodeURIComponent('up{namespace="memcached"}')}`,
      ]);
    } finally {
      server.close();
    }
  });
});
