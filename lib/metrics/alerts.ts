// The tiers' alert rules, once: the GKE `Rules` objects, the Prometheus Operator's `PrometheusRule`s and the
// promtool tests (test/real/alerts.test.ts) all take these groups. Thresholds come from the metrics config.
// The metric names are memcached_exporter's (v0.16.0, pkg/exporter/exporter.go) and mcrouter_exporter's
// (0.5.0, main.go: `stats all` and, with -mcrouter.server_metrics, `stats servers`).
import { MetricsConfig } from "../config/schema";
import { Collector, COLLECTOR_API_VERSION, CustomObject } from "./exporters";

export interface AlertRule {
  alert: string;
  expr: string;
  for: string;
  labels: { severity: "critical" | "warning" };
  annotations: { summary: string; description: string; runbook_url: string };
}

export interface RuleGroup {
  name: string;
  interval: string;
  rules: AlertRule[];
}

/** An alert's runbook: its section of docs/operations.md (a heading named after the alert), under metrics.runbookUrl. */
export const runbookUrl = (base: string, alert: string): string => `${base}#${alert.toLowerCase()}`;

/** Every rule of the groups, with its runbook_url annotation. */
const withRunbooks = (base: string, groups: DraftGroup[]): RuleGroup[] =>
  groups.map((g) => ({
    ...g,
    rules: g.rules.map((r) => ({ ...r, annotations: { ...r.annotations, runbook_url: runbookUrl(base, r.alert) } })),
  }));

type Draft = Omit<AlertRule, "annotations"> & { annotations: Omit<AlertRule["annotations"], "runbook_url"> };
type DraftGroup = Omit<RuleGroup, "rules"> & { rules: Draft[] };

/** Rates are taken over this window: several 30 s scrapes, so one lost scrape does not move them. */
const WINDOW = "5m";
/** Below this many gets a second the hit ratio says nothing (an idle cache) and is not alerted on. */
const MIN_GETS_PER_SECOND = 1;
const CONNECTIONS_ALERT_RATIO = 0.8;

/** The scrape job of the memcached pods as each collector names it: PodMonitoring's name, or namespace/PodMonitor. */
export const scrapeJob = (collector: Collector, namespace: string, name: string): string =>
  collector === "managed-prometheus" ? name : `${namespace}/${name}`;

const gets = (status?: string) =>
  `sum by (namespace) (rate(memcached_commands_total{command="get"${status ? `,status="${status}"` : ""}}[${WINDOW}]))`;

export function memcachedAlertGroups(
  m: Pick<MetricsConfig, "hitRatioFloorPercent" | "evictionsPerSecond" | "runbookUrl">,
  job: string,
): RuleGroup[] {
  const floor = m.hitRatioFloorPercent / 100;
  return withRunbooks(m.runbookUrl, [
    {
      name: "memcached",
      interval: "30s",
      rules: [
        {
          alert: "MemcachedDown",
          expr: "memcached_up == 0",
          for: "1m",
          labels: { severity: "critical" },
          annotations: {
            summary: "memcached does not answer its exporter",
            description:
              "{{ $labels.instance }}: memcached_up has been 0 for 1 minute; mcrouter marks the pod TKO and its keys miss.",
          },
        },
        targetDown("MemcachedTargetDown", job, "a memcached pod"),
        {
          alert: "MemcachedHitRatioLow",
          expr: `(${gets("hit")} / ${gets()}) < ${floor} and ${gets()} > ${MIN_GETS_PER_SECOND}`,
          for: "15m",
          labels: { severity: "warning" },
          annotations: {
            summary: `cache hit ratio below ${m.hitRatioFloorPercent} %`,
            description: `{{ $labels.namespace }}: {{ $value | humanizePercentage }} of gets hit over ${WINDOW} (floor metrics.hitRatioFloorPercent ${m.hitRatioFloorPercent}).`,
          },
        },
        {
          alert: "MemcachedEvicting",
          expr: `rate(memcached_items_evicted_total[${WINDOW}]) > ${m.evictionsPerSecond}`,
          for: "15m",
          labels: { severity: "warning" },
          annotations: {
            summary: "memcached evicts items to make room",
            description: `{{ $labels.instance }}: {{ $value | humanize }} evictions a second (alert above metrics.evictionsPerSecond ${m.evictionsPerSecond}): the working set is larger than -m; raise memcached.memoryMb or replicas.`,
          },
        },
        {
          alert: "MemcachedConnectionsHigh",
          expr: `memcached_current_connections / memcached_max_connections > ${CONNECTIONS_ALERT_RATIO}`,
          for: "5m",
          labels: { severity: "warning" },
          annotations: {
            summary: `memcached connections above ${CONNECTIONS_ALERT_RATIO * 100} % of -c`,
            description:
              "{{ $labels.instance }}: {{ $value | humanizePercentage }} of memcached.maxConnections in use; at 100 % new connections are refused.",
          },
        },
      ],
    },
  ]);
}

