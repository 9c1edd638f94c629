// `npm run bench:deploy [-- rounds]` (default 5): deploy speed against kubectl, in interleaved rounds, written to
// docs/performance.md.
// - On the sandbox's real node, where pods really start: `kubectl apply` of the stack's objects (rendered by the real
//   provider, same config and images) and `rollout status` until every pod is Ready, then `kubectl delete` of them;
//   and the first `pulumi up` of a fresh stack until every pod is Ready, an unchanged `pulumi preview`, `pulumi
//   destroy`. The two sides alternate which goes first.
// - On KWOK nodes shaped like the dev pool (the e2e's control plane): the same, where pods are Ready at once, so only
//   the tools' own cost is left; plus `pulumi up` of an empty JavaScript program, and where a first up's time goes.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
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
import { median, onInterrupt, seconds, table, writeSection } from "./report";

/** Issue #24's targets on the real node (ratio to kubectl) and the KWOK regression guard. */
const REAL_TARGETS = { up: 1.25, preview: 1.5, destroy: 1.0 };
const KWOK_GUARD = { up: 2.5, preview: 1.6 };
/** kubernetes v1.34.4 pkg/controller/namespace/namespace_controller.go L50: namespaceDeletionGracePeriod. */
const NAMESPACE_DELETION_GRACE_S = 5;
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
    apply: async () => {
      await kubectl(kc, ["apply", ...namespaces]);
      await kubectl(kc, ["apply", "-f", manifests]);
      for (const [kind, ns, name] of WORKLOADS) {
        await kubectl(kc, ["rollout", "status", `${kind}/${name}`, "-n", ns, "--timeout=300s"], undefined, 310_000);
      }
      await allPodsReady(kc);
    },
    delete: () => kubectl(kc, ["delete", "-f", manifests, "--wait=true", "--timeout=300s"], undefined, 310_000),
  };
}

const allPodsReady = (kc: string) =>
  waitFor("every pod Ready", 300_000, async () => (await podsNotReady(kc, DEFAULT_NAMESPACES)).length === 0);

interface Round {
  kubectl: number;
  kubectlDelete: number;
  up: number;
  preview: number;
  destroy: number;
  empty?: number;
  /** Seconds into the first up: its first resource operation, its last, the CLI's exit. */
  timeline?: [number, number, number];
  /** Seconds into the destroy: its first deletion, the first namespace's, the last namespace gone, the CLI's exit. */
  destroyTimeline?: [number, number, number, number];
}

/**
 * A pulumi command in the background: for each pattern, when a line of its output first and last matched it
 * (seconds in, 0 if never), and its total time.
 */
async function timedRun(cli: Cli, args: string[], patterns: RegExp[]): Promise<{ total: number; seen: number[][] }> {
  const t0 = Date.now();
  const seen = patterns.map(() => [0, 0]);
  let partial = "";
  const running = cli.start(args, (chunk) => {
    const at = (Date.now() - t0) / 1000;
    const lines = (partial + chunk).split("\n");
    partial = lines.pop()!;
    for (const line of lines) {
      patterns.forEach((p, i) => {
        if (!p.test(line)) return;
        if (!seen[i][0]) seen[i][0] = at;
        seen[i][1] = at;
      });
    }
  });
  const exit = await running.exited;
  if (exit.code !== 0) throw new Error(`pulumi ${args[0]} failed:\n${exit.output}`);
  return { total: (Date.now() - t0) / 1000, seen };
}

async function timedUp(cli: Cli): Promise<{ total: number; timeline: [number, number, number] }> {
  const { total, seen } = await timedRun(cli, ["up", "--yes", "--skip-preview"], [/\b(creating|created)\b/]);
  return { total, timeline: [seen[0][0], seen[0][1], total] };
}

