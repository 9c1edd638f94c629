/** The Pulumi project's name (Pulumi.yaml `name`), also its config namespace and its objects' part-of label. */
export const PROJECT_NAME = "memcached-gke";
