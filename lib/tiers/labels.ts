import { PROJECT_NAME } from "../project";

export const PART_OF = PROJECT_NAME;

/** Each tier's component name: its workload's and Service's name and its pods' app.kubernetes.io/name. */
export const MEMCACHED_COMPONENT = "memcached";
export const MCROUTER_COMPONENT = "mcrouter";
export const SAMPLE_APP_COMPONENT = "sample-app";

/**
 * Server-side apply ownership, on every object of the stack (pulumi-kubernetes annotations, read by the
 * provider; provider/pkg/provider/provider.go fieldManagerName and pkg/await/await.go patchForce):
 * - one stable field manager instead of a random one per resource state, so an object that exists without
 *   being in the state (a killed `pulumi up`) is the stack's own when the next run upserts it;
 * - forced apply, so the stack takes back the fields it declares from whoever changed them (`kubectl
 *   scale`, `kubectl edit`): the declared state wins. Fields the stack does not declare stay with their owner.
 */
export const OWNERSHIP_ANNOTATIONS = {
  "pulumi.com/patchFieldManager": PART_OF,
  "pulumi.com/patchForce": "true",
} as const;

/**
 * Workloads are deleted with background propagation: the object goes at once and Kubernetes ends its pods while
 * the engine goes on to delete the namespace, as `kubectl delete` does. The Kubernetes provider's default is
 * foreground, which waits for every pod to be gone first (pulumi-kubernetes v4.25.0
 * provider/pkg/metadata/overrides.go, DeletionPropagation; the annotation is the provider's documented override).
 */
export const BACKGROUND_DELETION = { "pulumi.com/deletionPropagationPolicy": "background" } as const;

/** Pods carrying this label may reach mcrouter's port; the mcrouter NetworkPolicy admits nothing else. */
export const CACHE_CLIENT_LABEL = { "memcached-gke.dev/cache-client": "true" } as const;

/** Selector labels: stable for the life of a workload (a selector change would replace it). */
export function selectorLabels(component: string): Record<string, string> {
  return { "app.kubernetes.io/name": component, "app.kubernetes.io/instance": PART_OF };
}

export function standardLabels(component: string): Record<string, string> {
  return {
    ...selectorLabels(component),
    "app.kubernetes.io/part-of": PART_OF,
    "app.kubernetes.io/managed-by": "pulumi",
  };
}

export type PodSecurityLevel = "restricted" | "baseline" | "privileged";

/** Pod Security Admission labels: enforce `enforce`, and warn/audit at restricted always. */
export function podSecurityLabels(enforce: PodSecurityLevel): Record<string, string> {
  return {
    "pod-security.kubernetes.io/enforce": enforce,
    "pod-security.kubernetes.io/enforce-version": "latest",
    "pod-security.kubernetes.io/warn": "restricted",
    "pod-security.kubernetes.io/audit": "restricted",
  };
}

/** A namespace selector for one namespace by name (the label Kubernetes sets on every namespace). */
export const namespaceNamed = (name: string) => ({ matchLabels: { "kubernetes.io/metadata.name": name } });
