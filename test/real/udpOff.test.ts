// memcached with the StatefulSet's args opens no UDP socket (M1). The same checks against memcached with
// UDP on show that they can tell the difference.
import { execFileSync } from "node:child_process";
import * as dgram from "node:dgram";
import { afterEach, describe, expect, it } from "vitest";
import { MemcachedProcess, PORT, startMemcached } from "../harness/memcachedProcess";
import { argValue, stackArtifacts } from "../harness/stackArtifacts";

/** UDP sockets the process owns, from `ss` (iproute2). */
function udpSocketsOf(pid: number): string[] {
  return execFileSync("ss", ["-u", "-a", "-n", "-p"], { encoding: "utf8" })
    .split("\n")
    .filter((l) => l.includes(`pid=${pid},`));
}

/** Sends memcached's UDP frame + `version`; resolves with the reply, or undefined after `waitMs`. */
function udpVersion(port: number, waitMs = 500): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket("udp4");
    const timer = setTimeout(() => {
      socket.close();
      resolve(undefined);
    }, waitMs);
    socket.on("message", (msg) => {
      clearTimeout(timer);
      socket.close();
      resolve(msg.subarray(8).toString());
    });
    socket.on("error", () => undefined);
    // Request id 1, sequence 0, 1 datagram, reserved.
    const frame = Buffer.from([0, 1, 0, 0, 0, 1, 0, 0]);
    socket.send(Buffer.concat([frame, Buffer.from("version\r\n")]), port, "127.0.0.1");
  });
}

describe("UDP (real memcached)", () => {
  let server: MemcachedProcess | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it("is off with the StatefulSet's arguments", async () => {
    const { memcachedArgs } = await stackArtifacts("dev");
    expect(argValue(memcachedArgs, "-U")).toBe("0");
    server = await startMemcached(memcachedArgs);
    expect(udpSocketsOf(server.pid)).toEqual([]);
    expect(await udpVersion(server.port)).toBeUndefined();
  });

  it("would be detected if it were on", async () => {
    const { memcachedArgs } = await stackArtifacts("dev");
    const udpOn = memcachedArgs.map((a, i) => (memcachedArgs[i - 1] === "-U" ? PORT : a));
    server = await startMemcached(udpOn);
    expect(udpSocketsOf(server.pid).length).toBeGreaterThan(0);
    expect(await udpVersion(server.port)).toMatch(/^VERSION 1\.6\./);
  });
});
