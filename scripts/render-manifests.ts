// Renders the local stack's Kubernetes objects to YAML (provider option renderYamlToDirectory) through the real
// CLI, engine and provider, without any cluster. Usage: tsx scripts/render-manifests.ts <outDir>
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { PROJECT_NAME } from "../lib/project";
import { committedStackConfig } from "../lib/stackFiles";
import { prepareProject, pulumiCli } from "../sandbox/pulumi";

/**
 * Renders a stack of the existing target (the committed local one, or `stackConfig`) into `outDir` (its
 * `1-manifest` holds one file per object).
 */
export async function renderManifests(
  outDir: string,
  stackConfig: Record<string, any> = committedStackConfig("local"),
): Promise<void> {
  const stateDir = mkdtempSync(join(tmpdir(), "memcached-gke-render-"));
  try {
    const section = `${PROJECT_NAME}:existingCluster`;
    // Rendering needs no cluster (validation refuses a kubeconfig with it).
    const { kubeconfig: _kubeconfig, context: _context, ...fields } = stackConfig[section] ?? {};
    const config = { ...stackConfig, [section]: { ...fields, renderYamlToDirectory: outDir } };
    const cli = pulumiCli(prepareProject(stateDir, "render", config), stateDir);
    await cli(["stack", "init", "render"]);
    await cli(["up", "--yes", "--skip-preview"]);
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const outDir = resolve(process.argv[2] ?? "rendered");
  renderManifests(outDir).then(
    () => console.log(`[render] manifests in ${join(outDir, "1-manifest")}`),
    (e) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
