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

/**
 * The scrape object for the target: GKE's Managed Service for Prometheus reads PodMonitoring
 * (monitoring.googleapis.com/v1); the Prometheus Operator reads PodMonitor (monitoring.coreos.com/v1).
 */
export function scrapeObject(target: Target, metrics: MetricsConfig, selector: Record<string, string>):
  { apiVersion: string; kind: string; spec: object } | undefined {
  if (!metrics.enabled) return undefined;
  if (target === "gke") {
    return {
      apiVersion: "monitoring.googleapis.com/v1", kind: "PodMonitoring",
      spec: { selector: { matchLabels: selector }, endpoints: [{ port: METRICS_PORT_NAME, interval: SCRAPE_INTERVAL }] },
    };
  }
  if (!metrics.prometheusOperator) return undefined;
  return {
    apiVersion: "monitoring.coreos.com/v1", kind: "PodMonitor",
    spec: { selector: { matchLabels: selector }, podMetricsEndpoints: [{ port: METRICS_PORT_NAME, interval: SCRAPE_INTERVAL }] },
  };
}
