// The resources of every container the stack runs, declared once: the components put them in the pod specs
// and the capacity model places the same figures on nodes.
import { McrouterConfig, MemcachedConfig, MetricsConfig } from "../config/schema";
import { cpuMillis } from "../quantity";
import { memcachedMemoryLimitMib } from "./memcachedMemory";
import { Resources } from "./gkeNodes";

export interface ContainerResources {
  cpu: string;
  memoryMib: number;
  /** Logs and emptyDirs, bounded so one pod cannot fill a node's disk. */
  ephemeralStorage: string;
}

export const memcachedResources = (c: MemcachedConfig): ContainerResources => ({
  cpu: c.cpu,
  memoryMib: memcachedMemoryLimitMib(c),
  ephemeralStorage: "64Mi",
});

export const mcrouterResources = (c: McrouterConfig): ContainerResources => ({
  cpu: c.cpu,
  memoryMib: c.memoryMb,
  ephemeralStorage: "256Mi",
});

/** The sample app is busybox httpd plus a probe: a sliver of a core and 32 MiB. */
export const SAMPLE_APP_RESOURCES: ContainerResources = { cpu: "50m", memoryMib: 32, ephemeralStorage: "64Mi" };

/**
 * A metrics exporter sidecar (memcached_exporter, mcrouter_exporter): a Go process that answers one scrape
 * at a time with its server's `stats` (tens of ms of CPU a scrape; memcached_exporter about 15-20 MiB
 * resident, measured by the real-memcached test).
 */
export const EXPORTER_RESOURCES: ContainerResources = { cpu: "50m", memoryMib: 32, ephemeralStorage: "16Mi" };

const withExporter = (main: ContainerResources, metrics: Pick<MetricsConfig, "enabled">): ContainerResources[] => [
  main,
  ...(metrics.enabled ? [EXPORTER_RESOURCES] : []),
];

/** Every container of a memcached pod: memcached, and its exporter when metrics are on. */
export const memcachedPodContainers = (
  c: MemcachedConfig,
  metrics: Pick<MetricsConfig, "enabled">,
): ContainerResources[] => withExporter(memcachedResources(c), metrics);

/** Every container of an mcrouter pod: mcrouter, and its exporter when metrics are on. */
export const mcrouterPodContainers = (
  c: McrouterConfig,
  metrics: Pick<MetricsConfig, "enabled">,
): ContainerResources[] => withExporter(mcrouterResources(c), metrics);

/** What a container asks the scheduler for (requests equal limits throughout the stack). */
export const requests = (r: ContainerResources): Resources => ({ cpuMillis: cpuMillis(r.cpu), memoryMib: r.memoryMib });

/** What a pod asks for: the sum of its containers. */
export const podRequests = (containers: ContainerResources[]): Resources =>
  containers
    .map(requests)
    .reduce((a, b) => ({ cpuMillis: a.cpuMillis + b.cpuMillis, memoryMib: a.memoryMib + b.memoryMib }));
