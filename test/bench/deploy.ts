// `npm run bench:deploy [-- rounds]` (default 9: one round's ratio varies widely with the pods' probe timing, and the
// targets are medians): deploy speed against kubectl, in interleaved rounds, written to docs/performance.md.
// - On the sandbox's real node, where pods really start: `kubectl apply` of the stack's objects (rendered by the real
//   provider, same config and images) and `rollout status` until every pod is Ready, then `kubectl delete` of them;
//   and the first `pulumi up` of a fresh stack until every pod is Ready, an unchanged `pulumi preview`, `pulumi
//   destroy`. The two sides alternate which goes first.
// - On KWOK nodes shaped like the dev pool (the e2e's control plane): the same, where pods are Ready at once, so only
//   the tools' own cost is left; plus `pulumi up` of an empty JavaScript program, and where a first up's time goes.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { stopControlPlane } from "../../sandbox/controlPlane";
import { workloadImages } from "../../sandbox/images";
import { importImages, startNode, stopNode } from "../../sandbox/node";
import { kubectl, log, setLogTag, waitFor } from "../../sandbox/process";
import { Cli, pulumiCli, ROOT } from "../../sandbox/pulumi";
import { sandboxStackConfig } from "../../sandbox/sandbox";
import { DEFAULT_NAMESPACES, initStack } from "../../sandbox/stack";
import { podsNotReady } from "../../sandbox/checks";
import { renderManifests } from "../../scripts/render-manifests";
import { committedStackConfig } from "../../lib/stackFiles";
import { PROJECT_NAME } from "../../lib/project";
import { gkeShapedNodes } from "../harness/gkeShape";
import { startKwokCluster } from "../harness/kwok";
import { sandboxBins } from "../harness/sandbox";
import { committedPool } from "../harness/stacks";
import { busyCpuSeconds, median, onInterrupt, seconds, table, writeSection } from "./report";

/** Issue #24's targets on the real node (ratio to kubectl) and the KWOK regression guard. */
const REAL_TARGETS = { up: 1.25, preview: 1.5, destroy: 1.0 };
const KWOK_GUARD = { up: 2.5, preview: 1.6 };
/** kubernetes v1.34.4 pkg/controller/namespace/namespace_controller.go L50: namespaceDeletionGracePeriod. */
const NAMESPACE_DELETION_GRACE_S = 5;
/**
 * After a side's delete, the next side waits this long. The namespace controller queues a deleted namespace by name
 * for 5 s after each of its updates (namespace_controller.go L89-97, L120-135), and its queue keeps an entry's
 * earlier time when the same name comes again (client-go v0.34.4 util/workqueue/delaying_queue.go L355-365): a
 * namespace deleted within 5 s of the last one of that name is processed early. Without the pause, kubectl's side on
 * KWOK (whose apply takes under 2 s) got that head start from the previous destroy: deletes of 3.1 s.
 */
const NAMESPACE_NAME_REUSE_PAUSE_MS = (NAMESPACE_DELETION_GRACE_S + 1) * 1000;
const WORKLOADS = [
  ["statefulset", DEFAULT_NAMESPACES.memcached, "memcached"],
  ["daemonset", DEFAULT_NAMESPACES.mcrouter, "mcrouter"],
  ["deployment", DEFAULT_NAMESPACES.sampleApp, "sample-app"],
] as const;

interface Cluster {
  kubeconfig: string;
  context: string;
}

