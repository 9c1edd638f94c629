import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { RuleGroup, ruleObject, scrapeJob } from "../lib/metrics/alerts";
import {
  BACKGROUND_DELETION,
  OWNERSHIP_ANNOTATIONS,
  PodSecurityLevel,
  podSecurityLabels,
  namespaceNamed,
  selectorLabels,
  standardLabels,
} from "../lib/tiers/labels";
import { MetricsConfig, Target } from "../lib/config/schema";
import { DNS_PEERS } from "../lib/gke/requestRules";
import { metricsCollector, scrapeObject } from "../lib/metrics/exporters";

export interface TierMetrics {
  metrics: MetricsConfig;
  /** Decides the collector (metricsCollector): without one the port is open to the collector's namespace, nothing more. */
  target: Target;
  /** The exporter's port: the only one the collector is admitted to. */
  port: number;
  /** Name of the scrape and rule objects. */
  objectName: string;
  /** The workload whose pods the exporter runs in: the scrape and rule objects wait for it to be Ready. */
  workload: pulumi.Resource;
  /** The tier's alerts, given the scrape job the collector names its series by. */
  alerts: (job: string) => RuleGroup[];
}

export interface TierNamespaceArgs {
  namespace: string;
  component: string;
  /** Pod Security Admission level enforced on the namespace. */
  podSecurity: PodSecurityLevel;
  /** Whether pods of this tier resolve names (cluster DNS egress). */
  allowDnsEgress: boolean;
}

const KUBE_SYSTEM = namespaceNamed("kube-system");

/**
 * What every tier starts from: its own namespace with Pod Security labels, a dedicated ServiceAccount
 * without an API token, and a NetworkPolicy that denies all traffic the tier's own policies do not allow.
 */
export class TierNamespace extends pulumi.ComponentResource {
  public readonly namespace: string;
  public readonly serviceAccountName: string;
  /** Labels of every object and pod of the tier. */
  public readonly labels: Record<string, string>;
  /** The subset of `labels` that selects the tier's pods. */
  public readonly selector: Record<string, string>;
  /** What every object of the tier waits for: its namespace, and nothing else. */
  public readonly namespaceResource: k8s.core.v1.Namespace;
  /**
   * What the tier's workloads wait for besides: the ServiceAccount their pods run as (admission refuses a
   * pod whose ServiceAccount does not exist yet) and the NetworkPolicies, so no pod ever runs unconfined.
   */
  public readonly podPrerequisites: pulumi.Resource[];

  constructor(name: string, args: TierNamespaceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("memcached-gke:cache:TierNamespace", name, {}, opts);
    const labels = standardLabels(args.component);
    const ns = new k8s.core.v1.Namespace(
      `${name}-ns`,
      {
        metadata: {
          name: args.namespace,
          labels: { ...labels, ...podSecurityLabels(args.podSecurity) },
          annotations: OWNERSHIP_ANNOTATIONS,
        },
      },
      { parent: this },
    );
    const metadata = { namespace: args.namespace, labels, annotations: OWNERSHIP_ANNOTATIONS };
    const serviceAccount = new k8s.core.v1.ServiceAccount(
      `${name}-sa`,
      {
        metadata: { ...metadata, name: args.component },
        automountServiceAccountToken: false,
      },
      { parent: this, dependsOn: [ns], deletedWith: ns },
    );
    const defaultDeny = new k8s.networking.v1.NetworkPolicy(
      `${name}-default-deny`,
      {
        metadata: { ...metadata, name: "default-deny" },
        spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
      },
      { parent: this, dependsOn: [ns], deletedWith: ns },
    );
    this.podPrerequisites = [ns, serviceAccount, defaultDeny];
    if (args.allowDnsEgress) {
      this.podPrerequisites.push(
        new k8s.networking.v1.NetworkPolicy(
          `${name}-allow-dns`,
          {
            metadata: { ...metadata, name: "allow-dns-egress" },
            spec: {
              podSelector: {},
              policyTypes: ["Egress"],
              egress: [
                {
                  // kube-dns's pods, or NodeLocal DNSCache's on the node (GKE's default), which Dataplane V2
                  // redirects the kube-dns Service to before it evaluates policy (lib/gke/requestRules.ts DNS_PEERS).
                  to: [
                    { namespaceSelector: KUBE_SYSTEM, podSelector: { matchLabels: DNS_PEERS.kubeDnsLabels } },
                    { namespaceSelector: KUBE_SYSTEM, podSelector: { matchLabels: DNS_PEERS.nodeLocalDnsLabels } },
                    { ipBlock: { cidr: DNS_PEERS.nodeLocalDnsAddress } },
                  ],
                  ports: [
                    { protocol: "UDP", port: 53 },
                    { protocol: "TCP", port: 53 },
                  ],
                },
              ],
            },
          },
          { parent: this, dependsOn: [ns], deletedWith: ns },
        ),
      );
    }
    this.namespaceResource = ns;
    this.namespace = args.namespace;
    this.serviceAccountName = args.component;
    this.labels = labels;
    this.selector = selectorLabels(args.component);
    this.registerOutputs({ namespace: this.namespace, serviceAccountName: this.serviceAccountName });
  }

