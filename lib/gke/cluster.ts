import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { ClusterConfig } from "../config/schema";

/**
 * The node service account's roles: exactly what GKE nodes need to write logs and metrics and to pull
 * images from Artifact Registry (GKE's "least privilege" guidance), instead of the Compute Engine
 * default service account's Editor.
 */
export const NODE_SERVICE_ACCOUNT_ROLES = [
  "roles/container.defaultNodeServiceAccount",
  "roles/artifactregistry.reader",
] as const;

const SERVICE_ACCOUNT_ID_MAX = 30;
const NODES_SUFFIX = "-nodes";

/**
 * The node service account's id: `<cluster name>-nodes`. Ids are 6-30 characters of [a-z0-9-] starting with a
 * letter, so a name longer than 24 characters is cut, and a short hash of the whole name keeps two clusters whose
 * names share their first characters apart (their ids would collide: 409 on the second stack's account).
 */
export function nodeServiceAccountId(clusterName: string): string {
  const room = SERVICE_ACCOUNT_ID_MAX - NODES_SUFFIX.length;
  if (clusterName.length <= room) return `${clusterName}${NODES_SUFFIX}`.padEnd(6, "x");
  const hash = createHash("sha256").update(clusterName).digest("hex").slice(0, 4);
  return `${clusterName.slice(0, room - hash.length - 1).replace(/-+$/, "")}-${hash}${NODES_SUFFIX}`;
}

export interface NodePoolShape {
  /** Zones of the pool; undefined for a zonal cluster (the cluster's own zone). */
  nodeLocations: string[] | undefined;
  /** GKE's nodeCount is per zone. */
  nodeCountPerZone: number;
}

/** Turns the total node count of the config into GKE's per-zone count (validated to divide evenly). */
export function nodePoolShape(c: ClusterConfig): NodePoolShape {
  if (c.nodeLocations.length === 0) return { nodeLocations: undefined, nodeCountPerZone: c.nodeCount };
  return { nodeLocations: c.nodeLocations, nodeCountPerZone: c.nodeCount / c.nodeLocations.length };
}

/** The region of a zone (`us-central1-f`) or of a region (`us-central1`): where the cluster's Cloud NAT lives. */
export const regionOf = (location: string): string => location.replace(/^([a-z]+-[a-z]+[0-9]+)-[a-z]$/, "$1");

/** kubectl's name for a GKE cluster's context (what `gcloud container clusters get-credentials` writes). */
export const gkeContextName = (project: string, location: string, clusterName: string): string =>
  `gke_${project}_${location}_${clusterName}`;

/**
 * gke-gcloud-auth-plugin's flag to take its token from the application-default credentials (what
 * `gcloud auth application-default login`, workload identity federation or a CI's key file give, and what the
 * Google provider uses), not from gcloud's active account, which the plugin reads otherwise
 * (kubernetes/cloud-provider-gcp cmd/gke-gcloud-auth-plugin/cred/cred.go; PR #264).
 */
export const ADC_FLAG = "--use_application_default_credentials";

export interface KubeconfigInputs {
  context: string;
  /** Host name or address of the control-plane endpoint. */
  endpoint: pulumi.Input<string>;
  /**
   * The cluster's CA, for the IP endpoint. The DNS-based endpoint serves a publicly trusted certificate, so its
   * kubeconfig carries none (what `gcloud container clusters get-credentials --dns-endpoint` writes).
   */
  caCert?: pulumi.Input<string>;
}

/** A kubeconfig that authenticates with gke-gcloud-auth-plugin and the ADC: no static credential is stored. */
export function kubeconfigYaml(k: KubeconfigInputs): pulumi.Output<string> {
  const ca =
    k.caCert === undefined ? pulumi.output("") : pulumi.interpolate`    certificate-authority-data: ${k.caCert}\n`;
  return pulumi.interpolate`apiVersion: v1
kind: Config
clusters:
- name: ${k.context}
  cluster:
${ca}    server: https://${k.endpoint}
contexts:
- name: ${k.context}
  context:
    cluster: ${k.context}
    user: ${k.context}
current-context: ${k.context}
users:
- name: ${k.context}
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: gke-gcloud-auth-plugin
      args:
      - ${ADC_FLAG}
      installHint: Install gke-gcloud-auth-plugin (gcloud components install gke-gcloud-auth-plugin)
      provideClusterInfo: true
      interactiveMode: Never
`;
}