/** The rendered objects, kubectl's way: apply (namespaces first) and wait for every pod; delete and wait. */
function kubectlSide(kc: string, manifests: string) {
  const namespaces = readdirSync(manifests)
    .filter((f) => f.startsWith("v1-namespace-"))
    .flatMap((f) => ["-f", join(manifests, f)]);
  return {
    /** Resolves with when every object was applied, in seconds, and the machine's busy CPUs from then on. */
    apply: async (): Promise<{ applied: number; podsBusy: number }> => {
      const t0 = Date.now();
      await kubectl(kc, ["apply", ...namespaces]);
      await kubectl(kc, ["apply", "-f", manifests]);
      const applied = Date.now();
      const busy = busyCpuSeconds();
      for (const [kind, ns, name] of WORKLOADS) {
        await kubectl(kc, ["rollout", "status", `${kind}/${name}`, "-n", ns, "--timeout=300s"], undefined, 310_000);
      }
      await allPodsReady(kc);
      return {
        applied: (applied - t0) / 1000,
        podsBusy: (busyCpuSeconds() - busy) / ((Date.now() - applied) / 1000),
      };
    },
    /** `-v=6` logs each response: when the namespaces' delete was answered. */
    delete: () =>
      timedLines(
        "kubectl",
        ["--kubeconfig", kc, "delete", "-f", manifests, "--wait=true", "--timeout=300s", "-v=6"],
        [/"Response" verb="DELETE" url="[^"]*\/api\/v1\/namespaces\/[^/"?]+[?"].* status="200/],
      ),
  };
}

const allPodsReady = (kc: string) =>
  waitFor("every pod Ready", 300_000, async () => (await podsNotReady(kc, DEFAULT_NAMESPACES)).length === 0);

interface Round {
  kubectl: number;
  kubectlDelete: number;
  /** Seconds into kubectl's delete: the last namespace's delete answered. */
  kubectlNamespacesAnswered: number;
  up: number;
  preview: number;
  destroy: number;
  empty?: number;
  /** Seconds into kubectl's side: every object applied (its rollout waits follow). */
  kubectlApplied: number;
  /**
   * How many of the machine's CPUs were busy, on average, from the workloads' creation to every pod Ready: under
   * kubectl, under Pulumi (whose processes share the machine with the node).
   */
  kubectlPodsBusy: number;
  upPodsBusy: number;
  /** Seconds into the first up: its first resource operation (the stack's), its first workload's, its last, the CLI's exit. */
  timeline?: [number, number, number, number];
  /**
   * Seconds into the destroy: its first deletion, the first namespace's, the last namespace's delete answered, the
   * last namespace gone, the CLI's exit.
   */
  destroyTimeline?: [number, number, number, number, number];
}

/**
 * Timestamps lines of output as they come: for each pattern, when a line first and last matched it (0 if never), and
 * the machine's busy CPU-seconds at its first match.
 */
function lineClock(patterns: RegExp[]) {
  const t0 = Date.now();
  const seen = patterns.map(() => [0, 0, 0]);
  let partial = "";
  return {
    t0,
    seen,
    feed(chunk: string) {
      const at = (Date.now() - t0) / 1000;
      const lines = (partial + chunk).split("\n");
      partial = lines.pop()!;
      for (const line of lines) {
        patterns.forEach((p, i) => {
          if (!p.test(line)) return;
          if (!seen[i][0]) [seen[i][0], seen[i][2]] = [at, busyCpuSeconds()];
          seen[i][1] = at;
        });
      }
    },
  };
}

type Timed = { total: number; seen: number[][] };

/** A pulumi command in the background, its output timed by `lineClock`, and its total time. */
async function timedRun(cli: Cli, args: string[], patterns: RegExp[]): Promise<Timed> {
  const clock = lineClock(patterns);
  const exit = await cli.start(args, clock.feed).exited;
  if (exit.code !== 0) throw new Error(`pulumi ${args[0]} failed:\n${exit.output}`);
  return { total: (Date.now() - clock.t0) / 1000, seen: clock.seen };
}

/** Any other command the same way, bounded at 310 s (its own timeouts are 300 s). */
function timedLines(cmd: string, args: string[], patterns: RegExp[]): Promise<Timed> {
  const clock = lineClock(patterns);
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], timeout: 310_000 });
  let output = "";
  const take = (d: Buffer) => {
    output += d;
    clock.feed(String(d));
  };
  child.stdout.on("data", take);
  child.stderr.on("data", take);
  return new Promise((resolve, reject) =>
    child.on("close", (code) =>
      code === 0
        ? resolve({ total: (Date.now() - clock.t0) / 1000, seen: clock.seen })
        : reject(new Error(`${cmd} ${args.join(" ")} failed (${code}):\n${output.slice(-4000)}`)),
    ),
  );
}

