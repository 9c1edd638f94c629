// The sample app's startup probe, exactly as the Deployment runs it, under busybox (what the app image
// has), against real memcached and against servers that misbehave.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeServer } from "../harness/fakeServer";
import { freePort } from "../../sandbox/process";
import { MemcachedProcess, startMemcached } from "../harness/memcachedProcess";
import { stackArtifacts } from "../harness/stackArtifacts";

const BUSYBOX = process.env.BUSYBOX_BIN ?? "/bin/busybox";
const APPLETS = ["sh", "nc", "timeout", "tr", "cat", "printf", "echo", "[", "test", "grep"];

/** A PATH holding only busybox applets, like the busybox image. */
let appletDir: string;

interface ProbeResult {
  code: number;
  stderr: string;
  seconds: number;
}

function runProbe(script: string, port: number): Promise<ProbeResult> {
  return runShell(script, { NODE_NAME: "127.0.0.1", MCROUTER_PORT: String(port), HOSTNAME: "sample-app-test" });
}

function runShell(script: string, env: Record<string, string>): Promise<ProbeResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(
      join(appletDir, "sh"),
      ["-c", script],
      {
        env: { PATH: appletDir, ...env },
        timeout: 30_000,
      },
      (error, _stdout, stderr) => {
        resolve({
          code: error ? (typeof error.code === "number" ? error.code : -1) : 0,
          stderr,
          seconds: (Date.now() - started) / 1000,
        });
      },
    );
  });
}

let script: string;
let readinessScript: string;
let memcached: MemcachedProcess;

beforeAll(async () => {
  appletDir = mkdtempSync(join(tmpdir(), "busybox-"));
  for (const applet of APPLETS) symlinkSync(BUSYBOX, join(appletDir, applet));
  const artifacts = await stackArtifacts("dev");
  script = artifacts.dataPathScript;
  readinessScript = artifacts.memcachedReadinessScript;
  memcached = await startMemcached(artifacts.memcachedArgs);
});
afterAll(async () => {
  await memcached?.stop();
  rmSync(appletDir, { recursive: true, force: true });
});

describe("memcached readiness probe (busybox sh + nc, as in the alpine image)", () => {
  /** The probe targets the container's own port; the test server's port stands in for it. */
  const onPort = (port: number) => readinessScript.replace(" 11211 ", ` ${port} `);

  it("targets memcached's port", () => {
    expect(readinessScript).toContain("nc 127.0.0.1 11211 ");
  });

  it("passes when memcached answers its protocol", async () => {
    expect((await runShell(onPort(memcached.port), {})).code).toBe(0);
  });

  it("fails when nothing listens", async () => {
    expect((await runShell(onPort(await freePort()), {})).code).not.toBe(0);
  });

  it("fails within its time bound when the port accepts but nothing answers", async () => {
    const server = await fakeServer(() => undefined);
    try {
      const result = await runShell(onPort(server.port), {});
      expect(result.code).not.toBe(0);
      expect(result.seconds).toBeLessThan(3);
    } finally {
      server.close();
    }
  });
});

describe("sample app data-path probe (busybox sh + nc)", () => {
  it("stores and reads back a unique key on a live server", async () => {
    const before = Number((await memcached.stats()).cmd_set);
    const result = await runProbe(script, memcached.port);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(Number((await memcached.stats()).cmd_set)).toBe(before + 1);
    // A second run writes another key: probes of different pods never read each other's value.
    expect((await runProbe(script, memcached.port)).code).toBe(0);
    expect(Number((await memcached.stats()).curr_items)).toBeGreaterThanOrEqual(2);
  });

  it("fails when nothing listens", async () => {
    const result = await runProbe(script, await freePort());
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("data path check via 127.0.0.1:");
  });

  it("fails when the value read back differs", async () => {
    const server = await fakeServer((request) => {
      const key = /^set (\S+) /.exec(request)![1];
      return `STORED\r\nVALUE ${key} 0 5\r\nwrong\r\nEND\r\n`;
    });
    try {
      const result = await runProbe(script, server.port);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain("wrong");
    } finally {
      server.close();
    }
  });

  it("fails when the set is not stored", async () => {
    const server = await fakeServer(() => "SERVER_ERROR out of memory storing object\r\nEND\r\n");
    try {
      expect((await runProbe(script, server.port)).code).not.toBe(0);
    } finally {
      server.close();
    }
  });

  it("fails within its time bound when the server accepts but never answers", async () => {
    const server = await fakeServer(() => undefined);
    try {
      const result = await runProbe(script, server.port);
      expect(result.code).not.toBe(0);
      // Bounded by the script's own `timeout 5`, inside the probe's timeoutSeconds (8).
      expect(result.seconds).toBeGreaterThanOrEqual(4.5);
      expect(result.seconds).toBeLessThan(7);
    } finally {
      server.close();
    }
  }, 15_000);
});
