import { McrouterConfig } from "../config/schema";

/** Where the config ConfigMap is mounted: a directory (not subPath), so kubelet's updates reach the pod. */
export const MCROUTER_CONFIG_DIR = "/etc/mcrouter";
export const MCROUTER_CONFIG_FILE = "config.json";
/** The writable emptyDir on a read-only root filesystem (K4): stats files, debug fifos, the (unused) spool. */
export const MCROUTER_VAR_DIR = "/var/mcrouter";

/**
 * mcrouter's flags (each checked against mcrouter's option list: an unknown flag is only logged, never
 * fatal). `--config file:` makes mcrouter watch the file and reload it when the ConfigMap changes; the
 * failure-detection flags decide how fast a dead memcached pod is marked TKO and probed back.
 * `--asynclog-disable`: by default mcrouter spools a delete it could not deliver (server down or TKO) to
 * disk and answers the client NOT_FOUND, as if it had worked; nothing here replays that spool, so the
 * delete would be lost and stale data survive. Disabled, the client gets the error and can retry.
 */
export function mcrouterArgs(c: McrouterConfig, port: number): string[] {
  return [
    `--port=${port}`,
    `--config=file:${MCROUTER_CONFIG_DIR}/${MCROUTER_CONFIG_FILE}`,
    `--num-proxies=${c.numProxies}`,
    `--server-timeout=${c.serverTimeoutMs}`,
    `--timeouts-until-tko=${c.timeoutsUntilTko}`,
    `--probe-timeout-initial=${c.probeTimeoutInitialMs}`,
    `--probe-timeout-max=${c.probeTimeoutMaxMs}`,
    "--asynclog-disable",
    // The spool directory is checked for writing at every start, spooling on or off (mcrouter v2023.07.17.00
    // CarbonRouterInstance-inl.h L117-120: a warning when not writable); its default /var/spool/mcrouter is on the
    // read-only root, so it is the writable emptyDir.
    `--async-dir=${MCROUTER_VAR_DIR}`,
    `--stats-root=${MCROUTER_VAR_DIR}/stats`,
    `--debug-fifo-root=${MCROUTER_VAR_DIR}/fifos`,
  ];
}

/** What mcrouter answers itself, without a backend: its version, as the value of this key. */
export const MCROUTER_VERSION_KEY = "__mcrouter__.version";

/**
 * mcrouter's readiness check, run in its own container: mcrouter must answer its own protocol (a `get` of
 * its version key), not merely accept the connection. bash's /dev/tcp and coreutils' timeout are what the
 * image has (no nc); nothing is written to the read-only root.
 */
export function mcrouterReadinessCommand(port: number): string[] {
  return [
    "bash",
    "-c",
    `exec 3<>/dev/tcp/127.0.0.1/${port} && printf 'get ${MCROUTER_VERSION_KEY}\\r\\nquit\\r\\n' >&3 && timeout 2 cat <&3 | grep -q '^VALUE ${MCROUTER_VERSION_KEY} '`,
  ];
}
