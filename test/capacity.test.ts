// The capacity model: machine shapes, GKE's allocatable, GKE's own pods, placement, and the validation
// messages; then every committed stack against it.
import { describe, expect, it } from "vitest";
import { capacity, CapacityInput } from "../lib/capacity/model";
import { stackCapacity } from "../lib/capacity/check";
import { parseStackConfig } from "../lib/config/validate";
import { GKE_SYSTEM_PODS, gkeAllocatable, gkeSystemLoad } from "../lib/capacity/gkeNodes";
import { machineShape, nextLargerMachineType } from "../lib/capacity/machineTypes";
import { cpuMillis, cpuQuantity, memoryMib } from "../lib/quantity";
import { COMMITTED_STACKS, rawStackConfig } from "../lib/stackFiles";

describe("machineShape", () => {
  it.each([
    ["e2-standard-2", 2, 8192],
    ["e2-highmem-16", 16, 131072],
    ["e2-highcpu-32", 32, 32768],
    ["n1-standard-1", 1, 3840],
    ["n1-highmem-8", 8, 53248],
    ["n1-highcpu-2", 2, 1843],
    ["n2-standard-4", 4, 16384],
    ["n2-highmem-2", 2, 16384],
    ["n2-highcpu-96", 96, 98304],
    ["n2d-standard-224", 224, 917504],
    ["n4-highcpu-8", 8, 16384],
    ["t2d-standard-1", 1, 4096],
    ["c2-standard-30", 30, 122880],
    ["c2d-highmem-56", 56, 458752],
    ["c3-highcpu-22", 22, 45056],
    ["n2-custom-4-16384", 4, 16384],
    ["custom-2-13312", 2, 13312],
    ["e2-custom-2-20480-ext", 2, 20480],
  ])("sizes %s: %i vCPUs, %i MiB", (type, vcpus, memoryMib) => {
    expect(machineShape(type)).toEqual({ vcpus, memoryMib, sharedCore: false });
  });

  it.each([
    ["e2-micro", 1024],
    ["e2-small", 2048],
    ["e2-medium", 4096],
  ])("sizes shared-core %s", (type, mib) => {
    expect(machineShape(type)).toEqual({ vcpus: 2, memoryMib: mib, sharedCore: true });
  });

  it.each([
    ["e2-standard-3", "e2-standard comes in 2, 4, 8, 16, 32 vCPUs, not 3"],
    ["e2-highmem-32", "e2-highmem comes in 2, 4, 8, 16 vCPUs, not 32"],
    ["c2-highmem-8", "c2 has no highmem types"],
    [
      "x9-standard-4",
      "family x9 is not one the capacity model can size (e2, n1, n2, n2d, n4, t2d, c2, c3, c2d; or a custom type)",
    ],
    ["n2-custom-4-1000", "custom memory must be a multiple of 256 MiB, not 1000"],
    ["n2-custom-2-20480", "custom memory must be 512-8192 MiB per vCPU (or use -ext), not 10240"],
    ["n2-custom-0-1024", "a custom type needs at least 1 vCPU"],
    ["large", "is not a Compute Engine machine type (e.g. e2-standard-2, n2-highmem-4, e2-medium, n2-custom-4-16384)"],
  ])("refuses %s: %s", (type, reason) => {
    expect(machineShape(type)).toBe(reason);
  });

  it.each([
    ["n2-highmem-2", "n2-highmem-4"],
    ["e2-medium", "e2-standard-2"],
    ["n2-standard-128", undefined],
    ["n2-custom-4-16384", undefined],
  ])("the next size of %s is %s", (type, next) => expect(nextLargerMachineType(type)).toBe(next));
});

