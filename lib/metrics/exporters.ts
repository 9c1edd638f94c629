// How the tiers' metrics are exported and collected: the exporters' command lines, and which scrape object
// the target's collector reads. Pure: the components put these in objects, the tests assert them.
import { MetricsConfig, Target } from "../config/schema";
import { MCROUTER_METRICS_PORT, MCROUTER_PORT, MEMCACHED_PORT, METRICS_PORT } from "../ports";
import { containerSecurityContext, guaranteedResources, SecurityIds } from "../tiers/podSpec";
import { EXPORTER_RESOURCES } from "../capacity/workloadResources";

/** The exporter reads memcached's `stats` in its own pod (localhost) and serves /metrics on METRICS_PORT. */
export const memcachedExporterArgs = (): string[] => [
  `--memcached.address=localhost:${MEMCACHED_PORT}`,
  `--web.listen-address=:${METRICS_PORT}`,
];

/**
 * mcrouter_exporter reads mcrouter's `stats all` over the pod's loopback (the address mcrouter's readiness
 * probe uses) and serves /metrics on a port that is not a hostPort; `-mcrouter.server_metrics` adds
 * `stats servers`: per memcached server its replies and its soft/hard TKO state (flags of Go's `flag`
 * package, Dev25/mcrouter_exporter main.go).
 */
export const mcrouterExporterArgs = (): string[] => [
  `-mcrouter.address=127.0.0.1:${MCROUTER_PORT}`,
  `-web.listen-address=:${MCROUTER_METRICS_PORT}`,
  "-mcrouter.server_metrics",
];

export const METRICS_PORT_NAME = "metrics";
const SCRAPE_INTERVAL = "30s";

/** Who scrapes the pods and evaluates the rules: GKE's Managed Service for Prometheus, or the Prometheus Operator. */
export type Collector = "managed-prometheus" | "prometheus-operator";

/** The collector of the stack's metrics: Managed Prometheus on GKE, the Operator where opted in, else none. */
export function metricsCollector(
  target: Target,
  metrics: Pick<MetricsConfig, "enabled" | "prometheusOperator">,
): Collector | undefined {
  if (!metrics.enabled) return undefined;
  if (target === "gke") return "managed-prometheus";
  return metrics.prometheusOperator ? "prometheus-operator" : undefined;
}

export interface CustomObject {
  apiVersion: string;
  kind: string;
  spec: object;
}

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
    : {
        apiVersion,
        kind: "PodMonitor",
        spec: { selector: { matchLabels: selector }, podMetricsEndpoints: [endpoint] },
      };
}

/**
 * An exporter sidecar, hardened like the container it watches (same ids, read-only root, no capabilities).
 * Its probes check its own port only: an exporter reports `*_up 0` for a server it cannot reach rather than
 * failing (ready: its landing page answers; alive: its port accepts). Readiness every 2 s: the kubelet's first
 * probe can come before the exporter listens, and a pod is Ready only when every container is: a failed first probe
 * holds the whole pod unready for one more period (seen on the sandbox's node with 10 s, on memcached and mcrouter).
 */
export function exporterContainer(image: string, args: string[], port: number, ids: SecurityIds) {
  return {
    name: "exporter",
    image,
    args,
    ports: [{ name: METRICS_PORT_NAME, containerPort: port, protocol: "TCP" }],
    resources: guaranteedResources(EXPORTER_RESOURCES),
    securityContext: containerSecurityContext(ids),
    readinessProbe: { httpGet: { path: "/", port: METRICS_PORT_NAME }, periodSeconds: 2 },
    livenessProbe: {
      tcpSocket: { port: METRICS_PORT_NAME },
      initialDelaySeconds: 10,
      periodSeconds: 20,
      failureThreshold: 3,
    },
  };
}
