// The sandbox's one real Kubernetes node on this machine: containerd + runc (Debian), a kubelet and kube-proxy
// built from the Kubernetes Go modules of the control plane's version, CNI plugins from Debian (bridge,
// host-local, portmap), CoreDNS as a pod, and NetworkPolicy enforced by kube-network-policies (patched:
// sandbox/kube-network-policies-xt-nfqueue.patch says why). What `npm start` runs, and the real-pods tests.
//
// Host hygiene: every address lives on bridges this creates (the node on NODE_BRIDGE, pods on CNI_BRIDGE,
// Services virtual); hostPorts answer on the node's address only; a FORWARD rule drops whatever a pod sends off
// those networks; the sysctls, paths, mounts, cgroups, iptables chains and nft table it touches are recorded
// before, and `stopNode` undoes all of it, also after a run that crashed (the marker file survives it).
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ControlPlane, controlPlanePids, SERVICE_CIDR, startControlPlane, stopControlPlane } from "./controlPlane";
import { COREDNS_IMAGE, ImageSpec, nodeImageSpecs, PAUSE_IMAGE, qualifiedRef, writeImage } from "./images";
import { alive, command, freePort, kubectl, kubectlJson, log, logFileOf, start, stopPid, waitFor } from "./process";

export const NODE_NAME = "memcached-gke-sandbox";
/** The node's own network: its address on a bridge of ours, which no route of the machine may already cover. */
export const NODE_SUBNET = "10.128.0.0/24";
export const NODE_IP = "10.128.0.10";
export const NODE_CONTEXT = "sandbox";
const NODE_BRIDGE = "mgksb-node0";
const CNI_BRIDGE = "mgksb-cni0";
export const BRIDGES = [NODE_BRIDGE, CNI_BRIDGE];
/** The pods' addresses: the node's host-local subnet within the cluster's range. */
export const CLUSTER_CIDR = "10.244.0.0/16";
const POD_SUBNET = "10.244.0.0/24";
const DNS_SERVICE_IP = "10.96.0.10";
/** Every range the node uses: none may be on an interface or route of the machine already. */
export const NODE_RANGES = [NODE_SUBNET, CLUSTER_CIDR, SERVICE_CIDR];
const IPT_TAG = "memcached-gke-sandbox";
/** iptables lines of the node: kube-proxy's and the CNI plugins' chains, and our own rule. */
const OURS = new RegExp(`(KUBE-|CNI-|${IPT_TAG})`);
/** One node per machine (bridges, fixed paths and hostPort rules are the machine's): this file says whose. */
export const MARKER = "/run/memcached-gke-sandbox.json";
/** The node's processes, in the order they start; the control plane's are recorded with it. */
const NODE_PROCESSES = ["containerd", "kubelet", "kube-proxy", "kube-network-policies"];

/**
 * Kernel settings are compared in full (every writable key under /proc/sys, less these counters), so one
 * that the kubelet, kube-proxy or a CNI plugin changes is restored even if nobody listed it. Seen changed
 * while the node runs: vm.overcommit_memory, kernel.panic, kernel.panic_on_oops (the kubelet), and
 * net.ipv4.ip_forward with every interface's forwarding and accept_redirects (the bridge plugin).
 */
const VOLATILE_SYSCTL = /^(kernel\.ns_last_pid|kernel\.random\.|fs\.quota\.|net\.netfilter\.nf_conntrack_count)/;
/** Fixed paths that containerd 1.6, libcni and the kubelet use whatever their configuration says. */
const FIXED_PATHS = ["/run/containerd", "/var/lib/cni", "/var/lib/kubelet", "/var/log/pods", "/var/log/containers"];

interface Marker {
  dir: string;
  pids: Record<string, number>;
  sysctls: Record<string, string>;
  createdPaths: string[];
  linksBefore: string[];
}

/** The node and its control plane: NODE_NAME at NODE_IP, reached through `kubeconfig`. */
export interface SandboxNode extends ControlPlane {
  /** containerd's socket, to import images. */
  socket: string;
}

/** Where scripts/build-tools.sh put the node's programs (SANDBOX_BIN, SANDBOX_OWN_BIN). */
export interface NodeBins {
  node: string;
  own: string;
}

const run = (cmd: string, args: string[], timeoutMs?: number) => command(cmd, args, undefined, timeoutMs);
const ctr = (socket: string, args: string[], timeoutMs = 120_000) =>
  run("ctr", ["--address", socket, "--namespace", "k8s.io", ...args], timeoutMs);
