// Real pods: the sandbox `npm start` runs (sandbox/sandbox.ts), in a state directory of its own: the local stack
// deployed by the real `pulumi up` onto one real node (containerd + runc, a kubelet, kube-proxy, CoreDNS,
// NetworkPolicy enforced), so its probes, security contexts, DNS names, hostPort and NetworkPolicies run for real.
// Images are stand-ins built from Debian's binaries (the log says which); mcrouter's is a memcached-protocol
// forwarder that is NOT mcrouter.
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { DEFAULTS } from "../../lib/config/schema";
import { MCROUTER_METRICS_PORT, METRICS_PORT } from "../../lib/ports";
import { CACHE_CLIENT_LABEL } from "../../lib/tiers/labels";
import { MEMCACHED_READINESS_COMMAND } from "../../lib/tiers/memcachedArgs";
import { DATA_PATH_CHECK_SCRIPT } from "../../lib/tiers/dataPathCheck";
import { NODE_IP, NODE_NAME, nodeStatus, stopNode } from "../../sandbox/node";
import { kubectl, kubectlJson, log, waitFor } from "../../sandbox/process";
import { RUN, StartReport, startSandbox, stopSandbox } from "../../sandbox/sandbox";
import { leftovers, pods, ready } from "../../sandbox/stack";
import { timed } from "../harness/e2e";
import { sandboxBins } from "../harness/sandbox";

const root = mkdtempSync(join(tmpdir(), "memcached-gke-sandbox-pods-"));
let report: StartReport;
let failed = false;

afterEach((ctx) => {
  if (ctx.task.result?.state === "fail") failed = true;
});
afterAll(async () => {
  // A test that failed half-way leaves the node: take it down in any case, and keep its logs then.
  const left = nodeStatus() ? await stopNode() : [];
  if (left.length) log(`LEFT ON THE HOST:\n${left.join("\n")}`);
  if (failed || left.length) log(`logs kept in ${root}`);
  else rmSync(root, { recursive: true, force: true });
}, 180_000);

const kc = () => report.kubeconfig;
const exec = (namespace: string, pod: string, command: string[], timeoutMs = 30_000) =>
  kubectl(kc(), ["exec", "-n", namespace, pod, "--", ...command], undefined, timeoutMs);
const memcachedPods = async () =>
  (await pods(kc(), "memcached", "memcached")).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
const appPod = async () => (await pods(kc(), "cache-clients", "sample-app")).find(ready).metadata.name as string;
/** memcached's `version` over TCP from inside a pod: the reply, or "" when the connection is refused or dropped. */
const askVersion = (namespace: string, pod: string, host: string, port: number) =>
  exec(namespace, pod, ["sh", "-c", `printf 'version\\r\\nquit\\r\\n' | timeout 4 nc -w 3 ${host} ${port}; true`]).then(
    (s) => s.trim(),
  );

/** A busybox pod in `namespace` with `labels` (no NetworkPolicy of its own in `default`). */
async function probePod(name: string, namespace: string, labels: Record<string, string>): Promise<string> {
  const pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace, labels },
    spec: {
      terminationGracePeriodSeconds: 0,
      automountServiceAccountToken: false,
      containers: [
        {
          name: "probe",
          image: DEFAULTS.sampleApp.image,
          command: ["sleep", "3600"],
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 65534,
            readOnlyRootFilesystem: true,
            allowPrivilegeEscalation: false,
            capabilities: { drop: ["ALL"] },
            seccompProfile: { type: "RuntimeDefault" },
          },
        },
      ],
    },
  };
  await kubectl(kc(), ["apply", "-f", "-"], JSON.stringify(pod));
  await waitFor(`pod ${namespace}/${name} Ready`, 60_000, async () =>
    ready(await kubectlJson(kc(), ["get", "pod", "-n", namespace, name])),
  );
  return name;
}

