// The sandbox: the stack's Kubernetes half deployed for real by `pulumi up`, onto one real node on this machine
// (or onto a cluster of the user's kubeconfig, `--context NAME`), proven to serve, and left running until
// `npm stop` takes all of it away. State lives in a per-user state directory, never in the clone.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { PROJECT_NAME } from "../lib/project";
import { committedStackConfig } from "../lib/stackFiles";
import { boundedRun, itemsPerShard, podsByNode, podsNotReady, shell, tutorialCheck } from "./checks";
import { ImageBins, qualifiedRef, standInConfig, WorkloadImage, workloadImages } from "./images";
import {
  importImages,
  nodeImages,
  nodeOf,
  nodeStatus,
  NODE_NAME,
  pullImage,
  SandboxNode,
  startNode,
  stopNode,
} from "./node";
import { machineFacts, preflightProblems } from "./preflight";
import { command, kubectl, kubectlJson, log, logFileOf, phase, waitFor } from "./process";
import { Cli, prepareProject, pulumiCli, pulumiEnv, toolPath } from "./pulumi";
import { initStack, namespacesOf, pinnedKubeconfig } from "./stack";

/** The stack the sandbox deploys: the committed `local` stack's config, pointed at the sandbox's cluster. */
export const STACK = "local";
/** The bounded run: keys set and read back, and keys never set, through port 5000. */
export const RUN = { sets: 2000, absent: 500 };
const PULL_TIMEOUT_MS = 20_000;
const UP_TIMEOUT_MS = 10 * 60_000;
const PODS_READY_TIMEOUT_MS = 5 * 60_000;

/** A refusal before anything changed: every reason, each with what to do. */
export class SandboxRefusal extends Error {
  constructor(public readonly problems: string[]) {
    super(`the sandbox cannot start here:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
}

/** Where a sandbox keeps its state: per user, per target (the built-in node, or a kubeconfig context). */
export interface SandboxPaths {
  stateDir: string;
  /** The built-in node's own directory (containerd, kubelet, control plane, their logs). */
  nodeDir: string;
  /** The file to source: PATH, KUBECONFIG, the stack's backend and passphrase, `pulumi` on the stack. */
  envFile: string;
  /** What `npm start` chose (images, the cluster), for the next start and for stop. */
  recordFile: string;
}

/** `$MEMCACHED_GKE_STATE_DIR`, or the XDG state directory of the user. */
export const stateRoot = (): string =>
  process.env.MEMCACHED_GKE_STATE_DIR ??
  join(process.env.XDG_STATE_HOME ?? join(homedir(), ".local", "state"), PROJECT_NAME);

export function sandboxPaths(context?: string, root = stateRoot()): SandboxPaths {
  const stateDir = join(root, context ? `context-${context}` : "sandbox");
  return {
    stateDir,
    nodeDir: join(stateDir, "node"),
    envFile: join(stateDir, "env.sh"),
    recordFile: join(stateDir, "sandbox.json"),
  };
}

interface SandboxRecord {
  kubeconfig: string;
  context: string;
  /** The config keys of the images whose stand-ins run instead. */
  standIns: string[];
}

export interface Target {
  /** Undefined: the built-in node. */
  context?: string;
  bins: ImageBins;
  root?: string;
}

export interface StartReport {
  paths: SandboxPaths;
  cli: Cli;
  kubeconfig: string;
  outputs: Record<string, any>;
  standIns: WorkloadImage[];
}

const stackExists = (stateDir: string) =>
  existsSync(join(stateDir, "backend", ".pulumi", "stacks", PROJECT_NAME, `${STACK}.json`));

/** The cluster of an existing kubeconfig context: its kubeconfig file and its node count. */
async function existingCluster(context: string): Promise<{ kubeconfig: string; nodes: number }> {
  const kubeconfig = resolve(process.env.KUBECONFIG?.split(":")[0] || join(homedir(), ".kube", "config"));
  const problems: string[] = [];
  if (!existsSync(kubeconfig)) problems.push(`no kubeconfig at ${kubeconfig}: set KUBECONFIG`);
  const contexts = existsSync(kubeconfig)
    ? (await command("kubectl", ["--kubeconfig", kubeconfig, "config", "get-contexts", "-o", "name"]).catch(() => ""))
        .split("\n")
        .filter(Boolean)
    : [];
  if (existsSync(kubeconfig) && !contexts.includes(context)) {
    problems.push(`${kubeconfig} has no context ${context} (it has: ${contexts.join(", ") || "none"})`);
  }
  if (problems.length) throw new SandboxRefusal(problems);
  const nodes = await kubectlJson(kubeconfig, ["--context", context, "get", "nodes", "--request-timeout=15s"]).catch(
    (e) => {
      throw new SandboxRefusal([`the cluster of context ${context} does not answer: ${(e as Error).message.trim()}`]);
    },
  );
  return { kubeconfig, nodes: nodes.items.filter((n: any) => !n.spec.unschedulable).length };
}

/** The images the stack runs on the node: its own where the node has or can pull them, else the stand-ins. */
async function provideImages(node: SandboxNode, bins: ImageBins, record?: SandboxRecord): Promise<WorkloadImage[]> {
  const images = workloadImages(bins);
  if (record) return images.filter((i) => record.standIns.includes(i.key));
  const present = await nodeImages(node);
  const standIns: WorkloadImage[] = [];
  for (const image of images) {
    if (present.includes(qualifiedRef(image.ref))) {
      log(`image ${image.ref}: the stack's own (already on the node)`);
    } else if (await pullImage(node, image.ref, PULL_TIMEOUT_MS)) {
      log(`image ${image.ref}: the stack's own (pulled)`);
    } else {
      standIns.push(image);
    }
  }
  if (standIns.length > 0) {
    log(`${standIns.length} of ${images.length} images cannot be pulled here (no registry): stand-ins instead`);
    await importImages(
      node,
      standIns.map((i) => i.standIn),
    );
  }
  return standIns;
}

