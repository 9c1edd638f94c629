// mcrouter's readiness probe, exactly as the DaemonSet runs it (bash's /dev/tcp, coreutils' timeout, grep:
// what the mcrouter image has), against a server that answers like mcrouter, against real memcached (which
// speaks the protocol but is not mcrouter), and against servers that misbehave. mcrouter itself cannot
// run here; its answer to `get __mcrouter__.version` is mcrouter's documented admin reply.
import { execFile } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MCROUTER_PORT } from "../../lib/ports";
import { fakeServer } from "../harness/fakeServer";
import { freePort } from "../../sandbox/process";
import { MemcachedProcess, startMemcached } from "../harness/memcachedProcess";
import { stackArtifacts } from "../harness/stackArtifacts";

let command: string[];
let memcached: MemcachedProcess;

beforeAll(async () => {
  const artifacts = await stackArtifacts("dev");
  command = artifacts.mcrouterReadinessCommand;
  memcached = await startMemcached(artifacts.memcachedArgs);
});
afterAll(async () => {
  await memcached?.stop();
});

/** The probe against `port` (it targets mcrouter's own port in the pod), with how long it took. */
function probe(port: number): Promise<{ code: number; seconds: number }> {
  const [shell, flag, script] = command;
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(
      shell,
      [flag, script.replace(`/127.0.0.1/${MCROUTER_PORT} `, `/127.0.0.1/${port} `)],
      { timeout: 30_000 },
      (error) =>
        resolve({
          code: error ? (typeof error.code === "number" ? error.code : -1) : 0,
          seconds: (Date.now() - started) / 1000,
        }),
    );
  });
}

const version = "2023.07.17.00";
const mcrouterReply = (request: string) =>
  request.startsWith("get __mcrouter__.version\r\n")
    ? `VALUE __mcrouter__.version 0 ${version.length}\r\n${version}\r\nEND\r\n`
    : "ERROR\r\n";

describe("mcrouter readiness probe", () => {
  it("is bash, targeting mcrouter's own port", () => {
    expect(command.slice(0, 2)).toEqual(["bash", "-c"]);
    expect(command[2]).toContain(`/dev/tcp/127.0.0.1/${MCROUTER_PORT} `);
  });

  it("passes when the server answers mcrouter's version key", async () => {
    const server = await fakeServer(mcrouterReply);
    try {
      expect((await probe(server.port)).code).toBe(0);
    } finally {
      server.close();
    }
  });

  it("fails against memcached: speaking the protocol is not being mcrouter", async () => {
    expect((await probe(memcached.port)).code).not.toBe(0);
  });

  it("fails when nothing listens", async () => {
    expect((await probe(await freePort())).code).not.toBe(0);
  });

  it("fails within its time bound when the port accepts but nothing answers", async () => {
    const server = await fakeServer(() => undefined);
    try {
      const result = await probe(server.port);
      expect(result.code).not.toBe(0);
      expect(result.seconds).toBeLessThan(3);
    } finally {
      server.close();
    }
  });
});
