// Stacks of the e2e: the committed `local` stack, and stacks that deploy a committed GKE stack's sizes onto
// KWOK nodes shaped like its node pool (target existing, with the pool's free allocatable declared).
import { ControlPlane, kubectl, kubectlJson } from "./controlPlane";
import { freeOnFullestNode, NodePoolShape } from "./gkeShape";
import { committedStackConfig } from "../../test/support/program";
import { Cli, prepareProject, pulumiCli } from "./pulumiStack";
import { PROJECT_NAME } from "../../lib/project";

export const NAMESPACES = ["memcached", "mcrouter", "cache-clients"];
const KWOK_CONTEXT = "kwok";

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

/** A stack of the project on the control plane, through the real CLI: the committed local one, or `config`. */
export async function initStack(
  stateDir: string,
  cp: ControlPlane,
  name: string,
  config?: Record<string, unknown>,
): Promise<Cli> {
  const cli = pulumiCli(prepareProject(stateDir, name, config), stateDir, cp.kubeconfig);
  await cli(["stack", "init", name]);
  if (!config) {
    await cli(["config", "set", "--path", `${PROJECT_NAME}:existingCluster.kubeconfig`, cp.kubeconfig]);
    await cli(["config", "set", "--path", `${PROJECT_NAME}:existingCluster.context`, KWOK_CONTEXT]);
  }
  return cli;
}

/** `pulumi preview --json`: the operations it plans, counted. */
export async function plannedChanges(cli: Cli): Promise<Record<string, number>> {
  const { stdout } = await cli(["preview", "--json"]);
  return JSON.parse(stdout).changeSummary ?? {};
}

export const ready = (pod: any): boolean =>
  pod.status?.conditions?.some((c: any) => c.type === "Ready" && c.status === "True") ?? false;

export async function pods(kubeconfig: string, namespace: string, app: string): Promise<any[]> {
  return (await kubectlJson(kubeconfig, ["get", "pods", "-n", namespace, "-l", `app.kubernetes.io/name=${app}`])).items;
}

const NAMESPACED_KINDS =
  "statefulsets,daemonsets,deployments,replicasets,pods,services,configmaps,serviceaccounts,poddisruptionbudgets,networkpolicies";

/** Every object of the stack's kinds left in its namespaces, and the namespaces themselves. */
export async function leftovers(kubeconfig: string): Promise<string[]> {
  const objects = (
    await Promise.all(
      NAMESPACES.map((ns) =>
        kubectl(kubeconfig, ["get", NAMESPACED_KINDS, "-n", ns, "-o", "name", "--ignore-not-found"]),
      ),
    )
  )
    .join("\n")
    .split("\n")
    .filter((l) => l && !l.endsWith("/kube-root-ca.crt") && !l.endsWith("/default"));
  const namespaces = (await kubectlJson(kubeconfig, ["get", "namespaces"])).items
    .map((n: any) => n.metadata.name)
    .filter((n: string) => NAMESPACES.includes(n))
    .map((n: string) => `namespace/${n}`);
  return [...objects, ...namespaces];
}
