// `npm start` and `npm stop` as a user runs them (in a state directory of the test's own): refusals that change
// nothing, a start that serves, a second start that converges, the env file in a fresh shell, a stop that leaves
// the machine as it was, interrupted starts, and a cluster of the user's kubeconfig (`--context`).
import { ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { workloadImages } from "../../sandbox/images";
import { importImages, nodeStatus, startNode, stopNode } from "../../sandbox/node";
import { controlPlanePids } from "../../sandbox/controlPlane";
import { ROOT } from "../../sandbox/pulumi";
import { sandboxPaths } from "../../sandbox/sandbox";
import { HostSnapshot, hostSnapshot } from "../harness/host";
import { sandboxBins } from "../harness/sandbox";

interface Run {
  code: number | null;
  output: string;
}

const root = mkdtempSync(join(tmpdir(), "memcached-gke-sandbox-cli-"));
const env = { ...process.env, MEMCACHED_GKE_STATE_DIR: root };
let before: HostSnapshot;

/** `npm <args>` in the repository as a user types it, bounded; its exit code and all it printed. */
function npm(args: string[], extra: Record<string, string> = {}, timeoutMs = 10 * 60_000): Promise<Run> {
  return new Promise((resolve) =>
    execFile(
      "npm",
      args,
      { cwd: ROOT, env: { ...env, ...extra }, timeout: timeoutMs, maxBuffer: 64 << 20 },
      (e, stdout, stderr) => resolve({ code: e ? ((e as { code?: number }).code ?? 1) : 0, output: stdout + stderr }),
    ),
  );
}

/** `npm start` in the background, interrupted (SIGINT, as Ctrl-C) once its output shows `when`. */
function startInterruptedAt(when: RegExp): Promise<Run> {
  return new Promise((resolve) => {
    const child: ChildProcess = spawn("npm", ["start"], { cwd: ROOT, env, detached: true });
    let output = "";
    let sent = false;
    const take = (d: Buffer) => {
      output += d;
      if (!sent && when.test(output)) {
        sent = true;
        process.kill(-child.pid!, "SIGINT"); // the terminal's Ctrl-C reaches the whole foreground group
      }
    };
    child.stdout!.on("data", take);
    child.stderr!.on("data", take);
    child.on("exit", (code) => resolve({ code, output }));
  });
}

/** The machine compared with how it was before the test: what `npm stop` must restore. */
const expectHostAsBefore = () => expect(hostSnapshot()).toEqual(before);

beforeAll(() => {
  expect(nodeStatus()).toBeUndefined();
  before = hostSnapshot();
});
afterAll(async () => {
  await npm(["stop"]); // after a failure: take down whatever a start left
  rmSync(root, { recursive: true, force: true });
}, 300_000);

describe("refusals: a clear error, and nothing changed", () => {
  it("not root: names what is needed and the existing-cluster path", async () => {
    // A read-only view of the clone (the user's files are theirs; nobody may not write them), npm's cache elsewhere.
    const view = mkdtempSync(join(tmpdir(), "memcached-gke-clone-"));
    const home = mkdtempSync(join(tmpdir(), "memcached-gke-home-"));
    machine("mount", ["--bind", ROOT, view]);
    machine("mount", ["-o", "remount,bind,ro", view]);
    machine("chown", ["nobody", home]);
    try {
      const run = await new Promise<Run>((resolve) =>
        execFile(
          "runuser",
          ["-u", "nobody", "--", "env", `HOME=${home}`, `PATH=${process.env.PATH}`, "npm", "start"],
          { cwd: view, timeout: 120_000 },
          (e, stdout, stderr) =>
            resolve({ code: e ? ((e as { code?: number }).code ?? 1) : 0, output: stdout + stderr }),
        ),
      );
      expect(run.code).toBe(2);
      expect(run.output).toMatch(
        /running as uid \d+: the sandbox's node creates network bridges, iptables rules and mounts, which needs root \(run `sudo npm start`\), or deploy onto a cluster you have with `npm start -- --context NAME` \(kind, minikube, k3d\)/,
      );
      expect(run.output).toContain("Nothing was changed.");
    } finally {
      machine("umount", [view]);
      rmSync(view, { recursive: true, force: true });
      rmSync(home, { recursive: true, force: true });
    }
    expectHostAsBefore();
  });

  it("the node's address range already on an interface of this machine", async () => {
    machine("ip", ["link", "add", "mgkt-taken0", "type", "bridge"]);
    machine("ip", ["addr", "add", "10.128.0.1/24", "dev", "mgkt-taken0"]);
    const taken = hostSnapshot();
    try {
      const run = await npm(["start"]);
      expect(run.code).toBe(2);
      expect(run.output).toContain(
        "10.128.0.0/24, which the node uses, overlaps 10.128.0.1/24 (address on mgkt-taken0)",
      );
      expect(hostSnapshot()).toEqual(taken);
    } finally {
      machine("ip", ["link", "del", "mgkt-taken0"]);
    }
    expectHostAsBefore();
  });

  it("no disk space where the node keeps its images", async () => {
    const small = mkdtempSync(join(tmpdir(), "memcached-gke-small-"));
    machine("mount", ["-t", "tmpfs", "-o", "size=64m", "tmpfs", small]);
    const withTmpfs = hostSnapshot();
    try {
      const run = await npm(["start"], { MEMCACHED_GKE_STATE_DIR: join(small, "state") });
      expect(run.code).toBe(2);
      expect(run.output).toMatch(
        /0\.1 GiB free where the node keeps its images and containers \(.*\), under the 2\.0 GiB it needs/,
      );
      expect(hostSnapshot()).toEqual(withTmpfs);
    } finally {
      machine("umount", [small]);
      rmSync(small, { recursive: true, force: true });
    }
    expectHostAsBefore();
  });
});

describe("npm start, again, and npm stop", () => {
  let outputs: Record<string, string>;

  it("npm start: every pod Ready, the tutorial's check and the bounded run pass with no error", async () => {
    const run = await npm(["start"]);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toMatch(/the tutorial's check.*\n.*STORED\n.*VALUE mykey 0 5\n.*hello\n.*END/);
    expect(run.output).toMatch(/2000 stored, 2000 hits, 500 misses, 0 errors in/);
    expect(run.output).toMatch(/memcached_up 1\n\s+mcrouter_up 1/);
    expect(run.output).toContain("NOT mcrouter");
    expect(run.output).toContain(`To use it from a shell: . ${sandboxPaths(undefined, root).envFile}`);
    outputs = JSON.parse(await shell(`pulumi stack output --json`));
  });

  /** A fresh shell with a plain PATH that sourced the printed env file. */
  const shell = (line: string, timeoutMs = 60_000) =>
    new Promise<string>((resolve, reject) =>
      execFile(
        "bash",
        ["-c", `. ${sandboxPaths(undefined, root).envFile} && cd / && ${line}`],
        { env: { HOME: process.env.HOME!, PATH: "/usr/bin:/bin" }, timeout: timeoutMs },
        (e, stdout, stderr) => (e ? reject(new Error(`${line}: ${stderr}`)) : resolve(stdout)),
      ),
    );

  it("in a new shell with a plain PATH, the env file gives kubectl and pulumi on this stack: the tutorial's check", async () => {
    expect(outputs.checkCommand).toContain("kubectl exec -n cache-clients deploy/sample-app");
    const reply = await shell('eval "$(pulumi stack output checkCommand)"');
    expect(reply.replace(/\r/g, "")).toBe("STORED\nVALUE mykey 0 5\nhello\nEND\n");
  });

  it("npm run smoke, in that shell, passes every check that applies off GKE and names the one it skips", async () => {
    const out = await shell(`cd ${ROOT} && npm run --silent smoke -- --stack local`, 300_000);
    for (const check of ["pods", "DNS from the tiers", "$NODE_NAME", "hostPort and NetworkPolicy", "shards"]) {
      expect(out).toContain(`PASS ${check}`);
    }
    expect(out).toMatch(/SKIP NodeLocal DNSCache: .*: not GKE/);
    expect(out).toMatch(/SKIP Managed Prometheus: .*: not GKE/);
    expect(out).toContain("every check passed");
    // Its scratch namespace is going or gone; nothing else of it stays.
    expect(await shell("kubectl get namespaces -o name")).not.toMatch(/smoke-.*Active/);
  });

  it("npm start again finds the node running and converges, replacing nothing", async () => {
    const run = await npm(["start"]);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain("the node runs already");
    expect(run.output).toMatch(/Resources:\n\s+\|\s+32 unchanged/);
  });

  it("a config change made in that shell, then npm start, is applied", async () => {
    await shell("pulumi config set --path memcached-gke:memcached.replicas 4");
    const run = await npm(["start"]);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toMatch(/~ 2 updated/);
    expect(run.output).toContain("memcached/memcached-3");
  });

  it("a start that finds the node half-running refuses; npm stop cleans up after it", async () => {
    const { dir } = nodeStatus()!;
    process.kill(controlPlanePids(dir)["kube-scheduler"], "SIGKILL");
    const run = await npm(["start"]);
    expect(run.code).toBe(2);
    expect(run.output).toContain(
      "a previous `npm start` left a node half-running (kube-scheduler not running): run `npm stop`",
    );
  });

  it("npm stop destroys the stack and leaves the machine as it was; twice is harmless", async () => {
    const run = await npm(["stop"]);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toMatch(/pulumi destroy: done in/);
    expectHostAsBefore();
    expect(() => readFileSync(sandboxPaths(undefined, root).envFile)).toThrow();
    const again = await npm(["stop"]);
    expect([again.code, /nothing to stop/.test(again.output)]).toEqual([0, true]);
  });
});

describe("interrupted starts", () => {
  it.each([
    ["while the node starts", /kube-apiserver on /],
    ["during pulumi up", /pulumi up \.\.\./],
  ])("Ctrl-C %s, then npm stop leaves the machine as it was", async (_when, at) => {
    const run = await startInterruptedAt(at);
    expect(run.code).not.toBe(0);
    expect(run.output).toContain("interrupted: what started is still there; `npm stop` takes it away");
    const stop = await npm(["stop"]);
    expect(stop.code, stop.output).toBe(0);
    expectHostAsBefore();
  });
});

describe("a cluster of the user's kubeconfig: npm start -- --context NAME", () => {
  const clusterRoot = join(root, "their-cluster");

  it("deploys, checks and summarises there; npm stop -- --context destroys the stack only", async () => {
    // Their cluster: a node of its own, which holds every image of the stack under the stack's names (as a
    // cluster that pulls them would).
    const node = await startNode(join(clusterRoot, "node"), sandboxBins());
    try {
      await importImages(
        node,
        workloadImages(sandboxBins()).map((i) => ({ ...i.standIn, tag: i.ref })),
      );
      const run = await npm(["start", "--", "--context", node.context], { KUBECONFIG: node.kubeconfig });
      expect(run.code, run.output).toBe(0);
      expect(run.output).toMatch(/2000 stored, 2000 hits, 500 misses, 0 errors in/);
      expect(run.output).not.toContain("Stand-ins");
      expect(run.output).toContain("To take it all away: npm stop -- --context sandbox");
      const stop = await npm(["stop", "--", "--context", node.context], { KUBECONFIG: node.kubeconfig });
      expect(stop.code, stop.output).toBe(0);
      expect(nodeStatus()).toEqual({ dir: node.dir, dead: [] });
    } finally {
      expect(await stopNode()).toEqual([]);
    }
    expectHostAsBefore();
  });
});

/** A command of the machine, synchronously; throws when it fails. */
function machine(cmd: string, args: string[]): void {
  execFileSync(cmd, args, { stdio: "ignore" });
}
