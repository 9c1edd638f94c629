import { McrouterConfig } from "./config";

/** Where the config ConfigMap is mounted: a directory (not subPath), so kubelet's updates reach the pod. */
export const MCROUTER_CONFIG_DIR = "/etc/mcrouter";
export const MCROUTER_CONFIG_FILE = "config.json";
/** Writable emptyDirs on a read-only root filesystem (K4): async spool, stats files, debug fifos. */
export const MCROUTER_SPOOL_DIR = "/var/spool/mcrouter";
export const MCROUTER_VAR_DIR = "/var/mcrouter";

/**
 * mcrouter's flags. `--config file:` makes mcrouter watch the file and reload it when the ConfigMap
 * changes; the failure-detection flags decide how fast a dead memcached pod is marked TKO and probed back.
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
    `--async-dir=${MCROUTER_SPOOL_DIR}`,
    `--stats-root=${MCROUTER_VAR_DIR}/stats`,
    `--debug-fifo-root=${MCROUTER_VAR_DIR}/fifos`,
  ];
}
