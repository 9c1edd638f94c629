// The sample app's proof of the data path: store a unique key through the node-local mcrouter and read it
// back, in memcached's ASCII protocol, with nothing but busybox (sh, nc, timeout, tr). It is the Deployment's
// startup probe, and the tests run this exact text against real memcached.

/**
 * busybox nc's -w (1.10-compatible mode, busybox's default): the connect timeout, and once stdin has ended the
 * time it waits for more to read (mirror/busybox networking/nc_bloaty.c); the whole exchange is bounded by
 * CHECK_TIMEOUT_SECONDS.
 */
export const NC_CONNECT_SECONDS = 2;
export const CHECK_TIMEOUT_SECONDS = 5;

/**
 * Exits 0 only when `set` answered STORED and `get` returned the same value. Reads $NODE_NAME and
 * $MCROUTER_PORT from the pod's environment.
 */
export const DATA_PATH_CHECK_SCRIPT = [
  "set -eu",
  'id="$(cat /proc/sys/kernel/random/uuid)"',
  'key="datapath-check:${HOSTNAME:-pod}:${id}"',
  'value="ok-${id}"',
  // Piped straight into nc: a $(...) around the request would strip its final newline, and the quit with it.
  `reply="$(printf 'set %s 0 60 %s\\r\\n%s\\r\\nget %s\\r\\nquit\\r\\n' "$key" "\${#value}" "$value" "$key" \\`,
  `  | timeout ${CHECK_TIMEOUT_SECONDS} nc -w ${NC_CONNECT_SECONDS} "$NODE_NAME" "$MCROUTER_PORT" | tr -d '\\r')" || true`,
  'expected="$(printf \'STORED\\nVALUE %s 0 %s\\n%s\\nEND\' "$key" "${#value}" "$value")"',
  'if [ "$reply" != "$expected" ]; then',
  '  echo "data path check via $NODE_NAME:$MCROUTER_PORT failed; got: $reply" >&2',
  "  exit 1",
  "fi",
].join("\n");
