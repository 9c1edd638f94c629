// The default images of the stack, each pinned, with where its tag comes from.

/** The current memcached 1.6 release, official image (alpine: busybox sh, nc and timeout for the probe). */
export const MEMCACHED_IMAGE = "memcached:1.6.45-alpine";
/**
 * mcrouter has no official image. Wikimedia's is maintained (Debian bookworm, runs as its own non-root
 * user, rebuilt from Debian's mcrouter package); this tag is mcrouter 2023.07.17.00, rebuilt 2024-09-29.
 * See README, "The mcrouter image", for the choice and for building your own.
 */
export const MCROUTER_IMAGE = "docker-registry.wikimedia.org/mcrouter:2023.07.17.00-1-20240929";
/**
 * The Prometheus project's memcached exporter, v0.16.0 (2026-04-08, its CHANGELOG); the project publishes
 * every release on quay.io/prometheus and Docker Hub prom/ (busybox base, USER nobody). The tests build the
 * Go module of the same version (scripts/build-tools.sh MEMCACHED_EXPORTER_VERSION; a test compares them).
 */
export const MEMCACHED_EXPORTER_IMAGE = "quay.io/prometheus/memcached-exporter:v0.16.0";
/**
 * mcrouter's Prometheus exporter: Dev25/mcrouter_exporter 0.5.0 (2025-02-18, its CHANGELOG; the exporter
 * Wikimedia runs beside its mcrouters). Since 0.4.0 published as ghcr.io/dev25/mcrouter_exporter, tagged as its
 * release tags are named (0.x.y, no "v", per its release workflow); distroless base, ENTRYPOINT
 * /mcrouter_exporter. No registry is reachable here, so the tag is read from the project, not pulled: check it
 * (e.g. `crane digest`) and pin the digest in metrics.mcrouterExporterImage. See README, "Metrics".
 */
export const MCROUTER_EXPORTER_IMAGE = "ghcr.io/dev25/mcrouter_exporter:0.5.0";

/** The sample app: busybox (sh, nc, timeout for the data-path probe; httpd for its health endpoint). */
export const SAMPLE_APP_IMAGE = "busybox:1.37.0";