/** A scrape target the collector has not reached for 2 minutes. */
const targetDown = (alert: string, job: string, what: string): Draft => ({
  alert,
  expr: `up{job="${job}"} == 0`,
  for: "2m",
  labels: { severity: "critical" },
  annotations: {
    summary: `${what} cannot be scraped`,
    description:
      "{{ $labels.instance }}: the collector has not reached the exporter for 2 minutes (pod gone, not ready, or a NetworkPolicy).",
  },
});

export function mcrouterAlertGroups(m: Pick<MetricsConfig, "runbookUrl">, job: string): RuleGroup[] {
  return withRunbooks(m.runbookUrl, [
    {
      name: "mcrouter",
      interval: "30s",
      rules: [
        {
          alert: "McrouterDown",
          expr: "mcrouter_up == 0",
          for: "1m",
          labels: { severity: "critical" },
          annotations: {
            summary: "mcrouter does not answer its exporter",
            description:
              "{{ $labels.instance }}: mcrouter_up has been 0 for 1 minute; the apps on this node cannot reach the cache.",
          },
        },
        targetDown("McrouterTargetDown", job, "an mcrouter pod"),
        {
          // mcrouter (TkoTracker) marks a server hard TKO on a connect failure at once, soft TKO after
          // --timeouts-until-tko timeouts in a row; it sends that server's keys nowhere until a probe succeeds.
          alert: "McrouterServerHardTko",
          expr: "mcrouter_server_memcached_hard_tko == 1",
          for: "1m",
          labels: { severity: "critical" },
          annotations: {
            summary: "mcrouter marks a memcached server hard TKO",
            description:
              "{{ $labels.instance }}: {{ $labels.server }} has been hard TKO for 1 minute (connections fail): its share of the keys misses.",
          },
        },
        {
          // Both are unix times (mcrouter stats.cpp): an attempt after the last success is a reload that failed.
          // mcrouter goes on routing with its previous config, so a changed memcached pool is not in effect.
          alert: "McrouterConfigReloadFailed",
          expr: "mcrouter_config_last_attempt > mcrouter_config_last_success",
          for: "1m",
          labels: { severity: "warning" },
          annotations: {
            summary: "mcrouter could not load its new config",
            description:
              "{{ $labels.instance }}: the last config reload failed; mcrouter still routes with its previous pool (see the mcrouter-config ConfigMap and the pod's log).",
          },
        },
      ],
    },
  ]);
}

/** The rule object the collector evaluates: Rules (Managed Prometheus) or PrometheusRule (the Operator). */
export function ruleObject(collector: Collector, groups: RuleGroup[]): CustomObject {
  return {
    apiVersion: COLLECTOR_API_VERSION[collector],
    kind: collector === "managed-prometheus" ? "Rules" : "PrometheusRule",
    spec: { groups },
  };
}