async function timedUp(
  cli: Cli,
): Promise<{ total: number; timeline: [number, number, number, number]; workloadsBusy: number }> {
  const { total, seen } = await timedRun(
    cli,
    ["up", "--yes", "--skip-preview"],
    [/\b(creating|created)\b/, /:(DaemonSet|StatefulSet|Deployment) \S+ creating\b/],
  );
  return { total, timeline: [seen[0][0], seen[1][0], seen[0][1], total], workloadsBusy: seen[1][2] };
}

async function timedDestroy(cli: Cli): Promise<{ total: number; timeline: [number, number, number, number, number] }> {
  const { total, seen } = await timedRun(
    cli,
    ["destroy", "--yes", "--skip-preview"],
    [
      /\bdeleting\b/,
      /:Namespace \S+ deleting\b/,
      // pulumi-kubernetes' message once the API server has accepted the delete
      /:Namespace \S+ deleting\b.*scheduled for deletion/,
      /:Namespace \S+ deleted\b/,
    ],
  );
  return { total, timeline: [seen[0][0], seen[1][0], seen[2][1], seen[3][1], total] };
}

/** Interleaved rounds on one cluster: kubectl's side and Pulumi's, alternating which goes first. */
async function rounds(
  n: number,
  cluster: Cluster,
  stateDir: string,
  config: Record<string, any>,
  extra?: (r: Round) => Promise<void>,
): Promise<Round[]> {
  const manifests = join(stateDir, "rendered", "1-manifest");
  await renderManifests(join(stateDir, "rendered"), config);
  const side = kubectlSide(cluster.kubeconfig, manifests);
  const out: Round[] = [];
  for (let r = 1; r <= n; r++) {
    const round = {} as Round;
    const kubectlFirst = r % 2 === 1;
    const viaKubectl = async () => {
      const t0 = Date.now();
      ({ applied: round.kubectlApplied, podsBusy: round.kubectlPodsBusy } = await side.apply());
      round.kubectl = (Date.now() - t0) / 1000;
      const deleted = await side.delete();
      round.kubectlDelete = deleted.total;
      round.kubectlNamespacesAnswered = deleted.seen[0][1];
      if (!round.kubectlNamespacesAnswered) throw new Error("kubectl delete -v=6 logged no namespace DELETE response");
      await sleep(NAMESPACE_NAME_REUSE_PAUSE_MS);
    };
    const viaPulumi = async () => {
      // Every round's stack in one project directory, as a user's stacks share their checkout: ts-node's
      // transpile cache (on by default, in the temp directory, keyed by the project's compiler options: the vendored
      // @pulumi/pulumi/vendor/ts-node@7.0.1 index.js L2760, L2854-2861, L3047-3076) is cold in round 1 only.
      const cli = await initStack(stateDir, cluster, `bench-${r}`, config, "project-bench");
      const up = await timedUp(cli);
      round.up = up.total + (await seconds(() => allPodsReady(cluster.kubeconfig)));
      round.upPodsBusy = (busyCpuSeconds() - up.workloadsBusy) / (round.up - up.timeline[1]);
      round.timeline = up.timeline;
      round.preview = await seconds(() => cli(["preview"]));
      const destroy = await timedDestroy(cli);
      round.destroy = destroy.total;
      round.destroyTimeline = destroy.timeline;
      await cli(["stack", "rm", "--yes"]);
      await sleep(NAMESPACE_NAME_REUSE_PAUSE_MS);
    };
    for (const step of kubectlFirst ? [viaKubectl, viaPulumi] : [viaPulumi, viaKubectl]) await step();
    await extra?.(round);
    log(
      `round ${r}/${n}: kubectl apply ${round.kubectl.toFixed(2)} s, delete ${round.kubectlDelete.toFixed(2)} s; ` +
        `pulumi up ${round.up.toFixed(2)} s, preview ${round.preview.toFixed(2)} s, destroy ${round.destroy.toFixed(2)} s` +
        (round.empty !== undefined ? `; empty program up ${round.empty.toFixed(2)} s` : ""),
    );
    out.push(round);
  }
  return out;
}

