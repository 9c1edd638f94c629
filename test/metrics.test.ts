// Metrics under mocks, for every committed stack: the exporter sidecars, who may scrape them, the scrape objects
// each target's collector reads, Managed Prometheus on the GKE cluster; and the exporters' pinned versions.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DEFAULTS } from "../lib/config/schema";
import { mcrouterAlertGroups } from "../lib/metrics/alerts";
import { MCROUTER_CHECK_SERIES, seriesNames } from "../lib/commands";
import { PANELS } from "../lib/metrics/dashboard";
import { GRAFANA_DASHBOARD_FILE, grafanaDashboardText } from "../scripts/dashboards";
import { COMMITTED_STACKS } from "../lib/stackFiles";
import { runProgram } from "./harness/mocks";
import { TOOL_VERSIONS } from "../scripts/toolVersions";

const EXPORTER_IMAGE = "quay.io/prometheus/memcached-exporter:v0.16.0";
const MCROUTER_EXPORTER_IMAGE = "ghcr.io/dev25/mcrouter_exporter:0.5.0";
/** Both exporters' probes: their own port only (with memcached or mcrouter down they answer *_up 0). */
const EXPORTER_PROBES = {
  readinessProbe: { httpGet: { path: "/", port: "metrics" }, periodSeconds: 2 },
  livenessProbe: { tcpSocket: { port: "metrics" }, initialDelaySeconds: 10, periodSeconds: 20, failureThreshold: 3 },
};
const SELECTOR = { "app.kubernetes.io/name": "memcached", "app.kubernetes.io/instance": "memcached-gke" };
const MCROUTER_SELECTOR = { "app.kubernetes.io/name": "mcrouter", "app.kubernetes.io/instance": "memcached-gke" };
const collectors = ["gmp-system", "gke-gmp-system"].map((ns) => ({
  namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": ns } },
}));
const amounts = { cpu: "50m", memory: "32Mi", "ephemeral-storage": "16Mi" };

describe.each(COMMITTED_STACKS)("%s stack: metrics", async (stack) => {
  const run = await runProgram(stack);
  const pod = run.one("kubernetes:apps/v1:StatefulSet").inputs.spec.template.spec;
  const mcrouterPod = run.one("kubernetes:apps/v1:DaemonSet").inputs.spec.template.spec;

  it("runs memcached_exporter beside memcached, hardened like it, reading it over localhost", () => {
    expect(pod.containers.map((c: any) => c.name)).toEqual(["memcached", "exporter"]);
    expect(pod.containers[1]).toEqual({
      name: "exporter",
      image: EXPORTER_IMAGE,
      args: ["--memcached.address=localhost:11211", "--web.listen-address=:9150"],
      ports: [{ name: "metrics", containerPort: 9150, protocol: "TCP" }],
      resources: { requests: amounts, limits: amounts },
      securityContext: pod.containers[0].securityContext,
      ...EXPORTER_PROBES,
    });
  });

  it("runs mcrouter_exporter beside mcrouter, hardened like it, reading its stats and per-server TKO over loopback, on a port that is not a hostPort", () => {
    expect(mcrouterPod.containers.map((c: any) => c.name)).toEqual(["mcrouter", "exporter"]);
    expect(mcrouterPod.containers[1]).toEqual({
      name: "exporter",
      image: MCROUTER_EXPORTER_IMAGE,
      args: ["-mcrouter.address=127.0.0.1:5000", "-web.listen-address=:9442", "-mcrouter.server_metrics"],
      ports: [{ name: "metrics", containerPort: 9442, protocol: "TCP" }],
      resources: { requests: amounts, limits: amounts },
      securityContext: mcrouterPod.containers[0].securityContext,
      ...EXPORTER_PROBES,
    });
  });

  it("admits the managed collector, under both of GKE's namespace names, to each metrics port, and nothing else", () => {
    const policies = run
      .byType("kubernetes:networking.k8s.io/v1:NetworkPolicy")
      .filter((r) => r.inputs.metadata.name === "allow-metrics-scrape");
    expect(policies.map((p) => [p.name, p.inputs.metadata.namespace, p.inputs.spec])).toEqual([
      [
        "memcached-metrics-scrape",
        "memcached",
        {
          podSelector: { matchLabels: SELECTOR },
          policyTypes: ["Ingress"],
          ingress: [{ from: collectors, ports: [{ protocol: "TCP", port: 9150 }] }],
        },
      ],
      [
        "mcrouter-metrics-scrape",
        "mcrouter",
        {
          podSelector: { matchLabels: MCROUTER_SELECTOR },
          policyTypes: ["Ingress"],
          ingress: [{ from: collectors, ports: [{ protocol: "TCP", port: 9442 }] }],
        },
      ],
    ]);
  });

  it("exports, for each tier, a port-forward + curl line that shows its numbers", () => {
    expect(run.outputs.metricsCommand).toBe(
      "kubectl port-forward -n memcached pod/memcached-0 9150:9150 >/dev/null & sleep 2; " +
        "curl -s localhost:9150/metrics | grep -E '^memcached_(up|commands_total|items_evicted_total|current_bytes|limit_bytes|current_connections|max_connections) '; kill $!",
    );
    expect(run.outputs.mcrouterMetricsCommand).toBe(
      "kubectl port-forward -n mcrouter ds/mcrouter 9442:9442 >/dev/null & sleep 2; " +
        "curl -s localhost:9442/metrics | grep -E '^mcrouter_(up|config_last_attempt|config_last_success|server_memcached_hard_tko|server_memcached_soft_tko) '; kill $!",
    );
  });

  it(
    stack === "local"
      ? "creates no scrape object unless metrics.prometheusOperator"
      : "has Managed Prometheus scrape both tiers through PodMonitorings",
    () => {
      const scrape = run
        .byType("kubernetes:monitoring.googleapis.com/v1:PodMonitoring")
        .concat(run.byType("kubernetes:monitoring.coreos.com/v1:PodMonitor"));
      if (stack === "local") {
        expect(scrape).toEqual([]);
        return;
      }
      expect(scrape.map((r) => r.inputs)).toEqual(
        [SELECTOR, MCROUTER_SELECTOR].map((selector) => ({
          apiVersion: "monitoring.googleapis.com/v1",
          kind: "PodMonitoring",
          metadata: expect.objectContaining({
            name: selector["app.kubernetes.io/name"],
            namespace: selector["app.kubernetes.io/name"],
          }),
          spec: { selector: { matchLabels: selector }, endpoints: [{ port: "metrics", interval: "30s" }] },
        })),
      );
      expect(run.one("gcp:container/cluster:Cluster").inputs.monitoringConfig).toEqual({
        enableComponents: ["SYSTEM_COMPONENTS"],
        managedPrometheus: { enabled: true },
      });
    },
  );
});

