/** Options every Kubernetes provider of this stack shares, whether on GKE or on an existing cluster. */
export const KUBERNETES_PROVIDER_OPTIONS = {
  // The mcrouter ConfigMap is updated in place so mcrouter reloads it without a restart (see README).
  enableConfigMapMutable: true,
  deleteUnreachable: false,
} as const;
