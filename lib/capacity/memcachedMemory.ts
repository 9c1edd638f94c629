// Memory sizing for a memcached container. memcached's -m caps only the item slabs; the process also
// holds the hash table (8 bytes a bucket, doubling as items grow), per-thread caches, the LRU crawler
// and a read/write buffer per open connection. The limit must cover all of it, or the kernel kills the
// pod long before memcached starts evicting. The constants below were measured by
// `npm run bench:memory` (see README, "Memory sizing"); change them only with a new measurement.

/** Fixed overhead of an idle memcached 1.6 process (binary, libevent, initial hash table, threads): 5-6 MiB measured. */
export const BASE_OVERHEAD_MIB = 8;
/** Hash table growth (8 bytes a bucket, up to 1.5 buckets an item) and slab metadata, as a fraction of -m. */
export const PROPORTIONAL_OVERHEAD = 0.05;
/**
 * Resident memory of one client connection. Idle ones measured 0.6-1.3 KiB; one with a request in flight
 * holds a 16 KiB read buffer, which is what we size for.
 */
export const PER_CONNECTION_KIB = 16;
/** Below this -m the fixed overhead dominates and the limit formula stops making sense. */
export const MIN_MEMORY_MB = 64;

export interface MemoryInputs {
  /** memcached -m, in MiB (memcached's "megabytes" are MiB). */
  memoryMb: number;
  /** memcached -c. Each connection costs memory only while open; size for all of them open. */
  maxConnections: number;
}

/** The container memory limit (and request), in MiB, for memcached started with these arguments. */
export function memcachedMemoryLimitMib({ memoryMb, maxConnections }: MemoryInputs): number {
  const overhead = BASE_OVERHEAD_MIB + memoryMb * PROPORTIONAL_OVERHEAD + (maxConnections * PER_CONNECTION_KIB) / 1024;
  return Math.ceil(memoryMb + overhead);
}
