// Stacks of the e2e beyond the committed local one: a committed GKE stack's sizes deployed onto KWOK nodes shaped
// like its node pool (target existing, with the pool's free allocatable declared).
import { committedStackConfig } from "../../lib/stackFiles";
import { PROJECT_NAME } from "../../lib/project";
import { freeOnFullestNode, NodePoolShape } from "./gkeShape";
import { KWOK_CONTEXT } from "./kwok";

/** The node pool a committed GKE stack creates (its machine type, zones and node count). */
export function committedPool(stack: string): NodePoolShape {
  const cluster = committedStackConfig(stack)[`${PROJECT_NAME}:cluster`];
  const zones: string[] = cluster.nodeLocations?.length ? cluster.nodeLocations : [cluster.location];
  return { cluster: `memcached-${stack}`, machineType: cluster.machineType, zones, count: cluster.nodeCount };
}

/** A committed GKE stack's workload sizes, deployed onto an existing cluster whose nodes are `pool`'s. */
export function gkeSizedStackConfig(
  stack: string,
  pool: NodePoolShape,
  kubeconfig: string,
  overrides: Record<string, object> = {},
): Record<string, unknown> {
  const committed = committedStackConfig(stack);
  const section = (key: string) => ({ ...committed[`${PROJECT_NAME}:${key}`], ...overrides[key] });
  return {
    [`${PROJECT_NAME}:target`]: "existing",
    [`${PROJECT_NAME}:existingCluster`]: {
      kubeconfig,
      context: KWOK_CONTEXT,
      nodeCount: pool.count,
      nodeAllocatable: freeOnFullestNode(pool),
    },
    ...Object.fromEntries(["memcached", "mcrouter", "sampleApp"].map((k) => [`${PROJECT_NAME}:${k}`, section(k)])),
  };
}
