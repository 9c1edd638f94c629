// What the sandbox's node needs of this machine, checked before anything is changed: every problem at once, each
// saying what is wrong and what to do. `machineFacts` reads the machine; `preflightProblems` is pure.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, statfsSync } from "node:fs";
import { dirname } from "node:path";
import { BRIDGES, NODE_RANGES } from "./node";

/** Kernel options the node needs (from the kernel's own config when it publishes one, /proc/config.gz). */
export const KERNEL_OPTIONS: Record<string, string> = {
  CONFIG_BRIDGE: "the node's and the pods' bridges",
  CONFIG_VETH: "each pod's network interface",
  CONFIG_OVERLAY_FS: "containerd's image layers (overlayfs)",
  CONFIG_NF_NAT: "Service addresses and hostPorts (kube-proxy, the portmap plugin)",
  CONFIG_NFT_COMPAT: "NetworkPolicy enforcement (kube-network-policies through xtables targets)",
  CONFIG_NETFILTER_XT_TARGET_NFQUEUE: "NetworkPolicy enforcement (packets queued to kube-network-policies)",
  CONFIG_NETFILTER_NETLINK_QUEUE: "NetworkPolicy enforcement (packets queued to kube-network-policies)",
};

/** The free disk the node's images, containers and logs take at most, with room to spare. */
export const MIN_FREE_BYTES = 2 * 1024 ** 3;

export interface MachineFacts {
  platform: NodeJS.Platform;
  uid: number;
  /** The kernel's config options set to y or m; undefined when it publishes none. */
  kernelOptions?: Set<string>;
  /** Kernel facilities seen without the config: filesystems, loaded or built-in modules. */
  filesystems: string[];
  modules: string[];
  memoryCgroup: boolean;
  /** Each IPv4 address and route of the machine, with the interface that carries it. */
  networks: Array<{ cidr: string; where: string }>;
  /** Free bytes where the node's state goes. */
  freeBytes: number;
  stateDir: string;
}

/** Reads what the checks need, changing nothing. */
export function machineFacts(stateDir: string): MachineFacts {
  const read = (path: string) => (existsSync(path) ? readFileSync(path, "utf8") : "");
  let kernelOptions: Set<string> | undefined;
  if (existsSync("/proc/config.gz")) {
    const config = execFileSync("zcat", ["/proc/config.gz"], { encoding: "utf8", maxBuffer: 64 << 20 });
    kernelOptions = new Set([...config.matchAll(/^(CONFIG_\w+)=[ym]$/gm)].map((m) => m[1]));
  }
  const ip = (args: string[]) => {
    try {
      return execFileSync("ip", args, { encoding: "utf8" });
    } catch {
      return "";
    }
  };
  const networks = [
    ...ip(["-o", "-4", "addr", "show"])
      .split("\n")
      .map((l) => /^\d+:\s+(\S+)\s+inet\s+(\S+)/.exec(l))
      .filter((m): m is RegExpExecArray => !!m)
      .map((m) => ({ cidr: m[2], where: `address on ${m[1]}` })),
    ...ip(["-4", "route", "show", "table", "all"])
      .split("\n")
      .map((l) => /^(?:\w+\s+)?(\d+\.\d+\.\d+\.\d+(?:\/\d+)?)\s.*?dev (\S+)/.exec(l))
      .filter((m): m is RegExpExecArray => !!m)
      .map((m) => ({ cidr: m[1].includes("/") ? m[1] : `${m[1]}/32`, where: `route via ${m[2]}` })),
  ];
  // The disk the state directory will be on: its nearest ancestor that exists (nothing is created to ask).
  let existing = stateDir;
  while (!existsSync(existing)) existing = dirname(existing);
  const fs = statfsSync(existing);
  return {
    platform: process.platform,
    uid: process.getuid?.() ?? -1,
    kernelOptions,
    filesystems: read("/proc/filesystems")
      .split("\n")
      .map((l) => l.split("\t").pop()!.trim()),
    modules: existsSync("/sys/module") ? execFileSync("ls", ["/sys/module"], { encoding: "utf8" }).split("\n") : [],
    memoryCgroup: /^memory\s+\d+\s+\d+\s+1$/m.test(read("/proc/cgroups")) || existsSync("/sys/fs/cgroup/memory.max"),
    networks,
    freeBytes: fs.bavail * fs.bsize,
    stateDir,
  };
}

const toRange = (cidr: string): [number, number] => {
  const [ip, bits = "32"] = cidr.split("/");
  const address = ip.split(".").reduce((a, o) => a * 256 + Number(o), 0);
  const size = 2 ** (32 - Number(bits));
  const start = address - (address % size);
  return [start, start + size - 1];
};
/** Whether two IPv4 CIDRs share an address. */
export const overlaps = (a: string, b: string): boolean => {
  const [a0, a1] = toRange(a);
  const [b0, b1] = toRange(b);
  return a0 <= b1 && b0 <= a1;
};

/** Every reason the node cannot start here, each with what to do; empty when it can. */
export function preflightProblems(f: MachineFacts): string[] {
  const kindHint = "or deploy onto a cluster you have with `npm start -- --context NAME` (kind, minikube, k3d)";
  if (f.platform !== "linux") {
    return [
      `this is ${f.platform}: the sandbox runs a Linux node (containerd, a kubelet, iptables); use a Linux machine, ${kindHint}`,
    ];
  }
  const problems: string[] = [];
  if (f.uid !== 0) {
    problems.push(
      `running as uid ${f.uid}: the sandbox's node creates network bridges, iptables rules and mounts, which needs root ` +
        `(run \`sudo npm start\`), ${kindHint}`,
    );
  }
  const missing = f.kernelOptions
    ? Object.keys(KERNEL_OPTIONS).filter((o) => !f.kernelOptions!.has(o))
    : [
        ...(f.filesystems.includes("overlay") ? [] : ["CONFIG_OVERLAY_FS"]),
        ...(f.modules.includes("bridge") ? [] : ["CONFIG_BRIDGE"]),
      ];
  for (const option of missing) {
    problems.push(
      `the kernel lacks ${option} (needed for ${KERNEL_OPTIONS[option]}); use a kernel with it, ${kindHint}`,
    );
  }
  if (!f.memoryCgroup) {
    problems.push(
      `the memory cgroup controller is off (pod memory limits need it): enable it at boot (cgroup_enable=memory), ${kindHint}`,
    );
  }
  for (const range of NODE_RANGES) {
    for (const n of f.networks.filter(
      (n) => overlaps(n.cidr, range) && !BRIDGES.some((b) => n.where.endsWith(` ${b}`)),
    )) {
      problems.push(
        `${range}, which the node uses, overlaps ${n.cidr} (${n.where}): the node would cut that network off; ` +
          `remove it, or run the sandbox on another machine, ${kindHint}`,
      );
    }
  }
  if (f.freeBytes < MIN_FREE_BYTES) {
    const gib = (b: number) => `${(b / 1024 ** 3).toFixed(1)} GiB`;
    problems.push(
      `${gib(f.freeBytes)} free where the node keeps its images and containers (${f.stateDir}), under the ${gib(MIN_FREE_BYTES)} it needs: ` +
        "free some, or point MEMCACHED_GKE_STATE_DIR at a disk with room",
    );
  }
  return problems;
}
