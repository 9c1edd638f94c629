// `npm run smoke [-- --stack NAME]`: after the first `up`, checks on the running cluster what the test world cannot
// prove (docs/gke.md, "The smoke check"): each check says what it shows, the one that fails is named, exit 1.
// It reads the stack's outputs through the Pulumi CLI and acts on the cluster with kubectl; its only object is a
// scratch namespace, deleted at the end, also on failure.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { MCROUTER_VERSION_KEY } from "../lib/tiers/mcrouterArgs";
import { CACHE_CLIENT_LABEL, SAMPLE_APP_COMPONENT } from "../lib/tiers/labels";
import { PROJECT_NAME } from "../lib/project";
import { MCROUTER_PORT } from "../lib/ports";
import { DNS_PEERS } from "../lib/gke/requestRules";
import { boundedRun, itemsPerShard, podsNotReady } from "../sandbox/checks";
import { command, kubectl, kubectlJson, log, phase, setLogTag, waitFor } from "../sandbox/process";
import { namespacesOf, pinnedKubeconfig, pods, ready, StackNamespaces } from "../sandbox/stack";
import { managedPrometheusProblems, MONITORING_API, promQuery } from "./smoke/managedPrometheus";

interface Target {
  /** A kubeconfig of the stack's cluster alone (its one context current). */
  kubeconfig: string;
  ns: StackNamespaces;
  onGke: boolean;
  project?: string;
  nodeLocalDnsCache: boolean;
  memcachedReplicas: number;
  sampleAppImage: string;
  endpoints: string[];
}

interface Check {
  name: string;
  /** Why it does not apply to this stack, or nothing. */
  skip?: (t: Target) => string | undefined;
  /** Throws with what it found when the assumption does not hold; returns what it saw. */
  run: (t: Target) => Promise<string>;
}

/** A label selector for kubectl -l. */
const labelSelector = (labels: Record<string, string>) =>
  Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");

/** One Ready sample-app pod on each node that runs one. */
async function appPodPerNode(t: Target): Promise<any[]> {
  const byNode = new Map<string, any>();
  for (const p of (await pods(t.kubeconfig, t.ns.sampleApp, SAMPLE_APP_COMPONENT)).filter(ready)) {
    if (!byNode.has(p.spec.nodeName)) byNode.set(p.spec.nodeName, p);
  }
  if (byNode.size === 0) throw new Error("no Ready sample-app pod");
  return [...byNode.values()];
}

const inPod = (t: Target, pod: any, script: string) =>
  kubectl(
    t.kubeconfig,
    ["exec", "-n", pod.metadata.namespace, pod.metadata.name, "--", "sh", "-c", script],
    undefined,
    30_000,
  );

async function schedulableNodes(t: Target): Promise<string[]> {
  return (await kubectlJson(t.kubeconfig, ["get", "nodes"])).items
    .filter((n: any) => !n.spec.unschedulable)
    .map((n: any) => n.metadata.name);
}

