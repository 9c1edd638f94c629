import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ConfigErrors, DEFAULTS, parseStackConfig, RawConfig, requiredMemcachedConnections, SECTIONS } from "../lib/config";
import { ProgramFailure, ROOT, runProgram } from "./harness";

const gke = (extra: Partial<RawConfig> = {}): RawConfig => ({
  stack: "dev",
  project: "my-project",
  cluster: { location: "us-central1-f", nodeCount: 3 },
  ...extra,
});

function problems(raw: RawConfig): string[] {
  try {
    parseStackConfig(raw);
  } catch (e) {
    if (e instanceof ConfigErrors) return e.problems;
    throw e;
  }
  return [];
}

describe("config validation", () => {
  it.each<[string, RawConfig, string[]]>([
    ["a missing gcp:project", gke({ project: undefined }),
      ["gcp:project: null is missing; run `pulumi config set gcp:project <your-project-id>`"]],
    ["nodeCount below 1", gke({ cluster: { location: "us-central1-f", nodeCount: 0 } }),
      ["cluster.nodeCount: 0 must be a whole number from 1 to 1000; set a value in that range"]],
    ["a machine type that is not one", gke({ cluster: { location: "us-central1-f", machineType: "large" } }),
      ['cluster.machineType: "large" is not a Compute Engine machine type (e.g. e2-standard-2, n2-highmem-4, e2-medium, n2-custom-4-16384)']],
    ["a machine type of a size its family lacks", gke({ cluster: { location: "us-central1-f", machineType: "e2-standard-3" } }),
      ['cluster.machineType: "e2-standard-3" cannot be sized: e2-standard comes in 2, 4, 8, 16, 32 vCPUs, not 3']],
    ["a family the capacity model cannot size", gke({ cluster: { location: "us-central1-f", machineType: "h3-standard-88" } }),
      ['cluster.machineType: "h3-standard-88" cannot be sized: family h3 is not one the capacity model can size (e2, n1, n2, n2d, n4, t2d, c2, c3, c2d; or a custom type)']],
    ["an autoscaling maximum below the minimum", gke({ cluster: { location: "us-central1-f", nodeCount: 3, maxNodeCount: 2 } }),
      ["cluster.maxNodeCount: 2 is below cluster.nodeCount (3), the autoscaler's minimum; set it to at least 3, or 0 for no autoscaling"]],
    ["half of a node's allocatable", { stack: "local", target: "existing", existingCluster: { nodeAllocatable: { cpu: "2" } } },
      ['existingCluster.nodeAllocatable.memory: "" is missing: set both existingCluster.nodeAllocatable.cpu and .memory (from `kubectl describe node`), or neither']],
    ["a region where a zone was meant", gke({ cluster: { location: "us-central1", nodeCount: 3 } }),
      ['cluster.location: "us-central1" is a region: GKE would create nodeCount (3) nodes in each of its zones. Use a zone (e.g. us-central1-f) for a zonal cluster, or list the zones in cluster.nodeLocations so that 3 nodes are spread over them']],
    ["a node count the zones cannot share", gke({ cluster: { location: "us-central1", nodeLocations: ["us-central1-a", "us-central1-b"], nodeCount: 3 } }),
      ["cluster.nodeCount: 3 cannot be spread evenly over the 2 zones of cluster.nodeLocations; use a multiple of 2 or list 3 zone(s)"]],
    ["a zone of another region", gke({ cluster: { location: "us-central1", nodeLocations: ["europe-west1-b"], nodeCount: 1 } }),
      ['cluster.nodeLocations: "europe-west1-b" is not a zone of region us-central1']],
    ["a location that is neither", gke({ cluster: { location: "mars" } }),
      ['cluster.location: "mars" is neither a zone (e.g. us-central1-f) nor a region (e.g. us-central1); set cluster.location']],
    ["an open-ended authorized network", gke({ cluster: { location: "us-central1-f", masterAuthorizedNetworks: [{ cidrBlock: "everyone" }] } }),
      ['cluster.masterAuthorizedNetworks[0].cidrBlock: "everyone" is not an IPv4 CIDR such as 203.0.113.0/24']],
    ["zero memcached replicas", gke({ memcached: { replicas: 0 } }),
      ["memcached.replicas: 0 must be a whole number from 1 to 256; set a value in that range"]],
    ["-I above half of -m", gke({ memcached: { memoryMb: 64, maxItemSizeMb: 33 } }),
      ["memcached.maxItemSizeMb: 33 is more than half of memcached.memoryMb (64); memcached needs room for at least two slab pages: set it to at most 32"]],
    ["memory too small for the limit formula", gke({ memcached: { memoryMb: 32 } }),
      ["memcached.memoryMb: 32 is below the 64 MiB minimum: the container limit would be mostly memcached's own overhead (26 of 58 MiB); set at least 64"]],
    ["-c below what the mcrouters open", gke({ memcached: { maxConnections: 69 }, mcrouter: { numProxies: 2 } }),
      ["memcached.maxConnections: 69 is below 70 (3 nodes x 2 mcrouter proxies + 64 headroom); set it to at least 70"]],
    ["an unpinned image", gke({ memcached: { image: "memcached:latest" } }),
      ['memcached.image: "memcached:latest" is not pinned: give an explicit tag other than latest, or a @sha256 digest']],
    ["an image without a tag", gke({ sampleApp: { image: "busybox" } }),
      ['sampleApp.image: "busybox" is not pinned: give an explicit tag other than latest, or a @sha256 digest']],
    ["an unknown target", gke({ target: "aws" }),
      ['target: "aws" is not one of gke, existing; set memcached-gke:target']],
    ["a release channel GKE does not have", gke({ cluster: { location: "us-central1-f", releaseChannel: "NIGHTLY" } }),
      ['cluster.releaseChannel: "NIGHTLY" is not one of RAPID, REGULAR, STABLE; pick one of them']],
    ["the default namespace", gke({ sampleApp: { namespace: "default" } }),
      ['namespace: "default" is not allowed; pick a dedicated namespace name']],
    ["a kubeconfig next to rendering", { stack: "local", target: "existing", existingCluster: { kubeconfig: "/k", renderYamlToDirectory: "/out" } },
      ['existingCluster.kubeconfig: "/k" cannot be combined with existingCluster.renderYamlToDirectory (rendering needs no cluster); remove one of them']],
    ["a structured key set as a string", gke({ mcrouter: "fast" }),
      ['mcrouter: expected an object, got "fast"; set its fields with `pulumi config set --path mcrouter.<field> <value>`']],
  ])("rejects %s, naming the key, the value and the fix", (_, raw, expected) => {
    expect(problems(raw)).toEqual(expected);
  });

  it("reports every problem at once", () => {
    const found = problems({ stack: "dev", cluster: { location: "us-central1", nodeCount: 0, machineType: "big" }, memcached: { replicas: 0 } });
    expect(found.map((p) => p.split(":")[0])).toEqual([
      "gcp", "cluster.nodeCount", "cluster.machineType", "cluster.location", "memcached.replicas",
    ]);
  });

  it("needs no GCP config for an existing cluster", () => {
    const config = parseStackConfig({ stack: "local", target: "existing" });
    expect(config).toMatchObject({ target: "existing", project: "", cluster: undefined, nodeCount: 3 });
    expect(config.existingCluster).toEqual({ kubeconfig: "", context: "", nodeCount: 3, renderYamlToDirectory: "", nodeAllocatable: { cpu: "", memory: "" } });
  });

  it("accepts numbers and booleans set without --path (as strings)", () => {
    const config = parseStackConfig(gke({ cluster: { location: "us-central1-f", nodeCount: "5", deletionProtection: "false" } }));
    expect(config.cluster).toMatchObject({ nodeCount: 5, deletionProtection: false });
  });

  it.each([[3, 1, 67], [3, 2, 70], [10, 4, 104]])("requires %i nodes x %i proxies + headroom = %i connections", (nodes, proxies, needed) => {
    expect(requiredMemcachedConnections(nodes, proxies)).toBe(needed);
  });

  it("keeps Pulumi.yaml's declared defaults equal to the program's", () => {
    const declared = parse(readFileSync(join(ROOT, "Pulumi.yaml"), "utf8")).config;
    for (const key of SECTIONS) {
      expect(declared[key].default, key).toEqual(DEFAULTS[key]);
      expect(declared[key].type).toBe("object");
    }
    expect(declared.target.default).toBe("gke");
  });

  it("fails the program before any resource exists", async () => {
    const failure = await runProgram("dev", { "memcached-gke:memcached": { replicas: 0, maxItemSizeMb: 600 } }).then(
      () => { throw new Error("the program accepted bad config"); },
      (e: unknown) => e as ProgramFailure);
    expect(failure).toBeInstanceOf(ProgramFailure);
    expect(failure.message).toMatch(/invalid stack configuration \(2 problems\):\n {2}- memcached\.replicas: 0 .*\n {2}- memcached\.maxItemSizeMb: 600 is more than half/);
    expect(failure.resources).toEqual([]);
  });
});
