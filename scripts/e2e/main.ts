// End to end on the real Pulumi engine (CLI built from Go modules), the real Kubernetes provider and a real
// kube-apiserver with KWOK nodes, fully offline:
//   npm run e2e              up, scale 3 -> 10, preview, kubectl comparison, destroy; stops everything
//   npm run e2e -- --keep    leaves the control plane running with the stack deployed, prints how to use it
//   npm run e2e -- --down    destroys that stack and stops that control plane
// `pulumi up`, `preview` and `destroy` of the local stack are the real CLI with the Go-built Node.js language
// host; the policy pack and deliberately broken fixtures go through the Automation API (see pulumiStack.ts).
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { kubectl, log, startControlPlane, stopControlPlane } from "./controlPlane";
import { openStack, prepareProject, PROJECT, pulumiCli, pulumiEnv, ROOT } from "./pulumiStack";

const WATCHDOG_MINUTES = 15;
const KEEP_DIR = join(process.env.XDG_STATE_HOME ?? join(process.env.HOME ?? tmpdir(), ".local", "state"), "memcached-gke-e2e");

const results = { passed: 0, failed: 0 };
function check(name: string, ok: boolean, detail = ""): void {
  if (ok) results.passed++; else results.failed++;
  console.log(`[e2e] ${ok ? "ok  " : "FAIL"} ${name}${detail ? ` (${detail})` : ""}`);
}

async function timed<T>(what: string, action: () => Promise<T>): Promise<[T, number]> {
  const t0 = Date.now();
  const result = await action();
  const seconds = (Date.now() - t0) / 1000;
  log(`${what}: ${seconds.toFixed(1)} s`);
  return [result, seconds];
}

type Cli = ReturnType<typeof pulumiCli>;

/** The local stack of a project directory, through the real CLI, pointed at the control plane. */
async function initLocalStack(stateDir: string, kubeconfig: string): Promise<Cli> {
  const cli = pulumiCli(prepareProject(stateDir, "local"), stateDir, kubeconfig);
  await cli(["stack", "init", "local"]);
  await cli(["config", "set", "--path", `${PROJECT}:existingCluster.kubeconfig`, kubeconfig]);
  await cli(["config", "set", "--path", `${PROJECT}:existingCluster.context`, "kwok"]);
  return cli;
}

/** `pulumi preview --json`: the operations it plans, counted. */
async function plannedChanges(cli: Cli): Promise<Record<string, number>> {
  const { stdout } = await cli(["preview", "--json"]);
  return JSON.parse(stdout).changeSummary ?? {};
}

const quiet = { onOutput: (s: string) => { if (process.env.E2E_VERBOSE) process.stdout.write(s); } };
const json = (kubeconfig: string, args: string[]) => JSON.parse(kubectl(kubeconfig, [...args, "-o", "json"]));
const ready = (pod: any) => pod.status?.conditions?.some((c: any) => c.type === "Ready" && c.status === "True");

function mcrouterServers(kubeconfig: string): string[] {
  const cm = json(kubeconfig, ["get", "configmap", "mcrouter-config", "-n", "mcrouter"]);
  return JSON.parse(cm.data["config.json"]).pools.memcached.servers;
}

function checkDeployed(kubeconfig: string, nodes: string[], replicas: number): void {
  const memcached = json(kubeconfig, ["get", "pods", "-n", "memcached", "-l", "app.kubernetes.io/name=memcached"]).items;
  const names = memcached.map((p: any) => p.metadata.name).sort((a: string, b: string) => Number(a.split("-")[1]) - Number(b.split("-")[1]));
  check(`${replicas} memcached pods Ready with stable names`, memcached.length === replicas && memcached.every(ready)
    && names.join() === Array.from({ length: replicas }, (_, i) => `memcached-${i}`).join(), names.join(" "));
  const mcrouter = json(kubeconfig, ["get", "pods", "-n", "mcrouter", "-l", "app.kubernetes.io/name=mcrouter"]).items;
  const perNode = nodes.map((n) => mcrouter.filter((p: any) => p.spec.nodeName === n).length);
  check("one mcrouter pod on each of the 3 nodes", perNode.every((c) => c === 1) && mcrouter.every(ready), `per node: ${perNode.join(",")}`);
  check("mcrouter pods expose hostPort 5000", mcrouter.every((p: any) => p.spec.containers[0].ports.some((port: any) => port.hostPort === 5000 && port.containerPort === 5000)));
  const apps = json(kubeconfig, ["get", "pods", "-n", "cache-clients", "-l", "app.kubernetes.io/name=sample-app"]).items;
  check("9 sample app pods Ready", apps.length === 9 && apps.every(ready), `${apps.filter(ready).length}/${apps.length}`);
  check("sample app NODE_NAME comes from spec.nodeName", apps.length > 0 && apps.every((p: any) =>
    p.spec.containers[0].env.find((e: any) => e.name === "NODE_NAME")?.valueFrom?.fieldRef?.fieldPath === "spec.nodeName"));
  const servers = mcrouterServers(kubeconfig);
  check(`mcrouter ConfigMap lists the ${replicas} memcached DNS names`, servers.join() ===
    Array.from({ length: replicas }, (_, i) => `memcached-${i}.memcached.memcached.svc.cluster.local:11211`).join(), `${servers.length} servers`);
}

