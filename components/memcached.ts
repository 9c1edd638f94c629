import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { MemcachedConfig, MetricsConfig, Target } from "../lib/config/schema";
import { MEMCACHED_PORT, METRICS_PORT } from "../lib/ports";
import { memcachedArgs, MEMCACHED_READINESS_COMMAND } from "../lib/tiers/memcachedArgs";
import { memcachedEndpoints, MemcachedPool } from "../lib/tiers/mcrouterConfig";
import { containerSecurityContext, guaranteedResources, podBase, spreadOverNodes } from "../lib/tiers/podSpec";
import { memcachedAlertGroups } from "../lib/metrics/alerts";
import { exporterContainer, memcachedExporterArgs } from "../lib/metrics/exporters";
import { memcachedResources } from "../lib/capacity/workloadResources";
import { MEMCACHED_COMPONENT, namespaceNamed } from "../lib/tiers/labels";
import { TierNamespace } from "./tierNamespace";

/** The official image's `memcache` user; the image names it, so it must be set as a number (K3). */
export const MEMCACHED_IDS = { uid: 11211, gid: 11211 };

export interface MemcachedArgs {
  config: MemcachedConfig;
  /** The only pods allowed to connect to memcached: mcrouter's namespace and pod labels. */
  clients: { namespace: string; podLabels: Record<string, string> };
  metrics: MetricsConfig;
  /** Decides the scrape object: PodMonitoring on GKE, PodMonitor (opt-in) elsewhere. */
  target: Target;
}

/** memcached as a StatefulSet behind a headless Service: every pod has a stable DNS name. */
export class Memcached extends pulumi.ComponentResource {
  public readonly namespace: string;
  public readonly serviceName: string;
  public readonly statefulSetName: string;
  /** DNS name of the headless Service (resolves to every ready pod). */
  public readonly serviceDns: string;
  /** `host:port` of each pod, in ordinal order. */
  public readonly endpoints: string[];
  public readonly pool: MemcachedPool;
  public readonly memoryLimitMib: number;
  public readonly podLabels: Record<string, string>;

  constructor(name: string, args: MemcachedArgs, opts?: pulumi.ComponentResourceOptions) {
    super("memcached-gke:cache:Memcached", name, {}, opts);
    const c = args.config;
    const m = args.metrics;
    const tier = new TierNamespace(
      `${name}-tier`,
      {
        namespace: c.namespace,
        component: MEMCACHED_COMPONENT,
        podSecurity: "restricted",
        allowDnsEgress: false,
      },
      { parent: this },
    );
    const { labels, selector } = tier;
    const meta = (objectName: string) => tier.metadata(objectName);
    const childOpts = tier.inNamespace(this);

    this.pool = {
      statefulSetName: MEMCACHED_COMPONENT,
      serviceName: MEMCACHED_COMPONENT,
      namespace: c.namespace,
      replicas: c.replicas,
      clusterDomain: c.clusterDomain,
      port: MEMCACHED_PORT,
    };
    const resources = memcachedResources(c);
    this.memoryLimitMib = resources.memoryMib;

    new k8s.core.v1.Service(
      `${name}-headless`,
      {
        metadata: meta(this.pool.serviceName),
        spec: {
          clusterIP: "None",
          // Pods get DNS records while starting, so mcrouter can resolve a pod the moment it is replaced.
          publishNotReadyAddresses: true,
          selector,
          ports: [{ name: "memcache", port: MEMCACHED_PORT, targetPort: "memcache", protocol: "TCP" }],
        },
      },
      childOpts,
    );

    const workload = new k8s.apps.v1.StatefulSet(
      `${name}-sts`,
      {
        metadata: tier.workloadMetadata(this.pool.statefulSetName),
        spec: {
          serviceName: this.pool.serviceName,
          replicas: c.replicas,
          // Scaling 3 -> 10 starts the 7 new pods at once; memcached pods share no state to order.
          podManagementPolicy: "Parallel",
          selector: { matchLabels: selector },
          updateStrategy: { type: "RollingUpdate" },
          template: {
            metadata: {
              labels,
              // The cluster autoscaler must not empty a node to save money: a moved memcached pod loses its cache.
              annotations: { "cluster-autoscaler.kubernetes.io/safe-to-evict": "false" },
            },
            spec: {
              ...podBase(tier.serviceAccountName, MEMCACHED_IDS),
              terminationGracePeriodSeconds: 30,
              topologySpreadConstraints: spreadOverNodes(MEMCACHED_COMPONENT, "DoNotSchedule"),
              containers: [
                {
                  name: "memcached",
                  image: c.image,
                  args: memcachedArgs({ ...c, port: MEMCACHED_PORT }),
                  ports: [{ name: "memcache", containerPort: MEMCACHED_PORT, protocol: "TCP" }],
                  resources: guaranteedResources(resources),
                  securityContext: containerSecurityContext(MEMCACHED_IDS),
                  // Ready when memcached answers its protocol; alive while it accepts connections.
                  readinessProbe: {
                    exec: { command: MEMCACHED_READINESS_COMMAND },
                    periodSeconds: 5,
                    timeoutSeconds: 3,
                    failureThreshold: 2,
                  },
                  livenessProbe: {
                    tcpSocket: { port: "memcache" },
                    initialDelaySeconds: 10,
                    periodSeconds: 10,
                    failureThreshold: 3,
                  },
                },
                ...(m.enabled
                  ? [exporterContainer(m.memcachedExporterImage, memcachedExporterArgs(), METRICS_PORT, MEMCACHED_IDS)]
                  : []),
              ],
            },
          },
        },
      },
      tier.forWorkload(this),
    );

    new k8s.policy.v1.PodDisruptionBudget(
      `${name}-pdb`,
      {
        metadata: meta(MEMCACHED_COMPONENT),
        spec: {
          maxUnavailable: 1,
          selector: { matchLabels: selector },
          // A crash-looping pod must not block node drains.
          unhealthyPodEvictionPolicy: "AlwaysAllow",
        },
      },
      childOpts,
    );

    tier.allowIngress(
      this,
      `${name}-from-mcrouter`,
      "allow-memcache-from-mcrouter",
      {
        namespaceSelector: namespaceNamed(args.clients.namespace),
        podSelector: { matchLabels: args.clients.podLabels },
      },
      MEMCACHED_PORT,
    );
    tier.exposeMetrics(this, name, {
      workload,
      metrics: m,
      target: args.target,
      port: METRICS_PORT,
      objectName: MEMCACHED_COMPONENT,
      alerts: (job) => memcachedAlertGroups(m, job),
    });

    this.podLabels = selector;
    this.namespace = c.namespace;
    this.serviceName = this.pool.serviceName;
    this.statefulSetName = this.pool.statefulSetName;
    this.serviceDns = `${this.serviceName}.${c.namespace}.svc.${c.clusterDomain}`;
    this.endpoints = memcachedEndpoints(this.pool);
    this.registerOutputs({
      namespace: this.namespace,
      serviceDns: this.serviceDns,
      endpoints: this.endpoints,
      memoryLimitMib: this.memoryLimitMib,
    });
  }
}
