// npm run bench:memory — per committed stack: memcached started with the StatefulSet's exact args, filled
// past -m with a realistic value-size mix; writes -m, the container limit, peak RSS, -m/limit, evictions and the
// idle memory a connection takes to docs/performance.md.
import { execFileSync } from "node:child_process";
import { measureConnections, measureFill } from "../harness/memoryMeasure";
import { COMMITTED_STACKS, stackArtifacts } from "../harness/stackArtifacts";
import { table, writeSection } from "./report";

const memcachedVersion = () =>
  execFileSync("memcached", ["-V"], { encoding: "utf8" })
    .trim()
    .replace(/^memcached /, "");

const TARGET_RATIO = 0.85;

async function main(): Promise<void> {
  const rows: string[][] = [
    ["stack", "-m MiB", "limit MiB", "peak RSS MiB", "-m/limit", "evictions", "-c", "KiB/conn", "verdict"],
  ];
  let ok = true;
  for (const stack of COMMITTED_STACKS) {
    const artifacts = await stackArtifacts(stack);
    const fillResult = await measureFill(artifacts);
    const conns = await measureConnections(artifacts);
    const ratio = fillResult.memoryMb / fillResult.limitMib;
    const pass = ratio >= TARGET_RATIO && fillResult.peakRssMib < fillResult.limitMib && fillResult.evictions > 0;
    ok &&= pass;
    rows.push([
      stack,
      String(fillResult.memoryMb),
      String(fillResult.limitMib),
      fillResult.peakRssMib.toFixed(1),
      ratio.toFixed(3),
      String(fillResult.evictions),
      String(conns.maxConnections),
      conns.perConnectionKib.toFixed(2),
      pass ? "ok" : `FAIL (target -m/limit >= ${TARGET_RATIO}, RSS < limit, evictions > 0)`,
    ]);
  }
  writeSection("memory", [
    `memcached ${memcachedVersion()} from Debian, each committed stack at its full size; target: -m/limit at least ${TARGET_RATIO}, peak RSS below the limit, evictions seen.`,
    "",
    ...table(rows[0], rows.slice(1)),
  ]);
  process.exitCode = ok ? 0 : 1;
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
