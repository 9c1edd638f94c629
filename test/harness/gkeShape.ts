// KWOK nodes shaped like a GKE node pool of a given machine type, and placeholder pods that take what GKE's
// own pods take on them: the e2e then schedules against the same numbers the capacity model uses.
import { GKE_SYSTEM_PODS, gkeAllocatable, gkeSystemLoad, Resources } from "../../lib/capacity/gkeNodes";
import { machineShape } from "../../lib/capacity/machineTypes";
import { cpuQuantity, mebibytes } from "../../lib/quantity";

/** The label of each placeholder for one of GKE's own pods: the pod it stands for. */
export const SYSTEM_POD_LABEL = "e2e.memcached-gke/gke-system-pod";

export interface KwokNode {
  name: string;
  labels: Record<string, string>;
  capacity: Record<string, string>;
  allocatable: Record<string, string>;
}

export interface NodePoolShape {
  /** GKE cluster name, which GKE puts in node names. */
  cluster: string;
  machineType: string;
  /** Nodes are spread round-robin over these zones. */
  zones: string[];
  count: number;
}

const NODE_SUFFIXES = ["k2x4", "m8q1", "t5w9", "b7c3", "h4n6", "p9r2", "w3z8", "d6f1", "q2v5", "x8j7"];
const POOL = "pool";
/** Not modelled by the capacity check, but bounded by every pod of the stack: a GKE boot disk's share. */
const EPHEMERAL_STORAGE = "47Gi";
const PODS_PER_NODE = "110";

function shapeOf(machineType: string) {
  const shape = machineShape(machineType);
  if (typeof shape === "string") throw new Error(`${machineType}: ${shape}`);
  return shape;
}

const quantities = (r: Resources) => ({ cpu: cpuQuantity(r.cpuMillis), memory: mebibytes(r.memoryMib) });

/** The nodes GKE would create for the pool, with its labels, capacity and allocatable. */
export function gkeShapedNodes(pool: NodePoolShape): KwokNode[] {
  const shape = shapeOf(pool.machineType);
  const allocatable = gkeAllocatable(shape);
  return Array.from({ length: pool.count }, (_, i) => {
    const name = `gke-${pool.cluster}-${POOL}-7c3e9a1f-${NODE_SUFFIXES[i] ?? `n${i}`}`;
    const zone = pool.zones[i % pool.zones.length];
    return {
      name,
      labels: {
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "node.kubernetes.io/instance-type": pool.machineType,
        "topology.kubernetes.io/zone": zone,
        "topology.kubernetes.io/region": zone.replace(/-[a-z]$/, ""),
        "cloud.google.com/gke-nodepool": POOL,
        "cloud.google.com/machine-family": pool.machineType.split("-")[0],
      },
      capacity: {
        cpu: String(shape.vcpus),
        memory: mebibytes(shape.memoryMib),
        "ephemeral-storage": EPHEMERAL_STORAGE,
        pods: PODS_PER_NODE,
      },
      allocatable: { ...quantities(allocatable), "ephemeral-storage": EPHEMERAL_STORAGE, pods: PODS_PER_NODE },
    };
  });
}

/**
 * kube-system workloads that request what GKE's own pods do (lib/capacity/gkeNodes.ts), owned as on GKE so that a
 * drain treats them alike: each per-node pod as a DaemonSet, each cluster-wide one as a Deployment that
 * prefers the first nodes (replica r on node r: every singleton on the first node, the capacity model's
 * fullest node), its replicas on distinct nodes.
 */
export function systemPlaceholders(nodes: KwokNode[]): object[] {
  return GKE_SYSTEM_PODS.map((pod) => {
    const labels = { [SYSTEM_POD_LABEL]: pod.name };
    const container = {
      name: pod.name,
      image: "registry.k8s.io/pause:3.10",
      resources: { requests: quantities(pod), limits: { memory: mebibytes(pod.memoryMib) } },
    };
    const metadata = { name: pod.name, namespace: "kube-system", labels };
    if (pod.placement === "node") {
      return {
        apiVersion: "apps/v1",
        kind: "DaemonSet",
        metadata,
        spec: {
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              priorityClassName: "system-node-critical",
              tolerations: [{ operator: "Exists" }],
              containers: [container],
            },
          },
        },
      };
    }
    const preferred = nodes.slice(0, pod.placement).map((n, r) => ({
      weight: 100 - r,
      preference: { matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: [n.name] }] },
    }));
    return {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata,
      spec: {
        replicas: pod.placement,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            priorityClassName: "system-cluster-critical",
            affinity: {
              nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: preferred },
              podAntiAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: [
                  { labelSelector: { matchLabels: labels }, topologyKey: "kubernetes.io/hostname" },
                ],
              },
            },
            containers: [container],
          },
        },
      },
    };
  });
}

/** What a node of this pool has free for the stack: allocatable less GKE's pods on the fullest node. */
export function freeOnFullestNode(pool: NodePoolShape): { cpu: string; memory: string } {
  const allocatable = gkeAllocatable(shapeOf(pool.machineType));
  const system = gkeSystemLoad(pool.count);
  return quantities({
    cpuMillis: allocatable.cpuMillis - system.cpuMillis,
    memoryMib: allocatable.memoryMib - system.memoryMib,
  });
}
