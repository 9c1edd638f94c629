// How many connections memcached must accept: every mcrouter proxy thread on every node holds one to each
// memcached pod.

/** Connections beyond mcrouter's: probes, `kubectl exec` debugging, a stats scraper. */
export const CONNECTION_HEADROOM = 64;

/** Connections memcached must accept: one per mcrouter proxy thread per node, plus headroom. */
export function requiredMemcachedConnections(nodeCount: number, numProxies: number): number {
  return nodeCount * numProxies + CONNECTION_HEADROOM;
}