const uid = (o: any) => o.metadata.uid as string;
const mcrouterPodUids = (kubeconfig: string) =>
  json(kubeconfig, ["get", "pods", "-n", "mcrouter", "-l", "app.kubernetes.io/name=mcrouter"]).items.map(uid).sort().join();

/** kubectl apply + rollout status of the same objects, rendered to YAML by the provider, in fresh namespaces. */
async function kubectlBaseline(stateDir: string, kubeconfig: string): Promise<number> {
  const renderDir = join(stateDir, "rendered");
  // The provider renders without any cluster (and refuses a kubeconfig next to renderYamlToDirectory).
  const stack = await openStack(stateDir, "render");
  await stack.setConfig(`${PROJECT}:existingCluster.renderYamlToDirectory`, { value: renderDir }, true);
  for (const [key, ns] of [["memcached", "kc-memcached"], ["mcrouter", "kc-mcrouter"], ["sampleApp", "kc-cache-clients"]]) {
    await stack.setConfig(`${PROJECT}:${key}.namespace`, { value: ns }, true);
  }
  await stack.up(quiet);
  const manifests = join(renderDir, "1-manifest");
  log(`rendered ${readdirSync(manifests).length} manifests to ${manifests}`);
  const [, seconds] = await timed("kubectl apply + rollout status (baseline)", async () => {
    // Namespaces first, as anyone applying a directory of manifests by hand has to.
    kubectl(kubeconfig, ["apply", ...readdirSync(manifests).filter((f) => f.startsWith("v1-namespace-")).flatMap((f) => ["-f", join(manifests, f)])]);
    kubectl(kubeconfig, ["apply", "-f", manifests]);
    for (const [kind, ns, name] of [["statefulset", "kc-memcached", "memcached"], ["daemonset", "kc-mcrouter", "mcrouter"], ["deployment", "kc-cache-clients", "sample-app"]]) {
      kubectl(kubeconfig, ["rollout", "status", `${kind}/${name}`, "-n", ns, "--timeout=300s"]);
    }
  });
  kubectl(kubeconfig, ["delete", "namespace", "kc-memcached", "kc-mcrouter", "kc-cache-clients", "--wait=true", "--timeout=300s"]);
  await stack.workspace.removeStack("render", { force: true });
  return seconds;
}

/**
 * The policy pack must also block: a deliberately bad workload (memcached on a hostPort, a `latest` image),
 * rendered without a cluster, fails `pulumi preview --policy-pack policy` with those rules' messages.
 */
async function policyBlocksBadResources(stateDir: string): Promise<void> {
  const bad = async () => {
    const k8s: typeof import("@pulumi/kubernetes") = require("@pulumi/kubernetes");
    const provider = new k8s.Provider("render", { renderYamlToDirectory: join(stateDir, "bad-rendered") });
    new k8s.apps.v1.Deployment("bad", {
      metadata: { namespace: "bad", labels: { "app.kubernetes.io/name": "memcached" } },
      spec: {
        selector: { matchLabels: { app: "bad" } },
        template: {
          metadata: { labels: { app: "bad" } },
          spec: { containers: [{ name: "memcached", image: "memcached:latest", ports: [{ containerPort: 11211, hostPort: 11211 }] }] },
        },
      },
    }, { provider });
  };
  const stack = await openStack(stateDir, "bad", undefined, bad);
  const output = await stack.preview({ ...quiet, policyPacks: [join(ROOT, "policy")] }).then(
    (r) => r.stdout, (e: Error) => e.message);
  const reported = ["K8:", "K9:"].filter((rule) => output.includes(rule));
  check("the policy pack blocks a bad workload in the engine (K8 hostPort, K9 latest)", reported.length === 2 && /mandatory/.test(output),
    reported.length ? `reported ${reported.join(" ")}` : output.slice(0, 300));
  await stack.workspace.removeStack("bad", { force: true });
}

