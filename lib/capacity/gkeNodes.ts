// What a GKE Standard node leaves for this stack: the machine's allocatable resources (GKE's documented
// reservations) minus the pods GKE itself runs on it.
import { MachineShape } from "./machineTypes";

export interface Resources {
  cpuMillis: number;
  memoryMib: number;
}

/**
 * GKE's reservation for the kubelet, the container runtime and the OS, from "Plan GKE Standard node sizes"
 * (cloud.google.com/kubernetes-engine/docs/concepts/plan-node-sizes, section "Node allocatable resources"):
 * CPU: 6 % of the first core, 1 % of the second, 0.5 % of cores 3-4, 0.25 % of every core above 4.
 * Memory: 255 MiB on machines under 1 GiB; otherwise 25 % of the first 4 GiB, 20 % of the next 4, 10 % of
 * the next 8, 6 % of the next 112 and 2 % above 128 GiB; plus the kubelet's 100 MiB eviction threshold.
 */
const CPU_RESERVATION: ReadonlyArray<[cores: number, fraction: number]> = [
  [1, 0.06],
  [1, 0.01],
  [2, 0.005],
  [Infinity, 0.0025],
];
const MEMORY_RESERVATION_GIB: ReadonlyArray<[gib: number, fraction: number]> = [
  [4, 0.25],
  [4, 0.2],
  [8, 0.1],
  [112, 0.06],
  [Infinity, 0.02],
];
const SMALL_MACHINE_RESERVATION_MIB = 255;
export const EVICTION_THRESHOLD_MIB = 100;
/**
 * Shared-core E2 nodes (e2-micro/small/medium) report 2 vCPUs, of which GKE offers 940m to pods: the
 * reservation of a one-core machine (1000m - 6 %).
 */
const SHARED_CORE_ALLOCATABLE_MILLIS = 940;

function tiered(total: number, tiers: ReadonlyArray<[number, number]>): number {
  let left = total;
  let reserved = 0;
  for (const [size, fraction] of tiers) {
    const part = Math.min(left, size);
    reserved += part * fraction;
    left -= part;
    if (left <= 0) break;
  }
  return reserved;
}

/** CPU and memory a node of this shape offers to pods (the kubelet's allocatable). */
export function gkeAllocatable(machine: MachineShape): Resources {
  const cpuMillis = machine.sharedCore
    ? SHARED_CORE_ALLOCATABLE_MILLIS
    : Math.floor(machine.vcpus * 1000 - tiered(machine.vcpus, CPU_RESERVATION) * 1000);
  const reservedMib =
    machine.memoryMib < 1024
      ? SMALL_MACHINE_RESERVATION_MIB
      : tiered(machine.memoryMib / 1024, MEMORY_RESERVATION_GIB) * 1024;
  return { cpuMillis, memoryMib: Math.floor(machine.memoryMib - reservedMib - EVICTION_THRESHOLD_MIB) };
}

export interface SystemPod extends Resources {
  name: string;
  /** `node`: one on every node (DaemonSet, or scaled one per node); a number: replicas somewhere in the cluster. */
  placement: "node" | number;
  /** What in this stack's cluster brings the pod. */
  because: string;
  /**
   * `observed`: requests read off a GKE node; `chart`: the requests of the component's upstream manifests;
   * `estimate`: not in that listing, set on the high side.
   */
  basis: "observed" | "chart" | "estimate";
}

/**
 * GKE's own pods on a cluster like the one GkeCluster creates (Dataplane V2, Workload Identity, Cloud
 * Logging and Monitoring, the PD CSI driver). `observed` rows are the requests of a GKE 1.29 node's
 * `kubectl describe node` listing (github.com/cryptnono/cryptnono/issues/34); `chart` rows are Managed
 * Prometheus's (metrics.enabled turns its managed collection on), whose requests GoogleCloudPlatform/
 * prometheus-engine's charts/values.global.yaml declares (collector: prometheus 4m/32M + config-reloader
 * 1m/4M; operator 1m/16M); `estimate` rows are pods that
 * listing does not show, sized on the high side. Check yours with `kubectl describe node` and correct the
 * table if your cluster's differ: the validation and the e2e's placeholder pods both read it.
 */
export const GKE_SYSTEM_PODS: readonly SystemPod[] = [
  {
    name: "fluentbit-gke",
    placement: "node",
    cpuMillis: 105,
    memoryMib: 230,
    because: "Cloud Logging",
    basis: "observed",
  },
  {
    name: "gke-metadata-server",
    placement: "node",
    cpuMillis: 100,
    memoryMib: 100,
    because: "Workload Identity (GKE_METADATA)",
    basis: "observed",
  },
  {
    name: "ip-masq-agent",
    placement: "node",
    cpuMillis: 10,
    memoryMib: 16,
    because: "VPC-native networking",
    basis: "observed",
  },
  {
    name: "konnectivity-agent",
    placement: "node",
    cpuMillis: 15,
    memoryMib: 60,
    because: "control-plane tunnel (scaled with the nodes)",
    basis: "observed",
  },
  {
    name: "gke-metrics-agent",
    placement: "node",
    cpuMillis: 15,
    memoryMib: 80,
    because: "Cloud Monitoring",
    basis: "estimate",
  },
  {
    name: "pdcsi-node",
    placement: "node",
    cpuMillis: 20,
    memoryMib: 40,
    because: "Persistent Disk CSI driver",
    basis: "estimate",
  },
  { name: "anetd", placement: "node", cpuMillis: 100, memoryMib: 200, because: "Dataplane V2", basis: "estimate" },
  { name: "kube-dns", placement: 2, cpuMillis: 260, memoryMib: 110, because: "cluster DNS", basis: "observed" },
  {
    name: "kube-dns-autoscaler",
    placement: 1,
    cpuMillis: 20,
    memoryMib: 10,
    because: "cluster DNS",
    basis: "observed",
  },
  {
    name: "konnectivity-agent-autoscaler",
    placement: 1,
    cpuMillis: 10,
    memoryMib: 10,
    because: "control-plane tunnel",
    basis: "observed",
  },
  {
    name: "metrics-server",
    placement: 1,
    cpuMillis: 60,
    memoryMib: 160,
    because: "resource metrics API",
    basis: "estimate",
  },
  {
    name: "gmp-collector",
    placement: "node",
    cpuMillis: 5,
    memoryMib: 35,
    because: "Managed Prometheus collection (gmp-system)",
    basis: "chart",
  },
  {
    name: "gmp-operator",
    placement: 1,
    cpuMillis: 1,
    memoryMib: 16,
    because: "Managed Prometheus (gmp-system)",
    basis: "chart",
  },
  {
    name: "l7-default-backend",
    placement: 1,
    cpuMillis: 10,
    memoryMib: 20,
    because: "HTTP load balancing add-on",
    basis: "estimate",
  },
];

/**
 * What GKE's pods take on the fullest node of a cluster of `nodes`: every per-node pod, and of each
 * cluster-wide one the share the scheduler may put on one node (all of a singleton, one of kube-dns's two
 * replicas on 2+ nodes).
 */
export function gkeSystemLoad(nodes: number, pods: readonly SystemPod[] = GKE_SYSTEM_PODS): Resources {
  return pods.reduce(
    (sum, pod) => {
      const count = pod.placement === "node" ? 1 : Math.ceil(pod.placement / Math.max(nodes, 1));
      return { cpuMillis: sum.cpuMillis + count * pod.cpuMillis, memoryMib: sum.memoryMib + count * pod.memoryMib };
    },
    { cpuMillis: 0, memoryMib: 0 },
  );
}
