// The alert rules the dev stack deploys (its Rules objects, taken from the program), checked and unit-tested
// by promtool built from the Prometheus module: every alert fires on series that should fire it, with the
// labels and rendered annotations a receiver gets, and stays silent on series that should not.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { DEFAULTS } from "../../lib/config/schema";
import { runbookUrl } from "../../lib/metrics/alerts";
import { stackArtifacts } from "../harness/stackArtifacts";

const binDir = process.env.PROMTOOL_BIN;
if (!binDir)
  throw new Error("PROMTOOL_BIN is unset: run through `npm test` or `npm run test:real`, which build promtool");

let dir: string;
const promtool = (args: string[]) =>
  new Promise<{ code: number; output: string }>((resolve) => {
    execFile(join(binDir, "promtool"), args, { cwd: dir, timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, output: stdout + stderr }),
    );
  });

const pod = (instance: string) => ({ instance, namespace: "memcached", job: "memcached" });
const proxy = (instance: string) => ({ instance, namespace: "mcrouter", job: "mcrouter" });
/** A memcached server as mcrouter's `stats servers` names it (host:port:protocol:security:compression-timeout). */
const server = (ordinal: number) =>
  `memcached-${ordinal}.memcached.memcached.svc.cluster.local.:11211:ascii:plain:notcompressed-1000`;
const labels = (l: Record<string, string>) =>
  `{${Object.entries(l)
    .map(([k, v]) => `${k}="${v}"`)
    .join(",")}}`;
const series = (name: string, l: Record<string, string>, values: string) => ({ series: `${name}${labels(l)}`, values });

/** Per alert: input series (one that fires it, one that must not) and the alert expected at eval_time. */
const CASES = [
  {
    alertname: "MemcachedDown",
    eval_time: "3m",
    input: [series("memcached_up", pod("memcached-0"), "1 0 0 0 0"), series("memcached_up", pod("memcached-1"), "1x5")],
    exp: [
      {
        exp_labels: { severity: "critical", ...pod("memcached-0") },
        exp_annotations: {
          summary: "memcached does not answer its exporter",
          description:
            "memcached-0: memcached_up has been 0 for 1 minute; mcrouter marks the pod TKO and its keys miss.",
        },
      },
    ],
  },
  {
    alertname: "MemcachedTargetDown",
    eval_time: "3m",
    input: [series("up", pod("memcached-0"), "0x5"), series("up", pod("memcached-1"), "1x5")],
    exp: [
      {
        exp_labels: { severity: "critical", ...pod("memcached-0") },
        exp_annotations: {
          summary: "a memcached pod cannot be scraped",
          description:
            "memcached-0: the collector has not reached the exporter for 2 minutes (pod gone, not ready, or a NetworkPolicy).",
        },
      },
    ],
  },
  {
    // 1 hit and 1 miss a second in "memcached" (50 %); 95 % in "busy"; 10 % but idle (0.17 gets/s) in "idle".
    alertname: "MemcachedHitRatioLow",
    eval_time: "20m",
    input: [
      ["memcached", "60", "60"],
      ["busy", "114", "6"],
      ["idle", "1", "9"],
    ].flatMap(([namespace, hits, misses]) => [
      series(
        "memcached_commands_total",
        { command: "get", status: "hit", namespace, instance: `${namespace}-0` },
        `0+${hits}x30`,
      ),
      series(
        "memcached_commands_total",
        { command: "get", status: "miss", namespace, instance: `${namespace}-0` },
        `0+${misses}x30`,
      ),
    ]),
    exp: [
      {
        exp_labels: { severity: "warning", namespace: "memcached" },
        exp_annotations: {
          summary: "cache hit ratio below 80 %",
          description: "memcached: 50% of gets hit over 5m (floor metrics.hitRatioFloorPercent 80).",
        },
      },
    ],
  },
  {
    alertname: "MemcachedEvicting",
    eval_time: "20m",
    input: [
      series("memcached_items_evicted_total", pod("memcached-0"), "0+6000x30"),
      series("memcached_items_evicted_total", pod("memcached-1"), "0+600x30"),
    ],
    exp: [
      {
        exp_labels: { severity: "warning", ...pod("memcached-0") },
        exp_annotations: {
          summary: "memcached evicts items to make room",
          description:
            "memcached-0: 100 evictions a second (alert above metrics.evictionsPerSecond 50): the working set is larger than -m; raise memcached.memoryMb or replicas.",
        },
      },
    ],
  },
  {
    alertname: "MemcachedConnectionsHigh",
    eval_time: "7m",
    input: [
      series("memcached_current_connections", pod("memcached-0"), "900x10"),
      series("memcached_max_connections", pod("memcached-0"), "1024x10"),
      series("memcached_current_connections", pod("memcached-1"), "500x10"),
      series("memcached_max_connections", pod("memcached-1"), "1024x10"),
    ],
    exp: [
      {
        exp_labels: { severity: "warning", ...pod("memcached-0") },
        exp_annotations: {
          summary: "memcached connections above 80 % of -c",
          description: "memcached-0: 87.89% of memcached.maxConnections in use; at 100 % new connections are refused.",
        },
      },
    ],
  },
  {
    alertname: "McrouterDown",
    eval_time: "3m",
    input: [series("mcrouter_up", proxy("mcrouter-a"), "1 0 0 0 0"), series("mcrouter_up", proxy("mcrouter-b"), "1x5")],
    exp: [
      {
        exp_labels: { severity: "critical", ...proxy("mcrouter-a") },
        exp_annotations: {
          summary: "mcrouter does not answer its exporter",
          description: "mcrouter-a: mcrouter_up has been 0 for 1 minute; the apps on this node cannot reach the cache.",
        },
      },
    ],
  },
  {
    alertname: "McrouterTargetDown",
    eval_time: "3m",
    input: [series("up", proxy("mcrouter-a"), "0x5"), series("up", proxy("mcrouter-b"), "1x5")],
    exp: [
      {
        exp_labels: { severity: "critical", ...proxy("mcrouter-a") },
        exp_annotations: {
          summary: "an mcrouter pod cannot be scraped",
          description:
            "mcrouter-a: the collector has not reached the exporter for 2 minutes (pod gone, not ready, or a NetworkPolicy).",
        },
      },
    ],
  },
  {
    // memcached-1 hard TKO for 4 minutes; memcached-2 soft TKO only; memcached-0 hard TKO for a single scrape.
    alertname: "McrouterServerHardTko",
    eval_time: "5m",
    input: [
      series("mcrouter_server_memcached_hard_tko", { ...proxy("mcrouter-a"), server: server(0) }, "0 0 0 1 0 0"),
      series("mcrouter_server_memcached_hard_tko", { ...proxy("mcrouter-a"), server: server(1) }, "0 1 1 1 1 1"),
      series("mcrouter_server_memcached_hard_tko", { ...proxy("mcrouter-a"), server: server(2) }, "0x5"),
      series("mcrouter_server_memcached_soft_tko", { ...proxy("mcrouter-a"), server: server(2) }, "0 1 1 1 1 1"),
    ],
    exp: [
      {
        exp_labels: { severity: "critical", ...proxy("mcrouter-a"), server: server(1) },
        exp_annotations: {
          summary: "mcrouter marks a memcached server hard TKO",
          description: `mcrouter-a: ${server(1)} has been hard TKO for 1 minute (connections fail): its share of the keys misses.`,
        },
      },
    ],
  },
  {
    // mcrouter-a tried a new config after its last success (unix times); mcrouter-b's last attempt succeeded.
    alertname: "McrouterConfigReloadFailed",
    eval_time: "3m",
    input: [
      series("mcrouter_config_last_attempt", proxy("mcrouter-a"), "1700000000 1700000300x4"),
      series("mcrouter_config_last_success", proxy("mcrouter-a"), "1700000000x5"),
      series("mcrouter_config_last_attempt", proxy("mcrouter-b"), "1700000000 1700000300x4"),
      series("mcrouter_config_last_success", proxy("mcrouter-b"), "1700000000 1700000300x4"),
    ],
    exp: [
      {
        exp_labels: { severity: "warning", ...proxy("mcrouter-a") },
        exp_annotations: {
          summary: "mcrouter could not load its new config",
          description:
            "mcrouter-a: the last config reload failed; mcrouter still routes with its previous pool (see the mcrouter-config ConfigMap and the pod's log).",
        },
      },
    ],
  },
];

