// What every e2e file shares: a control plane of its own in a fresh state directory, stopped (and the
// directory removed unless a test failed) after the file, and the timing of each CLI step.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll } from "vitest";
import { stopControlPlane } from "../../sandbox/controlPlane";
import { KwokCluster, startKwokCluster } from "./kwok";
import { alive, log, setLogTag } from "../../sandbox/process";

setLogTag("e2e");
import { KwokNode } from "./gkeShape";

if (!process.env.E2E_TOOLS_BIN)
  throw new Error(
    "the e2e runs through `npm run test:e2e` (scripts/with-tools.sh builds the tools and puts them on PATH)",
  );

const STATE_PREFIX = "memcached-gke-e2e-";
const RUNNER_FILE = "runner.pid";

/**
 * Control planes of e2e runs that were killed (their runner is gone, so its afterAll never ran): their
 * processes are stopped; the directory stays, with its logs.
 */
async function stopOrphanedControlPlanes(): Promise<void> {
  for (const name of readdirSync(tmpdir()).filter((n) => n.startsWith(STATE_PREFIX))) {
    const dir = join(tmpdir(), name);
    const runnerFile = join(dir, RUNNER_FILE);
    if (!existsSync(runnerFile) || alive(Number(readFileSync(runnerFile, "utf8")))) continue;
    await stopControlPlane(dir);
    rmSync(runnerFile);
  }
}

/** Starts a control plane with `nodes` before the file's tests and stops it after them. */
export function controlPlaneFor(
  name: string,
  nodes: () => KwokNode[],
): { cp: () => KwokCluster; stateDir: () => string } {
  let cp: KwokCluster | undefined;
  let stateDir: string | undefined;
  let failed = false;
  beforeAll(async () => {
    await stopOrphanedControlPlanes();
    stateDir = mkdtempSync(join(tmpdir(), `${STATE_PREFIX}${name}-`));
    writeFileSync(join(stateDir, RUNNER_FILE), String(process.pid));
    cp = await startKwokCluster(stateDir, nodes());
  }, 180_000);
  afterEach((ctx) => {
    if (ctx.task.result?.state === "fail") failed = true;
  });
  afterAll(async () => {
    if (!stateDir) return;
    await stopControlPlane(stateDir);
    if (failed)
      for (const f of readdirSync(stateDir).filter((f) => f.endsWith(".log"))) log(`log kept: ${join(stateDir, f)}`);
    else rmSync(stateDir, { recursive: true, force: true });
  }, 60_000);
  return {
    cp: () => cp!,
    stateDir: () => stateDir!,
  };
}

/** Runs `action`, logs and returns how long it took. */
export async function timed<T>(what: string, action: () => Promise<T>): Promise<[T, number]> {
  const t0 = Date.now();
  const result = await action();
  const seconds = (Date.now() - t0) / 1000;
  log(`${what}: ${seconds.toFixed(1)} s`);
  return [result, seconds];
}