const quietly = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    () => undefined,
  );

const writeSysctl = (key: string, value: string) => writeFileSync(`/proc/sys/${key.replace(/\./g, "/")}`, value);

/** Every writable kernel setting (key with dots, as sysctl names it) and its value. */
export function kernelSettings(): Record<string, string> {
  const settings: Record<string, string> = {};
  const walk = (dir: string, prefix: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const key = prefix + e.name.replace(/\./g, "/");
      if (e.isDirectory()) walk(join(dir, e.name), `${key}.`);
      else if (!VOLATILE_SYSCTL.test(key) && statSync(join(dir, e.name)).mode & 0o200) {
        try {
          settings[key] = readFileSync(join(dir, e.name), "utf8").trim();
        } catch {
          /* write-only or refused */
        }
      }
    }
  };
  walk("/proc/sys", "");
  return settings;
}

/** Settings that differ from `before` (keys that vanished with an interface of ours are not compared). */
function changedSettings(before: Record<string, string>): Array<[string, string, string]> {
  const now = kernelSettings();
  return Object.entries(before)
    .filter(([k, v]) => k in now && now[k] !== v)
    .map(([k, v]) => [k, v, now[k]]);
}
const linkNames = async () =>
  (await run("ip", ["-o", "link", "show"]))
    .split("\n")
    .map((l) => l.split(": ")[1]?.split("@")[0])
    .filter(Boolean);
const saveMarker = (m: Marker) => writeFileSync(MARKER, JSON.stringify(m, null, 2));

/** The node recorded as running on this machine: its directory, and which of its processes died. */
export interface NodeStatus {
  dir: string;
  /** The node's and the control plane's processes that no longer run. */
  dead: string[];
}

/** The node this machine runs (or ran: a crashed run leaves the marker), or undefined. */
export function nodeStatus(): NodeStatus | undefined {
  if (!existsSync(MARKER)) return undefined;
  const marker = JSON.parse(readFileSync(MARKER, "utf8")) as Marker;
  const pids = { ...marker.pids, ...controlPlanePids(marker.dir) };
  const expected = [...NODE_PROCESSES, ...Object.keys(controlPlanePids(marker.dir))];
  return { dir: marker.dir, dead: expected.filter((name) => !pids[name] || !alive(pids[name])) };
}

/** The node of `dir` as the running node's clients see it. */
export const nodeOf = (dir: string): SandboxNode => ({
  dir,
  kubeconfig: join(dir, "kubeconfig"),
  context: NODE_CONTEXT,
  socket: join(dir, "containerd/containerd.sock"),
});

