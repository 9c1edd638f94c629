// The Compute Engine quota a GKE stack draws on, at its first `up` and at its largest, for docs/gke.md's table.
// Quota metrics: Compute Engine "Allocation quotas" (CPUS covers E2 and N1; other families have a metric of their
// own, e.g. N2_CPUS; persistent disk: DISKS_TOTAL_GB for pd-standard, SSD_TOTAL_GB for pd-balanced and pd-ssd;
// IN_USE_ADDRESSES for nodes' external IPs). Every node GKE creates, surge nodes included, counts (GKE "Ensure
// resources for node upgrades").
import { machineShape } from "../capacity/machineTypes";
import { ClusterConfig } from "../config/schema";

/** The temporary default pool GKE creates with the cluster, as components/gkeCluster.ts asks for it (GKE's default machine type). */
export const TEMPORARY_POOL = { machineType: "e2-medium", diskType: "pd-standard", diskSizeGb: 20, nodesPerZone: 1 };
/** Extra nodes a zone gets during a surge upgrade (the pool's upgradeSettings.maxSurge). */
export const MAX_SURGE = 1;
/** Zones GKE gives a regional cluster's default pool when the cluster names none. */
const REGIONAL_DEFAULT_ZONES = 3;

export interface QuotaNeed {
  metric: string;
  atCreate: number;
  atMax: number;
}

const cpuMetric = (machineType: string) => {
  const family = machineType.split("-")[0];
  return ["e2", "n1"].includes(family) ? "CPUS" : `${family.toUpperCase()}_CPUS`;
};
const diskMetric = (diskType: string) => (diskType === "pd-standard" ? "DISKS_TOTAL_GB" : "SSD_TOTAL_GB");
const vcpus = (machineType: string) => {
  const shape = machineShape(machineType);
  if (typeof shape === "string") throw new Error(`${machineType} ${shape}`);
  return shape.vcpus;
};

/**
 * What the stack's nodes take, by quota metric (regional, in the cluster's region): the first `up` creates the
 * temporary default pool, deletes it, then creates the pool (the larger of the two counts), and at its largest the
 * pool runs maxNodeCount nodes plus a surge node in each zone.
 */
export function quotaNeeds(c: ClusterConfig): QuotaNeed[] {
  const zones = c.nodeLocations.length || 1;
  const temporaryNodes = (c.nodeLocations.length > 0 ? REGIONAL_DEFAULT_ZONES : 1) * TEMPORARY_POOL.nodesPerZone;
  const maxNodes = Math.max(c.nodeCount, c.maxNodeCount) + MAX_SURGE * zones;
  const needs = new Map<string, QuotaNeed>();
  // The temporary pool is gone before the pool is created: at create, the larger of the two counts.
  const add = (metric: string, atCreate: number, atMax: number) => {
    const n = needs.get(metric) ?? { metric, atCreate: 0, atMax: 0 };
    needs.set(metric, { metric, atCreate: Math.max(n.atCreate, atCreate), atMax: n.atMax + atMax });
  };
  const temporary = (metric: string, perNode: number) => add(metric, temporaryNodes * perNode, 0);
  const pool = (metric: string, perNode: number) => add(metric, c.nodeCount * perNode, maxNodes * perNode);
  temporary(cpuMetric(TEMPORARY_POOL.machineType), vcpus(TEMPORARY_POOL.machineType));
  pool(cpuMetric(c.machineType), vcpus(c.machineType));
  temporary(diskMetric(TEMPORARY_POOL.diskType), TEMPORARY_POOL.diskSizeGb);
  pool(diskMetric(c.diskType), c.diskSizeGb);
  temporary("INSTANCES", 1);
  pool("INSTANCES", 1);
  if (!c.privateNodes) {
    temporary("IN_USE_ADDRESSES", 1);
    pool("IN_USE_ADDRESSES", 1);
  }
  return [...needs.values()];
}

/** The command that shows the region's quota and usage. */
export const quotaCommand = (project: string, region: string): string =>
  `gcloud compute regions describe ${region} --project ${project} --flatten=quotas --format="table(quotas.metric,quotas.usage,quotas.limit)"`;
