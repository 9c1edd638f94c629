// Renders the local stack's Kubernetes objects to YAML (provider option renderYamlToDirectory) through the
// real engine and provider, without any cluster. Usage: tsx scripts/render-manifests.ts <outDir>
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { openStack } from "./e2e/pulumiStack";
import { PROJECT_NAME } from "../lib/project";

async function main(): Promise<void> {
  const outDir = resolve(process.argv[2] ?? "rendered");
  const stateDir = mkdtempSync(join(tmpdir(), "memcached-gke-render-"));
  try {
    const stack = await openStack(stateDir, "local");
    await stack.setConfig(`${PROJECT_NAME}:existingCluster.renderYamlToDirectory`, { value: outDir }, true);
    await stack.up({
      onOutput: (s) => {
        if (process.env.RENDER_VERBOSE) process.stdout.write(s);
      },
    });
    console.log(`[render] manifests in ${join(outDir, "1-manifest")}`);
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
