// Proofs that the deployed cache serves, run the way a user would: the stack's own exported commands through a
// shell, and a bounded run of sets and gets through an app pod's node-local mcrouter (port 5000).
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { MEMCACHED_COMPONENT, SAMPLE_APP_COMPONENT } from "../lib/tiers/labels";
import { MEMCACHED_PORT } from "../lib/ports";
import { kubectl, kubectlJson } from "./process";
import { namespaceList, pods, ready, StackNamespaces } from "./stack";

/** Runs a command line in bash with `env` (an exported stack command, as a user's shell would). */
export function shell(line: string, env: Record<string, string>, timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile("bash", ["-c", line], { env: { ...process.env, ...env }, timeout: timeoutMs }, (error, stdout, stderr) =>
      error ? reject(new Error(`${line}: ${error.message}\n${stderr}`)) : resolve(stdout),
    ),
  );
}

/** The tutorial's telnet check, as the stack exports it: `set mykey` and `get mykey` through $NODE_NAME:5000. */
export async function tutorialCheck(checkCommand: string, env: Record<string, string>): Promise<string> {
  const reply = (await shell(checkCommand, env)).replace(/\r/g, "");
  if (!/^STORED\nVALUE mykey 0 5\nhello\nEND$/m.test(reply))
    throw new Error(`the tutorial's check got: ${JSON.stringify(reply)}`);
  return reply.trim();
}

export interface RunCounts {
  stored: number;
  hits: number;
  misses: number;
  errors: number;
  seconds: number;
}

/**
 * `sets` keys set and read back, and `absent` keys never set read, pipelined over one connection from a sample-app
 * pod to its node's mcrouter, bounded by `timeoutSeconds`. Each get returns one END: hits are VALUE lines, misses
 * the ENDs without one, errors every ERROR/CLIENT_ERROR/SERVER_ERROR line.
 */
export async function boundedRun(
  kubeconfig: string,
  ns: Pick<StackNamespaces, "sampleApp">,
  sets: number,
  absent: number,
  timeoutSeconds = 60,
): Promise<RunCounts> {
  const app = (await pods(kubeconfig, ns.sampleApp, SAMPLE_APP_COMPONENT)).find(ready);
  if (!app) throw new Error("no Ready sample-app pod to run from");
  const run = randomBytes(4).toString("hex");
  const value = (i: number) => `value-${run}-${i}`;
  const requests = [
    ...Array.from({ length: sets }, (_, i) => `set run:${run}:${i} 0 300 ${value(i).length}\r\n${value(i)}\r\n`),
    ...Array.from({ length: sets }, (_, i) => `get run:${run}:${i}\r\n`),
    ...Array.from({ length: absent }, (_, i) => `get absent:${run}:${i}\r\n`),
    "quit\r\n",
  ].join("");
  const t0 = Date.now();
  const reply = await kubectl(
    kubeconfig,
    [
      "exec",
      "-i",
      "-n",
      ns.sampleApp,
      app.metadata.name,
      "--",
      "sh",
      "-c",
      `timeout ${timeoutSeconds} nc -w 5 "$NODE_NAME" "$MCROUTER_PORT"`,
    ],
    requests,
    (timeoutSeconds + 15) * 1000,
  );
  const lines = reply.split("\r\n");
  const count = (re: RegExp) => lines.filter((l) => re.test(l)).length;
  const hits = count(/^VALUE /);
  return {
    stored: count(/^STORED$/),
    hits,
    misses: count(/^END$/) - hits,
    errors: count(/^(ERROR|CLIENT_ERROR|SERVER_ERROR)/),
    seconds: (Date.now() - t0) / 1000,
  };
}

/** Items each memcached pod holds (`stats` curr_items, asked in the pod): how the keys spread over the shards. */
export async function itemsPerShard(
  kubeconfig: string,
  ns: Pick<StackNamespaces, "memcached">,
): Promise<Record<string, number>> {
  const shards = (await pods(kubeconfig, ns.memcached, MEMCACHED_COMPONENT)).filter(ready);
  const entries = await Promise.all(
    shards.map(async (p) => {
      const stats = await kubectl(kubeconfig, [
        "exec",
        "-n",
        ns.memcached,
        p.metadata.name,
        "-c",
        "memcached",
        "--",
        "sh",
        "-c",
        `printf 'stats\\r\\nquit\\r\\n' | timeout 5 nc 127.0.0.1 ${MEMCACHED_PORT}`,
      ]);
      return [p.metadata.name, Number(/STAT curr_items (\d+)/.exec(stats)?.[1] ?? NaN)] as const;
    }),
  );
  return Object.fromEntries(entries.sort(([a], [b]) => a.localeCompare(b)));
}

/** Every pod of the stack's namespaces, by the node it runs on. */
export async function podsByNode(kubeconfig: string, stack: StackNamespaces): Promise<Record<string, string[]>> {
  const byNode: Record<string, string[]> = {};
  for (const ns of namespaceList(stack)) {
    for (const p of (await kubectlJson(kubeconfig, ["get", "pods", "-n", ns])).items) {
      (byNode[p.spec.nodeName ?? "(not scheduled)"] ??= []).push(
        `${ns}/${p.metadata.name}${ready(p) ? "" : " (not Ready)"}`,
      );
    }
  }
  return byNode;
}

/** The stack's pods that are not Ready, with why (for waits and their timeouts). */
export async function podsNotReady(kubeconfig: string, stack: StackNamespaces): Promise<string[]> {
  const out: string[] = [];
  for (const ns of namespaceList(stack)) {
    for (const p of (await kubectlJson(kubeconfig, ["get", "pods", "-n", ns])).items.filter((p: any) => !ready(p))) {
      const waiting = (p.status.containerStatuses ?? [])
        .map((c: any) => c.state?.waiting?.reason ?? (c.ready ? "" : `${c.name} not ready`))
        .filter(Boolean);
      out.push(`${ns}/${p.metadata.name} ${p.status.phase}${waiting.length ? ` (${waiting.join(", ")})` : ""}`);
    }
  }
  return out;
}
