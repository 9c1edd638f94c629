// `npm run bench:sdk [-- runs]`: what `require("@pulumi/pulumi")` loads and what it costs, for the write-up on
// docs/performance.md ("What the SDK loads at start"). Each figure is the median of fresh Node.js processes of this
// repository's node_modules; what loads what is read off the module graph of one process (this is a measurement:
// it looks at require.cache, it changes nothing).
import { execFileSync } from "node:child_process";
import { median, table, writeSection } from "./report";
import { ROOT } from "../../sandbox/pulumi";

/** Milliseconds a fresh process spends in `requires`, in order (the last one's share is what it adds). */
function loadMs(requires: string[]): number[] {
  const script = `const t = [process.hrtime.bigint()];
for (const r of ${JSON.stringify(requires)}) { require(r); t.push(process.hrtime.bigint()); }
console.log(JSON.stringify(t.slice(1).map((x, i) => Number(x - t[i]) / 1e6)));`;
  return JSON.parse(execFileSync(process.execPath, ["-e", script], { cwd: ROOT, encoding: "utf8" }));
}

/** Per package, the modules `require("@pulumi/pulumi")` brings in; and the chain of requires that reaches `target`. */
function graph(target: RegExp): { byPackage: Record<string, number>; total: number; chain: string[] } {
  const script = `require("@pulumi/pulumi");
const mods = Object.values(require.cache);
const name = (f) => f.replace(/^.*node_modules\\//, "");
const byPackage = {};
for (const m of mods) { const t = name(m.filename); const k = t.split("/").slice(0, t.startsWith("@") ? 2 : 1).join("/"); byPackage[k] = (byPackage[k] || 0) + 1; }
const root = require.cache[require.resolve("@pulumi/pulumi")];
const seen = new Map([[root, null]]); const queue = [root]; let hit;
while (queue.length && !hit) { const m = queue.shift(); for (const c of m.children) { if (seen.has(c)) continue; seen.set(c, m); if (${target}.test(c.filename)) { hit = c; break; } queue.push(c); } }
const chain = []; for (let m = hit; m; m = seen.get(m)) chain.unshift(name(m.filename));
console.log(JSON.stringify({ byPackage, total: mods.length, chain }));`;
  return JSON.parse(execFileSync(process.execPath, ["-e", script], { cwd: ROOT, encoding: "utf8" }));
}

function main(): void {
  const runs = Number(process.argv[2] ?? 7);
  const cases: Array<[string, string[], (ms: number[]) => number]> = [
    ['`require("@pulumi/pulumi")`', ["@pulumi/pulumi"], (ms) => ms[0]],
    ['`require("typescript")` alone (the TypeScript compiler)', ["typescript"], (ms) => ms[0]],
    [
      "the runner's tracing module (OpenTelemetry's SDK), once the SDK is loaded",
      ["@pulumi/pulumi", "@pulumi/pulumi/cmd/run/tracing"],
      (ms) => ms[1],
    ],
    ['`require("source-map-support/register")` alone', ["source-map-support/register"], (ms) => ms[0]],
    [
      '`require("@pulumi/kubernetes")`, once the SDK is loaded',
      ["@pulumi/pulumi", "@pulumi/kubernetes"],
      (ms) => ms[1],
    ],
  ];
  const rows = cases.map(([what, requires, pick]) => {
    const samples = Array.from({ length: runs }, () => pick(loadMs(requires)));
    return [what, median(samples).toFixed(0), `${Math.min(...samples).toFixed(0)}–${Math.max(...samples).toFixed(0)}`];
  });
  const g = graph(/typescript\/lib\/typescript\.js$/);
  const packages = Object.entries(g.byPackage)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8)
    .map(([p, n]) => `\`${p}\` ${n}`);
  writeSection("sdk-startup", [
    `Node.js ${process.version}, medians of ${runs} fresh processes each.`,
    "",
    ...table(["what", "ms (median)", "range"], rows),
    "",
    `\`require("@pulumi/pulumi")\` loads ${g.total} modules; the most from ${packages.join(", ")}.`,
    g.chain.length
      ? `The TypeScript compiler is loaded by: ${g.chain.map((m) => `\`${m}\``).join(" → ")}.`
      : "The TypeScript compiler is not loaded by it.",
  ]);
}

main();
