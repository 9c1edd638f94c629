// Real memcached processes for tests and benchmarks: Debian's /usr/bin/memcached on a free loopback port,
// started with the exact arguments the StatefulSet gets (only the listen address and port are changed).
import { ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import * as net from "node:net";
import { freePort } from "../../sandbox/process";

export const MEMCACHED_BIN = process.env.MEMCACHED_BIN ?? "/usr/bin/memcached";

/** A stand-in for the port a test server gets, for arguments that must name it (e.g. `-U PORT`). */
export const PORT = "{port}";

/** Replaces `-p <port>` (and PORT), and binds to loopback only. */
export function onLoopbackPort(args: string[], port: number): string[] {
  const out = args.map((a) => (a === PORT ? String(port) : a));
  const p = out.indexOf("-p");
  if (p < 0) throw new Error(`no -p in memcached args ${args.join(" ")}`);
  out[p + 1] = String(port);
  return [...out, "-l", "127.0.0.1"];
}

export interface MemcachedProcess {
  port: number;
  pid: number;
  args: string[];
  stats(): Promise<Record<string, string>>;
  /** Resident and peak resident memory of the process, in KiB. */
  memory(): { rssKib: number; peakRssKib: number };
  stop(): Promise<void>;
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; Date.now() < deadline; attempt++) {
    if (child.exitCode !== null) throw new Error(`memcached exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, "127.0.0.1", () => {
        s.destroy();
        resolve(true);
      });
      s.on("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, Math.min(20 * (attempt + 1), 200)));
  }
  throw new Error(`memcached did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`);
}

/** Sends one ASCII command on an open connection and returns the reply up to `terminator`. */
export function commandOn(socket: net.Socket, text: string, terminator = "END\r\n", timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    let reply = "";
    const onData = (d: Buffer) => {
      reply += d.toString("latin1");
      if (reply.endsWith(terminator)) done(() => resolve(reply));
    };
    const onError = (e: Error) => done(() => reject(e));
    const timer = setTimeout(
      () => done(() => reject(new Error(`no reply to ${JSON.stringify(text)} within ${timeoutMs} ms`))),
      timeoutMs,
    );
    const done = (settle: () => void) => {
      clearTimeout(timer);
      socket.off("data", onData);
      socket.off("error", onError);
      settle();
    };
    socket.on("data", onData);
    socket.on("error", onError);
    socket.write(text);
  });
}

/** Sends one ASCII command on a new connection. */
export async function command(port: number, text: string, terminator = "END\r\n", timeoutMs = 5000): Promise<string> {
  const socket = await new Promise<net.Socket>((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1", () => resolve(s));
    s.once("error", reject);
  });
  try {
    return await commandOn(socket, text, terminator, timeoutMs);
  } finally {
    socket.destroy();
  }
}

/** memcached's `stats` as a map. */
export function parseStats(reply: string): Record<string, string> {
  return Object.fromEntries(
    reply
      .split("\r\n")
      .filter((l) => l.startsWith("STAT "))
      .map((l) => {
        const [, key, ...value] = l.split(" ");
        return [key, value.join(" ")];
      }),
  );
}

export async function startMemcached(statefulSetArgs: string[]): Promise<MemcachedProcess> {
  const port = await freePort();
  // memcached refuses to run as root without -u; CI runs as root.
  const asUser = process.getuid?.() === 0 ? ["-u", "nobody"] : [];
  const args = [...onLoopbackPort(statefulSetArgs, port), ...asUser];
  const child = spawn(MEMCACHED_BIN, args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (d) => {
    stderr += d;
  });
  try {
    await waitForPort(port, child, 5000);
  } catch (e) {
    child.kill("SIGKILL");
    throw new Error(`${(e as Error).message}; args: ${args.join(" ")}; stderr: ${stderr}`);
  }
  const pid = child.pid!;
  return {
    port,
    pid,
    args,
    async stats() {
      return parseStats(await command(port, "stats\r\n"));
    },
    memory() {
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)![1]);
      return { rssKib: kib("VmRSS"), peakRssKib: kib("VmHWM") };
    },
    stop() {
      return new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        const killer = setTimeout(() => child.kill("SIGKILL"), 3000);
        child.once("exit", () => {
          clearTimeout(killer);
          resolve();
        });
        child.kill("SIGTERM");
      });
    },
  };
}
