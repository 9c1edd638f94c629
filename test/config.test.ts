// Validation: every bad configuration refused before any resource exists, each problem naming the key path,
// the bad value and the fix; every problem at once; only the project's own error for any input; and the
// generated declarations (Pulumi.yaml, README) equal to the one in lib/config/schema.ts.
import fc from "fast-check";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { requiredMemcachedConnections } from "../lib/capacity/connections";
import { SECTIONS } from "../lib/config/schema";
import { ConfigErrors, parseStackConfig, RawConfig } from "../lib/config/validate";
import { pulumiConfigDeclarations } from "../scripts/config-docs";
import { rawStackConfig } from "../lib/stackFiles";
import { ProgramFailure, ROOT, runProgram } from "./harness/mocks";
import { BAD_CONFIGS } from "./harness/badConfigs";

function problems(raw: RawConfig): string[] {
  try {
    parseStackConfig(raw);
  } catch (e) {
    if (e instanceof ConfigErrors) return e.problems;
    throw e;
  }
  return [];
}

/** What each of BAD_CONFIGS must be told, exactly. */
const EXPECTED: Record<string, string[]> = {
  "a misspelt field (replica)": ["memcached.replica: unknown field; did you mean replicas?"],
  "a field in the wrong case (memoryMB)": ["memcached.memoryMB: unknown field; did you mean memoryMb?"],
  "cluster.nodecount": ["cluster.nodecount: unknown field; did you mean nodeCount?"],
  "a field no section has": ["sampleApp.colour: unknown field; known fields: namespace, replicas, image"],
  "a misspelt section (memcache)": [
    "memcached-gke:memcache: unknown key; did you mean memcached-gke:memcached? (remove it with `pulumi config rm memcached-gke:memcache`)",
  ],
  "an unknown key": [
    "memcached-gke:monitoring: unknown key; the keys are target, cluster, existingCluster, memcached, mcrouter, metrics, sampleApp (remove it with `pulumi config rm memcached-gke:monitoring`)",
  ],
  "the Prometheus Operator's PodMonitor on GKE": [
    "metrics.prometheusOperator: true is for target existing; on GKE the stack enables Managed Service for Prometheus and creates PodMonitoring objects: remove it",
  ],
  "a PodMonitor without the exporter": [
    "metrics.prometheusOperator: true needs metrics.enabled (there is nothing to scrape without the exporters): remove one of them",
  ],
  "a collector namespace that is not a name": [
    "metrics.collectorNamespaces[1]: \"GMP System\" is not a valid namespace name (lowercase letters, digits and '-', at most 63, starting and ending with a letter or digit)",
  ],
  "existingCluster on a GKE stack": [
    'existingCluster: {"kubeconfig":"/tmp/k"} is set, but this stack\'s target is gke, which ignores it; remove it (`pulumi config rm memcached-gke:existingCluster`) or set memcached-gke:target existing',
  ],
  "cluster on an existing stack": [
    'cluster: {"location":"us-central1-f"} is set, but this stack\'s target is existing, which ignores it; remove it (`pulumi config rm memcached-gke:cluster`) or set memcached-gke:target gke',
  ],
  "an unknown field of an authorized network": [
    "cluster.masterAuthorizedNetworks[0].cidr: unknown field; did you mean cidrBlock?",
  ],
  "existingCluster.kubeConfig": ["existingCluster.kubeConfig: unknown field; did you mean kubeconfig?"],
  "an unknown field of nodeAllocatable": ["existingCluster.nodeAllocatable.mem: unknown field; did you mean memory?"],
  "sampleApp as a string": [
    'sampleApp: "replicas: 2" is not an object; set its fields one by one with `pulumi config set --path memcached-gke:sampleApp.<field> <value>`',
  ],
  "memcached as a number": [
    "memcached: 5 is not an object; set its fields one by one with `pulumi config set --path memcached-gke:memcached.<field> <value>`",
  ],
  "mcrouter as a list": [
    "mcrouter: [1] is not an object; set its fields one by one with `pulumi config set --path memcached-gke:mcrouter.<field> <value>`",
  ],
  "nodeAllocatable as a string": [
    'existingCluster.nodeAllocatable: "2 CPUs" is not an object; set its fields one by one with `pulumi config set --path memcached-gke:existingCluster.nodeAllocatable.<field> <value>`',
  ],
  "masterAuthorizedNetworks as a string": [
    "cluster.masterAuthorizedNetworks: \"203.0.113.0/24\" is not a list; set items with `pulumi config set --path 'memcached-gke:cluster.masterAuthorizedNetworks[0]' <value>`",
  ],
  "a zone that does not exist": [
    'cluster.location: "us-central1-z" is not a zone of us-central1 (us-central1-a, us-central1-b, us-central1-c, us-central1-f); pick one, or set cluster.allowUnlistedLocations if it is newer than this table (2026-11)',
  ],
  "a region that does not exist": [
    'cluster.location: "mars-north9" is not a known region; pick one such as us-central1, or set cluster.allowUnlistedLocations if it is newer than this table (2026-11)',
  ],
  "a zone of an unknown region": [
    'cluster.location: "moon-east1-a" is not in a known region; pick a zone such as us-central1-f, or set cluster.allowUnlistedLocations if it is newer than this table (2026-11)',
  ],
  "a location that is neither": [
    'cluster.location: "mars" is neither a zone (e.g. us-central1-f) nor a region (e.g. us-central1); set a valid GCP location',
  ],
  "no location": [
    'cluster.location: "" is missing; set cluster.location to a zone (e.g. us-central1-f) or a region with cluster.nodeLocations',
  ],
  "a region without nodeLocations": [
    'cluster.location: "us-central1" is a region: GKE would create nodeCount (3) nodes in each of its zones. Use a zone (e.g. us-central1-f) for a zonal cluster, or list the zones in cluster.nodeLocations so that 3 nodes are spread over them',
  ],
  "duplicated nodeLocations": [
    'cluster.nodeLocations[1]: "us-central1-a" repeats cluster.nodeLocations[0]; list each only once',
  ],
  "a zone of another region": ['cluster.nodeLocations[0]: "europe-west1-b" is not a zone of region us-central1'],
  "a region among nodeLocations": [
    'cluster.nodeLocations[0]: "us-central1" is a region; list zones, e.g. us-central1-a',
  ],
  "nodeLocations on a zonal cluster": [
    'cluster.nodeLocations: ["us-central1-a"] is only for a regional cluster.location; remove it for a zonal cluster',
  ],
  "a node count the zones cannot share": [
    "cluster.nodeCount: 3 cannot be spread evenly over the 2 zones of cluster.nodeLocations; use a multiple of 2 or list 3 zone(s)",
  ],
  "a machine type of a size no family has": [
    'cluster.machineType: "e2-standard-3" cannot be sized: e2-standard comes in 2, 4, 8, 16, 32 vCPUs, not 3',
  ],
  "a machine family the model cannot size": [
    'cluster.machineType: "h3-standard-88" cannot be sized: family h3 is not one the capacity model can size (e2, n1, n2, n2d, n4, t2d, c2, c3, c2d; or a custom type)',
  ],
  "a machine type that is not one": [
    'cluster.machineType: "large" is not a Compute Engine machine type (e.g. e2-standard-2, n2-highmem-4, e2-medium, n2-custom-4-16384)',
  ],
  "nodeCount 0": ["cluster.nodeCount: 0 is not a whole number from 1 to 1000; set one in that range"],
  "nodeCount in words": ['cluster.nodeCount: "three" is not a whole number from 1 to 1000; set one in that range'],
  "a fractional nodeCount": ["cluster.nodeCount: 2.5 is not a whole number from 1 to 1000; set one in that range"],
  "maxNodeCount below nodeCount": [
    "cluster.maxNodeCount: 2 is below cluster.nodeCount (3), the autoscaler's minimum; set it to at least 3, or 0 for no autoscaling",
  ],
  "a tiny disk": ["cluster.diskSizeGb: 5 is not a whole number from 10 to 65536; set one in that range"],
  "a disk type GCE lacks": ['cluster.diskType: "ssd" is not one of pd-standard, pd-balanced, pd-ssd; pick one of them'],
  "a release channel in lower case": [
    'cluster.releaseChannel: "regular" is not one of RAPID, REGULAR, STABLE; did you mean REGULAR?',
  ],
  "deletionProtection yes": ['cluster.deletionProtection: "yes" is not true or false; set one of them'],
  "a cluster name with capitals": [
    "cluster.name: \"Memcached_Prod\" is not a valid GKE cluster name (lowercase letters, digits, '-', at most 40, starting with a letter)",
  ],
  "a maintenance window at 25:00": ['cluster.maintenanceStartTime: "25:00" is not HH:MM (UTC), e.g. 03:00'],
  "a network name with an underscore": [
    "cluster.network: \"my_net\" is not a valid VPC network name (lowercase letters, digits and '-', at most 63, starting and ending with a letter or digit)",
  ],
  "a subnetwork with a space": [
    "cluster.subnetwork: \"sub net\" is not a valid subnetwork name (lowercase letters, digits and '-', at most 63, starting and ending with a letter or digit)",
  ],
  "a CIDR octet of 999": [
    'cluster.masterAuthorizedNetworks[0].cidrBlock: "203.0.999.0/24" has an octet above 255; each of the four numbers is 0-255',
  ],
  "a CIDR prefix of 33": [
    'cluster.masterAuthorizedNetworks[0].cidrBlock: "34.120.0.0/33" has a prefix length above 32',
  ],
  "a CIDR with host bits": [
    'cluster.masterAuthorizedNetworks[0].cidrBlock: "34.120.0.5/24" has host bits set; the network is 34.120.0.0/24',
  ],
  "an authorized network that is not a CIDR": [
    'cluster.masterAuthorizedNetworks[0].cidrBlock: "everyone" is not an IPv4 CIDR such as 10.20.0.0/16',
  ],
  "the same authorized network twice": [
    'cluster.masterAuthorizedNetworks[1]: {"cidrBlock":"34.120.0.0/24"} repeats cluster.masterAuthorizedNetworks[0]; list each only once',
  ],
  "a documentation range as authorized network": [
    'cluster.masterAuthorizedNetworks[0].cidrBlock: "203.0.113.0/24" is in 203.0.113.0/24, a documentation range (RFC 5737) that no real network uses: replace it with the egress CIDR of your admin or CI network, or leave the list empty with cluster.controlPlaneEndpoint dns',
  ],
  "everyone as authorized network": [
    'cluster.masterAuthorizedNetworks[0].cidrBlock: "0.0.0.0/0" authorizes every address; list your admin or CI networks, or use cluster.controlPlaneEndpoint dns',
  ],
  "an open IP endpoint on a protected cluster": [
    "cluster.masterAuthorizedNetworks: [] leaves the IP endpoint of a cluster with deletionProtection open to every address: list your admin and CI networks, or set cluster.controlPlaneEndpoint dns (IAM-gated, reachable from anywhere with credentials)",
  ],
  "an unknown control-plane endpoint": [
    'cluster.controlPlaneEndpoint: "public" is not one of dns, ip; pick one of them',
  ],
  "a masterIpv4CidrBlock without private nodes": [
    'cluster.masterIpv4CidrBlock: "172.16.0.32/28" is only for private nodes; remove it, or set cluster.privateNodes',
  ],
  "inter-node encryption beyond 500 nodes": [
    "cluster.inTransitEncryption: true is supported on at most 500 nodes (GKE, inter-node transparent encryption), and this cluster may grow to 600: lower cluster.maxNodeCount to 500, or turn it off",
    "memcached.maxConnections: 1024 is below 1264 (600 nodes (cluster.maxNodeCount) x 2 mcrouter proxies + 64 headroom); set it to at least 1264",
  ],
  "inter-node encryption without CPU headroom": [
    "capacity: cluster.inTransitEncryption takes node CPU the scheduler does not see (GKE: about 15 %, to be left unscheduled), but the fullest e2-standard-2 node has 13 % of its 1930m CPU free: lower memcached.cpu or mcrouter.cpu by 41m in all, use a larger cluster.machineType, or turn it off",
  ],
  "a garbage masterIpv4CidrBlock": ['cluster.masterIpv4CidrBlock: "banana" is not an IPv4 CIDR such as 10.20.0.0/16'],
  "a public masterIpv4CidrBlock": [
    'cluster.masterIpv4CidrBlock: "8.8.8.0/28" is not in a private range (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16)',
  ],
  "a masterIpv4CidrBlock of /24": [
    'cluster.masterIpv4CidrBlock: "172.16.0.0/24" must be a /28 (GKE\'s control-plane range), e.g. 172.16.0.32/28',
  ],
  "no gcp:project": ["gcp:project: null is missing; run `pulumi config set gcp:project <your-project-id>`"],
  "a project name, not an id": [
    "gcp:project: \"My Project\" is not a GCP project id (6-30 lowercase letters, digits and '-', starting with a letter); use the id, not the name or number",
  ],
  "a project id too short": [
    "gcp:project: \"abc\" is not a GCP project id (6-30 lowercase letters, digits and '-', starting with a letter); use the id, not the name or number",
  ],
  "an unknown target": ['target: "aws" is not one of gke, existing; set memcached-gke:target'],
  "memcached in kube-system": [
    'memcached.namespace: "kube-system" is reserved (default, kube-*, gke-*, gmp-* belong to Kubernetes and GKE); pick a dedicated namespace',
  ],
  "the sample app in default": [
    'sampleApp.namespace: "default" is reserved (default, kube-*, gke-*, gmp-* belong to Kubernetes and GKE); pick a dedicated namespace',
  ],
  "mcrouter in a gke- namespace": [
    'mcrouter.namespace: "gke-managed-cache" is reserved (default, kube-*, gke-*, gmp-* belong to Kubernetes and GKE); pick a dedicated namespace',
  ],
  "a namespace with capitals": [
    "mcrouter.namespace: \"McRouter\" is not a valid namespace name (lowercase letters, digits and '-', at most 63, starting and ending with a letter or digit)",
  ],
  "two tiers in one namespace": [
    'memcached.namespace, mcrouter.namespace, sampleApp.namespace: ["memcached","mcrouter","memcached"] must differ: each tier gets its own Pod Security level and NetworkPolicies',
  ],
  "cpu 0": ['memcached.cpu: "0" must be more than 0; give the CPU the container needs, e.g. 250m'],
  "cpu 0m": ['mcrouter.cpu: "0m" must be more than 0; give the CPU the container needs, e.g. 250m'],
  "cpu in words": ['memcached.cpu: "lots" is not a CPU quantity such as 250m or 1'],
  "zero replicas": ["memcached.replicas: 0 is not a whole number from 1 to 256; set one in that range"],
  "more replicas than allowed": ["memcached.replicas: 1000 is not a whole number from 1 to 256; set one in that range"],
  "memory too small for the limit formula": [
    "memcached.memoryMb: 32 is below the 64 MiB minimum: the container limit would be mostly memcached's own overhead (26 of 58 MiB); set at least 64",
  ],
  "-I above half of -m": [
    "memcached.maxItemSizeMb: 300 is more than half of memcached.memoryMb (512); memcached needs room for at least two slab pages: set it to at most 256",
  ],
  "-c below what the mcrouters open": [
    "memcached.maxConnections: 69 is below 76 (6 nodes (cluster.maxNodeCount) x 2 mcrouter proxies + 64 headroom); set it to at least 76",
  ],
  "zero threads": ["memcached.threads: 0 is not a whole number from 1 to 64; set one in that range"],
  "a cluster domain with an empty label": [
    'memcached.clusterDomain: "cluster..local" is not a DNS domain of non-empty labels (e.g. cluster.local)',
  ],
  "an unpinned image": [
    'memcached.image: "memcached:latest" is not pinned: give an explicit tag other than latest, or a @sha256 digest',
  ],
  "an image without a tag": [
    'sampleApp.image: "busybox" is not pinned: give an explicit tag other than latest, or a @sha256 digest',
  ],
  "zero proxies": ["mcrouter.numProxies: 0 is not a whole number from 1 to 64; set one in that range"],
  "a server timeout in words": [
    'mcrouter.serverTimeoutMs: "fast" is not a whole number from 1 to 60000; set one in that range',
  ],
  "a probe backoff that ends before it starts": [
    "mcrouter.probeTimeoutMaxMs: 1000 is below mcrouter.probeTimeoutInitialMs (3000); set it to at least that",
  ],
  "mcrouter memory below 32 MiB": [
    "mcrouter.memoryMb: 16 is not a whole number from 32 to 65536; set one in that range",
  ],
  "capacity: 10 replicas on 3 fixed nodes": [
    "capacity: memcached.replicas 10 needs 5 nodes (2 memcached pods fit on each e2-standard-2 node beside mcrouter, the sample app and GKE's own pods), but the cluster has at most 3 (cluster.nodeCount 3, cluster.maxNodeCount 0 (no autoscaling)): set cluster.maxNodeCount to at least 5, or lower memcached.replicas to at most 6, or use cluster.machineType e2-standard-4",
  ],
  "a kubeconfig next to rendering": [
    'existingCluster.kubeconfig: "/k" cannot be combined with existingCluster.renderYamlToDirectory (rendering needs no cluster); remove one of them',
  ],
  "half of a node's allocatable": [
    'existingCluster.nodeAllocatable.memory: "" is missing: set both existingCluster.nodeAllocatable.cpu and .memory (from `kubectl describe node`), or neither',
  ],
  "allocatable memory in G": [
    'existingCluster.nodeAllocatable.memory: "6G" is not a memory quantity such as 6055Mi or 6218300Ki',
  ],
  "existingCluster.nodeCount 0": [
    "existingCluster.nodeCount: 0 is not a whole number from 1 to 1000; set one in that range",
  ],
};

