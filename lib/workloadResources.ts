// The resources of every container the stack runs, declared once: the components put them in the pod specs
// and the capacity model places the same figures on nodes.
import { McrouterConfig, MemcachedConfig } from "./config";
import { cpuMillis } from "./quantity";
import { memcachedMemoryLimitMib } from "./sizing";
import { Resources } from "./gkeNodes";

export interface ContainerResources {
  cpu: string;
  memoryMib: number;
  /** Logs and emptyDirs, bounded so one pod cannot fill a node's disk. */
  ephemeralStorage: string;
}

export const memcachedResources = (c: MemcachedConfig): ContainerResources =>
  ({ cpu: c.cpu, memoryMib: memcachedMemoryLimitMib(c), ephemeralStorage: "64Mi" });

export const mcrouterResources = (c: McrouterConfig): ContainerResources =>
  ({ cpu: c.cpu, memoryMib: c.memoryMb, ephemeralStorage: "256Mi" });

/** The sample app is busybox httpd plus a probe: a sliver of a core and 32 MiB. */
export const SAMPLE_APP_RESOURCES: ContainerResources = { cpu: "50m", memoryMib: 32, ephemeralStorage: "64Mi" };

/** What a container asks the scheduler for (requests equal limits throughout the stack). */
export const requests = (r: ContainerResources): Resources => ({ cpuMillis: cpuMillis(r.cpu), memoryMib: r.memoryMib });
