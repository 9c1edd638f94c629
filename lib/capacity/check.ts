// The capacity model applied to a stack's configuration: the figures, and the problems validation reports
// (naming the keys, the numbers and what would fit).
import type { StackConfig } from "../config/schema";
import { IN_TRANSIT_ENCRYPTION } from "../gke/requestRules";
import { capacity, CapacityInput, CapacityReport } from "./model";
import { gkeAllocatable, gkeSystemLoad, Resources } from "./gkeNodes";
import { machineShape, nextLargerMachineType } from "./machineTypes";
import { cpuMillis, cpuQuantity, mebibytes, memoryMib } from "../quantity";
import {
  mcrouterPodContainers,
  memcachedPodContainers,
  podRequests,
  requests,
  SAMPLE_APP_RESOURCES,
} from "./workloadResources";

export interface StackCapacity {
  /** How the node is named in messages: its machine type, or the existing cluster's declared allocatable. */
  node: string;
  input: CapacityInput;
  report: CapacityReport;
}

type Sized = Pick<StackConfig, "cluster" | "existingCluster" | "memcached" | "mcrouter" | "sampleApp" | "metrics">;

function gkeNode(machineType: string, nodes: number): { allocatable: Resources; system: Resources } | undefined {
  const shape = machineShape(machineType);
  return typeof shape === "string" ? undefined : { allocatable: gkeAllocatable(shape), system: gkeSystemLoad(nodes) };
}

/** The capacity figures of a stack; undefined where nothing is known of its nodes (existing, no nodeAllocatable). */
export function stackCapacity(config: Sized): StackCapacity | undefined {
  const workloads = {
    memcached: {
      replicas: config.memcached.replicas,
      pod: podRequests(memcachedPodContainers(config.memcached, config.metrics)),
    },
    perNode: podRequests(mcrouterPodContainers(config.mcrouter, config.metrics)),
    apps: { replicas: config.sampleApp.replicas, pod: requests(SAMPLE_APP_RESOURCES) },
  };
  if (config.cluster) {
    const c = config.cluster;
    const node = gkeNode(c.machineType, c.nodeCount);
    if (!node) return undefined;
    const input = { ...node, ...workloads, minNodes: c.nodeCount, maxNodes: Math.max(c.maxNodeCount, c.nodeCount) };
    return { node: `${c.machineType} node`, input, report: capacity(input) };
  }
  const e = config.existingCluster;
  if (!e?.nodeAllocatable.cpu || !e.nodeAllocatable.memory) return undefined;
  const allocatable = { cpuMillis: cpuMillis(e.nodeAllocatable.cpu), memoryMib: memoryMib(e.nodeAllocatable.memory) };
  const input = {
    allocatable,
    system: { cpuMillis: 0, memoryMib: 0 },
    ...workloads,
    minNodes: e.nodeCount,
    maxNodes: e.nodeCount,
  };
  return {
    node: `node (existingCluster.nodeAllocatable ${e.nodeAllocatable.cpu} CPU, ${e.nodeAllocatable.memory})`,
    input,
    report: capacity(input),
  };
}

const DIMENSIONS = {
  cpuMillis: {
    what: "CPU",
    show: cpuQuantity,
    mcrouterKey: "mcrouter.cpu",
    memcachedKey: "memcached.cpu",
    memcached: (_: Sized, millis: number) => `memcached.cpu ${cpuQuantity(millis)}`,
  },
  memoryMib: {
    what: "memory",
    show: mebibytes,
    mcrouterKey: "mcrouter.memoryMb",
    memcachedKey: "memcached.memoryMb",
    memcached: (config: Sized, mib: number) =>
      `memcached (memoryMb ${config.memcached.memoryMb} + overhead) ${mebibytes(mib)}`,
  },
} as const;

/** A larger machine type of the same family that would fit, if one exists within a few sizes. */
function largerMachineThatFits(config: Sized): string | undefined {
  let machineType = config.cluster?.machineType;
  for (let step = 0; step < 4 && machineType; step++) {
    machineType = nextLargerMachineType(machineType);
    if (machineType && stackCapacity({ ...config, cluster: { ...config.cluster!, machineType } })?.report.fits)
      return machineType;
  }
  return undefined;
}

