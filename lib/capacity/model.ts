// The capacity model: does the stack fit the nodes it runs on? Pure arithmetic over the pods' requests and
// the placement the stack's own constraints force:
// - mcrouter (DaemonSet) runs on every node;
// - memcached spreads with maxSkew 1 over hostnames (DoNotSchedule): nodes fill evenly, and a pod that fits
//   nowhere stays Pending, which is what makes the cluster autoscaler add a node;
// - the sample app spreads likewise (ScheduleAnyway), ceil(replicas / nodes) on the fullest node;
// - GKE's own pods: every per-node one, plus the cluster-wide ones the fullest node may get (gkeNodes.ts).
import { Resources } from "./gkeNodes";

export interface CapacityInput {
  allocatable: Resources;
  /** What the node's own system pods take on the fullest node. */
  system: Resources;
  /** Nodes the cluster starts with, and the most the autoscaler may grow it to (equal without autoscaling). */
  minNodes: number;
  maxNodes: number;
  memcached: { replicas: number; pod: Resources };
  /** mcrouter, on every node. */
  perNode: Resources;
  apps: { replicas: number; pod: Resources };
}

export interface CapacityReport {
  /** Everything on the fullest node except memcached. */
  base: Resources;
  /** memcached pods one node holds beside `base`. */
  memcachedPerNode: number;
  /** Nodes the memcached replicas need; at least minNodes. */
  nodesNeeded: number;
  fits: boolean;
  /** The largest memcached.replicas this cluster (at its maximum size) holds. */
  maxReplicas: number;
  /** The fullest node once everything is scheduled. */
  fullestNode: Resources;
  memcachedOnFullestNode: number;
  /** Share of the allocatable left free on the fullest node (negative: over-committed). */
  headroom: { cpu: number; memory: number };
}

const add = (a: Resources, b: Resources, times = 1): Resources => ({
  cpuMillis: a.cpuMillis + times * b.cpuMillis,
  memoryMib: a.memoryMib + times * b.memoryMib,
});

export function capacity(input: CapacityInput): CapacityReport {
  const appsPerNode = Math.ceil(input.apps.replicas / input.minNodes);
  const base = add(add(input.system, input.perNode), input.apps.pod, appsPerNode);
  const room = (key: keyof Resources) => {
    const free = input.allocatable[key] - base[key];
    return free < 0 ? 0 : input.memcached.pod[key] === 0 ? Infinity : Math.floor(free / input.memcached.pod[key]);
  };
  const memcachedPerNode = Math.min(room("cpuMillis"), room("memoryMib"));
  const nodesNeeded =
    memcachedPerNode === 0
      ? Infinity
      : Math.max(input.minNodes, Math.ceil(input.memcached.replicas / memcachedPerNode));
  const memcachedOnFullestNode = Math.min(
    Math.ceil(input.memcached.replicas / input.minNodes),
    Math.max(memcachedPerNode, 1),
  );
  const fullestNode = add(base, input.memcached.pod, memcachedOnFullestNode);
  const share = (key: keyof Resources) => 1 - fullestNode[key] / input.allocatable[key];
  return {
    base,
    memcachedPerNode,
    nodesNeeded,
    fits: memcachedPerNode >= 1 && nodesNeeded <= input.maxNodes,
    maxReplicas: Number.isFinite(memcachedPerNode) ? memcachedPerNode * input.maxNodes : Infinity,
    fullestNode,
    memcachedOnFullestNode,
    headroom: { cpu: share("cpuMillis"), memory: share("memoryMib") },
  };
}
