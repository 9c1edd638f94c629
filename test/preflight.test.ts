// The sandbox's refusals that this machine cannot produce for real (another OS, a kernel without a feature, no memory
// cgroup), from preflightProblems, the pure half of `npm start`'s check; the sandbox's tests produce the others.
import { describe, expect, it } from "vitest";
import { KERNEL_OPTIONS, MachineFacts, MIN_FREE_BYTES, preflightProblems } from "../sandbox/preflight";

const KIND = "or deploy onto a cluster you have with `npm start -- --context NAME` (kind, minikube, k3d)";
const ok: MachineFacts = {
  platform: "linux",
  uid: 0,
  kernelOptions: new Set(Object.keys(KERNEL_OPTIONS)),
  filesystems: ["overlay"],
  modules: ["bridge"],
  memoryCgroup: true,
  networks: [{ cidr: "192.0.2.2/24", where: "address on eth0" }],
  freeBytes: MIN_FREE_BYTES,
  stateDir: "/root/.local/state/memcached-gke/sandbox",
};

describe("preflightProblems", () => {
  it.each<[string, Partial<MachineFacts>, string[]]>([
    ["a machine that can run the node", {}, []],
    [
      "not Linux: that alone",
      { platform: "darwin", uid: 501 },
      [`this is darwin: the sandbox runs a Linux node (containerd, a kubelet, iptables); use a Linux machine, ${KIND}`],
    ],
    [
      "a kernel without NFQUEUE",
      { kernelOptions: new Set(Object.keys(KERNEL_OPTIONS).filter((o) => o !== "CONFIG_NETFILTER_XT_TARGET_NFQUEUE")) },
      [
        `the kernel lacks CONFIG_NETFILTER_XT_TARGET_NFQUEUE (needed for NetworkPolicy enforcement (packets queued to kube-network-policies)); use a kernel with it, ${KIND}`,
      ],
    ],
    [
      "no published kernel config: overlayfs and the bridge module looked up instead",
      { kernelOptions: undefined, filesystems: [], modules: [] },
      [
        `the kernel lacks CONFIG_OVERLAY_FS (needed for containerd's image layers (overlayfs)); use a kernel with it, ${KIND}`,
        `the kernel lacks CONFIG_BRIDGE (needed for the node's and the pods' bridges); use a kernel with it, ${KIND}`,
      ],
    ],
    [
      "no memory cgroup",
      { memoryCgroup: false },
      [
        `the memory cgroup controller is off (pod memory limits need it): enable it at boot (cgroup_enable=memory), ${KIND}`,
      ],
    ],
    [
      "a route into the Service range; the node's own bridge is not a problem",
      {
        networks: [
          { cidr: "10.96.0.0/12", where: "route via wg0" },
          { cidr: "10.128.0.10/24", where: "address on mgksb-node0" },
        ],
      },
      [
        `10.96.0.0/16, which the node uses, overlaps 10.96.0.0/12 (route via wg0): the node would cut that network off; remove it, or run the sandbox on another machine, ${KIND}`,
      ],
    ],
    [
      "every problem at once: not root and no disk",
      { uid: 1000, freeBytes: 0 },
      [
        `running as uid 1000: the sandbox's node creates network bridges, iptables rules and mounts, which needs root (run \`sudo npm start\`), ${KIND}`,
        "0.0 GiB free where the node keeps its images and containers (/root/.local/state/memcached-gke/sandbox), under the 2.0 GiB it needs: free some, or point MEMCACHED_GKE_STATE_DIR at a disk with room",
      ],
    ],
  ])("%s", (_, facts, expected) => {
    expect(preflightProblems({ ...ok, ...facts })).toEqual(expected);
  });
});
