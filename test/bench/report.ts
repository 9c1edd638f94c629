// Where the benchmarks write: their section of docs/performance.md, each headed by when, at which commit and on
// which machine it was measured. Nothing else writes a measured figure into the docs (test/docs.test.ts).
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { writeBlock } from "../../scripts/docBlocks";
import { ROOT } from "../../sandbox/pulumi";

export const PERFORMANCE_PAGE = join(ROOT, "docs", "performance.md");

const git = (args: string[]) => execFileSync("git", args, { cwd: ROOT, encoding: "utf8" }).trim();

/** The line every section starts with: date, commit, machine. */
export function provenance(): string {
  // The page itself changes as each section is written: it does not count.
  const dirty = git(["status", "--porcelain", "--untracked-files=no", "--", ".", ":!docs/performance.md"])
    ? " with uncommitted changes"
    : "";
  const cpu = cpus();
  const kernel = execFileSync("uname", ["-r"], { encoding: "utf8" }).trim();
  return (
    `Measured ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC at commit ${git(["rev-parse", "--short", "HEAD"])}${dirty}, ` +
    `on ${cpu.length} × ${cpu[0]?.model.trim() ?? "unknown CPU"}, ${Math.round(totalmem() / 1024 ** 3)} GiB, Linux ${kernel}, Node.js ${process.version}.`
  );
}

/** Writes a benchmark's section (a generated block of the performance page) and prints it. */
export function writeSection(name: string, lines: string[]): void {
  const body = [provenance(), "", ...lines].join("\n");
  writeBlock(PERFORMANCE_PAGE, name, body);
  console.log(`\n${body}\n\n[bench] written to docs/performance.md (${name})`);
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Seconds an action takes. */
export async function seconds(action: () => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await action();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/**
 * CPU-seconds this machine has spent busy since boot, all CPUs together: /proc/stat's first line less idle and iowait
 * (proc(5); its unit is USER_HZ, 100 on Linux). Differences between two calls say how loaded the machine was.
 */
export function busyCpuSeconds(): number {
  const ticks = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  const [idle, iowait] = [ticks[3], ticks[4]];
  return (ticks.reduce((a, b) => a + b, 0) - idle - iowait) / 100;
}

/** A markdown table. */
export const table = (head: string[], rows: (string | number)[][]): string[] => [
  `| ${head.join(" | ")} |`,
  `|${head.map(() => "---").join("|")}|`,
  ...rows.map((r) => `| ${r.join(" | ")} |`),
];

const cleanups: Array<() => Promise<unknown>> = [];
/** What to undo if the bench is interrupted (Ctrl-C): the bench's `finally` does not run then. */
export function onInterrupt(cleanup: () => Promise<unknown>): void {
  if (cleanups.length === 0) {
    process.once("SIGINT", async () => {
      console.error("\n[bench] interrupted: cleaning up");
      for (const c of cleanups.reverse()) await c().catch((e) => console.error(e));
      process.exit(130);
    });
  }
  cleanups.push(cleanup);
}