/** Brings the node up from nothing in `dir`; `stopNode` takes it down (call it even if this throws). */
export async function startNode(dir: string, bins: NodeBins): Promise<SandboxNode> {
  if (existsSync(MARKER)) throw new Error(`${MARKER} says a node already runs (or ran) here; stop it first`);
  mkdirSync(dir, { recursive: true });
  const marker: Marker = {
    dir,
    pids: {},
    sysctls: kernelSettings(),
    createdPaths: FIXED_PATHS.filter((p) => !existsSync(p)),
    linksBefore: await linkNames(),
  };
  saveMarker(marker);
  const track = (name: string, args: string[], env?: Record<string, string>) => {
    marker.pids[name] = start(dir, name, args, env).pid!;
    saveMarker(marker);
  };
  const node = nodeOf(dir);

  log(
    `network: ${NODE_BRIDGE} ${NODE_IP}/24 (the node), pods on ${CNI_BRIDGE} ${POD_SUBNET}; pod traffic leaving them is dropped`,
  );
  await run("ip", ["link", "add", NODE_BRIDGE, "type", "bridge"]);
  await run("ip", ["addr", "add", `${NODE_IP}/24`, "dev", NODE_BRIDGE]);
  await run("ip", ["link", "set", NODE_BRIDGE, "up"]);
  await run("iptables", [
    ...["-I", "FORWARD", "1", "-s", CLUSTER_CIDR, "!", "-d", CLUSTER_CIDR],
    ...["-m", "comment", "--comment", IPT_TAG, "-j", "DROP"],
  ]);
  writeSysctl("net.ipv4.ip_forward", "1");

  log("containerd (restrict_oom_score_adj: this VM's root lacks CAP_SYS_RESOURCE)");
  mkdirSync(join(dir, "cni/net.d"), { recursive: true });
  writeFileSync(join(dir, "containerd.toml"), containerdConfig(dir));
  writeFileSync(join(dir, "cni/net.d/10-sandbox.conflist"), JSON.stringify(cniConfig(dir), null, 2));
  track("containerd", ["--config", join(dir, "containerd.toml")]);
  await waitFor("containerd", 30_000, async () => (await ctr(node.socket, ["version"])).includes("Server"), {
    logFile: logFileOf(dir, "containerd"),
  });
  // The node's own images: the pod sandbox and the cluster DNS.
  await importImages(node, nodeImageSpecs(bins));

  const cp = await startControlPlane(dir, NODE_IP, NODE_CONTEXT); // its processes are recorded in dir

  log(`kubelet as node ${NODE_NAME}`);
  const [kubeletPort, kubeletHealthz, proxyHealthz, proxyMetrics, knpMetrics] = await Promise.all(
    Array.from({ length: 5 }, () => freePort()),
  );
  writeFileSync(join(dir, "resolv.conf"), "# pods get cluster DNS only; nothing from the machine's resolver\n");
  writeFileSync(
    join(dir, "kubelet.yaml"),
    JSON.stringify(kubeletConfig(dir, node.socket, kubeletPort, kubeletHealthz), null, 2),
  );
  track("kubelet", [
    ...["--config", join(dir, "kubelet.yaml"), `--kubeconfig=${cp.kubeconfig}`],
    ...[`--hostname-override=${NODE_NAME}`, `--node-ip=${NODE_IP}`, `--root-dir=${join(dir, "kubelet")}`, "--v=1"],
  ]);
  await waitFor(
    `node ${NODE_NAME} Ready`,
    90_000,
    async () =>
      (await kubectlJson(cp.kubeconfig, ["get", "node", NODE_NAME])).status.conditions.some(
        (c: any) => c.type === "Ready" && c.status === "True",
      ),
    { logFile: logFileOf(dir, "kubelet") },
  );

  log("kube-proxy (iptables mode) and kube-network-policies (NetworkPolicy enforcer)");
  writeFileSync(
    join(dir, "kube-proxy.yaml"),
    JSON.stringify(kubeProxyConfig(cp.kubeconfig, proxyHealthz, proxyMetrics), null, 2),
  );
  track("kube-proxy", ["--config", join(dir, "kube-proxy.yaml"), "--v=1"]);
  track(
    "kube-network-policies",
    [`--hostname-override=${NODE_NAME}`, "--nfqueue-id=98", `--metrics-bind-address=127.0.0.1:${knpMetrics}`, "--v=1"],
    { KUBECONFIG: cp.kubeconfig },
  );

  log(`CoreDNS as pods behind kube-dns ${DNS_SERVICE_IP}`);
  await kubectl(
    cp.kubeconfig,
    ["apply", "-f", "-"],
    JSON.stringify({ apiVersion: "v1", kind: "List", items: coreDnsObjects() }),
  );
  await waitFor(
    "CoreDNS Ready",
    120_000,
    async () => {
      const pods = (await kubectlJson(cp.kubeconfig, ["get", "pods", "-n", "kube-system", "-l", "k8s-app=kube-dns"]))
        .items;
      return (
        pods.length > 0 &&
        pods.every((p: any) => p.status.conditions?.some((c: any) => c.type === "Ready" && c.status === "True"))
      );
    },
    { logFile: logFileOf(dir, "kubelet") },
  );
  log("node ready");
  return node;
}

/** Writes each image as a tarball and imports it into the node's containerd, saying what each really is. */
export async function importImages(node: SandboxNode, specs: ImageSpec[]): Promise<void> {
  for (const spec of specs) {
    await ctr(node.socket, ["images", "import", writeImage(join(node.dir, "images"), spec)]);
    log(`image ${spec.tag}: STAND-IN for ${spec.standsInFor}`);
  }
}

/** The image references the node's containerd holds. */
export async function nodeImages(node: SandboxNode): Promise<string[]> {
  return (await ctr(node.socket, ["images", "ls", "-q"])).split("\n").filter(Boolean);
}

/** Pulls an image into the node (a machine that reaches its registry); false when it cannot within `timeoutMs`. */
export async function pullImage(node: SandboxNode, ref: string, timeoutMs: number): Promise<boolean> {
  return ctr(node.socket, ["images", "pull", qualifiedRef(ref)], timeoutMs).then(
    () => true,
    () => false,
  );
}

