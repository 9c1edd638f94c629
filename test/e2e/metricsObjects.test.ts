// The scrape and rule objects on a real API server, with the CRDs their projects publish (from the Go
// modules: GKE Managed Prometheus's PodMonitoring and Rules, the Prometheus Operator's PodMonitor and
// PrometheusRule): what the stack creates must pass their schemas, and `pulumi destroy` must take it away.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { kubectl, kubectlJson, waitFor } from "../../sandbox/process";
import { gkeShapedNodes } from "../harness/gkeShape";
import { Cli, pulumiCli } from "../../sandbox/pulumi";
import { initStack, leftovers } from "../../sandbox/stack";
import { committedPool } from "../harness/stacks";
import { runProgram } from "../harness/mocks";
import { committedStackConfig } from "../../lib/stackFiles";
import { controlPlaneFor, timed } from "../harness/e2e";
import { PROJECT_NAME } from "../../lib/project";

const crdsDir = process.env.CRDS_DIR;
if (!crdsDir) throw new Error("CRDS_DIR is unset: the e2e runs through scripts/e2e.sh, which fetches the CRDs");

const { cp, stateDir } = controlPlaneFor("metrics", () =>
  gkeShapedNodes({ ...committedPool("dev"), cluster: "memcached-local" }),
);
const KINDS = "podmonitors.monitoring.coreos.com,prometheusrules.monitoring.coreos.com";

describe("metrics objects on a real API server", () => {
  let cli: Cli;

  it("installs the upstream CRDs (PodMonitoring, Rules, PodMonitor, PrometheusRule)", async () => {
    const files = readdirSync(crdsDir).sort();
    expect(files).toEqual([
      "monitoring.coreos.com_podmonitors.yaml",
      "monitoring.coreos.com_prometheusrules.yaml",
      "monitoring.googleapis.com_podmonitorings.yaml",
      "monitoring.googleapis.com_rules.yaml",
    ]);
    for (const f of files) await kubectl(cp().kubeconfig, ["apply", "--server-side", "-f", join(crdsDir, f)]);
    await waitFor("the CRDs Established", 60_000, async () => {
      const crds = (await kubectlJson(cp().kubeconfig, ["get", "crds"])).items;
      return (
        crds.filter((c: any) => c.status?.conditions?.some((x: any) => x.type === "Established" && x.status === "True"))
          .length === files.length
      );
    });
  });

  it("pulumi up with metrics.prometheusOperator creates each tier's PodMonitor and PrometheusRule, accepted as declared", async () => {
    const committed = committedStackConfig("local");
    cli = await initStack(stateDir(), cp(), "metrics", {
      ...committed,
      [`${PROJECT_NAME}:existingCluster`]: {
        ...committed[`${PROJECT_NAME}:existingCluster`],
        kubeconfig: cp().kubeconfig,
        context: "kwok",
      },
      [`${PROJECT_NAME}:metrics`]: { prometheusOperator: true, collectorNamespaces: ["monitoring"] },
    });
    const events = join(stateDir(), "metrics-up-events.json");
    // --event-log is one of the CLI's debug flags (those the Automation API uses), on with PULUMI_DEBUG_COMMANDS.
    const debugCli = pulumiCli(cli.workDir, stateDir(), cp().kubeconfig, { PULUMI_DEBUG_COMMANDS: "true" });
    await timed("pulumi up (metrics objects)", () =>
      debugCli(["up", "--yes", "--skip-preview", "--event-log", events]),
    );
    // The engine's own record: each scrape and rule object's step starts after its workload's step (which the
    // Kubernetes provider ends once the workload is Ready) has ended.
    const lines = readFileSync(events, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    const at = (kind: "resourcePreEvent" | "resOutputsEvent", name: string) =>
      lines.findIndex((e) => e[kind]?.metadata?.urn?.endsWith(`::${name}`) && e[kind].metadata.op === "create");
    for (const [workload, objects] of [
      ["memcached-sts", ["memcached-scrape", "memcached-alerts"]],
      ["mcrouter-ds", ["mcrouter-scrape", "mcrouter-alerts"]],
    ] as const) {
      const ready = at("resOutputsEvent", workload);
      expect(ready, workload).toBeGreaterThan(0);
      for (const o of objects)
        expect(at("resourcePreEvent", o), `${o} after ${workload} is Ready`).toBeGreaterThan(ready);
    }
    const expected = await runProgram("local", {
      [`${PROJECT_NAME}:metrics`]: { prometheusOperator: true, collectorNamespaces: ["monitoring"] },
    });
    for (const tier of ["memcached", "mcrouter"]) {
      for (const [type, resource, name] of [
        ["kubernetes:monitoring.coreos.com/v1:PodMonitor", "podmonitor", `${tier}-scrape`],
        ["kubernetes:monitoring.coreos.com/v1:PrometheusRule", "prometheusrule", `${tier}-alerts`],
      ]) {
        const live = await kubectlJson(cp().kubeconfig, ["get", resource, "-n", tier, tier]);
        expect(live.spec, `${tier} ${resource}`).toEqual(expected.one(type, name).inputs.spec);
      }
    }
  });

  it("the GKE stacks' PodMonitoring and Rules pass their CRDs' validation (server-side dry run); a bad one does not", async () => {
    const dev = await runProgram("dev");
    const objects = [
      "kubernetes:monitoring.googleapis.com/v1:PodMonitoring",
      "kubernetes:monitoring.googleapis.com/v1:Rules",
    ].flatMap((type) => dev.byType(type));
    expect(objects.map((r) => r.name).sort()).toEqual([
      "mcrouter-alerts",
      "mcrouter-scrape",
      "memcached-alerts",
      "memcached-scrape",
    ]);
    for (const {
      inputs: { apiVersion, kind, metadata, spec },
    } of objects) {
      const out = await kubectl(
        cp().kubeconfig,
        ["apply", "--dry-run=server", "-f", "-"],
        JSON.stringify({ apiVersion, kind, metadata, spec }),
      );
      expect(out.trim()).toBe(
        `${kind.toLowerCase()}.monitoring.googleapis.com/${metadata.name} created (server dry run)`,
      );
    }
    const { apiVersion, kind, metadata, spec } = dev.one(
      "kubernetes:monitoring.googleapis.com/v1:PodMonitoring",
      "memcached-scrape",
    ).inputs;
    const bad = {
      apiVersion,
      kind,
      metadata,
      spec: { ...spec, endpoints: [{ port: "metrics", interval: "30 seconds" }] },
    };
    const refused = await kubectl(cp().kubeconfig, ["apply", "--dry-run=server", "-f", "-"], JSON.stringify(bad)).then(
      () => "",
      (e: Error) => e.message,
    );
    expect(refused).toContain("spec.endpoints[0].interval");
  });

  it("pulumi destroy removes them with the stack", async () => {
    await timed("pulumi destroy (metrics objects)", () => cli(["destroy", "--yes", "--skip-preview"]));
    expect(await kubectl(cp().kubeconfig, ["get", KINDS, "-A", "-o", "name"])).toBe("");
    expect(await leftovers(cp().kubeconfig)).toEqual([]);
  });
});