const s = (x: number) => `${x.toFixed(2)} s`;
const ratio = (x: number) => `${x.toFixed(2)}×`;
const cpusBusy = (rs: Round[], k: "upPodsBusy" | "kubectlPodsBusy") => median(rs.map((r) => r[k])).toFixed(1);

/** The table of a bench: every round, then the medians of the seconds and of each round's ratio. */
function report(
  rs: Round[],
  targets: Partial<Record<"up" | "preview" | "destroy", number>>,
  verdictWord: string,
): { lines: string[]; met: boolean } {
  const ratios = {
    up: rs.map((r) => r.up / r.kubectl),
    preview: rs.map((r) => r.preview / r.kubectl),
    destroy: rs.map((r) => r.destroy / r.kubectlDelete),
  };
  const rows: string[][] = rs.map((r, i) => [
    String(i + 1),
    s(r.kubectl),
    s(r.up),
    ratio(ratios.up[i]),
    s(r.preview),
    ratio(ratios.preview[i]),
    s(r.kubectlDelete),
    s(r.destroy),
    ratio(ratios.destroy[i]),
  ]);
  rows.push([
    "**median**",
    s(median(rs.map((r) => r.kubectl))),
    s(median(rs.map((r) => r.up))),
    `**${ratio(median(ratios.up))}**`,
    s(median(rs.map((r) => r.preview))),
    `**${ratio(median(ratios.preview))}**`,
    s(median(rs.map((r) => r.kubectlDelete))),
    s(median(rs.map((r) => r.destroy))),
    `**${ratio(median(ratios.destroy))}**`,
  ]);
  let met = true;
  const verdict = (what: string, xs: number[], bound: number) => {
    const ok = median(xs) <= bound;
    met &&= ok;
    const within = xs.filter((x) => x <= bound).length;
    return (
      `- ${what}: median ${ratio(median(xs))}, ${verdictWord} ${ratio(bound)}: ${ok ? "**met**" : "**NOT met**"} ` +
      `(within it in ${within} of ${xs.length} rounds)`
    );
  };
  const verdicts = (Object.entries(targets) as ["up" | "preview" | "destroy", number][]).flatMap(([k, bound]) => {
    const what = { up: "first `pulumi up`", preview: "unchanged `pulumi preview`", destroy: "`pulumi destroy`" }[k];
    const lines = [verdict(what, ratios[k], bound)];
    if (k !== "destroy") return lines;
    // Whether kubectl's namespaces are re-checked is a race (see below), not either tool's speed: judged without it too.
    const fair = notRechecked(rs);
    if (fair.length === rs.length) return lines;
    if (fair.length) {
      const fairRatios = fair.map((r) => r.destroy / r.kubectlDelete);
      return [...lines, verdict(`${what}, without the rounds where kubectl's were re-checked`, fairRatios, bound)];
    }
    met = false;
    return [...lines, `- ${what}: kubectl's namespaces were re-checked in every round, none to judge by`];
  });
  return {
    lines: [
      ...table(
        [
          "round",
          "kubectl apply + rollout",
          "first `pulumi up`",
          "ratio",
          "unchanged `preview`",
          "ratio",
          "kubectl delete",
          "`pulumi destroy`",
          "ratio",
        ],
        rows,
      ),
      "",
      ...verdicts,
    ],
    met,
  };
}

/** Where a first up's time goes, from the medians of each mark, beside kubectl's side of the same round. */
function upWhere(rs: Round[]): string {
  const t = (i: 0 | 1 | 2 | 3) => s(median(rs.map((r) => r.timeline![i])));
  return (
    `Where a first \`pulumi up\` goes (medians): the stack resource's creation starts at ${t(0)} (the CLI, the language ` +
    `host, Node.js and the SDK, which registers it before it loads the program), the first workload's creation ` +
    `starts at ${t(1)} (the program loaded and run, then the namespaces, then the service accounts, policies and ` +
    `config the pods need), the last operation is reported at ${t(2)}, the CLI exits at ${t(3)}. kubectl has ` +
    `applied every object at ` +
    `${s(median(rs.map((r) => r.kubectlApplied)))}. From the workloads' creation to every pod Ready: ` +
    `${s(median(rs.map((r) => r.up - r.timeline![1])))} under Pulumi (its awaits, then the bench's own ` +
    `readiness check), ${s(median(rs.map((r) => r.kubectl - r.kubectlApplied)))} under kubectl (\`rollout ` +
    `status\`, then the same check). Meanwhile ${cpusBusy(rs, "upPodsBusy")} of this machine's ${cpus().length} CPUs ` +
    `were busy on average under Pulumi, ${cpusBusy(rs, "kubectlPodsBusy")} under kubectl (everything on it: the ` +
    `node, its pods, the tools and the bench).`
  );
}

