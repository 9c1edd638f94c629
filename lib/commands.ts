/**
 * The tutorial's telnet check, through a node's mcrouter: `set` then `get` a key from inside a sample app
 * pod, which reaches the mcrouter of its own node at $NODE_NAME:$MCROUTER_PORT.
 */
export function mcrouterCheckCommand(namespace: string, deployment: string): string {
  const protocol = String.raw`set mykey 0 0 5\r\nhello\r\nget mykey\r\nquit\r\n`;
  return `kubectl exec -n ${namespace} deploy/${deployment} -- sh -c 'printf "${protocol}" | nc -w 2 "$NODE_NAME" "$MCROUTER_PORT"'`;
}

/**
 * A look at memcached's metrics from a workstation: port-forward to the first pod's exporter (kubectl's
 * tunnel ends inside the pod, so the NetworkPolicy that keeps other pods out does not apply) and the numbers
 * that say whether the cache works.
 */
export function metricsCheckCommand(namespace: string, statefulSet: string, port: number): string {
  return `kubectl port-forward -n ${namespace} pod/${statefulSet}-0 ${port}:${port} >/dev/null & sleep 2; ` +
    `curl -s localhost:${port}/metrics | grep -E '^memcached_(up|commands_total|items_evicted_total|current_bytes|limit_bytes|current_connections|max_connections) '; kill $!`;
}
