// Fills a memcached past its -m with a realistic mix of value sizes, pipelining `set ... noreply`.
import * as net from "node:net";

/** Deterministic PRNG (mulberry32) so every run writes the same keys and sizes. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Value sizes of a typical web cache: many small fragments and objects, some pages, a few large blobs.
 * [share of items, min bytes, max bytes]
 */
export const VALUE_SIZE_MIX: ReadonlyArray<readonly [number, number, number]> = [
  [0.45, 50, 500],
  [0.3, 500, 4096],
  [0.2, 4096, 32768],
  [0.05, 32768, 262144],
];

export function valueSize(random: () => number, maxItemBytes: number): number {
  let r = random();
  for (const [share, min, max] of VALUE_SIZE_MIX) {
    if (r < share) return Math.min(maxItemBytes - 512, Math.floor(min + random() * (max - min)));
    r -= share;
  }
  return VALUE_SIZE_MIX[0][1];
}

export interface FillResult {
  items: number;
  bytes: number;
}

/** Writes `totalBytes` of values over `connections` parallel pipelined connections. */
export async function fill(
  port: number,
  totalBytes: number,
  maxItemBytes: number,
  connections = 4,
  seed = 1,
): Promise<FillResult> {
  const filler = new Array(300_000).fill("x").join("");
  const perConnection = Math.ceil(totalBytes / connections);
  const results = await Promise.all(
    Array.from(
      { length: connections },
      (_, c) =>
        new Promise<FillResult>((resolve, reject) => {
          const random = prng(seed * 1000 + c);
          const socket = net.connect(port, "127.0.0.1");
          let bytes = 0;
          let items = 0;
          const pump = () => {
            while (bytes < perConnection) {
              const size = valueSize(random, maxItemBytes);
              const key = `fill:${c}:${items}`;
              items++;
              bytes += size;
              const more = socket.write(`set ${key} 0 0 ${size} noreply\r\n${filler.slice(0, size)}\r\n`);
              if (!more) return void socket.once("drain", pump);
            }
            // A final acknowledged command: every earlier noreply set has been processed once it answers.
            socket.write("version\r\n");
          };
          socket.on("connect", pump);
          socket.on("data", (d) => {
            if (d.toString().includes("VERSION")) {
              socket.end();
              resolve({ items, bytes });
            }
            if (d.toString().includes("ERROR")) {
              socket.destroy();
              reject(new Error(`memcached rejected a set: ${d}`));
            }
          });
          socket.on("error", reject);
        }),
    ),
  );
  return results.reduce((a, r) => ({ items: a.items + r.items, bytes: a.bytes + r.bytes }), { items: 0, bytes: 0 });
}

/**
 * Opens `count` connections and sends one request on each, so memcached allocates their buffers. Those
 * memcached turns away at its -c limit ("ERROR Too many open connections") are closed and not returned.
 */
export async function openConnections(port: number, count: number): Promise<net.Socket[]> {
  const accepted: net.Socket[] = [];
  const batch = 200;
  for (let i = 0; i < count; i += batch) {
    const opened = await Promise.all(
      Array.from(
        { length: Math.min(batch, count - i) },
        () =>
          new Promise<net.Socket | undefined>((resolve, reject) => {
            const s = net.connect(port, "127.0.0.1", () => s.write("get conn-check\r\n"));
            s.once("data", (d) => {
              if (d.toString().startsWith("END")) return resolve(s);
              s.destroy();
              resolve(undefined);
            });
            s.on("error", reject);
          }),
      ),
    );
    accepted.push(...opened.filter((s): s is net.Socket => s !== undefined));
  }
  return accepted;
}