describe("alert rules", async () => {
  const dev = await runProgram("dev");
  const rules = dev.one("kubernetes:monitoring.googleapis.com/v1:Rules", "memcached-alerts").inputs;

  it("GKE: one Rules object beside the pods, whose expressions read the exporter's metrics and the PodMonitoring's job", () => {
    expect([rules.metadata.name, rules.metadata.namespace]).toEqual(["memcached", "memcached"]);
    const [group] = rules.spec.groups;
    expect([rules.spec.groups.length, group.name, group.interval]).toEqual([1, "memcached", "30s"]);
    expect(group.rules.map((r: any) => [r.alert, r.expr, r.for, r.labels.severity])).toEqual([
      ["MemcachedDown", "memcached_up == 0", "1m", "critical"],
      ["MemcachedTargetDown", 'up{job="memcached"} == 0', "2m", "critical"],
      [
        "MemcachedHitRatioLow",
        '(sum by (namespace) (rate(memcached_commands_total{command="get",status="hit"}[5m])) / ' +
          'sum by (namespace) (rate(memcached_commands_total{command="get"}[5m]))) < 0.8 and ' +
          'sum by (namespace) (rate(memcached_commands_total{command="get"}[5m])) > 1',
        "15m",
        "warning",
      ],
      ["MemcachedEvicting", "rate(memcached_items_evicted_total[5m]) > 50", "15m", "warning"],
      ["MemcachedConnectionsHigh", "memcached_current_connections / memcached_max_connections > 0.8", "5m", "warning"],
    ]);
  });

  it("GKE: mcrouter's Rules beside its pods: down, unscraped, a server hard TKO, a failed config reload", () => {
    const mcrouter = dev.one("kubernetes:monitoring.googleapis.com/v1:Rules", "mcrouter-alerts").inputs;
    expect([mcrouter.metadata.name, mcrouter.metadata.namespace, mcrouter.spec.groups.map((g: any) => g.name)]).toEqual(
      ["mcrouter", "mcrouter", ["mcrouter"]],
    );
    expect(mcrouter.spec.groups[0].rules.map((r: any) => [r.alert, r.expr, r.for, r.labels.severity])).toEqual([
      ["McrouterDown", "mcrouter_up == 0", "1m", "critical"],
      ["McrouterTargetDown", 'up{job="mcrouter"} == 0', "2m", "critical"],
      ["McrouterServerHardTko", "mcrouter_server_memcached_hard_tko == 1", "1m", "critical"],
      ["McrouterConfigReloadFailed", "mcrouter_config_last_attempt > mcrouter_config_last_success", "1m", "warning"],
    ]);
  });

  it("takes its thresholds from metrics.hitRatioFloorPercent and metrics.evictionsPerSecond", async () => {
    const run = await runProgram("dev", {
      "memcached-gke:metrics": { hitRatioFloorPercent: 95, evictionsPerSecond: 7 },
    });
    const exprs = run
      .one("kubernetes:monitoring.googleapis.com/v1:Rules", "memcached-alerts")
      .inputs.spec.groups[0].rules.map((r: any) => r.expr)
      .join("\n");
    expect(exprs).toContain(") < 0.95 and ");
    expect(exprs).toContain("rate(memcached_items_evicted_total[5m]) > 7");
  });

  it("existing cluster: a PrometheusRule only with metrics.prometheusOperator, the job named namespace/PodMonitor", async () => {
    expect((await runProgram("local")).byType("kubernetes:monitoring.coreos.com/v1:PrometheusRule")).toEqual([]);
    const run = await runProgram("local", { "memcached-gke:metrics": { prometheusOperator: true } });
    const rule = run.one("kubernetes:monitoring.coreos.com/v1:PrometheusRule", "memcached-alerts").inputs;
    expect(rule.spec.groups[0].rules[1].expr).toBe('up{job="memcached/memcached"} == 0');
    expect(
      run.one("kubernetes:monitoring.coreos.com/v1:PrometheusRule", "mcrouter-alerts").inputs.spec.groups[0].rules[1]
        .expr,
    ).toBe('up{job="mcrouter/mcrouter"} == 0');
    expect(rule.spec.groups[0].rules.map((r: any) => r.alert)).toEqual(
      rules.spec.groups[0].rules.map((r: any) => r.alert),
    );
  });
});

