/** The Pulumi project's name (Pulumi.yaml `name`), also its config namespace and its objects' part-of label. */
export const PROJECT_NAME = "memcached-gke";

/** The runbooks, one section per alert: the default of metrics.runbookUrl (a path in this repository). */
export const RUNBOOK_DEFAULT = "docs/operations.md";
