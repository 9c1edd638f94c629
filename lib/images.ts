// The default images of the stack, each pinned by tag, with where that tag was found and what the image is. No
// registry is reachable where this repository is built and tested, so no tag here was pulled: each is read from
// the image's own build or release sources. Pin the digest on first pull: every image key takes `name:tag@sha256:…`
// (docs/design.md, "Images" is generated from this table).

export interface ImageDefault {
  ref: string;
  /** What it is, as its build sources show. */
  what: string;
  /** Where the tag was found: the newest one those sources show. */
  source: string;
}

export const IMAGES = {
  memcached: {
    ref: "memcached:1.6.45-alpine",
    what:
      "the official image (docker-library/memcached 1/alpine): Alpine 3.24, busybox sh, nc and timeout for the " +
      "readiness probe, user memcache uid/gid 11211, ENTRYPOINT docker-entrypoint.sh",
    source:
      "docker-library/official-images library/memcached at 37079fb3 (2026-08-21) lists 1.6.45-alpine. memcached 1.6.46 " +
      "(2026-11-28, mostly security fixes: memcached wiki ReleaseNotes1646) is newer, but no copy of the library file " +
      "reachable here lists its -alpine tag yet: check the file and set memcached.image to it once it does",
  },
  mcrouter: {
    ref: "docker-registry.wikimedia.org/mcrouter:2023.07.17.00-2-20260816",
    what:
      "Wikimedia's image (production-images images/mcrouter): mcrouter 2023.07.17.00 from Wikimedia's own apt " +
      "repository (Debian has no mcrouter package) on bookworm, user mcrouter uid 778, CMD /bin/entrypoint; " +
      "rebuilt weekly for Debian's security updates; amd64 only",
    source:
      "wikimedia/operations-docker-images-production-images images/mcrouter/changelog at 1c8db60a (2026-08-20): " +
      "its newest entry is 2023.07.17.00-2-20260816 (the image's tag is its changelog version)",
  },
  memcachedExporter: {
    ref: "quay.io/prometheus/memcached-exporter:v0.16.0",
    what:
      "the Prometheus project's exporter: busybox base, USER nobody, /bin/memcached_exporter; built and tested here " +
      "from the Go module of the same version (scripts/tool-versions.json MEMCACHED_EXPORTER_VERSION; a test compares them)",
    source:
      "prometheus/memcached_exporter at 17e002c (2026-07-19): newest tag v0.16.0 (CHANGELOG 2026-04-08), published " +
      "by its release workflow to quay.io/prometheus and Docker Hub prom/",
  },
  mcrouterExporter: {
    ref: "ghcr.io/dev25/mcrouter_exporter:0.5.0",
    what:
      "Dev25/mcrouter_exporter, the exporter Wikimedia runs beside its mcrouters: distroless base, ENTRYPOINT " +
      "/mcrouter_exporter, runs as root unless the pod says otherwise (the stack runs it as uid 65534)",
    source:
      "Dev25/mcrouter_exporter at 2a71bfb (2025-02-18, also its newest commit): tag 0.5.0; since 0.4.0 its release " +
      "workflow pushes ghcr.io/dev25/mcrouter_exporter:<tag>, tags without a v",
  },
  sampleApp: {
    ref: "busybox:1.37.0",
    what: "the official busybox image (glibc variant, defconfig): sh, nc (1.10-compatible, -w), timeout, httpd",
    source:
      "docker-library/official-images library/busybox at 37079fb3 (2026-08-21) maps 1.37.0 to latest-1/glibc on amd64",
  },
} satisfies Record<string, ImageDefault>;

export const MEMCACHED_IMAGE = IMAGES.memcached.ref;
export const MCROUTER_IMAGE = IMAGES.mcrouter.ref;
export const MEMCACHED_EXPORTER_IMAGE = IMAGES.memcachedExporter.ref;
export const MCROUTER_EXPORTER_IMAGE = IMAGES.mcrouterExporter.ref;
export const SAMPLE_APP_IMAGE = IMAGES.sampleApp.ref;
