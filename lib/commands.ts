/**
 * The tutorial's telnet check, through a node's mcrouter: `set` then `get` a key from inside a sample app
 * pod, which reaches the mcrouter of its own node at $NODE_NAME:$MCROUTER_PORT.
 */
export function mcrouterCheckCommand(namespace: string, deployment: string): string {
  const protocol = String.raw`set mykey 0 0 5\r\nhello\r\nget mykey\r\nquit\r\n`;
  return `kubectl exec -n ${namespace} deploy/${deployment} -- sh -c 'printf "${protocol}" | nc -w 2 "$NODE_NAME" "$MCROUTER_PORT"'`;
}
