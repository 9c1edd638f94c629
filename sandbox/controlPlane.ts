// A Kubernetes control plane on this machine: etcd, kube-apiserver, kube-controller-manager and kube-scheduler,
// built from Go modules by scripts/build-tools.sh. etcd and the controllers listen on loopback only; the API
// server on `address` (loopback, or the sandbox node's own bridge address so that pods reach it). Every process
// is recorded in the state directory, so `stopControlPlane` ends it, also after a crash.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { alive, expectExits, freePort, kubectl, log, logFileOf, start, stopPid, waitFor } from "./process";

/** How long a process of the control plane gets to exit on SIGTERM: its state goes with it anyway. */
const STOP_GRACE_MS = 2_000;

export interface ControlPlane {
  dir: string;
  kubeconfig: string;
  /** The kubeconfig's context. */
  context: string;
}

interface State extends ControlPlane {
  pids: Record<string, number>;
  /** Each process's arguments, to start it again (an outage test stops and restarts the API server). */
  args: Record<string, string[]>;
}

const STATE_FILE = "control-plane.json";
export const SERVICE_CIDR = "10.96.0.0/16";
const readState = (dir: string): State => JSON.parse(readFileSync(join(dir, STATE_FILE), "utf8"));
const saveState = (state: State) => writeFileSync(join(state.dir, STATE_FILE), JSON.stringify(state, null, 2));

const apiServerReady = (dir: string, kubeconfig: string) =>
  waitFor(
    "the API server",
    120_000,
    async () => (await kubectl(kubeconfig, ["get", "--raw", "/readyz"], undefined, 5_000)).trim() === "ok",
    { logFile: logFileOf(dir, "kube-apiserver") },
  );

/**
 * Starts the control plane in `dir`, serving at `address`, its kubeconfig's context named `context`. Waits until
 * the API serves and the default ServiceAccount exists (a namespace's pods need it).
 */
export async function startControlPlane(dir: string, address: string, context: string): Promise<ControlPlane> {
  mkdirSync(join(dir, "pki"), { recursive: true });
  const [etcdPort, etcdPeer, kcmPort, schedPort] = await Promise.all(Array.from({ length: 4 }, () => freePort()));
  const apiPort = await freePort(address);
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
- name: ${context}
  cluster:
    server: https://${address}:${apiPort}
    insecure-skip-tls-verify: true
contexts:
- name: ${context}
  context: { cluster: ${context}, user: admin }
current-context: ${context}
users:
- name: admin
  user: { token: ${token} }
`,
    { mode: 0o600 },
  );
  const state: State = { dir, kubeconfig, context, pids: {}, args: {} };
  saveState(state);

  log(`etcd on 127.0.0.1:${etcdPort}`);
  addProcess(dir, "etcd", [
    "--name=local",
    `--data-dir=${join(dir, "etcd")}`,
    `--listen-client-urls=http://127.0.0.1:${etcdPort}`,
    `--advertise-client-urls=http://127.0.0.1:${etcdPort}`,
    `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
    `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
    `--initial-cluster=local=http://127.0.0.1:${etcdPeer}`,
    "--unsafe-no-fsync",
    "--log-level=warn",
  ]);
  log(`kube-apiserver on ${address}:${apiPort}`);
  addProcess(dir, "kube-apiserver", [
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
  await apiServerReady(dir, kubeconfig);
  const common = [`--kubeconfig=${kubeconfig}`, "--bind-address=127.0.0.1", "--leader-elect=false"];
  addProcess(dir, "kube-controller-manager", [
    ...common,
    `--secure-port=${kcmPort}`,
    `--service-account-private-key-file=${join(dir, "pki/sa.key")}`,
    "--use-service-account-credentials=false",
    // The API server's self-signed serving certificate: what the kube-root-ca.crt publisher hands out.
    `--root-ca-file=${join(dir, "pki/apiserver.crt")}`,
  ]);
  addProcess(dir, "kube-scheduler", [...common, `--secure-port=${schedPort}`]);
  await waitFor(
    "the default ServiceAccount",
    60_000,
    async () => (await kubectl(kubeconfig, ["get", "serviceaccount", "default", "-o", "name"])).trim() !== "",
    { logFile: logFileOf(dir, "kube-controller-manager") },
  );
  log("control plane ready");
  return { dir, kubeconfig, context };
}

/** Starts one more process of this control plane (kwok, say), recorded with the others. */
export function addProcess(dir: string, name: string, args: string[], env?: Record<string, string>): void {
  const state = readState(dir);
  state.pids[name] = start(dir, name, args, env).pid!;
  state.args[name] = args;
  saveState(state);
}

/** The recorded processes of the control plane in `dir` ({} when it never started). */
export const controlPlanePids = (dir: string): Record<string, number> =>
  existsSync(join(dir, STATE_FILE)) ? readState(dir).pids : {};

/** Stops one process of the control plane (an outage; SIGKILL: a crash), waiting until it is gone. */
export async function stopProcess(dir: string, name: string, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  const pid = readState(dir).pids[name];
  expectExits(true);
  if (alive(pid)) process.kill(pid, signal);
  await waitFor(`${name} to exit`, 30_000, () => !alive(pid));
  expectExits(false);
}

/** Whether a process of the control plane (recorded in the state dir) runs. */
export const isRunning = (dir: string, name: string): boolean => alive(readState(dir).pids[name]);

/** Starts a stopped process again with its arguments, and for the API server waits until it is ready. */
export async function restartProcess(dir: string, name: string): Promise<void> {
  const state = readState(dir);
  state.pids[name] = start(dir, name, state.args[name]).pid!;
  saveState(state);
  if (name === "kube-apiserver") await apiServerReady(dir, state.kubeconfig);
}

/**
 * Ends every process the control plane started (recorded in the state dir), the last started first, each given a
 * few seconds to exit on SIGTERM and then killed: the API server must go before etcd, or it waits on it.
 */
export async function stopControlPlane(dir: string): Promise<void> {
  expectExits(true);
  for (const [name, pid] of Object.entries(controlPlanePids(dir)).reverse()) {
    if (!alive(pid)) continue;
    log(`stopping ${name} (${pid})`);
    await stopPid(name, pid, STOP_GRACE_MS);
  }
}
