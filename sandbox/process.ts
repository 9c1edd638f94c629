// Processes, commands and bounded waits of the local sandbox: every wait says what it waits for, prints progress
// at least every 10 s, and on timeout names the log file to read.
import { ChildProcess, execFile, spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import * as net from "node:net";
import { join } from "node:path";

let tag = "sandbox";
/** The prefix of every log line: `[sandbox 12:00:01]` for `npm start`, `[e2e …]` in the tests. */
export const setLogTag = (t: string): void => {
  tag = t;
};

export function log(message: string): void {
  console.log(`[${tag} ${new Date().toISOString().slice(11, 19)}] ${message}`);
}

/** The longest a phase or a wait stays silent. */
export const HEARTBEAT_MS = 10_000;

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Runs a phase of work: says what it does, that it still does it every 10 s, and how long it took. */
export async function phase<T>(what: string, action: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  log(`${what} ...`);
  const ticker = setInterval(() => log(`  still: ${what} (${seconds(Date.now() - t0)})`), HEARTBEAT_MS);
  try {
    const result = await action();
    log(`${what}: done in ${seconds(Date.now() - t0)}`);
    return result;
  } finally {
    clearInterval(ticker);
  }
}

/** A command, asynchronously and bounded: stdout, or a rejection with its stderr. */
export function command(
  cmd: string,
  args: string[],
  input?: string,
  timeoutMs = 60_000,
  env?: Record<string, string>,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      cmd,
      args,
      { encoding: "utf8", timeout: timeoutMs, maxBuffer: 64 << 20, env: env && { ...process.env, ...env } },
      (error, stdout, stderr) =>
        error ? reject(new Error(`${cmd} ${args.join(" ")}: ${stderr || error.message}`)) : resolve(stdout),
    );
    child.stdin?.on("error", () => undefined); // a command that exits before reading its input
    child.stdin?.end(input ?? "");
  });
}

export const kubectl = (kubeconfig: string, args: string[], input?: string, timeoutMs = 60_000): Promise<string> =>
  command("kubectl", ["--kubeconfig", kubeconfig, ...args], input, timeoutMs);

export async function kubectlJson(kubeconfig: string, args: string[]): Promise<any> {
  return JSON.parse(await kubectl(kubeconfig, [...args, "-o", "json"]));
}

export interface WaitOptions {
  /** Where to look when the wait times out. */
  logFile?: string;
  /** Says how the thing waited for stands, for the progress lines and the timeout's message. */
  status?: () => Promise<string> | string;
}

/** Polls `probe` until it holds; bounded, with a progress line every 10 s and a timeout that says what to read. */
export async function waitFor(
  what: string,
  timeoutMs: number,
  probe: () => boolean | Promise<boolean>,
  options: WaitOptions = {},
): Promise<void> {
  const t0 = Date.now();
  let nextBeat = t0 + HEARTBEAT_MS;
  const status = async () => {
    try {
      return options.status ? ` (${await options.status()})` : "";
    } catch {
      return "";
    }
  };
  for (let attempt = 1; ; attempt++) {
    try {
      if (await probe()) return;
    } catch {
      // not yet
    }
    const now = Date.now();
    if (now - t0 > timeoutMs) {
      throw new Error(
        `timed out after ${seconds(timeoutMs)} waiting for ${what}${await status()}` +
          (options.logFile ? `; see ${options.logFile}` : ""),
      );
    }
    if (now >= nextBeat) {
      log(`  waiting for ${what}: ${seconds(now - t0)} of at most ${seconds(timeoutMs)}${await status()}`);
      nextBeat = now + HEARTBEAT_MS;
    }
    await new Promise((r) => setTimeout(r, Math.min(100 * attempt, 1000)));
  }
}

/** Set once we stop the processes ourselves: their exit codes on SIGTERM are then expected. */
let stopping = false;
export const expectExits = (expected: boolean): void => {
  stopping = expected;
};

export const logFileOf = (dir: string, name: string): string => join(dir, `${name}.log`);

/** Starts a tool in its own process group, its output in `<dir>/<name>.log`. */
export function start(dir: string, name: string, args: string[], env?: Record<string, string>): ChildProcess {
  const logFd = openSync(logFileOf(dir, name), "a");
  const child = spawn(name, args, {
    stdio: ["ignore", logFd, logFd],
    detached: true,
    env: env && { ...process.env, ...env },
  });
  closeSync(logFd);
  child.unref();
  child.on("error", (e) => log(`${name} did not start: ${e.message}`));
  child.on("exit", (code) => {
    if (!stopping && code !== null && code !== 0) log(`${name} exited with ${code}; see ${logFileOf(dir, name)}`);
  });
  return child;
}

/** Whether a process still runs (a zombie, exited but not yet reaped, does not). */
export const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z ");
  } catch {
    return false;
  }
};

/** Ends a process: SIGTERM, then SIGKILL after `graceMs`; resolves once it is gone. */
export async function stopPid(name: string, pid: number | undefined, graceMs = 15_000): Promise<void> {
  if (!pid || !alive(pid)) return;
  process.kill(pid, "SIGTERM");
  await waitFor(`${name} to exit`, graceMs, () => !alive(pid)).catch(async () => {
    log(`${name} (${pid}) did not exit on SIGTERM within ${graceMs / 1000} s: killed`);
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      /* gone */
    }
    await waitFor(`${name} to be killed`, 10_000, () => !alive(pid)).catch(() => undefined);
  });
}

/** A TCP port nothing listens on right now on `address` (the kernel picks it). */
export function freePort(address = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, address, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