function containerdConfig(dir: string): string {
  const d = (p: string) => JSON.stringify(join(dir, p));
  return `version = 2
root = ${d("containerd/root")}
state = ${d("containerd/state")}
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]
[grpc]
  address = ${d("containerd/containerd.sock")}
[plugins."io.containerd.internal.v1.opt"]
  path = ${d("containerd/opt")}
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${PAUSE_IMAGE}"
  restrict_oom_score_adj = true
  enable_unprivileged_ports = true
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = ${d("cni/net.d")}
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        Root = ${d("runc")}
`;
}

function cniConfig(dir: string): object {
  return {
    cniVersion: "0.4.0",
    name: "sandbox",
    plugins: [
      // No masquerade: pod traffic is never NATed out (and the FORWARD rule drops it anyway).
      {
        type: "bridge",
        bridge: CNI_BRIDGE,
        isGateway: true,
        hairpinMode: true,
        ipMasq: false,
        ipam: {
          type: "host-local",
          ranges: [[{ subnet: POD_SUBNET }]],
          routes: [{ dst: "0.0.0.0/0" }],
          dataDir: join(dir, "cni/ipam"),
        },
      },
      // hostPort (mcrouter's 5000) on the node's address only, never on the machine's own addresses (a service of
      // the machine on :5000 keeps its port); SNATed so a pod can reach a hostPort on its own node (hairpin).
      { type: "portmap", capabilities: { portMappings: true }, snat: true, conditionsV4: ["-d", NODE_IP] },
    ],
  };
}

function kubeletConfig(dir: string, socket: string, port: number, healthzPort: number): object {
  return {
    apiVersion: "kubelet.config.k8s.io/v1beta1",
    kind: "KubeletConfiguration",
    failCgroupV1: false,
    cgroupDriver: "cgroupfs",
    containerRuntimeEndpoint: `unix://${socket}`,
    address: NODE_IP,
    port,
    readOnlyPort: 0,
    healthzBindAddress: "127.0.0.1",
    healthzPort,
    clusterDNS: [DNS_SERVICE_IP],
    clusterDomain: "cluster.local",
    resolvConf: join(dir, "resolv.conf"),
    podLogsDir: join(dir, "pod-logs"),
    authentication: { anonymous: { enabled: true }, webhook: { enabled: false } },
    authorization: { mode: "AlwaysAllow" },
    // This machine's disk is shared with everything else: do not evict for it.
    evictionHard: { "memory.available": "100Mi", "nodefs.available": "1%", "imagefs.available": "1%" },
    imageGCHighThresholdPercent: 100,
    maxPods: 30,
    serializeImagePulls: false,
  };
}

function kubeProxyConfig(kubeconfig: string, healthzPort: number, metricsPort: number): object {
  return {
    apiVersion: "kubeproxy.config.k8s.io/v1alpha1",
    kind: "KubeProxyConfiguration",
    clientConnection: { kubeconfig },
    hostnameOverride: NODE_NAME,
    mode: "iptables",
    clusterCIDR: CLUSTER_CIDR,
    nodePortAddresses: [`${NODE_IP}/32`],
    healthzBindAddress: `127.0.0.1:${healthzPort}`,
    metricsBindAddress: `127.0.0.1:${metricsPort}`,
    // Leave the machine's conntrack settings and route_localnet alone.
    conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: "0s", tcpCloseWaitTimeout: "0s" },
    iptables: { localhostNodePorts: false },
  };
}