describe("dashboard", async () => {
  const dev = await runProgram("dev");

  it("GKE: a Cloud Monitoring dashboard of every panel's PromQL, two to a row, behind the monitoring API", () => {
    const inputs = dev.one("gcp:monitoring/dashboard:Dashboard").inputs;
    expect(inputs.project).toBe("my-gcp-project");
    const json = JSON.parse(inputs.dashboardJson);
    expect(json.displayName).toBe("memcached (memcached-dev)");
    expect(
      json.mosaicLayout.tiles.map((t: any) => [
        t.xPos,
        t.yPos,
        t.width,
        t.height,
        t.widget.title,
        t.widget.xyChart.dataSets.map((d: any) => d.timeSeriesQuery.prometheusQuery),
      ]),
    ).toEqual(
      PANELS.map((p, i) => [(i % 2) * 24, Math.floor(i / 2) * 16, 24, 16, p.title, p.queries.map((q) => q.expr)]),
    );
    expect(dev.byType("gcp:projects/service:Service").map((r) => r.inputs.service)).toContain(
      "monitoring.googleapis.com",
    );
    expect(dev.outputs.dashboardUrl).toBe(
      "https://console.cloud.google.com/monitoring/dashboards/custom/dashboard-dashboard-id?project=my-gcp-project",
    );
  });

  it("shows hit ratio, ops/s, evictions, bytes used vs -m, connections, up, and TKO as mcrouter sees it", () => {
    expect(PANELS.map((p) => p.title)).toEqual([
      "Hit ratio (gets)",
      "Operations per second",
      "Evictions per second",
      "Bytes used vs -m",
      "Connections vs -c",
      "memcached up",
      "memcached servers marked TKO by mcrouter",
      "mcrouter up",
    ]);
  });

  it("existing cluster: no Cloud Monitoring dashboard; the committed Grafana JSON is the same panels", async () => {
    const local = await runProgram("local");
    expect([local.byType("gcp:monitoring/dashboard:Dashboard"), local.outputs.dashboardUrl]).toEqual([[], undefined]);
    expect(readFileSync(GRAFANA_DASHBOARD_FILE, "utf8")).toBe(grafanaDashboardText());
    const grafana = JSON.parse(grafanaDashboardText());
    expect(grafana.panels.map((p: any) => p.targets.map((t: any) => t.expr))).toEqual(
      PANELS.map((p) => p.queries.map((q) => q.expr)),
    );
  });
});

/**
 * The series mcrouter_exporter 0.5.0 serves (its main.go: the NewDesc names under namespace "mcrouter"; the
 * server_* ones with -mcrouter.server_metrics). It cannot be built or run here, so this list is what the
 * alerts and panels are checked against.
 */
