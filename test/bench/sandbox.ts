// `npm run bench:sandbox [-- rounds] [--cold]`: `npm start` until the cache serves and `npm stop`, as a user runs
// them (warm: the tools built), over several rounds, with where a start's time goes (its phases' own "done in"
// lines); with --cold, first one start with an empty tool cache and empty Go caches (the first run on a fresh
// machine). Written to docs/performance.md.
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { log, setLogTag } from "../../sandbox/process";
import { ROOT } from "../../sandbox/pulumi";
import { median, onInterrupt, table, writeSection } from "./report";

const TARGETS = { start: 90, stop: 30 };

interface Run {
  seconds: number;
  output: string;
}

/** `npm <verb>` in the repository, its output shown as it comes (a cold start builds for many minutes), bounded. */
function npm(verb: string, env: Record<string, string>, timeoutMs: number): Promise<Run> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn("npm", [verb], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const take = (d: Buffer) => {
      output += d;
      process.stdout.write(String(d).replace(/^(?=.)/gm, `  [npm ${verb}] `));
    };
    child.stdout.on("data", take);
    child.stderr.on("data", take);
    const timer = setTimeout(() => child.kill("SIGINT"), timeoutMs);
    child.on("exit", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve({ seconds: (Date.now() - t0) / 1000, output });
      else reject(new Error(`npm ${verb} exited with ${code}`));
    });
  });
}

/** The seconds each phase of a run reported (`[start hh:mm:ss] <phase>: done in N s`). */
const phases = (output: string): Record<string, number> =>
  Object.fromEntries(
    [...output.matchAll(/^\[(?:start|stop) [\d:]+\] (.+?): done in ([\d.]+) s$/gm)].map(([, what, secs]) => [
      what
        .replace(/ \(.*\)$/, "")
        .replace(/: .*$/, "")
        .replace(/, state in .*$/, ""),
      Number(secs),
    ]),
  );

async function main(): Promise<void> {
  setLogTag("bench:sandbox");
  const args = process.argv.slice(2);
  const cold = args.includes("--cold");
  const n = Number(args.find((a) => /^\d+$/.test(a)) ?? 3);
  const root = mkdtempSync(join(tmpdir(), "memcached-gke-bench-sandbox-"));
  const env = { MEMCACHED_GKE_STATE_DIR: join(root, "state") };
  const lines: string[] = [];
  onInterrupt(() => npm("stop", env, 10 * 60_000));
  try {
    if (cold) {
      // Everything a fresh machine lacks: the tools and Go's module and build caches (Debian's packages stay).
      const coldEnv = {
        ...env,
        MEMCACHED_GKE_TOOLS_DIR: join(root, "tools"),
        GOCACHE: join(root, "gocache"),
        GOMODCACHE: join(root, "gomodcache"),
        GOFLAGS: "-modcacherw",
      };
      log("cold start: empty tool cache, empty Go caches ...");
      const start = await npm("start", coldEnv, 120 * 60_000);
      const stop = await npm("stop", coldEnv, 10 * 60_000);
      const p = phases(start.output);
      lines.push(
        `Cold first run (empty tool cache, empty Go module and build caches): \`npm start\` ${start.seconds.toFixed(0)} s, ` +
          `of which the tool build ${(p["the tools"] ?? 0).toFixed(0)} s; \`npm stop\` ${stop.seconds.toFixed(1)} s. Reported, not targeted.`,
        "",
      );
      log(lines[0]);
    }
    const runs: { start: Run; stop: Run }[] = [];
    for (let r = 1; r <= n; r++) {
      const start = await npm("start", env, 15 * 60_000);
      const stop = await npm("stop", env, 10 * 60_000);
      log(`round ${r}/${n}: npm start ${start.seconds.toFixed(1)} s, npm stop ${stop.seconds.toFixed(1)} s`);
      runs.push({ start, stop });
    }
    // Each phase of a start (its own "done in" lines), the start's total left out.
    const phaseNames = Object.keys(phases(runs[0].start.output)).filter((p) => p !== "npm start");
    const starts = runs.map((r) => r.start.seconds);
    const stops = runs.map((r) => r.stop.seconds);
    const secs = (x: number) => `${x.toFixed(1)} s`;
    lines.push(
      `Warm (tools built, node not running), ${n} rounds: each \`npm start\` until the tutorial's check and the bounded run passed, then \`npm stop\`.`,
      "",
      ...table(
        ["round", "`npm start`", "`npm stop`"],
        [
          ...runs.map((r, i) => [String(i + 1), secs(r.start.seconds), secs(r.stop.seconds)]),
          ["**median**", `**${secs(median(starts))}**`, `**${secs(median(stops))}**`],
        ],
      ),
      "",
      "Where a start's time goes (medians of each phase's own report):",
      "",
      ...table(
        ["phase of `npm start`", "median"],
        phaseNames.map((p) => [p, secs(median(runs.map((r) => phases(r.start.output)[p] ?? 0)))]),
      ),
      "",
      `- warm \`npm start\`: median ${median(starts).toFixed(1)} s, target at most ${TARGETS.start} s: ${median(starts) <= TARGETS.start ? "**met**" : "**NOT met**"}`,
      `- \`npm stop\`: median ${median(stops).toFixed(1)} s, target at most ${TARGETS.stop} s: ${median(stops) <= TARGETS.stop ? "**met**" : "**NOT met**"}`,
    );
    writeSection("sandbox", lines);
    process.exitCode = median(starts) <= TARGETS.start && median(stops) <= TARGETS.stop ? 0 : 1;
  } finally {
    // After a failure: whatever a start left.
    await npm("stop", env, 10 * 60_000).catch(() => undefined);
    execFile("chmod", ["-R", "u+w", root], () => rmSync(root, { recursive: true, force: true }));
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