/** kube-dns as GKE has it (kube-system, k8s-app=kube-dns): the stack's DNS egress policies select it by that. */
function coreDnsObjects(): object[] {
  const meta = { name: "coredns", namespace: "kube-system" };
  const labels = { "k8s-app": "kube-dns" };
  // `hosts` answers the node's name, as a GKE node's name resolves in its pods (through the VPC's DNS).
  const corefile = `.:53 {
    errors
    health {
        lameduck 2s
    }
    ready
    hosts {
        ${NODE_IP} ${NODE_NAME}
        fallthrough
    }
    kubernetes cluster.local in-addr.arpa {
        pods insecure
        fallthrough in-addr.arpa
    }
    cache 5
    loadbalance
}
`;
  return [
    { apiVersion: "v1", kind: "ServiceAccount", metadata: meta },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: "sandbox:coredns" },
      rules: [
        { apiGroups: [""], resources: ["services", "pods", "namespaces"], verbs: ["list", "watch"] },
        { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["list", "watch"] },
      ],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: "sandbox:coredns" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "sandbox:coredns" },
      subjects: [{ kind: "ServiceAccount", ...meta }],
    },
    { apiVersion: "v1", kind: "ConfigMap", metadata: meta, data: { Corefile: corefile } },
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { ...meta, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: "coredns",
            containers: [
              {
                name: "coredns",
                image: COREDNS_IMAGE,
                args: ["-conf", "/etc/coredns/Corefile"],
                ports: [
                  { containerPort: 53, protocol: "UDP", name: "dns" },
                  { containerPort: 53, protocol: "TCP", name: "dns-tcp" },
                ],
                securityContext: {
                  runAsNonRoot: true,
                  runAsUser: 65532,
                  readOnlyRootFilesystem: true,
                  allowPrivilegeEscalation: false,
                  capabilities: { drop: ["ALL"] },
                },
                readinessProbe: { httpGet: { path: "/ready", port: 8181 }, periodSeconds: 2 },
                volumeMounts: [{ name: "config", mountPath: "/etc/coredns" }],
              },
            ],
            volumes: [{ name: "config", configMap: { name: "coredns" } }],
          },
        },
      },
    },
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "kube-dns", namespace: "kube-system", labels },
      spec: {
        clusterIP: DNS_SERVICE_IP,
        selector: labels,
        ports: [
          { name: "dns", port: 53, protocol: "UDP" },
          { name: "dns-tcp", port: 53, protocol: "TCP" },
        ],
      },
    },
  ];
}

/**
 * Takes the node down and undoes every change to the host: pods deleted through the kubelet (so CNI tears
 * down their networking), then every process, container, mount, cgroup, iptables chain, nft table, link,
 * sysctl and fixed path this run made. Returns what is still left (empty when the host is as it was).
 */
export async function stopNode(): Promise<string[]> {
  if (!existsSync(MARKER)) return [];
  const marker = JSON.parse(readFileSync(MARKER, "utf8")) as Marker;
  const { dir } = marker;
  const kubeconfig = join(dir, "kubeconfig");
  if (existsSync(kubeconfig) && marker.pids.kubelet && alive(marker.pids.kubelet)) {
    log("deleting every pod through the kubelet");
    await quietly(
      kubectl(
        kubeconfig,
        ["delete", "pods", "--all", "--all-namespaces", "--grace-period=1", "--wait=true", "--timeout=60s"],
        undefined,
        90_000,
      ),
    );
  }
  for (const name of ["kube-network-policies", "kube-proxy", "kubelet"]) await stopPid(name, marker.pids[name]);
  await stopControlPlane(dir);
  const socket = join(dir, "containerd/containerd.sock");
  if (marker.pids.containerd && alive(marker.pids.containerd)) {
    for (const id of (await ctr(socket, ["tasks", "ls", "-q"], 30_000).catch(() => "")).split("\n").filter(Boolean)) {
      await quietly(ctr(socket, ["tasks", "kill", "-s", "SIGKILL", id], 30_000));
      await quietly(ctr(socket, ["tasks", "delete", "-f", id], 30_000));
    }
    await stopPid("containerd", marker.pids.containerd);
  }
  // Container processes outlive a killed shim: end whatever is still in the kubelet's cgroups, then the shims.
  for (const pid of cgroupPids()) quietlyKill(pid);
  await quietly(run("pkill", ["-KILL", "-f", `containerd-shim-runc-v2 .*${dir}`]));
  await quietly(
    run("pkill", ["-KILL", "-f", `containerd-shim-runc-v2 -namespace k8s.io -id [0-9a-f]{64} -address ${socket}`]),
  );
  await waitFor("container processes to exit", 20_000, () => cgroupPids().length === 0).catch(() => undefined);
  for (const mount of mountsUnder([dir, ...FIXED_PATHS]).reverse()) await quietly(run("umount", ["-l", mount]));
  removeKubeCgroups();
  await removeIptables();
  await quietly(run("nft", ["delete", "table", "inet", "kube-network-policies"]));
  for (const link of (await linkNames()).filter((l) => !marker.linksBefore.includes(l)))
    await quietly(run("ip", ["link", "del", link]));
  // ip_forward first: writing it resets every interface's forwarding, which the rest then restores.
  for (const [key, was] of changedSettings(marker.sysctls).sort(
    ([a], [b]) => Number(b === "net.ipv4.ip_forward") - Number(a === "net.ipv4.ip_forward"),
  )) {
    try {
      writeSysctl(key, was);
    } catch {
      /* reported as left */
    }
  }
  for (const path of marker.createdPaths) rmSync(path, { recursive: true, force: true });
  const left = await leftoversOnHost(marker);
  if (left.length === 0) rmSync(MARKER, { force: true });
  return left;
}

