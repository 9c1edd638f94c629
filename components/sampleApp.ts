import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { SampleAppConfig } from "../lib/config/schema";
import { MCROUTER_PORT } from "../lib/ports";
import { DATA_PATH_CHECK_SCRIPT } from "../lib/tiers/dataPathCheck";
import { sampleAppCommand } from "../lib/tiers/sampleApp";
import { CACHE_CLIENT_LABEL, SAMPLE_APP_COMPONENT } from "../lib/tiers/labels";
import { containerSecurityContext, guaranteedResources, podBase, spreadOverNodes } from "../lib/tiers/podSpec";
import { SAMPLE_APP_RESOURCES } from "../lib/capacity/workloadResources";
import { TierNamespace } from "./tierNamespace";

export const SAMPLE_APP_IDS = { uid: 65534, gid: 65534 };
const HEALTH_PORT = 8080;

export interface SampleAppArgs {
  config: SampleAppConfig;
}

/**
 * The tutorial's sample application: pods that find the mcrouter of their own node through NODE_NAME
 * (spec.nodeName) and prove the whole data path before they count as started.
 */
export class SampleApp extends pulumi.ComponentResource {
  public readonly namespace: string;
  public readonly deploymentName: string;

  constructor(name: string, args: SampleAppArgs, opts?: pulumi.ComponentResourceOptions) {
    super("memcached-gke:cache:SampleApp", name, {}, opts);
    const c = args.config;
    const tier = new TierNamespace(
      `${name}-tier`,
      {
        namespace: c.namespace,
        component: SAMPLE_APP_COMPONENT,
        podSecurity: "restricted",
        allowDnsEgress: true,
      },
      { parent: this },
    );
    const { labels, selector } = tier;
    const meta = (objectName: string) => tier.metadata(objectName);
    const childOpts = tier.inNamespace(this);
    this.deploymentName = SAMPLE_APP_COMPONENT;

    new k8s.apps.v1.Deployment(
      `${name}-deployment`,
      {
        metadata: tier.workloadMetadata(this.deploymentName),
        spec: {
          replicas: c.replicas,
          selector: { matchLabels: selector },
          strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: 0 } },
          template: {
            metadata: { labels: { ...labels, ...CACHE_CLIENT_LABEL } },
            spec: {
              ...podBase(tier.serviceAccountName, SAMPLE_APP_IDS),
              topologySpreadConstraints: spreadOverNodes(SAMPLE_APP_COMPONENT, "ScheduleAnyway"),
              containers: [
                {
                  name: "app",
                  image: c.image,
                  command: sampleAppCommand(HEALTH_PORT),
                  env: [
                    { name: "NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } },
                    // The node's IP needs no DNS: the choice for clients that cannot resolve node names.
                    { name: "HOST_IP", valueFrom: { fieldRef: { fieldPath: "status.hostIP" } } },
                    { name: "MCROUTER_PORT", value: String(MCROUTER_PORT) },
                  ],
                  ports: [{ name: "http", containerPort: HEALTH_PORT, protocol: "TCP" }],
                  resources: guaranteedResources(SAMPLE_APP_RESOURCES),
                  securityContext: containerSecurityContext(SAMPLE_APP_IDS),
                  // The data path is checked once, at start: a pod is Ready only after it stored and read a key
                  // through its node's mcrouter. A later mcrouter restart does not unready running pods, whose
                  // readiness only depends on themselves (clients retry instead). Both probe every 2 s: a pod is
                  // Ready within 2 s of its data path working (the readiness probe starts only once the startup
                  // probe has passed), for the same 5 minutes of patience.
                  startupProbe: {
                    exec: { command: ["sh", "-c", DATA_PATH_CHECK_SCRIPT] },
                    periodSeconds: 2,
                    timeoutSeconds: 8,
                    failureThreshold: 150,
                  },
                  readinessProbe: { httpGet: { path: "/ready", port: "http" }, periodSeconds: 2 },
                  livenessProbe: {
                    httpGet: { path: "/healthz", port: "http" },
                    periodSeconds: 20,
                    failureThreshold: 3,
                  },
                  volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
                },
              ],
              volumes: [{ name: "tmp", emptyDir: { sizeLimit: "16Mi" } }],
            },
          },
        },
      },
      tier.forWorkload(this),
    );

    new k8s.policy.v1.PodDisruptionBudget(
      `${name}-pdb`,
      {
        metadata: meta(SAMPLE_APP_COMPONENT),
        spec: { maxUnavailable: 1, selector: { matchLabels: selector }, unhealthyPodEvictionPolicy: "AlwaysAllow" },
      },
      childOpts,
    );

    new k8s.networking.v1.NetworkPolicy(
      `${name}-policy`,
      {
        metadata: meta("allow-mcrouter-egress"),
        spec: {
          podSelector: { matchLabels: selector },
          policyTypes: ["Ingress", "Egress"],
          // Nothing may connect in; the kubelet's probes are not subject to NetworkPolicy.
          ingress: [],
          // mcrouter is reached at the node's address (hostPort), which no pod selector can name.
          egress: [{ ports: [{ protocol: "TCP", port: MCROUTER_PORT }] }],
        },
      },
      childOpts,
    );

    this.namespace = c.namespace;
    this.registerOutputs({ namespace: this.namespace, deploymentName: this.deploymentName });
  }
}
