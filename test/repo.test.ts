// Rules of the repository itself, read from its files: dependencies run one way (tests -> harness -> program),
// the deploy path uses only documented mechanisms, and the policy pack re-types no fact the program declares.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MCROUTER_METRICS_PORT, MCROUTER_PORT, MEMCACHED_PORT, METRICS_PORT } from "../lib/ports";
import { NODE_SERVICE_ACCOUNT_ROLES } from "../lib/gke/cluster";
import { CACHE_CLIENT_LABEL } from "../lib/tiers/labels";
import { CONNECTION_HEADROOM } from "../lib/capacity/connections";
import { ROOT } from "./harness/program";
import { TOOL_VERSIONS } from "../scripts/toolVersions";

const files = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], {
  cwd: ROOT,
  encoding: "utf8",
})
  .split("\n")
  .filter((f) => /\.(ts|mts|js|sh)$/.test(f) && !f.startsWith("node_modules/"));
const text = (f: string) => readFileSync(join(ROOT, f), "utf8");
const outsideTest = files.filter((f) => !f.startsWith("test/"));

describe("the repository", () => {
  it("has TypeScript outside test/ to check (the lists below are not empty by accident)", () => {
    expect(outsideTest.filter((f) => f.endsWith(".ts")).length).toBeGreaterThan(40);
  });

  it("imports test/ from nowhere outside it", () => {
    const offenders = outsideTest.filter((f) => /from "(\.\.?\/)+test\/|require\("(\.\.?\/)+test\//.test(text(f)));
    expect(offenders).toEqual([]);
  });

  it("reaches into no module loader, stack-trace formatter or V8 flag outside test/", () => {
    const internals = /Module\._load|require\.cache|prepareStackTrace|setFlagsFromString|--allow-natives-syntax/;
    expect(outsideTest.filter((f) => internals.test(text(f)))).toEqual([]);
  });

  it("runs the program through Pulumi's own TypeScript support: no runtime option, tsconfig's noCheck on", () => {
    expect(text("Pulumi.yaml")).toMatch(/^runtime: nodejs$/m);
    expect(JSON.parse(text("package.json")).main).toBe("index.ts");
    expect(JSON.parse(text("tsconfig.json")).compilerOptions.noCheck).toBe(true);
  });

  it("builds the Kubernetes provider of package.json's @pulumi/kubernetes (scripts/tool-versions.json)", () => {
    expect(JSON.parse(text("package.json")).dependencies["@pulumi/kubernetes"]).toBe(
      TOOL_VERSIONS.K8S_PROVIDER_VERSION,
    );
  });

  it("has a policy pack that writes no port, label, role or formula the program declares", () => {
    const policy = text("policy/rules.ts");
    for (const port of [MEMCACHED_PORT, MCROUTER_PORT, METRICS_PORT, MCROUTER_METRICS_PORT, CONNECTION_HEADROOM]) {
      expect(policy, String(port)).not.toMatch(new RegExp(`\\b${port}\\b`));
    }
    for (const literal of [
      ...NODE_SERVICE_ACCOUNT_ROLES,
      ...Object.keys(CACHE_CLIENT_LABEL),
      '"mcrouter"',
      '"memcached"',
    ]) {
      expect(policy, literal).not.toContain(literal);
    }
  });
});
