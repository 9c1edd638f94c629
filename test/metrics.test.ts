// Metrics under mocks, for every committed stack: the exporter sidecar, who may scrape it, the scrape object
// each target's collector reads, Managed Prometheus on the GKE cluster; and the exporter's pinned version.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULTS } from "../lib/config";
import { PANELS } from "../lib/dashboard";
import { GRAFANA_DASHBOARD_FILE, grafanaDashboardText } from "../scripts/dashboards";
import { COMMITTED_STACKS, runProgram } from "./harness";
import { ROOT } from "./support/program";

const EXPORTER_IMAGE = "quay.io/prometheus/memcached-exporter:v0.16.0";
const SELECTOR = { "app.kubernetes.io/name": "memcached", "app.kubernetes.io/instance": "memcached-gke" };
const amounts = { cpu: "50m", memory: "32Mi", "ephemeral-storage": "16Mi" };

describe.each(COMMITTED_STACKS)("%s stack: metrics", async (stack) => {
  const run = await runProgram(stack);
  const pod = run.one("kubernetes:apps/v1:StatefulSet").inputs.spec.template.spec;

  it("runs memcached_exporter beside memcached, hardened like it, reading it over localhost", () => {
    expect(pod.containers.map((c: any) => c.name)).toEqual(["memcached", "exporter"]);
    expect(pod.containers[1]).toEqual({
      name: "exporter",
      image: EXPORTER_IMAGE,
      args: ["--memcached.address=localhost:11211", "--web.listen-address=:9150"],
      ports: [{ name: "metrics", containerPort: 9150, protocol: "TCP" }],
      resources: { requests: amounts, limits: amounts },
      securityContext: pod.containers[0].securityContext,
      readinessProbe: { httpGet: { path: "/", port: "metrics" }, periodSeconds: 10 },
      livenessProbe: { tcpSocket: { port: "metrics" }, initialDelaySeconds: 10, periodSeconds: 20, failureThreshold: 3 },
    });
  });

  it("admits the collector's namespace to the metrics port, and nothing else", () => {
    const policy = run.one("kubernetes:networking.k8s.io/v1:NetworkPolicy", "memcached-metrics-scrape").inputs;
    expect([policy.metadata.name, policy.metadata.namespace]).toEqual(["allow-metrics-scrape", "memcached"]);
    expect(policy.spec).toEqual({
      podSelector: { matchLabels: SELECTOR },
      policyTypes: ["Ingress"],
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "gmp-system" } } }], ports: [{ protocol: "TCP", port: 9150 }] }],
    });
  });

  it("exports a port-forward + curl line that shows the cache's numbers", () => {
    expect(run.outputs.metricsCommand).toBe("kubectl port-forward -n memcached pod/memcached-0 9150:9150 >/dev/null & sleep 2; " +
      "curl -s localhost:9150/metrics | grep -E '^memcached_(up|commands_total|items_evicted_total|current_bytes|limit_bytes|current_connections|max_connections) '; kill $!");
  });

  it(stack === "local" ? "creates no scrape object unless metrics.prometheusOperator" : "has Managed Prometheus scrape it through a PodMonitoring", () => {
    const scrape = run.byType("kubernetes:monitoring.googleapis.com/v1:PodMonitoring").concat(run.byType("kubernetes:monitoring.coreos.com/v1:PodMonitor"));
    if (stack === "local") {
      expect(scrape).toEqual([]);
      return;
    }
    expect(scrape.map((r) => r.inputs)).toEqual([{
      apiVersion: "monitoring.googleapis.com/v1", kind: "PodMonitoring",
      metadata: expect.objectContaining({ name: "memcached", namespace: "memcached" }),
      spec: { selector: { matchLabels: SELECTOR }, endpoints: [{ port: "metrics", interval: "30s" }] },
    }]);
    expect(run.one("gcp:container/cluster:Cluster").inputs.monitoringConfig)
      .toEqual({ enableComponents: ["SYSTEM_COMPONENTS"], managedPrometheus: { enabled: true } });
  });
});

describe("alert rules", async () => {
  const dev = await runProgram("dev");
  const rules = dev.one("kubernetes:monitoring.googleapis.com/v1:Rules").inputs;

  it("GKE: one Rules object beside the pods, whose expressions read the exporter's metrics and the PodMonitoring's job", () => {
    expect([rules.metadata.name, rules.metadata.namespace]).toEqual(["memcached", "memcached"]);
    const [group] = rules.spec.groups;
    expect([rules.spec.groups.length, group.name, group.interval]).toEqual([1, "memcached", "30s"]);
    expect(group.rules.map((r: any) => [r.alert, r.expr, r.for, r.labels.severity])).toEqual([
      ["MemcachedDown", "memcached_up == 0", "1m", "critical"],
      ["MemcachedTargetDown", 'up{job="memcached"} == 0', "2m", "critical"],
      ["MemcachedHitRatioLow", '(sum by (namespace) (rate(memcached_commands_total{command="get",status="hit"}[5m])) / ' +
        'sum by (namespace) (rate(memcached_commands_total{command="get"}[5m]))) < 0.8 and ' +
        'sum by (namespace) (rate(memcached_commands_total{command="get"}[5m])) > 1', "15m", "warning"],
      ["MemcachedEvicting", "rate(memcached_items_evicted_total[5m]) > 50", "15m", "warning"],
      ["MemcachedConnectionsHigh", "memcached_current_connections / memcached_max_connections > 0.8", "5m", "warning"],
    ]);
  });

  it("takes its thresholds from metrics.hitRatioFloorPercent and metrics.evictionsPerSecond", async () => {
    const run = await runProgram("dev", { "memcached-gke:metrics": { hitRatioFloorPercent: 95, evictionsPerSecond: 7 } });
    const exprs = run.one("kubernetes:monitoring.googleapis.com/v1:Rules").inputs.spec.groups[0].rules.map((r: any) => r.expr).join("\n");
    expect(exprs).toContain(") < 0.95 and ");
    expect(exprs).toContain("rate(memcached_items_evicted_total[5m]) > 7");
  });

  it("existing cluster: a PrometheusRule only with metrics.prometheusOperator, the job named namespace/PodMonitor", async () => {
    expect((await runProgram("local")).byType("kubernetes:monitoring.coreos.com/v1:PrometheusRule")).toEqual([]);
    const run = await runProgram("local", { "memcached-gke:metrics": { prometheusOperator: true } });
    const rule = run.one("kubernetes:monitoring.coreos.com/v1:PrometheusRule").inputs;
    expect(rule.spec.groups[0].rules[1].expr).toBe('up{job="memcached/memcached"} == 0');
    expect(rule.spec.groups[0].rules.map((r: any) => r.alert)).toEqual(rules.spec.groups[0].rules.map((r: any) => r.alert));
  });
});