/** Every way the stack does not fit its nodes, each naming the keys, the numbers and a fix. */
export function capacityProblems(config: Sized): string[] {
  const sized = stackCapacity(config);
  if (sized?.report.fits) return encryptionHeadroomProblems(config, sized);
  if (!sized) return [];
  const { node, input, report } = sized;
  const larger = config.cluster ? largerMachineThatFits(config) : undefined;
  const orLarger = larger ? `, or use cluster.machineType ${larger}` : "";
  const appsPerNode = Math.ceil(input.apps.replicas / input.minNodes);
  if (report.memcachedPerNode === 0) {
    return (Object.keys(DIMENSIONS) as (keyof Resources)[]).flatMap((key) => {
      const d = DIMENSIONS[key];
      const need = report.base[key] + input.memcached.pod[key];
      if (need <= input.allocatable[key]) return [];
      const [memcached, ...memcachedSidecars] = memcachedPodContainers(config.memcached, config.metrics).map(requests);
      const [mcrouter, ...mcrouterSidecars] = mcrouterPodContainers(config.mcrouter, config.metrics).map(requests);
      const exporters = (sidecars: Resources[]) =>
        sidecars.map((sidecar) => `its metrics exporter ${d.show(sidecar[key])}`);
      const parts = [
        d.memcached(config, memcached[key]),
        ...exporters(memcachedSidecars),
        `${d.mcrouterKey} ${d.show(mcrouter[key])}`,
        ...exporters(mcrouterSidecars),
        `sampleApp ${appsPerNode} x ${d.show(input.apps.pod[key])}`,
        ...(input.system[key] > 0 ? [`GKE's own pods ${d.show(input.system[key])}`] : []),
      ];
      const left = input.allocatable[key] - input.system[key];
      return [
        `capacity: ${parts.join(" + ")} = ${d.show(need)} ${d.what} on the fullest ${node}, which has ` +
          `${d.show(input.allocatable[key])} allocatable${input.system[key] > 0 ? ` (${d.show(left)} left after GKE's own pods)` : ""}: ` +
          `lower ${d.memcachedKey} or ${d.mcrouterKey} by ${d.show(need - input.allocatable[key])} in all${orLarger}`,
      ];
    });
  }
  const nodesKey = config.cluster
    ? `cluster.nodeCount ${config.cluster.nodeCount}, cluster.maxNodeCount ${config.cluster.maxNodeCount || "0 (no autoscaling)"}`
    : `existingCluster.nodeCount ${input.minNodes}`;
  const fix = config.cluster
    ? `set cluster.maxNodeCount to at least ${report.nodesNeeded}`
    : "add nodes and raise existingCluster.nodeCount";
  return [
    `capacity: memcached.replicas ${input.memcached.replicas} needs ${report.nodesNeeded} nodes (${report.memcachedPerNode} memcached ` +
      `pod${report.memcachedPerNode === 1 ? "" : "s"} fit on each ${node} beside mcrouter, the sample app${config.cluster ? " and GKE's own pods" : ""}), ` +
      `but the cluster has at most ${input.maxNodes} (${nodesKey}): ${fix}, or lower memcached.replicas to at most ${report.maxReplicas}${orLarger}`,
  ];
}

/**
 * Inter-node transparent encryption costs node CPU that no pod requests, so the scheduler does not see it (GKE
 * puts it at about 15 % of an n2-standard-8 moving 2 Gbps, and advises leaving CPU unscheduled:
 * lib/gke/requestRules.ts IN_TRANSIT_ENCRYPTION). The fullest node must keep that share of its CPU free.
 */
function encryptionHeadroomProblems(config: Sized, sized: StackCapacity): string[] {
  const need = IN_TRANSIT_ENCRYPTION.cpuOverhead;
  const free = sized.report.headroom.cpu;
  if (!config.cluster?.inTransitEncryption || free >= need) return [];
  const allocatable = sized.input.allocatable.cpuMillis;
  const short = Math.ceil((need - free) * allocatable);
  const percent = (x: number) => `${Math.round(x * 100)} %`;
  return [
    `capacity: cluster.inTransitEncryption takes node CPU the scheduler does not see (GKE: about ${percent(need)}, to be left ` +
      `unscheduled), but the fullest ${sized.node} has ${percent(free)} of its ${cpuQuantity(allocatable)} CPU free: ` +
      `lower memcached.cpu or mcrouter.cpu by ${cpuQuantity(short)} in all, use a larger cluster.machineType, or turn it off`,
  ];
}
