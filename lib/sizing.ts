// Memory sizing for a memcached container. memcached's -m caps only the item slabs; the process also
// holds the hash table (8 bytes a bucket, doubling as items grow), per-thread caches, the LRU crawler
// and a read/write buffer per open connection. The limit must cover all of it, or the kernel kills the
// pod long before memcached starts evicting. The constants below were measured by
// `npm run bench:memory` (see README, "Memory sizing"); change them only with a new measurement.

/** Fixed overhead of an idle memcached 1.6 process (binary, libevent, initial hash table, threads). */
export const BASE_OVERHEAD_MIB = 16;
/** Hash table growth and slab fragmentation, as a fraction of -m. */
export const PROPORTIONAL_OVERHEAD = 0.08;
/** Resident memory of one open, idle client connection (read buffer + conn struct). */
export const PER_CONNECTION_KIB = 12;
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
  const overhead =
    BASE_OVERHEAD_MIB +
    memoryMb * PROPORTIONAL_OVERHEAD +
    (maxConnections * PER_CONNECTION_KIB) / 1024;
  return Math.ceil(memoryMb + overhead);
}

/** Kubernetes quantity for a MiB figure. */
export const mebibytes = (mib: number): string => `${mib}Mi`;