const CHECKS: Check[] = [
  {
    name: "pods: every memcached, mcrouter and sample-app pod Ready",
    run: async (t) => {
      const notReady = await podsNotReady(t.kubeconfig, t.ns);
      if (notReady.length) throw new Error(`not Ready: ${notReady.join("; ")}`);
      return "all Ready";
    },
  },
  {
    name: "NodeLocal DNSCache: a node-local-dns pod on every node",
    skip: (t) =>
      !t.onGke ? "not GKE" : !t.nodeLocalDnsCache ? "cluster.nodeLocalDnsCache is false on this stack" : undefined,
    run: async (t) => {
      const nodes = await schedulableNodes(t);
      const cache = (
        await kubectlJson(t.kubeconfig, [
          "get",
          "pods",
          "-n",
          "kube-system",
          "-l",
          labelSelector(DNS_PEERS.nodeLocalDnsLabels),
        ])
      ).items.filter(ready);
      const missing = nodes.filter((n) => !cache.some((p: any) => p.spec.nodeName === n));
      if (missing.length) throw new Error(`no Ready node-local-dns pod on ${missing.join(", ")}`);
      return `${cache.length} node-local-dns pods for ${nodes.length} nodes`;
    },
  },
  {
    name: "DNS from the tiers: a sample-app pod on every node resolves a memcached pod's name",
    run: async (t) => {
      const host = t.endpoints[0].replace(/:\d+$/, "");
      const seen: string[] = [];
      for (const pod of await appPodPerNode(t)) {
        const answer = await inPod(t, pod, `nslookup ${host}`).catch((e: Error) => e.message);
        if (!/Address:?\s+\d+\.\d+\.\d+\.\d+/.test(answer.split(/Name:/)[1] ?? "")) {
          throw new Error(`${pod.spec.nodeName}: ${pod.metadata.name} cannot resolve ${host}: ${answer.trim()}`);
        }
        seen.push(pod.spec.nodeName);
      }
      return `${host} resolves on ${seen.join(", ")}`;
    },
  },
  {
    name: "$NODE_NAME: resolves in a sample-app pod on every node, and a key set through its mcrouter reads back",
    run: async (t) => {
      const key = `smoke-${randomBytes(4).toString("hex")}`;
      for (const pod of await appPodPerNode(t)) {
        const reply = await inPod(
          t,
          pod,
          `printf 'set ${key} 0 60 2\\r\\nok\\r\\nget ${key}\\r\\nquit\\r\\n' | timeout 10 nc -w 5 "$NODE_NAME" "$MCROUTER_PORT"`,
        ).catch((e: Error) => e.message);
        if (!/STORED\r?\nVALUE \S+ 0 2\r?\nok\r?\nEND/.test(reply)) {
          throw new Error(
            `${pod.spec.nodeName}: $NODE_NAME:$MCROUTER_PORT from ${pod.metadata.name} answered ${JSON.stringify(reply)}`,
          );
        }
      }
      return "STORED and read back on every node";
    },
  },
  {
    name: `hostPort and NetworkPolicy: a labelled client reaches its node's port ${MCROUTER_PORT}, an unlabelled pod does not`,
    run: async (t) => hostPortPolicy(t),
  },
  {
    name: "shards: sets through mcrouter reach every memcached pod",
    run: async (t) => {
      const sets = 100 * t.memcachedReplicas;
      const counts = await boundedRun(t.kubeconfig, t.ns, sets, 0);
      if (counts.errors || counts.stored !== sets) {
        throw new Error(`${counts.stored} of ${sets} stored, ${counts.errors} errors`);
      }
      const shards = await itemsPerShard(t.kubeconfig, t.ns);
      const empty = Object.entries(shards).filter(([, n]) => !(n > 0));
      if (empty.length || Object.keys(shards).length !== t.memcachedReplicas) {
        throw new Error(`items per pod: ${JSON.stringify(shards)}`);
      }
      return Object.entries(shards)
        .map(([p, n]) => `${p} ${n}`)
        .join(", ");
    },
  },
  {
    name: "Managed Prometheus: the collector has scraped every memcached and mcrouter exporter",
    skip: (t) => (t.onGke ? undefined : "not GKE (elsewhere, your Prometheus scrapes the PodMonitors)"),
    run: async (t) => {
      const nodes = (await schedulableNodes(t)).length;
      const token = (await command("gcloud", ["auth", "print-access-token"])).trim();
      const query = (promql: string) => promQuery(MONITORING_API, t.project!, token, promql);
      const expected = { memcached: t.memcachedReplicas, mcrouter: nodes };
      let problems: string[] = [];
      // The collector scrapes every 30 s and Cloud Monitoring ingests within minutes of a first up.
      await waitFor(
        "the managed collector's samples of every exporter",
        5 * 60_000,
        async () => (problems = await managedPrometheusProblems(query, t.ns, expected)).length === 0,
        { status: () => problems.join("; ") },
      ).catch(() => {
        throw new Error(problems.join("; "));
      });
      return `up and memcached_up for ${expected.memcached} pods, up and mcrouter_up for ${expected.mcrouter} nodes`;
    },
  },
];