  /**
   * Options of an object of the tier: it waits for the namespace, and nothing else; and it goes with the namespace
   * (deletedWith): when the namespace is deleted, Kubernetes deletes what is in it, so the engine makes no API call
   * for it, and does not wait for it to be gone, before deleting the namespace.
   */
  inNamespace(parent: pulumi.Resource): pulumi.CustomResourceOptions {
    return { parent, dependsOn: [this.namespaceResource], deletedWith: this.namespaceResource };
  }

  /**
   * Options of a workload of the tier: it also waits for its pods' prerequisites, and for `more`. A workload is
   * deleted on its own, before its namespace (with background propagation: workloadMetadata): a namespace deleted
   * with pods still running in it is re-checked only after half their longest termination grace period plus 1 s
   * (Kubernetes v1.34.4 pkg/controller/namespace/namespace_controller.go L157-159, the estimate from
   * deletion/namespaced_resources_deleter.go L609-660).
   */
  forWorkload(parent: pulumi.Resource, ...more: pulumi.Resource[]): pulumi.CustomResourceOptions {
    return { parent, dependsOn: [...this.podPrerequisites, ...more] };
  }

  /** Metadata of a workload of the tier: an object's, deleted with background propagation. */
  workloadMetadata(objectName: string) {
    return this.metadata(objectName, BACKGROUND_DELETION);
  }

  /** A NetworkPolicy admitting `from` to the tier's pods, on `port` only. */
  allowIngress(
    parent: pulumi.Resource,
    resourceName: string,
    policyName: string,
    from: object | object[],
    port: number,
  ): k8s.networking.v1.NetworkPolicy {
    return new k8s.networking.v1.NetworkPolicy(
      resourceName,
      {
        metadata: this.metadata(policyName),
        spec: {
          podSelector: { matchLabels: this.selector },
          policyTypes: ["Ingress"],
          ingress: [{ from: Array.isArray(from) ? from : [from], ports: [{ protocol: "TCP", port }] }],
        },
      },
      this.inNamespace(parent),
    );
  }

  /**
   * With metrics enabled, what has the tier's exporter sidecars scraped and alerted on, as children of
   * `parent` named `name`-…: the NetworkPolicy that admits the collector's namespace to the metrics port alone
   * (GKE Managed Prometheus's collectors run in gmp-system; see README "Metrics"), and where a collector is
   * known its scrape object and its rule object.
   */
  exposeMetrics(parent: pulumi.Resource, name: string, t: TierMetrics): void {
    if (!t.metrics.enabled) return;
    this.allowIngress(
      parent,
      `${name}-metrics-scrape`,
      "allow-metrics-scrape",
      t.metrics.collectorNamespaces.map((ns) => ({ namespaceSelector: namespaceNamed(ns) })),
      t.port,
    );
    const collector = metricsCollector(t.target, t.metrics);
    if (!collector) return;
    const metadata = this.metadata(t.objectName);
    // After the workload is Ready: on a new GKE cluster the webhook that admits Rules may not serve yet (GKE10).
    const afterWorkload = { ...this.inNamespace(parent), dependsOn: [this.namespaceResource, t.workload] };
    new k8s.apiextensions.CustomResource(
      `${name}-scrape`,
      { ...scrapeObject(collector, this.selector), metadata },
      afterWorkload,
    );
    const alerts = t.alerts(scrapeJob(collector, this.namespace, t.objectName));
    new k8s.apiextensions.CustomResource(
      `${name}-alerts`,
      { ...ruleObject(collector, alerts), metadata },
      afterWorkload,
    );
  }

  /** Metadata of an object of the tier: its name, the tier's namespace, labels and annotations. */
  metadata(objectName: string, annotations: Record<string, string> = {}) {
    return {
      name: objectName,
      namespace: this.namespace,
      labels: this.labels,
      annotations: { ...OWNERSHIP_ANNOTATIONS, ...annotations },
    };
  }
}