describe("config validation", () => {
  it("covers at least 60 bad configurations, each with its expected problems", () => {
    expect(BAD_CONFIGS.length).toBeGreaterThanOrEqual(60);
    expect(Object.keys(EXPECTED).sort()).toEqual(BAD_CONFIGS.map(([name]) => name).sort());
  });

  it.each(BAD_CONFIGS)("refuses %s, naming the key path, the bad value and the fix", (name, stack, overrides) => {
    expect(problems(rawStackConfig(stack, overrides))).toEqual(EXPECTED[name]);
  });

  it("registers no resource for any of them: the program fails first", async () => {
    for (const [name, stack, overrides] of BAD_CONFIGS) {
      const failure = await runProgram(stack, overrides).then(
        () => undefined,
        (e: unknown) => e as ProgramFailure,
      );
      expect(failure, name).toBeInstanceOf(ProgramFailure);
      expect(failure!.message, name).toContain(EXPECTED[name][0]);
      expect(failure!.resources, name).toEqual([]);
    }
  }, 120_000);

  it("reports five problems in five sections at once, one of them a section given as a string", () => {
    const dev = rawStackConfig("dev");
    const found = problems({
      ...dev,
      project: "My Project",
      cluster: { ...(dev.cluster as object), nodecount: 4 },
      memcached: { ...(dev.memcached as object), namespace: "kube-system" },
      mcrouter: { cpu: "0" },
      sampleApp: "replicas: 2",
    });
    expect(found.map((p) => p.split(":")[0])).toEqual([
      "gcp",
      "cluster.nodecount",
      "memcached.namespace",
      "mcrouter.cpu",
      "sampleApp",
    ]);
  });

  it("accepts a zone newer than its table when told to", () => {
    const dev = rawStackConfig("dev");
    expect(problems({ ...dev, cluster: { ...(dev.cluster as object), location: "us-central1-z" } })).toHaveLength(1);
    expect(
      problems({
        ...dev,
        cluster: { ...(dev.cluster as object), location: "us-central1-z", allowUnlistedLocations: true },
      }),
    ).toEqual([]);
  });

  it("needs no GCP config for an existing cluster", () => {
    const config = parseStackConfig({ stack: "local", target: "existing" });
    expect(config).toMatchObject({ target: "existing", project: "", cluster: undefined, nodeCount: 3 });
    expect(config.existingCluster).toEqual({
      kubeconfig: "",
      context: "",
      nodeCount: 3,
      renderYamlToDirectory: "",
      nodeAllocatable: { cpu: "", memory: "" },
    });
  });

  it("accepts numbers and booleans set without --path (as strings)", () => {
    const dev = rawStackConfig("dev");
    const config = parseStackConfig({
      ...dev,
      cluster: { ...(dev.cluster as object), nodeCount: "5", maxNodeCount: "6", deletionProtection: "false" },
    });
    expect(config.cluster).toMatchObject({ nodeCount: 5, maxNodeCount: 6, deletionProtection: false });
  });

  it.each([
    [3, 1, 67],
    [3, 2, 70],
    [10, 4, 104],
  ])("requires %i nodes x %i proxies + headroom = %i connections", (nodes, proxies, needed) => {
    expect(requiredMemcachedConnections(nodes, proxies)).toBe(needed);
  });

  it("lets only its own error out, whatever JSON a section holds (property-based)", () => {
    const json = fc.jsonValue({ maxDepth: 3 });
    const anySection = fc.oneof(
      json,
      fc.dictionary(
        fc.constantFrom("replicas", "cpu", "namespace", "location", "nodeCount", "image", "nodeAllocatable", "x"),
        json,
      ),
    );
    fc.assert(
      fc.property(
        fc.constantFrom("gke", "existing", undefined, 7, "aws"),
        fc.option(fc.string()),
        anySection,
        anySection,
        anySection,
        anySection,
        anySection,
        (target, project, cluster, existingCluster, memcached, mcrouter, sampleApp) => {
          try {
            parseStackConfig({
              stack: "prop",
              target,
              project,
              cluster,
              existingCluster,
              memcached,
              mcrouter,
              sampleApp,
            });
          } catch (e) {
            if (!(e instanceof ConfigErrors)) throw e;
            for (const p of e.problems)
              expect(
                ["gcp:project: ", "target: ", "capacity: ", "memcached.namespace, ", ...SECTIONS].some((key) =>
                  p.startsWith(key),
                ),
                p,
              ).toBe(true);
          }
        },
      ),
      { numRuns: 500, seed: 1 },
    );
  });
});

describe("one declaration of every key (lib/config/schema.ts SCHEMA)", () => {
  it("Pulumi.yaml's config declarations are the generated ones (npm run gen:docs)", () => {
    expect(parse(readFileSync(join(ROOT, "Pulumi.yaml"), "utf8")).config).toEqual(pulumiConfigDeclarations());
  });

  it("declares every section Pulumi passes the program", () => {
    expect(Object.keys(pulumiConfigDeclarations())).toEqual(["target", ...SECTIONS]);
  });
});
