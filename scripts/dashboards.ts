// Writes the Grafana dashboard (dashboards/memcached.grafana.json) from lib/metrics/dashboard.ts's panels, the same
// panels the GKE stack's Cloud Monitoring dashboard shows. `npm run gen:dashboards`; a test keeps it equal.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { grafanaDashboard } from "../lib/metrics/dashboard";

export const GRAFANA_DASHBOARD_FILE = join(__dirname, "..", "dashboards", "memcached.grafana.json");
export const grafanaDashboardText = (): string =>
  JSON.stringify(grafanaDashboard("memcached (memcached-gke)"), null, 2) + "\n";

if (require.main === module) {
  writeFileSync(GRAFANA_DASHBOARD_FILE, grafanaDashboardText());
  console.log(`[dashboards] wrote ${GRAFANA_DASHBOARD_FILE}`);
}