const quietlyKill = (pid: number) => {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    /* gone */
  }
};

const CGROUP_ROOT = "/sys/fs/cgroup";
const KUBE_CGROUPS = ["kubepods", "kubepods.slice"];

/** The kubelet's cgroup trees in every v1 hierarchy, deepest first. */
function kubeCgroupDirs(): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(join(d, e.name));
    found.push(d);
  };
  for (const h of existsSync(CGROUP_ROOT) ? readdirSync(CGROUP_ROOT) : []) {
    for (const k of KUBE_CGROUPS) {
      const d = join(CGROUP_ROOT, h, k);
      if (existsSync(d) && statSync(d).isDirectory()) walk(d);
    }
  }
  return found;
}

function cgroupPids(): number[] {
  const pids = new Set<number>();
  for (const d of kubeCgroupDirs()) {
    try {
      for (const p of readFileSync(join(d, "cgroup.procs"), "utf8").split("\n").filter(Boolean)) pids.add(Number(p));
    } catch {
      /* gone */
    }
  }
  return [...pids];
}

function removeKubeCgroups(): void {
  for (const d of kubeCgroupDirs()) {
    try {
      rmdirSync(d);
    } catch {
      /* still busy: reported as left */
    }
  }
}

function mountsUnder(prefixes: string[]): string[] {
  return readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((l) => l.split(" ")[4])
    .filter(Boolean)
    .map((p) => p.replace(/\\040/g, " "))
    .filter((p) => prefixes.some((prefix) => p === prefix || p.startsWith(`${prefix}/`)));
}

/** kube-proxy's KUBE-* and the CNI plugins' CNI-* chains, and our FORWARD rule, in every table. */
async function removeIptables(): Promise<void> {
  const dump = await run("iptables-save", []);
  let table = "";
  const rules: Array<[string, string[]]> = [];
  const chains: Array<[string, string]> = [];
  for (const line of dump.split("\n")) {
    if (line.startsWith("*")) table = line.slice(1);
    else if (line.startsWith(":") && /^:(KUBE-|CNI-)/.test(line)) chains.push([table, line.slice(1).split(" ")[0]]);
    else if (line.startsWith("-A ") && OURS.test(line) && !/^-A (KUBE-|CNI-)/.test(line)) {
      rules.push([
        table,
        line
          .slice(3)
          .match(/(?:[^\s"]+|"[^"]*")+/g)!
          .map((t) => t.replace(/^"|"$/g, "")),
      ]);
    }
  }
  for (const [t, rule] of rules) await quietly(run("iptables", ["-t", t, "-D", ...rule]));
  for (const [t, chain] of chains) await quietly(run("iptables", ["-t", t, "-F", chain]));
  for (const [t, chain] of chains) await quietly(run("iptables", ["-t", t, "-X", chain]));
}

/** What of this run is still on the host: processes, mounts, cgroups, rules, links, sysctls, paths. */
async function leftoversOnHost(marker: Marker): Promise<string[]> {
  const left: string[] = [];
  const controlPlaneFile = join(marker.dir, "control-plane.json");
  const controlPlane = existsSync(controlPlaneFile)
    ? (JSON.parse(readFileSync(controlPlaneFile, "utf8")).pids as Record<string, number>)
    : {};
  for (const [name, pid] of Object.entries({ ...marker.pids, ...controlPlane }))
    if (alive(pid)) left.push(`process ${name} (${pid})`);
  left.push(...mountsUnder([marker.dir, ...FIXED_PATHS]).map((m) => `mount ${m}`));
  left.push(...kubeCgroupDirs().map((d) => `cgroup ${d}`));
  const ipt = (await run("iptables-save", [])).split("\n").filter((l) => OURS.test(l));
  left.push(...ipt.map((l) => `iptables ${l}`));
  if (
    await run("nft", ["list", "table", "inet", "kube-network-policies"]).then(
      () => true,
      () => false,
    )
  )
    left.push("nft table inet kube-network-policies");
  left.push(...(await linkNames()).filter((l) => !marker.linksBefore.includes(l)).map((l) => `link ${l}`));
  left.push(...changedSettings(marker.sysctls).map(([key, was, now]) => `sysctl ${key} = ${now} (was ${was})`));
  left.push(...marker.createdPaths.filter((p) => existsSync(p)).map((p) => `path ${p}`));
  return left;
}
