/**
 * The tutorial's telnet check, through a node's mcrouter: `set` then `get` a key from inside a sample app
 * pod, which reaches the mcrouter of its own node at $NODE_NAME:$MCROUTER_PORT.
 */
export function mcrouterCheckCommand(namespace: string, deployment: string): string {
  const protocol = String.raw`set mykey 0 0 5\r\nhello\r\nget mykey\r\nquit\r\n`;
  return `kubectl exec -n ${namespace} deploy/${deployment} -- sh -c 'printf "${protocol}" | nc -w 2 "$NODE_NAME" "$MCROUTER_PORT"'`;
}

/** The series a look at each tier's metrics shows: the numbers that say whether the cache works. */
export interface CheckSeries {
  prefix: string;
  names: string[];
}
export const MEMCACHED_CHECK_SERIES: CheckSeries = {
  prefix: "memcached",
  names: [
    "up",
    "commands_total",
    "items_evicted_total",
    "current_bytes",
    "limit_bytes",
    "current_connections",
    "max_connections",
  ],
};
export const MCROUTER_CHECK_SERIES: CheckSeries = {
  prefix: "mcrouter",
  names: ["up", "config_last_attempt", "config_last_success", "server_memcached_hard_tko", "server_memcached_soft_tko"],
};
export const seriesNames = (s: CheckSeries): string[] => s.names.map((name) => `${s.prefix}_${name}`);

/**
 * A look at a tier's metrics from a workstation: port-forward to one of its pods' exporter (`target`, e.g.
 * pod/memcached-0 or ds/mcrouter; kubectl's tunnel ends inside the pod, so the NetworkPolicy that keeps other
 * pods out does not apply) and print `series`.
 */
export function metricsCheckCommand(namespace: string, target: string, port: number, series: CheckSeries): string {
  return (
    `kubectl port-forward -n ${namespace} ${target} ${port}:${port} >/dev/null & sleep 2; ` +
    `curl -s localhost:${port}/metrics | grep -E '^${series.prefix}_(${series.names.join("|")}) '; kill $!`
  );
}