/** Lines of a shell file that puts this sandbox's tools on PATH and points kubectl and pulumi at it. */
function envFileText(paths: SandboxPaths, cli: Cli, kubeconfig: string): string {
  const q = (v: string) => `'${v.replace(/'/g, "'\\''")}'`;
  const env = { ...pulumiEnv(paths.stateDir), KUBECONFIG: kubeconfig };
  return [
    `# The memcached-gke sandbox (${paths.stateDir}): source this file, \`. ${paths.envFile}\`, and \`kubectl\``,
    "# and `pulumi` act on it. Written by `npm start`, removed by `npm stop`.",
    `export PATH=${q(toolPath().join(":"))}:"$PATH"`,
    ...Object.entries(env).map(([k, v]) => `export ${k}=${q(v)}`),
    `# \`pulumi\` works on the sandbox's stack (${STACK}) wherever you are.`,
    `pulumi() { (cd ${q(cli.workDir)} && command pulumi "$@"); }`,
    "",
  ].join("\n");
}

/**
 * Whether this machine can run the sandbox's node, changing nothing: refuses with every problem at once; true when
 * the node of `paths` runs already.
 */
export function checkMachine(paths: SandboxPaths): boolean {
  const problems = preflightProblems(machineFacts(paths.stateDir));
  const status = nodeStatus();
  if (status && status.dir !== paths.nodeDir) {
    problems.push(
      `another sandbox node runs on this machine (${status.dir}); stop it first ` +
        "(`npm stop` with the MEMCACHED_GKE_STATE_DIR it was started with)",
    );
  } else if (status && status.dead.length > 0) {
    problems.push(
      `a previous \`npm start\` left a node half-running (${status.dead.join(", ")} not running): ` +
        "run `npm stop`, which cleans up after any start, then `npm start`",
    );
  }
  if (problems.length) throw new SandboxRefusal(problems);
  return status !== undefined;
}

