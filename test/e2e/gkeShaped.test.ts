// The committed GKE stacks' sizes on nodes shaped like their node pools: KWOK nodes with the machine type's
// GKE allocatable and labels, GKE's own pods reserved by placeholder pods, and the Kubernetes half deployed
// by the real `pulumi up`. Every pod must be scheduled and Ready; a stack too big for its nodes must be
// refused by `pulumi preview` with the capacity message, changing nothing.
import { describe, expect, it } from "vitest";
import { DEFAULTS } from "../../lib/config/schema";
import { GKE_SYSTEM_PODS } from "../../lib/capacity/gkeNodes";
import { kubectlJson } from "../../sandbox/process";
import { gkeShapedNodes, NodePoolShape, SYSTEM_POD_LABEL } from "../harness/gkeShape";
import { systemPlaceholderPods } from "../harness/kwok";
import { Cli } from "../../sandbox/pulumi";
import { initStack, leftovers, pods, ready } from "../../sandbox/stack";
import { committedPool, gkeSizedStackConfig } from "../harness/stacks";
import { controlPlaneFor, timed } from "../harness/e2e";

async function expectAllScheduledAndReady(
  kubeconfig: string,
  nodes: string[],
  memcachedReplicas: number,
  appReplicas: number,
): Promise<void> {
  const memcached = await pods(kubeconfig, "memcached", "memcached");
  const mcrouter = await pods(kubeconfig, "mcrouter", "mcrouter");
  const apps = await pods(kubeconfig, "cache-clients", "sample-app");
  expect({
    memcached: memcached.filter(ready).length,
    mcrouter: mcrouter.filter(ready).length,
    apps: apps.filter(ready).length,
  }).toEqual({ memcached: memcachedReplicas, mcrouter: nodes.length, apps: appReplicas });
  // The spread: no node holds two memcached pods more than another.
  const perNode = nodes.map((n) => memcached.filter((p) => p.spec.nodeName === n).length);
  expect(Math.max(...perNode) - Math.min(...perNode)).toBeLessThanOrEqual(1);
  const pending = (await kubectlJson(kubeconfig, ["get", "pods", "-A", "--field-selector=status.phase=Pending"])).items;
  expect(pending.map((p: any) => `${p.metadata.namespace}/${p.metadata.name}`)).toEqual([]);
}

function gkeShapedSuite(
  stack: string,
  pool: NodePoolShape,
  tooBig: { what: string; overrides: Record<string, object>; message: RegExp },
) {
  describe(`${stack} sizes on ${pool.count} ${pool.machineType} nodes in ${pool.zones.join(", ")}`, () => {
    const { cp, stateDir } = controlPlaneFor(stack, () => gkeShapedNodes(pool));
    let cli: Cli;

    it(`refuses ${tooBig.what} at preview with the capacity message, creating nothing`, async () => {
      const refused = await initStack(
        stateDir(),
        cp(),
        `${stack}-too-big`,
        gkeSizedStackConfig(stack, pool, cp().kubeconfig, tooBig.overrides),
      );
      const error = await refused(["preview"]).then(
        () => undefined,
        (e: Error) => e.message,
      );
      expect(error).toMatch(tooBig.message);
      expect(await leftovers(cp().kubeconfig)).toEqual([]);
    });

    it("pulumi up schedules every pod, beside GKE's own", async () => {
      const config = gkeSizedStackConfig(stack, pool, cp().kubeconfig);
      cli = await initStack(stateDir(), cp(), stack, config);
      await timed(`pulumi up (${stack} sizes)`, () => cli(["up", "--yes", "--skip-preview"]));
      const sizes = config as Record<string, any>;
      await expectAllScheduledAndReady(
        cp().kubeconfig,
        cp().nodes,
        sizes["memcached-gke:memcached"].replicas ?? DEFAULTS.memcached.replicas,
        sizes["memcached-gke:sampleApp"].replicas ?? DEFAULTS.sampleApp.replicas,
      );
    });

    it("GKE's own pods crowd the first node, as on the capacity model's fullest node", async () => {
      const system = await systemPlaceholderPods(cp().kubeconfig);
      const onFirst = system
        .filter((p: any) => p.spec.nodeName === cp().nodes[0])
        .map((p: any) => p.metadata.labels[SYSTEM_POD_LABEL])
        .sort();
      expect(onFirst).toEqual(GKE_SYSTEM_PODS.map((p) => p.name).sort());
    });

    it("pulumi destroy leaves nothing", async () => {
      await cli(["destroy", "--yes", "--skip-preview"]);
      expect(await leftovers(cp().kubeconfig)).toEqual([]);
    });
  });
}

gkeShapedSuite("dev", committedPool("dev"), {
  // The README's scaling example on a pool that cannot grow: the autoscaler is what makes it fit on GKE.
  what: "memcached.replicas 10 on 3 fixed nodes",
  overrides: { memcached: { replicas: 10 } },
  message: /capacity: memcached\.replicas 10 needs 5 nodes .* but the cluster has at most 3/,
});

gkeShapedSuite("prod", committedPool("prod"), {
  what: "mcrouter.cpu 3",
  overrides: { mcrouter: { cpu: "3" } },
  // The figures are the model's (table-tested in test/capacity.test.ts); here the CLI must show its message.
  message:
    /capacity: memcached\.cpu 1 \+ its metrics exporter 50m \+ mcrouter\.cpu 3 \+ its metrics exporter 50m \+ sampleApp 3 x 50m = \d+m CPU on the fullest node \(existingCluster\.nodeAllocatable \d+m CPU, \d+Mi\), which has \d+m allocatable: lower memcached\.cpu or mcrouter\.cpu by \d+m in all/,
});
