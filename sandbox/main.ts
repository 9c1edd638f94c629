// `npm start` and `npm stop` (`tsx sandbox/main.ts start|stop [--context NAME]`): the sandbox's command line.
// Installs what the machine lacks and builds (or reuses) the tools first, each step saying what it does.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { phase, setLogTag, log } from "./process";
import { imageBinsFromEnv } from "./images";
import { ROOT, toolPath } from "./pulumi";
import {
  checkMachine,
  pulumiUpRunning,
  SandboxRefusal,
  sandboxPaths,
  startSandbox,
  stopSandbox,
  summary,
} from "./sandbox";

const USAGE = `usage: npm start [-- --context NAME]   deploy the stack onto a real node of this machine (root, Linux),
                                      or onto the cluster of kubeconfig context NAME
       npm stop [-- --context NAME]    take it all away`;

/** Runs a script of the repository, its progress on the terminal; resolves with its standard output. */
function script(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      "bash",
      args.map((a, i) => (i === 0 ? join(ROOT, a) : a)),
      {
        cwd: ROOT,
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`${args[0]} exited with ${code}`))));
  });
}

/** Builds or reuses the Go-built tools; puts what build-tools.sh exports into this process's environment. */
async function tools(sandboxOnly: boolean): Promise<void> {
  const exports = await script(["scripts/build-tools.sh", ...(sandboxOnly ? ["--sandbox"] : [])]);
  for (const [, key, value] of exports.matchAll(/(\w+)=(\S+)/g)) process.env[key] = value;
  process.env.PATH = [...toolPath(), process.env.PATH].join(":");
}

async function main(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  const at = rest.indexOf("--context");
  const context = at >= 0 ? rest[at + 1] : undefined;
  if (!["start", "stop"].includes(verb) || (at >= 0 && !context) || rest.length !== (at >= 0 ? 2 : 0)) {
    console.error(USAGE);
    return 2;
  }
  setLogTag(verb);
  const t0 = Date.now();
  try {
    if (verb === "start") {
      if (!context) {
        // Before anything is installed or built: a machine that cannot run the node is told so at once.
        await phase("checking this machine", async () => checkMachine(sandboxPaths()));
        await phase("installing what this machine lacks", () => script(["scripts/ensure-deps.sh"]));
      }
      await phase("the tools (built from Go modules on the first run, then cached)", () => tools(true));
      const report = await startSandbox({ context, bins: imageBinsFromEnv() });
      for (const line of await summary(report)) console.log(line);
      log(`npm start: done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    } else {
      await phase("the tools", () => tools(true));
      const { left, nothing } = await stopSandbox({ context });
      if (nothing) log("nothing to stop");
      else if (left.length) log(`could not remove:\n${left.map((l) => `  ${l}`).join("\n")}`);
      log(`npm stop: done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      return left.length ? 1 : 0;
    }
    return 0;
  } catch (e) {
    if (e instanceof SandboxRefusal) {
      console.error(e.message);
      console.error("Nothing was changed.");
      return 2;
    }
    console.error(`${verb} failed: ${(e as Error).message}`);
    if (verb === "start")
      console.error("What started is still there: `npm stop` takes it away (and says what it could not).");
    return 1;
  }
}

process.on("SIGINT", () => {
  console.error("\ninterrupted: what started is still there; `npm stop` takes it away");
  // `pulumi up`, when it runs, gets the signal too (sandbox.ts) and saves its state before it exits.
  setTimeout(() => process.exit(130), pulumiUpRunning() ? 15_000 : 0).unref();
});

main(process.argv.slice(2)).then((code) => process.exit(code));