describe("dashboard", async () => {
  const dev = await runProgram("dev");

  it("GKE: a Cloud Monitoring dashboard of every panel's PromQL, two to a row, behind the monitoring API", () => {
    const inputs = dev.one("gcp:monitoring/dashboard:Dashboard").inputs;
    expect(inputs.project).toBe("my-gcp-project");
    const json = JSON.parse(inputs.dashboardJson);
    expect(json.displayName).toBe("memcached (memcached-dev)");
    expect(json.mosaicLayout.tiles.map((t: any) => [t.xPos, t.yPos, t.width, t.height, t.widget.title,
      t.widget.xyChart.dataSets.map((d: any) => d.timeSeriesQuery.prometheusQuery)]))
      .toEqual(PANELS.map((p, i) => [(i % 2) * 24, Math.floor(i / 2) * 16, 24, 16, p.title, p.queries.map((q) => q.expr)]));
    expect(dev.byType("gcp:projects/service:Service").map((r) => r.inputs.service)).toContain("monitoring.googleapis.com");
    expect(dev.outputs.dashboardUrl).toBe("https://console.cloud.google.com/monitoring/dashboards/custom/dashboard-dashboard-id?project=my-gcp-project");
  });

  it("shows hit ratio, ops/s, evictions, bytes used vs -m, connections and up", () => {
    expect(PANELS.map((p) => p.title)).toEqual(["Hit ratio (gets)", "Operations per second", "Evictions per second",
      "Bytes used vs -m", "Connections vs -c", "memcached up"]);
  });

  it("existing cluster: no Cloud Monitoring dashboard; the committed Grafana JSON is the same panels", async () => {
    const local = await runProgram("local");
    expect([local.byType("gcp:monitoring/dashboard:Dashboard"), local.outputs.dashboardUrl]).toEqual([[], undefined]);
    expect(readFileSync(GRAFANA_DASHBOARD_FILE, "utf8")).toBe(grafanaDashboardText());
    const grafana = JSON.parse(grafanaDashboardText());
    expect(grafana.panels.map((p: any) => p.targets.map((t: any) => t.expr))).toEqual(PANELS.map((p) => p.queries.map((q) => q.expr)));
  });
});

describe("metrics options", () => {
  it("metrics.prometheusOperator on an existing cluster: a PodMonitor for the Prometheus Operator", async () => {
    const run = await runProgram("local", { "memcached-gke:metrics": { prometheusOperator: true, collectorNamespace: "monitoring" } });
    expect(run.one("kubernetes:monitoring.coreos.com/v1:PodMonitor").inputs).toMatchObject({
      apiVersion: "monitoring.coreos.com/v1", kind: "PodMonitor",
      metadata: { name: "memcached", namespace: "memcached" },
      spec: { selector: { matchLabels: SELECTOR }, podMetricsEndpoints: [{ port: "metrics", interval: "30s" }] },
    });
    expect(run.one("kubernetes:networking.k8s.io/v1:NetworkPolicy", "memcached-metrics-scrape").inputs.spec.ingress[0].from)
      .toEqual([{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } }]);
  });

  it("metrics.enabled false: no exporter, no scrape policy or object, Managed Prometheus off", async () => {
    const run = await runProgram("dev", { "memcached-gke:metrics": { enabled: false } });
    expect(run.one("kubernetes:apps/v1:StatefulSet").inputs.spec.template.spec.containers.map((c: any) => c.name)).toEqual(["memcached"]);
    expect(run.byType("kubernetes:networking.k8s.io/v1:NetworkPolicy").map((r) => r.name)).not.toContain("memcached-metrics-scrape");
    expect(run.byType("kubernetes:monitoring.googleapis.com/v1:PodMonitoring")).toEqual([]);
    expect(run.byType("kubernetes:monitoring.googleapis.com/v1:Rules")).toEqual([]);
    expect(run.one("gcp:container/cluster:Cluster").inputs.monitoringConfig.managedPrometheus).toEqual({ enabled: false });
    expect(run.outputs.metricsCommand).toBeUndefined();
  });

  it("pins the exporter image to the version the tests build from Go modules (scripts/build-tools.sh)", () => {
    const built = /^MEMCACHED_EXPORTER_VERSION=(\S+)/m.exec(readFileSync(join(ROOT, "scripts/build-tools.sh"), "utf8"))![1];
    expect(DEFAULTS.metrics.memcachedExporterImage).toBe(`quay.io/prometheus/memcached-exporter:v${built}`);
  });
});