/**
 * `npm start`: checks the machine (refusing before any change), starts the node or finds it running, provides
 * the images, deploys with `pulumi up`, waits until every pod is Ready, proves the cache serves, and writes the
 * env file. A second start finds the node running and runs `pulumi up` again.
 */
export async function startSandbox(target: Target): Promise<StartReport> {
  const paths = sandboxPaths(target.context, target.root);
  let node: SandboxNode | undefined;
  let cluster: { kubeconfig: string; context: string; nodes: number };
  const record: SandboxRecord | undefined = existsSync(paths.recordFile)
    ? JSON.parse(readFileSync(paths.recordFile, "utf8"))
    : undefined;

  if (target.context) {
    const { kubeconfig, nodes } = await phase(`checking the cluster of context ${target.context}`, () =>
      existingCluster(target.context!),
    );
    // Pulumi, the checks and the env file's kubectl all use a kubeconfig of that context alone, so no tool ever
    // falls back on the file's current context.
    mkdirSync(paths.stateDir, { recursive: true });
    const pinned = await pinnedKubeconfig(kubeconfig, target.context, join(paths.stateDir, "kubeconfig"));
    cluster = { kubeconfig: pinned, context: target.context, nodes };
  } else {
    const running = checkMachine(paths);
    node = running
      ? (log(`the node runs already (${paths.nodeDir}): deploying onto it`), nodeOf(paths.nodeDir))
      : await phase(`starting the node ${NODE_NAME}`, () => startNode(paths.nodeDir, target.bins));
    cluster = { kubeconfig: node.kubeconfig, context: node.context, nodes: 1 };
  }
  mkdirSync(paths.stateDir, { recursive: true });
  const standIns = node ? await phase("images", () => provideImages(node!, target.bins, record)) : [];
  writeFileSync(
    paths.recordFile,
    JSON.stringify({ kubeconfig: cluster.kubeconfig, context: cluster.context, standIns: standIns.map((i) => i.key) }),
  );

  const cli = stackExists(paths.stateDir)
    ? pulumiCli(prepareProject(paths.stateDir, STACK), paths.stateDir, cluster.kubeconfig)
    : await phase(`stack ${STACK}, state in ${paths.stateDir}`, () =>
        initStack(paths.stateDir, cluster, STACK, sandboxStackConfig(cluster, standIns)),
      );
  writeFileSync(paths.envFile, envFileText(paths, cli, cluster.kubeconfig));
  await phase("pulumi up", () => pulumiUp(cli));
  const outputs = JSON.parse((await cli(["stack", "output", "--json"])).stdout);
  const ns = namespacesOf(outputs);
  await phase("waiting until every pod is Ready by its own probes", () =>
    waitFor(
      "every pod of the stack Ready",
      PODS_READY_TIMEOUT_MS,
      async () => (await podsNotReady(cluster.kubeconfig, ns)).length === 0,
      {
        status: async () => `not yet: ${(await podsNotReady(cluster.kubeconfig, ns)).join("; ")}`,
        logFile: node ? logFileOf(node.dir, "kubelet") : undefined,
      },
    ),
  );
  const env = userEnv(paths, cluster.kubeconfig);
  await phase('the tutorial\'s check: `eval "$(pulumi stack output checkCommand)"`', async () =>
    (await tutorialCheck(outputs.checkCommand, env)).split("\n").forEach((l) => log(`  ${l}`)),
  );
  await phase(
    `a bounded run through port 5000: ${RUN.sets} sets and gets, ${RUN.absent} gets of absent keys`,
    async () => {
      const counts = await boundedRun(cluster.kubeconfig, ns, RUN.sets, RUN.absent);
      log(
        `  ${counts.stored} stored, ${counts.hits} hits, ${counts.misses} misses, ${counts.errors} errors in ${counts.seconds.toFixed(1)} s`,
      );
      const shards = await itemsPerShard(cluster.kubeconfig, ns);
      log(
        `  items per memcached pod: ${Object.entries(shards)
          .map(([p, n]) => `${p} ${n}`)
          .join(", ")}`,
      );
      if (counts.errors > 0 || counts.stored !== RUN.sets || counts.hits !== RUN.sets || counts.misses !== RUN.absent) {
        throw new Error(
          `the bounded run expected ${RUN.sets} stored, ${RUN.sets} hits, ${RUN.absent} misses and no error`,
        );
      }
    },
  );
  return { paths, cli, kubeconfig: cluster.kubeconfig, outputs, standIns };
}