const NAMESPACED_KINDS = "statefulsets,daemonsets,deployments,replicasets,pods,services,configmaps,serviceaccounts,poddisruptionbudgets,networkpolicies";

async function fullRun(stateDir: string): Promise<void> {
  const cp = await startControlPlane(stateDir);
  const cli = await initLocalStack(stateDir, cp.kubeconfig);

  const [, firstUp] = await timed("pulumi up (first)", () => cli(["up", "--yes", "--skip-preview"]));
  checkDeployed(cp.kubeconfig, cp.nodes, 3);
  const stsUid = uid(json(cp.kubeconfig, ["get", "statefulset", "memcached", "-n", "memcached"]));
  const cmUid = uid(json(cp.kubeconfig, ["get", "configmap", "mcrouter-config", "-n", "mcrouter"]));
  const mcrouterPods = mcrouterPodUids(cp.kubeconfig);

  await cli(["config", "set", "--path", `${PROJECT}:memcached.replicas`, "10"]);
  const planned = await plannedChanges(cli);
  check("scaling plans no replacement, creation or deletion", !planned.replace && !planned.create && !planned.delete
    && planned.update === 2, JSON.stringify(planned));
  await timed("pulumi up (memcached.replicas 3 -> 10)", () => cli(["up", "--yes", "--skip-preview"]));
  check("StatefulSet kept its UID (updated in place)", uid(json(cp.kubeconfig, ["get", "statefulset", "memcached", "-n", "memcached"])) === stsUid);
  check("mcrouter ConfigMap kept its UID (updated in place)", uid(json(cp.kubeconfig, ["get", "configmap", "mcrouter-config", "-n", "mcrouter"])) === cmUid);
  check("mcrouter pods kept their UIDs (not restarted)", mcrouterPodUids(cp.kubeconfig) === mcrouterPods);
  const servers = mcrouterServers(cp.kubeconfig);
  check("mcrouter ConfigMap lists 10 servers", servers.length === 10, servers.at(-1));
  const memcached = json(cp.kubeconfig, ["get", "pods", "-n", "memcached", "-l", "app.kubernetes.io/name=memcached"]).items;
  check("10 memcached pods Ready", memcached.length === 10 && memcached.every(ready), `${memcached.filter(ready).length}/${memcached.length}`);

  const unchanged = await plannedChanges(cli);
  const pending = Object.entries(unchanged).filter(([op, n]) => op !== "same" && n > 0);
  check("preview of the unchanged stack reports no changes", pending.length === 0, JSON.stringify(unchanged));
  // `pulumi preview --policy-pack policy` on the same stack: the hardening rules in the engine.
  const policyPreview = await (await openStack(stateDir, "local", cp.kubeconfig)).preview({ ...quiet, policyPacks: [join(ROOT, "policy")] });
  const policyRan = /memcached-gke-hardening/.test(policyPreview.stdout);
  check("preview with the policy pack passes", policyRan && !/mandatory/.test(policyPreview.stdout),
    policyRan ? "memcached-gke-hardening passed" : "the policy pack did not run");

  const [, destroySeconds] = await timed("pulumi destroy", () => cli(["destroy", "--yes", "--skip-preview"]));
  const leftovers = ["memcached", "mcrouter", "cache-clients"].flatMap((ns) =>
    kubectl(cp.kubeconfig, ["get", NAMESPACED_KINDS, "-n", ns, "-o", "name", "--ignore-not-found"]).split("\n").filter((l) => l && !l.endsWith("/kube-root-ca.crt") && !l.endsWith("/default")));
  const namespaces = json(cp.kubeconfig, ["get", "namespaces"]).items.map((n: any) => n.metadata.name)
    .filter((n: string) => ["memcached", "mcrouter", "cache-clients"].includes(n));
  check("destroy leaves no object of the stack in the API server", leftovers.length === 0 && namespaces.length === 0,
    [...leftovers, ...namespaces.map((n: string) => `namespace/${n}`)].join(" ") || "none left");
  const exported = JSON.parse((await cli(["stack", "export"])).stdout);
  const remaining = exported.deployment?.resources ?? [];
  check("the stack has no resources after destroy", remaining.length === 0, `${remaining.length} resources`);

  // After the destroy: the copy needs the nodes' hostPort 5000, which the stack's mcrouters held.
  const baseline = await kubectlBaseline(stateDir, cp.kubeconfig);
  await policyBlocksBadResources(stateDir);
  const ratio = firstUp / baseline;
  console.log(`[e2e] wall times: first pulumi up ${firstUp.toFixed(1)} s, kubectl apply + rollout status ${baseline.toFixed(1)} s ` +
    `(ratio ${ratio.toFixed(2)}, target <= 1.2), pulumi destroy ${destroySeconds.toFixed(1)} s`);
  // A performance target: printed, not asserted (see README, "e2e figures").
  console.log(`[e2e] target "first pulumi up within 1.2x of kubectl": ${ratio <= 1.2 ? "met" : "NOT met"} (${ratio.toFixed(2)}x)`);
}

