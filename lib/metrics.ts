// How memcached's metrics are exported and collected: the exporter's command line, and which scrape object
// the target's collector reads. Pure: the components put these in objects, the tests assert them.
import { MEMCACHED_PORT, MetricsConfig, METRICS_PORT, Target } from "./config";

/** The exporter reads memcached's `stats` in its own pod (localhost) and serves /metrics on METRICS_PORT. */
export const memcachedExporterArgs = (): string[] => [
  `--memcached.address=localhost:${MEMCACHED_PORT}`,
  `--web.listen-address=:${METRICS_PORT}`,
];

export const METRICS_PORT_NAME = "metrics";
const SCRAPE_INTERVAL = "30s";

/** Who scrapes the pods and evaluates the rules: GKE's Managed Service for Prometheus, or the Prometheus Operator. */
export type Collector = "managed-prometheus" | "prometheus-operator";

/** The collector of the stack's metrics: Managed Prometheus on GKE, the Operator where opted in, else none. */
export function metricsCollector(target: Target, metrics: Pick<MetricsConfig, "enabled" | "prometheusOperator">): Collector | undefined {
  if (!metrics.enabled) return undefined;
  if (target === "gke") return "managed-prometheus";
  return metrics.prometheusOperator ? "prometheus-operator" : undefined;
}

export interface CustomObject { apiVersion: string; kind: string; spec: object }

/** Each collector's API group: monitoring.googleapis.com (GKE) or monitoring.coreos.com (the Operator). */
export const COLLECTOR_API_VERSION: Record<Collector, string> = {
  "managed-prometheus": "monitoring.googleapis.com/v1",
  "prometheus-operator": "monitoring.coreos.com/v1",
};

/** The scrape object the collector reads: PodMonitoring (Managed Prometheus) or PodMonitor (the Operator). */
export function scrapeObject(collector: Collector, selector: Record<string, string>): CustomObject {
  const endpoint = { port: METRICS_PORT_NAME, interval: SCRAPE_INTERVAL };
  const apiVersion = COLLECTOR_API_VERSION[collector];
  return collector === "managed-prometheus"
    ? { apiVersion, kind: "PodMonitoring", spec: { selector: { matchLabels: selector }, endpoints: [endpoint] } }
    : { apiVersion, kind: "PodMonitor", spec: { selector: { matchLabels: selector }, podMetricsEndpoints: [endpoint] } };
}
