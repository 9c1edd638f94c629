// A local Kubernetes control plane on loopback: etcd, kube-apiserver, kube-controller-manager,
// kube-scheduler and kwok (fake kubelets), all built from Go modules by scripts/build-tools.sh.
// Nothing listens beyond 127.0.0.1, and every process is recorded so `stop` can end it, also after a crash.
import { ChildProcess, execFile, spawn } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "../../test/support/freePort";
import { KwokNode, systemPlaceholders } from "./gkeShape";
import { GKE_SYSTEM_PODS } from "../../lib/capacity/gkeNodes";

export interface ControlPlane {
  dir: string;
  kubeconfig: string;
  nodes: string[];
}

interface State extends ControlPlane {
  pids: Record<string, number>;
  /** Each process's arguments, to start it again (an outage test stops and restarts the API server). */
  args: Record<string, string[]>;
}

const STATE_FILE = "control-plane.json";
const SERVICE_CIDR = "10.96.0.0/16";

export function log(message: string): void {
  console.log(`[e2e ${new Date().toISOString().slice(11, 19)}] ${message}`);
}

/** A command, asynchronously and bounded (so a test's own timeout can still fire): stdout, or a rejection with stderr. */
export function command(
  cmd: string,
  args: string[],
  input?: string,
  timeoutMs = 60_000,
  env?: Record<string, string>,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      cmd,
      args,
      { encoding: "utf8", timeout: timeoutMs, maxBuffer: 64 << 20, env: env && { ...process.env, ...env } },
      (error, stdout, stderr) =>
        error ? reject(new Error(`${cmd} ${args.join(" ")}: ${stderr || error.message}`)) : resolve(stdout),
    );
    child.stdin?.on("error", () => undefined); // a command that exits before reading its input
    child.stdin?.end(input ?? "");
  });
}

export const kubectl = (kubeconfig: string, args: string[], input?: string, timeoutMs = 60_000): Promise<string> =>
  command("kubectl", ["--kubeconfig", kubeconfig, ...args], input, timeoutMs);

export async function kubectlJson(kubeconfig: string, args: string[]): Promise<any> {
  return JSON.parse(await kubectl(kubeconfig, [...args, "-o", "json"]));
}

export async function waitFor(what: string, timeoutMs: number, probe: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    try {
      if (await probe()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, Math.min(100 * attempt, 1000)));
  }
}

/** Set once we stop the processes ourselves: their exit codes on SIGTERM are then expected. */
let stopping = false;

/** Starts a tool in its own process group, its output in `<dir>/<name>.log`. */
export function start(dir: string, name: string, args: string[], env?: Record<string, string>): ChildProcess {
  const logFd = openSync(join(dir, `${name}.log`), "a");
  const child = spawn(name, args, {
    stdio: ["ignore", logFd, logFd],
    detached: true,
    env: env && { ...process.env, ...env },
  });
  closeSync(logFd);
  child.unref();
  child.on("exit", (code) => {
    if (!stopping && code !== null && code !== 0) log(`${name} exited with ${code}; see ${join(dir, `${name}.log`)}`);
  });
  return child;
}

const systemPodCount = (nodes: number) =>
  GKE_SYSTEM_PODS.reduce((n, p) => n + (p.placement === "node" ? nodes : p.placement), 0);

/**
 * Starts the control plane with these KWOK nodes, and GKE's own pods (placeholders) on them. With
 * `address` (the real-pods e2e) it serves there instead of loopback, as the `kubernetes` Service's endpoint
 * for pods, and waits for nodes of no kind.
 */
