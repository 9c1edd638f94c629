// What the real-process tests need from the program itself, taken from a mocked run of a committed stack,
// never re-typed: memcached's args and memory limit, the data-path probe script, the endpoint list.
import { runProgram } from "./mocks";

export { COMMITTED_STACKS } from "../../lib/stackFiles";

export interface StackArtifacts {
  stack: string;
  memcachedArgs: string[];
  memoryLimitMib: number;
  dataPathScript: string;
  /** The memcached container's readiness command (sh -c <script>). */
  memcachedReadinessScript: string;
  /** The mcrouter container's readiness command, whole. */
  mcrouterReadinessCommand: string[];
  /** The memcached pod's exporter sidecar's args. */
  exporterArgs: string[];
  /** The alert rule groups of the stack's Rules object (GKE stacks). */
  /** Every Rules object's groups (one a tier). */
  alertGroups: unknown[];
  endpoints: string[];
}

const cache = new Map<string, Promise<StackArtifacts>>();

export function stackArtifacts(stack: string): Promise<StackArtifacts> {
  if (!cache.has(stack)) cache.set(stack, load(stack));
  return cache.get(stack)!;
}

async function load(stack: string): Promise<StackArtifacts> {
  const run = await runProgram(stack);
  const [memcached, exporter] = run.one("kubernetes:apps/v1:StatefulSet").inputs.spec.template.spec.containers;
  const app = run.one("kubernetes:apps/v1:Deployment").inputs.spec.template.spec.containers[0];
  const mcrouter = run.one("kubernetes:apps/v1:DaemonSet").inputs.spec.template.spec.containers[0];
  const limit = memcached.resources.limits.memory as string;
  if (!/^\d+Mi$/.test(limit) || memcached.resources.requests.memory !== limit) {
    throw new Error(`unexpected memcached memory resources ${JSON.stringify(memcached.resources)}`);
  }
  const [shell, flag, script] = app.startupProbe.exec.command as string[];
  if (shell !== "sh" || flag !== "-c") throw new Error(`unexpected probe command ${shell} ${flag}`);
  return {
    stack,
    memcachedArgs: memcached.args,
    memoryLimitMib: Number(limit.slice(0, -2)),
    dataPathScript: script,
    memcachedReadinessScript: memcached.readinessProbe.exec.command[2],
    mcrouterReadinessCommand: mcrouter.readinessProbe.exec.command,
    exporterArgs: exporter.args,
    alertGroups: run.byType("kubernetes:monitoring.googleapis.com/v1:Rules").flatMap((r) => r.inputs.spec.groups),
    endpoints: run.outputs.memcachedEndpoints as string[],
  };
}

/** The value following a flag in memcached's args. */
export function argValue(args: string[], flag: string): string {
  const i = args.indexOf(flag);
  if (i < 0) throw new Error(`no ${flag} in ${args.join(" ")}`);
  return args[i + 1];
}