async function timedDestroy(cli: Cli): Promise<{ total: number; timeline: [number, number, number, number] }> {
  const { total, seen } = await timedRun(
    cli,
    ["destroy", "--yes", "--skip-preview"],
    [/\bdeleting\b/, /:Namespace \S+ deleting\b/, /:Namespace \S+ deleted\b/],
  );
  return { total, timeline: [seen[0][0], seen[1][0], seen[2][1], total] };
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
      round.kubectl = await seconds(side.apply);
      round.kubectlDelete = await seconds(side.delete);
    };
    const viaPulumi = async () => {
      const cli = await initStack(stateDir, cluster, `bench-${r}`, config);
      const up = await timedUp(cli);
      round.up = up.total + (await seconds(() => allPodsReady(cluster.kubeconfig)));
      round.timeline = up.timeline;
      round.preview = await seconds(() => cli(["preview"]));
      const destroy = await timedDestroy(cli);
      round.destroy = destroy.total;
      round.destroyTimeline = destroy.timeline;
      await cli(["stack", "rm", "--yes"]);
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
  const verdicts = (Object.entries(targets) as ["up" | "preview" | "destroy", number][]).map(([k, bound]) => {
    const ok = median(ratios[k]) <= bound;
    met &&= ok;
    const what = { up: "first `pulumi up`", preview: "unchanged `pulumi preview`", destroy: "`pulumi destroy`" }[k];
    return `- ${what}: median ${ratio(median(ratios[k]))}, ${verdictWord} ${ratio(bound)}: ${ok ? "**met**" : "**NOT met**"}`;
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

/** Where a destroy's time goes, from the medians of each mark, beside kubectl's delete of the same objects. */
function destroyWhere(rs: Round[]): string {
  const t = (i: 0 | 1 | 2 | 3) => s(median(rs.map((r) => r.destroyTimeline![i])));
  const deletes = rs.map((r) => r.kubectlDelete);
  return (
    `Where a \`pulumi destroy\` goes (medians): its first deletion starts at ${t(0)} (the CLI, the engine and the ` +
    `provider up to their first request), the namespaces' at ${t(1)} (the workloads, deleted first with background ` +
    `propagation, are gone), the last namespace is gone at ${t(2)}, the CLI exits at ${t(3)}. \`kubectl delete\` of ` +
    `the same objects: median ${s(median(deletes))}, from ${s(Math.min(...deletes))} to ${s(Math.max(...deletes))}. ` +
    `Both wait for Kubernetes' namespace controller, which waits ${NAMESPACE_DELETION_GRACE_S} s before its first ` +
    `pass over a deleted namespace and, if pods are still there, re-checks after half their remaining grace period ` +
    `(kubernetes v1.34.4 pkg/controller/namespace/namespace_controller.go L50, L135, L157-158; ` +
    `deletion/namespaced_resources_deleter.go L136-141): kubectl's fast rounds are the ones whose pods were gone at ` +
    `that first pass.`
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
      destroyWhere(rs),
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
    const t = (i: 0 | 1 | 2) => s(median(rs.map((r) => r.timeline![i])));
    writeSection("deploy-kwok", [
      `Three KWOK nodes shaped like the dev pool, the local stack; ${n} rounds.`,
      "",
      ...lines,
      "",
      `Where a first \`pulumi up\` goes (medians): the first resource operation starts at ${t(0)} (the CLI, the language ` +
        `host, Node.js, the SDK and the program up to its first registration), the last one is reported at ${t(1)}, ` +
        `the CLI exits at ${t(2)}. \`pulumi up\` of an empty JavaScript program: ${s(median(rs.map((r) => r.empty!)))} ` +
        `(${ratio(median(rs.map((r) => r.empty! / r.kubectl)))} the kubectl floor), what any Pulumi program pays before its first resource.`,
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
  const n = Number(process.argv[2] ?? 5);
  const realMet = await realNode(n);
  const kwokMet = await kwok(n);
  process.exitCode = realMet && kwokMet ? 0 : 1;
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
