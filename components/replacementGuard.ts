import * as pulumi from "@pulumi/pulumi";
import { ClusterConfig } from "../lib/config/schema";
import { identityFingerprint, clusterIdentity } from "../lib/gke/identity";
import { replacementGuardProvider } from "../lib/gke/replacementGuard";
import { CLUSTER_REPLACED_BY, ClusterIdentity } from "../lib/gke/requestRules";
import { PROJECT_NAME } from "../lib/project";

/** The config key that sets each identity field. */
const CONFIG_KEY_OF: Record<keyof ClusterIdentity, string> = {
  project: "gcp:project",
  name: "cluster.name",
  location: "cluster.location",
  network: "cluster.network",
  subnetwork: "cluster.subnetwork",
  masterIpv4CidrBlock: "cluster.masterIpv4CidrBlock",
  nodeServiceAccount: "cluster.name (the node service account's id)",
};

export interface ReplacementGuardArgs {
  project: string;
  cluster: Pick<
    ClusterConfig,
    "name" | "location" | "network" | "subnetwork" | "masterIpv4CidrBlock" | "acknowledgeReplacement"
  >;
}

/**
 * Refuses, in preview and before any step of `up`, a config change that would replace the GKE cluster or its node
 * pool (and so lose the cache), unless cluster.acknowledgeReplacement holds that very change's fingerprint.
 * Every GCP resource of the cluster waits for it. A Pulumi dynamic resource (lib/gke/replacementGuard.ts).
 */
export class ReplacementGuard extends pulumi.dynamic.Resource {
  constructor(name: string, args: ReplacementGuardArgs, opts?: pulumi.CustomResourceOptions) {
    const identity = clusterIdentity(args.project, args.cluster);
    const fields = Object.fromEntries(
      Object.entries(CLUSTER_REPLACED_BY).map(([k, why]) => [
        k,
        { key: CONFIG_KEY_OF[k as keyof ClusterIdentity], why },
      ]),
    );
    super(
      replacementGuardProvider,
      name,
      {
        identity,
        fingerprint: identityFingerprint(identity),
        acknowledged: args.cluster.acknowledgeReplacement,
        fields,
        acknowledgeKey: `${PROJECT_NAME}:cluster.acknowledgeReplacement`,
      },
      opts,
      "gke",
      "ReplacementGuard",
    );
  }
}
