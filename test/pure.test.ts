// Table tests of the pure functions behind the components.
import { describe, expect, it } from "vitest";
import { nodePoolShape, nodeServiceAccountId } from "../lib/gke/cluster";
import { mcrouterArgs, mcrouterReadinessCommand } from "../lib/tiers/mcrouterArgs";
import { mcrouterConfig, mcrouterConfigJson, memcachedEndpoints, MemcachedPool } from "../lib/tiers/mcrouterConfig";
import { memcachedArgs } from "../lib/tiers/memcachedArgs";
import { memcachedMemoryLimitMib } from "../lib/capacity/memcachedMemory";
import { DEFAULTS } from "../lib/config/schema";
import { parseStackConfig } from "../lib/config/validate";

const pool = (replicas: number): MemcachedPool => ({
  statefulSetName: "memcached",
  serviceName: "memcached",
  namespace: "cache",
  replicas,
  clusterDomain: "cluster.local",
  port: 11211,
});
const host = (i: number) => `memcached-${i}.memcached.cache.svc.cluster.local:11211`;
/** As mcrouter addresses it: fully qualified, with the trailing dot. */
const fqdn = (i: number) => `memcached-${i}.memcached.cache.svc.cluster.local.:11211`;

describe("mcrouterConfig", () => {
  it.each([
    [1, [0]],
    [3, [0, 1, 2]],
    [10, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]],
  ])(
    "lists all %i memcached pods by fully qualified DNS name, in ordinal order, under one ch3 PoolRoute",
    (replicas, ordinals) => {
      expect(mcrouterConfig(pool(replicas))).toEqual({
        pools: { memcached: { servers: ordinals.map(fqdn) } },
        route: { type: "PoolRoute", pool: "memcached", hash: { hash_func: "Ch3" } },
      });
      expect(memcachedEndpoints(pool(replicas))).toEqual(ordinals.map(host));
    },
  );

  it("uses the configured cluster domain and port", () => {
    expect(memcachedEndpoints({ ...pool(1), clusterDomain: "corp.example", port: 11311 })).toEqual([
      "memcached-0.memcached.cache.svc.corp.example:11311",
    ]);
  });

  it("renders the same bytes for the same pool, and different bytes for another size", () => {
    expect(mcrouterConfigJson(pool(3))).toBe(mcrouterConfigJson(pool(3)));
    expect(mcrouterConfigJson(pool(3))).not.toBe(mcrouterConfigJson(pool(4)));
    expect(JSON.parse(mcrouterConfigJson(pool(3)))).toEqual(mcrouterConfig(pool(3)));
  });
});

describe("memcachedArgs", () => {
  it.each([
    [
      { memoryMb: 64, maxItemSizeMb: 1, maxConnections: 256, threads: 4, port: 11211 },
      ["-m", "64", "-I", "1m", "-c", "256", "-t", "4", "-p", "11211", "-U", "0", "-o", "modern"],
    ],
    [
      { memoryMb: 8192, maxItemSizeMb: 8, maxConnections: 4096, threads: 8, port: 12000 },
      ["-m", "8192", "-I", "8m", "-c", "4096", "-t", "8", "-p", "12000", "-U", "0", "-o", "modern"],
    ],
  ])("builds %o", (input, expected) => {
    expect(memcachedArgs(input)).toEqual(expected);
  });
});

describe("mcrouterArgs", () => {
  it("passes the config as a watched file and every failure-detection flag", () => {
    expect(mcrouterArgs(DEFAULTS.mcrouter, 5000)).toEqual([
      "--port=5000",
      "--config=file:/etc/mcrouter/config.json",
      "--num-proxies=2",
      "--server-timeout=1000",
      "--timeouts-until-tko=3",
      "--probe-timeout-initial=3000",
      "--probe-timeout-max=10000",
      "--asynclog-disable",
      "--async-dir=/var/mcrouter",
      "--stats-root=/var/mcrouter/stats",
      "--debug-fifo-root=/var/mcrouter/fifos",
    ]);
  });
});

describe("mcrouterReadinessCommand", () => {
  it("asks mcrouter for its own version over its port, bounded, with bash and coreutils only", () => {
    expect(mcrouterReadinessCommand(5000)).toEqual([
      "bash",
      "-c",
      "exec 3<>/dev/tcp/127.0.0.1/5000 && printf 'get __mcrouter__.version\\r\\nquit\\r\\n' >&3 && timeout 2 cat <&3 | grep -q '^VALUE __mcrouter__.version '",
    ]);
  });
});

describe("memcachedMemoryLimitMib", () => {
  it.each([
    [64, 256, 80],
    [1024, 1024, 1100],
    [8192, 4096, 8674],
  ])("-m %i with -c %i gets a %i MiB limit", (memoryMb, maxConnections, limit) => {
    expect(memcachedMemoryLimitMib({ memoryMb, maxConnections })).toBe(limit);
  });

  it("keeps -m at least 85% of the limit for every committed stack's size", () => {
    for (const [memoryMb, maxConnections] of [
      [128, 256],
      [1024, 1024],
      [8192, 4096],
    ]) {
      expect(memoryMb / memcachedMemoryLimitMib({ memoryMb, maxConnections })).toBeGreaterThanOrEqual(0.85);
    }
  });
});

describe("GKE helpers", () => {
  it.each([
    ["memcached-dev", "memcached-dev-nodes"],
    // Cut, with a hash of the whole name: names that share their first 24 characters get different ids.
    ["a-very-long-cluster-name-for-production", "a-very-long-cluster-40a8-nodes"],
    ["a-very-long-cluster-name-with-dash-at-24", "a-very-long-cluster-3a1e-nodes"],
    ["memcached-production-eu", "memcached-production-eu-nodes"],
    ["c", "c-nodes"],
  ])("derives a valid service account id from %s", (cluster, id) => {
    expect(nodeServiceAccountId(cluster)).toBe(id);
    expect(id).toMatch(/^[a-z][-a-z0-9]{4,28}[a-z0-9]$/);
  });

  it.each([
    [
      { location: "us-central1-f", nodeCount: 3 },
      { nodeLocations: undefined, nodeCountPerZone: 3 },
    ],
    [
      { location: "us-central1", nodeLocations: ["us-central1-a", "us-central1-b", "us-central1-c"], nodeCount: 3 },
      { nodeLocations: ["us-central1-a", "us-central1-b", "us-central1-c"], nodeCountPerZone: 1 },
    ],
    [
      { location: "us-central1", nodeLocations: ["us-central1-a", "us-central1-b"], nodeCount: 6 },
      { nodeLocations: ["us-central1-a", "us-central1-b"], nodeCountPerZone: 3 },
    ],
  ])("turns the total %o into GKE's per-zone count", (cluster, shape) => {
    const config = parseStackConfig({ stack: "t", project: "my-project", cluster });
    expect(nodePoolShape(config.cluster!)).toEqual(shape);
  });
});
