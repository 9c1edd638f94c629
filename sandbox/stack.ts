// The stack on a cluster, through the real CLI: created, asked what it would change, and its objects found.
import { writeFileSync } from "node:fs";
import { DEFAULTS } from "../lib/config/schema";
import { PROJECT_NAME } from "../lib/project";
import { ControlPlane } from "./controlPlane";
import { kubectl, kubectlJson } from "./process";
import { Cli, prepareProject, pulumiCli } from "./pulumi";

/** The namespace of each tier of a deployed stack. */
export interface StackNamespaces {
  memcached: string;
  mcrouter: string;
  sampleApp: string;
}
/** The tiers' namespaces as the config defaults name them. */
export const DEFAULT_NAMESPACES: StackNamespaces = {
  memcached: DEFAULTS.memcached.namespace,
  mcrouter: DEFAULTS.mcrouter.namespace,
  sampleApp: DEFAULTS.sampleApp.namespace,
};
/** The tiers' namespaces of a deployed stack, from its outputs (`pulumi stack output --json`). */
export function namespacesOf(outputs: Record<string, any>): StackNamespaces {
  if (!outputs.namespaces)
    throw new Error("the stack has no `namespaces` output: run `pulumi up` with this version first");
  return outputs.namespaces;
}
export const namespaceList = (ns: StackNamespaces): string[] => [ns.memcached, ns.mcrouter, ns.sampleApp];

/** A kubeconfig of one context of `source` only, current, with its credentials inlined: nothing else to pick. */
export async function pinnedKubeconfig(source: string, context: string, dest: string): Promise<string> {
  const view = await kubectl(source, ["config", "view", "--minify", "--flatten", "--context", context]);
  writeFileSync(dest, view, { mode: 0o600 });
  return dest;
}

/**
 * A stack of the project on the cluster, through the real CLI: the committed local one pointed at the cluster's
 * kubeconfig and context, or `config` as it is; in its own project directory unless `projectDir` names a shared one.
 */
export async function initStack(
  stateDir: string,
  cp: Pick<ControlPlane, "kubeconfig" | "context">,
  name: string,
  config?: Record<string, unknown>,
  projectDir?: string,
): Promise<Cli> {
  const cli = pulumiCli(prepareProject(stateDir, name, config, projectDir), stateDir, cp.kubeconfig);
  await cli(["stack", "init", name]);
  if (!config) {
    await cli(["config", "set", "--path", `${PROJECT_NAME}:existingCluster.kubeconfig`, cp.kubeconfig]);
    await cli(["config", "set", "--path", `${PROJECT_NAME}:existingCluster.context`, cp.context]);
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
export async function leftovers(kubeconfig: string, stackNamespaces = DEFAULT_NAMESPACES): Promise<string[]> {
  const names = namespaceList(stackNamespaces);
  const objects = (
    await Promise.all(
      names.map((ns) => kubectl(kubeconfig, ["get", NAMESPACED_KINDS, "-n", ns, "-o", "name", "--ignore-not-found"])),
    )
  )
    .join("\n")
    .split("\n")
    .filter((l) => l && !l.endsWith("/kube-root-ca.crt") && !l.endsWith("/default"));
  const namespaces = (await kubectlJson(kubeconfig, ["get", "namespaces"])).items
    .map((n: any) => n.metadata.name)
    .filter((n: string) => names.includes(n))
    .map((n: string) => `namespace/${n}`);
  return [...objects, ...namespaces];
}
