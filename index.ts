// Wiring only: read the config, build the components, export what users need.
import * as k8s from "@pulumi/kubernetes";
import { GkeCluster } from "./components/gkeCluster";
import { Mcrouter, MCROUTER_POD_LABELS } from "./components/mcrouter";
import { Memcached } from "./components/memcached";
import { MetricsDashboard } from "./components/metricsDashboard";
import { ProjectApis } from "./components/projectApis";
import { SampleApp } from "./components/sampleApp";
import { SAMPLE_APP_COMPONENT } from "./lib/tiers/labels";
import {
  MCROUTER_CHECK_SERIES,
  mcrouterCheckCommand,
  MEMCACHED_CHECK_SERIES,
  metricsCheckCommand,
} from "./lib/commands";
import { MCROUTER_METRICS_PORT, METRICS_PORT } from "./lib/ports";
import { KUBERNETES_PROVIDER_OPTIONS } from "./lib/kubernetesProvider";
import { readStackConfig } from "./lib/config/stackConfig";
import { apisFor, CLUSTER_TYPES, GCP } from "./lib/gke/requestRules";

const config = readStackConfig();
// With deletion protection every resource is protected (children inherit it): `pulumi destroy` deletes
// dependents before it reaches a protected resource, so protecting the cluster alone would lose the cache first.
const protect = config.cluster?.deletionProtection === true;

const apis =
  config.cluster &&
  new ProjectApis(
    "apis",
    {
      project: config.project,
      services: apisFor([...CLUSTER_TYPES, ...(config.metrics.enabled ? [GCP.dashboard] : [])]),
    },
    { protect },
  );
const gke =
  config.cluster &&
  apis &&
  new GkeCluster(
    "gke",
    {
      project: config.project,
      cluster: config.cluster,
      managedPrometheus: config.metrics.enabled,
      apisReady: apis.ready,
    },
    { protect },
  );
const provider =
  gke?.provider ??
  new k8s.Provider("existing", {
    kubeconfig: config.existingCluster?.kubeconfig || undefined,
    context: config.existingCluster?.context || undefined,
    renderYamlToDirectory: config.existingCluster?.renderYamlToDirectory || undefined,
    ...KUBERNETES_PROVIDER_OPTIONS,
  });
const opts = { providers: [provider], protect };

const memcached = new Memcached(
  "memcached",
  {
    config: config.memcached,
    clients: { namespace: config.mcrouter.namespace, podLabels: MCROUTER_POD_LABELS },
    metrics: config.metrics,
    target: config.target,
  },
  opts,
);
const mcrouter = new Mcrouter(
  "mcrouter",
  {
    config: config.mcrouter,
    pool: memcached.pool,
    memcachedPodLabels: memcached.podLabels,
    metrics: config.metrics,
    target: config.target,
  },
  opts,
);
// Created alongside the cache, not after it: the app's startup probe, not the creation order, is what
// holds its pods back until the data path works.
const app = new SampleApp("sample-app", { config: config.sampleApp }, opts);

const dashboard =
  config.cluster && apis && config.metrics.enabled
    ? new MetricsDashboard(
        "dashboard",
        { project: config.project, displayName: `memcached (${config.cluster.name})`, apisReady: apis.ready },
        { protect },
      )
    : undefined;

export const clusterName = gke?.clusterName;
export const clusterLocation = gke?.location;
export const nodeCount = config.nodeCount;
export const kubeconfig = gke?.kubeconfig;
export const gcpProject = config.cluster ? config.project : undefined;
export const nodeLocalDnsCache = config.cluster?.nodeLocalDnsCache;
/** Target existing: the kubeconfig and context as configured (empty: $KUBECONFIG or ~/.kube/config, its current). */
export const existingCluster = config.existingCluster && {
  kubeconfig: config.existingCluster.kubeconfig,
  context: config.existingCluster.context,
};
export const namespace = memcached.namespace;
/** Each tier's namespace: where the sandbox's checks and `npm run smoke` look. */
export const namespaces = { memcached: memcached.namespace, mcrouter: mcrouter.namespace, sampleApp: app.namespace };
export const memcachedServiceDns = memcached.serviceDns;
export const memcachedEndpoints = memcached.endpoints;
export const mcrouterPort = mcrouter.port;
export const mcrouterServiceDns = mcrouter.serviceDns;
export const checkCommand = mcrouterCheckCommand(app.namespace, SAMPLE_APP_COMPONENT);
export const metricsCommand = config.metrics.enabled
  ? metricsCheckCommand(memcached.namespace, `pod/${memcached.statefulSetName}-0`, METRICS_PORT, MEMCACHED_CHECK_SERIES)
  : undefined;
export const mcrouterMetricsCommand = config.metrics.enabled
  ? metricsCheckCommand(
      mcrouter.namespace,
      `ds/${mcrouter.daemonSetName}`,
      MCROUTER_METRICS_PORT,
      MCROUTER_CHECK_SERIES,
    )
  : undefined;
export const dashboardUrl = dashboard?.url;
