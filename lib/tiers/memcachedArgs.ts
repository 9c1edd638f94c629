import { MEMCACHED_PORT } from "../ports";

/**
 * memcached's readiness check, run in its own container (the official alpine image has busybox sh and nc):
 * it must answer `version` in its protocol, not merely accept the connection.
 */
export const MEMCACHED_READINESS_COMMAND = [
  "sh",
  "-c",
  `printf 'version\\r\\nquit\\r\\n' | timeout 2 nc 127.0.0.1 ${MEMCACHED_PORT} | grep -q '^VERSION '`,
];

export interface MemcachedArgsInput {
  memoryMb: number;
  maxItemSizeMb: number;
  maxConnections: number;
  threads: number;
  port: number;
}

/**
 * The memcached command line. UDP is always off (-U 0): it is unauthenticated and was the vector of the
 * 2018 amplification attacks; mcrouter speaks TCP only anyway.
 */
export function memcachedArgs(input: MemcachedArgsInput): string[] {
  return [
    "-m",
    String(input.memoryMb),
    "-I",
    `${input.maxItemSizeMb}m`,
    "-c",
    String(input.maxConnections),
    "-t",
    String(input.threads),
    "-p",
    String(input.port),
    "-U",
    "0",
    // A no-op in memcached 1.6 ("currently no new defaults": memcached.c at 1.6.45 L5568-5570); eviction of the
    // least recently used items is memcached's default (no -M). Kept only because dropping it would change the pod
    // template, and so restart every memcached pod of a running stack (losing its items) for nothing.
    "-o",
    "modern",
  ];
}