describe("the local stack on a real node", () => {
  it("npm start's deploy: every pod Ready by its own probes, the tutorial's check and the bounded run pass", async () => {
    [report] = await timed("the sandbox's start (node, images, pulumi up, checks)", () =>
      startSandbox({ bins: sandboxBins(), root }),
    );
    expect(report.standIns.map((i) => i.key)).toEqual([
      "memcached.image",
      "sampleApp.image",
      "metrics.memcachedExporterImage",
      "mcrouter.image",
      "metrics.mcrouterExporterImage",
    ]);
    expect(RUN).toEqual({ sets: 2000, absent: 500 });
    const memcached = await memcachedPods();
    expect(memcached.map((p) => [p.metadata.name, ready(p)])).toEqual([
      ["memcached-0", true],
      ["memcached-1", true],
      ["memcached-2", true],
    ]);
    expect((await pods(kc(), "mcrouter", "mcrouter")).map((p) => [p.spec.nodeName, ready(p)])).toEqual([
      [NODE_NAME, true],
    ]);
    expect((await pods(kc(), "cache-clients", "sample-app")).every(ready)).toBe(true);
  });

  it("memcached and its exporter run as uid 11211 on a read-only root; memcached is Ready by its protocol probe", async () => {
    for (const pod of await memcachedPods()) {
      const name = pod.metadata.name;
      expect(pod.spec.containers[0].readinessProbe.exec.command).toEqual(MEMCACHED_READINESS_COMMAND);
      const status = await exec("memcached", name, ["cat", "/proc/1/status"]);
      expect(status).toMatch(/^Uid:\s+11211\s+11211\s+11211\s+11211$/m);
      expect(status).toMatch(/^Gid:\s+11211\s+11211\s+11211\s+11211$/m);
      expect(status).toMatch(/^CapEff:\s+0000000000000000$/m);
      expect(status).toMatch(/^Seccomp:\s+2$/m);
      await expect(exec("memcached", name, ["sh", "-c", "echo x > /probe-write"])).rejects.toThrow(
        /Read-only file system/,
      );
      await exec("memcached", name, MEMCACHED_READINESS_COMMAND);
      expect(pod.status.containerStatuses.map((c: any) => [c.name, c.ready, c.restartCount])).toEqual([
        ["exporter", true, 0],
        ["memcached", true, 0],
      ]);
    }
    // The exporter's image has no shell to exec: read its processes from the node (this machine) instead.
    const exporters = readdirSync("/proc")
      .filter((p) => /^\d+$/.test(p))
      .filter((p) => {
        try {
          return readFileSync(`/proc/${p}/cmdline`, "utf8").startsWith("/bin/memcached_exporter\0");
        } catch {
          return false;
        }
      })
      .map((p) => readFileSync(`/proc/${p}/status`, "utf8"));
    expect(exporters.length).toBe(3);
    for (const status of exporters) {
      expect(status).toMatch(/^Uid:\s+11211\s+11211\s+11211\s+11211$/m);
      expect(status).toMatch(/^CapEff:\s+0000000000000000$/m);
    }
  });

  it("the metrics commands the stack exports (kubectl port-forward + curl) show each tier's exporter answering", async () => {
    const outputs = report.outputs;
    const run = (command: string) =>
      new Promise<string>((resolve, reject) =>
        execFile(
          "bash",
          ["-c", command],
          { env: { ...process.env, KUBECONFIG: kc() }, timeout: 30_000 },
          (error, stdout, stderr) =>
            error ? reject(new Error(`${command}: ${error.message}\n${stderr}`)) : resolve(stdout),
        ),
      );
    expect(await run(outputs.metricsCommand)).toMatch(/^memcached_up 1$/m);
    // From the exporter stand-in: the real exporter's series names, answered through the port-forward.
    expect(await run(outputs.mcrouterMetricsCommand)).toMatch(/^mcrouter_up 1$/m);
  });

  it("each memcached pod's name resolves through cluster DNS to that pod", async () => {
    const app = await appPod();
    for (const pod of await memcachedPods()) {
      const answer = await exec("cache-clients", app, [
        "nslookup",
        `${pod.metadata.name}.memcached.memcached.svc.cluster.local`,
      ]);
      expect(answer.split("Name:")[1]).toContain(`Address: ${pod.status.podIP}`);
    }
  });

  it("the sample app's startup probe stores and reads a key through $NODE_NAME:5000, and gates readiness", async () => {
    const app = await appPod();
    const deployment = await kubectlJson(kc(), ["get", "deployment", "-n", "cache-clients", "sample-app"]);
    const container = deployment.spec.template.spec.containers[0];
    expect(container.startupProbe.exec.command).toEqual(["sh", "-c", DATA_PATH_CHECK_SCRIPT]);
    await exec("cache-clients", app, ["sh", "-c", DATA_PATH_CHECK_SCRIPT]);
    // The app's pod spec with nothing behind its port (in `default`, outside the ReplicaSet and the app's
    // policies, on a node port where nothing listens): started stays false, so the pod never turns Ready.
    const { serviceAccountName, serviceAccount, ...gated } = deployment.spec.template.spec;
    gated.containers[0].env = gated.containers[0].env.map((e: any) =>
      e.name === "MCROUTER_PORT" ? { name: e.name, value: "5999" } : e,
    );
    await kubectl(
      kc(),
      ["apply", "-f", "-"],
      JSON.stringify({ apiVersion: "v1", kind: "Pod", metadata: { name: "gated", namespace: "default" }, spec: gated }),
    );
    // The kubelet keeps the start of the probe's output: busybox nc's complaint about the node's port.
    await waitFor("the gated pod's startup probe to fail", 60_000, async () =>
      (
        await kubectlJson(kc(), ["get", "events", "-n", "default", "--field-selector", "involvedObject.name=gated"])
      ).items.some((e: any) =>
        e.message.startsWith(`Startup probe failed: nc: can't connect to remote host (${NODE_IP}): Connection refused`),
      ),
    );
    const gatedPod = await kubectlJson(kc(), ["get", "pod", "-n", "default", "gated"]);
    expect([serviceAccountName, serviceAccount, gatedPod.status.containerStatuses[0].started, ready(gatedPod)]).toEqual(
      ["sample-app", "sample-app", false, false],
    );
    await kubectl(kc(), ["delete", "pod", "-n", "default", "gated", "--grace-period=0"]);
  });

  it("NetworkPolicies: mcrouter pods reach memcached, unlabelled pods do not; cache clients reach 5000, others do not", async () => {
    const [memcached0] = await memcachedPods();
    const target = memcached0.status.podIP;
    const standin = (await pods(kc(), "mcrouter", "mcrouter"))[0].metadata.name;
    const viaBash = (host: string, port: number) =>
      exec("mcrouter", standin, [
        "bash",
        "-c",
        `exec 3<>/dev/tcp/${host}/${port} && printf 'version\\r\\nquit\\r\\n' >&3 && timeout 3 cat <&3; true`,
      ]).then((s) => s.trim());
    expect(await viaBash(target, 11211)).toMatch(/^VERSION /);
    // Probe pods in `default`, which has no NetworkPolicy: what stops them is the target's ingress policy.
    const stranger = await probePod("stranger", "default", {});
    const client = await probePod("client", "default", CACHE_CLIENT_LABEL);
    // Controls: the stranger's own networking works (cluster DNS answers it); memcached answers mcrouter.
    expect(await exec("default", stranger, ["nslookup", "kubernetes.default.svc.cluster.local"])).toContain(
      "Address: 10.96.0.1",
    );
    expect(await askVersion("default", stranger, target, 11211)).toBe("");
    expect(await askVersion("default", client, target, 11211)).toBe("");
    expect(await askVersion("default", client, NODE_IP, 5000)).toMatch(/^VERSION /);
    expect(await askVersion("default", stranger, NODE_IP, 5000)).toBe("");
    // The apps reach mcrouter only, not memcached; mcrouter reaches memcached and DNS only, not the apps.
    const app = (await pods(kc(), "cache-clients", "sample-app")).find(ready);
    expect(await askVersion("cache-clients", app.metadata.name, target, 11211)).toBe("");
    const appHttp = `${app.status.podIP}/${app.spec.containers[0].ports[0].containerPort}`;
    const connects = (ns: string, pod: string, where: string) =>
      exec(ns, pod, ["bash", "-c", `timeout 4 bash -c 'exec 3<>/dev/tcp/${where}' && echo open || echo closed`]).then(
        (s) => s.trim(),
      );
    expect([
      await connects("mcrouter", standin, `${target}/11211`),
      await connects("mcrouter", standin, appHttp),
    ]).toEqual(["open", "closed"]);
    // The metrics port answers the collector's namespace (gmp-system on GKE) only, and that namespace gets
    // nothing else.
    await kubectl(kc(), ["create", "namespace", DEFAULTS.metrics.collectorNamespaces[0]]);
    const collector = await probePod("collector", DEFAULTS.metrics.collectorNamespaces[0], {});
    const scrape = (ns: string, pod: string, where: string, metric: string) =>
      exec(ns, pod, ["sh", "-c", `timeout 5 wget -qO- http://${where}/metrics | grep '^${metric} '; true`]).then((s) =>
        s.trim(),
      );
    expect([
      await scrape(DEFAULTS.metrics.collectorNamespaces[0], collector, `${target}:${METRICS_PORT}`, "memcached_up"),
      await scrape("default", stranger, `${target}:${METRICS_PORT}`, "memcached_up"),
    ]).toEqual(["memcached_up 1", ""]);
    // mcrouter's exporter (the stand-in) answers the collector on the pod's IP, and not on the node's: its
    // port is no hostPort.
    const proxyIp = (await pods(kc(), "mcrouter", "mcrouter"))[0].status.podIP;
    expect([
      await scrape(
        DEFAULTS.metrics.collectorNamespaces[0],
        collector,
        `${proxyIp}:${MCROUTER_METRICS_PORT}`,
        "mcrouter_up",
      ),
      await scrape("default", stranger, `${proxyIp}:${MCROUTER_METRICS_PORT}`, "mcrouter_up"),
      await scrape(
        DEFAULTS.metrics.collectorNamespaces[0],
        collector,
        `${NODE_IP}:${MCROUTER_METRICS_PORT}`,
        "mcrouter_up",
      ),
    ]).toEqual(["mcrouter_up 1", "", ""]);
    expect(await askVersion(DEFAULTS.metrics.collectorNamespaces[0], collector, target, 11211)).toBe("");
    // memcached itself has no egress at all (default-deny), not even to its peers.
    expect(
      await askVersion("memcached", memcached0.metadata.name, (await memcachedPods())[1].status.podIP, 11211),
    ).toBe("");
    await kubectl(kc(), ["delete", "pod", "-n", "default", stranger, client, "--grace-period=0"]);
    await kubectl(kc(), ["delete", "namespace", DEFAULTS.metrics.collectorNamespaces[0]]);
  });

  it("a deleted memcached pod comes back under the same DNS name, and the data path works again", async () => {
    const before = (await memcachedPods())[1];
    await kubectl(kc(), ["delete", "pod", "-n", "memcached", "memcached-1", "--wait=true"]);
    await waitFor("memcached-1 back and Ready", 120_000, async () => {
      const pod = (await memcachedPods())[1];
      return pod.metadata.uid !== before.metadata.uid && ready(pod);
    });
    const after = (await memcachedPods())[1];
    const answer = await exec("cache-clients", await appPod(), [
      "nslookup",
      "memcached-1.memcached.memcached.svc.cluster.local",
    ]);
    expect(answer.split("Name:")[1]).toContain(`Address: ${after.status.podIP}`);
    await exec("cache-clients", await appPod(), ["sh", "-c", DATA_PATH_CHECK_SCRIPT]);
  });

  it("filled past -m, memcached evicts and stays within its memory limit (no OOM kill)", async () => {
    const pod = (await memcachedPods())[0];
    const limitBytes = Number(/^(\d+)Mi$/.exec(pod.spec.containers[0].resources.limits.memory)![1]) * 1024 * 1024;
    const fill =
      "i=0; while [ $i -lt 256 ]; do printf 'set fill-%d 0 0 1000000\\r\\n' $i; dd if=/dev/zero bs=1000000 count=1 2>/dev/null; printf '\\r\\n'; i=$((i+1)); done; printf 'quit\\r\\n'";
    await exec(
      "memcached",
      pod.metadata.name,
      ["sh", "-c", `(${fill}) | nc 127.0.0.1 11211 | grep -c STORED`],
      180_000,
    );
    const stats = Object.fromEntries(
      (await exec("memcached", pod.metadata.name, ["sh", "-c", "printf 'stats\\r\\nquit\\r\\n' | nc 127.0.0.1 11211"]))
        .split("\r\n")
        .filter((l) => l.startsWith("STAT "))
        .map((l) => l.split(" ").slice(1)),
    );
    const peak = Number(
      (await exec("memcached", pod.metadata.name, ["cat", "/sys/fs/cgroup/memory/memory.max_usage_in_bytes"])).trim(),
    );
    log(
      `memcached filled with 256 MB into -m ${Number(stats.limit_maxbytes) >> 20}: evictions ${stats.evictions}, bytes ${stats.bytes}, peak ${peak >> 20} MiB of the ${limitBytes >> 20} MiB limit`,
    );
    expect(Number(stats.evictions)).toBeGreaterThan(0);
    expect(Number(stats.bytes)).toBeLessThanOrEqual(Number(stats.limit_maxbytes));
    expect(peak).toBeLessThan(limitBytes);
    const status = (await kubectlJson(kc(), ["get", "pod", "-n", "memcached", pod.metadata.name])).status
      .containerStatuses[0];
    expect([status.restartCount, status.lastState.terminated?.reason]).toEqual([0, undefined]);
  });

  it("pulumi destroy removes the stack, and npm stop's teardown leaves the host as it was", async () => {
    await timed("pulumi destroy", () => report.cli(["destroy", "--yes", "--skip-preview"], 600_000));
    expect(await leftovers(kc())).toEqual([]);
    expect(await stopSandbox({ root })).toEqual({ left: [], nothing: false });
    expect(nodeStatus()).toBeUndefined();
  });
});
