// What a GKE cluster is, for everything that cannot change in place (CLUSTER_REPLACED_BY): the values that,
// changed, replace the cluster or its node pool, and with them the cache.
import { createHash } from "node:crypto";
import { ClusterConfig } from "../config/schema";
import { gkeContextName, nodeServiceAccountId } from "./cluster";
import { CLUSTER_REPLACED_BY, ClusterIdentity } from "./requestRules";

/** The network a cluster gets when cluster.network is left at its default (GKE's and the provider's default). */
export const DEFAULT_NETWORK = "default";

export function clusterIdentity(
  project: string,
  c: Pick<ClusterConfig, "name" | "location" | "network" | "subnetwork" | "masterIpv4CidrBlock">,
): ClusterIdentity {
  return {
    project,
    name: c.name,
    location: c.location,
    network: c.network,
    subnetwork: c.subnetwork,
    masterIpv4CidrBlock: c.masterIpv4CidrBlock,
    nodeServiceAccount: nodeServiceAccountId(c.name),
  };
}

/** A short digest of an identity: what cluster.acknowledgeReplacement must hold to let that replacement happen. */
export const identityFingerprint = (identity: ClusterIdentity): string =>
  createHash("sha256")
    .update(JSON.stringify(Object.keys(CLUSTER_REPLACED_BY).map((k) => identity[k as keyof ClusterIdentity])))
    .digest("hex")
    .slice(0, 8);

/**
 * The Kubernetes provider's clusterIdentifier: a new endpoint or CA updates the provider in place, while a new
 * cluster (any field that replaces it) replaces the provider and so every object deployed through it, which is
 * then created on the new cluster instead of staying in the state only (pulumi-kubernetes v4.25.0
 * provider/pkg/provider/provider.go L408-439, DiffConfig: no replacement while clusterIdentifier is unchanged).
 * Fields at their default add nothing, so the identifier of a cluster that never moved stays kubectl's context name.
 */
export function kubernetesClusterIdentifier(identity: ClusterIdentity): string {
  const extras = [
    identity.network !== DEFAULT_NETWORK ? `network=${identity.network}` : "",
    identity.subnetwork ? `subnetwork=${identity.subnetwork}` : "",
    identity.masterIpv4CidrBlock ? `masterIpv4CidrBlock=${identity.masterIpv4CidrBlock}` : "",
  ].filter(Boolean);
  return [gkeContextName(identity.project, identity.location, identity.name), ...extras].join("/");
}
