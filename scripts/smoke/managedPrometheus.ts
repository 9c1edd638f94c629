// The smoke check's question to GKE's Managed Prometheus: has the managed collector scraped every exporter? Asked
// through Cloud Monitoring's Prometheus-compatible query API (Cloud Monitoring "Query using the Prometheus API":
// GET …/v1/projects/PROJECT/location/global/prometheus/api/v1/query, the Prometheus HTTP API's answer format).
import type { StackNamespaces } from "../../sandbox/stack";

export const MONITORING_API = "https://monitoring.googleapis.com/v1";

/** One instant vector: the value of each series, keyed by its pod (or instance) label. */
export type Query = (promql: string) => Promise<Record<string, number>>;

export function promQuery(
  base: string,
  project: string,
  token: string,
  promql: string,
): Promise<Record<string, number>> {
  const url = `${base}/projects/${encodeURIComponent(project)}/location/global/prometheus/api/v1/query?query=${encodeURIComponent(promql)}`;
  return fetch(url, { headers: { Authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(30_000) }).then(
    async (response) => {
      const body = await response.text();
      if (!response.ok) throw new Error(`${promql}: HTTP ${response.status} ${body.slice(0, 300)}`);
      const result = JSON.parse(body).data?.result ?? [];
      return Object.fromEntries(
        result.map((r: any) => [r.metric.pod ?? r.metric.instance ?? JSON.stringify(r.metric), Number(r.value[1])]),
      );
    },
  );
}

/**
 * What is missing from the collector's samples: per tier, `up` (the collector reached the exporter) and the
 * exporter's own `*_up` (the exporter reached memcached or mcrouter) must be 1 for as many pods as run.
 */
export async function managedPrometheusProblems(
  query: Query,
  ns: Pick<StackNamespaces, "memcached" | "mcrouter">,
  expected: { memcached: number; mcrouter: number },
): Promise<string[]> {
  const problems: string[] = [];
  const tiers = [
    { tier: "memcached", namespace: ns.memcached, series: "memcached_up", pods: expected.memcached },
    { tier: "mcrouter", namespace: ns.mcrouter, series: "mcrouter_up", pods: expected.mcrouter },
  ] as const;
  for (const { tier, namespace, series, pods } of tiers) {
    for (const name of ["up", series]) {
      const values = await query(`${name}{namespace="${namespace}"}`);
      const ones = Object.values(values).filter((v) => v === 1).length;
      if (ones < pods) problems.push(`${name} is 1 for ${ones} of ${pods} ${tier} pods (${JSON.stringify(values)})`);
    }
  }
  return problems;
}
