// A KWOK cluster for the e2e and the engine-overhead bench: the sandbox's control plane on loopback, kwok's fake
// kubelets for nodes shaped like a GKE pool (gkeShape.ts), and placeholder pods taking what GKE's own pods take.
// No container runs: pods turn Ready at once.
import { GKE_SYSTEM_PODS } from "../../lib/capacity/gkeNodes";
import { addProcess, ControlPlane, startControlPlane } from "../../sandbox/controlPlane";
import { freePort, kubectl, kubectlJson, log, waitFor } from "../../sandbox/process";
import { KwokNode, SYSTEM_POD_LABEL, systemPlaceholders } from "./gkeShape";

/** The placeholders of GKE's own pods in kube-system. */
export const systemPlaceholderPods = async (kubeconfig: string): Promise<any[]> =>
  (await kubectlJson(kubeconfig, ["get", "pods", "-n", "kube-system", "-l", SYSTEM_POD_LABEL])).items;

export const KWOK_CONTEXT = "kwok";

export interface KwokCluster extends ControlPlane {
  nodes: string[];
}

const systemPodCount = (nodes: number) =>
  GKE_SYSTEM_PODS.reduce((n, p) => n + (p.placement === "node" ? nodes : p.placement), 0);

/** Starts the control plane with these KWOK nodes, and GKE's own pods (placeholders) on them. */
export async function startKwokCluster(dir: string, kwokNodes: KwokNode[]): Promise<KwokCluster> {
  const cp = await startControlPlane(dir, "127.0.0.1", KWOK_CONTEXT);
  const { kubeconfig } = cp;
  addProcess(dir, "kwok", [
    `--kubeconfig=${kubeconfig}`,
    `--config=${process.env.KWOK_STAGES}`,
    "--manage-all-nodes=false",
    "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
    `--server-address=127.0.0.1:${await freePort()}`,
    "--cidr=10.244.0.0/16",
    "--node-ip=10.128.0.10",
  ]);
  log(
    `${kwokNodes.length} KWOK nodes of ${kwokNodes[0].labels["node.kubernetes.io/instance-type"]} (no NoSchedule taint, so the DaemonSet lands on all of them)`,
  );
  const nodes = kwokNodes.map((n) => ({
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name: n.name,
      annotations: { "kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0" },
      labels: { ...n.labels, type: "kwok" },
    },
  }));
  await kubectl(kubeconfig, ["apply", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "List", items: nodes }));
  // kwok's default (1k CPUs, 1Ti, no ephemeral storage) would schedule anything: the node gets GKE's figures.
  for (const n of kwokNodes) {
    await kubectl(kubeconfig, [
      "patch",
      "node",
      n.name,
      "--subresource=status",
      "--type=merge",
      "-p",
      JSON.stringify({ status: { capacity: n.capacity, allocatable: n.allocatable } }),
    ]);
  }
  await waitFor(`${kwokNodes.length} Ready nodes`, 120_000, async () => {
    const list = await kubectlJson(kubeconfig, ["get", "nodes"]);
    return (
      list.items.filter((n: any) => n.status?.conditions?.some((c: any) => c.type === "Ready" && c.status === "True"))
        .length === kwokNodes.length
    );
  });
  const placeholders = systemPlaceholders(kwokNodes);
  log(`${placeholders.length} placeholder workloads for GKE's own pods in kube-system`);
  await kubectl(
    kubeconfig,
    ["apply", "-f", "-"],
    JSON.stringify({ apiVersion: "v1", kind: "List", items: placeholders }),
  );
  await waitFor("GKE's own pods (placeholders) Running", 120_000, async () => {
    const list = { items: await systemPlaceholderPods(kubeconfig) };
    const expected = systemPodCount(kwokNodes.length);
    return list.items.length === expected && list.items.every((p: any) => p.status?.phase === "Running");
  });
  return { ...cp, nodes: kwokNodes.map((n) => n.name) };
}