/** The environment a user's shell has after sourcing the env file. */
function userEnv(paths: SandboxPaths, kubeconfig: string): Record<string, string> {
  return {
    ...pulumiEnv(paths.stateDir, kubeconfig),
    PATH: [...toolPath(), process.env.PATH].join(":"),
  };
}

/** The committed local stack's config on the sandbox's cluster, with the stand-ins that have names of their own. */
export function sandboxStackConfig(
  cluster: { kubeconfig: string; context: string; nodes: number },
  standIns: WorkloadImage[],
) {
  const committed = committedStackConfig(STACK);
  const config: Record<string, any> = {
    ...committed,
    [`${PROJECT_NAME}:existingCluster`]: {
      ...committed[`${PROJECT_NAME}:existingCluster`],
      kubeconfig: cluster.kubeconfig,
      context: cluster.context,
      nodeCount: cluster.nodes,
    },
  };
  for (const [section, fields] of Object.entries(standInConfig(standIns))) {
    config[`${PROJECT_NAME}:${section}`] = { ...config[`${PROJECT_NAME}:${section}`], ...fields };
  }
  return config;
}

/** The CLI's note that a plugin comes from PATH (where the sandbox puts them, as an install does): not shown. */
const AMBIENT_PLUGIN_WARNING = /warning: using pulumi-(language|resource)-\S+ from \$PATH at /;
let upRunning = false;
/** Whether `pulumi up` runs now: an interrupt then waits for it to save its state. */
export const pulumiUpRunning = (): boolean => upRunning;

/** `pulumi up`, its output shown as it comes, bounded; Ctrl-C reaches it, so the engine saves its state. */
async function pulumiUp(cli: Cli): Promise<void> {
  upRunning = true;
  // --refresh: objects changed or deleted by hand (kubectl in the env file's shell) are put back, not a failed update.
  const running = cli.start(["up", "--yes", "--skip-preview", "--refresh"], (chunk) =>
    chunk
      .split("\n")
      .filter((l) => l.trim() && !AMBIENT_PLUGIN_WARNING.test(l))
      .forEach((l) => console.log(`  | ${l}`)),
  );
  const interrupt = () => process.kill(running.pid, "SIGINT");
  process.on("SIGINT", interrupt);
  const timer = setTimeout(interrupt, UP_TIMEOUT_MS);
  try {
    const exit = await running.exited;
    if (exit.code !== 0)
      throw new Error(`pulumi up failed (${exit.signal ?? `exit ${exit.code}`}); its output is above`);
  } finally {
    clearTimeout(timer);
    process.off("SIGINT", interrupt);
    upRunning = false;
  }
}

