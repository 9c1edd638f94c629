// The cache's dashboard, declared once as panels of PromQL over the exporters' metrics, and rendered
// for Cloud Monitoring (a custom dashboard whose charts take PromQL: Dashboards API, TimeSeriesQuery
// .prometheusQuery) and for Grafana (dashboards/memcached.grafana.json, generated: npm run gen:dashboards).
import { PROJECT_NAME } from "../project";

export interface Panel {
  title: string;
  /** One line per query; `legend` names it in Grafana, Cloud Monitoring labels series by their labels. */
  queries: Array<{ expr: string; legend: string }>;
  unit: "percentunit" | "ops" | "bytes" | "short";
}

const WINDOW = "5m";

export const PANELS: Panel[] = [
  {
    title: "Hit ratio (gets)",
    queries: [
      {
        expr: `sum(rate(memcached_commands_total{command="get",status="hit"}[${WINDOW}])) / sum(rate(memcached_commands_total{command="get"}[${WINDOW}]))`,
        legend: "hit ratio",
      },
    ],
    unit: "percentunit",
  },
  {
    title: "Operations per second",
    queries: [{ expr: `sum by (command) (rate(memcached_commands_total[${WINDOW}]))`, legend: "{{command}}" }],
    unit: "ops",
  },
  {
    title: "Evictions per second",
    queries: [{ expr: `sum by (instance) (rate(memcached_items_evicted_total[${WINDOW}]))`, legend: "{{instance}}" }],
    unit: "ops",
  },
  {
    title: "Bytes used vs -m",
    queries: [
      { expr: "sum by (instance) (memcached_current_bytes)", legend: "used {{instance}}" },
      { expr: "sum by (instance) (memcached_limit_bytes)", legend: "-m {{instance}}" },
    ],
    unit: "bytes",
  },
  {
    title: "Connections vs -c",
    queries: [
      { expr: "sum by (instance) (memcached_current_connections)", legend: "open {{instance}}" },
      { expr: "sum by (instance) (memcached_max_connections)", legend: "-c {{instance}}" },
    ],
    unit: "short",
  },
  {
    title: "memcached up",
    queries: [{ expr: "memcached_up", legend: "{{instance}}" }],
    unit: "short",
  },
  {
    // How many mcrouters (one a node) mark each memcached server TKO: its keys miss through them.
    title: "memcached servers marked TKO by mcrouter",
    queries: [
      { expr: "sum by (server) (mcrouter_server_memcached_hard_tko)", legend: "hard {{server}}" },
      { expr: "sum by (server) (mcrouter_server_memcached_soft_tko)", legend: "soft {{server}}" },
    ],
    unit: "short",
  },
  {
    title: "mcrouter up",
    queries: [{ expr: "mcrouter_up", legend: "{{instance}}" }],
    unit: "short",
  },
];

/** Two panels a row, each half of Cloud Monitoring's 48-column grid. */
const GRID = { columns: 48, width: 24, height: 16 };

export function cloudMonitoringDashboard(displayName: string, panels: Panel[] = PANELS): object {
  return {
    displayName,
    mosaicLayout: {
      columns: GRID.columns,
      tiles: panels.map((p, i) => ({
        xPos: (i % 2) * GRID.width,
        yPos: Math.floor(i / 2) * GRID.height,
        width: GRID.width,
        height: GRID.height,
        widget: {
          title: p.title,
          xyChart: {
            dataSets: p.queries.map((q) => ({ timeSeriesQuery: { prometheusQuery: q.expr }, plotType: "LINE" })),
            yAxis: { scale: "LINEAR" },
          },
        },
      })),
    },
  };
}

/** A Grafana dashboard (schema 39) reading a Prometheus data source chosen at import (`${DS_PROMETHEUS}`). */
export function grafanaDashboard(title: string, panels: Panel[] = PANELS): object {
  const datasource = { type: "prometheus", uid: "${DS_PROMETHEUS}" };
  return {
    __inputs: [
      {
        name: "DS_PROMETHEUS",
        label: "Prometheus",
        type: "datasource",
        pluginId: "prometheus",
        pluginName: "Prometheus",
      },
    ],
    title,
    uid: PROJECT_NAME,
    schemaVersion: 39,
    time: { from: "now-6h", to: "now" },
    refresh: "30s",
    panels: panels.map((p, i) => ({
      id: i + 1,
      type: "timeseries",
      title: p.title,
      datasource,
      gridPos: { x: (i % 2) * 12, y: Math.floor(i / 2) * 8, w: 12, h: 8 },
      fieldConfig: { defaults: { unit: p.unit }, overrides: [] },
      targets: p.queries.map((q, j) => ({
        refId: String.fromCharCode(65 + j),
        datasource,
        expr: q.expr,
        legendFormat: q.legend,
      })),
    })),
  };
}

/** The console page of a custom dashboard; its resource id is projects/<number>/dashboards/<dashboard id>. */
export const dashboardConsoleUrl = (project: string, id: string): string =>
  `https://console.cloud.google.com/monitoring/dashboards/custom/${id.split("/").pop()}?project=${project}`;