const kubectlLife = (r: Round) => r.kubectlDelete - r.kubectlNamespacesAnswered;
/** A namespace that outlives the controller's first pass by this much was re-checked: it still held a pod then. */
const rechecked = (life: number) => life > NAMESPACE_DELETION_GRACE_S + 2;
const notRechecked = (rs: Round[]) => rs.filter((r) => !rechecked(kubectlLife(r)));

/**
 * Where a destroy's time goes, from the medians of each mark, beside kubectl's delete of the same objects; and the
 * ratio Pulumi would reach had its engine deleted the namespaces with its very first request.
 */
function destroyWhere(rs: Round[], target?: number): string {
  const t = (i: 0 | 1 | 2 | 3 | 4) => s(median(rs.map((r) => r.destroyTimeline![i])));
  const deletes = rs.map((r) => r.kubectlDelete);
  const pulumiLife = (r: Round) => r.destroyTimeline![3] - r.destroyTimeline![2];
  const fast = notRechecked(rs);
  const fastFigures =
    fast.length && fast.length < rs.length
      ? `In the other rounds kubectl's delete took ${s(median(fast.map((r) => r.kubectlDelete)))} and Pulumi's destroy ` +
        `${s(median(fast.map((r) => r.destroy)))}. `
      : "";
  const recheckedRounds = rs.length - fast.length;
  const pulumiRechecked = rs.filter((r) => rechecked(pulumiLife(r))).length;
  const recheckedFigures =
    recheckedRounds + pulumiRechecked
      ? `In ${recheckedRounds} of ${rs.length} rounds kubectl's namespaces lived over ` +
        `${NAMESPACE_DELETION_GRACE_S + 2} s, re-checked: kubectl deletes them a fraction of a second after the ` +
        `workloads, and a pod was still ending at the first pass (mcrouter's pods first sleep in their preStop ` +
        `hook); Pulumi's were in ${pulumiRechecked}, since it deletes them only once the workloads are gone. `
      : `No namespace was re-checked. `;
  const boundRatio = median(fast.map((r) => (r.destroyTimeline![0] + kubectlLife(r)) / r.kubectlDelete));
  const verdict =
    target === undefined ? "." : `, ${boundRatio > target ? "above" : "within"} the ${ratio(target)} target.`;
  const bound = fast.length
    ? ` Had the engine sent the namespaces' delete with its first request, a destroy would take at least that ` +
      `request's time plus kubectl's namespace lifetime: in the rounds where kubectl's were not re-checked, median ` +
      `${ratio(boundRatio)} kubectl's delete${verdict}`
    : "";
  return (
    `Where a \`pulumi destroy\` goes (medians): its first deletion starts at ${t(0)} (the CLI, the engine and the ` +
    `provider up to their first request), the namespaces' at ${t(1)}, answered by the API server at ${t(2)}, the last ` +
    `namespace is gone at ${t(3)}, the CLI exits at ${t(4)}. \`kubectl delete\` of the same objects: its namespaces' ` +
    `delete answered at ${s(median(rs.map((r) => r.kubectlNamespacesAnswered)))}, done in ${s(median(deletes))} ` +
    `(from ${s(Math.min(...deletes))} to ${s(Math.max(...deletes))}). Kubernetes' namespace controller waits ` +
    `${NAMESPACE_DELETION_GRACE_S} s before its first pass over a deleted namespace and, if pods are still running ` +
    `then, re-checks after half the longest termination grace period plus 1 s (kubernetes v1.34.4 ` +
    `pkg/controller/namespace/namespace_controller.go L50, L135, L157-158; deletion/namespaced_resources_deleter.go ` +
    `L136-141, L609-660). ` +
    recheckedFigures +
    fastFigures +
    `Otherwise what differs is when the namespaces' delete is sent. Pulumi's engine deletes in waves: each ` +
    `wave holds the resources nothing left depends on, counted from the bottom of the graph, and finishes before the ` +
    `next starts (pulumi v3.255.0 pkg/resource/deploy/step_generator.go L2681-2730, deployment_executor.go L499-552; ` +
    `pulumi/pulumi#1963, #1625). So the namespaces come after the workloads and after every object they hold, even ` +
    `those marked \`deletedWith\` them, which make no API call but still cost a state save each.` +
    bound
  );
}