const MCROUTER_EXPORTER_SERIES = [
  "up",
  "start_time_seconds",
  "version",
  "commandargs",
  "commands",
  "command_count",
  "command_out",
  "command_out_failover",
  "command_out_shadow",
  "command_out_all",
  "command_out_count",
  "config_failures",
  "config_last_attempt",
  "config_last_success",
  "dev_null_requests",
  "duration_us",
  "fibers_allocated",
  "proxy_reqs_processing",
  "proxy_reqs_waiting",
  "request",
  "request_count",
  "results",
  "result_count",
  "result_failover",
  "result_shadow",
  "result_all",
  "result_all_count",
  "clients",
  "servers",
  "cpu_seconds_total",
  "resident_memory_bytes",
  "virtual_memory_bytes",
  "asynclog_requests",
  "server_duration_us",
  "server_proxy_reqs_processing",
  "server_proxy_reqs_waiting",
  "server_proxy_reqs_retrans_ratio",
  ...[
    "stored",
    "not_stored",
    "found",
    "not_found",
    "deleted",
    "touched",
    "exists",
    "remote_error",
    "connect_timeout",
    "timeout",
  ].map((reply) => `server_memcached_${reply}_count`),
  "server_memcached_soft_tko",
  "server_memcached_hard_tko",
].map((name) => `mcrouter_${name}`);

describe("mcrouter's series", () => {
  it("the alerts, panels and mcrouterMetricsCommand read only series mcrouter_exporter 0.5.0 serves", () => {
    const exprs = [
      ...PANELS.flatMap((p) => p.queries.map((q) => q.expr)),
      ...mcrouterAlertGroups(DEFAULTS.metrics, "mcrouter").flatMap((g) => g.rules.map((r) => r.expr)),
    ];
    const used = [
      ...new Set([
        ...exprs.flatMap((e) => e.match(/\bmcrouter_[a-z_]+/g) ?? []),
        ...seriesNames(MCROUTER_CHECK_SERIES),
      ]),
    ].sort();
    expect(used).toEqual([
      "mcrouter_config_last_attempt",
      "mcrouter_config_last_success",
      "mcrouter_server_memcached_hard_tko",
      "mcrouter_server_memcached_soft_tko",
      "mcrouter_up",
    ]);
    expect(used.filter((name) => !MCROUTER_EXPORTER_SERIES.includes(name))).toEqual([]);
  });
});

describe("metrics options", () => {
  it("metrics.prometheusOperator on an existing cluster: a PodMonitor for the Prometheus Operator", async () => {
    const run = await runProgram("local", {
      "memcached-gke:metrics": { prometheusOperator: true, collectorNamespaces: ["monitoring"] },
    });
    expect(run.one("kubernetes:monitoring.coreos.com/v1:PodMonitor", "memcached-scrape").inputs).toMatchObject({
      apiVersion: "monitoring.coreos.com/v1",
      kind: "PodMonitor",
      metadata: { name: "memcached", namespace: "memcached" },
      spec: { selector: { matchLabels: SELECTOR }, podMetricsEndpoints: [{ port: "metrics", interval: "30s" }] },
    });
    for (const tier of ["memcached", "mcrouter"]) {
      expect(
        run.one("kubernetes:networking.k8s.io/v1:NetworkPolicy", `${tier}-metrics-scrape`).inputs.spec.ingress[0].from,
      ).toEqual([{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } }]);
    }
    expect(
      run.one("kubernetes:monitoring.coreos.com/v1:PodMonitor", "mcrouter-scrape").inputs.spec.selector.matchLabels,
    ).toEqual(MCROUTER_SELECTOR);
  });

  it("metrics.enabled false: no exporter, no scrape policy or object, Managed Prometheus off", async () => {
    const run = await runProgram("dev", { "memcached-gke:metrics": { enabled: false } });
    expect(
      run.one("kubernetes:apps/v1:StatefulSet").inputs.spec.template.spec.containers.map((c: any) => c.name),
    ).toEqual(["memcached"]);
    expect(
      run.one("kubernetes:apps/v1:DaemonSet").inputs.spec.template.spec.containers.map((c: any) => c.name),
    ).toEqual(["mcrouter"]);
    expect(
      run.byType("kubernetes:networking.k8s.io/v1:NetworkPolicy").map((r) => r.inputs.metadata.name),
    ).not.toContain("allow-metrics-scrape");
    expect(run.byType("kubernetes:monitoring.googleapis.com/v1:PodMonitoring")).toEqual([]);
    expect(run.byType("kubernetes:monitoring.googleapis.com/v1:Rules")).toEqual([]);
    expect(run.one("gcp:container/cluster:Cluster").inputs.monitoringConfig.managedPrometheus).toEqual({
      enabled: false,
    });
    expect([run.outputs.metricsCommand, run.outputs.mcrouterMetricsCommand]).toEqual([undefined, undefined]);
  });

  it("pins the exporter image to the version the tests build from Go modules (scripts/tool-versions.json)", () => {
    expect(DEFAULTS.metrics.memcachedExporterImage).toBe(
      `quay.io/prometheus/memcached-exporter:v${TOOL_VERSIONS.MEMCACHED_EXPORTER_VERSION}`,
    );
  });
});
