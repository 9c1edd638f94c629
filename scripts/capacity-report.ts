// The capacity tables of docs/design.md ("Capacity"): GKE's own pods, and each committed GKE stack's fullest node,
// from the capacity model (written by `npm run gen:docs`; test/docs.test.ts keeps the doc equal to them).
import { stackCapacity } from "../lib/capacity/check";
import { parseStackConfig } from "../lib/config/validate";
import { GKE_SYSTEM_PODS } from "../lib/capacity/gkeNodes";
import { cpuQuantity } from "../lib/quantity";
import { COMMITTED_STACKS, rawStackConfig } from "../lib/stackFiles";

const percent = (share: number) => `${Math.round(share * 100)} %`;

export function capacityTables(): string {
  const pods = GKE_SYSTEM_PODS.map(
    (p) =>
      `| ${p.name} | ${p.placement === "node" ? "every node" : `${p.placement} in the cluster`} | ${p.cpuMillis}m | ${p.memoryMib}Mi | ${p.because} | ${p.basis} |`,
  );
  const stacks = COMMITTED_STACKS.map((stack) => ({ stack, config: parseStackConfig(rawStackConfig(stack)) }))
    .filter(({ config }) => config.cluster)
    .map(({ stack, config }) => {
      const { input, report } = stackCapacity(config)!;
      const c = config.cluster!;
      return (
        `| \`${stack}\` | ${c.machineType} | ${c.nodeCount}–${input.maxNodes} | ${cpuQuantity(input.allocatable.cpuMillis)} / ${input.allocatable.memoryMib}Mi ` +
        `| ${cpuQuantity(input.system.cpuMillis)} / ${input.system.memoryMib}Mi | ${cpuQuantity(report.fullestNode.cpuMillis)} / ${report.fullestNode.memoryMib}Mi ` +
        `| ${percent(report.headroom.cpu)} / ${percent(report.headroom.memory)} | ${config.memcached.memoryMb}Mi (${percent(config.memcached.memoryMb / input.allocatable.memoryMib)}) ` +
        `| ${report.memcachedPerNode} | ${report.maxReplicas} |`
      );
    });
  return [
    "| GKE pod | where | CPU | memory | because of | figure |",
    "|---|---|---|---|---|---|",
    ...pods,
    "",
    "| stack | machine | nodes (min–max) | allocatable a node (CPU / memory) | GKE's pods on the fullest node | fullest node, all in | free on it (CPU / memory) | cache `-m` a node (of allocatable memory) | memcached pods a node holds | largest `memcached.replicas` |",
    "|---|---|---|---|---|---|---|---|---|---|",
    ...stacks,
  ].join("\n");
}
