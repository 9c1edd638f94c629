// The project's program on the real Pulumi engine through the Automation API: an inline program run in
// this process (`pulumi up --client`), with a file backend in a state directory, fully offline.
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";

export const ROOT = join(__dirname, "..", "..");
export const PROJECT = "memcached-gke";

/** The program, run afresh each time the engine asks for it. */
async function program(): Promise<Record<string, unknown>> {
  for (const id of Object.keys(require.cache)) {
    if (id.startsWith(ROOT) && !id.includes("node_modules") && !id.includes("/scripts/")) delete require.cache[id];
  }
  return require(join(ROOT, "index"));
}

/**
 * The committed local stack's config, in a copy of the project files (config set here never touches them).
 * `inlineProgram` replaces the project's program (for deliberately broken fixtures).
 */
export async function openStack(stateDir: string, stackName: string, kubeconfig?: string,
  inlineProgram: () => Promise<Record<string, unknown> | void> = program): Promise<Stack> {
  const workDir = join(stateDir, `project-${stackName}`);
  mkdirSync(workDir, { recursive: true });
  mkdirSync(join(stateDir, "backend"), { recursive: true });
  copyFileSync(join(ROOT, "Pulumi.yaml"), join(workDir, "Pulumi.yaml"));
  copyFileSync(join(ROOT, "Pulumi.local.yaml"), join(workDir, `Pulumi.${stackName}.yaml`));
  const stack = await LocalWorkspace.createOrSelectStack({ stackName, projectName: PROJECT, program: inlineProgram }, {
    workDir,
    envVars: {
      PULUMI_BACKEND_URL: `file://${join(stateDir, "backend")}`,
      PULUMI_HOME: join(stateDir, "pulumi-home"),
      PULUMI_CONFIG_PASSPHRASE: "",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      ...(kubeconfig ? { KUBECONFIG: kubeconfig } : {}),
    },
  });
  if (kubeconfig) {
    await stack.setConfig(`${PROJECT}:existingCluster.kubeconfig`, { value: kubeconfig }, true);
    await stack.setConfig(`${PROJECT}:existingCluster.context`, { value: "kwok" }, true);
  }
  return stack;
}

