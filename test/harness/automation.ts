// The stack through Pulumi's Automation API with an inline program (`pulumi up --client`): for fixtures (a
// deliberately broken program) and for policy packs, which the language host built here cannot run (the engine
// then uses its fallback runner). The project directory is the sandbox's (sandbox/pulumi.ts).
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { PROJECT_NAME } from "../../lib/project";
import { prepareProject, pulumiEnv } from "../../sandbox/pulumi";
import { KWOK_CONTEXT } from "./kwok";
import { loadProgramAfresh } from "./program";

/** The stack with the project's program run afresh each time, or with `inlineProgram` instead. */
export async function openStack(
  stateDir: string,
  stackName: string,
  kubeconfig?: string,
  inlineProgram: () => Promise<Record<string, unknown> | void> = loadProgramAfresh,
): Promise<Stack> {
  const workDir = prepareProject(stateDir, stackName);
  const stack = await LocalWorkspace.createOrSelectStack(
    { stackName, projectName: PROJECT_NAME, program: inlineProgram },
    { workDir, envVars: pulumiEnv(stateDir, kubeconfig) },
  );
  if (kubeconfig) {
    await stack.setConfig(`${PROJECT_NAME}:existingCluster.kubeconfig`, { value: kubeconfig }, true);
    await stack.setConfig(`${PROJECT_NAME}:existingCluster.context`, { value: KWOK_CONTEXT }, true);
  }
  return stack;
}
