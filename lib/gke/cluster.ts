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

/** Service account ids are 6-30 chars of [a-z0-9-], starting with a letter. */
export function nodeServiceAccountId(clusterName: string): string {
  const suffix = "-nodes";
  return `${clusterName.slice(0, 30 - suffix.length).replace(/-+$/, "")}${suffix}`.padEnd(6, "x");
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

export interface KubeconfigInputs {
  project: string;
  location: string;
  clusterName: string;
  endpoint: pulumi.Input<string>;
  caCert: pulumi.Input<string>;
}

/** kubectl's name for a GKE cluster's context, also the provider's stable cluster identity. */
export const gkeContextName = (project: string, location: string, clusterName: string): string =>
  `gke_${project}_${location}_${clusterName}`;

/** A kubeconfig that authenticates with gke-gcloud-auth-plugin: no static credential is stored. */
export function kubeconfigYaml(k: KubeconfigInputs): pulumi.Output<string> {
  const context = gkeContextName(k.project, k.location, k.clusterName);
  return pulumi.interpolate`apiVersion: v1
kind: Config
clusters:
- name: ${context}
  cluster:
    certificate-authority-data: ${k.caCert}
    server: https://${k.endpoint}
contexts:
- name: ${context}
  context:
    cluster: ${context}
    user: ${context}
current-context: ${context}
users:
- name: ${context}
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: gke-gcloud-auth-plugin
      installHint: Install gke-gcloud-auth-plugin (gcloud components install gke-gcloud-auth-plugin)
      provideClusterInfo: true
      interactiveMode: Never
`;
}