describe("gkeAllocatable (GKE's documented reservations)", () => {
  it.each([
    // Docs' examples: 4 cores reserve 60 + 10 + 5 + 5 = 80m; 32 GiB reserve 1 + 0.8 + 0.8 + 0.96 = 3.56 GiB.
    ["n2-highmem-4", 3920, Math.floor(32768 - 3.56 * 1024 - 100)],
    // 1 core: 6 % (the 940m a single-core node offers); 3.75 GiB: 25 %.
    ["n1-standard-1", 940, Math.floor(3840 - 0.25 * 3840 - 100)],
    // 2 cores: 70m; 8 GiB: 1 + 0.8 GiB.
    ["e2-standard-2", 1930, Math.floor(8192 - 1.8 * 1024 - 100)],
    // 16 GiB: 1 + 0.8 + 0.8 GiB.
    ["n2-highmem-2", 1930, Math.floor(16384 - 2.6 * 1024 - 100)],
    // 16 cores: 80m + 12 x 2.5m; 128 GiB: 1 + 0.8 + 0.8 + 6 % of 112.
    ["n2-highmem-16", 16000 - 110, Math.floor(131072 - (2.6 + 0.06 * 112) * 1024 - 100)],
    // Above 128 GiB, 2 %.
    ["n2-highmem-32", 32000 - 150, Math.floor(262144 - (2.6 + 0.06 * 112 + 0.02 * 128) * 1024 - 100)],
    ["e2-medium", 940, 4096 - 1024 - 100],
    ["e2-micro", 940, 1024 - 256 - 100],
  ])("%s offers %im CPU and %i MiB", (type, cpu, mib) => {
    const shape = machineShape(type);
    if (typeof shape === "string") throw new Error(shape);
    expect(gkeAllocatable(shape)).toEqual({ cpuMillis: cpu, memoryMib: mib });
  });

  it("reserves 255 MiB on a machine under 1 GiB", () => {
    expect(gkeAllocatable({ vcpus: 1, memoryMib: 768, sharedCore: false }).memoryMib).toBe(768 - 255 - 100);
  });
});

describe("GKE's own pods", () => {
  const perNode = GKE_SYSTEM_PODS.filter((p) => p.placement === "node");
  const sum = (pods: typeof GKE_SYSTEM_PODS, key: "cpuMillis" | "memoryMib") => pods.reduce((a, p) => a + p[key], 0);

  it("names every pod once, with why the cluster runs it and how its figure is known", () => {
    expect(new Set(GKE_SYSTEM_PODS.map((p) => p.name)).size).toBe(GKE_SYSTEM_PODS.length);
    for (const pod of GKE_SYSTEM_PODS) expect(pod.because.length, pod.name).toBeGreaterThan(3);
  });

  it.each([
    [1, 2],
    [2, 1],
    [3, 1],
    [10, 1],
  ])("on %i node(s), the fullest node gets %i kube-dns replica(s) and every singleton", (nodes, dns) => {
    const clusterWide = GKE_SYSTEM_PODS.filter((p) => p.placement !== "node" && p.name !== "kube-dns");
    expect(gkeSystemLoad(nodes)).toEqual({
      cpuMillis: sum(perNode, "cpuMillis") + dns * 260 + sum(clusterWide, "cpuMillis"),
      memoryMib: sum(perNode, "memoryMib") + dns * 110 + sum(clusterWide, "memoryMib"),
    });
  });
});

describe("quantities", () => {
  it.each([
    ["250m", 250],
    ["1", 1000],
    ["1.5", 1500],
    ["0.25", 250],
    ["1930m", 1930],
    ["x", NaN],
    ["", NaN],
  ])("cpu %s = %im", (q, m) => expect(cpuMillis(q)).toBe(m));
  it.each([
    [250, "250m"],
    [1000, "1"],
    [2875, "2875m"],
  ])("%im prints as %s", (m, q) => expect(cpuQuantity(m)).toBe(q));
  it.each([
    ["6055Mi", 6055],
    ["6218300Ki", 6072],
    ["8Gi", 8192],
    ["1073741824", 1024],
    ["6G", NaN],
  ])("memory %s = %i MiB", (q, mib) => expect(memoryMib(q)).toBe(mib));
});