/** Two probe pods in a scratch namespace on one node: one with the cache-client label, one without. */
async function hostPortPolicy(t: Target): Promise<string> {
  const [node] = await schedulableNodes(t);
  const ns = `${PROJECT_NAME}-smoke-${randomBytes(3).toString("hex")}`;
  const pod = (name: string, labels: Record<string, string>) => ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: ns, labels },
    spec: {
      nodeName: node,
      automountServiceAccountToken: false,
      terminationGracePeriodSeconds: 0,
      securityContext: { runAsNonRoot: true, runAsUser: 65534, seccompProfile: { type: "RuntimeDefault" } },
      containers: [
        {
          name: "probe",
          image: t.sampleAppImage,
          command: ["sleep", "600"],
          env: [{ name: "HOST_IP", valueFrom: { fieldRef: { fieldPath: "status.hostIP" } } }],
          securityContext: {
            allowPrivilegeEscalation: false,
            capabilities: { drop: ["ALL"] },
            readOnlyRootFilesystem: true,
          },
          resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { cpu: "10m", memory: "16Mi" } },
        },
      ],
    },
  });
  const manifest = {
    apiVersion: "v1",
    kind: "List",
    items: [
      { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } },
      pod("client", { ...CACHE_CLIENT_LABEL }),
      pod("stranger", {}),
    ],
  };
  await kubectl(t.kubeconfig, ["apply", "-f", "-"], JSON.stringify(manifest));
  try {
    await waitFor(
      `the probe pods in ${ns} Ready`,
      3 * 60_000,
      async () => (await kubectlJson(t.kubeconfig, ["get", "pods", "-n", ns])).items.filter(ready).length === 2,
    );
    const ask = (name: string) =>
      kubectl(t.kubeconfig, [
        "exec",
        "-n",
        ns,
        name,
        "--",
        "sh",
        "-c",
        `printf 'get ${MCROUTER_VERSION_KEY}\\r\\nquit\\r\\n' | timeout 6 nc -w 3 "$HOST_IP" ${MCROUTER_PORT}; true`,
      ]);
    const client = await ask("client");
    const stranger = await ask("stranger");
    if (!client.includes(`VALUE ${MCROUTER_VERSION_KEY}`)) {
      throw new Error(
        `the labelled client on ${node} got no answer from $HOST_IP:${MCROUTER_PORT} (${JSON.stringify(client)})`,
      );
    }
    if (stranger.trim()) {
      throw new Error(
        `a pod without ${Object.keys(CACHE_CLIENT_LABEL)[0]} reached ${node}:${MCROUTER_PORT} and got ${JSON.stringify(stranger)}`,
      );
    }
    return `on ${node}: the client got mcrouter's version, the stranger nothing`;
  } finally {
    await kubectl(t.kubeconfig, ["delete", "namespace", ns, "--wait=false"]).catch((e: Error) =>
      log(`could not delete the scratch namespace ${ns}: ${e.message}`),
    );
  }
}

/** The stack as its outputs describe it (`pulumi stack output`), and a kubeconfig of its cluster alone. */
async function target(stack: string | undefined, scratch: string): Promise<Target> {
  const outputs = JSON.parse(
    await command("pulumi", ["stack", "output", "--json", "--show-secrets", ...(stack ? ["--stack", stack] : [])]),
  );
  const ns = namespacesOf(outputs);
  const onGke = outputs.kubeconfig !== undefined;
  let kubeconfig = join(scratch, "kubeconfig");
  if (onGke) {
    writeFileSync(kubeconfig, outputs.kubeconfig, { mode: 0o600 });
  } else {
    // The cluster the stack deployed to, found as the program finds it.
    const existing = outputs.existingCluster ?? {};
    const source = existing.kubeconfig || process.env.KUBECONFIG?.split(":")[0] || join(homedir(), ".kube", "config");
    const context = existing.context || (await kubectl(source, ["config", "current-context"])).trim();
    kubeconfig = await pinnedKubeconfig(source, context, kubeconfig);
  }
  // What runs, read from the cluster: the sample app's image is the probe pods' (the node has it).
  const app = await kubectlJson(kubeconfig, ["get", "deployment", "-n", ns.sampleApp, SAMPLE_APP_COMPONENT]);
  return {
    kubeconfig,
    ns,
    onGke,
    project: outputs.gcpProject,
    nodeLocalDnsCache: outputs.nodeLocalDnsCache === true,
    memcachedReplicas: outputs.memcachedEndpoints.length,
    sampleAppImage: app.spec.template.spec.containers[0].image,
    endpoints: outputs.memcachedEndpoints,
  };
}

async function main(argv: string[]): Promise<number> {
  setLogTag("smoke");
  const at = argv.indexOf("--stack");
  const stack = at >= 0 ? argv[at + 1] : undefined;
  if ((at >= 0 && !stack) || argv.length !== (at >= 0 ? 2 : 0)) {
    console.error("usage: npm run smoke [-- --stack NAME]   (the selected stack by default)");
    return 2;
  }
  const scratch = mkdtempSync(join(tmpdir(), `${PROJECT_NAME}-smoke-`));
  try {
    const t = await phase(`reading the stack${stack ? ` ${stack}` : ""}`, () => target(stack, scratch));
    const failed: string[] = [];
    for (const check of CHECKS) {
      const why = check.skip?.(t);
      if (why) {
        log(`SKIP ${check.name}: ${why}`);
        continue;
      }
      try {
        log(`PASS ${check.name}: ${await phase(check.name, () => check.run(t))}`);
      } catch (e) {
        failed.push(check.name);
        log(`FAIL ${check.name}: ${(e as Error).message}`);
      }
    }
    log(failed.length ? `${failed.length} failed: ${failed.join("; ")}` : "every check passed");
    return failed.length ? 1 : 0;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    console.error(`smoke: ${(e as Error).message}`);
    process.exit(2);
  },
);
