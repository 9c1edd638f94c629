// The ports of the stack, declared once: the components, the policy pack, the tests and the docs read them here.

export const MEMCACHED_PORT = 11211;
/** mcrouter's port, a hostPort on every node: what apps reach at $NODE_NAME:5000 (the tutorial's port). */
export const MCROUTER_PORT = 5000;
/** memcached_exporter's registered default port (prometheus/prometheus wiki, "Default port allocations"). */
export const METRICS_PORT = 9150;
/** mcrouter_exporter's own default listen port (Dev25/mcrouter_exporter README, `-web.listen-address :9442`); not a hostPort. */
export const MCROUTER_METRICS_PORT = 9442;
