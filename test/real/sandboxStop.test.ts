// `npm stop -- --context NAME` on a cluster of the user's that does not answer: the stack cannot be destroyed, and
// its state is the only way to destroy it later, so it is kept and the stop fails saying so (real kubectl, a port
// nothing listens on).
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { PROJECT_NAME } from "../../lib/project";
import { freePort } from "../../sandbox/process";
import { sandboxPaths, STACK, stopSandbox } from "../../sandbox/sandbox";

const root = mkdtempSync(join(tmpdir(), "memcached-gke-stop-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

it("npm stop -- --context: a cluster that does not answer keeps the stack's state and fails, naming the way out", async () => {
  const context = "gone";
  const paths = sandboxPaths(context, root);
  const kubeconfig = join(paths.stateDir, "kubeconfig");
  const stackFile = join(paths.stateDir, "backend", ".pulumi", "stacks", PROJECT_NAME, `${STACK}.json`);
  mkdirSync(dirname(stackFile), { recursive: true });
  writeFileSync(stackFile, "{}");
  writeFileSync(
    kubeconfig,
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: context, cluster: { server: `https://127.0.0.1:${await freePort()}` } }],
      users: [{ name: context, user: {} }],
      contexts: [{ name: context, context: { cluster: context, user: context } }],
      "current-context": context,
    }),
  );
  writeFileSync(paths.recordFile, JSON.stringify({ kubeconfig, context, standIns: [] }));

  await expect(stopSandbox({ context, root })).rejects.toThrow(
    `the cluster does not answer (context gone): the stack's state stays in ${paths.stateDir}, and ` +
      "`npm stop -- --context gone` destroys it once that is fixed",
  );
  expect(existsSync(stackFile)).toBe(true);
  expect(existsSync(paths.recordFile)).toBe(true);
});
