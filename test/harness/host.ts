// The state of this machine that the sandbox's node touches, to compare before and after: links, addresses,
// routes, iptables and nftables rules, mounts, the node's processes, and every writable kernel setting.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { kernelSettings } from "../../sandbox/node";

/** Programs the sandbox runs: none may outlive `npm stop`. */
const SANDBOX_PROGRAMS = [
  "containerd",
  "containerd-shim",
  "containerd-shim-runc-v2",
  "kubelet",
  "kube-proxy",
  "kube-network-policies",
  "etcd",
  "kube-apiserver",
  "kube-controller-manager",
  "kube-scheduler",
  "coredns",
  "memcached",
  "memcached_expor",
  "mcrouter-standin",
  "mcrouter_export",
  "httpd",
  "pulumi",
  "pulumi-language-",
  "pulumi-resource-",
];

const lines = (cmd: string, args: string[]) =>
  execFileSync(cmd, args, { encoding: "utf8" })
    .split("\n")
    .filter((l) => l.trim());

export interface HostSnapshot {
  links: string[];
  addresses: string[];
  routes: string[];
  iptables: string[];
  nftables: string[];
  mounts: string[];
  processes: string[];
  sysctls: Record<string, string>;
}

export function hostSnapshot(): HostSnapshot {
  // A process that exited but is not reaped yet (a zombie: PID 1 reaps it in its own time) runs no more.
  const comm = (pid: string) => {
    try {
      return readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z ")
        ? ""
        : readFileSync(`/proc/${pid}/comm`, "utf8").trim();
    } catch {
      return "";
    }
  };
  return {
    links: lines("ip", ["-o", "link", "show"]).map((l) => l.split(": ")[1].split("@")[0]),
    addresses: lines("ip", ["-o", "addr", "show"]).map((l) => l.replace(/\s+valid_lft.*$/, "")),
    routes: lines("ip", ["route", "show", "table", "all"]),
    // Rules and chains, without their packet counters.
    iptables: lines("iptables-save", [])
      .filter((l) => /^[-:*]/.test(l))
      .map((l) => l.replace(/\[\d+:\d+\]/, "")),
    nftables: lines("nft", ["list", "ruleset"]).map((l) => l.replace(/counter packets \d+ bytes \d+/, "counter")),
    mounts: readFileSync("/proc/self/mountinfo", "utf8")
      .split("\n")
      .map((l) => l.split(" ")[4])
      .filter(Boolean),
    processes: [
      ...new Set(
        readdirSync("/proc")
          .filter((p) => /^\d+$/.test(p))
          .map(comm)
          .filter((c) => SANDBOX_PROGRAMS.some((p) => c.startsWith(p))),
      ),
    ].sort(),
    sysctls: kernelSettings(),
  };
}
