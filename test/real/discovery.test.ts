// A well-known client (npm `memcached`, ketama-compatible consistent hashing) given the stack's endpoint
// list spreads keys over every server, and growing the pool 3 -> 4 remaps about a quarter of the keys.
import Memcached from "memcached";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemcachedProcess, startMemcached } from "../harness/memcachedProcess";
import { stackArtifacts } from "../harness/stackArtifacts";

const KEYS = Array.from({ length: 2000 }, (_, i) => `user:${i}:profile`);

function client(servers: string[]): Memcached {
  return new Memcached(servers, { retries: 0, timeout: 2000, poolSize: 4 });
}

const set = (c: Memcached, key: string) =>
  new Promise<void>((resolve, reject) => c.set(key, `v-${key}`, 600, (e) => (e ? reject(e) : resolve())));
const get = (c: Memcached, key: string) =>
  new Promise<unknown>((resolve, reject) => c.get(key, (e, v) => (e ? reject(e) : resolve(v))));

describe("client-side discovery over the stack's endpoints (real memcached)", () => {
  let servers: MemcachedProcess[] = [];
  /** Each endpoint the stack exports, as the loopback server that stands in for that pod. */
  let loopback: Map<string, string>;
  let endpoints: string[];

  beforeAll(async () => {
    // The dev stack exports 3 endpoints; the 4th is what scaling to 4 replicas adds.
    const dev = await stackArtifacts("dev");
    endpoints = dev.endpoints;
    const fourth = endpoints[2].replace("memcached-2.", "memcached-3.");
    servers = await Promise.all([...endpoints, fourth].map(() => startMemcached(dev.memcachedArgs)));
    loopback = new Map([...endpoints, fourth].map((e, i) => [e, `127.0.0.1:${servers[i].port}`]));
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
  });

  it("exports one endpoint per memcached pod, by stable DNS name", () => {
    expect(endpoints).toEqual([0, 1, 2].map((i) => `memcached-${i}.memcached.memcached.svc.cluster.local:11211`));
  });

  it("spreads keys over all three servers, and remaps about a quarter of them when a fourth joins", async () => {
    const three = client(endpoints.map((e) => loopback.get(e)!));
    for (const key of KEYS) await set(three, key);
    three.end();
    const items = await Promise.all(servers.slice(0, 3).map(async (s) => Number((await s.stats()).curr_items)));
    console.log(`[discovery] keys per server with 3 servers: ${items.join(", ")}`);
    expect(items.reduce((a, b) => a + b, 0)).toBe(KEYS.length);
    for (const n of items) expect(n / KEYS.length).toBeGreaterThan(0.2);

    const four = client([...loopback.values()]);
    let misses = 0;
    for (const key of KEYS) if ((await get(four, key)) === undefined) misses++;
    four.end();
    const moved = misses / KEYS.length;
    console.log(`[discovery] 3 -> 4 servers: ${(moved * 100).toFixed(1)}% of keys moved`);
    // Consistent hashing moves ~1/4; a modulo hash would move ~3/4.
    expect(moved).toBeGreaterThan(0.15);
    expect(moved).toBeLessThan(0.35);
  }, 60_000);
});
