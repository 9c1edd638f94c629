// The local stack's whole life on the real engine: `pulumi up` through the real CLI and Kubernetes provider
// onto a real API server with 3 KWOK nodes shaped like the dev pool (GKE's own pods reserved), a scale
// 3 -> 10 in place, an unchanged preview, the policy pack, destroy, and the same objects by kubectl.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { kubectl, kubectlJson, log } from "../../sandbox/process";
import { gkeShapedNodes } from "../harness/gkeShape";
import { Cli, ROOT } from "../../sandbox/pulumi";
import { openStack } from "../harness/automation";
import { initStack, leftovers, plannedChanges, pods, ready } from "../../sandbox/stack";
import { committedPool } from "../harness/stacks";
import { controlPlaneFor, timed } from "../harness/e2e";
import { PROJECT_NAME } from "../../lib/project";

const { cp, stateDir } = controlPlaneFor("lifecycle", () =>
  gkeShapedNodes({ ...committedPool("dev"), cluster: "memcached-local" }),
);
const quiet = {
  onOutput: (s: string) => {
    if (process.env.E2E_VERBOSE) process.stdout.write(s);
  },
};
const uid = async (args: string[]) => (await kubectlJson(cp().kubeconfig, args)).metadata.uid as string;
const mcrouterPodUids = async () =>
  (await pods(cp().kubeconfig, "mcrouter", "mcrouter"))
    .map((p) => p.metadata.uid)
    .sort()
    .join();
const mcrouterServers = async (): Promise<string[]> =>
  JSON.parse(
    (await kubectlJson(cp().kubeconfig, ["get", "configmap", "mcrouter-config", "-n", "mcrouter"])).data["config.json"],
  ).pools.memcached.servers;
const memcachedNames = (replicas: number) => Array.from({ length: replicas }, (_, i) => `memcached-${i}`);
const serverNames = (replicas: number) =>
  memcachedNames(replicas).map((n) => `${n}.memcached.memcached.svc.cluster.local.:11211`);