/** What runs, and how to use it: printed at the end of `npm start`. */
export async function summary(report: StartReport): Promise<string[]> {
  const { paths, cli, kubeconfig, outputs, standIns } = report;
  const env = userEnv(paths, kubeconfig);
  const lines = ["", "What runs, by node:"];
  for (const [nodeName, podNames] of Object.entries(await podsByNode(kubeconfig, namespacesOf(outputs)))) {
    lines.push(`  ${nodeName}: ${podNames.length} pods`, ...podNames.map((p) => `    ${p}`));
  }
  lines.push("", "The stack's outputs (`pulumi stack output`):");
  lines.push(
    ...(await cli(["stack", "output"])).stdout
      .trimEnd()
      .split("\n")
      .map((l) => `  ${l}`),
  );
  lines.push("", "Metrics, through the stack's own commands (metricsCommand, mcrouterMetricsCommand):");
  for (const key of ["metricsCommand", "mcrouterMetricsCommand"]) {
    if (!outputs[key]) continue;
    const got = await shell(outputs[key], env).catch((e) => `(failed: ${(e as Error).message.split("\n")[0]})`);
    lines.push(
      ...got
        .split("\n")
        .filter((l) => /^(memcached|mcrouter)_up /.test(l) || l.startsWith("("))
        .map((l) => `  ${l}`),
    );
  }
  if (standIns.length > 0) {
    lines.push("", "Stand-ins (no registry reachable here):");
    lines.push(...standIns.map((i) => `  ${i.key}: ${i.standIn.standsInFor}`));
  }
  lines.push(
    "",
    `To use it from a shell: . ${paths.envFile}`,
    '  then: kubectl get pods -A; eval "$(pulumi stack output checkCommand)"; pulumi config set --path memcached-gke:memcached.replicas 4',
    "  and `npm start` again to apply a config change.",
    `To take it all away: npm stop${paths.stateDir.includes("context-") ? ` -- --context ${readRecord(paths).context}` : ""}`,
  );
  return lines;
}

const readRecord = (paths: SandboxPaths): SandboxRecord => JSON.parse(readFileSync(paths.recordFile, "utf8"));

export interface StopReport {
  /** What could not be removed from the machine. */
  left: string[];
  nothing: boolean;
}

/**
 * `npm stop`: destroys the stack (when its cluster answers), stops the node and undoes every change it made to
 * this machine, and removes the state directory. Works after a failed or interrupted start; twice is harmless.
 */
export async function stopSandbox(target: Omit<Target, "bins">): Promise<StopReport> {
  const paths = sandboxPaths(target.context, target.root);
  const status = target.context ? undefined : nodeStatus();
  const ours = status?.dir === paths.nodeDir;
  if (!existsSync(paths.stateDir) && !ours) return { left: [], nothing: true };
  if (status && !ours && !target.context) {
    throw new SandboxRefusal([`the sandbox node of this machine belongs to ${status.dir}, not to ${paths.stateDir}`]);
  }
  const record = existsSync(paths.recordFile) ? readRecord(paths) : undefined;
  if (record && stackExists(paths.stateDir)) {
    const cli = pulumiCli(prepareProject(paths.stateDir, STACK), paths.stateDir, record.kubeconfig);
    const answers = await kubectl(
      record.kubeconfig,
      ["--context", record.context, "get", "--raw", "/readyz"],
      undefined,
      10_000,
    ).then(
      () => true,
      () => false,
    );
    const notDestroyed = answers
      ? await phase("pulumi destroy", () => cli(["destroy", "--yes", "--skip-preview"], UP_TIMEOUT_MS)).then(
          () => "",
          (e: Error) => `pulumi destroy failed: ${e.message.split("\n")[0]}`,
        )
      : "the cluster does not answer";
    if (notDestroyed && target.context) {
      // A cluster of the user's outlives us: its objects would be left with no state to destroy them by.
      throw new Error(
        `${notDestroyed} (context ${target.context}): the stack's state stays in ${paths.stateDir}, and ` +
          `\`npm stop -- --context ${target.context}\` destroys it once that is fixed`,
      );
    }
    if (notDestroyed) log(`${notDestroyed}: the node and everything on it go anyway`);
  }
  const left =
    ours || (!target.context && nodeStatus()?.dir === paths.nodeDir)
      ? await phase("stopping the node and undoing its changes to this machine", stopNode)
      : [];
  if (left.length === 0) {
    rmSync(paths.stateDir, { recursive: true, force: true });
    // The per-user directory too, once no sandbox is left in it.
    if (readdirSync(dirname(paths.stateDir)).length === 0) rmdirSync(dirname(paths.stateDir));
  }
  return { left, nothing: false };
}