/** A project with no resource at all, in JavaScript: the CLI, language host and SDK start-up alone. */
function emptyProgram(dir: string, kubeconfig: string): Cli {
  const project = join(dir, "project-empty");
  mkdirSync(project);
  writeFileSync(join(project, "Pulumi.yaml"), "name: empty\nruntime: nodejs\n");
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "empty", main: "index.js" }));
  writeFileSync(join(project, "index.js"), 'require("@pulumi/pulumi");\nexports.ok = true;\n');
  symlinkSync(join(ROOT, "node_modules"), join(project, "node_modules"));
  return pulumiCli(project, dir, kubeconfig);
}

async function realNode(n: number): Promise<boolean> {
  const dir = mkdtempSync(join(tmpdir(), "memcached-gke-bench-node-"));
  try {
    const bins = sandboxBins();
    onInterrupt(stopNode);
    const node = await startNode(join(dir, "node"), bins);
    const standIns = workloadImages(bins);
    await importImages(
      node,
      standIns.map((i) => i.standIn),
    );
    const cluster = { kubeconfig: node.kubeconfig, context: node.context };
    const config = sandboxStackConfig({ ...cluster, nodes: 1 }, standIns);
    const rs = await rounds(n, cluster, dir, config);
    const { lines, met } = report(rs, REAL_TARGETS, "target at most");
    writeSection("deploy-real", [
      `One real node (the sandbox's), the local stack as \`npm start\` deploys it (stand-in images, already on the node); ${n} rounds.`,
      "",
      ...lines,
      "",
      upWhere(rs),
      "",
      destroyWhere(rs, REAL_TARGETS.destroy),
    ]);
    return met;
  } finally {
    await stopNode();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function kwok(n: number): Promise<boolean> {
  const dir = mkdtempSync(join(tmpdir(), "memcached-gke-bench-kwok-"));
  onInterrupt(() => stopControlPlane(dir));
  try {
    const cp = await startKwokCluster(dir, gkeShapedNodes({ ...committedPool("dev"), cluster: "memcached-local" }));
    const committed = committedStackConfig("local");
    const section = `${PROJECT_NAME}:existingCluster`;
    const config = {
      ...committed,
      [section]: { ...committed[section], kubeconfig: cp.kubeconfig, context: cp.context },
    };
    const empty = emptyProgram(dir, cp.kubeconfig);
    await empty(["stack", "init", "empty"]);
    const rs = await rounds(n, cp, dir, config, async (r) => {
      r.empty = await seconds(() => empty(["up", "--yes", "--skip-preview"]));
    });
    const { lines, met } = report(rs, KWOK_GUARD, "guard at most");
    writeSection("deploy-kwok", [
      `Three KWOK nodes shaped like the dev pool, the local stack; ${n} rounds.`,
      "",
      ...lines,
      "",
      `${upWhere(rs)} \`pulumi up\` of an empty JavaScript program: ${s(median(rs.map((r) => r.empty!)))} ` +
        `(${ratio(median(rs.map((r) => r.empty! / r.kubectl)))} the kubectl floor), what any Pulumi program pays ` +
        `before its first resource.`,
      "",
      destroyWhere(rs),
    ]);
    return met;
  } finally {
    await stopControlPlane(dir);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  setLogTag("bench:deploy");
  const n = Number(process.argv[2] ?? 9);
  const realMet = await realNode(n);
  const kwokMet = await kwok(n);
  process.exitCode = realMet && kwokMet ? 0 : 1;
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