describe("capacity (placement)", () => {
  const node = { cpuMillis: 1930, memoryMib: 6248 };
  const input = (over: Partial<CapacityInput>): CapacityInput => ({
    allocatable: node,
    system: { cpuMillis: 700, memoryMib: 1000 },
    minNodes: 3,
    maxNodes: 3,
    memcached: { replicas: 3, pod: { cpuMillis: 500, memoryMib: 1100 } },
    perNode: { cpuMillis: 250, memoryMib: 256 },
    apps: { replicas: 9, pod: { cpuMillis: 50, memoryMib: 32 } },
    ...over,
  });

  it.each<
    [string, Partial<CapacityInput>, { perNode: number; nodes: number; fits: boolean; max: number; onFullest: number }]
  >([
    ["one memcached a node", {}, { perNode: 1, nodes: 3, fits: true, max: 3, onFullest: 1 }],
    // The dev case: 10 replicas, spread 4/3/3 over 3 nodes, but only one fits beside the rest.
    [
      "10 replicas on 3 fixed nodes",
      { memcached: { replicas: 10, pod: { cpuMillis: 500, memoryMib: 1100 } } },
      { perNode: 1, nodes: 10, fits: false, max: 3, onFullest: 1 },
    ],
    [
      "10 replicas with room for 3 a node, autoscaling to 6",
      { maxNodes: 6, memcached: { replicas: 10, pod: { cpuMillis: 250, memoryMib: 1100 } } },
      { perNode: 3, nodes: 4, fits: true, max: 18, onFullest: 3 },
    ],
    [
      "memory, not CPU, the limit",
      { memcached: { replicas: 6, pod: { cpuMillis: 10, memoryMib: 2000 } } },
      { perNode: 2, nodes: 3, fits: true, max: 6, onFullest: 2 },
    ],
    [
      "nothing left for memcached",
      { perNode: { cpuMillis: 1000, memoryMib: 256 } },
      { perNode: 0, nodes: Infinity, fits: false, max: 0, onFullest: 1 },
    ],
  ])("%s", (_, over, want) => {
    const r = capacity(input(over));
    expect({
      perNode: r.memcachedPerNode,
      nodes: r.nodesNeeded,
      fits: r.fits,
      max: r.maxReplicas,
      onFullest: r.memcachedOnFullestNode,
    }).toEqual(want);
  });

  it("counts the fullest node: system + mcrouter + ceil(apps / nodes) apps + its memcached pods", () => {
    const r = capacity(input({ apps: { replicas: 10, pod: { cpuMillis: 50, memoryMib: 32 } } }));
    expect(r.base).toEqual({ cpuMillis: 700 + 250 + 4 * 50, memoryMib: 1000 + 256 + 4 * 32 });
    expect(r.fullestNode).toEqual({ cpuMillis: 1150 + 500, memoryMib: 1384 + 1100 });
    expect(r.headroom.cpu).toBeCloseTo(1 - 1650 / 1930, 10);
  });
});

