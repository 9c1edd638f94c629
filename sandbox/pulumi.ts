// The project on the real Pulumi engine, fully offline, with a file backend in a state directory:
// - `pulumiCli`: the real `pulumi` CLI with the Node.js language host (what `pulumi up` runs for users);
// - `openStack`: the Automation API with an inline program (`pulumi up --client`), for fixtures and for
//   policy packs, which the language host built here cannot run (the engine then uses its fallback runner).
// Both work in a project directory of their own: copies of Pulumi.yaml and the committed stack file (so
// config set here never touches the repository) and links to the program.
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { execFile, spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { loadProgramAfresh, ROOT } from "../../test/support/program";
import { PROJECT_NAME } from "../../lib/project";

export { ROOT };
const PROGRAM_FILES = ["index.ts", "components", "lib", "package.json", "tsconfig.json", "node_modules"];

/** The directory holding the Go-built language host (see scripts/build-tools.sh). */
const languageHostDir = () => join(process.env.E2E_TOOLS_BIN ?? "", "nodejs-host");

/**
 * A project directory for `stackName`: the repository's program, and the committed local stack's config or
 * `stackConfig` (a stack file's `config:` values).
 */
export function prepareProject(stateDir: string, stackName: string, stackConfig?: Record<string, unknown>): string {
  const workDir = join(stateDir, `project-${stackName}`);
  if (existsSync(workDir)) return workDir;
  mkdirSync(workDir, { recursive: true });
  mkdirSync(join(stateDir, "backend"), { recursive: true });
  copyFileSync(join(ROOT, "Pulumi.yaml"), join(workDir, "Pulumi.yaml"));
  if (stackConfig) writeFileSync(join(workDir, `Pulumi.${stackName}.yaml`), stringify({ config: stackConfig }));
  else copyFileSync(join(ROOT, "Pulumi.local.yaml"), join(workDir, `Pulumi.${stackName}.yaml`));
  for (const file of PROGRAM_FILES) symlinkSync(join(ROOT, file), join(workDir, file));
  return workDir;
}

/** Environment of every Pulumi command: offline, file backend, no passphrase prompt. */
export function pulumiEnv(stateDir: string, kubeconfig?: string): Record<string, string> {
  return {
    PULUMI_BACKEND_URL: `file://${join(stateDir, "backend")}`,
    PULUMI_HOME: join(stateDir, "pulumi-home"),
    PULUMI_CONFIG_PASSPHRASE: "",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    ...(kubeconfig ? { KUBECONFIG: kubeconfig } : {}),
  };
}

export interface CliResult {
  stdout: string;
  stderr: string;
}

export type Cli = ReturnType<typeof pulumiCli>;
const CLI_TIMEOUT_MS = 5 * 60_000;

/** The real CLI on a project directory: `cli(["up", "--yes"])`. Rejects with the output on failure. */
export function pulumiCli(workDir: string, stateDir: string, kubeconfig: string) {
  const env = {
    ...process.env,
    ...pulumiEnv(stateDir, kubeconfig),
    PATH: `${languageHostDir()}:${process.env.PATH}`,
  };
  const argv = (args: string[]) => [...args, "--non-interactive", "--cwd", workDir];
  // Bounded: a run that hangs is interrupted (SIGINT lets the engine save its state) and reported.
  const cli = (args: string[], timeoutMs = CLI_TIMEOUT_MS): Promise<CliResult> =>
    new Promise((resolve, reject) => {
      execFile(
        "pulumi",
        argv(args),
        { env, maxBuffer: 64 << 20, timeout: timeoutMs, killSignal: "SIGINT" },
        (error, stdout, stderr) => {
          const result = { stdout, stderr };
          if (process.env.E2E_VERBOSE) process.stdout.write(stdout + stderr);
          if (error) reject(Object.assign(new Error(`pulumi ${args.join(" ")} failed:\n${stdout}\n${stderr}`), result));
          else resolve(result);
        },
      );
    });
  /**
   * The CLI in the background, in a process group of its own (with its language host and provider), for
   * tests that interrupt it: `exited` resolves with its exit code or signal and its output.
   */
  cli.start = (args: string[]): Running => {
    const child = spawn("pulumi", argv(args), { env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout!.on("data", (d) => {
      output += d;
    });
    child.stderr!.on("data", (d) => {
      output += d;
    });
    const exited = new Promise<Exit>((resolve) =>
      child.on("exit", (code, signal) => resolve({ code, signal, output })),
    );
    return { pid: child.pid!, exited };
  };
  return cli;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}
export interface Running {
  pid: number;
  exited: Promise<Exit>;
}

/** The program, run afresh each time the engine asks for it (Automation API). */
const program = loadProgramAfresh;

/**
 * The stack through the Automation API; `inlineProgram` replaces the project's program (for deliberately
 * broken fixtures). The language host stays off PATH here.
 */
export async function openStack(
  stateDir: string,
  stackName: string,
  kubeconfig?: string,
  inlineProgram: () => Promise<Record<string, unknown> | void> = program,
): Promise<Stack> {
  const workDir = prepareProject(stateDir, stackName);
  const stack = await LocalWorkspace.createOrSelectStack(
    { stackName, projectName: PROJECT_NAME, program: inlineProgram },
    {
      workDir,
      envVars: pulumiEnv(stateDir, kubeconfig),
    },
  );
  if (kubeconfig) {
    await stack.setConfig(`${PROJECT_NAME}:existingCluster.kubeconfig`, { value: kubeconfig }, true);
    await stack.setConfig(`${PROJECT_NAME}:existingCluster.context`, { value: "kwok" }, true);
  }
  return stack;
}
