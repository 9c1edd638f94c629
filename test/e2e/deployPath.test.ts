// The deploy path is Pulumi's own (Pulumi.yaml `runtime: nodejs`, ts-node made transpile-only by tsconfig's
// noCheck): an error names the .ts line that threw, and a user who cannot write the clone or node_modules deploys.
import { execFile } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  cpSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stripVTControlCharacters } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { PROJECT_NAME } from "../../lib/project";
import { committedStackConfig } from "../../lib/stackFiles";
import { command } from "../../sandbox/process";
import { pulumiCli, pulumiEnv, ROOT } from "../../sandbox/pulumi";
import { leftovers } from "../../sandbox/stack";
import { controlPlaneFor } from "../harness/e2e";
import { gkeShapedNodes } from "../harness/gkeShape";
import { KWOK_CONTEXT } from "../harness/kwok";
import { committedPool } from "../harness/stacks";

const { cp, stateDir } = controlPlaneFor("deploy-path", () =>
  gkeShapedNodes({ ...committedPool("dev"), cluster: "memcached-local" }),
);
const scratch = mkdtempSync(join(tmpdir(), "memcached-gke-deploy-path-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The committed local stack's config, pointed at the e2e's cluster. */
const localConfig = () => {
  const committed = committedStackConfig("local");
  const section = `${PROJECT_NAME}:existingCluster`;
  return { ...committed, [section]: { ...committed[section], kubeconfig: cp().kubeconfig, context: KWOK_CONTEXT } };
};

describe("the deploy path", () => {
  it("a throw in a component shows its .ts file and line in pulumi up's output", async () => {
    // A copy of the program whose Memcached component throws first thing in its constructor.
    const project = join(scratch, "broken");
    for (const f of ["Pulumi.yaml", "index.ts", "components", "lib", "package.json", "tsconfig.json"]) {
      cpSync(join(ROOT, f), join(project, f), { recursive: true });
    }
    symlinkSync(join(ROOT, "node_modules"), join(project, "node_modules"));
    const file = join(project, "components", "memcached.ts");
    const source = readFileSync(file, "utf8").split("\n");
    const at = source.findIndex((l) => l.includes('super("memcached-gke:cache:Memcached"')) + 1;
    source.splice(at, 0, '    throw new Error("a deliberately broken component");');
    writeFileSync(file, source.join("\n"));
    writeFileSync(join(project, "Pulumi.broken.yaml"), stringify({ config: localConfig() }));
    const cli = pulumiCli(project, stateDir(), cp().kubeconfig);
    await cli(["stack", "init", "broken"]);
    const failure = await cli(["up", "--yes", "--skip-preview"]).then(
      () => "",
      // Node.js colours the stack trace's frames; the user reads the text.
      (e: Error) => stripVTControlCharacters(e.message),
    );
    expect(failure).toContain("a deliberately broken component");
    expect(failure).toContain(`${file}:${at + 1}:`);
  });

  it.skipIf(process.getuid?.() !== 0)(
    "a non-root user deploys from a read-only clone and a read-only node_modules",
    async () => {
      // The clone and its node_modules, read-only (a bind mount: not even root writes them), as `nobody`.
      const view = join(scratch, "clone");
      const state = join(scratch, "nobody-state");
      const bin = join(scratch, "bin");
      for (const d of [view, join(state, "backend"), join(bin, "nodejs-host")]) await command("mkdir", ["-p", d]);
      await command("mount", ["--bind", ROOT, view]);
      await command("mount", ["-o", "remount,bind,ro", view]);
      try {
        // The tools where `nobody` may run them, as an installed CLI would be; the cluster's credentials readable.
        const tools = process.env.E2E_TOOLS_BIN!;
        for (const t of ["pulumi", "pulumi-resource-kubernetes", "kubectl", "nodejs-host/pulumi-language-nodejs"]) {
          copyFileSync(join(tools, t), join(bin, t));
        }
        const kubeconfig = join(state, "kubeconfig");
        copyFileSync(cp().kubeconfig, kubeconfig);
        const config = { ...localConfig() };
        config[`${PROJECT_NAME}:existingCluster`] = { ...config[`${PROJECT_NAME}:existingCluster`], kubeconfig };
        const configFile = join(state, "Pulumi.local.yaml");
        writeFileSync(configFile, stringify({ config }));
        await command("chown", ["-R", "nobody", state]);
        chmodSync(scratch, 0o755);
        const env = {
          ...pulumiEnv(state),
          HOME: state,
          PATH: [
            bin,
            join(bin, "nodejs-host"),
            join(view, "node_modules", ".bin"),
            join(view, "node_modules", "@pulumi", "pulumi"),
            "/usr/bin",
            "/bin",
          ].join(":"),
        };
        const asNobody = (args: string[]) =>
          new Promise<string>((resolve, reject) =>
            execFile(
              "runuser",
              [
                "-u",
                "nobody",
                "--",
                "env",
                ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
                "pulumi",
                ...args,
                "--cwd",
                view,
                "--non-interactive",
              ],
              { timeout: 300_000, maxBuffer: 64 << 20 },
              (e, stdout, stderr) =>
                e ? reject(new Error(`pulumi ${args.join(" ")}: ${stdout}\n${stderr}`)) : resolve(stdout),
            ),
          );
        await asNobody(["stack", "init", "local"]);
        const up = await asNobody(["up", "--yes", "--skip-preview", "--config-file", configFile]);
        expect(up).toMatch(/\+ 32 created/);
        await asNobody(["destroy", "--yes", "--skip-preview", "--config-file", configFile]);
        expect(await leftovers(cp().kubeconfig)).toEqual([]);
      } finally {
        await command("umount", [view]);
      }
    },
  );
});
