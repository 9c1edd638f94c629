// A control plane to try the stack by hand, kept running between commands:
//   npm run e2e:keep    starts it (3 KWOK nodes shaped like the dev pool), deploys the local stack, says how to use it
//   npm run e2e:down    destroys that stack and stops that control plane
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { log, startControlPlane, stopControlPlane } from "./controlPlane";
import { gkeShapedNodes } from "./gkeShape";
import { prepareProject, pulumiCli, pulumiEnv } from "./pulumiStack";
import { committedPool, initStack } from "./stacks";
import { PROJECT_NAME } from "../../lib/project";

const KEEP_DIR = join(
  process.env.XDG_STATE_HOME ?? join(process.env.HOME ?? tmpdir(), ".local", "state"),
  "memcached-gke-e2e",
);

async function keep(): Promise<void> {
  if (existsSync(join(KEEP_DIR, "control-plane.json")))
    throw new Error(`already running in ${KEEP_DIR}; \`npm run e2e:down\` first`);
  mkdirSync(KEEP_DIR, { recursive: true });
  const cp = await startControlPlane(KEEP_DIR, gkeShapedNodes({ ...committedPool("dev"), cluster: "memcached-local" }));
  const cli = await initStack(KEEP_DIR, cp, "local");
  await cli(["up", "--yes", "--skip-preview"]);
  const env = {
    ...pulumiEnv(KEEP_DIR, cp.kubeconfig),
    PATH: `${join(process.env.E2E_TOOLS_BIN!, "nodejs-host")}:${process.env.E2E_TOOLS_BIN}:$PATH`,
  };
  writeFileSync(
    join(KEEP_DIR, "env.sh"),
    Object.entries(env)
      .map(([k, v]) => `export ${k}=${k === "PATH" ? v : JSON.stringify(v)}`)
      .join("\n") + "\n",
  );
  console.log(`
The control plane keeps running with the local stack deployed (3 KWOK nodes; no containers really run).
  source ${join(KEEP_DIR, "env.sh")} && cd ${prepareProject(KEEP_DIR, "local")}
  kubectl get nodes; kubectl get pods -A -o wide
  pulumi stack output; pulumi config set --path memcached-gke:memcached.replicas 10; pulumi up
Tear it all down with: npm run e2e:down`);
}

async function down(): Promise<void> {
  // A keep that failed half-way has a control plane but maybe no stack: stop the control plane regardless.
  if (existsSync(join(KEEP_DIR, "backend", ".pulumi", "stacks", PROJECT_NAME, "local.json"))) {
    const cli = pulumiCli(prepareProject(KEEP_DIR, "local"), KEEP_DIR, join(KEEP_DIR, "kubeconfig"));
    await cli(["destroy", "--yes", "--skip-preview", "--stack", "local"]);
  }
  await stopControlPlane(KEEP_DIR);
  rmSync(KEEP_DIR, { recursive: true, force: true });
  log("stopped");
}

(process.argv[2] === "--down" ? down() : keep()).catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
