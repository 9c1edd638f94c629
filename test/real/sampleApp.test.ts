// The sample app's process as Kubernetes runs it, PID 1 of its own PID namespace (unshare, as root): SIGTERM ends
// it at once, where `exec httpd -f` (what it used to run) ignored SIGTERM and made every pod wait out its grace.
import { ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { sampleAppCommand } from "../../lib/tiers/sampleApp";
import { freePort, waitFor } from "../../sandbox/process";

const root = process.getuid?.() === 0;
const work = mkdtempSync(join(tmpdir(), "memcached-gke-app-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Runs `command` as PID 1 of a new PID namespace (cwd `work`, so /tmp/www lands there); resolves with its pid. */
async function asPid1(command: string[], port: number): Promise<{ unshare: ChildProcess; pid1: number }> {
  const script = command[2].replaceAll("/tmp/www", join(work, String(port)));
  const unshare = spawn("unshare", ["--pid", "--fork", "--mount-proc", "busybox", "sh", "-c", script], {
    stdio: "ignore",
  });
  let pid1 = 0;
  await waitFor("the app to serve its health endpoint", 10_000, async () => {
    pid1 = Number(readFileSync(`/proc/${unshare.pid}/task/${unshare.pid}/children`, "utf8").trim().split(" ")[0]);
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    return pid1 > 0 && (await res.text()).trim() === "ok";
  });
  return { unshare, pid1 };
}

const exitWithin = (child: ChildProcess, ms: number) =>
  new Promise<boolean>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve(true);
    const timer = setTimeout(() => resolve(false), ms);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });

describe.skipIf(!root)("the sample app as PID 1 (needs root for a PID namespace)", () => {
  it("ends on SIGTERM within a second", async () => {
    const port = await freePort();
    const { unshare, pid1 } = await asPid1(sampleAppCommand(port), port);
    process.kill(pid1, "SIGTERM");
    const ended = await exitWithin(unshare, 1_000);
    if (!ended) process.kill(pid1, "SIGKILL"); // a PID 1 ignores SIGTERM, never SIGKILL from its parent namespace
    expect(ended).toBe(true);
  });

  it("control: `exec httpd -f`, the former command, ignores SIGTERM as PID 1", async () => {
    const port = await freePort();
    const former = [
      "sh",
      "-c",
      `mkdir -p /tmp/www && echo ok > /tmp/www/healthz && exec httpd -f -p ${port} -h /tmp/www`,
    ];
    const { unshare, pid1 } = await asPid1(former, port);
    process.kill(pid1, "SIGTERM");
    const ended = await exitWithin(unshare, 2_000);
    process.kill(pid1, "SIGKILL");
    await exitWithin(unshare, 5_000);
    expect(ended).toBe(false);
  });
});
