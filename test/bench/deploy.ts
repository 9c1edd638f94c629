// `npm run bench:deploy [-- rounds]`: deploy speed against the kubectl floor, on the e2e's control plane
// (3 KWOK nodes shaped like the dev pool). Each round, interleaved: `kubectl apply` + `rollout status` of
// the stack's objects rendered to YAML (then deleted); the first `pulumi up` of a fresh stack from a fresh
// checkout after `npm ci` (node_modules/.cache removed, then package.json's "prepare" run, as `npm ci` does),
// `pulumi preview` of it unchanged and `pulumi destroy`; the same first `up` with no cache at all (as after
// `npm ci --ignore-scripts`) and its destroy; and `pulumi up` of an empty JavaScript program (what any
// program pays before its first resource). Prints every figure, the medians of the seconds and of the ratios to
// the kubectl floor of the same round, and whether the targets of issue #11 are met.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { command, kubectl, log, startControlPlane, stopControlPlane } from "./e2e/controlPlane";
import { gkeShapedNodes } from "./e2e/gkeShape";
import { Cli, openStack, pulumiCli, ROOT } from "./e2e/pulumiStack";
import { committedPool, initStack } from "./e2e/stacks";
import { PROJECT_NAME } from "../lib/project";

const TARGETS = { up: 1.8, preview: 1.5 };
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function seconds(action: () => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await action();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/** A project with no resource at all, in JavaScript: the CLI, language host and SDK start-up alone. */
function emptyProgram(dir: string, kubeconfig: string): Cli {
  const project = join(dir, "project-empty");
  mkdirSync(project);
  writeFileSync(
    join(project, "Pulumi.yaml"),
    "name: empty\nruntime:\n  name: nodejs\n  options:\n    typescript: false\n",
  );
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "empty", main: "index.js" }));
  writeFileSync(join(project, "index.js"), 'require("@pulumi/pulumi");\nexports.ok = true;\n');
  symlinkSync(join(ROOT, "node_modules"), join(project, "node_modules"));
  return pulumiCli(project, dir, kubeconfig);
}

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 3);
  const dir = mkdtempSync(join(tmpdir(), "memcached-gke-bench-"));
  try {
    const cp = await startControlPlane(dir, gkeShapedNodes({ ...committedPool("dev"), cluster: "memcached-local" }));
    const kc = cp.kubeconfig;
    const render = await openStack(dir, "render");
    await render.setConfig(
      `${PROJECT_NAME}:existingCluster.renderYamlToDirectory`,
      { value: join(dir, "rendered") },
      true,
    );
    await render.up();
    const manifests = join(dir, "rendered", "1-manifest");
    const namespaces = readdirSync(manifests)
      .filter((f) => f.startsWith("v1-namespace-"))
      .flatMap((f) => ["-f", join(manifests, f)]);
    const figures = {
      kubectl: [] as number[],
      up: [] as number[],
      preview: [] as number[],
      destroy: [] as number[],
      upNoCache: [] as number[],
      empty: [] as number[],
    };
    const freshCheckout = async (prepare: boolean) => {
      rmSync(join(ROOT, "node_modules", ".cache"), { recursive: true, force: true });
      if (prepare) await command("npm", ["run", "--silent", "--prefix", ROOT, "prepare"]);
    };
    const empty = emptyProgram(dir, cp.kubeconfig);
    await empty(["stack", "init", "empty"]);
    for (let r = 1; r <= rounds; r++) {
      figures.kubectl.push(
        await seconds(async () => {
          await kubectl(kc, ["apply", ...namespaces]);
          await kubectl(kc, ["apply", "-f", manifests]);
          for (const [kind, ns, name] of [
            ["statefulset", "memcached", "memcached"],
            ["daemonset", "mcrouter", "mcrouter"],
            ["deployment", "cache-clients", "sample-app"],
          ]) {
            await kubectl(kc, ["rollout", "status", `${kind}/${name}`, "-n", ns, "--timeout=120s"], undefined, 130_000);
          }
        }),
      );
      await kubectl(kc, ["delete", "-f", manifests, "--wait=true", "--timeout=120s"], undefined, 130_000);
      const cli = await initStack(dir, cp, `bench-${r}`);
      await freshCheckout(true);
      figures.up.push(await seconds(() => cli(["up", "--yes", "--skip-preview"])));
      figures.preview.push(await seconds(() => cli(["preview"])));
      figures.destroy.push(await seconds(() => cli(["destroy", "--yes", "--skip-preview"])));
      await freshCheckout(false);
      figures.upNoCache.push(await seconds(() => cli(["up", "--yes", "--skip-preview"])));
      await cli(["destroy", "--yes", "--skip-preview"]);
      figures.empty.push(await seconds(() => empty(["up", "--yes", "--skip-preview"])));
      log(
        `round ${r}: kubectl ${figures.kubectl[r - 1].toFixed(2)} s, first pulumi up ${figures.up[r - 1].toFixed(2)} s, ` +
          `preview ${figures.preview[r - 1].toFixed(2)} s, destroy ${figures.destroy[r - 1].toFixed(2)} s, ` +
          `first up with no cache ${figures.upNoCache[r - 1].toFixed(2)} s, empty program up ${figures.empty[r - 1].toFixed(2)} s`,
      );
    }
    // Each ratio is to the kubectl floor of its own round (this machine's speed drifts within minutes); the
    // target is judged on the median of those ratios.
    const ratios = (key: keyof typeof figures) => figures[key].map((s, i) => s / figures.kubectl[i]);
    const summary = (key: keyof typeof figures) =>
      `${median(figures[key]).toFixed(2)} s, ${median(ratios(key)).toFixed(2)}x kubectl (rounds: ${ratios(key)
        .map((r) => r.toFixed(2))
        .join(", ")})`;
    console.log(
      `\n[bench:deploy] medians of ${rounds} rounds (kubectl floor ${median(figures.kubectl).toFixed(2)} s):`,
    );
    for (const [what, key] of [
      ["first pulumi up (fresh checkout, after npm ci)", "up"],
      ["pulumi preview (unchanged)", "preview"],
    ] as const) {
      const met = median(ratios(key)) <= TARGETS[key];
      console.log(`[bench:deploy] ${what}: ${summary(key)} (target <= ${TARGETS[key]}x: ${met ? "met" : "NOT met"})`);
    }
    console.log(`[bench:deploy] first pulumi up with no cache (npm ci --ignore-scripts): ${summary("upNoCache")}`);
    console.log(`[bench:deploy] pulumi destroy: ${median(figures.destroy).toFixed(2)} s`);
    console.log(`[bench:deploy] pulumi up of an empty JavaScript program: ${summary("empty")}`);
  } finally {
    await stopControlPlane(dir);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