/** The expected alerts with the runbook_url every alert carries (its section of docs/operations.md). */
const withRunbook = (c: (typeof CASES)[number]) =>
  c.exp.map((e) => ({
    ...e,
    exp_annotations: { ...e.exp_annotations, runbook_url: runbookUrl(DEFAULTS.metrics.runbookUrl, c.alertname) },
  }));

let alertNames: string[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "promtool-"));
  const groups = (await stackArtifacts("dev")).alertGroups as Array<{ rules: Array<{ alert: string }> }>;
  alertNames = groups.flatMap((g) => g.rules.map((r) => r.alert));
  writeFileSync(join(dir, "rules.yml"), stringify({ groups }));
  writeFileSync(
    join(dir, "tests.yml"),
    stringify({
      rule_files: ["rules.yml"],
      evaluation_interval: "30s",
      tests: CASES.flatMap((c) => [
        {
          interval: "1m",
          input_series: c.input,
          alert_rule_test: [{ eval_time: c.eval_time, alertname: c.alertname, exp_alerts: withRunbook(c) }],
        },
        // Before its `for` has passed, nothing fires yet.
        {
          interval: "1m",
          input_series: c.input,
          alert_rule_test: [{ eval_time: "0m", alertname: c.alertname, exp_alerts: [] }],
        },
      ]),
    }),
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("alert rules under promtool", () => {
  it("has a firing and a silent case for every alert the stack deploys", () => {
    expect(CASES.map((c) => c.alertname)).toEqual(alertNames);
  });

  it("promtool check rules accepts them", async () => {
    const { code, output } = await promtool(["check", "rules", "rules.yml"]);
    expect([code, output]).toEqual([0, expect.stringContaining(`SUCCESS: ${alertNames.length} rules found`)]);
  });

  it("promtool test rules: each fires exactly where it should, with its labels and annotations", async () => {
    const { code, output } = await promtool(["test", "rules", "tests.yml"]);
    expect(output).toContain("SUCCESS");
    expect(code).toBe(0);
  });

  it("promtool test rules fails when an expectation is wrong (the tests can fail)", async () => {
    const wrong = CASES[0];
    writeFileSync(
      join(dir, "wrong.yml"),
      stringify({
        rule_files: ["rules.yml"],
        evaluation_interval: "30s",
        tests: [
          {
            interval: "1m",
            input_series: wrong.input,
            alert_rule_test: [{ eval_time: wrong.eval_time, alertname: wrong.alertname, exp_alerts: [] }],
          },
        ],
      }),
    );
    const { code, output } = await promtool(["test", "rules", "wrong.yml"]);
    expect([code, output]).toEqual([1, expect.stringContaining("FAILED")]);
  });
});
