// The sample app's own process: a stand-in for a real app that serves its health endpoint and nothing else.

/**
 * `sh` stays PID 1 and ends httpd on SIGTERM. httpd run as PID 1 (`exec httpd -f`) would ignore SIGTERM: the
 * kernel does not deliver to a PID 1 a signal it has no handler for, so every pod waited out its whole grace
 * period on each rollout, scale-down and destroy.
 */
export const sampleAppCommand = (healthPort: number): string[] => [
  "sh",
  "-c",
  [
    "mkdir -p /tmp/www && echo ok > /tmp/www/healthz && echo ok > /tmp/www/ready",
    `httpd -f -p ${healthPort} -h /tmp/www &`,
    "trap 'kill \"$!\"; exit 0' TERM",
    "wait",
  ].join("\n"),
];
