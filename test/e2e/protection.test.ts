// prod's protection on the real engine (#22): a protected resource stops `pulumi destroy` before anything is deleted,
// and the ReplacementGuard (a dynamic resource: its provider serialized into the state and run by the SDK's
// dynamic-provider plugin) refuses a change of the cluster's identity in preview, unless that very change is
// acknowledged. A small program of the guard and two Kubernetes objects stands for the GKE stack, whose GCP half
// cannot run here; the unit tests prove that the cluster and its pool are protected and wait for the guard.
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { kubectl } from "../../sandbox/process";
import { pulumiCli, ROOT } from "../../sandbox/pulumi";
import { controlPlaneFor } from "../harness/e2e";
import { gkeShapedNodes } from "../harness/gkeShape";
import { committedPool } from "../harness/stacks";

const { cp, stateDir } = controlPlaneFor("protection", () =>
  gkeShapedNodes({ ...committedPool("dev"), cluster: "memcached-local" }),
);

const PROGRAM = `import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { ReplacementGuard } from ${JSON.stringify(join(ROOT, "components", "replacementGuard"))};

const config = new pulumi.Config();
// As index.ts does with deletionProtection: every top-level resource protected, children inheriting it.
const protect = true;
const guard = new ReplacementGuard(
  "guard",
  {
    project: "my-gcp-project",
    cluster: {
      name: config.require("name"),
      location: "us-central1-f",
      network: "default",
      subnetwork: "",
      masterIpv4CidrBlock: "",
      acknowledgeReplacement: config.get("acknowledge") ?? "",
    },
  },
  { protect },
);
class Tier extends pulumi.ComponentResource {
  constructor(name: string, opts: pulumi.ComponentResourceOptions) {
    super("test:index:Tier", name, {}, opts);
    const ns = new k8s.core.v1.Namespace(name, { metadata: { name } }, { parent: this });
    new k8s.core.v1.ConfigMap("inside", { metadata: { namespace: ns.metadata.name, name: "inside" }, data: { a: "b" } }, { parent: this });
    this.registerOutputs({});
  }
}
new Tier("guarded", { protect, dependsOn: [guard] });
`;

const failureOf = (p: Promise<unknown>) =>
  p.then(
    () => "",
    (e: Error) => e.message,
  );

describe("protection on the real engine", () => {
  const project = () => join(stateDir(), "project-guarded");
  let cli: ReturnType<typeof pulumiCli>;
  const objects = () =>
    kubectl(cp().kubeconfig, ["get", "namespace/guarded", "configmap/inside", "-n", "guarded", "-o", "name"]).then(
      (out) => out.trim().split("\n"),
    );

  it("pulumi up creates the guard and the protected objects", async () => {
    mkdirSync(project());
    writeFileSync(join(project(), "Pulumi.yaml"), "name: guarded\nruntime: nodejs\n");
    writeFileSync(join(project(), "package.json"), JSON.stringify({ name: "guarded", main: "index.ts" }));
    writeFileSync(
      join(project(), "tsconfig.json"),
      JSON.stringify({ compilerOptions: { strict: true, noCheck: true } }),
    );
    writeFileSync(join(project(), "index.ts"), PROGRAM);
    symlinkSync(join(ROOT, "node_modules"), join(project(), "node_modules"));
    cli = pulumiCli(project(), stateDir(), cp().kubeconfig);
    await cli(["stack", "init", "prod"]);
    await cli(["config", "set", "name", "memcached-prod"]);
    await cli(["up", "--yes", "--skip-preview"]);
    expect(await objects()).toEqual(["namespace/guarded", "configmap/inside"]);
  });

  it("pulumi destroy refuses before deleting anything: every object stays, in the cluster and in the state", async () => {
    const failure = await failureOf(cli(["destroy", "--yes", "--skip-preview"]));
    expect(failure).toMatch(/cannot be deleted\s+because it is protected/);
    expect(failure).not.toMatch(/\bdeleted \(/);
    expect(await objects()).toEqual(["namespace/guarded", "configmap/inside"]);
    expect(JSON.parse((await cli(["stack", "export"])).stdout).deployment.resources.length).toBeGreaterThanOrEqual(4);
  });

  let fingerprint = "";
  it("a change of the cluster's identity is refused in preview, naming the key, the change and the fix", async () => {
    await cli(["config", "set", "name", "memcached-other"]);
    const failure = await failureOf(cli(["preview"]));
    expect(failure).toContain("this change replaces the GKE cluster and its node pool");
    expect(failure).toContain('cluster.name: "memcached-prod" -> "memcached-other"');
    fingerprint = /acknowledgeReplacement ([0-9a-f]+)/.exec(failure)?.[1] ?? "";
    expect(fingerprint).toMatch(/^[0-9a-f]{8,}$/);
    const up = await failureOf(cli(["up", "--yes", "--skip-preview"]));
    expect(up).toContain("this change replaces the GKE cluster");
    expect(await objects()).toEqual(["namespace/guarded", "configmap/inside"]);
  });

  it("acknowledged with that fingerprint, the same change previews", async () => {
    await cli(["config", "set", "acknowledge", fingerprint]);
    await cli(["preview"]);
  });

  it("unprotected, the stack is destroyed", async () => {
    await cli(["config", "set", "name", "memcached-prod"]);
    await cli(["state", "unprotect", "--all", "--yes"]);
    await cli(["destroy", "--yes", "--skip-preview"]);
    const left = await kubectl(cp().kubeconfig, ["get", "namespace/guarded", "--ignore-not-found", "-o", "name"]);
    expect(left.trim()).toBe("");
  });
});
