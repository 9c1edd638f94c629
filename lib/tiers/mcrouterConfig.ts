export interface MemcachedPool {
  /** StatefulSet name: pods are `<statefulSetName>-<ordinal>`. */
  statefulSetName: string;
  /** Headless Service that is the StatefulSet's serviceName. */
  serviceName: string;
  namespace: string;
  replicas: number;
  /** Kubernetes cluster DNS domain, `cluster.local` unless the cluster was built otherwise. */
  clusterDomain: string;
  port: number;
}

/** Stable DNS name of one memcached pod, as the headless Service publishes it. */
export function memcachedPodHost(pool: MemcachedPool, ordinal: number): string {
  return `${pool.statefulSetName}-${ordinal}.${pool.serviceName}.${pool.namespace}.svc.${pool.clusterDomain}`;
}

/** `host:port` of every memcached pod, in ordinal order. Order matters: ch3 hashes by position. */
export function memcachedEndpoints(pool: MemcachedPool): string[] {
  return Array.from({ length: pool.replicas }, (_, i) => `${memcachedPodHost(pool, i)}:${pool.port}`);
}

/**
 * A memcached pod as mcrouter addresses it: the fully qualified name with a trailing dot, so the resolver
 * asks for it at once instead of walking the pod's search domains first (ndots 5: about five A and AAAA
 * lookups on the proxy thread before the right one, at every reconnect and probe).
 */
export const mcrouterServers = (pool: MemcachedPool): string[] =>
  Array.from({ length: pool.replicas }, (_, i) => `${memcachedPodHost(pool, i)}.:${pool.port}`);

export const MCROUTER_POOL_NAME = "memcached";

/**
 * mcrouter's routing config: one pool of every memcached pod, addressed by DNS name (pod IPs change on
 * restart, names do not), and a PoolRoute over it. PoolRoute's default hash is ch3 (consistent hashing),
 * so growing the pool from N to N+1 servers moves about 1/(N+1) of the keys.
 */
export function mcrouterConfig(pool: MemcachedPool): object {
  return {
    pools: {
      [MCROUTER_POOL_NAME]: { servers: mcrouterServers(pool) },
    },
    route: { type: "PoolRoute", pool: MCROUTER_POOL_NAME, hash: { hash_func: "Ch3" } },
  };
}

/** The config file content, stable byte for byte for the same input (so an unchanged pool is no diff). */
export function mcrouterConfigJson(pool: MemcachedPool): string {
  return JSON.stringify(mcrouterConfig(pool), null, 2) + "\n";
}