describe("capacity problems (validation messages)", () => {
  it("refuses the prod stack as first committed (n2-highmem-2, 1 CPU each), naming keys, numbers and what fits", () => {
    const raw = rawStackConfig("prod", {
      "memcached-gke:cluster": { ...(rawStackConfig("prod").cluster as object), machineType: "n2-highmem-2" },
    });
    expect(() => parseStackConfig(raw)).toThrow(
      "capacity: memcached.cpu 1 + its metrics exporter 50m + mcrouter.cpu 1 + its metrics exporter 50m + sampleApp 3 x 50m + GKE's own pods 731m = 2981m CPU on the fullest " +
        "n2-highmem-2 node, which has 1930m allocatable (1199m left after GKE's own pods): lower memcached.cpu or mcrouter.cpu by 1051m in all, " +
        "or use cluster.machineType n2-highmem-4",
    );
  });

  it("refuses dev at memcached.replicas 10 without autoscaling, and says what would fit", () => {
    const dev = rawStackConfig("dev");
    const raw = {
      ...dev,
      cluster: { ...(dev.cluster as object), maxNodeCount: 0 },
      memcached: { ...(dev.memcached as object), replicas: 10 },
    };
    expect(() => parseStackConfig(raw)).toThrow(
      "capacity: memcached.replicas 10 needs 5 nodes (2 memcached pods fit on each e2-standard-2 node beside mcrouter, the sample app and GKE's own pods), " +
        "but the cluster has at most 3 (cluster.nodeCount 3, cluster.maxNodeCount 0 (no autoscaling)): set cluster.maxNodeCount to at least 5, " +
        "or lower memcached.replicas to at most 6, or use cluster.machineType e2-standard-4",
    );
  });

  it("names memory when memory is what does not fit", () => {
    const dev = rawStackConfig("dev");
    // -m 6000 needs a 6324Mi limit (8 + 5 % + 1024 x 16 KiB of overhead): more than an e2-standard-2 offers.
    expect(() => parseStackConfig({ ...dev, memcached: { ...(dev.memcached as object), memoryMb: 6000 } })).toThrow(
      "capacity: memcached (memoryMb 6000 + overhead) 6324Mi + its metrics exporter 32Mi + mcrouter.memoryMb 256Mi + its metrics exporter 32Mi + sampleApp 3 x 32Mi + GKE's own " +
        "pods 1087Mi = 7827Mi memory on the fullest e2-standard-2 node, which has 6248Mi allocatable (5161Mi left after GKE's own pods): lower " +
        "memcached.memoryMb or mcrouter.memoryMb by 1579Mi in all, or use cluster.machineType e2-standard-4",
    );
  });

  it("checks an existing cluster against the allocatable it declares", () => {
    const raw = rawStackConfig("local", {
      "memcached-gke:existingCluster": { nodeCount: 3, nodeAllocatable: { cpu: "300m", memory: "2Gi" } },
    });
    expect(() => parseStackConfig(raw)).toThrow(
      "capacity: memcached.cpu 100m + its metrics exporter 50m + mcrouter.cpu 100m + its metrics exporter 50m + sampleApp 3 x 50m = 450m CPU on the fullest node " +
        "(existingCluster.nodeAllocatable 300m CPU, 2Gi), which has 300m allocatable: lower memcached.cpu or mcrouter.cpu by 150m in all",
    );
  });

  it("says nothing of an existing cluster whose nodes it does not know", () => {
    expect(stackCapacity(parseStackConfig(rawStackConfig("local")))).toBeUndefined();
  });
});

describe("every committed GKE stack fits its nodes with at least 10 % headroom", () => {
  const gkeStacks = COMMITTED_STACKS.filter((s) => parseStackConfig(rawStackConfig(s)).target === "gke");

  it("finds the GKE stacks in the repository", () => expect(gkeStacks).toEqual(["dev", "prod"]));

  it.each(gkeStacks)("%s", (stack) => {
    const sized = stackCapacity(parseStackConfig(rawStackConfig(stack)))!;
    expect(sized.report.fits).toBe(true);
    expect(sized.report.headroom.cpu).toBeGreaterThanOrEqual(0.1);
    expect(sized.report.headroom.memory).toBeGreaterThanOrEqual(0.1);
  });

  it("dev at memcached.replicas 10 (the README's example) fits within its autoscaling maximum", () => {
    const dev = rawStackConfig("dev");
    const sized = stackCapacity(
      parseStackConfig({ ...dev, memcached: { ...(dev.memcached as object), replicas: 10 } }),
    )!;
    expect({ fits: sized.report.fits, nodes: sized.report.nodesNeeded, max: sized.input.maxNodes }).toEqual({
      fits: true,
      nodes: 5,
      max: 6,
    });
  });
});
