// memcached filled past -m with the exact args of each committed stack stays below the container limit
// the sizing function gives it: it evicts instead of being OOM-killed.
import { describe, expect, it } from "vitest";
import { CONNECTION_HEADROOM } from "../../lib/capacity/connections";
import { PER_CONNECTION_KIB } from "../../lib/capacity/memcachedMemory";
import { measureConnections, measureFill } from "../harness/memoryMeasure";
import { COMMITTED_STACKS, stackArtifacts } from "../harness/stackArtifacts";

/** The largest -m filled on every test run: a third of this machine, so the run never nears an OOM. */
const MAX_TEST_MEMORY_MB = 8192;

describe.each(COMMITTED_STACKS)("%s stack memcached sizing (real memcached)", (stack) => {
  it("evicts once full, with peak RSS below the container limit", async () => {
    const m = await measureFill(await stackArtifacts(stack), MAX_TEST_MEMORY_MB);
    console.log(
      `[memory] ${stack}: -m ${m.memoryMb} MiB${m.memoryMb < m.stackMemoryMb ? ` (the stack's ${m.stackMemoryMb} capped; same args otherwise)` : ""}, ` +
        `limit ${m.limitMib} MiB, peak RSS ${m.peakRssMib.toFixed(1)} MiB, evictions ${m.evictions}`,
    );
    expect(m.evictions).toBeGreaterThan(0);
    expect(m.peakRssMib).toBeLessThan(m.limitMib);
    // Most of the limit is cache, not slack.
    expect(m.peakRssMib).toBeGreaterThan(m.memoryMb * 0.9);
  }, 300_000);

  it(`accepts -c minus its own descriptors, each connection within the assumed ${PER_CONNECTION_KIB} KiB`, async () => {
    const c = await measureConnections(await stackArtifacts(stack));
    console.log(
      `[memory] ${stack}: -c ${c.maxConnections}, ${c.accepted} client connections accepted, ` +
        `${c.perConnectionKib.toFixed(2)} KiB each, RSS ${c.rssMib.toFixed(1)} MiB`,
    );
    expect(c.perConnectionKib).toBeLessThanOrEqual(PER_CONNECTION_KIB);
    expect(c.rssMib).toBeLessThan(c.limitMib);
    // memcached counts its own descriptors (listener, per-thread pipes) against -c: the headroom added to
    // the mcrouter connections must cover them.
    expect(c.maxConnections - c.accepted).toBeLessThan(CONNECTION_HEADROOM);
  }, 120_000);
});