describe("local stack lifecycle on the real engine", () => {
  let cli: Cli;
  const figures: Record<string, number> = {};
  const before: Record<string, string> = {};

  it("pulumi up creates the stack", async () => {
    cli = await initStack(stateDir(), cp(), "local");
    [, figures.firstUp] = await timed("pulumi up (first)", () => cli(["up", "--yes", "--skip-preview"]));
  });

  it("runs 3 memcached pods with stable names, one mcrouter on each node on hostPort 5000, 9 sample app pods", async () => {
    const kc = cp().kubeconfig;
    const memcached = await pods(kc, "memcached", "memcached");
    expect(memcached.map((p) => p.metadata.name).sort()).toEqual(memcachedNames(3));
    expect(memcached.every(ready)).toBe(true);
    const mcrouter = await pods(kc, "mcrouter", "mcrouter");
    expect(cp().nodes.map((n) => mcrouter.filter((p) => p.spec.nodeName === n && ready(p)).length)).toEqual(
      cp().nodes.map(() => 1),
    );
    for (const p of mcrouter)
      expect(p.spec.containers[0].ports).toContainEqual(
        expect.objectContaining({ hostPort: 5000, containerPort: 5000 }),
      );
    const apps = await pods(kc, "cache-clients", "sample-app");
    expect(apps.filter(ready).length).toBe(9);
    for (const p of apps) {
      expect(p.spec.containers[0].env.find((e: any) => e.name === "NODE_NAME").valueFrom).toEqual({
        fieldRef: { apiVersion: "v1", fieldPath: "spec.nodeName" },
      });
    }
    expect(await mcrouterServers()).toEqual(serverNames(3));
  });

  it("orders only what must wait: objects on their namespace, workloads also on their ServiceAccount and policies", async () => {
    const resources: any[] = JSON.parse((await cli(["stack", "export"])).stdout).deployment.resources;
    const name = (urn: string) => urn.split("::").pop()!;
    const dependsOn = (resource: string) =>
      (resources.find((r) => name(r.urn) === resource)?.dependencies ?? []).map(name).sort();
    expect(dependsOn("memcached-headless")).toEqual(["memcached-tier-ns"]);
    expect(dependsOn("mcrouter-config")).toEqual(["mcrouter-tier-ns"]);
    expect(dependsOn("sample-app-pdb")).toEqual(["sample-app-tier-ns"]);
    expect(dependsOn("memcached-sts")).toEqual([
      "memcached-tier-default-deny",
      "memcached-tier-ns",
      "memcached-tier-sa",
    ]);
    expect(dependsOn("mcrouter-ds")).toEqual([
      "mcrouter-config",
      "mcrouter-tier-allow-dns",
      "mcrouter-tier-default-deny",
      "mcrouter-tier-ns",
      "mcrouter-tier-sa",
    ]);
    expect(dependsOn("sample-app-deployment")).toEqual([
      "sample-app-tier-allow-dns",
      "sample-app-tier-default-deny",
      "sample-app-tier-ns",
      "sample-app-tier-sa",
    ]);
  });

  it("plans memcached.replicas 3 -> 10 as two in-place updates", async () => {
    before.sts = await uid(["get", "statefulset", "memcached", "-n", "memcached"]);
    before.cm = await uid(["get", "configmap", "mcrouter-config", "-n", "mcrouter"]);
    before.mcrouterPods = await mcrouterPodUids();
    await cli(["config", "set", "--path", `${PROJECT_NAME}:memcached.replicas`, "10"]);
    const planned = await plannedChanges(cli);
    expect(planned).toMatchObject({ update: 2 });
    expect([planned.create, planned.delete, planned.replace]).toEqual([undefined, undefined, undefined]);
  });

  it("scales to 10 Ready memcached pods without replacing the StatefulSet or restarting mcrouter", async () => {
    await timed("pulumi up (memcached.replicas 3 -> 10)", () => cli(["up", "--yes", "--skip-preview"]));
    expect(await uid(["get", "statefulset", "memcached", "-n", "memcached"])).toBe(before.sts);
    expect(await uid(["get", "configmap", "mcrouter-config", "-n", "mcrouter"])).toBe(before.cm);
    expect(await mcrouterPodUids()).toBe(before.mcrouterPods);
    expect(await mcrouterServers()).toEqual(serverNames(10));
    const memcached = await pods(cp().kubeconfig, "memcached", "memcached");
    expect(
      memcached
        .filter(ready)
        .map((p) => p.metadata.name)
        .sort(),
    ).toEqual(memcachedNames(10).sort());
  });

  it("previews the unchanged stack as no change", async () => {
    const [unchanged, seconds] = await timed("pulumi preview (unchanged)", () => plannedChanges(cli));
    figures.preview = seconds;
    expect(Object.keys(unchanged)).toEqual(["same"]);
  });

  it("passes its own policy pack in the engine", async () => {
    const stack = await openStack(stateDir(), "local", cp().kubeconfig);
    const { stdout } = await stack.preview({ ...quiet, policyPacks: [join(ROOT, "policy")] });
    expect(stdout).toMatch(/memcached-gke-hardening/);
    expect(stdout).not.toMatch(/mandatory/);
  });

  it("pulumi destroy leaves no object and no resource", async () => {
    await timed("pulumi destroy", () => cli(["destroy", "--yes", "--skip-preview"]));
    expect(await leftovers(cp().kubeconfig)).toEqual([]);
    expect(JSON.parse((await cli(["stack", "export"])).stdout).deployment?.resources ?? []).toEqual([]);
  });

  it("the policy pack blocks a deliberately bad workload (K8 hostPort, K9 latest)", async () => {
    const bad = async () => {
      const k8s: typeof import("@pulumi/kubernetes") = require("@pulumi/kubernetes");
      const provider = new k8s.Provider("render", { renderYamlToDirectory: join(stateDir(), "bad-rendered") });
      new k8s.apps.v1.Deployment(
        "bad",
        {
          metadata: { namespace: "bad", labels: { "app.kubernetes.io/name": "memcached" } },
          spec: {
            selector: { matchLabels: { app: "bad" } },
            template: {
              metadata: { labels: { app: "bad" } },
              spec: {
                containers: [
                  { name: "memcached", image: "memcached:latest", ports: [{ containerPort: 11211, hostPort: 11211 }] },
                ],
              },
            },
          },
        },
        { provider },
      );
    };
    const stack = await openStack(stateDir(), "bad", undefined, bad);
    const output = await stack.preview({ ...quiet, policyPacks: [join(ROOT, "policy")] }).then(
      (r) => r.stdout,
      (e: Error) => e.message,
    );
    expect(output).toMatch(/K8:/);
    expect(output).toMatch(/K9:/);
    expect(output).toMatch(/mandatory/);
  });

  it("kubectl apply + rollout status of the same objects (the baseline the figures compare to)", async () => {
    const kc = cp().kubeconfig;
    const renderDir = join(stateDir(), "rendered");
    // The provider renders without any cluster (and refuses a kubeconfig next to renderYamlToDirectory).
    const stack = await openStack(stateDir(), "render");
    await stack.setConfig(`${PROJECT_NAME}:existingCluster.renderYamlToDirectory`, { value: renderDir }, true);
    await stack.up(quiet);
    const manifests = join(renderDir, "1-manifest");
    const files = readdirSync(manifests);
    [, figures.kubectl] = await timed("kubectl apply + rollout status (baseline)", async () => {
      // Namespaces first, as anyone applying a directory of manifests by hand has to.
      await kubectl(kc, [
        "apply",
        ...files.filter((f) => f.startsWith("v1-namespace-")).flatMap((f) => ["-f", join(manifests, f)]),
      ]);
      await kubectl(kc, ["apply", "-f", manifests]);
      for (const [kind, ns, name] of [
        ["statefulset", "memcached", "memcached"],
        ["daemonset", "mcrouter", "mcrouter"],
        ["deployment", "cache-clients", "sample-app"],
      ]) {
        await kubectl(kc, ["rollout", "status", `${kind}/${name}`, "-n", ns, "--timeout=120s"], undefined, 130_000);
      }
    });
    await kubectl(
      kc,
      ["delete", "-f", manifests, "--wait=true", "--timeout=120s", "--ignore-not-found"],
      undefined,
      130_000,
    );
    expect(await leftovers(kc)).toEqual([]);
    log(
      `figures: first pulumi up ${figures.firstUp.toFixed(1)} s (${(figures.firstUp / figures.kubectl).toFixed(2)} x kubectl), ` +
        `unchanged preview ${figures.preview.toFixed(1)} s (${(figures.preview / figures.kubectl).toFixed(2)} x), kubectl ${figures.kubectl.toFixed(1)} s`,
    );
  });
});
