import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { McrouterConfig, MetricsConfig, Target } from "../lib/config/schema";
import { MCROUTER_METRICS_PORT, MCROUTER_PORT } from "../lib/ports";
import { mcrouterAlertGroups } from "../lib/metrics/alerts";
import { CACHE_CLIENT_LABEL, MCROUTER_COMPONENT, namespaceNamed, selectorLabels } from "../lib/tiers/labels";
import {
  MCROUTER_CONFIG_DIR,
  MCROUTER_CONFIG_FILE,
  MCROUTER_VAR_DIR,
  mcrouterArgs,
  mcrouterReadinessCommand,
} from "../lib/tiers/mcrouterArgs";
import { mcrouterConfigJson, MemcachedPool } from "../lib/tiers/mcrouterConfig";
import { exporterContainer, mcrouterExporterArgs } from "../lib/metrics/exporters";
import { containerSecurityContext, guaranteedResources, podBase } from "../lib/tiers/podSpec";
import { mcrouterResources } from "../lib/capacity/workloadResources";
import { TierNamespace } from "./tierNamespace";

/** Labels of mcrouter pods: the memcached NetworkPolicy admits these alone. */
export const MCROUTER_POD_LABELS = selectorLabels(MCROUTER_COMPONENT);
/**
 * `nobody`. Wikimedia's image runs as its own user mcrouter (uid 778: production-images images/mcrouter
 * Dockerfile.template, USER; config.yaml); the pod names a numeric uid either way (K3), and uses nothing of the
 * image that user owns (the config comes from a ConfigMap, every file mcrouter writes goes to an emptyDir).
 */
export const MCROUTER_IDS = { uid: 65534, gid: 65534 };

export interface McrouterArgs {
  config: McrouterConfig;
  /** The memcached pods to shard over. */
  pool: MemcachedPool;
  /** Labels of the memcached pods, the only egress mcrouter needs besides DNS. */
  memcachedPodLabels: Record<string, string>;
  metrics: MetricsConfig;
  /** Decides the scrape object: PodMonitoring on GKE, PodMonitor (opt-in) elsewhere. */
  target: Target;
}

/**
 * mcrouter on every node (DaemonSet, hostPort 5000), sharding keys over every memcached pod with
 * consistent hashing. Apps talk to the mcrouter of their own node.
 */
export class Mcrouter extends pulumi.ComponentResource {
  public readonly namespace: string;
  public readonly daemonSetName: string;
  public readonly port: number;
  public readonly configMapName: string;
  /** DNS name of the node-local Service (internalTrafficPolicy: Local). */
  public readonly serviceDns: string;

