// memcached_exporter, built from the Go module of the pinned image's version, with the sidecar's exact args
// against a real memcached started with the dev stack's args: what Prometheus would scrape.
import { ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { memcachedAlertGroups } from "../../lib/metrics/alerts";
import { DEFAULTS } from "../../lib/config/schema";
import { MEMCACHED_CHECK_SERIES, seriesNames } from "../../lib/commands";
import { PANELS } from "../../lib/metrics/dashboard";
import { EXPORTER_RESOURCES } from "../../lib/capacity/workloadResources";
import { freePort } from "../../sandbox/process";
import { command, MemcachedProcess, startMemcached } from "../harness/memcachedProcess";
import { argValue, stackArtifacts } from "../harness/stackArtifacts";

const binDir = process.env.MEMCACHED_EXPORTER_BIN;
if (!binDir)
  throw new Error(
    "MEMCACHED_EXPORTER_BIN is unset: run through `npm test` or `npm run test:real`, which build the exporter",
  );

let memcached: MemcachedProcess;
let exporter: ChildProcess;
let metricsUrl: string;
let memoryMb: number;

/** The sidecar's args, pointed at this test's memcached and a free loopback port instead of the pod's. */
const onTestPorts = (args: string[], memcachedPort: number, metricsPort: number) =>
  args.map((a) =>
    a
      .replace(/^--memcached\.address=localhost:11211$/, `--memcached.address=127.0.0.1:${memcachedPort}`)
      .replace(/^--web\.listen-address=:9150$/, `--web.listen-address=127.0.0.1:${metricsPort}`),
  );

async function scrape(): Promise<Map<string, number>> {
  const body = await (await fetch(metricsUrl, { signal: AbortSignal.timeout(5000) })).text();
  return new Map(
    body
      .split("\n")
      .filter((l) => l && !l.startsWith("#"))
      .map((l) => {
        const i = l.lastIndexOf(" ");
        return [l.slice(0, i), Number(l.slice(i + 1))] as [string, number];
      }),
  );
}

beforeAll(async () => {
  const artifacts = await stackArtifacts("dev");
  memoryMb = Number(argValue(artifacts.memcachedArgs, "-m"));
  memcached = await startMemcached(artifacts.memcachedArgs);
  const metricsPort = await freePort();
  const args = onTestPorts(artifacts.exporterArgs, memcached.port, metricsPort);
  expect(args).not.toEqual(artifacts.exporterArgs);
  exporter = spawn(join(binDir, "memcached_exporter"), args, { stdio: "ignore" });
  metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  for (let i = 0; i < 100; i++) {
    if (
      await scrape().then(
        () => true,
        () => false,
      )
    )
      return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("memcached_exporter did not serve /metrics within 10 s");
}, 30_000);

afterAll(async () => {
  exporter?.kill("SIGKILL");
  await memcached?.stop();
});

const GETS = (status: string) => `memcached_commands_total{command="get",status="${status}"}`;
const SETS = 'memcached_commands_total{command="set",status="hit"}';

describe("memcached_exporter against real memcached", () => {
  it("reports memcached up, its -m as limit_bytes and its -c as max_connections", async () => {
    const m = await scrape();
    expect(m.get("memcached_up")).toBe(1);
    expect(m.get("memcached_limit_bytes")).toBe(memoryMb * 1024 * 1024);
    expect(m.get("memcached_max_connections")).toBe(Number(argValue(memcached.args, "-c")));
  });

  it("serves every memcached_* metric the alerts, the dashboard and metricsCommand read", async () => {
    const exprs = [
      ...PANELS.flatMap((p) => p.queries.map((q) => q.expr)),
      ...memcachedAlertGroups(DEFAULTS.metrics, "memcached").flatMap((g) => g.rules.map((r) => r.expr)),
    ];
    // Whole names only: mcrouter_server_memcached_hard_tko is mcrouter_exporter's, not this exporter's.
    const used = [
      ...new Set([
        ...exprs.flatMap((e) => e.match(/\bmemcached_[a-z_]+/g) ?? []),
        ...seriesNames(MEMCACHED_CHECK_SERIES),
      ]),
    ].sort();
    const served = new Set([...(await scrape()).keys()].map((series) => series.split("{")[0]));
    expect(used.length).toBeGreaterThan(5);
    expect(used.filter((name) => !served.has(name))).toEqual([]);
  });

  it("counts sets, hits and misses exactly as they happen", async () => {
    const before = await scrape();
    for (const key of ["a", "b", "c"]) await command(memcached.port, `set ${key} 0 0 1\r\nx\r\n`, "STORED\r\n");
    for (const key of ["a", "b", "nope"]) await command(memcached.port, `get ${key}\r\n`);
    const after = await scrape();
    const delta = (name: string) => after.get(name)! - (before.get(name) ?? 0);
    expect([delta(SETS), delta(GETS("hit")), delta(GETS("miss"))]).toEqual([3, 2, 1]);
    expect(after.get("memcached_current_items")).toBe((before.get("memcached_current_items") ?? 0) + 3);
  });

  it("stays within the memory its container is given", async () => {
    for (let i = 0; i < 20; i++) await scrape();
    const rssKib = Number(/^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${exporter.pid}/status`, "utf8"))![1]);
    console.log(
      `memcached_exporter peak RSS ${(rssKib / 1024).toFixed(1)} MiB of its ${EXPORTER_RESOURCES.memoryMib} MiB limit`,
    );
    expect(rssKib / 1024).toBeLessThan(EXPORTER_RESOURCES.memoryMib * 0.8);
  });

  it("reports memcached_up 0 once memcached is gone, and keeps serving", async () => {
    await memcached.stop();
    expect((await scrape()).get("memcached_up")).toBe(0);
  });
});