async function keep(): Promise<void> {
  if (existsSync(join(KEEP_DIR, "control-plane.json"))) throw new Error(`already running in ${KEEP_DIR}; \`npm run e2e -- --down\` first`);
  mkdirSync(KEEP_DIR, { recursive: true });
  const cp = await startControlPlane(KEEP_DIR);
  const cli = await initLocalStack(KEEP_DIR, cp.kubeconfig);
  await timed("pulumi up", () => cli(["up", "--yes", "--skip-preview"]));
  const env = { ...pulumiEnv(KEEP_DIR, cp.kubeconfig), PATH: `${join(process.env.E2E_TOOLS_BIN!, "nodejs-host")}:${process.env.E2E_TOOLS_BIN}:$PATH` };
  writeFileSync(join(KEEP_DIR, "env.sh"), Object.entries(env).map(([k, v]) => `export ${k}=${k === "PATH" ? v : JSON.stringify(v)}`).join("\n") + "\n");
  console.log(`
The control plane keeps running with the stack deployed (3 KWOK nodes; no containers really run).
  source ${join(KEEP_DIR, "env.sh")} && cd ${prepareProject(KEEP_DIR, "local")}
  kubectl get nodes; kubectl get pods -A -o wide
  pulumi stack output; pulumi config set --path memcached-gke:memcached.replicas 10; pulumi up
Tear it all down with: npm run e2e -- --down`);
}

async function down(): Promise<void> {
  if (existsSync(join(KEEP_DIR, "control-plane.json"))) {
    const cli = pulumiCli(prepareProject(KEEP_DIR, "local"), KEEP_DIR, join(KEEP_DIR, "kubeconfig"));
    await timed("pulumi destroy", () => cli(["destroy", "--yes", "--skip-preview"]));
  }
  await stopControlPlane(KEEP_DIR);
  rmSync(KEEP_DIR, { recursive: true, force: true });
  log("stopped");
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const report = args.includes("--report") ? args[args.indexOf("--report") + 1] : undefined;
  if (args.includes("--keep")) return keep();
  if (args.includes("--down")) return down();
  const stateDir = mkdtempSync(join(tmpdir(), "memcached-gke-e2e-"));
  const stop = () => stopControlPlane(stateDir).finally(() => rmSync(stateDir, { recursive: true, force: true }));
  process.once("SIGINT", () => void stop().then(() => process.exit(130)));
  process.once("SIGTERM", () => void stop().then(() => process.exit(143)));
  // A bounded run: whatever hangs (a pod that never becomes Ready makes the provider wait 10 minutes per
  // resource), the harness reports it, cleans up and exits.
  const watchdog = setTimeout(() => {
    check("e2e run completed", false, `still running after ${WATCHDOG_MINUTES} minutes; logs in ${stateDir}`);
    void stopControlPlane(stateDir).finally(() => {
      if (report) writeFileSync(report, `${results.passed} ${results.failed}\n`);
      console.log(`[e2e] ${results.passed} passed, ${results.failed} failed`);
      process.exit(1);
    });
  }, WATCHDOG_MINUTES * 60_000);
  try {
    await fullRun(stateDir);
  } catch (e) {
    check("e2e run completed", false, (e as Error).message);
    for (const f of readdirSync(stateDir).filter((f) => f.endsWith(".log"))) log(`log kept: ${join(stateDir, f)}`);
  } finally {
    await stopControlPlane(stateDir);
    if (results.failed === 0) rmSync(stateDir, { recursive: true, force: true });
    if (report) writeFileSync(report, `${results.passed} ${results.failed}\n`);
    console.log(`[e2e] ${results.passed} passed, ${results.failed} failed`);
    process.exitCode = results.failed === 0 ? 0 : 1;
    clearTimeout(watchdog);
  }
}

void main();