  constructor(name: string, args: McrouterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("memcached-gke:cache:Mcrouter", name, {}, opts);
    const c = args.config;
    const m = args.metrics;
    const tier = new TierNamespace(
      `${name}-tier`,
      {
        namespace: c.namespace,
        component: MCROUTER_COMPONENT,
        // hostPort is forbidden from Pod Security "baseline" up: this namespace alone enforces "privileged"
        // (still warned and audited at "restricted"); the pods themselves are restricted-compliant otherwise.
        podSecurity: "privileged",
        allowDnsEgress: true,
      },
      { parent: this },
    );
    const { labels, selector } = tier;
    const meta = (objectName: string, annotations?: Record<string, string>) => tier.metadata(objectName, annotations);
    const childOpts = tier.inNamespace(this);

    // Explicit name + the provider's enableConfigMapMutable: a new server list is an in-place update of
    // this ConfigMap, which kubelet syncs into the mounted directory and mcrouter reloads on its own.
    this.configMapName = "mcrouter-config";
    const configMap = new k8s.core.v1.ConfigMap(
      `${name}-config`,
      {
        metadata: meta(this.configMapName),
        data: { [MCROUTER_CONFIG_FILE]: mcrouterConfigJson(args.pool) },
      },
      childOpts,
    );

    const workload = new k8s.apps.v1.DaemonSet(
      `${name}-ds`,
      {
        metadata: tier.workloadMetadata(MCROUTER_COMPONENT),
        spec: {
          selector: { matchLabels: selector },
          // hostPort: a new pod cannot start on a node until the old one is gone, so no surge.
          updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } },
          template: {
            metadata: { labels },
            spec: {
              ...podBase(tier.serviceAccountName, MCROUTER_IDS),
              terminationGracePeriodSeconds: 30,
              // Run on every node, tainted ones included: a node without mcrouter breaks its apps.
              tolerations: [{ operator: "Exists" }],
              containers: [
                {
                  name: "mcrouter",
                  image: c.image,
                  command: ["mcrouter"],
                  args: mcrouterArgs(c, MCROUTER_PORT),
                  ports: [{ name: "mcrouter", containerPort: MCROUTER_PORT, hostPort: MCROUTER_PORT, protocol: "TCP" }],
                  resources: guaranteedResources(mcrouterResources(c)),
                  securityContext: containerSecurityContext(MCROUTER_IDS),
                  // Ready when mcrouter answers its own protocol; alive while it accepts connections. Nothing
                  // downstream is probed (K2): a dead memcached pod must not unready every node's proxy.
                  // Every 2 s: Ready soon after it starts; unready after three misses in a row.
                  readinessProbe: {
                    exec: { command: mcrouterReadinessCommand(MCROUTER_PORT) },
                    periodSeconds: 2,
                    timeoutSeconds: 3,
                    failureThreshold: 3,
                  },
                  livenessProbe: {
                    tcpSocket: { port: "mcrouter" },
                    initialDelaySeconds: 10,
                    periodSeconds: 10,
                    failureThreshold: 3,
                  },
                  // Let clients notice the endpoint going away before the port closes.
                  lifecycle: { preStop: { sleep: { seconds: 5 } } },
                  volumeMounts: [
                    { name: "config", mountPath: MCROUTER_CONFIG_DIR, readOnly: true },
                    { name: "var", mountPath: MCROUTER_VAR_DIR },
                  ],
                },
                ...(m.enabled
                  ? [
                      exporterContainer(
                        m.mcrouterExporterImage,
                        mcrouterExporterArgs(),
                        MCROUTER_METRICS_PORT,
                        MCROUTER_IDS,
                      ),
                    ]
                  : []),
              ],
              volumes: [
                { name: "config", configMap: { name: this.configMapName } },
                { name: "var", emptyDir: { sizeLimit: "64Mi" } },
              ],
            },
          },
        },
      },
      tier.forWorkload(this, configMap),
    );

    new k8s.core.v1.Service(
      `${name}-local`,
      {
        // The provider would wait for endpoints and then 10 s more for them to "settle". The endpoints are
        // the DaemonSet's pods, whose readiness `pulumi up` already waits for.
        metadata: meta(MCROUTER_COMPONENT, { "pulumi.com/skipAwait": "true" }),
        spec: {
          selector,
          // Traffic stays on the client's node: the same mcrouter NODE_NAME:5000 reaches, by DNS.
          internalTrafficPolicy: "Local",
          ports: [{ name: "mcrouter", port: MCROUTER_PORT, targetPort: "mcrouter", protocol: "TCP" }],
        },
      },
      childOpts,
    );

    new k8s.networking.v1.NetworkPolicy(
      `${name}-policy`,
      {
        metadata: meta("allow-cache-clients"),
        spec: {
          podSelector: { matchLabels: selector },
          policyTypes: ["Ingress", "Egress"],
          ingress: [
            {
              from: [{ namespaceSelector: {}, podSelector: { matchLabels: CACHE_CLIENT_LABEL } }],
              ports: [{ protocol: "TCP", port: MCROUTER_PORT }],
            },
          ],
          egress: [
            {
              to: [
                {
                  namespaceSelector: namespaceNamed(args.pool.namespace),
                  podSelector: { matchLabels: args.memcachedPodLabels },
                },
              ],
              ports: [{ protocol: "TCP", port: args.pool.port }],
            },
          ],
        },
      },
      childOpts,
    );

    tier.exposeMetrics(this, name, {
      workload,
      metrics: m,
      target: args.target,
      port: MCROUTER_METRICS_PORT,
      objectName: MCROUTER_COMPONENT,
      alerts: (job) => mcrouterAlertGroups(args.metrics, job),
    });

    this.namespace = c.namespace;
    this.daemonSetName = MCROUTER_COMPONENT;
    this.port = MCROUTER_PORT;
    this.serviceDns = `${MCROUTER_COMPONENT}.${c.namespace}.svc.${args.pool.clusterDomain}`;
    this.registerOutputs({ namespace: this.namespace, port: this.port, serviceDns: this.serviceDns });
  }
}
