// One memory measurement of memcached as a committed stack runs it: fill past -m, read RSS and evictions.
import * as os from "node:os";
import { memcachedMemoryLimitMib } from "../../lib/capacity/memcachedMemory";
import { fill, openConnections } from "./fill";
import { commandOn, parseStats, startMemcached } from "./memcachedProcess";
import { argValue, StackArtifacts } from "./stackArtifacts";

export interface MemoryMeasurement {
  stack: string;
  /** -m as measured, and as the stack runs it (larger where the measurement was capped). */
  memoryMb: number;
  stackMemoryMb: number;
  limitMib: number;
  peakRssMib: number;
  evictions: number;
  writtenMib: number;
}

/** Bytes written relative to -m: enough that memcached must evict. */
const OVERFILL = 1.3;

/**
 * Fills memcached started with the stack's exact args. `maxMemoryMb` caps -m (the rest of the args kept,
 * the limit recomputed by the same sizing function) where the machine cannot hold the stack's own -m with
 * room to spare: prod's 22 GiB on a 24 GiB machine would leave a few hundred MiB between a pass and an OOM.
 */
export async function measureFill(a: StackArtifacts, maxMemoryMb = Infinity): Promise<MemoryMeasurement> {
  const stackMemoryMb = Number(argValue(a.memcachedArgs, "-m"));
  const memoryMb = Math.min(stackMemoryMb, maxMemoryMb);
  const args = a.memcachedArgs.map((v, i) => (a.memcachedArgs[i - 1] === "-m" ? String(memoryMb) : v));
  const limitMib =
    memoryMb === stackMemoryMb
      ? a.memoryLimitMib
      : memcachedMemoryLimitMib({ memoryMb, maxConnections: Number(argValue(args, "-c")) });
  const availableMib = os.freemem() / 1024 / 1024;
  if (memoryMb + 256 > availableMib) {
    throw new Error(
      `${a.stack}: filling memcached at -m ${memoryMb} needs about ${memoryMb + 256} MiB of memory available; this machine has ${Math.floor(availableMib)} MiB`,
    );
  }
  const maxItemBytes = Number(argValue(a.memcachedArgs, "-I").replace(/m$/, "")) * 1024 * 1024;
  const server = await startMemcached(args);
  try {
    const written = await fill(server.port, memoryMb * 1024 * 1024 * OVERFILL, maxItemBytes);
    const stats = await server.stats();
    return {
      stack: a.stack,
      memoryMb,
      stackMemoryMb,
      limitMib,
      peakRssMib: server.memory().peakRssKib / 1024,
      evictions: Number(stats.evictions),
      writtenMib: written.bytes / 1024 / 1024,
    };
  } finally {
    await server.stop();
  }
}

export interface ConnectionMeasurement {
  stack: string;
  /** memcached's -c. */
  maxConnections: number;
  /** Client connections memcached accepted before turning new ones away. */
  accepted: number;
  perConnectionKib: number;
  rssMib: number;
  limitMib: number;
}

/** Opens as many connections as memcached accepts, on an empty memcached, and reports what each costs. */
export async function measureConnections(a: StackArtifacts): Promise<ConnectionMeasurement> {
  const maxConnections = Number(argValue(a.memcachedArgs, "-c"));
  const server = await startMemcached(a.memcachedArgs);
  try {
    const before = server.memory().rssKib;
    const sockets = await openConnections(server.port, maxConnections);
    const after = server.memory().rssKib;
    // memcached accepts no new connection at -c: ask on one that is already open.
    const stats = parseStats(await commandOn(sockets[0], "stats\r\n"));
    sockets.forEach((s) => s.destroy());
    if (Number(stats.curr_connections) < sockets.length) {
      throw new Error(`memcached reports ${stats.curr_connections} connections, ${sockets.length} are open`);
    }
    return {
      stack: a.stack,
      maxConnections,
      accepted: sockets.length,
      perConnectionKib: (after - before) / sockets.length,
      rssMib: after / 1024,
      limitMib: a.memoryLimitMib,
    };
  } finally {
    await server.stop();
  }
}