export async function startControlPlane(
  dir: string,
  kwokNodes: KwokNode[],
  address = "127.0.0.1",
): Promise<ControlPlane> {
  mkdirSync(join(dir, "pki"), { recursive: true });
  const [etcdPort, etcdPeer, apiPort, kcmPort, schedPort, kwokPort] = await Promise.all(
    Array.from({ length: 6 }, freePort),
  );
  const token = randomBytes(24).toString("hex");
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  writeFileSync(join(dir, "pki/sa.key"), privateKey.export({ type: "pkcs1", format: "pem" }), { mode: 0o600 });
  writeFileSync(join(dir, "pki/sa.pub"), publicKey.export({ type: "spki", format: "pem" }));
  writeFileSync(join(dir, "pki/tokens.csv"), `${token},admin,admin,"system:masters"\n`, { mode: 0o600 });
  const kubeconfig = join(dir, "kubeconfig");
  writeFileSync(
    kubeconfig,
    `apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: https://${address}:${apiPort}
    insecure-skip-tls-verify: true
contexts:
- name: kwok
  context: { cluster: local, user: admin }
current-context: kwok
users:
- name: admin
  user: { token: ${token} }
`,
    { mode: 0o600 },
  );
  const nodeNames = kwokNodes.map((n) => n.name);
  const state: State = { dir, kubeconfig, nodes: nodeNames, pids: {}, args: {} };
  const save = () => writeFileSync(join(dir, STATE_FILE), JSON.stringify(state, null, 2));
  const run = (name: string, args: string[]) => {
    state.pids[name] = start(dir, name, args).pid!;
    state.args[name] = args;
    save();
  };

  log(`etcd on 127.0.0.1:${etcdPort}`);
  run("etcd", [
    "--name=e2e",
    `--data-dir=${join(dir, "etcd")}`,
    `--listen-client-urls=http://127.0.0.1:${etcdPort}`,
    `--advertise-client-urls=http://127.0.0.1:${etcdPort}`,
    `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
    `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
    `--initial-cluster=e2e=http://127.0.0.1:${etcdPeer}`,
    "--unsafe-no-fsync",
    "--log-level=warn",
  ]);
  log(`kube-apiserver on ${address}:${apiPort}`);
  run("kube-apiserver", [
    `--etcd-servers=http://127.0.0.1:${etcdPort}`,
    `--bind-address=${address}`,
    `--advertise-address=${address}`,
    `--secure-port=${apiPort}`,
    `--cert-dir=${join(dir, "pki")}`,
    `--token-auth-file=${join(dir, "pki/tokens.csv")}`,
    "--authorization-mode=RBAC",
    "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
    `--service-account-key-file=${join(dir, "pki/sa.pub")}`,
    `--service-account-signing-key-file=${join(dir, "pki/sa.key")}`,
    `--service-cluster-ip-range=${SERVICE_CIDR}`,
    // The loopback address cannot be the `kubernetes` Service's endpoint; only real pods need it. A real
    // kubelet (exec, logs) is reached at its node's address: its name resolves nowhere here.
    ...(address === "127.0.0.1"
      ? ["--endpoint-reconciler-type=none"]
      : ["--kubelet-preferred-address-types=InternalIP"]),
  ]);
  await waitFor(
    "the API server",
    120_000,
    async () => (await kubectl(kubeconfig, ["get", "--raw", "/readyz"], undefined, 5_000)).trim() === "ok",
  );
  const common = [`--kubeconfig=${kubeconfig}`, "--bind-address=127.0.0.1", "--leader-elect=false"];
  run("kube-controller-manager", [
    ...common,
    `--secure-port=${kcmPort}`,
    `--service-account-private-key-file=${join(dir, "pki/sa.key")}`,
    "--use-service-account-credentials=false",
    // The API server's self-signed serving certificate: what the kube-root-ca.crt publisher hands out.
    `--root-ca-file=${join(dir, "pki/apiserver.crt")}`,
  ]);
  run("kube-scheduler", [...common, `--secure-port=${schedPort}`]);
  if (kwokNodes.length === 0) return waitForDefaultServiceAccount(kubeconfig, dir, nodeNames);
  run("kwok", [
    `--kubeconfig=${kubeconfig}`,
    `--config=${process.env.KWOK_STAGES}`,
    "--manage-all-nodes=false",
    "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
    `--server-address=127.0.0.1:${kwokPort}`,
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
    const list = await kubectlJson(kubeconfig, [
      "get",
      "pods",
      "-n",
      "kube-system",
      "-l",
      "e2e.memcached-gke/gke-system-pod",
    ]);
    const expected = systemPodCount(kwokNodes.length);
    return list.items.length === expected && list.items.every((p: any) => p.status?.phase === "Running");
  });
  return waitForDefaultServiceAccount(kubeconfig, dir, nodeNames);
}

async function waitForDefaultServiceAccount(kubeconfig: string, dir: string, nodes: string[]): Promise<ControlPlane> {
  await waitFor(
    "the default ServiceAccount",
    60_000,
    async () => (await kubectl(kubeconfig, ["get", "serviceaccount", "default", "-o", "name"])).trim() !== "",
  );
  log("control plane ready");
  return { dir, kubeconfig, nodes };
}

/** Whether a process still runs (a zombie, exited but not yet reaped, does not). */
export const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z ");
  } catch {
    return false;
  }
};

/** Stops one process of the control plane (an outage; SIGKILL: a crash), waiting until it is gone. */
export async function stopProcess(dir: string, name: string, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  const state = JSON.parse(readFileSync(join(dir, STATE_FILE), "utf8")) as State;
  const pid = state.pids[name];
  stopping = true;
  if (alive(pid)) process.kill(pid, signal);
  await waitFor(`${name} to exit`, 30_000, () => !alive(pid));
  stopping = false;
}

/** Whether a process of the control plane (recorded in the state dir) runs. */
export const isRunning = (dir: string, name: string): boolean =>
  alive((JSON.parse(readFileSync(join(dir, STATE_FILE), "utf8")) as State).pids[name]);

/** Starts a stopped process again with its arguments, and for the API server waits until it is ready. */
export async function restartProcess(dir: string, name: string): Promise<void> {
  const file = join(dir, STATE_FILE);
  const state = JSON.parse(readFileSync(file, "utf8")) as State;
  state.pids[name] = start(dir, name, state.args[name]).pid!;
  writeFileSync(file, JSON.stringify(state, null, 2));
  if (name === "kube-apiserver") {
    await waitFor(
      "the API server",
      120_000,
      async () => (await kubectl(state.kubeconfig, ["get", "--raw", "/readyz"], undefined, 5_000)).trim() === "ok",
    );
  }
}

/** Ends every process the control plane started (recorded in the state dir), waiting for them to exit. */
export async function stopControlPlane(dir: string): Promise<void> {
  const file = join(dir, STATE_FILE);
  if (!existsSync(file)) return;
  const { pids } = JSON.parse(readFileSync(file, "utf8")) as State;
  stopping = true;
  for (const [name, pid] of Object.entries(pids).reverse()) {
    if (alive(pid)) {
      log(`stopping ${name} (${pid})`);
      process.kill(pid, "SIGTERM");
    }
  }
  await waitFor("control plane processes to exit", 20_000, () => Object.values(pids).every((p) => !alive(p))).catch(
    () => {
      for (const pid of Object.values(pids)) if (alive(pid)) process.kill(pid, "SIGKILL");
    },
  );
}
