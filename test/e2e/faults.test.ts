// Faults an operator meets, on the real engine, each on a fresh local stack: `pulumi up` interrupted
// (SIGINT) and killed (SIGKILL: a lost CI runner), drift by kubectl,
// the API server stopped mid-`up`, and a node drain. Each is followed by the README's recovery, then the
// stack must converge: `preview` plans nothing, the API server holds exactly the stack's objects, and
// `destroy` leaves nothing.
import { readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { describe, expect, it } from "vitest";
import { isRunning, restartProcess, stopProcess } from "../../sandbox/controlPlane";
import { alive, kubectl, kubectlJson, log, waitFor } from "../../sandbox/process";
import { gkeShapedNodes } from "../harness/gkeShape";
import { Cli, Running } from "../../sandbox/pulumi";
import {
  DEFAULT_NAMESPACES,
  initStack,
  leftovers,
  namespaceList,
  plannedChanges,
  pods,
  ready,
} from "../../sandbox/stack";

const NAMESPACES = namespaceList(DEFAULT_NAMESPACES);
import { committedPool } from "../harness/stacks";
import { controlPlaneFor, timed } from "../harness/e2e";
import { PROJECT_NAME } from "../../lib/project";

const { cp, stateDir } = controlPlaneFor("faults", () =>
  gkeShapedNodes({ ...committedPool("dev"), cluster: "memcached-local" }),
);
const UP = ["up", "--yes", "--skip-preview"];

const commandName = (pid: number) => {
  try {
    return basename(readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")[0]);
  } catch {
    return "?";
  }
};

/** Every process below `pid` (from /proc), with its command name. */
function descendants(pid: number): { pid: number; name: string }[] {
  const procs = readdirSync("/proc")
    .filter((d) => /^[0-9]+$/.test(d))
    .flatMap((d) => {
      try {
        const stat = readFileSync(`/proc/${d}/stat`, "utf8");
        const close = stat.lastIndexOf(")");
        return [
          {
            pid: Number(d),
            name: stat.slice(stat.indexOf("(") + 1, close),
            ppid: Number(stat.slice(close + 2).split(" ")[1]),
          },
        ];
      } catch {
        return [];
      }
    });
  const below = (parent: number): { pid: number; name: string }[] =>
    procs.filter((p) => p.ppid === parent).flatMap((p) => [{ pid: p.pid, name: commandName(p.pid) }, ...below(p.pid)]);
  return below(pid);
}

/**
 * Resolves as soon as `pulumi up` has created its first namespace: mid-way, a few seconds before the end
 * (polled tightly, so the fault lands before the run can finish).
 */
async function midUp(): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const namespaces = await kubectl(cp().kubeconfig, ["get", "namespaces", "-o", "name"], undefined, 5_000).catch(
      () => "",
    );
    if (NAMESPACES.some((ns) => namespaces.includes(`namespace/${ns}\n`))) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error("pulumi up created no namespace within 120 s");
}

/** A fresh stack whose `pulumi up` runs in the background and has just reached mid-way. */
async function upToMidWay(stack: string): Promise<{ cli: Cli; run: Running }> {
  const cli = await initStack(stateDir(), cp(), stack);
  const run = cli.start(UP);
  await midUp();
  return { cli, run };
}

/** The objects of the stack's namespaces by kind and name, less pods and ReplicaSets (their names are generated). */
const liveObjects = async () =>
  (await leftovers(cp().kubeconfig)).filter((o) => !/^(pod|replicaset\.apps)\//.test(o)).sort();

/** After recovery: nothing planned, every pod Ready, and exactly the objects a clean deploy creates. */
async function expectConverged(cli: Cli, cleanObjects: string[]): Promise<void> {
  const planned = await plannedChanges(cli);
  expect(Object.keys(planned)).toEqual(["same"]);
  const kc = cp().kubeconfig;
  const readyPods = async (ns: string, app: string) => (await pods(kc, ns, app)).filter(ready).length;
  expect([
    await readyPods("memcached", "memcached"),
    await readyPods("mcrouter", "mcrouter"),
    await readyPods("cache-clients", "sample-app"),
  ]).toEqual([3, cp().nodes.length, 9]);
  expect(await liveObjects()).toEqual(cleanObjects);
}

async function destroyLeavesNothing(cli: Cli): Promise<void> {
  await cli(["destroy", "--yes", "--skip-preview"]);
  expect(await leftovers(cp().kubeconfig)).toEqual([]);
}

describe("faults and their recovery", () => {
  /** What a clean `pulumi up` of the local stack leaves in the API server, recorded by the first test. */
  let clean: string[] = [];

  it("records what a clean deploy creates", async () => {
    const cli = await initStack(stateDir(), cp(), "clean");
    await cli(UP);
    clean = await liveObjects();
    expect(clean.length).toBeGreaterThan(20);
    await destroyLeavesNothing(cli);
  });

  it("SIGINT mid-up: the next `pulumi up` converges", async () => {
    const { cli, run } = await upToMidWay("sigint");
    process.kill(run.pid, "SIGINT");
    const exit = await run.exited;
    log(`pulumi up after SIGINT: exit ${exit.code ?? exit.signal}`);
    await cli(UP);
    await expectConverged(cli, clean);
    await destroyLeavesNothing(cli);
  });

  it("SIGKILL mid-up (a lost CI runner): the plugins outlive the CLI; the documented recovery, then `pulumi up`, converges", async () => {
    const { cli, run } = await upToMidWay("sigkill");
    // The CLI starts its plugins in process groups of their own: killing its group does not reach them.
    const plugins = descendants(run.pid);
    process.kill(-run.pid, "SIGKILL");
    expect((await run.exited).signal).toBe("SIGKILL");
    const orphans = plugins.filter((p) => alive(p.pid));
    log(`left running by the killed CLI: ${orphans.map((p) => p.name).join(", ") || "nothing"}`);
    expect(orphans.map((p) => p.name)).toContain("pulumi-resource-kubernetes");
    for (const p of orphans) process.kill(p.pid, "SIGKILL");
    // What the next command meets depends on where the kill landed: nothing (it converges at once), the
    // killed run's lock (the file backend keeps it), or a checkpoint whose metadata sidecar was being
    // written (`<stack>.json.attrs` left empty: "failed to load checkpoint: EOF"). The README's recovery
    // for each, then `pulumi up`.
    for (let attempt = 1; ; attempt++) {
      const next = await cli(UP).then(
        () => undefined,
        (e: Error) => e.message,
      );
      if (next === undefined) break;
      expect(attempt, next).toBeLessThan(3);
      if (/the stack is currently locked/.test(next)) {
        log("after SIGKILL the stack was locked: pulumi cancel");
        await cli(["cancel", "--yes"]);
      } else {
        expect(next).toMatch(/failed to load checkpoint: EOF/);
        const attrs = join(stateDir(), "backend", ".pulumi", "stacks", PROJECT_NAME, "sigkill.json.attrs");
        expect(statSync(attrs).size).toBe(0);
        log(`after SIGKILL the checkpoint's metadata was empty: rm ${attrs}`);
        rmSync(attrs);
      }
    }
    await expectConverged(cli, clean);
    await destroyLeavesNothing(cli);
  });

  it("drift (kubectl scale, a deleted ConfigMap): `pulumi up --refresh` restores the declared state", async () => {
    const cli = await initStack(stateDir(), cp(), "drift");
    await cli(UP);
    const kc = cp().kubeconfig;
    await kubectl(kc, ["scale", "statefulset", "memcached", "-n", "memcached", "--replicas", "1"]);
    await kubectl(kc, ["delete", "configmap", "mcrouter-config", "-n", "mcrouter"]);
    await cli([...UP, "--refresh"]);
    expect((await kubectlJson(kc, ["get", "statefulset", "memcached", "-n", "memcached"])).spec.replicas).toBe(3);
    const cm = await kubectlJson(kc, ["get", "configmap", "mcrouter-config", "-n", "mcrouter"]);
    expect(JSON.parse(cm.data["config.json"]).pools.memcached.servers).toHaveLength(3);
    // The stack's field manager owns spec.replicas again; kubectl's scale no longer does.
    const owners = (
      await kubectlJson(kc, ["get", "statefulset", "memcached", "-n", "memcached", "--show-managed-fields"])
    ).metadata.managedFields
      .filter((f: any) => f.fieldsV1?.["f:spec"]?.["f:replicas"] !== undefined)
      .map((f: any) => f.manager);
    expect(owners).toEqual([PROJECT_NAME]);
    await waitFor(
      "3 Ready memcached pods",
      60_000,
      async () => (await pods(kc, "memcached", "memcached")).filter(ready).length === 3,
    );
    await expectConverged(cli, clean);
    await destroyLeavesNothing(cli);
  });

  it("API server stopped mid-up: a refused request fails the run, naming the cause; a readiness wait is interrupted; after the restart `pulumi up` converges", async () => {
    const { cli, run } = await upToMidWay("outage");
    await stopProcess(stateDir(), "kube-apiserver", "SIGKILL");
    // Where the kill lands decides what the run does: on a request (refused, or lost in flight) that resource
    // fails at once; while the provider waits for a workload's readiness it keeps waiting (up to that workload's
    // 10-minute await timeout, even once the API server is back), and Ctrl-C is the way out. Both can happen in one
    // run: the run then ends only on Ctrl-C, with the failed requests among its errors.
    const bound = (ms: number) => new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), ms));
    const server = /server: (https:\/\/\S+)/.exec(readFileSync(cp().kubeconfig, "utf8"))![1];
    const lostServer = (output: string) =>
      output
        .split("\n")
        .filter((l) => l.includes("error: "))
        .find(
          (l) =>
            /unreachable|connection refused/.test(l) ||
            (l.includes(server) && /EOF|connection reset|broken pipe|connection lost/.test(l)),
        );
    try {
      const exit = await Promise.race([run.exited, bound(60_000)]);
      if (exit) {
        expect(exit.code).not.toBe(0);
        const cause = lostServer(exit.output);
        log(`the kill landed on a request; pulumi up said: ${cause}`);
        expect(cause, `no error names the lost API server ${server}:\n${exit.output}`).toBeDefined();
      } else {
        log("the provider awaited a workload: still waiting after 60 s; API server back, then SIGINT");
        await restartProcess(stateDir(), "kube-apiserver");
        process.kill(run.pid, "SIGINT");
        const interrupted = await Promise.race([run.exited, bound(60_000)]);
        expect(interrupted, "pulumi up did not stop within 60 s of SIGINT").toBeDefined();
        expect(interrupted!.code).not.toBe(0);
        const cancelled = interrupted!.output.includes("Resource operation was cancelled");
        const cause = lostServer(interrupted!.output);
        log(`after SIGINT: ${cancelled ? "the wait was cancelled" : "the wait ended"}; a lost request: ${cause}`);
        expect(
          cancelled || cause !== undefined,
          `neither a cancelled wait nor a lost request in:\n${interrupted!.output}`,
        ).toBe(true);
      }
    } finally {
      // Whatever was asserted, the next tests need the API server back.
      if (!isRunning(stateDir(), "kube-apiserver")) await restartProcess(stateDir(), "kube-apiserver");
    }
    await cli(UP);
    await expectConverged(cli, clean);
    await destroyLeavesNothing(cli);
  });

  it("drain of a node: the PDBs hold, the stack stays converged, and destroy leaves nothing", async () => {
    const cli = await initStack(stateDir(), cp(), "drain");
    await cli(UP);
    const kc = cp().kubeconfig;
    const node = cp().nodes[0];
    await timed(`kubectl drain ${node}`, () =>
      kubectl(
        kc,
        ["drain", node, "--ignore-daemonsets", "--delete-emptydir-data", "--timeout=120s"],
        undefined,
        130_000,
      ),
    );
    const memcached = await pods(kc, "memcached", "memcached");
    log(
      `memcached after the drain: ${memcached.map((p) => `${p.metadata.name} ${p.status.phase} on ${p.spec.nodeName ?? "no node"}`).join(", ")}`,
    );
    const pdbs = (
      await Promise.all(["memcached", "cache-clients"].map((ns) => kubectlJson(kc, ["get", "pdb", "-n", ns])))
    ).flatMap((l) => l.items);
    expect(pdbs.map((p: any) => p.spec.maxUnavailable)).toEqual([1, 1]);
    expect(Object.keys(await plannedChanges(cli))).toEqual(["same"]);
    await kubectl(kc, ["uncordon", node]);
    await waitFor(
      "3 Ready memcached pods after uncordon",
      60_000,
      async () => (await pods(kc, "memcached", "memcached")).filter(ready).length === 3,
    );
    await destroyLeavesNothing(cli);
    expect(
      (await kubectlJson(kc, ["get", "namespaces"])).items
        .map((n: any) => n.metadata.name)
        .filter((n: string) => NAMESPACES.includes(n)),
    ).toEqual([]);
  });
});
